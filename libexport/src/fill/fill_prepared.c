/*
 * Prepared office templates (lexp_office_template_*) and the engine's
 * cache of them, which lexp_fill and lexp_fill_memory use when given an
 * engine.
 *
 * Preparing reads the package once, under the same limits and checks as an
 * unprepared fill (fx_pkg_open: sizes, ratios, names, macros, DOCTYPE),
 * inflates every entry and notes which could hold tags; it also reads the
 * relationships and content types the fills look up, and compiles the
 * Word parts that hold tags (fill_docx_part.c). A fill then borrows the
 * entries: nothing is inflated, scanned, parsed or compiled again, and parts
 * the filler leaves alone are copied from the template's bytes as they are
 * compressed. Generating is the unprepared fill's, so the output bytes are
 * the same.
 *
 * A template is immutable once prepared; only its reference count changes
 * (atomically), so any number of threads fill it at once.
 *
 * The cache holds at most LEXP_ENGINE_OFFICE_TEMPLATES templates and
 * LEXP_ENGINE_OFFICE_BYTES bytes (file, inflated entries, compiled parts); the least
 * recently used go first, and a template larger than the whole budget is
 * filled without being cached. A file is keyed by path, size and
 * modification time; bytes in memory by name and size, and compared with
 * the cached copy byte for byte. A changed file or different bytes under a
 * name replace the old entry.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../engine.h"
#include "fill.h"

static void destroy(lexp_office_template *t)
{
    fx_memo_free(t);
    fx_docx_unprepare(t);
    for (int i = 0; i < t->n; i++) {
        free(t->e[i].name);
        free(t->e[i].data);
        free(t->e[i].raw);
    }
    free(t->e);
    free(t->bytes);
    free(t->name);
    free(t);
}

static void ref(lexp_office_template *t) { atomic_fetch_add(&t->refs, 1); }

void lexp_office_template_free(lexp_office_template *t)
{
    if (t && atomic_fetch_sub(&t->refs, 1) == 1)
        destroy(t);
}

/* Prepare from bytes this takes over (freed on failure too). */
static int prepare(lexp_office_template **out, unsigned char *bytes, size_t size,
                   const char *name, lexp_error *err)
{
    lexp_office_template *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(name))) {
        free(t);
        free(bytes);
        return lexp__error_oom(err);
    }
    t->bytes = bytes;
    t->size = size;
    atomic_init(&t->refs, 1);
    int rc = fx_prepare(t, err);
    if (rc) {
        destroy(t);
        return rc;
    }
    *out = t;
    return 0;
}

static int load_path(lexp_office_template **out, const char *path, lexp_error *err)
{
    if (fx_check_name(path, err))
        return err->code;
    char *bytes = NULL;
    size_t size = 0;
    int rc = lexp__read_file(&bytes, &size, path, FX_MAX_FILE, err);
    if (rc)
        return rc;
    return prepare(out, (unsigned char *)bytes, size, path, err);
}

static int load_memory(lexp_office_template **out, const void *bytes, size_t size,
                       const char *name, lexp_error *err)
{
    if (fx_check_size(size, name, err) || fx_check_name(name, err))
        return err->code;
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return lexp__error_oom(err);
    if (size)
        memcpy(copy, bytes, size);
    return prepare(out, copy, size, name, err);
}

/* ---- the engine's cache ------------------------------------------------- */

typedef struct oc_item {
    struct oc_item *next;
    char *key;   /* path or name */
    int by_path; /* a file (keyed by mtime too) or bytes in memory */
    long long mtime_ns, size;
    lexp_office_template *t; /* the cache's reference */
    uint64_t used;
} oc_item;

typedef struct ocache {
    oc_item *list;
    int n;
    size_t bytes;
    uint64_t clock;
} ocache;

static size_t cost(const lexp_office_template *t) { return t->size + t->inflated; }

static void item_drop(ocache *oc, oc_item **pp)
{
    oc_item *it = *pp;
    *pp = it->next;
    oc->n--;
    oc->bytes -= cost(it->t);
    lexp_office_template_free(it->t); /* fills holding it keep it alive */
    free(it->key);
    free(it);
}

static void ocache_free(void *p)
{
    ocache *oc = p;
    while (oc->list)
        item_drop(oc, &oc->list);
    free(oc);
}

/* The engine's cache, created on first use (under the lock). */
static ocache *cache_of(lexp_engine *eng)
{
    if (!eng->office) {
        eng->office = calloc(1, sizeof(ocache));
        eng->office_free = ocache_free;
    }
    return eng->office;
}

/* A cached template for this key (a new reference), or NULL. */
static lexp_office_template *lookup(lexp_engine *eng, int by_path, const char *key,
                                    long long mt, long long sz, const void *bytes)
{
    lexp_office_template *t = NULL;
    lexp__engine_lock(eng);
    ocache *oc = cache_of(eng);
    for (oc_item **pp = oc ? &oc->list : NULL; pp && *pp; pp = &(*pp)->next) {
        oc_item *it = *pp;
        if (it->by_path != by_path || strcmp(it->key, key) != 0)
            continue;
        if (it->size == sz && (!by_path || it->mtime_ns == mt)) {
            t = it->t;
            ref(t);
            it->used = ++oc->clock;
        } else {
            item_drop(oc, pp); /* stale */
        }
        break;
    }
    lexp__engine_unlock(eng);
    /* bytes are compared outside the lock: a large template must not hold
     * up other threads' look-ups */
    if (t && !by_path && (t->size != (size_t)sz || (sz && memcmp(t->bytes, bytes, t->size)))) {
        lexp_office_template_free(t);
        t = NULL; /* different bytes under this name: insert replaces the entry */
    }
    return t;
}

static void insert(lexp_engine *eng, int by_path, const char *key, long long mt, long long sz,
                   lexp_office_template *t)
{
    if (cost(t) > LEXP_ENGINE_OFFICE_BYTES)
        return; /* filled, never cached */
    oc_item *it = calloc(1, sizeof *it);
    if (!it || !(it->key = strdup(key))) {
        free(it);
        return; /* out of memory: the fill goes on without the cache */
    }
    it->by_path = by_path;
    it->mtime_ns = mt;
    it->size = sz;
    it->t = t;
    lexp__engine_lock(eng);
    ocache *oc = cache_of(eng);
    if (!oc) {
        lexp__engine_unlock(eng);
        free(it->key);
        free(it);
        return;
    }
    /* one entry a key: another thread may have loaded it meanwhile */
    for (oc_item **pp = &oc->list; *pp; pp = &(*pp)->next)
        if ((*pp)->by_path == by_path && strcmp((*pp)->key, key) == 0) {
            item_drop(oc, pp);
            break;
        }
    ref(t);
    it->used = ++oc->clock;
    it->next = oc->list;
    oc->list = it;
    oc->n++;
    oc->bytes += cost(t);
    /* evict the least recently used until within the bounds (never the new one) */
    while (oc->n > LEXP_ENGINE_OFFICE_TEMPLATES || oc->bytes > LEXP_ENGINE_OFFICE_BYTES) {
        oc_item **lru = NULL;
        for (oc_item **pp = &oc->list->next; *pp; pp = &(*pp)->next)
            if (!lru || (*pp)->used < (*lru)->used)
                lru = pp;
        if (!lru)
            break;
        item_drop(oc, lru);
    }
    lexp__engine_unlock(eng);
}

static int load_cached(lexp_office_template **out, lexp_engine *eng, const char *path,
                       const void *bytes, size_t size, const char *name, lexp_error *err)
{
    long long mt = 0, sz = (long long)size;
    if (path) {
        struct stat st;
        if (stat(path, &st) == 0) {
            mt = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
            sz = (long long)st.st_size;
        } else {
            return load_path(out, path, err); /* reports why it cannot be read */
        }
    }
    lexp_office_template *t = lookup(eng, path != NULL, path ? path : name, mt, sz, bytes);
    if (t) {
        *out = t;
        return 0;
    }
    int rc = path ? load_path(&t, path, err) : load_memory(&t, bytes, size, name, err);
    if (rc)
        return rc;
    insert(eng, path != NULL, path ? path : name, mt, path ? sz : (long long)t->size, t);
    *out = t;
    return 0;
}

int fx_fill_cached(lexp_buf *out, lexp_engine *eng, const char *path, const void *bytes,
                   size_t size, const char *name, const lexp_data *data,
                   const lexp_render_options *opt, lexp_error *e)
{
    lexp_office_template *t = NULL;
    int rc = load_cached(&t, eng, path, bytes, size, name, e);
    if (rc)
        return rc;
    rc = fx_fill_prepared(out, t, data, opt, e);
    lexp_office_template_free(t);
    return rc;
}

/* ---- the public functions ------------------------------------------------ */

int lexp_office_template_load(lexp_office_template **out, lexp_engine *engine, const char *path,
                              lexp_error *err)
{
    lexp_error local;
    lexp_error *e = err ? err : &local;
    lexp_error_clear(e);
    if (!out || !path)
        return lexp__error_set(e, LEXP_EINVAL, path, 0, 0, NULL, "invalid argument");
    *out = NULL;
    if (fx_check_name(path, e))
        return e->code;
    return engine ? load_cached(out, engine, path, NULL, 0, path, e) : load_path(out, path, e);
}

int lexp_office_template_load_memory(lexp_office_template **out, lexp_engine *engine,
                                     const void *bytes, size_t size, const char *name,
                                     lexp_error *err)
{
    lexp_error local;
    lexp_error *e = err ? err : &local;
    lexp_error_clear(e);
    if (!out || (!bytes && size))
        return lexp__error_set(e, LEXP_EINVAL, name, 0, 0, NULL, "invalid argument");
    *out = NULL;
    if (!name)
        name = "<template>";
    if (fx_check_size(size, name, e))
        return e->code;
    return engine ? load_cached(out, engine, NULL, bytes, size, name, e)
                  : load_memory(out, bytes, size, name, e);
}

int lexp_office_template_fill(lexp_buf *out, const lexp_office_template *t,
                              const lexp_data *data, const lexp_render_options *opt,
                              lexp_error *err)
{
    lexp_error local;
    lexp_error *e = err ? err : &local;
    lexp_error_clear(e);
    if (!out || !t || !data)
        return lexp__error_set(e, LEXP_EINVAL, t ? t->name : NULL, 0, 0, NULL,
                               "invalid argument");
    out->ptr = NULL;
    out->size = 0;
    return fx_fill_prepared(out, t, data, opt, e);
}
