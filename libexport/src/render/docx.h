/*
 * DOCX renderer, private interface shared by its files.
 *
 * The package is written part by part: every part is produced by its own
 * function into a memory buffer with the small XML writer of docx_xml.c,
 * and docx.c zips the parts with libzip in a fixed order.
 *
 *   [Content_Types].xml         docx_package.c
 *   _rels/.rels                 docx_package.c
 *   docProps/core.xml, app.xml  docx_package.c
 *   word/document.xml           docx_document.c (+ docx_table.c, docx_drawing.c)
 *   word/_rels/document.xml.rels  docx_package.c
 *   word/styles.xml             docx_styles.c
 *   word/settings.xml           docx_package.c
 *   word/fontTable.xml          docx_styles.c
 *   word/footer1.xml, footer2.xml  docx_package.c (page numbers "— N —")
 *   word/media/imageN.{png,jpeg}   docx_drawing.c (copied from the files)
 *   word/charts/chartN.xml      docx_drawing.c (DrawingML charts)
 *
 * Units: OOXML mixes twentieths of a point (twips, "dxa"), half-points
 * (font sizes), eighths of a point (borders), hundredths of a character
 * (indents in characters) and EMU (12700 per point, drawings). The style
 * table is in points; the helpers below convert.
 */
#ifndef LEXP_DOCX_H
#define LEXP_DOCX_H

#include "render.h"
#include "util/zspool.h"

/* Namespaces written into the parts. */
#define DX_NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define DX_NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define DX_NS_WP "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
#define DX_NS_A "http://schemas.openxmlformats.org/drawingml/2006/main"
#define DX_NS_PIC "http://schemas.openxmlformats.org/drawingml/2006/picture"
#define DX_NS_C "http://schemas.openxmlformats.org/drawingml/2006/chart"
#define DX_NS_WPS "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
#define DX_NS_MC "http://schemas.openxmlformats.org/markup-compatibility/2006"
#define DX_NS_PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"
#define DX_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

/* Style ids written by docx_styles.c and referenced by the body. */
#define DX_ST_BODY "BodyText"
#define DX_ST_TITLE "Title"
#define DX_ST_SUBTITLE "Subtitle"
#define DX_ST_LIST "ListParagraph"
#define DX_ST_CELL "TableText"
#define DX_ST_CELL_HEAD "TableHeading"
#define DX_ST_CAPTION "Caption"
#define DX_ST_FIGURE "Figure"
#define DX_ST_SIGNATURE "Signature"
#define DX_ST_DIST "Distribution"
#define DX_ST_MH_NOTE "MastheadNote"
#define DX_ST_MH_TITLE "MastheadTitle"
#define DX_ST_MH_ISSUE "MastheadIssue"
#define DX_ST_MH_LINE "MastheadLine"
#define DX_ST_RULE "Rule"
#define DX_ST_FOOTER "Footer"
#define DX_ST_TABLE "TableGrid"

/* A finished part: its bytes (owned) and where it goes in the package. */
typedef struct dx_part {
    char name[48];      /* zip entry name, e.g. "word/media/image1.png" */
    int xml;            /* 1: an XML part written by dx_part_end */
    unsigned char *raw; /* the bytes (malloc'ed) */
    const unsigned char *data;
    size_t len;
    int store; /* 1: already compressed (images), stored as is */
    int spooled; /* 1: no bytes here, the part is the renderer's spool */
} dx_part;

/* An image copied into word/media. */
typedef struct dx_media {
    const char *path; /* resolved file path (document arena) */
    int part;         /* index into parts, -1 if the file was left out */
    int rid;          /* relationship id number (rIdN) */
    int png;          /* 1 png, 0 jpeg */
    long px_w, px_h;  /* pixels */
    double dpi_x, dpi_y;
} dx_media;

/* The renderer's state for one document. Nothing here outlives a render,
 * so two threads rendering two documents share nothing. */
typedef struct dx {
    const lexp_doc *doc;
    const lexp_style *st;
    const lexp_render_options *opt;
    lexp_error *err;

    lexp__sbuf out;      /* the part being written */
    lexp__sbuf names;    /* names of the open elements, each with its NUL */
    size_t *open;        /* where each open element's name starts in names */
    size_t nopen, capopen;
    int tag_open;        /* the last start tag's ">" or "/>" is not written yet */
    int failed;          /* a writer call failed: the part is abandoned */
    char xml_msg[200];   /* what failed first */

    lexp__sbuf text;     /* scratch: text cleaned for XML */

    /* A long word/document.xml leaves memory as it is written: past
     * DX_SPILL_AT bytes it goes on deflated into a scratch file (spool.f
     * set), and its entry is read from there. */
    int spill;           /* 1 while the part being written may do so */
    lexp__zspool spool;
    const char *tmpdir;  /* where: $TMPDIR when the render began */

    dx_part *parts;
    int nparts, capparts;

    dx_media *media;
    int nmedia, capmedia;
    const lexp_node **charts; /* chart k+1 is word/charts/chart{k+1}.xml */
    int *chart_rids;
    int ncharts, capcharts;
    int next_rid;        /* next free relationship number of document.xml */
    int next_docpr;      /* unique ids of drawings (wp:docPr) */

    int footers;         /* 0: no page numbers; 1: one footer; 2: odd + even */
    int banji_rid;       /* the empty footer of the 版记's own section, or 0 */
    int page_break;      /* a page break waits for the next block */

    /* geometry derived from the style, in points */
    double text_w, text_h;
    int grid;            /* the preset has a 22-line × 28-character grid */
    double grid_pitch;   /* line pitch of the grid */
    double tracking;     /* pt added after each body character so that
                            grid_chars characters fill a line (≤ 0) */
} dx;

/* ---- writer helpers (docx_xml.c) ------------------------------------- */

/* Start a part: a fresh buffer with the XML declaration. */
int dx_part_begin(dx *c);
/* Close the elements left open, finish the part started last and add it to
 * the package as `name`. Returns 0, or a negative code with the error set
 * (out of memory, or what failed first). */
int dx_part_end(dx *c, const char *name);
/* Add bytes that are already final (an image) as a stored entry; takes
 * ownership of `data` (malloc'ed). */
int dx_part_add_raw(dx *c, const char *name, unsigned char *data, size_t len, int store);
/* Free the parts and the writer's buffers. */
void dx_parts_free(dx *c);
/* Called between blocks and between table rows: a part allowed to spill
 * that has grown long moves the bytes it holds to its spool (a start tag
 * left open is only a flag, so any point is safe). A failure is
 * remembered like a writer's. */
void dx_spill(dx *c);

void dx_start(dx *c, const char *name);
void dx_end(dx *c);
void dx_attr(dx *c, const char *name, const char *value);
void dx_attr_int(dx *c, const char *name, long value);
void dx_attr_hex(dx *c, const char *name, uint32_t rgb);
/* An element with one attribute w:val (the most common shape). */
void dx_val(dx *c, const char *name, const char *value);
void dx_val_int(dx *c, const char *name, long value);
/* An empty element. */
void dx_empty(dx *c, const char *name);
/* An element holding text (escaped; characters XML 1.0 forbids dropped). */
void dx_text_el(dx *c, const char *name, const char *text);
/* Raw character data inside the current element, cleaned and escaped. */
void dx_chars(dx *c, const char *s, size_t n);

/* Copy s[0..n) into c->text without the characters XML 1.0 forbids (C0
 * controls other than tab/LF/CR, U+FFFE, U+FFFF), bytes that are not UTF-8
 * replaced by U+FFFD, and return it NUL-terminated. */
const char *dx_clean(dx *c, const char *s, size_t n, size_t *outlen);

/* Units. */
long dx_twips(double pt);
long dx_emu(double pt);
/* Approximate advance of UTF-8 text in ems: Han and full-width forms 1,
 * everything else ½. Used for table widths and the signature offsets. */
double dx_text_ems(const char *s, size_t n);

/* ---- paragraph and run properties (docx_xml.c) ------------------------- */

typedef struct dx_border {
    double width;   /* pt; 0 = none */
    uint32_t color; /* 0xRRGGBB */
    double space;   /* pt between border and text */
} dx_border;

typedef struct dx_tab {
    const char *kind; /* "left", "right", "center" */
    double pos;       /* pt from the left of the text area */
} dx_tab;

/* Paragraph properties; zero means "inherit from the style". Written in the
 * order the schema requires (CT_PPr), which Word enforces. */
typedef struct dx_ppr {
    const char *style;
    int keep_next, keep_lines, page_break_before;
    int widow;            /* 1 on, -1 off */
    dx_border bottom;     /* rules are bottom borders */
    const dx_tab *tabs;
    int ntabs;
    int kinsoku;          /* 1: write w:kinsoku on (document defaults) */
    int overflow_punct;   /* -1: off */
    int no_autospace;     /* 1: no space added between Han and Latin/digits */
    int snap;             /* -1: w:snapToGrid off */
    int has_spacing;
    double before, after; /* pt */
    double line;          /* pt; with line_rule */
    int line_rule;        /* 0 none, 1 auto (line = 240ths), 2 exact, 3 atLeast */
    int has_ind;
    double ind_first_chars, ind_left_chars, ind_right_chars, ind_hanging_chars;
    double char_pt;       /* size of a character, to write twips next to chars */
    int jc;               /* LEXP_ALIGN_*, 0 = inherit */
    int outline;          /* 1–9 = outline level + 1 */
} dx_ppr;

/* Run properties; zero means "inherit". */
typedef struct dx_rpr {
    int role;             /* font role (-1 inherit) */
    const char *font;     /* explicit font for all scripts (overrides role) */
    const char *latin;    /* font for Latin text and digits */
    int bold, italic;
    int snap;             /* -1: snapToGrid off */
    int has_color;
    uint32_t color;
    double size;          /* pt, 0 inherit */
    int has_tracking;
    double tracking;      /* extra space after each character, pt (w:spacing) */
    int lang;             /* write w:lang (document defaults) */
} dx_rpr;

void dx_ppr_write(dx *c, const dx_ppr *p);
void dx_rpr_write(dx *c, const dx_rpr *r);
/* An rpr initialised to "inherit everything". */
dx_rpr dx_rpr_none(void);

/* Line spacing of a text style: on the grid when its pitch is the grid's,
 * otherwise an exact pitch with snapping off. Sets spacing and snap. */
void dx_ppr_spacing(const dx *c, dx_ppr *p, const lexp_textstyle *ts);

/* A run of text: w:r with properties and w:t / w:br / w:tab. */
void dx_run(dx *c, const dx_rpr *r, const char *text, size_t n);
/* A document-tree run (bold, colour, role) on top of the style. */
void dx_tree_run(dx *c, const lexp_run *run, const dx_rpr *base);

/* ---- parts --------------------------------------------------------------- */

int dx_write_document(dx *c);   /* docx_document.c */
int dx_write_styles(dx *c);     /* docx_styles.c */
int dx_write_font_table(dx *c); /* docx_styles.c */
int dx_write_settings(dx *c);   /* docx_package.c */
int dx_write_footer(dx *c, int even, const char *name);
/* A footer without a page number (the 版记 page, GB/T 9704). */
int dx_write_empty_footer(dx *c, const char *name);
int dx_write_core(dx *c);
int dx_write_app(dx *c);
int dx_write_content_types(dx *c);
int dx_write_root_rels(dx *c);
int dx_write_document_rels(dx *c);
/* Zip the parts in order into out, or (out NULL) into the file `to`
 * (docx_zip.c): with a spooled part the archive is written to a scratch
 * file, so a long document is never held whole. */
int dx_zip(dx *c, lexp__sbuf *out, const char *to);

/* Body blocks written by other files into word/document.xml. */
void dx_table(dx *c, const lexp_node *t);             /* docx_table.c */
void dx_image(dx *c, const lexp_node *n);             /* docx_drawing.c */
void dx_chart(dx *c, const lexp_node *n);             /* docx_drawing.c */
/* A text box across the type area, h_pt high, its bottom on the bottom
 * margin of the page its anchor paragraph is on; text flows above it, at
 * least gap_pt away. Inside an open paragraph: begin, the box's paragraphs,
 * end. */
void dx_footbox_begin(dx *c, double h_pt, double gap_pt, const char *name); /* docx_drawing.c */
void dx_footbox_end(dx *c);
/* Write the chart parts collected while the body was written. */
int dx_write_charts(dx *c);                           /* docx_drawing.c */
/* A paragraph holding a caption below a figure or above a table. */
void dx_caption(dx *c, const char *text, int keep_next);
/* Start a block paragraph: emits a pending page break (docx_document.c). */
void dx_para_begin(dx *c, dx_ppr *p);

/* Fixed relationship ids of document.xml (images and charts follow). */
enum { DX_RID_STYLES = 1, DX_RID_SETTINGS, DX_RID_FONTS, DX_RID_FOOTER1, DX_RID_FOOTER2,
       DX_RID_FIRST_FREE };

#endif
