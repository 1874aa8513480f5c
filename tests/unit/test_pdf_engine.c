/*
 * PDF output through one engine (its font subsets and prepared images are
 * cached across documents) is the same bytes as each document rendered
 * alone: a document rendered twice, after a different one, or after a
 * photo file it uses was rewritten; and so it is once the engine has
 * preprocessed its faces (here at a face's second new glyph set, see
 * render/fonts.c) and reuses deflated pieces of font programs
 * (render/fontzip.c), as it is with neither.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "libexport.h"

typedef struct {
    char *p;
    size_t n;
} bytes;

/* The Latin role in a CFF face with subroutines, which only hb-subset
 * takes (and preprocesses); NULL when not installed. */
static const lexp_font_override *nimbus(void)
{
    static const lexp_font_override f = {
        LEXP_ROLE_LATIN, "/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf", 0};
    return access(f.path, R_OK) == 0 ? &f : NULL;
}

static bytes brief_with(lexp_engine *eng, const lexp_data *d, const char *month,
                        const lexp_font_override *font)
{
    lexp_buf b = LEXP_BUF_INIT;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.format = LEXP_FORMAT_PDF;
    o.engine = eng;
    o.fonts = font;
    o.nfonts = font ? 1 : 0;
    lexp_error e;
    bytes r = {NULL, 0};
    if (lexp_brief(&b, d, month, &o, &e) == 0) {
        r.p = (char *)b.ptr;
        r.n = b.size;
        b.ptr = NULL;
    } else {
        printf("FAIL briefing %s: %s\n", month, e.message);
    }
    lexp_buf_dispose(&b);
    return r;
}

static bytes brief(lexp_engine *eng, const lexp_data *d, const char *month)
{
    return brief_with(eng, d, month, NULL);
}

static int same(bytes a, bytes b) { return a.p && b.p && a.n == b.n && !memcmp(a.p, b.p, a.n); }

/* samples/qinqu.json, or NULL (counted as a failure) */
static lexp_data *load_qinqu(void)
{
    lexp_error e;
    lexp_data *d;
    char path[1024];
    const char *src = getenv("LEXP_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/samples/qinqu.json", src ? src : ".");
    if (lexp_data_load_file(&d, path, &e)) {
        printf("FAIL cannot load %s: %s\n", path, e.message);
        fails++;
        return NULL;
    }
    return d;
}

/* Two months of the briefing (different glyph sets, different photos). */
static void test_briefings(void)
{
    lexp_data *d = load_qinqu();
    if (!d)
        return;
    bytes sep = brief(NULL, d, "2024-09"), mar = brief(NULL, d, "2024-03");
    CHECK(sep.n > 1000 && mar.n > 1000 && !same(sep, mar));
    lexp_engine *eng = lexp_engine_new();
    static const char *const order[] = {"2024-03", "2024-09", "2024-09", "2024-03", "2024-09"};
    for (int i = 0; i < 5; i++) {
        bytes b = brief(eng, d, order[i]);
        CHECK(same(b, order[i][6] == '9' ? sep : mar));
        free(b.p);
    }
    lexp_engine_free(eng);
    free(sep.p);
    free(mar.p);
    lexp_data_free(d);
}

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[8192];
    size_t n;
    int ok = a && b;
    while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0)
        ok = fwrite(buf, 1, n, b) == n;
    if (a)
        fclose(a);
    if (b && fclose(b))
        ok = 0;
    return ok ? 0 : -1;
}

static bytes render(lexp_engine *eng, const lexp_template *t, const lexp_data *d)
{
    lexp_buf b = LEXP_BUF_INIT;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.format = LEXP_FORMAT_PDF;
    o.engine = eng;
    lexp_error e;
    bytes r = {NULL, 0};
    if (lexp_render(&b, t, d, &o, &e) == 0) {
        r.p = (char *)b.ptr;
        r.n = b.size;
        b.ptr = NULL;
    } else {
        printf("FAIL render: %s\n", e.message);
    }
    lexp_buf_dispose(&b);
    return r;
}

/* A photo rewritten between two renders through one engine: the second
 * shows the new file (images are cached by content, not by path). */
static void test_rewritten_photo(void)
{
    const char *src = getenv("LEXP_SOURCE_DIR");
    char dir[] = "/tmp/lexp-pdfeng-XXXXXX", p[1200], q[1200], json[1200], corpus[1024];
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp\n");
        fails++;
        return;
    }
    snprintf(corpus, sizeof corpus, "%s/tests/fuzz/corpus/image", src ? src : ".");
    snprintf(p, sizeof p, "%s/p.png", dir);
    snprintf(q, sizeof q, "%s/q.jpg", dir);
    snprintf(json, sizeof json, "%s/data.json", dir);
    char f1[1100], f2[1100], f3[1100];
    snprintf(f1, sizeof f1, "%s/rgba-half.png", corpus);
    snprintf(f2, sizeof f2, "%s/rgb.png", corpus);
    snprintf(f3, sizeof f3, "%s/rgb.jpg", corpus);
    FILE *j = fopen(json, "w");
    if (j) {
        fputs("{\"community\":{\"name\":\"秦渠社区\"}}", j);
        fclose(j);
    }
    CHECK(copy_file(f1, p) == 0 && copy_file(f3, q) == 0);
    static const char tpl[] = "---\npreset: gbt9704\ntitle: 照片\n---\n前文。\n"
                              "![半透明](p.png){width=0.5}\n\n![照片](q.jpg){width=0.3}\n后文。\n";
    lexp_error e;
    lexp_data *d = NULL;
    lexp_template *t = NULL;
    if (lexp_data_load_file(&d, json, &e) ||
        lexp_template_parse(&t, tpl, strlen(tpl), "photo.lxt", &e)) {
        printf("FAIL %s\n", e.message);
        fails++;
    } else {
        bytes alone1 = render(NULL, t, d);
        lexp_engine *eng = lexp_engine_new();
        bytes a = render(eng, t, d), a2 = render(eng, t, d);
        CHECK(same(a, alone1) && same(a2, alone1));
        CHECK(copy_file(f2, p) == 0);
        bytes b = render(eng, t, d), alone2 = render(NULL, t, d);
        CHECK(same(b, alone2) && !same(b, alone1));
        lexp_engine_free(eng);
        free(alone1.p);
        free(a.p);
        free(a2.p);
        free(b.p);
        free(alone2.p);
    }
    lexp_template_free(t);
    lexp_data_free(d);
    unlink(p);
    unlink(q);
    unlink(json);
    rmdir(dir);
}

/* Six months, so that later ones find faces preprocessed and pieces in
 * the cache; and the same again with preprocessing off. With the default
 * faces (Fandol, TrueType) our own subsetters do all; with `font`
 * (nimbus()) hb-subset and its preprocessing do the Latin text. */
static void many_months(const lexp_font_override *font)
{
    lexp_data *d = load_qinqu();
    if (!d)
        return;
    static const char *const months[] = {"2024-03", "2024-09", "2024-04",
                                         "2024-12", "2024-05", "2024-06"};
    enum { N = sizeof months / sizeof *months };
    bytes alone[N];
    for (int i = 0; i < N; i++)
        alone[i] = brief_with(NULL, d, months[i], font);
    for (int pass = 0; pass < 2; pass++) {
        /* preprocessing at a face's second glyph set, so that most
         * months find it done; then none */
        setenv("LEXP_FONT_PREPROCESS", pass ? "off" : "2", 1);
        lexp_engine *eng = lexp_engine_new();
        for (int round = 0; round < 2; round++)
            for (int i = 0; i < N; i++) {
                bytes b = brief_with(eng, d, months[i], font);
                if (!same(b, alone[i])) {
                    printf("FAIL %s (preprocessing %s, round %d%s) differs from its render alone\n",
                           months[i], pass ? "off" : "on", round, font ? ", Nimbus" : "");
                    fails++;
                }
                free(b.p);
            }
        lexp_engine_free(eng);
    }
    unsetenv("LEXP_FONT_PREPROCESS");
    for (int i = 0; i < N; i++) {
        CHECK(i == 0 || !same(alone[i], alone[i - 1]));
        free(alone[i].p);
    }
    lexp_data_free(d);
}

static void test_many_months(void)
{
    many_months(NULL);
    if (nimbus())
        many_months(nimbus());
    else
        printf("skip: Nimbus Roman (fonts-urw-base35)\n");
}

int main(void)
{
    test_briefings();
    test_many_months();
    test_rewritten_photo();
    if (fails)
        printf("%d check(s) failed\n", fails);
    return fails ? 1 : 0;
}
