/*
 * Parsing and applying the writable call fields (see call_input.h). The spec table is built
 * per request because its outputs point into the request's own struct; the field list itself
 * is static.
 */
#include "handlers/call_input.h"

#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "handlers/call_json.h"
#include "json/spec.h"
#include "json/write.h"

enum field {
    F_USER_ID,
    F_AGENT_ID,
    F_TYPE,
    F_DIRECTION,
    F_FROM,
    F_TO,
    F_PHONE_NUMBER_ID,
    F_CALL_ID,
    F_STATUS,
    F_OUTCOME,
    F_CAMPAIGN,
    F_STARTED,
    F_ENDED,
    F_DURATION,
    F_TALK_TIME,
    F_RECORDING_URL,
    F_TRANSCRIPT,
    F_TURNS,
    F_TURNS_APPEND,
    F_ANALYSIS,
    F_LATENCY,
    F_METADATA,
    F_COSTS,
    F_AGENT,
    F_TEL_PROVIDER,
    F_TEL_ID,
    F_HUMAN,
    F_DNC,
    F_HIPAA,
    F_ON_NO_HUMAN,
    F_ERROR_MESSAGE,
    F__COUNT
};

#define ID_MAX 128
#define TEXT_MAX (512 * 1024)
#define TURNS_MAX 10000
#define TURN_TEXT_MAX 65536

static const char *const directions[] = {"inbound", "outbound", NULL};
static const char *const statuses[] = {"not_started", "in_progress", "ended", "error", NULL};
static const char *const outcomes[] = {"completed", "no_answer", "busy",
                                       "voicemail", "failed",    NULL};
static const char *const human_results[] = {"human", "no_human", NULL};
static const char *const no_human_actions[] = {"continue", "hangup", NULL};
static const char *const roles[] = {"agent", "customer", NULL};

/* Fields the server owns: never writable by a client. */
static const char *const server_owned[] = {"id",        "created_at", "updated_at",  "tenant",
                                           "tenant_id", "state",      "epa_results", NULL};

static const char *
check_http_url(const char *s)
{
    static const char msg[] = "an absolute http(s) URL such as https://host/path";
    const char *host = strncmp(s, "https://", 8) == 0  ? s + 8
                       : strncmp(s, "http://", 7) == 0 ? s + 7
                                                       : NULL;
    if (host == NULL || *host == '\0' || strchr("/?#:@", *host) != NULL)
        return msg;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return msg;
    return NULL;
}

/* Validate one transcript_objects array and write its items, in callproof's stored form
 * {"role","text","at_ms"}, into w (which is inside an open array). */
static enum cp_err
turns_write(const cJSON *arr, const char *field, struct cp_jw *w, struct cp_error *err)
{
    int n = cJSON_GetArraySize(arr);
    if (n > TURNS_MAX)
        return cp_error_set(err, CP_ERR_INVALID_FIELD, field,
                            "Field '%s' may have at most %d items.", field, TURNS_MAX);
    int i = 0;
    size_t field_len = strlen(field);
    CP_ASSERT(field_len + CP_JW_INT_MAX + 3 <= 96);
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        /* "field[i]", written by hand: this runs for every turn of every body. */
        char path[96];
        memcpy(path, field, field_len);
        size_t len = field_len;
        path[len++] = '[';
        len += cp_jw_format_int(i, path + len);
        path[len++] = ']';
        path[len] = '\0';
        if (!cJSON_IsObject(it))
            return cp_error_set(err, CP_ERR_INVALID_FIELD, path, "Field '%s' must be an object.",
                                path);
        const char *content = NULL, *role = NULL;
        int64_t at_ms = 0;
        struct cp_jspec spec[] = {
            CP_JSPEC_STRING("content", &content, CP_JF_REQUIRED, 0, TURN_TEXT_MAX),
            CP_JSPEC_TIME("timestamp", &at_ms, CP_JF_NULLABLE),
            CP_JSPEC_ENUM("role", &role, CP_JF_NULLABLE, roles),
            CP_JSPEC_END,
        };
        if (cp_jspec_parse(it, spec, path, err) != CP_OK)
            return err->code;
        cp_jw_obj_begin(w);
        cp_jw_kstr(w, "role", role);
        cp_jw_kstr(w, "text", content);
        cp_jw_key(w, "at_ms");
        if (at_ms != 0)
            cp_jw_int(w, at_ms);
        else
            cp_jw_null(w);
        cp_jw_obj_end(w);
    }
    return CP_OK;
}

static void
set_bit(unsigned long *bits, int f, bool on)
{
    if (on)
        *bits |= 1ul << f;
}

static bool
has(unsigned long bits, int f)
{
    return (bits >> f) & 1ul;
}

enum cp_err
cp_call_input_parse(const cJSON *body, enum cp_call_input_mode mode, struct cp_arena *arena,
                    struct cp_call_input *out, struct cp_error *err)
{
    memset(out, 0, sizeof(*out));
    out->mode = mode;
    struct cp_call *v = &out->v;
    cp_call_init(v);
    for (int i = 0; server_owned[i] != NULL; i++) {
        if (cJSON_GetObjectItemCaseSensitive(body, server_owned[i]) != NULL)
            return cp_error_set(err, CP_ERR_READ_ONLY_FIELD, server_owned[i],
                                "Field '%s' is set by the server and cannot be sent.",
                                server_owned[i]);
    }
    static const char *const immutable[] = {"user_id",         "agent_id",    "type",
                                            "direction",       "from_number", "to_number",
                                            "phone_number_id", "call_id",     NULL};
    if (mode == CP_CALL_CREATE &&
        cJSON_GetObjectItemCaseSensitive(body, "transcript_objects_append") != NULL)
        return cp_error_set(err, CP_ERR_UNKNOWN_FIELD, "transcript_objects_append",
                            "Field 'transcript_objects_append' is for updates; a new call takes "
                            "'transcript_objects'.");
    for (int i = 0; mode == CP_CALL_UPDATE && immutable[i] != NULL; i++) {
        if (cJSON_GetObjectItemCaseSensitive(body, immutable[i]) != NULL)
            return cp_error_set(err, CP_ERR_READ_ONLY_FIELD, immutable[i],
                                "Field '%s' cannot be changed after the call is created.",
                                immutable[i]);
    }

    unsigned req = mode == CP_CALL_CREATE ? CP_JF_REQUIRED : 0;
    bool sent[F__COUNT] = {false}, null[F__COUNT] = {false};
    const char *direction = NULL, *status = NULL, *outcome = NULL;
    const cJSON *costs = NULL, *agent = NULL, *turns = NULL;
    bool dnc = false;
#define P(f) .present = &sent[f], .is_null = &null[f]
    struct cp_jspec spec[] = {
        {.name = "user_id",
         .type = CP_JT_STRING,
         .flags = req,
         .check = cp_check_uuid,
         .out = &v->user_id,
         P(F_USER_ID)},
        {.name = "agent_id",
         .type = CP_JT_STRING,
         .flags = req,
         .check = cp_check_uuid,
         .out = &v->agent_id,
         P(F_AGENT_ID)},
        {.name = "type",
         .type = CP_JT_STRING,
         .flags = req,
         .min = 1,
         .max = 64,
         .out = &v->type,
         P(F_TYPE)},
        /* Optional although seed 004's table marks it required: the seed's own example
         * request omits it, and documented requests must work as written. */
        {.name = "direction",
         .type = CP_JT_ENUM,
         .flags = CP_JF_NULLABLE,
         .choices = directions,
         .out = &direction,
         P(F_DIRECTION)},
        {.name = "from_number",
         .type = CP_JT_STRING,
         .flags = req,
         .check = cp_check_phone,
         .out = &v->from_number,
         P(F_FROM)},
        {.name = "to_number",
         .type = CP_JT_STRING,
         .flags = req,
         .check = cp_check_phone,
         .out = &v->to_number,
         P(F_TO)},
        {.name = "phone_number_id",
         .type = CP_JT_STRING,
         .flags = req,
         .check = cp_check_uuid,
         .out = &v->phone_number_id,
         P(F_PHONE_NUMBER_ID)},
        {.name = "call_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = ID_MAX,
         .check = cp_check_path_id,
         .out = &v->external_id,
         P(F_CALL_ID)},
        {.name = "status", .type = CP_JT_ENUM, .choices = statuses, .out = &status, P(F_STATUS)},
        {.name = "outcome",
         .type = CP_JT_ENUM,
         .flags = CP_JF_NULLABLE,
         .choices = outcomes,
         .out = &outcome,
         P(F_OUTCOME)},
        {.name = "campaign_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = ID_MAX,
         .out = &v->campaign_id,
         P(F_CAMPAIGN)},
        {.name = "started_at",
         .type = CP_JT_TIME,
         .flags = CP_JF_NULLABLE,
         .out = &v->started_ms,
         P(F_STARTED)},
        {.name = "ended_at",
         .type = CP_JT_TIME,
         .flags = CP_JF_NULLABLE,
         .out = &v->ended_ms,
         P(F_ENDED)},
        {.name = "duration",
         .type = CP_JT_INT,
         .flags = CP_JF_NULLABLE,
         .min = 0,
         .max = 7 * 86400,
         .out = &v->duration_s,
         P(F_DURATION)},
        {.name = "talk_time",
         .type = CP_JT_INT,
         .flags = CP_JF_NULLABLE,
         .min = 0,
         .max = 7 * 86400,
         .out = &v->talk_time_s,
         P(F_TALK_TIME)},
        {.name = "recording_url",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = 2048,
         .check = check_http_url,
         .out = &v->recording_url,
         P(F_RECORDING_URL)},
        {.name = "transcript",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .max = TEXT_MAX,
         .out = &v->transcript,
         P(F_TRANSCRIPT)},
        {.name = "transcript_objects",
         .type = CP_JT_ARRAY,
         .flags = CP_JF_NULLABLE,
         .out = &turns,
         P(F_TURNS)},
        {.name = "transcript_objects_append",
         .type = CP_JT_ARRAY,
         .out = &out->turns_append,
         P(F_TURNS_APPEND)},
        {.name = "analysis",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .max = 65536,
         .out = &v->analysis_json,
         P(F_ANALYSIS)},
        {.name = "latency_metrics",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .max = 65536,
         .out = &v->latency_metrics_json,
         P(F_LATENCY)},
        {.name = "metadata",
         .type = CP_JT_OBJECT,
         .flags = CP_JF_NULLABLE,
         .out = &out->metadata,
         P(F_METADATA)},
        {.name = "costs", .type = CP_JT_OBJECT, .flags = CP_JF_NULLABLE, .out = &costs, P(F_COSTS)},
        {.name = "agent", .type = CP_JT_OBJECT, .flags = CP_JF_NULLABLE, .out = &agent, P(F_AGENT)},
        {.name = "telephony_provider",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = 32,
         .out = &v->telephony_provider,
         P(F_TEL_PROVIDER)},
        {.name = "telephony_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = ID_MAX,
         .out = &v->telephony_id,
         P(F_TEL_ID)},
        {.name = "human_detection_result",
         .type = CP_JT_ENUM,
         .flags = CP_JF_NULLABLE,
         .choices = human_results,
         .out = &v->human_detection_result,
         P(F_HUMAN)},
        {.name = "do_not_call_result",
         .type = CP_JT_BOOL,
         .flags = CP_JF_NULLABLE,
         .out = &dnc,
         P(F_DNC)},
        {.name = "hipaa_compliant",
         .type = CP_JT_BOOL,
         .flags = CP_JF_NULLABLE,
         .out = &v->hipaa_compliant,
         P(F_HIPAA)},
        {.name = "on_no_human_answer",
         .type = CP_JT_ENUM,
         .flags = CP_JF_NULLABLE,
         .choices = no_human_actions,
         .out = &v->on_no_human_answer,
         P(F_ON_NO_HUMAN)},
        {.name = "error_message",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .max = 4096,
         .out = &v->error_message,
         P(F_ERROR_MESSAGE)},
        CP_JSPEC_END,
    };
#undef P
    if (cp_jspec_parse(body, spec, "", err) != CP_OK)
        return err->code;

    if (direction != NULL)
        cp_direction_parse(direction, &v->direction);
    if (status != NULL)
        cp_status_parse(status, &v->status);
    if (outcome != NULL)
        cp_outcome_parse(outcome, &v->outcome);
    if (sent[F_DNC] && !null[F_DNC])
        v->do_not_call_result = dnc ? CP_TRI_TRUE : CP_TRI_FALSE;
    if (sent[F_TURNS] && sent[F_TURNS_APPEND])
        return cp_error_set(err, CP_ERR_INVALID_FIELD, "transcript_objects_append",
                            "Send either 'transcript_objects' (replace) or "
                            "'transcript_objects_append' (append), not both.");
    if (costs != NULL && (v->costs_json = cp_call_costs_parse(costs, arena, err)) == NULL)
        return err->code;
    struct cp_jspec agent_spec[] = {
        CP_JSPEC_STRING("name", &v->agent_name, CP_JF_NULLABLE, 1, 256),
        CP_JSPEC_END,
    };
    if (agent != NULL && cp_jspec_parse(agent, agent_spec, "agent", err) != CP_OK)
        return err->code;
    if (out->metadata != NULL && (out->metadata_json = cp_call_metadata_parse(
                                      out->metadata, "metadata", arena, err)) == NULL)
        return err->code;
    const cJSON *to_check[2] = {turns, out->turns_append};
    const char *names[2] = {"transcript_objects", "transcript_objects_append"};
    for (int k = 0; k < 2; k++) {
        if (to_check[k] == NULL)
            continue;
        struct cp_buf b = CP_BUF_INIT;
        struct cp_jw w;
        cp_jw_init(&w, &b);
        cp_jw_arr_begin(&w);
        enum cp_err e = turns_write(to_check[k], names[k], &w, err);
        cp_jw_arr_end(&w);
        if (e == CP_OK && k == 0)
            out->turns_replace_json = cp_arena_strndup(arena, b.data, b.len);
        cp_buf_free(&b);
        if (e != CP_OK)
            return e;
    }
    for (int f = 0; f < F__COUNT; f++) {
        set_bit(&out->sent, f, sent[f]);
        set_bit(&out->null, f, null[f]);
    }
    return CP_OK;
}

/* RFC 7396 JSON merge patch of patch into target (both objects); target is modified. An
 * object in the patch merges into what is there, or into an empty object, so nulls inside it
 * are removed at every depth, as the RFC's MergePatch does. */
static void
merge_patch(cJSON *target, const cJSON *patch)
{
    for (const cJSON *p = patch->child; p != NULL; p = p->next) {
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(target, p->string);
        if (cJSON_IsNull(p)) {
            cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
        } else if (cJSON_IsObject(p)) {
            if (!cJSON_IsObject(cur)) {
                cur = cJSON_CreateObject();
                if (cJSON_GetObjectItemCaseSensitive(target, p->string) != NULL)
                    cJSON_ReplaceItemInObjectCaseSensitive(target, p->string, cur);
                else
                    cJSON_AddItemToObject(target, p->string, cur);
            }
            merge_patch(cur, p);
        } else {
            cJSON *copy = cJSON_Duplicate(p, true);
            if (cur != NULL)
                cJSON_ReplaceItemInObjectCaseSensitive(target, p->string, copy);
            else
                cJSON_AddItemToObject(target, p->string, copy);
        }
    }
}

static enum cp_err
apply_metadata(const struct cp_call_input *in, struct cp_call *call, struct cp_arena *arena,
               struct cp_error *err)
{
    if (in->mode == CP_CALL_CREATE) { /* stored as sent, serialised when it was checked */
        call->metadata_json = in->metadata_json != NULL
                                  ? in->metadata_json
                                  : cp_call_metadata_parse(in->metadata, "metadata", arena, err);
        return call->metadata_json ? CP_OK : err->code;
    }
    /* RFC 7396: merge into what is stored (or an empty object). */
    cJSON *target = call->metadata_json ? cJSON_Parse(call->metadata_json) : cJSON_CreateObject();
    if (target == NULL || !cJSON_IsObject(target)) {
        cJSON_Delete(target);
        return cp_error_set(err, CP_ERR_INTERNAL, NULL, "Stored metadata is unreadable.");
    }
    merge_patch(target, in->metadata);
    const char *merged = cp_call_metadata_parse(target, "metadata", arena, err);
    cJSON_Delete(target);
    if (merged == NULL)
        return err->code;
    call->metadata_json = merged;
    return CP_OK;
}

static const char *
append_turns(const char *existing, const cJSON *items, struct cp_arena *arena, struct cp_error *err)
{
    struct cp_buf b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &b);
    cp_jw_arr_begin(&w);
    enum cp_err e = turns_write(items, "transcript_objects_append", &w, err);
    cp_jw_arr_end(&w);
    const char *out = NULL;
    if (e == CP_OK) {
        size_t el = existing ? strlen(existing) : 0;
        if (el <= 2 || b.len <= 2) /* "[]" on either side */
            out = cp_arena_strdup(arena, el > 2 ? existing : b.data);
        else /* both are our own "[...]": splice */
            out = cp_arena_printf(arena, "%.*s,%s", (int)(el - 1), existing, b.data + 1);
    }
    cp_buf_free(&b);
    return out;
}

#define COPY(f, member)                                                                            \
    do {                                                                                           \
        if (has(in->sent, f))                                                                      \
            call->member = in->v.member;                                                           \
    } while (0)

enum cp_err
cp_call_input_apply(const struct cp_call_input *in, struct cp_call *call, int64_t now_ms,
                    struct cp_arena *arena, struct cp_error *err)
{
    if (has(in->sent, F_STATUS)) {
        if (!cp_status_transition_ok(call->status, in->v.status))
            return cp_error_set(err, CP_ERR_INVALID_TRANSITION, "status",
                                "The call's status cannot change from '%s' to '%s'.",
                                cp_status_name(call->status), cp_status_name(in->v.status));
        call->status = in->v.status;
    }
    COPY(F_USER_ID, user_id);
    COPY(F_AGENT_ID, agent_id);
    COPY(F_TYPE, type);
    COPY(F_DIRECTION, direction);
    COPY(F_FROM, from_number);
    COPY(F_TO, to_number);
    COPY(F_PHONE_NUMBER_ID, phone_number_id);
    COPY(F_CALL_ID, external_id);
    COPY(F_OUTCOME, outcome);
    COPY(F_CAMPAIGN, campaign_id);
    COPY(F_STARTED, started_ms);
    COPY(F_ENDED, ended_ms);
    COPY(F_DURATION, duration_s);
    COPY(F_TALK_TIME, talk_time_s);
    COPY(F_TRANSCRIPT, transcript);
    COPY(F_ANALYSIS, analysis_json);
    COPY(F_LATENCY, latency_metrics_json);
    COPY(F_COSTS, costs_json);
    COPY(F_TEL_PROVIDER, telephony_provider);
    COPY(F_TEL_ID, telephony_id);
    COPY(F_HUMAN, human_detection_result);
    COPY(F_DNC, do_not_call_result);
    COPY(F_HIPAA, hipaa_compliant);
    COPY(F_ON_NO_HUMAN, on_no_human_answer);
    COPY(F_ERROR_MESSAGE, error_message);
    if (has(in->sent, F_AGENT))
        call->agent_name = has(in->null, F_AGENT) ? NULL : in->v.agent_name;
    if (has(in->sent, F_RECORDING_URL)) {
        call->recording_url = in->v.recording_url;
        call->recording_available = in->v.recording_url != NULL;
    }
    if (has(in->sent, F_METADATA)) {
        if (has(in->null, F_METADATA))
            call->metadata_json = NULL;
        else if (apply_metadata(in, call, arena, err) != CP_OK)
            return err->code;
    }
    if (has(in->sent, F_TURNS))
        call->turns_json = in->turns_replace_json;
    if (in->turns_append != NULL &&
        (call->turns_json = append_turns(call->turns_json, in->turns_append, arena, err)) == NULL)
        return err->code;

    if (call->started_ms != 0 && call->ended_ms != 0 && call->ended_ms < call->started_ms)
        return cp_error_set(err, CP_ERR_INVALID_FIELD, "ended_at",
                            "Field 'ended_at' must not be before 'started_at'.");
    if (call->duration_s < 0 && call->started_ms != 0 && call->ended_ms != 0)
        call->duration_s = (call->ended_ms - call->started_ms) / 1000;
    call->updated_ms = now_ms;
    return CP_OK;
}
