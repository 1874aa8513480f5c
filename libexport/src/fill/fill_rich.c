/*
 * Rich text from JSON in Word templates: {{r x}} with a run or a list of
 * runs, {{p x}} with paragraphs (templates/README.md, "Rich text").
 *
 * A run is a string (the template run's formatting) or an object with
 * "text" and formatting keys; a list of runs may nest lists (flattened).
 * Formatting not given keeps the template's: each run starts from a copy of
 * the tag's run properties (w:rPr), the keys given replace their elements,
 * and the result keeps the schema's element order (Word rejects others).
 * Paragraphs start from the tag paragraph's properties the same way.
 *
 * Links become w:hyperlink elements whose relationship is added to the
 * part's .rels at the end of the part (dx_links_store), one per distinct
 * URL, with ids that no existing relationship uses: rIdL1, rIdL2 … in the
 * order the links are met, so the same input gives the same bytes.
 *
 * Shapes are checked before anything is written (dx_rich_check): a bad one
 * is an error at the tag naming the data path of the offending value.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fill_docx.h"

#define REL_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define REL_LINK REL_NS "/hyperlink"
#define MAX_NEST 8         /* lists of runs inside lists */
#define MAX_LINK 2048      /* bytes of a URL */
#define MAX_NAME 128       /* bytes of a font or style name */

typedef struct rstyle {
    char *id, *name, *link;
    char type; /* 'p' paragraph, 'c' character, 0 other */
} rstyle;

/* The rich text state of a part: its links, and the document's styles
 * (read once, when a style is first named). */
struct dx_links {
    char **url;
    int n, cap;
    rstyle *st;
    int nst, st_read;
};

static dx_links *state(dx *x)
{
    if (!x->links && !(x->links = calloc(1, sizeof *x->links)))
        fx_oom(x->c);
    return x->links;
}

static int read_styles(dx *x, dx_links *L)
{
    fx_ctx *c = x->c;
    L->st_read = 1;
    fx_entry *e = fx_pkg_find(&c->pkg, "word/styles.xml");
    if (!e)
        return 0;
    const char *saved = c->part;
    c->part = e->name;
    xmlDocPtr d = fx_xml_parse(c, e);
    c->part = saved;
    if (!d)
        return -1;
    int cap = 0, rc = 0;
    for (xmlNodePtr k = xmlDocGetRootElement(d)->children; k && rc == 0; k = k->next) {
        if (!fx_is(k, "style"))
            continue;
        const xmlChar *id = fx_attr(k, "styleId"), *type = fx_attr(k, "type");
        xmlNodePtr nm = fx_child(k, "name"), ln = fx_child(k, "link");
        const xmlChar *name = nm ? fx_attr(nm, "val") : NULL, *link = ln ? fx_attr(ln, "val") : NULL;
        if (!id)
            continue;
        if (L->nst == cap) {
            cap = cap ? cap * 2 : 64;
            rstyle *v = realloc(L->st, (size_t)cap * sizeof *v);
            if (!v) {
                rc = fx_oom(c);
                break;
            }
            L->st = v;
        }
        rstyle *s = &L->st[L->nst++];
        s->id = strdup((const char *)id);
        s->name = name ? strdup((const char *)name) : NULL;
        s->link = link ? strdup((const char *)link) : NULL;
        s->type = !type ? 0 : xmlStrEqual(type, (const xmlChar *)"paragraph") ? 'p'
                 : xmlStrEqual(type, (const xmlChar *)"character")         ? 'c'
                                                                            : 0;
        if (!s->id || (name && !s->name) || (link && !s->link))
            rc = fx_oom(c);
    }
    xmlFreeDoc(d);
    return rc;
}

static const struct {
    const char *cn, *en;
} CN_STYLES[] = {{"正文", "Normal"},        {"标题", "Title"},       {"副标题", "Subtitle"},
                 {"标题 1", "heading 1"},   {"标题 2", "heading 2"}, {"标题 3", "heading 3"},
                 {"标题 4", "heading 4"},   {"标题 5", "heading 5"}, {"标题 6", "heading 6"},
                 {"标题 7", "heading 7"},   {"标题 8", "heading 8"}, {"标题 9", "heading 9"},
                 {"引用", "Quote"},         {"明显引用", "Intense Quote"},
                 {"列表段落", "List Paragraph"}, {"要点", "Strong"},   {"强调", "Emphasis"},
                 {"超链接", "Hyperlink"},   {NULL, NULL}};

static int same(const char *a, const char *s, size_t n, int nocase)
{
    return a && strlen(a) == n && (nocase ? strncasecmp(a, s, n) : strncmp(a, s, n)) == 0;
}

/* The id of the style `v` names (by id or by name, then ignoring ASCII
 * case) of type 'p' or 'c' (a paragraph style's linked character style
 * serves a run, and the other way round); NULL when the document has no
 * such style, with *known set when it has a style list at all. */
static const char *find_style(dx *x, const lexp_value *v, char type, int *known, int *other)
{
    dx_links *L = state(x);
    *known = *other = 0;
    if (!L || (!L->st_read && read_styles(x, L)))
        return NULL;
    *known = L->nst > 0;
    /* Word's built-in styles keep their English names whatever the language
     * of its menus: 标题 1 is "heading 1" */
    const char *alias = NULL;
    for (int k = 0; CN_STYLES[k].cn && !alias; k++)
        if (same(CN_STYLES[k].cn, v->u.str, v->len, 0))
            alias = CN_STYLES[k].en;
    for (int pass = 0; pass < 4; pass++) {
        const char *want = pass < 2 ? v->u.str : alias;
        size_t wn = pass < 2 ? v->len : alias ? strlen(alias) : 0;
        if (!want)
            break;
        for (int i = 0; i < L->nst; i++) {
            rstyle *s = &L->st[i];
            if (!same(s->id, want, wn, pass & 1) && !same(s->name, want, wn, pass & 1))
                continue;
            if (s->type == type)
                return s->id;
            for (int j = 0; s->link && j < L->nst; j++)
                if (L->st[j].type == type && strcmp(L->st[j].id, s->link) == 0)
                    return L->st[j].id;
            *other = 1;
        }
    }
    return NULL;
}

static int bad(dx *x, const fx_op *op, const lexp_value *v, const char *fmt, ...)
    LEXP_PRINTF(4, 5);

/* A style name is checked against the document's styles (Word would show an
 * unknown one as Normal, silently). */
static int check_style(dx *x, const fx_op *op, const lexp_value *v, char type)
{
    int known, other;
    if (find_style(x, v, type, &known, &other) || !known)
        return lexp__error_is_set(x->c->err) ? -1 : 0;
    char some[300] = "";
    size_t at = 0;
    int shown = 0;
    for (int i = 0; i < x->links->nst && shown < 12; i++) {
        const rstyle *s = &x->links->st[i];
        if (s->type != type)
            continue;
        int w = snprintf(some + at, sizeof some - at, "%s%s", shown ? ", " : "", s->id);
        if (w < 0 || (size_t)w >= sizeof some - at)
            break;
        at += (size_t)w;
        shown++;
    }
    return bad(x, op, v,
               other ? "style '%.*s' is not a %s style in this document; its %s styles "
                       "include %s"
                     : "no style '%.*s' in this document; its %s styles include %s",
               (int)(v->len > 60 ? 60 : v->len), v->u.str,
               type == 'p' ? "paragraph" : "character", type == 'p' ? "paragraph" : "character",
               shown ? some : "none");
}

/* ---- checking ---------------------------------------------------------- */

static const char *const RUN_KEYS[] = {
    "text", "bold", "italic", "underline", "strike", "color", "highlight", "font",
    "east_asia_font", "size", "superscript", "subscript", "style", "link", NULL};
static const char *const PARA_KEYS[] = {"runs", "style", "align", NULL};
static const char *const UNDERLINES[] = {
    "single", "double", "thick", "dotted", "dottedHeavy", "dash", "dashedHeavy", "dashLong",
    "dashLongHeavy", "dotDash", "dashDotHeavy", "dotDotDash", "dashDotDotHeavy", "wave",
    "wavyHeavy", "wavyDouble", "words", "none", NULL};
static const char *const HIGHLIGHTS[] = {
    "yellow", "green", "cyan", "magenta", "blue", "red", "darkBlue", "darkCyan", "darkGreen",
    "darkMagenta", "darkRed", "darkYellow", "darkGray", "lightGray", "black", "white", "none",
    NULL};
static const char *const ALIGNS[] = {"left", "center", "right", "justify", "distribute", NULL};
/* Chinese type sizes (字号) in points */
static const struct {
    const char *name;
    double pt;
} CN_SIZES[] = {{"初号", 42},  {"小初", 36}, {"一号", 26},  {"小一", 24},  {"二号", 22},
                {"小二", 18},  {"三号", 16}, {"小三", 15},  {"四号", 14},  {"小四", 12},
                {"五号", 10.5}, {"小五", 9}, {"六号", 7.5}, {"小六", 6.5}, {"七号", 5.5},
                {"八号", 5},   {NULL, 0}};

static int in_list(const char *const *l, const char *s, size_t n)
{
    for (int i = 0; l[i]; i++)
        if (strlen(l[i]) == n && memcmp(l[i], s, n) == 0)
            return i;
    return -1;
}

static void list_words(char *out, size_t cap, const char *const *l)
{
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; l[i] && at + 2 < cap; i++) {
        int w = snprintf(out + at, cap - at, "%s%s", i ? ", " : "", l[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

static int bad(dx *x, const fx_op *op, const lexp_value *v, const char *fmt, ...)
{
    char msg[LEXP_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lexp__eval_fail(&x->c->ev, op->tag->t.expr, v, "%s", msg);
    fx_locate(x->c);
    return -1;
}

/* A key's value; null counts as absent (data made by programs writes it). */
static const lexp_value *get(const lexp_value *o, const char *k)
{
    const lexp_value *v = lexp__v_getz(o, k);
    return v && v->type != LV_UNDEF && v->type != LV_NULL ? v : NULL;
}

static int is_hex6(const char *s, size_t n)
{
    if (n && s[0] == '#') {
        s++;
        n--;
    }
    if (n != 6)
        return 0;
    for (size_t i = 0; i < 6; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i]))
            return 0;
    return 1;
}

static int plain_name(const char *s, size_t n, size_t max)
{
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '<' || s[i] == '>')
            return 0;
    return 1;
}

/* Half-points of a size (points as a number, or a Chinese size name);
 * 0 when it is not one. */
static long half_points(const lexp_value *v)
{
    if (v->type == LV_STR) {
        for (int i = 0; CN_SIZES[i].name; i++)
            if (strlen(CN_SIZES[i].name) == v->len &&
                memcmp(CN_SIZES[i].name, v->u.str, v->len) == 0)
                return lround(CN_SIZES[i].pt * 2);
        return 0;
    }
    if (v->type != LV_NUM || !(v->u.num >= 1 && v->u.num <= 1638))
        return 0;
    return lround(v->u.num * 2);
}

static int check_bool(dx *x, const fx_op *op, const lexp_value *o, const char *k)
{
    const lexp_value *v = get(o, k);
    if (v && v->type != LV_BOOL)
        return bad(x, op, v, "'%s' of a run is true or false", k);
    return 0;
}

static int check_run_obj(dx *x, const fx_op *op, const lexp_value *o)
{
    char words[400];
    for (uint32_t i = 0; i < o->len; i++) {
        const lexp_member *m = &o->u.members[i];
        if (in_list(RUN_KEYS, m->key, m->klen) < 0) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(m->klen > 40 ? 40 : m->klen), m->key);
            if (strcmp(key, "runs") == 0 || strcmp(key, "align") == 0)
                return bad(x, op, m->val,
                           "'%s' belongs to a paragraph, and {{r }} writes runs: use {{p }} "
                           "for paragraphs", key);
            if (strcmp(key, "url_id") == 0 || strcmp(key, "url") == 0)
                return bad(x, op, m->val,
                           "a run's link is \"link\": \"https://…\" (docxtpl's "
                           "url_id=tpl.build_url_id(…) has no JSON form)");
            list_words(words, sizeof words, RUN_KEYS);
            return bad(x, op, m->val, "unknown key '%s' in a run; a run has %s", key, words);
        }
    }
    const lexp_value *t = get(o, "text");
    if (!t)
        return bad(x, op, o, "a run object needs \"text\"");
    if (t->type != LV_STR && t->type != LV_NUM)
        return bad(x, op, t, "a run's \"text\" is a string or a number");
    static const char *const bools[] = {"bold", "italic", "strike", "superscript", "subscript"};
    for (size_t i = 0; i < sizeof bools / sizeof *bools; i++)
        if (check_bool(x, op, o, bools[i]))
            return -1;
    const lexp_value *sup = get(o, "superscript"), *sub = get(o, "subscript");
    if (sup && sub && sup->b && sub->b)
        return bad(x, op, sub, "a run is superscript or subscript, not both");
    const lexp_value *v;
    if ((v = get(o, "underline")) && v->type != LV_BOOL &&
        (v->type != LV_STR || in_list(UNDERLINES, v->u.str, v->len) < 0)) {
        list_words(words, sizeof words, UNDERLINES);
        return bad(x, op, v, "'underline' is true, false or one of %s", words);
    }
    if ((v = get(o, "color")) &&
        (v->type != LV_STR ||
         !(is_hex6(v->u.str, v->len) || (v->len == 4 && memcmp(v->u.str, "auto", 4) == 0))))
        return bad(x, op, v,
                   "'color' is a hex colour of 6 digits (\"FF0000\" or \"#FF0000\") or "
                   "\"auto\"");
    if ((v = get(o, "highlight")) &&
        (v->type != LV_STR ||
         !(is_hex6(v->u.str, v->len) || in_list(HIGHLIGHTS, v->u.str, v->len) >= 0))) {
        list_words(words, sizeof words, HIGHLIGHTS);
        return bad(x, op, v, "'highlight' is a hex colour (\"FFFF00\", shading) or one of %s", words);
    }
    static const char *const names[] = {"font", "east_asia_font", "style"};
    for (size_t i = 0; i < 3; i++)
        if ((v = get(o, names[i])) &&
            (v->type != LV_STR || !plain_name(v->u.str, v->len, MAX_NAME)))
            return bad(x, op, v,
                       "'%s' is a name of 1 to 128 bytes without control characters, quotes "
                       "or angle brackets",
                       names[i]);
    if ((v = get(o, "style")) && check_style(x, op, v, 'c'))
        return -1;
    if ((v = get(o, "size")) && !half_points(v))
        return bad(x, op, v,
                   "'size' is in points, from 1 to 1638 (10.5 is 五号), or a Chinese size "
                   "name (初号 … 八号, 小四 …)");
    if ((v = get(o, "link"))) {
        if (v->type != LV_STR || v->len == 0 || v->len > MAX_LINK)
            return bad(x, op, v, "'link' is a URL (a string of 1 to 2048 bytes), or "
                                 "\"#bookmark\"");
        for (uint32_t i = 0; i < v->len; i++)
            if ((unsigned char)v->u.str[i] <= 0x20)
                return bad(x, op, v,
                           "'link' holds a space or a control character: write spaces as "
                           "%%20");
    }
    return 0;
}

static int check_runs(dx *x, const fx_op *op, const lexp_value *v, int depth)
{
    switch (v->type) {
    case LV_UNDEF:
    case LV_NULL:
    case LV_STR:
    case LV_NUM:
    case LV_BOOL: return 0;
    case LV_ARR:
        if (depth >= MAX_NEST)
            return bad(x, op, v, "lists of runs nest at most 8 deep");
        if (lexp__eval_work(&x->c->ev, op->tag->t.expr, v->len)) {
            fx_locate(x->c);
            return -1;
        }
        for (uint32_t i = 0; i < v->len; i++)
            if (check_runs(x, op, v->u.items[i], depth + 1))
                return -1;
        return 0;
    case LV_OBJ: return check_run_obj(x, op, v);
    default: return bad(x, op, v, "a run is a string, a number or an object");
    }
}

static int check_para(dx *x, const fx_op *op, const lexp_value *v)
{
    if (v->type != LV_OBJ || get(v, "text"))
        return check_runs(x, op, v, 1);
    for (uint32_t i = 0; i < v->len; i++) {
        const lexp_member *m = &v->u.members[i];
        if (in_list(PARA_KEYS, m->key, m->klen) < 0) {
            char key[64], words[100];
            snprintf(key, sizeof key, "%.*s", (int)(m->klen > 40 ? 40 : m->klen), m->key);
            if (strcmp(key, "parastyle") == 0)
                return bad(x, op, m->val, "a paragraph's style is \"style\" (docxtpl's "
                                          "parastyle)");
            list_words(words, sizeof words, PARA_KEYS);
            return bad(x, op, m->val,
                       "unknown key '%s' in a paragraph; a paragraph has %s (or is a run with "
                       "\"text\")",
                       key, words);
        }
    }
    const lexp_value *s;
    char words[100];
    if ((s = get(v, "style")) && (s->type != LV_STR || !plain_name(s->u.str, s->len, MAX_NAME)))
        return bad(x, op, s, "a paragraph's 'style' is a style name of 1 to 128 bytes");
    if (s && check_style(x, op, s, 'p'))
        return -1;
    if ((s = get(v, "align")) && (s->type != LV_STR || in_list(ALIGNS, s->u.str, s->len) < 0)) {
        list_words(words, sizeof words, ALIGNS);
        return bad(x, op, s, "'align' is one of %s", words);
    }
    s = get(v, "runs");
    return s ? check_runs(x, op, s, 1) : 0;
}

/* A value that looks like rich text printed by a plain {{ x }}: its Python
 * repr lands in the document, which is never what was meant. */
static int looks_rich(const lexp_value *v, int depth)
{
    if (v->type == LV_OBJ)
        return get(v, "text") || get(v, "runs");
    if (v->type != LV_ARR || depth > 2)
        return 0;
    for (uint32_t i = 0; i < v->len && i < 8; i++)
        if (looks_rich(v->u.items[i], depth + 1))
            return 1;
    return 0;
}

void dx_rich_hint(dx *x, const fx_op *op, const lexp_value *v)
{
    if (x->rich_warned || !looks_rich(v, 0))
        return;
    x->rich_warned = 1;
    lexp__warn(x->c->opt, x->c->name,
               "%s: paragraph %d: a rich-text value (runs with \"text\", or \"runs\") printed "
               "by a plain {{ }} shows as its Python form; write {{r x}} for runs, {{p x}} for "
               "paragraphs",
               x->c->part ? x->c->part : "", op->tag->line);
}

int dx_rich_is(const lexp_value *v, int kind)
{
    (void)kind;
    return v->type == LV_ARR || v->type == LV_OBJ;
}

int dx_rich_check(dx *x, const fx_op *op, const lexp_value *v)
{
    if (op->tag->rich == 'r') {
        if (v->type == LV_OBJ && get(v, "runs") && !get(v, "text"))
            return bad(x, op, v,
                       "a paragraph (\"runs\") in {{r }}, which writes runs: give the list of "
                       "runs, or use {{p }}");
        return check_runs(x, op, v, 0);
    }
    if (v->type == LV_ARR) {
        if (lexp__eval_work(&x->c->ev, op->tag->t.expr, v->len)) {
            fx_locate(x->c);
            return -1;
        }
        for (uint32_t i = 0; i < v->len; i++)
            if (check_para(x, op, v->u.items[i]))
                return -1;
        return 0;
    }
    return check_para(x, op, v);
}

/* ---- properties -------------------------------------------------------- */

/* The schema's order of w:rPr and w:pPr children (CT_RPr, CT_PPr). */
static const char *const RPR_ORDER[] = {
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
    "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden",
    "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect",
    "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout",
    "specVanish", "oMath", NULL};
static const char *const PPR_ORDER[] = {
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
    "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap",
    "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId",
    "cnfStyle", "rPr", "sectPr", "pPrChange", NULL};

static int order_of(const char *const *order, const xmlNode *n)
{
    if (n->type != XML_ELEMENT_NODE)
        return -1;
    int i = in_list(order, (const char *)n->name, strlen((const char *)n->name));
    return i < 0 ? 1000 : i; /* unknown (extensions, changes): last */
}

/* The child `name` of props, made empty (attributes and children gone) or
 * created in schema order. */
static xmlNodePtr prop_slot(dx *x, xmlNodePtr props, const char *const *order, const char *name)
{
    for (xmlNodePtr k = props->children; k; k = k->next)
        if (dx_is_w(k, name)) {
            while (k->properties)
                xmlRemoveProp(k->properties);
            return k;
        }
    xmlNodePtr n = fx_new_elem(&x->k, props, props, name);
    if (!n)
        return NULL;
    xmlUnlinkNode(n);
    int want = in_list(order, name, strlen(name));
    xmlNodePtr before = NULL;
    for (xmlNodePtr k = props->children; k && !before; k = k->next)
        if (order_of(order, k) > want)
            before = k;
    if (before)
        xmlAddPrevSibling(before, n);
    else
        xmlAddChild(props, n);
    return n;
}

static void prop_drop(xmlNodePtr props, const char *name)
{
    for (xmlNodePtr k = props->children, nx; k; k = nx) {
        nx = k->next;
        if (dx_is_w(k, name)) {
            xmlUnlinkNode(k);
            xmlFreeNode(k);
        }
    }
}

/* Attributes count as nodes here: runs are mostly attributes, and the
 * node limit is what bounds the memory a fill's output takes. */
static int set_attr(dx *x, xmlNodePtr n, const char *name, const char *v, size_t len)
{
    if (fx_count_nodes(x->c, 1))
        return -1;
    char *s = strndup(v, len);
    if (!s)
        return fx_oom(x->c);
    xmlAttrPtr a = xmlSetNsProp(n, n->ns, (const xmlChar *)name, (const xmlChar *)s);
    free(s);
    return a ? 0 : fx_oom(x->c);
}

static int set_val(dx *x, xmlNodePtr props, const char *const *order, const char *name,
                   const char *v)
{
    xmlNodePtr n = prop_slot(x, props, order, name);
    if (!n)
        return -1;
    return v ? set_attr(x, n, "val", v, strlen(v)) : 0;
}

static int set_onoff(dx *x, xmlNodePtr rpr, const char *name, const lexp_value *v)
{
    if (!v)
        return 0;
    return set_val(x, rpr, RPR_ORDER, name, v->b ? NULL : "0");
}

/* "eastAsia:微软雅黑" (docxtpl's region prefix) names the font for all
 * scripts, as in docxtpl. */
static void font_name(const lexp_value *v, const char **s, size_t *n)
{
    static const char *const regions[] = {"eastAsia:", "ascii:", "hAnsi:", "cs:", NULL};
    *s = v->u.str;
    *n = v->len;
    for (int i = 0; regions[i]; i++) {
        size_t rl = strlen(regions[i]);
        if (*n > rl && memcmp(*s, regions[i], rl) == 0) {
            *s += rl;
            *n -= rl;
            return;
        }
    }
}

/* The fonts: explicit names replace theme fonts (which win over them). */
static int set_fonts(dx *x, xmlNodePtr rpr, const lexp_value *all, const lexp_value *ea)
{
    if (!all && !ea)
        return 0;
    xmlNodePtr f = NULL;
    for (xmlNodePtr k = rpr->children; k && !f; k = k->next)
        if (dx_is_w(k, "rFonts"))
            f = k;
    if (!f && !(f = prop_slot(x, rpr, RPR_ORDER, "rFonts")))
        return -1;
    static const char *const slots[] = {"ascii", "hAnsi", "cs", "eastAsia"};
    for (int i = 0; i < 4; i++) {
        const lexp_value *v = i == 3 && ea ? ea : all;
        if (!v)
            continue;
        const char *s;
        size_t n;
        font_name(v, &s, &n);
        char theme[32];
        snprintf(theme, sizeof theme, "%sTheme", slots[i]);
        for (xmlAttrPtr a = f->properties; a; a = a->next)
            if (strcmp((const char *)a->name, theme) == 0 ||
                (i == 2 && strcmp((const char *)a->name, "cstheme") == 0)) {
                xmlRemoveProp(a);
                break;
            }
        if (set_attr(x, f, slots[i], s, n))
            return -1;
    }
    return 0;
}

/* The run properties: a copy of the template's, with the run's keys. */
static int run_props(dx *x, xmlNodePtr run, const xmlNode *trun, const lexp_value *o)
{
    xmlNodePtr tpl = NULL;
    if (trun)
        for (xmlNodePtr k = trun->children; k && !tpl; k = k->next)
            if (dx_is_w(k, "rPr"))
                tpl = k;
    if (!tpl && (!o || o->type != LV_OBJ || o->len <= 1))
        return 0;
    xmlNodePtr rpr = tpl ? fx_copy_deep(&x->k, run, tpl) : fx_new_elem(&x->k, run, run, "rPr");
    if (!rpr)
        return -1;
    if (!o || o->type != LV_OBJ)
        return 0;
    const lexp_value *v;
    if ((v = get(o, "style"))) {
        int known, other;
        const char *id = find_style(x, v, 'c', &known, &other);
        xmlNodePtr s = prop_slot(x, rpr, RPR_ORDER, "rStyle");
        if (!s || set_attr(x, s, "val", id ? id : v->u.str, id ? strlen(id) : v->len))
            return -1;
    }
    if (set_fonts(x, rpr, get(o, "font"), get(o, "east_asia_font")) ||
        set_onoff(x, rpr, "b", get(o, "bold")) || set_onoff(x, rpr, "i", get(o, "italic")) ||
        set_onoff(x, rpr, "strike", get(o, "strike")))
        return -1;
    const lexp_value *link = get(o, "link");
    v = get(o, "color");
    if (v || link) {
        /* a link shows as Word's Hyperlink style does, unless told otherwise */
        char hex[8] = "0563C1";
        if (v && v->len == 4 && memcmp(v->u.str, "auto", 4) == 0) {
            memcpy(hex, "auto", 5);
        } else if (v) {
            const char *s = v->u.str[0] == '#' ? v->u.str + 1 : v->u.str;
            size_t n = v->u.str[0] == '#' ? v->len - 1 : v->len;
            for (size_t i = 0; i < n && i < 6; i++)
                hex[i] = (char)(s[i] >= 'a' && s[i] <= 'f' ? s[i] - 32 : s[i]);
            hex[n < 6 ? n : 6] = 0;
        }
        if (set_val(x, rpr, RPR_ORDER, "color", hex))
            return -1;
    }
    if ((v = get(o, "size"))) {
        char hp[24];
        snprintf(hp, sizeof hp, "%ld", half_points(v));
        if (set_val(x, rpr, RPR_ORDER, "sz", hp) || set_val(x, rpr, RPR_ORDER, "szCs", hp))
            return -1;
    }
    if ((v = get(o, "highlight"))) {
        if (is_hex6(v->u.str, v->len)) {
            char s[8];
            for (int i = 0; i < 6; i++) {
                char ch = v->u.str[v->u.str[0] == '#' ? i + 1 : i];
                s[i] = (char)(ch >= 'a' && ch <= 'f' ? ch - 32 : ch);
            }
            xmlNodePtr shd = prop_slot(x, rpr, RPR_ORDER, "shd");
            if (!shd || set_attr(x, shd, "val", "clear", 5) || set_attr(x, shd, "color", "auto", 4) ||
                set_attr(x, shd, "fill", s, 6))
                return -1;
            prop_drop(rpr, "highlight");
        } else {
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)v->len, v->u.str);
            if (set_val(x, rpr, RPR_ORDER, "highlight", name))
                return -1;
        }
    }
    v = get(o, "underline");
    if (v || link) {
        char u[32] = "single";
        if (v && v->type == LV_BOOL)
            snprintf(u, sizeof u, "%s", v->b ? "single" : "none");
        else if (v)
            snprintf(u, sizeof u, "%.*s", (int)v->len, v->u.str);
        if (set_val(x, rpr, RPR_ORDER, "u", u))
            return -1;
    }
    const lexp_value *sup = get(o, "superscript"), *sub = get(o, "subscript");
    if ((sup && sup->b) || (sub && sub->b)) {
        if (set_val(x, rpr, RPR_ORDER, "vertAlign", sup && sup->b ? "superscript" : "subscript"))
            return -1;
    } else if ((sup && !sup->b) || (sub && !sub->b)) {
        prop_drop(rpr, "vertAlign");
    }
    return 0;
}

/* ---- links ------------------------------------------------------------- */

static int link_id(dx *x, const char *url, size_t n)
{
    dx_links *L = state(x);
    if (!L)
        return -1;
    for (int i = 0; i < L->n; i++)
        if (strlen(L->url[i]) == n && memcmp(L->url[i], url, n) == 0)
            return i + 1;
    if (L->n == L->cap) {
        int cap = L->cap ? L->cap * 2 : 8;
        char **v = realloc(L->url, (size_t)cap * sizeof *v);
        if (!v)
            return fx_oom(x->c);
        L->url = v;
        L->cap = cap;
    }
    if (!(L->url[L->n] = strndup(url, n)))
        return fx_oom(x->c);
    return ++L->n;
}

void dx_links_free(dx *x)
{
    if (!x->links)
        return;
    for (int i = 0; i < x->links->n; i++)
        free(x->links->url[i]);
    free(x->links->url);
    for (int i = 0; i < x->links->nst; i++) {
        free(x->links->st[i].id);
        free(x->links->st[i].name);
        free(x->links->st[i].link);
    }
    free(x->links->st);
    free(x->links);
    x->links = NULL;
}

/* The relationship ids of the part: "rIdL<n>" unless the part already has
 * such ids, then a prefix no existing id starts with. */
static void pick_prefix(xmlNodePtr root, char *prefix, size_t cap)
{
    for (int k = 0;; k++) {
        if (k == 0)
            snprintf(prefix, cap, "rIdL");
        else
            snprintf(prefix, cap, "rIdL%dx", k);
        size_t pl = strlen(prefix);
        int clash = 0;
        for (xmlNodePtr r = root ? root->children : NULL; r && !clash; r = r->next) {
            const xmlChar *id = fx_is(r, "Relationship") ? fx_attr(r, "Id") : NULL;
            clash = id && strncmp((const char *)id, prefix, pl) == 0;
        }
        if (!clash)
            return;
    }
}

/* The id a link's w:hyperlink names: fixed once the part is generated,
 * so the element carries a placeholder until then. */
#define LINK_ATTR ((const xmlChar *)"lexp-link")

static int fix_ids(xmlNodePtr n, const char *prefix, xmlNsPtr rns)
{
    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        xmlAttrPtr a = xmlHasProp(k, LINK_ATTR);
        if (a) {
            char id[48];
            snprintf(id, sizeof id, "%s%s", prefix,
                     a->children ? (const char *)a->children->content : "0");
            xmlRemoveProp(a);
            if (!xmlSetNsProp(k, rns, (const xmlChar *)"id", (const xmlChar *)id))
                return -1;
        }
        if (fix_ids(k, prefix, rns))
            return -1;
    }
    return 0;
}

static const char RELS_EMPTY[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "</Relationships>";

int dx_links_store(dx *x, xmlDocPtr doc, const char *part)
{
    fx_ctx *c = x->c;
    if (!x->links || x->links->n == 0)
        return 0;
    char name[600];
    fx_rels_name(part, name, sizeof name);
    fx_entry *e = fx_pkg_find(&c->pkg, name);
    xmlDocPtr rd;
    if (e) {
        const char *saved = c->part;
        c->part = e->name;
        rd = fx_xml_parse(c, e);
        c->part = saved;
        if (!rd)
            return -1;
    } else {
        rd = xmlReadMemory(RELS_EMPTY, (int)sizeof RELS_EMPTY - 1, NULL, NULL, XML_PARSE_NONET);
        if (!rd)
            return fx_oom(c);
    }
    xmlNodePtr root = xmlDocGetRootElement(rd);
    char prefix[32];
    pick_prefix(root, prefix, sizeof prefix);
    int rc = 0;
    for (int i = 0; i < x->links->n && rc == 0; i++) {
        char id[48];
        snprintf(id, sizeof id, "%s%d", prefix, i + 1);
        xmlNodePtr r = xmlNewDocNode(rd, root->ns, (const xmlChar *)"Relationship", NULL);
        if (!r || !xmlAddChild(root, r) || !xmlNewProp(r, (const xmlChar *)"Id", (const xmlChar *)id) ||
            !xmlNewProp(r, (const xmlChar *)"Type", (const xmlChar *)REL_LINK) ||
            !xmlNewProp(r, (const xmlChar *)"Target", (const xmlChar *)x->links->url[i]) ||
            !xmlNewProp(r, (const xmlChar *)"TargetMode", (const xmlChar *)"External"))
            rc = fx_oom(c);
    }
    xmlNodePtr droot = xmlDocGetRootElement(doc);
    xmlNsPtr rns = rc ? NULL : xmlSearchNsByHref(doc, droot, (const xmlChar *)REL_NS);
    if (rc == 0 && !rns && !(rns = xmlNewNs(droot, (const xmlChar *)REL_NS, (const xmlChar *)"r")))
        rc = fx_oom(c);
    if (rc == 0 && fix_ids(droot, prefix, rns))
        rc = fx_oom(c);
    if (rc == 0 && !e) {
        if (!(e = fx_pkg_add(&c->pkg, name))) {
            rc = fx_oom(c);
        } else { /* dated like its part, so the same input gives the same bytes */
            const fx_entry *pe = fx_pkg_find(&c->pkg, part);
            e->dtime = pe ? pe->dtime : 0;
            e->ddate = pe ? pe->ddate : (1 << 5) | 1;
        }
    }
    if (rc == 0)
        rc = fx_xml_store(c, e, rd);
    xmlFreeDoc(rd);
    return rc;
}

/* ---- writing ----------------------------------------------------------- */

typedef struct rich_w {
    dx *x;
    const fx_op *op;
    const xmlNode *t;    /* the tag's w:t */
    const xmlNode *trun; /* its run, whose properties are the base (or NULL) */
} rich_w;

static int write_run(rich_w *w, xmlNodePtr parent, const lexp_value *v)
{
    dx *x = w->x;
    fx_ctx *c = x->c;
    const lexp_value *o = v->type == LV_OBJ ? v : NULL;
    const lexp_value *text = o ? get(o, "text") : v;
    lexp__sbuf b = LEXP__SBUF_INIT;
    if (text && fx_value_text(c, w->op, text, &b)) {
        lexp__sbuf_free(&b);
        return -1;
    }
    if (lexp__eval_work(&c->ev, w->op->tag->t.expr, 1 + b.len / 64)) {
        lexp__sbuf_free(&b);
        fx_locate(c);
        return -1;
    }
    const lexp_value *link = o ? get(o, "link") : NULL;
    xmlNodePtr into = parent;
    if (link) {
        xmlNodePtr h = fx_new_elem(&x->k, parent, w->t, "hyperlink");
        int rc = h ? 0 : -1;
        if (rc == 0 && link->u.str[0] == '#') {
            rc = set_attr(x, h, "anchor", link->u.str + 1, link->len - 1);
        } else if (rc == 0) {
            int id = link_id(x, link->u.str, link->len);
            char num[16];
            snprintf(num, sizeof num, "%d", id);
            if (id < 0 || !xmlSetProp(h, LINK_ATTR, (const xmlChar *)num))
                rc = id < 0 ? -1 : fx_oom(c);
        }
        if (rc == 0)
            rc = set_attr(x, h, "history", "1", 1);
        if (rc) {
            lexp__sbuf_free(&b);
            return -1;
        }
        into = h;
    }
    xmlNodePtr r = w->trun ? fx_copy_shallow(&x->k, into, w->trun)
                           : fx_new_elem(&x->k, into, w->t, "r");
    int rc = r ? run_props(x, r, w->trun, o) : -1;
    if (rc == 0 && b.len)
        rc = dx_write_slot(x, r, w->t, b.ptr, b.len);
    lexp__sbuf_free(&b);
    return rc;
}

static int write_runs(rich_w *w, xmlNodePtr parent, const lexp_value *v)
{
    if (v->type == LV_UNDEF || v->type == LV_NULL)
        return 0;
    if (v->type != LV_ARR)
        return write_run(w, parent, v);
    for (uint32_t i = 0; i < v->len; i++)
        if (write_runs(w, parent, v->u.items[i]))
            return -1;
    return 0;
}

static const xmlNode *run_of(const xmlNode *t)
{
    return t && t->parent && dx_is_w(t->parent, "r") ? t->parent : NULL;
}

int dx_rich_runs(dx *x, xmlNodePtr out, const xmlNode *t, const fx_op *op, const lexp_value *v)
{
    rich_w w = {x, op, t, run_of(t)};
    return write_runs(&w, out, v);
}

/* One paragraph of a {{p x}} value after `after`, shaped like `shell` (the
 * output paragraph with the template's properties). */
static xmlNodePtr write_para(rich_w *w, xmlNodePtr shell, xmlNodePtr after, const lexp_value *v)
{
    dx *x = w->x;
    xmlNodePtr p = fx_copy_shallow(&x->k, shell->parent, shell);
    if (!p)
        return NULL;
    xmlUnlinkNode(p);
    xmlAddNextSibling(after, p);
    xmlNodePtr ppr = fx_child(shell, "pPr");
    if (ppr && !(ppr = fx_copy_deep(&x->k, p, ppr)))
        return NULL;
    const lexp_value *para = v->type == LV_OBJ && !get(v, "text") ? v : NULL;
    const lexp_value *style = para ? get(para, "style") : NULL;
    const lexp_value *align = para ? get(para, "align") : NULL;
    if ((style || align) && !ppr && !(ppr = fx_new_elem(&x->k, p, w->t, "pPr")))
        return NULL;
    if (ppr)
        prop_drop(ppr, "sectPr"); /* only the last paragraph keeps the section */
    if (style) {
        int known, other;
        const char *id = find_style(x, style, 'p', &known, &other);
        xmlNodePtr s = prop_slot(x, ppr, PPR_ORDER, "pStyle");
        if (!s || set_attr(x, s, "val", id ? id : style->u.str, id ? strlen(id) : style->len))
            return NULL;
    }
    if (align) {
        static const char *const jc[] = {"left", "center", "right", "both", "distribute"};
        int i = in_list(ALIGNS, align->u.str, align->len);
        if (set_val(x, ppr, PPR_ORDER, "jc", jc[i]))
            return NULL;
    }
    const lexp_value *runs = para ? get(para, "runs") : v;
    if (runs && write_runs(w, p, runs))
        return NULL;
    return p;
}

int dx_rich_paras(dx *x, xmlNodePtr shell, xmlNodePtr *after, const xmlNode *t, const fx_op *op,
                  const lexp_value *v)
{
    rich_w w = {x, op, t, run_of(t)};
    uint32_t n = v->type == LV_ARR ? v->len : 1;
    for (uint32_t i = 0; i < n; i++) {
        const lexp_value *item = v->type == LV_ARR ? v->u.items[i] : v;
        if (item->type == LV_UNDEF || item->type == LV_NULL)
            continue;
        xmlNodePtr p = write_para(&w, shell, *after, item);
        if (!p)
            return -1;
        xmlNodePtr next = p->next;
        if (dx_split_paras(x, p))
            return -1;
        for (*after = p; (*after)->next != next;)
            *after = (*after)->next; /* past the paragraphs \a and \f made */
    }
    return 0;
}
