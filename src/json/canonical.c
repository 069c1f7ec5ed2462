/*
 * RFC 8785 canonical JSON, integer-only profile (see canonical.h). Member names are sorted by
 * UTF-16 code units: comparing code points gives the same order except that code points at or
 * above U+10000 (surrogate pairs, 0xD800-0xDBFF) sort before U+E000-U+FFFF. The research brief's
 * "weird" vector (the smiley before U+FB33) pins this.
 */
#include "json/canonical.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "json/json.h"
#include "json/write.h"

/* Decode one UTF-8 code point at s (valid UTF-8 assumed, checked beforehand); advance *i. */
static uint32_t
next_cp(const unsigned char *s, size_t *i)
{
    uint32_t c = s[*i];
    size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; k < len; k++)
        cp = cp << 6 | (s[*i + k] & 0x3f);
    *i += len;
    return cp;
}

/* The first UTF-16 code unit of a code point, which is what decides the order between two
 * code points that differ. */
static uint32_t
utf16_key(uint32_t cp)
{
    return cp >= 0x10000 ? 0xd800 + ((cp - 0x10000) >> 10) : cp;
}

static int
utf16_cmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    /* Up to the first byte that differs both strings are the same characters; when that byte is
     * ASCII in both (or one string ends there), it decides as it does in UTF-16. */
    size_t k = 0;
    while (x[k] != '\0' && x[k] == y[k])
        k++;
    if (x[k] < 0x80 && y[k] < 0x80)
        return (x[k] > y[k]) - (x[k] < y[k]);
    size_t i = 0, j = 0;
    while (x[i] != '\0' && y[j] != '\0') {
        uint32_t ca = next_cp(x, &i), cb = next_cp(y, &j);
        if (ca == cb)
            continue;
        uint32_t ka = utf16_key(ca), kb = utf16_key(cb);
        if (ka != kb)
            return ka < kb ? -1 : 1;
        /* Same high surrogate: the low surrogates (the rest of the code point) decide. */
        return ca < cb ? -1 : 1;
    }
    return (x[i] != '\0') - (y[j] != '\0');
}

static int
member_cmp(const void *a, const void *b)
{
    const cJSON *const *x = a, *const *y = b;
    return utf16_cmp((*x)->string, (*y)->string);
}

/* What write_chars does with each byte: 0 copy it, 1 a two-character escape, 2 \u00XX.
 * Everything but '"', '\\' and the controls goes literally, DEL and U+2028 too. */
static const unsigned char esc_kind[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 1, 1, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 1, ['\\'] = 1,
};

/* s[0..n) as a JSON string: only '"', '\\' and controls escaped (RFC 8785 3.2.2.2). */
static void
write_chars(const char *s, size_t n, struct cp_buf *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    cp_buf_putc(out, '"');
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && esc_kind[u[i]] == 0)
            i++;
        cp_buf_append(out, s + start, i - start);
        if (i == n)
            break;
        unsigned char c = u[i++];
        if (esc_kind[c] == 1) {
            char e = c == '"'    ? '"'
                     : c == '\\' ? '\\'
                     : c == '\b' ? 'b'
                     : c == '\t' ? 't'
                     : c == '\n' ? 'n'
                     : c == '\f' ? 'f'
                                 : 'r';
            char two[2] = {'\\', e};
            cp_buf_append(out, two, 2);
        } else {
            char six[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
            cp_buf_append(out, six, 6);
        }
    }
    cp_buf_putc(out, '"');
}

static bool
write_string(const char *s, struct cp_buf *out, struct cp_error *err)
{
    size_t n = strlen(s);
    if (!cp_json_utf8_valid(s, n)) {
        cp_error_set(err, CP_ERR_INTERNAL, NULL, "Invalid UTF-8 in data to sign.");
        return false;
    }
    write_chars(s, n, out);
    return true;
}

bool
cp_canonical_write(const cJSON *item, struct cp_buf *out, struct cp_error *err)
{
    if (cJSON_IsNull(item)) {
        cp_buf_puts(out, "null");
    } else if (cJSON_IsTrue(item)) {
        cp_buf_puts(out, "true");
    } else if (cJSON_IsFalse(item)) {
        cp_buf_puts(out, "false");
    } else if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        if (!isfinite(v) || v != floor(v) || fabs(v) >= (double)CP_JSON_MAX_SAFE_INT) {
            cp_error_set(err, CP_ERR_INTERNAL, NULL,
                         "Signed data may hold only integers within +-(2^53-1).");
            return false;
        }
        char d[CP_JW_INT_MAX];
        cp_buf_append(out, d, cp_jw_format_int((int64_t)v, d));
    } else if (cJSON_IsString(item)) {
        return write_string(item->valuestring, out, err);
    } else if (cJSON_IsArray(item)) {
        cp_buf_putc(out, '[');
        for (const cJSON *c = item->child; c != NULL; c = c->next) {
            if (c != item->child)
                cp_buf_putc(out, ',');
            if (!cp_canonical_write(c, out, err))
                return false;
        }
        cp_buf_putc(out, ']');
    } else if (cJSON_IsObject(item)) {
        size_t n = 0;
        for (const cJSON *c = item->child; c != NULL; c = c->next)
            n++;
        const cJSON *small[32];
        const cJSON **m = n <= CP_ARRAY_LEN(small) ? small : malloc(n * sizeof(*m));
        if (m == NULL)
            cp_die("out of memory");
        size_t k = 0;
        bool ok = true;
        for (const cJSON *c = item->child; c != NULL; c = c->next) {
            m[k++] = c;
            if (c->string == NULL || !cp_json_utf8_valid(c->string, strlen(c->string)))
                ok = false;
        }
        if (!ok) {
            if (m != small)
                free(m);
            cp_error_set(err, CP_ERR_INTERNAL, NULL, "Invalid member name in data to sign.");
            return false;
        }
        if (n > 1) /* one member or none: already in order */
            qsort(m, n, sizeof(*m), member_cmp);
        cp_buf_putc(out, '{');
        for (size_t i = 0; i < n && ok; i++) {
            if (i > 0 && strcmp(m[i - 1]->string, m[i]->string) == 0) {
                cp_error_set(err, CP_ERR_INTERNAL, NULL, "Duplicate member '%s' in data to sign.",
                             m[i]->string);
                ok = false;
                break;
            }
            if (i > 0)
                cp_buf_putc(out, ',');
            write_chars(m[i]->string, strlen(m[i]->string), out); /* checked above */
            cp_buf_putc(out, ':');
            ok = cp_canonical_write(m[i], out, err);
        }
        if (m != small)
            free(m);
        if (!ok)
            return false;
        cp_buf_putc(out, '}');
    } else {
        cp_error_set(err, CP_ERR_INTERNAL, NULL, "Unsupported value in data to sign.");
        return false;
    }
    return true;
}

/* ---- the streaming writer ---- */

static void
cw_fail(struct cp_cw *w, const char *msg, const char *what)
{
    if (!w->failed)
        cp_error_set(w->err, CP_ERR_INTERNAL, NULL, "%s%s%s", msg, what ? ": " : "",
                     what ? what : "");
    w->failed = true;
}

/* The separator before a value: none after a name, a comma between array elements. */
static void
cw_value(struct cp_cw *w)
{
    if (w->overflow > 0) /* failed: inside a container too deep, structure is not tracked */
        return;
    if (w->depth == 0 && w->count[0]++ > 0)
        cw_fail(w, "More than one value in data to sign", NULL);
    if (w->after_name) {
        w->after_name = false;
        return;
    }
    CP_ASSERT(w->depth == 0 || !w->is_object[w->depth]); /* an object's values follow names */
    if (w->depth > 0 && w->count[w->depth]++ > 0)
        cp_buf_putc(w->out, ',');
}

void
cp_cw_init(struct cp_cw *w, struct cp_buf *out, struct cp_error *err)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->err = err;
}

static void
cw_open(struct cp_cw *w, bool object)
{
    if (w->overflow > 0 || w->depth == CP_CW_MAX_DEPTH) {
        /* Failed already; count it so that its close matches, write nothing more. */
        cw_fail(w, "Data to sign nested too deep", NULL);
        w->overflow++;
        w->after_name = false;
        return;
    }
    cw_value(w);
    w->depth++;
    w->is_object[w->depth] = object;
    w->count[w->depth] = 0;
    w->last_name[w->depth] = NULL;
    cp_buf_putc(w->out, object ? '{' : '[');
}

static void
cw_close(struct cp_cw *w, bool object)
{
    if (w->overflow > 0) {
        w->overflow--;
        return;
    }
    CP_ASSERT(w->depth > 0 && w->is_object[w->depth] == object && !w->after_name);
    w->depth--;
    cp_buf_putc(w->out, object ? '}' : ']');
}

void
cp_cw_obj_begin(struct cp_cw *w)
{
    cw_open(w, true);
}

void
cp_cw_obj_end(struct cp_cw *w)
{
    cw_close(w, true);
}

void
cp_cw_arr_begin(struct cp_cw *w)
{
    cw_open(w, false);
}

void
cp_cw_arr_end(struct cp_cw *w)
{
    cw_close(w, false);
}

void
cp_cw_name(struct cp_cw *w, const char *name)
{
    if (w->overflow > 0)
        return;
    CP_ASSERT(w->depth > 0 && w->is_object[w->depth] && !w->after_name);
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] >= 0x80)
            cw_fail(w, "Member name in data to sign is not ASCII", name);
    const char *last = w->last_name[w->depth];
    if (last != NULL && strcmp(last, name) >= 0)
        cw_fail(w, "Member out of canonical order (or repeated) in data to sign", name);
    w->last_name[w->depth] = name;
    if (w->count[w->depth]++ > 0)
        cp_buf_putc(w->out, ',');
    write_chars(name, n, w->out);
    cp_buf_putc(w->out, ':');
    w->after_name = true;
}

void
cp_cw_strn(struct cp_cw *w, const char *s, size_t n)
{
    cw_value(w);
    if (!cp_json_utf8_valid(s, n))
        cw_fail(w, "Invalid UTF-8 in data to sign", NULL);
    write_chars(s, n, w->out);
}

void
cp_cw_str(struct cp_cw *w, const char *s)
{
    if (s == NULL)
        cp_cw_null(w);
    else
        cp_cw_strn(w, s, strlen(s));
}

void
cp_cw_int(struct cp_cw *w, int64_t v)
{
    cw_value(w);
    if (v >= CP_JSON_MAX_SAFE_INT || v <= -CP_JSON_MAX_SAFE_INT)
        cw_fail(w, "Signed data may hold only integers within +-(2^53-1)", NULL);
    char d[CP_JW_INT_MAX];
    cp_buf_append(w->out, d, cp_jw_format_int(v, d));
}

void
cp_cw_bool(struct cp_cw *w, bool v)
{
    cw_value(w);
    cp_buf_puts(w->out, v ? "true" : "false");
}

void
cp_cw_null(struct cp_cw *w)
{
    cw_value(w);
    cp_buf_puts(w->out, "null");
}

bool
cp_cw_end(struct cp_cw *w)
{
    CP_ASSERT(w->failed || (w->depth == 0 && w->overflow == 0 && !w->after_name));
    if (w->count[0] == 0)
        cw_fail(w, "No value in data to sign", NULL);
    return !w->failed;
}
