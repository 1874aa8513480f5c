/*
 * Fuzz target: the JSON data loader and the contract checker.
 */
#include <stddef.h>
#include <stdint.h>

#include "libexport.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static void ignore(const lexp_error *e, void *p)
{
    (void)e;
    (void)p;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    lexp_error err;
    lexp_data *d = NULL;
    if (lexp_data_load_json(&d, (const char *)buf, len, "fuzz.json", &err) == 0) {
        lexp_data_check(d, ignore, NULL);
        lexp_data_free(d);
    }
    return 0;
}
