/*
 * The roll-up (汇总): a street's (街道, 县/区) own 简报, 总结 and 统计表 made
 * from its communities' data in the same batch.
 *
 * The street's data is its communities' records put together, each marked
 * with its community ("community": "建林社区"), plus `members`: one row of
 * figures per community for the month and for the year to date, and
 * `rollup`: the totals and the communities in order of their work. The
 * built-in partials _rollup_briefing, _rollup_summary and _rollup_stats
 * turn that into documents. Before anything is written the per-community
 * figures are checked against totals counted over the joined records: a
 * record that lost its community would show there.
 *
 * The period is the --month month and its year to date, computed here in
 * one place (period_figures); a period model can take it over.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../data/value.h"
#include "../ledger/ledger.h"
#include "batch.h"

/* ---- roll-up files ------------------------------------------------------------------ */

void lexp__rollup_def_free(rollup_def *rd)
{
    free(rd->name);
    free(rd->path);
    json_decref(rd->facts);
    for (size_t i = 0; i < rd->nmembers; i++)
        free(rd->members[i]);
    free(rd->members);
    memset(rd, 0, sizeof *rd);
}

int lexp__rollup_file(rollup_def *rd, const char *path, int *is, lexp_error *err)
{
    *is = 0;
    size_t n = strlen(path);
    if (n < 5 || strcasecmp(path + n - 5, ".json") != 0)
        return 0;
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    json_t *m = j && json_is_object(j) ? json_object_get(j, "members") : NULL;
    if (!m) {
        json_decref(j);
        return 0; /* ordinary data (its errors come when it is loaded) */
    }
    *is = 1;
    if (rd->path)
        return json_decref(j), lexp__error_set(err, LEXP_EINVAL, path, 0, 0, NULL,
                                               "a second roll-up file (the first is %s)",
                                               rd->path);
    json_t *c = json_object_get(j, "community");
    json_t *nm = c ? json_object_get(c, "name") : NULL;
    if (!json_is_array(m) || !json_is_string(nm)) {
        json_decref(j);
        return lexp__error_set(err, LEXP_EDATA, path, 0, 0, NULL,
                               "a roll-up file needs community.name (the street) and "
                               "members: a list of ledger files or community names");
    }
    rd->path = strdup(path);
    rd->name = strdup(json_string_value(nm));
    rd->facts = j;
    rd->members = calloc(json_array_size(m) + 1, sizeof *rd->members);
    if (!rd->path || !rd->name || !rd->members)
        return lexp__error_oom(err);
    for (size_t i = 0; i < json_array_size(m); i++) {
        json_t *e = json_array_get(m, i);
        if (!json_is_string(e))
            return lexp__error_set(err, LEXP_EDATA, path, 0, 0, NULL,
                                   "members[%zu]: expected a file or community name", i);
        if (!(rd->members[rd->nmembers++] = strdup(json_string_value(e))))
            return lexp__error_oom(err);
    }
    return 0;
}

/* ---- values back to jansson ---------------------------------------------------------- */

static json_t *to_json(const lexp_value *v)
{
    switch (v->type) {
    case LV_BOOL: return json_boolean(v->b);
    case LV_NUM:
        if (v->u.num == (double)(json_int_t)v->u.num)
            return json_integer((json_int_t)v->u.num);
        return json_real(v->u.num);
    case LV_STR: return json_stringn(v->u.str, v->len);
    case LV_ARR: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < v->len; i++)
            if (json_array_append_new(a, to_json(v->u.items[i]))) {
                json_decref(a);
                return NULL;
            }
        return a;
    }
    case LV_OBJ: {
        json_t *o = json_object();
        for (uint32_t i = 0; o && i < v->len; i++) {
            json_t *x = to_json(v->u.members[i].val);
            if (!x || json_object_setn_new(o, v->u.members[i].key, v->u.members[i].klen, x)) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    default: return json_null();
    }
}

/* ---- figures of a period ------------------------------------------------------------- */

typedef struct {
    double sessions, participants, found, resolved, households, persons, amount;
} figures;

static double num_of(const lexp_value *rec, const char *key, double dflt)
{
    const lexp_value *v = lexp__v_getz(rec, key);
    return v && v->type == LV_NUM ? v->u.num : dflt;
}

static int in_period(const lexp_value *rec, const char *lo, const char *hi)
{
    const lexp_value *d = lexp__v_getz(rec, "date");
    return d && d->type == LV_STR && strncmp(d->u.str, lo, 10) >= 0 &&
           strncmp(d->u.str, hi, 10) <= 0;
}

/* A community's figures for the days lo..hi ("YYYY-MM-DD"): sessions as
 * the templates count them (a row without 场次 is one). */
static void period_figures(const lexp_value *root, const char *lo, const char *hi, figures *f)
{
    memset(f, 0, sizeof *f);
    const lexp_value *a = lexp__v_getz(root, "activities");
    for (uint32_t i = 0; a && a->type == LV_ARR && i < a->len; i++)
        if (in_period(a->u.items[i], lo, hi)) {
            f->sessions += num_of(a->u.items[i], "sessions", 1);
            f->participants += num_of(a->u.items[i], "participants", 0);
        }
    const lexp_value *d = lexp__v_getz(root, "disputes");
    for (uint32_t i = 0; d && d->type == LV_ARR && i < d->len; i++)
        if (in_period(d->u.items[i], lo, hi)) {
            f->found += num_of(d->u.items[i], "found", 0);
            f->resolved += num_of(d->u.items[i], "resolved", 0);
        }
    const lexp_value *s = lexp__v_getz(root, "assistance");
    for (uint32_t i = 0; s && s->type == LV_ARR && i < s->len; i++)
        if (in_period(s->u.items[i], lo, hi)) {
            f->households += num_of(s->u.items[i], "households", 0);
            f->persons += num_of(s->u.items[i], "persons", 0);
            f->amount += num_of(s->u.items[i], "amount_yuan", 0);
        }
}

static void add(figures *t, const figures *f)
{
    t->sessions += f->sessions;
    t->participants += f->participants;
    t->found += f->found;
    t->resolved += f->resolved;
    t->households += f->households;
    t->persons += f->persons;
    t->amount += f->amount;
}

static int set_figures(json_t *o, const char *prefix, const figures *f)
{
    static const char *const keys[] = {"sessions", "participants", "found", "resolved",
                                       "households", "persons", "amount"};
    const double *v = &f->sessions;
    for (size_t i = 0; i < 7; i++) {
        char k[64];
        snprintf(k, sizeof k, "%s%s", prefix, keys[i]);
        double x = v[i];
        json_t *j = x == (double)(json_int_t)x ? json_integer((json_int_t)x) : json_real(x);
        if (json_object_set_new(o, k, j))
            return -1;
    }
    return 0;
}

static int figures_equal(const figures *a, const figures *b)
{
    const double *x = &a->sessions, *y = &b->sessions;
    for (size_t i = 0; i < 7; i++) {
        double d = x[i] - y[i];
        if (d > 0.005 || d < -0.005)
            return 0;
    }
    return 1;
}

/* ---- the street's data ------------------------------------------------------------- */

typedef struct {
    const batch_input *in;
    figures month, ytd;
} member;

static int by_work(const void *a, const void *b)
{
    const member *x = *(const member *const *)a, *y = *(const member *const *)b;
    if (x->month.sessions != y->month.sessions)
        return x->month.sessions < y->month.sessions ? 1 : -1;
    if (x->month.participants != y->month.participants)
        return x->month.participants < y->month.participants ? 1 : -1;
    return strcmp(x->in->community, y->in->community);
}

static int is_member(const rollup_def *rd, const batch_input *in)
{
    if (!rd || !rd->nmembers)
        return 1;
    const char *base = strrchr(in->path, '/');
    base = base ? base + 1 : in->path;
    for (size_t i = 0; i < rd->nmembers; i++) {
        const char *mb = strrchr(rd->members[i], '/');
        mb = mb ? mb + 1 : rd->members[i];
        if (strcmp(mb, base) == 0 || (in->community && strcmp(rd->members[i], in->community) == 0))
            return 1;
    }
    return 0;
}

/* Every record of list `key` of each member, in member order, into the
 * street's list: marked with its community (activities, disputes,
 * assistance), or with `unique` left out when already there (plans,
 * problems: several communities share the street's). */
static int join_lists(json_t *root, const char *key, member *const *m, size_t n, int unique)
{
    json_t *all = json_array();
    if (!all || json_object_set_new(root, key, all))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const lexp_value *a = lexp__v_getz(m[i]->in->data->root, key);
        for (uint32_t k = 0; a && a->type == LV_ARR && k < a->len; k++) {
            json_t *r = to_json(a->u.items[k]);
            if (!r)
                return -1;
            if (unique) {
                int dup = 0;
                for (size_t q = 0; q < json_array_size(all) && !dup; q++)
                    dup = json_equal(json_array_get(all, q), r);
                if (dup) {
                    json_decref(r);
                    continue;
                }
            } else if (json_is_object(r) &&
                       json_object_set_new(r, "community", json_string(m[i]->in->community))) {
                json_decref(r);
                return -1;
            }
            if (json_array_append_new(all, r))
                return -1;
        }
    }
    return 0;
}

static json_t *street_facts(const char *street, const rollup_def *rd, member *const *m,
                            size_t n)
{
    json_t *root = rd && rd->facts ? json_deep_copy(rd->facts) : json_object();
    if (!root)
        return NULL;
    json_object_del(root, "members");
    json_t *c = json_object_get(root, "community");
    if (!c) {
        c = json_object();
        if (!c || json_object_set_new(root, "community", c))
            goto oom;
    }
    if (json_object_set_new(c, "name", json_string(street)))
        goto oom;
    /* city and province of the members, when they share them */
    static const char *const shared[] = {"district", "city", "province"};
    for (size_t k = 0; k < 3; k++) {
        if (json_object_get(c, shared[k]))
            continue;
        const lexp_value *first = NULL;
        int same = 1;
        for (size_t i = 0; i < n && same; i++) {
            const lexp_value *cm = lexp__v_getz(m[i]->in->data->root, "community");
            const lexp_value *v = cm ? lexp__v_getz(cm, shared[k]) : NULL;
            if (!v || v->type != LV_STR)
                same = 0;
            else if (!first)
                first = v;
            else
                same = lexp__v_equal(first, v);
        }
        if (same && first && json_object_set_new(c, shared[k], to_json(first)))
            goto oom;
    }
    json_t *b = json_object_get(root, "briefing");
    if (!b) {
        b = json_object();
        if (!b || json_object_set_new(root, "briefing", b))
            goto oom;
    }
    if (!json_object_get(b, "issuer") && json_object_set_new(b, "issuer", json_string(street)))
        goto oom;
    /* the series starts with the earliest member's, so 第N期 counts alike */
    if (!json_object_get(b, "first_issue_month")) {
        const lexp_value *lo = NULL;
        for (size_t i = 0; i < n; i++) {
            const lexp_value *mb = lexp__v_getz(m[i]->in->data->root, "briefing");
            const lexp_value *f = mb ? lexp__v_getz(mb, "first_issue_month") : NULL;
            if (f && f->type == LV_STR && (!lo || strcmp(f->u.str, lo->u.str) < 0))
                lo = f;
        }
        if (lo && json_object_set_new(b, "first_issue_month", to_json(lo)))
            goto oom;
    }
    return root;
oom:
    json_decref(root);
    return NULL;
}

static int build(json_t **out, const char *street, const rollup_def *rd, member **m, size_t n,
                 const char *month, lexp_error *err)
{
    char mlo[11], mhi[11], ylo[11];
    int y = 0, mo = 0;
    if (!month || !lexp__parse_month(month, strlen(month), &y, &mo))
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "the roll-up needs --month YYYY-MM");
    snprintf(mlo, sizeof mlo, "%04d-%02d-01", y, mo);
    snprintf(mhi, sizeof mhi, "%04d-%02d-%02d", y, mo, lexp__days_in_month(y, mo));
    snprintf(ylo, sizeof ylo, "%04d-01-01", y);
    figures tm, ty;
    memset(&tm, 0, sizeof tm);
    memset(&ty, 0, sizeof ty);
    for (size_t i = 0; i < n; i++) {
        period_figures(m[i]->in->data->root, mlo, mhi, &m[i]->month);
        period_figures(m[i]->in->data->root, ylo, mhi, &m[i]->ytd);
        add(&tm, &m[i]->month);
        add(&ty, &m[i]->ytd);
    }
    qsort(m, n, sizeof *m, by_work);
    json_t *root = street_facts(street, rd, m, n);
    if (!root)
        return lexp__error_oom(err);
    json_t *mem = json_array(), *r = json_object(), *rank = json_array();
    if (!mem || !r || !rank || json_object_set_new(root, "members", mem) ||
        json_object_set_new(root, "rollup", r) || json_object_set_new(r, "ranking", rank) ||
        join_lists(root, "activities", m, n, 0) || join_lists(root, "disputes", m, n, 0) ||
        join_lists(root, "assistance", m, n, 0) || join_lists(root, "plans", m, n, 1) ||
        join_lists(root, "problems", m, n, 1) || set_figures(r, "", &tm) ||
        set_figures(r, "ytd_", &ty) ||
        json_object_set_new(r, "communities", json_integer((json_int_t)n)))
        goto oom;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        if (!o || json_array_append_new(mem, o) ||
            json_object_set_new(o, "name", json_string(m[i]->in->community)) ||
            set_figures(o, "", &m[i]->month) || set_figures(o, "ytd_", &m[i]->ytd) ||
            json_array_append_new(rank, json_string(m[i]->in->community)))
            goto oom;
    }
    /* the same totals counted over the joined records, as the templates do */
    lexp_data *d = NULL;
    int rc = lexp__data_from_jansson(&d, root, street, NULL, err);
    if (rc) {
        json_decref(root);
        return rc;
    }
    figures cm, cy;
    period_figures(d->root, mlo, mhi, &cm);
    period_figures(d->root, ylo, mhi, &cy);
    lexp_data_free(d);
    if (!figures_equal(&cm, &tm) || !figures_equal(&cy, &ty)) {
        json_decref(root);
        return lexp__error_set(err, LEXP_EDATA, street, 0, 0, NULL,
                               "the communities' figures do not add up to the street's "
                               "(sessions %g against %g, participants %g against %g): "
                               "the roll-up is not written",
                               tm.sessions, cm.sessions, tm.participants, cm.participants);
    }
    *out = root;
    return 0;
oom:
    json_decref(root);
    return lexp__error_oom(err);
}

/* The partials are built in but not loadable by name (they start with _). */
const struct lexp__builtin {
    const char *name;
    const char *description;
    const char *src;
    size_t len;
} *lexp__builtin_find(const char *name, size_t len);
int lexp__template_parse(lexp_template **out, const char *src, size_t len, const char *name,
                         const char *dir, lexp_error *err);

int lexp__rollup_run(batch *b, const char *street, const rollup_def *rd, size_t *ndocs,
                     char **dir, lexp_error *err)
{
    *ndocs = 0;
    *dir = NULL;
    member *mem = calloc(b->n ? b->n : 1, sizeof *mem);
    member **m = calloc(b->n ? b->n : 1, sizeof *m);
    size_t n = 0;
    int rc = (!mem || !m) ? lexp__error_oom(err) : 0;
    /* every member must have succeeded: a 汇总 missing a community is wrong */
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        batch_input *in = &b->in[i];
        if (!is_member(rd, in))
            continue;
        if (!in->ok)
            rc = lexp__error_set(err, LEXP_EDATA, street, 0, 0, NULL,
                                 "the roll-up is not made: %s failed", in->path);
        mem[n].in = in;
        m[n] = &mem[n];
        n++;
    }
    for (size_t k = 0; rd && k < rd->nmembers && rc == 0; k++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++) {
            const char *base = strrchr(m[i]->in->path, '/');
            base = base ? base + 1 : m[i]->in->path;
            const char *mb = strrchr(rd->members[k], '/');
            mb = mb ? mb + 1 : rd->members[k];
            found = strcmp(base, mb) == 0 || strcmp(m[i]->in->community, rd->members[k]) == 0;
        }
        if (!found)
            rc = lexp__error_set(err, LEXP_EDATA, rd->path, 0, 0, NULL,
                                 "member %s is not among the inputs", rd->members[k]);
    }
    if (rc == 0 && n == 0)
        rc = lexp__error_set(err, LEXP_EDATA, street, 0, 0, NULL,
                             "the roll-up has no communities");
    json_t *root = NULL;
    if (rc == 0)
        rc = build(&root, street, rd, m, n, b->opt->month, err);
    lexp_data *d = NULL;
    if (rc == 0)
        rc = lexp__data_from_jansson(&d, root, rd && rd->path ? rd->path : street,
                                     rd && rd->path ? rd->path : NULL, err);
    json_decref(root);
    static const char *const names[] = {"_rollup_briefing", "_rollup_summary", "_rollup_stats"};
    static const char *const shown[] = {"briefing", "summary", "stats"};
    lexp_template *tpl[3] = {NULL, NULL, NULL};
    for (int t = 0; t < 3 && rc == 0; t++) {
        const struct lexp__builtin *bi = lexp__builtin_find(names[t], strlen(names[t]));
        rc = bi ? lexp__template_parse(&tpl[t], bi->src, bi->len, names[t], NULL, err)
                : lexp__error_set(err, LEXP_ENOTFOUND, names[t], 0, 0, NULL,
                                  "the roll-up template is not built in");
    }
    batch_docs *docs = rc == 0 ? calloc(1, sizeof *docs) : NULL;
    if (rc == 0 && !docs)
        rc = lexp__error_oom(err);
    if (rc == 0) {
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.date = b->opt->date;
        o.engine = b->engine;
        rc = lexp__batch_render(docs, d, tpl, shown, 3, b->fmt, b->nfmt, &o, b->opt->month, 0,
                                err);
    }
    if (rc == 0) {
        char *folder = lexp__folder_name(street);
        size_t need = strlen(b->opt->outdir) + (folder ? strlen(folder) : 0) + 2;
        *dir = folder ? malloc(need) : NULL;
        if (!*dir)
            rc = lexp__error_oom(err);
        else {
            snprintf(*dir, need, "%s/%s", b->opt->outdir, folder);
            rc = lexp__batch_write(docs, *dir, err);
        }
        free(folder);
        if (rc == 0)
            *ndocs = docs->n;
    }
    if (docs) {
        lexp__batch_docs_free(docs);
        free(docs);
    }
    for (int t = 0; t < 3; t++)
        lexp_template_free(tpl[t]);
    lexp_data_free(d);
    free(mem);
    free(m);
    return rc;
}
