/*
 * The image decoder on the generated files of tests/fuzz/corpus/image
 * (made by tests/images/make_images.py): exact pixels and masks for every
 * PNG kind and the JPEG colour spaces, refusals with their reasons, and
 * the file reader's path rules (symlinks out of the folder, FIFO, device,
 * directory) on a scratch folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"

#include "check.h"

static const unsigned char RED[3] = {200, 30, 40};

static unsigned char *load(const char *name, size_t *n)
{
    const char *src = getenv("LEXP_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/image/%s", src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        fails++;
        return NULL;
    }
    unsigned char *b = malloc(1 << 20);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

/* Decode to pixels; 1 if every pixel is `rgb` (within tol) and the mask
 * is as expected (-1: no mask). */
static int all_pixels(const char *name, const unsigned char *rgb, int tol, int mask,
                      unsigned w, unsigned h)
{
    size_t n;
    unsigned char *d = load(name, &n);
    if (!d)
        return 0;
    lexp__image im;
    int ok = lexp__image_decode(d, n, LEXP_IMG_PIXELS, &im) == 0;
    if (!ok)
        fprintf(stderr, "%s: refused: %s\n", name, im.why);
    ok = ok && im.w == w && im.h == h && (mask < 0 ? !im.alpha && !im.mask : im.alpha);
    for (size_t i = 0; ok && i < (size_t)w * h; i++) {
        for (int k = 0; k < 3; k++)
            ok &= abs(im.rgb[i * 3 + k] - rgb[k]) <= tol;
        if (mask >= 0)
            ok &= im.mask[i] == mask;
    }
    if (!ok)
        fprintf(stderr, "%s: pixels differ (%ux%u alpha %d)\n", name, im.w, im.h, im.alpha);
    lexp__image_free(&im);
    free(d);
    return ok;
}

static int refused(const char *name, const char *words)
{
    size_t n;
    unsigned char *d = load(name, &n);
    if (!d)
        return 0;
    int ok = 1;
    for (int depth = LEXP_IMG_CHECK; depth <= LEXP_IMG_PIXELS; depth++) {
        lexp__image im;
        int rc = lexp__image_decode(d, n, (lexp__imgdepth)depth, &im);
        ok &= rc != 0 && !im.rgb && !im.mask && strstr(im.why, words) != NULL;
        if (!ok)
            fprintf(stderr, "%s: rc %d, reason \"%s\", wanted \"%s\"\n", name, rc, im.why, words);
        lexp__image_free(&im);
    }
    free(d);
    return ok;
}

static void pngs(void)
{
    const unsigned char grey[3] = {128, 128, 128}, grey2[3] = {170, 170, 170};
    CHECK(all_pixels("rgb.png", RED, 0, -1, 120, 80));
    CHECK(all_pixels("interlaced.png", RED, 0, -1, 120, 80));
    CHECK(all_pixels("palette.png", RED, 0, -1, 120, 80));
    CHECK(all_pixels("grey.png", grey, 0, -1, 120, 80));
    CHECK(all_pixels("grey2.png", grey2, 0, -1, 120, 80));
    CHECK(all_pixels("grey-alpha.png", grey, 0, -1, 120, 80)); /* opaque: mask dropped */
    CHECK(all_pixels("grey-trns.png", grey, 0, -1, 120, 80)); /* 0x80 is not the key */
    CHECK(all_pixels("rgba.png", RED, 0, -1, 120, 80));
    CHECK(all_pixels("rgba-half.png", RED, 0, 128, 120, 80));
    CHECK(all_pixels("rgb16.png", RED, 0, -1, 120, 80));
    CHECK(all_pixels("rgba16-interlaced.png", RED, 0, -1, 120, 80));
    /* the tRNS colour (black) or palette entry (0) is not used: no mask */
    CHECK(all_pixels("trns-40x30.png", RED, 0, -1, 40, 30));
    CHECK(all_pixels("palette4-trns.png", RED, 0, -1, 120, 80));

    /* trns-visible: left half black = the tRNS colour, transparent */
    size_t n;
    unsigned char *d = load("trns-visible.png", &n);
    lexp__image im;
    CHECK(d && lexp__image_decode(d, n, LEXP_IMG_PIXELS, &im) == 0);
    if (d && im.rgb) {
        CHECK(im.alpha && im.mask);
        CHECK(im.mask[0] == 0 && im.mask[19] == 0 && im.mask[20] == 255 && im.mask[39] == 255);
        CHECK(memcmp(im.rgb + 20 * 3, RED, 3) == 0);
    }
    lexp__image_free(&im);
    free(d);

    CHECK(refused("truncated.png", "truncated"));
    CHECK(refused("no-iend.png", "truncated"));
    CHECK(refused("bad-crc.png", "CRC"));
    CHECK(refused("huge-100001.png", "100001 × 100001 pixels × 3 channels"));
    CHECK(refused("huge-2g.png", "2147483647 × 2147483647"));
    CHECK(refused("huge-wide.png", "pixels a side"));
    CHECK(refused("huge-rgba-20000.png", "20000 × 20000 pixels × 4 channels need 1600 MB"));
    CHECK(refused("huge-trns-20000.png", "20000 × 20000 pixels"));
    CHECK(refused("zero-width.png", "no pixels"));
    CHECK(refused("garbage.png", "damaged PNG"));
    CHECK(refused("empty.png", "empty"));
    CHECK(refused("text.png", "not a PNG or JPEG"));

    /* the header alone is enough to refuse a huge file */
    d = load("huge-rgba-20000.png", &n);
    CHECK(d && lexp__image_decode(d, n, LEXP_IMG_HEADER, &im) != 0);
    free(d);
}

static void jpegs(void)
{
    const unsigned char grey[3] = {128, 128, 128};
    CHECK(all_pixels("rgb.jpg", RED, 6, -1, 120, 80));
    CHECK(all_pixels("progressive.jpg", RED, 6, -1, 120, 80));
    CHECK(all_pixels("grey.jpg", grey, 2, -1, 120, 80));
    CHECK(all_pixels("cmyk.jpg", RED, 8, -1, 120, 80));
    size_t n;
    unsigned char *d = load("cmyk.jpg", &n);
    lexp__image im;
    CHECK(d && lexp__image_decode(d, n, LEXP_IMG_HEADER, &im) == 0 && im.components == 4);
    free(d);
    d = load("grey.jpg", &n);
    CHECK(d && lexp__image_decode(d, n, LEXP_IMG_CHECK, &im) == 0 && im.components == 1 &&
          !im.rgb);
    free(d);
    CHECK(refused("truncated.jpg", "Premature end of JPEG file"));
    CHECK(refused("truncated-progressive.jpg", "JPEG"));
    CHECK(refused("header-only.jpg", "JPEG"));
    CHECK(refused("huge.jpg", "65000 × 65000 pixels × 3 channels"));
}

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(s, f);
        fclose(f);
    }
}

static int read_says(const char *base, const char *path, const char *words)
{
    char *data = NULL, why[256] = "";
    size_t len = 0;
    int rc = lexp__image_read(base, path, &data, &len, why, sizeof why);
    free(data);
    if (words == NULL)
        return rc == 0;
    if (rc == 0 || !strstr(why, words))
        fprintf(stderr, "read %s/%s: rc %d \"%s\", wanted \"%s\"\n", base, path, rc, why, words);
    return rc != 0 && strstr(why, words) != NULL;
}

static void paths(void)
{
    char dir[] = "/tmp/lexp-image-XXXXXX";
    if (!mkdtemp(dir)) {
        fails++;
        return;
    }
    char data[300], outside[300], p[400], q[400];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(outside, sizeof outside, "%s/outside", dir);
    mkdir(data, 0700);
    mkdir(outside, 0700);
    snprintf(p, sizeof p, "%s/ok.png", data);
    write_file(p, "x");
    snprintf(p, sizeof p, "%s/secret.png", outside);
    write_file(p, "x");
    snprintf(q, sizeof q, "%s/out.png", data);
    CHECK(symlink(p, q) == 0);
    snprintf(q, sizeof q, "%s/sub", data);
    CHECK(symlink(outside, q) == 0);
    snprintf(q, sizeof q, "%s/zero.png", data);
    CHECK(symlink("/dev/zero", q) == 0);
    snprintf(q, sizeof q, "%s/fifo.png", data);
    CHECK(mkfifo(q, 0600) == 0);
    snprintf(q, sizeof q, "%s/dir.png", data);
    mkdir(q, 0700);
    snprintf(q, sizeof q, "%s/in.png", data);
    CHECK(symlink("ok.png", q) == 0);

    CHECK(read_says(data, "ok.png", NULL));
    CHECK(read_says(data, "in.png", NULL)); /* a symlink that stays inside */
    CHECK(read_says(data, "out.png", "outside the data folder"));
    CHECK(read_says(data, "sub/secret.png", "outside the data folder"));
    CHECK(read_says(data, "zero.png", "outside the data folder"));
    CHECK(read_says(data, "fifo.png", "not a regular file"));
    CHECK(read_says(data, "dir.png", "not a regular file"));
    CHECK(read_says(data, "none.png", "cannot open"));
    CHECK(read_says("/", "dev/zero", "not a regular file")); /* base "/" holds everything */
    snprintf(q, sizeof q, "%s/zero.png", data);
    CHECK(read_says(NULL, q, "cannot open")); /* no base: O_NOFOLLOW refuses the link */

    const char *names[] = {"ok.png", "out.png", "sub", "zero.png", "fifo.png", "in.png"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(q, sizeof q, "%s/%s", data, names[i]);
        unlink(q);
    }
    snprintf(q, sizeof q, "%s/dir.png", data);
    rmdir(q);
    snprintf(p, sizeof p, "%s/secret.png", outside);
    unlink(p);
    rmdir(data);
    rmdir(outside);
    rmdir(dir);
}

int main(void)
{
    pngs();
    jpegs();
    paths();
    if (fails)
        fprintf(stderr, "%d check(s) failed\n", fails);
    return fails != 0;
}
