/*
 * DOCX: the XML writer, unit conversions and the paragraph/run property
 * writers shared by the body, the styles and the footers.
 *
 * The writer appends to one growable buffer per part and writes the bytes
 * libxml2's xmlTextWriter wrote before it (the declaration, "/>" for empty
 * elements, the same escapes), so the parts did not change when it
 * replaced libxml2: that writer was a third of a briefing's instructions.
 * A start tag stays open (tag_open) until a child, text or its end decides
 * between ">" and "/>". Every helper remembers the first failure, so
 * callers can write a whole part and check once at the end.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "docx.h"

/* ---- parts ------------------------------------------------------------- */

/* word/document.xml streams past this many bytes (a table of about 5,000
 * rows; a briefing's is 50–100 KB, so ordinary documents keep the one-call
 * libdeflate entry and their bytes). Then its bytes go to the spool in
 * slices of DX_SPILL_SLICE. */
#define DX_SPILL_AT (4u << 20)
#define DX_SPILL_SLICE (256u << 10)
/* zlib level of a streamed part: level 3, as the XLSX writer's streamed
 * sheets. A 20,000-row body is 30 % smaller than libdeflate's level 1 made
 * it (440 KB against 630 KB), and a 200,000-row DOCX took 0.73 s against
 * 0.89 s held in memory. */
#define DX_SPILL_LEVEL 3

static void fail(dx *c, const char *what)
{
    if (!c->failed) {
        c->failed = 1;
        if (!c->xml_msg[0])
            snprintf(c->xml_msg, sizeof c->xml_msg, "%s", what);
    }
}

/* Append n bytes; an allocation failure sets out.oom, seen at part end. */
static inline void put(dx *c, const char *s, size_t n)
{
    lexp__sbuf *b = &c->out;
    if (b->len + n + 1 > b->cap && lexp__sbuf_grow(b, n))
        return;
    memcpy(b->ptr + b->len, s, n);
    b->len += n;
}

static inline void put1(dx *c, char ch)
{
    lexp__sbuf *b = &c->out;
    if (b->len + 2 > b->cap && lexp__sbuf_grow(b, 1))
        return;
    b->ptr[b->len++] = ch;
}

/* libxml2's declaration for xmlTextWriterStartDocument("1.0", "UTF-8",
 * "yes"); xmlTextWriterEndDocument ended the part with a newline. */
static const char xml_decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

int dx_part_begin(dx *c)
{
    c->failed = 0;
    c->xml_msg[0] = 0;
    lexp__sbuf_free(&c->out);
    c->names.len = 0;
    c->names.oom = 0;
    c->nopen = 0;
    c->tag_open = 0;
    if (lexp__sbuf_grow(&c->out, 16384))
        return lexp__error_oom(c->err);
    put(c, xml_decl, sizeof xml_decl - 1);
    return 0;
}

static int add_part(dx *c, dx_part *p)
{
    if (c->nparts == c->capparts) {
        int n = c->capparts ? c->capparts * 2 : 16;
        dx_part *v = realloc(c->parts, (size_t)n * sizeof *v);
        if (!v)
            return -1;
        c->parts = v;
        c->capparts = n;
    }
    c->parts[c->nparts++] = *p;
    return 0;
}

void dx_spill(dx *c)
{
    if (!c->spill || c->failed || c->out.oom ||
        c->out.len < (c->spool.f ? DX_SPILL_SLICE : DX_SPILL_AT))
        return;
    if ((!c->spool.f &&
         lexp__zspool_open(&c->spool, c->tmpdir, DX_SPILL_LEVEL, "docx", c->err)) ||
        lexp__zspool_put(&c->spool, c->out.ptr, c->out.len, LEXP_ZSPOOL_MORE, c->err))
        c->failed = 1; /* the error says why */
    c->out.len = 0;
}

int dx_part_end(dx *c, const char *name)
{
    while (c->nopen && !c->failed)
        dx_end(c);
    put1(c, '\n');
    int spooled = c->spill && c->spool.f; /* the other parts never are */
    c->spill = 0;
    if (spooled && !c->failed && !c->out.oom &&
        lexp__zspool_put(&c->spool, c->out.ptr, c->out.len, LEXP_ZSPOOL_FINISH, c->err))
        c->failed = 1;
    int oom = c->out.oom || c->names.oom;
    if (c->failed || oom) {
        lexp__sbuf_free(&c->out);
        if (lexp__error_is_set(c->err))
            return c->err->code; /* a writer of the part said why */
        if (oom)
            return lexp__error_oom(c->err);
        return lexp__error_set(c->err, LEXP_EBACKEND, NULL, 0, 0, NULL,
                               "DOCX: writing %s: %s", name,
                               c->xml_msg[0] ? c->xml_msg : "failed");
    }
    dx_part p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.xml = 1;
    if (spooled) {
        p.spooled = 1;
        lexp__sbuf_free(&c->out);
    } else {
        p.raw = (unsigned char *)c->out.ptr; /* the part owns the bytes */
        p.data = p.raw;
        p.len = c->out.len;
        c->out = (lexp__sbuf)LEXP__SBUF_INIT;
    }
    if (add_part(c, &p)) {
        free(p.raw);
        return lexp__error_oom(c->err);
    }
    return 0;
}

int dx_part_add_raw(dx *c, const char *name, unsigned char *data, size_t len, int store)
{
    dx_part p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.raw = data;
    p.data = data;
    p.len = len;
    p.store = store;
    if (add_part(c, &p)) {
        free(data);
        return lexp__error_oom(c->err);
    }
    return 0;
}

void dx_parts_free(dx *c)
{
    for (int i = 0; i < c->nparts; i++)
        free(c->parts[i].raw);
    free(c->parts);
    c->parts = NULL;
    c->nparts = c->capparts = 0;
    lexp__sbuf_free(&c->out);
    lexp__sbuf_free(&c->names);
    lexp__zspool_free(&c->spool);
    free(c->open);
    c->open = NULL;
    c->nopen = c->capopen = 0;
}

/* ---- elements ------------------------------------------------------------ */

/* What libxml2 escapes: 1 in text and attribute values, 2 in attribute
 * values only (xmlEncodeSpecialChars and xmlBufAttrSerializeTxtContent).
 * Non-ASCII stays UTF-8 (the declaration names the encoding). */
static const unsigned char esc_kind[256] = {
    ['&'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['\r'] = 1, ['\t'] = 2, ['\n'] = 2,
};

static const char *esc_text(unsigned char ch, size_t *n)
{
    switch (ch) {
    case '&': *n = 5; return "&amp;";
    case '<': *n = 4; return "&lt;";
    case '>': *n = 4; return "&gt;";
    case '"': *n = 6; return "&quot;";
    case '\r': *n = 5; return "&#13;";
    case '\t': *n = 4; return "&#9;";
    default: *n = 5; return "&#10;";
    }
}

static void put_escaped(dx *c, const char *s, size_t n, unsigned mask)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(esc_kind[(unsigned char)s[i]] & mask))
            continue;
        size_t rl;
        const char *rep = esc_text((unsigned char)s[i], &rl);
        put(c, s + run, i - run);
        put(c, rep, rl);
        run = i + 1;
    }
    put(c, s + run, n - run);
}

/* Write the pending ">" of an open start tag before content. */
static inline void close_tag(dx *c)
{
    if (c->tag_open) {
        put1(c, '>');
        c->tag_open = 0;
    }
}

void dx_start(dx *c, const char *name)
{
    if (c->failed)
        return;
    if (c->nopen == c->capopen) {
        size_t n = c->capopen ? c->capopen * 2 : 32;
        size_t *v = realloc(c->open, n * sizeof *v);
        if (!v) {
            c->names.oom = 1;
            fail(c, "out of memory");
            return;
        }
        c->open = v;
        c->capopen = n;
    }
    size_t len = strlen(name);
    c->open[c->nopen++] = c->names.len;
    lexp__sbuf_put(&c->names, name, len + 1); /* with its NUL */
    close_tag(c);
    put1(c, '<');
    put(c, name, len);
    c->tag_open = 1;
}

void dx_end(dx *c)
{
    if (c->failed)
        return;
    if (!c->nopen) {
        fail(c, "end of element outside any element");
        return;
    }
    size_t at = c->open[--c->nopen];
    if (c->tag_open) {
        put(c, "/>", 2);
        c->tag_open = 0;
    } else if (!c->names.oom) {
        const char *name = c->names.ptr + at;
        put(c, "</", 2);
        put(c, name, c->names.len - at - 1);
        put1(c, '>');
    }
    c->names.len = at;
}

void dx_attr(dx *c, const char *name, const char *value)
{
    if (c->failed || !value)
        return;
    if (!c->tag_open) {
        fail(c, name); /* an attribute after content: a bug of the caller */
        return;
    }
    size_t len = strlen(value);
    if (!lexp__text_is_clean(value, len))
        value = dx_clean(c, value, len, &len);
    put1(c, ' ');
    put(c, name, strlen(name));
    put(c, "=\"", 2);
    put_escaped(c, value, len, 3);
    put1(c, '"');
}

void dx_attr_int(dx *c, const char *name, long value)
{
    char s[24];
    /* by hand: snprintf's format parsing shows up in big tables */
    char *p = s + sizeof s;
    unsigned long u = value < 0 ? 0UL - (unsigned long)value : (unsigned long)value;
    *--p = 0;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (value < 0)
        *--p = '-';
    dx_attr(c, name, p);
}

void dx_attr_hex(dx *c, const char *name, uint32_t rgb)
{
    char s[8];
    snprintf(s, sizeof s, "%06X", (unsigned)(rgb & 0xFFFFFFu));
    dx_attr(c, name, s);
}

void dx_val(dx *c, const char *name, const char *value)
{
    dx_start(c, name);
    dx_attr(c, "w:val", value);
    dx_end(c);
}

void dx_val_int(dx *c, const char *name, long value)
{
    dx_start(c, name);
    dx_attr_int(c, "w:val", value);
    dx_end(c);
}

void dx_empty(dx *c, const char *name)
{
    dx_start(c, name);
    dx_end(c);
}

const char *dx_clean(dx *c, const char *s, size_t n, size_t *outlen)
{
    lexp__sbuf *b = &c->text;
    b->len = 0;
    lexp__sbuf_put_clean(b, s, n); /* the one rule for every format */
    if (lexp__sbuf_grow(b, 1) || b->oom) {
        c->names.oom = 1;
        fail(c, "out of memory");
        *outlen = 0;
        return "";
    }
    b->ptr[b->len] = 0;
    *outlen = b->len;
    return b->ptr;
}

void dx_chars(dx *c, const char *s, size_t n)
{
    if (c->failed)
        return;
    size_t len = n;
    const char *t = s;
    if (!lexp__text_is_clean(s, n))
        t = dx_clean(c, s, n, &len);
    if (!len || c->failed)
        return; /* no text leaves an empty element as "/>" */
    close_tag(c);
    put_escaped(c, t, len, 1);
}

void dx_text_el(dx *c, const char *name, const char *text)
{
    dx_start(c, name);
    if (text)
        dx_chars(c, text, strlen(text));
    dx_end(c);
}

/* ---- units ------------------------------------------------------------- */

long dx_twips(double pt) { return lround(pt * 20.0); }

long dx_emu(double pt) { return lround(pt * 12700.0); }

double dx_text_ems(const char *s, size_t n)
{
    double w = 0;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = lexp__utf8_decode(s + i, n - i, &cp);
        if (!k) {
            i++;
            continue;
        }
        i += k;
        int cw = lexp__char_width(cp);
        w += cw == 2 ? 1.0 : cw == 1 ? 0.5 : 0.0;
    }
    return w;
}

/* ---- properties ------------------------------------------------------------ */

static const char *jc_name(int a)
{
    switch (a) {
    case LEXP_ALIGN_LEFT: return "left";
    case LEXP_ALIGN_CENTER: return "center";
    case LEXP_ALIGN_RIGHT: return "right";
    case LEXP_ALIGN_JUSTIFY: return "both";
    default: return NULL;
    }
}

static void border(dx *c, const char *name, const dx_border *b)
{
    dx_start(c, name);
    dx_attr(c, "w:val", "single");
    /* eighths of a point, 2–96 */
    long sz = lround(b->width * 8.0);
    dx_attr_int(c, "w:sz", sz < 2 ? 2 : sz > 96 ? 96 : sz);
    dx_attr_int(c, "w:space", lround(b->space));
    dx_attr_hex(c, "w:color", b->color);
    dx_end(c);
}

void dx_ppr_write(dx *c, const dx_ppr *p)
{
    dx_start(c, "w:pPr");
    if (p->style)
        dx_val(c, "w:pStyle", p->style);
    if (p->keep_next)
        dx_empty(c, "w:keepNext");
    if (p->keep_lines)
        dx_empty(c, "w:keepLines");
    if (p->page_break_before)
        dx_empty(c, "w:pageBreakBefore");
    if (p->widow)
        dx_val(c, "w:widowControl", p->widow > 0 ? "1" : "0");
    if (p->bottom.width > 0) {
        dx_start(c, "w:pBdr");
        border(c, "w:bottom", &p->bottom);
        dx_end(c);
    }
    if (p->ntabs) {
        dx_start(c, "w:tabs");
        for (int i = 0; i < p->ntabs; i++) {
            dx_start(c, "w:tab");
            dx_attr(c, "w:val", p->tabs[i].kind);
            dx_attr_int(c, "w:pos", dx_twips(p->tabs[i].pos));
            dx_end(c);
        }
        dx_end(c);
    }
    if (p->kinsoku)
        dx_empty(c, "w:kinsoku");
    if (p->overflow_punct)
        dx_val(c, "w:overflowPunct", p->overflow_punct > 0 ? "1" : "0");
    if (p->no_autospace) {
        dx_val(c, "w:autoSpaceDE", "0");
        dx_val(c, "w:autoSpaceDN", "0");
    }
    if (p->snap)
        dx_val(c, "w:snapToGrid", p->snap > 0 ? "1" : "0");
    if (p->has_spacing) {
        dx_start(c, "w:spacing");
        dx_attr_int(c, "w:before", dx_twips(p->before));
        dx_attr_int(c, "w:after", dx_twips(p->after));
        if (p->line_rule == 1) {
            dx_attr_int(c, "w:line", lround(p->line));
            dx_attr(c, "w:lineRule", "auto");
        } else if (p->line_rule) {
            dx_attr_int(c, "w:line", dx_twips(p->line));
            dx_attr(c, "w:lineRule", p->line_rule == 2 ? "exact" : "atLeast");
        }
        dx_end(c);
    }
    if (p->has_ind) {
        /* Both units: Word reads the character counts, LibreOffice only
         * the twips. */
        double ch = p->char_pt > 0 ? p->char_pt : 12;
        dx_start(c, "w:ind");
        dx_attr_int(c, "w:leftChars", lround(p->ind_left_chars * 100));
        dx_attr_int(c, "w:left", dx_twips(p->ind_left_chars * ch));
        dx_attr_int(c, "w:rightChars", lround(p->ind_right_chars * 100));
        dx_attr_int(c, "w:right", dx_twips(p->ind_right_chars * ch));
        if (p->ind_hanging_chars > 0) {
            dx_attr_int(c, "w:hangingChars", lround(p->ind_hanging_chars * 100));
            dx_attr_int(c, "w:hanging", dx_twips(p->ind_hanging_chars * ch));
        } else {
            dx_attr_int(c, "w:firstLineChars", lround(p->ind_first_chars * 100));
            dx_attr_int(c, "w:firstLine", dx_twips(p->ind_first_chars * ch));
        }
        dx_end(c);
    }
    const char *jc = jc_name(p->jc);
    if (jc)
        dx_val(c, "w:jc", jc);
    if (p->outline > 0)
        dx_val_int(c, "w:outlineLvl", p->outline - 1);
    dx_end(c);
}

dx_rpr dx_rpr_none(void)
{
    dx_rpr r;
    memset(&r, 0, sizeof r);
    r.role = -1;
    return r;
}

static int rpr_empty(const dx_rpr *r)
{
    return r->role < 0 && !r->font && !r->latin && !r->bold && !r->italic &&
           !r->snap && !r->has_color && r->size <= 0 && !r->has_tracking && !r->lang;
}

void dx_rpr_write(dx *c, const dx_rpr *r)
{
    if (!r || rpr_empty(r))
        return;
    dx_start(c, "w:rPr");
    if (r->font || r->role >= 0 || r->latin) {
        dx_start(c, "w:rFonts");
        if (r->font) {
            dx_attr(c, "w:ascii", r->font);
            dx_attr(c, "w:hAnsi", r->font);
            dx_attr(c, "w:eastAsia", r->font);
            dx_attr(c, "w:cs", r->font);
        } else {
            if (r->latin) {
                dx_attr(c, "w:ascii", r->latin);
                dx_attr(c, "w:hAnsi", r->latin);
                dx_attr(c, "w:cs", r->latin);
            }
            if (r->role >= 0)
                dx_attr(c, "w:eastAsia", lexp__role_docx_name(r->role));
        }
        dx_end(c);
    }
    if (r->bold) {
        dx_val(c, "w:b", r->bold > 0 ? "1" : "0");
        dx_val(c, "w:bCs", r->bold > 0 ? "1" : "0");
    }
    if (r->italic) {
        dx_val(c, "w:i", r->italic > 0 ? "1" : "0");
        dx_val(c, "w:iCs", r->italic > 0 ? "1" : "0");
    }
    if (r->snap)
        dx_val(c, "w:snapToGrid", r->snap > 0 ? "1" : "0");
    if (r->has_color) {
        dx_start(c, "w:color");
        dx_attr_hex(c, "w:val", r->color);
        dx_end(c);
    }
    if (r->has_tracking)
        dx_val_int(c, "w:spacing", dx_twips(r->tracking));
    if (r->size > 0) {
        long hp = lround(r->size * 2); /* half-points */
        dx_val_int(c, "w:sz", hp);
        dx_val_int(c, "w:szCs", hp);
    }
    if (r->lang) {
        dx_start(c, "w:lang");
        dx_attr(c, "w:val", "en-US");
        dx_attr(c, "w:eastAsia", "zh-CN");
        dx_end(c);
    }
    dx_end(c);
}

void dx_ppr_spacing(const dx *c, dx_ppr *p, const lexp_textstyle *ts)
{
    p->has_spacing = 1;
    p->before = ts->space_before;
    p->after = ts->space_after;
    if (c->grid && fabs(ts->line_pitch - c->grid_pitch) < 0.5) {
        p->line = 240; /* one grid line */
        p->line_rule = 1;
    } else {
        /* Off the grid: an exact pitch, as the PDF sets it. */
        p->line = ts->line_pitch;
        p->line_rule = 2;
        if (c->grid)
            p->snap = -1;
    }
}

/* ---- runs ------------------------------------------------------------------ */

static void t_el(dx *c, const char *s, size_t n)
{
    if (!n)
        return;
    dx_start(c, "w:t");
    /* Word and LibreOffice trim unmarked leading/trailing spaces. */
    if (s[0] == ' ' || s[n - 1] == ' ' || memchr(s, ' ', n))
        dx_attr(c, "xml:space", "preserve");
    dx_chars(c, s, n);
    dx_end(c);
}

void dx_run(dx *c, const dx_rpr *r, const char *text, size_t n)
{
    if (c->failed)
        return;
    dx_start(c, "w:r");
    dx_rpr_write(c, r);
    /* Line breaks and tabs inside a run are elements of their own. */
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        char ch = i < n ? text[i] : 0;
        if (i < n && ch != '\n' && ch != '\t' && ch != '\r')
            continue;
        t_el(c, text + start, i - start);
        if (i < n && ch == '\n')
            dx_empty(c, "w:br");
        else if (i < n && ch == '\t')
            dx_empty(c, "w:tab");
        start = i + 1;
    }
    dx_end(c);
}

void dx_tree_run(dx *c, const lexp_run *run, const dx_rpr *base)
{
    dx_rpr r = base ? *base : dx_rpr_none();
    if (run->flags & LEXP_RUN_BOLD)
        r.bold = 1;
    if (run->flags & LEXP_RUN_ITALIC)
        r.italic = 1;
    if (run->flags & LEXP_RUN_COLOR) {
        r.has_color = 1;
        r.color = run->color;
    }
    if (run->role >= 0 && run->role < LEXP_ROLE_COUNT)
        r.role = run->role;
    dx_run(c, &r, run->text, run->len);
}
