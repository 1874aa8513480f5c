/*
 * Output files and threads (issue 10 items 7, 8, 10 and the isolation of
 * renders): lexp_write_file never touches the umask, keeps modes, writes
 * only regular files; lexp_write_files is all or none; two threads render
 * at once, a failing render affecting no other.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <signal.h>
#include <unistd.h>

#include "libexport.h"

#include "check.h"

static char dir[64];

static mode_t mode_of(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static int temps_left(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".tmp-") != NULL;
    if (d)
        closedir(d);
    return n;
}

static int has(const char *p, const char *want)
{
    char got[64] = {0};
    FILE *f = fopen(p, "rb");
    size_t n = f ? fread(got, 1, sizeof got - 1, f) : 0;
    if (f)
        fclose(f);
    return n == strlen(want) && memcmp(got, want, n) == 0;
}

/* ---- item 10: eight threads write; the umask is never touched ------------ */

enum { WRITERS = 8, WRITES = 200 };

typedef struct {
    int id;
    int bad; /* files with another mode than 0666 & ~umask, or failed writes */
} writer;

static void *write_many(void *arg)
{
    writer *w = arg;
    char p[128];
    lexp_error e;
    for (int i = 0; i < WRITES; i++) {
        snprintf(p, sizeof p, "%s/w%d-%d.txt", dir, w->id, i);
        if (lexp_write_file(p, "x", 1, &e) != 0 || mode_of(p) != 0640)
            w->bad++;
        unlink(p);
    }
    return NULL;
}

static void test_umask_untouched(void)
{
    mode_t old = umask(027);
    pthread_t th[WRITERS];
    writer ws[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        ws[i] = (writer){i, 0};
        pthread_create(&th[i], NULL, write_many, &ws[i]);
    }
    /* meanwhile this thread watches the umask: a library that sets it to 0
     * even for an instant shows up here */
    int zero = 0;
    for (int i = 0; i < 20000; i++) {
        mode_t m = umask(027);
        zero += m != 027;
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        CHECK(ws[i].bad == 0);
    }
    CHECK(zero == 0);
    CHECK(umask(old) == 027);
}

/* ---- item 7: modes kept, links followed, only regular files ------------- */

static void test_targets(void)
{
    lexp_error e;
    char p[128], link[128], sub[128];
    snprintf(p, sizeof p, "%s/kept.txt", dir);
    CHECK(lexp_write_file(p, "one", 3, &e) == 0);
    chmod(p, 0600);
    CHECK(lexp_write_file(p, "two", 3, &e) == 0);
    CHECK(mode_of(p) == 0600 && has(p, "two"));
    chmod(p, 0754);
    CHECK(lexp_write_file(p, "six", 3, &e) == 0);
    CHECK(mode_of(p) == 0754 && has(p, "six"));

    snprintf(link, sizeof link, "%s/link.txt", dir);
    CHECK(symlink("kept.txt", link) == 0);
    CHECK(lexp_write_file(link, "via", 3, &e) == 0);
    struct stat st;
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(has(p, "via"));
    unlink(link);
    unlink(p);

    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0777);
    CHECK(lexp_write_file(sub, "x", 1, &e) == LEXP_EIO);
    CHECK(strstr(e.message, "directory") != NULL);
    snprintf(p, sizeof p, "%s/fifo", dir);
    CHECK(mkfifo(p, 0666) == 0);
    CHECK(lexp_write_file(p, "x", 1, &e) == LEXP_EIO);
    CHECK(strstr(e.message, "not a regular file") != NULL);
    CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode));
    unlink(p);
    CHECK(temps_left() == 0);
}

/* ---- item 8: several files all or none ------------------------------------ */

static void test_all_or_none(void)
{
    lexp_error e;
    char a[128], b[128], c[128];
    snprintf(a, sizeof a, "%s/a.txt", dir);
    snprintf(b, sizeof b, "%s/b.txt", dir);
    snprintf(c, sizeof c, "%s/sub", dir); /* a directory: refused */
    CHECK(lexp_write_file(a, "old a", 5, &e) == 0);
    CHECK(lexp_write_file(b, "old b", 5, &e) == 0);
    lexp_buf bufs[3] = {{(unsigned char *)"new a", 5}, {(unsigned char *)"new b", 5},
                        {(unsigned char *)"new c", 5}};
    const char *paths[3] = {a, b, c};
    CHECK(lexp_write_files(3, paths, bufs, &e) == LEXP_EIO);
    CHECK(has(a, "old a") && has(b, "old b") && temps_left() == 0);

    /* a file that cannot grow past 8 bytes: the second temporary fails */
    lexp_buf big[2] = {{(unsigned char *)"new a", 5},
                       {(unsigned char *)"new b, too long for the disk", 28}};
    struct rlimit old, lim = {8, 8};
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    lim.rlim_max = old.rlim_max;
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    int rc = lexp_write_files(2, paths, big, &e);
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK(rc == LEXP_EIO && strcmp(e.file, b) == 0);
    CHECK(has(a, "old a") && has(b, "old b") && temps_left() == 0);

    CHECK(lexp_write_files(2, paths, bufs, &e) == 0);
    CHECK(has(a, "new a") && has(b, "new b") && temps_left() == 0);
    const char *same[2] = {a, a};
    CHECK(lexp_write_files(2, same, bufs, &e) == LEXP_EINVAL);
    CHECK(has(a, "new a"));
    unlink(a);
    unlink(b);
    rmdir(c);
}

/* ---- two threads render at once; a failing one affects no other ---------- */

typedef struct {
    const lexp_template *t;
    const lexp_data *d;
    int format;
    const lexp_font_override *font; /* a font that cannot be read: fails */
    lexp_buf out;
    int rc;
    char msg[LEXP_ERROR_MESSAGE_MAX + 8];
} job;

static void *render(void *arg)
{
    job *j = arg;
    lexp_error e;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.month = "2024-09";
    o.format = j->format;
    o.fonts = j->font;
    o.nfonts = j->font ? 1 : 0;
    j->rc = lexp_render(&j->out, j->t, j->d, &o, &e);
    snprintf(j->msg, sizeof j->msg, "%s", j->rc ? e.message : "");
    return NULL;
}

static void test_isolation(void)
{
    lexp_error e;
    lexp_data *d = NULL;
    lexp_template *good = NULL, *bad = NULL;
    char path[1024];
    const char *src = getenv("LEXP_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/samples/qinqu.json", src ? src : ".");
    if (lexp_data_load_file(&d, path, &e)) {
        printf("FAIL cannot load %s: %s\n", path, e.message);
        fails++;
        return;
    }
    CHECK(lexp_template_load(&good, NULL, "briefing", &e) == 0);
    /* fails late, in evaluation, after building most of a document */
    static const char BAD[] = "# 标题\n{% for a in activities %}{{ a.title }}{% endfor %}\n"
                              "{{ community.name + 1 }}\n";
    CHECK(lexp_template_parse(&bad, BAD, sizeof BAD - 1, "bad.lxt", &e) == 0);
    lexp_font_override nofont = {LEXP_ROLE_SONG, "/nonexistent/font.ttf", 0};
    static const int formats[] = {LEXP_FORMAT_PDF, LEXP_FORMAT_DOCX, LEXP_FORMAT_XLSX,
                                  LEXP_FORMAT_TXT};
    for (int f = 0; f < 4; f++) {
        job ref = {good, d, formats[f], NULL, LEXP_BUF_INIT, 0, ""};
        render(&ref);
        CHECK(ref.rc == 0 && ref.out.size > 1000);
        for (int round = 0; round < 3; round++) {
            /* the failure: a bad template, or (PDF) a font that is not there */
            job j[2] = {{good, d, formats[f], NULL, LEXP_BUF_INIT, 0, ""},
                        {round == 2 && f == 0 ? good : bad, d, formats[f],
                         round == 2 && f == 0 ? &nofont : NULL, LEXP_BUF_INIT, 0, ""}};
            pthread_t th[2];
            for (int i = 0; i < 2; i++)
                pthread_create(&th[i], NULL, render, &j[i]);
            for (int i = 0; i < 2; i++)
                pthread_join(th[i], NULL);
            CHECK(j[0].rc == 0);
            CHECK(j[0].out.size == ref.out.size &&
                  memcmp(j[0].out.ptr, ref.out.ptr, ref.out.size) == 0);
            CHECK(j[1].rc != 0 && j[1].out.ptr == NULL && j[1].msg[0]);
            for (int i = 0; i < 2; i++)
                lexp_buf_dispose(&j[i].out);
        }
        lexp_buf_dispose(&ref.out);
    }
    lexp_template_free(good);
    lexp_template_free(bad);
    lexp_data_free(d);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/lexp-io-XXXXXX");
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_umask_untouched();
    test_targets();
    test_all_or_none();
    test_isolation();
    rmdir(dir);
    printf("%s\n", fails ? "io tests FAILED" : "io tests passed");
    return fails != 0;
}
