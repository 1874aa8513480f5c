/*
 * The CFF rewriter (render/cff.c) on whole programs: a hand-made CFF whose
 * DICT offsets take the two-byte operand forms (247-254, as font tools
 * write small numbers; hb-subset's output always uses five bytes), the
 * refusal of subroutines when a whole face is subset, INDEX offsets that
 * are checked where they are read, and a real face's program (FandolFang,
 * when installed) subset by map alone: each CID's charstring is the source
 * glyph's, byte for byte.
 */
#include <hb.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/cff.h"

#define FANG "/usr/local/share/fonts/fandol/FandolFang-Regular.otf"

/* Offsets in the hand-made program: the CharStrings INDEX at 200 (operand
 * bytes f7 5c: (247-247)*256 + 0x5c + 108) and the Private DICT at 400
 * (f8 24: (248-247)*256 + 0x24 + 108). */
enum { CS_AT = 200, PRIV_AT = 400, PROG_LEN = 410 };

/* A name-keyed CFF with three glyphs; `gsubr` adds one global subroutine;
 * `bad_offsets` breaks the offsets of glyph 2 (its end before its start). */
static size_t make_cff(unsigned char *b, int gsubr, int bad_offsets)
{
    memset(b, 0, PROG_LEN);
    size_t n = 0;
    static const unsigned char head[] = {
        1, 0, 4, 4,                 /* header */
        0, 1, 1, 1, 2, 'T',         /* Name INDEX: "T" */
        0, 1, 1, 1, 8,              /* Top DICT INDEX: one DICT of 7 bytes */
        0xf7, 0x5c, 17,             /*   CharStrings 200 */
        0x8d, 0xf8, 0x24, 18,       /*   Private size 2, offset 400 */
        0, 0,                       /* String INDEX: empty */
    };
    memcpy(b, head, sizeof head);
    n = sizeof head;
    if (gsubr) {
        static const unsigned char g[] = {0, 1, 1, 1, 2, 11}; /* one subr: return */
        memcpy(b + n, g, sizeof g);
    } /* else the zeros already there: an empty Global Subr INDEX */
    /* glyph 0: endchar; glyph 1: 0 0 rmoveto endchar; glyph 2: 50 hmoveto endchar */
    static const unsigned char cs[] = {0, 3, 1, 1, 2, 6, 9, 14, 139, 139, 21, 14, 189, 22, 14};
    memcpy(b + CS_AT, cs, sizeof cs);
    if (bad_offsets)
        b[CS_AT + 5] = 10; /* glyph 1 ends (and glyph 2 starts) past glyph 2's end */
    static const unsigned char priv[] = {139, 20}; /* defaultWidthX 0 */
    memcpy(b + PRIV_AT, priv, sizeof priv);
    return PROG_LEN;
}

/* Charstring i of a bare CFF program, via lexp__cff_charstrings. */
static int charstring(const unsigned char *p, size_t n, size_t i, const unsigned char **cs,
                      size_t *len)
{
    size_t first, *ends, count;
    if (lexp__cff_charstrings(p, n, &first, &ends, &count) != LEXP_CFF_OK)
        return -1;
    int ok = i < count;
    if (ok) {
        size_t a = i ? ends[i - 1] : first;
        *cs = p + a;
        *len = ends[i] - a;
    }
    free(ends);
    return ok ? 0 : -1;
}

static size_t count_of(const unsigned char *p, size_t n)
{
    size_t first, *ends, count;
    if (lexp__cff_charstrings(p, n, &first, &ends, &count) != LEXP_CFF_OK)
        return 0;
    free(ends);
    return count;
}

/* Every CID c of `out` draws source glyph map[c], byte for byte. */
static void same_charstrings(const unsigned char *src, size_t srclen, const lexp__sbuf *out,
                             const uint32_t *map, size_t ncid)
{
    const unsigned char *o = (const unsigned char *)out->ptr;
    CHECK((long)count_of(o, out->len) == (long)ncid);
    for (size_t c = 0; c < ncid; c++) {
        const unsigned char *a = NULL, *z = NULL;
        size_t an = 0, zn = 0;
        int ra = charstring(src, srclen, map[c], &a, &an);
        int rz = charstring(o, out->len, c, &z, &zn);
        CHECK(ra == 0 && rz == 0);
        CHECK(ra == 0 && rz == 0 && an == zn && memcmp(a, z, an) == 0);
    }
}

static void test_two_byte_operands(void)
{
    unsigned char b[PROG_LEN];
    size_t n = make_cff(b, 0, 0);
    static const uint32_t map[] = {0, 2, 1, 2};
    for (unsigned flags = 0; flags <= LEXP_CFF_WHOLE_FONT; flags++) {
        lexp__sbuf out = LEXP__SBUF_INIT;
        CHECK(lexp__cff_cidfont(b, n, map, 4, flags, &out) == LEXP_CFF_OK);
        same_charstrings(b, n, &out, map, 4);
        lexp__sbuf_free(&out);
    }
}

static void test_whole_font_refuses_subroutines(void)
{
    unsigned char b[PROG_LEN];
    size_t n = make_cff(b, 1, 0);
    static const uint32_t map[] = {0, 1};
    lexp__sbuf out = LEXP__SBUF_INIT;
    CHECK(lexp__cff_cidfont(b, n, map, 2, LEXP_CFF_WHOLE_FONT, &out) == LEXP_CFF_BAD);
    CHECK((long)out.len == 0);
    /* a subset (hb-subset's) keeps its subroutines */
    CHECK(lexp__cff_cidfont(b, n, map, 2, 0, &out) == LEXP_CFF_OK);
    same_charstrings(b, n, &out, map, 2);
    lexp__sbuf_free(&out);
}

static void test_offsets_checked_where_read(void)
{
    unsigned char b[PROG_LEN];
    size_t n = make_cff(b, 0, 1);
    static const uint32_t good[] = {0}, bad1[] = {0, 1}, bad2[] = {0, 2};
    lexp__sbuf out = LEXP__SBUF_INIT;
    CHECK(lexp__cff_cidfont(b, n, good, 1, LEXP_CFF_WHOLE_FONT, &out) == LEXP_CFF_OK);
    lexp__sbuf_free(&out);
    /* glyph 1 would end past the INDEX, glyph 2 before it starts */
    CHECK(lexp__cff_cidfont(b, n, bad1, 2, LEXP_CFF_WHOLE_FONT, &out) == LEXP_CFF_BAD);
    CHECK(lexp__cff_cidfont(b, n, bad2, 2, LEXP_CFF_WHOLE_FONT, &out) == LEXP_CFF_BAD);
    CHECK((long)out.len == 0);
    lexp__sbuf_free(&out);
    size_t first, *ends = NULL, count;
    CHECK(lexp__cff_charstrings(b, n, &first, &ends, &count) == LEXP_CFF_BAD);
    CHECK(ends == NULL);
}

static void test_fandol_whole_font(void)
{
    hb_blob_t *file = hb_blob_create_from_file_or_fail(FANG);
    if (!file) {
        printf("skip: %s\n", FANG);
        return;
    }
    hb_face_t *face = hb_face_create(file, 0);
    hb_blob_t *t = hb_face_reference_table(face, HB_TAG('C', 'F', 'F', ' '));
    unsigned len;
    const unsigned char *p = (const unsigned char *)hb_blob_get_data(t, &len);
    CHECK(len > 1000000);
    /* glyph 0, CJK glyphs, one repeated (a half-width CID), glyph 0 again */
    uint32_t map[] = {0, 0, 0, 0, 0, 0};
    static const hb_codepoint_t cps[] = {0x6C11, 0x65CF, 0x56E2, 0x3002};
    hb_font_t *font = hb_font_create(face);
    for (int i = 0; i < 4; i++)
        CHECK(hb_font_get_nominal_glyph(font, cps[i], &map[i + 1]));
    map[5] = map[4];
    lexp__sbuf out = LEXP__SBUF_INIT;
    CHECK(lexp__cff_cidfont(p, len, map, 6, LEXP_CFF_WHOLE_FONT, &out) == LEXP_CFF_OK);
    same_charstrings(p, len, &out, map, 6);
    CHECK(out.len < 10000); /* the glyphs, not the font */
    lexp__sbuf_free(&out);
    hb_font_destroy(font);
    hb_blob_destroy(t);
    hb_face_destroy(face);
    hb_blob_destroy(file);
}

int main(void)
{
    test_two_byte_operands();
    test_whole_font_refuses_subroutines();
    test_offsets_checked_where_read();
    test_fandol_whole_font();
    if (fails)
        printf("%d check(s) failed\n", fails);
    return fails != 0;
}
