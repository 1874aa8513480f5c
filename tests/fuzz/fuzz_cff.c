/*
 * Fuzz target: the CFF rewriter (render/cff.c), which reads font programs
 * from any font file a user or a template names. Each input is a bare CFF
 * table; it is rewritten with a map that repeats and reorders glyphs, as
 * the PDF writer's half-width and alias CIDs do, as a subset and as a
 * whole font (LEXP_CFF_WHOLE_FONT). The corpus holds real
 * subsets: CID-keyed (FandolFang) and name-keyed (URW Nimbus Roman).
 */
#include <stddef.h>
#include <stdint.h>

#include "render/cff.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    static const uint32_t map[] = {0, 1, 2, 3, 1, 0, 2, 7, 300};
    for (size_t n = 1; n <= sizeof map / sizeof *map; n += 4)
        for (unsigned flags = 0; flags <= LEXP_CFF_WHOLE_FONT; flags++) {
            lexp__sbuf out = LEXP__SBUF_INIT;
            lexp__cff_cidfont(buf, len, map, n, flags, &out);
            lexp__sbuf_free(&out);
        }
    return 0;
}
