/*
 * libxml2 is set up once however many threads use it first.
 *
 * libxml2 2.9 (Debian 12) builds its table of encoding handlers on first
 * use without a lock unless xmlInitParser ran first. The ledger reader
 * never called it: two batch threads reading their first workbooks at the
 * same moment each built a table, one was lost, and the batch test failed
 * under ASan on the leak (1 run in 40). Each round here is a fresh
 * process whose threads all make their first libxml2 call together, all
 * reading a ledger (as in a batch) or half of them filling a template; libxml2's allocations are
 * counted (and its first ones slowed) through xmlMemSetup, and after
 * xmlCleanupParser none may remain; nothing may be printed.
 */
#define _DEFAULT_SOURCE /* usleep */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlmemory.h>

#include "libexport.h"
#include "office_min.h"

enum { THREADS = 8, ROUNDS = 20 };

/* blocks libxml2 holds: one counter for the child process it runs in */
static atomic_long live;
static atomic_long made;

/* libxml2's first allocations (its set-up) are slowed, so that threads
 * racing through an unguarded set-up overlap in it every time */
static void slow_start(void)
{
    if (atomic_fetch_add(&made, 1) < 64)
        usleep(2000);
}

static void *count_malloc(size_t n)
{
    slow_start();
    void *p = malloc(n);
    if (p)
        atomic_fetch_add(&live, 1);
    return p;
}

static void *count_realloc(void *p, size_t n)
{
    slow_start();
    void *q = realloc(p, n);
    if (q && !p)
        atomic_fetch_add(&live, 1);
    return q;
}

static void count_free(void *p)
{
    if (p)
        atomic_fetch_sub(&live, 1);
    free(p);
}

static char *count_strdup(const char *s)
{
    slow_start();
    char *d = strdup(s);
    if (d)
        atomic_fetch_add(&live, 1);
    return d;
}

typedef struct job {
    pthread_barrier_t *go;
    const char *ledger; /* read this, or fill when NULL */
    const unsigned char *docx;
    size_t len;
    lexp_data *data;
    int rc;
} job;

static void *first_use(void *arg)
{
    job *j = arg;
    lexp_buf out = LEXP_BUF_INIT;
    lexp_error e;
    lexp_data *d = NULL;
    pthread_barrier_wait(j->go);
    if (j->ledger)
        j->rc = lexp_data_load_ledger(&d, j->ledger, NULL, NULL, NULL, &e);
    else
        j->rc = lexp_fill_memory(&out, j->docx, j->len, "a.docx", j->data, NULL, &e);
    lexp_data_free(d);
    lexp_buf_dispose(&out);
    return NULL;
}

/* One round in this (fresh) process: 0 when every fill worked and
 * libxml2 holds nothing after its cleanup. */
static int round_in_child(const char *ledger, int mixed)
{
    /* the library never prints: the round's stderr goes to a file that
     * must stay empty (the lost race printed libxml2's complaints) */
    FILE *err = tmpfile();
    if (!err || dup2(fileno(err), STDERR_FILENO) < 0)
        return 2;
    if (xmlMemSetup(count_free, count_malloc, count_realloc, count_strdup) != 0)
        return 2;
    size_t len;
    unsigned char *docx =
        om_docx("<w:p><w:r><w:t>{{ name }}</w:t></w:r></w:p>", &len);
    lexp_data *d = NULL;
    lexp_error e;
    static const char json[] = "{\"name\": \"秦渠社区\"}";
    if (!docx || lexp_data_load_json(&d, json, sizeof json - 1, "data.json", &e) != 0)
        return 2;
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    pthread_t th[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){&go, mixed && i % 2 ? NULL : ledger, docx, len, d, -1};
        if (pthread_create(&th[i], NULL, first_use, &jobs[i]) != 0)
            return 2;
    }
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        bad |= jobs[i].rc != 0;
    }
    pthread_barrier_destroy(&go);
    lexp_data_free(d);
    free(docx);
    xmlCleanupParser();
    long left = atomic_load(&live);
    if (left != 0)
        printf("  %ld block(s) of libxml2 left after its cleanup\n", left);
    long printed = ftell(err) < 0 ? -1 : (fseek(err, 0, SEEK_END), ftell(err));
    if (printed != 0)
        printf("  %ld byte(s) printed on stderr\n", printed);
    return bad ? 3 : left != 0 || printed != 0;
}

int main(void)
{
    const char *src = getenv("LEXP_SOURCE_DIR");
    char ledger[4096];
    snprintf(ledger, sizeof ledger, "%s/samples/钢城街道/五一社区.xlsx", src ? src : ".");
    if (access(ledger, R_OK) != 0) {
        printf("FAIL: no ledger at %s (set LEXP_SOURCE_DIR)\n", ledger);
        return 1;
    }
    int fails = 0;
    for (int r = 0; r < ROUNDS; r++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            return 2;
        if (pid == 0) {
            int rc = round_in_child(ledger, r % 2);
            fflush(stdout); /* _exit does not */
            _exit(rc);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            printf("FAIL round %d: %s %d\n", r, WIFEXITED(st) ? "exit" : "signal",
                   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            fails++;
        }
    }
    if (fails)
        printf("%d of %d rounds failed\n", fails, ROUNDS);
    else
        printf("ok: %d rounds of %d threads\n", ROUNDS, THREADS);
    return fails != 0;
}
