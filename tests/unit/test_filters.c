/*
 * Every filter, table-driven: each case renders "{{ EXPR }}" against a small
 * data set through the public API and compares the text output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libexport.h"

static const char *DATA =
    "{\"community\": {\"name\": \"华林山社区\", \"population\": 4101,"
    "  \"ethnic_groups\": [{\"name\": \"回族\", \"population\": 1296},"
    "                      {\"name\": \"东乡族\", \"population\": 86}]},"
    " \"zero\": 0, \"missing_null\": null, \"words\": [\"甲\", \"乙\", \"丙\"],"
    " \"acts\": ["
    "  {\"date\": \"2011-02-28\", \"category\": \"座谈会\", \"participants\": 35},"
    "  {\"date\": \"2011-03-05\", \"category\": \"宣传\", \"participants\": 120, \"materials\": 1500},"
    "  {\"date\": \"2011-03-12\", \"category\": \"走访慰问\", \"participants\": 16},"
    "  {\"date\": \"2011-03-20\", \"category\": \"培训\", \"participants\": 42},"
    "  {\"date\": \"2011-03-28\", \"category\": \"宣传\", \"participants\": 200, \"materials\": 200}"
    " ]}";

typedef struct {
    const char *expr;
    const char *want;
} tcase;

static const tcase cases[] = {
    /* cn: Chinese numerals, lower case */
    {"0 | cn", "零"},
    {"1 | cn", "一"},
    {"10 | cn", "十"},
    {"11 | cn", "十一"},
    {"15 | cn", "十五"},
    {"19 | cn", "十九"},
    {"20 | cn", "二十"},
    {"21 | cn", "二十一"},
    {"100 | cn", "一百"},
    {"101 | cn", "一百零一"},
    {"105 | cn", "一百零五"},
    {"110 | cn", "一百一十"},
    {"111 | cn", "一百一十一"},
    {"119 | cn", "一百一十九"},
    {"1000 | cn", "一千"},
    {"1001 | cn", "一千零一"},
    {"1005 | cn", "一千零五"},
    {"1010 | cn", "一千零一十"},
    {"1100 | cn", "一千一百"},
    {"3986 | cn", "三千九百八十六"},
    {"4101 | cn", "四千一百零一"},
    {"10000 | cn", "一万"},
    {"10001 | cn", "一万零一"},
    {"10005 | cn", "一万零五"},
    {"10010 | cn", "一万零一十"},
    {"10100 | cn", "一万零一百"},
    {"12130 | cn", "一万二千一百三十"},
    {"100000 | cn", "十万"},
    {"150000 | cn", "十五万"},
    {"1000000 | cn", "一百万"},
    {"100000000 | cn", "一亿"},
    {"100010000 | cn", "一亿零一万"},
    {"110000000 | cn", "一亿一千万"},
    {"1000000000 | cn", "十亿"},
    {"1000000000000 | cn", "一万亿"},
    {"-7 | cn", "负七"},
    {"-10 | cn", "负十"},
    {"3.14 | cn", "三点一四"},
    {"3.05 | cn", "三点零五"},
    {"0.5 | cn", "零点五"},
    {"-0.5 | cn", "负零点五"},
    /* cn_upper: financial numerals */
    {"0 | cn_upper", "零"},
    {"10 | cn_upper", "壹拾"},
    {"15 | cn_upper", "壹拾伍"},
    {"1234 | cn_upper", "壹仟贰佰叁拾肆"},
    {"1010 | cn_upper", "壹仟零壹拾"},
    {"35520 | cn_upper", "叁万伍仟伍佰贰拾"},
    {"100000 | cn_upper", "壹拾万"},
    /* cn_money */
    {"1234.5 | cn_money", "壹仟贰佰叁拾肆元伍角整"},
    {"1234.56 | cn_money", "壹仟贰佰叁拾肆元伍角陆分"},
    {"100 | cn_money", "壹佰元整"},
    {"0 | cn_money", "零元整"},
    {"0.5 | cn_money", "伍角整"},
    {"0.05 | cn_money", "伍分"},
    {"1000.05 | cn_money", "壹仟元零伍分"},
    {"10.5 | cn_money", "壹拾元伍角整"},
    {"1.006 | cn_money", "壹元零壹分"},
    {"-3 | cn_money", "负叁元整"},
    {"100000000 | cn_money", "壹亿元整"},
    /* cn_year, cn_date */
    {"2024 | cn_year", "二〇二四"},
    {"2011 | cn_year", "二〇一一"},
    {"\"2011-03-28\" | cn_year", "二〇一一"},
    {"\"2024-09-30\" | cn_date", "二〇二四年九月三十日"},
    {"\"2024-10-01\" | cn_date", "二〇二四年十月一日"},
    {"\"2024-12\" | cn_date", "二〇二四年十二月"},
    /* date */
    {"\"2024-09-30\" | date(\"YYYY年M月D日\")", "2024年9月30日"},
    {"\"2024-09-30\" | date(\"M月D日\")", "9月30日"},
    {"\"2024-09-30\" | date", "2024年9月30日"},
    {"\"2024-09-03\" | date(\"YYYY-MM-DD\")", "2024-09-03"},
    {"\"2024-09-03\" | date(\"YY.M.D\")", "24.9.3"},
    {"\"2024-09-30\" | date(\"星期W\")", "星期一"},
    {"\"2024-09\" | date(\"YYYY年M月\")", "2024年9月"},
    /* pct, num, wan, big */
    {"0.35016 | pct(1)", "35.0%"},
    {"0.35016 | pct", "35.0%"},
    {"1 | pct(0)", "100%"},
    {"(1436 / 4101) | pct(1)", "35.0%"},
    {"0.125 | pct(0)", "13%"},
    {"1234567.891 | num(2)", "1,234,567.89"},
    {"55373 | num(0)", "55,373"},
    {"999 | num", "999"},
    {"-1234.5 | num(1)", "-1,234.5"},
    {"2.675 | num(2)", "2.68"},
    {"453000 | wan(1)", "45.3万"},
    {"553730 | wan(1)", "55.4万"},
    {"10000 | wan(0)", "1万"},
    {"8600 | big", "8600"},
    {"120000 | big", "12万"},
    {"453000 | big", "45.3万"},
    /* aggregates */
    {"acts | count", "5"},
    {"acts | length", "5"},
    {"acts | sum(\"participants\")", "413"},
    {"acts | sum(\"materials\")", "1700"},
    {"acts | sum(\"sessions\", 1)", "5"},
    {"acts | sum(\"materials\", 100)", "2000"},
    {"acts | avg(\"materials\", 0)", "340"},
    {"acts | avg(\"participants\")", "82.6"},
    {"acts | min(\"participants\")", "16"},
    {"acts | max(\"participants\")", "200"},
    {"[1, 2, 3.5] | sum", "6.5"},
    {"[] | avg(\"x\")", "0"},
    {"missing | count", "0"},
    {"missing | sum(\"x\")", "0"},
    {"\"汉字abc\" | count", "5"},
    /* where */
    {"acts | where(\"date\", \"startswith\", \"2011-03\") | count", "4"},
    {"acts | where(\"date\", \"startswith\", \"2011-03\") | sum(\"participants\")", "378"},
    {"acts | where(\"category\", \"==\", \"宣传\") | sum(\"materials\")", "1700"},
    {"acts | where(\"category\", \"宣传\") | count", "2"},
    {"acts | where(\"category\", \"!=\", \"宣传\") | count", "3"},
    {"acts | where(\"participants\", \">\", 100) | count", "2"},
    {"acts | where(\"participants\", \">=\", 120) | count", "2"},
    {"acts | where(\"participants\", \"<\", 40) | count", "2"},
    {"acts | where(\"participants\", \"<=\", 35) | count", "2"},
    {"acts | where(\"date\", \">=\", \"2011-03-12\") | count", "3"},
    {"acts | where(\"category\", \"in\", [\"宣传\", \"培训\"]) | count", "3"},
    {"acts | where(\"category\", \"contains\", \"慰问\") | count", "1"},
    {"acts | where(\"materials\") | count", "2"},
    /* groupby, sort, first, last, join, default, map, unique, reverse, limit */
    {"acts | groupby(\"category\") | map(\"key\") | join(\",\")", "座谈会,宣传,走访慰问,培训"},
    {"(acts | groupby(\"category\"))[1].count", "2"},
    {"(acts | groupby(\"category\"))[1].items | sum(\"participants\")", "320"},
    {"acts | sort(\"participants\") | map(\"participants\") | join(\",\")", "16,35,42,120,200"},
    {"(acts | sort(\"participants\", true) | first).category", "宣传"},
    {"(acts | sort(\"materials\", true)) | map(\"participants\") | join(\",\")",
     "120,200,35,16,42"},
    {"(acts | last).date", "2011-03-28"},
    {"acts | groupby(\"date\", 7) | map(\"key\") | join(\",\")", "2011-02,2011-03"},
    {"(acts | groupby(\"date\", 7))[1].count", "4"},
    {"acts | groupby(\"category\", [\"培训\", \"宣传\", \"文艺汇演\"]) | map(\"key\") | join(\",\")",
     "培训,宣传,其他"},
    {"(acts | groupby(\"category\", [\"宣传\"], \"另\"))[1].count", "3"},
    {"(acts | groupby(\"category\", [\"宣传\"]))[1].key", "其他"},
    {"words | first", "甲"},
    {"words | last", "丙"},
    {"words | join(\"、\")", "甲、乙、丙"},
    {"words | join", "甲乙丙"},
    {"words | reverse | join", "丙乙甲"},
    {"words | limit(2) | join", "甲乙"},
    {"[1, 2, 1, 3, 2] | unique | join(\",\")", "1,2,3"},
    /* unique: first occurrences in order, equal as == is (1 and 1.0 are one
     * number, "1" is a string, none and a missing value are both nothing,
     * objects are equal whatever the order of their keys) */
    {"[3, 1, 3.0, 2, 1] | unique | join(\",\")", "3,1,2"},
    {"[1, \"1\", 1.0, \"1\"] | unique | count", "2"},
    {"([1, \"1\"] | unique)[1] is string", "true"},
    {"[\"1\", 1] | unique | first is string", "true"},
    {"[true, 1, false, 0, true] | unique | count", "4"},
    {"[0, -0, 0.0] | unique | count", "1"},
    {"[none, nope, missing_null, 1] | unique | count", "2"},
    {"[{\"a\": 1, \"b\": 2}, {\"b\": 2, \"a\": 1}, {\"a\": 1}, {\"a\": 1.0}] | unique | count", "2"},
    {"[{\"a\": 1, \"b\": 2}, {\"a\": 2, \"b\": 1}] | unique | count", "2"},
    {"[[1, [2]], [1, [2]], [1, [3]], [[2], 1]] | unique | count", "3"},
    {"[[], {}, \"\", 0, none] | unique | count", "5"},
    {"acts | map(\"category\") | unique | join(\",\")", "座谈会,宣传,走访慰问,培训"},
    {"acts | map(\"materials\") | unique | count", "3"},
    /* where … in: the same equality, over mixed types */
    {"acts | where(\"participants\", \"in\", [35, \"16\", 42.0, none]) | map(\"participants\") | join(\",\")",
     "35,42"},
    {"acts | where(\"materials\", \"in\", [none]) | count", "3"},
    {"acts | where(\"materials\", \"in\", [200, 1500, 200]) | count", "2"},
    {"acts | where(\"category\", \"in\", []) | count", "0"},
    {"acts | where(\"category\", \"in\", [[\"宣传\"], {\"宣传\": 1}]) | count", "0"},
    {"[{\"k\": [1, 2]}, {\"k\": [2, 1]}] | where(\"k\", \"in\", [[1, 2]]) | count", "1"},
    {"[{\"k\": {\"x\": 1, \"y\": 2} }] | where(\"k\", \"in\", [{\"y\": 2, \"x\": 1} ]) | count", "1"},
    /* groupby with known keys: the others under 其他 */
    {"[{\"c\": 1}, {\"c\": \"1\"}, {\"c\": 2}] | groupby(\"c\", [1, 3]) | map(\"key\") | join(\",\")",
     "1,其他"},
    {"([{\"c\": 1}, {\"c\": \"1\"}, {\"c\": 1.0}] | groupby(\"c\", [1]))[0].count", "2"},
    {"[\"甲\", \"\", missing, 0, none, \"乙\"] | compact | join(\"、\")", "甲、0、乙"},
    {"acts | join(\"/\", \"category\")", "座谈会/宣传/走访慰问/培训/宣传"},
    {"community.missing | default(\"无\")", "无"},
    {"missing_null | default(\"空\")", "空"},
    {"\"\" | default(\"空\", true)", "空"},
    {"\"有\" | default(\"空\")", "有"},
    {"zero | default(5)", "0"},
    /* other filters */
    {"3.14159 | round(2)", "3.14"},
    {"2.5 | round", "3"},
    {"-7.9 | int", "-7"},
    {"\"42\" | int", "42"},
    {"-3 | abs", "3"},
    {"\"12.5\" | number", "12.5"},
    {"12 | string", "12"},
    {"\"  a b  \" | trim", "a b"},
    {"\"民族团结\" | replace(\"团结\", \"和谐\")", "民族和谐"},
    {"\"铸牢中华民族共同体意识\" | truncate(4)", "铸牢中华…"},
    {"120 | change(100)", "增长20.0%"},
    {"80 | change(100)", "下降20.0%"},
    {"100 | change(100)", "持平"},
    {"5 | change(0)", "新增"},
    {"1 | change(3, 0)", "下降67%"},
    /* expressions */
    {"1 + 2 * 3", "7"},
    {"(1 + 2) * 3", "9"},
    {"7 // 2", "3"},
    {"7 % 3", "1"},
    {"10 / 4", "2.5"},
    {"0.1 + 0.2", "0.3"},
    {"\"a\" ~ 1 ~ \"b\"", "a1b"},
    {"\"甲\" + \"乙\"", "甲乙"},
    {"([1, 2] + words + []) | join(\",\")", "1,2,甲,乙,丙"},
    {"1 < 2 and 2 < 3", "true"},
    {"not 1", "false"},
    {"missing or \"默认\"", "默认"},
    {"\"是\" if 1 > 0 else \"否\"", "是"},
    {"\"是\" if 1 < 0 else \"否\"", "否"},
    {"\"宣传\" in (acts | map(\"category\"))", "true"},
    {"\"团结\" in \"民族团结\"", "true"},
    {"\"x\" not in words", "true"},
    {"35 in (acts | map(\"participants\"))", "true"},
    {"\"35\" in (acts | map(\"participants\"))", "false"},
    {"35.0 in (acts | map(\"participants\"))", "true"},
    {"community.ethnic_groups[1].name", "东乡族"},
    {"community.ethnic_groups[-1].population", "86"},
    {"community[\"name\"]", "华林山社区"},
    {"community.ethnic_groups.0.name", "回族"},
    {"community.ethnic_groups[5].name | default(\"无\")", "无"},
    {"missing is defined", "false"},
    {"community is defined", "true"},
    {"zero is number", "true"},
    {"words is not string", "true"},
    {"(community.ethnic_groups | sum(\"population\") / community.population) | pct(1)", "33.7%"},
    {"words", "甲、乙、丙"},
    {"-(2 + 3)", "-5"},
    {NULL, NULL}};

static int run(lexp_data *data, const char *expr, char **out, lexp_error *err)
{
    size_t n = strlen(expr) + 16;
    char *src = malloc(n);
    snprintf(src, n, "{{ %s }}\n", expr);
    lexp_template *t = NULL;
    int rc = lexp_template_parse(&t, src, strlen(src), "case.lxt", err);
    free(src);
    if (rc)
        return rc;
    lexp_buf b = LEXP_BUF_INIT;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    rc = lexp_render(&b, t, data, &o, err);
    lexp_template_free(t);
    if (rc)
        return rc;
    /* one paragraph: strip the newline */
    while (b.size && (b.ptr[b.size - 1] == '\n'))
        b.size--;
    *out = malloc(b.size + 1);
    memcpy(*out, b.ptr, b.size);
    (*out)[b.size] = 0;
    lexp_buf_dispose(&b);
    return 0;
}

int main(void)
{
    lexp_error err;
    lexp_data *data = NULL;
    if (lexp_data_load_json(&data, DATA, strlen(DATA), "filters.json", &err)) {
        fprintf(stderr, "data: %s\n", err.message);
        return 1;
    }
    int fails = 0, n = 0;
    for (const tcase *c = cases; c->expr; c++, n++) {
        char *got = NULL;
        int rc = run(data, c->expr, &got, &err);
        if (rc) {
            printf("FAIL {{ %s }}: error %s\n", c->expr, err.message);
            fails++;
        } else if (strcmp(got, c->want) != 0) {
            printf("FAIL {{ %s }}: got '%s', want '%s'\n", c->expr, got, c->want);
            fails++;
        }
        free(got);
    }
    lexp_data_free(data);
    printf("%d filter cases, %d failed\n", n, fails);
    return fails != 0;
}
