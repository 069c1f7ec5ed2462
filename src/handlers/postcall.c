/*
 * POST /v1/post-call (seed 000): seal a finished call into an evidence bundle.
 *
 * In one write transaction: create or update the call (by the tenant's call_id); gather what the
 * rules need as it stands now (the consents named, the number's revocations, the audio
 * callproof holds); run the compliance engine (domain/compliance.c, a pure function, so the
 * score can be recomputed from the sealed bundle); write the bundle as RFC 8785 canonical JSON
 * (integers only); sign it with the server's Ed25519 key over "callproof/evidence/v1\n" || bytes;
 * sequence its leaf in the transparency log (its index is final at commit); store the bundle.
 * The 201 is sent only after that commit and after a signed checkpoint covers the leaf (on
 * SQLite the same batch signs it; with a shared log the lease holder does: log_integrator.h).
 * Posting the same call_id again seals a new bundle that names the one it supersedes; both stay.
 */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "domain/call.h"
#include "domain/civil.h"
#include "domain/compliance.h"
#include "domain/policy.h"
#include "domain/precall.h"
#include "handlers/consent.h"
#include "handlers/consent_record.h"
#include "handlers/evidence_log.h"
#include "handlers/handlers.h"
#include "handlers/log_integrator.h"
#include "handlers/postcall_bundle.h"
#include "json/canonical.h"
#include "json/spec.h"
#include "json/write.h"

#define MAX_DISCLOSURES 100
#define AWAIT_LOG_MS 10000 /* a shared log's checkpoint over a new leaf, at most */
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
    char transcript_sha256[65]; /* when transcript */
    int64_t started_ms, ended_ms, duration_s;
    struct cp_compliance_disclosure *disclosures;
    size_t n_disclosures;
    const char **used, **captured;
    size_t n_used, n_captured;
    int64_t now_ms;
    /* filled by the transaction */
    char bundle_id[CP_BUNDLE_ID_LEN + 1];
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
    /* 35 KB, used only here: on the stack, not in the request's arena, where zeroing it had
     * 2% of the samples of a seal load (and the evaluation zeroed it again). */
    struct cp_compliance_result result;
    cp_compliance_evaluate(&in, &params, &result);

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
    struct cp_seal_view v = {
        .bundle_id = p->bundle_id,
        .tenant = req->auth.tenant,
        .key_id = req->app->signer->key_id,
        .call = &call,
        .call_id = p->call_id,
        .phone = p->phone,
        .entity = p->entity,
        .calling_number = p->calling_number,
        .outcome = p->outcome,
        .audio_url = p->audio_url,
        .transcript = p->transcript,
        .transcript_sha256 = p->transcript_sha256,
        .disclosures = p->disclosures,
        .n_disclosures = p->n_disclosures,
        .used = used,
        .used_rows = used_rows,
        .n_used = p->n_used,
        .captured = captured,
        .captured_rows = captured_rows,
        .n_captured = p->n_captured,
        .revs = revs,
        .n_revs = n_revs,
        .audio = audio,
        .params = &params,
        .result = &result,
        .sealed_ms = p->now_ms,
        .retention_ms = p->retention_ms,
        .supersedes = p->supersedes,
    };
    struct cp_buf msg = CP_BUF_INIT;
    cp_buf_puts(&msg, CP_EVIDENCE_DOMAIN);
    size_t prefix = msg.len;
    struct cp_error err;
    if (!cp_postcall_bundle_write(&v, &msg, &err)) {
        cp_log(CP_LOG_ERROR, "rid=%s post-call: bundle not signable: %s", req->request_id,
               err.message);
        cp_buf_free(&msg);
        return CP_QS_HARD;
    }
    struct cp_bundle row = {.tenant_id = req->auth.tenant_id,
                            .bytes = cp_arena_strndup(a, msg.data + prefix, msg.len - prefix),
                            .key_id = req->app->signer->key_id,
                            .score = result.score,
                            .retention_until_ms = p->retention_ms,
                            .supersedes = p->supersedes,
                            .sealed_ms = p->now_ms};
    memcpy(row.id, p->bundle_id, sizeof(row.id));
    memcpy(row.call_id, call.id, sizeof(row.call_id));
    /* Signed here, or by the sealing thread while the batch goes on (then "" until the
     * batch's log hook stores the signature, before the commit). */
    char *sig_hex = cp_arena_alloc(a, 129);
    qs = cp_log_integrator_seal(req->app->log, c, req->app->signer, row.id, msg.data, msg.len,
                                sig_hex, &row.leaf_index);
    cp_buf_free(&msg);
    if (qs < 0 || (c->ops->log_notify != NULL && (qs = c->ops->log_notify(c, CP_LOG_SEALED)) < 0))
        return qs;
    row.signature = sig_hex;
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
    cp_jw_kint(&w, "compliance_score", result.score);
    cp_jw_key(&w, "compliance_findings");
    cp_jw_arr_begin(&w);
    for (size_t i = 0; i < result.n_findings; i++) {
        const struct cp_compliance_finding *f = &result.findings[i];
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

/* Was this time field sent (not absent, not null)? Both parse to 0. */
static bool
given_time(const struct cp_req *req, const char *name)
{
    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(req->json, name));
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
    /* A sealed call has happened: its times are real instants, not in the future. */
    static const char why[] = ": a call is sealed after it ends";
    if (!cp_check_event_time(rep, "started_at", p->started_ms, given_time(req, "started_at"),
                             p->now_ms, why) ||
        !cp_check_event_time(rep, "ended_at", p->ended_ms, given_time(req, "ended_at"), p->now_ms,
                             why))
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
    if (p->transcript != NULL) /* off the writer thread: it depends on the request alone */
        cp_crypto_sha256_hex(p->transcript, strlen(p->transcript), p->transcript_sha256);
    uint8_t rnd[16];
    cp_crypto_random_id(rnd, sizeof(rnd));
    char hex[33];
    cp_hex_encode(rnd, sizeof(rnd), hex);
    snprintf(p->bundle_id, sizeof(p->bundle_id), "ev_%s", hex);
    if (!cp_store_log_shared(req->app->store)) {
        /* One process owns the log: the seal's batch integrates its leaf before it commits, so
         * there is nothing to wait for after it (and the thread need not wait at all). */
        cp_req_transact_async(req, rep, true, seal_txn, p);
        return;
    }
    if (!cp_req_transact_log(req, rep, seal_txn, p))
        return;
    /* Committed: the bundle and its leaf index are durable. With a shared log, wait (bounded)
     * for the lease holder's checkpoint over it, so its proof is there when the client asks. */
    if (!cp_log_integrator_await(req->app->log, p->leaf_index, AWAIT_LOG_MS))
        cp_log(CP_LOG_WARN, "post-call: leaf %lld not yet under a checkpoint after %d ms",
               (long long)p->leaf_index, AWAIT_LOG_MS);
}
