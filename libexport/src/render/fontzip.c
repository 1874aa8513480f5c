/*
 * Font programs deflated in pieces (see fontzip.h).
 */
#include "fontzip.h"

#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../engine.h"
#include "../util/util.h"
#include "cff.h"

/* A piece ends after a glyph whose hash has these bits clear (one glyph in
 * 16 on average: pieces of ~4-8 KB in CJK fonts, so a new glyph costs the
 * deflation of a few KB while the per-piece overhead stays ~10%), or once
 * it holds this many bytes. */
#define PIECE_MASK 15u
#define PIECE_MAX (64u * 1024u)
/* the level of both deflaters: pieces are deflated once and then copied */
#define PIECE_LEVEL 6

typedef struct zent {
    struct zent *next;
    uint64_t hash;
    size_t n, zn;
    unsigned char *src; /* the piece, to compare */
    unsigned char *z;   /* raw deflate, ending in a sync flush */
    uLong adler;        /* Adler-32 of the piece, combined into the program's */
    uint64_t stamp;
} zent;

struct lexp__zcache {
    zent **tab;
    size_t cap, count, bytes, max;
    uint64_t clock;
};

lexp__zcache *lexp__zcache_new(size_t max_bytes)
{
    lexp__zcache *c = calloc(1, sizeof *c);
    if (c)
        c->max = max_bytes;
    return c;
}

size_t lexp__zcache_bytes(const lexp__zcache *c) { return c->bytes; }

static void zent_free(zent *e)
{
    free(e->src);
    free(e->z);
    free(e);
}

void lexp__zcache_free(lexp__zcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->cap; i++)
        for (zent *e = c->tab[i], *nx; e; e = nx) {
            nx = e->next;
            zent_free(e);
        }
    free(c->tab);
    free(c);
}

/* A word at a time: the pieces of every document are hashed, hits and all */
static uint64_t hash64(const unsigned char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ull;
    h ^= h >> 29;
    h *= 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 32);
}

static zent *zfind(const lexp__zcache *c, uint64_t h, const unsigned char *p, size_t n)
{
    if (!c->cap)
        return NULL;
    for (zent *e = c->tab[h & (c->cap - 1)]; e; e = e->next)
        if (e->hash == h && e->n == n && memcmp(e->src, p, n) == 0)
            return e;
    return NULL;
}

typedef struct zage {
    uint64_t stamp;
    size_t bytes;
} zage;

static int cmp_age(const void *a, const void *b)
{
    uint64_t x = ((const zage *)a)->stamp, y = ((const zage *)b)->stamp;
    return x < y ? -1 : x > y;
}

static size_t zent_bytes(const zent *e) { return e->n + e->zn + sizeof *e; }

/* Over the limit: drop the least recently used pieces down to 3/4 of it. */
static void zevict(lexp__zcache *c)
{
    if (c->bytes <= c->max)
        return;
    zage *ag = malloc(c->count * sizeof *ag);
    uint64_t cut = c->clock + 1; /* without memory for the ages: drop all */
    if (ag) {
        size_t k = 0;
        for (size_t i = 0; i < c->cap; i++)
            for (zent *e = c->tab[i]; e; e = e->next)
                ag[k++] = (zage){e->stamp, zent_bytes(e)};
        qsort(ag, k, sizeof *ag, cmp_age);
        size_t left = c->bytes, i = 0;
        while (i < k && left > c->max / 4 * 3)
            left -= ag[i++].bytes;
        cut = i < k ? ag[i].stamp : c->clock + 1;
        free(ag);
    }
    for (size_t i = 0; i < c->cap; i++)
        for (zent **pp = &c->tab[i]; *pp;) {
            zent *e = *pp;
            if (e->stamp < cut) {
                *pp = e->next;
                c->bytes -= zent_bytes(e);
                c->count--;
                zent_free(e);
            } else {
                pp = &e->next;
            }
        }
}

/* Insert (taking src and z); on failure the caller keeps ownership. */
static int zput(lexp__zcache *c, zent *e)
{
    if (c->count >= c->cap / 2) {
        size_t nc = c->cap ? c->cap * 2 : 256;
        zent **nt = calloc(nc, sizeof *nt);
        if (!nt)
            return -1;
        for (size_t i = 0; i < c->cap; i++)
            for (zent *x = c->tab[i], *nx; x; x = nx) {
                nx = x->next;
                x->next = nt[x->hash & (nc - 1)];
                nt[x->hash & (nc - 1)] = x;
            }
        free(c->tab);
        c->tab = nt;
        c->cap = nc;
    }
    e->next = c->tab[e->hash & (c->cap - 1)];
    c->tab[e->hash & (c->cap - 1)] = e;
    c->count++;
    c->bytes += zent_bytes(e);
    zevict(c);
    return 0;
}

typedef struct zout {
    unsigned char *p;
    size_t len, cap;
} zout;

static int zout_put(zout *o, const void *p, size_t n)
{
    if (o->cap - o->len < n) {
        size_t nc = o->cap ? o->cap : 4096;
        while (nc - o->len < n)
            nc *= 2;
        unsigned char *np = realloc(o->p, nc);
        if (!np)
            return -1;
        o->p = np;
        o->cap = nc;
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
    return 0;
}

/* The deflaters of one lexp__fontzip call, made when a piece needs them. */
typedef struct pz {
    struct libdeflate_compressor *ld;
    z_stream def, inf; /* zlib's deflater (the fallback) and raw inflater */
    int def_init, inf_init;
    unsigned char *scratch;
    size_t scap;
} pz;

static void pz_end(pz *z)
{
    libdeflate_free_compressor(z->ld);
    if (z->def_init)
        deflateEnd(&z->def);
    if (z->inf_init)
        inflateEnd(&z->inf);
    free(z->scratch);
}

/* ---- where a dynamic block ends, from its header ---------------------------- */

typedef struct bitrd {
    const unsigned char *d;
    size_t nbits, pos; /* LSB first, as deflate packs its bits */
} bitrd;

static int bit_at(const unsigned char *d, size_t i) { return (d[i >> 3] >> (i & 7)) & 1; }

/* k bits, the first read the lowest; -1 past the end */
static int take(bitrd *r, int k)
{
    if (r->pos + (size_t)k > r->nbits)
        return -1;
    int v = 0;
    for (int i = 0; i < k; i++)
        v |= bit_at(r->d, r->pos++) << i;
    return v;
}

/* The code-length code of a dynamic header (19 symbols, up to 7 bits): how
 * many codes each length has, and the symbols in code order. */
typedef struct clcode {
    unsigned char count[8];
    unsigned char sym[19];
} clcode;

static void clcode_make(clcode *c, const unsigned char *len)
{
    memset(c->count, 0, sizeof c->count);
    int k = 0;
    for (int l = 1; l <= 7; l++)
        for (int s = 0; s < 19; s++)
            if (len[s] == l) {
                c->count[l]++;
                c->sym[k++] = (unsigned char)s;
            }
}

/* One symbol, read a bit at a time: the codes of each length are
 * consecutive, so a code of length l is the (code - first)th symbol of that
 * length. -1 when the bits match no code. */
static int take_sym(bitrd *r, const clcode *c)
{
    int code = 0, first = 0, index = 0;
    for (int l = 1; l <= 7; l++) {
        int b = take(r, 1);
        if (b < 0)
            return -1;
        code |= b;
        if (code - first < c->count[l])
            return c->sym[index + code - first];
        index += c->count[l];
        first = (first + c->count[l]) << 1;
        code <<= 1;
    }
    return -1;
}

int lexp__fontzip_end_bits(const unsigned char *d, size_t dn)
{
    if (dn < 2 || dn > ((size_t)-1) / 8)
        return -1;
    bitrd r = {d, dn * 8, 0};
    /* BFINAL set (so the only block), BTYPE 2 (dynamic codes) */
    if (take(&r, 1) != 1 || take(&r, 2) != 2)
        return -1;
    int hlit = take(&r, 5), hdist = take(&r, 5), hclen = take(&r, 4);
    if (hlit < 0 || hdist < 0 || hclen < 0)
        return -1;
    hlit += 257;
    hdist += 1;
    hclen += 4;
    if (hlit > 286 || hdist > 30)
        return -1;
    static const unsigned char order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                            11, 4,  12, 3, 13, 2, 14, 1, 15};
    unsigned char cl[19] = {0}, lens[288 + 32] = {0};
    for (int i = 0; i < hclen; i++) {
        int v = take(&r, 3);
        if (v < 0)
            return -1;
        cl[order[i]] = (unsigned char)v;
    }
    clcode cc;
    clcode_make(&cc, cl);
    int total = hlit + hdist;
    for (int i = 0; i < total;) {
        int sym = take_sym(&r, &cc);
        int rep = 0, val = 0;
        if (sym < 0)
            return -1;
        if (sym < 16) {
            lens[i++] = (unsigned char)sym;
            continue;
        }
        if (sym == 16) {
            if (i == 0 || (rep = take(&r, 2)) < 0)
                return -1;
            rep += 3;
            val = lens[i - 1];
        } else if (sym == 17) {
            if ((rep = take(&r, 3)) < 0)
                return -1;
            rep += 3;
        } else {
            if ((rep = take(&r, 7)) < 0)
                return -1;
            rep += 11;
        }
        if (i + rep > total)
            return -1;
        while (rep--)
            lens[i++] = (unsigned char)val;
    }
    /* the end-of-block symbol's canonical code */
    int L = lens[256];
    if (L == 0)
        return -1;
    int bl_count[16] = {0};
    for (int s = 0; s < hlit; s++)
        bl_count[lens[s]]++;
    bl_count[0] = 0;
    int code = 0;
    for (int l = 1; l < L; l++)
        code = (code + bl_count[l]) << 1;
    for (int s = 0; s < 256; s++)
        code += lens[s] == L;
    /* the block's last code is that one, MSB first, then zero bits to the end
     * of the byte: the one place where both hold is the end (two or none:
     * let zlib tell) */
    int found = -1;
    for (int u = 0; u < 8; u++) {
        size_t end = r.nbits - (size_t)u;
        if (end < r.pos + (size_t)L)
            break;
        int ok = u == 0 || (d[dn - 1] >> (8 - u)) == 0;
        for (int i = 0; ok && i < L; i++)
            ok = bit_at(d, end - (size_t)L + (size_t)i) == ((code >> (L - 1 - i)) & 1);
        if (ok) {
            if (found >= 0)
                return -1;
            found = u;
        }
    }
    return found;
}

/* The unused bits (0-7) of the last byte of d[0..dn) when it is one final
 * deflate block holding exactly p[0..n) and padded with zero bits; -1 when
 * it is not, -2 when out of memory. zlib's inflate stops at the first block
 * boundary under Z_BLOCK and then reports the unused bits in data_type. */
static int one_final_block(pz *z, const unsigned char *d, size_t dn, const unsigned char *p,
                           size_t n)
{
    if (!z->inf_init) {
        memset(&z->inf, 0, sizeof z->inf);
        if (inflateInit2(&z->inf, -15) != Z_OK)
            return -2;
        z->inf_init = 1;
    } else if (inflateReset(&z->inf) != Z_OK) {
        return -2;
    }
    if (lexp__grow((void **)&z->scratch, &z->scap, n + 1, 1))
        return -2;
    z->inf.next_in = (Bytef *)d;
    z->inf.avail_in = (uInt)dn;
    z->inf.next_out = z->scratch;
    z->inf.avail_out = (uInt)(n + 1);
    /* it stops after the first block: 64 in data_type says that block was
     * the last, 128 that it stopped at a block boundary */
    int rc = inflate(&z->inf, Z_BLOCK), t = z->inf.data_type;
    if ((rc != Z_OK && rc != Z_STREAM_END) || !(t & 64) || !(t & 128) || z->inf.avail_in != 0 ||
        z->inf.total_out != n || memcmp(z->scratch, p, n) != 0)
        return -1;
    int u = t & 63;
    if (u > 7 || (u && d[dn - 1] >> (8 - u)))
        return -1;
    return u;
}

/* The piece by libdeflate, made a sync flush: 0, 1 when libdeflate wrote
 * several blocks (zlib then deflates it), -1 when out of memory. */
static int ld_piece(pz *z, const unsigned char *p, size_t n, unsigned char **out, size_t *outlen)
{
    if (!z->ld && !(z->ld = libdeflate_alloc_compressor(PIECE_LEVEL)))
        return -1;
    size_t cap = libdeflate_deflate_compress_bound(z->ld, n) + 5;
    unsigned char *d = malloc(cap);
    if (!d)
        return -1;
    size_t dn = libdeflate_deflate_compress(z->ld, p, n, d, cap - 5);
    /* the end of the block from its header (no inflate), else from zlib */
    int u = dn ? lexp__fontzip_end_bits(d, dn) : -1;
    if (dn && u < 0)
        u = one_final_block(z, d, dn, p, n);
    if (u < 0) {
        free(d);
        return u == -2 ? -1 : 1;
    }
    d[0] &= 0xFE; /* BFINAL is the block's first bit */
    if (u < 3)    /* the stored block's 3-bit header does not fit in the last byte */
        d[dn++] = 0;
    static const unsigned char empty[4] = {0x00, 0x00, 0xFF, 0xFF}; /* LEN 0, NLEN */
    memcpy(d + dn, empty, 4);
    *out = d;
    *outlen = dn + 4;
    return 0;
}

/* Raw deflate of one piece, byte-aligned and not final (a sync flush).
 * libdeflate deflates twice as fast as zlib for the same size, but ends its
 * stream with a final block and has no flush: when its output is a single
 * block (pieces are a few KB), the block's final bit is cleared and an empty
 * stored block appended, which is what zlib's sync flush writes. Where the
 * block ends, to the bit, is read from its header when that tells
 * (lexp__fontzip_end_bits: most pieces), else from zlib's inflate. Otherwise,
 * and for a piece over PIECE_MAX (a program without glyph bounds, which
 * would come out in several blocks), zlib deflates the piece. Either way the
 * bytes depend on the piece alone. */
static int deflate_piece(pz *z, const unsigned char *p, size_t n, unsigned char **out,
                         size_t *outlen)
{
    int rc = n <= PIECE_MAX ? ld_piece(z, p, n, out, outlen) : 1;
    if (rc <= 0)
        return rc;
    if (!z->def_init) {
        memset(&z->def, 0, sizeof z->def);
        if (deflateInit2(&z->def, PIECE_LEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        z->def_init = 1;
    } else if (deflateReset(&z->def) != Z_OK) {
        return -1;
    }
    size_t cap = deflateBound(&z->def, (uLong)n) + 16;
    unsigned char *d = malloc(cap);
    if (!d)
        return -1;
    z->def.next_in = (Bytef *)p;
    z->def.avail_in = (uInt)n;
    z->def.next_out = d;
    z->def.avail_out = (uInt)cap;
    if (deflate(&z->def, Z_SYNC_FLUSH) != Z_OK || z->def.avail_in != 0 || z->def.avail_out == 0) {
        free(d);
        return -1;
    }
    *out = d;
    *outlen = cap - z->def.avail_out;
    return 0;
}

/* Adler-32 of n bytes (zlib's takes uInt lengths). */
static uLong adler_of(const unsigned char *p, size_t n)
{
    uLong a = adler32(0L, Z_NULL, 0);
    for (size_t off = 0; off < n;) {
        size_t k = n - off > 1u << 30 ? 1u << 30 : n - off;
        a = adler32(a, p + off, (uInt)k);
        off += k;
    }
    return a;
}

/* Append the deflated piece p[0..n), whose key hash is h: from the cache,
 * or deflated and added; its Adler-32 is folded into *ad (a cached piece
 * keeps its own, so a hit reads none of the piece's bytes twice). */
static int put_piece(lexp__zcache *c, lexp_engine *eng, pz *z, zout *o,
                     const unsigned char *p, size_t n, uint64_t h, uLong *ad)
{
    if (n == 0)
        return 0;
    if (!c->max) { /* a cache that keeps nothing */
        unsigned char *d;
        size_t dn;
        if (deflate_piece(z, p, n, &d, &dn))
            return -1;
        int rc = zout_put(o, d, dn);
        free(d);
        *ad = adler32_combine(*ad, adler_of(p, n), (z_off_t)n);
        return rc;
    }
    lexp__engine_lock(eng);
    zent *e = zfind(c, h, p, n);
    int rc = 0;
    if (e) {
        e->stamp = ++c->clock;
        rc = zout_put(o, e->z, e->zn);
        *ad = adler32_combine(*ad, e->adler, (z_off_t)n);
    }
    lexp__engine_unlock(eng);
    if (e)
        return rc;
    zent *ne = calloc(1, sizeof *ne);
    if (!ne || deflate_piece(z, p, n, &ne->z, &ne->zn) || !(ne->src = malloc(n))) {
        if (ne)
            zent_free(ne);
        return -1;
    }
    memcpy(ne->src, p, n);
    ne->hash = h;
    ne->n = n;
    ne->adler = adler_of(p, n);
    *ad = adler32_combine(*ad, ne->adler, (z_off_t)n);
    rc = zout_put(o, ne->z, ne->zn);
    lexp__engine_lock(eng);
    int kept = 0;
    if (!rc && !zfind(c, h, p, n)) { /* another thread may have added it meanwhile */
        ne->stamp = ++c->clock;
        kept = zput(c, ne) == 0;
    }
    lexp__engine_unlock(eng);
    if (!kept)
        zent_free(ne);
    return rc;
}

int lexp__fontzip(lexp__zcache *c, lexp_engine *eng, const unsigned char *p, size_t n,
                  const size_t *b, size_t nb, unsigned char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    zout o = {0};
    pz z = {0};
    int rc = 0;
    uLong ad = adler32(0L, Z_NULL, 0);
    /* outlines deflate to about half: room for that at once, not by doubling */
    if ((o.p = malloc(n / 2 + 1024)))
        o.cap = n / 2 + 1024;
    /* zlib header: deflate, 32 KB window, default level */
    static const unsigned char head[2] = {0x78, 0x9C};
    rc = zout_put(&o, head, 2);
    /* bounds must be ascending and inside the program; else one piece */
    int ok = nb >= 2;
    for (size_t i = 0; ok && i < nb; i++)
        ok = b[i] <= n && (i == 0 || b[i] >= b[i - 1]);
    size_t at = 0;
    if (ok && !rc) {
        /* tables before the glyphs */
        rc = put_piece(c, eng, &z, &o, p, b[0], hash64(p, b[0]), &ad);
        at = b[0];
        /* a glyph piece's key: its glyphs' hashes folded, so no byte is
         * hashed twice (a hit is still compared byte for byte) */
        uint64_t key = 0;
        for (size_t i = 1; i < nb && !rc; i++) {
            size_t gl = b[i] - b[i - 1];
            uint64_t gh = hash64(p + b[i - 1], gl);
            key = (key ^ gh) * 0x9E3779B97F4A7C15ull + 1;
            int cut = i == nb - 1 || b[i] - at >= PIECE_MAX || (gl && (gh & PIECE_MASK) == 0);
            if (cut) {
                rc = put_piece(c, eng, &z, &o, p + at, b[i] - at, key, &ad);
                at = b[i];
                key = 0;
            }
        }
    }
    if (!rc) /* what follows */
        rc = put_piece(c, eng, &z, &o, p + at, n - at, hash64(p + at, n - at), &ad);
    pz_end(&z);
    /* an empty final block with fixed codes, then Adler-32, big-endian */
    unsigned char tail[6] = {0x03, 0x00, (unsigned char)(ad >> 24), (unsigned char)(ad >> 16),
                             (unsigned char)(ad >> 8), (unsigned char)ad};
    if (!rc)
        rc = zout_put(&o, tail, sizeof tail);
    if (rc) {
        free(o.p);
        return -1;
    }
    if (o.cap > o.len + 4096) { /* the program stays in the subset cache */
        unsigned char *np = realloc(o.p, o.len);
        if (np)
            o.p = np;
    }
    *out = o.p;
    *outlen = o.len;
    return 0;
}

/* ---- glyph bounds ------------------------------------------------------------ */

static uint32_t be(const unsigned char *p, int k)
{
    uint32_t v = 0;
    for (int i = 0; i < k; i++)
        v = (v << 8) | p[i];
    return v;
}

int lexp__fontzip_ttf_bounds(const unsigned char *p, size_t n, size_t **bo, size_t *nb)
{
    *bo = NULL;
    *nb = 0;
    if (n < 12)
        return 0;
    size_t nt = be(p + 4, 2);
    if (n < 12 + 16 * nt)
        return 0;
    size_t go = 0, gl = 0, lo = 0, ll = 0, ho = 0, hl = 0;
    for (size_t i = 0; i < nt; i++) {
        const unsigned char *r = p + 12 + 16 * i;
        size_t off = be(r + 8, 4), len = be(r + 12, 4);
        if (off > n || len > n - off)
            return 0;
        if (memcmp(r, "glyf", 4) == 0)
            go = off, gl = len;
        else if (memcmp(r, "loca", 4) == 0)
            lo = off, ll = len;
        else if (memcmp(r, "head", 4) == 0)
            ho = off, hl = len;
    }
    if (!gl || hl < 54)
        return 0;
    int wide = be(p + ho + 50, 2) == 1;
    size_t w = wide ? 4 : 2;
    if (ll < 2 * w)
        return 0;
    size_t cnt = ll / w;
    size_t *v = malloc(cnt * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < cnt; i++) {
        size_t o = be(p + lo + i * w, (int)w) * (wide ? 1 : 2);
        if (o > gl || (i && go + o < v[i - 1])) {
            free(v);
            return 0;
        }
        v[i] = go + o;
    }
    *bo = v;
    *nb = cnt;
    return 0;
}

int lexp__fontzip_cff_bounds(const unsigned char *p, size_t n, size_t **bo, size_t *nb)
{
    *bo = NULL;
    *nb = 0;
    size_t first = 0, *ends = NULL, cnt = 0;
    int rc = lexp__cff_charstrings(p, n, &first, &ends, &cnt);
    if (rc == LEXP_CFF_OOM)
        return -1;
    if (rc != LEXP_CFF_OK)
        return 0;
    size_t *v = malloc((cnt + 1) * sizeof *v);
    if (!v) {
        free(ends);
        return -1;
    }
    v[0] = first;
    memcpy(v + 1, ends, cnt * sizeof *v);
    free(ends);
    *bo = v;
    *nb = cnt + 1;
    return 0;
}
