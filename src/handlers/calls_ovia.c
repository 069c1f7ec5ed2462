/*
 * The Ovia face (seed 004), snake_case: create, read, update and list calls.
 *   POST  /api/v1/calls        create (201, Location)
 *   GET   /api/v1/calls/{id}   read; {id} is the server UUID or the tenant's call_id
 *   PATCH /api/v1/calls/{id}   update the writable fields (see call_input.c)
 *   GET   /api/v1/calls        list with the contact-center filters, snake_case
 */
#include <string.h>

#include "core/time.h"
#include "handlers/call_input.h"
#include "handlers/call_json.h"
#include "handlers/call_list.h"
#include "handlers/handlers.h"
#include "json/write.h"

#define ID_MAX 128

static void
reply_call(struct cp_reply *rep, unsigned status, const struct cp_call *call)
{
    cp_reply_json(rep, status);
    struct cp_jw w;
    cp_jw_init(&w, &rep->body);
    cp_call_write_ovia(&w, call);
}

struct create_ctx {
    struct cp_call call;
    /* The 201's body, written by the handler: the transaction (on the store's one writer
     * thread) only copies it. Freed with the request's arena. */
    struct cp_buf body;
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
    cp_buf_append(&t->rep->body, cc->body.data, cc->body.len);
    cp_reply_header(t->rep, "Location",
                    cp_arena_printf(&t->req->arena, "/api/v1/calls/%s", cc->call.id));
    return CP_QS_ONE;
}

void
cp_h_calls_create(struct cp_req *req, struct cp_reply *rep)
{
    struct cp_call_input in;
    struct cp_error err;
    if (cp_call_input_parse(req->json, CP_CALL_CREATE, &req->arena, &in, &err) != CP_OK) {
        cp_reply_error(rep, &err);
        return;
    }
    struct create_ctx *cc = cp_arena_alloc(&req->arena, sizeof(*cc));
    cp_call_init(&cc->call);
    int64_t now = cp_time_now_ms();
    if (cp_call_input_apply(&in, &cc->call, now, &req->arena, &err) != CP_OK) {
        cp_reply_error(rep, &err);
        return;
    }
    cp_uuid_v7(now, cc->call.id);
    cc->call.tenant_id = req->auth.tenant_id;
    cc->call.created_ms = now;
    cc->body = (struct cp_buf)CP_BUF_INIT;
    cp_arena_defer(&req->arena, (cp_cleanup_fn)cp_buf_free, &cc->body);
    struct cp_jw w;
    cp_jw_init(&w, &cc->body);
    cp_call_write_ovia(&w, &cc->call);
    cp_req_transact_async(req, rep, false, create_txn, cc);
}

/* Shared by every handler that reads a call by the {id} path parameter. */
enum cp_qs
cp_call_load(struct cp_store_conn *c, struct cp_txn_ctx *t, const char *id, struct cp_call *out)
{
    enum cp_qs qs = CP_QS_NONE;
    if (strlen(id) <= ID_MAX)
        qs = c->ops->call_get(c, t->req->auth.tenant_id, id, &t->req->arena, out);
    if (qs == CP_QS_NONE)
        cp_reply_err(t->rep, CP_ERR_NOT_FOUND, NULL, "Call not found: %s.", id);
    return qs;
}

static enum cp_qs
get_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    reply_call(t->rep, 200, &call);
    return CP_QS_ONE;
}

void
cp_h_calls_get(struct cp_req *req, struct cp_reply *rep)
{
    cp_req_transact(req, rep, false, get_txn, NULL);
}

static enum cp_qs
update_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    const struct cp_call_input *in = t->cls;
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    struct cp_error err;
    if (cp_call_input_apply(in, &call, cp_time_now_ms(), &t->req->arena, &err) != CP_OK) {
        cp_reply_error(t->rep, &err);
        return CP_QS_NONE;
    }
    qs = c->ops->call_update(c, &call);
    if (qs <= 0)
        return qs == CP_QS_NONE ? CP_QS_HARD : qs; /* it was there a moment ago, same txn */
    reply_call(t->rep, 200, &call);
    return CP_QS_ONE;
}

void
cp_h_calls_update(struct cp_req *req, struct cp_reply *rep)
{
    struct cp_call_input in;
    struct cp_error err;
    if (cp_call_input_parse(req->json, CP_CALL_UPDATE, &req->arena, &in, &err) != CP_OK) {
        cp_reply_error(rep, &err);
        return;
    }
    cp_req_transact(req, rep, true, update_txn, &in);
}

void
cp_h_calls_list(struct cp_req *req, struct cp_reply *rep)
{
    cp_call_list_reply(req, rep, CP_LIST_SNAKE, cp_call_write_ovia, CP_CALL_FIELDS_ALL);
}
