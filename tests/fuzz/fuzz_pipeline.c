/*
 * Fuzz target: the whole pipeline, data + template → every renderer (txt,
 * tree, PDF, DOCX, XLSX), with images.
 *
 * The input is up to three parts separated by NUL bytes:
 *   DATA \0 TEMPLATE [\0 IMAGE]
 * DATA is JSON (when it does not load, built-in sample data is used, so the
 * template is still exercised); an empty TEMPLATE renders the built-in
 * briefing through lexp_brief; IMAGE, when present, is written as
 * photos/fuzz.png and photos/fuzz.jpg. Small valid PNG files (RGB, grey,
 * RGBA, palette with tRNS, 16-bit, interlaced) are generated at start-up
 * and the JPEG files of pipeline_jpeg.h written beside them, all in a
 * temporary folder that is the base of relative image paths.
 *
 * Any crash, sanitizer report, leak or output on stderr is a bug; errors
 * and warnings are fine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "libexport.h"
#include "pipeline_jpeg.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static const char DEFAULT_DATA[] =
    "{\"community\": {\"name\": \"秦渠社区\", \"street\": \"胜利镇\", \"population\": 12130,"
    " \"households\": 3986, \"ethnic_groups\": [{\"name\": \"回族\", \"households\": 1200,"
    " \"population\": 6431}]},"
    " \"briefing\": {\"title\": \"民族团结工作简报\", \"issuer\": \"秦渠社区居委会\","
    " \"first_issue_month\": \"2024-01\", \"report_to\": [\"区民宗局\"], \"copies\": 30},"
    " \"activities\": [{\"date\": \"2024-09-20\", \"category\": \"文艺汇演\", \"title\": \"汇演\","
    " \"participants\": 300, \"highlight\": true, \"photos\": [\"photos/rgb.png\","
    " \"photos/rgb.jpg\"]}, {\"date\": \"2024-09-21\", \"category\": \"宣传\", \"title\": \"宣讲\","
    " \"participants\": 12, \"photos\": [\"photos/pal.png\", \"photos/fuzz.png\"]}],"
    " \"disputes\": [{\"date\": \"2024-09-12\", \"found\": 2, \"resolved\": 2}],"
    " \"plans\": [{\"month\": \"2024-10\", \"title\": \"座谈\"}], \"problems\": [\"形式单一\"]}";

/* ---- small PNG files, written with zlib ------------------------------------ */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void chunk(FILE *f, const char *type, const unsigned char *data, uint32_t n)
{
    unsigned char h[8];
    put32(h, n);
    memcpy(h + 4, type, 4);
    fwrite(h, 1, 8, f);
    if (n)
        fwrite(data, 1, n, f);
    uLong crc = crc32(0, (const Bytef *)type, 4);
    if (n)
        crc = crc32(crc, data, n);
    put32(h, (uint32_t)crc);
    fwrite(h, 1, 4, f);
}

/* One PNG: `color` type (0 grey, 2 RGB, 3 palette, 6 RGBA), `depth` bits,
 * Adam7 when `interlace`, a tRNS chunk when `trns`. Pixels are a pattern. */
static void write_png(const char *path, int w, int h, int color, int depth, int interlace,
                      int trns)
{
    int channels = color == 2 ? 3 : color == 6 ? 4 : 1;
    int bpp = channels * depth / 8; /* depths 8 and 16 only */
    static const int ax[7] = {0, 4, 0, 2, 0, 1, 0}, ay[7] = {0, 0, 4, 0, 2, 0, 1};
    static const int dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
    size_t cap = (size_t)(w * bpp + 1) * (size_t)h * 2 + 64, n = 0;
    unsigned char *raw = calloc(cap, 1);
    for (int pass = 0; pass < (interlace ? 7 : 1); pass++) {
        int x0 = interlace ? ax[pass] : 0, y0 = interlace ? ay[pass] : 0;
        int sx = interlace ? dx[pass] : 1, sy = interlace ? dy[pass] : 1;
        if (x0 >= w || y0 >= h)
            continue; /* an empty pass has no rows, not even filter bytes */
        for (int y = y0; y < h; y += sy) {
            raw[n++] = 0; /* filter: none */
            for (int x = x0; x < w; x += sx)
                for (int b = 0; b < bpp; b++)
                    raw[n++] = color == 3 ? (unsigned char)((x + y) % 4)
                                          : (unsigned char)(x * 37 + y * 19 + b * 71);
        }
    }
    uLongf zn = compressBound((uLong)n);
    unsigned char *z = malloc(zn);
    compress2(z, &zn, raw, (uLong)n, 9);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
        unsigned char ihdr[13];
        put32(ihdr, (uint32_t)w);
        put32(ihdr + 4, (uint32_t)h);
        ihdr[8] = (unsigned char)depth;
        ihdr[9] = (unsigned char)color;
        ihdr[10] = ihdr[11] = 0;
        ihdr[12] = (unsigned char)interlace;
        chunk(f, "IHDR", ihdr, 13);
        if (color == 3) {
            static const unsigned char plte[12] = {200, 0, 0, 0, 160, 0, 0, 0, 255, 250, 250, 0};
            chunk(f, "PLTE", plte, 12);
        }
        if (trns) {
            static const unsigned char t3[2] = {0, 128}, t2[6] = {0, 0, 0, 0, 0, 0};
            if (color == 3)
                chunk(f, "tRNS", t3, 2);
            else if (color == 2)
                chunk(f, "tRNS", t2, 6);
            else if (color == 0)
                chunk(f, "tRNS", t2, 2);
        }
        chunk(f, "IDAT", z, (uint32_t)zn);
        chunk(f, "IEND", NULL, 0);
        fclose(f);
    }
    free(z);
    free(raw);
}

static char dir[64];

static void write_bytes(const char *name, const void *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/photos/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        if (n)
            fwrite(p, 1, n, f);
        fclose(f);
    }
}

static const char *const FILES[] = {"rgb.png",  "gray.png", "rgba.png", "pal.png", "trns.png",
                                    "deep.png", "inter.png", "rgb.jpg", "gray.jpg", "cmyk.jpg",
                                    "fuzz.png", "fuzz.jpg"};

static void cleanup(void)
{
    char path[128];
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        snprintf(path, sizeof path, "%s/photos/%s", dir, FILES[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/photos", dir);
    rmdir(path);
    rmdir(dir);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/lexp-fuzz-XXXXXX");
    if (!mkdtemp(dir))
        abort(); /* the harness, not the library: nothing to fuzz without it */
    char path[128];
    snprintf(path, sizeof path, "%s/photos", dir);
    mkdir(path, 0777);
    struct {
        const char *name;
        int w, h, color, depth, interlace, trns;
    } pngs[] = {{"rgb.png", 40, 30, 2, 8, 0, 0},  {"gray.png", 9, 7, 0, 8, 0, 0},
                {"rgba.png", 6, 5, 6, 8, 0, 0},   {"pal.png", 5, 4, 3, 8, 0, 0},
                {"trns.png", 40, 30, 2, 8, 0, 1}, {"deep.png", 4, 3, 2, 16, 0, 0},
                {"inter.png", 11, 9, 2, 8, 1, 0}};
    for (size_t i = 0; i < sizeof pngs / sizeof *pngs; i++) {
        snprintf(path, sizeof path, "%s/photos/%s", dir, pngs[i].name);
        write_png(path, pngs[i].w, pngs[i].h, pngs[i].color, pngs[i].depth, pngs[i].interlace,
                  pngs[i].trns);
    }
    write_bytes("rgb.jpg", JPEG_RGB, sizeof JPEG_RGB);
    write_bytes("gray.jpg", JPEG_GRAY, sizeof JPEG_GRAY);
    write_bytes("cmyk.jpg", JPEG_CMYK, sizeof JPEG_CMYK);
    atexit(cleanup);
}

/* ---- the target ------------------------------------------------------------------ */

static void ignore(const lexp_error *w, void *payload)
{
    (void)w;
    (void)payload;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    static lexp_engine *engine; /* caches fonts across inputs, as a server would */
    if (!dir[0]) {
        setup();
        engine = lexp_engine_new();
    }
    const char *p = (const char *)buf, *end = p + len;
    const char *z1 = memchr(p, 0, len);
    const char *tpl = z1 ? z1 + 1 : p;
    const char *z2 = z1 ? memchr(tpl, 0, (size_t)(end - tpl)) : NULL;
    size_t dlen = z1 ? (size_t)(z1 - p) : 0;
    size_t tlen = (size_t)((z2 ? z2 : end) - tpl);
    if (z2) {
        write_bytes("fuzz.png", z2 + 1, (size_t)(end - z2 - 1));
        write_bytes("fuzz.jpg", z2 + 1, (size_t)(end - z2 - 1));
    } else {
        write_bytes("fuzz.png", "", 0);
        write_bytes("fuzz.jpg", "", 0);
    }
    lexp_error err;
    lexp_data *d = NULL;
    if (dlen == 0 || lexp_data_load_json(&d, p, dlen, "fuzz.json", &err) != 0)
        if (lexp_data_load_json(&d, DEFAULT_DATA, sizeof DEFAULT_DATA - 1, "fuzz.json", &err))
            return 0;
    lexp_template *t = NULL;
    if (tlen && lexp_template_parse(&t, tpl, tlen, "fuzz.lxt", &err) != 0) {
        lexp_data_free(d);
        return 0;
    }
    static const int formats[] = {LEXP_FORMAT_TXT, LEXP_FORMAT_TREE, LEXP_FORMAT_PDF,
                                  LEXP_FORMAT_DOCX, LEXP_FORMAT_XLSX};
    for (size_t f = 0; f < sizeof formats / sizeof *formats; f++) {
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.month = "2024-09";
        o.format = formats[f];
        o.base_dir = dir;
        o.engine = engine;
        o.warn = ignore;
        lexp_buf b = LEXP_BUF_INIT;
        int rc = t ? lexp_render(&b, t, d, &o, &err) : lexp_brief(&b, d, "2024-09", &o, &err);
        lexp_buf_dispose(&b);
        if (rc && f == 0 && err.code != LEXP_EBACKEND)
            break; /* the evaluation failed: every format fails the same way */
    }
    lexp_template_free(t);
    lexp_data_free(d);
    return 0;
}
