/*
 * The style table shared by the fixed-layout (PDF) and word-processor
 * (DOCX) renderers: page geometry, fonts and sizes for each preset.
 * Lengths are in PostScript points (1 pt = 0.3528 mm).
 */
#ifndef LEXP_STYLE_H
#define LEXP_STYLE_H

#include <stdint.h>

#include "doc.h"

#define LEXP_MM(x) ((x) * 72.0 / 25.4)

typedef struct lexp_textstyle {
    int role;            /* lexp_font_role */
    double size;         /* pt */
    int bold;
    uint32_t color;      /* 0xRRGGBB */
    lexp_align align;
    double indent_chars; /* first-line indent, in characters */
    double line_pitch;   /* baseline-to-baseline distance, pt */
    double space_before; /* pt */
    double space_after;  /* pt */
} lexp_textstyle;

typedef enum lexp_pagenum_style {
    LEXP_PAGENUM_NONE = 0,
    LEXP_PAGENUM_GBT9704, /* "— N —", 4号 宋体, 7 mm below the type area,
                             odd pages right and even pages left, 1 char in */
    LEXP_PAGENUM_CENTER   /* "— N —" centred below the type area */
} lexp_pagenum_style;

typedef struct lexp_style {
    lexp_preset preset;
    const char *name;
    /* page */
    double page_w, page_h;
    double margin_top, margin_bottom;
    double margin_inside, margin_outside; /* left, right on odd pages */
    /* grid: 0 when the preset has none */
    int grid_lines, grid_chars;
    /* page numbers */
    lexp_pagenum_style pagenum;
    double pagenum_size;
    int pagenum_role;
    double pagenum_gap; /* from the bottom of the type area to the number line */
    /* text */
    lexp_textstyle body;
    lexp_textstyle title;
    lexp_textstyle subtitle;
    lexp_textstyle heading[4];
    lexp_textstyle list;
    lexp_textstyle table;        /* cells */
    lexp_textstyle table_header; /* header cells */
    lexp_textstyle caption;      /* image and chart captions */
    lexp_textstyle signature;
    lexp_textstyle distribution;
    /* 简报 masthead */
    lexp_textstyle masthead_title;
    lexp_textstyle masthead_issue;
    lexp_textstyle masthead_line; /* issuer left, date right */
    double masthead_top;   /* from the top of the type area to the title's top */
    double masthead_rule;  /* red rule thickness */
    double masthead_gap;   /* below the rule before the body */
    uint32_t red;
    double table_rule;     /* table border thickness */
    double dist_rule_outer, dist_rule_inner; /* 版记 rules */
} lexp_style;

/* The style of a preset (static, read-only). */
const lexp_style *lexp__style_for(lexp_preset preset);

/* Chart colours, shared by every renderer so a pie or bar chart looks the
 * same in PDF, DOCX and XLSX: slice i takes colour i % N; bars colour 0. */
#define LEXP_CHART_COLORS 8
extern const uint32_t lexp__chart_palette[LEXP_CHART_COLORS];

/* Type area (版心) width and height of a style. */
double lexp__style_text_width(const lexp_style *s);
double lexp__style_text_height(const lexp_style *s);

/* Names Word/WPS users have for a role's font, first choice first; then
 * the free Debian fonts (family names for fontconfig). NULL-terminated. */
const char *const *lexp__role_font_names(int role);
/* The East Asian font name to write into DOCX for a role ("仿宋_GB2312"). */
const char *lexp__role_docx_name(int role);
const char *lexp__role_name(int role);

#endif
