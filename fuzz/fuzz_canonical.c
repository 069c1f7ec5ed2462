/*
 * Fuzz target: the strict JSON parser (json/json.h) and the one canonical encoder
 * (json/canonical.h), whose bytes callproof signs. Input: any bytes, taken as a JSON text.
 *
 * Properties:
 *   - the strict parser accepts only what cJSON itself accepts, and only valid UTF-8 (checked
 *     with an independent decoder, fz_utf8_valid, also against cp_json_utf8_valid);
 *   - the encoder refuses a parsed object exactly when it holds a number that is not an
 *     integer (the integer-only profile; the parser already bounds integers by 2^53);
 *   - what it writes is strict JSON again, equal in value to the input (cJSON_Compare), and a
 *     fixed point: parse -> encode -> parse -> encode gives the same bytes;
 *   - it is RFC 8785's form: no whitespace between tokens, integers as -?(0|[1-9][0-9]*)
 *     without "-0", strings escaped only as \" \\ \b \f \n \r \t and \u00xx (lowercase) for
 *     the other control characters, and the members of every object in strictly increasing
 *     order of their names as UTF-16 code units (computed here independently).
 */
#include "fuzz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "json/canonical.h"
#include "json/json.h"

static bool
has_fraction(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return v->valuedouble != floor(v->valuedouble);
    for (const cJSON *c = v->child; c != NULL; c = c->next)
        if (has_fraction(c))
            return true;
    return false;
}

/* UTF-8 (valid) to UTF-16 code units; returns the count. out holds 2 * strlen(s) units. */
static size_t
to_utf16(const char *str, uint16_t *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = 0;
    for (size_t i = 0; s[i];) {
        uint32_t cp;
        if (s[i] < 0x80) {
            cp = s[i];
            i += 1;
        } else if (s[i] < 0xe0) {
            cp = (uint32_t)(s[i] & 0x1f) << 6 | (s[i + 1] & 0x3f);
            i += 2;
        } else if (s[i] < 0xf0) {
            cp = (uint32_t)(s[i] & 0x0f) << 12 | (uint32_t)(s[i + 1] & 0x3f) << 6 |
                 (s[i + 2] & 0x3f);
            i += 3;
        } else {
            cp = (uint32_t)(s[i] & 0x07) << 18 | (uint32_t)(s[i + 1] & 0x3f) << 12 |
                 (uint32_t)(s[i + 2] & 0x3f) << 6 | (s[i + 3] & 0x3f);
            i += 4;
        }
        if (cp >= 0x10000) {
            out[n++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
            out[n++] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
        } else {
            out[n++] = (uint16_t)cp;
        }
    }
    return n;
}

static int
utf16_order(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    uint16_t *ua = malloc((la + 1) * sizeof(*ua)), *ub = malloc((lb + 1) * sizeof(*ub));
    FZ_CHECK(ua != NULL && ub != NULL, "out of memory");
    size_t na = to_utf16(a, ua), nb = to_utf16(b, ub);
    int r = 0;
    for (size_t i = 0; r == 0 && i < na && i < nb; i++)
        r = ua[i] < ub[i] ? -1 : ua[i] > ub[i];
    if (r == 0)
        r = na < nb ? -1 : na > nb;
    free(ua);
    free(ub);
    return r;
}

/* Members in the order the canonical text has them (cJSON keeps the order it read). */
static void
check_order(const cJSON *v)
{
    for (const cJSON *c = v->child; c != NULL; c = c->next) {
        if (cJSON_IsObject(v) && c->next != NULL)
            FZ_CHECK(utf16_order(c->string, c->next->string) < 0,
                     "members '%s' and '%s' out of order", c->string, c->next->string);
        check_order(c);
    }
}

static bool
is_hex_lower(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The lexical form of the canonical text t[0..n). */
static void
check_form(const char *t, size_t n)
{
    for (size_t i = 0; i < n;) {
        char c = t[i];
        FZ_CHECK(c != ' ' && c != '\t' && c != '\n' && c != '\r', "whitespace at %zu: %s", i, t);
        if (c == '"') {
            for (i++; i < n && t[i] != '"'; i++) {
                FZ_CHECK((unsigned char)t[i] >= 0x20, "raw control byte in a string: %s", t);
                if (t[i] != '\\')
                    continue;
                char e = t[++i];
                FZ_CHECK(strchr("\"\\bfnrtu", e) != NULL && e != '\0', "escape \\%c", e);
                if (e != 'u')
                    continue;
                FZ_CHECK(i + 4 < n && t[i + 1] == '0' && t[i + 2] == '0' &&
                             is_hex_lower(t[i + 3]) && is_hex_lower(t[i + 4]),
                         "\\u escape not of a control character: %.8s", t + i - 1);
                unsigned v = (unsigned)strtoul((char[]){t[i + 3], t[i + 4], '\0'}, NULL, 16);
                FZ_CHECK(v < 0x20 && strchr("\b\f\n\r\t", (int)v) == NULL,
                         "\\u%04x has a short escape or needs none", v);
                i += 4;
            }
            i++; /* the closing quote */
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t s = i;
            if (c == '-')
                i++;
            FZ_CHECK(i < n && t[i] >= '0' && t[i] <= '9', "bare '-'");
            if (t[i] == '0') {
                FZ_CHECK(s == i, "-0 in %s", t);
                i++;
            } else {
                while (i < n && t[i] >= '0' && t[i] <= '9')
                    i++;
            }
            FZ_CHECK(i == n || strchr(",]}", t[i]) != NULL, "number not an integer at %zu: %s", s,
                     t);
        } else {
            i++;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_init();
    const char *in = (const char *)data;
    FZ_CHECK(cp_json_utf8_valid(in, size) == fz_utf8_valid(in, size),
             "the two UTF-8 validators disagree");
    struct cp_error err;
    cJSON *t1 = cp_json_parse_object(in, size, &err);
    if (t1 == NULL) {
        FZ_CHECK(err.code == CP_ERR_INVALID_JSON, "parse failed with code %d", err.code);
        FZ_CHECK(fz_utf8_valid(err.message, strlen(err.message)) &&
                     fz_utf8_valid(err.field, strlen(err.field)),
                 "error message or field is not UTF-8");
        return 0;
    }
    FZ_CHECK(fz_utf8_valid(in, size), "accepted invalid UTF-8");
    cJSON *loose = cJSON_ParseWithLength(in, size);
    FZ_CHECK(loose != NULL, "strict parser accepted what cJSON refuses");
    cJSON_Delete(loose);

    struct cp_buf c1 = CP_BUF_INIT;
    bool ok = cp_canonical_write(t1, &c1, &err);
    FZ_CHECK(ok == !has_fraction(t1), "encoder %s a value %s a fraction: %s",
             ok ? "took" : "refused", has_fraction(t1) ? "with" : "without", err.message);
    if (ok) {
        FZ_CHECK(fz_utf8_valid(c1.data, c1.len), "canonical text is not UTF-8");
        check_form(c1.data, c1.len);
        cJSON *t2 = cp_json_parse_object(c1.data, c1.len, &err);
        FZ_CHECK(t2 != NULL, "canonical text refused by the parser (%s): %s", err.message, c1.data);
        FZ_CHECK(cJSON_Compare(t1, t2, true), "canonical text changes the value: %s", c1.data);
        check_order(t2);
        struct cp_buf c2 = CP_BUF_INIT;
        FZ_CHECK(cp_canonical_write(t2, &c2, &err), "second encoding failed: %s", err.message);
        FZ_CHECK(c1.len == c2.len && memcmp(c1.data, c2.data, c1.len) == 0,
                 "not a fixed point:\n%s\n%s", c1.data, c2.data);
        cp_buf_free(&c2);
        cJSON_Delete(t2);
    }
    cp_buf_free(&c1);
    cJSON_Delete(t1);
    return 0;
}
