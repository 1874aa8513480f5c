/*
 * DOCX renderer on hand-built trees: shapes the templates do not produce
 * (2-D merged cells, stray placeholders, empty tables and charts, NaN,
 * control characters, missing pictures, breaks before tables and at the
 * end), rendering to memory, determinism, and two renders at once in
 * separate threads (the renderer keeps no global state).
 */
#include <libxml/parser.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "doc/doc.h"
#include "libexport.h"

#include "check.h"

static void para(struct lexp_doc *d, const char *text)
{
    lexp_node *p = lexp__node_new(d, LEXP_N_PARAGRAPH);
    p->u.para.indent = 2;
    lexp__node_add_run(d, p, text, strlen(text), 0, 0, -1);
    lexp__node_append(d->root, p);
}

static lexp_node *table(struct lexp_doc *d, int rows, int cols)
{
    lexp_node *t = lexp__table_new(d, cols);
    lexp__node_append(d->root, t);
    char s[32];
    for (int i = 0; i < rows; i++) {
        lexp_node *r = lexp__row_add(d, t);
        r->u.row.header = i == 0;
        for (int j = 0; j < cols; j++) {
            snprintf(s, sizeof s, "格%d-%d", i, j);
            lexp__cell_add(d, r, s);
        }
    }
    t->u.table.header_rows = rows > 0;
    return t;
}

static lexp_node *cell(lexp_node *t, int r, int c)
{
    return (lexp_node *)lexp__table_cell(t, r, c);
}

static void cover(lexp_node *t, int r, int c)
{
    lexp_node *x = cell(t, r, c);
    x->u.cell.covered = 1;
    x->runs.n = 0;
}

static struct lexp_doc *build(void)
{
    struct lexp_doc *d = lexp__doc_new();
    d->preset = LEXP_PRESET_GBT9704;
    d->title = "测试<文档>&";
    d->date = "2024-09-30";
    d->author = "作者\x01";

    lexp_node *m = lexp__node_new(d, LEXP_N_MASTHEAD);
    m->u.masthead.title = "工作简报";
    m->u.masthead.date = "2024年9月30日"; /* no issuer, no issue */
    lexp__node_append(d->root, m);

    para(d, "控制字符\x01\x02\x1f被删去，换行\n和\t制表保留；U+FFFE\xef\xbf\xbe也删去。");
    para(d, "坏的UTF-8：\xff\xc3(\xe4\xb8。"); /* each bad byte becomes U+FFFD */

    /* 4 × 4 with a 2 × 2 merge at (1,1) and a stray placeholder at (3,0) */
    lexp_node *t = table(d, 4, 4);
    cell(t, 1, 1)->u.cell.colspan = 2;
    cell(t, 1, 1)->u.cell.rowspan = 2;
    cover(t, 1, 2);
    cover(t, 2, 1);
    cover(t, 2, 2);
    cover(t, 3, 0);
    lexp_node *num = cell(t, 3, 3);
    num->u.cell.kind = LEXP_CELL_NUMBER;
    num->u.cell.num = 42;
    t->last->u.row.total = 1;

    table(d, 0, 3); /* no rows: nothing to write */
    lexp_node *t2 = table(d, 2, 2); /* right after a table: must not merge */
    t2->u.table.caption = NULL;

    lexp_node *ch = lexp__node_new(d, LEXP_N_CHART);
    ch->u.chart.title = "空图表";
    lexp__node_append(d->root, ch);
    ch = lexp__node_new(d, LEXP_N_CHART);
    ch->u.chart.kind = LEXP_CHART_PIE;
    ch->u.chart.n = 3;
    static const char *labels[] = {"甲", NULL, "丙<&>"};
    static double values[] = {1, NAN, 2.5};
    ch->u.chart.labels = labels;
    ch->u.chart.values = values;
    lexp__node_append(d->root, ch);

    lexp_node *img = lexp__node_new(d, LEXP_N_IMAGE);
    img->u.image.path = "photos/missing.png";
    img->u.image.resolved = "/nonexistent/photos/missing.png";
    img->u.image.caption = "缺失";
    lexp__node_append(d->root, img);

    lexp__node_append(d->root, lexp__node_new(d, LEXP_N_PAGEBREAK));
    table(d, 2, 1); /* a break before a table */
    lexp__node_append(d->root, lexp__node_new(d, LEXP_N_RULE));

    lexp_node *s = lexp__node_new(d, LEXP_N_SIGNATURE);
    s->u.signature.date = "2024年9月30日";
    lexp__node_append(d->root, s);
    lexp_node *ds = lexp__node_new(d, LEXP_N_DISTRIBUTION);
    ds->u.dist.send_to = "某某单位";
    ds->u.dist.printer = "秦渠社区居委会";
    ds->u.dist.date = "2024年9月30日";
    lexp__node_append(d->root, ds);
    table(d, 1, 2); /* the body ends with a table */
    lexp__node_append(d->root, lexp__node_new(d, LEXP_N_PAGEBREAK));
    return d;
}

typedef struct {
    int n;
    char last[1024];
} warns;

static void on_warn(const lexp_error *e, void *payload)
{
    warns *w = payload;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s: %s", e->file, e->message);
}

static char *entry(zip_t *z, const char *name, size_t *len)
{
    zip_stat_t st;
    if (zip_stat(z, name, 0, &st) != 0)
        return NULL;
    zip_file_t *f = zip_fopen(z, name, 0);
    char *p = malloc(st.size + 1);
    if (!f || !p || zip_fread(f, p, st.size) != (zip_int64_t)st.size) {
        free(p);
        if (f)
            zip_fclose(f);
        return NULL;
    }
    zip_fclose(f);
    p[st.size] = 0;
    *len = st.size;
    return p;
}

/* `full`: the document is the one build() makes. */
static void check_package(const lexp_buf *b, int full)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(b->ptr, b->size, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    CHECK(z != NULL);
    if (!z) {
        if (src)
            zip_source_free(src);
        zip_error_fini(&ze);
        return;
    }
    CHECK(strcmp(zip_get_name(z, 0, 0), "[Content_Types].xml") == 0);
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        size_t len;
        char *x = entry(z, name, &len);
        CHECK(x != NULL);
        if (x && strstr(name, "media/") == NULL) {
            xmlDocPtr doc = xmlReadMemory(x, (int)len, name, NULL, XML_PARSE_NONET);
            if (!doc)
                fprintf(stderr, "not well-formed: %s\n", name);
            CHECK(doc != NULL);
            xmlFreeDoc(doc);
        }
        free(x);
    }
    size_t len;
    char *doc = entry(z, "word/document.xml", &len);
    CHECK(doc != NULL);
    if (!full) {
        free(doc);
        zip_discard(z);
        zip_error_fini(&ze);
        return;
    }
    if (doc) {
        CHECK(strstr(doc, "<w:gridSpan w:val=\"2\"/><w:vMerge w:val=\"restart\"/>") != NULL);
        CHECK(strstr(doc, "<w:gridSpan w:val=\"2\"/><w:vMerge/>") != NULL);
        CHECK(strstr(doc, "\x01") == NULL && strstr(doc, "\xef\xbf\xbe") == NULL);
        CHECK(strstr(doc, "控制字符被删去，换行</w:t><w:br/><w:t>和</w:t><w:tab/>") != NULL);
        CHECK(strstr(doc, "<w:pageBreakBefore/>") == NULL); /* the break precedes a table */
        CHECK(strstr(doc, "<w:br w:type=\"page\"/>") != NULL);
        CHECK(strstr(doc, "坏的UTF-8：\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd。") != NULL);
        CHECK(strstr(doc, "缺失") != NULL);      /* caption kept, picture left out */
        CHECK(strstr(doc, "r:embed") == NULL);
        /* no two tables touch, and the body does not end with one */
        CHECK(strstr(doc, "</w:tbl><w:tbl>") == NULL);
        CHECK(strstr(doc, "</w:tbl><w:sectPr") == NULL);
        free(doc);
    }
    char *chart = entry(z, "word/charts/chart1.xml", &len);
    CHECK(chart != NULL); /* the empty chart has no part, the pie is chart 1 */
    if (chart) {
        CHECK(strstr(chart, "丙&lt;&amp;&gt;") != NULL);
        CHECK(strstr(chart, "<c:ptCount val=\"3\"/>") != NULL);
        CHECK(strstr(chart, "nan") == NULL);
        free(chart);
    }
    CHECK(zip_name_locate(z, "word/charts/chart2.xml", 0) < 0);
    char *core = entry(z, "docProps/core.xml", &len);
    CHECK(core && strstr(core, "测试&lt;文档&gt;&amp;") && strstr(core, "2024-09-30T00:00:00Z"));
    free(core);
    zip_discard(z);
    zip_error_fini(&ze);
}

typedef struct {
    const struct lexp_doc *doc;
    const lexp_buf *ref;
    int same;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.format = LEXP_FORMAT_DOCX;
    j->same = 1;
    for (int i = 0; i < 20; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        lexp_error e;
        if (lexp_doc_render(&b, j->doc, &o, &e) != 0 || b.size != j->ref->size ||
            memcmp(b.ptr, j->ref->ptr, b.size) != 0)
            j->same = 0;
        lexp_buf_dispose(&b);
    }
    return NULL;
}

int main(void)
{
    struct lexp_doc *d = build();
    warns w = {0, ""};
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.format = LEXP_FORMAT_DOCX;
    o.warn = on_warn;
    o.warn_payload = &w;
    lexp_error err;
    lexp_buf a = LEXP_BUF_INIT, b = LEXP_BUF_INIT;
    CHECK(lexp_doc_render(&a, d, &o, &err) == 0);
    CHECK(a.size > 4 && memcmp(a.ptr, "PK\x03\x04", 4) == 0);
    CHECK(w.n == 1 && strstr(w.last, "photos/missing.png") && strstr(w.last, "left out"));
    CHECK(lexp_doc_render(&b, d, &o, &err) == 0);
    CHECK(a.size == b.size && memcmp(a.ptr, b.ptr, a.size) == 0);
    check_package(&a, 1);

    /* the same document rendered by four threads at once */
    pthread_t th[4];
    job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].doc = d;
        jobs[i].ref = &a;
        CHECK(pthread_create(&th[i], NULL, worker, &jobs[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(jobs[i].same);
    }

    /* every preset */
    for (int p = LEXP_PRESET_PLAIN; p <= LEXP_PRESET_BRIEFING; p++) {
        d->preset = (lexp_preset)p;
        d->page_numbers = p != LEXP_PRESET_BRIEFING;
        lexp_buf c = LEXP_BUF_INIT;
        CHECK(lexp_doc_render(&c, d, &o, &err) == 0);
        check_package(&c, 1);
        lexp_buf_dispose(&c);
    }

    /* an empty document is still a valid package */
    struct lexp_doc *e = lexp__doc_new();
    lexp_buf c = LEXP_BUF_INIT;
    CHECK(lexp_doc_render(&c, e, &o, &err) == 0);
    check_package(&c, 0);
    lexp_buf_dispose(&c);
    lexp_doc_free(e);

    lexp_buf_dispose(&a);
    lexp_buf_dispose(&b);
    lexp_doc_free(d);
    if (fails)
        fprintf(stderr, "%d check(s) failed\n", fails);
    return fails != 0;
}
