/*
 * A million rows read from a file (issue #15): the table of bench_stream
 * (序号, 日期, 类别, 活动名称, 参与人次), but its rows come from an NDJSON
 * file and from a CSV file, read one by one through lexp_data_add_rows_file,
 * and go to an XLSX file with lexp_render_to_file. Prints the time and the
 * max RSS of each (every run in a child process, so one's peak does not
 * hide the other's). Asserts nothing.
 *
 *   bench_rows [ROWS]     (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libexport.h"

static const char TEMPLATE[] =
    "---\npreset: plain\ntitle: 活动台账\nshow_title: false\n---\n"
    "| 序号 | 日期 | 类别 | 活动名称 | 参与人次 |\n"
    "|-----:|------|------|----------|---------:|\n"
    "{% for r in rows %}\n"
    "| {{ r.i }} | {{ r.date }} | {{ r.cat }} | {{ r.title }} | {{ r.n }} |\n"
    "{% endfor %}\nTable: data\n";

static const char *CATS[5] = {"宣传", "走访", "活动", "培训", "其他"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_rows(const char *path, long rows, int csv)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    if (csv)
        fputs("i,date,cat,title,n\n", f);
    for (long i = 1; i <= rows; i++) {
        if (csv)
            fprintf(f, "%ld,2024-09-%02ld,%s,活动%ld,%ld\n", i, i % 30 + 1, CATS[i % 5], i,
                    (i * 7919) % 300);
        else
            fprintf(f,
                    "{\"i\": %ld, \"date\": \"2024-09-%02ld\", \"cat\": \"%s\", "
                    "\"title\": \"活动%ld\", \"n\": %ld}\n",
                    i, i % 30 + 1, CATS[i % 5], i, (i * 7919) % 300);
    }
    return fclose(f);
}

/* Render in a child; its time and max RSS come back through a pipe. */
static int run(const char *label, const char *tpath, const char *rpath, const char *opath)
{
    int fd[2];
    if (pipe(fd))
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        lexp_error err;
        lexp_template *t = NULL;
        lexp_data *d = NULL;
        int rc = lexp_template_load(&t, NULL, tpath, &err);
        if (rc == 0)
            rc = lexp_data_load_json(&d, "{}", 2, "bench.json", &err);
        if (rc == 0)
            rc = lexp_data_add_rows_file(d, "rows", rpath, &err);
        double t0 = now();
        if (rc == 0) {
            lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
            o.format = LEXP_FORMAT_XLSX;
            rc = lexp_render_to_file(opath, t, d, &o, &err);
        }
        double t1 = now();
        if (rc)
            fprintf(stderr, "bench_rows: %s\n", err.message);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double out[2] = {t1 - t0, ru.ru_maxrss / 1024.0};
        if (write(fd[1], out, sizeof out) != (ssize_t)sizeof out)
            rc = 1;
        lexp_data_free(d);
        lexp_template_free(t);
        _exit(rc ? 1 : 0);
    }
    close(fd[1]);
    double out[2] = {0, 0};
    ssize_t got = read(fd[0], out, sizeof out);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof out || !WIFEXITED(status) || WEXITSTATUS(status))
        return 1;
    FILE *o = fopen(opath, "rb");
    long size = 0;
    if (o) {
        fseek(o, 0, SEEK_END);
        size = ftell(o);
        fclose(o);
    }
    printf("rows_%s_time: %.2f s\n", label, out[0]);
    printf("rows_%s_max_rss: %.1f MB\n", label, out[1]);
    printf("rows_%s_xlsx_size: %.1f MB\n", label, size / 1048576.0);
    return 0;
}

int main(int argc, char **argv)
{
    long rows = argc > 1 ? atol(argv[1]) : 1000000;
    char dir[] = "/tmp/bench-rows-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char tpath[64], npath[64], cpath[64], opath[64];
    snprintf(tpath, sizeof tpath, "%s/rows.lxt", dir);
    snprintf(npath, sizeof npath, "%s/rows.ndjson", dir);
    snprintf(cpath, sizeof cpath, "%s/rows.csv", dir);
    snprintf(opath, sizeof opath, "%s/out.xlsx", dir);
    FILE *f = fopen(tpath, "w");
    if (!f)
        return 1;
    fputs(TEMPLATE, f);
    fclose(f);
    int rc = write_rows(npath, rows, 0) || write_rows(cpath, rows, 1);
    FILE *s = fopen(npath, "rb");
    if (s) {
        fseek(s, 0, SEEK_END);
        printf("rows: %ld rows x 5 columns (NDJSON %.1f MB)\n", rows, ftell(s) / 1048576.0);
        fclose(s);
    }
    if (rc == 0)
        rc = run("ndjson", tpath, npath, opath);
    if (rc == 0)
        rc = run("csv", tpath, cpath, opath);
    unlink(opath);
    unlink(npath);
    unlink(cpath);
    unlink(tpath);
    rmdir(dir);
    return rc;
}
