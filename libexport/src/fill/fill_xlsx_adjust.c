/* Excel templates (fill_xlsx.h lists the files). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill_xlsx.h"

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
    return xs_set_attr(B->c, n, "ref", buf);
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
    if (!mc || xs_set_attr(B->c, mc, "ref", buf))
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
        const fx_op *L = r2 <= s->max_trow ? fx_lca(xs_loop_of(s, r1), xs_loop_of(s, r2)) : NULL;
        if (!L) {
            uint32_t lo, hi;
            if (!xs_map_range(s, r1, 1, r2, 1, NULL, &lo, &hi))
                rc = add_merge(B, s, n, m, c1, lo, c2, hi, &count);
            continue;
        }
        for (uint32_t it = 1; it <= s->niters && rc == 0; it++) {
            if (s->iters[it].loop != L)
                continue;
            uint32_t lo = xs_lower(s, r1, r2, s->iters[it].a, s->iters[it].b, L);
            uint32_t hi = xs_upper(s, r1, r2, s->iters[it].a, s->iters[it].b, L);
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
    return xs_set_attr(B->c, n, "count", num);
}

/* An attribute holding a reference list, mapped in the whole sheet. */
static int adj_list_attr(xs_book *B, xs_sheet *s, xmlNodePtr n, const char *attr, int *gone)
{
    *gone = 0;
    const xmlChar *v = fx_attr(n, attr);
    if (!v)
        return 0;
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = xs_map_sqref(B, s, (const char *)v, &out);
    if (rc == 0 && !out.len)
        *gone = 1;
    else if (rc == 0)
        rc = xs_set_attr(B->c, n, attr, out.ptr);
    lexp__sbuf_free(&out);
    return rc;
}

/* Formulas of a rule (conditional format, validation): relative to the
 * first cell of its range. */
static int adj_rule_formulas(xs_book *B, xs_sheet *s, xmlNodePtr n, uint32_t r0)
{
    xs_pos pos = {r0 ? xs_map_single(s, r0, 1, NULL) - 1 : 0, r0, 0, -1};
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = 0;
    for (xmlNodePtr r = n->children; r && rc == 0; r = r->next) {
        if (fx_is(r, "cfRule")) {
            rc = adj_rule_formulas(B, s, r, r0);
            continue;
        }
        if (!fx_is(r, "formula") && !fx_is(r, "formula1") && !fx_is(r, "formula2"))
            continue;
        char *src = xs_text_dup(r);
        if (!src) {
            rc = fx_oom(B->c);
            break;
        }
        int changed;
        rc = xs_rewrite(B, s, r0 ? &pos : NULL, "a rule's formula", src, &out, &changed);
        if (rc == 0 && changed)
            rc = xs_set_text(B->c, r, out.ptr);
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
        if (t < 1 || xs_map_range(s, t, 1, t, 1, NULL, &o1, &o2)) {
            xmlUnlinkNode(m);
            xmlFreeNode(m);
            continue;
        }
        char num[16];
        snprintf(num, sizeof num, "%u", o2);
        rc = xs_set_attr(B->c, m, "id", num);
        cnt++;
    }
    char num[16];
    snprintf(num, sizeof num, "%d", cnt);
    if (rc == 0 && fx_attr(n, "count"))
        rc = xs_set_attr(B->c, n, "count", num);
    if (rc == 0 && fx_attr(n, "manualBreakCount"))
        rc = xs_set_attr(B->c, n, "manualBreakCount", num);
    return rc;
}

/* dimension, merged cells, filters, formats, validations, links, breaks */
int xs_sheet_adjust(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    if (xs_seg_build(c, s))
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
                rc = xs_set_attr(c, n, "count", num);
            }
        } else if (fx_is(n, "rowBreaks")) {
            rc = adj_breaks(B, s, n);
        }
    }
    return rc;
}

/* A part related to a sheet (a table, a drawing): parse, let fn change it,
 * store it when fn says so. */

int xs_with_part(xs_book *B, xs_sheet *s, const char *name, xs_part_fn fn)
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
        if ((rc = xs_map_sqref(B, s, (const char *)ref, &out)) == 0 && out.len &&
            strcmp(out.ptr, (const char *)ref) != 0) {
            rc = xs_set_attr(B->c, nodes[i], "ref", out.ptr);
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
            char *v = xs_text_dup(row);
            if (!v)
                return fx_oom(B->c);
            uint32_t t = (uint32_t)strtoul(v, NULL, 10) + 1;
            free(v);
            uint32_t o = xs_map_single(s, t, 1, NULL);
            if (o && o != t) {
                char num[16];
                snprintf(num, sizeof num, "%u", o - 1);
                if (xs_set_text(B->c, row, num))
                    return -1;
                *changed = 1;
            }
        }
    }
    return 0;
}

int xs_related_parts(xs_book *B, xs_sheet *s)
{
    fx_rel *rels;
    int n;
    if (fx_rels_read(B->c, s->part, &rels, &n))
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (strcmp(rels[i].type, "table") == 0)
            rc = xs_with_part(B, s, rels[i].target, table_fn);
        else if (strcmp(rels[i].type, "drawing") == 0)
            rc = xs_with_part(B, s, rels[i].target, drawing_fn);
    }
    fx_rels_free(rels, n);
    return rc;
}

/* chart series and categories: c:f elements with sheet references */
int xs_chart_fn(xs_book *B, xs_sheet *s, xmlNodePtr root, int *changed)
{
    (void)s;
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = 0;
    xmlNodePtr n = root;
    while (n && rc == 0) {
        if (fx_is(n, "f")) {
            char *src = xs_text_dup(n);
            if (!src) {
                rc = fx_oom(B->c);
                break;
            }
            int ch = 0;
            rc = xs_rewrite(B, NULL, NULL, "a chart's data", src, &out, &ch);
            if (rc == 0 && ch) {
                rc = xs_set_text(B->c, n, out.ptr);
                *changed = 1;
            }
            free(src);
        }
        n = fx_walk_next(n, root, !fx_is(n, "f"));
    }
    lexp__sbuf_free(&out);
    return rc;
}
