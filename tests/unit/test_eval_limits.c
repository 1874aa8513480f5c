/*
 * Template limits through the public API (issue 10): hostile expression
 * chains and nesting are refused by the parser and the evaluator within a
 * small thread stack, and a render that fails in one thread leaves another
 * thread's render byte-for-byte what it is alone.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libexport.h"

#include "check.h"

static const char *DATA = "{\"community\": {\"name\": \"秦渠社区\", \"population\": 12130}}";

/* "{{ HEAD (PART × n) TAIL }}" as a template source. */
static char *repeat_src(const char *head, const char *part, int n, const char *tail)
{
    size_t hl = strlen(head), pl = strlen(part), tl = strlen(tail);
    char *s = malloc(hl + pl * (size_t)n + tl + 1);
    if (!s)
        return NULL;
    memcpy(s, head, hl);
    for (int i = 0; i < n; i++)
        memcpy(s + hl + pl * (size_t)i, part, pl);
    memcpy(s + hl + pl * (size_t)n, tail, tl + 1);
    return s;
}

typedef struct {
    const char *src;
    const lexp_data *d;
    int rc;
    lexp_error err;
    lexp_buf out;
} parse_job;

/* Parse and render (text) one source. */
static void *parse_render(void *arg)
{
    parse_job *j = arg;
    lexp_template *t = NULL;
    lexp_error_clear(&j->err);
    j->rc = lexp_template_parse(&t, j->src, strlen(j->src), "t.lxt", &j->err);
    if (j->rc == 0) {
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.format = LEXP_FORMAT_TXT;
        j->rc = lexp_render(&j->out, t, j->d, &o, &j->err);
    }
    lexp_template_free(t);
    return NULL;
}

/* AddressSanitizer's frames are several times larger (redzones around every
 * local): the same recursion needs a proportionally larger stack. */
#if defined(__SANITIZE_ADDRESS__)
#define SMALL_STACK (8 * 256 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SMALL_STACK (8 * 256 * 1024)
#endif
#endif
#ifndef SMALL_STACK
#define SMALL_STACK (256 * 1024)
#endif

/* Run parse_render on a thread with a 256 KB stack (2 MB under ASan):
 * without the limits, a chain of a few thousand links overflows it. */
static int run_small_stack(parse_job *j)
{
    pthread_attr_t at;
    pthread_t th;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, SMALL_STACK);
    int rc = pthread_create(&th, &at, parse_render, j);
    pthread_attr_destroy(&at);
    if (rc)
        return -1;
    pthread_join(th, NULL);
    return 0;
}

static void test_small_stack(const lexp_data *d)
{
    static const struct {
        const char *head, *part;
        int n;
        const char *close; /* repeated n times after the parts, then " }}" */
        int ok;            /* within the limits: renders */
    } cases[] = {
        {"{{ community", ".a", 50000, "", 0},
        {"{{ 1", " | abs", 20000, "", 0},
        {"{% set x = [0] %}{{ x", "[0]", 20000, "", 0},
        {"{{ 1", " + 1", 100000, "", 0},
        {"{{ 1", " ~ 1", 20000, "", 0},
        {"{{ 1", " or 1", 20000, "", 0},
        {"{{ 1", " is number", 20000, "", 0},
        {"{{ ", "not ", 20000, "", 0},
        {"{{ ", "- ", 20000, "", 0},
        {"{{ ", "(", 20000, "", 0},
        {"{{ ", "[", 20000, "", 0},
        {"{{ ", "{\"a\": ", 20000, "", 0},
        {"{{ ", "1 | default(", 20000, "", 0},
        {"{{ ", "1 if 1 else ", 20000, "", 0},
        {"{{ ", "(", 65, ")", 0},
        /* the deepest allowed: chains of 256 levels, nesting of 64 */
        {"{{ 1", " + 1", 255, "", 1},
        {"{{ 1", " ~ 1", 255, "", 1},
        {"{{ community", ".a", 255, "", 1},
        {"{{ -1", " | abs", 254, "", 1},
        {"{{ 1 + ", "(1 + ", 63, ")", 1},
        {"{{ ", "[", 64, "]", 1},
        {"{% set o = ", "{\"a\": ", 64, " }", 1}, /* "}}" would end a {{ }} */
        {"{{ ", "1 | default(", 64, ")", 1},
        {"{{ ", "- ", 64, "", 1},
        {"{{ ", "not ", 64, "", 1},
        {"{{ ", "1 if 1 else ", 64, "", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* prefix forms ("{{ " + "not " × n) end in a value */
        const char *leaf = cases[i].head[strlen(cases[i].head) - 1] == ' ' ? "1" : "";
        char *body = repeat_src(cases[i].head, cases[i].part, cases[i].n, leaf);
        const char *tail = strstr(cases[i].head, "{{") ? " }}\n" : " %}\n";
        char *src = body ? repeat_src(body, cases[i].close, cases[i].n, tail) : NULL;
        free(body);
        parse_job j = {src, d, 0, {0}, LEXP_BUF_INIT};
        CHECK(src && run_small_stack(&j) == 0);
        if (cases[i].ok) {
            if (j.rc)
                printf("case %zu: %s\n", i, j.err.message);
            CHECK(j.rc == 0);
        } else {
            if (j.rc == 0 || j.err.line != 1 || j.err.column < 1)
                printf("case %zu: rc %d at %d:%d: %s\n", i, j.rc, j.err.line, j.err.column,
                       j.err.message);
            CHECK(j.rc == LEXP_ESYNTAX || j.rc == LEXP_ELIMIT);
            CHECK(j.err.line == 1 && j.err.column >= 1);
            CHECK(strcmp(j.err.file, "t.lxt") == 0);
            if (!strstr(j.err.message, "deep"))
                printf("case %zu: %s\n", i, j.err.message);
            CHECK(strstr(j.err.message, "deep") != NULL);
        }
        lexp_buf_dispose(&j.out);
        free(src);
    }
}

/* One thread renders hostile templates that fail, another renders a good
 * document: the good one's bytes equal the render made alone. */
typedef struct {
    const lexp_template *t;
    const lexp_data *d;
    int format;
    const lexp_buf *ref;
    int bad; /* renders that differed or failed */
} good_job;

static void *good_worker(void *arg)
{
    good_job *j = arg;
    for (int i = 0; i < 6; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        lexp_error e;
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.month = "2024-09";
        o.format = j->format;
        int rc = lexp_render(&b, j->t, j->d, &o, &e);
        if (rc || b.size != j->ref->size || memcmp(b.ptr, j->ref->ptr, b.size) != 0)
            j->bad++;
        lexp_buf_dispose(&b);
    }
    return NULL;
}

typedef struct {
    const lexp_data *d;
    int unexpected; /* hostile renders that did not fail as they should */
} bad_job;

static void *bad_worker(void *arg)
{
    bad_job *j = arg;
    static const char *const hostile[] = {
        /* doubles to 8 GB without the memory budget */
        ("{% set s = \"xxxxxxxx\" %}\n{% set s = s ~ s %}\n{% set s = s ~ s %}\n"
         "{% set s = s ~ s %}\n{% set s = s ~ s %}\n{% set s = s ~ s %}\n"
         "{% set s = s | replace(\"x\", s) | replace(\"x\", s) | replace(\"x\", s) %}\n"
         "{{ s }}\n"),
        ("{% set l = [1, 2, 3, 4, 5, 6, 7, 8] %}{% set l = l + l %}{% set l = l + l %}\n"
         "{% set l = l + l %}{{ l | join(l | join(l | join(l | join(l | join(\"xxxx\"))))) }}\n"),
        "{{ nope | frobnicate }}\n",
        "{{ 1 / 0 }}\n",
        "{{ community }}\n",
    };
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
            parse_job p = {hostile[i], j->d, 0, {0}, LEXP_BUF_INIT};
            parse_render(&p);
            if (p.rc == 0)
                j->unexpected++;
            lexp_buf_dispose(&p.out);
        }
    for (int round = 0; round < 3; round++) {
        char *src = repeat_src("{{ 1", " + 1", 30000, " }}\n");
        parse_job p = {src, j->d, 0, {0}, LEXP_BUF_INIT};
        parse_render(&p);
        if (p.rc == 0)
            j->unexpected++;
        lexp_buf_dispose(&p.out);
        free(src);
    }
    return NULL;
}

static void test_failing_thread(void)
{
    lexp_error e;
    lexp_data *d;
    lexp_template *t;
    char path[1024];
    const char *src = getenv("LEXP_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/samples/qinqu.json", src ? src : ".");
    if (lexp_data_load_file(&d, path, &e)) {
        printf("FAIL cannot load %s: %s\n", path, e.message);
        fails++;
        return;
    }
    CHECK(lexp_template_load(&t, NULL, "briefing", &e) == 0);
    static const int formats[] = {LEXP_FORMAT_PDF, LEXP_FORMAT_DOCX};
    for (int f = 0; f < 2; f++) {
        lexp_buf ref = LEXP_BUF_INIT;
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.month = "2024-09";
        o.format = formats[f];
        CHECK(lexp_render(&ref, t, d, &o, &e) == 0 && ref.size > 1000);
        good_job g = {t, d, formats[f], &ref, 0};
        bad_job b = {d, 0};
        pthread_t tg, tb;
        CHECK(pthread_create(&tg, NULL, good_worker, &g) == 0);
        CHECK(pthread_create(&tb, NULL, bad_worker, &b) == 0);
        pthread_join(tg, NULL);
        pthread_join(tb, NULL);
        CHECK(g.bad == 0);
        CHECK(b.unexpected == 0);
        lexp_buf_dispose(&ref);
    }
    lexp_template_free(t);
    lexp_data_free(d);
}

int main(void)
{
    lexp_error e;
    lexp_data *d = NULL;
    if (lexp_data_load_json(&d, DATA, strlen(DATA), "d.json", &e)) {
        printf("FAIL data: %s\n", e.message);
        return 1;
    }
    test_small_stack(d);
    lexp_data_free(d);
    test_failing_thread();
    if (fails)
        printf("%d check(s) failed\n", fails);
    return fails != 0;
}
