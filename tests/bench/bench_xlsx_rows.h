/*
 * The rows of the 1,000,000 × 6 XLSX benchmark, shared by bench_xlsx.c and
 * its baseline bench_xlsx_baseline.c so that both write the same cells:
 * an activity ledger with a date, a category, a title, a place, a count
 * of participants and a rate.
 */
#ifndef BENCH_XLSX_ROWS_H
#define BENCH_XLSX_ROWS_H

#include <stdint.h>
#include <stdio.h>

#define BENCH_ROWS 1000000u
#define BENCH_COLS 6

typedef struct bench_row {
    double date; /* spreadsheet serial date */
    const char *category;
    const char *title;
    const char *location;
    double participants;
    double rate;
} bench_row;

static inline void bench_make_row(bench_row *v, uint32_t r, char *title, size_t size)
{
    static const char *const cats[] = {"宣传", "培训", "座谈会", "文艺汇演",
                                       "走访慰问", "帮扶", "志愿服务", "节日活动"};
    static const char *const places[] = {"社区广场", "社区会议室", "社区党群服务中心",
                                         "社区文化长廊", "社区活动室"};
    v->date = 45292.0 + (double)(r % 366); /* a day of 2024 */
    v->category = cats[r % 8];
    snprintf(title, size, "民族团结进步活动%u", r);
    v->title = title;
    v->location = places[r % 5];
    v->participants = (double)(r % 500 + 1);
    v->rate = (double)(r % 1000) / 1000.0;
}

#endif
