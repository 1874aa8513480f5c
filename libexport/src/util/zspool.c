/*
 * Parts deflated into scratch files as they are written (zspool.h).
 */
#define _GNU_SOURCE /* mkostemp: scratch files are close-on-exec from the start */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/zspool.h"

const char *lexp__tmpdir(void)
{
    const char *td = getenv("TMPDIR");
    return td && *td ? td : "/tmp";
}

static int io_fail(const lexp__zspool *s, lexp_error *err, const char *what, int e)
{
    return lexp__error_set(err, LEXP_EIO, NULL, 0, 0, NULL, "%s: %s: %s", s->who, what,
                           strerror(e));
}

int lexp__scratch_fd(const char *tmpdir, const char *who, lexp_error *err)
{
    size_t n = strlen(tmpdir) + 32;
    char *path = malloc(n);
    if (!path) {
        lexp__error_oom(err);
        return -1;
    }
    snprintf(path, n, "%s/lexp-%s-XXXXXX", tmpdir, who);
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path); /* gone with the last descriptor, whatever happens */
    else
        lexp__error_set(err, LEXP_EIO, NULL, 0, 0, NULL,
                        "%s: cannot create a temporary file in %s: %s", who, tmpdir,
                        strerror(errno));
    free(path);
    return fd;
}

int lexp__zspool_open(lexp__zspool *s, const char *tmpdir, int level, const char *who,
                      lexp_error *err)
{
    memset(s, 0, sizeof *s);
    s->who = who;
    z_stream *z = calloc(1, sizeof *z);
    if (!z)
        return lexp__error_oom(err);
    int fd = lexp__scratch_fd(tmpdir, who, err);
    if (fd >= 0 && !(s->f = fdopen(fd, "w+b"))) {
        close(fd);
        fd = -1;
        lexp__error_oom(err);
    }
    if (fd < 0) {
        free(z);
        return err ? err->code : LEXP_EIO;
    }
    if (deflateInit2(z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        fclose(s->f);
        s->f = NULL;
        return lexp__error_oom(err);
    }
    s->z = z;
    s->crc = lexp__crc32(0, NULL, 0);
    return 0;
}

int lexp__zspool_put(lexp__zspool *s, const void *data, size_t n, int end, lexp_error *err)
{
    z_stream *z = s->z;
    int flush = end == LEXP_ZSPOOL_FINISH ? Z_FINISH
                : end == LEXP_ZSPOOL_SYNC ? Z_SYNC_FLUSH
                                          : Z_NO_FLUSH;
    s->crc = lexp__crc32(s->crc, data, n);
    s->size += n;
    unsigned char out[64 * 1024];
    const unsigned char *p = data;
    /* zlib counts input in uInt: feed a longer buffer in slices */
    do {
        size_t slice = n > (1u << 30) ? (1u << 30) : n;
        z->next_in = (Bytef *)p;
        z->avail_in = (uInt)slice;
        p += slice;
        n -= slice;
        int f = n ? Z_NO_FLUSH : flush, zr;
        do {
            z->next_out = out;
            z->avail_out = sizeof out;
            zr = deflate(z, f);
            /* a finish that cannot progress (the stream ended already)
             * would otherwise loop */
            if (zr == Z_STREAM_ERROR || (zr == Z_BUF_ERROR && f == Z_FINISH))
                return lexp__error_set(err, LEXP_EBACKEND, NULL, 0, 0, NULL,
                                       "%s: zlib could not deflate a long part", s->who);
            size_t got = sizeof out - z->avail_out;
            if (got && fwrite(out, 1, got, s->f) != got)
                return io_fail(s, err, "cannot write a temporary file", errno);
            s->comp += got;
        } while (z->avail_out == 0 || (f == Z_FINISH && zr != Z_STREAM_END));
    } while (n);
    if (end != LEXP_ZSPOOL_MORE && fflush(s->f) != 0)
        return io_fail(s, err, "cannot write a temporary file", errno);
    return 0;
}

void lexp__zspool_free(lexp__zspool *s)
{
    if (s->z) {
        deflateEnd(s->z);
        free(s->z);
    }
    if (s->f)
        fclose(s->f);
    s->z = NULL;
    s->f = NULL;
}

/* ---- the entry ---------------------------------------------------------------- */

zip_source_t *lexp__zip_source_zspool(zip_t *za, const lexp__zpiece *head,
                                      const lexp__zspool *s, const lexp__zpiece *tail)
{
    lexp__zpiece file = {NULL, s->comp, s->size, s->crc};
    return lexp__zip_source_pieces(za, head, s->f, &file, tail);
}

/* ---- the archive ---------------------------------------------------------------- */

int lexp__zout_open(lexp__zout *z, const char *tmpdir, const char *who, lexp_error *err)
{
    memset(z, 0, sizeof *z);
    z->who = who;
    zip_error_t ze;
    zip_error_init(&ze);
    if (!tmpdir) {
        z->mem = zip_source_buffer_create(NULL, 0, 0, &ze);
        if (z->mem && !(z->za = zip_open_from_source(z->mem, ZIP_CREATE | ZIP_TRUNCATE, &ze))) {
            zip_source_free(z->mem);
            z->mem = NULL;
        }
        if (z->mem)
            zip_source_keep(z->mem); /* read back after zip_close */
    } else {
        size_t n = strlen(tmpdir) + 32;
        if (!(z->tmp = malloc(n)))
            return zip_error_fini(&ze), lexp__error_oom(err);
        snprintf(z->tmp, n, "%s/lexp-%s-XXXXXX", tmpdir, who);
        int fd = mkostemp(z->tmp, O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            int rc = lexp__error_set(err, LEXP_EIO, NULL, 0, 0, NULL,
                                     "%s: cannot create a temporary file in %s: %s", who, tmpdir,
                                     strerror(e));
            zip_error_fini(&ze);
            free(z->tmp);
            z->tmp = NULL;
            return rc;
        }
        close(fd);
        int zerr = 0;
        if (!(z->za = zip_open(z->tmp, ZIP_CREATE | ZIP_TRUNCATE, &zerr)))
            zip_error_init_with_code(&ze, zerr);
    }
    int rc = 0;
    if (!z->za) {
        rc = lexp__error_set(err, LEXP_EBACKEND, NULL, 0, 0, NULL,
                             "%s: cannot start the archive: %s", who, zip_error_strerror(&ze));
        lexp__zout_discard(z);
    }
    zip_error_fini(&ze);
    return rc;
}

static void zout_free(lexp__zout *z)
{
    if (z->mem)
        zip_source_free(z->mem);
    if (z->tmp) {
        unlink(z->tmp);
        free(z->tmp);
    }
    memset(z, 0, sizeof *z);
}

void lexp__zout_discard(lexp__zout *z)
{
    if (z->za)
        zip_discard(z->za);
    zout_free(z);
}

int lexp__zout_deliver(lexp__zout *z, lexp__sbuf *out, const char *to, lexp_error *err)
{
    int rc = 0;
    if (z->mem) {
        lexp__sbuf all = LEXP__SBUF_INIT;
        int r = lexp__zip_source_slurp(z->mem, out ? out : &all);
        if (r == -2)
            rc = lexp__error_oom(err);
        else if (r)
            rc = lexp__error_set(err, LEXP_EBACKEND, NULL, 0, 0, NULL,
                                 "%s: reading the archive back: %s", z->who,
                                 zip_error_strerror(zip_source_error(z->mem)));
        else if (!out) {
            const void *bytes = all.ptr ? all.ptr : "";
            size_t size = all.len;
            rc = lexp__write_files(1, &to, &bytes, &size, err);
        }
        lexp__sbuf_free(&all);
    } else {
        int fd = open(z->tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = lexp__error_set(err, LEXP_EIO, NULL, 0, 0, NULL,
                                 "%s: cannot read the archive back: %s", z->who, strerror(errno));
        } else if (out) {
            char buf[64 * 1024];
            ssize_t got;
            while ((got = read(fd, buf, sizeof buf)) > 0)
                lexp__sbuf_put(out, buf, (size_t)got);
            if (got < 0)
                rc = lexp__error_set(err, LEXP_EIO, NULL, 0, 0, NULL,
                                     "%s: cannot read the archive back: %s", z->who,
                                     strerror(errno));
            else if (out->oom)
                rc = lexp__error_oom(err);
            close(fd);
        } else {
            rc = lexp__write_file_fd(to, fd, err);
            close(fd);
        }
    }
    z->za = NULL; /* closed by the caller */
    zout_free(z);
    return rc;
}
