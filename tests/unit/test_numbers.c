/*
 * How numbers print (util.c): lexp__fmt_number, the form every figure of
 * a document takes when no filter formats it, and lexp__fmt_fixed behind
 * round/pct/thousands. Each expectation is what a reader of a 统计表
 * should see, checked against the string, not against printf.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

static int fails;

static void number(double x, const char *want)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    lexp__fmt_number(&b, x);
    lexp__sbuf_putc(&b, 0);
    if (b.oom || strcmp(b.ptr, want) != 0) {
        printf("FAIL number(%.17g): \"%s\", want \"%s\"\n", x, b.ptr ? b.ptr : "(oom)", want);
        fails++;
    }
    lexp__sbuf_free(&b);
}

static void fixed(double x, int decimals, int thousands, const char *want)
{
    lexp__sbuf b = LEXP__SBUF_INIT;
    lexp__fmt_fixed(&b, x, decimals, thousands);
    lexp__sbuf_putc(&b, 0);
    if (b.oom || strcmp(b.ptr, want) != 0) {
        printf("FAIL fixed(%.17g, %d, %d): \"%s\", want \"%s\"\n", x, decimals, thousands,
               b.ptr ? b.ptr : "(oom)", want);
        fails++;
    }
    lexp__sbuf_free(&b);
}

int main(void)
{
    /* integers: no ".0", no exponent, the sign only when below zero */
    number(0, "0");
    number(-0.0, "0");
    number(12130, "12130");
    number(-45, "-45");
    number(999999999999999, "999999999999999");
    number(1e15, "1000000000000000");
    number(-1e15, "-1000000000000000");
    number(1e17, "100000000000000000");
    /* fractions: the shortest form that reads back, at most 15 digits */
    number(0.5, "0.5");
    number(53.1, "53.1");
    number(0.1 + 0.2, "0.3");
    number(2.675, "2.675");
    number(-0.25, "-0.25");
    number(1.0 / 3, "0.333333333333333");
    number(123456.789, "123456.789");
    /* tiny values are written out, never as 1e-05, and without the
     * zeros after their last digit; beyond 15 decimals they are 0 */
    number(0.0001, "0.0001");
    number(0.00001, "0.00001");
    number(-0.00001, "-0.00001");
    number(1.5e-7, "0.00000015");
    number(0.000012345678901234, "0.000012345678901");
    number(1e-16, "0");
    number(-1e-16, "0");
    number(NAN, "NaN");
    number(INFINITY, "∞");
    number(-INFINITY, "-∞");

    /* rounding half away from zero on the decimal the number shows */
    fixed(2.675, 2, 0, "2.68");
    fixed(2.665, 2, 0, "2.67");
    fixed(-2.675, 2, 0, "-2.68");
    fixed(0.5, 0, 0, "1");
    fixed(-0.5, 0, 0, "-1");
    fixed(1.005, 2, 0, "1.01");
    fixed(9.995, 2, 0, "10.00");
    fixed(99.95, 1, 0, "100.0");
    fixed(53.125, 1, 0, "53.1");
    /* no minus sign on a figure that rounds to zero */
    fixed(-0.004, 2, 0, "0.00");
    fixed(-0.0, 0, 0, "0");
    /* thousands separators on the integer part only */
    fixed(1234567.891, 2, 1, "1,234,567.89");
    fixed(-1234567, 0, 1, "-1,234,567");
    fixed(999, 0, 1, "999");
    fixed(1000, 0, 1, "1,000");
    fixed(999999.5, 0, 1, "1,000,000");
    /* decimals are clamped to 0..15 */
    fixed(1.5, -3, 0, "2");
    fixed(0.1, 20, 0, "0.100000000000000");
    fixed(NAN, 2, 0, "NaN");
    fixed(-INFINITY, 2, 0, "-∞");

    if (fails)
        printf("%d failure(s)\n", fails);
    else
        printf("ok\n");
    return fails != 0;
}
