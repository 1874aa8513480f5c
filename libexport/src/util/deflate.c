/*
 * Deflate (zlib format, for PDF's FlateDecode) with libdeflate: the PDF
 * renderer deflates each new font subset and each photo once, and zlib's
 * compress2 was a fifth of a document with a new glyph set. libdeflate
 * compresses a whole buffer in one call, two to three times faster at the
 * same level and ratio. Its output differs from zlib's, but is fixed for a
 * given input, level and libdeflate version: same input, same bytes.
 */
#include <libdeflate.h>
#include <stdlib.h>

#include "util/util.h"

static int compress_with(struct libdeflate_compressor *c, const void *src, size_t n,
                         unsigned char **out, size_t *outlen)
{
    size_t cap = libdeflate_zlib_compress_bound(c, n);
    unsigned char *d = malloc(cap ? cap : 1);
    size_t len = d ? libdeflate_zlib_compress(c, src, n, d, cap) : 0;
    if (!len) { /* out of memory (the bound always suffices) */
        free(d);
        return -1;
    }
    /* the bound is above the input's size: a page's contents deflate to a
     * fifth of it, and a long document keeps every page until it is saved */
    if (len < cap / 2) {
        unsigned char *fit = realloc(d, len);
        if (fit)
            d = fit;
    }
    *out = d;
    *outlen = len;
    return 0;
}

int lexp__deflate(const void *src, size_t n, int level, unsigned char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    /* a compressor is ~1 MB of tables and not shareable between threads:
     * one per call costs far less than the compression itself */
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    if (!c)
        return -1;
    int rc = compress_with(c, src, n, out, outlen);
    libdeflate_free_compressor(c);
    return rc;
}

int lexp__deflate_kept(void **keep, const void *src, size_t n, int level, unsigned char **out,
                       size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (!*keep && !(*keep = libdeflate_alloc_compressor(level)))
        return -1;
    return compress_with(*keep, src, n, out, outlen);
}

void lexp__deflate_drop(void **keep)
{
    if (*keep)
        libdeflate_free_compressor(*keep);
    *keep = NULL;
}
