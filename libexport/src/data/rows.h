/*
 * Rows read from a file one at a time (lexp_data_add_rows_file): an NDJSON
 * file (one JSON object a line) or a CSV file (a header line naming the
 * fields, then one record a row). The data handle only names the files; a
 * reader belongs to the one for loop that goes over them, lives while it
 * runs and puts each row in that iteration's memory, so a file of any size
 * is read in the memory of one row.
 */
#ifndef LEXP_ROWS_H
#define LEXP_ROWS_H

#include <jansson.h>

#include "value.h"

enum { LEXP__ROWS_NDJSON = 1, LEXP__ROWS_CSV };

/* One file given to the data, in lexp_data.rows. */
typedef struct lexp_rows_src {
    char *name; /* the top-level name the template uses */
    uint32_t nlen;
    char *path; /* as given: opened at the loop, named in messages */
    int kind;   /* LEXP__ROWS_NDJSON or LEXP__ROWS_CSV */
} lexp_rows_src;

typedef struct lexp_rows lexp_rows;

/* Open the file and read ahead to its first row (after a CSV's header):
 * 0, or an error code with err set (file, line, column). The rows' parents
 * ({NAME: [...]}, for data paths) are made in A, which must outlive them. */
int lexp__rows_open(lexp_rows **out, const lexp_rows_src *src, lexp__arena *A,
                    lexp_error *err);
/* 1 if there is another row to read. */
int lexp__rows_more(const lexp_rows *r);
/* The next row, made in A: 1 with *row and *last (no row follows it), or
 * -1 with err set (the row's file, line and column). Call only while
 * lexp__rows_more. */
int lexp__rows_next(lexp_rows *r, lexp__arena *A, const lexp_value **row, int *last);
/* The line the row last read starts on; the value all rows hang from (a
 * row's outermost parent), to tell a row's values from the data's. */
uint32_t lexp__rows_line(const lexp_rows *r);
const lexp_value *lexp__rows_top(const lexp_rows *r);
void lexp__rows_close(lexp_rows *r);

/* Free the files named in a data handle (lexp_data_free). */
void lexp__rows_src_free(lexp_data *d);

/* load_json.c: a jansson value as loaded data in arena a, hanging from
 * parent at index, `depth` levels down (LEXP_DATA_MAX_DEPTH counts from the
 * top of the data). NULL with err set (its path, no position). */
lexp_value *lexp__data_value(lexp__arena *a, json_t *j, const lexp_value *parent,
                             uint32_t index, int depth, const char *name, lexp_error *err);

#endif
