/*
 * Data back to JSON text (lexport import): keys in their order, numbers in
 * their shortest form that reads back as the same double, UTF-8 kept as
 * it is (only quotes, backslashes and control characters escaped).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "value.h"

static void put_string(lexp__sbuf *b, const char *s, size_t n)
{
    lexp__sbuf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': lexp__sbuf_puts(b, "\\\""); break;
        case '\\': lexp__sbuf_puts(b, "\\\\"); break;
        case '\n': lexp__sbuf_puts(b, "\\n"); break;
        case '\r': lexp__sbuf_puts(b, "\\r"); break;
        case '\t': lexp__sbuf_puts(b, "\\t"); break;
        default:
            if (c < 0x20)
                lexp__sbuf_printf(b, "\\u%04x", c);
            else
                lexp__sbuf_putc(b, (char)c);
        }
    }
    lexp__sbuf_putc(b, '"');
}

static void put_number(lexp__sbuf *b, double x)
{
    if (!isfinite(x)) {
        lexp__sbuf_puts(b, "null");
        return;
    }
    if (x == floor(x) && fabs(x) < 9007199254740992.0) {
        lexp__sbuf_printf(b, "%.0f", x);
        return;
    }
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    lexp__sbuf_puts(b, tmp);
}

static void indent(lexp__sbuf *b, int depth)
{
    lexp__sbuf_putc(b, '\n');
    lexp__sbuf_repeat(b, "  ", (size_t)depth);
}

static void put_value(lexp__sbuf *b, const lexp_value *v, int depth)
{
    switch (v->type) {
    case LV_NULL:
    case LV_UNDEF: lexp__sbuf_puts(b, "null"); break;
    case LV_BOOL: lexp__sbuf_puts(b, v->b ? "true" : "false"); break;
    case LV_NUM: put_number(b, v->u.num); break;
    case LV_STR: put_string(b, v->u.str, v->len); break;
    case LV_ARR:
        if (!v->len) {
            lexp__sbuf_puts(b, "[]");
            break;
        }
        lexp__sbuf_putc(b, '[');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                lexp__sbuf_putc(b, ',');
            indent(b, depth + 1);
            put_value(b, v->u.items[i], depth + 1);
        }
        indent(b, depth);
        lexp__sbuf_putc(b, ']');
        break;
    case LV_OBJ:
        if (!v->len) {
            lexp__sbuf_puts(b, "{}");
            break;
        }
        lexp__sbuf_putc(b, '{');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                lexp__sbuf_putc(b, ',');
            indent(b, depth + 1);
            put_string(b, v->u.members[i].key, v->u.members[i].klen);
            lexp__sbuf_puts(b, ": ");
            put_value(b, v->u.members[i].val, depth + 1);
        }
        indent(b, depth);
        lexp__sbuf_putc(b, '}');
        break;
    default: lexp__sbuf_puts(b, "null");
    }
}

int lexp_data_to_json(lexp_buf *out, const lexp_data *data, lexp_error *err)
{
    lexp_error_clear(err);
    if (!out || !data)
        return lexp__error_set(err, LEXP_EINVAL, NULL, 0, 0, NULL, "invalid argument");
    out->ptr = NULL;
    out->size = 0;
    lexp__sbuf b = LEXP__SBUF_INIT;
    put_value(&b, data->root, 0); /* loaded data is at most LEXP_DATA_MAX_DEPTH deep */
    lexp__sbuf_putc(&b, '\n');
    if (b.oom) {
        lexp__sbuf_free(&b);
        return lexp__error_oom(err);
    }
    lexp__sbuf_to_buf(&b, out);
    return 0;
}
