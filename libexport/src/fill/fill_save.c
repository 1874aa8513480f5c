/*
 * Writing a filled part: the bytes libxml2's xmlDocDumpMemoryEnc(doc,
 * "UTF-8") writes, made directly into one buffer.
 *
 * libxml2 passes every name, attribute and text through its output buffer
 * piece by piece (and through a UTF-8 to UTF-8 converter); on a filled
 * document that was a third of a fill. This writer covers the trees a fill
 * makes — elements, namespaces, attributes, text, comments, processing
 * instructions, CDATA — with libxml2's escapes for its UTF-8 output:
 *
 *   text        < > & as &lt; &gt; &amp;, CR as &#13;
 *   attributes  also " as &quot;, LF, CR, tab as &#10; &#13; &#9;
 *               (bytes over 0x7F as they are: the document is UTF-8)
 *
 * Anything else (a document without a UTF-8 declaration, entity
 * references, unescaped text nodes, quotes in a namespace name, "]]>" in
 * CDATA …) returns 1, and the caller lets libxml2 write the part.
 * tests/unit/test_fill_save.c compares the two on such trees.
 */
#include <libxml/parserInternals.h> /* xmlStringTextNoenc */
#include <string.h>
#include <strings.h>

#include "fill.h"

static void put(lexp__sbuf *b, const char *s) { lexp__sbuf_put(b, s, strlen(s)); }

static void text_esc(lexp__sbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep;
        switch (*s) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '\r': rep = "&#13;"; break;
        default: continue;
        }
        lexp__sbuf_put(b, run, (size_t)(s - run));
        put(b, rep);
        run = s + 1;
    }
    lexp__sbuf_put(b, run, (size_t)(s - run));
}

static void attr_esc(lexp__sbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep;
        switch (*s) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\n': rep = "&#10;"; break;
        case '\r': rep = "&#13;"; break;
        case '\t': rep = "&#9;"; break;
        default: continue;
        }
        lexp__sbuf_put(b, run, (size_t)(s - run));
        put(b, rep);
        run = s + 1;
    }
    lexp__sbuf_put(b, run, (size_t)(s - run));
}

/* A name, with its namespace prefix. */
static void qname(lexp__sbuf *b, const xmlNs *ns, const xmlChar *name)
{
    if (ns && ns->prefix) {
        put(b, (const char *)ns->prefix);
        lexp__sbuf_putc(b, ':');
    }
    put(b, (const char *)name);
}

static int start_tag(lexp__sbuf *b, const xmlNode *n)
{
    lexp__sbuf_putc(b, '<');
    qname(b, n->ns, n->name);
    for (const xmlNs *d = n->nsDef; d; d = d->next) {
        if (d->type != XML_LOCAL_NAMESPACE || !d->href)
            continue;
        if (d->prefix && strcmp((const char *)d->prefix, "xml") == 0)
            continue;
        if (strpbrk((const char *)d->href, "\"'"))
            return 1; /* libxml2 picks other quotes */
        put(b, d->prefix ? " xmlns:" : " xmlns");
        if (d->prefix)
            put(b, (const char *)d->prefix);
        put(b, "=\"");
        put(b, (const char *)d->href);
        lexp__sbuf_putc(b, '"');
    }
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        lexp__sbuf_putc(b, ' ');
        qname(b, a->ns, a->name);
        put(b, "=\"");
        for (const xmlNode *t = a->children; t; t = t->next) {
            if (t->type != XML_TEXT_NODE)
                return 1;
            if (t->content)
                attr_esc(b, (const char *)t->content);
        }
        lexp__sbuf_putc(b, '"');
    }
    return 0;
}

/* One node and what is below it, without recursion (depth is capped when
 * parsing, but copies add levels). */
static int node(lexp__sbuf *b, const xmlNode *top)
{
    const xmlNode *n = top;
    for (;;) {
        int down = 0;
        switch (n->type) {
        case XML_ELEMENT_NODE:
            if (start_tag(b, n))
                return 1;
            if (n->children) {
                lexp__sbuf_putc(b, '>');
                down = 1;
            } else {
                put(b, "/>");
            }
            break;
        case XML_TEXT_NODE:
            if (n->name == xmlStringTextNoenc)
                return 1;
            if (n->content)
                text_esc(b, (const char *)n->content);
            break;
        case XML_COMMENT_NODE:
            if (n->content) {
                put(b, "<!--");
                put(b, (const char *)n->content);
                put(b, "-->");
            }
            break;
        case XML_PI_NODE:
            put(b, "<?");
            put(b, (const char *)n->name);
            if (n->content) {
                lexp__sbuf_putc(b, ' ');
                put(b, (const char *)n->content);
            }
            put(b, "?>");
            break;
        case XML_CDATA_SECTION_NODE:
            if (n->content && strstr((const char *)n->content, "]]>"))
                return 1;
            put(b, "<![CDATA[");
            if (n->content)
                put(b, (const char *)n->content);
            put(b, "]]>");
            break;
        default:
            return 1;
        }
        if (down) {
            n = n->children;
            continue;
        }
        /* up: close the elements whose last child this was */
        while (n != top && !n->next) {
            n = n->parent;
            put(b, "</");
            qname(b, n->ns, n->name);
            lexp__sbuf_putc(b, '>');
        }
        if (n == top)
            return 0;
        n = n->next;
    }
}

int fx_xml_save(const xmlDoc *doc, lexp__sbuf *b)
{
    if (!doc->encoding || strcasecmp((const char *)doc->encoding, "UTF-8") != 0 ||
        doc->intSubset || doc->extSubset ||
        (doc->version && strpbrk((const char *)doc->version, "\"'")))
        return 1;
    put(b, "<?xml version=\"");
    put(b, doc->version ? (const char *)doc->version : "1.0");
    put(b, "\" encoding=\"UTF-8\"");
    if (doc->standalone == 0)
        put(b, " standalone=\"no\"");
    else if (doc->standalone == 1)
        put(b, " standalone=\"yes\"");
    put(b, "?>\n");
    for (const xmlNode *k = doc->children; k; k = k->next) {
        if (node(b, k))
            return 1;
        lexp__sbuf_putc(b, '\n');
    }
    return 0;
}
