/* lexp__utf8_valid against a byte-by-byte reader built on
 * lexp__utf8_decode_full (what it answered before its fast paths), and the
 * inline lexp__utf8_decode against lexp__utf8_decode_full at every offset:
 * every 1- to 3-byte string, 4-byte lead bytes with every second byte, and
 * random mixes of ASCII, Chinese, edge sequences and stray bytes at every
 * alignment, with the offset of the first bad byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/util.h"

static int ref_valid(const char *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t l = lexp__utf8_decode_full(s + i, n - i, &cp);
        uint32_t cp2 = 0xFFFFFFFF;
        size_t l2 = lexp__utf8_decode(s + i, n - i, &cp2);
        CHECK(l2 == l && (l == 0 || cp2 == cp));
        if (l == 0) {
            *bad = i;
            return 0;
        }
        i += l;
    }
    return 1;
}

static void same(const char *s, size_t n)
{
    size_t b1 = (size_t)-1, b2 = (size_t)-1;
    int want = ref_valid(s, n, &b1);
    int got = lexp__utf8_valid(s, n, &b2);
    CHECK(got == want);
    if (!want)
        CHECK(b1 == b2);
    CHECK(lexp__utf8_valid(s, n, NULL) == want);
}

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 24;
}

int main(void)
{
    unsigned char b[16];
    for (int x = 0; x < 256; x++) {
        b[0] = (unsigned char)x;
        same((char *)b, 1);
        for (int y = 0; y < 256; y++) {
            b[1] = (unsigned char)y;
            same((char *)b, 2);
            for (int z = 0; z < 256; z += (x >= 0xE0 && x <= 0xEF) ? 1 : 51) {
                b[2] = (unsigned char)z;
                same((char *)b, 3);
            }
            if (x >= 0xF0) { /* four bytes: every second byte, two tails */
                b[2] = 0x80, b[3] = 0xBF;
                same((char *)b, 4);
                b[3] = 0x41;
                same((char *)b, 4);
            }
        }
    }
    /* pieces, mixed at random; each string is also checked cut short */
    static const char *const parts[] = {
        "a", "0123456789", "\xe4\xb8\xad", "\xe5\x9b\xbd", "\xef\xbc\x8c", "\xe3\x80\x82",
        "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xc2\xa9", "\xf0\x9f\x98\x80",
        "\xf4\x8f\xbf\xbf", /* valid edges */
        "\xe0\x9f\xbf", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xff", "\x80",
        "\xe4\xb8", "\xe4\x41\x80", "\xe4\xb8\xc0", /* bad */
    };
    enum { NPARTS = sizeof parts / sizeof *parts, NGOOD = 13 };
    char buf[512];
    uint64_t s = 7;
    for (int round = 0; round < 40000; round++) {
        size_t n = 0;
        int bad_rate = (int)(next(&s) % 4); /* 0: all good */
        int count = (int)(next(&s) % 60);
        for (int i = 0; i < count; i++) {
            int k = bad_rate && next(&s) % (unsigned)(20 * bad_rate) == 0
                        ? NGOOD + (int)(next(&s) % (NPARTS - NGOOD))
                        : (int)(next(&s) % NGOOD);
            size_t l = strlen(parts[k]);
            if (n + l > sizeof buf)
                break;
            memcpy(buf + n, parts[k], l);
            n += l;
        }
        size_t at = (size_t)(next(&s) % 8); /* alignment */
        char *p = malloc(n + at + 1);
        memcpy(p + at, buf, n);
        same(p + at, n);
        if (n)
            same(p + at, n - 1 - (size_t)(next(&s) % n));
        free(p);
    }
    if (fails)
        printf("%d check(s) failed\n", fails);
    return fails != 0;
}
