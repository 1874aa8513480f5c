/*
 * The one rule for characters in outputs (util/clean.c): what XML 1.0
 * cannot carry is dropped or becomes U+FFFD, for bytes that reach the
 * renderers without passing a UTF-8 check too (issue 10 item 6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#include "check.h"

static int cleans_to(const char *in, size_t n, const char *want)
{
    size_t len = 0;
    char *got = lexp__text_clean_dup(in, n, &len);
    int ok = got && len == strlen(want) && memcmp(got, want, len) == 0;
    if (!ok)
        printf("  cleaned %zu bytes to \"%s\", wanted \"%s\"\n", n, got ? got : "(null)", want);
    free(got);
    return ok;
}

#define CLEANS(lit, want) CHECK(cleans_to(lit, sizeof lit - 1, want))
#define FFFD "\xEF\xBF\xBD"

int main(void)
{
    CLEANS("", "");
    CLEANS("社区 a&b<c>", "社区 a&b<c>");
    CLEANS("a\tb\nc\rd", "a\tb\nc\rd");                 /* kept */
    CLEANS("a\x01" "b\x08\x0b\x0c\x1f" "c\x7f" "d", "abcd"); /* C0 and DEL dropped */
    CLEANS("a\0b", "ab");                                /* NUL inside a length */
    CLEANS("a\xC2\x80" "b\xC2\x85\xC2\x9F" "c", "abc");   /* C1 dropped */
    CLEANS("\xC2\xA0", "\xC2\xA0");                      /* U+00A0 kept */
    CLEANS("a\xEF\xBF\xBE" "b\xEF\xBF\xBF", "a" FFFD "b" FFFD); /* U+FFFE/FFFF */
    CLEANS("\xEF\xBF\xBD", FFFD);                        /* U+FFFD kept */
    CLEANS("a\xED\xA0\x80" "b", "a" FFFD FFFD FFFD "b"); /* a lone surrogate */
    CLEANS("a\xFF" "b\xC3", "a" FFFD "b" FFFD);          /* not UTF-8, truncated */
    CLEANS("\xC0\xAF", FFFD FFFD);                       /* overlong */
    CLEANS("\xF0\xA0\xAE\xB7", "\xF0\xA0\xAE\xB7");      /* astral kept */
    CHECK(lexp__text_is_clean("社区", 6));
    CHECK(!lexp__text_is_clean("\x01", 1));
    CHECK(!lexp__text_is_clean("\xC2\x9F", 2));

    lexp__sbuf b = LEXP__SBUF_INIT;
    const char in[] = "<a\x01 \"&\xEF\xBF\xBE\">";
    lexp__sbuf_put_xml(&b, in, sizeof in - 1);
    CHECK(strcmp(lexp__sbuf_cstr(&b), "&lt;a &quot;&amp;" FFFD "&quot;&gt;") == 0);
    lexp__sbuf_free(&b);

    printf("%s\n", fails ? "clean tests FAILED" : "clean tests passed");
    return fails != 0;
}
