/*
 * Our own TrueType subsets (render/ttfsub.c), read back by HarfBuzz: every
 * glyph keeps its outline box and advance (composites too, so their
 * components are renumbered right), glyph 0 is empty, no instructions are
 * left, the checksums add up, and fonts that do not add up are refused.
 */
#include <hb.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/ttfsub.h"

#define SERIF "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
#define WQY "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

typedef struct srcfont {
    hb_blob_t *file;
    hb_face_t *face;
    hb_font_t *font;
    lexp__ttf_src src;
} srcfont;

static int open_font(srcfont *s, const char *path, unsigned index)
{
    memset(s, 0, sizeof *s);
    s->file = hb_blob_create_from_file_or_fail(path);
    if (!s->file)
        return -1;
    s->face = hb_face_create(s->file, index);
    s->font = hb_font_create(s->face);
    lexp__ttf_src_open(&s->src, s->face);
    return 0;
}

static void close_font(srcfont *s)
{
    lexp__ttf_src_close(&s->src);
    hb_font_destroy(s->font);
    hb_face_destroy(s->face);
    hb_blob_destroy(s->file);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The outline as HarfBuzz draws it (composites from their components),
 * folded into a hash: the glyph header's box alone would not see a
 * component renumbered wrong. */
static void fold(void *h, float a, float b)
{
    uint64_t *x = h;
    *x = (*x ^ (uint64_t)(int64_t)(a * 64)) * 0x100000001B3ull;
    *x = (*x ^ (uint64_t)(int64_t)(b * 64)) * 0x100000001B3ull;
}
static void mv(hb_draw_funcs_t *d, void *h, hb_draw_state_t *st, float x, float y, void *u)
{
    (void)d, (void)st, (void)u;
    fold(h, x, y);
    fold(h, 1, 1);
}
static void ln(hb_draw_funcs_t *d, void *h, hb_draw_state_t *st, float x, float y, void *u)
{
    (void)d, (void)st, (void)u;
    fold(h, x, y);
}
static void qd(hb_draw_funcs_t *d, void *h, hb_draw_state_t *st, float cx, float cy, float x,
               float y, void *u)
{
    (void)d, (void)st, (void)u;
    fold(h, cx, cy);
    fold(h, x, y);
}
static uint64_t outline(hb_font_t *f, uint32_t g)
{
    hb_draw_funcs_t *d = hb_draw_funcs_create();
    hb_draw_funcs_set_move_to_func(d, mv, NULL, NULL);
    hb_draw_funcs_set_line_to_func(d, ln, NULL, NULL);
    hb_draw_funcs_set_quadratic_to_func(d, qd, NULL, NULL);
    uint64_t h = 1469598103934665603ull;
    hb_font_get_glyph_shape(f, g, d, &h); /* HarfBuzz 6 (Debian 12) names it so */
    hb_draw_funcs_destroy(d);
    return h;
}

static uint32_t glyph_of(hb_font_t *f, uint32_t cp)
{
    hb_codepoint_t g = 0;
    hb_font_get_nominal_glyph(f, cp, &g);
    return g;
}

/* Subset `cps` of s and compare every glyph with its source. */
static void check_subset(srcfont *s, const uint32_t *cps, size_t n, int want_composite)
{
    uint32_t gids[64];
    for (size_t i = 0; i < n; i++) {
        gids[i] = glyph_of(s->font, cps[i]);
        CHECK(gids[i] != 0);
    }
    lexp__sbuf out = LEXP__SBUF_INIT;
    uint32_t *old = NULL, ng = 0;
    CHECK(lexp__ttf_subset(&s->src, gids, n, &out, &old, &ng) == LEXP_TTF_OK);
    if (!old) {
        lexp__sbuf_free(&out);
        return;
    }
    /* glyph 0 first, ascending, every wanted glyph present */
    CHECK(ng >= 1 && old[0] == 0);
    for (uint32_t i = 1; i < ng; i++)
        CHECK(old[i] > old[i - 1]);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (uint32_t k = 0; k < ng; k++)
            found |= old[k] == gids[i];
        CHECK(found);
    }
    /* the whole file sums to the magic number, as head says it must */
    uint32_t sum = 0;
    CHECK(out.len % 4 == 0);
    for (size_t i = 0; i + 4 <= out.len; i += 4)
        sum += rd32((const unsigned char *)out.ptr + i);
    CHECK(sum == 0xB1B0AFBAu);

    hb_blob_t *b = hb_blob_create(out.ptr, (unsigned)out.len, HB_MEMORY_MODE_READONLY, NULL, NULL);
    hb_face_t *face = hb_face_create(b, 0);
    hb_font_t *font = hb_font_create(face);
    CHECK(hb_face_get_glyph_count(face) == ng);
    int composites = 0;
    hb_blob_t *glyf = hb_face_reference_table(face, HB_TAG('g', 'l', 'y', 'f'));
    hb_blob_t *loca = hb_face_reference_table(face, HB_TAG('l', 'o', 'c', 'a'));
    unsigned gl, ll;
    const unsigned char *g = (const unsigned char *)hb_blob_get_data(glyf, &gl);
    const unsigned char *l = (const unsigned char *)hb_blob_get_data(loca, &ll);
    CHECK(ll == 2 * (ng + 1)); /* short offsets for a small subset */
    for (uint32_t k = 0; k < ng; k++) {
        hb_glyph_extents_t a, e;
        int ha = hb_font_get_glyph_extents(s->font, old[k], &a);
        int he = hb_font_get_glyph_extents(font, k, &e);
        CHECK(hb_font_get_glyph_h_advance(font, k) == hb_font_get_glyph_h_advance(s->font, old[k]));
        size_t off = 2u * ((unsigned)l[2 * k] << 8 | l[2 * k + 1]);
        size_t end = 2u * ((unsigned)l[2 * k + 2] << 8 | l[2 * k + 3]);
        CHECK(off <= end && end <= gl);
        if (k == 0) {
            CHECK(off == end); /* .notdef without an outline */
            continue;
        }
        CHECK(ha && he);
        CHECK(outline(s->font, old[k]) == outline(font, k));
        CHECK(a.x_bearing == e.x_bearing && a.y_bearing == e.y_bearing && a.width == e.width &&
              a.height == e.height);
        if (end - off >= 12) {
            int16_t nc = (int16_t)(g[off] << 8 | g[off + 1]);
            if (nc >= 0) { /* simple glyph: instruction length 0 */
                size_t at = off + 10 + 2 * (size_t)nc;
                CHECK(g[at] == 0 && g[at + 1] == 0);
            } else {
                composites++;
            }
        }
    }
    CHECK(!want_composite || composites > 0);
    hb_blob_destroy(glyf);
    hb_blob_destroy(loca);
    hb_font_destroy(font);
    hb_face_destroy(face);
    hb_blob_destroy(b);
    free(old);
    lexp__sbuf_free(&out);
}

static void subset_font(const char *path, const uint32_t *cps, size_t n, int want_composite)
{
    srcfont s;
    if (open_font(&s, path, 0)) {
        printf("skip: %s\n", path);
        return;
    }
    check_subset(&s, cps, n, want_composite);
    close_font(&s);
}

static void test_latin_with_composites(void)
{
    /* accented letters are composites of a base letter and an accent */
    const uint32_t cps[] = {'A', 'g', '1', 0xE9, 0xFC, 0xC5, 0x1EBF, 0x2014};
    subset_font(SERIF, cps, sizeof cps / sizeof *cps, 1);
}

static void test_cjk(void)
{
    const uint32_t cps[] = {0x6C11, 0x65CF, 0x56E2, 0x7ED3, 0xFF0C, 0x3002, 0x4E00, 0x9F99};
    subset_font(WQY, cps, sizeof cps / sizeof *cps, 0);
}

static void test_refused(void)
{
    srcfont s;
    if (open_font(&s, SERIF, 0))
        return;
    uint32_t g = glyph_of(s.font, 'A'), *old = (uint32_t *)1, ng = 7;
    lexp__sbuf out = LEXP__SBUF_INIT;
    /* a glyph the font does not have */
    uint32_t bad = 0xFFFF;
    CHECK(lexp__ttf_subset(&s.src, &bad, 1, &out, &old, &ng) == LEXP_TTF_BAD);
    CHECK(!old && ng == 0 && out.len == 0);
    /* loca shorter than the glyph count says */
    lexp__ttf_src t = s.src;
    t.loca_len = 8;
    CHECK(lexp__ttf_subset(&t, &g, 1, &out, &old, &ng) == LEXP_TTF_BAD);
    /* glyf cut short: a glyph would end past it */
    t = s.src;
    t.glyf_len = 4;
    CHECK(lexp__ttf_subset(&t, &g, 1, &out, &old, &ng) == LEXP_TTF_BAD);
    /* no glyf (a CFF font) */
    t = s.src;
    t.glyf = NULL;
    CHECK(lexp__ttf_subset(&t, &g, 1, &out, &old, &ng) == LEXP_TTF_BAD);
    /* a simple glyph whose instruction length runs past its end */
    unsigned char *glyf = malloc(s.src.glyf_len);
    memcpy(glyf, s.src.glyf, s.src.glyf_len);
    t = s.src;
    t.glyf = glyf;
    const unsigned char *l = s.src.loca;
    int wide = s.src.head[51] == 1;
    size_t off = wide ? rd32(l + 4 * g) : 2u * ((unsigned)l[2 * g] << 8 | l[2 * g + 1]);
    size_t nc = (size_t)(glyf[off] << 8 | glyf[off + 1]);
    glyf[off + 10 + 2 * nc] = 0xFF;
    CHECK(lexp__ttf_subset(&t, &g, 1, &out, &old, &ng) == LEXP_TTF_BAD);
    CHECK(out.len == 0);
    free(glyf);
    close_font(&s);
}

int main(void)
{
    test_latin_with_composites();
    test_cjk();
    test_refused();
    if (fails)
        printf("%d check(s) failed\n", fails);
    return fails != 0;
}
