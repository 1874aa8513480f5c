/*
 * Rewriting a CFF program as a CID-keyed font with an identity charset
 * (see cff.h). The layout written (offsets are 5-byte integers, so the Top
 * DICT's size does not depend on them and one pass suffices):
 *
 *   Header · Name INDEX · Top DICT INDEX · String INDEX · Global Subr INDEX
 *   · charset · FDSelect · CharStrings INDEX · FDArray INDEX
 *   · per Font DICT: Private DICT, then its local Subr INDEX
 *
 * Names and strings, global subroutines, Private DICT values and the
 * charstrings are copied byte for byte; only the structure is new.
 */
#include "cff.h"

#include <stdlib.h>
#include <string.h>

/* Font DICTs and DICT entries accepted (far above real fonts: CJK fonts
 * have up to ~20 Font DICTs, Top DICTs ~20 entries). */
#define MAX_FD 256
#define MAX_ENTRIES 96

enum {
    OP_CHARSET = 15,
    OP_ENCODING = 16,
    OP_CHARSTRINGS = 17,
    OP_PRIVATE = 18,
    OP_SUBRS = 19,
    OP_CHARSTRINGTYPE = 1200 + 6,
    OP_ROS = 1200 + 30,
    OP_CIDCOUNT = 1200 + 34,
    OP_FDARRAY = 1200 + 36,
    OP_FDSELECT = 1200 + 37,
};

typedef struct cidx {
    uint32_t count;
    size_t pos, total; /* where the INDEX starts, its whole size */
    size_t data;       /* offset of the byte before the first object */
    uint32_t last;     /* the last offset (one past the objects, from data) */
    unsigned offsize;
    const unsigned char *b;
} cidx;

static uint32_t rd(const unsigned char *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static int read_index(const unsigned char *b, size_t len, size_t pos, cidx *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->b = b;
    ix->pos = pos;
    if (pos > len || len - pos < 2)
        return -1;
    ix->count = rd(b + pos, 2);
    if (ix->count == 0) {
        ix->total = 2;
        return 0;
    }
    if (len - pos < 3)
        return -1;
    ix->offsize = b[pos + 2];
    if (ix->offsize < 1 || ix->offsize > 4)
        return -1;
    size_t offs = pos + 3, nb = ((size_t)ix->count + 1) * ix->offsize;
    if (len - offs < nb)
        return -1;
    ix->data = offs + nb - 1;
    /* the objects between are checked as they are read (index_get): a
     * whole font's CharStrings INDEX has 10,000s of them and a subset
     * reads a few hundred */
    uint32_t first = rd(b + offs, ix->offsize);
    ix->last = rd(b + offs + (size_t)ix->count * ix->offsize, ix->offsize);
    if (first != 1 || ix->last < 1 || len - ix->data < ix->last)
        return -1;
    ix->total = ix->data + ix->last - pos;
    return 0;
}

/* Object i (< count) of an INDEX; -1 when its offsets are out of order or
 * out of the INDEX. */
static int index_get(const cidx *ix, uint32_t i, const unsigned char **p, size_t *n)
{
    const unsigned char *o = ix->b + ix->pos + 3;
    uint32_t a = rd(o + (size_t)i * ix->offsize, ix->offsize);
    uint32_t z = rd(o + (size_t)(i + 1) * ix->offsize, ix->offsize);
    if (a < 1 || a > z || z > ix->last)
        return -1;
    *p = ix->b + ix->data + a;
    *n = z - a;
    return 0;
}

/* ---- DICTs ------------------------------------------------------------------ */

typedef struct dent {
    int op;
    const unsigned char *raw; /* operands and operator, as in the source */
    size_t rawlen;
    int nargs;
    long arg[4]; /* the first integer operands (reals read as 0) */
} dent;

typedef struct dict {
    dent e[MAX_ENTRIES];
    int n;
} dict;

static const dent *dict_find(const dict *d, int op)
{
    for (int i = 0; i < d->n; i++)
        if (d->e[i].op == op)
            return &d->e[i];
    return NULL;
}

static int parse_dict(const unsigned char *p, size_t n, dict *d)
{
    d->n = 0;
    size_t i = 0, start = 0;
    int nargs = 0;
    long args[4] = {0};
    while (i < n) {
        unsigned b0 = p[i];
        long v = 0;
        if (b0 <= 21) {
            int op = (int)b0;
            i++;
            if (b0 == 12) {
                if (i >= n)
                    return -1;
                op = 1200 + p[i++];
            }
            if (d->n == MAX_ENTRIES)
                return -1;
            dent *e = &d->e[d->n++];
            e->op = op;
            e->raw = p + start;
            e->rawlen = i - start;
            e->nargs = nargs;
            memcpy(e->arg, args, sizeof args);
            nargs = 0;
            memset(args, 0, sizeof args);
            start = i;
            continue;
        }
        if (b0 >= 32 && b0 <= 246) {
            v = (long)b0 - 139;
            i += 1;
        } else if (b0 >= 247 && b0 <= 254) {
            if (n - i < 2)
                return -1;
            /* 247-250: +(b0-247)*256+b1+108; 251-254: -(b0-251)*256-b1-108 */
            long w = (long)((b0 - 247) & 3) * 256 + p[i + 1] + 108;
            v = b0 <= 250 ? w : -w;
            i += 2;
        } else if (b0 == 28) {
            if (n - i < 3)
                return -1;
            v = (int16_t)(uint16_t)rd(p + i + 1, 2);
            i += 3;
        } else if (b0 == 29) {
            if (n - i < 5)
                return -1;
            v = (int32_t)rd(p + i + 1, 4);
            i += 5;
        } else if (b0 == 30) {
            i++;
            for (;;) {
                if (i >= n)
                    return -1;
                unsigned c = p[i++];
                if ((c & 0x0F) == 0x0F || (c >> 4) == 0x0F)
                    break;
            }
        } else {
            return -1; /* reserved */
        }
        if (nargs < 4)
            args[nargs] = v;
        nargs++;
        if (nargs > 48)
            return -1; /* the CFF operand stack limit */
    }
    return start == n ? 0 : -1;
}

static void put_u8(lexp__sbuf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    lexp__sbuf_put(b, &c, 1);
}

static void put_u16(lexp__sbuf *b, uint32_t v)
{
    unsigned char c[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    lexp__sbuf_put(b, c, 2);
}

/* An integer operand in its 5-byte form, so sizes do not depend on values. */
static void put_int5(lexp__sbuf *b, long v)
{
    uint32_t u = (uint32_t)(int32_t)v;
    unsigned char c[5] = {29, (unsigned char)(u >> 24), (unsigned char)(u >> 16),
                          (unsigned char)(u >> 8), (unsigned char)u};
    lexp__sbuf_put(b, c, 5);
}

static void put_op(lexp__sbuf *b, int op)
{
    if (op >= 1200) {
        put_u8(b, 12);
        put_u8(b, (unsigned)(op - 1200));
    } else {
        put_u8(b, (unsigned)op);
    }
}

static unsigned offsize_for(size_t last)
{
    return last < 0x100 ? 1 : last < 0x10000 ? 2 : last < 0x1000000 ? 3 : 4;
}

/* Write an INDEX of `count` objects given by their sizes; the caller then
 * appends the objects' bytes in order. */
static void put_index_head(lexp__sbuf *b, const size_t *sizes, uint32_t count)
{
    put_u16(b, count);
    if (count == 0)
        return;
    size_t total = 1;
    for (uint32_t i = 0; i < count; i++)
        total += sizes[i];
    unsigned os = offsize_for(total);
    put_u8(b, os);
    size_t off = 1;
    for (uint32_t i = 0; i <= count; i++) {
        unsigned char c[4] = {(unsigned char)(off >> 24), (unsigned char)(off >> 16),
                              (unsigned char)(off >> 8), (unsigned char)off};
        lexp__sbuf_put(b, c + 4 - os, os);
        if (i < count)
            off += sizes[i];
    }
}

static size_t index_head_size(const size_t *sizes, uint32_t count)
{
    if (count == 0)
        return 2;
    size_t total = 1;
    for (uint32_t i = 0; i < count; i++)
        total += sizes[i];
    return 3 + ((size_t)count + 1) * offsize_for(total);
}

/* ---- the rewrite ------------------------------------------------------------ */

typedef struct fdesc {
    dict fd;                      /* the Font DICT (empty for a name-keyed font) */
    const unsigned char *priv;    /* Private DICT */
    size_t privlen;
    dict pd;
    const unsigned char *subrs; /* local Subr INDEX, or NULL */
    size_t subrslen;
    size_t newpriv; /* size of the rewritten Private DICT */
    size_t fdsize;  /* size of the rewritten Font DICT */
} fdesc;

static int read_private(const unsigned char *b, size_t len, const dent *pe, fdesc *f)
{
    if (!pe || pe->nargs != 2 || pe->arg[0] < 0 || pe->arg[1] < 0)
        return -1;
    size_t size = (size_t)pe->arg[0], off = (size_t)pe->arg[1];
    if (off > len || len - off < size)
        return -1;
    f->priv = b + off;
    f->privlen = size;
    if (parse_dict(f->priv, size, &f->pd))
        return -1;
    f->newpriv = 0;
    for (int i = 0; i < f->pd.n; i++)
        if (f->pd.e[i].op != OP_SUBRS)
            f->newpriv += f->pd.e[i].rawlen;
    const dent *s = dict_find(&f->pd, OP_SUBRS);
    if (s) {
        if (s->nargs != 1 || s->arg[0] < 0 || (size_t)s->arg[0] > len - off)
            return -1;
        cidx ix;
        if (read_index(b, len, off + (size_t)s->arg[0], &ix))
            return -1;
        f->subrs = b + ix.pos;
        f->subrslen = ix.total;
        f->newpriv += 5 + 1;
    }
    return 0;
}

/* The Font DICT of a source glyph, from the FDSelect at `pos`. */
static int fd_of(const unsigned char *b, size_t len, size_t pos, uint32_t nglyphs, uint32_t gid,
                 uint32_t nfd, unsigned *out)
{
    if (pos >= len)
        return -1;
    unsigned fmt = b[pos];
    if (fmt == 0) {
        if (len - pos - 1 < nglyphs || gid >= nglyphs)
            return -1;
        *out = b[pos + 1 + gid];
    } else if (fmt == 3) {
        if (len - pos < 3)
            return -1;
        uint32_t nr = rd(b + pos + 1, 2);
        if (nr == 0 || (len - pos - 3) < (size_t)nr * 3 + 2)
            return -1;
        const unsigned char *r = b + pos + 3;
        unsigned fd = 0;
        int found = 0;
        for (uint32_t i = 0; i < nr; i++) {
            uint32_t first = rd(r + 3 * i, 2);
            uint32_t next = i + 1 < nr ? rd(r + 3 * (i + 1), 2) : rd(r + 3 * nr, 2);
            if (gid >= first && gid < next) {
                fd = r[3 * i + 2];
                found = 1;
                break;
            }
        }
        if (!found)
            return -1;
        *out = fd;
    } else {
        return -1;
    }
    return *out < nfd ? 0 : -1;
}

static int is_top_skipped(int op)
{
    return op == OP_ROS || op == OP_CHARSET || op == OP_ENCODING || op == OP_CHARSTRINGS ||
           op == OP_PRIVATE || op == OP_CIDCOUNT || op == OP_FDARRAY || op == OP_FDSELECT;
}

typedef struct work {
    dict top;
    fdesc *fds;
    uint32_t nfd;
    unsigned char *fdsel; /* per CID */
    size_t *cs_sizes;     /* per CID */
    const unsigned char **cs;
    size_t *str_sizes;
    size_t *fd_sizes;
} work;

static void work_free(work *w)
{
    free(w->fds);
    free(w->fdsel);
    free(w->cs_sizes);
    free((void *)w->cs);
    free(w->str_sizes);
    free(w->fd_sizes);
}

int lexp__cff_cidfont(const unsigned char *b, size_t len, const uint32_t *map, size_t ncid,
                      unsigned flags, lexp__sbuf *out)
{
    if (len < 4 || b[0] != 1 || b[2] < 4 || b[2] > len || ncid == 0 || ncid > 65535)
        return LEXP_CFF_BAD;
    work w;
    memset(&w, 0, sizeof w);
    int rc = LEXP_CFF_BAD;
    size_t base = out->len;
    cidx names, tops, strings, gsubrs, chars;
    if (read_index(b, len, b[2], &names) || names.count != 1 ||
        read_index(b, len, names.pos + names.total, &tops) || tops.count != 1 ||
        read_index(b, len, tops.pos + tops.total, &strings) ||
        read_index(b, len, strings.pos + strings.total, &gsubrs))
        return LEXP_CFF_BAD;
    const unsigned char *tp;
    size_t tn;
    if (index_get(&tops, 0, &tp, &tn) || parse_dict(tp, tn, &w.top))
        return LEXP_CFF_BAD;
    const dent *e = dict_find(&w.top, OP_CHARSTRINGTYPE);
    if (e && (e->nargs != 1 || e->arg[0] != 2))
        return LEXP_CFF_BAD; /* Type 1 charstrings cannot go into a CIDFont */
    e = dict_find(&w.top, OP_CHARSTRINGS);
    if (!e || e->nargs != 1 || e->arg[0] <= 0 ||
        read_index(b, len, (size_t)e->arg[0], &chars) || chars.count == 0)
        return LEXP_CFF_BAD;
    const dent *ros = dict_find(&w.top, OP_ROS);
    size_t fdsel_pos = 0;
    if (ros) {
        e = dict_find(&w.top, OP_FDARRAY);
        const dent *fs = dict_find(&w.top, OP_FDSELECT);
        cidx fda;
        if (!e || !fs || e->nargs != 1 || fs->nargs != 1 || e->arg[0] <= 0 ||
            fs->arg[0] <= 0 || read_index(b, len, (size_t)e->arg[0], &fda) ||
            fda.count == 0 || fda.count > MAX_FD)
            return LEXP_CFF_BAD;
        fdsel_pos = (size_t)fs->arg[0];
        w.nfd = fda.count;
        w.fds = calloc(w.nfd, sizeof *w.fds);
        if (!w.fds)
            return LEXP_CFF_OOM;
        for (uint32_t i = 0; i < w.nfd; i++) {
            const unsigned char *p;
            size_t n;
            if (index_get(&fda, i, &p, &n) || parse_dict(p, n, &w.fds[i].fd) ||
                read_private(b, len, dict_find(&w.fds[i].fd, OP_PRIVATE), &w.fds[i]))
                goto done;
        }
    } else {
        w.nfd = 1;
        w.fds = calloc(1, sizeof *w.fds);
        if (!w.fds)
            return LEXP_CFF_OOM;
        if (read_private(b, len, dict_find(&w.top, OP_PRIVATE), &w.fds[0]))
            goto done;
    }
    if (flags & LEXP_CFF_WHOLE_FONT) { /* subroutines would be copied whole */
        if (gsubrs.count)
            goto done;
        for (uint32_t i = 0; i < w.nfd; i++)
            if (w.fds[i].subrs)
                goto done;
    }
    w.fdsel = malloc(ncid);
    w.cs_sizes = malloc(ncid * sizeof *w.cs_sizes);
    w.cs = malloc(ncid * sizeof *w.cs);
    w.fd_sizes = malloc(w.nfd * sizeof *w.fd_sizes);
    w.str_sizes = malloc(((size_t)strings.count + 2) * sizeof *w.str_sizes);
    if (!w.fdsel || !w.cs_sizes || !w.cs || !w.fd_sizes || !w.str_sizes) {
        rc = LEXP_CFF_OOM;
        goto done;
    }
    size_t cs_total = 0;
    for (size_t c = 0; c < ncid; c++) {
        uint32_t g = map[c];
        if (g >= chars.count)
            goto done;
        unsigned fd = 0;
        if (ros && fd_of(b, len, fdsel_pos, chars.count, g, w.nfd, &fd))
            goto done;
        w.fdsel[c] = (unsigned char)fd;
        if (index_get(&chars, g, &w.cs[c], &w.cs_sizes[c]))
            goto done;
        cs_total += w.cs_sizes[c];
    }
    /* strings: the source's, plus "Adobe" and "Identity" for a new ROS */
    uint32_t nstr = strings.count;
    for (uint32_t i = 0; i < nstr; i++) {
        const unsigned char *p;
        if (index_get(&strings, i, &p, &w.str_sizes[i]))
            goto done;
    }
    if (!ros) {
        w.str_sizes[nstr] = 5;
        w.str_sizes[nstr + 1] = 8;
    }
    uint32_t nstr_out = ros ? nstr : nstr + 2;

    /* sizes */
    size_t top_size = 0;
    if (ros)
        top_size += ros->rawlen;
    else
        top_size += 3 * 5 + 2;
    for (int i = 0; i < w.top.n; i++)
        if (!is_top_skipped(w.top.e[i].op))
            top_size += w.top.e[i].rawlen;
    top_size += (5 + 2) * 3 + (5 + 1) * 2; /* CIDCount, FDSelect, FDArray; charset, CharStrings */
    for (uint32_t i = 0; i < w.nfd; i++) {
        size_t s = 5 + 5 + 1; /* Private */
        for (int k = 0; k < w.fds[i].fd.n; k++)
            if (w.fds[i].fd.e[k].op != OP_PRIVATE)
                s += w.fds[i].fd.e[k].rawlen;
        w.fds[i].fdsize = w.fd_sizes[i] = s;
    }
    size_t nranges = 0;
    for (size_t c = 0; c < ncid; c++)
        nranges += c == 0 || w.fdsel[c] != w.fdsel[c - 1];
    size_t pos = 4 + names.total + index_head_size(&top_size, 1) + top_size +
                 index_head_size(w.str_sizes, nstr_out);
    for (uint32_t i = 0; i < nstr_out; i++)
        pos += w.str_sizes[i];
    pos += gsubrs.total;
    size_t charset_at = pos;
    pos += ncid > 1 ? 5 : 1;
    size_t fdselect_at = pos;
    pos += 3 + 3 * nranges + 2;
    size_t chars_at = pos;
    pos += index_head_size(w.cs_sizes, (uint32_t)ncid) + cs_total;
    size_t fdarray_at = pos;
    pos += index_head_size(w.fd_sizes, w.nfd);
    for (uint32_t i = 0; i < w.nfd; i++)
        pos += w.fd_sizes[i];
    if (pos > 0x7FFFFFFF)
        goto done;

    /* write, into room for all of it (the Private DICTs and subroutines
     * follow the FDArray) */
    size_t total = pos;
    for (uint32_t i = 0; i < w.nfd; i++)
        total += w.fds[i].newpriv + w.fds[i].subrslen;
    if (lexp__sbuf_grow(out, total)) {
        rc = LEXP_CFF_OOM;
        goto done;
    }
    static const unsigned char header[4] = {1, 0, 4, 4};
    lexp__sbuf_put(out, header, 4);
    lexp__sbuf_put(out, b + names.pos, names.total);
    put_index_head(out, &top_size, 1);
    size_t top_start = out->len;
    if (ros) {
        lexp__sbuf_put(out, ros->raw, ros->rawlen);
    } else {
        put_int5(out, 391 + (long)nstr);
        put_int5(out, 391 + (long)nstr + 1);
        put_int5(out, 0);
        put_op(out, OP_ROS);
    }
    for (int i = 0; i < w.top.n; i++)
        if (!is_top_skipped(w.top.e[i].op))
            lexp__sbuf_put(out, w.top.e[i].raw, w.top.e[i].rawlen);
    put_int5(out, (long)ncid);
    put_op(out, OP_CIDCOUNT);
    put_int5(out, (long)charset_at);
    put_op(out, OP_CHARSET);
    put_int5(out, (long)fdselect_at);
    put_op(out, OP_FDSELECT);
    put_int5(out, (long)chars_at);
    put_op(out, OP_CHARSTRINGS);
    put_int5(out, (long)fdarray_at);
    put_op(out, OP_FDARRAY);
    if (!out->oom && out->len - top_start != top_size)
        goto done;
    put_index_head(out, w.str_sizes, nstr_out);
    if (nstr) /* the strings' bytes, all of them */
        lexp__sbuf_put(out, strings.b + strings.data + 1, strings.last - 1);
    if (!ros)
        lexp__sbuf_put(out, "AdobeIdentity", 13);
    lexp__sbuf_put(out, b + gsubrs.pos, gsubrs.total);
    /* charset: CID c is glyph c */
    if (ncid > 1) {
        put_u8(out, 2);
        put_u16(out, 1);
        put_u16(out, (uint32_t)(ncid - 2));
    } else {
        put_u8(out, 0);
    }
    put_u8(out, 3);
    put_u16(out, (uint32_t)nranges);
    for (size_t c = 0; c < ncid; c++)
        if (c == 0 || w.fdsel[c] != w.fdsel[c - 1]) {
            put_u16(out, (uint32_t)c);
            put_u8(out, w.fdsel[c]);
        }
    put_u16(out, (uint32_t)ncid);
    put_index_head(out, w.cs_sizes, (uint32_t)ncid);
    for (size_t c = 0; c < ncid; c++)
        lexp__sbuf_put(out, w.cs[c], w.cs_sizes[c]);
    put_index_head(out, w.fd_sizes, w.nfd);
    size_t priv_at = fdarray_at + index_head_size(w.fd_sizes, w.nfd);
    for (uint32_t i = 0; i < w.nfd; i++)
        priv_at += w.fd_sizes[i];
    for (uint32_t i = 0; i < w.nfd; i++) {
        const fdesc *f = &w.fds[i];
        for (int k = 0; k < f->fd.n; k++)
            if (f->fd.e[k].op != OP_PRIVATE)
                lexp__sbuf_put(out, f->fd.e[k].raw, f->fd.e[k].rawlen);
        put_int5(out, (long)f->newpriv);
        put_int5(out, (long)priv_at);
        put_op(out, OP_PRIVATE);
        priv_at += f->newpriv + f->subrslen;
    }
    for (uint32_t i = 0; i < w.nfd; i++) {
        const fdesc *f = &w.fds[i];
        for (int k = 0; k < f->pd.n; k++)
            if (f->pd.e[k].op != OP_SUBRS)
                lexp__sbuf_put(out, f->pd.e[k].raw, f->pd.e[k].rawlen);
        if (f->subrs) {
            put_int5(out, (long)f->newpriv); /* relative to the Private DICT */
            put_op(out, OP_SUBRS);
            lexp__sbuf_put(out, f->subrs, f->subrslen);
        }
    }
    if (out->oom) {
        rc = LEXP_CFF_OOM;
        goto done;
    }
    /* the layout computed above must be the one written */
    if (out->len - base == priv_at)
        rc = LEXP_CFF_OK;
done:
    if (rc != LEXP_CFF_OK && out->len > base)
        out->len = base;
    work_free(&w);
    return rc;
}

int lexp__cff_charstrings(const unsigned char *b, size_t len, size_t *first, size_t **ends,
                          size_t *count)
{
    *ends = NULL;
    *count = 0;
    if (len < 4 || b[0] != 1 || b[2] < 4 || b[2] > len)
        return LEXP_CFF_BAD;
    cidx names, tops, chars;
    if (read_index(b, len, b[2], &names) || read_index(b, len, names.pos + names.total, &tops) ||
        tops.count != 1)
        return LEXP_CFF_BAD;
    const unsigned char *tp;
    size_t tn;
    if (index_get(&tops, 0, &tp, &tn))
        return LEXP_CFF_BAD;
    dict *top = malloc(sizeof *top);
    if (!top)
        return LEXP_CFF_OOM;
    int rc = LEXP_CFF_BAD;
    const dent *e = parse_dict(tp, tn, top) ? NULL : dict_find(top, OP_CHARSTRINGS);
    if (e && e->nargs == 1 && e->arg[0] > 0 &&
        !read_index(b, len, (size_t)e->arg[0], &chars) && chars.count > 0) {
        size_t *v = malloc(chars.count * sizeof *v);
        if (!v) {
            rc = LEXP_CFF_OOM;
        } else {
            rc = LEXP_CFF_OK;
            for (uint32_t i = 0; i < chars.count; i++) {
                const unsigned char *p;
                size_t n;
                if (index_get(&chars, i, &p, &n)) { /* (ascending when each one is good) */
                    rc = LEXP_CFF_BAD;
                    break;
                }
                if (i == 0)
                    *first = (size_t)(p - b);
                v[i] = (size_t)(p - b) + n;
            }
            if (rc == LEXP_CFF_OK) {
                *ends = v;
                *count = chars.count;
            } else {
                free(v);
            }
        }
    }
    free(top);
    return rc;
}
