/*
 * Layout: document tree → pages of positioned items (see layout.h).
 *
 *   text_*    characters of a paragraph: glyphs, advances, break classes
 *   break_*   line breaking (Chinese rules) and justification
 *   flow_*    pages, the cursor, placing lines with widow/orphan control
 *   block_*   pictures and charts (tables are in layout_table.c; the text
 *             blocks, masthead, signature, 版记 and page numbers in
 *             layout_blocks.c)
 *
 * All lengths are points. A paragraph is measured once; its lines are then
 * placed on pages, so the page parity (mirrored margins) is known only when
 * a line is committed: line positions stay relative to the type area until
 * then.
 */
#include "layout_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/image.h"
#include "render.h"

/* At most this much negative spacing per gap (em) when a line is squeezed
 * so a closing mark need not start the next line. */
#define MAX_SQUEEZE 0.025
/* At most this many layout passes for the keep rules. */
#define KEEP_PASSES 8

/* ---- character classes ------------------------------------------------------ */

static int is_close(uint32_t c)
{
    switch (c) {
    case 0x3001: case 0x3002: case 0xFF0C: case 0xFF0E: case 0xFF1A: case 0xFF1B:
    case 0xFF01: case 0xFF1F: case 0xFF09: case 0xFF3D: case 0xFF5D: case 0x3009:
    case 0x300B: case 0x300D: case 0x300F: case 0x3011: case 0x3015: case 0x3017:
    case 0x3019: case 0x301B: case 0x301E: case 0x301F: case 0x2019: case 0x201D:
    case 0xFF60: case 0x00BB: case 0x203A: case 0x00B7: case 0x30FB: case 0x2027:
    case 0x3005: case 0x303B: case 0x30FC: case 0xFF05: case 0x2030: case 0x2103:
    case 0x00B0: case 0x2032: case 0x2033: case 0xFF5E: case 0x301C:
    case ',': case '.': case ';': case ':': case '?': case '!': case ')': case ']':
    case '}': case '%':
        return 1;
    default:
        /* small kana never start a line either */
        return (c >= 0x3041 && c <= 0x3049 && (c & 1)) || c == 0x3063 || c == 0x3083 ||
               c == 0x3085 || c == 0x3087 || c == 0x308E ||
               (c >= 0x30A1 && c <= 0x30A9 && (c & 1)) || c == 0x30C3 || c == 0x30E3 ||
               c == 0x30E5 || c == 0x30E7 || c == 0x30EE || c == 0x30F5 || c == 0x30F6;
    }
}

static int is_open(uint32_t c)
{
    switch (c) {
    case 0xFF08: case 0xFF3B: case 0xFF5B: case 0x3008: case 0x300A: case 0x300C:
    case 0x300E: case 0x3010: case 0x3014: case 0x3016: case 0x3018: case 0x301A:
    case 0x301D: case 0x2018: case 0x201C: case 0xFF5F: case 0x00AB: case 0x2039:
    case 0xFF04: case 0xFFE5: case 0xFFE1: case 0xFF0F:
    case '(': case '[': case '{': case '$':
        return 1;
    default: return 0;
    }
}

static int is_dash(uint32_t c) { return c == 0x2014 || c == 0x2026 || c == 0x2015; }

/* ---- prepared text ---------------------------------------------------------------- */


void text_free(text *t)
{
    free(t->c);
    free(t->st);
    memset(t, 0, sizeof *t);
}

static int text_style(text *t, const tstyle *s)
{
    if (t->nst) {
        const tstyle *l = &t->st[t->nst - 1];
        if (l->role == s->role && l->size == s->size && l->color == s->color &&
            l->bold == s->bold && l->italic == s->italic)
            return (int)t->nst - 1;
    }
    if (lexp__grow((void **)&t->st, &t->capst, t->nst + 1, sizeof *t->st))
        return -1;
    t->st[t->nst] = *s;
    return (int)t->nst++;
}

/* Append UTF-8 text in a style. `track` scales advances (the GB/T 9704
 * grid), `grid` marks the characters as set on it. Invalid bytes become
 * U+FFFD. */
static int text_add(lexp__fonts *F, text *t, const char *s, size_t len, const tstyle *style,
                    double track, int grid, lexp_error *err)
{
    int si = text_style(t, style);
    if (si < 0)
        return lexp__error_oom(err);
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t l = lexp__utf8_decode(s + i, len - i, &cp);
        if (l == 0) {
            l = 1;
            cp = 0xFFFD;
        }
        i += l;
        uint8_t fl = 0;
        if (cp == '\n' || cp == 0x2028)
            fl = F_NL;
        else if (cp == '\t' || cp == ' ' || cp == 0x3000 || cp == 0x00A0 || cp == 0x2002 ||
                 cp == 0x2003)
            fl = F_SPACE;
        else if (cp == 0x200B || cp == 0xFEFF || cp == 0x200D || cp == 0x200C || cp < 0x20 ||
                 (cp >= 0x7F && cp < 0xA0))
            continue; /* invisible: drop */
        if (t->n + 1 > t->cap && lexp__grow((void **)&t->c, &t->cap, t->n + 1, sizeof *t->c))
            return lexp__error_oom(err);
        tch *c = &t->c[t->n];
        memset(c, 0, sizeof *c);
        c->cp = cp;
        c->st = (uint16_t)si;
        c->em = (float)(style->size * track);
        if (fl & F_NL) {
            c->fl = fl;
            c->g.slot = -1;
            t->n++;
            continue;
        }
        if (fl & F_SPACE) {
            /* spaces are gaps, not glyphs: an ideographic space or em space is
             * a full em, others the font's space */
            c->g.slot = -1;
            c->g.adv = (cp == 0x3000 || cp == 0x2003) ? 1.0f : 0.5f;
            if (cp != 0x3000 && cp != 0x2003) {
                lexp__glyph sp;
                if (lexp__fonts_glyph(F, style->role, ' ', &sp, err))
                    return -1;
                if (sp.slot >= 0 && sp.adv > 0)
                    c->g.adv = cp == 0x2002 ? 0.5f : sp.adv;
            }
        } else if (lexp__fonts_glyph(F, style->role, cp, &c->g, err)) {
            return -1;
        }
        c->adv = c->g.adv * c->em;
        int w = lexp__char_width(cp);
        if (w == 2 || lexp__is_cjk(cp))
            fl |= F_WIDE;
        if (w == 0)
            fl |= F_ZW;
        if (is_open(cp))
            fl |= F_OPEN;
        if (is_close(cp))
            fl |= F_CLOSE;
        if (is_dash(cp))
            fl |= F_DASH;
        c->fl = fl | (grid ? F_GRID : 0);
        /* only marks with their ink on the left compress: their right half
         * is dropped, and the glyph moves left by its side bearing */
        if (c->g.ink == LEXP_INK_LEFT)
            c->shrink = c->adv * 0.5f;
        t->n++;
    }
    return 0;
}

static int narrow(const tch *c) { return !(c->fl & (F_WIDE | F_SPACE | F_NL)); }

/* Spacing between a and b may grow when a line is justified. */
static int expandable(const tch *a, const tch *b)
{
    if ((a->fl & F_NL) || (b->fl & F_NL))
        return 0;
    if ((a->fl & F_SPACE) || (b->fl & F_SPACE))
        return 1;
    if (narrow(a) && narrow(b))
        return 0; /* inside a Latin word or a number */
    if ((a->fl & F_DASH) && a->cp == b->cp)
        return 0; /* inside —— or …… */
    if (b->fl & F_ZW)
        return 0;
    if (b->g.ink == LEXP_INK_LEFT && !(a->fl & F_SPACE))
        return 0; /* 、。，… stay against the character before them */
    return 1;
}

/* Compress adjacent full-width punctuation (a pair takes 1.5 em, clreq) and
 * mark where lines may break. */
void text_finish(text *t)
{
    for (size_t i = 0; i + 1 < t->n; i++) {
        tch *a = &t->c[i], *b = &t->c[i + 1];
        if (a->shrink > 0 && b->g.ink != LEXP_INK_FULL) {
            a->adv -= a->shrink;
            a->shrink = 0;
            a->half_adj = 1;
        }
    }
    for (size_t i = 0; i < t->n; i++) {
        tch *b = &t->c[i];
        int brk = 1;
        if (i == 0) {
            brk = 0;
        } else {
            const tch *a = &t->c[i - 1];
            if (a->fl & F_NL)
                brk = 1;
            else if (b->fl & (F_SPACE | F_NL))
                brk = 0;
            else if (a->fl & F_SPACE)
                brk = 1;
            else if ((b->fl & F_CLOSE) || (a->fl & F_OPEN) || (b->fl & F_ZW))
                brk = 0;
            else if ((a->fl & F_DASH) && a->cp == b->cp)
                brk = 0;
            else if (narrow(a) && narrow(b))
                brk = 0;
        }
        b->brk = (uint8_t)brk;
    }
}

/* ---- line breaking ------------------------------------------------------------ */

static size_t trim_spaces(const text *t, size_t s, size_t e)
{
    while (e > s && (t->c[e - 1].fl & (F_SPACE | F_NL)))
        e--;
    return e;
}

/* Width the last character may give up at a line end: a full-width mark
 * whose ink is in its left half counts half (GB/T 15834 §5.1.10). */
float end_trim(const text *t, size_t s, size_t e)
{
    e = trim_spaces(t, s, e);
    if (e == s)
        return 0;
    const tch *c = &t->c[e - 1];
    return (c->g.ink == LEXP_INK_LEFT && c->shrink > 0) ? c->shrink : 0;
}

float natural(const text *t, size_t s, size_t e)
{
    e = trim_spaces(t, s, e);
    float w = 0;
    for (size_t i = s; i < e; i++)
        w += t->c[i].adv;
    return w;
}

/* Negative spacing a gap after c may take when a line is squeezed: none on
 * the GB/T 9704 grid, whose 28 characters to the line stay in their cells
 * (only punctuation gives up width there, clreq's first steps). */
static float gap_squeeze(const tch *c)
{
    return (c->fl & F_GRID) ? 0.0f : (float)MAX_SQUEEZE * c->em;
}

/* How much a line [s, e) could be squeezed: inner punctuation to half
 * width, then a little negative spacing between characters. */
float squeeze(const text *t, size_t s, size_t e)
{
    e = trim_spaces(t, s, e);
    float k = 0;
    for (size_t i = s; i + 1 < e; i++) {
        k += t->c[i].shrink;
        if (expandable(&t->c[i], &t->c[i + 1]))
            k += gap_squeeze(&t->c[i]);
    }
    return k;
}

int push_line(lines *L, size_t s, size_t e, int forced)
{
    if (lexp__grow((void **)&L->v, &L->cap, L->n + 1, sizeof *L->v))
        return -1;
    tline *l = &L->v[L->n++];
    memset(l, 0, sizeof *l);
    l->s = s;
    l->e = e;
    l->forced = (uint8_t)forced;
    return 0;
}

/* Sums over the paragraph so that natural(), end_trim() and squeeze() of
 * any span cost O(1) in break_lines: a run without break opportunities
 * (a 1 MB word) would otherwise be measured again for each of its lines. */
typedef struct bsum {
    double adv; /* advances of the characters before this index */
    double sq;  /* squeeze() terms of the characters before it */
    size_t trim; /* this index with the spaces before it dropped */
    size_t next; /* the first index at or after it where a line may end */
} bsum;

static bsum *sums_new(const text *t)
{
    bsum *b = malloc((t->n + 1) * sizeof *b);
    if (!b)
        return NULL;
    double w = 0, q = 0;
    for (size_t i = 0; i <= t->n; i++) {
        b[i].adv = w;
        b[i].sq = q;
        b[i].trim = i > 0 && (t->c[i - 1].fl & (F_SPACE | F_NL)) ? b[i - 1].trim : i;
        if (i == t->n)
            break;
        w += t->c[i].adv;
        q += t->c[i].shrink;
        if (i + 1 < t->n && expandable(&t->c[i], &t->c[i + 1]))
            q += gap_squeeze(&t->c[i]);
    }
    b[t->n].next = t->n;
    for (size_t i = t->n; i-- > 0;)
        b[i].next = t->c[i].brk ? i : b[i + 1].next;
    return b;
}

/* natural(t, s, e) - end_trim(t, s, e), and squeeze(t, s, e) in *sq */
static double span(const text *t, const bsum *b, size_t s, size_t e, double *sq)
{
    size_t te = b[e].trim > s ? b[e].trim : s;
    double w = b[te].adv - b[s].adv;
    if (sq)
        *sq = te > s + 1 ? b[te - 1].sq - b[s].sq : 0;
    if (te > s) {
        const tch *c = &t->c[te - 1];
        if (c->g.ink == LEXP_INK_LEFT && c->shrink > 0)
            w -= c->shrink;
    }
    return w;
}

static double span_natural(const bsum *b, size_t s, size_t e)
{
    size_t te = b[e].trim > s ? b[e].trim : s;
    return b[te].adv - b[s].adv;
}

/* Greedy breaking: each line takes as many break units as fit, or one
 * more when squeezing makes it fit (so a closing mark that would start the
 * next line is pulled back instead of pushing a character down). */
int break_lines(const text *t, double w_first, double w_rest, lines *L)
{
    L->n = 0;
    bsum *sm = sums_new(t);
    if (!sm)
        return -1;
    size_t i = 0;
    int first = 1;
    while (i < t->n) {
        if (!first)
            while (i < t->n && (t->c[i].fl & F_SPACE))
                i++;
        if (i >= t->n)
            break;
        double avail = first ? w_first : w_rest;
        size_t best = 0;
        int forced = 0;
        /* the places a line may end: before a break opportunity, after a
         * forced break (always followed by one) and at the end */
        for (size_t k = sm[i + 1].next; k <= t->n; k = sm[k + 1].next) {
            double sq, eff = span(t, sm, i, k, &sq);
            if (t->c[k - 1].fl & F_NL) {
                if (!best || eff <= avail + EPS)
                    best = k;
                forced = best == k;
                break;
            }
            if (eff <= avail + EPS) {
                best = k;
                if (k == t->n)
                    break;
                continue;
            }
            if (eff - sq <= avail + EPS)
                best = k;
            break;
        }
        if (!best) {
            /* one unit wider than the line: break it between characters */
            size_t k = i + 1;
            while (k < t->n && !(t->c[k - 1].fl & F_NL) &&
                   span_natural(sm, i, k + 1) <= avail + EPS)
                k++;
            best = k;
        }
        if (push_line(L, i, best, forced)) {
            free(sm);
            return -1;
        }
        i = best;
        first = 0;
    }
    if (L->n)
        L->v[L->n - 1].last = 1;
    /* no last line of a single character: pull one more down */
    if (L->n >= 2 && !L->v[L->n - 2].forced) {
        tline *a = &L->v[L->n - 2], *b = &L->v[L->n - 1];
        size_t content = 0, wide = 0;
        for (size_t k = b->s; k < b->e; k++)
            if (!(t->c[k].fl & (F_SPACE | F_NL | F_CLOSE))) {
                content++;
                wide += (t->c[k].fl & F_WIDE) != 0;
            }
        if (content == 1 && wide == 1) {
            size_t k = a->e - 1;
            while (k > a->s + 1 && !t->c[k].brk)
                k--;
            if (k > a->s + 1 && t->c[k].brk && span(t, sm, k, b->e, NULL) <= w_rest + EPS) {
                a->e = k;
                b->s = k;
            }
        }
    }
    free(sm);
    return 0;
}

/* Which marks a squeezed line compresses first (clreq: commas and
 * enumeration commas before full stops). */
static int squeeze_rank(uint32_t cp)
{
    switch (cp) {
    case 0xFF0C: case 0x3001: case 0xFF1B: case 0xFF1A: return 0;
    case 0x201D: case 0x2019: case 0xFF09: case 0x300B: case 0x3011: case 0x300D:
    case 0x300F: case 0x3015: case 0x3009: return 1;
    default: return 2;
    }
}

/* Position the characters of a line in a box `avail` wide. A line that is
 * too long first sets its end mark and then inner marks at half width
 * (each either whole or half, as fonts have one advance per glyph), then
 * tightens the gaps a little; a short justified line widens its gaps. */
void justify(text *t, tline *l, double avail, lexp_align align)
{
    size_t e = trim_spaces(t, l->s, l->e);
    for (size_t i = l->s; i < l->e; i++)
        t->c[i].half_ln = 0;
    float nat = natural(t, l->s, l->e);
    int just = align == LEXP_ALIGN_JUSTIFY && !l->last && !l->forced;
    double width = nat;
    if ((just || nat > avail + EPS) && e > l->s && end_trim(t, l->s, l->e) > 0) {
        width -= t->c[e - 1].shrink;
        t->c[e - 1].half_ln = 1;
    }
    double slack = avail - width;
    double offset = 0, gap = 0;
    if ((just || slack < -EPS) && e > l->s) {
        for (int rank = 0; rank < 3 && slack < -EPS; rank++)
            for (size_t i = e - 1; i-- > l->s && slack < -EPS;) {
                tch *c = &t->c[i];
                if (c->shrink > 0 && !c->half_ln && squeeze_rank(c->cp) == rank) {
                    c->half_ln = 1;
                    slack += c->shrink;
                }
            }
        size_t gaps = 0;
        for (size_t i = l->s; i + 1 < e; i++)
            gaps += expandable(&t->c[i], &t->c[i + 1]);
        if (gaps && (just || slack < 0))
            gap = slack / (double)gaps;
        width = just || slack < 0 ? avail : avail - slack;
        if (!just && slack > 0 && align == LEXP_ALIGN_CENTER)
            offset = slack / 2;
        else if (!just && slack > 0 && align == LEXP_ALIGN_RIGHT)
            offset = slack;
    } else if (slack > 0) {
        if (align == LEXP_ALIGN_CENTER)
            offset = slack / 2;
        else if (align == LEXP_ALIGN_RIGHT)
            offset = slack;
    }
    double x = offset;
    for (size_t i = l->s; i < l->e; i++) {
        tch *c = &t->c[i];
        /* a mark at half width is drawn shifted left by its side bearing, so
         * its ink stays against the character before it (fonts.h) */
        c->dx = (c->half_adj || c->half_ln) ? -c->g.shift * t->st[c->st].size : 0;
        c->x = (float)(x + c->dx);
        x += c->adv - (c->half_ln ? c->shrink : 0);
        if (i + 1 < e && expandable(c, &t->c[i + 1]))
            x += gap;
    }
    l->width = (float)width;
}

/* ---- layout state ------------------------------------------------------------------ */


static double area_x(const LX *lx, int page)
{
    /* odd pages (1, 3, …) have the binding margin on the left */
    return (page % 2 == 0) ? lx->st->margin_inside : lx->st->margin_outside;
}

/* Streaming: hand the current page over, with its number in the final
 * pass, and free its items. The number is set while a block may be in the
 * middle of placing its own lines, so in scratch of its own. */
static int flush_page(LX *lx)
{
    lexp__layout *L = lx->L;
    int rc = 0;
    if (lx->phase == LEXP_LP_DRAW) {
        text t = lx->tx;
        lines l = lx->ln;
        lx->tx = lx->ntx;
        lx->ln = lx->nln;
        rc = page_number(lx);
        lx->ntx = lx->tx;
        lx->nln = lx->ln;
        lx->tx = t;
        lx->ln = l;
    }
    if (rc == 0)
        rc = lx->fn(lx->fnctx, L, (size_t)lx->page, lx->phase);
    lexp__lpage *p = &L->pages[lx->page];
    p->dropped += p->n;
    free(p->items);
    p->items = NULL;
    p->n = p->cap = 0;
    lexp__arena_release(&L->glyphs, lx->gmark);
    return rc;
}

int new_page(LX *lx)
{
    lexp__layout *L = lx->L;
    if (lx->fn && lx->page >= 0 && flush_page(lx))
        return -1;
    if (L->npages >= LEXP_PDF_MAX_PAGES) {
        const lexp_node *n = lx->cur;
        return lexp__error_set(lx->err, LEXP_ELIMIT, n ? n->src_file : NULL, n ? n->line : 0,
                               n ? n->col : 0, NULL,
                               "the PDF would have more than %u pages, the limit "
                               "(LEXP_PDF_MAX_PAGES): render a document this long as XLSX or "
                               "DOCX, which stream long tables",
                               LEXP_PDF_MAX_PAGES);
    }
    if (lexp__grow((void **)&L->pages, &L->cappages, L->npages + 1, sizeof *L->pages))
        return lexp__error_oom(lx->err);
    lexp__lpage *p = &L->pages[L->npages];
    memset(p, 0, sizeof *p);
    lx->page = (int)L->npages++;
    p->area_x = area_x(lx, lx->page);
    p->area_y = lx->st->margin_top;
    lx->y = 0;
    lx->fresh = 1;
    return 0;
}

int ensure_page(LX *lx) { return lx->page < 0 ? new_page(lx) : 0; }

lexp__litem *add_item(LX *lx, lexp__lkind kind)
{
    lexp__lpage *p = &lx->L->pages[lx->page];
    if (lexp__grow((void **)&p->items, &p->cap, p->n + 1, sizeof *p->items)) {
        lexp__error_oom(lx->err);
        return NULL;
    }
    lexp__litem *it = &p->items[p->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    lx->fresh = 0;
    return it;
}


int add_line(LX *lx, double x1, double y1, double x2, double y2, double w,
                    uint32_t color)
{
    lexp__litem *it = add_item(lx, LEXP_L_LINE);
    if (!it)
        return -1;
    it->x = x1;
    it->y = y1;
    it->u.line.x2 = x2;
    it->u.line.y2 = y2;
    it->u.line.width = w;
    it->u.line.color = color;
    return 0;
}

int add_rect(LX *lx, double x, double y, double w, double h, double lw, int stroke,
                    uint32_t scol, int fill, uint32_t fcol)
{
    lexp__litem *it = add_item(lx, LEXP_L_RECT);
    if (!it)
        return -1;
    it->x = x;
    it->y = y;
    it->u.rect.w = w;
    it->u.rect.h = h;
    it->u.rect.width = lw;
    it->u.rect.do_stroke = (uint8_t)stroke;
    it->u.rect.stroke = scol;
    it->u.rect.do_fill = (uint8_t)fill;
    it->u.rect.fill = fcol;
    return 0;
}

double track_for(const LX *lx, double size)
{
    return fabs(size - lx->st->body.size) < 0.01 ? lx->grid : 1.0;
}

/* Text of the body's size on a page with a character grid sits on it. */
static int on_grid(const LX *lx, double size)
{
    return lx->st->grid_chars > 0 && fabs(size - lx->st->body.size) < 0.01;
}

static tstyle tstyle_of(const lexp_textstyle *ts)
{
    tstyle s = {ts->role, (float)ts->size, ts->color, (uint8_t)ts->bold, 0};
    return s;
}

/* Add a node's runs (bold, colour, role per run) in a base style. */
int add_runs(LX *lx, text *t, const lexp_runs *r, const lexp_textstyle *ts, int bold)
{
    for (uint32_t i = 0; i < r->n; i++) {
        const lexp_run *run = &r->v[i];
        tstyle s = tstyle_of(ts);
        if (bold || (run->flags & LEXP_RUN_BOLD))
            s.bold = 1;
        if (run->flags & LEXP_RUN_ITALIC)
            s.italic = 1;
        if (run->flags & LEXP_RUN_COLOR)
            s.color = run->color;
        if (run->role >= 0 && run->role < LEXP_ROLE_COUNT)
            s.role = run->role;
        if (text_add(lx->F, t, run->text, run->len, &s, track_for(lx, s.size),
                     on_grid(lx, s.size), lx->err))
            return -1;
    }
    return 0;
}

int add_str(LX *lx, text *t, const char *s, const lexp_textstyle *ts)
{
    if (!s)
        return 0;
    tstyle st = tstyle_of(ts);
    return text_add(lx->F, t, s, strlen(s), &st, track_for(lx, st.size), on_grid(lx, st.size),
                    lx->err);
}

static float line_size(const text *t, const tline *l)
{
    float s = 0;
    for (size_t i = l->s; i < l->e; i++)
        if (t->st[t->c[i].st].size > s)
            s = t->st[t->c[i].st].size;
    if (s == 0 && t->nst)
        s = t->st[0].size;
    return s;
}

/* Baseline of a line whose box starts at `top` with pitch `pitch`. */
double baseline(double top, double pitch, double size)
{
    return top + (pitch - size) / 2 + EM_ASCENT * size;
}

/* —— is one unbroken line (GB/T 15834 §4.14): in fonts whose U+2014 stops
 * short of its em box (AR PL KaitiM GB and SungtiL GB: ink at 0.07–0.93 em)
 * the two dashes show a gap, so it is bridged with a bar of the dash's own
 * thickness. The glyphs stay, for the text layer. */
static int bridge_dashes(LX *lx, const text *t, const tline *l, size_t i, size_t j, double x,
                         double base)
{
    for (size_t k = i; k + 1 < j; k++) {
        const tch *a = &t->c[k], *b = &t->c[k + 1];
        if (a->cp != 0x2014 || b->cp != 0x2014)
            continue;
        float ia[4], ib[4];
        if (!lexp__fonts_ink(lx->F, a->g.slot, a->g.gid, ia) ||
            !lexp__fonts_ink(lx->F, b->g.slot, b->g.gid, ib))
            continue;
        const tstyle *s = &t->st[a->st];
        double size = s->size;
        double x0 = x + l->indent + a->x + ia[1] * size;
        double x1 = x + l->indent + b->x + ib[0] * size;
        if (x1 - x0 < 0.01 * size)
            continue;
        double grow = s->bold ? 0.015 * size : 0; /* half the stroke of the faked bold */
        double top = base - ia[3] * size - grow, h = (ia[3] - ia[2]) * size + 2 * grow;
        if (add_rect(lx, x0 - 0.01 * size, top, x1 - x0 + 0.02 * size, h, 0, 0, 0, 1,
                     s->color))
            return -1;
    }
    return 0;
}

/* Emit one line's glyphs: one item per run of face and style. Characters
 * no font has become hollow boxes. `x` is the page x of the box's left
 * edge, `base` the page y of the baseline. */
int emit_line(LX *lx, const text *t, const tline *l, double x, double base)
{
    size_t i = l->s;
    while (i < l->e) {
        const tch *c = &t->c[i];
        if (c->fl & (F_SPACE | F_NL)) {
            i++;
            continue;
        }
        const tstyle *s = &t->st[c->st];
        if (c->g.slot < 0) {
            /* no font has it: a hollow box, with the character as invisible
             * text of the role's first font so it can still be found */
            double em = s->size;
            double bw = c->adv * 0.8, bh = em * 0.8;
            if (add_rect(lx, x + l->indent + c->x + c->adv * 0.1, base - em * 0.78, bw, bh,
                         em * 0.05, 1, s->color, 0, 0))
                return -1;
            int slot = lexp__fonts_primary(lx->F, s->role, lx->err);
            lexp__litem *it = slot < 0 ? NULL : add_item(lx, LEXP_L_TEXT);
            if (!it)
                return -1;
            it->x = x + l->indent + c->x;
            it->y = base;
            it->u.text.slot = slot;
            it->u.text.size = s->size;
            it->u.text.color = s->color;
            it->u.text.invisible = 1;
            it->u.text.n = 1;
            it->u.text.g = lexp__arena_zalloc(&lx->L->glyphs, sizeof(lexp__lglyph));
            if (!it->u.text.g)
                return lexp__error_oom(lx->err);
            it->u.text.g[0].cp = c->cp;
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < l->e && !(t->c[j].fl & (F_SPACE | F_NL)) && t->c[j].st == c->st &&
               t->c[j].g.slot == c->g.slot)
            j++;
        lexp__litem *it = add_item(lx, LEXP_L_TEXT);
        if (!it)
            return -1;
        it->x = x + l->indent + c->x;
        it->y = base;
        it->u.text.slot = c->g.slot;
        it->u.text.size = s->size;
        it->u.text.color = s->color;
        it->u.text.bold = s->bold;
        it->u.text.italic = s->italic;
        it->u.text.n = (uint32_t)(j - i);
        it->u.text.g = lexp__arena_alloc(&lx->L->glyphs, (j - i) * sizeof(lexp__lglyph));
        if (!it->u.text.g)
            return lexp__error_oom(lx->err);
        for (size_t k = i; k < j; k++) {
            it->u.text.g[k - i].gid = t->c[k].g.gid;
            it->u.text.g[k - i].cp = t->c[k].cp;
            it->u.text.g[k - i].x = t->c[k].x - c->x;
            it->u.text.g[k - i].half = t->c[k].half_adj || t->c[k].half_ln;
        }
        if (bridge_dashes(lx, t, l, i, j, x, base))
            return -1;
        i = j;
    }
    return 0;
}

/* Break t into lines in a box `w` wide with a first-line indent, and
 * justify them. `hang` indents the lines after the first. */
int set_text(LX *lx, text *t, double w, double indent, double hang, lexp_align align)
{
    text_finish(t);
    if (break_lines(t, w - indent, w - hang, &lx->ln) ||
        tighten(t, w - indent, w - hang, &lx->ln))
        return lexp__error_oom(lx->err);
    for (size_t i = 0; i < lx->ln.n; i++) {
        tline *l = &lx->ln.v[i];
        double in = i == 0 ? indent : hang;
        l->indent = (float)in;
        justify(t, l, w - in, align);
    }
    return 0;
}

/* Place lines of `pitch` in a box at area-relative x `bx`. Lines that do
 * not fit go to the next page; a paragraph leaves neither its first line
 * alone at a page's foot nor its last alone at the top of the next. */
int place_lines(LX *lx, const text *t, const lines *L, double bx, double pitch,
                       int widow_control)
{
    size_t i = 0, n = L->n;
    while (i < n) {
        if (ensure_page(lx))
            return -1;
        double room = lx->ah - lx->y + EPS;
        size_t fit = room > 0 ? (size_t)floor(room / pitch) : 0;
        size_t left = n - i;
        if (fit < left && widow_control && left >= 2) {
            if (fit == 1 && !lx->fresh)
                fit = 0; /* orphan: move the paragraph's first line on */
            else if (left - fit == 1 && fit >= 2)
                fit--; /* widow: take one more line along */
        }
        if (fit == 0) {
            if (lx->fresh)
                fit = 1; /* taller than a page: place anyway */
            else {
                if (new_page(lx))
                    return -1;
                continue;
            }
        }
        size_t end = i + (fit < left ? fit : left);
        /* a keep rule's page break (layout_keep.c) */
        size_t cut = keep_cut(lx, i, end);
        if (cut == i && !lx->fresh) {
            if (new_page(lx))
                return -1;
            continue;
        }
        if (cut == i)
            cut = keep_cut(lx, i + 1, end);
        end = cut;
        for (; i < end; i++) {
            const tline *l = &L->v[i];
            double base = baseline(ay(lx) + lx->y, pitch, line_size(t, l));
            if (emit_line(lx, t, l, ax(lx) + bx, base) || keep_log(lx, i))
                return -1;
            lx->y += pitch;
        }
        if (i < n && new_page(lx))
            return -1;
    }
    return 0;
}

void space_before(LX *lx, double s)
{
    if (lx->page >= 0 && !lx->fresh)
        lx->y += s;
}

/* With a line grid (GB/T 9704: 22 lines), text set at the grid's pitch
 * starts on a grid line, as Word's document grid does: a title, table or
 * picture before it does not shift the lines that follow. */
void snap_to_grid(LX *lx, double pitch)
{
    const lexp_style *st = lx->st;
    if (st->grid_lines <= 0 || lx->page < 0 || fabs(pitch - st->body.line_pitch) > 0.01)
        return;
    double k = ceil((lx->y - EPS) / pitch);
    if (k * pitch > lx->y)
        lx->y = k * pitch;
}

/* ---- blocks ------------------------------------------------------------------------ */


/* ---- images --------------------------------------------------------------------- */

/* What to open for an image node: the path as written, inside the data
 * folder; or, in a tree built without one, the path itself. */
static const char *image_file(const lexp_node *n)
{
    if (n->u.image.base)
        return n->u.image.path;
    return n->u.image.resolved ? n->u.image.resolved : n->u.image.path;
}

/* Pixel size of a PNG or JPEG file from its header, read and checked by
 * the image module (path, limits); 0 and the reason (in the layout's
 * arena) if it is refused. The PDF renderer decodes it in full later. */
static int image_size(const LX *lx, const lexp_node *n, int *w, int *h, const char **why)
{
    char reason[sizeof ((lexp__image *)0)->why + 64];
    char *data = NULL;
    size_t len = 0;
    int ok = 0;
    if (lexp__image_read(n->u.image.base, image_file(n), &data, &len, reason, sizeof reason) == 0) {
        lexp__image im;
        ok = lexp__image_decode((const unsigned char *)data, len, LEXP_IMG_HEADER, &im) == 0;
        if (ok) {
            *w = (int)im.w;
            *h = (int)im.h;
        } else {
            snprintf(reason, sizeof reason, "%s", im.why);
        }
        lexp__image_free(&im);
        free(data);
    }
    if (!ok)
        *why = lexp__arena_strdup(&lx->L->arena, reason);
    return ok;
}

/* The size an image is drawn at: its width fraction of the type area, or
 * its pixels at 96 dpi; a missing image gets a 5:3 box. */
static int image_box(const LX *lx, const lexp_node *n, double *w, double *h, const char **why)
{
    int pw = 0, ph = 0;
    int ok = image_size(lx, n, &pw, &ph, why);
    if (n->u.image.width > 0)
        *w = lx->aw * (n->u.image.width > 1 ? 1 : n->u.image.width);
    else
        *w = ok ? pw * 0.75 : lx->aw * 0.5;
    if (*w > lx->aw)
        *w = lx->aw;
    *h = ok ? *w * ph / pw : *w * 0.6;
    return ok;
}

static int block_image(LX *lx, const lexp_node *n)
{
    const char *why = NULL;
    double w, h;
    int ok = image_box(lx, n, &w, &h, &why);
    if (!ok)
        lexp__warn(lx->opt, n->u.image.path, "image left out (%s): a placeholder box is drawn",
                   why ? why : "no path");
    const lexp_textstyle *cs = &lx->st->caption;
    text *t = &lx->tx;
    t->n = t->nst = 0;
    if (n->u.image.caption && add_str(lx, t, n->u.image.caption, cs))
        return -1;
    if (t->n && set_text(lx, t, lx->aw, 0, 0, LEXP_ALIGN_CENTER))
        return -1;
    double cap_h = t->n ? (double)lx->ln.n * cs->line_pitch + cs->space_before : 0;
    double body_pitch = lx->st->body.line_pitch;
    if (ensure_page(lx))
        return -1;
    double gap = body_pitch * 0.25;
    if (h + cap_h + 2 * gap > lx->ah) {
        double k = (lx->ah - cap_h - 2 * gap) / h;
        h *= k;
        w *= k;
    }
    if (lx->y + h + cap_h + 2 * gap > lx->ah + EPS && !lx->fresh && new_page(lx))
        return -1;
    lx->y += lx->fresh ? 0 : gap;
    double x = ax(lx) + (lx->aw - w) / 2, y = ay(lx) + lx->y;
    if (ok) {
        lexp__litem *it = add_item(lx, LEXP_L_IMAGE);
        if (!it)
            return -1;
        it->x = x;
        it->y = y;
        it->u.image.w = w;
        it->u.image.h = h;
        it->u.image.path = lexp__arena_strdup(&lx->L->arena, image_file(n));
        it->u.image.base =
            n->u.image.base ? lexp__arena_strdup(&lx->L->arena, n->u.image.base) : NULL;
        if (!it->u.image.path || (n->u.image.base && !it->u.image.base))
            return lexp__error_oom(lx->err);
    } else {
        /* a box with its diagonals, so a missing photo is obvious */
        if (add_rect(lx, x, y, w, h, 0.75, 1, 0x808080, 0, 0) ||
            add_line(lx, x, y, x + w, y + h, 0.5, 0x808080) ||
            add_line(lx, x, y + h, x + w, y, 0.5, 0x808080))
            return -1;
    }
    lx->y += h + cs->space_before;
    if (t->n && place_lines(lx, t, &lx->ln, 0, cs->line_pitch, 0))
        return -1;
    lx->y += gap;
    return 0;
}

/* ---- charts ---------------------------------------------------------------------- */

#define palette lexp__chart_palette /* shared with DOCX and XLSX (doc/style.c) */
#define BAR_COLOR (lexp__chart_palette[0])
#define BAR_ROW 1.5 /* a bar's row, in lines of label text */

static int chart_text(LX *lx, const char *s, const lexp_textstyle *ts, double bx, double w,
                      double top, lexp_align align)
{
    text *t = &lx->tx;
    t->n = t->nst = 0;
    if (add_str(lx, t, s, ts))
        return -1;
    if (t->n == 0)
        return 0;
    if (set_text(lx, t, w, 0, 0, align))
        return -1;
    for (size_t i = 0; i < lx->ln.n; i++) {
        double base = baseline(ay(lx) + top + (double)i * ts->line_pitch, ts->line_pitch,
                               ts->size);
        if (emit_line(lx, t, &lx->ln.v[i], ax(lx) + bx, base))
            return -1;
    }
    return 0;
}

static void fmt_value(char *buf, size_t n, double v)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    lexp__fmt_number(&b, v);
    snprintf(buf, n, "%s", lexp__sbuf_cstr(&b));
    lexp__sbuf_free(&b);
}

/* A chart's plot height and pie radius, and its whole height. */
static double chart_size(const LX *lx, const lexp_node *n, double *plot_h, double *r)
{
    const lexp_textstyle *cs = &lx->st->caption, *ls = &lx->st->table;
    double title_h = n->u.chart.title ? cs->line_pitch + cs->space_before : 0;
    int pie = n->u.chart.kind == LEXP_CHART_PIE;
    *r = 0;
    if (pie) {
        *r = fmin(lx->aw * 0.22, 80);
        *plot_h = fmax(2 * *r, (double)n->u.chart.n * ls->line_pitch) + 12;
    } else {
        *plot_h = (double)n->u.chart.n * ls->line_pitch * BAR_ROW + 12;
    }
    return title_h + *plot_h + lx->st->body.line_pitch * 0.5;
}

static int block_chart(LX *lx, const lexp_node *n)
{
    const lexp_textstyle *cs = &lx->st->caption;
    lexp_textstyle ls = lx->st->table; /* labels */
    int np = n->u.chart.n;
    double body_pitch = lx->st->body.line_pitch;
    double plot_h, r;
    int pie = n->u.chart.kind == LEXP_CHART_PIE;
    double total = chart_size(lx, n, &plot_h, &r);
    if (ensure_page(lx))
        return -1;
    if (lx->y + total > lx->ah + EPS && !lx->fresh && new_page(lx))
        return -1;
    lx->y += lx->fresh ? 0 : body_pitch * 0.25;
    if (n->u.chart.title) {
        lx->y += cs->space_before;
        if (chart_text(lx, n->u.chart.title, cs, 0, lx->aw, lx->y, LEXP_ALIGN_CENTER))
            return -1;
        lx->y += cs->line_pitch;
    }
    double top = lx->y;
    double X = ax(lx), Y = ay(lx);
    double vmax = 0, sum = 0;
    for (int i = 0; i < np; i++) {
        double v = n->u.chart.values[i];
        if (v > vmax)
            vmax = v;
        if (v > 0)
            sum += v;
    }
    char num[64];
    if (!pie) {
        /* horizontal bars: a row per category with its label and value
         * side by side before the bar, so each row reads "label value" as
         * the text does (and as text extraction finds it) */
        double pitch = ls.line_pitch * BAR_ROW;
        double labw = 0, valw = 0;
        int rc = 0;
        for (int i = 0; i < np && rc == 0; i++) {
            labw = fmax(labw, text_width(lx, n->u.chart.labels[i] ? n->u.chart.labels[i] : "",
                                         &ls, &rc));
            fmt_value(num, sizeof num, n->u.chart.values[i]);
            if (rc == 0)
                valw = fmax(valw, text_width(lx, num, &ls, &rc));
        }
        if (rc)
            return -1;
        double left = lx->aw * 0.06;
        labw = fmin(labw, lx->aw * 0.3);
        double valx = left + labw + ls.size * 0.5;
        double axis = valx + valw + ls.size * 0.6;
        double plot_w = lx->aw - axis - left;
        for (int i = 0; i < np; i++) {
            double v = n->u.chart.values[i];
            double row = top + 6 + (double)i * pitch;
            double bl = vmax > 0 && v > 0 ? plot_w * v / vmax : 0;
            double bh = pitch * 0.62;
            if (bl > 0 && add_rect(lx, X + axis, Y + row + (pitch - bh) / 2, bl, bh, 0, 0, 0, 1,
                                   BAR_COLOR))
                return -1;
            const char *lab = n->u.chart.labels[i] ? n->u.chart.labels[i] : "";
            if (chart_text(lx, lab, &ls, left, labw, row + (pitch - ls.line_pitch) / 2,
                           LEXP_ALIGN_RIGHT))
                return -1;
            fmt_value(num, sizeof num, v);
            if (chart_text(lx, num, &ls, valx, valw + 1, row + (pitch - ls.line_pitch) / 2,
                           LEXP_ALIGN_LEFT))
                return -1;
        }
        if (add_line(lx, X + axis, Y + top + 2, X + axis, Y + top + 10 + np * pitch, 0.75,
                     0x404040))
            return -1;
        lx->y = top + plot_h;
    } else {
        double cx = lx->aw * 0.08 + r, cy = top + plot_h / 2;
        double a = 0;
        for (int i = 0; i < np && sum > 0; i++) {
            double v = n->u.chart.values[i];
            if (v <= 0)
                continue;
            double da = 360.0 * v / sum;
            lexp__litem *it = add_item(lx, LEXP_L_WEDGE);
            if (!it)
                return -1;
            it->x = X + cx;
            it->y = Y + cy;
            it->u.wedge.r = r;
            it->u.wedge.a0 = a;
            it->u.wedge.a1 = a + da;
            it->u.wedge.fill = palette[i % (sizeof palette / sizeof *palette)];
            it->u.wedge.stroke = 0xFFFFFF;
            a += da;
        }
        if (sum <= 0) {
            /* nothing to divide: an empty circle */
            lexp__litem *it = add_item(lx, LEXP_L_WEDGE);
            if (!it)
                return -1;
            it->x = X + cx;
            it->y = Y + cy;
            it->u.wedge.r = r;
            it->u.wedge.a0 = 0;
            it->u.wedge.a1 = 360;
            it->u.wedge.fill = 0xFFFFFF;
            it->u.wedge.stroke = 0x808080;
        }
        double lx0 = cx + r + lx->aw * 0.08;
        double ly = cy - (double)np * ls.line_pitch / 2;
        for (int i = 0; i < np; i++) {
            double sq = ls.size * 0.8;
            double rowy = ly + (double)i * ls.line_pitch;
            if (add_rect(lx, X + lx0, Y + rowy + (ls.line_pitch - sq) / 2, sq, sq, 0, 0, 0, 1,
                         palette[i % (sizeof palette / sizeof *palette)]))
                return -1;
            char buf[512];
            fmt_value(num, sizeof num, n->u.chart.values[i]);
            snprintf(buf, sizeof buf, "%s %s", n->u.chart.labels[i] ? n->u.chart.labels[i] : "",
                     num);
            if (chart_text(lx, buf, &ls, lx0 + sq * 1.6, lx->aw - lx0 - sq * 1.6, rowy,
                           LEXP_ALIGN_LEFT))
                return -1;
        }
        lx->y = top + plot_h;
    }
    lx->y += body_pitch * 0.25;
    return 0;
}

/* How much of the block after a heading must fit below it. */
double next_min(LX *lx, const lexp_node *n)
{
    const lexp_style *st = lx->st;
    if (!n)
        return 0;
    double pad = 2 * CELL_PAD_Y * st->table.size;
    switch (n->type) {
    case LEXP_N_PARAGRAPH: return 2 * st->body.line_pitch;
    case LEXP_N_LIST: return 2 * st->list.line_pitch;
    case LEXP_N_HEADING: {
        int lv = n->u.heading.level < 1 ? 1 : n->u.heading.level > 4 ? 4 : n->u.heading.level;
        return st->heading[lv - 1].line_pitch + 2 * st->body.line_pitch;
    }
    case LEXP_N_TABLE:
        /* caption, header row and a first row */
        return (n->u.table.caption ? st->caption.line_pitch + st->caption.space_before : 0) +
               2 * (st->table_header.line_pitch + pad) + st->body.line_pitch * 0.25;
    case LEXP_N_IMAGE: {
        double w, h;
        const char *why;
        image_box(lx, n, &w, &h, &why);
        return h + (n->u.image.caption ? st->caption.line_pitch : 0) +
               st->body.line_pitch * 0.5;
    }
    case LEXP_N_CHART: {
        double ph, r;
        return chart_size(lx, n, &ph, &r);
    }
    default: return st->body.line_pitch;
    }
}


/* ---- the document ------------------------------------------------------------------- */

static int block_kind(LX *lx, const lexp_node *n)
{
    const lexp_style *st = lx->st;
    switch (n->type) {
    case LEXP_N_TITLE: return block_title(lx, n);
    case LEXP_N_HEADING: return block_heading(lx, n);
    case LEXP_N_PARAGRAPH: {
        lexp_align a = resolve_align(n->u.para.align, resolve_align(st->body.align,
                                                                     LEXP_ALIGN_JUSTIFY));
        double indent = n->u.para.indent;
        if (a == LEXP_ALIGN_CENTER || a == LEXP_ALIGN_RIGHT)
            indent = 0;
        return block_para(lx, n, &st->body, NULL, indent, a);
    }
    case LEXP_N_LIST: return block_list(lx, n);
    case LEXP_N_TABLE: return block_table(lx, n);
    case LEXP_N_IMAGE: return block_image(lx, n);
    case LEXP_N_CHART: return block_chart(lx, n);
    case LEXP_N_PAGEBREAK:
        if (lx->page >= 0 && !lx->fresh)
            return new_page(lx);
        return 0;
    case LEXP_N_RULE: return block_rule(lx);
    case LEXP_N_MASTHEAD: return block_masthead(lx, n);
    case LEXP_N_SIGNATURE: return block_signature(lx, n);
    case LEXP_N_DISTRIBUTION: return block_distribution(lx, n);
    default: return 0;
    }
}

static int block(LX *lx, const lexp_node *n)
{
    lx->cur = n;
    int p0 = lx->page;
    size_t n0 = p0 >= 0 ? lx->L->pages[p0].n + lx->L->pages[p0].dropped : 0;
    int rc = block_kind(lx, n);
    if (rc)
        return rc;
    /* a table, picture or chart: a unit for the keep rules where it starts
     * and one where it ends */
    if (n->type == LEXP_N_TABLE || n->type == LEXP_N_IMAGE || n->type == LEXP_N_CHART) {
        lx->cur = n;
        int start = p0 >= 0 && lx->L->pages[p0].n + lx->L->pages[p0].dropped > n0 ? p0 : p0 + 1,
            end = lx->page;
        if (start >= 0 && start < end) {
            lx->page = start;
            rc = keep_log(lx, 0);
            lx->page = end;
        }
        return rc ? rc : keep_log(lx, UINT32_MAX);
    }
    return 0;
}

void lexp__layout_free(lexp__layout *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->npages; i++)
        free(l->pages[i].items);
    free(l->pages);
    free(l->outline);
    lexp__arena_free(&l->arena);
    lexp__arena_free(&l->glyphs);
    free(l);
}

static void lx_init(LX *lx, lexp__layout *L, const lexp_doc *doc, lexp__fonts *F,
                    const lexp_render_options *opt, lexp_error *err)
{
    memset(lx, 0, sizeof *lx);
    lx->L = L;
    lx->doc = doc;
    lx->st = L->style;
    lx->F = F;
    lx->opt = opt;
    lx->err = err;
    lx->aw = lexp__style_text_width(lx->st);
    lx->ah = lexp__style_text_height(lx->st);
    lx->page = -1;
    lx->grid = 1.0;
    if (lx->st->grid_chars > 0 && lx->st->body.size > 0)
        lx->grid = lx->aw / lx->st->grid_chars / lx->st->body.size;
}

/* One layout: passes until the keep rules hold (see lexp__layout_doc and
 * lexp__layout_stream). */
static int layout_run(lexp__layout **out, const lexp_doc *doc, lexp__fonts *fonts,
                      const lexp_render_options *opt, lexp__page_fn fn, void *ctx,
                      lexp_error *err)
{
    *out = NULL;
    lexp_error own; /* the caller's may be NULL: the code is still needed */
    if (!err) {
        lexp_error_clear(&own);
        err = &own;
    }
    lkeep keep;
    memset(&keep, 0, sizeof keep);
    lexp__layout *L = NULL;
    int rc = 0, settled = 0;
    /* lay out, check the keep rules, lay out again with their page breaks;
     * each pass adds breaks, so a few passes settle any document (and a
     * streamed one is laid out once more, settled, to be drawn) */
    for (int pass = 0; pass < KEEP_PASSES + (fn != NULL) && rc == 0; pass++) {
        lexp__layout_free(L);
        L = calloc(1, sizeof *L);
        if (!L) {
            rc = lexp__error_oom(err);
            break;
        }
        lexp__arena_init(&L->arena);
        lexp__arena_init(&L->glyphs);
        L->style = lexp__style_for(doc->preset);
        L->page_w = L->style->page_w;
        L->page_h = L->style->page_h;
        LX lx;
        lx_init(&lx, L, doc, fonts, opt, err);
        lx.keep = &keep;
        lx.fn = fn;
        lx.fnctx = ctx;
        lx.phase = settled ? LEXP_LP_DRAW : LEXP_LP_COLLECT;
        /* keep the arena's first chunk from page to page */
        if (!lexp__arena_alloc(&L->glyphs, 8))
            rc = lexp__error_oom(err);
        lx.gmark = lexp__arena_mark_get(&L->glyphs);
        keep.nlog = 0;
        if (rc == 0 && fn && !settled)
            rc = fn(ctx, L, 0, LEXP_LP_PASS);
        for (const lexp_node *n = doc->root->first; n && rc == 0; n = n->next)
            if (lexp__node_shown(n, LEXP_FORMAT_PDF))
                rc = block(&lx, n);
        if (rc == 0)
            rc = ensure_page(&lx);
        if (rc == 0 && fn)
            rc = flush_page(&lx);
        int added = 0;
        if (rc == 0 && !settled && pass + 1 < KEEP_PASSES) {
            added = keep_check(&keep);
            if (added < 0)
                rc = lexp__error_oom(err);
        }
        if (rc == 0 && added == 0 && !settled && !fn)
            rc = page_numbers(&lx);
        if (rc == 0 && added == 0 && !settled && fn) {
            /* streaming: the numbers are the last of this pass's pages, each
             * handed over before the next is set (flushing frees the glyphs) */
            for (size_t p = 0; rc == 0 && p < L->npages; p++) {
                lx.page = (int)p;
                rc = page_number(&lx);
                if (rc == 0 && L->pages[p].n)
                    rc = flush_page(&lx);
            }
        }
        text_free(&lx.tx);
        free(lx.ln.v);
        text_free(&lx.ntx);
        free(lx.nln.v);
        if (added == 0) {
            if (settled || !fn)
                break;
            settled = 1;
        }
    }
    free(keep.log);
    free(keep.hints);
    if (rc) {
        if (!lexp__error_is_set(err))
            lexp__error_oom(err);
        lexp__layout_free(L);
        return err->code; /* what was set, not the -1 of a step that passed it on */
    }
    *out = L;
    return 0;
}

int lexp__layout_doc(lexp__layout **out, const lexp_doc *doc, lexp__fonts *fonts,
                     const lexp_render_options *opt, lexp_error *err)
{
    return layout_run(out, doc, fonts, opt, NULL, NULL, err);
}

int lexp__layout_stream(lexp__layout **out, const lexp_doc *doc, lexp__fonts *fonts,
                        const lexp_render_options *opt, lexp__page_fn fn, void *ctx,
                        lexp_error *err)
{
    return layout_run(out, doc, fonts, opt, fn, ctx, err);
}

int lexp__layout_break_text(lexp__fonts *fonts, const char *s, int role, double size,
                            double width, double indent, int justify_, char **out_lines,
                            double *widths, int max, lexp_error *err)
{
    text t = {0};
    lines L = {0};
    tstyle st = {role, (float)size, 0, 0, 0};
    int n = -1;
    if (text_add(fonts, &t, s, strlen(s), &st, 1.0, 0, err))
        goto done;
    text_finish(&t);
    if (break_lines(&t, width - indent, width, &L) || tighten(&t, width - indent, width, &L)) {
        lexp__error_oom(err);
        goto done;
    }
    for (size_t i = 0; i < L.n; i++) {
        tline *l = &L.v[i];
        double in = i == 0 ? indent : 0;
        justify(&t, l, width - in, justify_ ? LEXP_ALIGN_JUSTIFY : LEXP_ALIGN_LEFT);
        if ((int)i < max) {
            lexp__sbuf b = LEXP__SBUF_INIT;
            for (size_t k = l->s; k < l->e; k++) {
                char u[4];
                lexp__sbuf_put(&b, u, lexp__utf8_encode(t.c[k].cp, u));
            }
            out_lines[i] = strdup(lexp__sbuf_cstr(&b));
            lexp__sbuf_free(&b);
            /* where the last glyph's advance ends */
            size_t e = trim_spaces(&t, l->s, l->e);
            const tch *c = e > l->s ? &t.c[e - 1] : NULL;
            widths[i] = in + (c ? c->x - c->dx + c->adv - (c->half_ln ? c->shrink : 0) : 0);
        }
    }
    n = (int)L.n;
done:
    text_free(&t);
    free(L.v);
    return n;
}

int lexp__layout_place_text(lexp__fonts *fonts, const char *s, int role, double size,
                            double width, lexp__lplaced **out, lexp_error *err)
{
    text t = {0};
    lines L = {0};
    tstyle st = {role, (float)size, 0, 0, 0};
    int n = -1;
    *out = NULL;
    if (text_add(fonts, &t, s, strlen(s), &st, 1.0, 0, err))
        goto done;
    text_finish(&t);
    if (break_lines(&t, width, width, &L)) {
        lexp__error_oom(err);
        goto done;
    }
    lexp__lplaced *v = calloc(t.n ? t.n : 1, sizeof *v);
    if (!v) {
        lexp__error_oom(err);
        goto done;
    }
    for (size_t i = 0; i < L.n; i++) {
        tline *l = &L.v[i];
        justify(&t, l, width, LEXP_ALIGN_JUSTIFY);
        for (size_t k = l->s; k < l->e; k++) {
            const tch *c = &t.c[k];
            v[k].cp = c->cp;
            v[k].line = (int)i;
            v[k].x = c->x;
            v[k].pen = c->x - c->dx;
            v[k].adv = c->adv - (c->half_ln ? c->shrink : 0);
            v[k].half = c->half_adj || c->half_ln;
            v[k].g = c->g;
        }
    }
    *out = v;
    n = (int)t.n;
done:
    text_free(&t);
    free(L.v);
    return n;
}
