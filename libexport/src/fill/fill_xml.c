/*
 * XML parts: parsing them safely, writing them back, copying nodes.
 *
 * Office parts never declare a DOCTYPE, so any part that does is refused
 * before libxml2 sees it: no entity can expand (billion laughs) and no DTD
 * or external entity is ever loaded. libxml2 runs without network access,
 * without entity substitution and without its "huge" mode, and its messages
 * are collected instead of printed. Element nesting is capped.
 */
#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill.h"

int fx_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

const xmlChar *fx_attr(const xmlNode *n, const char *name)
{
    if (!n || n->type != XML_ELEMENT_NODE)
        return NULL;
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (strcmp((const char *)a->name, name) == 0)
            return a->children && a->children->type == XML_TEXT_NODE ? a->children->content
                                                                      : (const xmlChar *)"";
    return NULL;
}

xmlNodePtr fx_child(const xmlNode *n, const char *name)
{
    for (xmlNodePtr k = n->children; k; k = k->next)
        if (fx_is(k, name))
            return k;
    return NULL;
}

void fx_text_of(const xmlNode *n, lexp__sbuf *b)
{
    for (const xmlNode *k = n->children; k; k = k->next)
        if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) && k->content)
            lexp__sbuf_puts(b, (const char *)k->content);
}

/* A DOCTYPE (or an entity declaration, which needs one) anywhere outside
 * comments and CDATA sections. */
const char *fx_find_doctype(const char *s, size_t n)
{
    if (!s)
        return NULL;
    const char *end = s + n;
    for (const char *p = s; p + 2 < end; p++) {
        if (p[0] != '<' || p[1] != '!')
            continue;
        if (p + 4 <= end && memcmp(p, "<!--", 4) == 0) {
            const char *q = p + 4;
            while (q + 3 <= end && memcmp(q, "-->", 3) != 0)
                q++;
            p = q;
            continue;
        }
        if (p + 9 <= end && memcmp(p, "<![CDATA[", 9) == 0) {
            const char *q = p + 9;
            while (q + 3 <= end && memcmp(q, "]]>", 3) != 0)
                q++;
            p = q;
            continue;
        }
        return p;
    }
    return NULL;
}

static int depth_ok(fx_ctx *c, xmlNodePtr root)
{
    /* iterative: a hostile part must not exhaust the stack here either */
    int depth = 1;
    xmlNodePtr n = root;
    for (;;) {
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            if (++depth > FX_MAX_DEPTH)
                return fx_fail(c, LEXP_ELIMIT, 0, 0,
                               "elements nest more than %d deep (XML line %ld); refused",
                               FX_MAX_DEPTH, (long)xmlGetLineNo(n));
            continue;
        }
        while (n != root && !n->next) {
            n = n->parent;
            depth--;
        }
        if (n == root)
            return 0;
        n = n->next;
    }
}

xmlDocPtr fx_xml_parse(fx_ctx *c, const fx_entry *e)
{
    const char *s = (const char *)e->data;
    if (e->len > INT32_MAX) {
        fx_fail(c, LEXP_ELIMIT, 0, 0, "entry %s is too large to parse", e->name);
        return NULL;
    }
    const char *saved = c->part;
    c->part = e->name; /* messages name the part */
    c->located = 0;
    if (fx_find_doctype(s, e->len)) { /* fx_pkg_open refused these already */
        fx_fail(c, LEXP_ESYNTAX, 0, 0, "the part has a DOCTYPE or ENTITY declaration");
        return NULL;
    }
    xmlInitParser(); /* first, under libxml2's lock: see lx_xlsx.c open_xml */
    /* one parser a fill: xmlCtxtReadMemory resets it, and a fresh one
     * (with its dictionary) cost as much as parsing a small part */
    if (!c->pctx && !(c->pctx = xmlNewParserCtxt())) {
        fx_oom(c);
        return NULL;
    }
    xmlParserCtxtPtr ctxt = c->pctx;
    /* not XML_PARSE_COMPACT: it stores short texts where the tree code
     * expects pointers, and the filler changes the tree */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, s, (int)e->len, e->name, NULL, opts);
    if (!doc || !ctxt->wellFormed) {
        xmlErrorPtr xe = xmlCtxtGetLastError(ctxt);
        if (xe && xe->message && strstr(xe->message, "Excessive depth")) {
            fx_fail(c, LEXP_ELIMIT, 0, 0, "elements nest more than %d deep (XML line %d); "
                    "refused", FX_MAX_DEPTH, xe->line);
            if (doc)
                xmlFreeDoc(doc);
            return NULL;
        }
        char msg[200] = "not well-formed";
        if (xe && xe->message) {
            snprintf(msg, sizeof msg, "%s", xe->message);
            size_t l = strlen(msg);
            while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
                msg[--l] = 0;
        }
        fx_fail(c, LEXP_ESYNTAX, 0, 0, "not well-formed XML (XML line %d): %s",
                xe ? xe->line : 0, msg);
        if (doc)
            xmlFreeDoc(doc);
        return NULL;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root || doc->intSubset || doc->extSubset) {
        fx_fail(c, LEXP_ESYNTAX, 0, 0, "the part has no root element");
        xmlFreeDoc(doc);
        return NULL;
    }
    if (depth_ok(c, root)) {
        xmlFreeDoc(doc);
        return NULL;
    }
    c->part = saved;
    return doc;
}

int fx_xml_store(fx_ctx *c, fx_entry *e, xmlDocPtr doc)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    if (fx_xml_save(doc, &b) == 0 && !b.oom && b.len) {
        fx_pkg_set(e, (unsigned char *)b.ptr, b.len, 0);
        return 0;
    }
    if (b.oom) {
        lexp__sbuf_free(&b);
        return fx_oom(c);
    }
    lexp__sbuf_free(&b); /* a tree fx_xml_save leaves to libxml2 */
    /* which never holds frozen copies (fx_xml_plain), as libxml2 cannot write them */
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr n = root; n; n = fx_walk_next(n, root, 1))
        if (fx_frozen(n))
            return fx_fail(c, LEXP_EBACKEND, 0, 0, "cannot write %s", e->name);
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
    if (!mem || len <= 0) {
        if (mem)
            xmlFree(mem);
        return fx_fail(c, LEXP_EBACKEND, 0, 0, "libxml2: cannot write %s", e->name);
    }
    fx_pkg_set(e, mem, (size_t)len, 1);
    return 0;
}

size_t fx_xml_clean(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
            continue;
        /* U+FFFE and U+FFFF: EF BF BE / EF BF BF */
        if (ch == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBF &&
            ((unsigned char)s[i + 2] == 0xBE || (unsigned char)s[i + 2] == 0xBF)) {
            i += 2;
            continue;
        }
        s[o++] = s[i];
    }
    return o;
}

/* ---- copying ----------------------------------------------------------- */

int fx_count_nodes(fx_ctx *c, uint64_t n)
{
    c->nodes += n;
    if (c->nodes > FX_MAX_NODES)
        return fx_fail(c, LEXP_ELIMIT, 0, 0,
                       "the filled document would have more than %u XML nodes; is a loop "
                       "running over a very large list?",
                       FX_MAX_NODES);
    return 0;
}

static xmlNsPtr map_ns(fx_copier *k, xmlNodePtr node, xmlNsPtr ns)
{
    if (!ns)
        return NULL;
    if (ns == k->last_from)
        return k->last_to;
    /* declared on the root, which every copy lives under: share it */
    xmlNsPtr to = NULL;
    for (xmlNsPtr r = k->root->nsDef; r && !to; r = r->next)
        if (r == ns)
            to = ns;
    if (!to && k->troot) { /* the template root's, declared again on ours in order */
        xmlNsPtr o = k->root->nsDef;
        for (xmlNsPtr r = k->troot->nsDef; r && o && !to; r = r->next, o = o->next)
            if (r == ns)
                to = o;
        if (!to && k->troot->doc && ns == k->troot->doc->oldNs)
            return xmlSearchNs(k->doc, node, (const xmlChar *)"xml");
    }
    if (to) {
        k->last_from = ns;
        k->last_to = to;
        return to;
    }
    if (ns == k->doc->oldNs)
        return ns;
    xmlNsPtr found = xmlSearchNs(k->doc, node, ns->prefix);
    if (found && xmlStrEqual(found->href, ns->href))
        return found;
    return xmlNewNs(node, ns->href, ns->prefix);
}

static int is_w14_id(const xmlAttr *a)
{
    return a->ns && a->ns->prefix && strcmp((const char *)a->ns->prefix, "w14") == 0 &&
           (strcmp((const char *)a->name, "paraId") == 0 ||
            strcmp((const char *)a->name, "textId") == 0);
}

xmlNodePtr fx_copy_shallow(fx_copier *k, xmlNodePtr parent, const xmlNode *src)
{
    if (fx_frozen(src)) /* the element it stands for */
        src = fx_frozen(src);
    if (fx_count_nodes(k->c, 1))
        return NULL;
    xmlNodePtr n = xmlNewDocNode(k->doc, NULL, src->name, NULL);
    if (!n) {
        fx_oom(k->c);
        return NULL;
    }
    xmlAddChild(parent, n);
    for (xmlNsPtr d = src->nsDef; d; d = d->next)
        if (!xmlNewNs(n, d->href, d->prefix)) {
            fx_oom(k->c);
            return NULL;
        }
    n->ns = map_ns(k, n, src->ns);
    for (const xmlAttr *a = src->properties; a; a = a->next) {
        if (k->repeat && k->word && is_w14_id(a))
            continue;
        const xmlChar *v = a->children && a->children->type == XML_TEXT_NODE
                               ? a->children->content
                               : (const xmlChar *)"";
        char num[16];
        if (k->repeat && k->word && fx_is(src, "docPr") && strcmp((const char *)a->name, "id") == 0) {
            snprintf(num, sizeof num, "%u", ++k->max_docpr);
            v = (const xmlChar *)num;
        }
        if (!xmlNewNsProp(n, map_ns(k, n, a->ns), a->name, v)) {
            fx_oom(k->c);
            return NULL;
        }
    }
    return n;
}

xmlDocPtr fx_doc_like(fx_copier *k, const xmlDoc *t)
{
    const xmlNode *troot = xmlDocGetRootElement(t);
    xmlDocPtr d = xmlNewDoc(t->version ? t->version : (const xmlChar *)"1.0");
    if (!d || !troot)
        goto fail;
    d->standalone = t->standalone;
    if (t->encoding && !(d->encoding = xmlStrdup(t->encoding)))
        goto fail;
    /* names are looked up in the template's dictionary, never added to it:
     * other fills read it at the same time */
    if (t->dict && !(d->dict = xmlDictCreateSub(t->dict)))
        goto fail;
    k->doc = d;
    k->troot = troot;
    k->last_from = k->last_to = NULL;
    for (const xmlNode *n = t->children; n; n = n->next) {
        if (n != troot) {
            xmlNodePtr cp = xmlDocCopyNode((xmlNodePtr)n, d, 1);
            if (!cp || !xmlAddChild((xmlNodePtr)d, cp)) {
                xmlFreeNode(cp);
                goto fail;
            }
            continue;
        }
        xmlNodePtr r = xmlNewDocNode(d, NULL, troot->name, NULL);
        if (!r || !xmlAddChild((xmlNodePtr)d, r)) {
            xmlFreeNode(r);
            goto fail;
        }
        for (xmlNsPtr ns = troot->nsDef; ns; ns = ns->next)
            if (!xmlNewNs(r, ns->href, ns->prefix))
                goto fail;
        k->root = r;
        r->ns = map_ns(k, r, troot->ns);
        for (const xmlAttr *a = troot->properties; a; a = a->next) {
            const xmlChar *v = a->children && a->children->type == XML_TEXT_NODE
                                   ? a->children->content
                                   : (const xmlChar *)"";
            if (!xmlNewNsProp(r, map_ns(k, r, a->ns), a->name, v))
                goto fail;
        }
    }
    return d;
fail:
    if (d)
        xmlFreeDoc(d);
    k->doc = NULL;
    k->root = NULL;
    fx_oom(k->c);
    return NULL;
}

int fx_add_text(fx_copier *k, xmlNodePtr parent, const char *s, size_t n)
{
    if (fx_count_nodes(k->c, 1))
        return -1;
    xmlNodePtr t = xmlNewDocTextLen(k->doc, (const xmlChar *)s, (int)n);
    if (!t)
        return fx_oom(k->c);
    xmlAddChild(parent, t);
    return 0;
}

xmlNodePtr fx_new_elem(fx_copier *k, xmlNodePtr parent, const xmlNode *like, const char *name)
{
    if (fx_count_nodes(k->c, 1))
        return NULL;
    xmlNodePtr n = xmlNewDocNode(k->doc, NULL, (const xmlChar *)name, NULL);
    if (!n) {
        fx_oom(k->c);
        return NULL;
    }
    xmlAddChild(parent, n);
    n->ns = like ? map_ns(k, n, like->ns) : NULL;
    return n;
}

static int skip_in_repeat(const fx_copier *k, const xmlNode *src)
{
    return k->repeat && k->word &&
           (fx_is(src, "bookmarkStart") || fx_is(src, "bookmarkEnd"));
}

/* Its namespace declared on the template's root (or the xml one). */
static int root_ns(const fx_copier *k, const xmlNs *ns)
{
    if (!ns || ns == k->troot->doc->oldNs)
        return 1;
    for (const xmlNs *r = k->troot->nsDef; r; r = r->next)
        if (r == ns)
            return 1;
    return 0;
}

/* The nodes of template subtree t if a frozen copy of it writes what a deep
 * copy would (elements and text only, no declarations of their own,
 * namespaces from the root, plain attributes, nothing a repeated copy
 * changes), else 0. */
static uint64_t freezable(const fx_copier *k, const xmlNode *t)
{
    uint64_t count = 0;
    for (const xmlNode *n = t; n; n = fx_walk_next((xmlNodePtr)n, (xmlNodePtr)t, 1)) {
        count++;
        if (n->type == XML_TEXT_NODE)
            continue;
        if (n->type != XML_ELEMENT_NODE || n->nsDef || !root_ns(k, n->ns) ||
            (k->repeat && (skip_in_repeat(k, n) || fx_is(n, "docPr"))))
            return 0;
        for (const xmlAttr *a = n->properties; a; a = a->next)
            if (!root_ns(k, a->ns) || (a->children && a->children->next) ||
                (k->repeat && k->word && is_w14_id(a)))
                return 0;
    }
    return count;
}

xmlNodePtr fx_copy_deep(fx_copier *k, xmlNodePtr parent, const xmlNode *src)
{
    switch (src->type) {
    case XML_ELEMENT_NODE: {
        if (skip_in_repeat(k, src))
            return parent; /* nothing added; not an error */
        /* a frozen output node copies as another; run properties freeze */
        const xmlNode *t = fx_frozen(src);
        uint64_t count = 0;
        if (!t && k->freeze && k->troot &&
            (fx_is(src, "rPr") || (k->freeze_tc && fx_is(src, "tcPr"))) &&
            (count = freezable(k, src)))
            t = src;
        if (t) {
            if (fx_count_nodes(k->c, count ? count : 1))
                return NULL;
            xmlNodePtr n = xmlNewDocNode(k->doc, NULL, t->name, NULL);
            if (!n) {
                fx_oom(k->c);
                return NULL;
            }
            xmlAddChild(parent, n);
            n->ns = map_ns(k, n, t->ns);
            n->content = (xmlChar *)t; /* see fx_frozen */
            return n;
        }
        xmlNodePtr n = fx_copy_shallow(k, parent, src);
        if (!n)
            return NULL;
        for (const xmlNode *ch = src->children; ch; ch = ch->next)
            if (!fx_copy_deep(k, n, ch))
                return NULL;
        return n;
    }
    case XML_TEXT_NODE:
        if (fx_add_text(k, parent, (const char *)src->content,
                        src->content ? strlen((const char *)src->content) : 0))
            return NULL;
        return parent;
    default: {
        if (fx_count_nodes(k->c, 1))
            return NULL;
        xmlNodePtr n = xmlDocCopyNode((xmlNodePtr)src, k->doc, 1);
        if (!n) {
            fx_oom(k->c);
            return NULL;
        }
        xmlAddChild(parent, n);
        return n;
    }
    }
}

/* ---- relationships ------------------------------------------------------ */

void fx_rels_free(fx_rel *r, int n)
{
    for (int i = 0; i < n; i++) {
        free(r[i].id);
        free(r[i].type);
        free(r[i].target);
    }
    free(r);
}

/* Resolve a relationship target against the folder of `part`, folding
 * "." and ".." segments. malloc'd. */
static char *resolve(const char *part, const char *target)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    if (target[0] == '/') {
        lexp__sbuf_puts(&b, target + 1);
    } else {
        const char *slash = strrchr(part, '/');
        if (slash)
            lexp__sbuf_put(&b, part, (size_t)(slash - part + 1));
        lexp__sbuf_puts(&b, target);
    }
    lexp__sbuf_cstr(&b);
    if (b.oom || !b.ptr) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    char *segs[64];
    int nseg = 0;
    for (char *p = b.ptr;;) {
        char *q = strchr(p, '/');
        if (q)
            *q = 0;
        if (strcmp(p, "..") == 0) {
            if (nseg)
                nseg--;
        } else if (*p && strcmp(p, ".") != 0 && nseg < 64) {
            segs[nseg++] = p;
        }
        if (!q)
            break;
        p = q + 1;
    }
    lexp__sbuf r = LEXP__SBUF_INIT;
    for (int i = 0; i < nseg; i++) {
        if (i)
            lexp__sbuf_putc(&r, '/');
        lexp__sbuf_puts(&r, segs[i]);
    }
    lexp__sbuf_free(&b);
    lexp__sbuf_cstr(&r);
    if (r.oom || !r.ptr) {
        lexp__sbuf_free(&r);
        return NULL;
    }
    return r.ptr;
}

/* word/document.xml → word/_rels/document.xml.rels; "" → _rels/.rels */
void fx_rels_name(const char *part, char *name, size_t size)
{
    const char *slash = strrchr(part, '/');
    if (slash)
        snprintf(name, size, "%.*s/_rels/%s.rels", (int)(slash - part), part, slash + 1);
    else
        snprintf(name, size, "_rels/%s.rels", part);
}

static int rels_parse(fx_ctx *c, const fx_entry *e, const char *part, fx_rel **out, int *nout);

/* A memo's relationships, copied (callers free what they get). */
static int rels_copy(fx_ctx *c, const fx_rels_memo *m, fx_rel **out, int *nout)
{
    if (!m->n)
        return 0;
    fx_rel *v = calloc((size_t)m->n, sizeof *v);
    if (!v)
        return fx_oom(c);
    for (int i = 0; i < m->n; i++) {
        v[i].id = strdup(m->v[i].id);
        v[i].type = strdup(m->v[i].type);
        v[i].target = strdup(m->v[i].target);
        if (!v[i].id || !v[i].type || !v[i].target) {
            fx_rels_free(v, m->n);
            return fx_oom(c);
        }
    }
    *out = v;
    *nout = m->n;
    return 0;
}

int fx_rels_read(fx_ctx *c, const char *part, fx_rel **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    char name[512];
    fx_rels_name(part, name, sizeof name);
    fx_entry *e = fx_pkg_find(&c->pkg, name);
    if (!e)
        return 0;
    if (!e->data) {
        /* made by this fill (the relationships of links in a part that had
         * none): what it holds now */
        if (!e->out)
            return 0;
        fx_entry now = *e;
        now.data = e->out;
        now.len = e->outlen;
        return rels_parse(c, &now, part, out, nout);
    }
    if (c->tpl && e->shared && c->tpl->rels) {
        const fx_rels_memo *m = &c->tpl->rels[e - c->pkg.e];
        if (m->ok && strcmp(m->part, part) == 0)
            return rels_copy(c, m, out, nout);
    }
    return rels_parse(c, e, part, out, nout);
}

static int rels_parse(fx_ctx *c, const fx_entry *e, const char *part, fx_rel **out, int *nout)
{
    xmlDocPtr doc = fx_xml_parse(c, e);
    if (!doc)
        return -1;
    int cap = 0, n = 0, rc = 0;
    fx_rel *v = NULL;
    for (xmlNodePtr r = xmlDocGetRootElement(doc)->children; r; r = r->next) {
        if (!fx_is(r, "Relationship"))
            continue;
        const xmlChar *id = fx_attr(r, "Id"), *type = fx_attr(r, "Type"),
                      *target = fx_attr(r, "Target"), *mode = fx_attr(r, "TargetMode");
        if (!id || !type || !target || (mode && strcmp((const char *)mode, "External") == 0))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            fx_rel *nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) {
                rc = fx_oom(c);
                break;
            }
            v = nv;
        }
        const char *t = strrchr((const char *)type, '/');
        v[n].id = strdup((const char *)id);
        v[n].type = strdup(t ? t + 1 : (const char *)type);
        v[n].target = resolve(part, (const char *)target);
        n++;
        if (!v[n - 1].id || !v[n - 1].type || !v[n - 1].target) {
            rc = fx_oom(c);
            break;
        }
    }
    xmlFreeDoc(doc);
    if (rc) {
        fx_rels_free(v, n);
        return rc;
    }
    *out = v;
    *nout = n;
    return 0;
}

static char *ct_memo(const lexp_office_template *t, const char *part)
{
    const char *ext = strrchr(part, '.');
    const char *found = NULL, *dflt = NULL;
    for (int i = 0; i < t->nct; i++) {
        const fx_ct_item *it = &t->ct[i];
        if (it->override && strcasecmp(it->key + (it->key[0] == '/'), part) == 0)
            found = it->ct;
        if (!it->override && ext && strcasecmp(it->key, ext + 1) == 0)
            dflt = it->ct;
    }
    const char *r = found ? found : dflt;
    return r ? strdup(r) : NULL;
}

char *fx_content_type(fx_ctx *c, const char *part)
{
    fx_entry *e = fx_pkg_find(&c->pkg, "[Content_Types].xml");
    if (!e)
        return NULL;
    if (c->tpl && e->shared && c->tpl->ct_ok)
        return ct_memo(c->tpl, part); /* NULL when out of memory, as below */
    xmlDocPtr doc = fx_xml_parse(c, e);
    if (!doc)
        return NULL;
    const char *ext = strrchr(part, '.');
    char *found = NULL, *dflt = NULL;
    for (xmlNodePtr k = xmlDocGetRootElement(doc)->children; k; k = k->next) {
        const xmlChar *ct = fx_attr(k, "ContentType");
        if (!ct)
            continue;
        const xmlChar *name = fx_attr(k, "PartName");
        if (fx_is(k, "Override") && name &&
            strcasecmp((const char *)name + (name[0] == '/'), part) == 0) {
            free(found);
            found = strdup((const char *)ct);
        }
        const xmlChar *x = fx_attr(k, "Extension");
        if (fx_is(k, "Default") && x && ext && strcasecmp((const char *)x, ext + 1) == 0) {
            free(dflt);
            dflt = strdup((const char *)ct);
        }
    }
    xmlFreeDoc(doc);
    if (found) {
        free(dflt);
        return found;
    }
    return dflt;
}

char *fx_main_part(fx_ctx *c, const fx_kind *k)
{
    fx_rel *rels = NULL;
    int n = 0;
    if (fx_rels_read(c, "", &rels, &n))
        return NULL;
    const char *main = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(rels[i].type, "officeDocument") == 0)
            main = rels[i].target;
    fx_entry *e = fx_pkg_find(&c->pkg, main ? main : k->part);
    char *ct = e ? fx_content_type(c, e->name) : NULL;
    char *name = NULL;
    if (!lexp__error_is_set(c->err)) {
        int ok = e && (ct ? strstr(ct, k->ct[0]) || strstr(ct, k->ct[1])
                          : strncmp(e->name, k->prefix, strlen(k->prefix)) == 0);
        if (!ok)
            fx_fail(c, LEXP_ESYNTAX, 0, 0, "not %s: %s%s", k->what,
                    e ? k->not_main : "it has no main part",
                    (ct && strstr(ct, k->other_ct)) || fx_pkg_find(&c->pkg, k->other_part)
                        ? k->other_hint
                        : "");
        else if (!(name = strdup(e->name)))
            fx_oom(c);
    }
    fx_rels_free(rels, n);
    free(ct);
    return name;
}

xmlNodePtr fx_walk_next(xmlNodePtr n, xmlNodePtr root, int descend)
{
    if (descend && n->type == XML_ELEMENT_NODE && n->children)
        return n->children;
    while (n != root && !n->next)
        n = n->parent;
    return n == root ? NULL : n->next;
}

/* ---- memos of a prepared template ---------------------------------------- */

/* "word/_rels/document.xml.rels" → "word/document.xml", "_rels/.rels" → "";
 * 0 when the name is not a relationships part's. */
static int rels_owner(const char *name, char *part, size_t size)
{
    size_t n = strlen(name);
    if (n < 11 || strcmp(name + n - 5, ".rels") != 0)
        return 0;
    const char *r = strstr(name, "_rels/");
    if (!r || (r != name && r[-1] != '/') || strchr(r + 6, '/'))
        return 0;
    snprintf(part, size, "%.*s%.*s", (int)(r - name), name, (int)(n - 5 - (size_t)(r + 6 - name)),
             r + 6);
    size_t pl = strlen(part);
    if (pl && part[pl - 1] == '/')
        part[pl - 1] = 0; /* the package's own: "_rels/.rels" */
    char back[600];
    fx_rels_name(part, back, sizeof back);
    return strcmp(back, name) == 0;
}

void fx_memo_build(fx_ctx *c, lexp_office_template *t)
{
    lexp_error scratch, *saved = c->err;
    c->err = &scratch; /* a part that does not read is the fill's to report */
    t->rels = calloc((size_t)c->pkg.n, sizeof *t->rels);
    for (int i = 0; t->rels && i < c->pkg.n; i++) {
        char part[512];
        if (!rels_owner(c->pkg.e[i].name, part, sizeof part))
            continue;
        fx_rels_memo *m = &t->rels[i];
        lexp_error_clear(&scratch);
        c->located = 0;
        if (!(m->part = strdup(part)))
            continue;
        if (rels_parse(c, &c->pkg.e[i], part, &m->v, &m->n) == 0 && !lexp__error_is_set(&scratch))
            m->ok = 1;
    }
    fx_entry *e = fx_pkg_find(&c->pkg, "[Content_Types].xml");
    lexp_error_clear(&scratch);
    xmlDocPtr doc = e ? fx_xml_parse(c, e) : NULL;
    if (doc) {
        int cap = 0, ok = 1;
        for (xmlNodePtr k = xmlDocGetRootElement(doc)->children; k && ok; k = k->next) {
            const xmlChar *ct = fx_attr(k, "ContentType");
            const xmlChar *name = fx_attr(k, "PartName"), *x = fx_attr(k, "Extension");
            const xmlChar *key = fx_is(k, "Override") ? name : fx_is(k, "Default") ? x : NULL;
            if (!ct || !key)
                continue;
            if (t->nct == cap) {
                cap = cap ? cap * 2 : 16;
                fx_ct_item *v = realloc(t->ct, (size_t)cap * sizeof *v);
                if (!v) {
                    ok = 0;
                    break;
                }
                t->ct = v;
            }
            fx_ct_item *it = &t->ct[t->nct];
            it->override = fx_is(k, "Override");
            it->key = strdup((const char *)key);
            it->ct = strdup((const char *)ct);
            t->nct++;
            if (!it->key || !it->ct)
                ok = 0;
        }
        t->ct_ok = ok;
        xmlFreeDoc(doc);
    }
    c->err = saved;
    c->part = NULL;
    c->located = 0;
}

void fx_memo_free(lexp_office_template *t)
{
    for (int i = 0; t->rels && i < t->n; i++) {
        free(t->rels[i].part);
        fx_rels_free(t->rels[i].v, t->rels[i].n);
    }
    free(t->rels);
    for (int i = 0; i < t->nct; i++) {
        free(t->ct[i].key);
        free(t->ct[i].ct);
    }
    free(t->ct);
}
