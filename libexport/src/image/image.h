/*
 * Images from the data (photos): reading the file safely and decoding it.
 *
 * Every renderer goes through here before it uses an image, so libharu,
 * Word or Excel only ever see files that libpng or libjpeg decoded in
 * full under our limits. libpng and libjpeg are called behind setjmp with
 * error and warning handlers that never print and never exit; a refusal
 * is a reason string the caller turns into a warning and a placeholder.
 *
 * Limits (templates/README.md, "Limits"):
 *   file size        LEXP_IMAGE_MAX_FILE bytes  "image file is larger than the 32 MB limit"
 *   decoded size     width × height × channels ≤ LEXP_IMAGE_MAX_BYTES, checked from the
 *                    header before any pixel memory is allocated
 *                    "W × H pixels × C channels need N MB; the limit is 120 MB"
 *   side             LEXP_IMAGE_MAX_SIDE pixels
 *   JPEG scans       LEXP_IMAGE_MAX_SCANS (a progressive file of endless scans)
 */
#ifndef LEXP_IMAGE_H
#define LEXP_IMAGE_H

#include <stddef.h>

#define LEXP_IMAGE_MAX_FILE (32u * 1024u * 1024u)
#define LEXP_IMAGE_MAX_BYTES 120000000u /* 40 megapixels RGB, 30 RGBA */
#define LEXP_IMAGE_MAX_SIDE 65535u
#define LEXP_IMAGE_MAX_SCANS 1000

typedef enum { LEXP_IMG_PNG = 1, LEXP_IMG_JPEG = 2 } lexp__imgkind;

/* How far to go: the header only, every pixel decoded and dropped (the
 * file is sound), or every pixel kept as 8-bit RGB (+ alpha). */
typedef enum { LEXP_IMG_HEADER, LEXP_IMG_CHECK, LEXP_IMG_PIXELS } lexp__imgdepth;

typedef struct lexp__image {
    lexp__imgkind kind;
    unsigned w, h;
    int components;       /* as stored: 1 grey, 2 grey+alpha, 3 colour, 4 RGBA or CMYK */
    int alpha;            /* PIXELS: `alpha` holds a mask that is not all opaque */
    double dpi_x, dpi_y;  /* 0 when the file does not say */
    unsigned char *rgb;   /* PIXELS: w × h × 3, row after row */
    unsigned char *mask;  /* PIXELS and alpha: w × h */
    char why[192];        /* the reason a file was refused */
} lexp__image;

/* Decode `d[0..n)` as far as `depth` says. 0, or -1 with im->why set;
 * lexp__image_free either way. Never prints, never aborts. */
int lexp__image_decode(const unsigned char *d, size_t n, lexp__imgdepth depth, lexp__image *im);
void lexp__image_free(lexp__image *im);

/* Read image `path` (relative, as the data wrote it) from the data folder
 * `base`: it must resolve (through any symlinks) to a regular file inside
 * realpath(base), of at most LEXP_IMAGE_MAX_FILE bytes. The file is opened
 * with O_NONBLOCK and O_NOFOLLOW, so a FIFO or device never blocks the
 * render. With base NULL only `path` itself is opened (renderer tests).
 * 0 and a malloc'd *data, or -1 with a reason in why[whylen]. */
int lexp__image_read(const char *base, const char *path, char **data, size_t *len, char *why,
                     size_t whylen);

#endif
