/*
 * XLSX benchmarks (figures to read, never asserted):
 *
 *   xlsx_brief_cold_ms       first briefing workbook of the process
 *   xlsx_brief_warm_ms       mean of the next 100 (lexp_brief, cached template)
 *   xlsx_render_warm_ms      mean of 100 renders of the already expanded tree
 *   xlsx_libxlsxwriter_ms    bare libxlsxwriter writing a workbook of the same
 *                            shape (two small sheets, a chart) to a file and
 *                            reading it back: what the renderer paid when it
 *                            wrote through libxlsxwriter (built only with
 *                            libxlsxwriter-dev installed)
 *   xlsx_1M_rows_s           1,000,000 rows × 6 columns streamed through the
 *                            workbook writer (xlsx_book.h) in streaming mode,
 *                            to a file; best of 2
 *   xlsx_1M_peak_rss_mb      peak RSS of that process
 *   xlsx_baseline_1M_rows_s  bench_xlsx_baseline writing the same cells with
 *                            bare libxlsxwriter; best of 2, interleaved
 *   xlsx_1M_vs_baseline      the ratio of the two times
 *
 * `bench_xlsx --1m [PATH]` runs only the 1M-row part (used for the child
 * processes, so that each peak RSS is its own).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef LEXP_BENCH_LIBXLSXWRITER
#include <xlsxwriter.h>
#endif

#include "libexport.h"
#include "render/xlsx_book.h"

#include "bench_xlsx_rows.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- 1,000,000 rows through the streaming writer --------------------------- */

static int run_1m(const char *dest)
{
    char path[512];
    const char *tmp = getenv("TMPDIR");
    if (dest)
        snprintf(path, sizeof path, "%s", dest);
    else
        snprintf(path, sizeof path, "%s/bench-xlsx-1m-%ld.xlsx", tmp && *tmp ? tmp : "/tmp",
                 (long)getpid());
    lexp_error err;
    lexp_error_clear(&err);
    double t0 = now_s();
    lexp__xprops props;
    memset(&props, 0, sizeof props);
    props.title = "活动台账";
    props.date = "2024-12-31";
    props.constant_memory = 1;
    props.path = path;
    lexp__xbook *b;
    if (lexp__xbook_open(&b, &props, &err)) {
        fprintf(stderr, "bench_xlsx: %s\n", err.message);
        return 1;
    }
    static const char *const heads[BENCH_COLS] = {"日期", "类别", "活动名称",
                                                  "地点", "参与人次", "满意率"};
    lexp__xcell hc[BENCH_COLS];
    memset(hc, 0, sizeof hc);
    for (int c = 0; c < BENCH_COLS; c++)
        hc[c].text = heads[c];
    lexp__xrow hr = {hc, 0};
    lexp__xtable spec;
    memset(&spec, 0, sizeof spec);
    spec.name = "台账";
    spec.title = "活动台账";
    spec.ncols = BENCH_COLS;
    spec.nheader = 1;
    spec.header = &hr;
    lexp__xsheet *s;
    int rc = lexp__xsheet_table(&s, b, &spec, &err);
    lexp__xcell cells[BENCH_COLS];
    memset(cells, 0, sizeof cells);
    cells[0].kind = LEXP_CELL_DATE;
    cells[0].datefmt = "M月D日";
    cells[4].kind = LEXP_CELL_NUMBER;
    cells[5].kind = LEXP_CELL_PERCENT;
    cells[5].decimals = 1;
    char title[64];
    double sum = 0;
    for (uint32_t r = 0; !rc && r < BENCH_ROWS; r++) {
        bench_row v;
        bench_make_row(&v, r, title, sizeof title);
        cells[0].num = v.date;
        cells[1].text = v.category;
        cells[2].text = v.title;
        cells[3].text = v.location;
        cells[4].num = v.participants;
        cells[5].num = v.rate;
        sum += v.participants;
        lexp__xrow row = {cells, 0};
        rc = lexp__xsheet_row(s, &row, &err);
    }
    if (!rc) {
        lexp__xcell tc[BENCH_COLS];
        memset(tc, 0, sizeof tc);
        tc[0].text = "合计";
        tc[0].colspan = 4;
        tc[1].covered = tc[2].covered = tc[3].covered = 1;
        tc[4].kind = LEXP_CELL_NUMBER;
        tc[4].num = sum;
        tc[5].text = "";
        lexp__xrow row = {tc, 1};
        rc = lexp__xsheet_row(s, &row, &err);
    }
    if (s) {
        int rc2 = lexp__xsheet_end(s, &err);
        rc = rc ? rc : rc2;
    }
    if (!rc)
        rc = lexp__xbook_close(b, NULL, &err);
    else
        lexp__xbook_discard(b);
    double t = now_s() - t0;
    if (rc) {
        fprintf(stderr, "bench_xlsx: %s\n", err.message);
        return 1;
    }
    struct stat st;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("xlsx_1M_rows_s: %.2f\n", t);
    printf("xlsx_1M_peak_rss_mb: %.1f\n", (double)ru.ru_maxrss / 1024.0);
    if (stat(path, &st) == 0)
        printf("xlsx_1M_file_mb: %.1f\n", (double)st.st_size / (1024.0 * 1024.0));
    fflush(stdout);
    if (!dest)
        unlink(path);
    return 0;
}

/* Run a program, echo its output, return the value of `key: value`. */
static double run_child(char *const argv[], const char *key)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    char buf[4096];
    size_t n = 0;
    ssize_t k;
    while ((k = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    close(fd[0]);
    buf[n] = 0;
    int status = 0;
    waitpid(pid, &status, 0);
    fputs(buf, stdout);
    const char *p = strstr(buf, key);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !p)
        return -1;
    return strtod(p + strlen(key) + 1, NULL);
}

/* ---- the briefing workbook ------------------------------------------------------ */

#ifdef LEXP_BENCH_LIBXLSXWRITER
/* Two sheets shaped like the briefing's (title, header, rows, SUM totals),
 * one column chart, written with libxlsxwriter alone and read back. */
static void floor_once(void)
{
    const char *td = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/bench-xlsx-floor-XXXXXX", td && *td ? td : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        exit(1);
    close(fd);
    lxw_workbook_options o;
    memset(&o, 0, sizeof o);
    o.tmpdir = (char *)(td && *td ? td : "/tmp");
    lxw_workbook *wb = workbook_new_opt(path, &o);
    lxw_doc_properties dp;
    memset(&dp, 0, sizeof dp);
    dp.title = "民族团结工作简报";
    dp.created = 1727654400;
    workbook_set_properties(wb, &dp);
    lxw_format *title = workbook_add_format(wb), *head = workbook_add_format(wb),
               *text = workbook_add_format(wb), *num = workbook_add_format(wb),
               *date = workbook_add_format(wb);
    format_set_bold(title);
    format_set_font_size(title, 14);
    format_set_bold(head);
    format_set_border(head, LXW_BORDER_THIN);
    format_set_border(text, LXW_BORDER_THIN);
    format_set_border(num, LXW_BORDER_THIN);
    format_set_num_format(num, "0");
    format_set_border(date, LXW_BORDER_THIN);
    format_set_num_format(date, "m\"月\"d\"日\"");
    static const char *const names[2] = {"活动台账", "分类统计"};
    static const int rows[2] = {8, 5}, cols[2] = {5, 4};
    for (int k = 0; k < 2; k++) {
        lxw_worksheet *ws = workbook_add_worksheet(wb, names[k]);
        worksheet_merge_range(ws, 0, 0, 0, (lxw_col_t)(cols[k] - 1), names[k], title);
        for (int c = 0; c < cols[k]; c++)
            worksheet_write_string(ws, 1, (lxw_col_t)c, "参与人次", head);
        for (int r = 0; r < rows[k]; r++) {
            worksheet_write_number(ws, (lxw_row_t)(2 + r), 0, 45537 + r, date);
            for (int c = 1; c < cols[k] - 1; c++)
                worksheet_write_string(ws, (lxw_row_t)(2 + r), (lxw_col_t)c, "民族团结知识宣讲",
                                       text);
            worksheet_write_number(ws, (lxw_row_t)(2 + r), (lxw_col_t)(cols[k] - 1), 100 + r, num);
        }
        worksheet_write_formula_num(ws, (lxw_row_t)(2 + rows[k]), (lxw_col_t)(cols[k] - 1),
                                    "=SUM(E3:E10)", num, 1000);
        worksheet_freeze_panes(ws, 2, 0);
        worksheet_autofilter(ws, 1, 0, (lxw_row_t)(1 + rows[k]), (lxw_col_t)(cols[k] - 1));
        worksheet_repeat_rows(ws, 1, 1);
        worksheet_set_paper(ws, 9);
        worksheet_fit_to_pages(ws, 1, 0);
        worksheet_set_footer(ws, "&C第 &P 页 共 &N 页");
        if (k == 1) {
            lxw_chart *ch = workbook_add_chart(wb, LXW_CHART_COLUMN);
            lxw_chart_series *se = chart_add_series(ch, NULL, NULL);
            chart_series_set_categories(se, names[k], 2, 0, 6, 0);
            chart_series_set_values(se, names[k], 2, 2, 6, 2);
            chart_title_set_name(ch, "各类活动参与人次");
            worksheet_insert_chart(ws, 9, 0, ch);
        }
    }
    if (workbook_close(wb) != LXW_NO_ERROR)
        exit(1);
    FILE *f = fopen(path, "rb");
    char buf[65536];
    while (f && fread(buf, 1, sizeof buf, f) > 0)
        ;
    if (f)
        fclose(f);
    unlink(path);
}

static double floor_ms(int n)
{
    floor_once();
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        floor_once();
    return (now_s() - t0) * 1e3 / n;
}
#endif

static double mean_brief_ms(const lexp_data *data, lexp_engine *eng, int n, double *first)
{
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    opt.format = LEXP_FORMAT_XLSX;
    opt.engine = eng;
    lexp_error err;
    double total = 0;
    for (int i = 0; i < n; i++) {
        lexp_buf out = LEXP_BUF_INIT;
        double t0 = now_s();
        if (lexp_brief(&out, data, "2024-09", &opt, &err)) {
            fprintf(stderr, "bench_xlsx: %s\n", err.message);
            exit(1);
        }
        double t = (now_s() - t0) * 1e3;
        lexp_buf_dispose(&out);
        if (i == 0 && first) {
            *first = t;
            continue;
        }
        total += t;
    }
    return total / (first ? n - 1 : n);
}

static double mean_render_ms(const lexp_doc *doc, int n)
{
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    opt.format = LEXP_FORMAT_XLSX;
    lexp_error err;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        lexp_buf out = LEXP_BUF_INIT;
        if (lexp_doc_render(&out, doc, &opt, &err)) {
            fprintf(stderr, "bench_xlsx: %s\n", err.message);
            exit(1);
        }
        lexp_buf_dispose(&out);
    }
    return (now_s() - t0) * 1e3 / n;
}

static void briefing(void)
{
    char path[1024];
    const char *src = getenv("LEXP_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/samples/qinqu.json", src && *src ? src : ".");
    lexp_error err;
    lexp_data *data = NULL;
    lexp_engine *eng = lexp_engine_new();
    if (!eng || lexp_data_load_file(&data, path, &err)) {
        fprintf(stderr, "bench_xlsx: %s\n", eng ? err.message : "out of memory");
        exit(1);
    }
    double cold = 0;
    double warm = mean_brief_ms(data, eng, 101, &cold);
    /* the tree alone */
    lexp_template *tpl = NULL;
    lexp_doc *doc = NULL;
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    opt.month = "2024-09";
    opt.engine = eng;
    if (lexp_template_load(&tpl, eng, "briefing", &err) ||
        lexp_expand(&doc, tpl, data, &opt, &err)) {
        fprintf(stderr, "bench_xlsx: %s\n", err.message);
        exit(1);
    }
    mean_render_ms(doc, 5);
    double render = mean_render_ms(doc, 100);
    printf("xlsx_brief_cold_ms: %.2f\n", cold);
    printf("xlsx_brief_warm_ms: %.2f\n", warm);
    printf("xlsx_render_warm_ms: %.2f\n", render);
#ifdef LEXP_BENCH_LIBXLSXWRITER
    printf("xlsx_libxlsxwriter_ms: %.2f\n", floor_ms(100));
#endif
    fflush(stdout);
    lexp_doc_free(doc);
    lexp_template_free(tpl);
    lexp_data_free(data);
    lexp_engine_free(eng);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--1m") == 0)
        return run_1m(argc > 2 ? argv[2] : NULL);
    briefing();
    /* the baseline is built next to this program */
    char base[1024];
    snprintf(base, sizeof base, "%s", argv[0]);
    char *slash = strrchr(base, '/');
    if (slash)
        snprintf(slash + 1, sizeof base - (size_t)(slash + 1 - base), "bench_xlsx_baseline");
    else
        snprintf(base, sizeof base, "./bench_xlsx_baseline");
    char *mine[] = {argv[0], "--1m", NULL};
    char *theirs[] = {base, NULL};
    double best = -1, best_base = -1;
    for (int round = 0; round < 2; round++) {
        double t = run_child(theirs, "xlsx_baseline_1M_rows_s");
        if (t > 0 && (best_base < 0 || t < best_base))
            best_base = t;
        t = run_child(mine, "xlsx_1M_rows_s");
        if (t < 0) {
            fprintf(stderr, "bench_xlsx: the 1M-row run failed\n");
            return 1;
        }
        if (best < 0 || t < best)
            best = t;
    }
    printf("xlsx_1M_rows_best_s: %.2f\n", best);
    if (best_base > 0) {
        printf("xlsx_baseline_1M_rows_best_s: %.2f\n", best_base);
        printf("xlsx_1M_vs_baseline: %.2f\n", best / best_base);
    }
    return 0;
}
