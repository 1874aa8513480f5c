/*
 * CFF font programs for PDF CIDFontType0 fonts (FontFile3 /CIDFontType0C).
 *
 * A PDF CIDFontType0 has no CIDToGIDMap: a CID-keyed CFF finds a CID's
 * glyph through its own charset, which keeps the source's CIDs (in the
 * face's program and in hb-subset's). The PDF writer wants CID = glyph id
 * of the subset (like its TrueType fonts) plus extra CIDs that draw an
 * existing glyph under another width (half-width punctuation) or glyph 0.
 * So the CFF is rewritten: CID c draws the charstring of source glyph
 * map[c], with an identity charset. A name-keyed CFF (most Latin OpenType
 * fonts) becomes CID-keyed on the way (Adobe-Identity-0, one Font DICT
 * holding its Private DICT), as the PDF font type requires.
 */
#ifndef LEXP_CFF_H
#define LEXP_CFF_H

#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

enum { LEXP_CFF_OK = 0, LEXP_CFF_OOM = -1, LEXP_CFF_BAD = -2 };

/* lexp__cff_cidfont's flags. LEXP_CFF_WHOLE_FONT: `cff` is a whole face's
 * program (not a subset), subset here by `map` alone: its charstrings are
 * copied as they are, hints included, and a program with subroutines is
 * refused (LEXP_CFF_BAD: they would be copied whole; hb-subset is the way
 * for such a font). */
enum { LEXP_CFF_WHOLE_FONT = 1 };

/* Rebuild `cff` (len bytes, a bare CFF table) so that CID c (0 ≤ c < ncid)
 * draws source glyph map[c]. Appends to `out`. Returns a LEXP_CFF_* code;
 * LEXP_CFF_BAD for a program it cannot read (malformed, Type 1 charstrings,
 * a glyph id out of range). Bounds-checked against hostile input. */
int lexp__cff_cidfont(const unsigned char *cff, size_t len, const uint32_t *map, size_t ncid,
                      unsigned flags, lexp__sbuf *out);

/* Where the charstrings of `cff` lie: *first = the offset of the first
 * charstring, ends[i] = the end of charstring i, for *count charstrings
 * (ends is malloc'd). Returns a LEXP_CFF_* code. */
int lexp__cff_charstrings(const unsigned char *cff, size_t len, size_t *first, size_t **ends,
                          size_t *count);

#endif
