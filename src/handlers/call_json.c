/*
 * Validation of JSON-valued call fields and the Ovia call object writer. Stored JSON text is
 * always our own serialization of validated input, so reading it back never needs re-checking.
 */
#include "handlers/call_json.h"

#include <float.h>
#include <string.h>

#include "json/spec.h"
#include "json/stored.h"

const char *
cp_call_costs_parse(const cJSON *costs, struct cp_arena *a, struct cp_error *err)
{
    double llm = 0, stt = 0, tts = 0, total = 0;
    double tts_chars = 0, prompt = 0, completion = 0, stt_secs = 0;
    bool has[8] = {false};
    const cJSON *details = NULL;
    struct cp_jspec spec[] = {
        {.name = "llm",
         .type = CP_JT_NUMBER,
         .dmin = 0,
         .dmax = 1e12,
         .out = &llm,
         .present = &has[0]},
        {.name = "stt",
         .type = CP_JT_NUMBER,
         .dmin = 0,
         .dmax = 1e12,
         .out = &stt,
         .present = &has[1]},
        {.name = "tts",
         .type = CP_JT_NUMBER,
         .dmin = 0,
         .dmax = 1e12,
         .out = &tts,
         .present = &has[2]},
        {.name = "total",
         .type = CP_JT_NUMBER,
         .dmin = 0,
         .dmax = 1e12,
         .out = &total,
         .present = &has[3]},
        CP_JSPEC_OBJECT("details", &details, 0, 16),
        CP_JSPEC_END,
    };
    if (cp_jspec_parse(costs, spec, "costs", err) != CP_OK)
        return NULL;
    struct cp_jspec dspec[] = {
        {.name = "tts_characters",
         .type = CP_JT_NUMBER,
         .dmin = 0,
         .dmax = 1e15,
         .out = &tts_chars,
         .present = &has[4]},
        {.name = "llm_prompt_tokens",
         .type = CP_JT_NUMBER,
         .dmin = 0,
         .dmax = 1e15,
         .out = &prompt,
         .present = &has[5]},
        {.name = "llm_completion_tokens",
         .type = CP_JT_NUMBER,
         .dmin = 0,
         .dmax = 1e15,
         .out = &completion,
         .present = &has[6]},
        {.name = "stt_audio_duration_seconds",
         .type = CP_JT_NUMBER,
         .dmin = 0,
         .dmax = 1e15,
         .out = &stt_secs,
         .present = &has[7]},
        CP_JSPEC_END,
    };
    if (details != NULL && cp_jspec_parse(details, dspec, "costs.details", err) != CP_OK)
        return NULL;

    struct cp_buf b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &b);
    cp_jw_obj_begin(&w);
    static const char *const names[] = {"llm", "stt", "tts", "total"};
    const double vals[] = {llm, stt, tts, total};
    for (int i = 0; i < 4; i++) {
        cp_jw_key(&w, names[i]);
        if (has[i])
            cp_jw_double(&w, vals[i]);
        else
            cp_jw_null(&w);
    }
    cp_jw_key(&w, "details");
    cp_jw_obj_begin(&w);
    static const char *const dnames[] = {"tts_characters", "llm_prompt_tokens",
                                         "llm_completion_tokens", "stt_audio_duration_seconds"};
    const double dvals[] = {tts_chars, prompt, completion, stt_secs};
    for (int i = 0; i < 4; i++) {
        cp_jw_key(&w, dnames[i]);
        if (has[4 + i])
            cp_jw_double(&w, dvals[i]);
        else
            cp_jw_null(&w);
    }
    cp_jw_obj_end(&w);
    cp_jw_obj_end(&w);
    const char *out = cp_arena_strndup(a, b.data, b.len);
    cp_buf_free(&b);
    return out;
}

const char *
cp_call_metadata_parse(const cJSON *meta, const char *field, struct cp_arena *a,
                       struct cp_error *err)
{
    if (cJSON_GetArraySize(meta) > CP_METADATA_MAX_MEMBERS) {
        cp_error_set(err, CP_ERR_INVALID_FIELD, field, "Field '%s' may have at most %d members.",
                     field, CP_METADATA_MAX_MEMBERS);
        return NULL;
    }
    struct cp_buf b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &b);
    cp_jw_cjson(&w, meta);
    const char *out = b.len <= CP_METADATA_MAX_BYTES ? cp_arena_strndup(a, b.data, b.len) : NULL;
    cp_buf_free(&b);
    if (out == NULL)
        cp_error_set(err, CP_ERR_INVALID_FIELD, field, "Field '%s' may be at most %d bytes.", field,
                     CP_METADATA_MAX_BYTES);
    return out;
}

static void
raw_or_null(struct cp_jw *w, const char *json)
{
    if (json != NULL)
        cp_jw_raw(w, json, strlen(json));
    else
        cp_jw_null(w);
}

static void
int_or_null(struct cp_jw *w, int64_t v)
{
    if (v >= 0)
        cp_jw_int(w, v);
    else
        cp_jw_null(w);
}

/* The documented costs shape with nothing known yet. */
static const char empty_costs[] =
    "{\"llm\":null,\"stt\":null,\"tts\":null,\"total\":null,\"details\":{"
    "\"tts_characters\":null,\"llm_prompt_tokens\":null,\"llm_completion_tokens\":null,"
    "\"stt_audio_duration_seconds\":null}}";

/*
 * Ovia's metadata: the stored object, plus the four keys seed 004 documents (rule_id,
 * call_tag, call_id_full, sip_trunk_id) as null when the tenant never set them, so every
 * documented field is present.
 */
static const char *const metadata_documented[] = {"rule_id", "call_tag", "call_id_full",
                                                  "sip_trunk_id"};
#define N_DOCUMENTED (sizeof(metadata_documented) / sizeof(metadata_documented[0]))

/* The general path: parse the stored object with cJSON and write it again member by member. */
static void
write_metadata_ovia_cjson(struct cp_jw *w, const char *stored)
{
    cJSON *meta = stored ? cJSON_Parse(stored) : NULL;
    cp_jw_obj_begin(w);
    for (size_t i = 0; i < N_DOCUMENTED; i++)
        if (cJSON_GetObjectItemCaseSensitive(meta, metadata_documented[i]) == NULL)
            cp_jw_knull(w, metadata_documented[i]);
    for (const cJSON *m = meta ? meta->child : NULL; m != NULL; m = m->next) {
        cp_jw_key(w, m->string);
        cp_jw_cjson(w, m);
    }
    cp_jw_obj_end(w);
    cJSON_Delete(meta);
}

/*
 * The same bytes without a tree, when the stored text is in our writer's canonical form (it
 * always is, unless written by something else): one pass finds which documented keys are
 * there, then the stored members are copied after the missing ones. False: not canonical,
 * nothing written.
 */
static bool
write_metadata_ovia_raw(struct cp_jw *w, const char *stored)
{
    size_t len = strlen(stored);
    struct cp_jstored s;
    cp_jstored_init(&s, stored, len);
    bool present[N_DOCUMENTED] = {false};
    if (!cp_jstored_byte(&s, '{'))
        return false;
    bool empty = cp_jstored_byte(&s, '}');
    while (!empty) {
        const char *key;
        size_t key_len;
        if (!cp_jstored_string(&s, &key, &key_len) || !cp_jstored_byte(&s, ':') ||
            !cp_jstored_value(&s, 1))
            return false;
        /* Canonical keys are escaped only where they must be, so bytes compare as names do. */
        for (size_t i = 0; i < N_DOCUMENTED; i++)
            if (key_len == strlen(metadata_documented[i]) + 2 &&
                memcmp(key + 1, metadata_documented[i], key_len - 2) == 0)
                present[i] = true;
        if (cp_jstored_byte(&s, ','))
            continue;
        if (!cp_jstored_byte(&s, '}'))
            return false;
        break;
    }
    if (!cp_jstored_at_end(&s))
        return false;
    cp_jw_obj_begin(w);
    for (size_t i = 0; i < N_DOCUMENTED; i++)
        if (!present[i])
            cp_jw_knull(w, metadata_documented[i]);
    if (!empty)
        cp_jw_raw_members(w, stored + 1, len - 2); /* the members, between the braces */
    cp_jw_obj_end(w);
    return true;
}

static void
write_metadata_ovia(struct cp_jw *w, const char *stored)
{
    cp_jw_key(w, "metadata");
    if (stored == NULL || !write_metadata_ovia_raw(w, stored))
        write_metadata_ovia_cjson(w, stored);
}

static void
write_tristate(struct cp_jw *w, enum cp_tristate t)
{
    if (t == CP_TRI_UNSET)
        cp_jw_null(w);
    else
        cp_jw_bool(w, t == CP_TRI_TRUE);
}

enum turn_style { TURNS_OVIA, TURNS_CC };

/* A contact-center turn offset, "HH:MM:SS" from the call's start, as a JSON string. */
static void
write_offset(struct cp_jw *w, int64_t offset_ms)
{
    char out[26];
    out[0] = '"';
    size_t n = 1 + cp_call_format_offset(offset_ms, out + 1);
    out[n++] = '"';
    cp_jw_raw(w, out, n);
}

/* A turn's "timestamp": an instant (Ovia), or the offset from the call's start (contact
 * center; null when either time is unknown). */
static void
write_turn_time(struct cp_jw *w, const struct cp_call *c, enum turn_style style, int64_t at_ms)
{
    CP_JW_KEY(w, "timestamp");
    if (style == TURNS_OVIA)
        cp_jw_time(w, at_ms);
    else if (at_ms != 0 && c->started_ms != 0)
        write_offset(w, at_ms - c->started_ms);
    else
        cp_jw_null(w);
}

/* One turn in the face's shape, from its parts: role and text as JSON tokens (or NULL). */
static void
write_turn(struct cp_jw *w, const struct cp_call *c, enum turn_style style, const char *role,
           size_t role_len, const char *text, size_t text_len, int64_t at_ms)
{
    cp_jw_obj_begin(w);
    CP_JW_KEY(w, "role");
    if (role != NULL)
        cp_jw_raw(w, role, role_len);
    else
        cp_jw_null(w);
    if (style == TURNS_OVIA)
        CP_JW_KEY(w, "content");
    else
        CP_JW_KEY(w, "text");
    cp_jw_raw(w, text, text_len);
    write_turn_time(w, c, style, at_ms);
    cp_jw_obj_end(w);
}

/*
 * The turns straight from their stored text, which callproof's writer made in exactly this
 * form: [{"role":"agent"|null,"text":"...","at_ms":123|null},...]. Role and text are copied
 * as the tokens they are (json/stored.h: canonical tokens are what re-escaping would give).
 * False, with the writer and its buffer as they were, on anything else.
 */
static bool
write_turns_raw(struct cp_jw *w, const struct cp_call *c, enum turn_style style)
{
    struct cp_jstored s;
    cp_jstored_init(&s, c->turns_json, strlen(c->turns_json));
    struct cp_jw saved = *w;
    size_t saved_len = w->out->len;
    if (!cp_jstored_byte(&s, '['))
        return false;
    cp_jw_arr_begin(w);
    bool ok = true;
    if (!cp_jstored_byte(&s, ']')) {
        do {
            const char *role = NULL, *text;
            size_t role_len = 0, text_len;
            int64_t at_ms = 0;
            ok = cp_jstored_lit(&s, "{\"role\":", 8) &&
                 (cp_jstored_lit(&s, "null", 4) || cp_jstored_string(&s, &role, &role_len)) &&
                 cp_jstored_lit(&s, ",\"text\":", 8) && cp_jstored_string(&s, &text, &text_len) &&
                 cp_jstored_lit(&s, ",\"at_ms\":", 9) &&
                 (cp_jstored_lit(&s, "null", 4) || cp_jstored_int(&s, &at_ms)) &&
                 cp_jstored_byte(&s, '}');
            if (ok)
                write_turn(w, c, style, role, role_len, text, text_len, at_ms);
        } while (ok && cp_jstored_byte(&s, ','));
        ok = ok && cp_jstored_byte(&s, ']');
    }
    if (!ok || !cp_jstored_at_end(&s)) {
        saved.out->len = saved_len;
        saved.out->data[saved_len] = '\0';
        *w = saved;
        return false;
    }
    cp_jw_arr_end(w);
    return true;
}

/*
 * The general path for stored turns in any other form: parse them with cJSON (a parse that
 * fails writes no turns) and write each with what it has.
 */
static void
write_turns_cjson(struct cp_jw *w, const struct cp_call *c, enum turn_style style)
{
    cp_jw_arr_begin(w);
    cJSON *turns = c->turns_json ? cJSON_Parse(c->turns_json) : NULL;
    for (const cJSON *t = turns ? turns->child : NULL; t != NULL; t = t->next) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(t, "role");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(t, "text");
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(t, "at_ms");
        int64_t at_ms = cJSON_IsNumber(at) ? (int64_t)at->valuedouble : 0;
        cp_jw_obj_begin(w);
        cp_jw_kstr(w, "role", cJSON_IsString(role) ? role->valuestring : NULL);
        cp_jw_kstr(w, style == TURNS_OVIA ? "content" : "text",
                   cJSON_IsString(text) ? text->valuestring : "");
        write_turn_time(w, c, style, at_ms);
        cp_jw_obj_end(w);
    }
    cJSON_Delete(turns);
    cp_jw_arr_end(w);
}

/*
 * Transcript turns are stored as [{"role","text","at_ms"}] (callproof's own serialization);
 * each face shows them its way: Ovia {role, content, timestamp: date-time}, contact center
 * {role, text, timestamp: "HH:MM:SS" from call start}.
 */
static void
write_turns(struct cp_jw *w, const struct cp_call *c, enum turn_style style)
{
    if (c->turns_json == NULL || !write_turns_raw(w, c, style))
        write_turns_cjson(w, c, style);
}

void
cp_call_write_ovia(struct cp_jw *w, const struct cp_call *c)
{
    cp_jw_obj_begin(w);
    CP_JW_KEY(w, "id");
    cp_jw_str(w, c->id);
    CP_JW_KEY(w, "call_id");
    cp_jw_str(w, c->external_id);
    CP_JW_KEY(w, "user_id");
    cp_jw_str(w, c->user_id);
    CP_JW_KEY(w, "agent_id");
    cp_jw_str(w, c->agent_id);
    CP_JW_KEY(w, "type");
    cp_jw_str(w, c->type);
    CP_JW_KEY(w, "direction");
    cp_jw_str(w, cp_direction_name(c->direction));
    CP_JW_KEY(w, "from_number");
    cp_jw_str(w, c->from_number);
    CP_JW_KEY(w, "to_number");
    cp_jw_str(w, c->to_number);
    CP_JW_KEY(w, "phone_number_id");
    cp_jw_str(w, c->phone_number_id);
    CP_JW_KEY(w, "status");
    cp_jw_str(w, cp_status_name(c->status));
    CP_JW_KEY(w, "outcome");
    cp_jw_str(w, cp_outcome_name(c->outcome));
    CP_JW_KEY(w, "campaign_id");
    cp_jw_str(w, c->campaign_id);
    CP_JW_KEY(w, "started_at");
    cp_jw_time(w, c->started_ms);
    CP_JW_KEY(w, "ended_at");
    cp_jw_time(w, c->ended_ms);
    CP_JW_KEY(w, "duration");
    int_or_null(w, c->duration_s);
    CP_JW_KEY(w, "recording_url");
    cp_jw_str(w, c->recording_url);
    CP_JW_KEY(w, "transcript");
    cp_jw_str(w, c->transcript);
    CP_JW_KEY(w, "analysis");
    cp_jw_str(w, c->analysis_json);
    CP_JW_KEY(w, "latency_metrics");
    cp_jw_str(w, c->latency_metrics_json);
    CP_JW_KEY(w, "agent");
    cp_jw_obj_begin(w);
    CP_JW_KEY(w, "name");
    cp_jw_str(w, c->agent_name);
    cp_jw_obj_end(w);
    write_metadata_ovia(w, c->metadata_json);
    CP_JW_KEY(w, "costs");
    if (c->costs_json != NULL)
        cp_jw_raw(w, c->costs_json, strlen(c->costs_json));
    else
        cp_jw_raw(w, empty_costs, strlen(empty_costs));
    CP_JW_KEY(w, "telephony_provider");
    cp_jw_str(w, c->telephony_provider);
    CP_JW_KEY(w, "telephony_id");
    cp_jw_str(w, c->telephony_id);
    CP_JW_KEY(w, "human_detection_result");
    cp_jw_str(w, c->human_detection_result);
    CP_JW_KEY(w, "do_not_call_result");
    write_tristate(w, c->do_not_call_result);
    CP_JW_KEY(w, "hipaa_compliant");
    cp_jw_bool(w, c->hipaa_compliant);
    CP_JW_KEY(w, "on_no_human_answer");
    cp_jw_str(w, c->on_no_human_answer);
    CP_JW_KEY(w, "error_message");
    cp_jw_str(w, c->error_message);
    CP_JW_KEY(w, "talk_time");
    int_or_null(w, c->talk_time_s);
    CP_JW_KEY(w, "recording_available");
    cp_jw_bool(w, c->recording_available);
    CP_JW_KEY(w, "transcript_objects");
    write_turns(w, c, TURNS_OVIA);
    CP_JW_KEY(w, "created_at");
    cp_jw_time(w, c->created_ms);
    CP_JW_KEY(w, "updated_at");
    cp_jw_time(w, c->updated_ms);
    cp_jw_obj_end(w);
}

static const char *
direction_cc(enum cp_direction d)
{
    return d == CP_DIR_INBOUND ? "Inbound" : d == CP_DIR_OUTBOUND ? "Outbound" : NULL;
}

void
cp_call_write_cc(struct cp_jw *w, const struct cp_call *c)
{
    /* Every page of the contact-center list writes 50 of these: names quoted when compiling. */
    cp_jw_obj_begin(w);
    CP_JW_KEY(w, "id");
    cp_jw_str(w, c->id);
    CP_JW_KEY(w, "callId");
    cp_jw_str(w, c->external_id);
    CP_JW_KEY(w, "campaignId");
    cp_jw_str(w, c->campaign_id);
    CP_JW_KEY(w, "direction");
    cp_jw_str(w, direction_cc(c->direction));
    CP_JW_KEY(w, "state");
    cp_jw_str(w, cp_state_name(cp_call_state(c)));
    CP_JW_KEY(w, "fromNumber");
    cp_jw_str(w, c->from_number);
    CP_JW_KEY(w, "toNumber");
    cp_jw_str(w, c->to_number);
    CP_JW_KEY(w, "startTime");
    cp_jw_time(w, c->started_ms);
    CP_JW_KEY(w, "endTime");
    cp_jw_time(w, c->ended_ms);
    CP_JW_KEY(w, "durationSeconds");
    int_or_null(w, c->duration_s);
    CP_JW_KEY(w, "talkTimeSeconds");
    int_or_null(w, c->talk_time_s);
    CP_JW_KEY(w, "outcome");
    cp_jw_str(w, cp_outcome_cc_name(c->outcome));
    CP_JW_KEY(w, "recordingAvailable");
    cp_jw_bool(w, c->recording_available);
    CP_JW_KEY(w, "transcript");
    write_turns(w, c, TURNS_CC);
    CP_JW_KEY(w, "epaResults");
    raw_or_null(w, c->epa_json);
    CP_JW_KEY(w, "createdAt");
    cp_jw_time(w, c->created_ms);
    CP_JW_KEY(w, "updatedAt");
    cp_jw_time(w, c->updated_ms);
    cp_jw_obj_end(w);
}

void
cp_call_write_vocode(struct cp_jw *w, const struct cp_call *c)
{
    /* Vocode's agent object; callproof holds the agent's id and its user, nothing else. */
    static const char *const agent_nulls[] = {
        "context_endpoint",
        "conversation_speed",
        "endpointing_sensitivity",
        "initial_message",
        "initial_message_delay",
        "interrupt_sensitivity",
        "ivr_navigation_mode",
        "language",
        "noise_suppression",
        "openai_account_connection",
        "openai_model_name_override",
        "prompt",
        "vector_database",
        "voice",
        "webhook",
    };
    cp_jw_obj_begin(w);
    CP_JW_KEY(w, "agent");
    cp_jw_obj_begin(w);
    CP_JW_KEY(w, "actions");
    cp_jw_arr_begin(w);
    cp_jw_arr_end(w);
    CP_JW_KEY(w, "id");
    cp_jw_str(w, c->agent_id);
    CP_JW_KEY(w, "name");
    cp_jw_str(w, c->agent_name);
    CP_JW_KEY(w, "user_id");
    cp_jw_str(w, c->user_id);
    for (size_t i = 0; i < sizeof(agent_nulls) / sizeof(agent_nulls[0]); i++)
        cp_jw_knull(w, agent_nulls[i]);
    cp_jw_obj_end(w);
    /* The agent's own number: the caller on outbound calls, the called number on inbound. */
    CP_JW_KEY(w, "agent_phone_number");
    cp_jw_str(w, c->direction == CP_DIR_INBOUND ? c->to_number : c->from_number);
    CP_JW_KEY(w, "context");
    raw_or_null(w, c->metadata_json);
    CP_JW_KEY(w, "do_not_call_result");
    write_tristate(w, c->do_not_call_result);
    CP_JW_KEY(w, "end_time");
    cp_jw_time(w, c->ended_ms);
    CP_JW_KEY(w, "error_message");
    cp_jw_str(w, c->error_message);
    CP_JW_KEY(w, "from_number");
    cp_jw_str(w, c->from_number);
    CP_JW_KEY(w, "hipaa_compliant");
    cp_jw_bool(w, c->hipaa_compliant);
    CP_JW_KEY(w, "human_detection_result");
    cp_jw_str(w, c->human_detection_result);
    CP_JW_KEY(w, "id");
    cp_jw_str(w, c->id);
    CP_JW_KEY(w, "on_no_human_answer");
    cp_jw_str(w, c->on_no_human_answer);
    CP_JW_KEY(w, "recording_available");
    cp_jw_bool(w, c->recording_available);
    CP_JW_KEY(w, "run_do_not_call_detection");
    cp_jw_null(w);
    CP_JW_KEY(w, "start_time");
    cp_jw_time(w, c->started_ms);
    CP_JW_KEY(w, "status");
    cp_jw_str(w, cp_status_name(c->status));
    CP_JW_KEY(w, "telephony_account_connection");
    cp_jw_null(w);
    CP_JW_KEY(w, "telephony_id");
    cp_jw_str(w, c->telephony_id);
    CP_JW_KEY(w, "telephony_provider");
    cp_jw_str(w, c->telephony_provider);
    CP_JW_KEY(w, "to_number");
    cp_jw_str(w, c->to_number);
    CP_JW_KEY(w, "transcript");
    cp_jw_str(w, c->transcript);
    CP_JW_KEY(w, "user_id");
    cp_jw_str(w, c->user_id);
    cp_jw_obj_end(w);
}
