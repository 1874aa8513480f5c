/*
 * util/zspool.c on its own: a spool deflated into a scratch file in pieces
 * (more, sync, finish) reads back through libzip as the bytes put, with
 * their size and CRC-32; the scratch file is unlinked at once and its
 * descriptor is close-on-exec (a program that forks and execs while we
 * render must not hand our scratch files to its children); an archive
 * written to a scratch file is delivered to memory or to a path and leaves
 * nothing behind; a missing directory is LEXP_EIO naming it. The rows
 * file a streamed loop holds open is close-on-exec too.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include "data/rows.h"
#include "util/zspool.h"

#include "check.h"
#include "office_min.h"

static int entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    return fl >= 0 && (fl & FD_CLOEXEC);
}

/* The archive of one spooled entry: put in three pieces, written to a
 * scratch file in `dir`, delivered to memory (or to `to`). */
static int spooled_archive(const char *dir, const char *data, size_t n, lexp__sbuf *out,
                           const char *to)
{
    lexp_error err;
    lexp_error_clear(&err);
    lexp__zspool s;
    CHECK(lexp__zspool_open(&s, dir, 6, "test", &err) == 0);
    if (!s.f)
        return -1;
    CHECK(cloexec(fileno(s.f)));
    CHECK(entries_in(dir) == 0); /* unlinked already */
    size_t a = n / 3, b = n / 3;
    CHECK(lexp__zspool_put(&s, data, a, LEXP_ZSPOOL_MORE, &err) == 0);
    CHECK(lexp__zspool_put(&s, data + a, b, LEXP_ZSPOOL_SYNC, &err) == 0);
    CHECK(lexp__zspool_put(&s, data + a + b, n - a - b, LEXP_ZSPOOL_FINISH, &err) == 0);
    CHECK(s.size == n && s.crc == (uint32_t)crc32(0, (const Bytef *)data, (uInt)n));
    CHECK(s.comp > 0 && s.comp < n);

    lexp__zout z;
    CHECK(lexp__zout_open(&z, dir, "test", &err) == 0);
    int rc = -1;
    if (z.za) {
        zip_source_t *src = lexp__zip_source_zspool(z.za, NULL, &s, NULL);
        CHECK(src != NULL);
        CHECK(src && zip_file_add(z.za, "part.xml", src, 0) == 0);
        CHECK(zip_close(z.za) == 0);
        rc = lexp__zout_deliver(&z, out, to, &err);
        CHECK(rc == 0);
    }
    lexp__zspool_free(&s);
    return rc;
}

/* The descriptor this process holds on `path`, or -1. */
static int fd_of(const char *path)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int found = -1;
    struct dirent *e;
    char link[512], to[512];
    while (found < 0 && (e = readdir(d))) {
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, to, sizeof to - 1);
        if (n > 0 && (to[n] = 0, strcmp(to, path) == 0))
            found = atoi(e->d_name);
    }
    closedir(d);
    return found;
}

static void rows_file_is_cloexec(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/rows.ndjson", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("{\"a\": 1}\n{\"a\": 2}\n", f);
    fclose(f);
    lexp_rows_src src = {"rows", 4, path, LEXP__ROWS_NDJSON};
    lexp__arena A;
    lexp__arena_init(&A);
    lexp_rows *r = NULL;
    lexp_error err;
    lexp_error_clear(&err);
    CHECK(lexp__rows_open(&r, &src, &A, &err) == 0);
    int fd = fd_of(path);
    CHECK(fd >= 0 && cloexec(fd));
    lexp__rows_close(r);
    CHECK(fd_of(path) < 0);
    lexp__arena_free(&A);
    unlink(path);
}

int main(void)
{
    char dir[] = "/tmp/lexp-zspool-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);

    size_t n = 500000;
    char *data = malloc(n);
    unsigned x = 7;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = "<row r=\"1\"><c t=\"n\"><v>0123456789</v></c></row>"[(x >> 16) % 47];
    }

    /* delivered to memory */
    lexp__sbuf mem = LEXP__SBUF_INIT;
    CHECK(spooled_archive(dir, data, n, &mem, NULL) == 0);
    char *back = om_read((const unsigned char *)mem.ptr, mem.len, "part.xml");
    CHECK(back && strlen(back) == n && memcmp(back, data, n) == 0);
    free(back);
    CHECK(entries_in(dir) == 0); /* the scratch archive is gone too */

    /* delivered to a path: the same entry, and only that file remains */
    char to[256];
    snprintf(to, sizeof to, "%s/out.zip", dir);
    CHECK(spooled_archive(dir, data, n, NULL, to) == 0);
    char *file = NULL;
    size_t flen = 0;
    lexp_error err;
    lexp_error_clear(&err);
    CHECK(lexp__read_file(&file, &flen, to, 1 << 24, &err) == 0);
    back = file ? om_read((const unsigned char *)file, flen, "part.xml") : NULL;
    CHECK(back && strlen(back) == n && memcmp(back, data, n) == 0);
    free(back);
    free(file);
    CHECK(entries_in(dir) == 1);
    unlink(to);

    /* a directory that is not there */
    char gone[300];
    snprintf(gone, sizeof gone, "%s/missing", dir);
    lexp__zspool s;
    lexp_error_clear(&err);
    CHECK(lexp__zspool_open(&s, gone, 6, "docx", &err) == LEXP_EIO);
    CHECK(strstr(err.message, gone) != NULL && strncmp(err.message, "docx: ", 6) == 0);
    CHECK(s.f == NULL);
    lexp__zout z;
    lexp_error_clear(&err);
    CHECK(lexp__zout_open(&z, gone, "xlsx", &err) == LEXP_EIO);
    CHECK(strstr(err.message, gone) != NULL && z.za == NULL);

    rows_file_is_cloexec(dir);

    lexp__sbuf_free(&mem);
    free(data);
    CHECK(rmdir(dir) == 0);
    printf(fails ? "%d failure(s)\n" : "ok\n", fails);
    return fails != 0;
}
