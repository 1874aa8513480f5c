/*
 * Fuzz target: the ledger readers (workbook and CSV) and the mapper. The
 * first byte picks the reader, so one corpus covers both.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static void ignore(const lexp_error *e, void *p)
{
    (void)e;
    (void)p;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    if (len < 1)
        return 0;
    const char *name = (buf[0] & 1) ? "fuzz.csv" : "fuzz.xlsx";
    lexp_error err;
    lexp_error_clear(&err);
    json_t *out = NULL;
    if (lexp__ledger_read(&out, buf + 1, len - 1, name, ignore, NULL, &err) == 0) {
        lexp_data *d = NULL;
        if (lexp__data_from_jansson(&d, out, name, NULL, &err) == 0) {
            lexp_data_check(d, ignore, NULL);
            lexp_data_free(d);
        }
        json_decref(out);
    }
    return 0;
}
