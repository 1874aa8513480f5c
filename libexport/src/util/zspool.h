/*
 * Parts too long to hold (zspool.c): a zip entry's XML deflated as it is
 * written, into a scratch file, so a million-row table costs a file, not
 * memory. The XLSX writer spools a sheet's rows this way, the DOCX writer
 * word/document.xml once it grows long. One zlib stream runs through the
 * whole spool; pieces deflated apart (a sheet's head and tail) can go
 * around it when each ends byte-aligned.
 */
#ifndef LEXP_ZSPOOL_H
#define LEXP_ZSPOOL_H

#include <stdint.h>
#include <stdio.h>
#include <zip.h>

#include "util/util.h"
#include "util/zipsrc.h"

typedef struct lexp__zspool {
    FILE *f;        /* the scratch file, already unlinked; NULL until opened */
    void *z;        /* its zlib stream */
    const char *who; /* "xlsx", "docx": the start of error messages */
    uint32_t crc;   /* CRC-32 of every byte put */
    uint64_t size;  /* bytes put */
    uint64_t comp;  /* deflated bytes in the file */
} lexp__zspool;

/* How a put ends the deflated bytes so far. */
enum { LEXP_ZSPOOL_MORE = 0, LEXP_ZSPOOL_SYNC = 1, LEXP_ZSPOOL_FINISH = 2 };

/* $TMPDIR, else /tmp: scratch files can be big, so not a memory file
 * system by default. */
const char *lexp__tmpdir(void);

/* A scratch file in `tmpdir`, already unlinked and close-on-exec: its
 * descriptor, or -1 with LEXP_EIO set ("WHO: cannot create a temporary
 * file in DIR: why"). */
int lexp__scratch_fd(const char *tmpdir, const char *who, lexp_error *err);

/* Create the scratch file in `tmpdir` and a raw-DEFLATE zlib stream of
 * `level`. 0, or LEXP_EIO / LEXP_ENOMEM with the error set. */
int lexp__zspool_open(lexp__zspool *s, const char *tmpdir, int level, const char *who,
                      lexp_error *err);
/* Deflate n more bytes into the file; `end` is LEXP_ZSPOOL_MORE, _SYNC
 * (byte-aligned, more may follow) or _FINISH (the final block; the file is
 * flushed). 0, or an error (a full disk says so). */
int lexp__zspool_put(lexp__zspool *s, const void *data, size_t n, int end, lexp_error *err);
/* Close the stream and the file (its space goes back at once). */
void lexp__zspool_free(lexp__zspool *s);

/* lexp__zip_source_pieces with the spool's file between `head` and `tail`
 * (either NULL), after the spool's last put. */
zip_source_t *lexp__zip_source_zspool(zip_t *za, const lexp__zpiece *head,
                                      const lexp__zspool *s, const lexp__zpiece *tail);

/* An archive being written: into memory, or into a scratch file when one
 * of its entries is a spool (it would not fit in memory either). */
typedef struct lexp__zout {
    zip_t *za;
    zip_source_t *mem; /* the memory archive, or NULL */
    char *tmp;         /* the scratch file's path, or NULL */
    const char *who;
} lexp__zout;

/* Start an archive: in memory, or with `tmpdir` in a scratch file there.
 * 0, or an error. */
int lexp__zout_open(lexp__zout *z, const char *tmpdir, const char *who, lexp_error *err);
/* After a successful zip_close: the archive's bytes onto `out`, or (out
 * NULL) to the file `to` (lexp__write_files: a temporary renamed into
 * place). Frees what z holds. */
int lexp__zout_deliver(lexp__zout *z, lexp__sbuf *out, const char *to, lexp_error *err);
/* Give up the archive (zip_discard) and free what z holds. */
void lexp__zout_discard(lexp__zout *z);

#endif
