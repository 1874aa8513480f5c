/*
 * Filters: `value | name(args)`. Names and results of the DESIGN §4 table
 * are a contract; the rest are documented in templates/README.md.
 *
 * Every filter reports bad input at the filter's position in the template
 * and, when the value comes from the data, at its data path.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

typedef lexp_eval E;
typedef const lexp_value V;

#define FILTER(name) \
    static V *f_##name(E *e, const lexp_expr *site, V *in, V *const *args, int nargs)

/* ---- argument helpers ---------------------------------------------------- */

static int want_num(E *e, const lexp_expr *site, V *v, const char *what, double *out)
{
    if (v->type == LV_NUM) {
        *out = v->u.num;
        return 0;
    }
    if (v->type == LV_STR && v->hint != LH_NONE) {
        *out = v->hnum; /* a formatted number keeps its value */
        return 0;
    }
    lexp__sbuf d = LEXP__SBUF_INIT;
    lexp__v_describe(&d, v);
    lexp__eval_fail(e, site, v, "%s expects a number, found %s", what, lexp__sbuf_cstr(&d));
    lexp__sbuf_free(&d);
    return -1;
}

static int want_int_arg(E *e, const lexp_expr *site, V *v, const char *what, int lo, int hi,
                        int *out)
{
    double d;
    if (want_num(e, site, v, what, &d))
        return -1;
    if (d != floor(d) || d < lo || d > hi) {
        lexp__eval_fail(e, site, NULL, "%s expects a whole number from %d to %d", what, lo, hi);
        return -1;
    }
    *out = (int)d;
    return 0;
}

static int want_str(E *e, const lexp_expr *site, V *v, const char *what)
{
    if (v->type == LV_STR)
        return 0;
    lexp__sbuf d = LEXP__SBUF_INIT;
    lexp__v_describe(&d, v);
    lexp__eval_fail(e, site, v, "%s expects a string, found %s", what, lexp__sbuf_cstr(&d));
    lexp__sbuf_free(&d);
    return -1;
}

/* Arrays; undefined and null count as empty lists so optional sections of
 * the data (no disputes this year) need no guards. */
static int want_list(E *e, const lexp_expr *site, V *v, const char *what, V *const **items,
                     uint32_t *n)
{
    if (v->type == LV_ARR) {
        *items = (V *const *)v->u.items;
        *n = v->len;
        return 0;
    }
    if (v->type == LV_UNDEF || v->type == LV_NULL) {
        *items = NULL;
        *n = 0;
        return 0;
    }
    lexp__sbuf d = LEXP__SBUF_INIT;
    lexp__v_describe(&d, v);
    lexp__eval_fail(e, site, v, "%s expects a list, found %s", what, lexp__sbuf_cstr(&d));
    lexp__sbuf_free(&d);
    return -1;
}

/* want_list for a filter that looks at every item: n steps of the
 * evaluation's limit, so a filter run over a huge list many times ends in
 * the step limit rather than running for minutes. */
static int want_items(E *e, const lexp_expr *site, V *v, const char *what, V *const **items,
                      uint32_t *n)
{
    if (want_list(e, site, v, what, items, n))
        return -1;
    return lexp__eval_work(e, site, *n);
}

/* A field of the items by name ("participants", or "a.b" into nested
 * objects). Prepared once per filter call; remembers where each key was
 * found so the usual ledger of same-shaped records costs one compare per
 * item. */
typedef struct fieldref {
    V *name;      /* NULL: the item itself */
    int dotted;
    uint32_t hint;
} fieldref;

static fieldref field_ref(V *field)
{
    fieldref f = {NULL, 0, 0};
    if (field && field->type == LV_STR) {
        f.name = field;
        f.dotted = memchr(field->u.str, '.', field->len) != NULL;
    }
    return f;
}

static V *field_get(fieldref *f, V *item)
{
    if (!f->name)
        return item;
    V *cur;
    if (!f->dotted) {
        cur = lexp__v_get_hint(item, f->name->u.str, f->name->len, &f->hint);
        return cur ? cur : &lexp__undef;
    }
    const char *s = f->name->u.str, *end = s + f->name->len;
    cur = item;
    while (cur) {
        const char *dot = memchr(s, '.', (size_t)(end - s));
        const char *seg_end = dot ? dot : end;
        cur = lexp__v_get(cur, s, (size_t)(seg_end - s));
        if (!dot)
            break;
        s = dot + 1;
    }
    return cur ? cur : &lexp__undef;
}

static V *field_of(V *item, V *field)
{
    fieldref f = field_ref(field);
    return field_get(&f, item);
}

static V *make_str(E *e, lexp__sbuf *b)
{
    V *v = b->oom ? NULL : lexp__eval_str(e, b->ptr ? b->ptr : "", b->len);
    lexp__eval_buf_done(e, b);
    if (!v)
        lexp__error_oom(e->err);
    return v;
}

static V *hinted(E *e, lexp__sbuf *b, int hint, double hnum, int hdec, const char *hfmt)
{
    lexp_value *v = (lexp_value *)make_str(e, b);
    if (v) {
        v->hint = (uint8_t)hint;
        v->hnum = hnum;
        v->hdec = (uint8_t)hdec;
        v->hfmt = hfmt;
    }
    return v;
}

/* ---- Chinese numbers ------------------------------------------------------ */

FILTER(cn)
{
    double x;
    if (want_num(e, site, in, "cn", &x))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    lexp__cn_number(&b, x);
    return make_str(e, &b);
}

FILTER(cn_upper)
{
    double x;
    if (want_num(e, site, in, "cn_upper", &x))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    lexp__cn_upper(&b, x);
    return make_str(e, &b);
}

FILTER(cn_money)
{
    double x;
    if (want_num(e, site, in, "cn_money", &x))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    if (lexp__cn_money(&b, x)) {
        lexp__eval_buf_done(e, &b);
        return lexp__eval_fail(e, site, in, "cn_money: amount too large for 大写 (limit 10^15)");
    }
    return hinted(e, &b, LH_MONEY, x, 2, NULL);
}

FILTER(cn_year)
{
    lexp__sbuf b = lexp__eval_buf(e);
    if (in->type == LV_NUM && in->u.num >= 0 && in->u.num == floor(in->u.num) &&
        in->u.num < 1e6) {
        char tmp[16];
        snprintf(tmp, sizeof tmp, "%.0f", in->u.num);
        lexp__cn_digits(&b, tmp, strlen(tmp));
    } else if (in->type == LV_STR && in->len >= 4 && strspn(in->u.str, "0123456789") >= 4) {
        lexp__cn_digits(&b, in->u.str, 4); /* "2024-09-30" → 二〇二四 */
    } else {
        lexp__sbuf d = LEXP__SBUF_INIT;
        lexp__v_describe(&d, in);
        lexp__eval_fail(e, site, in, "cn_year expects a year such as 2024, found %s",
                        lexp__sbuf_cstr(&d));
        lexp__sbuf_free(&d);
        return NULL;
    }
    return make_str(e, &b);
}

/* ---- dates ----------------------------------------------------------------- */

static void put_int(lexp__sbuf *b, int v)
{
    char t[4];
    int n = 0;
    if (v >= 10)
        t[n++] = (char)('0' + v / 10 % 10);
    t[n++] = (char)('0' + v % 10);
    lexp__sbuf_put(b, t, (size_t)n);
}

/* Accepts "YYYY-MM-DD" and "YYYY-MM" (day 0 = no day). */
static int want_date(E *e, const lexp_expr *site, V *in, const char *what, int *y, int *m,
                     int *d)
{
    if (in->type == LV_STR) {
        if (lexp__parse_date(in->u.str, in->len, y, m, d))
            return 0;
        if (lexp__parse_month(in->u.str, in->len, y, m)) {
            *d = 0;
            return 0;
        }
    }
    lexp__sbuf ds = LEXP__SBUF_INIT;
    lexp__v_describe(&ds, in);
    lexp__eval_fail(e, site, in, "%s expects a date YYYY-MM-DD (or a month YYYY-MM), found %s",
                    what, lexp__sbuf_cstr(&ds));
    lexp__sbuf_free(&ds);
    return -1;
}

FILTER(date)
{
    int y, m, d;
    if (want_date(e, site, in, "date", &y, &m, &d))
        return NULL;
    const char *fmt = "YYYY年M月D日";
    size_t fl = strlen(fmt);
    if (nargs > 0) {
        if (want_str(e, site, args[0], "date(format)"))
            return NULL;
        fmt = args[0]->u.str;
        fl = args[0]->len;
    }
    static const char *const wd[] = {"一", "二", "三", "四", "五", "六", "日"};
    lexp__sbuf b = lexp__eval_buf(e);
    for (size_t i = 0; i < fl;) {
        const char *p = fmt + i;
        size_t left = fl - i;
        if (*p != 'Y' && *p != 'M' && *p != 'D' && *p != 'W') {
            /* literal text up to the next token letter, in one copy */
            size_t k = 1;
            while (k < left && p[k] != 'Y' && p[k] != 'M' && p[k] != 'D' && p[k] != 'W')
                k++;
            lexp__sbuf_put(&b, p, k);
            i += k;
            continue;
        }
        if (left >= 4 && memcmp(p, "YYYY", 4) == 0) {
            lexp__sbuf_printf(&b, "%04d", y);
            i += 4;
        } else if (left >= 2 && memcmp(p, "YY", 2) == 0) {
            lexp__sbuf_printf(&b, "%02d", y % 100);
            i += 2;
        } else if (left >= 2 && memcmp(p, "MM", 2) == 0) {
            lexp__sbuf_printf(&b, "%02d", m);
            i += 2;
        } else if (*p == 'M') {
            put_int(&b, m);
            i++;
        } else if ((left >= 2 && memcmp(p, "DD", 2) == 0) || *p == 'D' || *p == 'W') {
            if (d == 0) {
                lexp__eval_buf_done(e, &b);
                return lexp__eval_fail(e, site, in,
                                       "date: the format asks for a day but the value is a "
                                       "month (YYYY-MM)");
            }
            if (*p == 'W') {
                lexp__sbuf_puts(&b, wd[lexp__weekday(y, m, d)]);
                i++;
            } else if (left >= 2 && p[1] == 'D') {
                lexp__sbuf_printf(&b, "%02d", d);
                i += 2;
            } else {
                put_int(&b, d);
                i++;
            }
        } else {
            lexp__sbuf_putc(&b, *p);
            i++;
        }
    }
    /* the pattern outlives the template in the tree: copy it, once per pattern */
    if (e->fmt_src != fmt) {
        char *f = lexp__arena_strndup(e->A, fmt, fl);
        if (!f)
            return NULL;
        e->fmt_src = fmt;
        e->fmt_copy = f;
    }
    return hinted(e, &b, LH_DATE, lexp__date_serial(y, m, d ? d : 1), 0, e->fmt_copy);
}

FILTER(cn_date)
{
    int y, m, d;
    if (want_date(e, site, in, "cn_date", &y, &m, &d))
        return NULL;
    char tmp[8];
    snprintf(tmp, sizeof tmp, "%04d", y);
    lexp__sbuf b = lexp__eval_buf(e);
    lexp__cn_digits(&b, tmp, 4);
    lexp__sbuf_puts(&b, "年");
    lexp__cn_small(&b, m);
    lexp__sbuf_puts(&b, "月");
    if (d) {
        lexp__cn_small(&b, d);
        lexp__sbuf_puts(&b, "日");
    }
    return hinted(e, &b, LH_DATE, lexp__date_serial(y, m, d ? d : 1), 0, d ? "cn" : "cn_month");
}

/* ---- number formats --------------------------------------------------------- */

static int decimals_arg(E *e, const lexp_expr *site, V *const *args, int nargs, int dflt,
                        const char *what, int *out)
{
    *out = dflt;
    return nargs > 0 ? want_int_arg(e, site, args[0], what, 0, 10, out) : 0;
}

FILTER(pct)
{
    double x;
    int n;
    if (want_num(e, site, in, "pct", &x) || decimals_arg(e, site, args, nargs, 1, "pct(n)", &n))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    lexp__fmt_fixed(&b, x * 100.0, n, 0);
    lexp__sbuf_putc(&b, '%');
    return hinted(e, &b, LH_PERCENT, x, n, NULL);
}

/* pct without a needless ".0": 1 → 100%, 0.35 → 35%, 0.531 → 53.1% (the
 * decimals carry information only when they are not zero). */
FILTER(rate)
{
    double x;
    int n;
    if (want_num(e, site, in, "rate", &x) || decimals_arg(e, site, args, nargs, 1, "rate(n)", &n))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    lexp__fmt_fixed(&b, x * 100.0, n, 0);
    if (memchr(b.ptr, '.', b.len)) {
        while (b.len && b.ptr[b.len - 1] == '0')
            b.len--;
        if (b.len && b.ptr[b.len - 1] == '.')
            b.len--;
    }
    int shown = 0;
    for (size_t i = 0, dot = 0; i < b.len; i++) {
        if (b.ptr[i] == '.')
            dot = 1;
        else if (dot)
            shown++;
    }
    lexp__sbuf_putc(&b, '%');
    return hinted(e, &b, LH_PERCENT, x, shown, NULL);
}

/* A spreadsheet formula for a number or percentage cell: the value is its
 * cached result in XLSX, and prints as itself everywhere else. In the
 * formula, {r} is the cell's own row and {row:LABEL} the row of the same
 * table whose first cell reads LABEL: formula("C{r}/C{row:合计}"). */
FILTER(formula)
{
    if (want_str(e, site, args[0], "formula(f)"))
        return NULL;
    double x;
    if (want_num(e, site, in, "formula", &x))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    int hint = LH_NUMBER, dec = 0;
    if (in->type == LV_STR) {
        lexp__sbuf_put(&b, in->u.str, in->len);
        hint = in->hint;
        dec = in->hdec;
    } else {
        lexp__fmt_number(&b, x);
        for (size_t i = 0, dot = 0; i < b.len; i++)
            dot = dot || b.ptr[i] == '.', dec += dot && b.ptr[i] != '.';
        hint = LH_NUMBER;
    }
    if (hint != LH_PERCENT && hint != LH_NUMBER) {
        lexp__eval_buf_done(e, &b);
        lexp__eval_fail(e, site, in, "formula expects a number or a pct/rate/num value");
        return NULL;
    }
    const char *f = lexp__arena_strndup(e->A, args[0]->u.str, args[0]->len);
    if (!f) {
        lexp__eval_buf_done(e, &b);
        lexp__error_oom(e->err);
        return NULL;
    }
    lexp_value *v = (lexp_value *)hinted(e, &b, hint, x, dec, NULL);
    if (v)
        v->hfmt = f; /* the formula, for LH_NUMBER/LH_PERCENT (value.h) */
    return v;
}

FILTER(num)
{
    double x;
    int n;
    if (want_num(e, site, in, "num", &x) || decimals_arg(e, site, args, nargs, 0, "num(n)", &n))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    lexp__fmt_fixed(&b, x, n, 1);
    return hinted(e, &b, LH_NUMBER, x, n, NULL);
}

FILTER(wan)
{
    double x;
    int n;
    if (want_num(e, site, in, "wan", &x) || decimals_arg(e, site, args, nargs, 1, "wan(n)", &n))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    lexp__fmt_fixed(&b, x / 10000.0, n, 0);
    lexp__sbuf_puts(&b, "万");
    return make_str(e, &b);
}

/* `n | big`: counts as prose writes them — below 10万 exact (8600), above
 * in 万 without a needless ".0" (45.3万, 12万). */
/* big(from): 万 from `from` up (default 10万), so a document whose largest
 * figure is in 万 can write all its figures over 1万 the same way. */
FILTER(big)
{
    double x, from = 100000;
    if (want_num(e, site, in, "big", &x) || (nargs > 0 && want_num(e, site, args[0], "big(from)", &from)))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    if (fabs(x) < from || fabs(x) < 10000) {
        lexp__fmt_number(&b, x);
    } else {
        lexp__fmt_fixed(&b, x / 10000.0, 1, 0);
        if (b.len >= 2 && memcmp(b.ptr + b.len - 2, ".0", 2) == 0)
            b.len -= 2;
        lexp__sbuf_puts(&b, "万");
    }
    return make_str(e, &b);
}

FILTER(round)
{
    double x;
    int n;
    if (want_num(e, site, in, "round", &x) ||
        decimals_arg(e, site, args, nargs, 0, "round(n)", &n))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    lexp__fmt_fixed(&b, x, n, 0);
    double r = strtod(lexp__sbuf_cstr(&b), NULL);
    lexp__eval_buf_done(e, &b);
    return lexp__eval_num(e, r);
}

FILTER(int)
{
    double x;
    if (in->type == LV_STR && in->hint == LH_NONE) {
        char *end;
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.*s", (int)(in->len < 63 ? in->len : 63), in->u.str);
        x = strtod(tmp, &end);
        if (end == tmp || *end)
            return lexp__eval_fail(e, site, in, "int: \"%s\" is not a number", tmp);
        return lexp__eval_num(e, trunc(x));
    }
    if (want_num(e, site, in, "int", &x))
        return NULL;
    return lexp__eval_num(e, trunc(x));
}

FILTER(number)
{
    if (in->type == LV_NUM)
        return in;
    if (in->type == LV_STR && in->hint != LH_NONE)
        return lexp__eval_num(e, in->hnum);
    if (in->type == LV_STR) {
        char tmp[64], *end;
        snprintf(tmp, sizeof tmp, "%.*s", (int)(in->len < 63 ? in->len : 63), in->u.str);
        double x = strtod(tmp, &end);
        if (end == tmp || *end)
            return lexp__eval_fail(e, site, in, "number: \"%s\" is not a number", tmp);
        return lexp__eval_num(e, x);
    }
    double x;
    if (want_num(e, site, in, "number", &x))
        return NULL;
    return lexp__eval_num(e, x);
}

FILTER(abs)
{
    double x;
    if (want_num(e, site, in, "abs", &x))
        return NULL;
    return lexp__eval_num(e, fabs(x));
}

/* `cur | change(prev)`: 增长12.5% / 下降3.0% / 持平 (环比 and 同比 prose). */
FILTER(change)
{
    double cur, prev;
    int n = 1;
    if (want_num(e, site, in, "change", &cur) ||
        want_num(e, site, args[0], "change(previous)", &prev) ||
        (nargs > 1 && want_int_arg(e, site, args[1], "change(previous, n)", 0, 6, &n)))
        return NULL;
    lexp__sbuf b = lexp__eval_buf(e);
    if (prev == 0) {
        lexp__sbuf_puts(&b, cur == 0 ? "持平" : "新增");
    } else {
        double r = (cur - prev) / fabs(prev);
        lexp__sbuf t = LEXP__SBUF_INIT;
        lexp__fmt_fixed(&t, fabs(r) * 100.0, n, 0);
        const char *s = lexp__sbuf_cstr(&t);
        if (strspn(s, "0.") == strlen(s))
            lexp__sbuf_puts(&b, "持平");
        else
            lexp__sbuf_printf(&b, "%s%s%%", r > 0 ? "增长" : "下降", s);
        lexp__sbuf_free(&t);
    }
    return make_str(e, &b);
}

/* ---- lists ------------------------------------------------------------------- */

FILTER(count)
{
    switch (in->type) {
    case LV_UNDEF:
    case LV_NULL: return lexp__eval_num(e, 0);
    case LV_STR: return lexp__eval_num(e, (double)lexp__utf8_count(in->u.str, in->len));
    case LV_ARR:
    case LV_OBJ: return lexp__eval_num(e, in->len);
    default: {
        lexp__sbuf d = LEXP__SBUF_INIT;
        lexp__v_describe(&d, in);
        lexp__eval_fail(e, site, in, "count expects a list, found %s", lexp__sbuf_cstr(&d));
        lexp__sbuf_free(&d);
        return NULL;
    }
    }
}

/* Numbers of the items (or of a field of the items). Missing values are
 * skipped; anything else that is not a number is an error. */
static int numbers(E *e, const lexp_expr *site, V *in, V *field, V *dflt, const char *what,
                   double *sum, uint32_t *cnt, double *mn, double *mx)
{
    double missing = 0;
    if (dflt && want_num(e, site, dflt, what, &missing))
        return -1;
    V *const *items;
    uint32_t n;
    if (want_items(e, site, in, what, &items, &n))
        return -1;
    if (field && want_str(e, site, field, what))
        return -1;
    *sum = 0;
    *cnt = 0;
    fieldref fr = field_ref(field);
    for (uint32_t i = 0; i < n; i++) {
        V *v = field_get(&fr, items[i]);
        double x;
        if (v->type == LV_UNDEF || v->type == LV_NULL) {
            if (!dflt)
                continue;
            x = missing; /* sum("sessions", 1): a missing count means one */
        } else if (v->type == LV_NUM) {
            x = v->u.num;
        } else if (v->type == LV_STR && v->hint != LH_NONE) {
            x = v->hnum;
        } else {
            lexp__sbuf d = LEXP__SBUF_INIT;
            lexp__v_describe(&d, v);
            lexp__eval_fail(e, site, v, "%s: expected a number, found %s", what,
                            lexp__sbuf_cstr(&d));
            lexp__sbuf_free(&d);
            return -1;
        }
        *sum += x;
        if (*cnt == 0 || x < *mn)
            *mn = x;
        if (*cnt == 0 || x > *mx)
            *mx = x;
        (*cnt)++;
    }
    return 0;
}

/* sum, avg, min and max share one pass over the numbers. */
typedef enum { AGG_SUM, AGG_AVG, AGG_MIN, AGG_MAX } aggkind;

static V *aggregate(E *e, const lexp_expr *site, V *in, V *const *args, int nargs,
                    aggkind kind)
{
    static const char *const names[] = {"sum", "avg", "min", "max"};
    double s, mn = 0, mx = 0;
    uint32_t c;
    if (numbers(e, site, in, nargs ? args[0] : NULL, nargs > 1 ? args[1] : NULL, names[kind],
                &s, &c, &mn, &mx))
        return NULL;
    switch (kind) {
    case AGG_SUM: return lexp__eval_num(e, s);
    case AGG_AVG: return lexp__eval_num(e, c ? s / c : 0);
    case AGG_MIN: return c ? lexp__eval_num(e, mn) : &lexp__undef;
    default: return c ? lexp__eval_num(e, mx) : &lexp__undef;
    }
}

FILTER(sum) { return aggregate(e, site, in, args, nargs, AGG_SUM); }
FILTER(avg) { return aggregate(e, site, in, args, nargs, AGG_AVG); }
FILTER(min) { return aggregate(e, site, in, args, nargs, AGG_MIN); }
FILTER(max) { return aggregate(e, site, in, args, nargs, AGG_MAX); }

static V *list_of(E *e, V **items, uint32_t n)
{
    lexp_value *a = lexp__v_arr(e->A, n);
    if (!a) {
        lexp__error_oom(e->err);
        return NULL;
    }
    if (n)
        memcpy(a->u.items, items, n * sizeof *items);
    return a;
}

/* A hash set of values, equal as lexp__v_equal says (as ==): unique, where
 * … "in" and groupby look values up in it instead of comparing each with
 * every other. Open addressing over at most `max` values. */
typedef struct vset {
    uint32_t *slot; /* 0: empty, else 1 + index into key */
    V **key;
    uint64_t *hash;
    size_t cap;
    uint32_t n;
} vset;

static int vset_init(E *e, vset *s, uint32_t max)
{
    s->cap = 16;
    while (s->cap < (size_t)max * 2)
        s->cap *= 2;
    s->n = 0;
    s->slot = calloc(s->cap, sizeof *s->slot);
    s->key = malloc((max ? max : 1) * sizeof *s->key);
    s->hash = malloc((max ? max : 1) * sizeof *s->hash);
    if (s->slot && s->key && s->hash)
        return 0;
    free(s->slot);
    free(s->key);
    free(s->hash);
    lexp__error_oom(e->err);
    return -1;
}

static void vset_free(vset *s)
{
    free(s->slot);
    free(s->key);
    free(s->hash);
}

/* The index of the value equal to v, or -1 with *at the slot to add it. */
static int64_t vset_find(const vset *s, V *v, uint64_t h, size_t *at)
{
    size_t i = (size_t)h & (s->cap - 1);
    for (; s->slot[i]; i = (i + 1) & (s->cap - 1)) {
        uint32_t k = s->slot[i] - 1;
        if (s->hash[k] == h && lexp__v_equal(s->key[k], v))
            return k;
    }
    *at = i;
    return -1;
}

/* Add v (not in the set) at slot `at`; returns its index. */
static uint32_t vset_add(vset *s, size_t at, V *v, uint64_t h)
{
    s->key[s->n] = v;
    s->hash[s->n] = h;
    s->slot[at] = ++s->n;
    return s->n - 1;
}

/* Add v unless an equal value is there: its index, *added when new. */
static uint32_t vset_put(vset *s, V *v, int *added)
{
    uint64_t h = lexp__v_hash(v);
    size_t at;
    int64_t k = vset_find(s, v, h, &at);
    *added = k < 0;
    return k >= 0 ? (uint32_t)k : vset_add(s, at, v, h);
}

static int vset_has(const vset *s, V *v)
{
    size_t at;
    return vset_find(s, v, lexp__v_hash(v), &at) >= 0;
}

/* Text of a scalar for startswith/contains. */
static int scalar_text(E *e, const lexp_expr *site, V *v, lexp__sbuf *b)
{
    if (v->type == LV_UNDEF || v->type == LV_NULL)
        return 0;
    return lexp__value_text(e, site, b, v);
}

static int contains(V *hay, V *needle)
{
    if (hay->type == LV_ARR) {
        for (uint32_t i = 0; i < hay->len; i++)
            if (lexp__v_equal(hay->u.items[i], needle))
                return 1;
        return 0;
    }
    if (hay->type == LV_OBJ && needle->type == LV_STR)
        return lexp__v_get(hay, needle->u.str, needle->len) != NULL;
    if (hay->type == LV_STR && needle->type == LV_STR) {
        return lexp__find(hay->u.str, hay->len, needle->u.str, needle->len) != NULL;
    }
    return 0;
}

FILTER(where)
{
    V *const *items;
    uint32_t n;
    if (want_items(e, site, in, "where", &items, &n) || want_str(e, site, args[0], "where(field, …)"))
        return NULL;
    enum { W_TRUTHY, W_EQ, W_NE, W_LT, W_LE, W_GT, W_GE, W_STARTS, W_CONTAINS, W_IN } op;
    V *want = NULL;
    if (nargs == 1) {
        op = W_TRUTHY;
    } else if (nargs == 2) {
        op = W_EQ;
        want = args[1];
    } else {
        if (want_str(e, site, args[1], "where(field, op, value)"))
            return NULL;
        static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">=",
                                          "startswith", "contains", "in"};
        int k = -1;
        for (int i = 0; i < 9; i++)
            if (strlen(ops[i]) == args[1]->len && memcmp(ops[i], args[1]->u.str, args[1]->len) == 0)
                k = i;
        if (k < 0)
            return lexp__eval_fail(e, site, NULL,
                                   "where: unknown operator \"%.*s\"; expected ==, !=, <, <=, "
                                   ">, >=, startswith, contains or in",
                                   (int)args[1]->len, args[1]->u.str);
        op = (int)W_EQ + k;
        want = args[2];
    }
    V **out = lexp__arena_alloc(e->A, (n ? n : 1) * sizeof *out);
    if (!out) {
        lexp__error_oom(e->err);
        return NULL;
    }
    lexp__sbuf wt = LEXP__SBUF_INIT;
    if (op == W_STARTS && scalar_text(e, site, want, &wt))
        return NULL;
    /* "in" a list: the list's values in a set, looked up once per item */
    vset in_set = {0};
    int use_set = op == W_IN && want->type == LV_ARR;
    if (use_set) {
        if (lexp__eval_work(e, site, want->len) || vset_init(e, &in_set, want->len))
            return NULL;
        for (uint32_t i = 0; i < want->len; i++) {
            int added;
            vset_put(&in_set, want->u.items[i], &added);
        }
    }
    uint32_t k = 0;
    fieldref fr = field_ref(args[0]);
    for (uint32_t i = 0; i < n; i++) {
        V *v = field_get(&fr, items[i]);
        int keep = 0;
        switch (op) {
        case W_TRUTHY: keep = lexp__v_truthy(v); break;
        case W_EQ: keep = lexp__v_equal(v, want); break;
        case W_NE: keep = !lexp__v_equal(v, want); break;
        case W_LT:
        case W_LE:
        case W_GT:
        case W_GE: {
            if (v->type != want->type || (v->type != LV_NUM && v->type != LV_STR))
                break; /* missing or mismatched values never match */
            int c = lexp__v_compare(v, want);
            keep = op == W_LT ? c < 0 : op == W_LE ? c <= 0 : op == W_GT ? c > 0 : c >= 0;
            break;
        }
        case W_STARTS:
            keep = v->type == LV_STR && v->len >= wt.len &&
                   (wt.len == 0 || memcmp(v->u.str, wt.ptr, wt.len) == 0);
            break;
        case W_CONTAINS: keep = contains(v, want); break;
        case W_IN: keep = use_set ? vset_has(&in_set, v) : contains(want, v); break;
        }
        if (keep)
            out[k++] = items[i];
    }
    lexp__sbuf_free(&wt);
    if (use_set)
        vset_free(&in_set);
    lexp_value *a = lexp__v_arr(e->A, 0);
    if (!a) {
        lexp__error_oom(e->err);
        return NULL;
    }
    a->u.items = (lexp_value **)out;
    a->len = k;
    return a;
}

/* The key an item is grouped under: the field's value or its first
 * `prefix` characters (dates by month: groupby("date", 7)). */
static V *group_key(E *e, V *k, int prefix)
{
    if (k->type == LV_UNDEF)
        k = &lexp__null;
    if (prefix > 0 && k->type == LV_STR) {
        size_t i = 0;
        for (int c = 0; c < prefix && i < k->len; c++) {
            i++;
            while (i < k->len && ((unsigned char)k->u.str[i] & 0xC0) == 0x80)
                i++;
        }
        if (i < k->len)
            k = lexp__eval_str(e, k->u.str, i);
    }
    return k;
}

/* groupby: [{key, items, count}] in order of first appearance, the keys
 * in a hash set so ledgers with many distinct values stay linear. */
FILTER(groupby)
{
    V *const *items;
    uint32_t n;
    if (want_items(e, site, in, "groupby", &items, &n) ||
        want_str(e, site, args[0], "groupby(field)"))
        return NULL;
    int prefix = 0;
    V *known = NULL, *other = NULL;
    if (nargs > 1) {
        if (args[1]->type == LV_ARR) {
            known = args[1];
            other = nargs > 2 ? args[2] : NULL;
            if (!other && !(other = lexp__eval_str(e, "其他", strlen("其他"))))
                return NULL;
        } else if (want_int_arg(e, site, args[1], "groupby(field, n)", 1, 1000, &prefix)) {
            return NULL;
        }
    }
    uint32_t maxg = n + (known ? known->len : 0) + 1;
    vset gs; /* the keys, in order of first appearance */
    if ((known && lexp__eval_work(e, site, known->len)) || vset_init(e, &gs, maxg))
        return NULL;
    uint32_t *gidx = malloc((n ? n : 1) * sizeof *gidx); /* group of each item */
    uint32_t *gcount = calloc(maxg, sizeof *gcount);
    if (!gidx || !gcount) {
        vset_free(&gs);
        free(gidx);
        free(gcount);
        lexp__error_oom(e->err);
        return NULL;
    }
    fieldref fr = field_ref(args[0]);
    int added;
    /* known keys come first, in the given order, even before items use them */
    if (known)
        for (uint32_t i = 0; i < known->len; i++)
            vset_put(&gs, known->u.items[i], &added);
    uint32_t nknown = gs.n;
    for (uint32_t i = 0; i < n; i++) {
        V *k = group_key(e, field_get(&fr, items[i]), prefix);
        if (!k) {
            vset_free(&gs);
            free(gidx);
            free(gcount);
            return NULL;
        }
        uint64_t h = lexp__v_hash(k);
        size_t at;
        int64_t g = vset_find(&gs, k, h, &at);
        if (known && (g < 0 || (uint32_t)g >= nknown)) {
            k = other; /* not one of the known keys */
            h = lexp__v_hash(k);
            g = vset_find(&gs, k, h, &at);
        }
        gidx[i] = g >= 0 ? (uint32_t)g : vset_add(&gs, at, k, h);
        gcount[gidx[i]]++;
    }
    V **gkey = gs.key;
    uint32_t ng = gs.n;
    /* known keys no item has leave no empty group behind */
    uint32_t *remap = malloc(maxg * sizeof *remap);
    if (!remap) {
        vset_free(&gs);
        free(gidx);
        free(gcount);
        lexp__error_oom(e->err);
        return NULL;
    }
    uint32_t kept = 0;
    for (uint32_t g = 0; g < ng; g++) {
        remap[g] = kept;
        if (gcount[g]) {
            gkey[kept] = gkey[g];
            gcount[kept] = gcount[g];
            kept++;
        }
    }
    for (uint32_t i = 0; i < n; i++)
        gidx[i] = remap[gidx[i]];
    free(remap);
    ng = kept;
    lexp_value *res = lexp__v_arr(e->A, ng);
    int ok = res != NULL;
    lexp_value **lists = ok ? lexp__arena_alloc(e->A, (ng ? ng : 1) * sizeof *lists) : NULL;
    ok = ok && lists;
    for (uint32_t g = 0; ok && g < ng; g++) {
        lexp_value *o = lexp__v_obj(e->A, 3);
        lists[g] = lexp__v_arr(e->A, gcount[g]);
        lexp_value *cnt = lexp__v_num(e->A, gcount[g]);
        if (!o || !lists[g] || !cnt) {
            ok = 0;
            break;
        }
        o->u.members[0] = (lexp_member){"key", 3, (lexp_value *)gkey[g]};
        o->u.members[1] = (lexp_member){"items", 5, lists[g]};
        o->u.members[2] = (lexp_member){"count", 5, cnt};
        lists[g]->len = 0;
        res->u.items[g] = o;
    }
    for (uint32_t i = 0; ok && i < n; i++) {
        lexp_value *l = lists[gidx[i]];
        l->u.items[l->len++] = (lexp_value *)items[i];
    }
    vset_free(&gs);
    free(gidx);
    free(gcount);
    if (!ok) {
        lexp__error_oom(e->err);
        return NULL;
    }
    return res;
}

/* Stable merge sort of items by key. */
typedef struct {
    V *item;
    V *key;
} sortent;

static void msort(sortent *a, sortent *tmp, size_t n, int rev)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    msort(a, tmp, h, rev);
    msort(a + h, tmp, n - h, rev);
    /* halves already in order (ledgers are mostly chronological): done */
    if (!rev && lexp__v_compare(a[h - 1].key, a[h].key) <= 0)
        return;
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        int c = lexp__v_compare(a[j].key, a[i].key);
        if (rev) {
            /* descending, but missing values still last and ties stable */
            int missing_i = a[i].key->type <= LV_NULL, missing_j = a[j].key->type <= LV_NULL;
            if (missing_i != missing_j)
                c = missing_j ? 1 : -1;
            else
                c = -c;
        }
        tmp[k++] = c < 0 ? a[j++] : a[i++];
    }
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

/* Ascending sort of string keys (dates, names): the common case, with the
 * comparison inlined. */
static int str_le(V *a, V *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->u.str, b->u.str, n);
    return c < 0 || (c == 0 && a->len <= b->len);
}

static void msort_str(sortent *a, sortent *tmp, size_t n)
{
    if (n <= 12) { /* insertion sort: stable, fast on short runs */
        for (size_t i = 1; i < n; i++) {
            sortent x = a[i];
            size_t j = i;
            while (j > 0 && !str_le(a[j - 1].key, x.key)) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    msort_str(a, tmp, h);
    msort_str(a + h, tmp, n - h);
    if (str_le(a[h - 1].key, a[h].key))
        return;
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = str_le(a[i].key, a[j].key) ? a[i++] : a[j++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

FILTER(sort)
{
    V *const *items;
    uint32_t n;
    if (want_items(e, site, in, "sort", &items, &n))
        return NULL;
    uint32_t lg = 0; /* merge sort: n log n */
    while (lg < 32 && (1ull << lg) < n)
        lg++;
    if (lexp__eval_work(e, site, (uint64_t)n * lg))
        return NULL;
    V *field = NULL;
    int rev = 0;
    for (int i = 0; i < nargs; i++) {
        if (args[i]->type == LV_BOOL)
            rev = args[i]->b;
        else if (args[i]->type == LV_STR && !field)
            field = args[i];
        else
            return lexp__eval_fail(e, site, args[i],
                                   "sort takes a field name and/or true for descending order");
    }
    sortent *a = malloc((n ? n : 1) * sizeof *a), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!a || !tmp) {
        free(a);
        free(tmp);
        lexp__error_oom(e->err);
        return NULL;
    }
    fieldref fr = field_ref(field);
    for (uint32_t i = 0; i < n; i++) {
        a[i].item = items[i];
        a[i].key = field_get(&fr, items[i]);
    }
    int all_str = 1;
    for (uint32_t i = 0; i < n && all_str; i++)
        all_str = a[i].key->type == LV_STR;
    if (all_str && !rev)
        msort_str(a, tmp, n);
    else
        msort(a, tmp, n, rev);
    lexp_value *res = lexp__v_arr(e->A, n);
    if (res)
        for (uint32_t i = 0; i < n; i++)
            res->u.items[i] = (lexp_value *)a[i].item;
    free(a);
    free(tmp);
    if (!res)
        lexp__error_oom(e->err);
    return res;
}

FILTER(first)
{
    if (in->type == LV_STR) {
        uint32_t cp;
        size_t l = lexp__utf8_decode(in->u.str, in->len, &cp);
        return lexp__eval_str(e, in->u.str, l);
    }
    V *const *items;
    uint32_t n;
    if (want_list(e, site, in, "first", &items, &n))
        return NULL;
    return n ? items[0] : &lexp__undef;
}

FILTER(last)
{
    V *const *items;
    uint32_t n;
    if (want_list(e, site, in, "last", &items, &n))
        return NULL;
    return n ? items[n - 1] : &lexp__undef;
}

FILTER(join)
{
    V *const *items;
    uint32_t n;
    if (want_items(e, site, in, "join", &items, &n))
        return NULL;
    const char *sep = "";
    size_t sl = 0;
    V *field = NULL;
    if (nargs > 0) {
        if (want_str(e, site, args[0], "join(separator)"))
            return NULL;
        sep = args[0]->u.str;
        sl = args[0]->len;
    }
    if (nargs > 1) {
        if (want_str(e, site, args[1], "join(separator, field)"))
            return NULL;
        field = args[1];
    }
    lexp__sbuf b = lexp__eval_buf(e);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            lexp__sbuf_put(&b, sep, sl);
        if (lexp__value_text(e, site, &b, field_of(items[i], field))) {
            lexp__eval_buf_done(e, &b);
            return NULL;
        }
    }
    return make_str(e, &b);
}

FILTER(default)
{
    int use = in->type == LV_UNDEF || in->type == LV_NULL;
    if (nargs > 1 && lexp__v_truthy(args[1]))
        use = !lexp__v_truthy(in);
    return use ? args[0] : in;
}

FILTER(map)
{
    V *const *items;
    uint32_t n;
    if (want_items(e, site, in, "map", &items, &n) || want_str(e, site, args[0], "map(field)"))
        return NULL;
    lexp_value *res = lexp__v_arr(e->A, n);
    if (!res) {
        lexp__error_oom(e->err);
        return NULL;
    }
    fieldref fr = field_ref(args[0]);
    for (uint32_t i = 0; i < n; i++)
        res->u.items[i] = (lexp_value *)field_get(&fr, items[i]);
    return res;
}

/* The items `keep` accepts, in order; it sees the items kept so far. */
static V *select_items(E *e, const lexp_expr *site, V *in, const char *name,
                       int (*keep)(V *item, V *const *kept, uint32_t nkept))
{
    V *const *items;
    uint32_t n;
    if (want_items(e, site, in, name, &items, &n))
        return NULL;
    V **out = malloc((n ? n : 1) * sizeof *out);
    if (!out) {
        lexp__error_oom(e->err);
        return NULL;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (keep(items[i], out, k))
            out[k++] = items[i];
    V *res = list_of(e, out, k);
    free(out);
    return res;
}

/* compact: the list without missing, null, false and empty items, so
 * optional phrases can be joined: [a, b, c] | compact | join("、") */
static int keep_present(V *item, V *const *kept, uint32_t nkept)
{
    (void)kept;
    (void)nkept;
    return lexp__v_truthy(item) || item->type == LV_NUM;
}

FILTER(compact) { return select_items(e, site, in, "compact", keep_present); }
/* unique: the first of each set of equal items, in order */
FILTER(unique)
{
    V *const *items;
    uint32_t n;
    vset seen;
    if (want_items(e, site, in, "unique", &items, &n) || vset_init(e, &seen, n))
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        int added;
        vset_put(&seen, items[i], &added);
    }
    V *res = list_of(e, seen.key, seen.n);
    vset_free(&seen);
    return res;
}

FILTER(reverse)
{
    V *const *items;
    uint32_t n;
    if (want_items(e, site, in, "reverse", &items, &n))
        return NULL;
    lexp_value *res = lexp__v_arr(e->A, n);
    if (!res) {
        lexp__error_oom(e->err);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        res->u.items[i] = (lexp_value *)items[n - 1 - i];
    return res;
}

FILTER(limit)
{
    V *const *items;
    uint32_t n;
    int k;
    if (want_list(e, site, in, "limit", &items, &n) ||
        want_int_arg(e, site, args[0], "limit(n)", 0, 1000000000, &k))
        return NULL;
    return list_of(e, (V **)items, (uint32_t)k < n ? (uint32_t)k : n);
}

/* ---- strings ----------------------------------------------------------------- */

FILTER(string)
{
    lexp__sbuf b = lexp__eval_buf(e);
    if (lexp__value_text(e, site, &b, in)) {
        lexp__eval_buf_done(e, &b);
        return NULL;
    }
    return make_str(e, &b);
}

FILTER(trim)
{
    if (want_str(e, site, in, "trim"))
        return NULL;
    const char *s = in->u.str, *t = s + in->len;
    while (s < t && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    while (t > s && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\n' || t[-1] == '\r'))
        t--;
    return lexp__eval_str(e, s, (size_t)(t - s));
}

FILTER(replace)
{
    if (want_str(e, site, in, "replace") || want_str(e, site, args[0], "replace(old, new)") ||
        want_str(e, site, args[1], "replace(old, new)"))
        return NULL;
    V *a = args[0], *r = args[1];
    if (a->len == 0)
        return in;
    lexp__sbuf b = lexp__eval_buf(e);
    for (uint32_t i = 0; i < in->len;) {
        const char *f = lexp__find(in->u.str + i, in->len - i, a->u.str, a->len);
        uint32_t j = f ? (uint32_t)(f - in->u.str) : in->len;
        lexp__sbuf_put(&b, in->u.str + i, j - i);
        if (!f)
            break;
        lexp__sbuf_put(&b, r->u.str, r->len);
        i = j + a->len;
    }
    return make_str(e, &b);
}

FILTER(truncate)
{
    int k;
    if (want_str(e, site, in, "truncate") ||
        want_int_arg(e, site, args[0], "truncate(n)", 1, 1000000, &k))
        return NULL;
    if (lexp__utf8_count(in->u.str, in->len) <= (size_t)k)
        return in;
    size_t i = 0;
    for (int c = 0; c < k && i < in->len; c++) {
        i++;
        while (i < in->len && ((unsigned char)in->u.str[i] & 0xC0) == 0x80)
            i++;
    }
    lexp__sbuf b = lexp__eval_buf(e);
    lexp__sbuf_put(&b, in->u.str, i);
    lexp__sbuf_puts(&b, "…");
    return make_str(e, &b);
}

/* ---- table --------------------------------------------------------------------- */

#define F(name, lo, hi) {#name, lo, hi, f_##name, NULL}

static const lexp_filter_def filters[] = {
    F(abs, 0, 0),      F(avg, 0, 2),      F(big, 0, 1),      F(change, 1, 2),
    F(cn, 0, 0),       F(cn_date, 0, 0),  F(cn_money, 0, 0), F(cn_upper, 0, 0),
    F(cn_year, 0, 0),  F(compact, 0, 0),  F(count, 0, 0),    F(date, 0, 1),     F(default, 1, 2),
    F(first, 0, 0),    F(groupby, 1, 3),  F(int, 0, 0),      F(join, 0, 2),
    F(last, 0, 0),     {"length", 0, 0, f_count, NULL},           F(limit, 1, 1),
    F(map, 1, 1),      F(max, 0, 1),      F(min, 0, 1),      F(num, 0, 1),
    F(number, 0, 0),   F(pct, 0, 1),      F(rate, 0, 1),     F(replace, 2, 2),
    F(reverse, 0, 0),  F(formula, 1, 1),
    F(round, 0, 1),    F(sort, 0, 2),     F(string, 0, 0),   F(sum, 0, 2),
    F(trim, 0, 0),     F(truncate, 1, 1), F(unique, 0, 0),   F(wan, 0, 1),
    F(where, 1, 3),
};

const lexp_filter_def *lexp__filter_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++)
        if (strlen(filters[i].name) == len && memcmp(filters[i].name, name, len) == 0)
            return &filters[i];
    return NULL;
}

const char *lexp__filter_names(void)
{
    return "abs, avg, big, change, cn, cn_date, cn_money, cn_upper, cn_year, compact, count, date, "
           "default, first, formula, groupby, int, join, last, length, limit, map, max, min, "
           "num, number, pct, rate, replace, reverse, round, sort, string, sum, trim, "
           "truncate, unique, wan, where";
}
