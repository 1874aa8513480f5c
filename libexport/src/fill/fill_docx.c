/*
 * Word templates: word/document.xml, its headers, footers, footnotes and
 * endnotes.
 *
 * A part is compiled once, then generated into the same XML document:
 *
 * - Paragraphs. The text of a paragraph is the text of its w:t elements
 *   ("slots"), whatever runs, hyperlinks, proofing marks or bookmarks lie
 *   between them. Tags are found in that text, so a tag split over runs by
 *   Word or WPS is still one tag; its output goes to the run where it
 *   starts, with that run's formatting. The paragraph becomes a program of
 *   literal pieces, values and other run content ("leaves": tabs, pictures,
 *   breaks) with inline statements around them. Running it gives a stream
 *   of (leaf, text); each stretch of the stream that stays inside one
 *   top-level child of the paragraph (a run, a hyperlink) in document order
 *   becomes one copy of that child. So an inline loop that spans two runs
 *   repeats both runs, each with its own formatting.
 * - Lists. A paragraph holding only a {%p … %} tag and a table row holding
 *   a {%tr … %} tag are statements over their siblings: the items of their
 *   parent's child list (body, table cell, table, header …). They are not
 *   output themselves.
 * - Vertical merges. A merged region of a table (w:vMerge restart and the
 *   continuing cells below it) belongs to the innermost row loop that holds
 *   all of its rows; each iteration of that loop gets its own region, and a
 *   region that reaches into a loop's {%tr endfor %} row spans all the rows
 *   the loop makes. After a table is generated its merge marks are set from
 *   these regions, so a region never merges into a copy made for another
 *   iteration, and none starts with a "continue".
 *
 * Every element of the template that needs more than a plain copy carries
 * a dx_info in its _private field.
 */
#include <stdlib.h>
#include <string.h>

#include "fill.h"

enum { K_COPY = 0, K_PASS, K_LIST, K_PARA };

typedef struct dx_para dx_para;

typedef struct dx_info {
    uint8_t kind;
    uint8_t dyn;     /* needs more than a plain copy */
    uint8_t marker;  /* 'p' or 't': a statement's paragraph or row; not output */
    uint8_t vmerge;  /* w:tbl: set merge marks after generating it */
    int leaf;        /* inside a paragraph: leaf index, -1 none, -2 dropped */
    int lo, hi;      /* inside a paragraph: the leaves below */
    fx_op *items;    /* K_LIST: the children; K_PARA: the program */
    dx_para *para;   /* K_PARA */
    const fx_tag *tag; /* marker: its tag */
    int content;     /* w:tr: paragraphs with text or tags in it */
    fx_op *loop;     /* w:tr: the row loop it is generated in */
    int region;      /* w:tc: vertical merge region (0: none) */
    int region_loop; /* w:tc: loop id scoping the region (0: none) */
} dx_info;

struct dx_para {
    int nleaves;
    xmlNodePtr *leaf;  /* leaf nodes */
    xmlNodePtr *unit;  /* the top-level child each leaf is in */
    uint8_t *slot;     /* 1 for w:t */
};

/* The tag of an output cell in a merge region (in its _private). */
typedef struct dx_cellmark {
    int region;
    uint64_t key;
} dx_cellmark;

typedef struct dx {
    fx_ctx *c;
    int para_no;
    int next_loop; /* loop ids */
    /* generation */
    fx_copier k;
    uint64_t *serial; /* current iteration serial of each loop, by id */
    int64_t *index;   /* current iteration index of each loop, by id */
    uint64_t serials;
    int nloops;
} dx;

static const char W_NS[] = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
static const char W_NS_STRICT[] = "http://purl.oclc.org/ooxml/wordprocessingml/main";

static int is_w(const xmlNode *n, const char *name)
{
    if (!fx_is(n, name) || !n->ns || !n->ns->href)
        return 0;
    const char *h = (const char *)n->ns->href;
    return strcmp(h, W_NS) == 0 || strcmp(h, W_NS_STRICT) == 0;
}

static int in_w(const xmlNode *n)
{
    if (n->type != XML_ELEMENT_NODE || !n->ns || !n->ns->href)
        return 0;
    const char *h = (const char *)n->ns->href;
    return strcmp(h, W_NS) == 0 || strcmp(h, W_NS_STRICT) == 0;
}

static dx_info *info(dx *x, xmlNodePtr n)
{
    if (n->_private)
        return n->_private;
    dx_info *i = lexp__arena_zalloc(&x->c->A, sizeof *i);
    if (!i) {
        fx_oom(x->c);
        return NULL;
    }
    i->leaf = -1;
    n->_private = i;
    return i;
}

static const char *describe(const xmlNode *n)
{
    static const struct {
        const char *name, *what;
    } names[] = {{"body", "the document body"},
                 {"tc", "this table cell"},
                 {"tbl", "this table"},
                 {"hdr", "this header"},
                 {"ftr", "this footer"},
                 {"footnote", "this footnote"},
                 {"endnote", "this endnote"},
                 {"txbxContent", "this text box"},
                 {"sdtContent", "this content control"},
                 {"comment", "this comment"}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (fx_is(n, names[i].name))
            return names[i].what;
    return "this part of the document";
}

/* ==================================================================== */
/* compiling                                                              */

static int compile(dx *x, xmlNodePtr n);

typedef struct collect {
    dx_para *p;
    int cap;
    lexp__sbuf text;
    size_t *slot_start; /* by leaf: offset of a slot's text */
    size_t *slot_end;
} collect;

static int add_leaf(dx *x, collect *cl, xmlNodePtr leaf, xmlNodePtr unit, int slot)
{
    dx_para *p = cl->p;
    if (p->nleaves == cl->cap) {
        int cap = cl->cap ? cl->cap * 2 : 16;
        xmlNodePtr *l = lexp__arena_alloc(&x->c->A, (size_t)cap * sizeof *l);
        xmlNodePtr *u = lexp__arena_alloc(&x->c->A, (size_t)cap * sizeof *u);
        uint8_t *s = lexp__arena_alloc(&x->c->A, (size_t)cap);
        size_t *ss = realloc(cl->slot_start, (size_t)cap * sizeof *ss);
        if (ss)
            cl->slot_start = ss;
        size_t *se = ss ? realloc(cl->slot_end, (size_t)cap * sizeof *se) : NULL;
        if (se)
            cl->slot_end = se;
        if (!l || !u || !s || !ss || !se)
            return fx_oom(x->c);
        if (p->nleaves) {
            memcpy(l, p->leaf, (size_t)p->nleaves * sizeof *l);
            memcpy(u, p->unit, (size_t)p->nleaves * sizeof *u);
            memcpy(s, p->slot, (size_t)p->nleaves);
        }
        p->leaf = l;
        p->unit = u;
        p->slot = s;
        cl->cap = cap;
    }
    dx_info *i = info(x, leaf);
    if (!i)
        return -1;
    int k = p->nleaves++;
    i->leaf = k;
    i->lo = k;
    i->hi = k + 1;
    p->leaf[k] = leaf;
    p->unit[k] = unit;
    p->slot[k] = (uint8_t)slot;
    cl->slot_start[k] = cl->text.len;
    if (slot)
        fx_text_of(leaf, &cl->text);
    cl->slot_end[k] = cl->text.len;
    return cl->text.oom ? fx_oom(x->c) : 0;
}

/* The leaves under a node of a paragraph: the children of its runs. Word
 * elements that wrap runs (hyperlinks, insertions, content controls,
 * fields, smart tags) are walked; anything else is kept whole. */
static int collect_leaves(dx *x, collect *cl, xmlNodePtr n, xmlNodePtr unit)
{
    dx_info *i = info(x, n);
    if (!i)
        return -1;
    i->lo = cl->p->nleaves;
    if (is_w(n, "r")) {
        for (xmlNodePtr k = n->children; k; k = k->next) {
            if (k->type != XML_ELEMENT_NODE || is_w(k, "rPr"))
                continue;
            if (is_w(k, "lastRenderedPageBreak")) { /* stale once text changes */
                dx_info *ki = info(x, k);
                if (!ki)
                    return -1;
                ki->leaf = -2;
                continue;
            }
            if (add_leaf(x, cl, k, unit, is_w(k, "t")))
                return -1;
        }
    } else if (in_w(n) && !is_w(n, "pPr") && !is_w(n, "rPr") && !is_w(n, "sdtPr")) {
        for (xmlNodePtr k = n->children; k; k = k->next)
            if (k->type == XML_ELEMENT_NODE && collect_leaves(x, cl, k, unit))
                return -1;
    }
    i->hi = cl->p->nleaves;
    return 0;
}

static int all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
            continue;
        if (ch == 0xE3 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x80) { /* ideographic space */
            i += 2;
            continue;
        }
        if (ch == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
            i += 1;
            continue;
        }
        return 0;
    }
    return 1;
}

static xmlNodePtr ancestor(xmlNodePtr n, const char *name)
{
    for (n = n->parent; n && n->type == XML_ELEMENT_NODE; n = n->parent)
        if (is_w(n, name))
            return n;
    return NULL;
}

static int count_content(dx *x, xmlNodePtr p)
{
    for (xmlNodePtr a = p->parent; a && a->type == XML_ELEMENT_NODE; a = a->parent)
        if (is_w(a, "tr")) {
            dx_info *i = info(x, a);
            if (!i)
                return -1;
            i->content++;
        }
    return 0;
}

/* Compile the children of a node that has no program of its own. */
static int compile_children(dx *x, xmlNodePtr n, dx_info *ni)
{
    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (compile(x, k))
            return -1;
        dx_info *ki = k->_private;
        if (ki && (ki->dyn || ki->marker))
            ni->dyn = 1;
    }
    if (ni->dyn && ni->kind == K_COPY)
        ni->kind = K_PASS;
    return 0;
}

static int compile_para(dx *x, xmlNodePtr p)
{
    fx_ctx *c = x->c;
    int line = ++x->para_no;
    dx_info *pi = info(x, p);
    if (!pi)
        return -1;
    collect cl;
    memset(&cl, 0, sizeof cl);
    dx_para *para = lexp__arena_zalloc(&c->A, sizeof *para);
    if (!para)
        return fx_oom(c);
    cl.p = para;
    int rc = 0;
    for (xmlNodePtr u = p->children; u && rc == 0; u = u->next) {
        if (u->type != XML_ELEMENT_NODE || is_w(u, "pPr"))
            continue;
        if (is_w(u, "proofErr")) { /* spelling marks: meaningless once filled */
            dx_info *ui = info(x, u);
            if (!ui)
                rc = -1;
            else
                ui->leaf = -2;
            continue;
        }
        int before = para->nleaves;
        rc = collect_leaves(x, &cl, u, u);
        if (rc == 0 && para->nleaves == before)
            rc = add_leaf(x, &cl, u, u, 0); /* a bookmark, a field mark …: one leaf */
    }
    const char *text = cl.text.ptr ? cl.text.ptr : "";
    size_t tlen = cl.text.len;
    fx_scan sc;
    memset(&sc, 0, sizeof sc);
    if (rc == 0 && fx_maybe_tags(text, tlen))
        rc = fx_scan_text(c, text, tlen, line, "this paragraph", &sc);
    if (rc)
        goto done;
    int nscoped = 0, ninline = 0;
    const fx_tag *scoped = NULL;
    for (int i = 0; i < sc.ntags; i++) {
        if (sc.tags[i].comment)
            continue;
        if (sc.tags[i].scope) {
            nscoped++;
            scoped = &sc.tags[i];
        } else {
            ninline++;
        }
    }
    if (nscoped) {
        /* a {%p %} or {%tr %} tag stands alone: its paragraph or row goes */
        int lit = 0;
        for (int i = 0; i < sc.nlits; i++)
            if (!all_space(text + sc.lits[i].start, sc.lits[i].len))
                lit = 1;
        if (nscoped > 1 || ninline || lit) {
            const fx_tag *t = scoped;
            rc = fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                         "a '%s' tag stands alone in its paragraph, which is removed; this "
                         "paragraph also holds %s",
                         t->scope == 'p' ? "{%p %}" : "{%tr %}",
                         nscoped > 1 ? "another such tag" : ninline ? "other tags" : "text");
            goto done;
        }
        xmlNodePtr ppr = fx_child(p, "pPr");
        if (ppr && fx_child(ppr, "sectPr")) {
            rc = fx_fail(c, LEXP_ESYNTAX, scoped->line, scoped->col,
                         "this paragraph ends a section (it holds the section's page setup) "
                         "and would be removed with its tag; put the tag in a paragraph of "
                         "its own before the section break");
            goto done;
        }
        if (scoped->scope == 'p') {
            pi->marker = 'p';
            pi->tag = scoped;
        } else {
            xmlNodePtr tr = ancestor(p, "tr");
            if (!tr) {
                rc = fx_fail(c, LEXP_ESYNTAX, scoped->line, scoped->col,
                             "'{%%tr %%}' outside a table row: a {%%tr %%} tag sits in a cell "
                             "of the row it removes (use {%%p %%} for paragraphs)");
                goto done;
            }
            dx_info *ti = info(x, tr);
            if (!ti) {
                rc = -1;
                goto done;
            }
            if (ti->tag) {
                rc = fx_fail(c, LEXP_ESYNTAX, scoped->line, scoped->col,
                             "a second '{%%tr %%}' tag in one table row (the first is at "
                             "%d:%d): each statement needs a row of its own",
                             ti->tag->line, ti->tag->col);
                goto done;
            }
            ti->marker = 't';
            ti->tag = scoped;
        }
        goto done;
    }
    if (!all_space(text, tlen) || ninline)
        if ((rc = count_content(x, p)))
            goto done;
    if (sc.ntags == 0 && !sc.escapes) {
        /* no tags of its own: copy it, filling whatever it nests */
        rc = compile_children(x, p, pi);
        goto done;
    }
    /* the program: pieces of each slot in order, other leaves between */
    {
        char *ctext = lexp__arena_strndup(&c->A, text, tlen);
        if (!ctext) {
            rc = fx_oom(c);
            goto done;
        }
        fx_builder b;
        fx_build_init(&b, c, "this paragraph", &x->next_loop);
        int li = 0, ti = 0;
        for (int l = 0; l < para->nleaves && rc == 0; l++) {
            if (!para->slot[l]) {
                fx_op *op = fx_build_item(&b, OP_LEAF);
                if (!op)
                    rc = -1;
                else
                    op->slot = l;
                continue;
            }
            size_t s0 = cl.slot_start[l], s1 = cl.slot_end[l];
            /* literal ranges and tags that start in [s0, s1), by position */
            for (;;) {
                while (li < sc.nlits && sc.lits[li].start + sc.lits[li].len <= s0)
                    li++;
                while (ti < sc.ntags && sc.tags[ti].start < s0)
                    ti++;
                size_t lpos = li < sc.nlits ? (sc.lits[li].start > s0 ? sc.lits[li].start : s0)
                                            : (size_t)-1;
                size_t tpos = ti < sc.ntags ? sc.tags[ti].start : (size_t)-1;
                if ((lpos >= s1 || lpos == (size_t)-1) && (tpos >= s1 || tpos == (size_t)-1))
                    break;
                if (tpos < lpos) {
                    const fx_tag *t = &sc.tags[ti++];
                    if (t->comment)
                        continue;
                    if (t->t.kind == TAG_EXPR) {
                        fx_op *op = fx_build_item(&b, OP_EXPR);
                        if (!op) {
                            rc = -1;
                            break;
                        }
                        op->slot = l;
                        op->tag = t;
                    } else if ((rc = fx_build_tag(&b, t, NULL))) {
                        break;
                    }
                    continue;
                }
                /* literal piece: from lpos to the end of the range or the slot */
                size_t le = sc.lits[li].start + sc.lits[li].len;
                if (le > s1)
                    le = s1;
                fx_op *op = fx_build_item(&b, OP_TEXT);
                if (!op) {
                    rc = -1;
                    break;
                }
                op->slot = l;
                op->s = ctext + lpos;
                op->n = (uint32_t)(le - lpos);
                if (le == sc.lits[li].start + sc.lits[li].len)
                    li++;
                else
                    break; /* continues in the next slot */
            }
        }
        if (rc == 0)
            rc = fx_build_end(&b, &pi->items);
        if (rc)
            goto done;
        pi->kind = K_PARA;
        pi->dyn = 1;
        pi->para = para;
        /* text boxes and the like inside the paragraph's leaves */
        for (int l = 0; l < para->nleaves && rc == 0; l++)
            if (!para->slot[l] && para->leaf[l]->type == XML_ELEMENT_NODE) {
                xmlNodePtr lf = para->leaf[l];
                for (xmlNodePtr k = lf->children; k && rc == 0; k = k->next)
                    if (k->type == XML_ELEMENT_NODE) {
                        rc = compile(x, k);
                        dx_info *ki = k->_private;
                        if (rc == 0 && ki && (ki->dyn || ki->marker)) {
                            dx_info *li2 = lf->_private;
                            li2->dyn = 1;
                            li2->kind = K_PASS;
                        }
                    }
            }
    }
done:
    lexp__sbuf_free(&cl.text);
    free(cl.slot_start);
    free(cl.slot_end);
    return rc;
}

/* ---- tables: rows, cells and vertical merge regions -------------------- */

typedef int (*node_fn)(dx *x, xmlNodePtr n, void *p);

/* Rows of a table, also inside content controls, not in nested tables. */
static int each_row(dx *x, xmlNodePtr parent, node_fn fn, void *p)
{
    for (xmlNodePtr k = parent->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (is_w(k, "tr")) {
            if (fn(x, k, p))
                return -1;
        } else if (is_w(k, "sdt") || is_w(k, "sdtContent") || is_w(k, "customXml")) {
            if (each_row(x, k, fn, p))
                return -1;
        }
    }
    return 0;
}

static int each_cell(dx *x, xmlNodePtr row, node_fn fn, void *p)
{
    for (xmlNodePtr k = row->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (is_w(k, "tc")) {
            if (fn(x, k, p))
                return -1;
        } else if (is_w(k, "sdt") || is_w(k, "sdtContent") || is_w(k, "customXml")) {
            if (each_cell(x, k, fn, p))
                return -1;
        }
    }
    return 0;
}

static long wval(const xmlNode *n, const char *child, long dflt)
{
    xmlNodePtr k = n ? fx_child(n, child) : NULL;
    const xmlChar *v = k ? fx_attr(k, "val") : NULL;
    return v ? strtol((const char *)v, NULL, 10) : dflt;
}

/* 0: no vMerge; 'r': restart; 'c': continue. */
static int vmerge_of(const xmlNode *tc, xmlNodePtr *vm)
{
    xmlNodePtr pr = fx_child(tc, "tcPr");
    xmlNodePtr m = pr ? fx_child(pr, "vMerge") : NULL;
    if (vm)
        *vm = m;
    if (!m)
        return 0;
    const xmlChar *v = fx_attr(m, "val");
    return v && strcmp((const char *)v, "restart") == 0 ? 'r' : 'c';
}

typedef struct regions {
    int *col_region; /* by grid column: the open region */
    int ncols;
    fx_op **scope;   /* by region: the loop scoping it (LCA of its rows' loops) */
    int n, cap;
    xmlNodePtr *cells;
    int ncells, capcells;
    int col;
    fx_op *row_loop;
    int any;
} regions;

static int region_cell(dx *x, xmlNodePtr tc, void *p)
{
    regions *R = p;
    long span = wval(fx_child(tc, "tcPr"), "gridSpan", 1);
    if (span < 1 || span > 1000)
        span = 1;
    int col = R->col;
    R->col += (int)span;
    if (col >= R->ncols) {
        int n = col + 64;
        int *v = realloc(R->col_region, (size_t)n * sizeof *v);
        if (!v)
            return fx_oom(x->c);
        for (int i = R->ncols; i < n; i++)
            v[i] = 0;
        R->col_region = v;
        R->ncols = n;
    }
    int vm = vmerge_of(tc, NULL);
    int region = 0;
    if (vm == 'c' && R->col_region[col]) {
        region = R->col_region[col];
        R->scope[region] = fx_lca(R->scope[region], R->row_loop);
    } else if (vm) {
        if (R->n + 1 >= R->cap) {
            int cap = R->cap ? R->cap * 2 : 16;
            fx_op **s = realloc(R->scope, (size_t)cap * sizeof *s);
            if (!s)
                return fx_oom(x->c);
            R->scope = s;
            R->cap = cap;
        }
        region = ++R->n;
        R->scope[region] = R->row_loop;
        R->any = 1;
    }
    R->col_region[col] = region;
    if (region) {
        dx_info *ci = info(x, tc);
        if (!ci)
            return -1;
        ci->region = region;
        if (R->ncells == R->capcells) {
            int cap = R->capcells ? R->capcells * 2 : 32;
            xmlNodePtr *v = realloc(R->cells, (size_t)cap * sizeof *v);
            if (!v)
                return fx_oom(x->c);
            R->cells = v;
            R->capcells = cap;
        }
        R->cells[R->ncells++] = tc;
    }
    return 0;
}

static int region_row(dx *x, xmlNodePtr tr, void *p)
{
    regions *R = p;
    dx_info *ri = tr->_private;
    R->row_loop = ri ? ri->loop : NULL;
    R->col = (int)wval(fx_child(tr, "trPr"), "gridBefore", 0);
    if (R->col < 0 || R->col > 1000)
        R->col = 0;
    int first = R->col;
    for (int i = 0; i < R->ncols && i < first; i++)
        R->col_region[i] = 0;
    if (each_cell(x, tr, region_cell, R))
        return -1;
    for (int i = R->col; i < R->ncols; i++) /* columns this row leaves out */
        R->col_region[i] = 0;
    return 0;
}

static int table_regions(dx *x, xmlNodePtr tbl, dx_info *ti)
{
    regions R;
    memset(&R, 0, sizeof R);
    int rc = each_row(x, tbl, region_row, &R);
    if (rc == 0 && R.any) {
        for (int i = 0; i < R.ncells; i++) {
            dx_info *ci = R.cells[i]->_private;
            fx_op *s = R.scope[ci->region];
            ci->region_loop = s ? s->id : 0;
            /* generation must reach the cell to mark its copy: the rows
             * (and wrappers) above it are walked, not copied whole */
            for (xmlNodePtr a = R.cells[i]->parent; a && a != tbl; a = a->parent) {
                dx_info *ai = info(x, a);
                if (!ai) {
                    rc = -1;
                    break;
                }
                ai->dyn = 1;
                if (ai->kind == K_COPY)
                    ai->kind = K_PASS;
            }
        }
        ti->vmerge = 1;
        ti->dyn = 1;
        if (ti->kind == K_COPY)
            ti->kind = K_PASS;
    }
    free(R.col_region);
    free(R.scope);
    free(R.cells);
    return rc;
}

/* ---- lists ------------------------------------------------------------- */

static int compile(dx *x, xmlNodePtr n)
{
    if (is_w(n, "p"))
        return compile_para(x, n);
    dx_info *ni = info(x, n);
    if (!ni)
        return -1;
    if (compile_children(x, n, ni))
        return -1;
    int markers = 0;
    for (xmlNodePtr k = n->children; k; k = k->next) {
        dx_info *ki = k->_private;
        if (ki && ki->marker)
            markers++;
    }
    if (!markers)
        return 0;
    /* statements over the children */
    fx_builder b;
    fx_build_init(&b, x->c, describe(n), &x->next_loop);
    for (xmlNodePtr k = n->children; k; k = k->next) {
        dx_info *ki = k->_private;
        if (ki && ki->marker) {
            if (ki->marker == 't' && ki->content > 0)
                return fx_fail(x->c, LEXP_ESYNTAX, ki->tag->line, ki->tag->col,
                               "a '{%%tr %%}' tag stands alone in its table row, which is "
                               "removed; this row holds other text or tags as well");
            fx_op *loop = NULL;
            if (fx_build_tag(&b, ki->tag, &loop))
                return -1;
            ki->loop = loop;
            continue;
        }
        fx_op *op = fx_build_item(&b, OP_LEAF);
        if (!op)
            return -1;
        op->node = k;
        if (is_w(k, "tr")) {
            dx_info *ri = info(x, k);
            if (!ri)
                return -1;
            ri->loop = fx_build_loop(&b);
        }
    }
    if (fx_build_end(&b, &ni->items))
        return -1;
    ni->kind = K_LIST;
    ni->dyn = 1;
    if (is_w(n, "tbl"))
        return table_regions(x, n, ni);
    return 0;
}

/* ==================================================================== */
/* generating                                                             */

static int gen_node(dx *x, xmlNodePtr parent, xmlNodePtr t);

static int mark_region(dx *x, xmlNodePtr out, const xmlNode *t)
{
    const dx_info *ti = t->_private;
    if (!ti || !ti->region || !out || out->type != XML_ELEMENT_NODE)
        return 0;
    dx_cellmark *m = lexp__arena_alloc(&x->c->A, sizeof *m);
    if (!m)
        return fx_oom(x->c);
    m->region = ti->region;
    m->key = ti->region_loop ? x->serial[ti->region_loop] : 0;
    out->_private = m;
    return 0;
}

/* ---- vertical merges of a generated table ---- */

typedef struct vfix {
    dx_cellmark **above; /* by grid column */
    int ncols;
    int col;
} vfix;

static int vfix_cell(dx *x, xmlNodePtr tc, void *p)
{
    vfix *V = p;
    long span = wval(fx_child(tc, "tcPr"), "gridSpan", 1);
    if (span < 1 || span > 1000)
        span = 1;
    int col = V->col;
    V->col += (int)span;
    if (col >= V->ncols) {
        int n = col + 64;
        dx_cellmark **v = realloc(V->above, (size_t)n * sizeof *v);
        if (!v)
            return fx_oom(x->c);
        for (int i = V->ncols; i < n; i++)
            v[i] = NULL;
        V->above = v;
        V->ncols = n;
    }
    dx_cellmark *m = tc->_private;
    dx_cellmark *up = V->above[col];
    V->above[col] = m;
    if (!m)
        return 0;
    tc->_private = NULL;
    xmlNodePtr vm;
    if (!vmerge_of(tc, &vm) || !vm)
        return 0;
    int cont = up && up->region == m->region && up->key == m->key;
    /* drop any w:val, then say restart where a region begins */
    for (xmlAttrPtr a = vm->properties; a; a = a->next)
        if (strcmp((const char *)a->name, "val") == 0) {
            xmlRemoveProp(a);
            break;
        }
    if (!cont && !xmlNewNsProp(vm, vm->ns, (const xmlChar *)"val", (const xmlChar *)"restart"))
        return fx_oom(x->c);
    if (!cont)
        return 0;
    /* a continuing cell shows nothing of its own: keep one empty paragraph
     * (with the first one's properties), so no reader appends its text */
    xmlNodePtr first_p = NULL, next;
    for (xmlNodePtr k = tc->children; k; k = next) {
        next = k->next;
        if (is_w(k, "tcPr"))
            continue;
        if (!first_p && is_w(k, "p")) {
            first_p = k;
            xmlNodePtr pn;
            for (xmlNodePtr q = k->children; q; q = pn) {
                pn = q->next;
                if (!is_w(q, "pPr")) {
                    xmlUnlinkNode(q);
                    xmlFreeNode(q);
                }
            }
            continue;
        }
        xmlUnlinkNode(k);
        xmlFreeNode(k);
    }
    if (!first_p && !fx_new_elem(&x->k, tc, tc, "p"))
        return -1;
    return 0;
}

static int vfix_row(dx *x, xmlNodePtr tr, void *p)
{
    vfix *V = p;
    V->col = (int)wval(fx_child(tr, "trPr"), "gridBefore", 0);
    if (V->col < 0 || V->col > 1000)
        V->col = 0;
    for (int i = 0; i < V->ncols && i < V->col; i++)
        V->above[i] = NULL;
    if (each_cell(x, tr, vfix_cell, V))
        return -1;
    for (int i = V->col; i < V->ncols; i++)
        V->above[i] = NULL;
    return 0;
}

static int count_row(dx *x, xmlNodePtr tr, void *p)
{
    (void)x;
    (void)tr;
    ++*(int *)p;
    return 0;
}

/* Word wants a table to have a row, and a cell (and the body, a header, a
 * note, a text box) to end with a paragraph, not a table. Blocks that
 * repeated zero times can leave them without. */
static int fix_container(dx *x, xmlNodePtr n, int *drop)
{
    *drop = 0;
    if (is_w(n, "tbl")) {
        int rows = 0;
        each_row(x, n, count_row, &rows);
        *drop = rows == 0;
        return 0;
    }
    if (!(is_w(n, "tc") || is_w(n, "body") || is_w(n, "hdr") || is_w(n, "ftr") ||
          is_w(n, "footnote") || is_w(n, "endnote") || is_w(n, "txbxContent") ||
          is_w(n, "comment")))
        return 0;
    xmlNodePtr last = NULL, sect = NULL;
    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (is_w(k, "sectPr"))
            sect = k;
        else if (is_w(k, "p") || is_w(k, "tbl") || is_w(k, "sdt") || is_w(k, "customXml"))
            last = k;
    }
    if (last && !is_w(last, "tbl"))
        return 0;
    xmlNodePtr p = fx_new_elem(&x->k, n, n, "p");
    if (!p)
        return -1;
    if (sect) { /* the body's section properties stay last */
        xmlUnlinkNode(p);
        xmlAddPrevSibling(sect, p);
    }
    return 0;
}

static int list_leaf(fx_ctx *c, const fx_op *op, void *p);
static int loop_iter(fx_ctx *c, const fx_op *loop, int64_t index, void *p);

typedef struct list_run {
    dx *x;
    xmlNodePtr out;
} list_run;

static int list_leaf(fx_ctx *c, const fx_op *op, void *p)
{
    (void)c;
    list_run *lr = p;
    return gen_node(lr->x, lr->out, op->node);
}

/* The payload of both runners (list_run, para_run) starts with the dx. */
static int loop_iter(fx_ctx *c, const fx_op *loop, int64_t index, void *p)
{
    (void)c;
    dx *x = *(dx **)p;
    int id = loop->id;
    if (id <= 0 || id > x->nloops)
        return 0;
    int64_t old = x->index[id];
    if (index >= 0) {
        x->serial[id] = ++x->serials;
        if (index >= 1 && old < 1)
            x->k.repeat++;
        x->index[id] = index;
    } else {
        if (old >= 1)
            x->k.repeat--;
        x->index[id] = -1;
        x->serial[id] = 0;
    }
    return 0;
}

/* ---- paragraphs ---- */

typedef struct emit {
    int leaf;
    int repeat;
    size_t off, len; /* text in the paragraph's buffer */
} emit;

typedef struct para_run {
    dx *x;
    const dx_para *para;
    emit *v;
    int n, cap;
    lexp__sbuf text;
    /* the instance being built */
    int *first, *last; /* by leaf: its emits in the instance */
    int *stamp;
    int cur;
} para_run;

static int para_emit(fx_ctx *c, para_run *pr, int leaf, const char *s, size_t n)
{
    if (pr->n == pr->cap) {
        int cap = pr->cap ? pr->cap * 2 : 32;
        emit *v = realloc(pr->v, (size_t)cap * sizeof *v);
        if (!v)
            return fx_oom(c);
        pr->v = v;
        pr->cap = cap;
    }
    emit *e = &pr->v[pr->n++];
    e->leaf = leaf;
    e->repeat = pr->x->k.repeat;
    e->off = pr->text.len;
    lexp__sbuf_put(&pr->text, s, n);
    e->len = n;
    if (pr->text.len > LEXP_EVAL_MAX_OUTPUT)
        return fx_fail(c, LEXP_ELIMIT, 0, 0, "a paragraph would hold more than %u MB of text",
                       LEXP_EVAL_MAX_OUTPUT >> 20);
    return pr->text.oom ? fx_oom(c) : 0;
}

static int para_leaf(fx_ctx *c, const fx_op *op, void *p)
{
    para_run *pr = p;
    switch (op->kind) {
    case OP_TEXT: return para_emit(c, pr, op->slot, op->s, op->n);
    case OP_LEAF: return para_emit(c, pr, op->slot, "", 0);
    case OP_EXPR: {
        const lexp_value *v = fx_eval(c, op);
        if (!v)
            return -1;
        size_t at = pr->text.len;
        if (fx_value_text(c, op, v, &pr->text))
            return -1;
        size_t n = pr->text.len - at;
        pr->text.len = at; /* para_emit appends it again, recording where */
        if (pr->n == pr->cap) {
            int cap = pr->cap ? pr->cap * 2 : 32;
            emit *nv = realloc(pr->v, (size_t)cap * sizeof *nv);
            if (!nv)
                return fx_oom(c);
            pr->v = nv;
            pr->cap = cap;
        }
        emit *e = &pr->v[pr->n++];
        e->leaf = op->slot;
        e->repeat = pr->x->k.repeat;
        e->off = at;
        e->len = n;
        pr->text.len = at + n;
        if (pr->text.len > LEXP_EVAL_MAX_OUTPUT)
            return fx_fail(c, LEXP_ELIMIT, 0, 0,
                           "a paragraph would hold more than %u MB of text",
                           LEXP_EVAL_MAX_OUTPUT >> 20);
        return 0;
    }
    default: return 0;
    }
}

/* Write a slot's text: w:t pieces with w:br for newlines, w:tab for tabs. */
static int write_slot(dx *x, xmlNodePtr run, const xmlNode *t, char *s, size_t n)
{
    n = fx_xml_clean(s, n);
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != '\n' && s[j] != '\t' && s[j] != '\r')
            j++;
        if (j > i) {
            xmlNodePtr w = fx_copy_shallow(&x->k, run, t);
            if (!w)
                return -1;
            xmlNsPtr xml = xmlSearchNs(x->k.doc, w, (const xmlChar *)"xml");
            if (!xmlSetNsProp(w, xml, (const xmlChar *)"space", (const xmlChar *)"preserve") ||
                fx_add_text(&x->k, w, s + i, j - i))
                return fx_oom(x->c);
        }
        if (j >= n)
            break;
        if (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
            j++;
        if (!fx_new_elem(&x->k, run, t, s[j] == '\t' ? "tab" : "br"))
            return -1;
        i = j + 1;
    }
    return 0;
}

static int copy_unit(dx *x, para_run *pr, xmlNodePtr parent, xmlNodePtr n)
{
    dx_info *ni = n->_private;
    if (n->type != XML_ELEMENT_NODE)
        return fx_copy_deep(&x->k, parent, n) ? 0 : -1;
    if (ni && ni->leaf == -2)
        return 0;
    if (ni && ni->leaf >= 0) {
        int l = ni->leaf;
        if (pr->stamp[l] != pr->cur)
            return 0;
        const emit *a = &pr->v[pr->first[l]], *b = &pr->v[pr->last[l]];
        if (pr->para->slot[l]) {
            size_t len = b->off + b->len - a->off;
            if (len == 0)
                return 0;
            char *s = malloc(len);
            if (!s)
                return fx_oom(x->c);
            memcpy(s, pr->text.ptr + a->off, len);
            int rc = write_slot(x, parent, n, s, len);
            free(s);
            return rc;
        }
        int saved = x->k.repeat;
        x->k.repeat = a->repeat;
        int rc = gen_node(x, parent, n);
        x->k.repeat = saved;
        return rc;
    }
    if (ni && ni->hi > ni->lo) {
        int any = 0;
        for (int l = ni->lo; l < ni->hi && !any; l++)
            any = pr->stamp[l] == pr->cur;
        if (!any)
            return 0;
        xmlNodePtr o = fx_copy_shallow(&x->k, parent, n);
        if (!o)
            return -1;
        for (xmlNodePtr k = n->children; k; k = k->next)
            if (copy_unit(x, pr, o, k))
                return -1;
        return 0;
    }
    return gen_node(x, parent, n); /* properties and the like */
}

static int gen_para(dx *x, xmlNodePtr parent, xmlNodePtr p)
{
    dx_info *pi = p->_private;
    const dx_para *para = pi->para;
    xmlNodePtr out = fx_copy_shallow(&x->k, parent, p);
    if (!out)
        return -1;
    for (xmlNodePtr k = p->children; k; k = k->next)
        if (is_w(k, "pPr") && !fx_copy_deep(&x->k, out, k))
            return -1;
    para_run pr;
    memset(&pr, 0, sizeof pr);
    pr.x = x;
    pr.para = para;
    fx_runner r = {para_leaf, loop_iter, &pr};
    int rc = fx_run(x->c, pi->items, &r);
    if (rc == 0 && para->nleaves) {
        pr.first = calloc((size_t)para->nleaves, sizeof *pr.first);
        pr.last = calloc((size_t)para->nleaves, sizeof *pr.last);
        pr.stamp = calloc((size_t)para->nleaves, sizeof *pr.stamp);
        if (!pr.first || !pr.last || !pr.stamp)
            rc = fx_oom(x->c);
    }
    /* stretches of the stream inside one unit, in document order, become
     * one copy of that unit each */
    int i = 0;
    while (rc == 0 && i < pr.n) {
        int l0 = pr.v[i].leaf;
        xmlNodePtr unit = para->unit[l0];
        int last = l0;
        pr.cur++;
        pr.stamp[l0] = pr.cur;
        pr.first[l0] = pr.last[l0] = i;
        i++;
        while (i < pr.n) {
            int l = pr.v[i].leaf;
            if (para->unit[l] != unit || l < last || (l == last && !para->slot[l]))
                break;
            if (pr.stamp[l] != pr.cur) {
                pr.stamp[l] = pr.cur;
                pr.first[l] = i;
            }
            pr.last[l] = i;
            last = l;
            i++;
        }
        rc = copy_unit(x, &pr, out, unit);
    }
    free(pr.v);
    free(pr.first);
    free(pr.last);
    free(pr.stamp);
    lexp__sbuf_free(&pr.text);
    return rc;
}

/* ---- any node ---- */

static int gen_node(dx *x, xmlNodePtr parent, xmlNodePtr t)
{
    dx_info *ti = t->_private;
    if (!ti || !ti->dyn || t->type != XML_ELEMENT_NODE) {
        if (ti && ti->leaf == -2)
            return 0;
        xmlNodePtr last = parent->last;
        if (!fx_copy_deep(&x->k, parent, t))
            return -1;
        return parent->last != last ? mark_region(x, parent->last, t) : 0;
    }
    if (ti->kind == K_PARA)
        return gen_para(x, parent, t);
    xmlNodePtr out = fx_copy_shallow(&x->k, parent, t);
    if (!out)
        return -1;
    int rc;
    if (ti->kind == K_LIST) {
        list_run lr = {x, out};
        fx_runner r = {list_leaf, loop_iter, &lr};
        rc = fx_run(x->c, ti->items, &r);
    } else {
        rc = 0;
        for (xmlNodePtr k = t->children; k && rc == 0; k = k->next)
            rc = gen_node(x, out, k);
    }
    if (rc)
        return -1;
    if (ti->vmerge) {
        vfix V;
        memset(&V, 0, sizeof V);
        rc = each_row(x, out, vfix_row, &V);
        free(V.above);
        if (rc)
            return -1;
    }
    int drop = 0;
    if (fix_container(x, out, &drop))
        return -1;
    if (drop) {
        xmlUnlinkNode(out);
        xmlFreeNode(out);
        return 0;
    }
    return mark_region(x, out, t);
}

/* ==================================================================== */
/* parts                                                                  */

static unsigned max_docpr(xmlNodePtr root)
{
    unsigned m = 0;
    xmlNodePtr n = root;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && fx_is(n, "docPr")) {
            const xmlChar *id = fx_attr(n, "id");
            unsigned long v = id ? strtoul((const char *)id, NULL, 10) : 0;
            if (v > m && v < 0x7fffffff)
                m = (unsigned)v;
        }
        n = fx_walk_next(n, root, 1);
    }
    return m;
}

static int fill_part(fx_ctx *c, fx_entry *e)
{
    if (!fx_maybe_tags((const char *)e->data, e->len))
        return 0;
    c->part = e->name;
    c->located = 0;
    xmlDocPtr doc = fx_xml_parse(c, e);
    if (!doc)
        return c->err->code;
    dx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    int rc = compile(&x, root);
    dx_info *ri = root->_private;
    if (rc || !ri || !ri->dyn) {
        xmlFreeDoc(doc);
        return rc;
    }
    rc = fx_eval_begin(c);
    x.nloops = x.next_loop;
    x.serial = calloc((size_t)x.nloops + 1, sizeof *x.serial);
    x.index = malloc(((size_t)x.nloops + 1) * sizeof *x.index);
    if (rc == 0 && (!x.serial || !x.index))
        rc = fx_oom(c);
    for (int i = 0; x.index && i <= x.nloops; i++)
        x.index[i] = -1;
    x.k.c = c;
    x.k.doc = doc;
    x.k.root = root;
    x.k.word = 1;
    x.k.max_docpr = max_docpr(root);
    if (rc == 0) {
        /* regenerate the root's children in place: the root keeps the
         * namespace declarations every copy shares */
        xmlNodePtr old = root->children;
        root->children = root->last = NULL;
        if (ri->kind == K_LIST) {
            list_run lr = {&x, root};
            fx_runner r = {list_leaf, loop_iter, &lr};
            rc = fx_run(c, ri->items, &r);
        } else {
            for (xmlNodePtr k = old; k && rc == 0; k = k->next)
                rc = gen_node(&x, root, k);
        }
        int drop;
        if (rc == 0)
            rc = fix_container(&x, root, &drop);
        /* the template's nodes go */
        while (old) {
            xmlNodePtr next = old->next;
            old->parent = NULL;
            old->next = old->prev = NULL;
            xmlFreeNode(old);
            old = next;
        }
    }
    fx_eval_end(c);
    free(x.serial);
    free(x.index);
    if (rc == 0)
        rc = fx_xml_store(c, e, doc);
    xmlFreeDoc(doc);
    return rc;
}

static const fx_kind word_kind = {
    "a Word document", "word/document.xml", "word/", {"wordprocessingml", "ms-word"},
    "its main part is not a Word body", "spreadsheetml", "xl/workbook.xml",
    " (it is an Excel workbook: name it .xlsx)"};

int fx_docx(fx_ctx *c)
{
    char *main_name = fx_main_part(c, &word_kind);
    if (!main_name)
        return c->err->code;
    fx_entry *doc = fx_pkg_find(&c->pkg, main_name);
    fx_rel *rels = NULL;
    int n = 0;
    int rc = fill_part(c, doc);
    /* headers, footers, footnotes and endnotes of the main part */
    if (rc == 0 && fx_rels_read(c, main_name, &rels, &n) == 0) {
        for (int i = 0; i < n && rc == 0; i++) {
            const char *t = rels[i].type;
            if (strcmp(t, "header") && strcmp(t, "footer") && strcmp(t, "footnotes") &&
                strcmp(t, "endnotes"))
                continue;
            fx_entry *e = fx_pkg_find(&c->pkg, rels[i].target);
            if (e && e != doc)
                rc = fill_part(c, e);
        }
        fx_rels_free(rels, n);
    } else if (rc == 0) {
        rc = c->err->code;
    }
    free(main_name);
    return rc;
}
