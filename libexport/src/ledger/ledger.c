/*
 * Loading data from a ledger, a JSON file, or a ledger with a profile that
 * supplies the facts a CSV activity ledger lacks.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../data/value.h"
#include "ledger.h"

static int ends_with(const char *s, const char *ext)
{
    size_t n = strlen(s), e = strlen(ext);
    return n > e && strcasecmp(s + n - e, ext) == 0;
}

int lexp__ledger_is(const char *name, const void *bytes, size_t size)
{
    const unsigned char *u = bytes;
    if (name && (ends_with(name, ".xlsx") || ends_with(name, ".xlsm") ||
                 ends_with(name, ".csv") || ends_with(name, ".xls") || ends_with(name, ".et")))
        return 1;
    return size >= 4 && u[0] == 'P' && u[1] == 'K' && u[2] == 3 && u[3] == 4;
}

int lexp__ledger_read(json_t **out, const void *bytes, size_t size, const char *name,
                      lexp_diag_cb warn, void *payload, lexp_error *err)
{
    *out = NULL;
    lx_book b;
    lx_book_init(&b, name ? name : "<ledger>", err);
    const unsigned char *u = bytes;
    int zip = size >= 2 && u[0] == 'P' && u[1] == 'K';
    int ole = size >= 4 && u[0] == 0xD0 && u[1] == 0xCF && u[2] == 0x11 && u[3] == 0xE0;
    int rc = (zip || ole || !name || !ends_with(name, ".csv")) ? lx_read_xlsx(&b, bytes, size)
                                                               : lx_read_csv(&b, bytes, size);
    if (rc == 0)
        rc = lx_map(out, &b, warn, payload);
    lx_book_free(&b);
    return rc;
}

/* The data in a file of either kind, as a jansson object. */
static int read_any(json_t **out, const char *path, lexp_diag_cb warn, void *payload,
                    lexp_error *err, int *is_ledger)
{
    *out = NULL;
    *is_ledger = 0;
    char *text;
    size_t len;
    size_t max = LEXP_LEDGER_MAX_FILE > LEXP_DATA_MAX_BYTES ? LEXP_LEDGER_MAX_FILE
                                                            : LEXP_DATA_MAX_BYTES;
    int rc = lexp__read_file(&text, &len, path, max, err);
    if (rc)
        return rc;
    if (lexp__ledger_is(path, text, len)) {
        *is_ledger = 1;
        rc = lexp__ledger_read(out, text, len, path, warn, payload, err);
        free(text);
        return rc;
    }
    /* a JSON profile goes through the JSON loader for its messages */
    lexp_data *d = NULL;
    rc = lexp_data_load_json(&d, text, len, path, err);
    free(text);
    if (rc)
        return rc;
    lexp_data_free(d);
    json_error_t je;
    rc = lexp__read_file(&text, &len, path, max, err);
    if (rc)
        return rc;
    size_t skip = (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    *out = json_loadb(text + skip, len - skip, JSON_REJECT_DUPLICATES, &je);
    free(text);
    return *out ? 0 : lexp__error_set(err, LEXP_ESYNTAX, path, je.line, je.column, NULL, "%s",
                                      je.text);
}

/* The profile's facts under the ledger's: objects (community, briefing)
 * field by field, everything else whole. */
static int merge(json_t *profile, json_t *ledger)
{
    const char *key;
    json_t *v;
    json_object_foreach(ledger, key, v)
    {
        json_t *p = json_object_get(profile, key);
        if (p && json_is_object(p) && json_is_object(v)) {
            if (json_object_update(p, v))
                return -1;
        } else if (json_object_set(profile, key, v)) {
            return -1;
        }
    }
    return 0;
}

int lexp_data_load_ledger(lexp_data **out, const char *path, const char *profile,
                          lexp_diag_cb warn, void *payload, lexp_error *err)
{
    lexp_error_clear(err);
    if (!out || !path)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    *out = NULL;
    json_t *root = NULL, *prof = NULL;
    int led = 0, pled = 0;
    int rc = read_any(&root, path, warn, payload, err, &led);
    if (rc == 0 && profile && profile[0]) {
        rc = read_any(&prof, profile, warn, payload, err, &pled);
        if (rc == 0 && !json_is_object(prof))
            rc = lexp__error_set(err, LEXP_EDATA, profile, 0, 0, NULL,
                                 "the top level must be a JSON object { … }");
        if (rc == 0) {
            if (merge(prof, root)) {
                rc = lexp__error_oom(err);
            } else {
                json_decref(root);
                root = prof;
                prof = NULL;
            }
        }
    }
    if (rc == 0 && (led || pled) && !json_object_get(root, "community"))
        rc = lexp__error_set(err, LEXP_EDATA, path, 0, 0, NULL,
                             "the community's own facts are missing: add a 基本情况 sheet "
                             "(社区名称, 所属街道, 户数, …) or give them with --profile "
                             "PROFILE.json");
    if (rc == 0)
        rc = lexp__data_from_jansson(out, root, path, path, err);
    json_decref(root);
    json_decref(prof);
    return rc;
}
