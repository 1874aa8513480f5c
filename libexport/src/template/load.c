/*
 * Loading templates by name or path, with the engine's cache.
 *
 * A cached template is shared: the cache holds one reference and every
 * caller gets its own (lexp_template_free drops it). File templates are
 * re-read when their size or modification time changes.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../engine.h"
#include "ast.h"

struct lexp__builtin {
    const char *name;
    const char *description;
    const char *src;
    size_t len;
};
const struct lexp__builtin *lexp__builtin_find(const char *name, size_t len);
int lexp__template_parse(lexp_template **out, const char *src, size_t len, const char *name,
                         const char *dir, lexp_error *err);
void lexp__template_ref(lexp_template *t);
void lexp__tcache_free(lexp__tcache *c);

struct lexp__tcache {
    lexp__tcache *next;
    char *key;
    long long mtime_ns;
    long long size;
    lexp_template *tpl;
};

void lexp__tcache_free(lexp__tcache *c)
{
    while (c) {
        lexp__tcache *n = c->next;
        lexp_template_free(c->tpl);
        free(c->key);
        free(c);
        c = n;
    }
}

static int is_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 4 && strcmp(s + n - 4, ".lxt") == 0);
}

static int load_uncached(lexp_template **out, const char *name, lexp_error *err)
{
    if (!is_path(name)) {
        const struct lexp__builtin *b = lexp__builtin_find(name, strlen(name));
        if (!b || name[0] == '_') {
            lexp__sbuf names = LEXP__SBUF_INIT;
            for (size_t i = 0; i < lexp_builtin_count(); i++) {
                if (i)
                    lexp__sbuf_puts(&names, ", ");
                lexp__sbuf_puts(&names, lexp_builtin_name(i));
            }
            lexp__error_set(err, LEXP_ENOTFOUND, name, 0, 0, NULL,
                            "no built-in template of this name; the built-ins are %s (a file "
                            "needs a path such as ./%s.lxt)",
                            lexp__sbuf_cstr(&names), name);
            lexp__sbuf_free(&names);
            return LEXP_ENOTFOUND;
        }
        return lexp__template_parse(out, b->src, b->len, b->name, NULL, err);
    }
    char *src;
    size_t len;
    int rc = lexp__read_file(&src, &len, name, LEXP_TEMPLATE_MAX_BYTES, err);
    if (rc)
        return rc;
    char *dir = lexp__dir_of(name);
    if (!dir) {
        free(src);
        return lexp__error_oom(err);
    }
    rc = lexp__template_parse(out, src, len, name, dir, err);
    free(dir);
    free(src);
    return rc;
}

int lexp_template_load(lexp_template **out, lexp_engine *eng, const char *name,
                       lexp_error *err)
{
    lexp_error_clear(err);
    if (!out || !name)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    *out = NULL;
    if (!eng)
        return load_uncached(out, name, err);
    long long mt = 0, sz = 0;
    if (is_path(name)) {
        struct stat st;
        if (stat(name, &st) == 0) {
            mt = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
            sz = (long long)st.st_size;
        }
    }
    lexp__engine_lock(eng);
    for (lexp__tcache **pp = &eng->templates; *pp; pp = &(*pp)->next) {
        lexp__tcache *c = *pp;
        if (strcmp(c->key, name) != 0)
            continue;
        if (c->mtime_ns == mt && c->size == sz) {
            lexp__template_ref(c->tpl);
            *out = c->tpl;
            lexp__engine_unlock(eng);
            return 0;
        }
        /* stale: drop it */
        *pp = c->next;
        lexp_template_free(c->tpl);
        free(c->key);
        free(c);
        break;
    }
    lexp__engine_unlock(eng);
    /* Parse outside the lock; two threads may both parse, one wins. */
    lexp_template *t;
    int rc = load_uncached(&t, name, err);
    if (rc)
        return rc;
    lexp__tcache *c = calloc(1, sizeof *c);
    if (c && (c->key = strdup(name))) {
        c->mtime_ns = mt;
        c->size = sz;
        c->tpl = t;
        lexp__template_ref(t); /* the cache's reference */
        lexp__engine_lock(eng);
        c->next = eng->templates;
        eng->templates = c;
        lexp__engine_unlock(eng);
    } else {
        free(c);
    }
    *out = t;
    return 0;
}
