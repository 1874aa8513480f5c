/*
 * The layout engine of the fixed-layout renderers: it turns a document tree
 * into pages of positioned glyphs, lines, boxes, images and pie wedges.
 * It measures with the fonts' own advances (fonts.h) and knows nothing of
 * PDF or libharu, so any fixed-layout output can draw its result.
 *
 * What it does (DESIGN §5, §6; domain conventions §1, §2, §4):
 *  - Chinese line breaking: closing punctuation never starts a line,
 *    opening punctuation never ends one, —— and …… stay whole, Latin words
 *    and numbers such as "53.1%" stay whole; a full-width mark at a line end
 *    counts half its width and adjacent marks are compressed; lines are
 *    justified by spreading the slack between characters, except a
 *    paragraph's last line; a last line of a single character takes one
 *    more character from the line above.
 *  - GB/T 9704 grid: body text at the body size is tracked so that 28
 *    characters fill the 156 mm type area; 22 lines fill its 225 mm.
 *  - Headings, lists, titles, tables (column widths from content, spans,
 *    header rows repeated on every page, rows split cleanly), images,
 *    bar and pie charts, 简报 masthead, signature, distribution block at
 *    the foot of the last page, page numbers.
 *
 * Coordinates are PostScript points with the origin at the top-left corner
 * of the page and y growing downwards. Text items give the baseline.
 */
#ifndef LEXP_LAYOUT_H
#define LEXP_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "../doc/doc.h"
#include "../doc/style.h"
#include "fonts.h"

typedef enum lexp__lkind {
    LEXP_L_TEXT,  /* glyphs of one face, size and colour on one baseline */
    LEXP_L_LINE,  /* a straight line */
    LEXP_L_RECT,  /* a rectangle, stroked and/or filled */
    LEXP_L_IMAGE, /* an image file scaled into a box */
    LEXP_L_WEDGE  /* a pie slice */
} lexp__lkind;

typedef struct lexp__lglyph {
    uint32_t gid; /* glyph in the face of the item's slot */
    uint32_t cp;  /* the character it shows */
    float x;      /* pen position relative to the item's x */
    uint8_t half; /* a full-width mark set at half its advance */
} lexp__lglyph;

typedef struct lexp__litem {
    lexp__lkind kind;
    double x, y; /* text: baseline origin; line: start; rect/image: top-left;
                    wedge: centre */
    union {
        struct {
            int slot; /* lexp__fonts face */
            float size;
            uint32_t color;
            uint8_t bold, italic;
            uint8_t invisible; /* characters no font has: text layer only */
            uint32_t n;
            lexp__lglyph *g;
        } text;
        struct {
            double x2, y2, width;
            uint32_t color;
        } line;
        struct {
            double w, h, width;
            uint32_t stroke, fill;
            uint8_t do_stroke, do_fill;
        } rect;
        struct {
            double w, h;
            const char *path; /* as the data wrote it when base is set */
            const char *base; /* the data folder it must stay in, or NULL */
        } image;
        struct {
            double r;
            double a0, a1; /* degrees, clockwise from twelve o'clock */
            uint32_t fill, stroke;
        } wedge;
    } u;
} lexp__litem;

typedef struct lexp__lpage {
    lexp__litem *items;
    size_t n, cap;
    double area_x, area_y; /* the type area's top-left corner on this page */
    uint8_t unnumbered;    /* no page number: the 版记 page, blank pages before it */
    size_t dropped;        /* items handed over and freed (lexp__layout_stream) */
} lexp__lpage;

/* A bookmark: a heading and where it landed. */
typedef struct lexp__loutline {
    int level;         /* 1–4 */
    const char *title; /* number and text, UTF-8 */
    int page;          /* 0-based */
    double y;          /* top of the heading's first line */
} lexp__loutline;

typedef struct lexp__layout {
    lexp__arena arena;
    lexp__arena glyphs; /* the text items' glyphs (freed with their page when streaming) */
    const lexp_style *style;
    double page_w, page_h;
    lexp__lpage *pages;
    size_t npages, cappages;
    lexp__loutline *outline;
    size_t noutline, capoutline;
} lexp__layout;

/* Lay out a document. Warnings (missing images) go to opt->warn; fonts'
 * warnings are left to lexp__fonts_warn. */
int lexp__layout_doc(lexp__layout **out, const lexp_doc *doc, lexp__fonts *fonts,
                     const lexp_render_options *opt, lexp_error *err);
void lexp__layout_free(lexp__layout *l);

/* A long document is laid out page by page: each finished page is handed
 * to a callback and then freed (its entry in L->pages stays, without
 * items), so the layout never holds more than a page. */
typedef enum lexp__lphase {
    LEXP_LP_PASS,    /* a collecting pass begins: what earlier ones gave is void */
    LEXP_LP_COLLECT, /* a page of a pass that may yet be redone (the page numbers
                        of the settled pass come at its end, alone on their pages) */
    LEXP_LP_DRAW     /* a page of the settled layout, whole */
} lexp__lphase;
typedef int (*lexp__page_fn)(void *ctx, const lexp__layout *L, size_t page,
                             lexp__lphase phase);
/* lexp__layout_doc, every page handed to fn as it is finished: the passes
 * the keep rules need as LEXP_LP_COLLECT, then the settled layout once
 * more as LEXP_LP_DRAW, its pages what lexp__layout_doc gives. A failure
 * of fn (it sets err) stops the layout. */
int lexp__layout_stream(lexp__layout **out, const lexp_doc *doc, lexp__fonts *fonts,
                        const lexp_render_options *opt, lexp__page_fn fn, void *ctx,
                        lexp_error *err);

/* ---- exposed for unit tests ---------------------------------------------- */

/* Break and justify one paragraph of plain text in `role` at `size` into
 * lines `width` wide (first line indented by `indent`), as the body text is
 * set. Returns the number of lines (or -1 on error); each line's text (its
 * characters, UTF-8, one string per line) and natural/placed widths are
 * written to the caller's arrays up to `max` lines. */
int lexp__layout_break_text(lexp__fonts *fonts, const char *text, int role, double size,
                            double width, double indent, int justify, char **lines,
                            double *widths, int max, lexp_error *err);

/* Where each character of a paragraph set as lexp__layout_break_text sets
 * it (justified, no indent) goes: its line, its pen position and the
 * glyph's origin (they differ for a mark at half width, drawn shifted by
 * its side bearing), its advance as placed. Returns the number of
 * characters (*out, malloc'd, one per character), or -1. */
typedef struct lexp__lplaced {
    uint32_t cp;
    int line;
    float pen, x, adv;
    int half; /* set at half width */
    lexp__glyph g;
} lexp__lplaced;
int lexp__layout_place_text(lexp__fonts *fonts, const char *text, int role, double size,
                            double width, lexp__lplaced **out, lexp_error *err);

#endif
