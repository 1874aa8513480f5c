/*
 * Internal utilities shared by every module: an arena allocator, a growable
 * byte buffer, error reporting and UTF-8 helpers. Names are `lexp__*`:
 * visible across the library's files, never exported.
 */
#ifndef LEXP_UTIL_H
#define LEXP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "libexport.h"

#if defined(__GNUC__)
#define LEXP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LEXP_PRINTF(f, a)
#endif

/* ---- arena: many small allocations freed at once ------------------- */

typedef struct lexp__chunk lexp__chunk;

typedef struct lexp__arena {
    lexp__chunk *head;
    char *cur;
    char *end;
    size_t total; /* bytes obtained from malloc, to enforce limits */
    size_t used;  /* bytes handed out (a chunk's unused tail is not) */
} lexp__arena;

void lexp__arena_init(lexp__arena *a);
void lexp__arena_free(lexp__arena *a);
/* 8-byte aligned; zeroed when `zero`. Returns NULL on out of memory. */
void *lexp__arena_alloc(lexp__arena *a, size_t n);
void *lexp__arena_zalloc(lexp__arena *a, size_t n);
/* Copy with a terminating NUL. */
char *lexp__arena_strndup(lexp__arena *a, const char *s, size_t n);
char *lexp__arena_strdup(lexp__arena *a, const char *s);
char *lexp__arena_printf(lexp__arena *a, const char *fmt, ...) LEXP_PRINTF(2, 3);
/* A point to come back to: lexp__arena_release frees everything allocated
 * since the mark (the evaluator's per-iteration values of a streamed table). */
typedef struct lexp__arena_mark {
    lexp__chunk *head;
    char *cur, *end;
    size_t total, used;
} lexp__arena_mark;
lexp__arena_mark lexp__arena_mark_get(const lexp__arena *a);
void lexp__arena_release(lexp__arena *a, lexp__arena_mark m);

/* Make room for `need` elements of `elem` bytes in the malloc'd array *p
 * of capacity *cap (doubling). 0, or -1 when out of memory. */
int lexp__grow(void **p, size_t *cap, size_t need, size_t elem);
/* Give back the unused capacity of a lexp__grow array holding n elements
 * (a failed realloc keeps it as it is). For the many small arrays that live
 * on, such as a long table's cells. */
void lexp__shrink(void **p, size_t *cap, size_t n, size_t elem);
/* Sort n 64-bit keys ascending (a byte-wise radix sort: a few passes for
 * the few hundred glyph keys of a font, where qsort's calls through a
 * comparison function cost ten times as much). tmp holds n keys.
 * Returns the sorted array: a or tmp. */
uint64_t *lexp__sort_u64(uint64_t *a, uint64_t *tmp, size_t n);

/* ---- sbuf: growable byte buffer ------------------------------------ */

typedef struct lexp__sbuf {
    char *ptr;
    size_t len;
    size_t cap;
    int oom; /* set once an allocation failed; further writes are ignored */
    size_t max; /* 0, or the most bytes it may hold: growing past it sets oom to 2 */
} lexp__sbuf;

#define LEXP__SBUF_INIT {NULL, 0, 0, 0, 0}

int lexp__sbuf_grow(lexp__sbuf *b, size_t extra);
void lexp__sbuf_put(lexp__sbuf *b, const void *p, size_t n);
void lexp__sbuf_puts(lexp__sbuf *b, const char *s);
void lexp__sbuf_putc(lexp__sbuf *b, char c);
void lexp__sbuf_printf(lexp__sbuf *b, const char *fmt, ...) LEXP_PRINTF(2, 3);
void lexp__sbuf_repeat(lexp__sbuf *b, const char *s, size_t times);
/* Append `n` bytes escaped for XML text or attribute values, cleaned as
 * lexp__sbuf_put_clean does. */
void lexp__sbuf_put_xml(lexp__sbuf *b, const char *s, size_t n);
/* NUL-terminate without counting the NUL; returns ptr ("" if empty). */
const char *lexp__sbuf_cstr(lexp__sbuf *b);
void lexp__sbuf_free(lexp__sbuf *b);
/* Hand the bytes over to a lexp_buf (sbuf is reset). */
void lexp__sbuf_to_buf(lexp__sbuf *b, lexp_buf *out);

/* ---- errors --------------------------------------------------------- */

/* Set an error unless one is already set (the first error wins). Any of
 * file/path may be NULL; line/col 0 when unknown. Returns `code`. */
int lexp__error_set(lexp_error *e, int code, const char *file, int line, int col,
                    const char *path, const char *fmt, ...) LEXP_PRINTF(7, 8);
int lexp__error_vset(lexp_error *e, int code, const char *file, int line, int col,
                     const char *path, const char *fmt, va_list ap) LEXP_PRINTF(7, 0);
int lexp__error_oom(lexp_error *e);
/* 1 if the error already holds a failure. */
int lexp__error_is_set(const lexp_error *e);

/* ---- UTF-8 ----------------------------------------------------------- */

/* Decode one code point at s[0..n). Returns its byte length, or 0 when the
 * bytes are not valid UTF-8 (overlong, surrogate, > U+10FFFF, truncated). */
size_t lexp__utf8_decode_full(const char *s, size_t n, uint32_t *cp);
/* 1 if u[0..n) starts with a three-byte sequence whose lead byte takes any
 * continuation bytes (E1-EC, EE, EF: most of CJK), so it is valid as it is. */
static inline int lexp__utf8_plain3(const unsigned char *u, size_t n)
{
    return n >= 3 && u[0] - 0xE1u <= 0xEFu - 0xE1u && u[0] != 0xED &&
           ((u[1] | (unsigned)u[2] << 8) & 0xC0C0u) == 0x8080u;
}
/* The same, inline for ASCII and lexp__utf8_plain3 sequences, which are
 * nearly all of what the layout decodes character by character. */
static inline size_t lexp__utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n && u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (lexp__utf8_plain3(u, n)) {
        *cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
        return 3;
    }
    return lexp__utf8_decode_full(s, n, cp);
}
/* Encode `cp` into out (4 bytes room); returns the length. */
size_t lexp__utf8_encode(uint32_t cp, char *out);
/* 1 if s[0..n) is valid UTF-8; otherwise 0 and *bad = offset of the first
 * invalid byte. */
int lexp__utf8_valid(const char *s, size_t n, size_t *bad);
/* Number of code points in valid UTF-8. */
size_t lexp__utf8_count(const char *s, size_t n);
/* The byte offset of code point k of valid UTF-8 s[0..n) (n when past the
 * end): k = 1 is the length of the first character. */
size_t lexp__utf8_offset(const char *s, size_t n, size_t k);

/* The first occurrence of needle in hay (hay itself for an empty needle),
 * or NULL; linear in hn (util/find.c). */
const char *lexp__find(const char *hay, size_t hn, const char *needle, size_t nn);

/* Deflate n bytes in the zlib format (PDF FlateDecode) at `level` (1–12,
 * 6 as zlib's default) into a new malloc'd buffer. -1 when out of memory. */
int lexp__deflate(const void *src, size_t n, int level, unsigned char **out, size_t *outlen);
/* The same with the compressor kept in *keep (NULL at first) for the next
 * call, by one caller at one level: a level-1 compressor costs a tenth of
 * deflating a page's contents to make. lexp__deflate_drop frees it. */
int lexp__deflate_kept(void **keep, const void *src, size_t n, int level, unsigned char **out,
                       size_t *outlen);
void lexp__deflate_drop(void **keep);
/* Han ideographs (CJK unified, extensions, compatibility). */
int lexp__is_han(uint32_t cp);
/* Han, kana, hangul, CJK and full-width punctuation: the characters
 * between which a source line break adds no space. */
int lexp__is_cjk(uint32_t cp);
/* Display columns in a monospace terminal: 2 for East Asian wide and
 * full-width characters, 0 for combining marks, else 1. */
int lexp__char_width(uint32_t cp);
size_t lexp__str_width(const char *s, size_t n);

/* ---- clean text (clean.c): what every format can carry ------------ */

/* The one rule for characters in outputs: C0 controls other than tab, LF
 * and CR, DEL and the C1 controls U+0080-U+009F are dropped; U+FFFE,
 * U+FFFF and bytes that are not UTF-8 (lone surrogates too) become U+FFFD.
 * XML 1.0 cannot carry the former set at all. */
int lexp__text_is_clean(const char *s, size_t n);
void lexp__sbuf_put_clean(lexp__sbuf *b, const char *s, size_t n);
/* A clean malloc'd, NUL-terminated copy (length in *outlen if not NULL);
 * NULL when out of memory. */
char *lexp__text_clean_dup(const char *s, size_t n, size_t *outlen);

/* ---- numbers and dates --------------------------------------------- */

/* Format `x` rounded to `decimals` places, half away from zero, decided on
 * the shortest decimal representation of x (so 2.675 rounds to 2.68). */
void lexp__fmt_fixed(lexp__sbuf *b, double x, int decimals, int thousands);
/* Shortest natural form: integers without ".0", others up to 15 significant
 * digits without trailing zeros. */
void lexp__fmt_number(lexp__sbuf *b, double x);

/* Parse "YYYY-MM-DD" (exactly). Returns 1 if it is a real calendar date. */
int lexp__parse_date(const char *s, size_t n, int *y, int *m, int *d);
/* Parse "YYYY-MM". Returns 1 if valid. */
int lexp__parse_month(const char *s, size_t n, int *y, int *m);
int lexp__days_in_month(int y, int m);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
long lexp__days_from_civil(int y, int m, int d);
void lexp__civil_from_days(long z, int *y, int *m, int *d);
/* Days since 1899-12-30 (the spreadsheet serial date). */
double lexp__date_serial(int y, int m, int d);
/* 0 = Monday … 6 = Sunday. */
int lexp__weekday(int y, int m, int d);

/* Deliver a warning to opt->warn (if any). `file` names what it concerns
 * (template, font or image), may be NULL. The one
 * way the library says anything short of an error. */
void lexp__warn(const lexp_render_options *opt, const char *file, const char *fmt, ...)
    LEXP_PRINTF(3, 4);

/* ---- files ------------------------------------------------------------ */

/* The directory part of a path ("." when it has none); malloc'd. */
char *lexp__dir_of(const char *path);
/* 1-based line and column (in characters) of byte `off` of text `s`. */
void lexp__line_col(const char *s, size_t off, int *line, int *col);

/* Write n files atomically, all or none (write.c): each to a temporary
 * beside its target (after following symlinks), renamed into place once
 * every temporary is complete. Only regular files are replaced (a
 * directory, device or FIFO is LEXP_EIO); an existing file keeps its mode;
 * the umask is never touched. */
int lexp__write_files(size_t n, const char *const *paths, const void *const *bytes,
                      const size_t *sizes, lexp_error *err);
/* Write all `n` bytes at fd's offset (writes again after EINTR and short
 * writes). 0, or -1 with errno set. */
int lexp__write_all(int fd, const void *bytes, size_t n);
/* Write `path` as lexp__write_files does, with the bytes read from src_fd
 * (to its end) a block at a time: a big workbook is not held in memory. */
int lexp__write_file_fd(const char *path, int src_fd, lexp_error *err);

/* Read a whole file, refusing more than `max` bytes (LEXP_ELIMIT).
 * The result is NUL-terminated; free with free(). */
int lexp__read_file(char **out, size_t *len, const char *path, size_t max,
                    lexp_error *err);

#endif
