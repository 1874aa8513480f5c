/*
 * Layout of the text blocks: paragraphs, headings, titles, lists, and the
 * fixed parts of official documents: the 简报 masthead, the signature
 * (落款), the 版记 / 报尾 at the foot of the last page, and page numbers.
 */
#include "layout_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "titles.h"

static int add_outline(LX *lx, int level, const char *title)
{
    lexp__layout *L = lx->L;
    if (lexp__grow((void **)&L->outline, &L->capoutline, L->noutline + 1, sizeof *L->outline))
        return lexp__error_oom(lx->err);
    lexp__loutline *o = &L->outline[L->noutline++];
    o->level = level;
    o->title = lexp__arena_strdup(&L->arena, title);
    o->page = lx->page;
    o->y = ay(lx) + lx->y;
    return o->title ? 0 : lexp__error_oom(lx->err);
}

int block_para(LX *lx, const lexp_node *n, const lexp_textstyle *ts, const char *prefix,
                      double indent_chars, lexp_align align)
{
    text *t = &lx->tx;
    t->n = t->nst = 0;
    lx->cur = n;
    if (prefix && add_str(lx, t, prefix, ts))
        return -1;
    if (add_runs(lx, t, &n->runs, ts, 0))
        return -1;
    if (t->n == 0)
        return 0;
    double em = ts->size * track_for(lx, ts->size);
    if (set_text(lx, t, lx->aw, indent_chars * em, 0, align))
        return -1;
    space_before(lx, ts->space_before);
    snap_to_grid(lx, ts->line_pitch);
    if (place_lines(lx, t, &lx->ln, 0, ts->line_pitch, 1))
        return -1;
    lx->y += ts->space_after;
    return 0;
}

int block_heading(LX *lx, const lexp_node *n)
{
    int level = n->u.heading.level;
    if (level < 1)
        level = 1;
    if (level > 4)
        level = 4;
    const lexp_textstyle *ts = &lx->st->heading[level - 1];
    text *t = &lx->tx;
    t->n = t->nst = 0;
    const char *num = n->u.heading.number ? n->u.heading.number : "";
    if (add_str(lx, t, num, ts) || add_runs(lx, t, &n->runs, ts, ts->bold))
        return -1;
    double em = ts->size * track_for(lx, ts->size);
    if (set_text(lx, t, lx->aw, ts->indent_chars * em, 0, resolve_align(ts->align,
                                                                           LEXP_ALIGN_LEFT)))
        return -1;
    if (ensure_page(lx))
        return -1;
    space_before(lx, ts->space_before);
    snap_to_grid(lx, ts->line_pitch);
    /* keep the heading with the start of what follows */
    double need = (double)lx->ln.n * ts->line_pitch + next_min(lx, n->next);
    if (need > lx->ah)
        need = lx->ah;
    if (!lx->fresh && lx->y + need > lx->ah + EPS && new_page(lx))
        return -1;
    lexp__sbuf title = LEXP__SBUF_INIT;
    lexp__sbuf_puts(&title, num);
    lexp__runs_text(&title, &n->runs);
    int rc = add_outline(lx, level, lexp__sbuf_cstr(&title));
    lexp__sbuf_free(&title);
    if (rc || place_lines(lx, t, &lx->ln, 0, ts->line_pitch, 0))
        return -1;
    lx->y += ts->space_after;
    return 0;
}

/* A title's lines, centred, broken where lexp__title_breaks says (the DOCX
 * writer breaks at the same places): between words, about equal, at most
 * the width less a character at each side. */
static int set_title(LX *lx, text *t, double w, int level)
{
    text_finish(t);
    lx->ln.n = 0;
    uint32_t *cp = malloc((t->n ? t->n : 1) * sizeof *cp);
    if (!cp)
        return lexp__error_oom(lx->err);
    for (size_t i = 0; i < t->n; i++)
        cp[i] = t->c[i].cp;
    size_t *starts = NULL, ns = 0;
    int rc = lexp__title_breaks(cp, t->n, lexp__title_maxw(lx->st, level), &starts, &ns, lx->err);
    free(cp);
    if (rc)
        return rc;
    size_t s = 0;
    for (size_t k = 0; k <= ns && !rc; k++) {
        size_t e = k < ns ? starts[k] : t->n;
        if (push_line(&lx->ln, s, e, e > s && (t->c[e - 1].fl & F_NL)))
            rc = lexp__error_oom(lx->err);
        s = e;
    }
    free(starts);
    if (rc)
        return rc;
    lx->ln.v[lx->ln.n - 1].last = 1;
    for (size_t i = 0; i < lx->ln.n; i++)
        justify(t, &lx->ln.v[i], w, LEXP_ALIGN_CENTER);
    return 0;
}

/* A title set on a pitch wider than the grid's (22 pt 小标宋 at 1.25 grid
 * lines) ends on the nearest grid line, not the next: with its space after
 * (one grid line) the text then starts after one blank line (GB/T 9704
 * §7.3.1), not two. The lines it overhangs by are leading, not ink. */
static void grid_after_title(LX *lx, double pitch)
{
    double g = lx->st->body.line_pitch;
    if (lx->st->grid_lines <= 0 || lx->page < 0 || pitch <= g + EPS)
        return;
    double k = ceil(lx->y / g - 0.5 - EPS);
    if (k * g < lx->y)
        lx->y = k * g;
}

int block_title(LX *lx, const lexp_node *n)
{
    const lexp_textstyle *ts = n->u.title.level == 0 ? &lx->st->title : &lx->st->subtitle;
    text *t = &lx->tx;
    t->n = t->nst = 0;
    if (add_runs(lx, t, &n->runs, ts, ts->bold))
        return -1;
    if (t->n == 0)
        return 0;
    if (set_title(lx, t, lx->aw, n->u.title.level))
        return -1;
    space_before(lx, ts->space_before);
    if (place_lines(lx, t, &lx->ln, 0, ts->line_pitch, 0))
        return -1;
    grid_after_title(lx, ts->line_pitch);
    lx->y += ts->space_after;
    return 0;
}

int block_list(LX *lx, const lexp_node *n)
{
    const lexp_textstyle *ts = &lx->st->list;
    for (const lexp_node *it = n->first; it; it = it->next) {
        const char *mark = n->u.list.ordered ? it->u.item.number : "\u2022 ";
        if (block_para(lx, it, ts, mark, ts->indent_chars,
                       resolve_align(ts->align, LEXP_ALIGN_JUSTIFY)))
            return -1;
    }
    return 0;
}

/* One line of text in a style at an area-relative x and box width, on the
 * current line (no pagination): for masthead and signature lines. */
int single_line(LX *lx, const char *s, const lexp_textstyle *ts, double bx, double w,
                       lexp_align align, double top, double pitch, double *out_width)
{
    text *t = &lx->tx;
    t->n = t->nst = 0;
    if (add_str(lx, t, s, ts))
        return -1;
    if (t->n == 0)
        return 0;
    text_finish(t);
    lx->ln.n = 0;
    if (push_line(&lx->ln, 0, t->n, 0))
        return lexp__error_oom(lx->err);
    tline *l = &lx->ln.v[0];
    l->last = 1;
    justify(t, l, w, align);
    if (out_width)
        *out_width = natural(t, 0, t->n);
    double base = baseline(ay(lx) + top, pitch, ts->size);
    return emit_line(lx, t, l, ax(lx) + bx, base);
}

double text_width(LX *lx, const char *s, const lexp_textstyle *ts, int *rc)
{
    text tmp = {0};
    *rc = add_str(lx, &tmp, s, ts);
    double w = *rc ? 0 : natural(&tmp, 0, tmp.n);
    text_free(&tmp);
    return w;
}

int block_masthead(LX *lx, const lexp_node *n)
{
    const lexp_style *st = lx->st;
    if (ensure_page(lx))
        return -1;
    if (!lx->fresh && new_page(lx))
        return -1;
    double y = st->masthead_top;
    if (n->u.masthead.note) {
        if (single_line(lx, n->u.masthead.note, &st->masthead_line, 0, lx->aw,
                        LEXP_ALIGN_LEFT, y, st->masthead_line.line_pitch, NULL))
            return -1;
        y += st->masthead_line.line_pitch;
    }
    if (n->u.masthead.title) {
        /* one line: a long name is set smaller, then tighter, rather than
         * wrapped (lexp__masthead_fit, which the DOCX uses too), measured
         * here with the font's own advances */
        lexp_textstyle ts = st->masthead_title;
        int rc;
        double w = text_width(lx, n->u.masthead.title, &ts, &rc);
        if (rc)
            return -1;
        const char *name = n->u.masthead.title;
        size_t chars = lexp__utf8_count(name, strlen(name));
        double tracking;
        double size = lexp__masthead_fit(ts.size, w / ts.size, chars, lx->aw, &tracking);
        double bx = 0, bw = lx->aw;
        if (size != ts.size) {
            /* the box the name is justified into: its width at the new
             * size, less the tracking (justify spreads it over the gaps) */
            bw = w * size / ts.size + (double)chars * tracking;
            bx = (lx->aw - bw) / 2;
            ts.size = size;
        }
        if (single_line(lx, name, &ts, bx, bw, LEXP_ALIGN_CENTER, y, ts.line_pitch, NULL))
            return -1;
        y += ts.line_pitch;
    }
    if (n->u.masthead.issue) {
        y += st->masthead_issue.space_before;
        if (single_line(lx, n->u.masthead.issue, &st->masthead_issue, 0, lx->aw,
                        LEXP_ALIGN_CENTER, y, st->masthead_issue.line_pitch, NULL))
            return -1;
        y += st->masthead_issue.line_pitch;
    }
    if (n->u.masthead.issuer || n->u.masthead.date) {
        const lexp_textstyle *ts = &st->masthead_line;
        y += ts->space_before;
        /* issuer and date one character in from the edges */
        double em = ts->size * track_for(lx, ts->size);
        if (n->u.masthead.issuer &&
            single_line(lx, n->u.masthead.issuer, ts, em, lx->aw - 2 * em, LEXP_ALIGN_LEFT,
                        y, ts->line_pitch, NULL))
            return -1;
        if (n->u.masthead.date &&
            single_line(lx, n->u.masthead.date, ts, em, lx->aw - 2 * em, LEXP_ALIGN_RIGHT, y,
                        ts->line_pitch, NULL))
            return -1;
        y += ts->line_pitch;
    }
    /* the red rule, as wide as the type area */
    double ry = y + st->masthead_rule / 2 + 2;
    if (add_line(lx, ax(lx), ay(lx) + ry, ax(lx) + lx->aw, ay(lx) + ry, st->masthead_rule,
                 st->red))
        return -1;
    lx->y = ry + st->masthead_rule / 2 + st->masthead_gap;
    return 0;
}

int block_signature(LX *lx, const lexp_node *n)
{
    const lexp_textstyle *ts = &lx->st->signature;
    const char *who = n->u.signature.issuer, *when = n->u.signature.date;
    if (!who && !when)
        return 0;
    if (ensure_page(lx))
        return -1;
    space_before(lx, ts->space_before);
    int nl = (who != NULL) + (when != NULL);
    if (lx->y + nl * ts->line_pitch > lx->ah + EPS && new_page(lx))
        return -1;
    /* GB/T 9704 without a seal: the issuer two characters in from the
     * right, the date below starting two characters further right; a
     * date alone is four characters in. */
    double em = ts->size * track_for(lx, ts->size);
    int rc;
    double ww = who ? text_width(lx, who, ts, &rc) : 0;
    if (who && rc)
        return -1;
    double dw = when ? text_width(lx, when, ts, &rc) : 0;
    if (when && rc)
        return -1;
    double wx = lx->aw - 2 * em - ww;
    double dx = who ? wx + 2 * em : lx->aw - 4 * em - dw;
    if (dx + dw > lx->aw)
        dx = lx->aw - dw;
    if (who) {
        if (single_line(lx, who, ts, wx, ww + 1, LEXP_ALIGN_LEFT, lx->y, ts->line_pitch,
                        NULL) ||
            keep_log(lx, 0))
            return -1;
        lx->y += ts->line_pitch;
    }
    if (when) {
        if (single_line(lx, when, ts, dx, dw + 1, LEXP_ALIGN_LEFT, lx->y, ts->line_pitch,
                        NULL) ||
            keep_log(lx, who != NULL))
            return -1;
        lx->y += ts->line_pitch;
    }
    lx->y += ts->space_after;
    return 0;
}

/* GB/T 9704: the 版记 is on the last page, an even one (the back of the
 * sheet); an odd page it would land on is left as it is — blank if nothing
 * is on it — and the 版记 goes to the next. Blank pages before the 版记
 * page and the 版记 page carry no page number (domain conventions §1). */
static int banji_page(LX *lx)
{
    lexp__lpage *pg = lx->L->pages;
    if (lx->page % 2 == 0) {
        if (lx->fresh)
            pg[lx->page].unnumbered = 1;
        if (new_page(lx))
            return -1;
        pg = lx->L->pages;
    }
    pg[lx->page].unnumbered = 1;
    return 0;
}

/* 报/送/发 lines between rules at the foot of the page, 共印N份 at the
 * right, then the optional 印发 line. */
int block_distribution(LX *lx, const lexp_node *n)
{
    const lexp_style *st = lx->st;
    const lexp_textstyle *ts = &st->distribution;
    double em = ts->size * track_for(lx, ts->size);
    const char *labels[3] = {"报：", "送：", "发："};
    const char *vals[3] = {n->u.dist.report_to, n->u.dist.send_to, n->u.dist.distribute_to};
    /* measure first: each entry is a paragraph with a hanging indent */
    text parts[3];
    lines pl[3];
    memset(parts, 0, sizeof parts);
    memset(pl, 0, sizeof pl);
    int rc = 0;
    size_t total_lines = 0;
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (!vals[i] || !*vals[i])
            continue;
        int r2;
        double lw = text_width(lx, labels[i], ts, &r2);
        if (r2 || add_str(lx, &parts[i], labels[i], ts) || add_str(lx, &parts[i], vals[i], ts)) {
            rc = -1;
            break;
        }
        text_finish(&parts[i]);
        if (break_lines(&parts[i], lx->aw - 2 * em, lx->aw - 2 * em - lw, &pl[i])) {
            rc = lexp__error_oom(lx->err);
            break;
        }
        for (size_t k = 0; k < pl[i].n; k++) {
            pl[i].v[k].indent = (float)(k ? lw : 0);
            pl[i].v[k].last = 1; /* ragged right, like a list of names */
            justify(&parts[i], &pl[i].v[k], lx->aw - 2 * em - (k ? lw : 0), LEXP_ALIGN_LEFT);
        }
        total_lines += pl[i].n;
    }
    char copies[64] = "";
    if (n->u.dist.copies > 0)
        snprintf(copies, sizeof copies, "（共印%d份）", n->u.dist.copies);
    int has_print = n->u.dist.printer || n->u.dist.date;
    double pitch = ts->line_pitch;
    double pad = pitch * 0.15;
    double h = (double)(total_lines + (copies[0] != 0)) * pitch + 2 * pad;
    if (has_print)
        h += pitch + 2 * pad;
    if (rc == 0 && ensure_page(lx))
        rc = -1;
    if (rc == 0 && lx->y + h > lx->ah + EPS && !lx->fresh && new_page(lx))
        rc = -1;
    if (rc == 0 && st->preset == LEXP_PRESET_GBT9704)
        rc = banji_page(lx);
    if (rc == 0) {
        double top = lx->ah - h;
        double x0 = ax(lx), y0 = ay(lx);
        rc = add_line(lx, x0, y0 + top, x0 + lx->aw, y0 + top, st->dist_rule_outer, 0);
        double y = top + pad;
        for (int i = 0; i < 3 && rc == 0; i++)
            for (size_t k = 0; k < pl[i].n && rc == 0; k++) {
                double base = baseline(y0 + y, pitch, ts->size);
                rc = emit_line(lx, &parts[i], &pl[i].v[k], x0 + em, base);
                y += pitch;
            }
        if (rc == 0 && copies[0]) {
            rc = single_line(lx, copies, ts, em, lx->aw - 2 * em, LEXP_ALIGN_RIGHT, y, pitch,
                             NULL);
            y += pitch;
        }
        y += pad;
        if (rc == 0 && has_print) {
            rc = add_line(lx, x0, y0 + y, x0 + lx->aw, y0 + y, st->dist_rule_inner, 0);
            y += pad;
            if (rc == 0 && n->u.dist.printer)
                rc = single_line(lx, n->u.dist.printer, ts, em, lx->aw - 2 * em,
                                 LEXP_ALIGN_LEFT, y, pitch, NULL);
            if (rc == 0 && n->u.dist.date) {
                char buf[128];
                snprintf(buf, sizeof buf, "%s印发", n->u.dist.date);
                rc = single_line(lx, buf, ts, em, lx->aw - 2 * em, LEXP_ALIGN_RIGHT, y, pitch,
                                 NULL);
            }
            y += pitch + pad;
        }
        if (rc == 0)
            rc = add_line(lx, x0, y0 + lx->ah, x0 + lx->aw, y0 + lx->ah, st->dist_rule_outer,
                          0);
        lx->y = lx->ah;
        if (rc == 0)
            rc = keep_log(lx, 0);
    }
    for (int i = 0; i < 3; i++) {
        text_free(&parts[i]);
        free(pl[i].v);
    }
    return rc;
}

int block_rule(LX *lx)
{
    if (ensure_page(lx))
        return -1;
    double pitch = lx->st->body.line_pitch;
    if (lx->y + pitch > lx->ah + EPS && new_page(lx))
        return -1;
    double y = ay(lx) + lx->y + pitch / 2;
    lx->y += pitch;
    return add_line(lx, ax(lx), y, ax(lx) + lx->aw, y, lx->st->table_rule, 0);
}

/* ---- page numbers ------------------------------------------------------------------- */

int page_number(LX *lx)
{
    const lexp_style *st = lx->st;
    size_t p = (size_t)lx->page;
    if (!lx->doc->page_numbers || st->pagenum == LEXP_PAGENUM_NONE ||
        lx->L->pages[p].unnumbered)
        return 0;
    lexp_textstyle ts = st->body;
    ts.role = st->pagenum_role | LEXP__ROLE_OWN_LATIN; /* 半角宋体 digits */
    ts.size = st->pagenum_size;
    ts.line_pitch = st->pagenum_size;
    char buf[64];
    snprintf(buf, sizeof buf, "\u2014 %zu \u2014", p + 1);
    /* the number line's top 7 mm below the type area (GB/T 9704):
     * odd pages right, even pages left, one character in */
    double top = lx->ah + st->pagenum_gap;
    double em = ts.size;
    lexp_align a = LEXP_ALIGN_CENTER;
    if (st->pagenum == LEXP_PAGENUM_GBT9704)
        a = p % 2 == 0 ? LEXP_ALIGN_RIGHT : LEXP_ALIGN_LEFT;
    double inset = st->pagenum == LEXP_PAGENUM_GBT9704 ? em : 0;
    /* place the em box's top at `top`: pitch = size centres nothing */
    return single_line(lx, buf, &ts, inset, lx->aw - 2 * inset, a, top, ts.size, NULL);
}

int page_numbers(LX *lx)
{
    for (size_t p = 0; p < lx->L->npages; p++) {
        lx->page = (int)p;
        if (page_number(lx))
            return -1;
    }
    return 0;
}
