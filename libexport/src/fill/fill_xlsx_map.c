/* Excel templates (fill_xlsx.h lists the files). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill_xlsx.h"

/* ==================================================================== */
/* the row mapping                                                        */

fx_op *xs_loop_of(const xs_sheet *s, uint32_t t)
{
    return t >= 1 && t <= s->max_trow ? s->trow_loop[t] : NULL;
}


static void scope_of(const xs_sheet *s, const xs_pos *ctx, uint32_t t, int abs, uint32_t *a,
                     uint32_t *b, const fx_op **L)
{
    *a = 0;
    *b = s->nout;
    *L = NULL;
    if (!ctx || abs)
        return;
    const fx_op *l = fx_lca(xs_loop_of(s, ctx->trow), xs_loop_of(s, t));
    if (!l)
        return;
    uint32_t it = ctx->iter;
    while (it && s->iters[it].loop != l)
        it = s->iters[it].parent;
    if (!it)
        return;
    *a = s->iters[it].a;
    *b = s->iters[it].b;
    *L = l;
}

/* Index of the first of the sorted output rows of template row t that is
 * not below x. */
static uint32_t rows_from(const xs_sheet *s, uint32_t t, uint32_t x, const uint32_t **v,
                          uint32_t *n)
{
    *v = s->csr + s->csr_start[t];
    *n = s->csr_start[t + 1] - s->csr_start[t];
    uint32_t lo = 0, hi = *n;
    while (lo < hi) {
        uint32_t m = lo + (hi - lo) / 2;
        if ((*v)[m] < x)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

/* The first (last) output row of template row t within [a, b). */
static uint32_t first_in(const xs_sheet *s, uint32_t t, uint32_t a, uint32_t b)
{
    const uint32_t *v;
    uint32_t n, i = rows_from(s, t, a, &v, &n);
    return i < n && v[i] < b ? v[i] : NONE;
}

static uint32_t last_in(const xs_sheet *s, uint32_t t, uint32_t a, uint32_t b)
{
    const uint32_t *v;
    uint32_t n, i = rows_from(s, t, b, &v, &n);
    return i > 0 && v[i - 1] >= a ? v[i - 1] : NONE;
}

/* Segment trees over template rows: the first and last output row each
 * made, for ranges in the whole sheet. */
int xs_seg_build(fx_ctx *c, xs_sheet *s)
{
    if (s->seg_min)
        return 0;
    uint32_t n = 1;
    while (n < s->max_trow + 1)
        n *= 2;
    s->seg_n = n;
    s->seg_min = malloc(2 * (size_t)n * sizeof *s->seg_min);
    s->seg_max = malloc(2 * (size_t)n * sizeof *s->seg_max);
    if (!s->seg_min || !s->seg_max)
        return fx_oom(c);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t f = NONE, l = 0;
        if (i >= 1 && i <= s->max_trow && s->csr_start[i + 1] > s->csr_start[i]) {
            f = s->csr[s->csr_start[i]];
            l = s->csr[s->csr_start[i + 1] - 1] + 1;
        }
        s->seg_min[n + i] = f;
        s->seg_max[n + i] = l;
    }
    for (uint32_t i = n; i-- > 1;) {
        uint32_t a = s->seg_min[2 * i], b = s->seg_min[2 * i + 1];
        s->seg_min[i] = a < b ? a : b;
        a = s->seg_max[2 * i];
        b = s->seg_max[2 * i + 1];
        s->seg_max[i] = a > b ? a : b;
    }
    return 0;
}

/* min of first / max of last (NONE when none) over template rows [l, r] */
static uint32_t seg_query(const xs_sheet *s, uint32_t l, uint32_t r, int want_max)
{
    const uint32_t *t = want_max ? s->seg_max : s->seg_min;
    uint32_t res = want_max ? 0 : NONE;
    for (l += s->seg_n, r += s->seg_n + 1; l < r; l >>= 1, r >>= 1) {
        if (l & 1) {
            uint32_t v = t[l++];
            res = want_max ? (v > res ? v : res) : (v < res ? v : res);
        }
        if (r & 1) {
            uint32_t v = t[--r];
            res = want_max ? (v > res ? v : res) : (v < res ? v : res);
        }
    }
    if (want_max)
        return res ? res - 1 : NONE;
    return res;
}

/* The first (last) output row made from template rows [r1, r2] in [a, b). */
static uint32_t bound(const xs_sheet *s, uint32_t r1, uint32_t r2, uint32_t a, uint32_t b,
                      const fx_op *L, int last)
{
    uint32_t hi = r2 < s->max_trow ? r2 : s->max_trow;
    if (r1 > hi)
        return NONE;
    if (!L)
        return seg_query(s, r1, hi, last);
    uint32_t best = NONE;
    uint32_t lo = r1 > s->body_lo[L->id] ? r1 : s->body_lo[L->id];
    if (hi > s->body_hi[L->id])
        hi = s->body_hi[L->id];
    for (uint32_t t = lo; t <= hi && t >= 1; t++) {
        uint32_t v = last ? last_in(s, t, a, b) : first_in(s, t, a, b);
        if (v != NONE && (best == NONE || (last ? v > best : v < best)))
            best = v;
    }
    return best;
}

uint32_t xs_lower(const xs_sheet *s, uint32_t r1, uint32_t r2, uint32_t a, uint32_t b,
                  const fx_op *L)
{
    return bound(s, r1, r2, a, b, L, 0);
}

uint32_t xs_upper(const xs_sheet *s, uint32_t r1, uint32_t r2, uint32_t a, uint32_t b,
                  const fx_op *L)
{
    return bound(s, r1, r2, a, b, L, 1);
}

static int64_t shift_of(const xs_sheet *s) { return (int64_t)s->nout - (int64_t)s->max_trow; }

uint32_t xs_beyond(const xs_sheet *s, uint32_t t)
{
    int64_t v = (int64_t)t + shift_of(s);
    return v >= 1 && v <= FX_XLSX_MAX_ROWS ? (uint32_t)v : 0;
}

/* The output row (1-based, 0: gone) of a single reference to template row t. */
uint32_t xs_map_single(const xs_sheet *s, uint32_t t, int abs, const xs_pos *ctx)
{
    if (t > s->max_trow)
        return xs_beyond(s, t);
    uint32_t a, b;
    const fx_op *L;
    scope_of(s, ctx, t, abs, &a, &b, &L);
    uint32_t v = first_in(s, t, a, b);
    if (v != NONE)
        return v + 1;
    /* t made no row here (a {%tr %} row, a block that ran zero times):
     * the row that now stands where it was */
    v = xs_lower(s, t + 1, s->max_trow, a, b, L);
    if (v != NONE)
        return v + 1;
    return b + 1 <= FX_XLSX_MAX_ROWS ? b + 1 : 0;
}

/* A range of template rows: 0 and (*o1, *o2) 1-based, or 1 if it covers no
 * row any more (then *o1 = *o2 = the row above where it was, 0 if none). */
int xs_map_range(const xs_sheet *s, uint32_t r1, int abs1, uint32_t r2, int abs2, const xs_pos *ctx,
                 uint32_t *o1, uint32_t *o2)
{
    if (r1 > r2) {
        uint32_t t = r1;
        r1 = r2;
        r2 = t;
        int ta = abs1;
        abs1 = abs2;
        abs2 = ta;
    }
    uint32_t a1, b1, a2, b2;
    const fx_op *L1, *L2;
    scope_of(s, ctx, r1, abs1, &a1, &b1, &L1);
    scope_of(s, ctx, r2, abs2, &a2, &b2, &L2);
    uint32_t lo = xs_lower(s, r1, r2, a1, b1, L1);
    uint32_t hi = xs_upper(s, r1, r2, a2, b2, L2);
    if (r2 > s->max_trow && !L2) {
        /* A range to the sheet's last row (Ctrl+Shift+Down, or 3:1048576)
         * means "to the end" and stays so whichever way the rows moved; an
         * end pushed past the last row stops there, as in Excel. */
        uint32_t v = r2 == FX_XLSX_MAX_ROWS ? r2 : xs_beyond(s, r2);
        if (!v && shift_of(s) > 0)
            v = FX_XLSX_MAX_ROWS;
        hi = v ? v - 1 : NONE;
        if (lo == NONE && !L1) {
            uint32_t w = xs_beyond(s, r1 > s->max_trow ? r1 : s->max_trow + 1);
            lo = w ? w - 1 : NONE;
        }
    }
    if (lo != NONE && hi != NONE && lo <= hi) {
        *o1 = lo + 1;
        *o2 = hi + 1;
        return 0;
    }
    uint32_t pos = r2 < s->max_trow ? xs_lower(s, r2 + 1, s->max_trow, 0, s->nout, NULL) : NONE;
    if (pos == NONE)
        pos = s->nout;
    *o1 = *o2 = pos; /* index pos - 1, as a 1-based row */
    return 1;
}

/* ---- formulas: the callback of fx_formula_map ---- */

typedef struct ref_ctx {
    xs_book *B;
    xs_sheet *own;
    const xs_pos *pos;
    const char *where; /* for warnings */
    const char *formula;
} ref_ctx;

static int map_ref(fx_ref *r, void *p)
{
    ref_ctx *rc = p;
    if (r->external)
        return 0;
    xs_sheet *s = rc->own;
    if (r->sheet) {
        s = xs_find_sheet(rc->B, r->sheet, r->sheet_len, xs_looks_quoted(r->sheet, rc->formula));
        if (!s)
            return 0;
    }
    if (!s || r->kind == 'C')
        return 0;
    const xs_pos *ctx = s == rc->own ? rc->pos : NULL;
    /* a reference into one row with blocks over columns moves with its columns */
    uint32_t t0 = r->row[0];
    int cols = s->trow_cmap && r->kind != 'R' && r->row[0] == r->row[1] && t0 <= s->max_trow &&
               s->trow_cmap[t0];
    if (cols)
        xs_map_cols(&s->cmaps[s->trow_cmap[t0] - 1], r, ctx ? ctx->k : -1);
    if (!s->moved)
        return 0;
    if (r->kind == 'c') {
        r->row[0] = r->row[1] = xs_map_single(s, r->row[0], r->rabs[0], ctx);
        return 0;
    }
    uint32_t o1, o2;
    uint32_t t1 = r->row[0], t2 = r->row[1];
    if (xs_map_range(s, t1, r->rabs[0], t2, r->rabs[1], ctx, &o1, &o2)) {
        lexp__warn(rc->B->c->opt, rc->B->c->name,
                   "%s: %s: the range of rows %u:%u covers no rows after filling (the block "
                   "made none); it now refers to row %u, the row above",
                   rc->own ? rc->own->part : "", rc->where ? rc->where : "a formula", t1, t2, o1);
    }
    r->row[0] = o1;
    r->row[1] = o2;
    return 0;
}

int xs_rewrite(xs_book *B, xs_sheet *own, const xs_pos *pos, const char *where, const char *src,
               lexp__sbuf *out, int *changed)
{
    ref_ctx rc = {B, own, pos, where, src};
    out->len = 0;
    if (fx_formula_map(src, strlen(src), map_ref, &rc, out, changed))
        return -1;
    lexp__sbuf_cstr(out);
    return out->oom ? fx_oom(B->c) : 0;
}

/* A reference list ("A1:B2 C3") in a sheet: each as a range in the whole
 * sheet; ones that cover nothing are left out. Returns the new list in out
 * (empty when nothing is left). */
int xs_map_sqref(xs_book *B, xs_sheet *s, const char *src, lexp__sbuf *out)
{
    out->len = 0;
    const char *p = src;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q && *q != ' ')
            q++;
        if (q == p)
            break;
        const char *colon = memchr(p, ':', (size_t)(q - p));
        uint32_t r1, c1, r2, c2;
        int ok = colon ? fx_cell_parse(p, (size_t)(colon - p), &r1, &c1) &&
                             fx_cell_parse(colon + 1, (size_t)(q - colon - 1), &r2, &c2)
                       : fx_cell_parse(p, (size_t)(q - p), &r1, &c1);
        if (!colon) {
            r2 = r1;
            c2 = c1;
        }
        if (!ok) {
            if (out->len)
                lexp__sbuf_putc(out, ' ');
            lexp__sbuf_put(out, p, (size_t)(q - p));
        } else {
            uint32_t o1, o2;
            if (!xs_map_range(s, r1, 1, r2, 1, NULL, &o1, &o2)) {
                char a[4], b[4];
                fx_col_name(c1, a);
                fx_col_name(c2, b);
                if (out->len)
                    lexp__sbuf_putc(out, ' ');
                if (o1 == o2 && c1 == c2)
                    lexp__sbuf_printf(out, "%s%u", a, o1);
                else
                    lexp__sbuf_printf(out, "%s%u:%s%u", a, o1, b, o2);
            }
        }
        p = q;
    }
    lexp__sbuf_cstr(out);
    return out->oom ? fx_oom(B->c) : 0;
}
