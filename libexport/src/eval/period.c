/*
 * The period model (see period.h). A period is a month, a quarter, a half
 * or a year; its end is never after the document date, and the data a
 * template sees holds nothing dated after that end: a document dated
 * 2024-09-30 can neither count nor name what happened in October.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"

typedef lexp_eval E;
typedef const lexp_value V;

static const char *const cn_digit[] = {"", "一", "二", "三", "四"};

int lexp__period_parse(const char *s, lexp__period *p)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    int y = 0;
    if (n < 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        y = y * 10 + (s[i] - '0');
    }
    if (y < 1900)
        return 0;
    lexp__period q = {.kind = LEXP_PK_YEAR, .year = y, .first = 1, .last = 12};
    if (n == 4) {
        *p = q;
        return 1;
    }
    if (n == 7 && s[4] == '-' && (s[5] == 'Q' || s[5] == 'q') && s[6] >= '1' && s[6] <= '4') {
        int k = s[6] - '0';
        q.kind = LEXP_PK_QUARTER;
        q.first = 3 * k - 2;
        q.last = 3 * k;
        *p = q;
        return 1;
    }
    if (n == 7 && s[4] == '-' && (s[5] == 'H' || s[5] == 'h') && (s[6] == '1' || s[6] == '2')) {
        q.kind = LEXP_PK_HALF;
        q.first = s[6] == '1' ? 1 : 7;
        q.last = s[6] == '1' ? 6 : 12;
        *p = q;
        return 1;
    }
    int m;
    if (n == 7 && lexp__parse_month(s, n, &y, &m) && y <= 9999) {
        q.kind = LEXP_PK_MONTH;
        q.first = q.last = m;
        *p = q;
        return 1;
    }
    return 0;
}

const char *lexp__opt_period(const lexp_render_options *opt)
{
    return opt && opt->version >= 2 ? opt->period : NULL;
}

int lexp__opt_strict(const lexp_render_options *opt)
{
    return opt && opt->version >= 2 ? opt->strict : 0;
}

int lexp__period_of(const lexp_render_options *opt, lexp__period *p, lexp_error *err)
{
    const char *ps = lexp__opt_period(opt);
    const char *ms = opt ? opt->month : NULL;
    lexp__period a, b;
    if (ps && !lexp__period_parse(ps, &a))
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "period \"%s\": expected YYYY-MM, YYYY-Qn (1–4), YYYY-Hn (1–2) "
                               "or YYYY",
                               ps);
    if (ms && (!lexp__period_parse(ms, &b) || b.kind != LEXP_PK_MONTH))
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "month \"%s\": expected YYYY-MM", ms);
    if (ps && ms && memcmp(&a, &b, sizeof a) != 0)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "period \"%s\" and month \"%s\" disagree; give one of them", ps,
                               ms);
    if (!ps && !ms)
        return 0;
    *p = ps ? a : b;
    return 1;
}

/* ---- building values ------------------------------------------------------ */

typedef struct {
    lexp_member m[40];
    int n;
} ob;

static int add(ob *o, const char *k, V *v)
{
    if (!v || o->n >= (int)(sizeof o->m / sizeof o->m[0]))
        return -1;
    o->m[o->n++] = (lexp_member){k, (uint32_t)strlen(k), (lexp_value *)v};
    return 0;
}

static V *str(E *e, const char *fmt, ...) LEXP_PRINTF(2, 3);

static V *str(E *e, const char *fmt, ...)
{
    char tmp[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return lexp__eval_str(e, tmp, strlen(tmp));
}

static V *obj(E *e, const ob *o)
{
    lexp_value *v = lexp__v_obj(e->A, (uint32_t)o->n);
    if (!v) {
        lexp__error_oom(e->err);
        return NULL;
    }
    memcpy(v->u.members, o->m, (size_t)o->n * sizeof *o->m);
    return v;
}

/* A date as yyyymmdd, for comparisons. */
static long ymd(int y, int m, int d) { return (long)y * 10000 + m * 100 + d; }

/* The period shifted by `k` periods of its own kind (k = -1: 上期). */
static lexp__period shift(lexp__period p, int k)
{
    int len = p.last - p.first + 1;
    int idx = p.year * 12 + (p.first - 1) + k * len;
    lexp__period q = p;
    q.year = idx / 12;
    q.first = idx % 12 + 1;
    q.last = q.first + len - 1;
    return q;
}

static void labels(const lexp__period *p, char *label, size_t ln, char *shrt, size_t sn)
{
    switch (p->kind) {
    case LEXP_PK_MONTH:
        snprintf(shrt, sn, "%d月", p->first);
        snprintf(label, ln, "%d年%d月", p->year, p->first);
        break;
    case LEXP_PK_QUARTER:
        snprintf(shrt, sn, "第%s季度", cn_digit[p->last / 3]);
        snprintf(label, ln, "%d年%s", p->year, shrt);
        break;
    case LEXP_PK_HALF:
        snprintf(shrt, sn, "%s", p->first == 1 ? "上半年" : "下半年");
        snprintf(label, ln, "%d年%s", p->year, shrt);
        break;
    default:
        snprintf(shrt, sn, "全年");
        snprintf(label, ln, "%d年", p->year);
    }
}

static const char *const kind_names[] = {"month", "quarter", "half", "year"};

static V *key_of(E *e, const lexp__period *p)
{
    switch (p->kind) {
    case LEXP_PK_MONTH: return str(e, "%04d-%02d", p->year, p->first);
    case LEXP_PK_QUARTER: return str(e, "%04d-Q%d", p->year, p->last / 3);
    case LEXP_PK_HALF: return str(e, "%04d-H%d", p->year, p->first == 1 ? 1 : 2);
    default: return str(e, "%04d", p->year);
    }
}

/* The common fields of a period: key, kind, start, end (capped at day
 * `cap` = yyyymmdd, 0 for none), first_month, last_month, months, label,
 * short. `label`/`shrt` override the computed labels when given. */
static int fields(E *e, ob *o, const lexp__period *p, long cap, const char *label,
                  const char *shrt, const char *kind)
{
    char l[64], s[64];
    labels(p, l, sizeof l, s, sizeof s);
    int ey = p->year, em = p->last, ed = lexp__days_in_month(p->year, p->last);
    if (cap && ymd(ey, em, ed) > cap) {
        ey = (int)(cap / 10000);
        em = (int)(cap / 100 % 100);
        ed = (int)(cap % 100);
    }
    return add(o, "key", key_of(e, p)) || add(o, "kind", str(e, "%s", kind ? kind : kind_names[p->kind])) ||
           add(o, "year", lexp__eval_num(e, p->year)) ||
           add(o, "start", str(e, "%04d-%02d-01", p->year, p->first)) ||
           add(o, "end", str(e, "%04d-%02d-%02d", ey, em, ed)) ||
           add(o, "first_month", str(e, "%04d-%02d", p->year, p->first)) ||
           add(o, "last_month", str(e, "%04d-%02d", p->year, p->last)) ||
           add(o, "months", lexp__eval_num(e, p->last - p->first + 1)) ||
           add(o, "label", str(e, "%s", label ? label : l)) ||
           add(o, "short", str(e, "%s", shrt ? shrt : s));
}

static V *sub(E *e, const lexp__period *p, long cap, const char *label, const char *shrt,
             const char *kind)
{
    ob o = {.n = 0};
    if (fields(e, &o, p, cap, label, shrt, kind))
        return NULL;
    return obj(e, &o);
}

/* 年初至今 up to month `m`: 2024年1—9月 / 前三季度. */
static void ytd_labels(int y, int m, char *label, size_t ln, char *shrt, size_t sn)
{
    if (m == 12)
        snprintf(shrt, sn, "全年");
    else if (m == 1)
        snprintf(shrt, sn, "1月");
    else if (m == 3)
        snprintf(shrt, sn, "一季度");
    else if (m == 6)
        snprintf(shrt, sn, "上半年");
    else if (m == 9)
        snprintf(shrt, sn, "前三季度");
    else
        snprintf(shrt, sn, "1—%d月", m);
    if (m == 12)
        snprintf(label, ln, "%d年", y);
    else if (m == 1)
        snprintf(label, ln, "%d年1月", y);
    else
        snprintf(label, ln, "%d年1—%d月", y, m);
}

/* 第N期 of a monthly briefing: counted from briefing.first_issue_month and
 * restarting each January, unless briefing.numbering is "continuous".
 * Sets *total to the issues since the first (总第N期), 0 if unknown. */
static int issue_number(E *e, int y, int m, int *total)
{
    V *b = lexp__v_getz(e->root, "briefing");
    V *f = b ? lexp__v_getz(b, "first_issue_month") : NULL;
    V *num = b ? lexp__v_getz(b, "numbering") : NULL;
    int continuous = num && num->type == LV_STR && num->len == 10 &&
                     memcmp(num->u.str, "continuous", 10) == 0;
    int fy, fm;
    *total = 0;
    if (!(f && f->type == LV_STR && lexp__parse_month(f->u.str, f->len, &fy, &fm)))
        return m;
    int since = (y - fy) * 12 + (m - fm) + 1;
    *total = since;
    if (continuous || since < 1)
        return since;
    return fy == y ? since : m;
}

/* ---- the data as known on the document date ------------------------------ */

/* yyyymmdd of a record's `date`, 0 when it has none that parses. */
static long record_day(V *rec)
{
    if (!rec || rec->type != LV_OBJ)
        return 0;
    V *d = lexp__v_getz(rec, "date");
    int y, m, dd;
    if (!d || d->type != LV_STR || d->len < 10 || !lexp__parse_date(d->u.str, 10, &y, &m, &dd))
        return 0;
    return ymd(y, m, dd);
}

/* `arr` without the items for which keep() is false; `arr` itself when
 * it keeps them all. Items keep their parents, so data paths still name
 * the loaded values. */
static V *filtered(E *e, V *arr, long cap, int by_year)
{
    uint32_t keep = 0;
    for (uint32_t i = 0; i < arr->len; i++) {
        V *it = arr->u.items[i];
        long d = 0;
        if (by_year) {
            V *yv = it && it->type == LV_OBJ ? lexp__v_getz(it, "year") : NULL;
            d = yv && yv->type == LV_NUM ? (long)yv->u.num * 10000 + 101 : 0;
        } else
            d = record_day(it);
        keep += !(d && d > cap);
    }
    if (keep == arr->len)
        return arr;
    lexp_value *out = lexp__v_arr(e->A, keep);
    if (!out) {
        lexp__error_oom(e->err);
        return NULL;
    }
    uint32_t j = 0;
    for (uint32_t i = 0; i < arr->len; i++) {
        V *it = arr->u.items[i];
        long d;
        if (by_year) {
            V *yv = it && it->type == LV_OBJ ? lexp__v_getz(it, "year") : NULL;
            d = yv && yv->type == LV_NUM ? (long)yv->u.num * 10000 + 101 : 0;
        } else
            d = record_day(it);
        if (!(d && d > cap))
            out->u.items[j++] = (lexp_value *)it;
    }
    out->parent = arr->parent;
    out->index = arr->index;
    return out;
}

/* A shallow copy of object `o` with member `i` replaced by `v`. */
static V *replaced(E *e, V *o, uint32_t i, V *v)
{
    lexp_value *c = lexp__v_obj(e->A, o->len);
    if (!c) {
        lexp__error_oom(e->err);
        return NULL;
    }
    memcpy(c->u.members, o->u.members, o->len * sizeof *o->u.members);
    c->u.members[i].val = (lexp_value *)v;
    c->parent = o->parent;
    c->index = o->index;
    return c;
}

/* Every top-level list of dated records loses the records after `cap`;
 * community.honors loses the honours of later years. */
static int known_on(E *e, long cap)
{
    V *root = e->root;
    if (!root || root->type != LV_OBJ)
        return 0;
    for (uint32_t i = 0; i < root->len; i++) {
        V *v = root->u.members[i].val;
        V *nv = v;
        if (v->type == LV_ARR)
            nv = filtered(e, v, cap, 0);
        else if (v->type == LV_OBJ && root->u.members[i].klen == 9 &&
                 memcmp(root->u.members[i].key, "community", 9) == 0) {
            for (uint32_t k = 0; k < v->len && nv == v; k++) {
                V *h = v->u.members[k].val;
                if (v->u.members[k].klen == 6 && memcmp(v->u.members[k].key, "honors", 6) == 0 &&
                    h->type == LV_ARR) {
                    V *nh = filtered(e, h, cap / 10000 * 10000 + 1231, 1);
                    if (!nh)
                        return -1;
                    if (nh != h && !(nv = replaced(e, v, k, nh)))
                        return -1;
                }
            }
        }
        if (!nv)
            return -1;
        if (nv != v && !(root = replaced(e, root, i, nv)))
            return -1;
    }
    e->root = root;
    return 0;
}

/* Records (anything with a date) of the data within [lo, hi]. */
static size_t records_within(V *root, long lo, long hi)
{
    size_t n = 0;
    for (uint32_t i = 0; root && root->type == LV_OBJ && i < root->len; i++) {
        V *v = root->u.members[i].val;
        for (uint32_t k = 0; v->type == LV_ARR && k < v->len; k++) {
            long d = record_day(v->u.items[k]);
            n += d >= lo && d <= hi;
        }
    }
    return n;
}

/* ---- the variables ----------------------------------------------------------- */

/* Office templates see the period variables only under `period` (the
 * data's own `month`, `date` … win over the old names), so there `period`
 * is the period object together with the monthly variables it lacks:
 * `period.kind`, `period.label` and `period.month`, `period.issue` alike.
 * Where both have a name (`year`, `date`) the two agree. */
static int office_period(E *e, ob *vars, const ob *po)
{
    ob m = *po;
    for (int i = 0; i < vars->n; i++) {
        const lexp_member *v = &vars->m[i];
        int dup = v->klen == 6 && memcmp(v->key, "period", 6) == 0;
        for (int k = 0; k < po->n && !dup; k++)
            dup = po->m[k].klen == v->klen && memcmp(po->m[k].key, v->key, v->klen) == 0;
        if (!dup && add(&m, v->key, v->val))
            return -1;
    }
    V *merged = obj(e, &m);
    if (!merged)
        return -1;
    for (int i = 0; i < vars->n; i++)
        if (vars->m[i].klen == 6 && memcmp(vars->m[i].key, "period", 6) == 0)
            vars->m[i].val = (lexp_value *)merged;
    return 0;
}

int lexp__period_vars(E *e, const lexp_render_options *opt)
{
    e->period = NULL;
    lexp__period p;
    int has = lexp__period_of(opt, &p, e->err);
    if (has < 0)
        return -1;
    const char *date = opt->date;
    int dy = 0, dm = 0, dd = 0;
    if (date && !lexp__parse_date(date, strlen(date), &dy, &dm, &dd))
        return lexp__error_set(e->err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "date \"%s\": expected a date that exists, YYYY-MM-DD", date);
    ob o = {.n = 0};
    if (!has) {
        if (date && add(&o, "date", lexp__eval_str(e, date, strlen(date))))
            return -1;
        if (o.n)
            e->period = obj(e, &o);
        return o.n && !e->period ? -1 : 0;
    }
    int y = p.year, m = p.last;
    int last = lexp__days_in_month(y, m);
    long nominal_end = ymd(y, m, last);
    if (date && ymd(dy, dm, dd) < ymd(y, p.first, 1)) {
        char l[64], s[64];
        labels(&p, l, sizeof l, s, sizeof s);
        return lexp__error_set(e->err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "date %s is before the period it reports on (%s, from "
                               "%04d-%02d-01)",
                               date, l, y, p.first);
    }
    if (!date)
        date = lexp__arena_printf(e->A, "%04d-%02d-%02d", y, m, last);
    long cap = opt->date ? ymd(dy, dm, dd) : nominal_end;
    if (cap > nominal_end)
        cap = nominal_end;
    int ce = (int)(cap % 100);
    /* the data as known on the date: nothing later is counted or named */
    if (known_on(e, cap))
        return -1;

    /* the period object */
    ob po = {.n = 0};
    if (fields(e, &po, &p, cap, NULL, NULL, NULL))
        return -1;
    int cy = (int)(cap / 10000), cm = (int)(cap / 100 % 100);
    char yl[64], ys[64];
    ytd_labels(cy, cm, yl, sizeof yl, ys, sizeof ys);
    lexp__period ytd = {.kind = cm == 12 ? LEXP_PK_YEAR : LEXP_PK_MONTH, .year = cy, .first = 1,
                        .last = cm};
    lexp__period prev = shift(p, -1), next = shift(p, 1), py = p;
    py.year--;
    /* 上年同期 ends on the same day of the year as this period */
    long pcap = cap - 10000;
    if (cap % 10000 == 229)
        pcap = (cap - 10000) / 10000 * 10000 + 228;
    char pyl[64], pys[64];
    labels(&py, pyl, sizeof pyl, pys, sizeof pys);
    int complete_year = cm == 12 && ce == 31;
    V *ytd_v = sub(e, &ytd, cap, yl, ys, "ytd");
    if (add(&po, "date", lexp__eval_str(e, date, strlen(date))) ||
        add(&po, "complete_year", complete_year ? &lexp__true : &lexp__false) ||
        add(&po, "prev", sub(e, &prev, 0, NULL, NULL, NULL)) ||
        add(&po, "prev_year", sub(e, &py, pcap, NULL, NULL, NULL)) || add(&po, "ytd", ytd_v) ||
        add(&po, "next", sub(e, &next, 0, NULL, NULL, NULL)))
        return -1;
    V *period = obj(e, &po);
    if (!period)
        return -1;

    /* the monthly variables, of the period's last month */
    int pyr = m == 1 ? y - 1 : y, pm = m == 1 ? 12 : m - 1;
    int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
    if (add(&o, "period", period) || add(&o, "month", str(e, "%04d-%02d", y, m)) ||
        add(&o, "year", lexp__eval_num(e, y)) || add(&o, "month_number", lexp__eval_num(e, m)) ||
        add(&o, "month_start", str(e, "%04d-%02d-01", y, m)) ||
        add(&o, "month_end", str(e, "%04d-%02d-%02d", cy, cm, ce)) ||
        add(&o, "prev_month", str(e, "%04d-%02d", pyr, pm)) ||
        add(&o, "next_month", str(e, "%04d-%02d", ny, nm)) ||
        add(&o, "prev_year_month", str(e, "%04d-%02d", y - 1, m)) ||
        add(&o, "year_start", str(e, "%04d-01", y)))
        return -1;
    if (p.kind == LEXP_PK_MONTH) {
        int total;
        int issue = issue_number(e, y, m, &total);
        if (issue >= 1 && add(&o, "issue", lexp__eval_num(e, issue)))
            return -1;
        if (total >= 1 && add(&o, "issue_total", lexp__eval_num(e, total)))
            return -1;
    } else {
        /* a quarterly, half-yearly or annual briefing is numbered by its
         * place in the year (第3期 for Q3), as offices number such series;
         * without it the masthead would read "第期" */
        int len = p.last - p.first + 1;
        if (add(&o, "issue", lexp__eval_num(e, p.last / len)))
            return -1;
    }
    if (add(&o, "date", lexp__eval_str(e, date, strlen(date))))
        return -1;
    if (e->jinja && office_period(e, &o, &po))
        return -1;
    e->period = obj(e, &o);
    if (!e->period)
        return -1;
    /* an empty period is worth a word: the document will say little */
    if (records_within(e->root, ymd(y, p.first, 1), cap) == 0) {
        char l[64], s[64];
        labels(&p, l, sizeof l, s, sizeof s);
        lexp__warn(opt, e->data_name,
                   "%s (%04d-%02d-01 to %04d-%02d-%02d): the data has no activities, disputes "
                   "or assistance in this period",
                   l, y, p.first, cy, cm, ce);
    }
    return 0;
}
