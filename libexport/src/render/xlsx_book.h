/*
 * The workbook writer under the XLSX renderer.
 *
 * It turns tables into worksheets one row at a time, on top of the
 * SpreadsheetML writer (xlsx_write.h). The renderer (xlsx.c) walks a document tree and pushes the
 * rows of each table; a producer with more rows than it wants to hold in
 * memory (the 1,000,000-row benchmark, a streaming ledger export) pushes
 * rows as it makes them and never builds a tree. Both get the same sheet:
 *
 *   row 1        merged title row (the caption, or the document title)
 *   rows 2..     header rows: bold, bordered, merged where they span
 *   then         body rows: typed numbers, dates and percentages with their
 *                number formats, text, merged spans; totals rows (合计…)
 *                get live =SUM() formulas written with their values
 *   below        charts, with their data when it is not a range of the table
 *
 * plus column widths measured from the cells (a Han character counts two),
 * frozen header, autofilter, A4 print setup with repeated header rows and
 * a 第 &P 页 共 &N 页 footer.
 *
 * Everything the writer keeps per sheet is bounded by the number of
 * columns (and a few small fixed tables), never by the number of rows
 * (but for the list of merged ranges), so in constant-memory mode (the
 * writer's streaming mode: rows are deflated to a scratch file as they
 * come) memory stays flat however many rows arrive. Merges that span rows
 * are registered when their last row is reached, as the merges of a table
 * cut short are then cut to the rows that exist.
 *
 * Usage:
 *
 *   lexp__xbook *b;
 *   lexp__xbook_open(&b, &props, err);
 *   lexp__xsheet *s;
 *   lexp__xsheet_table(&s, b, &spec, err);      header rows go in the spec
 *   lexp__xsheet_row(s, &row, err);             once per body row
 *   lexp__xsheet_chart(s, &chart, err);         optional, after the rows
 *   lexp__xsheet_end(s, err);
 *   ...further sheets...
 *   lexp__xbook_close(b, out, err);             bytes into `out` (or the file)
 *
 * After a failure call lexp__xbook_discard(b) (any open sheet is freed with
 * it). All functions return 0 or a negative lexp_code with `err` filled.
 */
#ifndef LEXP_XLSX_BOOK_H
#define LEXP_XLSX_BOOK_H

#include "render.h"

typedef struct lexp__xbook lexp__xbook;
typedef struct lexp__xsheet lexp__xsheet;

/* One cell. `text` is what the text renderer shows (one line, NUL
 * terminated); the typed fields say what number it is, as in doc.h. A
 * typed cell may come without its text (NULL): a producer streaming many
 * rows need not format numbers only for the column widths. */
typedef struct lexp__xcell {
    const char *text;
    lexp_cellkind kind;
    double num;
    int decimals;
    int thousands;
    const char *datefmt;
    const char *formula;  /* a number's formula ("=C5/B5"), its value cached */
    int colspan, rowspan; /* ≥ 1 on an anchor; 0 counts as 1 */
    int covered;          /* inside another cell's span: written blank */
    lexp_align align;
    uint32_t flags;       /* LEXP_RUN_BOLD/ITALIC/COLOR for the whole cell */
    uint32_t color;
    const lexp_runs *runs; /* runs of differing looks → rich text; else NULL */
} lexp__xcell;

/* A row of exactly `ncols` cells. */
typedef struct lexp__xrow {
    const lexp__xcell *cells;
    int total; /* a totals row */
} lexp__xrow;

typedef struct lexp__xtable {
    const char *name;  /* wanted sheet name: cleaned, shortened, made unique */
    const char *title; /* merged title row; NULL or "" for none */
    int ncols;
    int nheader;
    const lexp__xrow *header; /* nheader rows, written before any body row */
    /* Add a column chart when the table is a by-category statistic (unique
     * text labels in the first column, a numeric column, a totals row) and
     * no chart was given for it. */
    int auto_chart;
} lexp__xtable;

typedef struct lexp__xchart {
    lexp_chartkind kind;
    const char *title;
    const char *series; /* name of the value series, may be NULL */
    int n;
    const char *const *labels;
    const double *values;
} lexp__xchart;

typedef struct lexp__xprops {
    const char *title, *subject, *author, *keywords;
    const char *date; /* "YYYY-MM-DD": creation time in the file; never the clock */
    /* Write the whole workbook in constant-memory mode (rows stream to disk).
     * Needed for large tables; costs a scratch file per sheet and one for
     * the archive, in $TMPDIR (else /tmp). */
    int constant_memory;
    /* Write the workbook to this file; NULL: to a private temporary file
     * whose bytes lexp__xbook_close returns. */
    const char *path;
    const lexp_render_options *opt; /* warnings (may be NULL) */
} lexp__xprops;

/* Rows a worksheet holds (Excel's limit). */
#define LEXP__XLSX_MAX_ROWS 1048576u
#define LEXP__XLSX_MAX_COLS 16384

int lexp__xbook_open(lexp__xbook **out, const lexp__xprops *props, lexp_error *err);
/* Finish the workbook. With props.path NULL the file's bytes are appended
 * to `out`; otherwise `out` may be NULL. Frees the book in every case. */
int lexp__xbook_close(lexp__xbook *b, lexp__sbuf *out, lexp_error *err);
/* The same, the workbook written to the file `to` (atomically, as
 * lexp_write_file does) rather than into `out` (NULL). */
int lexp__xbook_close_to(lexp__xbook *b, lexp__sbuf *out, const char *to, lexp_error *err);
/* Drop a book after a failure: nothing is written, temporary files go. */
void lexp__xbook_discard(lexp__xbook *b);

/* A worksheet that is a table (see the top of this file). */
int lexp__xsheet_table(lexp__xsheet **out, lexp__xbook *b, const lexp__xtable *spec,
                       lexp_error *err);
int lexp__xsheet_row(lexp__xsheet *s, const lexp__xrow *row, lexp_error *err);
/* The (0-based) row the next lexp__xsheet_row writes. */
uint32_t lexp__xsheet_next_row(const lexp__xsheet *s);

/* A worksheet of text lines in one wide column: for documents without
 * tables. `title` becomes the first line. */
int lexp__xsheet_text(lexp__xsheet **out, lexp__xbook *b, const char *name,
                      const char *title, lexp_error *err);

typedef enum lexp__xline {
    LEXP__XLINE_BODY = 0,
    LEXP__XLINE_TITLE,   /* large and bold */
    LEXP__XLINE_HEADING, /* bold */
    LEXP__XLINE_RIGHT    /* right aligned (signature) */
} lexp__xline;

int lexp__xsheet_line(lexp__xsheet *s, const char *text, lexp__xline style, lexp_error *err);

/* A native chart below what the sheet holds so far (after its rows). When
 * the labels and values are a column pair of the table's body the chart
 * refers to those cells; otherwise its data is written above it. */
int lexp__xsheet_chart(lexp__xsheet *s, const lexp__xchart *chart, lexp_error *err);

/* Widths, filter, print setup, pending merges; frees the sheet. */
int lexp__xsheet_end(lexp__xsheet *s, lexp_error *err);

/* ---- helpers, exposed for the renderer and unit tests ---------------------- */

/* The spreadsheet number format for a typed cell into b ("" when none). */
void lexp__xlsx_numfmt(lexp__sbuf *b, lexp_cellkind kind, int decimals, int thousands,
                       const char *datefmt);

/* If `s` is a plain number as people write it in a table — "120", "-3.50",
 * "12,130", "35.0%" — set the typed fields of `c` (kind, num, decimals,
 * thousands) and return 1. What a number would change stays text (0):
 * "007", "+5", "1e5", "-0", "1,23", more than 15 significant digits, and
 * bare digit strings longer than 10 (telephone, ID card, account numbers). */
int lexp__xlsx_text_number(const char *s, lexp__xcell *c);

/* Make `name` a valid sheet name into dst (≥ 128 bytes): no []:*?/\ or
 * control characters, no ' at either end, at most 31 UTF-16 units; ""
 * when nothing is left. */
void lexp__xlsx_sheet_name(char *dst, const char *name);

#endif
