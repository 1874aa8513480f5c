/*
 * More of Jinja's builtins in office templates (lexp fill), after
 * filters_py.c: the text filters center, indent, striptags, urlencode,
 * filesizeformat and tojson; unique, first, last, reverse and abs as Jinja
 * has them; loop.changed(…); the loop filter `for x in xs if cond`; and, for
 * the builtins lexport has not, the alternative their error names.
 *
 * lexp__jfilter_find and lexp__jcall_find (filters_py.c) look here after
 * their own tables, so the parser sees one set. Each filter counts its items
 * (or lines, or padding) as evaluation steps and builds its text in a buffer
 * capped by the memory budget (lexp__py_buf). templates/README.md, "Coming
 * from docxtpl", lists what differs from Jinja.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

typedef lexp_eval E;
typedef const lexp_value V;

#define JF(name) static V *j_##name(E *e, const lexp_expr *site, V *in, V *const *args, int nargs)
#define ARG(i) ((i) < nargs && args[i] && args[i]->type > LV_NULL ? args[i] : NULL)

static V *oom(E *e)
{
    lexp__error_oom(e->err);
    return NULL;
}

static lexp_value *new_list(E *e, uint32_t n)
{
    lexp_value *l = lexp__v_arr(e->A, n);
    if (!l)
        lexp__error_oom(e->err);
    return l;
}

static V *pair(E *e, V *a, V *b)
{
    lexp_value *l = new_list(e, 2);
    if (!l)
        return NULL;
    l->u.items[0] = (lexp_value *)a;
    l->u.items[1] = (lexp_value *)b;
    return l;
}

/* The start of code point number k of s (its length when k is past the end). */
static size_t cp_at(const char *s, size_t n, size_t k)
{
    size_t i = 0;
    for (; k && i < n; k--) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

static size_t cp_len(const char *s, size_t n) { return n ? cp_at(s, n, 1) : 0; }

/* ---- center, indent -------------------------------------------------------------- */

/* Python's str.center: the margin split with the odd space on the left when
 * both the margin and the width are odd. */
JF(center)
{
    long w = 80;
    V *s = lexp__py_str(e, site, in);
    if (!s || (ARG(0) && lexp__py_whole(e, site, ARG(0), "center's width", -1000000, 1000000,
                                        &w)))
        return NULL;
    long n = (long)lexp__utf8_count(s->u.str, s->len);
    if (w <= n)
        return s;
    long marg = w - n, left = marg / 2 + (marg & w & 1);
    if (lexp__eval_work(e, site, (uint64_t)marg))
        return NULL;
    lexp__sbuf b = lexp__py_buf(e);
    lexp__sbuf_repeat(&b, " ", (size_t)left);
    lexp__sbuf_put(&b, s->u.str, s->len);
    lexp__sbuf_repeat(&b, " ", (size_t)(marg - left));
    return lexp__py_buf_str(e, &b);
}

/* The length of the line break Python's str.splitlines sees at s, or 0:
 * \n \r \r\n \v \f \x1c \x1d \x1e U+0085 U+2028 U+2029. */
static size_t line_break(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    if (c == '\r')
        return n > 1 && s[1] == '\n' ? 2 : 1;
    if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e))
        return 1;
    if (c == 0xC2 && n > 1 && (unsigned char)s[1] == 0x85)
        return 2;
    if (c == 0xE2 && n > 2 && (unsigned char)s[1] == 0x80 &&
        ((unsigned char)s[2] == 0xA8 || (unsigned char)s[2] == 0xA9))
        return 3;
    return 0;
}

/* Jinja's indent(width, first, blank): the lines of s + "\n" (its quirk: a
 * trailing break keeps an empty last line) joined with "\n", every line but
 * the first indented, and blank ones only with `blank`. */
JF(indent)
{
    V *s = lexp__py_str(e, site, in), *w = ARG(0);
    if (!s)
        return NULL;
    const char *ind = "    ";
    size_t indn = 4;
    if (w && w->type == LV_STR) {
        ind = w->u.str;
        indn = w->len;
    } else if (w) {
        long k;
        if (lexp__py_whole(e, site, w, "indent's width (or a string)", -1000000, 1000000,
                           &k))
            return NULL;
        indn = k > 0 ? (size_t)k : 0;
        ind = NULL; /* spaces */
    }
    int first = ARG(1) && lexp__v_truthy(ARG(1)), blank = ARG(2) && lexp__v_truthy(ARG(2));
    char *t = malloc((size_t)s->len + 1);
    if (!t)
        return oom(e);
    memcpy(t, s->u.str, s->len);
    t[s->len] = '\n';
    size_t n = (size_t)s->len + 1;
    lexp__sbuf b = lexp__py_buf(e);
#define INDENT() (ind ? lexp__sbuf_put(&b, ind, indn) : lexp__sbuf_repeat(&b, " ", indn))
    if (first)
        INDENT();
    uint64_t lines = 0;
    for (size_t i = 0; i < n && !b.oom;) {
        size_t j = i, br = 0;
        while (j < n && !(br = line_break(t + j, n - j)))
            j++;
        if (lines)
            lexp__sbuf_putc(&b, '\n');
        if (lines && (blank || j > i))
            INDENT();
        lexp__sbuf_put(&b, t + i, j - i);
        lines++;
        i = j + br;
    }
#undef INDENT
    free(t);
    if (lexp__eval_work(e, site, lines)) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    return lexp__py_buf_str(e, &b);
}

/* ---- striptags ------------------------------------------------------------------- */

/* The length of a white-space character Python's str.split() splits at, or 0. */
size_t lexp__py_space_at(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80)
        return lexp__py_space(c);
    uint32_t cp;
    size_t l = lexp__utf8_decode(s, n, &cp);
    return l && lexp__py_space(cp) ? l : 0;
}

/* The named character references html.unescape decodes that templates
 * meet; "amp" without ';' is one of HTML's legacy forms. Others stay as
 * written (README). */
static const char *const entities[][2] = {
    {"amp;", "&"},      {"amp", "&"},       {"lt;", "<"},        {"lt", "<"},
    {"gt;", ">"},       {"gt", ">"},        {"quot;", "\""},     {"quot", "\""},
    {"apos;", "'"},     {"nbsp;", "\u00a0"}, {"nbsp", "\u00a0"}, {"copy;", "\u00a9"},
    {"copy", "\u00a9"}, {"reg;", "\u00ae"}, {"reg", "\u00ae"},   {"trade;", "\u2122"},
    {"middot;", "\u00b7"}, {"middot", "\u00b7"}, {"times;", "\u00d7"}, {"times", "\u00d7"},
    {"divide;", "\u00f7"}, {"divide", "\u00f7"}, {"yen;", "\u00a5"}, {"yen", "\u00a5"},
    {"deg;", "\u00b0"}, {"deg", "\u00b0"},  {"plusmn;", "\u00b1"}, {"plusmn", "\u00b1"},
    {"laquo;", "\u00ab"}, {"laquo", "\u00ab"}, {"raquo;", "\u00bb"}, {"raquo", "\u00bb"},
    {"para;", "\u00b6"}, {"para", "\u00b6"}, {"sect;", "\u00a7"}, {"sect", "\u00a7"},
    {"cent;", "\u00a2"}, {"cent", "\u00a2"}, {"pound;", "\u00a3"}, {"pound", "\u00a3"},
    {"euro;", "\u20ac"}, {"hellip;", "\u2026"}, {"mdash;", "\u2014"}, {"ndash;", "\u2013"},
    {"lsquo;", "\u2018"}, {"rsquo;", "\u2019"}, {"ldquo;", "\u201c"}, {"rdquo;", "\u201d"},
    {"bull;", "\u2022"}, {"ensp;", "\u2002"}, {"emsp;", "\u2003"}, {"thinsp;", "\u2009"},
    {"larr;", "\u2190"}, {"rarr;", "\u2192"}, {"uarr;", "\u2191"}, {"darr;", "\u2193"},
    {"le;", "\u2264"},  {"ge;", "\u2265"},  {"ne;", "\u2260"},   {"infin;", "\u221e"}};

static const char *entity(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof entities / sizeof *entities; i++)
        if (strlen(entities[i][0]) == n && memcmp(entities[i][0], s, n) == 0)
            return entities[i][1];
    return NULL;
}

/* What html.unescape makes of &#num;: Windows-1252 for 0x80–0x9F, U+FFFD
 * for 0, surrogates and beyond U+10FFFF, nothing for the other control
 * characters and the noncharacters. 0: nothing. */
static uint32_t charref(uint64_t num)
{
    static const uint16_t cp1252[32] = {
        0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};
    if (num == 0 || (num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF)
        return 0xFFFD;
    if (num >= 0x80 && num <= 0x9F)
        return cp1252[num - 0x80];
    if (num == 0x0D)
        return 0x0D;
    if ((num >= 1 && num <= 8) || num == 0x0B || (num >= 0x0E && num <= 0x1F) || num == 0x7F ||
        (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE)
        return 0;
    return (uint32_t)num;
}

/* html.unescape: &#123; &#x7b; (';' optional) and the names above, the
 * longest name that starts the reference when the whole is not one. */
static void unescape(lexp__sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (s[i] != '&') {
            lexp__sbuf_putc(b, s[i++]);
            continue;
        }
        size_t j = i + 1;
        if (j < n && s[j] == '#') {
            int hex = j + 1 < n && (s[j + 1] == 'x' || s[j + 1] == 'X');
            size_t k = j + 1 + (size_t)hex, d = k;
            uint64_t num = 0;
            while (d < n && (hex ? strchr("0123456789abcdefABCDEF", s[d]) && s[d]
                                 : s[d] >= '0' && s[d] <= '9')) {
                int v = s[d] <= '9' ? s[d] - '0' : (s[d] | 0x20) - 'a' + 10;
                if (num <= 0x110000)
                    num = num * (hex ? 16 : 10) + (uint64_t)v;
                d++;
            }
            if (d == k) { /* "&#" without digits is text */
                lexp__sbuf_putc(b, s[i++]);
                continue;
            }
            uint32_t cp = charref(num);
            if (cp) {
                char u[4];
                lexp__sbuf_put(b, u, lexp__utf8_encode(cp, u));
            }
            i = d + (d < n && s[d] == ';');
            continue;
        }
        /* a name: up to 32 characters that are not \t \n \f space < & # ;, then ';'? */
        size_t k = j;
        for (int c = 0; c < 32 && k < n && !strchr("\t\n\f <&#;", s[k]); c++)
            k += cp_len(s + k, n - k);
        if (k == j) {
            lexp__sbuf_putc(b, s[i++]);
            continue;
        }
        if (k < n && s[k] == ';')
            k++;
        const char *r = entity(s + j, k - j);
        size_t used = k - j;
        for (size_t x = k - j - 1; !r && x >= 2; x--) /* the longest name at the start */
            if ((r = entity(s + j, x)))
                used = x;
        if (!r) {
            lexp__sbuf_putc(b, s[i++]);
            continue;
        }
        lexp__sbuf_puts(b, r);
        i = j + used;
    }
}

/* MarkupSafe's striptags (Jinja's filter): comments <!-- … --> out, then
 * tags < … >, each from the first start; white space collapsed to single
 * spaces; character references decoded. */
JF(striptags)
{
    (void)args;
    (void)nargs;
    V *s = lexp__py_str(e, site, in);
    if (!s || lexp__eval_work(e, site, s->len / 64 + 1))
        return NULL;
    const char *p = s->u.str;
    size_t n = s->len;
    lexp__sbuf a = lexp__py_buf(e), c = lexp__py_buf(e);
    /* comments: a removal can join "<!-" and "-" into a new start, which
     * Python's search from the beginning finds: so look at what is written */
    size_t i = 0;
    for (; i < n; i++) {
        lexp__sbuf_putc(&a, p[i]);
        if (a.len >= 4 && memcmp(a.ptr + a.len - 4, "<!--", 4) == 0) {
            /* "-->" from the start's own dashes on: "<!-->" is a whole comment */
            const char *end = NULL;
            if (i + 1 < n && p[i + 1] == '>')
                end = p + i - 1;
            else
                end = lexp__find(p + i, n - i, "-->", 3);
            if (!end)
                break;
            a.len -= 4;
            i = (size_t)(end - p) + 2;
        }
    }
    if (i < n)
        lexp__sbuf_put(&a, p + i + 1, n - i - 1);
    /* tags: from each '<' to the next '>'; a '<' without one ends the search */
    lexp__sbuf t = lexp__py_buf(e);
    for (size_t k = 0; k < a.len; k++) {
        if (a.ptr[k] == '<') {
            const char *gt = memchr(a.ptr + k, '>', a.len - k);
            if (!gt) {
                lexp__sbuf_put(&t, a.ptr + k, a.len - k);
                break;
            }
            k = (size_t)(gt - a.ptr);
            continue;
        }
        lexp__sbuf_putc(&t, a.ptr[k]);
    }
    /* " ".join(value.split()) */
    lexp__sbuf_free(&a);
    a = lexp__py_buf(e);
    int gap = 0;
    for (size_t k = 0; k < t.len;) {
        size_t l = lexp__py_space_at(t.ptr + k, t.len - k);
        if (l) {
            gap = a.len > 0;
            k += l;
            continue;
        }
        if (gap)
            lexp__sbuf_putc(&a, ' ');
        gap = 0;
        lexp__sbuf_putc(&a, t.ptr[k++]);
    }
    lexp__sbuf_free(&t);
    if (a.oom) {
        lexp__sbuf_free(&c);
        return lexp__py_buf_str(e, &a);
    }
    unescape(&c, a.ptr ? a.ptr : "", a.len);
    lexp__sbuf_free(&a);
    return lexp__py_buf_str(e, &c);
}

/* ---- urlencode, filesizeformat ----------------------------------------------------- */

/* urllib's quote: letters, digits and _.-~ stay (and '/' outside a query);
 * in a query (for_qs) a space is '+'. */
static void url_quote(lexp__sbuf *b, const char *s, size_t n, int qs)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-' || c == '~' || (c == '/' && !qs)) {
            lexp__sbuf_putc(b, (char)c);
        } else if (c == ' ' && qs) {
            lexp__sbuf_putc(b, '+');
        } else {
            char h[4];
            snprintf(h, sizeof h, "%%%02X", c);
            lexp__sbuf_put(b, h, 3);
        }
    }
}

static int quote_value(E *e, const lexp_expr *site, lexp__sbuf *b, V *v, int qs)
{
    lexp__sbuf t = LEXP__SBUF_INIT;
    int rc = lexp__jinja_text(e, site, &t, v);
    if (rc == 0)
        url_quote(b, t.ptr ? t.ptr : "", t.len, qs);
    lexp__sbuf_free(&t);
    return rc;
}

/* A string is quoted; an object or a list of (key, value) pairs becomes a
 * query string k=v&k2=v2; anything else is quoted as its text. */
JF(urlencode)
{
    (void)args;
    (void)nargs;
    lexp__sbuf b = lexp__py_buf(e);
    int rc = 0;
    if (in->type == LV_OBJ || in->type == LV_ARR) {
        if (lexp__eval_work(e, site, in->len)) {
            lexp__sbuf_free(&b);
            return NULL;
        }
        for (uint32_t i = 0; i < in->len && rc == 0; i++) {
            V *k, *v;
            if (in->type == LV_OBJ) {
                k = lexp__eval_str(e, in->u.members[i].key, in->u.members[i].klen);
                v = in->u.members[i].val;
                if (!k) {
                    lexp__sbuf_free(&b);
                    return NULL;
                }
            } else {
                V *p = in->u.items[i];
                if (p->type != LV_ARR || p->len != 2) {
                    lexp__sbuf_free(&b);
                    return lexp__eval_fail(e, site, p, "'urlencode' of a list needs (key, "
                                                       "value) pairs, as x.items() gives");
                }
                k = p->u.items[0];
                v = p->u.items[1];
            }
            if (i)
                lexp__sbuf_putc(&b, '&');
            rc = quote_value(e, site, &b, k, 1);
            lexp__sbuf_putc(&b, '=');
            rc = rc ? rc : quote_value(e, site, &b, v, 1);
        }
    } else if (in->type != LV_UNDEF) {
        rc = quote_value(e, site, &b, in, 0);
    }
    if (rc) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    return lexp__py_buf_str(e, &b);
}

/* Bytes as "13 kB", "4.1 MB" (powers of 1000), or "KiB", "MiB" … with binary. */
JF(filesizeformat)
{
    double x;
    if (in->type == LV_NUM || in->type == LV_BOOL) {
        x = in->type == LV_NUM ? in->u.num : in->b;
    } else {
        char tmp[64], *end;
        size_t n = in->type == LV_STR && in->len < sizeof tmp ? in->len : 0;
        if (n)
            memcpy(tmp, in->u.str, n);
        tmp[n] = 0;
        x = strtod(tmp, &end);
        if (!n || end == tmp || strspn(end, " \t\n") != strlen(end) || strpbrk(tmp, "xX"))
            return lexp__eval_fail(e, site, in, "'filesizeformat' needs a number of bytes");
    }
    if (!isfinite(x))
        return lexp__eval_fail(e, site, in, "'filesizeformat' needs a finite number");
    int binary = ARG(0) && lexp__v_truthy(ARG(0));
    static const char *const dec[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
    double base = binary ? 1024 : 1000;
    lexp__sbuf b = lexp__py_buf(e);
    if (x == 1) {
        lexp__sbuf_puts(&b, "1 Byte");
    } else if (x < base) {
        lexp__sbuf_printf(&b, "%.0f Bytes", trunc(x));
    } else {
        double unit = 0;
        int i = 0;
        for (; i < 8; i++) {
            char p[16];
            snprintf(p, sizeof p, "1e%d", 3 * (i + 2)); /* 1000^k correctly rounded */
            unit = binary ? ldexp(1, 10 * (i + 2)) : strtod(p, NULL);
            if (x < unit)
                break;
        }
        if (i == 8)
            i = 7;
        lexp__sbuf_printf(&b, "%.1f %s", base * x / unit, binary ? bin[i] : dec[i]);
    }
    return lexp__py_buf_str(e, &b);
}

/* ---- tojson ------------------------------------------------------------------------ */

typedef struct jsonw {
    E *e;
    const lexp_expr *site;
    lexp__sbuf *b;
    const char *ind; /* NULL: on one line */
    size_t indn;
    int spaces; /* ind is indn spaces */
} jsonw;

/* Jinja's htmlsafe_json_dumps turns < > & ' into \u escapes, in the indent too. */
static void put_safe(lexp__sbuf *b, char c)
{
    switch (c) {
    case '<': lexp__sbuf_puts(b, "\\u003c"); break;
    case '>': lexp__sbuf_puts(b, "\\u003e"); break;
    case '&': lexp__sbuf_puts(b, "\\u0026"); break;
    case '\'': lexp__sbuf_puts(b, "\\u0027"); break;
    default: lexp__sbuf_putc(b, c); break;
    }
}

static void json_newline(jsonw *w, int level)
{
    lexp__sbuf_putc(w->b, '\n');
    for (int l = 0; l < level; l++) {
        if (w->spaces)
            lexp__sbuf_repeat(w->b, " ", w->indn);
        else
            for (size_t i = 0; i < w->indn; i++)
                put_safe(w->b, w->ind[i]);
    }
}

/* json.dumps with ensure_ascii: \" \\ \n \r \t \b \f, other characters
 * outside space…~ as \uXXXX (a surrogate pair above U+FFFF). */
static void json_str(lexp__sbuf *b, const char *s, size_t n)
{
    lexp__sbuf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f" : NULL;
        if (esc) {
            lexp__sbuf_puts(b, esc);
            i++;
            continue;
        }
        if (c >= 0x20 && c < 0x7f) {
            put_safe(b, (char)c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t l = lexp__utf8_decode(s + i, n - i, &cp);
        if (!l) {
            cp = 0xFFFD;
            l = 1;
        }
        char u[16];
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000;
            snprintf(u, sizeof u, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
        } else {
            snprintf(u, sizeof u, "\\u%04x", cp);
        }
        lexp__sbuf_puts(b, u);
        i += l;
    }
    lexp__sbuf_putc(b, '"');
}

static int member_cmp(const void *pa, const void *pb)
{
    const lexp_member *a = *(const lexp_member *const *)pa, *b = *(const lexp_member *const *)pb;
    uint32_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    if (c || a->klen != b->klen)
        return c ? c : a->klen < b->klen ? -1 : 1;
    return a < b ? -1 : a > b; /* equal keys keep their order */
}

static int json_value(jsonw *w, V *v, int level)
{
    lexp__sbuf *b = w->b;
    if (level > 64) {
        lexp__eval_fail(w->e, w->site, v, "'tojson': the value nests more than 64 deep");
        return -1;
    }
    if (b->oom)
        return lexp__eval_buf_fail(w->e, w->site, b);
    if (lexp__eval_work(w->e, w->site, 1))
        return -1;
    switch (v->type) {
    case LV_NULL: lexp__sbuf_puts(b, "null"); return 0;
    case LV_BOOL: lexp__sbuf_puts(b, v->b ? "true" : "false"); return 0;
    case LV_NUM: {
        double x = v->u.num;
        if (isnan(x))
            lexp__sbuf_puts(b, "NaN");
        else if (isinf(x))
            lexp__sbuf_puts(b, x < 0 ? "-Infinity" : "Infinity");
        else if (v->b || !(fabs(x) < 1e16) || x != floor(x)) /* a float, as Python's repr */
            lexp__py_float(b, x);
        else
            lexp__fmt_number(b, x);
        return 0;
    }
    case LV_STR: json_str(b, v->u.str, v->len); return 0;
    case LV_ARR:
    case LV_OBJ: {
        int obj = v->type == LV_OBJ;
        if (v->len == 0) {
            lexp__sbuf_puts(b, obj ? "{}" : "[]");
            return 0;
        }
        const lexp_member **m = NULL;
        if (obj) { /* Jinja dumps with sort_keys */
            m = malloc(v->len * sizeof *m);
            if (!m) {
                oom(w->e);
                return -1;
            }
            for (uint32_t i = 0; i < v->len; i++)
                m[i] = &v->u.members[i];
            qsort(m, v->len, sizeof *m, member_cmp);
        }
        lexp__sbuf_putc(b, obj ? '{' : '[');
        int rc = 0;
        for (uint32_t i = 0; i < v->len && rc == 0; i++) {
            if (i)
                lexp__sbuf_puts(b, w->ind ? "," : ", ");
            if (w->ind)
                json_newline(w, level + 1);
            if (obj) {
                json_str(b, m[i]->key, m[i]->klen);
                lexp__sbuf_puts(b, ": ");
            }
            rc = json_value(w, obj ? m[i]->val : v->u.items[i], level + 1);
        }
        free(m);
        if (rc)
            return -1;
        if (w->ind)
            json_newline(w, level);
        lexp__sbuf_putc(b, obj ? '}' : ']');
        return 0;
    }
    case LV_UNDEF:
        lexp__eval_fail(w->e, w->site, v, "'tojson': the value is missing, and Jinja cannot "
                                          "write a missing value as JSON: give a default, "
                                          "x | default(none) | tojson");
        return -1;
    default:
        lexp__eval_fail(w->e, w->site, v, "'tojson' cannot write %s", lexp__v_type_name(v));
        return -1;
    }
}

/* Jinja's tojson(indent): json.dumps with sorted keys and ASCII only, made
 * safe for HTML (< > & ' as \u003c …); with indent, one item a line. */
JF(tojson)
{
    V *ind = ARG(0);
    lexp__sbuf b = lexp__py_buf(e);
    jsonw w = {e, site, &b, NULL, 0, 0};
    if (ind && ind->type == LV_STR) {
        w.ind = ind->u.str;
        w.indn = ind->len;
    } else if (ind) {
        long k;
        if (lexp__py_whole(e, site, ind, "tojson's indent (or a string)", -1000000, 1000000,
                           &k)) {
            lexp__sbuf_free(&b);
            return NULL;
        }
        w.ind = "";
        w.indn = k > 0 ? (size_t)k : 0;
        w.spaces = 1;
    }
    if (json_value(&w, in, 0)) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    return lexp__py_buf_str(e, &b);
}

/* ---- lists --------------------------------------------------------------------------- */

/* unique's keys: Python's set, where 1, 1.0 and True are one value and,
 * without case_sensitive, strings compare lowered. */
typedef struct ukey {
    V *v;
    uint64_t h;
} ukey;

static char lower_c(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

static int ukey_of(V *v, int cs, ukey *k)
{
    uint64_t h = 1469598103934665603ull;
    k->v = v;
    switch (v->type) {
    case LV_UNDEF: h = 1; break;
    case LV_NULL: h = 2; break;
    case LV_BOOL:
    case LV_NUM: {
        double x = v->type == LV_BOOL ? v->b : v->u.num;
        if (x == 0)
            x = 0; /* -0.0 == 0.0 */
        memcpy(&h, &x, sizeof h);
        h = h * 0x9E3779B97F4A7C15ull + 3;
        break;
    }
    case LV_STR:
        for (uint32_t i = 0; i < v->len; i++)
            h = (h ^ (unsigned char)(cs ? v->u.str[i] : lower_c(v->u.str[i]))) *
                1099511628211ull;
        break;
    default: return -1; /* a list or an object: unhashable, as in Python */
    }
    /* mix every bit into the low ones the table uses: whole numbers' doubles
     * end in zero bits */
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    k->h = h;
    return 0;
}

static int ukey_eq(const ukey *a, const ukey *b, int cs)
{
    V *x = a->v, *y = b->v;
    int xn = x->type == LV_NUM || x->type == LV_BOOL, yn = y->type == LV_NUM || y->type == LV_BOOL;
    if (a->h != b->h || (x->type != y->type && !(xn && yn)))
        return 0;
    if (xn)
        return (x->type == LV_BOOL ? x->b : x->u.num) == (y->type == LV_BOOL ? y->b : y->u.num);
    if (x->type != LV_STR)
        return 1;
    if (x->len != y->len)
        return 0;
    for (uint32_t i = 0; i < x->len; i++)
        if (cs ? x->u.str[i] != y->u.str[i] : lower_c(x->u.str[i]) != lower_c(y->u.str[i]))
            return 0;
    return 1;
}

/* Jinja's unique(case_sensitive=false, attribute=none): the first item of
 * each key, in order. */
JF(unique)
{
    V *const *items;
    uint32_t n;
    V *attr = ARG(1);
    int cs = ARG(0) && lexp__v_truthy(ARG(0));
    if (lexp__py_items(e, site, in, "unique", &items, &n) || lexp__eval_work(e, site, n))
        return NULL;
    if (attr && attr->type != LV_STR && attr->type != LV_NUM)
        return lexp__eval_fail(e, site, attr, "'unique' needs the field's name as a string "
                                              "(attribute=\"name\")");
    size_t cap = 16;
    while (cap < (size_t)n * 2)
        cap *= 2;
    ukey *keys = malloc((n ? n : 1) * sizeof *keys);
    uint32_t *slot = calloc(cap, sizeof *slot);
    lexp_value *out = keys && slot ? new_list(e, n) : NULL;
    if (!out) {
        free(keys);
        free(slot);
        return keys && slot ? NULL : oom(e);
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        ukey u;
        V *v = attr ? lexp__py_attr(e, items[i], attr) : items[i];
        if (ukey_of(v, cs, &u)) {
            free(keys);
            free(slot);
            return lexp__eval_fail(e, site, v, "'unique' compares numbers and strings, and "
                                               "found %s (Jinja cannot either): give the "
                                               "field to compare, unique(attribute=\"name\")",
                                   v->type == LV_ARR ? "a list" : "an object");
        }
        size_t at = (size_t)u.h & (cap - 1);
        int seen = 0;
        uint64_t probes = 1;
        for (; slot[at]; at = (at + 1) & (cap - 1), probes++)
            if (ukey_eq(&keys[slot[at] - 1], &u, cs)) {
                seen = 1;
                break;
            }
        if (lexp__eval_work(e, site, probes)) { /* a bad spread of keys is work too */
            free(keys);
            free(slot);
            return NULL;
        }
        if (seen)
            continue;
        keys[k] = u;
        slot[at] = k + 1;
        out->u.items[k++] = (lexp_value *)items[i];
    }
    free(keys);
    free(slot);
    out->len = k;
    return out;
}

/* first / last: of a list its item, of a string its character, of an object
 * its key; undefined when there is none. */
static V *edge(E *e, const lexp_expr *site, V *in, int last)
{
    if (in->type == LV_STR) {
        if (!in->len)
            return &lexp__undef;
        size_t cps = lexp__utf8_count(in->u.str, in->len);
        size_t at = last ? cp_at(in->u.str, in->len, cps - 1) : 0;
        return lexp__eval_str(e, in->u.str + at, cp_len(in->u.str + at, in->len - at));
    }
    if (in->type == LV_OBJ) {
        if (!in->len)
            return &lexp__undef;
        const lexp_member *m = &in->u.members[last ? in->len - 1 : 0];
        return lexp__eval_str(e, m->key, m->klen);
    }
    V *const *items;
    uint32_t n;
    if (lexp__py_items(e, site, in, last ? "last" : "first", &items, &n))
        return NULL;
    return n ? items[last ? n - 1 : 0] : &lexp__undef;
}

JF(first) { (void)args; (void)nargs; return edge(e, site, in, 0); }
JF(last) { (void)args; (void)nargs; return edge(e, site, in, 1); }

/* reverse: a string's characters, a list's items, an object's keys; Jinja
 * gives an iterator for a list, which prints as such: here it is the list. */
JF(reverse)
{
    (void)args;
    (void)nargs;
    if (in->type == LV_STR) {
        lexp__sbuf b = lexp__py_buf(e);
        for (size_t i = in->len; i > 0;) {
            size_t j = i - 1;
            while (j > 0 && ((unsigned char)in->u.str[j] & 0xC0) == 0x80)
                j--;
            lexp__sbuf_put(&b, in->u.str + j, i - j);
            i = j;
        }
        return lexp__py_buf_str(e, &b);
    }
    if (in->type == LV_OBJ) {
        lexp_value *l = new_list(e, in->len);
        for (uint32_t i = 0; l && i < in->len; i++) {
            const lexp_member *m = &in->u.members[in->len - 1 - i];
            if (!(l->u.items[i] = (lexp_value *)lexp__eval_str(e, m->key, m->klen)))
                return NULL;
        }
        return l;
    }
    V *const *items;
    uint32_t n;
    if (lexp__py_items(e, site, in, "reverse", &items, &n) || lexp__eval_work(e, site, n))
        return NULL;
    lexp_value *l = new_list(e, n);
    for (uint32_t i = 0; l && i < n; i++)
        l->u.items[i] = (lexp_value *)items[n - 1 - i];
    return l;
}

/* abs keeps a float a float (abs(-3.0) prints 3.0); abs(True) is 1 */
JF(abs)
{
    (void)args;
    (void)nargs;
    if (in->type == LV_BOOL)
        return lexp__eval_num(e, in->b);
    if (in->type != LV_NUM)
        return lexp__eval_fail(e, site, in, "'abs' needs a number");
    lexp_value *v = lexp__v_num(e->A, fabs(in->u.num));
    if (!v)
        return oom(e);
    v->b = in->b;
    return v;
}

/* ---- loops ---------------------------------------------------------------------------- */

V *lexp__jinja_loop_item(E *e, const lexp_loop *l, int64_t i)
{
    V *it = l->it;
    if (!it || i < 0 || i >= (int64_t)l->length || (it->type != LV_ARR && it->type != LV_OBJ))
        return &lexp__undef;
    if (it->type == LV_ARR)
        return it->u.items[i];
    const lexp_member *m = &it->u.members[i];
    V *k = lexp__eval_str(e, m->key, m->klen);
    return k && l->two ? pair(e, k, m->val) : k;
}

/* loop.changed(a, …): true the first time and whenever the values differ
 * from those of the call before (in this run of the loop). */
JF(changed)
{
    if (in->type != LV_LOOP)
        return lexp__eval_fail(e, site, in, "changed(…) is a method of the loop: "
                                            "loop.changed(x)");
    lexp_loop *l = in->u.loop;
    e->pinned = 1; /* l->changed keeps `now` for the next iteration */
    lexp_value *now = new_list(e, (uint32_t)nargs);
    if (!now)
        return NULL;
    for (int i = 0; i < nargs; i++)
        now->u.items[i] = (lexp_value *)(args[i] ? args[i] : &lexp__undef);
    if (l->changed && lexp__v_equal(l->changed, now))
        return &lexp__false;
    l->changed = now;
    return &lexp__true;
}

/* `for x in xs if cond` (x->a the list, x->b the condition, x->name and
 * x->c's name the loop variables): the items for which cond holds, before
 * the loop runs, so loop.index and loop.length count only them. An object
 * gives its keys, or (key, value) pairs for two variables. */
V *lexp__jinja_loop_filter(E *e, const lexp_expr *x)
{
    V *it = lexp__eval_expr(e, x->a);
    uint32_t n;
    int two = x->c != NULL;
    if (!it || lexp__eval_loop_len(e, x->a, it, two, &n) || lexp__eval_work(e, x, n))
        return NULL;
    if (it->type != LV_ARR && it->type != LV_OBJ)
        return new_list(e, 0);
    lexp_value *out = new_list(e, n);
    size_t mark = e->nbinds;
    if (!out || lexp__eval_bind(e, x->name, x->nlen, &lexp__undef) ||
        (two && lexp__eval_bind(e, x->c->name, x->c->nlen, &lexp__undef)))
        return NULL;
    uint32_t k = 0;
    V *r = out;
    for (uint32_t i = 0; i < n; i++) {
        V *item, *a, *b = NULL;
        if (it->type == LV_ARR) {
            item = a = it->u.items[i];
            if (two) {
                a = item->u.items[0]; /* pairs: lexp__eval_loop_len checked */
                b = item->u.items[1];
            }
        } else {
            const lexp_member *m = &it->u.members[i];
            a = lexp__eval_str(e, m->key, m->klen);
            b = m->val;
            item = a && two ? pair(e, a, b) : a;
            if (!item) {
                r = NULL;
                break;
            }
        }
        e->binds[mark].val = a;
        if (two)
            e->binds[mark + 1].val = b;
        V *c = lexp__eval_expr(e, x->b);
        if (!c) {
            r = NULL;
            break;
        }
        if (lexp__v_truthy(c))
            out->u.items[k++] = (lexp_value *)item;
    }
    e->nbinds = mark;
    out->len = k;
    return r;
}

/* ---- tables ---------------------------------------------------------------------------- */

#define D(name, fn, lo, hi, params) {name, lo, hi, j_##fn, params}

static const lexp_filter_def more[] = {
    D("abs", abs, 0, 0, ""),
    D("center", center, 0, 1, "width"),
    D("filesizeformat", filesizeformat, 0, 1, "binary"),
    D("first", first, 0, 0, ""),
    D("indent", indent, 0, 3, "width,first,blank"),
    D("last", last, 0, 0, ""),
    D("reverse", reverse, 0, 0, ""),
    D("striptags", striptags, 0, 0, ""),
    D("tojson", tojson, 0, 1, "indent"),
    D("unique", unique, 0, 2, "case_sensitive,attribute"),
    D("urlencode", urlencode, 0, 0, ""),
};

/* "{} and {}".format(a, b): Python's str.format (filters_format.c) */
JF(strformat) { return lexp__py_str_format(e, site, in, args, nargs); }

static const lexp_filter_def more_calls[] = {
    D("changed", changed, 0, 8, ""),
    D("format", strformat, 0, 8, ""),
};


const lexp_filter_def *lexp__jfilter_find_more(const char *name, size_t len)
{
    return lexp__fdef_find(more, sizeof more / sizeof *more, name, len);
}

const lexp_filter_def *lexp__jcall_find_more(const char *name, size_t len)
{
    const lexp_filter_def *d =
        lexp__fdef_find(more_calls, sizeof more_calls / sizeof *more_calls, name, len);
    return d ? d : lexp__jmethod_find(name, len);
}

/* Jinja's builtins lexport has not, and what to write instead. */
static const char *const missing[][3] = {
    {"f", "attr", "the data's objects are JSON objects, which have no attributes in Jinja "
                  "either (attr gives undefined): write x.name or x['name']"},
    {"f", "pprint", "write x | tojson(indent=2) for a readable form, or {{ x }} for Python's "
                    "repr"},
    {"f", "random", "a filled document must come out the same each time: pick the item with "
                    "xs[n] or xs | first"},
    {"f", "urlize", "links are not made from text: write the address as text, or put a "
                    "hyperlink in the template"},
    {"f", "wordwrap", "Word and Excel wrap lines themselves; for a break of your own put "
                      "\"\\n\" in the value (a ~ \"\\n\" ~ b)"},
    {"f", "xmlattr", "a filled document has no HTML attributes: write the text itself"},
    {"t", "callable", "nothing in the data can be called: test with 'is defined' or "
                      "'is mapping'"},
    {"t", "escaped", "values are always written as text, never escaped: remove the test"},
};

const char *lexp__jinja_missing(char kind, const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof missing / sizeof *missing; i++)
        if (missing[i][0][0] == kind && strlen(missing[i][1]) == len &&
            memcmp(missing[i][1], name, len) == 0)
            return missing[i][2];
    return NULL;
}
