/*
 * Reading an image file named by the data: the path is resolved (every
 * symlink followed) and must stay inside the data folder, also resolved,
 * and name a regular file. The text check the evaluator does (no "..", no
 * absolute path) cannot see a symlink to /etc or /dev/zero, and a FIFO
 * would block the render for ever.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

static int fail(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return -1;
}

/* Open the resolved path for reading: never blocking (FIFO, device),
 * never through a symlink swapped in since it was resolved. */
static int open_regular(const char *real, char *why, size_t whylen)
{
    int fd = open(real, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "cannot open the file: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(why, whylen, "not a regular file");
    }
    if ((unsigned long long)st.st_size > LEXP_IMAGE_MAX_FILE) {
        close(fd);
        snprintf(why, whylen, "the file is %.1f MB; image files are limited to %u MB",
                 (double)st.st_size / 1048576.0, LEXP_IMAGE_MAX_FILE / (1024u * 1024u));
        return -1;
    }
    return fd;
}

static int read_all(int fd, char **data, size_t *len, char *why, size_t whylen)
{
    size_t cap = 64 * 1024, n = 0;
    char *b = malloc(cap + 1);
    if (!b)
        return fail(why, whylen, "out of memory reading the file");
    for (;;) {
        if (n == cap) {
            if (cap >= LEXP_IMAGE_MAX_FILE + 1u) { /* it grew while being read */
                free(b);
                snprintf(why, whylen, "image files are limited to %u MB",
                         LEXP_IMAGE_MAX_FILE / (1024u * 1024u));
                return -1;
            }
            size_t nc = cap * 2 > LEXP_IMAGE_MAX_FILE + 1u ? LEXP_IMAGE_MAX_FILE + 1u : cap * 2;
            char *nb = realloc(b, nc + 1);
            if (!nb) {
                free(b);
                return fail(why, whylen, "out of memory reading the file");
            }
            b = nb;
            cap = nc;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(b);
            snprintf(why, whylen, "read error: %s", strerror(errno));
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > LEXP_IMAGE_MAX_FILE) {
        free(b);
        snprintf(why, whylen, "image files are limited to %u MB",
                 LEXP_IMAGE_MAX_FILE / (1024u * 1024u));
        return -1;
    }
    b[n] = 0;
    *data = b;
    *len = n;
    return 0;
}

int lexp__image_read(const char *base, const char *path, char **data, size_t *len, char *why,
                     size_t whylen)
{
    *data = NULL;
    *len = 0;
    if (!path || !*path)
        return fail(why, whylen, "no path");
    char *joined = NULL, *rbase = NULL, *real = NULL;
    int rc = -1, fd = -1;
    if (base) {
        size_t bl = strlen(base), pl = strlen(path);
        joined = malloc(bl + pl + 2);
        if (!joined)
            return fail(why, whylen, "out of memory reading the file");
        memcpy(joined, base, bl);
        joined[bl] = '/';
        memcpy(joined + bl + 1, path, pl + 1);
        rbase = realpath(base, NULL);
        real = realpath(joined, NULL);
        if (!rbase || !real) {
            snprintf(why, whylen, "cannot open the file: %s", strerror(errno));
            goto done;
        }
        size_t rl = strlen(rbase);
        int inside = strncmp(real, rbase, rl) == 0 &&
                     (real[rl] == '/' || (rl == 1 && rbase[0] == '/'));
        if (!inside) {
            fail(why, whylen, "the path leads outside the data folder through a symlink");
            goto done;
        }
    }
    fd = open_regular(real ? real : path, why, whylen);
    if (fd < 0)
        goto done;
    rc = read_all(fd, data, len, why, whylen);
done:
    if (fd >= 0)
        close(fd);
    free(joined);
    free(rbase);
    free(real);
    return rc;
}
