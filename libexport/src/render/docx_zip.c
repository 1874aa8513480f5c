/*
 * DOCX: the zip container, written with libzip into memory.
 *
 * The bytes depend on the document only: entries go in a fixed order,
 * every entry gets the same DOS timestamp (the document's date, else
 * 1980-01-01; set as DOS fields so the time zone cannot shift it), and the
 * compression method and level are fixed. Bigger parts are deflated by
 * libdeflate (util/zipsrc.c) and given to libzip already compressed.
 */
#include <string.h>
#include <zip.h>

#include "docx.h"
#include "util/zipsrc.h"

/* libdeflate level 1: the fastest, and within about 1 % of the size zlib's
 * level 1 gave (the peers' briefings: 31,567 -> 31,912 B of deflated parts;
 * level 2 is 4 % smaller and slower). */
#define DX_ZIP_LEVEL 1
/* Parts smaller than this are stored: deflating one saves a few hundred
 * bytes, not worth its time. */
#define DX_ZIP_STORE_BELOW 4096

/* Package order: content types first (some readers sniff it), then the
 * package relationships and properties, the main part, its relationships
 * and the parts it refers to. */
static int rank(const char *name)
{
    static const char *const order[] = {
        "[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "docProps/app.xml",
        "word/document.xml", "word/_rels/document.xml.rels", "word/styles.xml",
        "word/settings.xml", "word/fontTable.xml", "word/footer", "word/charts/",
        "word/media/"};
    for (int i = 0; i < (int)(sizeof order / sizeof *order); i++)
        if (strncmp(name, order[i], strlen(order[i])) == 0)
            return i;
    return (int)(sizeof order / sizeof *order);
}

static int zip_fail(dx *c, const char *what, const char *msg)
{
    return lexp__error_set(c->err, LEXP_EBACKEND, NULL, 0, 0, NULL, "libzip: %s: %s", what,
                           msg ? msg : "failed");
}

static void dos_date(const lexp_doc *d, zip_uint16_t *dtime, zip_uint16_t *ddate)
{
    int y = 1980, m = 1, day = 1, py, pm, pd;
    if (d->date && lexp__parse_date(d->date, strlen(d->date), &py, &pm, &pd) && py >= 1980 &&
        py <= 2107) { /* the range of DOS dates */
        y = py;
        m = pm;
        day = pd;
    }
    *dtime = 0;
    *ddate = (zip_uint16_t)(((y - 1980) << 9) | (m << 5) | day);
}

int dx_zip(dx *c, lexp__sbuf *out, const char *to)
{
    int spooled = 0;
    for (int i = 0; i < c->nparts; i++)
        spooled |= c->parts[i].spooled;
    lexp__zout zo;
    int rc = lexp__zout_open(&zo, spooled && !out ? c->tmpdir : NULL, "docx", c->err);
    if (rc)
        return rc;
    zip_t *za = zo.za;
    lexp__deflater *dfl = lexp__deflater_new(DX_ZIP_LEVEL);
    if (!dfl) {
        lexp__zout_discard(&zo);
        return lexp__error_oom(c->err);
    }
    zip_uint16_t dtime, ddate;
    dos_date(c->doc, &dtime, &ddate);
    int last = rank("");
    for (int r = 0; r <= last && !rc; r++)
        for (int i = 0; i < c->nparts && !rc; i++) {
            const dx_part *p = &c->parts[i];
            if (rank(p->name) != r)
                continue;
            int store = !p->spooled && (p->store || p->len < DX_ZIP_STORE_BELOW), oom = 0;
            zip_source_t *s = p->spooled ? lexp__zip_source_zspool(za, NULL, &c->spool, NULL)
                              : store    ? zip_source_buffer(za, p->data, p->len, 0)
                                  : lexp__zip_source_deflated(za, dfl, p->data, p->len, &oom);
            zip_int64_t idx = s ? zip_file_add(za, p->name, s, 0) : -1;
            if (idx < 0) {
                rc = oom ? lexp__error_oom(c->err) : zip_fail(c, p->name, zip_strerror(za));
                if (s)
                    zip_source_free(s);
                break;
            }
            zip_uint64_t k = (zip_uint64_t)idx;
            /* A deflated entry keeps the default method: libzip takes the
             * source's DEFLATE and copies its bytes without recompressing. */
            if ((store && zip_set_file_compression(za, k, ZIP_CM_STORE, 0) < 0) ||
                lexp__zip_set_dostime(za, k, dtime, ddate) < 0)
                rc = zip_fail(c, p->name, zip_strerror(za));
        }
    if (!rc && zip_close(za) < 0)
        rc = zip_fail(c, "writing the archive", zip_strerror(za));
    lexp__deflater_free(dfl);
    if (rc) {
        lexp__zout_discard(&zo);
        return rc;
    }
    return lexp__zout_deliver(&zo, out, to, c->err);
}
