/*
 * Title breaks and the masthead size (render/titles.c, util/wordbreak.c):
 * the lines of real titles at 2号 (22 pt) in the 156 mm type area, which
 * holds 20 characters, less one at each side: 18 em per line; and the sizes
 * the masthead is set in.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/titles.h"
#include "util/wordbreak.h"

#define MAXW (156.0 / 25.4 * 72.0 / 22.0 - 2) /* em of 22 pt */

/* The title broken into lines, joined by '/' (a static buffer). */
static const char *lines_of(const char *s, double maxw)
{
    static char out[1024];
    uint32_t cp[256];
    size_t at[257], n = 0, len = strlen(s);
    for (size_t i = 0; i < len && n < 256;) {
        at[n] = i;
        i += lexp__utf8_decode(s + i, len - i, &cp[n++]);
    }
    at[n] = len;
    size_t *starts = NULL, ns = 0;
    lexp_error err;
    memset(&err, 0, sizeof err);
    if (lexp__title_breaks(cp, n, maxw, &starts, &ns, &err)) {
        snprintf(out, sizeof out, "error: %s", err.message);
        return out;
    }
    size_t o = 0, from = 0;
    for (size_t k = 0; k <= ns; k++) {
        size_t to = k < ns ? at[starts[k]] : len;
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", k ? "/" : "", (int)(to - from),
                              s + from);
        from = to;
    }
    free(starts);
    return out;
}

static void expect(const char *title, const char *want)
{
    const char *got = lines_of(title, MAXW);
    if (strcmp(got, want) != 0) {
        printf("FAIL %s\n  got  %s\n  want %s\n", title, got, want);
        fails++;
    }
}

static void words(void)
{
    /* ICU's dictionary has Chinese words (libicudata on Debian 12) */
    const char *s = "关于开展民族团结进步创建活动的工作总结";
    uint32_t cp[64];
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i < len;)
        i += lexp__utf8_decode(s + i, len - i, &cp[n++]);
    uint8_t w[64], l[64];
    lexp_error err;
    memset(&err, 0, sizeof err);
    CHECK(lexp__word_breaks(cp, n, w, l, &err) == 0);
    /* 关于|开展|民族|团结|进步|创建|活动|的|工作|总结 */
    static const int starts[] = {2, 4, 6, 8, 10, 12, 14, 15, 17};
    int k = 0;
    for (size_t i = 1; i < n; i++) {
        int want = k < 9 && starts[k] == (int)i;
        CHECK(w[i] == want);
        k += want;
        CHECK(l[i] == 1); /* between Han characters a line may break anywhere */
    }
    /* no line starts with a closing mark */
    const char *q = "“民族团结进步月”活动，";
    n = 0;
    len = strlen(q);
    for (size_t i = 0; i < len;)
        i += lexp__utf8_decode(q + i, len - i, &cp[n++]);
    CHECK(lexp__word_breaks(cp, n, NULL, l, &err) == 0);
    CHECK(l[1] == 0 && l[8] == 0 && l[11] == 0);
    CHECK(lexp__word_breaks(cp, 0, w, l, &err) == 0);
}

static void titles(void)
{
    /* one line when it fits with a character to spare at each side */
    expect("秦渠社区9月民族团结工作开展情况", "秦渠社区9月民族团结工作开展情况");
    /* 21 em: two lines, the first not shorter, 2024年 kept together */
    expect("秦渠社区2024年民族团结进步模范创建工作计划",
           "秦渠社区2024年民族团结/进步模范创建工作计划");
    /* 19 characters fit the area but not with a character at each side */
    expect("关于开展民族团结进步创建活动的工作总结", "关于开展民族团结进步/创建活动的工作总结");
    /* not 民/族 (the greedy break) nor 1—6月/民族… (last line longer) */
    expect("建林社区2021年1—6月民族团结进步创建工作总结",
           "建林社区2021年1—6月民族/团结进步创建工作总结");
    /* a name ICU does not know (鄯|善|县) stays whole */
    expect("鄯善县3月民族团结进步模范创建工作开展情况", "鄯善县3月民族团结进步/模范创建工作开展情况");
    /* 20 characters: 12 + 10, since 10 + 12 would end on the longer line */
    expect("建林社区民族团结进步创建示范社区三年工作计划",
           "建林社区民族团结进步创建/示范社区三年工作计划");
    /* never a last line of one character (…工作计/划), even when the
     * even split would make one */
    CHECK(strcmp(lines_of("团结进步工作计划", 7), "团结进步/工作计划") == 0);
    CHECK(strcmp(lines_of("团结进步，计划。", 7), "团结进步，/计划。") == 0);
    /* three lines, each within a few characters of the others */
    expect("新疆维吾尔自治区吐鲁番市鄯善县鄯善镇团结路社区2024年民族团结进步模范创建工作总结",
           "新疆维吾尔自治区吐鲁番市鄯善县/鄯善镇团结路社区2024年民族/团结进步模范创建工作总结");
    /* a break the text makes itself stays, and each part is balanced */
    expect("关于开展民族团结进步创建活动的工作总结\n——秦渠社区",
           "关于开展民族团结进步/创建活动的工作总结\n/——秦渠社区");
    /* a word longer than a line is broken inside it, not lost */
    expect("一二三四五六七八九十", "一二三四五六七八九十");
    const char *narrow = lines_of("民族团结进步", 3);
    CHECK(strcmp(narrow, "民族/团结/进步") == 0);
    narrow = lines_of("中华人民共和国", 2);
    CHECK(strcmp(narrow, "中华/人民/共和/国") == 0 || strchr(narrow, '/') != NULL);
    narrow = lines_of("字", 0.5);
    CHECK(strcmp(narrow, "字") == 0);
}

static void masthead(void)
{
    double aw = 156.0 / 25.4 * 72.0, t;
    /* fits: as designed */
    CHECK(lexp__masthead_fit(40, 8, 8, aw, &t) == 40 && t == 0);
    /* jianlin's 12 characters: 40 pt is 480 pt > 442 pt, so 36 pt */
    CHECK(lexp__masthead_fit(40, 12, 12, aw, &t) == 36 && t == 0);
    /* 14 characters: 30.5 pt, still above the floor of 28 */
    CHECK(lexp__masthead_fit(40, 14, 14, aw, &t) == 30.5 && t == 0);
    /* 16 characters: 28 pt and a little tighter */
    double s = lexp__masthead_fit(40, 16, 16, aw, &t);
    CHECK(s == 28 && t < 0 && t >= -0.05 * 28 - 0.05);
    CHECK(s * 16 + 16 * t <= aw * 0.98 + 1e-9);
    /* 30 characters: smaller than the floor, as tight as allowed */
    s = lexp__masthead_fit(40, 30, 30, aw, &t);
    CHECK(s < 28 && s * 30 + 30 * t <= aw * 0.98 + 1e-9 && s * 30 + 30 * t > aw * 0.9);
    CHECK(fmod(s * 2, 1) == 0 && fmod(t * 20, 1) == 0); /* half points, twips */
    /* absurd: a thousand characters still get a size */
    s = lexp__masthead_fit(40, 1000, 1000, aw, &t);
    CHECK(s >= 0.5);
}

int main(void)
{
    words();
    titles();
    masthead();
    if (fails)
        printf("%d failed\n", fails);
    return fails ? 1 : 0;
}
