/*
 * Substring search in linear time. glibc's memmem (two-way matching) is
 * linear in the haystack whatever the needle, where a memcmp at every
 * offset is haystack × needle: with 1 MB strings allowed in data, that is
 * a template's `contains` or `replace` taking minutes.
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
    return memmem(hay, hn, needle, nn);
}
