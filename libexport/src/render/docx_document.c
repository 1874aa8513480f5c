/*
 * DOCX: word/document.xml — the body, block by block, and the section
 * properties (page, margins, footers, document grid).
 *
 * Every block keeps the text the txt renderer shows for it, so that a
 * reader (python-docx, a search in Word) finds the same words: heading
 * numbers and list markers are literal text, not Word numbering.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "docx.h"
#include "titles.h"

/* ---- paragraphs ------------------------------------------------------------ */

void dx_para_begin(dx *c, dx_ppr *p)
{
    if (c->page_break) {
        /* The next block starts the page itself: no empty paragraph is left
         * at the top of the new page, as a w:br paragraph would. */
        p->page_break_before = 1;
        c->page_break = 0;
    }
    dx_start(c, "w:p");
    dx_ppr_write(c, p);
}

/* A paragraph in a style holding one run of plain text. */
static void text_para(dx *c, dx_ppr *p, const char *text)
{
    dx_para_begin(c, p);
    if (text && *text)
        dx_run(c, NULL, text, strlen(text));
    dx_end(c);
}

static void styled_para(dx *c, const char *style, const char *text)
{
    dx_ppr p = {0};
    p.style = style;
    text_para(c, &p, text);
}

/* A pending page break before something that is not a paragraph (a
 * table): a paragraph of its own holding the break, one point high so the
 * new page does not start with a visible blank line. */
static void flush_break(dx *c)
{
    if (!c->page_break)
        return;
    c->page_break = 0;
    dx_ppr p = {0};
    p.style = DX_ST_RULE;
    dx_start(c, "w:p");
    dx_ppr_write(c, &p);
    dx_start(c, "w:r");
    dx_start(c, "w:br");
    dx_attr(c, "w:type", "page");
    dx_end(c);
    dx_end(c);
    dx_end(c);
}

/* A horizontal rule: an empty paragraph, one point high, with a bottom
 * border across the whole type area. */
static void rule(dx *c, double width, uint32_t color, double before, double after)
{
    dx_ppr p = {0};
    p.style = DX_ST_RULE;
    p.bottom.width = width;
    p.bottom.color = color;
    if (before > 0 || after > 0) {
        p.has_spacing = 1;
        p.before = before;
        p.after = after;
        p.line = 1;
        p.line_rule = 2;
    }
    dx_para_begin(c, &p);
    dx_end(c);
}

static void runs(dx *c, const lexp_node *n)
{
    for (uint32_t i = 0; i < n->runs.n; i++)
        dx_tree_run(c, &n->runs.v[i], NULL);
}

void dx_caption(dx *c, const char *text, int keep_next)
{
    if (!text || !*text)
        return;
    dx_ppr p = {0};
    p.style = DX_ST_CAPTION;
    p.keep_next = keep_next;
    text_para(c, &p, text);
}

/* ---- keeping the signature with the text ------------------------------------ */

static const lexp_node *next_shown(const lexp_node *n)
{
    for (n = n->next; n && !lexp__node_shown(n, LEXP_FORMAT_DOCX); n = n->next)
        ;
    return n;
}

/* The block after a paragraph or a list item (the list's successor after
 * its last item). */
static const lexp_node *following(const lexp_node *n)
{
    if (n->type == LEXP_N_ITEM)
        return n->next ? n->next : n->parent ? next_shown(n->parent) : NULL;
    return next_shown(n);
}

/* Lines of a paragraph at the body's measure, estimated from its advance. */
static double est_lines(const dx *c, const lexp_node *n)
{
    double ems = n->type == LEXP_N_PARAGRAPH ? n->u.para.indent : 2;
    for (uint32_t i = 0; i < n->runs.n; i++)
        ems += dx_text_ems(n->runs.v[i].text, n->runs.v[i].len);
    double per = c->text_w / c->st->body.size;
    return per > 0 ? ceil(ems / per - 0.05) : 1;
}

/* GB/T 9704 §7.3.5: the signature shares its page with at least two lines
 * of text. keepNext on the paragraph before it — widow control then brings
 * two of its lines along — and on the one before that when the last is a
 * single line. */
static int keeps_signature(const dx *c, const lexp_node *n)
{
    const lexp_node *f = following(n);
    if (!f)
        return 0;
    if (f->type == LEXP_N_SIGNATURE)
        return 1;
    if (f->type != LEXP_N_PARAGRAPH && f->type != LEXP_N_ITEM)
        return 0;
    const lexp_node *ff = following(f);
    return ff && ff->type == LEXP_N_SIGNATURE && est_lines(c, f) < 2;
}

/* ---- blocks -------------------------------------------------------------------- */

/* A title's runs with a line break (w:br) where lexp__title_breaks puts
 * one, as the PDF layout does: Word would break anywhere between two Han
 * characters. */
static int title_runs(dx *c, const lexp_node *n)
{
    lexp__sbuf all = LEXP__SBUF_INIT, b = LEXP__SBUF_INIT;
    lexp__runs_text(&all, &n->runs);
    size_t *offs = NULL, no = 0;
    int rc = all.oom ? lexp__error_oom(c->err)
                     : lexp__title_breaks_utf8(all.ptr ? all.ptr : "", all.len,
                                               lexp__title_maxw(c->st, n->u.title.level), &offs,
                                               &no, c->err);
    /* each run's text with '\n' (w:br) where a line starts */
    size_t next = 0, base = 0;
    for (uint32_t i = 0; i < n->runs.n && !rc; i++) {
        lexp_run r = n->runs.v[i];
        b.len = 0;
        size_t from = 0;
        while (next < no && offs[next] < base + r.len) {
            size_t cut = offs[next++] - base;
            lexp__sbuf_put(&b, r.text + from, cut - from);
            lexp__sbuf_putc(&b, '\n');
            from = cut;
        }
        lexp__sbuf_put(&b, r.text + from, r.len - from);
        if (b.oom) {
            rc = lexp__error_oom(c->err);
            break;
        }
        if (b.ptr) { /* else the run is empty */
            r.text = b.ptr;
            r.len = (uint32_t)b.len;
        }
        dx_tree_run(c, &r, NULL);
        base += n->runs.v[i].len;
    }
    free(offs);
    lexp__sbuf_free(&all);
    lexp__sbuf_free(&b);
    return rc;
}

static void title(dx *c, const lexp_node *n)
{
    dx_ppr p = {0};
    p.style = n->u.title.level == 0 ? DX_ST_TITLE : DX_ST_SUBTITLE;
    dx_para_begin(c, &p);
    if (title_runs(c, n))
        c->failed = 1; /* c->err holds why */
    dx_end(c);
}

static void heading(dx *c, const lexp_node *n)
{
    static const char *const ids[] = {"Heading1", "Heading2", "Heading3", "Heading4"};
    int lv = n->u.heading.level;
    if (lv < 1)
        lv = 1;
    if (lv > 4)
        lv = 4;
    dx_ppr p = {0};
    p.style = ids[lv - 1];
    dx_para_begin(c, &p);
    if (n->u.heading.number && *n->u.heading.number)
        dx_run(c, NULL, n->u.heading.number, strlen(n->u.heading.number));
    runs(c, n);
    dx_end(c);
}

static void paragraph(dx *c, const lexp_node *n)
{
    const lexp_textstyle *ts = &c->st->body;
    dx_ppr p = {0};
    p.style = DX_ST_BODY;
    if (n->u.para.align != LEXP_ALIGN_DEFAULT)
        p.jc = (int)n->u.para.align;
    if (fabs(n->u.para.indent - ts->indent_chars) > 0.01) {
        p.has_ind = 1;
        p.ind_first_chars = n->u.para.indent;
        p.char_pt = ts->size;
    }
    p.keep_next = keeps_signature(c, n);
    dx_para_begin(c, &p);
    runs(c, n);
    dx_end(c);
}

static void list(dx *c, const lexp_node *n)
{
    for (const lexp_node *it = n->first; it; it = it->next) {
        dx_ppr p = {0};
        p.style = DX_ST_LIST;
        p.keep_next = keeps_signature(c, it);
        dx_para_begin(c, &p);
        /* the marker as the txt renderer writes it: "1. " or "• " */
        const char *mark = n->u.list.ordered ? it->u.item.number : "•";
        lexp__sbuf m = LEXP__SBUF_INIT;
        lexp__sbuf_puts(&m, mark ? mark : "");
        lexp__sbuf_putc(&m, ' ');
        if (m.oom)
            c->failed = 1;
        else
            dx_run(c, NULL, m.ptr, m.len);
        lexp__sbuf_free(&m);
        runs(c, it);
        dx_end(c);
    }
}

/* "left<TAB>right" on one line: left indented `in` characters, right
 * ending `in` characters before the right margin (a right tab stop). */
static void split_line(dx *c, dx_ppr *p, const lexp_textstyle *ts, const char *left,
                       const char *right, double in)
{
    dx_tab tab = {"right", c->text_w - in * ts->size};
    p->tabs = &tab;
    p->ntabs = 1;
    p->has_ind = 1;
    p->ind_left_chars = in;
    p->char_pt = ts->size;
    lexp__sbuf s = LEXP__SBUF_INIT;
    lexp__sbuf_puts(&s, left ? left : "");
    if (right && *right) {
        lexp__sbuf_putc(&s, '\t');
        lexp__sbuf_puts(&s, right);
    }
    if (s.oom)
        c->failed = 1;
    text_para(c, p, lexp__sbuf_cstr(&s));
    lexp__sbuf_free(&s);
}

static void masthead(dx *c, const lexp_node *n)
{
    const lexp_style *st = c->st;
    if (n->u.masthead.note && *n->u.masthead.note)
        styled_para(c, DX_ST_MH_NOTE, n->u.masthead.note);
    if (n->u.masthead.title && *n->u.masthead.title) {
        /* one line: set smaller, then tighter, when the name is long, as
         * the PDF is (lexp__masthead_fit); reckoned from the characters,
         * since Word's font is not known here */
        const char *name = n->u.masthead.title;
        size_t len = strlen(name);
        double ems = 0, tracking;
        for (size_t i = 0; i < len;) {
            uint32_t u;
            size_t l = lexp__utf8_decode(name + i, len - i, &u);
            ems += l ? lexp__title_em(u) : 0.5;
            i += l ? l : 1;
        }
        double nominal = st->masthead_title.size;
        double size = lexp__masthead_fit(nominal, ems, lexp__utf8_count(name, len), c->text_w,
                                         &tracking);
        dx_ppr p = {0};
        p.style = DX_ST_MH_TITLE;
        dx_para_begin(c, &p);
        dx_rpr r = dx_rpr_none();
        if (size != nominal) {
            r.size = size;
            r.has_tracking = tracking != 0;
            r.tracking = tracking;
        }
        dx_run(c, &r, name, len);
        dx_end(c);
    }
    if (n->u.masthead.issue && *n->u.masthead.issue)
        styled_para(c, DX_ST_MH_ISSUE, n->u.masthead.issue);
    if ((n->u.masthead.issuer && *n->u.masthead.issuer) ||
        (n->u.masthead.date && *n->u.masthead.date)) {
        /* GB/T 9704 places the unit 左空一字 and the date 右空一字. */
        dx_ppr p = {0};
        p.style = DX_ST_MH_LINE;
        split_line(c, &p, &st->masthead_line, n->u.masthead.issuer, n->u.masthead.date, 1);
    }
    /* The red rule, about 4 mm under the line above it. */
    rule(c, st->masthead_rule, st->red, LEXP_MM(2.0), st->masthead_gap);
}

static void signature(dx *c, const lexp_node *n)
{
    const lexp_textstyle *ts = &c->st->signature;
    const char *who = n->u.signature.issuer, *when = n->u.signature.date;
    double wi = who ? dx_text_ems(who, strlen(who)) : 0;
    double wd = when ? dx_text_ems(when, strlen(when)) : 0;
    /* GB/T 9704 without a seal: the signer 右空二字; the date on the next
     * line starts two characters right of the signer's first character. */
    double ri = 2, rd = wi > 0 ? ri + wi - 2 - wd : 4;
    if (rd < 0)
        rd = 0;
    if (who && *who) {
        dx_ppr p = {0};
        p.style = DX_ST_SIGNATURE;
        p.has_ind = 1;
        p.ind_right_chars = ri;
        p.char_pt = ts->size;
        p.keep_next = when && *when;
        text_para(c, &p, who);
    }
    if (when && *when) {
        dx_ppr p = {0};
        p.style = DX_ST_SIGNATURE;
        p.has_ind = 1;
        p.ind_right_chars = rd;
        p.char_pt = ts->size;
        if (who && *who) {
            dx_ppr_spacing(c, &p, ts);
            p.before = 0; /* no blank line between signer and date */
        }
        text_para(c, &p, when);
    }
}

/* Lines of a 报/送/发 entry: 左右各空一字, continuation lines after "报：". */
static double dist_lines(const dx *c, const char *label, const char *text)
{
    double per = c->text_w / c->st->distribution.size - 2;
    double ems = dx_text_ems(label, strlen(label)) + dx_text_ems(text, strlen(text));
    double more = ems - per;
    return 1 + (more > 0 ? ceil(more / (per - 2)) : 0);
}

static void dist_line(dx *c, const char *label, const char *text)
{
    if (!text || !*text)
        return;
    const lexp_textstyle *ts = &c->st->distribution;
    dx_ppr p = {0};
    p.style = DX_ST_DIST;
    /* 左右各空一字; continuation lines align after "报：". */
    p.has_ind = 1;
    p.ind_left_chars = 3;
    p.ind_hanging_chars = 2;
    p.ind_right_chars = 1;
    p.char_pt = ts->size;
    lexp__sbuf s = LEXP__SBUF_INIT;
    lexp__sbuf_puts(&s, label);
    lexp__sbuf_puts(&s, text);
    if (s.oom)
        c->failed = 1;
    text_para(c, &p, lexp__sbuf_cstr(&s));
    lexp__sbuf_free(&s);
}

static void sect_pr(dx *c, int banji);

/* The 报尾 / 版记: between rules, full width, at the foot of the last page
 * and never split (GB/T 9704 §10; 简报 conventions). It is a text box
 * anchored to an empty paragraph where the text ends, its height computed
 * here from the lines it holds (each on the style's exact pitch). */
static void distribution(dx *c, const lexp_node *n)
{
    const lexp_style *st = c->st;
    const lexp_textstyle *ts = &st->distribution;
    static const char *const labels[] = {"报：", "送：", "发："};
    const char *vals[] = {n->u.dist.report_to, n->u.dist.send_to, n->u.dist.distribute_to};
    int print = n->u.dist.printer || n->u.dist.date;
    double lines = (n->u.dist.copies > 0) + print;
    for (int i = 0; i < 3; i++)
        if (vals[i] && *vals[i])
            lines += dist_lines(c, labels[i], vals[i]);
    /* rules: a one-point paragraph plus its border; 2 pt to spare */
    double h = lines * ts->line_pitch + 2 * (1 + st->dist_rule_outer) + 2;
    if (print)
        h += 1 + st->dist_rule_inner;

    if (st->preset == LEXP_PRESET_GBT9704 && c->footers && !c->banji_rid) {
        /* GB/T 9704: the 版记 page is an even one and carries no number. A
         * section of its own, starting on an even page (Word and LibreOffice
         * add a blank page when the text ends on an even one), with an
         * empty footer. The paragraph ending the text's section is a
         * one-point rule paragraph, without its border. */
        c->banji_rid = c->next_rid++;
        flush_break(c);
        dx_start(c, "w:p");
        dx_start(c, "w:pPr");
        dx_val(c, "w:pStyle", DX_ST_RULE);
        sect_pr(c, 0);
        dx_end(c); /* pPr */
        dx_end(c); /* p */
    }
    dx_ppr anchor = {0};
    anchor.style = DX_ST_RULE;
    dx_para_begin(c, &anchor);
    dx_footbox_begin(c, h, ts->line_pitch / 2, "版记");
    rule(c, st->dist_rule_outer, 0, 0, 0);
    for (int i = 0; i < 3; i++)
        dist_line(c, labels[i], vals[i]);
    /* the copy count closes the list (简报 conventions); the 印发 line is the
     * 版记's last, between the inner rule and the closing one (GB/T 9704) */
    if (n->u.dist.copies > 0) {
        char s[48];
        snprintf(s, sizeof s, "（共印%d份）", n->u.dist.copies);
        dx_ppr p = {0};
        p.style = DX_ST_DIST;
        p.jc = LEXP_ALIGN_RIGHT;
        p.has_ind = 1;
        p.ind_right_chars = 1;
        p.char_pt = ts->size;
        text_para(c, &p, s);
    }
    if (print) {
        rule(c, st->dist_rule_inner, 0, 0, 0);
        lexp__sbuf d = LEXP__SBUF_INIT;
        if (n->u.dist.date) {
            lexp__sbuf_puts(&d, n->u.dist.date);
            lexp__sbuf_puts(&d, "印发");
        }
        if (d.oom)
            c->failed = 1;
        dx_ppr p = {0};
        p.style = DX_ST_DIST;
        split_line(c, &p, ts, n->u.dist.printer ? n->u.dist.printer : "",
                   lexp__sbuf_cstr(&d), 1);
        lexp__sbuf_free(&d);
    }
    rule(c, st->dist_rule_outer, 0, 0, 0);
    dx_footbox_end(c);
    dx_end(c); /* the anchor paragraph */
}

/* ---- section ----------------------------------------------------------------- */

/* The section's properties; `banji`: the 版记's own section, on an even
 * page with an empty footer. */
static void sect_pr(dx *c, int banji)
{
    const lexp_style *st = c->st;
    char rid[16];
    dx_start(c, "w:sectPr");
    if (banji) {
        snprintf(rid, sizeof rid, "rId%d", c->banji_rid);
        static const char *const kinds[] = {"default", "even"};
        for (int i = 0; i < 2; i++) {
            dx_start(c, "w:footerReference");
            dx_attr(c, "w:type", kinds[i]);
            dx_attr(c, "r:id", rid);
            dx_end(c);
        }
        dx_val(c, "w:type", "evenPage");
    } else if (c->footers >= 1) {
        dx_start(c, "w:footerReference");
        dx_attr(c, "w:type", "default");
        snprintf(rid, sizeof rid, "rId%d", DX_RID_FOOTER1);
        dx_attr(c, "r:id", rid);
        dx_end(c);
    }
    if (c->footers == 2 && !banji) {
        dx_start(c, "w:footerReference");
        dx_attr(c, "w:type", "even");
        snprintf(rid, sizeof rid, "rId%d", DX_RID_FOOTER2);
        dx_attr(c, "r:id", rid);
        dx_end(c);
    }
    dx_start(c, "w:pgSz");
    dx_attr_int(c, "w:w", dx_twips(st->page_w));
    dx_attr_int(c, "w:h", dx_twips(st->page_h));
    dx_end(c);
    /* The page number line: its top 7 mm (pagenum_gap) below the type
     * area; Word measures the footer from the page edge to its bottom. */
    double foot = st->margin_bottom - st->pagenum_gap - st->pagenum_size * 1.2;
    if (foot < 0)
        foot = 0;
    dx_start(c, "w:pgMar");
    dx_attr_int(c, "w:top", dx_twips(st->margin_top));
    dx_attr_int(c, "w:right", dx_twips(st->margin_outside));
    dx_attr_int(c, "w:bottom", dx_twips(st->margin_bottom));
    dx_attr_int(c, "w:left", dx_twips(st->margin_inside));
    dx_attr_int(c, "w:header", 851);
    dx_attr_int(c, "w:footer", dx_twips(foot));
    dx_attr_int(c, "w:gutter", 0);
    dx_end(c);
    dx_start(c, "w:cols");
    dx_attr_int(c, "w:space", 425);
    dx_end(c);
    if (c->grid) {
        /* 22 lines on the type area: the pitch is rounded down so that 22
         * lines fit. The 28 characters per line come from tracking in the
         * Normal style (docx_styles.c), not from a character grid: with
         * w:type="linesAndChars" and the needed negative w:charSpace,
         * LibreOffice gives every full-width character two grid cells. */
        long pitch = (long)floor(c->text_h * 20.0 / st->grid_lines);
        dx_start(c, "w:docGrid");
        dx_attr(c, "w:type", "lines");
        dx_attr_int(c, "w:linePitch", pitch);
        dx_end(c);
    }
    dx_end(c);
}

/* ---- the part ---------------------------------------------------------------- */

int dx_write_document(dx *c)
{
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    c->spill = 1; /* the one part a long table makes long */
    dx_start(c, "w:document");
    dx_attr(c, "xmlns:w", DX_NS_W);
    dx_attr(c, "xmlns:r", DX_NS_R);
    dx_attr(c, "xmlns:wp", DX_NS_WP);
    dx_attr(c, "xmlns:a", DX_NS_A);
    dx_attr(c, "xmlns:pic", DX_NS_PIC);
    dx_attr(c, "xmlns:c", DX_NS_C);
    dx_attr(c, "xmlns:wps", DX_NS_WPS);
    dx_attr(c, "xmlns:mc", DX_NS_MC);
    dx_start(c, "w:body");
    int last_table = 0;
    for (const lexp_node *n = c->doc->root->first; n && !c->failed; n = n->next) {
        if (!lexp__node_shown(n, LEXP_FORMAT_DOCX))
            continue;
        if (n->type == LEXP_N_TABLE && last_table && !n->u.table.caption) {
            /* Two adjacent tables would merge into one. */
            styled_para(c, DX_ST_RULE, NULL);
        }
        last_table = 0;
        switch (n->type) {
        case LEXP_N_TITLE: title(c, n); break;
        case LEXP_N_HEADING: heading(c, n); break;
        case LEXP_N_PARAGRAPH: paragraph(c, n); break;
        case LEXP_N_LIST: list(c, n); break;
        case LEXP_N_TABLE:
            if (n->u.table.caption)
                dx_caption(c, n->u.table.caption, 1);
            flush_break(c);
            dx_table(c, n);
            last_table = 1;
            break;
        case LEXP_N_IMAGE: dx_image(c, n); break;
        case LEXP_N_CHART: dx_chart(c, n); break;
        case LEXP_N_PAGEBREAK: c->page_break = 1; break;
        case LEXP_N_RULE: rule(c, 1.0, 0, 0, 0); break;
        case LEXP_N_MASTHEAD: masthead(c, n); break;
        case LEXP_N_SIGNATURE: signature(c, n); break;
        case LEXP_N_DISTRIBUTION: distribution(c, n); break;
        default: break;
        }
        dx_spill(c);
    }
    flush_break(c);
    if (last_table) /* the body must not end with a table */
        styled_para(c, DX_ST_RULE, NULL);
    sect_pr(c, c->banji_rid != 0);
    dx_end(c); /* body */
    dx_end(c); /* document */
    return dx_part_end(c, "word/document.xml");
}
