/*
 * The canonical-form reader (see stored.h). The rules mirror json/write.c one for one: if the
 * writer ever changes how it escapes or prints numbers, these must change with it, and
 * tests/unit/test_stored.c, which round-trips the writer's output through cJSON and through
 * this reader, fails until they do.
 */
#include "json/stored.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json/scan.h"
#include "json/write.h"

static int
hex_lower_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* the writer never uses uppercase hex */
}

/*
 * After the backslash: the escapes the writer emits and nothing else. \u00XX only for the
 * control characters without a short name, and never \u0000: cJSON would cut the string
 * there, so the old path wrote something else, and the fallback must handle it.
 */
static bool
canonical_escape(const unsigned char *p, const unsigned char *end, size_t *out_len)
{
    if (p >= end)
        return false;
    switch (*p) {
    case '"':
    case '\\':
    case 'n':
    case 'r':
    case 't':
        *out_len = 1;
        return true;
    case 'u':
        break;
    default:
        return false;
    }
    if (end - p < 5)
        return false;
    if (p[1] == '0' && p[2] == '0') {
        int hi = hex_lower_val(p[3]), lo = hex_lower_val(p[4]);
        if (hi < 0 || lo < 0)
            return false;
        int c = hi * 16 + lo;
        if (c == 0 || c >= 0x20 || c == '\n' || c == '\r' || c == '\t')
            return false;
    } else if (memcmp(p + 1, "202", 3) != 0 || (p[4] != '8' && p[4] != '9')) {
        return false;
    }
    *out_len = 5;
    return true;
}

bool
cp_jstored_string(struct cp_jstored *s, const char **out_tok, size_t *out_len)
{
    const unsigned char *start = (const unsigned char *)s->p;
    const unsigned char *end = (const unsigned char *)s->end;
    if (start >= end || *start != '"')
        return false;
    const unsigned char *p = start + 1;
    for (;;) {
        /* Plain bytes first, many at a time: the common case is a long run of them. */
        p += cp_json_plain_len(p, (size_t)(end - p));
        if (p >= end || *p < 0x20)
            return false; /* unterminated, or a raw control character */
        if (*p == '"')
            break;
        if (*p == 0xe2) {
            /* Raw U+2028/U+2029 would have been escaped; other E2 characters are plain. */
            if (end - p >= 3 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
                return false;
            p++;
            continue;
        }
        size_t n;
        if (!canonical_escape(p + 1, end, &n))
            return false;
        p += 1 + n;
    }
    p++; /* the closing quote */
    *out_tok = (const char *)start;
    *out_len = (size_t)(p - start);
    s->p = (const char *)p;
    return true;
}

bool
cp_jstored_int(struct cp_jstored *s, int64_t *out)
{
    const char *p = s->p;
    bool neg = p < s->end && *p == '-';
    if (neg)
        p++;
    const char *digits = p;
    /* At most 16 digits are read (a 16th means too long), so v cannot overflow. */
    const char *lim = s->end - p > 16 ? p + 16 : s->end;
    int64_t v = 0;
    while (p < lim && (unsigned char)(*p - '0') < 10) {
        v = v * 10 + (*p - '0');
        p++;
    }
    size_t nd = (size_t)(p - digits);
    if (nd == 0 || nd > 15 || (digits[0] == '0' && nd > 1) || (neg && v == 0))
        return false; /* none, too many, a leading zero, or "-0" (the writer prints 0) */
    if (p < s->end && (*p == '.' || *p == 'e' || *p == 'E'))
        return false; /* not an integer after all */
    *out = neg ? -v : v;
    s->p = p;
    return true;
}

/*
 * A number other than a short integer: canonical if printing the double that cJSON would read
 * from it, as cp_jw_cjson does, gives the same bytes back.
 */
static bool
other_number(struct cp_jstored *s)
{
    const char *p = s->p;
    char buf[40];
    size_t n = 0;
    while (p < s->end && (strchr("0123456789+-.eE", *p) != NULL) && *p != '\0') {
        if (n + 1 >= sizeof(buf))
            return false;
        buf[n++] = *p++;
    }
    if (n == 0)
        return false;
    buf[n] = '\0';
    char *stop;
    double v = strtod(buf, &stop);
    if (stop != buf + n || !isfinite(v))
        return false;
    char again[CP_JW_DOUBLE_MAX];
    size_t m;
    if (v == floor(v) && fabs(v) <= 9007199254740992.0)
        m = cp_jw_format_int((int64_t)v, again);
    else
        m = cp_jw_format_double(v, again);
    if (m != n || memcmp(again, buf, n) != 0)
        return false;
    s->p = p;
    return true;
}

bool
cp_jstored_value(struct cp_jstored *s, int depth)
{
    if (s->p >= s->end || depth >= CP_JSTORED_MAX_DEPTH)
        return false;
    const char *tok;
    size_t len;
    int64_t i;
    switch (*s->p) {
    case '"':
        return cp_jstored_string(s, &tok, &len);
    case 'n':
        return cp_jstored_lit(s, "null", 4);
    case 't':
        return cp_jstored_lit(s, "true", 4);
    case 'f':
        return cp_jstored_lit(s, "false", 5);
    case '[':
        s->p++;
        if (cp_jstored_byte(s, ']'))
            return true;
        do {
            if (!cp_jstored_value(s, depth + 1))
                return false;
        } while (cp_jstored_byte(s, ','));
        return cp_jstored_byte(s, ']');
    case '{':
        s->p++;
        if (cp_jstored_byte(s, '}'))
            return true;
        do {
            if (!cp_jstored_string(s, &tok, &len) || !cp_jstored_byte(s, ':') ||
                !cp_jstored_value(s, depth + 1))
                return false;
        } while (cp_jstored_byte(s, ','));
        return cp_jstored_byte(s, '}');
    default: {
        struct cp_jstored save = *s;
        if (cp_jstored_int(s, &i))
            return true;
        *s = save;
        return other_number(s);
    }
    }
}
