/*
 * TrueType subsets for PDF (see ttfsub.h).
 */
#include "ttfsub.h"

#include <stdlib.h>
#include <string.h>

static const hb_tag_t src_tags[8] = {
    HB_TAG('h', 'e', 'a', 'd'), HB_TAG('h', 'h', 'e', 'a'), HB_TAG('m', 'a', 'x', 'p'),
    HB_TAG('l', 'o', 'c', 'a'), HB_TAG('g', 'l', 'y', 'f'), HB_TAG('h', 'm', 't', 'x'),
    HB_TAG('O', 'S', '/', '2'), HB_TAG('p', 'o', 's', 't')};

void lexp__ttf_src_open(lexp__ttf_src *s, hb_face_t *face)
{
    const unsigned char **p[8] = {&s->head, &s->hhea, &s->maxp, &s->loca,
                                  &s->glyf, &s->hmtx, &s->os2,  &s->post};
    size_t *l[8] = {&s->head_len, &s->hhea_len, &s->maxp_len, &s->loca_len,
                    &s->glyf_len, &s->hmtx_len, &s->os2_len,  &s->post_len};
    for (int i = 0; i < 8; i++) {
        unsigned len;
        s->blob[i] = hb_face_reference_table(face, src_tags[i]);
        *p[i] = (const unsigned char *)hb_blob_get_data(s->blob[i], &len);
        *l[i] = *p[i] ? len : 0;
    }
}

void lexp__ttf_src_close(lexp__ttf_src *s)
{
    for (int i = 0; i < 8; i++)
        hb_blob_destroy(s->blob[i]);
}

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}
static void wr32(unsigned char *p, uint32_t v)
{
    wr16(p, v >> 16);
    wr16(p + 2, v);
}

/* composite glyph component flags */
#define ARG_WORDS 0x0001
#define HAS_SCALE 0x0008
#define MORE 0x0020
#define XY_SCALE 0x0040
#define TWO_BY_TWO 0x0080
#define HAS_INSTR 0x0100

typedef struct src_view {
    const lexp__ttf_src *t;
    uint32_t nglyphs, nhm;
    int long_loca;
} src_view;

/* Bytes [*off, *end) of glyph g in glyf; 0, or -1 when loca points out. */
static int glyph_at(const src_view *v, uint32_t g, size_t *off, size_t *end)
{
    const unsigned char *l = v->t->loca;
    size_t a, b;
    if (v->long_loca) {
        a = rd32(l + 4 * (size_t)g);
        b = rd32(l + 4 * (size_t)g + 4);
    } else {
        a = 2 * (size_t)rd16(l + 2 * (size_t)g);
        b = 2 * (size_t)rd16(l + 2 * (size_t)g + 2);
    }
    if (a > b || b > v->t->glyf_len)
        return -1;
    *off = a;
    *end = b;
    return 0;
}

/* Bytes of a component record with these flags. */
static size_t component_size(uint32_t fl)
{
    return 4 + ((fl & ARG_WORDS) ? 4 : 2) +
           ((fl & HAS_SCALE) ? 2 : (fl & XY_SCALE) ? 4 : (fl & TWO_BY_TWO) ? 8 : 0);
}

/* The end of a composite glyph's component records (from byte 10), or 0
 * when they run past len. *last = offset of the last record's flags. */
static size_t composite_end(const unsigned char *g, size_t len, size_t *last)
{
    size_t p = 10;
    for (;;) {
        if (p + 4 > len)
            return 0;
        uint32_t fl = rd16(g + p);
        *last = p;
        p += component_size(fl);
        if (p > len)
            return 0;
        if (!(fl & MORE))
            return p;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Mark glyph 0, gids and their components (composites nest) in `in`. */
static int closure(const src_view *v, const uint32_t *gids, size_t n, uint64_t *in)
{
    size_t cap = n + 1, top = 0;
    uint32_t *stack = malloc(cap * sizeof *stack);
    if (!stack)
        return LEXP_TTF_OOM;
    int rc = LEXP_TTF_OK;
    for (size_t i = 0; i <= n; i++) {
        uint32_t g = i < n ? gids[i] : 0;
        if (g >= v->nglyphs) {
            rc = LEXP_TTF_BAD;
            goto done;
        }
        if (!(in[g >> 6] >> (g & 63) & 1)) {
            in[g >> 6] |= 1ull << (g & 63);
            stack[top++] = g;
        }
    }
    while (top) {
        uint32_t g = stack[--top];
        size_t off, end, last;
        if (glyph_at(v, g, &off, &end)) {
            rc = LEXP_TTF_BAD;
            goto done;
        }
        const unsigned char *p = v->t->glyf + off;
        size_t len = end - off;
        if (len == 0)
            continue;
        if (len < 10) {
            rc = LEXP_TTF_BAD;
            goto done;
        }
        if (!(rd16(p) & 0x8000))
            continue;
        if (!composite_end(p, len, &last)) {
            rc = LEXP_TTF_BAD;
            goto done;
        }
        for (size_t q = 10;;) {
            uint32_t fl = rd16(p + q), c = rd16(p + q + 2);
            if (c >= v->nglyphs) {
                rc = LEXP_TTF_BAD;
                goto done;
            }
            if (!(in[c >> 6] >> (c & 63) & 1)) {
                in[c >> 6] |= 1ull << (c & 63);
                if (top == cap) {
                    uint32_t *ns = realloc(stack, 2 * cap * sizeof *ns);
                    if (!ns) {
                        rc = LEXP_TTF_OOM;
                        goto done;
                    }
                    stack = ns;
                    cap *= 2;
                }
                stack[top++] = c;
            }
            if (q == last)
                break;
            q += component_size(fl);
        }
    }
done:
    free(stack);
    return rc;
}

/* Size of glyph g without its instructions (0 for an empty glyph). */
static size_t stripped_len(const unsigned char *p, size_t len)
{
    if (len == 0)
        return 0;
    if (rd16(p) & 0x8000) {
        size_t last;
        return composite_end(p, len, &last);
    }
    size_t nc = rd16(p), at = 10 + 2 * nc;
    return len - rd16(p + at); /* instruction bytes checked by the caller */
}

/* Checks a simple glyph's header and instruction length. */
static int simple_ok(const unsigned char *p, size_t len)
{
    size_t nc = rd16(p), at = 10 + 2 * nc;
    return at + 2 <= len && at + 2 + rd16(p + at) <= len;
}

static uint32_t checksum(const unsigned char *p, size_t n)
{
    uint32_t s = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        s += rd32(p + i);
    if (i < n) {
        unsigned char t[4] = {0, 0, 0, 0};
        memcpy(t, p + i, n - i);
        s += rd32(t);
    }
    return s;
}

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

enum { T_OS2, T_GLYF, T_HEAD, T_HHEA, T_HMTX, T_LOCA, T_MAXP, T_POST, T_COUNT };
static const char tags[T_COUNT][5] = {"OS/2", "glyf", "head", "hhea",
                                      "hmtx", "loca", "maxp", "post"};
/* where the tables' data go: the small ones first, glyf last */
static const int data_order[T_COUNT] = {T_HEAD, T_HHEA, T_MAXP, T_OS2,
                                        T_POST, T_HMTX, T_LOCA, T_GLYF};

int lexp__ttf_subset(const lexp__ttf_src *t, const uint32_t *gids, size_t n, lexp__sbuf *out,
                     uint32_t **old_out, uint32_t *ng_out)
{
    *old_out = NULL;
    *ng_out = 0;
    if (!t->head || t->head_len < 54 || !t->hhea || t->hhea_len < 36 || !t->maxp ||
        t->maxp_len < 6 || !t->loca || !t->glyf || !t->hmtx || rd32(t->head) != 0x00010000u)
        return LEXP_TTF_BAD;
    src_view v = {t, rd16(t->maxp + 4), rd16(t->hhea + 34), rd16(t->head + 50) == 1};
    if (v.nglyphs == 0 || v.nhm == 0 || v.nhm > v.nglyphs ||
        t->loca_len < ((size_t)v.nglyphs + 1) * (v.long_loca ? 4 : 2) ||
        t->hmtx_len < 4 * (size_t)v.nhm)
        return LEXP_TTF_BAD;

    size_t words = ((size_t)v.nglyphs + 63) / 64;
    uint64_t *in = calloc(words, sizeof *in);
    if (!in)
        return LEXP_TTF_OOM;
    int rc = closure(&v, gids, n, in);
    uint32_t *old = NULL;
    size_t ng = 0;
    if (rc == LEXP_TTF_OK) {
        for (size_t w = 0; w < words; w++)
            ng += (size_t)__builtin_popcountll(in[w]);
        old = malloc(ng * sizeof *old);
        if (!old)
            rc = LEXP_TTF_OOM;
    }
    size_t k = 0;
    for (size_t w = 0; rc == LEXP_TTF_OK && w < words; w++)
        for (uint64_t b = in[w]; b; b &= b - 1)
            old[k++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
    free(in);
    if (rc != LEXP_TTF_OK) {
        free(old);
        return rc;
    }

    /* glyph sizes without instructions, padded to even (short loca) */
    size_t glen = 0;
    for (size_t i = 0; i < ng; i++) {
        size_t off, end;
        if (glyph_at(&v, old[i], &off, &end))
            goto bad;
        const unsigned char *p = t->glyf + off;
        size_t len = end - off;
        if (len && (len < 10 || (!(rd16(p) & 0x8000) && !simple_ok(p, len))))
            goto bad;
        if (old[i] != 0) /* .notdef without its outline, as hb-subset leaves it */
            glen += (stripped_len(p, len) + 1) & ~(size_t)1;
    }
    int long_out = glen > 0x1FFFEu;
    size_t len_of[T_COUNT];
    len_of[T_OS2] = t->os2 && t->os2_len >= 78 && t->os2_len <= 4096 ? t->os2_len : 0;
    len_of[T_GLYF] = glen;
    len_of[T_HEAD] = 54;
    len_of[T_HHEA] = 36;
    len_of[T_HMTX] = 4 * ng;
    len_of[T_LOCA] = (ng + 1) * (long_out ? 4 : 2);
    len_of[T_MAXP] = t->maxp_len >= 32 ? 32 : 6;
    len_of[T_POST] = 32;
    int nt = len_of[T_OS2] ? T_COUNT : T_COUNT - 1;
    size_t total = 12 + 16 * (size_t)nt;
    for (int i = 0; i < T_COUNT; i++)
        total += pad4(len_of[i]);
    if (lexp__sbuf_grow(out, total))
        goto oom;
    unsigned char *f = (unsigned char *)out->ptr + out->len, *at[T_COUNT];
    memset(f, 0, total);
    size_t pos = 12 + 16 * (size_t)nt;
    for (int i = 0; i < T_COUNT; i++) {
        int tb = data_order[i];
        at[tb] = f + pos;
        pos += pad4(len_of[tb]);
    }

    memcpy(at[T_HEAD], t->head, 54);
    wr32(at[T_HEAD] + 8, 0); /* checkSumAdjustment, set at the end */
    wr16(at[T_HEAD] + 50, long_out);
    memcpy(at[T_HHEA], t->hhea, 36);
    wr16(at[T_HHEA] + 34, (uint32_t)ng);
    memcpy(at[T_MAXP], t->maxp, len_of[T_MAXP]);
    wr16(at[T_MAXP] + 4, (uint32_t)ng);
    if (len_of[T_MAXP] == 32)
        wr16(at[T_MAXP] + 26, 0); /* maxSizeOfInstructions: none are left */
    if (len_of[T_OS2])
        memcpy(at[T_OS2], t->os2, len_of[T_OS2]);
    if (t->post && t->post_len >= 32)
        memcpy(at[T_POST], t->post, 32);
    wr32(at[T_POST], 0x00030000u); /* no glyph names */
    for (size_t i = 0; i < ng; i++) {
        uint32_t g = old[i];
        uint32_t adv = rd16(t->hmtx + 4 * (size_t)(g < v.nhm ? g : v.nhm - 1)), lsb = 0;
        if (g < v.nhm)
            lsb = rd16(t->hmtx + 4 * (size_t)g + 2);
        else if (4 * (size_t)v.nhm + 2 * (size_t)(g - v.nhm) + 2 <= t->hmtx_len)
            lsb = rd16(t->hmtx + 4 * (size_t)v.nhm + 2 * (size_t)(g - v.nhm));
        wr16(at[T_HMTX] + 4 * i, adv);
        wr16(at[T_HMTX] + 4 * i + 2, lsb);
    }
    size_t go = 0;
    for (size_t i = 0; i <= ng; i++) {
        if (long_out)
            wr32(at[T_LOCA] + 4 * i, (uint32_t)go);
        else
            wr16(at[T_LOCA] + 2 * i, (uint32_t)(go / 2));
        if (i == ng)
            break;
        size_t off = 0, end = 0, last = 0;
        glyph_at(&v, old[i], &off, &end);
        const unsigned char *p = t->glyf + off;
        size_t len = end - off;
        unsigned char *d = at[T_GLYF] + go;
        if (len == 0 || old[i] == 0)
            continue;
        if (rd16(p) & 0x8000) {
            size_t ce = composite_end(p, len, &last);
            memcpy(d, p, ce);
            for (size_t q = 10;;) {
                uint32_t fl = rd16(d + q), c = rd16(d + q + 2);
                const uint32_t *nc = bsearch(&c, old, ng, sizeof *old, cmp_u32);
                wr16(d + q + 2, nc ? (uint32_t)(nc - old) : 0);
                if (q == last) {
                    wr16(d + q, fl & ~(uint32_t)HAS_INSTR);
                    break;
                }
                q += component_size(fl);
            }
            go += (ce + 1) & ~(size_t)1;
        } else {
            size_t ia = 10 + 2 * (size_t)rd16(p), il = rd16(p + ia);
            memcpy(d, p, ia);
            /* instruction length 0 (memset), then flags and coordinates */
            memcpy(d + ia + 2, p + ia + 2 + il, len - ia - 2 - il);
            go += (len - il + 1) & ~(size_t)1;
        }
    }

    wr32(f, 0x00010000u);
    wr16(f + 4, (uint32_t)nt);
    int es = 0;
    while ((2 << es) <= nt)
        es++;
    wr16(f + 6, 16u << es);
    wr16(f + 8, (uint32_t)es);
    wr16(f + 10, (uint32_t)(nt * 16 - (16 << es)));
    unsigned char *r = f + 12;
    /* the tables start on 4-byte boundaries and are padded with zeros, so
     * the file's checksum is the directory's plus the tables' own */
    uint32_t sum = 0;
    for (int i = 0; i < T_COUNT; i++) {
        if (!len_of[i])
            continue;
        uint32_t cs = checksum(at[i], len_of[i]);
        sum += cs;
        memcpy(r, tags[i], 4);
        wr32(r + 4, cs);
        wr32(r + 8, (uint32_t)(at[i] - f));
        wr32(r + 12, (uint32_t)len_of[i]);
        r += 16;
    }
    sum += checksum(f, 12 + 16 * (size_t)nt);
    wr32(at[T_HEAD] + 8, 0xB1B0AFBAu - sum);
    out->len += total;
    *old_out = old;
    *ng_out = (uint32_t)ng;
    return LEXP_TTF_OK;
bad:
    free(old);
    return LEXP_TTF_BAD;
oom:
    free(old);
    return LEXP_TTF_OOM;
}
