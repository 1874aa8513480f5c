/*
 * Compressed punctuation keeps its ink against the character before it
 * (GB/T 15834 §5.1.10, issue 12 item 5), for every default font: each
 * full-width mark set at half width (at a line end, squeezed, or next to
 * another mark) must have at most 1 pt of empty advance between the end of
 * the preceding character's advance and its ink, and its ink must stay
 * inside its own half advance. Positions come from the layout engine, ink
 * boxes from each font's own glyph outlines (HarfBuzz). Fonts not installed
 * are skipped; the test fails if none is.
 */
#include <hb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static const struct {
    const char *path;
    int index;
} fonts[] = {
    {"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0}, /* AR PL SungtiL GB */
    {"/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf", 0}, /* AR PL KaitiM GB */
    {"/usr/share/fonts/truetype/arphic/uming.ttc", 0},             /* AR PL UMing CN */
    {"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0},           /* WenQuanYi Zen Hei */
    {"/usr/local/share/fonts/fandol/FandolFang-Regular.otf", 0},
    {"/usr/local/share/fonts/fandol/FandolSong-Regular.otf", 0},
    {"/usr/local/share/fonts/fandol/FandolSong-Bold.otf", 0},
    {"/usr/local/share/fonts/fandol/FandolHei-Regular.otf", 0},
    {"/usr/local/share/fonts/fandol/FandolKai-Regular.otf", 0},
    {"/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolFang-Regular.otf", 0},
    {"/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolSong-Regular.otf", 0},
};

/* Marks in every position compression touches: line ends (at several
 * measures), pairs (。“ ，（), after digits and Latin. */
static const char *const text =
    "现有居民3986户、12130人。在汇演。“石榴籽”活动，（第一期）群众、干部；共计：完成！"
    "辖区内有回族、满族、蒙古族等三个少数民族，共2123户、6483人，占总人口的53.4%。"
    "开展宣传活动20场次，覆盖群众4640人次；发放宣传资料4194份。主要有“石榴籽”政策宣传咨询、"
    "铸牢中华民族共同体意识主题宣讲等活动。举办培训1期，培训60人次。";

static int check_font(const char *path, int index, double size, double width, int *marks)
{
    lexp_doc *doc = lexp__doc_new();
    lexp__fonts *f = NULL;
    lexp_error err;
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    lexp_font_override ov = {LEXP_ROLE_SONG, path, index};
    opt.fonts = &ov;
    opt.nfonts = 1;
    hb_blob_t *blob = hb_blob_create_from_file(path);
    hb_face_t *face = hb_face_create(blob, (unsigned)index);
    hb_font_t *font = hb_font_create(face);
    double upem = hb_face_get_upem(face);
    lexp__lplaced *v = NULL;
    int n = -1;
    if (doc && lexp__fonts_new(&f, doc, &opt, &err) == 0)
        n = lexp__layout_place_text(f, text, LEXP_ROLE_SONG, size, width, &v, &err);
    CHECK(n > 0, "%s: no layout (%s)", path, n < 0 ? err.message : "");
    for (int k = 1; k < n; k++) {
        const lexp__lplaced *c = &v[k], *p = &v[k - 1];
        if (!c->half || c->g.ink != LEXP_INK_LEFT || c->g.slot < 0 || p->line != c->line)
            continue;
        const lexp__face_info *fi = lexp__fonts_info(f, c->g.slot);
        if (!fi || strcmp(fi->path, path) != 0)
            continue; /* from a fallback font */
        hb_glyph_extents_t e;
        if (!hb_font_get_glyph_extents(font, c->g.gid, &e) || e.width <= 0)
            continue;
        double ink0 = c->x + e.x_bearing / upem * size;
        double ink1 = c->x + (e.x_bearing + e.width) / upem * size;
        double before = ink0 - (p->pen + p->adv);
        (*marks)++;
        CHECK(before <= 1.0 && before >= -0.05,
              "%s at %.0f pt: U+%04X after U+%04X has %.2f pt of empty advance before its "
              "ink (at most 1 pt)",
              path, size, c->cp, p->cp, before);
        CHECK(ink1 <= c->pen + c->adv + 0.05 * size,
              "%s at %.0f pt: U+%04X's ink runs %.2f pt past its half advance", path, size,
              c->cp, ink1 - (c->pen + c->adv));
    }
    free(v);
    hb_font_destroy(font);
    hb_face_destroy(face);
    hb_blob_destroy(blob);
    lexp__fonts_free(f);
    lexp_doc_free(doc);
    return n > 0;
}

int main(void)
{
    int tested = 0;
    for (size_t i = 0; i < sizeof fonts / sizeof *fonts; i++) {
        if (access(fonts[i].path, R_OK) != 0) {
            printf("skipped (not installed): %s\n", fonts[i].path);
            continue;
        }
        int marks = 0;
        static const double sizes[] = {16, 22};
        for (int s = 0; s < 2; s++)
            for (int chars = 17; chars <= 28; chars += 1)
                check_font(fonts[i].path, fonts[i].index, sizes[s], chars * sizes[s], &marks);
        CHECK(marks > 100, "%s: only %d compressed marks seen", fonts[i].path, marks);
        printf("%s: %d compressed marks checked\n", fonts[i].path, marks);
        tested++;
    }
    CHECK(tested > 0, "no default font installed");
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    return failures != 0;
}
