/*
 * Word templates: compiling a part (word/document.xml, a header, footer,
 * footnotes or endnotes; fill_docx_part.c says which and when).
 *
 * - Paragraphs. The text of a paragraph is the text of its w:t elements
 *   ("slots"), whatever runs, hyperlinks, proofing marks or bookmarks lie
 *   between them. Tags are found in that text, so a tag split over runs by
 *   Word or WPS is still one tag; its output goes to the run where it
 *   starts, with that run's formatting. A paragraph becomes a list of
 *   tokens: literal pieces, values, other run content ("leaves": tabs,
 *   pictures, breaks) and statement tags. When its statements open and
 *   close inside it, they are built into its own program.
 * - Lists. A paragraph holding only a {%p … %} tag and a table row holding
 *   a {%tr … %} tag are statements over their siblings: the items of their
 *   parent's child list (body, table cell, table, header …). They are not
 *   output themselves.
 * - Flows. A statement opened in one paragraph and closed in a later one
 *   (docxtpl's plain {% if %} … {% endif %} over several paragraphs, cells
 *   or rows) means what it means in docxtpl: the XML between the tags
 *   repeats or goes. The paragraphs it crosses, and the cells, rows and
 *   tables around them up to the list that holds both ends, become tokens
 *   of that list: "open this element", "close it", with the paragraphs'
 *   tokens between. Every branch of a block must close what it opens (a
 *   loop from the middle of one paragraph to the middle of another closes
 *   one paragraph and opens one), so any number of iterations gives a
 *   well-formed document; a block from a body paragraph into a table cell
 *   is refused. {%- at the start of a paragraph and -%} at its end join it
 *   with the paragraph before or after, as in docxtpl.
 *
 * Tables and merges: fill_docx_table.c; generating: fill_docx_gen.c.
 */
#include <stdlib.h>
#include <string.h>

#include "fill_docx.h"

static const char W_NS[] = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
static const char W_NS_STRICT[] = "http://purl.oclc.org/ooxml/wordprocessingml/main";

int dx_is_w(const xmlNode *n, const char *name)
{
    if (!fx_is(n, name) || !n->ns || !n->ns->href)
        return 0;
    const char *h = (const char *)n->ns->href;
    return strcmp(h, W_NS) == 0 || strcmp(h, W_NS_STRICT) == 0;
}

int dx_in_w(const xmlNode *n)
{
    if (n->type != XML_ELEMENT_NODE || !n->ns || !n->ns->href)
        return 0;
    const char *h = (const char *)n->ns->href;
    return strcmp(h, W_NS) == 0 || strcmp(h, W_NS_STRICT) == 0;
}

dx_info *dx_info_of(dx *x, xmlNodePtr n)
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

long dx_wval(const xmlNode *n, const char *child, long dflt)
{
    if (n && fx_frozen(n)) /* a frozen w:tcPr: read the template's */
        n = fx_frozen(n);
    xmlNodePtr k = n ? fx_child(n, child) : NULL;
    const xmlChar *v = k ? fx_attr(k, "val") : NULL;
    return v ? strtol((const char *)v, NULL, 10) : dflt;
}

static const char *describe(const xmlNode *n)
{
    static const struct {
        const char *name, *what;
    } names[] = {{"document", "the document"},
                 {"body", "the document body"},
                 {"tc", "this table cell"},
                 {"tbl", "this table"},
                 {"tr", "this table row"},
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

/* ---- tokens ------------------------------------------------------------ */

typedef struct toks {
    fx_op **v;
    int n, cap;
} toks;

static int tok_push(dx *x, toks *T, fx_op *op)
{
    if (T->n == T->cap) {
        int cap = T->cap ? T->cap * 2 : 16;
        fx_op **v = realloc(T->v, (size_t)cap * sizeof *v);
        if (!v)
            return fx_oom(x->c);
        T->v = v;
        T->cap = cap;
    }
    T->v[T->n++] = op;
    return 0;
}

static fx_op *tok_new(dx *x, toks *T, int kind, xmlNodePtr node)
{
    fx_op *op = lexp__arena_zalloc(&x->c->A, sizeof *op);
    if (!op) {
        fx_oom(x->c);
        return NULL;
    }
    op->kind = (uint8_t)kind;
    op->node = node;
    return tok_push(x, T, op) ? NULL : op;
}

/* Move the tokens into the arena. */
static int tok_done(dx *x, toks *T, fx_op ***out, int *n)
{
    *out = NULL;
    *n = T->n;
    if (T->n) {
        *out = lexp__arena_alloc(&x->c->A, (size_t)T->n * sizeof **out);
        if (!*out) {
            free(T->v);
            return fx_oom(x->c);
        }
        memcpy(*out, T->v, (size_t)T->n * sizeof **out);
    }
    free(T->v);
    memset(T, 0, sizeof *T);
    return 0;
}

/* 1 when the statement tags among the tokens open and close among them. */
static int tags_balance(fx_op *const *t, int n)
{
    uint8_t st[FX_MAX_NEST];
    int d = 0;
    for (int i = 0; i < n; i++) {
        if (t[i]->kind != OP_TAG)
            continue;
        switch (t[i]->tag->t.kind) {
        case TAG_FOR:
        case TAG_IF:
            if (d == FX_MAX_NEST)
                return 1; /* the builder reports it */
            st[d++] = (uint8_t)t[i]->tag->t.kind;
            break;
        case TAG_ELIF:
        case TAG_ELSE:
            if (!d)
                return 0;
            break;
        case TAG_ENDFOR:
            if (!d || st[--d] != TAG_FOR)
                return 0;
            break;
        case TAG_ENDIF:
            if (!d || st[--d] != TAG_IF)
                return 0;
            break;
        default: break;
        }
    }
    return d == 0;
}

/* A line break in a run (what {%- and -%} take with them). */
static int is_break(const xmlNode *leaf)
{
    if (dx_is_w(leaf, "cr"))
        return 1;
    if (!dx_is_w(leaf, "br"))
        return 0;
    const xmlChar *t = fx_attr(leaf, "type");
    return !t || strcmp((const char *)t, "textWrapping") == 0;
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
    dx_info *i = dx_info_of(x, leaf);
    if (!i)
        return -1;
    int k = p->nleaves++;
    i->leaf = k;
    i->owner = p;
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
    dx_info *i = dx_info_of(x, n);
    if (!i)
        return -1;
    i->lo = cl->p->nleaves;
    if (dx_is_w(n, "r")) {
        for (xmlNodePtr k = n->children; k; k = k->next) {
            if (k->type != XML_ELEMENT_NODE || dx_is_w(k, "rPr"))
                continue;
            if (dx_is_w(k, "lastRenderedPageBreak")) { /* stale once text changes */
                dx_info *ki = dx_info_of(x, k);
                if (!ki)
                    return -1;
                ki->leaf = -2;
                continue;
            }
            if (add_leaf(x, cl, k, unit, dx_is_w(k, "t")))
                return -1;
        }
    } else if (dx_in_w(n) && !dx_is_w(n, "pPr") && !dx_is_w(n, "rPr") && !dx_is_w(n, "sdtPr")) {
        for (xmlNodePtr k = n->children; k; k = k->next)
            if (k->type == XML_ELEMENT_NODE && collect_leaves(x, cl, k, unit))
                return -1;
    }
    i->hi = cl->p->nleaves;
    i->owner = cl->p;
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
        if (dx_is_w(n, name))
            return n;
    return NULL;
}

static int count_content(dx *x, xmlNodePtr p)
{
    for (xmlNodePtr a = p->parent; a && a->type == XML_ELEMENT_NODE; a = a->parent)
        if (dx_is_w(a, "tr")) {
            dx_info *i = dx_info_of(x, a);
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
        if (ki && (ki->dyn || ki->marker || ki->dropped))
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
    dx_info *pi = dx_info_of(x, p);
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
        if (u->type != XML_ELEMENT_NODE || dx_is_w(u, "pPr"))
            continue;
        if (dx_is_w(u, "proofErr")) { /* spelling marks: meaningless once filled */
            dx_info *ui = dx_info_of(x, u);
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
    if (rc == 0 && fx_maybe_tags(text, tlen)) {
        uint8_t *stops = calloc(tlen + 1, 1);
        if (!stops)
            rc = fx_oom(c);
        for (int l = 0; stops && l < para->nleaves; l++)
            if (para->slot[l]) {
                stops[cl.slot_start[l]] = 1;
                stops[cl.slot_end[l]] = 1;
            }
        c->stops = stops;
        if (rc == 0)
            rc = fx_scan_text(c, text, tlen, line, "this paragraph", &sc);
        c->stops = NULL;
        free(stops);
    }
    if (rc)
        goto done;
    /* docxtpl's {#p #}, {#tr #} and {#tc #}: the paragraph, row or cell goes */
    for (int i = 0; i < sc.ntags; i++) {
        const fx_tag *t = &sc.tags[i];
        if (!t->comment || t->end - t->start < 6)
            continue;
        const char *in = text + t->start + 2;
        const char *what = in[0] == 'p' && in[1] == ' '                    ? "p"
                           : (in[0] == 't' && (in[1] == 'r' || in[1] == 'c') && in[2] == ' ')
                               ? (in[1] == 'r' ? "tr" : "tc")
                               : NULL;
        xmlNodePtr gone = !what ? NULL : what[0] == 'p' ? p : ancestor(p, what);
        if (what && !gone) {
            rc = fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                         "'{#%s #}' outside a table %s: it removes the %s it is in (use {# #} "
                         "for a comment in the text)",
                         what, what[1] == 'r' ? "row" : "cell", what[1] == 'r' ? "row" : "cell");
            goto done;
        }
        if (gone) {
            dx_info *gi = dx_info_of(x, gone);
            if (!gi) {
                rc = -1;
                goto done;
            }
            gi->dropped = 1;
            rc = 0;
            goto done;
        }
    }
    int nscoped = 0, ninline = 0;
    const fx_tag *scoped = NULL;
    for (int i = 0; i < sc.ntags; i++) {
        const fx_tag *t = &sc.tags[i];
        if (t->cell) {
            /* docxtpl's cell tags: they set their cell's properties */
            xmlNodePtr tc = ancestor(p, "tc");
            dx_info *ci = tc ? dx_info_of(x, tc) : NULL;
            static const char *const names[] = {"vm", "hm", "colspan", "cellbg"};
            const char *name = names[t->cell == 'v' ? 0 : t->cell == 'h' ? 1 : t->cell == 's' ? 2 : 3];
            if (!tc) {
                rc = fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                             "'{%% %s %%}' outside a table cell: it sets the cell it is in", name);
                goto done;
            }
            if (!ci) {
                rc = -1;
                goto done;
            }
            if (t->cell == 'v')
                ci->vm = t;
            else if (t->cell == 'h')
                ci->hm = 1;
            else if (t->cell == 's')
                ci->colspan = t;
            else
                ci->cellbg = t;
            ci->dyn = 1;
            if (ci->kind == K_COPY)
                ci->kind = K_PASS;
        }
    }
    for (int i = 0; i < sc.ntags; i++) {
        if (sc.tags[i].comment || sc.tags[i].cell)
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
                         t->scope == 'p' ? "{%p %}" : t->scope == 'c' ? "{%tc %}" : "{%tr %}",
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
        } else if (scoped->scope == 'c') {
            xmlNodePtr tc = ancestor(p, "tc");
            if (!tc) {
                rc = fx_fail(c, LEXP_ESYNTAX, scoped->line, scoped->col,
                             "'{%%tc %%}' outside a table cell: a {%%tc %%} tag sits in the "
                             "cell it removes (use {%%p %%} for paragraphs)");
                goto done;
            }
            dx_info *ci = dx_info_of(x, tc);
            if (!ci) {
                rc = -1;
                goto done;
            }
            if (ci->tag) {
                rc = fx_fail(c, LEXP_ESYNTAX, scoped->line, scoped->col,
                             "a second '{%%tc %%}' tag in one table cell (the first is at "
                             "%d:%d): each statement needs a cell of its own",
                             ci->tag->line, ci->tag->col);
                goto done;
            }
            ci->marker = 'c';
            ci->tag = scoped;
        } else {
            xmlNodePtr tr = ancestor(p, "tr");
            if (!tr) {
                rc = fx_fail(c, LEXP_ESYNTAX, scoped->line, scoped->col,
                             "'{%%tr %%}' outside a table row: a {%%tr %%} tag sits in a cell "
                             "of the row it removes (use {%%p %%} for paragraphs)");
                goto done;
            }
            dx_info *ti = dx_info_of(x, tr);
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
    pi->para = para;
    if (para->nleaves > INT32_MAX - x->nleaves) { /* beyond any part the limits let in */
        rc = fx_fail(c, LEXP_ELIMIT, line, 0, "the part has too many runs");
        goto done;
    }
    para->base = x->nleaves;
    x->nleaves += para->nleaves;
    /* the tokens: pieces of each slot in order, other leaves between, tags */
    {
        char *ctext = lexp__arena_strndup(&c->A, text, tlen);
        if (!ctext) {
            rc = fx_oom(c);
            goto done;
        }
        fx_lit whole = {0, tlen};
        const fx_lit *lits = sc.nlits || sc.ntags ? sc.lits : &whole;
        int nlits = sc.nlits || sc.ntags ? sc.nlits : 1;
        toks T = {0};
        int li = 0, ti = 0, skip_br = 0, seen = 0, last_tag = 0;
        for (int l = 0; l < para->nleaves && rc == 0; l++) {
            if (!para->slot[l]) {
                if (skip_br && is_break(para->leaf[l]))
                    continue;
                fx_op *op = tok_new(x, &T, OP_LEAF, NULL);
                if (!op)
                    rc = -1;
                else {
                    op->slot = l;
                    op->para = para;
                }
                continue;
            }
            size_t s0 = cl.slot_start[l], s1 = cl.slot_end[l];
            /* literal ranges and tags that start in [s0, s1), by position */
            for (;;) {
                while (li < nlits && lits[li].start + lits[li].len <= s0)
                    li++;
                while (ti < sc.ntags && sc.tags[ti].start < s0)
                    ti++;
                size_t lpos = li < nlits ? (lits[li].start > s0 ? lits[li].start : s0)
                                         : (size_t)-1;
                size_t tpos = ti < sc.ntags ? sc.tags[ti].start : (size_t)-1;
                if ((lpos >= s1 || lpos == (size_t)-1) && (tpos >= s1 || tpos == (size_t)-1))
                    break;
                if (tpos < lpos) {
                    const fx_tag *t = &sc.tags[ti++];
                    if (t->comment || t->cell)
                        continue;
                    if (t->t.kind == TAG_EXPR) {
                        fx_op *op = tok_new(x, &T, OP_EXPR, NULL);
                        if (!op) {
                            rc = -1;
                            break;
                        }
                        op->slot = l;
                        op->tag = t;
                        op->para = para;
                        skip_br = 0;
                        seen = 1;
                        continue;
                    }
                    /* docxtpl: {%- takes the line breaks before it, -%} those after */
                    if (t->trim_l)
                        while (T.n && T.v[T.n - 1]->kind == OP_LEAF &&
                               is_break(para->leaf[T.v[T.n - 1]->slot]))
                            T.n--;
                    if (t->trim_l && !seen)
                        pi->join_prev = 1;
                    fx_op *op = tok_new(x, &T, OP_TAG, NULL);
                    if (!op) {
                        rc = -1;
                        break;
                    }
                    op->tag = t;
                    skip_br = t->trim_r;
                    seen = 1;
                    last_tag = T.n;
                    continue;
                }
                /* literal piece: from lpos to the end of the range or the slot */
                size_t le = lits[li].start + lits[li].len;
                if (le > s1)
                    le = s1;
                fx_op *op = tok_new(x, &T, OP_TEXT, NULL);
                if (!op) {
                    rc = -1;
                    break;
                }
                op->slot = l;
                op->para = para;
                op->s = ctext + lpos;
                op->n = (uint32_t)(le - lpos);
                skip_br = 0;
                seen = 1;
                if (le == lits[li].start + lits[li].len)
                    li++;
                else
                    break; /* continues in the next slot */
            }
        }
        if (rc == 0 && last_tag) {
            /* -%} with nothing but leaves after it joins the next paragraph */
            const fx_op *lt = T.v[last_tag - 1];
            int after = 0;
            for (int i = last_tag; i < T.n; i++)
                if (T.v[i]->kind != OP_LEAF)
                    after = 1;
            if (lt->tag->trim_r && !after)
                pi->join_next = 1;
        }
        if (rc == 0)
            rc = tok_done(x, &T, &pi->toks, &pi->ntoks);
        else
            free(T.v);
        if (rc)
            goto done;
    }
    if (sc.ntags == 0 && !sc.escapes) {
        /* no tags of its own: copy it, filling whatever it nests (its tokens
         * serve when a neighbour joins it) */
        rc = compile_children(x, p, pi);
        goto done;
    }
    pi->dyn = 1;
    if (!tags_balance(pi->toks, pi->ntoks) || pi->join_prev || pi->join_next) {
        pi->open = 1; /* a block crosses this paragraph: its parent's flow */
    } else {
        fx_builder b;
        fx_build_init(&b, c, "this paragraph", &x->next_loop);
        b.word = 1;
        for (int i = 0; i < pi->ntoks && rc == 0; i++) {
            fx_op *op = pi->toks[i];
            if (op->kind == OP_TAG)
                rc = fx_build_tag(&b, op->tag, NULL);
            else
                fx_build_add(&b, op);
        }
        if (rc == 0)
            rc = fx_build_end(&b, &pi->items);
        if (rc)
            goto done;
        pi->kind = K_PARA;
    }
    /* text boxes and the like inside the paragraph's leaves */
    for (int l = 0; l < para->nleaves && rc == 0; l++)
        if (!para->slot[l] && para->leaf[l]->type == XML_ELEMENT_NODE) {
            xmlNodePtr lf = para->leaf[l];
            for (xmlNodePtr k = lf->children; k && rc == 0; k = k->next)
                if (k->type == XML_ELEMENT_NODE) {
                    rc = dx_compile_root(x, k);
                    dx_info *ki = k->_private;
                    if (rc == 0 && ki && (ki->dyn || ki->marker)) {
                        dx_info *li2 = lf->_private;
                        li2->dyn = 1;
                        li2->kind = K_PASS;
                    }
                }
        }
done:
    lexp__sbuf_free(&cl.text);
    free(cl.slot_start);
    free(cl.slot_end);
    return rc;
}

/* ---- flows --------------------------------------------------------------- */

#define DX_MAX_PATH 64

/* What a flow has open at each statement, so every branch closes what it
 * opens (the element names along the path must agree too). */
typedef struct flowchk {
    xmlNodePtr path[DX_MAX_PATH];
    int level;
    struct {
        int level;
        xmlNodePtr path[DX_MAX_PATH];
    } fr[FX_MAX_NEST];
} flowchk;

static const char *place_of(xmlNodePtr const *path, int level, xmlNodePtr list)
{
    for (int i = level; i-- > 0;)
        if (!dx_is_w(path[i], "p"))
            return describe(path[i]);
    return describe(list);
}

static const char *scope_open(int scope)
{
    return scope == 'p' ? "{%p" : scope == 't' ? "{%tr" : scope == 'c' ? "{%tc" : "{%";
}

static int flow_check(fx_ctx *c, flowchk *F, int fi, const fx_tag *t, const fx_tag *open,
                      xmlNodePtr list)
{
    int same = F->fr[fi].level == F->level;
    for (int i = 0; same && i < F->level; i++)
        same = xmlStrEqual(F->path[i]->name, F->fr[fi].path[i]->name);
    if (same)
        return 0;
    const char *word = t->t.kind == TAG_ENDFOR ? "endfor"
                       : t->t.kind == TAG_ENDIF ? "endif"
                       : t->t.kind == TAG_ELIF  ? "elif"
                                                : "else";
    return fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                   "'%s %s %%}' is in %s, but the '%s %s %%}' it belongs to (at %d:%d) is in "
                   "%s: a block that spans paragraphs, cells or rows opens and closes at the "
                   "same depth (both in paragraphs of one body or cell, or both in cells of "
                   "one table)",
                   scope_open(t->scope), word, place_of(F->path, F->level, list),
                   scope_open(open->scope), open->t.kind == TAG_FOR ? "for" : "if", open->line,
                   open->col,
                   place_of(F->fr[fi].path, F->fr[fi].level, list));
}

static void set_loop(xmlNodePtr n, fx_op *loop)
{
    dx_info *i = n ? n->_private : NULL;
    if (i)
        i->loop = loop;
}

/* Build the statements of a list (a flow, or a list with marker items). */
static int build_flow(dx *x, xmlNodePtr n, dx_info *ni, fx_op **t, int nt)
{
    fx_ctx *c = x->c;
    flowchk *F = calloc(1, sizeof *F);
    const fx_tag **opener = calloc(FX_MAX_NEST + 1, sizeof *opener);
    if (!F || !opener) {
        free(F);
        free(opener);
        return fx_oom(c);
    }
    fx_builder b;
    fx_build_init(&b, c, describe(n), &x->next_loop);
    b.word = 1;
    int rc = 0;
    for (int i = 0; i < nt && rc == 0; i++) {
        fx_op *op = t[i];
        switch (op->kind) {
        case OP_TAG: {
            int d0 = b.depth, k = op->tag->t.kind;
            fx_op *loop = NULL;
            if ((rc = fx_build_tag(&b, op->tag, &loop)))
                break;
            set_loop(op->node, loop); /* a marker row: the loop around it */
            if (b.depth > d0) {
                F->fr[d0].level = F->level;
                memcpy(F->fr[d0].path, F->path, (size_t)F->level * sizeof *F->path);
                opener[d0] = op->tag;
            } else if (k == TAG_ELIF || k == TAG_ELSE) {
                rc = flow_check(c, F, b.depth - 1, op->tag, opener[b.depth - 1], n);
            } else if (b.depth < d0) {
                rc = flow_check(c, F, b.depth, op->tag, opener[b.depth], n);
            }
            break;
        }
        case OP_OPEN:
            if (F->level == DX_MAX_PATH) {
                rc = fx_fail(c, LEXP_ELIMIT, 0, 0,
                             "a block spans more than %d nested elements", DX_MAX_PATH);
                break;
            }
            F->path[F->level++] = op->node;
            if (dx_is_w(op->node, "tr") || dx_is_w(op->node, "tc"))
                set_loop(op->node, fx_build_loop(&b));
            fx_build_add(&b, op);
            break;
        case OP_CLOSE:
            F->level--;
            fx_build_add(&b, op);
            break;
        default:
            if (!op->para && op->node &&
                (dx_is_w(op->node, "tr") || dx_is_w(op->node, "tc"))) {
                dx_info *ri = dx_info_of(x, op->node);
                if (!ri) {
                    rc = -1;
                    break;
                }
                ri->loop = fx_build_loop(&b);
            }
            fx_build_add(&b, op);
            break;
        }
    }
    if (rc == 0)
        rc = fx_build_end(&b, &ni->items);
    free(F);
    free(opener);
    if (rc)
        return -1;
    ni->kind = K_LIST;
    ni->dyn = 1;
    /* tables a flow opens have their merge regions too */
    for (int i = 0; i < nt; i++)
        if (t[i]->kind == OP_OPEN && dx_is_w(t[i]->node, "tbl") &&
            dx_table_regions(x, t[i]->node, t[i]->node->_private))
            return -1;
    if (dx_is_w(n, "tbl"))
        return dx_table_regions(x, n, ni);
    return 0;
}

static int has_slots(const dx_para *p)
{
    for (int l = 0; p && l < p->nleaves; l++)
        if (p->slot[l])
            return 1;
    return 0;
}

static int ends_section(const xmlNode *p)
{
    xmlNodePtr ppr = fx_child(p, "pPr");
    return ppr && fx_child(ppr, "sectPr");
}

static int joinable(const xmlNode *q)
{
    const dx_info *qi = q->_private;
    return dx_is_w(q, "p") && qi && !qi->marker && !qi->dropped && qi->para;
}

/* {%- first in a paragraph joins it to the paragraph before (the empty ones
 * between go); -%} last joins the one after. A section's last paragraph is
 * never joined away. */
static void plan_joins(xmlNodePtr n)
{
    for (xmlNodePtr k = n->children; k; k = k->next) {
        dx_info *ki = k->_private;
        if (!ki || !joinable(k))
            continue;
        for (int dir = 0; dir < 2; dir++) {
            if (dir == 0 ? !ki->join_prev || ki->no_open : !ki->join_next || ki->no_close)
                continue;
            xmlNodePtr target = NULL, q;
            for (q = dir == 0 ? k->prev : k->next; q; q = dir == 0 ? q->prev : q->next) {
                if (q->type != XML_ELEMENT_NODE)
                    continue;
                if (!joinable(q))
                    break;
                if (has_slots(((dx_info *)q->_private)->para)) {
                    target = q;
                    break;
                }
                if (ends_section(q))
                    break;
            }
            xmlNodePtr later = dir == 0 ? k : target; /* loses its start */
            if (!target || ends_section(later) || ends_section(dir == 0 ? target : k))
                continue;
            for (q = dir == 0 ? target->next : k->next; q && q != (dir == 0 ? k : target);
                 q = q->next)
                if (q->_private)
                    ((dx_info *)q->_private)->eaten = 1;
            dx_info *ei = (dx_info *)(dir == 0 ? target : k)->_private;
            dx_info *li = (dx_info *)later->_private;
            ei->open = li->open = 1;
            ei->dyn = li->dyn = 1;
            ei->no_close = 1;
            li->no_open = 1;
        }
    }
}

/* A paragraph's own program from its tokens. */
static int build_para(dx *x, dx_info *pi)
{
    fx_builder b;
    fx_build_init(&b, x->c, "this paragraph", &x->next_loop);
    b.word = 1;
    int rc = 0;
    for (int i = 0; i < pi->ntoks && rc == 0; i++) {
        fx_op *op = pi->toks[i];
        if (op->kind == OP_TAG)
            rc = fx_build_tag(&b, op->tag, NULL);
        else
            fx_build_add(&b, op);
    }
    if (rc == 0)
        rc = fx_build_end(&b, &pi->items);
    if (rc == 0) {
        pi->kind = K_PARA;
        pi->dyn = 1;
        pi->open = 0;
    }
    return rc;
}

/* ---- lists ------------------------------------------------------------- */

static int compile(dx *x, xmlNodePtr n)
{
    if (dx_is_w(n, "p"))
        return compile_para(x, n);
    dx_info *ni = dx_info_of(x, n);
    if (!ni)
        return -1;
    if (compile_children(x, n, ni))
        return -1;
    int flow = 0;
    for (xmlNodePtr k = n->children; k && !flow; k = k->next) {
        dx_info *ki = k->_private;
        flow = ki && (ki->marker || ki->open || ki->join_prev || ki->join_next);
        if (ki && ki->dropped && !ki->marker && dx_is_w(k, "p"))
            ki->open = 0; /* its own tags went with it */
    }
    if (!flow)
        return 0;
    plan_joins(n);
    toks T = {0};
    for (xmlNodePtr k = n->children; k; k = k->next) {
        dx_info *ki = k->_private;
        if (ki && (ki->eaten || ki->dropped))
            continue;
        if (ki && ki->marker) {
            if (ki->marker == 't' && ki->content > 0) {
                free(T.v);
                return fx_fail(x->c, LEXP_ESYNTAX, ki->tag->line, ki->tag->col,
                               "a '{%%tr %%}' tag stands alone in its table row, which is "
                               "removed; this row holds other text or tags as well");
            }
            fx_op *op = tok_new(x, &T, OP_TAG, k);
            if (!op)
                goto fail;
            op->tag = ki->tag;
            continue;
        }
        if (ki && ki->open) {
            if (!ki->no_open && !tok_new(x, &T, OP_OPEN, k))
                goto fail;
            int from = 0;
            if (ki->no_open && ki->para) /* joined: its leading line breaks go */
                while (from < ki->ntoks && ki->toks[from]->kind == OP_LEAF &&
                       is_break(ki->para->leaf[ki->toks[from]->slot]))
                    from++;
            for (int i = from; i < ki->ntoks; i++)
                if (tok_push(x, &T, ki->toks[i]))
                    goto fail;
            if (!ki->no_close && !tok_new(x, &T, OP_CLOSE, k))
                goto fail;
            continue;
        }
        if (!tok_new(x, &T, OP_LEAF, k))
            goto fail;
    }
    fx_op **t;
    int nt;
    if (tok_done(x, &T, &t, &nt))
        return -1;
    ni->dyn = 1;
    if (ni->kind == K_COPY)
        ni->kind = K_PASS;
    if (!tags_balance(t, nt)) { /* a block crosses this element too */
        ni->open = 1;
        ni->toks = t;
        ni->ntoks = nt;
        return 0;
    }
    return build_flow(x, n, ni, t, nt);
fail:
    free(T.v);
    return -1;
}

/* Compile a node whose blocks must close inside it: a part's root, a text
 * box's content. */
int dx_compile_root(dx *x, xmlNodePtr n)
{
    if (compile(x, n))
        return -1;
    dx_info *ni = n->_private;
    if (!ni || !ni->open)
        return 0;
    if (dx_is_w(n, "p"))
        return build_para(x, ni);
    ni->open = 0;
    return build_flow(x, n, ni, ni->toks, ni->ntoks);
}
