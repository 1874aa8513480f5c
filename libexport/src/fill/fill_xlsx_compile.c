/* Excel templates (fill_xlsx.h lists the files). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill_xlsx.h"

/* ==================================================================== */
/* compiling a sheet                                                      */

int xs_sst_load(xs_book *B, const char *part)
{
    fx_ctx *c = B->c;
    fx_entry *e = fx_pkg_find(&c->pkg, part);
    if (!e || !fx_entry_tags(e))
        return 0;
    c->part = e->name;
    c->located = 0;
    xmlDocPtr doc = fx_xml_parse(c, e);
    if (!doc)
        return -1;
    uint32_t n = 0;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr k = root->children; k; k = k->next)
        n += fx_is(k, "si");
    B->sst = calloc(n ? n : 1, sizeof *B->sst);
    int rc = B->sst ? 0 : fx_oom(c);
    for (xmlNodePtr k = root->children; k && rc == 0; k = k->next) {
        if (!fx_is(k, "si"))
            continue;
        lexp__sbuf b = LEXP__SBUF_INIT;
        xs_rich_text(k, &b);
        lexp__sbuf_cstr(&b);
        if (b.oom) {
            lexp__sbuf_free(&b);
            rc = fx_oom(c);
            break;
        }
        B->sst[B->nsst++] = b.ptr ? b.ptr : NULL;
    }
    B->sst_tags = 1;
    xmlFreeDoc(doc);
    return rc;
}

/* The template text of a cell, if it is text (shared or inline). */
static const char *cell_text(xs_book *B, xmlNodePtr cell, char **owned)
{
    *owned = NULL;
    const xmlChar *t = fx_attr(cell, "t");
    if (!t)
        return NULL;
    if (strcmp((const char *)t, "s") == 0) {
        if (!B->sst_tags)
            return NULL;
        xmlNodePtr v = fx_child(cell, "v");
        if (!v)
            return NULL;
        char *s = xs_text_dup(v);
        if (!s)
            return NULL;
        char *end;
        unsigned long i = strtoul(s, &end, 10);
        int ok = end != s && i < B->nsst;
        free(s);
        return ok ? B->sst[i] : NULL;
    }
    if (strcmp((const char *)t, "inlineStr") == 0) {
        xmlNodePtr is = fx_child(cell, "is");
        if (!is)
            return NULL;
        lexp__sbuf b = LEXP__SBUF_INIT;
        xs_rich_text(is, &b);
        lexp__sbuf_cstr(&b);
        *owned = b.ptr;
        return b.ptr;
    }
    return NULL;
}

static int all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

static int is_open(int k) { return k == TAG_FOR || k == TAG_IF; }
static int is_close(int k) { return k == TAG_ENDFOR || k == TAG_ENDIF; }

/* A block that opens in a cell holding more than its tag must close there:
 * say how blocks over rows and columns are written instead. */
static int unbalanced(fx_ctx *c, const fx_scan *sc)
{
    const fx_tag *open[FX_MAX_NEST];
    int depth = 0;
    for (int i = 0; i < sc->ntags; i++) {
        const fx_tag *t = &sc->tags[i];
        if (t->comment || t->scope)
            continue;
        const char *w = t->t.kind == TAG_ENDFOR ? "for" : "if";
        if (is_open(t->t.kind) && depth < FX_MAX_NEST)
            open[depth++] = t;
        else if (is_close(t->t.kind) && depth)
            depth--;
        else if (is_close(t->t.kind))
            return fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                           "'{%% end%s %%}' closes no '{%% %s %%}' of this cell, which holds "
                           "more than the tag: to end a block over rows or columns, put "
                           "'{%% end%s %%}' alone in its cell",
                           w, w, w);
    }
    if (!depth)
        return 0;
    const fx_tag *t = open[depth - 1];
    const char *w = t->t.kind == TAG_FOR ? "for" : "if";
    return fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                   "'{%% %s %%}' does not close in this cell, which holds more than the tag: "
                   "a block over rows has '{%% %s … %%}' alone in a cell and '{%% end%s %%}' "
                   "alone in a cell of a later row (in the same row, the columns between "
                   "repeat); an inline block closes in its cell",
                   w, w, w);
}

/* A cell's text with tags: its program, or the marker of its row. */
static int compile_cell(xs_book *B, xs_sheet *s, xs_row *row, xs_cell *cell, const char *text)
{
    fx_ctx *c = B->c;
    size_t n = strlen(text);
    c->cell_row = row->r;
    c->cell_col = cell->col;
    fx_scan sc;
    if (fx_scan_text(c, text, n, (int)row->r, "this cell", &sc))
        return -1;
    int ninline = 0, nexpr = 0, nrow = 0, lit = 0;
    const fx_tag *rowtag = NULL, *expr = NULL, *inl = NULL;
    for (int i = 0; i < sc.ntags; i++) {
        const fx_tag *t = &sc.tags[i];
        if (t->comment)
            continue;
        if (t->scope == 'p')
            return fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                           "'{%%p %%}' repeats Word paragraphs; in a workbook, put "
                           "'{%%tr … %%}' in a cell of a row of its own");
        if (t->cell)
            return fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                           "'{%% %s %%}' is a tag of Word tables; in a workbook, merge or "
                           "colour the template's cells in Excel",
                           t->cell == 'v' ? "vm" : t->cell == 'h' ? "hm" : t->cell == 's' ? "colspan" : "cellbg");
        if (t->scope == 'c')
            return fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                           "'{%%tc %%}' repeats Word table cells; in a workbook, put "
                           "'{%% for … %%}' and '{%% endfor %%}' each alone in a cell of one "
                           "row to repeat the columns between (rows: each in a row of its "
                           "own)");
        if (t->scope == 't') {
            nrow++;
            rowtag = t;
        } else if (t->t.kind == TAG_EXPR) {
            nexpr++;
            expr = t;
        } else {
            ninline++;
            inl = t;
        }
    }
    for (int i = 0; i < sc.nlits; i++)
        if (!all_space(text + sc.lits[i].start, sc.lits[i].len))
            lit = 1;
    if (nrow) {
        if (nrow > 1 || ninline || nexpr || lit)
            return fx_fail(c, LEXP_ESYNTAX, rowtag->line, rowtag->col,
                           "a '{%%tr %%}' tag stands alone in its row, which is removed; this "
                           "cell also holds %s",
                           nrow > 1 ? "another such tag" : lit ? "text" : "other tags");
        if (row->tag)
            return fx_fail(c, LEXP_ESYNTAX, rowtag->line, rowtag->col,
                           "a second '{%%tr %%}' tag in row %u: each statement needs a row "
                           "of its own",
                           row->r);
        row->tag = rowtag;
        row->tag_cell = cell;
        s->tags = 1;
        cell->kind = XC_COPY;
        return 0;
    }
    if (ninline == 1 && !nexpr && !lit && !sc.escapes && inl->t.kind != TAG_SET) {
        /* alone in its cell: a statement over rows (or columns, decided
         * with the row's other cells) */
        cell->kind = XC_STMT;
        cell->stmt = inl;
        s->tags = 1;
        return 0;
    }
    if (ninline && unbalanced(c, &sc))
        return -1;
    if (!sc.ntags && !sc.escapes)
        return 0; /* braces, but no tag: plain text */
    s->tags = 1;
    if (nexpr == 1 && !ninline && !lit && !sc.escapes) {
        fx_op *op = lexp__arena_zalloc(&c->A, sizeof *op);
        if (!op)
            return fx_oom(c);
        op->kind = OP_EXPR;
        op->tag = expr;
        cell->kind = XC_TYPED;
        cell->prog = op;
        /* {{ "=SIN(1)" }}: the template's own string, so a formula; a value
         * from the data never is one (=HYPERLINK(…) stays text) */
        const lexp_expr *x = expr->t.expr;
        cell->as_formula = x && x->kind == EX_LIT && x->lit && x->lit->type == LV_STR &&
                           x->lit->len > 1 && x->lit->u.str[0] == '=';
        return 0;
    }
    /* mixed text: literal pieces and tags in order */
    char *ctext = lexp__arena_strndup(&c->A, text, n);
    if (!ctext)
        return fx_oom(c);
    fx_builder b;
    int ids = 0;
    fx_build_init(&b, c, "this cell", &ids);
    int li = 0, ti = 0;
    while (li < sc.nlits || ti < sc.ntags) {
        int take_tag = ti < sc.ntags && (li >= sc.nlits || sc.tags[ti].start < sc.lits[li].start);
        if (take_tag) {
            const fx_tag *t = &sc.tags[ti++];
            if (t->comment)
                continue;
            if (t->t.kind == TAG_EXPR) {
                fx_op *op = fx_build_item(&b, OP_EXPR);
                if (!op)
                    return -1;
                op->tag = t;
            } else if (fx_build_tag(&b, t, NULL)) {
                return -1;
            }
        } else {
            fx_op *op = fx_build_item(&b, OP_TEXT);
            if (!op)
                return -1;
            op->s = ctext + sc.lits[li].start;
            op->n = (uint32_t)sc.lits[li].len;
            li++;
        }
    }
    if (fx_build_end(&b, &cell->prog))
        return -1;
    cell->kind = XC_TEXT;
    /* the template's text starts with '=': a formula once filled */
    cell->as_formula = text[0] == '=' && sc.nlits && sc.lits[0].start == 0;
    return 0;
}


/* Tags in a formula (={{ f }}, =SUM(B{{ r }}:B9) as openpyxl or an
 * importer stores them): filled as text, then written as the formula. */
static int formula_tags(xs_book *B, xs_sheet *s, xs_row *row, xs_cell *cell)
{
    fx_ctx *c = B->c;
    size_t n = strlen(cell->formula);
    char *text = lexp__arena_zalloc(&c->A, n + 2);
    if (!text)
        return fx_oom(c);
    text[0] = '=';
    memcpy(text + 1, cell->formula, n);
    cell->kind = XC_COPY;
    if (compile_cell(B, s, row, cell, text))
        return -1;
    if (cell->kind == XC_COPY)
        cell->kind = XC_FORMULA; /* braces, but no tag */
    return 0;
}

const char *xs_tag_word(int k)
{
    return k == TAG_FOR      ? "for"
           : k == TAG_IF     ? "if"
           : k == TAG_ELIF   ? "elif"
           : k == TAG_ELSE   ? "else"
           : k == TAG_ENDFOR ? "endfor"
                             : "endif";
}

/* Block tags alone in cells: one in a row makes a statement over rows (as
 * '{%tr %}'); more make blocks over the row's columns. */
static int row_statements(fx_ctx *c, xs_row *row)
{
    int n = 0;
    xs_cell *first = NULL;
    for (int i = 0; i < row->ncells; i++)
        if (row->cells[i].kind == XC_STMT && n++ == 0)
            first = &row->cells[i];
    if (!n)
        return 0;
    if (row->tag)
        return fx_fail(c, LEXP_ESYNTAX, row->tag->line, row->tag->col,
                       "row %u holds a '{%%tr %%}' tag and a '{%% %s %%}' in another cell: "
                       "give each statement over rows a row of its own",
                       row->r, xs_tag_word(first->stmt->t.kind));
    if (n == 1) {
        row->tag = first->stmt;
        row->tag_cell = first;
        return 0;
    }
    row->cols = n;
    return 0;
}

int xs_sheet_compile(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    xmlNodePtr root = xmlDocGetRootElement(s->doc);
    s->sheetData = fx_child(root, "sheetData");
    if (!s->sheetData)
        return 0;
    int nrows = 0;
    for (xmlNodePtr r = s->sheetData->children; r; r = r->next)
        nrows += fx_is(r, "row");
    s->rows = lexp__arena_zalloc(&c->A, (size_t)(nrows ? nrows : 1) * sizeof *s->rows);
    if (!s->rows)
        return fx_oom(c);
    xs_shared *sh = NULL;
    int nsh = 0, capsh = 0, rc = 0;
    uint32_t prev = 0;
    for (xmlNodePtr r = s->sheetData->children; r && rc == 0; r = r->next) {
        if (!fx_is(r, "row"))
            continue;
        xs_row *row = &s->rows[s->nrows++];
        row->node = r;
        const xmlChar *ra = fx_attr(r, "r");
        unsigned long rn = ra ? strtoul((const char *)ra, NULL, 10) : prev + 1;
        if (rn <= prev || rn > FX_XLSX_MAX_ROWS) {
            rc = fx_fail(c, LEXP_ESYNTAX, 0, 0,
                         "row numbers must increase from 1 to %u; found row %lu after row %u",
                         FX_XLSX_MAX_ROWS, rn, prev);
            break;
        }
        row->r = (uint32_t)rn;
        prev = row->r;
        int ncells = 0;
        for (xmlNodePtr k = r->children; k; k = k->next)
            ncells += fx_is(k, "c");
        row->cells = lexp__arena_zalloc(&c->A, (size_t)(ncells ? ncells : 1) * sizeof *row->cells);
        if (!row->cells) {
            rc = fx_oom(c);
            break;
        }
        uint32_t pcol = 0;
        for (xmlNodePtr k = r->children; k && rc == 0; k = k->next) {
            if (!fx_is(k, "c"))
                continue;
            xs_cell *cell = &row->cells[row->ncells++];
            cell->node = k;
            const xmlChar *ref = fx_attr(k, "r");
            uint32_t rr, cc;
            if (ref && fx_cell_parse((const char *)ref, strlen((const char *)ref), &rr, &cc))
                cell->col = cc;
            else
                cell->col = pcol + 1;
            if (cell->col > FX_XLSX_MAX_COLS) {
                rc = fx_fail(c, LEXP_ESYNTAX, (int)row->r, 0, "a cell beyond column XFD");
                break;
            }
            pcol = cell->col;
            xmlNodePtr f = fx_child(k, "f");
            if (f) {
                cell->kind = XC_FORMULA;
                cell->f = f;
                const xmlChar *ft = fx_attr(f, "t");
                if (ft && strcmp((const char *)ft, "shared") == 0) {
                    const xmlChar *si = fx_attr(f, "si");
                    if (nsh == capsh) {
                        capsh = capsh ? capsh * 2 : 16;
                        xs_shared *v = realloc(sh, (size_t)capsh * sizeof *v);
                        if (!v) {
                            rc = fx_oom(c);
                            break;
                        }
                        sh = v;
                    }
                    char *txt = xs_text_dup(f);
                    if (!txt) {
                        rc = fx_oom(c);
                        break;
                    }
                    cell->formula = lexp__arena_strdup(&c->A, txt);
                    free(txt);
                    sh[nsh++] = (xs_shared){si ? (uint32_t)strtoul((const char *)si, NULL, 10) : 0,
                                         row->r, cell->col, cell->formula};
                } else {
                    char *txt = xs_text_dup(f);
                    cell->formula = txt ? lexp__arena_strdup(&c->A, txt) : NULL;
                    free(txt);
                    if (!cell->formula) {
                        rc = fx_oom(c);
                        break;
                    }
                }
                if (fx_maybe_tags(cell->formula, strlen(cell->formula)))
                    rc = formula_tags(B, s, row, cell);
                continue;
            }
            char *owned;
            const char *text = cell_text(B, k, &owned);
            if (text && fx_maybe_tags(text, strlen(text)))
                rc = compile_cell(B, s, row, cell, text);
            free(owned);
        }
        if (rc)
            break;
        if ((rc = row_statements(c, row)))
            break;
        if (row->tag) {
            for (int i = 0; i < row->ncells; i++) {
                if (&row->cells[i] == row->tag_cell)
                    continue;
                xmlNodePtr k = row->cells[i].node;
                char *owned;
                const char *text = cell_text(B, k, &owned);
                int has = row->cells[i].kind != XC_COPY || (fx_child(k, "v") && !text) ||
                          (text && !all_space(text, strlen(text))) || fx_child(k, "is");
                if (text && all_space(text, strlen(text)))
                    has = 0;
                free(owned);
                if (has && row->tag->scope == 0 &&
                    (row->tag->t.kind == TAG_ELSE || row->tag->t.kind == TAG_ELIF)) {
                    rc = fx_fail(c, LEXP_ESYNTAX, row->tag->line, row->tag->col,
                                 "'{%% %s %%}' between rows stands in a row of its own (which "
                                 "is removed); row %u holds other values as well",
                                 xs_tag_word(row->tag->t.kind), row->r);
                    break;
                }
                if (has && row->tag->scope == 0) {
                    /* the row goes with the block, its tag cell emptied */
                    row->keep = 1;
                    ((xs_cell *)row->tag_cell)->kind = XC_EMPTY;
                    break;
                }
                if (has) {
                    rc = fx_fail(c, LEXP_ESYNTAX, row->tag->line, row->tag->col,
                                 "a '{%%tr %%}' tag stands alone in its row, which is removed; "
                                 "row %u holds other values as well (a '{%% %s %%}' without "
                                 "'tr' keeps its row, with the tag's cell emptied)",
                                 row->r, xs_tag_word(row->tag->t.kind));
                    break;
                }
            }
        }
    }
    c->cell_row = 0;
    /* shared formulas: every cell gets its own text, as Excel would show it */
    for (int i = 0; i < s->nrows && rc == 0; i++) {
        xs_row *row = &s->rows[i];
        for (int j = 0; j < row->ncells && rc == 0; j++) {
            xs_cell *cell = &row->cells[j];
            if (cell->kind != XC_FORMULA || (cell->formula && cell->formula[0]))
                continue;
            const xmlChar *ft = fx_attr(cell->f, "t");
            if (!ft || strcmp((const char *)ft, "shared") != 0)
                continue;
            const xmlChar *si = fx_attr(cell->f, "si");
            uint32_t id = si ? (uint32_t)strtoul((const char *)si, NULL, 10) : 0;
            const xs_shared *m = NULL;
            for (int k = 0; k < nsh; k++)
                if (sh[k].si == id && sh[k].text[0]) {
                    m = &sh[k];
                    break;
                }
            if (!m)
                continue;
            lexp__sbuf b = LEXP__SBUF_INIT;
            fx_formula_shift(m->text, strlen(m->text), (int64_t)row->r - m->row,
                             (int64_t)cell->col - m->col, &b);
            lexp__sbuf_cstr(&b);
            cell->formula = b.oom ? NULL : lexp__arena_strdup(&c->A, b.ptr ? b.ptr : "");
            lexp__sbuf_free(&b);
            if (!cell->formula)
                rc = fx_oom(c);
        }
    }
    free(sh);
    if (rc)
        return rc;
    s->max_trow = prev;
    /* page header and footer */
    xmlNodePtr hf = fx_child(root, "headerFooter");
    for (xmlNodePtr k = hf ? hf->children : NULL; k && rc == 0; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        char *t = xs_text_dup(k);
        if (!t)
            return fx_oom(c);
        if (fx_maybe_tags(t, strlen(t))) {
            xs_row fake = {0};
            xs_cell cell = {0};
            rc = compile_cell(B, s, &fake, &cell, t);
            if (rc == 0 && cell.kind == XC_STMT)
                rc = fx_fail(c, LEXP_ESYNTAX, cell.stmt->line, cell.stmt->col,
                             "'{%% %s %%}' alone in the page header or footer: a block there "
                             "opens and closes in the same header or footer",
                             xs_tag_word(cell.stmt->t.kind));
            if (rc == 0 && (fake.tag || cell.kind == XC_TEXT || cell.kind == XC_TYPED)) {
                if (fake.tag)
                    rc = fx_fail(c, LEXP_ESYNTAX, 0, 0,
                                 "a '{%%tr %%}' tag in the page header or footer");
                xs_hf *v = rc ? NULL : realloc(s->hf, (size_t)(s->nhf + 1) * sizeof *v);
                if (!rc && !v)
                    rc = fx_oom(c);
                if (!rc) { /* a lone value is text here too */
                    s->hf = v;
                    s->hf[s->nhf++] = (xs_hf){k, cell.prog};
                    s->tags = 1;
                }
            }
        }
        free(t);
    }
    c->cell_row = 0;
    return rc;
}

static int row_leaf(fx_builder *b, xs_sheet *s, int i)
{
    fx_op *op = fx_build_item(b, OP_LEAF);
    if (!op)
        return -1;
    op->slot = i;
    s->rows[i].loop = fx_build_loop(b);
    return 0;
}

/* The block structure over the rows. */
int xs_sheet_structure(xs_book *B, xs_sheet *s)
{
    fx_ctx *c = B->c;
    fx_builder b;
    fx_build_init(&b, c, "this sheet", &s->nloops);
    b.word = 1; /* blocks span rows: the hint about inline blocks would mislead */
    s->trow_loop = calloc((size_t)s->max_trow + 2, sizeof *s->trow_loop);
    if (!s->trow_loop)
        return fx_oom(c);
    uint32_t prev = 0;
    /* loop ids are assigned as loops open; body rows are known at endfor */
    uint32_t *lo = NULL, *hi = NULL;
    int cap = 0;
    for (int i = 0; i < s->nrows; i++) {
        xs_row *row = &s->rows[i];
        if (row->r > prev + 1) {
            fx_op *op = fx_build_item(&b, OP_GAP);
            if (!op)
                goto fail;
            op->gap_from = prev + 1;
            op->n = row->r - prev - 1;
            fx_op *L = fx_build_loop(&b);
            for (uint32_t t = prev + 1; t < row->r; t++)
                s->trow_loop[t] = L;
        }
        prev = row->r;
        if (row->tag) {
            c->cell_row = row->r;
            c->cell_col = row->tag_cell ? row->tag_cell->col : 0;
            int opened = row->tag->t.kind == TAG_FOR;
            int closed = row->tag->t.kind == TAG_ENDFOR;
            int ends = closed || row->tag->t.kind == TAG_ENDIF;
            fx_op *closing = closed && b.depth ? b.st[b.depth - 1].op : NULL;
            /* a kept row is inside its block: before the closing tag,
             * after the opening one */
            if (row->keep && ends && row_leaf(&b, s, i))
                goto fail;
            fx_op *around;
            if (fx_build_tag(&b, row->tag, &around))
                goto fail;
            if (row->keep && !ends && row_leaf(&b, s, i))
                goto fail;
            if (!row->keep)
                row->loop = around;
            s->trow_loop[row->r] = row->loop;
            if (s->nloops >= cap) {
                int ncap = s->nloops + 16;
                uint32_t *l2 = realloc(lo, (size_t)ncap * sizeof *l2);
                if (l2)
                    lo = l2;
                uint32_t *h2 = l2 ? realloc(hi, (size_t)ncap * sizeof *h2) : NULL;
                if (!h2) {
                    fx_oom(c);
                    goto fail;
                }
                hi = h2;
                for (int k = cap; k < ncap; k++)
                    lo[k] = hi[k] = 0;
                cap = ncap;
            }
            if (opened)
                lo[s->nloops] = row->r + !row->keep;
            if (closing && closing->kind == OP_FOR)
                hi[closing->id] = row->r - !row->keep;
            continue;
        }
        if (row_leaf(&b, s, i) || (row->cols && xs_col_structure(B, s, row)))
            goto fail;
        s->trow_loop[row->r] = row->loop;
    }
    c->cell_row = 0;
    if (b.depth && b.st[b.depth - 1].op->tag->scope == 0) {
        /* each sheet is filled on its own: a block cannot run on into the next */
        const fx_tag *t = b.st[b.depth - 1].op->tag;
        int is_for = b.st[b.depth - 1].op->kind == OP_FOR;
        fx_fail(c, LEXP_ESYNTAX, t->line, t->col,
                "'{%% %s %%}' is not closed in sheet “%s”: a block over rows opens and closes "
                "in one sheet, with '{%% end%s %%}' alone in a cell of a later row (no "
                "block runs from one sheet into another)",
                is_for ? "for" : "if", c->sheet ? c->sheet : "", is_for ? "for" : "if");
        goto fail;
    }
    if (fx_build_end(&b, &s->items))
        goto fail;
    s->body_lo = lo;
    s->body_hi = hi;
    if (!s->body_lo) {
        s->body_lo = calloc(1, sizeof *s->body_lo);
        s->body_hi = calloc(1, sizeof *s->body_hi);
        if (!s->body_lo || !s->body_hi)
            return fx_oom(c);
    }
    s->moved = fx_has_statements(s->items);
    return 0;
fail:
    free(lo);
    free(hi);
    return c->err->code ? c->err->code : -1;
}
