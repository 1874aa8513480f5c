/*
 * Decisions the PDF layout and the DOCX writer must take alike, so that
 * both formats show a document the same way: where a title's lines break,
 * and the size the 简报 masthead is set in.
 *
 * Both are reckoned from characters alone (lexp__title_em), never from the
 * fonts of the machine: a DOCX is shown with the reader's fonts, and the
 * same input gives the same lines everywhere.
 */
#ifndef LEXP_TITLES_H
#define LEXP_TITLES_H

#include <stddef.h>
#include <stdint.h>

#include "../doc/style.h"
#include "../util/util.h"

/* The advance of a character as both renderers reckon it, in em: Han,
 * kana, full-width forms and the marks Chinese fonts set full width (——,
 * ……, “”, ·) 1, other characters ½ (Latin digits in Times New Roman and
 * Liberation Serif are ½ em), zero-width ones 0. */
double lexp__title_em(uint32_t cp);

/* Lines of a title (GB/T 9704 标题: several lines shaped as a trapezoid or
 * diamond): as few lines as fit in `maxw` em, broken only between words
 * (ICU's dictionary) and never inside a name ICU does not know or between
 * a number and its unit, of about equal length (the first rather longer
 * than the last than shorter), the last more than one character. A '\n' (or U+2028) in cp
 * ends a line where it stands. Widths in em from lexp__title_em.
 *
 * *starts receives the index of the first character of each line after the
 * first (malloc'ed, NULL when the title is one line; spaces at a break end
 * the line before), *nstarts their number. Returns 0 or a negative code. */
int lexp__title_breaks(const uint32_t *cp, size_t n, double maxw, size_t **starts,
                       size_t *nstarts, lexp_error *err);

/* The same for UTF-8 text s[0..len), decoded as the layout decodes it (a
 * byte that is not UTF-8 is one U+FFFD): *offs receives the byte offsets
 * where a line break must be added (not those after a '\n' of the text). */
int lexp__title_breaks_utf8(const char *s, size_t len, double maxw, size_t **offs, size_t *n,
                            lexp_error *err);

/* The longest line of a title (level 0) or subtitle of a preset, in em of
 * its size: the type area less a character at each side, so that no title
 * runs from edge to edge. */
double lexp__title_maxw(const lexp_style *st, int level);

/* The 简报 masthead on one line (GB/T 9704 发文机关标志 may be set smaller
 * to fit): a name `ems` em wide (at 1 pt; `chars` characters) set at
 * `nominal` pt fits `width` pt, or else is set smaller, down to 70 % of
 * `nominal` in half points (Word's unit), then tightened by up to 1/20 em
 * between characters, then set smaller still. Returns the size; *tracking
 * receives the spacing added after each character (pt, ≤ 0, in twentieths
 * of a point). The name then takes at most 98 % of `width`. */
double lexp__masthead_fit(double nominal, double ems, size_t chars, double width,
                          double *tracking);

#endif
