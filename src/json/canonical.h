/*
 * The one canonical encoder for everything callproof signs or hashes: RFC 8785 (JSON
 * Canonicalization Scheme) in its integer-only profile. Objects are written with members sorted
 * by their names as UTF-16 code units, no whitespace, strings escaped exactly as ECMAScript's
 * JSON.stringify does (and nothing else escaped), integers in [-(2^53-1), 2^53-1] as decimal.
 * Any other number is refused: fractional values in signed data become integers (milliseconds,
 * cents) or strings, so no verifier ever needs a shortest-round-trip float printer. The output
 * is therefore valid JCS that any conformant implementation reproduces byte for byte.
 *
 * Signed bytes come only from here, never from cJSON's printer or the response writer.
 */
#ifndef CP_JSON_CANONICAL_H
#define CP_JSON_CANONICAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"

/*
 * Append the canonical form of item to out. Fails (false, *err set, out possibly partly
 * written) on a non-integral or out-of-range number, invalid UTF-8 in a string or name, or a
 * duplicate member name. Strings are taken as the UTF-8 bytes cJSON holds.
 */
bool cp_canonical_write(const cJSON *item, struct cp_buf *out, struct cp_error *err);

#endif
