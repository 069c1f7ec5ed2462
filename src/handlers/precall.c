/*
 * POST /v1/precall: may this call be placed now? The decision itself is domain/precall.c (the
 * rules and their legal basis are there); this handler gathers its inputs (the number's
 * consents and revocations, the calling-hours verdict), stores the decision as an audit record
 * with its inputs, and answers with the disclosure the agent must speak.
 */
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "domain/call.h"
#include "domain/nanp.h"
#include "domain/precall.h"
#include "handlers/call_json.h"
#include "handlers/consent.h"
#include "handlers/consent_record.h"
#include "handlers/handlers.h"
#include "json/spec.h"
#include "json/write.h"

#define DISCLOSURE_VERSION "callproof-disclosure-2026-11-v1"
#define DISCLOSURE_WINDOW_S 2 /* 64.1200(b)(1): "at the beginning of the message" */
#define HOURS_START 8
#define HOURS_END 21

static const char *const purposes[] = {"telemarketing",
                                       "transactional",
                                       "informational",
                                       "survey",
                                       "debt_collection",
                                       "appointment_reminder",
                                       NULL};
static const char *const call_types[] = {"ai_voice", "human_voice", "automated_voice", NULL};

struct precall {
    const char *phone, *entity, *calling_number, *purpose_name, *type_name;
    enum cp_purpose purpose;
    enum cp_call_type type;
    const char *metadata_json;
    const char *public_url;
    int64_t now_ms;
    enum cp_hours_verdict hours;
    struct cp_hours_detail hours_detail;
};

/* "+18005550100" -> "800-555-0100" for NANP numbers, as an agent would say it. */
static const char *
speakable(struct cp_arena *a, const char *e164)
{
    if (strncmp(e164, "+1", 2) == 0 && strlen(e164) == 12)
        return cp_arena_printf(a, "%.3s-%.3s-%.4s", e164 + 2, e164 + 5, e164 + 8);
    return e164;
}

static const char *
disclosure_script(struct cp_arena *a, const struct precall *p)
{
    const char *who = p->type == CP_CALL_AI_VOICE ? "an AI assistant" : "an automated message";
    const char *callback = p->calling_number ? cp_arena_printf(a, " You can reach us at %s.",
                                                               speakable(a, p->calling_number))
                                             : "";
    return cp_arena_printf(a,
                           "Hi, this is %s calling on behalf of %s.%s If you'd like us to stop "
                           "calling, say stop or press 9 at any time.",
                           who, p->entity, callback);
}

static void
write_answer(struct cp_jw *w, struct cp_arena *a, const struct precall *p, const char *decision_id,
             const struct cp_precall_result *r)
{
    cp_jw_obj_begin(w);
    cp_jw_kbool(w, "allowed", r->allowed);
    cp_jw_kstr(w, "decision_id", decision_id);
    cp_jw_kstr(w, "reason", r->reason);
    cp_jw_key(w, "consent");
    if (r->consent != NULL) {
        cp_jw_obj_begin(w);
        cp_jw_kstr(w, "consent_id", r->consent->id);
        cp_jw_kstr(w, "type", r->consent->type);
        cp_jw_kbool(w, "ai_specific_consent", strstr(r->consent->scope, "ai_voice") != NULL);
        cp_jw_ktime(w, "captured_at", r->consent->captured_ms);
        cp_jw_key(w, "scope");
        cp_jw_arr_begin(w);
        for (const char *s = r->consent->scope; s && *s;) {
            const char *comma = strchr(s, ',');
            size_t len = comma ? (size_t)(comma - s) : strlen(s);
            cp_jw_strn(w, s, len);
            s = comma ? comma + 1 : NULL;
        }
        cp_jw_arr_end(w);
        cp_jw_kstr(w, "evidence_url",
                   cp_arena_printf(a, "%s/v1/consents/%s", p->public_url, r->consent->id));
        cp_jw_obj_end(w);
    } else {
        cp_jw_null(w);
    }
    cp_jw_ktime(w, "revoked_at", r->revocation ? r->revocation->revoked_ms : 0);
    cp_jw_ktime(w, "honor_by_date", r->revocation ? r->revocation->honor_by_ms : 0);
    cp_jw_kstr(w, "revocation_id", r->revocation ? r->revocation->id : NULL);
    cp_jw_key(w, "disclosure");
    cp_jw_obj_begin(w);
    cp_jw_kbool(w, "required", r->disclosure_required);
    cp_jw_kstr(w, "script", r->disclosure_required ? disclosure_script(a, p) : NULL);
    cp_jw_kstr(w, "version", DISCLOSURE_VERSION);
    cp_jw_kint(w, "delivery_window_seconds", DISCLOSURE_WINDOW_S);
    cp_jw_obj_end(w);
    cp_jw_key(w, "calling_hours");
    cp_jw_obj_begin(w);
    cp_jw_kstr(w, "verdict", cp_hours_verdict_name(p->hours));
    cp_jw_kstr(w, "zone", p->hours_detail.zone);
    cp_jw_kstr(w, "local_time", p->hours_detail.local_time[0] ? p->hours_detail.local_time : NULL);
    cp_jw_kstr(w, "window", "08:00-21:00");
    cp_jw_obj_end(w);
    cp_jw_key(w, "compliance_notes");
    cp_jw_arr_begin(w);
    if (p->hours == CP_HOURS_UNKNOWN_AREA)
        cp_jw_str(w, "The area code is not a known US or Canadian one: the called party's "
                     "local calling hours (08:00-21:00, 47 CFR 64.1200(c)(1)) were not verified.");
    if (p->hours == CP_HOURS_NO_TZDATA)
        cp_jw_str(w, "The time zone database could not be read: calling hours were not "
                     "verified.");
    if (r->reason && strcmp(r->reason, "consumer_revoked") == 0)
        cp_jw_str(w, "The consumer revoked consent: no further calls, effective immediately "
                     "(47 CFR 64.1200(a)(10)); honor_by_date is the legal deadline, not a grace "
                     "period.");
    if (r->reason && strcmp(r->reason, "ai_consent_missing") == 0)
        cp_jw_str(w, "Consent exists but none covers this call: telemarketing with an "
                     "artificial or AI voice needs prior express written consent whose scope "
                     "includes ai_voice (FCC 24-17, 47 CFR 64.1200(a)(2)).");
    if (r->reason && strcmp(r->reason, "no_consent") == 0)
        cp_jw_str(w, "No usable consent on file for this number and calling entity.");
    if (r->disclosure_required)
        cp_jw_str(w, "State the AI or artificial-voice identity and the calling entity at the "
                     "start of the call, a callback number, and how to opt out (47 CFR "
                     "64.1200(b)).");
    if (p->type == CP_CALL_HUMAN_VOICE)
        cp_jw_str(w, "Human-voice calls need no prior express consent under these rules; "
                     "Do-Not-Call registries are not checked here.");
    cp_jw_arr_end(w);
    cp_jw_obj_end(w);
}

static enum cp_qs
precall_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct precall *p = t->cls;
    struct cp_arena *a = &t->req->arena;
    int64_t tenant = t->req->auth.tenant_id;
    struct cp_consent *cs = NULL;
    struct cp_revocation *rs = NULL;
    size_t n_cs = 0, n_rs = 0;
    enum cp_qs qs = c->ops->consent_list(c, tenant, p->phone, a, &cs, &n_cs);
    if (qs < 0 || (qs = c->ops->revocation_list(c, tenant, p->phone, a, &rs, &n_rs)) < 0)
        return qs;
    struct cp_precall_consent *pc = cp_arena_alloc(a, (n_cs + 1) * sizeof(*pc));
    for (size_t i = 0; i < n_cs; i++)
        pc[i] = (struct cp_precall_consent){
            cs[i].id,    cs[i].type,        cs[i].scope,     cs[i].calling_entity,
            cs[i].valid, cs[i].captured_ms, cs[i].revoked_ms};
    struct cp_precall_revocation *pr = cp_arena_alloc(a, (n_rs + 1) * sizeof(*pr));
    for (size_t i = 0; i < n_rs; i++)
        pr[i] = (struct cp_precall_revocation){rs[i].id, rs[i].calling_entity, rs[i].scope_all,
                                               rs[i].revoked_ms, rs[i].honor_by_ms};
    enum cp_hours hours = p->hours == CP_HOURS_OUTSIDE ? CP_PRECALL_HOURS_OUTSIDE
                          : p->hours == CP_HOURS_OK    ? CP_PRECALL_HOURS_OK
                                                       : CP_PRECALL_HOURS_UNKNOWN;
    struct cp_precall_result r;
    cp_precall_decide(p->entity, p->purpose, p->type, p->now_ms, pc, n_cs, pr, n_rs, hours, &r);

    struct cp_decision d = {.tenant_id = tenant,
                            .phone = p->phone,
                            .allowed = r.allowed,
                            .reason = r.reason,
                            .consent_id = r.consent ? r.consent->id : NULL,
                            .created_ms = p->now_ms};
    cp_consent_new_id("dec", d.id);
    struct cp_buf answer = CP_BUF_INIT, inputs = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &answer);
    write_answer(&w, a, p, d.id, &r);
    cp_jw_init(&w, &inputs);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "phone", p->phone);
    cp_jw_kstr(&w, "calling_entity", p->entity);
    cp_jw_kstr(&w, "calling_number", p->calling_number);
    cp_jw_kstr(&w, "purpose", p->purpose_name);
    cp_jw_kstr(&w, "call_type", p->type_name);
    cp_jw_key(&w, "metadata");
    if (p->metadata_json)
        cp_jw_raw(&w, p->metadata_json, strlen(p->metadata_json));
    else
        cp_jw_null(&w);
    cp_jw_ktime(&w, "decided_at", p->now_ms);
    cp_jw_obj_end(&w);
    d.inputs = cp_arena_strndup(a, inputs.data, inputs.len);
    d.result = cp_arena_strndup(a, answer.data, answer.len);
    cp_buf_free(&inputs);
    qs = c->ops->decision_insert(c, &d);
    if (qs < 0) {
        cp_buf_free(&answer);
        return qs;
    }
    cp_reply_json(t->rep, 200);
    cp_buf_append(&t->rep->body, answer.data, answer.len);
    cp_buf_free(&answer);
    return CP_QS_ONE;
}

void
cp_h_precall(struct cp_req *req, struct cp_reply *rep)
{
    struct precall p = {0};
    const char *phone = NULL;
    const cJSON *metadata = NULL;
    struct cp_jspec spec[] = {
        CP_JSPEC_STRING("phone", &phone, CP_JF_REQUIRED, 1, 32),
        CP_JSPEC_STRING("calling_entity", &p.entity, CP_JF_REQUIRED, 1, 200),
        {.name = "calling_number",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = 32,
         .check = cp_check_e164,
         .out = &p.calling_number},
        CP_JSPEC_ENUM("purpose", &p.purpose_name, CP_JF_REQUIRED, purposes),
        CP_JSPEC_ENUM("call_type", &p.type_name, CP_JF_REQUIRED, call_types),
        CP_JSPEC_OBJECT("metadata", &metadata, CP_JF_NULLABLE, 0),
        CP_JSPEC_END,
    };
    struct cp_error err;
    if (cp_jspec_parse(req->json, spec, "", &err) != CP_OK ||
        !cp_consent_phone(phone, "phone", &req->arena, &p.phone, &err) ||
        (metadata != NULL && (p.metadata_json = cp_call_metadata_parse(
                                  metadata, "metadata", &req->arena, &err)) == NULL)) {
        cp_reply_error(rep, &err);
        return;
    }
    cp_purpose_parse(p.purpose_name, &p.purpose);
    cp_call_type_parse(p.type_name, &p.type);
    p.now_ms = cp_time_now_ms();
    p.public_url = req->app->cfg->public_url;
    p.hours = cp_calling_hours_check(p.phone, p.now_ms, HOURS_START, HOURS_END, &p.hours_detail);
    cp_req_transact(req, rep, true, precall_txn, &p);
}
