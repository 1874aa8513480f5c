/*
 * lexp_fill and lexp_fill_memory: read the package, hand it to the Word or
 * Excel filler, write the package back.
 *
 * Errors carry the template's name in `file`, the paragraph (Word) or row
 * (Excel) in `line` and the character in `column`; the message starts with
 * the part ("word/document.xml: …", "xl/worksheets/sheet1.xml: cell B4 of
 * sheet “表1”: …"), so the program prints
 *
 *     form.docx:12:5: error: word/document.xml: unknown filter 'foo' …
 */
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill.h"

int fx_fail(fx_ctx *c, int code, int line, int col, const char *fmt, ...)
{
    if (lexp__error_is_set(c->err))
        return c->err->code;
    char msg[LEXP_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lexp__error_set(c->err, code, c->name, line, col, NULL, "%s", msg);
    c->located = 0;
    fx_locate(c);
    return code;
}

int fx_oom(fx_ctx *c) { return fx_fail(c, LEXP_ENOMEM, 0, 0, "out of memory"); }

void fx_locate(fx_ctx *c)
{
    lexp_error *e = c->err;
    if (!lexp__error_is_set(e) || c->located)
        return;
    c->located = 1;
    if (!e->file[0])
        snprintf(e->file, sizeof e->file, "%s", c->name);
    if (!c->part || e->code == LEXP_ENOMEM)
        return;
    char where[200] = "";
    if (c->sheet && c->cell_row) {
        char col[4];
        fx_col_name(c->cell_col, col);
        snprintf(where, sizeof where, "cell %s%u of sheet “%s”: ", col, c->cell_row, c->sheet);
    } else if (c->sheet) {
        snprintf(where, sizeof where, "sheet “%s”: ", c->sheet);
    }
    char msg[LEXP_ERROR_MESSAGE_MAX * 2];
    int n = snprintf(msg, sizeof msg, "%s: %s%s", c->part, where, e->message);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len >= sizeof e->message) { /* cut at a character boundary */
        len = sizeof e->message - 1;
        while (len > 0 && ((unsigned char)msg[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(e->message, msg, len);
    e->message[len] = 0;
}

int fx_eval_begin(fx_ctx *c) { return fx_eval_begin_for(c, c->host); }

int fx_eval_begin_for(fx_ctx *c, const lexp_template *host)
{
    if (lexp__eval_open(&c->ev, &c->evA, host, c->data, c->opt, c->err)) {
        lexp__eval_close(&c->ev);
        return c->err->code ? c->err->code : LEXP_EINVAL;
    }
    c->ev_open = 1;
    return 0;
}

void fx_eval_end(fx_ctx *c)
{
    if (c->ev_open)
        lexp__eval_close(&c->ev);
    c->ev_open = 0;
}

static int type_of(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n >= 5 && strcasecmp(name + n - 5, ".docx") == 0)
        return LEXP_FORMAT_DOCX;
    if (n >= 5 && strcasecmp(name + n - 5, ".xlsx") == 0)
        return LEXP_FORMAT_XLSX;
    return -1;
}

static int not_fillable(const char *name, lexp_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n >= 5 && (strcasecmp(name + n - 5, ".docm") == 0 || strcasecmp(name + n - 5, ".xlsm") == 0))
        return lexp__error_set(err, LEXP_EINVAL, name, 0, 0, NULL,
                               "cannot fill a macro-enabled document (.docm, .xlsm): save it in "
                               "Word or Excel as a document without macros (.docx or .xlsx) "
                               "and fill that");
    return lexp__error_set(err, LEXP_EINVAL, name, 0, 0, NULL,
                           "cannot fill this file: an office template is a .docx or .xlsx file");
}

/* Fill from the bytes of a package, or (t not NULL) from a prepared one. */
static int fill(lexp_buf *out, const lexp_office_template *t, const void *bytes, size_t size,
                const char *name, const lexp_data *data, const lexp_render_options *opt,
                lexp_error *err)
{
    int type = t ? t->type : type_of(name);
    if (type < 0)
        return not_fillable(name, err);
    lexp_render_options defaults = LEXP_RENDER_OPTIONS_INIT;
    fx_ctx c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.data = data;
    c.opt = opt ? opt : &defaults;
    c.err = err;
    lexp__arena_init(&c.A);
    lexp__arena_init(&c.evA);
    c.tpl = t;
    c.host = lexp__template_host(name);
    int rc;
    if (!c.host) {
        rc = fx_oom(&c);
    } else {
        rc = t ? fx_pkg_borrow(&c, t) : fx_pkg_open(&c, bytes, size);
        if (rc == 0)
            rc = type == LEXP_FORMAT_DOCX ? fx_docx(&c) : fx_xlsx(&c);
        if (rc == 0) {
            fx_locate(&c);
            rc = fx_fill_props(&c);
        }
        fx_locate(&c); /* while the part is still known */
        c.part = NULL;
        c.sheet = NULL;
        if (rc == 0)
            rc = fx_pkg_write(&c, out);
    }
    if (rc || lexp__error_is_set(err)) {
        fx_locate(&c);
        if (!lexp__error_is_set(err))
            fx_fail(&c, LEXP_EEVAL, 0, 0, "filling failed");
        rc = err->code;
    }
    fx_eval_end(&c);
    if (c.pctx)
        xmlFreeParserCtxt(c.pctx);
    fx_pkg_close(&c.pkg);
    if (c.host)
        lexp_template_free(c.host);
    lexp__arena_free(&c.A);
    lexp__arena_free(&c.evA);
    return rc;
}

int fx_check_size(size_t size, const char *name, lexp_error *e)
{
    if (size > FX_MAX_FILE)
        return lexp__error_set(e, LEXP_ELIMIT, name, 0, 0, NULL,
                               "the template is %.1f MB; the limit is %u MB",
                               (double)size / 1048576.0, FX_MAX_FILE >> 20);
    return 0;
}

int fx_check_name(const char *name, lexp_error *e)
{
    return type_of(name) < 0 ? not_fillable(name, e) : 0;
}

int fx_fill_prepared(lexp_buf *out, const lexp_office_template *t, const lexp_data *data,
                     const lexp_render_options *opt, lexp_error *e)
{
    return fill(out, t, NULL, 0, t->name, data, opt, e);
}

/* Read and check a package once (fill_prepared.c keeps the result). */
int fx_prepare(lexp_office_template *t, lexp_error *err)
{
    int type = type_of(t->name);
    if (type < 0)
        return not_fillable(t->name, err);
    t->type = type;
    fx_ctx c;
    memset(&c, 0, sizeof c);
    c.name = t->name;
    c.err = err;
    int rc = fx_pkg_open(&c, t->bytes, t->size);
    if (rc == 0) {
        for (int i = 0; i < c.pkg.n; i++) {
            fx_entry_tags(&c.pkg.e[i]);
            t->inflated += c.pkg.e[i].len;
        }
        t->n = c.pkg.n;
        int kept = fx_pkg_keep_raw(&c);
        if (kept < 0) {
            rc = fx_oom(&c);
        } else {
            t->raw_all = kept;
            for (int i = 0; i < c.pkg.n; i++)
                t->inflated += c.pkg.e[i].rawlen;
        }
        fx_memo_build(&c, t);
        if (type == LEXP_FORMAT_DOCX)
            fx_docx_prepare(&c, t);
        t->e = c.pkg.e;
        c.pkg.e = NULL;
        c.pkg.n = 0;
    } else {
        fx_locate(&c);
        rc = err->code;
    }
    if (c.pctx)
        xmlFreeParserCtxt(c.pctx);
    fx_pkg_close(&c.pkg); /* the zip; the bytes stay with t */
    return rc;
}

int lexp_fill_memory(lexp_buf *out, const void *bytes, size_t size, const char *name,
                     const lexp_data *data, const lexp_render_options *opt, lexp_error *err)
{
    lexp_error local;
    lexp_error *e = err ? err : &local;
    lexp_error_clear(e);
    if (!out || (!bytes && size) || !data)
        return lexp__error_set(e, LEXP_EINVAL, name, 0, 0, NULL, "invalid argument");
    out->ptr = NULL;
    out->size = 0;
    if (!name)
        name = "<template>";
    if (fx_check_size(size, name, e))
        return e->code;
    if (opt && opt->engine)
        return fx_fill_cached(out, opt->engine, NULL, bytes, size, name, data, opt, e);
    return fill(out, NULL, bytes, size, name, data, opt, e);
}

int lexp_fill(lexp_buf *out, const char *template_path, const lexp_data *data,
              const lexp_render_options *opt, lexp_error *err)
{
    lexp_error local;
    lexp_error *e = err ? err : &local;
    lexp_error_clear(e);
    if (!out || !template_path || !data)
        return lexp__error_set(e, LEXP_EINVAL, template_path, 0, 0, NULL, "invalid argument");
    out->ptr = NULL;
    out->size = 0;
    if (type_of(template_path) < 0)
        return not_fillable(template_path, e);
    if (opt && opt->engine)
        return fx_fill_cached(out, opt->engine, template_path, NULL, 0, template_path, data,
                              opt, e);
    char *bytes = NULL;
    size_t size = 0;
    int rc = lexp__read_file(&bytes, &size, template_path, FX_MAX_FILE, e);
    if (rc)
        return rc;
    rc = fill(out, NULL, bytes, size, template_path, data, opt, e);
    free(bytes);
    return rc;
}
