/*
 * Fonts for the fixed-layout renderers: lookup by role, per-character
 * fallback, advances, and glyph subsets ready to embed. Nothing here knows
 * about libharu or PDF objects; the PDF writer turns subsets into objects.
 *
 * A role (song, fangsong, hei, kai, xiaobiaosong) resolves to a chain of
 * font faces, first choice first:
 *   1. the per-call overrides (lexp_render_options.fonts) for the role;
 *   2. the template's front matter (doc->font_path / doc->font_index);
 *   3. the names of lexp__role_font_names(role), looked up with fontconfig.
 *      A fontconfig answer is accepted only when its family (and style,
 *      for names such as "FandolSong:Bold") is the one asked for and its
 *      outlines are TrueType (glyf) or CFF, because fontconfig always
 *      answers something (DejaVu for 仿宋_GB2312).
 * A character takes the first face of the chain that has a glyph for it;
 * when none has, it is reported missing and drawn as a placeholder.
 *
 * Caches: fontconfig answers, opened faces and built subsets live in a
 * lexp__fontcache. With an engine the cache is the engine's (guarded by
 * lexp__engine_lock; entries are immutable once published); without one a
 * private cache lives for one render.
 */
#ifndef LEXP_FONTS_H
#define LEXP_FONTS_H

#include <stddef.h>
#include <stdint.h>

#include "../doc/doc.h"
#include "../util/util.h"

typedef struct lexp__fonts lexp__fonts;

/* Where the ink of a full-width punctuation mark sits in its em box: the
 * layout compresses a mark to half width by dropping the empty half. */
enum { LEXP_INK_FULL = 0, LEXP_INK_LEFT = 1, LEXP_INK_RIGHT = 2 };

typedef struct lexp__glyph {
    int slot;     /* face of this render (lexp__fonts_face); -1: no font has it */
    uint32_t gid; /* glyph id in that face */
    float adv;    /* advance in em */
    uint8_t ink;  /* LEXP_INK_*: set only for full-width punctuation */
    float shift;  /* LEXP_INK_LEFT marks: how far left (em) the glyph is drawn
                     when set at half width, so that its ink keeps to the
                     character before it (its side bearing, less a hair) */
} lexp__glyph;

/* What the PDF writer needs to describe a face. Metrics in 1/1000 em. */
typedef struct lexp__face_info {
    const char *path;
    int index;
    const char *family; /* for messages */
    const char *psname; /* PostScript name, reduced to [A-Za-z0-9-] */
    int ascent, descent, cap_height;
    int bbox[4];
} lexp__face_info;

/* A subset of one face ready to embed as a CIDFontType2 (TrueType) or a
 * CIDFontType0 (CFF, the program rewritten so that CID = glyph). Glyph ids are
 * renumbered 0..n-1 and used as CIDs (character codes); full-width marks
 * get a second CID, n and up, for the same glyph with half the advance,
 * used where the layout compresses the mark (so no glyph box overlaps the
 * next one, which text extraction would read as a new line). */
typedef struct lexp__subset {
    uint32_t n;              /* glyphs in the font program */
    uint32_t ncid;           /* CIDs: n plus the half-width variants */
    const uint16_t *widths;  /* ncid advances, 1/1000 em (the PDF /W values) */
    const uint32_t *half;    /* n entries: the half-width CID of a glyph, or 0 */
    const unsigned char *cidmap_z; /* CIDToGIDMap stream, deflated (NULL when
                                      ncid == n: the map is the identity) */
    size_t cidmap_zlen;
    const unsigned char *font_z; /* the TrueType or bare CFF program, deflated */
    size_t font_zlen, font_len;  /* deflated and original sizes */
    uint8_t cff;                 /* font_z is CFF (FontFile3 /CIDFontType0C) */
    const unsigned char *tounicode_z; /* ToUnicode CMap, deflated */
    size_t tounicode_zlen;
    char tag[7];                 /* six capitals, from the glyph set */
    uint32_t nmap;               /* (original glyph, character) → CID, sorted */
    const uint32_t *map_old, *map_cp, *map_new;
    /* Characters no font has, drawn invisibly (over a placeholder box) so
     * text extraction still finds them: CIDs extra_cid.. show glyph 0. */
    uint32_t nextra;
    const uint32_t *extra; /* sorted characters */
    uint32_t extra_cid;
} lexp__subset;

/* Start resolving fonts for one render of `doc`. Nothing is looked up until
 * a role is first used. */
int lexp__fonts_new(lexp__fonts **out, const lexp_doc *doc, const lexp_render_options *opt,
                    lexp_error *err);
void lexp__fonts_free(lexp__fonts *f);

/* Or'ed into a role: Latin letters and digits from the role's own fonts,
 * not the Latin role (GB/T 9704 page numbers are 半角宋体 digits). */
#define LEXP__ROLE_OWN_LATIN 0x100

/* The glyph for `cp` in `role`'s chain; Latin letters, digits and ASCII
 * punctuation come from the Latin role (when it has a font with them).
 * Fails only when no font at all can
 * be used (the error names a package to install and the --font option) or
 * an explicitly given font file cannot be used. */
int lexp__fonts_glyph(lexp__fonts *f, int role, uint32_t cp, lexp__glyph *out,
                      lexp_error *err);

/* Faces used so far (slots 0..count-1, in order of first use). */
int lexp__fonts_count(const lexp__fonts *f);
const lexp__face_info *lexp__fonts_info(const lexp__fonts *f, int slot);

/* Subset of `slot` holding `n` (glyph, character) pairs (sorted, distinct;
 * a glyph may show several characters, each gets its CID for the ToUnicode
 * map), plus
 * `nextra` characters without a glyph (sorted, distinct). The result stays
 * valid until lexp__fonts_free. Built once per glyph set and cached. */
int lexp__fonts_subset(lexp__fonts *f, int slot, const uint32_t *gids, const uint32_t *cps,
                       size_t n, const uint32_t *extra, size_t nextra,
                       const lexp__subset **out, lexp_error *err);
/* The CID of an original glyph showing character `cp` in a subset (0 if
 * absent). */
uint32_t lexp__subset_glyph(const lexp__subset *s, uint32_t gid, uint32_t cp);
/* The CID of a character without a glyph (0 if absent). */
uint32_t lexp__subset_extra(const lexp__subset *s, uint32_t cp);
/* The slot of the first face of a role's chain (for invisible text of
 * characters no font has). -1 on error. */
int lexp__fonts_primary(lexp__fonts *f, int role, lexp_error *err);

/* The ink box of glyph `gid` of face `slot`, in em: box[0]..box[1] right of
 * the origin, box[2]..box[3] above the baseline. 0 if the glyph has none. */
int lexp__fonts_ink(const lexp__fonts *f, int slot, uint32_t gid, float box[4]);

/* Deliver the warnings collected during the render: roles that fell back to
 * a free font, characters taken from a fallback font, characters no font
 * has. Call once, after layout. */
void lexp__fonts_warn(lexp__fonts *f, const lexp_render_options *opt);

/* Characters no font had, so far (sorted, distinct). */
size_t lexp__fonts_missing(lexp__fonts *f, const uint32_t **cps);

/* The engine's cache destructor (stored in engine->pdf_fonts_free). */
void lexp__fontcache_free(void *cache);

#endif
