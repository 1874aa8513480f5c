/*
 * Reading a CSV ledger: UTF-8 with or without a byte order mark, GB18030
 * (what Excel in China saves as "CSV"), or UTF-16 with a mark (Excel's
 * "Unicode text", tab-separated). The encoding is detected, not asked: text
 * that is valid UTF-8 is UTF-8, anything else is converted from GB18030
 * with iconv. Fields follow RFC 4180 (quotes, doubled quotes, line breaks
 * inside quotes); the separator is a comma, or a tab when the first line
 * has tabs and no commas.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

/* Convert to UTF-8 with iconv; *out malloc'd. */
static int convert(lx_book *b, const char *from, const char *in, size_t n, char **out,
                   size_t *outlen)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return lx_fail(b, LEXP_EBACKEND, NULL, "cannot convert from %s: iconv lacks it", from);
    size_t cap = n * 2 + 16; /* GB18030 → UTF-8 grows at most 3:2, UTF-16 → UTF-8 3:2 */
    char *buf = malloc(cap);
    if (!buf) {
        iconv_close(cd);
        return lexp__error_oom(b->err);
    }
    char *ip = (char *)in, *op = buf;
    size_t il = n, ol = cap - 1;
    size_t r = iconv(cd, &ip, &il, &op, &ol);
    int e = errno;
    iconv_close(cd);
    if (r == (size_t)-1) {
        size_t at = (size_t)(ip - in);
        free(buf);
        int line, col;
        lexp__line_col(in, at, &line, &col); /* lines count the same in any ASCII superset */
        char where[32];
        snprintf(where, sizeof where, "line %d", line);
        return lx_fail(b, LEXP_ESYNTAX, where,
                       "the file is neither UTF-8 nor %s (byte 0x%02X%s); save it as CSV UTF-8 "
                       "or CSV (逗号分隔)",
                       from, (unsigned char)in[at], e == EINVAL ? ", truncated" : "");
    }
    *op = 0;
    *out = buf;
    *outlen = (size_t)(op - buf);
    return 0;
}

int lx_read_csv(lx_book *b, const char *bytes, size_t size)
{
    if (size > LEXP_DATA_MAX_BYTES)
        return lx_fail(b, LEXP_ELIMIT, NULL, "the file is %zu MB; the limit is %u MB",
                       size >> 20, LEXP_DATA_MAX_BYTES >> 20);
    char *conv = NULL;
    size_t len = size;
    const char *s = bytes;
    size_t bad;
    int rc = 0;
    if (size >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        len -= 3;
        if (!lexp__utf8_valid(s, len, &bad)) {
            int line, col;
            lexp__line_col(s, bad, &line, &col);
            char where[32];
            snprintf(where, sizeof where, "line %d", line);
            return lx_fail(b, LEXP_ESYNTAX, where,
                           "invalid UTF-8 (byte 0x%02X) in a file marked as UTF-8",
                           (unsigned char)s[bad]);
        }
    } else if (size >= 2 && ((unsigned char)s[0] == 0xFF && (unsigned char)s[1] == 0xFE)) {
        rc = convert(b, "UTF-16LE", s + 2, size - 2, &conv, &len);
        s = conv;
    } else if (size >= 2 && ((unsigned char)s[0] == 0xFE && (unsigned char)s[1] == 0xFF)) {
        rc = convert(b, "UTF-16BE", s + 2, size - 2, &conv, &len);
        s = conv;
    } else if (!lexp__utf8_valid(s, len, &bad)) {
        rc = convert(b, "GB18030", s, size, &conv, &len);
        s = conv;
    }
    if (rc)
        return rc;
    if (memchr(s, 0, len)) {
        free(conv);
        return lx_fail(b, LEXP_ESYNTAX, NULL, "the file has NUL bytes: it is not a CSV text file");
    }
    /* separator from the first line */
    char sep = ',';
    const char *nl = memchr(s, '\n', len);
    size_t first = nl ? (size_t)(nl - s) : len;
    if (memchr(s, '\t', first) && !memchr(s, ',', first))
        sep = '\t';
    lx_sheet *sh = lx_book_add(b, "", 0);
    if (!sh) {
        free(conv);
        return b->err ? b->err->code : LEXP_ENOMEM;
    }
    lexp__sbuf f = LEXP__SBUF_INIT;
    uint32_t row = 1, col = 1;
    size_t i = 0;
    while (i < len && rc == 0) {
        /* one field */
        f.len = 0;
        uint32_t frow = row; /* records are rows, as Excel shows the file */
        if (s[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    char where[32];
                    lx_cell_ref(where, sizeof where, col, frow);
                    rc = lx_fail(b, LEXP_ESYNTAX, where,
                                 "a quoted field is not closed before the end of the file");
                    break;
                }
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        lexp__sbuf_putc(&f, '"');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                lexp__sbuf_putc(&f, s[i++]);
            }
            /* anything up to the separator after the closing quote is kept */
            while (rc == 0 && i < len && s[i] != sep && s[i] != '\n' && s[i] != '\r')
                lexp__sbuf_putc(&f, s[i++]);
        } else {
            while (i < len && s[i] != sep && s[i] != '\n' && s[i] != '\r')
                lexp__sbuf_putc(&f, s[i++]);
        }
        if (rc)
            break;
        if (f.oom) {
            rc = lexp__error_oom(b->err);
            break;
        }
        if (f.len > LX_MAX_CELL) {
            char where[32];
            lx_cell_ref(where, sizeof where, col, frow);
            rc = lx_fail(b, LEXP_ELIMIT, where, "a field of over %u KB, the limit",
                         LX_MAX_CELL / 1024u);
            break;
        }
        if (f.len) {
            lx_row *w = lx_sheet_row(b, sh, frow);
            lx_cell *c = w ? lx_row_cell(b, w, col) : NULL;
            if (!c) {
                rc = b->err ? b->err->code : LEXP_ENOMEM;
                break;
            }
            c->type = LC_STR;
            c->s = lexp__arena_strndup(&b->arena, f.ptr, f.len);
            c->len = (uint32_t)f.len;
            if (!c->s) {
                rc = lexp__error_oom(b->err);
                break;
            }
        }
        if (i < len && s[i] == sep) {
            i++;
            col++;
            if (i == len) /* a separator ends the file: one more empty field */
                break;
            continue;
        }
        /* end of a record: \n, \r\n or \r */
        if (i < len && s[i] == '\r')
            i++;
        if (i < len && s[i] == '\n')
            i++;
        row++;
        col = 1;
        if (row > 1048576) {
            rc = lx_fail(b, LEXP_ELIMIT, NULL, "more than 1048576 lines");
            break;
        }
    }
    lexp__sbuf_free(&f);
    free(conv);
    if (!rc)
        lx_sheet_finish(sh);
    return rc;
}
