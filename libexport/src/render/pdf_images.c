/*
 * The PDF renderer's prepared images (see pdf_images.h).
 */
#include "pdf_images.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/image.h"
#include "../util/util.h"

/* Beyond either limit the least recently used images not in use go; an
 * image bigger than a quarter of the bytes is never kept. */
#define IMG_CACHE_MAX_BYTES (64u * 1024u * 1024u)
#define IMG_CACHE_MAX_COUNT 256u

typedef struct img_entry {
    lexp__pdfimg img; /* first: lexp__pdfimg_release finds the entry from it */
    struct img_entry *next;
    unsigned char *key; /* the file's bytes (also the data of a JPEG) */
    size_t nkey;
    unsigned char *pix, *mask; /* deflated streams */
    size_t bytes;
    int refs;
    int cached; /* in the engine's list (else freed on release) */
    int dead;   /* evicted while in use */
    uint64_t stamp;
} img_entry;

typedef struct img_cache {
    img_entry *list;
    size_t bytes, count;
    uint64_t clock;
} img_cache;

static void entry_free(img_entry *e)
{
    if (!e)
        return;
    free(e->key);
    free(e->pix);
    free(e->mask);
    free(e);
}

void lexp__pdfimg_cache_free(void *p)
{
    img_cache *c = p;
    if (!c)
        return;
    for (img_entry *e = c->list, *nx; e; e = nx) {
        nx = e->next;
        entry_free(e);
    }
    free(c);
}

/* Level 6, level 1 above 4 MB: a photo of 20 megapixels is deflated in
 * a fraction of a second rather than several. */
static int deflate_all(const unsigned char *p, size_t n, unsigned char **out, size_t *outlen)
{
    return lexp__deflate(p, n, n > (4u << 20) ? 1 : 6, out, outlen);
}

/* Decode, check and deflate: what the renderer did per document before. */
static int prepare(img_entry *e, char *why, size_t whylen)
{
    lexp__image im;
    lexp__imgdepth depth = LEXP_IMG_PIXELS;
    if (lexp__image_decode(e->key, e->nkey, LEXP_IMG_HEADER, &im) == 0 &&
        im.kind == LEXP_IMG_JPEG && im.components != 4)
        depth = LEXP_IMG_CHECK; /* a grey or RGB JPEG goes in as its own data */
    lexp__image_free(&im);
    if (lexp__image_decode(e->key, e->nkey, depth, &im) != 0) {
        snprintf(why, whylen, "%s", im.why);
        lexp__image_free(&im);
        return -1;
    }
    int rc = 0;
    e->img.w = im.w;
    e->img.h = im.h;
    if (depth == LEXP_IMG_CHECK) {
        e->img.dct = 1;
        e->img.grey = im.components == 1;
        e->img.data = e->key;
        e->img.len = e->nkey;
    } else if (deflate_all(im.rgb, (size_t)im.w * im.h * 3, &e->pix, &e->img.len) ||
               (im.alpha && deflate_all(im.mask, (size_t)im.w * im.h, &e->mask,
                                        &e->img.mask_len))) {
        snprintf(why, whylen, "out of memory while compressing it");
        rc = -1;
    } else {
        e->img.data = e->pix;
        e->img.mask = e->mask;
    }
    lexp__image_free(&im);
    e->bytes = e->nkey + (e->pix ? e->img.len : 0) + e->img.mask_len + sizeof *e;
    return rc;
}

static img_entry *find(img_cache *c, const unsigned char *d, size_t n)
{
    for (img_entry *e = c->list; e; e = e->next)
        if (e->nkey == n && memcmp(e->key, d, n) == 0)
            return e;
    return NULL;
}

static void evict(img_cache *c)
{
    while (c->bytes > IMG_CACHE_MAX_BYTES || c->count > IMG_CACHE_MAX_COUNT) {
        img_entry **victim = NULL;
        for (img_entry **pp = &c->list; *pp; pp = &(*pp)->next)
            if (!victim || (*pp)->stamp < (*victim)->stamp)
                victim = pp;
        if (!victim)
            return;
        img_entry *e = *victim;
        *victim = e->next;
        c->bytes -= e->bytes;
        c->count--;
        if (e->refs == 0)
            entry_free(e);
        else
            e->dead = 1;
    }
}

int lexp__pdfimg_get(lexp_engine *eng, const unsigned char *d, size_t n,
                     const lexp__pdfimg **out, char *why, size_t whylen)
{
    *out = NULL;
    img_cache *c = NULL;
    if (eng) {
        lexp__engine_lock(eng);
        if (!eng->pdf_images && (eng->pdf_images = calloc(1, sizeof(img_cache))))
            eng->pdf_images_free = lexp__pdfimg_cache_free;
        c = eng->pdf_images;
        img_entry *e = c ? find(c, d, n) : NULL;
        if (e) {
            e->refs++;
            e->stamp = ++c->clock;
        }
        lexp__engine_unlock(eng);
        if (e) {
            *out = &e->img;
            return 0;
        }
    }
    img_entry *ne = calloc(1, sizeof *ne);
    if (ne && (ne->key = malloc(n ? n : 1)))
        memcpy(ne->key, d, n);
    if (!ne || !ne->key) {
        entry_free(ne);
        snprintf(why, whylen, "out of memory while reading it");
        return -1;
    }
    ne->nkey = n;
    ne->refs = 1;
    if (prepare(ne, why, whylen)) {
        entry_free(ne);
        return -1;
    }
    if (c && ne->bytes <= IMG_CACHE_MAX_BYTES / 4) {
        lexp__engine_lock(eng);
        img_entry *e = find(c, d, n);
        if (e) { /* another thread prepared it meanwhile */
            e->refs++;
            entry_free(ne);
            ne = e;
        } else {
            ne->cached = 1;
            ne->next = c->list;
            c->list = ne;
            c->bytes += ne->bytes;
            c->count++;
        }
        ne->stamp = ++c->clock;
        evict(c);
        lexp__engine_unlock(eng);
    }
    *out = &ne->img;
    return 0;
}

void lexp__pdfimg_release(lexp_engine *eng, const lexp__pdfimg *img)
{
    if (!img)
        return;
    img_entry *e = (img_entry *)(void *)img;
    if (!e->cached) {
        entry_free(e);
        return;
    }
    lexp__engine_lock(eng);
    int gone = --e->refs == 0 && e->dead;
    lexp__engine_unlock(eng);
    if (gone)
        entry_free(e);
}
