/*
 * Baseline for bench_xlsx: a bare libxlsxwriter program in constant-memory
 * mode writing the cells of the 1,000,000-row benchmark — the same values
 * with the same formats (borders and number formats per column), nothing
 * else: no title, header, totals, widths or print setup.
 *
 * Prints xlsx_baseline_1M_rows_s and xlsx_baseline_1M_peak_rss_mb. With an
 * argument, writes there instead of a temporary file (kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "bench_xlsx_rows.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char path[512];
    const char *tmp = getenv("TMPDIR");
    if (argc > 1)
        snprintf(path, sizeof path, "%s", argv[1]);
    else
        snprintf(path, sizeof path, "%s/bench-xlsx-baseline-%ld.xlsx", tmp && *tmp ? tmp : "/tmp",
                 (long)getpid());
    double t0 = now_s();
    lxw_workbook_options o;
    memset(&o, 0, sizeof o);
    o.constant_memory = LXW_TRUE;
    lxw_workbook *wb = workbook_new_opt(path, &o);
    if (!wb) {
        fprintf(stderr, "bench_xlsx_baseline: cannot create %s\n", path);
        return 1;
    }
    lxw_worksheet *ws = workbook_add_worksheet(wb, "台账");
    /* One object per distinct format: libxlsxwriter hashes a format on every
     * cell when an equal one was registered before it. */
    lxw_format *fmt[BENCH_COLS];
    static const char *const numfmt[BENCH_COLS] = {"m\"月\"d\"日\"", NULL, NULL, NULL, "0",
                                                   "0.0%"};
    for (int c = 0; c < BENCH_COLS; c++) {
        if (c == 2 || c == 3) { /* text, as column 1 */
            fmt[c] = fmt[1];
            continue;
        }
        fmt[c] = workbook_add_format(wb);
        format_set_border(fmt[c], LXW_BORDER_THIN);
        format_set_align(fmt[c], LXW_ALIGN_VERTICAL_CENTER);
        if (numfmt[c])
            format_set_num_format(fmt[c], numfmt[c]);
        else
            format_set_text_wrap(fmt[c]);
    }
    char title[64];
    for (uint32_t r = 0; r < BENCH_ROWS; r++) {
        bench_row v;
        bench_make_row(&v, r, title, sizeof title);
        worksheet_write_number(ws, r, 0, v.date, fmt[0]);
        worksheet_write_string(ws, r, 1, v.category, fmt[1]);
        worksheet_write_string(ws, r, 2, v.title, fmt[2]);
        worksheet_write_string(ws, r, 3, v.location, fmt[3]);
        worksheet_write_number(ws, r, 4, v.participants, fmt[4]);
        worksheet_write_number(ws, r, 5, v.rate, fmt[5]);
    }
    lxw_error e = workbook_close(wb);
    double t = now_s() - t0;
    if (e) {
        fprintf(stderr, "bench_xlsx_baseline: %s\n", lxw_strerror(e));
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("xlsx_baseline_1M_rows_s: %.2f\n", t);
    printf("xlsx_baseline_1M_peak_rss_mb: %.1f\n", (double)ru.ru_maxrss / 1024.0);
    fflush(stdout);
    if (argc <= 1)
        unlink(path);
    return 0;
}
