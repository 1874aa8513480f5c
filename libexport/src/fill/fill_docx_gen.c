/*
 * Generating a compiled Word part into its document.
 *
 * Lists run their statements over their items; in a flow (a block that
 * spans paragraphs, cells or rows) the items also open and close copies of
 * the elements the block crosses, and the text of the paragraph open at
 * the time is gathered as it runs. A paragraph's run gives a stream of
 * (leaf, text); each stretch of the stream that stays inside one top-level
 * child of the paragraph (a run, a hyperlink) in document order becomes
 * one copy of that child. So an inline loop that spans two runs repeats
 * both runs, each with its own formatting, and a paragraph made of the
 * ends of two template paragraphs (a loop from the middle of one to the
 * middle of another) holds the runs of both.
 */
#include <stdlib.h>
#include <string.h>

#include "fill_docx.h"

/* The payload of both runners (list_run, para_run) starts with the dx. */
static int loop_iter(fx_ctx *c, const fx_op *loop, int64_t index, uint32_t len, void *p)
{
    (void)c;
    dx *x = *(dx **)p;
    int id = loop->id;
    if (id <= 0 || id > x->nloops)
        return 0;
    x->length[id] = len;
    int64_t old = x->index[id];
    if (index >= 0) {
        x->serial[id] = ++x->serials;
        if (index >= 1 && old < 1)
            x->k.repeat++;
        x->index[id] = index;
    } else {
        if (old >= 1)
            x->k.repeat--;
        x->index[id] = -1;
        x->serial[id] = 0;
    }
    return 0;
}

/* ---- paragraphs ---- */

typedef struct emit {
    dx_para *para;
    int leaf;
    int repeat;
    size_t off, len; /* text in the paragraph's buffer */
    const lexp_value *rich; /* {{r x}}, {{p x}} with rich text: the value */
    const fx_op *op;        /* … and its tag */
} emit;

typedef struct para_run {
    dx *x;
    emit *v;
    int n, cap;
    lexp__sbuf text;
} para_run;

static int para_emit(fx_ctx *c, para_run *pr, dx_para *para, int leaf, size_t off, size_t n)
{
    if (pr->n == pr->cap) {
        int cap = pr->cap ? pr->cap * 2 : 32;
        emit *v = realloc(pr->v, (size_t)cap * sizeof *v);
        if (!v)
            return fx_oom(c);
        pr->v = v;
        pr->cap = cap;
    }
    emit *e = &pr->v[pr->n++];
    e->para = para;
    e->leaf = leaf;
    e->repeat = pr->x->k.repeat;
    e->off = off;
    e->len = n;
    e->rich = NULL;
    e->op = NULL;
    if (pr->text.len > LEXP_EVAL_MAX_OUTPUT)
        return fx_fail(c, LEXP_ELIMIT, 0, 0, "a paragraph would hold more than %u MB of text",
                       LEXP_EVAL_MAX_OUTPUT >> 20);
    return pr->text.oom ? fx_oom(c) : 0;
}

static int para_leaf(fx_ctx *c, const fx_op *op, void *p)
{
    para_run *pr = p;
    dx_para *para = (dx_para *)op->para;
    size_t at = pr->text.len;
    switch (op->kind) {
    case OP_TEXT:
        lexp__sbuf_put(&pr->text, op->s, op->n);
        return para_emit(c, pr, para, op->slot, at, op->n);
    case OP_LEAF: return para_emit(c, pr, para, op->slot, at, 0);
    case OP_EXPR: {
        const lexp_value *v = fx_eval(c, op);
        if (v && op->tag->rich && dx_rich_is(v, op->tag->rich)) {
            if (dx_rich_check(pr->x, op, v) || para_emit(c, pr, para, op->slot, at, 0))
                return -1;
            pr->v[pr->n - 1].rich = v;
            pr->v[pr->n - 1].op = op;
            return 0;
        }
        if (v && !op->tag->rich)
            dx_rich_hint(pr->x, op, v);
        if (!v || fx_value_text(c, op, v, &pr->text))
            return -1;
        return para_emit(c, pr, para, op->slot, at, pr->text.len - at);
    }
    default: return 0;
    }
}

/* docxtpl's \a (new paragraph) and \f (page break) in a value: a marker
 * here, where the value's text is written into its run, and the paragraph
 * is split at each marker once it is complete (split_paras). */
#define SPLIT_ATTR ((const xmlChar *)"lexp-split")

static int write_text(dx *x, xmlNodePtr run, const xmlNode *t, char *s, size_t n);

int dx_write_slot(dx *x, xmlNodePtr run, const xmlNode *t, char *s, size_t n)
{
    size_t i = 0;
    for (size_t j = 0; j < n; j++) {
        if (s[j] != '\a' && s[j] != '\f')
            continue;
        xmlNodePtr m;
        if (write_text(x, run, t, s + i, j - i) || !(m = fx_new_elem(&x->k, run, t, "br")))
            return -1;
        if (!xmlSetProp(m, SPLIT_ATTR, (const xmlChar *)(s[j] == '\a' ? "a" : "f")))
            return fx_oom(x->c);
        i = j + 1;
    }
    return write_text(x, run, t, s + i, n - i);
}

/* The first split marker under n, in document order. */
static xmlNodePtr find_split(xmlNodePtr n)
{
    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (xmlHasProp(k, SPLIT_ATTR))
            return k;
        xmlNodePtr f = find_split(k);
        if (f)
            return f;
    }
    return NULL;
}

/* A copy of `src` (an output element) without children but with its
 * properties (w:pPr, w:rPr), placed as the next sibling of `after` or, when
 * `after` is NULL, appended to `parent`. */
static xmlNodePtr shell_after(dx *x, xmlNodePtr parent, xmlNodePtr after, xmlNodePtr src)
{
    xmlNodePtr o = fx_copy_shallow(&x->k, parent, src);
    if (!o)
        return NULL;
    if (after)
        xmlAddNextSibling(after, o);
    for (xmlNodePtr k = src->children; k; k = k->next)
        if ((dx_is_w(k, "pPr") || dx_is_w(k, "rPr")) && !fx_copy_deep(&x->k, o, k))
            return NULL;
    return o;
}

/* Split paragraph p at each marker, as docxtpl does: \a ends the paragraph
 * and goes on in a new one with the same paragraph and run properties; \f
 * puts a paragraph holding only a page break in between. */
int dx_split_paras(dx *x, xmlNodePtr p)
{
    xmlNodePtr m;
    while ((m = find_split(p))) {
        xmlAttrPtr mark = xmlHasProp(m, SPLIT_ATTR);
        int page = mark && mark->children && xmlStrEqual(mark->children->content,
                                                         (const xmlChar *)"f");
        xmlNodePtr chain[64];
        int depth = 0;
        for (xmlNodePtr a = m; a != p; a = a->parent) {
            if (depth == 64)
                return fx_fail(x->c, LEXP_ELIMIT, 0, 0, "a value's \\a or \\f sits more "
                                                        "than 64 elements deep in its paragraph");
            chain[depth++] = a;
        }
        xmlNodePtr np = shell_after(x, p->parent, p, p);
        if (!np)
            return -1;
        if (page) { /* <w:p><w:r><w:br w:type="page"/></w:r></w:p> before it */
            xmlNodePtr bp = fx_new_elem(&x->k, p->parent, p, "p"), br, r;
            if (!bp || !(r = fx_new_elem(&x->k, bp, p, "r")) ||
                !(br = fx_new_elem(&x->k, r, p, "br")))
                return -1;
            xmlAddNextSibling(p, bp);
            if (!xmlSetNsProp(br, br->ns, (const xmlChar *)"type", (const xmlChar *)"page"))
                return fx_oom(x->c);
        }
        /* from the paragraph down to the marker's run: a shell of each
         * level in the new paragraph takes what follows at that level */
        xmlNodePtr into = np;
        for (int d = depth - 1; d >= 0; d--) {
            xmlNodePtr at = chain[d];
            xmlNodePtr shell = d > 0 ? shell_after(x, into, NULL, at) : NULL;
            if (d > 0 && !shell)
                return -1;
            for (xmlNodePtr k = at->next, nx; k; k = nx) {
                nx = k->next;
                xmlUnlinkNode(k);
                xmlAddChild(into, k);
            }
            if (d > 0) {
                /* the shell goes first: it continues the level the marker was in */
                xmlUnlinkNode(shell);
                xmlNodePtr first = into->children;
                while (first && (dx_is_w(first, "pPr") || dx_is_w(first, "rPr")))
                    first = first->next;
                if (first)
                    xmlAddPrevSibling(first, shell);
                else
                    xmlAddChild(into, shell);
                into = shell;
            }
        }
        xmlUnlinkNode(m);
        xmlFreeNode(m);
        p = np;
    }
    return 0;
}

/* xml:space="preserve" copied from the template's w:t already (setting it
 * again would only replace the value with the same) */
static int has_preserve(const xmlNode *w)
{
    for (const xmlAttr *a = w->properties; a; a = a->next)
        if (a->ns && a->ns->prefix && strcmp((const char *)a->ns->prefix, "xml") == 0 &&
            strcmp((const char *)a->name, "space") == 0)
            return a->children && !a->children->next && a->children->type == XML_TEXT_NODE &&
                   a->children->content &&
                   strcmp((const char *)a->children->content, "preserve") == 0;
    return 0;
}

static int write_text(dx *x, xmlNodePtr run, const xmlNode *t, char *s, size_t n)
{
    n = fx_xml_clean(s, n);
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != '\n' && s[j] != '\t' && s[j] != '\r')
            j++;
        if (j > i) {
            xmlNodePtr w = fx_copy_shallow(&x->k, run, t);
            if (!w)
                return -1;
            if (!has_preserve(w)) {
                xmlNsPtr xml = xmlSearchNs(x->k.doc, w, (const xmlChar *)"xml");
                if (!xmlSetNsProp(w, xml, (const xmlChar *)"space", (const xmlChar *)"preserve"))
                    return fx_oom(x->c);
            }
            if (fx_add_text(&x->k, w, s + i, j - i))
                return fx_oom(x->c);
        }
        if (j >= n)
            break;
        if (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
            j++;
        if (!fx_new_elem(&x->k, run, t, s[j] == '\t' ? "tab" : "br"))
            return -1;
        i = j + 1;
    }
    return 0;
}

static int copy_unit(dx *x, para_run *pr, xmlNodePtr parent, xmlNodePtr n)
{
    dx_info *ni = n->_private;
    if (n->type != XML_ELEMENT_NODE)
        return fx_copy_deep(&x->k, parent, n) ? 0 : -1;
    if (ni && ni->leaf == -2)
        return 0;
    if (ni && ni->leaf >= 0) {
        const dx_para *P = ni->owner;
        int l = ni->leaf;
        if (x->stamps[P->base + l] != x->stamp)
            return 0;
        const emit *a = &pr->v[x->first[P->base + l]], *b = &pr->v[x->last[P->base + l]];
        if (P->slot[l]) {
            size_t len = b->off + b->len - a->off;
            if (len == 0)
                return 0;
            char *s = malloc(len);
            if (!s)
                return fx_oom(x->c);
            memcpy(s, pr->text.ptr + a->off, len);
            int rc = dx_write_slot(x, parent, n, s, len);
            free(s);
            return rc;
        }
        int saved = x->k.repeat;
        x->k.repeat = a->repeat;
        int rc = dx_gen_node(x, parent, n);
        x->k.repeat = saved;
        return rc;
    }
    if (ni && ni->hi > ni->lo && ni->owner) {
        const dx_para *P = ni->owner;
        int any = 0;
        for (int l = ni->lo; l < ni->hi && !any; l++)
            any = x->stamps[P->base + l] == x->stamp;
        if (!any)
            return 0;
        xmlNodePtr o = fx_copy_shallow(&x->k, parent, n);
        if (!o)
            return -1;
        for (xmlNodePtr k = n->children; k; k = k->next)
            if (copy_unit(x, pr, o, k))
                return -1;
        return 0;
    }
    return dx_gen_node(x, parent, n); /* properties and the like */
}

/* {{p x}} with paragraphs: they replace the output paragraph `out`, which
 * may hold nothing else but spaces. */
static int flush_paras(dx *x, para_run *pr, xmlNodePtr out)
{
    const emit *pe = NULL;
    for (int i = 0; i < pr->n && !pe; i++)
        if (pr->v[i].rich && pr->v[i].op->tag->rich == 'p')
            pe = &pr->v[i];
    for (int i = 0; i < pr->n; i++) {
        const emit *e = &pr->v[i];
        int text = e->rich ? e != pe : 0;
        for (size_t j = 0; j < e->len && !text; j++)
            text = !strchr(" \t\n\r", pr->text.ptr[e->off + j]);
        if (text)
            return fx_fail(x->c, LEXP_EEVAL, pe->op->tag->line, pe->op->tag->col,
                           "{{p }} with paragraphs replaces its whole paragraph, which also "
                           "holds other text or tags; give {{p }} a paragraph of its own");
    }
    xmlNodePtr after = out;
    if (dx_rich_paras(x, out, &after, pe->para->leaf[pe->leaf], pe->op, pe->rich))
        return -1;
    xmlNodePtr ppr = fx_child(out, "pPr"), sect = ppr ? fx_child(ppr, "sectPr") : NULL;
    if (sect && after != out) { /* the section's page setup stays with its last paragraph */
        xmlNodePtr lp = fx_child(after, "pPr");
        if (!lp && !(lp = fx_new_elem(&x->k, after, ppr, "pPr")))
            return -1;
        if (lp != after->children) {
            xmlUnlinkNode(lp);
            if (after->children)
                xmlAddPrevSibling(after->children, lp);
            else
                xmlAddChild(after, lp);
        }
        xmlUnlinkNode(sect);
        xmlAddChild(lp, sect);
    }
    if (after == out) { /* no paragraphs: the tag's paragraph goes */
        if (sect)
            return 0;
    }
    xmlUnlinkNode(out);
    xmlFreeNode(out);
    return 0;
}

/* Stretches of the stream inside one unit, in document order, become one
 * copy of that unit each. */
static int para_flush(dx *x, para_run *pr, xmlNodePtr out)
{
    int rc = 0, i = 0;
    for (int j = 0; j < pr->n; j++)
        if (pr->v[j].rich && pr->v[j].op->tag->rich == 'p')
            return flush_paras(x, pr, out);
    while (rc == 0 && i < pr->n) {
        if (pr->v[i].rich) { /* {{r x}}: its runs in place of the tag's */
            const emit *e = &pr->v[i++];
            rc = dx_rich_runs(x, out, e->para->leaf[e->leaf], e->op, e->rich);
            continue;
        }
        dx_para *P = pr->v[i].para;
        int l0 = pr->v[i].leaf;
        xmlNodePtr unit = P->unit[l0];
        int last = l0;
        int *stamps = x->stamps + P->base, *first = x->first + P->base, *last_of = x->last + P->base;
        x->stamp++;
        stamps[l0] = x->stamp;
        first[l0] = last_of[l0] = i;
        i++;
        while (i < pr->n && pr->v[i].para == P) {
            int l = pr->v[i].leaf;
            if (P->unit[l] != unit || l < last || (l == last && !P->slot[l]) || pr->v[i].rich)
                break;
            if (stamps[l] != x->stamp) {
                stamps[l] = x->stamp;
                first[l] = i;
            }
            last_of[l] = i;
            last = l;
            i++;
        }
        rc = copy_unit(x, pr, out, unit);
    }
    return rc ? rc : dx_split_paras(x, out);
}

static void para_free(para_run *pr)
{
    free(pr->v);
    lexp__sbuf_free(&pr->text);
    memset(pr, 0, sizeof *pr);
}

/* A paragraph's shell: the element and its properties. */
static xmlNodePtr para_shell(dx *x, xmlNodePtr parent, xmlNodePtr p)
{
    xmlNodePtr out = fx_copy_shallow(&x->k, parent, p);
    if (!out)
        return NULL;
    for (xmlNodePtr k = p->children; k; k = k->next)
        if (dx_is_w(k, "pPr") && !fx_copy_deep(&x->k, out, k))
            return NULL;
    return out;
}

static int gen_para(dx *x, xmlNodePtr parent, xmlNodePtr p)
{
    dx_info *pi = p->_private;
    xmlNodePtr out = para_shell(x, parent, p);
    if (!out)
        return -1;
    para_run pr;
    memset(&pr, 0, sizeof pr);
    pr.x = x;
    fx_runner r = {para_leaf, loop_iter, &pr};
    int rc = fx_run(x->c, pi->items, &r);
    if (rc == 0)
        rc = para_flush(x, &pr, out);
    para_free(&pr);
    return rc;
}

/* ---- lists and flows ---- */

typedef struct list_run {
    dx *x;
    xmlNodePtr out;
    para_run pr;  /* the paragraph open in a flow */
    int in_para;
} list_run;

static int close_node(dx *x, xmlNodePtr out, const xmlNode *t)
{
    const dx_info *ti = t->_private;
    if (ti && ti->vmerge && dx_vfix_table(x, out))
        return -1;
    int drop = 0;
    if (dx_fix_container(x, out, &drop))
        return -1;
    if (drop) {
        xmlUnlinkNode(out);
        xmlFreeNode(out);
    }
    return 0;
}

static int list_leaf(fx_ctx *c, const fx_op *op, void *p)
{
    list_run *lr = p;
    dx *x = lr->x;
    switch (op->kind) {
    case OP_OPEN: {
        if (dx_is_w(op->node, "p")) {
            xmlNodePtr o = para_shell(x, lr->out, op->node);
            if (!o)
                return -1;
            lr->out = o;
            para_free(&lr->pr);
            lr->pr.x = x;
            lr->in_para = 1;
            return 0;
        }
        xmlNodePtr o = fx_copy_shallow(&x->k, lr->out, op->node);
        if (!o || dx_mark_region(x, o, op->node))
            return -1;
        lr->out = o;
        return 0;
    }
    case OP_CLOSE: {
        xmlNodePtr o = lr->out, up = o->parent;
        if (lr->in_para && dx_is_w(o, "p")) {
            int rc = para_flush(x, &lr->pr, o);
            para_free(&lr->pr);
            lr->in_para = 0;
            if (rc)
                return -1;
        } else if (dx_cell_tags(x, o, op->node) || close_node(x, o, op->node)) {
            return -1;
        }
        lr->out = up;
        return 0;
    }
    default:
        if (op->para)
            return lr->in_para ? para_leaf(c, op, &lr->pr) : 0;
        return dx_gen_node(x, lr->out, op->node);
    }
}

int dx_gen_list(dx *x, xmlNodePtr out, const fx_op *items)
{
    list_run lr;
    memset(&lr, 0, sizeof lr);
    lr.x = x;
    lr.out = out;
    fx_runner r = {list_leaf, loop_iter, &lr};
    int rc = fx_run(x->c, items, &r);
    para_free(&lr.pr);
    return rc;
}

/* ---- any node ---- */

int dx_gen_node(dx *x, xmlNodePtr parent, xmlNodePtr t)
{
    dx_info *ti = t->_private;
    if (ti && ti->dropped)
        return 0;
    if (!ti || !ti->dyn || t->type != XML_ELEMENT_NODE) {
        if (ti && ti->leaf == -2)
            return 0;
        xmlNodePtr last = parent->last;
        x->k.freeze = x->k.freeze_ok; /* static content: nothing looks into its runs' properties */
        xmlNodePtr n = fx_copy_deep(&x->k, parent, t);
        x->k.freeze = 0;
        if (!n)
            return -1;
        return parent->last != last ? dx_mark_region(x, parent->last, t) : 0;
    }
    if (ti->kind == K_PARA)
        return gen_para(x, parent, t);
    if (ti->hm && dx_cell_skip(x, t))
        return 0;
    xmlNodePtr out = fx_copy_shallow(&x->k, parent, t);
    if (!out)
        return -1;
    int rc;
    if (ti->kind == K_LIST) {
        rc = dx_gen_list(x, out, ti->items);
    } else {
        /* a cell nothing changes after it is generated: its w:tcPr may
         * freeze (not the tcPr of cells nested deeper: only its own) */
        int plain_tc = dx_is_w(t, "tc") && !(ti->vm || ti->hm || ti->colspan || ti->cellbg ||
                                             ti->region);
        rc = 0;
        for (xmlNodePtr k = t->children; k && rc == 0; k = k->next) {
            x->k.freeze_tc = plain_tc && dx_is_w(k, "tcPr");
            rc = dx_gen_node(x, out, k);
            x->k.freeze_tc = 0;
        }
    }
    if (rc || dx_cell_tags(x, out, t))
        return -1;
    if (ti->vmerge && dx_vfix_table(x, out))
        return -1;
    int drop = 0;
    if (dx_fix_container(x, out, &drop))
        return -1;
    if (drop) {
        xmlUnlinkNode(out);
        xmlFreeNode(out);
        return 0;
    }
    return dx_mark_region(x, out, t);
}
