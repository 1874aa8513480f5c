/* Excel templates (fill_xlsx.h lists the files). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill_xlsx.h"

/* ==================================================================== */
/* after all sheets are generated                                         */

int xs_set_text(fx_ctx *c, xmlNodePtr n, const char *s)
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

int xs_sheet_formulas(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = 0;
    for (int i = 0; i < s->nfs && rc == 0; i++) {
        xs_formula *f = &s->fs[i];
        xs_pos pos = {f->o, f->trow, f->iter, f->k};
        int changed;
        rc = xs_rewrite(B, s, &pos, "a formula", f->src, &out, &changed);
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
            rc = xs_rewrite(B, s, &pos, "an array formula", r, &out, &changed);
            if (rc == 0 && changed)
                rc = xs_set_attr(c, fe, "ref", out.ptr);
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
    xs_shared *masters;
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
    char *src = xs_text_dup(f);
    if (!src)
        return fx_oom(B->c);
    int changed = 0, rc = 0;
    if (src[0])
        rc = xs_rewrite(B, s, NULL, "a formula", src, &o->out, &changed);
    o->need |= changed;
    if (rc == 0 && src[0] && is_shared(f)) {
        if (o->n == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 16;
            xs_shared *v = realloc(o->masters, (size_t)o->cap * sizeof *v);
            if (!v) {
                free(src);
                return fx_oom(B->c);
            }
            o->masters = v;
        }
        const xmlChar *si = fx_attr(f, "si");
        o->masters[o->n++] = (xs_shared){si ? (uint32_t)strtoul((const char *)si, NULL, 10) : 0,
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
    char *src = xs_text_dup(f);
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
        xs_del_attr(f, "t");
        xs_del_attr(f, "si");
        xs_del_attr(f, "ref");
    }
    int changed = 0, rc = 0;
    if (text[0])
        rc = xs_rewrite(B, s, NULL, "a formula", text, &o->out, &changed);
    if (rc == 0 && (changed || text != src))
        rc = xs_set_text(B->c, f, changed ? o->out.ptr : text);
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
int xs_other_formulas(xs_book *B, xs_sheet *s)
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
