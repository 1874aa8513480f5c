/*
 * The community data contract (DESIGN §3.2), checked in code so every
 * problem names its data path and says what was expected and what was
 * found. samples/schema.json states the same contract as JSON Schema.
 * Fields the contract does not know are allowed: custom templates use them.
 */
#include <math.h>
#include <string.h>

#include "value.h"

typedef struct {
    lexp_diag_cb cb;
    void *payload;
    const char *file;
    int count;
} chk;

/* Report a problem at `v` (or at field `key` of `parent` when the field is
 * missing, v == NULL). */
static void problem(chk *c, const lexp_value *parent, const char *key, const lexp_value *v,
                    const char *fmt, ...) LEXP_PRINTF(5, 6);

static void problem(chk *c, const lexp_value *parent, const char *key, const lexp_value *v,
                    const char *fmt, ...)
{
    c->count++;
    if (!c->cb)
        return;
    lexp__sbuf path = LEXP__SBUF_INIT, msg = LEXP__SBUF_INIT;
    if (v) {
        lexp__v_path(&path, v);
    } else {
        lexp__v_path(&path, parent);
        if (key) {
            if (path.len)
                lexp__sbuf_putc(&path, '.');
            lexp__sbuf_puts(&path, key);
        }
    }
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    lexp__sbuf_puts(&msg, tmp);
    if (v) {
        lexp__sbuf_puts(&msg, ", found ");
        lexp__v_describe(&msg, v);
    }
    lexp_error e;
    lexp_error_clear(&e);
    lexp__error_set(&e, LEXP_EDATA, c->file, 0, 0, lexp__sbuf_cstr(&path), "%s",
                    lexp__sbuf_cstr(&msg));
    c->cb(&e, c->payload);
    lexp__sbuf_free(&path);
    lexp__sbuf_free(&msg);
}

enum { OPTIONAL = 0, REQUIRED = 1 };

/* Fetch field `key`; report it if required and missing. Null counts as
 * missing. */
static const lexp_value *field(chk *c, const lexp_value *obj, const char *key, int required)
{
    const lexp_value *v = lexp__v_getz(obj, key);
    if (v && v->type == LV_NULL)
        v = NULL;
    if (!v && required)
        problem(c, obj, key, NULL, "required field is missing");
    return v;
}

static const lexp_value *str_field(chk *c, const lexp_value *obj, const char *key, int req)
{
    const lexp_value *v = field(c, obj, key, req);
    if (!v)
        return NULL;
    if (v->type != LV_STR) {
        problem(c, obj, key, v, "expected a string");
        return NULL;
    }
    if (req && v->len == 0) {
        problem(c, obj, key, v, "expected a non-empty string");
        return NULL;
    }
    return v;
}

static int count_ok(const lexp_value *v)
{
    return v->type == LV_NUM && v->u.num >= 0 && v->u.num == floor(v->u.num) &&
           v->u.num < 1e15;
}

/* A non-negative integer count (people, households, items). */
static const lexp_value *count_field(chk *c, const lexp_value *obj, const char *key, int req)
{
    const lexp_value *v = field(c, obj, key, req);
    if (v && !count_ok(v)) {
        problem(c, obj, key, v, "expected a non-negative integer below 10^15");
        return NULL;
    }
    return v;
}

static const lexp_value *amount_field(chk *c, const lexp_value *obj, const char *key,
                                      int req)
{
    const lexp_value *v = field(c, obj, key, req);
    if (v && (v->type != LV_NUM || !(v->u.num >= 0) || isinf(v->u.num))) {
        problem(c, obj, key, v, "expected a non-negative number");
        return NULL;
    }
    return v;
}

static void date_field(chk *c, const lexp_value *obj, const char *key, int req)
{
    const lexp_value *v = field(c, obj, key, req);
    int y, m, d;
    if (v && (v->type != LV_STR || !lexp__parse_date(v->u.str, v->len, &y, &m, &d)))
        problem(c, obj, key, v, "expected a date that exists, written YYYY-MM-DD");
}

static void month_field(chk *c, const lexp_value *obj, const char *key, int req,
                        int allow_date)
{
    const lexp_value *v = field(c, obj, key, req);
    int y, m, d;
    if (!v)
        return;
    if (v->type == LV_STR && lexp__parse_month(v->u.str, v->len, &y, &m))
        return;
    if (allow_date && v->type == LV_STR && lexp__parse_date(v->u.str, v->len, &y, &m, &d))
        return;
    problem(c, obj, key, v,
            allow_date ? "expected a month YYYY-MM or a date YYYY-MM-DD"
                       : "expected a month, written YYYY-MM");
}

static void bool_field(chk *c, const lexp_value *obj, const char *key)
{
    const lexp_value *v = field(c, obj, key, OPTIONAL);
    if (v && v->type != LV_BOOL)
        problem(c, obj, key, v, "expected true or false");
}

static void strings_field(chk *c, const lexp_value *obj, const char *key)
{
    const lexp_value *v = field(c, obj, key, OPTIONAL);
    if (!v)
        return;
    if (v->type != LV_ARR) {
        problem(c, obj, key, v, "expected an array of strings");
        return;
    }
    for (uint32_t i = 0; i < v->len; i++)
        if (v->u.items[i]->type != LV_STR)
            problem(c, v, NULL, v->u.items[i], "expected a string");
}

/* An optional array of objects; calls `each` for every object item. */
static void records(chk *c, const lexp_value *obj, const char *key,
                    void (*each)(chk *, const lexp_value *))
{
    const lexp_value *v = field(c, obj, key, OPTIONAL);
    if (!v)
        return;
    if (v->type != LV_ARR) {
        problem(c, obj, key, v, "expected an array");
        return;
    }
    for (uint32_t i = 0; i < v->len; i++) {
        const lexp_value *it = v->u.items[i];
        if (it->type != LV_OBJ)
            problem(c, v, NULL, it, "expected an object");
        else
            each(c, it);
    }
}

static void check_ethnic(chk *c, const lexp_value *g)
{
    str_field(c, g, "name", REQUIRED);
    count_field(c, g, "households", OPTIONAL);
    count_field(c, g, "population", OPTIONAL);
}

static void check_honor(chk *c, const lexp_value *h)
{
    const lexp_value *y = field(c, h, "year", OPTIONAL);
    if (y && (!count_ok(y) || y->u.num < 1900 || y->u.num > 2200))
        problem(c, h, "year", y, "expected a year such as 2020");
    str_field(c, h, "title", REQUIRED);
    str_field(c, h, "issuer", OPTIONAL);
}

static double sum_of(const lexp_value *arr, const char *key, int *any)
{
    double s = 0;
    *any = 0;
    for (uint32_t i = 0; i < arr->len; i++) {
        const lexp_value *v = lexp__v_getz(arr->u.items[i], key);
        if (v && count_ok(v)) {
            s += v->u.num;
            *any = 1;
        }
    }
    return s;
}

static void check_community(chk *c, const lexp_value *com)
{
    str_field(c, com, "name", REQUIRED);
    static const char *const texts[] = {"street", "district", "city", "province"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        str_field(c, com, texts[i], OPTIONAL);
    amount_field(c, com, "area_km2", OPTIONAL);
    static const char *const counts[] = {"households", "population", "grids",
                                         "volunteers", "party_members"};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
        count_field(c, com, counts[i], OPTIONAL);
    month_field(c, com, "founded", OPTIONAL, 1);
    records(c, com, "ethnic_groups", check_ethnic);
    records(c, com, "honors", check_honor);

    const lexp_value *groups = lexp__v_getz(com, "ethnic_groups");
    if (groups && groups->type == LV_ARR) {
        static const char *const totals[][2] = {{"population", "people"},
                                                {"households", "households"}};
        for (int k = 0; k < 2; k++) {
            const lexp_value *total = lexp__v_getz(com, totals[k][0]);
            int any;
            double s = sum_of(groups, totals[k][0], &any);
            if (any && total && count_ok(total) && s > total->u.num) {
                lexp__sbuf a = LEXP__SBUF_INIT, b = LEXP__SBUF_INIT;
                lexp__fmt_number(&a, s);
                lexp__fmt_number(&b, total->u.num);
                problem(c, com, "ethnic_groups", NULL,
                        "the ethnic groups add up to %s %s, more than the community's "
                        "%s of %s",
                        lexp__sbuf_cstr(&a), totals[k][1], totals[k][0],
                        lexp__sbuf_cstr(&b));
                lexp__sbuf_free(&a);
                lexp__sbuf_free(&b);
            }
        }
    }
}

static void check_briefing(chk *c, const lexp_value *b)
{
    str_field(c, b, "title", OPTIONAL);
    str_field(c, b, "issuer", OPTIONAL);
    month_field(c, b, "first_issue_month", OPTIONAL, 0);
    strings_field(c, b, "report_to");
    strings_field(c, b, "send_to");
    strings_field(c, b, "distribute_to");
    count_field(c, b, "copies", OPTIONAL);
}

static void check_activity(chk *c, const lexp_value *a)
{
    date_field(c, a, "date", REQUIRED);
    str_field(c, a, "title", REQUIRED);
    static const char *const texts[] = {"category", "location", "organizer", "summary"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        str_field(c, a, texts[i], OPTIONAL);
    static const char *const counts[] = {"sessions", "participants", "materials", "banners",
                                         "slogans", "boards", "visits"};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
        count_field(c, a, counts[i], OPTIONAL);
    bool_field(c, a, "highlight");
    strings_field(c, a, "photos");
}

static void check_dispute(chk *c, const lexp_value *d)
{
    date_field(c, d, "date", REQUIRED);
    const lexp_value *f = count_field(c, d, "found", REQUIRED);
    const lexp_value *r = count_field(c, d, "resolved", OPTIONAL);
    if (f && r && r->u.num > f->u.num) {
        lexp__sbuf a = LEXP__SBUF_INIT, b = LEXP__SBUF_INIT;
        lexp__fmt_number(&a, r->u.num);
        lexp__fmt_number(&b, f->u.num);
        problem(c, d, "resolved", NULL,
                "resolved (%s) is more than found (%s); expected resolved ≤ found",
                lexp__sbuf_cstr(&a), lexp__sbuf_cstr(&b));
        lexp__sbuf_free(&a);
        lexp__sbuf_free(&b);
    }
    str_field(c, d, "summary", OPTIONAL);
}

static void check_assistance(chk *c, const lexp_value *a)
{
    date_field(c, a, "date", REQUIRED);
    str_field(c, a, "kind", OPTIONAL);
    count_field(c, a, "households", OPTIONAL);
    count_field(c, a, "persons", OPTIONAL);
    amount_field(c, a, "amount_yuan", OPTIONAL);
}

static void check_plan(chk *c, const lexp_value *p)
{
    month_field(c, p, "month", REQUIRED, 0);
    str_field(c, p, "title", REQUIRED);
    str_field(c, p, "detail", OPTIONAL);
}

int lexp_data_check(const lexp_data *data, lexp_diag_cb cb, void *payload)
{
    if (!data || !data->root)
        return 0;
    chk c = {cb, payload, data->name, 0};
    const lexp_value *root = data->root;
    const lexp_value *com = field(&c, root, "community", REQUIRED);
    if (com && com->type != LV_OBJ)
        problem(&c, root, "community", com, "expected an object");
    else if (com)
        check_community(&c, com);
    const lexp_value *b = field(&c, root, "briefing", OPTIONAL);
    if (b && b->type != LV_OBJ)
        problem(&c, root, "briefing", b, "expected an object");
    else if (b)
        check_briefing(&c, b);
    records(&c, root, "activities", check_activity);
    records(&c, root, "disputes", check_dispute);
    records(&c, root, "assistance", check_assistance);
    records(&c, root, "plans", check_plan);
    strings_field(&c, root, "problems");
    return c.count;
}
