/*
 * Image decoding: which decoder, and the limits both share (image.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_impl.h"

int lexp__image_refuse(lexp__image *im, const char *fmt, ...)
{
    if (!im->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(im->why, sizeof im->why, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int lexp__image_check_size(lexp__image *im, uint64_t w, uint64_t h, unsigned channels)
{
    if (w == 0 || h == 0)
        return lexp__image_refuse(im, "the image has no pixels (%llu × %llu)",
                                  (unsigned long long)w, (unsigned long long)h);
    uint64_t bytes = w * h * channels; /* both ≤ 2^32: no overflow */
    if (w > LEXP_IMAGE_MAX_SIDE || h > LEXP_IMAGE_MAX_SIDE || bytes > LEXP_IMAGE_MAX_BYTES)
        return lexp__image_refuse(im,
                                  "%llu × %llu pixels × %u channels need %.0f MB decoded; the "
                                  "limit is %u MB and %u pixels a side",
                                  (unsigned long long)w, (unsigned long long)h, channels,
                                  (double)bytes / 1e6, LEXP_IMAGE_MAX_BYTES / 1000000u,
                                  LEXP_IMAGE_MAX_SIDE);
    return 0;
}

int lexp__image_decode(const unsigned char *d, size_t n, lexp__imgdepth depth, lexp__image *im)
{
    memset(im, 0, sizeof *im);
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (n >= 8 && memcmp(d, png_sig, 8) == 0) {
        im->kind = LEXP_IMG_PNG;
        return lexp__png_decode(d, n, depth, im);
    }
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
        im->kind = LEXP_IMG_JPEG;
        return lexp__jpeg_decode(d, n, depth, im);
    }
    return lexp__image_refuse(im, n ? "not a PNG or JPEG file" : "the file is empty");
}

void lexp__image_free(lexp__image *im)
{
    free(im->rgb);
    free(im->mask);
    im->rgb = im->mask = NULL;
}
