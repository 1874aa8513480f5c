/*
 * The fast path of JSON loading (json_fast.c).
 */
#ifndef LEXP_JSON_FAST_H
#define LEXP_JSON_FAST_H

#include "value.h"

/* Read a JSON object into values in arena a (parents and indexes set):
 * 0 and *root, or 1 when jansson should read it instead (load_json.c). */
int lexp__json_fast(lexp__arena *a, const char *text, size_t len, lexp_value **root);

/* load_json.c: load as lexp_data_load_json does, with (fast 1) or without
 * the fast path; for tests comparing the two. */
int lexp__data_load_json_via(lexp_data **out, const char *text, size_t len, const char *name,
                             int fast, lexp_error *err);

#endif
