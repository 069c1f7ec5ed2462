/*
 * The Vocode face (seed 001): POST /v1/calls/end?id=<call> ends a call and returns the Vocode
 * call object. Ending sets status `ended`, the end time to now if it was unset, and the
 * duration from the start time when known. Ending an ended call changes nothing (200, the same
 * object); a call in `error` cannot be ended (409).
 */
#include <string.h>

#include "core/time.h"
#include "handlers/call_json.h"
#include "handlers/handlers.h"
#include "json/write.h"

static enum cp_qs
end_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    const char *id = t->cls;
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, id, &call);
    if (qs <= 0)
        return qs;
    if (call.status == CP_ST_ERROR) {
        cp_reply_err(t->rep, CP_ERR_INVALID_TRANSITION, "id",
                     "Call %s ended in error and cannot be ended again.", id);
        return CP_QS_NONE;
    }
    if (call.status != CP_ST_ENDED) {
        int64_t now = cp_time_now_ms();
        call.status = CP_ST_ENDED;
        if (call.ended_ms == 0)
            call.ended_ms = now < call.started_ms ? call.started_ms : now;
        if (call.duration_s < 0 && call.started_ms != 0)
            call.duration_s = (call.ended_ms - call.started_ms) / 1000;
        call.updated_ms = now;
        qs = c->ops->call_update(c, &call);
        if (qs <= 0)
            return qs == CP_QS_NONE ? CP_QS_HARD : qs;
    }
    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_call_write_vocode(&w, &call);
    return CP_QS_ONE;
}

void
cp_h_calls_end(struct cp_req *req, struct cp_reply *rep)
{
    static const char *const known[] = {"id", NULL};
    if (!cp_req_query_only(req, rep, known))
        return;
    const char *id = cp_req_query(req, "id");
    if (id == NULL || *id == '\0') {
        cp_reply_err(rep, CP_ERR_BAD_QUERY, "id",
                     "Query parameter 'id' (the call to end) is required.");
        return;
    }
    cp_req_transact(req, rep, true, end_txn, (void *)id);
}
