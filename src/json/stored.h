/*
 * Reading back JSON that callproof's own writer (json/write.h) produced, without building a
 * cJSON tree. The handlers store validated input re-serialised by that writer (transcript
 * turns, metadata) and used to parse it again with cJSON for every reply only to write the
 * same bytes back out; this cursor lets them copy tokens instead.
 *
 * Every function accepts only the *canonical* form the writer emits: no whitespace, strings
 * escaped exactly as cp_jw_str escapes them, numbers exactly as cp_jw_cjson prints them. That
 * is the property callers rely on: a token accepted here, copied raw into a reply, is the same
 * bytes as parsing it with cJSON and writing the value again. Anything else (text from an
 * older writer, a hand-edited row) makes the function return false, and the caller falls back
 * to cJSON, so the reply never changes; only the cost does.
 *
 * A failed call leaves the cursor anywhere: callers give up on the whole text.
 */
#ifndef CP_JSON_STORED_H
#define CP_JSON_STORED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Deepest nesting cp_jstored_value follows (the writer's own limit). */
#define CP_JSTORED_MAX_DEPTH 32

/* A cursor over text[0..len); the text need not be NUL-terminated. */
struct cp_jstored {
    const char *p, *end;
};

/* The small steps are inline: a turn of a list page takes a dozen of them, and with a
 * constant lit_len the comparison compiles to a few loads. */
static inline void
cp_jstored_init(struct cp_jstored *s, const char *text, size_t len)
{
    s->p = text;
    s->end = text + len;
}

/* True (and steps over it) if the next byte is c. */
static inline bool
cp_jstored_byte(struct cp_jstored *s, char c)
{
    if (s->p >= s->end || *s->p != c)
        return false;
    s->p++;
    return true;
}

/* True (and steps over them) if the next bytes are lit (e.g. "null", "\"role\":"). */
static inline bool
cp_jstored_lit(struct cp_jstored *s, const char *lit, size_t lit_len)
{
    if ((size_t)(s->end - s->p) < lit_len || memcmp(s->p, lit, lit_len) != 0)
        return false;
    s->p += lit_len;
    return true;
}

/* A canonical string token: out_tok and out_len cover it, quotes included (borrowed). */
bool cp_jstored_string(struct cp_jstored *s, const char **out_tok, size_t *out_len);
/* A canonical integer of at most 15 digits (so cJSON's double holds it exactly). */
bool cp_jstored_int(struct cp_jstored *s, int64_t *out);
/* Any canonical value, nested at most CP_JSTORED_MAX_DEPTH - depth deeper; steps over it. */
bool cp_jstored_value(struct cp_jstored *s, int depth);
/* True when the whole text has been read. */
static inline bool
cp_jstored_at_end(const struct cp_jstored *s)
{
    return s->p == s->end;
}

#endif
