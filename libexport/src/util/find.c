/*
 * Substring search in linear time. glibc's memmem (two-way matching) is
 * linear in the haystack whatever the needle, where a memcmp at every
 * offset is haystack × needle: with 1 MB strings allowed in data, that is
 * a template's `contains` or `replace` taking minutes.
 *
 * memmem is given windows that double in size, so one call costs in
 * proportion to how far its match is, not to all the text after it: a
 * replace calls it once per match, and a checker that reads the whole range
 * handed over (AddressSanitizer does) would otherwise make that quadratic.
 */
#define _GNU_SOURCE
#include <string.h>

#include "util.h"

const char *lexp__find(const char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0)
        return hay;
    if (nn > hn)
        return NULL;
    size_t win = nn < 128 ? 256 : 2 * nn;
    for (size_t off = 0;;) {
        size_t len = hn - off < win ? hn - off : win;
        const char *p = memmem(hay + off, len, needle, nn);
        if (p || off + len >= hn)
            return p;
        off += len - (nn - 1); /* a match may straddle the window's end */
        if (win < ((size_t)1 << 40))
            win *= 2;
    }
}
