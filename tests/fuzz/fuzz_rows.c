/*
 * Fuzz target: the rows reader (data/rows.c), NDJSON and CSV. The first
 * byte picks the kind; the rest is written to a temporary file, since the
 * reader reads a file, and every row is read as a render would, each in
 * memory given back before the next (as a streamed table does).
 */
#define _DEFAULT_SOURCE /* mkstemps */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    if (len < 1)
        return 0;
    int csv = buf[0] & 1;
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz-rows-XXXXXX%s", csv ? ".csv" : ".ndjson");
    int fd = mkstemps(path, csv ? 4 : 7);
    if (fd < 0)
        return 0;
    ssize_t w = write(fd, buf + 1, len - 1);
    close(fd);
    if (w == (ssize_t)(len - 1)) {
        lexp_rows_src src = {"rows", 4, path, csv ? LEXP__ROWS_CSV : LEXP__ROWS_NDJSON};
        lexp__arena a;
        lexp__arena_init(&a);
        lexp_error err;
        lexp_error_clear(&err);
        lexp_rows *r = NULL;
        if (lexp__rows_open(&r, &src, &a, &err) == 0) {
            while (lexp__rows_more(r)) {
                lexp__arena_mark m = lexp__arena_mark_get(&a);
                const lexp_value *row;
                int last;
                if (lexp__rows_next(r, &a, &row, &last) < 0)
                    break;
                lexp__sbuf p = LEXP__SBUF_INIT;
                if (row->len)
                    lexp__v_path(&p, row->u.members[0].val); /* rows[i].key */
                lexp__sbuf_free(&p);
                lexp__arena_release(&a, m);
            }
            lexp__rows_close(r);
        }
        lexp__arena_free(&a);
    }
    unlink(path);
    return 0;
}
