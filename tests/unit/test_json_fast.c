/*
 * JSON loading's fast path (data/json_fast.c) against jansson's (the path
 * with fast = 0): for every input both succeed with the same values
 * (types, numbers to the bit, the written-as-real flag, big integers'
 * digits, strings, keys in order, parents and indexes) or both fail with
 * the same code, message and position. Inputs: the JSON files of the
 * source tree (samples, tests, fuzz corpus), edge cases written here, and
 * 3,000 random documents (seeded, so every run is the same).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/json_fast.h"
#include "libexport.h"
#include "check.h"

static int compared, fast_taken;

static int same_value(const lexp_value *a, const lexp_value *b)
{
    if (a->type != b->type || a->b != b->b || a->len != b->len || a->hint != b->hint ||
        (!a->hfmt != !b->hfmt) || (a->hfmt && strcmp(a->hfmt, b->hfmt) != 0))
        return 0;
    switch (a->type) {
    case LV_NUM: return memcmp(&a->u.num, &b->u.num, sizeof a->u.num) == 0;
    case LV_STR:
        return memcmp(a->u.str, b->u.str, a->len) == 0 && a->u.str[a->len] == 0 &&
               b->u.str[b->len] == 0;
    case LV_ARR:
        for (uint32_t i = 0; i < a->len; i++) {
            const lexp_value *x = a->u.items[i], *y = b->u.items[i];
            if (x->parent != a || y->parent != b || x->index != i || y->index != i ||
                !same_value(x, y))
                return 0;
        }
        return 1;
    case LV_OBJ:
        for (uint32_t i = 0; i < a->len; i++) {
            const lexp_member *x = &a->u.members[i], *y = &b->u.members[i];
            if (x->klen != y->klen || memcmp(x->key, y->key, x->klen) != 0 ||
                x->key[x->klen] != 0 || x->val->parent != a || y->val->parent != b ||
                x->val->index != i || y->val->index != i || !same_value(x->val, y->val))
                return 0;
        }
        return 1;
    default: return 1;
    }
}

static void compare(const char *text, size_t n, const char *what)
{
    lexp_data *a = NULL, *b = NULL;
    lexp_error ea, eb;
    int ra = lexp__data_load_json_via(&a, text, n, "d.json", 1, &ea);
    int rb = lexp__data_load_json_via(&b, text, n, "d.json", 0, &eb);
    compared++;
    int ok = ra == rb;
    if (ok && ra == 0)
        ok = a->root->parent == NULL && same_value(a->root, b->root);
    else if (ok)
        ok = ea.line == eb.line && ea.column == eb.column && ea.offset == eb.offset &&
             strcmp(ea.message, eb.message) == 0 && strcmp(ea.path, eb.path) == 0;
    CHECK(ok);
    if (!ok)
        printf("  differs on %s: %.200s\n  fast %d %s / jansson %d %s\n", what, text, ra,
               ra ? ea.message : "", rb, rb ? eb.message : "");
    lexp_data_free(a);
    lexp_data_free(b);
}

static void compare_str(const char *s) { compare(s, strlen(s), "an edge case"); }

/* ---- the source tree's JSON files ---- */

static void walk(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 6) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "build") == 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path, depth + 1);
            continue;
        }
        size_t l = strlen(de->d_name);
        int corpus = strstr(path, "fuzz/corpus/json") != NULL;
        if (!corpus && (l < 5 || strcmp(de->d_name + l - 5, ".json") != 0))
            continue;
        if (st.st_size > (4 << 20))
            continue;
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        char *buf = malloc((size_t)st.st_size + 1);
        size_t got = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        fclose(f);
        if (buf)
            compare(buf, got, path);
        free(buf);
    }
    closedir(d);
}

/* ---- random documents ---- */

typedef struct rnd {
    unsigned long long s;
    char *p;
    size_t n, cap;
} rnd;

static unsigned r_next(rnd *r, unsigned m)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((r->s >> 33) % m);
}

static void r_put(rnd *r, const char *s)
{
    size_t l = strlen(s);
    if (r->n + l + 1 > r->cap) {
        r->cap = (r->n + l + 1) * 2;
        r->p = realloc(r->p, r->cap);
    }
    memcpy(r->p + r->n, s, l + 1);
    r->n += l;
}

static void r_ws(rnd *r)
{
    static const char *const W[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
    r_put(r, W[r_next(r, 7)]);
}

static void r_string(rnd *r)
{
    static const char *const P[] = {"a", "社区", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9",
                                    "\\u4e2d", "\\ud83d\\ude00", "\\t", "\\b\\f\\r", " ",
                                    "\xF0\x9F\x98\x80", "x_1", "\\u0041", "é"};
    r_put(r, "\"");
    for (unsigned k = r_next(r, 6); k; k--)
        r_put(r, P[r_next(r, 16)]);
    r_put(r, "\"");
}

static void r_number(rnd *r)
{
    static const char *const N[] = {"0", "-0", "7", "-12", "3.5", "-0.25", "1e3", "2E-2",
                                    "6.02e+23", "9007199254740993", "-9007199254740993",
                                    "123456789012345678", "1.0", "0.1", "1e-320", "99.99"};
    r_put(r, N[r_next(r, 16)]);
}

static void r_value(rnd *r, int depth)
{
    unsigned k = r_next(r, depth > 4 ? 5 : 8);
    switch (k) {
    case 0: r_string(r); break;
    case 1: r_number(r); break;
    case 2: r_put(r, r_next(r, 2) ? "true" : "false"); break;
    case 3: r_put(r, "null"); break;
    case 4: r_number(r); break;
    case 5:
    case 6: {
        r_put(r, "[");
        for (unsigned i = 0, n = r_next(r, 5); i < n; i++) {
            if (i)
                r_put(r, ",");
            r_ws(r);
            r_value(r, depth + 1);
            r_ws(r);
        }
        r_put(r, "]");
        break;
    }
    default: {
        r_put(r, "{");
        for (unsigned i = 0, n = r_next(r, 5); i < n; i++) {
            char key[32];
            /* now and then a duplicate key */
            snprintf(key, sizeof key, "%s\"k%u\"", i ? "," : "", r_next(r, 9) ? i : 0);
            r_put(r, key);
            r_ws(r);
            r_put(r, ":");
            r_ws(r);
            r_value(r, depth + 1);
        }
        r_put(r, "}");
    }
    }
}

int main(void)
{
    static const char *const EDGE[] = {
        "{}", " {} ", "{\"a\":1}", "{\"a\":[]}", "{\"a\":{}}", "{\"a\":[1,[2,[3]]]}",
        "{\"a\": -0}", "{\"a\": 0.0}", "{\"a\": -0.0}", "{\"a\": 1E400}", "{\"a\": -1e400}",
        "{\"a\": 1e-400}", "{\"a\": 9223372036854775807}", "{\"a\": 9223372036854775808}",
        "{\"a\": -9223372036854775808}", "{\"a\": 999999999999999999}",
        "{\"a\": 1000000000000000000}", "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": .5}",
        "{\"a\": 1e}", "{\"a\": -}", "{\"a\": +1}", "{\"a\": 0x10}", "{\"a\": 1.5e+3}",
        "{\"a\": tru}", "{\"a\": truex}", "{\"a\": true1}", "{\"a\": nul}", "{\"a\": NULL}",
        "{\"a\": \"\\u0000\"}", "{\"a\": \"\\ud800\"}", "{\"a\": \"\\udc00\"}",
        "{\"a\": \"\\ud800\\u0041\"}", "{\"a\": \"\\ud83d\\ude00\"}", "{\"a\": \"\\uZZZZ\"}",
        "{\"a\": \"\\x\"}", "{\"a\": \"tab\there\"}", "{\"a\": \"nl\nhere\"}", "{\"a\": \"\x7f\"}",
        "{\"a\": \"unterminated}", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{,}",
        "{\"a\":1}}", "{\"a\":1} x", "{\"a\":1}\n\n", "[1,2]", "\"s\"", "1", "",
        "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":1}}", "{\"\":1}", "{\"\":1,\"\":2}",
        "\xEF\xBB\xBF{\"bom\":1}", "{\"a\":\"\xE4\xB8\"}", "{\"a\":[1,2,]}", "{\"a\":[,1]}",
        "{\"k\\u00e9\":\"v\"}", "{\"k\\\"q\":1,\"k\\\"q\":2}", "{\"a\":\"\\/\\b\\f\\n\\r\\t\"}",
        "{\"a\":12345678901234567890123456789012345678901234567890123456789012345.5}",
        "{\"a\":1.7976931348623157e308}", "{\"a\":4.9e-324}", "{\"a\":2.2250738585072014e-308}",
        "{\"a\"\t:\r\n1}", "{\"a\":\"\\u00E9\\u00e9\"}", "{\"a\":[true,false,null]}"};
    for (size_t i = 0; i < sizeof EDGE / sizeof *EDGE; i++)
        compare_str(EDGE[i]);
    /* nesting at and past the limit; objects at and past the fast path's key count */
    for (int depth = 62; depth <= 67; depth++) {
        char buf[512] = "{\"a\":";
        for (int k = 1; k < depth; k++)
            strcat(buf, "[");
        strcat(buf, "1");
        for (int k = 1; k < depth; k++)
            strcat(buf, "]");
        strcat(buf, "}");
        compare_str(buf);
    }
    for (int keys = 63; keys <= 66; keys++) {
        for (int dup = 0; dup < 2; dup++) {
            char buf[2048] = "{";
            for (int k = 0; k < keys; k++) {
                char m[32];
                snprintf(m, sizeof m, "%s\"k%d\":%d", k ? "," : "", dup && k == keys - 1 ? 0 : k, k);
                strcat(buf, m);
            }
            strcat(buf, "}");
            compare_str(buf);
        }
    }
    /* a string at the length limit and past it */
    for (size_t len = LEXP_DATA_MAX_STRING; len <= LEXP_DATA_MAX_STRING + 1; len++) {
        char *big = malloc(len + 16);
        memcpy(big, "{\"s\":\"", 6);
        memset(big + 6, 'x', len);
        memcpy(big + 6 + len, "\"}", 3);
        compare_str(big);
        big[6] = '\\';
        big[7] = 'n';
        compare_str(big);
        free(big);
    }
    const char *src = getenv("LEXP_SOURCE_DIR");
    if (src) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/samples", src);
        walk(dir, 0);
        snprintf(dir, sizeof dir, "%s/tests", src);
        walk(dir, 0);
    }
    int before = compared;
    rnd r = {20241207ull, NULL, 0, 0};
    for (int i = 0; i < 3000; i++) {
        r.n = 0;
        r_put(&r, "");
        r_ws(&r);
        r_put(&r, "{\"d\":");
        r_value(&r, 0);
        r_put(&r, "}");
        r_ws(&r);
        compare(r.p, r.n, "a random document");
        lexp__arena a; /* how often the fast path reads it itself */
        lexp__arena_init(&a);
        lexp_value *root;
        if (lexp__json_fast(&a, r.p, r.n, &root) == 0)
            fast_taken++;
        lexp__arena_free(&a);
    }
    free(r.p);
    CHECK(compared - before == 3000 && fast_taken > 1000); /* the fast path reads most */
    CHECK(!src || compared > 3100);                        /* the tree's files were found */
    if (fails)
        printf("%d check(s) failed\n", fails);
    else
        printf("test_json_fast: %d inputs (%d of 3000 random ones by the fast path), all checks passed\n", compared, fast_taken);
    return fails != 0;
}
