/*
 * Minimal Word and Excel packages built in memory with libzip, for the
 * fill unit test and benchmark (no binary fixtures). Only the parts a
 * reader needs: content types, relationships, the main part (and a sheet).
 */
#ifndef OFFICE_MIN_H
#define OFFICE_MIN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

typedef struct om_part {
    const char *name;
    const char *data;
} om_part;

/* A new archive written into memory; *src is kept for om_zip_bytes. */
static inline zip_t *om_zip_new(zip_source_t **src)
{
    zip_error_t ze;
    zip_error_init(&ze);
    *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = *src ? zip_open_from_source(*src, ZIP_CREATE | ZIP_TRUNCATE, &ze) : NULL;
    zip_error_fini(&ze);
    if (!za) {
        if (*src)
            zip_source_free(*src);
        return NULL;
    }
    zip_source_keep(*src);
    return za;
}

/* Close an archive made by om_zip_new and free its source; returns its
 * bytes (malloc'd; NULL on failure). */
static inline unsigned char *om_zip_bytes(zip_t *za, zip_source_t *src, size_t *len)
{
    unsigned char *out = NULL;
    if (zip_close(za) == 0 && zip_source_open(src) == 0) {
        zip_source_seek(src, 0, SEEK_END);
        zip_int64_t size = zip_source_tell(src);
        zip_source_seek(src, 0, SEEK_SET);
        out = size >= 0 ? malloc(size ? (size_t)size : 1) : NULL;
        if (out && zip_source_read(src, out, (zip_uint64_t)size) != size) {
            free(out);
            out = NULL;
        }
        *len = (size_t)size;
        zip_source_close(src);
    }
    zip_source_free(src);
    return out;
}

/* Zip the parts; returns malloc'd bytes (NULL on failure). */
static inline unsigned char *om_zip(const om_part *parts, int n, size_t *len)
{
    zip_source_t *src;
    zip_t *za = om_zip_new(&src);
    if (!za)
        return NULL;
    for (int i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(za, parts[i].data, strlen(parts[i].data), 0);
        if (!s || zip_file_add(za, parts[i].name, s, 0) < 0)
            return NULL;
    }
    return om_zip_bytes(za, src, len);
}

#define OM_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define OM_S "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define OM_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define OM_PR "http://schemas.openxmlformats.org/package/2006/relationships"

/* A .docx whose word/document.xml is `doc`. */
static inline unsigned char *om_docx_doc(const char *doc, size_t *len)
{
    om_part parts[] = {
        {"[Content_Types].xml",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas."
         "openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" "
         "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default "
         "Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/"
         "document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument."
         "wordprocessingml.document.main+xml\"/></Types>"},
        {"_rels/.rels",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"" OM_PR "\">"
         "<Relationship Id=\"rId1\" Type=\"" OM_R "/officeDocument\" "
         "Target=\"word/document.xml\"/></Relationships>"},
        {"word/document.xml", doc}};
    return om_zip(parts, 3, len);
}

/* A .docx whose body holds `body` (w:p and w:tbl elements). */
static inline unsigned char *om_docx(const char *body, size_t *len)
{
    size_t n = strlen(body) + 512;
    char *doc = malloc(n);
    snprintf(doc, n,
             "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
             "<w:document xmlns:w=\"" OM_W "\"><w:body>%s<w:sectPr/></w:body></w:document>",
             body);
    unsigned char *z = om_docx_doc(doc, len);
    free(doc);
    return z;
}

/* A .xlsx with one sheet "S" whose part is `sheet`. */
static inline unsigned char *om_xlsx_sheet(const char *sheet, size_t *len)
{
    om_part parts[] = {
        {"[Content_Types].xml",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas."
         "openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" "
         "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default "
         "Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/"
         "workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument."
         "spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" "
         "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml."
         "worksheet+xml\"/></Types>"},
        {"_rels/.rels",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"" OM_PR "\">"
         "<Relationship Id=\"rId1\" Type=\"" OM_R "/officeDocument\" "
         "Target=\"xl/workbook.xml\"/></Relationships>"},
        {"xl/workbook.xml",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"" OM_S "\" xmlns:r=\"" OM_R
         "\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"},
        {"xl/_rels/workbook.xml.rels",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"" OM_PR "\">"
         "<Relationship Id=\"rId1\" Type=\"" OM_R "/worksheet\" "
         "Target=\"worksheets/sheet1.xml\"/></Relationships>"},
        {"xl/worksheets/sheet1.xml", sheet}};
    return om_zip(parts, 5, len);
}

/* A .xlsx with one sheet "S" whose sheetData holds `rows`; `after` goes
 * after sheetData (mergeCells …). */
static inline unsigned char *om_xlsx(const char *rows, const char *after, size_t *len)
{
    size_t n = strlen(rows) + strlen(after) + 512;
    char *sheet = malloc(n);
    snprintf(sheet, n,
             "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
             "<worksheet xmlns=\"" OM_S "\"><dimension ref=\"A1\"/><sheetData>%s</sheetData>%s"
             "</worksheet>",
             rows, after);
    unsigned char *z = om_xlsx_sheet(sheet, len);
    free(sheet);
    return z;
}

/* A zip in memory opened to read (zip_discard when done), or NULL; libzip
 * checks that its directory and local headers agree (ZIP_CHECKCONS). */
static inline zip_t *om_open(const unsigned char *zip, size_t len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(zip, len, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    zip_error_fini(&ze);
    if (!za && src)
        zip_source_free(src);
    return za;
}

/* One entry of a zip in memory, NUL-terminated (malloc'd), or NULL. */
static inline char *om_read(const unsigned char *zip, size_t len, const char *name)
{
    zip_t *za = om_open(zip, len);
    if (!za)
        return NULL;
    zip_stat_t st;
    char *out = NULL;
    if (zip_stat(za, name, 0, &st) == 0) {
        zip_file_t *f = zip_fopen(za, name, 0);
        out = malloc(st.size + 1);
        if (f && out && zip_fread(f, out, st.size) == (zip_int64_t)st.size) {
            out[st.size] = 0;
        } else {
            free(out);
            out = NULL;
        }
        if (f)
            zip_fclose(f);
    }
    zip_discard(za);
    return out;
}

#endif
