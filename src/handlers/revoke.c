/*
 * Opt-outs:
 *   POST /v1/revoke            record a revocation and mark the consents it covers
 *   GET  /v1/revocations?phone= the tenant's revocations for a number, newest first
 * A revocation takes effect at once for precall (the 10 business days of 47 CFR
 * 64.1200(a)(10), as amended by FCC 24-24, are the most a caller may take, not a grace period);
 * honor_by_date is that legal deadline, counting weekends and US federal holidays out.
 */
#include <string.h>

#include "core/time.h"
#include "domain/calendar.h"
#include "domain/call.h"
#include "handlers/consent.h"
#include "handlers/consent_record.h"
#include "handlers/handlers.h"
#include "json/spec.h"
#include "json/write.h"

#define HONOR_BUSINESS_DAYS 10

static const char *const triggers[] = {
    "verbal_stop_during_call", "dtmf_opt_out", "sms_stop", "web_form", "manual", NULL};
static const char *const scopes[] = {"entity_only", "all", NULL};

static void
write_revocation(struct cp_jw *w, const struct cp_revocation *r)
{
    cp_jw_obj_begin(w);
    cp_jw_kbool(w, "revoked", true);
    cp_jw_kstr(w, "revocation_id", r->id);
    cp_jw_kstr(w, "phone", r->phone);
    cp_jw_kstr(w, "calling_entity", r->calling_entity);
    cp_jw_kstr(w, "scope", r->scope_all ? "all" : "entity_only");
    cp_jw_kstr(w, "trigger", r->trigger);
    cp_jw_ktime(w, "revoked_at", r->revoked_ms);
    cp_jw_ktime(w, "honor_by_date", r->honor_by_ms);
    cp_jw_kbool(w, "future_calls_blocked", true);
    cp_jw_kstr(w, "call_id", r->call_id);
    cp_jw_kstr(w, "transcript", r->transcript);
    cp_jw_ktime(w, "created_at", r->created_ms);
    cp_jw_obj_end(w);
}

static enum cp_qs
revoke_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct cp_revocation *r = t->cls;
    enum cp_qs qs = c->ops->revocation_insert(c, r);
    if (qs < 0)
        return qs;
    qs = c->ops->consent_revoke(c, r->tenant_id, r->phone, r->scope_all ? NULL : r->calling_entity,
                                r->revoked_ms, r->id);
    if (qs < 0)
        return qs;
    cp_reply_json(t->rep, 201);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    write_revocation(&w, r);
    return CP_QS_ONE;
}

void
cp_h_revoke(struct cp_req *req, struct cp_reply *rep)
{
    const char *phone = NULL, *scope = NULL, *url = NULL;
    struct cp_revocation r = {0};
    struct cp_jspec spec[] = {
        CP_JSPEC_STRING("phone", &phone, CP_JF_REQUIRED, 1, 32),
        CP_JSPEC_STRING("calling_entity", &r.calling_entity, CP_JF_REQUIRED, 1, 200),
        CP_JSPEC_ENUM("trigger", &r.trigger, CP_JF_REQUIRED, triggers),
        CP_JSPEC_TIME("captured_at", &r.revoked_ms, CP_JF_REQUIRED),
        {.name = "call_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = 128,
         .check = cp_check_path_id,
         .out = &r.call_id},
        CP_JSPEC_STRING("transcript", &r.transcript, CP_JF_NULLABLE, 1, 65536),
        {.name = "audio_segment_url",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = 2048,
         .check = cp_check_https_url,
         .out = &url},
        CP_JSPEC_ENUM("scope", &scope, CP_JF_NULLABLE, scopes),
        CP_JSPEC_END,
    };
    struct cp_error err;
    if (cp_jspec_parse(req->json, spec, "", &err) != CP_OK ||
        !cp_consent_phone(phone, "phone", &req->arena, &r.phone, &err)) {
        cp_reply_error(rep, &err);
        return;
    }
    int64_t now = cp_time_now_ms();
    if (!cp_check_event_time(rep, "captured_at", r.revoked_ms, true, now, ""))
        return;
    if (!cp_business_days_add(r.revoked_ms, HONOR_BUSINESS_DAYS, &r.honor_by_ms)) {
        cp_reply_err(rep, CP_ERR_INVALID_FIELD, "captured_at",
                     "Field 'captured_at' is outside the years callproof can compute with.");
        return;
    }
    r.tenant_id = req->auth.tenant_id;
    r.scope_all = scope != NULL && strcmp(scope, "all") == 0;
    r.created_ms = now;
    cp_consent_new_id("rev", r.id);
    cp_req_transact(req, rep, true, revoke_txn, &r);
}

static enum cp_qs
list_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    const char *phone = t->cls;
    struct cp_revocation *items = NULL;
    size_t n = 0;
    enum cp_qs qs =
        c->ops->revocation_list(c, t->req->auth.tenant_id, phone, &t->req->arena, &items, &n);
    if (qs < 0)
        return qs;
    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "phone", phone);
    cp_jw_key(&w, "items");
    cp_jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        write_revocation(&w, &items[i]);
    cp_jw_arr_end(&w);
    cp_jw_obj_end(&w);
    return CP_QS_ONE;
}

void
cp_h_revocations_list(struct cp_req *req, struct cp_reply *rep)
{
    const char *phone = cp_consent_query_phone(req, rep);
    if (phone != NULL)
        cp_req_transact(req, rep, false, list_txn, (void *)phone);
}
