/*
 * util/zipsrc.c: entries deflated by libdeflate and handed to libzip
 * already compressed. libzip must write them as DEFLATE entries with the
 * sizes and CRC-32 of the data, without recompressing (the compressed size
 * is exactly libdeflate's), and read them back to the same bytes; a source
 * libzip refuses is freed with its data (valgrind sees no leak). Entry
 * times set by lexp__zip_set_dostime come out as the bytes
 * zip_file_set_dostime writes, in five time zones (with and without
 * daylight saving, east and west), for ordinary times, DOS's first and last
 * days, a leap day, local times a clock change skips or repeats, and
 * fields no date has.
 */
#define _DEFAULT_SOURCE /* setenv */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>

#include "util/zipsrc.h"

#include "office_min.h"

#include "check.h"

/* An archive of three small entries stamped with one DOS time, by
 * lexp__zip_set_dostime (ours) or zip_file_set_dostime; malloc'd bytes. */
static unsigned char *stamped(int ours, zip_uint16_t dt, zip_uint16_t dd, size_t *len)
{
    zip_source_t *src;
    zip_t *za = om_zip_new(&src);
    if (!za)
        return NULL;
    static const char *const names[] = {"a.xml", "b/c.xml", "d"};
    for (int i = 0; i < 3; i++) {
        zip_source_t *s = zip_source_buffer(za, names[i], strlen(names[i]), 0);
        zip_int64_t k = s ? zip_file_add(za, names[i], s, 0) : -1;
        if (k < 0)
            return NULL;
        int rc = ours ? lexp__zip_set_dostime(za, (zip_uint64_t)k, dt, dd)
                      : zip_file_set_dostime(za, (zip_uint64_t)k, dt, dd, 0);
        CHECK(rc == 0);
    }
    unsigned char *out = om_zip_bytes(za, src, len);
    CHECK(out != NULL); /* closed and read back */
    return out;
}

static zip_uint16_t dos_t(int h, int m, int s) { return (zip_uint16_t)(h << 11 | m << 5 | s / 2); }
static zip_uint16_t dos_d(int y, int mo, int d)
{
    return (zip_uint16_t)((y - 1980) << 9 | mo << 5 | d);
}

static void test_dostime(void)
{
    /* POSIX rules, so no time zone database is needed: UTC, China, New
     * York, London, Chatham (+12:45, daylight saving at 2:45) */
    static const char *const zones[] = {"UTC0", "CST-8", "EST5EDT,M3.2.0,M11.1.0",
                                        "GMT0BST,M3.5.0/1,M10.5.0",
                                        "CHAST-12:45CHADT,M9.5.0/2:45,M4.1.0/3:45"};
    const zip_uint16_t times[][2] = {
        {dos_t(5, 6, 8), dos_d(2019, 3, 4)},    {0, dos_d(1980, 1, 1)},
        {dos_t(23, 59, 58), dos_d(2107, 12, 31)}, {dos_t(12, 0, 0), dos_d(2024, 2, 29)},
        {dos_t(2, 30, 0), dos_d(2021, 3, 14)},  /* skipped in New York */
        {dos_t(1, 30, 0), dos_d(2021, 11, 7)},  /* repeated in New York */
        {dos_t(1, 30, 0), dos_d(2021, 3, 28)},  /* skipped in London */
        {dos_t(2, 50, 0), dos_d(2021, 4, 4)},   /* repeated in Chatham */
        {dos_t(2, 10, 0), dos_d(2021, 9, 26)},  /* skipped in Chatham */
        {0, 0},                                 /* month 0, day 0 */
        {dos_t(25, 61, 62), dos_d(2020, 13, 31)}, {dos_t(10, 0, 0), dos_d(2023, 2, 30)}};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        for (size_t i = 0; i < sizeof times / sizeof *times; i++) {
            size_t na = 0, nb = 0;
            unsigned char *a = stamped(1, times[i][0], times[i][1], &na);
            unsigned char *b = stamped(0, times[i][0], times[i][1], &nb);
            int same = a && b && na == nb && memcmp(a, b, na) == 0;
            CHECK(same);
            if (!same)
                printf("  TZ=%s, DOS time %04x date %04x\n", zones[z], times[i][0],
                       times[i][1]);
            free(a);
            free(b);
        }
    }
    unsetenv("TZ");
    tzset();
}

static size_t raw_deflated_size(const void *p, size_t n)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
    size_t cap = libdeflate_deflate_compress_bound(c, n);
    void *o = malloc(cap);
    size_t len = libdeflate_deflate_compress(c, p, n, o, cap);
    free(o);
    libdeflate_free_compressor(c);
    return len;
}

int main(void)
{
    /* 300 KB of XML-like text, a short string, and nothing */
    size_t big_n = 300000;
    char *big = malloc(big_n);
    unsigned x = 12345;
    for (size_t i = 0; i < big_n; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = "<w:p>社区 0123456789</w:r>"[(x >> 16) % 24];
    }
    const struct {
        const char *name;
        const char *p;
        size_t n;
    } e[] = {{"word/document.xml", big, big_n}, {"a.xml", "hello, hello, hello", 19}, {"empty", "", 0}};
    int ne = (int)(sizeof e / sizeof *e);

    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *out = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = out ? zip_open_from_source(out, ZIP_CREATE | ZIP_TRUNCATE, &ze) : NULL;
    CHECK(za != NULL);
    if (!za)
        return 1;
    zip_source_keep(out);
    lexp__deflater *d = lexp__deflater_new(1);
    CHECK(d != NULL);
    for (int i = 0; i < ne; i++) {
        int oom = 1;
        zip_source_t *s = lexp__zip_source_deflated(za, d, e[i].p, e[i].n, &oom);
        CHECK(s != NULL && !oom);
        CHECK(zip_file_add(za, e[i].name, s, 0) == i);
    }
    /* a name already taken: libzip refuses, the caller frees the source */
    int oom = 1;
    zip_source_t *dup = lexp__zip_source_deflated(za, d, "again", 5, &oom);
    CHECK(dup != NULL && !oom);
    CHECK(zip_file_add(za, "a.xml", dup, 0) < 0);
    zip_source_free(dup);
    CHECK(zip_close(za) == 0);
    lexp__deflater_free(d);

    /* read the archive back */
    zip_stat_t st;
    CHECK(zip_source_stat(out, &st) == 0);
    za = zip_open_from_source(out, ZIP_RDONLY, &ze);
    CHECK(za != NULL);
    if (!za)
        return 1;
    CHECK(zip_get_num_entries(za, 0) == ne);
    for (int i = 0; i < ne; i++) {
        CHECK(zip_stat_index(za, (zip_uint64_t)i, 0, &st) == 0);
        CHECK(strcmp(st.name, e[i].name) == 0);
        CHECK(st.comp_method == ZIP_CM_DEFLATE);
        CHECK(st.size == e[i].n);
        CHECK(st.comp_size == raw_deflated_size(e[i].p, e[i].n)); /* not recompressed */
        CHECK(st.crc == (zip_uint32_t)crc32(0L, (const Bytef *)e[i].p, (uInt)e[i].n));
        char *got = malloc(e[i].n + 1);
        zip_file_t *f = zip_fopen_index(za, (zip_uint64_t)i, 0);
        CHECK(f != NULL);
        if (f) {
            CHECK(zip_fread(f, got, e[i].n + 1) == (zip_int64_t)e[i].n);
            CHECK(memcmp(got, e[i].p, e[i].n) == 0);
            zip_fclose(f);
        }
        free(got);
    }
    zip_close(za);
    zip_error_fini(&ze);
    free(big);
    test_dostime();
    if (fails)
        printf("%d checks failed\n", fails);
    return fails != 0;
}
