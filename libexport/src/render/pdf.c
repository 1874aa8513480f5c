/*
 * PDF renderer: lays the document out (layout.c) and draws the pages with
 * libharu: rules, boxes, images, pie wedges, text, bookmarks, document
 * information. The PDF is written into memory.
 *
 * Fonts are embedded as Type 0 fonts over CIDFontType2 (TrueType) or
 * CIDFontType0 (CFF, FontFile3 /CIDFontType0C) subsets made by HarfBuzz
 * (fonts.c, cff.c), with glyph ids as character codes (Identity-H) and a
 * ToUnicode map for text extraction. The
 * font objects are built here with libharu's object API instead of
 * HPDF_LoadTTFontFromFile + HPDF_GetFont because, measured on libharu
 * 2.3.0, the latter costs 3 ms per font and document (a 65,536-entry
 * CID-to-glyph map built by linear cmap scans and deflated on every save),
 * turns characters above U+FFFF into spaces (16-bit codes from its UTF-8
 * encoder) and writes a ToUnicode map that Poppler rejects. Subsets are
 * deflated once and cached, so a warm render only copies bytes.
 *
 * Text is written as TJ arrays: each glyph at the position the layout gave
 * it, expressed as adjustments to the font's own advances.
 */
#include <errno.h>
#include <hpdf.h>
#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <hpdf_pages.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../image/image.h"
#include "fonts.h"
#include "layout.h"
#include "pdf_images.h"
#include "../util/zspool.h"
#include "pdf_stream.h"
#include "render.h"

#define PI 3.14159265358979323846

#define CID_CACHE_BITS 10
typedef struct cid_ent {
    int slot; /* -1: empty */
    uint32_t gid, key; /* key: the character, bit 31 for a half-width mark */
    uint32_t cid;
} cid_ent;

typedef struct PX {
    HPDF_Doc pdf;
    HPDF_STATUS hpdf_err, hpdf_detail;
    int soft; /* failures expected (image loading): not fatal */
    HPDF_STATUS soft_err;
    lexp_error *err;
    const lexp_render_options *opt;
    const lexp__layout *L;
    lexp__fonts *F;
    int nslots;
    HPDF_Dict *fonts;              /* Type 0 font per slot (NULL if unused) */
    const lexp__subset **subsets;  /* per slot */
    struct img {
        const char *path;
        HPDF_Image image; /* NULL: could not be loaded */
    } *images;
    size_t nimages, capimages;
    lexp__sbuf page; /* the content operators of the page being drawn (cbuf) */
    void *page_z;    /* the compressor of the pages' contents (lexp__deflate_kept) */
    size_t content_bytes; /* the pages' contents once deflated */
    struct cid_ent *cidc; /* CIDs looked up (item_cid); NULL if out of memory */
    uint32_t *cid;   /* a text item's CIDs and gaps (put_glyphs) */
    long *gap;
    size_t capcid, capgap;
    struct gset {    /* per slot: the (glyph, character) pairs the pages show */
        uint64_t *t;
        size_t cap, n;
    } *sets;
    size_t nsets;
    HPDF_Page *pages; /* drawn so far */
    size_t npages, cappages;
    /* A long document's deflated pages wait in a scratch file until saved. */
    int zfd;          /* -1: in memory */
    uint64_t zfdlen;
    const char *tmpdir;
} PX;

static void HPDF_STDCALL on_error(HPDF_STATUS e, HPDF_STATUS detail, void *user)
{
    PX *px = user;
    if (px->soft) {
        if (!px->soft_err)
            px->soft_err = e;
        return;
    }
    if (!px->hpdf_err) {
        px->hpdf_err = e;
        px->hpdf_detail = detail;
    }
}

static int backend_error(PX *px)
{
    if (px->hpdf_err == 0x1015) /* HPDF_FAILD_TO_ALLOC_MEM */
        return lexp__error_oom(px->err);
    return lexp__error_set(px->err, LEXP_EBACKEND, NULL, 0, 0, NULL,
                           "libharu failed while writing the PDF (error 0x%04X, detail %u)",
                           (unsigned)px->hpdf_err, (unsigned)px->hpdf_detail);
}

#define CHECK(px)                                                                        \
    do {                                                                                 \
        if ((px)->hpdf_err)                                                              \
            return backend_error(px);                                                    \
    } while (0)

/* ---- numbers for content streams (independent of the C locale) -------------- */

static char *fmt_num(char *p, double v)
{
    long long k = llround(v * 1000.0);
    if (k < 0) {
        *p++ = '-';
        k = -k;
    }
    if (k < 1000000) { /* under 1000 pt, nearly every number a page has */
        unsigned x = (unsigned)k, ip = x / 1000, fp = x % 1000;
        if (ip >= 100) {
            *p++ = (char)('0' + ip / 100);
            *p++ = (char)('0' + ip / 10 % 10);
        } else if (ip >= 10) {
            *p++ = (char)('0' + ip / 10);
        }
        *p++ = (char)('0' + ip % 10);
        if (fp) {
            *p++ = '.';
            *p++ = (char)('0' + fp / 100);
            if (fp % 100) {
                *p++ = (char)('0' + fp / 10 % 10);
                if (fp % 10)
                    *p++ = (char)('0' + fp % 10);
            }
        }
        *p = 0;
        return p;
    }
    long long ip = k / 1000, fp = k % 1000;
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (n)
        *p++ = tmp[--n];
    if (fp) {
        *p++ = '.';
        *p++ = (char)('0' + fp / 100);
        if (fp % 100) {
            *p++ = (char)('0' + fp / 10 % 10);
            if (fp % 10)
                *p++ = (char)('0' + fp % 10);
        }
    }
    *p = 0;
    return p;
}

/* A page's content operators, gathered in our own buffer and handed to
 * libharu once, deflated (lexp__hpdf_pack_page): copying them into its
 * memory stream went a byte at a time. Only before a drawing call of
 * libharu's own (an image, a wedge) is what was gathered written into its
 * stream, to keep the order. */
typedef struct cbuf {
    lexp__sbuf *b;
    HPDF_Stream s;
} cbuf;

/* The page's operators, written into px->page ahead of pg's own stream. */
static cbuf page_cb(PX *px, HPDF_Page pg)
{
    return (cbuf){&px->page, ((HPDF_PageAttr)pg->attr)->stream};
}

static void cb_flush(cbuf *c)
{
    if (c->b->len && !c->b->oom)
        HPDF_Stream_Write(c->s, (const HPDF_BYTE *)c->b->ptr, (HPDF_UINT)c->b->len);
    c->b->len = 0;
}

static void cb_put(cbuf *c, const char *s, size_t l)
{
    lexp__sbuf *b = c->b;
    if (b->len + l + 1 > b->cap && lexp__sbuf_grow(b, l))
        return;
    if (b->oom)
        return;
    memcpy(b->ptr + b->len, s, l);
    b->len += l;
}

static void cb_str(cbuf *c, const char *s) { cb_put(c, s, strlen(s)); }

/* straight into the buffer: a page writes a number every few operators */
static void cb_num(cbuf *c, double v)
{
    lexp__sbuf *b = c->b;
    if ((b->len + 25 > b->cap && lexp__sbuf_grow(b, 24)) || b->oom)
        return;
    b->len = (size_t)(fmt_num(b->ptr + b->len, v) - b->ptr); /* at most 24 bytes and a NUL */
}

/* The advance of a CID at `size`, in pt (the /W value the viewer uses). */
static double px_adv(const lexp__subset *s, uint32_t g, double size)
{
    return (g < s->ncid ? s->widths[g] : 1000) / 1000.0 * size;
}

/* ---- font objects ------------------------------------------------------------ */

/* A stream of deflated bytes that outlive the document (a subset's). */
static HPDF_Dict deflated_stream(PX *px, const unsigned char *z, size_t n)
{
    HPDF_Dict d = HPDF_DictStream_New(px->pdf->mmgr, px->pdf->xref);
    if (!d)
        return NULL;
    if (lexp__hpdf_set_bytes(px->pdf, d, z, n, 0)) {
        if (!px->hpdf_err)
            px->hpdf_err = 0x1015; /* HPDF_FAILD_TO_ALLOC_MEM */
        return NULL;
    }
    d->write_fn = lexp__hpdf_flate_key;
    return d;
}

static HPDF_Array int_array(PX *px, const int *v, int n)
{
    HPDF_Array a = HPDF_Array_New(px->pdf->mmgr);
    for (int i = 0; a && i < n; i++)
        HPDF_Array_AddNumber(a, v[i]);
    return a;
}

static int make_font(PX *px, int slot, const lexp__subset *s)
{
    const lexp__face_info *fi = lexp__fonts_info(px->F, slot);
    HPDF_MMgr mm = px->pdf->mmgr;
    HPDF_Xref xref = px->pdf->xref;
    char name[96];
    snprintf(name, sizeof name, "%s+%s", s->tag, fi->psname);

    HPDF_Dict file = deflated_stream(px, s->font_z, s->font_zlen);
    CHECK(px);
    if (s->cff)
        HPDF_Dict_AddName(file, "Subtype", "CIDFontType0C");
    else
        HPDF_Dict_AddNumber(file, "Length1", (HPDF_INT32)s->font_len);

    HPDF_Dict desc = HPDF_Dict_New(mm);
    HPDF_Xref_Add(xref, desc);
    CHECK(px);
    HPDF_Dict_AddName(desc, "Type", "FontDescriptor");
    HPDF_Dict_AddName(desc, "FontName", name);
    HPDF_Dict_AddNumber(desc, "Flags", 4); /* symbolic: glyphs outside Latin */
    HPDF_Dict_Add(desc, "FontBBox", int_array(px, fi->bbox, 4));
    HPDF_Dict_AddNumber(desc, "ItalicAngle", 0);
    HPDF_Dict_AddNumber(desc, "Ascent", fi->ascent);
    HPDF_Dict_AddNumber(desc, "Descent", fi->descent);
    HPDF_Dict_AddNumber(desc, "CapHeight", fi->cap_height);
    HPDF_Dict_AddNumber(desc, "StemV", 80);
    HPDF_Dict_Add(desc, s->cff ? "FontFile3" : "FontFile2", file);

    HPDF_Dict cid = HPDF_Dict_New(mm);
    HPDF_Xref_Add(xref, cid);
    CHECK(px);
    HPDF_Dict_AddName(cid, "Type", "Font");
    HPDF_Dict_AddName(cid, "Subtype", s->cff ? "CIDFontType0" : "CIDFontType2");
    HPDF_Dict_AddName(cid, "BaseFont", name);
    HPDF_Dict info = HPDF_Dict_New(mm);
    HPDF_Dict_Add(cid, "CIDSystemInfo", info);
    CHECK(px);
    HPDF_Dict_Add(info, "Registry", HPDF_String_New(mm, "Adobe", NULL));
    HPDF_Dict_Add(info, "Ordering", HPDF_String_New(mm, "Identity", NULL));
    HPDF_Dict_AddNumber(info, "Supplement", 0);
    HPDF_Dict_Add(cid, "FontDescriptor", desc);
    HPDF_Dict_AddNumber(cid, "DW", 1000);
    /* widths other than 1000, in runs of consecutive glyphs */
    HPDF_Array w = HPDF_Array_New(mm);
    HPDF_Dict_Add(cid, "W", w);
    CHECK(px);
    for (uint32_t g = 0; g < s->ncid;) {
        if (s->widths[g] == 1000) {
            g++;
            continue;
        }
        HPDF_Array run = HPDF_Array_New(mm);
        HPDF_Array_AddNumber(w, (HPDF_INT32)g);
        HPDF_Array_Add(w, run);
        CHECK(px);
        while (g < s->ncid && s->widths[g] != 1000)
            HPDF_Array_AddNumber(run, s->widths[g++]);
    }
    if (s->cff) {
        /* no CIDToGIDMap in a CIDFontType0: its CFF maps CIDs itself */
    } else if (s->cidmap_z) {
        HPDF_Dict map = deflated_stream(px, s->cidmap_z, s->cidmap_zlen);
        CHECK(px);
        HPDF_Dict_Add(cid, "CIDToGIDMap", map);
    } else {
        HPDF_Dict_AddName(cid, "CIDToGIDMap", "Identity");
    }

    HPDF_Dict tu = deflated_stream(px, s->tounicode_z, s->tounicode_zlen);
    HPDF_Dict font = HPDF_Dict_New(mm);
    HPDF_Xref_Add(xref, font);
    CHECK(px);
    HPDF_Dict_AddName(font, "Type", "Font");
    HPDF_Dict_AddName(font, "Subtype", "Type0");
    HPDF_Dict_AddName(font, "BaseFont", name);
    HPDF_Dict_AddName(font, "Encoding", "Identity-H");
    HPDF_Array df = HPDF_Array_New(mm);
    HPDF_Dict_Add(font, "DescendantFonts", df);
    CHECK(px);
    HPDF_Array_Add(df, cid);
    HPDF_Dict_Add(font, "ToUnicode", tu);
    CHECK(px);
    px->fonts[slot] = font;
    return 0;
}

/* (glyph, character) pairs packed glyph first, so that their order is by
 * glyph, then character */
static uint64_t gc_key(uint32_t gid, uint32_t cp) { return (uint64_t)gid << 32 | cp; }

/* The slot of v in the open-addressing table t (cap a power of two): where
 * it is, or the free slot where it goes (0 marks a free slot). */
static size_t set_slot(const uint64_t *t, size_t cap, uint64_t v)
{
    size_t j = (size_t)((v * 0x9E3779B97F4A7C15ull) >> 40) & (cap - 1);
    while (t[j] && t[j] != v)
        j = (j + 1) & (cap - 1);
    return j;
}

/* Add k to the set t, kept at most half full (keys are stored plus one). */
static int set_add(uint64_t **t, size_t *cap, size_t *n, uint64_t k)
{
    if (2 * (*n + 1) > *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        uint64_t *nt = calloc(nc, sizeof *nt);
        if (!nt)
            return -1;
        for (size_t i = 0; i < *cap; i++)
            if ((*t)[i])
                nt[set_slot(nt, nc, (*t)[i])] = (*t)[i];
        free(*t);
        *t = nt;
        *cap = nc;
    }
    size_t j = set_slot(*t, *cap, k + 1);
    if (!(*t)[j]) {
        (*t)[j] = k + 1;
        (*n)++;
    }
    return 0;
}

/* The pairs of a page's text items, into their slots' sets. */
static int collect_glyphs(PX *px, const lexp__lpage *pg)
{
    for (size_t i = 0; i < pg->n; i++) {
        const lexp__litem *it = &pg->items[i];
        if (it->kind != LEXP_L_TEXT || it->u.text.slot < 0)
            continue;
        size_t slot = (size_t)it->u.text.slot;
        if (slot >= px->nsets) {
            struct gset *ns = realloc(px->sets, (slot + 1) * sizeof *ns);
            if (!ns)
                return lexp__error_oom(px->err);
            memset(ns + px->nsets, 0, (slot + 1 - px->nsets) * sizeof *ns);
            px->sets = ns;
            px->nsets = slot + 1;
        }
        struct gset *gs = &px->sets[slot];
        for (uint32_t k = 0; k < it->u.text.n; k++)
            if (set_add(&gs->t, &gs->cap, &gs->n, gc_key(it->u.text.g[k].gid, it->u.text.g[k].cp)))
                return lexp__error_oom(px->err);
    }
    return 0;
}

static void sets_clear(PX *px)
{
    for (size_t i = 0; i < px->nsets; i++)
        free(px->sets[i].t);
    free(px->sets);
    px->sets = NULL;
    px->nsets = 0;
}

/* A subset and a font object per slot, from the collected pairs. */
static int embed_fonts(PX *px)
{
    int rc = 0;
    for (int slot = 0; slot < px->nslots && rc == 0; slot++) {
        if ((size_t)slot >= px->nsets || px->sets[slot].n == 0)
            continue;
        uint64_t *set = px->sets[slot].t;
        size_t n = px->sets[slot].n, cap = px->sets[slot].cap;
        /* the distinct pairs (a page repeats most of them), sorted */
        size_t m = 0;
        for (size_t i = 0; i < cap; i++)
            if (set[i])
                set[m++] = set[i] - 1;
        uint64_t *tmp = malloc(n * sizeof *tmp);
        if (!tmp)
            return lexp__error_oom(px->err);
        const uint64_t *sorted = lexp__sort_u64(set, tmp, n);
        if (sorted != set)
            memcpy(set, sorted, n * sizeof *set);
        free(tmp);
        /* glyph 0 marks characters no font has: they go in as extras */
        size_t ne = 0;
        m = 0;
        uint32_t *extra = malloc(n * sizeof *extra);
        uint32_t *gids = malloc(n * sizeof *gids), *cps = malloc(n * sizeof *cps);
        if (!gids || !cps || !extra) {
            rc = lexp__error_oom(px->err);
        } else {
            for (size_t i = 0; i < n; i++) {
                uint32_t gid = (uint32_t)(set[i] >> 32), cp = (uint32_t)set[i];
                if (gid == 0) {
                    extra[ne++] = cp;
                } else {
                    gids[m] = gid;
                    cps[m++] = cp;
                }
            }
            rc = lexp__fonts_subset(px->F, slot, gids, cps, m, extra, ne, &px->subsets[slot],
                                    px->err);
            if (rc == 0)
                rc = make_font(px, slot, px->subsets[slot]);
        }
        free(extra);
        free(gids);
        free(cps);
    }
    return rc;
}

/* ---- strings for bookmarks and document information ---------------------------- */

/* A PDF text string: UTF-16BE with a byte order mark. */
/* libharu refuses a string over 65,535 bytes (HPDF_LIMIT_MAX_STRING_LEN)
 * and the whole save with it; a title or outline entry that long (a 1 MB
 * name is valid data) is cut at a character. */
#define TEXT_STRING_MAX 65532

static HPDF_Binary text_string(PX *px, const char *s)
{
    size_t n = strlen(s);
    unsigned char *b = malloc(2 * n + 4);
    if (!b)
        return NULL;
    size_t k = 0;
    b[k++] = 0xFE;
    b[k++] = 0xFF;
    for (size_t i = 0; i < n && k + 4 <= TEXT_STRING_MAX;) {
        uint32_t cp;
        size_t l = lexp__utf8_decode(s + i, n - i, &cp);
        if (l == 0) {
            l = 1;
            cp = 0xFFFD;
        }
        i += l;
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000;
            uint32_t hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
            b[k++] = (unsigned char)(hi >> 8);
            b[k++] = (unsigned char)hi;
            b[k++] = (unsigned char)(lo >> 8);
            b[k++] = (unsigned char)lo;
        } else {
            b[k++] = (unsigned char)(cp >> 8);
            b[k++] = (unsigned char)cp;
        }
    }
    HPDF_Binary bin = HPDF_Binary_New(px->pdf->mmgr, b, (HPDF_UINT)k);
    free(b);
    return bin;
}

static int doc_info(PX *px, const lexp_doc *doc)
{
    HPDF_Doc pdf = px->pdf;
    HPDF_SetInfoAttr(pdf, HPDF_INFO_PRODUCER, "libexport " LEXP_VERSION_STRING " (libharu)");
    CHECK(px);
    /* the language, for screen readers and hyphenation-aware viewers; and
     * the title rather than the file name in the viewer's window */
    HPDF_Dict_Add(pdf->catalog, "Lang", HPDF_String_New(pdf->mmgr, "zh-CN", NULL));
    HPDF_Dict prefs = HPDF_Dict_New(pdf->mmgr);
    HPDF_Dict_Add(pdf->catalog, "ViewerPreferences", prefs);
    CHECK(px);
    HPDF_Dict_AddBoolean(prefs, "DisplayDocTitle", HPDF_TRUE);
    CHECK(px);
    struct {
        const char *key, *value;
    } kv[] = {{"Title", doc->title},       {"Author", doc->author},
              {"Subject", doc->subject},   {"Keywords", doc->keywords},
              {"Creator", "lexport"}};
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
        if (kv[i].value && *kv[i].value) {
            HPDF_Binary b = text_string(px, kv[i].value);
            if (!b)
                return lexp__error_oom(px->err);
            HPDF_Dict_Add(pdf->info, kv[i].key, b);
        }
    int y, m, d;
    if (doc->date && lexp__parse_date(doc->date, strlen(doc->date), &y, &m, &d)) {
        HPDF_Date dt;
        memset(&dt, 0, sizeof dt);
        dt.year = y;
        dt.month = m;
        dt.day = d;
        dt.ind = ' ';
        HPDF_SetInfoDateAttr(pdf, HPDF_INFO_CREATION_DATE, dt);
        HPDF_SetInfoDateAttr(pdf, HPDF_INFO_MOD_DATE, dt);
    }
    CHECK(px);
    return 0;
}

static int outline(PX *px, HPDF_Page *pages)
{
    const lexp__layout *L = px->L;
    if (L->noutline == 0)
        return 0;
    HPDF_Outline last[5] = {NULL, NULL, NULL, NULL, NULL};
    for (size_t i = 0; i < L->noutline; i++) {
        const lexp__loutline *o = &L->outline[i];
        int lv = o->level < 1 ? 1 : o->level > 4 ? 4 : o->level;
        HPDF_Outline parent = NULL;
        for (int k = lv - 1; k >= 1 && !parent; k--)
            parent = last[k];
        HPDF_Outline ol = HPDF_CreateOutline(px->pdf, parent, "", NULL);
        CHECK(px);
        HPDF_Binary t = text_string(px, o->title);
        if (!t)
            return lexp__error_oom(px->err);
        HPDF_Dict_Add(ol, "Title", t);
        HPDF_Destination dst = HPDF_Page_CreateDestination(pages[o->page]);
        /* fit the width, the heading at the top (libharu refuses XYZ with a
         * null zoom) */
        HPDF_Destination_SetFitH(dst, (HPDF_REAL)(L->page_h - o->y + 4));
        HPDF_Outline_SetDestination(ol, dst);
        HPDF_Outline_SetOpened(ol, lv == 1);
        CHECK(px);
        last[lv] = ol;
        for (int k = lv + 1; k <= 4; k++)
            last[k] = NULL;
    }
    HPDF_SetPageMode(px->pdf, HPDF_PAGE_MODE_USE_OUTLINE);
    CHECK(px);
    return 0;
}

/* ---- drawing ------------------------------------------------------------------------- */

static void rgb(uint32_t c, double *r, double *g, double *b)
{
    *r = ((c >> 16) & 0xFF) / 255.0;
    *g = ((c >> 8) & 0xFF) / 255.0;
    *b = (c & 0xFF) / 255.0;
}

static void set_fill(HPDF_Page pg, uint32_t c)
{
    double r, g, b;
    rgb(c, &r, &g, &b);
    HPDF_Page_SetRGBFill(pg, (HPDF_REAL)r, (HPDF_REAL)g, (HPDF_REAL)b);
}

static void set_stroke(HPDF_Page pg, uint32_t c)
{
    double r, g, b;
    rgb(c, &r, &g, &b);
    HPDF_Page_SetRGBStroke(pg, (HPDF_REAL)r, (HPDF_REAL)g, (HPDF_REAL)b);
}

/* ---- images ------------------------------------------------------------------ */
/* libharu never parses an image: libexport/src/image decodes and checks
 * it, and the XObjects are built here from the result. A JPEG in grey or
 * RGB goes in as its own DCT data once libjpeg has decoded all of it;
 * anything else as 8-bit RGB pixels, deflated, with an SMask for alpha.
 * pdf_images.c prepares them once per file content and engine. */

static HPDF_STATUS write_dct(HPDF_Dict obj, HPDF_Stream stream)
{
    (void)obj;
    return HPDF_Stream_WriteStr(stream, "/Filter /DCTDecode\012");
}

static HPDF_Dict image_object(PX *px, const lexp__pdfimg *im, const char *space,
                              HPDF_STATUS (*filter)(HPDF_Dict, HPDF_Stream))
{
    HPDF_Dict img = HPDF_DictStream_New(px->pdf->mmgr, px->pdf->xref);
    if (!img)
        return NULL;
    img->header.obj_class |= HPDF_OSUBCLASS_XOBJECT;
    img->write_fn = filter;
    HPDF_Dict_AddName(img, "Type", "XObject");
    HPDF_Dict_AddName(img, "Subtype", "Image");
    HPDF_Dict_AddNumber(img, "Width", (HPDF_INT32)im->w);
    HPDF_Dict_AddNumber(img, "Height", (HPDF_INT32)im->h);
    HPDF_Dict_AddNumber(img, "BitsPerComponent", 8);
    HPDF_Dict_AddName(img, "ColorSpace", space);
    return img;
}

/* The XObject (and SMask) of a prepared image: its streams are copied. */
static HPDF_Image image_xobject(PX *px, const lexp__pdfimg *im)
{
    if (im->dct) {
        HPDF_Dict img = image_object(px, im, im->grey ? "DeviceGray" : "DeviceRGB", write_dct);
        if (!img || HPDF_Stream_Write(img->stream, im->data, (HPDF_UINT)im->len) != HPDF_OK)
            return NULL;
        return img;
    }
    HPDF_Dict img = image_object(px, im, "DeviceRGB", lexp__hpdf_flate_key);
    if (!img || HPDF_Stream_Write(img->stream, im->data, (HPDF_UINT)im->len) != HPDF_OK)
        return NULL;
    if (im->mask) {
        HPDF_Dict mask = image_object(px, im, "DeviceGray", lexp__hpdf_flate_key);
        if (!mask ||
            HPDF_Stream_Write(mask->stream, im->mask, (HPDF_UINT)im->mask_len) != HPDF_OK)
            return NULL;
        HPDF_Dict_Add(img, "SMask", mask);
    }
    return img;
}

/* The XObject of an image, made the first time it is drawn; NULL (and a
 * warning, once) when it is refused. */
static HPDF_Image load_image(PX *px, const lexp__litem *it)
{
    const char *path = it->u.image.path;
    for (size_t i = 0; i < px->nimages; i++)
        if (strcmp(px->images[i].path, path) == 0)
            return px->images[i].image;
    HPDF_Image img = NULL;
    char why[sizeof ((lexp__image *)0)->why + 64];
    char *data = NULL;
    size_t len = 0;
    px->soft = 1;
    px->soft_err = 0;
    if (lexp__image_read(it->u.image.base, path, &data, &len, why, sizeof why) == 0) {
        lexp_engine *eng = px->opt ? px->opt->engine : NULL;
        const lexp__pdfimg *im;
        if (lexp__pdfimg_get(eng, (const unsigned char *)data, len, &im, why, sizeof why) == 0) {
            img = image_xobject(px, im);
            if (!img || px->soft_err)
                snprintf(why, sizeof why, "could not be written into the PDF (libharu error "
                         "0x%04X)", (unsigned)px->soft_err);
            if (px->soft_err)
                img = NULL;
            lexp__pdfimg_release(eng, im);
        }
        free(data);
    }
    px->soft = 0;
    if (!img) {
        HPDF_ResetError(px->pdf);
        lexp__warn(px->opt, path, "image left out (%s): a placeholder box is drawn", why);
    }
    if (px->nimages == px->capimages) {
        size_t nc = px->capimages ? px->capimages * 2 : 8;
        struct img *ni = realloc(px->images, nc * sizeof *ni);
        if (!ni)
            return img;
        px->images = ni;
        px->capimages = nc;
    }
    px->images[px->nimages].path = path;
    px->images[px->nimages].image = img;
    px->nimages++;
    return img;
}

/* A grey box with its diagonals, as the layout draws for a missing photo. */
static void draw_placeholder(HPDF_Page pg, double x, double y, double w, double h)
{
    HPDF_Page_SetLineWidth(pg, 0.75);
    set_stroke(pg, 0x808080);
    HPDF_Page_Rectangle(pg, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)w, (HPDF_REAL)h);
    HPDF_Page_Stroke(pg);
    HPDF_Page_SetLineWidth(pg, 0.5);
    set_stroke(pg, 0x808080);
    HPDF_Page_MoveTo(pg, (HPDF_REAL)x, (HPDF_REAL)(y + h));
    HPDF_Page_LineTo(pg, (HPDF_REAL)(x + w), (HPDF_REAL)y);
    HPDF_Page_Stroke(pg);
    HPDF_Page_SetLineWidth(pg, 0.5);
    set_stroke(pg, 0x808080);
    HPDF_Page_MoveTo(pg, (HPDF_REAL)x, (HPDF_REAL)y);
    HPDF_Page_LineTo(pg, (HPDF_REAL)(x + w), (HPDF_REAL)(y + h));
    HPDF_Page_Stroke(pg);
}

/* An arc as Bézier curves (at most 90° each), angles in radians. */
static void arc_to(HPDF_Page pg, double cx, double cy, double r, double t0, double t1)
{
    int segs = (int)ceil(fabs(t1 - t0) / (PI / 2) - 1e-9);
    if (segs < 1)
        segs = 1;
    double step = (t1 - t0) / segs;
    for (int i = 0; i < segs; i++) {
        double a = t0 + step * i, b = a + step;
        double k = 4.0 / 3.0 * tan((b - a) / 4);
        double x0 = cx + r * cos(a), y0 = cy + r * sin(a);
        double x3 = cx + r * cos(b), y3 = cy + r * sin(b);
        HPDF_Page_CurveTo(pg, (HPDF_REAL)(x0 - k * r * sin(a)), (HPDF_REAL)(y0 + k * r * cos(a)),
                          (HPDF_REAL)(x3 + k * r * sin(b)), (HPDF_REAL)(y3 - k * r * cos(b)),
                          (HPDF_REAL)x3, (HPDF_REAL)y3);
    }
}

static void draw_wedge(HPDF_Page pg, double ph, const lexp__litem *it)
{
    double cx = it->x, cy = ph - it->y, r = it->u.wedge.r;
    /* layout angles run clockwise from twelve o'clock */
    double t0 = (90.0 - it->u.wedge.a0) * PI / 180.0;
    double t1 = (90.0 - it->u.wedge.a1) * PI / 180.0;
    set_fill(pg, it->u.wedge.fill);
    set_stroke(pg, it->u.wedge.stroke);
    HPDF_Page_SetLineWidth(pg, 0.75);
    if (it->u.wedge.a1 - it->u.wedge.a0 >= 359.999) {
        HPDF_Page_MoveTo(pg, (HPDF_REAL)(cx + r * cos(t0)), (HPDF_REAL)(cy + r * sin(t0)));
        arc_to(pg, cx, cy, r, t0, t0 - 2 * PI);
    } else {
        HPDF_Page_MoveTo(pg, (HPDF_REAL)cx, (HPDF_REAL)cy);
        HPDF_Page_LineTo(pg, (HPDF_REAL)(cx + r * cos(t0)), (HPDF_REAL)(cy + r * sin(t0)));
        arc_to(pg, cx, cy, r, t0, t1);
    }
    HPDF_Page_ClosePathFillStroke(pg);
}

/* "r g b OP" for a colour 0xRRGGBB. */
/* A colour component as libharu wrote it (HPDF_FToA of the float: five
 * decimals, cut, trailing zeros dropped), so that stroke and fill colours
 * keep their bytes: 128/255 is 0.50196, 224/255 0.87843. */
static void cb_comp(cbuf *c, double v)
{
    float f = (float)v;
    int ip = (int)(f + 0.000005f);
    int fp = (int)((float)(f - (float)ip + 0.000005f) * 100000);
    char t[16], *p = t;
    *p++ = (char)('0' + ip % 10);
    if (fp) {
        *p++ = '.';
        for (int d = 10000; d && fp; d /= 10) {
            *p++ = (char)('0' + fp / d);
            fp %= d;
        }
    }
    *p = 0;
    cb_str(c, t);
}

static void cb_rgb(cbuf *c, uint32_t col, const char *op)
{
    double r, g, b;
    rgb(col, &r, &g, &b);
    cb_comp(c, r);
    cb_str(c, " ");
    cb_comp(c, g);
    cb_str(c, " ");
    cb_comp(c, b);
    cb_str(c, op);
}

static void cb_xy(cbuf *c, double x, double y, const char *op)
{
    cb_num(c, x);
    cb_str(c, " ");
    cb_num(c, y);
    cb_str(c, op);
}

/* Lines and rectangles go into the content stream as operators written
 * here, as text does: libharu's calls for them clear a 512-byte buffer a
 * byte at a time each (a table's borders are hundreds of them a page). */
static int draw_graphics(PX *px, HPDF_Page pg, const lexp__lpage *p)
{
    double ph = px->L->page_h;
    cbuf cb = page_cb(px, pg);
    for (size_t i = 0; i < p->n; i++) {
        const lexp__litem *it = &p->items[i];
        switch (it->kind) {
        case LEXP_L_LINE:
            cb_num(&cb, it->u.line.width);
            cb_str(&cb, " w\012");
            cb_rgb(&cb, it->u.line.color, " RG\012");
            cb_xy(&cb, it->x, ph - it->y, " m\012");
            cb_xy(&cb, it->u.line.x2, ph - it->u.line.y2, " l\012S\012");
            break;
        case LEXP_L_RECT: {
            if (!it->u.rect.do_fill && !it->u.rect.do_stroke)
                break;
            if (it->u.rect.do_stroke) {
                cb_num(&cb, it->u.rect.width);
                cb_str(&cb, " w\012");
                cb_rgb(&cb, it->u.rect.stroke, " RG\012");
            }
            if (it->u.rect.do_fill)
                cb_rgb(&cb, it->u.rect.fill, " rg\012");
            cb_xy(&cb, it->x, ph - it->y - it->u.rect.h, " ");
            cb_xy(&cb, it->u.rect.w, it->u.rect.h, " re\012");
            cb_str(&cb, it->u.rect.do_fill && it->u.rect.do_stroke ? "B\012"
                        : it->u.rect.do_fill                        ? "f\012"
                                                                    : "S\012");
            break;
        }
        case LEXP_L_IMAGE: {
            cb_flush(&cb);
            HPDF_Image img = load_image(px, it);
            double y = ph - it->y - it->u.image.h;
            if (img)
                HPDF_Page_DrawImage(pg, img, (HPDF_REAL)it->x, (HPDF_REAL)y,
                                    (HPDF_REAL)it->u.image.w, (HPDF_REAL)it->u.image.h);
            else
                draw_placeholder(pg, it->x, y, it->u.image.w, it->u.image.h);
            break;
        }
        case LEXP_L_WEDGE:
            cb_flush(&cb);
            draw_wedge(pg, ph, it);
            break;
        default: break;
        }
        CHECK(px);
    }
    cb_flush(&cb);
    return 0;
}

/* The CID that shows a glyph of a text item. A document sets the same few
 * hundred glyphs again and again: the look-ups in the subset's map are
 * remembered in a small direct-mapped table. */
static uint32_t item_cid(PX *px, int slot, const lexp__subset *s, const lexp__lglyph *gl)
{
    uint32_t key = gl->cp | (gl->half ? 0x80000000u : 0);
    cid_ent *e = NULL;
    if (px->cidc) {
        e = &px->cidc[((gl->gid * 0x9E3779B1u) ^ (key * 0x85EBCA77u) ^ (uint32_t)slot) >>
                      (32 - CID_CACHE_BITS)];
        if (e->slot == slot && e->gid == gl->gid && e->key == key)
            return e->cid;
    }
    uint32_t g = gl->gid == 0 ? lexp__subset_extra(s, gl->cp)
                              : lexp__subset_glyph(s, gl->gid, gl->cp);
    if (gl->half && g < s->n && s->half[g])
        g = s->half[g];
    if (e)
        *e = (cid_ent){slot, gl->gid, key, g};
    return g;
}

/* The spacing most gaps of a line share, in 1/1000 pt, or 0: a majority
 * vote (gaps within 1/1000 pt of each other count as the same). */
static long common_gap(const long *gap, uint32_t n)
{
    long cand = 0;
    uint32_t votes = 0, same = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (votes == 0) {
            cand = gap[k];
            votes = 1;
        } else if (labs(gap[k] - cand) <= 1) {
            votes++;
        } else {
            votes--;
        }
    }
    for (uint32_t k = 0; k < n; k++)
        same += labs(gap[k] - cand) <= 1;
    return n >= 2 && same * 2 > n ? cand : 0;
}

/* The glyphs of one text item as a TJ array. A justified line spaces its
 * glyphs alike: that spacing is set once as Tc (which the viewer adds after
 * every glyph) and only the glyphs placed otherwise (a compressed mark, a
 * run's last glyph before the next run) carry a TJ adjustment, so the
 * content stream holds about half the bytes of a per-glyph array. Each
 * adjustment is taken from where the previous glyph really ended, so
 * rounding does not add up along a line. */
static int put_glyphs(PX *px, cbuf *cb, const lexp__litem *it, const lexp__subset *s,
                      long *cur_tc)
{
    uint32_t n = it->u.text.n;
    double size = it->u.text.size;
    if (lexp__grow((void **)&px->cid, &px->capcid, n + 1, sizeof *px->cid) ||
        lexp__grow((void **)&px->gap, &px->capgap, n + 1, sizeof *px->gap))
        return -1;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t g = item_cid(px, it->u.text.slot, s, &it->u.text.g[k]);
        px->cid[k] = g;
        if (k)
            px->gap[k - 1] = llround((it->u.text.g[k].x - it->u.text.g[k - 1].x -
                                      px_adv(s, px->cid[k - 1], size)) * 1000.0);
    }
    /* a single glyph has no gap: whatever spacing is set stays */
    long tc = n >= 2 ? common_gap(px->gap, n - 1) : *cur_tc;
    if (tc != *cur_tc) {
        cb_num(cb, (double)tc / 1000.0);
        cb_str(cb, " Tc\012");
        *cur_tc = tc;
    }
    static const char xd[] = "0123456789ABCDEF";
    char hex[4];
    double pen = n ? it->u.text.g[0].x : 0;
    cb_str(cb, "[<");
    for (uint32_t k = 0; k < n; k++) {
        uint32_t g = px->cid[k];
        hex[0] = xd[(g >> 12) & 15];
        hex[1] = xd[(g >> 8) & 15];
        hex[2] = xd[(g >> 4) & 15];
        hex[3] = xd[g & 15];
        cb_put(cb, hex, 4);
        if (k + 1 < n) {
            pen += px_adv(s, g, size) + (double)tc / 1000.0;
            double adj = round((pen - it->u.text.g[k + 1].x) * 1000.0 / size * 10) / 10;
            if (fabs(adj) >= 0.5) {
                cb_str(cb, ">");
                cb_num(cb, adj);
                cb_str(cb, "<");
                pen -= adj * size / 1000.0;
            }
        }
    }
    cb_str(cb, ">] TJ\012");
    return 0;
}

/* All text of a page in one text object. */
static int draw_text(PX *px, HPDF_Page pg, const lexp__lpage *p)
{
    double ph = px->L->page_h;
    int any = 0;
    for (size_t i = 0; i < p->n && !any; i++)
        any = p->items[i].kind == LEXP_L_TEXT && px->fonts[p->items[i].u.text.slot];
    if (!any)
        return 0;
    cbuf cb = page_cb(px, pg);
    /* BT and ET are ours too: libharu's text mode would only be in the way
     * of packing the page */
    cb_str(&cb, "BT\012");
    int cur_slot = -1, mode = 0; /* text rendering mode: 0 fill, 2 bold, 3 invisible */
    double cur_size = -1;
    /* graphics drawn before may have left any fill colour: set it first */
    uint32_t cur_color = 0xFFFFFFFFu;
    long cur_tc = 0; /* character spacing set, in 1/1000 pt */
    for (size_t i = 0; i < p->n; i++) {
        const lexp__litem *it = &p->items[i];
        if (it->kind != LEXP_L_TEXT)
            continue;
        int slot = it->u.text.slot;
        const lexp__subset *s = px->subsets[slot];
        if (!px->fonts[slot] || !s)
            continue;
        double size = it->u.text.size;
        if (slot != cur_slot || fabs(size - cur_size) > 1e-6) {
            const char *fname = HPDF_Page_GetLocalFontName(pg, px->fonts[slot]);
            CHECK(px);
            if (!fname)
                return backend_error(px);
            cb_str(&cb, "/");
            cb_str(&cb, fname);
            cb_str(&cb, " ");
            cb_num(&cb, size);
            cb_str(&cb, " Tf\012");
            cur_slot = slot;
            cur_size = size;
        }
        if (it->u.text.color != cur_color) {
            double r, g, b;
            rgb(it->u.text.color, &r, &g, &b);
            cb_num(&cb, r);
            cb_str(&cb, " ");
            cb_num(&cb, g);
            cb_str(&cb, " ");
            cb_num(&cb, b);
            cb_str(&cb, " rg\012");
            if (mode == 2) {
                cb_num(&cb, r);
                cb_str(&cb, " ");
                cb_num(&cb, g);
                cb_str(&cb, " ");
                cb_num(&cb, b);
                cb_str(&cb, " RG\012");
            }
            cur_color = it->u.text.color;
        }
        int tr = it->u.text.invisible ? 3 : it->u.text.bold ? 2 : 0;
        if (tr != mode) {
            mode = tr;
            if (mode == 2) {
                /* no bold faces for Chinese fonts: fill and stroke the outlines */
                double r, g, b;
                rgb(cur_color, &r, &g, &b);
                cb_num(&cb, r);
                cb_str(&cb, " ");
                cb_num(&cb, g);
                cb_str(&cb, " ");
                cb_num(&cb, b);
                cb_str(&cb, " RG ");
                cb_num(&cb, size * 0.03);
                cb_str(&cb, " w 2 Tr\012");
            } else {
                cb_str(&cb, mode == 3 ? "3 Tr\012" : "0 Tr\012");
            }
        }
        cb_str(&cb, it->u.text.italic ? "1 0 0.21 1 " : "1 0 0 1 ");
        cb_num(&cb, it->x + (it->u.text.n ? it->u.text.g[0].x : 0));
        cb_str(&cb, " ");
        cb_num(&cb, ph - it->y);
        cb_str(&cb, " Tm\012");
        if (put_glyphs(px, &cb, it, s, &cur_tc))
            return lexp__error_oom(px->err);
    }
    if (cur_tc)
        cb_str(&cb, "0 Tc\012");
    if (mode)
        cb_str(&cb, "0 Tr\012");
    cb_str(&cb, "ET\012");
    return 0;
}

static int save(PX *px, lexp__sbuf *out)
{
    HPDF_STATUS rc = lexp__hpdf_save(px->pdf, out);
    CHECK(px);
    if (rc != HPDF_OK)
        return rc == 0x1015 ? lexp__error_oom(px->err) : backend_error(px);
    return 0;
}

/* The document with its fonts, once every page's glyphs are known. */
static int start_pdf(PX *px)
{
    px->nslots = lexp__fonts_count(px->F);
    px->fonts = calloc((size_t)px->nslots + 1, sizeof *px->fonts);
    px->subsets = calloc((size_t)px->nslots + 1, sizeof *px->subsets);
    if (!px->fonts || !px->subsets)
        return lexp__error_oom(px->err);
    px->pdf = HPDF_New(on_error, px);
    if (!px->pdf)
        return lexp__error_oom(px->err);
    HPDF_SetCompressionMode(px->pdf, HPDF_COMP_ALL);
    CHECK(px);
    /* /Lang and DisplayDocTitle are PDF 1.4 */
    if (px->pdf->pdf_version < HPDF_VER_14)
        px->pdf->pdf_version = HPDF_VER_14;
    return embed_fonts(px);
}

static int draw_page(PX *px, const lexp__lpage *p)
{
    const lexp__layout *L = px->L;
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].kind == LEXP_L_TEXT && p->items[i].u.text.slot >= px->nslots)
            return lexp__error_set(px->err, LEXP_EBACKEND, NULL, 0, 0, NULL,
                                   "a page uses a font its layout had not shown");
    if (lexp__grow((void **)&px->pages, &px->cappages, px->npages + 1, sizeof *px->pages))
        return lexp__error_oom(px->err);
    HPDF_Page pg = HPDF_AddPage(px->pdf);
    px->pages[px->npages++] = pg;
    CHECK(px);
    HPDF_Page_SetWidth(pg, (HPDF_REAL)L->page_w);
    HPDF_Page_SetHeight(pg, (HPDF_REAL)L->page_h);
    px->page.len = 0;
    int rc = draw_graphics(px, pg, p);
    if (rc == 0)
        rc = draw_text(px, pg, p);
    size_t zlen = 0;
    int packed = rc || px->page.oom ? -1
                                    : lexp__hpdf_pack_page(px->pdf, pg, px->page.ptr, px->page.len,
                                                           &px->page_z, &zlen, px->zfd,
                                                           &px->zfdlen);
    if (rc == 0 && packed == -2)
        rc = lexp__error_set(px->err, LEXP_EIO, NULL, 0, 0, NULL,
                             "pdf: cannot write a temporary file in %s: %s", px->tmpdir,
                             strerror(errno));
    else if (rc == 0 && packed)
        rc = lexp__error_oom(px->err);
    px->content_bytes += zlen;
    return rc;
}

/* The file written to `path` through a scratch file (a long document is
 * not held in memory), as lexp_write_file writes. */
static int save_to(PX *px, const char *path)
{
    int fd = lexp__scratch_fd(px->tmpdir, "pdf", px->err);
    if (fd < 0)
        return px->err ? px->err->code : LEXP_EIO;
    HPDF_STATUS st = lexp__hpdf_save_fd(px->pdf, fd);
    int rc = 0;
    if (st == HPDF_FILE_IO_ERROR)
        rc = lexp__error_set(px->err, LEXP_EIO, NULL, 0, 0, NULL,
                             "pdf: cannot write a temporary file in %s", px->tmpdir);
    else if (px->hpdf_err || st != HPDF_OK)
        rc = st == 0x1015 || px->hpdf_err == 0x1015 ? lexp__error_oom(px->err)
                                                    : backend_error(px);
    if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0)
        rc = lexp__error_set(px->err, LEXP_EIO, NULL, 0, 0, NULL,
                             "pdf: cannot read a temporary file back: %s", strerror(errno));
    if (rc == 0)
        rc = lexp__write_file_fd(path, fd, px->err);
    close(fd);
    return rc;
}

/* Bookmarks, the document's information, and the file: into out, or
 * (out NULL) to `path`. */
static int finish_pdf(PX *px, const lexp_doc *doc, lexp__sbuf *out, const char *path)
{
    int rc = outline(px, px->pages);
    if (rc == 0)
        rc = doc_info(px, doc);
    if (rc == 0 && !out)
        return save_to(px, path);
    if (rc == 0) {
        /* room for the whole file at once: the font programs and page
         * contents are most of it (growing by doubling copied it ~twice) */
        size_t est = 16384 + px->content_bytes;
        for (int slot = 0; slot < px->nslots; slot++)
            if (px->subsets && px->subsets[slot])
                est += px->subsets[slot]->font_zlen + px->subsets[slot]->tounicode_zlen +
                       px->subsets[slot]->cidmap_zlen + 4096;
        if (out->max && est > out->max - out->len)
            est = out->max - out->len; /* the limit is checked as the bytes come */
        if (lexp__sbuf_grow(out, est))
            return lexp__error_oom(px->err);
        rc = save(px, out);
    }
    return rc;
}

/* A document with a long table is drawn page by page as the layout
 * finishes them (lexp__layout_stream): the passes that settle the layout
 * give its glyphs, the fonts are made from them, and the settled layout,
 * made once more, is drawn. The bytes are those of a whole layout. */
static int on_page(void *ctx, const lexp__layout *L, size_t p, lexp__lphase phase)
{
    PX *px = ctx;
    px->L = L;
    switch (phase) {
    case LEXP_LP_PASS: sets_clear(px); return 0;
    case LEXP_LP_COLLECT: return collect_glyphs(px, &L->pages[p]);
    case LEXP_LP_DRAW: break;
    }
    if (!px->pdf) {
        int rc = start_pdf(px);
        if (rc)
            return rc;
    }
    return draw_page(px, &L->pages[p]);
}

int lexp__render_pdf(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                     lexp_error *err)
{
    return lexp__render_pdf_to(out, NULL, doc, opt, err);
}

int lexp__render_pdf_to(lexp__sbuf *out, const char *path, const lexp_doc *doc,
                        const lexp_render_options *opt, lexp_error *err)
{
    if (!out && !doc->spools) {
        /* a short document: in memory, then written as lexp_write_file does */
        lexp__sbuf b = LEXP__SBUF_INIT;
        int rc = lexp__render_pdf_to(&b, NULL, doc, opt, err);
        if (rc == 0 && b.oom)
            rc = lexp__error_oom(err);
        const void *bytes = b.ptr;
        size_t size = b.len;
        if (rc == 0)
            rc = lexp__write_files(1, &path, &bytes, &size, err);
        lexp__sbuf_free(&b);
        return rc;
    }
    PX px;
    memset(&px, 0, sizeof px);
    px.zfd = -1;
    px.tmpdir = lexp__tmpdir();
    px.cidc = malloc(sizeof *px.cidc << CID_CACHE_BITS); /* without it, no cache */
    for (size_t i = 0; px.cidc && i < (size_t)1 << CID_CACHE_BITS; i++)
        px.cidc[i].slot = -1;
    px.err = err;
    px.opt = opt;
    lexp__layout *L = NULL;
    int rc = lexp__fonts_new(&px.F, doc, opt, err);
    if (rc == 0 && doc->spools) {
        if ((px.zfd = lexp__scratch_fd(px.tmpdir, "pdf", err)) < 0)
            rc = err ? err->code : LEXP_EIO;
        if (rc == 0)
            rc = lexp__layout_stream(&L, doc, px.F, opt, on_page, &px, err);
        if (rc == 0 && !px.pdf)
            rc = start_pdf(&px);
    } else if (rc == 0) {
        rc = lexp__layout_doc(&L, doc, px.F, opt, err);
        px.L = L;
        for (size_t p = 0; rc == 0 && L && p < L->npages; p++)
            rc = collect_glyphs(&px, &L->pages[p]);
        if (rc == 0)
            rc = start_pdf(&px);
        for (size_t p = 0; rc == 0 && p < L->npages; p++)
            rc = draw_page(&px, &L->pages[p]);
    }
    px.L = L;
    if (rc == 0)
        rc = finish_pdf(&px, doc, out, path);
    if (rc == 0)
        lexp__fonts_warn(px.F, opt);
    if (px.pdf)
        HPDF_Free(px.pdf);
    if (px.zfd >= 0)
        close(px.zfd); /* after the streams that read it */
    free(px.fonts);
    free(px.subsets);
    free(px.images);
    lexp__sbuf_free(&px.page);
    lexp__deflate_drop(&px.page_z);
    free(px.cid);
    free(px.cidc);
    free(px.gap);
    free(px.pages);
    sets_clear(&px);
    lexp__layout_free(L);
    lexp__fonts_free(px.F);
    return rc;
}
