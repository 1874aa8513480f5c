/*
 * Presets. gbt9704 follows GB/T 9704-2012: A4, 天头 37 mm, 订口 28 mm, type
 * area 156 × 225 mm, 三号 (16 pt) 仿宋 body on 22 lines × 28 characters.
 * briefing adds the 简报 masthead and keeps the same page. plain is a
 * compact report page in 小四 (12 pt) 宋体.
 */
#include "style.h"

#include <string.h>

#define RED 0xE00000u /* red ink; GB/T 9704 prints Y80% M80% */
#define BLACK 0x000000u

/* GB/T 9704: 225 mm / 22 lines = 28.99 pt from line to line. */
#define GB_PITCH (LEXP_MM(225.0) / 22.0)

#define TS(role_, size_, bold_, color_, align_, indent_, pitch_, before_, after_) \
    {(role_), (size_), (bold_), (color_), (align_), (indent_), (pitch_), (before_), (after_)}

/* What the GB/T 9704 page and the 简报 share: the page, the grid, page
 * numbers and every text style but the titles and the masthead. */
#define GB_SHARED \
    .page_w = LEXP_MM(210.0), \
    .page_h = LEXP_MM(297.0), \
    .margin_top = LEXP_MM(37.0), \
    .margin_bottom = LEXP_MM(35.0), \
    .margin_inside = LEXP_MM(28.0), \
    .margin_outside = LEXP_MM(26.0), \
    .grid_lines = 22, \
    .grid_chars = 28, \
    .pagenum = LEXP_PAGENUM_GBT9704, \
    .pagenum_size = 14, \
    .pagenum_role = LEXP_ROLE_SONG, \
    .pagenum_gap = LEXP_MM(7.0), \
    .body = TS(LEXP_ROLE_FANGSONG, 16, 0, BLACK, LEXP_ALIGN_JUSTIFY, 2, GB_PITCH, 0, 0), \
    .heading = {TS(LEXP_ROLE_HEI, 16, 0, BLACK, LEXP_ALIGN_LEFT, 2, GB_PITCH, 0, 0), \
                TS(LEXP_ROLE_KAI, 16, 0, BLACK, LEXP_ALIGN_LEFT, 2, GB_PITCH, 0, 0), \
                TS(LEXP_ROLE_FANGSONG, 16, 0, BLACK, LEXP_ALIGN_LEFT, 2, GB_PITCH, 0, 0), \
                TS(LEXP_ROLE_FANGSONG, 16, 0, BLACK, LEXP_ALIGN_LEFT, 2, GB_PITCH, 0, 0)}, \
    .list = TS(LEXP_ROLE_FANGSONG, 16, 0, BLACK, LEXP_ALIGN_JUSTIFY, 2, GB_PITCH, 0, 0), \
    .table = TS(LEXP_ROLE_FANGSONG, 12, 0, BLACK, LEXP_ALIGN_LEFT, 0, 18, 0, 0), \
    .table_header = TS(LEXP_ROLE_HEI, 12, 0, BLACK, LEXP_ALIGN_CENTER, 0, 18, 0, 0), \
    .caption = TS(LEXP_ROLE_KAI, 14, 0, BLACK, LEXP_ALIGN_CENTER, 0, 22, 4, 8), \
    .signature = TS(LEXP_ROLE_FANGSONG, 16, 0, BLACK, LEXP_ALIGN_RIGHT, 0, GB_PITCH, \
                    GB_PITCH, 0), \
    .distribution = TS(LEXP_ROLE_FANGSONG, 14, 0, BLACK, LEXP_ALIGN_LEFT, 0, 24, 0, 0), \
    .red = RED, \
    .table_rule = 0.5, \
    .dist_rule_outer = LEXP_MM(0.35), \
    .dist_rule_inner = LEXP_MM(0.25)

static const lexp_style gbt9704 = {
    GB_SHARED,
    .preset = LEXP_PRESET_GBT9704,
    .name = "gbt9704",
    .title = TS(LEXP_ROLE_XIAOBIAOSONG, 22, 0, BLACK, LEXP_ALIGN_CENTER, 0, GB_PITCH * 1.25,
                0, GB_PITCH),
    .subtitle = TS(LEXP_ROLE_KAI, 16, 0, BLACK, LEXP_ALIGN_CENTER, 0, GB_PITCH, 0, GB_PITCH),
    .masthead_title = TS(LEXP_ROLE_XIAOBIAOSONG, 36, 0, RED, LEXP_ALIGN_CENTER, 0, 48, 0, 0),
    .masthead_issue = TS(LEXP_ROLE_FANGSONG, 16, 0, BLACK, LEXP_ALIGN_CENTER, 0, GB_PITCH, 0,
                         0),
    .masthead_line = TS(LEXP_ROLE_FANGSONG, 16, 0, BLACK, LEXP_ALIGN_LEFT, 0, GB_PITCH, 0, 0),
    .masthead_top = LEXP_MM(10.0),
    .masthead_rule = 1.5,
    .masthead_gap = GB_PITCH,
};

static const lexp_style briefing = {
    GB_SHARED,
    .preset = LEXP_PRESET_BRIEFING,
    .name = "briefing",
    .title = TS(LEXP_ROLE_XIAOBIAOSONG, 22, 0, BLACK, LEXP_ALIGN_CENTER, 0, GB_PITCH * 1.25,
                0, GB_PITCH * 0.5),
    .subtitle = TS(LEXP_ROLE_KAI, 16, 0, BLACK, LEXP_ALIGN_CENTER, 0, GB_PITCH, 0,
                   GB_PITCH * 0.5),
    /* the 报头 takes about the top third of page 1 (domain conventions §2) */
    .masthead_title = TS(LEXP_ROLE_XIAOBIAOSONG, 40, 0, RED, LEXP_ALIGN_CENTER, 0, 56, 0, 0),
    .masthead_issue = TS(LEXP_ROLE_FANGSONG, 16, 0, BLACK, LEXP_ALIGN_CENTER, 0, GB_PITCH, 6,
                         0),
    .masthead_line = TS(LEXP_ROLE_FANGSONG, 16, 0, BLACK, LEXP_ALIGN_LEFT, 0, GB_PITCH, 8, 0),
    .masthead_top = LEXP_MM(12.0),
    .masthead_rule = 2.0,
    .masthead_gap = GB_PITCH * 0.5,
};

#define PL_PITCH 21.0 /* 12 pt text at about 1.5 lines, as reports are printed */

static const lexp_style plain = {
    .preset = LEXP_PRESET_PLAIN,
    .name = "plain",
    .page_w = LEXP_MM(210.0),
    .page_h = LEXP_MM(297.0),
    .margin_top = LEXP_MM(25.4),
    .margin_bottom = LEXP_MM(25.4),
    .margin_inside = LEXP_MM(31.8),
    .margin_outside = LEXP_MM(31.8),
    .grid_lines = 0,
    .grid_chars = 0,
    .pagenum = LEXP_PAGENUM_CENTER,
    .pagenum_size = 10.5,
    .pagenum_role = LEXP_ROLE_SONG,
    .pagenum_gap = LEXP_MM(7.0),
    .body = TS(LEXP_ROLE_SONG, 12, 0, BLACK, LEXP_ALIGN_JUSTIFY, 2, PL_PITCH, 0, 0),
    .title = TS(LEXP_ROLE_XIAOBIAOSONG, 18, 0, BLACK, LEXP_ALIGN_CENTER, 0, 28, 0, 12),
    .subtitle = TS(LEXP_ROLE_KAI, 14, 0, BLACK, LEXP_ALIGN_CENTER, 0, 22, 0, 10),
    .heading = {TS(LEXP_ROLE_HEI, 14, 0, BLACK, LEXP_ALIGN_LEFT, 0, 24, 8, 2),
                TS(LEXP_ROLE_KAI, 12, 1, BLACK, LEXP_ALIGN_LEFT, 2, PL_PITCH, 4, 0),
                TS(LEXP_ROLE_SONG, 12, 1, BLACK, LEXP_ALIGN_LEFT, 2, PL_PITCH, 0, 0),
                TS(LEXP_ROLE_SONG, 12, 0, BLACK, LEXP_ALIGN_LEFT, 2, PL_PITCH, 0, 0)},
    .list = TS(LEXP_ROLE_SONG, 12, 0, BLACK, LEXP_ALIGN_JUSTIFY, 2, PL_PITCH, 0, 0),
    .table = TS(LEXP_ROLE_SONG, 10.5, 0, BLACK, LEXP_ALIGN_LEFT, 0, 15, 0, 0),
    .table_header = TS(LEXP_ROLE_HEI, 10.5, 0, BLACK, LEXP_ALIGN_CENTER, 0, 15, 0, 0),
    .caption = TS(LEXP_ROLE_KAI, 10.5, 0, BLACK, LEXP_ALIGN_CENTER, 0, 16, 3, 6),
    .signature = TS(LEXP_ROLE_SONG, 12, 0, BLACK, LEXP_ALIGN_RIGHT, 0, PL_PITCH, PL_PITCH, 0),
    .distribution = TS(LEXP_ROLE_SONG, 10.5, 0, BLACK, LEXP_ALIGN_LEFT, 0, 18, 0, 0),
    .masthead_title = TS(LEXP_ROLE_XIAOBIAOSONG, 30, 0, RED, LEXP_ALIGN_CENTER, 0, 40, 0, 0),
    .masthead_issue = TS(LEXP_ROLE_SONG, 12, 0, BLACK, LEXP_ALIGN_CENTER, 0, PL_PITCH, 0, 0),
    .masthead_line = TS(LEXP_ROLE_SONG, 12, 0, BLACK, LEXP_ALIGN_LEFT, 0, PL_PITCH, 0, 0),
    .masthead_top = 0,
    .masthead_rule = 1.5,
    .masthead_gap = PL_PITCH * 0.5,
    .red = RED,
    .table_rule = 0.5,
    .dist_rule_outer = LEXP_MM(0.35),
    .dist_rule_inner = LEXP_MM(0.25),
};

const uint32_t lexp__chart_palette[LEXP_CHART_COLORS] = {
    0x2F5597, 0xC55A11, 0x548235, 0xBF9000, 0x7030A0, 0x2E75B6, 0x843C0C, 0x7F7F7F};

const lexp_style *lexp__style_for(lexp_preset preset)
{
    switch (preset) {
    case LEXP_PRESET_GBT9704: return &gbt9704;
    case LEXP_PRESET_BRIEFING: return &briefing;
    default: return &plain;
    }
}

double lexp__style_text_width(const lexp_style *s)
{
    return s->page_w - s->margin_inside - s->margin_outside;
}

double lexp__style_text_height(const lexp_style *s)
{
    return s->page_h - s->margin_top - s->margin_bottom;
}

const char *const *lexp__role_font_names(int role)
{
    /* Windows/WPS names first (what users' machines have), then the free
     * Fandol set (texlive-lang-chinese: the only free simplified 仿宋), then
     * the free fonts Debian packages as fonts-* (see platform notes), Noto
     * CJK last. "Family:Style" names a style of a family. */
    static const char *const song[] = {"SimSun", "宋体", "NSimSun", "FandolSong:Regular",
                                       "AR PL SungtiL GB", "AR PL UMing CN",
                                       "Noto Serif CJK SC", "Source Han Serif SC",
                                       "WenQuanYi Zen Hei", NULL};
    static const char *const fangsong[] = {"仿宋_GB2312", "FangSong_GB2312", "FangSong",
                                           "仿宋", "FandolFang", "AR PL SungtiL GB",
                                           "AR PL UMing CN", "Noto Serif CJK SC",
                                           "WenQuanYi Zen Hei", NULL};
    static const char *const hei[] = {"SimHei", "黑体", "FandolHei:Regular", "WenQuanYi Zen Hei",
                                      "Noto Sans CJK SC", "Source Han Sans SC",
                                      "AR PL SungtiL GB", NULL};
    static const char *const kai[] = {"楷体_GB2312", "KaiTi_GB2312", "KaiTi", "楷体",
                                      "FandolKai", "AR PL KaitiM GB", "LXGW WenKai",
                                      "AR PL UKai CN", "AR PL SungtiL GB", "WenQuanYi Zen Hei",
                                      NULL};
    /* 小标宋 is a heavy Song: the bold FandolSong is the closest free face */
    static const char *const xbs[] = {"方正小标宋简体", "FZXiaoBiaoSong-B05S",
                                      "方正小标宋_GBK", "FandolSong:Bold", "SimSun", "宋体",
                                      "AR PL SungtiL GB", "AR PL UMing CN",
                                      "Noto Serif CJK SC", "WenQuanYi Zen Hei", NULL};
    /* Times New Roman where the user has it, else a face with its metrics */
    static const char *const latin[] = {"Times New Roman", "Liberation Serif",
                                        "TeX Gyre Termes", "Nimbus Roman", "Tinos", NULL};
    switch (role) {
    case LEXP_ROLE_FANGSONG: return fangsong;
    case LEXP_ROLE_HEI: return hei;
    case LEXP_ROLE_KAI: return kai;
    case LEXP_ROLE_XIAOBIAOSONG: return xbs;
    case LEXP_ROLE_LATIN: return latin;
    default: return song;
    }
}

/* The names stock Windows 10/11 has (仿宋, 楷体: the simfang/simkai of
 * Windows, not the _GB2312 fonts of Windows XP days, which are given as
 * alternative names in the font table). */
const char *lexp__role_docx_name(int role)
{
    switch (role) {
    case LEXP_ROLE_FANGSONG: return "仿宋";
    case LEXP_ROLE_HEI: return "黑体";
    case LEXP_ROLE_KAI: return "楷体";
    case LEXP_ROLE_XIAOBIAOSONG: return "方正小标宋简体";
    case LEXP_ROLE_LATIN: return "Times New Roman";
    default: return "宋体";
    }
}

const char *lexp__role_name(int role)
{
    static const char *const names[] = {"song", "fangsong", "hei", "kai", "xiaobiaosong",
                                        "latin"};
    return (role >= 0 && role < LEXP_ROLE_COUNT) ? names[role] : "song";
}
