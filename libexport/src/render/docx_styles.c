/*
 * DOCX: word/styles.xml and word/fontTable.xml.
 *
 * Every kind of block has a named style built from the preset's text
 * styles (style.c, shared with the PDF renderer), so a user who edits the
 * document in Word changes all headings at once. Fonts are given by role:
 * East Asian text in the Chinese face stock Windows 10/11 has (仿宋, 黑体,
 * …; the fontconfig aliases in fonts/ give LibreOffice the free faces for
 * them), Latin text and digits in Times New Roman (the Latin role of the
 * PDF), language zh-CN.
 */
#include <string.h>

#include "docx.h"

#define LATIN lexp__role_docx_name(LEXP_ROLE_LATIN)

static void style_begin(dx *c, const char *type, const char *id, const char *name,
                        const char *based, const char *next, int qformat)
{
    dx_start(c, "w:style");
    dx_attr(c, "w:type", type);
    if (strcmp(id, "Normal") == 0 || strcmp(id, "DefaultParagraphFont") == 0 ||
        strcmp(id, "TableNormal") == 0)
        dx_attr(c, "w:default", "1");
    dx_attr(c, "w:styleId", id);
    dx_val(c, "w:name", name);
    if (based)
        dx_val(c, "w:basedOn", based);
    if (next)
        dx_val(c, "w:next", next);
    if (qformat)
        dx_empty(c, "w:qFormat");
}

/* Properties of a preset text style as a paragraph style. `extra` holds
 * what the caller sets beyond the text style (keepNext, outline level). */
static void para_style(dx *c, const char *id, const char *name, const char *next,
                       const lexp_textstyle *ts, const dx_ppr *extra, int qformat)
{
    style_begin(c, "paragraph", id, name, "Normal", next, qformat);
    dx_ppr p = extra ? *extra : (dx_ppr){0};
    p.style = NULL;
    dx_ppr_spacing(c, &p, ts);
    if (!p.has_ind) {
        p.has_ind = 1;
        p.ind_first_chars = ts->indent_chars;
    }
    p.char_pt = ts->size;
    p.jc = ts->align != LEXP_ALIGN_DEFAULT ? (int)ts->align : LEXP_ALIGN_JUSTIFY;
    dx_ppr_write(c, &p);
    dx_rpr r = dx_rpr_none();
    r.role = ts->role;
    r.size = ts->size;
    r.bold = ts->bold ? 1 : 0;
    if (ts->color) {
        r.has_color = 1;
        r.color = ts->color;
    }
    if (p.snap < 0)
        r.snap = -1;
    if (c->tracking != 0 && ts->size != c->st->body.size) {
        r.has_tracking = 1; /* the condensing is for body-size text only */
        r.tracking = 0;
    }
    dx_rpr_write(c, &r);
    dx_end(c);
}

static void doc_defaults(dx *c)
{
    const lexp_style *st = c->st;
    dx_start(c, "w:docDefaults");
    dx_start(c, "w:rPrDefault");
    dx_rpr r = dx_rpr_none();
    r.latin = LATIN;
    r.role = st->body.role;
    r.size = st->body.size;
    r.lang = 1;
    dx_rpr_write(c, &r);
    dx_end(c);
    dx_start(c, "w:pPrDefault");
    dx_ppr p = {0};
    /* Line-breaking rules for Chinese (禁则) on. Punctuation may hang into
     * the margin, as Word does by default: clreq prefers no hanging, but
     * LibreOffice, told not to hang, drops a comma that falls just past a
     * full line instead of moving a character down (the text is lost). */
    p.kinsoku = 1;
    p.overflow_punct = 1;
    /* CJK–Latin spacing, decided once for PDF and DOCX: none added. Office
     * prose runs figures into the text (3986户、12130人, 2024年9月30日) and
     * GB/T 9704 sets it on a grid of whole characters; Word's and
     * LibreOffice's automatic quarter-em differ, and the PDF has none, so it
     * is switched off here. Justification may still widen those gaps. */
    p.no_autospace = 1;
    dx_ppr_write(c, &p);
    dx_end(c);
    dx_end(c);
}

static void table_style(dx *c)
{
    /* Word's default table style, then the grid style every table uses. */
    style_begin(c, "table", "TableNormal", "Normal Table", NULL, NULL, 0);
    dx_val_int(c, "w:uiPriority", 99);
    dx_empty(c, "w:semiHidden");
    dx_empty(c, "w:unhideWhenUsed");
    dx_start(c, "w:tblPr");
    dx_start(c, "w:tblInd");
    dx_attr(c, "w:w", "0");
    dx_attr(c, "w:type", "dxa");
    dx_end(c);
    dx_start(c, "w:tblCellMar");
    static const char *const sides[] = {"w:top", "w:left", "w:bottom", "w:right"};
    for (int i = 0; i < 4; i++) {
        dx_start(c, sides[i]);
        dx_attr(c, "w:w", (i & 1) ? "108" : "0");
        dx_attr(c, "w:type", "dxa");
        dx_end(c);
    }
    dx_end(c);
    dx_end(c);
    dx_end(c);

    style_begin(c, "table", DX_ST_TABLE, "Table Grid", "TableNormal", NULL, 0);
    dx_val_int(c, "w:uiPriority", 59);
    dx_start(c, "w:tblPr");
    dx_start(c, "w:tblBorders");
    static const char *const b[] = {"w:top", "w:left", "w:bottom", "w:right", "w:insideH",
                                    "w:insideV"};
    long sz = (long)(c->st->table_rule * 8 + 0.5);
    for (int i = 0; i < 6; i++) {
        dx_start(c, b[i]);
        dx_attr(c, "w:val", "single");
        dx_attr_int(c, "w:sz", sz < 2 ? 2 : sz);
        dx_attr(c, "w:space", "0");
        dx_attr(c, "w:color", "000000");
        dx_end(c);
    }
    dx_end(c);
    dx_end(c);
    dx_end(c);
}

int dx_write_styles(dx *c)
{
    const lexp_style *st = c->st;
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "w:styles");
    dx_attr(c, "xmlns:w", DX_NS_W);
    doc_defaults(c);

    /* Normal: the body's face, size and pitch, without the indent (every
     * style derives from it). */
    {
        lexp_textstyle normal = st->body;
        normal.indent_chars = 0;
        style_begin(c, "paragraph", "Normal", "Normal", NULL, NULL, 1);
        dx_ppr p = {0};
        dx_ppr_spacing(c, &p, &normal);
        p.overflow_punct = 1; /* also here: LibreOffice reads it from styles */
        /* Widow control stated (Word takes its absence as off, LibreOffice
         * as on) and on: no single line of a paragraph at a page's top or
         * foot, and with keepNext a heading or the signature takes two
         * lines of text along. A page may then end a line short of 22. */
        p.widow = 1;
        p.jc = LEXP_ALIGN_JUSTIFY;
        dx_ppr_write(c, &p);
        dx_rpr r = dx_rpr_none();
        r.role = normal.role;
        r.size = normal.size;
        if (c->tracking != 0) {
            r.has_tracking = 1;
            r.tracking = c->tracking;
        }
        dx_rpr_write(c, &r);
        dx_end(c);
    }
    style_begin(c, "character", "DefaultParagraphFont", "Default Paragraph Font", NULL, NULL,
                0);
    dx_val_int(c, "w:uiPriority", 1);
    dx_empty(c, "w:semiHidden");
    dx_empty(c, "w:unhideWhenUsed");
    dx_end(c);
    table_style(c);

    para_style(c, DX_ST_BODY, "Body Text", NULL, &st->body, NULL, 1);
    dx_ppr keep = {0};
    keep.keep_next = 1;
    para_style(c, DX_ST_TITLE, "Title", DX_ST_BODY, &st->title, &keep, 1);
    para_style(c, DX_ST_SUBTITLE, "Subtitle", DX_ST_BODY, &st->subtitle, &keep, 1);
    static const char *const hid[] = {"Heading1", "Heading2", "Heading3", "Heading4"};
    static const char *const hname[] = {"heading 1", "heading 2", "heading 3", "heading 4"};
    for (int i = 0; i < 4; i++) {
        dx_ppr h = {0};
        h.keep_next = 1;
        h.keep_lines = 1;
        h.outline = i + 1; /* navigation pane and table of contents */
        para_style(c, hid[i], hname[i], DX_ST_BODY, &st->heading[i], &h, 1);
    }
    para_style(c, DX_ST_LIST, "List Paragraph", NULL, &st->list, NULL, 1);
    {
        /* Table cells: no indent, single lines off the page grid. */
        lexp_textstyle cell = st->table, head = st->table_header;
        cell.indent_chars = head.indent_chars = 0;
        para_style(c, DX_ST_CELL, "Table Text", NULL, &cell, NULL, 1);
        para_style(c, DX_ST_CELL_HEAD, "Table Heading", NULL, &head, NULL, 1);
    }
    para_style(c, DX_ST_CAPTION, "caption", DX_ST_BODY, &st->caption, NULL, 1);
    {
        /* Pictures and charts: centred, and never an exact line height, which
         * would clip the drawing to one line. */
        style_begin(c, "paragraph", DX_ST_FIGURE, "Figure", "Normal", DX_ST_CAPTION, 0);
        dx_ppr p = {0};
        p.keep_next = 1;
        p.snap = -1;
        p.has_spacing = 1;
        p.before = st->caption.space_before;
        p.line = 240;
        p.line_rule = 1;
        p.has_ind = 1;
        p.char_pt = st->body.size;
        p.jc = LEXP_ALIGN_CENTER;
        dx_ppr_write(c, &p);
        dx_end(c);
    }
    para_style(c, DX_ST_SIGNATURE, "Signature", NULL, &st->signature, NULL, 1);
    para_style(c, DX_ST_DIST, "Distribution", NULL, &st->distribution, NULL, 1);
    {
        dx_ppr p = {0};
        p.keep_next = 1;
        lexp_textstyle note = st->masthead_line;
        para_style(c, DX_ST_MH_NOTE, "Masthead Note", NULL, &note, &p, 0);
        lexp_textstyle title = st->masthead_title;
        title.space_before = st->masthead_top; /* from the top of the type area */
        para_style(c, DX_ST_MH_TITLE, "Masthead Title", NULL, &title, &p, 1);
        para_style(c, DX_ST_MH_ISSUE, "Masthead Issue", NULL, &st->masthead_issue, &p, 0);
        para_style(c, DX_ST_MH_LINE, "Masthead Line", NULL, &st->masthead_line, &p, 0);
    }
    {
        /* Rules: an empty paragraph one point high carrying a border. */
        style_begin(c, "paragraph", DX_ST_RULE, "Rule", "Normal", DX_ST_BODY, 0);
        dx_ppr p = {0};
        p.snap = -1;
        p.has_spacing = 1;
        p.line = 1;
        p.line_rule = 2;
        p.has_ind = 1;
        p.char_pt = st->body.size;
        dx_ppr_write(c, &p);
        dx_rpr r = dx_rpr_none();
        r.snap = -1;
        r.size = 1;
        dx_rpr_write(c, &r);
        dx_end(c);
    }
    {
        /* Page numbers: 4号 半角宋体 (GB/T 9704 §7.5), off the grid. */
        style_begin(c, "paragraph", DX_ST_FOOTER, "footer", "Normal", NULL, 0);
        dx_ppr p = {0};
        p.snap = -1;
        p.has_spacing = 1;
        p.line = st->pagenum_size * 1.2;
        p.line_rule = 2;
        p.has_ind = 1;
        p.char_pt = st->pagenum_size;
        dx_ppr_write(c, &p);
        dx_rpr r = dx_rpr_none();
        r.font = lexp__role_docx_name(st->pagenum_role);
        r.size = st->pagenum_size;
        r.snap = -1;
        dx_rpr_write(c, &r);
        dx_end(c);
    }
    dx_end(c); /* styles */
    return dx_part_end(c, "word/styles.xml");
}

/* ---- font table -------------------------------------------------------------- */

/* What Word needs to substitute a missing Chinese font sensibly: its other
 * name (the _GB2312 fonts older setups have for 仿宋 and 楷体, the English
 * names otherwise), the GB2312 character set and the classification. */
static const struct {
    int role;
    const char *alt;
    const char *panose;
    const char *family;
    const char *pitch;
} fonts[] = {
    {LEXP_ROLE_SONG, "SimSun", "02010600030101010101", "auto", "variable"},
    {LEXP_ROLE_FANGSONG, "仿宋_GB2312", "02010609030101010101", "modern", "fixed"},
    {LEXP_ROLE_HEI, "SimHei", "02010609060101010101", "modern", "fixed"},
    {LEXP_ROLE_KAI, "楷体_GB2312", "02010609030101010101", "modern", "fixed"},
    {LEXP_ROLE_XIAOBIAOSONG, "FZXiaoBiaoSong-B05S", "02000000000000000000", "auto",
     "variable"},
};

int dx_write_font_table(dx *c)
{
    int rc = dx_part_begin(c);
    if (rc)
        return rc;
    dx_start(c, "w:fonts");
    dx_attr(c, "xmlns:w", DX_NS_W);
    dx_start(c, "w:font");
    dx_attr(c, "w:name", LATIN);
    dx_val(c, "w:panose1", "02020603050405020304");
    dx_val(c, "w:charset", "00");
    dx_val(c, "w:family", "roman");
    dx_val(c, "w:pitch", "variable");
    dx_end(c);
    for (size_t i = 0; i < sizeof fonts / sizeof *fonts; i++) {
        dx_start(c, "w:font");
        dx_attr(c, "w:name", lexp__role_docx_name(fonts[i].role));
        dx_val(c, "w:altName", fonts[i].alt);
        dx_val(c, "w:panose1", fonts[i].panose);
        dx_val(c, "w:charset", "86");
        dx_val(c, "w:family", fonts[i].family);
        dx_val(c, "w:pitch", fonts[i].pitch);
        dx_end(c);
    }
    dx_end(c);
    return dx_part_end(c, "word/fontTable.xml");
}
