/* DOCX renderer: not written yet. */
#include "render.h"

int lexp__render_docx(lexp__sbuf *out, const lexp_doc *doc, const lexp_render_options *opt,
                     lexp_error *err)
{
    (void)out;
    (void)doc;
    (void)opt;
    return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL,
                           "the docx renderer is not available yet");
}
