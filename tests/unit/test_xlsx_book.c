/*
 * The XLSX workbook writer (render/xlsx_book.h) driven directly, as a
 * producer streaming rows does: number recognition, sheet names, number
 * formats, spans merged in constant-memory mode, totals, charts linked to
 * the table, and misuse reported as errors. The files are read back with
 * libzip and checked in their XML.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "render/xlsx_book.h"

#include "check.h"

static void text_numbers(void)
{
    static const struct {
        const char *s;
        int ok;
        lexp_cellkind kind;
        double num;
        int decimals, thousands;
    } cases[] = {
        {"120", 1, LEXP_CELL_NUMBER, 120, 0, 0},
        {"-3.50", 1, LEXP_CELL_NUMBER, -3.5, 2, 0},
        {"12,130", 1, LEXP_CELL_NUMBER, 12130, 0, 1},
        {"1,234,567.5", 1, LEXP_CELL_NUMBER, 1234567.5, 1, 1},
        {"35.0%", 1, LEXP_CELL_PERCENT, 0.35, 1, 0},
        {"0", 1, LEXP_CELL_NUMBER, 0, 0, 0},
        {"0.5", 1, LEXP_CELL_NUMBER, 0.5, 1, 0},
        {"1234567890", 1, LEXP_CELL_NUMBER, 1234567890, 0, 0},
        {"007", 0, 0, 0, 0, 0},
        {"+5", 0, 0, 0, 0, 0},
        {"1e5", 0, 0, 0, 0, 0},
        {"-0", 0, 0, 0, 0, 0},
        {"-0.00", 0, 0, 0, 0, 0},
        {"1,23", 0, 0, 0, 0, 0},
        {"12,1300", 0, 0, 0, 0, 0},
        {",123", 0, 0, 0, 0, 0},
        {"1.", 0, 0, 0, 0, 0},
        {".5", 0, 0, 0, 0, 0},
        {"5 ", 0, 0, 0, 0, 0},
        {"", 0, 0, 0, 0, 0},
        {"13800138000", 0, 0, 0, 0, 0},
        {"1234567890123456", 0, 0, 0, 0, 0},
        {"9月2日", 0, 0, 0, 0, 0},
        {"合计", 0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lexp__xcell c;
        memset(&c, 0, sizeof c);
        int ok = lexp__xlsx_text_number(cases[i].s, &c);
        if (ok != cases[i].ok)
            fprintf(stderr, "text_number(\"%s\") = %d\n", cases[i].s, ok);
        CHECK(ok == cases[i].ok);
        if (ok && cases[i].ok) {
            CHECK(c.kind == cases[i].kind);
            CHECK(c.num == cases[i].num);
            CHECK(c.decimals == cases[i].decimals);
            CHECK(c.thousands == cases[i].thousands);
        }
    }
}

static void sheet_names(void)
{
    static const char *const cases[][2] = {
        {"活动台账", "活动台账"},
        {"a[b]c:d*e?f/g\\h", "a_b_c_d_e_f_g_h"},
        {"'quoted'", "quoted"},
        {"  　空白　 ", "空白"},
        {"tab\there", "tab_here"},
        {"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三", /* 33 */
         "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一"},
        {"", ""},
        {"''", ""},
        {"\xff\xfe", "__"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        lexp__xlsx_sheet_name(out, cases[i][0]);
        if (strcmp(out, cases[i][1]) != 0)
            fprintf(stderr, "sheet_name(\"%s\") = \"%s\"\n", cases[i][0], out);
        CHECK(strcmp(out, cases[i][1]) == 0);
    }
}

static void numfmts(void)
{
    static const struct {
        lexp_cellkind kind;
        int decimals, thousands;
        const char *datefmt, *want;
    } cases[] = {
        {LEXP_CELL_NUMBER, 0, 0, NULL, "0"},
        {LEXP_CELL_NUMBER, 2, 1, NULL, "#,##0.00"},
        {LEXP_CELL_NUMBER, 6, 0, NULL, ""}, /* computed, printed in full: General */
        {LEXP_CELL_PERCENT, 1, 0, NULL, "0.0%"},
        {LEXP_CELL_PERCENT, 0, 0, NULL, "0%"},
        {LEXP_CELL_MONEY, 2, 0, NULL, "#,##0.00"},
        {LEXP_CELL_DATE, 0, 0, NULL, "yyyy\"年\"m\"月\"d\"日\""},
        {LEXP_CELL_DATE, 0, 0, "M月D日", "m\"月\"d\"日\""},
        {LEXP_CELL_DATE, 0, 0, "YYYY-MM-DD", "yyyy\"-\"mm\"-\"dd"},
        {LEXP_CELL_DATE, 0, 0, "cn", "[DBNum1][$-804]yyyy\"年\"m\"月\"d\"日\""},
        {LEXP_CELL_DATE, 0, 0, "cn_month", "[DBNum1][$-804]yyyy\"年\"m\"月\""},
        {LEXP_CELL_DATE, 0, 0, "M月D日（周W）", "[$-804]m\"月\"d\"日（周\"aaa\"）\""},
        {LEXP_CELL_DATE, 0, 0, "YY\"x\\", "yy\\\"\"x\"\\\\"},
        {LEXP_CELL_TEXT, 0, 0, NULL, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lexp__sbuf b = LEXP__SBUF_INIT;
        lexp__xlsx_numfmt(&b, cases[i].kind, cases[i].decimals, cases[i].thousands,
                          cases[i].datefmt);
        const char *got = lexp__sbuf_cstr(&b);
        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "numfmt %zu = %s (want %s)\n", i, got, cases[i].want);
        CHECK(strcmp(got, cases[i].want) == 0);
        lexp__sbuf_free(&b);
    }
}

/* The text of a member of the zip, or NULL. */
static char *member(const char *path, const char *name)
{
    int e;
    zip_t *z = zip_open(path, ZIP_RDONLY, &e);
    if (!z)
        return NULL;
    zip_stat_t st;
    char *buf = NULL;
    if (zip_stat(z, name, 0, &st) == 0) {
        zip_file_t *f = zip_fopen(z, name, 0);
        buf = f ? malloc(st.size + 1) : NULL;
        if (buf && zip_fread(f, buf, st.size) == (zip_int64_t)st.size)
            buf[st.size] = 0;
        else if (buf) {
            free(buf);
            buf = NULL;
        }
        if (f)
            zip_fclose(f);
    }
    zip_close(z);
    return buf;
}

static void cell(lexp__xcell *c, const char *text)
{
    memset(c, 0, sizeof *c);
    c->text = text;
}

/* A by-category table with rows merged down, streamed in constant-memory
 * mode, with a chart of one of its columns. */
static void streamed(const char *path)
{
    lexp_error err;
    lexp_error_clear(&err);
    lexp__xprops p;
    memset(&p, 0, sizeof p);
    p.title = "测试";
    p.date = "2024-09-30";
    p.constant_memory = 1;
    p.path = path;
    lexp__xbook *b;
    CHECK(lexp__xbook_open(&b, &p, &err) == 0);
    if (!b)
        return;
    lexp__xcell h[3];
    cell(&h[0], "片区");
    cell(&h[1], "类别");
    cell(&h[2], "人次");
    lexp__xrow hr = {h, 0};
    lexp__xtable spec = {"统计:一", "分类统计", 3, 1, &hr, 1};
    lexp__xsheet *s;
    CHECK(lexp__xsheet_table(&s, b, &spec, &err) == 0);
    static const char *const cats[] = {"宣传", "培训", "帮扶", "志愿服务"};
    double sum = 0;
    for (int r = 0; r < 4; r++) {
        lexp__xcell c[3];
        cell(&c[0], r % 2 == 0 ? (r == 0 ? "东片" : "西片") : "");
        if (r % 2 == 0)
            c[0].rowspan = 2;
        else
            c[0].covered = 1;
        cell(&c[1], cats[r]);
        cell(&c[2], NULL); /* typed, no text */
        c[2].kind = LEXP_CELL_NUMBER;
        c[2].num = 10 * (r + 1);
        sum += c[2].num;
        lexp__xrow row = {c, 0};
        CHECK(lexp__xsheet_row(s, &row, &err) == 0);
    }
    lexp__xcell t[3];
    cell(&t[0], "合计");
    t[0].colspan = 2;
    cell(&t[1], "");
    t[1].covered = 1;
    cell(&t[2], "100");
    lexp__xrow tr = {t, 1};
    CHECK(lexp__xsheet_row(s, &tr, &err) == 0);
    CHECK(sum == 100);
    const char *labels[] = {"宣传", "培训", "帮扶", "志愿服务"};
    double values[] = {10, 20, 30, 40};
    lexp__xchart ch = {LEXP_CHART_BAR, "各类人次", "人次", 4, labels, values};
    CHECK(lexp__xsheet_chart(s, &ch, &err) == 0);
    /* rows after a chart are refused */
    lexp__xrow late = {t, 0};
    CHECK(lexp__xsheet_row(s, &late, &err) == LEXP_EINVAL);
    CHECK(lexp__xsheet_end(s, &err) == LEXP_EINVAL); /* the failure sticks, sheet freed */
    lexp__xbook_discard(b);

    /* again, properly */
    lexp_error_clear(&err);
    CHECK(lexp__xbook_open(&b, &p, &err) == 0);
    CHECK(lexp__xsheet_table(&s, b, &spec, &err) == 0);
    for (int r = 0; r < 4; r++) {
        lexp__xcell c[3];
        cell(&c[0], r % 2 == 0 ? (r == 0 ? "东片" : "西片") : "");
        if (r % 2 == 0)
            c[0].rowspan = 2;
        else
            c[0].covered = 1;
        cell(&c[1], cats[r]);
        cell(&c[2], NULL);
        c[2].kind = LEXP_CELL_NUMBER;
        c[2].num = 10 * (r + 1);
        lexp__xrow row = {c, 0};
        CHECK(lexp__xsheet_row(s, &row, &err) == 0);
    }
    CHECK(lexp__xsheet_row(s, &tr, &err) == 0);
    CHECK(lexp__xsheet_chart(s, &ch, &err) == 0);
    /* a second sheet cannot start while one is open */
    lexp__xsheet *other = NULL;
    CHECK(lexp__xsheet_table(&other, b, &spec, &err) == LEXP_EINVAL);
    lexp_error_clear(&err);
    CHECK(lexp__xsheet_end(s, &err) == 0);
    /* same wanted name: made unique; a span two rows down and two columns
     * across, merged in constant-memory mode */
    CHECK(lexp__xsheet_table(&s, b, &spec, &err) == 0);
    {
        lexp__xcell c[3];
        cell(&c[0], "二维");
        c[0].colspan = 2;
        c[0].rowspan = 2;
        cell(&c[1], "");
        c[1].covered = 1;
        cell(&c[2], "1");
        lexp__xrow row = {c, 0};
        CHECK(lexp__xsheet_row(s, &row, &err) == 0);
        cell(&c[0], "");
        c[0].covered = 1;
        cell(&c[1], "");
        c[1].covered = 1;
        cell(&c[2], "2");
        CHECK(lexp__xsheet_row(s, &row, &err) == 0);
    }
    CHECK(lexp__xsheet_end(s, &err) == 0);
    lexp__xtable none = {"空", NULL, 0, 0, NULL, 0};
    CHECK(lexp__xsheet_table(&s, b, &none, &err) == LEXP_ELIMIT);
    lexp_error_clear(&err);
    none.ncols = LEXP__XLSX_MAX_COLS + 1;
    CHECK(lexp__xsheet_table(&s, b, &none, &err) == LEXP_ELIMIT);
    lexp_error_clear(&err);
    CHECK(lexp__xbook_close(b, NULL, &err) == 0);

    char *sheet2 = member(path, "xl/worksheets/sheet2.xml");
    CHECK(sheet2 && strstr(sheet2, "<mergeCell ref=\"A3:B4\"/>") != NULL);
    CHECK(sheet2 && strstr(sheet2, "<t>二维</t>") != NULL);
    free(sheet2);
    char *sheet = member(path, "xl/worksheets/sheet1.xml");
    char *wbk = member(path, "xl/workbook.xml");
    char *chart = member(path, "xl/charts/chart1.xml");
    char *core = member(path, "docProps/core.xml");
    CHECK(sheet && wbk && chart && core);
    if (sheet && wbk && chart && core) {
        CHECK(strstr(sheet, "<mergeCell ref=\"A3:A4\"/>") != NULL);
        CHECK(strstr(sheet, "<mergeCell ref=\"A5:A6\"/>") != NULL);
        CHECK(strstr(sheet, "<mergeCell ref=\"A7:B7\"/>") != NULL);
        CHECK(strstr(sheet, "<mergeCell ref=\"A1:C1\"/>") != NULL);
        /* the anchors kept their text although the merges came later */
        CHECK(strstr(sheet, "<t>东片</t>") != NULL && strstr(sheet, "<t>西片</t>") != NULL);
        CHECK(strstr(sheet, "<f>SUM(C3:C6)</f><v>100</v>") != NULL);
        CHECK(strstr(sheet, "<autoFilter ref=\"A2:C6\"/>") != NULL);
        CHECK(strstr(sheet, "state=\"frozen\"") != NULL);
        CHECK(strstr(sheet, "&amp;C第 &amp;P 页 共 &amp;N 页") != NULL);
        CHECK(strstr(sheet, "paperSize=\"9\"") != NULL);
        CHECK(strstr(wbk, "name=\"统计_一\"") != NULL);
        CHECK(strstr(wbk, "name=\"统计_一(2)\"") != NULL);
        CHECK(strstr(chart, "<c:f>'统计_一'!$B$3:$B$6</c:f>") != NULL);
        CHECK(strstr(chart, "<c:f>'统计_一'!$C$3:$C$6</c:f>") != NULL);
        CHECK(strstr(chart, "<c:barDir val=\"col\"/>") != NULL);
        CHECK(strstr(core, "2024-09-30T00:00:00Z") != NULL);
    }
    free(sheet);
    free(wbk);
    free(chart);
    free(core);
}

int main(void)
{
    text_numbers();
    sheet_names();
    numfmts();
    char path[512];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/test-xlsx-book-%ld.xlsx", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    streamed(path);
    if (!getenv("KEEP")) unlink(path);
    if (fails)
        fprintf(stderr, "%d checks failed\n", fails);
    return fails ? 1 : 0;
}
