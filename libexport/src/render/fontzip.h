/*
 * Font programs deflated in pieces that are compressed once and reused.
 *
 * A PDF embeds, per document, a subset of each font; documents of one batch
 * share most of their glyphs, yet deflating the whole program again was most
 * of the time of a document with a new glyph set. So the program is cut
 * into pieces at glyph boundaries chosen by the glyphs' own bytes (a cut
 * after a glyph whose hash ends in four zero bits, or when a piece reaches
 * 64 KB): a glyph added or dropped changes only the piece it falls in. Each
 * piece is deflated on its own (raw deflate, ended by a sync flush, so the
 * pieces concatenate into one stream) and kept in a cache keyed by its
 * bytes; the stream is a zlib header, the pieces, an empty final block and
 * the Adler-32 of the whole program.
 *
 * The output depends on the program's bytes only, never on what the cache
 * holds: the same input gives the same bytes with or without an engine.
 */
#ifndef LEXP_FONTZIP_H
#define LEXP_FONTZIP_H

#include <stddef.h>

#include "libexport.h"

typedef struct lexp__zcache lexp__zcache;

/* Bytes an engine's cache keeps at most (pieces and their deflated forms;
 * the least recently used go first). */
#define LEXP_FONTZIP_CACHE_BYTES (32u * 1024u * 1024u)

lexp__zcache *lexp__zcache_new(size_t max_bytes);
void lexp__zcache_free(lexp__zcache *c);
size_t lexp__zcache_bytes(const lexp__zcache *c); /* held now */

/* Glyph boundaries of a TrueType program (from its loca table) or of a
 * bare CFF program (its CharStrings INDEX), as ascending byte offsets: the
 * start of the first glyph, then the end of every glyph. *nb = 0 when the
 * program has no such structure (then it is deflated as one piece).
 * Returns -1 only when out of memory. */
int lexp__fontzip_ttf_bounds(const unsigned char *p, size_t n, size_t **b, size_t *nb);
int lexp__fontzip_cff_bounds(const unsigned char *p, size_t n, size_t **b, size_t *nb);

/* The unused bits (0-7) of the last byte of d[0..dn), a compressor's whole
 * output, when it is a single final deflate block with dynamic codes, read
 * from the block's header without decoding the data: its end-of-block code
 * must end where only zero bits follow, and in exactly one place; -1
 * otherwise (another kind of block, or a code that fits in two places: ask
 * an inflater). Any bytes are read within bounds; for bytes no compressor
 * wrote, the answer means nothing. */
int lexp__fontzip_end_bits(const unsigned char *d, size_t dn);

/* Deflate p[0..n) in zlib format into a malloc'd *out, cut at the glyph
 * bounds (see above); pieces are looked up in and added to `c` under the
 * engine's lock (engine may be NULL when c belongs to one render).
 * Returns -1 only when out of memory. */
int lexp__fontzip(lexp__zcache *c, lexp_engine *engine, const unsigned char *p, size_t n,
                  const size_t *bounds, size_t nb, unsigned char **out, size_t *outlen);

#endif
