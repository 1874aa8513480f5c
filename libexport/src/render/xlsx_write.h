/*
 * The SpreadsheetML writer under the workbook writer (xlsx_book.c).
 *
 * It writes the parts of an .xlsx package itself — worksheets, styles,
 * workbook, drawings and charts, document properties — into memory and
 * zips them with libzip, the larger parts deflated by libdeflate
 * (util/zipsrc.c). It replaced libxlsxwriter 1.1.4, which passes every
 * part through a temporary file and a fresh zlib stream: two thirds of a
 * small workbook's time went to that.
 *
 * Rows are written in order (a row before the current one is an error);
 * within the current row cells may come in any order, a cell written
 * twice keeps the second value. A row is serialised when a later row
 * starts, so a worksheet holds only its current row, its merges and its
 * XML so far. In streaming mode (`stream` in the properties) the XML of
 * the rows is deflated as it grows into a scratch file in `tmpdir` and
 * the archive is written to a scratch file too, so memory stays flat
 * whatever the number of rows.
 *
 * Strings are written inline (t="inlineStr"): no shared-strings table to
 * hold, in either mode. All functions return 0 or a negative lexp_code
 * with `err` filled (where they take one).
 */
#ifndef LEXP_XLSX_WRITE_H
#define LEXP_XLSX_WRITE_H

#include <stdint.h>

#include "render.h"

typedef struct lexp__xw lexp__xw;
typedef struct lexp__xws lexp__xws;

/* A cell format (an entry of cellXfs). */
typedef struct lexp__xwfmt {
    uint8_t bold, italic;
    uint8_t wrap;    /* wrap text */
    uint8_t border;  /* thin border on all four sides */
    uint8_t halign;  /* LEXP__XW_LEFT… or 0 */
    uint8_t vcenter; /* vertically centred */
    uint8_t size;    /* font size in points, 0 = 11 */
    uint32_t color;  /* font colour 0xRRGGBB | LEXP__XW_SET, or 0 */
    uint32_t fill;   /* solid background 0xRRGGBB | LEXP__XW_SET, or 0 */
    const char *numfmt; /* number format code; NULL or "" = General */
} lexp__xwfmt;

#define LEXP__XW_SET (1u << 24)
enum { LEXP__XW_LEFT = 1, LEXP__XW_CENTER, LEXP__XW_RIGHT };

/* One fragment of rich text: its own font over the cell's. */
typedef struct lexp__xwfrag {
    const char *text;
    size_t len;
    uint8_t bold, italic;
    uint32_t color; /* 0xRRGGBB | LEXP__XW_SET, or 0 */
} lexp__xwfrag;

typedef struct lexp__xwprops {
    const char *title, *subject, *author, *keywords; /* clean UTF-8 or NULL */
    const char *created; /* "YYYY-MM-DDTHH:MM:SSZ" */
    int stream;          /* streaming mode (see the top) */
    const char *tmpdir;  /* where streaming mode keeps its scratch files */
} lexp__xwprops;

typedef struct lexp__xwchart {
    int pie;                  /* a pie chart, else clustered columns */
    const char *title;        /* NULL: none */
    const char *series;       /* the series' name, NULL: none */
    uint32_t first_row, last_row; /* the data: rows of this worksheet */
    int label_col, value_col;
    const char *const *labels; /* cached values, last_row - first_row + 1 each */
    const double *values;
    uint32_t at_row;           /* the chart's top-left cell is (at_row, 0) */
    const uint32_t *palette;   /* colours 0xRRGGBB */
    int ncolors;
} lexp__xwchart;

int lexp__xw_new(lexp__xw **out, const lexp__xwprops *p, lexp_error *err);
/* Free a workbook that is not closed (and any open worksheet). */
void lexp__xw_free(lexp__xw *w);
/* The style index (≥ 0) of a format, registered once; -1 when out of memory. */
int lexp__xw_format(lexp__xw *w, const lexp__xwfmt *f);
/* Write the package: its bytes appended to `out`, or (out NULL) the file
 * `to`, replaced atomically. Frees the workbook in every case. */
int lexp__xw_close(lexp__xw *w, lexp__sbuf *out, const char *to, lexp_error *err);

/* A new worksheet (the previous one must be ended); `name` is a valid,
 * unique sheet name. */
int lexp__xw_sheet(lexp__xw *w, const char *name, lexp__xws **out, lexp_error *err);
int lexp__xws_string(lexp__xws *s, uint32_t r, int c, const char *text, int style,
                     lexp_error *err);
int lexp__xws_rich(lexp__xws *s, uint32_t r, int c, const lexp__xwfrag *frags, int n,
                   int style, lexp_error *err);
int lexp__xws_number(lexp__xws *s, uint32_t r, int c, double v, int style, lexp_error *err);
/* A formula ("=SUM(C3:C9)" or without the '=') with its value cached. */
int lexp__xws_formula(lexp__xws *s, uint32_t r, int c, const char *f, double v, int style,
                      lexp_error *err);
int lexp__xws_blank(lexp__xws *s, uint32_t r, int c, int style, lexp_error *err);
int lexp__xws_row_height(lexp__xws *s, uint32_t r, double pt, lexp_error *err);
int lexp__xws_merge(lexp__xws *s, uint32_t r1, int c1, uint32_t r2, int c2, lexp_error *err);
int lexp__xws_chart(lexp__xws *s, const lexp__xwchart *ch, lexp_error *err);
/* Sheet settings, any time before lexp__xws_end. */
void lexp__xws_column(lexp__xws *s, int c, double width); /* c < the sheet's columns seen */
void lexp__xws_autofilter(lexp__xws *s, uint32_t r1, int c1, uint32_t r2, int c2);
void lexp__xws_freeze_rows(lexp__xws *s, uint32_t rows);
void lexp__xws_repeat_rows(lexp__xws *s, uint32_t r1, uint32_t r2);
void lexp__xws_print(lexp__xws *s, int landscape, const char *footer);
/* Finish the worksheet; it belongs to the workbook until lexp__xw_close. */
int lexp__xws_end(lexp__xws *s, lexp_error *err);

/* "A", "B", … "XFD" for a 0-based column; dst ≥ 4 bytes. */
void lexp__xw_col_name(char *dst, int col);

#endif
