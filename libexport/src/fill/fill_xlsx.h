/*
 * The Excel filler's shared state and the functions its files call in
 * each other (fill_xlsx.c describes the whole).
 *
 *   fill_xlsx.c          small helpers, the workbook, the entry point
 *   fill_xlsx_map.c      the row mapping: template rows to output rows
 *   fill_xlsx_compile.c  cells to programs, rows to a statement tree
 *   fill_xlsx_gen.c      running the tree: the sheet's new rows
 *   fill_xlsx_formulas.c formulas in filled and other sheets
 *   fill_xlsx_adjust.c   everything else that refers to rows
 */
#ifndef LEXP_FILL_XLSX_H
#define LEXP_FILL_XLSX_H

#include "fill.h"

/* XC_STMT: a cell that is one block tag alone ({% for %}, {% endif %} …),
 * a statement over rows or, with its partner in the same row, columns;
 * XC_EMPTY: such a cell in a row that is kept, written empty. */
enum { XC_COPY = 0, XC_FORMULA, XC_TEXT, XC_TYPED, XC_STMT, XC_EMPTY };

typedef struct xs_cell {
    xmlNodePtr node;
    uint32_t col;
    uint8_t kind;
    fx_op *prog;   /* XC_TEXT: the cell's program; XC_TYPED: its one OP_EXPR */
    char *formula; /* XC_FORMULA: in template coordinates (shared ones expanded) */
    xmlNodePtr f;
    const fx_tag *stmt; /* XC_STMT */
    int as_formula;     /* XC_TEXT, XC_TYPED: the template wrote a formula ('=' first) */
} xs_cell;

typedef struct xs_row {
    xmlNodePtr node;
    uint32_t r;
    xs_cell *cells;
    int ncells;
    const fx_tag *tag; /* a {%tr %} row, or a row statement in a cell alone */
    const xs_cell *tag_cell;
    int cols;          /* block tags alone in this many cells: blocks over columns */
    fx_op *cprog;      /* then: the row's cells and gaps under those blocks */
    int ncloops;
    int keep;          /* a row statement's row holds other values: kept, tag cell emptied */
    fx_op *loop;       /* the loop it is generated in */
} xs_row;

typedef struct xs_iter {
    const fx_op *loop;
    uint32_t parent; /* the enclosing iteration's serial */
    uint32_t a, b;   /* output rows [a, b), 0-based */
} xs_iter;

typedef struct xs_formula {
    xmlNodePtr text; /* the output <f>'s text node */
    xmlNodePtr cell;
    const char *src;
    uint32_t o, trow, iter;
    int32_t k; /* the iteration of the column loop it is in, or -1 */
} xs_formula;

/* The columns of a row with blocks over columns, as its first copy made
 * them: every reference to the row's cells is moved with this. */
typedef struct xs_cmap {
    uint32_t trow;
    uint32_t n, max_t; /* output columns made; the row's last template column */
    uint32_t *tcol;    /* by output column - 1: its template column */
    int32_t *k;        /* by output column - 1: column loop iteration, -1 outside */
    /* copies of template column t: output columns tlist[tstart[t] … tstart[t+1]),
     * ascending; next/prev: the nearest template column with copies at or
     * after / at or before t (0: none) */
    uint32_t *tstart, *tlist, *next, *prev;
} xs_cmap;

typedef struct xs_hf {
    xmlNodePtr node;
    fx_op *prog;
} xs_hf;

typedef struct xs_sheet {
    char *name, *part;
    fx_entry *e;
    xmlDocPtr doc;
    xmlNodePtr sheetData;
    int tags, moved, changed;
    xs_row *rows;
    int nrows;
    uint32_t max_trow;
    fx_op *items;
    fx_op **trow_loop;   /* by template row */
    uint32_t *body_lo, *body_hi; /* by loop id */
    int nloops;
    xs_hf *hf;
    int nhf;
    /* generation */
    fx_copier k;
    uint32_t nout, capout;
    uint32_t *out_trow, *out_iter;
    xs_iter *iters; /* by serial, [0] unused */
    uint32_t niters, capiters;
    uint32_t *cur; /* by loop id: current serial */
    uint32_t inner;
    uint32_t *csr_start, *csr;
    uint32_t *seg_min, *seg_max, seg_n;
    xs_formula *fs;
    int nfs, capfs;
    /* blocks over columns */
    xs_cmap *cmaps;      /* one per template row with them, in row order */
    int ncmaps;
    int *trow_cmap; /* by template row: its index in cmaps + 1, 0 none (NULL: no such row) */
} xs_sheet;

typedef struct xs_book {
    fx_ctx *c;
    xs_sheet *sheets;
    int nsheets;
    char **sst;
    uint32_t nsst;
    int sst_tags;
    char *wb_part;
    int any_changed, any_moved;
    xmlNodePtr *wraps; /* output cells whose text has line breaks: wrapText on */
    size_t nwraps, capwraps;
} xs_book;

#define NONE UINT32_MAX
#define FX_XLSX_MAX_FORMULA 8192u /* characters, without the '=' */

typedef struct xs_pos {
    uint32_t o, trow, iter;
    int32_t k; /* column loop iteration, -1 outside one */
} xs_pos;

typedef struct xs_shared {
    uint32_t si, row, col;
    const char *text;
} xs_shared;

typedef int (*xs_part_fn)(xs_book *B, xs_sheet *s, xmlNodePtr root, int *changed);

/* fill_xlsx.c */
int xs_wrap_styles(xs_book *B, const char *styles);
int xs_set_attr(fx_ctx *c, xmlNodePtr n, const char *name, const char *v);
void xs_del_attr(xmlNodePtr n, const char *name);
char *xs_text_dup(const xmlNode *n);
void xs_rich_text(const xmlNode *n, lexp__sbuf *b);
xs_sheet *xs_find_sheet(xs_book *B, const char *name, size_t n, int quoted);
/* The word of a block tag kind: "for", "endif" … */
const char *xs_tag_word(int k);
int xs_looks_quoted(const char *s, const char *formula_start);
/* fill_xlsx_map.c */
fx_op *xs_loop_of(const xs_sheet *s, uint32_t t);
int xs_seg_build(fx_ctx *c, xs_sheet *s);
uint32_t xs_lower(const xs_sheet *s, uint32_t r1, uint32_t r2, uint32_t a, uint32_t b,
                  const fx_op *L);
uint32_t xs_upper(const xs_sheet *s, uint32_t r1, uint32_t r2, uint32_t a, uint32_t b,
                  const fx_op *L);
uint32_t xs_beyond(const xs_sheet *s, uint32_t t);
uint32_t xs_map_single(const xs_sheet *s, uint32_t t, int abs, const xs_pos *ctx);
int xs_map_range(const xs_sheet *s, uint32_t r1, int abs1, uint32_t r2, int abs2, const xs_pos *ctx,
                 uint32_t *o1, uint32_t *o2);
int xs_rewrite(xs_book *B, xs_sheet *own, const xs_pos *pos, const char *where, const char *src,
               lexp__sbuf *out, int *changed);
int xs_map_sqref(xs_book *B, xs_sheet *s, const char *src, lexp__sbuf *out);
/* fill_xlsx_compile.c */
int xs_sst_load(xs_book *B, const char *part);
int xs_sheet_compile(xs_book *B, xs_sheet *s);
int xs_sheet_structure(xs_book *B, xs_sheet *s);
/* fill_xlsx_gen.c */
int xs_sheet_generate(xs_book *B, xs_sheet *s);

/* fill_xlsx_cols.c */
int xs_col_structure(xs_book *B, xs_sheet *s, xs_row *row);
struct xs_gen;
int xs_gen_cols(struct xs_gen *g, const xs_row *row, xmlNodePtr orow, uint32_t o);
int xs_cmap_finish(fx_ctx *c, xs_sheet *s);
void xs_map_cols(const xs_cmap *m, fx_ref *r, int32_t k);
int xs_adjust_widths(xs_book *B, xs_sheet *s);
void xs_cmaps_free(xs_sheet *s);
/* fill_xlsx_gen.c */
typedef struct xs_gen {
    xs_book *B;
    xs_sheet *s;
    lexp__sbuf text;
    int amp; /* page header/footer: '&' starts a code there, so values double it */
} xs_gen;
int xs_gen_cell(xs_gen *g, const xs_row *row, const xs_cell *cell, xmlNodePtr orow, uint32_t o,
                uint32_t ocol, int32_t kcol);
/* fill_xlsx_formulas.c */
int xs_set_text(fx_ctx *c, xmlNodePtr n, const char *s);
int xs_sheet_formulas(xs_book *B, xs_sheet *s);
int xs_other_formulas(xs_book *B, xs_sheet *s);
/* fill_xlsx_adjust.c */
int xs_sheet_adjust(xs_book *B, xs_sheet *s);
int xs_with_part(xs_book *B, xs_sheet *s, const char *name, xs_part_fn fn);
int xs_related_parts(xs_book *B, xs_sheet *s);
int xs_chart_fn(xs_book *B, xs_sheet *s, xmlNodePtr root, int *changed);

#endif
