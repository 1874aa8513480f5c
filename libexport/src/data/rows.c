/*
 * Rows files: NDJSON or CSV read one record at a time.
 *
 *   file ─► 64 KB buffer ─► record (raw bytes, ≤ LEXP_ROWS_MAX_LINE)
 *                              │  one record read ahead, for loop.last
 *                              ▼
 *           NDJSON: jansson ─► the JSON loader's conversion ─► row object
 *           CSV:    fields  ─► strings, plain decimal numbers ─► row object
 *
 * Only the two raw records and the CSV header live in the reader; a row's
 * values are made in the arena the caller gives, which the expander rolls
 * back after each iteration of a streamed table. Values follow the JSON
 * loader: an NDJSON line must be valid UTF-8 (else an error with its
 * position, as for a JSON file), nesting and strings have the JSON limits.
 * A CSV file is UTF-8 (with or without a byte order mark) or GB18030, told
 * apart as the ledger reader does (lx_csv.c): what is valid UTF-8 is
 * UTF-8. GB18030 leaves quotes, separators and line breaks as in ASCII (its
 * trail bytes are 0x30-0x39 and 0x40 up), so records are cut in the raw
 * bytes and converted one at a time.
 */
#include "rows.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RBUF (64u * 1024u)

struct lexp_rows {
    const lexp_rows_src *src;
    lexp_error *err;
    FILE *f;
    char *buf;
    size_t pos, len;
    int eof;
    uint32_t line;      /* the line of the next unread byte */
    lexp__sbuf rec[2];  /* rec[cur]: the next row's bytes; rec[!cur]: scratch */
    uint32_t rec_line[2];
    int have;           /* rec[cur] holds a row */
    int cur;
    uint32_t row_line;  /* where the row last handed out starts */
    uint32_t index;     /* rows handed out */
    lexp_value *top, *list; /* {NAME: [...]}: the rows' parents */
    /* CSV */
    char sep;
    int utf8_bom;
    iconv_t cd;          /* GB18030 → UTF-8, or (iconv_t)-1 for UTF-8 */
    lexp__sbuf conv, field;
    lexp_member *keys;   /* the header: keys of every row (in the caller's arena) */
    uint32_t nkeys;
};

static const char *shown(const lexp_rows *r) { return r->src->path; }

/* ---- reading records ---------------------------------------------------------- */

static int fill(lexp_rows *r)
{
    if (r->eof)
        return 0;
    r->pos = 0;
    r->len = fread(r->buf, 1, RBUF, r->f);
    if (r->len == 0) {
        if (ferror(r->f))
            return lexp__error_set(r->err, LEXP_EIO, shown(r), r->line, 0, NULL,
                                   "cannot read: %s", strerror(errno)),
                   -1;
        r->eof = 1;
        return 0;
    }
    return 1;
}

static int too_long(lexp_rows *r, uint32_t line)
{
    lexp__error_set(r->err, LEXP_ELIMIT, shown(r), (int)line, 1, NULL,
                    "the %s starting here is longer than %u KB, the limit for one row "
                    "(each row of a rows file is read on its own)",
                    r->src->kind == LEXP__ROWS_CSV ? "record" : "line",
                    LEXP_ROWS_MAX_LINE / 1024u);
    return -1;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* The next record into out (a line; in a CSV, line breaks inside quotes
 * belong to the record), blank lines skipped: 1, 0 at the end, -1. */
static int read_record(lexp_rows *r, lexp__sbuf *out, uint32_t *start)
{
    int csv = r->src->kind == LEXP__ROWS_CSV;
    for (;;) {
        out->len = 0;
        *start = r->line;
        int inq = 0, ended = 0;
        while (!ended) {
            if (r->pos == r->len) {
                int k = fill(r);
                if (k < 0)
                    return -1;
                if (k == 0)
                    break;
            }
            const char *p = r->buf + r->pos;
            size_t avail = r->len - r->pos, n;
            if (!csv) {
                const char *nl = memchr(p, '\n', avail);
                n = nl ? (size_t)(nl - p) : avail;
                ended = nl != NULL;
                if (out->len + n > LEXP_ROWS_MAX_LINE)
                    return too_long(r, *start);
                lexp__sbuf_put(out, p, n);
                r->pos += n + (size_t)ended;
            } else {
                for (n = 0; n < avail; n++) {
                    if (p[n] == '"')
                        inq = !inq;
                    else if (p[n] == '\n' && !inq) {
                        ended = 1;
                        break;
                    } else if (p[n] == '\n')
                        r->line++;
                }
                if (out->len + n > LEXP_ROWS_MAX_LINE)
                    return too_long(r, *start);
                lexp__sbuf_put(out, p, n);
                r->pos += n + (size_t)ended;
            }
            if (out->oom)
                return lexp__error_oom(r->err), -1;
        }
        if (ended)
            r->line++;
        else if (inq)
            return lexp__error_set(r->err, LEXP_ESYNTAX, shown(r), (int)*start, 1, NULL,
                                   "a quoted field is not closed before the end of the file"),
                   -1;
        if (out->len && out->ptr[out->len - 1] == '\r')
            out->len--;
        if (!blank(out->ptr, out->len)) {
            lexp__sbuf_cstr(out);
            return 1;
        }
        if (!ended)
            return 0;
    }
}

/* Read the record after the current one into the scratch slot and swap. */
static int advance(lexp_rows *r)
{
    int k = read_record(r, &r->rec[!r->cur], &r->rec_line[!r->cur]);
    if (k < 0)
        return -1;
    r->cur = !r->cur;
    r->have = k;
    return 0;
}

/* ---- errors with a position in a record ---------------------------------------- */

static int fail_at(lexp_rows *r, int code, uint32_t start, const char *text, size_t off,
                   const char *fmt, ...) LEXP_PRINTF(6, 7);

static int fail_at(lexp_rows *r, int code, uint32_t start, const char *text, size_t off,
                   const char *fmt, ...)
{
    int line, col;
    lexp__line_col(text, off, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    lexp__error_vset(r->err, code, shown(r), (int)start + line - 1, col, NULL, fmt, ap);
    va_end(ap);
    return -1;
}

static int check_utf8(lexp_rows *r, const char *s, size_t n, uint32_t start)
{
    size_t bad;
    if (lexp__utf8_valid(s, n, &bad))
        return 0;
    /* the column of a bad byte: count the valid text before it */
    return fail_at(r, LEXP_ESYNTAX, start, s, bad, "invalid UTF-8 (byte 0x%02X); save the file as %s",
                   (unsigned char)s[bad], r->src->kind == LEXP__ROWS_CSV ? "CSV UTF-8" : "UTF-8");
}

/* ---- NDJSON ------------------------------------------------------------------------ */

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    default: return "a value";
    }
}

static int ndjson_row(lexp_rows *r, lexp__arena *A, const char *s, size_t n, uint32_t start,
                      const lexp_value **row)
{
    if (check_utf8(r, s, n, start))
        return -1;
    json_error_t je;
    json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        lexp__error_set(r->err, LEXP_ESYNTAX, shown(r), (int)start, je.column > 0 ? je.column : 1,
                        NULL, "%s", je.text);
        return -1;
    }
    if (!json_is_object(j)) {
        size_t off = 0;
        while (off < n && (s[off] == ' ' || s[off] == '\t'))
            off++;
        fail_at(r, LEXP_EDATA, start, s, off,
                "%s; each line of an NDJSON file must be one JSON object { … }", json_kind(j));
        json_decref(j);
        return -1;
    }
    /* as deep as a row in {"NAME": [row, …]} */
    lexp_value *v = lexp__data_value(A, j, r->list, r->index, 2, shown(r), r->err);
    json_decref(j);
    if (!v) {
        if (r->err && r->err->line == 0)
            r->err->line = (int)start, r->err->column = 1;
        return -1;
    }
    *row = v;
    return 0;
}

/* ---- CSV ------------------------------------------------------------------------------ */

/* The next field of text[*i..n) into r->field (quotes undone); *i moves past
 * it and its separator. 1 if a separator followed. */
static int csv_field(lexp_rows *r, const char *s, size_t n, size_t *i)
{
    lexp__sbuf *f = &r->field;
    f->len = 0;
    size_t k = *i;
    if (k < n && s[k] == '"') {
        k++;
        while (k < n) {
            if (s[k] == '"') {
                if (k + 1 < n && s[k + 1] == '"') {
                    lexp__sbuf_putc(f, '"');
                    k += 2;
                    continue;
                }
                k++;
                break;
            }
            lexp__sbuf_putc(f, s[k++]);
        }
    }
    /* unquoted, or anything after the closing quote: kept, as the ledger reader does */
    while (k < n && s[k] != r->sep)
        lexp__sbuf_putc(f, s[k++]);
    lexp__sbuf_cstr(f);
    int more = k < n;
    *i = k + (size_t)more;
    return more;
}

/* A field that is a plain decimal number: an optional minus, digits with no
 * leading zero, an optional point and digits, at most 15 digits in all (so
 * the double holds it exactly). Codes such as 007 or an 18-digit ID stay text. */
static int csv_number(const char *s, size_t n, double *out, int *real)
{
    size_t i = 0, digits = 0;
    if (i < n && s[i] == '-')
        i++;
    size_t d0 = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    digits = i - d0;
    if (digits == 0 || (digits > 1 && s[d0] == '0'))
        return 0;
    *real = 0;
    if (i < n && s[i] == '.') {
        size_t f0 = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == f0)
            return 0;
        digits += i - f0;
        *real = 1;
    }
    if (i != n || digits > 15)
        return 0;
    *out = strtod(s, NULL);
    if (*out == 0 && !*real)
        *out = 0; /* "-0" is the integer 0, as JSON's -0 loads */
    return 1;
}

/* The record's text as UTF-8: converted from GB18030, or checked. */
static int csv_text(lexp_rows *r, const lexp__sbuf *raw, uint32_t start, const char **s,
                    size_t *n)
{
    if (memchr(raw->ptr, 0, raw->len))
        return fail_at(r, LEXP_ESYNTAX, start, raw->ptr,
                       (size_t)((const char *)memchr(raw->ptr, 0, raw->len) - raw->ptr),
                       "a NUL byte: the file is not CSV text");
    if (r->cd == (iconv_t)-1) {
        if (check_utf8(r, raw->ptr, raw->len, start))
            return -1;
        *s = raw->ptr;
        *n = raw->len;
        return 0;
    }
    lexp__sbuf *c = &r->conv;
    c->len = 0;
    if (lexp__sbuf_grow(c, raw->len * 2 + 16))
        return lexp__error_oom(r->err), -1;
    char *ip = raw->ptr, *op = c->ptr;
    size_t il = raw->len, ol = c->cap - 1;
    iconv(r->cd, NULL, NULL, NULL, NULL);
    if (iconv(r->cd, &ip, &il, &op, &ol) == (size_t)-1) {
        size_t at = (size_t)(ip - raw->ptr);
        /* lines count the same in GB18030; the column counts bytes */
        size_t ls = at;
        while (ls > 0 && raw->ptr[ls - 1] != '\n')
            ls--;
        uint32_t l = start;
        for (size_t k = 0; k < ls; k++)
            l += raw->ptr[k] == '\n';
        lexp__error_set(r->err, LEXP_ESYNTAX, shown(r), (int)l, (int)(at - ls) + 1, NULL,
                        "the file is neither UTF-8 nor GB18030 (byte 0x%02X); save it as CSV "
                        "UTF-8 or CSV (逗号分隔)",
                        (unsigned char)raw->ptr[at]);
        return -1;
    }
    c->len = (size_t)(op - c->ptr);
    c->ptr[c->len] = 0;
    *s = c->ptr;
    *n = c->len;
    return 0;
}

static int csv_header(lexp_rows *r, lexp__arena *A)
{
    uint32_t start;
    int k = read_record(r, &r->rec[0], &start);
    if (k < 0)
        return -1;
    if (k == 0)
        return lexp__error_set(r->err, LEXP_ESYNTAX, shown(r), 1, 1, NULL,
                               "the file is empty; expected a header line naming the fields"),
               -1;
    const lexp__sbuf *raw = &r->rec[0];
    /* the separator: a tab when the header has tabs and no commas (Excel's
     * "Unicode text" and copies from a sheet) */
    r->sep = memchr(raw->ptr, '\t', raw->len) && !memchr(raw->ptr, ',', raw->len) ? '\t' : ',';
    const char *s;
    size_t n;
    if (csv_text(r, raw, start, &s, &n))
        return -1;
    uint32_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += s[i] == r->sep; /* at least the fields; quoted separators only overcount */
    r->keys = lexp__arena_zalloc(A, cap * sizeof *r->keys);
    if (!r->keys)
        return lexp__error_oom(r->err), -1;
    size_t i = 0;
    int more = 1;
    while (more) {
        size_t at = i;
        more = csv_field(r, s, n, &i);
        const char *f = r->field.ptr;
        size_t fl = r->field.len;
        while (fl && (*f == ' ' || *f == '\t'))
            f++, fl--;
        while (fl && (f[fl - 1] == ' ' || f[fl - 1] == '\t'))
            fl--;
        if (fl == 0)
            return fail_at(r, LEXP_ESYNTAX, start, s, at,
                           "column %u of the header has no name; every field needs one",
                           r->nkeys + 1);
        for (uint32_t c = 0; c < r->nkeys; c++)
            if (r->keys[c].klen == fl && memcmp(r->keys[c].key, f, fl) == 0)
                return fail_at(r, LEXP_ESYNTAX, start, s, at,
                               "columns %u and %u of the header are both named \"%.*s\"", c + 1,
                               r->nkeys + 1, (int)fl, f);
        char *key = lexp__arena_strndup(A, f, fl);
        if (!key || r->nkeys == cap)
            return lexp__error_oom(r->err), -1;
        r->keys[r->nkeys].key = key;
        r->keys[r->nkeys].klen = (uint32_t)fl;
        r->nkeys++;
    }
    return 0;
}

static int csv_row(lexp_rows *r, lexp__arena *A, const lexp__sbuf *raw, uint32_t start,
                   const lexp_value **row)
{
    const char *s;
    size_t n;
    if (csv_text(r, raw, start, &s, &n))
        return -1;
    lexp_value *o = lexp__v_obj(A, r->nkeys);
    if (!o)
        return lexp__error_oom(r->err), -1;
    o->parent = r->list;
    o->index = r->index;
    size_t i = 0;
    int more = 1;
    for (uint32_t c = 0; c < r->nkeys; c++) {
        lexp_member *m = &o->u.members[c];
        *m = r->keys[c];
        double num;
        int real;
        lexp_value *v;
        if (!more)
            v = lexp__v_str(A, "", 0); /* a short record: the rest are empty */
        else {
            more = csv_field(r, s, n, &i);
            if (r->field.oom)
                return lexp__error_oom(r->err), -1;
            if (csv_number(r->field.ptr, r->field.len, &num, &real)) {
                if ((v = lexp__v_num(A, num)))
                    v->b = (uint8_t)real;
            } else
                v = lexp__v_strcopy(A, r->field.ptr, r->field.len);
        }
        if (!v)
            return lexp__error_oom(r->err), -1;
        v->parent = o;
        v->index = c;
        m->val = v;
    }
    if (more)
        return fail_at(r, LEXP_EDATA, start, s, i,
                       "this record has more fields than the %u the header names; a value "
                       "holding a comma needs quotes (\"1,5\")",
                       r->nkeys);
    *row = o;
    return 0;
}

/* ---- the reader ------------------------------------------------------------------------- */

int lexp__rows_open(lexp_rows **out, const lexp_rows_src *src, lexp__arena *A, lexp_error *err)
{
    *out = NULL;
    lexp_rows *r = calloc(1, sizeof *r);
    if (!r)
        return lexp__error_oom(err);
    r->src = src;
    r->err = err;
    r->line = 1;
    r->cd = (iconv_t)-1;
    r->buf = malloc(RBUF);
    r->top = lexp__v_obj(A, 1);
    r->list = lexp__v_arr(A, 0);
    if (!r->buf || !r->top || !r->list) {
        lexp__rows_close(r);
        return lexp__error_oom(err);
    }
    r->top->u.members[0] = (lexp_member){src->name, src->nlen, r->list};
    r->list->parent = r->top;
    if (!(r->f = fopen(src->path, "rbe"))) { /* e: close-on-exec */
        int code = lexp__error_set(err, LEXP_EIO, src->path, 0, 0, NULL, "cannot open: %s",
                                   strerror(errno));
        lexp__rows_close(r);
        return code;
    }
    int rc = fill(r) < 0 ? -1 : 0;
    if (rc == 0 && r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
        r->pos = 3; /* a byte order mark, as editors on Windows write */
        r->utf8_bom = 1;
    }
    if (rc == 0 && src->kind == LEXP__ROWS_CSV) {
        const unsigned char *u = (const unsigned char *)r->buf;
        size_t bad;
        if (r->len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
            rc = lexp__error_set(err, LEXP_ESYNTAX, src->path, 1, 1, NULL,
                                 "a UTF-16 file; save it as CSV UTF-8 (lexport import reads "
                                 "UTF-16 ledgers, --rows does not)");
        /* what the first block holds decides, as lx_csv.c decides for the
         * whole file; a character cut at the block's end is not a fault */
        else if (!r->utf8_bom && !lexp__utf8_valid(r->buf, r->len, &bad) &&
                 (r->eof || r->len - bad > 3)) {
            r->cd = iconv_open("UTF-8", "GB18030");
            if (r->cd == (iconv_t)-1)
                rc = lexp__error_set(err, LEXP_EBACKEND, src->path, 0, 0, NULL,
                                     "cannot convert from GB18030: iconv lacks it");
        }
        if (rc == 0)
            rc = csv_header(r, A);
    }
    if (rc == 0)
        rc = advance(r);
    if (rc) {
        lexp__rows_close(r);
        return err && err->code ? err->code : LEXP_ESYNTAX;
    }
    *out = r;
    return 0;
}

int lexp__rows_more(const lexp_rows *r) { return r->have; }

int lexp__rows_next(lexp_rows *r, lexp__arena *A, const lexp_value **row, int *last)
{
    if (r->index == UINT32_MAX)
        return lexp__error_set(r->err, LEXP_ELIMIT, shown(r), (int)r->rec_line[r->cur], 1, NULL,
                               "more than %u rows", UINT32_MAX - 1),
               -1;
    const lexp__sbuf *rec = &r->rec[r->cur];
    uint32_t start = r->rec_line[r->cur];
    r->row_line = start;
    int rc = r->src->kind == LEXP__ROWS_CSV ? csv_row(r, A, rec, start, row)
                                           : ndjson_row(r, A, rec->ptr, rec->len, start, row);
    if (rc == 0)
        rc = advance(r); /* the next record's bytes, for loop.last */
    if (rc)
        return -1;
    r->index++;
    *last = !r->have;
    return 1;
}

uint32_t lexp__rows_line(const lexp_rows *r) { return r->row_line; }

const lexp_value *lexp__rows_top(const lexp_rows *r) { return r->top; }

void lexp__rows_close(lexp_rows *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    if (r->cd != (iconv_t)-1)
        iconv_close(r->cd);
    free(r->buf);
    lexp__sbuf_free(&r->rec[0]);
    lexp__sbuf_free(&r->rec[1]);
    lexp__sbuf_free(&r->conv);
    lexp__sbuf_free(&r->field);
    free(r);
}

/* ---- the data handle's list of files ----------------------------------------------------- */

void lexp__rows_src_free(lexp_data *d)
{
    for (uint32_t i = 0; i < d->nrows; i++) {
        free(d->rows[i].name);
        free(d->rows[i].path);
    }
    free(d->rows);
    d->rows = NULL;
    d->nrows = 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* A name as the template lexer reads one: a letter, _ or a non-ASCII
 * character, then those and digits. */
static int valid_name(const char *s, size_t n)
{
    size_t bad;
    if (n == 0 || n > 64 || !lexp__utf8_valid(s, n, &bad) || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '_' || c >= 0x80))
            return 0;
    }
    return 1;
}

int lexp_data_add_rows_file(lexp_data *data, const char *name, const char *path,
                            lexp_error *err)
{
    lexp_error_clear(err);
    if (!data || !name || !path)
        return lexp__error_set(err, LEXP_EINVAL, path, 0, 0, NULL, "invalid argument");
    size_t nlen = strlen(name);
    if (!valid_name(name, nlen))
        return lexp__error_set(err, LEXP_EINVAL, path, 0, 0, NULL,
                               "\"%s\" is not a name a template can use for rows: letters, "
                               "digits and _, not starting with a digit",
                               name);
    for (uint32_t i = 0; i < data->nrows; i++)
        if (strcmp(data->rows[i].name, name) == 0)
            return lexp__error_set(err, LEXP_EINVAL, path, 0, 0, NULL,
                                   "rows named '%s' are given twice (%s and %s)", name,
                                   data->rows[i].path, path);
    if (lexp__v_get(data->root, name, nlen))
        return lexp__error_set(err, LEXP_EINVAL, path, 0, 0, name,
                               "the data (%s) already has a field '%s'; give the rows another "
                               "name",
                               data->name ? data->name : "data", name);
    int kind = ends_with(path, ".ndjson") || ends_with(path, ".jsonl") ? LEXP__ROWS_NDJSON
               : ends_with(path, ".csv")                              ? LEXP__ROWS_CSV
                                                                      : 0;
    if (!kind)
        return lexp__error_set(err, LEXP_EINVAL, path, 0, 0, NULL,
                               "a rows file is .ndjson or .jsonl (one JSON object a line) or "
                               ".csv (a header line, then one row a line)");
    FILE *f = fopen(path, "rb"); /* read at the loop; a missing file is told now */
    if (!f)
        return lexp__error_set(err, LEXP_EIO, path, 0, 0, NULL, "cannot open: %s",
                               strerror(errno));
    fclose(f);
    lexp_rows_src *rows = realloc(data->rows, (data->nrows + 1) * sizeof *rows);
    if (!rows)
        return lexp__error_oom(err);
    data->rows = rows;
    lexp_rows_src *s = &rows[data->nrows];
    s->name = strdup(name);
    s->path = strdup(path);
    s->nlen = (uint32_t)nlen;
    s->kind = kind;
    if (!s->name || !s->path) {
        free(s->name);
        free(s->path);
        return lexp__error_oom(err);
    }
    data->nrows++;
    return 0;
}
