/*
 * Prepared office templates (lexp_office_template_*) and the engine's
 * cache behind lexp_fill/lexp_fill_memory: a prepared or cached fill gives
 * the bytes of an unprepared one (Word and Excel), fill after fill with
 * other data from parts compiled once; the cache notices a file
 * changed on disk and different bytes under one name; hostile packages are
 * refused at load with the unprepared fill's code, file and message; many
 * threads fill one prepared template, and many names through one engine
 * (past its bound, so entries are evicted while other threads use them).
 */
#define _GNU_SOURCE /* mkstemps */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libexport.h"
#include "office_min.h"

static int fails;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                  \
            fails++;                                                                \
        }                                                                           \
    } while (0)

static const char *DATA =
    "{\"community\": {\"name\": \"秦渠社区\", \"population\": 12130},\n"
    " \"activities\": [{\"title\": \"汇演 <&>\", \"participants\": 300},"
    " {\"title\": \"宣讲\", \"participants\": 120}, {\"title\": \"义诊\", \"participants\": 80}]}";

#define P(text) "<w:p><w:r><w:t xml:space=\"preserve\">" text "</w:t></w:r></w:p>"

static const char *BODY =
    "<w:p><w:r><w:t>社区：{</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>{ community.</w:t></w:r>"
    "<w:r><w:t>name }}</w:t></w:r></w:p>"
    P("{%p for a in activities %}") P("{{ loop.index }}. {{ a.title }}") P("{%p endfor %}")
    "<w:tbl><w:tr><w:tc>" P("{%tr for a in activities %}") "</w:tc></w:tr>"
    "<w:tr><w:tc>" P("{{ a.participants }}") "</w:tc></w:tr>"
    "<w:tr><w:tc>" P("{%tr endfor %}") "</w:tc></w:tr></w:tbl>" P("end");

static const char *ROWS =
    "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>{{ community.name }}</t></is></c></row>"
    "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>{%tr for a in activities %}</t></is></c></row>"
    "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>{{ a.title }}</t></is></c>"
    "<c r=\"B3\" t=\"inlineStr\"><is><t>{{ a.participants }}</t></is></c></row>"
    "<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>{%tr endfor %}</t></is></c></row>"
    "<row r=\"5\"><c r=\"B5\"><f>SUM(B3:B3)</f><v>0</v></c></row>";

static lexp_data *D;

static int same(const lexp_buf *a, const lexp_buf *b)
{
    return a->ptr && b->ptr && a->size == b->size && memcmp(a->ptr, b->ptr, a->size) == 0;
}

/* The unprepared fill, the prepared one and two through an engine agree. */
static void check_equal(const unsigned char *z, size_t n, const char *name)
{
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.month = "2024-09";
    lexp_error e;
    lexp_buf ref = LEXP_BUF_INIT, b = LEXP_BUF_INIT;
    CHECK(lexp_fill_memory(&ref, z, n, name, D, &o, &e) == 0);
    lexp_office_template *t = NULL;
    CHECK(lexp_office_template_load_memory(&t, NULL, z, n, name, &e) == 0);
    CHECK(lexp_office_template_fill(&b, t, D, &o, &e) == 0);
    CHECK(same(&ref, &b));
    lexp_buf_dispose(&b);
    CHECK(lexp_office_template_fill(&b, t, D, &o, &e) == 0); /* and again */
    CHECK(same(&ref, &b));
    lexp_buf_dispose(&b);
    lexp_office_template_free(t);
    lexp_engine *eng = lexp_engine_new();
    o.engine = eng;
    for (int i = 0; i < 2; i++) { /* a miss, then a hit */
        CHECK(lexp_fill_memory(&b, z, n, name, D, &o, &e) == 0);
        CHECK(same(&ref, &b));
        lexp_buf_dispose(&b);
    }
    lexp_engine_free(eng);
    lexp_buf_dispose(&ref);
}

static void test_equal(void)
{
    size_t n;
    unsigned char *z = om_docx(BODY, &n);
    check_equal(z, n, "form.docx");
    free(z);
    z = om_xlsx(ROWS, "<mergeCells count=\"1\"><mergeCell ref=\"A5:B5\"/></mergeCells>", &n);
    check_equal(z, n, "t.xlsx");
    free(z);
}

/* Entries copied from a template keep what the template says of them:
 * external attributes and host system (a Unix mode, a DOS attribute), their
 * DOS time, deflated data; prepared fills copy them from bytes kept at
 * load, unprepared ones from the template's zip, and both must agree with
 * each other and with the template. With a stored entry in the package
 * the prepared fill copies from the zip again (libzip deflates it). */
static unsigned char *attr_package(int with_stored, size_t *len)
{
    zip_source_t *src;
    zip_t *za = om_zip_new(&src);
    if (!za)
        return NULL;
    size_t dn = 0;
    unsigned char *docx = om_docx(BODY, &dn);
    char *parts[3] = {om_read(docx, dn, "[Content_Types].xml"), om_read(docx, dn, "_rels/.rels"),
                      om_read(docx, dn, "word/document.xml")};
    free(docx);
    static const char *const names[] = {"[Content_Types].xml", "_rels/.rels", "word/document.xml",
                                        "word/media/a.bin", "customXml/item1.xml",
                                        "word/media/b.bin"};
    static const char BIN[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
    int n = with_stored ? 6 : 5;
    for (int i = 0; i < n; i++) {
        const char *d = i < 3 ? parts[i] : i == 4 ? "<item>一二三</item>" : BIN;
        zip_source_t *s = d ? zip_source_buffer(za, d, strlen(d), 0) : NULL;
        zip_int64_t k = s ? zip_file_add(za, names[i], s, 0) : -1;
        if (k < 0)
            return NULL;
        zip_uint64_t u = (zip_uint64_t)k;
        /* 2019-03-04 05:06:08 and a day later for each entry */
        zip_file_set_dostime(za, u, (5 << 11) | (6 << 5) | 4,
                             (zip_uint16_t)(((2019 - 1980) << 9) | (3 << 5) | (4 + i)), 0);
        if (i == 3)
            zip_file_set_external_attributes(za, u, 0, ZIP_OPSYS_UNIX, 0100640u << 16);
        if (i == 4)
            zip_file_set_external_attributes(za, u, 0, ZIP_OPSYS_DOS, 0x21);
        if (i == 5)
            zip_set_file_compression(za, u, ZIP_CM_STORE, 0);
    }
    unsigned char *out = om_zip_bytes(za, src, len);
    for (int i = 0; i < 3; i++)
        free(parts[i]);
    return out;
}

/* What a directory entry says of an entry other than the filled part. */
typedef struct entry_facts {
    zip_uint8_t opsys;
    zip_uint32_t attr;
    time_t mtime;
    zip_uint64_t size;
    zip_uint32_t crc;
} entry_facts;

static int facts(const unsigned char *z, size_t n, const char *name, entry_facts *f)
{
    zip_t *za = om_open(z, n);
    if (!za)
        return -1;
    zip_int64_t i = zip_name_locate(za, name, 0);
    zip_stat_t st;
    int rc = i < 0 || zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0 ||
                     zip_file_get_external_attributes(za, (zip_uint64_t)i, 0, &f->opsys,
                                                      &f->attr) < 0
                 ? -1
                 : 0;
    if (rc == 0) {
        f->mtime = st.mtime;
        f->size = st.size;
        f->crc = st.crc;
    }
    zip_discard(za);
    return rc;
}

static void test_entry_attrs(void)
{
    static const char *const copied[] = {"[Content_Types].xml", "_rels/.rels",
                                         "word/media/a.bin", "customXml/item1.xml",
                                         "word/media/b.bin"};
    for (int stored = 0; stored < 2; stored++) {
        size_t n = 0;
        unsigned char *z = attr_package(stored, &n);
        CHECK(z != NULL);
        if (!z)
            return;
        check_equal(z, n, "attrs.docx");
        lexp_office_template *t = NULL;
        lexp_error e;
        lexp_buf b = LEXP_BUF_INIT;
        CHECK(lexp_office_template_load_memory(&t, NULL, z, n, "attrs.docx", &e) == 0);
        CHECK(t && lexp_office_template_fill(&b, t, D, NULL, &e) == 0);
        for (int i = 0; i < 4 + stored && b.ptr; i++) {
            entry_facts want, got;
            CHECK(facts(z, n, copied[i], &want) == 0);
            CHECK(facts(b.ptr, b.size, copied[i], &got) == 0);
            CHECK(got.opsys == want.opsys && got.attr == want.attr);
            CHECK(got.mtime == want.mtime && got.size == want.size && got.crc == want.crc);
        }
        entry_facts a;
        CHECK(facts(b.ptr, b.size, "word/media/a.bin", &a) == 0 && a.opsys == ZIP_OPSYS_UNIX &&
              a.attr == 0100640u << 16);
        lexp_buf_dispose(&b);
        lexp_office_template_free(t);
        free(z);
    }
}

/* A template without word/_rels/document.xml.rels and a {{r }} link: the
 * fill makes that part for the link, then reads the main part's
 * relationships for its headers and footers, which must be the new part
 * (it once read the entry's empty template bytes and failed with "not
 * well-formed XML"). */
static void test_links_without_rels(void)
{
    lexp_data *L;
    lexp_error e;
    static const char J[] = "{\"x\": [\"见\", {\"text\": \"网站\", \"link\": \"https://a.example/q?a=1&b=2\"}]}";
    if (lexp_data_load_json(&L, J, sizeof J - 1, "l.json", &e))
        return;
    size_t n = 0;
    unsigned char *z = om_docx("<w:p><w:r><w:t>{{r x}}</w:t></w:r></w:p>", &n);
    lexp_buf a = LEXP_BUF_INIT, b = LEXP_BUF_INIT;
    CHECK(z && lexp_fill_memory(&a, z, n, "l.docx", L, NULL, &e) == 0);
    lexp_office_template *t = NULL;
    CHECK(z && lexp_office_template_load_memory(&t, NULL, z, n, "l.docx", &e) == 0);
    CHECK(t && lexp_office_template_fill(&b, t, L, NULL, &e) == 0);
    CHECK(same(&a, &b));
    char *rels = a.ptr ? om_read(a.ptr, a.size, "word/_rels/document.xml.rels") : NULL;
    char *doc = a.ptr ? om_read(a.ptr, a.size, "word/document.xml") : NULL;
    CHECK(rels && strstr(rels, "Target=\"https://a.example/q?a=1&amp;b=2\"") &&
          strstr(rels, "TargetMode=\"External\""));
    const char *id = rels ? strstr(rels, "Id=\"") : NULL;
    char want[64] = "";
    if (id)
        snprintf(want, sizeof want, " r:id=\"%.*s\">", (int)strcspn(id + 4, "\""), id + 4);
    const char *h = doc ? strstr(doc, "<w:hyperlink ") : NULL;
    CHECK(h && want[0] && strstr(h, want) && strstr(h, want) < strchr(h, '>') + 1 &&
          strstr(h, "网站"));
    free(rels);
    free(doc);
    lexp_buf_dispose(&a);
    lexp_buf_dispose(&b);
    lexp_office_template_free(t);
    free(z);
    lexp_data_free(L);
}

/* A prepared template compiles its Word parts once: fills one after
 * another with other data, each as an unprepared fill of that data gives
 * (a run whose first text goes in one fill and not the next, inline loops
 * over runs, a block over paragraphs, \a splitting a paragraph, row
 * loops); warnings come with every fill. */
static const char *SEQ_BODY =
    "<w:p><w:r><w:t>{{ community.name }}</w:t><w:t>{% if community.population > 1000 %}X"
    "{% endif %}</w:t></w:r><w:r><w:t>Z</w:t></w:r></w:p><w:p><w:r><w:t>{% for a in activities %}[</w:t></w:r><w:r><w:rPr><w:b/></w:rPr>"
    "<w:t>{{ a.title }}</w:t></w:r><w:r><w:t>]{% endfor %}</w:t></w:r></w:p>"
    P("{% if community.population > 1000 %}big") P("{{ community.name }}{% endif %}")
    P("{{ note }}")
    "<w:tbl><w:tr><w:tc>" P("{%tr for a in activities %}") "</w:tc></w:tr>"
    "<w:tr><w:tc>" P("{{ a.title }}") "</w:tc><w:tc>" P("{{ a.participants }}") "</w:tc></w:tr>"
    "<w:tr><w:tc>" P("{%tr endfor %}") "</w:tc></w:tr></w:tbl>";

static const char *SEQ_DATA[] = {
    "{\"community\": {\"name\": \"秦渠社区\", \"population\": 12130}, \"note\": \"一\\u0007二\","
    " \"activities\": [{\"title\": \"汇演\", \"participants\": 300}, {\"title\": \"宣讲\","
    " \"participants\": 120}, {\"title\": \"义诊\", \"participants\": 80}]}",
    "{\"community\": {\"name\": \"新村\", \"population\": 90}, \"note\": \"无\","
    " \"activities\": [{\"title\": \"清扫\", \"participants\": 12}]}",
    "{\"community\": {\"name\": \"东街\", \"population\": 5000}, \"note\": \"a\\u0007b\\fc\","
    " \"activities\": [{\"title\": \"1\", \"participants\": 1}, {\"title\": \"2\", \"participants\":"
    " 2}, {\"title\": \"3\", \"participants\": 3}, {\"title\": \"4\", \"participants\": 4},"
    " {\"title\": \"5\", \"participants\": 5}]}",
    "{\"community\": {\"name\": \"空\", \"population\": 0}, \"note\": \"\", \"activities\": []}"};

static void count_warning(const lexp_error *w, void *p)
{
    (void)w;
    ++*(int *)p;
}

static void test_sequence(void)
{
    size_t n;
    unsigned char *z = om_docx(SEQ_BODY, &n);
    lexp_office_template *t = NULL;
    lexp_error e;
    CHECK(lexp_office_template_load_memory(&t, NULL, z, n, "seq.docx", &e) == 0);
    enum { ND = sizeof SEQ_DATA / sizeof *SEQ_DATA };
    lexp_data *d[ND];
    for (int i = 0; i < ND; i++)
        CHECK(lexp_data_load_json(&d[i], SEQ_DATA[i], strlen(SEQ_DATA[i]), "d.json", &e) == 0);
    static const int order[] = {0, 1, 2, 3, 0, 2, 1};
    for (size_t k = 0; t && k < sizeof order / sizeof *order; k++) {
        lexp_buf ref = LEXP_BUF_INIT, got = LEXP_BUF_INIT;
        CHECK(lexp_fill_memory(&ref, z, n, "seq.docx", d[order[k]], NULL, &e) == 0);
        CHECK(lexp_office_template_fill(&got, t, d[order[k]], NULL, &e) == 0);
        CHECK(same(&ref, &got));
        if (!same(&ref, &got))
            printf("  fill %zu (data %d) differs\n", k, order[k]);
        lexp_buf_dispose(&ref);
        lexp_buf_dispose(&got);
    }
    lexp_office_template_free(t);
    free(z);
    /* full-width braces warn; the part is compiled by every fill then */
    z = om_docx(P("｛｛ community.name ｝｝") P("{{ community.name }}"), &n);
    CHECK(lexp_office_template_load_memory(&t, NULL, z, n, "w.docx", &e) == 0);
    int warned = 0;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.warn = count_warning;
    o.warn_payload = &warned;
    lexp_buf ref = LEXP_BUF_INIT, got = LEXP_BUF_INIT;
    CHECK(lexp_fill_memory(&ref, z, n, "w.docx", d[0], &o, &e) == 0 && warned == 1);
    for (int k = 0; t && k < 2; k++) {
        CHECK(lexp_office_template_fill(&got, t, d[0], &o, &e) == 0);
        CHECK(warned == 2 + k && same(&ref, &got));
        lexp_buf_dispose(&got);
    }
    lexp_buf_dispose(&ref);
    lexp_office_template_free(t);
    free(z);
    for (int i = 0; i < ND; i++)
        lexp_data_free(d[i]);
}

static void write_file(const char *path, const unsigned char *z, size_t n, long sec)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(z, 1, n, f) == n);
    if (f)
        fclose(f);
    /* distinct modification times, whatever the clock's granularity */
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

static void expect_fill(lexp_engine *eng, const char *path, const unsigned char *z, size_t n,
                        const char *name)
{
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    lexp_error e;
    lexp_buf ref = LEXP_BUF_INIT, b = LEXP_BUF_INIT;
    CHECK(lexp_fill_memory(&ref, z, n, name, D, &o, &e) == 0);
    o.engine = eng;
    int rc = path ? lexp_fill(&b, path, D, &o, &e) : lexp_fill_memory(&b, z, n, name, D, &o, &e);
    CHECK(rc == 0);
    CHECK(same(&ref, &b));
    lexp_buf_dispose(&b);
    lexp_buf_dispose(&ref);
}

static void test_changed(void)
{
    size_t na, nb, nc;
    unsigned char *a = om_docx(P("version one {{ community.name }}"), &na);
    unsigned char *b = om_docx(P("version 2, longer {{ community.population }}"), &nb);
    unsigned char *c = om_docx(P("version 3, longer {{ community.population }}"), &nc);
    CHECK(nb == nc);
    char path[] = "/tmp/lexp-prep-XXXXXX.docx";
    int fd = mkstemps(path, 5);
    CHECK(fd >= 0);
    close(fd);
    lexp_engine *eng = lexp_engine_new();
    write_file(path, a, na, 1000000000);
    expect_fill(eng, path, a, na, path);
    expect_fill(eng, path, a, na, path); /* cached */
    write_file(path, b, nb, 1000000100); /* new size and time */
    expect_fill(eng, path, b, nb, path);
    write_file(path, c, nc, 1000000200); /* same size, new time */
    expect_fill(eng, path, c, nc, path);
    /* a template loaded through the engine, then changed on disk, stays as loaded */
    lexp_office_template *t = NULL;
    lexp_error e;
    CHECK(lexp_office_template_load(&t, eng, path, &e) == 0);
    write_file(path, a, na, 1000000300);
    lexp_buf ref = LEXP_BUF_INIT, got = LEXP_BUF_INIT;
    CHECK(lexp_fill_memory(&ref, c, nc, path, D, NULL, &e) == 0);
    CHECK(lexp_office_template_fill(&got, t, D, NULL, &e) == 0);
    CHECK(same(&ref, &got));
    lexp_buf_dispose(&ref);
    lexp_buf_dispose(&got);
    lexp_office_template_free(t);
    expect_fill(eng, path, a, na, path);
    /* in memory: other bytes under one name, same size or not */
    expect_fill(eng, NULL, b, nb, "m.docx");
    expect_fill(eng, NULL, c, nc, "m.docx");
    expect_fill(eng, NULL, a, na, "m.docx");
    expect_fill(eng, NULL, c, nc, "m.docx");
    /* a file that went away is an error again, as without the engine */
    unlink(path);
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.engine = eng;
    lexp_buf out = LEXP_BUF_INIT;
    CHECK(lexp_fill(&out, path, D, &o, &e) == LEXP_EIO && strcmp(e.file, path) == 0);
    CHECK(out.ptr == NULL);
    lexp_engine_free(eng);
    free(a);
    free(b);
    free(c);
}

/* Every way of filling reports a hostile package alike; the prepared way
 * when loading (or, with at_fill, when filling what loaded). */
static void check_refused_at(const unsigned char *z, size_t n, const char *name, int code,
                             const char *msg, int at_fill)
{
    lexp_error e1, e2, e3;
    lexp_buf out = LEXP_BUF_INIT;
    int r1 = lexp_fill_memory(&out, z, n, name, D, NULL, &e1);
    lexp_office_template *t = (lexp_office_template *)&out; /* must become NULL */
    int r2 = lexp_office_template_load_memory(&t, NULL, z, n, name, &e2);
    if (at_fill) {
        CHECK(r2 == 0 && t);
        r2 = t ? lexp_office_template_fill(&out, t, D, NULL, &e2) : -1;
        lexp_office_template_free(t);
        t = NULL;
    }
    lexp_engine *eng = lexp_engine_new();
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.engine = eng;
    int r3 = lexp_fill_memory(&out, z, n, name, D, &o, &e3);
    lexp_engine_free(eng);
    CHECK(r1 == code && r2 == code && r3 == code && t == NULL && out.ptr == NULL);
    CHECK(strstr(e1.message, msg) != NULL);
    if (!strstr(e1.message, msg))
        printf("  message: %s\n", e1.message);
    CHECK(strcmp(e1.message, e2.message) == 0 && strcmp(e1.message, e3.message) == 0);
    CHECK(strcmp(e1.file, e2.file) == 0 && strcmp(e1.file, e3.file) == 0);
    CHECK(e1.line == e2.line && e1.line == e3.line && e1.column == e2.column);
}

static void check_refused(const unsigned char *z, size_t n, const char *name, int code,
                          const char *msg)
{
    check_refused_at(z, n, name, code, msg, 0);
}

static void test_hostile(void)
{
    static const char CT[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas."
        "openxmlformats.org/package/2006/content-types\"><Default Extension=\"xml\" "
        "ContentType=\"application/xml\"/></Types>";
    static const char RELS[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"" OM_PR "\">"
        "<Relationship Id=\"rId1\" Type=\"" OM_R "/officeDocument\" "
        "Target=\"word/document.xml\"/></Relationships>";
    static const char DOC[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"" OM_W
                              "\"><w:body>" P("{{ community.name }}") "</w:body></w:document>";
    size_t n;
    /* a DOCTYPE in a part no fill touches */
    om_part p1[] = {{"[Content_Types].xml", CT}, {"_rels/.rels", RELS}, {"word/document.xml", DOC},
                    {"word/styles.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE s [<!ENTITY a \"aaaa\">]>"
                                        "<s>&a;</s>"}};
    unsigned char *z = om_zip(p1, 4, &n);
    check_refused(z, n, "h.docx", LEXP_ESYNTAX,
                  "entry word/styles.xml has a '<!' declaration (DOCTYPE or ENTITY) at XML line 2");
    free(z);
    /* macros */
    om_part p2[] = {{"[Content_Types].xml", CT}, {"_rels/.rels", RELS}, {"word/document.xml", DOC},
                    {"word/vbaProject.bin", "macro"}};
    z = om_zip(p2, 4, &n);
    check_refused(z, n, "h.docx", LEXP_ESYNTAX, "the document holds macros (word/vbaProject.bin)");
    free(z);
    /* a part name with '..' */
    om_part p3[] = {{"[Content_Types].xml", CT}, {"_rels/.rels", RELS}, {"word/document.xml", DOC},
                    {"word/../evil.xml", "<a/>"}};
    z = om_zip(p3, 4, &n);
    if (z)
        check_refused(z, n, "h.docx", LEXP_ESYNTAX, "is not a part name of an Office package");
    free(z);
    /* a zip bomb: one part inflating far beyond the ratio */
    size_t big = 3u << 20;
    char *zeros = malloc(big + 1);
    memset(zeros, ' ', big);
    zeros[big] = 0;
    om_part p4[] = {{"[Content_Types].xml", CT}, {"_rels/.rels", RELS}, {"word/document.xml", DOC},
                    {"word/big.xml", zeros}};
    z = om_zip(p4, 4, &n);
    check_refused(z, n, "h.docx", LEXP_ELIMIT, "refused as a zip bomb");
    free(z);
    free(zeros);
    /* not a zip; truncated; an old binary file; another type */
    check_refused((const unsigned char *)"hello, world", 12, "h.docx", LEXP_ESYNTAX, "not a zip archive");
    z = om_docx(BODY, &n);
    check_refused(z, n / 2, "h.docx", LEXP_ESYNTAX, "zip");
    check_refused(z, n, "h.pdf", LEXP_EINVAL, "an office template is a .docx or .xlsx file");
    check_refused(z, n, "h.docm", LEXP_EINVAL, "macro-enabled");
    free(z);
    static const unsigned char ole[] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0};
    check_refused(ole, sizeof ole, "h.docx", LEXP_ESYNTAX, "old binary Word/Excel file");
    /* a workbook named .docx: found while filling, after a successful load */
    z = om_xlsx(ROWS, "", &n);
    check_refused_at(z, n, "wrong.docx", LEXP_ESYNTAX, "it is an Excel workbook: name it .xlsx", 1);
    free(z);
    /* a tag error: found while filling */
    z = om_docx(P("first") P("x {{ community.name | nope }}"), &n);
    check_refused_at(z, n, "bad.docx", LEXP_ESYNTAX, "word/document.xml: unknown filter 'nope'", 1);
    free(z);
    /* arguments */
    lexp_office_template *t;
    lexp_error e;
    CHECK(lexp_office_template_load(NULL, NULL, "a.docx", &e) == LEXP_EINVAL);
    CHECK(lexp_office_template_load(&t, NULL, "/nonexistent/a.docx", &e) == LEXP_EIO && !t);
    CHECK(lexp_office_template_load(&t, NULL, "a.txt", &e) == LEXP_EINVAL && !t);
    CHECK(lexp_office_template_load_memory(&t, NULL, NULL, 5, "a.docx", &e) == LEXP_EINVAL);
    lexp_buf out = LEXP_BUF_INIT;
    CHECK(lexp_office_template_fill(&out, NULL, D, NULL, &e) == LEXP_EINVAL);
    lexp_office_template_free(NULL);
}

/* ---- threads ------------------------------------------------------------ */

typedef struct job {
    const lexp_office_template *t;
    lexp_engine *eng;
    const unsigned char *z;
    size_t n;
    int id;
    const lexp_buf *ref;
    int bad;
} job;

static void *fill_prepared(void *p)
{
    job *j = p;
    for (int i = 0; i < 20; i++) {
        lexp_buf b = LEXP_BUF_INIT;
        lexp_error e;
        if (lexp_office_template_fill(&b, j->t, D, NULL, &e) || !same(&b, j->ref))
            j->bad++;
        lexp_buf_dispose(&b);
    }
    return NULL;
}

/* 24 names over 4 threads through one engine: more than the cache keeps */
static void *fill_names(void *p)
{
    job *j = p;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    o.engine = j->eng;
    for (int i = 0; i < 48; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%d.docx", (i * 7 + j->id) % 24);
        lexp_buf b = LEXP_BUF_INIT;
        lexp_error e;
        if (lexp_fill_memory(&b, j->z, j->n, name, D, &o, &e) || !same(&b, j->ref))
            j->bad++;
        lexp_buf_dispose(&b);
    }
    return NULL;
}

static void test_threads(void)
{
    size_t n;
    unsigned char *z = om_docx(BODY, &n);
    lexp_buf ref = LEXP_BUF_INIT;
    lexp_error e;
    CHECK(lexp_fill_memory(&ref, z, n, "n0.docx", D, NULL, &e) == 0);
    lexp_office_template *t = NULL;
    CHECK(lexp_office_template_load_memory(&t, NULL, z, n, "n0.docx", &e) == 0);
    lexp_engine *eng = lexp_engine_new();
    enum { N = 8 };
    pthread_t th[N];
    job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (job){t, eng, z, n, i, &ref, 0};
        pthread_create(&th[i], NULL, i < N / 2 ? fill_prepared : fill_names, &jobs[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK(jobs[i].bad == 0);
    }
    lexp_office_template_free(t);
    lexp_engine_free(eng);
    lexp_buf_dispose(&ref);
    free(z);
}

int main(void)
{
    lexp_error e;
    if (lexp_data_load_json(&D, DATA, strlen(DATA), "d.json", &e))
        return 1;
    test_equal();
    test_entry_attrs();
    test_links_without_rels();
    test_sequence();
    test_changed();
    test_hostile();
    test_threads();
    lexp_data_free(D);
    if (fails)
        printf("%d check(s) failed\n", fails);
    else
        printf("test_fill_prepared: all checks passed\n");
    return fails != 0;
}
