/*
 * Arena, growable buffer, error reporting, UTF-8, number and date helpers.
 */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- arena ----------------------------------------------------------- */

struct lexp__chunk {
    lexp__chunk *next;
    size_t size;
    /* data follows, 16-byte aligned by the allocation */
};

#define CHUNK_HDR ((sizeof(lexp__chunk) + 15u) & ~(size_t)15u)
#define CHUNK_MIN (64u * 1024u)

void lexp__arena_init(lexp__arena *a) { memset(a, 0, sizeof *a); }

void lexp__arena_free(lexp__arena *a)
{
    lexp__chunk *c = a->head;
    while (c) {
        lexp__chunk *n = c->next;
        free(c);
        c = n;
    }
    memset(a, 0, sizeof *a);
}

void *lexp__arena_alloc(lexp__arena *a, size_t n)
{
    n = (n + 7u) & ~(size_t)7u;
    if (n == 0)
        n = 8;
    if ((size_t)(a->end - a->cur) < n || !a->cur) {
        /* Chunks grow with the arena so big documents need few mallocs. */
        size_t want = a->total / 2;
        if (want < CHUNK_MIN)
            want = CHUNK_MIN;
        if (want < n)
            want = n;
        if (want > (size_t)-1 - CHUNK_HDR)
            return NULL;
        lexp__chunk *c = malloc(CHUNK_HDR + want);
        if (!c)
            return NULL;
        c->size = want;
        c->next = a->head;
        a->head = c;
        a->cur = (char *)c + CHUNK_HDR;
        a->end = a->cur + want;
        a->total += want;
    }
    void *p = a->cur;
    a->cur += n;
    a->used += n;
    return p;
}

lexp__arena_mark lexp__arena_mark_get(const lexp__arena *a)
{
    return (lexp__arena_mark){a->head, a->cur, a->end, a->total, a->used};
}

void lexp__arena_release(lexp__arena *a, lexp__arena_mark m)
{
    /* chunks taken after the mark are at the head of the list */
    while (a->head && a->head != m.head) {
        lexp__chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
    a->cur = m.cur;
    a->end = m.end;
    a->total = m.total;
    a->used = m.used;
}

void *lexp__arena_zalloc(lexp__arena *a, size_t n)
{
    void *p = lexp__arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *lexp__arena_strndup(lexp__arena *a, const char *s, size_t n)
{
    char *p = lexp__arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *lexp__arena_strdup(lexp__arena *a, const char *s)
{
    return lexp__arena_strndup(a, s, strlen(s));
}

char *lexp__arena_printf(lexp__arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = lexp__arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int lexp__grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

uint64_t *lexp__sort_u64(uint64_t *a, uint64_t *tmp, size_t n)
{
    uint64_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= a[i];
    for (int shift = 0; shift < 64; shift += 8) {
        if (!((any >> shift) & 0xFF))
            continue; /* every key has zeros here: nothing to order */
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 0xFF) + 1]++;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & 0xFF]++] = a[i];
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

void lexp__shrink(void **p, size_t *cap, size_t n, size_t elem)
{
    if (!*p || n >= *cap)
        return;
    if (n == 0) {
        free(*p);
        *p = NULL;
        *cap = 0;
        return;
    }
    void *np = realloc(*p, n * elem);
    if (np) {
        *p = np;
        *cap = n;
    }
}

/* ---- sbuf --------------------------------------------------------------- */

int lexp__sbuf_grow(lexp__sbuf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    if (b->max && (extra > b->max || b->len > b->max - extra)) {
        b->oom = 2;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(b->ptr, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->ptr = p;
    b->cap = cap;
    return 0;
}

void lexp__sbuf_put(lexp__sbuf *b, const void *p, size_t n)
{
    if (n == 0 || (b->len + n + 1 > b->cap && lexp__sbuf_grow(b, n)) || b->oom)
        return;
    memcpy(b->ptr + b->len, p, n);
    b->len += n;
}

void lexp__sbuf_puts(lexp__sbuf *b, const char *s) { lexp__sbuf_put(b, s, strlen(s)); }

void lexp__sbuf_putc(lexp__sbuf *b, char c)
{
    if ((b->len + 2 > b->cap && lexp__sbuf_grow(b, 1)) || b->oom)
        return;
    b->ptr[b->len++] = c;
}

void lexp__sbuf_printf(lexp__sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        lexp__sbuf_put(b, tmp, (size_t)n);
        return;
    }
    if (lexp__sbuf_grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void lexp__sbuf_repeat(lexp__sbuf *b, const char *s, size_t times)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < times; i++)
        lexp__sbuf_put(b, s, n);
}

const char *lexp__sbuf_cstr(lexp__sbuf *b)
{
    if (lexp__sbuf_grow(b, 0) || !b->ptr)
        return "";
    b->ptr[b->len] = 0;
    return b->ptr;
}

void lexp__sbuf_free(lexp__sbuf *b)
{
    free(b->ptr);
    memset(b, 0, sizeof *b);
}

void lexp__sbuf_to_buf(lexp__sbuf *b, lexp_buf *out)
{
    lexp__sbuf_cstr(b);
    out->ptr = (unsigned char *)b->ptr;
    out->size = b->len;
    memset(b, 0, sizeof *b);
}

/* ---- errors ------------------------------------------------------------ */

static void copy_field(char *dst, size_t cap, const char *src)
{
    if (!src) {
        dst[0] = 0;
        return;
    }
    size_t n = strlen(src);
    if (n >= cap) {
        /* Cut on a character boundary so the field stays valid UTF-8. */
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = 0;
}

int lexp__error_vset(lexp_error *e, int code, const char *file, int line, int col,
                     const char *path, const char *fmt, va_list ap)
{
    if (!e || e->code != 0)
        return code;
    e->code = code;
    e->line = line;
    e->column = col;
    copy_field(e->file, sizeof e->file, file);
    copy_field(e->path, sizeof e->path, path);
    char tmp[LEXP_ERROR_MESSAGE_MAX * 2];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    copy_field(e->message, sizeof e->message, tmp);
    return code;
}

int lexp__error_set(lexp_error *e, int code, const char *file, int line, int col,
                    const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lexp__error_vset(e, code, file, line, col, path, fmt, ap);
    va_end(ap);
    return code;
}

int lexp__error_oom(lexp_error *e)
{
    return lexp__error_set(e, LEXP_ENOMEM, NULL, 0, 0, NULL, "out of memory");
}

int lexp__error_is_set(const lexp_error *e) { return e && e->code != 0; }

/* ---- UTF-8 ---------------------------------------------------------------- */

size_t lexp__utf8_decode_full(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

size_t lexp__utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int lexp__utf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* every input passes through here (data, templates): ASCII eight
         * bytes at a time, and the three-byte sequences whose lead byte
         * allows any continuation bytes (E1-EC, EE, EF: most of CJK) */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (lexp__utf8_plain3(u + i, n - i)) {
            do
                i += 3;
            while (lexp__utf8_plain3(u + i, n - i));
            continue;
        }
        uint32_t cp;
        size_t l = lexp__utf8_decode_full(s + i, n - i, &cp);
        if (l == 0) {
            if (bad)
                *bad = i;
            return 0;
        }
        i += l;
    }
    return 1;
}

size_t lexp__utf8_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

size_t lexp__utf8_offset(const char *s, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && k-- == 0)
            return i;
    return n;
}

int lexp__is_han(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x3FFFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           cp == 0x3007;
}

int lexp__is_cjk(uint32_t cp)
{
    return lexp__is_han(cp) || (cp >= 0x3000 && cp <= 0x30FF) || /* CJK punct, kana */
           (cp >= 0x3100 && cp <= 0x31BF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
           (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           cp == 0x2014 || cp == 0x2026 || cp == 0x201C || cp == 0x201D ||
           cp == 0x2018 || cp == 0x2019 || cp == 0x00B7;
}

int lexp__char_width(uint32_t cp)
{
    if (cp == 0)
        return 0;
    if ((cp >= 0x0300 && cp <= 0x036F) || cp == 0x200B || cp == 0x200D ||
        (cp >= 0xFE00 && cp <= 0xFE0F))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
        (cp >= 0x3041 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
        (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
        (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

size_t lexp__str_width(const char *s, size_t n)
{
    size_t w = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t l = lexp__utf8_decode(s + i, n - i, &cp);
        if (l == 0) {
            l = 1;
            cp = '?';
        }
        w += (size_t)lexp__char_width(cp);
        i += l;
    }
    return w;
}

/* ---- numbers ------------------------------------------------------------- */

/* Digits of |x| rounded half away from zero at `decimals` places. The
 * decision is made on the 15-significant-digit form of x, so binary noise
 * (2.675 is stored as 2.67499…) does not decide the rounding. Writes the
 * integer digits to ip and exactly `decimals` fraction digits to fp. */
static void round_decimal(double x, int decimals, char *ip, size_t ipcap, char *fp)
{
    char tmp[64], sig[16];
    snprintf(tmp, sizeof tmp, "%.14e", fabs(x));
    int ns = 0;
    for (const char *p = tmp; *p && *p != 'e' && ns < 15; p++)
        if (*p >= '0' && *p <= '9')
            sig[ns++] = *p;
    int e = atoi(strchr(tmp, 'e') + 1); /* x = sig[0].sig[1..] × 10^e */
    int top = e > 0 ? e : 0;            /* highest place written */
    /* places top..-decimals, plus one more for the rounding digit */
    int n = top + decimals + 1;
    char d[400];
    if (n + 1 > (int)sizeof d)
        n = (int)sizeof d - 1;
    for (int i = 0; i <= n; i++) {
        int place = top - i, k = e - place;
        d[i] = (k >= 0 && k < ns) ? sig[k] : '0';
    }
    int carry = d[n] >= '5';
    for (int i = n - 1; i >= 0 && carry; i--) {
        if (d[i] == '9') {
            d[i] = '0';
        } else {
            d[i]++;
            carry = 0;
        }
    }
    int ilen = top + 1, o = 0;
    if (carry && o < (int)ipcap - 1)
        ip[o++] = '1';
    int i = 0;
    while (i < ilen - 1 && d[i] == '0' && !carry)
        i++; /* no leading zeros */
    for (; i < ilen && o < (int)ipcap - 1; i++)
        ip[o++] = d[i];
    ip[o] = 0;
    memcpy(fp, d + ilen, (size_t)decimals);
    fp[decimals] = 0;
}

void lexp__fmt_fixed(lexp__sbuf *b, double x, int decimals, int thousands)
{
    if (isnan(x)) {
        lexp__sbuf_puts(b, "NaN");
        return;
    }
    if (isinf(x)) {
        lexp__sbuf_puts(b, x < 0 ? "-∞" : "∞");
        return;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 15)
        decimals = 15;
    char ip[360], fp[20];
    if (fabs(x) >= 1e300) {
        lexp__sbuf_printf(b, "%.*f", decimals, x);
        return;
    }
    round_decimal(x, decimals, ip, sizeof ip, fp);
    int zero = 1;
    for (const char *p = ip; *p; p++)
        if (*p != '0')
            zero = 0;
    for (const char *p = fp; *p; p++)
        if (*p != '0')
            zero = 0;
    if (x < 0 && !zero)
        lexp__sbuf_putc(b, '-');
    size_t il = strlen(ip);
    if (thousands) {
        for (size_t i = 0; i < il; i++) {
            if (i > 0 && (il - i) % 3 == 0)
                lexp__sbuf_putc(b, ',');
            lexp__sbuf_putc(b, ip[i]);
        }
    } else {
        lexp__sbuf_put(b, ip, il);
    }
    if (decimals > 0) {
        lexp__sbuf_putc(b, '.');
        lexp__sbuf_put(b, fp, (size_t)decimals);
    }
}

void lexp__fmt_number(lexp__sbuf *b, double x)
{
    if (isnan(x) || isinf(x)) {
        lexp__fmt_fixed(b, x, 0, 0);
        return;
    }
    if (x == floor(x) && fabs(x) < 1e15) {
        /* integers are most numbers in a ledger: no printf */
        char tmp[24], *p = tmp + sizeof tmp;
        long long v = (long long)x;
        unsigned long long u = v < 0 ? (unsigned long long)(-v) : (unsigned long long)v;
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            *--p = '-';
        lexp__sbuf_put(b, p, (size_t)(tmp + sizeof tmp - p));
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.15g", x);
    if (!strchr(tmp, 'e')) {
        lexp__sbuf_puts(b, tmp);
        return;
    }
    /* tiny or huge: positional notation reads better; a tiny one loses
     * the zeros after its last digit (0.00001, not 0.000010000000000) */
    size_t at = b->len;
    lexp__fmt_fixed(b, x, fabs(x) < 1 ? 15 : 0, 0);
    if (b->oom || !memchr(b->ptr + at, '.', b->len - at))
        return;
    while (b->len > at && b->ptr[b->len - 1] == '0')
        b->len--;
    if (b->len > at && b->ptr[b->len - 1] == '.')
        b->len--;
}

/* ---- dates ----------------------------------------------------------------- */

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int lexp__days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return d[m - 1] + (m == 2 && is_leap(y));
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int lexp__parse_month(const char *s, size_t n, int *y, int *m)
{
    if (n != 7 || s[4] != '-')
        return 0;
    int yy = digits(s, 4), mm = digits(s + 5, 2);
    if (yy < 1900 || mm < 1 || mm > 12)
        return 0;
    *y = yy;
    *m = mm;
    return 1;
}

int lexp__parse_date(const char *s, size_t n, int *y, int *m, int *d)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    int yy = digits(s, 4), mm = digits(s + 5, 2), dd = digits(s + 8, 2);
    if (yy < 1900 || mm < 1 || mm > 12 || dd < 1 || dd > lexp__days_in_month(yy, mm))
        return 0;
    *y = yy;
    *m = mm;
    *d = dd;
    return 1;
}

long lexp__days_from_civil(int y, int m, int d)
{
    /* Proleptic Gregorian day count relative to 1970-01-01. */
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void lexp__civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

double lexp__date_serial(int y, int m, int d)
{
    return (double)(lexp__days_from_civil(y, m, d) - lexp__days_from_civil(1899, 12, 30));
}

int lexp__weekday(int y, int m, int d)
{
    long z = lexp__days_from_civil(y, m, d); /* 1970-01-01 was a Thursday (3) */
    long w = (z + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* ---- files ------------------------------------------------------------------- */

char *lexp__dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = 0;
    }
    return d;
}

void lexp__line_col(const char *s, size_t off, int *line, int *col)
{
    int l = 1;
    size_t start = 0;
    for (size_t i = 0; i < off; i++)
        if (s[i] == '\n') {
            l++;
            start = i + 1;
        }
    *line = l;
    *col = (int)lexp__utf8_count(s + start, off - start) + 1;
}

int lexp__read_file(char **out, size_t *len, const char *path, size_t max,
                    lexp_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rbe"); /* e: close-on-exec, as every file we open */
    if (!f)
        return lexp__error_set(err, LEXP_EIO, path, 0, 0,
                               NULL, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return lexp__error_set(err, LEXP_EIO, path, 0, 0, NULL,
                               "is a directory, expected a file");
    }
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
        fclose(f);
        return lexp__error_set(err, LEXP_ELIMIT, path, 0, 0, NULL,
                               "file is %.1f MB; the limit is %.0f MB",
                               (double)st.st_size / 1048576.0, (double)max / 1048576.0);
    }
    lexp__sbuf b = LEXP__SBUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (b.len + n > max) {
            fclose(f);
            lexp__sbuf_free(&b);
            return lexp__error_set(err, LEXP_ELIMIT, path, 0, 0, NULL,
                                   "file exceeds the limit of %.0f MB",
                                   (double)max / 1048576.0);
        }
        lexp__sbuf_put(&b, tmp, n);
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        lexp__sbuf_free(&b);
        return lexp__error_set(err, LEXP_EIO, path, 0, 0, NULL, "read error");
    }
    if (b.oom) {
        lexp__sbuf_free(&b);
        return lexp__error_oom(err);
    }
    lexp__sbuf_cstr(&b);
    if (!b.ptr) {
        b.ptr = calloc(1, 1);
        if (!b.ptr)
            return lexp__error_oom(err);
    }
    *out = b.ptr;
    *len = b.len;
    return 0;
}

/* ---- warnings ------------------------------------------------------------ */

void lexp__warn(const lexp_render_options *opt, const char *file, const char *fmt, ...)
{
    if (!opt || !opt->warn)
        return;
    lexp_error w;
    lexp_error_clear(&w);
    va_list ap;
    va_start(ap, fmt);
    lexp__error_vset(&w, LEXP_OK, file, 0, 0, NULL, fmt, ap);
    va_end(ap);
    opt->warn(&w, opt->warn_payload);
}
