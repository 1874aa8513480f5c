/*
 * The public C API: errors, data loading, template reuse, the engine's
 * cache and renders from several threads at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libexport.h"

#include "check.h"

static const char *DATA =
    "{\"community\": {\"name\": \"秦渠社区\", \"population\": 12130},\n"
    " \"activities\": [{\"date\": \"2024-09-20\", \"category\": \"文艺汇演\", \"title\": \"汇演\","
    " \"participants\": 300}, {\"date\": \"2024-09-21\", \"category\": \"宣传\", \"title\": \"宣讲\","
    " \"participants\": \"多\"}]}";

static void test_errors(void)
{
    lexp_error e;
    char buf[512];
    lexp_error_clear(&e);
    e.code = LEXP_ESYNTAX;
    strcpy(e.file, "t.lxt");
    e.line = 3;
    e.column = 7;
    strcpy(e.message, "unknown filter 'x'");
    lexp_error_format(buf, sizeof buf, &e, NULL);
    CHECK(strcmp(buf, "t.lxt:3:7: error: unknown filter 'x'") == 0);
    e.line = 0;
    strcpy(e.path, "activities[3].participants");
    lexp_error_format(buf, sizeof buf, &e, "warning");
    CHECK(strcmp(buf, "t.lxt: warning: activities[3].participants: unknown filter 'x'") == 0);
    CHECK(strcmp(lexp_strerror(LEXP_EIO), "input/output error") == 0);
    CHECK(lexp_format_from_name("PDF") == LEXP_FORMAT_PDF);
    CHECK(lexp_format_from_path("a/b.c/x.docx") == LEXP_FORMAT_DOCX);
    CHECK(lexp_format_from_path("a.b/x") == -1);
    CHECK(lexp_font_role_from_name("fangsong") == LEXP_ROLE_FANGSONG);
    CHECK(lexp_month_valid("2024-09") && !lexp_month_valid("2024-9") && !lexp_month_valid("2024-13"));
    CHECK(lexp_version_number() == LEXP_VERSION);
    CHECK(strcmp(lexp_version(), LEXP_VERSION_STRING) == 0);
}

static void test_data_errors(void)
{
    lexp_error e;
    lexp_data *d = NULL;
    const char *bad = "{\n \"a\": [1, 2,,]\n}";
    CHECK(lexp_data_load_json(&d, bad, strlen(bad), "x.json", &e) == LEXP_ESYNTAX);
    CHECK(d == NULL && e.line == 2 && e.column > 0 && strcmp(e.file, "x.json") == 0);
    CHECK(lexp_data_load_file(&d, "/nonexistent/dir/x.json", &e) == LEXP_EIO);
    CHECK(lexp_data_load_json(&d, "", 0, NULL, &e) == LEXP_ESYNTAX);
    CHECK(strstr(e.message, "empty") != NULL);
}

/* A type error in the data names both the template position and the path. */
static void test_eval_error_path(void)
{
    lexp_error e;
    lexp_data *d;
    lexp_template *t;
    CHECK(lexp_data_load_json(&d, DATA, strlen(DATA), "d.json", &e) == 0);
    const char *src = "总计{{ activities | sum(\"participants\") }}人次\n";
    CHECK(lexp_template_parse(&t, src, strlen(src), "s.lxt", &e) == 0);
    lexp_buf b = LEXP_BUF_INIT;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    CHECK(lexp_render(&b, t, d, &o, &e) == LEXP_EEVAL);
    CHECK(e.line == 1 && e.column == 19); /* at "sum" */
    CHECK(strcmp(e.path, "activities[1].participants") == 0);
    CHECK(b.ptr == NULL);
    lexp_template_free(t);
    lexp_data_free(d);
}

static void test_reuse_and_cache(void)
{
    lexp_error e;
    lexp_engine *eng = lexp_engine_new();
    lexp_template *a, *b;
    CHECK(lexp_template_load(&a, eng, "briefing", &e) == 0);
    CHECK(lexp_template_load(&b, eng, "briefing", &e) == 0);
    CHECK(a == b); /* shared through the cache */
    lexp_template_free(a);
    lexp_template_free(b);
    CHECK(lexp_template_load(&a, eng, "no-such-builtin", &e) == LEXP_ENOTFOUND);
    lexp_engine_free(eng);
    /* without an engine each load parses anew */
    CHECK(lexp_template_load(&a, NULL, "summary", &e) == 0);
    lexp_template_free(a);
    CHECK(lexp_builtin_count() == 6);
    CHECK(lexp_builtin_name(6) == NULL);
}

typedef struct {
    const lexp_template *t;
    const lexp_data *d;
    lexp_engine *engine;
    int format;
    char *out;
    size_t size;
    int rc;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    lexp_error e;
    for (int i = 0; i < 10 && j->rc == 0; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.month = "2024-09";
        o.format = j->format;
        o.engine = j->engine; /* shared: its caches are taken under its lock */
        j->rc = lexp_render(&b, j->t, j->d, &o, &e);
        if (j->rc == 0 && (!j->out || (b.size == j->size && memcmp(b.ptr, j->out, b.size) == 0))) {
            if (!j->out) {
                j->out = (char *)b.ptr;
                j->size = b.size;
                b.ptr = NULL;
            }
        } else if (j->rc == 0) {
            j->rc = -100; /* output differs between renders */
        }
        lexp_buf_dispose(&b);
    }
    return NULL;
}

/* Eight threads render one parsed template with one data set in every
 * format at once, sharing one engine; every output equals the one rendered
 * alone. */
static void test_threads(void)
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
    /* one reference per format, rendered alone without an engine */
    static const int formats[] = {LEXP_FORMAT_TXT, LEXP_FORMAT_PDF, LEXP_FORMAT_DOCX,
                                  LEXP_FORMAT_XLSX};
    job ref[4];
    for (int f = 0; f < 4; f++) {
        ref[f] = (job){t, d, NULL, formats[f], NULL, 0, 0};
        worker(&ref[f]);
        CHECK(ref[f].rc == 0 && ref[f].size > 1000);
    }
    lexp_engine *eng = lexp_engine_new();
    pthread_t th[8];
    job jobs[8];
    for (int i = 0; i < 8; i++) {
        jobs[i] = (job){t, d, eng, formats[i % 4], NULL, 0, 0};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        const job *r = &ref[i % 4];
        CHECK(jobs[i].rc == 0);
        CHECK(jobs[i].size == r->size && memcmp(jobs[i].out, r->out, r->size) == 0);
        free(jobs[i].out);
    }
    for (int f = 0; f < 4; f++)
        free(ref[f].out);
    lexp_engine_free(eng);
    lexp_template_free(t);
    lexp_data_free(d);
}

static void test_write_file(void)
{
    lexp_error e;
    char dir[] = "/tmp/lexp-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    CHECK(lexp_write_file(path, "abc", 3, &e) == 0);
    FILE *f = fopen(path, "rb");
    char got[8] = {0};
    CHECK(f && fread(got, 1, 8, f) == 3 && memcmp(got, "abc", 3) == 0);
    if (f)
        fclose(f);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/missing/out.txt", dir);
    CHECK(lexp_write_file(bad, "x", 1, &e) == LEXP_EIO);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_errors();
    test_data_errors();
    test_eval_error_path();
    test_reuse_and_cache();
    test_threads();
    test_write_file();
    printf("%s\n", fails ? "api tests FAILED" : "api tests passed");
    return fails != 0;
}
