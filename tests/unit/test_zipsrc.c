/*
 * util/zipsrc.c: entries deflated by libdeflate and handed to libzip
 * already compressed. libzip must write them as DEFLATE entries with the
 * sizes and CRC-32 of the data, without recompressing (the compressed size
 * is exactly libdeflate's), and read them back to the same bytes; a source
 * libzip refuses is freed with its data (valgrind sees no leak).
 */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>

#include "util/zipsrc.h"

#include "check.h"

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
    if (fails)
        printf("%d checks failed\n", fails);
    return fails != 0;
}
