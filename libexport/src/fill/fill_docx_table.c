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
    /* a continuing cell shows nothing of its own: keep one empty paragraph
     * (with the first one's properties), so no reader appends its text */
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

int dx_cell_tags(dx *x, xmlNodePtr out, const xmlNode *t)
{
    (void)x;
    (void)out;
    (void)t;
    return 0;
}
