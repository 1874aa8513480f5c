/*
 * The document tree: what a template evaluates to and the only thing
 * renderers see. A renderer never evaluates templates; the evaluator never
 * knows about formats.
 *
 *   DOCUMENT
 *   ├── TITLE (level 0 = title, 1 = subtitle)        runs
 *   ├── MASTHEAD  (简报 报头: fields)
 *   ├── HEADING (level 1–4, number "一、")            runs
 *   ├── PARAGRAPH (align, indent)                     runs
 *   ├── LIST (ordered) ── ITEM (number)               runs
 *   ├── TABLE (ncols, header_rows, aligns)
 *   │     └── ROW (header / total) ── CELL (span, value)   runs
 *   ├── IMAGE (path, caption)   CHART (kind, labels, values)
 *   ├── PAGEBREAK  RULE
 *   ├── SIGNATURE (落款: issuer, date)
 *   └── DISTRIBUTION (报/送/发, copies)
 *
 * Every row of a table has exactly `ncols` cells; a cell covered by
 * another's colspan/rowspan is present with `covered` set, so renderers can
 * index the grid directly. All memory belongs to the document's arena.
 */
#ifndef LEXP_DOC_H
#define LEXP_DOC_H

#include <stdint.h>

#include "../util/util.h"

typedef enum lexp_preset {
    LEXP_PRESET_PLAIN = 0,
    LEXP_PRESET_GBT9704 = 1,
    LEXP_PRESET_BRIEFING = 2
} lexp_preset;

typedef enum lexp_ntype {
    LEXP_N_DOCUMENT,
    LEXP_N_TITLE,
    LEXP_N_HEADING,
    LEXP_N_PARAGRAPH,
    LEXP_N_LIST,
    LEXP_N_ITEM,
    LEXP_N_TABLE,
    LEXP_N_ROW,
    LEXP_N_CELL,
    LEXP_N_IMAGE,
    LEXP_N_CHART,
    LEXP_N_PAGEBREAK,
    LEXP_N_RULE,
    LEXP_N_MASTHEAD,
    LEXP_N_SIGNATURE,
    LEXP_N_DISTRIBUTION
} lexp_ntype;

typedef enum lexp_align {
    LEXP_ALIGN_DEFAULT = 0, /* body: justified; cells: left, numbers right */
    LEXP_ALIGN_LEFT,
    LEXP_ALIGN_CENTER,
    LEXP_ALIGN_RIGHT,
    LEXP_ALIGN_JUSTIFY
} lexp_align;

/* Run flags */
#define LEXP_RUN_BOLD 1u
#define LEXP_RUN_ITALIC 2u
#define LEXP_RUN_COLOR 4u /* `color` is meaningful */

/* A stretch of text with one look. `role` < 0 means the style's font. */
typedef struct lexp_run {
    const char *text; /* UTF-8, NUL-terminated */
    uint32_t len;
    uint32_t flags;
    uint32_t color; /* 0xRRGGBB */
    int role;
} lexp_run;

typedef struct lexp_runs {
    lexp_run *v;
    uint32_t n;
} lexp_runs;

/* What a table cell holds, so XLSX stores numbers as numbers. */
typedef enum lexp_cellkind {
    LEXP_CELL_TEXT = 0,
    LEXP_CELL_NUMBER,  /* num; decimals; thousands */
    LEXP_CELL_PERCENT, /* num is the fraction (0.35 for 35%); decimals */
    LEXP_CELL_DATE,    /* num is the spreadsheet serial date; datefmt */
    LEXP_CELL_MONEY    /* num in yuan */
} lexp_cellkind;

typedef enum lexp_chartkind { LEXP_CHART_BAR = 0, LEXP_CHART_PIE = 1 } lexp_chartkind;

typedef struct lexp_node lexp_node;
typedef struct lexp__spool lexp__spool; /* spool.c */

struct lexp_node {
    lexp_ntype type;
    unsigned formats; /* 0: every format; else bits (1u << LEXP_FORMAT_*) from ::: only */
    lexp_node *parent, *first, *last, *next, *prev;
    const char *src_file; /* template that produced the node */
    int line, col;        /* its position there */
    lexp_runs runs;       /* TITLE, HEADING, PARAGRAPH, ITEM, CELL */
    union {
        struct {
            int level; /* 0 title, 1 subtitle */
        } title;
        struct {
            int level;          /* 1–4 */
            const char *number; /* "一、", "（一）", "1.", "（1）" or "" */
        } heading;
        struct {
            lexp_align align;
            int indent; /* first-line indent in characters (2 for body) */
        } para;
        struct {
            int ordered;
        } list;
        struct {
            const char *number; /* "1." for ordered lists, "" for bullets */
        } item;
        struct {
            int ncols;
            int header_rows;
            lexp_align *aligns; /* ncols entries */
            const char *caption; /* from "Table: …"; drawn above the table */
            lexp__spool *spool;  /* body rows moved out of the tree, or NULL:
                                    read every table's rows with lexp__rowit */
            int resolved;        /* leading rows whose spans are final (expand.c) */
        } table;
        struct {
            int header;
            int total; /* a totals row: 合计/总计/小计, or marked {.total} */
        } row;
        struct {
            int colspan, rowspan; /* ≥ 1 on the anchor cell */
            int covered;          /* part of another cell's span */
            lexp_align align;     /* the column's, unless overridden */
            lexp_cellkind kind;
            double num;
            int decimals;
            int thousands;
            const char *datefmt; /* template date pattern, e.g. "M月D日" */
            const char *formula; /* from the formula filter: "C{r}/B{r}" */
        } cell;
        struct {
            const char *path; /* as written (relative to the data's directory) */
            const char *resolved; /* absolute or base-relative path to open */
            const char *base;     /* the data folder the file must resolve into */
            const char *caption;
            double width; /* fraction of the type area width, 0 = natural */
        } image;
        struct {
            lexp_chartkind kind;
            const char *title;
            const char *series; /* name of the value series, e.g. "参与人次" */
            int n;
            const char **labels;
            double *values;
        } chart;
        struct {
            const char *title;  /* 民族团结工作简报 */
            const char *issue;  /* 第9期 */
            const char *issuer; /* 秦渠社区居委会 */
            const char *date;   /* 2024年9月30日 */
            const char *note;   /* optional 内部资料 / 密级, top left */
        } masthead;
        struct {
            const char *issuer;
            const char *date;
        } signature;
        struct {
            const char *report_to;     /* 报: joined with 、 */
            const char *send_to;       /* 送 */
            const char *distribute_to; /* 发 */
            int copies;                /* 0 = not printed */
            const char *printer;       /* optional 印发机关 */
            const char *date;          /* optional 印发日期 */
        } dist;
    } u;
};

typedef struct lexp_page_setup lexp_page_setup;

struct lexp_doc {
    lexp__arena arena;
    lexp_node *root;
    lexp_preset preset;
    /* Metadata (PDF info, DOCX core properties, XLSX properties). */
    const char *title;
    const char *subtitle;
    const char *author;
    const char *subject;
    const char *keywords;
    const char *date;     /* document date YYYY-MM-DD: creation time of outputs */
    int numbering;        /* number headings 一、(一)1.(1) */
    int page_numbers;     /* print page numbers */
    /* Fonts from the template's front matter: path per role, or NULL. */
    const char *font_path[LEXP_ROLE_COUNT];
    int font_index[LEXP_ROLE_COUNT];
    const char *base_dir; /* for images */
    const char *src_file; /* template name */
    unsigned formats;     /* the template's formats: (bits 1u << LEXP_FORMAT_*), 0: all */
    lexp__spool *spools;  /* every table's spool, freed with the document */
};

/* ---- building (used by the evaluator and by renderer tests) -------------- */

/* A new empty document (root DOCUMENT node). NULL on out of memory. */
struct lexp_doc *lexp__doc_new(void);
lexp_node *lexp__node_new(struct lexp_doc *d, lexp_ntype type);
void lexp__node_append(lexp_node *parent, lexp_node *child);
/* Append a run (text copied into the arena). Returns 0 or -1 (no memory). */
int lexp__node_add_run(struct lexp_doc *d, lexp_node *n, const char *text, size_t len,
                       uint32_t flags, uint32_t color, int role);
char *lexp__doc_strdup(struct lexp_doc *d, const char *s);
/* A table with ncols columns and the given rows; each row gets ncols plain
 * text cells. Convenience for tests. */
lexp_node *lexp__table_new(struct lexp_doc *d, int ncols);
lexp_node *lexp__row_add(struct lexp_doc *d, lexp_node *table);
lexp_node *lexp__cell_add(struct lexp_doc *d, lexp_node *row, const char *text);

/* Make every string of the finished tree clean text (util/clean.c): the
 * evaluator calls it last. 0, or -1 when out of memory. */
int lexp__doc_clean(struct lexp_doc *d);
/* The same for one node's own strings (not its children). */
int lexp__node_clean(struct lexp_doc *d, lexp_node *n);
/* Take a node out of its parent's children. */
void lexp__node_unlink(lexp_node *n);

/* ---- long tables: rows spooled out of the tree (spool.c) ---------------- */

/* The document whose arena holds the rows the evaluator still keeps in a
 * streamed table's tree (they may be released and rebuilt); NULL on out of
 * memory. */
struct lexp_doc *lexp__spool_rows_doc(struct lexp_doc *d, lexp_node *table);
/* Move a finished row (spans resolved) from the tree to the table's spool:
 * its text is cleaned, encoded and the node unlinked. 0, or -1 when out of
 * memory or the temporary file fails. */
int lexp__spool_row(struct lexp_doc *d, lexp_node *table, lexp_node *row);
/* Once the rows document's arena has grown past a megabyte, rebuild the
 * table's last row (the only one still held) after emptying that arena.
 * The row's node (the same or a new one), or NULL on failure. */
lexp_node *lexp__spool_rehome(struct lexp_doc *d, lexp_node *table, lexp_node *row);
void lexp__spools_free(struct lexp_doc *d);
uint32_t lexp__spool_count(const lexp__spool *s);

/* Every row of a table in order: tree rows and spooled ones. A spooled row
 * is rebuilt in the iterator's arena and valid until the next call. */
typedef struct lexp__rowit {
    const lexp_node *table, *tree;
    const lexp__spool *s;
    int phase, failed; /* failed: out of memory or the spool's file failed */
    uint32_t k;
    uint64_t off;
    lexp__arena A;
    lexp__arena_mark mark;
    lexp__sbuf buf; /* file bytes from boff */
    uint64_t boff;
    size_t blen;
} lexp__rowit;
void lexp__rowit_begin(lexp__rowit *it, const lexp_node *table);
const lexp_node *lexp__rowit_next(lexp__rowit *it); /* NULL at the end (or failed) */
void lexp__rowit_end(lexp__rowit *it);
/* The table itself when nothing is spooled, else a copy with every row in
 * its tree, in A (for renderers that hold a whole table anyway); NULL on
 * failure. */
const lexp_node *lexp__table_whole(const lexp_node *t, lexp__arena *A);

/* ---- reading ------------------------------------------------------------- */

/* Whether a top-level node is rendered in `format`. The text view shows
 * what the printed documents (PDF, DOCX) show. */
static inline int lexp__node_shown(const lexp_node *n, int format)
{
    unsigned f = n->formats;
    if (f == 0)
        return 1;
    if (format == LEXP_FORMAT_TXT)
        f |= (f >> LEXP_FORMAT_PDF & 1u) << LEXP_FORMAT_TXT |
             (f >> LEXP_FORMAT_DOCX & 1u) << LEXP_FORMAT_TXT;
    return (f >> format) & 1u;
}

/* Concatenated text of a node's runs into b. */
void lexp__runs_text(lexp__sbuf *b, const lexp_runs *r);
/* Cell at (row, col) of a table (counting all rows), or NULL. */
const lexp_node *lexp__table_cell(const lexp_node *table, int row, int col);
/* Number of rows of a table (spooled ones too). */
int lexp__table_rows(const lexp_node *table);

#endif
