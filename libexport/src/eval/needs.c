/*
 * Missing inputs: a template's `needs:` (rendering without them is an
 * error naming what is missing) and undefined names printed by `{{ }}`
 * (a warning with the place and a "did you mean", an error with strict).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../data/rows.h"
#include "period.h"

typedef lexp_eval E;
typedef const lexp_value V;

/* ---- needs ------------------------------------------------------------------- */

static int empty(V *v)
{
    return !v || v->type == LV_UNDEF || v->type == LV_NULL ||
           ((v->type == LV_STR || v->type == LV_ARR || v->type == LV_OBJ) && v->len == 0);
}

int lexp__needs_check(E *e, const lexp_template *t)
{
    for (int i = 0; i < t->nneeds; i++) {
        const char *need = t->needs[i];
        if (strcmp(need, "period") == 0) {
            if (!e->period || !lexp__v_getz(e->period, "period"))
                return lexp__error_set(e->err, LEXP_EDATA, t->name, t->needs_line, 1, NULL,
                                       "the template needs a period: give --period (2024-09, "
                                       "2024-Q3, 2024-H1 or 2024) or --month YYYY-MM");
            continue;
        }
        int rows = 0; /* a rows file's name: it is there (its rows are read at the loop) */
        for (uint32_t k = 0; k < e->nrows; k++)
            rows |= strcmp(need, e->rows[k].src->name) == 0;
        if (rows)
            continue;
        V *v = e->root;
        const char *s = need;
        while (*s) {
            const char *dot = strchr(s, '.');
            size_t n = dot ? (size_t)(dot - s) : strlen(s);
            v = v && v->type == LV_OBJ ? lexp__v_get(v, s, n) : NULL;
            s += n + (dot != NULL);
        }
        if (empty(v)) {
            const char *tn = strrchr(t->name, '/') ? strrchr(t->name, '/') + 1 : t->name;
            return lexp__error_set(e->err, LEXP_EDATA, e->data_name ? e->data_name : "data", 0,
                                   0, need, "the template %s needs %s, and the data %s", tn,
                                   need, v ? "leaves it empty" : "has none");
        }
    }
    return 0;
}

/* ---- undefined names ----------------------------------------------------------- */

/* Edit distance of two short names (bytes), capped at 9. */
static int distance(const char *a, size_t n, const char *b, size_t m)
{
    if (n > 40 || m > 40)
        return 9;
    int d[41][41];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < c)
                c = d[i - 2][j - 2] + 1; /* a swap of two letters */
            d[i][j] = c;
        }
    return d[n][m] > 9 ? 9 : d[n][m];
}

typedef struct {
    const char *best;
    size_t blen;
    int bd;
    const char *name;
    size_t nlen;
} guess;

static void consider(guess *g, const char *k, size_t kl)
{
    if (kl == g->nlen && memcmp(k, g->name, kl) == 0)
        return;
    int d = distance(g->name, g->nlen, k, kl);
    int limit = g->nlen <= 3 ? 1 : (g->nlen <= 6 ? 2 : 3);
    if (d <= limit && d < g->bd) {
        g->bd = d;
        g->best = k;
        g->blen = kl;
    }
}

static void consider_keys(guess *g, V *o)
{
    for (uint32_t i = 0; o && o->type == LV_OBJ && i < o->len; i++)
        consider(g, o->u.members[i].key, o->u.members[i].klen);
}

/* A path made only of names and fields (a.b.c): the only expressions whose
 * undefined value is a likely typo. Filters (default, …), conditions and
 * arithmetic say what they mean about missing values. */
static int plain_path(const lexp_expr *x)
{
    while (x->kind == EX_ATTR)
        x = x->a;
    return x->kind == EX_VAR;
}

/* 1 when a field missing from `obj` is just absent from this record: the
 * object is an item of a list whose other items have the field. */
static int optional_field(V *obj, const char *name, size_t n)
{
    V *par = obj->parent;
    if (!par || par->type != LV_ARR)
        return 0;
    for (uint32_t i = 0; i < par->len; i++)
        if (par->u.items[i] != obj && par->u.items[i]->type == LV_OBJ &&
            lexp__v_get(par->u.items[i], name, n))
            return 1;
    return 0;
}

static void text_of(char *dst, size_t size, const lexp_expr *x)
{
    if (x->kind == EX_ATTR) {
        text_of(dst, size, x->a);
        size_t l = strlen(dst);
        snprintf(dst + l, size - l, ".%.*s", (int)x->nlen, x->name);
    } else
        snprintf(dst, size, "%.*s", (int)x->nlen, x->name);
}

int lexp__undefined_printed(E *e, const lexp_expr *x)
{
    if (!plain_path(x))
        return 0;
    /* the innermost link that is undefined */
    const lexp_expr *at = x;
    V *base = NULL;
    while (at->kind == EX_ATTR) {
        V *b = lexp__eval_expr(e, at->a);
        if (!b)
            return -1;
        if (b->type != LV_UNDEF) {
            base = b;
            break;
        }
        at = at->a;
    }
    if (base && base->type == LV_NULL)
        return 0; /* a null in the data is a deliberate "nothing" */
    guess g = {.bd = 99, .name = at->name, .nlen = at->nlen};
    if (base) {
        if (base->type != LV_OBJ || optional_field(base, at->name, at->nlen))
            return 0;
        consider_keys(&g, base);
    } else {
        for (size_t i = 0; i < e->nbinds; i++)
            consider(&g, e->binds[i].name, e->binds[i].nlen);
        consider_keys(&g, e->period);
        consider_keys(&g, e->root);
    }
    /* once per place */
    for (int i = 0; i < e->nwarned; i++)
        if (e->warned[i] == at)
            return 0;
    if (e->nwarned < (int)(sizeof e->warned / sizeof e->warned[0]))
        e->warned[e->nwarned++] = at;
    else
        return 0;
    char name[160], hint[200] = "";
    text_of(name, sizeof name, at);
    if (g.best) {
        char alt[160];
        if (at->kind == EX_ATTR) {
            text_of(alt, sizeof alt, at->a);
            size_t l = strlen(alt);
            snprintf(alt + l, sizeof alt - l, ".%.*s", (int)g.blen, g.best);
        } else
            snprintf(alt, sizeof alt, "%.*s", (int)g.blen, g.best);
        snprintf(hint, sizeof hint, "; did you mean %s?", alt);
    }
    const char *what = base ? "has no field" : "is not defined";
    if (lexp__opt_strict(e->opt)) {
        if (base) {
            char bn[160];
            text_of(bn, sizeof bn, at->a);
            lexp__eval_fail(e, at, NULL, "%s %s '%.*s'%s", bn, what, (int)at->nlen, at->name,
                            hint);
        } else
            lexp__eval_fail(e, at, NULL, "'%s' %s%s", name, what, hint);
        return -1;
    }
    if (!e->opt || !e->opt->warn)
        return 0;
    lexp_error w;
    lexp_error_clear(&w);
    if (base) {
        char bn[160];
        text_of(bn, sizeof bn, at->a);
        lexp__error_set(&w, LEXP_OK, at->file, at->line, at->col, NULL,
                        "%s %s '%.*s': it prints nothing%s", bn, what, (int)at->nlen, at->name,
                        hint);
    } else
        lexp__error_set(&w, LEXP_OK, at->file, at->line, at->col, NULL,
                        "'%s' %s: it prints nothing%s", name, what, hint);
    e->opt->warn(&w, e->opt->warn_payload);
    return 0;
}
