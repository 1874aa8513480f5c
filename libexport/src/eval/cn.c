/*
 * Chinese numerals.
 *
 * Integers are read in groups of four digits (个, 万, 亿, 万亿). Inside a
 * group a run of zeros reads as one 零 between non-zero digits; a group
 * below 1000 that follows a higher non-zero group starts with 零
 * (10010 → 一万零一十); all-zero groups only leave a pending 零.
 * Lower case drops the 一 of a leading 一十 (十, 十五, 十万); financial
 * upper case (大写) keeps it (壹拾).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "eval.h"

static const char *const lower_digits[] = {"零", "一", "二", "三", "四",
                                           "五", "六", "七", "八", "九"};
static const char *const upper_digits[] = {"零", "壹", "贰", "叁", "肆",
                                           "伍", "陆", "柒", "捌", "玖"};
static const char *const lower_units[] = {"", "十", "百", "千"};
static const char *const upper_units[] = {"", "拾", "佰", "仟"};
static const char *const group_units[] = {"", "万", "亿", "万亿"};

/* n in [0, 10^16) */
static void cn_int(lexp__sbuf *b, uint64_t n, int upper)
{
    const char *const *dg = upper ? upper_digits : lower_digits;
    const char *const *un = upper ? upper_units : lower_units;
    if (n == 0) {
        lexp__sbuf_puts(b, dg[0]);
        return;
    }
    unsigned groups[4];
    int ng = 0;
    while (n > 0 && ng < 4) {
        groups[ng++] = (unsigned)(n % 10000);
        n /= 10000;
    }
    int started = 0, zero = 0;
    for (int g = ng - 1; g >= 0; g--) {
        unsigned v = groups[g];
        if (v == 0) {
            if (started)
                zero = 1;
            continue;
        }
        if (started && v < 1000)
            zero = 1;
        if (zero) {
            lexp__sbuf_puts(b, dg[0]);
            zero = 0;
        }
        int d[4] = {(int)(v / 1000), (int)(v / 100 % 10), (int)(v / 10 % 10), (int)(v % 10)};
        int emitted = 0, inner_zero = 0;
        for (int k = 0; k < 4; k++) {
            int pos = 3 - k;
            if (d[k] == 0) {
                if (emitted)
                    inner_zero = 1;
                continue;
            }
            if (inner_zero) {
                lexp__sbuf_puts(b, dg[0]);
                inner_zero = 0;
            }
            /* 十 alone at the very start of a lower-case number */
            if (!upper && !started && !emitted && pos == 1 && d[k] == 1) {
                lexp__sbuf_puts(b, un[1]);
            } else {
                lexp__sbuf_puts(b, dg[d[k]]);
                lexp__sbuf_puts(b, un[pos]);
            }
            emitted = 1;
        }
        lexp__sbuf_puts(b, group_units[g]);
        started = 1;
    }
}

void lexp__cn_small(lexp__sbuf *b, long n)
{
    if (n < 0) {
        lexp__sbuf_puts(b, "负");
        n = -n;
    }
    cn_int(b, (uint64_t)n, 0);
}

/* Integer and fraction digits of |x| in natural form ("3.05" → "3", "05"). */
static void split_decimal(double x, char *ip, size_t ipcap, char *fp, size_t fpcap)
{
    lexp__sbuf t = LEXP__SBUF_INIT;
    lexp__fmt_number(&t, fabs(x));
    const char *s = lexp__sbuf_cstr(&t);
    const char *dot = strchr(s, '.');
    size_t il = dot ? (size_t)(dot - s) : strlen(s);
    if (il >= ipcap)
        il = ipcap - 1;
    memcpy(ip, s, il);
    ip[il] = 0;
    fp[0] = 0;
    if (dot) {
        size_t fl = strlen(dot + 1);
        if (fl >= fpcap)
            fl = fpcap - 1;
        memcpy(fp, dot + 1, fl);
        fp[fl] = 0;
    }
    lexp__sbuf_free(&t);
}

static uint64_t parse_u64(const char *s)
{
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    return v;
}

static void cn_common(lexp__sbuf *b, double x, int upper)
{
    if (isnan(x) || isinf(x)) {
        lexp__fmt_number(b, x);
        return;
    }
    char ip[64], fp[32];
    split_decimal(x, ip, sizeof ip, fp, sizeof fp);
    if (strlen(ip) > 16) { /* beyond 万亿: Arabic digits read better */
        lexp__fmt_number(b, x);
        return;
    }
    int zero = parse_u64(ip) == 0 && (fp[0] == 0 || strspn(fp, "0") == strlen(fp));
    if (x < 0 && !zero)
        lexp__sbuf_puts(b, "负");
    cn_int(b, parse_u64(ip), upper);
    if (fp[0]) {
        lexp__sbuf_puts(b, "点");
        const char *const *dg = upper ? upper_digits : lower_digits;
        for (const char *p = fp; *p; p++)
            lexp__sbuf_puts(b, dg[*p - '0']);
    }
}

void lexp__cn_number(lexp__sbuf *b, double x) { cn_common(b, x, 0); }

void lexp__cn_upper(lexp__sbuf *b, double x) { cn_common(b, x, 1); }

int lexp__cn_money(lexp__sbuf *b, double x)
{
    if (isnan(x) || isinf(x) || fabs(x) >= 1e15)
        return -1;
    /* Round to the fen first, then read 元, 角 and 分. */
    lexp__sbuf t = LEXP__SBUF_INIT;
    lexp__fmt_fixed(&t, fabs(x), 2, 0);
    const char *s = lexp__sbuf_cstr(&t);
    const char *dot = strchr(s, '.');
    uint64_t yuan = parse_u64(s);
    int jiao = dot ? dot[1] - '0' : 0;
    int fen = dot ? dot[2] - '0' : 0;
    lexp__sbuf_free(&t);
    if (x < 0 && (yuan || jiao || fen))
        lexp__sbuf_puts(b, "负");
    if (yuan > 0 || (jiao == 0 && fen == 0)) {
        cn_int(b, yuan, 1);
        lexp__sbuf_puts(b, "元");
    }
    if (jiao == 0 && fen == 0) {
        lexp__sbuf_puts(b, "整");
        return 0;
    }
    if (jiao > 0) {
        lexp__sbuf_puts(b, upper_digits[jiao]);
        lexp__sbuf_puts(b, "角");
    } else if (yuan > 0) {
        lexp__sbuf_puts(b, "零"); /* 壹仟元零伍分 */
    }
    if (fen > 0) {
        lexp__sbuf_puts(b, upper_digits[fen]);
        lexp__sbuf_puts(b, "分");
    } else {
        lexp__sbuf_puts(b, "整");
    }
    return 0;
}

void lexp__cn_digits(lexp__sbuf *b, const char *s, size_t n)
{
    static const char *const d[] = {"〇", "一", "二", "三", "四",
                                    "五", "六", "七", "八", "九"};
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            lexp__sbuf_puts(b, d[s[i] - '0']);
}
