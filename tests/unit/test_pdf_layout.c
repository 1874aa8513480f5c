/*
 * Unit tests of the PDF renderer's layout engine and its thread safety:
 *  - line breaking on many generated paragraphs: no line starts with a
 *    closing mark or ends with an opening one; numbers, Latin words, ——
 *    and …… are never split; justified lines fill the measure; no last
 *    line of one character;
 *  - two threads rendering with one engine give the bytes one thread gives;
 *  - rendering with and without an engine gives the same bytes.
 * Needs a Chinese TrueType font (fonts-arphic-gbsn00lp): skipped without.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "render/fonts.h"
#include "render/layout.h"

static int failures;

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            failures++;                                                                  \
            fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                             \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
        }                                                                                \
    } while (0)

static const char *const no_start[] = {"，", "。", "、", "；", "：", "？", "！", "）", "》",
                                       "”", "’", "】", "%", ",", ".", NULL};
static const char *const no_end[] = {"（", "《", "“", "‘", "【", NULL};

static int starts_with_any(const char *s, const char *const *set)
{
    for (int i = 0; set[i]; i++)
        if (strncmp(s, set[i], strlen(set[i])) == 0)
            return 1;
    return 0;
}

static int ends_with_any(const char *s, const char *const *set)
{
    size_t n = strlen(s);
    for (int i = 0; set[i]; i++) {
        size_t k = strlen(set[i]);
        if (n >= k && strcmp(s + n - k, set[i]) == 0)
            return 1;
    }
    return 0;
}

/* A deterministic generator of awkward paragraphs. */
static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7FFF;
}

static const char *const pieces[] = {
    "社区", "民族团结", "工作", "各族群众", "，", "。", "、", "“示范社区”", "（例如这里）",
    "——", "……", "53.1%", "12130", "2024年9月30日", "English words", "《条例》", "；",
    "：", "！", "？", "守望相助", "其乐融融", "开展", "活动", "宣传", "8场次", "0.7"};

static void make_para(unsigned *seed, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    int len = 8 + (int)(rnd(seed) % 60);
    for (int i = 0; i < len; i++) {
        const char *p = pieces[rnd(seed) % (sizeof pieces / sizeof *pieces)];
        size_t l = strlen(p);
        if (n + l + 4 >= cap)
            break;
        memcpy(buf + n, p, l);
        n += l;
    }
    memcpy(buf + n, "。", 4);
}

/* Wholes that must not be split across lines. */
static const char *const wholes[] = {"53.1%", "12130", "English", "words", "——", "……", "0.7",
                                     "2024", NULL};

static void check_para(lexp__fonts *f, const char *text, double width)
{
    char *lines[200];
    double widths[200];
    lexp_error err;
    int n = lexp__layout_break_text(f, text, LEXP_ROLE_FANGSONG, 16, width, 32, 1, lines,
                                    widths, 200, &err);
    CHECK(n > 0, "no lines for %s", text);
    if (n <= 0)
        return;
    size_t total = 0;
    for (int i = 0; i < n && i < 200; i++) {
        const char *l = lines[i];
        while (*l == ' ')
            l++;
        total += strlen(lines[i]);
        if (i > 0)
            CHECK(!starts_with_any(l, no_start), "line %d starts with a closing mark: %s", i,
                  lines[i]);
        if (i + 1 < n)
            CHECK(!ends_with_any(lines[i], no_end), "line %d ends with an opening mark: %s", i,
                  lines[i]);
        int wide = 0; /* a line of one Latin word cannot be justified */
        for (const char *p = lines[i]; *p; p++)
            wide |= (unsigned char)*p >= 0xE0;
        if (i + 1 < n && wide)
            CHECK(widths[i] > width - 0.05 && widths[i] < width + 0.05,
                  "justified line %d is %.2f wide, not %.2f: %s", i, widths[i], width, lines[i]);
        else
            CHECK(widths[i] < width + 0.05, "last line %.2f wider than %.2f", widths[i], width);
        if (i + 1 < n)
            for (int w = 0; wholes[w]; w++) {
                /* the line ends with a proper prefix of a whole: split */
                size_t wl = strlen(wholes[w]), ll = strlen(lines[i]);
                for (size_t k = 1; k < wl; k++)
                    if (ll >= k && memcmp(lines[i] + ll - k, wholes[w], k) == 0 &&
                        strncmp(lines[i + 1], wholes[w] + k, wl - k) == 0 &&
                        strstr(text, wholes[w]))
                        CHECK(0, "'%s' split between lines %d and %d", wholes[w], i, i + 1);
            }
    }
    if (n >= 2) {
        /* the last line holds more than one character (plus closing marks) */
        const char *l = lines[n - 1];
        int chars = 0;
        for (const char *p = l; *p;) {
            uint32_t cp;
            size_t k = lexp__utf8_decode(p, strlen(p), &cp);
            if (!k)
                break;
            char u[5] = {0};
            memcpy(u, p, k);
            if (!starts_with_any(u, no_start))
                chars++;
            p += k;
        }
        CHECK(chars != 1, "last line is a single character: %s (of %s)", l, text);
    }
    CHECK(total >= strlen(text) - 1, "characters lost: %zu of %zu", total, strlen(text));
    for (int i = 0; i < n && i < 200; i++)
        free(lines[i]);
}

/* A run with no break opportunity (a 1 MB word is valid data) is split
 * between characters: every line but the last is as full as it can be, and
 * the run starts on a line of its own. Long runs are cheap to break (the
 * bench bench_limits.py times them); here the result is what is checked. */
static void check_long_run(lexp__fonts *f, const char *head, char letter, size_t len,
                           const char *tail, double width)
{
    size_t hl = strlen(head), tl = strlen(tail);
    char *s = malloc(hl + len + tl + 1);
    if (!s)
        return;
    memcpy(s, head, hl);
    memset(s + hl, letter, len);
    memcpy(s + hl + len, tail, tl + 1);
    lexp__lplaced *v = NULL;
    lexp_error err;
    int n = lexp__layout_place_text(f, s, LEXP_ROLE_FANGSONG, 16, width, &v, &err);
    CHECK(n > 0, "long run: no characters (%s)", n < 0 ? err.message : "");
    size_t first = 0; /* index of the run's first character */
    for (int k = 0; k < n && v[k].cp != (uint32_t)letter; k++)
        first = (size_t)k + 1;
    CHECK(n > 0 && first < (size_t)n && (first == 0 || v[first].line > v[first - 1].line),
          "long run: does not start a line");
    size_t lines = 0, bad = 0;
    double w = 0, wn = 0; /* width so far, and without trailing spaces */
    for (int k = 0; k < n; k++) {
        w += v[k].adv;
        if (v[k].cp != ' ')
            wn = w;
        int ends = k + 1 == n || v[k + 1].line != v[k].line;
        if (!ends)
            continue;
        lines++;
        int inside = (size_t)k >= first && k + 1 < n && v[k].cp == (uint32_t)letter &&
                     v[k + 1].cp == (uint32_t)letter;
        /* full: the next character would not have fitted */
        if (wn > width + 0.011 || (inside && wn + v[k + 1].adv <= width + 0.009))
            bad++;
        w = wn = 0;
    }
    CHECK(bad == 0, "long run of %zu: %zu of %zu lines not filled greedily", len, bad, lines);
    size_t per = (size_t)((width + 0.01) / (n > 0 ? v[first].adv : 1));
    CHECK(lines >= len / per, "long run of %zu: %zu lines for %zu per line", len, lines, per);
    free(v);
    free(s);
}

/* ---- whole renders ---------------------------------------------------------- */

typedef struct job {
    lexp_engine *engine;
    const lexp_data *data;
    lexp_buf out;
    int rc;
} job;

static void *render_job(void *p)
{
    job *j = p;
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    opt.format = LEXP_FORMAT_PDF;
    opt.engine = j->engine;
    lexp_error err;
    for (int i = 0; i < 5 && j->rc == 0; i++) {
        lexp_buf_dispose(&j->out);
        j->rc = lexp_brief(&j->out, j->data, "2024-09", &opt, &err);
    }
    return NULL;
}

static void check_renders(void)
{
    const char *src = getenv("LEXP_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/samples/qinqu.json", src ? src : ".");
    lexp_error err;
    lexp_data *data = NULL;
    if (lexp_data_load_file(&data, path, &err)) {
        CHECK(0, "cannot load %s: %s", path, err.message);
        return;
    }
    job alone = {NULL, data, LEXP_BUF_INIT, 0};
    render_job(&alone);
    CHECK(alone.rc == 0 && alone.out.size > 1000, "render without an engine failed");
    lexp_engine *eng = lexp_engine_new();
    job a = {eng, data, LEXP_BUF_INIT, 0}, b = {eng, data, LEXP_BUF_INIT, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, render_job, &a);
    pthread_create(&tb, NULL, render_job, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(a.rc == 0 && b.rc == 0, "threaded renders failed");
    CHECK(a.out.size == alone.out.size && memcmp(a.out.ptr, alone.out.ptr, a.out.size) == 0,
          "a render with a shared engine differs from one without");
    CHECK(b.out.size == a.out.size && memcmp(a.out.ptr, b.out.ptr, a.out.size) == 0,
          "two threads gave different bytes");
    lexp_buf_dispose(&a.out);
    lexp_buf_dispose(&b.out);
    lexp_buf_dispose(&alone.out);
    lexp_engine_free(eng);
    lexp_data_free(data);
}

int main(void)
{
    lexp_doc *doc = lexp__doc_new();
    lexp__fonts *f = NULL;
    lexp_error err;
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    if (!doc || lexp__fonts_new(&f, doc, &opt, &err)) {
        fprintf(stderr, "cannot start\n");
        return 1;
    }
    lexp__glyph g;
    if (lexp__fonts_glyph(f, LEXP_ROLE_FANGSONG, 0x4E2D, &g, &err) || g.slot < 0) {
        printf("skipped: no Chinese font installed (%s)\n", err.message);
        lexp__fonts_free(f);
        lexp_doc_free(doc);
        return 0;
    }
    /* the closing mark after a full line of 28 characters is squeezed in */
    char full[256] = "";
    for (int i = 0; i < 28; i++)
        strcat(full, i % 2 ? "民" : "族");
    strcat(full, "，后面还有字。");
    char *lines[8];
    double widths[8];
    int n = lexp__layout_break_text(f, full, LEXP_ROLE_FANGSONG, 16, 28 * 16, 0, 1, lines,
                                    widths, 8, &err);
    CHECK(n == 2, "expected 2 lines, got %d", n);
    if (n == 2) {
        CHECK(ends_with_any(lines[0], (const char *const[]){"，", NULL}),
              "the comma was not kept on the first line: %s", lines[0]);
        CHECK(strcmp(lines[1], "后面还有字。") == 0, "second line: %s", lines[1]);
    }
    for (int i = 0; i < n; i++)
        free(lines[i]);

    /* a last line of two characters is taken up by the line above when
     * its commas can be set at half width (tighter lines) */
    char tight[512] = "";
    for (int i = 0; i < 14; i++)
        strcat(tight, "字，");
    strcat(tight, "一起。");
    n = lexp__layout_break_text(f, tight, LEXP_ROLE_FANGSONG, 16, 28 * 16, 0, 1, lines, widths,
                                8, &err);
    CHECK(n == 1, "a tighter line could take the last two characters: %d lines (%s)", n,
          n > 1 ? lines[n - 1] : "");
    for (int i = 0; i < n && i < 8; i++)
        free(lines[i]);
    /* nothing to squeeze: the two characters stay on their line */
    char loose[512] = "";
    for (int i = 0; i < 28; i++)
        strcat(loose, "字");
    strcat(loose, "一起。");
    n = lexp__layout_break_text(f, loose, LEXP_ROLE_FANGSONG, 16, 28 * 16, 0, 1, lines, widths,
                                8, &err);
    CHECK(n == 2 && strcmp(lines[1], "一起。") == 0, "loose paragraph: %d lines", n);
    for (int i = 0; i < n && i < 8; i++)
        free(lines[i]);

    unsigned seed = 20240930u;
    char buf[4096];
    for (int i = 0; i < 400; i++) {
        make_para(&seed, buf, sizeof buf);
        double width = (10 + rnd(&seed) % 22) * 16.0;
        check_para(f, buf, width);
    }
    check_long_run(f, "", 'a', 200000, "", 28 * 16);
    check_long_run(f, "活动名称：", 'b', 100000, "，结束。", 25 * 16 + 3.5);
    check_long_run(f, "", '7', 50000, "  tail words here", 10 * 16);
    lexp__fonts_free(f);
    lexp_doc_free(doc);

    check_renders();
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    return failures != 0;
}
