/*
 * JPEG through libjpeg(-turbo): greyscale, YCbCr/RGB and CMYK/YCCK (Adobe)
 * files come out as 8-bit RGB. libjpeg's default error manager prints and
 * calls exit(): ours formats the message into the refusal and longjmps,
 * prints nothing, and treats the warnings that mean lost image data
 * (a truncated file, a corrupt entropy-coded segment) as refusals, where
 * libjpeg would fill the rest of the picture with grey.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
/* after jpeglib.h: which messages exist depends on its configuration */
#include <jerror.h>

#if JPEG_LIB_VERSION >= 70 || defined(C_ARITH_CODING_SUPPORTED) || \
    defined(D_ARITH_CODING_SUPPORTED)
#define ARITH_BAD(code) ((code) == JWRN_ARITH_BAD_CODE)
#else
#define ARITH_BAD(code) 0
#endif

#include "image_impl.h"

typedef struct jpg_err {
    struct jpeg_error_mgr pub;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    lexp__image *im;
    unsigned char *row; /* freed by the caller of run */
} jpg_err;

static void refuse_with_message(j_common_ptr ci)
{
    jpg_err *e = (jpg_err *)ci->err;
    char msg[JMSG_LENGTH_MAX];
    ci->err->format_message(ci, msg);
    lexp__image_refuse(e->im, "damaged JPEG file (libjpeg: %s)", msg);
    longjmp(e->jb, 1);
}

static void on_output(j_common_ptr ci) { (void)ci; }

static void on_emit(j_common_ptr ci, int level)
{
    if (level >= 0)
        return; /* trace messages */
    int code = ci->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
        code == JWRN_MUST_RESYNC || ARITH_BAD(code) || code == JWRN_NOT_SEQUENTIAL ||
        code == JWRN_BOGUS_PROGRESSION)
        refuse_with_message(ci);
    ci->err->num_warnings++; /* others (extraneous bytes, odd JFIF) leave the image intact */
}

/* A progressive file may carry any number of scans, each costing a pass
 * over the whole image: bound them. */
static void on_progress(j_common_ptr ci)
{
    jpg_err *e = (jpg_err *)ci->err;
    if (ci->is_decompressor && ((j_decompress_ptr)ci)->input_scan_number > LEXP_IMAGE_MAX_SCANS) {
        lexp__image_refuse(e->im, "the JPEG file has more than %d scans", LEXP_IMAGE_MAX_SCANS);
        longjmp(e->jb, 1);
    }
}

static void cmyk_to_rgb(unsigned char *rgb, const unsigned char *cmyk, unsigned w, int inverted)
{
    for (unsigned x = 0; x < w; x++, cmyk += 4, rgb += 3) {
        /* Adobe files store 255 − ink; others the ink itself */
        unsigned c = inverted ? cmyk[0] : 255u - cmyk[0], m = inverted ? cmyk[1] : 255u - cmyk[1];
        unsigned y = inverted ? cmyk[2] : 255u - cmyk[2], k = inverted ? cmyk[3] : 255u - cmyk[3];
        rgb[0] = (unsigned char)((c * k + 127) / 255);
        rgb[1] = (unsigned char)((m * k + 127) / 255);
        rgb[2] = (unsigned char)((y * k + 127) / 255);
    }
}

static int run(jpg_err *e, struct jpeg_decompress_struct *ci, const unsigned char *d, size_t n,
               lexp__imgdepth depth)
{
    lexp__image *im = e->im;
    if (setjmp(e->jb))
        return -1;
    jpeg_create_decompress(ci);
    ci->mem->max_memory_to_use = 256L * 1024 * 1024;
    ci->progress = &e->progress;
    jpeg_mem_src(ci, d, (unsigned long)n);
    jpeg_read_header(ci, TRUE);
    im->w = ci->image_width;
    im->h = ci->image_height;
    im->components = ci->num_components;
    if (ci->saw_JFIF_marker && ci->X_density && ci->Y_density &&
        (ci->density_unit == 1 || ci->density_unit == 2)) {
        double k = ci->density_unit == 1 ? 1.0 : 2.54;
        im->dpi_x = ci->X_density * k;
        im->dpi_y = ci->Y_density * k;
    }
    int cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
    if (!cmyk && ci->jpeg_color_space != JCS_GRAYSCALE && ci->jpeg_color_space != JCS_YCbCr &&
        ci->jpeg_color_space != JCS_RGB)
        return lexp__image_refuse(im, "JPEG colour space not supported (%d components)",
                                  ci->num_components);
    if (lexp__image_check_size(im, im->w, im->h, cmyk ? 4 : 3))
        return -1;
    if (depth == LEXP_IMG_HEADER)
        return 0;
    ci->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(ci);
    unsigned w = ci->output_width, oc = (unsigned)ci->output_components;
    if (w != im->w || ci->output_height != im->h || oc != (cmyk ? 4u : 3u))
        return lexp__image_refuse(im, "JPEG layout not supported");
    e->row = malloc((size_t)w * oc);
    if (!e->row)
        return lexp__image_refuse(im, "out of memory decoding the image");
    if (depth == LEXP_IMG_PIXELS) {
        im->rgb = malloc((size_t)w * im->h * 3);
        if (!im->rgb)
            return lexp__image_refuse(im, "out of memory decoding the image");
    }
    while (ci->output_scanline < ci->output_height) {
        size_t y = ci->output_scanline;
        JSAMPROW row = e->row;
        if (jpeg_read_scanlines(ci, &row, 1) != 1)
            return lexp__image_refuse(im, "the JPEG file is truncated");
        if (!im->rgb)
            continue;
        if (cmyk)
            cmyk_to_rgb(im->rgb + y * w * 3, e->row, w, ci->saw_Adobe_marker);
        else
            memcpy(im->rgb + y * w * 3, e->row, (size_t)w * 3);
    }
    jpeg_finish_decompress(ci);
    return 0;
}

int lexp__jpeg_decode(const unsigned char *d, size_t n, lexp__imgdepth depth, lexp__image *im)
{
    jpg_err e;
    memset(&e, 0, sizeof e);
    e.im = im;
    struct jpeg_decompress_struct ci;
    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = refuse_with_message;
    e.pub.output_message = on_output;
    e.pub.emit_message = on_emit;
    e.progress.progress_monitor = on_progress;
    int rc = run(&e, &ci, d, n, depth);
    jpeg_destroy_decompress(&ci);
    free(e.row);
    if (rc)
        lexp__image_free(im);
    return rc;
}
