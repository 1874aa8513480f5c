/*
 * The book: sheets of rows of cells, as a reader found them.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

void lx_book_init(lx_book *b, const char *file, lexp_error *err)
{
    memset(b, 0, sizeof *b);
    lexp__arena_init(&b->arena);
    b->file = file;
    b->err = err;
}

void lx_book_free(lx_book *b)
{
    for (size_t i = 0; i < b->n; i++) {
        for (size_t k = 0; k < b->sheets[i].nrows; k++)
            free(b->sheets[i].rows[k].cells);
        free(b->sheets[i].rows);
    }
    free(b->sheets);
    lexp__arena_free(&b->arena);
}

int lx_fail(lx_book *b, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lexp__error_vset(b->err, code, b->file, 0, 0, path, fmt, ap);
    va_end(ap);
    return code;
}

lx_sheet *lx_book_add(lx_book *b, const char *name, size_t nlen)
{
    if (b->n >= LX_MAX_SHEETS) {
        lx_fail(b, LEXP_ELIMIT, NULL, "the workbook has more than %d sheets, the limit",
                LX_MAX_SHEETS);
        return NULL;
    }
    if (lexp__grow((void **)&b->sheets, &b->cap, b->n + 1, sizeof *b->sheets) != 0) {
        lexp__error_oom(b->err);
        return NULL;
    }
    lx_sheet *s = &b->sheets[b->n];
    memset(s, 0, sizeof *s);
    s->name = lexp__arena_strndup(&b->arena, name, nlen);
    if (!s->name) {
        lexp__error_oom(b->err);
        return NULL;
    }
    b->n++;
    return s;
}

void lx_where(char *dst, size_t size, const lx_sheet *s, uint32_t c, uint32_t r)
{
    char ref[32];
    lx_cell_ref(ref, sizeof ref, c, r);
    if (s->name[0])
        snprintf(dst, size, "%s!%s", s->name, ref);
    else
        snprintf(dst, size, "%s", ref);
}

lx_row *lx_sheet_row(lx_book *b, lx_sheet *s, uint32_t r)
{
    if (s->nrows && s->rows[s->nrows - 1].r == r)
        return &s->rows[s->nrows - 1];
    if (s->nrows >= LX_MAX_ROWS) {
        lx_fail(b, LEXP_ELIMIT, s->name, "more than %u rows with values, the limit for one sheet",
                (unsigned)LX_MAX_ROWS);
        return NULL;
    }
    if (lexp__grow((void **)&s->rows, &s->cap, s->nrows + 1, sizeof *s->rows) != 0) {
        lexp__error_oom(b->err);
        return NULL;
    }
    lx_row *w = &s->rows[s->nrows++];
    memset(w, 0, sizeof *w);
    w->r = r;
    return w;
}

lx_cell *lx_row_cell(lx_book *b, lx_row *w, uint32_t c)
{
    if (c < 1 || c > LX_MAX_COLS) {
        lx_fail(b, LEXP_ELIMIT, NULL, "a value in column %u of row %u; ledgers have at most %u "
                "columns", (unsigned)c, (unsigned)w->r, (unsigned)LX_MAX_COLS);
        return NULL;
    }
    if (c > w->n) {
        size_t add = c - w->n;
        if (b->ncells + add > LX_MAX_CELLS) {
            lx_fail(b, LEXP_ELIMIT, NULL, "more than %u cells, the limit for a ledger",
                    (unsigned)LX_MAX_CELLS);
            return NULL;
        }
        /* rows grow a column at a time while read: double to stay linear */
        uint32_t cap = w->n ? w->n : 4;
        while (cap < c)
            cap *= 2;
        if (cap > LX_MAX_COLS)
            cap = LX_MAX_COLS;
        lx_cell *nc = realloc(w->cells, (size_t)cap * sizeof *nc);
        if (!nc) {
            lexp__error_oom(b->err);
            return NULL;
        }
        memset(nc + w->n, 0, (size_t)(cap - w->n) * sizeof *nc);
        b->ncells += cap - w->n;
        w->cells = nc;
        w->n = cap;
    }
    return &w->cells[c - 1];
}

static int by_row(const void *a, const void *b)
{
    const lx_row *x = a, *y = b;
    return x->r < y->r ? -1 : x->r > y->r;
}

void lx_sheet_finish(lx_sheet *s)
{
    for (size_t i = 1; i < s->nrows; i++)
        if (s->rows[i].r < s->rows[i - 1].r) {
            qsort(s->rows, s->nrows, sizeof *s->rows, by_row);
            break;
        }
}

const lx_cell *lx_cell_at(const lx_sheet *s, uint32_t r, uint32_t c)
{
    size_t lo = 0, hi = s->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->rows[mid].r < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == s->nrows || s->rows[lo].r != r)
        return NULL;
    const lx_row *w = &s->rows[lo];
    if (c < 1 || c > w->n || w->cells[c - 1].type == LC_EMPTY)
        return NULL;
    return &w->cells[c - 1];
}

void lx_cell_ref(char *dst, size_t size, uint32_t c, uint32_t r)
{
    char col[8];
    int n = 0;
    while (c > 0 && n < 7) {
        c--;
        col[n++] = (char)('A' + c % 26);
        c /= 26;
    }
    char rev[8];
    for (int i = 0; i < n; i++)
        rev[i] = col[n - 1 - i];
    rev[n] = 0;
    snprintf(dst, size, "%s%u", rev, (unsigned)r);
}

int lx_parse_ref(const char *s, uint32_t *c, uint32_t *r)
{
    uint64_t col = 0, row = 0;
    const char *p = s;
    while (*p == '$')
        p++;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
        col = col * 26 + (uint64_t)((*p | 0x20) - 'a' + 1);
        if (col > 16384)
            return 0;
        p++;
    }
    while (*p == '$')
        p++;
    if (col == 0 || *p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9') {
        row = row * 10 + (uint64_t)(*p - '0');
        if (row > 1048576)
            return 0;
        p++;
    }
    if (*p || row == 0)
        return 0;
    *c = (uint32_t)col;
    *r = (uint32_t)row;
    return 1;
}
