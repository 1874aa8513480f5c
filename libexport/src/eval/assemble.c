/*
 * The block assembler: evaluated lines become blocks. Consecutive text
 * lines join into paragraphs, rows into tables (which stream once long),
 * items into lists; headings are numbered; the official blocks (masthead,
 * signature, distribution) are filled from fields or, where a field is not
 * given, from the data and the period variables. Split from expand.c,
 * which runs the statements and evaluates each line.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../data/rows.h"
#include "../engine.h"
#include "eval.h"
#include "expand_int.h"
#include "period.h"

typedef lexp_eval E;
typedef const lexp_value V;

/* ==================================================================== */
/* block assembler                                                        */

static int finish_table(E *e);

/* What an iteration may change in the assembler: if none of it changed, the
 * document gained nothing but streamed rows. */
void lexp__x_snap_take(E *e, iter_snap *s)
{
    lexp_asm *as = e->as;
    memset(s, 0, sizeof *s);
    s->on = as && as->rows && as->table && e->doc->root->last == as->table && !e->pinned;
    if (!s->on)
        return;
    s->table = as->table;
    s->para = as->para;
    s->list = as->list;
    s->special = as->special;
}

int lexp__x_snap_same(E *e, const iter_snap *s)
{
    lexp_asm *as = e->as;
    return s->on && !e->pinned && as->rows && as->table == s->table &&
           e->doc->root->last == as->table && as->para == s->para && as->list == s->list &&
           as->special == s->special;
}

int lexp__x_close_all(E *e)
{
    lexp_asm *as = e->as;
    as->para = NULL;
    as->list = NULL;
    return as->table ? finish_table(e) : 0;
}

/* Append a block to the document, marked with the formats it is for. */
static void place(E *e, lexp_node *n)
{
    n->formats = e->as->formats;
    lexp__node_append(e->as->container, n);
}

lexp_node *lexp__x_new_node(E *e, lexp_ntype t, const lexp_tnode *src)
{
    lexp_node *n = lexp__node_new(e->doc, t);
    if (!n) {
        lexp__error_oom(e->err);
        return NULL;
    }
    n->src_file = src->file;
    n->line = src->line;
    n->col = src->col;
    return n;
}

static int add_runs_in(E *e, struct lexp_doc *d, lexp_node *n, const runbuf *rb)
{
    for (int i = 0; i < rb->n; i++)
        if (lexp__node_add_run(d, n, rb->text.ptr + rb->p[i].start, rb->p[i].len,
                               rb->p[i].flags, 0, -1)) {
            lexp__error_oom(e->err);
            return -1;
        }
    return 0;
}

int lexp__x_add_runs(E *e, lexp_node *n, const runbuf *rb)
{
    return add_runs_in(e, e->doc, n, rb);
}

static int rb_blank(const runbuf *rb)
{
    for (size_t i = 0; i < rb->text.len; i++) {
        char c = rb->text.ptr[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return 0;
    }
    return 1;
}

static uint32_t last_cp(const lexp_node *n)
{
    if (!n->runs.n)
        return 0;
    const lexp_run *r = &n->runs.v[n->runs.n - 1];
    size_t i = r->len;
    while (i > 0 && ((unsigned char)r->text[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return 0;
    uint32_t cp = 0;
    lexp__utf8_decode(r->text + i - 1, r->len - (i - 1), &cp);
    return cp;
}

static int text_line(E *e, const lexp_tnode *src, const lexp_line *l)
{
    lexp_asm *as = e->as;
    runbuf *rb = &as->rb;
    if (lexp__x_eval_inline(e, l->content, rb))
        return -1;
    if (rb_blank(rb))
        return 0; /* a line that evaluates to nothing adds nothing */
    if (as->table && finish_table(e))
        return -1;
    as->list = NULL;
    if (as->block == B_TITLE) {
        /* each line of a title block is a title; lines after the first are
         * subtitles (——利通区胜利镇秦渠社区民族团结进步先进事迹) */
        lexp_node *t = lexp__x_new_node(e, LEXP_N_TITLE, src);
        if (!t)
            return -1;
        t->u.title.level = as->titles++ > 0;
        place(e, t);
        return lexp__x_add_runs(e, t, rb);
    }
    if (as->para) {
        /* Join lines: no space next to Chinese text, one space between
         * two Latin words or numbers. */
        uint32_t a = last_cp(as->para), b = 0;
        lexp__utf8_decode(rb->text.ptr, rb->text.len, &b);
        if (a && b && !lexp__is_cjk(a) && !lexp__is_cjk(b) && a != ' ' && b != ' ')
            if (lexp__node_add_run(e->doc, as->para, " ", 1, rb->p[0].flags, 0, -1))
                return lexp__error_oom(e->err), -1;
        return lexp__x_add_runs(e, as->para, rb);
    }
    lexp_node *p = lexp__x_new_node(e, LEXP_N_PARAGRAPH, src);
    if (!p)
        return -1;
    p->u.para.align = as->align;
    p->u.para.indent = (as->noindent || as->align == LEXP_ALIGN_CENTER ||
                        as->align == LEXP_ALIGN_RIGHT)
                           ? 0
                           : 2;
    place(e, p);
    as->para = p;
    return lexp__x_add_runs(e, p, rb);
}

static void heading_number(E *e, lexp__sbuf *b, int level, int n)
{
    (void)e;
    switch (level) {
    case 1:
        lexp__cn_small(b, n);
        lexp__sbuf_puts(b, "、");
        break;
    case 2:
        lexp__sbuf_puts(b, "（");
        lexp__cn_small(b, n);
        lexp__sbuf_puts(b, "）");
        break;
    case 3: lexp__sbuf_printf(b, "%d.", n); break;
    default: lexp__sbuf_printf(b, "（%d）", n); break;
    }
}

static int heading_line(E *e, const lexp_tnode *src, const lexp_line *l)
{
    lexp_asm *as = e->as;
    runbuf *rb = &as->rb;
    if (lexp__x_eval_inline(e, l->content, rb))
        return -1;
    if (lexp__x_close_all(e))
        return -1;
    lexp_node *h = lexp__x_new_node(e, LEXP_N_HEADING, src);
    if (!h)
        return -1;
    int lv = l->level;
    h->u.heading.level = lv;
    h->u.heading.number = "";
    if (!l->unnumbered && e->doc->numbering) {
        as->heading[lv - 1]++;
        for (int i = lv; i < 4; i++)
            as->heading[i] = 0;
        lexp__sbuf b = LEXP__SBUF_INIT;
        heading_number(e, &b, lv, as->heading[lv - 1]);
        h->u.heading.number = lexp__arena_strndup(e->A, lexp__sbuf_cstr(&b), b.len);
        lexp__sbuf_free(&b);
        if (!h->u.heading.number)
            return lexp__error_oom(e->err), -1;
    }
    place(e, h);
    return lexp__x_add_runs(e, h, rb);
}

static int is_total_label(const char *s, size_t n)
{
    /* 合计, 总计, 小计, also written with spaces: 合　计 */
    char t[32];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof t - 1; i++) {
        if (s[i] == ' ' || s[i] == '\t')
            continue;
        if (i + 3 <= n && memcmp(s + i, "\xE3\x80\x80", 3) == 0) {
            i += 2;
            continue;
        }
        t[k++] = s[i];
    }
    t[k] = 0;
    return strcmp(t, "合计") == 0 || strcmp(t, "总计") == 0 || strcmp(t, "小计") == 0 ||
           strcmp(t, "总数") == 0;
}

static void cell_value(lexp_node *c, const runbuf *rb)
{
    if (rb->nexpr != 1 || rb->literal || !rb->last)
        return;
    V *v = rb->last;
    if (v->type == LV_NUM) {
        c->u.cell.kind = LEXP_CELL_NUMBER;
        c->u.cell.num = v->u.num;
        /* decimals as printed */
        int d = 0;
        double x = fabs(v->u.num);
        while (d < 6 && fabs(x - floor(x + 0.5)) > 1e-9 * (x > 1 ? x : 1)) {
            x *= 10;
            d++;
        }
        c->u.cell.decimals = d;
        return;
    }
    if (v->type != LV_STR)
        return;
    switch (v->hint) {
    case LH_NUMBER:
        c->u.cell.kind = LEXP_CELL_NUMBER;
        c->u.cell.thousands = 1;
        c->u.cell.formula = v->hfmt;
        break;
    case LH_PERCENT:
        c->u.cell.kind = LEXP_CELL_PERCENT;
        c->u.cell.formula = v->hfmt;
        break;
    case LH_DATE:
        c->u.cell.kind = LEXP_CELL_DATE;
        c->u.cell.datefmt = v->hfmt;
        break;
    case LH_MONEY: c->u.cell.kind = LEXP_CELL_MONEY; break;
    default: return;
    }
    c->u.cell.num = v->hnum;
    c->u.cell.decimals = v->hdec;
}

static int resolve_spans(E *e, lexp_node *t, lexp_node *from, int nr);

static int has_up(const lexp_node *row)
{
    for (const lexp_node *c = row->first; c; c = c->next)
        if (c->runs.n == 1 && c->runs.v[0].len == 1 && c->runs.v[0].text[0] == '^')
            return 1;
    return 0;
}

/* After row `x` of the open table: start streaming past the threshold,
 * and while streaming, move the rows before x to the spool once x shows
 * that no span reaches back into them (it has no '^'). */
int lexp__x_stream_rows(E *e, lexp_node *x)
{
    lexp_asm *as = e->as;
    lexp_node *t = as->table;
    if (!as->header_marked || !as->stream_rows)
        return 0;
    if (!as->rows) {
        int body = lexp__table_rows(t) - t->u.table.header_rows;
        if (body <= (int)as->stream_rows)
            return 0;
        if (!(as->rows = lexp__spool_rows_doc(e->doc, t)))
            return lexp__error_oom(e->err), -1;
    }
    if (has_up(x))
        return 0;
    lexp_node *from = t->first;
    for (int k = 0; k < t->u.table.resolved && from; k++)
        from = from->next;
    int nr = 0;
    for (lexp_node *r = from; r && r != x; r = r->next)
        nr++;
    if (nr && resolve_spans(e, t, from, nr))
        return -1;
    int kept = t->u.table.resolved;
    for (lexp_node *r = from, *next; r && r != x; r = next) {
        next = r->next;
        if (r->u.row.header) {
            kept++;
            continue;
        }
        if (lexp__spool_row(e->doc, t, r))
            return lexp__error_set(e->err, LEXP_EIO, x->src_file, x->line, x->col, NULL,
                                   "cannot keep the rows of a long table: out of memory or "
                                   "the temporary file failed"),
                   -1;
    }
    t->u.table.resolved = kept;
    if (!lexp__spool_rehome(e->doc, t, x))
        return lexp__error_oom(e->err), -1;
    return 0;
}

static int row_line(E *e, const lexp_tnode *src, const lexp_line *l)
{
    lexp_asm *as = e->as;
    as->para = NULL;
    as->list = NULL;
    if (as->table && as->table->u.table.ncols != l->ncells) {
        lexp__error_set(e->err, LEXP_EEVAL, src->file, src->line, src->col, NULL,
                        "this row has %d cells, but the table above has %d columns", l->ncells,
                        as->table->u.table.ncols);
        return -1;
    }
    if (!as->table) {
        lexp_node *t = lexp__table_new(e->doc, l->ncells);
        if (!t)
            return lexp__error_oom(e->err), -1;
        t->src_file = src->file;
        t->line = src->line;
        t->col = src->col;
        place(e, t);
        as->table = t;
        as->header_marked = 0;
        as->rows = NULL;
    }
    /* a streaming table's rows live in its rows document, strings and all */
    struct lexp_doc *rd = as->rows ? as->rows : e->doc;
    lexp_node *row = lexp__row_add(rd, as->table);
    if (!row)
        return lexp__error_oom(e->err), -1;
    row->src_file = src->file;
    row->line = src->line;
    row->col = src->col;
    row->u.row.total = l->total;
    int first_text = 1;
    for (int i = 0; i < l->ncells; i++) {
        runbuf *rb = &as->rb;
        if (lexp__x_eval_inline(e, l->cells[i], rb))
            return -1;
        lexp_node *c = lexp__cell_add(rd, row, NULL);
        if (!c)
            return lexp__error_oom(e->err), -1;
        c->src_file = src->file;
        c->line = src->line;
        c->col = l->cell_cols[i];
        if (add_runs_in(e, rd, c, rb))
            return -1;
        cell_value(c, rb);
        if (as->rows && ((c->u.cell.datefmt && !(c->u.cell.datefmt = lexp__doc_strdup(
                                                     rd, c->u.cell.datefmt))) ||
                         (c->u.cell.formula && !(c->u.cell.formula = lexp__doc_strdup(
                                                     rd, c->u.cell.formula)))))
            return lexp__error_oom(e->err), -1;
        if (first_text && !rb_blank(rb)) {
            first_text = 0;
            if (is_total_label(rb->text.ptr, rb->text.len))
                row->u.row.total = 1;
        }
    }
    return lexp__x_stream_rows(e, row);
}

static int sep_line(E *e, const lexp_tnode *src, const lexp_line *l)
{
    lexp_asm *as = e->as;
    if (!as->table || as->header_marked) {
        lexp__error_set(e->err, LEXP_EEVAL, src->file, src->line, src->col, NULL,
                        as->table ? "a table has one separator row |---|; this is a second one"
                                  : "a separator row |---| must follow a header row | … |");
        return -1;
    }
    if (as->table->u.table.ncols != l->ncells) {
        lexp__error_set(e->err, LEXP_EEVAL, src->file, src->line, src->col, NULL,
                        "the separator has %d cells, but the header has %d", l->ncells,
                        as->table->u.table.ncols);
        return -1;
    }
    as->header_marked = 1;
    int rows = 0;
    for (lexp_node *r = as->table->first; r; r = r->next) {
        r->u.row.header = 1;
        r->u.row.total = 0;
        rows++;
    }
    as->table->u.table.header_rows = rows;
    memcpy(as->table->u.table.aligns, l->aligns, (size_t)l->ncells * sizeof *l->aligns);
    return 0;
}

static int cell_is(const lexp_node *c, const char *mark)
{
    return c->runs.n == 1 && c->runs.v[0].len == strlen(mark) &&
           memcmp(c->runs.v[0].text, mark, c->runs.v[0].len) == 0;
}

/* Resolve spans: a cell holding only "<" joins the cell on its left, "^"
 * the cell above. A covered cell remembers its anchor, so "<" next to a
 * cell that is itself covered extends that cell's span when both share the
 * row (and "^" when both share the column); any other combination would
 * make a merged area that is not a rectangle, and is refused. */
static int span_error(E *e, const lexp_node *cell, const char *msg)
{
    lexp__error_set(e->err, LEXP_EEVAL, cell->src_file, cell->line, cell->col, NULL, "%s",
                    msg);
    return -1;
}

static int finish_table(E *e)
{
    lexp_asm *as = e->as;
    lexp_node *t = as->table;
    as->table = NULL;
    as->rows = NULL;
    lexp_node *from = t->first;
    for (int k = 0; k < t->u.table.resolved && from; k++)
        from = from->next;
    int nr = 0;
    for (lexp_node *r = from; r; r = r->next)
        nr++;
    return resolve_spans(e, t, from, nr);
}

/* Spans and column alignments of the `nr` tree rows from `from`: no span
 * reaches into them from rows before. */
static int resolve_spans(E *e, lexp_node *t, lexp_node *first, int nr)
{
    int nc = t->u.table.ncols;
    size_t cells = (size_t)nc * (size_t)(nr ? nr : 1);
    lexp_node **grid = malloc(cells * sizeof *grid);
    int *anchor = malloc(cells * sizeof *anchor); /* index of the anchor cell */
    if (!grid || !anchor) {
        free(grid);
        free(anchor);
        return lexp__error_oom(e->err), -1;
    }
    int r = 0;
    for (lexp_node *row = first; row && r < nr; row = row->next, r++) {
        int c = 0;
        for (lexp_node *cell = row->first; cell; cell = cell->next, c++) {
            grid[r * nc + c] = cell;
            anchor[r * nc + c] = r * nc + c;
            cell->u.cell.align = t->u.table.aligns[c];
        }
    }
    int rc = 0;
    for (r = 0; r < nr && rc == 0; r++) {
        for (int c = 0; c < nc && rc == 0; c++) {
            lexp_node *cell = grid[r * nc + c];
            if (cell->u.cell.covered)
                continue; /* taken by a span to its left, handled there */
            int left = cell_is(cell, "<"), up = cell_is(cell, "^");
            if (!(left && c > 0) && !(up && r > 0))
                continue;
            int from = left ? r * nc + c - 1 : (r - 1) * nc + c;
            int a = anchor[from];
            int ar = a / nc, ac = a % nc;
            lexp_node *an = grid[a];
            if (left) {
                /* the anchor must be on this row, and the span must reach us */
                if (ar != r || ac + an->u.cell.colspan != c)
                    rc = span_error(e, cell, "'<' joins a cell that is merged with the row "
                                             "above: the merged area would not be a rectangle");
                else
                    an->u.cell.colspan++;
            } else {
                int w = an->u.cell.colspan;
                int ok = ac == c && ar + an->u.cell.rowspan == r && c + w <= nc;
                for (int k = 1; ok && k < w; k++)
                    ok = cell_is(grid[r * nc + c + k], "^");
                if (!ok) {
                    rc = span_error(e, cell, "'^' must fill the whole width of the merged cell "
                                             "above it, so the merged area stays a rectangle");
                } else {
                    an->u.cell.rowspan++;
                    for (int k = 1; k < w; k++) {
                        anchor[r * nc + c + k] = a;
                        grid[r * nc + c + k]->u.cell.covered = 1;
                        grid[r * nc + c + k]->runs.n = 0;
                    }
                }
            }
            if (rc == 0) {
                anchor[r * nc + c] = a;
                cell->u.cell.covered = 1;
                cell->runs.n = 0;
            }
        }
    }
    free(grid);
    free(anchor);
    return rc;
}

const char *lexp__x_field_text(E *e, const lexp_value *obj, const char *key)
{
    V *v = lexp__v_getz(obj, key);
    if (!v || v->type != LV_STR || v->len == 0)
        return NULL;
    return v->u.str;
}

/* "2024-09-30" → "2024年9月30日" */
static const char *long_date(E *e, const char *iso)
{
    int y, m, d;
    if (!iso || !lexp__parse_date(iso, strlen(iso), &y, &m, &d))
        return NULL;
    return lexp__arena_printf(e->A, "%d年%d月%d日", y, m, d);
}

static const char *list_text(E *e, const lexp_value *obj, const char *key)
{
    V *v = lexp__v_getz(obj, key);
    if (!v)
        return NULL;
    if (v->type == LV_STR)
        return v->len ? v->u.str : NULL;
    if (v->type != LV_ARR || v->len == 0)
        return NULL;
    lexp__sbuf b = LEXP__SBUF_INIT;
    if (lexp__value_text(e, NULL, &b, v)) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    char *s = lexp__arena_strndup(e->A, lexp__sbuf_cstr(&b), b.len);
    lexp__sbuf_free(&b);
    return s;
}

const char *lexp__x_doc_date(E *e)
{
    V *d = e->period ? lexp__v_getz(e->period, "date") : NULL;
    if (!d)
        d = lexp__v_getz(e->root, "date");
    return d && d->type == LV_STR ? d->u.str : NULL;
}

/* Fill fields the template did not give, from the data. */
static int special_defaults(E *e, lexp_node *n)
{
    V *brief = lexp__v_getz(e->root, "briefing");
    V *com = lexp__v_getz(e->root, "community");
    const char *issuer = lexp__x_field_text(e, brief, "issuer");
    if (!issuer)
        issuer = lexp__x_field_text(e, com, "name");
    switch (n->type) {
    case LEXP_N_MASTHEAD:
        if (!n->u.masthead.title)
            n->u.masthead.title = lexp__x_field_text(e, brief, "title");
        if (!n->u.masthead.title)
            n->u.masthead.title = e->doc->title ? e->doc->title : "工作简报";
        if (!n->u.masthead.issue) {
            V *iss = e->period ? lexp__v_getz(e->period, "issue") : NULL;
            if (iss && iss->type == LV_NUM)
                n->u.masthead.issue = lexp__arena_printf(e->A, "第%.0f期", iss->u.num);
        }
        if (!n->u.masthead.issuer)
            n->u.masthead.issuer = issuer;
        if (!n->u.masthead.date)
            n->u.masthead.date = long_date(e, lexp__x_doc_date(e));
        break;
    case LEXP_N_SIGNATURE:
        if (!n->u.signature.issuer)
            n->u.signature.issuer = issuer;
        if (!n->u.signature.date)
            n->u.signature.date = long_date(e, lexp__x_doc_date(e));
        break;
    case LEXP_N_DISTRIBUTION:
        if (!n->u.dist.report_to)
            n->u.dist.report_to = list_text(e, brief, "report_to");
        if (!n->u.dist.send_to)
            n->u.dist.send_to = list_text(e, brief, "send_to");
        if (!n->u.dist.distribute_to)
            n->u.dist.distribute_to = list_text(e, brief, "distribute_to");
        if (n->u.dist.copies == 0) {
            V *c = lexp__v_getz(brief, "copies");
            if (c && c->type == LV_NUM && c->u.num > 0 && c->u.num < 1e9)
                n->u.dist.copies = (int)c->u.num;
        }
        break;
    default: break;
    }
    return lexp__error_is_set(e->err) ? -1 : 0;
}

static int field_line(E *e, const lexp_tnode *src, const lexp_line *l)
{
    lexp_asm *as = e->as;
    lexp_node *n = as->special;
    const char *v = lexp__x_inline_string(e, l->content, &as->rb);
    if (!v)
        return -1;
    if (!*v)
        return 0; /* an empty field keeps the default */
    const char *k = l->key;
#define K(s) (strcmp(k, s) == 0)
    switch (n->type) {
    case LEXP_N_MASTHEAD:
        if (K("title"))
            n->u.masthead.title = v;
        else if (K("issue"))
            n->u.masthead.issue = v;
        else if (K("issuer"))
            n->u.masthead.issuer = v;
        else if (K("date"))
            n->u.masthead.date = v;
        else if (K("note"))
            n->u.masthead.note = v;
        break;
    case LEXP_N_SIGNATURE:
        if (K("issuer"))
            n->u.signature.issuer = v;
        else if (K("date"))
            n->u.signature.date = v;
        break;
    default:
        if (K("report"))
            n->u.dist.report_to = v;
        else if (K("send"))
            n->u.dist.send_to = v;
        else if (K("distribute"))
            n->u.dist.distribute_to = v;
        else if (K("printer"))
            n->u.dist.printer = v;
        else if (K("date"))
            n->u.dist.date = v;
        else if (K("copies")) {
            char *end;
            long c = strtol(v, &end, 10);
            if (end == v || *end || c < 0 || c > 100000000) {
                lexp__error_set(e->err, LEXP_EEVAL, src->file, src->line, src->col, NULL,
                                "copies: expected a whole number, found \"%s\"", v);
                return -1;
            }
            n->u.dist.copies = (int)c;
        }
        break;
    }
#undef K
    return 0;
}

static const lexp_attr *find_attr(const lexp_line *l, const char *name)
{
    for (int i = 0; i < l->nattrs; i++)
        if (l->attrs[i].nlen == strlen(name) && memcmp(l->attrs[i].name, name, l->attrs[i].nlen) == 0)
            return &l->attrs[i];
    return NULL;
}

static const char *attr_text(E *e, const lexp_line *l, const char *name, int *err)
{
    const lexp_attr *a = find_attr(l, name);
    *err = 0;
    if (!a)
        return NULL;
    V *v = lexp__eval_expr(e, a->value);
    if (!v) {
        *err = 1;
        return NULL;
    }
    lexp__sbuf b = LEXP__SBUF_INIT;
    if (lexp__value_text(e, a->value, &b, v)) {
        *err = 1;
        lexp__sbuf_free(&b);
        return NULL;
    }
    char *s = lexp__arena_strndup(e->A, lexp__sbuf_cstr(&b), b.len);
    lexp__sbuf_free(&b);
    return s;
}

static int chart_open(E *e, const lexp_tnode *src, const lexp_line *l)
{
    lexp_node *c = lexp__x_new_node(e, LEXP_N_CHART, src);
    if (!c)
        return -1;
    c->u.chart.kind = (lexp_chartkind)l->chart_kind;
    int err;
    c->u.chart.title = attr_text(e, l, "title", &err);
    if (err)
        return -1;
    c->u.chart.series = attr_text(e, l, "series", &err);
    if (err)
        return -1;
    const char *label = attr_text(e, l, "label", &err);
    if (err)
        return -1;
    const char *value = attr_text(e, l, "value", &err);
    if (err)
        return -1;
    const lexp_attr *da = find_attr(l, "data");
    V *data = lexp__eval_expr(e, da->value);
    if (!data)
        return -1;
    if (data->type == LV_OBJ || data->type == LV_ARR) {
        c->u.chart.n = (int)data->len;
        c->u.chart.labels = lexp__arena_zalloc(e->A, (data->len + 1) * sizeof(char *));
        c->u.chart.values = lexp__arena_zalloc(e->A, (data->len + 1) * sizeof(double));
        if (!c->u.chart.labels || !c->u.chart.values)
            return lexp__error_oom(e->err), -1;
    }
    if (data->type == LV_OBJ) {
        /* {"宣传": 3, "培训": 2} */
        for (uint32_t i = 0; i < data->len; i++) {
            const lexp_member *m = &data->u.members[i];
            double x;
            if (!lexp__x_num_of(m->val, &x))
                return lexp__eval_fail(e, da->value, m->val, "chart values must be numbers"),
                       -1;
            c->u.chart.labels[i] = lexp__arena_strndup(e->A, m->key, m->klen);
            c->u.chart.values[i] = x;
        }
    } else if (data->type == LV_ARR) {
        for (uint32_t i = 0; i < data->len; i++) {
            V *it = data->u.items[i];
            V *lv = NULL, *vv = NULL;
            if (it->type != LV_OBJ)
                return lexp__eval_fail(e, da->value, it,
                                       "chart data must be a list of objects (or an object of "
                                       "numbers)"),
                       -1;
            if (label)
                lv = lexp__v_getz(it, label);
            else if (!(lv = lexp__v_getz(it, "label")) && !(lv = lexp__v_getz(it, "name")))
                lv = lexp__v_getz(it, "key");
            double x = 0;
            if (value) {
                vv = lexp__v_getz(it, value);
                if (!vv) {
                    /* groupby groups: value="participants" sums that field */
                    V *items = lexp__v_getz(it, "items");
                    if (items && items->type == LV_ARR) {
                        for (uint32_t k = 0; k < items->len; k++) {
                            V *f = lexp__v_getz(items->u.items[k], value);
                            double y;
                            if (f && lexp__x_num_of(f, &y))
                                x += y;
                        }
                        vv = &lexp__true;
                    }
                }
            } else if (!(vv = lexp__v_getz(it, "value"))) {
                vv = lexp__v_getz(it, "count");
            }
            if (vv && vv != &lexp__true && !lexp__x_num_of(vv, &x))
                return lexp__eval_fail(e, da->value, vv, "chart values must be numbers"), -1;
            if (!vv)
                return lexp__eval_fail(e, da->value, it,
                                       "chart item has no value: give value=\"field\""),
                       -1;
            lexp__sbuf b = LEXP__SBUF_INIT;
            if (lv && lexp__value_text(e, da->value, &b, lv)) {
                lexp__sbuf_free(&b);
                return -1;
            }
            c->u.chart.labels[i] = lexp__arena_strndup(e->A, lexp__sbuf_cstr(&b), b.len);
            lexp__sbuf_free(&b);
            c->u.chart.values[i] = x;
        }
    } else if (data->type > LV_NULL) {
        return lexp__eval_fail(e, da->value, data, "chart data must be a list or an object"),
               -1;
    }
    place(e, c);
    return 0;
}

static int image_line(E *e, const lexp_tnode *src, const lexp_line *l)
{
    lexp_asm *as = e->as;
    if (lexp__x_close_all(e))
        return -1;
    const char *cap = lexp__x_inline_string(e, l->content, &as->rb);
    const char *path = cap ? lexp__x_inline_string(e, l->path, &as->rb2) : NULL;
    if (!path)
        return -1;
    if (!*path)
        return 0; /* no photo for this item */
    /* Images come from data: keep them inside the data's directory. */
    int bad = path[0] == '/' || strstr(path, "://") != NULL;
    for (const char *p = path; *p && !bad; p++)
        if (p[0] == '.' && p[1] == '.' && (p == path || p[-1] == '/') && (p[2] == '/' || !p[2]))
            bad = 1;
    if (bad) {
        lexp__error_set(e->err, LEXP_EEVAL, src->file, src->line, src->col, NULL,
                        "image path \"%s\" must be relative to the data's directory and stay "
                        "inside it (no '..', no absolute paths)",
                        path);
        return -1;
    }
    lexp_node *n = lexp__x_new_node(e, LEXP_N_IMAGE, src);
    if (!n)
        return -1;
    n->u.image.caption = *cap ? cap : NULL;
    n->u.image.path = path;
    const char *base = e->doc->base_dir ? e->doc->base_dir : ".";
    n->u.image.resolved = lexp__arena_printf(e->A, "%s/%s", base, path);
    n->u.image.base = base;
    const lexp_attr *w = find_attr(l, "width");
    if (w) {
        V *v = lexp__eval_expr(e, w->value);
        double x;
        if (!v)
            return -1;
        if (!lexp__x_num_of(v, &x) || x <= 0 || x > 1)
            return lexp__eval_fail(e, w->value, v, "width is a fraction of the text width, "
                                                   "greater than 0 and at most 1"),
                   -1;
        n->u.image.width = x;
    }
    place(e, n);
    return 0;
}

static int list_item(E *e, const lexp_tnode *src, const lexp_line *l)
{
    lexp_asm *as = e->as;
    int ordered = l->kind == L_ORDERED;
    runbuf *rb = &as->rb;
    if (lexp__x_eval_inline(e, l->content, rb))
        return -1;
    if (rb_blank(rb))
        return 0;
    as->para = NULL;
    if (as->table && finish_table(e))
        return -1;
    if (!as->list || as->list_ordered != ordered) {
        lexp_node *li = lexp__x_new_node(e, LEXP_N_LIST, src);
        if (!li)
            return -1;
        li->u.list.ordered = ordered;
        place(e, li);
        as->list = li;
        as->list_ordered = ordered;
    }
    lexp_node *it = lexp__x_new_node(e, LEXP_N_ITEM, src);
    if (!it)
        return -1;
    int count = 0;
    for (lexp_node *k = as->list->first; k; k = k->next)
        count++;
    it->u.item.number = ordered ? lexp__arena_printf(e->A, "%d.", count + 1) : "";
    lexp__node_append(as->list, it);
    return lexp__x_add_runs(e, it, rb);
}

int lexp__x_eval_line(E *e, const lexp_tnode *n)
{
    lexp_asm *as = e->as;
    const lexp_line *l = n->ln;
    switch (l->kind) {
    case L_TEXT: return text_line(e, n, l);
    case L_HEADING: return heading_line(e, n, l);
    case L_ROW: return row_line(e, n, l);
    case L_SEP: return sep_line(e, n, l);
    case L_BLANK: return lexp__x_close_all(e);
    case L_BULLET:
    case L_ORDERED: return list_item(e, n, l);
    case L_IMAGE: return image_line(e, n, l);
    case L_FIELD: return field_line(e, n, l);
    case L_CAPTION: {
        if (!as->table) {
            lexp__error_set(e->err, LEXP_EEVAL, n->file, n->line, n->col, NULL,
                            "'Table:' gives a table its caption and must follow the table's "
                            "last row directly");
            return -1;
        }
        const char *cap = lexp__x_inline_string(e, l->content, &as->rb);
        if (!cap)
            return -1;
        as->table->u.table.caption = *cap ? cap : NULL;
        return 0;
    }
    case L_PAGEBREAK:
    case L_RULE: {
        if (lexp__x_close_all(e))
            return -1;
        lexp_node *b =
            lexp__x_new_node(e, l->kind == L_PAGEBREAK ? LEXP_N_PAGEBREAK : LEXP_N_RULE, n);
        if (!b)
            return -1;
        place(e, b);
        return 0;
    }
    case L_OPEN:
        if (lexp__x_close_all(e))
            return -1;
        as->block = l->block;
        switch (l->block) {
        case B_MASTHEAD:
        case B_SIGNATURE:
        case B_DISTRIBUTION: {
            lexp_ntype t = l->block == B_MASTHEAD    ? LEXP_N_MASTHEAD
                           : l->block == B_SIGNATURE ? LEXP_N_SIGNATURE
                                                     : LEXP_N_DISTRIBUTION;
            lexp_node *s = lexp__x_new_node(e, t, n);
            if (!s)
                return -1;
            as->special = s;
            return 0;
        }
        case B_CHART: return chart_open(e, n, l);
        case B_CENTER: as->align = LEXP_ALIGN_CENTER; return 0;
        case B_RIGHT: as->align = LEXP_ALIGN_RIGHT; return 0;
        case B_LEFT: as->align = LEXP_ALIGN_LEFT; return 0;
        case B_NOINDENT: as->noindent = 1; return 0;
        case B_TITLE: as->titles = 0; return 0;
        case B_ONLY: as->formats = l->formats; return 0;
        default: return 0;
        }
    case L_CLOSE:
        if (lexp__x_close_all(e))
            return -1;
        if (as->special) {
            if (special_defaults(e, as->special))
                return -1;
            place(e, as->special);
            as->special = NULL;
        }
        if (l->block == B_ONLY)
            as->formats = 0;
        as->block = as->formats ? B_ONLY : -1; /* back in the enclosing only block */
        as->align = LEXP_ALIGN_DEFAULT;
        as->noindent = 0;
        return 0;
    default: return 0;
    }
}

