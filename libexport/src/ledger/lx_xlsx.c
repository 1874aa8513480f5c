/*
 * Reading a workbook (.xlsx, as Excel, WPS, LibreOffice and openpyxl write
 * it): the zip through libzip, each part streamed through libxml2's reader
 * so a large sheet never becomes a tree.
 *
 * Hostile files are refused within bounded time and memory, with the same
 * guards as the office-template reader: entry count, bytes inflated per part
 * and in all (counted as they come: declared sizes can lie), the compression
 * ratio of large parts, DOCTYPE/entity declarations (Office never writes
 * them), element depth, rows, columns and cells. Only the parts a ledger
 * needs are inflated.
 */
#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "../fill/fill.h" /* fx_find_doctype */
#include "ledger.h"

typedef struct {
    lx_book *b;
    zip_t *za;
    uint64_t total; /* bytes inflated so far */
    /* shared strings */
    struct sstr {
        const char *s;
        uint32_t len;
    } * sst;
    size_t nsst, sst_cap;
    /* cell formats: 1 where the number format is a date */
    uint8_t *xf_date;
    size_t nxf;
    int date1904;
} xr;

/* ---- zip parts ------------------------------------------------------------------ */

/* Inflate the entry `name` (NULL data when absent and !required). */
static int read_part(xr *x, const char *name, int required, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    zip_int64_t i = zip_name_locate(x->za, name, ZIP_FL_NOCASE);
    if (i < 0) {
        if (!required)
            return 0;
        return lx_fail(x->b, LEXP_ESYNTAX, NULL,
                       "not a workbook: the package has no %s (is it a .docx or another zip?)",
                       name);
    }
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(x->za, (zip_uint64_t)i, 0, &st) < 0)
        return lx_fail(x->b, LEXP_ESYNTAX, NULL, "entry %s of the workbook is unreadable", name);
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
        return lx_fail(x->b, LEXP_ESYNTAX, NULL,
                       "the workbook is password-protected: save it without a password");
    if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE &&
        st.comp_method != ZIP_CM_DEFLATE)
        return lx_fail(x->b, LEXP_ESYNTAX, NULL,
                       "entry %s uses compression method %d; workbooks use deflate or none",
                       name, (int)st.comp_method);
    if ((st.valid & ZIP_STAT_SIZE) && st.size > LX_MAX_PART)
        return lx_fail(x->b, LEXP_ELIMIT, NULL,
                       "entry %s declares %llu MB; the limit for one part is %u MB", name,
                       (unsigned long long)(st.size >> 20), LX_MAX_PART >> 20);
    uint64_t comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    zip_file_t *zf = zip_fopen_index(x->za, (zip_uint64_t)i, 0);
    if (!zf)
        return lx_fail(x->b, LEXP_ESYNTAX, NULL, "entry %s cannot be read: %s", name,
                       zip_strerror(x->za));
    lexp__sbuf b = LEXP__SBUF_INIT;
    char tmp[65536];
    int rc = 0;
    for (;;) {
        zip_int64_t got = zip_fread(zf, tmp, sizeof tmp);
        if (got < 0) {
            rc = lx_fail(x->b, LEXP_ESYNTAX, NULL,
                         "entry %s is damaged (%s); the file may be truncated", name,
                         zip_error_strerror(zip_file_get_error(zf)));
            break;
        }
        if (got == 0)
            break;
        if (b.len + (size_t)got > LX_MAX_PART) {
            rc = lx_fail(x->b, LEXP_ELIMIT, NULL,
                         "entry %s expands to more than %u MB, the limit for one part", name,
                         LX_MAX_PART >> 20);
            break;
        }
        if (x->total + (uint64_t)got > LX_MAX_TOTAL) {
            rc = lx_fail(x->b, LEXP_ELIMIT, NULL,
                         "the workbook expands to more than %u MB (at %s), the limit",
                         LX_MAX_TOTAL >> 20, name);
            break;
        }
        x->total += (uint64_t)got;
        lexp__sbuf_put(&b, tmp, (size_t)got);
        if (b.oom) {
            rc = lexp__error_oom(x->b->err);
            break;
        }
        if (b.len > LX_RATIO_FLOOR && b.len / (comp ? comp : 1) > LX_MAX_RATIO) {
            rc = lx_fail(x->b, LEXP_ELIMIT, NULL,
                         "entry %s expands more than %d times: refused as a zip bomb", name,
                         LX_MAX_RATIO);
            break;
        }
    }
    zip_fclose(zf);
    if (!rc) {
        lexp__sbuf_cstr(&b);
        if (b.oom)
            rc = lexp__error_oom(x->b->err);
    }
    if (rc) {
        lexp__sbuf_free(&b);
        return rc;
    }
    if (!b.ptr) {
        b.ptr = calloc(1, 1);
        if (!b.ptr)
            return lexp__error_oom(x->b->err);
    }
    const char *dt = fx_find_doctype(b.ptr, b.len);
    if (dt) {
        int line, col;
        lexp__line_col(b.ptr, (size_t)(dt - b.ptr), &line, &col);
        lexp__sbuf_free(&b);
        return lx_fail(x->b, LEXP_ESYNTAX, NULL,
                       "entry %s has a DOCTYPE or ENTITY declaration (XML line %d); workbooks "
                       "never do, and entities can expand without bound",
                       name, line);
    }
    *data = b.ptr;
    *len = b.len;
    return 0;
}

/* ---- XML streaming -------------------------------------------------------------- */

typedef struct {
    xr *x;
    const char *part;
    char msg[256];
} xml_err;

static void on_xml_error(void *arg, xmlErrorPtr e)
{
    xml_err *xe = arg;
    if (xe->msg[0] || !e)
        return;
    snprintf(xe->msg, sizeof xe->msg, "line %d: %s", e->line, e->message ? e->message : "");
    size_t n = strlen(xe->msg);
    while (n && (xe->msg[n - 1] == '\n' || xe->msg[n - 1] == ' '))
        xe->msg[--n] = 0;
}

static xmlTextReaderPtr open_xml(xr *x, xml_err *xe, const char *part, const char *data,
                                 size_t len)
{
    memset(xe, 0, sizeof *xe);
    xe->x = x;
    xe->part = part;
    if (len > INT32_MAX) {
        lx_fail(x->b, LEXP_ELIMIT, NULL, "entry %s is too large", part);
        return NULL;
    }
    /* libxml2 2.9 sets itself up under a lock only in xmlInitParser; left
     * to the reader, threads reading their first workbooks together each
     * built its encoding table (a leak, and messages on stderr) */
    xmlInitParser();
    /* no entity substitution, no DTD loading, no network */
    xmlTextReaderPtr r = xmlReaderForMemory(data, (int)len, part, NULL,
                                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                XML_PARSE_NOWARNING);
    if (!r) {
        lexp__error_oom(x->b->err);
        return NULL;
    }
    xmlTextReaderSetStructuredErrorHandler(r, on_xml_error, xe);
    return r;
}

/* Read entry `part` and open a reader on it. 0 with *r NULL when an
 * optional part is absent; on success the caller frees *data and *r. */
static int open_part(xr *x, const char *part, int required, xml_err *xe, char **data,
                     xmlTextReaderPtr *r)
{
    size_t len;
    *r = NULL;
    int rc = read_part(x, part, required, data, &len);
    if (rc || !*data)
        return rc;
    if (!(*r = open_xml(x, xe, part, *data, len))) {
        free(*data);
        *data = NULL;
        return x->b->err ? x->b->err->code : LEXP_ENOMEM;
    }
    return 0;
}

/* One step; 1 at a node, 0 at the end, negative after an error (reported). */
static int step(xmlTextReaderPtr r, xml_err *xe)
{
    int rc = xmlTextReaderRead(r);
    if (rc < 0)
        return lx_fail(xe->x->b, LEXP_ESYNTAX, NULL, "%s is not well-formed XML (%s)", xe->part,
                       xe->msg[0] ? xe->msg : "unreadable");
    if (rc == 1 && xmlTextReaderDepth(r) > LX_MAX_DEPTH)
        return lx_fail(xe->x->b, LEXP_ELIMIT, NULL,
                       "%s: elements nest more than %d deep; refused", xe->part, LX_MAX_DEPTH);
    return rc;
}

static int is_el(xmlTextReaderPtr r, const char *local)
{
    const xmlChar *n = xmlTextReaderConstLocalName(r);
    return n && strcmp((const char *)n, local) == 0;
}

/* Attribute by local name (any namespace) as a malloc'd string, or NULL. */
static char *attr(xmlTextReaderPtr r, const char *local, int want_prefix)
{
    char *out = NULL;
    if (xmlTextReaderMoveToFirstAttribute(r) != 1)
        return NULL;
    do {
        const xmlChar *ln = xmlTextReaderConstLocalName(r);
        const xmlChar *pf = xmlTextReaderConstPrefix(r);
        if (ln && strcmp((const char *)ln, local) == 0 && (!want_prefix || pf)) {
            const xmlChar *v = xmlTextReaderConstValue(r);
            out = strdup(v ? (const char *)v : "");
            break;
        }
    } while (xmlTextReaderMoveToNextAttribute(r) == 1);
    xmlTextReaderMoveToElement(r);
    return out;
}

static int is_text(int type)
{
    return type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
           type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
           type == XML_READER_TYPE_WHITESPACE;
}

/* ---- relationships, workbook ---------------------------------------------------- */

typedef struct {
    char *id, *target, *type;
} rel;

static void free_rels(rel *rs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rs[i].id);
        free(rs[i].target);
        free(rs[i].type);
    }
    free(rs);
}

static int read_rels(xr *x, const char *part, rel **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    char *data;
    xml_err xe;
    xmlTextReaderPtr r;
    int rc = open_part(x, part, 0, &xe, &data, &r);
    if (rc || !r)
        return rc;
    rel *rs = NULL;
    size_t n = 0, cap = 0;
    while ((rc = step(r, &xe)) == 1) {
        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT || !is_el(r, "Relationship"))
            continue;
        if (n >= LX_MAX_ENTRIES) {
            rc = lx_fail(x->b, LEXP_ELIMIT, NULL, "%s lists more than %d relationships", part,
                         LX_MAX_ENTRIES);
            break;
        }
        if (lexp__grow((void **)&rs, &cap, n + 1, sizeof *rs)) {
            rc = lexp__error_oom(x->b->err);
            break;
        }
        rs[n].id = attr(r, "Id", 0);
        rs[n].target = attr(r, "Target", 0);
        rs[n].type = attr(r, "Type", 0);
        n++;
    }
    xmlFreeTextReader(r);
    free(data);
    if (rc < 0) {
        free_rels(rs, n);
        return rc;
    }
    *out = rs;
    *nout = n;
    return 0;
}

/* Resolve a relationship target against the directory of `base` ("xl/"). */
static char *resolve(const char *dir, const char *target)
{
    if (!target)
        return NULL;
    lexp__sbuf b = LEXP__SBUF_INIT;
    if (target[0] == '/')
        target++;
    else
        lexp__sbuf_puts(&b, dir);
    lexp__sbuf_puts(&b, target);
    lexp__sbuf_cstr(&b);
    if (b.oom) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    /* fold "seg/../" */
    char *s = b.ptr;
    char *p;
    while ((p = strstr(s, "/../")) != NULL) {
        char *q = p;
        while (q > s && q[-1] != '/')
            q--;
        memmove(q, p + 4, strlen(p + 4) + 1);
    }
    return s;
}

/* ---- shared strings and styles -------------------------------------------------- */

static int read_sst(xr *x, const char *part)
{
    char *data;
    xml_err xe;
    xmlTextReaderPtr r;
    int rc = open_part(x, part, 0, &xe, &data, &r);
    if (rc || !r)
        return rc;
    lexp__sbuf cur = LEXP__SBUF_INIT;
    int in_si = 0, in_t = 0, in_rph = 0;
    while ((rc = step(r, &xe)) == 1) {
        int t = xmlTextReaderNodeType(r);
        if (t == XML_READER_TYPE_ELEMENT) {
            int empty = xmlTextReaderIsEmptyElement(r);
            if (is_el(r, "si")) {
                in_si = 1;
                cur.len = 0;
                if (!empty)
                    continue;
            } else if (is_el(r, "t") && in_si && !empty) {
                in_t = 1;
                continue;
            } else if (is_el(r, "rPh") && !empty) {
                in_rph = 1; /* phonetic guides are not the cell's text */
                continue;
            } else {
                continue;
            }
        } else if (t == XML_READER_TYPE_END_ELEMENT) {
            if (is_el(r, "t"))
                in_t = 0;
            else if (is_el(r, "rPh"))
                in_rph = 0;
            if (!is_el(r, "si"))
                continue;
        } else {
            if (is_text(t) && in_t && !in_rph) {
                const xmlChar *v = xmlTextReaderConstValue(r);
                lexp__sbuf_puts(&cur, v ? (const char *)v : "");
                if (cur.len > LX_MAX_CELL) {
                    rc = lx_fail(x->b, LEXP_ELIMIT, NULL,
                                 "a shared string is over %u KB, the limit for one cell",
                                 LX_MAX_CELL / 1024u);
                    break;
                }
            }
            continue;
        }
        /* end of one <si> */
        in_si = 0;
        if (lexp__grow((void **)&x->sst, &x->sst_cap, x->nsst + 1, sizeof *x->sst)) {
            rc = lexp__error_oom(x->b->err);
            break;
        }
        char *s = lexp__arena_strndup(&x->b->arena, cur.ptr ? cur.ptr : "", cur.len);
        if (!s || cur.oom) {
            rc = lexp__error_oom(x->b->err);
            break;
        }
        x->sst[x->nsst].s = s;
        x->sst[x->nsst].len = (uint32_t)cur.len;
        x->nsst++;
    }
    lexp__sbuf_free(&cur);
    xmlFreeTextReader(r);
    free(data);
    return rc < 0 ? rc : 0;
}

/* Excel's built-in date and time formats (ECMA-376 §18.8.30, with the CJK
 * ids 27–36 and 50–58 Excel uses in Chinese locales). */
static int builtin_date(long id)
{
    return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
           (id >= 50 && id <= 58);
}

/* A format code shows a date when it has y, m, d (or 年月日) outside quotes,
 * escapes and [colour] brackets. */
static int code_is_date(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '"') {
            p = strchr(p + 1, '"');
            if (!p)
                return 0;
        } else if (*p == '\\' || *p == '_' || *p == '*') {
            if (!p[1])
                return 0;
            p++;
        } else if (*p == '[') {
            const char *q = strchr(p, ']');
            if (!q)
                return 0;
            p = q;
        } else if (*p == 'y' || *p == 'Y' || *p == 'd' || *p == 'D' || *p == 'm' || *p == 'M') {
            return 1;
        } else if (*p == ';') {
            return 0; /* only the first section decides */
        }
    }
    return strstr(s, "年") || strstr(s, "月") || strstr(s, "日");
}

static int read_styles(xr *x, const char *part)
{
    char *data;
    xml_err xe;
    xmlTextReaderPtr r;
    int rc = open_part(x, part, 0, &xe, &data, &r);
    if (rc || !r)
        return rc;
    /* custom formats that are dates, by id */
    long *dates = NULL;
    size_t nd = 0, capd = 0, capx = 0;
    int in_xfs = 0;
    while ((rc = step(r, &xe)) == 1) {
        int t = xmlTextReaderNodeType(r);
        if (t == XML_READER_TYPE_END_ELEMENT && is_el(r, "cellXfs"))
            in_xfs = 0;
        if (t != XML_READER_TYPE_ELEMENT)
            continue;
        if (is_el(r, "cellXfs")) {
            in_xfs = !xmlTextReaderIsEmptyElement(r);
        } else if (is_el(r, "numFmt")) {
            char *id = attr(r, "numFmtId", 0), *code = attr(r, "formatCode", 0);
            if (id && code && code_is_date(code) && nd < 65536) {
                if (lexp__grow((void **)&dates, &capd, nd + 1, sizeof *dates) == 0)
                    dates[nd++] = strtol(id, NULL, 10);
            }
            free(id);
            free(code);
        } else if (is_el(r, "xf") && in_xfs) {
            if (x->nxf >= 65536) {
                rc = lx_fail(x->b, LEXP_ELIMIT, NULL, "%s has more than 65536 cell formats",
                             part);
                break;
            }
            char *id = attr(r, "numFmtId", 0);
            long v = id ? strtol(id, NULL, 10) : 0;
            free(id);
            int isdate = builtin_date(v);
            for (size_t i = 0; i < nd && !isdate; i++)
                isdate = dates[i] == v;
            if (lexp__grow((void **)&x->xf_date, &capx, x->nxf + 1, 1)) {
                rc = lexp__error_oom(x->b->err);
                break;
            }
            x->xf_date[x->nxf++] = (uint8_t)isdate;
        }
    }
    free(dates);
    xmlFreeTextReader(r);
    free(data);
    return rc < 0 ? rc : 0;
}

/* ---- a worksheet ---------------------------------------------------------------- */

static int put_cell(xr *x, lx_sheet *s, uint32_t row, uint32_t col, const char *type,
                    long style, const char *text, size_t tlen, int is_inline)
{
    lx_book *b = x->b;
    char where[300];
    if (tlen == 0)
        return 0; /* formatted but empty: not a value */
    if (tlen > LX_MAX_CELL) {
        lx_where(where, sizeof where, s, col, row);
        return lx_fail(b, LEXP_ELIMIT, where, "a cell of over %u KB, the limit",
                       LX_MAX_CELL / 1024u);
    }
    lx_row *w = lx_sheet_row(b, s, row);
    lx_cell *c = w ? lx_row_cell(b, w, col) : NULL;
    if (!c)
        return b->err ? b->err->code : LEXP_ENOMEM;
    if (is_inline || (type && (strcmp(type, "str") == 0 || strcmp(type, "d") == 0))) {
        c->type = LC_STR;
        c->s = lexp__arena_strndup(&b->arena, text, tlen);
        c->len = (uint32_t)tlen;
    } else if (type && strcmp(type, "s") == 0) {
        char *end;
        unsigned long i = strtoul(text, &end, 10);
        if (end == text || *end || i >= x->nsst) {
            lx_where(where, sizeof where, s, col, row);
            return lx_fail(b, LEXP_ESYNTAX, where,
                           "the cell refers to shared string %s, which the workbook lacks", text);
        }
        c->type = LC_STR;
        c->s = x->sst[i].s;
        c->len = x->sst[i].len;
        return 0;
    } else if (type && strcmp(type, "b") == 0) {
        c->type = LC_BOOL;
        c->num = text[0] == '1';
        return 0;
    } else if (type && strcmp(type, "e") == 0) {
        c->type = LC_ERR;
        c->s = lexp__arena_strndup(&b->arena, text, tlen);
        c->len = (uint32_t)tlen;
    } else {
        char *end;
        double v = strtod(text, &end);
        if (end == text || *end) {
            lx_where(where, sizeof where, s, col, row);
            return lx_fail(b, LEXP_ESYNTAX, where, "a number cell holds \"%.40s\"", text);
        }
        c->type = LC_NUM;
        c->num = v;
        c->date = style >= 0 && (size_t)style < x->nxf && x->xf_date[style];
        if (c->date && x->date1904)
            c->num += 1462; /* the 1904 system counts from 1904-01-01 */
        return 0;
    }
    if (!c->s)
        return lexp__error_oom(b->err);
    return 0;
}

typedef struct {
    uint32_t r0, c0, r1, c1;
} range;

/* Give every cell of a merged area the value of its top-left cell, in rows
 * that have values: a date merged over a day's rows belongs to each, and a
 * header merged over two header rows is found in the lower one. */
static int fill_merges(xr *x, lx_sheet *s, const range *m, size_t nm)
{
    size_t work = 0; /* cells visited, bounded like cells stored */
    for (size_t i = 0; i < nm; i++) {
        const lx_cell *tl = lx_cell_at(s, m[i].r0, m[i].c0);
        if (!tl || m[i].r1 == m[i].r0)
            continue; /* across one row only: nothing belongs to the other columns */
        lx_cell v = *tl;
        uint32_t c1 = m[i].c1 < LX_MAX_COLS ? m[i].c1 : LX_MAX_COLS;
        size_t lo = 0, hi = s->nrows;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->rows[mid].r < m[i].r0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < s->nrows && s->rows[k].r <= m[i].r1; k++) {
            lx_row *w = &s->rows[k];
            if (c1 >= m[i].c0 && (work += c1 - m[i].c0 + 1) > LX_MAX_CELLS)
                return lx_fail(x->b, LEXP_ELIMIT, s->name,
                               "merged areas cover more than %u cells, the limit",
                               (unsigned)LX_MAX_CELLS);
            for (uint32_t c = m[i].c0; c <= c1; c++) {
                if (c == m[i].c0 && w->r == m[i].r0)
                    continue;
                lx_cell *d = lx_row_cell(x->b, w, c);
                if (!d)
                    return x->b->err ? x->b->err->code : LEXP_ENOMEM;
                if (d->type == LC_EMPTY)
                    *d = v;
            }
        }
    }
    return 0;
}

static int read_sheet(xr *x, lx_sheet *s, const char *part)
{
    char *data;
    xml_err xe;
    xmlTextReaderPtr r;
    int rc = open_part(x, part, 1, &xe, &data, &r);
    if (rc || !r)
        return rc;
    lexp__sbuf text = LEXP__SBUF_INIT;
    range *merges = NULL;
    size_t nm = 0, capm = 0;
    uint32_t row = 0, col = 0;
    char *ctype = NULL;
    long style = -1;
    int in_c = 0, in_v = 0, in_t = 0, in_rph = 0, is_inline = 0;
    while ((rc = step(r, &xe)) == 1) {
        int t = xmlTextReaderNodeType(r);
        if (t == XML_READER_TYPE_ELEMENT) {
            int empty = xmlTextReaderIsEmptyElement(r);
            if (is_el(r, "row")) {
                char *rs = attr(r, "r", 0);
                uint32_t n = rs ? (uint32_t)strtoul(rs, NULL, 10) : row + 1;
                free(rs);
                if (n < 1 || n > 1048576) {
                    rc = lx_fail(x->b, LEXP_ESYNTAX, s->name, "%s: a row numbered %u", part,
                                 (unsigned)n);
                    break;
                }
                row = n;
                col = 0;
            } else if (is_el(r, "c")) {
                char *ref = attr(r, "r", 0);
                uint32_t cc, rr;
                if (ref && lx_parse_ref(ref, &cc, &rr)) {
                    col = cc;
                    row = rr;
                } else {
                    col++;
                }
                free(ref);
                free(ctype);
                ctype = attr(r, "t", 0);
                char *st = attr(r, "s", 0);
                style = st ? strtol(st, NULL, 10) : -1;
                free(st);
                text.len = 0;
                is_inline = ctype && strcmp(ctype, "inlineStr") == 0;
                in_c = !empty;
            } else if (in_c && is_el(r, "v") && !empty) {
                in_v = 1;
            } else if (in_c && is_el(r, "t") && !empty) {
                in_t = 1;
            } else if (in_c && is_el(r, "rPh") && !empty) {
                in_rph = 1;
            } else if (is_el(r, "mergeCell")) {
                char *ref = attr(r, "ref", 0);
                char *colon = ref ? strchr(ref, ':') : NULL;
                range m;
                if (colon) {
                    *colon = 0;
                    if (lx_parse_ref(ref, &m.c0, &m.r0) && lx_parse_ref(colon + 1, &m.c1, &m.r1) &&
                        m.r0 <= m.r1 && m.c0 <= m.c1) {
                        if (nm >= LX_MAX_MERGES)
                            rc = lx_fail(x->b, LEXP_ELIMIT, s->name,
                                         "more than %d merged areas in one sheet",
                                         LX_MAX_MERGES);
                        else if (lexp__grow((void **)&merges, &capm, nm + 1, sizeof *merges))
                            rc = lexp__error_oom(x->b->err);
                        else
                            merges[nm++] = m;
                    }
                }
                free(ref);
                if (rc < 0) /* rc is the reader's 1 unless an error replaced it */
                    break;
            }
        } else if (t == XML_READER_TYPE_END_ELEMENT) {
            if (is_el(r, "v"))
                in_v = 0;
            else if (is_el(r, "t"))
                in_t = 0;
            else if (is_el(r, "rPh"))
                in_rph = 0;
            else if (is_el(r, "c") && in_c) {
                in_c = 0;
                lexp__sbuf_cstr(&text);
                if (text.oom) {
                    rc = lexp__error_oom(x->b->err);
                    break;
                }
                /* an inline string's text is in <is>; a formula's cached
                 * value in <v> */
                rc = put_cell(x, s, row, col, ctype, style, text.ptr ? text.ptr : "", text.len,
                              is_inline);
                if (rc)
                    break;
            }
        } else if (is_text(t) && in_c &&
                   ((in_v && !is_inline) || (in_t && is_inline && !in_rph))) {
            const xmlChar *v = xmlTextReaderConstValue(r);
            lexp__sbuf_puts(&text, v ? (const char *)v : "");
            if (text.len > LX_MAX_CELL) {
                char where[300];
                lx_where(where, sizeof where, s, col, row);
                rc = lx_fail(x->b, LEXP_ELIMIT, where, "a cell of over %u KB, the limit",
                             LX_MAX_CELL / 1024u);
                break;
            }
        }
    }
    free(ctype);
    lexp__sbuf_free(&text);
    xmlFreeTextReader(r);
    free(data);
    if (rc >= 0) {
        rc = 0;
        lx_sheet_finish(s);
        rc = fill_merges(x, s, merges, nm);
    }
    free(merges);
    return rc;
}

/* ---- the workbook --------------------------------------------------------------- */

static int read_workbook(xr *x)
{
    /* the main part, from the package relationships */
    rel *prs;
    size_t npr;
    int rc = read_rels(x, "_rels/.rels", &prs, &npr);
    if (rc)
        return rc;
    char *wb = NULL;
    for (size_t i = 0; i < npr && !wb; i++)
        if (prs[i].type && prs[i].target && strstr(prs[i].type, "/officeDocument"))
            wb = resolve("", prs[i].target);
    free_rels(prs, npr);
    if (!wb && !(wb = strdup("xl/workbook.xml")))
        return lexp__error_oom(x->b->err);
    /* its directory and relationships */
    char *slash = strrchr(wb, '/');
    size_t dl = slash ? (size_t)(slash - wb + 1) : 0;
    char dir[512], relpath[600];
    if (dl >= sizeof dir) {
        free(wb);
        return lx_fail(x->b, LEXP_ESYNTAX, NULL, "the workbook part's name is too long");
    }
    memcpy(dir, wb, dl);
    dir[dl] = 0;
    snprintf(relpath, sizeof relpath, "%s_rels/%s.rels", dir, wb + dl);
    rel *rs;
    size_t nr;
    if ((rc = read_rels(x, relpath, &rs, &nr))) {
        free(wb);
        return rc;
    }
    for (size_t i = 0; i < nr && rc == 0; i++) {
        if (!rs[i].type || !rs[i].target)
            continue;
        const char *ty = strrchr(rs[i].type, '/');
        char *p = NULL;
        if (ty && strcmp(ty, "/sharedStrings") == 0 && !x->nsst) {
            if (!(p = resolve(dir, rs[i].target)))
                rc = lexp__error_oom(x->b->err);
            else
                rc = read_sst(x, p);
        } else if (ty && strcmp(ty, "/styles") == 0 && !x->nxf) {
            if (!(p = resolve(dir, rs[i].target)))
                rc = lexp__error_oom(x->b->err);
            else
                rc = read_styles(x, p);
        }
        free(p);
    }
    char *data = NULL;
    xml_err xe;
    xmlTextReaderPtr r = NULL;
    if (!rc)
        rc = open_part(x, wb, 1, &xe, &data, &r);
    int sheets = 0;
    while (rc == 0 || rc == 1) {
        if ((rc = step(r, &xe)) != 1)
            break;
        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
            continue;
        if (is_el(r, "workbookPr")) {
            char *d = attr(r, "date1904", 0);
            x->date1904 = d && (strcmp(d, "1") == 0 || strcasecmp(d, "true") == 0);
            free(d);
            continue;
        }
        if (!is_el(r, "sheet"))
            continue;
        char *name = attr(r, "name", 0), *id = attr(r, "id", 1), *state = attr(r, "state", 0);
        const char *target = NULL;
        for (size_t i = 0; i < nr && id; i++)
            if (rs[i].id && strcmp(rs[i].id, id) == 0)
                target = rs[i].target;
        int hidden = state && strcmp(state, "visible") != 0;
        char *p = target ? resolve(dir, target) : NULL;
        sheets++;
        /* hidden sheets hold lookup lists, not the office's records */
        if (name && p && !hidden) {
            lx_sheet *s = lx_book_add(x->b, name, strlen(name));
            rc = s ? read_sheet(x, s, p) : (x->b->err ? x->b->err->code : LEXP_ENOMEM);
        } else if (!hidden && name && target && !p) {
            rc = lexp__error_oom(x->b->err);
        }
        free(p);
        free(name);
        free(id);
        free(state);
        if (rc)
            break;
        rc = 1;
    }
    if (rc == 0 && sheets == 0)
        rc = lx_fail(x->b, LEXP_ESYNTAX, NULL, "the workbook lists no sheets");
    if (r)
        xmlFreeTextReader(r);
    free(data);
    free_rels(rs, nr);
    free(wb);
    return rc < 0 ? rc : 0;
}

int lx_read_xlsx(lx_book *b, const void *bytes, size_t size)
{
    const unsigned char *u = bytes;
    static const unsigned char ole[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    if (size >= 8 && memcmp(u, ole, 8) == 0)
        return lx_fail(b, LEXP_ESYNTAX, NULL,
                       "this is an old .xls/.et workbook or a password-protected one; save it "
                       "as .xlsx (Excel 工作簿) without a password");
    if (size < 4 || u[0] != 'P' || u[1] != 'K')
        return lx_fail(b, LEXP_ESYNTAX, NULL,
                       "not a workbook: an .xlsx file is a zip package (is the file damaged, "
                       "or a CSV named .xlsx?)");
    if (size > LX_MAX_FILE)
        return lx_fail(b, LEXP_ELIMIT, NULL, "the workbook is %zu MB; the limit is %u MB",
                       size >> 20, LX_MAX_FILE >> 20);
    xr x;
    memset(&x, 0, sizeof x);
    x.b = b;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(bytes, size, 0, &ze);
    if (!src) {
        zip_error_fini(&ze);
        return lexp__error_oom(b->err);
    }
    x.za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!x.za) {
        int rc = lx_fail(b, LEXP_ESYNTAX, NULL, "the workbook's zip is damaged or truncated (%s)",
                         zip_error_strerror(&ze));
        zip_error_fini(&ze);
        zip_source_free(src);
        return rc;
    }
    zip_error_fini(&ze);
    int rc = 0;
    zip_int64_t n = zip_get_num_entries(x.za, 0);
    if (n > LX_MAX_ENTRIES)
        rc = lx_fail(b, LEXP_ELIMIT, NULL,
                     "the workbook has %lld entries; the limit is %d (workbooks have a few "
                     "dozen)",
                     (long long)n, LX_MAX_ENTRIES);
    if (!rc)
        rc = read_workbook(&x);
    zip_discard(x.za);
    free(x.sst);
    free(x.xf_date);
    return rc;
}
