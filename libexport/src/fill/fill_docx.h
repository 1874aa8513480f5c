/*
 * Word templates, shared between the files of the Word filler:
 *
 *   fill_docx.c        compiling a part: paragraphs into programs, lists
 *                      into statements, blocks that span paragraphs, cells
 *                      or rows into flows
 *   fill_docx_table.c  rows, cells, vertical merge regions and docxtpl's
 *                      table tags
 *   fill_docx_gen.c    generating a compiled part
 *   fill_docx_part.c   the parts of a document; compiled once for a prepared
 *                      template, each generated into a new document
 *   fill_rich.c        rich text from JSON: {{r x}} runs, {{p x}} paragraphs,
 *                      links and their relationships
 *
 * Every element of the template that needs more than a plain copy carries
 * a dx_info in its _private field.
 */
#ifndef LEXP_FILL_DOCX_H
#define LEXP_FILL_DOCX_H

#include "fill.h"

enum { K_COPY = 0, K_PASS, K_LIST, K_PARA };

typedef struct dx_para dx_para;

typedef struct dx_info {
    uint8_t kind;
    uint8_t dyn;     /* needs more than a plain copy */
    uint8_t marker;  /* 'p', 't' or 'c': a statement's paragraph, row or cell; not output */
    uint8_t vmerge;  /* w:tbl: set merge marks after generating it */
    uint8_t open;    /* in token form in its parent's flow (a block crosses it) */
    uint8_t join_prev, join_next; /* w:p: {%- first, -%} last: joins its neighbour */
    uint8_t no_open, no_close;    /* w:p: joined, so its start or end is not output */
    uint8_t eaten;   /* an empty paragraph between two joined ones */
    uint8_t dropped; /* {#p #}, {#tr #}, {#tc #}: not output */
    uint8_t hm;      /* w:tc: {% hm %}: one cell spanning the loop's columns */
    int leaf;        /* inside a paragraph: leaf index, -1 none, -2 dropped */
    int lo, hi;      /* inside a paragraph: the leaves below */
    dx_para *owner;  /* inside a paragraph: the paragraph's leaves */
    fx_op *items;    /* K_LIST: the children; K_PARA: the program */
    dx_para *para;   /* w:p */
    fx_op **toks;    /* w:p: its tokens; open: its flow */
    int ntoks;
    const fx_tag *tag; /* marker: its tag */
    int content;     /* w:tr: paragraphs with text or tags in it */
    fx_op *loop;     /* w:tr, w:tc: the row (column) loop it is generated in */
    int region;      /* w:tc: vertical merge region (0: none) */
    int region_loop; /* w:tc: loop id scoping the region (0: none) */
    const fx_tag *cellbg, *colspan; /* w:tc: docxtpl's cell tags */
    const fx_tag *vm;               /* w:tc: {% vm %} */
} dx_info;

struct dx_para {
    int nleaves;
    xmlNodePtr *leaf;  /* leaf nodes */
    xmlNodePtr *unit;  /* the top-level child each leaf is in */
    uint8_t *slot;     /* 1 for w:t */
    int base;          /* its leaves' place in a fill's dx.first/last/stamp */
};

/* The tag of an output cell in a merge region (in its _private). */
typedef struct dx_cellmark {
    int region;
    uint64_t key;
} dx_cellmark;

typedef struct dx_links dx_links;

typedef struct dx {
    fx_ctx *c;
    int para_no;
    int next_loop; /* loop ids */
    /* generation */
    fx_copier k;
    uint64_t *serial; /* current iteration serial of each loop, by id */
    int64_t *index;   /* current iteration index of each loop, by id */
    int64_t *length;  /* and its length */
    uint64_t serials;
    int nloops;
    int nleaves;      /* compiling: the part's leaves so far (dx_para.base) */
    int stamp;        /* units being built */
    int *first, *last, *stamps; /* by leaf (base + index): a unit's emits */
    dx_links *links;  /* hyperlinks of rich text, for the part's .rels */
    int rich_warned;  /* a plain {{ }} printed rich text (warned once a part) */
} dx;

/* A compiled part (fill_docx_part.c): the template's tree with a dx_info
 * on every element that needs one. A prepared template keeps one per part
 * and generates every fill from it without changing it. */
typedef struct dx_part {
    xmlDocPtr doc;
    int dyn;            /* 0: nothing to fill, the part stays as it is */
    int plain;          /* fx_xml_plain: copies of its run properties may freeze */
    int nloops, nleaves;
    unsigned max_docpr; /* the largest drawing id (wp:docPr) */
    lexp__arena A;      /* prepared: its infos, programs and tags … */
    lexp_template *host; /* … and the tags' expressions */
} dx_part;

/* fill_docx.c: compile a part's root. */
int dx_compile_root(dx *x, xmlNodePtr root);

int dx_is_w(const xmlNode *n, const char *name);
int dx_in_w(const xmlNode *n);
dx_info *dx_info_of(dx *x, xmlNodePtr n);
long dx_wval(const xmlNode *n, const char *child, long dflt);

/* fill_docx_table.c */
typedef int (*dx_node_fn)(dx *x, xmlNodePtr n, void *p);
int dx_each_row(dx *x, xmlNodePtr parent, dx_node_fn fn, void *p);
int dx_each_cell(dx *x, xmlNodePtr row, dx_node_fn fn, void *p);
int dx_table_regions(dx *x, xmlNodePtr tbl, dx_info *ti);
int dx_mark_region(dx *x, xmlNodePtr out, const xmlNode *t);
int dx_vfix_table(dx *x, xmlNodePtr out);
int dx_fix_container(dx *x, xmlNodePtr n, int *drop);
/* docxtpl's cell tags: set them on a generated cell (after its content);
 * 1 when an {% hm %} cell is left out (not the loop's first column). */
int dx_cell_tags(dx *x, xmlNodePtr out, const xmlNode *t);
int dx_cell_skip(dx *x, const xmlNode *t);

/* fill_docx_gen.c */
int dx_gen_node(dx *x, xmlNodePtr parent, xmlNodePtr t);
int dx_gen_list(dx *x, xmlNodePtr out, const fx_op *items);
/* Write a value's text into a run, as copies of w:t `t` (line breaks, tabs,
 * docxtpl's \a and \f markers). */
int dx_write_slot(dx *x, xmlNodePtr run, const xmlNode *t, char *s, size_t n);
/* Split a generated paragraph at its \a and \f markers. */
int dx_split_paras(dx *x, xmlNodePtr p);

/* fill_rich.c */
/* 1 when a {{r x}} or {{p x}} value is rich text (a list or an object). */
int dx_rich_is(const lexp_value *v, int kind);
/* Warn (once a part) when a plain {{ x }} prints what looks like rich text. */
void dx_rich_hint(dx *x, const fx_op *op, const lexp_value *v);
/* Check its shape before anything is written: 0, or -1 with an error at
 * the tag naming the data path. */
int dx_rich_check(dx *x, const fx_op *op, const lexp_value *v);
/* {{r x}}: its runs appended to out, formatted from the run of w:t `t`. */
int dx_rich_runs(dx *x, xmlNodePtr out, const xmlNode *t, const fx_op *op, const lexp_value *v);
/* {{p x}}: its paragraphs after *after (moved to the last one), shaped like
 * `shell`, the tag's output paragraph. */
int dx_rich_paras(dx *x, xmlNodePtr shell, xmlNodePtr *after, const xmlNode *t, const fx_op *op,
                  const lexp_value *v);
/* After the part: the links' relationships into its .rels, their ids into
 * the part. */
int dx_links_store(dx *x, xmlDocPtr doc, const char *part);
void dx_links_free(dx *x);

#endif
