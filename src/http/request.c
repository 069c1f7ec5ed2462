/*
 * Request and reply plumbing shared by every handler: lookups, the lazily acquired store
 * connection, the idempotency-aware transaction runner, and the one error envelope.
 */
#include "http/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "http/idem.h"
#include "json/write.h"

void
cp_req_init(struct cp_req *req, struct cp_app *app)
{
    memset(req, 0, sizeof(*req));
    cp_arena_init(&req->arena);
    req->app = app;
}

void
cp_req_cleanup(struct cp_req *req)
{
    cp_idem_release(req);
    cp_store_release(req->conn);
    req->conn = NULL;
    cp_arena_reset(&req->arena);
}

void
cp_reply_init(struct cp_reply *rep)
{
    memset(rep, 0, sizeof(*rep));
    rep->file_fd = -1;
}

void
cp_reply_cleanup(struct cp_reply *rep)
{
    cp_buf_free(&rep->body);
    if (rep->file_fd >= 0)
        close(rep->file_fd);
    rep->file_fd = -1;
}

const char *
cp_req_header(const struct cp_req *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

bool
cp_req_has_body(const struct cp_req *req)
{
    const char *cl = cp_req_header(req, "Content-Length");
    return cp_req_header(req, "Transfer-Encoding") != NULL || (cl != NULL && strcmp(cl, "0") != 0);
}

size_t
cp_req_header_count(const struct cp_req *req, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        n += strcasecmp(req->headers[i].name, name) == 0;
    return n;
}

const char *
cp_req_query(const struct cp_req *req, const char *name)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

bool
cp_req_query_only(const struct cp_req *req, struct cp_reply *rep, const char *const *allowed)
{
    for (size_t i = 0; i < req->n_query; i++) {
        const char *name = req->query[i].name;
        size_t k = 0;
        while (allowed[k] != NULL && strcmp(allowed[k], name) != 0)
            k++;
        if (allowed[k] == NULL) {
            struct cp_buf known = CP_BUF_INIT;
            for (k = 0; allowed[k] != NULL; k++) /* "a", "a or b", "a, b or c" */
                cp_buf_printf(&known, "%s%s",
                              k == 0           ? ""
                              : allowed[k + 1] ? ", "
                                               : " or ",
                              allowed[k]);
            if (known.len != 0)
                cp_reply_err(rep, CP_ERR_BAD_QUERY, name,
                             "Query parameter '%s' is not known here; use %s.", name, known.data);
            else
                cp_reply_err(rep, CP_ERR_BAD_QUERY, name,
                             "Query parameter '%s' is not known here; this takes none.", name);
            cp_buf_free(&known);
            return false;
        }
    }
    return true;
}

struct cp_store_conn *
cp_req_conn(struct cp_req *req, struct cp_reply *rep)
{
    if (req->conn != NULL)
        return req->conn;
    struct cp_error err;
    req->conn = cp_store_acquire(req->app->store, &err);
    if (req->conn == NULL) {
        cp_log(CP_LOG_ERROR, "rid=%s store unavailable: %s", req->request_id, err.message);
        cp_reply_err(rep, CP_ERR_UNAVAILABLE, NULL, "The store is unavailable. Please retry.");
        cp_reply_header(rep, "Retry-After", "1");
    }
    return req->conn;
}

static void store_failure(struct cp_reply *rep, enum cp_store_cause cause, enum cp_qs qs,
                          const char *what);

struct txn_wrap {
    struct cp_txn_ctx ctx;
    cp_req_txn_fn fn;
};

/*
 * The transaction of a request. With an Idempotency-Key it first looks for a record of the
 * key inside this (write-locked) transaction, so that two executions can never both commit,
 * even from two processes. Only a 2xx is committed: a handler that decides on a 4xx after
 * writing leaves nothing behind (CP_QS_ABORT rolls back, keeping the reply).
 */
static enum cp_qs
txn_wrap_fn(struct cp_store_conn *c, void *cls)
{
    struct txn_wrap *w = cls;
    struct cp_req *req = w->ctx.req;
    struct cp_reply *rep = w->ctx.rep;
    /* A retry starts from a clean reply: nothing of a rolled-back attempt may leak out. */
    cp_reply_json(rep, 0); /* drops the body and any file an attempt opened */
    rep->content_type = NULL;
    rep->n_headers = 0;
    rep->err = CP_OK;
    if (req->idem_key != NULL && req->auth.ok) {
        enum cp_qs rq = cp_idem_answer_recorded(c, req, rep);
        if (rq != CP_QS_NONE)
            return rq < 0 ? rq : CP_QS_ABORT;
    }
    enum cp_qs qs = w->fn(c, &w->ctx);
    if (qs < 0)
        return qs;
    if (rep->status < 200 || rep->status > 299)
        return CP_QS_ABORT;
    enum cp_qs sq = cp_idem_save(c, req, rep);
    if (sq < 0)
        return sq;
    if (sq == CP_QS_NONE)
        return CP_QS_SOFT; /* recorded meanwhile: the retry replays that record */
    return qs;
}

static bool
transact(struct cp_req *req, struct cp_reply *rep, int mode, cp_req_txn_fn fn, void *cls)
{
    struct cp_store_conn *c = cp_req_conn(req, rep);
    if (c == NULL)
        return false;
    struct txn_wrap w = {.ctx = {.req = req, .rep = rep, .cls = cls}, .fn = fn};
    enum cp_qs qs = mode == 2 ? cp_store_run_log(c, txn_wrap_fn, &w)
                              : cp_store_run(c, mode == 1, txn_wrap_fn, &w);
    if (qs >= 0)
        return true;
    if (qs == CP_QS_ABORT)
        return false; /* rolled back on purpose; the reply says why */
    cp_reply_store_failure(rep, c, qs, "The server could not complete the request");
    return false;
}

bool
cp_req_transact(struct cp_req *req, struct cp_reply *rep, bool write, cp_req_txn_fn fn, void *cls)
{
    return transact(req, rep, write ? 1 : 0, fn, cls);
}

bool
cp_req_transact_log(struct cp_req *req, struct cp_reply *rep, cp_req_txn_fn fn, void *cls)
{
    return transact(req, rep, 2, fn, cls);
}

static void
async_done(void *cls, enum cp_qs qs, enum cp_store_cause cause)
{
    struct txn_wrap *w = cls;
    if (qs < 0 && qs != CP_QS_ABORT)
        store_failure(w->ctx.rep, cause, qs, "The server could not complete the request");
    w->ctx.req->resume(w->ctx.req->resume_cls);
}

void
cp_req_transact_async(struct cp_req *req, struct cp_reply *rep, bool log, cp_req_txn_fn fn,
                      void *cls)
{
    struct cp_store *s = req->app->store;
    if (req->resume == NULL || !cp_store_has_writer(s)) {
        transact(req, rep, log ? 2 : 1, fn, cls);
        return;
    }
    struct txn_wrap *w = cp_arena_alloc(&req->arena, sizeof(*w));
    *w = (struct txn_wrap){.ctx = {.req = req, .rep = rep, .cls = cls}, .fn = fn};
    cp_store_release(req->conn);
    req->conn = NULL;
    req->pending = true;
    cp_store_submit(s, log, txn_wrap_fn, w, async_done, w);
}

void
cp_reply_store_failure(struct cp_reply *rep, const struct cp_store_conn *c, enum cp_qs qs,
                       const char *what)
{
    store_failure(rep, c->cause, qs, what);
}

static void
store_failure(struct cp_reply *rep, enum cp_store_cause cause, enum cp_qs qs, const char *what)
{
    if (qs == CP_QS_HARD && cause == CP_CAUSE_FULL) {
        cp_reply_err(rep, CP_ERR_INSUFFICIENT_STORAGE, NULL,
                     "%s: the server is out of storage space; nothing was saved. Retry later.",
                     what);
        cp_reply_header(rep, "Retry-After", "60");
    } else if (qs == CP_QS_SOFT || cause == CP_CAUSE_DOWN) {
        cp_reply_err(rep, CP_ERR_UNAVAILABLE, NULL,
                     "%s: the store is busy or unreachable; nothing was saved. Please retry.",
                     what);
        cp_reply_header(rep, "Retry-After", "1");
    } else {
        cp_reply_err(rep, CP_ERR_INTERNAL, NULL, "%s; nothing was saved. Please retry.", what);
    }
}

void
cp_reply_header(struct cp_reply *rep, const char *name, const char *value)
{
    if (CP_BUG(rep->n_headers >= CP_MAX_REPLY_HEADERS))
        return;
    rep->headers[rep->n_headers].name = name;
    rep->headers[rep->n_headers].value = value;
    rep->n_headers++;
}

void
cp_reply_json(struct cp_reply *rep, unsigned status)
{
    rep->status = status;
    rep->content_type = "application/json";
    cp_buf_free(&rep->body);
    if (rep->file_fd >= 0)
        close(rep->file_fd);
    rep->file_fd = -1;
}

void
cp_reply_error(struct cp_reply *rep, const struct cp_error *err)
{
    cp_reply_json(rep, cp_err_status(err->code));
    rep->n_headers = 0; /* headers of an abandoned success (Location...) must not leak */
    rep->err = err->code;
    struct cp_jw w;
    cp_jw_init(&w, &rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "status", "error");
    cp_jw_kstr(&w, "message", err->message);
    cp_jw_kstr(&w, "code", cp_err_code(err->code));
    if (err->field[0] != '\0')
        cp_jw_kstr(&w, "field", err->field);
    cp_jw_knull(&w, "data");
    cp_jw_obj_end(&w);
}

void
cp_reply_err(struct cp_reply *rep, enum cp_err code, const char *field, const char *fmt, ...)
{
    struct cp_error err;
    err.code = code;
    snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof(err.message), fmt, ap);
    va_end(ap);
    cp_utf8_trim_tail(err.field);
    cp_utf8_trim_tail(err.message);
    cp_reply_error(rep, &err);
}
