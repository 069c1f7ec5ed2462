/*
 * The Ovia face (seed 004): POST /api/v1/calls and GET /api/v1/calls/{id}, snake_case.
 * {id} accepts the server UUID or the tenant's own call_id.
 */
#include <string.h>

#include "core/time.h"
#include "handlers/call_json.h"
#include "handlers/handlers.h"
#include "json/spec.h"
#include "json/write.h"

static const char *const directions[] = {"inbound", "outbound", NULL};
static const char *const statuses[] = {"not_started", "in_progress", "ended", "error", NULL};
static const char *const outcomes[] = {"completed", "no_answer", "busy",
                                       "voicemail", "failed",    NULL};

#define ID_MAX 128
#define TEXT_MAX (256 * 1024)

struct create_ctx {
    struct cp_call call;
};

static enum cp_qs
create_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct create_ctx *cc = t->cls;
    enum cp_qs qs = c->ops->call_insert(c, &cc->call);
    if (qs < 0)
        return qs;
    if (qs == CP_QS_NONE) {
        cp_reply_err(t->rep, CP_ERR_CONFLICT, "call_id", "A call with call_id '%s' already exists.",
                     cc->call.external_id);
        return CP_QS_NONE;
    }
    cp_reply_json(t->rep, 201);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_call_write_ovia(&w, &cc->call);
    cp_reply_header(t->rep, "Location",
                    cp_arena_printf(&t->req->arena, "/api/v1/calls/%s", cc->call.id));
    return CP_QS_ONE;
}

void
cp_h_calls_create(struct cp_req *req, struct cp_reply *rep)
{
    struct create_ctx cc;
    struct cp_call *call = &cc.call;
    cp_call_init(call);
    const char *direction = NULL, *status = NULL, *outcome = NULL;
    const cJSON *costs = NULL, *metadata = NULL, *agent = NULL;
    struct cp_jspec spec[] = {
        {.name = "user_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_REQUIRED,
         .check = cp_check_uuid,
         .out = &call->user_id},
        {.name = "agent_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_REQUIRED,
         .check = cp_check_uuid,
         .out = &call->agent_id},
        CP_JSPEC_STRING("type", &call->type, CP_JF_REQUIRED, 1, 64),
        CP_JSPEC_ENUM("direction", &direction, CP_JF_REQUIRED, directions),
        {.name = "from_number",
         .type = CP_JT_STRING,
         .flags = CP_JF_REQUIRED,
         .check = cp_check_phone,
         .out = &call->from_number},
        {.name = "to_number",
         .type = CP_JT_STRING,
         .flags = CP_JF_REQUIRED,
         .check = cp_check_phone,
         .out = &call->to_number},
        {.name = "phone_number_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_REQUIRED,
         .check = cp_check_uuid,
         .out = &call->phone_number_id},
        CP_JSPEC_STRING("call_id", &call->external_id, CP_JF_NULLABLE, 1, ID_MAX),
        CP_JSPEC_ENUM("status", &status, CP_JF_NULLABLE, statuses),
        CP_JSPEC_ENUM("outcome", &outcome, CP_JF_NULLABLE, outcomes),
        CP_JSPEC_STRING("campaign_id", &call->campaign_id, CP_JF_NULLABLE, 1, ID_MAX),
        CP_JSPEC_TIME("started_at", &call->started_ms, CP_JF_NULLABLE),
        CP_JSPEC_TIME("ended_at", &call->ended_ms, CP_JF_NULLABLE),
        CP_JSPEC_INT("duration", &call->duration_s, CP_JF_NULLABLE, 0, 7 * 86400),
        CP_JSPEC_STRING("recording_url", &call->recording_url, CP_JF_NULLABLE, 1, 2048),
        CP_JSPEC_STRING("transcript", &call->transcript, CP_JF_NULLABLE, 0, TEXT_MAX),
        CP_JSPEC_STRING("analysis", &call->analysis_json, CP_JF_NULLABLE, 0, 65536),
        CP_JSPEC_STRING("latency_metrics", &call->latency_metrics_json, CP_JF_NULLABLE, 0, 65536),
        CP_JSPEC_OBJECT("metadata", &metadata, CP_JF_NULLABLE, 0),
        CP_JSPEC_OBJECT("costs", &costs, CP_JF_NULLABLE, 0),
        CP_JSPEC_OBJECT("agent", &agent, CP_JF_NULLABLE, 0),
        CP_JSPEC_END,
    };
    struct cp_error err;
    if (cp_jspec_parse(req->json, spec, "", &err) != CP_OK) {
        cp_reply_error(rep, &err);
        return;
    }
    struct cp_jspec agent_spec[] = {
        CP_JSPEC_STRING("name", &call->agent_name, CP_JF_NULLABLE, 1, 256),
        CP_JSPEC_END,
    };
    if (agent != NULL && cp_jspec_parse(agent, agent_spec, "agent", &err) != CP_OK) {
        cp_reply_error(rep, &err);
        return;
    }
    if (direction != NULL)
        cp_direction_parse(direction, &call->direction);
    if (status != NULL)
        cp_status_parse(status, &call->status);
    if (outcome != NULL)
        cp_outcome_parse(outcome, &call->outcome);
    if (call->started_ms != 0 && call->ended_ms != 0 && call->ended_ms < call->started_ms) {
        cp_reply_err(rep, CP_ERR_INVALID_FIELD, "ended_at",
                     "Field 'ended_at' must not be before 'started_at'.");
        return;
    }
    if (costs != NULL &&
        (call->costs_json = cp_call_costs_parse(costs, &req->arena, &err)) == NULL) {
        cp_reply_error(rep, &err);
        return;
    }
    if (metadata != NULL && (call->metadata_json = cp_call_metadata_parse(
                                 metadata, "metadata", &req->arena, &err)) == NULL) {
        cp_reply_error(rep, &err);
        return;
    }
    if (call->recording_url != NULL)
        call->recording_available = true;

    int64_t now = cp_time_now_ms();
    cp_uuid_v7(now, call->id);
    call->tenant_id = req->auth.tenant_id;
    call->created_ms = call->updated_ms = now;
    cp_req_transact(req, rep, true, create_txn, &cc);
}

struct get_ctx {
    const char *id;
    struct cp_call call;
};

static enum cp_qs
get_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct get_ctx *g = t->cls;
    enum cp_qs qs = c->ops->call_get(c, t->req->auth.tenant_id, g->id, &t->req->arena, &g->call);
    if (qs < 0)
        return qs;
    if (qs == CP_QS_NONE) {
        cp_reply_err(t->rep, CP_ERR_NOT_FOUND, NULL, "Call not found: %s.", g->id);
        return CP_QS_NONE;
    }
    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_call_write_ovia(&w, &g->call);
    return CP_QS_ONE;
}

void
cp_h_calls_get(struct cp_req *req, struct cp_reply *rep)
{
    struct get_ctx g = {.id = req->params[0]};
    if (strlen(g.id) > ID_MAX) {
        cp_reply_err(rep, CP_ERR_NOT_FOUND, NULL, "Call not found.");
        return;
    }
    cp_req_transact(req, rep, false, get_txn, &g);
}
