/*
 * The route table (routes.c lists every endpoint once) and the matcher. A pattern is a path
 * whose segments are literals or {name} (one non-empty segment).
 */
#ifndef CP_HTTP_ROUTE_H
#define CP_HTTP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"

#define CP_SCOPE_PUBLIC 0u /* no Authorization needed */

struct cp_route {
    unsigned method;     /* one enum cp_method; GET routes also answer HEAD */
    const char *pattern; /* "/api/v1/calls/{id}" */
    uint32_t scope;      /* CP_SCOPE_* bit required, or CP_SCOPE_PUBLIC */
    int64_t body_limit;  /* bytes; 0 = the configured max_body_bytes; -1 = no body allowed */
    bool json;           /* body must be application/json and a JSON object */
    cp_handler_fn handler;
    /* Non-NULL: the body streams to these callbacks (limit max_audio_bytes); handler unused. */
    const struct cp_stream_ops *stream;
};

extern const struct cp_route cp_routes[];
extern const size_t cp_n_routes;

enum cp_route_match { CP_ROUTE_FOUND, CP_ROUTE_NO_PATH, CP_ROUTE_NO_METHOD };

/*
 * Match method + decoded path against the table. FOUND: *out_route and params are set
 * (params point into arena copies). NO_METHOD: *out_allowed has the mask of methods the path
 * takes (HEAD included where GET is). NO_PATH: nothing matched.
 */
enum cp_route_match cp_route_match(const struct cp_route *table, size_t n, enum cp_method method,
                                   const char *path, struct cp_arena *arena,
                                   const struct cp_route **out_route,
                                   const char *out_params[CP_MAX_PATH_PARAMS], size_t *out_n_params,
                                   unsigned *out_allowed);

/* "GET, HEAD, POST" for a method mask, into out (n bytes). */
void cp_route_allow_header(unsigned mask, char *out, size_t n);
/* Method name to enum; 0 if unknown. */
enum cp_method cp_method_parse(const char *name);
const char *cp_method_name(enum cp_method m);

#endif
