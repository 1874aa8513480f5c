/*
 * Office-template benchmark (lexp_fill_memory). Prints figures; asserts
 * nothing about time. Templates and data are made here (office_min.h).
 *
 *   fill_docx_form_warm_ms    a one-page form: 20 tags (some split over
 *                             runs) and a table whose row loop makes 50 rows;
 *                             median per fill over 200 in one process
 *   fill_docx_form_bytes      its size
 *   fill_docx_table500_ms     the same form with 500 table rows, median of 20
 *   fill_xlsx_1000_ms         a sheet with a title, a 1,000-row block (five
 *                             cells, a formula per row) and a SUM below it;
 *                             median of 20
 *   fill_xlsx_1000_bytes      its size
 *   fill_untouched_ms         a 20-part package without tags (a copy)
 *   fill_docx_styled_*        the form with 30 rows in a package shaped like
 *                             Word's (styles.xml 350 KB and stylesWithEffects
 *                             430 KB inflated, a theme): _ms lexp_fill_memory
 *                             without an engine, _engine_ms with one (the
 *                             prepared template cached), _prepared_ms
 *                             lexp_office_template_fill, _load_ms preparing
 *                             it; medians of 100
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../unit/office_min.h"
#include "libexport.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void fail(const char *what, const lexp_error *e)
{
    fprintf(stderr, "bench_fill: %s: %s\n", what, e ? e->message : "failed");
    exit(1);
}

/* Data: a community and n activities. */
static lexp_data *data_with(int n)
{
    size_t cap = 512 + (size_t)n * 200;
    char *s = malloc(cap);
    size_t k = (size_t)snprintf(s, cap,
                                "{\"community\": {\"name\": \"秦渠社区\", \"street\": \"胜利镇\", "
                                "\"district\": \"利通区\", \"population\": 12130, \"households\": "
                                "3986, \"volunteers\": 300, \"grids\": 7},"
                                " \"briefing\": {\"issuer\": \"秦渠社区居委会\"}, \"activities\": [");
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(s + k, cap - k,
                              "%s{\"date\": \"2024-09-%02d\", \"category\": \"类别%d\", "
                              "\"title\": \"第%d项活动\", \"location\": \"社区广场\", "
                              "\"participants\": %d}",
                              i ? ", " : "", i % 28 + 1, i % 7, i + 1, 10 + i % 90);
    snprintf(s + k, cap - k, "]}");
    lexp_data *d = NULL;
    lexp_error e;
    if (lexp_data_load_json(&d, s, strlen(s), "bench.json", &e))
        fail("data", &e);
    free(s);
    return d;
}

#define P(t) "<w:p><w:r><w:t xml:space=\"preserve\">" t "</w:t></w:r></w:p>"
#define CELL(t) "<w:tc><w:tcPr><w:tcW w:w=\"2000\" w:type=\"dxa\"/></w:tcPr>" P(t) "</w:tc>"

static const char FORM[] =
    P("{{ community.name }}工作情况表")
    "<w:p><w:r><w:t>社区：{</w:t></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:b/>"
    "</w:rPr><w:t>{ community.na</w:t></w:r><w:r><w:t>me }}（{{ community.street }}）</w:t></w:r>"
    "</w:p>"
    P("所属：{{ community.district }}，人口{{ community.population }}人，"
      "户数{{ community.households }}户")
    P("志愿者{{ community.volunteers }}人，网格{{ community.grids }}个，"
      "人口{{ community.population | cn }}")
    P("报送：{{ briefing.issuer }}，{{ month }}，第{{ issue }}期")
    P("活动{{ activities | count }}场，参与{{ activities | sum(\"participants\") }}人次")
    P("{% for a in activities | limit(3) %}{{ a.title }}{% if not loop.last %}、{% endif %}"
      "{% endfor %}")
    "<w:tbl><w:tr>" CELL("序号") CELL("日期") CELL("活动") CELL("人次") "</w:tr>"
    "<w:tr>" CELL("{%tr for a in activities %}") CELL("") CELL("") CELL("") "</w:tr>"
    "<w:tr>" CELL("{{ loop.index }}") CELL("{{ a.date | date(\"M月D日\") }}")
    CELL("{{ a.title }}") CELL("{{ a.participants }}") "</w:tr>"
    "<w:tr>" CELL("{%tr endfor %}") CELL("") CELL("") CELL("") "</w:tr>"
    "<w:tr>" CELL("合计") CELL("") CELL("") CELL("{{ activities | sum(\"participants\") }}")
    "</w:tr></w:tbl>"
    P("填表人：{{ briefing.issuer }}　日期：{{ date }}");

static double time_fill(const unsigned char *tpl, size_t n, const char *name,
                        const lexp_data *d, int rounds, size_t *size)
{
    double *t = malloc((size_t)rounds * sizeof *t);
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.month = "2024-09";
    lexp_error e;
    for (int i = -3; i < rounds; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        double t0 = now_ms();
        if (lexp_fill_memory(&b, tpl, n, name, d, &o, &e))
            fail(name, &e);
        if (i >= 0)
            t[i] = now_ms() - t0;
        *size = b.size;
        lexp_buf_dispose(&b);
    }
    double m = median(t, rounds);
    free(t);
    return m;
}

/* A large part like Word's styles: n repetitive w:style elements. */
static char *styles(int n)
{
    size_t cap = (size_t)n * 400 + 256;
    char *s = malloc(cap);
    size_t k = (size_t)snprintf(s, cap, "<?xml version=\"1.0\" encoding=\"UTF-8\" "
                                        "standalone=\"yes\"?>\n<w:styles xmlns:w=\"" OM_W "\">");
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(s + k, cap - k,
                              "<w:style w:type=\"paragraph\" w:styleId=\"S%d\"><w:name "
                              "w:val=\"Style %d\"/><w:basedOn w:val=\"Normal\"/><w:uiPriority "
                              "w:val=\"%d\"/><w:pPr><w:spacing w:before=\"%d\" w:after=\"0\" "
                              "w:line=\"560\" w:lineRule=\"exact\"/></w:pPr><w:rPr><w:rFonts "
                              "w:ascii=\"Times New Roman\" w:eastAsia=\"仿宋_GB2312\"/><w:sz "
                              "w:val=\"32\"/></w:rPr></w:style>",
                              i, i, i % 99, (i * 7) % 240);
    snprintf(s + k, cap - k, "</w:styles>");
    return s;
}

static void styled(void)
{
    size_t dn = strlen(FORM) + 512;
    char *doc = malloc(dn);
    snprintf(doc, dn,
             "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
             "<w:document xmlns:w=\"" OM_W "\"><w:body>%s<w:sectPr/></w:body></w:document>",
             FORM);
    char *st = styles(900), *swe = styles(1100), *theme = styles(30);
    om_part parts[] = {
        {"[Content_Types].xml",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas."
         "openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" "
         "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default "
         "Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/"
         "document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument."
         "wordprocessingml.document.main+xml\"/></Types>"},
        {"_rels/.rels",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"" OM_PR "\">"
         "<Relationship Id=\"rId1\" Type=\"" OM_R "/officeDocument\" "
         "Target=\"word/document.xml\"/></Relationships>"},
        {"word/document.xml", doc},
        {"word/_rels/document.xml.rels",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"" OM_PR "\">"
         "<Relationship Id=\"rId1\" Type=\"" OM_R "/styles\" Target=\"styles.xml\"/>"
         "</Relationships>"},
        {"word/styles.xml", st},
        {"word/stylesWithEffects.xml", swe},
        {"word/theme/theme1.xml", theme}};
    size_t n, size;
    unsigned char *tpl = om_zip(parts, 7, &n);
    lexp_data *d = data_with(30);
    enum { R = 100 };
    double t[R];
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.month = "2024-09";
    lexp_error e;
    printf("fill_docx_styled_ms: %.3f\n", time_fill(tpl, n, "styled.docx", d, R, &size));
    lexp_engine *eng = lexp_engine_new();
    o.engine = eng;
    for (int i = -3; i < R; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        double t0 = now_ms();
        if (lexp_fill_memory(&b, tpl, n, "styled.docx", d, &o, &e))
            fail("styled engine", &e);
        if (i >= 0)
            t[i] = now_ms() - t0;
        lexp_buf_dispose(&b);
    }
    printf("fill_docx_styled_engine_ms: %.3f\n", median(t, R));
    lexp_engine_free(eng);
    o.engine = NULL;
    lexp_office_template *p = NULL;
    for (int i = 0; i < R; i++) {
        lexp_office_template_free(p);
        double t0 = now_ms();
        if (lexp_office_template_load_memory(&p, NULL, tpl, n, "styled.docx", &e))
            fail("styled load", &e);
        t[i] = now_ms() - t0;
    }
    double load = median(t, R);
    for (int i = -3; i < R; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        double t0 = now_ms();
        if (lexp_office_template_fill(&b, p, d, &o, &e))
            fail("styled prepared", &e);
        if (i >= 0)
            t[i] = now_ms() - t0;
        lexp_buf_dispose(&b);
    }
    printf("fill_docx_styled_prepared_ms: %.3f\n", median(t, R));
    printf("fill_docx_styled_load_ms: %.3f\n", load);
    printf("fill_docx_styled_bytes: %zu\n", size);
    printf("fill_docx_styled_template_bytes: %zu\n", n);
    lexp_office_template_free(p);
    lexp_data_free(d);
    free(tpl);
    free(doc);
    free(st);
    free(swe);
    free(theme);
}

static void docx(void)
{
    size_t n, size;
    unsigned char *tpl = om_docx(FORM, &n);
    lexp_data *d50 = data_with(50), *d500 = data_with(500);
    printf("fill_docx_form_warm_ms: %.3f\n", time_fill(tpl, n, "form.docx", d50, 200, &size));
    printf("fill_docx_form_bytes: %zu\n", size);
    printf("fill_docx_table500_ms: %.3f\n", time_fill(tpl, n, "form.docx", d500, 20, &size));
    lexp_data_free(d50);
    lexp_data_free(d500);
    free(tpl);
}

static void xlsx(void)
{
    static const char ROWS[] =
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>{{ community.name }}活动统计</t></is>"
        "</c></row>"
        "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>日期</t></is></c><c r=\"B2\" "
        "t=\"inlineStr\"><is><t>活动</t></is></c><c r=\"C2\" t=\"inlineStr\"><is><t>类别</t>"
        "</is></c><c r=\"D2\" t=\"inlineStr\"><is><t>人次</t></is></c><c r=\"E2\" "
        "t=\"inlineStr\"><is><t>折算</t></is></c></row>"
        "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>{%tr for a in activities %}</t></is>"
        "</c></row>"
        "<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>{{ a.date }}</t></is></c><c r=\"B4\" "
        "t=\"inlineStr\"><is><t>{{ a.title }}</t></is></c><c r=\"C4\" t=\"inlineStr\"><is><t>"
        "{{ a.category }}</t></is></c><c r=\"D4\" s=\"1\" t=\"inlineStr\"><is><t>"
        "{{ a.participants }}</t></is></c><c r=\"E4\"><f>D4*2</f></c></row>"
        "<row r=\"5\"><c r=\"A5\" t=\"inlineStr\"><is><t>{%tr endfor %}</t></is></c></row>"
        "<row r=\"6\"><c r=\"A6\" t=\"inlineStr\"><is><t>合计</t></is></c><c r=\"D6\"><f>"
        "SUM(D3:D5)</f></c><c r=\"E6\"><f>SUM(E4:E4)</f></c></row>";
    size_t n, size;
    unsigned char *tpl =
        om_xlsx(ROWS,
                "<mergeCells count=\"1\"><mergeCell ref=\"A1:E1\"/></mergeCells>"
                "<autoFilter ref=\"A2:E5\"/>",
                &n);
    lexp_data *d = data_with(1000);
    printf("fill_xlsx_1000_ms: %.3f\n", time_fill(tpl, n, "t.xlsx", d, 20, &size));
    printf("fill_xlsx_1000_bytes: %zu\n", size);
    lexp_data_free(d);
    free(tpl);
}

static void untouched(void)
{
    /* a package of 20 parts without a single tag: read, check, copy */
    om_part parts[20];
    char names[20][32];
    char *body = malloc(20000);
    memset(body, 'x', 19999);
    body[19999] = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], i ? "word/media/part%d.bin" : "word/document.xml", i);
        parts[i] = (om_part){names[i], body};
    }
    parts[0].data = "<?xml version=\"1.0\"?><w:document xmlns:w=\"" OM_W "\"><w:body>"
                    "<w:p><w:r><w:t>plain</w:t></w:r></w:p></w:body></w:document>";
    size_t n, size;
    unsigned char *tpl = om_zip(parts, 20, &n);
    lexp_data *d = data_with(1);
    printf("fill_untouched_ms: %.3f\n", time_fill(tpl, n, "u.docx", d, 50, &size));
    lexp_data_free(d);
    free(tpl);
    free(body);
}

int main(void)
{
    docx();
    xlsx();
    untouched();
    styled();
    return 0;
}
