/*
 * libexport — fill report templates from community data and export them as
 * PDF, DOCX, XLSX or plain text.
 *
 * This is the only public header. Everything it declares is prefixed
 * `lexp_` / `LEXP_`; every other symbol of the library is hidden.
 *
 * Conventions (the whole API follows them):
 *  - Functions that can fail return 0 on success or a negative `LEXP_E*`
 *    code, and fill a caller-allocated `lexp_error` (which may be NULL).
 *  - Out-parameters come first. Objects returned through `**out` belong to
 *    the caller and are released with the matching `lexp_*_free`.
 *  - Byte results are returned in a `lexp_buf`, released with
 *    `lexp_buf_dispose`.
 *  - The library never prints and never exits. Warnings are delivered to an
 *    optional callback.
 *  - There is no global mutable state. Parsed templates and loaded data are
 *    immutable and may be shared by threads; an engine may be shared too (it
 *    locks its caches). Everything else belongs to one thread at a time.
 *
 * @code
 *   lexp_error err;
 *   lexp_data *data = NULL;
 *   lexp_template *tpl = NULL;
 *   lexp_buf pdf = LEXP_BUF_INIT;
 *   lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
 *   opt.format = LEXP_FORMAT_PDF;
 *   opt.month = "2024-09";
 *   if (lexp_data_load_file(&data, "data.json", &err) == 0 &&
 *       lexp_template_load(&tpl, NULL, "briefing", &err) == 0 &&
 *       lexp_render(&pdf, tpl, data, &opt, &err) == 0)
 *       fwrite(pdf.ptr, 1, pdf.size, stdout);
 *   else
 *       fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.column, err.message);
 *   lexp_buf_dispose(&pdf);
 *   lexp_template_free(tpl);
 *   lexp_data_free(data);
 * @endcode
 */
#ifndef LIBEXPORT_H
#define LIBEXPORT_H

#include <stddef.h>

#include "libexport_export.h"
#include "libexport_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/** @name Version */

/** The library's version as "MAJOR.MINOR.PATCH" (may differ from the
 *  header's LEXP_VERSION_STRING when a program runs against a newer
 *  shared library). */
LEXP_EXPORT const char *lexp_version(void);

/** The library's version as 0xMMmmpp, to compare with LEXP_VERSION. */
LEXP_EXPORT int lexp_version_number(void);

/* ------------------------------------------------------------------ */
/** @name Errors */

/** Status codes. 0 is success; failures are negative. */
typedef enum lexp_code {
    LEXP_OK = 0,
    LEXP_ESYNTAX = -1,  /**< malformed template or JSON: line and column set */
    LEXP_EDATA = -2,    /**< data breaks the contract or a template's
                             expectation: `path` names the value */
    LEXP_EEVAL = -3,    /**< template evaluation failed (unknown filter
                             argument, division by zero, ...): line, column */
    LEXP_EIO = -4,      /**< a file could not be read or written */
    LEXP_ENOMEM = -5,   /**< out of memory */
    LEXP_EINVAL = -6,   /**< invalid argument (bad month, unknown format) */
    LEXP_EBACKEND = -7, /**< a back-end library (libharu, libzip,
                             libxml2, HarfBuzz, zlib) failed; its message
                             is kept */
    LEXP_ELIMIT = -8,   /**< input exceeds a documented limit (size, depth,
                             evaluation steps) */
    LEXP_ENOTFOUND = -9 /**< no such template, file or font */
} lexp_code;

/** Size limits of the text fields of lexp_error, including the NUL. */
#define LEXP_ERROR_FILE_MAX 256
#define LEXP_ERROR_PATH_MAX 256
#define LEXP_ERROR_MESSAGE_MAX 512

/**
 * Where and what went wrong. Allocated by the caller; the library fills it
 * (the first error wins: later failures while unwinding do not overwrite
 * it). Fields that do not apply are 0 or empty.
 */
typedef struct lexp_error {
    int code;       /**< a lexp_code */
    int line;       /**< 1-based line in `file`, 0 if none */
    int column;     /**< 1-based column (in characters), 0 if none */
    size_t offset;  /**< byte offset in `file` */
    char file[LEXP_ERROR_FILE_MAX];       /**< template or data file name */
    char path[LEXP_ERROR_PATH_MAX];       /**< data path, e.g.
                                               "activities[3].participants" */
    char message[LEXP_ERROR_MESSAGE_MAX]; /**< what was expected and found */
} lexp_error;

/** A short description of a status code ("syntax error", ...). Static. */
LEXP_EXPORT const char *lexp_strerror(int code);

/** Reset an error to "no error". */
LEXP_EXPORT void lexp_error_clear(lexp_error *err);

/**
 * Format an error the way the `lexport` program prints it:
 * "FILE:LINE:COL: error: MESSAGE" when it has a position,
 * "FILE: error: PATH: MESSAGE" when it has a data path, else
 * "FILE: error: MESSAGE". `kind` replaces the word "error" (e.g.
 * "warning"); NULL means "error". Returns the length that was needed,
 * like snprintf.
 */
LEXP_EXPORT int lexp_error_format(char *dst, size_t size, const lexp_error *err,
                                  const char *kind);

/**
 * Called for each problem found by lexp_data_check and for warnings during
 * rendering (missing glyphs, fallback fonts, images left out). The error is
 * valid only during the call.
 */
typedef void (*lexp_diag_cb)(const lexp_error *diag, void *payload);

/* ------------------------------------------------------------------ */
/** @name Byte buffers */

/** Bytes returned by the library. Release with lexp_buf_dispose. */
typedef struct lexp_buf {
    unsigned char *ptr;
    size_t size;
} lexp_buf;

#define LEXP_BUF_INIT {NULL, 0}

/** Free the bytes and reset the buffer to empty. Safe on an empty buffer. */
LEXP_EXPORT void lexp_buf_dispose(lexp_buf *buf);

/* ------------------------------------------------------------------ */
/** @name Engine: caches shared between renders */

/**
 * An engine caches what is costly to prepare: parsed built-in and file
 * templates, and fonts (looked up, subsetted tables). It is optional —
 * every function taking an engine accepts NULL and then prepares what it
 * needs for that call only — but a program rendering many documents
 * should keep one. An engine may be shared by threads. The output is the
 * same bytes with or without one.
 *
 * For PDF it keeps: font subsets by glyph set (at most 512 or 48 MB);
 * deflated pieces of font programs, so a document whose glyph set is new
 * deflates only the pieces that changed (at most 32 MB); and, once a face
 * has been subset for eight different glyph sets, that face preprocessed
 * by HarfBuzz, which makes each later subset of it ten times cheaper. That
 * preprocessing costs once, in the render that needs it, about 30-300 ms
 * and 20-30 MB of memory per large CJK face (the briefing's five Fandol
 * faces: 0.6 s and 150 MB); the environment variable
 * LEXP_FONT_PREPROCESS=N makes it the Nth glyph set, =off never.
 */
typedef struct lexp_engine lexp_engine;

LEXP_EXPORT lexp_engine *lexp_engine_new(void);
LEXP_EXPORT void lexp_engine_free(lexp_engine *engine);

/* ------------------------------------------------------------------ */
/** @name Data */

/** Loaded data: an immutable tree of values (null, bool, number, string,
 *  array, object with insertion order). */
typedef struct lexp_data lexp_data;

/** Limits applied while loading data (documented, not configurable per
 *  call: a community's data is far below them). */
#define LEXP_DATA_MAX_BYTES (32u * 1024u * 1024u) /**< whole file */
#define LEXP_DATA_MAX_STRING (1024u * 1024u)      /**< one string value */
#define LEXP_DATA_MAX_DEPTH 64                   /**< nesting of arrays/objects */

/**
 * Load a JSON file. The top level must be an object. Syntax errors set
 * line and column (LEXP_ESYNTAX); a missing or unreadable file gives
 * LEXP_EIO; limits give LEXP_ELIMIT.
 */
LEXP_EXPORT int lexp_data_load_file(lexp_data **out, const char *path,
                                    lexp_error *err);

/** Load JSON from memory. `name` is used in error messages (may be NULL). */
LEXP_EXPORT int lexp_data_load_json(lexp_data **out, const char *json, size_t len,
                                    const char *name, lexp_error *err);

LEXP_EXPORT void lexp_data_free(lexp_data *data);

/** The most bytes of one row of a rows file: an NDJSON line or a CSV record
 *  (LEXP_ELIMIT). A rows file itself has no size limit. */
#define LEXP_ROWS_MAX_LINE (1024u * 1024u)

/**
 * Give the data a list read from a file row by row: `name` becomes a
 * top-level name of the data (like a field of the JSON) that a template's
 * `{% for r in name %}` goes over, reading one row per iteration, so a file
 * of any size renders in the memory of one row (a table made by the loop
 * streams out; see templates/README.md, "Tables").
 *
 * `path` is an `.ndjson`/`.jsonl` file (one JSON object a line; blank lines
 * are skipped) or a `.csv` file (a header line naming the fields, then one
 * record a row; UTF-8 with or without a byte order mark, or GB18030; comma-
 * or tab-separated). A CSV field that is a plain decimal number (`12`,
 * `-3.5`; no leading zero, at most 15 digits) is a number, any other field a
 * string, a missing trailing field "".
 *
 * Only one `for` loop can go over the list, once: anything that needs it
 * whole (`|length`, `[i]`, `sort`, a second loop, `loop.length`) is an error
 * at that place in the template. `loop.index`, `loop.index0`, `loop.first`
 * and `loop.last` work. The file is opened when the loop begins and closed
 * when it ends; each render reads it for itself, so renders in several
 * threads may share the handle (add files before, not while they render).
 * Errors in a row (bad JSON, a row that is not an object, more CSV fields
 * than the header names, invalid UTF-8, a row over LEXP_ROWS_MAX_LINE) are
 * reported by the render with the file, line and column. lexp_data_check
 * and lexp_data_to_json see only the loaded data, not its rows files.
 *
 * Here: LEXP_EINVAL for a name that is not a template name, given twice, or
 * already a field of the data, or a file of another extension; LEXP_EIO
 * when the file cannot be opened.
 *
 * @code
 *   lexp_data_add_rows_file(data, "rows", "ledger.ndjson", &err);
 *   // template: {% for r in rows %}| {{ r.date }} | {{ r.amount }} |{% endfor %}
 * @endcode
 */
LEXP_EXPORT int lexp_data_add_rows_file(lexp_data *data, const char *name, const char *path,
                                        lexp_error *err);

/**
 * Validate data against the community data contract (DESIGN §3.2):
 * required fields, types, ISO dates that exist, non-negative counts,
 * resolved ≤ found, ethnic-group totals ≤ population. Calls `cb` once per
 * problem (code LEXP_EDATA, `path` set) and returns the number of problems.
 */
LEXP_EXPORT int lexp_data_check(const lexp_data *data, lexp_diag_cb cb, void *payload);

/* ------------------------------------------------------------------ */
/** @name Ledgers (台账): the workbooks and CSV files offices keep */

/** Limits applied while reading a ledger (DESIGN §3.2a). A file over them
 *  is refused with LEXP_ELIMIT; templates/README.md ("Limits") lists them. */
#define LEXP_LEDGER_MAX_FILE (64u * 1024u * 1024u)   /**< the workbook file */
#define LEXP_LEDGER_MAX_ENTRIES 2000                 /**< entries in its zip */
#define LEXP_LEDGER_MAX_PART (64u * 1024u * 1024u)   /**< one part, inflated */
#define LEXP_LEDGER_MAX_TOTAL (256u * 1024u * 1024u) /**< parts read, inflated */
#define LEXP_LEDGER_MAX_RATIO 200 /**< inflated:compressed, for parts over 1 MB */
#define LEXP_LEDGER_MAX_DEPTH 128 /**< XML element nesting */
#define LEXP_LEDGER_MAX_ROWS 100000u  /**< rows with values in one sheet */
#define LEXP_LEDGER_MAX_COLS 256u     /**< columns with values */
#define LEXP_LEDGER_MAX_CELLS 4000000u /**< cells of a workbook (rows × columns used) */

/**
 * Load community data from a ledger or a JSON file: an `.xlsx` workbook
 * (Excel, WPS, LibreOffice), a `.csv` ledger (UTF-8 with or without BOM,
 * or GB18030), or JSON — told apart by content and extension. Sheets are
 * found by name (基本情况, 活动台账, 矛盾纠纷台账, 帮扶台账, 民族构成, 荣誉,
 * 简报设置, 工作计划, 存在问题) or by their headers, headers by text in the
 * first rows. `profile` (NULL for none) is a JSON file or a workbook whose
 * facts the ledger's complete: a CSV activity ledger takes the community,
 * briefing and other ledgers from it. The result is the data a JSON file of
 * the same facts gives, so documents are the same, byte for byte.
 *
 * Errors name the sheet and cell in `path`: lexp_error_format gives
 * `jianlin.xlsx: error: 活动台账!G10: 参与人数 "三百" is not a number`.
 * A missing required column is named with the headers found. Warnings
 * (a row dated outside every period the file's titles name, a column or
 * sheet that is not read) go to `warn`. lexp_data_load_file calls this for
 * .xlsx/.csv files, without profile or warnings.
 */
LEXP_EXPORT int lexp_data_load_ledger(lexp_data **out, const char *path, const char *profile,
                                      lexp_diag_cb warn, void *payload, lexp_error *err);

/** The data as JSON text (UTF-8, two-space indent, keys in their order), as
 *  `lexport import` writes it: loading the text gives the same data. */
LEXP_EXPORT int lexp_data_to_json(lexp_buf *out, const lexp_data *data, lexp_error *err);

/* ------------------------------------------------------------------ */
/** @name Templates */

/** A parsed template (.lxt). Immutable: render it any number of times,
 *  from any number of threads. */
typedef struct lexp_template lexp_template;

/** Limits applied while parsing templates. */
#define LEXP_TEMPLATE_MAX_BYTES (4u * 1024u * 1024u)
#define LEXP_TEMPLATE_MAX_DEPTH 64 /**< nested statements, includes, parentheses */
/** Levels of one expression: links of a chain (a.b.c, x | f | g, 1 + 1 + …)
 *  and nesting together. The evaluator recurses once per level. */
#define LEXP_TEMPLATE_MAX_CHAIN 256
/** Source a template and its includes may come to, parsed: an included file
 *  is parsed once for each way it is nested (once, in most templates). */
#define LEXP_TEMPLATE_MAX_PARSED (8u * 1024u * 1024u)

/**
 * Parse template source. `name` is the file name used in errors and the
 * directory against which `{% include "x" %}` is resolved (NULL: only
 * built-in includes). Errors: LEXP_ESYNTAX with line and column.
 */
LEXP_EXPORT int lexp_template_parse(lexp_template **out, const char *src, size_t len,
                                    const char *name, lexp_error *err);

/**
 * Load a built-in template by name ("briefing", "summary", "deeds",
 * "plan", "report", "stats") or a template file by path. A name that is
 * not built in and has no '/' or ".lxt" is looked up as a built-in only.
 * With an engine, the parsed template is cached and shared: the caller
 * still frees what it receives (templates are reference counted).
 */
LEXP_EXPORT int lexp_template_load(lexp_template **out, lexp_engine *engine,
                                   const char *name_or_path, lexp_error *err);

LEXP_EXPORT void lexp_template_free(lexp_template *tpl);

/** Built-in templates: their count, and the name and one-line description
 *  of the i-th (NULL when out of range). Strings are static. */
LEXP_EXPORT size_t lexp_builtin_count(void);
LEXP_EXPORT const char *lexp_builtin_name(size_t i);
LEXP_EXPORT const char *lexp_builtin_description(size_t i);

/* ------------------------------------------------------------------ */
/** @name Rendering */

/** Output formats. */
typedef enum lexp_format {
    LEXP_FORMAT_TXT = 0, /**< readable text: one paragraph per line */
    LEXP_FORMAT_PDF = 1,
    LEXP_FORMAT_DOCX = 2,
    LEXP_FORMAT_XLSX = 3,
    LEXP_FORMAT_TREE = 4 /**< the document tree as XML with source positions */
} lexp_format;

/** "txt", "pdf", "docx", "xlsx", "tree" (or "xml") → format; -1 if unknown. */
LEXP_EXPORT int lexp_format_from_name(const char *name);

/** Format from a file name's extension; -1 if none matches. */
LEXP_EXPORT int lexp_format_from_path(const char *path);

/** The name of a format ("pdf"), or NULL. */
LEXP_EXPORT const char *lexp_format_name(int format);

/** Font roles of Chinese official documents. */
typedef enum lexp_font_role {
    LEXP_ROLE_SONG = 0,     /**< 宋体: default body text */
    LEXP_ROLE_FANGSONG = 1, /**< 仿宋: GB/T 9704 body text */
    LEXP_ROLE_HEI = 2,      /**< 黑体: first-level headings */
    LEXP_ROLE_KAI = 3,      /**< 楷体: second-level headings */
    LEXP_ROLE_XIAOBIAOSONG = 4, /**< 小标宋: titles, masthead */
    /** Latin letters, digits and ASCII punctuation in any role's text (a
     *  Times-metric face: Times New Roman, else Liberation Serif, TeX Gyre
     *  Termes, Nimbus Roman), in PDF and DOCX alike. */
    LEXP_ROLE_LATIN = 5,
    LEXP_ROLE_COUNT = 6
} lexp_font_role;

/** "song", "fangsong", "hei", "kai", "xiaobiaosong", "latin" → role; -1 if
 *  unknown. */
LEXP_EXPORT int lexp_font_role_from_name(const char *name);

/** A font file to use for a role (overrides the template and lookup). */
typedef struct lexp_font_override {
    int role;         /**< a lexp_font_role */
    const char *path; /**< font file: .ttf/.ttc/.otf/.otc (TrueType or CFF outlines) */
    int index;        /**< face index inside a .ttc, else 0 */
} lexp_font_override;

/** 2 added `period` and `strict`; a caller built with version 1 is read
 *  as if they were NULL and 0. */
#define LEXP_RENDER_OPTIONS_VERSION 2

/** Options of one render. Initialise with LEXP_RENDER_OPTIONS_INIT. */
typedef struct lexp_render_options {
    unsigned version;   /**< LEXP_RENDER_OPTIONS_VERSION */
    int format;         /**< a lexp_format */
    /** Reporting period "YYYY-MM", or NULL. Sets the period variables
     *  (month, year, issue, prev_month, …; see templates/README.md). */
    const char *month;
    /** Document date "YYYY-MM-DD", or NULL: the last day of `month`, else
     *  the data's `date` field. Never the clock, so output is reproducible. */
    const char *date;
    /** Directory against which relative image paths are resolved; NULL:
     *  the data file's directory (current directory for in-memory data). */
    const char *base_dir;
    const lexp_font_override *fonts; /**< per-call font files */
    size_t nfonts;
    lexp_diag_cb warn;  /**< warnings (may be NULL) */
    void *warn_payload;
    lexp_engine *engine; /**< caches (may be NULL) */
    /** Reporting period (version 2): "YYYY-MM" (a month, like `month`),
     *  "YYYY-Qn" (a quarter), "YYYY-Hn" (a half-year) or "YYYY" (a year);
     *  NULL: `month`, if any. Giving both is allowed only when they name
     *  the same month. The period's end is never after the document date,
     *  and records dated after it are left out of the data the template
     *  sees (templates/README.md, "Periods"). */
    const char *period;
    /** Version 2: nonzero makes an undefined name printed by a template an
     *  error (LEXP_EEVAL at its position) instead of a warning. */
    int strict;
} lexp_render_options;

#define LEXP_RENDER_OPTIONS_INIT \
    {LEXP_RENDER_OPTIONS_VERSION, LEXP_FORMAT_TXT, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, \
     NULL, 0}

/** Limits applied while evaluating a template. */
#define LEXP_EVAL_MAX_STEPS 50000000u          /**< expression evaluations */
#define LEXP_EVAL_MAX_OUTPUT (256u * 1024u * 1024u) /**< bytes of text */
/** Bytes one evaluation may allocate: every value it computes (strings,
 *  lists, objects, numbers) and the document it builds, text included,
 *  share this one budget (for `fill`, each part's evaluation). */
#define LEXP_EVAL_MAX_MEMORY (256u * 1024u * 1024u)

/** Limits of the PDF renderer: LEXP_ELIMIT with the position of the block
 *  that would pass them. A document is laid out whole before it is written,
 *  except one with a streamed table: that is drawn a page at a time, its
 *  deflated pages kept in a scratch file until it is saved. */
#define LEXP_PDF_MAX_PAGES 3000u /**< pages of one PDF */
/** Rows of one table in a PDF, refused before the table is laid out (the
 *  table is read twice, for its columns and then to place the rows; the
 *  layout of a document without a streamed table takes ~1.5 KB a row;
 *  100,000 rows fill ~3,100 pages). */
#define LEXP_PDF_MAX_TABLE_ROWS 100000u
/** Characters in the cells of one table in a PDF, counted as the table is
 *  measured (5,000,000 are about 3,000 pages of dense table). */
#define LEXP_PDF_MAX_TABLE_CHARS 5000000u

/** A document tree: the evaluated template, ready for any renderer. */
typedef struct lexp_doc lexp_doc;

/** Evaluate a template against data into a document tree. */
LEXP_EXPORT int lexp_expand(lexp_doc **out, const lexp_template *tpl,
                            const lexp_data *data, const lexp_render_options *opt,
                            lexp_error *err);

/** Render a document tree in `opt->format`. */
LEXP_EXPORT int lexp_doc_render(lexp_buf *out, const lexp_doc *doc,
                                const lexp_render_options *opt, lexp_error *err);

LEXP_EXPORT void lexp_doc_free(lexp_doc *doc);

/** lexp_expand followed by lexp_doc_render. */
LEXP_EXPORT int lexp_render(lexp_buf *out, const lexp_template *tpl,
                            const lexp_data *data, const lexp_render_options *opt,
                            lexp_error *err);

/**
 * Render to a file. The output is written to a temporary file next to
 * `path` and renamed into place only when complete: on failure nothing is
 * written and an existing file is left untouched. An XLSX, a DOCX whose
 * body passed 4 MB, and a PDF with a streamed table go to `path` from
 * scratch files in $TMPDIR (else /tmp) without being held in memory, so a
 * streamed table renders in constant memory (a PDF's grows by ~5 KB a page
 * for libharu's objects, up to LEXP_PDF_MAX_PAGES); when a scratch file
 * cannot be made the call fails with LEXP_EIO. A PDF with a streamed table
 * needs a scratch file for its pages in lexp_render too.
 */
LEXP_EXPORT int lexp_render_to_file(const char *path, const lexp_template *tpl,
                                    const lexp_data *data,
                                    const lexp_render_options *opt, lexp_error *err);

/**
 * Write bytes to `path` atomically: to a temporary file beside the target,
 * renamed over it once complete, so an existing file is never left
 * half-written. A symlink at `path` is followed (its target is replaced, the
 * link stays). Only regular files are written: a directory, device, FIFO or
 * socket at `path` is refused with LEXP_EIO. An existing file keeps its
 * permission bits; a new one gets 0666 less the umask (the umask is never
 * changed, so this is safe from any thread).
 */
LEXP_EXPORT int lexp_write_file(const char *path, const void *bytes, size_t size,
                                lexp_error *err);

/**
 * Write `n` files (at most 64) all or none, as lexp_write_file writes one:
 * every file goes to its temporary first, and the temporaries are renamed
 * into place only when all are complete. On any failure before that (a
 * full disk, a refused target) no file is replaced and no temporary is
 * left. The paths must name different files.
 */
LEXP_EXPORT int lexp_write_files(size_t n, const char *const *paths, const lexp_buf *bufs,
                                 lexp_error *err);

/**
 * The monthly briefing: checks the data against the contract (the first
 * problem becomes the error), checks that `month` ("YYYY-MM") is within the
 * months the data covers (from `briefing.first_issue_month` or the first
 * activity to the last activity, dispute or assistance record), then renders
 * the built-in "briefing" template for that month in `opt->format`.
 * `opt->month` is ignored; pass the month here.
 */
LEXP_EXPORT int lexp_brief(lexp_buf *out, const lexp_data *data, const char *month,
                           const lexp_render_options *opt, lexp_error *err);

/* ------------------------------------------------------------------ */
/** @name Batches: many communities at once */

/** What lexp_batch reports after each input (and after the roll-up). */
typedef struct lexp_batch_event {
    size_t index;          /**< of the input (inputs after folders are expanded) */
    size_t total;          /**< inputs in all */
    size_t done, failed;   /**< inputs finished so far, of them failed */
    const char *input;     /**< the input's path */
    const char *community; /**< its community.name, or NULL if it did not load */
    const char *outdir;    /**< where its documents went, or NULL */
    size_t documents;      /**< documents written for it */
    const lexp_error *error; /**< why it failed, or NULL */
    int rollup;            /**< 1 for the roll-up's own documents */
} lexp_batch_event;

/** Called once per finished input, from the worker threads but never two
 *  at a time. */
typedef void (*lexp_batch_cb)(const lexp_batch_event *ev, void *payload);

#define LEXP_BATCH_OPTIONS_VERSION 1

/** Options of lexp_batch. Initialise with LEXP_BATCH_OPTIONS_INIT. */
typedef struct lexp_batch_options {
    unsigned version;             /**< LEXP_BATCH_OPTIONS_VERSION */
    const char *month;            /**< "YYYY-MM"; required for "briefing" */
    const char *const *templates; /**< built-in names or paths; NULL: {"briefing"} */
    size_t ntemplates;
    const int *formats;           /**< lexp_format values; NULL: PDF, DOCX, XLSX */
    size_t nformats;
    const char *outdir;           /**< one folder per community is made in it */
    const char *profile;          /**< --profile for every input, or NULL */
    int threads;                  /**< 0: one per core */
    /** The 街道 (or 县/区) whose roll-up to make from all inputs, or NULL.
     *  An input that is a roll-up file (a JSON object with "members")
     *  sets it too. */
    const char *rollup;
    const char *date;             /**< document date, or NULL */
    lexp_batch_cb progress;       /**< may be NULL */
    void *payload;
    lexp_diag_cb warn;            /**< warnings (may be NULL; called under a lock) */
    void *warn_payload;
    lexp_engine *engine;          /**< shared by the threads; NULL: one for the batch */
} lexp_batch_options;

#define LEXP_BATCH_OPTIONS_INIT \
    {LEXP_BATCH_OPTIONS_VERSION, NULL, NULL, 0, NULL, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, \
     NULL, NULL, NULL}

/** Counts of a finished batch. */
typedef struct lexp_batch_result {
    size_t inputs, done, failed, documents;
    double seconds; /**< wall-clock time of the batch */
} lexp_batch_result;

/**
 * Render every template in every format for many communities, on a pool
 * of threads over one engine (parsed templates and fonts are shared,
 * read-only). Inputs are data files or ledgers, or folders of them (their
 * .json/.xlsx/.csv files in name order; Excel's ~$ lock files are passed
 * over). Each community's documents go to OUTDIR/<community.name>/, named
 * `briefing-YYYY-MM.pdf` (as lexport brief) or `TEMPLATE-YYYY-MM.FORMAT`
 * (`TEMPLATE.FORMAT` without a month), all or none of them: an input that
 * fails is reported through `progress` with its error and the others go on.
 * Two inputs of one community are an error for the second.
 *
 * With a roll-up, the street's own documents (its 简报, 总结 and 统计表:
 * totals, a table of its communities, the leading ones named) are made
 * from the inputs that succeeded, in OUTDIR/<rollup>/; the roll-up is
 * refused when the per-community figures do not add up to its totals.
 *
 * Returns 0 when every input succeeded, LEXP_EDATA when some failed (err
 * holds the first failure), or another code when the batch could not
 * start (bad options, unreadable folder, a template that does not parse).
 */
LEXP_EXPORT int lexp_batch(lexp_batch_result *res, const char *const *inputs, size_t ninputs,
                           const lexp_batch_options *opt, lexp_error *err);

/* ------------------------------------------------------------------ */
/** @name Office templates */

/** Limits applied while reading an office template (not configurable per
 *  call). A package over them is refused with LEXP_ELIMIT. */
#define LEXP_FILL_MAX_FILE (256u * 1024u * 1024u)  /**< the template file */
#define LEXP_FILL_MAX_ENTRIES 2000                 /**< entries in the zip */
#define LEXP_FILL_MAX_ENTRY (64u * 1024u * 1024u)  /**< one entry, inflated */
#define LEXP_FILL_MAX_TOTAL (256u * 1024u * 1024u) /**< all entries, inflated */
#define LEXP_FILL_MAX_RATIO 200  /**< inflated:compressed, for entries over 1 MB */
#define LEXP_FILL_MAX_DEPTH 128  /**< XML element nesting in a part */
#define LEXP_FILL_MAX_NODES 5000000u /**< XML nodes the filled parts may have */

/**
 * Fill an office template: a Word (.docx) or Excel (.xlsx) file whose text
 * carries the same `{{ expr | filter }}` and `{% … %}` tags as .lxt
 * templates. In Word, `{%p … %}` is a statement whose whole paragraph is
 * removed and `{%tr … %}` one whose whole table row is removed: rows between
 * `{%tr for x in xs %}` and `{%tr endfor %}` repeat once per item. Tags may
 * be split across runs in any way Word or WPS splits them. In Excel,
 * `{%tr for %}` and `{%tr endfor %}` sit in cells of their own rows.
 * The result has the template's type (`opt->format` is ignored; `month`,
 * `date` and `warn` are used). templates/README.md ("Office templates")
 * describes the tags, what moves with repeated rows and the limits.
 *
 * Parts without tags are copied unchanged (their compressed bytes, too);
 * the output keeps the template's entry order and timestamps, so the same
 * input gives the same bytes.
 *
 * With `opt->engine`, the template is prepared once and kept by the engine
 * (lexp_office_template_load, below): later fills of the same file (path,
 * size and modification time) or the same bytes skip reading the package.
 * The result and the errors are the same as without an engine.
 *
 * Errors: `file` is the template's path (or `name`); `line` is the
 * paragraph within the part (Word: every w:p counts, in document order,
 * from 1) or the template's row (Excel); `column` is the character within
 * that paragraph's or cell's text; the message starts with the part and,
 * in Excel, the cell. lexp_error_format then gives
 *
 *     form.docx:12:5: error: word/document.xml: unknown filter 'foo' …
 *     table.xlsx:4:3: error: xl/worksheets/sheet1.xml: cell B4 of sheet “表1”: …
 *
 * Codes: LEXP_ESYNTAX for malformed tags, statements that do not nest, and
 * files that are not a sound package (not a zip, truncated, encrypted, a
 * DOCTYPE or entity declaration in any part, ill-formed XML in a part
 * with tags, a workbook named .docx); LEXP_EEVAL (or LEXP_EDATA) for
 * evaluation errors, with the data path; LEXP_ELIMIT for the limits above
 * (zip bombs, deep nesting) and evaluation limits; LEXP_EIO when the file
 * cannot be read; LEXP_EINVAL for a name that is not .docx or .xlsx.
 * On failure `out` is left empty.
 *
 * @code
 *   lexp_buf out = LEXP_BUF_INIT;
 *   lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
 *   opt.month = "2024-09";
 *   if (lexp_fill(&out, "form.docx", data, &opt, &err) == 0)
 *       lexp_write_file("filled.docx", out.ptr, out.size, &err);
 *   lexp_buf_dispose(&out);
 * @endcode
 */
LEXP_EXPORT int lexp_fill(lexp_buf *out, const char *template_path, const lexp_data *data,
                          const lexp_render_options *opt, lexp_error *err);

/** lexp_fill with the template in memory; `name` (e.g. "form.docx") gives
 *  the type by its extension and is used in errors. */
LEXP_EXPORT int lexp_fill_memory(lexp_buf *out, const void *bytes, size_t size, const char *name,
                                 const lexp_data *data, const lexp_render_options *opt,
                                 lexp_error *err);

/**
 * A prepared office template: the package read, checked and inflated once,
 * to fill many times. Loading applies every limit and check lexp_fill
 * applies to the package (LEXP_FILL_MAX_*, encryption, macros, DOCTYPE or
 * ENTITY declarations, part names, duplicate entries) and reports the same
 * errors with the same codes and messages; a fill then reads nothing
 * again, and copies the parts it leaves alone as their compressed bytes.
 * A Word template's parts with tags are also parsed and compiled once, at
 * load; a part whose tags have an error or a warning is compiled by every
 * fill instead, so each fill reports it as lexp_fill does.
 * Filling a prepared template gives the same bytes as lexp_fill of the
 * same file with the same data and options.
 *
 * A prepared template is immutable: any number of threads may fill one at
 * once. It holds a copy of the file, its inflated parts and compiled
 * trees (for a typical Word template about 25 times the file size).
 *
 * With an engine, loading goes through the engine's cache (below) and the
 * template may be shared with other callers; free it all the same.
 */
typedef struct lexp_office_template lexp_office_template;

/** Prepare the .docx or .xlsx file at `path`. Errors as lexp_fill's
 *  (LEXP_EIO, LEXP_EINVAL, LEXP_ESYNTAX, LEXP_ELIMIT); `*out` is NULL on
 *  failure. */
LEXP_EXPORT int lexp_office_template_load(lexp_office_template **out, lexp_engine *engine,
                                          const char *path, lexp_error *err);

/** Prepare a template held in memory (the bytes are copied); `name`
 *  (e.g. "form.docx") gives the type and is used in errors. */
LEXP_EXPORT int lexp_office_template_load_memory(lexp_office_template **out,
                                                 lexp_engine *engine, const void *bytes,
                                                 size_t size, const char *name,
                                                 lexp_error *err);

/** Fill a prepared template: as lexp_fill (`opt->engine` is not needed). */
LEXP_EXPORT int lexp_office_template_fill(lexp_buf *out, const lexp_office_template *tpl,
                                          const lexp_data *data,
                                          const lexp_render_options *opt, lexp_error *err);

/** Release a prepared template (NULL is fine). */
LEXP_EXPORT void lexp_office_template_free(lexp_office_template *tpl);

/** The engine's cache of prepared office templates. lexp_fill and
 *  lexp_fill_memory with `opt->engine`, and the loads above with an
 *  engine, keep prepared templates there: a file by path, size and
 *  modification time (a file changed on disk is prepared anew), bytes in
 *  memory by name and size, compared byte for byte with the cached copy.
 *  At most this many templates and bytes (file plus inflated parts, plus
 *  an estimate of the compiled trees: four bytes for each byte of XML) are
 *  kept; the least recently used go first, and a template over the byte
 *  bound on its own is filled without being cached. */
#define LEXP_ENGINE_OFFICE_TEMPLATES 16
#define LEXP_ENGINE_OFFICE_BYTES (256u * 1024u * 1024u)

/** 1 if `month` is a valid "YYYY-MM" (year 1900–9999), else 0. */
LEXP_EXPORT int lexp_month_valid(const char *month);

/** 1 if `period` is a valid period: "YYYY-MM", "YYYY-Qn" (n 1–4),
 *  "YYYY-Hn" (n 1–2) or "YYYY" (year 1900–9999), else 0. */
LEXP_EXPORT int lexp_period_valid(const char *period);

#ifdef __cplusplus
}
#endif

#endif /* LIBEXPORT_H */
