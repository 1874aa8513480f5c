/*
 * The package: reading a .docx/.xlsx zip under limits, writing it back.
 *
 * Reading decompresses every entry once, counting the bytes as they come
 * (declared sizes can lie): each entry and the whole package are capped,
 * and so is the compression ratio of large entries, so a zip bomb costs at
 * most FX_MAX_TOTAL bytes and the time to inflate them. Encrypted entries,
 * unknown compression methods and duplicate names are refused.
 *
 * Writing keeps the template's entry order and each entry's timestamp (as
 * DOS fields, so the time zone cannot shift them). Entries the filler did
 * not change are copied with their compressed bytes as they were; changed
 * ones are deflated at a fixed level. Same input, same bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fill.h"
#include "../util/zipsrc.h"

/* As in the DOCX renderer (docx_zip.c): libdeflate's level 1 for the parts
 * a fill rewrites; parts under 4 KB are stored, deflating them saves a few
 * hundred bytes. */
#define FX_ZIP_LEVEL 1
#define FX_ZIP_STORE_BELOW 4096

static void dos_time(time_t t, zip_uint16_t *dtime, zip_uint16_t *ddate)
{
    struct tm tm;
    /* libzip turned the entry's DOS fields into local time with mktime;
     * localtime gives the same fields back in any time zone. */
    if (t <= 0 || !localtime_r(&t, &tm) || tm.tm_year + 1900 < 1980 ||
        tm.tm_year + 1900 > 2107) {
        *dtime = 0;
        *ddate = (zip_uint16_t)((0 << 9) | (1 << 5) | 1); /* 1980-01-01 */
        return;
    }
    *dtime = (zip_uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
    *ddate = (zip_uint16_t)(((tm.tm_year + 1900 - 1980) << 9) | ((tm.tm_mon + 1) << 5) |
                            tm.tm_mday);
}

/* Part names compare without regard to ASCII case (OPC). */
static int by_name(const void *a, const void *b)
{
    const fx_entry *x = *(const fx_entry *const *)a, *y = *(const fx_entry *const *)b;
    return strcasecmp(x->name, y->name);
}

/* OPC part names are relative, '/'-separated, without empty, '.' or '..'
 * segments (a trailing '/' marks a folder entry, which some zips have). */
static int bad_part_name(const char *n)
{
    if (n[0] == '/' || strchr(n, '\\'))
        return 1;
    for (const char *seg = n; *seg;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if ((len == 0 && end) || (len == 1 && seg[0] == '.') ||
            (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return 1;
        if (!end)
            break;
        seg = end + 1;
    }
    return 0;
}

/* A VBA project (Word's and Excel's macros) in any folder. */
static int is_macros(const char *n)
{
    const char *base = strrchr(n, '/');
    base = base ? base + 1 : n;
    return strcasecmp(base, "vbaProject.bin") == 0;
}

static int read_entry(fx_ctx *c, zip_t *za, zip_uint64_t i, const zip_stat_t *st,
                      fx_entry *e, uint64_t *total)
{
    zip_file_t *zf = zip_fopen_index(za, i, 0);
    if (!zf)
        return fx_fail(c, LEXP_ESYNTAX, 0, 0, "entry %s cannot be read: %s", e->name,
                       zip_strerror(za));
    lexp__sbuf b = LEXP__SBUF_INIT;
    uint64_t comp = (st->valid & ZIP_STAT_COMP_SIZE) ? st->comp_size : 0;
    char tmp[65536];
    int rc = 0;
    for (;;) {
        zip_int64_t got = zip_fread(zf, tmp, sizeof tmp);
        if (got < 0) {
            zip_error_t *ze = zip_file_get_error(zf);
            rc = fx_fail(c, LEXP_ESYNTAX, 0, 0,
                         "entry %s is damaged (%s); the file may be truncated", e->name,
                         zip_error_strerror(ze));
            break;
        }
        if (got == 0)
            break;
        if (b.len + (size_t)got > FX_MAX_ENTRY) {
            rc = fx_fail(c, LEXP_ELIMIT, 0, 0,
                         "entry %s expands to more than %u MB, the limit for one part",
                         e->name, FX_MAX_ENTRY >> 20);
            break;
        }
        if (*total + (uint64_t)got > FX_MAX_TOTAL) {
            rc = fx_fail(c, LEXP_ELIMIT, 0, 0,
                         "the package expands to more than %u MB (at entry %s), the limit",
                         FX_MAX_TOTAL >> 20, e->name);
            break;
        }
        *total += (uint64_t)got;
        lexp__sbuf_put(&b, tmp, (size_t)got);
        if (b.oom) {
            rc = fx_oom(c);
            break;
        }
        if (b.len > FX_RATIO_FLOOR && b.len / (comp ? comp : 1) > FX_MAX_RATIO) {
            rc = fx_fail(c, LEXP_ELIMIT, 0, 0,
                         "entry %s expands more than %d times (%llu compressed bytes to over "
                         "%zu): refused as a zip bomb",
                         e->name, FX_MAX_RATIO, (unsigned long long)comp, b.len);
            break;
        }
    }
    zip_fclose(zf);
    if (rc) {
        lexp__sbuf_free(&b);
        return rc;
    }
    lexp__sbuf_cstr(&b); /* parts are handed to parsers as C strings too */
    if (b.oom) {
        lexp__sbuf_free(&b);
        return fx_oom(c);
    }
    e->data = (unsigned char *)b.ptr;
    e->len = b.len;
    if (!e->data) {
        e->data = (unsigned char *)calloc(1, 1);
        if (!e->data)
            return fx_oom(c);
    }
    return 0;
}

/* Open the zip over bytes (not copied: they must outlive the package). */
static int zip_over(fx_ctx *c, fx_pkg *p, const void *bytes, size_t size, int flags)
{
    zip_error_t ze;
    zip_error_init(&ze);
    p->src = zip_source_buffer_create(bytes, size, 0, &ze);
    if (!p->src) {
        zip_error_fini(&ze);
        return fx_oom(c);
    }
    p->za = zip_open_from_source(p->src, flags, &ze);
    if (!p->za) {
        int zc = zip_error_code_zip(&ze);
        int rc = fx_fail(c, LEXP_ESYNTAX, 0, 0, "%s (%s)",
                         zc == ZIP_ER_NOZIP ? "not a zip archive, or one whose directory is "
                                              "missing (a truncated file?)"
                                            : "the zip archive is damaged or truncated",
                         zip_error_strerror(&ze));
        zip_error_fini(&ze);
        zip_source_free(p->src);
        p->src = NULL;
        return rc;
    }
    zip_error_fini(&ze);
    return 0;
}

int fx_entry_tags(fx_entry *e)
{
    if (e->tags < 0)
        e->tags = fx_maybe_tags((const char *)e->data, e->len);
    return e->tags;
}

int fx_pkg_keep_raw(fx_ctx *c)
{
    fx_pkg *p = &c->pkg;
    int all = 1;
    for (int i = 0; i < p->n && all; i++) {
        fx_entry *e = &p->e[i];
        zip_stat_t st;
        zip_stat_init(&st);
        if (e->dir)
            continue;
        /* a stored entry is deflated by libzip when copied: left to it */
        if (zip_stat_index(p->za, (zip_uint64_t)i, 0, &st) < 0 ||
            !(st.valid & ZIP_STAT_COMP_METHOD) || !(st.valid & ZIP_STAT_CRC) ||
            !(st.valid & ZIP_STAT_COMP_SIZE) || st.comp_method != ZIP_CM_DEFLATE ||
            st.comp_size > FX_MAX_FILE) {
            all = 0;
            break;
        }
        zip_source_t *zs = zip_source_zip(p->za, p->za, (zip_uint64_t)i, 0, 0, -1);
        int got_attr = zs && zip_source_get_file_attributes(zs, &e->attr) == 0;
        if (zs)
            zip_source_free(zs);
        if (!got_attr) {
            all = 0;
            break;
        }
        /* the entry was inflated and checked whole when it was read */
        size_t n = (size_t)st.comp_size;
        unsigned char *raw = malloc(n ? n : 1);
        if (!raw)
            return -1;
        zip_file_t *zf = zip_fopen_index(p->za, (zip_uint64_t)i, ZIP_FL_COMPRESSED);
        zip_int64_t got = zf ? zip_fread(zf, raw, n) : -1;
        if (zf)
            zip_fclose(zf);
        if (got < 0 || (size_t)got != n) {
            free(raw);
            all = 0;
            break;
        }
        e->raw = raw;
        e->rawlen = n;
        e->crc = st.crc;
    }
    if (!all) /* fills copy from the zip: the bytes kept so far are not needed */
        for (int i = 0; i < p->n; i++) {
            free(p->e[i].raw);
            p->e[i].raw = NULL;
            p->e[i].rawlen = 0;
        }
    return all;
}

int fx_pkg_borrow(fx_ctx *c, const lexp_office_template *t)
{
    fx_pkg *p = &c->pkg;
    /* checked when the template was prepared: the same bytes open the same
     * way; not needed when every entry's compressed bytes were kept */
    int rc = t->raw_all ? 0 : zip_over(c, p, t->bytes, t->size, ZIP_RDONLY);
    if (rc)
        return rc;
    p->e = malloc((size_t)t->n * sizeof *p->e);
    if (!p->e)
        return fx_oom(c);
    memcpy(p->e, t->e, (size_t)t->n * sizeof *p->e);
    p->n = t->n;
    for (int i = 0; i < p->n; i++)
        p->e[i].shared = 1;
    return 0;
}

int fx_pkg_open(fx_ctx *c, const void *bytes, size_t size)
{
    fx_pkg *p = &c->pkg;
    const unsigned char *u = bytes;
    static const unsigned char ole[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    if (size >= 8 && memcmp(u, ole, 8) == 0)
        return fx_fail(c, LEXP_ESYNTAX, 0, 0,
                       "this is an old binary Word/Excel file (.doc/.xls) or a "
                       "password-protected document, not a .docx/.xlsx package: save it as "
                       ".docx or .xlsx without a password");
    if (size < 4 || u[0] != 'P' || u[1] != 'K')
        return fx_fail(c, LEXP_ESYNTAX, 0, 0,
                       "not a zip archive: .docx and .xlsx files are zip packages (is the "
                       "file damaged or of another type?)");
    int zrc = zip_over(c, p, bytes, size, ZIP_RDONLY | ZIP_CHECKCONS);
    if (zrc)
        return zrc;
    zip_int64_t n = zip_get_num_entries(p->za, 0);
    if (n <= 0)
        return fx_fail(c, LEXP_ESYNTAX, 0, 0, "the zip archive is empty");
    if (n > FX_MAX_ENTRIES)
        return fx_fail(c, LEXP_ELIMIT, 0, 0,
                       "the package has %lld entries; the limit is %d (Office files have "
                       "a few dozen)",
                       (long long)n, FX_MAX_ENTRIES);
    p->e = calloc((size_t)n, sizeof *p->e);
    if (!p->e)
        return fx_oom(c);
    p->n = (int)n;
    uint64_t total = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        fx_entry *e = &p->e[i];
        e->tags = -1;
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(p->za, (zip_uint64_t)i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME))
            return fx_fail(c, LEXP_ESYNTAX, 0, 0, "entry %lld of the zip archive is unreadable",
                           (long long)i);
        e->name = strdup(st.name);
        if (!e->name)
            return fx_oom(c);
        if (!e->name[0])
            return fx_fail(c, LEXP_ESYNTAX, 0, 0, "the zip archive has an entry without a name");
        if (bad_part_name(e->name))
            return fx_fail(c, LEXP_ESYNTAX, 0, 0,
                           "entry %s is not a part name of an Office package (absolute, with "
                           "'.' or '..' segments or a backslash); Word, WPS and Excel never "
                           "write such names, so the file was made or changed by another tool",
                           e->name);
        if (is_macros(e->name))
            return fx_fail(c, LEXP_ESYNTAX, 0, 0,
                           "the document holds macros (%s): macro-enabled documents "
                           "(.docm, .xlsm) are not filled; save it in Word or Excel as a "
                           "document without macros (.docx or .xlsx) and fill that",
                           e->name);
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
            return fx_fail(c, LEXP_ESYNTAX, 0, 0,
                           "entry %s is encrypted: password-protected files cannot be filled",
                           e->name);
        if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE &&
            st.comp_method != ZIP_CM_DEFLATE)
            return fx_fail(c, LEXP_ESYNTAX, 0, 0,
                           "entry %s uses compression method %d; Office packages use "
                           "deflate or none",
                           e->name, (int)st.comp_method);
        if ((st.valid & ZIP_STAT_SIZE) && st.size > FX_MAX_ENTRY)
            return fx_fail(c, LEXP_ELIMIT, 0, 0,
                           "entry %s declares %llu MB; the limit for one part is %u MB",
                           e->name, (unsigned long long)(st.size >> 20), FX_MAX_ENTRY >> 20);
        dos_time((st.valid & ZIP_STAT_MTIME) ? st.mtime : 0, &e->dtime, &e->ddate);
        size_t nl = strlen(e->name);
        e->dir = e->name[nl - 1] == '/';
        int rc = read_entry(c, p->za, (zip_uint64_t)i, &st, e, &total);
        if (rc)
            return rc;
    }
    /* two entries of one name would make the result ambiguous */
    fx_entry **sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted)
        return fx_oom(c);
    for (int i = 0; i < p->n; i++)
        sorted[i] = &p->e[i];
    qsort(sorted, (size_t)p->n, sizeof *sorted, by_name);
    for (int i = 1; i < p->n; i++)
        if (strcasecmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
            int rc = fx_fail(c, LEXP_ESYNTAX, 0, 0, "the zip archive has two entries named %s",
                             sorted[i]->name);
            free(sorted);
            return rc;
        }
    free(sorted);
    /* a macro-enabled main part renamed .docx/.xlsx: Word refuses the result */
    fx_entry *ct = fx_pkg_find(p, "[Content_Types].xml");
    if (ct && ct->len < 16u << 20 && strstr((const char *)ct->data, "macroEnabled"))
        return fx_fail(c, LEXP_ESYNTAX, 0, 0,
                       "the document is macro-enabled ([Content_Types].xml declares a "
                       "macroEnabled part): .docm and .xlsm documents are not filled; save it "
                       "in Word or Excel as a document without macros (.docx or .xlsx)");
    /* Office never declares a DOCTYPE; one may hide entity expansion for the
     * next reader even in a part this fill would not touch */
    for (int i = 0; i < p->n; i++) {
        fx_entry *e = &p->e[i];
        size_t nl = strlen(e->name);
        if (!(nl > 4 && (strcmp(e->name + nl - 4, ".xml") == 0 ||
                         strcmp(e->name + nl - 4, ".vml") == 0)) &&
            !(nl > 5 && strcmp(e->name + nl - 5, ".rels") == 0))
            continue;
        const char *dt = fx_find_doctype((const char *)e->data, e->len);
        if (dt) {
            int line, col;
            lexp__line_col((const char *)e->data, (size_t)(dt - (const char *)e->data), &line,
                           &col);
            return fx_fail(c, LEXP_ESYNTAX, 0, 0,
                           "entry %s has a '<!' declaration (DOCTYPE or ENTITY) at XML line "
                           "%d; Office parts never do, and entity declarations are refused: "
                           "they can expand without bound",
                           e->name, line);
        }
    }
    return 0;
}

void fx_pkg_close(fx_pkg *p)
{
    for (int i = 0; i < p->n; i++) {
        fx_entry *e = &p->e[i];
        if (!e->shared) {
            free(e->name);
            free(e->data);
            free(e->raw);
        }
        if (e->out_xml)
            xmlFree(e->out);
        else
            free(e->out);
    }
    free(p->e);
    if (p->za)
        zip_discard(p->za); /* also frees the source */
    else if (p->src)
        zip_source_free(p->src);
    memset(p, 0, sizeof *p);
}

fx_entry *fx_pkg_find(fx_pkg *p, const char *name)
{
    if (name[0] == '/')
        name++;
    for (int i = 0; i < p->n; i++)
        if (strcasecmp(p->e[i].name, name) == 0)
            return &p->e[i];
    return NULL;
}

fx_entry *fx_pkg_add(fx_pkg *p, const char *name)
{
    fx_entry *v = realloc(p->e, ((size_t)p->n + 1) * sizeof *v);
    if (!v)
        return NULL;
    p->e = v;
    fx_entry *e = &v[p->n];
    memset(e, 0, sizeof *e);
    e->tags = -1;
    if (!(e->name = strdup(name)))
        return NULL;
    p->n++;
    return e;
}

void fx_pkg_set(fx_entry *e, unsigned char *bytes, size_t len, int is_xml)
{
    if (e->out_xml)
        xmlFree(e->out);
    else
        free(e->out);
    e->out = bytes;
    e->outlen = len;
    e->out_xml = is_xml;
}

static int zfail(fx_ctx *c, const char *what, const char *msg)
{
    return fx_fail(c, LEXP_EBACKEND, 0, 0, "libzip: %s: %s", what, msg ? msg : "failed");
}

int fx_pkg_write(fx_ctx *c, lexp_buf *out)
{
    fx_pkg *p = &c->pkg;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_CREATE | ZIP_TRUNCATE, &ze) : NULL;
    if (!za) {
        int rc = zfail(c, "creating the archive", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        if (src)
            zip_source_free(src);
        return rc;
    }
    zip_error_fini(&ze);
    zip_source_keep(src); /* read the result back after zip_close */
    int rc = 0;
    /* parts the fill rewrote are deflated by libdeflate and handed over
     * deflated (util/zipsrc.h); the others are copied as they are */
    lexp__deflater *dfl = NULL;
    for (int i = 0; i < p->n && rc == 0; i++) {
        fx_entry *e = &p->e[i];
        if (e->removed)
            continue;
        zip_int64_t idx;
        if (e->dir) {
            idx = zip_dir_add(za, e->name, 0);
        } else {
            int store = e->out && e->outlen < FX_ZIP_STORE_BELOW, oom = 0;
            if (e->out && !store && !dfl && !(dfl = lexp__deflater_new(FX_ZIP_LEVEL))) {
                rc = fx_oom(c);
                break;
            }
            zip_source_t *s;
            if (e->out)
                s = store ? zip_source_buffer(za, e->out, e->outlen, 0)
                          : lexp__zip_source_deflated(za, dfl, e->out, e->outlen, &oom);
            else if (p->za) /* copied from the template's zip */
                s = zip_source_zip(za, p->za, (zip_uint64_t)i, 0, 0, -1);
            else if (e->raw) /* a prepared template's, as it holds it */
                s = lexp__zip_source_raw_borrowed(za, e->raw, e->rawlen, e->len, e->crc,
                                                  &e->attr);
            else /* cannot happen (raw_all): its bytes, which libzip deflates */
                s = zip_source_buffer(za, e->data, e->len, 0);
            idx = s ? zip_file_add(za, e->name, s, 0) : -1;
            if (idx < 0 && s)
                zip_source_free(s);
            if (idx < 0 && oom) {
                rc = fx_oom(c);
                break;
            }
            /* a deflated entry keeps the default method: libzip copies it */
            if (idx >= 0 && store &&
                zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) < 0) {
                rc = zfail(c, e->name, zip_strerror(za));
                break;
            }
        }
        if (idx < 0) {
            rc = zfail(c, e->name, zip_strerror(za));
            break;
        }
        zip_uint64_t k = (zip_uint64_t)idx;
        if (rc == 0 && lexp__zip_set_dostime(za, k, e->dtime, e->ddate) < 0)
            rc = zfail(c, e->name, zip_strerror(za));
    }
    if (rc == 0 && zip_close(za) < 0)
        rc = zfail(c, "writing the archive", zip_strerror(za));
    lexp__deflater_free(dfl);
    if (rc) {
        zip_discard(za);
        zip_source_free(src);
        return rc;
    }
    lexp__sbuf b = LEXP__SBUF_INIT;
    int r = lexp__zip_source_slurp(src, &b);
    if (r == -2)
        rc = fx_oom(c);
    else if (r)
        rc = zfail(c, "reading the archive back", zip_error_strerror(zip_source_error(src)));
    zip_source_free(src);
    if (rc) {
        lexp__sbuf_free(&b);
        return rc;
    }
    out->ptr = (unsigned char *)b.ptr;
    out->size = b.len;
    return 0;
}
