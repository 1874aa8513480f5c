/*
 * The data model: one value type for loaded data and for values computed
 * while a template is evaluated.
 *
 * Loaded data lives in the arena of its lexp_data and is never modified, so
 * threads may share it. Values made during evaluation live in the render's
 * arena and may point into the data (no copies, no reference counts).
 * Every loaded value knows its parent, so an error can name the data path
 * of any value ("activities[3].participants").
 */
#ifndef LEXP_VALUE_H
#define LEXP_VALUE_H

#include <stdint.h>

#include "../util/util.h"

typedef enum lexp_vtype {
    LV_UNDEF = 0, /* a missing field or variable: prints as "" */
    LV_NULL,
    LV_BOOL,
    LV_NUM,
    LV_STR,
    LV_ARR,
    LV_OBJ,
    LV_LOOP /* the `loop` variable of a for statement (evaluation only) */
} lexp_vtype;

/* What a formatted string stands for, so a spreadsheet can store the
 * number behind "35.0%" or "9月20日" instead of text. */
typedef enum lexp_vhint {
    LH_NONE = 0,
    LH_NUMBER,  /* num(n): `hnum` with `hdec` decimals, thousands separators */
    LH_PERCENT, /* pct(n): fraction `hnum`, `hdec` decimals */
    LH_DATE,    /* date(fmt)/cn_date: serial date `hnum`, format `hfmt` */
    LH_MONEY    /* cn_money: amount `hnum` */
} lexp_vhint;

typedef struct lexp_value lexp_value;
typedef struct lexp_member lexp_member;

struct lexp_member {
    const char *key;
    uint32_t klen;
    lexp_value *val;
};

struct lexp_value {
    uint8_t type;  /* lexp_vtype */
    uint8_t hint;  /* lexp_vhint, for LV_STR */
    uint8_t hdec;  /* decimals for LH_NUMBER / LH_PERCENT */
    uint8_t b;     /* LV_BOOL; LV_NUM from the data: 1 when written as a real (3.0) */
    uint32_t len;  /* bytes of a string, items of an array, members of an object */
    union {
        double num;
        const char *str;
        lexp_value **items;
        lexp_member *members;
        void *loop;
    } u;
    double hnum;           /* hint value */
    const char *hfmt;      /* hint format: the date pattern (LH_DATE), or a
                              spreadsheet formula (LH_NUMBER, LH_PERCENT); for an
                              LV_NUM loaded from an integer beyond 2^53, its exact
                              digits (for messages) */
    const lexp_value *parent; /* in loaded data: the containing value */
    uint32_t index;        /* position in the parent */
};

/* Shared constants (read-only, so sharing them is thread-safe). */
extern const lexp_value lexp__undef;
extern const lexp_value lexp__null;
extern const lexp_value lexp__true;
extern const lexp_value lexp__false;

struct lexp_rows_src; /* data/rows.h */

struct lexp_data {
    lexp__arena arena;
    lexp_value *root;
    char *name; /* file name for messages */
    char *dir;  /* directory of the file, for relative image paths */
    struct lexp_rows_src *rows; /* files read row by row (lexp_data_add_rows_file) */
    uint32_t nrows;
};

/* Constructors in an arena (NULL on out of memory). */
lexp_value *lexp__v_num(lexp__arena *a, double n);
/* An integer from data: beyond 2^53 its double is rounded, so the digits
 * the user wrote are kept (hfmt) for messages to quote exactly. */
lexp_value *lexp__v_int(lexp__arena *a, long long n);
lexp_value *lexp__v_bool(lexp__arena *a, int b);
lexp_value *lexp__v_null(lexp__arena *a);
lexp_value *lexp__v_str(lexp__arena *a, const char *s, size_t n); /* borrows s */
lexp_value *lexp__v_strcopy(lexp__arena *a, const char *s, size_t n);
lexp_value *lexp__v_arr(lexp__arena *a, uint32_t n); /* n items, filled later */
lexp_value *lexp__v_obj(lexp__arena *a, uint32_t n);

/* Object field by key (NULL if absent). Linear: objects are small. */
const lexp_value *lexp__v_get(const lexp_value *obj, const char *key, size_t klen);
const lexp_value *lexp__v_getz(const lexp_value *obj, const char *key);
/* The same, trying member *hint first and storing where the key was found:
 * records of one ledger share their key order, so loops over them find
 * each field at once. */
const lexp_value *lexp__v_get_hint(const lexp_value *obj, const char *key, size_t klen,
                                   uint32_t *hint);

/* Truthiness as in Jinja: undefined, null, false, 0, "", [] and {} are false. */
int lexp__v_truthy(const lexp_value *v);
/* Equality of scalars and (deep) arrays/objects. */
int lexp__v_equal(const lexp_value *a, const lexp_value *b);
/* A hash for lexp__v_equal: equal values hash alike (so unique, where … in
 * and groupby find equal values in a hash table). */
uint64_t lexp__v_hash(const lexp_value *v);
/* Equality visiting at most *work values (decremented): 1, 0, or -1 when the
 * work ran out. A template can share one list in another ([l, l], forty
 * times over): tiny in memory, 2^40 values to visit. lexp__v_equal and
 * lexp__v_compare stop after 2^24 and then compare by identity. */
int lexp__v_equal_within(const lexp_value *a, const lexp_value *b, uint64_t *work);
/* Ordering for sort and comparisons: numbers numerically, strings by code
 * point; values of different types order by type. */
int lexp__v_compare(const lexp_value *a, const lexp_value *b);
/* "a number", "the string \"十六\"", "an array" — for error messages. */
void lexp__v_describe(lexp__sbuf *b, const lexp_value *v);
const char *lexp__v_type_name(const lexp_value *v);
/* The data path of a loaded value ("" for the root or computed values). */
void lexp__v_path(lexp__sbuf *b, const lexp_value *v);
/* 1 if the path is known (the value belongs to loaded data). */
int lexp__v_has_path(const lexp_value *v);

#endif
