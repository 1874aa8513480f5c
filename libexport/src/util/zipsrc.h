/*
 * Zip entries deflated by libdeflate (zipsrc.c): a part is compressed in one
 * call as raw DEFLATE and handed to libzip as an entry that is already
 * compressed, which libzip writes as it is (the way it copies an entry
 * between archives), so no zlib stream is set up per entry.
 */
#ifndef LEXP_ZIPSRC_H
#define LEXP_ZIPSRC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zip.h>

#include "util/util.h"

/* One libdeflate compressor, reused for every entry of one archive; not
 * shareable between threads. NULL when out of memory. */
typedef struct lexp__deflater lexp__deflater;
lexp__deflater *lexp__deflater_new(int level);
void lexp__deflater_free(lexp__deflater *d);

/* CRC-32 of n more bytes after `crc` (0 to start), for any n (zlib's
 * crc32 takes uInt lengths). */
uint32_t lexp__crc32(uint32_t crc, const void *data, size_t n);

/* Deflate `n` bytes of `data` into a new malloc'd buffer (raw DEFLATE).
 * -1 when out of memory. */
int lexp__deflater_deflate(lexp__deflater *d, const void *data, size_t n, unsigned char **out,
                           size_t *outlen);

/* A libzip source for `comp_len` bytes of raw DEFLATE that inflate to
 * `size` bytes with CRC-32 `crc`; it owns `comp` (freed with the source,
 * or here when NULL is returned). */
zip_source_t *lexp__zip_source_raw(zip_t *za, unsigned char *comp, size_t comp_len, size_t size,
                                   zip_uint32_t crc);

/* The same for bytes the caller keeps until the archive is written, with
 * the file attributes (host system, text flag, external attributes …) of
 * the entry they were taken from, so the copy's directory entry says what
 * zip_source_zip's would. */
zip_source_t *lexp__zip_source_raw_borrowed(zip_t *za, const unsigned char *comp,
                                            size_t comp_len, size_t size, zip_uint32_t crc,
                                            const zip_file_attributes_t *attr);

/* A piece of raw DEFLATE: its bytes (NULL for a scratch file's), their
 * number, and the size and CRC-32 of what they inflate to. */
typedef struct lexp__zpiece {
    const unsigned char *comp;
    size_t comp_len;
    uint64_t size;
    uint32_t crc;
} lexp__zpiece;

/* A source for one entry deflated in pieces that read in turn as one raw
 * DEFLATE stream: `head` (or NULL) in memory, `file`'s bytes from the start
 * of f, `tail` (or NULL) in memory; the earlier pieces end byte-aligned
 * and not final. All are borrowed until the archive is written, and their
 * sizes and CRCs are taken now. NULL when out of memory or libzip refused. */
zip_source_t *lexp__zip_source_pieces(zip_t *za, const lexp__zpiece *head, FILE *f,
                                      const lexp__zpiece *file, const lexp__zpiece *tail);

/* Answer ZIP_SOURCE_STAT for an entry already deflated: DEFLATE, these
 * sizes and this CRC. For a zip_source_function callback. */
zip_int64_t lexp__zip_stat_deflated(void *data, zip_uint64_t len, zip_error_t *error,
                                    zip_uint64_t size, zip_uint64_t comp_size,
                                    zip_uint32_t crc);

/* Give entry idx the DOS time (dtime, ddate), as zip_file_set_dostime
 * does, without its mktime: that reads the time zone file again on every
 * call (a stat an entry). The time is found with timegm and localtime_r and
 * checked to come back as the same fields; where it does not (a date DOS
 * cannot hold, a local time skipped by a clock change) zip_file_set_dostime
 * decides as before. libzip's return. */
int lexp__zip_set_dostime(zip_t *za, zip_uint64_t idx, zip_uint16_t dtime, zip_uint16_t ddate);

/* Read the whole of a libzip buffer source (an archive written into
 * memory) onto `out`. 0, or -1 with the reason in the source's error
 * (-2 when out of memory). */
int lexp__zip_source_slurp(zip_source_t *src, lexp__sbuf *out);

/* A libzip source for `n` bytes of `data`, deflated now (the source holds
 * the compressed bytes, not `data`). Its stat gives the DEFLATE method,
 * both sizes and the CRC-32 of `data`. NULL when out of memory; *oom then
 * says whether that was the cause (else libzip refused, see zip_strerror). */
zip_source_t *lexp__zip_source_deflated(zip_t *za, lexp__deflater *d, const void *data,
                                        size_t n, int *oom);

#endif
