/*
 * Excel templates: tags in cell text, {%tr %} row blocks, and everything
 * in the workbook that refers to rows.
 *
 * Each sheet's rows become a statement tree over "row" items ({%tr %} cells
 * are statements, rows absent from the file are GAP items, since an empty
 * row inside a block repeats with it). Generating a sheet writes new rows
 * with new numbers and records, for every output row, the template row it
 * came from and the loop iteration it belongs to. That record is the row
 * mapping every reference is moved with:
 *
 * - a relative row reference from a cell of a repeated block to a row of
 *   the same block means the copy made in the same iteration (=C5*D5 in
 *   every row), as when Excel copies rows down; an absolute one ($5), or a
 *   reference from outside the block, means the first copy;
 * - a range grows or shrinks to the rows its template rows became:
 *   SUM(B5:B5) under a loop over row 5 sums every copy, SUM(B4:B6) with
 *   the {%tr %} rows at 4 and 6 too; SUM(B$5:B5) inside the loop is a
 *   running total;
 * - merged cells inside a repeated block are repeated per iteration, and
 *   ones that span a block grow with it.
 *
 * Formulas are rewritten in every sheet (references to a filled sheet from
 * another one move too), then defined names (print area, print titles),
 * conditional formats, data validations, autofilters, hyperlinks, page
 * breaks, tables, drawing anchors and chart series. Cached values of
 * formulas in filled sheets are dropped, calcChain.xml is removed when
 * rows moved, and the workbook asks for a full recalculation on load.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill_xlsx.h"

/* ==================================================================== */
/* small helpers                                                          */

int xs_set_attr(fx_ctx *c, xmlNodePtr n, const char *name, const char *v)
{
    if (!xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)v))
        return fx_oom(c);
    return 0;
}

void xs_del_attr(xmlNodePtr n, const char *name)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        if (strcmp((const char *)a->name, name) == 0) {
            xmlRemoveProp(a);
            return;
        }
}

char *xs_text_dup(const xmlNode *n)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    fx_text_of(n, &b);
    lexp__sbuf_cstr(&b);
    if (b.oom) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    if (!b.ptr)
        return strdup("");
    return b.ptr;
}

/* Text of a rich or plain string (<si>, <is>): its <t>, or its runs' <t>;
 * phonetic runs (<rPh>) are not text. */
void xs_rich_text(const xmlNode *n, lexp__sbuf *b)
{
    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (fx_is(k, "t"))
            fx_text_of(k, b);
        else if (fx_is(k, "r"))
            for (xmlNodePtr t = k->children; t; t = t->next)
                if (fx_is(t, "t"))
                    fx_text_of(t, b);
    }
}

xs_sheet *xs_find_sheet(xs_book *B, const char *name, size_t n, int quoted)
{
    char buf[256];
    size_t l = 0;
    for (size_t i = 0; i < n && l + 1 < sizeof buf; i++) {
        if (quoted && name[i] == '\'' && i + 1 < n && name[i + 1] == '\'')
            i++;
        buf[l++] = name[i];
    }
    buf[l] = 0;
    for (int i = 0; i < B->nsheets; i++)
        if (B->sheets[i].name && strcasecmp(B->sheets[i].name, buf) == 0)
            return &B->sheets[i];
    return NULL;
}

int xs_looks_quoted(const char *s, const char *formula_start)
{
    return s > formula_start && s[-1] == '\'';
}

/* ==================================================================== */
/* the workbook                                                           */

static int workbook_adjust(xs_book *B, fx_entry *wb, xmlDocPtr doc)
{
    fx_ctx *c = B->c;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    lexp__sbuf out = LEXP__SBUF_INIT;
    int rc = 0;
    xmlNodePtr dn = fx_child(root, "definedNames");
    for (xmlNodePtr d = dn ? dn->children : NULL; d && rc == 0; d = d->next) {
        if (!fx_is(d, "definedName"))
            continue;
        char *src = xs_text_dup(d);
        if (!src)
            return fx_oom(c);
        int changed;
        rc = xs_rewrite(B, NULL, NULL, "a defined name", src, &out, &changed);
        if (rc == 0 && changed)
            rc = xs_set_text(c, d, out.ptr);
        free(src);
    }
    lexp__sbuf_free(&out);
    if (rc)
        return rc;
    /* recalculate on load: filled values feed formulas, cached results went */
    xmlNodePtr calc = fx_child(root, "calcPr");
    if (!calc) {
        static const char *const before[] = {"oleSize", "customWorkbookViews", "pivotCaches",
                                             "smartTagPr", "smartTagTypes", "webPublishing",
                                             "fileRecoveryPr", "webPublishObjects", "extLst"};
        xmlNodePtr at = NULL;
        for (xmlNodePtr k = root->children; k && !at; k = k->next)
            for (size_t i = 0; i < sizeof before / sizeof *before; i++)
                if (fx_is(k, before[i])) {
                    at = k;
                    break;
                }
        fx_copier k = {.c = c, .doc = doc, .root = root};
        calc = fx_new_elem(&k, root, root, "calcPr");
        if (!calc)
            return -1;
        if (at) {
            xmlUnlinkNode(calc);
            xmlAddPrevSibling(at, calc);
        }
    }
    if (xs_set_attr(c, calc, "fullCalcOnLoad", "1"))
        return -1;
    return fx_xml_store(c, wb, doc);
}

/* The styles of cells whose filled text has line breaks get wrapText, so
 * the breaks show: each such style once, as a copy (other cells keep it). */
int xs_wrap_styles(xs_book *B, const char *styles)
{
    fx_ctx *c = B->c;
    fx_entry *e = styles && B->nwraps ? fx_pkg_find(&c->pkg, styles) : NULL;
    if (!e)
        return 0;
    c->part = e->name;
    c->located = 0;
    xmlDocPtr doc = fx_xml_parse(c, e);
    if (!doc)
        return -1;
    xmlNodePtr xfs = fx_child(xmlDocGetRootElement(doc), "cellXfs");
    uint32_t n = 0, total;
    for (xmlNodePtr k = xfs ? xfs->children : NULL; k; k = k->next)
        n += fx_is(k, "xf");
    xmlNodePtr *xf = calloc(n ? n : 1, sizeof *xf);
    uint32_t *map = calloc(n ? n : 1, sizeof *map); /* new index + 1 */
    int rc = xf && map ? 0 : fx_oom(c);
    total = 0;
    for (xmlNodePtr k = xfs ? xfs->children : NULL; k && rc == 0; k = k->next)
        if (fx_is(k, "xf"))
            xf[total++] = k;
    fx_copier cp = {.c = c, .doc = doc, .root = xmlDocGetRootElement(doc)};
    for (size_t i = 0; i < B->nwraps && rc == 0 && n; i++) {
        const xmlChar *sv = fx_attr(B->wraps[i], "s");
        unsigned long idx = sv ? strtoul((const char *)sv, NULL, 10) : 0;
        if (idx >= n)
            continue;
        if (!map[idx]) {
            xmlNodePtr al = fx_child(xf[idx], "alignment");
            const xmlChar *w = al ? fx_attr(al, "wrapText") : NULL;
            if (w && (strcmp((const char *)w, "1") == 0 || strcmp((const char *)w, "true") == 0)) {
                map[idx] = (uint32_t)idx + 1;
            } else {
                xmlNodePtr copy = fx_copy_deep(&cp, xfs, xf[idx]);
                if (!copy) {
                    rc = -1;
                    break;
                }
                al = fx_child(copy, "alignment");
                if (!al) { /* alignment comes first in an xf */
                    xmlNodePtr first = copy->children;
                    al = fx_new_elem(&cp, copy, copy, "alignment");
                    if (al && first) {
                        xmlUnlinkNode(al);
                        xmlAddPrevSibling(first, al);
                    }
                }
                if (!al || xs_set_attr(c, al, "wrapText", "1") ||
                    xs_set_attr(c, copy, "applyAlignment", "1")) {
                    rc = -1;
                    break;
                }
                map[idx] = ++total;
            }
        }
        if (map[idx] != idx + 1 || sv) {
            char num[16];
            snprintf(num, sizeof num, "%u", map[idx] - 1);
            rc = xs_set_attr(c, B->wraps[i], "s", num);
        }
    }
    if (rc == 0 && total != n) {
        char num[16];
        snprintf(num, sizeof num, "%u", total);
        rc = xs_set_attr(c, xfs, "count", num);
        if (rc == 0)
            rc = fx_xml_store(c, e, doc);
    }
    free(xf);
    free(map);
    xmlFreeDoc(doc);
    return rc;
}

/* Remove calcChain.xml and what names it: its cells moved. */
static int drop_calc_chain(xs_book *B, const char *wb_part, const char *chain)
{
    fx_ctx *c = B->c;
    fx_entry *e = fx_pkg_find(&c->pkg, chain);
    if (!e)
        return 0;
    e->removed = 1;
    char rels[512];
    const char *slash = strrchr(wb_part, '/');
    snprintf(rels, sizeof rels, "%.*s_rels/%s.rels", slash ? (int)(slash - wb_part + 1) : 0,
             wb_part, slash ? slash + 1 : wb_part);
    const char *parts[2] = {rels, "[Content_Types].xml"};
    for (int i = 0; i < 2; i++) {
        fx_entry *pe = fx_pkg_find(&c->pkg, parts[i]);
        if (!pe)
            continue;
        c->part = pe->name;
        c->located = 0;
        xmlDocPtr doc = fx_xml_parse(c, pe);
        if (!doc)
            return -1;
        int changed = 0;
        xmlNodePtr next;
        for (xmlNodePtr k = xmlDocGetRootElement(doc)->children; k; k = next) {
            next = k->next;
            const xmlChar *v = i == 0 ? fx_attr(k, "Type") : fx_attr(k, "PartName");
            if (!v || !fx_is(k, i == 0 ? "Relationship" : "Override"))
                continue;
            const char *end = strrchr((const char *)v, '/');
            if ((i == 0 && end && strcmp(end, "/calcChain") == 0) ||
                (i == 1 && strcmp((const char *)v + (v[0] == '/'), chain) == 0)) {
                xmlUnlinkNode(k);
                xmlFreeNode(k);
                changed = 1;
            }
        }
        int rc = changed ? fx_xml_store(c, pe, doc) : 0;
        xmlFreeDoc(doc);
        if (rc)
            return rc;
    }
    return 0;
}

static void book_free(xs_book *B)
{
    for (int i = 0; i < B->nsheets; i++) {
        xs_sheet *s = &B->sheets[i];
        free(s->name);
        free(s->part);
        if (s->doc)
            xmlFreeDoc(s->doc);
        free(s->trow_loop);
        free(s->body_lo);
        free(s->body_hi);
        free(s->hf);
        free(s->out_trow);
        free(s->out_iter);
        free(s->iters);
        free(s->cur);
        free(s->csr_start);
        free(s->csr);
        free(s->seg_min);
        free(s->seg_max);
        free(s->fs);
        xs_cmaps_free(s);
    }
    free(B->sheets);
    for (uint32_t i = 0; i < B->nsst; i++)
        free(B->sst[i]);
    free(B->sst);
    free(B->wb_part);
    free(B->wraps);
}

static const fx_kind excel_kind = {
    "an Excel workbook", "xl/workbook.xml", "xl/", {"spreadsheetml", "ms-excel"},
    "its main part is not a workbook", "wordprocessingml", "word/document.xml",
    " (it is a Word document: name it .docx)"};

static int book_fill(xs_book *B)
{
    fx_ctx *c = B->c;
    fx_rel *rels = NULL;
    int n = 0;
    B->wb_part = fx_main_part(c, &excel_kind);
    if (!B->wb_part)
        return -1;
    fx_entry *wb = fx_pkg_find(&c->pkg, B->wb_part);
    if (fx_rels_read(c, B->wb_part, &rels, &n))
        return -1;
    char *sst = NULL, *chain = NULL;
    const char *styles = NULL;
    for (int i = 0; i < n; i++) {
        if (strcmp(rels[i].type, "styles") == 0)
            styles = rels[i].target;
        if (strcmp(rels[i].type, "sharedStrings") == 0)
            sst = strdup(rels[i].target);
        else if (strcmp(rels[i].type, "calcChain") == 0)
            chain = strdup(rels[i].target);
    }
    /* is there a tag anywhere? */
    int maybe = 0;
    for (int i = 0; i < n && !maybe; i++) {
        if (strcmp(rels[i].type, "worksheet") && strcmp(rels[i].type, "sharedStrings"))
            continue;
        fx_entry *e = fx_pkg_find(&c->pkg, rels[i].target);
        maybe = e && fx_entry_tags(e);
    }
    int rc = 0;
    xmlDocPtr wdoc = NULL;
    if (!maybe)
        goto done;
    c->part = wb->name;
    c->located = 0;
    if (!(wdoc = fx_xml_parse(c, wb))) {
        rc = -1;
        goto done;
    }
    xmlNodePtr sheets = fx_child(xmlDocGetRootElement(wdoc), "sheets");
    int ns = 0;
    for (xmlNodePtr k = sheets ? sheets->children : NULL; k; k = k->next)
        ns += fx_is(k, "sheet");
    B->sheets = calloc((size_t)(ns ? ns : 1), sizeof *B->sheets);
    if (!B->sheets) {
        rc = fx_oom(c);
        goto done;
    }
    for (xmlNodePtr k = sheets ? sheets->children : NULL; k && rc == 0; k = k->next) {
        if (!fx_is(k, "sheet"))
            continue;
        const xmlChar *name = fx_attr(k, "name"), *id = fx_attr(k, "id");
        const char *target = NULL;
        for (int i = 0; id && i < n; i++)
            if (strcmp(rels[i].id, (const char *)id) == 0 && strcmp(rels[i].type, "worksheet") == 0)
                target = rels[i].target;
        if (!target)
            continue; /* a chart sheet, a dialog sheet */
        xs_sheet *s = &B->sheets[B->nsheets++];
        s->name = strdup(name ? (const char *)name : "");
        s->part = strdup(target);
        s->e = fx_pkg_find(&c->pkg, target);
        if (!s->name || !s->part)
            rc = fx_oom(c);
    }
    if (rc == 0 && sst)
        rc = xs_sst_load(B, sst);
    /* compile and fill every sheet with tags */
    for (int i = 0; i < B->nsheets && rc == 0; i++) {
        xs_sheet *s = &B->sheets[i];
        if (!s->e)
            continue;
        int may = fx_entry_tags(s->e) ||
                  (B->sst_tags && strstr((const char *)s->e->data, "t=\"s\""));
        if (!may)
            continue;
        c->part = s->e->name;
        c->sheet = s->name;
        c->located = 0;
        if (!(s->doc = fx_xml_parse(c, s->e))) {
            rc = -1;
            break;
        }
        if ((rc = xs_sheet_compile(B, s)))
            break;
        if (!s->tags)
            continue;
        if ((rc = xs_sheet_structure(B, s)) || (rc = xs_sheet_generate(B, s)))
            break;
        B->any_changed = 1;
        B->any_moved |= s->moved || s->ncmaps;
    }
    /* references, now that every sheet's rows are known */
    for (int i = 0; i < B->nsheets && rc == 0; i++) {
        xs_sheet *s = &B->sheets[i];
        c->part = s->part;
        c->sheet = s->name;
        c->located = 0;
        if (s->tags)
            rc = xs_sheet_formulas(B, s);
        else if (B->any_moved)
            rc = xs_other_formulas(B, s);
        if (rc == 0 && (s->moved || s->ncmaps))
            rc = xs_sheet_adjust(B, s);
        if (rc == 0)
            rc = xs_adjust_widths(B, s);
        if (rc == 0 && s->moved)
            rc = xs_related_parts(B, s);
    }
    c->sheet = NULL;
    if (rc == 0 && B->any_moved)
        for (int i = 0; i < c->pkg.n && rc == 0; i++) {
            fx_entry *e = &c->pkg.e[i];
            if (strncmp(e->name, "xl/charts/chart", 15) == 0 && strstr((const char *)e->data, "f>"))
                rc = xs_with_part(B, NULL, e->name, xs_chart_fn);
        }
    if (rc == 0)
        rc = xs_wrap_styles(B, styles);
    for (int i = 0; i < B->nsheets && rc == 0; i++) {
        xs_sheet *s = &B->sheets[i];
        if (s->changed) {
            c->part = s->part;
            rc = fx_xml_store(c, s->e, s->doc);
        }
    }
    if (rc == 0 && B->any_changed) {
        c->part = wb->name;
        c->located = 0;
        rc = workbook_adjust(B, wb, wdoc);
    }
    if (rc == 0 && B->any_moved && chain)
        rc = drop_calc_chain(B, B->wb_part, chain);
done:
    if (wdoc)
        xmlFreeDoc(wdoc);
    fx_rels_free(rels, n);
    free(sst);
    free(chain);
    return rc ? (c->err->code ? c->err->code : -1) : 0;
}

int fx_xlsx(fx_ctx *c)
{
    xs_book B;
    memset(&B, 0, sizeof B);
    B.c = c;
    int rc = book_fill(&B);
    book_free(&B);
    return rc;
}
