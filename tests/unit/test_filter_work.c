/*
 * Filters and `in` count their work against the evaluation step limit
 * (issue 10): a filter over a list of n items takes about n steps, so a loop
 * that runs one over a huge list many times ends in the step limit's error
 * instead of running for minutes, while the same loop run fewer times
 * renders. The n/4n timings are in tests/bench/bench_limits.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libexport.h"

#include "check.h"

#define BIG 131072 /* 8 × 2^14 items */

/* A template that builds l (BIG items, 8 distinct values) and k (512
 * zeros), then runs `{{ BODY }}` for the first `times` items of k. */
static char *loop_src(const char *body, int times)
{
    size_t cap = 4096 + strlen(body);
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t n = (size_t)snprintf(s, cap, "{%% set l = [1, 2, 3, 4, 5, 6, 7, 8] %%}\n"
                                        "{%% set k = [0, 0, 0, 0, 0, 0, 0, 0] %%}\n");
    for (int i = 0; i < 14; i++)
        n += (size_t)snprintf(s + n, cap - n, "{%% set l = l + l %%}\n");
    for (int i = 0; i < 6; i++)
        n += (size_t)snprintf(s + n, cap - n, "{%% set k = k + k %%}\n");
    snprintf(s + n, cap - n, "{%% for x in k | limit(%d) %%}{{ %s }}{%% endfor %%}\n", times,
             body);
    return s;
}

static int render(const char *src, lexp_buf *out, lexp_error *err)
{
    static const char *DATA = "{\"community\": {\"name\": \"秦渠社区\"}}";
    lexp_data *d = NULL;
    lexp_template *t = NULL;
    int rc = lexp_data_load_json(&d, DATA, strlen(DATA), "d.json", err);
    if (rc == 0)
        rc = lexp_template_parse(&t, src, strlen(src), "t.lxt", err);
    if (rc == 0) {
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.format = LEXP_FORMAT_TXT;
        rc = lexp_render(out, t, d, &o, err);
    }
    lexp_template_free(t);
    lexp_data_free(d);
    return rc;
}

int main(void)
{
    static const struct {
        const char *body, *once; /* the expression, and its text */
    } cases[] = {
        {"l | unique | count", "8"},
        {"l | sum", "589824"},
        {"k | limit(2) | where(\"a\", \"in\", l) | count", "0"},
        {"9 in l", "false"},
        {"l | map(\"a\") | unique | count", "1"},
    };
    /* more than the step limit's worth of items, and a quarter of it */
    int over = (int)(LEXP_EVAL_MAX_STEPS / BIG) + 20, under = over / 4;
    CHECK(over <= 512);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *src = loop_src(cases[i].body, under);
        lexp_buf b = LEXP_BUF_INIT;
        lexp_error err;
        int rc = src ? render(src, &b, &err) : -1;
        if (rc)
            printf("%s × %d: %s\n", cases[i].body, under, err.message);
        CHECK(rc == 0);
        /* every iteration printed the same text */
        size_t want = strlen(cases[i].once) * (size_t)under;
        CHECK(rc != 0 || (b.size >= want && memcmp(b.ptr, cases[i].once,
                                                    strlen(cases[i].once)) == 0));
        lexp_buf_dispose(&b);
        free(src);

        src = loop_src(cases[i].body, over);
        rc = src ? render(src, &b, &err) : -1;
        if (rc != LEXP_ELIMIT || !strstr(err.message, "steps"))
            printf("%s × %d: rc %d, %s\n", cases[i].body, over, rc, rc ? err.message : "");
        CHECK(rc == LEXP_ELIMIT && strstr(err.message, "steps") != NULL);
        CHECK(rc != LEXP_ELIMIT || (strcmp(err.file, "t.lxt") == 0 && err.line == 23));
        lexp_buf_dispose(&b);
        free(src);
    }
    printf("%d failures\n", fails);
    return fails != 0;
}
