/*
 * DOCX: tables. The tree gives every row `ncols` cells, with the cells
 * covered by a span present as placeholders; Word wants a horizontal span
 * as one w:tc with w:gridSpan and a vertical span as a w:vMerge chain, so
 * an owner grid maps each position to the cell that covers it.
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

/* Column widths in twips summing exactly to the type area width. */
static void widths(dx *c, const lexp_node **cells, int nr, int nc, long *out)
{
    double *mx = calloc((size_t)nc, sizeof *mx), *mn = calloc((size_t)nc, sizeof *mn);
    double *w = calloc((size_t)nc, sizeof *w), *nat = calloc((size_t)nc, sizeof *nat);
    long avail = dx_twips(c->text_w);
    if (!mx || !mn || !w || !nat) {
        for (int j = 0; j < nc; j++)
            out[j] = avail / nc;
        out[nc - 1] += avail - (avail / nc) * nc;
        free(mx);
        free(mn);
        free(w);
        free(nat);
        return;
    }
    const lexp_textstyle *body = &c->st->table, *head = &c->st->table_header;
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nc; j++) {
            const lexp_node *cell = cells[(size_t)i * (size_t)nc + (size_t)j];
            if (!cell || cell->u.cell.covered || cell->u.cell.colspan > 1)
                continue;
            const lexp_node *row = cell->parent;
            double size = row && row->u.row.header ? head->size : body->size;
            double m, e = cell_ems(cell, &m);
            /* with half an em of slack where there is room: fonts differ
             * from the estimate */
            double n0 = e * size + 2 * CELL_PAD;
            e = (e + 0.5) * size + 2 * CELL_PAD;
            m = m * size + 2 * CELL_PAD;
            if (e > mx[j])
                mx[j] = e;
            if (n0 > nat[j])
                nat[j] = n0;
            if (m > mn[j])
                mn[j] = m;
        }
    double smx = 0, snat = 0, smn = 0, top = 0, wp = c->text_w;
    for (int j = 0; j < nc; j++) {
        if (mx[j] < 2 * CELL_PAD + body->size)
            mx[j] = 2 * CELL_PAD + body->size; /* empty columns stay visible */
        if (nat[j] > mx[j])
            nat[j] = mx[j];
        if (mn[j] > nat[j])
            mn[j] = nat[j];
        smx += mx[j];
        snat += nat[j];
        smn += mn[j];
        if (nat[j] > top)
            top = nat[j];
    }
    if (smx <= wp) {
        /* Every cell fits on one line with room to spare: widen in
         * proportion to fill the type area, as official tables do. */
        for (int j = 0; j < nc; j++)
            w[j] = mx[j] * wp / smx;
    } else if (snat <= wp) {
        /* Fits without the slack: share out what is left of it. */
        double f = smx > snat ? (wp - snat) / (smx - snat) : 0;
        for (int j = 0; j < nc; j++)
            w[j] = nat[j] + (mx[j] - nat[j]) * f;
    } else if (smn >= wp) {
        for (int j = 0; j < nc; j++)
            w[j] = mn[j] * wp / smn;
    } else {
        /* Too wide: cap the widest columns at a common width (never below
         * their minimum), so long text wraps and short columns — dates,
         * categories, numbers — keep their natural width. */
        double lo = 0, hi = top;
        for (int it = 0; it < 60; it++) {
            double cap = (lo + hi) / 2, sum = 0;
            for (int j = 0; j < nc; j++)
                sum += nat[j] < cap ? nat[j] : mn[j] > cap ? mn[j] : cap;
            if (sum > wp)
                hi = cap;
            else
                lo = cap;
        }
        for (int j = 0; j < nc; j++)
            w[j] = nat[j] < lo ? nat[j] : mn[j] > lo ? mn[j] : lo;
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
    free(mx);
    free(mn);
    free(w);
    free(nat);
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

static void dx_table_whole(dx *c, const lexp_node *t);

/* The document part holds the whole table: spooled rows come back first. */
void dx_table(dx *c, const lexp_node *t)
{
    lexp__arena A;
    lexp__arena_init(&A);
    const lexp_node *w = lexp__table_whole(t, &A);
    if (w)
        dx_table_whole(c, w);
    else
        c->failed = 1;
    lexp__arena_free(&A);
}

static void dx_table_whole(dx *c, const lexp_node *t)
{
    int nc = t->u.table.ncols, nr = lexp__table_rows(t);
    if (nc <= 0 || nr <= 0)
        return;
    size_t ncell = (size_t)nr * (size_t)nc;
    const lexp_node **cells = calloc(ncell, sizeof *cells);
    const lexp_node **rows = calloc((size_t)nr, sizeof *rows);
    long *owner = malloc(ncell * sizeof *owner);
    long *colw = calloc((size_t)nc, sizeof *colw);
    if (!cells || !rows || !owner || !colw) {
        free(cells);
        free(rows);
        free(owner);
        free(colw);
        c->failed = 1;
        lexp__error_oom(c->err);
        return;
    }
    int r = 0;
    for (const lexp_node *row = t->first; row; row = row->next, r++) {
        rows[r] = row;
        int j = 0;
        for (const lexp_node *cell = row->first; cell && j < nc; cell = cell->next, j++)
            cells[(size_t)r * (size_t)nc + (size_t)j] = cell;
    }
    /* Who covers each position: the anchor itself, the anchor of a span,
     * or nobody (-1: a stray placeholder, written as an empty cell). */
    for (size_t k = 0; k < ncell; k++)
        owner[k] = -1;
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nc; j++) {
            size_t k = (size_t)i * (size_t)nc + (size_t)j;
            const lexp_node *cell = cells[k];
            if (!cell || cell->u.cell.covered || owner[k] >= 0)
                continue;
            int cs = cell->u.cell.colspan > 1 ? cell->u.cell.colspan : 1;
            int rs = cell->u.cell.rowspan > 1 ? cell->u.cell.rowspan : 1;
            if (cs > nc - j)
                cs = nc - j;
            if (rs > nr - i)
                rs = nr - i;
            for (int a = 0; a < rs; a++)
                for (int b = 0; b < cs; b++) {
                    size_t q = (size_t)(i + a) * (size_t)nc + (size_t)(j + b);
                    if (owner[q] < 0)
                        owner[q] = (long)k;
                }
        }
    widths(c, cells, nr, nc, colw);

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

    int heading_rows = 1; /* still in the rows at the top marked as header */
    for (int i = 0; i < nr && !c->failed; i++) {
        const lexp_node *row = rows[i];
        heading_rows = heading_rows && row->u.row.header;
        dx_start(c, "w:tr");
        dx_start(c, "w:trPr");
        dx_empty(c, "w:cantSplit");
        if (heading_rows)
            dx_empty(c, "w:tblHeader"); /* repeated on every page */
        dx_end(c);
        for (int j = 0; j < nc;) {
            size_t k = (size_t)i * (size_t)nc + (size_t)j;
            long o = owner[k];
            if (o >= 0 && (size_t)o != k && (size_t)o % (size_t)nc != (size_t)j) {
                j++; /* inside a horizontal span written already */
                continue;
            }
            const lexp_node *anchor = o >= 0 ? cells[o] : NULL;
            int cs = 1;
            if (anchor) {
                cs = anchor->u.cell.colspan > 1 ? anchor->u.cell.colspan : 1;
                if (cs > nc - j)
                    cs = nc - j;
            }
            long wsum = 0;
            for (int b = 0; b < cs; b++)
                wsum += colw[j + b];
            int rs = anchor && anchor->u.cell.rowspan > 1;
            dx_start(c, "w:tc");
            if (o >= 0 && (size_t)o != k) {
                /* continuation of a vertical span */
                tc_pr(c, wsum, cs, "", 1);
                cell_para(c, NULL, row);
            } else {
                tc_pr(c, wsum, cs, rs ? "restart" : NULL, rs);
                cell_para(c, anchor, row);
            }
            dx_end(c); /* tc */
            j += cs;
        }
        dx_end(c); /* tr */
    }
    dx_end(c); /* tbl */
    free(cells);
    free(rows);
    free(owner);
    free(colw);
}
