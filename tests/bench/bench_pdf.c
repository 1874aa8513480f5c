/*
 * PDF benchmark: prints figures, asserts nothing (run_all.py runs it from
 * the source directory; LEXPORT names the program for the CLI timing).
 *
 *   pdf_brief_cold_ms        first briefing in a new engine (fontconfig,
 *                            font files, subsets, deflate)
 *   pdf_brief_warm_ms        per document, 100 briefings in one engine
 *   pdf_brief_months_ms      per document, 100 briefings cycling through
 *                            12 months (a new glyph set most times)
 *   pdf_brief_varied_ms      median and 90th percentile per document of 100
 *                            briefings in one engine, each for a community
 *                            of another name: every one a new glyph set
 *   pdf_brief_noengine_ms    one briefing without an engine (fonts opened,
 *                            looked up and subset for that document)
 *   pdf_brief_bytes/pages    the 2024-09 briefing
 *   pdf_cli_brief_ms         median wall time of `lexport brief -f pdf`
 *   pdf_table50_ms/pages     a table report of about 50 pages (cold: in a
 *                            new engine)
 *   pdf_wholefont_ms/bytes   the same briefing text drawn by libharu with
 *                            HPDF_LoadTTFontFromFile embedding whole fonts
 *                            (what the renderer avoids), for reference
 *
 * `bench_pdf --callgrind` renders only: the first briefing in a new engine
 * (dump "cold"), 10 more of it ("warm"), 12 months once ("months_first":
 * new glyph sets and photos) and again ("months_again"), with a callgrind
 * dump after each phase; instruction counts are repeatable where wall time
 * is not:
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out build/tests/bench_pdf --callgrind
 *   grep totals cg.out.*
 */
#include <hpdf.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libexport.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_DUMP_STATS_AT
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#define CALLGRIND_ZERO_STATS ((void)0)
#endif

extern char **environ;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int pdf_pages(const lexp_buf *b)
{
    /* count page objects: "/Type /Page" not followed by "s" */
    int n = 0;
    const char *p = (const char *)b->ptr;
    for (size_t i = 0; i + 12 < b->size; i++)
        if (p[i] == '/' && memcmp(p + i, "/Type /Page", 11) == 0 && p[i + 11] != 's')
            n++;
    return n;
}

static int brief(lexp_engine *eng, lexp_data *data, const char *month, lexp_buf *out)
{
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    opt.format = LEXP_FORMAT_PDF;
    opt.engine = eng;
    lexp_error err;
    int rc = lexp_brief(out, data, month, &opt, &err);
    if (rc)
        fprintf(stderr, "bench_pdf: %s\n", err.message);
    return rc;
}

/* 100 briefings, each for a community renamed (two characters from a
 * list, so every document has a glyph set of its own): per-document
 * median and 90th percentile, after the first */
static void varied(void)
{
    FILE *f = fopen("samples/qinqu.json", "rb");
    if (!f)
        return;
    static char src[1 << 20];
    size_t n = fread(src, 1, sizeof src - 1, f);
    fclose(f);
    src[n] = 0;
    static const char *const ch[] = {"东", "南", "西", "北", "康", "宁", "兴", "和", "丰",
                                     "泰", "安", "平", "新", "华", "明", "光", "春", "秋",
                                     "河", "山", "林", "园", "桥", "湖"};
    enum { NC = sizeof ch / sizeof *ch, N = 100 };
    lexp_engine *eng = lexp_engine_new();
    double t[N];
    int m = 0;
    char *json = malloc(2 * sizeof src);
    for (int i = 0; json && i < N; i++) {
        /* every 秦渠 becomes the two characters of document i */
        char name[16];
        snprintf(name, sizeof name, "%s%s", ch[i % NC], ch[(i / NC + i) % NC]);
        size_t len = 0;
        for (const char *p = src; *p;) {
            if (strncmp(p, "秦渠", strlen("秦渠")) == 0) {
                len += (size_t)snprintf(json + len, 16, "%s", name);
                p += strlen("秦渠");
            } else {
                json[len++] = *p++;
            }
        }
        lexp_error err;
        lexp_data *d = NULL;
        lexp_buf b = LEXP_BUF_INIT;
        double a = now_ms();
        int rc = lexp_data_load_json(&d, json, len, "varied.json", &err);
        rc = rc ? rc : brief(eng, d, "2024-09", &b);
        double dt = now_ms() - a;
        lexp_buf_dispose(&b);
        lexp_data_free(d);
        if (rc)
            break;
        if (i > 0)
            t[m++] = dt;
    }
    free(json);
    lexp_engine_free(eng);
    if (m < 10)
        return;
    qsort(t, (size_t)m, sizeof *t, cmp_d);
    printf("pdf_brief_varied_ms: median %.2f p90 %.2f (per document, %d briefings in one "
           "engine, each a new glyph set)\n",
           t[m / 2], t[m * 9 / 10], m);
}

static void cli_timing(void)
{
    const char *exe = getenv("LEXPORT");
    if (!exe)
        return;
    char dir[] = "/tmp/lexp-bench-XXXXXX";
    if (!mkdtemp(dir))
        return;
    double t[11];
    int n = 0;
    for (int i = 0; i < 11; i++) {
        char *argv[] = {(char *)exe, "brief", "samples/qinqu.json", "--month", "2024-09",
                        "-f", "pdf", "-o", dir, NULL};
        pid_t pid;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
        double a = now_ms();
        if (posix_spawn(&pid, exe, &fa, NULL, argv, environ) != 0) {
            posix_spawn_file_actions_destroy(&fa);
            break;
        }
        int st;
        waitpid(pid, &st, 0);
        double b = now_ms();
        posix_spawn_file_actions_destroy(&fa);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && i > 0) /* first run warms the page cache */
            t[n++] = b - a;
    }
    if (n) {
        qsort(t, (size_t)n, sizeof *t, cmp_d);
        printf("pdf_cli_brief_ms: %.1f (median of %d runs of lexport brief -f pdf)\n", t[n / 2],
               n);
    }
    char path[256];
    snprintf(path, sizeof path, "%s/briefing-2024-09.pdf", dir);
    unlink(path);
    rmdir(dir);
}

/* A table report of about 50 pages: 700 rows of the activity ledger. */
static void table_report(void)
{
    size_t cap = 1 << 20, len = 0;
    char *json = malloc(cap);
    if (!json)
        return;
    len += (size_t)snprintf(json + len, cap - len,
                            "{\"community\":{\"name\":\"秦渠社区\"},\"rows\":[");
    for (int i = 0; i < 700; i++)
        len += (size_t)snprintf(json + len, cap - len,
                                "%s{\"date\":\"2024-%02d-%02d\",\"category\":\"%s\",\"title\":"
                                "\"民族团结进步宣传活动第%d场\",\"location\":\"%s\","
                                "\"participants\":%d}",
                                i ? "," : "", 1 + i % 12, 1 + i % 28,
                                i % 3 ? "宣传" : "走访慰问", i + 1,
                                i % 4 ? "社区广场" : "社区党群服务中心", 20 + i % 300);
    len += (size_t)snprintf(json + len, cap - len, "]}");
    const char *tpl =
        "---\npreset: gbt9704\ntitle: 活动台账\n---\n"
        "| 序号 | 日期 | 类别 | 活动名称 | 地点 | 参与人次 |\n"
        "|---:|------|------|----------|------|---------:|\n"
        "{% for a in rows %}\n"
        "| {{ loop.index }} | {{ a.date }} | {{ a.category }} | {{ a.title }} | "
        "{{ a.location }} | {{ a.participants }} |\n"
        "{% endfor %}\n"
        "| 合计 | < | < | < | < | {{ rows | sum(\"participants\") }} |\n";
    lexp_error err;
    lexp_data *data = NULL;
    lexp_template *t = NULL;
    if (lexp_data_load_json(&data, json, len, "rows.json", &err) ||
        lexp_template_parse(&t, tpl, strlen(tpl), "table.lxt", &err)) {
        fprintf(stderr, "bench_pdf: %s\n", err.message);
        free(json);
        lexp_data_free(data);
        return;
    }
    lexp_engine *eng = lexp_engine_new();
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    opt.format = LEXP_FORMAT_PDF;
    opt.engine = eng;
    double best = 1e9, cold = 0;
    int pages = 0;
    size_t bytes = 0;
    for (int i = 0; i < 6; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        double a = now_ms();
        int rc = lexp_render(&b, t, data, &opt, &err);
        double d = now_ms() - a;
        if (rc) {
            fprintf(stderr, "bench_pdf: %s\n", err.message);
            break;
        }
        if (i == 0)
            cold = d;
        else if (d < best)
            best = d;
        pages = pdf_pages(&b);
        bytes = b.size;
        lexp_buf_dispose(&b);
    }
    printf("pdf_table50_cold_ms: %.1f\n", cold);
    printf("pdf_table50_ms: %.1f (%d pages, %zu bytes, 700 rows, warm)\n", best, pages,
           bytes);
    lexp_engine_free(eng);
    lexp_template_free(t);
    lexp_data_free(data);
    free(json);
}

static void HPDF_STDCALL hpdf_err(HPDF_STATUS e, HPDF_STATUS d, void *u)
{
    (void)d;
    *(HPDF_STATUS *)u = e;
}

/* The briefing's text (txt renderer) drawn line by line by libharu with
 * whole fonts embedded: the approach the renderer does not take. */
static void whole_font_reference(lexp_data *data)
{
    static const char *const files[] = {"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
                                        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                                        "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"};
    for (int i = 0; i < 3; i++)
        if (access(files[i], R_OK) != 0)
            return;
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    opt.format = LEXP_FORMAT_TXT;
    lexp_error err;
    lexp_buf txt = LEXP_BUF_INIT;
    if (lexp_brief(&txt, data, "2024-09", &opt, &err))
        return;
    char *text = malloc(txt.size + 1);
    memcpy(text, txt.ptr, txt.size);
    text[txt.size] = 0;
    double t0 = now_ms();
    HPDF_STATUS st = 0;
    HPDF_Doc pdf = HPDF_New(hpdf_err, &st);
    HPDF_UseUTFEncodings(pdf);
    HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
    HPDF_Font f[3];
    for (int i = 0; i < 3; i++) {
        const char *name = i == 1 ? HPDF_LoadTTFontFromFile2(pdf, files[i], 0, HPDF_TRUE)
                                  : HPDF_LoadTTFontFromFile(pdf, files[i], HPDF_TRUE);
        f[i] = name ? HPDF_GetFont(pdf, name, "UTF-8") : NULL;
    }
    HPDF_Page page = NULL;
    int line = 0, k = 0;
    for (char *s = strtok(text, "\n"); s && f[0]; s = strtok(NULL, "\n"), k++) {
        if (line % 22 == 0) {
            page = HPDF_AddPage(pdf);
            HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
        }
        HPDF_Page_BeginText(page);
        HPDF_Page_SetFontAndSize(page, f[k % 3], 12);
        HPDF_Page_TextOut(page, 80, (HPDF_REAL)(760 - (line % 22) * 29), s);
        HPDF_Page_EndText(page);
        line++;
    }
    HPDF_SaveToStream(pdf);
    HPDF_UINT32 size = HPDF_GetStreamSize(pdf);
    double t1 = now_ms();
    HPDF_Free(pdf);
    if (!st)
        printf("pdf_wholefont_ms: %.1f (libharu, 3 whole fonts embedded, same text)\n"
               "pdf_wholefont_bytes: %u\n",
               t1 - t0, (unsigned)size);
    free(text);
    lexp_buf_dispose(&txt);
}

static const char *const months[] = {"2024-01", "2024-02", "2024-03", "2024-04",
                                     "2024-05", "2024-06", "2024-07", "2024-08",
                                     "2024-09", "2024-10", "2024-11", "2024-12"};

/* The phases of --callgrind (see the top of the file). */
static int callgrind_phases(lexp_data *data)
{
    lexp_buf b = LEXP_BUF_INIT;
    CALLGRIND_ZERO_STATS;
    lexp_engine *eng = lexp_engine_new();
    int rc = brief(eng, data, "2024-09", &b);
    lexp_buf_dispose(&b);
    CALLGRIND_DUMP_STATS_AT("cold");
    for (int i = 0; i < 10 && !rc; i++) {
        rc = brief(eng, data, "2024-09", &b);
        lexp_buf_dispose(&b);
    }
    CALLGRIND_DUMP_STATS_AT("warm");
    for (int pass = 0; pass < 2 && !rc; pass++) {
        for (int i = 0; i < 12 && !rc; i++) {
            rc = brief(eng, data, months[i], &b);
            lexp_buf_dispose(&b);
        }
        CALLGRIND_DUMP_STATS_AT(pass ? "months_again" : "months_first");
    }
    lexp_engine_free(eng);
    lexp_data_free(data);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    lexp_error err;
    lexp_data *data = NULL;
    if (lexp_data_load_file(&data, "samples/qinqu.json", &err)) {
        fprintf(stderr, "bench_pdf: run from the source directory: %s\n", err.message);
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "--callgrind") == 0)
        return callgrind_phases(data);
    lexp_engine *eng = lexp_engine_new();
    lexp_buf b = LEXP_BUF_INIT;
    double a = now_ms();
    if (brief(eng, data, "2024-09", &b))
        return 1;
    double cold = now_ms() - a;
    printf("pdf_brief_cold_ms: %.1f (first document in a new engine)\n", cold);
    printf("pdf_brief_bytes: %zu\npdf_brief_pages: %d\n", b.size, pdf_pages(&b));
    lexp_buf_dispose(&b);

    a = now_ms();
    for (int i = 0; i < 100; i++) {
        if (brief(eng, data, "2024-09", &b))
            return 1;
        lexp_buf_dispose(&b);
    }
    printf("pdf_brief_warm_ms: %.2f (per document, 100 documents, one engine)\n",
           (now_ms() - a) / 100);

    lexp_engine *eng2 = lexp_engine_new();
    a = now_ms();
    int done = 0;
    for (int i = 0; i < 100; i++) {
        if (brief(eng2, data, months[i % 12], &b) == 0)
            done++;
        lexp_buf_dispose(&b);
    }
    if (done)
        printf("pdf_brief_months_ms: %.2f (per document, 100 documents over 12 months)\n",
               (now_ms() - a) / done);
    lexp_engine_free(eng2);
    varied();

    a = now_ms();
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    opt.format = LEXP_FORMAT_PDF;
    if (lexp_brief(&b, data, "2024-09", &opt, &err) == 0)
        printf("pdf_brief_noengine_ms: %.1f (no engine: fonts opened per document)\n",
               now_ms() - a);
    lexp_buf_dispose(&b);

    table_report();
    whole_font_reference(data);
    cli_timing();
    lexp_engine_free(eng);
    lexp_data_free(data);
    return 0;
}
