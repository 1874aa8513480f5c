/*
 * Office templates (lexp_fill): a .docx or .xlsx package whose text holds
 * {{ }} and {% %} tags, filled with data into a package of the same type.
 *
 *   fill.c       entry points, type dispatch, error locations
 *   fill_zip.c   reading the package under limits; writing it back
 *   fill_xml.c   parsing parts safely, serialising, copying nodes
 *   fill_text.c  finding tags in a paragraph's or cell's text, statement
 *                structure (for/if/set) and running it against the data
 *   fill_docx*.c Word: healing split tags, {%p %} and {%tr %} blocks, flows
 *                (fill_docx.h says how the three files divide the work)
 *   fill_props.c document properties (docProps/core.xml)
 *   fill_xlsx*.c Excel: cells, row blocks, everything that refers to rows
 *                (fill_xlsx.h says how the files divide the work)
 *   fill_ref.c   Excel formulas: finding and rewriting cell references
 *
 * One fill owns all of its state (fx_ctx); nothing is shared between
 * fills except the immutable data, so fills run in parallel.
 */
#ifndef LEXP_FILL_H
#define LEXP_FILL_H

#include <libxml/tree.h>
#include <stdatomic.h>
#include <stdint.h>
#include <zip.h>

#include "../eval/eval.h"
#include "../render/render.h"
#include "../template/ast.h"

/* ---- limits (public in libexport.h, listed in templates/README.md) ---- */

#define FX_MAX_FILE LEXP_FILL_MAX_FILE
#define FX_MAX_ENTRIES LEXP_FILL_MAX_ENTRIES
#define FX_MAX_ENTRY LEXP_FILL_MAX_ENTRY
#define FX_MAX_TOTAL LEXP_FILL_MAX_TOTAL
/* Deflate cannot shrink real content more than about 1:1000, and Office
 * XML rarely beyond 1:50; a large entry above this ratio is a bomb. */
#define FX_MAX_RATIO LEXP_FILL_MAX_RATIO
#define FX_RATIO_FLOOR (1024u * 1024u) /* the ratio applies above this size */
#define FX_MAX_DEPTH LEXP_FILL_MAX_DEPTH
#define FX_MAX_NODES LEXP_FILL_MAX_NODES
#define FX_MAX_NEST LEXP_TEMPLATE_MAX_DEPTH /* nested statements in one list */
#define FX_XLSX_MAX_ROWS 1048576u
#define FX_XLSX_MAX_COLS 16384u
#define FX_XLSX_MAX_CELL_CHARS 32767u

/* ---- the package ------------------------------------------------------- */

typedef struct fx_entry {
    char *name;
    unsigned char *data; /* uncompressed bytes (NUL-terminated), owned */
    size_t len;
    zip_uint16_t dtime, ddate; /* DOS time of the template's entry */
    /* a prepared template's entry as the template holds it compressed (raw
     * DEFLATE), so a fill copies it without reopening the template's zip */
    unsigned char *raw;
    size_t rawlen;
    zip_uint32_t crc;
    zip_file_attributes_t attr; /* what zip_source_zip gives for it */
    int dir;                   /* a directory entry */
    int shared;  /* name and data belong to a prepared template (not freed) */
    int tags;    /* could the part hold tags (fx_maybe_tags): 1, 0, or -1 not yet known */
    /* set by the filler */
    unsigned char *out; /* new content (xmlFree'd if out_xml, else free'd) */
    size_t outlen;
    int out_xml;
    int removed;
} fx_entry;

typedef struct fx_pkg {
    zip_source_t *src;
    zip_t *za; /* kept open: unchanged entries are copied without recompressing */
    fx_entry *e;
    int n;
} fx_pkg;

/* A prepared office template (lexp_office_template_load): the package
 * read and checked once. Immutable after load except for its reference
 * count, so fills of one template run in parallel. */
struct lexp_office_template {
    char *name;           /* for errors */
    int type;             /* LEXP_FORMAT_DOCX or _XLSX */
    unsigned char *bytes; /* the package as read: entries are copied from it */
    size_t size;
    fx_entry *e;          /* every entry inflated, with its tags flag */
    int n;
    size_t inflated;      /* bytes of the entries and compiled parts, for the engine's bound */
    int raw_all;          /* every file entry has raw: fills need no zip */
    /* What fills would read from the template's own parts, read once
     * (fx_memo_build); absent where reading failed, so a fill reports it. */
    struct fx_rels_memo *rels; /* by entry: its relationships, or ok 0 */
    struct fx_ct_item *ct;     /* [Content_Types].xml's items, in order */
    int nct, ct_ok;
    /* Word: parts compiled once (fill_docx_part.c), by entry; NULL where a
     * part is compiled by each fill (a compile error or warning, say) */
    struct dx_part **docx_parts;
    _Atomic int refs;
};

typedef struct fx_rels_memo {
    int ok;
    char *part; /* the part they belong to, as fx_rels_read is asked */
    struct fx_rel *v;
    int n;
} fx_rels_memo;

typedef struct fx_ct_item {
    int override; /* Override (PartName) or Default (Extension) */
    char *key, *ct;
} fx_ct_item;

/* ---- one fill ---------------------------------------------------------- */

typedef struct fx_ctx {
    const char *name; /* the template's name, for errors (err->file) */
    const lexp_data *data;
    const lexp_render_options *opt;
    lexp_error *err;
    lexp_template *host; /* owns parsed tags */
    const lexp_office_template *tpl; /* a prepared template's fill: its memos */
    lexp_office_template *preparing; /* fx_docx_prepare: the template it compiles for */
    xmlParserCtxtPtr pctx; /* one parser for the fill's parts (fx_xml_parse) */
    lexp__arena A;       /* compiled structure, scratch */
    lexp__arena evA;     /* the evaluator's values: its memory budget counts them alone */
    lexp_eval ev;
    int ev_open;
    fx_pkg pkg;
    /* where we are, for messages */
    const char *part;
    const char *sheet; /* XLSX: the sheet's name, and the template cell */
    uint32_t cell_row, cell_col; /* 0: not in a cell */
    int located;   /* the error message already names the part */
    /* Word: offsets of the text being scanned where one w:t ends and the
     * next begins; {%- and -%} trim spaces up to them, not across (docxtpl
     * takes the runs between instead) */
    const uint8_t *stops;
    uint64_t nodes;
} fx_ctx;

/* Errors: set an error at a position in the current part (line = paragraph
 * or row, col = character), and add the part to a message once. */
int fx_fail(fx_ctx *c, int code, int line, int col, const char *fmt, ...) LEXP_PRINTF(5, 6);
void fx_locate(fx_ctx *c);
int fx_oom(fx_ctx *c);

/* Open/close the evaluator (fresh variables for each part). */
int fx_eval_begin(fx_ctx *c);
/* … for expressions parsed into another host (its slot count sizes the
 * evaluator's caches) */
int fx_eval_begin_for(fx_ctx *c, const lexp_template *host);
void fx_eval_end(fx_ctx *c);

/* ---- fill.c / fill_prepared.c ----------------------------------------- */

int fx_check_size(size_t size, const char *name, lexp_error *e);
int fx_check_name(const char *name, lexp_error *e);
/* Read t->bytes (named t->name) into t: type, entries, checks. */
int fx_prepare(lexp_office_template *t, lexp_error *err);
int fx_fill_prepared(lexp_buf *out, const lexp_office_template *t, const lexp_data *data,
                     const lexp_render_options *opt, lexp_error *e);
/* lexp_fill(path) or lexp_fill_memory(bytes) through the engine's cache. */
int fx_fill_cached(lexp_buf *out, lexp_engine *eng, const char *path, const void *bytes,
                   size_t size, const char *name, const lexp_data *data,
                   const lexp_render_options *opt, lexp_error *e);

/* ---- fill_zip.c --------------------------------------------------------- */

int fx_pkg_open(fx_ctx *c, const void *bytes, size_t size);
/* The package of a prepared template (fill_prepared.c): its entries are
 * borrowed, and copied from their kept compressed bytes (raw_all) or else
 * from its zip, reopened over the template's bytes. */
int fx_pkg_borrow(fx_ctx *c, const lexp_office_template *t);
/* For a template being prepared: each file entry's compressed bytes into
 * e->raw (1 when every one was kept, 0 when a fill must copy from the
 * zip; -1 out of memory). */
int fx_pkg_keep_raw(fx_ctx *c);
/* fx_maybe_tags of an entry's template bytes, computed once. */
int fx_entry_tags(fx_entry *e);
void fx_pkg_close(fx_pkg *p);
fx_entry *fx_pkg_find(fx_pkg *p, const char *name);
/* Replace an entry's content with bytes owned by the package from now on. */
void fx_pkg_set(fx_entry *e, unsigned char *bytes, size_t len, int is_xml);
/* A new empty entry (NULL when out of memory). Entry pointers taken before
 * are no longer valid. */
fx_entry *fx_pkg_add(fx_pkg *p, const char *name);
int fx_pkg_write(fx_ctx *c, lexp_buf *out);

/* ---- fill_xml.c --------------------------------------------------------- */

/* Where a DOCTYPE or ENTITY declaration is (outside comments), or NULL. */
const char *fx_find_doctype(const char *s, size_t n);
/* The content type of a part from [Content_Types].xml (malloc'd), or NULL. */
char *fx_content_type(fx_ctx *c, const char *part);
/* Parse a part: no network, no DTD, no entities, depth-capped. NULL on error. */
xmlDocPtr fx_xml_parse(fx_ctx *c, const fx_entry *e);
/* fill_save.c: the bytes xmlDocDumpMemoryEnc(doc, "UTF-8") gives, into b;
 * 1 for a tree it leaves to libxml2 (b then holds a partial result). */
int fx_xml_save(const xmlDoc *doc, lexp__sbuf *b);
/* 1 if fx_xml_save writes every tree made from doc's nodes (copies, new
 * elements and text): what frozen copies need. */
int fx_xml_plain(const xmlDoc *doc);
/* Serialise a changed part into its entry. */
int fx_xml_store(fx_ctx *c, fx_entry *e, xmlDocPtr doc);
/* 1 if `n` is an element with local name `name` (any namespace). */
int fx_is(const xmlNode *n, const char *name);
/* The text content of an element's direct text children, into b. */
void fx_text_of(const xmlNode *n, lexp__sbuf *b);
/* An attribute value by local name (borrowed, or NULL). */
const xmlChar *fx_attr(const xmlNode *n, const char *name);
/* First child element with this local name. */
xmlNodePtr fx_child(const xmlNode *n, const char *name);
/* The node after n in document order, staying inside root (NULL at the
 * end); with descend 0 the children of n are skipped. */
xmlNodePtr fx_walk_next(xmlNodePtr n, xmlNodePtr root, int descend);

/* Copying nodes inside one document. Namespaces declared on the root stay
 * shared; others are looked up in the new parent's scope, so copies carry
 * no redundant declarations. */
typedef struct fx_copier {
    fx_ctx *c;
    xmlDocPtr doc;
    xmlNodePtr root;
    /* Word: in a repeated copy, bookmarks are left out, w14 ids dropped and
     * drawing ids renumbered (Word rejects duplicates). */
    int repeat;
    int word;
    unsigned max_docpr;
    /* the template's root when it is another document's (a compiled Word
     * part): its declarations map to those of `root`, in order */
    const xmlNode *troot;
    xmlNsPtr last_from, last_to; /* the last root declaration mapped */
    /* fx_copy_deep may freeze run properties (w:rPr): one node standing for
     * the template's subtree (fx_frozen), which fx_xml_save writes in its place. Only
     * for copies nothing looks into or changes afterwards (the static
     * content dx_gen_node copies), from a template that outlives the
     * output and that fx_xml_save writes whole (fx_xml_plain). A cell's
     * properties (w:tcPr) freeze too while freeze_tc is set: for cells no
     * docxtpl tag or vertical merge changes afterwards. */
    int freeze_ok, freeze, freeze_tc;
} fx_copier;

/* A new document like t (its declaration, what lies around its root) with
 * a copy of t's root without children: k's doc, root and troot. NULL
 * (out of memory, set on k->c) on failure. */
xmlDocPtr fx_doc_like(fx_copier *k, const xmlDoc *t);
/* The template element a frozen copy stands for, or NULL. An element's
 * content field is otherwise unused (libxml2 neither sets nor frees it);
 * psvi is not free: the parser keeps big line numbers there. */
static inline const xmlNode *fx_frozen(const xmlNode *n)
{
    return n->type == XML_ELEMENT_NODE ? (const xmlNode *)n->content : NULL;
}
xmlNodePtr fx_copy_shallow(fx_copier *k, xmlNodePtr parent, const xmlNode *src);
xmlNodePtr fx_copy_deep(fx_copier *k, xmlNodePtr parent, const xmlNode *src);
/* Append a text node holding n bytes of s to parent. */
int fx_add_text(fx_copier *k, xmlNodePtr parent, const char *s, size_t n);
/* A new element in the namespace of `like`, appended to parent. */
xmlNodePtr fx_new_elem(fx_copier *k, xmlNodePtr parent, const xmlNode *like, const char *name);
/* Count nodes created; fails when FX_MAX_NODES is passed. */
int fx_count_nodes(fx_ctx *c, uint64_t n);
/* Remove characters XML 1.0 cannot hold (controls other than tab/newline,
 * U+FFFE/U+FFFF) in place; returns the new length. */
size_t fx_xml_clean(char *s, size_t n);

/* Relationships of a part: Id, Type (its last path segment) and Target
 * resolved against the part's folder. */
typedef struct fx_rel {
    char *id, *type, *target;
} fx_rel;
int fx_rels_read(fx_ctx *c, const char *part, fx_rel **out, int *n);
/* The name of part's relationships part ("" gives the package's). */
void fx_rels_name(const char *part, char *name, size_t size);

/* What the main part of a package must be, to tell a Word document from a
 * workbook (and say so when a file carries the other's extension). */
typedef struct fx_kind {
    const char *what;         /* "a Word document" */
    const char *part;         /* the usual main part: "word/document.xml" */
    const char *prefix;       /* its folder, when no content type is declared */
    const char *ct[2];        /* words of its content type */
    const char *not_main;     /* "its main part is not a Word body" */
    const char *other_ct;     /* the other kind's content type word … */
    const char *other_part;   /* … and main part */
    const char *other_hint;   /* " (it is an Excel workbook: name it .xlsx)" */
} fx_kind;

/* The name of the package's main part (malloc'd), from the package
 * relationships; NULL with an error when it is not of `kind`. */
char *fx_main_part(fx_ctx *c, const fx_kind *kind);
void fx_rels_free(fx_rel *r, int n);
/* Read what fx_rels_read and fx_content_type would read from c->pkg into
 * t's memos (errors are left for the fills to report); free them. */
void fx_memo_build(fx_ctx *c, lexp_office_template *t);
void fx_memo_free(lexp_office_template *t);

/* ---- fill_text.c -------------------------------------------------------- */

/* A tag found in a text. */
typedef struct fx_tag {
    int scope;      /* 0 inline, 'p' paragraph, 't' table row, 'c' table cell */
    int comment;    /* {# #} */
    size_t start;   /* whole tag [start, end) in the original text */
    size_t end;
    int line, col;  /* where its '{' is (col in characters) */
    uint8_t trim_l, trim_r; /* {%- and -%} */
    uint8_t cell;   /* docxtpl's cell tags: 'v' {% vm %}, 'h' {% hm %},
                       's' {% colspan n %}, 'b' {% cellbg colour %} (t.expr) */
    uint8_t rich;   /* {{r x}}: 'r', {{p x}}: 'p' */
    lexp_tag t;     /* parsed content (not for comments) */
} fx_tag;

/* What is around the tags: literal text with escapes and trimming applied. */
typedef struct fx_lit {
    size_t start, len; /* in the original text */
} fx_lit;

typedef struct fx_scan {
    fx_tag *tags;
    int ntags;
    fx_lit *lits; /* in order, interleaved with tags by position */
    int nlits;
    int escapes;  /* a \{ was dropped: the text differs from the literal */
} fx_scan;

/* Find the tags of `text` (a paragraph or a cell; `what` names it in
 * messages). Smart quotes and odd spaces inside tags are read as ASCII.
 * Returns 0 (scan filled, arrays in c->A), or an error. */
int fx_scan_text(fx_ctx *c, const char *text, size_t n, int line, const char *what,
                 fx_scan *out);
/* Quick test: could this text hold a tag at all? */
int fx_maybe_tags(const char *s, size_t n);

typedef enum {
    OP_TEXT, /* literal text of a slot */
    OP_EXPR, /* {{ expr }} */
    OP_LEAF, /* a leaf (a run's tab, drawing …; a node of a list) */
    OP_GAP,  /* XLSX: rows that are absent from the template (empty) */
    OP_FOR,
    OP_IF,
    OP_SET,
    /* Word flows (a block spanning paragraphs, cells or rows): */
    OP_OPEN,  /* a copy of node opens here … */
    OP_CLOSE, /* … and the latest one open closes */
    OP_TAG    /* a statement tag not yet built into the tree */
} fx_opkind;

typedef struct fx_op fx_op;
typedef struct fx_branch fx_branch;
struct fx_branch {
    const lexp_expr *cond; /* NULL for else */
    fx_op *body;
    fx_branch *next;
};

struct fx_op {
    uint8_t kind;
    int slot;           /* OP_TEXT, OP_EXPR: slot; OP_LEAF: leaf index */
    const char *s;      /* OP_TEXT */
    uint32_t n;
    xmlNodePtr node;    /* OP_LEAF in a list, OP_OPEN, OP_CLOSE: the node */
    const void *para;   /* Word: the paragraph a TEXT, EXPR or LEAF op is of */
    uint32_t gap_from;  /* OP_GAP: first template row, and count in n */
    const fx_tag *tag;  /* the statement or expression */
    fx_op *body, *else_body;
    fx_branch *br;      /* OP_IF */
    fx_op *next;
    /* OP_FOR */
    int id;     /* 1-based, unique in the part */
    fx_op *up;  /* the loop this one runs in (same list), or NULL */
    int depth;  /* loops around it, in the same list */
};

/* Builds a statement tree from a sequence of items and tags. */
typedef struct fx_frame {
    fx_op *op;
    fx_op **tail;   /* where the enclosing list continues after the statement */
    fx_branch *last; /* OP_IF: the latest branch */
    int in_else;    /* after {% else %} */
} fx_frame;

typedef struct fx_builder {
    fx_ctx *c;
    const char *where;   /* "this paragraph", "this table" … for messages */
    fx_op *root;
    fx_op **tail;
    fx_frame st[FX_MAX_NEST];
    int depth;
    int *next_id; /* loop ids */
    int word;     /* Word: inline blocks may span paragraphs (messages say so) */
} fx_builder;

void fx_build_init(fx_builder *b, fx_ctx *c, const char *where, int *next_id);
fx_op *fx_build_item(fx_builder *b, fx_opkind kind); /* appended, zeroed */
void fx_build_add(fx_builder *b, fx_op *op);          /* append an existing item */
/* Add a statement. *loop (may be NULL) receives the loop the tag's own
 * paragraph or row belongs to: the one around the statement. */
int fx_build_tag(fx_builder *b, const fx_tag *t, fx_op **loop);
/* The loop new items are in (innermost for, not in its else), or NULL. */
fx_op *fx_build_loop(const fx_builder *b);
int fx_build_end(fx_builder *b, fx_op **out);
/* 1 if the list holds statements (for/if/set) anywhere. */
int fx_has_statements(const fx_op *list);

/* Running a statement tree. Leaves go to `leaf`; loops announce each
 * iteration to `iter` (index of len, or -1 after the last). */
typedef struct fx_runner {
    int (*leaf)(fx_ctx *c, const fx_op *op, void *p);
    int (*iter)(fx_ctx *c, const fx_op *loop, int64_t index, uint32_t len, void *p);
    void *p;
} fx_runner;

int fx_run(fx_ctx *c, const fx_op *list, const fx_runner *r);
/* The innermost loop that holds both a and b (NULL: none). */
fx_op *fx_lca(fx_op *a, fx_op *b);
/* Evaluate an OP_EXPR: the value (NULL on error). */
const lexp_value *fx_eval(fx_ctx *c, const fx_op *op);
/* The text of a value, appended to b. */
int fx_value_text(fx_ctx *c, const fx_op *op, const lexp_value *v, lexp__sbuf *b);

/* ---- fill_docx_part.c / fill_xlsx.c ------------------------------------- */

int fx_docx(fx_ctx *c);
/* Compile t's Word parts once (c: t's package, being prepared); a part
 * that cannot be is compiled by each fill. Never fails. */
void fx_docx_prepare(fx_ctx *c, lexp_office_template *t);
void fx_docx_unprepare(lexp_office_template *t);
int fx_xlsx(fx_ctx *c);
/* fill_props.c: tags in docProps/core.xml */
int fx_fill_props(fx_ctx *c);

/* ---- fill_ref.c ------------------------------------------------------------ */

/* A cell reference or range inside a formula, as the rewriter sees it. */
typedef struct fx_ref {
    const char *sheet; /* NULL: the formula's own sheet */
    size_t sheet_len;
    int external;      /* [1]Sheet!A1: another workbook, never touched */
    int kind;          /* 'c' cell, 'r' cell range, 'R' row range, 'C' column range */
    uint32_t row[2], col[2];
    int rabs[2], cabs[2];
} fx_ref;

/* Called for each reference; returns 0 and may change rows/cols (row 0 in
 * the result means #REF!), or -1 to stop with an error. */
typedef int (*fx_ref_fn)(fx_ref *r, void *p);

/* Rewrite the references of a formula into out. *changed is set when the
 * text differs. */
int fx_formula_map(const char *f, size_t n, fx_ref_fn fn, void *p, lexp__sbuf *out,
                   int *changed);
/* Shift relative references by (drow, dcol), as Excel does when a formula
 * is copied (shared formulas). */
int fx_formula_shift(const char *f, size_t n, int64_t drow, int64_t dcol, lexp__sbuf *out);
/* "B12" → row 12, column 2 (1-based); 0 if malformed. */
int fx_cell_parse(const char *s, size_t n, uint32_t *row, uint32_t *col);
/* Column letters of a 1-based column. */
void fx_col_name(uint32_t col, char out[4]);

#endif
