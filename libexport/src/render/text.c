/*
 * Text renderer: the document as readable plain text, one paragraph per
 * line and never wrapped (but titles, which keep the lines PDF and DOCX
 * give them), so tests can compare it with what pdftotext, python-docx or
 * openpyxl read back. Tables are aligned columns (a Han
 * character counts two columns).
 */
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "titles.h"

void lexp__node_text(lexp__sbuf *b, const lexp_node *n) { lexp__runs_text(b, &n->runs); }

static void line(lexp__sbuf *b, const char *s)
{
    if (s && *s) {
        lexp__sbuf_puts(b, s);
        lexp__sbuf_putc(b, '\n');
    }
}

static void pad(lexp__sbuf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lexp__sbuf_putc(b, ' ');
}

static void trim_trailing(lexp__sbuf *b, size_t from)
{
    while (b->len > from && b->ptr[b->len - 1] == ' ')
        b->len--;
}

static int table_whole(lexp__sbuf *out, const lexp_node *t);

/* The text view holds the whole table: spooled rows come back first. */
static int table(lexp__sbuf *out, const lexp_node *t)
{
    lexp__arena A;
    lexp__arena_init(&A);
    const lexp_node *w = lexp__table_whole(t, &A);
    int rc = w ? table_whole(out, w) : -1;
    lexp__arena_free(&A);
    return rc;
}

static int table_whole(lexp__sbuf *out, const lexp_node *t)
{
    int nc = t->u.table.ncols, nr = lexp__table_rows(t);
    if (nc <= 0 || nr <= 0)
        return 0;
    const lexp_node **cells = malloc((size_t)nc * (size_t)nr * sizeof *cells);
    char **texts = calloc((size_t)nc * (size_t)nr, sizeof *texts);
    size_t *w = calloc((size_t)nc, sizeof *w);
    size_t *cw = calloc((size_t)nc * (size_t)nr, sizeof *cw);
    if (!cells || !texts || !w || !cw) {
        free(cells);
        free(texts);
        free(w);
        free(cw);
        return -1;
    }
    int r = 0;
    for (const lexp_node *row = t->first; row; row = row->next, r++) {
        int c = 0;
        for (const lexp_node *cell = row->first; cell && c < nc; cell = cell->next, c++) {
            lexp__sbuf s = LEXP__SBUF_INIT;
            lexp__node_text(&s, cell);
            /* a cell is one line of text */
            for (size_t i = 0; i < s.len; i++)
                if (s.ptr[i] == '\n' || s.ptr[i] == '\t')
                    s.ptr[i] = ' ';
            texts[r * nc + c] = strdup(lexp__sbuf_cstr(&s));
            cw[r * nc + c] = lexp__str_width(s.ptr ? s.ptr : "", s.len);
            cells[r * nc + c] = cell;
            lexp__sbuf_free(&s);
            if (cell->u.cell.colspan <= 1 && !cell->u.cell.covered && cw[r * nc + c] > w[c])
                w[c] = cw[r * nc + c];
        }
        for (; c < nc; c++)
            cells[r * nc + c] = NULL;
    }
    /* spanning cells widen their last column if needed */
    for (r = 0; r < nr; r++)
        for (int c = 0; c < nc; c++) {
            const lexp_node *cell = cells[r * nc + c];
            if (!cell || cell->u.cell.covered || cell->u.cell.colspan <= 1)
                continue;
            int span = cell->u.cell.colspan;
            if (c + span > nc)
                span = nc - c;
            size_t have = 0;
            for (int k = c; k < c + span; k++)
                have += w[k] + (k > c ? 2 : 0);
            if (cw[r * nc + c] > have)
                w[c + span - 1] += cw[r * nc + c] - have;
        }
    lexp__sbuf_putc(out, '\n');
    if (t->u.table.caption) {
        lexp__sbuf_puts(out, t->u.table.caption);
        lexp__sbuf_putc(out, '\n');
    }
    r = 0;
    for (const lexp_node *row = t->first; row; row = row->next, r++) {
        size_t start = out->len;
        for (int c = 0; c < nc;) {
            const lexp_node *cell = cells[r * nc + c];
            int span = 1;
            if (cell && !cell->u.cell.covered && cell->u.cell.colspan > 1)
                span = cell->u.cell.colspan;
            if (c + span > nc)
                span = nc - c;
            size_t width = 0;
            for (int k = c; k < c + span; k++)
                width += w[k] + (k > c ? 2 : 0);
            if (c > 0)
                pad(out, 2);
            const char *text = (cell && !cell->u.cell.covered) ? texts[r * nc + c] : "";
            size_t tw = (cell && !cell->u.cell.covered) ? cw[r * nc + c] : 0;
            lexp_align al = cell ? cell->u.cell.align : LEXP_ALIGN_DEFAULT;
            if (al == LEXP_ALIGN_DEFAULT)
                al = (cell && cell->u.cell.kind != LEXP_CELL_TEXT && !row->u.row.header)
                         ? LEXP_ALIGN_RIGHT
                         : LEXP_ALIGN_LEFT;
            size_t slack = width > tw ? width - tw : 0;
            size_t before = al == LEXP_ALIGN_RIGHT ? slack : al == LEXP_ALIGN_CENTER ? slack / 2 : 0;
            pad(out, before);
            lexp__sbuf_puts(out, text ? text : "");
            pad(out, slack - before);
            c += span;
        }
        trim_trailing(out, start);
        lexp__sbuf_putc(out, '\n');
        if (row->u.row.header && (!row->next || !row->next->u.row.header)) {
            start = out->len;
            for (int c = 0; c < nc; c++) {
                if (c > 0)
                    pad(out, 2);
                lexp__sbuf_repeat(out, "-", w[c] ? w[c] : 1);
            }
            lexp__sbuf_putc(out, '\n');
        }
    }
    lexp__sbuf_putc(out, '\n');
    for (int i = 0; i < nc * nr; i++)
        free(texts[i]);
    free(cells);
    free(texts);
    free(w);
    free(cw);
    return 0;
}

/* A title in the lines PDF and DOCX give it (titles.c). */
static int title(lexp__sbuf *out, const lexp_doc *doc, const lexp_node *n, lexp_error *err)
{
    lexp__sbuf s = LEXP__SBUF_INIT;
    lexp__node_text(&s, n);
    size_t *offs = NULL, no = 0;
    int rc = s.oom ? lexp__error_oom(err)
                   : lexp__title_breaks_utf8(s.ptr ? s.ptr : "", s.len,
                                             lexp__title_maxw(lexp__style_for(doc->preset),
                                                              n->u.title.level),
                                             &offs, &no, err);
    size_t from = 0;
    for (size_t i = 0; i < no && !rc; i++) {
        lexp__sbuf_put(out, s.ptr + from, offs[i] - from);
        lexp__sbuf_putc(out, '\n');
        from = offs[i];
    }
    if (!rc) {
        lexp__sbuf_put(out, s.ptr ? s.ptr + from : "", s.len - from);
        lexp__sbuf_putc(out, '\n');
    }
    free(offs);
    lexp__sbuf_free(&s);
    return rc;
}

int lexp__render_txt(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                     lexp_error *err)
{
    (void)opt;
    for (const lexp_node *n = doc->root->first; n; n = n->next) {
        if (!lexp__node_shown(n, LEXP_FORMAT_TXT))
            continue;
        switch (n->type) {
        case LEXP_N_TITLE: {
            int rc = title(out, doc, n, err);
            if (rc)
                return rc;
            break;
        }
        case LEXP_N_PARAGRAPH:
            lexp__node_text(out, n);
            lexp__sbuf_putc(out, '\n');
            break;
        case LEXP_N_HEADING:
            lexp__sbuf_puts(out, n->u.heading.number);
            lexp__node_text(out, n);
            lexp__sbuf_putc(out, '\n');
            break;
        case LEXP_N_LIST:
            for (const lexp_node *it = n->first; it; it = it->next) {
                lexp__sbuf_puts(out, n->u.list.ordered ? it->u.item.number : "•");
                lexp__sbuf_putc(out, ' ');
                lexp__node_text(out, it);
                lexp__sbuf_putc(out, '\n');
            }
            break;
        case LEXP_N_TABLE:
            if (table(out, n))
                return lexp__error_oom(err);
            break;
        case LEXP_N_IMAGE:
            lexp__sbuf_printf(out, "[图：%s]\n",
                              n->u.image.caption ? n->u.image.caption : n->u.image.path);
            break;
        case LEXP_N_CHART:
            lexp__sbuf_printf(out, "[图表：%s]\n", n->u.chart.title ? n->u.chart.title : "");
            for (int i = 0; i < n->u.chart.n; i++) {
                lexp__sbuf_puts(out, n->u.chart.labels[i] ? n->u.chart.labels[i] : "");
                lexp__sbuf_putc(out, ' ');
                lexp__fmt_number(out, n->u.chart.values[i]);
                lexp__sbuf_putc(out, '\n');
            }
            break;
        case LEXP_N_MASTHEAD:
            line(out, n->u.masthead.note);
            line(out, n->u.masthead.title);
            line(out, n->u.masthead.issue);
            if (n->u.masthead.issuer || n->u.masthead.date) {
                const char *a = n->u.masthead.issuer ? n->u.masthead.issuer : "";
                const char *b = n->u.masthead.date ? n->u.masthead.date : "";
                lexp__sbuf_puts(out, a);
                /* issuer left, date right, on a line of 28 characters */
                size_t used = lexp__str_width(a, strlen(a)) + lexp__str_width(b, strlen(b));
                pad(out, used < 54 ? 56 - used : 2);
                lexp__sbuf_puts(out, b);
                lexp__sbuf_putc(out, '\n');
            }
            break;
        case LEXP_N_SIGNATURE:
            line(out, n->u.signature.issuer);
            line(out, n->u.signature.date);
            break;
        case LEXP_N_DISTRIBUTION:
            if (n->u.dist.report_to)
                lexp__sbuf_printf(out, "报：%s\n", n->u.dist.report_to);
            if (n->u.dist.send_to)
                lexp__sbuf_printf(out, "送：%s\n", n->u.dist.send_to);
            if (n->u.dist.distribute_to)
                lexp__sbuf_printf(out, "发：%s\n", n->u.dist.distribute_to);
            /* the copy count closes the list; the 印发 line is the 版记's last */
            if (n->u.dist.copies > 0)
                lexp__sbuf_printf(out, "（共印%d份）\n", n->u.dist.copies);
            if (n->u.dist.printer || n->u.dist.date)
                lexp__sbuf_printf(out, "%s  %s%s\n", n->u.dist.printer ? n->u.dist.printer : "",
                                  n->u.dist.date ? n->u.dist.date : "",
                                  n->u.dist.date ? "印发" : "");
            break;
        default: break;
        }
    }
    return 0;
}
