/*
 * Document properties: docProps/core.xml (title, subject, keywords,
 * description, creator …) holds tags too, as docxtpl fills them. Each
 * property is plain text: its tags are filled as in a paragraph, without
 * runs; values that are not text print as they do in the document. Word
 * shows a property in the body through a content control bound to it,
 * whose cached text is ordinary body text and is filled with the body.
 */
#include <stdlib.h>
#include <string.h>

#include "fill.h"

typedef struct prop_run {
    lexp__sbuf out;
} prop_run;

static int prop_leaf(fx_ctx *c, const fx_op *op, void *p)
{
    prop_run *pr = p;
    if (op->kind == OP_TEXT) {
        lexp__sbuf_put(&pr->out, op->s, op->n);
    } else if (op->kind == OP_EXPR) {
        const lexp_value *v = fx_eval(c, op);
        if (!v || fx_value_text(c, op, v, &pr->out))
            return -1;
    }
    if (pr->out.len > FX_XLSX_MAX_CELL_CHARS * 4u)
        return fx_fail(c, LEXP_ELIMIT, 0, 0, "a document property would hold more than %u "
                                             "characters", FX_XLSX_MAX_CELL_CHARS);
    return pr->out.oom ? fx_oom(c) : 0;
}

/* Fill one property element; line = its position among the properties. */
static int fill_prop(fx_ctx *c, xmlNodePtr el, int line, int *changed)
{
    lexp__sbuf text = {0};
    fx_text_of(el, &text);
    if (text.oom) {
        lexp__sbuf_free(&text);
        return fx_oom(c);
    }
    if (!text.len || !fx_maybe_tags(text.ptr, text.len)) {
        lexp__sbuf_free(&text);
        return 0;
    }
    char *s = lexp__arena_strndup(&c->A, text.ptr, text.len);
    size_t n = text.len;
    lexp__sbuf_free(&text);
    if (!s)
        return fx_oom(c);
    fx_scan sc;
    int rc = fx_scan_text(c, s, n, line, "this document property", &sc);
    if (rc)
        return rc;
    if (!sc.ntags && !sc.escapes)
        return 0;
    fx_builder b;
    int next_id = 0;
    fx_build_init(&b, c, "this document property", &next_id);
    int li = 0, ti = 0;
    while (rc == 0 && (li < sc.nlits || ti < sc.ntags)) {
        if (ti < sc.ntags && (li == sc.nlits || sc.tags[ti].start < sc.lits[li].start)) {
            const fx_tag *t = &sc.tags[ti++];
            if (t->comment)
                continue;
            if (t->t.kind == TAG_EXPR) {
                fx_op *op = fx_build_item(&b, OP_EXPR);
                if (!op)
                    rc = -1;
                else
                    op->tag = t;
            } else {
                rc = fx_build_tag(&b, t, NULL);
            }
            continue;
        }
        fx_op *op = fx_build_item(&b, OP_TEXT);
        if (!op) {
            rc = -1;
            break;
        }
        op->s = s + sc.lits[li].start;
        op->n = (uint32_t)sc.lits[li].len;
        li++;
    }
    fx_op *prog = NULL;
    if (rc == 0)
        rc = fx_build_end(&b, &prog);
    if (rc)
        return rc;
    prop_run pr;
    memset(&pr, 0, sizeof pr);
    fx_runner r = {prop_leaf, NULL, &pr};
    rc = fx_run(c, prog, &r);
    if (rc == 0) {
        pr.out.len = fx_xml_clean(pr.out.ptr ? pr.out.ptr : (char *)"", pr.out.len);
        xmlNodePtr k, next;
        for (k = el->children; k; k = next) {
            next = k->next;
            xmlUnlinkNode(k);
            xmlFreeNode(k);
        }
        xmlNodePtr t = xmlNewDocTextLen(el->doc, (const xmlChar *)(pr.out.ptr ? pr.out.ptr : ""),
                                        (int)pr.out.len);
        if (!t || !xmlAddChild(el, t)) {
            xmlFreeNode(t);
            rc = fx_oom(c);
        }
        *changed = 1;
    }
    lexp__sbuf_free(&pr.out);
    return rc;
}

int fx_fill_props(fx_ctx *c)
{
    fx_rel *rels = NULL;
    int n = 0;
    if (fx_rels_read(c, "", &rels, &n))
        return c->err->code;
    fx_entry *e = NULL;
    for (int i = 0; i < n && !e; i++)
        if (strcmp(rels[i].type, "core-properties") == 0)
            e = fx_pkg_find(&c->pkg, rels[i].target);
    fx_rels_free(rels, n);
    if (!e || e->removed || !fx_entry_tags(e))
        return 0;
    c->part = e->name;
    c->located = 0;
    c->sheet = NULL;
    xmlDocPtr doc = fx_xml_parse(c, e);
    if (!doc)
        return c->err->code;
    int rc = fx_eval_begin(c);
    int changed = 0, line = 0;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr k = root ? root->children : NULL; k && rc == 0; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        line++;
        int simple = 1;
        for (xmlNodePtr q = k->children; q; q = q->next)
            if (q->type == XML_ELEMENT_NODE)
                simple = 0;
        if (simple)
            rc = fill_prop(c, k, line, &changed);
    }
    fx_eval_end(c);
    if (rc == 0 && changed)
        rc = fx_xml_store(c, e, doc);
    xmlFreeDoc(doc);
    return rc;
}
