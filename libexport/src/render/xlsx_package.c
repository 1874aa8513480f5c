/*
 * SpreadsheetML writer, second half: charts and their drawings, the
 * workbook, styles, relationships, content types and properties, and the
 * zip around them (see xlsx_write.h).
 *
 * The bytes depend on the input only: parts go in a fixed order, every
 * zip entry has the DOS time 1980-01-01 00:00, and the creation date is
 * the document's, never the clock.
 */
#include <stdlib.h>
#include <string.h>

#include "xlsx_write_int.h"

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG_R "http://schemas.openxmlformats.org/package/2006/relationships"
#define NS_C "http://schemas.openxmlformats.org/drawingml/2006/chart"
#define NS_A "http://schemas.openxmlformats.org/drawingml/2006/main"
#define CT "application/vnd.openxmlformats-officedocument."
/* a chart: 576 × 288 pixels (9525 EMU a pixel), 4 pixels into its cell */
#define CHART_CX 5486400
#define CHART_CY 2743200
#define CHART_OFF 38100
/* Lines drawn in their own colours: the workbook has no theme to take
 * them from (LibreOffice then draws none) */
#define AXIS_LINE                                                                               \
    "<c:spPr><a:ln w=\"9525\"><a:solidFill><a:srgbClr val=\"868686\"/></a:solidFill></a:ln>" \
    "</c:spPr>"
#define TICKS "<c:majorTickMark val=\"out\"/><c:minorTickMark val=\"none\"/>"
#define GRID_LINE                                                                               \
    "<c:spPr><a:ln w=\"9525\"><a:solidFill><a:srgbClr val=\"D9D9D9\"/></a:solidFill></a:ln>" \
    "</c:spPr>"
/* Parts smaller than this are stored, as in DOCX (docx_zip.c): deflating
 * one saves a few hundred bytes and costs more than writing it. */
#define STORE_BELOW 4096

/* ---- charts ------------------------------------------------------------------- */

static void put_esc(lexp__sbuf *b, const char *s) { lexp__sbuf_put_xml(b, s, strlen(s)); }

static void chart_text(lexp__sbuf *b, const char *t)
{
    lexp__sbuf_puts(b, "<c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr/></a:pPr>"
                       "<a:r><a:rPr lang=\"zh-CN\"/><a:t>");
    put_esc(b, t);
    lexp__sbuf_puts(b, "</a:t></a:r></a:p></c:rich></c:tx>");
}

static void ref_f(lexp__sbuf *b, const char *sheet, uint32_t r1, uint32_t r2, int c)
{
    lexp__sbuf ref = LEXP__SBUF_INIT;
    lexp__xw_ref(&ref, sheet, r1, c, r2, c);
    lexp__sbuf_puts(b, "<c:f>");
    if (ref.oom)
        b->oom = 1;
    else
        lexp__sbuf_put_xml(b, ref.ptr, ref.len);
    lexp__sbuf_puts(b, "</c:f>");
    lexp__sbuf_free(&ref);
}

int lexp__xw_chart_xml(lexp__xws *s, const lexp__xwchart *ch, lexp__sbuf *b)
{
    int id = s->w->ncharts; /* this chart's number in the workbook */
    uint32_t n = ch->last_row - ch->first_row + 1;
    lexp__sbuf_puts(b, XML_DECL "<c:chartSpace xmlns:c=\"" NS_C "\" xmlns:a=\"" NS_A
                                "\" xmlns:r=\"" NS_R "\"><c:lang val=\"zh-CN\"/><c:chart>");
    if (ch->title && *ch->title) {
        lexp__sbuf_puts(b, "<c:title>");
        chart_text(b, ch->title);
        lexp__sbuf_puts(b, "<c:layout/><c:overlay val=\"0\"/></c:title>"
                           "<c:autoTitleDeleted val=\"0\"/>");
    } else {
        lexp__sbuf_puts(b, "<c:autoTitleDeleted val=\"1\"/>");
    }
    lexp__sbuf_puts(b, "<c:plotArea><c:layout/>");
    lexp__sbuf_puts(b, ch->pie ? "<c:pieChart><c:varyColors val=\"1\"/>"
                               : "<c:barChart><c:barDir val=\"col\"/><c:grouping "
                                 "val=\"clustered\"/><c:varyColors val=\"0\"/>");
    lexp__sbuf_puts(b, "<c:ser><c:idx val=\"0\"/><c:order val=\"0\"/>");
    if (ch->series && *ch->series) {
        lexp__sbuf_puts(b, "<c:tx><c:v>");
        put_esc(b, ch->series);
        lexp__sbuf_puts(b, "</c:v></c:tx>");
    }
    int nc = ch->ncolors > 0 ? ch->ncolors : 1;
    if (!ch->pie)
        lexp__sbuf_printf(b, "<c:spPr><a:solidFill><a:srgbClr val=\"%06X\"/></a:solidFill>"
                             "</c:spPr><c:invertIfNegative val=\"0\"/>",
                          (unsigned)(ch->palette[0] & 0xFFFFFF));
    else
        for (uint32_t i = 0; i < n && i < 256; i++)
            lexp__sbuf_printf(b, "<c:dPt><c:idx val=\"%u\"/><c:bubble3D val=\"0\"/><c:spPr>"
                                 "<a:solidFill><a:srgbClr val=\"%06X\"/></a:solidFill></c:spPr>"
                                 "</c:dPt>",
                              i, (unsigned)(ch->palette[i % (uint32_t)nc] & 0xFFFFFF));
    lexp__sbuf_printf(b, "<c:dLbls><c:showLegendKey val=\"0\"/><c:showVal val=\"1\"/>"
                         "<c:showCatName val=\"0\"/><c:showSerName val=\"0\"/>"
                         "<c:showPercent val=\"%d\"/><c:showBubbleSize val=\"0\"/></c:dLbls>",
                      ch->pie ? 1 : 0);
    lexp__sbuf_puts(b, "<c:cat><c:strRef>");
    ref_f(b, s->name, ch->first_row, ch->last_row, ch->label_col);
    lexp__sbuf_printf(b, "<c:strCache><c:ptCount val=\"%u\"/>", n);
    for (uint32_t i = 0; i < n; i++) {
        lexp__sbuf_printf(b, "<c:pt idx=\"%u\"><c:v>", i);
        put_esc(b, ch->labels[i] ? ch->labels[i] : "");
        lexp__sbuf_puts(b, "</c:v></c:pt>");
    }
    lexp__sbuf_puts(b, "</c:strCache></c:strRef></c:cat><c:val><c:numRef>");
    ref_f(b, s->name, ch->first_row, ch->last_row, ch->value_col);
    lexp__sbuf_printf(b, "<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val=\"%u\"/>",
                      n);
    for (uint32_t i = 0; i < n; i++) {
        lexp__sbuf_printf(b, "<c:pt idx=\"%u\"><c:v>", i);
        lexp__xw_num(b, ch->values[i]);
        lexp__sbuf_puts(b, "</c:v></c:pt>");
    }
    lexp__sbuf_puts(b, "</c:numCache></c:numRef></c:val></c:ser>");
    int ax1 = 50000001 + id * 10, ax2 = ax1 + 1;
    if (ch->pie) {
        lexp__sbuf_puts(b, "<c:firstSliceAng val=\"0\"/></c:pieChart></c:plotArea>"
                           "<c:legend><c:legendPos val=\"r\"/><c:overlay val=\"0\"/></c:legend>");
    } else {
        lexp__sbuf_printf(b,
                          "<c:gapWidth val=\"150\"/><c:axId val=\"%d\"/><c:axId val=\"%d\"/>"
                          "</c:barChart><c:catAx><c:axId val=\"%d\"/><c:scaling><c:orientation "
                          "val=\"minMax\"/></c:scaling><c:delete val=\"0\"/><c:axPos val=\"b\"/>"
                          "<c:numFmt formatCode=\"General\" sourceLinked=\"0\"/>"
                          "" TICKS "<c:tickLblPos val=\"nextTo\"/>" AXIS_LINE "<c:crossAx val=\"%d\"/><c:crosses "
                          "val=\"autoZero\"/><c:auto val=\"1\"/><c:lblAlgn val=\"ctr\"/>"
                          "<c:lblOffset val=\"100\"/><c:noMultiLvlLbl val=\"0\"/></c:catAx>"
                          "<c:valAx><c:axId val=\"%d\"/><c:scaling><c:orientation "
                          "val=\"minMax\"/></c:scaling><c:delete val=\"0\"/><c:axPos val=\"l\"/>"
                          "<c:majorGridlines>" GRID_LINE "</c:majorGridlines><c:numFmt formatCode=\"General\" "
                          "sourceLinked=\"1\"/>" TICKS "<c:tickLblPos val=\"nextTo\"/>" AXIS_LINE "<c:crossAx "
                          "val=\"%d\"/><c:crosses val=\"autoZero\"/><c:crossBetween "
                          "val=\"between\"/></c:valAx></c:plotArea>",
                          ax1, ax2, ax1, ax2, ax2, ax1);
    }
    lexp__sbuf_puts(b, "<c:plotVisOnly val=\"1\"/><c:dispBlanksAs val=\"gap\"/></c:chart>"
                       "</c:chartSpace>");
    /* its place on the sheet, set out when the column widths are known */
    if (lexp__sbuf_grow(&s->chart_at, sizeof(uint32_t)) == 0) {
        memcpy(s->chart_at.ptr + s->chart_at.len, &ch->at_row, sizeof(uint32_t));
        s->chart_at.len += sizeof(uint32_t);
    }
    put_esc(&s->anchors, ch->title ? ch->title : "");
    lexp__sbuf_put(&s->anchors, "", 1); /* NUL: the descriptions one after another */
    return b->oom || s->anchors.oom || s->chart_at.oom ? -1 : 0;
}

/* Pixels of a column (Excel's rule: 7 a character and 5 of padding) and
 * of a row (the default 15 pt is 20 pixels). */
static int col_px(const lexp__xws *s, int c)
{
    double w = c < s->ncolw && s->colw[c] > 0 ? s->colw[c] : 8.43;
    return (int)(w * 7 + 0.5) + 5;
}

/* The anchors of a sheet's charts: from 4 pixels into (at_row, A) to where
 * 576 × 288 pixels end, the cells found from the column widths. */
static void anchors(const lexp__xws *s, lexp__sbuf *b)
{
    const char *descr = s->anchors.ptr;
    for (int k = 1; k <= s->ncharts; k++) {
        uint32_t at;
        memcpy(&at, s->chart_at.ptr + (size_t)(k - 1) * sizeof at, sizeof at);
        int x = CHART_OFF / 9525 + CHART_CX / 9525, c1 = 0;
        while (c1 < 16383 && x >= col_px(s, c1))
            x -= col_px(s, c1++);
        int y = CHART_OFF / 9525 + CHART_CY / 9525;
        uint32_t r1 = at + (uint32_t)(y / 20);
        y %= 20;
        lexp__sbuf_printf(b,
                          "<xdr:twoCellAnchor><xdr:from><xdr:col>0</xdr:col>"
                          "<xdr:colOff>%d</xdr:colOff><xdr:row>%u</xdr:row><xdr:rowOff>%d"
                          "</xdr:rowOff></xdr:from><xdr:to><xdr:col>%d</xdr:col><xdr:colOff>%d"
                          "</xdr:colOff><xdr:row>%u</xdr:row><xdr:rowOff>%d</xdr:rowOff></xdr:to>"
                          "<xdr:graphicFrame macro=\"\"><xdr:nvGraphicFramePr><xdr:cNvPr "
                          "id=\"%d\" name=\"Chart %d\" descr=\"",
                          CHART_OFF, at, CHART_OFF, c1, x * 9525, r1, y * 9525, k + 1, k);
        lexp__sbuf_puts(b, descr); /* escaped already */
        descr += strlen(descr) + 1;
        lexp__sbuf_printf(b,
                          "\"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off "
                          "x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/></xdr:xfrm><a:graphic>"
                          "<a:graphicData uri=\"" NS_C "\"><c:chart xmlns:c=\"" NS_C
                          "\" xmlns:r=\"" NS_R "\" r:id=\"rId%d\"/></a:graphicData></a:graphic>"
                          "</xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>",
                          k);
    }
}


/* ---- the small parts ---------------------------------------------------------- */

static void rel(lexp__sbuf *b, int id, const char *type, const char *target)
{
    lexp__sbuf_printf(b, "<Relationship Id=\"rId%d\" Type=\"%s\" Target=\"%s\"/>", id, type,
                      target);
}

#define RELS_OPEN XML_DECL "<Relationships xmlns=\"" NS_PKG_R "\">"
#define RELS_CLOSE "</Relationships>"

static void content_types(const lexp__xw *w, lexp__sbuf *b)
{
    lexp__sbuf_puts(
        b, XML_DECL "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-"
                    "package.relationships+xml\"/><Default Extension=\"xml\" "
                    "ContentType=\"application/xml\"/>"
                    "<Override PartName=\"/docProps/app.xml\" ContentType=\"" CT
                    "extended-properties+xml\"/>"
                    "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/"
                    "vnd.openxmlformats-package.core-properties+xml\"/>"
                    "<Override PartName=\"/xl/styles.xml\" ContentType=\"" CT
                    "spreadsheetml.styles+xml\"/>"
                    "<Override PartName=\"/xl/workbook.xml\" ContentType=\"" CT
                    "spreadsheetml.sheet.main+xml\"/>");
    int drawing = 0;
    for (size_t i = 0; i < w->nsheets; i++) {
        lexp__sbuf_printf(b, "<Override PartName=\"/xl/worksheets/sheet%zu.xml\" ContentType=\"" CT
                             "spreadsheetml.worksheet+xml\"/>",
                          i + 1);
        if (w->sheets[i]->ncharts)
            lexp__sbuf_printf(b, "<Override PartName=\"/xl/drawings/drawing%d.xml\" "
                                 "ContentType=\"" CT "drawing+xml\"/>",
                              ++drawing);
    }
    for (int i = 1; i <= w->ncharts; i++)
        lexp__sbuf_printf(b, "<Override PartName=\"/xl/charts/chart%d.xml\" ContentType=\"" CT
                             "drawingml.chart+xml\"/>",
                          i);
    lexp__sbuf_puts(b, "</Types>");
}

static void root_rels(lexp__sbuf *b)
{
    lexp__sbuf_puts(b, RELS_OPEN);
    rel(b, 1, NS_R "/officeDocument", "xl/workbook.xml");
    rel(b, 2, NS_PKG_R "/metadata/core-properties", "docProps/core.xml");
    rel(b, 3, NS_R "/extended-properties", "docProps/app.xml");
    lexp__sbuf_puts(b, RELS_CLOSE);
}

static void elem(lexp__sbuf *b, const char *tag, const char *text)
{
    if (!text || !*text)
        return;
    lexp__sbuf_printf(b, "<%s>", tag);
    put_esc(b, text);
    lexp__sbuf_printf(b, "</%s>", tag);
}

static void core(const lexp__xw *w, lexp__sbuf *b)
{
    lexp__sbuf_puts(b, XML_DECL "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/"
                                "package/2006/metadata/core-properties\" "
                                "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
                                "xmlns:dcterms=\"http://purl.org/dc/terms/\" "
                                "xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" "
                                "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">");
    elem(b, "dc:title", w->title);
    elem(b, "dc:subject", w->subject);
    elem(b, "dc:creator", w->author);
    elem(b, "cp:keywords", w->keywords);
    elem(b, "cp:lastModifiedBy", w->author);
    lexp__sbuf_printf(b, "<dcterms:created xsi:type=\"dcterms:W3CDTF\">%s</dcterms:created>"
                         "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">%s</dcterms:modified>"
                         "</cp:coreProperties>",
                      w->created, w->created);
}

static void app(const lexp__xw *w, lexp__sbuf *b)
{
    lexp__sbuf_printf(b,
                      XML_DECL "<Properties xmlns=\"http://schemas.openxmlformats.org/"
                               "officeDocument/2006/extended-properties\" "
                               "xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/"
                               "2006/docPropsVTypes\"><Application>libexport</Application>"
                               "<DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
                               "<HeadingPairs><vt:vector size=\"2\" baseType=\"variant\">"
                               "<vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>"
                               "<vt:variant><vt:i4>%zu</vt:i4></vt:variant></vt:vector>"
                               "</HeadingPairs><TitlesOfParts><vt:vector size=\"%zu\" "
                               "baseType=\"lpstr\">",
                      w->nsheets, w->nsheets);
    for (size_t i = 0; i < w->nsheets; i++)
        elem(b, "vt:lpstr", w->sheets[i]->name);
    lexp__sbuf_puts(b, "</vt:vector></TitlesOfParts><LinksUpToDate>false</LinksUpToDate>"
                       "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
                       "<AppVersion>12.0000</AppVersion></Properties>");
}

static void defined_name(lexp__sbuf *b, const char *name, size_t sheet, int hidden,
                         const lexp__sbuf *value)
{
    lexp__sbuf_printf(b, "<definedName name=\"%s\" localSheetId=\"%zu\"%s>", name, sheet,
                      hidden ? " hidden=\"1\"" : "");
    lexp__sbuf_put_xml(b, value->ptr, value->len);
    lexp__sbuf_puts(b, "</definedName>");
}

static void workbook(const lexp__xw *w, lexp__sbuf *b)
{
    lexp__sbuf_puts(b, XML_DECL "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_R "\">"
                                "<fileVersion appName=\"xl\" lastEdited=\"4\" lowestEdited=\"4\" "
                                "rupBuild=\"4505\"/><workbookPr/><bookViews><workbookView "
                                "xWindow=\"240\" yWindow=\"15\" windowWidth=\"16095\" "
                                "windowHeight=\"9660\"/></bookViews><sheets>");
    for (size_t i = 0; i < w->nsheets; i++) {
        lexp__sbuf_puts(b, "<sheet name=\"");
        put_esc(b, w->sheets[i]->name);
        lexp__sbuf_printf(b, "\" sheetId=\"%zu\" r:id=\"rId%zu\"/>", i + 1, i + 1);
    }
    lexp__sbuf_puts(b, "</sheets>");
    int any = 0;
    lexp__sbuf v = LEXP__SBUF_INIT;
    for (size_t i = 0; i < w->nsheets; i++) {
        const lexp__xws *s = w->sheets[i];
        if (!s->filter && !s->repeat)
            continue;
        if (!any++)
            lexp__sbuf_puts(b, "<definedNames>");
        if (s->filter) {
            v.len = 0;
            lexp__xw_ref(&v, s->name, s->fr1, s->fc1, s->fr2, s->fc2);
            defined_name(b, "_xlnm._FilterDatabase", i, 1, &v);
        }
        if (s->repeat) {
            v.len = 0;
            lexp__xw_ref(&v, s->name, 0, 0, 0, 0); /* for the prefix */
            v.len = v.len - strlen("$A$1");
            lexp__sbuf_printf(&v, "$%u:$%u", s->rep1 + 1, s->rep2 + 1);
            defined_name(b, "_xlnm.Print_Titles", i, 0, &v);
        }
    }
    if (v.oom)
        b->oom = 1;
    lexp__sbuf_free(&v);
    if (any)
        lexp__sbuf_puts(b, "</definedNames>");
    lexp__sbuf_puts(b, "<calcPr calcId=\"124519\" fullCalcOnLoad=\"1\"/></workbook>");
}

static void workbook_rels(const lexp__xw *w, lexp__sbuf *b)
{
    lexp__sbuf_puts(b, RELS_OPEN);
    char target[64];
    for (size_t i = 0; i < w->nsheets; i++) {
        snprintf(target, sizeof target, "worksheets/sheet%zu.xml", i + 1);
        rel(b, (int)i + 1, NS_R "/worksheet", target);
    }
    rel(b, (int)w->nsheets + 1, NS_R "/styles", "styles.xml");
    lexp__sbuf_puts(b, RELS_CLOSE);
}

static void styles(const lexp__xw *w, lexp__sbuf *b)
{
    lexp__sbuf_puts(b, XML_DECL "<styleSheet xmlns=\"" NS_MAIN "\">");
    if (w->nnumfmts) {
        lexp__sbuf_printf(b, "<numFmts count=\"%zu\">", w->nnumfmts);
        for (size_t i = 0; i < w->nnumfmts; i++) {
            lexp__sbuf_printf(b, "<numFmt numFmtId=\"%zu\" formatCode=\"", 164 + i);
            put_esc(b, w->numfmts[i]);
            lexp__sbuf_puts(b, "\"/>");
        }
        lexp__sbuf_puts(b, "</numFmts>");
    }
    lexp__sbuf_printf(b, "<fonts count=\"%zu\">", w->nfonts);
    for (size_t i = 0; i < w->nfonts; i++) {
        const xw_font *f = &w->fonts[i];
        lexp__sbuf_printf(b, "<font>%s%s<sz val=\"%u\"/>", f->bold ? "<b/>" : "",
                          f->italic ? "<i/>" : "", (unsigned)f->size);
        if (f->color & LEXP__XW_SET)
            lexp__sbuf_printf(b, "<color rgb=\"FF%06X\"/>", (unsigned)(f->color & 0xFFFFFF));
        lexp__sbuf_puts(b, "<name val=\"Calibri\"/><family val=\"2\"/></font>");
    }
    lexp__sbuf_printf(b, "</fonts><fills count=\"%zu\"><fill><patternFill patternType=\"none\"/>"
                         "</fill><fill><patternFill patternType=\"gray125\"/></fill>",
                      w->nfills);
    for (size_t i = 2; i < w->nfills; i++)
        lexp__sbuf_printf(b, "<fill><patternFill patternType=\"solid\"><fgColor rgb=\"FF%06X\"/>"
                             "<bgColor indexed=\"64\"/></patternFill></fill>",
                          (unsigned)(w->fills[i] & 0xFFFFFF));
    lexp__sbuf_puts(b, "</fills><borders count=\"2\"><border><left/><right/><top/><bottom/>"
                       "<diagonal/></border><border><left style=\"thin\"><color auto=\"1\"/>"
                       "</left><right style=\"thin\"><color auto=\"1\"/></right><top "
                       "style=\"thin\"><color auto=\"1\"/></top><bottom style=\"thin\"><color "
                       "auto=\"1\"/></bottom><diagonal/></border></borders>"
                       "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" "
                       "borderId=\"0\"/></cellStyleXfs>");
    lexp__sbuf_printf(b, "<cellXfs count=\"%zu\">", w->nxfs);
    static const char *const halign[] = {"", "left", "center", "right"};
    for (size_t i = 0; i < w->nxfs; i++) {
        const xw_xf *x = &w->xfs[i];
        int align = x->halign || x->vcenter || x->wrap;
        lexp__sbuf_printf(b, "<xf numFmtId=\"%d\" fontId=\"%d\" fillId=\"%d\" borderId=\"%d\" "
                             "xfId=\"0\"%s%s%s%s%s",
                          x->numfmt, x->font, x->fill, x->border,
                          x->numfmt ? " applyNumberFormat=\"1\"" : "",
                          x->font ? " applyFont=\"1\"" : "", x->fill ? " applyFill=\"1\"" : "",
                          x->border ? " applyBorder=\"1\"" : "",
                          align ? " applyAlignment=\"1\"><alignment" : "/>");
        if (!align)
            continue;
        if (x->halign && x->halign <= 3)
            lexp__sbuf_printf(b, " horizontal=\"%s\"", halign[x->halign]);
        if (x->vcenter)
            lexp__sbuf_puts(b, " vertical=\"center\"");
        if (x->wrap)
            lexp__sbuf_puts(b, " wrapText=\"1\"");
        lexp__sbuf_puts(b, "/></xf>");
    }
    lexp__sbuf_puts(b, "</cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" "
                       "builtinId=\"0\"/></cellStyles><dxfs count=\"0\"/><tableStyles "
                       "count=\"0\" defaultTableStyle=\"TableStyleMedium9\" "
                       "defaultPivotStyle=\"PivotStyleLight16\"/></styleSheet>");
}

/* ---- the archive -------------------------------------------------------------- */

typedef struct pack {
    lexp__xw *w;
    zip_t *za;
    lexp_error *err;
    int rc;
} pack;

static int zfail(pack *k, const char *what)
{
    if (!k->rc)
        k->rc = lexp__error_set(k->err, LEXP_EBACKEND, NULL, 0, 0, NULL, "xlsx: %s: %s", what,
                                zip_strerror(k->za));
    return k->rc;
}

/* Add an entry; its index, or -1 with k->rc set. */
static zip_int64_t add_source(pack *k, const char *name, zip_source_t *src)
{
    if (k->rc) {
        if (src)
            zip_source_free(src);
        return -1;
    }
    if (!src) {
        k->rc = lexp__error_oom(k->err);
        return -1;
    }
    zip_int64_t idx = zip_file_add(k->za, name, src, 0);
    if (idx < 0) {
        zip_source_free(src);
        zfail(k, name);
        return -1;
    }
    /* 1980-01-01 00:00 as DOS fields: no time zone can move it */
    if (lexp__zip_set_dostime(k->za, (zip_uint64_t)idx, 0, (1 << 5) | 1) < 0) {
        zfail(k, name);
        return -1;
    }
    return idx;
}

static void add_xml(pack *k, const char *name, lexp__sbuf *b)
{
    if (k->rc)
        return;
    if (b->oom) {
        k->rc = lexp__error_oom(k->err);
        return;
    }
    int oom = 0;
    if (b->len < STORE_BELOW) {
        /* libzip copies the bytes: the buffer is reused for the next part */
        void *copy = malloc(b->len ? b->len : 1);
        zip_source_t *src = NULL;
        if (copy) {
            memcpy(copy, b->ptr, b->len);
            if (!(src = zip_source_buffer(k->za, copy, b->len, 1)))
                free(copy);
        }
        zip_int64_t idx = add_source(k, name, src);
        if (idx >= 0 && zip_set_file_compression(k->za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) < 0)
            zfail(k, name);
    } else {
        add_source(k, name, lexp__zip_source_deflated(k->za, k->w->dfl, b->ptr, b->len, &oom));
    }
    b->len = 0;
}

static void add_part(pack *k, xw_part *p)
{
    if (k->rc)
        return;
    add_source(k, p->name, lexp__zip_source_raw(k->za, p->comp, p->comp_len, p->size, p->crc));
    p->comp = NULL; /* the source owns it now */
}

int lexp__xw_package(lexp__xw *w, lexp__sbuf *out, const char *to, lexp_error *err)
{
    int streamed = 0;
    for (size_t i = 0; i < w->nsheets; i++)
        if (w->sheets[i]->sp.f)
            streamed = 1;
    pack k = {w, NULL, err, 0};
    /* a big workbook goes to a scratch file, copied to its place */
    lexp__zout zo;
    int rc = lexp__zout_open(&zo, streamed ? w->tmpdir : NULL, "xlsx", err);
    if (rc)
        return rc;
    k.za = zo.za;

    lexp__sbuf b = LEXP__SBUF_INIT;
    content_types(w, &b);
    add_xml(&k, "[Content_Types].xml", &b);
    root_rels(&b);
    add_xml(&k, "_rels/.rels", &b);
    core(w, &b);
    add_xml(&k, "docProps/core.xml", &b);
    app(w, &b);
    add_xml(&k, "docProps/app.xml", &b);
    workbook(w, &b);
    add_xml(&k, "xl/workbook.xml", &b);
    workbook_rels(w, &b);
    add_xml(&k, "xl/_rels/workbook.xml.rels", &b);
    styles(w, &b);
    add_xml(&k, "xl/styles.xml", &b);
    char name[64];
    int drawing = 0;
    for (size_t i = 0; i < w->nsheets && !k.rc; i++) {
        lexp__xws *s = w->sheets[i];
        if (!s->sp.f)
            add_part(&k, &s->part);
        else /* head, the spooled rows, tail: one stream in three pieces */
            add_source(&k, s->part.name,
                       lexp__zip_source_zspool(k.za, &s->head, &s->sp, &s->tail));
        if (!s->ncharts)
            continue;
        drawing++;
        snprintf(name, sizeof name, "xl/worksheets/_rels/sheet%zu.xml.rels", i + 1);
        lexp__sbuf_puts(&b, RELS_OPEN);
        char target[64];
        snprintf(target, sizeof target, "../drawings/drawing%d.xml", drawing);
        rel(&b, 1, NS_R "/drawing", target);
        lexp__sbuf_puts(&b, RELS_CLOSE);
        add_xml(&k, name, &b);
        snprintf(name, sizeof name, "xl/drawings/drawing%d.xml", drawing);
        lexp__sbuf_puts(&b, XML_DECL "<xdr:wsDr xmlns:xdr=\"http://schemas.openxmlformats.org/"
                                     "drawingml/2006/spreadsheetDrawing\" xmlns:a=\"" NS_A "\">");
        anchors(s, &b);
        lexp__sbuf_puts(&b, "</xdr:wsDr>");
        add_xml(&k, name, &b);
        snprintf(name, sizeof name, "xl/drawings/_rels/drawing%d.xml.rels", drawing);
        lexp__sbuf_puts(&b, RELS_OPEN);
        for (int c = 0; c < s->ncharts; c++) {
            snprintf(target, sizeof target, "../charts/chart%d.xml", s->first_chart + c);
            rel(&b, c + 1, NS_R "/chart", target);
        }
        lexp__sbuf_puts(&b, RELS_CLOSE);
        add_xml(&k, name, &b);
    }
    for (int i = 0; i < w->ncharts && !k.rc; i++) {
        snprintf(name, sizeof name, "xl/charts/chart%d.xml", i + 1);
        add_xml(&k, name, &w->charts[i]);
    }
    lexp__sbuf_free(&b);
    if (!k.rc && zip_close(k.za) < 0)
        zfail(&k, "writing the archive");
    if (k.rc) {
        lexp__zout_discard(&zo);
        return k.rc;
    }
    return lexp__zout_deliver(&zo, out, to, err);
}
