/*
 * Every handler, one file per resource. Handlers read parse -> check -> transact -> reply,
 * never touch libmicrohttpd or SQL, and take everything from struct cp_req.
 */
#ifndef CP_HANDLERS_HANDLERS_H
#define CP_HANDLERS_HANDLERS_H

#include "http/request.h"

/* handlers/health.c */
void cp_h_health_get(struct cp_req *req, struct cp_reply *rep);

/* handlers/calls_ovia.c: the Ovia face (seed 004) */
void cp_h_calls_create(struct cp_req *req, struct cp_reply *rep);
void cp_h_calls_get(struct cp_req *req, struct cp_reply *rep);
void cp_h_calls_update(struct cp_req *req, struct cp_reply *rep);
void cp_h_calls_list(struct cp_req *req, struct cp_reply *rep);

/* Inside a transaction: load the tenant's call by server id or call_id into *out; on NONE the
 * reply is already a 404 "Call not found: <id>." (handlers/calls_ovia.c). */
enum cp_qs cp_call_load(struct cp_store_conn *c, struct cp_txn_ctx *t, const char *id,
                        struct cp_call *out);

/* handlers/calls_vocode.c: the Vocode face (seed 001) */
void cp_h_calls_end(struct cp_req *req, struct cp_reply *rep);

/* handlers/voice_calls.c: the contact-center face (seed 002) */
void cp_h_voice_calls_list(struct cp_req *req, struct cp_reply *rep);
void cp_h_voice_calls_get(struct cp_req *req, struct cp_reply *rep);
void cp_h_voice_calls_epa_get(struct cp_req *req, struct cp_reply *rep);
void cp_h_voice_calls_epa_put(struct cp_req *req, struct cp_reply *rep);

/* handlers/recordings.c: recording logs (seed 003) */
void cp_h_recording_log_put(struct cp_req *req, struct cp_reply *rep);
void cp_h_recording_log_list(struct cp_req *req, struct cp_reply *rep);

/* handlers/audio.c: recording audio, signed links and downloads */
extern const struct cp_stream_ops cp_h_audio_upload;
void cp_h_recording_url(struct cp_req *req, struct cp_reply *rep);
void cp_h_recording_download(struct cp_req *req, struct cp_reply *rep);

/* handlers/consents.c: consent records */
void cp_h_consents_create(struct cp_req *req, struct cp_reply *rep);
void cp_h_consents_get(struct cp_req *req, struct cp_reply *rep);
void cp_h_consents_list(struct cp_req *req, struct cp_reply *rep);
/* handlers/capture.c: consent captured by voice */
void cp_h_capture_verbal(struct cp_req *req, struct cp_reply *rep);
/* handlers/revoke.c: opt-outs */
void cp_h_revoke(struct cp_req *req, struct cp_reply *rep);
void cp_h_revocations_list(struct cp_req *req, struct cp_reply *rep);
/* handlers/precall.c: may this call be placed now? */
void cp_h_precall(struct cp_req *req, struct cp_reply *rep);

/* handlers/postcall.c: seal a finished call into an evidence bundle (seed 000) */
void cp_h_post_call(struct cp_req *req, struct cp_reply *rep);
/* handlers/evidence.c: reading evidence, the log and the keys */
void cp_h_evidence_get(struct cp_req *req, struct cp_reply *rep);
void cp_h_evidence_export(struct cp_req *req, struct cp_reply *rep);
void cp_h_evidence_public(struct cp_req *req, struct cp_reply *rep);
void cp_h_log_checkpoint(struct cp_req *req, struct cp_reply *rep);
void cp_h_log_inclusion(struct cp_req *req, struct cp_reply *rep);
void cp_h_log_consistency(struct cp_req *req, struct cp_reply *rep);
void cp_h_keys(struct cp_req *req, struct cp_reply *rep);
/* handlers/retention.c: deletes, refused under retention */
void cp_h_calls_delete(struct cp_req *req, struct cp_reply *rep);
void cp_h_evidence_delete(struct cp_req *req, struct cp_reply *rep);

#endif
