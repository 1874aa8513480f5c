/*
 * Subsets of TrueType (glyf) fonts for PDF CIDFontType2 programs.
 *
 * HarfBuzz's subsetter plans a general font (layout closure, every table,
 * cmap), which was 2.6M instructions of a CJK document with a new glyph
 * set. A PDF with a CIDToGIDMap and a /W array needs much less: glyph
 * outlines and their metrics. So this writes the program directly: glyph
 * 0 (without an outline, as hb-subset leaves it), the wanted glyphs and
 * the components of composite ones, in ascending
 * original order (the order hb-subset gives them), without hinting
 * instructions, in the tables PDF lists for an embedded TrueType program
 * (head, hhea, loca, maxp, glyf, hmtx) plus OS/2 and a version 3 post. No
 * cmap: the CIDToGIDMap maps, and ToUnicode carries the text.
 *
 * The data of glyf comes last in the file, so the pieces fontzip cuts at
 * glyph boundaries see the same glyph bytes in every document.
 */
#ifndef LEXP_TTFSUB_H
#define LEXP_TTFSUB_H

#include <hb.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

enum { LEXP_TTF_OK = 0, LEXP_TTF_OOM = -1, LEXP_TTF_BAD = -2 };

/* The source face's tables (bytes and lengths; NULL/0 when absent). */
typedef struct lexp__ttf_src {
    const unsigned char *head, *hhea, *maxp, *loca, *glyf, *hmtx, *os2, *post;
    size_t head_len, hhea_len, maxp_len, loca_len, glyf_len, hmtx_len, os2_len, post_len;
    hb_blob_t *blob[8]; /* the tables' blobs, held until lexp__ttf_src_close */
} lexp__ttf_src;

/* Reference the tables of `face` (any of them may be absent). */
void lexp__ttf_src_open(lexp__ttf_src *s, hb_face_t *face);
void lexp__ttf_src_close(lexp__ttf_src *s);

/* Write into `out` the subset holding glyph 0 and the n glyphs `gids`
 * (any order, repeats allowed) with their composite components. *old gets
 * a malloc'd array of the *ng original glyph ids in new order (ascending).
 * LEXP_TTF_BAD for a font it cannot read safely (the caller then uses
 * HarfBuzz), LEXP_TTF_OOM when out of memory. */
int lexp__ttf_subset(const lexp__ttf_src *src, const uint32_t *gids, size_t n, lexp__sbuf *out,
                     uint32_t **old, uint32_t *ng);

#endif
