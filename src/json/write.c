/*
 * The streaming JSON writer. slot[depth] remembers, for the container being written, whether it
 * is empty, has a member (so the next member needs a comma), or has just had a key written (so
 * the value that follows needs none).
 */
#include "json/write.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/util.h"
#include "json/scan.h"

void
cp_jw_init(struct cp_jw *w, struct cp_buf *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
}

void
cp_jw_obj_begin(struct cp_jw *w)
{
    cp_jw_value_prefix(w);
    CP_ASSERT(w->depth < CP_JW_MAX_DEPTH);
    cp_buf_putc(w->out, '{');
    w->slot[++w->depth] = CP_JW_SLOT_EMPTY;
}

void
cp_jw_obj_end(struct cp_jw *w)
{
    CP_ASSERT(w->depth > 0);
    cp_buf_putc(w->out, '}');
    w->depth--;
}

void
cp_jw_arr_begin(struct cp_jw *w)
{
    cp_jw_value_prefix(w);
    CP_ASSERT(w->depth < CP_JW_MAX_DEPTH);
    cp_buf_putc(w->out, '[');
    w->slot[++w->depth] = CP_JW_SLOT_EMPTY;
}

void
cp_jw_arr_end(struct cp_jw *w)
{
    CP_ASSERT(w->depth > 0);
    cp_buf_putc(w->out, ']');
    w->depth--;
}

/*
 * What escape() must do with each byte: 0 copy as is, 1 write an escape, 2 (0xE2) look at the
 * next two bytes for U+2028/U+2029. One table lookup per byte lets the loop copy runs of plain
 * text with a single memcpy.
 */
static const uint8_t esc_class[256] = {
    ['\0'] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
    [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
    [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1, [0xe2] = 2,
};

static const char hex_lower[] = "0123456789abcdef";

/*
 * s[0..n) as a JSON string: '"' and '\\' and the control characters escaped (\n \r \t by
 * name, the others as \u00xx in lowercase hex), U+2028 and U+2029 as \u2028 and \u2029, and
 * every other byte copied, invalid UTF-8 included (callers pass validated text).
 */
static void
escape(struct cp_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = cp_json_plain_len(u, n);
    if (b->cap - b->len <= n + 2)
        cp_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    if (i == n) { /* most strings: nothing to escape */
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len++] = '"';
        b->data[b->len] = '\0';
        return;
    }
    memcpy(b->data + b->len, s, i);
    b->len += i;
    while (i < n) {
        size_t start = i;
        while (i < n && esc_class[u[i]] == 0)
            i++;
        if (i > start) {
            /* Room for the run was reserved up front or by the escape before it. */
            memcpy(b->data + b->len, s + start, i - start);
            b->len += i - start;
        }
        if (i == n)
            break;
        unsigned char c = u[i];
        char rep[6] = {'\\', 0, 0, 0, 0, 0};
        size_t rep_len = 2;
        if (c == 0xe2) {
            if (!(i + 2 < n && u[i + 1] == 0x80 && (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))) {
                b->data[b->len++] = (char)c; /* any other character starting with E2 */
                i++;
                continue;
            }
            memcpy(rep + 1, u[i + 2] == 0xa8 ? "u2028" : "u2029", 5);
            rep_len = 6;
            i += 3;
        } else {
            if (c == '"' || c == '\\')
                rep[1] = (char)c;
            else if (c == '\n')
                rep[1] = 'n';
            else if (c == '\r')
                rep[1] = 'r';
            else if (c == '\t')
                rep[1] = 't';
            else {
                memcpy(rep + 1, "u00", 3);
                rep[4] = hex_lower[c >> 4];
                rep[5] = hex_lower[c & 0xf];
                rep_len = 6;
            }
            i++;
        }
        /* The escape replaces 1 or 3 input bytes; keep room for the rest and the quote. */
        cp_buf_reserve(b, rep_len + (n - i) + 1);
        memcpy(b->data + b->len, rep, rep_len);
        b->len += rep_len;
    }
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
}

/*
 * Decimal digits of v into the end of out[20] (no NUL); returns where they start. Handles
 * INT64_MIN by working on the magnitude as unsigned.
 */
static char *
i64_digits(int64_t v, char out[CP_JW_INT_MAX], char **out_end)
{
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *end = out + CP_JW_INT_MAX;
    char *p = end;
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m != 0);
    if (v < 0)
        *--p = '-';
    *out_end = end;
    return p;
}

size_t
cp_jw_format_int(int64_t v, char out[CP_JW_INT_MAX])
{
    char tmp[CP_JW_INT_MAX], *end;
    char *p = i64_digits(v, tmp, &end);
    size_t n = (size_t)(end - p);
    memcpy(out, p, n);
    return n;
}

void
cp_jw_key(struct cp_jw *w, const char *key)
{
    cp_jw_value_prefix(w);
    escape(w->out, key, strlen(key)); /* a plain name takes escape's one-copy path */
    cp_buf_putc(w->out, ':');
    w->slot[w->depth] = CP_JW_SLOT_AFTER_KEY;
}

void
cp_jw_strn(struct cp_jw *w, const char *s, size_t n)
{
    cp_jw_value_prefix(w);
    escape(w->out, s, n);
}

void
cp_jw_str(struct cp_jw *w, const char *s)
{
    if (s == NULL) {
        cp_jw_null(w);
        return;
    }
    cp_jw_strn(w, s, strlen(s));
}

void
cp_jw_int(struct cp_jw *w, int64_t v)
{
    cp_jw_value_prefix(w);
    char tmp[CP_JW_INT_MAX], *end;
    char *p = i64_digits(v, tmp, &end);
    cp_buf_append(w->out, p, (size_t)(end - p));
}

/* Powers of ten that a double holds exactly (10^22 is the last). */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Below this a decimal significand has at most 15 digits (see shortest_fast). */
#define FAST_M_LIMIT 1e15

/*
 * The slow, obviously right form: the shortest %.*g that reads back to the same double.
 */
static size_t
shortest_printf(double v, char out[32])
{
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    return n > 0 ? (size_t)n : 0;
}

/*
 * The same bytes as shortest_printf without printf, for the values replies carry (costs such
 * as 0.37, scores, durations): a finite v with a decimal form of at most 15 significant digits
 * and k <= 22 decimals. Returns 0 when v is not such a value (the caller falls back).
 *
 * Why it matches: for the smallest k where m = round(v * 10^k) gives m / 10^k == v, m's digits
 * are what %.*g prints at the smallest precision that reads back. With |m| < 10^15 the product
 * v * 10^k is off by less than 0.12 from the exact one, and a decimal that reads back to v is
 * within 0.12 of it too (half a unit in the last place of v, relative 2^-53, times 10^15), so
 * llround finds m exactly when such an m exists, and no k' < k can have one that it missed.
 * m / 10^k, both exact, is rounded once, like strtod. The text then follows %g: fixed when the
 * decimal exponent X of the first digit satisfies -4 <= X < precision, else d.ddde+XX, with
 * trailing zeros dropped. tests/unit/test_write.c compares the two over many values.
 */
static size_t
shortest_fast(double v, char out[32])
{
    if (v == 0) {
        if (signbit(v)) {
            memcpy(out, "-0", 2);
            return 2;
        }
        out[0] = '0';
        return 1;
    }
    double a = fabs(v);
    int k = 0;
    long long m = 0;
    for (;; k++) {
        if (k >= (int)(sizeof(pow10_exact) / sizeof(pow10_exact[0])))
            return 0;
        double scaled = a * pow10_exact[k];
        if (scaled >= FAST_M_LIMIT)
            return 0;
        m = llround(scaled);
        if (m != 0 && (double)m / pow10_exact[k] == a)
            break;
    }
    /* m's digits, and how many of them are trailing zeros (only possible when k == 0). */
    char dig[20];
    int nd = 0;
    for (long long t = m; t != 0; t /= 10)
        dig[nd++] = (char)('0' + t % 10);
    for (int i = 0; i < nd / 2; i++) { /* they came out backwards */
        char c = dig[i];
        dig[i] = dig[nd - 1 - i];
        dig[nd - 1 - i] = c;
    }
    int prec = nd;
    while (prec > 1 && dig[prec - 1] == '0')
        prec--;
    int x = nd - 1 - k; /* decimal exponent of the first digit */
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    if (x >= -4 && x < prec) {
        /* Fixed: prec - 1 - x decimals, which is k here (no trailing zeros when k > 0). */
        if (x >= 0) {
            memcpy(out + o, dig, (size_t)(x + 1));
            o += (size_t)(x + 1);
            if (prec > x + 1) {
                out[o++] = '.';
                memcpy(out + o, dig + x + 1, (size_t)(prec - x - 1));
                o += (size_t)(prec - x - 1);
            }
        } else {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -x - 1; i++)
                out[o++] = '0';
            memcpy(out + o, dig, (size_t)prec);
            o += (size_t)prec;
        }
        return o;
    }
    out[o++] = dig[0];
    if (prec > 1) {
        out[o++] = '.';
        memcpy(out + o, dig + 1, (size_t)(prec - 1));
        o += (size_t)(prec - 1);
    }
    out[o++] = 'e';
    out[o++] = x < 0 ? '-' : '+';
    int ax = x < 0 ? -x : x;
    if (ax >= 100)
        out[o++] = (char)('0' + ax / 100);
    out[o++] = (char)('0' + ax / 10 % 10);
    out[o++] = (char)('0' + ax % 10);
    return o;
}

size_t
cp_jw_format_double(double v, char out[CP_JW_DOUBLE_MAX])
{
    size_t n = shortest_fast(v, out);
    return n > 0 ? n : shortest_printf(v, out);
}

void
cp_jw_double(struct cp_jw *w, double v)
{
    if (!isfinite(v)) {
        cp_jw_null(w);
        return;
    }
    cp_jw_value_prefix(w);
    char tmp[CP_JW_DOUBLE_MAX];
    size_t n = cp_jw_format_double(v, tmp);
    cp_buf_append(w->out, tmp, n);
}

void
cp_jw_bool(struct cp_jw *w, bool v)
{
    cp_jw_value_prefix(w);
    cp_buf_puts(w->out, v ? "true" : "false");
}

void
cp_jw_null(struct cp_jw *w)
{
    cp_jw_value_prefix(w);
    cp_buf_puts(w->out, "null");
}

void
cp_jw_raw(struct cp_jw *w, const char *json, size_t n)
{
    cp_jw_value_prefix(w);
    cp_buf_append(w->out, json, n);
}

void
cp_jw_raw_members(struct cp_jw *w, const char *members, size_t n)
{
    CP_ASSERT(w->depth > 0);
    if (n == 0)
        return;
    cp_jw_value_prefix(w); /* the comma before them if the object already has a member */
    cp_buf_append(w->out, members, n);
}

void
cp_jw_kstr(struct cp_jw *w, const char *key, const char *s)
{
    cp_jw_key(w, key);
    cp_jw_str(w, s);
}

void
cp_jw_kint(struct cp_jw *w, const char *key, int64_t v)
{
    cp_jw_key(w, key);
    cp_jw_int(w, v);
}

void
cp_jw_kbool(struct cp_jw *w, const char *key, bool v)
{
    cp_jw_key(w, key);
    cp_jw_bool(w, v);
}

void
cp_jw_knull(struct cp_jw *w, const char *key)
{
    cp_jw_key(w, key);
    cp_jw_null(w);
}

void
cp_jw_ktime(struct cp_jw *w, const char *key, int64_t ms)
{
    cp_jw_key(w, key);
    cp_jw_time(w, ms);
}

void
cp_jw_time(struct cp_jw *w, int64_t ms)
{
    if (ms == 0) {
        cp_jw_null(w);
        return;
    }
    char ts[CP_TIME_ISO_MS_LEN + 1];
    ts[0] = '"';
    size_t n = cp_time_format_iso_auto(ms, ts + 1);
    ts[n + 1] = '"'; /* the formatters write only digits, '-', ':', '.', 'T', 'Z': no escapes */
    cp_jw_value_prefix(w);
    cp_buf_append(w->out, ts, n + 2);
}

void
cp_jw_cjson(struct cp_jw *w, const cJSON *item)
{
    if (cJSON_IsNull(item) || item == NULL) {
        cp_jw_null(w);
    } else if (cJSON_IsBool(item)) {
        cp_jw_bool(w, cJSON_IsTrue(item));
    } else if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        if (v == floor(v) && fabs(v) <= 9007199254740992.0)
            cp_jw_int(w, (int64_t)v);
        else
            cp_jw_double(w, v);
    } else if (cJSON_IsString(item)) {
        cp_jw_str(w, item->valuestring);
    } else if (cJSON_IsArray(item)) {
        cp_jw_arr_begin(w);
        for (const cJSON *c = item->child; c != NULL; c = c->next)
            cp_jw_cjson(w, c);
        cp_jw_arr_end(w);
    } else if (cJSON_IsObject(item)) {
        cp_jw_obj_begin(w);
        for (const cJSON *c = item->child; c != NULL; c = c->next) {
            cp_jw_key(w, c->string);
            cp_jw_cjson(w, c);
        }
        cp_jw_obj_end(w);
    } else {
        cp_jw_null(w); /* raw/invalid items never come out of the strict parser */
    }
}
