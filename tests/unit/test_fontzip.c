/*
 * Font programs deflated in pieces (render/fontzip.c): the stream inflates
 * (with zlib) to the program, its bytes do not depend on what the cache
 * holds, a changed glyph changes the output and still inflates, the cache
 * keeps to its limit, and the glyph bounds of TrueType and CFF programs
 * are read right (and refused when they do not add up).
 */
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "render/fontzip.h"

#define NG 400

typedef struct prog {
    unsigned char *p;
    size_t n;
    size_t b[NG + 1];
} prog;

/* 300 bytes of "tables", NG glyphs of 20-400 bytes, 200 bytes after */
static prog make_prog(uint32_t seed)
{
    prog g;
    g.p = malloc(300 + NG * 400 + 200);
    uint32_t x = 12345;
    size_t at = 0;
    for (int i = 0; i < 300; i++)
        g.p[at++] = (unsigned char)(i * 7);
    g.b[0] = at;
    for (int k = 0; k < NG; k++) {
        x = x * 1103515245u + 12345u;
        size_t len = 20 + (x >> 8) % 380;
        uint32_t y = (uint32_t)k * 2654435761u ^ (k == 200 ? seed : 0);
        for (size_t i = 0; i < len; i++) {
            y = y * 1664525u + 1013904223u;
            g.p[at++] = (unsigned char)((y >> 24) & 0x3F); /* compressible */
        }
        g.b[k + 1] = at;
    }
    for (int i = 0; i < 200; i++)
        g.p[at++] = (unsigned char)(255 - i);
    g.n = at;
    return g;
}

static int inflates_to(const unsigned char *z, size_t zn, const unsigned char *p, size_t n)
{
    unsigned char *o = malloc(n + 16);
    uLongf on = (uLongf)(n + 16);
    int ok = uncompress(o, &on, z, (uLong)zn) == Z_OK && on == n && memcmp(o, p, n) == 0;
    free(o);
    return ok;
}

static void test_roundtrip_and_cache(void)
{
    prog a = make_prog(0), b = make_prog(99);
    lexp__zcache *c = lexp__zcache_new(LEXP_FONTZIP_CACHE_BYTES);
    lexp__zcache *none = lexp__zcache_new(0);
    unsigned char *z1, *z2, *z3, *z4, *z5;
    size_t n1, n2, n3, n4, n5;
    CHECK(lexp__fontzip(c, NULL, a.p, a.n, a.b, NG + 1, &z1, &n1) == 0);
    CHECK(n1 > 10 && z1[0] == 0x78 && z1[1] == 0x9C);
    CHECK(inflates_to(z1, n1, a.p, a.n));
    CHECK(n1 < a.n * 9 / 10); /* it does compress */
    size_t held = lexp__zcache_bytes(c);
    CHECK(held > 0);
    /* every piece from the cache now: the same bytes, nothing added */
    CHECK(lexp__fontzip(c, NULL, a.p, a.n, a.b, NG + 1, &z2, &n2) == 0);
    CHECK(n2 == n1 && memcmp(z1, z2, n1) == 0);
    CHECK(lexp__zcache_bytes(c) == held);
    /* a cache that keeps nothing gives the same bytes */
    CHECK(lexp__fontzip(none, NULL, a.p, a.n, a.b, NG + 1, &z3, &n3) == 0);
    CHECK(n3 == n1 && memcmp(z1, z3, n1) == 0);
    CHECK(lexp__zcache_bytes(none) == 0);
    /* one glyph changed: other bytes, still the program, and the same with
     * the warm cache as without (only its piece is new) */
    CHECK(lexp__fontzip(c, NULL, b.p, b.n, b.b, NG + 1, &z4, &n4) == 0);
    CHECK(inflates_to(z4, n4, b.p, b.n));
    CHECK(!(n4 == n1 && memcmp(z1, z4, n1) == 0));
    CHECK(lexp__fontzip(none, NULL, b.p, b.n, b.b, NG + 1, &z5, &n5) == 0);
    CHECK(n5 == n4 && memcmp(z4, z5, n4) == 0);
    CHECK(lexp__zcache_bytes(c) > held && lexp__zcache_bytes(c) < held + held / 4);
    free(z1);
    free(z2);
    free(z3);
    free(z4);
    free(z5);
    /* bounds that do not add up: one piece, still right */
    size_t bad[3] = {500, 100, 900};
    CHECK(lexp__fontzip(c, NULL, a.p, a.n, bad, 3, &z1, &n1) == 0);
    CHECK(inflates_to(z1, n1, a.p, a.n));
    free(z1);
    size_t out_of[2] = {10, a.n + 1};
    CHECK(lexp__fontzip(c, NULL, a.p, a.n, out_of, 2, &z1, &n1) == 0);
    CHECK(inflates_to(z1, n1, a.p, a.n));
    free(z1);
    /* an empty program is an empty zlib stream */
    CHECK(lexp__fontzip(c, NULL, a.p, 0, NULL, 0, &z1, &n1) == 0);
    CHECK(inflates_to(z1, n1, a.p, 0));
    free(z1);
    lexp__zcache_free(c);
    lexp__zcache_free(none);
    free(a.p);
    free(b.p);
}

/* A cache of 64 KB stays under it, whatever goes through it. */
static void test_limit(void)
{
    lexp__zcache *c = lexp__zcache_new(64 * 1024);
    for (uint32_t s = 1; s <= 12; s++) {
        prog a = make_prog(s * 7919);
        for (size_t i = 0; i < a.n; i++)
            a.p[i] ^= (unsigned char)(s * 31 + i % 13); /* all pieces new */
        unsigned char *z;
        size_t zn;
        CHECK(lexp__fontzip(c, NULL, a.p, a.n, a.b, NG + 1, &z, &zn) == 0);
        CHECK(inflates_to(z, zn, a.p, a.n));
        CHECK(lexp__zcache_bytes(c) <= 64 * 1024);
        free(z);
        free(a.p);
    }
    lexp__zcache_free(c);
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xFFFF);
}

/* A TrueType directory with head (short loca), loca and glyf. */
static void test_ttf_bounds(void)
{
    unsigned char f[512];
    memset(f, 0, sizeof f);
    put16(f + 4, 3);
    size_t dir = 12, head = 64, loca = 128, glyf = 160;
    const char *tags[3] = {"glyf", "head", "loca"};
    size_t offs[3] = {glyf, head, loca}, lens[3] = {100, 54, 8};
    for (int i = 0; i < 3; i++) {
        memcpy(f + dir + 16 * i, tags[i], 4);
        put32(f + dir + 16 * i + 8, (uint32_t)offs[i]);
        put32(f + dir + 16 * i + 12, (uint32_t)lens[i]);
    }
    put16(f + head + 50, 0); /* short offsets: halves */
    unsigned halves[4] = {0, 10, 10, 50};
    for (int i = 0; i < 4; i++)
        put16(f + loca + 2 * i, halves[i]);
    size_t *b, nb;
    CHECK(lexp__fontzip_ttf_bounds(f, sizeof f, &b, &nb) == 0);
    CHECK(nb == 4 && b && b[0] == glyf && b[1] == glyf + 20 && b[2] == glyf + 20 &&
          b[3] == glyf + 100);
    free(b);
    /* a loca past its glyf, or going backwards: no bounds */
    put16(f + loca + 6, 51);
    CHECK(lexp__fontzip_ttf_bounds(f, sizeof f, &b, &nb) == 0 && nb == 0 && !b);
    put16(f + loca + 6, 50);
    put16(f + loca + 4, 5);
    CHECK(lexp__fontzip_ttf_bounds(f, sizeof f, &b, &nb) == 0 && nb == 0 && !b);
    /* a table beyond the file */
    put32(f + dir + 8, 600);
    CHECK(lexp__fontzip_ttf_bounds(f, sizeof f, &b, &nb) == 0 && nb == 0 && !b);
    CHECK(lexp__fontzip_ttf_bounds(f, 8, &b, &nb) == 0 && nb == 0);
}

/* A bare CFF: header, Name INDEX, Top DICT INDEX (CharStrings at 40),
 * empty String and Global Subr INDEXes, a CharStrings INDEX of three. */
static void test_cff_bounds(void)
{
    unsigned char c[64];
    memset(c, 0, sizeof c);
    size_t at = 0;
    c[at++] = 1, c[at++] = 0, c[at++] = 4, c[at++] = 1;         /* header */
    c[at++] = 0, c[at++] = 1, c[at++] = 1, c[at++] = 1, c[at++] = 2, c[at++] = 'A';
    c[at++] = 0, c[at++] = 1, c[at++] = 1, c[at++] = 1, c[at++] = 3; /* Top DICT INDEX */
    c[at++] = 40 + 139, c[at++] = 17;                           /* 40 CharStrings */
    at = 40;
    c[at++] = 0, c[at++] = 3, c[at++] = 1;                      /* count 3, offsize 1 */
    c[at++] = 1, c[at++] = 3, c[at++] = 4, c[at++] = 8;         /* lengths 2, 1, 4 */
    size_t data = at;
    size_t *b, nb;
    CHECK(lexp__fontzip_cff_bounds(c, data + 7, &b, &nb) == 0);
    CHECK(nb == 4 && b && b[0] == data && b[1] == data + 2 && b[2] == data + 3 &&
          b[3] == data + 7);
    free(b);
    /* the INDEX runs past the end: no bounds */
    CHECK(lexp__fontzip_cff_bounds(c, data + 6, &b, &nb) == 0 && nb == 0 && !b);
    CHECK(lexp__fontzip_cff_bounds(c, 3, &b, &nb) == 0 && nb == 0);
}

/* Pieces of every size and kind: one libdeflate block whose last byte has
 * room for the stored block's header or not (both happen among these sizes),
 * stored blocks of random bytes, a piece libdeflate writes in two blocks
 * and a program without bounds over PIECE_MAX (both zlib's). Each stream must
 * inflate to its program with zlib and with libdeflate's own reader. */
static void test_piece_kinds(void)
{
    lexp__zcache *none = lexp__zcache_new(0);
    struct libdeflate_decompressor *dd = libdeflate_alloc_decompressor();
    uint32_t x = 7;
    int bad = 0;
    for (int k = 0; k < 240; k++) {
        size_t n = 40 + (size_t)k * 37, nb = 0, b[64];
        unsigned char *p = malloc(n);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            /* a third compressible, a third random, a third mixed */
            p[i] = (unsigned char)(k % 3 == 0 ? (x >> 28) : k % 3 == 1 ? (x >> 16) : (i & 64 ? x >> 16 : i % 7));
        }
        for (size_t at = 0; at < n && nb < 64; at += 1 + n / 9)
            b[nb++] = at;
        b[nb++] = n;
        unsigned char *z, *o = malloc(n + 1);
        size_t zn, on = 0;
        CHECK(lexp__fontzip(none, NULL, p, n, b, nb, &z, &zn) == 0);
        bad += !inflates_to(z, zn, p, n);
        bad += libdeflate_zlib_decompress(dd, z, zn, o, n + 1, &on) != LIBDEFLATE_SUCCESS || on != n ||
               memcmp(o, p, n) != 0;
        free(z);
        free(o);
        free(p);
    }
    CHECK(bad == 0);
    /* 60 KB, text then noise, as one piece: libdeflate writes two blocks */
    {
        size_t n = 60000, b[2] = {0, 60000}, zn;
        unsigned char *p = malloc(n), *z;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            p[i] = (unsigned char)(i < 30000 ? (uint32_t)"glyf loca hmtx "[i % 15] : x >> 24);
        }
        CHECK(lexp__fontzip(none, NULL, p, n, b, 2, &z, &zn) == 0);
        CHECK(inflates_to(z, zn, p, n));
        free(z);
        free(p);
    }
    /* 600 KB with no bounds: one piece of text, noise and runs */
    size_t n = 600000;
    unsigned char *p = malloc(n), *z;
    size_t zn;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(i < 200000 ? (uint32_t)"glyf loca hmtx "[i % 15] : i < 400000 ? x >> 24 : (uint32_t)(i / 5000) & 3);
    }
    CHECK(lexp__fontzip(none, NULL, p, n, NULL, 0, &z, &zn) == 0);
    CHECK(inflates_to(z, zn, p, n));
    free(z);
    free(p);
    libdeflate_free_decompressor(dd);
    lexp__zcache_free(none);
}

/* What zlib's inflate says of a raw deflate stream: the unused bits of its
 * last byte when it is one final block that ends at that byte, else -1. */
static int zlib_end_bits(const unsigned char *d, size_t dn, size_t n)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, -15) != Z_OK)
        return -2;
    unsigned char *out = malloc(n + 1);
    s.next_in = (Bytef *)d;
    s.avail_in = (uInt)dn;
    s.next_out = out;
    s.avail_out = (uInt)(n + 1);
    int rc = inflate(&s, Z_BLOCK), t = s.data_type;
    int u = (rc == Z_OK || rc == Z_STREAM_END) && (t & 64) && (t & 128) && s.avail_in == 0 &&
                    s.total_out == n
                ? t & 63
                : -1;
    inflateEnd(&s);
    free(out);
    return u;
}

/* lexp__fontzip_end_bits against zlib on libdeflate's output for inputs of
 * every entropy and size at three levels: whenever it gives an answer, it is
 * zlib's, and it answers for most single dynamic blocks (cut and altered
 * streams are read within bounds). */
static void test_end_bits(void)
{
    uint32_t x = 7;
    int answered = 0, dynamic = 0;
    for (int level = 1; level <= 12; level += 5) {
        struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
        for (int k = 0; k < 300; k++) {
            size_t n = 16 + (size_t)(k * 211 % 20000);
            int alphabet = (int[]){2, 5, 17, 64, 256, 3}[k % 6];
            unsigned char *p = malloc(n);
            for (size_t i = 0; i < n; i++) {
                x = x * 1103515245u + 12345u;
                p[i] = k % 7 == 0 ? (unsigned char)"民族团结进步"[i % 18]
                                  : (unsigned char)('A' + (x >> 16) % (uint32_t)alphabet);
            }
            size_t cap = libdeflate_deflate_compress_bound(c, n);
            unsigned char *d = malloc(cap);
            size_t dn = libdeflate_deflate_compress(c, p, n, d, cap);
            CHECK(dn > 0);
            int mine = lexp__fontzip_end_bits(d, dn), theirs = zlib_end_bits(d, dn, n);
            if (mine >= 0)
                CHECK(mine == theirs);
            if (theirs >= 0 && (d[0] & 7) == 5) /* final, dynamic */
                dynamic++;
            answered += mine >= 0;
            /* cut short or altered, it is no longer a compressor's whole output
             * (the answer means nothing then), but it is read within bounds */
            for (size_t cut = 0; cut < dn && cut < 40; cut += 3) {
                int v = lexp__fontzip_end_bits(d, cut);
                CHECK(v >= -1 && v <= 7);
            }
            d[1] ^= 0x10;
            int bent = lexp__fontzip_end_bits(d, dn);
            CHECK(bent >= -1 && bent <= 7);
            free(d);
            free(p);
        }
        libdeflate_free_compressor(c);
    }
    CHECK(dynamic > 300);
    CHECK(answered * 10 > dynamic * 6); /* most of them */
}

/* bits into a deflate stream: fields LSB first, Huffman codes MSB first */
typedef struct bw {
    unsigned char b[64];
    size_t n;
} bw;

static void put_bits(bw *w, unsigned v, int k)
{
    for (int i = 0; i < k; i++, w->n++)
        if ((v >> i) & 1)
            w->b[w->n >> 3] |= (unsigned char)(1u << (w->n & 7));
}

static void put_code(bw *w, unsigned code, int len)
{
    for (int i = len - 1; i >= 0; i--, w->n++)
        if ((code >> i) & 1)
            w->b[w->n >> 3] |= (unsigned char)(1u << (w->n & 7));
}

/* A dynamic block, written by hand, whose end-of-block code is the single
 * bit 0: it could end anywhere in the zero padding, so there is no answer
 * from the header (zlib, which decodes, knows). */
static void test_end_bits_ambiguous(void)
{
    bw w;
    memset(&w, 0, sizeof w);
    put_bits(&w, 1, 1);  /* BFINAL */
    put_bits(&w, 2, 2);  /* dynamic codes */
    put_bits(&w, 0, 5);  /* 257 literal/length codes */
    put_bits(&w, 0, 5);  /* 1 distance code */
    put_bits(&w, 14, 4); /* 18 code-length code lengths, in the format's order */
    static const int cl_len[18] = {0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2};
    for (int i = 0; i < 18; i++) /* 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1 */
        put_bits(&w, (unsigned)cl_len[i], 3);
    /* code-length codes: 0 "00", 1 "01", 2 "10", 18 "11" */
    put_code(&w, 2, 2);             /* literal 0: length 2 */
    put_code(&w, 2, 2);             /* literal 1: length 2 */
    put_code(&w, 3, 2);             /* 138 zeros */
    put_bits(&w, 127, 7);
    put_code(&w, 3, 2);             /* 116 zeros: literals 2-255 */
    put_bits(&w, 105, 7);
    put_code(&w, 1, 2);             /* end of block: length 1, so code 0 */
    put_code(&w, 1, 2);             /* the distance code: length 1 */
    put_code(&w, 0, 1);             /* the end of the block */
    size_t dn = (w.n + 7) / 8;
    CHECK(zlib_end_bits(w.b, dn, 0) == (int)(dn * 8 - w.n));
    CHECK(lexp__fontzip_end_bits(w.b, dn) == -1);
}

int main(void)
{
    test_end_bits();
    test_end_bits_ambiguous();
    test_roundtrip_and_cache();
    test_limit();
    test_piece_kinds();
    test_ttf_bounds();
    test_cff_bounds();
    if (fails)
        printf("%d check(s) failed\n", fails);
    else
        printf("ok\n");
    return fails != 0;
}
