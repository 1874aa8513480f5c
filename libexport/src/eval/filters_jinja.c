/*
 * Jinja's meaning in office templates (lexp fill), for people coming from
 * docxtpl: how values print, and the `is` tests.
 *
 * The evaluator of an office template runs in Jinja mode (lexp_eval.jinja,
 * set by lexp__eval_open). In that mode:
 *   - a real number from the data prints as Python prints it (3.0, 1.234,
 *     1e+20), a whole number without a point (3); booleans print True and
 *     False; a list or an object prints as Python's repr
 *     (['a', 'b'], {'k': 'v'}), what docxtpl puts in the document;
 *   - null and a missing value print nothing, as in .lxt templates (Jinja
 *     would print None for null; nobody wants that in a form).
 * .lxt templates keep lexport's own printing (lists as 甲、乙, objects are an
 * error naming their fields). templates/README.md, "Coming from docxtpl",
 * lists every difference.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

/* ---- printing ------------------------------------------------------------------ */

/* A double as Python's repr(float): the shortest digits that read back the
 * same, in scientific form below 1e-4 and from 1e16. */
void lexp__py_float(lexp__sbuf *b, double x)
{
    if (isnan(x)) {
        lexp__sbuf_puts(b, "nan");
        return;
    }
    if (isinf(x)) {
        lexp__sbuf_puts(b, x < 0 ? "-inf" : "inf");
        return;
    }
    char buf[40];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
    /* digits and exponent */
    char digits[24];
    int nd = 0, neg = buf[0] == '-';
    const char *p = buf + neg;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        lexp__sbuf_puts(b, "-");
    if (exp < -4 || exp >= 16) {
        lexp__sbuf_put(b, digits, 1);
        if (nd > 1) {
            lexp__sbuf_puts(b, ".");
            lexp__sbuf_put(b, digits + 1, (size_t)nd - 1);
        }
        char e[16];
        snprintf(e, sizeof e, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        lexp__sbuf_puts(b, e);
        return;
    }
    if (exp < 0) {
        lexp__sbuf_puts(b, "0.");
        for (int i = 0; i < -exp - 1; i++)
            lexp__sbuf_puts(b, "0");
        lexp__sbuf_put(b, digits, (size_t)nd);
        return;
    }
    if (nd <= exp + 1) {
        lexp__sbuf_put(b, digits, (size_t)nd);
        for (int i = nd; i < exp + 1; i++)
            lexp__sbuf_puts(b, "0");
        lexp__sbuf_puts(b, ".0");
        return;
    }
    lexp__sbuf_put(b, digits, (size_t)exp + 1);
    lexp__sbuf_puts(b, ".");
    lexp__sbuf_put(b, digits + exp + 1, (size_t)(nd - exp - 1));
}

static void py_number(lexp__sbuf *b, const lexp_value *v)
{
    double x = v->u.num;
    if (v->b || !(fabs(x) < 1e16) || x != floor(x)) /* a real: as Python */
        lexp__py_float(b, x);
    else
        lexp__fmt_number(b, x);
}

static void py_str_repr(lexp__sbuf *b, const char *s, size_t n)
{
    int dq = memchr(s, '\'', n) && !memchr(s, '"', n);
    char q = dq ? '"' : '\'';
    lexp__sbuf_put(b, &q, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        if (ch == '\\' || ch == (unsigned char)q) {
            esc[0] = '\\';
            esc[1] = (char)ch;
            lexp__sbuf_put(b, esc, 2);
        } else if (ch == '\n') {
            lexp__sbuf_puts(b, "\\n");
        } else if (ch == '\t') {
            lexp__sbuf_puts(b, "\\t");
        } else if (ch == '\r') {
            lexp__sbuf_puts(b, "\\r");
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", ch);
            lexp__sbuf_puts(b, esc);
        } else {
            lexp__sbuf_put(b, s + i, 1);
        }
    }
    lexp__sbuf_put(b, &q, 1);
}

static int py_repr(lexp_eval *e, const lexp_expr *at, lexp__sbuf *b, const lexp_value *v,
                   int depth)
{
    if (depth > 64) {
        lexp__eval_fail(e, at, v, "a value nested more than 64 deep cannot be printed");
        return -1;
    }
    if (b->len > LEXP_EVAL_MAX_OUTPUT) {
        lexp__eval_fail(e, at, v, "the printed value is longer than %u MB",
                        LEXP_EVAL_MAX_OUTPUT >> 20);
        return -1;
    }
    switch (v->type) {
    case LV_UNDEF:
    case LV_NULL: lexp__sbuf_puts(b, "None"); return 0;
    case LV_BOOL: lexp__sbuf_puts(b, v->b ? "True" : "False"); return 0;
    case LV_NUM: py_number(b, v); return 0;
    case LV_STR: py_str_repr(b, v->u.str, v->len); return 0;
    case LV_ARR:
        lexp__sbuf_puts(b, "[");
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                lexp__sbuf_puts(b, ", ");
            if (py_repr(e, at, b, v->u.items[i], depth + 1))
                return -1;
        }
        lexp__sbuf_puts(b, "]");
        return 0;
    case LV_OBJ:
        lexp__sbuf_puts(b, "{");
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                lexp__sbuf_puts(b, ", ");
            py_str_repr(b, v->u.members[i].key, v->u.members[i].klen);
            lexp__sbuf_puts(b, ": ");
            if (py_repr(e, at, b, v->u.members[i].val, depth + 1))
                return -1;
        }
        lexp__sbuf_puts(b, "}");
        return 0;
    default:
        lexp__eval_fail(e, at, NULL, "cannot print %s", lexp__v_type_name(v));
        return -1;
    }
}

int lexp__jinja_text(lexp_eval *e, const lexp_expr *at, lexp__sbuf *b, const lexp_value *v)
{
    if (b->oom) /* a list printed could be far larger than its memory */
        return lexp__eval_buf_fail(e, at, b);
    switch (v->type) {
    case LV_UNDEF:
    case LV_NULL: return 0;
    case LV_BOOL: lexp__sbuf_puts(b, v->b ? "True" : "False"); return 0;
    case LV_NUM: py_number(b, v); return 0;
    case LV_STR: lexp__sbuf_put(b, v->u.str, v->len); return 0;
    case LV_ARR:
    case LV_OBJ: return py_repr(e, at, b, v, 0);
    default:
        lexp__eval_fail(e, at, NULL, "cannot print %s", lexp__v_type_name(v));
        return -1;
    }
}

/* ---- tests: `x is name`, `x is name(arg)` ------------------------------------------ */

static const char *const test_names[] = {
    "defined", "undefined", "none",  "number",   "string",   "empty",      "mapping",
    "sequence", "iterable", "integer", "float",  "boolean",  "true",       "false",
    "odd",      "even",     "lower",   "upper",  "filter",   "test",       NULL};
/* tests with an argument, and their aliases as select("==", x) writes them */
static const char *const arg_tests[][2] = {
    {"divisibleby", "divisibleby"}, {"in", "in"}, {"sameas", "sameas"}, {"eq", "eq"},
    {"equalto", "eq"}, {"==", "eq"}, {"ne", "ne"}, {"!=", "ne"}, {"lt", "lt"},
    {"lessthan", "lt"}, {"<", "lt"}, {"le", "le"}, {"<=", "le"}, {"gt", "gt"},
    {"greaterthan", "gt"}, {">", "gt"}, {"ge", "ge"}, {">=", "ge"}};

const char *lexp__test_names(void)
{
    return "defined, undefined, none, number, string, empty, mapping, sequence, iterable, "
           "integer, float, boolean, true, false, odd, even, divisibleby(n), in(list), "
           "sameas(x), eq/equalto/ne/lt/lessthan/le/gt/greaterthan/ge(x), lower, upper, filter, "
           "test";
}

static const char *arg_test(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof arg_tests / sizeof *arg_tests; i++)
        if (strlen(arg_tests[i][0]) == n && memcmp(arg_tests[i][0], name, n) == 0)
            return arg_tests[i][1];
    return NULL;
}

int lexp__test_known(const char *name, size_t n, int *takes_arg)
{
    *takes_arg = arg_test(name, n) != NULL;
    if (*takes_arg)
        return 1;
    for (int i = 0; test_names[i]; i++)
        if (strlen(test_names[i]) == n && memcmp(test_names[i], name, n) == 0)
            return 1;
    return 0;
}

static int contains(const char *h, size_t hn, const char *n, size_t nn)
{
    return lexp__find(h, hn, n, nn) != NULL;
}

static int is_whole(const lexp_value *v)
{
    return v->type == LV_NUM && !v->b && v->u.num == floor(v->u.num) && fabs(v->u.num) < 9.0e15;
}

static int has_lower(const lexp_value *v, int upper)
{
    int cased = 0;
    for (uint32_t i = 0; i < v->len; i++) {
        char ch = v->u.str[i];
        if (ch >= 'a' && ch <= 'z') {
            if (upper)
                return 0;
            cased = 1;
        } else if (ch >= 'A' && ch <= 'Z') {
            if (!upper)
                return 0;
            cased = 1;
        }
    }
    return cased;
}

/* Evaluate test x on value a: 1 true, 0 false, -1 error. */
int lexp__test_eval(lexp_eval *e, const lexp_expr *x, const lexp_value *a)
{
    const lexp_value *b = x->b ? lexp__eval_expr(e, x->b) : NULL;
    if (x->b && !b)
        return -1;
    return lexp__test_apply(e, x, x->name, x->nlen, a, b);
}

int lexp__test_apply(lexp_eval *e, const lexp_expr *x, const char *n, size_t len,
                     const lexp_value *a, const lexp_value *b)
{
    const char *alias = arg_test(n, len);
    if (alias) {
        n = alias;
        len = strlen(alias);
    }
#define IS(s) (len == sizeof(s) - 1 && memcmp(n, s, len) == 0)
    if (IS("defined"))
        return a->type != LV_UNDEF;
    if (IS("undefined"))
        return a->type == LV_UNDEF;
    if (IS("none"))
        return a->type <= LV_NULL;
    if (IS("number"))
        return a->type == LV_NUM;
    if (IS("string"))
        return a->type == LV_STR;
    if (IS("empty"))
        return !lexp__v_truthy(a) && a->type != LV_NUM && a->type != LV_BOOL;
    if (IS("mapping"))
        return a->type == LV_OBJ;
    if (IS("sequence"))
        return a->type == LV_ARR || a->type == LV_STR || a->type == LV_OBJ;
    if (IS("iterable"))
        return a->type == LV_ARR || a->type == LV_STR || a->type == LV_OBJ;
    if (IS("integer"))
        return is_whole(a);
    if (IS("float"))
        return a->type == LV_NUM && !is_whole(a);
    if (IS("boolean"))
        return a->type == LV_BOOL;
    if (IS("true"))
        return a->type == LV_BOOL && a->b;
    if (IS("false"))
        return a->type == LV_BOOL && !a->b;
    if (IS("filter")) /* a string naming a filter of office templates */
        return a->type == LV_STR && (lexp__jfilter_find(a->u.str, a->len) ||
                                     lexp__filter_find(a->u.str, a->len));
    if (IS("test")) {
        int arg;
        return a->type == LV_STR && lexp__test_known(a->u.str, a->len, &arg);
    }
    if (IS("lower") || IS("upper"))
        return a->type == LV_STR && has_lower(a, IS("upper"));
    if (IS("odd") || IS("even")) {
        if (!is_whole(a)) {
            lexp__eval_fail(e, x, a, "'is %.*s' needs a whole number", (int)len, n);
            return -1;
        }
        long long k = (long long)a->u.num;
        return IS("odd") ? (k % 2 != 0) : (k % 2 == 0);
    }
    if (!b) {
        lexp__eval_fail(e, x, NULL, "'is %.*s' needs an argument: is %.*s(…)", (int)len, n,
                        (int)len, n);
        return -1;
    }
    if (IS("divisibleby")) {
        if (!is_whole(a) || !is_whole(b) || b->u.num == 0) {
            lexp__eval_fail(e, x, a, "'is divisibleby' needs whole numbers (and not 0)");
            return -1;
        }
        return fmod(a->u.num, b->u.num) == 0;
    }
    if (IS("in")) {
        if (b->type == LV_ARR) {
            for (uint32_t i = 0; i < b->len; i++)
                if (lexp__v_equal(a, b->u.items[i]))
                    return 1;
            return 0;
        }
        if (b->type == LV_OBJ)
            return a->type == LV_STR && lexp__v_get(b, a->u.str, a->len) != NULL;
        if (b->type == LV_STR && a->type == LV_STR)
            return contains(b->u.str, b->len, a->u.str, a->len);
        lexp__eval_fail(e, x, b, "'is in' needs a list, an object or a string");
        return -1;
    }
    if (IS("sameas") || IS("eq"))
        return lexp__v_equal(a, b);
    if (IS("ne"))
        return !lexp__v_equal(a, b);
    if (a->type != b->type || (a->type != LV_NUM && a->type != LV_STR)) {
        lexp__eval_fail(e, x, a, "'is %.*s' compares two numbers or two strings", (int)len, n);
        return -1;
    }
    int cmp = lexp__v_compare(a, b);
    if (IS("lt"))
        return cmp < 0;
    if (IS("le"))
        return cmp <= 0;
    if (IS("gt"))
        return cmp > 0;
    return cmp >= 0; /* ge */
#undef IS
}

/* ---- '%s' % x: Python's printf-style formatting --------------------------------- */

static void pad_to(lexp__sbuf *b, size_t from, long width, int left)
{
    size_t chars = lexp__utf8_count(b->ptr + from, b->len - from);
    if (width <= 0 || (size_t)width <= chars)
        return;
    size_t n = (size_t)width - chars;
    if (left) {
        for (size_t i = 0; i < n; i++)
            lexp__sbuf_putc(b, ' ');
        return;
    }
    lexp__sbuf tmp = LEXP__SBUF_INIT;
    lexp__sbuf_put(&tmp, b->ptr + from, b->len - from);
    b->len = from;
    for (size_t i = 0; i < n; i++)
        lexp__sbuf_putc(b, ' ');
    lexp__sbuf_put(b, tmp.ptr ? tmp.ptr : "", tmp.len);
    lexp__sbuf_free(&tmp);
}

static int number_of(const lexp_value *v, double *d)
{
    if (v->type == LV_NUM) {
        *d = v->u.num;
        return 1;
    }
    if (v->type == LV_BOOL) {
        *d = v->b;
        return 1;
    }
    return 0;
}

/* One conversion %[flags][width][.prec]c of value v into b. */
static int convert(lexp_eval *e, const lexp_expr *at, lexp__sbuf *b, const char *flags,
                   long width, long prec, char c, const lexp_value *v)
{
    size_t from = b->len;
    int left = strchr(flags, '-') != NULL;
    if (c == 's' || c == 'r' || c == 'a') {
        if (c == 's' ? lexp__jinja_text(e, at, b, v) : py_repr(e, at, b, v, 0))
            return -1;
        if (prec >= 0) { /* at most prec characters */
            size_t i = from;
            for (long k = 0; k < prec && i < b->len; k++) {
                i++;
                while (i < b->len && ((unsigned char)b->ptr[i] & 0xC0) == 0x80)
                    i++;
            }
            b->len = i;
        }
        pad_to(b, from, width, left);
        return 0;
    }
    double d;
    if (c == 'c') {
        if (v->type == LV_STR && lexp__utf8_count(v->u.str, v->len) == 1) {
            lexp__sbuf_put(b, v->u.str, v->len);
        } else if (number_of(v, &d) && d == floor(d) && d >= 0 && d < 0x110000) {
            char u[8];
            size_t l = lexp__utf8_encode((uint32_t)d, u);
            lexp__sbuf_put(b, u, l);
        } else {
            lexp__eval_fail(e, at, v, "%%c needs a character or its code");
            return -1;
        }
        pad_to(b, from, width, left);
        return 0;
    }
    if (!number_of(v, &d)) {
        lexp__sbuf desc = LEXP__SBUF_INIT;
        lexp__v_describe(&desc, v);
        lexp__eval_fail(e, at, v, "%%%c needs a number, found %s; use %%s for text", c,
                        lexp__sbuf_cstr(&desc));
        lexp__sbuf_free(&desc);
        return -1;
    }
    int integer = c == 'd' || c == 'i' || c == 'u' || c == 'x' || c == 'X' || c == 'o';
    if (integer && !(fabs(d) < 9.2e18)) {
        lexp__eval_fail(e, at, v, "%%%c: the number is too large", c);
        return -1;
    }
    /* the digits of |d| with literal formats, then sign, prefix and padding */
    char digits[400];
    int alt = strchr(flags, '#') != NULL, p = (int)(prec > 300 ? 300 : prec);
    int neg = integer ? (long long)d < 0 : signbit(d) && !isnan(d);
    const char *prefix = "";
    if (integer) {
        unsigned long long k = (unsigned long long)llabs((long long)d);
        if (c == 'x')
            snprintf(digits, sizeof digits, "%llx", k), prefix = alt ? "0x" : "";
        else if (c == 'X')
            snprintf(digits, sizeof digits, "%llX", k), prefix = alt ? "0X" : "";
        else if (c == 'o')
            snprintf(digits, sizeof digits, "%llo", k), prefix = alt ? "0o" : "";
        else
            snprintf(digits, sizeof digits, "%llu", k);
    } else {
        double a = fabs(d);
        if (p < 0)
            p = 6;
        switch (c) {
        /* '#' keeps the point where no digit follows it ('%#.0f' is "3.") */
        case 'f': snprintf(digits, sizeof digits, alt ? "%#.*f" : "%.*f", p, a); break;
        case 'F': snprintf(digits, sizeof digits, alt ? "%#.*F" : "%.*F", p, a); break;
        case 'e': snprintf(digits, sizeof digits, alt ? "%#.*e" : "%.*e", p, a); break;
        case 'E': snprintf(digits, sizeof digits, alt ? "%#.*E" : "%.*E", p, a); break;
        case 'g': snprintf(digits, sizeof digits, alt ? "%#.*g" : "%.*g", p, a); break;
        default: snprintf(digits, sizeof digits, alt ? "%#.*G" : "%.*G", p, a); break;
        }
    }
    size_t nd = strlen(digits), zeros = 0;
    if (integer && prec > 0 && (size_t)prec > nd) /* %.3d: at least that many digits */
        zeros = (size_t)prec - nd;
    const char *sign = neg ? "-" : strchr(flags, '+') ? "+" : strchr(flags, ' ') ? " " : "";
    size_t body = strlen(sign) + strlen(prefix) + zeros + nd;
    if (!left && strchr(flags, '0') && width > 0 && (size_t)width > body)
        zeros += (size_t)width - body;
    lexp__sbuf_puts(b, sign);
    lexp__sbuf_puts(b, prefix);
    for (size_t i = 0; i < zeros; i++)
        lexp__sbuf_putc(b, '0');
    lexp__sbuf_put(b, digits, nd);
    pad_to(b, from, width, left);
    return 0;
}

const lexp_value *lexp__py_percent(lexp_eval *e, const lexp_expr *at, const lexp_value *fmt,
                                   const lexp_value *v, int tuple)
{
    const char *s = fmt->u.str;
    uint32_t n = fmt->len, next = 0, nv = tuple ? v->len : 1;
    const lexp_value *dict = !tuple && v->type == LV_OBJ ? v : NULL;
    /* capped by the memory budget: one large value may be printed many times */
    lexp__sbuf b = LEXP__SBUF_INIT;
    size_t room = lexp__eval_room(e);
    b.max = room ? room : 1;
    int used_dict = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            lexp__sbuf_putc(&b, s[i]);
            continue;
        }
        if (++i < n && s[i] == '%') {
            lexp__sbuf_putc(&b, '%');
            continue;
        }
        const lexp_value *val = NULL;
        if (i < n && s[i] == '(') { /* %(name)s from an object */
            const char *close = memchr(s + i, ')', n - i);
            if (!close || !dict) {
                lexp__sbuf_free(&b);
                lexp__eval_fail(e, at, v, close ? "'%%(name)s' formats need an object after '%%'"
                                                : "'%%(' without its ')' in the format");
                return NULL;
            }
            val = lexp__v_get(dict, s + i + 1, (size_t)(close - s - i - 1));
            if (!val)
                val = &lexp__undef;
            used_dict = 1;
            i = (uint32_t)(close - s) + 1;
        }
        char flags[8];
        int nf = 0;
        while (i < n && strchr("-+ 0#", s[i]) && nf < 7)
            flags[nf++] = s[i++];
        flags[nf] = 0;
        long width = 0, prec = -1;
        while (i < n && s[i] >= '0' && s[i] <= '9' && width < 10000)
            width = width * 10 + (s[i++] - '0');
        if (i < n && s[i] == '.') {
            prec = 0;
            for (i++; i < n && s[i] >= '0' && s[i] <= '9' && prec < 10000; i++)
                prec = prec * 10 + (s[i] - '0');
        }
        while (i < n && (s[i] == 'h' || s[i] == 'l' || s[i] == 'L'))
            i++;
        if (i >= n || !strchr("sradiufFeEgGxXoc", s[i])) {
            lexp__sbuf_free(&b);
            lexp__eval_fail(e, at, NULL, "unsupported format character '%c' after '%%' "
                                         "(use %%s, %%d, %%.2f, %%x …; %%%% for a percent sign)",
                            i < n ? s[i] : ' ');
            return NULL;
        }
        if (!val) {
            if (next >= nv) {
                lexp__sbuf_free(&b);
                lexp__eval_fail(e, at, NULL, "not enough values for the format: it has more "
                                             "%%-conversions than the %u given",
                                nv);
                return NULL;
            }
            val = tuple ? v->u.items[next] : v;
            next++;
        }
        if (convert(e, at, &b, flags, width, prec, s[i], val)) {
            lexp__sbuf_free(&b);
            return NULL;
        }
    }
    if (next < nv && !used_dict && !(dict && next == 0)) {
        lexp__sbuf_free(&b);
        lexp__eval_fail(e, at, NULL, "the format has %u %%-conversions for %u values", next, nv);
        return NULL;
    }
    if (b.oom) {
        lexp__eval_buf_fail(e, at, &b);
        lexp__sbuf_free(&b);
        return NULL;
    }
    const lexp_value *r = lexp__eval_str(e, b.ptr ? b.ptr : "", b.len);
    lexp__sbuf_free(&b);
    return r;
}

const lexp_value *lexp__jinja_pair_attr(lexp_eval *e, const lexp_value *v, const char *name,
                                        size_t n)
{
    if (v->type != LV_ARR || v->len != 2)
        return NULL;
    /* Jinja's names, and lexport's key/items/count of its own groupby */
    if ((n == 7 && memcmp(name, "grouper", 7) == 0) || (n == 3 && memcmp(name, "key", 3) == 0))
        return v->u.items[0];
    if ((n == 4 && memcmp(name, "list", 4) == 0) || (n == 5 && memcmp(name, "items", 5) == 0))
        return v->u.items[1];
    if (n == 5 && memcmp(name, "count", 5) == 0 && v->u.items[1]->type == LV_ARR)
        return lexp__eval_num(e, v->u.items[1]->len);
    return NULL;
}
