/*
 * Ledgers (台账): the workbooks and CSV files community offices keep,
 * read into the same data as a JSON file (DESIGN §3.2a).
 *
 * Two stages. A reader (lx_xlsx.c, lx_csv.c) turns the file into a book of
 * sheets of cells, knowing nothing of what the cells mean; the mapper
 * (lx_map.c) finds sheets by name, headers by text and turns rows into
 * records, with every error naming the sheet and cell. The result is a
 * jansson object, handed to the JSON loader's conversion so a ledger and a
 * JSON file of the same facts become the same values.
 */
#ifndef LEXP_LEDGER_H
#define LEXP_LEDGER_H

#include <jansson.h>
#include <stdint.h>

#include "../util/util.h"

#define LX_MAX_FILE LEXP_LEDGER_MAX_FILE
#define LX_MAX_ENTRIES LEXP_LEDGER_MAX_ENTRIES
#define LX_MAX_PART LEXP_LEDGER_MAX_PART
#define LX_MAX_TOTAL LEXP_LEDGER_MAX_TOTAL
#define LX_MAX_RATIO LEXP_LEDGER_MAX_RATIO
#define LX_RATIO_FLOOR (1024u * 1024u) /* the ratio applies above this size */
#define LX_MAX_DEPTH LEXP_LEDGER_MAX_DEPTH
#define LX_MAX_ROWS LEXP_LEDGER_MAX_ROWS
#define LX_MAX_COLS LEXP_LEDGER_MAX_COLS
#define LX_MAX_CELLS LEXP_LEDGER_MAX_CELLS
#define LX_MAX_CELL LEXP_DATA_MAX_STRING
#define LX_MAX_SHEETS 256
#define LX_MAX_MERGES 100000

typedef enum { LC_EMPTY = 0, LC_NUM, LC_STR, LC_BOOL, LC_ERR } lx_ctype;

typedef struct {
    uint8_t type; /* lx_ctype */
    uint8_t date; /* LC_NUM with a date number format: a serial date */
    uint32_t len; /* LC_STR, LC_ERR: bytes of s */
    const char *s; /* in the book's arena */
    double num;   /* LC_NUM, LC_BOOL (0/1) */
} lx_cell;

typedef struct {
    uint32_t r;      /* 1-based row number */
    uint32_t n;      /* cells[0..n) are columns 1..n */
    lx_cell *cells;  /* malloc'd */
} lx_row;

typedef struct {
    char *name;      /* in the arena; "" for a CSV file */
    lx_row *rows;    /* rows with at least one value, ascending */
    size_t nrows, cap;
} lx_sheet;

typedef struct {
    lexp__arena arena;
    lx_sheet *sheets;
    size_t n, cap;
    size_t ncells;     /* cells allocated, against LX_MAX_CELLS */
    const char *file;  /* name in messages */
    lexp_error *err;
} lx_book;

void lx_book_init(lx_book *b, const char *file, lexp_error *err);
void lx_book_free(lx_book *b);
lx_sheet *lx_book_add(lx_book *b, const char *name, size_t nlen);
/* The row numbered r of a sheet being read (appended when new). */
lx_row *lx_sheet_row(lx_book *b, lx_sheet *s, uint32_t r);
/* Room for column c (1-based) in row w; NULL after an error. */
lx_cell *lx_row_cell(lx_book *b, lx_row *w, uint32_t c);
/* Sort rows by number once a sheet is read. */
void lx_sheet_finish(lx_sheet *s);
/* The cell at row r, column c, or NULL when empty. */
const lx_cell *lx_cell_at(const lx_sheet *s, uint32_t r, uint32_t c);

/* "G10" for column 7, row 10. */
void lx_cell_ref(char *dst, size_t size, uint32_t c, uint32_t r);
/* Parse "G10" (column letters then digits); 1 if valid. */
int lx_parse_ref(const char *s, uint32_t *c, uint32_t *r);

/* Errors: file is the book's; path "sheet!G10" (or "G10" in a CSV) or
 * NULL. Returns code. */
int lx_fail(lx_book *b, int code, const char *path, const char *fmt, ...) LEXP_PRINTF(4, 5);
/* "活动台账!G10" (or "G10" for a CSV's nameless sheet). */
void lx_where(char *dst, size_t size, const lx_sheet *s, uint32_t c, uint32_t r);

/* Readers: fill the book from a file's bytes. */
int lx_read_xlsx(lx_book *b, const void *bytes, size_t size);
int lx_read_csv(lx_book *b, const char *bytes, size_t size);

/* The mapper: the book's sheets as community data (a JSON object). */
int lx_map(json_t **out, lx_book *b, lexp_diag_cb warn, void *payload);

/* Read a ledger held in memory; `name` (its path) gives the type by its
 * extension (.csv, else a workbook) and is used in messages. */
int lexp__ledger_read(json_t **out, const void *bytes, size_t size, const char *name,
                      lexp_diag_cb warn, void *payload, lexp_error *err);
/* 1 if a file of this name and first bytes is a ledger, not JSON. */
int lexp__ledger_is(const char *name, const void *bytes, size_t size);

/* data/load_json.c: jansson object → loaded data (takes no ownership). */
int lexp__data_from_jansson(lexp_data **out, json_t *root, const char *name,
                            const char *path, lexp_error *err);

#endif
