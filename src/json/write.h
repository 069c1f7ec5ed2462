/*
 * Streaming JSON writer into a cp_buf, for response bodies: no tree, no allocation per value,
 * commas handled by the writer. Strings are escaped per RFC 8259 (control characters as \u00XX,
 * and U+2028/U+2029 escaped so the output is also safe inside <script>). Input strings must be
 * valid UTF-8 (everything we store was validated on the way in).
 *
 * This is NOT the canonical encoder for signed data (that one lives beside it and refuses
 * floats); it is for replies only.
 */
#ifndef CP_JSON_WRITE_H
#define CP_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/buf.h"

#define CP_JW_MAX_DEPTH 32
#define CP_JW_INT_MAX 20    /* "-9223372036854775808" */
#define CP_JW_DOUBLE_MAX 32 /* "-1.2345678901234567e-308" and room to spare */

struct cp_jw {
    struct cp_buf *out;
    int depth;
    uint8_t slot[CP_JW_MAX_DEPTH + 1]; /* per open container: a CP_JW_SLOT_ state */
};

/* What the container being written has had so far: nothing, a member (the next one needs a
 * comma), or just a key (its value needs none). */
enum { CP_JW_SLOT_EMPTY = 0, CP_JW_SLOT_HAS_MEMBER = 1, CP_JW_SLOT_AFTER_KEY = 2 };

/* Before any value or key: a comma if the container already has a member. (Inline for
 * cp_jw_key_quoted; the writer's own functions use it too.) */
static inline void
cp_jw_value_prefix(struct cp_jw *w)
{
    uint8_t *slot = &w->slot[w->depth];
    if (*slot == CP_JW_SLOT_HAS_MEMBER)
        cp_buf_putc(w->out, ',');
    *slot = CP_JW_SLOT_HAS_MEMBER;
}

void cp_jw_init(struct cp_jw *w, struct cp_buf *out);
void cp_jw_obj_begin(struct cp_jw *w);
void cp_jw_obj_end(struct cp_jw *w);
void cp_jw_arr_begin(struct cp_jw *w);
void cp_jw_arr_end(struct cp_jw *w);
/* Write a member name (inside an object); the next value call writes its value. */
void cp_jw_key(struct cp_jw *w, const char *key);
/* A member name that is a string literal, quoted by the preprocessor, so writing it is one
 * copy instead of a scan for characters to escape: CP_JW_KEY(w, "callId"). For names of
 * ASCII letters, digits and '_' (the hot writers' own); anything else, or a name that is not
 * a literal (which does not compile here), goes through cp_jw_key. */
#define CP_JW_KEY(w, lit) cp_jw_key_quoted((w), "\"" lit "\":", sizeof(lit) + 2)
static inline void
cp_jw_key_quoted(struct cp_jw *w, const char *quoted, size_t n)
{
    cp_jw_value_prefix(w);
    w->slot[w->depth] = CP_JW_SLOT_AFTER_KEY;
    cp_buf_append(w->out, quoted, n); /* n is a constant: the copy is inlined */
}
void cp_jw_str(struct cp_jw *w, const char *s); /* NULL writes null */
void cp_jw_strn(struct cp_jw *w, const char *s, size_t n);
void cp_jw_int(struct cp_jw *w, int64_t v);
void cp_jw_double(struct cp_jw *w, double v); /* shortest round-trip form; non-finite -> null */
/* The text cp_jw_int / cp_jw_double write, into out (no NUL); returns its length. v must be
 * finite for the double form. */
size_t cp_jw_format_int(int64_t v, char out[CP_JW_INT_MAX]);
size_t cp_jw_format_double(double v, char out[CP_JW_DOUBLE_MAX]);
void cp_jw_bool(struct cp_jw *w, bool v);
void cp_jw_null(struct cp_jw *w);
/* Any parsed JSON value (callproof's strict parser has vetted it): integral numbers within
 * +-2^53 as integers, other numbers in their shortest round-trip form, so what a client sent
 * comes back as the same values (cJSON's own printer rounds to 15 digits). */
void cp_jw_cjson(struct cp_jw *w, const cJSON *item);
/* Insert already-serialised JSON (e.g. a stored object) as one value. The caller vouches for
 * it: nothing is checked (json/stored.h checks text that might not be ours). */
void cp_jw_raw(struct cp_jw *w, const char *json, size_t n);
/* Insert already-serialised members ("\"a\":1,\"b\":[]", the inside of an object) into the
 * open object, after a comma if it has members already; n == 0 writes nothing. */
void cp_jw_raw_members(struct cp_jw *w, const char *members, size_t n);
/* Convenience: key + value. */
void cp_jw_kstr(struct cp_jw *w, const char *key, const char *s);
void cp_jw_kint(struct cp_jw *w, const char *key, int64_t v);
void cp_jw_kbool(struct cp_jw *w, const char *key, bool v);
void cp_jw_knull(struct cp_jw *w, const char *key);
/* ISO 8601 time from ms, or null when ms == 0 (our "unset"). */
void cp_jw_time(struct cp_jw *w, int64_t ms);
void cp_jw_ktime(struct cp_jw *w, const char *key, int64_t ms);

#endif
