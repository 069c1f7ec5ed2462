/*
 * Consent records: ids, the signed canonical record, and the JSON shape the consent endpoints
 * answer with. Every consent callproof stores, imported or captured in a call, is signed with
 * the server's Ed25519 key over "callproof/consent/v1\n" followed by the record's RFC 8785 bytes,
 * so a later reader can check it without trusting the database.
 */
#ifndef CP_HANDLERS_CONSENT_RECORD_H
#define CP_HANDLERS_CONSENT_RECORD_H

#include <cjson/cJSON.h>

#include "http/request.h"
#include "json/write.h"
#include "store/store.h"

#define CP_CONSENT_DOMAIN "callproof/consent/v1\n"
/* How far ahead of the server's clock a client's event time (a capture, a revocation, a call)
 * may be: clock skew, not scheduling. */
#define CP_CLIENT_SKEW_MS (5 * 60 * 1000)

/* A fresh id "<prefix>_" + 32 hex chars (128 random bits) into out (CP_CONSENT_ID_LEN + 1). */
void cp_consent_new_id(const char *prefix, char out[CP_CONSENT_ID_LEN + 1]);
/* cp_jspec check for a consent id a client brings (imported from the system that captured
 * it): "cst_" then 8 to 64 letters or digits. */
const char *cp_check_consent_id(const char *s);

/*
 * Canonicalize record (a cJSON object the caller built; its "key_id" member is added here) and
 * sign it: fills c->record, c->signature, c->key_id and c->record_sha256 (the record's SHA-256
 * in hex, stored with it) (arena copies). False + *err if the
 * record cannot be canonicalized (a bug: records hold only strings, integers, booleans).
 */
bool cp_consent_seal(struct cp_req *req, cJSON *record, struct cp_consent *c, struct cp_error *err);

/* cp_req_transact body storing the sealed consent t->cls (struct cp_consent *): 201 with the
 * consent and its Location, or 409 when an imported consent_id is taken. */
enum cp_qs cp_consent_insert_txn(struct cp_store_conn *c, struct cp_txn_ctx *t);

/*
 * Check a client's event time (ms) for field: when given, after the epoch (0 means "unknown"
 * everywhere in callproof); and not more than CP_CLIENT_SKEW_MS ahead of now. future_why is
 * appended to the "must not be in the future" message ("" or ": because ..."). False with a 400
 * invalid_field naming the field in rep.
 */
bool cp_check_event_time(struct cp_reply *rep, const char *field, int64_t ms, bool given,
                         int64_t now, const char *future_why);

/* The consent as the API shows it: its fields (from the signed record), valid, revoked_at,
 * revocation_id, and the proof: record_canonical (the exact signed bytes), signature, key_id,
 * public_key (base64). */
void cp_consent_write(struct cp_jw *w, const struct cp_req *req, const struct cp_consent *c);

#endif
