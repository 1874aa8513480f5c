/*
 * Fuzz target: the office-template reader and filler (lexp_fill_memory).
 *
 * The first byte picks what the rest is:
 *   0  a whole .docx package        1  a whole .xlsx package
 *   2  word/document.xml of a .docx 3  the sheet of a one-sheet .xlsx
 * so the fuzzer reaches the zip reader as well as the tag, structure and
 * reference code without having to find valid zip files first. With bit 2
 * set the template is also prepared (lexp_office_template_load_memory) and
 * filled twice from it: both must give the unprepared fill's code and
 * bytes (a prepared fill copies entries from bytes kept at load, and
 * generates from parts compiled once).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/office_min.h"
#include "libexport.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static const char DATA[] =
    "{\"community\": {\"name\": \"秦渠社区\", \"population\": 12130, \"tags\": [\"a\", \"b\"]},"
    " \"activities\": [{\"date\": \"2024-09-20\", \"category\": \"宣传\", \"title\": \"汇演\","
    " \"participants\": 300}, {\"date\": \"2024-09-21\", \"category\": \"宣传\", \"title\":"
    " \"宣讲\", \"participants\": 12}, {\"date\": \"2024-10-01\", \"category\": \"帮扶\","
    " \"title\": \"慰问\", \"participants\": 5}]}";

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
    if (len < 1)
        return 0;
    lexp_error err;
    lexp_data *d = NULL;
    if (lexp_data_load_json(&d, DATA, sizeof DATA - 1, "fuzz.json", &err) != 0)
        return 0;
    int mode = buf[0] & 3;
    const unsigned char *tpl = buf + 1;
    size_t n = len - 1;
    unsigned char *made = NULL;
    if (mode >= 2) {
        char *xml = malloc(n + 1);
        if (!xml) {
            lexp_data_free(d);
            return 0;
        }
        memcpy(xml, buf + 1, n);
        xml[n] = 0;
        made = mode == 2 ? om_docx_doc(xml, &n) : om_xlsx_sheet(xml, &n);
        free(xml);
        tpl = made;
    }
    if (tpl) {
        lexp_buf out = LEXP_BUF_INIT;
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        o.month = "2024-09";
        const char *name = (mode & 1) ? "f.xlsx" : "f.docx";
        int rc = lexp_fill_memory(&out, tpl, n, name, d, &o, &err);
        if (getenv("FUZZ_OFFICE_VERBOSE")) /* to see what the seeds reach */
            fprintf(stderr, "mode %d: %s\n", mode, rc ? err.message : "filled");
        lexp_office_template *t = NULL;
        if ((buf[0] & 4) && lexp_office_template_load_memory(&t, NULL, tpl, n, name, &err) == 0) {
            for (int i = 0; i < 2; i++) {
                lexp_buf again = LEXP_BUF_INIT;
                int rc2 = lexp_office_template_fill(&again, t, d, &o, &err);
                if (rc2 != rc || (rc == 0 && (again.size != out.size ||
                                              memcmp(again.ptr, out.ptr, out.size) != 0)))
                    __builtin_trap(); /* a prepared fill differs from the unprepared one */
                lexp_buf_dispose(&again);
            }
            lexp_office_template_free(t);
        }
        lexp_buf_dispose(&out);
    }
    free(made);
    lexp_data_free(d);
    return 0;
}
