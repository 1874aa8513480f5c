/*
 * Fuzz target: the JSON data loader and the contract checker; the loader's
 * fast path and jansson's must agree (the same result, error or data
 * written back as JSON).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/json_fast.h"
#include "libexport.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static void ignore(const lexp_error *e, void *p)
{
    (void)e;
    (void)p;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    lexp_error err, e2;
    lexp_data *d = NULL, *d2 = NULL;
    int rc = lexp_data_load_json(&d, (const char *)buf, len, "fuzz.json", &err);
    int rc2 = lexp__data_load_json_via(&d2, (const char *)buf, len, "fuzz.json", 0, &e2);
    if (rc != rc2 || (rc && strcmp(err.message, e2.message) != 0))
        abort();
    if (rc == 0) {
        lexp_buf a = LEXP_BUF_INIT, b = LEXP_BUF_INIT;
        if (lexp_data_to_json(&a, d, NULL) == 0 && lexp_data_to_json(&b, d2, NULL) == 0 &&
            (a.size != b.size || memcmp(a.ptr, b.ptr, a.size) != 0))
            abort();
        lexp_buf_dispose(&a);
        lexp_buf_dispose(&b);
        lexp_data_check(d, ignore, NULL);
    }
    lexp_data_free(d);
    lexp_data_free(d2);
    return 0;
}
