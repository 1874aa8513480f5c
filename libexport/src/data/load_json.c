/*
 * JSON loading: a valid document is read straight into the data's values
 * (json_fast.c); anything that reader leaves, jansson parses (it reports
 * line and column and bounds the nesting depth), then its tree is copied
 * into the data's arena as our own values, with parent links for data
 * paths, and the errors are worded here.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../ledger/ledger.h"
#include "json_fast.h"
#include "rows.h"
#include "value.h"

typedef struct {
    lexp__arena *a;
    lexp_error *err;
    const char *name;
} conv;

static int fail_path(conv *c, const lexp_value *v, int code, const char *msg)
{
    lexp__sbuf p = LEXP__SBUF_INIT;
    lexp__v_path(&p, v);
    lexp__error_set(c->err, code, c->name, 0, 0, lexp__sbuf_cstr(&p), "%s", msg);
    lexp__sbuf_free(&p);
    return code;
}

static lexp_value *convert(conv *c, json_t *j, const lexp_value *parent, uint32_t index,
                           int depth)
{
    lexp__arena *a = c->a;
    lexp_value *v = NULL;
    if (depth > LEXP_DATA_MAX_DEPTH) {
        lexp_value tmp = {.parent = parent, .index = index};
        char msg[96];
        snprintf(msg, sizeof msg, "data nested more than %d levels deep",
                 LEXP_DATA_MAX_DEPTH);
        fail_path(c, &tmp, LEXP_ELIMIT, msg);
        return NULL;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        v = lexp__v_obj(a, (uint32_t)json_object_size(j));
        if (!v)
            break;
        v->parent = parent;
        v->index = index;
        uint32_t i = 0;
        const char *key;
        json_t *val;
        /* jansson iterates objects in insertion order */
        json_object_foreach(j, key, val)
        {
            lexp_member *m = &v->u.members[i];
            size_t kl = strlen(key);
            m->key = lexp__arena_strndup(a, key, kl);
            m->klen = (uint32_t)kl;
            if (!m->key)
                return NULL;
            m->val = convert(c, val, v, i, depth + 1);
            if (!m->val)
                return NULL;
            i++;
        }
        return v;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        v = lexp__v_arr(a, (uint32_t)n);
        if (!v)
            break;
        v->parent = parent;
        v->index = index;
        for (size_t i = 0; i < n; i++) {
            v->u.items[i] = convert(c, json_array_get(j, i), v, (uint32_t)i, depth + 1);
            if (!v->u.items[i])
                return NULL;
        }
        return v;
    }
    case JSON_STRING: {
        size_t n = json_string_length(j);
        if (n > LEXP_DATA_MAX_STRING) {
            lexp_value tmp = {.parent = parent, .index = index};
            char msg[128];
            snprintf(msg, sizeof msg, "string of %.1f MB; the limit is %u KB",
                     (double)n / 1048576.0, LEXP_DATA_MAX_STRING / 1024u);
            fail_path(c, &tmp, LEXP_ELIMIT, msg);
            return NULL;
        }
        v = lexp__v_strcopy(a, json_string_value(j), n);
        break;
    }
    case JSON_INTEGER:
        v = lexp__v_int(a, (long long)json_integer_value(j));
        break;
    case JSON_REAL: /* b: written with a point or exponent (3.0), for Jinja printing */
        if ((v = lexp__v_num(a, json_real_value(j))))
            v->b = 1;
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        v = lexp__v_bool(a, json_is_true(j));
        break;
    case JSON_NULL:
        v = lexp__v_null(a);
        break;
    }
    if (!v) {
        lexp__error_oom(c->err);
        return NULL;
    }
    v->parent = parent;
    v->index = index;
    return v;
}

static lexp_data *data_new(const char *shown, const char *path)
{
    lexp_data *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    lexp__arena_init(&d->arena);
    d->name = strdup(shown);
    d->dir = path ? lexp__dir_of(path) : strdup(".");
    if (!d->name || !d->dir) {
        lexp_data_free(d);
        return NULL;
    }
    return d;
}

static int load(lexp_data **out, const char *text, size_t len, const char *name,
                const char *path, int fast, lexp_error *err)
{
    *out = NULL;
    const char *shown = name ? name : "<data>";
    if (len > LEXP_DATA_MAX_BYTES)
        return lexp__error_set(err, LEXP_ELIMIT, shown, 0, 0, NULL,
                               "data is %.1f MB; the limit is %u MB",
                               (double)len / 1048576.0, LEXP_DATA_MAX_BYTES >> 20);
    /* Editors on Windows save UTF-8 with a byte order mark. */
    size_t skip = (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    size_t i = skip;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                       text[i] == '\r'))
        i++;
    if (i == len)
        return lexp__error_set(err, LEXP_ESYNTAX, shown, 1, 1, NULL,
                               "the file is empty; expected a JSON object");
    size_t bad;
    if (!lexp__utf8_valid(text, len, &bad)) {
        int line, col;
        lexp__line_col(text, bad, &line, &col);
        lexp__error_set(err, LEXP_ESYNTAX, shown, line, col, NULL,
                        "invalid UTF-8 (byte 0x%02X); save the file as UTF-8",
                        (unsigned char)text[bad]);
        if (err)
            err->offset = bad;
        return LEXP_ESYNTAX;
    }
    if (fast) {
        lexp_data *d = data_new(shown, path);
        if (d && lexp__json_fast(&d->arena, text + skip, len - skip, &d->root) == 0) {
            *out = d;
            return 0;
        }
        lexp_data_free(d); /* jansson reads it, or says what is wrong */
    }
    json_error_t je;
    json_t *root = json_loadb(text + skip, len - skip, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        int line = je.line > 0 ? je.line : 1;
        int col = je.column > 0 ? je.column : 1;
        lexp__error_set(err, LEXP_ESYNTAX, shown, line, col, NULL, "%s", je.text);
        if (err)
            err->offset = (size_t)(je.position > 0 ? je.position : 0);
        return LEXP_ESYNTAX;
    }
    int rc = lexp__data_from_jansson(out, root, shown, path, err);
    json_decref(root);
    return rc;
}

int lexp__data_from_jansson(lexp_data **out, json_t *root, const char *shown,
                            const char *path, lexp_error *err)
{
    *out = NULL;
    if (!json_is_object(root))
        return lexp__error_set(err, LEXP_EDATA, shown, 0, 0, NULL,
                               "the top level must be a JSON object { … }");
    lexp_data *d = data_new(shown, path);
    if (!d)
        return lexp__error_oom(err);
    conv c = {&d->arena, err, shown};
    d->root = convert(&c, root, NULL, 0, 0);
    if (!d->root) {
        lexp__error_oom(err); /* no-op when convert already reported */
        lexp_data_free(d);
        return err ? err->code : LEXP_ENOMEM;
    }
    *out = d;
    return 0;
}

lexp_value *lexp__data_value(lexp__arena *a, json_t *j, const lexp_value *parent,
                             uint32_t index, int depth, const char *name, lexp_error *err)
{
    conv c = {a, err, name};
    lexp_value *v = convert(&c, j, parent, index, depth);
    if (!v)
        lexp__error_oom(err); /* no-op when convert already reported */
    return v;
}

int lexp_data_load_json(lexp_data **out, const char *json, size_t len, const char *name,
                        lexp_error *err)
{
    lexp_error_clear(err);
    if (!out || (!json && len))
        return lexp__error_set(err, LEXP_EINVAL, name, 0, 0, NULL, "invalid argument");
    return load(out, json ? json : "", len, name, NULL, 1, err);
}

int lexp__data_load_json_via(lexp_data **out, const char *text, size_t len, const char *name,
                             int fast, lexp_error *err)
{
    lexp_error_clear(err);
    return load(out, text, len, name, NULL, fast, err);
}

int lexp_data_load_file(lexp_data **out, const char *path, lexp_error *err)
{
    lexp_error_clear(err);
    if (!out || !path)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    *out = NULL;
    char *text;
    size_t len;
    /* a workbook may be larger than a JSON file; the ledger reader applies
     * its own limits */
    int rc = lexp__read_file(&text, &len, path,
                             lexp__ledger_is(path, NULL, 0) ? LEXP_LEDGER_MAX_FILE
                                                            : LEXP_DATA_MAX_BYTES,
                             err);
    if (rc)
        return rc;
    if (lexp__ledger_is(path, text, len)) {
        free(text);
        return lexp_data_load_ledger(out, path, NULL, NULL, NULL, err);
    }
    rc = load(out, text, len, path, path, 1, err);
    free(text);
    return rc;
}

void lexp_data_free(lexp_data *d)
{
    if (!d)
        return;
    lexp__rows_src_free(d);
    lexp__arena_free(&d->arena);
    free(d->name);
    free(d->dir);
    free(d);
}
