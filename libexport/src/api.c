/*
 * Public entry points that tie the modules together: versions, errors,
 * buffers, formats, the engine, atomic file output and the render pipeline.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "eval/period.h"
#include "render/render.h"
#include "util/util.h"

const char *lexp_version(void) { return LEXP_VERSION_STRING; }

int lexp_version_number(void) { return LEXP_VERSION; }

const char *lexp_strerror(int code)
{
    switch (code) {
    case LEXP_OK: return "success";
    case LEXP_ESYNTAX: return "syntax error";
    case LEXP_EDATA: return "invalid data";
    case LEXP_EEVAL: return "template evaluation failed";
    case LEXP_EIO: return "input/output error";
    case LEXP_ENOMEM: return "out of memory";
    case LEXP_EINVAL: return "invalid argument";
    case LEXP_EBACKEND: return "back-end library failed";
    case LEXP_ELIMIT: return "limit exceeded";
    case LEXP_ENOTFOUND: return "not found";
    default: return "unknown error";
    }
}

void lexp_error_clear(lexp_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int lexp_error_format(char *dst, size_t size, const lexp_error *e, const char *kind)
{
    if (!kind)
        kind = "error";
    const char *file = e->file[0] ? e->file : "lexport";
    if (e->line > 0)
        return snprintf(dst, size, "%s:%d:%d: %s: %s", file, e->line,
                        e->column > 0 ? e->column : 1, kind, e->message);
    if (e->path[0])
        return snprintf(dst, size, "%s: %s: %s: %s", file, kind, e->path, e->message);
    return snprintf(dst, size, "%s: %s: %s", file, kind, e->message);
}

void lexp_buf_dispose(lexp_buf *buf)
{
    if (!buf)
        return;
    free(buf->ptr);
    buf->ptr = NULL;
    buf->size = 0;
}

/* ---- formats ----------------------------------------------------------- */

static const char *const format_names[] = {"txt", "pdf", "docx", "xlsx", "tree"};

int lexp_format_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < 5; i++)
        if (strcasecmp(name, format_names[i]) == 0)
            return i;
    if (strcasecmp(name, "xml") == 0)
        return LEXP_FORMAT_TREE;
    if (strcasecmp(name, "text") == 0)
        return LEXP_FORMAT_TXT;
    return -1;
}

int lexp_format_from_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!dot || (slash && dot < slash))
        return -1;
    return lexp_format_from_name(dot + 1);
}

const char *lexp_format_name(int format)
{
    return (format >= 0 && format < 5) ? format_names[format] : NULL;
}

int lexp_font_role_from_name(const char *name)
{
    static const char *const names[] = {"song", "fangsong", "hei", "kai", "xiaobiaosong",
                                        "latin"};
    if (!name)
        return -1;
    for (int i = 0; i < LEXP_ROLE_COUNT; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return -1;
}

int lexp_month_valid(const char *month)
{
    int y, m;
    return month && lexp__parse_month(month, strlen(month), &y, &m) && y <= 9999;
}

int lexp_period_valid(const char *period)
{
    lexp__period p;
    return lexp__period_parse(period, &p);
}

/* ---- engine ---------------------------------------------------------------- */

void lexp__tcache_free(lexp__tcache *c); /* template.c */

lexp_engine *lexp_engine_new(void)
{
    lexp_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (pthread_mutex_init(&e->lock, NULL) != 0) {
        free(e);
        return NULL;
    }
    return e;
}

void lexp_engine_free(lexp_engine *e)
{
    if (!e)
        return;
    lexp__tcache_free(e->templates);
    if (e->pdf_fonts && e->pdf_fonts_free)
        e->pdf_fonts_free(e->pdf_fonts);
    if (e->pdf_images && e->pdf_images_free)
        e->pdf_images_free(e->pdf_images);
    if (e->office && e->office_free)
        e->office_free(e->office);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

void lexp__engine_lock(lexp_engine *e)
{
    if (e)
        pthread_mutex_lock(&e->lock);
}

void lexp__engine_unlock(lexp_engine *e)
{
    if (e)
        pthread_mutex_unlock(&e->lock);
}

/* ---- atomic output ------------------------------------------------------ */

int lexp_write_file(const char *path, const void *bytes, size_t size, lexp_error *err)
{
    if (!path)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    return lexp__write_files(1, &path, &bytes, &size, err);
}

int lexp_write_files(size_t n, const char *const *paths, const lexp_buf *bufs,
                     lexp_error *err)
{
    lexp_error_clear(err);
    if (n && (!paths || !bufs))
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    if (n > 64)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "at most 64 files are written at once, not %zu", n);
    const void *bytes[64];
    size_t sizes[64];
    for (size_t i = 0; i < n; i++) {
        bytes[i] = bufs[i].ptr;
        sizes[i] = bufs[i].size;
    }
    return lexp__write_files(n, paths, bytes, sizes, err);
}

/* ---- rendering a tree ------------------------------------------------------ */

/* Whether the template allows the format: 0, or an error naming those it does. */
static int format_refused(const lexp_doc *doc, const lexp_render_options *opt, lexp_error *err)
{
    if (doc->formats && opt->format != LEXP_FORMAT_TREE && opt->format >= 0 &&
        opt->format < 5 && !(doc->formats & (1u << opt->format))) {
        char list[64] = "";
        static const int order[] = {LEXP_FORMAT_PDF, LEXP_FORMAT_DOCX, LEXP_FORMAT_XLSX,
                                    LEXP_FORMAT_TXT};
        for (int k = 0; k < 4; k++)
            if (doc->formats & (1u << order[k])) {
                int f = order[k];
                size_t n = strlen(list);
                snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", format_names[f]);
            }
        const char *tn = doc->src_file ? strrchr(doc->src_file, '/') : NULL;
        tn = tn ? tn + 1 : doc->src_file;
        return lexp__error_set(err, LEXP_EINVAL, doc->src_file, 0, 0, NULL,
                               "the template %s is not made for %s: render it as %s",
                               tn ? tn : "", format_names[opt->format], list);
    }
    return 0;
}

int lexp_doc_render(lexp_buf *out, const lexp_doc *doc, const lexp_render_options *opt,
                    lexp_error *err)
{
    lexp_error_clear(err);
    lexp_render_options defaults = LEXP_RENDER_OPTIONS_INIT;
    if (!opt)
        opt = &defaults;
    if (!out || !doc)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    out->ptr = NULL;
    out->size = 0;
    int refused = format_refused(doc, opt, err);
    if (refused)
        return refused;
    lexp__sbuf b = LEXP__SBUF_INIT;
    int rc;
    switch (opt->format) {
    case LEXP_FORMAT_TXT: rc = lexp__render_txt(&b, doc, opt, err); break;
    case LEXP_FORMAT_TREE: rc = lexp__render_tree(&b, doc, opt, err); break;
    case LEXP_FORMAT_PDF: rc = lexp__render_pdf(&b, doc, opt, err); break;
    case LEXP_FORMAT_DOCX: rc = lexp__render_docx(&b, doc, opt, err); break;
    case LEXP_FORMAT_XLSX: rc = lexp__render_xlsx(&b, doc, opt, err); break;
    default:
        rc = lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "unknown format %d",
                             opt->format);
    }
    if (rc == 0 && b.oom)
        rc = lexp__error_oom(err);
    if (rc) {
        lexp__sbuf_free(&b);
        return rc;
    }
    lexp__sbuf_to_buf(&b, out);
    return 0;
}

/* ---- the pipeline ----------------------------------------------------------- */

int lexp_render(lexp_buf *out, const lexp_template *tpl, const lexp_data *data,
                const lexp_render_options *opt, lexp_error *err)
{
    lexp_error_clear(err);
    if (!out || !tpl || !data)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    out->ptr = NULL;
    out->size = 0;
    lexp_doc *doc = NULL;
    int rc = lexp_expand(&doc, tpl, data, opt, err);
    if (rc == 0)
        rc = lexp_doc_render(out, doc, opt, err);
    lexp_doc_free(doc);
    return rc;
}

int lexp_render_to_file(const char *path, const lexp_template *tpl, const lexp_data *data,
                        const lexp_render_options *opt, lexp_error *err)
{
    lexp_render_options defaults = LEXP_RENDER_OPTIONS_INIT;
    if (!opt)
        opt = &defaults;
    if (path && tpl && data &&
        (opt->format == LEXP_FORMAT_XLSX || opt->format == LEXP_FORMAT_DOCX ||
         opt->format == LEXP_FORMAT_PDF)) {
        /* a workbook, or a document whose body or pages streamed, goes
         * from its scratch files to `path` without passing through memory:
         * with a streamed table, memory stays flat */
        lexp_doc *doc = NULL;
        int rc = lexp_expand(&doc, tpl, data, opt, err);
        if (rc == 0)
            rc = format_refused(doc, opt, err);
        if (rc == 0)
            rc = opt->format == LEXP_FORMAT_XLSX   ? lexp__render_xlsx_to(NULL, path, doc, opt, err)
                 : opt->format == LEXP_FORMAT_DOCX ? lexp__render_docx_to(NULL, path, doc, opt, err)
                                                   : lexp__render_pdf_to(NULL, path, doc, opt, err);
        lexp_doc_free(doc);
        return rc;
    }
    lexp_buf b = LEXP_BUF_INIT;
    int rc = lexp_render(&b, tpl, data, opt, err);
    if (rc == 0)
        rc = lexp_write_file(path, b.ptr, b.size, err);
    lexp_buf_dispose(&b);
    return rc;
}

/* ---- the monthly briefing ------------------------------------------------------ */

#include "data/value.h"

typedef struct {
    lexp_error first;
    int count;
} first_problem;

static void keep_first(const lexp_error *p, void *payload)
{
    first_problem *f = payload;
    if (f->count++ == 0)
        f->first = *p;
}

/* Months covered by the data: from briefing.first_issue_month (or the
 * earliest record) to the latest record. */
static void data_months(const lexp_data *data, int *lo, int *hi)
{
    *lo = *hi = 0;
    static const char *const lists[] = {"activities", "disputes", "assistance"};
    for (size_t k = 0; k < 3; k++) {
        const lexp_value *a = lexp__v_getz(data->root, lists[k]);
        if (!a || a->type != LV_ARR)
            continue;
        for (uint32_t i = 0; i < a->len; i++) {
            const lexp_value *d = lexp__v_getz(a->u.items[i], "date");
            int y, m, dd;
            if (!d || d->type != LV_STR || !lexp__parse_date(d->u.str, d->len, &y, &m, &dd))
                continue;
            int ym = y * 12 + (m - 1);
            if (!*lo || ym < *lo)
                *lo = ym;
            if (!*hi || ym > *hi)
                *hi = ym;
        }
    }
    const lexp_value *b = lexp__v_getz(data->root, "briefing");
    const lexp_value *f = b ? lexp__v_getz(b, "first_issue_month") : NULL;
    int y, m;
    if (f && f->type == LV_STR && lexp__parse_month(f->u.str, f->len, &y, &m))
        *lo = y * 12 + (m - 1);
}

int lexp_brief(lexp_buf *out, const lexp_data *data, const char *month,
               const lexp_render_options *opt, lexp_error *err)
{
    lexp_error_clear(err);
    if (!out || !data)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    if (!lexp_month_valid(month))
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                               "--month \"%s\": expected a month YYYY-MM (01–12)",
                               month ? month : "");
    first_problem fp;
    memset(&fp, 0, sizeof fp);
    if (lexp_data_check(data, keep_first, &fp) > 0) {
        if (err) {
            *err = fp.first;
            if (fp.count > 1) {
                size_t n = strlen(err->message);
                snprintf(err->message + n, sizeof err->message - n,
                         " (and %d more problem%s: run lexport check)", fp.count - 1,
                         fp.count > 2 ? "s" : "");
            }
        }
        return LEXP_EDATA;
    }
    int lo, hi, y, m;
    data_months(data, &lo, &hi);
    lexp__parse_month(month, 7, &y, &m);
    int want = y * 12 + (m - 1);
    if (lo && hi && (want < lo || want > hi))
        return lexp__error_set(err, LEXP_EDATA, data->name, 0, 0, NULL,
                               "month %s is outside the data, which covers %04d-%02d to "
                               "%04d-%02d",
                               month, lo / 12, lo % 12 + 1, hi / 12, hi % 12 + 1);
    if (lo && !hi && want < lo)
        return lexp__error_set(err, LEXP_EDATA, data->name, 0, 0, NULL,
                               "month %s is before the first issue (%04d-%02d)", month,
                               lo / 12, lo % 12 + 1);
    lexp_template *tpl = NULL;
    int rc = lexp_template_load(&tpl, opt ? opt->engine : NULL, "briefing", err);
    if (rc)
        return rc;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    if (opt) /* only the fields of the caller's version exist */
        memcpy(&o, opt,
               opt->version >= 2 ? sizeof o : offsetof(lexp_render_options, period));
    o.version = LEXP_RENDER_OPTIONS_VERSION;
    o.month = month;
    o.period = NULL;
    rc = lexp_render(out, tpl, data, &o, err);
    lexp_template_free(tpl);
    return rc;
}
