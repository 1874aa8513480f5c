/* Excel templates (fill_xlsx.h lists the files). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill_xlsx.h"

/* ==================================================================== */
/* generating a sheet                                                     */

typedef xs_gen gen;

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

/* A formula the template wrote, with the values filled in: written as
 * such, in the filled sheet's coordinates (not moved with the rows), no
 * cached value, so Excel and LibreOffice compute it on load. */
static int set_formula(gen *g, xmlNodePtr oc, char *s, size_t len)
{
    fx_ctx *c = g->B->c;
    len = fx_xml_clean(s, len);
    if (len > FX_XLSX_MAX_FORMULA + 1) {
        char col[4];
        fx_col_name(c->cell_col, col);
        return fx_fail(c, LEXP_ELIMIT, (int)c->cell_row, 0,
                       "the formula filled into cell %s%u has %zu characters; Excel's limit is "
                       "%u (fill the values into cells and refer to them)",
                       col, c->cell_row, len - 1, FX_XLSX_MAX_FORMULA);
    }
    xs_del_attr(oc, "t");
    xmlNodePtr f = fx_new_elem(&g->s->k, oc, oc, "f");
    return f && fx_add_text(&g->s->k, f, s + 1, len - 1) == 0 ? 0 : -1;
}

/* Word's paragraph mark (\a) and page break (\f) in a value, as docxtpl
 * writes them, are line breaks in a cell: a cell has neither. */
static int line_breaks(char *s, size_t len)
{
    int any = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\a' || s[i] == '\f')
            s[i] = '\n';
        any |= s[i] == '\n';
    }
    return any;
}

static int want_wrap(gen *g, xmlNodePtr oc)
{
    xs_book *B = g->B;
    if (B->nwraps == B->capwraps) {
        size_t cap = B->capwraps ? B->capwraps * 2 : 64;
        xmlNodePtr *v = realloc(B->wraps, cap * sizeof *v);
        if (!v)
            return fx_oom(B->c);
        B->wraps = v;
        B->capwraps = cap;
    }
    B->wraps[B->nwraps++] = oc;
    return 0;
}

/* Put a value into an output cell. `typed`: the cell held one {{ }}. */
static int set_value(gen *g, xmlNodePtr oc, const lexp_value *v, char *s, size_t len, int typed)
{
    fx_ctx *c = g->B->c;
    fx_copier *k = &g->s->k;
    xs_del_attr(oc, "t");
    if (typed && v->type == LV_NUM) {
        char num[40];
        fmt_num(num, sizeof num, v->u.num);
        xmlNodePtr ve = fx_new_elem(k, oc, oc, "v");
        return ve && fx_add_text(k, ve, num, strlen(num)) == 0 ? 0 : -1;
    }
    if (typed && v->type == LV_BOOL) {
        xmlNodePtr ve = fx_new_elem(k, oc, oc, "v");
        if (!ve || xs_set_attr(c, oc, "t", "b"))
            return -1;
        return fx_add_text(k, ve, v->b ? "1" : "0", 1);
    }
    if (line_breaks(s, len) && !g->amp && want_wrap(g, oc))
        return -1;
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
    if (xs_set_attr(c, oc, "t", "inlineStr"))
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

int xs_gen_cell(gen *g, const xs_row *row, const xs_cell *cell, xmlNodePtr orow, uint32_t o,
                uint32_t ocol, int32_t kcol)
{
    fx_ctx *c = g->B->c;
    xs_sheet *s = g->s;
    fx_copier *k = &s->k;
    xmlNodePtr oc = fx_copy_shallow(k, orow, cell->node);
    if (!oc)
        return -1;
    char ref[24], col[4];
    fx_col_name(ocol, col);
    snprintf(ref, sizeof ref, "%s%u", col, o + 1);
    if (xs_set_attr(c, oc, "r", ref))
        return -1;
    c->cell_row = row->r;
    c->cell_col = cell->col;
    switch (cell->kind) {
    case XC_STMT:
    case XC_EMPTY: /* a block tag's cell: its style stays */
        xs_del_attr(oc, "t");
        return 0;
    case XC_COPY:
        for (xmlNodePtr ch = cell->node->children; ch; ch = ch->next)
            if (!fx_copy_deep(k, oc, ch))
                return -1;
        return 0;
    case XC_FORMULA: {
        const xmlChar *t = fx_attr(oc, "t");
        if (t && strcmp((const char *)t, "inlineStr") != 0 && strcmp((const char *)t, "s") != 0)
            xs_del_attr(oc, "t"); /* the type of a cached result that goes */
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
                xs_del_attr(f, "t");
                xs_del_attr(f, "si");
                xs_del_attr(f, "ref");
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
            s->fs[s->nfs++] = (xs_formula){f->children, oc, src, o, row->r, s->inner, kcol};
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
        if (cell->as_formula)
            return set_formula(g, oc, g->text.ptr, g->text.len);
        return set_value(g, oc, v, g->text.ptr, g->text.len, 1);
    }
    case XC_TEXT: {
        g->text.len = 0;
        fx_runner r = {text_leaf, NULL, g};
        if (fx_run(c, cell->prog, &r))
            return -1;
        if (cell->as_formula && g->text.len > 1 && g->text.ptr[0] == '=')
            return set_formula(g, oc, g->text.ptr, g->text.len);
        return set_value(g, oc, &lexp__undef, g->text.ptr, g->text.len, 0);
    }
    }
    return 0;
}

static int gen_leaf(fx_ctx *c, const fx_op *op, void *p)
{
    gen *g = p;
    xs_sheet *s = g->s;
    uint32_t o = 0;
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
    if (!orow || xs_set_attr(c, orow, "r", num))
        return -1;
    if (row->cprog)
        return xs_gen_cols(g, row, orow, o);
    for (int i = 0; i < row->ncells; i++)
        if (xs_gen_cell(g, row, &row->cells[i], orow, o, row->cells[i].col, -1))
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

int xs_sheet_generate(xs_book *B, xs_sheet *s)
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
    if (build_csr(c, s) || xs_cmap_finish(c, s))
        return -1;
    return s->moved ? xs_seg_build(c, s) : 0;
}
