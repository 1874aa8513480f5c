/*
 * A fast path for loading JSON data: valid documents are read straight
 * into the data's values, as load_json.c's copy of jansson's tree would
 * make them; anything else is left to jansson, which then reports it.
 *
 * jansson reads a string byte by byte through its stream and buffer (about
 * 180 instructions a byte on a briefing's data): the data of one document
 * cost as much as filling a Word template with it. This reader takes
 * the common case in one pass: structure, strings with their escapes,
 * numbers, literals. It gives up (returns 1, and load_json.c asks jansson)
 * on whatever it does not take exactly as jansson would: any syntax error,
 * \u0000 and unpaired surrogates, integers of more than 18 digits, reals
 * strtod cannot hold, duplicate keys in an object of more than
 * FAST_MAX_KEYS members (it checks smaller ones itself), strings over
 * LEXP_DATA_MAX_STRING and nesting beyond LEXP_DATA_MAX_DEPTH (whose
 * errors load_json.c words). The input's UTF-8 is already checked.
 * tests/unit/test_json_fast.c compares the two readers.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"

#define FAST_MAX_KEYS 64

typedef struct jf {
    const unsigned char *p, *end;
    lexp__arena *a;
    lexp_member *stack; /* members (arrays use val only) of the open containers */
    size_t n, cap;
    lexp__sbuf str; /* an unescaped string */
    char point;     /* the locale's decimal point, which strtod reads */
} jf;

static void ws(jf *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static int push(jf *j, const char *key, uint32_t klen, lexp_value *v)
{
    if (lexp__grow((void **)&j->stack, &j->cap, j->n + 1, sizeof *j->stack))
        return -1;
    j->stack[j->n++] = (lexp_member){key, klen, v};
    return 0;
}

static int hex4(const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* The string at j->p (after its quote), copied into the arena. */
static const char *string(jf *j, uint32_t *len)
{
    const unsigned char *s = j->p, *q = s;
    while (q < j->end && *q != '"' && *q != '\\' && *q >= 0x20)
        q++;
    if (q < j->end && *q == '"') { /* no escapes: the bytes as they are */
        if ((size_t)(q - s) > LEXP_DATA_MAX_STRING)
            return NULL;
        j->p = q + 1;
        *len = (uint32_t)(q - s);
        return lexp__arena_strndup(j->a, (const char *)s, (size_t)(q - s));
    }
    j->str.len = 0;
    lexp__sbuf_put(&j->str, s, (size_t)(q - s));
    while (q < j->end && *q != '"') {
        if (*q < 0x20)
            return NULL;
        if (*q != '\\') {
            const unsigned char *r = q;
            while (q < j->end && *q != '"' && *q != '\\' && *q >= 0x20)
                q++;
            lexp__sbuf_put(&j->str, r, (size_t)(q - r));
            continue;
        }
        if (j->end - q < 2)
            return NULL;
        char c;
        switch (q[1]) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (j->end - q < 6 || hex4(q + 2, &cp) || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return NULL;
            q += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (j->end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return NULL;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            }
            char u[4];
            lexp__sbuf_put(&j->str, u, lexp__utf8_encode(cp, u));
            continue;
        }
        default: return NULL;
        }
        lexp__sbuf_putc(&j->str, c);
        q += 2;
    }
    if (q >= j->end || j->str.oom || j->str.len > LEXP_DATA_MAX_STRING)
        return NULL;
    j->p = q + 1;
    *len = (uint32_t)j->str.len;
    return lexp__arena_strndup(j->a, j->str.ptr ? j->str.ptr : "", j->str.len);
}

static int isdig(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

static lexp_value *number(jf *j)
{
    const unsigned char *s = j->p, *q = s;
    if (q < j->end && *q == '-')
        q++;
    if (!isdig(q, j->end))
        return NULL;
    if (*q == '0') {
        q++;
        if (isdig(q, j->end))
            return NULL; /* a leading zero */
    } else {
        while (isdig(q, j->end))
            q++;
    }
    int real = 0;
    if (q < j->end && *q == '.') {
        q++;
        if (!isdig(q, j->end))
            return NULL;
        while (isdig(q, j->end))
            q++;
        real = 1;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < j->end && (*q == '+' || *q == '-'))
            q++;
        if (!isdig(q, j->end))
            return NULL;
        while (isdig(q, j->end))
            q++;
        real = 1;
    }
    size_t n = (size_t)(q - s);
    j->p = q;
    if (!real) {
        /* jansson's json_int_t, as a double (so -0 is 0) */
        const unsigned char *d = s + (*s == '-');
        if (q - d > 18)
            return NULL; /* may not fit: jansson says so or keeps the digits */
        long long iv = 0;
        for (; d < q; d++)
            iv = iv * 10 + (*d - '0');
        if (*s == '-')
            iv = -iv;
        return lexp__v_int(j->a, iv);
    }
    /* strtod with the locale's decimal point, as jansson calls it */
    char buf[64];
    if (n >= sizeof buf)
        return NULL;
    memcpy(buf, s, n);
    buf[n] = 0;
    if (j->point != '.')
        for (char *c = buf; *c; c++)
            if (*c == '.')
                *c = j->point;
    errno = 0;
    char *endp;
    double x = strtod(buf, &endp);
    if (endp != buf + n || (errno == ERANGE && (x == HUGE_VAL || x == -HUGE_VAL)))
        return NULL;
    lexp_value *v = lexp__v_num(j->a, x);
    if (v)
        v->b = 1; /* written with a point or exponent, as load_json.c marks it */
    return v;
}

static int literal(jf *j, const char *word, size_t n)
{
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return 0;
    const unsigned char *q = j->p + n;
    if (q < j->end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
        return 0;
    j->p = q;
    return 1;
}

static lexp_value *value(jf *j, int depth);

/* Close the container opened at stack position `base` as v's items or members. */
static lexp_value *close_container(jf *j, size_t base, int obj)
{
    uint32_t n = (uint32_t)(j->n - base);
    lexp_value *v = obj ? lexp__v_obj(j->a, n) : lexp__v_arr(j->a, n);
    if (!v)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        lexp_member *m = &j->stack[base + i];
        m->val->parent = v;
        m->val->index = i;
        if (obj)
            v->u.members[i] = *m;
        else
            v->u.items[i] = m->val;
    }
    j->n = base;
    return v;
}

/* 1 when the members opened at `base` have no key twice (jansson refuses
 * duplicates; larger objects are left to it). */
static int unique_keys(const jf *j, size_t base)
{
    if (j->n - base > FAST_MAX_KEYS)
        return 0;
    for (size_t a = base; a < j->n; a++)
        for (size_t b = a + 1; b < j->n; b++)
            if (j->stack[a].klen == j->stack[b].klen &&
                memcmp(j->stack[a].key, j->stack[b].key, j->stack[a].klen) == 0)
                return 0;
    return 1;
}

/* The object (obj 1) or array at j->p. */
static lexp_value *container(jf *j, int depth, int obj)
{
    const unsigned char close = obj ? '}' : ']';
    size_t base = j->n;
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return close_container(j, base, obj);
    }
    for (;;) {
        const char *key = NULL;
        uint32_t klen = 0;
        if (obj) {
            if (j->p >= j->end || *j->p != '"')
                return NULL;
            j->p++;
            if (!(key = string(j, &klen)))
                return NULL;
            ws(j);
            if (j->p >= j->end || *j->p != ':')
                return NULL;
            j->p++;
        }
        lexp_value *v = value(j, depth + 1);
        if (!v || push(j, key, klen, v))
            return NULL;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            ws(j);
            continue;
        }
        if (j->p < j->end && *j->p == close)
            break;
        return NULL;
    }
    j->p++;
    if (obj && !unique_keys(j, base))
        return NULL;
    return close_container(j, base, obj);
}

static lexp_value *value(jf *j, int depth)
{
    if (depth > LEXP_DATA_MAX_DEPTH)
        return NULL;
    ws(j);
    if (j->p >= j->end)
        return NULL;
    switch (*j->p) {
    case '{': return container(j, depth, 1);
    case '[': return container(j, depth, 0);
    case '"': {
        j->p++;
        uint32_t len;
        const char *s = string(j, &len);
        return s ? lexp__v_str(j->a, s, len) : NULL;
    }
    case 't':
        return literal(j, "true", 4) ? lexp__v_bool(j->a, 1) : NULL;
    case 'f':
        return literal(j, "false", 5) ? lexp__v_bool(j->a, 0) : NULL;
    case 'n':
        return literal(j, "null", 4) ? lexp__v_null(j->a) : NULL;
    default: return number(j);
    }
}

int lexp__json_fast(lexp__arena *a, const char *text, size_t len, lexp_value **root)
{
    jf j;
    memset(&j, 0, sizeof j);
    j.p = (const unsigned char *)text;
    j.end = j.p + len;
    j.a = a;
    const struct lconv *lc = localeconv();
    j.point = lc && lc->decimal_point && lc->decimal_point[0] ? lc->decimal_point[0] : '.';
    ws(&j);
    lexp_value *v = j.p < j.end && *j.p == '{' ? container(&j, 0, 1) : NULL;
    if (v) {
        ws(&j);
        if (j.p != j.end)
            v = NULL; /* more after the object */
    }
    free(j.stack);
    lexp__sbuf_free(&j.str);
    if (!v)
        return 1;
    *root = v;
    return 0;
}
