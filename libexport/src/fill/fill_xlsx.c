/*
 * Excel templates: tags in cell text, {%tr %} row blocks, and everything
 * in the workbook that refers to rows.
 *
 * Each sheet's rows become a statement tree over "row" items ({%tr %} cells
 * are statements, rows absent from the file are GAP items, since an empty
 * row inside a block repeats with it). Generating a sheet writes new rows
 * with new numbers and records, for every output row, the template row it
 * came from and the loop iteration it belongs to. That record is the row
 * mapping every reference is moved with:
 *
 * - a relative row reference from a cell of a repeated block to a row of
 *   the same block means the copy made in the same iteration (=C5*D5 in
 *   every row), as when Excel copies rows down; an absolute one ($5), or a
 *   reference from outside the block, means the first copy;
 * - a range grows or shrinks to the rows its template rows became:
 *   SUM(B5:B5) under a loop over row 5 sums every copy, SUM(B4:B6) with
 *   the {%tr %} rows at 4 and 6 too; SUM(B$5:B5) inside the loop is a
 *   running total;
 * - merged cells inside a repeated block are repeated per iteration, and
 *   ones that span a block grow with it.
 *
 * Formulas are rewritten in every sheet (references to a filled sheet from
 * another one move too), then defined names (print area, print titles),
 * conditional formats, data validations, autofilters, hyperlinks, page
 * breaks, tables, drawing anchors and chart series. Cached values of
 * formulas in filled sheets are dropped, calcChain.xml is removed when
 * rows moved, and the workbook asks for a full recalculation on load.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill.h"

enum { XC_COPY = 0, XC_FORMULA, XC_TEXT, XC_TYPED };

typedef struct xs_cell {
    xmlNodePtr node;
    uint32_t col;
    uint8_t kind;
    fx_op *prog;   /* XC_TEXT: the cell's program; XC_TYPED: its one OP_EXPR */
    char *formula; /* XC_FORMULA: in template coordinates (shared ones expanded) */
    xmlNodePtr f;
} xs_cell;

typedef struct xs_row {
    xmlNodePtr node;
    uint32_t r;
    xs_cell *cells;
    int ncells;
    const fx_tag *tag; /* a {%tr %} row */
    const xs_cell *tag_cell;
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
} xs_formula;

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
} xs_book;

#define NONE UINT32_MAX

/* ==================================================================== */
/* small helpers                                                          */

static int set_attr(fx_ctx *c, xmlNodePtr n, const char *name, const char *v)
{
    if (!xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)v))
        return fx_oom(c);
    return 0;
}

static void del_attr(xmlNodePtr n, const char *name)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        if (strcmp((const char *)a->name, name) == 0) {
            xmlRemoveProp(a);
            return;
        }
}

static char *text_dup(const xmlNode *n)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    fx_text_of(n, &b);
    lexp__sbuf_cstr(&b);
    if (b.oom) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    if (!b.ptr)
        return strdup("");
    return b.ptr;
}

/* Text of a rich or plain string (<si>, <is>): its <t>, or its runs' <t>;
 * phonetic runs (<rPh>) are not text. */
static void rich_text(const xmlNode *n, lexp__sbuf *b)
{
    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (fx_is(k, "t"))
            fx_text_of(k, b);
        else if (fx_is(k, "r"))
            for (xmlNodePtr t = k->children; t; t = t->next)
                if (fx_is(t, "t"))
                    fx_text_of(t, b);
    }
}

static xs_sheet *find_sheet(xs_book *B, const char *name, size_t n, int quoted)
{
    char buf[256];
    size_t l = 0;
    for (size_t i = 0; i < n && l + 1 < sizeof buf; i++) {
        if (quoted && name[i] == '\'' && i + 1 < n && name[i + 1] == '\'')
            i++;
        buf[l++] = name[i];
    }
    buf[l] = 0;
    for (int i = 0; i < B->nsheets; i++)
        if (B->sheets[i].name && strcasecmp(B->sheets[i].name, buf) == 0)
            return &B->sheets[i];
    return NULL;
}

static int looks_quoted(const char *s, const char *formula_start)
{
    return s > formula_start && s[-1] == '\'';
}

/* ==================================================================== */
/* the row mapping                                                        */

static fx_op *loop_of(const xs_sheet *s, uint32_t t)
{
    return t >= 1 && t <= s->max_trow ? s->trow_loop[t] : NULL;
}

typedef struct xs_pos {
    uint32_t o, trow, iter;
} xs_pos;

static void scope_of(const xs_sheet *s, const xs_pos *ctx, uint32_t t, int abs, uint32_t *a,
                     uint32_t *b, const fx_op **L)
{
    *a = 0;
    *b = s->nout;
    *L = NULL;
    if (!ctx || abs)
        return;
    const fx_op *l = fx_lca(loop_of(s, ctx->trow), loop_of(s, t));
    if (!l)
        return;
    uint32_t it = ctx->iter;
    while (it && s->iters[it].loop != l)
        it = s->iters[it].parent;
    if (!it)
        return;
    *a = s->iters[it].a;
    *b = s->iters[it].b;
    *L = l;
}

/* Index of the first of the sorted output rows of template row t that is
 * not below x. */
static uint32_t rows_from(const xs_sheet *s, uint32_t t, uint32_t x, const uint32_t **v,
                          uint32_t *n)
{
    *v = s->csr + s->csr_start[t];
    *n = s->csr_start[t + 1] - s->csr_start[t];
    uint32_t lo = 0, hi = *n;
    while (lo < hi) {
        uint32_t m = lo + (hi - lo) / 2;
        if ((*v)[m] < x)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

/* The first (last) output row of template row t within [a, b). */
static uint32_t first_in(const xs_sheet *s, uint32_t t, uint32_t a, uint32_t b)
{
    const uint32_t *v;
    uint32_t n, i = rows_from(s, t, a, &v, &n);
    return i < n && v[i] < b ? v[i] : NONE;
}

static uint32_t last_in(const xs_sheet *s, uint32_t t, uint32_t a, uint32_t b)
{
    const uint32_t *v;
    uint32_t n, i = rows_from(s, t, b, &v, &n);
    return i > 0 && v[i - 1] >= a ? v[i - 1] : NONE;
}

/* Segment trees over template rows: the first and last output row each
 * made, for ranges in the whole sheet. */
static int seg_build(fx_ctx *c, xs_sheet *s)
{
    if (s->seg_min)
        return 0;
    uint32_t n = 1;
    while (n < s->max_trow + 1)
        n *= 2;
    s->seg_n = n;
    s->seg_min = malloc(2 * (size_t)n * sizeof *s->seg_min);
    s->seg_max = malloc(2 * (size_t)n * sizeof *s->seg_max);
    if (!s->seg_min || !s->seg_max)
        return fx_oom(c);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t f = NONE, l = 0;
        if (i >= 1 && i <= s->max_trow && s->csr_start[i + 1] > s->csr_start[i]) {
            f = s->csr[s->csr_start[i]];
            l = s->csr[s->csr_start[i + 1] - 1] + 1;
        }
        s->seg_min[n + i] = f;
        s->seg_max[n + i] = l;
    }
    for (uint32_t i = n; i-- > 1;) {
        uint32_t a = s->seg_min[2 * i], b = s->seg_min[2 * i + 1];
        s->seg_min[i] = a < b ? a : b;
        a = s->seg_max[2 * i];
        b = s->seg_max[2 * i + 1];
        s->seg_max[i] = a > b ? a : b;
    }
    return 0;
}

/* min of first / max of last (NONE when none) over template rows [l, r] */
static uint32_t seg_query(const xs_sheet *s, uint32_t l, uint32_t r, int want_max)
{
    const uint32_t *t = want_max ? s->seg_max : s->seg_min;
    uint32_t res = want_max ? 0 : NONE;
    for (l += s->seg_n, r += s->seg_n + 1; l < r; l >>= 1, r >>= 1) {
        if (l & 1) {
            uint32_t v = t[l++];
            res = want_max ? (v > res ? v : res) : (v < res ? v : res);
        }
        if (r & 1) {
            uint32_t v = t[--r];
            res = want_max ? (v > res ? v : res) : (v < res ? v : res);
        }
    }
    if (want_max)
        return res ? res - 1 : NONE;
    return res;
}

/* The first (last) output row made from template rows [r1, r2] in [a, b). */
static uint32_t bound(const xs_sheet *s, uint32_t r1, uint32_t r2, uint32_t a, uint32_t b,
                      const fx_op *L, int last)
{
    uint32_t hi = r2 < s->max_trow ? r2 : s->max_trow;
    if (r1 > hi)
        return NONE;
    if (!L)
        return seg_query(s, r1, hi, last);
    uint32_t best = NONE;
    uint32_t lo = r1 > s->body_lo[L->id] ? r1 : s->body_lo[L->id];
    if (hi > s->body_hi[L->id])
        hi = s->body_hi[L->id];
    for (uint32_t t = lo; t <= hi && t >= 1; t++) {
        uint32_t v = last ? last_in(s, t, a, b) : first_in(s, t, a, b);
        if (v != NONE && (best == NONE || (last ? v > best : v < best)))
            best = v;
    }
    return best;
}

static uint32_t lower(const xs_sheet *s, uint32_t r1, uint32_t r2, uint32_t a, uint32_t b,
                      const fx_op *L)
{
    return bound(s, r1, r2, a, b, L, 0);
}

static uint32_t upper(const xs_sheet *s, uint32_t r1, uint32_t r2, uint32_t a, uint32_t b,
                      const fx_op *L)
{
    return bound(s, r1, r2, a, b, L, 1);
}

static int64_t shift_of(const xs_sheet *s) { return (int64_t)s->nout - (int64_t)s->max_trow; }

static uint32_t beyond(const xs_sheet *s, uint32_t t)
{
    int64_t v = (int64_t)t + shift_of(s);
    return v >= 1 && v <= FX_XLSX_MAX_ROWS ? (uint32_t)v : 0;
}

/* The output row (1-based, 0: gone) of a single reference to template row t. */
static uint32_t map_single(const xs_sheet *s, uint32_t t, int abs, const xs_pos *ctx)
{
    if (t > s->max_trow)
        return beyond(s, t);
    uint32_t a, b;
    const fx_op *L;
    scope_of(s, ctx, t, abs, &a, &b, &L);
    uint32_t v = first_in(s, t, a, b);
    if (v != NONE)
        return v + 1;
    /* t made no row here (a {%tr %} row, a block that ran zero times):
     * the row that now stands where it was */
    v = lower(s, t + 1, s->max_trow, a, b, L);
    if (v != NONE)
        return v + 1;
    return b + 1 <= FX_XLSX_MAX_ROWS ? b + 1 : 0;
}

/* A range of template rows: 0 and (*o1, *o2) 1-based, or 1 if it covers no
 * row any more (then *o1 = *o2 = the row above where it was, 0 if none). */
static int map_range(const xs_sheet *s, uint32_t r1, int abs1, uint32_t r2, int abs2,
                     const xs_pos *ctx, uint32_t *o1, uint32_t *o2)
{
    if (r1 > r2) {
        uint32_t t = r1;
        r1 = r2;
        r2 = t;
        int ta = abs1;
        abs1 = abs2;
        abs2 = ta;
    }
    uint32_t a1, b1, a2, b2;
    const fx_op *L1, *L2;
    scope_of(s, ctx, r1, abs1, &a1, &b1, &L1);
    scope_of(s, ctx, r2, abs2, &a2, &b2, &L2);
    uint32_t lo = lower(s, r1, r2, a1, b1, L1);
    uint32_t hi = upper(s, r1, r2, a2, b2, L2);
    if (r2 > s->max_trow && !L2) {
        /* A range to the sheet's last row (Ctrl+Shift+Down, or 3:1048576)
         * means "to the end" and stays so whichever way the rows moved; an
         * end pushed past the last row stops there, as in Excel. */
        uint32_t v = r2 == FX_XLSX_MAX_ROWS ? r2 : beyond(s, r2);
        if (!v && shift_of(s) > 0)
            v = FX_XLSX_MAX_ROWS;
        hi = v ? v - 1 : NONE;
        if (lo == NONE && !L1) {
            uint32_t w = beyond(s, r1 > s->max_trow ? r1 : s->max_trow + 1);
            lo = w ? w - 1 : NONE;
        }
    }
    if (lo != NONE && hi != NONE && lo <= hi) {
        *o1 = lo + 1;
        *o2 = hi + 1;
        return 0;
    }
    uint32_t pos = r2 < s->max_trow ? lower(s, r2 + 1, s->max_trow, 0, s->nout, NULL) : NONE;
    if (pos == NONE)
        pos = s->nout;
    *o1 = *o2 = pos; /* index pos - 1, as a 1-based row */
    return 1;
}

/* ---- formulas: the callback of fx_formula_map ---- */

typedef struct ref_ctx {
    xs_book *B;
    xs_sheet *own;
    const xs_pos *pos;
    const char *where; /* for warnings */
    const char *formula;
} ref_ctx;

static int map_ref(fx_ref *r, void *p)
{
    ref_ctx *rc = p;
    if (r->external)
        return 0;
    xs_sheet *s = rc->own;
    if (r->sheet) {
        s = find_sheet(rc->B, r->sheet, r->sheet_len, looks_quoted(r->sheet, rc->formula));
        if (!s)
            return 0;
    }
    if (!s || !s->moved || r->kind == 'C')
        return 0;
    const xs_pos *ctx = s == rc->own ? rc->pos : NULL;
    if (r->kind == 'c') {
        r->row[0] = r->row[1] = map_single(s, r->row[0], r->rabs[0], ctx);
        return 0;
    }
    uint32_t o1, o2;
    uint32_t t1 = r->row[0], t2 = r->row[1];
    if (map_range(s, t1, r->rabs[0], t2, r->rabs[1], ctx, &o1, &o2)) {
        lexp__warn(rc->B->c->opt, rc->B->c->name,
                   "%s: %s: the range of rows %u:%u covers no rows after filling (the block "
                   "made none); it now refers to row %u, the row above",
                   rc->own ? rc->own->part : "", rc->where ? rc->where : "a formula", t1, t2, o1);
    }
    r->row[0] = o1;
    r->row[1] = o2;
    return 0;
}

static int rewrite(xs_book *B, xs_sheet *own, const xs_pos *pos, const char *where,
                   const char *src, lexp__sbuf *out, int *changed)
{
    ref_ctx rc = {B, own, pos, where, src};
    out->len = 0;
    if (fx_formula_map(src, strlen(src), map_ref, &rc, out, changed))
        return -1;
    lexp__sbuf_cstr(out);
    return out->oom ? fx_oom(B->c) : 0;
}

/* A reference list ("A1:B2 C3") in a sheet: each as a range in the whole
 * sheet; ones that cover nothing are left out. Returns the new list in out
 * (empty when nothing is left). */
static int map_sqref(xs_book *B, xs_sheet *s, const char *src, lexp__sbuf *out)
{
    out->len = 0;
    const char *p = src;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q && *q != ' ')
            q++;
        if (q == p)
            break;
        const char *colon = memchr(p, ':', (size_t)(q - p));
        uint32_t r1, c1, r2, c2;
        int ok = colon ? fx_cell_parse(p, (size_t)(colon - p), &r1, &c1) &&
                             fx_cell_parse(colon + 1, (size_t)(q - colon - 1), &r2, &c2)
                       : fx_cell_parse(p, (size_t)(q - p), &r1, &c1);
        if (!colon) {
            r2 = r1;
            c2 = c1;
        }
        if (!ok) {
            if (out->len)
                lexp__sbuf_putc(out, ' ');
            lexp__sbuf_put(out, p, (size_t)(q - p));
        } else {
            uint32_t o1, o2;
            if (!map_range(s, r1, 1, r2, 1, NULL, &o1, &o2)) {
                char a[4], b[4];
                fx_col_name(c1, a);
                fx_col_name(c2, b);
                if (out->len)
                    lexp__sbuf_putc(out, ' ');
                if (o1 == o2 && c1 == c2)
                    lexp__sbuf_printf(out, "%s%u", a, o1);
                else
                    lexp__sbuf_printf(out, "%s%u:%s%u", a, o1, b, o2);
            }
        }
        p = q;
    }
    lexp__sbuf_cstr(out);
    return out->oom ? fx_oom(B->c) : 0;
}

/* ==================================================================== */
/* compiling a sheet                                                      */

static int sst_load(xs_book *B, const char *part)
{
    fx_ctx *c = B->c;
    fx_entry *e = fx_pkg_find(&c->pkg, part);
    if (!e || !fx_maybe_tags((const char *)e->data, e->len))
        return 0;
    c->part = e->name;
    c->located = 0;
    xmlDocPtr doc = fx_xml_parse(c, e);
    if (!doc)
        return -1;
    uint32_t n = 0;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr k = root->children; k; k = k->next)
        n += fx_is(k, "si");
    B->sst = calloc(n ? n : 1, sizeof *B->sst);
    int rc = B->sst ? 0 : fx_oom(c);
    for (xmlNodePtr k = root->children; k && rc == 0; k = k->next) {
        if (!fx_is(k, "si"))
            continue;
        lexp__sbuf b = LEXP__SBUF_INIT;
        rich_text(k, &b);
        lexp__sbuf_cstr(&b);
        if (b.oom) {
            lexp__sbuf_free(&b);
            rc = fx_oom(c);
            break;
        }
        B->sst[B->nsst++] = b.ptr ? b.ptr : NULL;
    }
    B->sst_tags = 1;
    xmlFreeDoc(doc);
    return rc;
}

/* The template text of a cell, if it is text (shared or inline). */
static const char *cell_text(xs_book *B, xmlNodePtr cell, char **owned)
{
    *owned = NULL;
    const xmlChar *t = fx_attr(cell, "t");
    if (!t)
        return NULL;
    if (strcmp((const char *)t, "s") == 0) {
        if (!B->sst_tags)
            return NULL;
        xmlNodePtr v = fx_child(cell, "v");
        if (!v)
            return NULL;
        char *s = text_dup(v);
        if (!s)
            return NULL;
        char *end;
        unsigned long i = strtoul(s, &end, 10);
        int ok = end != s && i < B->nsst;
        free(s);
        return ok ? B->sst[i] : NULL;
    }
    if (strcmp((const char *)t, "inlineStr") == 0) {
        xmlNodePtr is = fx_child(cell, "is");
        if (!is)
            return NULL;
        lexp__sbuf b = LEXP__SBUF_INIT;
        rich_text(is, &b);
        lexp__sbuf_cstr(&b);
        *owned = b.ptr;
        return b.ptr;
    }
    return NULL;
}

static int all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* A cell's text with tags: its program, or the marker of its row. */
static int compile_cell(xs_book *B, xs_sheet *s, xs_row *row, xs_cell *cell, const char *text)
{
    fx_ctx *c = B->c;
    size_t n = strlen(text);
    c->cell_row = row->r;
    c->cell_col = cell->col;
    fx_scan sc;
    if (fx_scan_text(c, text, n, (int)row->r, "this cell", &sc))
        return -1;
    int ninline = 0, nexpr = 0, nrow = 0, lit = 0;
    const fx_tag *rowtag = NULL, *expr = NULL;
    for (int i = 0; i < sc.ntags; i++) {
        const fx_tag *t = &sc.tags[i];
        if (t->comment)
            continue;
        if (t->scope == 'p')
            return fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                           "'{%%p %%}' repeats Word paragraphs; in a workbook, put "
                           "'{%%tr … %%}' in a cell of a row of its own");
        if (t->cell)
            return fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                           "'{%% %s %%}' is a tag of Word tables; in a workbook, merge or "
                           "colour the template's cells in Excel",
                           t->cell == 'v' ? "vm" : t->cell == 'h' ? "hm" : t->cell == 's' ? "colspan" : "cellbg");
        if (t->scope == 'c')
            return fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                           "'{%%tc %%}' repeats Word table cells; in a workbook, put "
                           "'{%%tr … %%}' in a cell of a row of its own");
        if (t->scope == 't') {
            nrow++;
            rowtag = t;
        } else if (t->t.kind == TAG_EXPR) {
            nexpr++;
            expr = t;
        } else {
            ninline++;
        }
    }
    for (int i = 0; i < sc.nlits; i++)
        if (!all_space(text + sc.lits[i].start, sc.lits[i].len))
            lit = 1;
    if (nrow) {
        if (nrow > 1 || ninline || nexpr || lit)
            return fx_fail(c, LEXP_ESYNTAX, rowtag->line, rowtag->col,
                           "a '{%%tr %%}' tag stands alone in its row, which is removed; this "
                           "cell also holds %s",
                           nrow > 1 ? "another such tag" : lit ? "text" : "other tags");
        if (row->tag)
            return fx_fail(c, LEXP_ESYNTAX, rowtag->line, rowtag->col,
                           "a second '{%%tr %%}' tag in row %u: each statement needs a row "
                           "of its own",
                           row->r);
        row->tag = rowtag;
        row->tag_cell = cell;
        s->tags = 1;
        cell->kind = XC_COPY;
        return 0;
    }
    if (!sc.ntags && !sc.escapes)
        return 0; /* braces, but no tag: plain text */
    s->tags = 1;
    if (nexpr == 1 && !ninline && !lit && !sc.escapes) {
        fx_op *op = lexp__arena_zalloc(&c->A, sizeof *op);
        if (!op)
            return fx_oom(c);
        op->kind = OP_EXPR;
        op->tag = expr;
        cell->kind = XC_TYPED;
        cell->prog = op;
        return 0;
    }
    /* mixed text: literal pieces and tags in order */
    char *ctext = lexp__arena_strndup(&c->A, text, n);
    if (!ctext)
        return fx_oom(c);
    fx_builder b;
    int ids = 0;
    fx_build_init(&b, c, "this cell", &ids);
    int li = 0, ti = 0;
    while (li < sc.nlits || ti < sc.ntags) {
        int take_tag = ti < sc.ntags && (li >= sc.nlits || sc.tags[ti].start < sc.lits[li].start);
        if (take_tag) {
            const fx_tag *t = &sc.tags[ti++];
            if (t->comment)
                continue;
            if (t->t.kind == TAG_EXPR) {
                fx_op *op = fx_build_item(&b, OP_EXPR);
                if (!op)
                    return -1;
                op->tag = t;
            } else if (fx_build_tag(&b, t, NULL)) {
                return -1;
            }
        } else {
            fx_op *op = fx_build_item(&b, OP_TEXT);
            if (!op)
                return -1;
            op->s = ctext + sc.lits[li].start;
            op->n = (uint32_t)sc.lits[li].len;
            li++;
        }
    }
    if (fx_build_end(&b, &cell->prog))
        return -1;
    cell->kind = XC_TEXT;
    return 0;
}

typedef struct shared {
    uint32_t si, row, col;
    const char *text;
} shared;

static int sheet_compile(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    xmlNodePtr root = xmlDocGetRootElement(s->doc);
    s->sheetData = fx_child(root, "sheetData");
    if (!s->sheetData)
        return 0;
    int nrows = 0;
    for (xmlNodePtr r = s->sheetData->children; r; r = r->next)
        nrows += fx_is(r, "row");
    s->rows = lexp__arena_zalloc(&c->A, (size_t)(nrows ? nrows : 1) * sizeof *s->rows);
    if (!s->rows)
        return fx_oom(c);
    shared *sh = NULL;
    int nsh = 0, capsh = 0, rc = 0;
    uint32_t prev = 0;
    for (xmlNodePtr r = s->sheetData->children; r && rc == 0; r = r->next) {
        if (!fx_is(r, "row"))
            continue;
        xs_row *row = &s->rows[s->nrows++];
        row->node = r;
        const xmlChar *ra = fx_attr(r, "r");
        unsigned long rn = ra ? strtoul((const char *)ra, NULL, 10) : prev + 1;
        if (rn <= prev || rn > FX_XLSX_MAX_ROWS) {
            rc = fx_fail(c, LEXP_ESYNTAX, 0, 0,
                         "row numbers must increase from 1 to %u; found row %lu after row %u",
                         FX_XLSX_MAX_ROWS, rn, prev);
            break;
        }
        row->r = (uint32_t)rn;
        prev = row->r;
        int ncells = 0;
        for (xmlNodePtr k = r->children; k; k = k->next)
            ncells += fx_is(k, "c");
        row->cells = lexp__arena_zalloc(&c->A, (size_t)(ncells ? ncells : 1) * sizeof *row->cells);
        if (!row->cells) {
            rc = fx_oom(c);
            break;
        }
        uint32_t pcol = 0;
        for (xmlNodePtr k = r->children; k && rc == 0; k = k->next) {
            if (!fx_is(k, "c"))
                continue;
            xs_cell *cell = &row->cells[row->ncells++];
            cell->node = k;
            const xmlChar *ref = fx_attr(k, "r");
            uint32_t rr, cc;
            if (ref && fx_cell_parse((const char *)ref, strlen((const char *)ref), &rr, &cc))
                cell->col = cc;
            else
                cell->col = pcol + 1;
            if (cell->col > FX_XLSX_MAX_COLS) {
                rc = fx_fail(c, LEXP_ESYNTAX, (int)row->r, 0, "a cell beyond column XFD");
                break;
            }
            pcol = cell->col;
            xmlNodePtr f = fx_child(k, "f");
            if (f) {
                cell->kind = XC_FORMULA;
                cell->f = f;
                const xmlChar *ft = fx_attr(f, "t");
                if (ft && strcmp((const char *)ft, "shared") == 0) {
                    const xmlChar *si = fx_attr(f, "si");
                    if (nsh == capsh) {
                        capsh = capsh ? capsh * 2 : 16;
                        shared *v = realloc(sh, (size_t)capsh * sizeof *v);
                        if (!v) {
                            rc = fx_oom(c);
                            break;
                        }
                        sh = v;
                    }
                    char *txt = text_dup(f);
                    if (!txt) {
                        rc = fx_oom(c);
                        break;
                    }
                    cell->formula = lexp__arena_strdup(&c->A, txt);
                    free(txt);
                    sh[nsh++] = (shared){si ? (uint32_t)strtoul((const char *)si, NULL, 10) : 0,
                                         row->r, cell->col, cell->formula};
                } else {
                    char *txt = text_dup(f);
                    cell->formula = txt ? lexp__arena_strdup(&c->A, txt) : NULL;
                    free(txt);
                    if (!cell->formula) {
                        rc = fx_oom(c);
                        break;
                    }
                }
                continue;
            }
            char *owned;
            const char *text = cell_text(B, k, &owned);
            if (text && fx_maybe_tags(text, strlen(text)))
                rc = compile_cell(B, s, row, cell, text);
            free(owned);
        }
        if (rc)
            break;
        if (row->tag) {
            for (int i = 0; i < row->ncells; i++) {
                if (&row->cells[i] == row->tag_cell)
                    continue;
                xmlNodePtr k = row->cells[i].node;
                char *owned;
                const char *text = cell_text(B, k, &owned);
                int has = row->cells[i].kind != XC_COPY || (fx_child(k, "v") && !text) ||
                          (text && !all_space(text, strlen(text))) || fx_child(k, "is");
                if (text && all_space(text, strlen(text)))
                    has = 0;
                free(owned);
                if (has) {
                    rc = fx_fail(c, LEXP_ESYNTAX, row->tag->line, row->tag->col,
                                 "a '{%%tr %%}' tag stands alone in its row, which is removed; "
                                 "row %u holds other values as well",
                                 row->r);
                    break;
                }
            }
        }
    }
    c->cell_row = 0;
    /* shared formulas: every cell gets its own text, as Excel would show it */
    for (int i = 0; i < s->nrows && rc == 0; i++) {
        xs_row *row = &s->rows[i];
        for (int j = 0; j < row->ncells && rc == 0; j++) {
            xs_cell *cell = &row->cells[j];
            if (cell->kind != XC_FORMULA || (cell->formula && cell->formula[0]))
                continue;
            const xmlChar *ft = fx_attr(cell->f, "t");
            if (!ft || strcmp((const char *)ft, "shared") != 0)
                continue;
            const xmlChar *si = fx_attr(cell->f, "si");
            uint32_t id = si ? (uint32_t)strtoul((const char *)si, NULL, 10) : 0;
            const shared *m = NULL;
            for (int k = 0; k < nsh; k++)
                if (sh[k].si == id && sh[k].text[0]) {
                    m = &sh[k];
                    break;
                }
            if (!m)
                continue;
            lexp__sbuf b = LEXP__SBUF_INIT;
            fx_formula_shift(m->text, strlen(m->text), (int64_t)row->r - m->row,
                             (int64_t)cell->col - m->col, &b);
            lexp__sbuf_cstr(&b);
            cell->formula = b.oom ? NULL : lexp__arena_strdup(&c->A, b.ptr ? b.ptr : "");
            lexp__sbuf_free(&b);
            if (!cell->formula)
                rc = fx_oom(c);
        }
    }
    free(sh);
    if (rc)
        return rc;
    s->max_trow = prev;
    /* page header and footer */
    xmlNodePtr hf = fx_child(root, "headerFooter");
    for (xmlNodePtr k = hf ? hf->children : NULL; k && rc == 0; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        char *t = text_dup(k);
        if (!t)
            return fx_oom(c);
        if (fx_maybe_tags(t, strlen(t))) {
            xs_row fake = {0};
            xs_cell cell = {0};
            rc = compile_cell(B, s, &fake, &cell, t);
            if (rc == 0 && (fake.tag || cell.kind == XC_TEXT || cell.kind == XC_TYPED)) {
                if (fake.tag)
                    rc = fx_fail(c, LEXP_ESYNTAX, 0, 0,
                                 "a '{%%tr %%}' tag in the page header or footer");
                xs_hf *v = rc ? NULL : realloc(s->hf, (size_t)(s->nhf + 1) * sizeof *v);
                if (!rc && !v)
                    rc = fx_oom(c);
                if (!rc) { /* a lone value is text here too */
                    s->hf = v;
                    s->hf[s->nhf++] = (xs_hf){k, cell.prog};
                    s->tags = 1;
                }
            }
        }
        free(t);
    }
    c->cell_row = 0;
    return rc;
}

/* The block structure over the rows. */
static int sheet_structure(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    fx_builder b;
    fx_build_init(&b, c, "this sheet", &s->nloops);
    s->trow_loop = calloc((size_t)s->max_trow + 2, sizeof *s->trow_loop);
    if (!s->trow_loop)
        return fx_oom(c);
    uint32_t prev = 0;
    /* loop ids are assigned as loops open; body rows are known at endfor */
    uint32_t *lo = NULL, *hi = NULL;
    int cap = 0;
    for (int i = 0; i < s->nrows; i++) {
        xs_row *row = &s->rows[i];
        if (row->r > prev + 1) {
            fx_op *op = fx_build_item(&b, OP_GAP);
            if (!op)
                goto fail;
            op->gap_from = prev + 1;
            op->n = row->r - prev - 1;
            fx_op *L = fx_build_loop(&b);
            for (uint32_t t = prev + 1; t < row->r; t++)
                s->trow_loop[t] = L;
        }
        prev = row->r;
        if (row->tag) {
            c->cell_row = row->r;
            c->cell_col = 0;
            int opened = row->tag->t.kind == TAG_FOR;
            int closed = row->tag->t.kind == TAG_ENDFOR;
            fx_op *closing = closed && b.depth ? b.st[b.depth - 1].op : NULL;
            if (fx_build_tag(&b, row->tag, &row->loop))
                goto fail;
            s->trow_loop[row->r] = row->loop;
            if (s->nloops >= cap) {
                int ncap = s->nloops + 16;
                uint32_t *l2 = realloc(lo, (size_t)ncap * sizeof *l2);
                if (l2)
                    lo = l2;
                uint32_t *h2 = l2 ? realloc(hi, (size_t)ncap * sizeof *h2) : NULL;
                if (!h2) {
                    fx_oom(c);
                    goto fail;
                }
                hi = h2;
                for (int k = cap; k < ncap; k++)
                    lo[k] = hi[k] = 0;
                cap = ncap;
            }
            if (opened)
                lo[s->nloops] = row->r + 1;
            if (closing && closing->kind == OP_FOR)
                hi[closing->id] = row->r - 1;
            continue;
        }
        fx_op *op = fx_build_item(&b, OP_LEAF);
        if (!op)
            goto fail;
        op->slot = i;
        row->loop = fx_build_loop(&b);
        s->trow_loop[row->r] = row->loop;
    }
    c->cell_row = 0;
    if (fx_build_end(&b, &s->items))
        goto fail;
    s->body_lo = lo;
    s->body_hi = hi;
    if (!s->body_lo) {
        s->body_lo = calloc(1, sizeof *s->body_lo);
        s->body_hi = calloc(1, sizeof *s->body_hi);
        if (!s->body_lo || !s->body_hi)
            return fx_oom(c);
    }
    s->moved = fx_has_statements(s->items);
    return 0;
fail:
    free(lo);
    free(hi);
    return c->err->code ? c->err->code : -1;
}

/* ==================================================================== */
/* generating a sheet                                                     */

typedef struct gen {
    xs_book *B;
    xs_sheet *s;
    lexp__sbuf text;
    int amp; /* page header/footer: '&' starts a code there, so values double it */
} gen;

static int out_row(gen *g, uint32_t trow, uint32_t *o)
{
    xs_sheet *s = g->s;
    if (s->nout >= FX_XLSX_MAX_ROWS)
        return fx_fail(g->B->c, LEXP_ELIMIT, (int)trow, 0,
                       "the filled sheet would have more than %u rows, Excel's limit",
                       FX_XLSX_MAX_ROWS);
    if (s->nout == s->capout) {
        uint32_t cap = s->capout ? s->capout * 2 : 256;
        uint32_t *t = realloc(s->out_trow, (size_t)cap * sizeof *t);
        if (t)
            s->out_trow = t;
        uint32_t *it = t ? realloc(s->out_iter, (size_t)cap * sizeof *it) : NULL;
        if (!it)
            return fx_oom(g->B->c);
        s->out_iter = it;
        s->capout = cap;
    }
    s->out_trow[s->nout] = trow;
    s->out_iter[s->nout] = s->inner;
    *o = s->nout++;
    return 0;
}

static void fmt_num(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, n, "%.17g", v);
}

/* Put a value into an output cell. `typed`: the cell held one {{ }}. */
static int set_value(gen *g, xmlNodePtr oc, const lexp_value *v, char *s, size_t len, int typed)
{
    fx_ctx *c = g->B->c;
    fx_copier *k = &g->s->k;
    del_attr(oc, "t");
    if (typed && v->type == LV_NUM) {
        char num[40];
        fmt_num(num, sizeof num, v->u.num);
        xmlNodePtr ve = fx_new_elem(k, oc, oc, "v");
        return ve && fx_add_text(k, ve, num, strlen(num)) == 0 ? 0 : -1;
    }
    if (typed && v->type == LV_BOOL) {
        xmlNodePtr ve = fx_new_elem(k, oc, oc, "v");
        if (!ve || set_attr(c, oc, "t", "b"))
            return -1;
        return fx_add_text(k, ve, v->b ? "1" : "0", 1);
    }
    len = fx_xml_clean(s, len);
    if (len == 0)
        return 0;
    size_t chars = lexp__utf8_count(s, len);
    if (chars > FX_XLSX_MAX_CELL_CHARS) {
        size_t i = 0, n = 0;
        while (i < len && n < FX_XLSX_MAX_CELL_CHARS) {
            uint32_t cp;
            size_t l = lexp__utf8_decode(s + i, len - i, &cp);
            i += l ? l : 1;
            n++;
        }
        len = i;
        char col[4];
        fx_col_name(c->cell_col, col);
        lexp__warn(c->opt, c->name,
                   "%s: cell %s%u of sheet “%s”: a value of %zu characters was cut to %u, "
                   "the most a cell holds",
                   c->part, col, c->cell_row, c->sheet, chars, FX_XLSX_MAX_CELL_CHARS);
    }
    if (set_attr(c, oc, "t", "inlineStr"))
        return -1;
    xmlNodePtr is = fx_new_elem(k, oc, oc, "is");
    xmlNodePtr t = is ? fx_new_elem(k, is, oc, "t") : NULL;
    if (!t)
        return -1;
    if (s[0] == ' ' || s[len - 1] == ' ' || memchr(s, '\n', len) || memchr(s, '\t', len)) {
        xmlNsPtr xml = xmlSearchNs(k->doc, t, (const xmlChar *)"xml");
        if (!xmlSetNsProp(t, xml, (const xmlChar *)"space", (const xmlChar *)"preserve"))
            return fx_oom(c);
    }
    return fx_add_text(k, t, s, len);
}

static int text_leaf(fx_ctx *c, const fx_op *op, void *p)
{
    gen *g = p;
    if (op->kind == OP_TEXT) {
        lexp__sbuf_put(&g->text, op->s, op->n);
    } else if (op->kind == OP_EXPR) {
        const lexp_value *v = fx_eval(c, op);
        size_t at = g->text.len;
        if (!v || fx_value_text(c, op, v, &g->text))
            return -1;
        if (g->amp) {
            size_t n = g->text.len - at, extra = 0;
            for (size_t i = at; i < at + n; i++)
                extra += g->text.ptr[i] == '&';
            if (extra && !lexp__sbuf_grow(&g->text, extra)) {
                char *d = g->text.ptr;
                size_t w = at + n + extra;
                for (size_t i = at + n; i-- > at;) {
                    d[--w] = d[i];
                    if (d[i] == '&')
                        d[--w] = '&';
                }
                g->text.len = at + n + extra;
            }
        }
    }
    if (g->text.len > LEXP_EVAL_MAX_OUTPUT)
        return fx_fail(c, LEXP_ELIMIT, 0, 0, "a cell would hold more than %u MB of text",
                       LEXP_EVAL_MAX_OUTPUT >> 20);
    return g->text.oom ? fx_oom(c) : 0;
}

static int gen_cell(gen *g, const xs_row *row, const xs_cell *cell, xmlNodePtr orow,
                    uint32_t o)
{
    fx_ctx *c = g->B->c;
    xs_sheet *s = g->s;
    fx_copier *k = &s->k;
    xmlNodePtr oc = fx_copy_shallow(k, orow, cell->node);
    if (!oc)
        return -1;
    char ref[24], col[4];
    fx_col_name(cell->col, col);
    snprintf(ref, sizeof ref, "%s%u", col, o + 1);
    if (set_attr(c, oc, "r", ref))
        return -1;
    c->cell_row = row->r;
    c->cell_col = cell->col;
    switch (cell->kind) {
    case XC_COPY:
        for (xmlNodePtr ch = cell->node->children; ch; ch = ch->next)
            if (!fx_copy_deep(k, oc, ch))
                return -1;
        return 0;
    case XC_FORMULA: {
        const xmlChar *t = fx_attr(oc, "t");
        if (t && strcmp((const char *)t, "inlineStr") != 0 && strcmp((const char *)t, "s") != 0)
            del_attr(oc, "t"); /* the type of a cached result that goes */
        for (xmlNodePtr ch = cell->node->children; ch; ch = ch->next) {
            if (fx_is(ch, "v"))
                continue; /* cached value: stale once data is filled in */
            if (ch != cell->f) {
                if (!fx_copy_deep(k, oc, ch))
                    return -1;
                continue;
            }
            xmlNodePtr f = fx_copy_shallow(k, oc, ch);
            if (!f)
                return -1;
            const xmlChar *ft = fx_attr(f, "t");
            if (ft && strcmp((const char *)ft, "shared") == 0) {
                del_attr(f, "t");
                del_attr(f, "si");
                del_attr(f, "ref");
            }
            const char *src = cell->formula ? cell->formula : "";
            if (fx_add_text(k, f, src, strlen(src)))
                return -1;
            if (s->nfs == s->capfs) {
                int cap = s->capfs ? s->capfs * 2 : 64;
                xs_formula *v = realloc(s->fs, (size_t)cap * sizeof *v);
                if (!v)
                    return fx_oom(c);
                s->fs = v;
                s->capfs = cap;
            }
            s->fs[s->nfs++] = (xs_formula){f->children, oc, src, o, row->r, s->inner};
        }
        return 0;
    }
    case XC_TYPED: {
        const lexp_value *v = fx_eval(c, cell->prog);
        if (!v)
            return -1;
        g->text.len = 0;
        if (v->type != LV_NUM && v->type != LV_BOOL && fx_value_text(c, cell->prog, v, &g->text))
            return -1;
        return set_value(g, oc, v, g->text.ptr, g->text.len, 1);
    }
    case XC_TEXT: {
        g->text.len = 0;
        fx_runner r = {text_leaf, NULL, g};
        if (fx_run(c, cell->prog, &r))
            return -1;
        return set_value(g, oc, &lexp__undef, g->text.ptr, g->text.len, 0);
    }
    }
    return 0;
}

static int gen_leaf(fx_ctx *c, const fx_op *op, void *p)
{
    gen *g = p;
    xs_sheet *s = g->s;
    uint32_t o;
    if (op->kind == OP_GAP) {
        for (uint32_t i = 0; i < op->n; i++)
            if (out_row(g, op->gap_from + i, &o))
                return -1;
        return 0;
    }
    const xs_row *row = &s->rows[op->slot];
    if (out_row(g, row->r, &o))
        return -1;
    xmlNodePtr orow = fx_copy_shallow(&s->k, s->sheetData, row->node);
    char num[16];
    snprintf(num, sizeof num, "%u", o + 1);
    if (!orow || set_attr(c, orow, "r", num))
        return -1;
    for (int i = 0; i < row->ncells; i++)
        if (gen_cell(g, row, &row->cells[i], orow, o))
            return -1;
    c->cell_row = 0;
    return 0;
}

static int gen_iter(fx_ctx *c, const fx_op *loop, int64_t index, uint32_t len, void *p)
{
    (void)len;
    gen *g = p;
    xs_sheet *s = g->s;
    uint32_t cur = s->cur[loop->id];
    if (cur) { /* the previous iteration ends */
        s->iters[cur].b = s->nout;
        s->inner = s->iters[cur].parent;
        s->cur[loop->id] = 0;
    }
    if (index < 0)
        return 0;
    if (s->niters + 1 >= s->capiters) {
        uint32_t cap = s->capiters ? s->capiters * 2 : 64;
        xs_iter *v = realloc(s->iters, (size_t)cap * sizeof *v);
        if (!v)
            return fx_oom(c);
        s->iters = v;
        s->capiters = cap;
    }
    uint32_t id = ++s->niters;
    s->iters[id] = (xs_iter){loop, s->inner, s->nout, s->nout};
    s->inner = id;
    s->cur[loop->id] = id;
    return 0;
}

static int build_csr(fx_ctx *c, xs_sheet *s)
{
    s->csr_start = calloc((size_t)s->max_trow + 2, sizeof *s->csr_start);
    s->csr = malloc(((size_t)s->nout + 1) * sizeof *s->csr);
    if (!s->csr_start || !s->csr)
        return fx_oom(c);
    for (uint32_t o = 0; o < s->nout; o++)
        s->csr_start[s->out_trow[o] + 1]++;
    for (uint32_t t = 1; t <= s->max_trow + 1; t++)
        s->csr_start[t] += s->csr_start[t - 1];
    uint32_t *fill = malloc(((size_t)s->max_trow + 1) * sizeof *fill);
    if (!fill)
        return fx_oom(c);
    memcpy(fill, s->csr_start, ((size_t)s->max_trow + 1) * sizeof *fill);
    for (uint32_t o = 0; o < s->nout; o++)
        s->csr[fill[s->out_trow[o]]++] = o;
    free(fill);
    return 0;
}

static int header_footer(gen *g)
{
    fx_ctx *c = g->B->c;
    xs_sheet *s = g->s;
    int rc = 0;
    g->amp = 1;
    for (int i = 0; i < s->nhf && rc == 0; i++) {
        g->text.len = 0;
        const fx_op *prog = s->hf[i].prog;
        fx_runner r = {text_leaf, NULL, g};
        if (prog->kind == OP_EXPR && !prog->next)
            rc = text_leaf(c, prog, g); /* a lone value */
        else
            rc = fx_run(c, prog, &r);
        if (rc)
            break;
        lexp__sbuf_cstr(&g->text);
        if (g->text.oom) {
            rc = fx_oom(c);
            break;
        }
        size_t len = fx_xml_clean(g->text.ptr ? g->text.ptr : (char *)"", g->text.len);
        xmlNodePtr n = s->hf[i].node;
        while (n->children) {
            xmlNodePtr ch = n->children;
            xmlUnlinkNode(ch);
            xmlFreeNode(ch);
        }
        rc = fx_add_text(&s->k, n, g->text.ptr ? g->text.ptr : "", len);
    }
    g->amp = 0;
    return rc;
}

static int sheet_generate(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    s->cur = calloc((size_t)s->nloops + 1, sizeof *s->cur);
    if (!s->cur)
        return fx_oom(c);
    s->k.c = c;
    s->k.doc = s->doc;
    s->k.root = xmlDocGetRootElement(s->doc);
    gen g = {B, s, LEXP__SBUF_INIT, 0};
    int rc = fx_eval_begin(c);
    if (rc == 0 && s->sheetData) {
        xmlNodePtr old = s->sheetData->children;
        s->sheetData->children = s->sheetData->last = NULL;
        fx_runner r = {gen_leaf, gen_iter, &g};
        rc = fx_run(c, s->items, &r);
        if (rc)
            fx_locate(c); /* names the cell while it is known */
        while (old) {
            xmlNodePtr next = old->next;
            old->parent = NULL;
            old->next = old->prev = NULL;
            xmlFreeNode(old);
            old = next;
        }
    }
    if (rc == 0) {
        c->cell_row = 0;
        rc = header_footer(&g);
    }
    fx_eval_end(c);
    lexp__sbuf_free(&g.text);
    if (rc)
        return rc;
    /* the template's rows are gone: row items now point at freed nodes */
    for (int i = 0; i < s->nrows; i++)
        s->rows[i].node = NULL;
    s->changed = 1;
    if (build_csr(c, s))
        return -1;
    return s->moved ? seg_build(c, s) : 0;
}

/* ==================================================================== */
/* after all sheets are generated                                         */

static int set_text(fx_ctx *c, xmlNodePtr n, const char *s)
{
    if (n->children && n->children->type == XML_TEXT_NODE && !n->children->next) {
        xmlNodeSetContent(n->children, (const xmlChar *)s);
        return 0;
    }
    while (n->children) {
        xmlNodePtr ch = n->children;
        xmlUnlinkNode(ch);
        xmlFreeNode(ch);
    }
    xmlNodePtr t = xmlNewDocText(n->doc, (const xmlChar *)s);
    if (!t)
        return fx_oom(c);
    xmlAddChild(n, t);
    return 0;
}

static int sheet_formulas(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = 0;
    for (int i = 0; i < s->nfs && rc == 0; i++) {
        xs_formula *f = &s->fs[i];
        xs_pos pos = {f->o, f->trow, f->iter};
        int changed;
        rc = rewrite(B, s, &pos, "a formula", f->src, &out, &changed);
        if (rc == 0 && changed)
            xmlNodeSetContent(f->text, (const xmlChar *)out.ptr);
        /* an array formula's range moves with it */
        xmlNodePtr fe = f->text ? f->text->parent : NULL;
        const xmlChar *ref = fe ? fx_attr(fe, "ref") : NULL;
        if (rc == 0 && ref) {
            char *r = strdup((const char *)ref);
            if (!r) {
                rc = fx_oom(c);
                break;
            }
            rc = rewrite(B, s, &pos, "an array formula", r, &out, &changed);
            if (rc == 0 && changed)
                rc = set_attr(c, fe, "ref", out.ptr);
            free(r);
        }
    }
    lexp__sbuf_free(&out);
    return rc;
}

/* The cells of a sheet with their positions (row and column numbers
 * follow the previous ones where the file leaves them out). */
typedef int (*cell_fn)(xs_book *B, xs_sheet *s, xmlNodePtr c, uint32_t row, uint32_t col,
                       void *p);

static int each_formula_cell(xs_book *B, xs_sheet *s, cell_fn fn, void *p)
{
    xmlNodePtr sd = fx_child(xmlDocGetRootElement(s->doc), "sheetData");
    uint32_t row = 0;
    for (xmlNodePtr r = sd ? sd->children : NULL; r; r = r->next) {
        if (!fx_is(r, "row"))
            continue;
        const xmlChar *ra = fx_attr(r, "r");
        row = ra ? (uint32_t)strtoul((const char *)ra, NULL, 10) : row + 1;
        uint32_t col = 0;
        for (xmlNodePtr k = r->children; k; k = k->next) {
            if (!fx_is(k, "c"))
                continue;
            const xmlChar *ref = fx_attr(k, "r");
            uint32_t rr, cc;
            col = ref && fx_cell_parse((const char *)ref, strlen((const char *)ref), &rr, &cc)
                      ? cc
                      : col + 1;
            if (fx_child(k, "f") && fn(B, s, k, row, col, p))
                return -1;
        }
    }
    return 0;
}

typedef struct others {
    shared *masters;
    int n, cap;
    int need;
    lexp__sbuf out;
} others;

static int is_shared(const xmlNode *f)
{
    const xmlChar *t = fx_attr(f, "t");
    return t && strcmp((const char *)t, "shared") == 0;
}

/* Pass 1: remember the shared formulas' first cells; does anything change? */
static int others_scan(xs_book *B, xs_sheet *s, xmlNodePtr c, uint32_t row, uint32_t col,
                       void *p)
{
    others *o = p;
    xmlNodePtr f = fx_child(c, "f");
    char *src = text_dup(f);
    if (!src)
        return fx_oom(B->c);
    int changed = 0, rc = 0;
    if (src[0])
        rc = rewrite(B, s, NULL, "a formula", src, &o->out, &changed);
    o->need |= changed;
    if (rc == 0 && src[0] && is_shared(f)) {
        if (o->n == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 16;
            shared *v = realloc(o->masters, (size_t)o->cap * sizeof *v);
            if (!v) {
                free(src);
                return fx_oom(B->c);
            }
            o->masters = v;
        }
        const xmlChar *si = fx_attr(f, "si");
        o->masters[o->n++] = (shared){si ? (uint32_t)strtoul((const char *)si, NULL, 10) : 0,
                                      row, col, lexp__arena_strdup(&B->c->A, src)};
        if (!o->masters[o->n - 1].text)
            rc = fx_oom(B->c);
    }
    free(src);
    return rc;
}

/* Pass 2: every formula written out in full and moved. */
static int others_write(xs_book *B, xs_sheet *s, xmlNodePtr c, uint32_t row, uint32_t col,
                        void *p)
{
    others *o = p;
    xmlNodePtr f = fx_child(c, "f");
    char *src = text_dup(f);
    if (!src)
        return fx_oom(B->c);
    lexp__sbuf own = LEXP__SBUF_INIT;
    const char *text = src;
    if (is_shared(f)) {
        const xmlChar *si = fx_attr(f, "si");
        uint32_t id = si ? (uint32_t)strtoul((const char *)si, NULL, 10) : 0;
        for (int i = 0; i < o->n && !src[0]; i++)
            if (o->masters[i].si == id) {
                fx_formula_shift(o->masters[i].text, strlen(o->masters[i].text),
                                 (int64_t)row - o->masters[i].row,
                                 (int64_t)col - o->masters[i].col, &own);
                text = lexp__sbuf_cstr(&own);
                break;
            }
        del_attr(f, "t");
        del_attr(f, "si");
        del_attr(f, "ref");
    }
    int changed = 0, rc = 0;
    if (text[0])
        rc = rewrite(B, s, NULL, "a formula", text, &o->out, &changed);
    if (rc == 0 && (changed || text != src))
        rc = set_text(B->c, f, changed ? o->out.ptr : text);
    xmlNodePtr v = fx_child(c, "v");
    if (rc == 0 && v) { /* recalculated on load */
        xmlUnlinkNode(v);
        xmlFreeNode(v);
    }
    lexp__sbuf_free(&own);
    free(src);
    return rc;
}

/* Formulas of a sheet that was not filled, pointing at one whose rows
 * moved. Shared formulas are written out per cell first: rewriting their
 * first cell and shifting it over the others would not follow the rows. */
static int other_formulas(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    if (!s->e || !strstr((const char *)s->e->data, "<f") ||
        !memchr(s->e->data, '!', s->e->len))
        return 0;
    if (!s->doc) {
        c->part = s->part;
        c->located = 0;
        if (!(s->doc = fx_xml_parse(c, s->e)))
            return -1;
    }
    others o;
    memset(&o, 0, sizeof o);
    int rc = each_formula_cell(B, s, others_scan, &o);
    if (rc == 0 && o.need) {
        rc = each_formula_cell(B, s, others_write, &o);
        s->changed = 1;
    }
    free(o.masters);
    lexp__sbuf_free(&o.out);
    return rc;
}

/* ---- the sheet's own references to rows ---- */

static int adj_dimension(xs_book *B, xs_sheet *s, xmlNodePtr n)
{
    uint32_t r0 = NONE, r1 = 0, c0 = NONE, c1 = 0;
    for (xmlNodePtr r = s->sheetData ? s->sheetData->children : NULL; r; r = r->next)
        for (xmlNodePtr k = r->children; k; k = k->next) {
            const xmlChar *ref = fx_is(k, "c") ? fx_attr(k, "r") : NULL;
            uint32_t rr, cc;
            if (!ref || !fx_cell_parse((const char *)ref, strlen((const char *)ref), &rr, &cc))
                continue;
            r0 = rr < r0 ? rr : r0;
            r1 = rr > r1 ? rr : r1;
            c0 = cc < c0 ? cc : c0;
            c1 = cc > c1 ? cc : c1;
        }
    char a[4], b[4], buf[40];
    if (r0 == NONE) {
        snprintf(buf, sizeof buf, "A1");
    } else {
        fx_col_name(c0, a);
        fx_col_name(c1, b);
        if (r0 == r1 && c0 == c1)
            snprintf(buf, sizeof buf, "%s%u", a, r0);
        else
            snprintf(buf, sizeof buf, "%s%u:%s%u", a, r0, b, r1);
    }
    return set_attr(B->c, n, "ref", buf);
}

static int add_merge(xs_book *B, xs_sheet *s, xmlNodePtr parent, const xmlNode *like,
                     uint32_t c1, uint32_t lo, uint32_t c2, uint32_t hi, int *count)
{
    if (lo == hi && c1 == c2)
        return 0; /* one cell is no merge */
    char a[4], b[4], buf[40];
    fx_col_name(c1, a);
    fx_col_name(c2, b);
    snprintf(buf, sizeof buf, "%s%u:%s%u", a, lo, b, hi);
    xmlNodePtr mc = fx_new_elem(&s->k, parent, like, "mergeCell");
    if (!mc || set_attr(B->c, mc, "ref", buf))
        return -1;
    ++*count;
    return 0;
}

/* Merged cells: one copy per iteration of the innermost loop holding all
 * of a merge's rows; a merge spanning a block grows with it. */
static int adj_merges(xs_book *B, xs_sheet *s, xmlNodePtr n)
{
    int count = 0, rc = 0;
    xmlNodePtr tmpl = n->children;
    n->children = n->last = NULL;
    for (xmlNodePtr m = tmpl; m && rc == 0; m = m->next) {
        const xmlChar *ref = fx_is(m, "mergeCell") ? fx_attr(m, "ref") : NULL;
        const char *colon = ref ? strchr((const char *)ref, ':') : NULL;
        uint32_t r1, c1, r2, c2;
        if (!colon ||
            !fx_cell_parse((const char *)ref, (size_t)(colon - (const char *)ref), &r1, &c1) ||
            !fx_cell_parse(colon + 1, strlen(colon + 1), &r2, &c2))
            continue;
        if (r1 > r2) {
            uint32_t t = r1;
            r1 = r2;
            r2 = t;
        }
        const fx_op *L = r2 <= s->max_trow ? fx_lca(loop_of(s, r1), loop_of(s, r2)) : NULL;
        if (!L) {
            uint32_t lo, hi;
            if (!map_range(s, r1, 1, r2, 1, NULL, &lo, &hi))
                rc = add_merge(B, s, n, m, c1, lo, c2, hi, &count);
            continue;
        }
        for (uint32_t it = 1; it <= s->niters && rc == 0; it++) {
            if (s->iters[it].loop != L)
                continue;
            uint32_t lo = lower(s, r1, r2, s->iters[it].a, s->iters[it].b, L);
            uint32_t hi = upper(s, r1, r2, s->iters[it].a, s->iters[it].b, L);
            if (lo != NONE && hi != NONE && lo <= hi)
                rc = add_merge(B, s, n, m, c1, lo + 1, c2, hi + 1, &count);
        }
    }
    while (tmpl) {
        xmlNodePtr nx = tmpl->next;
        tmpl->parent = NULL;
        tmpl->next = tmpl->prev = NULL;
        xmlFreeNode(tmpl);
        tmpl = nx;
    }
    if (rc)
        return rc;
    char num[16];
    snprintf(num, sizeof num, "%d", count);
    return set_attr(B->c, n, "count", num);
}

/* An attribute holding a reference list, mapped in the whole sheet. */
static int adj_list_attr(xs_book *B, xs_sheet *s, xmlNodePtr n, const char *attr, int *gone)
{
    *gone = 0;
    const xmlChar *v = fx_attr(n, attr);
    if (!v)
        return 0;
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = map_sqref(B, s, (const char *)v, &out);
    if (rc == 0 && !out.len)
        *gone = 1;
    else if (rc == 0)
        rc = set_attr(B->c, n, attr, out.ptr);
    lexp__sbuf_free(&out);
    return rc;
}

/* Formulas of a rule (conditional format, validation): relative to the
 * first cell of its range. */
static int adj_rule_formulas(xs_book *B, xs_sheet *s, xmlNodePtr n, uint32_t r0)
{
    xs_pos pos = {r0 ? map_single(s, r0, 1, NULL) - 1 : 0, r0, 0};
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = 0;
    for (xmlNodePtr r = n->children; r && rc == 0; r = r->next) {
        if (fx_is(r, "cfRule")) {
            rc = adj_rule_formulas(B, s, r, r0);
            continue;
        }
        if (!fx_is(r, "formula") && !fx_is(r, "formula1") && !fx_is(r, "formula2"))
            continue;
        char *src = text_dup(r);
        if (!src) {
            rc = fx_oom(B->c);
            break;
        }
        int changed;
        rc = rewrite(B, s, r0 ? &pos : NULL, "a rule's formula", src, &out, &changed);
        if (rc == 0 && changed)
            rc = set_text(B->c, r, out.ptr);
        free(src);
    }
    lexp__sbuf_free(&out);
    return rc;
}

static uint32_t first_row_of(const xmlNode *n, const char *attr)
{
    const xmlChar *v = fx_attr(n, attr);
    if (!v)
        return 0;
    const char *sp = strpbrk((const char *)v, ": ");
    uint32_t r = 0, c = 0;
    fx_cell_parse((const char *)v, sp ? (size_t)(sp - (const char *)v) : strlen((const char *)v),
                  &r, &c);
    return r;
}

static int adj_breaks(xs_book *B, xs_sheet *s, xmlNodePtr n)
{
    int cnt = 0, rc = 0;
    xmlNodePtr next;
    for (xmlNodePtr m = n->children; m && rc == 0; m = next) {
        next = m->next;
        const xmlChar *id = fx_is(m, "brk") ? fx_attr(m, "id") : NULL;
        if (!id)
            continue;
        uint32_t t = (uint32_t)strtoul((const char *)id, NULL, 10), o1, o2;
        if (t < 1 || map_range(s, t, 1, t, 1, NULL, &o1, &o2)) {
            xmlUnlinkNode(m);
            xmlFreeNode(m);
            continue;
        }
        char num[16];
        snprintf(num, sizeof num, "%u", o2);
        rc = set_attr(B->c, m, "id", num);
        cnt++;
    }
    char num[16];
    snprintf(num, sizeof num, "%d", cnt);
    if (rc == 0 && fx_attr(n, "count"))
        rc = set_attr(B->c, n, "count", num);
    if (rc == 0 && fx_attr(n, "manualBreakCount"))
        rc = set_attr(B->c, n, "manualBreakCount", num);
    return rc;
}

/* dimension, merged cells, filters, formats, validations, links, breaks */
static int sheet_adjust(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    if (seg_build(c, s))
        return -1;
    xmlNodePtr root = xmlDocGetRootElement(s->doc);
    int rc = 0, gone;
    xmlNodePtr next;
    for (xmlNodePtr n = root->children; n && rc == 0; n = next) {
        next = n->next;
        if (fx_is(n, "dimension")) {
            rc = adj_dimension(B, s, n);
        } else if (fx_is(n, "mergeCells")) {
            rc = adj_merges(B, s, n);
        } else if (fx_is(n, "autoFilter")) {
            rc = adj_list_attr(B, s, n, "ref", &gone);
            xmlNodePtr ss = fx_child(n, "sortState");
            if (rc == 0 && ss)
                rc = adj_list_attr(B, s, ss, "ref", &gone);
        } else if (fx_is(n, "conditionalFormatting")) {
            uint32_t r0 = first_row_of(n, "sqref");
            rc = adj_list_attr(B, s, n, "sqref", &gone);
            if (rc == 0 && gone) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            } else if (rc == 0) {
                rc = adj_rule_formulas(B, s, n, r0);
            }
        } else if (fx_is(n, "dataValidations") || fx_is(n, "hyperlinks")) {
            int dv = fx_is(n, "dataValidations"), cnt = 0;
            xmlNodePtr mnext;
            for (xmlNodePtr m = n->children; m && rc == 0; m = mnext) {
                mnext = m->next;
                if (m->type != XML_ELEMENT_NODE)
                    continue;
                const char *attr = dv ? "sqref" : "ref";
                uint32_t r0 = first_row_of(m, attr);
                rc = adj_list_attr(B, s, m, attr, &gone);
                if (rc == 0 && gone) {
                    xmlUnlinkNode(m);
                    xmlFreeNode(m);
                    continue;
                }
                cnt++;
                if (rc == 0 && dv)
                    rc = adj_rule_formulas(B, s, m, r0);
            }
            if (rc == 0 && cnt == 0) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            } else if (rc == 0 && dv) {
                char num[16];
                snprintf(num, sizeof num, "%d", cnt);
                rc = set_attr(c, n, "count", num);
            }
        } else if (fx_is(n, "rowBreaks")) {
            rc = adj_breaks(B, s, n);
        }
    }
    return rc;
}

/* A part related to a sheet (a table, a drawing): parse, let fn change it,
 * store it when fn says so. */
typedef int (*part_fn)(xs_book *B, xs_sheet *s, xmlNodePtr root, int *changed);

static int with_part(xs_book *B, xs_sheet *s, const char *name, part_fn fn)
{
    fx_ctx *c = B->c;
    fx_entry *e = fx_pkg_find(&c->pkg, name);
    if (!e)
        return 0;
    const char *saved = c->part;
    c->part = e->name;
    c->located = 0;
    xmlDocPtr doc = fx_xml_parse(c, e);
    if (!doc)
        return -1;
    int changed = 0;
    int rc = fn(B, s, xmlDocGetRootElement(doc), &changed);
    if (rc == 0 && changed)
        rc = fx_xml_store(c, e, doc);
    xmlFreeDoc(doc);
    c->part = saved;
    return rc;
}

static int table_fn(xs_book *B, xs_sheet *s, xmlNodePtr root, int *changed)
{
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = 0;
    xmlNodePtr nodes[2] = {root, fx_child(root, "autoFilter")};
    for (int i = 0; i < 2 && rc == 0; i++) {
        const xmlChar *ref = nodes[i] ? fx_attr(nodes[i], "ref") : NULL;
        if (!ref)
            continue;
        if ((rc = map_sqref(B, s, (const char *)ref, &out)) == 0 && out.len &&
            strcmp(out.ptr, (const char *)ref) != 0) {
            rc = set_attr(B->c, nodes[i], "ref", out.ptr);
            *changed = 1;
        }
    }
    lexp__sbuf_free(&out);
    return rc;
}

/* drawing anchors: xdr:from / xdr:to rows (0-based) */
static int drawing_fn(xs_book *B, xs_sheet *s, xmlNodePtr root, int *changed)
{
    for (xmlNodePtr a = root->children; a; a = a->next) {
        if (a->type != XML_ELEMENT_NODE)
            continue;
        for (xmlNodePtr p = a->children; p; p = p->next) {
            if (!fx_is(p, "from") && !fx_is(p, "to"))
                continue;
            xmlNodePtr row = fx_child(p, "row");
            if (!row)
                continue;
            char *v = text_dup(row);
            if (!v)
                return fx_oom(B->c);
            uint32_t t = (uint32_t)strtoul(v, NULL, 10) + 1;
            free(v);
            uint32_t o = map_single(s, t, 1, NULL);
            if (o && o != t) {
                char num[16];
                snprintf(num, sizeof num, "%u", o - 1);
                if (set_text(B->c, row, num))
                    return -1;
                *changed = 1;
            }
        }
    }
    return 0;
}

static int related_parts(xs_book *B, xs_sheet *s)
{
    fx_rel *rels;
    int n;
    if (fx_rels_read(B->c, s->part, &rels, &n))
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (strcmp(rels[i].type, "table") == 0)
            rc = with_part(B, s, rels[i].target, table_fn);
        else if (strcmp(rels[i].type, "drawing") == 0)
            rc = with_part(B, s, rels[i].target, drawing_fn);
    }
    fx_rels_free(rels, n);
    return rc;
}

/* chart series and categories: c:f elements with sheet references */
static int chart_fn(xs_book *B, xs_sheet *s, xmlNodePtr root, int *changed)
{
    (void)s;
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = 0;
    xmlNodePtr n = root;
    while (n && rc == 0) {
        if (fx_is(n, "f")) {
            char *src = text_dup(n);
            if (!src) {
                rc = fx_oom(B->c);
                break;
            }
            int ch = 0;
            rc = rewrite(B, NULL, NULL, "a chart's data", src, &out, &ch);
            if (rc == 0 && ch) {
                rc = set_text(B->c, n, out.ptr);
                *changed = 1;
            }
            free(src);
        }
        n = fx_walk_next(n, root, !fx_is(n, "f"));
    }
    lexp__sbuf_free(&out);
    return rc;
}

/* ==================================================================== */
/* the workbook                                                           */

static int workbook_adjust(xs_book *B, fx_entry *wb, xmlDocPtr doc)
{
    fx_ctx *c = B->c;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = 0;
    xmlNodePtr dn = fx_child(root, "definedNames");
    for (xmlNodePtr d = dn ? dn->children : NULL; d && rc == 0; d = d->next) {
        if (!fx_is(d, "definedName"))
            continue;
        char *src = text_dup(d);
        if (!src)
            return fx_oom(c);
        int changed;
        rc = rewrite(B, NULL, NULL, "a defined name", src, &out, &changed);
        if (rc == 0 && changed)
            rc = set_text(c, d, out.ptr);
        free(src);
    }
    lexp__sbuf_free(&out);
    if (rc)
        return rc;
    /* recalculate on load: filled values feed formulas, cached results went */
    xmlNodePtr calc = fx_child(root, "calcPr");
    if (!calc) {
        static const char *const before[] = {"oleSize", "customWorkbookViews", "pivotCaches",
                                             "smartTagPr", "smartTagTypes", "webPublishing",
                                             "fileRecoveryPr", "webPublishObjects", "extLst"};
        xmlNodePtr at = NULL;
        for (xmlNodePtr k = root->children; k && !at; k = k->next)
            for (size_t i = 0; i < sizeof before / sizeof *before; i++)
                if (fx_is(k, before[i])) {
                    at = k;
                    break;
                }
        fx_copier k = {c, doc, root, 0, 0, 0};
        calc = fx_new_elem(&k, root, root, "calcPr");
        if (!calc)
            return -1;
        if (at) {
            xmlUnlinkNode(calc);
            xmlAddPrevSibling(at, calc);
        }
    }
    if (set_attr(c, calc, "fullCalcOnLoad", "1"))
        return -1;
    return fx_xml_store(c, wb, doc);
}

/* Remove calcChain.xml and what names it: its cells moved. */
static int drop_calc_chain(xs_book *B, const char *wb_part, const char *chain)
{
    fx_ctx *c = B->c;
    fx_entry *e = fx_pkg_find(&c->pkg, chain);
    if (!e)
        return 0;
    e->removed = 1;
    char rels[512];
    const char *slash = strrchr(wb_part, '/');
    snprintf(rels, sizeof rels, "%.*s_rels/%s.rels", slash ? (int)(slash - wb_part + 1) : 0,
             wb_part, slash ? slash + 1 : wb_part);
    const char *parts[2] = {rels, "[Content_Types].xml"};
    for (int i = 0; i < 2; i++) {
        fx_entry *pe = fx_pkg_find(&c->pkg, parts[i]);
        if (!pe)
            continue;
        c->part = pe->name;
        c->located = 0;
        xmlDocPtr doc = fx_xml_parse(c, pe);
        if (!doc)
            return -1;
        int changed = 0;
        xmlNodePtr next;
        for (xmlNodePtr k = xmlDocGetRootElement(doc)->children; k; k = next) {
            next = k->next;
            const xmlChar *v = i == 0 ? fx_attr(k, "Type") : fx_attr(k, "PartName");
            if (!v || !fx_is(k, i == 0 ? "Relationship" : "Override"))
                continue;
            const char *end = strrchr((const char *)v, '/');
            if ((i == 0 && end && strcmp(end, "/calcChain") == 0) ||
                (i == 1 && strcmp((const char *)v + (v[0] == '/'), chain) == 0)) {
                xmlUnlinkNode(k);
                xmlFreeNode(k);
                changed = 1;
            }
        }
        int rc = changed ? fx_xml_store(c, pe, doc) : 0;
        xmlFreeDoc(doc);
        if (rc)
            return rc;
    }
    return 0;
}

static void book_free(xs_book *B)
{
    for (int i = 0; i < B->nsheets; i++) {
        xs_sheet *s = &B->sheets[i];
        free(s->name);
        free(s->part);
        if (s->doc)
            xmlFreeDoc(s->doc);
        free(s->trow_loop);
        free(s->body_lo);
        free(s->body_hi);
        free(s->hf);
        free(s->out_trow);
        free(s->out_iter);
        free(s->iters);
        free(s->cur);
        free(s->csr_start);
        free(s->csr);
        free(s->seg_min);
        free(s->seg_max);
        free(s->fs);
    }
    free(B->sheets);
    for (uint32_t i = 0; i < B->nsst; i++)
        free(B->sst[i]);
    free(B->sst);
    free(B->wb_part);
}

static const fx_kind excel_kind = {
    "an Excel workbook", "xl/workbook.xml", "xl/", {"spreadsheetml", "ms-excel"},
    "its main part is not a workbook", "wordprocessingml", "word/document.xml",
    " (it is a Word document: name it .docx)"};

static int book_fill(xs_book *B)
{
    fx_ctx *c = B->c;
    fx_rel *rels = NULL;
    int n = 0;
    B->wb_part = fx_main_part(c, &excel_kind);
    if (!B->wb_part)
        return -1;
    fx_entry *wb = fx_pkg_find(&c->pkg, B->wb_part);
    if (fx_rels_read(c, B->wb_part, &rels, &n))
        return -1;
    char *sst = NULL, *chain = NULL;
    for (int i = 0; i < n; i++) {
        if (strcmp(rels[i].type, "sharedStrings") == 0)
            sst = strdup(rels[i].target);
        else if (strcmp(rels[i].type, "calcChain") == 0)
            chain = strdup(rels[i].target);
    }
    /* is there a tag anywhere? */
    int maybe = 0;
    for (int i = 0; i < n && !maybe; i++) {
        if (strcmp(rels[i].type, "worksheet") && strcmp(rels[i].type, "sharedStrings"))
            continue;
        fx_entry *e = fx_pkg_find(&c->pkg, rels[i].target);
        maybe = e && fx_maybe_tags((const char *)e->data, e->len);
    }
    int rc = 0;
    xmlDocPtr wdoc = NULL;
    if (!maybe)
        goto done;
    c->part = wb->name;
    c->located = 0;
    if (!(wdoc = fx_xml_parse(c, wb))) {
        rc = -1;
        goto done;
    }
    xmlNodePtr sheets = fx_child(xmlDocGetRootElement(wdoc), "sheets");
    int ns = 0;
    for (xmlNodePtr k = sheets ? sheets->children : NULL; k; k = k->next)
        ns += fx_is(k, "sheet");
    B->sheets = calloc((size_t)(ns ? ns : 1), sizeof *B->sheets);
    if (!B->sheets) {
        rc = fx_oom(c);
        goto done;
    }
    for (xmlNodePtr k = sheets ? sheets->children : NULL; k && rc == 0; k = k->next) {
        if (!fx_is(k, "sheet"))
            continue;
        const xmlChar *name = fx_attr(k, "name"), *id = fx_attr(k, "id");
        const char *target = NULL;
        for (int i = 0; id && i < n; i++)
            if (strcmp(rels[i].id, (const char *)id) == 0 && strcmp(rels[i].type, "worksheet") == 0)
                target = rels[i].target;
        if (!target)
            continue; /* a chart sheet, a dialog sheet */
        xs_sheet *s = &B->sheets[B->nsheets++];
        s->name = strdup(name ? (const char *)name : "");
        s->part = strdup(target);
        s->e = fx_pkg_find(&c->pkg, target);
        if (!s->name || !s->part)
            rc = fx_oom(c);
    }
    if (rc == 0 && sst)
        rc = sst_load(B, sst);
    /* compile and fill every sheet with tags */
    for (int i = 0; i < B->nsheets && rc == 0; i++) {
        xs_sheet *s = &B->sheets[i];
        if (!s->e)
            continue;
        int may = fx_maybe_tags((const char *)s->e->data, s->e->len) ||
                  (B->sst_tags && strstr((const char *)s->e->data, "t=\"s\""));
        if (!may)
            continue;
        c->part = s->e->name;
        c->sheet = s->name;
        c->located = 0;
        if (!(s->doc = fx_xml_parse(c, s->e))) {
            rc = -1;
            break;
        }
        if ((rc = sheet_compile(B, s)))
            break;
        if (!s->tags)
            continue;
        if ((rc = sheet_structure(B, s)) || (rc = sheet_generate(B, s)))
            break;
        B->any_changed = 1;
        B->any_moved |= s->moved;
    }
    /* references, now that every sheet's rows are known */
    for (int i = 0; i < B->nsheets && rc == 0; i++) {
        xs_sheet *s = &B->sheets[i];
        c->part = s->part;
        c->sheet = s->name;
        c->located = 0;
        if (s->tags)
            rc = sheet_formulas(B, s);
        else if (B->any_moved)
            rc = other_formulas(B, s);
        if (rc == 0 && s->moved)
            rc = sheet_adjust(B, s);
        if (rc == 0 && s->moved)
            rc = related_parts(B, s);
    }
    c->sheet = NULL;
    if (rc == 0 && B->any_moved)
        for (int i = 0; i < c->pkg.n && rc == 0; i++) {
            fx_entry *e = &c->pkg.e[i];
            if (strncmp(e->name, "xl/charts/chart", 15) == 0 && strstr((const char *)e->data, "f>"))
                rc = with_part(B, NULL, e->name, chart_fn);
        }
    for (int i = 0; i < B->nsheets && rc == 0; i++) {
        xs_sheet *s = &B->sheets[i];
        if (s->changed) {
            c->part = s->part;
            rc = fx_xml_store(c, s->e, s->doc);
        }
    }
    if (rc == 0 && B->any_changed) {
        c->part = wb->name;
        c->located = 0;
        rc = workbook_adjust(B, wb, wdoc);
    }
    if (rc == 0 && B->any_moved && chain)
        rc = drop_calc_chain(B, B->wb_part, chain);
done:
    if (wdoc)
        xmlFreeDoc(wdoc);
    fx_rels_free(rels, n);
    free(sst);
    free(chain);
    return rc ? (c->err->code ? c->err->code : -1) : 0;
}

int fx_xlsx(fx_ctx *c)
{
    xs_book B;
    memset(&B, 0, sizeof B);
    B.c = c;
    int rc = book_fill(&B);
    book_free(&B);
    return rc;
}
