/*
 * Evaluation state shared by the expander (expand.c), the filters
 * (filters.c) and Chinese number formatting (cn.c).
 */
#ifndef LEXP_EVAL_H
#define LEXP_EVAL_H

#include "../data/value.h"
#include "../doc/doc.h"
#include "../template/ast.h"

typedef struct binding {
    const char *name;
    uint32_t nlen;
    const lexp_value *val;
} binding;

/* A rows file of the data (data/rows.h) in one evaluation: its name stands
 * for `mark`, which only a for loop may go over, once; `rd` is the reader
 * while that loop runs. */
typedef struct lexp_rows_run {
    const struct lexp_rows_src *src;
    lexp_value mark;
    struct lexp_rows *rd;
    const char *used_file; /* the loop that went over it */
    int used_line;
} lexp_rows_run;

typedef struct lexp_loop {
    const lexp_rows_run *lazy; /* a loop over a rows file: no length, last by lookahead */
    int lazy_last;
    uint32_t index0, length;
    const lexp_value *it;      /* what the loop runs over, for loop.previtem/nextitem */
    int two;                   /* for k, v in … */
    const lexp_value *changed; /* loop.changed(…)'s last arguments (a list), or NULL */
} lexp_loop;

struct lexp_asm; /* block assembler, expand.c */

typedef struct lexp_eval {
    lexp__arena *A;            /* the document's arena */
    struct lexp_doc *doc;
    const lexp_value *root;    /* data */
    const lexp_value *period;  /* period variables (object) or NULL */
    const char *data_name;     /* data file name, for data errors */
    binding *binds;
    size_t nbinds, capbinds;
    lexp_error *err;
    uint64_t steps;
    int depth; /* lexp__eval_expr recursion, bounded by LEXP_TEMPLATE_MAX_CHAIN */
    size_t mem_base;         /* arena bytes in use when the evaluation began */
    int over;                /* the memory budget was exceeded (error set) */
    const struct lexp_expr *at; /* the expression being evaluated, for positions */
    uint64_t out_bytes;
    struct lexp_asm *as;
    const lexp_render_options *opt;
    lexp__sbuf scratch; /* reused for the text of {{ }} values */
    lexp__sbuf pool[4]; /* reusable buffers for filter results */
    int npool;
    const char *fmt_src, *fmt_copy; /* last date pattern copied into the arena */
    uint32_t *hints;  /* per EX_ATTR node: where its key was found last time */
    uint32_t nhints;
    int jinja; /* an office template: Jinja's printing, data before period values
                  (filters_jinja.c) */
    const struct lexp_expr *warned[32]; /* undefined names warned about (needs.c) */
    int nwarned;
    int pinned; /* a value made in an iteration outlives it (loop.changed): loop
                   iterations no longer give their arena bytes back */
    lexp_rows_run *rows; /* the data's rows files */
    uint32_t nrows;
} lexp_eval;

/* Count n steps of work (a filter's items) against LEXP_EVAL_MAX_STEPS:
 * 0, or -1 with the step limit's error at `at`. */
int lexp__eval_work(lexp_eval *e, const lexp_expr *at, uint64_t n);

/* A cleared buffer from the evaluator's pool (or a new one), and its
 * return; filters build their results in these to avoid a malloc per call.
 * The buffer holds at most what is left of the memory budget: a result that
 * would be larger fails (oom 2), and its return sets the budget's error. */
lexp__sbuf lexp__eval_buf(lexp_eval *e);
void lexp__eval_buf_done(lexp_eval *e, lexp__sbuf *b);

/* A standalone evaluator, for templates that are not .lxt (office
 * documents): the data's variables and the period variables of `opt`, a
 * lookup hint for every field access of `t`, values in arena `A`. */
int lexp__eval_open(lexp_eval *e, lexp__arena *A, const lexp_template *t, const lexp_data *data,
                    const lexp_render_options *opt, lexp_error *err);
void lexp__eval_close(lexp_eval *e);
/* Bind a variable in the innermost scope; unwind with e->nbinds = mark. */
int lexp__eval_bind(lexp_eval *e, const char *name, uint32_t n, const lexp_value *v);
/* How many times `for` runs over `it`: the items of a list or the members
 * of an object, none for a missing value. Anything else, or two loop
 * variables over a list, is an error at `at` (-1). */
int lexp__eval_loop_len(lexp_eval *e, const lexp_expr *at, const lexp_value *it, int two_names,
                        uint32_t *len);
/* The variables of a for loop: bound once by lexp__eval_loop_begin, set for
 * iteration i by lexp__eval_loop_step (which also forgets what the body set
 * in the iteration before), dropped with e->nbinds = lv.mark. */
typedef struct lexp_loopvars {
    size_t mark, vars;
    lexp_loop *loop;
    const lexp_value *it;
    int two; /* for k, v in object */
} lexp_loopvars;
int lexp__eval_loop_begin(lexp_eval *e, lexp_loopvars *lv, const lexp_value *it, uint32_t len,
                          const char *name, uint32_t nlen, const char *name2, uint32_t n2len);
int lexp__eval_loop_step(lexp_eval *e, lexp_loopvars *lv, uint32_t i);

/* Evaluate an expression. NULL on error (err set). */
const lexp_value *lexp__eval_expr(lexp_eval *e, const lexp_expr *x);

/* Report an error at an expression's position, naming the data path of `v`
 * when it has one. Returns NULL for convenience. */
const lexp_value *lexp__eval_fail(lexp_eval *e, const lexp_expr *at, const lexp_value *v,
                                  const char *fmt, ...) LEXP_PRINTF(4, 5);

/* Append the text form of a value (numbers in natural form, arrays joined
 * with 、). Returns 0, or -1 with an error for objects. */
int lexp__value_text(lexp_eval *e, const lexp_expr *at, lexp__sbuf *b, const lexp_value *v);

/* The memory budget (LEXP_EVAL_MAX_MEMORY): everything the evaluation
 * allocated in its arena, plus `more` bytes about to be. 0, or -1 with an
 * error at `at` (the current expression when NULL). lexp__eval_room: what
 * is left. */
int lexp__eval_budget(lexp_eval *e, const struct lexp_expr *at, size_t more);
size_t lexp__eval_room(const lexp_eval *e);
/* The error for a buffer that failed (oom 2: over the budget). -1. */
int lexp__eval_buf_fail(lexp_eval *e, const struct lexp_expr *at, const lexp__sbuf *b);

/* A string value in the arena from a buffer. */
const lexp_value *lexp__eval_str(lexp_eval *e, const char *s, size_t n);
const lexp_value *lexp__eval_num(lexp_eval *e, double n);

/* Jinja mode (filters_jinja.c): values printed as docxtpl prints them, the
 * `is` tests, Python's repr of a float. */
int lexp__jinja_text(lexp_eval *e, const lexp_expr *at, lexp__sbuf *b, const lexp_value *v);
int lexp__test_eval(lexp_eval *e, const lexp_expr *x, const lexp_value *a); /* 1, 0, -1 */
/* Test `name` on a with argument b (NULL: none), reported at x. */
int lexp__test_apply(lexp_eval *e, const lexp_expr *x, const char *name, size_t n,
                     const lexp_value *a, const lexp_value *b);
void lexp__py_float(lexp__sbuf *b, double x);
/* Python's printf-style `fmt % v` ('%s %d' % (a, b)): v is the tuple of
 * values when `tuple`, else the one value. */
const lexp_value *lexp__py_percent(lexp_eval *e, const lexp_expr *at, const lexp_value *fmt,
                                   const lexp_value *v, int tuple);
/* Python's str.isspace of one character (filters_py.c). */
int lexp__py_space(uint32_t c);
/* The length of such a character at s[0..n), or 0 (filters_py_more.c). */
size_t lexp__py_space_at(const char *s, size_t n);
/* Python's str.strip (ends 3), lstrip (1), rstrip (2) of text s (filters_py.c). */
const lexp_value *lexp__py_strip(lexp_eval *e, const lexp_expr *site, const lexp_value *s,
                                 const lexp_value *chars, int ends);
/* The string and mapping methods of office templates (methods_str.c). */
const struct lexp_filter_def *lexp__jmethod_find(const char *name, size_t len);
/* Python's `fmt.format(args…)` with positional fields (filters_format.c). */
const lexp_value *lexp__py_str_format(lexp_eval *e, const lexp_expr *at, const lexp_value *fmt,
                                      const lexp_value *const *args, int nargs);
/* `.grouper` / `.list` (or lexport's .key/.items/.count) of a (grouper,
 * list) pair from groupby; NULL when
 * `v` is not a pair or the name is another. */
const lexp_value *lexp__jinja_pair_attr(lexp_eval *e, const lexp_value *v, const char *name,
                                        size_t n);

/* Shared by Jinja's filters (filters_py.c, filters_py_more.c): a buffer
 * capped at what is left of the memory budget and the string made from it
 * (freed); a value's text as Jinja's str() gives it; the items of a list
 * (undefined and null: none); Jinja's attribute="a.b.0" (missing:
 * undefined); a whole-number argument from lo to hi. */
lexp__sbuf lexp__py_buf(lexp_eval *e);
const lexp_value *lexp__py_buf_str(lexp_eval *e, lexp__sbuf *b);
const lexp_value *lexp__py_str(lexp_eval *e, const lexp_expr *site, const lexp_value *v);
int lexp__py_items(lexp_eval *e, const lexp_expr *site, const lexp_value *v, const char *what,
                   const lexp_value *const **items, uint32_t *n);
const lexp_value *lexp__py_attr(lexp_eval *e, const lexp_value *v, const lexp_value *path);
int lexp__py_whole(lexp_eval *e, const lexp_expr *site, const lexp_value *v, const char *what,
                   long lo, long hi, long *out);
/* filters_py_more.c: the rest of Jinja's filters and calls, looked up after
 * filters_py.c's tables; `for x in xs if cond` (EX_LOOPIF); the item before
 * or after the current one of a loop (undefined at the edges). */
const lexp_filter_def *lexp__jfilter_find_more(const char *name, size_t len);
/* The entry of table t[0..n) named name[0..len), or NULL. */
const lexp_filter_def *lexp__fdef_find(const lexp_filter_def *t, size_t n, const char *name,
                                       size_t len);
const lexp_filter_def *lexp__jcall_find_more(const char *name, size_t len);
const lexp_value *lexp__jinja_loop_filter(lexp_eval *e, const lexp_expr *x);
const lexp_value *lexp__jinja_loop_item(lexp_eval *e, const lexp_loop *l, int64_t i);

/* Chinese numerals (cn.c). */
void lexp__cn_number(lexp__sbuf *b, double x);   /* 一万二千一百三十, 负七, 三点一四 */
void lexp__cn_upper(lexp__sbuf *b, double x);    /* 壹仟贰佰叁拾肆 */
int lexp__cn_money(lexp__sbuf *b, double x);     /* 壹仟贰佰叁拾肆元伍角整; -1 if too large */
void lexp__cn_digits(lexp__sbuf *b, const char *s, size_t n); /* 2024 → 二〇二四 */
void lexp__cn_small(lexp__sbuf *b, long n);      /* small integers for numbering */

#endif
