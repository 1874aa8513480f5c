/*
 * From sheets of cells to community data: which sheet is which ledger,
 * which column is which field, and each cell's value in the data's terms.
 *
 * Sheets are found by name (活动台账, 2024年活动台账 and 9月活动 all hold
 * activities), or, when the name says nothing (Sheet1, a CSV file), by their
 * headers. Headers are found by text in the first rows, so the merged title
 * rows offices put above them are passed over; whitespace, line breaks and
 * full/half-width brackets do not matter, nor a unit in brackets
 * (参与人数（人）is 参与人数). Several sheets of one ledger (one a month) are
 * read in sheet order. Every value that cannot be read is an error naming
 * the sheet and cell; rows dated outside every period the file's titles
 * name (2024年, 2024年9月, 2024年第三季度) are warnings.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

typedef enum { T_TEXT, T_DATE, T_MONTH, T_COUNT, T_AMOUNT, T_NUMBER, T_YEAR, T_BOOL, T_LIST } ftype;

typedef struct {
    const char *key;
    uint8_t type;
    uint8_t required;
    const char *names; /* "日期|活动日期": the first is the one messages use */
} fld;

typedef struct {
    const char *key;    /* where the records go: "activities", "community.honors" */
    const char *sheets; /* sheet names containing one of these */
    const fld *f;
    int nf;
    int kv;    /* 项目 | 内容 rows instead of records */
    int dated; /* records have dates checked against the periods */
} kind;

#define N(a) (int)(sizeof(a) / sizeof(a)[0])

static const fld activity_f[] = {
    {"date", T_DATE, 1, "日期|活动日期|活动时间|时间"},
    {"category", T_TEXT, 0, "类别|活动类型|活动类别|类型"},
    {"title", T_TEXT, 1, "活动名称|活动主题|名称|主题"},
    {"location", T_TEXT, 0, "地点|活动地点"},
    {"organizer", T_TEXT, 0, "组织单位|主办单位|承办单位|组织者"},
    {"sessions", T_COUNT, 0, "场次"},
    {"participants", T_COUNT, 0, "参与人数|参与人次|参加人数|参加人次|人数"},
    {"visits", T_COUNT, 0, "走访（户）|走访户数"},
    {"materials", T_COUNT, 0, "发放资料（份）|宣传资料（份）|资料（份）"},
    {"banners", T_COUNT, 0, "横幅（条）"},
    {"slogans", T_COUNT, 0, "标语（条）"},
    {"boards", T_COUNT, 0, "展板（块）"},
    {"summary", T_TEXT, 0, "简要情况|备注|活动简介|情况简介|活动内容"},
    {"highlight", T_BOOL, 0, "亮点"},
    {"photos", T_LIST, 0, "照片|图片"},
};
static const fld dispute_f[] = {
    {"date", T_DATE, 1, "日期|排查日期|时间"},
    {"found", T_COUNT, 1, "排查（起）|排查数（起）|排查纠纷（起）|发现（起）"},
    {"resolved", T_COUNT, 0, "化解（起）|化解数（起）|调处（起）"},
    {"summary", T_TEXT, 0, "简要情况|备注|情况说明"},
};
static const fld assist_f[] = {
    {"date", T_DATE, 1, "日期|帮扶日期|时间"},
    {"kind", T_TEXT, 0, "帮扶类型|救助类别|帮扶类别|类别|类型"},
    {"households", T_COUNT, 0, "户数"},
    {"persons", T_COUNT, 0, "人数"},
    {"amount_yuan", T_AMOUNT, 0, "金额（元）|帮扶金额（元）|救助金额（元）"},
};
static const fld plan_f[] = {
    {"month", T_MONTH, 1, "月份|计划月份|时间"},
    {"title", T_TEXT, 1, "事项|工作事项|计划事项"},
    {"detail", T_TEXT, 0, "具体内容|工作内容|内容"},
};
static const fld problem_f[] = {
    {"", T_TEXT, 1, "问题|存在问题|问题描述"},
};
static const fld ethnic_f[] = {
    {"name", T_TEXT, 1, "民族|民族名称"},
    {"households", T_COUNT, 0, "户数"},
    {"population", T_COUNT, 0, "人口|人数|人口数"},
};
static const fld honor_f[] = {
    {"year", T_YEAR, 0, "年份|年度|时间"},
    {"title", T_TEXT, 1, "荣誉名称|荣誉称号|荣誉"},
    {"issuer", T_TEXT, 0, "授予单位|颁发单位|授予机关"},
};
static const fld community_f[] = {
    {"name", T_TEXT, 1, "社区名称|名称|单位名称"},
    {"street", T_TEXT, 0, "所属街道|街道|所属乡镇|乡镇|所属街道（乡镇）"},
    {"district", T_TEXT, 0, "所属区县|区县|所属区|所属县"},
    {"city", T_TEXT, 0, "所属城市|城市|所属市"},
    {"province", T_TEXT, 0, "所属省份|省份|所属省"},
    {"area_km2", T_NUMBER, 0, "面积（平方公里）|辖区面积（平方公里）"},
    {"households", T_COUNT, 0, "户数|总户数"},
    {"population", T_COUNT, 0, "常住人口|人口|总人口"},
    {"grids", T_COUNT, 0, "网格数|网格"},
    {"volunteers", T_COUNT, 0, "志愿者人数|志愿者"},
    {"party_members", T_COUNT, 0, "党员人数|党员"},
    {"founded", T_MONTH, 0, "成立时间|成立年月"},
    {"religious_sites", T_COUNT, 0, "宗教场所（处）|宗教活动场所（处）"},
};
static const fld briefing_f[] = {
    {"title", T_TEXT, 0, "简报名称|刊名|名称"},
    {"issuer", T_TEXT, 0, "编发单位|编印单位"},
    {"first_issue_month", T_MONTH, 0, "首期月份|创刊月份"},
    {"report_to", T_LIST, 0, "报|报送"},
    {"send_to", T_LIST, 0, "送|抄送"},
    {"distribute_to", T_LIST, 0, "发|分发"},
    {"copies", T_COUNT, 0, "印数|印发份数|份数"},
};

/* In the order sheet names are tried: 帮扶活动台账 is a 帮扶台账. */
static const kind kinds[] = {
    {"disputes", "矛盾纠纷|纠纷", dispute_f, N(dispute_f), 0, 1},
    {"assistance", "帮扶|救助", assist_f, N(assist_f), 0, 1},
    {"plans", "工作计划|计划", plan_f, N(plan_f), 0, 0},
    {"problems", "存在问题|问题", problem_f, N(problem_f), 0, 0},
    {"community.honors", "荣誉", honor_f, N(honor_f), 0, 0},
    {"briefing", "简报设置|简报", briefing_f, N(briefing_f), 1, 0},
    {"community", "基本情况|社区概况|概况|基本信息", community_f, N(community_f), 1, 0},
    {"activities", "活动台账|活动", activity_f, N(activity_f), 0, 1},
    {"community.ethnic_groups", "民族构成|民族", ethnic_f, N(ethnic_f), 0, 0},
};
#define NKINDS N(kinds)

#define HEADER_ROWS 20 /* rows searched for the header */

typedef struct {
    int lo, hi; /* days since 1970 */
    char name[48];
} period;

typedef struct {
    lx_book *b;
    lexp_diag_cb warn;
    void *payload;
    json_t *root;
    period per[32];
    int nper;
} mctx;

static void warn(mctx *m, const char *path, const char *fmt, ...) LEXP_PRINTF(3, 4);

static void warn(mctx *m, const char *path, const char *fmt, ...)
{
    if (!m->warn)
        return;
    lexp_error w;
    lexp_error_clear(&w);
    va_list ap;
    va_start(ap, fmt);
    lexp__error_vset(&w, LEXP_OK, m->b->file, 0, 0, path, fmt, ap);
    va_end(ap);
    m->warn(&w, m->payload);
}

/* ---- text ---------------------------------------------------------------------- */

static int is_space_cp(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000 || cp == 0xA0 ||
           cp == 0xFEFF;
}

/* A cell's text with white space trimmed at both ends. */
static void trimmed(const char *s, size_t n, const char **ts, size_t *tn)
{
    size_t a = 0, e = n;
    while (a < e) {
        uint32_t cp;
        size_t k = lexp__utf8_decode(s + a, e - a, &cp);
        if (!k || !is_space_cp(cp))
            break;
        a += k;
    }
    while (e > a) {
        size_t k = 1;
        while (k < 4 && k < e - a && ((unsigned char)s[e - k] & 0xC0) == 0x80)
            k++;
        uint32_t cp;
        if (lexp__utf8_decode(s + e - k, k, &cp) != k || !is_space_cp(cp))
            break;
        e -= k;
    }
    *ts = s + a;
    *tn = e - a;
}

/* For matching: no white space, half-width brackets, colons and digits,
 * ASCII lower case; at most cap-1 bytes. */
static void norm(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = lexp__utf8_decode(s + i, n - i, &cp);
        if (!k) {
            cp = (unsigned char)s[i];
            k = 1;
        }
        i += k;
        if (is_space_cp(cp))
            continue;
        switch (cp) {
        case 0xFF08: cp = '('; break;
        case 0xFF09: cp = ')'; break;
        case 0x3010: case 0xFF3B: cp = '['; break;
        case 0x3011: case 0xFF3D: cp = ']'; break;
        case 0xFF1A: cp = ':'; break;
        default:
            if (cp >= 0xFF10 && cp <= 0xFF19)
                cp = '0' + (cp - 0xFF10);
            else if (cp >= 'A' && cp <= 'Z')
                cp += 32;
        }
        char enc[4];
        size_t el = lexp__utf8_encode(cp, enc);
        if (o + el >= cap)
            break;
        memcpy(out + o, enc, el);
        o += el;
    }
    out[o] = 0;
}

/* Drop a trailing "(unit)" or ":" of a normalised header. */
static void strip_unit(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ':')
        s[--n] = 0;
    if (n && s[n - 1] == ')') {
        char *p = strrchr(s, '(');
        if (p && p != s)
            *p = 0;
    }
}

/* Does normalised text `h` name field f? 2 for an exact name, 1 for a
 * match once units are dropped, 0 for none. */
static int names_match(const char *h, const char *names)
{
    char hs[256];
    snprintf(hs, sizeof hs, "%s", h);
    strip_unit(hs);
    int best = 0;
    for (const char *p = names; *p;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char nm[128], ns[128];
        norm(p, len, nm, sizeof nm);
        if (strcmp(h, nm) == 0)
            return 2;
        snprintf(ns, sizeof ns, "%s", nm);
        strip_unit(ns);
        if (hs[0] && strcmp(hs, ns) == 0)
            best = 1;
        p += len + (e ? 1 : 0);
    }
    return best;
}

/* The first of a field's names, for messages. */
static void first_name(const fld *f, char *dst, size_t size)
{
    const char *e = strchr(f->names, '|');
    size_t len = e ? (size_t)(e - f->names) : strlen(f->names);
    snprintf(dst, size, "%.*s", (int)len, f->names);
}

/* A cell as text (numbers in their shortest form); NULL data when empty. */
static void cell_text(const lx_cell *c, lexp__sbuf *b)
{
    b->len = 0;
    if (!c)
        return;
    if (c->type == LC_STR || c->type == LC_ERR) {
        const char *t;
        size_t n;
        trimmed(c->s, c->len, &t, &n);
        lexp__sbuf_put(b, t, n);
    } else if (c->type == LC_NUM) {
        lexp__fmt_number(b, c->num);
    } else if (c->type == LC_BOOL) {
        lexp__sbuf_puts(b, c->num != 0 ? "TRUE" : "FALSE");
    }
    lexp__sbuf_cstr(b);
}

static int cell_empty(const lx_cell *c)
{
    if (!c)
        return 1;
    if (c->type != LC_STR)
        return c->type == LC_EMPTY;
    const char *t;
    size_t n;
    trimmed(c->s, c->len, &t, &n);
    return n == 0;
}

/* ---- dates and numbers --------------------------------------------------------- */

/* A spreadsheet serial date (days since 1899-12-30) as y-m-d; 0 if out of
 * Excel's range. */
static int from_serial(double v, int *y, int *m, int *d)
{
    if (!(v >= 1 && v < 2958466))
        return 0;
    long z = (long)floor(v) + lexp__days_from_civil(1899, 12, 30);
    lexp__civil_from_days(z, y, m, d);
    return 1;
}

/* Read digits at *p (ASCII after norm); -1 if none. */
static long digits(const char **p, int maxd)
{
    long v = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9' && n < maxd) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n ? v : -1;
}

static int eat(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) == 0) {
        *p += n;
        return 1;
    }
    return 0;
}

/* Typed dates: 2024-09-14, 2024/9/14, 2024.9.14, 2024年9月14日, with an
 * optional time after them. 1 ok, 0 not a date, -1 a date that does not
 * exist. With want_day 0, "2024-09" and "2024年9月" are months (d = 1). */
static int parse_date_text(const char *text, int want_day, int *y, int *m, int *d)
{
    char s[128];
    norm(text, strlen(text), s, sizeof s); /* full-width digits, no spaces */
    const char *p = s;
    long yy = digits(&p, 4);
    if (yy < 1000 || p - s != 4)
        return 0;
    int cn = 0;
    char sep = 0;
    if (eat(&p, "年"))
        cn = 1;
    else if (*p == '-' || *p == '/' || *p == '.')
        sep = *p++;
    else
        return 0;
    long mm = digits(&p, 2);
    if (mm < 0)
        return 0;
    long dd = 1;
    int have_day = 0;
    if (cn) {
        if (!eat(&p, "月"))
            return 0;
        if (*p >= '0' && *p <= '9') {
            dd = digits(&p, 2);
            have_day = 1;
            if (!eat(&p, "日"))
                eat(&p, "号");
        } else {
            eat(&p, "份");
        }
    } else if (*p == sep) {
        p++;
        dd = digits(&p, 2);
        if (dd < 0)
            return 0;
        have_day = 1;
    }
    /* a time of day after the date (00:00:00 in exported files) */
    if (*p == 't' || (*p >= '0' && *p <= '9' && have_day)) {
        if (*p == 't')
            p++;
        while ((*p >= '0' && *p <= '9') || *p == ':' || *p == '.')
            p++;
    }
    if (*p)
        return 0;
    if (want_day && !have_day)
        return 0;
    if (mm < 1 || mm > 12 || dd < 1 || dd > lexp__days_in_month((int)yy, (int)mm) || yy < 1900)
        return -1;
    *y = (int)yy;
    *m = (int)mm;
    *d = (int)dd;
    return 1;
}

/* A number with an optional unit (29人, 300份, 1,200, 1.5万元). 1 ok with
 * *v, 0 not a number, -1 an approximate one (1000余人). */
static int parse_number_text(const char *text, double *v)
{
    char s[128];
    norm(text, strlen(text), s, sizeof s);
    /* thousands separators */
    char t[128];
    size_t o = 0;
    for (const char *p = s; *p && o + 1 < sizeof t; p++) {
        if (*p == ',')
            continue;
        if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBC &&
            (unsigned char)p[2] == 0x8C) { /* ， */
            p += 2;
            continue;
        }
        t[o++] = *p;
    }
    t[o] = 0;
    const char *p = t;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (!(*p >= '0' && *p <= '9'))
        return 0;
    char *end;
    double x = strtod(p, &end);
    if (end == p || (*end == 'e' || *end == 'x'))
        return 0;
    p = end;
    if (eat(&p, "万"))
        x *= 10000;
    if (strstr(p, "余") || strstr(p, "多") || strstr(p, "约") || strstr(p, "左右") ||
        strstr(p, "以上") || strstr(p, "+"))
        return -1;
    /* the rest must be a unit: letters or Han characters, no digits */
    for (const char *q = p; *q; q++)
        if ((*q >= '0' && *q <= '9') || *q == '.' || *q == '-' || *q == '/')
            return 0;
    *v = neg ? -x : x;
    return 1;
}

static int dash_like(const char *s)
{
    static const char *const empties[] = {"-", "—", "——", "/", "／", "无", "－", "\\"};
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++)
        if (strcmp(s, empties[i]) == 0)
            return 1;
    return 0;
}

static json_t *jnum(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return json_integer((json_int_t)v);
    return json_real(v);
}

/* A header for messages on one line: 参与人数\n（人） is 参与人数（人）. */
static void one_line(char *dst, size_t size, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < size; s++)
        if (*s != '\n' && *s != '\r')
            dst[o++] = *s;
    dst[o] = 0;
}

/* ---- one value ------------------------------------------------------------------ */

typedef struct {
    mctx *m;
    const lx_sheet *s;
    uint32_t row, col;
    const fld *f;
    const char *header; /* the header's text, for messages */
} at;

static int bad(const at *a, int code, const char *fmt, ...) LEXP_PRINTF(3, 4);

static int bad(const at *a, int code, const char *fmt, ...)
{
    char where[300], msg[400];
    lx_where(where, sizeof where, a->s, a->col, a->row);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lx_fail(a->m->b, code, where, "%s %s", a->header, msg);
}

/* Split a list of names (报/送/发, photos) at 、，,；; and line breaks. */
static json_t *split_list(const char *s)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    static const char *const seps[] = {"、", "，", ",", "；", ";", "\n", "\r"};
    const char *p = s;
    while (*p) {
        /* the next separator outside brackets: 各乡（镇、场） is one name */
        const char *best = NULL;
        size_t bl = 0;
        int depth = 0;
        for (const char *q = p; *q && !best; q++) {
            if (*q == '(' || strncmp(q, "（", 3) == 0)
                depth++;
            else if ((*q == ')' || strncmp(q, "）", 3) == 0) && depth > 0)
                depth--;
            else if (depth == 0)
                for (size_t i = 0; i < sizeof seps / sizeof *seps; i++)
                    if (strncmp(q, seps[i], strlen(seps[i])) == 0) {
                        best = q;
                        bl = strlen(seps[i]);
                        break;
                    }
        }
        size_t len = best ? (size_t)(best - p) : strlen(p);
        const char *t;
        size_t tn;
        trimmed(p, len, &t, &tn);
        if (tn && json_array_append_new(arr, json_stringn(t, tn)) != 0) {
            json_decref(arr);
            return NULL;
        }
        p += len + bl;
    }
    return arr;
}

/* The value of cell c for field a->f: *out NULL when the cell is empty. */
static int read_value(const at *a, const lx_cell *c, json_t **out)
{
    *out = NULL;
    if (cell_empty(c))
        return 0;
    lexp__sbuf tb = LEXP__SBUF_INIT;
    cell_text(c, &tb);
    const char *text = tb.ptr ? tb.ptr : "";
    int rc = 0;
    int y, m, d;
    if (tb.oom) {
        rc = lexp__error_oom(a->m->b->err);
        goto done;
    }
    if (c->type == LC_ERR) {
        rc = bad(a, LEXP_EDATA, "is the error value %s; put the value itself in the cell", text);
        goto done;
    }
    switch (a->f->type) {
    case T_TEXT:
        if (c->type == LC_NUM && c->date && from_serial(c->num, &y, &m, &d)) {
            char buf[16];
            snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
            *out = json_string(buf);
        } else {
            *out = json_stringn(text, tb.len);
        }
        break;
    case T_LIST:
        *out = split_list(text);
        break;
    case T_DATE:
    case T_MONTH: {
        int want_day = a->f->type == T_DATE;
        int ok = 0;
        if (c->type == LC_NUM) {
            double v = c->num;
            /* 20240914 typed as a number; otherwise a serial whose date
             * format was lost */
            if (!c->date && v == floor(v) && v >= 19000101 && v <= 99991231) {
                y = (int)(v / 10000);
                m = (int)fmod(v / 100, 100);
                d = (int)fmod(v, 100);
                ok = (m >= 1 && m <= 12 && d >= 1 && d <= lexp__days_in_month(y, m)) ? 1 : -1;
            } else {
                ok = from_serial(v, &y, &m, &d);
            }
        } else if (c->type == LC_STR) {
            ok = parse_date_text(text, want_day, &y, &m, &d);
        }
        if (ok < 0) {
            rc = bad(a, LEXP_EDATA, "\"%s\" is not a date that exists", text);
            break;
        }
        if (!ok) {
            rc = bad(a, LEXP_EDATA,
                     want_day ? "\"%s\" is not a date; write it as 2024-09-14, 2024/9/14, "
                                "2024.9.14 or 2024年9月14日"
                              : "\"%s\" is not a month; write it as 2024-09 or 2024年9月",
                     text);
            break;
        }
        char buf[16];
        if (want_day)
            snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        else
            snprintf(buf, sizeof buf, "%04d-%02d", y, m);
        *out = json_string(buf);
        break;
    }
    case T_YEAR:
    case T_COUNT:
    case T_AMOUNT:
    case T_NUMBER: {
        double v;
        if (c->type == LC_NUM) {
            v = c->num;
        } else if (c->type == LC_BOOL) {
            rc = bad(a, LEXP_EDATA, "is %s, not a number", text);
            break;
        } else {
            if (dash_like(text))
                break; /* "—" or "/" for nothing: an empty cell */
            int ok = parse_number_text(text, &v);
            if (ok < 0) {
                rc = bad(a, LEXP_EDATA, "\"%s\" is not an exact number; write the figure itself",
                         text);
                break;
            }
            if (!ok) {
                rc = bad(a, LEXP_EDATA, "\"%s\" is not a number", text);
                break;
            }
        }
        if (!isfinite(v) || v < 0) {
            rc = bad(a, LEXP_EDATA, "\"%s\" is negative; expected a figure of 0 or more", text);
            break;
        }
        if ((a->f->type == T_COUNT || a->f->type == T_YEAR) && v != floor(v)) {
            rc = bad(a, LEXP_EDATA, "\"%s\" is not a whole number", text);
            break;
        }
        if (a->f->type == T_YEAR && (v < 1900 || v > 9999)) {
            rc = bad(a, LEXP_EDATA, "\"%s\" is not a year", text);
            break;
        }
        *out = jnum(v);
        break;
    }
    case T_BOOL: {
        static const char *const yes[] = {"是", "√", "✓", "✔", "★", "☆", "y", "yes", "true", "1",
                                          "有"};
        static const char *const no[] = {"否", "×", "✗", "n", "no", "false", "0", "无", "-",
                                         "—", "/"};
        char nt[64];
        norm(text, tb.len, nt, sizeof nt);
        int val = -1;
        if (c->type == LC_BOOL || c->type == LC_NUM)
            val = c->num != 0;
        for (size_t i = 0; i < sizeof yes / sizeof *yes && val < 0; i++)
            if (strcmp(nt, yes[i]) == 0)
                val = 1;
        for (size_t i = 0; i < sizeof no / sizeof *no && val < 0; i++)
            if (strcmp(nt, no[i]) == 0)
                val = 0;
        if (val < 0) {
            rc = bad(a, LEXP_EDATA, "\"%s\" is not 是 or 否", text);
            break;
        }
        if (val)
            *out = json_true(); /* 否 leaves the field out, as a JSON file would */
        break;
    }
    }
    if (!rc && !*out && !(a->f->type == T_BOOL || a->f->type == T_COUNT ||
                          a->f->type == T_AMOUNT || a->f->type == T_NUMBER ||
                          a->f->type == T_YEAR))
        rc = lexp__error_oom(a->m->b->err);
done:
    lexp__sbuf_free(&tb);
    return rc;
}

/* ---- periods named in titles ---------------------------------------------------- */

static int cn_digit(const char **p)
{
    static const char *const d[] = {"一", "二", "三", "四"};
    for (int i = 0; i < 4; i++)
        if (eat(p, d[i]))
            return i + 1;
    if (**p >= '1' && **p <= '4')
        return *(*p)++ - '0';
    return 0;
}

static void add_period(mctx *m, int y, int m0, int m1, const char *name)
{
    if (m->nper >= N(m->per))
        return;
    period *p = &m->per[m->nper];
    p->lo = (int)lexp__days_from_civil(y, m0, 1);
    p->hi = (int)lexp__days_from_civil(y, m1, lexp__days_in_month(y, m1));
    for (int i = 0; i < m->nper; i++)
        if (m->per[i].lo == p->lo && m->per[i].hi == p->hi)
            return;
    snprintf(p->name, sizeof p->name, "%s", name);
    m->nper++;
}

/* 2024年, 2024年度, 2024年9月, 2024年1-3月, 2024年第三季度, 2024年上半年. */
static void scan_periods(mctx *m, const char *text, size_t n)
{
    char s[512];
    norm(text, n, s, sizeof s);
    for (const char *p = s; *p; p++) {
        if (!(p[0] >= '1' && p[0] <= '9') || (p > s && p[-1] >= '0' && p[-1] <= '9'))
            continue;
        const char *q = p;
        long y = digits(&q, 4);
        if (y < 1900 || q - p != 4 || (*q >= '0' && *q <= '9') || !eat(&q, "年"))
            continue;
        char name[80]; /* room for any three longs: no truncation warning */
        const char *r = q;
        eat(&r, "第");
        int qn = cn_digit(&r);
        if (qn && eat(&r, "季度")) {
            snprintf(name, sizeof name, "%ld年第%d季度", y, qn);
            add_period(m, (int)y, qn * 3 - 2, qn * 3, name);
            continue;
        }
        r = q;
        if (eat(&r, "上半年")) {
            snprintf(name, sizeof name, "%ld年上半年", y);
            add_period(m, (int)y, 1, 6, name);
            continue;
        }
        if (eat(&r, "下半年")) {
            snprintf(name, sizeof name, "%ld年下半年", y);
            add_period(m, (int)y, 7, 12, name);
            continue;
        }
        r = q;
        long m0 = digits(&r, 2), m1 = m0;
        if (m0 >= 1 && m0 <= 12) {
            if (eat(&r, "-") || eat(&r, "至") || eat(&r, "~") || eat(&r, "—")) {
                m1 = digits(&r, 2);
                if (m1 < m0 || m1 > 12)
                    continue;
            }
            if (!eat(&r, "月"))
                continue;
            if (m1 == m0)
                snprintf(name, sizeof name, "%ld年%ld月", y, m0);
            else
                snprintf(name, sizeof name, "%ld年%ld-%ld月", y, m0, m1);
            add_period(m, (int)y, (int)m0, (int)m1, name);
            continue;
        }
        snprintf(name, sizeof name, "%ld年", y);
        add_period(m, (int)y, 1, 12, name);
    }
}

static void check_period(mctx *m, const lx_sheet *s, uint32_t col, uint32_t row,
                         const char *date)
{
    if (!m->nper)
        return;
    int y, mo, d;
    if (!lexp__parse_date(date, strlen(date), &y, &mo, &d))
        return;
    int z = (int)lexp__days_from_civil(y, mo, d);
    char names[200] = "";
    for (int i = 0; i < m->nper; i++) {
        if (z >= m->per[i].lo && z <= m->per[i].hi)
            return;
        if (strlen(names) + strlen(m->per[i].name) + 4 < sizeof names) {
            if (i)
                strcat(names, "、");
            strcat(names, m->per[i].name);
        }
    }
    char where[300];
    lx_where(where, sizeof where, s, col, row);
    warn(m, where, "日期 %s is outside every period the file names (%s)", date, names);
}

/* ---- sheets -------------------------------------------------------------------- */

static int name_kind(const char *sheet)
{
    char n[256];
    norm(sheet, strlen(sheet), n, sizeof n);
    for (int k = 0; k < NKINDS; k++)
        for (const char *p = kinds[k].sheets; *p;) {
            const char *e = strchr(p, '|');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char w[64];
            snprintf(w, sizeof w, "%.*s", (int)len, p);
            if (strstr(n, w))
                return k;
            p += len + (e ? 1 : 0);
        }
    return -1;
}

/* Which field each column of row w is (-1 none); returns the number of
 * distinct fields found. */
static int match_header(const kind *k, const lx_row *w, int *colf, uint32_t ncol)
{
    int found = 0;
    uint8_t seen[32] = {0};
    for (uint32_t c = 0; c < ncol; c++) {
        colf[c] = -1;
        if (c >= w->n || w->cells[c].type != LC_STR)
            continue;
        char h[256];
        norm(w->cells[c].s, w->cells[c].len, h, sizeof h);
        int best = -1, bq = 0;
        for (int f = 0; f < k->nf; f++) {
            int q = names_match(h, k->f[f].names);
            if (q > bq) {
                bq = q;
                best = f;
            }
        }
        if (best >= 0 && !seen[best]) {
            seen[best] = 1;
            colf[c] = best;
            found++;
        }
    }
    return found;
}

/* The best header row of sheet s for kind k among its first rows: its index
 * in s->rows and how many fields it names. */
static int find_header(const kind *k, const lx_sheet *s, size_t *at_row)
{
    int best = 0;
    *at_row = 0;
    int colf[LX_MAX_COLS];
    for (size_t i = 0; i < s->nrows && i < HEADER_ROWS; i++) {
        int n = match_header(k, &s->rows[i], colf, s->rows[i].n);
        if (n > best) {
            best = n;
            *at_row = i;
        }
    }
    return best;
}

/* "序号, 活动名称, 地点" — the texts of a row, for messages. */
static void row_texts(const lx_row *w, char *dst, size_t size)
{
    dst[0] = 0;
    size_t o = 0;
    for (uint32_t c = 0; c < w->n; c++) {
        if (cell_empty(&w->cells[c]))
            continue;
        lexp__sbuf t = LEXP__SBUF_INIT;
        cell_text(&w->cells[c], &t);
        int n = snprintf(dst + o, size - o, "%s%.60s", o ? ", " : "", t.ptr ? t.ptr : "");
        lexp__sbuf_free(&t);
        if (n < 0 || (size_t)n >= size - o) {
            dst[o] = 0;
            break;
        }
        o += (size_t)n;
    }
}

static int is_total_or_footer(const lx_row *w)
{
    static const char *const totals[] = {"合计", "总计", "小计", "共计"};
    static const char *const footers[] = {"填表人", "制表人", "审核人", "填报人", "统计人",
                                          "填表日期", "制表日期", "填报日期", "联系电话",
                                          "注:", "说明:", "备注:", "单位负责人"};
    for (uint32_t c = 0; c < w->n; c++) {
        if (w->cells[c].type != LC_STR)
            continue;
        char h[256];
        norm(w->cells[c].s, w->cells[c].len, h, sizeof h);
        for (size_t i = 0; i < sizeof totals / sizeof *totals; i++)
            if (strcmp(h, totals[i]) == 0)
                return 1;
        for (size_t i = 0; i < sizeof footers / sizeof *footers; i++)
            if (strncmp(h, footers[i], strlen(footers[i])) == 0)
                return 1;
    }
    return 0;
}

/* The array (or object) at a dotted key of the result, made when absent. */
static json_t *slot(mctx *m, const char *key, int object)
{
    json_t *parent = m->root;
    char first[32];
    const char *dot = strchr(key, '.');
    if (dot) {
        snprintf(first, sizeof first, "%.*s", (int)(dot - key), key);
        json_t *p = json_object_get(m->root, first);
        if (!p) {
            p = json_object();
            if (!p || json_object_set_new(m->root, first, p))
                return NULL;
        }
        parent = p;
        key = dot + 1;
    }
    json_t *v = json_object_get(parent, key);
    if (!v) {
        v = object ? json_object() : json_array();
        if (!v || json_object_set_new(parent, key, v))
            return NULL;
    }
    return v;
}

static int read_records(mctx *m, const kind *k, const lx_sheet *s, size_t hrow)
{
    const lx_row *h = &s->rows[hrow];
    uint32_t ncol = h->n;
    int colf[LX_MAX_COLS];
    match_header(k, h, colf, ncol);
    /* every required field needs its column */
    for (int f = 0; f < k->nf; f++) {
        if (!k->f[f].required)
            continue;
        int have = 0;
        for (uint32_t c = 0; c < ncol && !have; c++)
            have = colf[c] == f;
        if (have)
            continue;
        char found[400], nm[64];
        row_texts(h, found, sizeof found);
        first_name(&k->f[f], nm, sizeof nm);
        const char *others = strchr(k->f[f].names, '|');
        char alts[200] = "";
        if (others) {
            size_t o = (size_t)snprintf(alts, sizeof alts, " (or ");
            for (const char *p = others + 1; *p && o + 4 < sizeof alts; p++) {
                if (*p == '|') {
                    alts[o++] = ',';
                    alts[o++] = ' ';
                } else {
                    alts[o++] = *p;
                }
            }
            alts[o] = 0;
            snprintf(alts + o, sizeof alts - o, ")");
        }
        char where[300];
        snprintf(where, sizeof where, "%s", s->name[0] ? s->name : "");
        return lx_fail(m->b, LEXP_EDATA, where[0] ? where : NULL,
                       "no %s column%s; the header row %u has: %s", nm, alts,
                       (unsigned)h->r, found[0] ? found : "nothing");
    }
    /* columns that name nothing we read: say so once */
    for (uint32_t c = 0; c < ncol; c++) {
        if (colf[c] >= 0 || c >= h->n || cell_empty(&h->cells[c]))
            continue;
        lexp__sbuf t = LEXP__SBUF_INIT;
        cell_text(&h->cells[c], &t);
        char hn[256];
        norm(t.ptr ? t.ptr : "", t.len, hn, sizeof hn);
        if (strcmp(hn, "序号") != 0 && strcmp(hn, "编号") != 0 && strcmp(hn, "no.") != 0) {
            char where[300];
            lx_where(where, sizeof where, s, c + 1, h->r);
            warn(m, where, "column \"%s\" is not read", t.ptr ? t.ptr : "");
        }
        lexp__sbuf_free(&t);
    }
    /* title rows above the header name the period */
    for (size_t i = 0; i < hrow; i++)
        for (uint32_t c = 0; c < s->rows[i].n; c++)
            if (s->rows[i].cells[c].type == LC_STR)
                scan_periods(m, s->rows[i].cells[c].s, s->rows[i].cells[c].len);
    if (s->name[0])
        scan_periods(m, s->name, strlen(s->name));
    json_t *arr = slot(m, k->key, 0);
    if (!arr)
        return lexp__error_oom(m->b->err);
    for (size_t i = hrow + 1; i < s->nrows; i++) {
        const lx_row *w = &s->rows[i];
        if (is_total_or_footer(w))
            continue;
        int any = 0;
        for (uint32_t c = 0; c < ncol && !any; c++)
            any = colf[c] >= 0 && c < w->n && !cell_empty(&w->cells[c]);
        if (!any)
            continue; /* blank, or only a 序号 */
        json_t *rec = k->f[0].key[0] ? json_object() : NULL;
        json_t *single = NULL;
        if (k->f[0].key[0] && !rec)
            return lexp__error_oom(m->b->err);
        /* fields in the table's order, so every record has one key order */
        for (int f = 0; f < k->nf; f++) {
            uint32_t c = 0;
            while (c < ncol && colf[c] != f)
                c++;
            if (c == ncol)
                continue;
            const lx_cell *cell = c < w->n ? &w->cells[c] : NULL;
            char hdr[128];
            lexp__sbuf t = LEXP__SBUF_INIT;
            cell_text(&h->cells[c], &t);
            one_line(hdr, sizeof hdr, t.ptr ? t.ptr : "");
            lexp__sbuf_free(&t);
            at a = {m, s, w->r, c + 1, &k->f[f], hdr};
            if (k->f[f].required && cell_empty(cell)) {
                json_decref(rec);
                return bad(&a, LEXP_EDATA, "is empty; every row needs it");
            }
            json_t *v;
            int rc = read_value(&a, cell, &v);
            if (rc) {
                json_decref(rec);
                return rc;
            }
            if (!v)
                continue;
            if (k->dated && k->f[f].type == T_DATE)
                check_period(m, s, c + 1, w->r, json_string_value(v));
            if (!rec) {
                single = v;
                continue;
            }
            if (json_object_set_new(rec, k->f[f].key, v)) {
                json_decref(rec);
                return lexp__error_oom(m->b->err);
            }
        }
        json_t *item = rec ? rec : single;
        if (item && json_array_append_new(arr, item))
            return lexp__error_oom(m->b->err);
    }
    return 0;
}

/* 项目 | 内容 rows: a known label, then its value in the next cell that has
 * one. Two pairs may share a row. */
static int read_pairs(mctx *m, const kind *k, const lx_sheet *s)
{
    json_t *obj = slot(m, k->key, 1);
    if (!obj)
        return lexp__error_oom(m->b->err);
    for (size_t i = 0; i < s->nrows; i++) {
        const lx_row *w = &s->rows[i];
        for (uint32_t c = 0; c < w->n; c++) {
            if (w->cells[c].type != LC_STR)
                continue;
            char h[256];
            norm(w->cells[c].s, w->cells[c].len, h, sizeof h);
            int best = -1, bq = 0;
            for (int f = 0; f < k->nf; f++) {
                int q = names_match(h, k->f[f].names);
                if (q > bq) {
                    bq = q;
                    best = f;
                }
            }
            if (best < 0)
                continue;
            uint32_t vc = c + 1;
            while (vc < w->n && cell_empty(&w->cells[vc]))
                vc++;
            if (vc >= w->n)
                continue; /* a label without a value */
            char hdr[128];
            lexp__sbuf t = LEXP__SBUF_INIT;
            cell_text(&w->cells[c], &t);
            one_line(hdr, sizeof hdr, t.ptr ? t.ptr : "");
            lexp__sbuf_free(&t);
            at a = {m, s, w->r, vc + 1, &k->f[best], hdr};
            json_t *v;
            int rc = read_value(&a, &w->cells[vc], &v);
            if (rc)
                return rc;
            if (v && json_object_set_new(obj, k->f[best].key, v))
                return lexp__error_oom(m->b->err);
            c = vc;
        }
    }
    return 0;
}

/* The key order of a JSON file written by hand: community and briefing
 * first, then the ledgers. */
static json_t *ordered(json_t *root)
{
    static const char *const order[] = {"community", "briefing", "activities", "disputes",
                                        "assistance", "plans", "problems"};
    static const char *const corder[] = {"name", "street", "district", "city", "province",
                                         "area_km2", "households", "population",
                                         "ethnic_groups", "grids", "volunteers",
                                         "party_members", "founded", "honors"};
    json_t *out = json_object();
    if (!out)
        return NULL;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        json_t *v = json_object_get(root, order[i]);
        if (!v)
            continue;
        if (i == 0) {
            json_t *c = json_object();
            if (!c)
                goto oom;
            for (size_t k = 0; k < sizeof corder / sizeof *corder; k++) {
                json_t *f = json_object_get(v, corder[k]);
                if (f && json_object_set(c, corder[k], f))
                    goto oom;
            }
            const char *key;
            json_t *f;
            json_object_foreach(v, key, f) if (!json_object_get(c, key) &&
                                               json_object_set(c, key, f)) goto oom;
            v = c;
        } else {
            json_incref(v);
        }
        if (json_object_set_new(out, order[i], v))
            goto oom;
    }
    return out;
oom:
    json_decref(out);
    return NULL;
}

int lx_map(json_t **out, lx_book *b, lexp_diag_cb warn_cb, void *payload)
{
    *out = NULL;
    mctx m = {.b = b, .warn = warn_cb, .payload = payload};
    m.root = json_object();
    if (!m.root)
        return lexp__error_oom(b->err);
    int rc = 0, used = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        const lx_sheet *s = &b->sheets[i];
        if (!s->nrows)
            continue;
        int k = name_kind(s->name);
        size_t hrow = 0;
        if (k >= 0 && !kinds[k].kv && find_header(&kinds[k], s, &hrow) == 0) {
            /* a name like 活动 with other headers: try the headers */
            int nk = -1, best = 1;
            for (int j = 0; j < NKINDS; j++) {
                size_t hr;
                int n = kinds[j].kv ? 0 : find_header(&kinds[j], s, &hr);
                if (n > best) {
                    best = n;
                    nk = j;
                }
            }
            if (nk >= 0)
                k = nk;
        }
        if (k < 0) {
            /* by headers: the ledger whose names the sheet's rows match most
             * (at least two, to pass over notes and lists) */
            int best = 1;
            for (int j = 0; j < NKINDS; j++) {
                size_t hr;
                int n = kinds[j].kv ? 0 : find_header(&kinds[j], s, &hr);
                if (n > best) {
                    best = n;
                    k = j;
                }
            }
        }
        if (k < 0) {
            if (s->name[0]) {
                warn(&m, s->name, "sheet not read: neither its name nor its headers are those "
                                  "of a ledger");
                continue;
            }
            char found[400];
            row_texts(&s->rows[0], found, sizeof found);
            rc = lx_fail(b, LEXP_EDATA, NULL,
                         "no ledger header in the first rows (expected 日期 and 活动名称 for "
                         "activities, or the headers of another ledger); the first row has: %s",
                         found);
            break;
        }
        used++;
        if (kinds[k].kv) {
            rc = read_pairs(&m, &kinds[k], s);
            continue;
        }
        find_header(&kinds[k], s, &hrow);
        rc = read_records(&m, &kinds[k], s, hrow);
    }
    if (rc == 0 && used == 0)
        rc = lx_fail(b, LEXP_EDATA, NULL,
                     b->n ? "no sheet of the workbook is a ledger: expected sheets such as "
                            "基本情况, 活动台账, 矛盾纠纷台账, 帮扶台账"
                          : "the file is empty");
    if (rc) {
        json_decref(m.root);
        return rc;
    }
    *out = ordered(m.root);
    json_decref(m.root);
    return *out ? 0 : lexp__error_oom(b->err);
}
