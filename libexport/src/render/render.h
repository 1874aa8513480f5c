/*
 * Renderers: one file each, sharing nothing but the document tree (doc.h)
 * and the style table (style.h). Each writes the whole output into `out`
 * and returns 0, or fills `err` and returns a negative lexp_code. They never
 * print; warnings go through lexp__warn.
 */
#ifndef LEXP_RENDER_H
#define LEXP_RENDER_H

#include "../doc/doc.h"
#include "../doc/style.h"
#include "../util/util.h"

typedef struct lexp_doc lexp_doc;

int lexp__render_txt(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                     lexp_error *err);
int lexp__render_tree(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                      lexp_error *err);
int lexp__render_pdf(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                     lexp_error *err);
/* The same, or with `path` (out NULL) to that file through a scratch file:
 * with a streamed table, its pages wait in a scratch file too, never in
 * memory. */
int lexp__render_pdf_to(lexp__sbuf *out, const char *path, const lexp_doc *doc,
                        const lexp_render_options *opt, lexp_error *err);
int lexp__render_docx(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                      lexp_error *err);
/* The same, or with `path` (out NULL) straight to that file: a document
 * whose body streamed is written from its scratch files, never held. */
int lexp__render_docx_to(lexp__sbuf *out, const char *path, const lexp_doc *doc,
                         const lexp_render_options *opt, lexp_error *err);
int lexp__render_xlsx(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                      lexp_error *err);
/* The workbook into `out`, or, with `path`, straight to that file (written
 * as lexp_write_file writes): a long streamed table is never in memory. */
int lexp__render_xlsx_to(lexp__sbuf *out, const char *path, const lexp_doc *doc,
                         const lexp_render_options *opt, lexp_error *err);

/* The plain text of a cell/paragraph, as the txt renderer shows it. */
void lexp__node_text(lexp__sbuf *b, const lexp_node *n);

#endif
