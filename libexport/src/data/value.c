/*
 * Values: constructors, lookup, comparison, descriptions and data paths.
 */
#include "value.h"

#include <math.h>
#include <string.h>

const lexp_value lexp__undef = {.type = LV_UNDEF};
const lexp_value lexp__null = {.type = LV_NULL};
const lexp_value lexp__true = {.type = LV_BOOL, .b = 1};
const lexp_value lexp__false = {.type = LV_BOOL, .b = 0};

lexp_value *lexp__v_num(lexp__arena *a, double n)
{
    lexp_value *v = lexp__arena_zalloc(a, sizeof *v);
    if (v) {
        v->type = LV_NUM;
        v->u.num = n;
    }
    return v;
}

lexp_value *lexp__v_int(lexp__arena *a, long long n)
{
    lexp_value *v = lexp__v_num(a, (double)n);
    if (v && (n > 9007199254740992LL || n < -9007199254740992LL))
        v->hfmt = lexp__arena_printf(a, "%lld", n);
    return v;
}

lexp_value *lexp__v_bool(lexp__arena *a, int b)
{
    lexp_value *v = lexp__arena_zalloc(a, sizeof *v);
    if (v) {
        v->type = LV_BOOL;
        v->b = b != 0;
    }
    return v;
}

lexp_value *lexp__v_null(lexp__arena *a)
{
    lexp_value *v = lexp__arena_zalloc(a, sizeof *v);
    if (v)
        v->type = LV_NULL;
    return v;
}

lexp_value *lexp__v_str(lexp__arena *a, const char *s, size_t n)
{
    lexp_value *v = lexp__arena_zalloc(a, sizeof *v);
    if (v) {
        v->type = LV_STR;
        v->u.str = s;
        v->len = (uint32_t)n;
    }
    return v;
}

lexp_value *lexp__v_strcopy(lexp__arena *a, const char *s, size_t n)
{
    char *c = lexp__arena_strndup(a, s, n);
    return c ? lexp__v_str(a, c, n) : NULL;
}

lexp_value *lexp__v_arr(lexp__arena *a, uint32_t n)
{
    lexp_value *v = lexp__arena_zalloc(a, sizeof *v);
    if (!v)
        return NULL;
    v->type = LV_ARR;
    v->len = n;
    if (n) {
        v->u.items = lexp__arena_zalloc(a, n * sizeof(lexp_value *));
        if (!v->u.items)
            return NULL;
    }
    return v;
}

lexp_value *lexp__v_obj(lexp__arena *a, uint32_t n)
{
    lexp_value *v = lexp__arena_zalloc(a, sizeof *v);
    if (!v)
        return NULL;
    v->type = LV_OBJ;
    v->len = n;
    if (n) {
        v->u.members = lexp__arena_zalloc(a, n * sizeof(lexp_member));
        if (!v->u.members)
            return NULL;
    }
    return v;
}

const lexp_value *lexp__v_get(const lexp_value *obj, const char *key, size_t klen)
{
    if (!obj || obj->type != LV_OBJ)
        return NULL;
    for (uint32_t i = 0; i < obj->len; i++) {
        const lexp_member *m = &obj->u.members[i];
        if (m->klen == klen && (klen == 0 || m->key[0] == key[0]) &&
            memcmp(m->key, key, klen) == 0)
            return m->val;
    }
    return NULL;
}

const lexp_value *lexp__v_get_hint(const lexp_value *obj, const char *key, size_t klen,
                                   uint32_t *hint)
{
    if (!obj || obj->type != LV_OBJ)
        return NULL;
    uint32_t h = *hint;
    if (h < obj->len) {
        const lexp_member *m = &obj->u.members[h];
        if (m->klen == klen && memcmp(m->key, key, klen) == 0)
            return m->val;
    }
    for (uint32_t i = 0; i < obj->len; i++) {
        const lexp_member *m = &obj->u.members[i];
        if (m->klen == klen && m->key[0] == key[0] && memcmp(m->key, key, klen) == 0) {
            *hint = i;
            return m->val;
        }
    }
    return NULL;
}

const lexp_value *lexp__v_getz(const lexp_value *obj, const char *key)
{
    return lexp__v_get(obj, key, strlen(key));
}

int lexp__v_truthy(const lexp_value *v)
{
    switch (v->type) {
    case LV_BOOL: return v->b;
    case LV_NUM: return v->u.num != 0 && !isnan(v->u.num);
    case LV_STR:
    case LV_ARR:
    case LV_OBJ: return v->len != 0;
    case LV_LOOP: return 1;
    default: return 0;
    }
}

/* Values a template nests deeper than this (a chain of sets can nest a
 * list without bound) compare by identity, so comparing never exhausts the
 * stack; data nests at most LEXP_DATA_MAX_DEPTH. */
#define CMP_DEPTH 256
#define CMP_WORK (1u << 24)

static int equal_at(const lexp_value *a, const lexp_value *b, int depth, uint64_t *work)
{
    if (a == b)
        return 1;
    if (depth > CMP_DEPTH)
        return 0;
    if (*work == 0)
        return -1;
    --*work;
    if (a->type != b->type) {
        /* undefined and null are both "nothing" */
        return (a->type == LV_UNDEF || a->type == LV_NULL) &&
               (b->type == LV_UNDEF || b->type == LV_NULL);
    }
    switch (a->type) {
    case LV_UNDEF:
    case LV_NULL: return 1;
    case LV_BOOL: return a->b == b->b;
    case LV_NUM: return a->u.num == b->u.num;
    case LV_STR: return a->len == b->len && memcmp(a->u.str, b->u.str, a->len) == 0;
    case LV_ARR:
        if (a->len != b->len)
            return 0;
        for (uint32_t i = 0; i < a->len; i++) {
            int r = equal_at(a->u.items[i], b->u.items[i], depth + 1, work);
            if (r <= 0)
                return r;
        }
        return 1;
    case LV_OBJ:
        if (a->len != b->len)
            return 0;
        for (uint32_t i = 0; i < a->len; i++) {
            const lexp_member *m = &a->u.members[i];
            const lexp_value *o = lexp__v_get(b, m->key, m->klen);
            if (!o)
                return 0;
            int r = equal_at(m->val, o, depth + 1, work);
            if (r <= 0)
                return r;
        }
        return 1;
    default: return a == b;
    }
}

/* Deeper than this a value's parts are not hashed (equal values still hash
 * alike; such values only collide). */
#define HASH_DEPTH 8

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_at(const lexp_value *v, int depth)
{
    uint64_t h = 1469598103934665603ull;
    int type = v->type == LV_UNDEF ? LV_NULL : v->type; /* both are nothing */
    h = hash_bytes(h, &type, sizeof type);
    if (depth > HASH_DEPTH)
        return h;
    switch (v->type) {
    case LV_UNDEF:
    case LV_NULL: return h;
    case LV_BOOL: return hash_bytes(h, &v->b, 1);
    case LV_NUM: {
        double d = v->u.num == 0 ? 0 : v->u.num; /* -0 == 0 */
        return hash_bytes(h, &d, sizeof d);
    }
    case LV_STR: return hash_bytes(h, v->u.str, v->len);
    case LV_ARR:
        for (uint32_t i = 0; i < v->len; i++)
            h = mix(h ^ hash_at(v->u.items[i], depth + 1)) + i;
        return h;
    case LV_OBJ: {
        /* equal objects may list their members in any order */
        uint64_t sum = 0;
        for (uint32_t i = 0; i < v->len; i++) {
            const lexp_member *m = &v->u.members[i];
            uint64_t k = hash_bytes(1469598103934665603ull, m->key, m->klen);
            sum += mix(k ^ (hash_at(m->val, depth + 1) * 31));
        }
        return mix(h ^ sum ^ v->len);
    }
    default: return hash_bytes(h, &v, sizeof v); /* equal only to itself */
    }
}

uint64_t lexp__v_hash(const lexp_value *v) { return hash_at(v, 0); }

int lexp__v_equal_within(const lexp_value *a, const lexp_value *b, uint64_t *work)
{
    return equal_at(a, b, 0, work);
}

int lexp__v_equal(const lexp_value *a, const lexp_value *b)
{
    uint64_t work = CMP_WORK;
    return equal_at(a, b, 0, &work) > 0;
}

static int compare_at(const lexp_value *a, const lexp_value *b, int depth, uint64_t *work)
{
    if (a == b || depth > CMP_DEPTH || *work == 0)
        return 0;
    --*work;
    if (a->type != b->type) {
        /* missing values sort last so "sort" puts incomplete records at the end */
        int ra = (a->type == LV_UNDEF || a->type == LV_NULL) ? 100 : a->type;
        int rb = (b->type == LV_UNDEF || b->type == LV_NULL) ? 100 : b->type;
        return ra < rb ? -1 : ra > rb;
    }
    switch (a->type) {
    case LV_BOOL: return (int)a->b - (int)b->b;
    case LV_NUM: return a->u.num < b->u.num ? -1 : a->u.num > b->u.num;
    case LV_STR: {
        /* Byte order of UTF-8 is code point order. */
        uint32_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->u.str, b->u.str, n);
        if (c)
            return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    case LV_ARR: {
        uint32_t n = a->len < b->len ? a->len : b->len;
        for (uint32_t i = 0; i < n; i++) {
            int c = compare_at(a->u.items[i], b->u.items[i], depth + 1, work);
            if (c)
                return c;
        }
        return a->len < b->len ? -1 : a->len > b->len;
    }
    default: return 0;
    }
}

int lexp__v_compare(const lexp_value *a, const lexp_value *b)
{
    uint64_t work = CMP_WORK;
    return compare_at(a, b, 0, &work);
}

const char *lexp__v_type_name(const lexp_value *v)
{
    switch (v->type) {
    case LV_UNDEF: return "nothing";
    case LV_NULL: return "null";
    case LV_BOOL: return "a boolean";
    case LV_NUM: return "a number";
    case LV_STR: return "a string";
    case LV_ARR: return "an array";
    case LV_OBJ: return "an object";
    case LV_LOOP: return "the loop variable";
    default: return "a value";
    }
}

void lexp__v_describe(lexp__sbuf *b, const lexp_value *v)
{
    switch (v->type) {
    case LV_UNDEF: lexp__sbuf_puts(b, "nothing (the value is missing)"); break;
    case LV_NULL: lexp__sbuf_puts(b, "null"); break;
    case LV_BOOL: lexp__sbuf_puts(b, v->b ? "true" : "false"); break;
    case LV_NUM:
        lexp__sbuf_puts(b, "the number ");
        if (v->hint == LH_NONE && v->hfmt)
            lexp__sbuf_puts(b, v->hfmt); /* exact digits of a large integer */
        else
            lexp__fmt_number(b, v->u.num);
        break;
    case LV_STR: {
        lexp__sbuf_puts(b, "the string \"");
        /* Quote at most 40 characters, cut on a character boundary. */
        size_t n = v->len, chars = 0, i = 0;
        while (i < n && chars < 40) {
            i++;
            while (i < n && ((unsigned char)v->u.str[i] & 0xC0) == 0x80)
                i++;
            chars++;
        }
        lexp__sbuf_put(b, v->u.str, i);
        lexp__sbuf_puts(b, i < n ? "…\"" : "\"");
        break;
    }
    case LV_ARR: lexp__sbuf_printf(b, "an array of %u items", v->len); break;
    case LV_OBJ: lexp__sbuf_puts(b, "an object"); break;
    default: lexp__sbuf_puts(b, lexp__v_type_name(v)); break;
    }
}

int lexp__v_has_path(const lexp_value *v) { return v && v->parent != NULL; }

static void path_rec(lexp__sbuf *b, const lexp_value *v, int depth)
{
    const lexp_value *p = v->parent;
    if (!p || depth > LEXP_DATA_MAX_DEPTH + 2)
        return;
    path_rec(b, p, depth + 1);
    if (p->type == LV_ARR) {
        lexp__sbuf_printf(b, "[%u]", v->index);
    } else if (p->type == LV_OBJ && v->index < p->len) {
        const lexp_member *m = &p->u.members[v->index];
        if (b->len > 0)
            lexp__sbuf_putc(b, '.');
        lexp__sbuf_put(b, m->key, m->klen);
    }
}

void lexp__v_path(lexp__sbuf *b, const lexp_value *v)
{
    if (v)
        path_rec(b, v, 0);
}
