/*
 * A million-row table through the public API (issue #15): the peers' case,
 * len(a) × len(b) rows × 5 columns from two nested loops over a tiny data
 * file, rendered to an XLSX (or DOCX, or PDF) file with lexp_render_to_file. Prints
 * the time and the process's max RSS; compare with exceljs's streaming
 * writer (node/xlsx_stream.js of the peer benchmark, ../shared/peers/) run
 * right after. Asserts nothing.
 *
 *   bench_stream [ROWS [xlsx|docx|pdf]]   (default 1000000 rows, rounded
 *                                          to thousands, to XLSX; a PDF
 *                                          takes at most 100,000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "libexport.h"

static const char TEMPLATE[] =
    "---\npreset: plain\ntitle: 活动台账\nshow_title: false\n---\n"
    "| 序号 | 日期 | 类别 | 活动名称 | 参与人次 |\n"
    "|-----:|------|------|----------|---------:|\n"
    "{% for x in a %}\n{% for y in b %}\n{% set i = x * nb + y + 1 %}\n"
    "| {{ i }} | 2024-09-{{ days[i % 30] }} | {{ cats[i % 5] }} | 活动{{ i }} | "
    "{{ (i * 7919) % 300 }} |\n"
    "{% endfor %}\n{% endfor %}\nTable: data\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long rows = argc > 1 ? atol(argv[1]) : 1000000;
    long na = rows / 1000 > 0 ? rows / 1000 : 1, nb = 1000;
    const char *fmt = argc > 2 && (strcmp(argv[2], "docx") == 0 || strcmp(argv[2], "pdf") == 0)
                          ? argv[2]
                          : "xlsx";
    char dir[] = "/tmp/bench-stream-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char tpath[64], opath[64];
    snprintf(tpath, sizeof tpath, "%s/stream.lxt", dir);
    snprintf(opath, sizeof opath, "%s/out.%s", dir, fmt);
    FILE *f = fopen(tpath, "w");
    if (!f)
        return 1;
    fputs(TEMPLATE, f);
    fclose(f);
    /* the data: a = [0 .. na-1], b = [0 .. 999], days, cats (about 10 KB) */
    size_t cap = (size_t)(na + nb) * 8 + 1024, len = 0;
    char *json = malloc(cap);
    if (!json)
        return 1;
    len += (size_t)sprintf(json + len, "{\"nb\": %ld, \"a\": [", nb);
    for (long i = 0; i < na; i++)
        len += (size_t)sprintf(json + len, "%s%ld", i ? "," : "", i);
    len += (size_t)sprintf(json + len, "], \"b\": [");
    for (long i = 0; i < nb; i++)
        len += (size_t)sprintf(json + len, "%s%ld", i ? "," : "", i);
    len += (size_t)sprintf(json + len, "], \"days\": [");
    for (int d = 1; d <= 30; d++)
        len += (size_t)sprintf(json + len, "%s\"%02d\"", d > 1 ? "," : "", d);
    len += (size_t)sprintf(json + len,
                           "], \"cats\": [\"宣传\", \"走访\", \"活动\", \"培训\", \"其他\"]}");

    lexp_error err;
    lexp_engine *eng = lexp_engine_new();
    lexp_template *t = NULL;
    lexp_data *d = NULL;
    int rc = lexp_template_load(&t, eng, tpath, &err);
    if (rc == 0)
        rc = lexp_data_load_json(&d, json, len, "stream.json", &err);
    double t0 = now();
    if (rc == 0) {
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.format = lexp_format_from_name(fmt);
        rc = lexp_render_to_file(opath, t, d, &o, &err);
    }
    double t1 = now();
    if (rc)
        fprintf(stderr, "bench_stream: %s\n", err.message);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    FILE *o = fopen(opath, "rb");
    long size = 0;
    if (o) {
        fseek(o, 0, SEEK_END);
        size = ftell(o);
        fclose(o);
    }
    printf("stream_rows: %ld rows\n", na * nb);
    printf("stream_%s_time: %.2f s\n", fmt, t1 - t0);
    printf("stream_%s_max_rss: %.1f MB\n", fmt, ru.ru_maxrss / 1024.0);
    printf("stream_%s_size: %.1f MB\n", fmt, size / 1048576.0);
    unlink(opath);
    unlink(tpath);
    rmdir(dir);
    lexp_data_free(d);
    lexp_template_free(t);
    lexp_engine_free(eng);
    free(json);
    return rc ? 1 : 0;
}
