/*
 * What the two halves of the SpreadsheetML writer share: xlsx_write.c
 * (styles, worksheets, cells) and xlsx_package.c (the other parts, charts,
 * the zip). Not for other files.
 */
#ifndef LEXP_XLSX_WRITE_INT_H
#define LEXP_XLSX_WRITE_INT_H

#include <stdio.h>
#include <zlib.h>

#include "xlsx_write.h"
#include "util/zipsrc.h"
#include "util/zspool.h"

typedef struct xw_font {
    uint8_t bold, italic, size;
    uint32_t color;
} xw_font;

typedef struct xw_xf {
    int font, fill, border, numfmt; /* numfmt: the numFmtId */
    uint8_t halign, vcenter, wrap;
} xw_xf;

/* A finished part: its bytes deflated (raw DEFLATE), with the CRC-32 and
 * size of what they inflate to. */
typedef struct xw_part {
    char *name;
    unsigned char *comp;
    size_t comp_len, size;
    uint32_t crc;
} xw_part;

/* A cell of the current row: its XML after `<c r="A1"`, in the row buffer. */
typedef struct xw_cell {
    int col;
    size_t off, len;
} xw_cell;

struct lexp__xws {
    lexp__xw *w;
    char *name;
    int index; /* 1-based sheet number */
    /* the current row */
    uint32_t row;
    int have_row;
    double height; /* 0: default */
    xw_cell *cells;
    size_t ncells, capcells;
    lexp__sbuf rowbuf;
    /* <sheetData> so far */
    lexp__sbuf data;
    uint64_t data_len; /* bytes of sheetData XML in all (spooled too) */
    /* streaming: sheetData deflated into a scratch file (sp.f set) */
    lexp__zspool sp;
    /* extent */
    int any;
    uint32_t r0, r1;
    int c0, c1;
    /* settings */
    double *colw;
    int ncolw;
    lexp__sbuf merges;
    uint64_t nmerges;
    int filter;
    uint32_t fr1, fr2;
    int fc1, fc2;
    uint32_t freeze;
    int repeat;
    uint32_t rep1, rep2;
    int print, landscape;
    char *footer;
    /* drawing: its charts' rows (uint32_t each) and descriptions (escaped,
     * each NUL-terminated) */
    lexp__sbuf chart_at, anchors;
    int ncharts, first_chart; /* its charts are chart<first_chart>.xml … */
    int ended;
    /* the finished worksheet part (not streamed), or its pieces (streamed) */
    xw_part part;
    lexp__zpiece head, tail; /* deflated, non-final / final; comp malloc'd */
};

struct lexp__xw {
    lexp__xwprops p;
    char *title, *subject, *author, *keywords, *created, *tmpdir;
    xw_font *fonts;
    size_t nfonts, capfonts;
    uint32_t *fills; /* solid fills; 0 and 1 are none and gray125 */
    size_t nfills, capfills;
    char **numfmts; /* custom formats, numFmtId 164 + i */
    size_t nnumfmts, capnumfmts;
    xw_xf *xfs;
    size_t nxfs, capxfs;
    lexp__xws **sheets;
    size_t nsheets, capsheets;
    lexp__xws *open;
    lexp__sbuf *charts; /* chart parts' XML */
    int ncharts, capcharts;
    lexp__deflater *dfl;
};

/* xlsx_write.c */
int lexp__xw_fail(lexp_error *err, const char *what);
/* Deflate `n` bytes into a part named `name` (copied). */
int lexp__xw_part(lexp__xw *w, xw_part *p, const char *name, const void *data, size_t n);
void lexp__xw_part_free(xw_part *p);
/* An absolute reference to rows r1..r2 of a column on sheet `s`:
 * 'Name'!$A$3:$A$9 */
void lexp__xw_ref(lexp__sbuf *b, const char *sheet, uint32_t r1, int c1, uint32_t r2, int c2);
void lexp__xw_num(lexp__sbuf *b, double v);

/* xlsx_package.c */
int lexp__xw_chart_xml(lexp__xws *s, const lexp__xwchart *ch, lexp__sbuf *out);
int lexp__xw_package(lexp__xw *w, lexp__sbuf *out, const char *to, lexp_error *err);

#endif
