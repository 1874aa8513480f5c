/*
 * lexp_fill and lexp_fill_memory through the public API: results, error
 * fields, arguments, warnings, and several threads filling at once (each
 * result must equal the single-threaded one byte for byte).
 */
#define _GNU_SOURCE /* mkstemps */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libexport.h"
#include "office_min.h"

static int fails;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                  \
            fails++;                                                                \
        }                                                                           \
    } while (0)

static const char *DATA =
    "{\"community\": {\"name\": \"秦渠社区\", \"population\": 12130},\n"
    " \"activities\": [{\"title\": \"汇演\", \"participants\": 300},"
    " {\"title\": \"宣讲\", \"participants\": 120}, {\"title\": \"义诊\", \"participants\": 80}]}";

#define P(text) "<w:p><w:r><w:t xml:space=\"preserve\">" text "</w:t></w:r></w:p>"

/* A paragraph whose tag is split over three runs, the middle one bold. */
#define SPLIT                                                                        \
    "<w:p><w:r><w:t>社区：{</w:t></w:r><w:proofErr w:type=\"spellStart\"/>"         \
    "<w:r><w:rPr><w:b/></w:rPr><w:t>{ community.</w:t></w:r>"                       \
    "<w:r><w:t>name }}</w:t></w:r></w:p>"

static const char *BODY =
    SPLIT P("{%p for a in activities %}") P("{{ loop.index }}. {{ a.title }}")
    P("{%p endfor %}")
    "<w:tbl><w:tr><w:tc>" P("项目") "</w:tc></w:tr>"
    "<w:tr><w:tc>" P("{%tr for a in activities %}") "</w:tc></w:tr>"
    "<w:tr><w:tc>" P("{{ a.participants }}") "</w:tc></w:tr>"
    "<w:tr><w:tc>" P("{%tr endfor %}") "</w:tc></w:tr></w:tbl>" P("end");

static const char *ROWS =
    "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>{{ community.name }}</t></is></c></row>"
    "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>{%tr for a in activities %}</t></is></c></row>"
    "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>{{ a.title }}</t></is></c>"
    "<c r=\"B3\" s=\"1\" t=\"inlineStr\"><is><t>{{ a.participants }}</t></is></c></row>"
    "<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>{%tr endfor %}</t></is></c></row>"
    "<row r=\"5\"><c r=\"B5\"><f>SUM(B3:B3)</f><v>0</v></c></row>";

static lexp_data *load(void)
{
    lexp_error e;
    lexp_data *d = NULL;
    CHECK(lexp_data_load_json(&d, DATA, strlen(DATA), "d.json", &e) == 0);
    return d;
}

static void test_docx(lexp_data *d)
{
    size_t n;
    unsigned char *z = om_docx(BODY, &n);
    CHECK(z != NULL);
    lexp_buf out = LEXP_BUF_INIT;
    lexp_error e;
    CHECK(lexp_fill_memory(&out, z, n, "form.docx", d, NULL, &e) == 0);
    char *doc = out.ptr ? om_read(out.ptr, out.size, "word/document.xml") : NULL;
    CHECK(doc != NULL);
    if (doc) {
        /* the healed tag sits in the run where it started */
        CHECK(strstr(doc, "<w:t xml:space=\"preserve\">社区：秦渠社区</w:t>") != NULL);
        CHECK(strstr(doc, "proofErr") == NULL && strstr(doc, "{{") == NULL);
        CHECK(strstr(doc, ">1. 汇演<") && strstr(doc, ">2. 宣讲<") && strstr(doc, ">3. 义诊<"));
        CHECK(strstr(doc, ">300<") && strstr(doc, ">120<") && strstr(doc, ">80<"));
        CHECK(strstr(doc, "{%") == NULL && strstr(doc, ">end<") != NULL);
    }
    free(doc);
    lexp_buf_dispose(&out);
    free(z);
}

static void test_xlsx(lexp_data *d)
{
    size_t n;
    unsigned char *z = om_xlsx(ROWS, "<mergeCells count=\"1\"><mergeCell ref=\"A5:B5\"/></mergeCells>",
                               &n);
    lexp_buf out = LEXP_BUF_INIT;
    lexp_error e;
    CHECK(lexp_fill_memory(&out, z, n, "t.xlsx", d, NULL, &e) == 0);
    char *s = out.ptr ? om_read(out.ptr, out.size, "xl/worksheets/sheet1.xml") : NULL;
    CHECK(s != NULL);
    if (s) {
        CHECK(strstr(s, "<c r=\"B2\" s=\"1\"><v>300</v></c>") != NULL); /* typed, styled */
        CHECK(strstr(s, "<c r=\"B4\" s=\"1\"><v>80</v></c>") != NULL);
        CHECK(strstr(s, "<f>SUM(B2:B4)</f>") != NULL);    /* grew over the copies */
        CHECK(strstr(s, "<v>0</v>") == NULL);             /* stale cache gone */
        CHECK(strstr(s, "<mergeCell ref=\"A5:B5\"/>") != NULL);
        CHECK(strstr(s, "<dimension ref=\"A1:B5\"/>") != NULL);
    }
    free(s);
    char *wb = out.ptr ? om_read(out.ptr, out.size, "xl/workbook.xml") : NULL;
    CHECK(wb && strstr(wb, "fullCalcOnLoad=\"1\""));
    free(wb);
    lexp_buf_dispose(&out);
    free(z);
}

static void test_errors(lexp_data *d)
{
    size_t n;
    lexp_error e;
    lexp_buf out = LEXP_BUF_INIT;
    unsigned char *z = om_docx(P("first") P("x {{ community.name | nope }}"), &n);
    CHECK(lexp_fill_memory(&out, z, n, "bad.docx", d, NULL, &e) == LEXP_ESYNTAX);
    CHECK(e.code == LEXP_ESYNTAX && strcmp(e.file, "bad.docx") == 0);
    CHECK(e.line == 2 && e.column == 23); /* paragraph 2, character 23 */
    CHECK(strncmp(e.message, "word/document.xml: unknown filter 'nope'", 40) == 0);
    CHECK(out.ptr == NULL && out.size == 0);
    char buf[1024];
    lexp_error_format(buf, sizeof buf, &e, NULL);
    const char *want = "bad.docx:2:23: error: word/document.xml: unknown filter";
    CHECK(strncmp(buf, want, strlen(want)) == 0);
    CHECK(lexp_fill_memory(&out, z, n, "bad.docx", d, NULL, NULL) == LEXP_ESYNTAX);
    free(z);

    z = om_xlsx("<row r=\"7\"><c r=\"C7\" t=\"inlineStr\"><is><t>x{{ 1 / 0 }}</t></is></c></row>",
                "", &n);
    CHECK(lexp_fill_memory(&out, z, n, "bad.xlsx", d, NULL, &e) == LEXP_EEVAL);
    CHECK(e.line == 7 && e.column == 7); /* row 7, at the '/' */
    CHECK(strstr(e.message, "xl/worksheets/sheet1.xml: cell C7 of sheet “S”: division by zero") ==
          e.message);
    free(z);

    CHECK(lexp_fill_memory(&out, "PK\3\4junk", 9, "x.docx", d, NULL, &e) == LEXP_ESYNTAX);
    CHECK(lexp_fill_memory(&out, "hello", 5, "x.txt", d, NULL, &e) == LEXP_EINVAL);
    CHECK(lexp_fill_memory(NULL, "hello", 5, "x.docx", d, NULL, &e) == LEXP_EINVAL);
    CHECK(lexp_fill_memory(&out, NULL, 5, "x.docx", d, NULL, &e) == LEXP_EINVAL);
    CHECK(lexp_fill(&out, "/nonexistent/t.docx", d, NULL, &e) == LEXP_EIO);
    CHECK(strcmp(e.file, "/nonexistent/t.docx") == 0);
    CHECK(lexp_fill(&out, "t.pdf", d, NULL, &e) == LEXP_EINVAL);
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.date = "2024-02-30";
    z = om_docx(P("{{ date }}"), &n);
    CHECK(lexp_fill_memory(&out, z, n, "d.docx", d, &o, &e) == LEXP_EINVAL);
    free(z);
}

static int warnings;
static void on_warn(const lexp_error *w, void *payload)
{
    (void)payload;
    if (strstr(w->message, "covers no rows"))
        warnings++;
}

static void test_path_and_warnings(lexp_data *d)
{
    size_t n;
    unsigned char *z = om_xlsx("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>{%tr for x in none %}"
                               "</t></is></c></row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>"
                               "{{ x }}</t></is></c></row><row r=\"3\"><c r=\"A3\" t=\"inlineStr\">"
                               "<is><t>{%tr endfor %}</t></is></c></row><row r=\"4\"><c r=\"A4\">"
                               "<f>SUM(A2:A2)</f></c></row>",
                               "", &n);
    char path[] = "/tmp/lexp-fill-XXXXXX.xlsx";
    int fd = mkstemps(path, 5);
    CHECK(fd >= 0);
    CHECK(write(fd, z, n) == (ssize_t)n);
    close(fd);
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.warn = on_warn;
    lexp_buf out = LEXP_BUF_INIT;
    lexp_error e;
    CHECK(lexp_fill(&out, path, d, &o, &e) == 0);
    CHECK(warnings == 1);
    char *s = out.ptr ? om_read(out.ptr, out.size, "xl/worksheets/sheet1.xml") : NULL;
    CHECK(s && strstr(s, "<c r=\"A1\"><f>SUM(#REF!)</f></c>")); /* no row above it */
    free(s);
    lexp_buf_dispose(&out);
    unlink(path);
    free(z);
}

typedef struct job {
    const unsigned char *tpl;
    size_t len;
    const char *name;
    lexp_data *d;
    lexp_buf out[10];
    int rc;
} job;

static void *worker(void *p)
{
    job *j = p;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.month = "2024-09";
    for (int i = 0; i < 10; i++) {
        lexp_error e;
        j->out[i].ptr = NULL;
        j->out[i].size = 0;
        j->rc |= lexp_fill_memory(&j->out[i], j->tpl, j->len, j->name, j->d, &o, &e);
    }
    return NULL;
}

static void test_threads(lexp_data *d)
{
    size_t nd, nx;
    unsigned char *dz = om_docx(BODY, &nd), *xz = om_xlsx(ROWS, "", &nx);
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.month = "2024-09";
    lexp_buf ref[2] = {LEXP_BUF_INIT, LEXP_BUF_INIT};
    lexp_error e;
    CHECK(lexp_fill_memory(&ref[0], dz, nd, "a.docx", d, &o, &e) == 0);
    CHECK(lexp_fill_memory(&ref[1], xz, nx, "a.xlsx", d, &o, &e) == 0);
    enum { N = 8 };
    pthread_t th[N];
    static job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (job){i % 2 ? xz : dz, i % 2 ? nx : nd, i % 2 ? "a.xlsx" : "a.docx", d, {{0}}, 0};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK(jobs[i].rc == 0);
        const lexp_buf *r = &ref[i % 2];
        for (int k = 0; k < 10; k++) {
            CHECK(jobs[i].out[k].size == r->size &&
                  memcmp(jobs[i].out[k].ptr, r->ptr, r->size) == 0);
            lexp_buf_dispose(&jobs[i].out[k]);
        }
    }
    lexp_buf_dispose(&ref[0]);
    lexp_buf_dispose(&ref[1]);
    free(dz);
    free(xz);
}

int main(void)
{
    lexp_data *d = load();
    if (!d)
        return 1;
    test_docx(d);
    test_xlsx(d);
    test_errors(d);
    test_path_and_warnings(d);
    test_threads(d);
    lexp_data_free(d);
    if (fails)
        printf("%d check(s) failed\n", fails);
    else
        printf("test_fill: all checks passed\n");
    return fails != 0;
}
