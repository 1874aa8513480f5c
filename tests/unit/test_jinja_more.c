/*
 * Edge cases of the Jinja builtins of office templates (eval/filters_py_more.c):
 * each tag is parsed as `lexp fill` parses it and evaluated by an office
 * evaluator, its value printed as docxtpl prints it. The expected texts are
 * Jinja 3.1's (MarkupSafe 3 for striptags) for the same expressions. Also:
 * every filter the error message lists exists, filters count their work as
 * steps, and the loop filter and loop.previtem / nextitem at the edges.
 * Arithmetic gives Python's types: a real operand or a true division makes
 * a float, which prints with its ".0". Indexes and slices of strings (by
 * characters) and lists follow Python's rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval.h"
#include "libexport.h"
#include "template/ast.h"

#include "check.h"

static const char *DATA = "{\"l\": [3, 1, 2], \"d\": {\"a\": 1, \"b\": 2, \"c\": 3},"
                          " \"xs\": [{\"a\": 1}, {\"b\": 2}, {\"c\": 3}], \"z\": null,"
                          " \"x\": 1.5, \"y\": 2.0, \"n\": 4}";

static lexp_data *data;

/* Parse the inner text of one tag, src[0, n). */
static int parse(lexp_template *host, const char *src, size_t n, int stmt, lexp_tag *tag,
                 lexp_error *err)
{
    return lexp__tag_parse(host, src, 0, n, stmt, "t.docx", 1, tag, err);
}

/* `src` filled as an office template fills it: text with {{ … }} tags
 * (each ends at " }}"), or with `stmt` the inner text of one {% for %} tag,
 * whose list is printed. "ERR <message>" on error. `steps`: where the
 * evaluation's step count starts. Returns a malloc'd string. */
static char *run(const char *src, int stmt, uint64_t steps)
{
    lexp_template *host = lexp__template_host("t.docx");
    lexp_error err;
    memset(&err, 0, sizeof err);
    lexp__arena A;
    lexp__arena_init(&A);
    lexp_eval e;
    lexp__sbuf b = LEXP__SBUF_INIT;
    int rc = host ? lexp__eval_open(&e, &A, host, data, NULL, &err) : -1;
    if (rc == 0) {
        e.steps = steps;
        for (const char *s = src; *s && rc == 0;) {
            const char *open = stmt ? s : strstr(s, "{{");
            const char *close = open && !stmt ? strstr(open, " }}") : NULL;
            if (!stmt && (!open || !close)) {
                lexp__sbuf_puts(&b, s);
                break;
            }
            lexp__sbuf_put(&b, s, (size_t)(open - s));
            const char *in = stmt ? s : open + 2;
            size_t n = stmt ? strlen(s) : (size_t)(close + 1 - in);
            lexp_tag tag;
            rc = parse(host, in, n, stmt, &tag, &err);
            const lexp_value *v = rc == 0 ? lexp__eval_expr(&e, tag.expr) : NULL;
            if (!v || lexp__jinja_text(&e, tag.expr, &b, v))
                rc = -1;
            s = stmt ? s + n : close + 3;
        }
        lexp__eval_close(&e);
    }
    char *out = NULL;
    if (rc == 0) {
        out = strdup(lexp__sbuf_cstr(&b));
    } else if ((out = malloc(strlen(err.message) + 8))) {
        sprintf(out, "ERR %s", err.message);
    }
    lexp__sbuf_free(&b);
    lexp__arena_free(&A);
    lexp_template_free(host);
    return out;
}

static void expect(const char *src, const char *want)
{
    char *got = run(src, 0, 0);
    int ok = got && (strncmp(want, "ERR", 3) == 0 ? strstr(got, want + 4) != NULL
                                                  : strcmp(got, want) == 0);
    if (!ok) {
        printf("FAIL %s\n  want %s\n  got  %s\n", src, want, got ? got : "(null)");
        fails++;
    }
    free(got);
}

static void test_text_filters(void)
{
    /* striptags: comments before tags, each search from the first start */
    expect("{{ '<!-- a'|striptags }}", "<!-- a");
    expect("{{ 'a<b'|striptags }}", "a<b");
    expect("{{ 'a<!-<!---->-->b'|striptags }}", "ab"); /* a removal makes a new "<!--" */
    expect("{{ '<<a>b>c'|striptags }}", "b>c");
    expect("{{ ''|striptags }}", "");
    /* trim and replace work on whole characters (they cut UTF-8 sequences) */
    expect("{{ '\xE3\x80\x80民族\xE3\x80\x80'|trim }}", "民族"); /* U+3000 */
    expect("{{ '族民族团结族'|trim('族') }}", "民族团结");
    expect("{{ '民族'|replace('', '-') }}", "-民-族-");
    /* character references as html.unescape reads them */
    expect("{{ '&#; &#x; & &#1114112; &#xD800; x&#1;y &#65 &#x42x'|striptags }}",
           "&#; &#x; & \xEF\xBF\xBD \xEF\xBF\xBD xy A Bx");
    expect("{{ '&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;'|striptags }}",
           "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;");
    expect("{{ '&lt&gt&quot;&apos;'|striptags }}", "<>\"'");
    expect("{{ '&#150;&#x80;'|striptags }}", "\xE2\x80\x93\xE2\x82\xAC"); /* Windows-1252 */
    /* tojson: ASCII only, HTML-safe, sorted keys, Python's separators */
    expect("{{ ['\x01\x7f\"\\\\', '\xC3\xA9']|tojson }}", "[\"\\u0001\\u007f\\\"\\\\\", \"\\u00e9\"]");
    expect("{{ [1, {'b': [], 'a': {}}]|tojson(-1) }}", "[\n1,\n{\n\"a\": {},\n\"b\": []\n}\n]");
    expect("{{ {'z': 1, 'a': 2, '\xC3\xA9': 3, 'B': 4}|tojson }}",
           "{\"B\": 4, \"a\": 2, \"z\": 1, \"\\u00e9\": 3}");
    expect("{{ z|tojson }}", "null");
    expect("{{ nosuch|tojson }}", "ERR 'tojson': the value is missing");
    expect("{{ l|tojson(indent=true) }}", "ERR tojson's indent (or a string) needs a whole number");
    /* urlencode: nested values by their Python text, null prints nothing here */
    expect("{{ {'a': {'b': 1}, 'c': [1, 2], 'e': true}|urlencode }}",
           "a=%7B%27b%27%3A+1%7D&c=%5B1%2C+2%5D&e=True");
    expect("{{ 'a+b&c=d /'|urlencode }}", "a%2Bb%26c%3Dd%20/");
    expect("{{ [['a', 1], 'bc']|urlencode }}", "ERR 'urlencode' of a list needs (key, value)");
    /* filesizeformat: int() of what is under the base, "1 Byte" only for 1 */
    expect("{{ 1.5|filesizeformat }} {{ 1023|filesizeformat(true) }} "
           "{{ 1048575|filesizeformat(true) }} {{ 999999|filesizeformat }} "
           "{{ 0|filesizeformat }} {{ true|filesizeformat }}",
           "1 Bytes 1023 Bytes 1024.0 KiB 1000.0 kB 0 Bytes 1 Byte");
    expect("{{ 'x'|filesizeformat }}", "ERR 'filesizeformat' needs a number of bytes");
    /* indent: splitlines' breaks, the quirk of the appended newline */
    expect("{{ ('a\r\nb\rc\xE2\x80\xA8" "d')|indent(1) }}", "a\n b\n c\n d");
    expect("{{ 'ab'|indent(blank=true) }}|{{ '\n'|indent(2, true, true) }}|"
           "{{ '\n\n'|indent(2) }}",
           "ab|  \n  |\n\n");
    /* center: the odd space goes left when margin and width are odd */
    expect("{{ 'x'|center(0) }}|{{ ''|center(3) }}|{{ 'ab'|center(5) }}|{{ 'abc'|center(6) }}",
           "x|   |  ab | abc  ");
    expect("{{ 'x'|center(10)|length }}", "10");
}

static void test_lists(void)
{
    /* unique: a missing field is one key, as Jinja's Undefined */
    expect("{{ xs|unique(attribute='a')|list }}", "[{'a': 1}, {'b': 2}]");
    expect("{{ ['a', 'A', 'b']|unique(attribute=0)|list }}", "['a', 'b']");
    expect("{{ [1, 1.0, true, 0, false, -0.0, none, none]|unique|list }}", "[1, 0, None]");
    expect("{{ [l, l]|unique }}", "ERR 'unique' compares numbers and strings, and found a list");
    expect("{{ ''|first is undefined }}{{ []|last is undefined }}[{{ ''|reverse }}]", "TrueTrue[]");
    expect("{{ d|first }}{{ d|last }}{{ d|reverse|list }}", "ac['c', 'b', 'a']");
    expect("{{ 3|first }}", "ERR 'first' needs a list");
    expect("{{ -2.5|abs }} {{ true|abs }}", "2.5 1");
    expect("{{ 'x'|abs }}", "ERR 'abs' needs a number");
}

/* Filters count their items as steps: with `room` steps left before the
 * limit the tag stops with its error (what comes before the filter, such as
 * range(5000), fits), with three times the room it runs. */
static void test_steps(void)
{
    static const struct {
        const char *tag;
        uint64_t room;
    } cases[] = {{"{{ 'x'|center(9000)|length }}", 7000},
                 {"{{ range(5000)|unique|length }}", 7000},
                 {"{{ range(5000)|tojson|length }}", 7000},
                 {"{{ range(5000)|reverse|length }}", 7000},
                 {"{{ range(5000)|join('\n')|indent|length }}", 7000},
                 /* hash probes count too: 100,000 whole numbers take about 2 each
                  * (their doubles end in zero bits, which once put all in one slot) */
                 {"{{ range(100000)|unique|length }}", 200000}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *near = run(cases[i].tag, 0, LEXP_EVAL_MAX_STEPS - cases[i].room);
        char *far = run(cases[i].tag, 0, LEXP_EVAL_MAX_STEPS - 3 * cases[i].room);
        int ok = near && strstr(near, "evaluation steps") && far && strncmp(far, "ERR", 3) != 0;
        if (!ok) {
            printf("FAIL steps %s: near the limit %s, further %s\n", cases[i].tag,
                   near ? near : "-", far ? far : "-");
            fails++;
        }
        free(near);
        free(far);
    }
}

/* tojson of a value nested deeper than 64 (built by sets, not data) */
static void test_deep_json(void)
{
    lexp_template *host = lexp__template_host("t.docx");
    lexp_error err;
    memset(&err, 0, sizeof err);
    lexp__arena A;
    lexp__arena_init(&A);
    lexp_eval e;
    lexp_tag tag;
    if (parse(host, " v|tojson ", 10, 0, &tag, &err) || lexp__eval_open(&e, &A, host, data, NULL,
                                                                        &err)) {
        printf("FAIL deep json: %s\n", err.message);
        fails++;
        return;
    }
    lexp_value *v = lexp__v_arr(&A, 0);
    for (int i = 0; i < 70; i++) {
        lexp_value *w = lexp__v_arr(&A, 1);
        w->u.items[0] = v;
        v = w;
    }
    CHECK(lexp__eval_bind(&e, "v", 1, v) == 0);
    CHECK(lexp__eval_expr(&e, tag.expr) == NULL && strstr(err.message, "more than 64 deep"));
    lexp__eval_close(&e);
    lexp__arena_free(&A);
    lexp_template_free(host);
}

/* `for x in xs if cond`: the kept items, before the loop; keys of an object,
 * or pairs for two names; nothing for a missing list */
static void test_loop_filter(void)
{
    static const struct {
        const char *tag, *want;
    } cases[] = {
        {"for x in l if x > 1", "[3, 2]"},
        {"for x in l if x > 9", "[]"},
        {"for k in d if k != 'b'", "['a', 'c']"},
        {"for k, v in d if v != 2", "[['a', 1], ['c', 3]]"},
        {"for k, v in d.items() if k == 'c'", "[['c', 3]]"},
        {"for x in nosuch if x", "[]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = run(cases[i].tag, 1, 0);
        if (!got || strcmp(got, cases[i].want) != 0) {
            printf("FAIL %s: %s\n", cases[i].tag, got ? got : "(null)");
            fails++;
        }
        free(got);
    }
    /* an error in the condition names the item's place in the data */
    char *got = run("for x in l if x.y", 1, 0);
    CHECK(got && strstr(got, "cannot take field 'y' of the number 3"));
    free(got);
    got = run("for x in l if x > 1 recursive", 1, 0);
    CHECK(got && strstr(got, "recursive loops are not supported"));
    free(got);
}

/* loop.previtem / nextitem: undefined at the edges; an object's keys */
static void test_loop_items(void)
{
    lexp_template *host = lexp__template_host("t.docx");
    lexp_error err;
    memset(&err, 0, sizeof err);
    lexp__arena A;
    lexp__arena_init(&A);
    lexp_eval e;
    lexp_tag prev, next;
    const char *p = "loop.previtem is defined and loop.previtem",
               *n = "loop.nextitem if loop.nextitem is defined else '-'";
    if (parse(host, p, strlen(p), 0, &prev, &err) || parse(host, n, strlen(n), 0, &next, &err) ||
        lexp__eval_open(&e, &A, host, data, NULL, &err)) {
        printf("FAIL loop items: %s\n", err.message);
        fails++;
        return;
    }
    const lexp_value *d = lexp__v_getz(data->root, "d");
    lexp_loopvars lv;
    lexp__sbuf b = LEXP__SBUF_INIT;
    CHECK(lexp__eval_loop_begin(&e, &lv, d, d->len, "k", 1, NULL, 0) == 0);
    for (uint32_t i = 0; i < d->len; i++) {
        CHECK(lexp__eval_loop_step(&e, &lv, i) == 0);
        const lexp_value *a = lexp__eval_expr(&e, prev.expr), *c = lexp__eval_expr(&e, next.expr);
        CHECK(a && c && lexp__jinja_text(&e, prev.expr, &b, a) == 0 &&
              lexp__jinja_text(&e, next.expr, &b, c) == 0);
        lexp__sbuf_putc(&b, ';');
    }
    CHECK(strcmp(lexp__sbuf_cstr(&b), "Falseb;ac;b-;") == 0);
    e.nbinds = lv.mark;
    lexp__sbuf_free(&b);
    lexp__eval_close(&e);
    lexp__arena_free(&A);
    lexp_template_free(host);
}

/* The names the "unknown filter" message lists are the filters there are. */
static void test_names(void)
{
    const char *s = lexp__jfilter_names();
    int n = 0;
    while (*s) {
        size_t l = strcspn(s, ",");
        CHECK(lexp__jfilter_find(s, l) != NULL);
        n++;
        s += l;
        while (*s == ',' || *s == ' ')
            s++;
    }
    CHECK(n == 45);
    static const char *const more[] = {"center", "indent", "striptags", "tojson", "unique",
                                       "urlencode", "filesizeformat", "forceescape"};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++)
        CHECK(strstr(lexp__jfilter_names(), more[i]) != NULL);
    CHECK(lexp__jinja_missing('f', "pprint", 6) != NULL);
    CHECK(lexp__jinja_missing('f', "tojson", 6) == NULL);
}

static void test_arithmetic_types(void)
{
    /* int op int stays an int, but / is always a float */
    expect("{{ 2 * 3 }}", "6");
    expect("{{ 7 - 4 }}", "3");
    expect("{{ 10 // 4 }}", "2");
    expect("{{ 7 % 3 }}", "1");
    expect("{{ 6 / 2 }}", "3.0");
    expect("{{ 7 / 2 }}", "3.5");
    expect("{{ n / 2 * 3 }}", "6.0");
    /* a real operand (a literal with a point, a real from the data) makes a
     * float, however whole the result */
    expect("{{ 1.5 * 2 }}", "3.0");
    expect("{{ 2.5 + 0.5 }}", "3.0");
    expect("{{ 3 - 1.0 }}", "2.0");
    expect("{{ 7.0 // 2 }}", "3.0");
    expect("{{ 7.0 % 3 }}", "1.0");
    expect("{{ x * 2 }}", "3.0");
    expect("{{ y + 1 }}", "3.0");
    expect("{{ y }}", "2.0");
    expect("{{ n + 1 }}", "5");
    expect("{{ -y }}", "-2.0");
    expect("{{ -(x * 2) }}", "-3.0");
    expect("{{ -n }}", "-4");
    /* Python counts True as 1; here arithmetic on a boolean is an error */
    expect("{{ true + 1 }}", "ERR '+' needs numbers, found true");
    /* and the conversions back */
    expect("{{ (6 / 2) | int }}", "3");
    expect("{{ 0.1 + 0.2 }}", "0.30000000000000004");
    expect("{{ (6 / 2) is integer }}", "False");
    expect("{{ (6 // 2) is integer }}", "True");
    expect("{{ (x * 2) is float }}", "True");
    /* ** binds as Jinja binds it: tighter than *, looser than unary minus,
     * left to right; a negative exponent gives a float */
    expect("{{ 2 ** 10 }}", "1024");
    expect("{{ 2 ** -1 }}", "0.5");
    expect("{{ 2.0 ** 2 }}", "4.0");
    expect("{{ 4 ** 0.5 }}", "2.0");
    expect("{{ -2 ** 2 }}", "4");
    expect("{{ 2 ** 3 ** 2 }}", "64");
    expect("{{ 2 * 3 ** 2 }}", "18");
    expect("{{ n ** 2 }}", "16");
    expect("{{ 0 ** -1 }}", "ERR 0 cannot be raised to a negative power");
    expect("{{ (-8) ** 0.5 }}", "ERR is not a real number");
    /* * repeats a text or a list by a whole number, as in Python */
    expect("{{ '-' * 5 }}", "-----");
    expect("{{ 3 * 'ab' }}", "ababab");
    expect("{{ '民' * 2 }}", "民民");
    expect("{{ 'ab' * 0 }}", "");
    expect("{{ 'ab' * -2 }}", "");
    expect("{{ [0] * 3 }}", "[0, 0, 0]");
    expect("{{ l * 2 }}", "[3, 1, 2, 3, 1, 2]");
    expect("{{ 'ab' * 1.5 }}", "ERR '*' needs numbers");
    expect("{{ 'ab' * 'c' }}", "ERR '*' needs numbers");
    expect("{{ 'x' * 1000000000 }}", "ERR memory");
    /* round: an int stays one with the common method, floor and ceil divide */
    expect("{{ 2 | round }}", "2");
    expect("{{ 1234 | round(-2) }}", "1200");
    expect("{{ 2.4 | round }}", "2.0");
    expect("{{ (6 / 2) | round }}", "3.0");
    expect("{{ 2 | round(0, 'floor') }}", "2.0");
    expect("{{ [1.5, 1.5] | sum }}", "3.0");
    expect("{{ [1, 2] | sum }}", "3");
}

static void test_slices(void)
{
    /* a string's characters, counted in code points */
    expect("{{ 'abc'[1] }}", "b");
    expect("{{ 'abc'[-1] }}", "c");
    expect("{{ 'abc'[3] }}", ""); /* out of range: undefined, as Jinja */
    expect("{{ '民族团结'[0] }}", "民");
    expect("{{ '民族团结'[-1] }}", "结");
    expect("{{ 'abc'[1.5] }}", "ERR a string index must be a whole number");
    /* slices: bounds optional, negative from the end, clamped, any step */
    expect("{{ '2024-09-30'[:7] }}", "2024-09");
    expect("{{ '2024-09-30'[5:7] }}", "09");
    expect("{{ '2024-09-30'[-2:] }}", "30");
    expect("{{ '民族团结'[1:3] }}", "族团");
    expect("{{ '民族团结'[::-1] }}", "结团族民");
    expect("{{ 'abcdef'[::2] }}", "ace");
    expect("{{ 'abcdef'[-2::-2] }}", "eca");
    expect("{{ 'abc'[1:1] }}", "");
    expect("{{ 'abc'[none:2] }}", "ab");
    expect("{{ l[1:] }}", "[1, 2]");
    expect("{{ l[:-1] }}", "[3, 1]");
    expect("{{ l[::-1] }}", "[2, 1, 3]");
    expect("{{ l[5:] }}", "[]");
    expect("{{ l[-10:2] }}", "[3, 1]");
    expect("{{ l[2:0:-1] }}", "[2, 1]");
    expect("{{ [1, 2, 3, 4, 5][1:4:2] }}", "[2, 4]");
    expect("{{ [1, 2, 3, 4, 5][10:0:-2] }}", "[5, 3]");
    expect("{{ xs[1:][0] }}", "{'b': 2}");
    expect("{{ l[1:] | sum }}", "3");
    expect("{{ nothing[1:2] }}", "");
    expect("{{ z[1:2] }}", "");
    expect("{{ l[1.5:] }}", "ERR a slice's start must be a whole number");
    expect("{{ l[::0] }}", "ERR a slice's step cannot be zero");
    expect("{{ d[1:] }}", "ERR only lists and strings have slices");
    expect("{{ 5[1:] }}", "ERR cannot slice the number 5");
}

static void test_str_format(void)
{
    /* str.format with positional fields; expected texts are Python 3.11's
     * (1,600 random specs and values matched it when this was written) */
    expect("{{ '{:,}'.format(1234567) }}", "1,234,567");
    expect("{{ '{}年{}月'.format(2024, 9) }}", "2024年9月");
    expect("{{ '{0}-{1}-{0}'.format('a', 'b') }}", "a-b-a");
    expect("{{ '{:.2f}'.format(x) }}", "1.50");
    expect("{{ '{:>8}|'.format('民族') }}", "      民族|");
    expect("{{ '{:*^9}'.format('ab') }}", "***ab****");
    expect("{{ '{:08.3f}'.format(-x) }}", "-001.500");
    expect("{{ '{:+d}'.format(5) }}", "+5");
    expect("{{ '{:x}'.format(255) }}|{{ '{:#b}'.format(5) }}|{{ '{:_x}'.format(123456789) }}",
           "ff|0b101|75b_cd15");
    expect("{{ '{}'.format(y) }}|{{ '{}'.format(6 / 2) }}|{{ '{}'.format(n) }}", "2.0|3.0|4");
    expect("{{ '{:.2}'.format(30.0) }}|{{ '{:.2}'.format(3.0) }}|{{ '{:.3}'.format(1234.5) }}",
           "3e+01|3.0|1.23e+03");
    expect("{{ '{!r}'.format('a') }}|{{ '{!s:>3}'.format(1) }}", "'a'|  1");
    expect("{{ '{:,.2f}'.format(1234567.891) }}|{{ '{:010,}'.format(1234) }}",
           "1,234,567.89|00,001,234");
    expect("{{ '{:,}'.format(1234567.5) }}|{{ '{:e}'.format(12345.678) }}|"
           "{{ '{:g}'.format(0.00001) }}", "1,234,567.5|1.234568e+04|1e-05");
    expect("{{ '{:5}|{:<5}|{:=+7}'.format(42, 42, -42) }}", "   42|42   |-    42");
    expect("{{ '{:.0%}'.format(0.5) }}", "50%");
    expect("{{ '{}'.format([1, 'a']) }}", "[1, 'a']");
    expect("{{ '{:.3}'.format('民族团结') }}", "民族团");
    /* '0' fills with zeros whatever the alignment; grouped zeros reach the
     * width without a separator first; '#' keeps the point */
    expect("{{ '{:> #010,.2E}'.format(0.00001) }}", "0 1.00E-05");
    expect("{{ '{:#010_.0F}'.format(-1) }}", "-0_000_001.");
    expect("{{ '{:0=+010,.2%}'.format(0) }}", "+0,000.00%");
    expect("{{ '{:n}'.format(2.5) }}|{{ '{:-#05_.0}'.format(0.00001) }}", "2.5|1.e-05");
    expect("{{ '{:-#010,}'.format(0.00001) }}", "0,001.e-05");
    expect("{{ '{:010_x}'.format(255) }}|{{ '{:#012_X}'.format(255) }}|{{ '{:010,}'.format(-1234) }}",
           "0_0000_00ff|0X0_0000_00FF|-0,001,234"); /* hex digits are grouped by four */
    /* what Python refuses, and what is not supported here */
    expect("{{ '{:.2d}'.format(5) }}", "ERR a precision is not allowed");
    expect("{{ '{:,n}'.format(5) }}", "ERR cannot go with 'n'");
    expect("{{ '{:d}'.format(x) }}", "ERR needs a whole number");
    expect("{{ '{:d}'.format('a') }}", "ERR format code 'd' needs a number");
    expect("{{ '{} {}'.format(1) }}", "ERR field 1 has no argument (1 given)");
    expect("{{ '{} {0}'.format(1) }}", "ERR cannot be mixed");
    expect("{{ '{name}'.format(1) }}", "ERR fields are {} or {0} here");
    expect("{{ '{'.format(1) }}", "ERR is not closed");
    expect("{{ '}'.format(1) }}", "ERR a single '}'");
    expect("{{ '{:q}'.format(1) }}", "ERR the format spec is not valid");
    expect("{{ x.format(1) }}", "ERR is a method of text");
}

static void test_methods(void)
{
    /* text and object methods; what Python refuses is an error here too */
    expect("{{ ' 民族 '.strip() }}|{{ 'a,b'.split(',') }}|{{ '、'.join(['a', 'b']) }}",
           "民族|['a', 'b']|a、b");
    expect("{{ d.get('a') }}|{{ d.get('q', 0) }}|{{ '民族团结'.find('团') }}", "1|0|2");
    expect("{{ 'a'.split('') }}", "ERR cannot split at an empty text");
    expect("{{ ', '.join([1, 2]) }}", "ERR item 0 is the number 1, not a text");
    expect("{{ l.upper() }}", "ERR '.upper()' is a method of text");
    expect("{{ l.get('a') }}", "ERR '.get()' is a method of an object");
    expect("{{ 'ab'.startswith(1) }}", "ERR takes a text or a list of texts");
}

int main(void)
{
    lexp_error err;
    if (lexp_data_load_json(&data, DATA, strlen(DATA), "d.json", &err)) {
        printf("FAIL data: %s\n", err.message);
        return 1;
    }
    test_text_filters();
    test_lists();
    test_steps();
    test_deep_json();
    test_loop_filter();
    test_loop_items();
    test_names();
    test_arithmetic_types();
    test_slices();
    test_str_format();
    test_methods();
    lexp_data_free(data);
    if (fails)
        printf("%d failed\n", fails);
    return fails != 0;
}
