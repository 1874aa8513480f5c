/*
 * Word tables: rows and cells (also inside content controls), vertical
 * merge regions and how a generated table gets its merge marks, and what
 * Word wants of a container after blocks ran zero times.
 *
 * Vertical merges. A merged region of a table (w:vMerge restart and the
 * continuing cells below it) belongs to the innermost row loop that holds
 * all of its rows; each iteration of that loop gets its own region, and a
 * region that reaches into a loop's {%tr endfor %} row spans all the rows
 * the loop makes. After a table is generated its merge marks are set from
 * these regions, so a region never merges into a copy made for another
 * iteration, and none starts with a "continue".
 */
#include <stdlib.h>
#include <string.h>

#include "fill_docx.h"

/* ---- tables: rows, cells and vertical merge regions -------------------- */


/* Rows of a table, also inside content controls, not in nested tables. */
int dx_each_row(dx *x, xmlNodePtr parent, dx_node_fn fn, void *p)
{
    for (xmlNodePtr k = parent->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (dx_is_w(k, "tr")) {
            if (fn(x, k, p))
                return -1;
        } else if (dx_is_w(k, "sdt") || dx_is_w(k, "sdtContent") || dx_is_w(k, "customXml")) {
            if (dx_each_row(x, k, fn, p))
                return -1;
        }
    }
    return 0;
}

int dx_each_cell(dx *x, xmlNodePtr row, dx_node_fn fn, void *p)
{
    for (xmlNodePtr k = row->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (dx_is_w(k, "tc")) {
            if (fn(x, k, p))
                return -1;
        } else if (dx_is_w(k, "sdt") || dx_is_w(k, "sdtContent") || dx_is_w(k, "customXml")) {
            if (dx_each_cell(x, k, fn, p))
                return -1;
        }
    }
    return 0;
}


/* 0: no vMerge; 'r': restart; 'c': continue. */
static int vmerge_of(const xmlNode *tc, xmlNodePtr *vm)
{
    xmlNodePtr pr = fx_child(tc, "tcPr");
    xmlNodePtr m = pr ? fx_child(pr, "vMerge") : NULL;
    if (vm)
        *vm = m;
    if (!m)
        return 0;
    const xmlChar *v = fx_attr(m, "val");
    return v && strcmp((const char *)v, "restart") == 0 ? 'r' : 'c';
}

typedef struct regions {
    int *col_region; /* by grid column: the open region */
    int ncols;
    fx_op **scope;   /* by region: the loop scoping it (LCA of its rows' loops) */
    int n, cap;
    xmlNodePtr *cells;
    int ncells, capcells;
    int col;
    fx_op *row_loop;
    int any;
} regions;

static int region_cell(dx *x, xmlNodePtr tc, void *p)
{
    regions *R = p;
    long span = dx_wval(fx_child(tc, "tcPr"), "gridSpan", 1);
    if (span < 1 || span > 1000)
        span = 1;
    int col = R->col;
    R->col += (int)span;
    if (col >= R->ncols) {
        int n = col + 64;
        int *v = realloc(R->col_region, (size_t)n * sizeof *v);
        if (!v)
            return fx_oom(x->c);
        for (int i = R->ncols; i < n; i++)
            v[i] = 0;
        R->col_region = v;
        R->ncols = n;
    }
    int vm = vmerge_of(tc, NULL);
    int region = 0;
    if (vm == 'c' && R->col_region[col]) {
        region = R->col_region[col];
        R->scope[region] = fx_lca(R->scope[region], R->row_loop);
    } else if (vm) {
        if (R->n + 1 >= R->cap) {
            int cap = R->cap ? R->cap * 2 : 16;
            fx_op **s = realloc(R->scope, (size_t)cap * sizeof *s);
            if (!s)
                return fx_oom(x->c);
            R->scope = s;
            R->cap = cap;
        }
        region = ++R->n;
        R->scope[region] = R->row_loop;
        R->any = 1;
    }
    R->col_region[col] = region;
    if (region) {
        dx_info *ci = dx_info_of(x, tc);
        if (!ci)
            return -1;
        ci->region = region;
        if (R->ncells == R->capcells) {
            int cap = R->capcells ? R->capcells * 2 : 32;
            xmlNodePtr *v = realloc(R->cells, (size_t)cap * sizeof *v);
            if (!v)
                return fx_oom(x->c);
            R->cells = v;
            R->capcells = cap;
        }
        R->cells[R->ncells++] = tc;
    }
    return 0;
}

static int region_row(dx *x, xmlNodePtr tr, void *p)
{
    regions *R = p;
    dx_info *ri = tr->_private;
    R->row_loop = ri ? ri->loop : NULL;
    R->col = (int)dx_wval(fx_child(tr, "trPr"), "gridBefore", 0);
    if (R->col < 0 || R->col > 1000)
        R->col = 0;
    int first = R->col;
    for (int i = 0; i < R->ncols && i < first; i++)
        R->col_region[i] = 0;
    if (dx_each_cell(x, tr, region_cell, R))
        return -1;
    for (int i = R->col; i < R->ncols; i++) /* columns this row leaves out */
        R->col_region[i] = 0;
    return 0;
}

int dx_table_regions(dx *x, xmlNodePtr tbl, dx_info *ti)
{
    regions R;
    memset(&R, 0, sizeof R);
    int rc = dx_each_row(x, tbl, region_row, &R);
    if (rc == 0 && R.any) {
        for (int i = 0; i < R.ncells; i++) {
            dx_info *ci = R.cells[i]->_private;
            fx_op *s = R.scope[ci->region];
            ci->region_loop = s ? s->id : 0;
            /* generation must reach the cell to mark its copy: the rows
             * (and wrappers) above it are walked, not copied whole */
            for (xmlNodePtr a = R.cells[i]->parent; a && a != tbl; a = a->parent) {
                dx_info *ai = dx_info_of(x, a);
                if (!ai) {
                    rc = -1;
                    break;
                }
                ai->dyn = 1;
                if (ai->kind == K_COPY)
                    ai->kind = K_PASS;
            }
        }
        ti->vmerge = 1;
        ti->dyn = 1;
        if (ti->kind == K_COPY)
            ti->kind = K_PASS;
    }
    free(R.col_region);
    free(R.scope);
    free(R.cells);
    return rc;
}

int dx_mark_region(dx *x, xmlNodePtr out, const xmlNode *t)
{
    const dx_info *ti = t->_private;
    if (!ti || !ti->region || !out || out->type != XML_ELEMENT_NODE)
        return 0;
    dx_cellmark *m = lexp__arena_alloc(&x->c->A, sizeof *m);
    if (!m)
        return fx_oom(x->c);
    m->region = ti->region;
    m->key = ti->region_loop ? x->serial[ti->region_loop] : 0;
    out->_private = m;
    return 0;
}

/* ---- vertical merges of a generated table ---- */

typedef struct vfix {
    dx_cellmark **above; /* by grid column */
    int ncols;
    int col;
} vfix;

/* A continuing cell shows nothing of its own: keep one empty paragraph
 * (with the first one's properties), so no reader appends its text. */
static int empty_cell(dx *x, xmlNodePtr tc)
{
    xmlNodePtr first_p = NULL, next;
    for (xmlNodePtr k = tc->children; k; k = next) {
        next = k->next;
        if (dx_is_w(k, "tcPr"))
            continue;
        if (!first_p && dx_is_w(k, "p")) {
            first_p = k;
            xmlNodePtr pn;
            for (xmlNodePtr q = k->children; q; q = pn) {
                pn = q->next;
                if (!dx_is_w(q, "pPr")) {
                    xmlUnlinkNode(q);
                    xmlFreeNode(q);
                }
            }
            continue;
        }
        xmlUnlinkNode(k);
        xmlFreeNode(k);
    }
    if (!first_p && !fx_new_elem(&x->k, tc, tc, "p"))
        return -1;
    return 0;
}

static int vfix_cell(dx *x, xmlNodePtr tc, void *p)
{
    vfix *V = p;
    long span = dx_wval(fx_child(tc, "tcPr"), "gridSpan", 1);
    if (span < 1 || span > 1000)
        span = 1;
    int col = V->col;
    V->col += (int)span;
    if (col >= V->ncols) {
        int n = col + 64;
        dx_cellmark **v = realloc(V->above, (size_t)n * sizeof *v);
        if (!v)
            return fx_oom(x->c);
        for (int i = V->ncols; i < n; i++)
            v[i] = NULL;
        V->above = v;
        V->ncols = n;
    }
    dx_cellmark *m = tc->_private;
    dx_cellmark *up = V->above[col];
    V->above[col] = m;
    if (!m)
        return 0;
    tc->_private = NULL;
    xmlNodePtr vm;
    if (!vmerge_of(tc, &vm) || !vm)
        return 0;
    int cont = up && up->region == m->region && up->key == m->key;
    /* drop any w:val, then say restart where a region begins */
    for (xmlAttrPtr a = vm->properties; a; a = a->next)
        if (strcmp((const char *)a->name, "val") == 0) {
            xmlRemoveProp(a);
            break;
        }
    if (!cont && !xmlNewNsProp(vm, vm->ns, (const xmlChar *)"val", (const xmlChar *)"restart"))
        return fx_oom(x->c);
    if (!cont)
        return 0;
    return empty_cell(x, tc);
}

static int vfix_row(dx *x, xmlNodePtr tr, void *p)
{
    vfix *V = p;
    V->col = (int)dx_wval(fx_child(tr, "trPr"), "gridBefore", 0);
    if (V->col < 0 || V->col > 1000)
        V->col = 0;
    for (int i = 0; i < V->ncols && i < V->col; i++)
        V->above[i] = NULL;
    if (dx_each_cell(x, tr, vfix_cell, V))
        return -1;
    for (int i = V->col; i < V->ncols; i++)
        V->above[i] = NULL;
    return 0;
}

static int count_row(dx *x, xmlNodePtr tr, void *p)
{
    (void)x;
    (void)tr;
    ++*(int *)p;
    return 0;
}

/* Word wants a table to have a row, and a cell (and the body, a header, a
 * note, a text box) to end with a paragraph, not a table. Blocks that
 * repeated zero times can leave them without. */
int dx_fix_container(dx *x, xmlNodePtr n, int *drop)
{
    *drop = 0;
    if (dx_is_w(n, "tbl")) {
        int rows = 0;
        dx_each_row(x, n, count_row, &rows);
        *drop = rows == 0;
        return 0;
    }
    if (!(dx_is_w(n, "tc") || dx_is_w(n, "body") || dx_is_w(n, "hdr") || dx_is_w(n, "ftr") ||
          dx_is_w(n, "footnote") || dx_is_w(n, "endnote") || dx_is_w(n, "txbxContent") ||
          dx_is_w(n, "comment")))
        return 0;
    xmlNodePtr last = NULL, sect = NULL;
    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (dx_is_w(k, "sectPr"))
            sect = k;
        else if (dx_is_w(k, "p") || dx_is_w(k, "tbl") || dx_is_w(k, "sdt") || dx_is_w(k, "customXml"))
            last = k;
    }
    if (last && !dx_is_w(last, "tbl"))
        return 0;
    xmlNodePtr p = fx_new_elem(&x->k, n, n, "p");
    if (!p)
        return -1;
    if (sect) { /* the body's section properties stay last */
        xmlUnlinkNode(p);
        xmlAddPrevSibling(sect, p);
    }
    return 0;
}

int dx_vfix_table(dx *x, xmlNodePtr out)
{
    vfix V;
    memset(&V, 0, sizeof V);
    int rc = dx_each_row(x, out, vfix_row, &V);
    free(V.above);
    return rc;
}

/* ---- docxtpl's cell tags ---------------------------------------------------- */

/* The loop a cell is generated in: its own ({%tc %} loop), else its row's. */
static const fx_op *cell_loop(const xmlNode *t)
{
    const dx_info *ti = t->_private;
    if (ti && ti->loop)
        return ti->loop;
    for (const xmlNode *a = t->parent; a && a->type == XML_ELEMENT_NODE; a = a->parent)
        if (dx_is_w(a, "tr")) {
            const dx_info *ai = a->_private;
            return ai ? ai->loop : NULL;
        }
    return NULL;
}

static int64_t loop_index(dx *x, const fx_op *loop)
{
    return loop && loop->id > 0 && loop->id <= x->nloops ? x->index[loop->id] : -1;
}

int dx_cell_skip(dx *x, const xmlNode *t)
{
    return loop_index(x, cell_loop(t)) > 0; /* the first column spans them all */
}

/* The cell's w:tcPr, made when missing (it comes first). */
static xmlNodePtr tc_pr(dx *x, xmlNodePtr tc)
{
    xmlNodePtr pr = fx_child(tc, "tcPr");
    if (pr)
        return pr;
    pr = fx_new_elem(&x->k, tc, tc, "tcPr");
    if (pr && tc->children != pr) {
        xmlUnlinkNode(pr);
        xmlAddPrevSibling(tc->children, pr);
    }
    return pr;
}

/* Replace the property `name` of a tcPr with a new element, placed after
 * those the schema puts before it; attributes are name/value pairs. */
static int set_pr(dx *x, xmlNodePtr pr, const char *name, const char *const *before,
                  const char *const *attrs)
{
    for (xmlNodePtr k = pr->children, next; k; k = next) {
        next = k->next;
        if (dx_is_w(k, name)) {
            xmlUnlinkNode(k);
            xmlFreeNode(k);
        }
    }
    xmlNodePtr el = fx_new_elem(&x->k, pr, pr, name);
    if (!el)
        return -1;
    xmlUnlinkNode(el);
    xmlNodePtr after = NULL;
    for (xmlNodePtr k = pr->children; k; k = k->next)
        for (int i = 0; before[i]; i++)
            if (dx_is_w(k, before[i]))
                after = k;
    if (after)
        xmlAddNextSibling(after, el);
    else if (pr->children)
        xmlAddPrevSibling(pr->children, el);
    else
        xmlAddChild(pr, el);
    for (int i = 0; attrs[i]; i += 2)
        if (!xmlNewNsProp(el, pr->ns, (const xmlChar *)attrs[i], (const xmlChar *)attrs[i + 1]))
            return fx_oom(x->c);
    return 0;
}

static int is_colour(const char *s, size_t n)
{
    if (n == 4 && memcmp(s, "auto", 4) == 0)
        return 1;
    if (n == 7 && s[0] == '#')
        s++, n--;
    if (n != 6)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i]))
            return 0;
    return 1;
}

int dx_cell_tags(dx *x, xmlNodePtr out, const xmlNode *t)
{
    const dx_info *ti = t->_private;
    if (!ti || !(ti->vm || ti->hm || ti->colspan || ti->cellbg) || !dx_is_w(t, "tc"))
        return 0;
    fx_ctx *c = x->c;
    xmlNodePtr pr = tc_pr(x, out);
    if (!pr)
        return -1;
    static const char *const before_span[] = {"cnfStyle", "tcW", NULL};
    static const char *const before_vm[] = {"cnfStyle", "tcW", "gridSpan", "hMerge", NULL};
    static const char *const before_shd[] = {"cnfStyle", "tcW",   "gridSpan", "hMerge",
                                             "vMerge",   "tcBorders", NULL};
    char num[24];
    if (ti->colspan || ti->hm) {
        long span = dx_wval(pr, "gridSpan", 1);
        if (ti->colspan) {
            const lexp_value *v = lexp__eval_expr(&c->ev, ti->colspan->t.expr);
            if (!v)
                return -1;
            double d = v->type == LV_NUM ? v->u.num : v->type == LV_STR && v->hint ? v->hnum : -1;
            if (d != (long)d || d < 1 || d > 63) {
                c->cell_row = 0;
                return fx_fail(c, LEXP_EEVAL, ti->colspan->line, ti->colspan->col,
                               "'{%% colspan %%}' needs a whole number of columns from 1 to 63");
            }
            span = (long)d;
        }
        if (ti->hm) { /* one cell over the loop's columns */
            const fx_op *loop = cell_loop(t);
            int64_t len = loop && loop->id <= x->nloops ? x->length[loop->id] : 1;
            span *= len > 0 ? len : 1;
            if (span > 63)
                span = 63;
        }
        snprintf(num, sizeof num, "%ld", span < 1 ? 1 : span);
        const char *at[] = {"val", num, NULL};
        if (set_pr(x, pr, "gridSpan", before_span, at))
            return -1;
    }
    if (ti->cellbg) {
        const lexp_value *v = lexp__eval_expr(&c->ev, ti->cellbg->t.expr);
        if (!v)
            return -1;
        if (v->type != LV_STR || !is_colour(v->u.str, v->len))
            return fx_fail(c, LEXP_EEVAL, ti->cellbg->line, ti->cellbg->col,
                           "'{%% cellbg %%}' needs a colour as six hex digits (FF0000) or "
                           "\"auto\"");
        char col[8];
        size_t n = v->len == 7 ? 6 : v->len;
        memcpy(col, v->u.str + (v->len == 7), n);
        col[n] = 0;
        const char *at[] = {"val", "clear", "color", "auto", "fill", col, NULL};
        if (set_pr(x, pr, "shd", before_shd, at))
            return -1;
    }
    if (ti->vm) { /* merged down over the loop: the first copy shows it */
        int first = loop_index(x, cell_loop(t)) <= 0;
        const char *at[] = {"val", first ? "restart" : "continue", NULL};
        if (set_pr(x, pr, "vMerge", before_vm, at))
            return -1;
        if (!first && empty_cell(x, out))
            return -1;
    }
    return 0;
}
