/*
 * Zip entries deflated by libdeflate, given to libzip already compressed.
 *
 * libzip deflates through zlib: a fresh deflate state (about 256 KB
 * allocated and cleared) per entry, then the stream in 8 KB reads. Here the
 * whole part is deflated in one libdeflate call into a buffer, and a source
 * whose stat says "DEFLATE, this compressed size, this size, this CRC"
 * hands over the compressed bytes; for an entry whose compression method is
 * left at the default, libzip's zip_close then writes those bytes as they
 * are (libzip 1.7.3, lib/zip_close.c add_data: no recompression when the
 * source's method is the entry's), exactly as when it copies an entry from
 * another archive. The bytes depend on the input, the level and the
 * libdeflate version only.
 */
#define _DEFAULT_SOURCE /* timegm, tm_gmtoff */
#include <errno.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "util/zipsrc.h"

struct lexp__deflater {
    struct libdeflate_compressor *c;
};

lexp__deflater *lexp__deflater_new(int level)
{
    lexp__deflater *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    d->c = libdeflate_alloc_compressor(level);
    if (!d->c) {
        free(d);
        return NULL;
    }
    return d;
}

void lexp__deflater_free(lexp__deflater *d)
{
    if (!d)
        return;
    libdeflate_free_compressor(d->c);
    free(d);
}

zip_int64_t lexp__zip_stat_deflated(void *data, zip_uint64_t len, zip_error_t *error,
                                    zip_uint64_t size, zip_uint64_t comp_size, zip_uint32_t crc)
{
    zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, error);
    if (!st)
        return -1;
    zip_stat_init(st);
    st->valid = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC |
                ZIP_STAT_ENCRYPTION_METHOD;
    st->size = size;
    st->comp_size = comp_size;
    st->comp_method = ZIP_CM_DEFLATE;
    st->encryption_method = ZIP_EM_NONE;
    st->crc = crc;
    return sizeof *st;
}

/* An entry already deflated, read as one raw DEFLATE stream in up to three
 * pieces: bytes in memory, a scratch file's bytes, bytes in memory. */
typedef struct deflated {
    lexp__zpiece piece[3]; /* piece[1] is the file's (no comp) */
    FILE *f;               /* or NULL */
    unsigned char *owned;  /* freed with the source */
    int has_attr;
    zip_file_attributes_t attr; /* of the entry it copies */
    int stage;                  /* the piece being read; 3: done */
    uint64_t done;              /* of that piece */
    zip_error_t error;
} deflated;

static zip_int64_t deflated_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    deflated *s = ud;
    switch (cmd) {
    case ZIP_SOURCE_OPEN:
        s->stage = 0;
        s->done = 0;
        if (s->f && fseek(s->f, 0, SEEK_SET) != 0) {
            zip_error_set(&s->error, ZIP_ER_SEEK, errno);
            return -1;
        }
        return 0;
    case ZIP_SOURCE_READ: {
        zip_uint64_t got = 0;
        unsigned char *o = data;
        while (got < len && s->stage < 3) {
            const lexp__zpiece *pc = &s->piece[s->stage];
            uint64_t n = pc->comp_len - s->done;
            if (n > len - got)
                n = len - got;
            if (n == 0) {
                s->stage++;
                s->done = 0;
                continue;
            }
            if (!pc->comp) {
                if (fread(o + got, 1, (size_t)n, s->f) != (size_t)n) {
                    zip_error_set(&s->error, ZIP_ER_READ, errno);
                    return -1;
                }
            } else {
                memcpy(o + got, pc->comp + s->done, (size_t)n);
            }
            got += n;
            s->done += n;
        }
        return (zip_int64_t)got;
    }
    case ZIP_SOURCE_CLOSE:
        return 0;
    case ZIP_SOURCE_STAT: {
        uLong crc = s->piece[0].crc;
        uint64_t size = s->piece[0].size, comp = s->piece[0].comp_len;
        for (int k = 1; k < 3; k++) {
            const lexp__zpiece *pc = &s->piece[k];
            if (pc->size)
                crc = crc32_combine(crc, pc->crc, (z_off_t)pc->size);
            size += pc->size;
            comp += pc->comp_len;
        }
        return lexp__zip_stat_deflated(data, len, &s->error, size, comp, (zip_uint32_t)crc);
    }
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&s->error, data, len);
    case ZIP_SOURCE_GET_FILE_ATTRIBUTES:
        if (len < sizeof s->attr) {
            zip_error_set(&s->error, ZIP_ER_INVAL, 0);
            return -1;
        }
        memcpy(data, &s->attr, sizeof s->attr);
        return sizeof s->attr;
    case ZIP_SOURCE_FREE:
        zip_error_fini(&s->error);
        free(s->owned);
        free(s);
        return 0;
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              ZIP_SOURCE_SUPPORTS, -1) |
               (s->has_attr ? ZIP_SOURCE_MAKE_COMMAND_BITMASK(ZIP_SOURCE_GET_FILE_ATTRIBUTES)
                            : 0);
    default:
        zip_error_set(&s->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

/* libdeflate's CRC-32 (the same sums as zlib's) folds with PCLMULQDQ
 * where the CPU has it: 4-8 times zlib 1.2's speed */
uint32_t lexp__crc32(uint32_t crc, const void *data, size_t n)
{
    return libdeflate_crc32(crc, data, n);
}

int lexp__deflater_deflate(lexp__deflater *d, const void *data, size_t n, unsigned char **out,
                           size_t *outlen)
{
    size_t cap = libdeflate_deflate_compress_bound(d->c, n);
    *out = malloc(cap ? cap : 1);
    if (!*out)
        return -1;
    *outlen = libdeflate_deflate_compress(d->c, data, n, *out, cap);
    if (!*outlen) { /* cannot happen: the bound always suffices */
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* The source over pieces[3] and f; `owned` is freed with it (or here when
 * NULL is returned). */
static zip_source_t *pieces_source(zip_t *za, const lexp__zpiece *pieces, FILE *f,
                                   unsigned char *owned, const zip_file_attributes_t *attr)
{
    deflated *s = calloc(1, sizeof *s);
    if (!s) {
        free(owned);
        return NULL;
    }
    memcpy(s->piece, pieces, sizeof s->piece);
    s->f = f;
    s->owned = owned;
    if (attr) {
        s->has_attr = 1;
        s->attr = *attr;
    }
    zip_error_init(&s->error);
    zip_source_t *src = zip_source_function(za, deflated_cb, s);
    if (!src) {
        zip_error_fini(&s->error);
        free(owned);
        free(s);
    }
    return src;
}

zip_source_t *lexp__zip_source_raw(zip_t *za, unsigned char *comp, size_t comp_len, size_t size,
                                   zip_uint32_t crc)
{
    lexp__zpiece pc[3] = {{comp, comp_len, size, crc}};
    return pieces_source(za, pc, NULL, comp, NULL);
}

zip_source_t *lexp__zip_source_raw_borrowed(zip_t *za, const unsigned char *comp,
                                            size_t comp_len, size_t size, zip_uint32_t crc,
                                            const zip_file_attributes_t *attr)
{
    lexp__zpiece pc[3] = {{comp, comp_len, size, crc}};
    return pieces_source(za, pc, NULL, NULL, attr);
}

zip_source_t *lexp__zip_source_pieces(zip_t *za, const lexp__zpiece *head, FILE *f,
                                      const lexp__zpiece *file, const lexp__zpiece *tail)
{
    lexp__zpiece pc[3] = {{0}};
    if (head)
        pc[0] = *head;
    pc[1] = *file;
    pc[1].comp = NULL; /* read from f */
    if (tail)
        pc[2] = *tail;
    return pieces_source(za, pc, f, NULL, NULL);
}

zip_source_t *lexp__zip_source_deflated(zip_t *za, lexp__deflater *d, const void *data,
                                        size_t n, int *oom)
{
    *oom = 1;
    unsigned char *comp;
    size_t comp_len;
    if (lexp__deflater_deflate(d, data, n, &comp, &comp_len))
        return NULL;
    *oom = 0;
    return lexp__zip_source_raw(za, comp, comp_len, n, lexp__crc32(0, data, n));
}

static int same_fields(time_t t, const struct tm *want)
{
    struct tm lt;
    return localtime_r(&t, &lt) && lt.tm_year == want->tm_year && lt.tm_mon == want->tm_mon &&
           lt.tm_mday == want->tm_mday && lt.tm_hour == want->tm_hour &&
           lt.tm_min == want->tm_min && lt.tm_sec == want->tm_sec;
}

int lexp__zip_set_dostime(zip_t *za, zip_uint64_t idx, zip_uint16_t dtime, zip_uint16_t ddate)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (ddate >> 9) + 80;
    tm.tm_mon = ((ddate >> 5) & 15) - 1;
    tm.tm_mday = ddate & 31;
    tm.tm_hour = dtime >> 11;
    tm.tm_min = (dtime >> 5) & 63;
    tm.tm_sec = (dtime & 31) * 2;
    struct tm want = tm;
    if (tm.tm_mon >= 0 && tm.tm_mon < 12 && tm.tm_mday >= 1 && tm.tm_hour < 24 &&
        tm.tm_min < 60 && tm.tm_sec < 60) {
        time_t t0 = timegm(&tm); /* the fields read as UTC: no time zone involved */
        /* the offset at t0, then at the moment that gives (the two differ
         * across a change of offset) */
        time_t at = t0;
        struct tm lt;
        for (int k = 0; k < 2 && t0 != (time_t)-1 && localtime_r(&at, &lt); k++) {
            at = t0 - lt.tm_gmtoff;
            if (same_fields(at, &want))
                return zip_file_set_mtime(za, idx, at, 0);
        }
    }
    return zip_file_set_dostime(za, idx, dtime, ddate, 0);
}

int lexp__zip_source_slurp(zip_source_t *src, lexp__sbuf *out)
{
    if (zip_source_open(src) < 0)
        return -1;
    int rc = 0;
    zip_int64_t len = -1;
    if (zip_source_seek(src, 0, SEEK_END) == 0)
        len = zip_source_tell(src);
    if (len < 0 || zip_source_seek(src, 0, SEEK_SET) < 0)
        rc = -1;
    else if (lexp__sbuf_grow(out, (size_t)len))
        rc = -2;
    else if (zip_source_read(src, out->ptr + out->len, (zip_uint64_t)len) != len)
        rc = -1;
    else
        out->len += (size_t)len;
    zip_source_close(src);
    return rc;
}
