/*
 * Deleting calls and evidence, under retention:
 *   DELETE /api/v1/calls/{id}     (voice:write) the call and its recordings
 *   DELETE /v1/evidence/{id}      (evidence:write) a sealed bundle
 * Sealed evidence is kept until its retention_until (4 years after the call by default, the
 * TCPA's limitation period; 5 for records the TSR covers): before then both answer 409
 * under_retention and nothing changes, like an object lock in compliance mode. A call is under
 * retention while any of its bundles is. Deleting a bundle leaves its log leaf: the log holds
 * only hashes, and removing a leaf would break every later proof.
 */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "handlers/handlers.h"
#include "json/write.h"
#include "store/blob.h"

static void
under_retention(struct cp_reply *rep, const char *what, const char *id, int64_t until_ms)
{
    char iso[CP_TIME_ISO_LEN];
    cp_time_format_iso(until_ms, iso);
    cp_reply_err(rep, CP_ERR_UNDER_RETENTION, NULL,
                 "%s %s is sealed evidence kept until %s; it cannot be deleted before then.", what,
                 id, iso);
}

static void
reply_deleted(struct cp_reply *rep, const char *id)
{
    cp_reply_json(rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kbool(&w, "deleted", true);
    cp_jw_kstr(&w, "id", id);
    cp_jw_obj_end(&w);
}

struct call_del {
    struct cp_recording *recs;
    size_t n_recs;
};

static enum cp_qs
call_delete_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct call_del *d = t->cls;
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    int64_t until = 0;
    if ((qs = c->ops->bundle_retention_for_call(c, call.tenant_id, call.id, &until)) < 0)
        return qs;
    if (until > cp_time_now_ms()) {
        under_retention(t->rep, "Call", t->req->params[0], until);
        return CP_QS_NONE;
    }
    if ((qs = c->ops->recording_list(c, call.tenant_id, call.id, &t->req->arena, &d->recs,
                                     &d->n_recs)) < 0 ||
        (qs = c->ops->call_delete(c, call.tenant_id, call.id)) < 0)
        return qs;
    reply_deleted(t->rep, call.id);
    return CP_QS_ONE;
}

void
cp_h_calls_delete(struct cp_req *req, struct cp_reply *rep)
{
    struct call_del d = {0};
    if (!cp_req_transact(req, rep, true, call_delete_txn, &d))
        return;
    /* The rows are gone (committed): their files are no longer evidence of anything. */
    for (size_t i = 0; i < d.n_recs; i++)
        if (d.recs[i].file_name != NULL)
            cp_blob_remove(req->app->recordings_dir, d.recs[i].file_name);
}

static enum cp_qs
bundle_delete_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    const char *id = t->req->params[0];
    struct cp_bundle b;
    enum cp_qs qs =
        strlen(id) == CP_BUNDLE_ID_LEN ? c->ops->bundle_get(c, id, &t->req->arena, &b) : CP_QS_NONE;
    if (qs < 0)
        return qs;
    if (qs == CP_QS_NONE || b.tenant_id != t->req->auth.tenant_id) {
        cp_reply_err(t->rep, CP_ERR_NOT_FOUND, NULL, "Evidence bundle not found.");
        return CP_QS_NONE;
    }
    if (b.retention_until_ms > cp_time_now_ms()) {
        under_retention(t->rep, "Evidence bundle", id, b.retention_until_ms);
        return CP_QS_NONE;
    }
    if ((qs = c->ops->bundle_delete(c, t->req->auth.tenant_id, id)) <= 0)
        return qs == CP_QS_NONE ? CP_QS_HARD : qs;
    reply_deleted(t->rep, id);
    return CP_QS_ONE;
}

void
cp_h_evidence_delete(struct cp_req *req, struct cp_reply *rep)
{
    cp_req_transact(req, rep, true, bundle_delete_txn, NULL);
}
