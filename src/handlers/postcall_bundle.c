/*
 * The evidence bundle of a post-call (see postcall_bundle.h).
 */
#include "handlers/postcall_bundle.h"

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "domain/precall.h"
#include "json/canonical.h"
#include "json/json.h"

static cJSON *
time_or_null(int64_t ms)
{
    if (ms == 0)
        return cJSON_CreateNull();
    char iso[CP_TIME_ISO_MS_LEN];
    if (ms % 1000 != 0)
        cp_time_format_iso_ms(ms, iso);
    else
        cp_time_format_iso(ms, iso);
    return cJSON_CreateString(iso);
}

static cJSON *
int_or_null(int64_t v)
{
    return v >= 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

static void
add_findings(cJSON *arr, const struct cp_compliance_finding *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "code", f[i].code);
        cJSON_AddStringToObject(o, "severity", f[i].severity);
        cJSON_AddStringToObject(o, "rule_ref", f[i].rule_ref);
        cJSON_AddStringToObject(o, "message", f[i].message);
        cJSON_AddItemToObject(o, "at_seconds",
                              f[i].at_seconds >= 0 ? cJSON_CreateNumber(f[i].at_seconds)
                                                   : cJSON_CreateNull());
        cJSON_AddNumberToObject(o, "points", f[i].points);
        cJSON_AddItemToArray(arr, o);
    }
}

static cJSON *
consent_refs(const struct cp_compliance_consent *cc, const struct cp_consent *rows, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "consent_id", cc[i].rec.id);
        cJSON_AddBoolToObject(o, "found", cc[i].found);
        if (cc[i].found) {
            struct cp_sha256 h;
            cp_crypto_sha256(rows[i].record, strlen(rows[i].record), &h);
            char hex[65];
            cp_hex_encode(h.b, sizeof(h.b), hex);
            cJSON_AddStringToObject(o, "record_sha256", hex);
            cJSON_AddStringToObject(o, "signature", rows[i].signature);
            /* What the rules read of it, as it stood when the call was sealed. */
            cJSON_AddStringToObject(o, "phone", cc[i].phone);
            cJSON_AddStringToObject(o, "calling_entity", cc[i].rec.calling_entity);
            cJSON_AddStringToObject(o, "type", cc[i].rec.type);
            cJSON *sc = cJSON_AddArrayToObject(o, "scope");
            for (const char *q = cc[i].rec.scope; q != NULL && *q != '\0';) {
                size_t len = strcspn(q, ",");
                char item[64];
                snprintf(item, sizeof(item), "%.*s", (int)len, q);
                cJSON_AddItemToArray(sc, cJSON_CreateString(item));
                q += len + (q[len] == ',');
            }
            cJSON_AddBoolToObject(o, "valid", cc[i].rec.valid);
            cJSON_AddItemToObject(o, "captured_at", time_or_null(cc[i].rec.captured_ms));
            cJSON_AddItemToObject(o, "revoked_at", time_or_null(cc[i].rec.revoked_ms));
            cJSON_AddBoolToObject(o, "has_request_text", cc[i].has_request_text);
        } else {
            cJSON_AddNullToObject(o, "record_sha256");
            cJSON_AddNullToObject(o, "signature");
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

void
cp_postcall_transcript_sha256(const char *transcript, char out[65])
{
    struct cp_sha256 h;
    cp_crypto_sha256(transcript, strlen(transcript), &h);
    cp_hex_encode(h.b, sizeof(h.b), out);
}

cJSON *
cp_postcall_bundle(const struct cp_seal_view *v)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "schema", "callproof.evidence.v1");
    cJSON_AddStringToObject(b, "bundle_id", v->bundle_id);
    cJSON_AddStringToObject(b, "tenant", v->tenant);
    cJSON *cj = cJSON_AddObjectToObject(b, "call");
    cJSON_AddStringToObject(cj, "id", v->call->id);
    cJSON_AddStringToObject(cj, "call_id", v->call_id);
    cJSON_AddStringToObject(cj, "phone", v->phone);
    cJSON_AddStringToObject(cj, "calling_entity", v->entity);
    cJSON_AddItemToObject(cj, "calling_number", cp_json_str_or_null(v->calling_number));
    cJSON_AddItemToObject(cj, "started_at", time_or_null(v->call->started_ms));
    cJSON_AddItemToObject(cj, "ended_at", time_or_null(v->call->ended_ms));
    cJSON_AddItemToObject(cj, "duration_seconds", int_or_null(v->call->duration_s));
    cJSON_AddItemToObject(cj, "outcome", cp_json_str_or_null(v->outcome));
    cJSON_AddItemToObject(cj, "audio_recording_url", cp_json_str_or_null(v->audio_url));
    cJSON *dis = cJSON_AddArrayToObject(b, "disclosures");
    for (size_t i = 0; i < v->n_disclosures; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", v->disclosures[i].type);
        cJSON_AddItemToObject(o, "at_seconds", int_or_null(v->disclosures[i].at_seconds));
        cJSON_AddItemToObject(o, "text", cp_json_str_or_null(v->disclosures[i].text));
        cJSON_AddItemToArray(dis, o);
    }
    cJSON_AddItemToObject(b, "consents_used", consent_refs(v->used, v->used_rows, v->n_used));
    cJSON_AddItemToObject(b, "consents_captured",
                          consent_refs(v->captured, v->captured_rows, v->n_captured));
    cJSON *rv = cJSON_AddArrayToObject(b, "revocations");
    for (size_t i = 0; i < v->n_revs; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "revocation_id", v->revs[i].id);
        cJSON_AddStringToObject(o, "calling_entity", v->revs[i].calling_entity);
        cJSON_AddStringToObject(o, "scope", v->revs[i].scope_all ? "all" : "entity_only");
        cJSON_AddItemToObject(o, "revoked_at", time_or_null(v->revs[i].revoked_ms));
        cJSON_AddItemToObject(o, "honor_by_date", time_or_null(v->revs[i].honor_by_ms));
        cJSON_AddItemToObject(o, "call_id", cp_json_str_or_null(v->revs[i].call_id));
        cJSON_AddItemToArray(rv, o);
    }
    cJSON *tj = cJSON_AddObjectToObject(b, "transcript");
    if (v->transcript) {
        CP_ASSERT(v->transcript_sha256 != NULL);
        cJSON_AddStringToObject(tj, "sha256", v->transcript_sha256);
    } else {
        cJSON_AddNullToObject(tj, "sha256");
    }
    cJSON_AddItemToObject(tj, "text", cp_json_str_or_null(v->transcript));
    if (v->audio != NULL) {
        cJSON *rj = cJSON_AddObjectToObject(b, "recording");
        char hex[65];
        cp_hex_encode(v->audio->sha256.b, sizeof(v->audio->sha256.b), hex);
        cJSON_AddStringToObject(rj, "recording_id", v->audio->recording_id);
        cJSON_AddStringToObject(rj, "sha256", hex);
        cJSON_AddNumberToObject(rj, "size_bytes", (double)v->audio->size_bytes);
        cJSON_AddStringToObject(rj, "content_type", v->audio->content_type);
    } else {
        cJSON_AddNullToObject(b, "recording");
    }
    cJSON *comp = cJSON_AddObjectToObject(b, "compliance");
    cJSON_AddNumberToObject(comp, "score", v->result->score);
    cJSON_AddStringToObject(comp, "rules_version", v->result->rules_version);
    /* The parameters the rules ran with, so the score can be recomputed from the bundle. */
    cJSON *pj = cJSON_AddObjectToObject(comp, "parameters");
    cJSON_AddStringToObject(pj, "purpose", cp_purpose_name(v->params->purpose));
    cJSON_AddNumberToObject(pj, "ai_identity_window_s", v->params->ai_identity_window_s);
    cJSON_AddNumberToObject(pj, "opt_out_after_identity_s", v->params->opt_out_after_identity_s);
    cJSON_AddNumberToObject(pj, "calling_hours_start", v->params->calling_hours_start);
    cJSON_AddNumberToObject(pj, "calling_hours_end", v->params->calling_hours_end);
    cJSON_AddNumberToObject(pj, "opt_out_end_within_s", v->params->opt_out_end_within_s);
    cJSON_AddNumberToObject(pj, "duration_tolerance_s", v->params->duration_tolerance_s);
    cJSON_AddNumberToObject(pj, "speech_words_per_minute", v->params->speech_words_per_minute);
    cJSON_AddNumberToObject(pj, "opt_out_short_utterance_words",
                            v->params->opt_out_short_utterance_words);
    cJSON *cbn = cJSON_AddArrayToObject(pj, "callback_numbers");
    for (size_t i = 0; i < v->params->n_callback_numbers; i++)
        cJSON_AddItemToArray(cbn, cJSON_CreateString(v->params->callback_numbers[i]));
    cJSON *aps = cJSON_AddArrayToObject(pj, "all_party_states");
    for (size_t i = 0; i < v->params->n_all_party_states; i++)
        cJSON_AddItemToArray(aps, cJSON_CreateString(v->params->all_party_states[i]));
    /* Rules whose weight or switch differ from the table's defaults: {code: {enabled, weight}}.
     * Empty for a tenant without overrides. */
    cJSON *ov = cJSON_AddObjectToObject(pj, "rule_overrides");
    size_t n_rules = 0;
    const struct cp_compliance_rule *rules = cp_compliance_rules(&n_rules);
    for (size_t i = 0; i < n_rules; i++)
        if (v->params->enabled[i] != rules[i].default_enabled ||
            v->params->weight[i] != rules[i].default_weight) {
            cJSON *r = cJSON_AddObjectToObject(ov, rules[i].code);
            cJSON_AddBoolToObject(r, "enabled", v->params->enabled[i]);
            cJSON_AddNumberToObject(r, "weight", v->params->weight[i]);
        }
    add_findings(cJSON_AddArrayToObject(comp, "findings"), v->result->findings,
                 v->result->n_findings);
    add_findings(cJSON_AddArrayToObject(comp, "notes"), v->result->notes, v->result->n_notes);
    cJSON_AddItemToObject(b, "sealed_at", time_or_null(v->sealed_ms));
    cJSON_AddItemToObject(b, "retention_until", time_or_null(v->retention_ms));
    cJSON_AddItemToObject(b, "supersedes", cp_json_str_or_null(v->supersedes));
    cJSON_AddStringToObject(b, "key_id", v->key_id);
    return b;
}

bool
cp_postcall_bundle_write(const struct cp_seal_view *v, struct cp_buf *out, struct cp_error *err)
{
    cJSON *b = cp_postcall_bundle(v);
    bool ok = cp_canonical_write(b, out, err);
    cJSON_Delete(b);
    return ok;
}
