/*
 * PNG through libpng: every colour type, bit depth and interlacing comes
 * out as 8-bit RGB plus an alpha mask (from an alpha channel or a tRNS
 * chunk). libpng reports errors through png_error, which would abort the
 * process without a setjmp: ours longjmps back here, and warnings are
 * dropped (they concern ancillary chunks the output does not use).
 */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_impl.h"

typedef struct png_ctx {
    jmp_buf jb;
    const unsigned char *d;
    size_t n, off;
    lexp__image *im;
    unsigned char *buf; /* decoded rows (freed by the caller of run) */
    png_bytep *rows;
} png_ctx;

static void on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    lexp__image_refuse(c->im, "damaged PNG file (libpng: %s)", msg);
    longjmp(c->jb, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void on_read(png_structp png, png_bytep out, size_t len)
{
    png_ctx *c = png_get_io_ptr(png);
    if (len > c->n - c->off) {
        lexp__image_refuse(c->im, "the PNG file is truncated");
        longjmp(c->jb, 1);
    }
    memcpy(out, c->d + c->off, len);
    c->off += len;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Split RGBA rows into RGB and a mask, in place; the mask is dropped when
 * every pixel is opaque. */
static int split_alpha(png_ctx *c, size_t npx)
{
    lexp__image *im = c->im;
    unsigned char *mask = malloc(npx);
    if (!mask)
        return lexp__image_refuse(im, "out of memory decoding the image");
    int any = 0;
    for (size_t i = 0; i < npx; i++) {
        const unsigned char *s = c->buf + i * 4;
        unsigned char *t = c->buf + i * 3;
        unsigned char a = s[3];
        t[0] = s[0];
        t[1] = s[1];
        t[2] = s[2];
        mask[i] = a;
        any |= a != 255;
    }
    if (any) {
        im->mask = mask;
        im->alpha = 1;
    } else {
        free(mask);
    }
    unsigned char *shrunk = realloc(c->buf, npx * 3);
    if (shrunk)
        c->buf = shrunk;
    return 0;
}

static int run(png_ctx *c, png_structp png, png_infop info, lexp__imgdepth depth)
{
    lexp__image *im = c->im;
    if (setjmp(c->jb))
        return -1;
    png_set_read_fn(png, c, on_read);
    png_set_user_limits(png, LEXP_IMAGE_MAX_SIDE, LEXP_IMAGE_MAX_SIDE);
    png_set_chunk_malloc_max(png, 8u * 1024u * 1024u); /* text, ICC profiles */
    png_set_chunk_cache_max(png, 1000);
    png_read_info(png, info);
    png_uint_32 w, h;
    int bits, ctype, interlace;
    png_get_IHDR(png, info, &w, &h, &bits, &ctype, &interlace, NULL, NULL);
    im->w = w;
    im->h = h;
    png_uint_32 rx, ry;
    int unit;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx && ry) {
        im->dpi_x = rx * 0.0254;
        im->dpi_y = ry * 0.0254;
    }
    im->components = png_get_channels(png, info);
    int trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if (lexp__image_check_size(im, w, h, (ctype & PNG_COLOR_MASK_ALPHA) || trns ? 4 : 3))
        return -1;
    if (depth == LEXP_IMG_HEADER)
        return 0;
    png_set_expand(png); /* palette, low-bit grey and tRNS to RGB(A) bytes */
    png_set_scale_16(png);
    if (!(ctype & PNG_COLOR_MASK_COLOR))
        png_set_gray_to_rgb(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    unsigned ch = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if ((ch != 3 && ch != 4) || rowbytes != (size_t)w * ch)
        return lexp__image_refuse(im, "PNG layout not supported (%u channels)", ch);
    if (lexp__image_check_size(im, w, h, ch))
        return -1;
    if (depth == LEXP_IMG_CHECK) {
        /* every row of every pass into one row: decodes all, keeps nothing */
        c->buf = malloc(rowbytes);
        if (!c->buf)
            return lexp__image_refuse(im, "out of memory decoding the image");
        for (int p = 0; p < passes; p++)
            for (png_uint_32 y = 0; y < h; y++)
                png_read_row(png, c->buf, NULL);
    } else {
        c->buf = malloc(rowbytes * h);
        c->rows = malloc(sizeof *c->rows * h);
        if (!c->buf || !c->rows)
            return lexp__image_refuse(im, "out of memory decoding the image");
        for (png_uint_32 y = 0; y < h; y++)
            c->rows[y] = c->buf + rowbytes * y;
        png_read_image(png, c->rows);
    }
    png_read_end(png, NULL); /* a file cut before IEND is truncated too */
    if (depth == LEXP_IMG_PIXELS && ch == 4 && split_alpha(c, (size_t)w * h))
        return -1;
    return 0;
}

int lexp__png_decode(const unsigned char *d, size_t n, lexp__imgdepth depth, lexp__image *im)
{
    /* the limits first, from the header as written, so an absurd size is
     * refused with its numbers rather than libpng's words */
    if (n >= 33 && memcmp(d + 12, "IHDR", 4) == 0) {
        unsigned ctype = d[25];
        if (lexp__image_check_size(im, be32(d + 16), be32(d + 20), ctype & 4 ? 4 : 3))
            return -1;
    }
    png_ctx c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.n = n;
    c.im = im;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return lexp__image_refuse(im, "out of memory decoding the image");
    }
    int rc = run(&c, png, info, depth);
    png_destroy_read_struct(&png, &info, NULL);
    free(c.rows);
    if (rc == 0 && depth == LEXP_IMG_PIXELS) {
        im->rgb = c.buf;
        return 0;
    }
    free(c.buf);
    if (rc)
        lexp__image_free(im);
    return rc;
}
