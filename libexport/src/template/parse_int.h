/*
 * The template parser's shared state, between the statement and line
 * parser (parse.c) and the expression lexer and parser (parse_expr.c).
 * Internal to template/.
 */
#ifndef LEXP_TEMPLATE_PARSE_INT_H
#define LEXP_TEMPLATE_PARSE_INT_H

#include <stdarg.h>

#include "ast.h"

typedef struct incl {
    const char *name;
    const struct incl *up;
} incl;

/* Included templates parsed so far, by resolved name and the context that
 * decides how their lines parse: each is parsed once and its nodes shared,
 * so includes that fan out cost their parse once, not once per include. */
typedef struct icache_ent {
    char *name;
    int block, frames, depth;
    lexp_tnode *body;
} icache_ent;

typedef struct icache {
    icache_ent *v;
    size_t n, cap;
    size_t parsed; /* source bytes parsed, template and includes */
    uint64_t lines; /* lines parsed, counted as evaluation steps */
} icache;

typedef struct P {
    lexp_template *t;
    icache *cache;         /* shared by the template and its includes */
    lexp__arena *A;
    const char *file;      /* name shown in errors */
    const char *dir;       /* directory for includes, NULL: built-ins only */
    lexp_error *err;
    const incl *inc;       /* include chain (cycle detection) */
    int depth;             /* include depth */
    /* current line (for column computation) */
    const char *line_start;
    int line;
    const char *col_line, *col_at; /* col_of's cache */
    int col_n;
    int jinja; /* an office template's tag: Jinja's filters, keyword arguments, calls */
} P;

/* Column (in characters) of a position on the current line. Positions are
 * mostly asked in increasing order, so counting resumes from the last one. */
static inline int col_of(P *p, const char *at)
{
    if (p->col_line != p->line_start || at < p->col_at) {
        p->col_line = p->line_start;
        p->col_at = p->line_start;
        p->col_n = 1;
    }
    p->col_n += (int)lexp__utf8_count(p->col_at, (size_t)(at - p->col_at));
    p->col_at = at;
    return p->col_n;
}

static inline int perr(P *p, const char *at, const char *fmt, ...) LEXP_PRINTF(3, 4);

static inline int perr(P *p, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lexp__error_vset(p->err, LEXP_ESYNTAX, p->file, p->line, at ? col_of(p, at) : 1, NULL,
                     fmt, ap);
    va_end(ap);
    return -1;
}

static inline int poom(P *p)
{
    lexp__error_oom(p->err);
    return -1;
}

/* ====================================================================== */
/* Expression lexer                                                         */

typedef enum { K_EOF, K_IDENT, K_NUM, K_STR, K_OP } ktype;

typedef struct {
    ktype type;
    const char *s; /* start in source */
    size_t n;
    double num;
    char op[3];
} tok;

typedef struct {
    P *p;
    const char *s, *end;
    tok cur;
    int depth; /* nesting: parentheses, brackets, arguments, unary operators */
} X;

/* The expression parser (parse_expr.c). lexp__x_xinit starts on a span and
 * reads its first token; lexp__x_parse_expr_span parses a whole tag. */
int lexp__x_xinit(X *x, P *p, const char *s, size_t n);
int lexp__x_lex(X *x);
int lexp__x_is_op(const X *x, const char *op);
int lexp__x_is_kw(const X *x, const char *kw);
const char *lexp__x_tok_desc(const X *x, char *buf, size_t cap);
int lexp__x_expect_op(X *x, const char *op, const char *what);
lexp_expr *lexp__x_parse_expr(X *x);
lexp_expr *lexp__x_parse_bin(X *x, int level);
lexp_expr *lexp__x_parse_expr_span(P *p, const char *s, size_t n);

#endif
