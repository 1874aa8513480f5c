/*
 * Row spools: the body rows of a long table, moved out of the tree as the
 * evaluator finishes them, so a table of a million rows costs a buffer and
 * a temporary file rather than a million nodes. Rows are kept in a compact
 * record each (the row's fields, then each cell's fields, strings and runs)
 * in memory up to SPOOL_MEM bytes, then appended to a tmpfile(). Readers
 * (lexp__rowit) decode one row at a time into their own small arena and
 * read the file with pread, so several may read one spool at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doc.h"

#define SPOOL_MEM (1u << 20) /* bytes buffered before they go to the file */
#define READ_BUF (64u * 1024u)
#define REHOME_BYTES (1u << 20) /* rows arena bytes kept before it is emptied */

struct lexp__spool {
    lexp__spool *next;       /* the document's spools, to free */
    const lexp_node *after;  /* tree row the spooled rows follow (NULL: first) */
    uint32_t n;              /* rows */
    lexp__sbuf mem;          /* records not yet in the file */
    FILE *f;                 /* NULL until the first flush */
    uint64_t flen;           /* bytes in the file */
    struct lexp_doc *rows;   /* where the evaluator builds rows it still holds */
    lexp__arena_mark empty;  /* that arena with nothing but its root */
};

/* ---- encoding ------------------------------------------------------- */

static void put32(lexp__sbuf *b, uint32_t v) { lexp__sbuf_put(b, (const char *)&v, 4); }
static void putptr(lexp__sbuf *b, const void *p) { lexp__sbuf_put(b, (const char *)&p, sizeof p); }

static void putstr(lexp__sbuf *b, const char *s)
{
    if (!s) {
        put32(b, 0);
        return;
    }
    size_t n = strlen(s);
    put32(b, (uint32_t)n + 1);
    lexp__sbuf_put(b, s, n);
}

static void encode(lexp__sbuf *b, const lexp_node *row)
{
    size_t at = b->len;
    put32(b, 0); /* record length, filled in below */
    put32(b, row->formats);
    put32(b, (uint32_t)row->u.row.header);
    put32(b, (uint32_t)row->u.row.total);
    put32(b, (uint32_t)row->line);
    put32(b, (uint32_t)row->col);
    putptr(b, row->src_file); /* template names outlive the document */
    uint32_t nc = 0;
    for (const lexp_node *c = row->first; c; c = c->next)
        nc++;
    put32(b, nc);
    for (const lexp_node *c = row->first; c; c = c->next) {
        const int32_t f[] = {(int32_t)c->formats, c->line, c->col, c->u.cell.colspan,
                             c->u.cell.rowspan, c->u.cell.covered, (int32_t)c->u.cell.align,
                             (int32_t)c->u.cell.kind, c->u.cell.decimals, c->u.cell.thousands};
        lexp__sbuf_put(b, (const char *)f, sizeof f);
        lexp__sbuf_put(b, (const char *)&c->u.cell.num, sizeof c->u.cell.num);
        putptr(b, c->src_file);
        putstr(b, c->u.cell.datefmt);
        putstr(b, c->u.cell.formula);
        put32(b, c->runs.n);
        for (uint32_t i = 0; i < c->runs.n; i++) {
            const lexp_run *r = &c->runs.v[i];
            put32(b, r->flags);
            put32(b, r->color);
            put32(b, (uint32_t)r->role);
            put32(b, r->len);
            lexp__sbuf_put(b, r->text, r->len);
        }
    }
    if (!b->oom) {
        uint32_t len = (uint32_t)(b->len - at - 4);
        memcpy(b->ptr + at, &len, 4);
    }
}

typedef struct rd {
    const char *p, *end;
} rd;

static uint32_t get32(rd *r)
{
    uint32_t v = 0;
    if (r->end - r->p >= 4)
        memcpy(&v, r->p, 4);
    r->p += 4;
    return v;
}

static const void *getptr(rd *r)
{
    const void *v = NULL;
    if ((size_t)(r->end - r->p) >= sizeof v)
        memcpy(&v, r->p, sizeof v);
    r->p += sizeof v;
    return v;
}

static const char *getstr(rd *r, lexp__arena *A, int *bad)
{
    uint32_t n = get32(r);
    if (n == 0)
        return NULL;
    if ((size_t)(r->end - r->p) < n - 1) {
        *bad = 1;
        return NULL;
    }
    char *s = lexp__arena_strndup(A, r->p, n - 1);
    r->p += n - 1;
    if (!s)
        *bad = 1;
    return s;
}

/* Rebuild a row (with parent `table`) from its record, in A. */
static lexp_node *decode(const char *p, size_t len, lexp__arena *A, const lexp_node *table)
{
    rd r = {p, p + len};
    int bad = 0;
    lexp_node *row = lexp__arena_zalloc(A, sizeof *row);
    if (!row)
        return NULL;
    row->type = LEXP_N_ROW;
    row->parent = (lexp_node *)table;
    row->formats = get32(&r);
    row->u.row.header = (int)get32(&r);
    row->u.row.total = (int)get32(&r);
    row->line = (int)get32(&r);
    row->col = (int)get32(&r);
    row->src_file = getptr(&r);
    uint32_t nc = get32(&r);
    for (uint32_t k = 0; k < nc && !bad; k++) {
        lexp_node *c = lexp__arena_zalloc(A, sizeof *c);
        int32_t f[10];
        if (!c || (size_t)(r.end - r.p) < sizeof f + sizeof(double))
            return NULL;
        memcpy(f, r.p, sizeof f);
        r.p += sizeof f;
        c->type = LEXP_N_CELL;
        c->formats = (unsigned)f[0];
        c->line = f[1];
        c->col = f[2];
        c->u.cell.colspan = f[3];
        c->u.cell.rowspan = f[4];
        c->u.cell.covered = f[5];
        c->u.cell.align = (lexp_align)f[6];
        c->u.cell.kind = (lexp_cellkind)f[7];
        c->u.cell.decimals = f[8];
        c->u.cell.thousands = f[9];
        memcpy(&c->u.cell.num, r.p, sizeof(double));
        r.p += sizeof(double);
        c->src_file = getptr(&r);
        c->u.cell.datefmt = getstr(&r, A, &bad);
        c->u.cell.formula = getstr(&r, A, &bad);
        uint32_t nr = get32(&r);
        if (nr) {
            c->runs.v = lexp__arena_alloc(A, nr * sizeof *c->runs.v);
            if (!c->runs.v)
                return NULL;
        }
        for (uint32_t i = 0; i < nr && !bad; i++) {
            lexp_run *run = &c->runs.v[i];
            run->flags = get32(&r);
            run->color = get32(&r);
            run->role = (int)get32(&r);
            run->len = get32(&r);
            if ((size_t)(r.end - r.p) < run->len)
                return NULL;
            char *t = lexp__arena_strndup(A, r.p, run->len);
            if (!t)
                return NULL;
            run->text = t;
            r.p += run->len;
            c->runs.n = i + 1;
        }
        lexp__node_append(row, c);
    }
    return bad || r.p > r.end ? NULL : row;
}

/* ---- writing -------------------------------------------------------- */

static lexp__spool *spool_of(struct lexp_doc *d, lexp_node *table)
{
    lexp__spool *s = table->u.table.spool;
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->rows = lexp__doc_new();
    if (!s->rows) {
        free(s);
        return NULL;
    }
    s->empty = lexp__arena_mark_get(&s->rows->arena);
    s->next = d->spools;
    d->spools = s;
    table->u.table.spool = s;
    return s;
}

struct lexp_doc *lexp__spool_rows_doc(struct lexp_doc *d, lexp_node *table)
{
    lexp__spool *s = spool_of(d, table);
    return s ? s->rows : NULL;
}

static int flush(lexp__spool *s)
{
    if (!s->f && !(s->f = tmpfile()))
        return -1;
    if (s->mem.len && (fwrite(s->mem.ptr, 1, s->mem.len, s->f) != s->mem.len || fflush(s->f)))
        return -1;
    s->flen += s->mem.len;
    s->mem.len = 0;
    return 0;
}

int lexp__spool_row(struct lexp_doc *d, lexp_node *table, lexp_node *row)
{
    lexp__spool *s = spool_of(d, table);
    if (!s)
        return -1;
    if (s->n == 0)
        s->after = row->prev;
    /* the finished tree holds clean text; a spooled row is finished now */
    if (lexp__node_clean(s->rows, row))
        return -1;
    for (lexp_node *c = row->first; c; c = c->next)
        if (lexp__node_clean(s->rows, c))
            return -1;
    encode(&s->mem, row);
    if (s->mem.oom)
        return -1;
    s->n++;
    if (s->mem.len >= SPOOL_MEM && flush(s))
        return -1;
    lexp__node_unlink(row);
    return 0;
}

lexp_node *lexp__spool_rehome(struct lexp_doc *d, lexp_node *table, lexp_node *row)
{
    lexp__spool *s = spool_of(d, table);
    if (!s)
        return NULL;
    /* the arena is emptied once it holds a megabyte, not after every row:
     * copying the held row each time cost as much as spooling it */
    if (s->rows->arena.used - s->empty.used < REHOME_BYTES)
        return row;
    lexp__sbuf b = LEXP__SBUF_INIT;
    encode(&b, row);
    lexp_node *copy = NULL;
    if (!b.oom) {
        lexp__node_unlink(row);
        lexp__arena_release(&s->rows->arena, s->empty);
        copy = decode(b.ptr + 4, b.len - 4, &s->rows->arena, table);
        if (copy) /* back where it was: the last row of the table */
            lexp__node_append(table, copy);
    }
    lexp__sbuf_free(&b);
    return copy;
}

void lexp__spools_free(struct lexp_doc *d)
{
    lexp__spool *s = d->spools;
    while (s) {
        lexp__spool *n = s->next;
        if (s->f)
            fclose(s->f);
        lexp__sbuf_free(&s->mem);
        lexp_doc_free(s->rows);
        free(s);
        s = n;
    }
    d->spools = NULL;
}

uint32_t lexp__spool_count(const lexp__spool *s) { return s ? s->n : 0; }

/* ---- reading -------------------------------------------------------- */

void lexp__rowit_begin(lexp__rowit *it, const lexp_node *table)
{
    memset(it, 0, sizeof *it);
    it->table = table;
    it->s = table->u.table.spool && table->u.table.spool->n ? table->u.table.spool : NULL;
    lexp__arena_init(&it->A);
    it->tree = it->s && !it->s->after ? NULL : table->first;
    it->phase = it->s && !it->s->after ? 1 : 0;
    /* keep the arena's first chunk across rows */
    if (!lexp__arena_alloc(&it->A, 8))
        it->failed = 1;
    it->mark = lexp__arena_mark_get(&it->A);
}

/* `n` bytes at offset `off` of the spool, or NULL. */
static const char *bytes_at(lexp__rowit *it, uint64_t off, size_t n)
{
    const lexp__spool *s = it->s;
    if (off >= s->flen)
        return off - s->flen + n <= s->mem.len ? s->mem.ptr + (off - s->flen) : NULL;
    if (off + n > s->flen)
        return NULL;
    if (off < it->boff || off + n > it->boff + it->blen) {
        size_t want = n > READ_BUF ? n : READ_BUF;
        if (want > s->flen - off)
            want = (size_t)(s->flen - off);
        if (lexp__sbuf_grow(&it->buf, want) || it->buf.oom)
            return NULL;
        size_t got = 0;
        while (got < want) {
            ssize_t k = pread(fileno(s->f), it->buf.ptr + got, want - got, (off_t)(off + got));
            if (k <= 0)
                return NULL;
            got += (size_t)k;
        }
        it->boff = off;
        it->blen = want;
    }
    return it->buf.ptr + (off - it->boff);
}

const lexp_node *lexp__rowit_next(lexp__rowit *it)
{
    if (it->failed)
        return NULL;
    if (it->phase == 0) {
        const lexp_node *r = it->tree;
        if (r) {
            it->tree = r->next;
            if (it->s && r == it->s->after)
                it->phase = 1;
            return r;
        }
        return NULL;
    }
    if (it->phase == 1) {
        if (it->k < it->s->n) {
            const char *h = bytes_at(it, it->off, 4);
            uint32_t len = 0;
            if (h)
                memcpy(&len, h, 4);
            const char *p = h ? bytes_at(it, it->off + 4, len) : NULL;
            lexp__arena_release(&it->A, it->mark);
            const lexp_node *row = p ? decode(p, len, &it->A, it->table) : NULL;
            if (!row) {
                it->failed = 1;
                return NULL;
            }
            it->off += 4 + (uint64_t)len;
            it->k++;
            return row;
        }
        it->phase = 2;
        it->tree = it->s->after ? it->s->after->next : it->table->first;
    }
    const lexp_node *r = it->tree;
    if (r)
        it->tree = r->next;
    return r;
}

void lexp__rowit_end(lexp__rowit *it)
{
    lexp__arena_free(&it->A);
    lexp__sbuf_free(&it->buf);
}

const lexp_node *lexp__table_whole(const lexp_node *t, lexp__arena *A)
{
    if (!t->u.table.spool || !t->u.table.spool->n)
        return t;
    lexp_node *copy = lexp__arena_alloc(A, sizeof *copy);
    if (!copy)
        return NULL;
    *copy = *t;
    copy->first = copy->last = NULL;
    copy->u.table.spool = NULL;
    lexp__rowit it;
    lexp__rowit_begin(&it, t);
    const lexp_node *r;
    lexp__sbuf b = LEXP__SBUF_INIT;
    while ((r = lexp__rowit_next(&it))) {
        b.len = 0;
        encode(&b, r);
        lexp_node *row = b.oom ? NULL : decode(b.ptr + 4, b.len - 4, A, copy);
        if (!row) {
            it.failed = 1;
            break;
        }
        lexp__node_append(copy, row);
    }
    int failed = it.failed;
    lexp__rowit_end(&it);
    lexp__sbuf_free(&b);
    return failed ? NULL : copy;
}
