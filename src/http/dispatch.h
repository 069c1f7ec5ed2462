/*
 * The request path as plain functions, with no socket and no libmicrohttpd (so unit tests and
 * fuzzers drive exactly what the server runs). server.c calls cp_http_begin once the headers
 * are in, feeds the body, then calls cp_http_finish.
 */
#ifndef CP_HTTP_DISPATCH_H
#define CP_HTTP_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"

/*
 * Everything decidable from the request line and headers, in this order: request id, framing
 * (duplicate/conflicting Content-Length, Content-Length with Transfer-Encoding, a
 * Transfer-Encoding other than chunked -> 400), header limits (431), URL length (414), path
 * and query decoding (400), route (404, 405 + Allow), authentication (401 +
 * WWW-Authenticate) and scope (403), content type (415), declared length (413) and the
 * Idempotency-Key syntax (400).
 * Inputs: req->method_name, raw_uri, headers/n_headers set by the caller.
 * Returns true if the body should be read and cp_http_finish called; false when rep holds the
 * final answer. *out_body_limit gets the most body bytes this route accepts.
 */
bool cp_http_begin(struct cp_req *req, struct cp_reply *rep, int64_t *out_body_limit);

/* With req->body set: parse JSON, apply idempotency, run the handler. Returns true with the
 * answer in rep, or false when the handler submitted a write without waiting
 * (cp_req_transact_async, only with req->resume set): req->resume is then called from the
 * store's writer thread once rep is ready, and the server calls cp_http_complete. */
bool cp_http_finish(struct cp_req *req, struct cp_reply *rep);
void cp_http_complete(struct cp_req *req, struct cp_reply *rep);

/* Write the one log line for a finished request. status 0 = no answer of ours was sent;
 * termination is the transport's code (0 = completed normally), logged when not 0. */
void cp_http_log(const struct cp_req *req, const struct cp_reply *rep, size_t bytes_out,
                 int termination);

#endif
