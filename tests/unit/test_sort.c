/* lexp__sort_u64 against qsort: keys of every shape the PDF renderer makes
 * (glyph << 32 | character) and others (high bytes set, duplicates, all
 * equal, bytes of which only the top bit varies), sizes 0 to 5,000. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/util.h"

static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s ^ (*s >> 29);
}

static void one(const uint64_t *keys, size_t n)
{
    uint64_t *a = malloc((n + 1) * sizeof *a), *tmp = malloc((n + 1) * sizeof *tmp);
    uint64_t *want = malloc((n + 1) * sizeof *want);
    memcpy(a, keys, n * sizeof *a);
    memcpy(want, keys, n * sizeof *want);
    qsort(want, n, sizeof *want, cmp);
    const uint64_t *got = lexp__sort_u64(a, tmp, n);
    CHECK(got == a || got == tmp);
    CHECK(n == 0 || memcmp(got, want, n * sizeof *want) == 0);
    free(a);
    free(tmp);
    free(want);
}

int main(void)
{
    uint64_t s = 42;
    static const size_t sizes[] = {0, 1, 2, 3, 17, 500, 5000};
    uint64_t *k = malloc(5000 * sizeof *k);
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        size_t n = sizes[z];
        for (int shape = 0; shape < 6; shape++) {
            for (size_t i = 0; i < n; i++) {
                uint64_t r = next(&s);
                switch (shape) {
                case 0: k[i] = ((r >> 40) % 30000) << 32 | (0x4E00 + (r % 20000)); break;
                case 1: k[i] = r; break;                /* every byte in play */
                case 2: k[i] = r % 7; break;            /* duplicates, one byte */
                case 3: k[i] = 0x0123456789ABCDEFull; break; /* all equal */
                case 4: k[i] = (r & 0xFF00FF0000FF00FFull); break; /* holes */
                default: k[i] = (r & 0x8080808080808080ull); break; /* top bits only */
                }
            }
            one(k, n);
        }
    }
    /* already sorted and reversed */
    for (size_t i = 0; i < 5000; i++)
        k[i] = (uint64_t)i << 24;
    one(k, 5000);
    for (size_t i = 0; i < 5000; i++)
        k[i] = (uint64_t)(5000 - i) << 8;
    one(k, 5000);
    free(k);
    if (fails)
        printf("%d check(s) failed\n", fails);
    return fails != 0;
}
