/*
 * Building and reading the document tree.
 */
#include <stdlib.h>
#include <string.h>

#include "doc.h"

struct lexp_doc *lexp__doc_new(void)
{
    struct lexp_doc *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    lexp__arena_init(&d->arena);
    d->numbering = 1;
    d->page_numbers = 1;
    d->root = lexp__node_new(d, LEXP_N_DOCUMENT);
    if (!d->root) {
        lexp__arena_free(&d->arena);
        free(d);
        return NULL;
    }
    return d;
}

void lexp_doc_free(struct lexp_doc *d)
{
    if (!d)
        return;
    lexp__spools_free(d);
    lexp__arena_free(&d->arena);
    free(d);
}

lexp_node *lexp__node_new(struct lexp_doc *d, lexp_ntype type)
{
    lexp_node *n = lexp__arena_zalloc(&d->arena, sizeof *n);
    if (n)
        n->type = type;
    return n;
}

void lexp__node_append(lexp_node *parent, lexp_node *child)
{
    child->parent = parent;
    child->prev = parent->last;
    child->next = NULL;
    if (parent->last)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
}

int lexp__node_add_run(struct lexp_doc *d, lexp_node *n, const char *text, size_t len,
                       uint32_t flags, uint32_t color, int role)
{
    lexp_runs *r = &n->runs;
    /* Runs are appended a few at a time: grow by doubling in the arena. */
    uint32_t cap = 2;
    while (cap < r->n)
        cap *= 2;
    if (r->n == 0 || r->n == cap) {
        uint32_t ncap = r->n == 0 ? 2 : cap * 2;
        lexp_run *v = lexp__arena_alloc(&d->arena, ncap * sizeof *v);
        if (!v)
            return -1;
        if (r->n)
            memcpy(v, r->v, r->n * sizeof *v);
        r->v = v;
    }
    char *t = lexp__arena_strndup(&d->arena, text, len);
    if (!t)
        return -1;
    lexp_run *run = &r->v[r->n++];
    run->text = t;
    run->len = (uint32_t)len;
    run->flags = flags;
    run->color = color;
    run->role = role;
    return 0;
}

char *lexp__doc_strdup(struct lexp_doc *d, const char *s)
{
    return s ? lexp__arena_strdup(&d->arena, s) : NULL;
}

lexp_node *lexp__table_new(struct lexp_doc *d, int ncols)
{
    lexp_node *t = lexp__node_new(d, LEXP_N_TABLE);
    if (!t)
        return NULL;
    t->u.table.ncols = ncols;
    t->u.table.aligns = lexp__arena_zalloc(&d->arena, (size_t)ncols * sizeof(lexp_align));
    return t->u.table.aligns ? t : NULL;
}

lexp_node *lexp__row_add(struct lexp_doc *d, lexp_node *table)
{
    lexp_node *r = lexp__node_new(d, LEXP_N_ROW);
    if (r)
        lexp__node_append(table, r);
    return r;
}

lexp_node *lexp__cell_add(struct lexp_doc *d, lexp_node *row, const char *text)
{
    lexp_node *c = lexp__node_new(d, LEXP_N_CELL);
    if (!c)
        return NULL;
    c->u.cell.colspan = c->u.cell.rowspan = 1;
    if (text && *text && lexp__node_add_run(d, c, text, strlen(text), 0, 0, -1))
        return NULL;
    lexp__node_append(row, c);
    return c;
}

void lexp__runs_text(lexp__sbuf *b, const lexp_runs *r)
{
    for (uint32_t i = 0; i < r->n; i++)
        lexp__sbuf_put(b, r->v[i].text, r->v[i].len);
}

void lexp__node_unlink(lexp_node *n)
{
    lexp_node *p = n->parent;
    if (n->prev)
        n->prev->next = n->next;
    else if (p)
        p->first = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else if (p)
        p->last = n->prev;
    n->parent = n->prev = n->next = NULL;
}

int lexp__table_rows(const lexp_node *table)
{
    int n = (int)lexp__spool_count(table->u.table.spool);
    for (const lexp_node *r = table->first; r; r = r->next)
        n++;
    return n;
}

const lexp_node *lexp__table_cell(const lexp_node *table, int row, int col)
{
    const lexp_node *r = table->first;
    for (int i = 0; r && i < row; i++)
        r = r->next;
    if (!r)
        return NULL;
    const lexp_node *c = r->first;
    for (int i = 0; c && i < col; i++)
        c = c->next;
    return c;
}
