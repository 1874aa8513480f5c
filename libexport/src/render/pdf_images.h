/*
 * Images ready to embed in a PDF: decoded, checked and deflated once per
 * distinct file content, then kept in the engine (when there is one), so a
 * photo that appears in every document of a batch costs a file read and a
 * comparison, not a PNG decode and a deflate (measured: 65% of a warm
 * briefing with one photo). Keyed by the file's bytes, not its path: a
 * file rewritten between renders is prepared anew. Entries are immutable
 * once published; the engine lock guards the list only.
 */
#ifndef LEXP_PDF_IMAGES_H
#define LEXP_PDF_IMAGES_H

#include <stddef.h>

#include "../engine.h"

typedef struct lexp__pdfimg {
    int dct;                   /* data is the JPEG file itself (/DCTDecode) */
    int grey;                  /* DeviceGray (only a grey JPEG) else DeviceRGB */
    unsigned w, h;
    const unsigned char *data; /* deflated 8-bit RGB pixels, or the JPEG */
    size_t len;
    const unsigned char *mask; /* deflated alpha (the SMask), or NULL */
    size_t mask_len;
} lexp__pdfimg;

/* The prepared image for file bytes d[0..n): found in the engine's cache
 * or made now. 0, or -1 with the reason in why[whylen] (refused by the
 * decoder, or out of memory). Give it back with lexp__pdfimg_release. */
int lexp__pdfimg_get(lexp_engine *eng, const unsigned char *d, size_t n,
                     const lexp__pdfimg **out, char *why, size_t whylen);
void lexp__pdfimg_release(lexp_engine *eng, const lexp__pdfimg *img);

/* The engine's cache destructor (stored in engine->pdf_images_free). */
void lexp__pdfimg_cache_free(void *cache);

#endif
