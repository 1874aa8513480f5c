/*
 * ICU's word and line break iterators over a code point array (wordbreak.h).
 *
 * ICU works in UTF-16: the text is converted once, and each boundary's
 * UTF-16 offset mapped back to a code point index. ubrk_open is safe to call
 * from several threads at once (it clones ICU's cached rules), so no
 * iterator is kept between calls.
 */
#include "wordbreak.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/utf16.h>

/* Mark the starts (code point indices) of the segments of `kind` in mark. */
static int boundaries(UBreakIteratorType kind, const UChar *u, int32_t ulen, const size_t *at,
                      uint8_t *mark, size_t n, lexp_error *err)
{
    UErrorCode e = U_ZERO_ERROR;
    /* "zh": the dictionary segmentation for Han text (the root locale has it
     * too; the name says what is meant) */
    UBreakIterator *bi = ubrk_open(kind, "zh", u, ulen, &e);
    if (U_FAILURE(e) || !bi) {
        if (bi)
            ubrk_close(bi);
        return e == U_MEMORY_ALLOCATION_ERROR
                   ? lexp__error_oom(err)
                   : lexp__error_set(err, LEXP_EBACKEND, NULL, 0, 0, NULL,
                                     "ICU: cannot open the %s break iterator: %s",
                                     kind == UBRK_WORD ? "word" : "line", u_errorName(e));
    }
    for (int32_t b = ubrk_first(bi); b != UBRK_DONE; b = ubrk_next(bi))
        if (b > 0 && b < ulen && at[b] > 0 && at[b] < n)
            mark[at[b]] = 1;
    ubrk_close(bi);
    return 0;
}

int lexp__word_breaks(const uint32_t *cp, size_t n, uint8_t *word, uint8_t *line,
                      lexp_error *err)
{
    if (word)
        memset(word, 0, n);
    if (line)
        memset(line, 0, n);
    if (n < 2 || (!word && !line))
        return 0;
    if (n > (size_t)INT32_MAX / 2 - 1)
        return lexp__error_set(err, LEXP_ELIMIT, NULL, 0, 0, NULL,
                               "text of %zu characters is too long to break into words", n);
    UChar *u = malloc(2 * n * sizeof *u);
    /* at[k]: the code point that UTF-16 unit k belongs to (n at the end) */
    size_t *at = malloc((2 * n + 1) * sizeof *at);
    int rc = 0;
    if (!u || !at) {
        rc = lexp__error_oom(err);
        goto done;
    }
    int32_t ulen = 0;
    for (size_t i = 0; i < n; i++) {
        UChar32 c = cp[i] <= 0x10FFFF && (cp[i] < 0xD800 || cp[i] > 0xDFFF) ? (UChar32)cp[i]
                                                                               : 0xFFFD;
        int32_t k0 = ulen;
        U16_APPEND_UNSAFE(u, ulen, c);
        for (int32_t k = k0; k < ulen; k++)
            at[k] = k == k0 ? i : n; /* a trail surrogate is no boundary */
    }
    at[ulen] = n;
    if (word && (rc = boundaries(UBRK_WORD, u, ulen, at, word, n, err)))
        goto done;
    if (line)
        rc = boundaries(UBRK_LINE, u, ulen, at, line, n, err);
done:
    free(u);
    free(at);
    return rc;
}
