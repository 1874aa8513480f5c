/* Shared by the image decoders; not for the rest of the library. */
#ifndef LEXP_IMAGE_IMPL_H
#define LEXP_IMAGE_IMPL_H

#include <stdarg.h>
#include <stdint.h>

#include "image.h"

#if defined(__GNUC__)
#define LEXP_IMG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LEXP_IMG_PRINTF(f, a)
#endif

/* Set im->why (the first reason wins); returns -1. */
int lexp__image_refuse(lexp__image *im, const char *fmt, ...) LEXP_IMG_PRINTF(2, 3);
/* The limits of image.h for w × h pixels of `channels` decoded bytes. */
int lexp__image_check_size(lexp__image *im, uint64_t w, uint64_t h, unsigned channels);

int lexp__png_decode(const unsigned char *d, size_t n, lexp__imgdepth depth, lexp__image *im);
int lexp__jpeg_decode(const unsigned char *d, size_t n, lexp__imgdepth depth, lexp__image *im);

#endif
