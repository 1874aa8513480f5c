/*
 * The DOCX renderer's XML writer (render/docx_xml.c) against libxml2's
 * xmlTextWriter, which it replaced: the same calls must give the same bytes
 * (declaration, "/>", escapes in text and attributes — tab, LF and CR as
 * character references in attributes, quotes, non-ASCII kept as UTF-8 —
 * and deep nesting), characters XML cannot carry are dropped, and misuse or
 * an unfinished part is an error, never a crash.
 */
#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>

#include "render/docx.h"

#include "check.h"

/* One writer step, replayed on both writers. */
typedef struct step {
    char op; /* 's' start, 'e' end, 'a' attribute, 't' text */
    const char *a, *b;
} step;

static void ours(dx *c, const step *s, int n)
{
    for (int i = 0; i < n; i++)
        switch (s[i].op) {
        case 's': dx_start(c, s[i].a); break;
        case 'e': dx_end(c); break;
        case 'a': dx_attr(c, s[i].a, s[i].b); break;
        default: dx_chars(c, s[i].a, strlen(s[i].a)); break;
        }
}

static xmlBufferPtr theirs(const step *s, int n)
{
    xmlBufferPtr b = xmlBufferCreate();
    xmlTextWriterPtr w = xmlNewTextWriterMemory(b, 0);
    xmlTextWriterStartDocument(w, "1.0", "UTF-8", "yes");
    for (int i = 0; i < n; i++)
        switch (s[i].op) {
        case 's': xmlTextWriterStartElement(w, BAD_CAST s[i].a); break;
        case 'e': xmlTextWriterEndElement(w); break;
        case 'a': xmlTextWriterWriteAttribute(w, BAD_CAST s[i].a, BAD_CAST s[i].b); break;
        default:
            if (*s[i].a)
                xmlTextWriterWriteString(w, BAD_CAST s[i].a);
            break;
        }
    xmlTextWriterEndDocument(w);
    xmlFreeTextWriter(w);
    return b;
}

/* Write the steps as one part; 0 and the part's bytes, or the code. */
static int part(dx *c, lexp_error *err, const step *s, int n, const char **out, size_t *len)
{
    memset(c, 0, sizeof *c);
    c->err = err;
    lexp_error_clear(err);
    int rc = dx_part_begin(c);
    if (rc == 0) {
        ours(c, s, n);
        rc = dx_part_end(c, "word/test.xml");
    }
    if (rc == 0) {
        *out = (const char *)c->parts[0].data;
        *len = c->parts[0].len;
    }
    return rc;
}

static void done(dx *c)
{
    dx_parts_free(c);
    lexp__sbuf_free(&c->text);
}

static void same_as_libxml2(const char *what, const step *s, int n)
{
    dx c;
    lexp_error err;
    const char *got = NULL;
    size_t len = 0;
    CHECK(part(&c, &err, s, n, &got, &len) == 0);
    xmlBufferPtr want = theirs(s, n);
    int ok = got && len == (size_t)xmlBufferLength(want) &&
             memcmp(got, xmlBufferContent(want), len) == 0;
    if (!ok)
        printf("%s:\n  ours   %.*s\n  libxml2 %s\n", what, (int)len, got ? got : "",
               (const char *)xmlBufferContent(want));
    CHECK(ok);
    xmlBufferFree(want);
    done(&c);
}

static void test_escapes(void)
{
    /* every printable ASCII byte, tab, LF, CR, and UTF-8 of 2, 3 and 4 bytes */
    char ascii[128];
    int k = 0;
    ascii[k++] = '\t';
    ascii[k++] = '\n';
    ascii[k++] = '\r';
    for (int ch = 0x20; ch < 0x7f; ch++)
        ascii[k++] = (char)ch;
    ascii[k] = 0;
    const char *utf8 = "é中文「引号」\xf0\x9f\x98\x80 社区&<居委会>\"'";
    const step s[] = {
        {'s', "w:document", 0},
        {'a', "xmlns:w", DX_NS_W},
        {'s', "w:p", 0},
        {'a', "w:ascii", ascii},
        {'a', "w:name", utf8},
        {'a', "w:q", "\"\"''"},
        {'a', "w:empty", ""},
        {'t', ascii, 0},
        {'t', utf8, 0},
        {'t', "]]>&amp;", 0},
        {'s', "w:br", 0},
        {'e', 0, 0},
        {'s', "w:t", 0},
        {'t', "", 0}, /* no text: the element stays empty, "/>" */
        {'e', 0, 0},
        {'s', "w:t", 0},
        {'a', "xml:space", "preserve"},
        {'t', " a  b ", 0},
        {'e', 0, 0},
        {'e', 0, 0},
        {'s', "w:sectPr", 0}, /* left open: the part's end closes it */
        {'s', "w:pgSz", 0},
        {'a', "w:w", "11906"},
    };
    same_as_libxml2("escapes", s, (int)(sizeof s / sizeof *s));
}

static void test_nesting(void)
{
    /* 300 levels with names of growing length, attributes and text at each */
    enum { DEPTH = 300 };
    static char names[DEPTH][40];
    static step s[DEPTH * 4 + 8];
    int n = 0;
    for (int i = 0; i < DEPTH; i++) {
        snprintf(names[i], sizeof names[i], "w:l%d%.*s", i, i % 30, "abcdefghijklmnopqrstuvwxyz0123");
        s[n++] = (step){'s', names[i], 0};
        if (i % 3 == 0)
            s[n++] = (step){'a', "w:i", names[i]};
        if (i % 5 == 0)
            s[n++] = (step){'t', "文字&", 0};
        if (i % 7 == 0) {
            s[n++] = (step){'s', "w:x", 0};
            s[n++] = (step){'e', 0, 0};
        }
    }
    for (int i = 0; i < DEPTH - 10; i++)
        s[n++] = (step){'e', 0, 0}; /* the last ten are closed by the part's end */
    same_as_libxml2("nesting", s, n);
}

static void test_cleaned(void)
{
    /* XML 1.0 cannot carry C0 controls (other than tab, LF, CR), U+FFFE or
     * bad UTF-8: dropped or replaced in attributes and text alike */
    const step s[] = {
        {'s', "w:p", 0},
        {'a', "w:v", "a\x01" "b\x1f\tc\xef\xbf\xbe" "d\xff"},
        {'t', "x\x02y\x7fz\n\xc3", 0},
        {'e', 0, 0},
    };
    dx c;
    lexp_error err;
    const char *got = NULL;
    size_t len = 0;
    CHECK(part(&c, &err, s, 4, &got, &len) == 0);
    const char *want = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                       "<w:p w:v=\"ab&#9;c\xef\xbf\xbd" "d\xef\xbf\xbd\">xyz\n\xef\xbf\xbd</w:p>\n";
    CHECK(got && len == strlen(want) && memcmp(got, want, len) == 0);
    if (got && (len != strlen(want) || memcmp(got, want, len)))
        printf("cleaned: got %.*s\n", (int)len, got);
    done(&c);
}

static void test_misuse(void)
{
    dx c;
    lexp_error err;
    const char *got;
    size_t len;
    /* an end with nothing open */
    const step a[] = {{'s', "w:p", 0}, {'e', 0, 0}, {'e', 0, 0}};
    CHECK(part(&c, &err, a, 3, &got, &len) == LEXP_EBACKEND);
    CHECK(strstr(err.message, "word/test.xml") != NULL);
    CHECK(c.nparts == 0);
    done(&c);
    /* an attribute after content */
    const step b[] = {{'s', "w:p", 0}, {'t', "x", 0}, {'a', "w:v", "1"}};
    CHECK(part(&c, &err, b, 3, &got, &len) == LEXP_EBACKEND);
    CHECK(c.nparts == 0);
    done(&c);
    /* the next part starts afresh */
    const step ok[] = {{'s', "w:p", 0}, {'a', "w:v", "1"}};
    CHECK(part(&c, &err, ok, 2, &got, &len) == 0);
    CHECK(c.nparts == 1 && c.parts[0].xml);
    done(&c);
}

int main(void)
{
    test_escapes();
    test_nesting();
    test_cleaned();
    test_misuse();
    if (fails)
        printf("%d checks failed\n", fails);
    return fails != 0;
}
