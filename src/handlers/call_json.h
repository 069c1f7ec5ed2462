/*
 * Shared pieces of the call faces: validating the JSON-valued call fields (costs, metadata,
 * agent) into the stored JSON text, and writing a call in each face's shape.
 */
#ifndef CP_HANDLERS_CALL_JSON_H
#define CP_HANDLERS_CALL_JSON_H

#include <cjson/cJSON.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/call.h"
#include "json/write.h"

#define CP_METADATA_MAX_BYTES 16384
#define CP_METADATA_MAX_MEMBERS 64

/* Validate Ovia `costs` ({llm, stt, tts, total: number >= 0, details: {...}}) and return it
 * re-serialized by our writer (arena). NULL + *err on bad input. */
const char *cp_call_costs_parse(const cJSON *costs, struct cp_arena *a, struct cp_error *err);
/* Validate a free-form metadata object (bounded size) and return its serialization (arena). */
const char *cp_call_metadata_parse(const cJSON *meta, const char *field, struct cp_arena *a,
                                   struct cp_error *err);

/* The Ovia (seed 004) call object. */
void cp_call_write_ovia(struct cp_jw *w, const struct cp_call *c);
/* The contact-center (seed 002) voice call object, camelCase, transcript turns with
 * "HH:MM:SS" offsets and epaResults inline (null when there are none). */
void cp_call_write_cc(struct cp_jw *w, const struct cp_call *c);
/* The Vocode (seed 001) call object: every documented top-level field, `agent` with the fields
 * callproof holds (id, user_id) and the rest null. */
void cp_call_write_vocode(struct cp_jw *w, const struct cp_call *c);

#endif
