/*
 * Office templates: Python's str.format ("{:,}".format(n), "{}年{}月".format(y, m)),
 * as docxtpl's Jinja runs it. Fields are {} (the next argument), {0} (by
 * position), with an optional conversion !s or !r and a format spec
 * [[fill]align][sign][#][0][width][,|_][.precision][type]; {{ and }} are
 * braces. Names ({name}, {0.attr}, {0[k]}) are refused: the method takes
 * positional arguments only.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

typedef lexp_eval E;
typedef const lexp_value V;

typedef struct spec {
    char fill[5]; /* one character, UTF-8 */
    int has_fill; /* given in the spec (else '0' may set it) */
    char align;   /* '<' '>' '^' '=' or 0 (the type's own) */
    char sign;    /* '+' '-' ' ' */
    int alt, zero;
    long width, prec; /* -1: none */
    char group;       /* ',' '_' or 0 */
    char type;        /* 0 or the type letter */
} spec;

static V *fail(E *e, const lexp_expr *at, const char *what, const char *s, size_t n)
{
    return lexp__eval_fail(e, at, NULL, "format string \"%.*s\": %s", (int)(n > 60 ? 60 : n), s,
                           what);
}

/* Parse a format spec s[0..n); 0, or -1 with what is wrong in *why. */
static int parse_spec(const char *s, size_t n, spec *p, const char **why)
{
    memset(p, 0, sizeof *p);
    strcpy(p->fill, " ");
    p->sign = '-';
    p->width = p->prec = -1;
    size_t i = 0;
    uint32_t cp;
    size_t cl = n ? lexp__utf8_decode(s, n, &cp) : 0;
    if (cl && cl < n && strchr("<>^=", s[cl])) { /* a fill and an alignment */
        memcpy(p->fill, s, cl);
        p->fill[cl] = 0;
        p->has_fill = 1;
        p->align = s[cl];
        i = cl + 1;
    } else if (n && strchr("<>^=", s[0])) {
        p->align = s[0];
        i = 1;
    }
    if (i < n && strchr("+- ", s[i]))
        p->sign = s[i++];
    if (i < n && s[i] == '#')
        p->alt = 1, i++;
    if (i < n && s[i] == '0') {
        p->zero = 1;
        i++;
    }
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        p->width = (p->width < 0 ? 0 : p->width) * 10 + (s[i++] - '0');
        if (p->width > 10000)
            return *why = "the width is over 10000", -1;
    }
    if (i < n && (s[i] == ',' || s[i] == '_'))
        p->group = s[i++];
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return *why = "a precision needs digits after '.'", -1;
        p->prec = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            p->prec = p->prec * 10 + (s[i++] - '0');
            if (p->prec > 300)
                return *why = "the precision is over 300", -1;
        }
    }
    if (i < n && strchr("sdnxXobceEfFgG%", s[i]))
        p->type = s[i++];
    if (i < n)
        return *why = "the format spec is not valid (expected "
                      "[[fill]align][sign][#][0][width][,][.precision][type])",
               -1;
    return 0;
}

/* Pad `body` (with `pre`, its sign and prefix, for '=') into b. */
static void pad(lexp__sbuf *b, const spec *p, char dflt, const char *pre, const char *body,
                size_t blen)
{
    size_t w = lexp__utf8_count(pre, strlen(pre)) + lexp__utf8_count(body, blen);
    size_t need = p->width > 0 && (size_t)p->width > w ? (size_t)p->width - w : 0;
    char al = p->align ? p->align : dflt;
    size_t before = al == '>' || al == '=' ? need : al == '^' ? need / 2 : 0;
    if (al != '=')
        for (size_t k = 0; k < before; k++)
            lexp__sbuf_puts(b, p->fill);
    lexp__sbuf_puts(b, pre);
    if (al == '=')
        for (size_t k = 0; k < before; k++)
            lexp__sbuf_puts(b, p->fill);
    lexp__sbuf_put(b, body, blen);
    for (size_t k = before; k < need; k++)
        lexp__sbuf_puts(b, p->fill);
}

/* The leading digits of d that grouping separates: decimal ones, or hex
 * ones when grouping by four (the '_' of x, X, o, b). */
static size_t digit_run(const char *d, int every)
{
    size_t run = 0;
    while ((d[run] >= '0' && d[run] <= '9') ||
           (every == 4 && ((d[run] >= 'a' && d[run] <= 'f') || (d[run] >= 'A' && d[run] <= 'F'))))
        run++;
    return run;
}

/* d with the separator every `every` digits of its leading run. */
static void grouped(lexp__sbuf *o, const char *d, char sep, int every)
{
    size_t run = digit_run(d, every);
    for (size_t i = 0; i < run; i++) {
        if (i > 0 && (run - i) % (size_t)every == 0)
            lexp__sbuf_putc(o, sep);
        lexp__sbuf_putc(o, d[i]);
    }
    lexp__sbuf_puts(o, d + run);
}

/* Python's float with no type and a precision: 'g', but fixed notation
 * keeps a digit after the point (so it switches to exponents one digit
 * sooner): 3.0 → "3.0", 30.0 with .2 → "3e+01". */
static void general_dot(char *out, size_t cap, double a, long prec, int alt)
{
    int p = prec < 1 ? 1 : (int)prec;
    char t[400];
    snprintf(t, sizeof t, "%.*e", p - 1, a);
    int exp = atoi(strchr(t, 'e') + 1);
    if (alt) { /* '#': the point and the zeros stay */
        if (exp < -4 || exp >= p - 1)
            snprintf(out, cap, "%#.*e", p - 1, a);
        else
            snprintf(out, cap, "%#.*f", p - 1 - exp, a);
        return;
    }
    if (exp < -4 || exp >= p - 1) {
        /* mantissa without trailing zeros, then the exponent */
        char *ep = strchr(t, 'e');
        size_t m = (size_t)(ep - t);
        while (m > 1 && t[m - 1] == '0')
            m--;
        if (m > 1 && t[m - 1] == '.')
            m--;
        snprintf(out, cap, "%.*s%s", (int)m, t, ep);
        return;
    }
    snprintf(out, cap, "%.*f", p - 1 - exp, a);
    size_t m = strlen(out);
    char *dot = strchr(out, '.');
    if (!dot) {
        snprintf(out + m, cap - m, ".0");
        return;
    }
    while (m > (size_t)(dot - out) + 2 && out[m - 1] == '0')
        m--;
    out[m] = 0;
}

/* One field: value v formatted by spec s[0..n) into b. */
static int format_one(E *e, const lexp_expr *at, lexp__sbuf *b, V *v, const char *s, size_t n)
{
    spec p;
    const char *why = NULL;
    if (parse_spec(s, n, &p, &why))
        return fail(e, at, why, s, n), -1;
    int is_num = v->type == LV_NUM || (v->type == LV_BOOL && n > 0);
    if (!is_num) {
        if (p.type && p.type != 's') {
            lexp__sbuf d = LEXP__SBUF_INIT;
            lexp__v_describe(&d, v);
            lexp__eval_fail(e, at, v, "format code '%c' needs a number, found %s", p.type,
                            lexp__sbuf_cstr(&d));
            lexp__sbuf_free(&d);
            return -1;
        }
        if (n && v->type != LV_STR && v->type != LV_BOOL) {
            lexp__sbuf d = LEXP__SBUF_INIT;
            lexp__v_describe(&d, v);
            lexp__eval_fail(e, at, v, "a format spec applies to text and numbers, not %s",
                            lexp__sbuf_cstr(&d));
            lexp__sbuf_free(&d);
            return -1;
        }
        if (p.sign != '-' || p.alt || p.group || p.align == '=')
            return fail(e, at, "a sign, '#', ',' or '=' needs a number", s, n), -1;
        lexp__sbuf t = LEXP__SBUF_INIT;
        if (lexp__jinja_text(e, at, &t, v)) {
            lexp__sbuf_free(&t);
            return -1;
        }
        size_t len = t.len;
        if (p.prec >= 0) { /* at most prec characters */
            size_t i = 0;
            for (long k = 0; k < p.prec && i < t.len; k++) {
                i++;
                while (i < t.len && ((unsigned char)t.ptr[i] & 0xC0) == 0x80)
                    i++;
            }
            len = i;
        }
        pad(b, &p, '<', "", t.ptr ? t.ptr : "", len);
        lexp__sbuf_free(&t);
        return 0;
    }
    double x = v->type == LV_BOOL ? v->b : v->u.num;
    int whole = v->type == LV_BOOL || (!v->b && x == floor(x) && fabs(x) < 9.0e15);
    char type = p.type;
    if (type == 's')
        return fail(e, at, "format code 's' needs text, not a number", s, n), -1;
    if (type && strchr("dxXobc", type) && !whole)
        return fail(e, at, "an integer format code (d, x, o, b, c) needs a whole number", s, n),
               -1;
    if (p.prec >= 0 && whole && (!type || strchr("dxXobcn", type)))
        return fail(e, at, "a precision is not allowed with a whole number's format (add f: "
                           "{:.2f})",
                    s, n),
               -1;
    if (type == 'n' && p.group)
        return fail(e, at, "',' or '_' cannot go with 'n'", s, n), -1;
    /* '0': zeros as the fill (unless one is given), after the sign when no
     * alignment is */
    if (p.zero && !p.has_fill)
        strcpy(p.fill, "0");
    if (p.zero && !p.align)
        p.align = '=';
    char digits[700];
    const char *prefix = "";
    int neg = signbit(x) && !isnan(x);
    double a = fabs(x);
    int every = 3;
    if (!type && whole)
        type = 'd';
    if (type == 'n')
        type = whole ? 'd' : 'g';
    switch (type) {
    case 'd': snprintf(digits, sizeof digits, "%.0f", a); break;
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
        unsigned long long k = (unsigned long long)a;
        if (type == 'b') {
            char t[70];
            int m = 0;
            do
                t[m++] = (char)('0' + (k & 1));
            while ((k >>= 1) && m < 69);
            for (int i = 0; i < m; i++)
                digits[i] = t[m - 1 - i];
            digits[m] = 0;
        } else {
            snprintf(digits, sizeof digits, type == 'x' ? "%llx" : type == 'X' ? "%llX" : "%llo",
                     k);
        }
        if (p.alt)
            prefix = type == 'x' ? "0x" : type == 'X' ? "0X" : type == 'o' ? "0o" : "0b";
        if (p.group == '_')
            every = 4;
        else if (p.group == ',')
            return fail(e, at, "',' groups decimal digits only", s, n), -1;
        break;
    }
    case 'c': {
        if (a >= 0x110000 || neg)
            return fail(e, at, "'c' needs a character code below 0x110000", s, n), -1;
        size_t l = lexp__utf8_encode((uint32_t)a, digits);
        digits[l] = 0;
        pad(b, &p, '<', "", digits, l);
        return 0;
    }
    case '%':
        a *= 100;
        /* fall through */
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
        int pr = (int)(p.prec < 0 ? 6 : p.prec);
        switch (type == '%' ? 'f' : type) {
        case 'f': snprintf(digits, sizeof digits, p.alt ? "%#.*f" : "%.*f", pr, a); break;
        case 'F': snprintf(digits, sizeof digits, p.alt ? "%#.*F" : "%.*F", pr, a); break;
        case 'e': snprintf(digits, sizeof digits, p.alt ? "%#.*e" : "%.*e", pr, a); break;
        case 'E': snprintf(digits, sizeof digits, p.alt ? "%#.*E" : "%.*E", pr, a); break;
        case 'g': snprintf(digits, sizeof digits, p.alt ? "%#.*g" : "%.*g", pr, a); break;
        default: snprintf(digits, sizeof digits, p.alt ? "%#.*G" : "%.*G", pr, a); break;
        }
        if (type == '%')
            strcat(digits, "%");
        break;
    }
    default: /* a real without a type: repr, or 'g' keeping a ".0" */
        if (p.prec < 0) {
            lexp__sbuf t = LEXP__SBUF_INIT;
            lexp__py_float(&t, a);
            snprintf(digits, sizeof digits, "%.*s", (int)t.len, t.ptr ? t.ptr : "");
            lexp__sbuf_free(&t);
            char *ex = strchr(digits, 'e');
            if (p.alt && !strchr(digits, '.') && ex) { /* '#': 1e-05 keeps a point, 1.e-05 */
                memmove(ex + 1, ex, strlen(ex) + 1);
                *ex = '.';
            }
        } else {
            general_dot(digits, sizeof digits, a, p.prec, p.alt);
        }
        break;
    }
    char pre[8];
    snprintf(pre, sizeof pre, "%s%s", neg ? "-" : p.sign == '+' ? "+" : p.sign == ' ' ? " " : "",
             prefix);
    /* zero padding with grouping: the zeros are grouped too, as few as reach
     * the width and never a separator first (00,001,234; 0_0000_00ff) */
    lexp__sbuf z = LEXP__SBUF_INIT, body = LEXP__SBUF_INIT;
    if (p.group && p.align == '=' && strcmp(p.fill, "0") == 0 && p.width > 0) {
        size_t run = digit_run(digits, every), rest = strlen(digits) - run, w = strlen(pre);
        for (size_t d = run; w + d + (d - 1) / (size_t)every + rest < (size_t)p.width; d++)
            lexp__sbuf_putc(&z, '0');
    }
    lexp__sbuf_puts(&z, digits);
    if (p.group)
        grouped(&body, lexp__sbuf_cstr(&z), p.group, every);
    else
        lexp__sbuf_put(&body, z.ptr, z.len);
    lexp__sbuf_free(&z);
    pad(b, &p, '>', pre, body.ptr ? body.ptr : "", body.len);
    lexp__sbuf_free(&body);
    return 0;
}

V *lexp__py_str_format(E *e, const lexp_expr *at, V *fmt, V *const *args, int nargs)
{
    if (fmt->type != LV_STR)
        return lexp__eval_fail(e, at, fmt, "'.format(…)' is a method of text: \"{} and {}\"."
                                           "format(a, b)");
    const char *s = fmt->u.str;
    size_t n = fmt->len;
    lexp__sbuf b = lexp__py_buf(e);
    int next = 0, numbered = -1; /* -1: not yet known; 0: automatic; 1: by position */
    for (size_t i = 0; i < n;) {
        char c = s[i];
        if (c == '}') {
            if (i + 1 < n && s[i + 1] == '}') {
                lexp__sbuf_putc(&b, '}');
                i += 2;
                continue;
            }
            lexp__sbuf_free(&b);
            return fail(e, at, "a single '}' (write '}}' for a brace)", s, n);
        }
        if (c != '{') {
            lexp__sbuf_putc(&b, c);
            i++;
            continue;
        }
        if (i + 1 < n && s[i + 1] == '{') {
            lexp__sbuf_putc(&b, '{');
            i += 2;
            continue;
        }
        size_t j = i + 1, depth = 1;
        while (j < n && depth) {
            if (s[j] == '{')
                depth++;
            else if (s[j] == '}')
                depth--;
            if (depth)
                j++;
        }
        if (j >= n) {
            lexp__sbuf_free(&b);
            return fail(e, at, "a '{' is not closed (write '{{' for a brace)", s, n);
        }
        /* field: [index][!conv][:spec] */
        const char *f = s + i + 1;
        size_t fl = j - i - 1, k = 0;
        int idx = -1;
        while (k < fl && f[k] >= '0' && f[k] <= '9' && k < 6)
            idx = (idx < 0 ? 0 : idx * 10) + (f[k++] - '0');
        if (k < fl && f[k] != '!' && f[k] != ':') {
            lexp__sbuf_free(&b);
            return fail(e, at,
                        "fields are {} or {0} here: names, attributes and keys ({name}, "
                        "{0.x}, {0[k]}) are not supported; pass the values in order",
                        s, n);
        }
        if ((idx < 0 ? 0 : 1) != numbered && numbered >= 0) {
            lexp__sbuf_free(&b);
            return fail(e, at, "automatic {} and numbered {0} fields cannot be mixed", s, n);
        }
        numbered = idx < 0 ? 0 : 1;
        if (idx < 0)
            idx = next++;
        if (idx >= nargs) {
            lexp__sbuf_free(&b);
            return lexp__eval_fail(e, at, NULL,
                                   "format string \"%.*s\": field %d has no argument (%d given)",
                                   (int)(n > 60 ? 60 : n), s, idx, nargs);
        }
        V *v = args[idx] ? args[idx] : &lexp__undef;
        int conv = 0;
        if (k < fl && f[k] == '!') {
            if (k + 1 >= fl || (f[k + 1] != 's' && f[k + 1] != 'r') ||
                (k + 2 < fl && f[k + 2] != ':')) {
                lexp__sbuf_free(&b);
                return fail(e, at, "a conversion is !s or !r", s, n);
            }
            conv = f[k + 1];
            k += 2;
        }
        const char *sp = k < fl ? f + k + 1 : f + fl;
        size_t spl = k < fl ? fl - k - 1 : 0;
        if (memchr(sp, '{', spl)) {
            lexp__sbuf_free(&b);
            return fail(e, at, "nested fields in a format spec are not supported", s, n);
        }
        if (conv) { /* !s and !r make text first */
            V *fv = lexp__eval_str(e, conv == 'r' ? "%r" : "%s", 2);
            if (!fv || !(v = lexp__py_percent(e, at, fv, v, 0))) {
                lexp__sbuf_free(&b);
                return NULL;
            }
        }
        if (format_one(e, at, &b, v, sp, spl)) {
            lexp__sbuf_free(&b);
            return NULL;
        }
        i = j + 1;
    }
    return lexp__py_buf_str(e, &b);
}
