/*
 * brief — the monthly briefing from a C program, built with pkg-config:
 *
 *   cc brief.c $(pkg-config --cflags --libs libexport) -o brief
 *   ./brief data.json 2024-09 out/      → out/briefing-2024-09.{pdf,docx,xlsx}
 *
 * One engine serves all three renders, so fonts and the template are
 * prepared once.
 */
#include <stdio.h>
#include <string.h>

#include <libexport.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s DATA YYYY-MM OUTDIR [FORMAT…]\n", argv[0]);
        return 2;
    }
    const char *formats_default[] = {"pdf", "docx", "xlsx"};
    const char **formats = argc > 4 ? (const char **)argv + 4 : formats_default;
    int nformats = argc > 4 ? argc - 4 : 3;

    lexp_error err;
    lexp_data *data = NULL;
    if (lexp_data_load_file(&data, argv[1], &err) != 0) {
        char msg[1024];
        lexp_error_format(msg, sizeof msg, &err, NULL);
        fprintf(stderr, "%s\n", msg);
        return 1;
    }
    lexp_engine *engine = lexp_engine_new();
    int status = 0;
    for (int i = 0; i < nformats && status == 0; i++) {
        lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
        opt.format = lexp_format_from_name(formats[i]);
        opt.engine = engine;
        if (opt.format < 0) {
            fprintf(stderr, "unknown format %s\n", formats[i]);
            status = 2;
            break;
        }
        lexp_buf out = LEXP_BUF_INIT;
        char path[4096];
        snprintf(path, sizeof path, "%s/briefing-%s.%s", argv[3], argv[2], formats[i]);
        if (lexp_brief(&out, data, argv[2], &opt, &err) != 0 ||
            lexp_write_file(path, out.ptr, out.size, &err) != 0) {
            char msg[1024];
            lexp_error_format(msg, sizeof msg, &err, NULL);
            fprintf(stderr, "%s\n", msg);
            status = 1;
        } else {
            printf("%s (%zu bytes)\n", path, out.size);
        }
        lexp_buf_dispose(&out);
    }
    lexp_engine_free(engine);
    lexp_data_free(data);
    return status;
}
