/*
 * Expander: template + data → document tree.
 *
 * Statements run over the parsed node lists; every content line is
 * evaluated to runs of text and handed to the block assembler, which joins
 * consecutive text lines into paragraphs, rows into tables and items into
 * lists, numbers headings, and fills the official blocks (masthead,
 * signature, distribution) from fields or, where a field is not given, from
 * the data (`briefing`, `community`) and the period variables.
 *
 * All values and nodes are allocated in the document's arena; nothing here
 * is shared between renders, so renders can run in parallel.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../data/rows.h"
#include "../engine.h"
#include "eval.h"
#include "expand_int.h"
#include "period.h"

typedef lexp_eval E;
typedef const lexp_value V;

/* ==================================================================== */
/* errors and small helpers                                               */

const lexp_value *lexp__eval_fail(lexp_eval *e, const lexp_expr *at, const lexp_value *v,
                                  const char *fmt, ...)
{
    if (lexp__error_is_set(e->err))
        return NULL;
    lexp__sbuf path = LEXP__SBUF_INIT;
    if (v && lexp__v_has_path(v))
        lexp__v_path(&path, v);
    char msg[LEXP_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (path.len) {
        /* Name the data too: the message says where in the template, the
         * path field where in the data (for a row of a rows file, its line). */
        char where[LEXP_ERROR_FILE_MAX + 24];
        snprintf(where, sizeof where, "%s", e->data_name ? e->data_name : "the data");
        const lexp_value *top = v;
        while (top->parent)
            top = top->parent;
        for (uint32_t i = 0; i < e->nrows; i++)
            if (e->rows[i].rd && lexp__rows_top(e->rows[i].rd) == top)
                snprintf(where, sizeof where, "%s line %u", e->rows[i].src->path,
                         lexp__rows_line(e->rows[i].rd));
        lexp__error_set(e->err, LEXP_EEVAL, at ? at->file : NULL, at ? at->line : 0,
                        at ? at->col : 0, lexp__sbuf_cstr(&path), "%s (at %s in %s)", msg,
                        lexp__sbuf_cstr(&path), where);
    } else {
        lexp__error_set(e->err, LEXP_EEVAL, at ? at->file : NULL, at ? at->line : 0,
                        at ? at->col : 0, NULL, "%s", msg);
    }
    lexp__sbuf_free(&path);
    return NULL;
}

/* ---- the memory budget ---------------------------------------------- */

static size_t arena_used(const lexp__arena *A)
{
    return A->used;
}

size_t lexp__eval_room(const lexp_eval *e)
{
    size_t used = arena_used(e->A) - e->mem_base;
    return used >= LEXP_EVAL_MAX_MEMORY ? 0 : LEXP_EVAL_MAX_MEMORY - used;
}

static int over_budget(E *e, const char *file, int line, int col)
{
    e->over = 1;
    lexp__error_set(e->err, LEXP_ELIMIT, file, line, col, NULL,
                    "the evaluation needs more than %u MB for its values and text; is a value "
                    "growing without bound (doubled by a chain of sets, or built in a loop)?",
                    LEXP_EVAL_MAX_MEMORY >> 20);
    return -1;
}

int lexp__eval_budget(lexp_eval *e, const lexp_expr *at, size_t more)
{
    if (more <= lexp__eval_room(e))
        return 0;
    if (!at)
        at = e->at;
    return over_budget(e, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0);
}

int lexp__eval_buf_fail(lexp_eval *e, const lexp_expr *at, const lexp__sbuf *b)
{
    if (b->oom == 2) {
        if (!at)
            at = e->at;
        return over_budget(e, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0);
    }
    return lexp__error_oom(e->err);
}

/* Pooled buffers are small: a large one is freed, so the budget's cap
 * (checked when a buffer grows) is never bypassed by capacity at hand. */
#define POOL_KEEP (1u << 20)

lexp__sbuf lexp__eval_buf(lexp_eval *e)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    if (e->npool > 0) {
        b = e->pool[--e->npool];
        b.len = 0;
    }
    size_t room = lexp__eval_room(e);
    b.max = room ? room : 1;
    return b;
}

void lexp__eval_buf_done(lexp_eval *e, lexp__sbuf *b)
{
    if (b->oom == 2)
        lexp__eval_buf_fail(e, NULL, b);
    if (e->npool < 4 && !b->oom && b->cap <= POOL_KEEP)
        e->pool[e->npool++] = *b;
    else
        lexp__sbuf_free(b);
    memset(b, 0, sizeof *b);
}

const lexp_value *lexp__eval_str(lexp_eval *e, const char *s, size_t n)
{
    if (lexp__eval_budget(e, NULL, n + sizeof(lexp_value)))
        return NULL;
    lexp_value *v = lexp__v_strcopy(e->A, s, n);
    if (!v)
        lexp__error_oom(e->err);
    return v;
}

const lexp_value *lexp__eval_num(lexp_eval *e, double n)
{
    lexp_value *v = lexp__v_num(e->A, n);
    if (!v)
        lexp__error_oom(e->err);
    return v;
}

/* A text or a list, which * repeats in office templates, as in Python. */
static int is_seq(V *v) { return (v->type == LV_STR && v->hint == LH_NONE) || v->type == LV_ARR; }

/* seq * n: n copies of a text or a list (none when n <= 0), within the
 * evaluation's budget. */
static V *repeated(E *e, const lexp_expr *x, V *seq, double n)
{
    size_t unit = seq->type == LV_STR ? seq->len : seq->len * sizeof(lexp_value *);
    if (n <= 0 || seq->len == 0)
        return seq->type == LV_STR ? lexp__eval_str(e, "", 0) : lexp__v_arr(e->A, 0);
    if ((double)unit * n > (double)LEXP_EVAL_MAX_MEMORY || (double)seq->len * n > 4e9)
        return lexp__eval_fail(e, x, NULL,
                               "'*' would repeat this %s %.0f times: more than the "
                               "evaluation's memory",
                               seq->type == LV_STR ? "text" : "list", n);
    size_t k = (size_t)n;
    if (lexp__eval_budget(e, x, unit * k))
        return NULL;
    e->steps += k;
    if (seq->type == LV_ARR) {
        lexp_value *l = lexp__v_arr(e->A, (uint32_t)(seq->len * k));
        if (!l) {
            lexp__error_oom(e->err);
            return NULL;
        }
        for (size_t i = 0; i < k; i++)
            memcpy(l->u.items + i * seq->len, seq->u.items, seq->len * sizeof *l->u.items);
        return l;
    }
    lexp__sbuf s = lexp__py_buf(e);
    for (size_t i = 0; i < k && !s.oom; i++)
        lexp__sbuf_put(&s, seq->u.str, seq->len);
    return lexp__py_buf_str(e, &s);
}

/* Python's float % and //: fmod is exact, where p - q * floor(p / q)
 * rounds (-2 % (3.0 / 7) came out 0.1428571428571428, Python gives
 * 0.14285714285714274), and a zero takes the divisor's sign. */
static double py_mod(double p, double q)
{
    double m = fmod(p, q);
    if (m != 0) {
        if ((q < 0) != (m < 0))
            m += q;
    } else {
        m = copysign(0.0, q);
    }
    return m;
}

static double py_floordiv(double p, double q)
{
    double m = fmod(p, q), d = (p - m) / q;
    if (m != 0 && (q < 0) != (m < 0))
        d -= 1.0;
    if (d == 0)
        return copysign(0.0, p / q);
    double f = floor(d);
    return d - f > 0.5 ? f + 1.0 : f;
}

/* A number the data or a literal wrote as a real (3.0). */
static int is_real(V *v) { return v->type == LV_NUM && v->b; }

/* The result of arithmetic. In office templates a real one is a float and
 * prints as Python prints it (6 / 2 is 3.0, as in docxtpl); in .lxt
 * templates every number prints in its shortest form, so the mark is left
 * off and their trees keep their bytes. */
static V *arith_num(E *e, double r, int real)
{
    lexp_value *v = lexp__v_num(e->A, r);
    if (!v) {
        lexp__error_oom(e->err);
        return NULL;
    }
    v->b = real && e->jinja;
    if (v->b == 0 && e->jinja && r == 0)
        v->u.num = 0; /* an int has no -0: 10 * -0 / 0.5 is 0.0 in Python */
    return v;
}

static int value_text(E *e, const lexp_expr *at, lexp__sbuf *b, V *v, int depth);

int lexp__value_text(lexp_eval *e, const lexp_expr *at, lexp__sbuf *b, const lexp_value *v)
{
    return value_text(e, at, b, v, 0);
}

/* `depth`: lists in lists. Data nests at most 64 deep, a template's sets can
 * nest a list without bound: printing it must not exhaust the stack. */
static int value_text(E *e, const lexp_expr *at, lexp__sbuf *b, V *v, int depth)
{
    if (b->oom) /* a list printed could be far larger than its memory */
        return lexp__eval_buf_fail(e, at, b);
    if (depth > LEXP_DATA_MAX_DEPTH) {
        lexp__eval_fail(e, at, NULL, "a value nested more than %d deep cannot be printed",
                        LEXP_DATA_MAX_DEPTH);
        return -1;
    }
    if (e->jinja)
        return lexp__jinja_text(e, at, b, v);
    switch (v->type) {
    case LV_UNDEF:
    case LV_NULL: return 0;
    case LV_BOOL: lexp__sbuf_puts(b, v->b ? "true" : "false"); return 0;
    case LV_NUM: lexp__fmt_number(b, v->u.num); return 0;
    case LV_STR: lexp__sbuf_put(b, v->u.str, v->len); return 0;
    case LV_ARR:
        /* Lists read as Chinese enumerations: 区民宗局、胜利镇党委 */
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                lexp__sbuf_puts(b, "、");
            if (value_text(e, at, b, v->u.items[i], depth + 1))
                return -1;
            if (b->oom)
                return lexp__eval_buf_fail(e, at, b);
        }
        return 0;
    case LV_OBJ: {
        lexp__sbuf f = LEXP__SBUF_INIT;
        for (uint32_t i = 0; i < v->len && i < 6; i++) {
            if (i)
                lexp__sbuf_puts(&f, ", ");
            lexp__sbuf_put(&f, v->u.members[i].key, v->u.members[i].klen);
        }
        lexp__eval_fail(e, at, v, "cannot print an object; choose one of its fields (%s)",
                        lexp__sbuf_cstr(&f));
        lexp__sbuf_free(&f);
        return -1;
    }
    default:
        lexp__eval_fail(e, at, NULL, "cannot print %s", lexp__v_type_name(v));
        return -1;
    }
}

/* ==================================================================== */
/* variables                                                              */

static V *lookup(E *e, const char *name, uint32_t n)
{
    for (size_t i = e->nbinds; i-- > 0;) {
        const binding *b = &e->binds[i];
        if (b->nlen == n && b->name[0] == name[0] && memcmp(b->name, name, n) == 0)
            return b->val;
    }
    V *v = e->period && !e->jinja ? lexp__v_get(e->period, name, n) : NULL;
    for (uint32_t i = 0; !v && i < e->nrows; i++) /* a rows file's name, as a data field */
        if (e->rows[i].src->nlen == n && memcmp(e->rows[i].src->name, name, n) == 0)
            v = &e->rows[i].mark;
    if (!v)
        v = lexp__v_get(e->root, name, n);
    if (!v && e->jinja && e->period) { /* office templates: the data wins */
        v = lexp__v_get(e->period, name, n);
        if (!v && n == 6 && memcmp(name, "period", 6) == 0)
            v = e->period; /* a date without a period: period.date */
    }
    return v ? v : &lexp__undef;
}

int lexp__eval_bind(lexp_eval *e, const char *name, uint32_t n, const lexp_value *val)
{
    if (e->nbinds == e->capbinds) {
        size_t cap = e->capbinds ? e->capbinds * 2 : 32;
        binding *b = realloc(e->binds, cap * sizeof *b);
        if (!b) {
            lexp__error_oom(e->err);
            return -1;
        }
        e->binds = b;
        e->capbinds = cap;
    }
    e->binds[e->nbinds++] = (binding){name, n, val};
    return 0;
}

/* A rows file's name used other than as what a for loop goes over. */
static V *rows_whole(E *e, const lexp_expr *x, const lexp_rows_run *r)
{
    lexp__error_set(e->err, LEXP_EEVAL, x->file, x->line, x->col, r->src->name,
                    "%s: this list is read from %s row by row, so only one `for` loop can go "
                    "over it ({%% for r in %s %%}, with loop.index, loop.first and loop.last); "
                    "|length, [i], sort and the like need the whole list",
                    r->src->name, r->src->path, r->src->name);
    return NULL;
}

/* ==================================================================== */
/* expressions                                                            */

static V *attr(E *e, const lexp_expr *x, V *base, const char *name, uint32_t n)
{
    switch (base->type) {
    case LV_UNDEF:
    case LV_NULL: return &lexp__undef; /* a.b.c on missing data is just missing */
    case LV_OBJ: {
        /* records of a ledger share their key order: look where the key was
         * found last time first */
        V *v = x->slot < e->nhints ? lexp__v_get_hint(base, name, n, &e->hints[x->slot])
                                   : lexp__v_get(base, name, n);
        return v ? v : &lexp__undef;
    }
    case LV_LOOP: {
        const lexp_loop *l = base->u.loop;
        double r;
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
        if (l->lazy && (IS("length") || IS("revindex") || IS("revindex0")))
            return lexp__eval_fail(e, x, NULL,
                                   "loop.%.*s needs the whole list, and %s is read from %s row "
                                   "by row; loop.index, loop.index0, loop.first and loop.last "
                                   "work",
                                   (int)n, name, l->lazy->src->name, l->lazy->src->path);
        else if (IS("index"))
            r = l->index0 + 1;
        else if (IS("index0"))
            r = l->index0;
        else if (IS("revindex"))
            r = l->length - l->index0;
        else if (IS("revindex0"))
            r = l->length - l->index0 - 1;
        else if (IS("length"))
            r = l->length;
        else if (IS("first"))
            return l->index0 == 0 ? &lexp__true : &lexp__false;
        else if (IS("last") && l->lazy) /* the next row was read ahead */
            return l->lazy_last ? &lexp__true : &lexp__false;
        else if (IS("last"))
            return l->index0 + 1 == l->length ? &lexp__true : &lexp__false;
        else if (e->jinja && IS("previtem")) /* undefined at the edges, as in Jinja */
            return lexp__jinja_loop_item(e, l, (int64_t)l->index0 - 1);
        else if (e->jinja && IS("nextitem"))
            return lexp__jinja_loop_item(e, l, (int64_t)l->index0 + 1);
        else if (e->jinja && (IS("depth") || IS("depth0"))) /* no recursive loops: level 1 */
            r = n == 5;
        else
            return lexp__eval_fail(e, x, NULL,
                                   "loop has no field '%.*s'; it has index, index0, revindex, "
                                   "revindex0, length, first, last%s",
                                   (int)n, name,
                                   e->jinja ? ", previtem, nextitem, depth, depth0, cycle(…) "
                                              "and changed(…)"
                                            : " and cycle(…)");
#undef IS
        return lexp__eval_num(e, r);
    }
    default: {
        V *p = e->jinja ? lexp__jinja_pair_attr(e, base, name, n) : NULL; /* groupby's */
        if (p)
            return p;
        lexp__sbuf d = LEXP__SBUF_INIT;
        lexp__v_describe(&d, base);
        lexp__eval_fail(e, x, base, "cannot take field '%.*s' of %s", (int)n, name,
                        lexp__sbuf_cstr(&d));
        lexp__sbuf_free(&d);
        return NULL;
    }
    }
}

/* One bound of a slice: absent or null is Python's None (1 with *set 0). */
static int slice_bound(E *e, const lexp_expr *x, const char *what, double *v, int *set)
{
    *set = 0;
    if (!x)
        return 1;
    V *b = lexp__eval_expr(e, x);
    if (!b)
        return 0;
    if (b->type == LV_NULL)
        return 1;
    if (b->type != LV_NUM || b->u.num != floor(b->u.num)) {
        lexp__sbuf d = LEXP__SBUF_INIT;
        lexp__v_describe(&d, b);
        lexp__eval_fail(e, x, b, "a slice's %s must be a whole number, found %s", what,
                        lexp__sbuf_cstr(&d));
        lexp__sbuf_free(&d);
        return 0;
    }
    *v = b->u.num;
    *set = 1;
    return 1;
}

/* a[start:stop:step] of a list or a string (by code points), with Python's
 * rules: negative bounds count from the end, bounds past either end are
 * clamped, a negative step walks backwards. */
static V *slice_of(E *e, const lexp_expr *x)
{
    V *base = lexp__eval_expr(e, x->a);
    if (!base)
        return NULL;
    double start = 0, stop = 0, step = 1;
    int has_start, has_stop, has_step;
    if (!slice_bound(e, x->b, "start", &start, &has_start) ||
        !slice_bound(e, x->c, "stop", &stop, &has_stop) ||
        !slice_bound(e, x->nargs ? x->args[0] : NULL, "step", &step, &has_step))
        return NULL;
    if (!has_step)
        step = 1;
    if (step == 0)
        return lexp__eval_fail(e, x->args[0], NULL, "a slice's step cannot be zero");
    if (base->type == LV_UNDEF || base->type == LV_NULL)
        return &lexp__undef;
    if (base->type != LV_ARR && base->type != LV_STR) {
        lexp__sbuf d = LEXP__SBUF_INIT;
        lexp__v_describe(&d, base);
        lexp__eval_fail(e, x, base, "cannot slice %s: only lists and strings have slices",
                        lexp__sbuf_cstr(&d));
        lexp__sbuf_free(&d);
        return NULL;
    }
    double n = base->type == LV_ARR ? (double)base->len
                                    : (double)lexp__utf8_count(base->u.str, base->len);
    double lo = step < 0 ? -1 : 0, hi = step < 0 ? n - 1 : n;
    if (!has_start)
        start = step < 0 ? hi : lo;
    else if (start < 0)
        start = fmax(start + n, lo);
    else
        start = fmin(start, hi);
    if (!has_stop)
        stop = step < 0 ? lo : hi;
    else if (stop < 0)
        stop = fmax(stop + n, lo);
    else
        stop = fmin(stop, hi);
    double count = step > 0 ? (stop > start ? ceil((stop - start) / step) : 0)
                            : (start > stop ? ceil((start - stop) / -step) : 0);
    if (base->type == LV_ARR) {
        if (lexp__eval_budget(e, x, (size_t)count * sizeof(lexp_value *)))
            return NULL;
        lexp_value *l = lexp__v_arr(e->A, (uint32_t)count);
        if (!l) {
            lexp__error_oom(e->err);
            return NULL;
        }
        for (uint32_t k = 0; k < (uint32_t)count; k++)
            l->u.items[k] = base->u.items[(uint32_t)(start + k * step)];
        e->steps += (uint64_t)count;
        return l;
    }
    if (step == 1) { /* the common case: one run of bytes */
        size_t a = lexp__utf8_offset(base->u.str, base->len, (size_t)start);
        size_t b = a + lexp__utf8_offset(base->u.str + a, base->len - a, (size_t)count);
        return lexp__eval_str(e, base->u.str + a, b - a);
    }
    size_t *at = malloc(((size_t)n + 1) * sizeof *at);
    if (!at) {
        lexp__error_oom(e->err);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < base->len; i++)
        if (((unsigned char)base->u.str[i] & 0xC0) != 0x80)
            at[k++] = i;
    at[k] = base->len;
    lexp__sbuf out = lexp__py_buf(e);
    for (uint32_t j = 0; j < (uint32_t)count; j++) {
        size_t c = (size_t)(start + j * step);
        lexp__sbuf_put(&out, base->u.str + at[c], at[c + 1] - at[c]);
    }
    free(at);
    e->steps += (uint64_t)count;
    return lexp__py_buf_str(e, &out);
}

static V *index_of(E *e, const lexp_expr *x, V *base, V *idx)
{
    if (base->type == LV_UNDEF || base->type == LV_NULL)
        return &lexp__undef;
    if (base->type == LV_ARR && idx->type == LV_NUM) {
        double i = idx->u.num;
        if (i != floor(i))
            return lexp__eval_fail(e, x, idx, "a list index must be a whole number");
        if (i < 0)
            i += base->len;
        if (i < 0 || i >= base->len)
            return &lexp__undef;
        return base->u.items[(uint32_t)i];
    }
    if (base->type == LV_OBJ && idx->type == LV_STR) {
        V *v = lexp__v_get(base, idx->u.str, idx->len);
        return v ? v : &lexp__undef;
    }
    if (base->type == LV_STR && idx->type == LV_NUM) {
        /* a character, counted in code points as Python counts them */
        double i = idx->u.num;
        if (i != floor(i))
            return lexp__eval_fail(e, x, idx, "a string index must be a whole number");
        size_t n = lexp__utf8_count(base->u.str, base->len);
        if (i < 0)
            i += (double)n;
        if (i < 0 || i >= (double)n)
            return &lexp__undef;
        size_t at = lexp__utf8_offset(base->u.str, base->len, (size_t)i);
        size_t end = at + lexp__utf8_offset(base->u.str + at, base->len - at, 1);
        return lexp__eval_str(e, base->u.str + at, end - at);
    }
    lexp__sbuf a = LEXP__SBUF_INIT, b = LEXP__SBUF_INIT;
    lexp__v_describe(&a, base);
    lexp__v_describe(&b, idx);
    lexp__eval_fail(e, x, base, "cannot index %s with %s", lexp__sbuf_cstr(&a),
                    lexp__sbuf_cstr(&b));
    lexp__sbuf_free(&a);
    lexp__sbuf_free(&b);
    return NULL;
}

int lexp__x_num_of(V *v, double *out)
{
    if (v->type == LV_NUM) {
        *out = v->u.num;
        return 1;
    }
    if (v->type == LV_STR && v->hint != LH_NONE) {
        *out = v->hnum;
        return 1;
    }
    return 0;
}

static const char *op_name(int op)
{
    static const char *const names[] = {"+", "-", "*", "/", "//", "%", "~", "==", "!=",
                                        "<", "<=", ">", ">=", "in", "not in", "**"};
    return names[op];
}

static int too_many_steps(E *e, const char *file, int line, int col);

/* Equality with every value visited a step: lists sharing lists can have
 * far more values to visit than memory holds. 1, 0, or -1 with an error. */
static int equal(E *e, const lexp_expr *x, V *a, V *b)
{
    uint64_t left = e->steps < LEXP_EVAL_MAX_STEPS ? LEXP_EVAL_MAX_STEPS - e->steps : 0;
    uint64_t work = left;
    int r = lexp__v_equal_within(a, b, &work);
    e->steps += left - work;
    if (r < 0)
        return too_many_steps(e, x->file, x->line, x->col);
    return r;
}

static V *binary(E *e, const lexp_expr *x, V *a, V *b)
{
    double p, q;
    int eq;
    switch (x->op) {
    case OP_EQ:
    case OP_NE:
        if ((eq = equal(e, x, a, b)) < 0)
            return NULL;
        return eq ^ (x->op == OP_NE) ? &lexp__true : &lexp__false;
    case OP_IN:
    case OP_NOTIN: {
        int r = 0;
        if (b->type == LV_ARR) {
            /* a scan of the list: as many steps (in a loop over another
             * long list, the step limit ends it) */
            if (lexp__eval_work(e, x, b->len))
                return NULL;
            for (uint32_t i = 0; i < b->len && !r; i++)
                if ((r = equal(e, x, a, b->u.items[i])) < 0)
                    return NULL;
        } else if (b->type == LV_STR && a->type == LV_STR) {
            r = lexp__find(b->u.str, b->len, a->u.str, a->len) != NULL;
        } else if (b->type == LV_OBJ && a->type == LV_STR) {
            r = lexp__v_get(b, a->u.str, a->len) != NULL;
        } else if (b->type != LV_UNDEF && b->type != LV_NULL) {
            return lexp__eval_fail(e, x, b, "'in' needs a list, a string or an object on its "
                                            "right, found %s",
                                   lexp__v_type_name(b));
        }
        return (r ^ (x->op == OP_NOTIN)) ? &lexp__true : &lexp__false;
    }
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: {
        /* Comparing with missing data is false rather than an error, so
         * "{% if a.participants > 100 %}" works on sparse ledgers. */
        if (a->type <= LV_NULL || b->type <= LV_NULL)
            return &lexp__false;
        int c;
        if (lexp__x_num_of(a, &p) && lexp__x_num_of(b, &q))
            c = p < q ? -1 : p > q;
        else if (a->type == LV_STR && b->type == LV_STR)
            c = lexp__v_compare(a, b);
        else
            return lexp__eval_fail(e, x, a->type == LV_STR ? b : a,
                                   "cannot compare %s with %s", lexp__v_type_name(a),
                                   lexp__v_type_name(b));
        int r = x->op == OP_LT ? c < 0 : x->op == OP_LE ? c <= 0 : x->op == OP_GT ? c > 0 : c >= 0;
        return r ? &lexp__true : &lexp__false;
    }
    case OP_CAT: {
        lexp__sbuf s = LEXP__SBUF_INIT;
        s.max = lexp__eval_room(e) / 2 + 1; /* the text, then its copy */
        if (lexp__value_text(e, x, &s, a) || lexp__value_text(e, x, &s, b) ||
            (s.oom && lexp__eval_buf_fail(e, x, &s))) {
            lexp__sbuf_free(&s);
            return NULL;
        }
        V *r = lexp__eval_str(e, s.ptr ? s.ptr : "", s.len);
        lexp__sbuf_free(&s);
        return r;
    }
    case OP_MOD: /* office templates: '%s' % x formats, as in Python */
        if (e->jinja && a->type == LV_STR && a->hint == LH_NONE)
            return lexp__py_percent(e, x, a, b, x->b->kind == EX_LIST && x->b->op == 1);
        break;
    default: break;
    }
    if (x->op == OP_ADD && a->type == LV_ARR && b->type == LV_ARR) {
        /* [a] + list: lists join */
        if (lexp__eval_budget(e, x, ((size_t)a->len + b->len) * sizeof(lexp_value *)))
            return NULL;
        lexp_value *l = lexp__v_arr(e->A, a->len + b->len);
        if (!l) {
            lexp__error_oom(e->err);
            return NULL;
        }
        if (a->len)
            memcpy(l->u.items, a->u.items, a->len * sizeof *l->u.items);
        if (b->len)
            memcpy(l->u.items + a->len, b->u.items, b->len * sizeof *l->u.items);
        return l;
    }
    if (x->op == OP_ADD && a->type == LV_STR && b->type == LV_STR && a->hint == LH_NONE &&
        b->hint == LH_NONE) {
        if (lexp__eval_budget(e, x, 2 * ((size_t)a->len + b->len)))
            return NULL;
        lexp__sbuf s = LEXP__SBUF_INIT;
        lexp__sbuf_put(&s, a->u.str, a->len);
        lexp__sbuf_put(&s, b->u.str, b->len);
        if (s.oom) {
            lexp__sbuf_free(&s);
            lexp__error_oom(e->err);
            return NULL;
        }
        V *r = lexp__eval_str(e, s.ptr ? s.ptr : "", s.len);
        lexp__sbuf_free(&s);
        return r;
    }
    if (x->op == OP_MUL && e->jinja) { /* office templates: '-' * 20, [0] * 3 */
        V *seq = is_seq(a) ? a : is_seq(b) ? b : NULL, *n = seq == a ? b : a;
        if (seq && n->type == LV_NUM && !n->b && n->u.num == floor(n->u.num))
            return repeated(e, x, seq, n->u.num);
    }
    if (!lexp__x_num_of(a, &p) || !lexp__x_num_of(b, &q)) {
        V *bad = lexp__x_num_of(a, &p) ? b : a;
        lexp__sbuf d = LEXP__SBUF_INIT;
        lexp__v_describe(&d, bad);
        lexp__eval_fail(e, x, bad, "'%s' needs numbers, found %s%s", op_name(x->op),
                        lexp__sbuf_cstr(&d),
                        bad->type == LV_UNDEF ? "; use | default(0) for optional fields"
                        : bad->type == LV_STR ? "; use ~ to join text"
                                              : "");
        lexp__sbuf_free(&d);
        return NULL;
    }
    double r;
    int real = x->op == OP_DIV || is_real(a) || is_real(b);
    switch (x->op) {
    case OP_POW:
        if (p == 0 && q < 0)
            return lexp__eval_fail(e, x, NULL, "0 cannot be raised to a negative power");
        if (p < 0 && q != floor(q))
            return lexp__eval_fail(e, x, NULL,
                                   "a negative number raised to a fractional power is not a "
                                   "real number");
        r = pow(p, q);
        real |= q < 0; /* Python: 2 ** -1 is 0.5, a float */
        break;
    case OP_ADD: r = p + q; break;
    case OP_SUB: r = p - q; break;
    case OP_MUL: r = p * q; break;
    case OP_DIV:
    case OP_IDIV:
    case OP_MOD:
        if (q == 0) {
            if (lexp__v_has_path(b)) {
                lexp__sbuf path = LEXP__SBUF_INIT;
                lexp__v_path(&path, b);
                lexp__eval_fail(e, x, b, "division by zero: %s is 0", lexp__sbuf_cstr(&path));
                lexp__sbuf_free(&path);
                return NULL;
            }
            return lexp__eval_fail(e, x, NULL, "division by zero: the right side of '%s' is 0",
                                   op_name(x->op));
        }
        r = x->op == OP_DIV ? p / q : x->op == OP_IDIV ? py_floordiv(p, q) : py_mod(p, q);
        break;
    default: r = 0; break;
    }
    if (!isfinite(r))
        return lexp__eval_fail(e, x, NULL, "the result of '%s' is too large", op_name(x->op));
    /* Python's type: a float when an operand is one or for a true division */
    return arith_num(e, r, real);
}

static V *eval_node(E *e, const lexp_expr *x);

static int too_many_steps(E *e, const char *file, int line, int col)
{
    lexp__error_set(e->err, LEXP_ELIMIT, file, line, col, NULL,
                    "the template took more than %u evaluation steps; is a loop running over a "
                    "very large list, or are includes fanning out?",
                    LEXP_EVAL_MAX_STEPS);
    return -1;
}

int lexp__eval_work(lexp_eval *e, const lexp_expr *at, uint64_t n)
{
    e->steps += n;
    if (e->steps > LEXP_EVAL_MAX_STEPS)
        return too_many_steps(e, at->file, at->line, at->col);
    return 0;
}

const lexp_value *lexp__eval_expr(lexp_eval *e, const lexp_expr *x)
{
    if (++e->steps > LEXP_EVAL_MAX_STEPS) {
        too_many_steps(e, x->file, x->line, x->col);
        return NULL;
    }
    /* The parser bounds an expression's height (LEXP_TEMPLATE_MAX_CHAIN);
     * this bounds the recursion itself, whatever built the tree. */
    if (e->depth >= LEXP_TEMPLATE_MAX_CHAIN) {
        lexp__error_set(e->err, LEXP_ELIMIT, x->file, x->line, x->col, NULL,
                        "expression chained or nested more than %d deep; split it with "
                        "{%% set %%}",
                        LEXP_TEMPLATE_MAX_CHAIN);
        return NULL;
    }
    const lexp_expr *up = e->at;
    e->at = x;
    e->depth++;
    V *v = eval_node(e, x);
    e->depth--;
    e->at = up;
    /* everything the expression allocated counts, whoever allocated it */
    if (v && (e->over || lexp__eval_budget(e, x, 0)))
        return NULL;
    return v;
}

static V *eval_node(E *e, const lexp_expr *x)
{
    V *a, *b;
    switch (x->kind) {
    case EX_LIT: return x->lit;
    case EX_VAR: {
        V *v = lookup(e, x->name, x->nlen);
        for (uint32_t i = 0; i < e->nrows; i++)
            if (v == &e->rows[i].mark)
                return rows_whole(e, x, &e->rows[i]);
        return v;
    }
    case EX_ATTR:
        a = lexp__eval_expr(e, x->a);
        return a ? attr(e, x, a, x->name, x->nlen) : NULL;
    case EX_INDEX:
        a = lexp__eval_expr(e, x->a);
        b = a ? lexp__eval_expr(e, x->b) : NULL;
        return b ? index_of(e, x, a, b) : NULL;
    case EX_NEG: {
        double p;
        a = lexp__eval_expr(e, x->a);
        if (!a)
            return NULL;
        if (!lexp__x_num_of(a, &p)) {
            lexp__sbuf d = LEXP__SBUF_INIT;
            lexp__v_describe(&d, a);
            lexp__eval_fail(e, x, a, "'-' needs a number, found %s", lexp__sbuf_cstr(&d));
            lexp__sbuf_free(&d);
            return NULL;
        }
        return arith_num(e, -p, is_real(a));
    }
    case EX_NOT:
        a = lexp__eval_expr(e, x->a);
        return a ? (lexp__v_truthy(a) ? &lexp__false : &lexp__true) : NULL;
    case EX_AND:
        a = lexp__eval_expr(e, x->a);
        if (!a || !lexp__v_truthy(a))
            return a;
        return lexp__eval_expr(e, x->b);
    case EX_OR:
        a = lexp__eval_expr(e, x->a);
        if (!a || lexp__v_truthy(a))
            return a;
        return lexp__eval_expr(e, x->b);
    case EX_COND:
        b = lexp__eval_expr(e, x->b);
        if (!b)
            return NULL;
        if (lexp__v_truthy(b))
            return lexp__eval_expr(e, x->a);
        return x->c ? lexp__eval_expr(e, x->c) : &lexp__undef;
    case EX_BIN:
        a = lexp__eval_expr(e, x->a);
        b = a ? lexp__eval_expr(e, x->b) : NULL;
        return b ? binary(e, x, a, b) : NULL;
    case EX_FILTER: {
        V *args[8];
        a = lexp__eval_expr(e, x->a);
        if (!a)
            return NULL;
        for (int i = 0; i < x->nargs; i++) /* a keyword argument not given is NULL */
            if (x->args[i] && !(args[i] = lexp__eval_expr(e, x->args[i])))
                return NULL;
            else if (!x->args[i])
                args[i] = NULL;
        return x->filter->fn(e, x, a, args, x->nargs);
    }
    case EX_LIST: {
        lexp_value *l = lexp__v_arr(e->A, (uint32_t)x->nargs);
        if (!l) {
            lexp__error_oom(e->err);
            return NULL;
        }
        for (int i = 0; i < x->nargs; i++)
            if (!(l->u.items[i] = (lexp_value *)lexp__eval_expr(e, x->args[i])))
                return NULL;
        return l;
    }
    case EX_DICT: {
        lexp_value *o = lexp__v_obj(e->A, (uint32_t)(x->nargs / 2));
        if (!o) {
            lexp__error_oom(e->err);
            return NULL;
        }
        for (int i = 0; i + 1 < x->nargs; i += 2) {
            V *k = x->args[i]->lit, *v = lexp__eval_expr(e, x->args[i + 1]);
            if (!v)
                return NULL;
            o->u.members[i / 2] = (lexp_member){k->u.str, k->len, (lexp_value *)v};
        }
        return o;
    }
    case EX_TEST: {
        a = lexp__eval_expr(e, x->a);
        if (!a)
            return NULL;
        int r = lexp__test_eval(e, x, a);
        if (r < 0)
            return NULL;
        return (r ^ x->op) ? &lexp__true : &lexp__false;
    }
    case EX_LOOPIF: return lexp__jinja_loop_filter(e, x);
    case EX_SLICE: return slice_of(e, x);
    default: return lexp__eval_fail(e, x, NULL, "internal: unknown expression");
    }
}

/* ==================================================================== */
/* inline evaluation → runs                                                */

static void rb_reset(runbuf *r)
{
    r->text.len = 0;
    r->n = 0;
    r->flags = 0;
    r->nexpr = r->literal = 0;
    r->last = NULL;
}

static void rb_free(runbuf *r)
{
    lexp__sbuf_free(&r->text);
    free(r->p);
}

static int rb_put(E *e, const lexp_tnode *at, runbuf *r, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    /* the line's text, before it goes into the document, is in the budget */
    if (n > lexp__eval_room(e) || r->text.len > lexp__eval_room(e) - n)
        return over_budget(e, at->file, at->line, at->col);
    e->out_bytes += n;
    if (e->out_bytes > LEXP_EVAL_MAX_OUTPUT) {
        lexp__error_set(e->err, LEXP_ELIMIT, at->file, at->line, at->col, NULL,
                        "the document grew beyond %u MB of text", LEXP_EVAL_MAX_OUTPUT >> 20);
        return -1;
    }
    if (r->n > 0 && r->p[r->n - 1].flags == r->flags &&
        r->p[r->n - 1].start + r->p[r->n - 1].len == r->text.len) {
        r->p[r->n - 1].len += (uint32_t)n;
    } else {
        if (r->n == r->cap) {
            int cap = r->cap ? r->cap * 2 : 8;
            piece *np = realloc(r->p, (size_t)cap * sizeof *np);
            if (!np) {
                lexp__error_oom(e->err);
                return -1;
            }
            r->p = np;
            r->cap = cap;
        }
        r->p[r->n++] = (piece){(uint32_t)r->text.len, (uint32_t)n, r->flags};
    }
    lexp__sbuf_put(&r->text, s, n);
    if (r->text.oom) {
        lexp__error_oom(e->err);
        return -1;
    }
    return 0;
}

static int run_list(E *e, const lexp_tnode *n, runbuf *rb);

int lexp__eval_loop_len(lexp_eval *e, const lexp_expr *at, const lexp_value *it, int two_names,
                        uint32_t *len)
{
    if (it->type == LV_ARR || it->type == LV_OBJ) {
        *len = it->len;
    } else if (it->type == LV_UNDEF || it->type == LV_NULL) {
        *len = 0;
    } else {
        lexp__sbuf d = LEXP__SBUF_INIT;
        lexp__v_describe(&d, it);
        lexp__eval_fail(e, at, it, "cannot loop over %s; expected a list", lexp__sbuf_cstr(&d));
        lexp__sbuf_free(&d);
        return -1;
    }
    if (two_names && it->type == LV_ARR && !e->jinja) {
        lexp__eval_fail(e, at, it, "'for k, v in …' needs an object, found a list");
        return -1;
    }
    for (uint32_t i = 0; two_names && it->type == LV_ARR && i < it->len; i++) {
        /* office templates: for k, v in pairs (x.items(), dictsort, groupby) */
        V *p = it->u.items[i];
        if (p->type != LV_ARR || p->len != 2) {
            lexp__sbuf d = LEXP__SBUF_INIT;
            lexp__v_describe(&d, p);
            lexp__eval_fail(e, at, p, "'for k, v in …' needs pairs (x.items(), x | dictsort, "
                                      "x | groupby(…)) or an object, found %s in the list",
                            lexp__sbuf_cstr(&d));
            lexp__sbuf_free(&d);
            return -1;
        }
    }
    return 0;
}

/* A for loop over a rows file: one row read per iteration, made after the
 * iteration's arena mark, so a streamed table gives it back with the rest. */
static int run_rows(E *e, const lexp_tnode *n, runbuf *rb, lexp_rows_run *run)
{
    const lexp_expr *x = n->expr;
    if (n->name2)
        return lexp__eval_fail(e, x, NULL, "'for k, v in …' needs an object; %s is a list of rows",
                               run->src->name),
               -1;
    if (run->used_file)
        return lexp__error_set(e->err, LEXP_EEVAL, x->file, x->line, x->col, run->src->name,
                               "%s: this list is read from %s row by row, and the `for` loop "
                               "at %s:%d has gone over it already; only one loop can",
                               run->src->name, run->src->path, run->used_file, run->used_line),
               -1;
    run->used_file = x->file;
    run->used_line = x->line;
    if (lexp__rows_open(&run->rd, run->src, e->A, e->err))
        return -1;
    int rc = 0;
    if (!lexp__rows_more(run->rd)) {
        lexp__rows_close(run->rd);
        run->rd = NULL;
        return n->else_body ? run_list(e, n->else_body, rb) : 0;
    }
    lexp_loopvars lv = {.mark = e->nbinds};
    if (lexp__eval_loop_begin(e, &lv, &run->mark, 0, n->name, n->nlen, NULL, 0))
        rc = -1;
    else
        lv.loop->lazy = run;
    for (uint32_t i = 0; rc == 0 && lexp__rows_more(run->rd); i++) {
        iter_snap snap;
        lexp__x_snap_take(e, &snap);
        lexp__arena_mark m = lexp__arena_mark_get(e->A);
        V *row;
        int last;
        if (++e->steps > LEXP_EVAL_MAX_STEPS)
            rc = too_many_steps(e, n->file, n->line, n->col);
        else if (lexp__rows_next(run->rd, e->A, &row, &last) < 0)
            rc = -1;
        if (rc)
            break;
        lv.loop->index0 = i;
        lv.loop->lazy_last = last;
        e->nbinds = lv.vars; /* a set inside the body lasts one iteration */
        e->binds[lv.mark + 1].val = row;
        rc = run_list(e, n->body, rb);
        if (rc == 0 && lexp__x_snap_same(e, &snap)) {
            lexp__arena_release(e->A, m);
            e->fmt_src = e->fmt_copy = NULL; /* that cache was in the arena */
        }
    }
    e->nbinds = lv.mark;
    lexp__rows_close(run->rd);
    run->rd = NULL;
    return rc;
}

static int run_for(E *e, const lexp_tnode *n, runbuf *rb)
{
    if (e->nrows && n->expr->kind == EX_VAR) {
        V *v = lookup(e, n->expr->name, n->expr->nlen);
        for (uint32_t i = 0; i < e->nrows; i++)
            if (v == &e->rows[i].mark)
                return run_rows(e, n, rb, &e->rows[i]);
    }
    V *it = lexp__eval_expr(e, n->expr);
    uint32_t len;
    if (!it || lexp__eval_loop_len(e, n->expr, it, n->name2 != NULL, &len))
        return -1;
    if (len == 0)
        return n->else_body ? run_list(e, n->else_body, rb) : 0;
    lexp_loopvars lv;
    if (lexp__eval_loop_begin(e, &lv, it, len, n->name, n->nlen, n->name2, n->n2len))
        return -1;
    int rc = 0;
    for (uint32_t i = 0; i < len && rc == 0; i++) {
        /* An iteration that only added rows to a streaming table leaves
         * nothing behind in the arena (its sets end with it, its rows are in
         * the spool's own arena): give its values back. */
        iter_snap snap;
        lexp__x_snap_take(e, &snap);
        lexp__arena_mark m = lexp__arena_mark_get(e->A);
        rc = lexp__eval_loop_step(e, &lv, i) ? -1 : run_list(e, n->body, rb);
        if (rc == 0 && lexp__x_snap_same(e, &snap)) {
            lexp__arena_release(e->A, m);
            e->fmt_src = e->fmt_copy = NULL; /* that cache was in the arena */
        }
    }
    e->nbinds = lv.mark;
    return rc;
}

static int run_set(E *e, const lexp_tnode *n)
{
    V *v = lexp__eval_expr(e, n->expr);
    if (!v)
        return -1;
    return lexp__eval_bind(e, n->name, n->nlen, v);
}

/* Run a node list. With rb, nodes are inline (text into rb); without, they
 * are block-level lines. */
static int run_list(E *e, const lexp_tnode *n, runbuf *rb)
{
    for (; n; n = n->next) {
        int rc = 0;
        /* every node run is a step: included templates that fan out, or
         * loops over plain text, end like long loops */
        if (++e->steps > LEXP_EVAL_MAX_STEPS)
            return too_many_steps(e, n->file, n->line, n->col);
        /* what the nodes before added to the document counts too */
        if (lexp__eval_room(e) == 0)
            return over_budget(e, n->file, n->line, n->col);
        switch (n->kind) {
        case T_TEXT:
            if (rb) {
                rc = rb_put(e, n, rb, n->text, n->len);
                rb->literal |= !n->blank;
            }
            break;
        case T_BOLD:
            if (rb)
                rb->flags ^= LEXP_RUN_BOLD;
            break;
        case T_EXPR: {
            V *v = lexp__eval_expr(e, n->expr);
            if (!v || (v->type == LV_UNDEF && lexp__undefined_printed(e, n->expr)))
                return -1;
            if (rb) {
                if (v->type == LV_STR) {
                    rc = rb_put(e, n, rb, v->u.str, v->len);
                } else {
                    e->scratch.len = 0;
                    e->scratch.max = lexp__eval_room(e) + 1;
                    rc = lexp__value_text(e, n->expr, &e->scratch, v);
                    if (rc == 0 && e->scratch.oom)
                        rc = lexp__eval_buf_fail(e, n->expr, &e->scratch);
                    if (rc == 0)
                        rc = rb_put(e, n, rb, e->scratch.ptr, e->scratch.len);
                    if (e->scratch.cap > POOL_KEEP || e->scratch.oom)
                        lexp__sbuf_free(&e->scratch); /* see POOL_KEEP */
                }
                rb->nexpr++;
                rb->last = v;
            }
            break;
        }
        case T_LINE: rc = lexp__x_eval_line(e, n); break;
        case T_SET: rc = run_set(e, n); break;
        case T_INCLUDE: rc = run_list(e, n->body, rb); break;
        case T_FOR: rc = run_for(e, n, rb); break;
        case T_IF:
            for (int i = 0; i < n->nbranches; i++) {
                const lexp_branch *b = &n->branches[i];
                if (b->cond) {
                    V *c = lexp__eval_expr(e, b->cond);
                    if (!c)
                        return -1;
                    if (!lexp__v_truthy(c))
                        continue;
                }
                rc = run_list(e, b->body, rb);
                break;
            }
            break;
        }
        if (rc)
            return -1;
    }
    return 0;
}

/* Evaluate inline content into rb (reset first). */
int lexp__x_eval_inline(E *e, const lexp_tnode *content, runbuf *rb)
{
    rb_reset(rb);
    return run_list(e, content, rb);
}

/* Plain text of inline content, into the arena. */
const char *lexp__x_inline_string(E *e, const lexp_tnode *content, runbuf *rb)
{
    if (lexp__x_eval_inline(e, content, rb))
        return NULL;
    char *s = lexp__arena_strndup(e->A, rb->text.ptr ? rb->text.ptr : "", rb->text.len);
    if (!s)
        lexp__error_oom(e->err);
    return s;
}

/* ==================================================================== */
/* a standalone evaluator                                                 */

static int period_vars(E *e, const lexp_render_options *opt);

int lexp__eval_open(lexp_eval *e, lexp__arena *A, const lexp_template *t, const lexp_data *data,
                    const lexp_render_options *opt, lexp_error *err)
{
    lexp_render_options defaults = LEXP_RENDER_OPTIONS_INIT;
    memset(e, 0, sizeof *e);
    e->A = A;
    e->mem_base = arena_used(A);
    e->root = data->root;
    e->data_name = data->name;
    e->err = err;
    e->opt = opt ? opt : &defaults;
    e->hints = t && t->nslots ? calloc(t->nslots, sizeof *e->hints) : NULL;
    e->nhints = e->hints ? t->nslots : 0;
    e->jinja = 1; /* office templates are docxtpl's: Jinja's meaning */
    int rc = period_vars(e, opt ? opt : &defaults);
    e->opt = opt; /* the defaults live on this stack frame only */
    return rc;
}

void lexp__eval_close(lexp_eval *e)
{
    free(e->binds);
    free(e->hints);
    lexp__sbuf_free(&e->scratch);
    for (int i = 0; i < e->npool; i++)
        lexp__sbuf_free(&e->pool[i]);
    memset(e, 0, sizeof *e);
}

int lexp__eval_loop_begin(lexp_eval *e, lexp_loopvars *lv, const lexp_value *it, uint32_t len,
                          const char *name, uint32_t nlen, const char *name2, uint32_t n2len)
{
    lexp_loop *loop = lexp__arena_zalloc(e->A, sizeof *loop);
    lexp_value *v = lexp__arena_zalloc(e->A, sizeof *v);
    if (!loop || !v) {
        lexp__error_oom(e->err);
        return -1;
    }
    v->type = LV_LOOP;
    v->u.loop = loop;
    loop->length = len;
    loop->it = it;
    loop->two = name2 != NULL;
    lv->mark = e->nbinds;
    lv->loop = loop;
    lv->it = it;
    lv->two = name2 != NULL;
    if (lexp__eval_bind(e, "loop", 4, v) || lexp__eval_bind(e, name, nlen, &lexp__undef) ||
        (name2 && lexp__eval_bind(e, name2, n2len, &lexp__undef)))
        return -1;
    lv->vars = e->nbinds;
    return 0;
}

int lexp__eval_loop_step(lexp_eval *e, lexp_loopvars *lv, uint32_t i)
{
    lv->loop->index0 = i;
    e->nbinds = lv->vars; /* a set inside the body lasts one iteration */
    if (lv->it->type == LV_ARR && lv->two) {
        /* office templates: for k, v in pairs (items(), dictsort, groupby) */
        V *p = lv->it->u.items[i]; /* a pair: lexp__eval_loop_len checked */
        e->binds[lv->mark + 1].val = p->u.items[0];
        e->binds[lv->mark + 2].val = p->u.items[1];
        return 0;
    }
    if (lv->it->type == LV_ARR) {
        e->binds[lv->mark + 1].val = lv->it->u.items[i];
        return 0;
    }
    const lexp_member *m = &lv->it->u.members[i];
    V *key = lexp__eval_str(e, m->key, m->klen);
    if (!key)
        return -1;
    e->binds[lv->mark + 1].val = key;
    if (lv->two)
        e->binds[lv->mark + 2].val = m->val;
    return 0;
}

/* ==================================================================== */
/* period variables and the document                                      */

/* The variables a render with a period (and/or a date) adds: eval/period.c,
 * documented in templates/README.md. */
static int period_vars(E *e, const lexp_render_options *opt)
{
    return lexp__period_vars(e, opt);
}

static const char *fm_string(E *e, const lexp_fm_text *f, runbuf *rb)
{
    if (!f->content)
        return NULL;
    const char *s = lexp__x_inline_string(e, f->content, rb);
    return (s && *s) ? s : NULL;
}

/* Body rows a table keeps in the tree before it streams. LEXP_STREAM_ROWS
 * overrides it for tests (0: never stream), so both paths can be compared;
 * the output is the same either way. */
static uint32_t stream_threshold(void)
{
    const char *v = getenv("LEXP_STREAM_ROWS");
    if (v && *v >= '0' && *v <= '9')
        return (uint32_t)strtoul(v, NULL, 10);
    return 1000;
}

int lexp_expand(lexp_doc **out, const lexp_template *t, const lexp_data *data,
                const lexp_render_options *opt, lexp_error *err)
{
    lexp_error_clear(err);
    lexp_render_options defaults = LEXP_RENDER_OPTIONS_INIT;
    if (!opt)
        opt = &defaults;
    if (!out || !t || !data)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    *out = NULL;
    struct lexp_doc *d = lexp__doc_new();
    if (!d)
        return lexp__error_oom(err);
    lexp_asm as;
    memset(&as, 0, sizeof as);
    as.block = -1;
    as.container = d->root;
    as.stream_rows = stream_threshold();
    E e;
    memset(&e, 0, sizeof e);
    e.A = &d->arena;
    e.doc = d;
    e.root = data->root;
    e.data_name = data->name;
    e.err = err;
    e.as = &as;
    e.opt = opt;
    e.mem_base = arena_used(e.A);
    e.steps = t->parse_steps; /* parsing the template and its includes counts too */
    e.hints = t->nslots ? calloc(t->nslots, sizeof *e.hints) : NULL;
    e.nhints = e.hints ? t->nslots : 0;
    if (data->nrows && !(e.rows = calloc(data->nrows, sizeof *e.rows))) {
        free(e.hints);
        lexp_doc_free(d);
        return lexp__error_oom(err);
    }
    for (uint32_t i = 0; i < data->nrows; i++) {
        e.rows[i].src = &data->rows[i];
        e.rows[i].mark.type = LV_ARR; /* never seen: every use is an error but the loop's */
    }
    e.nrows = data->nrows;
    d->preset = (lexp_preset)t->preset;
    d->numbering = t->numbering;
    d->page_numbers = t->page_numbers;
    d->src_file = t->name;
    d->formats = t->formats;
    d->base_dir = lexp__arena_strdup(&d->arena, opt->base_dir ? opt->base_dir : data->dir);
    for (int i = 0; i < LEXP_ROLE_COUNT; i++) {
        d->font_path[i] = t->font_path[i];
        d->font_index[i] = t->font_index[i];
    }
    int rc = period_vars(&e, opt);
    if (rc == 0)
        rc = lexp__needs_check(&e, t);
    if (rc == 0) {
        V *brief = lexp__v_getz(data->root, "briefing");
        V *com = lexp__v_getz(data->root, "community");
        d->title = fm_string(&e, &t->title, &as.rb);
        d->subtitle = fm_string(&e, &t->subtitle, &as.rb);
        d->author = fm_string(&e, &t->author, &as.rb);
        d->subject = fm_string(&e, &t->subject, &as.rb);
        d->keywords = fm_string(&e, &t->keywords, &as.rb);
        if (!d->author)
            d->author = lexp__x_field_text(&e, brief, "issuer");
        if (!d->author)
            d->author = lexp__x_field_text(&e, com, "name");
        d->date = lexp__x_doc_date(&e);
        if (lexp__error_is_set(err))
            rc = -1;
        int show = t->show_title >= 0 ? t->show_title : d->preset != LEXP_PRESET_BRIEFING;
        if (rc == 0 && show && d->title) {
            const lexp_fm_text *fts[2] = {&t->title, &t->subtitle};
            for (int i = 0; i < 2 && rc == 0; i++) {
                if (!fts[i]->content)
                    continue;
                lexp_tnode src = {.file = t->name, .line = fts[i]->line, .col = fts[i]->col};
                lexp_node *n = lexp__x_new_node(&e, LEXP_N_TITLE, &src);
                if (!n || lexp__x_eval_inline(&e, fts[i]->content, &as.rb) ||
                    lexp__x_add_runs(&e, n, &as.rb))
                    rc = -1;
                else {
                    n->u.title.level = i;
                    lexp__node_append(d->root, n);
                }
            }
        }
    }
    if (rc == 0)
        rc = run_list(&e, t->body, NULL);
    if (rc == 0)
        rc = lexp__x_close_all(&e);
    if (rc == 0 && lexp__doc_clean(d)) /* what no format can carry goes, for all alike */
        rc = lexp__error_oom(err);
    free(e.binds);
    free(e.hints);
    for (uint32_t i = 0; i < e.nrows; i++)
        lexp__rows_close(e.rows[i].rd); /* a loop closes its reader; this is for safety */
    free(e.rows);
    lexp__sbuf_free(&e.scratch);
    for (int i = 0; i < e.npool; i++)
        lexp__sbuf_free(&e.pool[i]);
    rb_free(&as.rb);
    rb_free(&as.rb2);
    if (rc || lexp__error_is_set(err)) {
        lexp_doc_free(d);
        if (err && err->code == 0)
            lexp__error_set(err, LEXP_EEVAL, t->name, 0, 0, NULL, "evaluation failed");
        return err ? err->code : LEXP_EEVAL;
    }
    *out = d;
    return 0;
}
