/*
 * Font lookup, fallback and subsetting (see fonts.h for the rules).
 *
 *   lexp__fontcache (engine-wide or per render)
 *   ├── names:  fontconfig answer per family name
 *   ├── faces:  opened font files (HarfBuzz blob/face/font), never evicted
 *   └── subsets: deflated glyph subsets keyed by face + glyph set, LRU
 *   lexp__fonts (one render)
 *   ├── chains[role]: faces in fallback order, built on first use
 *   ├── glyph cache per role: character → (slot, glyph, advance)
 *   └── slots: faces in order of first use (the PDF font resources)
 */
#include "fonts.h"

#include <fontconfig/fontconfig.h>
#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../doc/style.h"
#include "../engine.h"
#include "cff.h"
#include "fontzip.h"
#include "ttfsub.h"
#include "render.h"

/* Subsets kept in a cache: beyond either limit the least recently used
 * unused ones go. A subset of a 2-page briefing is 40–100 KB. */
#define SUBSET_CACHE_MAX_BYTES (48u * 1024u * 1024u)
#define SUBSET_CACHE_MAX_COUNT 512u

/* The families of free fonts packaged by Debian: a role that ends up on
 * one of them is reported, since GB/T 9704 asks for specific typefaces. */
static const char *const free_families[] = {
    "AR PL SungtiL GB", "AR PL UMing CN", "AR PL KaitiM GB", "AR PL UKai CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "LXGW WenKai", "FandolSong",
    "FandolFang", "FandolHei", "FandolKai", "Noto Serif CJK SC", "Noto Sans CJK SC",
    "Source Han Serif SC", "Source Han Sans SC", NULL};

/* How many leading names of lexp__role_font_names are the role's own
 * typeface (the rest are substitutes, e.g. SimSun for 小标宋). */
static int proper_names(int role)
{
    switch (role) {
    case LEXP_ROLE_FANGSONG: return 4;
    case LEXP_ROLE_HEI: return 2;
    case LEXP_ROLE_KAI: return 4;
    case LEXP_ROLE_XIAOBIAOSONG: return 3;
    case LEXP_ROLE_LATIN: return 5; /* all Times-metric: nothing to report */
    default: return 3;
    }
}

/* ---- the cache ------------------------------------------------------------ */

typedef struct fc_name {
    struct fc_name *next;
    char *name;
    int found;  /* 1: accepted, 0: not installed, -1: matched but rejected */
    char *path; /* accepted or rejected file */
    int index;
    char *why; /* reason for a rejection */
} fc_name;

typedef struct face {
    struct face *next;
    char *path;
    int index;
    int ok;
    int code;  /* lexp_code of the failure when !ok */
    char *why; /* message of the failure */
    hb_blob_t *blob;
    hb_face_t *hbface;
    /* hbface after hb_subset_preprocess, made once an engine has built
     * PREPROCESS_AT subsets of the face: HarfBuzz then keeps the tables
     * parsed, and a subset of a large CJK face takes 0.3-0.7 ms instead of
     * 3-7 ms, with the same bytes. Preprocessing costs 30-300 ms once per
     * face (it is a subset of every glyph), so a single render never pays
     * it; a batch pays it at its eighth new glyph set. NULL until ready. */
    _Atomic(hb_face_t *) pre;
    int nbuilt;      /* subsets built from the face (under the engine lock) */
    int pre_claimed; /* some render preprocesses or preprocessed it */
    hb_font_t *font;
    unsigned upem;
    int cff; /* outlines in a CFF table (else glyf) */
    /* a CFF face our own subsetting cannot take (it has subroutines, say):
     * hb-subset from then on, and preprocessing pays off */
    atomic_int cff_hb;
    lexp__face_info info;
} face;

typedef struct sub_entry {
    struct sub_entry *next;
    const face *fc;
    uint64_t hash;
    size_t nkey;
    uint32_t *key; /* gid, cp pairs */
    lexp__subset s;
    size_t bytes;
    int refs;
    int dead; /* evicted while in use: freed when refs drops to 0 */
    uint64_t stamp;
} sub_entry;

typedef struct lexp__fontcache {
    fc_name *names;
    face *faces;
    sub_entry *subs;
    size_t sub_bytes, sub_count;
    uint64_t clock;
    lexp__zcache *zc; /* deflated pieces of font programs (fontzip.h) */
} lexp__fontcache;

static void sub_free(sub_entry *e)
{
    if (!e)
        return;
    free(e->key);
    free((void *)e->s.widths);
    free((void *)e->s.half);
    free((void *)e->s.cidmap_z);
    free((void *)e->s.font_z);
    free((void *)e->s.tounicode_z);
    free((void *)e->s.map_old);
    free((void *)e->s.map_cp);
    free((void *)e->s.map_new);
    free((void *)e->s.extra);
    free(e);
}

static void face_destroy(face *fc)
{
    hb_face_destroy(atomic_load(&fc->pre));
    hb_font_destroy(fc->font);
    hb_face_destroy(fc->hbface);
    hb_blob_destroy(fc->blob);
    free(fc->path);
    free(fc->why);
    free((char *)fc->info.family);
    free((char *)fc->info.psname);
    free(fc);
}

void lexp__fontcache_free(void *p)
{
    lexp__fontcache *c = p;
    if (!c)
        return;
    for (fc_name *n = c->names, *nx; n; n = nx) {
        nx = n->next;
        free(n->name);
        free(n->path);
        free(n->why);
        free(n);
    }
    for (face *f = c->faces, *nx; f; f = nx) {
        nx = f->next;
        face_destroy(f);
    }
    for (sub_entry *e = c->subs, *nx; e; e = nx) {
        nx = e->next;
        sub_free(e);
    }
    lexp__zcache_free(c->zc);
    free(c);
}

static char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* ---- fontconfig --------------------------------------------------------------- */

/* Family names compare without case and blanks ("SimSun" = "simsun"). */
static int same_family(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
        if (!x)
            return 1;
        a++;
        b++;
    }
}

/* The family part of a lookup name: "FandolSong:Bold" asks for the style
 * Bold of the family FandolSong. */
static size_t family_len(const char *name)
{
    const char *colon = strchr(name, ':');
    return colon ? (size_t)(colon - name) : strlen(name);
}

static int same_family_n(const char *fam, const char *name, size_t n)
{
    char buf[128];
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, name, n);
    buf[n] = 0;
    return same_family(fam, buf);
}

/* Ask fontconfig for `name`; accept only a face of that very family (and
 * style, when one is named) whose outlines can be embedded: TrueType (glyf)
 * or CFF. Runs with the cache lock held (fontconfig is thread-safe; holding
 * the lock keeps one answer per name). */
static fc_name *fc_lookup(lexp__fontcache *c, const char *name)
{
    for (fc_name *n = c->names; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    fc_name *n = calloc(1, sizeof *n);
    if (!n || !(n->name = xstrdup(name))) {
        free(n);
        return NULL;
    }
    size_t flen = family_len(name);
    const char *style = name[flen] == ':' ? name + flen + 1 : NULL;
    char family[128];
    FcPattern *p = flen < sizeof family ? FcPatternCreate() : NULL;
    FcPattern *m = NULL;
    if (p) {
        memcpy(family, name, flen);
        family[flen] = 0;
    }
    if (p && FcPatternAddString(p, FC_FAMILY, (const FcChar8 *)family) &&
        (!style || FcPatternAddString(p, FC_STYLE, (const FcChar8 *)style)) &&
        FcConfigSubstitute(NULL, p, FcMatchPattern)) {
        FcDefaultSubstitute(p);
        FcResult r;
        m = FcFontMatch(NULL, p, &r);
    }
    if (m) {
        FcChar8 *fam = NULL, *file = NULL, *format = NULL, *sty = NULL;
        int same = 0, index = 0, style_ok = style == NULL;
        for (int i = 0; FcPatternGetString(m, FC_FAMILY, i, &fam) == FcResultMatch; i++)
            if (same_family_n((const char *)fam, name, flen))
                same = 1;
        for (int i = 0; style && FcPatternGetString(m, FC_STYLE, i, &sty) == FcResultMatch; i++)
            if (strcasecmp((const char *)sty, style) == 0)
                style_ok = 1;
        if (same && style_ok && FcPatternGetString(m, FC_FILE, 0, &file) == FcResultMatch) {
            FcPatternGetInteger(m, FC_INDEX, 0, &index);
            n->path = xstrdup((const char *)file);
            n->index = index;
            if (FcPatternGetString(m, FC_FONTFORMAT, 0, &format) == FcResultMatch &&
                strcmp((const char *)format, "TrueType") != 0 &&
                strcmp((const char *)format, "CFF") != 0) {
                n->found = -1;
                lexp__sbuf why = LEXP__SBUF_INIT;
                lexp__sbuf_printf(&why, "its format is %s; an OpenType font with TrueType or "
                                  "CFF outlines is needed", (const char *)format);
                n->why = xstrdup(lexp__sbuf_cstr(&why));
                lexp__sbuf_free(&why);
            } else {
                n->found = n->path ? 1 : 0;
            }
        }
        FcPatternDestroy(m);
    }
    if (p)
        FcPatternDestroy(p);
    n->next = c->names;
    c->names = n;
    return n;
}

/* ---- faces ------------------------------------------------------------------ */

static int be16(const unsigned char *p) { return (p[0] << 8) | p[1]; }
static int sbe16(const unsigned char *p) { return (int16_t)(uint16_t)((p[0] << 8) | p[1]); }

static char *name_string(hb_face_t *f, hb_ot_name_id_t id)
{
    char buf[256];
    unsigned len = sizeof buf;
    if (hb_ot_name_get_utf8(f, id, HB_LANGUAGE_INVALID, &len, buf) == 0)
        return NULL;
    return xstrdup(buf);
}

static int fail_face(face *fc, int code, const char *why)
{
    fc->ok = 0;
    fc->code = code;
    fc->why = xstrdup(why);
    return 0;
}

/* Open and check one face. The result is cached even when it failed, with
 * the reason, so a broken file is reported the same way every time. */
static int face_open(face *fc)
{
    fc->blob = hb_blob_create_from_file_or_fail(fc->path);
    if (!fc->blob)
        return fail_face(fc, LEXP_ENOTFOUND, "cannot read the font file");
    unsigned count = hb_face_count(fc->blob);
    if (count == 0)
        return fail_face(fc, LEXP_EINVAL, "not a TrueType/OpenType font file");
    if ((unsigned)fc->index >= count)
        return fail_face(fc, LEXP_EINVAL, "no face with that index in the collection");
    fc->hbface = hb_face_create(fc->blob, (unsigned)fc->index);
    if (!fc->hbface || hb_face_get_glyph_count(fc->hbface) == 0)
        return fail_face(fc, LEXP_EINVAL, "not a TrueType/OpenType font file");
    hb_blob_t *glyf = hb_face_reference_table(fc->hbface, HB_TAG('g', 'l', 'y', 'f'));
    unsigned glen = hb_blob_get_length(glyf);
    hb_blob_destroy(glyf);
    if (glen == 0) {
        hb_blob_t *cff = hb_face_reference_table(fc->hbface, HB_TAG('C', 'F', 'F', ' '));
        unsigned clen = hb_blob_get_length(cff);
        hb_blob_destroy(cff);
        if (clen == 0)
            return fail_face(fc, LEXP_EINVAL,
                             "it has neither TrueType (glyf) nor CFF outlines (a variable "
                             "CFF2 or bitmap-only font cannot be embedded)");
        fc->cff = 1;
    }
    hb_blob_t *os2 = hb_face_reference_table(fc->hbface, HB_TAG('O', 'S', '/', '2'));
    unsigned olen;
    const unsigned char *o = (const unsigned char *)hb_blob_get_data(os2, &olen);
    int cap = 0;
    /* fsType: 0x0002 restricted licence, 0x0200 bitmap embedding only */
    if (olen >= 10 && ((be16(o + 8) & 0x000F) == 0x0002 || (be16(o + 8) & 0x0200))) {
        hb_blob_destroy(os2);
        return fail_face(fc, LEXP_EINVAL,
                         "its licence forbids embedding its outlines (OS/2 fsType)");
    }
    if (olen >= 90 && be16(o) >= 2)
        cap = sbe16(o + 88);
    hb_blob_destroy(os2);
    fc->upem = hb_face_get_upem(fc->hbface);
    fc->font = hb_font_create(fc->hbface);
    hb_font_make_immutable(fc->font);
    hb_font_extents_t ext;
    hb_font_get_h_extents(fc->font, &ext);
    double k = 1000.0 / fc->upem;
    fc->info.ascent = (int)(ext.ascender * k + 0.5);
    fc->info.descent = (int)(ext.descender * k - 0.5);
    fc->info.cap_height = cap > 0 ? (int)(cap * k + 0.5) : fc->info.ascent;
    hb_blob_t *head = hb_face_reference_table(fc->hbface, HB_TAG('h', 'e', 'a', 'd'));
    unsigned hlen;
    const unsigned char *h = (const unsigned char *)hb_blob_get_data(head, &hlen);
    if (hlen >= 44)
        for (int i = 0; i < 4; i++)
            fc->info.bbox[i] = (int)(sbe16(h + 36 + 2 * i) * k);
    hb_blob_destroy(head);
    fc->info.path = fc->path;
    fc->info.index = fc->index;
    fc->info.family = name_string(fc->hbface, HB_OT_NAME_ID_FONT_FAMILY);
    char *ps = name_string(fc->hbface, HB_OT_NAME_ID_POSTSCRIPT_NAME);
    if (ps) {
        /* PDF names of subset fonts: keep it to plain ASCII letters */
        size_t j = 0;
        for (size_t i = 0; ps[i] && j < 48; i++)
            if ((ps[i] >= 'A' && ps[i] <= 'Z') || (ps[i] >= 'a' && ps[i] <= 'z') ||
                (ps[i] >= '0' && ps[i] <= '9') || ps[i] == '-')
                ps[j++] = ps[i];
        ps[j] = 0;
        if (j == 0) {
            free(ps);
            ps = NULL;
        }
    }
    fc->info.psname = ps ? ps : xstrdup("Font");
    if (!fc->info.family)
        fc->info.family = xstrdup(fc->info.psname);
    fc->ok = fc->font && fc->info.psname && fc->info.family;
    if (!fc->ok)
        return fail_face(fc, LEXP_ENOMEM, "out of memory");
    return 1;
}

/* The cached face for (path, index); NULL only when out of memory. */
static face *face_get(lexp__fontcache *c, const char *path, int index)
{
    for (face *f = c->faces; f; f = f->next)
        if (f->index == index && strcmp(f->path, path) == 0)
            return f;
    face *f = calloc(1, sizeof *f);
    if (!f || !(f->path = xstrdup(path))) {
        free(f);
        return NULL;
    }
    f->index = index;
    face_open(f);
    f->next = c->faces;
    c->faces = f;
    return f;
}

/* ---- one render ----------------------------------------------------------------- */

typedef struct gent {
    uint32_t key; /* cp + 1; 0 = empty */
    lexp__glyph g;
} gent;

typedef struct chain {
    int built;
    int used;
    face **faces;
    int n;
    int first_name;  /* index in the role's names of faces[0], -1 for a file */
    int borrowed;    /* -1, or the role whose chain this is */
    gent *tab;       /* glyph cache */
    size_t cap, count;
} chain;

typedef struct fallback_rec {
    int role;
    int slot;
    uint32_t cp;
} fallback_rec;

struct lexp__fonts {
    const lexp_doc *doc;
    const lexp_render_options *opt;
    lexp_engine *engine;
    lexp__fontcache *cache;
    int own_cache;
    face **slots;
    int nslots, capslots;
    chain chains[LEXP_ROLE_COUNT];
    uint32_t *missing;
    size_t nmissing, capmissing;
    fallback_rec *fb;
    size_t nfb, capfb;
    sub_entry **held;
    size_t nheld, capheld;
    void *z; /* the compressor of subsets' small streams (lexp__deflate_kept) */
    int no_latin; /* Latin text fell back to the Chinese fonts */
};

int lexp__fonts_new(lexp__fonts **out, const lexp_doc *doc, const lexp_render_options *opt,
                    lexp_error *err)
{
    *out = NULL;
    lexp__fonts *f = calloc(1, sizeof *f);
    if (!f)
        return lexp__error_oom(err);
    f->doc = doc;
    f->opt = opt;
    f->engine = opt ? opt->engine : NULL;
    if (f->engine) {
        lexp__engine_lock(f->engine);
        if (!f->engine->pdf_fonts) {
            lexp__fontcache *c = calloc(1, sizeof *c);
            if (c && !(c->zc = lexp__zcache_new(LEXP_FONTZIP_CACHE_BYTES))) {
                free(c);
                c = NULL;
            }
            f->engine->pdf_fonts = c;
            f->engine->pdf_fonts_free = lexp__fontcache_free;
        }
        f->cache = f->engine->pdf_fonts;
        lexp__engine_unlock(f->engine);
    } else {
        f->cache = calloc(1, sizeof(lexp__fontcache));
        f->own_cache = 1;
        /* one render shares no piece: keep none */
        if (f->cache && !(f->cache->zc = lexp__zcache_new(0))) {
            free(f->cache);
            f->cache = NULL;
        }
    }
    if (!f->cache) {
        free(f);
        return lexp__error_oom(err);
    }
    for (int r = 0; r < LEXP_ROLE_COUNT; r++)
        f->chains[r].borrowed = -1;
    *out = f;
    return 0;
}

static void release_subset(lexp__fonts *f, sub_entry *e)
{
    lexp__engine_lock(f->engine);
    if (--e->refs == 0 && e->dead)
        sub_free(e);
    lexp__engine_unlock(f->engine);
}

void lexp__fonts_free(lexp__fonts *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nheld; i++)
        release_subset(f, f->held[i]);
    free(f->held);
    lexp__deflate_drop(&f->z);
    for (int r = 0; r < LEXP_ROLE_COUNT; r++) {
        free(f->chains[r].faces);
        free(f->chains[r].tab);
    }
    free(f->slots);
    free(f->missing);
    free(f->fb);
    if (f->own_cache)
        lexp__fontcache_free(f->cache);
    free(f);
}

int lexp__fonts_count(const lexp__fonts *f) { return f->nslots; }

const lexp__face_info *lexp__fonts_info(const lexp__fonts *f, int slot)
{
    return (slot >= 0 && slot < f->nslots) ? &f->slots[slot]->info : NULL;
}

static int slot_of(lexp__fonts *f, face *fc)
{
    for (int i = 0; i < f->nslots; i++)
        if (f->slots[i] == fc)
            return i;
    size_t cap = (size_t)f->capslots;
    if (lexp__grow((void **)&f->slots, &cap, (size_t)f->nslots + 1, sizeof *f->slots))
        return -1;
    f->capslots = (int)cap;
    f->slots[f->nslots] = fc;
    return f->nslots++;
}

static int chain_add(chain *ch, face *fc)
{
    for (int i = 0; i < ch->n; i++)
        if (ch->faces[i] == fc)
            return 0;
    face **nf = realloc(ch->faces, (size_t)(ch->n + 1) * sizeof *nf);
    if (!nf)
        return -1;
    ch->faces = nf;
    ch->faces[ch->n++] = fc;
    return 0;
}

static int is_abs(const char *p) { return p && p[0] == '/'; }

/* A font file named by the user: it must work, or the render fails. */
static int add_file(lexp__fonts *f, chain *ch, int role, const char *path, int index,
                    const char *origin, lexp_error *err)
{
    char *resolved = NULL;
    /* front-matter paths are relative to the template's directory */
    if (!is_abs(path) && origin && f->doc->src_file && strchr(f->doc->src_file, '/')) {
        const char *slash = strrchr(f->doc->src_file, '/');
        size_t dl = (size_t)(slash - f->doc->src_file);
        resolved = malloc(dl + strlen(path) + 2);
        if (!resolved)
            return lexp__error_oom(err);
        memcpy(resolved, f->doc->src_file, dl);
        resolved[dl] = '/';
        strcpy(resolved + dl + 1, path);
        if (access(resolved, R_OK) != 0) {
            free(resolved);
            resolved = NULL;
        }
    }
    lexp__engine_lock(f->engine);
    face *fc = face_get(f->cache, resolved ? resolved : path, index);
    lexp__engine_unlock(f->engine);
    free(resolved);
    if (!fc)
        return lexp__error_oom(err);
    if (!fc->ok)
        return lexp__error_set(err, fc->code, path, 0, 0, NULL,
                               "font for role %s%s%s%s: %s", lexp__role_name(role),
                               origin ? " (" : "", origin ? origin : "", origin ? ")" : "",
                               fc->why ? fc->why : "unusable");
    if (chain_add(ch, fc))
        return lexp__error_oom(err);
    if (ch->n == 1)
        ch->first_name = -1;
    return 0;
}

static int build_chain(lexp__fonts *f, int role, lexp_error *err)
{
    chain *ch = &f->chains[role];
    ch->built = 1;
    ch->first_name = -1;
    if (f->opt)
        for (size_t i = 0; i < f->opt->nfonts; i++)
            if (f->opt->fonts[i].role == role && f->opt->fonts[i].path) {
                int rc = add_file(f, ch, role, f->opt->fonts[i].path, f->opt->fonts[i].index,
                                  NULL, err);
                if (rc)
                    return rc;
            }
    if (role >= 0 && role < LEXP_ROLE_COUNT && f->doc->font_path[role]) {
        int rc = add_file(f, ch, role, f->doc->font_path[role], f->doc->font_index[role],
                          "template front matter", err);
        if (rc)
            return rc;
    }
    const char *const *names = lexp__role_font_names(role);
    lexp__engine_lock(f->engine);
    for (int k = 0; names[k]; k++) {
        fc_name *n = fc_lookup(f->cache, names[k]);
        if (!n) {
            lexp__engine_unlock(f->engine);
            return lexp__error_oom(err);
        }
        if (n->found != 1)
            continue;
        face *fc = face_get(f->cache, n->path, n->index);
        if (!fc) {
            lexp__engine_unlock(f->engine);
            return lexp__error_oom(err);
        }
        if (!fc->ok)
            continue;
        int was = ch->n;
        if (chain_add(ch, fc)) {
            lexp__engine_unlock(f->engine);
            return lexp__error_oom(err);
        }
        if (was == 0 && ch->n == 1)
            ch->first_name = k;
    }
    lexp__engine_unlock(f->engine);
    return 0;
}

/* Why nothing was found for a role, for the error message. */
static void no_font_error(lexp__fonts *f, int role, lexp_error *err)
{
    lexp__sbuf names = LEXP__SBUF_INIT, why = LEXP__SBUF_INIT;
    const char *const *nm = lexp__role_font_names(role);
    lexp__engine_lock(f->engine);
    for (int k = 0; nm[k]; k++) {
        lexp__sbuf_printf(&names, "%s%s", k ? ", " : "", nm[k]);
        for (fc_name *n = f->cache->names; n; n = n->next)
            if (strcmp(n->name, nm[k]) == 0 && n->found == -1 && why.len == 0)
                lexp__sbuf_printf(&why, " (%s was found, but %s)", nm[k], n->why);
    }
    lexp__engine_unlock(f->engine);
    lexp__error_set(err, LEXP_ENOTFOUND, NULL, 0, 0, NULL,
                    "no usable font for role %s: none of %s is installed as a TrueType or "
                    "OpenType font%s; install the Debian package fonts-arphic-gbsn00lp (or "
                    "fonts-wqy-zenhei, or the Fandol fonts as scripts/dev.sh does), or name "
                    "a .ttf/.ttc/.otf file with --font %s=PATH",
                    lexp__role_name(role), lexp__sbuf_cstr(&names), lexp__sbuf_cstr(&why),
                    lexp__role_name(role));
    lexp__sbuf_free(&names);
    lexp__sbuf_free(&why);
}

static chain *get_chain(lexp__fonts *f, int role, lexp_error *err)
{
    if (role < 0 || role >= LEXP_ROLE_COUNT)
        role = LEXP_ROLE_SONG;
    chain *ch = &f->chains[role];
    if (!ch->built && build_chain(f, role, err))
        return NULL;
    if (ch->n == 0 && ch->borrowed < 0) {
        /* borrow the chain of another role, Song first */
        static const int order[] = {LEXP_ROLE_SONG, LEXP_ROLE_FANGSONG, LEXP_ROLE_HEI,
                                    LEXP_ROLE_KAI, LEXP_ROLE_XIAOBIAOSONG};
        for (int i = 0; i < 5 && ch->n == 0; i++) {
            int o = order[i];
            if (o == role)
                continue;
            chain *oc = &f->chains[o];
            if (!oc->built && build_chain(f, o, err))
                return NULL;
            for (int k = 0; k < oc->n; k++)
                if (chain_add(ch, oc->faces[k])) {
                    lexp__error_oom(err);
                    return NULL;
                }
            if (ch->n)
                ch->borrowed = o;
        }
        if (ch->n == 0) {
            no_font_error(f, role, err);
            return NULL;
        }
    }
    return ch;
}

/* Punctuation that sits in one half of a full-width em box in Chinese
 * fonts (the layout may drop the empty half). */
static int is_wide_punct(uint32_t cp)
{
    switch (cp) {
    case 0x3001: case 0x3002: case 0xFF0C: case 0xFF0E: case 0xFF1A: case 0xFF1B:
    case 0xFF01: case 0xFF1F: case 0x201C: case 0x201D: case 0x2018: case 0x2019:
    case 0xFF08: case 0xFF09: case 0x3008: case 0x3009: case 0x300A: case 0x300B:
    case 0x300C: case 0x300D: case 0x300E: case 0x300F: case 0x3010: case 0x3011:
    case 0x3014: case 0x3015: case 0x3016: case 0x3017: case 0xFF3B: case 0xFF3D:
    case 0xFF5B: case 0xFF5D:
        return 1;
    default: return 0;
    }
}

static gent *gcache_find(chain *ch, uint32_t cp)
{
    if (!ch->cap)
        return NULL;
    size_t mask = ch->cap - 1, i = (cp * 2654435761u) & mask;
    while (ch->tab[i].key) {
        if (ch->tab[i].key == cp + 1)
            return &ch->tab[i];
        i = (i + 1) & mask;
    }
    return NULL;
}

static int gcache_put(chain *ch, uint32_t cp, const lexp__glyph *g)
{
    if ((ch->count + 1) * 2 > ch->cap) {
        size_t nc = ch->cap ? ch->cap * 2 : 256;
        gent *nt = calloc(nc, sizeof *nt);
        if (!nt)
            return -1;
        for (size_t i = 0; i < ch->cap; i++)
            if (ch->tab[i].key) {
                size_t j = ((ch->tab[i].key - 1) * 2654435761u) & (nc - 1);
                while (nt[j].key)
                    j = (j + 1) & (nc - 1);
                nt[j] = ch->tab[i];
            }
        free(ch->tab);
        ch->tab = nt;
        ch->cap = nc;
    }
    size_t mask = ch->cap - 1, i = (cp * 2654435761u) & mask;
    while (ch->tab[i].key)
        i = (i + 1) & mask;
    ch->tab[i].key = cp + 1;
    ch->tab[i].g = *g;
    ch->count++;
    return 0;
}

static int add_missing(lexp__fonts *f, uint32_t cp)
{
    for (size_t i = 0; i < f->nmissing; i++)
        if (f->missing[i] == cp)
            return 0;
    if (lexp__grow((void **)&f->missing, &f->capmissing, f->nmissing + 1, sizeof *f->missing))
        return -1;
    f->missing[f->nmissing++] = cp;
    return 0;
}

/* Characters set in the Latin role whatever the text's role: ASCII and the
 * Latin letters of Latin-1 and Latin Extended. Not the middle dot (the 间隔号
 * of names such as 阿依古丽·买买提, a CJK mark) nor the general punctuation
 * block (quotes, dashes and ellipses are full-width CJK marks in Chinese
 * text). */
static int is_latin(uint32_t cp)
{
    return cp >= 0x20 && cp < 0x250 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0) &&
           cp != 0xB7;
}

/* Where a compressed mark's ink goes: INK_GAP em behind the end of the
 * character before it (GB/T 15834 wants the mark against that character;
 * the preceding glyph's own side bearing keeps them apart). */
#define INK_GAP 0.04f

/* How far left a full-width mark whose ink sits in its left half is drawn
 * when set at half width, in em: its left side bearing beyond INK_GAP. AR PL
 * SungtiL GB draws 、 at 0.24–0.49 em, so cutting only the advance would
 * leave a quarter em before the mark and none after it. */
static float ink_shift(const face *fc, uint32_t gid, uint32_t cp)
{
    if (!is_wide_punct(cp))
        return 0;
    float adv = (float)hb_font_get_glyph_h_advance(fc->font, gid) / (float)fc->upem;
    hb_glyph_extents_t e;
    if (adv <= 0.9f || !hb_font_get_glyph_extents(fc->font, gid, &e) || e.width <= 0)
        return 0;
    float l = (float)e.x_bearing / (float)fc->upem;
    float r = (float)(e.x_bearing + e.width) / (float)fc->upem;
    return r <= 0.55f * adv && l > INK_GAP ? l - INK_GAP : 0;
}

/* The face of `ch` that has `cp`, as a glyph; g->slot stays -1 if none. */
static int find_glyph(lexp__fonts *f, chain *ch, int role, uint32_t cp, int note_fallback,
                      lexp__glyph *g, lexp_error *err)
{
    for (int k = 0; k < ch->n; k++) {
        face *fc = ch->faces[k];
        hb_codepoint_t gid;
        if (!hb_font_get_nominal_glyph(fc->font, cp, &gid) || gid == 0)
            continue;
        int slot = slot_of(f, fc);
        if (slot < 0)
            return lexp__error_oom(err);
        g->slot = slot;
        g->gid = gid;
        g->adv = (float)hb_font_get_glyph_h_advance(fc->font, gid) / (float)fc->upem;
        if (is_wide_punct(cp) && g->adv > 0.9f) {
            hb_glyph_extents_t e;
            if (hb_font_get_glyph_extents(fc->font, gid, &e)) {
                float l = (float)e.x_bearing / (float)fc->upem;
                float r = (float)(e.x_bearing + e.width) / (float)fc->upem;
                if (r <= 0.55f * g->adv)
                    g->ink = LEXP_INK_LEFT;
                else if (l >= 0.45f * g->adv)
                    g->ink = LEXP_INK_RIGHT;
            }
            if (g->ink == LEXP_INK_LEFT)
                g->shift = ink_shift(fc, gid, cp);
        }
        if (k > 0 && note_fallback) {
            if (lexp__grow((void **)&f->fb, &f->capfb, f->nfb + 1, sizeof *f->fb))
                return lexp__error_oom(err);
            f->fb[f->nfb++] = (fallback_rec){role, slot, cp};
        }
        break;
    }
    return 0;
}

int lexp__fonts_glyph(lexp__fonts *f, int role, uint32_t cp, lexp__glyph *out,
                      lexp_error *err)
{
    int own = (role & LEXP__ROLE_OWN_LATIN) != 0;
    role &= ~LEXP__ROLE_OWN_LATIN;
    if (role < 0 || role >= LEXP_ROLE_COUNT)
        role = LEXP_ROLE_SONG;
    chain *ch = &f->chains[role];
    gent *hit = own ? NULL : gcache_find(ch, cp); /* the cache holds routed glyphs */
    if (hit) {
        *out = hit->g;
        return 0;
    }
    if (!get_chain(f, role, err))
        return -1;
    ch->used = 1;
    lexp__glyph g = {-1, 0, lexp__char_width(cp) == 2 ? 1.0f : 0.5f, LEXP_INK_FULL, 0};
    if (!own && role != LEXP_ROLE_LATIN && is_latin(cp)) {
        /* Latin text and digits from the Latin role; without a Latin font
         * (or that glyph) from the role's own fonts, as before */
        chain *lc = &f->chains[LEXP_ROLE_LATIN];
        if (!lc->built && build_chain(f, LEXP_ROLE_LATIN, err))
            return -1;
        if (lc->n) {
            lc->used = 1;
            if (find_glyph(f, lc, LEXP_ROLE_LATIN, cp, 0, &g, err))
                return -1;
        } else if (cp != ' ') {
            f->no_latin = 1;
        }
    }
    if (g.slot < 0 && find_glyph(f, ch, role, cp, 1, &g, err))
        return -1;
    if (g.slot < 0 && add_missing(f, cp))
        return lexp__error_oom(err);
    if (!own && gcache_put(ch, cp, &g))
        return lexp__error_oom(err);
    *out = g;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

size_t lexp__fonts_missing(lexp__fonts *f, const uint32_t **cps)
{
    if (f->nmissing > 1)
        qsort(f->missing, f->nmissing, sizeof *f->missing, cmp_u32);
    *cps = f->missing;
    return f->nmissing;
}

static void put_char(lexp__sbuf *b, uint32_t cp)
{
    char u[4];
    if (cp >= 0x20 && cp != 0x7F) {
        size_t l = lexp__utf8_encode(cp, u);
        lexp__sbuf_printf(b, "U+%04X '%.*s'", cp, (int)l, u);
    } else {
        lexp__sbuf_printf(b, "U+%04X", cp);
    }
}

void lexp__fonts_warn(lexp__fonts *f, const lexp_render_options *opt)
{
    /* Substitutions are said in one line: on a machine without the Windows
     * fonts every role falls back, and five warnings per run would bury the
     * ones that matter. */
    lexp__sbuf subst = LEXP__SBUF_INIT;
    for (int r = 0; r < LEXP_ROLE_COUNT; r++) {
        chain *ch = &f->chains[r];
        if (!ch->used || ch->n == 0)
            continue;
        const face *fc = ch->faces[0];
        const char *const *names = lexp__role_font_names(r);
        if (ch->borrowed >= 0) {
            lexp__warn(opt, fc->path,
                       "no font of role %s (%s, …) is installed; using %s of role %s. Set "
                       "one with --font %s=PATH",
                       lexp__role_name(r), names[0], fc->info.family,
                       lexp__role_name(ch->borrowed), lexp__role_name(r));
            continue;
        }
        if (ch->first_name < 0)
            continue;
        int is_free = 0;
        const char *used = names[ch->first_name];
        size_t ul = family_len(used);
        for (int i = 0; free_families[i]; i++)
            if (strlen(free_families[i]) == ul && strncasecmp(used, free_families[i], ul) == 0)
                is_free = 1;
        /* "FandolSong:Bold" is said "FandolSong Bold", the Regular left out */
        const char *sty = used[ul] == ':' && strcasecmp(used + ul + 1, "Regular") != 0
                              ? used + ul + 1
                              : NULL;
        if (is_free || ch->first_name >= proper_names(r))
            lexp__sbuf_printf(&subst, "%srole %s: %s is not installed; using %.*s%s%s%s",
                              subst.len ? "; " : "", lexp__role_name(r), names[0], (int)ul,
                              used, sty ? " " : "", sty ? sty : "",
                              is_free ? " (a free substitute)" : "");
    }
    if (subst.len)
        lexp__warn(opt, NULL, "%s. Set other fonts with --font ROLE=PATH",
                   lexp__sbuf_cstr(&subst));
    if (f->no_latin)
        lexp__warn(opt, NULL,
                   "no Latin font (Times New Roman, Liberation Serif, TeX Gyre Termes, …) is "
                   "installed: digits and Latin letters use the Chinese fonts' own. Install "
                   "the Debian package fonts-liberation2 or set one with --font latin=PATH");
    lexp__sbuf_free(&subst);
    /* characters taken from a later font of a chain, grouped per font */
    for (size_t i = 0; i < f->nfb; i++) {
        if (f->fb[i].slot < 0)
            continue;
        int role = f->fb[i].role, slot = f->fb[i].slot;
        lexp__sbuf b = LEXP__SBUF_INIT;
        size_t count = 0;
        for (size_t j = i; j < f->nfb; j++)
            if (f->fb[j].role == role && f->fb[j].slot == slot) {
                if (count < 12) {
                    if (count)
                        lexp__sbuf_puts(&b, ", ");
                    put_char(&b, f->fb[j].cp);
                }
                count++;
                if (j > i)
                    f->fb[j].slot = -1;
            }
        if (count > 12)
            lexp__sbuf_printf(&b, " and %zu more", count - 12);
        const face *primary = f->chains[role].faces[0];
        lexp__warn(opt, f->slots[slot]->path, "%s has no glyph for %s; taken from %s",
                   primary->info.family, lexp__sbuf_cstr(&b), f->slots[slot]->info.family);
        lexp__sbuf_free(&b);
    }
    const uint32_t *m;
    size_t nm = lexp__fonts_missing(f, &m);
    if (nm) {
        lexp__sbuf b = LEXP__SBUF_INIT;
        for (size_t i = 0; i < nm && i < 20; i++) {
            if (i)
                lexp__sbuf_puts(&b, ", ");
            put_char(&b, m[i]);
        }
        if (nm > 20)
            lexp__sbuf_printf(&b, " and %zu more", nm - 20);
        lexp__warn(opt, NULL,
                   "no installed font has a glyph for %s: drawn as empty boxes (the text "
                   "layer keeps them). Install a font that has them and set it with --font "
                   "ROLE=PATH",
                   lexp__sbuf_cstr(&b));
        lexp__sbuf_free(&b);
    }
}

/* ---- subsets ---------------------------------------------------------------------- */

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* ToUnicode and CIDToGIDMap streams (a few KB, new with every glyph set):
 * libdeflate's level 1 takes a third less time than 2 (itself four times
 * as fast as 6) for the same size within 0.1% on the peers' briefings */
static int deflate_bytes(lexp__fonts *f, const void *src, size_t n, unsigned char **out,
                         size_t *outlen)
{
    return lexp__deflate_kept(&f->z, src, n, 1, out, outlen); /* one compressor a render */
}

/* "<XXXX>" for a 16-bit value, appended to a line being built. */
static char *hex4(char *p, uint32_t v)
{
    static const char digits[] = "0123456789ABCDEF";
    p[0] = digits[(v >> 12) & 15];
    p[1] = digits[(v >> 8) & 15];
    p[2] = digits[(v >> 4) & 15];
    p[3] = digits[v & 15];
    return p + 4;
}

/* The ToUnicode CMap: code (= new glyph id) → the character it shows. */
static int tounicode(lexp__sbuf *b, const uint32_t *newg, const uint32_t *cps, size_t n)
{
    lexp__sbuf_puts(b, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                       "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> "
                       "def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                       "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    for (size_t i = 0; i < n; i += 100) {
        size_t m = n - i < 100 ? n - i : 100;
        lexp__sbuf_printf(b, "%zu beginbfchar\n", m);
        for (size_t j = i; j < i + m; j++) {
            /* <CODE> <UTF-16BE>: a surrogate pair above the BMP */
            char line[24], *q = line;
            uint32_t c = cps[j];
            if (newg[j] > 0xFFFF) { /* not a 2-byte code: cannot happen for a CID */
                lexp__sbuf_printf(b, "<%04X> <%04X>\n", newg[j], c);
                continue;
            }
            *q++ = '<';
            q = hex4(q, newg[j]);
            *q++ = '>';
            *q++ = ' ';
            *q++ = '<';
            if (c >= 0x10000) {
                uint32_t v = c - 0x10000;
                q = hex4(q, 0xD800 + (v >> 10));
                q = hex4(q, 0xDC00 + (v & 0x3FF));
            } else {
                q = hex4(q, c);
            }
            *q++ = '>';
            *q++ = '\n';
            lexp__sbuf_put(b, line, (size_t)(q - line));
        }
        lexp__sbuf_puts(b, "endbfchar\n");
    }
    lexp__sbuf_puts(b, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    return b->oom ? -1 : 0;
}

/* A subset of a TrueType face by ttfsub.h, from the face's own tables. */
static int ttf_subset(const face *fc, const uint32_t *gids, size_t n, lexp__sbuf *out,
                      uint32_t **old, uint32_t *ng)
{
    lexp__ttf_src src;
    lexp__ttf_src_open(&src, fc->hbface);
    int rc = lexp__ttf_subset(&src, gids, n, out, old, ng);
    lexp__ttf_src_close(&src);
    return rc == LEXP_TTF_OK && out->oom ? LEXP_TTF_OOM : rc;
}

/* Glyph 0 and the n glyphs `gids`, ascending without repeats, into a
 * malloc'd *old (the glyph order of our own CFF subset, as of hb-subset's).
 * -1 when out of memory. */
static int glyph_list(const uint32_t *gids, size_t n, uint32_t **old, uint32_t *ng)
{
    uint32_t *v = malloc((n + 1) * sizeof *v);
    if (!v)
        return -1;
    v[0] = 0;
    memcpy(v + 1, gids, n * sizeof *v);
    qsort(v, n + 1, sizeof *v, cmp_u32);
    size_t k = 1;
    for (size_t i = 1; i <= n; i++)
        if (v[i] != v[k - 1])
            v[k++] = v[i];
    *old = v;
    *ng = (uint32_t)k;
    return 0;
}

/* The new glyph of an original one in our own subset (old is ascending). */
static hb_codepoint_t own_new(const uint32_t *old, uint32_t ng, uint32_t gid)
{
    const uint32_t *at = bsearch(&gid, old, ng, sizeof *old, cmp_u32);
    return at ? (hb_codepoint_t)(at - old) : HB_MAP_VALUE_INVALID;
}

/* Subset the face to the glyphs and prepare everything the PDF writer
 * embeds. Our own subsetters take what they can: TrueType by ttfsub.h, CFF
 * without subroutines (Fandol) by cff.h straight from the face's program,
 * its charstrings copied as they are, hints included (hb-subset took
 * 7-10 ms for a batch's first documents and 180 ms once to preprocess;
 * re-encoding the charstrings without hints cost 3M instructions a glyph
 * set, to save 1-5% of the PDF); the rest goes to hb-subset. `own` 0 skips the own CFF path; 1 is returned when
 * that path met a program it cannot take (then the caller asks hb-subset).
 * Runs without the cache lock. */
static int build_subset_as(lexp__fonts *f, face *fc, hb_face_t *src, const uint32_t *gids,
                           const uint32_t *cps, size_t n, const uint32_t *extra, size_t nextra,
                           int own, lexp__subset *s, lexp_error *err)
{
    int rc = -1;
    hb_subset_input_t *in = NULL;
    hb_subset_plan_t *plan = NULL;
    hb_face_t *res = NULL, *check = NULL;
    hb_blob_t *blob = NULL;
    uint32_t *mo = NULL, *mc = NULL, *mn = NULL, *half = NULL, *tcode = NULL, *tcp = NULL;
    uint32_t *ex = NULL, *back = NULL, *src_of = NULL;
    uint16_t *w = NULL;
    unsigned char *cmap = NULL, *fz = NULL, *tz = NULL, *cz = NULL;
    size_t fzl = 0, tzl = 0, czl = 0;
    lexp__sbuf tu = LEXP__SBUF_INIT, cffprog = LEXP__SBUF_INIT, ttf = LEXP__SBUF_INIT;
    uint32_t *own_old = NULL, own_ng = 0; /* our own subset's glyphs (ttfsub.h, cff.h) */
    const char *data = NULL;
    unsigned len = 0, ng = 0;
    const hb_map_t *o2n = NULL, *n2o = NULL;
    if (!fc->cff) {
        int trc = ttf_subset(fc, gids, n, &ttf, &own_old, &own_ng);
        if (trc == LEXP_TTF_OOM)
            goto oom;
        if (trc == LEXP_TTF_OK) {
            data = ttf.ptr;
            len = (unsigned)ttf.len;
            ng = own_ng;
        }
    } else if (own) { /* the program is written below, once the CIDs are known */
        if (glyph_list(gids, n, &own_old, &own_ng))
            goto oom;
        ng = own_ng;
    }
    if (!own_old) {
        in = hb_subset_input_create_or_fail();
        if (!in)
            goto oom;
        hb_set_t *gs = hb_subset_input_glyph_set(in);
        hb_set_t *us = hb_subset_input_unicode_set(in);
        for (size_t i = 0; i < n; i++) {
            hb_set_add(gs, gids[i]);
            hb_set_add(us, cps[i]);
        }
        /* no layout closure (vertical forms, ligatures) and only the tables
         * a PDF viewer reads: the fewer bytes, the smaller every document */
        hb_set_clear(hb_subset_input_set(in, HB_SUBSET_SETS_LAYOUT_FEATURE_TAG));
        hb_set_t *drop = hb_subset_input_set(in, HB_SUBSET_SETS_DROP_TABLE_TAG);
        static const char *const dropped[] = {"GSUB", "GPOS", "GDEF", "BASE", "JSTF", "vhea",
                                              "vmtx", "VORG", "gasp", "name", "kern", "hdmx",
                                              "LTSH", "VDMX", "PCLT", "DSIG", "EBDT", "EBLC",
                                              "EBSC", "morx", "mort", "feat", NULL};
        for (int i = 0; dropped[i]; i++)
            hb_set_add(drop, hb_tag_from_string(dropped[i], 4));
        hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_NO_HINTING);
        plan = hb_subset_plan_create_or_fail(src, in);
        if (!plan)
            goto backend;
        o2n = hb_subset_plan_old_to_new_glyph_mapping(plan);
        n2o = hb_subset_plan_new_to_old_glyph_mapping(plan);
        res = hb_subset_plan_execute_or_fail(plan);
        if (!res)
            goto backend;
        blob = hb_face_reference_blob(res);
        data = hb_blob_get_data(blob, &len);
        check = hb_face_create(blob, 0);
        ng = hb_face_get_glyph_count(check);
    }
    if (!ng || (!own_old && !len))
        goto backend;
    /* CIDs: the ng glyphs, then a half-width variant per full-width mark,
     * then an alias per further character drawn with an already used glyph
     * (FandolSong draws U+00B7 and U+2022 alike: each needs its own CID for
     * the ToUnicode map), then the characters without a glyph */
    size_t nvar = 0;
    for (size_t i = 0; i < n; i++)
        nvar += is_wide_punct(cps[i]) || (i > 0 && gids[i] == gids[i - 1]);
    size_t ncid = ng + nvar + nextra;
    w = malloc(ncid * sizeof *w);
    back = malloc(ncid * sizeof *back);
    half = calloc(ng, sizeof *half);
    mo = malloc((n ? n : 1) * sizeof *mo);
    mc = malloc((n ? n : 1) * sizeof *mc);
    mn = malloc((n ? n : 1) * sizeof *mn);
    tcode = malloc((n + nvar + nextra + 1) * sizeof *tcode);
    tcp = malloc((n + nvar + nextra + 1) * sizeof *tcp);
    ex = malloc((nextra ? nextra : 1) * sizeof *ex);
    if (!w || !back || !half || !mo || !mc || !mn || !tcode || !tcp || !ex)
        goto oom;
    for (unsigned g = 0; g < ng; g++) {
        hb_codepoint_t old = own_old ? own_old[g] : hb_map_get(n2o, g);
        hb_position_t a = old == HB_MAP_VALUE_INVALID
                              ? 0
                              : hb_font_get_glyph_h_advance(fc->font, old);
        w[g] = (uint16_t)(a * 1000.0 / fc->upem + 0.5);
        back[g] = g;
    }
    size_t nt = 0, v = ng;
    for (size_t i = 0; i < n; i++) {
        hb_codepoint_t ng_ = own_old ? own_new(own_old, own_ng, gids[i]) : hb_map_get(o2n, gids[i]);
        uint32_t glyph = ng_ == HB_MAP_VALUE_INVALID || ng_ >= ng ? 0 : ng_;
        uint32_t cid = glyph;
        if (i > 0 && gids[i] == gids[i - 1] && glyph) {
            cid = (uint32_t)v++;
            w[cid] = w[glyph];
            back[cid] = glyph;
        }
        mo[i] = gids[i];
        mc[i] = cps[i];
        mn[i] = cid;
        tcode[nt] = cid;
        tcp[nt++] = cps[i];
        if (is_wide_punct(cps[i]) && cid == glyph && glyph && !half[glyph]) {
            /* half the advance, plus the shift that moves the ink to the
             * front of it (lexp__glyph.shift): the glyph box then runs from
             * the shifted origin to the next character */
            half[glyph] = (uint32_t)v;
            float sh = ink_shift(fc, gids[i], cps[i]);
            w[v] = (uint16_t)((w[glyph] + 1) / 2 + (int)(sh * 1000.0f + 0.5f));
            back[v] = glyph;
            tcode[nt] = (uint32_t)v;
            tcp[nt++] = cps[i];
            v++;
        }
    }
    /* characters without a glyph: CIDs showing glyph 0, as wide as the
     * placeholder box the layout draws for them */
    size_t extra_cid = v;
    for (size_t i = 0; i < nextra; i++) {
        ex[i] = extra[i];
        w[v] = lexp__char_width(extra[i]) == 2 ? 1000 : 500;
        back[v] = 0;
        tcode[nt] = (uint32_t)v;
        tcp[nt++] = extra[i];
        v++;
    }
    if (tounicode(&tu, tcode, tcp, nt))
        goto oom;
    if (fc->cff) {
        /* a CIDFontType0 has no CIDToGIDMap: the CFF program itself is
         * rewritten so that CID c draws glyph back[c] (of the face itself,
         * own_old[back[c]], on our own path) */
        const uint32_t *map = back;
        if (own_old) {
            if (!(src_of = malloc(v * sizeof *src_of)))
                goto oom;
            for (size_t c = 0; c < v; c++)
                src_of[c] = own_old[back[c]];
            map = src_of;
        }
        hb_blob_t *cffb = hb_face_reference_table(own_old ? fc->hbface : check,
                                                  HB_TAG('C', 'F', 'F', ' '));
        unsigned clen;
        const unsigned char *cd = (const unsigned char *)hb_blob_get_data(cffb, &clen);
        int crc = clen ? lexp__cff_cidfont(cd, clen, map, v, own_old ? LEXP_CFF_WHOLE_FONT : 0,
                                           &cffprog)
                       : LEXP_CFF_BAD;
        hb_blob_destroy(cffb);
        if (crc == LEXP_CFF_OOM || cffprog.oom)
            goto oom;
        if (crc != LEXP_CFF_OK && own_old) {
            atomic_store(&fc->cff_hb, 1);
            rc = 1;
            goto done;
        }
        if (crc != LEXP_CFF_OK)
            goto backend;
        data = cffprog.ptr;
        len = (unsigned)cffprog.len;
    } else if (v > ng) {
        /* CIDs below ng are the glyphs themselves; the rest point back */
        cmap = malloc(v * 2);
        if (!cmap)
            goto oom;
        for (size_t c = 0; c < v; c++) {
            cmap[2 * c] = (unsigned char)(back[c] >> 8);
            cmap[2 * c + 1] = (unsigned char)back[c];
        }
        if (deflate_bytes(f, cmap, v * 2, &cz, &czl))
            goto oom;
    }
    size_t *bounds = NULL, nb = 0;
    int brc = fc->cff ? lexp__fontzip_cff_bounds((const unsigned char *)data, len, &bounds, &nb)
                      : lexp__fontzip_ttf_bounds((const unsigned char *)data, len, &bounds, &nb);
    brc = brc ? brc
              : lexp__fontzip(f->cache->zc, f->engine, (const unsigned char *)data, len, bounds,
                              nb, &fz, &fzl);
    free(bounds);
    if (brc || deflate_bytes(f, tu.ptr, tu.len, &tz, &tzl))
        goto oom;
    s->n = ng;
    s->ncid = (uint32_t)v;
    s->widths = w;
    s->half = half;
    s->cidmap_z = cz;
    s->cidmap_zlen = czl;
    s->font_z = fz;
    s->font_zlen = fzl;
    s->font_len = len;
    s->cff = (uint8_t)fc->cff;
    s->tounicode_z = tz;
    s->tounicode_zlen = tzl;
    s->nmap = (uint32_t)n;
    s->map_old = mo;
    s->map_cp = mc;
    s->map_new = mn;
    s->nextra = (uint32_t)nextra;
    s->extra = ex;
    s->extra_cid = (uint32_t)extra_cid;
    w = NULL;
    half = mo = mc = mn = ex = NULL;
    fz = tz = cz = NULL;
    rc = 0;
    goto done;
oom:
    rc = lexp__error_oom(err);
    goto done;
backend:
    rc = lexp__error_set(err, LEXP_EBACKEND, fc->path, 0, 0, NULL,
                         "HarfBuzz could not subset the font %s", fc->info.family);
done:
    free(w);
    free(back);
    free(src_of);
    free(half);
    free(mo);
    free(mc);
    free(mn);
    free(tcode);
    free(tcp);
    free(ex);
    free(cmap);
    free(fz);
    free(tz);
    free(cz);
    lexp__sbuf_free(&tu);
    lexp__sbuf_free(&cffprog);
    lexp__sbuf_free(&ttf);
    free(own_old);
    hb_face_destroy(check);
    hb_blob_destroy(blob);
    hb_face_destroy(res);
    hb_subset_plan_destroy(plan);
    hb_subset_input_destroy(in);
    return rc;
}

static int build_subset(lexp__fonts *f, face *fc, hb_face_t *src, const uint32_t *gids,
                        const uint32_t *cps, size_t n, const uint32_t *extra, size_t nextra,
                        lexp__subset *s, lexp_error *err)
{
    int own = !fc->cff || !atomic_load(&fc->cff_hb);
    int rc = build_subset_as(f, fc, src, gids, cps, n, extra, nextra, own, s, err);
    return rc == 1 ? build_subset_as(f, fc, src, gids, cps, n, extra, nextra, 0, s, err) : rc;
}

/* Preprocessing (see face.pre) once a face has been subset for this many
 * glyph sets: a batch of varied documents gets there soon, a batch whose
 * documents share their glyph sets never pays for it (lexport batch over
 * 200 communities: 420 MB and 15% slower when it preprocessed at the
 * second). LEXP_FONT_PREPROCESS=N sets the number, =off turns it off
 * (tests compare both ways). */
#define PREPROCESS_AT 8

/* Called under the engine lock when a subset of fc is about to be built:
 * returns 1 when the caller is to preprocess fc (outside the lock; renders
 * of other threads go on without it). */
static int preprocess_claim(face *fc)
{
    if (fc->pre_claimed)
        return 0;
    const char *v = getenv("LEXP_FONT_PREPROCESS");
    if (v && (strcmp(v, "off") == 0 || strcmp(v, "0") == 0))
        return 0;
    long at = v && atol(v) > 0 ? atol(v) : PREPROCESS_AT;
    if (++fc->nbuilt < at)
        return 0;
    fc->pre_claimed = 1;
    return 1;
}

static void preprocess(face *fc)
{
    /* on failure HarfBuzz hands back the face itself: still correct */
    atomic_store(&fc->pre, hb_subset_preprocess(fc->hbface));
}

static sub_entry *sub_find(lexp__fontcache *c, const face *fc, uint64_t h, const uint32_t *key,
                           size_t nkey)
{
    for (sub_entry *e = c->subs; e; e = e->next)
        if (e->fc == fc && e->hash == h && e->nkey == nkey &&
            memcmp(e->key, key, nkey * sizeof *key) == 0)
            return e;
    return NULL;
}

/* Drop least recently used, unreferenced subsets beyond the limits. */
static void sub_evict(lexp__fontcache *c)
{
    while (c->sub_bytes > SUBSET_CACHE_MAX_BYTES || c->sub_count > SUBSET_CACHE_MAX_COUNT) {
        sub_entry **victim = NULL;
        for (sub_entry **pp = &c->subs; *pp; pp = &(*pp)->next)
            if (!victim || (*pp)->stamp < (*victim)->stamp)
                victim = pp;
        if (!victim)
            return;
        sub_entry *e = *victim;
        *victim = e->next;
        c->sub_bytes -= e->bytes;
        c->sub_count--;
        if (e->refs == 0)
            sub_free(e);
        else
            e->dead = 1;
    }
}

int lexp__fonts_subset(lexp__fonts *f, int slot, const uint32_t *gids, const uint32_t *cps,
                       size_t n, const uint32_t *extra, size_t nextra,
                       const lexp__subset **out, lexp_error *err)
{
    *out = NULL;
    if (slot < 0 || slot >= f->nslots)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "bad font slot");
    face *fc = f->slots[slot];
    if (lexp__grow((void **)&f->held, &f->capheld, f->nheld + 1, sizeof *f->held))
        return lexp__error_oom(err);
    /* key: glyph/character pairs, a separator no glyph id reaches, extras */
    size_t nkey = 2 * n + 1 + nextra;
    uint32_t *key = malloc(nkey * sizeof *key);
    if (!key)
        return lexp__error_oom(err);
    for (size_t i = 0; i < n; i++) {
        key[2 * i] = gids[i];
        key[2 * i + 1] = cps[i];
    }
    key[2 * n] = 0xFFFFFFFFu;
    for (size_t i = 0; i < nextra; i++)
        key[2 * n + 1 + i] = extra[i];
    uint64_t h = fnv(key, nkey * sizeof *key, 1469598103934665603ull);
    lexp__engine_lock(f->engine);
    sub_entry *e = sub_find(f->cache, fc, h, key, nkey);
    int pre_here = 0;
    if (e) {
        e->refs++;
        e->stamp = ++f->cache->clock;
    } else if (!f->own_cache && fc->cff && atomic_load(&fc->cff_hb)) {
        pre_here = preprocess_claim(fc); /* only hb-subset gains from it */
    }
    lexp__engine_unlock(f->engine);
    if (pre_here)
        preprocess(fc);
    if (!e) {
        sub_entry *ne = calloc(1, sizeof *ne);
        if (!ne) {
            free(key);
            return lexp__error_oom(err);
        }
        hb_face_t *pre = atomic_load(&fc->pre);
        if (build_subset(f, fc, pre ? pre : fc->hbface, gids, cps, n, extra, nextra, &ne->s,
                         err)) {
            free(key);
            sub_free(ne);
            return -1;
        }
        ne->fc = fc;
        ne->hash = h;
        ne->key = key;
        ne->nkey = nkey;
        key = NULL;
        ne->bytes = ne->s.font_zlen + ne->s.tounicode_zlen + ne->s.cidmap_zlen +
                    ne->s.ncid * 2 + ne->s.n * 4 + n * 16 +
                    ne->nkey * 4 + sizeof *ne;
        /* a tag from the glyph set, like other subsetters, so two subsets
         * of one font in different documents have different names */
        uint64_t t = h ^ fnv(fc->path, strlen(fc->path), 1469598103934665603ull);
        for (int i = 0; i < 6; i++) {
            ne->s.tag[i] = (char)('A' + t % 26);
            t /= 26;
        }
        ne->s.tag[6] = 0;
        lexp__engine_lock(f->engine);
        e = sub_find(f->cache, fc, h, ne->key, ne->nkey);
        if (e) {
            sub_free(ne); /* another thread built the same subset meanwhile */
        } else {
            e = ne;
            e->next = f->cache->subs;
            f->cache->subs = e;
            f->cache->sub_bytes += e->bytes;
            f->cache->sub_count++;
        }
        e->refs++;
        e->stamp = ++f->cache->clock;
        sub_evict(f->cache);
        lexp__engine_unlock(f->engine);
    }
    free(key);
    f->held[f->nheld++] = e;
    *out = &e->s;
    return 0;
}

static size_t map_lower(const lexp__subset *s, uint32_t gid, uint32_t cp)
{
    size_t lo = 0, hi = s->nmap;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->map_old[mid] < gid || (s->map_old[mid] == gid && s->map_cp[mid] < cp))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t lexp__subset_glyph(const lexp__subset *s, uint32_t gid, uint32_t cp)
{
    size_t i = map_lower(s, gid, cp);
    if (i < s->nmap && s->map_old[i] == gid && s->map_cp[i] == cp)
        return s->map_new[i];
    i = map_lower(s, gid, 0); /* another character of that glyph */
    return i < s->nmap && s->map_old[i] == gid ? s->map_new[i] : 0;
}

uint32_t lexp__subset_extra(const lexp__subset *s, uint32_t cp)
{
    size_t lo = 0, hi = s->nextra;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->extra[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < s->nextra && s->extra[lo] == cp) ? s->extra_cid + (uint32_t)lo : 0;
}

int lexp__fonts_primary(lexp__fonts *f, int role, lexp_error *err)
{
    role &= ~LEXP__ROLE_OWN_LATIN;
    if (role < 0 || role >= LEXP_ROLE_COUNT)
        role = LEXP_ROLE_SONG;
    chain *ch = get_chain(f, role, err);
    if (!ch)
        return -1;
    int slot = slot_of(f, ch->faces[0]);
    if (slot < 0)
        lexp__error_oom(err);
    return slot;
}

int lexp__fonts_ink(const lexp__fonts *f, int slot, uint32_t gid, float box[4])
{
    if (slot < 0 || slot >= f->nslots)
        return 0;
    const face *fc = f->slots[slot];
    hb_glyph_extents_t e;
    if (!hb_font_get_glyph_extents(fc->font, gid, &e) || e.width <= 0 || e.height >= 0)
        return 0;
    float k = 1.0f / (float)fc->upem;
    box[0] = (float)e.x_bearing * k;
    box[1] = (float)(e.x_bearing + e.width) * k;
    box[2] = (float)(e.y_bearing + e.height) * k;
    box[3] = (float)e.y_bearing * k;
    return 1;
}
