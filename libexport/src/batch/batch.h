/*
 * Batches (lexp_batch) and the street roll-up they can end with.
 */
#ifndef LEXP_BATCH_H
#define LEXP_BATCH_H

#include <jansson.h>
#include <pthread.h>

#include "../util/util.h"

#define BATCH_MAX_DOCS 64 /* templates × formats of one community */

/* One community's documents, rendered before any is written. */
typedef struct {
    size_t n;
    lexp_buf buf[BATCH_MAX_DOCS];
    char name[BATCH_MAX_DOCS][128];
} batch_docs;

typedef struct {
    char *path;
    lexp_data *data; /* kept for the roll-up */
    char *community;
    int ok;
} batch_input;

typedef struct batch {
    const lexp_batch_options *opt;
    batch_input *in;
    size_t n;
    lexp_template **tpl;
    const char **tname;
    size_t ntpl;
    const int *fmt;
    size_t nfmt;
    lexp_engine *engine;
    int keep;             /* keep data for the roll-up */
    pthread_mutex_t lock; /* next, counts, claimed names, callbacks */
    size_t next, done, failed, documents;
    lexp_error first;
    int have_first;
} batch;

/* A roll-up file: the street's own facts and its members. */
typedef struct {
    char *name;     /* community.name of the file */
    char *path;
    json_t *facts;  /* the file's object (community, briefing, …) */
    char **members; /* file names (relative to the file) or community names */
    size_t nmembers;
} rollup_def;

/* Is `path` a roll-up file (a JSON object with "members")? Fills rd then. */
int lexp__rollup_file(rollup_def *rd, const char *path, int *is, lexp_error *err);
void lexp__rollup_def_free(rollup_def *rd);
/* Make the street's documents from the batch's inputs. */
int lexp__rollup_run(batch *b, const char *street, const rollup_def *rd, size_t *ndocs,
                     char **dir, lexp_error *err);

/* Render every template in every format into docs. With `brief`, the
 * template named "briefing" goes through lexp_brief (data and month
 * checked), as lexport brief does. */
int lexp__batch_render(batch_docs *docs, const lexp_data *d, lexp_template *const *tpl,
                       const char *const *tname, size_t ntpl, const int *fmt, size_t nfmt,
                       const lexp_render_options *base, const char *month, int brief,
                       lexp_error *err);
int lexp__batch_write(const batch_docs *docs, const char *dir, lexp_error *err);
void lexp__batch_docs_free(batch_docs *docs);
int lexp__mkdirs(const char *dir);
char *lexp__folder_name(const char *name);

#endif
