/*
 * Tags in office text, their statement structure, and running it.
 *
 * A paragraph's (or cell's) text is scanned once: tags are found where
 * their braces are, whatever runs the characters came from. Word turns
 * typed quotes into “curly” ones and Chinese input methods type ideographic
 * spaces; inside a tag both are read as their ASCII forms. The scan makes a
 * normalised copy of the text (same characters, so columns stay right) that
 * the expression parser reads; the literal text around tags is kept as
 * ranges of the original.
 *
 * Statements (for/if/set) become a tree over "items": pieces of text and
 * values in a paragraph, or paragraphs, tables and rows in a list. The same
 * tree builder and runner serve inline statements, {%p %} paragraphs and
 * {%tr %} rows in Word and Excel, with the semantics of .lxt templates
 * (expand.c): loop.index…, for k, v in object, {% else %} of for, a set in
 * a loop lasts one iteration.
 */
#include <stdlib.h>
#include <string.h>

#include "fill.h"

int fx_maybe_tags(const char *s, size_t n)
{
    if (memchr(s, '{', n) || memchr(s, '}', n))
        return 1;
    for (const char *p = s; (p = memchr(p, '\xEF', (size_t)(s + n - p))) && p + 2 < s + n; p++)
        if ((unsigned char)p[1] == 0xBD && (unsigned char)p[2] == 0x9B) /* ｛, to warn about */
            return 1;
    return 0;
}

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

/* Code points of the quote and space characters read as ASCII in tags. */
#define LDQ 0x201C
#define RDQ 0x201D
#define LSQ 0x2018
#define RSQ 0x2019

typedef struct lits {
    fx_lit *v;
    int n, cap;
} lits;

static int lit_push(fx_ctx *c, lits *l, size_t start, size_t end)
{
    if (end <= start)
        return 0;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        fx_lit *v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return fx_oom(c);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (fx_lit){start, end - start};
    return 0;
}

typedef struct tags {
    fx_tag *v;
    size_t *inner, *inner_len; /* in the normalised text */
    int n, cap;
} tags;

static int tag_push(fx_ctx *c, tags *t)
{
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 8;
        fx_tag *v = realloc(t->v, (size_t)cap * sizeof *v);
        size_t *in = v ? realloc(t->inner, (size_t)cap * sizeof *in) : NULL;
        size_t *il = in ? realloc(t->inner_len, (size_t)cap * sizeof *il) : NULL;
        if (v)
            t->v = v;
        if (in)
            t->inner = in;
        if (!il)
            return fx_oom(c);
        t->inner_len = il;
        t->cap = cap;
    }
    memset(&t->v[t->n], 0, sizeof t->v[0]);
    t->n++;
    return 0;
}

static const char *scope_open(int scope)
{
    return scope == 'p' ? "{%p" : scope == 't' ? "{%tr" : scope == 'c' ? "{%tc" : "{%";
}

/* Chinese input methods type full-width braces: ｛｛ looks like a tag but is
 * text. Say so rather than leave the user wondering. */
static void warn_fullwidth(fx_ctx *c, const char *text, size_t n, int line)
{
    static const char FW_OPEN[] = "\xEF\xBD\x9B";   /* ｛ */
    static const char FW_PCT[] = "\xEF\xBC\x85";    /* ％ */
    for (size_t i = 0; i + 3 < n; i++) {
        if (memcmp(text + i, FW_OPEN, 3) != 0)
            continue;
        const char *nx = text + i + 3;
        size_t left = n - i - 3;
        if (*nx == '{' || *nx == '%' ||
            (left >= 3 && (memcmp(nx, FW_OPEN, 3) == 0 || memcmp(nx, FW_PCT, 3) == 0))) {
            lexp__warn(c->opt, c->name,
                       "%s: %s %d: full-width braces (｛｛ or ｛％) are text, not a tag; type "
                       "{{ }} or {%% %%} with the input method in English mode",
                       c->part ? c->part : "", c->sheet ? "row" : "paragraph", line);
            return;
        }
    }
}

int fx_scan_text(fx_ctx *c, const char *text, size_t n, int line, const char *what,
                 fx_scan *out)
{
    memset(out, 0, sizeof *out);
    warn_fullwidth(c, text, n, line);
    char *norm = lexp__arena_alloc(&c->A, n + 1);
    if (!norm)
        return fx_oom(c);
    lits L = {0};
    tags T = {0};
    int rc = 0;
    size_t i = 0, j = 0;      /* original, normalised */
    size_t lit_start = 0;
    int col = 1;              /* column of text[i] */
    int escaped = 0;          /* a \{ was seen: a later '}}' may be literal */
    while (i < n && rc == 0) {
        char ch = text[i];
        if (ch == '\\' && i + 1 < n && text[i + 1] == '{') {
            /* \{ is a literal brace: drop the backslash from the output */
            rc = lit_push(c, &L, lit_start, i);
            lit_start = i + 1;
            norm[j++] = text[i++];
            norm[j++] = text[i++];
            col += 2;
            escaped = 1;
            continue;
        }
        if (((ch == '{' && i + 2 < n && (text[i + 2] == '{' || text[i + 2] == '%')) ||
             ((ch == '}' || ch == '%') && i + 2 < n && text[i + 2] == '}')) &&
            text[i + 1] == '_') {
            /* docxtpl's literal braces: {_{ }_} {_% %_} print as {{ }} {% %} */
            rc = lit_push(c, &L, lit_start, i + 1);
            lit_start = i + 2;
            norm[j++] = text[i++];
            norm[j++] = text[i++];
            col += 2;
            escaped = 1;
            continue;
        }
        if (ch == '{' && i + 1 < n && (text[i + 1] == '{' || text[i + 1] == '%' ||
                                       text[i + 1] == '#')) {
            char kind = text[i + 1];
            char closer = kind == '{' ? '}' : kind;
            size_t open = i;
            int open_col = col;
            norm[j++] = text[i++];
            norm[j++] = text[i++];
            col += 2;
            int trim_prev = 0;
            if (kind != '#' && i < n && text[i] == '-') {
                trim_prev = 1;
                norm[j++] = text[i++];
                col++;
            }
            size_t inner_j = j;
            char quote = 0; /* '"', '\'', or 'D'/'S' for curly quotes */
            size_t close_j = 0;
            int found = 0;
            while (i < n) {
                uint32_t cp = (unsigned char)text[i];
                size_t l = 1;
                if (cp >= 0x80) {
                    l = lexp__utf8_decode(text + i, n - i, &cp);
                    if (!l) {
                        l = 1;
                        cp = 0xFFFD;
                    }
                }
                if (kind == '#') {
                    if (text[i] == '#' && i + 1 < n && text[i + 1] == '}') {
                        found = 1;
                        close_j = j;
                        break;
                    }
                    memcpy(norm + j, text + i, l);
                    j += l;
                    i += l;
                    col++;
                    continue;
                }
                if (quote) {
                    int ends = (quote == '"' && cp == '"') || (quote == '\'' && cp == '\'') ||
                               (quote == 'D' && (cp == LDQ || cp == RDQ || cp == '"')) ||
                               (quote == 'S' && (cp == LSQ || cp == RSQ || cp == '\''));
                    if ((quote == '"' || quote == '\'') && cp == '\\' && i + 1 < n) {
                        norm[j++] = text[i++];
                        col++;
                        uint32_t cp2;
                        size_t l2 = lexp__utf8_decode(text + i, n - i, &cp2);
                        if (!l2)
                            l2 = 1;
                        memcpy(norm + j, text + i, l2);
                        j += l2;
                        i += l2;
                        col++;
                        continue;
                    }
                    if (ends) {
                        norm[j++] = (quote == 'D' || quote == '"') ? '"' : '\'';
                        quote = 0;
                    } else {
                        memcpy(norm + j, text + i, l);
                        j += l;
                    }
                    i += l;
                    col++;
                    continue;
                }
                if (text[i] == closer && i + 1 < n && text[i + 1] == '}') {
                    found = 1;
                    close_j = j;
                    break;
                }
                if (cp == '"' || cp == '\'') {
                    quote = (char)cp;
                    norm[j++] = (char)cp;
                } else if (cp == LDQ || cp == RDQ) {
                    quote = 'D';
                    norm[j++] = '"';
                } else if (cp == LSQ || cp == RSQ) {
                    quote = 'S';
                    norm[j++] = '\'';
                } else if (cp == 0x00A0 || cp == 0x3000 || cp == '\n' || cp == '\r') {
                    norm[j++] = ' '; /* no-break, ideographic space; a soft line break */
                } else {
                    memcpy(norm + j, text + i, l);
                    j += l;
                }
                i += l;
                col++;
            }
            if (!found) {
                const char *o = kind == '{' ? "{{" : kind == '%' ? "{%" : "{#";
                const char *cl = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
                rc = fx_fail(c, LEXP_ESYNTAX, line, open_col,
                             "'%s' is not closed in %s: expected '%s' (a tag opens and closes "
                             "in one paragraph or cell)",
                             o, what, cl);
                break;
            }
            size_t inner_end_j = close_j;
            int trim_after = 0;
            if (kind != '#' && inner_end_j > inner_j && norm[inner_end_j - 1] == '-') {
                trim_after = 1;
                inner_end_j--;
            }
            /* the closer */
            norm[j++] = text[i++];
            norm[j++] = text[i++];
            col += 2;
            /* literal text before the tag */
            size_t le = open;
            if (trim_prev)
                while (le > lit_start && is_space(text[le - 1]) && !(c->stops && c->stops[le]))
                    le--;
            if ((rc = lit_push(c, &L, lit_start, le)))
                break;
            lit_start = i;
            if (trim_after)
                while (lit_start < n && is_space(text[lit_start]) &&
                       !(c->stops && c->stops[lit_start]))
                    lit_start++;
            if ((rc = tag_push(c, &T)))
                break;
            fx_tag *tg = &T.v[T.n - 1];
            tg->start = open;
            tg->end = i;
            tg->line = line;
            tg->col = open_col;
            tg->comment = kind == '#';
            tg->trim_l = (uint8_t)trim_prev;
            tg->trim_r = (uint8_t)trim_after;
            tg->scope = kind == '%' ? 0 : -1; /* -1: an expression */
            T.inner[T.n - 1] = inner_j;
            T.inner_len[T.n - 1] = inner_end_j - inner_j;
            /* skip to the end of trimmed whitespace, keeping columns right */
            while (i < lit_start) {
                norm[j++] = text[i++];
                col++;
            }
            continue;
        }
        if ((ch == '%' || ch == '}') && i + 1 < n && text[i + 1] == '}' &&
            (ch == '%' || !escaped)) {
            rc = fx_fail(c, LEXP_ESYNTAX, line, col,
                         "'%c}' without an opening '{%c' before it in %s", ch,
                         ch == '%' ? '%' : '{', what);
            break;
        }
        uint32_t cp;
        size_t l = (unsigned char)ch < 0x80 ? 1 : lexp__utf8_decode(text + i, n - i, &cp);
        if (!l)
            l = 1;
        memcpy(norm + j, text + i, l);
        j += l;
        i += l;
        col++;
    }
    if (rc == 0)
        rc = lit_push(c, &L, lit_start, n);
    norm[j] = 0;
    /* parse the tags (their names point into `norm`, which lives in c->A) */
    for (int k = 0; k < T.n && rc == 0; k++) {
        fx_tag *tg = &T.v[k];
        if (tg->comment)
            continue;
        size_t off = T.inner[k], len = T.inner_len[k];
        int is_stmt = tg->scope == 0;
        if (is_stmt) {
            /* {%p …%} and {%tr …%}: the form, then the statement */
            size_t a = off;
            while (a < off + len && (norm[a] == ' ' || norm[a] == '\t'))
                a++;
            size_t w = a;
            while (w < off + len && norm[w] >= 'a' && norm[w] <= 'z')
                w++;
            int sp = w < off + len && (norm[w] == ' ' || norm[w] == '\t');
            int end = w == off + len; /* {% vm %}: the word is all */
            if (sp && w - a == 1 && norm[a] == 'p') {
                tg->scope = 'p';
            } else if (sp && w - a == 2 && memcmp(norm + a, "tr", 2) == 0) {
                tg->scope = 't';
            } else if (sp && w - a == 2 && memcmp(norm + a, "tc", 2) == 0) {
                tg->scope = 'c';
            } else if (sp && w - a == 1 && norm[a] == 'r') {
                /* docxtpl's {%r %}: a statement in a run of its own; runs
                 * are not split here, so it is an inline statement */
                len -= w - off;
                off = w;
            } else if ((sp || end) && ((w - a == 2 && (memcmp(norm + a, "vm", 2) == 0 ||
                                                       memcmp(norm + a, "hm", 2) == 0)))) {
                size_t r = w;
                while (r < off + len && (norm[r] == ' ' || norm[r] == '\t'))
                    r++;
                if (r < off + len) {
                    rc = fx_fail(c, LEXP_ESYNTAX, line, tg->col,
                                 "'{%% %.2s %%}' takes nothing after it", norm + a);
                    break;
                }
                tg->cell = norm[a] == 'v' ? 'v' : 'h';
                continue;
            } else if (sp && ((w - a == 7 && memcmp(norm + a, "colspan", 7) == 0) ||
                              (w - a == 6 && memcmp(norm + a, "cellbg", 6) == 0))) {
                tg->cell = norm[a] == 'c' && norm[a + 1] == 'o' ? 's' : 'b';
                len -= w - off;
                off = w;
                is_stmt = 0; /* an expression: the span or the colour */
            }
            if (tg->scope) {
                len -= w - off;
                off = w;
            }
        } else {
            tg->scope = 0;
            /* docxtpl's {{r x}} (rich text) and {{p x}} (a paragraph) */
            if (len >= 2 && (norm[off] == 'r' || norm[off] == 'p') &&
                (norm[off + 1] == ' ' || norm[off + 1] == '\t')) {
                tg->rich = norm[off];
                off += 2;
                len -= 2;
            }
        }
        if ((rc = lexp__tag_parse(c->host, norm, off, len, is_stmt, c->name, line, &tg->t,
                                  c->err))) {
            fx_locate(c);
            break;
        }
        if (!is_stmt && !tg->cell)
            tg->t.kind = TAG_EXPR;
    }
    if (rc == 0) {
        out->tags = T.n ? lexp__arena_alloc(&c->A, (size_t)T.n * sizeof *T.v) : NULL;
        out->lits = L.n ? lexp__arena_alloc(&c->A, (size_t)L.n * sizeof *L.v) : NULL;
        if ((T.n && !out->tags) || (L.n && !out->lits)) {
            rc = fx_oom(c);
        } else {
            if (T.n)
                memcpy(out->tags, T.v, (size_t)T.n * sizeof *T.v);
            if (L.n)
                memcpy(out->lits, L.v, (size_t)L.n * sizeof *L.v);
            out->ntags = T.n;
            out->nlits = L.n;
            out->escapes = escaped;
        }
    }
    free(L.v);
    free(T.v);
    free(T.inner);
    free(T.inner_len);
    return rc;
}

/* ---- statement structure ------------------------------------------------- */

void fx_build_init(fx_builder *b, fx_ctx *c, const char *where, int *next_id)
{
    memset(b, 0, sizeof *b);
    b->c = c;
    b->where = where;
    b->tail = &b->root;
    b->next_id = next_id;
}

fx_op *fx_build_item(fx_builder *b, fx_opkind kind)
{
    fx_op *op = lexp__arena_zalloc(&b->c->A, sizeof *op);
    if (!op) {
        fx_oom(b->c);
        return NULL;
    }
    op->kind = (uint8_t)kind;
    *b->tail = op;
    b->tail = &op->next;
    return op;
}

void fx_build_add(fx_builder *b, fx_op *op)
{
    op->next = NULL;
    *b->tail = op;
    b->tail = &op->next;
}

fx_op *fx_build_loop(const fx_builder *b)
{
    for (int i = b->depth; i-- > 0;)
        if (b->st[i].op->kind == OP_FOR && !b->st[i].in_else)
            return b->st[i].op;
    return NULL;
}

static const char *tag_word(int kind)
{
    switch (kind) {
    case TAG_FOR: return "for";
    case TAG_IF: return "if";
    case TAG_ELIF: return "elif";
    case TAG_ELSE: return "else";
    case TAG_ENDFOR: return "endfor";
    case TAG_ENDIF: return "endif";
    case TAG_SET: return "set";
    default: return "?";
    }
}

/* Why a block must open and close in one list, for the messages. */
static const char *same_list(const fx_builder *b, int scope)
{
    if (b->word && scope == 0)
        return "";
    switch (scope) {
    case 'p':
        return " (a {%p %} block opens and closes among the paragraphs of one body, table "
               "cell, header or footer)";
    case 't': return " (a {%tr %} block opens and closes among the rows of one table)";
    case 'c': return " (a {%tc %} block opens and closes among the cells of one table row)";
    default:
        return " (inline statements open and close in one paragraph or cell; {%p %} repeats "
               "paragraphs and {%tr %} table rows)";
    }
}

static int misplaced(fx_builder *b, const fx_tag *t, const char *fmt, ...) LEXP_PRINTF(3, 4);

static int misplaced(fx_builder *b, const fx_tag *t, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fx_fail(b->c, LEXP_ESYNTAX, t->line, t->col, "'%s %s %%}' %s",
                   scope_open(t->scope), tag_word(t->t.kind), msg);
}

static int push(fx_builder *b, fx_op *op, const fx_tag *t)
{
    if (b->depth == FX_MAX_NEST)
        return fx_fail(b->c, LEXP_ELIMIT, t->line, t->col,
                       "statements nest more than %d deep", FX_MAX_NEST);
    fx_frame *f = &b->st[b->depth++];
    memset(f, 0, sizeof *f);
    f->op = op;
    f->tail = b->tail; /* op->next: where the list continues */
    return 0;
}

int fx_build_tag(fx_builder *b, const fx_tag *t, fx_op **loop)
{
    fx_frame *top = b->depth ? &b->st[b->depth - 1] : NULL;
    fx_op *op;
    if (loop)
        *loop = fx_build_loop(b);
    switch (t->t.kind) {
    case TAG_FOR:
        if (!(op = fx_build_item(b, OP_FOR)))
            return -1;
        op->tag = t;
        op->id = ++*b->next_id;
        op->up = fx_build_loop(b);
        op->depth = op->up ? op->up->depth + 1 : 0;
        if (push(b, op, t))
            return -1;
        b->tail = &op->body;
        return 0;
    case TAG_IF: {
        if (!(op = fx_build_item(b, OP_IF)))
            return -1;
        op->tag = t;
        fx_branch *br = lexp__arena_zalloc(&b->c->A, sizeof *br);
        if (!br)
            return fx_oom(b->c);
        br->cond = t->t.expr;
        op->br = br;
        if (push(b, op, t))
            return -1;
        b->st[b->depth - 1].last = br;
        b->tail = &br->body;
        return 0;
    }
    case TAG_ELIF:
    case TAG_ELSE:
        if (!top)
            return misplaced(b, t, "without an open '%s if %%}' in %s%s", scope_open(t->scope),
                             b->where, same_list(b, t->scope));
        if (top->op->kind == OP_FOR) {
            if (t->t.kind == TAG_ELIF)
                return misplaced(b, t, "inside a for loop: elif belongs to if");
            if (top->in_else)
                return misplaced(b, t, "appears twice in one for loop");
            top->in_else = 1;
            b->tail = &top->op->else_body;
            if (loop)
                *loop = fx_build_loop(b);
            return 0;
        }
        if (top->in_else)
            return misplaced(b, t, "after the else of the '%s if %%}' at %d:%d",
                             scope_open(top->op->tag->scope), top->op->tag->line,
                             top->op->tag->col);
        {
            fx_branch *br = lexp__arena_zalloc(&b->c->A, sizeof *br);
            if (!br)
                return fx_oom(b->c);
            br->cond = t->t.kind == TAG_ELIF ? t->t.expr : NULL;
            top->last->next = br;
            top->last = br;
            top->in_else = t->t.kind == TAG_ELSE;
            b->tail = &br->body;
        }
        return 0;
    case TAG_ENDFOR:
    case TAG_ENDIF: {
        int want = t->t.kind == TAG_ENDFOR ? OP_FOR : OP_IF;
        if (!top)
            return misplaced(b, t, "without an open '%s %s %%}' in %s%s", scope_open(t->scope),
                             want == OP_FOR ? "for" : "if", b->where, same_list(b, t->scope));
        if (top->op->kind != want)
            return misplaced(b, t, "found where '%s %s %%}' was expected, to close the '%s %s "
                                   "%%}' at %d:%d",
                             scope_open(top->op->tag->scope),
                             top->op->kind == OP_FOR ? "endfor" : "endif",
                             scope_open(top->op->tag->scope),
                             top->op->kind == OP_FOR ? "for" : "if", top->op->tag->line,
                             top->op->tag->col);
        b->tail = top->tail;
        b->depth--;
        if (loop)
            *loop = fx_build_loop(b);
        return 0;
    }
    case TAG_SET:
        if (!(op = fx_build_item(b, OP_SET)))
            return -1;
        op->tag = t;
        return 0;
    default:
        return misplaced(b, t, "is not a statement");
    }
}

int fx_build_end(fx_builder *b, fx_op **out)
{
    if (b->depth) {
        const fx_tag *t = b->st[b->depth - 1].op->tag;
        int is_for = b->st[b->depth - 1].op->kind == OP_FOR;
        return fx_fail(b->c, LEXP_ESYNTAX, t->line, t->col,
                       "'%s %s %%}' is not closed: expected '%s %s %%}' before the end of %s%s",
                       scope_open(t->scope), is_for ? "for" : "if", scope_open(t->scope),
                       is_for ? "endfor" : "endif", b->where, same_list(b, t->scope));
    }
    *out = b->root;
    return 0;
}

int fx_has_statements(const fx_op *list)
{
    for (; list; list = list->next)
        if (list->kind == OP_FOR || list->kind == OP_IF || list->kind == OP_SET)
            return 1;
    return 0;
}

/* ---- running ----------------------------------------------------------------- */

const lexp_value *fx_eval(fx_ctx *c, const fx_op *op)
{
    return lexp__eval_expr(&c->ev, op->tag->t.expr);
}

int fx_value_text(fx_ctx *c, const fx_op *op, const lexp_value *v, lexp__sbuf *b)
{
    if (v->type == LV_STR) {
        lexp__sbuf_put(b, v->u.str, v->len);
        return b->oom ? fx_oom(c) : 0;
    }
    if (lexp__value_text(&c->ev, op->tag->t.expr, b, v))
        return -1;
    return b->oom ? fx_oom(c) : 0;
}

static int run_for(fx_ctx *c, const fx_op *op, const fx_runner *r)
{
    lexp_eval *e = &c->ev;
    const lexp_tag *t = &op->tag->t;
    const lexp_value *it = lexp__eval_expr(e, t->expr);
    uint32_t len;
    if (!it || lexp__eval_loop_len(e, t->expr, it, t->name2 != NULL, &len))
        return -1;
    if (len == 0)
        return op->else_body ? fx_run(c, op->else_body, r) : 0;
    lexp_loopvars lv;
    if (lexp__eval_loop_begin(e, &lv, it, len, t->name, t->nlen, t->name2, t->n2len))
        return -1;
    int rc = 0;
    for (uint32_t i = 0; i < len && rc == 0; i++) {
        if (lexp__eval_loop_step(e, &lv, i))
            return -1;
        if (r->iter && (rc = r->iter(c, op, i, len, r->p)))
            break;
        rc = fx_run(c, op->body, r);
    }
    if (rc == 0 && r->iter)
        rc = r->iter(c, op, -1, len, r->p);
    e->nbinds = lv.mark;
    return rc ? -1 : 0;
}

static int run_list(fx_ctx *c, const fx_op *op, const fx_runner *r);

fx_op *fx_lca(fx_op *a, fx_op *b)
{
    while (a && b && a != b) {
        if (a->depth > b->depth)
            a = a->up;
        else if (b->depth > a->depth)
            b = b->up;
        else {
            a = a->up;
            b = b->up;
        }
    }
    return a == b ? a : NULL;
}

int fx_run(fx_ctx *c, const fx_op *op, const fx_runner *r)
{
    if (run_list(c, op, r) == 0)
        return 0;
    fx_locate(c); /* while the part and cell are still known */
    return -1;
}

static int run_list(fx_ctx *c, const fx_op *op, const fx_runner *r)
{
    for (; op; op = op->next) {
        switch (op->kind) {
        case OP_SET: {
            const lexp_tag *t = &op->tag->t;
            const lexp_value *v = lexp__eval_expr(&c->ev, t->expr);
            if (!v || lexp__eval_bind(&c->ev, t->name, t->nlen, v))
                return -1;
            break;
        }
        case OP_IF:
            for (const fx_branch *b = op->br; b; b = b->next) {
                if (b->cond) {
                    const lexp_value *v = lexp__eval_expr(&c->ev, b->cond);
                    if (!v)
                        return -1;
                    if (!lexp__v_truthy(v))
                        continue;
                }
                if (fx_run(c, b->body, r))
                    return -1;
                break;
            }
            break;
        case OP_FOR:
            if (run_for(c, op, r))
                return -1;
            break;
        default:
            if (r->leaf(c, op, r->p))
                return -1;
            break;
        }
    }
    return 0;
}
