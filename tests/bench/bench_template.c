/*
 * Template benchmark: parse and evaluate a 200-line template whose table
 * loops over 5,000 activities, to the document tree and to text.
 * Prints figures; asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libexport.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *const cats[] = {"宣传", "培训", "座谈会", "文艺汇演", "走访慰问",
                                   "矛盾纠纷排查调处", "帮扶", "志愿服务", "节日活动", "其他"};

static char *make_data(int n)
{
    size_t cap = (size_t)n * 400 + 4096, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s + len, cap - len,
                            "{\"community\": {\"name\": \"秦渠社区\", \"population\": 12130, "
                            "\"households\": 3986, \"ethnic_groups\": [{\"name\": \"回族\", "
                            "\"population\": 6431}]}, \"activities\": [");
    for (int i = 0; i < n; i++) {
        int m = i % 12 + 1, d = i % 28 + 1;
        len += (size_t)snprintf(
            s + len, cap - len,
            "%s{\"date\": \"2024-%02d-%02d\", \"category\": \"%s\", \"title\": \"第%d次民族团结"
            "主题活动\", \"location\": \"社区广场\", \"organizer\": \"社区党支部\", "
            "\"participants\": %d, \"materials\": %d, \"banners\": %d, \"summary\": "
            "\"开展活动，各族群众积极参与，取得良好效果。\"}",
            i ? "," : "", m, d, cats[i % 10], i + 1, 20 + i % 300, i % 7 * 50, i % 3);
    }
    len += (size_t)snprintf(s + len, cap - len, "]}");
    return s;
}

/* 200 lines, written the way templates are: aggregates computed once with
 * set, prose lines that use them, a groupby section and the 5,000-row
 * ledger table. `heavy` instead re-scans all records on every prose line
 * (200 passes over 5,000 records), to show the cost of the filters. */
static char *make_template(int heavy)
{
    size_t cap = 65536, len = 0;
    char *s = malloc(cap);
#define W(...) len += (size_t)snprintf(s + len, cap - len, __VA_ARGS__)
    W("---\npreset: gbt9704\ntitle: \"{{ community.name }}活动台账\"\n---\n");
    W("{%% set acts = activities | sort(\"date\") %%}\n");
    W("{%% set n = acts | count %%}\n{%% set people = acts | sum(\"participants\") %%}\n");
    W("{%% set xc = acts | where(\"category\", \"宣传\") | count %%}\n");
    W("# 基本情况\n");
    int lines = 9;
    for (int i = 0; lines < 150; i++, lines++) {
        if (heavy)
            W("{{ community.name }}第%d项：活动{{ acts | count }}场次，参与{{ acts | "
              "sum(\"participants\") | big }}人次，宣传{{ acts | where(\"category\", \"宣传\") "
              "| count }}场。\n",
              i + 1);
        else
            W("{{ community.name }}第%d项：人口{{ community.population }}人，活动{{ n }}场次，"
              "参与{{ people | big }}人次，宣传{{ xc }}场，占{{ (xc / n) | pct(1) }}。\n\n",
              i + 1);
    }
    W("# 分类情况\n");
    W("{%% for g in acts | groupby(\"category\") %%}\n## {{ g.key }}\n"
      "本类活动{{ g.count }}场次，参与群众{{ g.items | sum(\"participants\") }}人次，"
      "占{{ (g.count / n) | pct(1) }}。\n{%% endfor %%}\n");
    lines += 6;
    W("# 活动台账\n| 序号 | 日期 | 类别 | 活动名称 | 地点 | 参与人次 |\n"
      "|---:|---|---|---|---|---:|\n");
    W("{%% for a in acts %%}\n| {{ loop.index }} | {{ a.date | date(\"M月D日\") }} | "
      "{{ a.category }} | {{ a.title }} | {{ a.location }} | {{ a.participants }} |\n"
      "{%% endfor %%}\n");
    W("| 合计 | < | < | < | < | {{ people }} |\n\n");
    lines += 9;
    while (lines < 200) {
        W("{%% if n > %d %%}补充说明第%d条：累计{{ xc }}场宣传。{%% endif %%}\n", lines, lines);
        lines++;
    }
#undef W
    return s;
}

typedef struct {
    double parse, expand, text;
    double median; /* parse + evaluate, median of the runs */
    size_t out;
} timing;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int measure(lexp_data *data, const char *src, int runs, timing *t)
{
    lexp_error err;
    memset(t, 0, sizeof *t);
    double *each = calloc((size_t)runs, sizeof *each);
    for (int r = 0; r < runs; r++) {
        lexp_template *tp;
        lexp_doc *doc;
        lexp_buf b = LEXP_BUF_INIT;
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        double a = now_ms();
        if (lexp_template_parse(&tp, src, strlen(src), "bench.lxt", &err)) {
            fprintf(stderr, "%d:%d: %s\n", err.line, err.column, err.message);
            return 1;
        }
        double b1 = now_ms();
        if (lexp_expand(&doc, tp, data, &o, &err)) {
            fprintf(stderr, "%d:%d: %s\n", err.line, err.column, err.message);
            return 1;
        }
        double c = now_ms();
        lexp_doc_render(&b, doc, &o, &err);
        double d = now_ms();
        if (r > 0) { /* the first run warms caches */
            t->parse += b1 - a;
            t->expand += c - b1;
            t->text += d - c;
        }
        each[r] = c - a;
        t->out = b.size;
        lexp_buf_dispose(&b);
        lexp_doc_free(doc);
        lexp_template_free(tp);
    }
    t->parse /= runs - 1;
    t->expand /= runs - 1;
    t->text /= runs - 1;
    qsort(each + 1, (size_t)runs - 1, sizeof *each, cmp_double);
    t->median = each[1 + (runs - 1) / 2];
    free(each);
    return 0;
}

int main(void)
{
    const int N = 5000, RUNS = 101;
    char *json = make_data(N), *src = make_template(0), *heavy = make_template(1);
    lexp_error err;
    lexp_data *data;
    double t0 = now_ms();
    if (lexp_data_load_json(&data, json, strlen(json), "bench.json", &err)) {
        fprintf(stderr, "data: %s\n", err.message);
        return 1;
    }
    double load = now_ms() - t0;
    timing t, h;
    if (measure(data, src, RUNS, &t) || (getenv("BENCH_LIGHT") ? (memset(&h, 0, sizeof h), 0) : measure(data, heavy, 11, &h)))
        return 1;
    printf("template_lines: 200\nactivities: %d\n", N);
    printf("data_load_ms: %.2f (JSON %.1f KB, once, not part of the figure below)\n", load,
           strlen(json) / 1024.0);
    printf("template_parse_ms: %.3f\n", t.parse);
    printf("template_eval_to_tree_ms: %.3f\n", t.expand);
    printf("parse_plus_eval_ms: %.3f mean, %.3f median (target < 5)\n", t.parse + t.expand,
           t.median);
    printf("txt_render_ms: %.3f (%zu KB of text)\n", t.text, t.out / 1024);
    printf("heavy_parse_plus_eval_ms: %.3f (every prose line re-scans the 5,000 records)\n",
           h.parse + h.expand);
    lexp_data_free(data);
    free(json);
    free(src);
    free(heavy);
    return 0;
}
