/*
 * DOCX: inline pictures (word/media) and native charts (word/charts).
 *
 * Pictures are copied byte for byte once libpng or libjpeg has decoded
 * them in full (../image); their size and resolution come from that
 * decoding. Charts are DrawingML chart parts whose series carry their
 * values in caches, which Word and LibreOffice draw without an embedded
 * workbook.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/image.h"
#include "docx.h"
#include "../doc/style.h"

/* ---- pictures ------------------------------------------------------------------ */

/* The media entry of an image file, loading it the first time. The file
 * is read and decoded in full by the image module (path inside the data
 * folder, limits, a sound PNG or JPEG), and only then are its original
 * bytes copied. NULL when the image is left out (a warning says why). */
static dx_media *media_for(dx *c, const lexp_node *n)
{
    const char *path = n->u.image.resolved ? n->u.image.resolved : n->u.image.path;
    if (!path)
        return NULL;
    for (int i = 0; i < c->nmedia; i++)
        if (strcmp(c->media[i].path, path) == 0)
            return c->media[i].part >= 0 ? &c->media[i] : NULL;
    if (c->nmedia == c->capmedia) {
        int cap = c->capmedia ? c->capmedia * 2 : 8;
        dx_media *v = realloc(c->media, (size_t)cap * sizeof *v);
        if (!v) {
            c->failed = 1;
            return NULL;
        }
        c->media = v;
        c->capmedia = cap;
    }
    dx_media *m = &c->media[c->nmedia++];
    memset(m, 0, sizeof *m);
    m->path = path;
    m->part = -1;
    char *data = NULL;
    size_t len = 0;
    char why[sizeof ((lexp__image *)0)->why + 64];
    const char *file = n->u.image.base ? n->u.image.path : path;
    if (lexp__image_read(n->u.image.base, file, &data, &len, why, sizeof why)) {
        lexp__warn(c->opt, n->u.image.path, "image left out of the DOCX (%s)", why);
        return NULL;
    }
    lexp__image im;
    if (lexp__image_decode((const unsigned char *)data, len, LEXP_IMG_CHECK, &im)) {
        lexp__warn(c->opt, n->u.image.path, "image left out of the DOCX (%s)", im.why);
        free(data);
        return NULL;
    }
    m->png = im.kind == LEXP_IMG_PNG;
    m->px_w = (long)im.w;
    m->px_h = (long)im.h;
    m->dpi_x = im.dpi_x;
    m->dpi_y = im.dpi_y;
    int k = 0;
    for (int i = 0; i < c->nmedia; i++)
        k += c->media[i].part >= 0;
    char name[48];
    snprintf(name, sizeof name, "word/media/image%d.%s", k + 1, m->png ? "png" : "jpeg");
    if (dx_part_add_raw(c, name, (unsigned char *)data, len, 1)) {
        c->failed = 1;
        return NULL;
    }
    m->part = c->nparts - 1;
    m->rid = c->next_rid++;
    return m;
}

/* ---- drawings ---------------------------------------------------------------------- */

/* A drawing's size (EMU), with no extra room around it for effects:
 * inline pictures and the anchored 报尾 box alike. */
static void extent(dx *c, long cx, long cy)
{
    dx_start(c, "wp:extent");
    dx_attr_int(c, "cx", cx);
    dx_attr_int(c, "cy", cy);
    dx_end(c);
    dx_start(c, "wp:effectExtent");
    dx_attr(c, "l", "0");
    dx_attr(c, "t", "0");
    dx_attr(c, "r", "0");
    dx_attr(c, "b", "0");
    dx_end(c);
}

static void inline_begin(dx *c, double w_pt, double h_pt, const char *kind, const char *descr)
{
    long cx = dx_emu(w_pt), cy = dx_emu(h_pt);
    int id = c->next_docpr++;
    char name[32];
    snprintf(name, sizeof name, "%s %d", kind, id);
    dx_start(c, "w:drawing");
    dx_start(c, "wp:inline");
    dx_attr(c, "distT", "0");
    dx_attr(c, "distB", "0");
    dx_attr(c, "distL", "0");
    dx_attr(c, "distR", "0");
    extent(c, cx, cy);
    dx_start(c, "wp:docPr");
    dx_attr_int(c, "id", id);
    dx_attr(c, "name", name);
    if (descr && *descr) {
        size_t len;
        const char *t = dx_clean(c, descr, strlen(descr), &len);
        dx_attr(c, "descr", t);
    }
    dx_end(c);
}

static void figure_para_begin(dx *c)
{
    dx_ppr p = {0};
    p.style = DX_ST_FIGURE;
    dx_para_begin(c, &p);
    dx_start(c, "w:r");
}

static void figure_para_end(dx *c)
{
    dx_end(c); /* r */
    dx_end(c); /* p */
}

void dx_image(dx *c, const lexp_node *n)
{
    dx_media *m = media_for(c, n);
    if (m) {
        double dx_ = m->dpi_x > 0 ? m->dpi_x : 96, dy = m->dpi_y > 0 ? m->dpi_y : 96;
        double w = m->px_w * 72.0 / dx_, h = m->px_h * 72.0 / dy;
        if (n->u.image.width > 0) {
            double s = n->u.image.width * c->text_w / w;
            w *= s;
            h *= s;
        }
        if (w > c->text_w) { /* never wider than the type area */
            h *= c->text_w / w;
            w = c->text_w;
        }
        if (h > c->text_h * 0.8) { /* and leave room for the caption */
            w *= c->text_h * 0.8 / h;
            h = c->text_h * 0.8;
        }
        figure_para_begin(c);
        /* alt text: the caption, else the file name the text shows */
        inline_begin(c, w, h, "图片", n->u.image.caption ? n->u.image.caption : n->u.image.path);
        dx_start(c, "wp:cNvGraphicFramePr");
        dx_start(c, "a:graphicFrameLocks");
        dx_attr(c, "noChangeAspect", "1");
        dx_end(c);
        dx_end(c);
        dx_start(c, "a:graphic");
        dx_start(c, "a:graphicData");
        dx_attr(c, "uri", DX_NS_PIC);
        dx_start(c, "pic:pic");
        dx_start(c, "pic:nvPicPr");
        dx_start(c, "pic:cNvPr");
        dx_attr(c, "id", "0");
        dx_attr(c, "name", strrchr(c->parts[m->part].name, '/') + 1);
        dx_end(c);
        dx_empty(c, "pic:cNvPicPr");
        dx_end(c);
        dx_start(c, "pic:blipFill");
        dx_start(c, "a:blip");
        char rid[16];
        snprintf(rid, sizeof rid, "rId%d", m->rid);
        dx_attr(c, "r:embed", rid);
        dx_end(c);
        dx_start(c, "a:stretch");
        dx_empty(c, "a:fillRect");
        dx_end(c);
        dx_end(c);
        dx_start(c, "pic:spPr");
        dx_start(c, "a:xfrm");
        dx_start(c, "a:off");
        dx_attr(c, "x", "0");
        dx_attr(c, "y", "0");
        dx_end(c);
        dx_start(c, "a:ext");
        dx_attr_int(c, "cx", dx_emu(w));
        dx_attr_int(c, "cy", dx_emu(h));
        dx_end(c);
        dx_end(c);
        dx_start(c, "a:prstGeom");
        dx_attr(c, "prst", "rect");
        dx_empty(c, "a:avLst");
        dx_end(c);
        dx_end(c); /* spPr */
        dx_end(c); /* pic */
        dx_end(c); /* graphicData */
        dx_end(c); /* graphic */
        dx_end(c); /* inline */
        dx_end(c); /* drawing */
        figure_para_end(c);
    }
    dx_caption(c, n->u.image.caption, 0);
}

void dx_chart(dx *c, const lexp_node *n)
{
    if (n->u.chart.n <= 0) {
        dx_caption(c, n->u.chart.title, 0);
        return;
    }
    if (c->ncharts == c->capcharts) {
        int cap = c->capcharts ? c->capcharts * 2 : 4;
        const lexp_node **v = realloc(c->charts, (size_t)cap * sizeof *v);
        int *r = v ? realloc(c->chart_rids, (size_t)cap * sizeof *r) : NULL;
        if (v)
            c->charts = v;
        if (!v || !r) {
            c->failed = 1;
            return;
        }
        c->chart_rids = r;
        c->capcharts = cap;
    }
    int rid = c->next_rid++;
    c->charts[c->ncharts] = n;
    c->chart_rids[c->ncharts++] = rid;
    double w = c->text_w, h = c->text_w * (n->u.chart.kind == LEXP_CHART_PIE ? 0.45 : 0.5);
    figure_para_begin(c);
    inline_begin(c, w, h, "图表", n->u.chart.title);
    dx_empty(c, "wp:cNvGraphicFramePr");
    dx_start(c, "a:graphic");
    dx_start(c, "a:graphicData");
    dx_attr(c, "uri", DX_NS_C);
    dx_start(c, "c:chart");
    char r[16];
    snprintf(r, sizeof r, "rId%d", rid);
    dx_attr(c, "r:id", r);
    dx_end(c);
    dx_end(c); /* graphicData */
    dx_end(c); /* graphic */
    dx_end(c); /* inline */
    dx_end(c); /* drawing */
    figure_para_end(c);
    dx_caption(c, n->u.chart.title, 0);
}

/* ---- a text box at the foot of the page ------------------------------------------------ */

/* A floating DrawingML text box (wps), as Word 2010+ writes it: inside
 * mc:AlternateContent, so that a reader without wps skips it cleanly.
 * LibreOffice 7.4 ignores w:framePr and w:tblpPr positions here but places
 * this box: bottom-aligned to the margin, wrapped top and bottom, and moved
 * with its anchor paragraph to the next page when the text leaves no room.
 * A box never splits across pages. */
void dx_footbox_begin(dx *c, double h_pt, double gap_pt, const char *name)
{
    long cx = dx_emu(c->text_w), cy = dx_emu(h_pt);
    dx_start(c, "w:r");
    dx_start(c, "mc:AlternateContent");
    dx_start(c, "mc:Choice");
    dx_attr(c, "Requires", "wps");
    dx_start(c, "w:drawing");
    dx_start(c, "wp:anchor");
    dx_attr_int(c, "distT", dx_emu(gap_pt));
    dx_attr(c, "distB", "0");
    dx_attr(c, "distL", "0");
    dx_attr(c, "distR", "0");
    dx_attr(c, "simplePos", "0");
    dx_attr(c, "relativeHeight", "1");
    dx_attr(c, "behindDoc", "0");
    dx_attr(c, "locked", "0");
    dx_attr(c, "layoutInCell", "1");
    dx_attr(c, "allowOverlap", "0");
    dx_start(c, "wp:simplePos");
    dx_attr(c, "x", "0");
    dx_attr(c, "y", "0");
    dx_end(c);
    static const char *const axes[][2] = {{"wp:positionH", "center"},
                                          {"wp:positionV", "bottom"}};
    for (int i = 0; i < 2; i++) {
        dx_start(c, axes[i][0]);
        dx_attr(c, "relativeFrom", "margin");
        dx_text_el(c, "wp:align", axes[i][1]);
        dx_end(c);
    }
    extent(c, cx, cy);
    dx_empty(c, "wp:wrapTopAndBottom");
    dx_start(c, "wp:docPr");
    dx_attr_int(c, "id", c->next_docpr++);
    dx_attr(c, "name", name);
    dx_end(c);
    dx_empty(c, "wp:cNvGraphicFramePr");
    dx_start(c, "a:graphic");
    dx_start(c, "a:graphicData");
    dx_attr(c, "uri", DX_NS_WPS);
    dx_start(c, "wps:wsp");
    dx_start(c, "wps:cNvSpPr");
    dx_attr(c, "txBox", "1");
    dx_end(c);
    dx_start(c, "wps:spPr");
    dx_start(c, "a:xfrm");
    dx_start(c, "a:off");
    dx_attr(c, "x", "0");
    dx_attr(c, "y", "0");
    dx_end(c);
    dx_start(c, "a:ext");
    dx_attr_int(c, "cx", cx);
    dx_attr_int(c, "cy", cy);
    dx_end(c);
    dx_end(c); /* xfrm */
    dx_start(c, "a:prstGeom");
    dx_attr(c, "prst", "rect");
    dx_empty(c, "a:avLst");
    dx_end(c);
    dx_empty(c, "a:noFill");
    dx_start(c, "a:ln");
    dx_empty(c, "a:noFill");
    dx_end(c);
    dx_end(c); /* spPr */
    dx_start(c, "wps:txbx");
    dx_start(c, "w:txbxContent");
}

void dx_footbox_end(dx *c)
{
    dx_end(c); /* txbxContent */
    dx_end(c); /* txbx */
    /* No insets, text at the bottom: the last rule on the bottom margin. A
     * fixed height: LibreOffice's auto-grow lifts the box off the margin. */
    dx_start(c, "wps:bodyPr");
    dx_attr(c, "rot", "0");
    dx_attr(c, "vert", "horz");
    dx_attr(c, "wrap", "square");
    static const char *const ins[] = {"lIns", "tIns", "rIns", "bIns"};
    for (int i = 0; i < 4; i++)
        dx_attr(c, ins[i], "0");
    dx_attr(c, "anchor", "b");
    dx_attr(c, "anchorCtr", "0");
    dx_empty(c, "a:noAutofit");
    dx_end(c);
    dx_end(c); /* wsp */
    dx_end(c); /* graphicData */
    dx_end(c); /* graphic */
    dx_end(c); /* anchor */
    dx_end(c); /* drawing */
    dx_end(c); /* Choice */
    dx_end(c); /* AlternateContent */
    dx_end(c); /* r */
}

/* ---- chart parts --------------------------------------------------------------------- */

/* the colours of doc/style.c, shared with PDF and XLSX */
static void palette_rgb(char out[7], size_t i)
{
    snprintf(out, 7, "%06X", (unsigned)(lexp__chart_palette[i % LEXP_CHART_COLORS] & 0xFFFFFF));
}

static void c_val(dx *c, const char *name, const char *v)
{
    dx_start(c, name);
    dx_attr(c, "val", v);
    dx_end(c);
}

static void c_val_int(dx *c, const char *name, long v)
{
    dx_start(c, name);
    dx_attr_int(c, "val", v);
    dx_end(c);
}

static void solid(dx *c, const char *rgb)
{
    dx_start(c, "a:solidFill");
    dx_start(c, "a:srgbClr");
    dx_attr(c, "val", rgb);
    dx_end(c);
    dx_end(c);
}

static void sp_pr_fill(dx *c, const char *rgb)
{
    dx_start(c, "c:spPr");
    solid(c, rgb);
    dx_end(c);
}

static void line_pr(dx *c, const char *rgb, long w)
{
    dx_start(c, "c:spPr");
    dx_start(c, "a:ln");
    dx_attr_int(c, "w", w);
    solid(c, rgb);
    dx_end(c);
    dx_end(c);
}

/* Text properties: the body's East Asian font, so labels print in the
 * document's typeface (and not in a Latin font without Han). */
static void tx_pr(dx *c, double size)
{
    dx_start(c, "c:txPr");
    dx_empty(c, "a:bodyPr");
    dx_empty(c, "a:lstStyle");
    dx_start(c, "a:p");
    dx_start(c, "a:pPr");
    dx_start(c, "a:defRPr");
    dx_attr_int(c, "sz", lround(size * 100));
    dx_start(c, "a:latin");
    dx_attr(c, "typeface", "Times New Roman");
    dx_end(c);
    dx_start(c, "a:ea");
    dx_attr(c, "typeface", lexp__role_docx_name(c->st->table.role));
    dx_end(c);
    dx_end(c);
    dx_end(c);
    dx_start(c, "a:endParaRPr");
    dx_attr(c, "lang", "zh-CN");
    dx_end(c);
    dx_end(c);
    dx_end(c);
}

static void str_cache_pt(dx *c, int idx, const char *s)
{
    dx_start(c, "c:pt");
    dx_attr_int(c, "idx", idx);
    dx_text_el(c, "c:v", s ? s : "");
    dx_end(c);
}

static void series(dx *c, const lexp_node *n)
{
    int np = n->u.chart.n, pie = n->u.chart.kind == LEXP_CHART_PIE;
    char ref[48];
    dx_start(c, "c:ser");
    c_val(c, "c:idx", "0");
    c_val(c, "c:order", "0");
    dx_start(c, "c:tx");
    dx_start(c, "c:strRef");
    dx_text_el(c, "c:f", "Sheet1!$B$1");
    dx_start(c, "c:strCache");
    c_val(c, "c:ptCount", "1");
    const char *sname = n->u.chart.series ? n->u.chart.series
                        : n->u.chart.title ? n->u.chart.title
                                           : "数值";
    str_cache_pt(c, 0, sname);
    dx_end(c);
    dx_end(c);
    dx_end(c); /* tx */
    if (!pie) {
        char rgb[7];
        palette_rgb(rgb, 0);
        sp_pr_fill(c, rgb);
        c_val(c, "c:invertIfNegative", "0");
    } else {
        for (int i = 0; i < np; i++) {
            /* explicit slice colours: the same in Word and LibreOffice */
            dx_start(c, "c:dPt");
            c_val_int(c, "c:idx", i);
            c_val(c, "c:bubble3D", "0");
            dx_start(c, "c:spPr");
            char rgb[7];
            palette_rgb(rgb, (size_t)i);
            solid(c, rgb);
            dx_start(c, "a:ln");
            dx_attr(c, "w", "12700");
            solid(c, "FFFFFF");
            dx_end(c);
            dx_end(c);
            dx_end(c);
        }
    }
    dx_start(c, "c:dLbls");
    dx_start(c, "c:spPr");
    dx_empty(c, "a:noFill");
    dx_start(c, "a:ln");
    dx_empty(c, "a:noFill");
    dx_end(c);
    dx_end(c);
    c_val(c, "c:showLegendKey", "0");
    c_val(c, "c:showVal", pie ? "0" : "1");
    c_val(c, "c:showCatName", "0");
    c_val(c, "c:showSerName", "0");
    c_val(c, "c:showPercent", pie ? "1" : "0");
    c_val(c, "c:showBubbleSize", "0");
    if (pie)
        c_val(c, "c:showLeaderLines", "1");
    dx_end(c); /* dLbls */
    dx_start(c, "c:cat");
    dx_start(c, "c:strRef");
    snprintf(ref, sizeof ref, "Sheet1!$A$2:$A$%d", np + 1);
    dx_text_el(c, "c:f", ref);
    dx_start(c, "c:strCache");
    c_val_int(c, "c:ptCount", np);
    for (int i = 0; i < np; i++)
        str_cache_pt(c, i, n->u.chart.labels[i]);
    dx_end(c);
    dx_end(c);
    dx_end(c); /* cat */
    dx_start(c, "c:val");
    dx_start(c, "c:numRef");
    snprintf(ref, sizeof ref, "Sheet1!$B$2:$B$%d", np + 1);
    dx_text_el(c, "c:f", ref);
    dx_start(c, "c:numCache");
    dx_text_el(c, "c:formatCode", "General");
    c_val_int(c, "c:ptCount", np);
    lexp__sbuf num = LEXP__SBUF_INIT;
    for (int i = 0; i < np; i++) {
        double v = n->u.chart.values[i];
        if (!isfinite(v))
            continue; /* a gap */
        num.len = 0;
        lexp__fmt_number(&num, v);
        dx_start(c, "c:pt");
        dx_attr_int(c, "idx", i);
        dx_text_el(c, "c:v", lexp__sbuf_cstr(&num));
        dx_end(c);
    }
    if (num.oom)
        c->failed = 1;
    lexp__sbuf_free(&num);
    dx_end(c);
    dx_end(c);
    dx_end(c); /* val */
    dx_end(c); /* ser */
}

static void axes(dx *c)
{
    dx_start(c, "c:catAx");
    c_val(c, "c:axId", "50010001");
    dx_start(c, "c:scaling");
    c_val(c, "c:orientation", "minMax");
    dx_end(c);
    c_val(c, "c:delete", "0");
    c_val(c, "c:axPos", "b");
    dx_start(c, "c:numFmt");
    dx_attr(c, "formatCode", "General");
    dx_attr(c, "sourceLinked", "0");
    dx_end(c);
    c_val(c, "c:majorTickMark", "none");
    c_val(c, "c:minorTickMark", "none");
    c_val(c, "c:tickLblPos", "nextTo");
    line_pr(c, "808080", 9525);
    c_val(c, "c:crossAx", "50010002");
    c_val(c, "c:crosses", "autoZero");
    c_val(c, "c:auto", "1");
    c_val(c, "c:lblAlgn", "ctr");
    c_val(c, "c:lblOffset", "100");
    c_val(c, "c:noMultiLvlLbl", "0");
    dx_end(c);
    dx_start(c, "c:valAx");
    c_val(c, "c:axId", "50010002");
    dx_start(c, "c:scaling");
    c_val(c, "c:orientation", "minMax");
    dx_end(c);
    c_val(c, "c:delete", "0");
    c_val(c, "c:axPos", "l");
    dx_start(c, "c:majorGridlines");
    line_pr(c, "D9D9D9", 9525);
    dx_end(c);
    dx_start(c, "c:numFmt");
    dx_attr(c, "formatCode", "General");
    dx_attr(c, "sourceLinked", "1");
    dx_end(c);
    c_val(c, "c:majorTickMark", "none");
    c_val(c, "c:minorTickMark", "none");
    c_val(c, "c:tickLblPos", "nextTo");
    dx_start(c, "c:spPr");
    dx_start(c, "a:ln");
    dx_empty(c, "a:noFill");
    dx_end(c);
    dx_end(c);
    c_val(c, "c:crossAx", "50010001");
    c_val(c, "c:crosses", "autoZero");
    c_val(c, "c:crossBetween", "between");
    dx_end(c);
}

static int chart_part(dx *c, const lexp_node *n, int k)
{
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    int pie = n->u.chart.kind == LEXP_CHART_PIE;
    dx_start(c, "c:chartSpace");
    dx_attr(c, "xmlns:c", DX_NS_C);
    dx_attr(c, "xmlns:a", DX_NS_A);
    dx_attr(c, "xmlns:r", DX_NS_R);
    c_val(c, "c:date1904", "0");
    c_val(c, "c:lang", "zh-CN");
    c_val(c, "c:roundedCorners", "0");
    dx_start(c, "c:chart");
    /* the title is the caption paragraph below the chart, where a reader
     * of the text finds it */
    c_val(c, "c:autoTitleDeleted", "1");
    dx_start(c, "c:plotArea");
    dx_empty(c, "c:layout");
    if (pie) {
        dx_start(c, "c:pieChart");
        c_val(c, "c:varyColors", "1");
        series(c, n);
        c_val(c, "c:firstSliceAng", "0");
        dx_end(c);
    } else {
        dx_start(c, "c:barChart");
        c_val(c, "c:barDir", "col");
        c_val(c, "c:grouping", "clustered");
        c_val(c, "c:varyColors", "0");
        series(c, n);
        c_val(c, "c:gapWidth", "80");
        c_val(c, "c:axId", "50010001");
        c_val(c, "c:axId", "50010002");
        dx_end(c);
        axes(c);
    }
    dx_end(c); /* plotArea */
    if (pie) {
        dx_start(c, "c:legend");
        c_val(c, "c:legendPos", "r");
        c_val(c, "c:overlay", "0");
        dx_end(c);
    }
    c_val(c, "c:plotVisOnly", "1");
    c_val(c, "c:dispBlanksAs", "gap");
    dx_end(c); /* chart */
    dx_start(c, "c:spPr");
    dx_empty(c, "a:noFill");
    dx_start(c, "a:ln");
    dx_empty(c, "a:noFill");
    dx_end(c);
    dx_end(c);
    tx_pr(c, 10.5);
    dx_end(c); /* chartSpace */
    char name[48];
    snprintf(name, sizeof name, "word/charts/chart%d.xml", k + 1);
    return dx_part_end(c, name);
}

int dx_write_charts(dx *c)
{
    for (int k = 0; k < c->ncharts; k++) {
        int rc = chart_part(c, c->charts[k], k);
        if (rc)
            return rc;
    }
    return 0;
}
