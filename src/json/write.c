/*
 * The streaming JSON writer. slot[depth] remembers, for the container being written, whether it
 * is empty, has a member (so the next member needs a comma), or has just had a key written (so
 * the value that follows needs none).
 */
#include "json/write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/util.h"

void
cp_jw_init(struct cp_jw *w, struct cp_buf *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
}

/* Slot states per nesting level. */
enum { SLOT_EMPTY = 0, SLOT_HAS_MEMBER = 1, SLOT_AFTER_KEY = 2 };

/* Before any value: a comma if the container already has a member, none right after a key. */
static void
value_prefix(struct cp_jw *w)
{
    uint8_t *slot = &w->slot[w->depth];
    if (*slot == SLOT_HAS_MEMBER)
        cp_buf_putc(w->out, ',');
    *slot = SLOT_HAS_MEMBER;
}

void
cp_jw_obj_begin(struct cp_jw *w)
{
    value_prefix(w);
    CP_ASSERT(w->depth < CP_JW_MAX_DEPTH);
    cp_buf_putc(w->out, '{');
    w->slot[++w->depth] = SLOT_EMPTY;
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
    value_prefix(w);
    CP_ASSERT(w->depth < CP_JW_MAX_DEPTH);
    cp_buf_putc(w->out, '[');
    w->slot[++w->depth] = SLOT_EMPTY;
}

void
cp_jw_arr_end(struct cp_jw *w)
{
    CP_ASSERT(w->depth > 0);
    cp_buf_putc(w->out, ']');
    w->depth--;
}

static void
escape(struct cp_buf *b, const char *s, size_t n)
{
    cp_buf_reserve(b, n + 2);
    cp_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        char tmp[8];
        if (c == '"')
            rep = "\\\"";
        else if (c == '\\')
            rep = "\\\\";
        else if (c == '\n')
            rep = "\\n";
        else if (c == '\r')
            rep = "\\r";
        else if (c == '\t')
            rep = "\\t";
        else if (c < 0x20) {
            snprintf(tmp, sizeof(tmp), "\\u%04x", c);
            rep = tmp;
        } else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            rep = (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
            cp_buf_append(b, s + start, i - start);
            cp_buf_puts(b, rep);
            i += 2;
            start = i + 1;
            continue;
        }
        if (rep != NULL) {
            cp_buf_append(b, s + start, i - start);
            cp_buf_puts(b, rep);
            start = i + 1;
        }
    }
    cp_buf_append(b, s + start, n - start);
    cp_buf_putc(b, '"');
}

void
cp_jw_key(struct cp_jw *w, const char *key)
{
    value_prefix(w);
    escape(w->out, key, strlen(key));
    cp_buf_putc(w->out, ':');
    w->slot[w->depth] = SLOT_AFTER_KEY;
}

void
cp_jw_strn(struct cp_jw *w, const char *s, size_t n)
{
    value_prefix(w);
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
    value_prefix(w);
    cp_buf_printf(w->out, "%lld", (long long)v);
}

void
cp_jw_double(struct cp_jw *w, double v)
{
    if (!isfinite(v)) {
        cp_jw_null(w);
        return;
    }
    value_prefix(w);
    char tmp[32];
    /* The shortest %.*g that reads back to the same double. */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    cp_buf_puts(w->out, tmp);
}

void
cp_jw_bool(struct cp_jw *w, bool v)
{
    value_prefix(w);
    cp_buf_puts(w->out, v ? "true" : "false");
}

void
cp_jw_null(struct cp_jw *w)
{
    value_prefix(w);
    cp_buf_puts(w->out, "null");
}

void
cp_jw_raw(struct cp_jw *w, const char *json, size_t n)
{
    value_prefix(w);
    cp_buf_append(w->out, json, n);
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
    if (ms == 0) {
        cp_jw_null(w);
        return;
    }
    /* Milliseconds only when there are any: "2026-04-10T15:42:00Z" stays as clients sent it. */
    char ts[CP_TIME_ISO_MS_LEN];
    if (ms % 1000 != 0)
        cp_time_format_iso_ms(ms, ts);
    else
        cp_time_format_iso(ms, ts);
    cp_jw_str(w, ts);
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
