/*
 * Jinja's filters and calls in office templates (lexp fill), for people
 * coming from docxtpl. In an office template a filter name is looked up
 * here first, so Jinja's meaning of `round`, `sum`, `map`, `join`,
 * `groupby`, `sort` … wins over lexport's filter of the same name; the
 * filters not here (cn, date, pct, where …) are lexport's. .lxt templates
 * never see these. templates/README.md, "Coming from docxtpl", lists every
 * difference from Jinja that remains.
 *
 * Keyword arguments are placed by the parser from each filter's parameter
 * list; an argument not given arrives as NULL. A tuple (Jinja's groupby,
 * dictsort, items) is a two-item list here: `for k, v in …` unpacks it and
 * `.grouper` / `.list` read its items.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

typedef lexp_eval E;
typedef const lexp_value V;

#define JF(name) static V *j_##name(E *e, const lexp_expr *site, V *in, V *const *args, int nargs)
#define ARG(i) ((i) < nargs ? args[i] : NULL)
#define RANGE_MAX 100000u /* items range() may make */

/* ---- helpers ------------------------------------------------------------------- */

static V *oom(E *e)
{
    lexp__error_oom(e->err);
    return NULL;
}

static lexp_value *new_list(E *e, uint32_t n)
{
    lexp_value *l = lexp__v_arr(e->A, n);
    if (!l)
        lexp__error_oom(e->err);
    e->steps += n; /* long results count against the evaluation budget */
    return l;
}

static V *pair(E *e, V *a, V *b)
{
    lexp_value *l = new_list(e, 2);
    if (!l)
        return NULL;
    l->u.items[0] = (lexp_value *)a;
    l->u.items[1] = (lexp_value *)b;
    return l;
}

static V *real(E *e, double x)
{
    lexp_value *v = lexp__v_num(e->A, x);
    if (!v)
        return oom(e);
    v->b = 1; /* a float: prints 3.0, as Python */
    return v;
}

/* A buffer for a filter's result, capped at what is left of the evaluation's
 * memory budget (a replace or join can grow far beyond its inputs), and the
 * string value made from it: over the cap is the budget's error. */
lexp__sbuf lexp__py_buf(E *e)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    size_t room = lexp__eval_room(e);
    b.max = room ? room : 1;
    return b;
}

V *lexp__py_buf_str(E *e, lexp__sbuf *b)
{
    V *r = NULL;
    if (b->oom == 2)
        lexp__eval_buf_fail(e, NULL, b);
    else
        r = b->oom ? oom(e) : lexp__eval_str(e, b->ptr ? b->ptr : "", b->len);
    lexp__sbuf_free(b);
    return r;
}

/* The text of a value as Jinja's str() gives it (numbers as Python). */
static int text_of(E *e, const lexp_expr *site, V *v, lexp__sbuf *b)
{
    return lexp__jinja_text(e, site, b, v);
}

V *lexp__py_str(E *e, const lexp_expr *site, V *v)
{
    if (v->type == LV_STR)
        return v;
    lexp__sbuf b = lexp__py_buf(e);
    if (text_of(e, site, v, &b)) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    return lexp__py_buf_str(e, &b);
}

/* Items of a list (an object: its keys; a string: its characters, not
 * handled here); undefined and null are an empty list. */
int lexp__py_items(E *e, const lexp_expr *site, V *v, const char *what, V *const **items,
                   uint32_t *n)
{
    if (v->type == LV_ARR) {
        *items = (V *const *)v->u.items;
        *n = v->len;
        return 0;
    }
    if (v->type <= LV_NULL) {
        *items = NULL;
        *n = 0;
        return 0;
    }
    lexp__sbuf d = LEXP__SBUF_INIT;
    lexp__v_describe(&d, v);
    lexp__eval_fail(e, site, v, "'%s' needs a list, found %s", what, lexp__sbuf_cstr(&d));
    lexp__sbuf_free(&d);
    return -1;
}

int lexp__py_whole(E *e, const lexp_expr *site, V *v, const char *what, long lo, long hi,
                   long *out)
{
    double d = v->type == LV_NUM ? v->u.num : NAN;
    if (!(d == floor(d)) || d < (double)lo || d > (double)hi) {
        lexp__eval_fail(e, site, v, "%s needs a whole number from %ld to %ld", what, lo, hi);
        return -1;
    }
    *out = (long)d;
    return 0;
}

/* Jinja's attribute="a.b.0": fields and list indexes, missing is undefined. */
V *lexp__py_attr(E *e, V *v, V *path)
{
    if (path->type == LV_NUM) {
        double i = path->u.num;
        if (v->type == LV_STR && i == floor(i) && i >= 0 && i < v->len) { /* a character */
            size_t at = 0, k = (size_t)i, l = 1;
            uint32_t cp;
            for (;; k--) {
                l = lexp__utf8_decode(v->u.str + at, v->len - at, &cp);
                l = l ? l : 1;
                if (!k)
                    break;
                if ((at += l) >= v->len)
                    return &lexp__undef;
            }
            V *c = lexp__eval_str(e, v->u.str + at, l);
            return c ? c : &lexp__undef;
        }
        if (v->type != LV_ARR || i != floor(i) || i < 0 || i >= v->len)
            return &lexp__undef;
        return v->u.items[(uint32_t)i];
    }
    if (path->type != LV_STR)
        return &lexp__undef;
    V *p = lexp__jinja_pair_attr(e, v, path->u.str, path->len); /* groupby's pairs */
    if (p)
        return p;
    const char *s = path->u.str, *end = s + path->len;
    while (v && s <= end) {
        const char *dot = memchr(s, '.', (size_t)(end - s));
        size_t n = dot ? (size_t)(dot - s) : (size_t)(end - s);
        if (v->type == LV_OBJ) {
            v = lexp__v_get(v, s, n);
        } else if (v->type == LV_ARR && n && strspn(s, "0123456789") >= n) {
            unsigned long i = strtoul(s, NULL, 10);
            v = i < v->len ? v->u.items[i] : NULL;
        } else {
            v = NULL;
        }
        if (!dot)
            break;
        s = dot + 1;
    }
    return v ? v : &lexp__undef;
}

static int want_attr(E *e, const lexp_expr *site, V *a, const char *what)
{
    if (a && (a->type == LV_STR || a->type == LV_NUM))
        return 0;
    lexp__eval_fail(e, site, a, "'%s' needs the field's name as a string (attribute=\"name\")",
                    what);
    return -1;
}

/* lexport's positional field (sort("participants"), max("visits")) where
 * Jinja takes a flag: an error naming Jinja's form, not a silent reading of
 * the string as true. */
static int flag_arg(E *e, const lexp_expr *site, V *v, const char *what, const char *flag)
{
    if (!v || v->type != LV_STR)
        return 0;
    lexp__eval_fail(e, site, v, "in office templates '%s' is Jinja's, whose first argument is "
                                "%s (true/false): for a field write %s(attribute=\"%.*s\")",
                    what, flag, what, (int)(v->len > 40 ? 40 : v->len), v->u.str);
    return -1;
}

static char lower_c(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }
static char upper_c(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }

/* Jinja's ordering, strings without case unless case_sensitive. */
static int jcompare(V *a, V *b, int case_sensitive)
{
    if (!case_sensitive && a->type == LV_STR && b->type == LV_STR) {
        uint32_t n = a->len < b->len ? a->len : b->len;
        for (uint32_t i = 0; i < n; i++) {
            unsigned char p = (unsigned char)lower_c(a->u.str[i]),
                          q = (unsigned char)lower_c(b->u.str[i]);
            if (p != q)
                return p < q ? -1 : 1;
        }
        return a->len < b->len ? -1 : a->len > b->len;
    }
    return lexp__v_compare(a, b);
}

typedef struct keyed {
    V *key, *item;
    uint32_t pos;
} keyed;

typedef struct sortctx {
    int case_sensitive, reverse;
} sortctx;

/* A stable merge sort on keys (qsort is not stable, and takes no context). */
static void ksort(keyed *k, keyed *tmp, uint32_t n, const sortctx *c)
{
    if (n < 2)
        return;
    uint32_t h = n / 2;
    ksort(k, tmp, h, c);
    ksort(k + h, tmp, n - h, c);
    uint32_t i = 0, j = h, o = 0;
    while (i < h && j < n) {
        int r = jcompare(k[j].key, k[i].key, c->case_sensitive);
        if (c->reverse)
            r = -r;
        tmp[o++] = r < 0 ? k[j++] : k[i++];
    }
    while (i < h)
        tmp[o++] = k[i++];
    while (j < n)
        tmp[o++] = k[j++];
    memcpy(k, tmp, n * sizeof *k);
}

/* Items with their sort keys (attribute `attr` or the item), sorted. */
static keyed *sorted(E *e, V *const *items, uint32_t n, V *attr, int case_sensitive,
                     int reverse)
{
    keyed *k = malloc((size_t)(n ? n : 1) * 2 * sizeof *k);
    if (!k) {
        oom(e);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        k[i] = (keyed){attr ? lexp__py_attr(e, items[i], attr) : items[i], items[i], i};
    sortctx c = {case_sensitive, reverse};
    ksort(k, k + n, n, &c);
    e->steps += n;
    return k;
}

/* ---- text ------------------------------------------------------------------------ */

static V *map_case(E *e, const lexp_expr *site, V *in, int mode)
{
    V *s = lexp__py_str(e, site, in);
    if (!s)
        return NULL;
    lexp__sbuf b = lexp__py_buf(e);
    int start = 1;
    for (uint32_t i = 0; i < s->len; i++) {
        char c = s->u.str[i];
        switch (mode) {
        case 'u': c = upper_c(c); break;
        case 'l': c = lower_c(c); break;
        case 'c': c = i == 0 ? upper_c(c) : lower_c(c); break;
        default: /* title: words begin after spaces and - ( { [ < */
            c = start ? upper_c(c) : lower_c(c);
            start = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-' || c == '(' ||
                    c == '{' || c == '[' || c == '<';
            break;
        }
        lexp__sbuf_putc(&b, c);
    }
    return lexp__py_buf_str(e, &b);
}

JF(upper) { (void)args; (void)nargs; return map_case(e, site, in, 'u'); }
JF(lower) { (void)args; (void)nargs; return map_case(e, site, in, 'l'); }
JF(capitalize) { (void)args; (void)nargs; return map_case(e, site, in, 'c'); }
JF(title) { (void)args; (void)nargs; return map_case(e, site, in, 't'); }

/* e/escape and safe: lexport always writes values as text, so what docxtpl
 * users get from |e (a visible '<') is the value's text itself. */
JF(escape)
{
    (void)args;
    (void)nargs;
    return in->type <= LV_NULL ? lexp__eval_str(e, "", 0) : lexp__py_str(e, site, in);
}

JF(safe)
{
    (void)args;
    (void)nargs;
    (void)site;
    (void)e;
    return in;
}

/* Python's str.isspace of one character (what str.strip() removes):
 * ideographic and no-break spaces too, which Chinese text is full of. */
int lexp__py_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* 1 if character c is one of the characters of `set` (valid UTF-8). */
static int in_set(const lexp_value *set, uint32_t c)
{
    for (uint32_t i = 0; i < set->len;) {
        uint32_t d;
        size_t l = lexp__utf8_decode(set->u.str + i, set->len - i, &d);
        if (!l)
            return 0;
        if (d == c)
            return 1;
        i += (uint32_t)l;
    }
    return 0;
}

/* Python's str.strip (ends 3), lstrip (1) and rstrip (2) of text s: whole
 * characters off its ends, the whitespace str.isspace knows or those of
 * `chars` (NULL: whitespace). */
V *lexp__py_strip(E *e, const lexp_expr *site, V *s, V *chars, int ends)
{
    if (chars && chars->type <= LV_NULL)
        chars = NULL;
    if (chars && chars->type != LV_STR)
        return lexp__eval_fail(e, site, chars, "the characters to strip must be a string");
    uint32_t a = 0, z = s->len, c;
    while ((ends & 1) && a < z) {
        size_t l = lexp__utf8_decode(s->u.str + a, z - a, &c);
        if (!l || !(chars ? in_set(chars, c) : lexp__py_space(c)))
            break;
        a += (uint32_t)l;
    }
    while ((ends & 2) && z > a) {
        uint32_t k = z - 1;
        while (k > a && ((unsigned char)s->u.str[k] & 0xC0) == 0x80)
            k--;
        size_t l = lexp__utf8_decode(s->u.str + k, z - k, &c);
        if (!l || !(chars ? in_set(chars, c) : lexp__py_space(c)))
            break;
        z = k;
    }
    return lexp__eval_str(e, s->u.str + a, z - a);
}

JF(trim)
{
    V *s = lexp__py_str(e, site, in);
    return s ? lexp__py_strip(e, site, s, ARG(0), 3) : NULL;
}

JF(replace)
{
    V *s = lexp__py_str(e, site, in), *old = args[0], *new_ = args[1], *cnt = ARG(2);
    if (!s || !(old = lexp__py_str(e, site, old)) || !(new_ = lexp__py_str(e, site, new_)))
        return NULL;
    long max = -1;
    if (cnt && cnt->type > LV_NULL &&
        lexp__py_whole(e, site, cnt, "replace's count", 0, 1L << 30, &max))
        return NULL;
    lexp__sbuf b = lexp__py_buf(e);
    long done = 0;
    if (old->len == 0) { /* Python: the new text before every character and at the end */
        for (uint32_t i = 0; i <= s->len;) {
            if (max < 0 || done < max) {
                lexp__sbuf_put(&b, new_->u.str, new_->len);
                done++;
            }
            if (i == s->len)
                break;
            /* a whole character, not a byte */
            uint32_t j = i + (uint32_t)lexp__utf8_offset(s->u.str + i, s->len - i, 1);
            lexp__sbuf_put(&b, s->u.str + i, j - i);
            i = j;
        }
        return lexp__py_buf_str(e, &b);
    }
    for (uint32_t i = 0; i < s->len;) {
        const char *f = max < 0 || done < max
                            ? lexp__find(s->u.str + i, s->len - i, old->u.str, old->len)
                            : NULL;
        uint32_t j = f ? (uint32_t)(f - s->u.str) : s->len;
        lexp__sbuf_put(&b, s->u.str + i, j - i);
        if (!f)
            break;
        lexp__sbuf_put(&b, new_->u.str, new_->len);
        done++;
        i = j + old->len;
    }
    return lexp__py_buf_str(e, &b);
}

/* Jinja's truncate: the text when at most length + leeway characters, else
 * cut to length - len(end) (at a space unless killwords) and end added. */
JF(truncate)
{
    V *s = lexp__py_str(e, site, in), *end = ARG(2);
    long len = 255, leeway = 5;
    if (!s || (ARG(0) && ARG(0)->type > LV_NULL &&
               lexp__py_whole(e, site, ARG(0), "truncate's length", 0, 1L << 30, &len)) ||
        (ARG(3) && ARG(3)->type > LV_NULL &&
         lexp__py_whole(e, site, ARG(3), "truncate's leeway", 0, 1L << 30, &leeway)))
        return NULL;
    if (end && end->type > LV_NULL) {
        if (!(end = lexp__py_str(e, site, end)))
            return NULL;
    } else {
        end = NULL;
    }
    size_t chars = lexp__utf8_count(s->u.str, s->len);
    if ((long)chars <= len + leeway)
        return s;
    long endn = end ? (long)lexp__utf8_count(end->u.str, end->len) : 3;
    long keep = len - endn > 0 ? len - endn : 0;
    size_t i = 0;
    for (long c = 0; c < keep && i < s->len; c++) {
        i++;
        while (i < s->len && ((unsigned char)s->u.str[i] & 0xC0) == 0x80)
            i++;
    }
    if (!(ARG(1) && lexp__v_truthy(ARG(1)))) { /* back to the last space */
        size_t j = i;
        while (j > 0 && s->u.str[j - 1] != ' ')
            j--;
        if (j > 0)
            i = j - 1;
    }
    lexp__sbuf b = lexp__py_buf(e);
    lexp__sbuf_put(&b, s->u.str, i);
    if (end)
        lexp__sbuf_put(&b, end->u.str, end->len);
    else
        lexp__sbuf_puts(&b, "...");
    return lexp__py_buf_str(e, &b);
}

/* \w in Python 3 matches letters and digits of every script: a run of
 * Chinese characters is one word; CJK and general punctuation are not. */
static size_t word_char(const char *s, size_t n)
{
    unsigned char c = (unsigned char)*s;
    if (c < 0x80)
        return isalnum(c) || c == '_';
    uint32_t cp;
    size_t l = lexp__utf8_decode(s, n, &cp);
    if (!l)
        return 0;
    if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
        (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
        (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) || cp == 0xA0 ||
        (cp >= 0xA1 && cp <= 0xBF && cp != 0xAA && cp != 0xB5 && cp != 0xBA) || cp == 0xD7 ||
        cp == 0xF7)
        return 0;
    return l;
}

JF(wordcount)
{
    (void)args;
    (void)nargs;
    V *s = lexp__py_str(e, site, in);
    if (!s)
        return NULL;
    double n = 0;
    int inword = 0;
    for (size_t i = 0; i < s->len;) {
        size_t l = word_char(s->u.str + i, s->len - i);
        if (l) {
            n += !inword;
            inword = 1;
            i += l;
        } else {
            inword = 0;
            i++;
        }
    }
    return lexp__eval_num(e, n);
}

JF(format)
{
    if (in->type != LV_STR)
        return lexp__eval_fail(e, site, in, "'format' is applied to a format string: "
                                            "\"%%s and %%d\" | format(a, b)");
    lexp_value *t = new_list(e, (uint32_t)nargs);
    if (!t)
        return NULL;
    for (int i = 0; i < nargs; i++)
        t->u.items[i] = (lexp_value *)(args[i] ? args[i] : &lexp__undef);
    return lexp__py_percent(e, site, in, t, 1);
}

/* ---- numbers ---------------------------------------------------------------------- */

static int parse_num(V *v, double *out, int whole, int base)
{
    if (v->type == LV_NUM) {
        *out = whole ? trunc(v->u.num) : v->u.num;
        return 1;
    }
    if (v->type == LV_BOOL) {
        *out = v->b;
        return 1;
    }
    if (v->type != LV_STR || v->len == 0 || v->len > 60)
        return 0;
    char tmp[64], *end;
    memcpy(tmp, v->u.str, v->len);
    tmp[v->len] = 0;
    char *p = tmp;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (whole) {
        long long k = strtoll(p, &end, base);
        if (end != p && strspn(end, " \t\n") == strlen(end)) {
            *out = (double)k;
            return 1;
        }
    }
    double d = strtod(p, &end); /* int("3.7") fails in Python; int(float("3.7")) is 3 */
    if (end == p || strspn(end, " \t\n") != strlen(end) || !isfinite(d))
        return 0;
    *out = whole ? trunc(d) : d;
    return 1;
}

JF(float)
{
    double d;
    if (parse_num(in, &d, 0, 10))
        return real(e, d);
    V *def = ARG(0);
    if (def && def->type > LV_NULL)
        return def;
    (void)site;
    return real(e, 0);
}

JF(int)
{
    double d;
    long base = 10;
    if (ARG(1) && ARG(1)->type > LV_NULL &&
        lexp__py_whole(e, site, ARG(1), "int's base", 2, 36, &base))
        return NULL;
    if (parse_num(in, &d, 1, (int)base))
        return lexp__eval_num(e, d);
    V *def = ARG(0);
    return def && def->type > LV_NULL ? def : lexp__eval_num(e, 0);
}

/* Python's round(x, n): to nearest, ties to even on the exact binary value,
 * which is what printf's correctly rounded conversion does. */
static double py_round(double x, long n)
{
    if (n < 0) {
        double p = pow(10, (double)-n);
        return nearbyint(x / p) * p;
    }
    char buf[400];
    snprintf(buf, sizeof buf, "%.*f", (int)(n > 300 ? 300 : n), x);
    return strtod(buf, NULL);
}

JF(round)
{
    long prec = 0;
    V *p = ARG(0), *m = ARG(1);
    if (p && p->type > LV_NULL && lexp__py_whole(e, site, p, "round's precision", -300, 300, &prec))
        return NULL;
    if (in->type != LV_NUM)
        return lexp__eval_fail(e, site, in, "'round' needs a number");
    double x = in->u.num, r;
    if (!m || m->type <= LV_NULL || (m->type == LV_STR && m->len == 6 &&
                                      memcmp(m->u.str, "common", 6) == 0)) {
        r = py_round(x, prec);
        if (!in->b && x == floor(x)) /* Python's round keeps an int an int */
            return lexp__eval_num(e, r);
    } else if (m->type == LV_STR && ((m->len == 5 && memcmp(m->u.str, "floor", 5) == 0) ||
                                      (m->len == 4 && memcmp(m->u.str, "ceil", 4) == 0))) {
        double s = pow(10, (double)prec);
        r = m->len == 5 ? floor(x * s) / s : ceil(x * s) / s;
    } else {
        return lexp__eval_fail(e, site, m, "round's method must be 'common', 'ceil' or 'floor'");
    }
    return real(e, r);
}

JF(sum)
{
    V *const *items;
    uint32_t n;
    V *attr = ARG(0), *start = ARG(1);
    if (attr && attr->type <= LV_NULL)
        attr = NULL;
    if (lexp__py_items(e, site, in, "sum", &items, &n) || (attr && want_attr(e, site, attr, "sum")))
        return NULL;
    double t = 0;
    int isreal = 0;
    if (start && start->type > LV_NULL) {
        if (start->type != LV_NUM)
            return lexp__eval_fail(e, site, start, "sum's start must be a number");
        t = start->u.num;
        isreal = start->b;
    }
    for (uint32_t i = 0; i < n; i++) {
        V *v = attr ? lexp__py_attr(e, items[i], attr) : items[i];
        if (v->type == LV_BOOL) {
            t += v->b;
            continue;
        }
        if (v->type != LV_NUM) {
            lexp__sbuf d = LEXP__SBUF_INIT;
            lexp__v_describe(&d, v);
            lexp__eval_fail(e, site, v, "'sum' adds numbers, found %s%s", lexp__sbuf_cstr(&d),
                            v->type == LV_UNDEF ? " (a missing field)" : "");
            lexp__sbuf_free(&d);
            return NULL;
        }
        t += v->u.num;
        isreal |= v->b || v->u.num != floor(v->u.num);
    }
    return isreal ? real(e, t) : lexp__eval_num(e, t);
}

/* ---- lists ------------------------------------------------------------------------ */

JF(list)
{
    (void)args;
    (void)nargs;
    if (in->type == LV_ARR)
        return in;
    if (in->type <= LV_NULL)
        return new_list(e, 0);
    if (in->type == LV_OBJ) {
        lexp_value *l = new_list(e, in->len);
        for (uint32_t i = 0; l && i < in->len; i++)
            if (!(l->u.items[i] = (lexp_value *)lexp__eval_str(e, in->u.members[i].key,
                                                               in->u.members[i].klen)))
                return NULL;
        return l;
    }
    if (in->type == LV_STR) {
        uint32_t n = (uint32_t)lexp__utf8_count(in->u.str, in->len);
        lexp_value *l = new_list(e, n);
        size_t at = 0;
        for (uint32_t i = 0; l && i < n; i++) {
            size_t k = 1;
            while (at + k < in->len && ((unsigned char)in->u.str[at + k] & 0xC0) == 0x80)
                k++;
            if (!(l->u.items[i] = (lexp_value *)lexp__eval_str(e, in->u.str + at, k)))
                return NULL;
            at += k;
        }
        return l;
    }
    return lexp__eval_fail(e, site, in, "'list' needs a list, an object or a string");
}

/* x.items() and |items: [(key, value), …] */
static V *members(E *e, const lexp_expr *site, V *in, int what)
{
    if (in->type <= LV_NULL)
        return new_list(e, 0);
    if (in->type != LV_OBJ)
        return lexp__eval_fail(e, site, in, "'%s' needs an object (a mapping)",
                               what == 'i' ? "items" : what == 'k' ? "keys" : "values");
    lexp_value *l = new_list(e, in->len);
    for (uint32_t i = 0; l && i < in->len; i++) {
        const lexp_member *m = &in->u.members[i];
        V *k = what == 'v' ? NULL : lexp__eval_str(e, m->key, m->klen);
        V *r = what == 'k' ? k : what == 'v' ? m->val : (k ? pair(e, k, m->val) : NULL);
        if (!r)
            return NULL;
        l->u.items[i] = (lexp_value *)r;
    }
    return l;
}

JF(items) { (void)args; (void)nargs; return members(e, site, in, 'i'); }
JF(keys) { (void)args; (void)nargs; return members(e, site, in, 'k'); }
JF(values) { (void)args; (void)nargs; return members(e, site, in, 'v'); }

JF(dictsort)
{
    if (in->type <= LV_NULL)
        return new_list(e, 0);
    if (in->type != LV_OBJ)
        return lexp__eval_fail(e, site, in, "'dictsort' needs an object (a mapping)");
    V *cs = ARG(0), *by = ARG(1), *rev = ARG(2);
    int byvalue = 0;
    if (by && by->type == LV_STR && by->len == 5 && memcmp(by->u.str, "value", 5) == 0)
        byvalue = 1;
    else if (by && by->type > LV_NULL &&
             !(by->type == LV_STR && by->len == 3 && memcmp(by->u.str, "key", 3) == 0))
        return lexp__eval_fail(e, site, by, "dictsort's by must be 'key' or 'value'");
    V *pairs = members(e, site, in, 'i');
    if (!pairs)
        return NULL;
    lexp_value *idx = lexp__v_num(e->A, byvalue);
    if (!idx)
        return oom(e);
    keyed *k = sorted(e, (V *const *)pairs->u.items, pairs->len, idx,
                      cs && lexp__v_truthy(cs), rev && lexp__v_truthy(rev));
    if (!k)
        return NULL;
    lexp_value *l = new_list(e, pairs->len);
    for (uint32_t i = 0; l && i < pairs->len; i++)
        l->u.items[i] = (lexp_value *)k[i].item;
    free(k);
    return l;
}

JF(sort)
{
    V *const *items;
    uint32_t n;
    V *rev = ARG(0), *cs = ARG(1), *attr = ARG(2);
    if (attr && attr->type <= LV_NULL)
        attr = NULL;
    if (lexp__py_items(e, site, in, "sort", &items, &n) ||
        (attr && want_attr(e, site, attr, "sort")) ||
        flag_arg(e, site, rev, "sort", "reverse"))
        return NULL;
    keyed *k = sorted(e, items, n, attr, cs && lexp__v_truthy(cs), rev && lexp__v_truthy(rev));
    if (!k)
        return NULL;
    lexp_value *l = new_list(e, n);
    for (uint32_t i = 0; l && i < n; i++)
        l->u.items[i] = (lexp_value *)k[i].item;
    free(k);
    return l;
}

static V *extreme(E *e, const lexp_expr *site, V *in, V *const *args, int nargs, int max)
{
    V *const *items;
    uint32_t n;
    V *cs = ARG(0), *attr = ARG(1);
    if (attr && attr->type <= LV_NULL)
        attr = NULL;
    if (lexp__py_items(e, site, in, max ? "max" : "min", &items, &n) ||
        (attr && want_attr(e, site, attr, max ? "max" : "min")) ||
        flag_arg(e, site, cs, max ? "max" : "min", "case_sensitive"))
        return NULL;
    V *best = NULL, *bestk = NULL;
    for (uint32_t i = 0; i < n; i++) {
        V *k = attr ? lexp__py_attr(e, items[i], attr) : items[i];
        int c = bestk ? jcompare(k, bestk, cs && lexp__v_truthy(cs)) : 0;
        if (!best || (max ? c > 0 : c < 0)) {
            best = items[i];
            bestk = k;
        }
    }
    return best ? best : &lexp__undef;
}

JF(max) { return extreme(e, site, in, args, nargs, 1); }
JF(min) { return extreme(e, site, in, args, nargs, 0); }

JF(join)
{
    V *const *items;
    uint32_t n;
    V *sep = ARG(0), *attr = ARG(1);
    if (attr && attr->type <= LV_NULL)
        attr = NULL;
    if (in->type == LV_STR) /* a string joins its characters */
        in = j_list(e, site, in, NULL, 0);
    if (!in || lexp__py_items(e, site, in, "join", &items, &n) ||
        (attr && want_attr(e, site, attr, "join")))
        return NULL;
    if (sep && sep->type > LV_NULL && !(sep = lexp__py_str(e, site, sep)))
        return NULL;
    lexp__sbuf b = lexp__py_buf(e);
    for (uint32_t i = 0; i < n; i++) {
        if (i && sep && sep->type == LV_STR)
            lexp__sbuf_put(&b, sep->u.str, sep->len);
        if (text_of(e, site, attr ? lexp__py_attr(e, items[i], attr) : items[i], &b)) {
            lexp__sbuf_free(&b);
            return NULL;
        }
    }
    return lexp__py_buf_str(e, &b);
}

JF(default)
{
    V *def = ARG(0), *boolean = ARG(1);
    /* null too, unlike Jinja: null prints nothing here, where docxtpl prints None */
    int use = boolean && lexp__v_truthy(boolean) ? !lexp__v_truthy(in) : in->type <= LV_NULL;
    (void)site;
    if (!use)
        return in;
    return def ? def : lexp__eval_str(e, "", 0);
}

/* select/reject(test, arg), selectattr/rejectattr(attribute, test, arg) */
static V *pick(E *e, const lexp_expr *site, V *in, V *attr, V *test, V *arg, int keep,
               const char *what)
{
    V *const *items;
    uint32_t n;
    if (lexp__py_items(e, site, in, what, &items, &n) || (attr && want_attr(e, site, attr, what)))
        return NULL;
    if (test && test->type <= LV_NULL)
        test = NULL;
    if (test && test->type != LV_STR)
        return lexp__eval_fail(e, site, test, "'%s' takes the test's name as a string "
                                              "(\"odd\", \"equalto\", \"in\" …)",
                               what);
    if (test && !lexp__test_known(test->u.str, test->len, &(int){0}))
        return lexp__eval_fail(e, site, test, "'%s': unknown test \"%.*s\"; the tests are: %s",
                               what, (int)test->len, test->u.str, lexp__test_names());
    lexp_value *l = new_list(e, n);
    if (!l)
        return NULL;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        V *v = attr ? lexp__py_attr(e, items[i], attr) : items[i];
        int r = test ? lexp__test_apply(e, site, test->u.str, test->len, v, arg)
                     : lexp__v_truthy(v);
        if (r < 0)
            return NULL;
        if (r == keep)
            l->u.items[k++] = (lexp_value *)items[i];
    }
    l->len = k;
    return l;
}

JF(select) { return pick(e, site, in, NULL, ARG(0), ARG(1), 1, "select"); }
JF(reject) { return pick(e, site, in, NULL, ARG(0), ARG(1), 0, "reject"); }
JF(selectattr) { return pick(e, site, in, args[0], ARG(1), ARG(2), 1, "selectattr"); }
JF(rejectattr) { return pick(e, site, in, args[0], ARG(1), ARG(2), 0, "rejectattr"); }

/* map(attribute="f", default=d) or map("filter", args…) */
JF(map)
{
    V *const *items;
    uint32_t n;
    V *fname = ARG(0), *attr = ARG(3), *def = ARG(4);
    if (lexp__py_items(e, site, in, "map", &items, &n))
        return NULL;
    if (attr && attr->type > LV_NULL) {
        if (want_attr(e, site, attr, "map"))
            return NULL;
    } else if (!fname || fname->type != LV_STR) {
        return lexp__eval_fail(e, site, fname, "'map' takes a filter's name (map(\"upper\")) or "
                                               "a field (map(attribute=\"name\"))");
    }
    const lexp_filter_def *f = NULL;
    V *fargs[2] = {ARG(1), ARG(2)};
    int fn = fargs[1] ? 2 : fargs[0] ? 1 : 0;
    if (!attr || attr->type <= LV_NULL) {
        f = lexp__jfilter_find(fname->u.str, fname->len);
        if (!f)
            f = lexp__filter_find(fname->u.str, fname->len);
        if (!f)
            return lexp__eval_fail(e, site, fname, "'map': unknown filter \"%.*s\"; for a "
                                                   "field write map(attribute=\"%.*s\")",
                                   (int)fname->len, fname->u.str, (int)fname->len, fname->u.str);
        if (fn < f->min_args || fn > f->max_args)
            return lexp__eval_fail(e, site, NULL, "'map': filter '%s' takes %d to %d arguments",
                                   f->name, f->min_args, f->max_args);
    }
    lexp_value *l = new_list(e, n);
    for (uint32_t i = 0; l && i < n; i++) {
        V *v;
        if (f) {
            v = f->fn(e, site, items[i], fargs, fn);
        } else {
            v = lexp__py_attr(e, items[i], attr);
            if (v->type == LV_UNDEF && def)
                v = def;
        }
        if (!v)
            return NULL;
        l->u.items[i] = (lexp_value *)v;
    }
    return l;
}

/* groupby(attribute, default, case_sensitive): [(grouper, items)] sorted by
 * the grouper, as Jinja; the grouper is the first item's value. */
JF(groupby)
{
    V *const *items;
    uint32_t n;
    V *attr = args[0], *def = ARG(1), *cs = ARG(2);
    if (lexp__py_items(e, site, in, "groupby", &items, &n) || want_attr(e, site, attr, "groupby"))
        return NULL;
    if (def && (def->type == LV_ARR || def->type == LV_NUM))
        return lexp__eval_fail(e, site, def,
                               "in office templates 'groupby' is Jinja's: groupby(attribute, "
                               "default, case_sensitive), groups sorted by their key; for an "
                               "order of your own loop over the keys: {%% for k in [\"甲\", "
                               "\"乙\"] %%} with xs | selectattr(\"field\", \"equalto\", k)");
    int sens = cs && lexp__v_truthy(cs);
    keyed *k = sorted(e, items, n, attr, sens, 0);
    if (!k)
        return NULL;
    if (def && def->type > LV_NULL)
        for (uint32_t i = 0; i < n; i++)
            if (k[i].key->type == LV_UNDEF)
                k[i].key = def;
    if (def && def->type > LV_NULL) { /* the defaults sort among the others */
        sortctx c = {sens, 0};
        ksort(k, k + n, n, &c);
    }
    uint32_t groups = 0;
    for (uint32_t i = 0; i < n; i++)
        groups += i == 0 || jcompare(k[i].key, k[i - 1].key, sens) != 0;
    lexp_value *l = new_list(e, groups);
    uint32_t g = 0;
    for (uint32_t i = 0; l && i < n;) {
        uint32_t j = i + 1;
        while (j < n && jcompare(k[j].key, k[i].key, sens) == 0)
            j++;
        lexp_value *members_ = new_list(e, j - i);
        V *p = members_ ? pair(e, k[i].key, members_) : NULL;
        if (!p) {
            free(k);
            return NULL;
        }
        for (uint32_t m = i; m < j; m++)
            members_->u.items[m - i] = (lexp_value *)k[m].item;
        l->u.items[g++] = (lexp_value *)p;
        i = j;
    }
    free(k);
    return l;
}

static V *chunks(E *e, const lexp_expr *site, V *in, V *size, V *fill, int slices)
{
    V *const *items;
    uint32_t n;
    long c;
    const char *what = slices ? "slice" : "batch";
    if (lexp__py_items(e, site, in, what, &items, &n) ||
        lexp__py_whole(e, site, size, slices ? "slice(n)" : "batch(n)", 1, 1000000, &c))
        return NULL;
    if (fill && fill->type <= LV_NULL)
        fill = NULL;
    uint32_t per = slices ? n / (uint32_t)c : (uint32_t)c;
    uint32_t extra = slices ? n % (uint32_t)c : 0;
    uint32_t count = slices ? (uint32_t)c : (n + (uint32_t)c - 1) / (uint32_t)c;
    lexp_value *l = new_list(e, count);
    uint32_t at = 0;
    for (uint32_t s = 0; l && s < count; s++) {
        uint32_t len = slices ? per + (s < extra) : (n - at < per ? n - at : per);
        int pad = fill && (slices ? (s >= extra && extra > 0) : len < per);
        uint32_t padn = slices ? (uint32_t)pad : (pad ? per - len : 0);
        lexp_value *part = new_list(e, len + padn);
        if (!part)
            return NULL;
        for (uint32_t i = 0; i < len; i++)
            part->u.items[i] = (lexp_value *)items[at + i];
        for (uint32_t i = 0; i < padn; i++)
            part->u.items[len + i] = (lexp_value *)fill;
        at += len;
        l->u.items[s] = part;
    }
    return l;
}

JF(batch) { return chunks(e, site, in, args[0], ARG(1), 0); }
JF(slice) { return chunks(e, site, in, args[0], ARG(1), 1); }

/* ---- calls --------------------------------------------------------------------------- */

/* range(stop), range(start, stop[, step]); the input is unused */
JF(range)
{
    (void)in;
    long a = 0, b, s = 1;
    const long lim = 1L << 40;
    if (nargs == 1) {
        if (lexp__py_whole(e, site, args[0], "range", -lim, lim, &b))
            return NULL;
    } else if (lexp__py_whole(e, site, args[0], "range", -lim, lim, &a) ||
               lexp__py_whole(e, site, args[1], "range", -lim, lim, &b) ||
               (nargs > 2 && lexp__py_whole(e, site, args[2], "range's step", -lim, lim, &s))) {
        return NULL;
    }
    if (s == 0)
        return lexp__eval_fail(e, site, NULL, "range's step must not be 0");
    long cnt = s > 0 ? (b > a ? (b - a + s - 1) / s : 0) : (a > b ? (a - b - s - 1) / -s : 0);
    if (cnt > (long)RANGE_MAX)
        return lexp__eval_fail(e, site, NULL, "range(…) of %ld numbers; the limit is %u", cnt,
                               RANGE_MAX);
    lexp_value *l = new_list(e, (uint32_t)cnt);
    for (long i = 0; l && i < cnt; i++)
        if (!(l->u.items[i] = (lexp_value *)lexp__eval_num(e, (double)(a + i * s))))
            return NULL;
    return l;
}

/* loop.cycle(a, b, …): the argument for this iteration */
JF(cycle)
{
    if (in->type != LV_LOOP)
        return lexp__eval_fail(e, site, in, "cycle(…) is a method of the loop: loop.cycle(a, b)");
    if (nargs == 0)
        return lexp__eval_fail(e, site, NULL, "loop.cycle(…) needs at least one value");
    const lexp_loop *l = in->u.loop;
    V *v = args[l->index0 % (uint32_t)nargs];
    return v ? v : &lexp__undef;
}

/* ---- tables --------------------------------------------------------------------------- */

#define D(name, fn, lo, hi, params) {name, lo, hi, j_##fn, params}

/* Jinja's filters, in office templates only; the parameter names are Jinja's. */
static const lexp_filter_def jfilters[] = {
    D("batch", batch, 1, 2, "linecount,fill_with"),
    D("capitalize", capitalize, 0, 0, ""),
    D("d", default, 0, 2, "default_value,boolean"),
    D("default", default, 0, 2, "default_value,boolean"),
    D("dictsort", dictsort, 0, 3, "case_sensitive,by,reverse"),
    D("e", escape, 0, 0, ""),
    D("escape", escape, 0, 0, ""),
    D("float", float, 0, 1, "default"),
    D("forceescape", escape, 0, 0, ""),
    D("format", format, 0, 8, ""),
    D("groupby", groupby, 1, 3, "attribute,default,case_sensitive"),
    D("int", int, 0, 2, "default,base"),
    D("items", items, 0, 0, ""),
    D("join", join, 0, 2, "d,attribute"),
    D("list", list, 0, 0, ""),
    D("lower", lower, 0, 0, ""),
    D("map", map, 0, 5, "filter,arg,arg2,attribute,default"),
    D("max", max, 0, 2, "case_sensitive,attribute"),
    D("min", min, 0, 2, "case_sensitive,attribute"),
    D("reject", reject, 0, 2, "test,arg"),
    D("rejectattr", rejectattr, 1, 3, "attribute,test,arg"),
    D("replace", replace, 2, 3, "old,new,count"),
    D("round", round, 0, 2, "precision,method"),
    D("safe", safe, 0, 0, ""),
    D("select", select, 0, 2, "test,arg"),
    D("selectattr", selectattr, 1, 3, "attribute,test,arg"),
    D("slice", slice, 1, 2, "slices,fill_with"),
    D("sort", sort, 0, 3, "reverse,case_sensitive,attribute"),
    D("sum", sum, 0, 2, "attribute,start"),
    D("title", title, 0, 0, ""),
    D("trim", trim, 0, 1, "chars"),
    D("truncate", truncate, 0, 4, "length,killwords,end,leeway"),
    D("upper", upper, 0, 0, ""),
    D("wordcount", wordcount, 0, 0, ""),
};

static const lexp_filter_def jcalls[] = {
    D("range", range, 1, 3, "start,stop,step"),
    D("items", items, 0, 0, ""),
    D("keys", keys, 0, 0, ""),
    D("values", values, 0, 0, ""),
    D("cycle", cycle, 0, 8, ""),
};

const lexp_filter_def *lexp__fdef_find(const lexp_filter_def *t, size_t n, const char *name,
                                       size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(t[i].name) == len && memcmp(t[i].name, name, len) == 0)
            return &t[i];
    return NULL;
}

const lexp_filter_def *lexp__jfilter_find(const char *name, size_t len)
{
    const lexp_filter_def *d = lexp__fdef_find(jfilters, sizeof jfilters / sizeof *jfilters, name, len);
    return d ? d : lexp__jfilter_find_more(name, len);
}

const lexp_filter_def *lexp__jcall_find(const char *name, size_t len)
{
    const lexp_filter_def *d = lexp__fdef_find(jcalls, sizeof jcalls / sizeof *jcalls, name, len);
    return d ? d : lexp__jcall_find_more(name, len);
}

const char *lexp__jfilter_names(void)
{
    /* both files' tables (tests/unit/test_filters.c checks the list against them) */
    return "abs, batch, capitalize, center, d, default, dictsort, e, escape, filesizeformat, "
           "first, float, forceescape, format, groupby, indent, int, items, join, last, list, "
           "lower, map, max, min, reject, rejectattr, replace, reverse, round, safe, select, "
           "selectattr, slice, sort, striptags, sum, title, tojson, trim, truncate, unique, "
           "upper, urlencode, wordcount";
}
