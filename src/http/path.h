/*
 * Strict decoding of the request target. libmicrohttpd 0.9.75 decodes %00 into a NUL (silently
 * truncating the path it hands us) and %2e%2e%2f into ../ (verified, research/reliability.md
 * §0.1), so callproof takes the raw target and decodes it itself, refusing what no honest
 * client sends.
 */
#ifndef CP_HTTP_PATH_H
#define CP_HTTP_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/error.h"
#include "http/request.h"

/*
 * Split raw ("/a/b%20c?x=1&y=2") into a decoded path and decoded query parameters.
 * The path must start with '/'; percent-escapes must be two hex digits; rejected with
 * CP_ERR_BAD_PATH: %00 or a raw control byte, an encoded '/' (%2F) or '\\', a "." or ".."
 * segment (raw or encoded), invalid UTF-8 after decoding. In the query, '+' means space,
 * names must be non-empty and unique, and the same escapes rules apply (CP_ERR_BAD_QUERY,
 * field = the parameter name). Output strings are arena copies.
 */
enum cp_err cp_path_decode(const char *raw, struct cp_arena *arena, const char **out_path,
                           struct cp_kv **out_query, size_t *out_n_query, struct cp_error *err);

#endif
