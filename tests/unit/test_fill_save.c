/*
 * fx_xml_save (fill/fill_save.c) writes the bytes xmlDocDumpMemoryEnc(doc,
 * "UTF-8") writes: compared on parsed parts with every kind of node and
 * escape a filled part can hold, and on trees changed the way the filler
 * changes them (new text with characters to escape, new attributes).
 * Trees it leaves to libxml2 must say so (return 1).
 */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fill/fill.h"

static int fails;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                  \
            fails++;                                                                \
        }                                                                           \
    } while (0)

static xmlDocPtr parse(const char *s)
{
    return xmlReadMemory(s, (int)strlen(s), "t.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
}

/* 1 when both writers give the same bytes (or fx_xml_save declines and
 * `may_decline`). */
static int same(xmlDocPtr doc, int may_decline)
{
    xmlChar *ref = NULL;
    int rlen = 0;
    xmlDocDumpMemoryEnc(doc, &ref, &rlen, "UTF-8");
    lexp__sbuf b = LEXP__SBUF_INIT;
    int rc = fx_xml_save(doc, &b);
    int ok;
    if (rc)
        ok = may_decline;
    else
        ok = b.len == (size_t)rlen && memcmp(b.ptr, ref, b.len) == 0;
    if (!ok)
        printf("libxml2: %.*s\nours:    %.*s\n", rlen, (const char *)ref, (int)b.len,
               b.ptr ? b.ptr : "");
    lexp__sbuf_free(&b);
    xmlFree(ref);
    return ok;
}

static void check_text(const char *s)
{
    xmlDocPtr d = parse(s);
    CHECK(d != NULL);
    if (d) {
        CHECK(same(d, 0));
        xmlFreeDoc(d);
    }
}

int main(void)
{
    /* Word's declaration, namespaces on the root, prefixed attributes */
    check_text("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
               "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
               "xmlns:r=\"urn:r\" xmlns=\"urn:default\"><w:body><w:p w:rsidR=\"00AB\">"
               "<w:r><w:t xml:space=\"preserve\"> 社区 &amp; &lt;b&gt; \"q\" 'a' </w:t></w:r>"
               "<w:r><w:tab/></w:r></w:p><w:sectPr/></w:body></w:document>");
    /* escapes in attributes: quotes, tab, newline, CR (as char refs), non-ASCII */
    check_text("<?xml version=\"1.0\" encoding=\"utf-8\"?><a x=\"&quot;&#9;&#10;&#13;&lt;&amp;&gt;'\" "
               "y='He said \"hi\"' z=\"中文—–\"><b/>text&#13;cr\nlf\ttab</a>");
    /* standalone="no", comments, PIs (with and without content), CDATA, nesting */
    check_text("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
               "<!-- before --><?pi-before data?><root><!--in--><?empty?><![CDATA[x < y & z]]>"
               "<![CDATA[]]><e><f><g>deep</g></f></e><h a=\"\"/></root><!-- after -->");
    /* namespaces declared deeper, a default namespace undeclared */
    check_text("<?xml version=\"1.0\" encoding=\"UTF-8\"?><r xmlns:a=\"urn:a\"><a:x xmlns:b=\"urn:b\" "
               "b:y=\"1\"><c xmlns=\"\"/></a:x><d xmlns:xml=\"http://www.w3.org/XML/1998/namespace\" "
               "xml:lang=\"zh\"/></r>");

    /* a tree changed the way the filler changes it */
    xmlDocPtr d = parse("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:t xmlns:w=\"urn:w\"/>");
    CHECK(d != NULL);
    if (d) {
        xmlNodePtr root = xmlDocGetRootElement(d);
        xmlAddChild(root, xmlNewDocText(d, (const xmlChar *)"a<b>&c\r\"d\" ]]> 中"));
        xmlNodePtr e = xmlNewDocNode(d, root->ns, (const xmlChar *)"r", NULL);
        xmlAddChild(root, e);
        xmlNewNsProp(e, root->ns, (const xmlChar *)"val", (const xmlChar *)"x\"y\n\t\r<&>");
        xmlNewProp(e, (const xmlChar *)"plain", (const xmlChar *)"");
        CHECK(same(d, 0));
        xmlFreeDoc(d);
    }

    /* declined: no encoding declared (libxml2 escapes non-ASCII then), an
     * entity reference, CDATA holding its end marker */
    d = parse("<?xml version=\"1.0\"?><a>中</a>");
    if (d) {
        lexp__sbuf b = LEXP__SBUF_INIT;
        CHECK(fx_xml_save(d, &b) == 1);
        lexp__sbuf_free(&b);
        CHECK(same(d, 1));
        xmlFreeDoc(d);
    }
    d = parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>");
    if (d) {
        xmlNodePtr root = xmlDocGetRootElement(d);
        xmlAddChild(root, xmlNewReference(d, (const xmlChar *)"&amp;"));
        lexp__sbuf b = LEXP__SBUF_INIT;
        CHECK(fx_xml_save(d, &b) == 1);
        lexp__sbuf_free(&b);
        xmlAddChild(root, xmlNewCDataBlock(d, (const xmlChar *)"]]>", 3));
        CHECK(same(d, 1));
        xmlFreeDoc(d);
    }
    xmlCleanupParser();
    if (fails)
        printf("%d failure(s)\n", fails);
    else
        printf("ok\n");
    return fails != 0;
}
