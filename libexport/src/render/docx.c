/*
 * DOCX renderer: the packager. Writes each part of the package in turn
 * (docx.h lists them and the files that write them), then zips them.
 *
 * Parts are written in dependency order — the body first, since it
 * decides which pictures, charts and footers exist; the content types last,
 * since they list every part — and zipped in package order (docx_zip.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "docx.h"

static int write_parts(dx *c)
{
    int rc;
    if ((rc = dx_write_document(c)) || (rc = dx_write_charts(c)) ||
        (rc = dx_write_styles(c)) || (rc = dx_write_settings(c)) ||
        (rc = dx_write_font_table(c)))
        return rc;
    if (c->footers >= 1 && (rc = dx_write_footer(c, 0, "word/footer1.xml")))
        return rc;
    if (c->footers == 2 && (rc = dx_write_footer(c, 1, "word/footer2.xml")))
        return rc;
    if (c->banji_rid && (rc = dx_write_empty_footer(c, "word/footer3.xml")))
        return rc;
    if ((rc = dx_write_core(c)) || (rc = dx_write_app(c)) ||
        (rc = dx_write_document_rels(c)) || (rc = dx_write_root_rels(c)) ||
        (rc = dx_write_content_types(c)))
        return rc;
    return 0;
}

int lexp__render_docx(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                      lexp_error *err)
{
    return lexp__render_docx_to(out, NULL, doc, opt, err);
}

int lexp__render_docx_to(lexp__sbuf *out, const char *path, const lexp_doc *doc,
                         const lexp_render_options *opt, lexp_error *err)
{
    dx c;
    memset(&c, 0, sizeof c);
    c.doc = doc;
    c.st = lexp__style_for(doc->preset);
    c.opt = opt;
    c.err = err;
    c.tmpdir = lexp__tmpdir(); /* the spool and the archive beside it */
    c.text_w = lexp__style_text_width(c.st);
    c.text_h = lexp__style_text_height(c.st);
    c.grid = c.st->grid_lines > 0 && c.st->grid_chars > 0;
    c.grid_pitch = c.grid ? c.text_h / c.st->grid_lines : 0;
    if (c.grid) {
        /* 16 pt characters are 158 mm for 28: condense by whole twips
         * until 28 fit the 156 mm type area (GB/T 9704: about -0.2 pt). */
        double extra = c.text_w / c.st->grid_chars - c.st->body.size;
        if (extra < 0)
            c.tracking = floor(extra * 20.0) / 20.0;
    }
    if (doc->page_numbers && c.st->pagenum != LEXP_PAGENUM_NONE)
        c.footers = c.st->pagenum == LEXP_PAGENUM_GBT9704 ? 2 : 1;
    c.next_rid = DX_RID_FIRST_FREE;
    c.next_docpr = 1;

    int rc = write_parts(&c);
    if (rc == 0)
        rc = dx_zip(&c, out, path);

    dx_parts_free(&c);
    lexp__sbuf_free(&c.text);
    free(c.media);
    free(c.charts);
    free(c.chart_rids);
    return rc;
}
