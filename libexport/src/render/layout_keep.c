/*
 * Keep rules of the layout engine (GB/T 9704 §7.3.5, clreq orphans and
 * widows), checked on a finished pass and mended by laying the document
 * out again with page breaks moved earlier:
 *  - the signature (落款) shares its page with at least two lines of text
 *    ("此页无正文" is never needed): the last lines before it move along;
 *  - a heading keeps at least two lines of what follows on its page (all
 *    of it when shorter), else it moves to the next page.
 *  - no last line of one or two characters and punctuation where tighter
 *    lines above can take them (tighten).
 * Single lines at a page's top or foot are avoided while placing a
 * paragraph (place_lines); these rules need what comes after a block.
 * Every hint moves a break earlier and is added once, so the passes end.
 */
#include "layout_int.h"

#include <stdlib.h>
#include <string.h>

static lunit_kind kind_of(const lexp_node *n)
{
    if (!n)
        return U_OTHER;
    switch (n->type) {
    case LEXP_N_PARAGRAPH:
    case LEXP_N_ITEM: return U_BODY;
    case LEXP_N_HEADING: return U_HEAD;
    case LEXP_N_TITLE: return U_TITLE;
    case LEXP_N_SIGNATURE: return U_SIGN;
    case LEXP_N_DISTRIBUTION: return U_DIST;
    default: return U_OTHER;
    }
}

int keep_log(LX *lx, size_t line)
{
    lkeep *k = lx->keep;
    if (!k || lx->page < 0)
        return 0;
    if (lexp__grow((void **)&k->log, &k->caplog, k->nlog + 1, sizeof *k->log))
        return lexp__error_oom(lx->err);
    lunit *u = &k->log[k->nlog++];
    u->node = lx->cur;
    u->line = (uint32_t)line;
    u->page = lx->page;
    u->kind = (uint8_t)kind_of(lx->cur);
    return 0;
}

size_t keep_cut(const LX *lx, size_t from, size_t to)
{
    const lkeep *k = lx->keep;
    if (!k || !lx->cur)
        return to;
    size_t best = to;
    for (size_t i = 0; i < k->nhints; i++)
        if (k->hints[i].node == lx->cur && k->hints[i].line >= from && k->hints[i].line < best)
            best = k->hints[i].line;
    return best;
}

/* Add a hint unless it is there already; 1 when added. */
static int hint(lkeep *k, const lexp_node *n, uint32_t line)
{
    for (size_t i = 0; i < k->nhints; i++)
        if (k->hints[i].node == n && k->hints[i].line == line)
            return 0;
    if (lexp__grow((void **)&k->hints, &k->caphints, k->nhints + 1, sizeof *k->hints))
        return -1;
    k->hints[k->nhints].node = n;
    k->hints[k->nhints].line = line;
    k->nhints++;
    return 1;
}

static int is_text(uint8_t kind) { return kind == U_BODY || kind == U_HEAD || kind == U_TITLE; }

/* The signature at log index s has fewer than two lines above it on its
 * page: break before the second-last line of text above it (its
 * paragraph's first line when only that would stay behind, the heading
 * above when that would be left at the foot). */
static int mend_signature(lkeep *k, size_t s)
{
    const lunit *u = k->log;
    int page = u[s].page;
    size_t i = s, have = 0;
    while (i > 0 && have < 2) {
        i--;
        if (u[i].kind == U_OTHER && u[i].page == page)
            return 0; /* a table or picture shares the page: enough */
        if (!is_text(u[i].kind))
            return 0;
        have++;
    }
    if (have < 2 || u[i].page == page)
        return 0; /* nothing to bring, or already enough */
    /* never leave a paragraph's first line alone behind */
    if (u[i].line == 1 && i > 0 && u[i - 1].node == u[i].node)
        i--;
    /* nor a heading at the foot of the page before */
    while (i > 0 && u[i - 1].kind == U_HEAD && u[i - 1].page == u[i].page &&
           u[i - 1].node != u[i].node)
        for (i--; i > 0 && u[i - 1].node == u[i].node;)
            i--;
    if (u[i].line != 0 && u[i].kind == U_HEAD)
        return 0;
    return hint(k, u[i].node, u[i].line);
}

/* The heading whose last line is at log index h: what follows (up to the
 * next heading, title or signature) must start on its page with at least
 * two lines (all when fewer). */
static int mend_heading(lkeep *k, size_t h)
{
    const lunit *u = k->log;
    int page = u[h].page;
    size_t first = h;
    while (first > 0 && u[first - 1].node == u[h].node)
        first--;
    if (first == 0 || u[first - 1].page != u[first].page)
        return 0; /* already at the top of a page: moving cannot help */
    size_t same = 0, total = 0, next = h + 1;
    if (next >= k->nlog || u[next].kind == U_DIST || u[next].kind == U_TITLE)
        return 0;
    int bad = u[next].page != page;
    if (u[next].kind == U_OTHER)
        return bad ? hint(k, u[first].node, u[first].line) : 0; /* it starts here */
    for (size_t j = next; j < k->nlog && total < 2; j++) {
        if (u[j].kind != U_BODY && u[j].kind != U_OTHER)
            break;
        total++;
        same += u[j].page == page;
    }
    if (!bad && same >= total)
        return 0;
    return hint(k, u[first].node, u[first].line);
}

int keep_check(lkeep *k)
{
    int added = 0;
    for (size_t i = 0; i < k->nlog; i++) {
        const lunit *u = &k->log[i];
        int r = 0;
        if (u->kind == U_SIGN && u->line == 0 && (i == 0 || k->log[i - 1].kind != U_SIGN)) {
            size_t have = 0;
            for (size_t j = i; j-- > 0 && k->log[j].page == u->page;)
                have += k->log[j].kind == U_OTHER ? 2 : is_text(k->log[j].kind);
            if (have < 2)
                r = mend_signature(k, i);
        } else if (u->kind == U_HEAD && (i + 1 >= k->nlog || k->log[i + 1].node != u->node)) {
            r = mend_heading(k, i);
        }
        if (r < 0)
            return -1;
        added += r;
    }
    return added;
}

/* The last line of L holds one or two characters (and punctuation). */
static int short_last(const text *t, const lines *L)
{
    if (L->n < 2 || L->v[L->n - 2].forced)
        return 0;
    const tline *b = &L->v[L->n - 1];
    size_t content = 0;
    for (size_t k = b->s; k < b->e; k++)
        if (!(t->c[k].fl & (F_SPACE | F_NL | F_CLOSE)))
            content++;
    return content >= 1 && content <= 2;
}

/* Every line fits its width once squeezed as far as justify may. */
static int fits_squeezed(const text *t, const lines *L, double w_first, double w_rest)
{
    for (size_t i = 0; i < L->n; i++) {
        const tline *l = &L->v[i];
        double w = i == 0 ? w_first : w_rest;
        if (natural(t, l->s, l->e) - end_trim(t, l->s, l->e) - squeeze(t, l->s, l->e) >
            w + EPS)
            return 0;
    }
    return 1;
}

int tighten(const text *t, double w_first, double w_rest, lines *L)
{
    if (!short_last(t, L))
        return 0;
    const tch *c = &t->c[L->v[L->n - 1].s];
    double step = c->em * 0.25;
    lines tr = {0};
    int rc = 0;
    /* widen every line a little at a time: the first break that leaves no
     * short last line and that squeezing can still set wins */
    for (int k = 1; k <= 12; k++) {
        if (break_lines(t, w_first + step * k, w_rest + step * k, &tr)) {
            rc = -1;
            break;
        }
        if (tr.n > L->n || !fits_squeezed(t, &tr, w_first, w_rest))
            break;
        if (!short_last(t, &tr)) {
            lines tmp = *L;
            *L = tr;
            tr = tmp;
            break;
        }
    }
    free(tr.v);
    return rc;
}
