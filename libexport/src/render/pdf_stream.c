/*
 * Bytes in and out of libharu (see pdf_stream.h).
 */
#include "pdf_stream.h"

#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <hpdf_pages.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libdeflate's level for page contents: 1 is seven times as fast as 6 on
 * content operators, for about a sixth more bytes (~1.3 KB a briefing). */
#define PAGE_LEVEL 1

HPDF_STATUS lexp__hpdf_flate_key(HPDF_Dict obj, HPDF_Stream stream)
{
    (void)obj;
    return HPDF_Stream_WriteStr(stream, "/Filter /FlateDecode\012");
}

/* A stream libharu reads: the caller's bytes p[0..n), or (p NULL) n
 * bytes of file fd from off. */
typedef struct bytes_rd {
    const unsigned char *p;
    int fd;
    uint64_t off;
    size_t n, pos;
    int own;
} bytes_rd;

static HPDF_STATUS rd_read(HPDF_Stream s, HPDF_BYTE *ptr, HPDF_UINT *siz)
{
    bytes_rd *r = s->attr;
    size_t left = r->n - r->pos, k = *siz < left ? *siz : left;
    if (r->p) {
        memcpy(ptr, r->p + r->pos, k);
    } else {
        for (size_t got = 0; got < k;) {
            ssize_t m = pread(r->fd, ptr + got, k - got, (off_t)(r->off + r->pos + got));
            if (m < 0 && errno == EINTR)
                continue;
            if (m <= 0) {
                *siz = (HPDF_UINT)got;
                return HPDF_FILE_IO_ERROR;
            }
            got += (size_t)m;
        }
    }
    r->pos += k;
    *siz = (HPDF_UINT)k;
    /* the end is told without touching the document's error state */
    return r->pos == r->n ? HPDF_STREAM_EOF : HPDF_OK;
}

static HPDF_STATUS rd_seek(HPDF_Stream s, HPDF_INT pos, HPDF_WhenceMode mode)
{
    bytes_rd *r = s->attr;
    long base = mode == HPDF_SEEK_CUR ? (long)r->pos : mode == HPDF_SEEK_END ? (long)r->n : 0;
    long to = base + pos;
    if (to < 0 || to > (long)r->n)
        return HPDF_STREAM_EOF;
    r->pos = (size_t)to;
    return HPDF_OK;
}

static HPDF_INT32 rd_tell(HPDF_Stream s) { return (HPDF_INT32)((bytes_rd *)s->attr)->pos; }

static HPDF_UINT32 rd_size(HPDF_Stream s) { return (HPDF_UINT32)((bytes_rd *)s->attr)->n; }

static void rd_free(HPDF_Stream s)
{
    bytes_rd *r = s->attr;
    if (r && r->own)
        free((void *)r->p);
    free(r);
    s->attr = NULL;
}

/* d's stream made a reader of r (malloc'd; freed with the stream). */
static int set_reader(HPDF_Doc pdf, HPDF_Dict d, bytes_rd *r)
{
    HPDF_Stream s = r && r->n <= 0x7FFFFFFF
                        ? HPDF_CallbackReader_New(pdf->mmgr, rd_read, rd_seek, rd_tell, rd_size, r)
                        : NULL;
    if (!s) {
        if (r && r->own)
            free((void *)r->p);
        free(r);
        return -1;
    }
    s->free_fn = rd_free;
    if (d->stream)
        HPDF_Stream_Free(d->stream);
    d->stream = s;
    return 0;
}

int lexp__hpdf_set_bytes(HPDF_Doc pdf, HPDF_Dict d, const unsigned char *p, size_t n, int own)
{
    bytes_rd *r = calloc(1, sizeof *r);
    if (!r) {
        if (own)
            free((void *)p);
        return -1;
    }
    r->p = p;
    r->n = n;
    r->own = own;
    return set_reader(pdf, d, r);
}

int lexp__hpdf_set_file(HPDF_Doc pdf, HPDF_Dict d, int fd, uint64_t off, size_t n)
{
    bytes_rd *r = calloc(1, sizeof *r);
    if (r) {
        r->fd = fd;
        r->off = off;
        r->n = n;
    }
    return set_reader(pdf, d, r);
}

/* The page stays libharu's to deflate: the tail goes into its stream. */
static int leave_page(HPDF_PageAttr a, const char *tail, size_t n)
{
    if (a && a->stream && n &&
        HPDF_Stream_Write(a->stream, (const HPDF_BYTE *)tail, (HPDF_UINT)n) != HPDF_OK)
        return -1;
    return 0;
}

int lexp__hpdf_pack_page(HPDF_Doc pdf, HPDF_Page page, const char *tail, size_t n, void **keep,
                         size_t *zlen, int fd, uint64_t *fdlen)
{
    HPDF_PageAttr a = page->attr;
    *zlen = n / 3; /* left to libharu: about what it will deflate it to */
    if (!a || !a->contents || a->stream != a->contents->stream ||
        a->gmode != HPDF_GMODE_PAGE_DESCRIPTION || (a->gstate && a->gstate->prev) ||
        a->contents->filter != HPDF_STREAM_FILTER_FLATE_DECODE)
        return leave_page(a, tail, n);
    HPDF_Stream s = a->stream;
    size_t head = s->size, total = head + n;
    if (total == 0)
        return 0;
    const unsigned char *raw = (const unsigned char *)tail;
    unsigned char *copy = NULL, *z = NULL;
    if (head) { /* libharu drew part of the page (an image, a wedge) */
        HPDF_UINT nb = HPDF_MemStream_GetBufCount(s);
        if (!(copy = malloc(total)))
            return -1;
        size_t at = 0;
        for (HPDF_UINT i = 0; i < nb && at < head; i++) {
            HPDF_UINT len = 0;
            HPDF_BYTE *b = HPDF_MemStream_GetBufPtr(s, i, &len);
            if (!b)
                break;
            if (len > head - at)
                len = (HPDF_UINT)(head - at);
            memcpy(copy + at, b, len);
            at += len;
        }
        if (at != head) {
            free(copy);
            return leave_page(a, tail, n);
        }
        if (n)
            memcpy(copy + head, tail, n);
        raw = copy;
    }
    size_t zl = 0;
    int rc = lexp__deflate_kept(keep, raw, total, PAGE_LEVEL, &z, &zl);
    free(copy);
    if (rc || !z)
        return rc;
    if (fd >= 0) { /* kept in the scratch file until the document is saved */
        int bad = lexp__write_all(fd, z, zl);
        free(z);
        if (bad)
            return -2;
        if (lexp__hpdf_set_file(pdf, a->contents, fd, *fdlen, zl))
            return -1;
        *fdlen += zl;
    } else if (lexp__hpdf_set_bytes(pdf, a->contents, z, zl, 1)) {
        return -1;
    }
    *zlen = zl;
    a->stream = a->contents->stream; /* nothing is drawn on the page any more */
    a->contents->filter = HPDF_STREAM_FILTER_NONE;
    a->contents->write_fn = lexp__hpdf_flate_key;
    return 0;
}

static HPDF_STATUS out_write(HPDF_Stream s, const HPDF_BYTE *ptr, HPDF_UINT siz)
{
    lexp__sbuf *out = s->attr;
    if (lexp__sbuf_grow(out, siz))
        return 0x1015; /* HPDF_FAILD_TO_ALLOC_MEM */
    memcpy(out->ptr + out->len, ptr, siz);
    out->len += siz;
    return HPDF_OK;
}

HPDF_STATUS lexp__hpdf_save(HPDF_Doc pdf, lexp__sbuf *out)
{
    /* HPDF_SaveToStream writes into the document's stream, which it makes
     * a memory stream only when there is none (and empties it only when it
     * is one): given a writer of ours, the bytes go straight to out */
    size_t start = out->len;
    if (!pdf->stream) {
        pdf->stream = HPDF_CallbackWriter_New(pdf->mmgr, out_write, out);
        if (!pdf->stream)
            return 0x1015;
    }
    HPDF_STATUS rc = HPDF_SaveToStream(pdf);
    if (rc != HPDF_OK)
        out->len = start;
    return rc;
}

typedef struct fd_out {
    int fd;
    unsigned char buf[64 * 1024];
    size_t n;
    int failed;
} fd_out;

static int fd_flush(fd_out *o)
{
    int rc = lexp__write_all(o->fd, o->buf, o->n);
    o->n = 0;
    return rc;
}

static HPDF_STATUS fd_write(HPDF_Stream s, const HPDF_BYTE *ptr, HPDF_UINT siz)
{
    fd_out *o = s->attr;
    while (siz) {
        size_t k = sizeof o->buf - o->n < siz ? sizeof o->buf - o->n : siz;
        memcpy(o->buf + o->n, ptr, k);
        o->n += k;
        ptr += k;
        siz -= (HPDF_UINT)k;
        if (o->n == sizeof o->buf && fd_flush(o)) {
            o->failed = 1;
            return HPDF_FILE_IO_ERROR;
        }
    }
    return HPDF_OK;
}

HPDF_STATUS lexp__hpdf_save_fd(HPDF_Doc pdf, int fd)
{
    fd_out *o = malloc(sizeof *o);
    if (!o)
        return 0x1015;
    o->fd = fd;
    o->n = 0;
    o->failed = 0;
    if (!pdf->stream)
        pdf->stream = HPDF_CallbackWriter_New(pdf->mmgr, fd_write, o);
    HPDF_STATUS rc = pdf->stream ? HPDF_SaveToStream(pdf) : 0x1015;
    if (rc == HPDF_OK && fd_flush(o))
        rc = HPDF_FILE_IO_ERROR;
    if (o->failed && rc == HPDF_OK)
        rc = HPDF_FILE_IO_ERROR;
    /* the writer's buffer goes now: the document's stream must not use it */
    if (pdf->stream) {
        HPDF_Stream_Free(pdf->stream);
        pdf->stream = NULL;
    }
    free(o);
    return rc;
}
