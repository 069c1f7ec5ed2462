/*
 * The writable fields of a call, as the Ovia face (snake_case) takes them on create (POST) and
 * update (PATCH): one spec, one validation, one place that applies them to the call record.
 */
#ifndef CP_HANDLERS_CALL_INPUT_H
#define CP_HANDLERS_CALL_INPUT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/call.h"

enum cp_call_input_mode { CP_CALL_CREATE, CP_CALL_UPDATE };

/* One parsed request body: the values, and for each field whether it was sent (and null). */
struct cp_call_input {
    enum cp_call_input_mode mode;
    struct cp_call v;   /* values of the fields that were sent */
    unsigned long sent; /* bit per field (enum in call_input.c) */
    unsigned long null; /* sent as JSON null */
    const cJSON *metadata;
    const char *metadata_json;      /* metadata, validated and serialised (arena) */
    const char *turns_replace_json; /* transcript_objects, validated and re-serialized */
    const cJSON *turns_append;      /* transcript_objects_append, validated */
};

/*
 * Validate body (a JSON object) for mode: on CREATE the seven Ovia fields are required; on
 * UPDATE they, and call_id, cannot be sent (read_only_field). Server-owned fields (id,
 * created_at, updated_at, tenant, tenant_id, state) are read_only_field in both modes. Strings
 * in *out point into body or arena.
 */
enum cp_err cp_call_input_parse(const cJSON *body, enum cp_call_input_mode mode,
                                struct cp_arena *arena, struct cp_call_input *out,
                                struct cp_error *err);

/*
 * Apply a parsed input to call (the new call on CREATE, the stored one on UPDATE): sent fields
 * replace, null clears, metadata merges (RFC 7396) on UPDATE, transcript turns are replaced or
 * appended, the duration is derived from the times when unknown, and the status transition
 * and time order are checked. now_ms becomes updated_at. Errors: invalid_field (ended_at before
 * started_at), invalid_status_transition.
 */
enum cp_err cp_call_input_apply(const struct cp_call_input *in, struct cp_call *call,
                                int64_t now_ms, struct cp_arena *arena, struct cp_error *err);

#endif
