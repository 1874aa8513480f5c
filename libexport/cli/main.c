/*
 * lexport — the command-line program. It uses only the public header.
 *
 * Exit status: 0 success; 1 bad data or template (nothing written);
 * 2 usage error; 3 input/output error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "libexport.h"

enum { EXIT_OK = 0, EXIT_BAD = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

static const char *usage_text =
    "usage: lexport COMMAND [ARGS]\n"
    "\n"
    "Fill report templates from community data; export PDF, DOCX, XLSX or text.\n"
    "\n"
    "commands:\n"
    "  brief DATA --month YYYY-MM [-f pdf,docx,xlsx] [-o OUTDIR]\n"
    "        the monthly briefing: writes OUTDIR/briefing-YYYY-MM.{pdf,docx,xlsx}\n"
    "  render TEMPLATE DATA -o OUT [-f FORMAT] [--period P | --month YYYY-MM]\n"
    "        [--rows NAME=FILE]...\n"
    "        any template (a built-in name or a .lxt file) in any format;\n"
    "        FORMAT is pdf, docx, xlsx, txt or tree (default: from OUT's extension);\n"
    "        -o - writes to standard output; --rows binds NAME to the rows of FILE\n"
    "        (.ndjson/.jsonl: a JSON object a line; .csv: a header, then a row a line),\n"
    "        read one by one by the template's {% for r in NAME %}, any size; with\n"
    "        --rows, DATA may be left out\n"
    "  fill OFFICE_TEMPLATE DATA -o OUT [--month YYYY-MM] [--date YYYY-MM-DD]\n"
    "        fill a Word (.docx) or Excel (.xlsx) file whose text holds {{ }} and\n"
    "        {% %} tags; OUT has the template's type (-o - writes to standard output)\n"
    "  check DATA      validate data against the contract and list every problem\n"
    "  batch DATA... [--month M] [-t TEMPLATE]... [-f FORMATS] -o OUTDIR\n"
    "        [--profile P] [--rollup STREET] [-j THREADS]\n"
    "        many communities on all cores: DATA files, ledgers or folders of them;\n"
    "        OUTDIR/<community>/ for each (default template: briefing); --rollup, or a\n"
    "        roll-up file among DATA ({\"community\": …, \"members\": [...]}), adds the\n"
    "        street's own 简报, 总结 and 统计表 in OUTDIR/<street>/\n"
    "  import LEDGER [--profile P] -o data.json\n"
    "        read a ledger (台账: .xlsx workbook or .csv) and write its data as JSON\n"
    "  templates       list the built-in templates\n"
    "  --version       print the version\n"
    "  --help          print this help\n"
    "\n"
    "DATA is a JSON file or a ledger (.xlsx, .csv); --profile P (JSON or .xlsx)\n"
    "gives the facts a CSV activity ledger lacks (community, briefing, ...).\n"
    "\n"
    "options of brief, render and fill:\n"
    "  --period P               the period a document reports on: YYYY-MM (a month),\n"
    "                           YYYY-Qn (a quarter), YYYY-Hn (a half-year), YYYY (a year);\n"
    "                           --month YYYY-MM is the monthly shorthand\n"
    "  --date YYYY-MM-DD        document date (default: last day of the period);\n"
    "                           nothing dated after it is counted\n"
    "  --strict                 an undefined name in a template is an error, not a warning\n"
    "  --font ROLE=PATH[:INDEX] font file for a role: song, fangsong, hei, kai,\n"
    "                           xiaobiaosong, latin (may be repeated; not for fill)\n"
    "\n"
    "exit status: 0 success, 1 bad data or template (nothing is written),\n"
    "2 usage error, 3 input/output error\n";

#include <stdarg.h>

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lexport: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'lexport --help'.\n");
    va_end(ap);
    return EXIT_USAGE;
}

static int exit_for(int code)
{
    switch (code) {
    case LEXP_OK: return EXIT_OK;
    case LEXP_EIO: return EXIT_IO;
    case LEXP_EINVAL:
    case LEXP_ENOTFOUND: return EXIT_USAGE;
    default: return EXIT_BAD;
    }
}

static void print_error(const lexp_error *e)
{
    char buf[2048];
    lexp_error_format(buf, sizeof buf, e, NULL);
    fprintf(stderr, "%s\n", buf);
}

static void print_warning(const lexp_error *w, void *payload)
{
    (void)payload;
    char buf[2048];
    lexp_error_format(buf, sizeof buf, w, "warning");
    fprintf(stderr, "%s\n", buf);
}

static void print_problem(const lexp_error *p, void *payload)
{
    (void)payload;
    print_error(p);
}

/* ---- options ---------------------------------------------------------------- */

#define MAX_FONTS 16

typedef struct {
    const char *pos[4];
    int npos;
    const char *out;
    const char *format;
    const char *month;
    const char *period;
    const char *date;
    int strict;
    const char *profile; /* --profile: the facts a CSV ledger lacks */
    lexp_font_override fonts[MAX_FONTS];
    int nfonts;
    const char *rows[MAX_FONTS]; /* --rows NAME=FILE */
    int nrows;
} args;

/* Option value: "--opt VALUE", "--opt=VALUE" or "-oVALUE". */
static int take(int argc, char **argv, int *i, const char *lng, const char *shrt,
                const char **val, int *err)
{
    const char *a = argv[*i];
    size_t ll = lng ? strlen(lng) : 0;
    if ((lng && strcmp(a, lng) == 0) || (shrt && strcmp(a, shrt) == 0)) {
        if (*i + 1 >= argc) {
            usage_error("option %s needs a value", a);
            *err = 1;
            return 1;
        }
        *val = argv[++*i];
        return 1;
    }
    if (lng && strncmp(a, lng, ll) == 0 && a[ll] == '=') {
        *val = a + ll + 1;
        return 1;
    }
    if (shrt && strncmp(a, shrt, 2) == 0 && a[2]) {
        *val = a + 2;
        return 1;
    }
    return 0;
}

static int parse_font(args *a, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return usage_error("--font expects ROLE=PATH[:INDEX], found '%s'", spec);
    char role[32];
    size_t rl = (size_t)(eq - spec);
    if (rl >= sizeof role)
        return usage_error("unknown font role in '%s'", spec);
    memcpy(role, spec, rl);
    role[rl] = 0;
    int r = lexp_font_role_from_name(role);
    if (r < 0)
        return usage_error("unknown font role '%s'; expected song, fangsong, hei, kai, "
                           "xiaobiaosong or latin",
                           role);
    if (a->nfonts == MAX_FONTS)
        return usage_error("too many --font options");
    const char *path = eq + 1;
    int index = 0;
    const char *colon = strrchr(path, ':');
    char *copy = strdup(path);
    if (!copy)
        return usage_error("out of memory");
    if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        index = atoi(colon + 1);
        copy[colon - path] = 0;
    }
    a->fonts[a->nfonts].role = r;
    a->fonts[a->nfonts].path = copy;
    a->fonts[a->nfonts].index = index;
    a->nfonts++;
    return 0;
}

static int parse_args(int argc, char **argv, int first, args *a, int max_pos)
{
    memset(a, 0, sizeof *a);
    for (int i = first; i < argc; i++) {
        const char *v;
        int err = 0;
        if (take(argc, argv, &i, "--output", "-o", &v, &err)) {
            if (err)
                return EXIT_USAGE;
            a->out = v;
        } else if (take(argc, argv, &i, "--format", "-f", &v, &err)) {
            if (err)
                return EXIT_USAGE;
            a->format = v;
        } else if (take(argc, argv, &i, "--month", NULL, &v, &err)) {
            if (err)
                return EXIT_USAGE;
            a->month = v;
        } else if (take(argc, argv, &i, "--period", NULL, &v, &err)) {
            if (err)
                return EXIT_USAGE;
            a->period = v;
        } else if (strcmp(argv[i], "--strict") == 0) {
            a->strict = 1;
        } else if (take(argc, argv, &i, "--date", NULL, &v, &err)) {
            if (err)
                return EXIT_USAGE;
            a->date = v;
        } else if (take(argc, argv, &i, "--profile", NULL, &v, &err)) {
            if (err)
                return EXIT_USAGE;
            a->profile = v;
        } else if (take(argc, argv, &i, "--font", NULL, &v, &err)) {
            if (err || parse_font(a, v))
                return EXIT_USAGE;
        } else if (take(argc, argv, &i, "--rows", NULL, &v, &err)) {
            if (err)
                return EXIT_USAGE;
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1])
                return usage_error("--rows expects NAME=FILE (such as rows=ledger.ndjson), "
                                   "found '%s'", v);
            if (a->nrows == MAX_FONTS)
                return usage_error("too many --rows options");
            a->rows[a->nrows++] = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage_error("unknown option '%s'", argv[i]);
        } else {
            if (a->npos == max_pos)
                return usage_error("unexpected argument '%s'", argv[i]);
            a->pos[a->npos++] = argv[i];
        }
    }
    if (a->month && !lexp_month_valid(a->month))
        return usage_error("--month expects YYYY-MM with a month from 01 to 12, found '%s'",
                           a->month);
    if (a->period && !lexp_period_valid(a->period))
        return usage_error("--period expects YYYY-MM, YYYY-Qn (n 1-4), YYYY-Hn (n 1-2) or "
                           "YYYY, found '%s'",
                           a->period);
    if (a->period && a->month && strcmp(a->period, a->month) != 0)
        return usage_error("give --period or --month, not both");
    if (a->date) {
        int y, m, d;
        char extra;
        if (strlen(a->date) != 10 ||
            sscanf(a->date, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 ||
            d < 1 || d > 31)
            return usage_error("--date expects YYYY-MM-DD, found '%s'", a->date);
    }
    return 0;
}

static void free_args(args *a)
{
    for (int i = 0; i < a->nfonts; i++)
        free((char *)a->fonts[i].path);
}

static void setup_options(lexp_render_options *o, const args *a, lexp_engine *eng)
{
    o->month = a->month;
    o->period = a->period;
    o->strict = a->strict;
    o->date = a->date;
    o->fonts = a->fonts;
    o->nfonts = (size_t)a->nfonts;
    o->warn = print_warning;
    o->engine = eng;
}

/* ---- commands -------------------------------------------------------------------- */

static int cmd_templates(void)
{
    for (size_t i = 0; i < lexp_builtin_count(); i++) {
        const char *d = lexp_builtin_description(i);
        printf("%-10s %s\n", lexp_builtin_name(i), d ? d : "");
    }
    return EXIT_OK;
}

/* --rows NAME=FILE is for render only. */
static int no_rows(const args *a, const char *cmd)
{
    return a->nrows ? usage_error("%s takes no --rows: rows files are for render", cmd) : 0;
}

/* Each --rows NAME=FILE given to the data. */
static int add_rows(lexp_data *d, const args *a)
{
    for (int i = 0; i < a->nrows; i++) {
        const char *eq = strchr(a->rows[i], '=');
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - a->rows[i]), a->rows[i]);
        lexp_error err;
        int rc = lexp_data_add_rows_file(d, name, eq + 1, &err);
        if (rc) {
            print_error(&err);
            return exit_for(rc);
        }
    }
    return 0;
}

/* DATA is JSON or a ledger (.xlsx, .csv), with --profile for the rest. */
static int load_data(lexp_data **d, const char *path, const char *profile)
{
    lexp_error err;
    int rc = lexp_data_load_ledger(d, path, profile, print_warning, NULL, &err);
    if (rc) {
        print_error(&err);
        return exit_for(rc);
    }
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, 2, &a, 1);
    if (rc)
        return rc;
    if ((rc = no_rows(&a, "check"))) {
        free_args(&a);
        return rc;
    }
    free_args(&a);
    if (a.npos != 1)
        return usage_error("check needs one DATA file");
    lexp_data *d;
    if ((rc = load_data(&d, a.pos[0], a.profile)))
        return rc;
    int n = lexp_data_check(d, print_problem, NULL);
    lexp_data_free(d);
    if (n > 0) {
        fprintf(stderr, "%s: %d problem%s\n", a.pos[0], n, n == 1 ? "" : "s");
        return EXIT_BAD;
    }
    printf("%s: ok\n", a.pos[0]);
    return EXIT_OK;
}

static int write_out(const char *path, const lexp_buf *b)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(b->ptr, 1, b->size, stdout) != b->size || fflush(stdout) != 0) {
            fprintf(stderr, "lexport: error: cannot write to standard output\n");
            return EXIT_IO;
        }
        return EXIT_OK;
    }
    lexp_error err;
    int rc = lexp_write_file(path, b->ptr, b->size, &err);
    if (rc) {
        print_error(&err);
        return exit_for(rc);
    }
    return EXIT_OK;
}

static int cmd_render(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, 2, &a, 2);
    if (rc)
        return rc;
    if (a.npos != 2 && !(a.npos == 1 && a.nrows)) {
        free_args(&a);
        return usage_error("render needs TEMPLATE and DATA");
    }
    if (!a.out) {
        free_args(&a);
        return usage_error("render needs -o OUT (use -o - for standard output)");
    }
    int fmt = a.format                  ? lexp_format_from_name(a.format)
              : strcmp(a.out, "-") == 0 ? LEXP_FORMAT_TXT /* a terminal shows text */
                                        : lexp_format_from_path(a.out);
    if (fmt < 0) {
        free_args(&a);
        if (a.format)
            return usage_error("unknown format '%s'; expected pdf, docx, xlsx, txt or tree",
                               a.format);
        return usage_error("cannot tell the format from '%s'; give -f pdf|docx|xlsx|txt",
                           a.out);
    }
    lexp_engine *eng = lexp_engine_new();
    lexp_error err;
    lexp_template *t = NULL;
    lexp_data *d = NULL;
    lexp_buf out = LEXP_BUF_INIT;
    rc = lexp_template_load(&t, eng, a.pos[0], &err);
    if (rc) {
        print_error(&err);
        rc = exit_for(rc);
        goto done;
    }
    if (a.npos == 1 && lexp_data_load_json(&d, "{}", 2, "<no data>", &err)) {
        print_error(&err);
        rc = EXIT_BAD;
        goto done;
    }
    if ((a.npos == 2 && (rc = load_data(&d, a.pos[1], a.profile))) || (rc = add_rows(d, &a)))
        goto done;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    setup_options(&o, &a, eng);
    o.format = fmt;
    if (strcmp(a.out, "-") != 0) {
        /* to a file: a workbook goes there without being held in memory */
        rc = lexp_render_to_file(a.out, t, d, &o, &err);
        if (rc) {
            print_error(&err);
            rc = exit_for(rc);
        }
        goto done;
    }
    rc = lexp_render(&out, t, d, &o, &err);
    if (rc) {
        print_error(&err);
        rc = exit_for(rc);
        goto done;
    }
    rc = write_out(a.out, &out);
done:
    lexp_buf_dispose(&out);
    lexp_data_free(d);
    lexp_template_free(t);
    lexp_engine_free(eng);
    free_args(&a);
    return rc;
}

/* The office type of a file name: its extension, lower case ("docx"), or "". */
static const char *office_ext(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return "";
    if (strcasecmp(dot, ".docx") == 0)
        return "docx";
    if (strcasecmp(dot, ".xlsx") == 0)
        return "xlsx";
    return dot + 1;
}

static int cmd_fill(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, 2, &a, 2);
    if (rc)
        return rc;
    if ((rc = no_rows(&a, "fill"))) {
        free_args(&a);
        return rc;
    }
    if (a.npos != 2 || !a.out || a.format || a.nfonts) {
        int n = a.nfonts;
        free_args(&a);
        if (a.format)
            return usage_error("fill takes no -f: the output has the template's type");
        if (n)
            return usage_error("fill takes no --font: an office template keeps its own fonts");
        if (a.npos != 2)
            return usage_error("fill needs OFFICE_TEMPLATE and DATA");
        return usage_error("fill needs -o OUT (use -o - for standard output)");
    }
    const char *type = office_ext(a.pos[0]);
    if (strcmp(type, "docx") != 0 && strcmp(type, "xlsx") != 0) {
        free_args(&a);
        return usage_error("OFFICE_TEMPLATE must be a .docx or .xlsx file, found '%s'",
                           a.pos[0]);
    }
    if (strcmp(a.out, "-") != 0 && strcmp(office_ext(a.out), type) != 0) {
        free_args(&a);
        return usage_error("OUT must be a .%s file like its template, found '%s'", type, a.out);
    }
    lexp_error err;
    lexp_data *d = NULL;
    lexp_buf out = LEXP_BUF_INIT;
    lexp_engine *eng = NULL;
    if ((rc = load_data(&d, a.pos[1], a.profile)))
        goto done;
    lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
    /* through an engine, as a program filling many would: the template is
     * prepared (checked, its parts compiled) and filled from that */
    eng = lexp_engine_new();
    setup_options(&o, &a, eng);
    rc = lexp_fill(&out, a.pos[0], d, &o, &err);
    if (rc) {
        print_error(&err);
        rc = exit_for(rc);
        goto done;
    }
    rc = write_out(a.out, &out);
done:
    lexp_buf_dispose(&out);
    lexp_data_free(d);
    lexp_engine_free(eng);
    free_args(&a);
    return rc;
}

static int make_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : -1;
    char *copy = strdup(dir);
    if (!copy)
        return -1;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            free(copy);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir(copy, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(copy);
    return rc;
}

/* "pdf,docx,xlsx": every item a known format, none empty; a format named
 * twice (or by two names, txt and text) is written once. */
static int parse_formats(const char *list, int *fmts, int *nf)
{
    *nf = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char tok[16];
        if (n == 0)
            return usage_error("-f \"%s\": an empty format; expected a list such as "
                               "pdf,docx,xlsx (also txt, tree)",
                               list);
        int f = -1;
        if (n < sizeof tok) {
            memcpy(tok, p, n);
            tok[n] = 0;
            f = lexp_format_from_name(tok);
        }
        if (f < 0)
            return usage_error("unknown format '%.*s'; expected pdf, docx, xlsx, txt or tree",
                               (int)(n > 40 ? 40 : n), p);
        int seen = 0;
        for (int i = 0; i < *nf; i++)
            seen |= fmts[i] == f;
        if (!seen)
            fmts[(*nf)++] = f; /* at most the five formats */
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int cmd_import(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, 2, &a, 1);
    if (rc)
        return rc;
    if ((rc = no_rows(&a, "import"))) {
        free_args(&a);
        return rc;
    }
    free_args(&a);
    if (a.npos != 1)
        return usage_error("import needs one LEDGER file (.xlsx or .csv)");
    if (!a.out)
        return usage_error("import needs -o data.json (use -o - for standard output)");
    lexp_data *d = NULL;
    if ((rc = load_data(&d, a.pos[0], a.profile)))
        return rc;
    lexp_buf out = LEXP_BUF_INIT;
    lexp_error err;
    rc = lexp_data_to_json(&out, d, &err);
    if (rc) {
        print_error(&err);
        rc = exit_for(rc);
    } else {
        rc = write_out(a.out, &out);
    }
    lexp_buf_dispose(&out);
    lexp_data_free(d);
    return rc;
}

/* ---- batch ------------------------------------------------------------------------ */

#include <unistd.h>

typedef struct {
    int tty;
    int width; /* of the last bar drawn, to clear it */
    char *seen[64]; /* warnings already shown: each is said once per batch */
    int nseen;
} batch_ui;

static void bar_clear(batch_ui *ui)
{
    if (ui->tty && ui->width) {
        fprintf(stderr, "\r%*s\r", ui->width, "");
        ui->width = 0;
    }
}

static void batch_warning(const lexp_error *w, void *payload)
{
    batch_ui *ui = payload;
    char buf[2048];
    lexp_error_format(buf, sizeof buf, w, "warning");
    for (int i = 0; i < ui->nseen; i++)
        if (strcmp(ui->seen[i], buf) == 0)
            return;
    if (ui->nseen < 64)
        ui->seen[ui->nseen++] = strdup(buf);
    bar_clear(ui);
    fprintf(stderr, "%s\n", buf);
}

static void batch_progress(const lexp_batch_event *ev, void *payload)
{
    batch_ui *ui = payload;
    bar_clear(ui);
    if (ev->error)
        print_error(ev->error);
    else if (!ui->tty || ev->rollup)
        printf("%s%s/ (%zu document%s)\n", ev->rollup ? "roll-up: " : "",
               ev->outdir ? ev->outdir : "", ev->documents, ev->documents == 1 ? "" : "s");
    if (!ui->tty || ev->rollup) {
        fflush(stdout);
        return;
    }
    enum { W = 30 };
    int full = ev->total ? (int)(ev->done * W / ev->total) : W;
    char bar[W * 3 + 1];
    size_t o = 0;
    for (int i = 0; i < W; i++) {
        const char *c = i < full ? "\xE2\x96\x88" : "\xE2\x96\x91"; /* █ ░ */
        memcpy(bar + o, c, 3);
        o += 3;
    }
    bar[o] = 0;
    char line[512];
    int n = snprintf(line, sizeof line, "%zu/%zu %s %zu failed  %.40s", ev->done, ev->total, bar,
                     ev->failed, ev->community ? ev->community : ev->input);
    fprintf(stderr, "\r%s", line);
    ui->width = n > 0 ? n : 0;
    fflush(stderr);
}

static int cmd_batch(int argc, char **argv)
{
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    const char **tpls = calloc(64, sizeof *tpls);
    char **tcopies = calloc((size_t)argc, sizeof *tcopies);
    size_t nin = 0, ntpl = 0, ncopies = 0;
    const char *out = NULL, *fmtlist = NULL, *month = NULL, *date = NULL, *profile = NULL,
               *rollup = NULL, *jobs = NULL;
    int rc = (!inputs || !tpls || !tcopies) ? usage_error("out of memory") : 0;
    for (int i = 2; i < argc && rc == 0; i++) {
        const char *v = NULL;
        int err = 0;
        if (take(argc, argv, &i, "--output", "-o", &v, &err))
            out = v;
        else if (take(argc, argv, &i, "--format", "-f", &v, &err))
            fmtlist = v;
        else if (take(argc, argv, &i, "--template", "-t", &v, &err)) {
            /* -t briefing -t stats, or -t briefing,summary,stats */
            char *copy = strdup(v);
            if (!copy) {
                rc = usage_error("out of memory");
                break;
            }
            tcopies[ncopies++] = copy;
            for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
                if (ntpl < 64)
                    tpls[ntpl++] = tok;
        }
        else if (take(argc, argv, &i, "--month", NULL, &v, &err))
            month = v;
        else if (take(argc, argv, &i, "--date", NULL, &v, &err))
            date = v;
        else if (take(argc, argv, &i, "--profile", NULL, &v, &err))
            profile = v;
        else if (take(argc, argv, &i, "--rollup", NULL, &v, &err))
            rollup = v;
        else if (take(argc, argv, &i, "--jobs", "-j", &v, &err))
            jobs = v;
        else if (argv[i][0] == '-' && argv[i][1])
            rc = usage_error("unknown option '%s'", argv[i]);
        else
            inputs[nin++] = argv[i];
        if (err)
            rc = EXIT_USAGE;
    }
    int fmts[8], nf = 0;
    if (rc == 0 && !out)
        rc = usage_error("batch needs -o OUTDIR");
    if (rc == 0 && !nin)
        rc = usage_error("batch needs DATA files, ledgers or folders of them");
    if (rc == 0 && month && !lexp_month_valid(month))
        rc = usage_error("--month expects YYYY-MM with a month from 01 to 12, found '%s'", month);
    if (rc == 0 && jobs && (atoi(jobs) < 1 || atoi(jobs) > 256))
        rc = usage_error("--jobs expects a number of threads from 1 to 256, found '%s'", jobs);
    if (rc == 0)
        rc = parse_formats(fmtlist ? fmtlist : "pdf,docx,xlsx", fmts, &nf);
    if (rc == 0 && !month)
        for (size_t t = 0; t < (ntpl ? ntpl : 1) && rc == 0; t++)
            if (!ntpl || strcmp(tpls[t], "briefing") == 0)
                rc = usage_error("batch needs --month YYYY-MM for the briefing");
    if (rc) {
        for (size_t i = 0; i < ncopies; i++)
            free(tcopies[i]);
        free(tcopies);
        free(inputs);
        free(tpls);
        return rc;
    }
    batch_ui ui;
    memset(&ui, 0, sizeof ui);
    ui.tty = isatty(2);
    lexp_batch_options o = LEXP_BATCH_OPTIONS_INIT;
    o.month = month;
    o.date = date;
    o.templates = ntpl ? tpls : NULL;
    o.ntemplates = ntpl;
    o.formats = fmts;
    o.nformats = (size_t)nf;
    o.outdir = out;
    o.profile = profile;
    o.rollup = rollup;
    o.threads = jobs ? atoi(jobs) : 0;
    o.progress = batch_progress;
    o.payload = &ui;
    o.warn = batch_warning;
    o.warn_payload = &ui;
    lexp_batch_result res;
    lexp_error err;
    int r = lexp_batch(&res, inputs, nin, &o, &err);
    bar_clear(&ui);
    if (r && res.inputs == 0) {
        print_error(&err);
        rc = exit_for(r);
    } else {
        fprintf(stderr, "lexport batch: %zu input%s: %zu done, %zu failed; %zu documents in %.1f s "
                        "(%.1f documents/s)\n",
                res.inputs, res.inputs == 1 ? "" : "s", res.done, res.failed, res.documents,
                res.seconds, res.seconds > 0 ? (double)res.documents / res.seconds : 0.0);
        rc = r ? EXIT_BAD : EXIT_OK;
    }
    for (int i = 0; i < ui.nseen; i++)
        free(ui.seen[i]);
    for (size_t i = 0; i < ncopies; i++)
        free(tcopies[i]);
    free(tcopies);
    free(inputs);
    free(tpls);
    return rc;
}

static int cmd_brief(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, 2, &a, 1);
    if (rc)
        return rc;
    if ((rc = no_rows(&a, "brief"))) {
        free_args(&a);
        return rc;
    }
    if (a.npos != 1) {
        free_args(&a);
        return usage_error("brief needs one DATA file");
    }
    if (!a.month) {
        free_args(&a);
        return usage_error("brief needs --month YYYY-MM");
    }
    int fmts[8], nf = 0;
    if ((rc = parse_formats(a.format ? a.format : "pdf,docx,xlsx", fmts, &nf))) {
        free_args(&a);
        return rc;
    }
    if (a.out && strcmp(a.out, "-") == 0) {
        free_args(&a);
        return usage_error("brief writes files into a folder: -o - (standard output) is for "
                           "render and fill; give -o OUTDIR");
    }
    const char *dir = a.out ? a.out : ".";
    lexp_data *d = NULL;
    if ((rc = load_data(&d, a.pos[0], a.profile))) {
        free_args(&a);
        return rc;
    }
    lexp_engine *eng = lexp_engine_new();
    lexp_buf bufs[8];
    memset(bufs, 0, sizeof bufs);
    lexp_error err;
    /* Render every format before writing any, so a failure writes nothing. */
    for (int i = 0; i < nf && rc == 0; i++) {
        lexp_render_options o = LEXP_RENDER_OPTIONS_INIT;
        setup_options(&o, &a, eng);
        o.format = fmts[i];
        int r = lexp_brief(&bufs[i], d, a.month, &o, &err);
        if (r) {
            print_error(&err);
            rc = exit_for(r);
        }
    }
    if (rc == 0 && make_dir(dir) != 0) {
        fprintf(stderr, "%s: error: cannot create the output directory: %s\n", dir,
                strerror(errno));
        rc = EXIT_IO;
    }
    /* All or none: every temporary is written before any file is replaced. */
    char paths[8][4096];
    const char *pp[8];
    for (int i = 0; i < nf; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/briefing-%s.%s", dir, a.month,
                 lexp_format_name(fmts[i]));
        pp[i] = paths[i];
    }
    if (rc == 0) {
        int r = lexp_write_files((size_t)nf, pp, bufs, &err);
        if (r) {
            print_error(&err);
            rc = exit_for(r);
        }
    }
    for (int i = 0; i < nf && rc == 0; i++)
        printf("%s\n", paths[i]);
    for (int i = 0; i < nf; i++)
        lexp_buf_dispose(&bufs[i]);
    lexp_data_free(d);
    lexp_engine_free(eng);
    free_args(&a);
    return rc;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("lexport %s (libexport %s)\n", LEXP_VERSION_STRING, lexp_version());
        return EXIT_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "templates") == 0)
        return argc == 2 ? cmd_templates() : usage_error("templates takes no arguments");
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc, argv);
    if (strcmp(cmd, "render") == 0)
        return cmd_render(argc, argv);
    if (strcmp(cmd, "brief") == 0)
        return cmd_brief(argc, argv);
    if (strcmp(cmd, "fill") == 0)
        return cmd_fill(argc, argv);
    if (strcmp(cmd, "import") == 0)
        return cmd_import(argc, argv);
    if (strcmp(cmd, "batch") == 0)
        return cmd_batch(argc, argv);
    return usage_error("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    int rc = run(argc, argv);
    /* Output that never arrived is an I/O error, not success (> /dev/full). */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == 0) /* else the failure is reported already */
            fprintf(stderr, "lexport: error: cannot write to standard output: %s\n",
                    strerror(errno));
        return rc ? rc : EXIT_IO;
    }
    return rc;
}
