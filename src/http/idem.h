/*
 * Idempotency-Key, one mechanism for every POST/PUT/PATCH route (Stripe's semantics, and the
 * IETF httpapi draft's status codes):
 *   - the key is 1..255 printable ASCII characters, sent at most once (else 400);
 *   - the first completed 2xx response is stored per tenant+key with a fingerprint of the
 *     method, target and body, in the same transaction as the request's effect;
 *   - a retry with the same key and the same request gets the stored response byte for byte
 *     plus `Idempotent-Replayed: true`; the same key with a different request gets 422
 *     idempotency_key_reused; the same key while the first is still running gets 409
 *     idempotency_in_progress;
 *   - errors (4xx and 5xx) are not stored: nothing happened, so a corrected retry with the same
 *     key runs normally. Records live at least idempotency_ttl_hours, then are purged.
 *
 * "Still running" is tracked in memory: a claim table of tenant+key for requests in flight in
 * this process. That is exact for one process per SQLite database (serve takes a lock on the
 * data directory to guarantee it); the PostgreSQL backend will add a claim row for many.
 */
#ifndef CP_HTTP_IDEM_H
#define CP_HTTP_IDEM_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* Syntax check of a header value: 1..255 bytes, each 0x20..0x7e. */
bool cp_idem_key_valid(const char *key);

/* The claim table. */
struct cp_idem_inflight *cp_idem_inflight_new(void);
void cp_idem_inflight_free(struct cp_idem_inflight *t); /* NULL ok */

/*
 * Before the handler runs (req->idem_key set, req->auth ok, body read): fingerprint the
 * request, claim the key, and look for a stored response. Returns true if the handler should
 * run; false when rep already holds the answer (a replay, 409, 422, or a store error).
 */
bool cp_idem_before(struct cp_req *req, struct cp_reply *rep);
/* The same for a streamed body, known by its SHA-256 instead of its bytes. */
bool cp_idem_before_digest(struct cp_req *req, struct cp_reply *rep,
                           const struct cp_sha256 *body_digest);
/* Inside a transaction: when the key has a live record, answer from it (the stored response
 * with Idempotent-Replayed, or 422 for another request) and return ONE; NONE when there is no
 * record; < 0 on a store error. */
enum cp_qs cp_idem_answer_recorded(struct cp_store_conn *c, struct cp_req *req,
                                   struct cp_reply *rep);
/* Release the claim taken by cp_idem_before (no-op if none). */
void cp_idem_release(struct cp_req *req);
/* Inside the request's transaction: store rep under the key if it is a 2xx. ONE when stored
 * (or nothing to store), NONE when a live record appeared meanwhile, < 0 on error. */
enum cp_qs cp_idem_save(struct cp_store_conn *c, struct cp_req *req, const struct cp_reply *rep);

#endif
