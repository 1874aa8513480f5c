/*
 * The parsed template (.lxt): front matter plus a list of nodes.
 *
 * Markup is decided at parse time from the template's literal text: a line
 * that starts with "## " in the template is a heading, and a value that
 * starts with "## " is just text. So data can never create markup.
 *
 * Block level: a list of T_LINE (a content line with its markup kind) and
 * statements (T_FOR, T_IF, T_SET) whose bodies are again block lists.
 * Inline level (inside a line or a table cell): T_TEXT, T_EXPR, T_BOLD and
 * the same statements with inline bodies.
 */
#ifndef LEXP_AST_H
#define LEXP_AST_H

#include <pthread.h>
#include <stdint.h>

#include "../data/value.h"
#include "../doc/doc.h"

typedef struct lexp_expr lexp_expr;
typedef struct lexp_tnode lexp_tnode;
typedef struct lexp_filter_def lexp_filter_def;

typedef enum {
    EX_LIT,    /* literal */
    EX_VAR,    /* name */
    EX_ATTR,   /* a.name */
    EX_INDEX,  /* a[b] */
    EX_NEG,    /* -a */
    EX_NOT,    /* not a */
    EX_BIN,    /* a op b (op below) */
    EX_AND,    /* a and b */
    EX_OR,     /* a or b */
    EX_COND,   /* a if b else c */
    EX_FILTER, /* a | name(args) */
    EX_LIST,   /* [args]; op 1: a tuple (a, b) of an office template */
    EX_DICT,   /* {"k": v, …}: args alternate keys and values */
    EX_TEST,   /* a is [not] name */
    EX_LOOPIF, /* office templates' `for name[, c->name] in a if b`: the items b keeps */
    EX_SLICE   /* a[b:c] or a[b:c:args[0]], each bound optional (NULL), as Python's */
} lexp_exkind;

typedef enum {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_IDIV, OP_MOD, OP_CAT,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN,
    OP_POW /* office templates' a ** b */
} lexp_binop;

struct lexp_expr {
    uint8_t kind;
    uint8_t op;     /* lexp_binop; for EX_TEST: 1 when negated */
    uint16_t height; /* levels of the tree below and at this node (parse.c) */
    int line, col;
    const char *file;
    const char *name; /* EX_VAR, EX_ATTR, EX_FILTER, EX_TEST */
    uint32_t nlen;
    lexp_expr *a, *b, *c;
    lexp_expr **args; /* EX_FILTER arguments, EX_LIST items */
    int nargs;
    const lexp_value *lit;
    const lexp_filter_def *filter;
    uint32_t slot; /* EX_ATTR: index of its lookup hint in the evaluator */
};

typedef enum {
    T_TEXT,   /* inline literal text */
    T_EXPR,   /* inline {{ expr }} */
    T_BOLD,   /* inline ** toggle */
    T_LINE,   /* a content line */
    T_FOR,
    T_IF,
    T_SET,
    T_INCLUDE /* an included template: body, shared by every include of it in one context */
} lexp_tkind;

typedef enum {
    L_TEXT,      /* paragraph text */
    L_HEADING,   /* # … #### */
    L_ROW,       /* | a | b | */
    L_SEP,       /* |---|--:| */
    L_BLANK,     /* empty line: ends paragraphs, tables, lists */
    L_OPEN,      /* ::: name */
    L_CLOSE,     /* ::: */
    L_PAGEBREAK, /* \pagebreak */
    L_RULE,      /* --- */
    L_IMAGE,     /* ![caption](path) */
    L_BULLET,    /* - item */
    L_ORDERED,   /* 1. item */
    L_FIELD,     /* key: value inside masthead/signature/distribution */
    L_CAPTION    /* Table: caption, right after a table's rows */
} lexp_lkind;

typedef enum {
    B_MASTHEAD, B_SIGNATURE, B_DISTRIBUTION, B_CHART, B_CENTER, B_RIGHT, B_LEFT,
    B_NOINDENT, B_TITLE, B_ONLY
} lexp_bkind;

typedef struct lexp_attr {
    const char *name;
    uint32_t nlen;
    lexp_expr *value;
} lexp_attr;

typedef struct lexp_line {
    uint8_t kind;        /* lexp_lkind */
    uint8_t level;       /* heading level 1–4 */
    uint8_t unnumbered;  /* heading written with {-} */
    uint8_t total;       /* row marked {.total} */
    uint8_t block;       /* lexp_bkind for L_OPEN */
    uint8_t chart_kind;  /* lexp_chartkind */
    lexp_tnode *content; /* inline content (text, heading, item, field, caption) */
    lexp_tnode *path;    /* L_IMAGE: inline content of the path */
    lexp_tnode **cells;  /* L_ROW */
    int *cell_cols;      /* L_ROW: column where each cell's content starts */
    int ncells;
    lexp_align *aligns;  /* L_SEP */
    const char *key;     /* L_FIELD: canonical field name */
    lexp_attr *attrs;    /* L_OPEN chart / L_IMAGE: key=expr */
    int nattrs;
    unsigned formats;    /* L_OPEN only: the formats, bits (1u << LEXP_FORMAT_*) */
} lexp_line;

typedef struct lexp_branch {
    lexp_expr *cond; /* NULL for else */
    lexp_tnode *body;
} lexp_branch;

struct lexp_tnode {
    uint8_t kind;
    int line, col;
    const char *file;
    lexp_tnode *next;
    const char *text; /* T_TEXT */
    uint32_t len;
    int blank;        /* T_TEXT: only spaces and tabs (decided once, at parse time) */
    lexp_expr *expr;  /* T_EXPR, T_SET value, T_FOR iterable */
    const char *name, *name2; /* T_SET name; T_FOR names (name2 for k, v) */
    uint32_t nlen, n2len;
    lexp_tnode *body, *else_body; /* T_FOR */
    lexp_branch *branches;        /* T_IF */
    int nbranches;
    lexp_line *ln;                /* T_LINE */
};

/* Front matter entry whose value is inline content (may hold {{ }}). */
typedef struct lexp_fm_text {
    lexp_tnode *content;
    int line, col;
} lexp_fm_text;

struct lexp_template {
    lexp__arena arena;
    char *name;      /* file name or built-in name */
    char *src;       /* our copy of the source (nodes point into it) */
    int refs;        /* shared through the engine's cache */
    pthread_mutex_t refs_lock;
    /* front matter */
    int preset;      /* lexp_preset */
    int numbering;   /* 1 unless "numbering: false" */
    int page_numbers;
    int show_title;  /* -1: preset default */
    lexp_fm_text title, subtitle, author, subject, keywords;
    const char *description;
    const char *font_path[LEXP_ROLE_COUNT];
    int font_index[LEXP_ROLE_COUNT];
    /* needs: [period, community.name]: inputs without which rendering is an
     * error naming them (eval/needs.c) */
    const char **needs;
    int nneeds;
    int needs_line;
    unsigned formats; /* formats: pdf, docx — bits (1u << LEXP_FORMAT_*); 0: all */
    /* body */
    lexp_tnode *body;
    uint32_t nslots; /* EX_ATTR nodes, for the evaluator's lookup hints */
    uint64_t parse_steps; /* lines parsed, includes each time: a render's first steps */
};

/* ---- single tags, for templates that are not .lxt (office documents) ---- */

typedef enum {
    TAG_EXPR,   /* {{ expr }} */
    TAG_FOR,    /* for name[, name2] in expr */
    TAG_IF,     /* if expr */
    TAG_ELIF,   /* elif expr */
    TAG_ELSE,
    TAG_ENDFOR,
    TAG_ENDIF,
    TAG_SET     /* set name = expr */
} lexp_tagkind;

typedef struct lexp_tag {
    lexp_tagkind kind;
    lexp_expr *expr;
    const char *name, *name2;
    uint32_t nlen, n2len;
} lexp_tag;

/* An empty template that owns the parsed tags of an office document (its
 * arena and lookup slots). Free with lexp_template_free. */
lexp_template *lexp__template_host(const char *name);

/* Parse the inner text of one tag, text[off, off+n), of a {{ }} (is_stmt 0)
 * or {% %} (is_stmt 1) tag. `text` is the line (paragraph, cell) the tag
 * sits in: errors give `line` and the column within it. */
int lexp__tag_parse(lexp_template *host, const char *text, size_t off, size_t n, int is_stmt,
                    const char *file, int line, lexp_tag *out, lexp_error *err);

/* The `is` tests (eval/filters_jinja.c): known names, and whether one takes
 * an argument (divisibleby(3), in(list)). */
int lexp__test_known(const char *name, size_t n, int *takes_arg);
const char *lexp__test_names(void);

/* Filters: defined in eval/filters.c, looked up by the parser so an
 * unknown filter is a parse error with a position. */
struct lexp_eval;
typedef const lexp_value *(*lexp_filter_fn)(struct lexp_eval *e, const lexp_expr *site,
                                            const lexp_value *in,
                                            const lexp_value *const *args, int nargs);
struct lexp_filter_def {
    const char *name;
    int min_args, max_args;
    lexp_filter_fn fn;
    /* Jinja filters: the parameter names in order ("attribute,start"), so
     * keyword arguments find their place; an argument not given is NULL.
     * NULL for lexport's own filters (positional only). */
    const char *params;
};
const lexp_filter_def *lexp__filter_find(const char *name, size_t len);
/* Comma-separated list of all filter names, for error messages. */
const char *lexp__filter_names(void);
/* Office templates (eval/filters_py.c): Jinja's filters, which take the
 * place of lexport's filters of the same name; the calls `range(…)`,
 * `loop.cycle(…)` and the methods `.items() .keys() .values()`, which the
 * parser turns into filters (a call's first argument is the filter's input). */
const lexp_filter_def *lexp__jfilter_find(const char *name, size_t len);
const char *lexp__jfilter_names(void);
const lexp_filter_def *lexp__jcall_find(const char *name, size_t len);
/* A Jinja builtin lexport has not (kind 'f' a filter, 't' a test): what to
 * write instead, for the error (eval/filters_py_more.c); NULL for others. */
const char *lexp__jinja_missing(char kind, const char *name, size_t len);

#endif
