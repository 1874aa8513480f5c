/*
 * Bytes in and out of libharu without its byte-by-byte copies: its memory
 * streams copy one byte at a time, and a font program went through four
 * such copies (into its stream, out of it and into the document at save,
 * out of the document), a fifth of a warm briefing. A stream made here
 * reads the caller's bytes with memcpy; page contents are deflated here
 * with libdeflate (zlib's default level took three times as long); the
 * document is saved straight into the caller's buffer.
 */
#ifndef LEXP_PDF_STREAM_H
#define LEXP_PDF_STREAM_H

#include <hpdf.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

/* Writes "/Filter /FlateDecode" for a stream whose bytes are deflated
 * already: libharu drops a /Filter entry of a stream it does not
 * compress itself, so the key goes in through the dictionary's write_fn. */
HPDF_STATUS lexp__hpdf_flate_key(HPDF_Dict obj, HPDF_Stream stream);

/* Make d's stream read p[0..n), which must outlive the document; with
 * `own` the stream frees p (malloc'd) when libharu frees the stream.
 * Returns 0, or -1 when out of memory (p is then freed if owned). */
int lexp__hpdf_set_bytes(HPDF_Doc pdf, HPDF_Dict d, const unsigned char *p, size_t n, int own);

/* Deflate a finished page's content stream here (see above): what libharu
 * holds of it, then tail[0..n) (operators gathered by the caller). A page
 * left inside a text or path object, or with a saved graphics state, gets
 * the tail appended and is left to libharu (it closes those when saving).
 * *keep holds the compressor from one page to the next (lexp__deflate_kept).
 * *zlen: the deflated size (an estimate for a page left to libharu), for
 * the room the saved file needs. With fd ≥ 0 the deflated bytes are
 * appended to that scratch file (*fdlen: its length, advanced) and read
 * back when the document is saved: a long document does not hold its pages. Returns 0, -1 when out
 * of memory, -2 when the scratch file cannot be written. */
int lexp__hpdf_pack_page(HPDF_Doc pdf, HPDF_Page page, const char *tail, size_t n,
                         void **keep, size_t *zlen, int fd, uint64_t *fdlen);
/* Make d's stream read n bytes of file fd from off (fd stays open until
 * the document is freed). 0, or -1 when out of memory. */
int lexp__hpdf_set_file(HPDF_Doc pdf, HPDF_Dict d, int fd, uint64_t off, size_t n);

/* HPDF_SaveToStream, the document appended to out as it is written.
 * Returns libharu's status (out as it was on failure). */
HPDF_STATUS lexp__hpdf_save(HPDF_Doc pdf, lexp__sbuf *out);
/* The same, written to file descriptor fd (buffered). HPDF_FILE_IO_ERROR
 * when a write fails. */
HPDF_STATUS lexp__hpdf_save_fd(HPDF_Doc pdf, int fd);

#endif
