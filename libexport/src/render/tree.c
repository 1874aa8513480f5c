/*
 * Tree dump: the document tree as XML, with the template position
 * (line:col) that produced each node. Tests compare against it; it is also
 * the quickest way to see what a template evaluated to.
 */
#include <string.h>

#include "render.h"

static void attr(lexp__sbuf *b, const char *name, const char *value)
{
    if (!value)
        return;
    lexp__sbuf_printf(b, " %s=\"", name);
    lexp__sbuf_put_xml(b, value, strlen(value));
    lexp__sbuf_putc(b, '"');
}

static void attr_int(lexp__sbuf *b, const char *name, int v)
{
    lexp__sbuf_printf(b, " %s=\"%d\"", name, v);
}

static const char *align_name(lexp_align a)
{
    switch (a) {
    case LEXP_ALIGN_LEFT: return "left";
    case LEXP_ALIGN_CENTER: return "center";
    case LEXP_ALIGN_RIGHT: return "right";
    case LEXP_ALIGN_JUSTIFY: return "justify";
    default: return NULL;
    }
}

static void indent(lexp__sbuf *b, int depth) { lexp__sbuf_repeat(b, "  ", (size_t)depth); }

/* File names appear without directories so dumps do not depend on where
 * the template was run from. */
static const char *base(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

static void pos(lexp__sbuf *b, const lexp_doc *doc, const lexp_node *n)
{
    if (n->formats) {
        lexp__sbuf_puts(b, " only=\"");
        int first = 1;
        for (int f = 0; f < 4; f++)
            if (n->formats >> f & 1u) {
                lexp__sbuf_printf(b, "%s%s", first ? "" : ",", lexp_format_name(f));
                first = 0;
            }
        lexp__sbuf_putc(b, '"');
    }
    if (n->line <= 0)
        return;
    if (n->src_file && doc->src_file && strcmp(n->src_file, doc->src_file) != 0)
        attr(b, "file", base(n->src_file));
    lexp__sbuf_printf(b, " pos=\"%d:%d\"", n->line, n->col);
}

static void runs(lexp__sbuf *b, const lexp_node *n)
{
    for (uint32_t i = 0; i < n->runs.n; i++) {
        const lexp_run *r = &n->runs.v[i];
        int styled = (r->flags & (LEXP_RUN_BOLD | LEXP_RUN_ITALIC | LEXP_RUN_COLOR)) != 0;
        if (styled) {
            lexp__sbuf_puts(b, "<run");
            if (r->flags & LEXP_RUN_BOLD)
                lexp__sbuf_puts(b, " bold=\"1\"");
            if (r->flags & LEXP_RUN_ITALIC)
                lexp__sbuf_puts(b, " italic=\"1\"");
            if (r->flags & LEXP_RUN_COLOR)
                lexp__sbuf_printf(b, " color=\"%06X\"", r->color);
            lexp__sbuf_putc(b, '>');
        }
        lexp__sbuf_put_xml(b, r->text, r->len);
        if (styled)
            lexp__sbuf_puts(b, "</run>");
    }
}

static const char *kind_name(lexp_cellkind k)
{
    switch (k) {
    case LEXP_CELL_NUMBER: return "number";
    case LEXP_CELL_PERCENT: return "percent";
    case LEXP_CELL_DATE: return "date";
    case LEXP_CELL_MONEY: return "money";
    default: return NULL;
    }
}

static void node(lexp__sbuf *b, const lexp_doc *doc, const lexp_node *n, int depth)
{
    indent(b, depth);
    const char *name = NULL;
    int leaf_runs = 0;
    switch (n->type) {
    case LEXP_N_TITLE:
        name = n->u.title.level ? "subtitle" : "title";
        lexp__sbuf_printf(b, "<%s", name);
        leaf_runs = 1;
        break;
    case LEXP_N_HEADING:
        name = "heading";
        lexp__sbuf_puts(b, "<heading");
        attr_int(b, "level", n->u.heading.level);
        if (n->u.heading.number && *n->u.heading.number)
            attr(b, "number", n->u.heading.number);
        leaf_runs = 1;
        break;
    case LEXP_N_PARAGRAPH:
        name = "paragraph";
        lexp__sbuf_puts(b, "<paragraph");
        attr(b, "align", align_name(n->u.para.align));
        if (n->u.para.indent != 2)
            attr_int(b, "indent", n->u.para.indent);
        leaf_runs = 1;
        break;
    case LEXP_N_LIST:
        name = "list";
        lexp__sbuf_puts(b, "<list");
        if (n->u.list.ordered)
            lexp__sbuf_puts(b, " ordered=\"1\"");
        break;
    case LEXP_N_ITEM:
        name = "item";
        lexp__sbuf_puts(b, "<item");
        if (n->u.item.number && *n->u.item.number)
            attr(b, "number", n->u.item.number);
        leaf_runs = 1;
        break;
    case LEXP_N_TABLE:
        name = "table";
        lexp__sbuf_puts(b, "<table");
        attr_int(b, "cols", n->u.table.ncols);
        attr_int(b, "header-rows", n->u.table.header_rows);
        attr(b, "caption", n->u.table.caption);
        break;
    case LEXP_N_ROW:
        name = "row";
        lexp__sbuf_puts(b, "<row");
        if (n->u.row.header)
            lexp__sbuf_puts(b, " header=\"1\"");
        if (n->u.row.total)
            lexp__sbuf_puts(b, " total=\"1\"");
        break;
    case LEXP_N_CELL:
        name = "cell";
        lexp__sbuf_puts(b, "<cell");
        if (n->u.cell.covered)
            lexp__sbuf_puts(b, " covered=\"1\"");
        if (n->u.cell.colspan > 1)
            attr_int(b, "colspan", n->u.cell.colspan);
        if (n->u.cell.rowspan > 1)
            attr_int(b, "rowspan", n->u.cell.rowspan);
        attr(b, "align", align_name(n->u.cell.align));
        if (n->u.cell.kind != LEXP_CELL_TEXT) {
            attr(b, "kind", kind_name(n->u.cell.kind));
            lexp__sbuf_puts(b, " value=\"");
            lexp__fmt_number(b, n->u.cell.num);
            lexp__sbuf_putc(b, '"');
        }
        leaf_runs = 1;
        break;
    case LEXP_N_IMAGE:
        lexp__sbuf_puts(b, "<image");
        attr(b, "src", n->u.image.path);
        attr(b, "caption", n->u.image.caption);
        break;
    case LEXP_N_CHART:
        name = "chart";
        lexp__sbuf_puts(b, "<chart");
        attr(b, "kind", n->u.chart.kind == LEXP_CHART_PIE ? "pie" : "bar");
        attr(b, "title", n->u.chart.title);
        attr(b, "series", n->u.chart.series);
        break;
    case LEXP_N_PAGEBREAK: lexp__sbuf_puts(b, "<pagebreak"); break;
    case LEXP_N_RULE: lexp__sbuf_puts(b, "<rule"); break;
    case LEXP_N_MASTHEAD:
        lexp__sbuf_puts(b, "<masthead");
        attr(b, "title", n->u.masthead.title);
        attr(b, "issue", n->u.masthead.issue);
        attr(b, "issuer", n->u.masthead.issuer);
        attr(b, "date", n->u.masthead.date);
        attr(b, "note", n->u.masthead.note);
        break;
    case LEXP_N_SIGNATURE:
        lexp__sbuf_puts(b, "<signature");
        attr(b, "issuer", n->u.signature.issuer);
        attr(b, "date", n->u.signature.date);
        break;
    case LEXP_N_DISTRIBUTION:
        lexp__sbuf_puts(b, "<distribution");
        attr(b, "report", n->u.dist.report_to);
        attr(b, "send", n->u.dist.send_to);
        attr(b, "distribute", n->u.dist.distribute_to);
        if (n->u.dist.copies)
            attr_int(b, "copies", n->u.dist.copies);
        attr(b, "printer", n->u.dist.printer);
        attr(b, "date", n->u.dist.date);
        break;
    default: lexp__sbuf_puts(b, "<node"); break;
    }
    pos(b, doc, n);
    if (leaf_runs) {
        lexp__sbuf_putc(b, '>');
        runs(b, n);
        lexp__sbuf_printf(b, "</%s>\n", name);
        return;
    }
    if (n->type == LEXP_N_CHART) {
        lexp__sbuf_puts(b, ">\n");
        for (int i = 0; i < n->u.chart.n; i++) {
            indent(b, depth + 1);
            lexp__sbuf_puts(b, "<point");
            attr(b, "label", n->u.chart.labels[i]);
            lexp__sbuf_puts(b, " value=\"");
            lexp__fmt_number(b, n->u.chart.values[i]);
            lexp__sbuf_puts(b, "\"/>\n");
        }
        indent(b, depth);
        lexp__sbuf_puts(b, "</chart>\n");
        return;
    }
    if (!n->first) {
        lexp__sbuf_puts(b, "/>\n");
        return;
    }
    lexp__sbuf_puts(b, ">\n");
    if (n->type == LEXP_N_TABLE) { /* its rows may be spooled */
        lexp__rowit it;
        lexp__rowit_begin(&it, n);
        for (const lexp_node *r; (r = lexp__rowit_next(&it));)
            node(b, doc, r, depth + 1);
        if (it.failed)
            b->oom = 1;
        lexp__rowit_end(&it);
    } else {
        for (const lexp_node *c = n->first; c; c = c->next)
            node(b, doc, c, depth + 1);
    }
    indent(b, depth);
    lexp__sbuf_printf(b, "</%s>\n", name);
}

int lexp__render_tree(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                      lexp_error *err)
{
    (void)opt;
    (void)err;
    static const char *const presets[] = {"plain", "gbt9704", "briefing"};
    lexp__sbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<document");
    attr(out, "preset", presets[doc->preset]);
    attr(out, "template", base(doc->src_file));
    attr(out, "title", doc->title);
    attr(out, "author", doc->author);
    attr(out, "date", doc->date);
    lexp__sbuf_puts(out, ">\n");
    for (const lexp_node *c = doc->root->first; c; c = c->next)
        node(out, doc, c, 1);
    lexp__sbuf_puts(out, "</document>\n");
    return 0;
}
