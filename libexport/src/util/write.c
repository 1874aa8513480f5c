/*
 * Atomic output (issue 10 items 7, 8 and 10): every file is written to a
 * temporary beside its target and renamed over it only when complete.
 *
 *  - Only regular files are replaced. A symlink at the target is followed
 *    (the temporary goes beside the file it names, so the link stays a
 *    link); a directory, device, FIFO or socket is refused: renaming over
 *    /dev/null would replace the device with a file.
 *  - An existing file keeps its permission bits (and owner, where we may
 *    set it); a new file gets 0666 less the umask, applied by the kernel at
 *    open(): the process umask is never read or changed, since that is
 *    process-wide state other threads rely on.
 *  - Several files go all or none: every temporary is complete before the
 *    first rename, and any failure until then removes them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MAX_LINKS 40 /* as the kernel's own limit on symlinks in a path */

typedef struct {
    char *target; /* the file finally written: the path, or what its links name */
    char *tmp;    /* its temporary, once created */
    int exists;
    struct stat st;
} plan;

static int io_error(lexp_error *err, const char *path, int e, const char *what)
{
    return lexp__error_set(err, LEXP_EIO, path, 0, 0, NULL, "%s: %s", what, strerror(e));
}

/* Follow symlinks at `path` to the name of the file to write (which may not
 * exist yet). */
static int resolve(plan *p, const char *path, lexp_error *err)
{
    char *cur = strdup(path);
    if (!cur)
        return lexp__error_oom(err);
    for (int hops = 0;; hops++) {
        if (lstat(cur, &p->st) != 0) {
            if (errno != ENOENT) {
                int e = errno;
                free(cur);
                return io_error(err, path, e, "cannot write");
            }
            p->exists = 0;
            break;
        }
        if (!S_ISLNK(p->st.st_mode)) {
            p->exists = 1;
            break;
        }
        if (hops == MAX_LINKS) {
            free(cur);
            return io_error(err, path, ELOOP, "cannot write");
        }
        size_t cap = (size_t)p->st.st_size + 1 > 256 ? (size_t)p->st.st_size + 1 : 256;
        char *link = malloc(cap);
        ssize_t n = link ? readlink(cur, link, cap) : -1;
        if (n < 0 || (size_t)n >= cap) {
            int e = n < 0 ? errno : ENAMETOOLONG;
            free(link);
            free(cur);
            return link ? io_error(err, path, e, "cannot follow the link") : lexp__error_oom(err);
        }
        link[n] = 0;
        char *next;
        if (link[0] == '/') {
            next = link;
        } else { /* relative to the link's own directory */
            char *dir = lexp__dir_of(cur);
            size_t dl = dir ? strlen(dir) : 0;
            next = dir ? malloc(dl + 1 + (size_t)n + 1) : NULL;
            if (next) {
                memcpy(next, dir, dl);
                next[dl] = '/';
                memcpy(next + dl + 1, link, (size_t)n + 1);
            }
            free(dir);
            free(link);
            if (!next) {
                free(cur);
                return lexp__error_oom(err);
            }
        }
        free(cur);
        cur = next;
    }
    p->target = cur;
    if (p->exists && S_ISDIR(p->st.st_mode))
        return lexp__error_set(err, LEXP_EIO, path, 0, 0, NULL,
                               "is a directory; give the name of a file to write");
    if (p->exists && !S_ISREG(p->st.st_mode))
        return lexp__error_set(err, LEXP_EIO, path, 0, 0, NULL,
                               "is not a regular file (a device, FIFO or socket); only "
                               "files are written");
    return 0;
}

/* A name nobody else is using: random letters, without shared state. */
static void random_suffix(char *dst, size_t n, unsigned attempt)
{
    static const char az[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)dst ^
                 ((uint64_t)attempt * 0x9E3779B97F4A7C15u);
    for (size_t i = 0; i < n; i++) {
        x ^= x >> 33; /* splitmix-style scrambling of the seed */
        x *= 0xFF51AFD7ED558CCDu;
        x ^= x >> 29;
        dst[i] = az[x % (sizeof az - 1)];
    }
}

int lexp__write_all(int fd, const void *bytes, size_t left)
{
    const unsigned char *p = bytes;
    while (left > 0) {
        ssize_t w = write(fd, p, left > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

/* Copy what is left of src_fd into fd, a block at a time. */
static int copy_all(int fd, int src_fd)
{
    unsigned char buf[64 * 1024];
    for (;;) {
        ssize_t k = read(src_fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            return 0;
        if (lexp__write_all(fd, buf, (size_t)k))
            return -1;
    }
}

/* Create, fill (from `bytes`, or from src_fd when it is ≥ 0) and close the
 * temporary of one target. */
static int write_temp(plan *p, const char *path, const void *bytes, size_t size, int src_fd,
                      lexp_error *err)
{
    size_t n = strlen(p->target);
    p->tmp = malloc(n + 16);
    if (!p->tmp)
        return lexp__error_oom(err);
    memcpy(p->tmp, p->target, n);
    memcpy(p->tmp + n, ".tmp-", 5);
    int fd = -1;
    for (unsigned attempt = 0; attempt < 100 && fd < 0; attempt++) {
        random_suffix(p->tmp + n + 5, 6, attempt);
        p->tmp[n + 11] = 0;
        /* new files: 0666 less the umask, by the kernel; a replaced file's
         * bits are set below, before any byte is written */
        fd = open(p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  p->exists ? 0600 : 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        free(p->tmp);
        p->tmp = NULL;
        return io_error(err, path, e, "cannot create");
    }
    if (p->exists) {
        /* best effort: only root may give a file away */
        if (p->st.st_uid != geteuid() || p->st.st_gid != getegid())
            (void)!fchown(fd, p->st.st_uid, p->st.st_gid);
        if (fchmod(fd, p->st.st_mode & 07777) != 0)
            (void)!fchmod(fd, p->st.st_mode & 0777);
    }
    int rc = src_fd >= 0 ? copy_all(fd, src_fd) : lexp__write_all(fd, bytes, size);
    int e = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc) {
        unlink(p->tmp);
        free(p->tmp);
        p->tmp = NULL;
        return io_error(err, path, e, "cannot write");
    }
    return 0;
}

int lexp__write_files(size_t n, const char *const *paths, const void *const *bytes,
                      const size_t *sizes, lexp_error *err)
{
    lexp_error_clear(err);
    if (n == 0)
        return 0;
    if (!paths || !bytes || !sizes)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    for (size_t i = 0; i < n; i++)
        if (!paths[i] || !*paths[i] || (!bytes[i] && sizes[i]))
            return lexp__error_set(err, LEXP_EINVAL, paths[i], 0, 0, NULL,
                                   "invalid argument");
    plan *ps = calloc(n, sizeof *ps);
    if (!ps)
        return lexp__error_oom(err);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = resolve(&ps[i], paths[i], err);
    for (size_t i = 0; i < n && rc == 0; i++)
        for (size_t j = 0; j < i && rc == 0; j++)
            if (strcmp(ps[i].target, ps[j].target) == 0 ||
                (ps[i].exists && ps[j].exists && ps[i].st.st_dev == ps[j].st.st_dev &&
                 ps[i].st.st_ino == ps[j].st.st_ino))
                rc = lexp__error_set(err, LEXP_EINVAL, paths[i], 0, 0, NULL,
                                     "is the same file as %s", paths[j]);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = write_temp(&ps[i], paths[i], bytes[i], sizes[i], -1, err);
    /* Every temporary is complete: now the renames, each one atomic. */
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (rename(ps[i].tmp, ps[i].target) != 0) {
            int e = errno;
            rc = i == 0 ? io_error(err, paths[i], e, "cannot write")
                        : lexp__error_set(err, LEXP_EIO, paths[i], 0, 0, NULL,
                                          "cannot write: %s (%zu earlier file%s already "
                                          "replaced)",
                                          strerror(e), i, i == 1 ? "" : "s");
            break;
        }
        free(ps[i].tmp);
        ps[i].tmp = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (ps[i].tmp)
            unlink(ps[i].tmp);
        free(ps[i].tmp);
        free(ps[i].target);
    }
    free(ps);
    return rc;
}

int lexp__write_file_fd(const char *path, int src_fd, lexp_error *err)
{
    lexp_error_clear(err);
    if (!path || !*path || src_fd < 0)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    plan p;
    memset(&p, 0, sizeof p);
    int rc = resolve(&p, path, err);
    if (rc == 0)
        rc = write_temp(&p, path, NULL, 0, src_fd, err);
    if (rc == 0 && rename(p.tmp, p.target) != 0)
        rc = io_error(err, path, errno, "cannot write");
    if (p.tmp && rc)
        unlink(p.tmp);
    free(p.tmp);
    free(p.target);
    return rc;
}
