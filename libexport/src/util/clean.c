/*
 * Text as every output format can carry it: the one place that decides
 * which characters a document may hold (issue 10 item 6).
 *
 * XML 1.0 (DOCX, XLSX, the tree view) has no way to write C0 controls other
 * than tab, LF and CR, nor U+FFFE/U+FFFF, nor bytes that are not UTF-8 (lone
 * surrogates included); even as &#1; they make the part ill-formed. DEL and
 * the C1 controls U+0080–U+009F are allowed by XML 1.0 but discouraged, and
 * no office document means to show them: in PDF they would be empty glyph
 * boxes. So controls are dropped (they carry nothing visible), and the
 * others become U+FFFD, the mark readers show for a character they lost.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define REPLACEMENT "\xEF\xBF\xBD"

/* Length of the clean prefix of s[0..n). *drop = length of the bad
 * sequence there, *replace = 1 when it becomes U+FFFD. */
static size_t clean_span(const char *s, size_t n, size_t *drop, int *replace)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F) {
            i++;
            continue;
        }
        if (c < 0x80) {
            if (c == '\t' || c == '\n' || c == '\r') {
                i++;
                continue;
            }
            *drop = 1; /* C0 control or DEL */
            *replace = 0;
            return i;
        }
        uint32_t cp;
        size_t k = lexp__utf8_decode(s + i, n - i, &cp);
        if (k == 0) { /* not UTF-8, or a surrogate: one mark per bad byte */
            *drop = 1;
            *replace = 1;
            return i;
        }
        if (cp <= 0x9F) { /* C1 control */
            *drop = k;
            *replace = 0;
            return i;
        }
        if (cp == 0xFFFE || cp == 0xFFFF) {
            *drop = k;
            *replace = 1;
            return i;
        }
        i += k;
    }
    *drop = 0;
    *replace = 0;
    return n;
}

int lexp__text_is_clean(const char *s, size_t n)
{
    size_t drop;
    int rep;
    return clean_span(s, n, &drop, &rep) == n;
}

void lexp__sbuf_put_clean(lexp__sbuf *b, const char *s, size_t n)
{
    while (n > 0) {
        size_t drop;
        int rep;
        size_t k = clean_span(s, n, &drop, &rep);
        lexp__sbuf_put(b, s, k);
        if (rep)
            lexp__sbuf_put(b, REPLACEMENT, 3);
        s += k + drop;
        n -= k + drop;
    }
}

char *lexp__text_clean_dup(const char *s, size_t n, size_t *outlen)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    lexp__sbuf_put_clean(&b, s, n);
    if (lexp__sbuf_grow(&b, 1) || b.oom) {
        lexp__sbuf_free(&b);
        return NULL;
    }
    b.ptr[b.len] = 0;
    if (outlen)
        *outlen = b.len;
    return b.ptr;
}

void lexp__sbuf_put_xml(lexp__sbuf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        default: break;
        }
        if (rep) {
            lexp__sbuf_put_clean(b, s + start, i - start);
            lexp__sbuf_puts(b, rep);
            start = i + 1;
        }
    }
    lexp__sbuf_put_clean(b, s + start, n - start);
}
