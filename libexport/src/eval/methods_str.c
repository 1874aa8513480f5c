/*
 * Office templates: the methods of text and mappings docxtpl templates call,
 * with Python's results — s.strip(), s.lstrip(), s.rstrip(), s.upper(),
 * s.lower(), s.capitalize(), s.replace(a, b), s.startswith(p), s.endswith(p),
 * s.split(sep, maxsplit), sep.join(xs), s.count(x) (and a list's), s.find(x),
 * d.get(k, default). The case methods change ASCII letters only, as the
 * filters of the same names do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

typedef lexp_eval E;
typedef const lexp_value V;

#define JF(name) static V *m_##name(E *e, const lexp_expr *site, V *in, V *const *args, int nargs)
#define ARG(i) ((i) < nargs && args[i] && args[i]->type > LV_NULL ? args[i] : NULL)

/* The receiver must be text: Python's int has no .upper(). */
static int want_text(E *e, const lexp_expr *site, V *in, const char *m)
{
    if (in->type == LV_STR)
        return 0;
    lexp__sbuf d = LEXP__SBUF_INIT;
    lexp__v_describe(&d, in);
    lexp__eval_fail(e, site, in, "'.%s()' is a method of text, not of %s", m,
                    lexp__sbuf_cstr(&d));
    lexp__sbuf_free(&d);
    return -1;
}

/* A method that is the Jinja filter of `filter` on text. */
static V *as_filter(E *e, const lexp_expr *site, V *in, V *const *args, int nargs,
                    const char *m, const char *filter)
{
    if (want_text(e, site, in, m))
        return NULL;
    const lexp_filter_def *d = lexp__jfilter_find(filter, strlen(filter));
    return d->fn(e, site, in, args, nargs);
}

JF(upper) { return as_filter(e, site, in, args, nargs, "upper", "upper"); }
JF(lower) { return as_filter(e, site, in, args, nargs, "lower", "lower"); }
JF(capitalize) { return as_filter(e, site, in, args, nargs, "capitalize", "capitalize"); }
JF(replace) { return as_filter(e, site, in, args, nargs, "replace", "replace"); }

JF(strip) { return want_text(e, site, in, "strip") ? NULL : lexp__py_strip(e, site, in, ARG(0), 3); }
JF(lstrip) { return want_text(e, site, in, "lstrip") ? NULL : lexp__py_strip(e, site, in, ARG(0), 1); }
JF(rstrip) { return want_text(e, site, in, "rstrip") ? NULL : lexp__py_strip(e, site, in, ARG(0), 2); }

/* startswith / endswith: a text, or a list (tuple) of texts, any of which */
static V *affix(E *e, const lexp_expr *site, V *in, V *p, int end, const char *m)
{
    if (want_text(e, site, in, m))
        return NULL;
    V *const *items = p && p->type == LV_ARR ? (V *const *)p->u.items : &p;
    uint32_t n = p && p->type == LV_ARR ? p->len : 1;
    for (uint32_t i = 0; i < n; i++) {
        V *a = items[i];
        if (!a || a->type != LV_STR)
            return lexp__eval_fail(e, site, a, "'.%s()' takes a text or a list of texts", m);
        if (a->len <= in->len &&
            memcmp(in->u.str + (end ? in->len - a->len : 0), a->u.str, a->len) == 0)
            return &lexp__true;
    }
    return &lexp__false;
}

JF(startswith) { (void)nargs; return affix(e, site, in, args[0], 0, "startswith"); }
JF(endswith) { (void)nargs; return affix(e, site, in, args[0], 1, "endswith"); }

static int push_piece(E *e, const lexp_expr *site, lexp_value ***v, uint32_t *n, size_t *cap,
                      const char *s, size_t len)
{
    if (lexp__eval_budget(e, site, len + sizeof(lexp_value)) ||
        lexp__grow((void **)v, cap, *n + 1, sizeof **v))
        return lexp__error_is_set(e->err) ? -1 : lexp__error_oom(e->err);
    V *piece = lexp__eval_str(e, s, len);
    if (!piece)
        return -1;
    (*v)[(*n)++] = (lexp_value *)piece;
    e->steps++;
    return 0;
}

/* s.split(sep=None, maxsplit=-1) */
JF(split)
{
    if (want_text(e, site, in, "split"))
        return NULL;
    V *sep = ARG(0), *maxv = ARG(1);
    long max = -1;
    if (maxv && lexp__py_whole(e, site, maxv, "split's maxsplit", -1, 1L << 30, &max))
        return NULL;
    if (sep && sep->type != LV_STR)
        return lexp__eval_fail(e, site, sep, "'.split()' takes a text to split at");
    if (sep && sep->len == 0)
        return lexp__eval_fail(e, site, sep, "'.split()' cannot split at an empty text");
    lexp_value **v = NULL;
    uint32_t n = 0;
    size_t cap = 0;
    const char *s = in->u.str;
    size_t len = in->len, i = 0, sl;
    int rc = 0;
    if (sep) {
        while (rc == 0) {
            const char *f = max < 0 || (long)n < max
                                ? lexp__find(s + i, len - i, sep->u.str, sep->len)
                                : NULL;
            size_t j = f ? (size_t)(f - s) : len;
            rc = push_piece(e, site, &v, &n, &cap, s + i, j - i);
            if (!f)
                break;
            i = j + sep->len;
        }
    } else { /* runs of whitespace, none at either end */
        while (rc == 0) {
            while (i < len && (sl = lexp__py_space_at(s + i, len - i)))
                i += sl;
            if (i >= len)
                break;
            size_t j = i;
            if (max >= 0 && (long)n >= max) { /* the rest, its trailing spaces kept */
                rc = push_piece(e, site, &v, &n, &cap, s + i, len - i);
                break;
            }
            while (j < len && !lexp__py_space_at(s + j, len - j))
                j += lexp__utf8_offset(s + j, len - j, 1);
            rc = push_piece(e, site, &v, &n, &cap, s + i, j - i);
            i = j;
        }
    }
    lexp_value *l = rc == 0 ? lexp__v_arr(e->A, n) : NULL;
    if (l && n)
        memcpy(l->u.items, v, n * sizeof *v);
    free(v);
    if (rc == 0 && !l)
        lexp__error_oom(e->err);
    return l;
}

/* sep.join(xs): texts only, as in Python (a text joins its characters) */
JF(join)
{
    (void)nargs;
    if (want_text(e, site, in, "join"))
        return NULL;
    V *xs = args[0];
    lexp__sbuf b = lexp__py_buf(e);
    if (xs && xs->type == LV_STR) {
        for (size_t i = 0; i < xs->len;) {
            size_t j = i + lexp__utf8_offset(xs->u.str + i, xs->len - i, 1);
            if (i)
                lexp__sbuf_put(&b, in->u.str, in->len);
            lexp__sbuf_put(&b, xs->u.str + i, j - i);
            i = j;
        }
        return lexp__py_buf_str(e, &b);
    }
    if (!xs || xs->type != LV_ARR) {
        lexp__sbuf_free(&b);
        return lexp__eval_fail(e, site, xs, "'.join()' takes a list of texts");
    }
    for (uint32_t i = 0; i < xs->len; i++) {
        V *it = xs->u.items[i];
        if (it->type != LV_STR) {
            lexp__sbuf_free(&b);
            lexp__sbuf d = LEXP__SBUF_INIT;
            lexp__v_describe(&d, it);
            lexp__eval_fail(e, site, it,
                            "'.join()': item %u is %s, not a text (Python joins texts only; "
                            "xs | join(sep) takes any values)",
                            i, lexp__sbuf_cstr(&d));
            lexp__sbuf_free(&d);
            return NULL;
        }
        if (i)
            lexp__sbuf_put(&b, in->u.str, in->len);
        lexp__sbuf_put(&b, it->u.str, it->len);
    }
    e->steps += xs->len;
    return lexp__py_buf_str(e, &b);
}

/* s.count(sub) (non-overlapping) and a list's xs.count(x) */
JF(count)
{
    (void)nargs;
    V *x = args[0];
    if (in->type == LV_ARR) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < in->len; i++)
            k += lexp__v_equal(in->u.items[i], x) == 1;
        e->steps += in->len;
        return lexp__eval_num(e, k);
    }
    if (want_text(e, site, in, "count"))
        return NULL;
    if (x->type != LV_STR)
        return lexp__eval_fail(e, site, x, "'.count()' of a text takes a text");
    if (x->len == 0) /* Python: one more than the characters */
        return lexp__eval_num(e, (double)lexp__utf8_count(in->u.str, in->len) + 1);
    double k = 0;
    for (size_t i = 0; i < in->len;) {
        const char *f = lexp__find(in->u.str + i, in->len - i, x->u.str, x->len);
        if (!f)
            break;
        k++;
        i = (size_t)(f - in->u.str) + x->len;
    }
    return lexp__eval_num(e, k);
}

/* s.find(sub): the character index of its first place, or -1 */
JF(find)
{
    (void)nargs;
    if (want_text(e, site, in, "find"))
        return NULL;
    V *x = args[0];
    if (x->type != LV_STR)
        return lexp__eval_fail(e, site, x, "'.find()' takes a text");
    const char *f = lexp__find(in->u.str, in->len, x->u.str, x->len);
    return lexp__eval_num(e, f ? (double)lexp__utf8_count(in->u.str, (size_t)(f - in->u.str))
                               : -1.0);
}

/* d.get(key, default=None) */
JF(get)
{
    V *k = args[0], *dflt = nargs > 1 && args[1] ? args[1] : &lexp__null;
    if (in->type != LV_OBJ) {
        lexp__sbuf d = LEXP__SBUF_INIT;
        lexp__v_describe(&d, in);
        lexp__eval_fail(e, site, in, "'.get()' is a method of an object (a mapping), not of %s",
                        lexp__sbuf_cstr(&d));
        lexp__sbuf_free(&d);
        return NULL;
    }
    if (k->type != LV_STR)
        return dflt; /* JSON keys are texts: any other key is missing */
    V *v = lexp__v_get(in, k->u.str, k->len);
    return v ? v : dflt;
}

#define M(name, lo, hi, params) {#name, lo, hi, m_##name, params}

static const lexp_filter_def methods[] = {
    M(capitalize, 0, 0, ""),   M(count, 1, 1, "x"),     M(endswith, 1, 1, "suffix"),
    M(find, 1, 1, "sub"),      M(get, 1, 2, "key,default"), M(join, 1, 1, "iterable"),
    M(lower, 0, 0, ""),        M(lstrip, 0, 1, "chars"), M(replace, 2, 3, "old,new,count"),
    M(rstrip, 0, 1, "chars"),  M(split, 0, 2, "sep,maxsplit"), M(startswith, 1, 1, "prefix"),
    M(strip, 0, 1, "chars"),   M(upper, 0, 0, ""),
};

const lexp_filter_def *lexp__jmethod_find(const char *name, size_t len)
{
    return lexp__fdef_find(methods, sizeof methods / sizeof *methods, name, len);
}
