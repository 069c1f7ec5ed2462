/*
 * Recording logs (seed 003), base path /v1:
 *   POST /v1/calls/{call_id}/recording-log   upsert by (call, recording_id): 201 created,
 *                                            200 updated (created_at kept, metadata replaced)
 *   GET  /v1/calls/{call_id}/recording-log   the call's recordings
 * Replies use the seed's envelope {"status":"success","message":...,"data":...}; errors use
 * the one error envelope, which is the seed's error shape plus code and field. Logging a
 * recording marks the call's recording available in every face.
 */
#include <string.h>

#include "core/time.h"
#include "core/util.h"
#include "handlers/call_json.h"
#include "handlers/handlers.h"
#include "handlers/recording_json.h"
#include "json/spec.h"
#include "json/write.h"

#define DURATION_MAX (7 * 86400)
#define TRANSCRIPTION_ID_MAX 128

static const char *const transcription_statuses[] = {"pending", "completed", "failed", NULL};

struct log_ctx {
    struct cp_recording rec;
    bool created;
};

static enum cp_qs
log_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct log_ctx *l = t->cls;
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    struct cp_recording old;
    qs = c->ops->recording_get(c, call.tenant_id, call.id, l->rec.recording_id, &t->req->arena,
                               &old);
    if (qs < 0)
        return qs;
    l->created = qs == CP_QS_NONE;
    int64_t now = cp_time_now_ms();
    struct cp_recording rec = l->rec;
    snprintf(rec.call_id, sizeof(rec.call_id), "%s", call.id);
    rec.tenant_id = call.tenant_id;
    rec.created_ms = l->created ? now : old.created_ms;
    rec.updated_ms = now;
    if ((qs = c->ops->recording_upsert(c, &rec)) < 0)
        return qs;
    /* The call now has a recording, whichever face asks. */
    if (!call.recording_available || call.recording_url == NULL) {
        call.recording_available = true;
        if (call.recording_url == NULL)
            call.recording_url = rec.recording_url;
        call.updated_ms = now;
        if ((qs = c->ops->call_update(c, &call)) <= 0)
            return qs == CP_QS_NONE ? CP_QS_HARD : qs;
    }
    qs = c->ops->recording_get(c, call.tenant_id, call.id, rec.recording_id, &t->req->arena, &rec);
    if (qs <= 0)
        return qs == CP_QS_NONE ? CP_QS_HARD : qs;
    struct cp_jw w;
    cp_recording_reply_begin(t->rep, &w, l->created ? 201 : 200,
                             "Call recording log saved successfully.");
    cp_recording_write(&w, &call, &rec);
    cp_recording_reply_end(&w);
    return CP_QS_ONE;
}

void
cp_h_recording_log_put(struct cp_req *req, struct cp_reply *rep)
{
    struct log_ctx l = {0};
    struct cp_recording *r = &l.rec;
    r->duration_s = -1;
    const cJSON *metadata = NULL;
    struct cp_jspec spec[] = {
        {.name = "recording_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_REQUIRED,
         .min = 1,
         .max = CP_RECORDING_ID_MAX,
         .check = cp_check_path_id,
         .out = &r->recording_id},
        /* No minimum length: an empty URL gets the seed's "must be a valid HTTPS URL". */
        {.name = "recording_url",
         .type = CP_JT_STRING,
         .flags = CP_JF_REQUIRED,
         .min = 0,
         .max = 2048,
         .check = cp_check_https_url,
         .out = &r->recording_url},
        CP_JSPEC_INT("duration_seconds", &r->duration_s, CP_JF_REQUIRED, 0, DURATION_MAX),
        CP_JSPEC_STRING("transcription_id", &r->transcription_id, CP_JF_NULLABLE, 1,
                        TRANSCRIPTION_ID_MAX),
        CP_JSPEC_ENUM("transcription_status", &r->transcription_status, CP_JF_NULLABLE,
                      transcription_statuses),
        CP_JSPEC_TIME("started_at", &r->started_ms, CP_JF_NULLABLE),
        CP_JSPEC_TIME("ended_at", &r->ended_ms, CP_JF_NULLABLE),
        CP_JSPEC_OBJECT("metadata", &metadata, CP_JF_NULLABLE, 0),
        CP_JSPEC_END,
    };
    struct cp_error err;
    if (cp_jspec_parse(req->json, spec, "", &err) != CP_OK) {
        cp_reply_error(rep, &err);
        return;
    }
    if (r->started_ms != 0 && r->ended_ms != 0 && r->ended_ms < r->started_ms) {
        cp_reply_err(rep, CP_ERR_INVALID_FIELD, "ended_at",
                     "Field 'ended_at' must not be before 'started_at'.");
        return;
    }
    if (metadata != NULL && (r->metadata_json = cp_call_metadata_parse(
                                 metadata, "metadata", &req->arena, &err)) == NULL) {
        cp_reply_error(rep, &err);
        return;
    }
    cp_req_transact(req, rep, true, log_txn, &l);
}

static enum cp_qs
list_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    struct cp_recording *items = NULL;
    size_t n = 0;
    qs = c->ops->recording_list(c, call.tenant_id, call.id, &t->req->arena, &items, &n);
    if (qs < 0)
        return qs;
    const char *msg = cp_arena_printf(&t->req->arena, "%zu recording log%s.", n, n == 1 ? "" : "s");
    struct cp_jw w;
    cp_recording_reply_begin(t->rep, &w, 200, msg);
    cp_jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        cp_recording_write(&w, &call, &items[i]);
    cp_jw_arr_end(&w);
    cp_recording_reply_end(&w);
    return CP_QS_ONE;
}

void
cp_h_recording_log_list(struct cp_req *req, struct cp_reply *rep)
{
    cp_req_transact(req, rep, false, list_txn, NULL);
}
