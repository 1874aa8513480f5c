/*
 * Fuzz target: template parser and expander. The input is a template; it is
 * parsed and, if valid, evaluated against fixed sample data to text and to
 * the tree dump. Any crash, sanitizer report or leak is a bug; errors are
 * fine.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "libexport.h"

static const char *DATA =
    "{\"community\": {\"name\": \"秦渠社区\", \"population\": 12130, \"ethnic_groups\": "
    "[{\"name\": \"回族\", \"population\": 6431}]}, \"briefing\": {\"title\": \"简报\", "
    "\"first_issue_month\": \"2024-01\", \"report_to\": [\"区\"]}, \"zero\": 0, "
    "\"activities\": [{\"date\": \"2024-09-20\", \"category\": \"宣传\", \"title\": \"a\", "
    "\"participants\": 300, \"materials\": 5}, {\"date\": \"2024-09-21\", \"category\": \"培训\", "
    "\"title\": \"b|c\", \"participants\": 30}]}";

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    lexp_error err;
    lexp_template *t = NULL;
    if (lexp_template_parse(&t, (const char *)buf, len, NULL, &err) != 0)
        return 0;
    lexp_data *d = NULL;
    if (lexp_data_load_json(&d, DATA, strlen(DATA), "fuzz.json", &err) == 0) {
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.month = "2024-09";
        for (int f = 0; f < 2; f++) {
            lexp_buf b = LEXP_BUF_INIT;
            o.format = f ? LEXP_FORMAT_TREE : LEXP_FORMAT_TXT;
            lexp_render(&b, t, d, &o, &err);
            lexp_buf_dispose(&b);
        }
    }
    lexp_data_free(d);
    lexp_template_free(t);
    return 0;
}
