/*
 * DOCX benchmark (issue 4). Prints figures; asserts nothing about time.
 *
 *   docx_brief_warm_ms      the 2024-09 briefing, whole pipeline (expand +
 *                           DOCX), median per document over 100 in one process
 *   docx_render_only_ms     the same document tree rendered to DOCX only
 *   docx_cli_ms             one `lexport brief -f docx` run (process start to
 *                           exit, median of 11), when LEXPORT is set
 *   docx_table5000_ms       a 5,000-row × 5-column table, tree to DOCX bytes
 *
 * Run from the source directory (the bench target does): it reads
 * samples/qinqu.json.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doc/doc.h"
#include "libexport.h"

extern char **environ;

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
    fprintf(stderr, "bench_docx: %s: %s\n", what, e ? e->message : "failed");
    exit(1);
}

#define N 100

static void brief(const lexp_data *data)
{
    lexp_engine *eng = lexp_engine_new();
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.format = LEXP_FORMAT_DOCX;
    o.engine = eng;
    lexp_error err;
    double t[N];
    size_t size = 0;
    for (int i = -5; i < N; i++) { /* 5 rounds of warm-up */
        lexp_buf b = LEXP_BUF_INIT;
        double t0 = now_ms();
        if (lexp_brief(&b, data, "2024-09", &o, &err))
            fail("brief", &err);
        if (i >= 0)
            t[i] = now_ms() - t0;
        size = b.size;
        lexp_buf_dispose(&b);
    }
    printf("docx_brief_warm_ms: %.3f\n", median(t, N));
    printf("docx_brief_bytes: %zu\n", size);

    /* the renderer alone, on the tree of the same briefing */
    lexp_template *tpl = NULL;
    lexp_doc *doc = NULL;
    o.month = "2024-09";
    if (lexp_template_load(&tpl, eng, "briefing", &err) || lexp_expand(&doc, tpl, data, &o, &err))
        fail("expand", &err);
    for (int i = -5; i < N; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        double t0 = now_ms();
        if (lexp_doc_render(&b, doc, &o, &err))
            fail("render", &err);
        if (i >= 0)
            t[i] = now_ms() - t0;
        lexp_buf_dispose(&b);
    }
    printf("docx_render_only_ms: %.3f\n", median(t, N));
    lexp_doc_free(doc);
    lexp_template_free(tpl);
    lexp_engine_free(eng);
}

static void cli(void)
{
    const char *exe = getenv("LEXPORT");
    if (!exe) {
        printf("docx_cli_ms: skipped (LEXPORT not set)\n");
        return;
    }
    char dir[] = "/tmp/bench_docx_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return;
    }
    char *argv[] = {(char *)exe, "brief", "samples/qinqu.json", "--month", "2024-09",
                    "-f", "docx", "-o", dir, NULL};
    /* the program prints the path it wrote: not part of the figures */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    double t[11];
    for (int i = -2; i < 11; i++) {
        pid_t pid;
        int st = 0;
        double t0 = now_ms();
        if (posix_spawn(&pid, exe, &fa, NULL, argv, environ) != 0 ||
            waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            printf("docx_cli_ms: failed (%s)\n", exe);
            posix_spawn_file_actions_destroy(&fa);
            return;
        }
        if (i >= 0)
            t[i] = now_ms() - t0;
    }
    posix_spawn_file_actions_destroy(&fa);
    printf("docx_cli_ms: %.2f\n", median(t, 11));
    char path[64];
    snprintf(path, sizeof path, "%s/briefing-2024-09.docx", dir);
    unlink(path);
    rmdir(dir);
}

static void big_table(void)
{
    struct lexp_doc *d = lexp__doc_new();
    if (!d)
        fail("table", NULL);
    d->preset = LEXP_PRESET_PLAIN;
    lexp_node *t = lexp__table_new(d, 5);
    t->u.table.header_rows = 1;
    lexp__node_append(d->root, t);
    static const char *const head[] = {"日期", "类别", "活动名称", "地点", "参与人次"};
    lexp_node *r = lexp__row_add(d, t);
    r->u.row.header = 1;
    for (int j = 0; j < 5; j++)
        lexp__cell_add(d, r, head[j]);
    char buf[64];
    for (int i = 0; i < 5000; i++) {
        r = lexp__row_add(d, t);
        snprintf(buf, sizeof buf, "%d月%d日", i % 12 + 1, i % 28 + 1);
        lexp__cell_add(d, r, buf);
        lexp__cell_add(d, r, i % 3 ? "宣传" : "志愿服务");
        snprintf(buf, sizeof buf, "民族团结进步宣传活动第%d场", i + 1);
        lexp__cell_add(d, r, buf);
        lexp__cell_add(d, r, "社区党群服务中心");
        snprintf(buf, sizeof buf, "%d", 50 + i % 500);
        lexp_node *c = lexp__cell_add(d, r, buf);
        if (!c)
            fail("table", NULL);
        c->u.cell.kind = LEXP_CELL_NUMBER;
        c->u.cell.num = 50 + i % 500;
    }
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.format = LEXP_FORMAT_DOCX;
    lexp_error err;
    double t5[5];
    size_t size = 0;
    for (int i = -1; i < 5; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        double t0 = now_ms();
        if (lexp_doc_render(&b, d, &o, &err))
            fail("table render", &err);
        if (i >= 0)
            t5[i] = now_ms() - t0;
        size = b.size;
        lexp_buf_dispose(&b);
    }
    printf("docx_table5000_ms: %.1f\n", median(t5, 5));
    printf("docx_table5000_bytes: %zu\n", size);
    lexp_doc_free(d);
}

int main(void)
{
    lexp_error err;
    lexp_data *data = NULL;
    if (lexp_data_load_file(&data, "samples/qinqu.json", &err))
        fail("samples/qinqu.json", &err);
    brief(data);
    lexp_data_free(data);
    cli();
    big_table();
    return 0;
}
