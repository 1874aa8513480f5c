/*
 * Fuzz target: the image decoder (libexport/src/image) at its three
 * depths. Besides crashes and leaks it checks that the depths agree: a
 * file that decodes in full has a sound header, one that checks also
 * gives pixels, and the pixels fill exactly w × h × 3 bytes (every byte is
 * read, so ASan sees a short buffer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    lexp__image head, check, px;
    int h = lexp__image_decode(buf, len, LEXP_IMG_HEADER, &head);
    int c = lexp__image_decode(buf, len, LEXP_IMG_CHECK, &check);
    int p = lexp__image_decode(buf, len, LEXP_IMG_PIXELS, &px);
    if ((c == 0 && h != 0) || c != p)
        abort();
    if (p == 0) {
        if (!px.rgb || px.w != head.w || px.h != head.h || !px.w || !px.h ||
            (uint64_t)px.w * px.h * 3 > LEXP_IMAGE_MAX_BYTES || (px.alpha && !px.mask) ||
            (!px.alpha && px.mask))
            abort();
        unsigned sum = 0;
        size_t n = (size_t)px.w * px.h;
        for (size_t i = 0; i < n * 3; i++)
            sum += px.rgb[i];
        for (size_t i = 0; px.mask && i < n; i++)
            sum += px.mask[i];
        if (sum == 0xFFFFFFFFu) /* keeps the loop */
            abort();
    }
    lexp__image_free(&head);
    lexp__image_free(&check);
    lexp__image_free(&px);
    return 0;
}
