/*
 * DOCX: tables. The tree gives every row `ncols` cells, with the cells
 * covered by a span present as placeholders; Word wants a horizontal span
 * as one w:tc with w:gridSpan and a vertical span as a w:vMerge chain, so
 * each position is mapped to the cell that covers it, through the claims
 * of the spans still open (one queue a column: a long table is written a
 * row at a time).
 *
 * Column widths are estimated from the content (Han characters one em,
 * other characters half) and spread over the type area, and the table is
 * laid out "fixed" so Word and LibreOffice keep exactly those widths.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "docx.h"

#define CELL_PAD 5.4 /* pt each side: Word's default cell margin (108 twips) */

/* Width of a cell's text in ems, and (in *minw) its widest unbreakable
 * piece: a Han character, or a run of Latin letters and digits (a number is
 * never split). Word and LibreOffice add about a quarter em between Han and
 * Latin text (autospace), so each change of script counts a quarter. */
static double cell_ems(const lexp_node *cell, double *minw)
{
    double w = 0, best = 0, cur = 0;
    int last = 0; /* 1 Han, 2 other, 0 none or space */
    for (uint32_t r = 0; r < cell->runs.n; r++) {
        const char *s = cell->runs.v[r].text;
        size_t n = cell->runs.v[r].len, i = 0;
        while (i < n) {
            uint32_t cp;
            size_t k = lexp__utf8_decode(s + i, n - i, &cp);
            if (!k) {
                i++;
                continue;
            }
            i += k;
            int cw = lexp__char_width(cp);
            int kind = cw == 2 ? 1 : (cp == ' ' || cp == '\t' || cp == '\n') ? 0 : 2;
            if (kind && last && kind != last)
                w += 0.25;
            if (kind == 1) {
                w += 1;
                cur = 0;
                if (best < 1)
                    best = 1;
            } else {
                double a = cw ? 0.5 : 0;
                w += a;
                cur = kind ? cur + a : 0;
                if (cur > best)
                    best = cur;
            }
            last = kind;
        }
    }
    *minw = best;
    return w;
}

/* What a column's cells ask for, in pt: the widest with slack (mx), its
 * natural width (nat) and its widest unbreakable piece (mn). */
typedef struct colsz {
    double mx, nat, mn;
} colsz;

/* Take one row's cells into the columns' sizes. */
static void widths_row(const dx *c, const lexp_node *row, int nc, colsz *z)
{
    const lexp_textstyle *ts = row->u.row.header ? &c->st->table_header : &c->st->table;
    double size = ts->size;
    int j = 0;
    for (const lexp_node *cell = row->first; cell && j < nc; cell = cell->next, j++) {
        if (cell->u.cell.covered || cell->u.cell.colspan > 1)
            continue;
        double m, e = cell_ems(cell, &m);
        /* with half an em of slack where there is room: fonts differ
         * from the estimate */
        double n0 = e * size + 2 * CELL_PAD;
        e = (e + 0.5) * size + 2 * CELL_PAD;
        m = m * size + 2 * CELL_PAD;
        if (e > z[j].mx)
            z[j].mx = e;
        if (n0 > z[j].nat)
            z[j].nat = n0;
        if (m > z[j].mn)
            z[j].mn = m;
    }
}

/* Column widths in twips summing exactly to the type area width, from the
 * sizes of every row (z is changed; w is scratch, nc entries). */
static void widths(const dx *c, colsz *z, double *w, int nc, long *out)
{
    const lexp_textstyle *body = &c->st->table;
    long avail = dx_twips(c->text_w);
    double smx = 0, snat = 0, smn = 0, top = 0, wp = c->text_w;
    for (int j = 0; j < nc; j++) {
        if (z[j].mx < 2 * CELL_PAD + body->size)
            z[j].mx = 2 * CELL_PAD + body->size; /* empty columns stay visible */
        if (z[j].nat > z[j].mx)
            z[j].nat = z[j].mx;
        if (z[j].mn > z[j].nat)
            z[j].mn = z[j].nat;
        smx += z[j].mx;
        snat += z[j].nat;
        smn += z[j].mn;
        if (z[j].nat > top)
            top = z[j].nat;
    }
    if (smx <= wp) {
        /* Every cell fits on one line with room to spare: widen in
         * proportion to fill the type area, as official tables do. */
        for (int j = 0; j < nc; j++)
            w[j] = z[j].mx * wp / smx;
    } else if (snat <= wp) {
        /* Fits without the slack: share out what is left of it. */
        double f = smx > snat ? (wp - snat) / (smx - snat) : 0;
        for (int j = 0; j < nc; j++)
            w[j] = z[j].nat + (z[j].mx - z[j].nat) * f;
    } else if (smn >= wp) {
        for (int j = 0; j < nc; j++)
            w[j] = z[j].mn * wp / smn;
    } else {
        /* Too wide: cap the widest columns at a common width (never below
         * their minimum), so long text wraps and short columns — dates,
         * categories, numbers — keep their natural width. */
        double lo = 0, hi = top;
        for (int it = 0; it < 60; it++) {
            double cap = (lo + hi) / 2, sum = 0;
            for (int j = 0; j < nc; j++)
                sum += z[j].nat < cap ? z[j].nat : z[j].mn > cap ? z[j].mn : cap;
            if (sum > wp)
                hi = cap;
            else
                lo = cap;
        }
        for (int j = 0; j < nc; j++)
            w[j] = z[j].nat < lo ? z[j].nat : z[j].mn > lo ? z[j].mn : lo;
    }
    long sum = 0;
    for (int j = 0; j < nc; j++) {
        out[j] = dx_twips(w[j]);
        if (out[j] < 1)
            out[j] = 1;
        sum += out[j];
    }
    out[nc - 1] += avail - sum;
    if (out[nc - 1] < 1)
        out[nc - 1] = 1;
}

static void borders(dx *c)
{
    static const char *const sides[] = {"w:top", "w:left", "w:bottom", "w:right",
                                        "w:insideH", "w:insideV"};
    long sz = lround(c->st->table_rule * 8);
    if (sz < 2)
        sz = 2;
    dx_start(c, "w:tblBorders");
    for (int i = 0; i < 6; i++) {
        dx_start(c, sides[i]);
        dx_attr(c, "w:val", "single");
        dx_attr_int(c, "w:sz", sz);
        dx_attr_int(c, "w:space", 0);
        dx_attr(c, "w:color", "000000");
        dx_end(c);
    }
    dx_end(c);
}

static void tc_pr(dx *c, long width, int span, const char *vmerge, int center)
{
    dx_start(c, "w:tcPr");
    dx_start(c, "w:tcW");
    dx_attr_int(c, "w:w", width);
    dx_attr(c, "w:type", "dxa");
    dx_end(c);
    if (span > 1)
        dx_val_int(c, "w:gridSpan", span);
    if (vmerge) {
        dx_start(c, "w:vMerge");
        if (*vmerge)
            dx_attr(c, "w:val", vmerge);
        dx_end(c);
    }
    if (center)
        dx_val(c, "w:vAlign", "center");
    dx_end(c);
}

static void cell_para(dx *c, const lexp_node *cell, const lexp_node *row)
{
    int header = row->u.row.header;
    dx_ppr p = {0};
    p.style = header ? DX_ST_CELL_HEAD : DX_ST_CELL;
    if (!header) {
        lexp_align al = cell ? cell->u.cell.align : LEXP_ALIGN_DEFAULT;
        if (al == LEXP_ALIGN_DEFAULT && cell && cell->u.cell.kind != LEXP_CELL_TEXT)
            al = LEXP_ALIGN_RIGHT; /* numbers line up on the right */
        if (al != LEXP_ALIGN_DEFAULT && al != LEXP_ALIGN_LEFT)
            p.jc = (int)al;
    }
    dx_start(c, "w:p");
    dx_ppr_write(c, &p);
    if (cell) {
        dx_rpr base = dx_rpr_none();
        if (row->u.row.total)
            base.bold = 1;
        for (uint32_t i = 0; i < cell->runs.n; i++)
            dx_tree_run(c, &cell->runs.v[i], &base);
    }
    dx_end(c);
}

/* Who covers the positions of the rows still to come, column by column,
 * kept as the table is written so that no grid of the whole table is held:
 * a cell spanning rows claims, in each of its columns, the rows there not
 * claimed yet. Claims are made in row order, so a column's claims on the
 * rows from the current one on are consecutive: a queue. */
typedef struct claim {
    int start, end; /* rows [start, end) of this column */
    int acol, cs;   /* the anchor's column and its columns (clamped) */
    int arow;
} claim;

typedef struct colq {
    claim *v;
    size_t head, n, cap;
} colq;

/* The claim on row i of a column (its queue dropped up to it), or NULL. */
static const claim *claimed(colq *q, int i)
{
    while (q->head < q->n && q->v[q->head].end <= i)
        q->head++;
    if (q->head == q->n)
        q->head = q->n = 0; /* empty: reuse the space */
    return q->head < q->n && q->v[q->head].start <= i ? &q->v[q->head] : NULL;
}

static int claim_add(colq *q, const claim *k)
{
    if (q->n == q->cap && q->head) { /* slide the live claims down first */
        memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
        q->n -= q->head;
        q->head = 0;
    }
    if (lexp__grow((void **)&q->v, &q->cap, q->n + 1, sizeof *q->v))
        return -1;
    q->v[q->n++] = *k;
    return 0;
}

/* Row i's cells (nc of them, NULL past the row's end) claim what they span:
 * an anchor that nobody covers yet takes, in each column it spans, the
 * rows from i to i + rowspan its column has not given away. */
static int claim_row(colq *q, const lexp_node **cells, int i, int nr, int nc)
{
    for (int j = 0; j < nc; j++) {
        const lexp_node *cell = cells[j];
        if (!cell || cell->u.cell.covered || claimed(&q[j], i))
            continue;
        int cs = cell->u.cell.colspan > 1 ? cell->u.cell.colspan : 1;
        int rs = cell->u.cell.rowspan > 1 ? cell->u.cell.rowspan : 1;
        if (cs > nc - j)
            cs = nc - j;
        if (rs > nr - i)
            rs = nr - i;
        for (int b = 0; b < cs; b++) {
            colq *qc = &q[j + b];
            claimed(qc, i);
            int from = qc->n > qc->head ? qc->v[qc->n - 1].end : i;
            if (from < i)
                from = i;
            claim k = {from, i + rs, j, cs, i};
            if (from < i + rs && claim_add(qc, &k))
                return -1;
        }
    }
    return 0;
}

static void table_head(dx *c, int nc, const long *colw)
{
    dx_start(c, "w:tbl");
    dx_start(c, "w:tblPr");
    dx_val(c, "w:tblStyle", DX_ST_TABLE);
    dx_start(c, "w:tblW");
    dx_attr_int(c, "w:w", dx_twips(c->text_w));
    dx_attr(c, "w:type", "dxa");
    dx_end(c);
    dx_val(c, "w:jc", "center");
    borders(c);
    dx_start(c, "w:tblLayout");
    dx_attr(c, "w:type", "fixed");
    dx_end(c);
    dx_start(c, "w:tblLook");
    dx_attr(c, "w:val", "04A0");
    dx_attr(c, "w:firstRow", "1");
    dx_attr(c, "w:lastRow", "0");
    dx_attr(c, "w:firstColumn", "1");
    dx_attr(c, "w:lastColumn", "0");
    dx_attr(c, "w:noHBand", "0");
    dx_attr(c, "w:noVBand", "1");
    dx_end(c);
    dx_end(c); /* tblPr */
    dx_start(c, "w:tblGrid");
    for (int j = 0; j < nc; j++) {
        dx_start(c, "w:gridCol");
        dx_attr_int(c, "w:w", colw[j]);
        dx_end(c);
    }
    dx_end(c);
}

/* Row i: a w:tc for each anchor, each run of columns a span covers and each
 * position nobody covers (a stray placeholder, an empty cell). */
static void table_row(dx *c, colq *q, const lexp_node *row, const lexp_node **cells, int i,
                      int nc, const long *colw, int heading)
{
    dx_start(c, "w:tr");
    dx_start(c, "w:trPr");
    dx_empty(c, "w:cantSplit");
    if (heading)
        dx_empty(c, "w:tblHeader"); /* repeated on every page */
    dx_end(c);
    for (int j = 0; j < nc;) {
        const claim *o = claimed(&q[j], i);
        if (o && o->acol != j) {
            j++; /* inside a horizontal span written already */
            continue;
        }
        int cs = o ? o->cs : 1;
        long wsum = 0;
        for (int b = 0; b < cs; b++)
            wsum += colw[j + b];
        dx_start(c, "w:tc");
        if (o && o->arow != i) {
            /* continuation of a vertical span */
            tc_pr(c, wsum, cs, "", 1);
            cell_para(c, NULL, row);
        } else {
            const lexp_node *anchor = o ? cells[j] : NULL;
            int rs = anchor && anchor->u.cell.rowspan > 1;
            tc_pr(c, wsum, cs, rs ? "restart" : NULL, rs);
            cell_para(c, anchor, row);
        }
        dx_end(c); /* tc */
        j += cs;
    }
    dx_end(c); /* tr */
}

/* The row's first nc cells into cells[], NULL past its end. */
static void row_cells(const lexp_node *row, const lexp_node **cells, int nc)
{
    int j = 0;
    for (const lexp_node *cell = row->first; cell && j < nc; cell = cell->next)
        cells[j++] = cell;
    while (j < nc)
        cells[j++] = NULL;
}

/* Two passes over the rows, spooled ones read back each time: the column
 * widths need every row before the first is written. Only a row at a time
 * and the spans still open are held, so a long table takes no more memory
 * than a short one, and the body can stream (dx_spill). */
void dx_table(dx *c, const lexp_node *t)
{
    int nc = t->u.table.ncols, nr = lexp__table_rows(t);
    if (nc <= 0 || nr <= 0)
        return;
    colsz *z = calloc((size_t)nc, sizeof *z);
    double *w = calloc((size_t)nc, sizeof *w);
    long *colw = calloc((size_t)nc, sizeof *colw);
    const lexp_node **cells = calloc((size_t)nc, sizeof *cells);
    colq *q = calloc((size_t)nc, sizeof *q);
    lexp__rowit it;
    lexp__rowit_begin(&it, t);
    int failed = !z || !w || !colw || !cells || !q, reread = 0;
    const lexp_node *row;
    while (!failed && (row = lexp__rowit_next(&it)))
        widths_row(c, row, nc, z);
    reread = it.failed;
    failed = failed || it.failed;
    lexp__rowit_end(&it);
    if (!failed) {
        widths(c, z, w, nc, colw);
        table_head(c, nc, colw);
        lexp__rowit_begin(&it, t);
        int heading = 1; /* still in the rows at the top marked as header */
        for (int i = 0; !c->failed && (row = lexp__rowit_next(&it)); i++) {
            heading = heading && row->u.row.header;
            row_cells(row, cells, nc);
            if (claim_row(q, cells, i, nr, nc)) {
                failed = 1;
                break;
            }
            table_row(c, q, row, cells, i, nc, colw, heading);
            dx_spill(c);
        }
        reread = reread || it.failed;
        failed = failed || it.failed;
        lexp__rowit_end(&it);
        dx_end(c); /* tbl */
    }
    if (failed && !c->failed) {
        c->failed = 1;
        if (reread)
            lexp__error_set(c->err, LEXP_EIO, NULL, 0, 0, NULL,
                            "DOCX: cannot read back the rows of a long table: out of memory "
                            "or the temporary file failed");
        else
            lexp__error_oom(c->err);
    }
    for (int j = 0; q && j < nc; j++)
        free(q[j].v);
    free(q);
    free(z);
    free(w);
    free(colw);
    free(cells);
}
