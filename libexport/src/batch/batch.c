/*
 * lexp_batch: many communities' documents on a pool of threads.
 *
 * One engine serves every thread: parsed templates and font subsets are
 * immutable once made, and the engine locks only its caches. Each input is
 * loaded, rendered into memory in every template and format, and only then
 * written (each file atomically), so an input that fails leaves nothing
 * behind and the others go on. Workers take the next input from a shared
 * counter; everything else a worker touches is its own, so memory stays
 * that of a few inputs at a time however many there are — unless a roll-up
 * needs every community's data at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../data/value.h"
#include "../template/ast.h"
#include "batch.h"

static int ends_with(const char *s, const char *ext)
{
    size_t n = strlen(s), e = strlen(ext);
    return n > e && strcasecmp(s + n - e, ext) == 0;
}

int lexp__mkdirs(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : -1;
    char *copy = strdup(dir);
    if (!copy)
        return -1;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            free(copy);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir(copy, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(copy);
    return rc;
}

/* A community's name as a folder name: no '/', no control characters, not
 * "." or "..". */
char *lexp__folder_name(const char *name)
{
    size_t n = strlen(name);
    char *s = malloc(n + 2);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        s[o++] = (c == '/' || c == '\\' || c < 0x20) ? '_' : (char)c;
    }
    s[o] = 0;
    if (o == 0 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
        s[0] = '_';
        s[1] = 0;
    }
    return s;
}

/* ---- inputs ---------------------------------------------------------------------- */

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int data_file(const char *name)
{
    return name[0] != '.' && strncmp(name, "~$", 2) != 0 &&
           (ends_with(name, ".json") || ends_with(name, ".xlsx") || ends_with(name, ".xlsm") ||
            ends_with(name, ".csv"));
}

static int add(char ***list, size_t *n, size_t *cap, const char *path)
{
    if (lexp__grow((void **)list, cap, *n + 1, sizeof **list))
        return -1;
    if (!((*list)[*n] = strdup(path)))
        return -1;
    (*n)++;
    return 0;
}

/* Inputs with folders replaced by their data files, in name order. */
static int expand(char ***out, size_t *nout, const char *const *inputs, size_t n,
                  const lexp_batch_options *opt, lexp_error *err)
{
    char **list = NULL;
    size_t cnt = 0, cap = 0;
    (void)opt;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(inputs[i], &st) != 0) {
            lexp__error_set(err, LEXP_EIO, inputs[i], 0, 0, NULL, "cannot open: %s",
                            strerror(errno));
            goto fail;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (add(&list, &cnt, &cap, inputs[i]))
                goto oom;
            continue;
        }
        DIR *d = opendir(inputs[i]);
        if (!d) {
            lexp__error_set(err, LEXP_EIO, inputs[i], 0, 0, NULL, "cannot read the folder: %s",
                            strerror(errno));
            goto fail;
        }
        char **names = NULL;
        size_t nn = 0, nc = 0;
        struct dirent *e;
        int bad = 0;
        while ((e = readdir(d)) != NULL)
            if (data_file(e->d_name) && add(&names, &nn, &nc, e->d_name))
                bad = 1;
        closedir(d);
        if (nn)
            qsort(names, nn, sizeof *names, by_str);
        for (size_t k = 0; k < nn; k++) {
            if (!bad) {
                size_t pl = strlen(inputs[i]);
                char *p = malloc(pl + strlen(names[k]) + 2);
                if (!p)
                    bad = 1;
                else {
                    sprintf(p, "%s%s%s", inputs[i], pl && inputs[i][pl - 1] == '/' ? "" : "/",
                            names[k]);
                    if (add(&list, &cnt, &cap, p))
                        bad = 1;
                    free(p);
                }
            }
            free(names[k]);
        }
        free(names);
        if (bad)
            goto oom;
    }
    *out = list;
    *nout = cnt;
    return 0;
oom:
    lexp__error_oom(err);
fail:
    for (size_t i = 0; i < cnt; i++)
        free(list[i]);
    free(list);
    return err ? err->code : LEXP_ENOMEM;
}

/* ---- one input --------------------------------------------------------------------- */

static void locked_warn(const lexp_error *w, void *payload)
{
    batch *b = payload;
    pthread_mutex_lock(&b->lock);
    b->opt->warn(w, b->opt->warn_payload);
    pthread_mutex_unlock(&b->lock);
}

static const char *community_name(const lexp_data *d)
{
    const lexp_value *c = lexp__v_getz(d->root, "community");
    const lexp_value *n = c ? lexp__v_getz(c, "name") : NULL;
    return n && n->type == LV_STR && n->len ? n->u.str : NULL;
}

/* File name of template t in format f: briefing-2024-09.pdf, stats-2024-09.xlsx. */
static void doc_name(char *dst, size_t size, const char *tname, const char *month, int fmt)
{
    const char *base = strrchr(tname, '/');
    base = base ? base + 1 : tname;
    size_t bl = strlen(base);
    if (bl > 4 && strcmp(base + bl - 4, ".lxt") == 0)
        bl -= 4;
    if (month)
        snprintf(dst, size, "%.*s-%s.%s", (int)bl, base, month, lexp_format_name(fmt));
    else
        snprintf(dst, size, "%.*s.%s", (int)bl, base, lexp_format_name(fmt));
}

/* Whether template t renders to format f (its front matter's `formats:`). */
static int made_for(const lexp_template *t, int f)
{
    return !t->formats || f < 0 || f >= 32 || (t->formats & (1u << f));
}

/* A template none of the asked formats suits is an error before any work
 * (the message render gives); one that some suit is rendered in those, and
 * the others are told once as a warning. */
static int check_formats(const batch *b, lexp_error *err)
{
    for (size_t t = 0; t < b->ntpl; t++) {
        char skipped[64] = "";
        size_t ok = 0;
        for (size_t f = 0; f < b->nfmt; f++) {
            if (made_for(b->tpl[t], b->fmt[f])) {
                ok++;
                continue;
            }
            size_t l = strlen(skipped);
            snprintf(skipped + l, sizeof skipped - l, "%s%s", l ? ", " : "",
                     lexp_format_name(b->fmt[f]));
        }
        if (!ok) {
            char made[64] = "";
            static const int order[] = {LEXP_FORMAT_PDF, LEXP_FORMAT_DOCX, LEXP_FORMAT_XLSX,
                                        LEXP_FORMAT_TXT};
            for (int k = 0; k < 4; k++)
                if (made_for(b->tpl[t], order[k])) {
                    size_t l = strlen(made);
                    snprintf(made + l, sizeof made - l, "%s%s", l ? ", " : "",
                             lexp_format_name(order[k]));
                }
            return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                                   "the template %s is not made for %s: render it as %s",
                                   b->tname[t], skipped, made);
        } else if (skipped[0] && b->opt->warn) {
            lexp_error w;
            lexp_error_clear(&w);
            lexp__error_set(&w, LEXP_OK, b->tname[t], 0, 0, NULL, "not made for %s, left out",
                            skipped);
            b->opt->warn(&w, b->opt->warn_payload);
        }
    }
    return 0;
}

int lexp__batch_render(batch_docs *docs, const lexp_data *d, lexp_template *const *tpl,
                       const char *const *tname, size_t ntpl, const int *fmt, size_t nfmt,
                       const lexp_render_options *base, const char *month, int brief,
                       lexp_error *err)
{
    docs->n = 0;
    for (size_t t = 0; t < ntpl; t++)
        for (size_t f = 0; f < nfmt; f++) {
            if (docs->n >= BATCH_MAX_DOCS)
                return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                                       "more than %d documents per community",
                                       BATCH_MAX_DOCS);
            if (!made_for(tpl[t], fmt[f]))
                continue; /* told once, when the batch began */
            lexp_render_options o = *base;
            o.format = fmt[f];
            o.month = month;
            lexp_buf *out = &docs->buf[docs->n];
            out->ptr = NULL;
            out->size = 0;
            int rc = brief && strcmp(tname[t], "briefing") == 0 && month
                         ? lexp_brief(out, d, month, &o, err)
                         : lexp_render(out, tpl[t], d, &o, err);
            if (rc)
                return rc;
            doc_name(docs->name[docs->n], sizeof docs->name[0], tname[t], month, fmt[f]);
            docs->n++;
        }
    return 0;
}

void lexp__batch_docs_free(batch_docs *docs)
{
    for (size_t i = 0; i < docs->n; i++)
        lexp_buf_dispose(&docs->buf[i]);
    docs->n = 0;
}

int lexp__batch_write(const batch_docs *docs, const char *dir, lexp_error *err)
{
    if (lexp__mkdirs(dir) != 0)
        return lexp__error_set(err, LEXP_EIO, dir, 0, 0, NULL,
                               "cannot create the output folder: %s", strerror(errno));
    for (size_t i = 0; i < docs->n; i++) {
        size_t need = strlen(dir) + strlen(docs->name[i]) + 2;
        char *p = malloc(need);
        if (!p)
            return lexp__error_oom(err);
        snprintf(p, need, "%s/%s", dir, docs->name[i]);
        int rc = lexp_write_file(p, docs->buf[i].ptr, docs->buf[i].size, err);
        free(p);
        if (rc)
            return rc;
    }
    return 0;
}

static void report(batch *b, size_t i, const char *dir, size_t ndocs, const lexp_error *e)
{
    /* the caller holds the lock */
    if (e) {
        b->failed++;
        if (!b->have_first) {
            b->first = *e;
            b->have_first = 1;
        }
    }
    b->done++;
    b->documents += ndocs;
    if (b->opt->progress) {
        lexp_batch_event ev = {i, b->n, b->done, b->failed, b->in[i].path, b->in[i].community,
                               dir, ndocs, e, 0};
        b->opt->progress(&ev, b->opt->payload);
    }
}

static void run_one(batch *b, size_t i, batch_docs *docs)
{
    batch_input *in = &b->in[i];
    lexp_error err;
    lexp_error_clear(&err);
    const lexp_batch_options *opt = b->opt;
    lexp_data *d = NULL;
    char *dir = NULL;
    int rc = lexp_data_load_ledger(&d, in->path, opt->profile, opt->warn ? locked_warn : NULL,
                                   b, &err);
    const char *name = rc == 0 ? community_name(d) : NULL;
    if (rc == 0 && !name)
        rc = lexp__error_set(&err, LEXP_EDATA, in->path, 0, 0, "community.name",
                             "required field is missing: the output folder is named after it");
    /* two inputs of one community would write one folder: the first to
     * claim the name keeps it */
    if (rc == 0) {
        char *mine = strdup(name);
        pthread_mutex_lock(&b->lock);
        for (size_t k = 0; k < b->n && rc == 0 && mine; k++)
            if (k != i && b->in[k].community && strcmp(b->in[k].community, name) == 0)
                rc = lexp__error_set(&err, LEXP_EDATA, in->path, 0, 0, NULL,
                                     "%s is also the community of %s; each community once", name,
                                     b->in[k].path);
        if (!mine)
            rc = lexp__error_oom(&err);
        else if (rc == 0)
            in->community = mine;
        else
            free(mine);
        pthread_mutex_unlock(&b->lock);
    }
    if (rc == 0) {
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.date = opt->date;
        o.engine = b->engine;
        o.warn = opt->warn ? locked_warn : NULL;
        o.warn_payload = b;
        rc = lexp__batch_render(docs, d, b->tpl, b->tname, b->ntpl, b->fmt, b->nfmt, &o,
                                opt->month, 1, &err);
    }
    if (rc == 0) {
        char *folder = lexp__folder_name(name);
        size_t need = strlen(opt->outdir) + (folder ? strlen(folder) : 0) + 2;
        dir = folder ? malloc(need) : NULL;
        if (!dir)
            rc = lexp__error_oom(&err);
        else {
            snprintf(dir, need, "%s/%s", opt->outdir, folder);
            rc = lexp__batch_write(docs, dir, &err);
        }
        free(folder);
    }
    size_t nd = rc == 0 ? docs->n : 0;
    lexp__batch_docs_free(docs);
    if (rc == 0 && b->keep)
        in->data = d;
    else
        lexp_data_free(d);
    in->ok = rc == 0;
    if (rc && !err.file[0])
        snprintf(err.file, sizeof err.file, "%s", in->path);
    pthread_mutex_lock(&b->lock);
    report(b, i, rc == 0 ? dir : NULL, nd, rc ? &err : NULL);
    pthread_mutex_unlock(&b->lock);
    free(dir);
}

static void *worker(void *arg)
{
    batch *b = arg;
    batch_docs *docs = calloc(1, sizeof *docs);
    for (;;) {
        pthread_mutex_lock(&b->lock);
        size_t i = b->next++;
        pthread_mutex_unlock(&b->lock);
        if (i >= b->n)
            break;
        if (!docs) {
            lexp_error e;
            lexp_error_clear(&e);
            lexp__error_oom(&e);
            pthread_mutex_lock(&b->lock);
            report(b, i, NULL, 0, &e);
            pthread_mutex_unlock(&b->lock);
            continue;
        }
        run_one(b, i, docs);
    }
    free(docs);
    return NULL;
}

/* ---- the batch --------------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int lexp_batch(lexp_batch_result *res, const char *const *inputs, size_t ninputs,
               const lexp_batch_options *opt, lexp_error *err)
{
    lexp_error_clear(err);
    if (res)
        memset(res, 0, sizeof *res);
    if (!opt || !opt->outdir || (!inputs && ninputs))
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "invalid argument: the batch needs an output folder");
    if (opt->month && !lexp_month_valid(opt->month))
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "--month \"%s\": expected a month YYYY-MM (01–12)", opt->month);
    double t0 = now();
    static const char *const def_tpl[] = {"briefing"};
    static const int def_fmt[] = {LEXP_FORMAT_PDF, LEXP_FORMAT_DOCX, LEXP_FORMAT_XLSX};
    batch b;
    memset(&b, 0, sizeof b);
    b.opt = opt;
    b.tname = opt->templates ? (const char **)opt->templates : (const char **)def_tpl;
    b.ntpl = opt->templates ? opt->ntemplates : 1;
    b.fmt = opt->formats ? opt->formats : def_fmt;
    b.nfmt = opt->formats ? opt->nformats : 3;
    if (!b.ntpl || !b.nfmt || b.ntpl * b.nfmt > BATCH_MAX_DOCS)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "a batch needs 1 to %d templates × formats", BATCH_MAX_DOCS);
    for (size_t t = 0; t < b.ntpl; t++)
        if (strcmp(b.tname[t], "briefing") == 0 && !opt->month)
            return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                                   "the briefing needs --month YYYY-MM");
    for (size_t f = 0; f < b.nfmt; f++)
        if (!lexp_format_name(b.fmt[f]))
            return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "unknown format %d",
                                   b.fmt[f]);
    char **paths = NULL;
    size_t n = 0;
    int rc = expand(&paths, &n, inputs, ninputs, opt, err);
    if (rc)
        return rc;
    /* roll-up files among the inputs define the street, they are not members */
    rollup_def rd;
    memset(&rd, 0, sizeof rd);
    size_t keep_n = 0;
    for (size_t i = 0; i < n; i++) {
        int is = 0;
        if (rc == 0)
            rc = lexp__rollup_file(&rd, paths[i], &is, err);
        if (is) {
            free(paths[i]);
            paths[i] = NULL;
        } else {
            paths[keep_n++] = paths[i];
        }
    }
    n = keep_n;
    const char *street = opt->rollup ? opt->rollup : rd.name;
    b.engine = opt->engine ? opt->engine : lexp_engine_new();
    b.tpl = calloc(b.ntpl ? b.ntpl : 1, sizeof *b.tpl);
    b.in = calloc(n ? n : 1, sizeof *b.in);
    if (rc == 0 && (!b.engine || !b.tpl || !b.in))
        rc = lexp__error_oom(err);
    for (size_t t = 0; t < b.ntpl && rc == 0; t++)
        rc = lexp_template_load(&b.tpl[t], b.engine, b.tname[t], err);
    if (rc == 0)
        rc = check_formats(&b, err);
    if (rc == 0 && n == 0)
        rc = lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                             "no inputs: give data files, ledgers or folders of them");
    if (rc == 0 && pthread_mutex_init(&b.lock, NULL) != 0)
        rc = lexp__error_set(err, LEXP_ENOMEM, NULL, 0, 0, NULL, "cannot create a lock");
    int started_batch = rc == 0, rollup_failed = 0;
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            b.in[i].path = paths[i];
            paths[i] = NULL;
        }
        b.n = n;
        b.keep = street != NULL;
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        size_t nt = opt->threads > 0 ? (size_t)opt->threads : (size_t)(cores > 0 ? cores : 1);
        if (nt > n)
            nt = n;
        if (nt > 256)
            nt = 256;
        pthread_t th[256];
        size_t started = 0;
        for (size_t t = 1; t < nt; t++)
            if (pthread_create(&th[started], NULL, worker, &b) == 0)
                started++;
        worker(&b); /* this thread works too */
        for (size_t t = 0; t < started; t++)
            pthread_join(th[t], NULL);
        if (street) {
            lexp_error re;
            lexp_error_clear(&re);
            size_t nd = 0;
            char *dir = NULL;
            int r = lexp__rollup_run(&b, street, &rd, &nd, &dir, &re);
            if (opt->progress) {
                lexp_batch_event ev = {n, n, b.done, b.failed + (r != 0), street, street,
                                       r == 0 ? dir : NULL, nd, r ? &re : NULL, 1};
                opt->progress(&ev, opt->payload);
            }
            free(dir);
            if (r) {
                rollup_failed = 1;
                if (!b.have_first) {
                    b.first = re;
                    b.have_first = 1;
                }
            } else {
                b.documents += nd;
            }
        }
        pthread_mutex_destroy(&b.lock);
        if (b.have_first) {
            if (err && !err->code)
                *err = b.first;
            rc = LEXP_EDATA;
            if (err)
                err->code = LEXP_EDATA;
        }
    }
    if (res && started_batch) { /* inputs stays 0 when the batch could not start */
        res->inputs = n;
        res->done = b.done - b.failed;
        res->failed = b.failed + (size_t)rollup_failed; /* the roll-up counts as one */
        res->documents = b.documents;
        res->seconds = now() - t0;
    }
    for (size_t i = 0; i < b.n; i++) {
        free(b.in[i].path);
        free(b.in[i].community);
        lexp_data_free(b.in[i].data);
    }
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    free(b.in);
    for (size_t t = 0; t < b.ntpl && b.tpl; t++)
        lexp_template_free(b.tpl[t]);
    free(b.tpl);
    if (!opt->engine)
        lexp_engine_free(b.engine);
    lexp__rollup_def_free(&rd);
    return rc;
}
