/*
 * Template parser: source text → lexp_template (front matter + node tree).
 *
 * The body is read line by line. Comments {# … #} are blanked first (they
 * may span lines). Each line is split into segments: literal text, {{ expr }}
 * and {% stmt %}; a tag must open and close on its line. A line holding only
 * statements is a line-level statement and produces no output line (Jinja's
 * trim_blocks + lstrip_blocks). Any other line is a content line whose
 * markup kind comes from its leading literal text.
 *
 * Limits: LEXP_TEMPLATE_MAX_BYTES of source, LEXP_TEMPLATE_MAX_DEPTH of
 * nesting (statements, blocks, includes, parentheses), so hostile
 * templates fail fast with a message instead of exhausting the stack.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"

/* Built-in templates, generated into builtin_templates.c. */
struct lexp__builtin {
    const char *name;
    const char *description;
    const char *src;
    size_t len;
};
extern const struct lexp__builtin lexp__builtins[];
extern const size_t lexp__builtin_total;

const struct lexp__builtin *lexp__builtin_find(const char *name, size_t len);

const struct lexp__builtin *lexp__builtin_find(const char *name, size_t len)
{
    for (size_t i = 0; i < lexp__builtin_total; i++)
        if (strlen(lexp__builtins[i].name) == len &&
            memcmp(lexp__builtins[i].name, name, len) == 0)
            return &lexp__builtins[i];
    return NULL;
}

/* ====================================================================== */
/* Segments of a line                                                       */

typedef enum { SEG_TEXT, SEG_EXPR, SEG_STMT } segkind;

typedef struct seg {
    segkind kind;
    const char *s; /* text, or the tag's inner content */
    size_t n;
    const char *at; /* where the segment starts in the line (for columns) */
} seg;

typedef struct segs {
    seg *v;
    int n, cap;
} segs;

static int seg_push(P *p, segs *ss, segkind k, const char *s, size_t n, const char *at)
{
    if (ss->n == ss->cap) {
        int cap = ss->cap ? ss->cap * 2 : 8;
        seg *v = realloc(ss->v, (size_t)cap * sizeof *v);
        if (!v)
            return poom(p);
        ss->v = v;
        ss->cap = cap;
    }
    ss->v[ss->n++] = (seg){k, s, n, at};
    return 0;
}

/* What a comment's bytes become (never valid in a template otherwise:
 * control characters are rejected before parsing). */
#define COMMENT_BYTE '\x01'

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == COMMENT_BYTE; }

/* Split one line [s, e) into segments. */
static int segment_line(P *p, const char *s, const char *e, segs *ss)
{
    ss->n = 0;
    const char *text = s;
    const char *q = s;
    int trim_next = 0;
    while (q < e) {
        if (*q == '\\' && q + 1 < e && q[1] == '{') {
            q += 2; /* \{ is a literal brace, never a tag */
            continue;
        }
        if (*q == '{' && q + 1 < e && (q[1] == '{' || q[1] == '%')) {
            int is_stmt = q[1] == '%';
            const char *open = q;
            const char *in = q + 2;
            int trim_prev = 0;
            if (in < e && *in == '-') {
                trim_prev = 1;
                in++;
            }
            /* find the closing }} or %}, skipping quoted strings */
            const char *r = in;
            char quote = 0;
            const char *close = NULL;
            while (r < e) {
                if (quote) {
                    if (*r == '\\')
                        r++;
                    else if (*r == quote)
                        quote = 0;
                } else if (*r == '"' || *r == '\'') {
                    quote = *r;
                } else if (r + 1 < e && r[1] == '}' && *r == (is_stmt ? '%' : '}')) {
                    close = r;
                    break;
                }
                r++;
            }
            if (!close)
                return perr(p, open,
                            "'%s' is not closed on this line: expected '%s' (a tag opens and "
                            "closes on one line)",
                            is_stmt ? "{%" : "{{", is_stmt ? "%}" : "}}");
            const char *inner_end = close;
            int trim_after = 0;
            if (inner_end > in && inner_end[-1] == '-') {
                trim_after = 1;
                inner_end--;
            }
            /* literal text before the tag */
            const char *te = open;
            if (trim_prev)
                while (te > text && is_ws(te[-1]))
                    te--;
            const char *ts = text;
            if (trim_next)
                while (ts < te && is_ws(*ts))
                    ts++;
            if (te > ts && seg_push(p, ss, SEG_TEXT, ts, (size_t)(te - ts), ts))
                return -1;
            if (seg_push(p, ss, is_stmt ? SEG_STMT : SEG_EXPR, in, (size_t)(inner_end - in),
                         open))
                return -1;
            trim_next = trim_after;
            q = close + 2;
            text = q;
            continue;
        }
        if (*q == COMMENT_BYTE) {
            /* close the text before the comment; resume after it */
            const char *ts = text;
            if (trim_next)
                while (ts < q && is_ws(*ts))
                    ts++;
            if (q > ts && seg_push(p, ss, SEG_TEXT, ts, (size_t)(q - ts), ts))
                return -1;
            while (q < e && *q == COMMENT_BYTE)
                q++;
            text = q;
            continue;
        }
        if (*q == '%' && q + 1 < e && q[1] == '}')
            return perr(p, q, "'%%}' without an opening '{%%'");
        q++;
    }
    const char *ts = text;
    if (trim_next)
        while (ts < e && is_ws(*ts))
            ts++;
    if (e > ts && seg_push(p, ss, SEG_TEXT, ts, (size_t)(e - ts), ts))
        return -1;
    return 0;
}

static int all_ws(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_ws(s[i]))
            return 0;
    return 1;
}

/* ====================================================================== */
/* Nodes                                                                    */

static lexp_tnode *tnode(P *p, lexp_tkind k, const char *at)
{
    lexp_tnode *n = lexp__arena_zalloc(p->A, sizeof *n);
    if (!n) {
        poom(p);
        return NULL;
    }
    n->kind = (uint8_t)k;
    n->line = p->line;
    n->col = at ? col_of(p, at) : 1;
    n->file = p->file;
    return n;
}

/* The statement stack, shared by the block level and the inline level. */
typedef enum { F_ROOT, F_FOR, F_IF, F_BLOCK } fkind;

typedef struct frame {
    fkind kind;
    lexp_tnode *node;
    lexp_tnode **tail;
    int line, col;
    int bkind;     /* F_BLOCK */
    int has_else;
    int cap;       /* branches capacity (F_IF) */
} frame;

typedef struct stack {
    frame v[LEXP_TEMPLATE_MAX_DEPTH + 2];
    int n;
} stack;

static void append(stack *st, lexp_tnode *n)
{
    frame *f = &st->v[st->n - 1];
    *f->tail = n;
    f->tail = &n->next;
}

static const char *frame_name(const frame *f)
{
    switch (f->kind) {
    case F_FOR: return "{% for %}";
    case F_IF: return "{% if %}";
    case F_BLOCK: return "':::' block";
    default: return "template";
    }
}

static const char *frame_end(const frame *f)
{
    switch (f->kind) {
    case F_FOR: return "{% endfor %}";
    case F_IF: return "{% endif %}";
    case F_BLOCK: return "':::'";
    default: return "";
    }
}

static int push(P *p, stack *st, fkind k, lexp_tnode *node, lexp_tnode **tail, const char *at)
{
    if (st->n >= LEXP_TEMPLATE_MAX_DEPTH + 1)
        return perr(p, at, "statements nested more than %d levels deep",
                    LEXP_TEMPLATE_MAX_DEPTH);
    frame *f = &st->v[st->n++];
    memset(f, 0, sizeof *f);
    f->kind = k;
    f->node = node;
    f->tail = tail;
    f->line = p->line;
    f->col = at ? col_of(p, at) : 1;
    return 0;
}

static int add_branch(P *p, frame *f, lexp_expr *cond)
{
    lexp_tnode *n = f->node;
    if (n->nbranches == f->cap) {
        int cap = f->cap ? f->cap * 2 : 4;
        lexp_branch *b = lexp__arena_alloc(p->A, (size_t)cap * sizeof *b);
        if (!b)
            return poom(p);
        if (n->nbranches)
            memcpy(b, n->branches, (size_t)n->nbranches * sizeof *b);
        n->branches = b;
        f->cap = cap;
    }
    lexp_branch *b = &n->branches[n->nbranches++];
    b->cond = cond;
    b->body = NULL;
    f->tail = &b->body;
    return 0;
}

static int parse_include(P *p, stack *st, const char *name, size_t nlen, const char *at);

/* The rest of a for statement after "for": NAME [, NAME2] in EXPR. */
static int loop_head(P *p, X *x, const char **name, uint32_t *nlen, const char **name2,
                     uint32_t *n2len, lexp_expr **expr)
{
    char b[64];
    if (x->cur.type != K_IDENT)
        return perr(p, x->cur.s, "expected a loop variable name after 'for', found %s",
                    lexp__x_tok_desc(x, b, sizeof b));
    *name = x->cur.s;
    *nlen = (uint32_t)x->cur.n;
    if (lexp__x_lex(x))
        return -1;
    if (lexp__x_is_op(x, ",")) {
        if (lexp__x_lex(x))
            return -1;
        if (x->cur.type != K_IDENT)
            return perr(p, x->cur.s, "expected a second loop variable after ',', found %s",
                        lexp__x_tok_desc(x, b, sizeof b));
        *name2 = x->cur.s;
        *n2len = (uint32_t)x->cur.n;
        if (lexp__x_lex(x))
            return -1;
    }
    if (!lexp__x_is_kw(x, "in"))
        return perr(p, x->cur.s, "expected 'in' in the for statement, found %s",
                    lexp__x_tok_desc(x, b, sizeof b));
    if (lexp__x_lex(x))
        return -1;
    if (!p->jinja)
        return (*expr = lexp__x_parse_expr(x)) ? 0 : -1;
    /* Jinja's `for x in xs if cond` filters the items before the loop runs
     * (loop.index counts the kept ones): not a conditional expression */
    if (!(*expr = lexp__x_parse_bin(x, 0)))
        return -1;
    if (lexp__x_is_kw(x, "if")) {
        lexp_expr *f = lexp__arena_zalloc(p->A, sizeof *f);
        lexp_expr *v2 = *name2 ? lexp__arena_zalloc(p->A, sizeof *v2) : NULL;
        if (!f || (*name2 && !v2))
            return poom(p);
        f->kind = EX_LOOPIF;
        f->line = p->line;
        f->col = col_of(p, x->cur.s);
        f->file = p->file;
        f->a = *expr;
        f->name = *name;
        f->nlen = *nlen;
        if (v2) { /* the second name, for `for k, v in … if` */
            *v2 = *f;
            v2->kind = EX_VAR;
            v2->name = *name2;
            v2->nlen = *n2len;
            v2->a = NULL;
            f->c = v2;
        }
        if (lexp__x_lex(x) || !(f->b = lexp__x_parse_expr(x)))
            return -1;
        unsigned h = f->a->height > f->b->height ? f->a->height : f->b->height;
        if (h + 1 > LEXP_TEMPLATE_MAX_CHAIN)
            return perr(p, x->cur.s, "the loop's condition is nested too deep");
        f->height = (uint16_t)(h + 1);
        *expr = f;
    }
    if (lexp__x_is_kw(x, "recursive"))
        return perr(p, x->cur.s, "recursive loops are not supported: write one loop per level");
    return 0;
}

/* Handle one statement tag. `inline_` is set inside a content line. */
static int statement(P *p, stack *st, const seg *sg, int inline_)
{
    X x;
    if (lexp__x_xinit(&x, p, sg->s, sg->n))
        return -1;
    const char *at = sg->at;
    char b[64];
    if (x.cur.type != K_IDENT)
        return perr(p, at, "expected a statement (for, if, elif, else, endfor, endif, set, "
                           "include) after '{%%', found %s",
                    lexp__x_tok_desc(&x, b, sizeof b));
    frame *top = &st->v[st->n - 1];
    if (lexp__x_is_kw(&x, "for")) {
        lexp_tnode *n = tnode(p, T_FOR, at);
        if (!n || lexp__x_lex(&x) ||
            loop_head(p, &x, &n->name, &n->nlen, &n->name2, &n->n2len, &n->expr))
            return -1;
        if (x.cur.type != K_EOF)
            return perr(p, x.cur.s, "expected '%%}' after the for statement, found %s",
                        lexp__x_tok_desc(&x, b, sizeof b));
        append(st, n);
        return push(p, st, F_FOR, n, &n->body, at);
    }
    if (lexp__x_is_kw(&x, "if")) {
        lexp_tnode *n = tnode(p, T_IF, at);
        if (!n || lexp__x_lex(&x))
            return -1;
        lexp_expr *c = lexp__x_parse_expr(&x);
        if (!c)
            return -1;
        if (x.cur.type != K_EOF)
            return perr(p, x.cur.s, "expected '%%}' after the condition, found %s",
                        lexp__x_tok_desc(&x, b, sizeof b));
        append(st, n);
        if (push(p, st, F_IF, n, NULL, at))
            return -1;
        return add_branch(p, &st->v[st->n - 1], c);
    }
    if (lexp__x_is_kw(&x, "elif")) {
        if (top->kind != F_IF || top->has_else)
            return perr(p, at, "{%% elif %%} without a matching {%% if %%}%s",
                        top->kind == F_IF ? " (it comes after {% else %})" : "");
        if (lexp__x_lex(&x))
            return -1;
        lexp_expr *c = lexp__x_parse_expr(&x);
        if (!c)
            return -1;
        if (x.cur.type != K_EOF)
            return perr(p, x.cur.s, "expected '%%}' after the condition, found %s",
                        lexp__x_tok_desc(&x, b, sizeof b));
        return add_branch(p, top, c);
    }
    if (lexp__x_is_kw(&x, "else")) {
        if (lexp__x_lex(&x))
            return -1;
        if (x.cur.type != K_EOF)
            return perr(p, x.cur.s, "expected '%%}' after else, found %s",
                        lexp__x_tok_desc(&x, b, sizeof b));
        if (top->kind == F_IF && !top->has_else) {
            top->has_else = 1;
            return add_branch(p, top, NULL);
        }
        if (top->kind == F_FOR && !top->has_else) {
            top->has_else = 1;
            top->tail = &top->node->else_body;
            return 0;
        }
        return perr(p, at, "{%% else %%} without a matching {%% if %%} or {%% for %%}");
    }
    if (lexp__x_is_kw(&x, "endfor") || lexp__x_is_kw(&x, "endif")) {
        int want = lexp__x_is_kw(&x, "endfor") ? F_FOR : F_IF;
        const char *word = want == F_FOR ? "endfor" : "endif";
        if (lexp__x_lex(&x))
            return -1;
        if (x.cur.type != K_EOF)
            return perr(p, x.cur.s, "expected '%%}' after %s, found %s", word,
                        lexp__x_tok_desc(&x, b, sizeof b));
        if ((int)top->kind != want) {
            if (top->kind == F_ROOT)
                return perr(p, at, "{%% %s %%} without a matching {%% %s %%}", word,
                            want == F_FOR ? "for" : "if");
            return perr(p, at, "{%% %s %%} found, but the %s opened at %d:%d is still open: "
                               "expected %s",
                        word, frame_name(top), top->line, top->col, frame_end(top));
        }
        st->n--;
        return 0;
    }
    if (lexp__x_is_kw(&x, "set")) {
        lexp_tnode *n = tnode(p, T_SET, at);
        if (!n || lexp__x_lex(&x))
            return -1;
        if (x.cur.type != K_IDENT)
            return perr(p, x.cur.s, "expected a variable name after 'set', found %s",
                        lexp__x_tok_desc(&x, b, sizeof b));
        n->name = x.cur.s;
        n->nlen = (uint32_t)x.cur.n;
        if (lexp__x_lex(&x))
            return -1;
        if (!lexp__x_is_op(&x, "="))
            return perr(p, x.cur.s, "expected '=' in the set statement, found %s",
                        lexp__x_tok_desc(&x, b, sizeof b));
        if (lexp__x_lex(&x) || !(n->expr = lexp__x_parse_expr(&x)))
            return -1;
        if (x.cur.type != K_EOF)
            return perr(p, x.cur.s, "expected '%%}' after the set statement, found %s",
                        lexp__x_tok_desc(&x, b, sizeof b));
        append(st, n);
        return 0;
    }
    if (lexp__x_is_kw(&x, "include")) {
        if (inline_)
            return perr(p, at, "{%% include %%} must stand on a line of its own");
        if (lexp__x_lex(&x))
            return -1;
        if (x.cur.type != K_STR)
            return perr(p, x.cur.s, "expected a quoted template name after include, found %s",
                        lexp__x_tok_desc(&x, b, sizeof b));
        tok name = x.cur;
        if (lexp__x_lex(&x))
            return -1;
        if (x.cur.type != K_EOF)
            return perr(p, x.cur.s, "expected '%%}' after the include, found %s",
                        lexp__x_tok_desc(&x, b, sizeof b));
        return parse_include(p, st, name.s + 1, name.n - 2, at);
    }
    return perr(p, at,
                "unknown statement '%.*s'; expected for, if, elif, else, endfor, endif, set "
                "or include",
                (int)x.cur.n, x.cur.s);
}

/* ====================================================================== */
/* Inline content                                                           */

/* Literal text → T_TEXT / T_BOLD nodes, resolving backslash escapes. */
static int inline_text(P *p, stack *st, const char *s, size_t n)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    const char *start = s;
    size_t i = 0;
    int rc = 0;
    while (i <= n) {
        int boundary = (i == n) || (i + 1 < n && s[i] == '*' && s[i + 1] == '*');
        if (!boundary && s[i] == '\\' && i + 1 < n && strchr("\\*|#:!-[]{}<^`.", s[i + 1])) {
            lexp__sbuf_putc(&b, s[i + 1]);
            i += 2;
            continue;
        }
        if (boundary) {
            if (b.len) {
                lexp_tnode *t = tnode(p, T_TEXT, start);
                char *copy = t ? lexp__arena_strndup(p->A, b.ptr, b.len) : NULL;
                if (!copy) {
                    rc = poom(p);
                    break;
                }
                t->text = copy;
                t->len = (uint32_t)b.len;
                t->blank = all_ws(copy, b.len);
                append(st, t);
                b.len = 0;
            }
            if (i == n)
                break;
            lexp_tnode *t = tnode(p, T_BOLD, s + i);
            if (!t) {
                rc = -1;
                break;
            }
            append(st, t);
            i += 2;
            start = s + i;
            continue;
        }
        lexp__sbuf_putc(&b, s[i]);
        i++;
    }
    if (b.oom)
        rc = poom(p);
    lexp__sbuf_free(&b);
    return rc;
}

/* Parse segments [from, to) into an inline node list. Statements must close
 * within the list. `trim` strips white space at both ends (table cells). */
static int parse_inline(P *p, const seg *v, int from, int to, lexp_tnode **out, int trim)
{
    stack *st = malloc(sizeof *st);
    if (!st)
        return poom(p);
    st->n = 0;
    *out = NULL;
    push(p, st, F_ROOT, NULL, out, NULL);
    int rc = 0;
    for (int i = from; i < to && rc == 0; i++) {
        const seg *sg = &v[i];
        if (sg->kind == SEG_TEXT) {
            const char *s = sg->s;
            size_t n = sg->n;
            if (trim && i == from)
                while (n && is_ws(*s)) {
                    s++;
                    n--;
                }
            if (trim && i == to - 1)
                while (n && is_ws(s[n - 1]))
                    n--;
            rc = inline_text(p, st, s, n);
        } else if (sg->kind == SEG_EXPR) {
            lexp_tnode *t = tnode(p, T_EXPR, sg->at);
            if (!t || !(t->expr = lexp__x_parse_expr_span(p, sg->s, sg->n)))
                rc = -1;
            else
                append(st, t);
        } else {
            rc = statement(p, st, sg, 1);
        }
    }
    if (rc == 0 && st->n > 1) {
        frame *f = &st->v[st->n - 1];
        lexp__error_set(p->err, LEXP_ESYNTAX, p->file, f->line, f->col, NULL,
                        "%s opened here is not closed on its line: expected %s before the end "
                        "of the line (or put the statement on a line of its own)",
                        frame_name(f), frame_end(f));
        rc = -1;
    }
    free(st);
    return rc;
}

/* ====================================================================== */
/* Content lines                                                            */

static lexp_line *new_line(P *p, lexp_lkind k)
{
    lexp_line *l = lexp__arena_zalloc(p->A, sizeof *l);
    if (!l)
        poom(p);
    else
        l->kind = (uint8_t)k;
    return l;
}

static int emit_line(P *p, stack *st, lexp_line *l, const char *at)
{
    lexp_tnode *n = tnode(p, T_LINE, at);
    if (!n)
        return -1;
    n->ln = l;
    append(st, n);
    return 0;
}

/* Skip leading blanks, including the full-width spaces Chinese writers type
 * to indent paragraphs by hand (the renderer indents for them). */
static const char *skip_lead(const char *s, const char *e)
{
    for (;;) {
        if (s < e && is_ws(*s))
            s++;
        else if (e - s >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0)
            s += 3;
        else
            return s;
    }
}

static const char *const masthead_fields[] = {"title", "issue", "issuer", "date", "note", NULL};
static const char *const signature_fields[] = {"issuer", "date", NULL};
static const char *const distribution_fields[] = {"report", "send",    "distribute",
                                                  "copies", "printer", "date", NULL};

static const char *const *fields_of(int bkind)
{
    switch (bkind) {
    case B_MASTHEAD: return masthead_fields;
    case B_SIGNATURE: return signature_fields;
    case B_DISTRIBUTION: return distribution_fields;
    default: return NULL;
    }
}

/* The innermost open ':::' block, or -1. */
static int current_block(const stack *st)
{
    for (int i = st->n - 1; i >= 0; i--)
        if (st->v[i].kind == F_BLOCK)
            return st->v[i].bkind;
    return -1;
}

static int field_line(P *p, stack *st, const segs *ss, int bkind, const char *at)
{
    const seg *first = &ss->v[0];
    const char *s = skip_lead(first->s, first->s + first->n);
    const char *e = first->s + first->n;
    if (first->kind != SEG_TEXT || s == e)
        return perr(p, at, "expected 'field: value' inside this block");
    const char *k = s;
    while (s < e && !is_ws(*s) && *s != ':' && !(e - s >= 3 && memcmp(s, "：", 3) == 0))
        s++;
    size_t klen = (size_t)(s - k);
    while (s < e && is_ws(*s))
        s++;
    size_t cl = 0;
    if (s < e && *s == ':')
        cl = 1;
    else if (e - s >= 3 && memcmp(s, "：", 3) == 0)
        cl = 3;
    const char *const *names = fields_of(bkind);
    /* Chinese labels of the distribution block */
    static const char *const alias[][2] = {{"报", "report"}, {"送", "send"},
                                           {"发", "distribute"}, {"抄送", "send"},
                                           {"共印", "copies"}};
    const char *canon = NULL;
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == klen && memcmp(names[i], k, klen) == 0)
            canon = names[i];
    if (!canon && bkind == B_DISTRIBUTION)
        for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
            if (strlen(alias[i][0]) == klen && memcmp(alias[i][0], k, klen) == 0)
                canon = alias[i][1];
    if (!canon || cl == 0) {
        lexp__sbuf b = LEXP__SBUF_INIT;
        for (int i = 0; names[i]; i++) {
            if (i)
                lexp__sbuf_puts(&b, ", ");
            lexp__sbuf_puts(&b, names[i]);
        }
        int rc = perr(p, k, "expected 'field: value' with a field among %s, found '%.*s'",
                      lexp__sbuf_cstr(&b), (int)(e - k > 40 ? 40 : e - k), k);
        lexp__sbuf_free(&b);
        return rc;
    }
    s += cl;
    lexp_line *l = new_line(p, L_FIELD);
    if (!l)
        return -1;
    l->key = canon;
    /* the value: rest of the first segment plus the following segments */
    seg *tmp = malloc((size_t)ss->n * sizeof *tmp);
    if (!tmp)
        return poom(p);
    memcpy(tmp, ss->v, (size_t)ss->n * sizeof *tmp);
    tmp[0].n = (size_t)(e - s);
    tmp[0].s = s;
    tmp[0].at = s;
    int rc = parse_inline(p, tmp, 0, ss->n, &l->content, 1);
    free(tmp);
    return rc ? rc : emit_line(p, st, l, at);
}

/* key=expr attributes of a chart block or an image. */
static int parse_attrs(P *p, const char *s, const char *e, lexp_line *l)
{
    X x;
    if (lexp__x_xinit(&x, p, s, (size_t)(e - s)))
        return -1;
    lexp_attr tmp[16];
    int n = 0;
    char b[64];
    while (x.cur.type != K_EOF) {
        if (x.cur.type != K_IDENT)
            return perr(p, x.cur.s, "expected name=value, found %s", lexp__x_tok_desc(&x, b, sizeof b));
        if (n == 16)
            return perr(p, x.cur.s, "too many attributes");
        tmp[n].name = x.cur.s;
        tmp[n].nlen = (uint32_t)x.cur.n;
        if (lexp__x_lex(&x))
            return -1;
        if (!lexp__x_is_op(&x, "="))
            return perr(p, x.cur.s, "expected '=' after '%.*s', found %s", (int)tmp[n].nlen,
                        tmp[n].name, lexp__x_tok_desc(&x, b, sizeof b));
        if (lexp__x_lex(&x) || !(tmp[n].value = lexp__x_parse_expr(&x)))
            return -1;
        n++;
    }
    l->attrs = lexp__arena_alloc(p->A, (size_t)(n ? n : 1) * sizeof *l->attrs);
    if (!l->attrs)
        return poom(p);
    memcpy(l->attrs, tmp, (size_t)n * sizeof *tmp);
    l->nattrs = n;
    return 0;
}

static int check_attr_names(P *p, const lexp_line *l, const char *const *allowed)
{
    for (int i = 0; i < l->nattrs; i++) {
        int ok = 0;
        for (int k = 0; allowed[k]; k++)
            if (strlen(allowed[k]) == l->attrs[i].nlen &&
                memcmp(allowed[k], l->attrs[i].name, l->attrs[i].nlen) == 0)
                ok = 1;
        if (!ok) {
            lexp__sbuf b = LEXP__SBUF_INIT;
            for (int k = 0; allowed[k]; k++) {
                if (k)
                    lexp__sbuf_puts(&b, ", ");
                lexp__sbuf_puts(&b, allowed[k]);
            }
            int rc = perr(p, l->attrs[i].name, "unknown attribute '%.*s'; expected %s",
                          (int)l->attrs[i].nlen, l->attrs[i].name, lexp__sbuf_cstr(&b));
            lexp__sbuf_free(&b);
            return rc;
        }
    }
    return 0;
}

static int block_line(P *p, stack *st, const char *s, const char *e)
{
    const char *at = s;
    s += 3;
    while (s < e && (*s == ':' ))
        s++;
    while (s < e && is_ws(*s))
        s++;
    while (e > s && is_ws(e[-1]))
        e--;
    if (s == e) {
        frame *top = &st->v[st->n - 1];
        if (top->kind != F_BLOCK) {
            if (top->kind == F_ROOT)
                return perr(p, at, "':::' closes a block, but no block is open");
            return perr(p, at, "':::' found, but the %s opened at %d:%d is still open: "
                               "expected %s",
                        frame_name(top), top->line, top->col, frame_end(top));
        }
        /* a block has no list of its own: its lines went into the parent's */
        st->v[st->n - 2].tail = top->tail;
        st->n--;
        lexp_line *l = new_line(p, L_CLOSE);
        if (!l)
            return -1;
        l->block = (uint8_t)top->bkind;
        return emit_line(p, st, l, at);
    }
    const char *name = s;
    while (s < e && !is_ws(*s))
        s++;
    size_t nl = (size_t)(s - name);
    static const struct {
        const char *name;
        int kind;
    } blocks[] = {{"masthead", B_MASTHEAD},     {"signature", B_SIGNATURE},
                  {"distribution", B_DISTRIBUTION}, {"chart", B_CHART},
                  {"center", B_CENTER},         {"right", B_RIGHT},
                  {"left", B_LEFT},             {"noindent", B_NOINDENT},
                  {"title", B_TITLE},           {"only", B_ONLY}};
    int kind = -1;
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
        if (strlen(blocks[i].name) == nl && memcmp(blocks[i].name, name, nl) == 0)
            kind = blocks[i].kind;
    if (kind < 0)
        return perr(p, name,
                    "unknown block '%.*s'; expected title, masthead, signature, distribution, "
                    "chart, center, right, left, noindent or only",
                    (int)nl, name);
    /* Blocks do not nest, except inside '::: only', which only marks the
     * formats of what it holds. */
    int cur = current_block(st);
    if (cur >= 0 && (cur != B_ONLY || kind == B_ONLY))
        return perr(p, at, "blocks cannot be nested here: close the open block with ':::' "
                           "first");
    lexp_line *l = new_line(p, L_OPEN);
    if (!l)
        return -1;
    l->block = (uint8_t)kind;
    while (s < e && is_ws(*s))
        s++;
    if (kind == B_CHART) {
        const char *k = s;
        while (s < e && !is_ws(*s))
            s++;
        if ((size_t)(s - k) == 3 && memcmp(k, "bar", 3) == 0)
            l->chart_kind = LEXP_CHART_BAR;
        else if ((size_t)(s - k) == 3 && memcmp(k, "pie", 3) == 0)
            l->chart_kind = LEXP_CHART_PIE;
        else
            return perr(p, k, "expected the chart kind 'bar' or 'pie' after '::: chart'");
        if (parse_attrs(p, s, e, l))
            return -1;
        static const char *const allowed[] = {"data", "title", "label", "value", "series",
                                              NULL};
        if (check_attr_names(p, l, allowed))
            return -1;
        int has_data = 0;
        for (int i = 0; i < l->nattrs; i++)
            if (l->attrs[i].nlen == 4 && memcmp(l->attrs[i].name, "data", 4) == 0)
                has_data = 1;
        if (!has_data)
            return perr(p, at, "a chart needs data=EXPR (a list to draw)");
    } else if (kind == B_ONLY) {
        /* ::: only xlsx | ::: only pdf, docx — content for some formats */
        while (s < e) {
            const char *w = s;
            while (s < e && !is_ws(*s) && *s != ',')
                s++;
            char fmt[16];
            size_t wl = (size_t)(s - w);
            snprintf(fmt, sizeof fmt, "%.*s", (int)(wl < 15 ? wl : 15), w);
            int f = wl ? lexp_format_from_name(fmt) : -1;
            if (f < 0 || f == LEXP_FORMAT_TREE)
                return perr(p, w, "'::: only' takes formats among pdf, docx, xlsx and txt, "
                                  "found '%.*s'",
                            (int)wl, w);
            l->formats |= 1u << f;
            while (s < e && (is_ws(*s) || *s == ','))
                s++;
        }
        if (!l->formats)
            return perr(p, at, "'::: only' needs the formats it is for, e.g. '::: only xlsx'");
    } else if (s < e) {
        return perr(p, s, "unexpected text after '::: %.*s'", (int)nl, name);
    }
    if (emit_line(p, st, l, at))
        return -1;
    if (push(p, st, F_BLOCK, NULL, st->v[st->n - 1].tail, at))
        return -1;
    st->v[st->n - 1].bkind = kind;
    return 0;
}

/* Is a cell's literal text a separator like ":---:"? Sets the alignment. */
static int sep_cell(const char *s, size_t n, lexp_align *al)
{
    while (n && is_ws(*s)) {
        s++;
        n--;
    }
    while (n && is_ws(s[n - 1]))
        n--;
    if (n == 0)
        return 0;
    int left = s[0] == ':', right = s[n - 1] == ':';
    size_t dashes = 0;
    for (size_t i = left; i < n - (right && n > 1); i++) {
        if (s[i] != '-')
            return 0;
        dashes++;
    }
    if (dashes == 0)
        return 0;
    *al = left && right ? LEXP_ALIGN_CENTER
          : right       ? LEXP_ALIGN_RIGHT
          : left        ? LEXP_ALIGN_LEFT
                        : LEXP_ALIGN_DEFAULT;
    return 1;
}

/* A table row: split literal text at unescaped '|'. */
static int row_line(P *p, stack *st, segs *ss, const char *at)
{
    /* Split segments into cells. Each cell is a run of segments; text
     * segments are cut at the pipes. */
    segs cells_segs = {0};
    int *bounds = NULL; /* start index of each cell in cells_segs */
    int nb = 0, capb = 0, rc = 0;
    int started = 0;
    const char *trailing = NULL;
    size_t trailing_n = 0;
    for (int i = 0; i < ss->n && rc == 0; i++) {
        const seg *sg = &ss->v[i];
        if (sg->kind != SEG_TEXT) {
            if (!started) {
                rc = perr(p, sg->at, "a table row must start with '|'");
                break;
            }
            rc = seg_push(p, &cells_segs, sg->kind, sg->s, sg->n, sg->at);
            continue;
        }
        const char *s = sg->s, *e = sg->s + sg->n, *piece = s;
        for (const char *q = s; q <= e; q++) {
            if (q < e && *q == '\\' && q + 1 < e) {
                q++;
                continue;
            }
            if (q == e || *q == '|') {
                if (started && q > piece)
                    rc = rc ? rc : seg_push(p, &cells_segs, SEG_TEXT, piece, (size_t)(q - piece), piece);
                else if (!started && q > piece && !all_ws(piece, (size_t)(q - piece)))
                    rc = perr(p, piece, "a table row must start with '|'");
                if (q == e)
                    break;
                /* a pipe: a new cell starts */
                if (nb == capb) {
                    capb = capb ? capb * 2 : 16;
                    int *nbds = realloc(bounds, (size_t)capb * sizeof *nbds);
                    if (!nbds) {
                        rc = poom(p);
                        break;
                    }
                    bounds = nbds;
                }
                bounds[nb++] = cells_segs.n;
                started = 1;
                piece = q + 1;
            }
        }
    }
    int ncells = nb - 1;
    /* whatever follows the last pipe: nothing, or {.total} */
    lexp_line *l = NULL;
    if (rc == 0 && ncells < 1)
        rc = perr(p, at, "a table row needs at least one cell between '|' characters");
    if (rc == 0) {
        int last = bounds[nb - 1];
        for (int i = last; i < cells_segs.n; i++) {
            const seg *sg = &cells_segs.v[i];
            if (sg->kind != SEG_TEXT) {
                rc = perr(p, sg->at, "text after the last '|' of a table row");
                break;
            }
            const char *s = sg->s, *e = s + sg->n;
            while (s < e && is_ws(*s))
                s++;
            while (e > s && is_ws(e[-1]))
                e--;
            if (s == e)
                continue;
            trailing = s;
            trailing_n = (size_t)(e - s);
            if (trailing_n == 8 && memcmp(trailing, "{.total}", 8) == 0)
                continue;
            rc = perr(p, s, "text after the last '|' of a table row (only {.total} may "
                            "follow it)");
        }
    }
    if (rc == 0) {
        /* separator row? */
        int is_sep = 1;
        lexp_align *aligns = lexp__arena_zalloc(p->A, (size_t)ncells * sizeof *aligns);
        if (!aligns)
            rc = poom(p);
        for (int c = 0; c < ncells && rc == 0 && is_sep; c++) {
            int a = bounds[c], b2 = bounds[c + 1];
            if (b2 - a != 1 || cells_segs.v[a].kind != SEG_TEXT ||
                !sep_cell(cells_segs.v[a].s, cells_segs.v[a].n, &aligns[c]))
                is_sep = 0;
        }
        if (rc == 0) {
            l = new_line(p, is_sep ? L_SEP : L_ROW);
            if (!l)
                rc = -1;
        }
        if (rc == 0 && is_sep) {
            l->aligns = aligns;
            l->ncells = ncells;
        } else if (rc == 0) {
            l->ncells = ncells;
            l->total = trailing != NULL;
            l->cells = lexp__arena_zalloc(p->A, (size_t)ncells * sizeof *l->cells);
            l->cell_cols = lexp__arena_zalloc(p->A, (size_t)ncells * sizeof *l->cell_cols);
            if (!l->cells || !l->cell_cols)
                rc = poom(p);
            for (int c = 0; c < ncells && rc == 0; c++) {
                int a = bounds[c];
                if (a < bounds[c + 1]) {
                    const seg *g = &cells_segs.v[a];
                    const char *t = g->at;
                    if (g->kind == SEG_TEXT)
                        while (t < g->s + g->n && is_ws(*t))
                            t++;
                    l->cell_cols[c] = col_of(p, t);
                } else {
                    l->cell_cols[c] = 1;
                }
                rc = parse_inline(p, cells_segs.v, bounds[c], bounds[c + 1], &l->cells[c], 1);
            }
        }
    }
    free(cells_segs.v);
    free(bounds);
    if (rc)
        return rc;
    return emit_line(p, st, l, at);
}

/* ![caption](path) — caption and path may hold {{ }}. */
static int image_line(P *p, stack *st, segs *ss, const char *at)
{
    /* Find "](" and the final ")" in literal text. */
    int si = -1, ei = -1;
    size_t so = 0, eo = 0;
    for (int i = 0; i < ss->n; i++) {
        const seg *sg = &ss->v[i];
        if (sg->kind != SEG_TEXT)
            continue;
        for (size_t k = (i == 0 ? 2 : 0); k < sg->n; k++) {
            if (si < 0 && k + 1 < sg->n && sg->s[k] == ']' && sg->s[k + 1] == '(') {
                si = i;
                so = k;
            }
        }
    }
    if (si < 0)
        return perr(p, at, "expected ![caption](path) for an image");
    /* last ')' */
    for (int i = ss->n - 1; i >= 0 && ei < 0; i--) {
        const seg *sg = &ss->v[i];
        if (sg->kind != SEG_TEXT)
            continue;
        for (size_t k = sg->n; k-- > 0;) {
            if (i == si && k <= so + 1)
                break;
            if (sg->s[k] == ')') {
                ei = i;
                eo = k;
                break;
            }
        }
        if (i == si)
            break;
    }
    if (ei < 0)
        return perr(p, at, "expected ')' to end the image path");
    lexp_line *l = new_line(p, L_IMAGE);
    if (!l)
        return -1;
    int n = ss->n;
    seg *cap = malloc((size_t)(n + 2) * sizeof *cap);
    seg *pth = malloc((size_t)(n + 2) * sizeof *pth);
    if (!cap || !pth) {
        free(cap);
        free(pth);
        return poom(p);
    }
    int nc = 0, np = 0;
    for (int i = 0; i <= si; i++) {
        seg g = ss->v[i];
        if (i == 0) {
            const char *s = skip_lead(g.s, g.s + g.n) + 2;
            g.n -= (size_t)(s - g.s);
            g.s = s;
            g.at = s;
        }
        if (i == si)
            g.n = (size_t)(ss->v[si].s + so - g.s);
        cap[nc++] = g;
    }
    for (int i = si; i <= ei; i++) {
        seg g = ss->v[i];
        if (i == si) {
            g.s = ss->v[si].s + so + 2;
            g.n = (size_t)(ss->v[si].s + ss->v[si].n - g.s);
            g.at = g.s;
        }
        if (i == ei)
            g.n = (size_t)(ss->v[ei].s + eo - g.s);
        pth[np++] = g;
    }
    int rc = parse_inline(p, cap, 0, nc, &l->content, 1);
    if (rc == 0)
        rc = parse_inline(p, pth, 0, np, &l->path, 1);
    /* optional {width=0.5} after the ')' */
    if (rc == 0) {
        const seg *g = &ss->v[ei];
        const char *s = g->s + eo + 1, *e = g->s + g->n;
        while (s < e && is_ws(*s))
            s++;
        while (e > s && is_ws(e[-1]))
            e--;
        if (s < e) {
            if (*s != '{' || e[-1] != '}')
                rc = perr(p, s, "unexpected text after the image; expected {width=0.5}");
            else if (parse_attrs(p, s + 1, e - 1, l) == 0) {
                static const char *const allowed[] = {"width", NULL};
                rc = check_attr_names(p, l, allowed);
            } else {
                rc = -1;
            }
        }
        if (rc == 0 && ei != ss->n - 1)
            rc = perr(p, ss->v[ei + 1].at, "unexpected content after the image");
    }
    free(cap);
    free(pth);
    return rc ? rc : emit_line(p, st, l, at);
}

/* Parse everything after a markup prefix: rest of segment 0 from `rest`. */
static int content_after(P *p, segs *ss, const char *rest, lexp_tnode **out, int trim)
{
    seg saved = ss->v[0];
    ss->v[0].n = (size_t)(saved.s + saved.n - rest);
    ss->v[0].s = rest;
    ss->v[0].at = rest;
    int rc = parse_inline(p, ss->v, 0, ss->n, out, trim);
    ss->v[0] = saved;
    return rc;
}

static int content_line(P *p, stack *st, segs *ss)
{
    int bk = current_block(st);
    const seg *first = &ss->v[0];
    const char *at = first->at;
    if (bk == B_MASTHEAD || bk == B_SIGNATURE || bk == B_DISTRIBUTION)
        return field_line(p, st, ss, bk, at);
    if (bk == B_CHART)
        return perr(p, at, "a chart block holds no text: close it with ':::'");
    if (first->kind == SEG_TEXT) {
        const char *s = skip_lead(first->s, first->s + first->n);
        const char *e = first->s + first->n;
        size_t n = (size_t)(e - s);
        at = s;
        if (n >= 1 && *s == '#') {
            int level = 0;
            while (level < (int)n && s[level] == '#')
                level++;
            if (level < (int)n && (s[level] == ' ' || s[level] == '\t')) {
                if (level > 4)
                    return perr(p, s, "headings go four levels deep (# to ####), found %d",
                                level);
                lexp_line *l = new_line(p, L_HEADING);
                if (!l)
                    return -1;
                l->level = (uint8_t)level;
                /* {-} at the end: unnumbered */
                seg *last = &ss->v[ss->n - 1];
                size_t saved_n = last->n;
                if (last->kind == SEG_TEXT) {
                    const char *t = last->s, *te = last->s + last->n;
                    while (te > t && is_ws(te[-1]))
                        te--;
                    if (te - t >= 3 && memcmp(te - 3, "{-}", 3) == 0 &&
                        (last != first || te - 3 >= s + level)) {
                        l->unnumbered = 1;
                        last->n = (size_t)(te - 3 - t);
                    }
                }
                int rc = content_after(p, ss, s + level + 1, &l->content, 1);
                last->n = saved_n;
                return rc ? rc : emit_line(p, st, l, at);
            }
        }
        if (n >= 1 && *s == '|')
            return row_line(p, st, ss, at);
        if (n >= 6 && memcmp(s, "Table:", 6) == 0) {
            lexp_line *l = new_line(p, L_CAPTION);
            if (!l || content_after(p, ss, s + 6, &l->content, 1))
                return -1;
            return emit_line(p, st, l, at);
        }
        if (n >= 2 && s[0] == '!' && s[1] == '[')
            return image_line(p, st, ss, at);
        if (n >= 2 && (s[0] == '-' || s[0] == '*') && (s[1] == ' ' || s[1] == '\t')) {
            lexp_line *l = new_line(p, L_BULLET);
            if (!l || content_after(p, ss, s + 2, &l->content, 1))
                return -1;
            return emit_line(p, st, l, at);
        }
        size_t d = 0;
        while (d < n && d < 4 && isdigit((unsigned char)s[d]))
            d++;
        if (d > 0 && d + 1 < n && s[d] == '.' && (s[d + 1] == ' ' || s[d + 1] == '\t')) {
            lexp_line *l = new_line(p, L_ORDERED);
            if (!l || content_after(p, ss, s + d + 2, &l->content, 1))
                return -1;
            return emit_line(p, st, l, at);
        }
        lexp_line *l = new_line(p, L_TEXT);
        if (!l || content_after(p, ss, s, &l->content, 0))
            return -1;
        return emit_line(p, st, l, at);
    }
    lexp_line *l = new_line(p, L_TEXT);
    if (!l || parse_inline(p, ss->v, 0, ss->n, &l->content, 0))
        return -1;
    return emit_line(p, st, l, at);
}

/* ====================================================================== */
/* Body                                                                     */

/* Blank out {# comments #} (may span lines) with COMMENT_BYTE, keeping
 * newlines and byte offsets so positions stay right; segmenting drops
 * those bytes. Marks, per line, whether it held a comment. */
static int strip_comments(P *p, char *s, size_t n, int first_line, unsigned char *had,
                          int nlines)
{
    int line = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            line++;
            continue;
        }
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == '{') {
            i++;
            continue;
        }
        if (s[i] == '{' && i + 1 < n && s[i + 1] == '#') {
            size_t start = i;
            int start_line = line;
            size_t j = i + 2;
            while (j + 1 < n && !(s[j] == '#' && s[j + 1] == '}'))
                j++;
            if (j + 1 >= n) {
                /* position the error at the comment's start */
                size_t ls = start;
                while (ls > 0 && s[ls - 1] != '\n')
                    ls--;
                p->line = first_line + start_line;
                p->line_start = s + ls;
                return perr(p, s + start, "comment '{#' is never closed: expected '#}'");
            }
            for (size_t k = start; k < j + 2; k++) {
                if (s[k] == '\n') {
                    line++;
                } else {
                    s[k] = COMMENT_BYTE;
                }
                if (line < nlines)
                    had[line] = 1;
            }
            if (start_line < nlines)
                had[start_line] = 1;
            i = j + 1;
        }
    }
    return 0;
}

/* Parse body text [s, s+n) starting at line `first_line`; append nodes to
 * the stack's current list. `s` is writable (comments are blanked). */
static int parse_body(P *p, stack *st, char *s, size_t n, int first_line)
{
    int nlines = 1;
    for (size_t i = 0; i < n; i++)
        nlines += s[i] == '\n';
    if (p->cache)
        p->cache->lines += (uint64_t)nlines;
    unsigned char *had = calloc((size_t)nlines, 1);
    if (!had)
        return poom(p);
    int rc = strip_comments(p, s, n, first_line, had, nlines);
    segs ss = {0};
    const char *ls = s, *end = s + n;
    int idx = 0;
    while (rc == 0 && ls < end) {
        const char *le = memchr(ls, '\n', (size_t)(end - ls));
        if (!le)
            le = end;
        const char *lend = le;
        if (lend > ls && lend[-1] == '\r')
            lend--;
        p->line = first_line + idx;
        p->line_start = ls;
        const char *t = skip_lead(ls, lend);
        const char *te = lend;
        while (te > t && is_ws(te[-1]))
            te--;
        if (te - t >= 3 && memcmp(t, ":::", 3) == 0) {
            rc = block_line(p, st, t, te);
        } else if ((size_t)(te - t) == 10 && memcmp(t, "\\pagebreak", 10) == 0) {
            lexp_line *l = new_line(p, L_PAGEBREAK);
            rc = l ? emit_line(p, st, l, t) : -1;
        } else if (te - t >= 3 && strspn(t, "-") >= (size_t)(te - t)) {
            lexp_line *l = new_line(p, L_RULE);
            rc = l ? emit_line(p, st, l, t) : -1;
        } else {
            rc = segment_line(p, ls, lend, &ss);
            if (rc == 0) {
                int stmts = 0, exprs = 0, text = 0;
                for (int i = 0; i < ss.n; i++) {
                    if (ss.v[i].kind == SEG_STMT)
                        stmts++;
                    else if (ss.v[i].kind == SEG_EXPR)
                        exprs++;
                    else if (!all_ws(ss.v[i].s, ss.v[i].n) &&
                             skip_lead(ss.v[i].s, ss.v[i].s + ss.v[i].n) !=
                                 ss.v[i].s + ss.v[i].n)
                        text++;
                }
                if (stmts > 0 && exprs == 0 && text == 0) {
                    for (int i = 0; i < ss.n && rc == 0; i++)
                        if (ss.v[i].kind == SEG_STMT)
                            rc = statement(p, st, &ss.v[i], 0);
                } else if (exprs == 0 && text == 0 && stmts == 0) {
                    if (!had[idx]) {
                        lexp_line *l = new_line(p, L_BLANK);
                        rc = l ? emit_line(p, st, l, ls) : -1;
                    }
                } else {
                    rc = content_line(p, st, &ss);
                }
            }
        }
        idx++;
        ls = le < end ? le + 1 : end;
    }
    free(ss.v);
    free(had);
    return rc;
}

/* ---- includes ------------------------------------------------------------ */

static int include_node(P *p, stack *st, lexp_tnode *body, const char *at)
{
    lexp_tnode *n = tnode(p, T_INCLUDE, at);
    if (!n)
        return -1;
    n->body = body;
    append(st, n);
    return 0;
}

static int parse_include(P *p, stack *st, const char *name, size_t nlen, const char *at)
{
    char nm[256];
    if (nlen == 0 || nlen >= sizeof nm)
        return perr(p, at, "include needs a template name");
    memcpy(nm, name, nlen);
    nm[nlen] = 0;
    if (p->depth >= 16)
        return perr(p, at, "includes nested more than 16 deep");
    /* A name without '/' or ".lxt" that is built in is the built-in; other
     * names are files next to the including template. */
    const struct lexp__builtin *bi = NULL;
    if (!strchr(nm, '/') && !strstr(nm, ".lxt")) {
        bi = lexp__builtin_find(nm, nlen);
        if (!bi) {
            char alt[260];
            snprintf(alt, sizeof alt, "_%s", nm);
            bi = lexp__builtin_find(alt, strlen(alt));
        }
    }
    char *path = NULL; /* the resolved name: a built-in's, or the file's path */
    if (bi) {
        path = strdup(bi->name);
    } else {
        if (!p->dir)
            return perr(p, at, "no built-in template named \"%s\" to include", nm);
        if (nm[0] == '/' || strstr(nm, ".."))
            return perr(p, at, "include \"%s\": give a name next to the template, without "
                               "'..' or an absolute path",
                        nm);
        size_t dl = strlen(p->dir);
        if ((path = malloc(dl + nlen + 2)))
            snprintf(path, dl + nlen + 2, "%s/%s", p->dir, nm);
    }
    if (!path)
        return poom(p);
    for (const incl *i = p->inc; i; i = i->up)
        if (strcmp(i->name, path) == 0) {
            free(path);
            return perr(p, at, "\"%s\" includes itself (through a chain of includes)", nm);
        }
    /* parsed before in the same context: share its nodes */
    icache *C = p->cache;
    int block = current_block(st);
    for (size_t i = 0; i < C->n; i++) {
        const icache_ent *c = &C->v[i];
        if (c->block == block && c->frames == st->n && c->depth == p->depth &&
            strcmp(c->name, path) == 0) {
            free(path);
            return include_node(p, st, c->body, at);
        }
    }
    char *src = NULL;
    size_t len = 0;
    if (bi) {
        src = malloc(bi->len + 1);
        if (!src) {
            free(path);
            return poom(p);
        }
        memcpy(src, bi->src, bi->len);
        src[bi->len] = 0;
        len = bi->len;
    } else {
        lexp_error ferr;
        lexp_error_clear(&ferr);
        if (lexp__read_file(&src, &len, path, LEXP_TEMPLATE_MAX_BYTES, &ferr)) {
            free(path);
            return perr(p, at, "cannot include \"%s\": %s", nm, ferr.message);
        }
    }
    C->parsed += len;
    if (C->parsed > LEXP_TEMPLATE_MAX_PARSED) {
        free(src);
        free(path);
        return perr(p, at, "the template and its includes come to more than %u MB to parse",
                    LEXP_TEMPLATE_MAX_PARSED >> 20);
    }
    size_t bad;
    if (!lexp__utf8_valid(src, len, &bad)) {
        free(src);
        free(path);
        return perr(p, at, "included template \"%s\" is not valid UTF-8 (byte %zu)", nm, bad);
    }
    /* The included text must live as long as the template: copy it into the
     * arena (nodes point into it). */
    char *copy = lexp__arena_strndup(p->A, src, len);
    const char *iname = lexp__arena_strdup(p->A, path);
    free(src);
    if (!copy || !iname || lexp__grow((void **)&C->v, &C->cap, C->n + 1, sizeof *C->v)) {
        free(path);
        return poom(p);
    }
    incl me = {iname, p->inc};
    P sub = *p;
    sub.file = iname;
    sub.inc = &me;
    sub.depth = p->depth + 1;
    /* skip front matter in an included file */
    char *body = copy;
    int first_line = 1;
    if (strncmp(body, "---", 3) == 0 && (body[3] == '\n' || body[3] == '\r')) {
        char *q = body + 3;
        int ln = 1;
        for (;;) {
            char *nl = strchr(q, '\n');
            if (!nl)
                break;
            q = nl + 1;
            ln++;
            if (strncmp(q, "---", 3) == 0 && (q[3] == '\n' || q[3] == '\r' || q[3] == 0)) {
                char *after = strchr(q, '\n');
                body = after ? after + 1 : q + strlen(q);
                first_line = ln + 1;
                break;
            }
        }
    }
    /* The include's nodes go into a node of their own, in a frame of their
     * own: it must close what it opens, and may close nothing else. */
    int frames = st->n;
    lexp_tnode *n = tnode(p, T_INCLUDE, at);
    if (!n || (append(st, n), push(p, st, F_ROOT, n, &n->body, at))) {
        free(path);
        return -1;
    }
    int rc = parse_body(&sub, st, body, strlen(body), first_line);
    if (rc == 0 && st->n != frames + 1) {
        frame *f = &st->v[st->n - 1];
        lexp__error_set(p->err, LEXP_ESYNTAX, iname, f->line, f->col, NULL,
                        "%s opened here is never closed in this included template: expected "
                        "%s",
                        frame_name(f), frame_end(f));
        rc = -1;
    }
    if (rc) {
        free(path);
        return rc;
    }
    st->n = frames;
    C->v[C->n++] = (icache_ent){path, block, frames, p->depth, n->body};
    return 0;
}

/* ====================================================================== */
/* Front matter                                                             */

static int fm_bool(P *p, const char *v, size_t n, const char *at, int *out)
{
    if ((n == 4 && memcmp(v, "true", 4) == 0) || (n == 3 && memcmp(v, "yes", 3) == 0)) {
        *out = 1;
        return 0;
    }
    if ((n == 5 && memcmp(v, "false", 5) == 0) || (n == 2 && memcmp(v, "no", 2) == 0)) {
        *out = 0;
        return 0;
    }
    return perr(p, at, "expected true or false, found '%.*s'", (int)n, v);
}

/* Value of "key: value": strip quotes. Returns 0 and the span. */
static int fm_value(P *p, const char *s, const char *e, const char **vs, size_t *vn)
{
    while (s < e && is_ws(*s))
        s++;
    while (e > s && is_ws(e[-1]))
        e--;
    if (s < e && (*s == '"' || *s == '\'')) {
        if (e - s < 2 || e[-1] != *s)
            return perr(p, s, "quoted value not closed: expected %c at the end of the line",
                        *s);
        s++;
        e--;
    }
    *vs = s;
    *vn = (size_t)(e - s);
    return 0;
}

static int fm_text(P *p, lexp_fm_text *out, const char *s, size_t n)
{
    segs ss = {0};
    int rc = segment_line(p, s, s + n, &ss);
    if (rc == 0) {
        for (int i = 0; i < ss.n && rc == 0; i++)
            if (ss.v[i].kind == SEG_STMT)
                rc = perr(p, ss.v[i].at, "statements are not allowed in front matter values");
        if (rc == 0)
            rc = parse_inline(p, ss.v, 0, ss.n, &out->content, 1);
    }
    out->line = p->line;
    out->col = col_of(p, s);
    free(ss.v);
    return rc;
}

/* needs: [period, community.name] — a list of names, with or without the
 * brackets: `period`, or a dotted path into the data. */
static int fm_needs(P *p, lexp_template *t, const char *v, size_t vn)
{
    const char *q = v, *end = v + vn;
    if (q < end && *q == '[') {
        q++;
        if (end > q && end[-1] == ']')
            end--;
        else
            return perr(p, v, "needs: a list like [period, community.name] is missing its ']'");
    }
    const char *items[64];
    size_t lens[64];
    int n = 0;
    while (q < end) {
        while (q < end && (*q == ' ' || *q == ','))
            q++;
        const char *a = q;
        while (q < end && *q != ',' && *q != ' ')
            q++;
        if (q == a)
            continue;
        for (const char *c = a; c < q; c++)
            if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '.' || (unsigned char)*c >= 0x80) ||
                (*c == '.' && (c == a || c + 1 == q || c[1] == '.')))
                return perr(p, a, "needs: '%.*s' is not a name: expected period or a path "
                                  "like community.name",
                            (int)(q - a), a);
        if (n == 64)
            return perr(p, a, "needs: more than 64 names");
        items[n] = a;
        lens[n++] = (size_t)(q - a);
    }
    t->needs = lexp__arena_zalloc(p->A, (size_t)(n ? n : 1) * sizeof *t->needs);
    if (!t->needs)
        return poom(p);
    for (int i = 0; i < n; i++)
        if (!(t->needs[i] = lexp__arena_strndup(p->A, items[i], lens[i])))
            return poom(p);
    t->nneeds = n;
    t->needs_line = p->line;
    return 0;
}

static int front_matter(P *p, char *s, size_t n, size_t *consumed, int *body_line)
{
    lexp_template *t = p->t;
    *consumed = 0;
    *body_line = 1;
    if (!(n >= 3 && memcmp(s, "---", 3) == 0 && (n == 3 || s[3] == '\n' || s[3] == '\r')))
        return 0;
    const char *ls = memchr(s, '\n', n);
    if (!ls) {
        p->line = 1;
        p->line_start = s;
        return perr(p, s, "front matter opened with '---' is never closed");
    }
    ls++;
    int line = 2;
    int in_fonts = 0;
    const char *end = s + n;
    while (ls < end) {
        const char *le = memchr(ls, '\n', (size_t)(end - ls));
        if (!le)
            le = end;
        const char *lend = le;
        if (lend > ls && lend[-1] == '\r')
            lend--;
        p->line = line;
        p->line_start = ls;
        if (lend - ls >= 3 && memcmp(ls, "---", 3) == 0 && all_ws(ls + 3, (size_t)(lend - ls - 3))) {
            *consumed = (size_t)((le < end ? le + 1 : end) - s);
            *body_line = line + 1;
            return 0;
        }
        const char *q = ls;
        int indented = q < lend && is_ws(*q);
        while (q < lend && is_ws(*q))
            q++;
        if (q == lend || *q == '#') {
            ls = le < end ? le + 1 : end;
            line++;
            continue;
        }
        const char *k = q;
        while (q < lend && (isalnum((unsigned char)*q) || *q == '_'))
            q++;
        size_t kl = (size_t)(q - k);
        if (kl == 0 || q >= lend || *q != ':')
            return perr(p, k, "expected 'key: value' in the front matter");
        q++;
        const char *v = NULL;
        size_t vn = 0;
        if (fm_value(p, q, lend, &v, &vn))
            return -1;
#define KEY(name) (kl == sizeof(name) - 1 && memcmp(k, name, kl) == 0)
        if (indented && in_fonts) {
            char role[32];
            snprintf(role, sizeof role, "%.*s", (int)(kl < 31 ? kl : 31), k);
            int r = lexp_font_role_from_name(role);
            if (r < 0)
                return perr(p, k, "unknown font role '%.*s'; expected song, fangsong, hei, "
                                  "kai, xiaobiaosong or latin",
                            (int)kl, k);
            /* path[:index] */
            const char *colon = NULL;
            for (const char *c = v + vn; c > v; c--)
                if (c[-1] == ':') {
                    colon = c - 1;
                    break;
                }
            int index = 0;
            size_t pl = vn;
            if (colon && colon + 1 < v + vn) {
                int all_digits = 1;
                for (const char *c = colon + 1; c < v + vn; c++)
                    if (!isdigit((unsigned char)*c))
                        all_digits = 0;
                if (all_digits) {
                    index = atoi(colon + 1);
                    pl = (size_t)(colon - v);
                }
            }
            t->font_path[r] = lexp__arena_strndup(p->A, v, pl);
            t->font_index[r] = index;
            if (!t->font_path[r])
                return poom(p);
        } else if (indented) {
            return perr(p, k, "unexpected indented key '%.*s' (only fonts: has sub-keys)",
                        (int)kl, k);
        } else {
            in_fonts = 0;
            if (KEY("preset")) {
                if (vn == 5 && memcmp(v, "plain", 5) == 0)
                    t->preset = LEXP_PRESET_PLAIN;
                else if (vn == 7 && memcmp(v, "gbt9704", 7) == 0)
                    t->preset = LEXP_PRESET_GBT9704;
                else if (vn == 8 && memcmp(v, "briefing", 8) == 0)
                    t->preset = LEXP_PRESET_BRIEFING;
                else
                    return perr(p, v, "unknown preset '%.*s'; expected plain, gbt9704 or "
                                      "briefing",
                                (int)vn, v);
            } else if (KEY("title")) {
                if (fm_text(p, &t->title, v, vn))
                    return -1;
            } else if (KEY("subtitle")) {
                if (fm_text(p, &t->subtitle, v, vn))
                    return -1;
            } else if (KEY("author")) {
                if (fm_text(p, &t->author, v, vn))
                    return -1;
            } else if (KEY("subject")) {
                if (fm_text(p, &t->subject, v, vn))
                    return -1;
            } else if (KEY("keywords")) {
                if (fm_text(p, &t->keywords, v, vn))
                    return -1;
            } else if (KEY("description")) {
                t->description = lexp__arena_strndup(p->A, v, vn);
            } else if (KEY("numbering")) {
                if (fm_bool(p, v, vn, v, &t->numbering))
                    return -1;
            } else if (KEY("page_numbers")) {
                if (fm_bool(p, v, vn, v, &t->page_numbers))
                    return -1;
            } else if (KEY("show_title")) {
                if (fm_bool(p, v, vn, v, &t->show_title))
                    return -1;
            } else if (KEY("formats")) {
                const char *fq = v, *fe = v + vn;
                while (fq < fe) {
                    while (fq < fe && (*fq == ' ' || *fq == ',' || *fq == '[' || *fq == ']'))
                        fq++;
                    const char *a = fq;
                    while (fq < fe && *fq != ' ' && *fq != ',' && *fq != ']')
                        fq++;
                    if (fq == a)
                        continue;
                    char fmt[16];
                    snprintf(fmt, sizeof fmt, "%.*s", (int)(fq - a < 15 ? fq - a : 15), a);
                    int f = lexp_format_from_name(fmt);
                    if (f < 0 || (size_t)(fq - a) > 15)
                        return perr(p, a, "formats: unknown format '%.*s'; expected pdf, docx, "
                                          "xlsx or txt",
                                    (int)(fq - a), a);
                    t->formats |= 1u << f;
                }
            } else if (KEY("needs")) {
                if (fm_needs(p, t, v, vn))
                    return -1;
            } else if (KEY("fonts")) {
                if (vn)
                    return perr(p, v, "fonts: takes indented 'role: path' lines below it");
                in_fonts = 1;
            } else {
                return perr(p, k,
                            "unknown front-matter key '%.*s'; expected preset, title, "
                            "subtitle, author, subject, keywords, description, numbering, "
                            "page_numbers, show_title, needs, formats or fonts",
                            (int)kl, k);
            }
        }
#undef KEY
        ls = le < end ? le + 1 : end;
        line++;
    }
    p->line = 1;
    p->line_start = s;
    return perr(p, s, "front matter opened with '---' is never closed: expected a '---' line");
}

/* ====================================================================== */

static void tpl_destroy(lexp_template *t)
{
    lexp__arena_free(&t->arena);
    free(t->name);
    free(t->src);
    pthread_mutex_destroy(&t->refs_lock);
    free(t);
}

void lexp_template_free(lexp_template *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->refs_lock);
    int left = --t->refs;
    pthread_mutex_unlock(&t->refs_lock);
    if (left <= 0)
        tpl_destroy(t);
}

void lexp__template_ref(lexp_template *t);

void lexp__template_ref(lexp_template *t)
{
    pthread_mutex_lock(&t->refs_lock);
    t->refs++;
    pthread_mutex_unlock(&t->refs_lock);
}

lexp_template *lexp__template_host(const char *name)
{
    lexp_template *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    lexp__arena_init(&t->arena);
    pthread_mutex_init(&t->refs_lock, NULL);
    t->refs = 1;
    t->numbering = 1;
    t->page_numbers = 1;
    t->show_title = -1;
    t->name = strdup(name ? name : "<template>");
    t->src = strdup("");
    if (!t->name || !t->src) {
        tpl_destroy(t);
        return NULL;
    }
    return t;
}

int lexp__tag_parse(lexp_template *host, const char *text, size_t off, size_t n, int is_stmt,
                    const char *file, int line, lexp_tag *out, lexp_error *err)
{
    P p = {0};
    p.t = host;
    p.A = &host->arena;
    p.file = file ? file : host->name;
    p.err = err;
    p.line = line;
    p.line_start = text;
    p.jinja = 1; /* tags of office templates are docxtpl's Jinja */
    memset(out, 0, sizeof *out);
    const char *s = text + off;
    if (!is_stmt) {
        out->kind = TAG_EXPR;
        out->expr = lexp__x_parse_expr_span(&p, s, n);
        return out->expr ? 0 : (err && err->code ? err->code : LEXP_ESYNTAX);
    }
    X x;
    char b[64];
    if (lexp__x_xinit(&x, &p, s, n))
        return err->code;
    static const struct {
        const char *word;
        lexp_tagkind kind;
    } words[] = {{"for", TAG_FOR},       {"if", TAG_IF},       {"elif", TAG_ELIF},
                 {"else", TAG_ELSE},     {"endfor", TAG_ENDFOR}, {"endif", TAG_ENDIF},
                 {"set", TAG_SET}};
    int k = -1;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (lexp__x_is_kw(&x, words[i].word))
            k = (int)i;
    if (k < 0) {
        /* Jinja statements lexport has not: say what to write instead */
        static const char *const instead[][2] = {
            {"macro", "repeat the text, or loop over a list with {% for %}"},
            {"call", "repeat the text, or loop over a list with {% for %}"},
            {"with", "use {% set name = value %}; it lasts to the end of the part or loop"},
            {"filter", "apply the filter to each value: {{ x | upper }}"},
            {"include", "office templates cannot include files; copy the text in"},
            {"import", "office templates cannot import files"},
            {"from", "office templates cannot import files"},
            {"extends", "office templates cannot extend other templates"},
            {"block", "office templates have no blocks to override"},
            {"raw", "write literal braces as {_{ }_} and {_% %_}"},
            {"break", "loop over the items you want: xs | selectattr(…) or xs | batch(n)"},
            {"continue", "put an {% if %} around the loop's body, or loop over "
                         "xs | selectattr(…) / rejectattr(…)"},
            {"do", "use {% set name = value %}"},
            {"autoescape", "text is always written as text in Word and Excel; remove the tag"},
            {"trans", "write the text itself"}};
        for (size_t i = 0; x.cur.type == K_IDENT && i < sizeof instead / sizeof *instead; i++) {
            size_t l = strlen(instead[i][0]);
            const char *w = x.cur.s;
            size_t wn = x.cur.n;
            if (wn > 3 && memcmp(w, "end", 3) == 0) { /* endmacro, endwith … */
                w += 3;
                wn -= 3;
            }
            if (wn == l && memcmp(w, instead[i][0], l) == 0) {
                perr(&p, x.cur.s, "'{%% %.*s %%}' is not supported in office templates: %s",
                     (int)x.cur.n, x.cur.s, instead[i][1]);
                return LEXP_ESYNTAX;
            }
        }
        perr(&p, x.cur.s, "expected a statement (for, if, elif, else, endfor, endif, set), "
                          "found %s",
             lexp__x_tok_desc(&x, b, sizeof b));
        return LEXP_ESYNTAX;
    }
    out->kind = words[k].kind;
    if (lexp__x_lex(&x))
        return LEXP_ESYNTAX;
    switch (out->kind) {
    case TAG_FOR:
        if (loop_head(&p, &x, &out->name, &out->nlen, &out->name2, &out->n2len, &out->expr))
            return LEXP_ESYNTAX;
        break;
    case TAG_SET:
        if (x.cur.type != K_IDENT) {
            perr(&p, x.cur.s, "expected a variable name, found %s", lexp__x_tok_desc(&x, b, sizeof b));
            return LEXP_ESYNTAX;
        }
        out->name = x.cur.s;
        out->nlen = (uint32_t)x.cur.n;
        if (lexp__x_lex(&x))
            return LEXP_ESYNTAX;
        if (!lexp__x_is_op(&x, "=")) {
            perr(&p, x.cur.s, "expected '=', found %s", lexp__x_tok_desc(&x, b, sizeof b));
            return LEXP_ESYNTAX;
        }
        if (lexp__x_lex(&x))
            return LEXP_ESYNTAX;
        /* fall through */
    case TAG_IF:
    case TAG_ELIF:
        if (!(out->expr = lexp__x_parse_expr(&x)))
            return err && err->code ? err->code : LEXP_ESYNTAX;
        break;
    default: break;
    }
    if (x.cur.type != K_EOF) {
        perr(&p, x.cur.s, "expected the end of the tag, found %s", lexp__x_tok_desc(&x, b, sizeof b));
        return LEXP_ESYNTAX;
    }
    return 0;
}

/* Parse with an optional directory for includes. */
int lexp__template_parse(lexp_template **out, const char *src, size_t len, const char *name,
                         const char *dir, lexp_error *err);

int lexp__template_parse(lexp_template **out, const char *src, size_t len, const char *name,
                         const char *dir, lexp_error *err)
{
    *out = NULL;
    const char *shown = name ? name : "<template>";
    if (len > LEXP_TEMPLATE_MAX_BYTES)
        return lexp__error_set(err, LEXP_ELIMIT, shown, 0, 0, NULL,
                               "template is %.1f MB; the limit is %u MB",
                               (double)len / 1048576.0, LEXP_TEMPLATE_MAX_BYTES >> 20);
    size_t bad;
    int line, col;
    if (!lexp__utf8_valid(src, len, &bad)) {
        lexp__line_col(src, bad, &line, &col);
        lexp__error_set(err, LEXP_ESYNTAX, shown, line, col, NULL,
                        "invalid UTF-8 (byte 0x%02X); save the template as UTF-8",
                        (unsigned char)src[bad]);
        if (err)
            err->offset = bad;
        return LEXP_ESYNTAX;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') {
            lexp__line_col(src, i, &line, &col);
            return lexp__error_set(err, LEXP_ESYNTAX, shown, line, col, NULL,
                                   "control character 0x%02X in the template; is it a text "
                                   "file?",
                                   c);
        }
    }
    lexp_template *t = calloc(1, sizeof *t);
    if (!t)
        return lexp__error_oom(err);
    lexp__arena_init(&t->arena);
    pthread_mutex_init(&t->refs_lock, NULL);
    t->refs = 1;
    t->numbering = 1;
    t->page_numbers = 1;
    t->show_title = -1;
    t->name = strdup(shown);
    t->src = malloc(len + 1);
    if (!t->name || !t->src) {
        tpl_destroy(t);
        return lexp__error_oom(err);
    }
    memcpy(t->src, src, len);
    t->src[len] = 0;
    char *s = t->src;
    /* UTF-8 byte order mark */
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        len -= 3;
    }
    P p = {0};
    p.t = t;
    p.A = &t->arena;
    p.file = t->name;
    p.dir = dir;
    p.err = err;
    p.line_start = s;
    p.line = 1;
    incl me = {t->name, NULL};
    p.inc = &me;
    icache cache = {NULL, 0, 0, len, 0};
    p.cache = &cache;
    size_t consumed;
    int body_line;
    int rc = front_matter(&p, s, len, &consumed, &body_line);
    if (rc == 0) {
        stack *st = malloc(sizeof *st);
        if (!st) {
            rc = poom(&p);
        } else {
            st->n = 0;
            push(&p, st, F_ROOT, NULL, &t->body, NULL);
            rc = parse_body(&p, st, s + consumed, len - consumed, body_line);
            if (rc == 0 && st->n > 1) {
                frame *f = &st->v[st->n - 1];
                lexp__error_set(err, LEXP_ESYNTAX, p.file, f->line, f->col, NULL,
                                "%s opened here is never closed: expected %s", frame_name(f),
                                frame_end(f));
                rc = -1;
            }
            free(st);
        }
    }
    t->parse_steps = cache.lines;
    for (size_t i = 0; i < cache.n; i++)
        free(cache.v[i].name);
    free(cache.v);
    if (rc) {
        tpl_destroy(t);
        if (err && err->code == 0)
            lexp__error_set(err, LEXP_ESYNTAX, shown, 0, 0, NULL, "template error");
        return err ? err->code : LEXP_ESYNTAX;
    }
    *out = t;
    return 0;
}

int lexp_template_parse(lexp_template **out, const char *src, size_t len, const char *name,
                        lexp_error *err)
{
    lexp_error_clear(err);
    if (!out || (!src && len))
        return lexp__error_set(err, LEXP_EINVAL, name, 0, 0, NULL, "invalid argument");
    char *dir = name ? lexp__dir_of(name) : NULL;
    if (name && !dir)
        return lexp__error_oom(err);
    int rc = lexp__template_parse(out, src ? src : "", len, name, dir, err);
    free(dir);
    return rc;
}

size_t lexp_builtin_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < lexp__builtin_total; i++)
        if (lexp__builtins[i].name[0] != '_')
            n++;
    return n;
}

static const struct lexp__builtin *builtin_at(size_t i)
{
    for (size_t k = 0; k < lexp__builtin_total; k++) {
        if (lexp__builtins[k].name[0] == '_')
            continue;
        if (i-- == 0)
            return &lexp__builtins[k];
    }
    return NULL;
}

const char *lexp_builtin_name(size_t i)
{
    const struct lexp__builtin *b = builtin_at(i);
    return b ? b->name : NULL;
}

const char *lexp_builtin_description(size_t i)
{
    const struct lexp__builtin *b = builtin_at(i);
    return b ? b->description : NULL;
}
