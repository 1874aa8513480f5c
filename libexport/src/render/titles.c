/*
 * Title lines and the masthead size (titles.h), shared by the PDF layout
 * and the DOCX writer.
 *
 * A title's breaks: ICU finds the words; a few rules glue what ICU splits
 * but a reader keeps together; the fewest lines that fit are found greedily,
 * then every way of breaking into that many lines is weighed (titles are
 * short, so exhaustively, in O(k·m³) for m break opportunities) and the most
 * even one taken, preferring a first line at least as long as the last.
 */
#include "titles.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/wordbreak.h"

/* Beyond this much work (m³·k) the lines are taken greedily: only a title
 * of several hundred words gets there. */
#define MAX_WORK 20000000.0

double lexp__title_em(uint32_t cp)
{
    /* dashes, ellipses, quotes and the middle dot are full width in Chinese
     * fonts, which is where both renderers take them from */
    if (cp == 0x2014 || cp == 0x2015 || cp == 0x2026 || (cp >= 0x2018 && cp <= 0x201F) ||
        cp == 0x00B7)
        return 1.0;
    int w = lexp__char_width(cp);
    return w == 2 ? 1.0 : w == 1 ? 0.5 : 0.0;
}

static int is_space(uint32_t c) { return c == ' ' || c == '\t' || c == 0x3000 || c == 0xA0; }
static int is_nl(uint32_t c) { return c == '\n' || c == 0x2028; }

/* Punctuation a last line may not consist of alone. */
static int is_punct(uint32_t c)
{
    return (c < 0x80 && c > ' ' && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
            !(c >= '0' && c <= '9')) ||
           (c >= 0x2010 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) ||
           (c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
           (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65) || c == 0xB7;
}

static int is_alnum(uint32_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c >= 0xFF10 && c <= 0xFF19);
}

/* Single characters that open a phrase, so a line may start with them even
 * though they stand alone as a word: prepositions and conjunctions. */
static int opens_phrase(uint32_t c)
{
    static const uint32_t w[] = {0x4E0E, 0x548C, 0x53CA, 0x5BF9, 0x5728, 0x4E3A, 0x628A,
                                 0x5C06, 0x5411, 0x4ECE, 0x4EE5, 0x4E8E, 0x5E76, 0x6216,
                                 0x66A8}; /* 与和及对在为把将向从以于并或暨 */
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (c == w[i])
            return 1;
    return 0;
}

/* Administrative suffixes (省市县区镇乡村): a place name that ICU does not
 * know ends there, so the next one may start a line. */
static int ends_place(uint32_t c)
{
    static const uint32_t w[] = {0x7701, 0x5E02, 0x53BF, 0x533A, 0x9547, 0x4E61, 0x6751};
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (c == w[i])
            return 1;
    return 0;
}

/* The places a line may start, at three levels of care:
 *   glued[i]  words, less the breaks a reader would not make: before a
 *             word of one Han character (a name ICU does not know comes out
 *             as such characters, and 县, 年, 的 belong to the word before),
 *             unless it opens a phrase or follows a place name's suffix
 *             (鄯善县|鄯善镇), and between a number or Latin word
 *             and the Han word after it (2024年, 9月);
 *   word[i]   every word boundary where a line may start;
 *   line[i]   every line break opportunity (inside words too). */
static void glue(const uint32_t *cp, size_t n, const uint8_t *word, const uint8_t *line,
                 uint8_t *glued)
{
    size_t prev = 0; /* start of the word before the one at i */
    for (size_t i = 1; i < n; i++) {
        glued[i] = 0;
        if (!word[i])
            continue;
        size_t e = i + 1;
        while (e < n && !word[e])
            e++;
        int single_han = e == i + 1 && lexp__is_han(cp[i]);
        int after_alnum = 1;
        for (size_t k = prev; k < i; k++)
            after_alnum &= is_alnum(cp[k]);
        int ok = line[i];
        int after_place = i == prev + 1 && ends_place(cp[prev]);
        if ((single_han && !opens_phrase(cp[i]) && !after_place) ||
            (after_alnum && lexp__is_han(cp[i])))
            ok = 0;
        glued[i] = (uint8_t)ok;
        prev = i;
    }
}

typedef struct tb {
    const uint32_t *cp;
    size_t n;
    double *sum;    /* sum[i]: advance of cp[0..i) */
    size_t *trim;   /* trim[i]: i less the spaces before it */
    double maxw;
} tb;

static double width(const tb *t, size_t s, size_t e)
{
    size_t te = t->trim[e] > s ? t->trim[e] : s;
    return t->sum[te] - t->sum[s];
}

/* Characters of [s, e) other than spaces and punctuation. */
static size_t content(const tb *t, size_t s, size_t e)
{
    size_t k = 0;
    for (size_t i = s; i < e; i++)
        k += !is_space(t->cp[i]) && !is_nl(t->cp[i]) && !is_punct(t->cp[i]);
    return k;
}

/* Fewest lines for [s, e) breaking only at pos[0..m) (ascending, inside
 * the span): greedily, each line as long as fits. 0 when a piece between
 * two opportunities is wider than a line. */
static size_t greedy(const tb *t, size_t s, size_t e, const size_t *pos, size_t m,
                     size_t *out)
{
    size_t lines = 0, at = s, j = 0;
    while (width(t, at, e) > t->maxw + 1e-9) {
        size_t best = 0;
        while (j < m && width(t, at, pos[j]) <= t->maxw + 1e-9)
            best = pos[j++];
        if (!best || best <= at)
            return 0;
        if (out)
            out[lines] = best;
        lines++;
        at = best;
    }
    return lines + 1;
}

/* Weight of a last line longer than the first: a trapezoid wide at the
 * top (or a diamond) is preferred, but not at any price: 9 + 10 characters
 * beat 11 + 8. */
#define LONGER_LAST 2.0

/* The most even breaking of [s, e) into k lines at pos[0..m): the sum of
 * squared differences from the mean line, plus LONGER_LAST times the
 * square of what the last line has over the first. last2: the last line
 * holds two characters that are not punctuation. 0 when no breaking meets
 * the conditions. */
static int balance(const tb *t, size_t s, size_t e, const size_t *pos, size_t m, size_t k,
                   int last2, size_t *out)
{
    /* points: s, pos..., e; dp over (lines used, point reached) */
    size_t np = m + 2;
    size_t *pt = malloc(np * sizeof *pt);
    double *dp = malloc(k * np * sizeof *dp);
    size_t *from = malloc(k * np * sizeof *from);
    double best = INFINITY;
    size_t *keep = malloc(k * sizeof *keep);
    int found = 0;
    if (!pt || !dp || !from || !keep)
        goto done;
    pt[0] = s;
    memcpy(pt + 1, pos, m * sizeof *pos);
    pt[np - 1] = e;
    double mean = width(t, s, e) / (double)k;
    for (size_t a = 1; a + 1 < np; a++) {
        double w1 = width(t, s, pt[a]);
        if (w1 > t->maxw + 1e-9)
            break;
        /* dp[j][q]: lines 2..j+1 cover pt[a]..pt[q] */
        for (size_t i = 0; i < k * np; i++)
            dp[i] = INFINITY;
        dp[0 * np + a] = (w1 - mean) * (w1 - mean);
        for (size_t j = 1; j < k; j++)
            for (size_t q = a + 1; q < np; q++) {
                if ((q == np - 1) != (j == k - 1))
                    continue; /* only the last line reaches the end */
                for (size_t p = a; p < q; p++) {
                    double c0 = dp[(j - 1) * np + p];
                    if (c0 == INFINITY)
                        continue;
                    double w = width(t, pt[p], pt[q]);
                    if (w > t->maxw + 1e-9)
                        continue;
                    if (j == k - 1 && last2 && content(t, pt[p], pt[q]) < 2)
                        continue;
                    double c = c0 + (w - mean) * (w - mean);
                    if (j == k - 1 && w > w1)
                        c += LONGER_LAST * (w - w1) * (w - w1);
                    if (c < dp[j * np + q]) {
                        dp[j * np + q] = c;
                        from[j * np + q] = p;
                    }
                }
            }
        double c = dp[(k - 1) * np + np - 1];
        if (c < best - 1e-12) {
            best = c;
            size_t q = np - 1;
            for (size_t j = k - 1; j >= 1; j--) {
                q = from[j * np + q];
                keep[j - 1] = pt[q];
            }
            found = 1;
        }
    }
    if (found)
        memcpy(out, keep, (k - 1) * sizeof *out);
done:
    free(pt);
    free(dp);
    free(from);
    free(keep);
    return found;
}

/* The breaks of one piece [s, e) (no forced break inside) appended to out;
 * returns how many, or (size_t)-1 out of memory. */
static size_t piece(const tb *t, size_t s, size_t e, const uint8_t *const lv[3], size_t *out)
{
    if (width(t, s, e) <= t->maxw + 1e-9)
        return 0;
    size_t *pos = malloc((e - s) * sizeof *pos);
    if (!pos)
        return (size_t)-1;
    size_t r = 0;
    for (int level = 0; level <= 3; level++) {
        size_t m = 0;
        for (size_t i = s + 1; i < e; i++)
            if (level == 3 || lv[level][i])
                pos[m++] = i;
        size_t k = greedy(t, s, e, pos, m, NULL);
        if (k < 2 && level < 3)
            continue;
        if (k < 2) /* a character wider than a line: one per line */
            break;
        double work = (double)m * (double)m * (double)m * (double)k;
        int ok = work <= MAX_WORK &&
                 (balance(t, s, e, pos, m, k, 1, out) || balance(t, s, e, pos, m, k, 0, out));
        if (!ok)
            greedy(t, s, e, pos, m, out);
        r = k - 1;
        break;
    }
    if (r == 0) {
        for (size_t i = s + 1; i < e; i++)
            out[r++] = i;
    }
    free(pos);
    return r;
}

int lexp__title_breaks(const uint32_t *cp, size_t n, double maxw, size_t **starts,
                       size_t *nstarts, lexp_error *err)
{
    *starts = NULL;
    *nstarts = 0;
    if (n == 0)
        return 0;
    tb t = {cp, n, malloc((n + 1) * sizeof(double)), malloc((n + 1) * sizeof(size_t)), maxw};
    uint8_t *word = malloc(n), *line = malloc(n), *glued = malloc(n);
    size_t *out = malloc(n * sizeof *out);
    int rc = 0;
    if (!t.sum || !t.trim || !word || !line || !glued || !out) {
        rc = lexp__error_oom(err);
        goto done;
    }
    t.sum[0] = 0;
    t.trim[0] = 0;
    for (size_t i = 0; i < n; i++) {
        t.sum[i + 1] = t.sum[i] + (is_nl(cp[i]) ? 0 : lexp__title_em(cp[i]));
        t.trim[i + 1] = is_space(cp[i]) || is_nl(cp[i]) ? t.trim[i] : i + 1;
    }
    if ((rc = lexp__word_breaks(cp, n, word, line, err)))
        goto done;
    glue(cp, n, word, line, glued);
    for (size_t i = 1; i < n; i++)
        word[i] = word[i] && line[i];
    const uint8_t *lv[3] = {glued, word, line};
    size_t nb = 0, s = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && !is_nl(cp[i]))
            continue;
        size_t e = i < n ? i + 1 : n;
        size_t got = piece(&t, s, e, lv, out + nb);
        if (got == (size_t)-1) {
            rc = lexp__error_oom(err);
            goto done;
        }
        nb += got;
        if (i < n && e < n)
            out[nb++] = e;
        s = e;
    }
    if (nb) {
        *starts = out;
        *nstarts = nb;
        out = NULL;
    }
done:
    free(t.sum);
    free(t.trim);
    free(word);
    free(line);
    free(glued);
    free(out);
    return rc;
}

int lexp__title_breaks_utf8(const char *s, size_t len, double maxw, size_t **offs, size_t *n,
                            lexp_error *err)
{
    *offs = NULL;
    *n = 0;
    uint32_t *cp = malloc((len ? len : 1) * sizeof *cp);
    size_t *at = malloc((len + 1) * sizeof *at); /* byte offset of each character */
    if (!cp || !at) {
        free(cp);
        free(at);
        return lexp__error_oom(err);
    }
    size_t ncp = 0;
    for (size_t k = 0; k < len;) {
        size_t l = lexp__utf8_decode(s + k, len - k, &cp[ncp]);
        if (!l) {
            l = 1;
            cp[ncp] = 0xFFFD;
        }
        at[ncp++] = k;
        k += l;
    }
    size_t *starts = NULL, ns = 0;
    int rc = lexp__title_breaks(cp, ncp, maxw, &starts, &ns, err);
    size_t m = 0;
    for (size_t i = 0; i < ns; i++)
        if (cp[starts[i] - 1] != '\n')
            starts[m++] = at[starts[i]];
    if (m) {
        *offs = starts;
        *n = m;
    } else {
        free(starts);
    }
    free(cp);
    free(at);
    return rc;
}

double lexp__title_maxw(const lexp_style *st, int level)
{
    double size = level == 0 ? st->title.size : st->subtitle.size;
    return size > 0 ? lexp__style_text_width(st) / size - 2 : 0;
}

double lexp__masthead_fit(double nominal, double ems, size_t chars, double width,
                          double *tracking)
{
    const double fill = 0.98, floor_of = 0.70, squeeze = 0.05;
    double w = width * fill;
    *tracking = 0;
    if (ems <= 0 || nominal * ems <= w)
        return nominal;
    double size = floor(w / ems * 2) / 2;
    double low = floor(nominal * floor_of * 2) / 2;
    if (size >= low)
        return size;
    double t = chars ? (w - low * ems) / (double)chars : -INFINITY;
    if (t >= -squeeze * low) {
        *tracking = floor(t * 20) / 20;
        return low;
    }
    /* as tight as allowed, and smaller until the name fits */
    double per = ems - squeeze * (double)chars;
    size = per > 0 ? floor(w / per * 2) / 2 : 0.5;
    if (size < 0.5)
        size = 0.5;
    *tracking = floor(-squeeze * size * 20) / 20;
    return size;
}
