/*
 * The finished tree holds only text every format can carry (util/clean.c
 * has the rule): one pass over every string, after evaluation, so the PDF,
 * DOCX, XLSX and text views show the same characters. Strings are replaced
 * only when they need it, so clean documents cost one scan.
 */
#include <string.h>

#include "doc.h"

static int clean(struct lexp_doc *d, const char **p, uint32_t *len)
{
    const char *s = *p;
    if (!s)
        return 0;
    size_t n = len ? *len : strlen(s);
    if (lexp__text_is_clean(s, n))
        return 0;
    lexp__sbuf b = LEXP__SBUF_INIT;
    lexp__sbuf_put_clean(&b, s, n);
    char *t = b.oom ? NULL : lexp__arena_strndup(&d->arena, b.ptr ? b.ptr : "", b.len);
    size_t tl = b.len;
    lexp__sbuf_free(&b);
    if (!t)
        return -1;
    *p = t;
    if (len)
        *len = (uint32_t)tl;
    return 0;
}

#define C(field) rc |= clean(d, &(field), NULL)

int lexp__node_clean(struct lexp_doc *d, lexp_node *n)
{
    int rc = 0;
    for (uint32_t i = 0; i < n->runs.n; i++)
        rc |= clean(d, &n->runs.v[i].text, &n->runs.v[i].len);
    switch (n->type) {
    case LEXP_N_HEADING: C(n->u.heading.number); break;
    case LEXP_N_ITEM: C(n->u.item.number); break;
    case LEXP_N_TABLE: C(n->u.table.caption); break;
    case LEXP_N_CELL: C(n->u.cell.datefmt); break;
    case LEXP_N_IMAGE: C(n->u.image.caption); break;
    case LEXP_N_CHART:
        C(n->u.chart.title);
        C(n->u.chart.series);
        for (int i = 0; n->u.chart.labels && i < n->u.chart.n; i++)
            C(n->u.chart.labels[i]);
        break;
    case LEXP_N_MASTHEAD:
        C(n->u.masthead.title);
        C(n->u.masthead.issue);
        C(n->u.masthead.issuer);
        C(n->u.masthead.date);
        C(n->u.masthead.note);
        break;
    case LEXP_N_SIGNATURE:
        C(n->u.signature.issuer);
        C(n->u.signature.date);
        break;
    case LEXP_N_DISTRIBUTION:
        C(n->u.dist.report_to);
        C(n->u.dist.send_to);
        C(n->u.dist.distribute_to);
        C(n->u.dist.printer);
        C(n->u.dist.date);
        break;
    default: break;
    }
    return rc;
}

int lexp__doc_clean(struct lexp_doc *d)
{
    int rc = 0;
    C(d->title);
    C(d->subtitle);
    C(d->author);
    C(d->subject);
    C(d->keywords);
    /* depth first, without recursion: tables and lists nest */
    lexp_node *n = d->root;
    while (n) {
        rc |= lexp__node_clean(d, n);
        if (n->first) {
            n = n->first;
            continue;
        }
        while (n && !n->next)
            n = n->parent;
        if (n)
            n = n->next;
    }
    return rc ? -1 : 0;
}
