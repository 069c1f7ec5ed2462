/*
 * The strict request-target decoder (see path.h for the rules and why).
 */
#include "http/path.h"

#include <string.h>

#include "core/util.h"
#include "json/json.h"

/*
 * Percent-decode s[0..n) into an arena string. plus_is_space for query components.
 * in_path: also refuse encoded '/' and '\\' (they would change segment boundaries).
 * Returns NULL on a bad escape, NUL, control byte or invalid UTF-8.
 */
static char *
decode(struct cp_arena *a, const char *s, size_t n, bool plus_is_space, bool in_path)
{
    char *out = cp_arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n) /* need two hex digits after the '%' */
                return NULL;
            int hi = cp_hex_digit(s[i + 1]), lo = cp_hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
            if (in_path && (c == '/' || c == '\\'))
                return NULL;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (in_path && c == '\\') {
            return NULL;
        }
        if (c < 0x20 || c == 0x7f)
            return NULL;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (!cp_json_utf8_valid(out, o))
        return NULL;
    return out;
}

static enum cp_err
decode_path(const char *raw, size_t n, struct cp_arena *a, const char **out_path,
            struct cp_error *err)
{
    if (n == 0 || raw[0] != '/')
        return cp_error_set(err, CP_ERR_BAD_PATH, NULL, "The request path must start with '/'.");
    /* Check segments before decoding (raw "." / "..") and after (encoded %2e). */
    char *path = decode(a, raw, n, false, true);
    if (path == NULL)
        return cp_error_set(err, CP_ERR_BAD_PATH, NULL,
                            "The request path has an invalid percent-escape, a NUL or control "
                            "byte, an encoded slash or backslash, or invalid UTF-8.");
    const char *seg = path + 1;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return cp_error_set(err, CP_ERR_BAD_PATH, NULL,
                                "The request path may not contain '.' or '..' segments.");
        if (end == NULL)
            break;
        seg = end + 1;
    }
    *out_path = path;
    return CP_OK;
}

enum cp_err
cp_path_decode(const char *raw, struct cp_arena *arena, const char **out_path,
               struct cp_kv **out_query, size_t *out_n_query, struct cp_error *err)
{
    const char *q = strchr(raw, '?');
    size_t plen = q ? (size_t)(q - raw) : strlen(raw);
    if (memchr(raw, '#', plen) != NULL)
        return cp_error_set(err, CP_ERR_BAD_PATH, NULL,
                            "The request target may not contain a fragment ('#').");
    enum cp_err e = decode_path(raw, plen, arena, out_path, err);
    if (e != CP_OK)
        return e;
    *out_query = NULL;
    *out_n_query = 0;
    if (q == NULL || q[1] == '\0')
        return CP_OK;

    const char *s = q + 1;
    size_t count = 1;
    for (const char *p = s; *p; p++)
        count += *p == '&';
    struct cp_kv *kv = cp_arena_alloc(arena, count * sizeof(*kv));
    size_t nkv = 0;
    while (*s != '\0') {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        if (len > 0) {
            const char *eq = memchr(s, '=', len);
            size_t nlen = eq ? (size_t)(eq - s) : len;
            char *name = decode(arena, s, nlen, true, false);
            char *value = eq ? decode(arena, eq + 1, len - nlen - 1, true, false)
                             : cp_arena_strdup(arena, "");
            if (name == NULL || name[0] == '\0')
                return cp_error_set(err, CP_ERR_BAD_QUERY, NULL,
                                    "The query string has an empty or badly escaped parameter "
                                    "name.");
            if (value == NULL)
                return cp_error_set(err, CP_ERR_BAD_QUERY, name,
                                    "Query parameter '%s' has an invalid percent-escape, a "
                                    "control byte or invalid UTF-8.",
                                    name);
            for (size_t i = 0; i < nkv; i++)
                if (strcmp(kv[i].name, name) == 0)
                    return cp_error_set(err, CP_ERR_BAD_QUERY, name,
                                        "Query parameter '%s' may be given only once.", name);
            kv[nkv].name = name;
            kv[nkv].value = value;
            nkv++;
        }
        if (amp == NULL)
            break;
        s = amp + 1;
    }
    *out_query = kv;
    *out_n_query = nkv;
    return CP_OK;
}
