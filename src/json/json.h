/*
 * Strict JSON input: cJSON does the parsing (measured 8x faster than jansson on our 2 KB call
 * body), and this layer adds what cJSON does not check but an evidence store must:
 *   - the body is valid UTF-8 (no overlongs, no surrogates encoded in UTF-8, nothing > U+10FFFF);
 *   - no "\u0000" escape in any string (cJSON would silently truncate the string there);
 *   - nesting depth <= CP_JSON_MAX_DEPTH (checked before cJSON recurses);
 *   - no object repeats a key (cJSON keeps both; "last wins" differs between parsers, which
 *     is a request-smuggling hazard);
 *   - every number is finite, and a number written as an integer (no '.', 'e' or 'E') lies
 *     within +-2^53 (and, however it is spelled, no integral value reaches +-2^53: I-JSON's
 *     bound, RFC 7493), because cJSON holds numbers as doubles and anything larger silently
 *     loses precision;
 *   - the top level is an object, and nothing but whitespace follows it;
 *   - the text is strictly RFC 8259 (cJSON also takes leading zeros, "1.", raw control
 *     characters in strings, any byte <= 0x20 as whitespace, and skips a leading BOM).
 * Syntax errors name the line and column (1-based; columns count characters) of the offending
 * byte and say what is wrong there.
 */
#ifndef CP_JSON_JSON_H
#define CP_JSON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/error.h"

struct cp_arena;

#define CP_JSON_MAX_DEPTH 32
#define CP_JSON_MAX_SAFE_INT 9007199254740992LL /* 2^53 */

/*
 * Parse buf[0..len) (need not be NUL-terminated; buf may be NULL if len is 0) into a cJSON tree
 * whose root is an object. Returns the tree (caller owns it: cJSON_Delete) or NULL with
 * *out_err (may be NULL) set to CP_ERR_INVALID_JSON and one of these messages:
 *   "Request body is empty; expected a JSON object."           (nothing but whitespace)
 *   "The request body must be a JSON object."                  (the first token is not '{')
 *   "Invalid JSON at line 3, column 14: <reason>."             (the first fault in the text:
 *        "expected ':'", "the body is not valid UTF-8", "byte order mark not allowed",
 *        "\u0000 is not allowed in strings", "unpaired UTF-16 surrogate escape", "nesting
 *        deeper than 32 levels", "integer beyond +-9007199254740992 (2^53) ...",
 *        "unexpected data after the end of the JSON value", ...)
 *   "Duplicate key 'llm' in object at 'costs'."  (field "costs.llm"; at the top level the
 *        message is "Duplicate key 'k' in object." and field is "k")
 *   "The number at 'costs.llm' is too large to represent."       (field "costs.llm")
 * Lines and columns are 1-based; columns count characters, not bytes. When memory runs out the
 * code is CP_ERR_INTERNAL instead.
 */
cJSON *cp_json_parse_object(const char *buf, size_t len, struct cp_error *out_err);

/*
 * The same, with the tree's memory taken from arena (borrowed; must outlive every use of the
 * tree): nothing to free, the arena's reset takes it. cJSON_Delete on it, or on a tree an item
 * of it was moved into, is still safe (it frees only heap blocks), but items added to it from
 * the heap are freed only by a cJSON_Delete, and an item of it must be copied
 * (cJSON_Duplicate), never moved, into anything that outlives the arena. One difference: when
 * memory runs out the process aborts (cp_arena_alloc), instead of CP_ERR_INTERNAL. One parse
 * per thread at a time.
 */
cJSON *cp_json_parse_object_in(struct cp_arena *arena, const char *buf, size_t len,
                               struct cp_error *out_err);

/*
 * Install callproof's cJSON allocation hooks (json.c: each block tagged heap or arena). Done
 * before main by a constructor; only a test that swapped in its own hooks calls it, to restore
 * them, and only when no cJSON memory is alive.
 */
void cp_json_hooks_install(void);

/*
 * True if s[0..len) is well-formed UTF-8 (RFC 3629: shortest form, no surrogates, <= U+10FFFF).
 */
bool cp_json_utf8_valid(const char *s, size_t len);

/*
 * True if item is a cJSON number holding an integral value within +-2^53; then stores it in
 * *out (out may be NULL). False for NULL, non-numbers, fractions and anything larger.
 */
bool cp_json_get_int(const cJSON *item, int64_t *out);

/* A new cJSON string of s, or a JSON null when s is NULL (for records built with cJSON). */
cJSON *cp_json_str_or_null(const char *s);

#endif
