/*
 * The one canonical encoder for everything callproof signs or hashes: RFC 8785 (JSON
 * Canonicalization Scheme) in its integer-only profile. Objects are written with members sorted
 * by their names as UTF-16 code units, no whitespace, strings escaped exactly as ECMAScript's
 * JSON.stringify does (and nothing else escaped), integers in [-(2^53-1), 2^53-1] as decimal.
 * Any other number is refused: fractional values in signed data become integers (milliseconds,
 * cents) or strings, so no verifier ever needs a shortest-round-trip float printer. The output
 * is therefore valid JCS that any conformant implementation reproduces byte for byte.
 *
 * Signed bytes come only from here, never from cJSON's printer or the response writer: from a
 * cJSON tree (cp_canonical_write) or written member by member (cp_cw, for the evidence bundle);
 * both share the string and integer encoding below.
 */
#ifndef CP_JSON_CANONICAL_H
#define CP_JSON_CANONICAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

/*
 * Append the canonical form of item to out. Fails (false, *err set, out possibly partly
 * written) on a non-integral or out-of-range number, invalid UTF-8 in a string or name, or a
 * duplicate member name. Strings are taken as the UTF-8 bytes cJSON holds.
 */
bool cp_canonical_write(const cJSON *item, struct cp_buf *out, struct cp_error *err);

/*
 * The same encoding written member by member, for a signed object built from fields (the
 * evidence bundle) without a cJSON tree to build, sort and free. The caller gives each
 * object's members in canonical order; names must be ASCII, where RFC 8785's UTF-16 order is
 * byte order. The writer checks what cp_canonical_write checks (each name sorts after the one
 * before it in its object, so no duplicates; strings are valid UTF-8; integers are within
 * +-(2^53-1)); cp_cw_end reports the first failure. Names are borrowed until their object ends.
 */
#define CP_CW_MAX_DEPTH 8
struct cp_cw {
    struct cp_buf *out;
    struct cp_error *err;
    bool failed, after_name;
    int depth;
    int overflow; /* containers opened past CP_CW_MAX_DEPTH (written, not tracked) */
    bool is_object[CP_CW_MAX_DEPTH + 1];
    size_t count[CP_CW_MAX_DEPTH + 1];          /* members or elements written */
    const char *last_name[CP_CW_MAX_DEPTH + 1]; /* per open object */
};
void cp_cw_init(struct cp_cw *w, struct cp_buf *out, struct cp_error *err);
void cp_cw_obj_begin(struct cp_cw *w);
void cp_cw_obj_end(struct cp_cw *w);
void cp_cw_arr_begin(struct cp_cw *w);
void cp_cw_arr_end(struct cp_cw *w);
void cp_cw_name(struct cp_cw *w, const char *name);
void cp_cw_str(struct cp_cw *w, const char *s); /* NULL writes null */
void cp_cw_strn(struct cp_cw *w, const char *s, size_t n);
void cp_cw_int(struct cp_cw *w, int64_t v);
void cp_cw_bool(struct cp_cw *w, bool v);
void cp_cw_null(struct cp_cw *w);
/* true when exactly one value was written, every value was encodable and every container
 * closed; else *err says why. */
bool cp_cw_end(struct cp_cw *w);

#endif
