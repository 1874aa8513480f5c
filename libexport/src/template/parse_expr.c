/*
 * Expression lexer and parser of the template language: the text inside
 * {{ }} and the expressions of statements, into lexp_expr trees. Chains and
 * nesting are bounded (LEXP_TEMPLATE_MAX_CHAIN, LEXP_TEMPLATE_MAX_DEPTH) so
 * a hostile expression fails with its position instead of the stack.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"

/* ====================================================================== */
/* Expression lexer                                                         */

static int ident_start(const unsigned char *s, const char *end, size_t *len)
{
    if (isalpha(*s) || *s == '_') {
        *len = 1;
        return 1;
    }
    if (*s >= 0x80) {
        /* Data keys may be Chinese; full-width punctuation is not a name. */
        uint32_t cp;
        size_t l = lexp__utf8_decode((const char *)s, (size_t)(end - (const char *)s), &cp);
        if (l && !(cp >= 0x3000 && cp <= 0x303F) && !(cp >= 0xFF00 && cp <= 0xFF65) &&
            cp != 0x201C && cp != 0x201D && cp != 0x2018 && cp != 0x2019) {
            *len = l;
            return 1;
        }
    }
    return 0;
}

int lexp__x_lex(X *x)
{
    const char *s = x->s;
    while (s < x->end && (*s == ' ' || *s == '\t'))
        s++;
    tok prev = x->cur;
    tok *t = &x->cur;
    memset(t, 0, sizeof *t);
    t->s = s;
    if (s >= x->end) {
        t->type = K_EOF;
        x->s = s;
        return 0;
    }
    const unsigned char c = (unsigned char)*s;
    size_t il;
    if (isdigit(c) || (c == '.' && s + 1 < x->end && isdigit((unsigned char)s[1]) &&
                       !(prev.type == K_OP && strcmp(prev.op, ".") == 0) &&
                       !(prev.type == K_IDENT || prev.type == K_NUM ||
                         (prev.type == K_OP && (!strcmp(prev.op, ")") || !strcmp(prev.op, "]")))))) {
        char *endp;
        errno = 0;
        char tmp[64];
        size_t n = 0;
        /* digits [. digits] [e [+-] digits]; after a '.' (a.0.name) only
         * digits, so an index is never read as a fraction */
        int after_dot = prev.type == K_OP && strcmp(prev.op, ".") == 0;
        while (s + n < x->end && n < sizeof tmp - 1 && isdigit((unsigned char)s[n]))
            n++;
        if (!after_dot && s + n + 1 < x->end && s[n] == '.' && isdigit((unsigned char)s[n + 1])) {
            n++;
            while (s + n < x->end && n < sizeof tmp - 1 && isdigit((unsigned char)s[n]))
                n++;
        }
        if (!after_dot && s + n < x->end && (s[n] == 'e' || s[n] == 'E')) {
            size_t k = n + 1;
            if (s + k < x->end && (s[k] == '+' || s[k] == '-'))
                k++;
            if (s + k < x->end && isdigit((unsigned char)s[k])) {
                n = k;
                while (s + n < x->end && n < sizeof tmp - 1 && isdigit((unsigned char)s[n]))
                    n++;
            }
        }
        memcpy(tmp, s, n);
        tmp[n] = 0;
        t->num = strtod(tmp, &endp);
        if ((size_t)(endp - tmp) != n || errno == ERANGE || !isfinite(t->num))
            return perr(x->p, s, "malformed number '%s'", tmp);
        t->type = K_NUM;
        t->n = n;
        x->s = s + n;
        return 0;
    }
    if (ident_start((const unsigned char *)s, x->end, &il)) {
        size_t n = il;
        while (s + n < x->end) {
            unsigned char d = (unsigned char)s[n];
            size_t l2;
            if (isalnum(d) || d == '_') {
                n++;
            } else if (d >= 0x80 && ident_start((const unsigned char *)s + n, x->end, &l2)) {
                n += l2;
            } else {
                break;
            }
        }
        t->type = K_IDENT;
        t->n = n;
        x->s = s + n;
        return 0;
    }
    if (c == '"' || c == '\'') {
        const char *q = s + 1;
        while (q < x->end && *q != (char)c) {
            if (*q == '\\' && q + 1 < x->end)
                q++;
            q++;
        }
        if (q >= x->end)
            return perr(x->p, s, "string not closed: expected %c before the end of the tag",
                        c);
        t->type = K_STR;
        t->n = (size_t)(q + 1 - s);
        x->s = q + 1;
        return 0;
    }
    static const char *const ops[] = {"==", "!=", "<=", ">=", "//", "**", "(", ")", "[", "]", "{", "}",
                                      ".",  ",",  "|",  "+",  "-",  "*", "/", "%", "~",
                                      "<",  ">",  "=",  ":"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        size_t n = strlen(ops[i]);
        if ((size_t)(x->end - s) >= n && memcmp(s, ops[i], n) == 0) {
            t->type = K_OP;
            memcpy(t->op, ops[i], n);
            t->n = n;
            x->s = s + n;
            return 0;
        }
    }
    uint32_t cp = 0;
    size_t l = lexp__utf8_decode(s, (size_t)(x->end - s), &cp);
    if (cp == 0x201C || cp == 0x201D || cp == 0xFF08 || cp == 0xFF09 || cp == 0xFF0C ||
        cp == 0x2018 || cp == 0x2019)
        return perr(x->p, s,
                    "full-width character '%.*s' in an expression: use ASCII quotes, "
                    "parentheses and commas inside {{ }} and {%% %%}",
                    (int)(l ? l : 1), s);
    return perr(x->p, s, "unexpected character '%.*s' in an expression", (int)(l ? l : 1), s);
}

/* Operators are one or two characters: compare them directly, this runs
 * for every token at every precedence level. */
int lexp__x_is_op(const X *x, const char *op)
{
    const char *o = x->cur.op;
    return x->cur.type == K_OP && o[0] == op[0] && o[1] == op[1];
}

int lexp__x_is_kw(const X *x, const char *kw)
{
    return x->cur.type == K_IDENT && x->cur.s[0] == kw[0] && x->cur.n == strlen(kw) &&
           memcmp(x->cur.s, kw, x->cur.n) == 0;
}

const char *lexp__x_tok_desc(const X *x, char *buf, size_t cap)
{
    if (x->cur.type == K_EOF)
        return "the end of the tag";
    snprintf(buf, cap, "'%.*s'", (int)(x->cur.n > 40 ? 40 : x->cur.n), x->cur.s);
    return buf;
}

int lexp__x_expect_op(X *x, const char *op, const char *what)
{
    if (!lexp__x_is_op(x, op)) {
        char b[64];
        return perr(x->p, x->cur.s, "expected '%s' %s, found %s", op, what,
                    lexp__x_tok_desc(x, b, sizeof b));
    }
    return lexp__x_lex(x);
}

static lexp_expr *mk(X *x, lexp_exkind k, const char *at)
{
    lexp_expr *e = lexp__arena_zalloc(x->p->A, sizeof *e);
    if (!e) {
        poom(x->p);
        return NULL;
    }
    e->kind = (uint8_t)k;
    e->height = 1;
    e->line = x->p->line;
    e->col = col_of(x->p, at);
    e->file = x->p->file;
    return e;
}

/* A node whose operands are complete: its height is one more than theirs.
 * Chains (a.b.c…, x | f | g…, 1 + 1 + …) are parsed by loops, not
 * recursion, but the evaluator recurses once per level of the tree, so the
 * height is bounded here, with an error at the node. NULL on error. */
static lexp_expr *grown(X *x, lexp_expr *e)
{
    if (!e)
        return NULL;
    unsigned h = 0;
    const lexp_expr *kids[3] = {e->a, e->b, e->c};
    for (int i = 0; i < 3; i++)
        if (kids[i] && kids[i]->height > h)
            h = kids[i]->height;
    for (int i = 0; i < e->nargs; i++)
        if (e->args[i] && e->args[i]->height > h)
            h = e->args[i]->height;
    if (h + 1 > LEXP_TEMPLATE_MAX_CHAIN) {
        lexp__error_set(x->p->err, LEXP_ESYNTAX, e->file, e->line, e->col, NULL,
                        "expression chained or nested more than %d deep; split it with "
                        "{%% set %%}",
                        LEXP_TEMPLATE_MAX_CHAIN);
        return NULL;
    }
    e->height = (uint16_t)(h + 1);
    return e;
}

/* Decode a quoted string token into an arena value. */
static const lexp_value *string_lit(X *x, const tok *t)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    for (size_t i = 1; i + 1 < t->n; i++) {
        char c = t->s[i];
        if (c == '\\' && i + 2 < t->n) {
            char d = t->s[++i];
            switch (d) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default: c = d; break;
            }
        }
        lexp__sbuf_putc(&b, c);
    }
    lexp_value *v = lexp__v_strcopy(x->p->A, b.ptr ? b.ptr : "", b.len);
    lexp__sbuf_free(&b);
    if (!v)
        poom(x->p);
    return v;
}


/* Enter one level of nesting; the parser recurses for each, so the levels
 * are bounded. Leave with x->depth--. */
static int nest_in(X *x, const char *at)
{
    if (++x->depth > LEXP_TEMPLATE_MAX_DEPTH)
        return perr(x->p, at, "expression nested more than %d levels deep",
                    LEXP_TEMPLATE_MAX_DEPTH);
    return 0;
}

/* The rest of a tuple after its first item: `, b, c` up to ')'. */
static lexp_expr *parse_tuple(X *x, lexp_expr *first, const char *at)
{
    lexp_expr *e = mk(x, EX_LIST, at);
    lexp_expr **items = e ? malloc(64 * sizeof *items) : NULL; /* off the stack: tuples nest */
    if (!items) {
        if (e)
            poom(x->p);
        return NULL;
    }
    int n = 0;
    items[n++] = first;
    while (lexp__x_is_op(x, ",")) {
        if (lexp__x_lex(x))
            goto fail;
        if (lexp__x_is_op(x, ")"))
            break;
        if (n == 64) {
            perr(x->p, x->cur.s, "tuple longer than 64 items");
            goto fail;
        }
        if (!(items[n++] = lexp__x_parse_expr(x)))
            goto fail;
    }
    e->op = 1; /* a tuple: '%s %s' % (a, b) takes its items as the values */
    e->nargs = n;
    e->args = lexp__arena_alloc(x->p->A, (size_t)n * sizeof *e->args);
    if (!e->args) {
        poom(x->p);
        goto fail;
    }
    memcpy(e->args, items, (size_t)n * sizeof *items);
    free(items);
    return grown(x, e);
fail:
    free(items);
    return NULL;
}

static lexp_expr *parse_primary(X *x)
{
    tok t = x->cur;
    char b[64];
    if (t.type == K_NUM) {
        lexp_expr *e = mk(x, EX_LIT, t.s);
        lexp_value *v = e ? lexp__v_num(x->p->A, t.num) : NULL;
        if (!v)
            return e ? (poom(x->p), NULL) : NULL;
        /* office templates: 3.0 is a float, and prints 3.0 as in Jinja */
        v->b = x->p->jinja && (memchr(t.s, '.', t.n) || memchr(t.s, 'e', t.n) ||
                               memchr(t.s, 'E', t.n));
        e->lit = v;
        if (lexp__x_lex(x))
            return NULL;
        return e;
    }
    if (t.type == K_STR) {
        lexp_expr *e = mk(x, EX_LIT, t.s);
        if (!e || !(e->lit = string_lit(x, &t)) || lexp__x_lex(x))
            return NULL;
        return e;
    }
    if (t.type == K_IDENT) {
        lexp_expr *e;
        if (lexp__x_is_kw(x, "true") || lexp__x_is_kw(x, "True")) {
            e = mk(x, EX_LIT, t.s);
            if (e)
                e->lit = &lexp__true;
        } else if (lexp__x_is_kw(x, "false") || lexp__x_is_kw(x, "False")) {
            e = mk(x, EX_LIT, t.s);
            if (e)
                e->lit = &lexp__false;
        } else if (lexp__x_is_kw(x, "none") || lexp__x_is_kw(x, "None") || lexp__x_is_kw(x, "null")) {
            e = mk(x, EX_LIT, t.s);
            if (e)
                e->lit = &lexp__null;
        } else {
            static const char *const reserved[] = {"and", "or", "not", "in", "if", "else",
                                                   "is"};
            for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
                if (lexp__x_is_kw(x, reserved[i])) {
                    perr(x->p, t.s, "expected a value, found the keyword '%s'", reserved[i]);
                    return NULL;
                }
            e = mk(x, EX_VAR, t.s);
            if (e) {
                e->name = t.s;
                e->nlen = (uint32_t)t.n;
            }
        }
        if (!e || lexp__x_lex(x))
            return NULL;
        return e;
    }
    if (lexp__x_is_op(x, "(")) {
        if (nest_in(x, t.s) || lexp__x_lex(x))
            return NULL;
        lexp_expr *e = lexp__x_parse_expr(x);
        if (e && x->p->jinja && lexp__x_is_op(x, ",")) /* ('a', 1): a tuple, for '%s %d' % (…) */
            e = parse_tuple(x, e, t.s);
        if (!e || lexp__x_expect_op(x, ")", "to close the parenthesis"))
            return NULL;
        x->depth--;
        return e;
    }
    if (lexp__x_is_op(x, "{") || lexp__x_is_op(x, "[")) {
        /* [a, b] and {"key": value, …} (keys are strings): the items are
         * kept in args, for an object alternating key and value */
        int dict = lexp__x_is_op(x, "{");
        const char *closer = dict ? "}" : "]";
        lexp_expr *e = mk(x, dict ? EX_DICT : EX_LIST, t.s);
        if (!e || nest_in(x, t.s) || lexp__x_lex(x))
            return NULL;
        /* the items, off the stack: lists nest */
        lexp_expr **items = malloc(256 * sizeof *items);
        if (!items) {
            poom(x->p);
            return NULL;
        }
        int n = 0, ok = 0;
        while (!lexp__x_is_op(x, closer)) {
            if (n >= 256 - 1) {
                perr(x->p, x->cur.s, "%s literal longer than 128 items", dict ? "object" : "list");
                goto done;
            }
            if (dict) {
                if (x->cur.type != K_STR) {
                    perr(x->p, x->cur.s, "expected a quoted key in the object, found %s",
                         lexp__x_tok_desc(x, b, sizeof b));
                    goto done;
                }
                if (!(items[n++] = parse_primary(x)) || lexp__x_expect_op(x, ":", "after the key"))
                    goto done;
            }
            if (!(items[n++] = lexp__x_parse_expr(x)))
                goto done;
            if (lexp__x_is_op(x, ",")) {
                if (lexp__x_lex(x))
                    goto done;
            } else if (!lexp__x_is_op(x, closer)) {
                perr(x->p, x->cur.s, "expected ',' or '%s' in %s, found %s", closer,
                     dict ? "an object" : "a list", lexp__x_tok_desc(x, b, sizeof b));
                goto done;
            }
        }
        if (lexp__x_lex(x))
            goto done;
        e->nargs = n;
        e->args = lexp__arena_alloc(x->p->A, (size_t)(n ? n : 1) * sizeof *e->args);
        if (!e->args) {
            poom(x->p);
            goto done;
        }
        memcpy(e->args, items, (size_t)n * sizeof *items);
        x->depth--;
        ok = 1;
    done:
        free(items);
        return ok ? grown(x, e) : NULL;
    }
    perr(x->p, t.s, "expected a value (a name, number, \"string\" or '('), found %s",
         lexp__x_tok_desc(x, b, sizeof b));
    return NULL;
}

static int parse_args(X *x, const lexp_filter_def *d, const char *at, lexp_expr **args,
                      int *nargs);

/* Office templates: `range(…)`, `x.items()`, `x.keys()`, `x.values()` and
 * `loop.cycle(…)` become filters whose input is the called object (range:
 * none); any other call is an error naming what to write instead. */
static lexp_expr *parse_call(X *x, lexp_expr *e)
{
    const char *name = e->name;
    size_t n = e->nlen;
    const lexp_filter_def *d = NULL;
    if (e->kind == EX_VAR || e->kind == EX_ATTR)
        d = lexp__jcall_find(name, n);
    int fn = d && strcmp(d->name, "range") == 0;
    if (!d || (e->kind == EX_VAR) != fn) {
        static const char *const as_filter[][2] = {
            {"title", "x | title"},
            {"format", "'%s and %s' % (a, b) or '%s' | format(a) (printf-style)"},
            {"round", "x | round(n)"},
            {"int", "x | int"}, {"float", "x | float"}, {"str", "x | string"},
            {"len", "x | length"}, {"sum", "x | sum"}, {"max", "x | max"},
            {"min", "x | min"}, {"sorted", "x | sort"}, {"list", "x | list"},
            {"abs", "x | abs"},
            {"namespace", "one {% set %} per value: a set inside a loop lasts one iteration, "
                          "so for a total write xs | sum(attribute='f'), for a count "
                          "xs | selectattr(…) | list | length"},
            {"dict", "an object literal, {'k': v}"}, {"cycler", "loop.cycle(a, b)"},
            {"joiner", "xs | join(', '), or {% if not loop.first %}, {% endif %} in the loop"},
            {"lipsum", "the placeholder text itself"},
            {"loop", "one loop per level (recursive loops are not supported)"}};
        if (e->kind != EX_VAR && e->kind != EX_ATTR) {
            perr(x->p, x->cur.s, "only range(…), loop.cycle(…), loop.changed(…) and the "
                                 "methods of objects and text can be called; filters go "
                                 "after '|'");
            return NULL;
        }
        for (size_t i = 0; i < sizeof as_filter / sizeof *as_filter; i++)
            if (strlen(as_filter[i][0]) == n && memcmp(as_filter[i][0], name, n) == 0) {
                perr(x->p, name, "%s '%.*s(…)' is not available in templates: write %s",
                     e->kind == EX_VAR ? "the function" : "the method", (int)n, name,
                     as_filter[i][1]);
                return NULL;
            }
        perr(x->p, name, "'%.*s(…)' cannot be called: only range(…), loop.cycle(…), "
                         "loop.changed(…), an object's .items() .keys() .values() .get() and "
                         "text's .strip() .lstrip() .rstrip() .upper() .lower() .capitalize() "
                         ".replace() .startswith() .endswith() .split() .join() .count() "
                         ".find() .format() can; filters go after '|' (the filters are: %s)",
             (int)n, name, lexp__jfilter_names());
        return NULL;
    }
    lexp_expr *f = mk(x, EX_FILTER, name);
    if (!f)
        return NULL;
    f->name = name;
    f->nlen = (uint32_t)n;
    f->filter = d;
    if (fn) {
        if (!(f->a = mk(x, EX_LIT, name)))
            return NULL;
        f->a->lit = &lexp__undef;
    } else {
        f->a = e->a;
    }
    lexp_expr *args[8];
    int na = 0;
    if (parse_args(x, d, name, args, &na))
        return NULL;
    f->nargs = na;
    if (na) {
        f->args = lexp__arena_alloc(x->p->A, (size_t)na * sizeof *f->args);
        if (!f->args) {
            poom(x->p);
            return NULL;
        }
        memcpy(f->args, args, (size_t)na * sizeof *args);
    }
    return grown(x, f);
}

/* The rest of a slice a[b:c:d] after b (the current token is the first
 * ':'): the stop and the step, each optional. */
static int parse_slice(X *x, lexp_expr *a)
{
    a->kind = EX_SLICE;
    if (lexp__x_lex(x))
        return -1;
    if (!lexp__x_is_op(x, "]") && !lexp__x_is_op(x, ":") && !(a->c = lexp__x_parse_expr(x)))
        return -1;
    if (!lexp__x_is_op(x, ":"))
        return 0;
    if (lexp__x_lex(x))
        return -1;
    if (lexp__x_is_op(x, "]"))
        return 0;
    if (!(a->args = lexp__arena_alloc(x->p->A, sizeof *a->args))) {
        poom(x->p);
        return -1;
    }
    a->nargs = 1;
    return (a->args[0] = lexp__x_parse_expr(x)) ? 0 : -1;
}

static lexp_expr *parse_postfix(X *x, lexp_expr *e)
{
    while (e) {
        if (lexp__x_is_op(x, ".")) {
            const char *at = x->cur.s;
            if (lexp__x_lex(x))
                return NULL;
            if (x->cur.type != K_IDENT && x->cur.type != K_NUM) {
                char b[64];
                perr(x->p, x->cur.s, "expected a field name after '.', found %s",
                     lexp__x_tok_desc(x, b, sizeof b));
                return NULL;
            }
            lexp_expr *a;
            if (x->cur.type == K_NUM) {
                /* a.0 is a[0] */
                a = mk(x, EX_INDEX, at);
                if (!a)
                    return NULL;
                a->b = mk(x, EX_LIT, x->cur.s);
                if (!a->b || !(a->b->lit = lexp__v_num(x->p->A, x->cur.num)))
                    return NULL;
            } else {
                a = mk(x, EX_ATTR, x->cur.s);
                if (!a)
                    return NULL;
                a->name = x->cur.s;
                a->nlen = (uint32_t)x->cur.n;
                a->slot = x->p->t->nslots++;
            }
            a->a = e;
            if (!(e = grown(x, a)) || lexp__x_lex(x))
                return NULL;
        } else if (lexp__x_is_op(x, "[")) {
            lexp_expr *a = mk(x, EX_INDEX, x->cur.s);
            if (!a || nest_in(x, x->cur.s) || lexp__x_lex(x))
                return NULL;
            a->a = e;
            if (!lexp__x_is_op(x, ":") && !(a->b = lexp__x_parse_expr(x)))
                return NULL;
            if (lexp__x_is_op(x, ":") && parse_slice(x, a))
                return NULL;
            if (lexp__x_expect_op(x, "]", a->kind == EX_SLICE ? "to close the slice"
                                                              : "to close the index"))
                return NULL;
            x->depth--;
            if (!(e = grown(x, a)))
                return NULL;
        } else if (lexp__x_is_op(x, "(") && x->p->jinja) {
            if (!(e = parse_call(x, e)))
                return NULL;
        } else {
            break;
        }
    }
    return e;
}

/* Arguments in parentheses (the current token is '('), for filter or call
 * `d`: positional, then (Jinja filters) `name=value` in the place `d`'s
 * parameter list gives that name; places not given stay NULL. */
static int parse_args(X *x, const lexp_filter_def *d, const char *at0, lexp_expr **args,
                      int *nargs)
{
    const char *what = d->name;
    char b[64];
    int n = 0, keyword = 0;
    for (int i = 0; i < 8; i++)
        args[i] = NULL;
    if (nest_in(x, x->cur.s) || lexp__x_lex(x))
        return -1;
    while (!lexp__x_is_op(x, ")")) {
        int at = n, kw = 0;
        if (x->cur.type == K_IDENT) {
            X save = *x;
            tok name = x->cur;
            if (lexp__x_lex(x))
                return -1;
            if (lexp__x_is_op(x, "=")) {
                at = -1;
                const char *p = d->params;
                for (int i = 0; p && *p; i++) {
                    size_t l = strcspn(p, ",");
                    if (l == name.n && memcmp(p, name.s, l) == 0)
                        at = i;
                    p += l + (p[l] == ',');
                }
                if (at < 0) {
                    if (d->params)
                        perr(x->p, name.s, "'%s' has no argument '%.*s'; its arguments are: %s",
                             what, (int)name.n, name.s, *d->params ? d->params : "none");
                    else
                        perr(x->p, name.s, "lexport's filter '%s' takes no keyword arguments "
                                           "(%.*s=): give its arguments in order",
                             what, (int)name.n, name.s);
                    return -1;
                }
                if (args[at]) {
                    perr(x->p, name.s, "argument '%.*s' of '%s' is given twice", (int)name.n,
                         name.s, what);
                    return -1;
                }
                keyword = kw = 1;
                if (lexp__x_lex(x))
                    return -1;
            } else {
                *x = save;
            }
        }
        if (!kw && keyword) {
            perr(x->p, x->cur.s, "a positional argument of '%s' after a keyword argument",
                 what);
            return -1;
        }
        if (at >= 8) {
            perr(x->p, x->cur.s, "too many arguments for '%s'", what);
            return -1;
        }
        if (!(args[at] = lexp__x_parse_expr(x)))
            return -1;
        if (at >= n)
            n = at + 1;
        if (lexp__x_is_op(x, ",")) {
            if (lexp__x_lex(x))
                return -1;
        } else if (!lexp__x_is_op(x, ")")) {
            perr(x->p, x->cur.s, "expected ',' or ')' in the arguments of '%s', found %s", what,
                 lexp__x_tok_desc(x, b, sizeof b));
            return -1;
        }
    }
    if (lexp__x_lex(x))
        return -1;
    x->depth--;
    if (n < d->min_args || n > d->max_args) {
        if (d->min_args == d->max_args)
            perr(x->p, at0, "'%s' takes %d argument%s, found %d", what, d->min_args,
                 d->min_args == 1 ? "" : "s", n);
        else
            perr(x->p, at0, "'%s' takes %d to %d arguments, found %d", what, d->min_args,
                 d->max_args, n);
        return -1;
    }
    for (int i = 0; i < d->min_args; i++)
        if (!args[i]) {
            perr(x->p, at0, "'%s' needs its argument %d", what, i + 1);
            return -1;
        }
    *nargs = n;
    return 0;
}

static lexp_expr *parse_filters(X *x, lexp_expr *e)
{
    while (e && lexp__x_is_op(x, "|")) {
        if (lexp__x_lex(x))
            return NULL;
        if (x->cur.type != K_IDENT) {
            char b[64];
            perr(x->p, x->cur.s, "expected a filter name after '|', found %s",
                 lexp__x_tok_desc(x, b, sizeof b));
            return NULL;
        }
        lexp_expr *f = mk(x, EX_FILTER, x->cur.s);
        if (!f)
            return NULL;
        f->name = x->cur.s;
        f->nlen = (uint32_t)x->cur.n;
        /* office templates: Jinja's filter of a name wins over lexport's */
        f->filter = x->p->jinja ? lexp__jfilter_find(f->name, f->nlen) : NULL;
        if (!f->filter)
            f->filter = lexp__filter_find(f->name, f->nlen);
        const char *instead = x->p->jinja && !f->filter
                                  ? lexp__jinja_missing('f', f->name, f->nlen)
                                  : NULL;
        if (instead) {
            perr(x->p, x->cur.s, "Jinja's filter '%.*s' is not available in office templates: "
                                 "%s",
                 (int)f->nlen, f->name, instead);
            return NULL;
        }
        if (!f->filter) {
            if (x->p->jinja)
                perr(x->p, x->cur.s, "unknown filter '%.*s'; the filters are Jinja's %s, and "
                                     "lexport's %s",
                     (int)f->nlen, f->name, lexp__jfilter_names(), lexp__filter_names());
            else
                perr(x->p, x->cur.s, "unknown filter '%.*s'; the filters are: %s",
                     (int)f->nlen, f->name, lexp__filter_names());
            return NULL;
        }
        f->a = e;
        if (lexp__x_lex(x))
            return NULL;
        lexp_expr *args[8];
        int n = 0;
        const lexp_filter_def *d = f->filter;
        if (lexp__x_is_op(x, "(")) {
            if (parse_args(x, d, f->name, args, &n))
                return NULL;
        } else if (d->min_args > 0) {
            perr(x->p, f->name, "'%s' takes %d%s argument%s, found 0", d->name, d->min_args,
                 d->max_args > d->min_args ? " or more" : "", d->min_args == 1 ? "" : "s");
            return NULL;
        }
        f->nargs = n;
        if (n) {
            f->args = lexp__arena_alloc(x->p->A, (size_t)n * sizeof *f->args);
            if (!f->args) {
                poom(x->p);
                return NULL;
            }
            memcpy(f->args, args, (size_t)n * sizeof *args);
        }
        if (!(e = grown(x, f)))
            return NULL;
    }
    return e;
}

/* unary: '-' unary | 'not' is lower; filters bind to the whole unary, so
 * -7 | cn is (-7) | cn, as in Jinja. */
static lexp_expr *parse_unary(X *x, int with_filters)
{
    lexp_expr *e;
    if (lexp__x_is_op(x, "-") || lexp__x_is_op(x, "+")) {
        int neg = lexp__x_is_op(x, "-");
        const char *at = x->cur.s;
        if (lexp__x_lex(x) || nest_in(x, at))
            return NULL;
        lexp_expr *inner = parse_unary(x, 0);
        x->depth--;
        if (!inner)
            return NULL;
        if (neg) {
            e = mk(x, EX_NEG, at);
            if (!e)
                return NULL;
            e->a = inner;
            if (!grown(x, e))
                return NULL;
        } else {
            e = inner;
        }
    } else {
        e = parse_postfix(x, parse_primary(x));
    }
    if (e && with_filters)
        e = parse_filters(x, e);
    return e;
}


static lexp_expr *mkbin(X *x, const char *at, int op, lexp_expr *a, lexp_expr *b)
{
    lexp_expr *e = mk(x, EX_BIN, at);
    if (!e)
        return NULL;
    e->op = (uint8_t)op;
    e->a = a;
    e->b = b;
    return grown(x, e);
}

/* Levels: 0 or, 1 and, 2 not, 3 comparison/in/is, 4 + - ~, 5 * / // %, 6 unary */
lexp_expr *lexp__x_parse_bin(X *x, int level)
{
    lexp_expr *e = NULL;
    switch (level) {
    case 0:
    case 1: {
        const char *kw = level == 0 ? "or" : "and";
        e = lexp__x_parse_bin(x, level + 1);
        while (e && lexp__x_is_kw(x, kw)) {
            lexp_expr *n = mk(x, level == 0 ? EX_OR : EX_AND, x->cur.s);
            if (!n || lexp__x_lex(x))
                return NULL;
            n->a = e;
            if (!(n->b = lexp__x_parse_bin(x, level + 1)) || !grown(x, n))
                return NULL;
            e = n;
        }
        break;
    }
    case 2:
        if (lexp__x_is_kw(x, "not")) {
            e = mk(x, EX_NOT, x->cur.s);
            if (!e || nest_in(x, x->cur.s) || lexp__x_lex(x))
                return NULL;
            if (!(e->a = lexp__x_parse_bin(x, 2)) || !grown(x, e))
                return NULL;
            x->depth--;
        } else {
            e = lexp__x_parse_bin(x, 3);
        }
        break;
    case 3: {
        e = lexp__x_parse_bin(x, 4);
        while (e) {
            const char *at = x->cur.s;
            int op = -1;
            if (lexp__x_is_op(x, "=="))
                op = OP_EQ;
            else if (lexp__x_is_op(x, "!="))
                op = OP_NE;
            else if (lexp__x_is_op(x, "<"))
                op = OP_LT;
            else if (lexp__x_is_op(x, "<="))
                op = OP_LE;
            else if (lexp__x_is_op(x, ">"))
                op = OP_GT;
            else if (lexp__x_is_op(x, ">="))
                op = OP_GE;
            else if (lexp__x_is_kw(x, "in"))
                op = OP_IN;
            else if (lexp__x_is_kw(x, "not")) {
                /* "a not in b" */
                X save = *x;
                if (lexp__x_lex(x))
                    return NULL;
                if (!lexp__x_is_kw(x, "in")) {
                    *x = save;
                    break;
                }
                op = OP_NOTIN;
            } else if (lexp__x_is_kw(x, "is")) {
                lexp_expr *tst = mk(x, EX_TEST, at);
                if (!tst || lexp__x_lex(x))
                    return NULL;
                if (lexp__x_is_kw(x, "not")) {
                    tst->op = 1;
                    if (lexp__x_lex(x))
                        return NULL;
                }
                int takes_arg = 0;
                const char *instead = x->p->jinja && x->cur.type == K_IDENT
                                          ? lexp__jinja_missing('t', x->cur.s, x->cur.n)
                                          : NULL;
                if (instead) {
                    perr(x->p, x->cur.s, "Jinja's test '%.*s' is not available in office "
                                         "templates: %s",
                         (int)x->cur.n, x->cur.s, instead);
                    return NULL;
                }
                if (x->cur.type != K_IDENT ||
                    !lexp__test_known(x->cur.s, x->cur.n, &takes_arg)) {
                    char b[64];
                    perr(x->p, x->cur.s, "expected a test after 'is' (%s), found %s",
                         lexp__test_names(), lexp__x_tok_desc(x, b, sizeof b));
                    return NULL;
                }
                tst->name = x->cur.s;
                tst->nlen = (uint32_t)x->cur.n;
                tst->a = e;
                if (lexp__x_lex(x))
                    return NULL;
                if (takes_arg) { /* is divisibleby(3), is divisibleby 3 */
                    if (nest_in(x, x->cur.s))
                        return NULL;
                    if (lexp__x_is_op(x, "(")) {
                        if (lexp__x_lex(x) || !(tst->b = lexp__x_parse_expr(x)) ||
                            lexp__x_expect_op(x, ")", "to close the test's argument"))
                            return NULL;
                    } else if (!(tst->b = parse_unary(x, 0))) {
                        return NULL;
                    }
                    x->depth--;
                }
                if (!(e = grown(x, tst)))
                    return NULL;
                continue;
            }
            if (op < 0)
                break;
            if (lexp__x_lex(x))
                return NULL;
            lexp_expr *r = lexp__x_parse_bin(x, 4);
            if (!r)
                return NULL;
            e = mkbin(x, at, op, e, r);
        }
        break;
    }
    case 4:
    case 5: {
        e = lexp__x_parse_bin(x, level + 1);
        while (e) {
            const char *at = x->cur.s;
            int op = -1;
            if (level == 4) {
                if (lexp__x_is_op(x, "+"))
                    op = OP_ADD;
                else if (lexp__x_is_op(x, "-"))
                    op = OP_SUB;
                else if (lexp__x_is_op(x, "~"))
                    op = OP_CAT;
            } else {
                if (lexp__x_is_op(x, "*"))
                    op = OP_MUL;
                else if (lexp__x_is_op(x, "/"))
                    op = OP_DIV;
                else if (lexp__x_is_op(x, "//"))
                    op = OP_IDIV;
                else if (lexp__x_is_op(x, "%"))
                    op = OP_MOD;
            }
            if (op < 0)
                break;
            if (lexp__x_lex(x))
                return NULL;
            lexp_expr *r = lexp__x_parse_bin(x, level + 1);
            if (!r)
                return NULL;
            e = mkbin(x, at, op, e, r);
        }
        break;
    }
    case 6:
        /* office templates: a ** b, binding as Jinja binds it (tighter than
         * * and /, looser than unary minus: -2 ** 2 is 4; left to right) */
        e = parse_unary(x, 1);
        while (e && x->p->jinja && lexp__x_is_op(x, "**")) {
            const char *at = x->cur.s;
            if (lexp__x_lex(x))
                return NULL;
            lexp_expr *r = parse_unary(x, 1);
            if (!r)
                return NULL;
            e = mkbin(x, at, OP_POW, e, r);
        }
        break;
    default: e = parse_unary(x, 1); break;
    }
    return e;
}

/* expr: or-expr [ 'if' or-expr [ 'else' expr ] ] */
lexp_expr *lexp__x_parse_expr(X *x)
{
    lexp_expr *e = lexp__x_parse_bin(x, 0);
    if (e && lexp__x_is_kw(x, "if")) {
        lexp_expr *c = mk(x, EX_COND, x->cur.s);
        if (!c || lexp__x_lex(x))
            return NULL;
        c->a = e;
        if (!(c->b = lexp__x_parse_bin(x, 0)))
            return NULL;
        if (lexp__x_is_kw(x, "else")) {
            /* a if b else c if d else …: recursion, counted as nesting */
            if (nest_in(x, x->cur.s) || lexp__x_lex(x) || !(c->c = lexp__x_parse_expr(x)))
                return NULL;
            x->depth--;
        }
        if (!(e = grown(x, c)))
            return NULL;
    }
    return e;
}

int lexp__x_xinit(X *x, P *p, const char *s, size_t n)
{
    memset(x, 0, sizeof *x);
    x->p = p;
    x->s = s;
    x->end = s + n;
    return lexp__x_lex(x);
}

/* Parse a whole tag's content as one expression. */
lexp_expr *lexp__x_parse_expr_span(P *p, const char *s, size_t n)
{
    X x;
    if (lexp__x_xinit(&x, p, s, n))
        return NULL;
    if (x.cur.type == K_EOF) {
        perr(p, s, "empty expression: expected a value inside {{ }}");
        return NULL;
    }
    lexp_expr *e = lexp__x_parse_expr(&x);
    if (e && x.cur.type != K_EOF) {
        char b[64];
        perr(p, x.cur.s, "expected the end of the expression, found %s",
             lexp__x_tok_desc(&x, b, sizeof b));
        return NULL;
    }
    return e;
}
