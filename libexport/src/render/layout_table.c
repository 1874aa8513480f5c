/*
 * Layout of tables: column widths from every cell's content, rows broken
 * at those widths and placed on pages with the header repeated (and 续表
 * above it), rows tied by row spans kept together, a row that fits on a
 * page never split, a total row never alone on a page.
 *
 * A table is read twice, row by row, through the document's row iterator
 * (tree rows and spooled ones alike): once to measure the columns, once to
 * place the rows. While placing, only the header rows and a window of body
 * rows hold their text and lines: the group of rows tied by spans being
 * placed and the next group (the last-group rule looks at it). A long
 * table's layout so needs the memory of a few rows, not of all of them.
 * A small table keeps its cells' text from the first reading instead of
 * building it again.
 */
#include "layout_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* Tables of at most this many cells keep their text between the readings. */
#define KEEP_CELLS 1024
#define NOID SIZE_MAX

typedef struct tcell {
    int r, c, rs, cs;
    text t;
    lines ln;
    double pitch, size;
    lexp_align align;
    size_t next;     /* first line not yet drawn */
    double part_top; /* where its part on this page began (area y) */
} tcell;

typedef struct trow {
    double h;
    size_t c0, c1; /* its cells: ids [c0, c1) */
} trow;

/* A cell spanning columns, as measured: its widths widen its columns once
 * every single-column cell is counted. */
typedef struct tspan {
    int c, cs;
    double minw, maxw;
} tspan;

typedef struct TB {
    LX *lx;
    const lexp_node *node;
    int nr, nc, nhead;
    /* Row slots: header row r at slot r, body row r at nhead + r - lo. The
     * body rows in the window are [lo, hi); slots reach `top` (> hi when a
     * span from a loaded row already claims grid places further down). */
    trow *rows;
    size_t *grid; /* slots × nc: the id of the cell covering each place */
    size_t caprows;
    int lo, hi, top;
    int hdone; /* body rows [nhead, hdone) have their heights */
    /* Cells by id: the header's [0, nhc) at cells[id]; the window's from
     * cbase on at cells[nhc + id - cbase]. */
    tcell *cells;
    size_t ncells, capcells, nhc, cbase, nextid;
    size_t *open; /* the cells with a part on this page, in order */
    size_t nopen, capopen;
    double *colw, *colx;
    lexp__rowit it; /* the placing reading */
    int reading;
    text *kept; /* a small table's cell texts from the first reading */
    size_t nkept, ikept;
    char cont[64]; /* 续表 or 续表N, above the header on continuation pages */
    double cont_h;
} TB;

static tcell *cell(TB *tb, size_t id)
{
    return id < tb->nhc ? &tb->cells[id] : &tb->cells[tb->nhc + (id - tb->cbase)];
}

static size_t slot(const TB *tb, int r) { return r < tb->nhead ? (size_t)r : (size_t)(tb->nhead + r - tb->lo); }

static trow *row_at(TB *tb, int r) { return &tb->rows[slot(tb, r)]; }

static size_t *grid_at(TB *tb, int r, int c) { return &tb->grid[slot(tb, r) * (size_t)tb->nc + (size_t)c]; }

static int read_failed(TB *tb)
{
    const lexp_node *n = tb->node;
    return lexp__error_set(tb->lx->err, LEXP_EIO, n->src_file, n->line, n->col, NULL,
                           "cannot read the rows of this long table back: out of memory or "
                           "the temporary file failed");
}

/* The text style of row r (node `row`): header rows centred in their own
 * style, total rows bold. */
static void row_style(const TB *tb, int r, const lexp_node *row, lexp_textstyle *ts, int *bold)
{
    const lexp_style *st = tb->lx->st;
    int header = r < tb->nhead || row->u.row.header;
    *ts = header ? st->table_header : st->table;
    *bold = row->u.row.total != 0;
}

/* A cell's text in the row's style (bold for header styles that are). */
static int cell_text(TB *tb, text *t, const lexp_node *cellnode, const lexp_textstyle *ts,
                     int bold)
{
    if (add_runs(tb->lx, t, &cellnode->runs, ts, bold || ts->bold))
        return -1;
    text_finish(t);
    return 0;
}

/* ---- the first reading: column widths ------------------------------------------------- */

/* The widest unbreakable unit and the single-line width of a cell's text,
 * padding included. */
static void cell_widths(const text *t, double size, double *minw, double *maxw)
{
    double unit = 0, mx = 0, line = 0, mn = 0;
    for (size_t k = 0; k < t->n; k++) {
        const tch *ch = &t->c[k];
        if (ch->fl & F_NL) {
            mx = fmax(mx, line);
            line = 0;
            unit = 0;
            continue;
        }
        if (ch->brk) {
            mn = fmax(mn, unit);
            unit = 0;
        }
        unit += ch->adv;
        line += ch->adv;
    }
    mn = fmax(mn, unit);
    mx = fmax(mx, line);
    double pad = 2 * CELL_PAD_X * size;
    *minw = mn + pad;
    *maxw = mx + pad;
}

/* Column widths: every column at least its widest unbreakable unit; the
 * rest of the type width shared in proportion to what each column would
 * need to set its cells on one line. Spanning cells widen their columns.
 * mn/mx hold the single-column cells' widths and are changed. */
static void columns(TB *tb, double *mn, double *mx, const tspan *sp, size_t nsp)
{
    int nc = tb->nc;
    double W = tb->lx->aw;
    for (size_t i = 0; i < nsp; i++) {
        const tspan *c = &sp[i];
        double smin = 0, smax = 0;
        for (int k = c->c; k < c->c + c->cs; k++) {
            smin += mn[k];
            smax += mx[k];
        }
        for (int k = c->c; k < c->c + c->cs; k++) {
            if (c->minw > smin)
                mn[k] += (c->minw - smin) / c->cs;
            if (c->maxw > smax)
                mx[k] += (c->maxw - smax) / c->cs;
        }
    }
    double smin = 0, smax = 0;
    for (int c = 0; c < nc; c++) {
        if (mx[c] < mn[c])
            mx[c] = mn[c];
        smin += mn[c];
    }
    if (smin > W) {
        /* words wider than the table: no column may claim more than its
         * share for them (they break between characters instead) */
        smin = 0;
        for (int c = 0; c < nc; c++) {
            mn[c] = fmin(mn[c], W / nc);
            smin += mn[c];
        }
    }
    for (int c = 0; c < nc; c++)
        smax += mx[c];
    /* when not everything fits on one line, cap the widths at the level L
     * that fills the table: columns narrower than L are not wrapped at all,
     * wider ones wrap at L (but never below their widest unit) */
    double L = 0;
    if (smax > W && smin <= W) {
        double lo = 0, hi = 0;
        for (int c = 0; c < nc; c++)
            hi = fmax(hi, mx[c]);
        for (int k = 0; k < 50; k++) {
            double mid = (lo + hi) / 2, f = 0;
            for (int c = 0; c < nc; c++)
                f += fmin(mx[c], fmax(mid, mn[c]));
            if (f > W)
                hi = mid;
            else
                lo = mid;
        }
        L = lo;
    }
    for (int c = 0; c < nc; c++) {
        if (smax <= W) /* everything fits: share the spare width */
            tb->colw[c] = smax > 0 ? mx[c] + (W - smax) * mx[c] / smax : W / nc;
        else
            tb->colw[c] = fmin(mx[c], fmax(L, mn[c]));
    }
    if (smax > W) {
        /* give the rounding rest to the widest column */
        double sum = 0;
        int wide = 0;
        for (int c = 0; c < nc; c++) {
            sum += tb->colw[c];
            if (tb->colw[c] > tb->colw[wide])
                wide = c;
        }
        tb->colw[wide] += W - sum;
    }
    double x = 0;
    for (int c = 0; c < nc; c++) {
        tb->colx[c] = x;
        x += tb->colw[c];
    }
}

/* Read every row once: the header rows, the limit on characters, and the
 * columns' widths. A small table keeps its cells' text in tb->kept. */
static int measure(TB *tb)
{
    LX *lx = tb->lx;
    const lexp_node *n = tb->node;
    int nc = tb->nc, rc = -1;
    double *mn = calloc((size_t)nc, sizeof *mn), *mx = calloc((size_t)nc, sizeof *mx);
    tspan *sp = NULL;
    size_t nsp = 0, capsp = 0, chars = 0, capkept = 0;
    text scratch;
    memset(&scratch, 0, sizeof scratch);
    int keep = (size_t)tb->nr * (size_t)nc <= KEEP_CELLS;
    /* header rows: the leading rows marked as such, or as many as the
     * table says; none when every row is one */
    int explicit = n->u.table.header_rows > 0, leading = 1;
    tb->nhead = explicit ? n->u.table.header_rows : 0;
    if (tb->nhead >= tb->nr)
        tb->nhead = 0;
    lexp__rowit it;
    lexp__rowit_begin(&it, n);
    if (!mn || !mx) {
        lexp__error_oom(lx->err);
        goto done;
    }
    const lexp_node *row;
    for (int r = 0; r < tb->nr && (row = lexp__rowit_next(&it)); r++) {
        if (!explicit && leading && row->u.row.header)
            tb->nhead++;
        else
            leading = 0;
        lexp_textstyle ts;
        int bold;
        row_style(tb, r, row, &ts, &bold);
        const lexp_node *cn = row->first;
        for (int c = 0; c < nc && cn; c++, cn = cn->next) {
            if (cn->u.cell.covered)
                continue;
            text *t = &scratch;
            if (keep) {
                if (lexp__grow((void **)&tb->kept, &capkept, tb->nkept + 1, sizeof *tb->kept)) {
                    lexp__error_oom(lx->err);
                    goto done;
                }
                t = &tb->kept[tb->nkept++];
                memset(t, 0, sizeof *t);
            } else {
                t->n = t->nst = 0;
            }
            if (cell_text(tb, t, cn, &ts, bold))
                goto done;
            if ((chars += t->n) > LEXP_PDF_MAX_TABLE_CHARS) {
                lexp__error_set(lx->err, LEXP_ELIMIT, n->src_file, n->line, n->col, NULL,
                                "the cells of this table have more than %u characters, "
                                "the limit for a PDF (LEXP_PDF_MAX_TABLE_CHARS): render it "
                                "as XLSX or DOCX, which stream long tables",
                                LEXP_PDF_MAX_TABLE_CHARS);
                goto done;
            }
            int cs = cn->u.cell.colspan > 1 ? cn->u.cell.colspan : 1;
            if (c + cs > nc)
                cs = nc - c;
            double minw, maxw;
            cell_widths(t, ts.size, &minw, &maxw);
            if (cs == 1) {
                mn[c] = fmax(mn[c], minw);
                mx[c] = fmax(mx[c], maxw);
            } else {
                if (lexp__grow((void **)&sp, &capsp, nsp + 1, sizeof *sp)) {
                    lexp__error_oom(lx->err);
                    goto done;
                }
                sp[nsp++] = (tspan){c, cs, minw, maxw};
            }
        }
    }
    if (it.failed) {
        read_failed(tb);
        goto done;
    }
    if (!explicit && tb->nhead >= tb->nr)
        tb->nhead = 0; /* a table of headers only: nothing to repeat */
    columns(tb, mn, mx, sp, nsp);
    rc = 0;
done:
    lexp__rowit_end(&it);
    text_free(&scratch);
    free(mn);
    free(mx);
    free(sp);
    return rc;
}

/* ---- the second reading: a window of rows --------------------------------------------- */

static double span_width(const TB *tb, const tcell *c)
{
    double w = 0;
    for (int k = c->c; k < c->c + c->cs && k < tb->nc; k++)
        w += tb->colw[k];
    return w;
}

/* Slots up to row r (exclusive of nothing: r gets one), new ones empty. */
static int reserve(TB *tb, int r)
{
    if (r < tb->top)
        return 0;
    size_t need = slot(tb, r) + 1, had = slot(tb, tb->top);
    if (need > tb->caprows) {
        size_t cap = tb->caprows ? tb->caprows * 2 : 8;
        while (cap < need)
            cap *= 2;
        trow *rows = realloc(tb->rows, cap * sizeof *rows);
        if (rows)
            tb->rows = rows;
        size_t *grid = realloc(tb->grid, cap * (size_t)tb->nc * sizeof *grid);
        if (grid)
            tb->grid = grid;
        if (!rows || !grid)
            return lexp__error_oom(tb->lx->err);
        tb->caprows = cap;
    }
    for (size_t s = had; s < need; s++) {
        memset(&tb->rows[s], 0, sizeof tb->rows[s]);
        for (int c = 0; c < tb->nc; c++)
            tb->grid[s * (size_t)tb->nc + (size_t)c] = NOID;
    }
    tb->top = r + 1;
    return 0;
}

/* Read the next row (row tb->hi, or a header row while the header loads):
 * its cells' text, broken into lines at the column widths. */
static int load_row(TB *tb, int r)
{
    LX *lx = tb->lx;
    int nc = tb->nc, nr = tb->nr;
    const lexp_node *row = lexp__rowit_next(&tb->it);
    if (!row)
        return read_failed(tb);
    if (reserve(tb, r))
        return -1;
    lexp_textstyle ts;
    int bold;
    row_style(tb, r, row, &ts, &bold);
    trow *R = row_at(tb, r);
    R->c0 = tb->nextid;
    const lexp_node *cn = row->first;
    for (int c = 0; c < nc && cn; c++, cn = cn->next) {
        if (cn->u.cell.covered)
            continue;
        if (lexp__grow((void **)&tb->cells, &tb->capcells, tb->ncells + 1, sizeof *tb->cells))
            return lexp__error_oom(lx->err);
        size_t id = tb->nextid++;
        tcell *tc = &tb->cells[tb->ncells++];
        memset(tc, 0, sizeof *tc);
        tc->r = r;
        tc->c = c;
        tc->cs = cn->u.cell.colspan > 1 ? cn->u.cell.colspan : 1;
        tc->rs = cn->u.cell.rowspan > 1 ? cn->u.cell.rowspan : 1;
        if (c + tc->cs > nc)
            tc->cs = nc - c;
        if (r + tc->rs > nr)
            tc->rs = nr - r;
        if (r < tb->nhead && r + tc->rs > tb->nhead)
            tc->rs = tb->nhead - r; /* spans do not leave the header */
        tc->pitch = ts.line_pitch;
        tc->size = ts.size;
        if (tb->kept) {
            tc->t = tb->kept[tb->ikept];
            memset(&tb->kept[tb->ikept++], 0, sizeof *tb->kept);
        } else if (cell_text(tb, &tc->t, cn, &ts, bold)) {
            return -1;
        }
        int header = r < tb->nhead || row->u.row.header;
        lexp_align a = cn->u.cell.align;
        if (header)
            a = LEXP_ALIGN_CENTER;
        else if (a == LEXP_ALIGN_DEFAULT)
            a = cn->u.cell.kind != LEXP_CELL_TEXT ? LEXP_ALIGN_RIGHT : LEXP_ALIGN_LEFT;
        else if (a == LEXP_ALIGN_JUSTIFY)
            a = LEXP_ALIGN_LEFT;
        tc->align = a;
        double padx = CELL_PAD_X * tc->size;
        double w = span_width(tb, tc) - 2 * padx;
        if (break_lines(&tc->t, w, w, &tc->ln))
            return lexp__error_oom(lx->err);
        for (size_t k = 0; k < tc->ln.n; k++) {
            tc->ln.v[k].last = 1; /* cells are not justified */
            justify(&tc->t, &tc->ln.v[k], w, tc->align);
        }
        if (reserve(tb, r + tc->rs - 1))
            return -1;
        for (int rr = r; rr < r + tc->rs; rr++)
            for (int cc = c; cc < c + tc->cs; cc++)
                if (*grid_at(tb, rr, cc) == NOID)
                    *grid_at(tb, rr, cc) = id;
    }
    row_at(tb, r)->c1 = tb->nextid;
    return 0;
}

/* Body rows up to r in the window. */
static int need(TB *tb, int r)
{
    while (tb->hi <= r && tb->hi < tb->nr)
        if (load_row(tb, tb->hi++))
            return -1;
    return 0;
}

/* Last row of the group that rowspans tie to row r, or -1 on failure. */
static int group_end(TB *tb, int r)
{
    int end = r;
    for (int k = r; k <= end && k < tb->nr; k++) {
        if (need(tb, k))
            return -1;
        for (int c = 0; c < tb->nc; c++) {
            size_t id = *grid_at(tb, k, c);
            if (id == NOID)
                continue;
            tcell *x = cell(tb, id);
            if (x->r + x->rs - 1 > end)
                end = x->r + x->rs - 1;
        }
    }
    return end < tb->nr ? end : tb->nr - 1;
}

/* The heights of rows [r0, r1], a whole group (or the header): each at
 * least one line, grown to its one-row cells' lines, then its last row
 * grown for what the spanning cells need beyond their rows. */
static void group_heights(TB *tb, int r0, int r1)
{
    const lexp_style *st = tb->lx->st;
    for (int r = r0; r <= r1; r++)
        row_at(tb, r)->h = st->table.line_pitch + 2 * CELL_PAD_Y * st->table.size;
    size_t c0 = row_at(tb, r0)->c0, c1 = row_at(tb, r1)->c1;
    for (int pass = 0; pass < 2; pass++)
        for (size_t id = c0; id < c1; id++) {
            tcell *c = cell(tb, id);
            if ((pass == 0) != (c->rs == 1))
                continue;
            double need = (double)(c->ln.n ? c->ln.n : 1) * c->pitch + 2 * CELL_PAD_Y * c->size;
            double have = 0;
            int last = c->r + c->rs - 1 < tb->nr ? c->r + c->rs - 1 : tb->nr - 1;
            for (int r = c->r; r <= last; r++)
                have += row_at(tb, r)->h;
            if (need > have)
                row_at(tb, last)->h += need - have;
        }
}

/* Body rows up to r loaded with their heights. */
static int heights(TB *tb, int r)
{
    while (tb->hdone <= r && tb->hdone < tb->nr) {
        int g = group_end(tb, tb->hdone);
        if (g < 0)
            return -1;
        group_heights(tb, tb->hdone, g);
        tb->hdone = g + 1;
    }
    return 0;
}

static double rowh(TB *tb, int r) { return row_at(tb, r)->h; }

/* Placed rows [lo, r] leave the window (no cell of theirs is open). */
static void drop(TB *tb, int r)
{
    if (tb->nopen || r < tb->lo)
        return;
    size_t end = row_at(tb, r)->c1, k = end - tb->cbase;
    for (size_t i = 0; i < k; i++) {
        tcell *c = &tb->cells[tb->nhc + i];
        text_free(&c->t);
        free(c->ln.v);
    }
    memmove(&tb->cells[tb->nhc], &tb->cells[tb->nhc + k],
            (tb->ncells - tb->nhc - k) * sizeof *tb->cells);
    tb->ncells -= k;
    tb->cbase = end;
    size_t s0 = (size_t)tb->nhead, gone = (size_t)(r - tb->lo + 1);
    size_t left = tb->top > r + 1 ? (size_t)(tb->top - r - 1) : 0;
    memmove(&tb->rows[s0], &tb->rows[s0 + gone], left * sizeof *tb->rows);
    memmove(&tb->grid[s0 * (size_t)tb->nc], &tb->grid[(s0 + gone) * (size_t)tb->nc],
            left * (size_t)tb->nc * sizeof *tb->grid);
    tb->lo = r + 1;
}

static int open_cell(TB *tb, size_t id)
{
    if (lexp__grow((void **)&tb->open, &tb->capopen, tb->nopen + 1, sizeof *tb->open))
        return lexp__error_oom(tb->lx->err);
    tb->open[tb->nopen++] = id;
    return 0;
}

/* ---- placing ---------------------------------------------------------------------------- */

/* Draw the part of cell c on this page, from part_top to `bottom`: its
 * borders, and as many of its remaining lines as fit (all of them,
 * centred vertically, when the cell ends here and nothing was drawn). */
static int cell_close(TB *tb, tcell *c, double bottom, int final)
{
    LX *lx = tb->lx;
    double x = tb->colx[c->c], w = span_width(tb, c);
    double top = c->part_top, h = bottom - top;
    const lexp_style *st = lx->st;
    if (add_rect(lx, ax(lx) + x, ay(lx) + top, w, h, st->table_rule, 1, 0, 0, 0))
        return -1;
    double pady = CELL_PAD_Y * c->size, padx = CELL_PAD_X * c->size;
    size_t left = c->ln.n - c->next;
    size_t fit = (size_t)floor((h - 2 * pady + EPS) / c->pitch);
    if (final && fit < left)
        fit = left; /* never lose text: the last part shows the rest */
    if (fit > left)
        fit = left;
    double y = top + pady;
    if (final && c->next == 0)
        y = top + (h - (double)left * c->pitch) / 2;
    for (size_t k = 0; k < fit; k++) {
        const tline *l = &c->ln.v[c->next + k];
        double base = baseline(ay(lx) + y + (double)k * c->pitch, c->pitch, c->size);
        if (emit_line(lx, &c->t, l, ax(lx) + x + padx, base))
            return -1;
    }
    c->next += fit;
    return 0;
}

static int draw_header(TB *tb)
{
    LX *lx = tb->lx;
    for (int r = 0; r < tb->nhead; r++) {
        for (size_t i = tb->rows[r].c0; i < tb->rows[r].c1; i++) {
            tcell *c = cell(tb, i);
            double h = 0;
            for (int k = r; k < r + c->rs && k < tb->nhead; k++)
                h += tb->rows[k].h;
            c->part_top = lx->y;
            c->next = 0;
            if (cell_close(tb, c, lx->y + h, 1))
                return -1;
        }
        lx->y += tb->rows[r].h;
    }
    return 0;
}

/* Close the open parts on this page, start a page, repeat the header and
 * reopen the parts of cells that continue. */
static int table_page_break(TB *tb)
{
    LX *lx = tb->lx;
    for (size_t i = 0; i < tb->nopen; i++)
        if (cell_close(tb, cell(tb, tb->open[i]), lx->y, 0))
            return -1;
    if (new_page(lx))
        return -1;
    if (tb->cont_h > 0) {
        const lexp_textstyle *cs = &lx->st->caption;
        if (single_line(lx, tb->cont, cs, 0, lx->aw, LEXP_ALIGN_RIGHT, lx->y, tb->cont_h, NULL))
            return -1;
        lx->y += tb->cont_h;
    }
    if (draw_header(tb))
        return -1;
    for (size_t i = 0; i < tb->nopen; i++)
        cell(tb, tb->open[i])->part_top = lx->y;
    return 0;
}

static double header_height(const TB *tb)
{
    double h = 0;
    for (int r = 0; r < tb->nhead; r++)
        h += tb->rows[r].h;
    return h;
}

static int table_place(TB *tb)
{
    LX *lx = tb->lx;
    double hh = header_height(tb) + tb->cont_h; /* what a continuation page starts with */
    double minline = lx->st->table.line_pitch + 2 * CELL_PAD_Y * lx->st->table.size;
    int r = tb->nhead;
    int body_on_page = 0;
    while (r < tb->nr) {
        /* rows tied by rowspans move to the next page together if they fit */
        int g = group_end(tb, r);
        if (g < 0 || heights(tb, g))
            return -1;
        double gh = 0;
        for (int k = r; k <= g; k++)
            gh += rowh(tb, k);
        int last = 0;
        if (g + 1 < tb->nr && (last = group_end(tb, g + 1)) < 0)
            return -1;
        if (lx->y + gh > lx->ah + EPS && body_on_page && gh + hh <= lx->ah) {
            if (table_page_break(tb))
                return -1;
            body_on_page = 0;
        } else if (g + 1 < tb->nr && last + 1 >= tb->nr && body_on_page >= 2) {
            /* the last group would be alone on the next page: take this
             * one along (a total row never stands alone) */
            if (heights(tb, tb->nr - 1))
                return -1;
            double lh = 0;
            for (int k = g + 1; k < tb->nr; k++)
                lh += rowh(tb, k);
            if (lx->y + gh <= lx->ah + EPS && lx->y + gh + lh > lx->ah + EPS &&
                gh + lh + hh <= lx->ah) {
                if (table_page_break(tb))
                    return -1;
                body_on_page = 0;
            }
        }
        for (int k = r; k <= g; k++) {
            double h = rowh(tb, k);
            /* a row that fits on a page is never split */
            if (lx->y + h > lx->ah + EPS && body_on_page &&
                (h + hh <= lx->ah || lx->ah - lx->y < minline)) {
                if (table_page_break(tb))
                    return -1;
                body_on_page = 0;
            }
            /* open the cells of row k: they follow the open ones in cell
             * order (cells are in row order), so the list stays sorted */
            for (size_t i = row_at(tb, k)->c0; i < row_at(tb, k)->c1; i++) {
                cell(tb, i)->part_top = lx->y;
                if (open_cell(tb, i))
                    return -1;
            }
            /* taller than a page: what fits here, the rest after the header */
            while (lx->y + h > lx->ah + EPS) {
                lx->y = lx->ah;
                if (table_page_break(tb))
                    return -1;
                body_on_page = 0;
                double rest = 0;
                for (size_t i = 0; i < tb->nopen; i++) {
                    tcell *c = cell(tb, tb->open[i]);
                    rest = fmax(rest, (double)(c->ln.n - c->next) * c->pitch +
                                          2 * CELL_PAD_Y * c->size);
                }
                h = fmax(rest, minline);
                if (h + hh > lx->ah && lx->ah - lx->y < minline)
                    break; /* the header leaves no room: give up splitting */
            }
            lx->y += h;
            body_on_page++;
            size_t kept = 0;
            for (size_t i = 0; i < tb->nopen; i++) {
                tcell *c = cell(tb, tb->open[i]);
                if (c->r + c->rs - 1 > k)
                    tb->open[kept++] = tb->open[i];
                else if (cell_close(tb, c, lx->y, 1))
                    return -1;
            }
            tb->nopen = kept;
        }
        drop(tb, g);
        r = g + 1;
    }
    return 0;
}

/* A table continued on another page is headed 续表 at the right, with the
 * table's number when its caption starts with one (表1 … → 续表1), as
 * Chinese documents mark continued tables; its header row repeats below. */
static void continued_label(TB *tb, const char *caption)
{
    size_t n = 0;
    if (caption && strncmp(caption, "表", strlen("表")) == 0) {
        const char *d = caption + strlen("表");
        while (d[n] >= '0' && d[n] <= '9' && n < 16)
            n++;
        snprintf(tb->cont, sizeof tb->cont, "续表%.*s", (int)n, d);
    } else {
        snprintf(tb->cont, sizeof tb->cont, "续表");
    }
    tb->cont_h = tb->lx->st->caption.line_pitch;
}

/* The caption, the header and the first rows, then the rest. */
static int place(TB *tb)
{
    LX *lx = tb->lx;
    const lexp_node *n = tb->node;
    lexp__rowit_begin(&tb->it, n);
    tb->reading = 1;
    tb->lo = tb->hi = tb->hdone = tb->nhead;
    for (int r = 0; r < tb->nhead; r++)
        if (load_row(tb, r))
            return -1;
    tb->nhc = tb->cbase = tb->ncells;
    if (tb->nhead)
        group_heights(tb, 0, tb->nhead - 1);
    /* the caption above the table, kept with the header and first row */
    const lexp_textstyle *cs = &lx->st->caption;
    text *t = &lx->tx;
    t->n = t->nst = 0;
    if (n->u.table.caption && add_str(lx, t, n->u.table.caption, cs))
        return -1;
    if (t->n && set_text(lx, t, lx->aw, 0, 0, LEXP_ALIGN_CENTER))
        return -1;
    double cap_h = t->n ? (double)lx->ln.n * cs->line_pitch : 0;
    continued_label(tb, n->u.table.caption);
    /* the caption, the header and two rows (or all) start on one page */
    double first = header_height(tb);
    if (heights(tb, tb->nhead + 1))
        return -1;
    for (int k = tb->nhead; k < tb->nr && k < tb->nhead + 2; k++)
        first += rowh(tb, k);
    if (ensure_page(lx))
        return -1;
    double gap = lx->st->body.line_pitch * 0.25;
    space_before(lx, t->n ? cs->space_before : gap);
    /* a first row taller than a page is split anyway: start it here when a
     * few of its lines fit */
    double minline = lx->st->table.line_pitch + 2 * CELL_PAD_Y * lx->st->table.size;
    if (first > lx->ah)
        first = header_height(tb) + 3 * minline;
    if (!lx->fresh && lx->y + cap_h + first > lx->ah + EPS && new_page(lx))
        return -1;
    if (t->n && place_lines(lx, t, &lx->ln, 0, cs->line_pitch, 0))
        return -1;
    if (t->n)
        lx->y += cs->space_after * 0.25;
    if (draw_header(tb) || table_place(tb))
        return -1;
    lx->y += gap;
    return 0;
}

int block_table(LX *lx, const lexp_node *n)
{
    int rows = lexp__table_rows(n);
    if (rows > (int)LEXP_PDF_MAX_TABLE_ROWS)
        return lexp__error_set(lx->err, LEXP_ELIMIT, n->src_file, n->line, n->col, NULL,
                               "this table has %d rows; a PDF takes at most %u "
                               "(LEXP_PDF_MAX_TABLE_ROWS): render it as XLSX or DOCX, which "
                               "stream long tables",
                               rows, LEXP_PDF_MAX_TABLE_ROWS);
    int nc = n->u.table.ncols, nr = rows;
    if (nc <= 0 || nr <= 0)
        return 0;
    TB tb;
    memset(&tb, 0, sizeof tb);
    tb.lx = lx;
    tb.node = n;
    tb.nr = nr;
    tb.nc = nc;
    int rc = -1;
    tb.colw = calloc((size_t)nc, sizeof *tb.colw);
    tb.colx = calloc((size_t)nc, sizeof *tb.colx);
    if (!tb.colw || !tb.colx)
        lexp__error_oom(lx->err);
    else if (measure(&tb) == 0 && place(&tb) == 0)
        rc = 0;
    if (tb.reading)
        lexp__rowit_end(&tb.it);
    for (size_t i = 0; i < tb.ncells; i++) {
        text_free(&tb.cells[i].t);
        free(tb.cells[i].ln.v);
    }
    for (size_t i = 0; i < tb.nkept; i++)
        text_free(&tb.kept[i]);
    free(tb.kept);
    free(tb.cells);
    free(tb.rows);
    free(tb.grid);
    free(tb.open);
    free(tb.colw);
    free(tb.colx);
    return rc;
}
