/*
 * DOCX: the small parts — settings, footers, core and app properties,
 * content types and relationships.
 */
#include <string.h>

#include "docx.h"

#define CT_WML "application/vnd.openxmlformats-officedocument.wordprocessingml."

/* ---- settings ------------------------------------------------------------------ */

/* Characters that may not start / end a line in Chinese: Word's zh-CN
 * kinsoku sets, with their full-width forms (domain conventions §4). */
static const char no_start[] =
    "!%),.:;>?]}¢¨°·ˇˉ―‖’”…‰′″›℃∶、。〃〉》」』】〕〗〞︶︺︾﹀﹄﹚﹜﹞"
    "！＂％＇），．：；？］｀｜｝～￠";
static const char no_end[] = "$([{£¥·‘“〈《「『【〔〖〝﹙﹛﹝＄（．［｛￡￥";

int dx_write_settings(dx *c)
{
    const lexp_style *st = c->st;
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "w:settings");
    dx_attr(c, "xmlns:w", DX_NS_W);
    dx_start(c, "w:zoom");
    dx_attr(c, "w:percent", "100");
    dx_end(c);
    if (st->margin_inside != st->margin_outside)
        dx_empty(c, "w:mirrorMargins"); /* duplex: the type area stays put */
    /* tabs every two characters of body text */
    dx_val_int(c, "w:defaultTabStop", dx_twips(2 * st->body.size));
    if (c->footers == 2)
        dx_empty(c, "w:evenAndOddHeaders");
    /* On the character grid every character keeps its full cell, as
     * official documents are set; elsewhere punctuation is compressed. */
    dx_val(c, "w:characterSpacingControl", c->grid ? "doNotCompress" : "compressPunctuation");
    dx_start(c, "w:noLineBreaksAfter");
    dx_attr(c, "w:lang", "zh-CN");
    dx_attr(c, "w:val", no_end);
    dx_end(c);
    dx_start(c, "w:noLineBreaksBefore");
    dx_attr(c, "w:lang", "zh-CN");
    dx_attr(c, "w:val", no_start);
    dx_end(c);
    dx_start(c, "w:compat");
    dx_empty(c, "w:useFELayout");
    dx_start(c, "w:compatSetting");
    dx_attr(c, "w:name", "compatibilityMode");
    dx_attr(c, "w:uri", "http://schemas.microsoft.com/office/word");
    dx_attr(c, "w:val", "15");
    dx_end(c);
    dx_end(c);
    dx_start(c, "w:themeFontLang");
    dx_attr(c, "w:val", "en-US");
    dx_attr(c, "w:eastAsia", "zh-CN");
    dx_end(c);
    dx_val(c, "w:decimalSymbol", ".");
    dx_val(c, "w:listSeparator", ",");
    dx_end(c);
    return dx_part_end(c, "word/settings.xml");
}

/* ---- footers ------------------------------------------------------------------- */

static void field_char(dx *c, const char *type)
{
    dx_start(c, "w:r");
    dx_start(c, "w:fldChar");
    dx_attr(c, "w:fldCharType", type);
    dx_end(c);
    dx_end(c);
}

int dx_write_footer(dx *c, int even, const char *name)
{
    const lexp_style *st = c->st;
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "w:ftr");
    dx_attr(c, "xmlns:w", DX_NS_W);
    dx_attr(c, "xmlns:r", DX_NS_R);
    dx_ppr p = {0};
    p.style = DX_ST_FOOTER;
    if (st->pagenum == LEXP_PAGENUM_GBT9704) {
        /* GB/T 9704 §7.5: odd pages right, even pages left, one character
         * in from the edge of the type area. */
        p.has_ind = 1;
        p.char_pt = st->pagenum_size;
        if (even) {
            p.ind_left_chars = 1;
            p.jc = LEXP_ALIGN_LEFT;
        } else {
            p.ind_right_chars = 1;
            p.jc = LEXP_ALIGN_RIGHT;
        }
    } else {
        p.jc = LEXP_ALIGN_CENTER;
    }
    dx_start(c, "w:p");
    dx_ppr_write(c, &p);
    /* "— N —": an em dash (一字线) each side of the PAGE field */
    dx_run(c, NULL, "— ", strlen("— "));
    field_char(c, "begin");
    dx_start(c, "w:r");
    dx_start(c, "w:instrText");
    dx_attr(c, "xml:space", "preserve");
    dx_chars(c, " PAGE ", 6);
    dx_end(c);
    dx_end(c);
    field_char(c, "separate");
    dx_run(c, NULL, even ? "2" : "1", 1);
    field_char(c, "end");
    dx_run(c, NULL, " —", strlen(" —"));
    dx_end(c); /* p */
    dx_end(c); /* ftr */
    return dx_part_end(c, name);
}

int dx_write_empty_footer(dx *c, const char *name)
{
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "w:ftr");
    dx_attr(c, "xmlns:w", DX_NS_W);
    dx_start(c, "w:p");
    dx_ppr p = {0};
    p.style = DX_ST_FOOTER;
    dx_ppr_write(c, &p);
    dx_end(c); /* p */
    dx_end(c); /* ftr */
    return dx_part_end(c, name);
}

/* ---- document properties ---------------------------------------------------------- */

int dx_write_core(dx *c)
{
    const lexp_doc *d = c->doc;
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "cp:coreProperties");
    dx_attr(c, "xmlns:cp",
            "http://schemas.openxmlformats.org/package/2006/metadata/core-properties");
    dx_attr(c, "xmlns:dc", "http://purl.org/dc/elements/1.1/");
    dx_attr(c, "xmlns:dcterms", "http://purl.org/dc/terms/");
    dx_attr(c, "xmlns:dcmitype", "http://purl.org/dc/dcmitype/");
    dx_attr(c, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
    if (d->title)
        dx_text_el(c, "dc:title", d->title);
    if (d->subject)
        dx_text_el(c, "dc:subject", d->subject);
    if (d->author)
        dx_text_el(c, "dc:creator", d->author);
    if (d->keywords)
        dx_text_el(c, "cp:keywords", d->keywords);
    if (d->subtitle)
        dx_text_el(c, "dc:description", d->subtitle);
    /* The document's own date, never the clock: same input, same bytes. */
    int y, m, day;
    if (d->date && lexp__parse_date(d->date, strlen(d->date), &y, &m, &day)) {
        char iso[32];
        snprintf(iso, sizeof iso, "%04d-%02d-%02dT00:00:00Z", y, m, day);
        static const char *const names[] = {"dcterms:created", "dcterms:modified"};
        for (int i = 0; i < 2; i++) {
            dx_start(c, names[i]);
            dx_attr(c, "xsi:type", "dcterms:W3CDTF");
            dx_chars(c, iso, strlen(iso));
            dx_end(c);
        }
    }
    dx_end(c);
    return dx_part_end(c, "docProps/core.xml");
}

int dx_write_app(dx *c)
{
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "Properties");
    dx_attr(c, "xmlns",
            "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties");
    dx_attr(c, "xmlns:vt",
            "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes");
    dx_text_el(c, "Application", "libexport");
    dx_text_el(c, "DocSecurity", "0");
    dx_text_el(c, "ScaleCrop", "false");
    dx_text_el(c, "LinksUpToDate", "false");
    dx_text_el(c, "SharedDoc", "false");
    dx_text_el(c, "HyperlinksChanged", "false");
    dx_end(c);
    return dx_part_end(c, "docProps/app.xml");
}

/* ---- content types ---------------------------------------------------------------- */

/* The content type of an XML part by its name; NULL for those covered by
 * a Default (relationships). */
static const char *xml_type(const char *name)
{
    static const struct {
        const char *prefix, *type;
    } t[] = {
        {"word/document.xml", CT_WML "document.main+xml"},
        {"word/styles.xml", CT_WML "styles+xml"},
        {"word/settings.xml", CT_WML "settings+xml"},
        {"word/fontTable.xml", CT_WML "fontTable+xml"},
        {"word/footer", CT_WML "footer+xml"},
        {"word/charts/chart", "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"},
        {"docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"},
        {"docProps/app.xml",
         "application/vnd.openxmlformats-officedocument.extended-properties+xml"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strncmp(name, t[i].prefix, strlen(t[i].prefix)) == 0)
            return t[i].type;
    return NULL;
}

static void ct_default(dx *c, const char *ext, const char *type)
{
    dx_start(c, "Default");
    dx_attr(c, "Extension", ext);
    dx_attr(c, "ContentType", type);
    dx_end(c);
}

int dx_write_content_types(dx *c)
{
    int png = 0, jpeg = 0;
    for (int i = 0; i < c->nmedia; i++)
        if (c->media[i].part >= 0) {
            png |= c->media[i].png;
            jpeg |= !c->media[i].png;
        }
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "Types");
    dx_attr(c, "xmlns", "http://schemas.openxmlformats.org/package/2006/content-types");
    ct_default(c, "rels", "application/vnd.openxmlformats-package.relationships+xml");
    ct_default(c, "xml", "application/xml");
    if (png)
        ct_default(c, "png", "image/png");
    if (jpeg)
        ct_default(c, "jpeg", "image/jpeg");
    /* Overrides for every XML part written so far, plus the relationships
     * parts, which follow this one and are covered by the Default. */
    for (int i = 0; i < c->nparts; i++) {
        const char *type = c->parts[i].xml ? xml_type(c->parts[i].name) : NULL;
        if (!type)
            continue;
        char pn[64];
        snprintf(pn, sizeof pn, "/%s", c->parts[i].name);
        dx_start(c, "Override");
        dx_attr(c, "PartName", pn);
        dx_attr(c, "ContentType", type);
        dx_end(c);
    }
    dx_end(c);
    return dx_part_end(c, "[Content_Types].xml");
}

/* ---- relationships ---------------------------------------------------------------- */

static void rel(dx *c, int id, const char *type, const char *target)
{
    char rid[16];
    snprintf(rid, sizeof rid, "rId%d", id);
    dx_start(c, "Relationship");
    dx_attr(c, "Id", rid);
    dx_attr(c, "Type", type);
    dx_attr(c, "Target", target);
    dx_end(c);
}

int dx_write_root_rels(dx *c)
{
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "Relationships");
    dx_attr(c, "xmlns", DX_NS_PKG_REL);
    rel(c, 1, DX_REL "officeDocument", "word/document.xml");
    rel(c, 2, "http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
              "core-properties",
        "docProps/core.xml");
    rel(c, 3, DX_REL "extended-properties", "docProps/app.xml");
    dx_end(c);
    return dx_part_end(c, "_rels/.rels");
}

int dx_write_document_rels(dx *c)
{
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "Relationships");
    dx_attr(c, "xmlns", DX_NS_PKG_REL);
    rel(c, DX_RID_STYLES, DX_REL "styles", "styles.xml");
    rel(c, DX_RID_SETTINGS, DX_REL "settings", "settings.xml");
    rel(c, DX_RID_FONTS, DX_REL "fontTable", "fontTable.xml");
    if (c->footers >= 1)
        rel(c, DX_RID_FOOTER1, DX_REL "footer", "footer1.xml");
    if (c->footers == 2)
        rel(c, DX_RID_FOOTER2, DX_REL "footer", "footer2.xml");
    if (c->banji_rid)
        rel(c, c->banji_rid, DX_REL "footer", "footer3.xml");
    for (int i = 0; i < c->nmedia; i++) {
        const dx_media *m = &c->media[i];
        if (m->part < 0)
            continue;
        rel(c, m->rid, DX_REL "image", c->parts[m->part].name + strlen("word/"));
    }
    for (int k = 0; k < c->ncharts; k++) {
        char target[48];
        snprintf(target, sizeof target, "charts/chart%d.xml", k + 1);
        rel(c, c->chart_rids[k], DX_REL "chart", target);
    }
    dx_end(c);
    return dx_part_end(c, "word/_rels/document.xml.rels");
}
