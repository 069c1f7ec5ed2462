/*
 * POST /v1/post-call (seed 000): seal a finished call into an evidence bundle.
 *
 * In one write transaction: create or update the call (by the tenant's call_id); gather what the
 * rules need as it stands now (the consents named, the number's revocations, the audio
 * callproof holds); run the compliance engine (domain/compliance.c, a pure function, so the
 * score can be recomputed from the sealed bundle); write the bundle as RFC 8785 canonical JSON
 * (integers only); sign it with the server's Ed25519 key over "callproof/evidence/v1\n" || bytes;
 * append its leaf to the transparency log and sign the new checkpoint; store the bundle. The
 * 201 is sent only after that commit. Posting the same call_id again seals a new bundle that
 * names the one it supersedes; both stay.
 */
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "core/util.h"
#include "domain/call.h"
#include "domain/civil.h"
#include "domain/compliance.h"
#include "domain/policy.h"
#include "domain/precall.h"
#include "handlers/consent.h"
#include "handlers/consent_record.h"
#include "handlers/evidence_log.h"
#include "handlers/handlers.h"
#include "json/canonical.h"
#include "json/spec.h"
#include "json/write.h"

#define MAX_DISCLOSURES 100
#define MAX_CONSENT_IDS 50
#define TRANSCRIPT_MAX (512 * 1024)

static const char *const outcomes[] = {"completed", "no_answer", "voicemail", "failed", NULL};
static const char *const disclosure_types[] = {"ai_identity",
                                               "callback_number",
                                               "opt_out_instructions",
                                               "consent_request",
                                               "offshore_location",
                                               "recording_notice",
                                               NULL};

struct postcall {
    const char *call_id, *phone, *entity, *calling_number, *outcome, *audio_url, *transcript;
    int64_t started_ms, ended_ms, duration_s;
    struct cp_compliance_disclosure *disclosures;
    size_t n_disclosures;
    const char **used, **captured;
    size_t n_used, n_captured;
    int64_t now_ms;
    /* filled by the transaction */
    char bundle_id[CP_BUNDLE_ID_LEN + 1];
    struct cp_compliance_result result;
    int64_t retention_ms;
    const char *supersedes;
    int64_t leaf_index;
};

/* +years on the civil calendar, same time of day; Feb 29 becomes Feb 28 in a common year. */
static int64_t
add_years(int64_t ms, int64_t years)
{
    int64_t day_ms = 86400000;
    int64_t days = cp_civil_floor_div(ms, day_ms), tod = ms - days * day_ms;
    int64_t y;
    int m, d;
    cp_civil_from_days(days, &y, &m, &d);
    y += years;
    if (m == 2 && d == 29 && !cp_civil_is_leap(y))
        d = 28;
    return cp_civil_days_from(y, m, d) * day_ms + tod;
}

static cJSON *
str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

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

/* The consents named in the request, looked up in the tenant's store as they are now. */
static enum cp_qs
load_consents(struct cp_store_conn *c, struct cp_req *req, const char **ids, size_t n,
              struct cp_compliance_consent **out, struct cp_consent **out_rows)
{
    struct cp_compliance_consent *cc = cp_arena_alloc(&req->arena, (n + 1) * sizeof(*cc));
    struct cp_consent *rows = cp_arena_alloc(&req->arena, (n + 1) * sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        enum cp_qs qs =
            strlen(ids[i]) <= CP_CONSENT_ID_MAX
                ? c->ops->consent_get(c, req->auth.tenant_id, ids[i], &req->arena, &rows[i])
                : CP_QS_NONE;
        if (qs < 0)
            return qs;
        cc[i].rec.id = ids[i];
        cc[i].found = qs == CP_QS_ONE;
        cc[i].same_tenant = cc[i].found; /* another tenant's consent is simply not found */
        if (cc[i].found) {
            cc[i].rec = (struct cp_precall_consent){
                rows[i].id,    rows[i].type,        rows[i].scope,     rows[i].calling_entity,
                rows[i].valid, rows[i].captured_ms, rows[i].revoked_ms};
            cc[i].phone = rows[i].phone;
            cc[i].has_request_text = strstr(rows[i].record, "\"agent_disclosure_text\":\"") != NULL;
        } else {
            memset(&rows[i], 0, sizeof(rows[i]));
        }
    }
    *out = cc;
    *out_rows = rows;
    return CP_QS_ONE;
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

/* Create or update the call this post-call describes. */
static enum cp_qs
upsert_call(struct cp_store_conn *c, struct cp_req *req, struct postcall *p, struct cp_call *call)
{
    enum cp_qs qs = c->ops->call_get(c, req->auth.tenant_id, p->call_id, &req->arena, call);
    if (qs < 0)
        return qs;
    bool fresh = qs == CP_QS_NONE;
    if (fresh) {
        cp_call_init(call);
        cp_uuid_v7(p->now_ms, call->id);
        call->tenant_id = req->auth.tenant_id;
        call->external_id = p->call_id;
        call->direction = CP_DIR_OUTBOUND;
        call->type = "phone_call";
        call->created_ms = p->now_ms;
    }
    if (call->status != CP_ST_ERROR)
        call->status = CP_ST_ENDED;
    call->to_number = p->phone;
    if (p->calling_number)
        call->from_number = p->calling_number;
    if (p->started_ms)
        call->started_ms = p->started_ms;
    if (p->ended_ms)
        call->ended_ms = p->ended_ms;
    if (p->duration_s >= 0)
        call->duration_s = p->duration_s;
    else if (call->duration_s < 0 && call->started_ms && call->ended_ms)
        call->duration_s = (call->ended_ms - call->started_ms) / 1000;
    if (p->outcome)
        cp_outcome_parse(p->outcome, &call->outcome);
    if (p->audio_url) {
        call->recording_url = p->audio_url;
        call->recording_available = true;
    }
    if (p->transcript)
        call->transcript = p->transcript;
    call->updated_ms = p->now_ms;
    qs = fresh ? c->ops->call_insert(c, call) : c->ops->call_update(c, call);
    return qs == CP_QS_NONE ? CP_QS_SOFT : qs;
}

static enum cp_qs
seal_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct postcall *p = t->cls;
    struct cp_req *req = t->req;
    struct cp_arena *a = &req->arena;
    struct cp_call call;
    enum cp_qs qs = upsert_call(c, req, p, &call);
    if (qs < 0)
        return qs;

    /* What the rules look at, as it stands now. */
    struct cp_compliance_consent *used, *captured;
    struct cp_consent *used_rows, *captured_rows;
    if ((qs = load_consents(c, req, p->used, p->n_used, &used, &used_rows)) < 0 ||
        (qs = load_consents(c, req, p->captured, p->n_captured, &captured, &captured_rows)) < 0)
        return qs;
    struct cp_revocation *revs = NULL;
    size_t n_revs = 0;
    if ((qs = c->ops->revocation_list(c, req->auth.tenant_id, p->phone, a, &revs, &n_revs)) < 0)
        return qs;
    struct cp_compliance_revocation *all = cp_arena_alloc(a, (n_revs + 1) * sizeof(*all));
    struct cp_compliance_revocation *before = cp_arena_alloc(a, (n_revs + 1) * sizeof(*before));
    struct cp_compliance_revocation *during = cp_arena_alloc(a, (n_revs + 1) * sizeof(*during));
    for (size_t i = 0; i < n_revs; i++)
        all[i] = (struct cp_compliance_revocation){.rec = {revs[i].id, revs[i].calling_entity,
                                                           revs[i].scope_all, revs[i].revoked_ms,
                                                           revs[i].honor_by_ms},
                                                   .call_id = revs[i].call_id};
    size_t n_before = 0, n_during = 0;
    cp_compliance_split_revocations(all, n_revs, p->call_id, call.started_ms, before, &n_before,
                                    during, &n_during);
    struct cp_recording *recs = NULL;
    size_t n_recs = 0;
    if ((qs = c->ops->recording_list(c, req->auth.tenant_id, call.id, a, &recs, &n_recs)) < 0)
        return qs;
    const struct cp_recording *audio = NULL;
    for (size_t i = n_recs; i-- > 0 && audio == NULL;)
        if (recs[i].has_audio)
            audio = &recs[i];

    struct cp_compliance_input in = {
        .call_id = p->call_id,
        .calling_entity = p->entity,
        .phone = p->phone,
        .calling_number = p->calling_number,
        .started_ms = call.started_ms,
        .ended_ms = call.ended_ms,
        .duration_s = call.duration_s,
        .outcome = p->outcome,
        .has_recording = p->audio_url != NULL || audio != NULL,
        .full_transcript = p->transcript,
        .disclosures = p->disclosures,
        .n_disclosures = p->n_disclosures,
        .consents_used = used,
        .n_consents_used = p->n_used,
        .consents_captured = captured,
        .n_consents_captured = p->n_captured,
        .revocations = before,
        .n_revocations = n_before,
        .call_revocations = during,
        .n_call_revocations = n_during,
    };
    const struct cp_tenant_policy *policy = cp_policies_find(req->app->policies, req->auth.tenant);
    struct cp_compliance_params params =
        policy != NULL ? policy->params : cp_compliance_params_default();
    cp_compliance_evaluate(&in, &params, &p->result);

    struct cp_bundle prev;
    if ((qs = c->ops->bundle_latest_for_call(c, req->auth.tenant_id, call.id, a, &prev)) < 0)
        return qs;
    p->supersedes = qs == CP_QS_ONE ? cp_arena_strdup(a, prev.id) : NULL;
    /* Retention runs from the end of the call: stated, else start plus duration, else now. */
    int64_t end_ms = call.ended_ms;
    if (end_ms == 0 && call.started_ms != 0 && call.duration_s >= 0)
        end_ms = call.started_ms + call.duration_s * 1000;
    int64_t years = policy != NULL && policy->retention_years != 0 ? policy->retention_years
                                                                   : req->app->cfg->retention_years;
    p->retention_ms = add_years(end_ms ? end_ms : p->now_ms, years);

    /* The bundle. */
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "schema", "callproof.evidence.v1");
    cJSON_AddStringToObject(b, "bundle_id", p->bundle_id);
    cJSON_AddStringToObject(b, "tenant", req->auth.tenant);
    cJSON *cj = cJSON_AddObjectToObject(b, "call");
    cJSON_AddStringToObject(cj, "id", call.id);
    cJSON_AddStringToObject(cj, "call_id", p->call_id);
    cJSON_AddStringToObject(cj, "phone", p->phone);
    cJSON_AddStringToObject(cj, "calling_entity", p->entity);
    cJSON_AddItemToObject(cj, "calling_number", str_or_null(p->calling_number));
    cJSON_AddItemToObject(cj, "started_at", time_or_null(call.started_ms));
    cJSON_AddItemToObject(cj, "ended_at", time_or_null(call.ended_ms));
    cJSON_AddItemToObject(cj, "duration_seconds", int_or_null(call.duration_s));
    cJSON_AddItemToObject(cj, "outcome", str_or_null(p->outcome));
    cJSON_AddItemToObject(cj, "audio_recording_url", str_or_null(p->audio_url));
    cJSON *dis = cJSON_AddArrayToObject(b, "disclosures");
    for (size_t i = 0; i < p->n_disclosures; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", p->disclosures[i].type);
        cJSON_AddItemToObject(o, "at_seconds", int_or_null(p->disclosures[i].at_seconds));
        cJSON_AddItemToObject(o, "text", str_or_null(p->disclosures[i].text));
        cJSON_AddItemToArray(dis, o);
    }
    cJSON_AddItemToObject(b, "consents_used", consent_refs(used, used_rows, p->n_used));
    cJSON_AddItemToObject(b, "consents_captured",
                          consent_refs(captured, captured_rows, p->n_captured));
    cJSON *rv = cJSON_AddArrayToObject(b, "revocations");
    for (size_t i = 0; i < n_revs; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "revocation_id", revs[i].id);
        cJSON_AddStringToObject(o, "calling_entity", revs[i].calling_entity);
        cJSON_AddStringToObject(o, "scope", revs[i].scope_all ? "all" : "entity_only");
        cJSON_AddItemToObject(o, "revoked_at", time_or_null(revs[i].revoked_ms));
        cJSON_AddItemToObject(o, "honor_by_date", time_or_null(revs[i].honor_by_ms));
        cJSON_AddItemToObject(o, "call_id", str_or_null(revs[i].call_id));
        cJSON_AddItemToArray(rv, o);
    }
    cJSON *tj = cJSON_AddObjectToObject(b, "transcript");
    if (p->transcript) {
        struct cp_sha256 h;
        char hex[65];
        cp_crypto_sha256(p->transcript, strlen(p->transcript), &h);
        cp_hex_encode(h.b, sizeof(h.b), hex);
        cJSON_AddStringToObject(tj, "sha256", hex);
    } else {
        cJSON_AddNullToObject(tj, "sha256");
    }
    cJSON_AddItemToObject(tj, "text", str_or_null(p->transcript));
    if (audio != NULL) {
        cJSON *rj = cJSON_AddObjectToObject(b, "recording");
        char hex[65];
        cp_hex_encode(audio->sha256.b, sizeof(audio->sha256.b), hex);
        cJSON_AddStringToObject(rj, "recording_id", audio->recording_id);
        cJSON_AddStringToObject(rj, "sha256", hex);
        cJSON_AddNumberToObject(rj, "size_bytes", (double)audio->size_bytes);
        cJSON_AddStringToObject(rj, "content_type", audio->content_type);
    } else {
        cJSON_AddNullToObject(b, "recording");
    }
    cJSON *comp = cJSON_AddObjectToObject(b, "compliance");
    cJSON_AddNumberToObject(comp, "score", p->result.score);
    cJSON_AddStringToObject(comp, "rules_version", p->result.rules_version);
    /* The parameters the rules ran with, so the score can be recomputed from the bundle. */
    cJSON *pj = cJSON_AddObjectToObject(comp, "parameters");
    cJSON_AddStringToObject(pj, "purpose", cp_purpose_name(params.purpose));
    cJSON_AddNumberToObject(pj, "ai_identity_window_s", params.ai_identity_window_s);
    cJSON_AddNumberToObject(pj, "opt_out_after_identity_s", params.opt_out_after_identity_s);
    cJSON_AddNumberToObject(pj, "calling_hours_start", params.calling_hours_start);
    cJSON_AddNumberToObject(pj, "calling_hours_end", params.calling_hours_end);
    cJSON_AddNumberToObject(pj, "opt_out_end_within_s", params.opt_out_end_within_s);
    cJSON_AddNumberToObject(pj, "duration_tolerance_s", params.duration_tolerance_s);
    cJSON_AddNumberToObject(pj, "speech_words_per_minute", params.speech_words_per_minute);
    cJSON_AddNumberToObject(pj, "opt_out_short_utterance_words",
                            params.opt_out_short_utterance_words);
    cJSON *cbn = cJSON_AddArrayToObject(pj, "callback_numbers");
    for (size_t i = 0; i < params.n_callback_numbers; i++)
        cJSON_AddItemToArray(cbn, cJSON_CreateString(params.callback_numbers[i]));
    cJSON *aps = cJSON_AddArrayToObject(pj, "all_party_states");
    for (size_t i = 0; i < params.n_all_party_states; i++)
        cJSON_AddItemToArray(aps, cJSON_CreateString(params.all_party_states[i]));
    /* Rules whose weight or switch differ from the table's defaults: {code: {enabled, weight}}.
     * Empty for a tenant without overrides. */
    cJSON *ov = cJSON_AddObjectToObject(pj, "rule_overrides");
    size_t n_rules = 0;
    const struct cp_compliance_rule *rules = cp_compliance_rules(&n_rules);
    for (size_t i = 0; i < n_rules; i++)
        if (params.enabled[i] != rules[i].default_enabled ||
            params.weight[i] != rules[i].default_weight) {
            cJSON *r = cJSON_AddObjectToObject(ov, rules[i].code);
            cJSON_AddBoolToObject(r, "enabled", params.enabled[i]);
            cJSON_AddNumberToObject(r, "weight", params.weight[i]);
        }
    add_findings(cJSON_AddArrayToObject(comp, "findings"), p->result.findings,
                 p->result.n_findings);
    add_findings(cJSON_AddArrayToObject(comp, "notes"), p->result.notes, p->result.n_notes);
    cJSON_AddItemToObject(b, "sealed_at", time_or_null(p->now_ms));
    cJSON_AddItemToObject(b, "retention_until", time_or_null(p->retention_ms));
    cJSON_AddItemToObject(b, "supersedes", str_or_null(p->supersedes));
    cJSON_AddStringToObject(b, "key_id", req->app->signer->key_id);

    struct cp_buf msg = CP_BUF_INIT;
    cp_buf_puts(&msg, CP_EVIDENCE_DOMAIN);
    size_t prefix = msg.len;
    struct cp_error err;
    bool ok = cp_canonical_write(b, &msg, &err);
    cJSON_Delete(b);
    if (!ok) {
        cp_buf_free(&msg);
        return CP_QS_HARD;
    }
    struct cp_ed25519_sig sig;
    cp_crypto_ed25519_sign(&req->app->signer->sk, msg.data, msg.len, &sig);
    char sig_hex[129];
    cp_hex_encode(sig.b, sizeof(sig.b), sig_hex);
    struct cp_bundle row = {.tenant_id = req->auth.tenant_id,
                            .bytes = cp_arena_strndup(a, msg.data + prefix, msg.len - prefix),
                            .signature = cp_arena_strdup(a, sig_hex),
                            .key_id = req->app->signer->key_id,
                            .score = p->result.score,
                            .retention_until_ms = p->retention_ms,
                            .supersedes = p->supersedes,
                            .sealed_ms = p->now_ms};
    cp_buf_free(&msg);
    memcpy(row.id, p->bundle_id, sizeof(row.id));
    memcpy(row.call_id, call.id, sizeof(row.call_id));

    struct cp_buf leaf = CP_BUF_INIT;
    struct cp_sha256 leaf_hash;
    cp_evidence_leaf(row.bytes, row.signature, &leaf, &leaf_hash);
    cp_buf_free(&leaf);
    if ((qs = cp_evidence_log_append(c, req, &leaf_hash, row.id, &row.leaf_index)) < 0)
        return qs;
    p->leaf_index = row.leaf_index;
    if ((qs = c->ops->bundle_insert(c, &row)) <= 0)
        return qs == CP_QS_NONE ? CP_QS_SOFT : qs; /* a 128-bit id collision: retry */

    /* The seed's answer, plus where the bundle sits. */
    cp_reply_json(t->rep, 201);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "evidence_bundle_id", row.id);
    cp_jw_kbool(&w, "stored", true);
    cp_jw_kstr(&w, "evidence_url",
               cp_arena_printf(a, "%s/e/%s", req->app->cfg->public_url, row.id));
    cp_jw_kint(&w, "compliance_score", p->result.score);
    cp_jw_key(&w, "compliance_findings");
    cp_jw_arr_begin(&w);
    for (size_t i = 0; i < p->result.n_findings; i++) {
        const struct cp_compliance_finding *f = &p->result.findings[i];
        cp_jw_obj_begin(&w);
        cp_jw_kstr(&w, "code", f->code);
        cp_jw_kstr(&w, "severity", f->severity);
        cp_jw_kstr(&w, "rule_ref", f->rule_ref);
        cp_jw_kstr(&w, "message", f->message);
        if (f->at_seconds >= 0)
            cp_jw_kint(&w, "at_seconds", f->at_seconds);
        cp_jw_obj_end(&w);
    }
    cp_jw_arr_end(&w);
    cp_jw_ktime(&w, "retention_until", p->retention_ms);
    cp_jw_kstr(&w, "supersedes", p->supersedes);
    cp_jw_kstr(&w, "call_id", call.id);
    cp_jw_kint(&w, "log_index", row.leaf_index);
    cp_jw_obj_end(&w);
    cp_reply_header(t->rep, "Location", cp_arena_printf(a, "/v1/evidence/%s", row.id));
    return CP_QS_ONE;
}

/* An array of 0..max strings (path-safe ids of 1..64 chars) into an arena array. */
static bool
id_list(const cJSON *arr, const char *field, size_t max, struct cp_arena *a, const char ***out,
        size_t *out_n, struct cp_error *err)
{
    *out = NULL;
    *out_n = 0;
    if (arr == NULL)
        return true;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    const char **ids = cp_arena_alloc(a, (n + 1) * sizeof(*ids));
    size_t i = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        if (!cJSON_IsString(it) || strlen(it->valuestring) > CP_CONSENT_ID_MAX ||
            it->valuestring[0] == '\0' || cp_check_path_id(it->valuestring) != NULL) {
            char path[64];
            snprintf(path, sizeof(path), "%s[%zu]", field, i);
            cp_error_set(err, CP_ERR_INVALID_FIELD, path,
                         "Field '%s' must be a consent id such as cst_....", path);
            return false;
        }
        ids[i] = it->valuestring;
    }
    (void)max;
    *out = ids;
    *out_n = n;
    return true;
}

/* A call time the client gave (ms; 0 when absent or null) must be a real instant after the
 * epoch (0 means "unknown" everywhere) and not in the future: a sealed call has happened. */
static bool
call_time(struct cp_req *req, struct cp_reply *rep, const char *name, int64_t ms, int64_t now)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(req->json, name);
    if (v != NULL && cJSON_IsString(v) && ms <= 0) {
        cp_reply_err(rep, CP_ERR_INVALID_FIELD, name,
                     "Field '%s' must be after 1970-01-01T00:00:00Z.", name);
        return false;
    }
    if (ms > now + CP_CLIENT_SKEW_MS) {
        cp_reply_err(rep, CP_ERR_INVALID_FIELD, name,
                     "Field '%s' must not be in the future: a call is sealed after it ends.", name);
        return false;
    }
    return true;
}

void
cp_h_post_call(struct cp_req *req, struct cp_reply *rep)
{
    struct postcall *p = cp_arena_alloc(&req->arena, sizeof(*p));
    const char *phone = NULL;
    const cJSON *disclosures = NULL, *used = NULL, *captured = NULL;
    p->duration_s = -1;
    struct cp_jspec spec[] = {
        {.name = "call_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_REQUIRED,
         .min = 1,
         .max = 128,
         .check = cp_check_path_id,
         .out = &p->call_id},
        CP_JSPEC_STRING("phone", &phone, CP_JF_REQUIRED, 1, 32),
        CP_JSPEC_STRING("calling_entity", &p->entity, CP_JF_REQUIRED, 1, 200),
        {.name = "calling_number",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = 32,
         .check = cp_check_e164,
         .out = &p->calling_number},
        CP_JSPEC_TIME("started_at", &p->started_ms, CP_JF_NULLABLE),
        CP_JSPEC_TIME("ended_at", &p->ended_ms, CP_JF_NULLABLE),
        CP_JSPEC_INT("duration_seconds", &p->duration_s, CP_JF_NULLABLE, 0, 7 * 86400),
        CP_JSPEC_ENUM("outcome", &p->outcome, CP_JF_NULLABLE, outcomes),
        {.name = "audio_recording_url",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 0,
         .max = 2048,
         .check = cp_check_https_url,
         .out = &p->audio_url},
        CP_JSPEC_STRING("full_transcript", &p->transcript, CP_JF_NULLABLE, 0, TRANSCRIPT_MAX),
        CP_JSPEC_ARRAY("ai_disclosures_made", &disclosures, CP_JF_NULLABLE, MAX_DISCLOSURES),
        CP_JSPEC_ARRAY("consent_ids_used", &used, CP_JF_NULLABLE, MAX_CONSENT_IDS),
        CP_JSPEC_ARRAY("consent_ids_captured", &captured, CP_JF_NULLABLE, MAX_CONSENT_IDS),
        CP_JSPEC_END,
    };
    struct cp_error err;
    if (cp_jspec_parse(req->json, spec, "", &err) != CP_OK ||
        !cp_consent_phone(phone, "phone", &req->arena, &p->phone, &err) ||
        !id_list(used, "consent_ids_used", MAX_CONSENT_IDS, &req->arena, &p->used, &p->n_used,
                 &err) ||
        !id_list(captured, "consent_ids_captured", MAX_CONSENT_IDS, &req->arena, &p->captured,
                 &p->n_captured, &err)) {
        cp_reply_error(rep, &err);
        return;
    }
    p->now_ms = cp_time_now_ms();
    if (!call_time(req, rep, "started_at", p->started_ms, p->now_ms) ||
        !call_time(req, rep, "ended_at", p->ended_ms, p->now_ms))
        return;
    if (p->started_ms && p->ended_ms && p->ended_ms < p->started_ms) {
        cp_reply_err(rep, CP_ERR_INVALID_FIELD, "ended_at",
                     "Field 'ended_at' must not be before 'started_at'.");
        return;
    }
    size_t nd = disclosures ? (size_t)cJSON_GetArraySize(disclosures) : 0;
    p->disclosures = cp_arena_alloc(&req->arena, (nd + 1) * sizeof(*p->disclosures));
    size_t i = 0;
    for (const cJSON *d = disclosures ? disclosures->child : NULL; d != NULL; d = d->next, i++) {
        char path[48];
        snprintf(path, sizeof(path), "ai_disclosures_made[%zu]", i);
        if (!cJSON_IsObject(d)) {
            cp_reply_err(rep, CP_ERR_INVALID_FIELD, path, "Field '%s' must be an object.", path);
            return;
        }
        int64_t at = -1;
        struct cp_compliance_disclosure *x = &p->disclosures[i];
        struct cp_jspec dspec[] = {
            CP_JSPEC_ENUM("type", &x->type, CP_JF_REQUIRED, disclosure_types),
            CP_JSPEC_INT("at_seconds", &at, CP_JF_NULLABLE, 0, 7 * 86400),
            CP_JSPEC_STRING("text", &x->text, CP_JF_NULLABLE, 0, 4096),
            CP_JSPEC_END,
        };
        if (cp_jspec_parse(d, dspec, path, &err) != CP_OK) {
            cp_reply_error(rep, &err);
            return;
        }
        x->at_seconds = (int)at;
    }
    p->n_disclosures = nd;
    uint8_t rnd[16];
    cp_crypto_random(rnd, sizeof(rnd));
    char hex[33];
    cp_hex_encode(rnd, sizeof(rnd), hex);
    snprintf(p->bundle_id, sizeof(p->bundle_id), "ev_%s", hex);
    cp_req_transact(req, rep, true, seal_txn, p);
}
