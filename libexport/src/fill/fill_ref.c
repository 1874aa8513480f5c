/*
 * Cell references in Excel formulas (A1 style, as files store them).
 *
 * A small scanner, not a formula parser: it skips string literals, error
 * literals, structured references ([…]) and function names, and hands
 * every reference it recognises to a callback — B4, $B$4, B4:C9, 3:5,
 * A:C, each optionally after a sheet name (Sheet1!, 'My sheet'!) — then
 * writes the reference back as the callback left it. Everything else is
 * copied byte for byte. References to other workbooks ([1]Sheet!A1) are
 * passed with `external` set. 3D references (Sheet1:Sheet3!A1) and R1C1
 * are not recognised and stay as they are.
 */
#include <ctype.h>
#include <string.h>

#include "fill.h"

static int name_char(unsigned char ch)
{
    return isalnum(ch) || ch == '_' || ch == '.' || ch == '$' || ch == '\\' || ch == '?' ||
           ch >= 0x80;
}

void fx_col_name(uint32_t col, char out[4])
{
    char tmp[4];
    int n = 0;
    while (col > 0 && n < 3) {
        uint32_t r = (col - 1) % 26;
        tmp[n++] = (char)('A' + r);
        col = (col - 1) / 26;
    }
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
}

typedef struct part {
    int kind; /* 'c' cell, 'C' column, 'R' row, 0 none */
    uint32_t row, col;
    int rabs, cabs;
} part;

/* One side of a reference: s[0..n) made of letters, digits and '$'. */
static part parse_part(const char *s, size_t n)
{
    part p = {0};
    size_t i = 0;
    int d1 = 0;
    if (i < n && s[i] == '$') {
        d1 = 1;
        i++;
    }
    size_t l0 = i;
    uint32_t col = 0;
    while (i < n && i - l0 < 4 && isalpha((unsigned char)s[i])) {
        col = col * 26 + (uint32_t)(toupper((unsigned char)s[i]) - 'A' + 1);
        i++;
    }
    size_t letters = i - l0;
    if (letters > 3)
        return p;
    int d2 = 0;
    if (letters && i < n && s[i] == '$') {
        d2 = 1;
        i++;
    }
    size_t g0 = i;
    uint64_t row = 0;
    while (i < n && i - g0 < 8 && isdigit((unsigned char)s[i]))
        row = row * 10 + (uint64_t)(s[i++] - '0');
    size_t digits = i - g0;
    if (i != n)
        return p;
    if (letters && digits) {
        if (col > FX_XLSX_MAX_COLS || row < 1 || row > FX_XLSX_MAX_ROWS)
            return p;
        p.kind = 'c';
        p.col = col;
        p.row = (uint32_t)row;
        p.cabs = d1;
        p.rabs = d2;
    } else if (letters && !digits && !d2) {
        if (col > FX_XLSX_MAX_COLS)
            return p;
        p.kind = 'C';
        p.col = col;
        p.cabs = d1;
    } else if (!letters && digits) {
        if (row < 1 || row > FX_XLSX_MAX_ROWS)
            return p;
        p.kind = 'R';
        p.row = (uint32_t)row;
        p.rabs = d1;
    }
    return p;
}

int fx_cell_parse(const char *s, size_t n, uint32_t *row, uint32_t *col)
{
    part p = parse_part(s, n);
    if (p.kind != 'c')
        return 0;
    *row = p.row;
    *col = p.col;
    return 1;
}

static size_t ref_span(const char *f, size_t i, size_t n)
{
    size_t j = i;
    while (j < n && (isalnum((unsigned char)f[j]) || f[j] == '$'))
        j++;
    return j;
}

/* Try a reference at f[i]: returns its end, or 0 if there is none. */
static size_t try_ref(const char *f, size_t i, size_t n, fx_ref *r)
{
    size_t j = ref_span(f, i, n);
    if (j == i)
        return 0;
    part a = parse_part(f + i, j - i), b = {0};
    size_t end = j;
    if (j < n && f[j] == ':') {
        size_t k = ref_span(f, j + 1, n);
        if (k > j + 1) {
            b = parse_part(f + j + 1, k - j - 1);
            if (b.kind && b.kind == a.kind)
                end = k;
            else
                b.kind = 0;
        }
    }
    if (!a.kind || (a.kind != 'c' && !b.kind))
        return 0; /* "A" or "3" alone is a name or a number */
    if (end < n && (name_char((unsigned char)f[end]) || f[end] == '(' || f[end] == '[' ||
                    f[end] == '!'))
        return 0;
    r->kind = b.kind ? (a.kind == 'c' ? 'r' : a.kind) : 'c';
    r->row[0] = a.row;
    r->col[0] = a.col;
    r->rabs[0] = a.rabs;
    r->cabs[0] = a.cabs;
    r->row[1] = b.kind ? b.row : a.row;
    r->col[1] = b.kind ? b.col : a.col;
    r->rabs[1] = b.kind ? b.rabs : a.rabs;
    r->cabs[1] = b.kind ? b.cabs : a.cabs;
    return end;
}

static void put_side(lexp__sbuf *o, int kind, uint32_t row, uint32_t col, int rabs, int cabs)
{
    if (kind != 'R') {
        char cn[4];
        fx_col_name(col, cn);
        if (cabs)
            lexp__sbuf_putc(o, '$');
        lexp__sbuf_puts(o, cn);
    }
    if (kind != 'C') {
        if (rabs)
            lexp__sbuf_putc(o, '$');
        lexp__sbuf_printf(o, "%u", row);
    }
}

static void put_ref(lexp__sbuf *o, const fx_ref *r)
{
    int side = r->kind == 'r' ? 'c' : r->kind;
    if ((r->kind != 'C' && (r->row[0] == 0 || r->row[1] == 0)) ||
        (r->kind != 'R' && (r->col[0] == 0 || r->col[1] == 0))) {
        lexp__sbuf_puts(o, "#REF!");
        return;
    }
    put_side(o, side, r->row[0], r->col[0], r->rabs[0], r->cabs[0]);
    if (r->kind != 'c') {
        lexp__sbuf_putc(o, ':');
        put_side(o, side, r->row[1], r->col[1], r->rabs[1], r->cabs[1]);
    }
}

int fx_formula_map(const char *f, size_t n, fx_ref_fn fn, void *p, lexp__sbuf *out,
                   int *changed)
{
    size_t start = out->len;
    size_t i = 0;
    int ext = 0;
    while (i < n) {
        char ch = f[i];
        if (ch == '"') {
            size_t j = i + 1;
            while (j < n) {
                if (f[j] == '"') {
                    if (j + 1 < n && f[j + 1] == '"') {
                        j += 2;
                        continue;
                    }
                    j++;
                    break;
                }
                j++;
            }
            lexp__sbuf_put(out, f + i, j - i);
            i = j;
            continue;
        }
        if (ch == '[') {
            int depth = 0;
            size_t j = i;
            while (j < n) {
                if (f[j] == '[')
                    depth++;
                else if (f[j] == ']' && --depth == 0) {
                    j++;
                    break;
                }
                j++;
            }
            lexp__sbuf_put(out, f + i, j - i);
            /* [1]Sheet!A1: a reference into another workbook follows */
            ext = j < n && (name_char((unsigned char)f[j]) || f[j] == '\'');
            i = j;
            continue;
        }
        if (ch == '#') {
            size_t j = i + 1;
            while (j < n && (isalnum((unsigned char)f[j]) || f[j] == '/' || f[j] == '!' ||
                             f[j] == '?'))
                j++;
            lexp__sbuf_put(out, f + i, j - i);
            i = j;
            continue;
        }
        fx_ref r;
        memset(&r, 0, sizeof r);
        size_t pre = i; /* start of the sheet prefix, if any */
        size_t at = 0;  /* where the reference proper starts */
        if (ch == '\'') {
            size_t j = i + 1;
            while (j < n) {
                if (f[j] == '\'') {
                    if (j + 1 < n && f[j + 1] == '\'') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j++;
            }
            if (j + 1 < n && f[j + 1] == '!') {
                r.sheet = f + i + 1;
                r.sheet_len = j - i - 1;
                at = j + 2;
            } else {
                size_t e = j < n ? j + 1 : n;
                lexp__sbuf_put(out, f + i, e - i);
                i = e;
                continue;
            }
        } else if (name_char((unsigned char)ch)) {
            size_t j = i;
            while (j < n && name_char((unsigned char)f[j]))
                j++;
            if (j < n && f[j] == '!') {
                r.sheet = f + i;
                r.sheet_len = j - i;
                at = j + 1;
            } else if (j < n && (f[j] == '(' || f[j] == '[')) {
                lexp__sbuf_put(out, f + i, j - i); /* a function or a table */
                i = j;
                ext = 0;
                continue;
            } else {
                at = i;
            }
        } else {
            lexp__sbuf_putc(out, ch);
            i++;
            continue;
        }
        size_t end = try_ref(f, at, n, &r);
        if (!end) {
            /* not a reference: copy the name (and its prefix) */
            size_t j = at;
            while (j < n && name_char((unsigned char)f[j]))
                j++;
            if (j == pre)
                j++;
            lexp__sbuf_put(out, f + pre, j - pre);
            i = j;
            ext = 0;
            continue;
        }
        r.external = ext;
        ext = 0;
        if (fn(&r, p))
            return -1;
        lexp__sbuf_put(out, f + pre, at - pre);
        put_ref(out, &r);
        i = end;
    }
    if (changed)
        *changed = out->len - start != n || memcmp(out->ptr + start, f, n) != 0;
    return 0;
}

typedef struct shift {
    int64_t dr, dc;
} shift;

static int shift_ref(fx_ref *r, void *p)
{
    const shift *s = p;
    for (int k = 0; k < 2; k++) {
        if (r->kind != 'C' && !r->rabs[k]) {
            int64_t v = (int64_t)r->row[k] + s->dr;
            r->row[k] = v < 1 || v > FX_XLSX_MAX_ROWS ? 0 : (uint32_t)v;
        }
        if (r->kind != 'R' && !r->cabs[k]) {
            int64_t v = (int64_t)r->col[k] + s->dc;
            r->col[k] = v < 1 || v > FX_XLSX_MAX_COLS ? 0 : (uint32_t)v;
        }
    }
    return 0;
}

int fx_formula_shift(const char *f, size_t n, int64_t drow, int64_t dcol, lexp__sbuf *out)
{
    shift s = {drow, dcol};
    return fx_formula_map(f, n, shift_ref, &s, out, NULL);
}
