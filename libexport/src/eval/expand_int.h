/*
 * What the expander (expand.c: statements, inline evaluation) and the block
 * assembler (assemble.c: lines to paragraphs, tables, lists and the official
 * blocks) share: the runs of an evaluated line, the assembler's state, and
 * the functions each calls in the other.
 */
#ifndef LEXP_EXPAND_INT_H
#define LEXP_EXPAND_INT_H

#include "eval.h"

/* ---- the runs of an evaluated line (expand.c) ---- */

typedef struct piece {
    uint32_t start, len;
    uint32_t flags;
} piece;

typedef struct runbuf {
    lexp__sbuf text;
    piece *p;
    int n, cap;
    uint32_t flags;
    /* for cells: was the content exactly one expression? */
    int nexpr, literal;
    const lexp_value *last;
} runbuf;

/* ---- the block assembler (assemble.c) ---- */

typedef struct lexp_asm {
    lexp_node *container; /* where blocks go (the document root) */
    lexp_node *para;      /* paragraph being joined */
    lexp_node *table;
    int header_marked;
    lexp_node *list;
    int list_ordered;
    int heading[4];
    /* open ':::' block */
    int block;            /* lexp_bkind or -1 */
    lexp_node *special;   /* masthead / signature / distribution node */
    lexp_align align;     /* from center/right/left */
    int noindent;
    int titles; /* lines seen in a title block */
    unsigned formats; /* inside ::: only: the formats of new blocks */
    runbuf rb, rb2;
    /* A long table streams: past `stream_rows` body rows its rows are built
     * in the spool's rows document and moved to the spool once no later row
     * can join them ('^'), so the tree and the evaluator's arena stay small. */
    struct lexp_doc *rows; /* the streaming table's rows document, or NULL */
    uint32_t stream_rows;
} lexp_asm;

/* What an iteration may change in the assembler (see lexp__x_snap_same). */
typedef struct iter_snap {
    const void *table, *para, *list, *special;
    int on;
} iter_snap;

/* expand.c */
int lexp__x_eval_inline(lexp_eval *e, const lexp_tnode *content, runbuf *rb);
const char *lexp__x_inline_string(lexp_eval *e, const lexp_tnode *content, runbuf *rb);
int lexp__x_num_of(const lexp_value *v, double *out);

/* assemble.c */
int lexp__x_eval_line(lexp_eval *e, const lexp_tnode *n);
lexp_node *lexp__x_new_node(lexp_eval *e, lexp_ntype t, const lexp_tnode *src);
int lexp__x_add_runs(lexp_eval *e, lexp_node *n, const runbuf *rb);
int lexp__x_close_all(lexp_eval *e);
int lexp__x_stream_rows(lexp_eval *e, lexp_node *x);
const char *lexp__x_field_text(lexp_eval *e, const lexp_value *obj, const char *key);
const char *lexp__x_doc_date(lexp_eval *e);
void lexp__x_snap_take(lexp_eval *e, iter_snap *s);
int lexp__x_snap_same(lexp_eval *e, const iter_snap *s);

#endif
