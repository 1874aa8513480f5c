/*
 * The parts of a Word document that hold tags (word/document.xml, its
 * headers, footers, footnotes and endnotes): compiled, then generated.
 *
 * A part is compiled into its own tree (dx_part) and generated into a new
 * document that starts as a copy of the template's root, so generating
 * never changes the compiled tree. A prepared template (fill_prepared.c)
 * compiles its parts once, in dx_prepare, and every fill of it, in any
 * thread, generates from the same trees: a fill then neither parses nor
 * compiles the part. A part whose compiling fails or warns is left to be
 * compiled by each fill, which then reports the problem as an unprepared
 * fill does.
 */
#include <stdlib.h>
#include <string.h>

#include "fill_docx.h"

static unsigned max_docpr(xmlNodePtr root)
{
    unsigned m = 0;
    xmlNodePtr n = root;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && fx_is(n, "docPr")) {
            const xmlChar *id = fx_attr(n, "id");
            unsigned long v = id ? strtoul((const char *)id, NULL, 10) : 0;
            if (v > m && v < 0x7fffffff)
                m = (unsigned)v;
        }
        n = fx_walk_next(n, root, 1);
    }
    return m;
}

/* Parse and compile entry e into P; its infos go to c->A and its tags'
 * expressions to c->host. */
static int compile_part(fx_ctx *c, fx_entry *e, dx_part *P)
{
    c->part = e->name;
    c->located = 0;
    xmlDocPtr doc = fx_xml_parse(c, e);
    if (!doc)
        return c->err->code;
    dx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    int rc = dx_compile_root(&x, root);
    const dx_info *ri = root->_private;
    P->dyn = rc == 0 && ri && ri->dyn;
    if (!P->dyn) {
        xmlFreeDoc(doc);
        return rc;
    }
    P->doc = doc;
    P->plain = fx_xml_plain(doc);
    P->nloops = x.next_loop;
    P->nleaves = x.nleaves;
    P->max_docpr = max_docpr(root);
    return 0;
}

/* Generate compiled part P into a new document stored as entry e. */
static int gen_part(fx_ctx *c, fx_entry *e, const dx_part *P, const lexp_template *host)
{
    c->part = e->name;
    c->located = 0;
    xmlNodePtr troot = xmlDocGetRootElement(P->doc);
    const dx_info *ri = troot->_private;
    dx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.k.c = c;
    x.k.word = 1;
    x.k.max_docpr = P->max_docpr;
    x.k.freeze_ok = P->plain;
    xmlDocPtr doc = fx_doc_like(&x.k, P->doc);
    if (!doc)
        return c->err->code;
    xmlNodePtr root = x.k.root;
    int rc = fx_eval_begin_for(c, host);
    x.nloops = P->nloops;
    size_t nl = (size_t)P->nloops + 1, nv = (size_t)P->nleaves + 1;
    x.serial = calloc(nl, sizeof *x.serial);
    x.index = malloc(nl * sizeof *x.index);
    x.length = calloc(nl, sizeof *x.length);
    x.first = malloc(nv * sizeof *x.first);
    x.last = malloc(nv * sizeof *x.last);
    x.stamps = calloc(nv, sizeof *x.stamps);
    if (rc == 0 && (!x.serial || !x.index || !x.length || !x.first || !x.last || !x.stamps))
        rc = fx_oom(c);
    for (size_t i = 0; x.index && i < nl; i++)
        x.index[i] = -1;
    if (rc == 0) {
        if (ri->kind == K_LIST) {
            rc = dx_gen_list(&x, root, ri->items);
        } else {
            for (xmlNodePtr k = troot->children; k && rc == 0; k = k->next)
                rc = dx_gen_node(&x, root, k);
        }
        int drop;
        if (rc == 0)
            rc = dx_fix_container(&x, root, &drop);
    }
    fx_eval_end(c);
    free(x.serial);
    free(x.index);
    free(x.length);
    free(x.first);
    free(x.last);
    free(x.stamps);
    const char *name = e->name; /* owned by the entry, which a new .rels entry moves */
    if (rc == 0 && x.links)
        rc = dx_links_store(&x, doc, name);
    if (rc == 0)
        rc = fx_xml_store(c, fx_pkg_find(&c->pkg, name), doc);
    dx_links_free(&x);
    xmlFreeDoc(doc);
    return rc;
}

static int fill_part(fx_ctx *c, fx_entry *e)
{
    if (!fx_entry_tags(e))
        return 0;
    size_t i = (size_t)(e - c->pkg.e);
    const dx_part *ready = c->tpl && c->tpl->docx_parts && i < (size_t)c->tpl->n
                               ? c->tpl->docx_parts[i]
                               : NULL;
    if (ready)
        return ready->dyn ? gen_part(c, e, ready, ready->host) : 0;
    dx_part P;
    memset(&P, 0, sizeof P);
    int rc = compile_part(c, e, &P);
    if (rc == 0 && P.dyn)
        rc = gen_part(c, e, &P, c->host);
    if (P.doc)
        xmlFreeDoc(P.doc);
    return rc;
}

static const fx_kind word_kind = {
    "a Word document", "word/document.xml", "word/", {"wordprocessingml", "ms-word"},
    "its main part is not a Word body", "spreadsheetml", "xl/workbook.xml",
    " (it is an Excel workbook: name it .xlsx)"};

/* Call fn on the main part, then on its headers, footers, footnotes and
 * endnotes, while it returns 0. */
static int each_part(fx_ctx *c, int (*fn)(fx_ctx *c, fx_entry *e))
{
    char *main_name = fx_main_part(c, &word_kind);
    if (!main_name)
        return c->err->code;
    fx_rel *rels = NULL;
    int n = 0;
    int rc = fn(c, fx_pkg_find(&c->pkg, main_name));
    if (rc == 0 && fx_rels_read(c, main_name, &rels, &n) == 0) {
        for (int i = 0; i < n && rc == 0; i++) {
            const char *t = rels[i].type;
            if (strcmp(t, "header") && strcmp(t, "footer") && strcmp(t, "footnotes") &&
                strcmp(t, "endnotes"))
                continue;
            fx_entry *e = fx_pkg_find(&c->pkg, rels[i].target);
            if (e && e != fx_pkg_find(&c->pkg, main_name))
                rc = fn(c, e);
        }
        fx_rels_free(rels, n);
    } else if (rc == 0) {
        rc = c->err->code;
    }
    free(main_name);
    return rc;
}

int fx_docx(fx_ctx *c) { return each_part(c, fill_part); }

/* ---- prepared templates ---- */

static void part_free(dx_part *P)
{
    if (!P)
        return;
    if (P->doc)
        xmlFreeDoc(P->doc);
    if (P->host)
        lexp_template_free(P->host);
    lexp__arena_free(&P->A);
    free(P);
}

static void note_warning(const lexp_error *w, void *p)
{
    (void)w;
    *(int *)p = 1;
}

/* One part of the template being prepared: compiled with an arena and host
 * of its own, kept when that succeeds quietly. */
static int prepare_part(fx_ctx *c, fx_entry *e)
{
    lexp_office_template *t = c->preparing;
    size_t i = (size_t)(e - c->pkg.e);
    if (!fx_entry_tags(e) || i >= (size_t)t->n || t->docx_parts[i])
        return 0;
    dx_part *P = calloc(1, sizeof *P);
    if (!P)
        return 0;
    lexp__arena_init(&P->A);
    P->host = lexp__template_host(c->name);
    lexp__arena saved_A = c->A;
    lexp_template *saved_host = c->host;
    const lexp_render_options *saved_opt = c->opt;
    c->A = P->A;
    c->host = P->host;
    int warned = 0;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.warn = note_warning;
    o.warn_payload = &warned;
    c->opt = &o;
    int rc = P->host ? compile_part(c, e, P) : -1;
    P->A = c->A;
    c->A = saved_A;
    c->host = saved_host;
    c->opt = saved_opt;
    if (rc || warned) {
        part_free(P);
        lexp_error_clear(c->err);
        return 0;
    }
    t->docx_parts[i] = P;
    t->inflated += P->A.total + 4 * e->len; /* the tree, roughly, for the engine's bound */
    return 0;
}

void fx_docx_prepare(fx_ctx *c, lexp_office_template *t)
{
    if (!(t->docx_parts = calloc((size_t)t->n + 1, sizeof *t->docx_parts)))
        return;
    lexp_error err;
    lexp_error_clear(&err);
    lexp_error *saved = c->err;
    c->err = &err;
    c->preparing = t;
    each_part(c, prepare_part);
    c->preparing = NULL;
    c->err = saved;
    c->part = NULL;
}

void fx_docx_unprepare(lexp_office_template *t)
{
    for (int i = 0; t->docx_parts && i < t->n; i++)
        part_free(t->docx_parts[i]);
    free(t->docx_parts);
    t->docx_parts = NULL;
}
