/*
 * What a Word fill writes of the template's content it copies: byte for
 * byte what the template holds, whether the copy is a tree of its own or
 * a frozen one (run properties of static content stand for the template's
 * subtree and are written from it, fill_xml.c), through a prepared template
 * or not: attribute escapes, the xml: namespace, a declaration inside the
 * properties, a comment, a comment before the root; repeated copies without
 * w14 ids and bookmarks; a paragraph split by \a keeping its run's
 * properties. The expected body was written by the fill before
 * copies froze, and read; the cells case below (EXPECTED2) by the fill
 * before cell properties froze.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libexport.h"
#include "office_min.h"
#include "check.h"

#define W14 "http://schemas.microsoft.com/office/word/2010/wordml"
static const char *DATA = "{\"note\": \"上\\u0007下\", \"name\": \"秦渠 <&> \\\"q\\\"\", \"items\": [\"一\", \"二\"], \"a1\": \"尾\"}";
static const char *DOC =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<!-- made by hand -->\n"
    "<w:document xmlns:w=\"" OM_W "\" xmlns:w14=\"" W14 "\"><w:body>"
    "<w:p w14:paraId=\"1A2B3C4D\"><w:r><w:rPr><w:rFonts w:ascii=\"A&amp;B &quot;C&quot;\" w:eastAsia=\"宋体\"/>"
    "<w:b/><w:sz w:val=\"28\"/></w:rPr><w:t>static</w:t></w:r></w:p>"
    "<w:p><w:r><w:rPr><w:i/><w:color w:val=\"FF0000\"/><w:lang w:val=\"zh-CN\" xml:lang=\"zh\"/></w:rPr>"
    "<w:t xml:space=\"preserve\">{{ name }} </w:t></w:r></w:p>"
    "<w:p><w:r><w:rPr xmlns:x=\"urn:x\"><x:y x:z=\"1\"/></w:rPr><w:t>{{ name }}</w:t></w:r>"
    "<w:r><w:rPr><w:rStyle w:val=\"s\"/><!-- a note --></w:rPr><w:t>end</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:rPr><w:b/><w:sz w:val=\"30\"/></w:rPr>"
    "<w:t>{{ note }}</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>{%p for a in items %}</w:t></w:r></w:p>"
    "<w:p w14:paraId=\"5E6F7A8B\"><w:bookmarkStart w:id=\"0\" w:name=\"b\"/><w:r><w:rPr><w:u w:val=\"single\"/>"
    "</w:rPr><w:t>{{ a }}</w:t></w:r><w:r><w:rPr><w:vertAlign w:val=\"superscript\"/></w:rPr>"
    "<w:t>*</w:t></w:r><w:bookmarkEnd w:id=\"0\"/></w:p>"
    "<w:p><w:r><w:t>{%p endfor %}</w:t></w:r></w:p>"
    "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>{%tr for a in items %}</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:tcPr><w:tcW w:w=\"100\"/></w:tcPr><w:p><w:pPr><w:rPr><w:b/></w:rPr></w:pPr>"
    "<w:r><w:rPr><w:b/><w:sz w:val=\"20\"/></w:rPr><w:t>{{ a }}</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:p><w:r><w:t>{%tr endfor %}</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    "<w:sectPr/></w:body></w:document>";

static const char *EXPECTED =
    "<w:body><w:p w14:paraId=\"1A2B3C4D\"><w:r><w:rPr>"
    "<w:rFonts w:ascii=\"A&amp;B &quot;C&quot;\" w:eastAsia=\"宋体\"/><w:b/>"
    "<w:sz w:val=\"28\"/></w:rPr><w:t>static</w:t></w:r></w:p><w:p><w:r><w:rPr><w:i/>"
    "<w:color w:val=\"FF0000\"/><w:lang w:val=\"zh-CN\" xml:lang=\"zh\"/></w:rPr>"
    "<w:t xml:space=\"preserve\">秦渠 &lt;&amp;&gt; \"q\" </w:t></w:r></w:p><w:p><w:r>"
    "<w:rPr xmlns:x=\"urn:x\"><x:y x:z=\"1\"/></w:rPr>"
    "<w:t xml:space=\"preserve\">秦渠 &lt;&amp;&gt; \"q\"</w:t></w:r><w:r><w:rPr>"
    "<w:rStyle w:val=\"s\"/><!-- a note --></w:rPr><w:t xml:space=\"preserve\">end</w:t>"
    "</w:r></w:p><w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:rPr><w:b/>"
    "<w:sz w:val=\"30\"/></w:rPr><w:t xml:space=\"preserve\">上</w:t></w:r></w:p><w:p>"
    "<w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:rPr><w:b/><w:sz w:val=\"30\"/>"
    "</w:rPr><w:t xml:space=\"preserve\">下</w:t></w:r></w:p><w:p w14:paraId=\"5E6F7A8B\">"
    "<w:bookmarkStart w:id=\"0\" w:name=\"b\"/><w:r><w:rPr><w:u w:val=\"single\"/></w:rPr>"
    "<w:t xml:space=\"preserve\">一</w:t></w:r><w:r><w:rPr>"
    "<w:vertAlign w:val=\"superscript\"/></w:rPr><w:t xml:space=\"preserve\">*</w:t>"
    "</w:r><w:bookmarkEnd w:id=\"0\"/></w:p><w:p><w:r><w:rPr><w:u w:val=\"single\"/>"
    "</w:rPr><w:t xml:space=\"preserve\">二</w:t></w:r><w:r><w:rPr>"
    "<w:vertAlign w:val=\"superscript\"/></w:rPr><w:t xml:space=\"preserve\">*</w:t>"
    "</w:r></w:p><w:tbl><w:tr><w:tc><w:tcPr><w:tcW w:w=\"100\"/></w:tcPr><w:p><w:pPr>"
    "<w:rPr><w:b/></w:rPr></w:pPr><w:r><w:rPr><w:b/><w:sz w:val=\"20\"/></w:rPr>"
    "<w:t xml:space=\"preserve\">一</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:tcPr>"
    "<w:tcW w:w=\"100\"/></w:tcPr><w:p><w:pPr><w:rPr><w:b/></w:rPr></w:pPr><w:r><w:rPr>"
    "<w:b/><w:sz w:val=\"20\"/></w:rPr><w:t xml:space=\"preserve\">二</w:t></w:r></w:p>"
    "</w:tc></w:tr></w:tbl><w:p/><w:sectPr/></w:body>";

static void check_body(const lexp_buf *b, const char *how, const char *want)
{
    char *doc = b->ptr ? om_read((const unsigned char *)b->ptr, b->size, "word/document.xml") : NULL;
    const char *body = doc ? strstr(doc, "<w:body>") : NULL;
    const char *end = body ? strstr(body, "</w:body>") : NULL;
    int ok = end && (size_t)(end + 9 - body) == strlen(want) &&
             memcmp(body, want, strlen(want)) == 0;
    CHECK(ok);
    if (!ok)
        printf("  %s wrote:\n%s\n", how, doc ? doc : "(nothing)");
    static const char HEAD[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                               "<!-- made by hand -->\n<w:document ";
    CHECK(doc && strncmp(doc, HEAD, sizeof HEAD - 1) == 0);
    free(doc);
}

/* Cells whose properties freeze (no docxtpl cell tag, no vertical merge)
 * beside cells whose properties the fill changes: the merge down a
 * generated column is found through a frozen cell's w:gridSpan (read wrong,
 * the second row's merged cell would sit under another column and restart
 * instead of continuing), {% cellbg %} and {% colspan %} rewrite their own
 * cell's properties, and a plain cell's properties hold an attribute in
 * the w14 namespace and a declaration of their own. */
static const char *DOC2 =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<!-- made by hand -->\n"
    "<w:document xmlns:w=\"" OM_W "\" xmlns:w14=\"" W14 "\"><w:body><w:tbl>"
    "<w:tr><w:tc><w:p><w:r><w:t>{%tr for a in items %}</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:tcPr><w:gridSpan w:val=\"2\"/></w:tcPr>"
    "<w:p><w:r><w:t>{% cellbg \"00FF00\" %}{{ a }}</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:tcPr><w:vMerge w:val=\"restart\"/></w:tcPr><w:p><w:r><w:t>M{{ a }}</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:tcPr><w:tcW w:w=\"200\" w:type=\"dxa\"/><w:gridSpan w:val=\"2\"/></w:tcPr>"
    "<w:p><w:r><w:t>{{ a }}</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p><w:r><w:t>{{ a }}</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:tcPr><w:tcW w:w=\"50\"/></w:tcPr><w:p><w:r><w:t>{% cellbg \"FF0000\" %}{{ a }}</w:t></w:r></w:p></w:tc>"
    "</w:tr>"
    "<w:tr><w:tc><w:p><w:r><w:t>{%tr endfor %}</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:tcPr><w:tcW w:w=\"100\" w14:x=\"1\"/></w:tcPr><w:p><w:r><w:t>{{ a1 }}</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:tcPr xmlns:v=\"urn:v\"><v:q/></w:tcPr><w:p><w:r><w:t>{{ a1 }}</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:tcPr><w:tcW w:w=\"50\"/></w:tcPr><w:p><w:r><w:t>{% colspan 2 %}{{ a1 }}</w:t></w:r></w:p></w:tc>"
    "</w:tr></w:tbl>"
    "<w:sectPr/></w:body></w:document>";

static const char *EXPECTED2 =
    "<w:body><w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val=\"2\"/>"
    "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"00FF00\"/></w:tcPr><w:p><w:r>"
    "<w:t xml:space=\"preserve\">一</w:t></w:r></w:p></w:tc><w:tc><w:tcPr>"
    "<w:vMerge w:val=\"restart\"/></w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">M一</w:t>"
    "</w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:tcPr><w:tcW w:w=\"200\" w:type=\"dxa\"/>"
    "<w:gridSpan w:val=\"2\"/></w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">一</w:t></w:r>"
    "</w:p></w:tc><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:tcPr>"
    "<w:tcW w:w=\"50\"/><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"FF0000\"/></w:tcPr><w:p>"
    "<w:r><w:t xml:space=\"preserve\">一</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:tcPr>"
    "<w:gridSpan w:val=\"2\"/><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"00FF00\"/>"
    "</w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">二</w:t></w:r></w:p></w:tc><w:tc>"
    "<w:tcPr><w:vMerge w:val=\"restart\"/></w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">M二"
    "</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:tcPr><w:tcW w:w=\"200\" w:type=\"dxa\"/>"
    "<w:gridSpan w:val=\"2\"/></w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">二</w:t></w:r>"
    "</w:p></w:tc><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:tcPr>"
    "<w:tcW w:w=\"50\"/><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"FF0000\"/></w:tcPr><w:p>"
    "<w:r><w:t xml:space=\"preserve\">二</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:tcPr>"
    "<w:tcW w:w=\"100\" w14:x=\"1\"/></w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">尾</w:t>"
    "</w:r></w:p></w:tc><w:tc><w:tcPr xmlns:v=\"urn:v\"><v:q/></w:tcPr><w:p><w:r>"
    "<w:t xml:space=\"preserve\">尾</w:t></w:r></w:p></w:tc><w:tc><w:tcPr><w:tcW w:w=\"50\"/>"
    "<w:gridSpan w:val=\"2\"/></w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">尾</w:t></w:r>"
    "</w:p></w:tc></w:tr></w:tbl><w:p/><w:sectPr/></w:body>";

int main(void)
{
    lexp_data *D;
    lexp_error e;
    if (lexp_data_load_json(&D, DATA, strlen(DATA), "d.json", &e))
        return 1;
    size_t n = 0;
    unsigned char *z = om_docx_doc(DOC, &n);
    if (!z)
        return 1;
    lexp_buf b = LEXP_BUF_INIT;
    CHECK(lexp_fill_memory(&b, z, n, "f.docx", D, NULL, &e) == 0);
    check_body(&b, "the fill", EXPECTED);
    lexp_buf_dispose(&b);
    lexp_office_template *t = NULL;
    CHECK(lexp_office_template_load_memory(&t, NULL, z, n, "f.docx", &e) == 0);
    for (int i = 0; t && i < 2; i++) {
        CHECK(lexp_office_template_fill(&b, t, D, NULL, &e) == 0);
        check_body(&b, "the prepared fill", EXPECTED);
        lexp_buf_dispose(&b);
    }
    lexp_office_template_free(t);
    free(z);
    if (!(z = om_docx_doc(DOC2, &n)))
        return 1;
    CHECK(lexp_fill_memory(&b, z, n, "f2.docx", D, NULL, &e) == 0);
    check_body(&b, "the fill (cells)", EXPECTED2);
    lexp_buf_dispose(&b);
    CHECK(lexp_office_template_load_memory(&t, NULL, z, n, "f2.docx", &e) == 0);
    for (int i = 0; t && i < 2; i++) {
        CHECK(lexp_office_template_fill(&b, t, D, NULL, &e) == 0);
        check_body(&b, "the prepared fill (cells)", EXPECTED2);
        lexp_buf_dispose(&b);
    }
    lexp_office_template_free(t);
    free(z);
    lexp_data_free(D);
    if (fails)
        printf("%d check(s) failed\n", fails);
    else
        printf("test_fill_copies: all checks passed\n");
    return fails != 0;
}
