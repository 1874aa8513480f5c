/*
 * Batch benchmark (figures to read, never asserted): N communities (200 by
 * default; `bench_batch N`) × 3 templates (briefing, summary, stats) × 3
 * formats (PDF, DOCX, XLSX) through lexp_batch.
 *
 *   batch_1thread_docs_per_s   one worker thread
 *   batch_all_docs_per_s       one worker per core (the default)
 *   batch_speedup              the ratio of the two
 *   batch_cores                cores the machine reports
 *   batch_rss_mb_25 / _100     resident memory after a quarter of the
 *                              communities and after all of them (all-core
 *                              run): flat when each input's memory is freed
 *
 * The communities are copies of samples/jianlin.json under other names,
 * written as JSON to a temporary folder (ledger reading is measured by the
 * ledger tests' own sizes; here it is rendering that counts).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libexport.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rss_mb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

typedef struct {
    size_t n;
    double rss25, rss100;
} watch;

static void on_progress(const lexp_batch_event *ev, void *payload)
{
    watch *w = payload;
    if (ev->error) {
        char buf[1024];
        lexp_error_format(buf, sizeof buf, ev->error, NULL);
        fprintf(stderr, "%s\n", buf);
    }
    if (ev->done == (w->n + 3) / 4)
        w->rss25 = rss_mb();
    if (ev->done == w->n)
        w->rss100 = rss_mb();
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 200;
    if (n < 1)
        n = 1;
    json_error_t je;
    json_t *base = json_load_file("samples/jianlin.json", 0, &je);
    if (!base) {
        fprintf(stderr, "bench_batch: run from the source tree (samples/jianlin.json)\n");
        return 1;
    }
    char dir[] = "/tmp/lexp-bench-batch-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char in[4200], out[4200];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", in);
    if (system(cmd) != 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        char name[64], path[4300];
        snprintf(name, sizeof name, "建林社区%03zu", i + 1);
        json_object_set_new(json_object_get(base, "community"), "name", json_string(name));
        snprintf(path, sizeof path, "%s/c%03zu.json", in, i + 1);
        if (json_dump_file(base, path, JSON_PRESERVE_ORDER) != 0)
            return 1;
    }
    json_decref(base);
    const char *tpls[] = {"briefing", "summary", "stats"};
    int fmts[] = {LEXP_FORMAT_PDF, LEXP_FORMAT_DOCX, LEXP_FORMAT_XLSX};
    const char *inputs[] = {in};
    double rate[2] = {0, 0};
    watch w = {n, 0, 0};
    for (int run = 0; run < 2; run++) {
        lexp_batch_options o = LEXP_BATCH_OPTIONS_INIT;
        o.month = "2021-09";
        o.templates = tpls;
        o.ntemplates = 3;
        o.formats = fmts;
        o.nformats = 3;
        o.outdir = out;
        o.threads = run == 0 ? 1 : 0;
        o.progress = on_progress;
        o.payload = &w;
        lexp_batch_result res;
        lexp_error err;
        double t0 = now_s();
        int rc = lexp_batch(&res, inputs, 1, &o, &err);
        double t = now_s() - t0;
        if (rc) {
            char buf[1024];
            lexp_error_format(buf, sizeof buf, &err, NULL);
            fprintf(stderr, "bench_batch: %s\n", buf);
            return 1;
        }
        rate[run] = (double)res.documents / t;
        printf("batch_%s_docs_per_s: %.1f docs/s (%zu documents, %.1f s)\n",
               run == 0 ? "1thread" : "all", rate[run], res.documents, t);
    }
    printf("batch_speedup: %.2f x\n", rate[0] > 0 ? rate[1] / rate[0] : 0.0);
    printf("batch_cores: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    printf("batch_rss_mb_25: %.1f MB\n", w.rss25);
    printf("batch_rss_mb_100: %.1f MB\n", w.rss100);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
