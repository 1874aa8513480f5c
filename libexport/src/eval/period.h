/*
 * The period model: what span of time a document covers, its date, and
 * the comparison periods (上月/上期, 上年同期, 年初至今). One place that
 * every template, office template and the ledger roll-up use; the
 * variables it makes are documented in templates/README.md ("Periods").
 */
#ifndef LEXP_PERIOD_H
#define LEXP_PERIOD_H

#include "eval.h"

typedef enum {
    LEXP_PK_MONTH = 0,  /* 2024-09 */
    LEXP_PK_QUARTER,    /* 2024-Q3 */
    LEXP_PK_HALF,       /* 2024-H1 */
    LEXP_PK_YEAR        /* 2024 */
} lexp__pkind;

typedef struct lexp__period {
    int kind;        /* lexp__pkind */
    int year;
    int first, last; /* first and last month, 1–12 */
} lexp__period;

/* Parse "YYYY-MM", "YYYY-Qn", "YYYY-Hn" or "YYYY" (year 1900–9999).
 * Returns 1 if valid. */
int lexp__period_parse(const char *s, lexp__period *p);

/* The period of a render: `opt->period` (options version 2) or
 * `opt->month`. Returns 1 and fills *p when there is one, 0 when there is
 * none, -1 with an error when it is malformed or the two disagree. */
int lexp__period_of(const lexp_render_options *opt, lexp__period *p, lexp_error *err);

/* Build the period variables of a render into e->period (NULL when the
 * render has neither a period nor a date) and, with a period, make e->root
 * the data as known on the document date: records dated after the
 * period's end (and honours of later years) are left out. Warns when the
 * period holds no records at all. */
int lexp__period_vars(lexp_eval *e, const lexp_render_options *opt);

/* A template's `needs:`: an error naming the first input that is missing
 * (no period, or a data path that is missing or empty). */
int lexp__needs_check(lexp_eval *e, const lexp_template *t);

/* `{{ x }}` printed an undefined value: when x is a plain name or path,
 * warn at its place (with a close name, "did you mean"), once per place;
 * with strict options fail instead (-1). */
int lexp__undefined_printed(lexp_eval *e, const lexp_expr *x);

/* Fields of the render options that came after version 1 (NULL/0 for a
 * caller built against version 1). */
const char *lexp__opt_period(const lexp_render_options *opt);
int lexp__opt_strict(const lexp_render_options *opt);

#endif
