/*
 * XLSX renderer: a document's tables as worksheets people keep working with.
 *
 *   each TABLE  → a worksheet named after its caption (else the nearest
 *                 heading before it, else 表N), rows pushed one by one into
 *                 the workbook writer (xlsx_book.c)
 *   each CHART  → a native chart on the sheet of the table before it (else
 *                 the next table's); linked to the table's cells when its
 *                 data is a column of that table
 *   no tables   → one sheet with the text, a paragraph per row, so that
 *                 `-f xlsx` works for every document
 *
 * Cell texts are the text renderer's (runs joined, line breaks as spaces);
 * typed cells (doc.h: NUMBER, PERCENT, DATE, MONEY) and body cells whose
 * text is a plain number become numbers with a matching number format.
 * Tables with more than STREAM_ROWS rows switch the workbook to
 * constant-memory (streaming) mode.
 */
#include <stdlib.h>
#include <string.h>

#include "xlsx_book.h"

/* Above this many rows in one table, rows stream to disk as they are
 * written (otherwise the sheet's XML is held until the workbook is zipped:
 * about 60 bytes a cell). */
#define STREAM_ROWS 10000

typedef struct sheetref {
    const lexp_node *table;
    const lexp_node *heading; /* nearest heading before the table */
} sheetref;

typedef struct walk {
    sheetref *tables;
    int ntables, cap;
    const lexp_node **charts;
    int *chart_table; /* index into tables, -1 for the text sheet */
    int ncharts, capcharts;
    const lexp_node *heading;
    int title_nodes;
} walk;

static int collect(walk *w, const lexp_node *n)
{
    for (; n; n = n->next) {
        if (!lexp__node_shown(n, LEXP_FORMAT_XLSX))
            continue;
        if (n->type == LEXP_N_HEADING)
            w->heading = n;
        if (n->type == LEXP_N_TITLE || n->type == LEXP_N_MASTHEAD)
            w->title_nodes++;
        if (n->type == LEXP_N_TABLE) {
            if (w->ntables == w->cap) {
                int cap = w->cap ? w->cap * 2 : 8;
                sheetref *v = realloc(w->tables, (size_t)cap * sizeof *v);
                if (!v)
                    return -1;
                w->tables = v;
                w->cap = cap;
            }
            w->tables[w->ntables].table = n;
            w->tables[w->ntables].heading = w->heading;
            w->ntables++;
            continue;
        }
        if (n->type == LEXP_N_CHART) {
            if (w->ncharts == w->capcharts) {
                int cap = w->capcharts ? w->capcharts * 2 : 8;
                const lexp_node **v = realloc(w->charts, (size_t)cap * sizeof *v);
                int *t = realloc(w->chart_table, (size_t)cap * sizeof *t);
                if (v)
                    w->charts = v;
                if (t)
                    w->chart_table = t;
                if (!v || !t)
                    return -1;
                w->capcharts = cap;
            }
            /* the table before it; resolved to the next one below if none */
            w->chart_table[w->ncharts] = w->ntables - 1;
            w->charts[w->ncharts++] = n;
            continue;
        }
        if (n->first && collect(w, n->first))
            return -1;
    }
    return 0;
}

/* ---- cells ------------------------------------------------------------------ */

typedef struct conv {
    lexp__sbuf text;
    size_t *off;
    lexp__xcell *cells;
    int nc;
} conv;

static int same_look(const lexp_run *a, const lexp_run *b)
{
    uint32_t m = LEXP_RUN_BOLD | LEXP_RUN_ITALIC | LEXP_RUN_COLOR;
    return (a->flags & m) == (b->flags & m) &&
           (!(a->flags & LEXP_RUN_COLOR) || a->color == b->color);
}

/* The row's cells as the writer takes them; texts live in cv->text. */
static int convert_row(conv *cv, const lexp_node *row)
{
    cv->text.len = 0;
    const lexp_node *cell = row->first;
    for (int c = 0; c < cv->nc; c++) {
        lexp__xcell *x = &cv->cells[c];
        memset(x, 0, sizeof *x);
        cv->off[c] = cv->text.len;
        if (!cell) { /* rows are complete in a well-formed tree; be safe */
            lexp__sbuf_putc(&cv->text, 0);
            x->colspan = x->rowspan = 1;
            continue;
        }
        size_t start = cv->text.len;
        lexp__node_text(&cv->text, cell);
        for (size_t i = start; i < cv->text.len; i++)
            if (cv->text.ptr[i] == '\n' || cv->text.ptr[i] == '\t' || cv->text.ptr[i] == '\r')
                cv->text.ptr[i] = ' '; /* a cell is one line, as in the text renderer */
        lexp__sbuf_putc(&cv->text, 0);
        x->kind = cell->u.cell.kind;
        x->num = cell->u.cell.num;
        x->decimals = cell->u.cell.decimals;
        x->thousands = cell->u.cell.thousands;
        x->datefmt = cell->u.cell.datefmt;
        x->colspan = cell->u.cell.colspan;
        x->rowspan = cell->u.cell.rowspan;
        x->covered = cell->u.cell.covered;
        x->align = cell->u.cell.align;
        /* one look for the whole cell, or rich text when runs differ */
        const lexp_runs *r = &cell->runs;
        uint32_t nonempty = 0;
        const lexp_run *first = NULL;
        int mixed = 0;
        for (uint32_t i = 0; i < r->n; i++) {
            if (r->v[i].len == 0)
                continue;
            nonempty++;
            if (!first)
                first = &r->v[i];
            else if (!same_look(first, &r->v[i]))
                mixed = 1;
        }
        if (mixed && nonempty >= 2 && x->kind == LEXP_CELL_TEXT) {
            x->runs = r;
        } else if (first) {
            x->flags = first->flags & (LEXP_RUN_BOLD | LEXP_RUN_ITALIC | LEXP_RUN_COLOR);
            x->color = first->color;
        }
        cell = cell->next;
    }
    if (cv->text.oom)
        return -1;
    for (int c = 0; c < cv->nc; c++)
        cv->cells[c].text = cv->text.ptr + cv->off[c];
    return 0;
}

/* A cell's formula with its placeholders resolved: {r} is the cell's own
 * row, {row:LABEL} the row of this table whose first cell reads LABEL
 * (rows counted from `body0`, the sheet row of the first body row). NULL
 * when a label names no row: the value is then written as a number. */
static const char *resolve_formula(lexp__sbuf *out, const char *f, uint32_t row,
                                   const lexp_node *table, int nh, uint32_t body0)
{
    out->len = 0;
    if (*f != '=')
        lexp__sbuf_putc(out, '=');
    while (*f) {
        if (f[0] == '{' && f[1] == 'r' && f[2] == '}') {
            lexp__sbuf_printf(out, "%u", row + 1);
            f += 3;
        } else if (strncmp(f, "{row:", 5) == 0 && strchr(f, '}')) {
            const char *lab = f + 5, *end = strchr(f, '}');
            uint32_t k = 0;
            /* a reader of its own: the table's rows may be spooled */
            lexp__rowit it;
            lexp__rowit_begin(&it, table);
            const lexp_node *r = lexp__rowit_next(&it);
            for (int h = 0; r && h < nh; h++)
                r = lexp__rowit_next(&it);
            lexp__sbuf t = LEXP__SBUF_INIT;
            for (; r; r = lexp__rowit_next(&it), k++) {
                t.len = 0;
                if (r->first)
                    lexp__node_text(&t, r->first);
                if (t.len == (size_t)(end - lab) && memcmp(t.ptr, lab, t.len) == 0)
                    break;
            }
            lexp__sbuf_free(&t);
            int failed = it.failed;
            lexp__rowit_end(&it);
            if (!r || failed)
                return NULL;
            lexp__sbuf_printf(out, "%u", body0 + k + 1);
            f = end + 1;
        } else
            lexp__sbuf_putc(out, *f++);
    }
    return out->oom ? NULL : lexp__sbuf_cstr(out);
}

static int write_table(lexp__xbook *book, const lexp_doc *doc, const sheetref *ref, int index,
                       const walk *w, lexp_error *err)
{
    const lexp_node *t = ref->table;
    int nc = t->u.table.ncols, nrows = lexp__table_rows(t);
    if (nc <= 0 || nrows <= 0)
        return 0;
    int nh = t->u.table.header_rows;
    if (nh > nrows)
        nh = nrows;
    lexp__sbuf name = LEXP__SBUF_INIT;
    const char *title = NULL;
    if (t->u.table.caption && *t->u.table.caption) {
        lexp__sbuf_puts(&name, t->u.table.caption);
        title = t->u.table.caption;
    } else if (ref->heading) {
        lexp__node_text(&name, ref->heading); /* its text, without 一、 */
    }
    if (name.len == 0)
        lexp__sbuf_printf(&name, "表%d", index + 1);
    if (!title)
        title = doc->title && *doc->title ? doc->title : lexp__sbuf_cstr(&name);

    conv hc = {LEXP__SBUF_INIT, NULL, NULL, nc}; /* header rows: all kept */
    conv bc = {LEXP__SBUF_INIT, NULL, NULL, nc};
    lexp__xrow *hrows = calloc((size_t)(nh ? nh : 1), sizeof *hrows);
    lexp__xcell *hcells = calloc((size_t)nc * (size_t)(nh ? nh : 1), sizeof *hcells);
    conv *hconv = calloc((size_t)(nh ? nh : 1), sizeof *hconv);
    bc.off = calloc((size_t)nc, sizeof *bc.off);
    bc.cells = calloc((size_t)nc, sizeof *bc.cells);
    int rc = 0;
    if (!hrows || !hcells || !hconv || !bc.off || !bc.cells || name.oom)
        rc = lexp__error_oom(err);
    lexp__rowit it;
    lexp__rowit_begin(&it, t);
    const lexp_node *row = lexp__rowit_next(&it);
    for (int h = 0; !rc && h < nh; h++, row = lexp__rowit_next(&it)) {
        hconv[h] = hc;
        hconv[h].cells = hcells + (size_t)h * (size_t)nc;
        hconv[h].off = calloc((size_t)nc, sizeof *hconv[h].off);
        if (!hconv[h].off || convert_row(&hconv[h], row))
            rc = lexp__error_oom(err);
        hrows[h].cells = hconv[h].cells;
    }
    lexp__xsheet *s = NULL;
    if (!rc) {
        lexp__xtable spec;
        memset(&spec, 0, sizeof spec);
        spec.name = lexp__sbuf_cstr(&name);
        spec.title = title;
        spec.ncols = nc;
        spec.nheader = nh;
        spec.header = hrows;
        spec.auto_chart = 1;
        rc = lexp__xsheet_table(&s, book, &spec, err);
    }
    uint32_t body0 = s ? lexp__xsheet_next_row(s) : 0;
    lexp__sbuf fbuf[8];
    for (int k = 0; k < 8; k++)
        fbuf[k] = (lexp__sbuf)LEXP__SBUF_INIT;
    for (; !rc && row; row = lexp__rowit_next(&it)) {
        if (convert_row(&bc, row)) {
            rc = lexp__error_oom(err);
            break;
        }
        /* formulas of the row (a few per row at most keep their own buffer) */
        const lexp_node *cell = row->first;
        int nf = 0;
        for (int c = 0; c < nc && cell; c++, cell = cell->next) {
            if (!cell->u.cell.formula || bc.cells[c].kind == LEXP_CELL_TEXT)
                continue;
            bc.cells[c].formula = nf < 8 ? resolve_formula(&fbuf[nf++], cell->u.cell.formula,
                                                           lexp__xsheet_next_row(s), t, nh,
                                                           body0)
                                         : NULL;
        }
        lexp__xrow xr = {bc.cells, row->u.row.total};
        rc = lexp__xsheet_row(s, &xr, err);
    }
    for (int k = 0; k < 8; k++)
        lexp__sbuf_free(&fbuf[k]);
    if (!rc && it.failed)
        rc = lexp__error_set(err, LEXP_EIO, t->src_file, t->line, t->col, NULL,
                             "xlsx: cannot read back the rows of a long table (out of memory "
                             "or its temporary file failed)");
    lexp__rowit_end(&it);
    for (int k = 0; !rc && k < w->ncharts; k++) {
        if (w->chart_table[k] != index)
            continue;
        const lexp_node *ch = w->charts[k];
        lexp__xchart xc = {ch->u.chart.kind,     ch->u.chart.title,
                           ch->u.chart.series,   ch->u.chart.n,
                           ch->u.chart.labels,   ch->u.chart.values};
        rc = lexp__xsheet_chart(s, &xc, err);
    }
    if (s) {
        int rc2 = lexp__xsheet_end(s, err); /* frees the sheet even after a failure */
        if (!rc)
            rc = rc2;
    }
    for (int h = 0; hconv && h < nh; h++) {
        free(hconv[h].off);
        lexp__sbuf_free(&hconv[h].text);
    }
    free(hconv);
    free(hcells);
    free(hrows);
    free(bc.off);
    free(bc.cells);
    lexp__sbuf_free(&bc.text);
    lexp__sbuf_free(&name);
    return rc;
}

/* ---- a document without tables: its text, one paragraph a row ---------------- */

static int text_line(lexp__xsheet *s, lexp__sbuf *b, lexp__xline style, lexp_error *err)
{
    int rc = b->oom ? lexp__error_oom(err) : lexp__xsheet_line(s, lexp__sbuf_cstr(b), style, err);
    b->len = 0;
    return rc;
}

static int put_line(lexp__xsheet *s, const char *text, lexp__xline style, lexp_error *err)
{
    return text && *text ? lexp__xsheet_line(s, text, style, err) : 0;
}

static int write_text_sheet(lexp__xbook *book, const lexp_doc *doc, const walk *w,
                            lexp_error *err)
{
    const char *name = doc->title && *doc->title ? doc->title : "正文";
    lexp__xsheet *s;
    int rc = lexp__xsheet_text(&s, book, name, w->title_nodes ? NULL : doc->title, err);
    if (rc)
        return rc;
    lexp__sbuf b = LEXP__SBUF_INIT;
    for (const lexp_node *n = doc->root->first; n && !rc; n = n->next) {
        if (!lexp__node_shown(n, LEXP_FORMAT_XLSX))
            continue;
        switch (n->type) {
        case LEXP_N_TITLE:
            lexp__node_text(&b, n);
            rc = text_line(s, &b, n->u.title.level == 0 ? LEXP__XLINE_TITLE : LEXP__XLINE_HEADING,
                           err);
            break;
        case LEXP_N_HEADING:
            lexp__sbuf_puts(&b, n->u.heading.number);
            lexp__node_text(&b, n);
            rc = text_line(s, &b, LEXP__XLINE_HEADING, err);
            break;
        case LEXP_N_PARAGRAPH:
            lexp__node_text(&b, n);
            rc = text_line(s, &b, LEXP__XLINE_BODY, err);
            break;
        case LEXP_N_LIST:
            for (const lexp_node *it = n->first; it && !rc; it = it->next) {
                lexp__sbuf_puts(&b, n->u.list.ordered ? it->u.item.number : "•");
                lexp__sbuf_putc(&b, ' ');
                lexp__node_text(&b, it);
                rc = text_line(s, &b, LEXP__XLINE_BODY, err);
            }
            break;
        case LEXP_N_IMAGE:
            lexp__sbuf_printf(&b, "[图：%s]",
                              n->u.image.caption ? n->u.image.caption : n->u.image.path);
            rc = text_line(s, &b, LEXP__XLINE_BODY, err);
            break;
        case LEXP_N_CHART: {
            lexp__xchart xc = {n->u.chart.kind,   n->u.chart.title,  n->u.chart.series,
                               n->u.chart.n,      n->u.chart.labels, n->u.chart.values};
            rc = lexp__xsheet_chart(s, &xc, err);
            break;
        }
        case LEXP_N_MASTHEAD:
            rc = put_line(s, n->u.masthead.note, LEXP__XLINE_BODY, err);
            if (!rc)
                rc = put_line(s, n->u.masthead.title, LEXP__XLINE_TITLE, err);
            if (!rc)
                rc = put_line(s, n->u.masthead.issue, LEXP__XLINE_BODY, err);
            if (!rc && (n->u.masthead.issuer || n->u.masthead.date)) {
                lexp__sbuf_printf(&b, "%s　　%s", n->u.masthead.issuer ? n->u.masthead.issuer : "",
                                  n->u.masthead.date ? n->u.masthead.date : "");
                rc = text_line(s, &b, LEXP__XLINE_BODY, err);
            }
            break;
        case LEXP_N_SIGNATURE:
            rc = put_line(s, n->u.signature.issuer, LEXP__XLINE_RIGHT, err);
            if (!rc)
                rc = put_line(s, n->u.signature.date, LEXP__XLINE_RIGHT, err);
            break;
        case LEXP_N_DISTRIBUTION:
            if (n->u.dist.report_to) {
                lexp__sbuf_printf(&b, "报：%s", n->u.dist.report_to);
                rc = text_line(s, &b, 0, err);
            }
            if (!rc && n->u.dist.send_to) {
                lexp__sbuf_printf(&b, "送：%s", n->u.dist.send_to);
                rc = text_line(s, &b, 0, err);
            }
            if (!rc && n->u.dist.distribute_to) {
                lexp__sbuf_printf(&b, "发：%s", n->u.dist.distribute_to);
                rc = text_line(s, &b, 0, err);
            }
            /* the copy count closes the list; the 印发 line is the 版记's last */
            if (!rc && n->u.dist.copies > 0) {
                lexp__sbuf_printf(&b, "（共印%d份）", n->u.dist.copies);
                rc = text_line(s, &b, 0, err);
            }
            if (!rc && (n->u.dist.printer || n->u.dist.date)) {
                lexp__sbuf_printf(&b, "%s  %s%s", n->u.dist.printer ? n->u.dist.printer : "",
                                  n->u.dist.date ? n->u.dist.date : "",
                                  n->u.dist.date ? "印发" : "");
                rc = text_line(s, &b, 0, err);
            }
            break;
        default: break;
        }
    }
    lexp__sbuf_free(&b);
    int rc2 = lexp__xsheet_end(s, err);
    return rc ? rc : rc2;
}

int lexp__render_xlsx(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                      lexp_error *err)
{
    return lexp__render_xlsx_to(out, NULL, doc, opt, err);
}

int lexp__render_xlsx_to(lexp__sbuf *out, const char *path, const lexp_doc *doc,
                         const lexp_render_options *opt, lexp_error *err)
{
    walk w;
    memset(&w, 0, sizeof w);
    if (collect(&w, doc->root->first)) {
        free(w.tables);
        free(w.charts);
        free(w.chart_table);
        return lexp__error_oom(err);
    }
    /* a chart before the first table goes with that table */
    for (int k = 0; k < w.ncharts; k++)
        if (w.chart_table[k] < 0 && w.ntables > 0)
            w.chart_table[k] = 0;
    int big = 0;
    for (int i = 0; i < w.ntables; i++)
        if (lexp__table_rows(w.tables[i].table) > STREAM_ROWS)
            big = 1;
    lexp__xprops props;
    memset(&props, 0, sizeof props);
    props.title = doc->title;
    props.subject = doc->subject;
    props.author = doc->author;
    props.keywords = doc->keywords;
    props.date = doc->date;
    props.constant_memory = big;
    props.opt = opt;
    lexp__xbook *book;
    int rc = lexp__xbook_open(&book, &props, err);
    for (int i = 0; !rc && i < w.ntables; i++)
        rc = write_table(book, doc, &w.tables[i], i, &w, err);
    if (!rc && w.ntables == 0)
        rc = write_text_sheet(book, doc, &w, err);
    if (!rc)
        rc = lexp__xbook_close_to(book, path ? NULL : out, path, err);
    else if (book)
        lexp__xbook_discard(book);
    free(w.tables);
    free(w.charts);
    free(w.chart_table);
    return rc;
}
