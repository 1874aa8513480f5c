/*
 * SpreadsheetML writer, first half: formats, worksheets and their cells
 * (see xlsx_write.h). The package around them is xlsx_package.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xlsx_write_int.h"

/* sheetData XML held before a streaming sheet deflates it to its file */
#define SPOOL_CHUNK (256u * 1024u)
/* zlib level of streamed sheets: on the 1,000,000-row benchmark level 3
 * is as small as libxlsxwriter's level 6 was (34 MB) in less than half the
 * time (3.1 s against 7.1); level 1 is no faster and 30 % larger */
#define SPOOL_LEVEL 3
#define DEFLATE_LEVEL 1 /* libdeflate, the other parts */

int lexp__xw_fail(lexp_error *err, const char *what)
{
    return lexp__error_set(err, LEXP_EBACKEND, NULL, 0, 0, NULL, "xlsx: %s", what);
}

static int oom(lexp_error *err) { return lexp__error_oom(err); }

static char *dup_or_null(const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *bad = 1;
    return d;
}

/* ---- numbers, references ------------------------------------------------ */

static void put_u64(lexp__sbuf *b, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (lexp__sbuf_grow(b, (size_t)n))
        return;
    for (int i = 0; i < n; i++)
        b->ptr[b->len + (size_t)i] = tmp[n - 1 - i];
    b->len += (size_t)n;
}

/* A value exactly as the double it is: integers as digits, others in the
 * fewest of 15..17 significant digits that read back the same. */
void lexp__xw_num(lexp__sbuf *b, double v)
{
    if (!isfinite(v)) /* no cell holds one (the book writes such values as text); a
                       * chart's cached value is then 0 rather than invalid XML */
        v = 0;
    if (v == 0) {
        lexp__sbuf_putc(b, '0');
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        if (v < 0)
            lexp__sbuf_putc(b, '-');
        put_u64(b, (uint64_t)fabs(v));
        return;
    }
    char tmp[40];
    for (int p = 15; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*g", p, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    lexp__sbuf_puts(b, tmp);
}

void lexp__xw_col_name(char *dst, int col)
{
    char tmp[4];
    int n = 0;
    unsigned c = (unsigned)col + 1;
    while (c && n < 3) {
        unsigned m = (c - 1) % 26;
        tmp[n++] = (char)('A' + m);
        c = (c - 1) / 26;
    }
    for (int i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    dst[n] = 0;
}

static void put_cell_ref(lexp__sbuf *b, uint32_t r, int c, int abs)
{
    char col[4];
    lexp__xw_col_name(col, c);
    if (abs)
        lexp__sbuf_putc(b, '$');
    lexp__sbuf_puts(b, col);
    if (abs)
        lexp__sbuf_putc(b, '$');
    put_u64(b, (uint64_t)r + 1);
}

static void put_range(lexp__sbuf *b, uint32_t r1, int c1, uint32_t r2, int c2, int abs)
{
    put_cell_ref(b, r1, c1, abs);
    if (r1 != r2 || c1 != c2) {
        lexp__sbuf_putc(b, ':');
        put_cell_ref(b, r2, c2, abs);
    }
}

/* 'Sheet name'!  — quotes doubled inside */
static void put_sheet_prefix(lexp__sbuf *b, const char *sheet)
{
    lexp__sbuf_putc(b, '\'');
    for (const char *p = sheet; *p; p++) {
        if (*p == '\'')
            lexp__sbuf_putc(b, '\'');
        lexp__sbuf_putc(b, *p);
    }
    lexp__sbuf_puts(b, "'!");
}

void lexp__xw_ref(lexp__sbuf *b, const char *sheet, uint32_t r1, int c1, uint32_t r2, int c2)
{
    put_sheet_prefix(b, sheet);
    put_range(b, r1, c1, r2, c2, 1);
}

/* ---- parts ---------------------------------------------------------------- */

int lexp__xw_part(lexp__xw *w, xw_part *p, const char *name, const void *data, size_t n)
{
    memset(p, 0, sizeof *p);
    if (!(p->name = strdup(name)))
        return -1;
    if (lexp__deflater_deflate(w->dfl, data, n, &p->comp, &p->comp_len)) {
        free(p->name);
        p->name = NULL;
        return -1;
    }
    p->size = n;
    p->crc = lexp__crc32(0, data, n);
    return 0;
}

void lexp__xw_part_free(xw_part *p)
{
    free(p->name);
    free(p->comp);
    memset(p, 0, sizeof *p);
}

/* ---- the workbook ---------------------------------------------------------- */

int lexp__xw_new(lexp__xw **out, const lexp__xwprops *p, lexp_error *err)
{
    *out = NULL;
    lexp__xw *w = calloc(1, sizeof *w);
    if (!w)
        return oom(err);
    int bad = 0;
    w->p = *p;
    w->title = dup_or_null(p->title, &bad);
    w->subject = dup_or_null(p->subject, &bad);
    w->author = dup_or_null(p->author, &bad);
    w->keywords = dup_or_null(p->keywords, &bad);
    w->created = dup_or_null(p->created ? p->created : "1980-01-01T00:00:00Z", &bad);
    w->tmpdir = dup_or_null(p->tmpdir ? p->tmpdir : "/tmp", &bad);
    w->dfl = lexp__deflater_new(DEFLATE_LEVEL);
    /* format 0: the default font, no fill, no border */
    xw_font f0 = {0, 0, 11, 0};
    w->fonts = malloc(8 * sizeof *w->fonts);
    w->fills = malloc(8 * sizeof *w->fills);
    w->xfs = malloc(16 * sizeof *w->xfs);
    if (bad || !w->dfl || !w->fonts || !w->fills || !w->xfs) {
        lexp__xw_free(w);
        return oom(err);
    }
    w->fonts[0] = f0;
    w->nfonts = 1;
    w->capfonts = 8;
    w->fills[0] = w->fills[1] = 0;
    w->nfills = 2;
    w->capfills = 8;
    memset(&w->xfs[0], 0, sizeof w->xfs[0]);
    w->nxfs = 1;
    w->capxfs = 16;
    *out = w;
    return 0;
}

static void sheet_free(lexp__xws *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->cells);
    lexp__sbuf_free(&s->rowbuf);
    lexp__sbuf_free(&s->data);
    lexp__zspool_free(&s->sp);
    free(s->colw);
    lexp__sbuf_free(&s->merges);
    free(s->footer);
    lexp__sbuf_free(&s->anchors);
    lexp__sbuf_free(&s->chart_at);
    lexp__xw_part_free(&s->part);
    free((void *)s->head.comp);
    free((void *)s->tail.comp);
    free(s);
}

void lexp__xw_free(lexp__xw *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nsheets; i++)
        sheet_free(w->sheets[i]);
    free(w->sheets);
    for (int i = 0; i < w->ncharts; i++)
        lexp__sbuf_free(&w->charts[i]);
    free(w->charts);
    for (size_t i = 0; i < w->nnumfmts; i++)
        free(w->numfmts[i]);
    free(w->numfmts);
    free(w->fonts);
    free(w->fills);
    free(w->xfs);
    free(w->title);
    free(w->subject);
    free(w->author);
    free(w->keywords);
    free(w->created);
    free(w->tmpdir);
    lexp__deflater_free(w->dfl);
    free(w);
}

/* ---- formats ----------------------------------------------------------------- */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

static int font_index(lexp__xw *w, const xw_font *f)
{
    for (size_t i = 0; i < w->nfonts; i++) {
        const xw_font *e = &w->fonts[i];
        if (e->bold == f->bold && e->italic == f->italic && e->size == f->size &&
            e->color == f->color)
            return (int)i;
    }
    if (grow((void **)&w->fonts, &w->capfonts, w->nfonts, sizeof *w->fonts))
        return -1;
    w->fonts[w->nfonts] = *f;
    return (int)w->nfonts++;
}

static int fill_index(lexp__xw *w, uint32_t fill)
{
    if (!fill)
        return 0;
    for (size_t i = 2; i < w->nfills; i++)
        if (w->fills[i] == fill)
            return (int)i;
    if (grow((void **)&w->fills, &w->capfills, w->nfills, sizeof *w->fills))
        return -1;
    w->fills[w->nfills] = fill;
    return (int)w->nfills++;
}

static int numfmt_id(lexp__xw *w, const char *code)
{
    if (!code || !*code)
        return 0;
    for (size_t i = 0; i < w->nnumfmts; i++)
        if (strcmp(w->numfmts[i], code) == 0)
            return 164 + (int)i;
    if (grow((void **)&w->numfmts, &w->capnumfmts, w->nnumfmts, sizeof *w->numfmts))
        return -1;
    if (!(w->numfmts[w->nnumfmts] = strdup(code)))
        return -1;
    return 164 + (int)w->nnumfmts++;
}

int lexp__xw_format(lexp__xw *w, const lexp__xwfmt *f)
{
    xw_font font = {f->bold ? 1 : 0, f->italic ? 1 : 0, f->size ? f->size : 11, f->color};
    xw_xf x;
    memset(&x, 0, sizeof x);
    x.font = font_index(w, &font);
    x.fill = fill_index(w, f->fill);
    x.border = f->border ? 1 : 0;
    x.numfmt = numfmt_id(w, f->numfmt);
    x.halign = f->halign;
    x.vcenter = f->vcenter ? 1 : 0;
    x.wrap = f->wrap ? 1 : 0;
    if (x.font < 0 || x.fill < 0 || x.numfmt < 0)
        return -1;
    for (size_t i = 0; i < w->nxfs; i++)
        if (memcmp(&w->xfs[i], &x, sizeof x) == 0)
            return (int)i;
    if (grow((void **)&w->xfs, &w->capxfs, w->nxfs, sizeof *w->xfs))
        return -1;
    w->xfs[w->nxfs] = x;
    return (int)w->nxfs++;
}

/* ---- worksheets -------------------------------------------------------------- */

int lexp__xw_sheet(lexp__xw *w, const char *name, lexp__xws **out, lexp_error *err)
{
    *out = NULL;
    if (w->open && !w->open->ended)
        return lexp__xw_fail(err, "the previous worksheet was not finished");
    if (grow((void **)&w->sheets, &w->capsheets, w->nsheets, sizeof *w->sheets))
        return oom(err);
    lexp__xws *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name))) {
        free(s);
        return oom(err);
    }
    s->w = w;
    s->index = (int)w->nsheets + 1;
    w->sheets[w->nsheets++] = s;
    w->open = s;
    *out = s;
    return 0;
}

/* Deflate what sheetData holds into the sheet's scratch file; `flush`:
 * the last of it, ending byte-aligned for the tail to follow. */
static int spool(lexp__xws *s, int flush, lexp_error *err)
{
    int rc = 0;
    if (!s->sp.f && (rc = lexp__zspool_open(&s->sp, s->w->tmpdir, SPOOL_LEVEL, "xlsx", err)))
        return rc;
    rc = lexp__zspool_put(&s->sp, s->data.ptr, s->data.len,
                          flush ? LEXP_ZSPOOL_SYNC : LEXP_ZSPOOL_MORE, err);
    s->data.len = 0;
    return rc;
}

static int flush_row(lexp__xws *s, lexp_error *err)
{
    if (!s->have_row)
        return 0;
    lexp__sbuf *d = &s->data;
    /* cells come in column order almost always: an insertion sort */
    for (size_t i = 1; i < s->ncells; i++) {
        xw_cell c = s->cells[i];
        size_t j = i;
        while (j > 0 && s->cells[j - 1].col > c.col) {
            s->cells[j] = s->cells[j - 1];
            j--;
        }
        s->cells[j] = c;
    }
    size_t before = d->len;
    lexp__sbuf_puts(d, "<row r=\"");
    put_u64(d, (uint64_t)s->row + 1);
    lexp__sbuf_putc(d, '"');
    if (s->height > 0) {
        lexp__sbuf_puts(d, " ht=\"");
        lexp__xw_num(d, s->height);
        lexp__sbuf_puts(d, "\" customHeight=\"1\"");
    }
    if (!s->ncells) {
        lexp__sbuf_puts(d, "/>");
    } else {
        lexp__sbuf_putc(d, '>');
        for (size_t i = 0; i < s->ncells; i++) {
            const xw_cell *c = &s->cells[i];
            lexp__sbuf_puts(d, "<c r=\"");
            put_cell_ref(d, s->row, c->col, 0);
            lexp__sbuf_putc(d, '"');
            lexp__sbuf_put(d, s->rowbuf.ptr + c->off, c->len);
        }
        lexp__sbuf_puts(d, "</row>");
    }
    s->data_len += d->len - before;
    if (d->oom || s->rowbuf.oom)
        return oom(err);
    s->have_row = 0;
    s->ncells = 0;
    s->rowbuf.len = 0;
    s->height = 0;
    s->row++; /* rows before this are closed */
    if (s->w->p.stream && d->len >= SPOOL_CHUNK)
        return spool(s, 0, err);
    return 0;
}

/* Make row r the current one. */
static int to_row(lexp__xws *s, uint32_t r, lexp_error *err)
{
    if (s->ended)
        return lexp__xw_fail(err, "the worksheet is finished");
    if (s->have_row && r == s->row)
        return 0;
    if (r < s->row)
        return lexp__xw_fail(err, "a row was written after a later one");
    int rc = flush_row(s, err);
    if (rc)
        return rc;
    s->row = r;
    s->have_row = 1;
    return 0;
}

/* Start a cell: row r current, the cell's XML to follow in rowbuf. */
static int cell_begin(lexp__xws *s, uint32_t r, int c, int style, size_t *off, lexp_error *err)
{
    if (c < 0 || c >= 16384 || r >= 1048576u)
        return lexp__xw_fail(err, "a cell outside the worksheet");
    int rc = to_row(s, r, err);
    if (rc)
        return rc;
    *off = s->rowbuf.len;
    if (!s->any) {
        s->any = 1;
        s->r0 = s->r1 = r;
        s->c0 = s->c1 = c;
    } else {
        if (r > s->r1)
            s->r1 = r;
        if (c < s->c0)
            s->c0 = c;
        if (c > s->c1)
            s->c1 = c;
    }
    if (style > 0) {
        lexp__sbuf_puts(&s->rowbuf, " s=\"");
        put_u64(&s->rowbuf, (uint64_t)style);
        lexp__sbuf_putc(&s->rowbuf, '"');
    }
    return 0;
}

static int cell_end(lexp__xws *s, int c, size_t off, lexp_error *err)
{
    if (s->rowbuf.oom)
        return oom(err);
    size_t len = s->rowbuf.len - off;
    /* a cell written again replaces the earlier one */
    if (s->ncells && s->cells[s->ncells - 1].col >= c)
        for (size_t i = s->ncells; i-- > 0;)
            if (s->cells[i].col == c) {
                s->cells[i].off = off;
                s->cells[i].len = len;
                return 0;
            }
    if (grow((void **)&s->cells, &s->capcells, s->ncells, sizeof *s->cells))
        return oom(err);
    s->cells[s->ncells].col = c;
    s->cells[s->ncells].off = off;
    s->cells[s->ncells].len = len;
    s->ncells++;
    return 0;
}

static void put_t(lexp__sbuf *b, const char *t, size_t n)
{
    int keep = n && (t[0] == ' ' || t[0] == '\t' || t[0] == '\n' || t[0] == '\r' ||
                     t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\n' ||
                     t[n - 1] == '\r');
    lexp__sbuf_puts(b, keep ? "<t xml:space=\"preserve\">" : "<t>");
    lexp__sbuf_put_xml(b, t, n);
    lexp__sbuf_puts(b, "</t>");
}

int lexp__xws_string(lexp__xws *s, uint32_t r, int c, const char *text, int style,
                     lexp_error *err)
{
    size_t off = 0;
    int rc = cell_begin(s, r, c, style, &off, err);
    if (rc)
        return rc;
    lexp__sbuf_puts(&s->rowbuf, " t=\"inlineStr\"><is>");
    put_t(&s->rowbuf, text, strlen(text));
    lexp__sbuf_puts(&s->rowbuf, "</is></c>");
    return cell_end(s, c, off, err);
}

static void put_rpr(lexp__sbuf *b, const lexp__xwfrag *f)
{
    lexp__sbuf_puts(b, "<rPr>");
    if (f->bold)
        lexp__sbuf_puts(b, "<b/>");
    if (f->italic)
        lexp__sbuf_puts(b, "<i/>");
    lexp__sbuf_puts(b, "<sz val=\"11\"/>");
    if (f->color & LEXP__XW_SET)
        lexp__sbuf_printf(b, "<color rgb=\"FF%06X\"/>", (unsigned)(f->color & 0xFFFFFF));
    lexp__sbuf_puts(b, "<rFont val=\"Calibri\"/><family val=\"2\"/></rPr>");
}

int lexp__xws_rich(lexp__xws *s, uint32_t r, int c, const lexp__xwfrag *frags, int n,
                   int style, lexp_error *err)
{
    size_t off = 0;
    int rc = cell_begin(s, r, c, style, &off, err);
    if (rc)
        return rc;
    lexp__sbuf_puts(&s->rowbuf, " t=\"inlineStr\"><is>");
    for (int i = 0; i < n; i++) {
        lexp__sbuf_puts(&s->rowbuf, "<r>");
        put_rpr(&s->rowbuf, &frags[i]);
        put_t(&s->rowbuf, frags[i].text, frags[i].len);
        lexp__sbuf_puts(&s->rowbuf, "</r>");
    }
    lexp__sbuf_puts(&s->rowbuf, "</is></c>");
    return cell_end(s, c, off, err);
}

int lexp__xws_number(lexp__xws *s, uint32_t r, int c, double v, int style, lexp_error *err)
{
    size_t off = 0;
    int rc = cell_begin(s, r, c, style, &off, err);
    if (rc)
        return rc;
    lexp__sbuf_puts(&s->rowbuf, "><v>");
    lexp__xw_num(&s->rowbuf, v);
    lexp__sbuf_puts(&s->rowbuf, "</v></c>");
    return cell_end(s, c, off, err);
}

int lexp__xws_formula(lexp__xws *s, uint32_t r, int c, const char *f, double v, int style,
                      lexp_error *err)
{
    size_t off = 0;
    int rc = cell_begin(s, r, c, style, &off, err);
    if (rc)
        return rc;
    if (*f == '=')
        f++;
    lexp__sbuf_puts(&s->rowbuf, "><f>");
    lexp__sbuf_put_xml(&s->rowbuf, f, strlen(f));
    lexp__sbuf_puts(&s->rowbuf, "</f><v>");
    lexp__xw_num(&s->rowbuf, v);
    lexp__sbuf_puts(&s->rowbuf, "</v></c>");
    return cell_end(s, c, off, err);
}

int lexp__xws_blank(lexp__xws *s, uint32_t r, int c, int style, lexp_error *err)
{
    size_t off = 0;
    int rc = cell_begin(s, r, c, style, &off, err);
    if (rc)
        return rc;
    lexp__sbuf_puts(&s->rowbuf, "/>");
    return cell_end(s, c, off, err);
}

int lexp__xws_row_height(lexp__xws *s, uint32_t r, double pt, lexp_error *err)
{
    int rc = to_row(s, r, err);
    if (!rc)
        s->height = pt;
    return rc;
}

int lexp__xws_merge(lexp__xws *s, uint32_t r1, int c1, uint32_t r2, int c2, lexp_error *err)
{
    if (r2 < r1 || c2 < c1 || (r1 == r2 && c1 == c2))
        return 0; /* one cell: nothing to merge */
    lexp__sbuf_puts(&s->merges, "<mergeCell ref=\"");
    put_range(&s->merges, r1, c1, r2, c2, 0);
    lexp__sbuf_puts(&s->merges, "\"/>");
    s->nmerges++;
    return s->merges.oom ? oom(err) : 0;
}

void lexp__xws_column(lexp__xws *s, int c, double width)
{
    if (c < 0 || c >= 16384)
        return;
    if (c >= s->ncolw) {
        double *v = realloc(s->colw, (size_t)(c + 1) * sizeof *v);
        if (!v)
            return; /* a default width: nothing is lost but the look */
        for (int i = s->ncolw; i <= c; i++)
            v[i] = 0;
        s->colw = v;
        s->ncolw = c + 1;
    }
    s->colw[c] = width;
}

void lexp__xws_autofilter(lexp__xws *s, uint32_t r1, int c1, uint32_t r2, int c2)
{
    s->filter = 1;
    s->fr1 = r1;
    s->fr2 = r2;
    s->fc1 = c1;
    s->fc2 = c2;
}

void lexp__xws_freeze_rows(lexp__xws *s, uint32_t rows) { s->freeze = rows; }

void lexp__xws_repeat_rows(lexp__xws *s, uint32_t r1, uint32_t r2)
{
    s->repeat = 1;
    s->rep1 = r1;
    s->rep2 = r2;
}

void lexp__xws_print(lexp__xws *s, int landscape, const char *footer)
{
    s->print = 1;
    s->landscape = landscape;
    free(s->footer);
    s->footer = footer ? strdup(footer) : NULL; /* NULL on no memory: no footer */
}

int lexp__xws_chart(lexp__xws *s, const lexp__xwchart *ch, lexp_error *err)
{
    lexp__xw *w = s->w;
    if (w->ncharts == w->capcharts) {
        int cap = w->capcharts ? w->capcharts * 2 : 4;
        lexp__sbuf *v = realloc(w->charts, (size_t)cap * sizeof *v);
        if (!v)
            return oom(err);
        w->charts = v;
        w->capcharts = cap;
    }
    lexp__sbuf *x = &w->charts[w->ncharts];
    memset(x, 0, sizeof *x);
    w->ncharts++;
    if (!s->ncharts)
        s->first_chart = w->ncharts;
    s->ncharts++;
    return lexp__xw_chart_xml(s, ch, x) ? oom(err) : 0;
}

/* ---- finishing a worksheet ----------------------------------------------------- */

/* Excel's stored width for a width in characters of the default font
 * (7 pixels a character, 5 of padding, in 1/256 of a character). */
static double col_width(double w)
{
    double px = (double)(int)(w * 7 + 0.5) + 5;
    return (double)(int)(px / 7 * 256) / 256;
}

static void sheet_head(lexp__xws *s, lexp__sbuf *b)
{
    lexp__sbuf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                       "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
                       "main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/"
                       "relationships\">");
    if (s->print)
        lexp__sbuf_puts(b, "<sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr>");
    lexp__sbuf_puts(b, "<dimension ref=\"");
    if (s->any)
        put_range(b, s->r0, s->c0, s->r1, s->c1, 0);
    else
        lexp__sbuf_puts(b, "A1");
    lexp__sbuf_puts(b, "\"/><sheetViews><sheetView");
    if (s->index == 1)
        lexp__sbuf_puts(b, " tabSelected=\"1\"");
    lexp__sbuf_puts(b, " workbookViewId=\"0\"");
    if (s->freeze) {
        lexp__sbuf_puts(b, "><pane ySplit=\"");
        put_u64(b, s->freeze);
        lexp__sbuf_puts(b, "\" topLeftCell=\"");
        put_cell_ref(b, s->freeze, 0, 0);
        lexp__sbuf_puts(b, "\" activePane=\"bottomLeft\" state=\"frozen\"/>"
                           "<selection pane=\"bottomLeft\"/></sheetView>");
    } else {
        lexp__sbuf_puts(b, "/>");
    }
    lexp__sbuf_puts(b, "</sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>");
    int cols = 0;
    for (int c = 0; c < s->ncolw; c++) {
        if (s->colw[c] <= 0)
            continue;
        if (!cols++)
            lexp__sbuf_puts(b, "<cols>");
        lexp__sbuf_puts(b, "<col min=\"");
        put_u64(b, (uint64_t)c + 1);
        lexp__sbuf_puts(b, "\" max=\"");
        put_u64(b, (uint64_t)c + 1);
        lexp__sbuf_puts(b, "\" width=\"");
        lexp__xw_num(b, col_width(s->colw[c]));
        lexp__sbuf_puts(b, "\" customWidth=\"1\"/>");
    }
    if (cols)
        lexp__sbuf_puts(b, "</cols>");
    lexp__sbuf_puts(b, "<sheetData>");
}

static void sheet_tail(lexp__xws *s, lexp__sbuf *b)
{
    lexp__sbuf_puts(b, "</sheetData>");
    if (s->filter) {
        lexp__sbuf_puts(b, "<autoFilter ref=\"");
        put_range(b, s->fr1, s->fc1, s->fr2, s->fc2, 0);
        lexp__sbuf_puts(b, "\"/>");
    }
    if (s->nmerges) {
        lexp__sbuf_puts(b, "<mergeCells count=\"");
        put_u64(b, s->nmerges);
        lexp__sbuf_puts(b, "\">");
        lexp__sbuf_put(b, s->merges.ptr, s->merges.len);
        lexp__sbuf_puts(b, "</mergeCells>");
    }
    if (s->print)
        lexp__sbuf_puts(b, "<printOptions horizontalCentered=\"1\"/>");
    lexp__sbuf_puts(b, "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" "
                       "header=\"0.3\" footer=\"0.3\"/>");
    if (s->print) {
        lexp__sbuf_puts(b, "<pageSetup paperSize=\"9\" fitToHeight=\"0\" orientation=\"");
        lexp__sbuf_puts(b, s->landscape ? "landscape\"/>" : "portrait\"/>");
        if (s->footer && *s->footer) {
            lexp__sbuf_puts(b, "<headerFooter><oddFooter>");
            lexp__sbuf_put_xml(b, s->footer, strlen(s->footer));
            lexp__sbuf_puts(b, "</oddFooter></headerFooter>");
        }
    }
    if (s->ncharts)
        lexp__sbuf_puts(b, "<drawing r:id=\"rId1\"/>");
    lexp__sbuf_puts(b, "</worksheet>");
}

/* Deflate `n` bytes as one piece of a longer raw DEFLATE stream: ending in
 * a sync flush (byte aligned, not final) or, `final`, the final block. */
static int zpiece(const void *data, size_t n, int final, lexp__zpiece *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, SPOOL_LEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong cap = deflateBound(&z, (uLong)n) + 16;
    unsigned char *comp = malloc(cap);
    if (!comp) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)n;
    z.next_out = comp;
    z.avail_out = (uInt)cap;
    int zr = deflate(&z, final ? Z_FINISH : Z_SYNC_FLUSH);
    out->comp_len = cap - z.avail_out;
    deflateEnd(&z);
    if (zr == Z_STREAM_ERROR || (final && zr != Z_STREAM_END)) {
        free(comp);
        return -1;
    }
    out->comp = comp;
    out->size = n;
    out->crc = lexp__crc32(0, data, n);
    return 0;
}

int lexp__xws_end(lexp__xws *s, lexp_error *err)
{
    if (s->ended)
        return 0;
    int rc = flush_row(s, err);
    if (rc)
        return rc;
    s->ended = 1;
    free(s->cells);
    s->cells = NULL;
    s->capcells = 0;
    lexp__sbuf_free(&s->rowbuf);
    char name[64];
    snprintf(name, sizeof name, "xl/worksheets/sheet%d.xml", s->index);
    lexp__sbuf head = LEXP__SBUF_INIT, tail = LEXP__SBUF_INIT;
    sheet_head(s, &head);
    sheet_tail(s, &tail);
    lexp__sbuf_free(&s->merges);
    if (head.oom || tail.oom) {
        lexp__sbuf_free(&head);
        lexp__sbuf_free(&tail);
        return oom(err);
    }
    if (!s->sp.f) {
        /* the whole part at once */
        lexp__sbuf_put(&head, s->data.ptr, s->data.len);
        lexp__sbuf_put(&head, tail.ptr, tail.len);
        lexp__sbuf_free(&s->data);
        rc = head.oom || lexp__xw_part(s->w, &s->part, name, head.ptr, head.len) ? oom(err) : 0;
        lexp__sbuf_free(&head);
        lexp__sbuf_free(&tail);
        return rc;
    }
    /* streamed: the rest of sheetData joins the file, then head and tail
     * are pieces of their own around it */
    rc = spool(s, 1, err);
    lexp__sbuf_free(&s->data);
    if (!rc && (zpiece(head.ptr, head.len, 0, &s->head) || zpiece(tail.ptr, tail.len, 1, &s->tail)))
        rc = oom(err);
    if (!rc && !(s->part.name = strdup(name)))
        rc = oom(err);
    lexp__sbuf_free(&head);
    lexp__sbuf_free(&tail);
    return rc;
}

int lexp__xw_close(lexp__xw *w, lexp__sbuf *out, const char *to, lexp_error *err)
{
    int rc = 0;
    if (w->open && !w->open->ended)
        rc = lexp__xw_fail(err, "a worksheet was not finished");
    if (!rc)
        rc = lexp__xw_package(w, out, to, err);
    lexp__xw_free(w);
    return rc;
}
