/*
 * render_memory — a template and data held in memory, rendered to memory:
 * what a web service or another program embedding libexport does. Built
 * with CMake's find_package(libexport).
 *
 *   ./render_memory [FORMAT]     prints the size of the document, or the text for txt
 */
#include <stdio.h>
#include <string.h>

#include <libexport.h>

static const char *TEMPLATE =
    "---\n"
    "preset: gbt9704\n"
    "title: \"{{ community.name }}活动统计\"\n"
    "---\n"
    "# 基本情况\n"
    "{{ community.name }}常住人口{{ community.population }}人（{{ community.population | cn }}人）。\n"
    "| 日期 | 活动 | 人次 |\n"
    "|------|------|-----:|\n"
    "{% for a in activities %}\n"
    "| {{ a.date | date(\"M月D日\") }} | {{ a.title }} | {{ a.participants }} |\n"
    "{% endfor %}\n"
    "| 合计 | < | {{ activities | sum(\"participants\") }} |\n";

static const char *DATA =
    "{\"community\": {\"name\": \"华林山社区\", \"population\": 4101},"
    " \"activities\": [{\"date\": \"2011-03-05\", \"title\": \"民族政策宣传进楼院\", \"participants\": 120},"
    "                  {\"date\": \"2011-03-28\", \"title\": \"民族团结知识答题\", \"participants\": 200}]}";

int main(int argc, char **argv)
{
    lexp_error err;
    lexp_template *tpl = NULL;
    lexp_data *data = NULL;
    lexp_buf out = LEXP_BUF_INIT;
    lexp_render_options opt = LEXP_RENDER_OPTIONS_INIT;
    opt.format = lexp_format_from_name(argc > 1 ? argv[1] : "txt");
    if (opt.format < 0) {
        fprintf(stderr, "unknown format\n");
        return 2;
    }
    int rc = lexp_template_parse(&tpl, TEMPLATE, strlen(TEMPLATE), "memory.lxt", &err);
    if (rc == 0)
        rc = lexp_data_load_json(&data, DATA, strlen(DATA), "memory.json", &err);
    if (rc == 0)
        rc = lexp_render(&out, tpl, data, &opt, &err);
    if (rc != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.column, err.message);
    } else if (opt.format == LEXP_FORMAT_TXT) {
        fwrite(out.ptr, 1, out.size, stdout);
    } else {
        printf("%s: %zu bytes\n", lexp_format_name(opt.format), out.size);
    }
    lexp_buf_dispose(&out);
    lexp_data_free(data);
    lexp_template_free(tpl);
    printf("libexport %s\n", lexp_version());
    return rc != 0;
}
