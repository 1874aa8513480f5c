/*
 * Excel templates: blocks over the columns of one row. A row holding more
 * than one block tag, each alone in its cell ({% for m in months %} in C2,
 * {% endfor %} in F2), repeats the cells between per item to the right;
 * the tags' cells take no column, the cells to the right move over.
 *
 * The row's cells and the empty columns between them become a statement
 * tree of their own (gaps count as columns, so a body's empty columns
 * repeat with it). Generating a copy of the row numbers output columns in
 * order; the first copy of each template row records, for every output
 * column, the template column and loop iteration it came from. References
 * to the row's cells move with that record, as rows move with the row
 * mapping; column widths follow the topmost such row.
 */
#include <stdlib.h>
#include <string.h>

#include "fill_xlsx.h"


/* ---- structure --------------------------------------------------------- */

int xs_col_structure(xs_book *B, xs_sheet *s, xs_row *row)
{
    fx_ctx *c = B->c;
    char col[4];
    /* tags must pair up inside the row, or the user meant rows */
    int depth = 0;
    const xs_cell *open = NULL;
    for (int i = 0; i < row->ncells; i++) {
        const xs_cell *cell = &row->cells[i];
        if (cell->kind != XC_STMT)
            continue;
        int k = cell->stmt->t.kind;
        fx_col_name(cell->col, col);
        c->cell_row = row->r;
        c->cell_col = cell->col;
        if (k == TAG_FOR || k == TAG_IF) {
            if (depth++ == 0)
                open = cell;
        } else if ((k == TAG_ENDFOR || k == TAG_ENDIF) && depth == 0) {
            return fx_fail(c, LEXP_ESYNTAX, cell->stmt->line, cell->stmt->col,
                           "'{%% %s %%}' in %s%u closes no block of row %u: a row holding "
                           "several block tags makes blocks over its columns, which open and "
                           "close in that row; to end a block over rows, put '{%% %s %%}' in "
                           "a row with no other block tag",
                           xs_tag_word(k), col, row->r, row->r, xs_tag_word(k));
        } else if (k == TAG_ENDFOR || k == TAG_ENDIF) {
            depth--;
        }
    }
    if (depth) {
        fx_col_name(open->col, col);
        c->cell_row = row->r;
        c->cell_col = open->col;
        int f = open->stmt->t.kind == TAG_FOR;
        return fx_fail(c, LEXP_ESYNTAX, open->stmt->line, open->stmt->col,
                       "'{%% %s %%}' in %s%u has no '{%% end%s %%}' in row %u: a block over "
                       "columns opens and closes in one row (the cells between repeat to "
                       "the right); a block over rows has '{%% %s %%}' and '{%% end%s %%}' "
                       "each in a row with no other block tag",
                       f ? "for" : "if", col, row->r, f ? "for" : "if", row->r,
                       f ? "for" : "if", f ? "for" : "if");
    }
    fx_builder b;
    fx_build_init(&b, c, "this row", &row->ncloops);
    b.word = 1;
    uint32_t next = 1;
    for (int i = 0; i < row->ncells; i++) {
        const xs_cell *cell = &row->cells[i];
        c->cell_row = row->r;
        c->cell_col = cell->col;
        if (cell->col > next) {
            fx_op *op = fx_build_item(&b, OP_GAP);
            if (!op)
                return -1;
            op->gap_from = next;
            op->n = cell->col - next;
        }
        next = cell->col + 1;
        if (cell->kind == XC_STMT) {
            if (cell->stmt->t.kind == TAG_FOR && fx_build_loop(&b)) {
                fx_col_name(cell->col, col);
                return fx_fail(c, LEXP_ESYNTAX, cell->stmt->line, cell->stmt->col,
                               "a loop over columns inside another one (%s%u): loop over "
                               "rows outside, or join the inner values with '| join'",
                               col, row->r);
            }
            if (fx_build_tag(&b, cell->stmt, NULL))
                return -1;
            continue;
        }
        fx_op *op = fx_build_item(&b, OP_LEAF);
        if (!op)
            return -1;
        op->slot = i;
    }
    c->cell_row = 0;
    if (fx_build_end(&b, &row->cprog))
        return -1;
    if (!s->trow_cmap) {
        s->trow_cmap = calloc((size_t)s->max_trow + 2, sizeof *s->trow_cmap);
        if (!s->trow_cmap)
            return fx_oom(c);
    }
    return 0;
}

/* ---- generating one copy of the row ------------------------------------ */

typedef struct colgen {
    xs_gen *g;
    const xs_row *row;
    xmlNodePtr orow;
    uint32_t o, ocol;
    int32_t k;
    uint32_t loop_col, loop_len; /* the loop running, for the limit's message */
    int record;                  /* the template row's first copy: keep its columns */
    uint32_t *tcol;
    int32_t *kk;
    uint32_t cap;
} colgen;

static int next_col(fx_ctx *c, colgen *cg, uint32_t t)
{
    if (cg->ocol >= FX_XLSX_MAX_COLS) {
        char col[4];
        fx_col_name(cg->loop_col ? cg->loop_col : t, col);
        c->cell_row = cg->row->r;
        c->cell_col = cg->loop_col ? cg->loop_col : t;
        return fx_fail(c, LEXP_ELIMIT, (int)cg->row->r, 0,
                       "the filled row %u would have more than %u columns, Excel's limit "
                       "(XFD): the loop over columns in %s%u repeats %u times",
                       cg->o + 1, FX_XLSX_MAX_COLS, col, cg->row->r, cg->loop_len);
    }
    cg->ocol++;
    if (!cg->record)
        return 0;
    if (cg->ocol > cg->cap) {
        uint32_t cap = cg->cap ? cg->cap * 2 : 64;
        uint32_t *t2 = realloc(cg->tcol, (size_t)cap * sizeof *t2);
        if (t2)
            cg->tcol = t2;
        int32_t *k2 = t2 ? realloc(cg->kk, (size_t)cap * sizeof *k2) : NULL;
        if (!k2)
            return fx_oom(c);
        cg->kk = k2;
        cg->cap = cap;
    }
    cg->tcol[cg->ocol - 1] = t;
    cg->kk[cg->ocol - 1] = cg->k;
    return 0;
}

static int col_leaf(fx_ctx *c, const fx_op *op, void *p)
{
    colgen *cg = p;
    if (op->kind == OP_GAP) {
        for (uint32_t i = 0; i < op->n; i++)
            if (next_col(c, cg, op->gap_from + i))
                return -1;
        return 0;
    }
    const xs_cell *cell = &cg->row->cells[op->slot];
    if (next_col(c, cg, cell->col))
        return -1;
    return xs_gen_cell(cg->g, cg->row, cell, cg->orow, cg->o, cg->ocol, cg->k);
}

static int col_iter(fx_ctx *c, const fx_op *loop, int64_t index, uint32_t len, void *p)
{
    (void)c;
    colgen *cg = p;
    cg->k = index < 0 ? -1 : (int32_t)index;
    if (index == 0) {
        cg->loop_len = len;
        for (int i = 0; i < cg->row->ncells; i++)
            if (cg->row->cells[i].stmt == loop->tag)
                cg->loop_col = cg->row->cells[i].col;
    } else if (index < 0) {
        cg->loop_col = 0;
    }
    return 0;
}

int xs_gen_cols(xs_gen *g, const xs_row *row, xmlNodePtr orow, uint32_t o)
{
    fx_ctx *c = g->B->c;
    xs_sheet *s = g->s;
    colgen cg = {g, row, orow, o, 0, -1, 0, 0, !s->trow_cmap[row->r], NULL, NULL, 0};
    fx_runner r = {col_leaf, col_iter, &cg};
    int rc = fx_run(c, row->cprog, &r);
    if (rc == 0 && cg.record) {
        xs_cmap *v = realloc(s->cmaps, (size_t)(s->ncmaps + 1) * sizeof *v);
        if (!v) {
            rc = fx_oom(c);
        } else {
            s->cmaps = v;
            xs_cmap *m = &s->cmaps[s->ncmaps++];
            memset(m, 0, sizeof *m);
            m->trow = row->r;
            m->n = cg.ocol;
            for (int i = 0; i < row->ncells; i++)
                if (row->cells[i].col > m->max_t)
                    m->max_t = row->cells[i].col;
            m->tcol = cg.tcol;
            m->k = cg.kk;
            cg.tcol = NULL;
            cg.kk = NULL;
            s->trow_cmap[row->r] = s->ncmaps;
        }
    }
    free(cg.tcol);
    free(cg.kk);
    c->cell_row = 0;
    return rc;
}

/* The index of copies by template column. */
int xs_cmap_finish(fx_ctx *c, xs_sheet *s)
{
    for (int i = 0; i < s->ncmaps; i++) {
        xs_cmap *m = &s->cmaps[i];
        size_t nt = (size_t)m->max_t + 2;
        m->tstart = calloc(nt, sizeof *m->tstart);
        m->tlist = malloc(((size_t)m->n + 1) * sizeof *m->tlist);
        m->next = calloc(nt, sizeof *m->next);
        m->prev = calloc(nt, sizeof *m->prev);
        uint32_t *fill = calloc(nt, sizeof *fill);
        if (!m->tstart || !m->tlist || !m->next || !m->prev || !fill) {
            free(fill);
            return fx_oom(c);
        }
        for (uint32_t j = 0; j < m->n; j++)
            m->tstart[m->tcol[j] + 1]++;
        for (uint32_t t = 1; t < nt; t++)
            m->tstart[t] += m->tstart[t - 1];
        memcpy(fill, m->tstart, nt * sizeof *fill);
        for (uint32_t j = 0; j < m->n; j++)
            m->tlist[fill[m->tcol[j]]++] = j + 1;
        free(fill);
        for (uint32_t t = 1; t <= m->max_t; t++)
            m->prev[t] = m->tstart[t + 1] > m->tstart[t] ? t : m->prev[t - 1];
        for (uint32_t t = m->max_t; t >= 1; t--)
            m->next[t] = m->tstart[t + 1] > m->tstart[t] ? t : m->next[t + 1];
    }
    return 0;
}

void xs_cmaps_free(xs_sheet *s)
{
    for (int i = 0; i < s->ncmaps; i++) {
        xs_cmap *m = &s->cmaps[i];
        free(m->tcol);
        free(m->k);
        free(m->tstart);
        free(m->tlist);
        free(m->next);
        free(m->prev);
    }
    free(s->cmaps);
    free(s->trow_cmap);
}

/* ---- references to the row's cells --------------------------------------- */

static uint32_t clamp_col(int64_t v)
{
    return v < 1 ? 1 : v > FX_XLSX_MAX_COLS ? FX_XLSX_MAX_COLS : (uint32_t)v;
}

static uint32_t beyond_col(const xs_cmap *m, uint32_t t)
{
    if (t == FX_XLSX_MAX_COLS)
        return t; /* to the row's end stays so */
    return clamp_col((int64_t)t + m->n - m->max_t);
}

/* The copy of template column t made in iteration k, if any. */
static uint32_t copy_in(const xs_cmap *m, uint32_t t, int32_t k)
{
    uint32_t lo = m->tstart[t], hi = m->tstart[t + 1];
    while (lo < hi) { /* the copies' iterations ascend with their columns */
        uint32_t mid = lo + (hi - lo) / 2;
        int32_t v = m->k[m->tlist[mid] - 1];
        if (v < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->tstart[t + 1] && m->k[m->tlist[lo] - 1] == k ? m->tlist[lo] : 0;
}

static uint32_t single(const xs_cmap *m, uint32_t t, int abs, int32_t k)
{
    if (t > m->max_t)
        return beyond_col(m, t);
    if (k >= 0 && !abs) {
        uint32_t v = copy_in(m, t, k);
        if (v)
            return v;
    }
    if (m->tstart[t + 1] > m->tstart[t])
        return m->tlist[m->tstart[t]];
    /* a tag's column, or a body that ran zero times: the column now there */
    uint32_t u = t < m->max_t ? m->next[t + 1] : 0;
    return u ? m->tlist[m->tstart[u]] : clamp_col((int64_t)m->n + 1);
}

/* Relative references from a cell of a column loop's iteration k mean
 * that iteration's copy; ranges cover every copy of their columns. */
void xs_map_cols(const xs_cmap *m, fx_ref *r, int32_t k)
{
    if (r->kind == 'c') {
        r->col[0] = r->col[1] = single(m, r->col[0], r->cabs[0], k);
        return;
    }
    uint32_t c1 = r->col[0], c2 = r->col[1];
    if (c1 > c2) {
        uint32_t t = c1;
        c1 = c2;
        c2 = t;
    }
    uint32_t lo = 0, hi = 0;
    if (c1 > m->max_t) {
        lo = beyond_col(m, c1);
    } else {
        uint32_t u = m->next[c1];
        if (u && u <= c2)
            lo = m->tlist[m->tstart[u]];
    }
    if (c2 > m->max_t) {
        hi = beyond_col(m, c2);
        if (!lo)
            lo = clamp_col((int64_t)m->n + 1);
    } else {
        uint32_t u = m->prev[c2];
        if (u && u >= c1)
            hi = m->tlist[m->tstart[u + 1] - 1];
    }
    if (lo && hi && lo <= hi) {
        r->col[0] = lo;
        r->col[1] = hi;
        return;
    }
    /* no copies left (a loop over nothing): the column left of where the
     * range was, as a range of rows points at the row above */
    uint32_t u = c2 < m->max_t ? m->next[c2 + 1] : 0;
    uint32_t at = u ? m->tlist[m->tstart[u]] : m->n + 1;
    r->col[0] = r->col[1] = at > 1 ? at - 1 : 1;
}

/* ---- column widths ---------------------------------------------------------- */

static const xmlNode *col_elem(xmlNodePtr *els, int n, uint32_t t)
{
    for (int i = 0; i < n; i++) {
        const xmlChar *a = fx_attr(els[i], "min"), *b = fx_attr(els[i], "max");
        uint32_t lo = a ? (uint32_t)strtoul((const char *)a, NULL, 10) : 0;
        uint32_t hi = b ? (uint32_t)strtoul((const char *)b, NULL, 10) : lo;
        if (t >= lo && t <= hi)
            return els[i];
    }
    return NULL;
}

static int add_col(xs_book *B, xs_sheet *s, xmlNodePtr cols, const xmlNode *like, uint32_t lo,
                   uint32_t hi)
{
    xmlNodePtr n = fx_copy_deep(&s->k, cols, like);
    char num[16];
    if (!n)
        return -1;
    snprintf(num, sizeof num, "%u", lo);
    if (xs_set_attr(B->c, n, "min", num))
        return -1;
    snprintf(num, sizeof num, "%u", hi);
    return xs_set_attr(B->c, n, "max", num);
}

/* Each output column of the topmost row with blocks over columns takes the
 * width (and style) of the template column it came from; columns past the
 * row's last template column move over with the cells. */
int xs_adjust_widths(xs_book *B, xs_sheet *s)
{
    if (!s->ncmaps)
        return 0;
    xmlNodePtr cols = fx_child(xmlDocGetRootElement(s->doc), "cols");
    if (!cols)
        return 0;
    const xs_cmap *m = &s->cmaps[0];
    int n = 0, rc = 0;
    for (xmlNodePtr k = cols->children; k; k = k->next)
        n += fx_is(k, "col");
    xmlNodePtr *els = calloc(n ? (size_t)n : 1, sizeof *els);
    if (!els)
        return fx_oom(B->c);
    n = 0;
    xmlNodePtr old = cols->children;
    cols->children = cols->last = NULL;
    for (xmlNodePtr k = old; k; k = k->next)
        if (fx_is(k, "col"))
            els[n++] = k;
    /* runs of output columns taken from one <col> */
    uint32_t run = 0;
    const xmlNode *cur = NULL;
    for (uint32_t j = 1; j <= m->n + 1 && rc == 0; j++) {
        const xmlNode *e = j <= m->n ? col_elem(els, n, m->tcol[j - 1]) : NULL;
        if (e == cur)
            continue;
        if (cur)
            rc = add_col(B, s, cols, cur, run, j - 1);
        cur = e;
        run = j;
    }
    for (int i = 0; i < n && rc == 0; i++) {
        const xmlChar *a = fx_attr(els[i], "min"), *b = fx_attr(els[i], "max");
        uint32_t lo = a ? (uint32_t)strtoul((const char *)a, NULL, 10) : 0;
        uint32_t hi = b ? (uint32_t)strtoul((const char *)b, NULL, 10) : lo;
        if (hi <= m->max_t)
            continue;
        if (lo <= m->max_t)
            lo = m->max_t + 1;
        uint32_t nlo = beyond_col(m, lo), nhi = beyond_col(m, hi);
        if (nlo > m->n && nlo <= nhi)
            rc = add_col(B, s, cols, els[i], nlo, nhi);
    }
    while (old) {
        xmlNodePtr nx = old->next;
        old->parent = NULL;
        old->next = old->prev = NULL;
        xmlFreeNode(old);
        old = nx;
    }
    free(els);
    if (rc == 0 && !cols->children) {
        xmlUnlinkNode(cols);
        xmlFreeNode(cols);
    }
    return rc;
}
