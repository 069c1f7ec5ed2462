/*
 * The recording object and the seed-003 success envelope
 * {"status":"success","message":"...","data":<value>}, shared by the recording-log and audio
 * endpoints.
 */
#ifndef CP_HANDLERS_RECORDING_JSON_H
#define CP_HANDLERS_RECORDING_JSON_H

#include "domain/call.h"
#include "http/request.h"
#include "json/write.h"
#include "store/store.h"

/* Start the envelope on rep with status; the caller writes the data value next, then calls
 * cp_recording_reply_end. message must outlive the call (it is copied into the body). */
void cp_recording_reply_begin(struct cp_reply *rep, struct cp_jw *w, unsigned status,
                              const char *message);
void cp_recording_reply_end(struct cp_jw *w);

/* A recording of call: the seed's fields (call_id is the tenant's call_id when it has one,
 * else the server id), plus the audio facts callproof holds (sha256, size_bytes,
 * content_type; null until audio is uploaded). */
void cp_recording_write(struct cp_jw *w, const struct cp_call *call, const struct cp_recording *r);

#endif
