/*
 * Workbook writer (see xlsx_book.h for the sheet layout), on the
 * SpreadsheetML writer of xlsx_write.h.
 *
 *   lexp__xbook ── lexp__xw, the format cache, the sheet names in use
 *   └─ lexp__xsheet (one open at a time) ── lexp__xws, per-column
 *        widths, running sums for totals, spans in flight, the first body
 *        rows (kept to link charts to the table's own cells)
 *
 * Notes that shape this file:
 *  - rows go to the writer in order and it keeps only the current one, so
 *    a merge spanning rows in streaming mode is registered once its last
 *    row is written (as the workbook was written with libxlsxwriter's
 *    constant-memory mode before; the merges come out the same);
 *  - a formula needs its result written with it, or readers show 0;
 *  - sheet names are cleaned here: the writer takes them as they are.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xlsx_book.h"
#include "xlsx_write.h"
#include "util/zspool.h"
#include "../doc/style.h"

/* Column widths are in spreadsheet character units. */
#define WIDTH_MIN 6
#define WIDTH_MAX 50 /* wider text wraps inside the column */
#define WIDTH_PAD 2
#define TEXT_WIDTH 90 /* the one column of a text sheet: A4 portrait */
#define LINE_PT 15.0   /* row height per line of 11 pt text */
#define TITLE_PT 24.0
#define ROW_MAX_PT 409.0 /* Excel's tallest row */
#define PORTRAIT_MAX 95 /* widths that fit across A4 portrait at 100% */
#define CHART_ROWS 17   /* rows a chart covers (288 px at 20 px a row) + 1 */
#define MATCH_ROWS 64   /* body rows kept to match charts against */
#define MAX_SUBTOTALS 64
#define MAX_SPANWIDTHS 64
#define FOOTER "&C第 &P 页 共 &N 页"
#define CELL_MAX 32767    /* characters (UTF-16 units) a cell holds */
#define DATE_MAX 2958465  /* 9999-12-31 as a serial date */

enum role {
    R_TITLE = 1,
    R_HEAD,
    R_BODY,
    R_TOTAL,
    R_CHEAD, /* header of a chart's data block */
    R_LINE,
    R_LINE_TITLE,
    R_LINE_HEAD,
    R_LINE_RIGHT,
    R_FRAG /* a fragment of rich text: font only */
};

typedef struct fkey {
    uint8_t role, align, bold, italic;
    uint32_t color; /* 0xRRGGBB | 1u << 24 when set */
    int numfmt;     /* 1-based index into the book's number formats, 0 none */
} fkey;

typedef struct fent {
    fkey k;
    int f; /* the writer's style index */
} fent;

struct lexp__xbook {
    lexp__xw *wb;
    lexp__xprops p;
    int constant_memory;
    fent *fmts;
    size_t nfmts, capfmts;
    char **numfmts;
    size_t nnumfmts, capnumfmts;
    char **names;
    size_t nnames, capnames;
    lexp__xsheet *open; /* the sheet being written, freed on discard */
};

/* A span whose merge is registered later (constant-memory mode). */
typedef struct pending {
    uint32_t first_row, last_row;
    int first_col, last_col;
    int f;
    int active;
} pending;

typedef struct spanw {
    int col, span, width;
} spanw;

/* Last format used per column: rows of a table repeat the same looks, so
 * this saves the cache search on almost every cell. */
typedef struct memo {
    int valid;
    int role;
    lexp_cellkind kind;
    int decimals, thousands, align;
    const char *datefmt;
    uint32_t flags, color;
    int f;
} memo;

struct lexp__xsheet {
    lexp__xbook *b;
    lexp__xws *ws;
    char name[128];
    int text; /* a text sheet */
    int ncols;
    uint32_t row; /* next row to write */
    int title_rows, nheader;
    int body_started, body_closed;
    uint32_t rows_end; /* row after the last table row written */
    char **htext;      /* per column: its header text (the lowest header row) */
    uint32_t body_first, last_data; /* last non-total body row + 1 (0 none) */
    int failed;
    /* per column */
    int *width;
    double *seg_sum, *sub_sum;
    uint32_t *seg_cnt, *sub_cnt;
    int *cover_fmt; /* style index + 1, 0 none */
    uint32_t *cover_last;
    pending *pend;
    memo *memos;
    lexp__xcell *typed;  /* the row being written, numbers recognised */
    double *val;         /* its numeric values, NAN if none */
    /* totals */
    uint32_t seg_first;
    uint32_t sub_rows[MAX_SUBTOTALS];
    int nsub, sub_overflow;
    int seen_total, data_after_total, body_spans;
    /* spanning cells' widths */
    spanw spans[MAX_SPANWIDTHS];
    int nspans;
    /* first body rows, for charts */
    int nkept, kept_overflow;
    double *kval;  /* MATCH_ROWS × ncols */
    char **ktext;  /* MATCH_ROWS × ncols, NULL but for text cells */
    int charts;
    int auto_chart;
    char *title;
    lexp__sbuf scratch;
};

/* ---- errors ------------------------------------------------------------ */

static int sheet_fail(lexp__xsheet *s, int rc)
{
    if (!s->failed)
        s->failed = rc;
    return rc;
}

/* ---- number formats ------------------------------------------------------ */

static void put_literal(lexp__sbuf *b, const char *s, size_t n)
{
    int open = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '"' || ch == '\\') {
            if (open) {
                lexp__sbuf_putc(b, '"');
                open = 0;
            }
            lexp__sbuf_putc(b, '\\');
            lexp__sbuf_putc(b, ch);
            continue;
        }
        if (!open) {
            lexp__sbuf_putc(b, '"');
            open = 1;
        }
        lexp__sbuf_putc(b, ch);
    }
    if (open)
        lexp__sbuf_putc(b, '"');
}

/* The template's date pattern (YYYY YY MM M DD D W, as the date filter
 * reads it) as a spreadsheet date format; everything else is literal. */
static void date_format(lexp__sbuf *b, const char *f)
{
    if (!f || !*f)
        f = "YYYY年M月D日";
    if (strcmp(f, "cn") == 0) {
        /* 二〇二四年九月三十日: Chinese numerals, read the same by Excel and
         * LibreOffice */
        lexp__sbuf_puts(b, "[DBNum1][$-804]yyyy\"年\"m\"月\"d\"日\"");
        return;
    }
    if (strcmp(f, "cn_month") == 0) {
        lexp__sbuf_puts(b, "[DBNum1][$-804]yyyy\"年\"m\"月\"");
        return;
    }
    size_t start = b->len;
    if (strchr(f, 'W'))
        lexp__sbuf_puts(b, "[$-804]"); /* weekday names in Chinese: 一 … 日 */
    const char *lit = NULL;
    for (const char *p = f; *p;) {
        const char *tok = NULL;
        size_t tl = 0;
        if (strncmp(p, "YYYY", 4) == 0)
            tok = "yyyy", tl = 4;
        else if (strncmp(p, "YY", 2) == 0)
            tok = "yy", tl = 2;
        else if (strncmp(p, "MM", 2) == 0)
            tok = "mm", tl = 2;
        else if (*p == 'M')
            tok = "m", tl = 1;
        else if (strncmp(p, "DD", 2) == 0)
            tok = "dd", tl = 2;
        else if (*p == 'D')
            tok = "d", tl = 1;
        else if (*p == 'W')
            tok = "aaa", tl = 1;
        if (!tok) {
            if (!lit)
                lit = p;
            p++;
            continue;
        }
        if (lit) {
            put_literal(b, lit, (size_t)(p - lit));
            lit = NULL;
        }
        lexp__sbuf_puts(b, tok);
        p += tl;
    }
    if (lit)
        put_literal(b, lit, strlen(lit));
    if (b->len - start > 200) { /* Excel allows 255; a pattern this long is not a date */
        b->len = start;
        lexp__sbuf_puts(b, "yyyy\"年\"m\"月\"d\"日\"");
    }
}

void lexp__xlsx_numfmt(lexp__sbuf *b, lexp_cellkind kind, int decimals, int thousands,
                       const char *datefmt)
{
    if (decimals < 0)
        decimals = 0;
    if (decimals > 10)
        decimals = 10;
    switch (kind) {
    case LEXP_CELL_NUMBER:
        /* a computed number printed in full (1/3): the evaluator counts at
         * most 6 decimals, General shows it closer to the text */
        if (!thousands && decimals >= 6)
            break;
        /* fall through */
    case LEXP_CELL_PERCENT:
        lexp__sbuf_puts(b, thousands ? "#,##0" : "0");
        if (decimals > 0) {
            lexp__sbuf_putc(b, '.');
            lexp__sbuf_repeat(b, "0", (size_t)decimals);
        }
        if (kind == LEXP_CELL_PERCENT)
            lexp__sbuf_putc(b, '%');
        break;
    case LEXP_CELL_MONEY: lexp__sbuf_puts(b, "#,##0.00"); break;
    case LEXP_CELL_DATE: date_format(b, datefmt); break;
    default: break;
    }
}

/* ---- numbers written as text ------------------------------------------- */

int lexp__xlsx_text_number(const char *s, lexp__xcell *c)
{
    const char *p = s;
    int neg = 0, thousands = 0, digits = 0, decimals = 0, pct = 0, intdigits = 0;
    double mant = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (*p < '0' || *p > '9')
        return 0;
    if (*p == '0' && p[1] >= '0' && p[1] <= '9')
        return 0; /* a leading zero: an identifier such as 007 */
    int group = 0;
    for (; (*p >= '0' && *p <= '9') || *p == ','; p++) {
        if (*p == ',') {
            /* 12,130: groups of exactly three after a first group of 1–3 */
            int bad_group = thousands ? group != 3 : (group < 1 || group > 3);
            if (bad_group || !(p[1] >= '0' && p[1] <= '9'))
                return 0;
            thousands = 1;
            group = 0;
            continue;
        }
        mant = mant * 10 + (*p - '0');
        group++;
        intdigits++;
        if (*p != '0' || digits)
            digits++;
    }
    if (thousands && group != 3)
        return 0;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            mant = mant * 10 + (*p - '0');
            decimals++;
            if (*p != '0' || digits)
                digits++;
        }
    }
    if (*p == '%') {
        pct = 1;
        p++;
    }
    if (*p || digits > 15 || decimals > 10)
        return 0;
    /* a long bare digit string is a telephone, ID card or account number */
    if (intdigits > 10 && !thousands && decimals == 0 && !pct)
        return 0;
    if (neg && mant == 0)
        return 0; /* -0 cannot be shown as written */
    /* mant < 10^15 and 10^decimals are exact: one correctly rounded division */
    double x = mant / pow(10.0, decimals);
    if (pct)
        x /= 100.0;
    c->kind = pct ? LEXP_CELL_PERCENT : LEXP_CELL_NUMBER;
    c->num = neg ? -x : x;
    c->decimals = decimals;
    c->thousands = thousands;
    return 1;
}

/* ---- sheet names ----------------------------------------------------------- */

void lexp__xlsx_sheet_name(char *dst, const char *name)
{
    size_t n = name ? strlen(name) : 0, o = 0;
    int units = 0;
    const char *p = name, *end = name + n;
    /* leading blanks (ASCII and ideographic space) */
    while (p < end) {
        uint32_t cp;
        size_t l = lexp__utf8_decode(p, (size_t)(end - p), &cp);
        if (l == 0 || !(cp == ' ' || cp == '\t' || cp == 0x3000))
            break;
        p += l;
    }
    while (p < end) {
        uint32_t cp;
        size_t l = lexp__utf8_decode(p, (size_t)(end - p), &cp);
        if (l == 0) { /* not UTF-8: replace the byte */
            cp = '_';
            l = 1;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF ||
            (cp < 0x80 && strchr("[]:*?/\\", (int)cp) != NULL))
            cp = '_';
        int u = cp > 0xFFFF ? 2 : 1;
        if (units + u > 31)
            break;
        o += lexp__utf8_encode(cp, dst + o);
        units += u;
        p += l;
    }
    dst[o] = 0;
    /* trailing blanks, and apostrophes at either end (Excel refuses them) */
    for (;;) {
        if (o > 0 && (dst[o - 1] == ' ' || dst[o - 1] == '\'' || dst[o - 1] == '\t'))
            dst[--o] = 0;
        else if (o >= 3 && memcmp(dst + o - 3, "\xE3\x80\x80", 3) == 0)
            dst[o -= 3] = 0;
        else
            break;
    }
    size_t lead = 0;
    while (dst[lead] == '\'')
        lead++;
    if (lead)
        memmove(dst, dst + lead, o - lead + 1);
}

static int name_eq(const char *a, const char *b)
{
    /* Excel compares sheet names without case */
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int name_taken(const lexp__xbook *b, const char *n)
{
    if (name_eq(n, "history")) /* reserved by Excel */
        return 1;
    for (size_t i = 0; i < b->nnames; i++)
        if (name_eq(b->names[i], n))
            return 1;
    return 0;
}

/* Clean, shorten and make unique; the result is remembered. */
static int claim_name(lexp__xbook *b, char *dst, const char *want)
{
    char base[128];
    lexp__xlsx_sheet_name(base, want);
    if (!*base)
        snprintf(base, sizeof base, "表%zu", b->nnames + 1);
    strcpy(dst, base);
    for (int k = 2; name_taken(b, dst); k++) {
        char suffix[16];
        snprintf(suffix, sizeof suffix, "(%d)", k);
        /* shorten the base so that base + suffix stays within 31 units */
        char shortened[128];
        size_t o = 0;
        int units = 0, room = 31 - (int)strlen(suffix);
        const char *p = base;
        while (*p) {
            uint32_t cp;
            size_t l = lexp__utf8_decode(p, strlen(p), &cp);
            int u = cp > 0xFFFF ? 2 : 1;
            if (l == 0 || units + u > room)
                break;
            memcpy(shortened + o, p, l);
            o += l;
            units += u;
            p += l;
        }
        memcpy(dst, shortened, o);
        memcpy(dst + o, suffix, strlen(suffix) + 1);
    }
    if (b->nnames == b->capnames) {
        size_t cap = b->capnames ? b->capnames * 2 : 8;
        char **v = realloc(b->names, cap * sizeof *v);
        if (!v)
            return -1;
        b->names = v;
        b->capnames = cap;
    }
    b->names[b->nnames] = strdup(dst);
    if (!b->names[b->nnames])
        return -1;
    b->nnames++;
    return 0;
}

/* ---- formats ----------------------------------------------------------------- */

static int numfmt_index(lexp__xbook *b, const char *s)
{
    if (!*s)
        return 0;
    for (size_t i = 0; i < b->nnumfmts; i++)
        if (strcmp(b->numfmts[i], s) == 0)
            return (int)i + 1;
    if (b->nnumfmts == b->capnumfmts) {
        size_t cap = b->capnumfmts ? b->capnumfmts * 2 : 16;
        char **v = realloc(b->numfmts, cap * sizeof *v);
        if (!v)
            return -1;
        b->numfmts = v;
        b->capnumfmts = cap;
    }
    if (!(b->numfmts[b->nnumfmts] = strdup(s)))
        return -1;
    return (int)++b->nnumfmts;
}

static uint8_t xw_align(lexp_align a)
{
    switch (a) {
    case LEXP_ALIGN_LEFT: return LEXP__XW_LEFT;
    case LEXP_ALIGN_CENTER: return LEXP__XW_CENTER;
    case LEXP_ALIGN_RIGHT: return LEXP__XW_RIGHT;
    case LEXP_ALIGN_JUSTIFY: return LEXP__XW_LEFT;
    default: return 0;
    }
}

static int make_format(lexp__xbook *b, const fkey *k)
{
    lexp__xwfmt f;
    memset(&f, 0, sizeof f);
    if (k->role != R_FRAG)
        f.vcenter = 1;
    switch (k->role) {
    case R_TITLE:
    case R_LINE_TITLE:
        f.bold = 1;
        f.size = k->role == R_TITLE ? 14 : 16;
        f.halign = LEXP__XW_CENTER;
        f.wrap = 1;
        break;
    case R_HEAD:
    case R_CHEAD:
        f.bold = 1;
        f.border = 1;
        f.halign = LEXP__XW_CENTER;
        f.wrap = 1;
        f.fill = 0xDDEBF7 | LEXP__XW_SET;
        break;
    case R_TOTAL:
        f.bold = 1;
        f.border = 1;
        f.fill = 0xF2F2F2 | LEXP__XW_SET;
        break;
    case R_BODY: f.border = 1; break;
    case R_LINE_HEAD: f.bold = 1; break;
    case R_LINE_RIGHT: f.halign = LEXP__XW_RIGHT; break;
    default: break;
    }
    if (k->role == R_LINE || k->role == R_LINE_HEAD || k->role == R_LINE_RIGHT)
        f.wrap = 1;
    if ((k->role == R_BODY || k->role == R_TOTAL) && !k->numfmt)
        f.wrap = 1;
    if (k->align && k->role != R_HEAD && k->role != R_CHEAD)
        f.halign = k->align;
    if (k->bold)
        f.bold = 1;
    if (k->italic)
        f.italic = 1;
    if (k->color & (1u << 24))
        f.color = (k->color & 0xFFFFFF) | LEXP__XW_SET;
    if (k->numfmt)
        f.numfmt = b->numfmts[k->numfmt - 1];
    return lexp__xw_format(b->wb, &f);
}

/* The style of a format key, -1 when out of memory. */
static int get_format(lexp__xbook *b, const fkey *k)
{
    for (size_t i = 0; i < b->nfmts; i++) {
        const fkey *e = &b->fmts[i].k;
        if (e->role == k->role && e->align == k->align && e->bold == k->bold &&
            e->italic == k->italic && e->color == k->color && e->numfmt == k->numfmt)
            return b->fmts[i].f;
    }
    if (b->nfmts == b->capfmts) {
        size_t cap = b->capfmts ? b->capfmts * 2 : 32;
        fent *v = realloc(b->fmts, cap * sizeof *v);
        if (!v)
            return -1;
        b->fmts = v;
        b->capfmts = cap;
    }
    int f = make_format(b, k);
    if (f < 0)
        return -1;
    b->fmts[b->nfmts].k = *k;
    b->fmts[b->nfmts].f = f;
    b->nfmts++;
    return f;
}

static int simple_format(lexp__xbook *b, int role)
{
    fkey k = {(uint8_t)role, 0, 0, 0, 0, 0};
    return get_format(b, &k);
}

/* The format of a (typed) cell in a table role. */
static int cell_format(lexp__xsheet *s, int col, int role, const lexp__xcell *c)
{
    memo *m = &s->memos[col];
    if (m->valid && m->role == role && m->kind == c->kind && m->decimals == c->decimals &&
        m->thousands == c->thousands && m->datefmt == c->datefmt && m->align == (int)c->align &&
        m->flags == c->flags && m->color == c->color)
        return m->f;
    lexp__sbuf nf = LEXP__SBUF_INIT;
    lexp__xlsx_numfmt(&nf, c->kind, c->decimals, c->thousands, c->datefmt);
    int idx = numfmt_index(s->b, lexp__sbuf_cstr(&nf));
    int oom = nf.oom;
    lexp__sbuf_free(&nf);
    if (idx < 0 || oom)
        return -1;
    fkey k;
    memset(&k, 0, sizeof k);
    k.role = (uint8_t)role;
    k.align = xw_align(c->align);
    k.bold = (c->flags & LEXP_RUN_BOLD) != 0;
    k.italic = (c->flags & LEXP_RUN_ITALIC) != 0;
    k.color = (c->flags & LEXP_RUN_COLOR) ? (c->color & 0xFFFFFF) | (1u << 24) : 0;
    k.numfmt = idx;
    int f = get_format(s->b, &k);
    if (f >= 0) {
        m->valid = 1;
        m->role = role;
        m->kind = c->kind;
        m->decimals = c->decimals;
        m->thousands = c->thousands;
        m->datefmt = c->datefmt;
        m->align = (int)c->align;
        m->flags = c->flags;
        m->color = c->color;
        m->f = f;
    }
    return f;
}

/* ---- the book ------------------------------------------------------------- */

/* "YYYY-MM-DD" → its midnight UTC as W3CDTF; a fixed date otherwise,
 * never the clock. */
static void creation_time(char *dst, size_t n, const char *date)
{
    int y, m, d;
    if (date && lexp__parse_date(date, strlen(date), &y, &m, &d) && y >= 1970)
        snprintf(dst, n, "%04d-%02d-%02dT00:00:00Z", y, m, d);
    else
        snprintf(dst, n, "1980-01-01T00:00:00Z"); /* as the zip entries */
}

int lexp__xbook_open(lexp__xbook **out, const lexp__xprops *props, lexp_error *err)
{
    *out = NULL;
    lexp__xbook *b = calloc(1, sizeof *b);
    if (!b)
        return lexp__error_oom(err);
    b->p = *props;
    b->constant_memory = props->constant_memory;
    /* the properties go into docProps/core.xml: clean text (util/clean.c) */
    const char *given[4] = {props->title, props->subject, props->author, props->keywords};
    char *clean[4] = {NULL, NULL, NULL, NULL};
    int oom = 0;
    for (int i = 0; i < 4; i++)
        if (given[i] && !(clean[i] = lexp__text_clean_dup(given[i], strlen(given[i]), NULL)))
            oom = 1;
    char created[32];
    creation_time(created, sizeof created, props->date);
    lexp__xwprops wp;
    memset(&wp, 0, sizeof wp);
    wp.title = clean[0];
    wp.subject = clean[1];
    wp.author = clean[2];
    wp.keywords = clean[3];
    wp.created = created;
    wp.stream = props->constant_memory;
    wp.tmpdir = lexp__tmpdir(); /* only streaming needs scratch files */
    int rc = oom ? lexp__error_oom(err) : lexp__xw_new(&b->wb, &wp, err);
    for (int i = 0; i < 4; i++)
        free(clean[i]);
    if (rc) {
        lexp__xbook_discard(b);
        return rc;
    }
    *out = b;
    return 0;
}

static void sheet_free(lexp__xsheet *s);

static void book_free(lexp__xbook *b)
{
    for (size_t i = 0; i < b->nnumfmts; i++)
        free(b->numfmts[i]);
    for (size_t i = 0; i < b->nnames; i++)
        free(b->names[i]);
    free(b->numfmts);
    free(b->names);
    free(b->fmts);
    free(b);
}

void lexp__xbook_discard(lexp__xbook *b)
{
    if (!b)
        return;
    if (b->open)
        sheet_free(b->open);
    lexp__xw_free(b->wb);
    book_free(b);
}

int lexp__xbook_close(lexp__xbook *b, lexp__sbuf *out, lexp_error *err)
{
    return lexp__xbook_close_to(b, out, NULL, err);
}

int lexp__xbook_close_to(lexp__xbook *b, lexp__sbuf *out, const char *to, lexp_error *err)
{
    if (b->open) {
        lexp__xbook_discard(b);
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "xlsx: a worksheet was not finished");
    }
    int rc;
    if (!to && b->p.path)
        to = b->p.path;
    if (!out && !to) {
        /* nowhere to go: the bytes are dropped */
        lexp__sbuf none = LEXP__SBUF_INIT;
        rc = lexp__xw_close(b->wb, &none, NULL, err);
        lexp__sbuf_free(&none);
    } else {
        rc = lexp__xw_close(b->wb, to ? NULL : out, to, err);
    }
    b->wb = NULL;
    book_free(b);
    return rc;
}

/* ---- sheets ------------------------------------------------------------------- */

static void sheet_free(lexp__xsheet *s)
{
    if (!s)
        return;
    if (s->ktext)
        for (int i = 0; i < MATCH_ROWS * s->ncols; i++)
            free(s->ktext[i]);
    free(s->ktext);
    if (s->htext)
        for (int i = 0; i < s->ncols; i++)
            free(s->htext[i]);
    free(s->htext);
    free(s->kval);
    free(s->width);
    free(s->seg_sum);
    free(s->sub_sum);
    free(s->seg_cnt);
    free(s->sub_cnt);
    free(s->cover_fmt);
    free(s->cover_last);
    free(s->pend);
    free(s->memos);
    free(s->typed);
    free(s->val);
    free(s->title);
    lexp__sbuf_free(&s->scratch);
    if (s->b && s->b->open == s)
        s->b->open = NULL;
    free(s);
}

static int sheet_new(lexp__xsheet **out, lexp__xbook *b, const char *name, int ncols,
                     lexp_error *err)
{
    *out = NULL;
    if (b->open)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "xlsx: the previous worksheet was not finished");
    if (ncols <= 0 || ncols > LEXP__XLSX_MAX_COLS)
        return lexp__error_set(err, LEXP_ELIMIT, NULL, 0, 0, NULL,
                               "xlsx: a worksheet holds 1 to %d columns; this table has %d",
                               LEXP__XLSX_MAX_COLS, ncols);
    lexp__xsheet *s = calloc(1, sizeof *s);
    if (!s)
        return lexp__error_oom(err);
    s->b = b;
    s->ncols = ncols;
    size_t n = (size_t)ncols;
    s->width = calloc(n, sizeof *s->width);
    s->seg_sum = calloc(n, sizeof *s->seg_sum);
    s->sub_sum = calloc(n, sizeof *s->sub_sum);
    s->seg_cnt = calloc(n, sizeof *s->seg_cnt);
    s->sub_cnt = calloc(n, sizeof *s->sub_cnt);
    s->cover_fmt = calloc(n, sizeof *s->cover_fmt);
    s->cover_last = calloc(n, sizeof *s->cover_last);
    s->pend = calloc(n, sizeof *s->pend);
    s->memos = calloc(n, sizeof *s->memos);
    s->typed = calloc(n, sizeof *s->typed);
    s->val = calloc(n, sizeof *s->val);
    s->kval = calloc(n * MATCH_ROWS, sizeof *s->kval);
    s->ktext = calloc(n * MATCH_ROWS, sizeof *s->ktext);
    s->htext = calloc(n, sizeof *s->htext);
    if (!s->htext || !s->width || !s->seg_sum || !s->sub_sum || !s->seg_cnt || !s->sub_cnt ||
        !s->cover_fmt || !s->cover_last || !s->pend || !s->memos || !s->typed ||
        !s->val || !s->kval || !s->ktext || claim_name(b, s->name, name) != 0) {
        sheet_free(s);
        return lexp__error_oom(err);
    }
    int rc = lexp__xw_sheet(b->wb, s->name, &s->ws, err);
    if (rc) {
        sheet_free(s);
        return rc;
    }
    b->open = s;
    *out = s;
    return 0;
}

static void col_name(char *dst, int col)
{
    lexp__xw_col_name(dst, col);
}

/* Width of a typed cell given without its text: from the number and the
 * format, close enough for a column width. */
static int estimated_width(const lexp__xcell *c)
{
    if (c->kind == LEXP_CELL_DATE) {
        const char *f = c->datefmt && *c->datefmt ? c->datefmt : "YYYY年M月D日";
        if (strncmp(f, "cn", 2) == 0)
            return 22; /* 二〇二四年九月三十日 */
        int w = 0;
        for (const char *p = f; *p;) {
            uint32_t cp;
            size_t l = lexp__utf8_decode(p, strlen(p), &cp);
            if (l == 0)
                l = 1, cp = '?';
            /* a lone M or D is one or two digits */
            int lone = (cp == 'M' || cp == 'D') && p[1] != (char)cp &&
                       (p == f || p[-1] != (char)cp);
            w += lone ? 2 : lexp__char_width(cp);
            p += l;
        }
        return w;
    }
    double x = fabs(c->kind == LEXP_CELL_PERCENT ? c->num * 100 : c->num);
    int digits = 1;
    for (double t = 10; t <= x && digits < 16; t *= 10)
        digits++;
    int w = digits + (c->num < 0) + (c->decimals > 0 ? c->decimals + 1 : 0);
    if (c->thousands || c->kind == LEXP_CELL_MONEY)
        w += (digits - 1) / 3;
    if (c->kind == LEXP_CELL_MONEY)
        w += 3;
    return w + (c->kind == LEXP_CELL_PERCENT);
}

/* Display width of what a cell shows. */
static int shown_width(lexp__xsheet *s, const lexp__xcell *c)
{
    if (!c->text && c->kind != LEXP_CELL_TEXT)
        return estimated_width(c);
    if (c->kind == LEXP_CELL_MONEY) {
        /* shown as 1,234.50 whatever the template wrote (大写 amounts) */
        s->scratch.len = 0;
        lexp__fmt_fixed(&s->scratch, c->num, 2, 1);
        return (int)s->scratch.len;
    }
    const char *t = c->text ? c->text : "";
    return (int)lexp__str_width(t, strlen(t));
}

static double row_height(double per_line, int lines)
{
    double h = per_line * lines;
    return h > ROW_MAX_PT ? ROW_MAX_PT : h;
}

static int is_numeric(const lexp__xcell *c)
{
    return c->kind == LEXP_CELL_NUMBER || c->kind == LEXP_CELL_PERCENT ||
           c->kind == LEXP_CELL_MONEY;
}

static int close_enough(double a, double b)
{
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= 1e-9 * (m > 1 ? m : 1);
}

/* Merges whose last row is `r`, held back in constant-memory mode; called
 * once row `r` is written. */
static int flush_pending(lexp__xsheet *s, uint32_t r, int all, lexp_error *err)
{
    int rc = 0;
    for (int c = 0; c < s->ncols; c++) {
        pending *p = &s->pend[c];
        if (!p->active || (!all && p->last_row != r))
            continue;
        uint32_t last = p->last_row;
        if (all && last >= s->rows_end) /* the rows ended early: merge what exists */
            last = s->rows_end ? s->rows_end - 1 : 0;
        /* merging within the current row would blank the anchor: a span cut
         * down to its first row stays unmerged */
        if (last > p->first_row && !rc)
            rc = lexp__xws_merge(s->ws, p->first_row, p->first_col, last, p->last_col, err);
        p->active = 0;
    }
    return rc;
}

static int write_text(lexp__xsheet *s, uint32_t r, int c, const lexp__xcell *v, int f,
                      lexp_error *err)
{
    if (v->runs && v->runs->n > 1) {
        /* mixed looks inside a cell: rich text, one fragment per run */
        uint32_t n = v->runs->n;
        lexp__xwfrag *frags = calloc(n, sizeof *frags);
        char **texts = calloc(n, sizeof *texts);
        int k = 0, rc = 0;
        if (!frags || !texts)
            rc = lexp__error_oom(err);
        for (uint32_t i = 0; !rc && i < n; i++) {
            const lexp_run *run = &v->runs->v[i];
            if (run->len == 0)
                continue;
            texts[k] = malloc(run->len + 1);
            if (!texts[k]) {
                rc = lexp__error_oom(err);
                break;
            }
            for (uint32_t j = 0; j < run->len; j++) {
                char ch = run->text[j];
                texts[k][j] = (ch == '\n' || ch == '\t') ? ' ' : ch;
            }
            texts[k][run->len] = 0;
            frags[k].text = texts[k];
            frags[k].len = run->len;
            frags[k].bold = (run->flags & LEXP_RUN_BOLD) || (v->flags & LEXP_RUN_BOLD);
            frags[k].italic = (run->flags & LEXP_RUN_ITALIC) != 0;
            frags[k].color =
                (run->flags & LEXP_RUN_COLOR) ? (run->color & 0xFFFFFF) | LEXP__XW_SET : 0;
            k++;
        }
        if (!rc) {
            if (k >= 2)
                rc = lexp__xws_rich(s->ws, r, c, frags, k, f, err);
            else
                rc = lexp__xws_string(s->ws, r, c, v->text ? v->text : "", f, err);
        }
        for (int i = 0; texts && i < k; i++)
            free(texts[i]);
        free(texts);
        free(frags);
        return rc;
    }
    if (!v->text || !*v->text)
        return lexp__xws_blank(s->ws, r, c, f, err);
    if (strlen(v->text) > CELL_MAX) {
        /* bytes ≥ UTF-16 units, so only long texts need counting */
        size_t o = 0, units = 0, n = strlen(v->text);
        while (o < n) {
            uint32_t cp;
            size_t l = lexp__utf8_decode(v->text + o, n - o, &cp);
            size_t u = cp > 0xFFFF ? 2 : 1;
            if (l == 0 || units + u > CELL_MAX)
                break;
            o += l;
            units += u;
        }
        if (o < n) {
            lexp__warn(s->b->p.opt, NULL,
                       "xlsx: a cell of worksheet \"%s\" (row %u) holds more than %d "
                       "characters; the rest is left out",
                       s->name, r + 1, CELL_MAX);
            char *t = malloc(o + 1);
            if (!t)
                return lexp__error_oom(err);
            memcpy(t, v->text, o);
            t[o] = 0;
            int rc = lexp__xws_string(s->ws, r, c, t, f, err);
            free(t);
            return rc;
        }
    }
    return lexp__xws_string(s->ws, r, c, v->text, f, err);
}

/* A totals cell: =SUM over the body rows since the previous totals row,
 * or over earlier subtotals (and rows after them) for a grand total —
 * whichever gives the template's number. Returns 1 when written as such,
 * 2 when it was the grand-total kind, 0 to write the plain number. */
static int total_formula(lexp__xsheet *s, uint32_t r, int c, double v, int f,
                         lexp_error *err, int *rc)
{
    char ref[32], ref2[32], colv[8];
    col_name(colv, c);
    lexp__sbuf *fs = &s->scratch;
    fs->len = 0;
    int kind = 0;
    int has_rows = r > s->seg_first;
    if (has_rows && s->seg_cnt[c] > 0 && close_enough(s->seg_sum[c], v)) {
        snprintf(ref, sizeof ref, "%s%u", colv, s->seg_first + 1);
        snprintf(ref2, sizeof ref2, "%s%u", colv, r);
        lexp__sbuf_printf(fs, "=SUM(%s:%s)", ref, ref2);
        kind = 1;
    } else if (s->nsub > 0 && !s->sub_overflow && s->sub_cnt[c] > 0 &&
               close_enough(s->sub_sum[c] + s->seg_sum[c], v)) {
        lexp__sbuf_puts(fs, "=SUM(");
        for (int i = 0; i < s->nsub; i++)
            lexp__sbuf_printf(fs, "%s%s%u", i ? "," : "", colv, s->sub_rows[i] + 1);
        if (has_rows && s->seg_cnt[c] > 0)
            lexp__sbuf_printf(fs, ",%s%u:%s%u", colv, s->seg_first + 1, colv, r);
        lexp__sbuf_putc(fs, ')');
        kind = 2;
    }
    if (!kind)
        return 0;
    if (fs->oom) {
        *rc = lexp__error_oom(err);
        return kind;
    }
    *rc = lexp__xws_formula(s->ws, r, c, lexp__sbuf_cstr(fs), v, f, err);
    return kind;
}

/* Keep a body row's values for chart matching. */
static int keep_row(lexp__xsheet *s)
{
    if (s->nkept >= MATCH_ROWS) {
        s->kept_overflow = 1;
        return 0;
    }
    int base = s->nkept * s->ncols;
    for (int c = 0; c < s->ncols; c++) {
        const lexp__xcell *v = &s->typed[c];
        s->kval[base + c] = s->val[c];
        /* labels are texts: a chart over date cells would get a date axis
         * showing serial numbers, so dates are not kept as labels */
        if (v->kind == LEXP_CELL_TEXT && !v->covered) {
            s->ktext[base + c] = strdup(v->text ? v->text : "");
            if (!s->ktext[base + c])
                return -1;
        }
    }
    s->nkept++;
    return 0;
}

/* The autofilter covers the header's last row and the body rows up to the
 * last data row. It is set when that row is known: before a totals row
 * and when the body ends. */
static int set_filter(lexp__xsheet *s, lexp_error *err)
{
    if (s->text || s->nheader <= 0 || s->last_data == 0 || s->ncols < 2)
        return 0;
    uint32_t hrow = (uint32_t)(s->title_rows + s->nheader - 1);
    (void)err;
    lexp__xws_autofilter(s->ws, hrow, 0, s->last_data - 1, s->ncols - 1);
    return 0;
}

/* Write one row of a table sheet in `role` (R_HEAD, R_BODY; totals rows are
 * R_BODY rows with row->total). */
static int write_row(lexp__xsheet *s, const lexp__xrow *row, int role, lexp_error *err)
{
    if (s->failed)
        return s->failed;
    if (s->body_closed)
        return sheet_fail(s, lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                                             "xlsx: table rows must come before charts"));
    uint32_t r = s->row;
    if (r >= LEXP__XLSX_MAX_ROWS)
        return sheet_fail(s, lexp__error_set(err, LEXP_ELIMIT, NULL, 0, 0, NULL,
                                             "xlsx: worksheet \"%s\" is full: a worksheet "
                                             "holds %u rows",
                                             s->name, LEXP__XLSX_MAX_ROWS));
    int total = role == R_BODY && row->total;
    if (total)
        role = R_TOTAL;
    int body = role != R_HEAD;
    int nc = s->ncols, lines = 1, spans = 0, rc0;
    /* pass 1: what each cell is, how wide, how many lines */
    for (int c = 0; c < nc; c++) {
        lexp__xcell *v = &s->typed[c];
        *v = row->cells[c];
        if (v->colspan < 1)
            v->colspan = 1;
        if (v->rowspan < 1)
            v->rowspan = 1;
        if (v->colspan > nc - c)
            v->colspan = nc - c;
        s->val[c] = NAN;
        if (v->covered) {
            spans = 1;
            continue;
        }
        if (v->colspan > 1 || v->rowspan > 1)
            spans = 1;
        /* a value no spreadsheet can hold is shown as its text */
        if (v->kind != LEXP_CELL_TEXT &&
            (!isfinite(v->num) ||
             (v->kind == LEXP_CELL_DATE && (v->num < 1 || v->num > DATE_MAX))))
            v->kind = LEXP_CELL_TEXT;
        if (v->kind == LEXP_CELL_TEXT && !v->runs && v->text)
            lexp__xlsx_text_number(v->text, v);
        if (is_numeric(v))
            s->val[c] = v->num;
        /* a text is never wider than its bytes (a Han character: 3 bytes, 2
         * columns): most cells of a long table need no measuring */
        if (v->colspan == 1 && v->kind == LEXP_CELL_TEXT && v->text) {
            size_t bytes = strlen(v->text);
            if ((int)bytes <= s->width[c] && (int)bytes + WIDTH_PAD <= WIDTH_MAX)
                continue;
        }
        int w = shown_width(s, v);
        if (v->colspan == 1) {
            if (w > s->width[c])
                s->width[c] = w;
            if (w + WIDTH_PAD > WIDTH_MAX && v->kind == LEXP_CELL_TEXT) {
                int l = (w + WIDTH_MAX - WIDTH_PAD - 1) / (WIDTH_MAX - WIDTH_PAD);
                if (l > lines)
                    lines = l;
            }
        } else {
            int k;
            for (k = 0; k < s->nspans; k++)
                if (s->spans[k].col == c && s->spans[k].span == v->colspan)
                    break;
            if (k < s->nspans) {
                if (w > s->spans[k].width)
                    s->spans[k].width = w;
            } else if (s->nspans < MAX_SPANWIDTHS) {
                s->spans[s->nspans].col = c;
                s->spans[s->nspans].span = v->colspan;
                s->spans[s->nspans].width = w;
                s->nspans++;
            }
        }
    }
    if (lines > 1 && (rc0 = lexp__xws_row_height(s->ws, r, row_height(LINE_PT, lines), err)))
        return sheet_fail(s, rc0);
    if (total && s->last_data > 0 && (rc0 = set_filter(s, err)))
        return sheet_fail(s, rc0);
    int rc = 0, grand = 0;
    /* pass 2: write */
    for (int c = 0; c < nc && !rc; c++) {
        lexp__xcell *v = &s->typed[c];
        if (v->covered) {
            int f = r <= s->cover_last[c] && s->cover_fmt[c] ? s->cover_fmt[c] - 1
                                                              : simple_format(s->b, role);
            if (f < 0)
                rc = lexp__error_oom(err);
            else
                rc = lexp__xws_blank(s->ws, r, c, f, err);
            continue;
        }
        int f = cell_format(s, c, role, v);
        if (f < 0) {
            rc = lexp__error_oom(err);
            break;
        }
        if (v->colspan > 1 || v->rowspan > 1) {
            uint32_t last_row = r + (uint32_t)v->rowspan - 1;
            if (last_row >= LEXP__XLSX_MAX_ROWS)
                last_row = LEXP__XLSX_MAX_ROWS - 1;
            int last_col = c + v->colspan - 1;
            for (int k = c; k <= last_col; k++) {
                s->cover_fmt[k] = f + 1;
                s->cover_last[k] = last_row;
            }
            if (!s->b->constant_memory || v->rowspan == 1) {
                rc = lexp__xws_merge(s->ws, r, c, last_row, last_col, err);
            } else {
                pending *p = &s->pend[c];
                if (p->active) /* a span still open in this column: close it */
                    rc = lexp__xws_merge(s->ws, p->first_row, p->first_col,
                                         r - 1 > p->first_row ? r - 1 : p->first_row,
                                         p->last_col, err);
                p->first_row = r;
                p->last_row = last_row;
                p->first_col = c;
                p->last_col = last_col;
                p->f = f;
                p->active = 1;
            }
        }
        if (rc)
            break;
        if (v->kind == LEXP_CELL_TEXT) {
            rc = write_text(s, r, c, v, f, err);
            continue;
        }
        if (v->formula && is_numeric(v)) {
            rc = lexp__xws_formula(s->ws, r, c, v->formula, v->num, f, err);
            continue;
        }
        if (total && is_numeric(v)) {
            int k = total_formula(s, r, c, v->num, f, err, &rc);
            if (k == 2)
                grand = 1;
            if (k)
                continue;
        }
        rc = lexp__xws_number(s->ws, r, c, v->num, f, err);
    }
    if (rc)
        return sheet_fail(s, rc);
    /* after the row's own cells: its earlier rows are on disk by now, so the
     * merge cannot overwrite the anchor's value */
    if (s->b->constant_memory && (rc = flush_pending(s, r, 0, err)))
        return sheet_fail(s, rc);
    s->row++;
    s->rows_end = s->row;
    if (!body) {
        for (int c = 0; c < nc; c++) {
            const lexp__xcell *v = &s->typed[c];
            if (v->covered || !v->text || !*v->text)
                continue;
            char *t = strdup(v->text);
            if (!t)
                return sheet_fail(s, lexp__error_oom(err));
            free(s->htext[c]);
            s->htext[c] = t;
        }
        return 0;
    }
    /* bookkeeping for totals and charts */
    if (!s->body_started) {
        s->body_started = 1;
        s->body_first = r;
        s->seg_first = r;
    }
    if (spans)
        s->body_spans = 1;
    if (total) {
        s->seen_total = 1;
        int has_rows = r > s->seg_first;
        if (grand || !has_rows) {
            s->nsub = 0;
            s->sub_overflow = 0;
            memset(s->sub_sum, 0, (size_t)nc * sizeof *s->sub_sum);
            memset(s->sub_cnt, 0, (size_t)nc * sizeof *s->sub_cnt);
        } else if (s->nsub < MAX_SUBTOTALS) {
            s->sub_rows[s->nsub++] = r;
            for (int c = 0; c < nc; c++)
                if (!isnan(s->val[c])) {
                    s->sub_sum[c] += s->val[c];
                    s->sub_cnt[c]++;
                }
        } else {
            s->sub_overflow = 1;
        }
        s->seg_first = r + 1;
        memset(s->seg_sum, 0, (size_t)nc * sizeof *s->seg_sum);
        memset(s->seg_cnt, 0, (size_t)nc * sizeof *s->seg_cnt);
        return 0;
    }
    if (s->seen_total)
        s->data_after_total = 1;
    s->last_data = r + 1;
    for (int c = 0; c < nc; c++)
        if (!isnan(s->val[c])) {
            s->seg_sum[c] += s->val[c];
            s->seg_cnt[c]++;
        }
    if (keep_row(s))
        return sheet_fail(s, lexp__error_oom(err));
    return 0;
}

int lexp__xsheet_table(lexp__xsheet **out, lexp__xbook *b, const lexp__xtable *spec,
                       lexp_error *err)
{
    lexp__xsheet *s;
    int rc = sheet_new(&s, b, spec->name, spec->ncols, err);
    if (rc)
        return rc;
    s->nheader = spec->nheader > 0 ? spec->nheader : 0;
    s->auto_chart = spec->auto_chart;
    if (spec->title && *spec->title) {
        s->title = strdup(spec->title);
        if (!s->title) {
            sheet_free(s);
            return lexp__error_oom(err);
        }
        s->title_rows = 1;
        int f = simple_format(b, R_TITLE);
        if (f < 0) {
            sheet_free(s);
            return lexp__error_oom(err);
        }
        /* tall enough for the title to wrap within the header's width */
        int hw = 0;
        for (int c = 0; c < s->ncols; c++) {
            int w = WIDTH_MIN;
            for (int h = 0; h < s->nheader; h++) {
                const lexp__xcell *hc = &spec->header[h].cells[c];
                if (!hc->covered && (hc->colspan <= 1) && hc->text) {
                    int cw = (int)lexp__str_width(hc->text, strlen(hc->text)) + WIDTH_PAD;
                    if (cw > w)
                        w = cw > WIDTH_MAX ? WIDTH_MAX : cw;
                }
            }
            hw += w;
        }
        /* 14 pt bold: about 1.4 units a column unit of 11 pt text */
        int tw = (int)(lexp__str_width(spec->title, strlen(spec->title)) * 1.4) + 2;
        int lines = hw > 0 ? (tw + hw - 1) / hw : 1;
        if (lines < 1)
            lines = 1;
        /* the title in the first cell, the others blank in its format, merged */
        rc = lexp__xws_row_height(s->ws, 0, row_height(TITLE_PT, lines), err);
        if (!rc)
            rc = lexp__xws_string(s->ws, 0, 0, spec->title, f, err);
        for (int c = 1; c < s->ncols && !rc; c++)
            rc = lexp__xws_blank(s->ws, 0, c, f, err);
        if (!rc && s->ncols > 1)
            rc = lexp__xws_merge(s->ws, 0, 0, 0, s->ncols - 1, err);
        if (rc) {
            sheet_free(s);
            return rc;
        }
        s->row = 1;
    }
    for (int h = 0; h < s->nheader; h++)
        if ((rc = write_row(s, &spec->header[h], R_HEAD, err))) {
            sheet_free(s);
            return rc;
        }
    *out = s;
    return 0;
}

uint32_t lexp__xsheet_next_row(const lexp__xsheet *s) { return s->row; }

int lexp__xsheet_row(lexp__xsheet *s, const lexp__xrow *row, lexp_error *err)
{
    return write_row(s, row, R_BODY, err);
}

int lexp__xsheet_text(lexp__xsheet **out, lexp__xbook *b, const char *name, const char *title,
                      lexp_error *err)
{
    lexp__xsheet *s;
    int rc = sheet_new(&s, b, name, 1, err);
    if (rc)
        return rc;
    s->text = 1;
    s->width[0] = TEXT_WIDTH - WIDTH_PAD;
    *out = s;
    if (title && *title && (rc = lexp__xsheet_line(s, title, LEXP__XLINE_TITLE, err))) {
        sheet_free(s);
        *out = NULL;
    }
    return rc;
}

int lexp__xsheet_line(lexp__xsheet *s, const char *text, lexp__xline style, lexp_error *err)
{
    if (s->failed)
        return s->failed;
    uint32_t r = s->row;
    if (r >= LEXP__XLSX_MAX_ROWS)
        return sheet_fail(s, lexp__error_set(err, LEXP_ELIMIT, NULL, 0, 0, NULL,
                                             "xlsx: worksheet \"%s\" is full", s->name));
    int role = style == LEXP__XLINE_TITLE     ? R_LINE_TITLE
               : style == LEXP__XLINE_HEADING ? R_LINE_HEAD
               : style == LEXP__XLINE_RIGHT   ? R_LINE_RIGHT
                                              : R_LINE;
    int f = simple_format(s->b, role);
    if (f < 0)
        return sheet_fail(s, lexp__error_oom(err));
    double scale = role == R_LINE_TITLE ? 1.5 : 1.0;
    int w = (int)(lexp__str_width(text, strlen(text)) * scale);
    int per = TEXT_WIDTH - WIDTH_PAD;
    int lines = w > per ? (w + per - 1) / per : 1;
    double pt = row_height(role == R_LINE_TITLE ? TITLE_PT : LINE_PT, lines);
    int rc = 0;
    if (lines > 1 || role == R_LINE_TITLE)
        rc = lexp__xws_row_height(s->ws, r, pt, err);
    if (!rc && *text)
        rc = lexp__xws_string(s->ws, r, 0, text, f, err);
    if (rc)
        return sheet_fail(s, rc);
    s->row++;
    return 0;
}

/* ---- charts ------------------------------------------------------------------ */

/* No more table rows: spans still open are merged as far as rows exist. */
static int end_body(lexp__xsheet *s, lexp_error *err)
{
    if (s->body_closed)
        return 0;
    s->body_closed = 1;
    int rc;
    if (s->b->constant_memory && (rc = flush_pending(s, 0, 1, err)))
        return sheet_fail(s, rc);
    if (s->last_data > 0 && s->last_data == s->rows_end)
        return sheet_fail(s, set_filter(s, err));
    return 0;
}

/* A chart of rows r1..r2 (labels in column lc, values in vc, which are
 * `labels` and `values`), below everything written so far. */
static int add_chart(lexp__xsheet *s, lexp_chartkind kind, const char *title, const char *series,
                     uint32_t r1, uint32_t r2, int lc, int vc, const char *const *labels,
                     const double *values, lexp_error *err)
{
    lexp__xwchart ch;
    memset(&ch, 0, sizeof ch);
    ch.pie = kind == LEXP_CHART_PIE;
    ch.title = title && *title ? title : NULL;
    ch.series = series && *series ? series : NULL;
    ch.first_row = r1;
    ch.last_row = r2;
    ch.label_col = lc;
    ch.value_col = vc;
    ch.labels = labels;
    ch.values = values;
    /* the colours of PDF and DOCX (doc/style.c) */
    ch.palette = lexp__chart_palette;
    ch.ncolors = LEXP_CHART_COLORS;
    /* below everything written so far, one blank row between */
    uint32_t at = s->row + 1;
    ch.at_row = at;
    int rc = lexp__xws_chart(s->ws, &ch, err);
    if (rc)
        return sheet_fail(s, rc);
    s->row = at + CHART_ROWS;
    s->charts++;
    return 0;
}

/* Columns (label, value) of the kept body rows that hold exactly the
 * chart's data, in order. */
static int match_chart(const lexp__xsheet *s, const lexp__xchart *ch, int *lc, int *vc)
{
    /* merged cells elsewhere do not matter: a covered cell never matches */
    if (s->text || s->kept_overflow || s->data_after_total || ch->n != s->nkept || ch->n == 0)
        return 0;
    int nc = s->ncols;
    for (int l = 0; l < nc; l++) {
        int ok = 1;
        for (int i = 0; i < ch->n && ok; i++) {
            const char *t = s->ktext[i * nc + l];
            ok = t && ch->labels[i] && strcmp(t, ch->labels[i]) == 0;
        }
        if (!ok)
            continue;
        for (int v = 0; v < nc; v++) {
            int vok = v != l;
            for (int i = 0; i < ch->n && vok; i++) {
                double x = s->kval[i * nc + v];
                vok = !isnan(x) && close_enough(x, ch->values[i]);
            }
            if (vok) {
                *lc = l;
                *vc = v;
                return 1;
            }
        }
    }
    return 0;
}

int lexp__xsheet_chart(lexp__xsheet *s, const lexp__xchart *ch, lexp_error *err)
{
    if (s->failed)
        return s->failed;
    int rc = end_body(s, err);
    if (rc || ch->n <= 0)
        return rc;
    int lc, vc;
    if (match_chart(s, ch, &lc, &vc))
        return add_chart(s, ch->kind, ch->title, ch->series, s->body_first,
                         s->body_first + (uint32_t)ch->n - 1, lc, vc, ch->labels, ch->values,
                         err);
    /* the chart's own data, as a small table above it */
    if ((uint64_t)s->row + (uint64_t)ch->n + CHART_ROWS + 3 >= LEXP__XLSX_MAX_ROWS)
        return sheet_fail(s, lexp__error_set(err, LEXP_ELIMIT, NULL, 0, 0, NULL,
                                             "xlsx: no room left in worksheet \"%s\" for a "
                                             "chart's data",
                                             s->name));
    int hf = simple_format(s->b, R_CHEAD);
    fkey bk = {R_BODY, 0, 0, 0, 0, 0};
    int bf = get_format(s->b, &bk);
    if (hf < 0 || bf < 0)
        return sheet_fail(s, lexp__error_oom(err));
    uint32_t r = s->row + 1;
    const char *h0 = ch->title && *ch->title ? ch->title : "项目";
    const char *h1 = ch->series && *ch->series ? ch->series : "数值";
    rc = lexp__xws_string(s->ws, r, 0, h0, hf, err);
    if (!rc)
        rc = lexp__xws_string(s->ws, r, 1, h1, hf, err);
    if (!s->text) {
        int w0 = (int)lexp__str_width(h0, strlen(h0)), w1 = (int)lexp__str_width(h1, strlen(h1));
        if (w0 > s->width[0])
            s->width[0] = w0;
        if (s->ncols > 1 && w1 > s->width[1])
            s->width[1] = w1;
    }
    for (int i = 0; i < ch->n && !rc; i++) {
        const char *lab = ch->labels[i] ? ch->labels[i] : "";
        lexp__xcell num;
        memset(&num, 0, sizeof num);
        if (lexp__xlsx_text_number(lab, &num)) {
            int nf = cell_format(s, 0, R_BODY, &num);
            rc = nf >= 0 ? lexp__xws_number(s->ws, r + 1 + (uint32_t)i, 0, num.num, nf, err)
                         : lexp__error_oom(err);
        } else {
            rc = lexp__xws_string(s->ws, r + 1 + (uint32_t)i, 0, lab, bf, err);
        }
        if (!rc)
            rc = lexp__xws_number(s->ws, r + 1 + (uint32_t)i, 1, ch->values[i], bf, err);
        int w = (int)lexp__str_width(lab, strlen(lab));
        if (!s->text && w > s->width[0])
            s->width[0] = w;
    }
    if (rc)
        return sheet_fail(s, rc);
    s->row = r + 1 + (uint32_t)ch->n;
    return add_chart(s, ch->kind, ch->title, ch->series, r + 1, r + (uint32_t)ch->n, 0, 1,
                     ch->labels, ch->values, err);
}

/* A by-category statistic: unique text labels in the first column (not
 * dates: a time series is not a category table), a numeric column, a
 * totals row, no spans: chart its first numeric column. */
static int auto_chart(lexp__xsheet *s, lexp_error *err)
{
    int nc = s->ncols;
    if (s->text || !s->auto_chart || s->charts || !s->seen_total || s->kept_overflow ||
        s->body_spans || s->data_after_total || s->nkept < 2 || nc < 2)
        return 0;
    for (int i = 0; i < s->nkept; i++) {
        const char *t = s->ktext[i * nc];
        if (!t || !*t)
            return 0;
        for (int j = 0; j < i; j++)
            if (strcmp(s->ktext[j * nc], t) == 0)
                return 0;
    }
    for (int c = 1; c < nc; c++) {
        int ok = 1;
        for (int i = 0; i < s->nkept && ok; i++)
            ok = !isnan(s->kval[i * nc + c]);
        if (!ok)
            continue;
        const char *what = s->htext[c];
        lexp__sbuf t = LEXP__SBUF_INIT;
        if (s->title && what)
            lexp__sbuf_printf(&t, "%s（%s）", s->title, what);
        else
            lexp__sbuf_puts(&t, s->title ? s->title : what ? what : "");
        /* the chart's cached values: the kept rows' first column and column c */
        const char **labels = malloc((size_t)s->nkept * sizeof *labels);
        double *values = malloc((size_t)s->nkept * sizeof *values);
        int rc = 0;
        if (t.oom || !labels || !values) {
            rc = lexp__error_oom(err);
        } else {
            for (int i = 0; i < s->nkept; i++) {
                labels[i] = s->ktext[i * nc];
                values[i] = s->kval[i * nc + c];
            }
            rc = add_chart(s, LEXP_CHART_BAR, lexp__sbuf_cstr(&t), what, s->body_first,
                           s->body_first + (uint32_t)s->nkept - 1, 0, c, labels, values, err);
        }
        free(labels);
        free(values);
        lexp__sbuf_free(&t);
        return rc;
    }
    return 0;
}

int lexp__xsheet_end(lexp__xsheet *s, lexp_error *err)
{
    int rc = s->failed;
    if (!rc)
        rc = end_body(s, err);
    if (!rc)
        rc = auto_chart(s, err);
    if (rc) {
        sheet_free(s);
        return rc;
    }
    lexp__xws *ws = s->ws;
    int nc = s->ncols, total = 0;
    int *w = s->width;
    for (int c = 0; c < nc; c++) {
        w[c] += WIDTH_PAD;
        if (w[c] < WIDTH_MIN)
            w[c] = WIDTH_MIN;
        if (w[c] > WIDTH_MAX && !s->text)
            w[c] = WIDTH_MAX;
    }
    /* a spanning cell wider than its columns widens the last of them */
    for (int k = 0; k < s->nspans; k++) {
        int c0 = s->spans[k].col, c1 = c0 + s->spans[k].span - 1, have = 0;
        for (int c = c0; c <= c1; c++)
            have += w[c];
        int need = s->spans[k].width + WIDTH_PAD;
        if (need > have) {
            w[c1] += need - have;
            if (w[c1] > WIDTH_MAX && !s->text)
                w[c1] = WIDTH_MAX;
        }
    }
    for (int c = 0; c < nc; c++) {
        lexp__xws_column(ws, c, w[c]);
        total += w[c];
    }
    if (s->text && s->charts) /* chart data: value column */
        lexp__xws_column(ws, 1, 12);
    if (!s->text && s->nheader > 0) {
        uint32_t first = (uint32_t)s->title_rows, last = first + (uint32_t)s->nheader - 1;
        lexp__xws_freeze_rows(ws, last + 1);
        lexp__xws_repeat_rows(ws, first, last);
    }
    lexp__xws_print(ws, !s->text && total > PORTRAIT_MAX, FOOTER);
    rc = lexp__xws_end(ws, err);
    sheet_free(s);
    return rc;
}
