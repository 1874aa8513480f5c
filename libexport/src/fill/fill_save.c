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

/* The writes below are inlined: a filled part is mostly short names and
 * attribute values, and a call for each piece cost more than the copying. */
static inline void wput(lexp__sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap && lexp__sbuf_grow(b, n))
        return;
    memcpy(b->ptr + b->len, s, n);
    b->len += n;
}

static inline void wputc(lexp__sbuf *b, char c)
{
    if (b->len + 2 > b->cap && lexp__sbuf_grow(b, 1))
        return;
    b->ptr[b->len++] = c;
}

static inline void put(lexp__sbuf *b, const char *s) { wput(b, s, strlen(s)); }

#define PUTL(b, lit) wput((b), (lit), sizeof(lit) - 1)

/* Bytes that end a run of plain text: 1 in text, 2 in attribute values too
 * (and NUL, which ends the string). */
static const unsigned char STOP[256] = {
    [0] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1, ['\r'] = 1, ['"'] = 2, ['\n'] = 2, ['\t'] = 2};

static void esc(lexp__sbuf *b, const char *s, int attr)
{
    const unsigned char *u = (const unsigned char *)s;
    for (;;) {
        const unsigned char *run = u;
        while (!STOP[*u] || (STOP[*u] == 2 && !attr))
            u++;
        wput(b, (const char *)run, (size_t)(u - run));
        switch (*u) {
        case 0: return;
        case '<': PUTL(b, "&lt;"); break;
        case '>': PUTL(b, "&gt;"); break;
        case '&': PUTL(b, "&amp;"); break;
        case '\r': PUTL(b, "&#13;"); break;
        case '"': PUTL(b, "&quot;"); break;
        case '\n': PUTL(b, "&#10;"); break;
        case '\t': PUTL(b, "&#9;"); break;
        }
        u++;
    }
}

static void text_esc(lexp__sbuf *b, const char *s) { esc(b, s, 0); }

static void attr_esc(lexp__sbuf *b, const char *s) { esc(b, s, 1); }

/* A name, with its namespace prefix. */
static void qname(lexp__sbuf *b, const xmlNs *ns, const xmlChar *name)
{
    if (ns && ns->prefix) {
        put(b, (const char *)ns->prefix);
        wputc(b, ':');
    }
    put(b, (const char *)name);
}

static int start_tag(lexp__sbuf *b, const xmlNode *n)
{
    wputc(b, '<');
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
        PUTL(b, "=\"");
        put(b, (const char *)d->href);
        wputc(b, '"');
    }
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        wputc(b, ' ');
        qname(b, a->ns, a->name);
        PUTL(b, "=\"");
        for (const xmlNode *t = a->children; t; t = t->next) {
            if (t->type != XML_TEXT_NODE)
                return 1;
            if (t->content)
                attr_esc(b, (const char *)t->content);
        }
        wputc(b, '"');
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
            if (fx_frozen(n)) { /* the template's subtree */
                if (node(b, fx_frozen(n)))
                    return 1;
                break;
            }
            if (start_tag(b, n))
                return 1;
            if (n->children) {
                wputc(b, '>');
                down = 1;
            } else {
                PUTL(b, "/>");
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
                wputc(b, ' ');
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
            PUTL(b, "</");
            qname(b, n->ns, n->name);
            wputc(b, '>');
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
        wputc(b, '\n');
    }
    return 0;
}

int fx_xml_plain(const xmlDoc *doc)
{
    if (!doc->encoding || strcasecmp((const char *)doc->encoding, "UTF-8") != 0 ||
        doc->intSubset || doc->extSubset ||
        (doc->version && strpbrk((const char *)doc->version, "\"'")))
        return 0;
    for (const xmlNode *top = doc->children; top; top = top->next) {
        const xmlNode *n = top;
        while (n) {
            switch (n->type) {
            case XML_ELEMENT_NODE:
                for (const xmlNs *d = n->nsDef; d; d = d->next)
                    if (d->href && strpbrk((const char *)d->href, "\"'"))
                        return 0;
                for (const xmlAttr *a = n->properties; a; a = a->next)
                    for (const xmlNode *t = a->children; t; t = t->next)
                        if (t->type != XML_TEXT_NODE)
                            return 0;
                break;
            case XML_TEXT_NODE:
                if (n->name == xmlStringTextNoenc)
                    return 0;
                break;
            case XML_COMMENT_NODE:
            case XML_PI_NODE:
                break;
            case XML_CDATA_SECTION_NODE:
                if (n->content && strstr((const char *)n->content, "]]>"))
                    return 0;
                break;
            default:
                return 0;
            }
            n = fx_walk_next((xmlNodePtr)n, (xmlNodePtr)top, 1);
        }
    }
    return 1;
}
