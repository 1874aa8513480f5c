/*
 * What the parts of the layout engine share (layout.c: characters, line
 * breaking, pages, pictures, charts; layout_table.c: tables;
 * layout_blocks.c: the text blocks, masthead, signature, 版记 and page
 * numbers; layout_keep.c: the keep rules). Not a public interface: see layout.h.
 *
 * The shared functions keep their short names inside the engine; the
 * macros give them the library's prefix at link time.
 */
#ifndef LEXP_LAYOUT_INT_H
#define LEXP_LAYOUT_INT_H

#include "layout.h"

#define EPS 0.01
/* The CJK ideographic em box spans 0.12 em below the baseline to 0.88 em
 * above it; lines centre that box in their pitch. */
#define EM_ASCENT 0.88
/* Padding inside table cells, in em of the cell text. */
#define CELL_PAD_X 0.4
#define CELL_PAD_Y 0.25

/* ---- character flags ------------------------------------------------------- */
enum {
    F_WIDE = 1,   /* full-width: Han, kana, full-width punctuation */
    F_SPACE = 2,  /* a break opportunity after it; not drawn */
    F_OPEN = 4,   /* never ends a line */
    F_CLOSE = 8,  /* never starts a line */
    F_DASH = 16,  /* —— or ……: the pair never splits */
    F_NL = 32,    /* forced line break */
    F_ZW = 64,    /* zero width, joins its neighbours */
    F_GRID = 128  /* on the type area's character grid: gaps are never squeezed */
};

typedef struct tstyle {
    int role;
    float size;
    uint32_t color;
    uint8_t bold, italic;
} tstyle;

typedef struct tch {
    uint32_t cp;
    lexp__glyph g;
    float adv;    /* advance as laid out, pt */
    float em;     /* the character's em, pt (size × tracking) */
    float shrink; /* how much a squeezed line may take from adv */
    float dx;     /* glyph origin relative to the pen */
    float x;      /* position in its line, set by justification */
    uint16_t st;
    uint8_t fl;
    uint8_t brk;      /* a line may break before this character */
    uint8_t half_adj; /* halved next to another mark (whatever the line) */
    uint8_t half_ln;  /* halved by its line: at the end, or squeezed */
} tch;

typedef struct text {
    tch *c;
    size_t n, cap;
    tstyle *st;
    size_t nst, capst;
} text;

typedef struct tline {
    size_t s, e;  /* characters [s, e) */
    float width;  /* width the line occupies as placed */
    float indent; /* offset of its first character from the box's left */
    uint8_t last, forced;
} tline;

typedef struct lines {
    tline *v;
    size_t n, cap;
} lines;

/* The keep rules (layout_keep.c) work on a log of what each pass placed:
 * one unit per line of text (or per picture, chart and table) with the
 * page it landed on. What a pass got wrong becomes a page break before a
 * given line of a given node (a hint), and the document is laid out again. */
typedef enum lunit_kind { U_BODY, U_HEAD, U_TITLE, U_SIGN, U_OTHER, U_DIST } lunit_kind;

typedef struct lunit {
    const lexp_node *node;
    uint32_t line; /* index of the line in its node's lines */
    int page;
    uint8_t kind;
} lunit;

typedef struct lhint {
    const lexp_node *node;
    uint32_t line; /* a page starts before this line of node */
} lhint;

typedef struct lkeep {
    lunit *log;
    size_t nlog, caplog;
    lhint *hints;
    size_t nhints, caphints;
} lkeep;

typedef struct LX {
    lexp__layout *L;
    const lexp_doc *doc;
    const lexp_style *st;
    lexp__fonts *F;
    const lexp_render_options *opt;
    lexp_error *err;
    double aw, ah; /* type area */
    int page;      /* current page, -1 before the first */
    double y;      /* cursor below the type area's top */
    int fresh;     /* nothing placed on this page yet */
    double grid;   /* tracking factor of text at the body size */
    text tx;       /* scratch paragraph */
    lines ln;
    const lexp_node *cur; /* the node whose lines are being placed */
    lkeep *keep;          /* the log and the page-break hints */
    /* streaming (lexp__layout_stream): where finished pages go */
    lexp__page_fn fn;
    void *fnctx;
    lexp__lphase phase;
    text ntx; /* page numbers set while a block is being placed: their own scratch */
    lines nln;
    lexp__arena_mark gmark; /* the glyph arena before any page */
} LX;

static inline double ax(const LX *lx) { return lx->L->pages[lx->page].area_x; }
static inline double ay(const LX *lx) { return lx->L->pages[lx->page].area_y; }

static inline lexp_align resolve_align(lexp_align a, lexp_align dflt)
{
    return a == LEXP_ALIGN_DEFAULT ? dflt : a;
}

#define text_free(...) lexp__lx_text_free(__VA_ARGS__)
#define text_finish(...) lexp__lx_text_finish(__VA_ARGS__)
#define end_trim(...) lexp__lx_end_trim(__VA_ARGS__)
#define squeeze(...) lexp__lx_squeeze(__VA_ARGS__)
#define tighten(...) lexp__lx_tighten(__VA_ARGS__)
#define break_lines(...) lexp__lx_break_lines(__VA_ARGS__)
#define justify(...) lexp__lx_justify(__VA_ARGS__)
#define push_line(...) lexp__lx_push_line(__VA_ARGS__)
#define natural(...) lexp__lx_natural(__VA_ARGS__)
#define new_page(...) lexp__lx_new_page(__VA_ARGS__)
#define ensure_page(...) lexp__lx_ensure_page(__VA_ARGS__)
#define add_item(...) lexp__lx_add_item(__VA_ARGS__)
#define add_line(...) lexp__lx_add_line(__VA_ARGS__)
#define add_rect(...) lexp__lx_add_rect(__VA_ARGS__)
#define track_for(...) lexp__lx_track_for(__VA_ARGS__)
#define add_runs(...) lexp__lx_add_runs(__VA_ARGS__)
#define add_str(...) lexp__lx_add_str(__VA_ARGS__)
#define baseline(...) lexp__lx_baseline(__VA_ARGS__)
#define emit_line(...) lexp__lx_emit_line(__VA_ARGS__)
#define set_text(...) lexp__lx_set_text(__VA_ARGS__)
#define place_lines(...) lexp__lx_place_lines(__VA_ARGS__)
#define space_before(...) lexp__lx_space_before(__VA_ARGS__)
#define snap_to_grid(...) lexp__lx_snap_to_grid(__VA_ARGS__)
#define next_min(...) lexp__lx_next_min(__VA_ARGS__)
#define block_para(...) lexp__lx_block_para(__VA_ARGS__)
#define block_heading(...) lexp__lx_block_heading(__VA_ARGS__)
#define block_title(...) lexp__lx_block_title(__VA_ARGS__)
#define block_list(...) lexp__lx_block_list(__VA_ARGS__)
#define single_line(...) lexp__lx_single_line(__VA_ARGS__)
#define text_width(...) lexp__lx_text_width(__VA_ARGS__)
#define block_masthead(...) lexp__lx_block_masthead(__VA_ARGS__)
#define block_signature(...) lexp__lx_block_signature(__VA_ARGS__)
#define block_distribution(...) lexp__lx_block_distribution(__VA_ARGS__)
#define block_rule(...) lexp__lx_block_rule(__VA_ARGS__)
#define block_table(...) lexp__lx_block_table(__VA_ARGS__)
#define keep_log(...) lexp__lx_keep_log(__VA_ARGS__)
#define keep_cut(...) lexp__lx_keep_cut(__VA_ARGS__)
#define keep_check(...) lexp__lx_keep_check(__VA_ARGS__)
#define page_numbers(...) lexp__lx_page_numbers(__VA_ARGS__)
#define page_number(...) lexp__lx_page_number(__VA_ARGS__)

/* layout.c */
void text_free(text *t);
void text_finish(text *t);
int break_lines(const text *t, double w_first, double w_rest, lines *L);
void justify(text *t, tline *l, double avail, lexp_align align);
int push_line(lines *L, size_t s, size_t e, int forced);
float natural(const text *t, size_t s, size_t e);
float end_trim(const text *t, size_t s, size_t e);
float squeeze(const text *t, size_t s, size_t e);
int new_page(LX *lx);
int ensure_page(LX *lx);
lexp__litem *add_item(LX *lx, lexp__lkind kind);
int add_line(LX *lx, double x1, double y1, double x2, double y2, double w,
             uint32_t color);
int add_rect(LX *lx, double x, double y, double w, double h, double lw, int stroke,
             uint32_t scol, int fill, uint32_t fcol);
double track_for(const LX *lx, double size);
int add_runs(LX *lx, text *t, const lexp_runs *r, const lexp_textstyle *ts, int bold);
int add_str(LX *lx, text *t, const char *s, const lexp_textstyle *ts);
double baseline(double top, double pitch, double size);
int emit_line(LX *lx, const text *t, const tline *l, double x, double base);
int set_text(LX *lx, text *t, double w, double indent, double hang, lexp_align align);
int place_lines(LX *lx, const text *t, const lines *L, double bx, double pitch,
                int widow_control);
void space_before(LX *lx, double s);
void snap_to_grid(LX *lx, double pitch);
double next_min(LX *lx, const lexp_node *n);

/* layout_blocks.c */
int block_para(LX *lx, const lexp_node *n, const lexp_textstyle *ts, const char *prefix,
               double indent_chars, lexp_align align);
int block_heading(LX *lx, const lexp_node *n);
int block_title(LX *lx, const lexp_node *n);
int block_list(LX *lx, const lexp_node *n);
int single_line(LX *lx, const char *s, const lexp_textstyle *ts, double bx, double w,
                lexp_align align, double top, double pitch, double *out_width);
double text_width(LX *lx, const char *s, const lexp_textstyle *ts, int *rc);
int block_masthead(LX *lx, const lexp_node *n);
int block_signature(LX *lx, const lexp_node *n);
int block_distribution(LX *lx, const lexp_node *n);
int block_rule(LX *lx);
int page_numbers(LX *lx);
/* The number of page lx->page (none on unnumbered pages). */
int page_number(LX *lx);

/* layout_table.c */
int block_table(LX *lx, const lexp_node *n);

/* layout_keep.c */
/* Log line `line` of lx->cur as placed on the current page. */
int keep_log(LX *lx, size_t line);
/* The first line in [from, to) of lx->cur that must start a page, or `to`. */
size_t keep_cut(const LX *lx, size_t from, size_t to);
/* Check a finished pass against the keep rules: adds hints for what broke
 * them and returns how many (0: the layout stands), or -1 out of memory. */
int keep_check(lkeep *k);
/* After break_lines: when the last line holds only one or two characters
 * (and punctuation), break again with lines set tighter, within what
 * squeezing allows, so the lines above take them. -1: out of memory. */
int tighten(const text *t, double w_first, double w_rest, lines *L);

#endif
