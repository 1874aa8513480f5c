/*
 * The SpreadsheetML writer (render/xlsx_write.h) on its own: a worksheet
 * streamed through its scratch file comes out as the same XML as one made
 * in memory (and libzip's CRC check passes on both), numbers read back as
 * the doubles written, text is escaped, cells come out in column order with
 * the last write winning, rows out of order are an error, and a chart's
 * anchor ends where its width over the columns ends.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "render/xlsx_write.h"

#include "check.h"

/* The bytes of a member of an archive held in memory, or NULL (also when
 * libzip finds its CRC wrong). */
static char *member(const lexp__sbuf *zipbytes, const char *name, size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(zipbytes->ptr, zipbytes->len, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    zip_error_fini(&ze);
    if (!z) {
        if (src)
            zip_source_free(src);
        return NULL;
    }
    char *buf = NULL;
    zip_stat_t st;
    if (zip_stat(z, name, 0, &st) == 0) {
        zip_file_t *f = zip_fopen(z, name, 0);
        buf = f ? malloc(st.size + 1) : NULL;
        /* reading past the end makes libzip compare the CRC */
        if (buf && zip_fread(f, buf, st.size) == (zip_int64_t)st.size &&
            zip_fread(f, buf + st.size, 1) == 0) {
            buf[st.size] = 0;
            if (len)
                *len = (size_t)st.size;
        } else if (buf) {
            free(buf);
            buf = NULL;
        }
        if (f)
            zip_fclose(f);
    }
    zip_close(z);
    return buf;
}

/* A workbook of one sheet with `rows` rows of text, numbers and a formula. */
static int book(lexp__sbuf *out, int stream, int rows, lexp_error *err)
{
    lexp__xwprops p;
    memset(&p, 0, sizeof p);
    p.title = "统计 <一>";
    p.created = "2024-09-30T00:00:00Z";
    p.stream = stream;
    const char *td = getenv("TMPDIR");
    p.tmpdir = td && *td ? td : "/tmp";
    lexp__xw *w;
    int rc = lexp__xw_new(&w, &p, err);
    if (rc)
        return rc;
    lexp__xwfmt f;
    memset(&f, 0, sizeof f);
    f.border = 1;
    f.numfmt = "0.00";
    int num = lexp__xw_format(w, &f);
    lexp__xws *s;
    rc = lexp__xw_sheet(w, "O'Brien & 台账", &s, err);
    for (int r = 0; r < rows && !rc; r++) {
        char t[64];
        snprintf(t, sizeof t, "活动 %d <&>", r);
        rc = lexp__xws_string(s, (uint32_t)r, 0, t, 0, err);
        if (!rc)
            rc = lexp__xws_number(s, (uint32_t)r, 1, r * 0.1, num, err);
    }
    if (!rc)
        rc = lexp__xws_formula(s, (uint32_t)rows, 1, "=SUM(B1:B9)", 3.6, num, err);
    if (!rc) {
        lexp__xws_column(s, 0, 20);
        lexp__xws_autofilter(s, 0, 0, (uint32_t)rows - 1, 1);
        lexp__xws_repeat_rows(s, 0, 0);
        lexp__xws_print(s, 0, "&C第 &P 页");
        rc = lexp__xws_end(s, err);
    }
    if (rc) {
        lexp__xw_free(w);
        return rc;
    }
    return lexp__xw_close(w, out, NULL, err);
}

static void streamed_equals_memory(void)
{
    lexp_error err;
    lexp_error_clear(&err);
    lexp__sbuf a = LEXP__SBUF_INIT, b = LEXP__SBUF_INIT;
    /* about 1.6 MB of row XML: several chunks through the scratch file */
    CHECK(book(&a, 0, 20000, &err) == 0);
    CHECK(book(&b, 1, 20000, &err) == 0);
    size_t la = 0, lb = 0;
    char *sa = member(&a, "xl/worksheets/sheet1.xml", &la);
    char *sb = member(&b, "xl/worksheets/sheet1.xml", &lb);
    CHECK(sa && sb && la > 1000000 && la == lb && memcmp(sa, sb, la) == 0);
    if (sa) {
        CHECK(strstr(sa, "<c r=\"A20000\" t=\"inlineStr\"><is><t>活动 19999 &lt;&amp;&gt;</t>") !=
              NULL);
        CHECK(strstr(sa, "<f>SUM(B1:B9)</f><v>3.6</v>") != NULL);
        CHECK(strstr(sa, "<dimension ref=\"A1:B20001\"/>") != NULL);
        CHECK(strstr(sa, "<autoFilter ref=\"A1:B20000\"/>") != NULL);
        CHECK(strstr(sa, "&amp;C第 &amp;P 页") != NULL);
    }
    char *wb = member(&b, "xl/workbook.xml", NULL);
    CHECK(wb && strstr(wb, "<sheet name=\"O'Brien &amp; 台账\"") != NULL);
    CHECK(wb && strstr(wb, "'O''Brien &amp; 台账'!$1:$1</definedName>") != NULL);
    char *core = member(&b, "docProps/core.xml", NULL);
    CHECK(core && strstr(core, "<dc:title>统计 &lt;一&gt;</dc:title>") != NULL);
    /* the same input, the same bytes */
    lexp__sbuf c = LEXP__SBUF_INIT;
    CHECK(book(&c, 1, 20000, &err) == 0);
    CHECK(b.len == c.len && memcmp(b.ptr, c.ptr, b.len) == 0);
    free(sa);
    free(sb);
    free(wb);
    free(core);
    lexp__sbuf_free(&a);
    lexp__sbuf_free(&b);
    lexp__sbuf_free(&c);
}

/* Every <v> of the sheet parsed back. */
static void numbers_read_back(void)
{
    static const double v[] = {0.1, 1.0 / 3, 1e20, -2.5, 123456789012345678.0, 2.5e-310,
                               1e15, -0.0, 45565, 0.30000000000000004};
    int n = (int)(sizeof v / sizeof *v);
    lexp_error err;
    lexp_error_clear(&err);
    lexp__xwprops p;
    memset(&p, 0, sizeof p);
    lexp__xw *w;
    CHECK(lexp__xw_new(&w, &p, &err) == 0);
    lexp__xws *s;
    CHECK(lexp__xw_sheet(w, "数", &s, &err) == 0);
    for (int i = 0; i < n; i++)
        CHECK(lexp__xws_number(s, (uint32_t)i, 0, v[i], 0, &err) == 0);
    CHECK(lexp__xws_end(s, &err) == 0);
    lexp__sbuf out = LEXP__SBUF_INIT;
    CHECK(lexp__xw_close(w, &out, NULL, &err) == 0);
    char *x = member(&out, "xl/worksheets/sheet1.xml", NULL);
    CHECK(x != NULL);
    const char *q = x;
    for (int i = 0; x && i < n; i++) {
        q = strstr(q, "<v>");
        CHECK(q != NULL);
        if (!q)
            break;
        q += 3;
        double got = strtod(q, NULL);
        CHECK(got == v[i] || (v[i] == 0 && got == 0));
    }
    free(x);
    lexp__sbuf_free(&out);
}

static void cells_and_misuse(void)
{
    lexp_error err;
    lexp_error_clear(&err);
    lexp__xwprops p;
    memset(&p, 0, sizeof p);
    lexp__xw *w;
    CHECK(lexp__xw_new(&w, &p, &err) == 0);
    lexp__xws *s;
    CHECK(lexp__xw_sheet(w, "表", &s, &err) == 0);
    /* columns out of order, a cell written twice */
    CHECK(lexp__xws_string(s, 2, 3, "D", 0, &err) == 0);
    CHECK(lexp__xws_string(s, 2, 0, "first", 0, &err) == 0);
    CHECK(lexp__xws_string(s, 2, 1, " lead", 0, &err) == 0);
    CHECK(lexp__xws_string(s, 2, 0, "second", 0, &err) == 0);
    CHECK(lexp__xws_row_height(s, 4, 30, &err) == 0);
    /* a row before the current one */
    CHECK(lexp__xws_string(s, 3, 0, "late", 0, &err) == LEXP_EBACKEND);
    CHECK(strstr(err.message, "row") != NULL);
    lexp_error_clear(&err);
    CHECK(lexp__xws_blank(s, 4, 16384, 0, &err) == LEXP_EBACKEND);
    lexp_error_clear(&err);
    /* a value no spreadsheet holds is never written as such */
    CHECK(lexp__xws_number(s, 6, 0, NAN, 0, &err) == 0);
    /* a second sheet while this one is open */
    lexp__xws *t;
    CHECK(lexp__xw_sheet(w, "二", &t, &err) == LEXP_EBACKEND);
    lexp_error_clear(&err);
    /* a chart over columns of 20 and the default width */
    lexp__xws_column(s, 0, 20);
    const char *labels[] = {"甲", "乙"};
    double values[] = {1, 2};
    static const uint32_t pal[] = {0x2F5597};
    lexp__xwchart ch = {0, "标题", "人次", 5, 6, 0, 1, labels, values, 8, pal, 1};
    CHECK(lexp__xws_chart(s, &ch, &err) == 0);
    CHECK(lexp__xws_end(s, &err) == 0);
    lexp__sbuf out = LEXP__SBUF_INIT;
    CHECK(lexp__xw_close(w, &out, NULL, &err) == 0);
    char *x = member(&out, "xl/worksheets/sheet1.xml", NULL);
    CHECK(x && strstr(x, "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>second</t></is></c>"
                         "<c r=\"B3\" t=\"inlineStr\"><is><t xml:space=\"preserve\"> lead</t>"
                         "</is></c><c r=\"D3\"") != NULL);
    CHECK(x && strstr(x, "<row r=\"5\" ht=\"30\" customHeight=\"1\"/>") != NULL);
    CHECK(x && strstr(x, "first") == NULL && strstr(x, "late") == NULL);
    CHECK(x && strstr(x, "<c r=\"A7\"><v>0</v></c>") != NULL);
    CHECK(x && strstr(x, "<drawing r:id=\"rId1\"/>") != NULL);
    /* 4 + 576 pixels across: column A is 145, the others 64 (the default)
     * → 51 px into H; 4 + 288 down from row 9: 14 rows of 20 and 12 px */
    char *d = member(&out, "xl/drawings/drawing1.xml", NULL);
    CHECK(d && strstr(d, "<xdr:to><xdr:col>7</xdr:col><xdr:colOff>485775</xdr:colOff>"
                         "<xdr:row>22</xdr:row><xdr:rowOff>114300</xdr:rowOff>") != NULL);
    char *c = member(&out, "xl/charts/chart1.xml", NULL);
    CHECK(c && strstr(c, "<c:f>'表'!$A$6:$A$7</c:f>") != NULL);
    CHECK(c && strstr(c, "<c:pt idx=\"1\"><c:v>乙</c:v></c:pt>") != NULL);
    char *ct = member(&out, "[Content_Types].xml", NULL);
    CHECK(ct && strstr(ct, "/xl/charts/chart1.xml") != NULL &&
          strstr(ct, "/xl/drawings/drawing1.xml") != NULL);
    free(x);
    free(d);
    free(c);
    free(ct);
    lexp__sbuf_free(&out);
}

/* Streaming with nowhere to put the scratch file: an error, nothing left. */
static void no_scratch_dir(void)
{
    lexp_error err;
    lexp_error_clear(&err);
    lexp__xwprops p;
    memset(&p, 0, sizeof p);
    p.stream = 1;
    p.tmpdir = "/nonexistent-lexp-dir";
    lexp__xw *w;
    CHECK(lexp__xw_new(&w, &p, &err) == 0);
    lexp__xws *s;
    CHECK(lexp__xw_sheet(w, "表", &s, &err) == 0);
    int rc = 0;
    for (uint32_t r = 0; r < 20000 && !rc; r++)
        rc = lexp__xws_string(s, r, 0, "一行相当长的文字，让工作表超过一个块", 0, &err);
    if (!rc)
        rc = lexp__xws_end(s, &err);
    CHECK(rc == LEXP_EIO);
    CHECK(strstr(err.message, "temporary") != NULL);
    lexp__xw_free(w);
}

int main(void)
{
    streamed_equals_memory();
    numbers_read_back();
    cells_and_misuse();
    no_scratch_dir();
    if (fails)
        fprintf(stderr, "%d checks failed\n", fails);
    return fails ? 1 : 0;
}
