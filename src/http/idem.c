/*
 * Idempotency-Key handling (the rules are in idem.h). The claim table is a small array under a
 * mutex: a claim lives only while one worker thread runs one request, so there are never more
 * entries than worker threads and a linear scan beats any hash table.
 */
#include "http/idem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "core/util.h"

struct claim {
    int64_t tenant_id;
    char *key;
};

struct cp_idem_inflight {
    pthread_mutex_t lock;
    struct claim *items;
    size_t n, cap;
};

bool
cp_idem_key_valid(const char *key)
{
    size_t n = strlen(key);
    if (n < 1 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7e)
            return false;
    return true;
}

struct cp_idem_inflight *
cp_idem_inflight_new(void)
{
    struct cp_idem_inflight *t = calloc(1, sizeof(*t));
    if (t == NULL)
        cp_die("out of memory");
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void
cp_idem_inflight_free(struct cp_idem_inflight *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->items[i].key);
    free(t->items);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static bool
claim(struct cp_idem_inflight *t, int64_t tenant_id, const char *key)
{
    bool ok = true;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        if (t->items[i].tenant_id == tenant_id && strcmp(t->items[i].key, key) == 0) {
            ok = false;
            break;
        }
    }
    if (ok) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 16;
            struct claim *p = realloc(t->items, cap * sizeof(*p));
            if (p == NULL)
                cp_die("out of memory");
            t->items = p;
            t->cap = cap;
        }
        t->items[t->n].tenant_id = tenant_id;
        t->items[t->n].key = strdup(key);
        if (t->items[t->n].key == NULL)
            cp_die("out of memory");
        t->n++;
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

static void
unclaim(struct cp_idem_inflight *t, int64_t tenant_id, const char *key)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        if (t->items[i].tenant_id == tenant_id && strcmp(t->items[i].key, key) == 0) {
            free(t->items[i].key);
            t->items[i] = t->items[--t->n];
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
}

/* SHA-256 over "callproof/idempotency/v1" NUL method NUL target NUL body: any change to the
 * method, path, query or body changes it. A streamed body is represented by its own SHA-256
 * (under another domain string, so the two forms never collide). */
static void
fingerprint(const struct cp_req *req, const struct cp_sha256 *body_digest, struct cp_sha256 *out)
{
    static const char domain[] = "callproof/idempotency/v1";
    static const char domain_streamed[] = "callproof/idempotency/streamed/v1";
    struct cp_sha256_ctx ctx;
    cp_crypto_sha256_init(&ctx);
    if (body_digest != NULL)
        cp_crypto_sha256_update(&ctx, domain_streamed, sizeof(domain_streamed));
    else
        cp_crypto_sha256_update(&ctx, domain, sizeof(domain));
    cp_crypto_sha256_update(&ctx, req->method_name, strlen(req->method_name) + 1);
    cp_crypto_sha256_update(&ctx, req->raw_uri, strlen(req->raw_uri) + 1);
    if (body_digest != NULL)
        cp_crypto_sha256_update(&ctx, body_digest->b, sizeof(body_digest->b));
    else if (req->body_len > 0)
        cp_crypto_sha256_update(&ctx, req->body, req->body_len);
    cp_crypto_sha256_final(&ctx, out);
}

enum cp_qs
cp_idem_answer_recorded(struct cp_store_conn *c, struct cp_req *req, struct cp_reply *rep)
{
    int64_t ttl_ms = req->app->cfg->idempotency_ttl_hours * 3600 * 1000;
    struct cp_idem_row row;
    enum cp_qs qs = c->ops->idem_get(c, req->auth.tenant_id, req->idem_key,
                                     cp_time_now_ms() - ttl_ms, &req->arena, &row);
    if (qs <= 0)
        return qs;
    if (!cp_crypto_sha256_eq(&row.fingerprint, &req->idem_fingerprint)) {
        cp_reply_err(rep, CP_ERR_IDEMPOTENCY_KEY_REUSED, NULL,
                     "This Idempotency-Key was already used with a different request (method, "
                     "path or body). Use a new key for a new request.");
        return CP_QS_ONE;
    }
    cp_buf_free(&rep->body);
    rep->n_headers = 0;
    rep->status = row.status;
    rep->content_type = row.content_type;
    cp_buf_append(&rep->body, row.body, row.body_len);
    if (row.location != NULL)
        cp_reply_header(rep, "Location", row.location);
    cp_reply_header(rep, "Idempotent-Replayed", "true");
    rep->replayed = true;
    rep->err = CP_OK;
    return CP_QS_ONE;
}

struct lookup {
    struct cp_req *req;
    struct cp_reply *rep;
};

static enum cp_qs
lookup_txn(struct cp_store_conn *c, void *cls)
{
    struct lookup *l = cls;
    return cp_idem_answer_recorded(c, l->req, l->rep);
}

bool
cp_idem_before(struct cp_req *req, struct cp_reply *rep)
{
    return cp_idem_before_digest(req, rep, NULL);
}

bool
cp_idem_before_digest(struct cp_req *req, struct cp_reply *rep, const struct cp_sha256 *digest)
{
    CP_ASSERT(req->idem_key != NULL && req->auth.ok);
    fingerprint(req, digest, &req->idem_fingerprint);
    /* Claim first, then look: a request that completes between a look and a claim would
     * otherwise run twice. (The write transaction looks again, so even a second process on
     * the same database cannot make it run twice; the claim is what turns a concurrent
     * duplicate into a 409 instead of a wait.) */
    if (!claim(req->app->inflight, req->auth.tenant_id, req->idem_key)) {
        cp_reply_err(rep, CP_ERR_IDEMPOTENCY_IN_PROGRESS, NULL,
                     "A request with this Idempotency-Key is still in progress; retry when it "
                     "has completed.");
        return false;
    }
    req->idem_claimed = true;
    struct cp_store_conn *c = cp_req_conn(req, rep);
    if (c == NULL)
        return false;
    struct lookup l = {.req = req, .rep = rep};
    enum cp_qs qs = cp_store_run(c, false, lookup_txn, &l);
    if (qs < 0) {
        cp_reply_store_failure(rep, c, qs, "Could not check the Idempotency-Key");
        return false;
    }
    return qs == CP_QS_NONE;
}

void
cp_idem_release(struct cp_req *req)
{
    if (!req->idem_claimed)
        return;
    unclaim(req->app->inflight, req->auth.tenant_id, req->idem_key);
    req->idem_claimed = false;
}

enum cp_qs
cp_idem_save(struct cp_store_conn *c, struct cp_req *req, const struct cp_reply *rep)
{
    if (req->idem_key == NULL || rep->status < 200 || rep->status > 299)
        return CP_QS_ONE;
    struct cp_idem_row row = {
        .fingerprint = req->idem_fingerprint,
        .status = rep->status,
        .content_type = rep->content_type ? rep->content_type : "application/json",
        .location = NULL,
        .body = rep->body.data,
        .body_len = rep->body.len,
        .created_ms = cp_time_now_ms(),
    };
    for (size_t i = 0; i < rep->n_headers; i++)
        if (strcmp(rep->headers[i].name, "Location") == 0)
            row.location = rep->headers[i].value;
    int64_t ttl_ms = req->app->cfg->idempotency_ttl_hours * 3600 * 1000;
    return c->ops->idem_put(c, req->auth.tenant_id, req->idem_key, &row, row.created_ms - ttl_ms);
}
