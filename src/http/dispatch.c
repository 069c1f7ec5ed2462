/*
 * The request path (see dispatch.h). Each check returns early with an error reply, so the
 * happy path reads top to bottom.
 */
#include "http/dispatch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/time.h"
#include "core/util.h"
#include "http/idem.h"
#include "http/path.h"
#include "http/route.h"
#include "json/json.h"
#include "json/write.h"

#define KEY_TOUCH_GRANULARITY_MS (60 * 1000)

/* A client-supplied X-Request-Id is echoed only if it is short and plain: it goes into logs. */
static bool
request_id_sane(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > CP_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && strchr("-_.:", s[i]) == NULL)
            return false;
    return true;
}

static void
set_request_id(struct cp_req *req)
{
    const char *given = cp_req_header(req, "X-Request-Id");
    if (given != NULL && request_id_sane(given)) {
        snprintf(req->request_id, sizeof(req->request_id), "%s", given);
        return;
    }
    uint8_t rnd[12];
    cp_crypto_random_id(rnd, sizeof(rnd));
    memcpy(req->request_id, "req_", 4);
    cp_hex_encode(rnd, sizeof(rnd), req->request_id + 4);
}

static bool
all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool
check_framing(struct cp_req *req, struct cp_reply *rep)
{
    if (req->target_nul) {
        cp_reply_err(rep, CP_ERR_BAD_PATH, NULL, "The request target contains a NUL byte.");
        return false;
    }

    size_t n_cl = cp_req_header_count(req, "Content-Length");
    size_t n_te = cp_req_header_count(req, "Transfer-Encoding");
    const char *cl = cp_req_header(req, "Content-Length");
    const char *te = cp_req_header(req, "Transfer-Encoding");
    if (n_cl > 1 || (cl != NULL && !all_digits(cl))) {
        cp_reply_err(rep, CP_ERR_BAD_FRAMING, NULL,
                     "Send exactly one Content-Length header holding one decimal number.");
        return false;
    }
    if (n_cl == 1 && n_te > 0) {
        cp_reply_err(rep, CP_ERR_BAD_FRAMING, NULL,
                     "Content-Length and Transfer-Encoding may not be sent together.");
        return false;
    }
    if (n_te > 1 || (te != NULL && strcasecmp(te, "chunked") != 0)) {
        cp_reply_err(rep, CP_ERR_BAD_FRAMING, NULL,
                     "The only Transfer-Encoding accepted is a single 'chunked'.");
        return false;
    }
    /* Headers whose repetition would let two parsers disagree about the request. */
    static const char *const once[] = {"Authorization", "Idempotency-Key", "Content-Type", "Host",
                                       "X-Request-Id"};
    for (size_t i = 0; i < CP_ARRAY_LEN(once); i++) {
        if (cp_req_header_count(req, once[i]) > 1) {
            cp_reply_err(rep, CP_ERR_BAD_HEADER, once[i], "Header %s may be sent only once.",
                         once[i]);
            return false;
        }
    }
    return true;
}

static bool
check_header_limits(struct cp_req *req, struct cp_reply *rep)
{
    const struct cp_config *cfg = req->app->cfg;
    size_t total = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        total += strlen(req->headers[i].name) + strlen(req->headers[i].value) + 4;
    if (req->headers_overflow || (int64_t)req->n_headers > cfg->max_headers ||
        (int64_t)total > cfg->max_header_bytes) {
        cp_reply_err(rep, CP_ERR_HEADERS_TOO_LARGE, NULL,
                     "Request headers exceed the limit of %lld headers or %lld bytes.",
                     (long long)cfg->max_headers, (long long)cfg->max_header_bytes);
        return false;
    }
    return true;
}

static void
unauthorized(struct cp_reply *rep, bool token_given)
{
    /* One message for every failure, so the answer does not reveal which check failed. */
    cp_reply_err(rep, CP_ERR_UNAUTHORIZED, NULL, "Invalid API token.");
    cp_reply_header(rep, "WWW-Authenticate",
                    token_given ? "Bearer realm=\"callproof\", error=\"invalid_token\""
                                : "Bearer realm=\"callproof\"");
}

struct key_lookup {
    const struct cp_key_id *id;
    struct cp_key_row row;
};

static enum cp_qs
key_get_txn(struct cp_store_conn *c, void *cls)
{
    struct key_lookup *k = cls;
    return c->ops->key_get(c, k->id, &k->row);
}

struct key_touch {
    const struct cp_key_id *id;
    int64_t now_ms;
};

static enum cp_qs
key_touch_txn(struct cp_store_conn *c, void *cls)
{
    struct key_touch *t = cls;
    return c->ops->key_touch(c, t->id, t->now_ms, KEY_TOUCH_GRANULARITY_MS);
}

static bool
authenticate(struct cp_req *req, struct cp_reply *rep)
{
    const char *h = cp_req_header(req, "Authorization");
    if (h == NULL) {
        unauthorized(rep, false);
        return false;
    }
    /* RFC 7235: the scheme is case-insensitive; exactly one space before the token. */
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        unauthorized(rep, true);
        return false;
    }
    const char *token = h + 7;
    struct cp_key_id id;
    struct cp_key_secret secret;
    if (!cp_apikey_parse(token, strlen(token), &id, &secret)) {
        unauthorized(rep, true);
        return false;
    }
    struct cp_store_conn *c = cp_req_conn(req, rep);
    if (c == NULL)
        return false;
    struct key_lookup k = {.id = &id};
    enum cp_qs qs = cp_req_has_body(req) ? cp_store_run(c, false, key_get_txn, &k)
                                         : cp_store_run_keep(c, key_get_txn, &k);
    if (qs < 0) {
        cp_reply_store_failure(rep, c, qs, "Could not check the API key");
        return false;
    }
    /* Verified even for an unknown key id, so timing does not reveal which ids exist. */
    bool match = cp_apikey_verify(&id, &secret, &k.row.hash);
    if (qs == CP_QS_NONE || !match || k.row.revoked_ms != 0) {
        unauthorized(rep, true);
        return false;
    }
    req->auth.ok = true;
    req->auth.tenant_id = k.row.tenant_id;
    req->auth.tenant = cp_arena_strdup(&req->arena, k.row.tenant_name);
    req->auth.key_id = id;
    req->auth.scopes = k.row.scopes;

    int64_t now = cp_time_now_ms();
    if (k.row.last_used_ms < now - KEY_TOUCH_GRANULARITY_MS) {
        struct key_touch t = {.id = &id, .now_ms = now};
        if (cp_store_run(c, true, key_touch_txn, &t) < 0)
            cp_log(CP_LOG_WARN, "rid=%s could not record key use", req->request_id);
    }
    return true;
}

static bool
is_json_type(const char *ct)
{
    if (ct == NULL)
        return false;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* RFC 9110 token characters: a method name is one token. */
static bool
is_token(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
            return false;
    return true;
}

static bool
begin_request(struct cp_req *req, struct cp_reply *rep, int64_t *out_body_limit)
{
    const struct cp_config *cfg = req->app->cfg;
    if (req->start_us == 0)
        req->start_us = cp_time_mono_us();
    set_request_id(req);
    *out_body_limit = 0;
    /* The method is echoed nowhere until it is known to be one of ours. */
    if (!is_token(req->method_name)) {
        req->method_name = "-";
        cp_reply_err(rep, CP_ERR_BAD_REQUEST, NULL, "The request method is not a valid token.");
        return false;
    }
    req->method = cp_method_parse(req->method_name);
    if (req->method == 0) {
        cp_reply_err(rep, CP_ERR_NOT_IMPLEMENTED, NULL,
                     "The request method is not implemented; callproof uses GET, HEAD, POST, "
                     "PUT, PATCH and DELETE.");
        return false;
    }

    if (!check_framing(req, rep) || !check_header_limits(req, rep))
        return false;
    if ((int64_t)strlen(req->raw_uri) > cfg->max_url_bytes) {
        cp_reply_err(rep, CP_ERR_URL_TOO_LONG, NULL, "The request URL exceeds %lld bytes.",
                     (long long)cfg->max_url_bytes);
        return false;
    }
    struct cp_error err;
    if (cp_path_decode(req->raw_uri, &req->arena, &req->path, &req->query, &req->n_query, &err) !=
        CP_OK) {
        cp_reply_error(rep, &err);
        return false;
    }
    unsigned allowed = 0;
    enum cp_route_match m =
        cp_route_match(cp_routes, cp_n_routes, req->method, req->path, &req->arena, &req->route,
                       req->params, &req->n_params, &allowed);
    if (m == CP_ROUTE_NO_PATH) {
        cp_reply_err(rep, CP_ERR_NOT_FOUND, NULL, "No endpoint at %s.", req->path);
        return false;
    }
    if (m == CP_ROUTE_NO_METHOD) {
        char *allow = cp_arena_alloc(&req->arena, 64);
        cp_route_allow_header(allowed, allow, 64);
        cp_reply_err(rep, CP_ERR_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on %s; use %s.",
                     req->method_name, req->path, allow);
        cp_reply_header(rep, "Allow", allow);
        return false;
    }

    const struct cp_route *r = req->route;
    if (r->scope != CP_SCOPE_PUBLIC) {
        if (!authenticate(req, rep))
            return false;
        if ((req->auth.scopes & r->scope) == 0) {
            cp_reply_err(rep, CP_ERR_INSUFFICIENT_SCOPE, NULL,
                         "This API key lacks the scope '%s' that this endpoint requires.",
                         cp_scope_name(r->scope));
            cp_reply_header(rep, "WWW-Authenticate",
                            cp_arena_printf(&req->arena,
                                            "Bearer realm=\"callproof\", "
                                            "error=\"insufficient_scope\", scope=\"%s\"",
                                            cp_scope_name(r->scope)));
            return false;
        }
    }

    int64_t limit = r->stream != NULL    ? cfg->max_audio_bytes
                    : r->body_limit == 0 ? cfg->max_body_bytes
                                         : r->body_limit;
    const char *cl = cp_req_header(req, "Content-Length");
    bool has_body = cp_req_has_body(req);
    if (r->json && has_body && !is_json_type(cp_req_header(req, "Content-Type"))) {
        cp_reply_err(rep, CP_ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                     "This endpoint takes Content-Type: application/json.");
        return false;
    }
    if (limit < 0 && has_body) {
        cp_reply_err(rep, CP_ERR_BAD_REQUEST, NULL, "This endpoint takes no request body.");
        return false;
    }
    if (limit >= 0 && cl != NULL && (strlen(cl) > 15 || (int64_t)strtoll(cl, NULL, 10) > limit)) {
        cp_reply_err(rep, CP_ERR_BODY_TOO_LARGE, NULL,
                     "The request body exceeds this endpoint's limit of %lld bytes.",
                     (long long)limit);
        return false;
    }

    const char *ik = cp_req_header(req, "Idempotency-Key");
    if (ik != NULL && (req->method & (CP_M_POST | CP_M_PUT | CP_M_PATCH))) {
        if (!cp_idem_key_valid(ik)) {
            cp_reply_err(rep, CP_ERR_BAD_IDEMPOTENCY_KEY, "Idempotency-Key",
                         "Idempotency-Key must be 1 to 255 printable ASCII characters.");
            return false;
        }
        req->idem_key = ik;
    }
    *out_body_limit = limit < 0 ? 0 : limit;
    return true;
}

bool
cp_http_begin(struct cp_req *req, struct cp_reply *rep, int64_t *out_body_limit)
{
    bool go = begin_request(req, rep, out_body_limit);
    /* The store connection authentication took is not held while a body arrives (a slow
     * upload must not pin it) nor after a refusal. A request without a body keeps it, with
     * the key lookup's read transaction, for its handler's first read (cp_store_run_keep). */
    if (!go || cp_req_has_body(req)) {
        cp_store_release(req->conn);
        req->conn = NULL;
    }
    return go;
}

bool
cp_http_finish(struct cp_req *req, struct cp_reply *rep)
{
    const struct cp_route *r = req->route;
    CP_ASSERT(r != NULL);
    if (r->json) {
        struct cp_error err;
        req->json =
            cp_json_parse_object_in(&req->arena, req->body ? req->body : "", req->body_len, &err);
        if (req->json == NULL) {
            cp_reply_error(rep, &err);
            return true;
        }
    }
    if (req->idem_key == NULL || !req->auth.ok || cp_idem_before(req, rep))
        r->handler(req, rep);
    if (req->pending)
        return false;
    cp_http_complete(req, rep);
    return true;
}

void
cp_http_complete(struct cp_req *req, struct cp_reply *rep)
{
    req->pending = false;
    if (CP_BUG(rep->status == 0))
        cp_reply_err(rep, CP_ERR_INTERNAL, NULL, "The server produced no answer.");
    /* The outcome is committed (or nothing was): the claim and the connection are no longer
     * needed while the reply is sent, however slowly the client reads it. */
    cp_idem_release(req);
    cp_store_release(req->conn);
    req->conn = NULL;
}

/* The request line is built by hand (no printf: it is written for every request). */
struct log_line {
    char b[512];
    size_t n;
};

static void
log_put(struct log_line *l, const char *s, size_t n)
{
    if (n > sizeof(l->b) - l->n)
        n = sizeof(l->b) - l->n;
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void
log_puts(struct log_line *l, const char *s)
{
    log_put(l, s, strlen(s));
}

static void
log_putn(struct log_line *l, int64_t v)
{
    char d[CP_JW_INT_MAX];
    log_put(l, d, cp_jw_format_int(v, d));
}

void
cp_http_log(const struct cp_req *req, const struct cp_reply *rep, size_t bytes_out, int termination)
{
    if (!cp_log_enabled(CP_LOG_INFO))
        return;
    int64_t us = cp_time_mono_us() - req->start_us;
    if (us < 0)
        us = 0;
    /* Only validated values reach the log: the method is a known token or "-" (begin checks
     * it first), the route is our own pattern, the request id is ours or a sane echo.
     * rid=ID tenant=NAME METHOD ROUTE STATUS BYTESB MS.UUUms[ err=CODE][ replayed][ term=N] */
    struct log_line l = {.n = 0};
    log_puts(&l, "rid=");
    log_puts(&l, req->request_id[0] ? req->request_id : "-");
    log_puts(&l, " tenant=");
    log_puts(&l, req->auth.ok ? req->auth.tenant : "-");
    log_puts(&l, " ");
    log_puts(&l, req->method != 0 ? cp_method_name(req->method) : "-");
    log_puts(&l, " ");
    log_puts(&l, req->route ? req->route->pattern : "-");
    log_puts(&l, " ");
    log_putn(&l, rep->status);
    log_puts(&l, " ");
    log_putn(&l, (int64_t)bytes_out);
    log_puts(&l, "B ");
    log_putn(&l, us / 1000);
    char frac[3] = {(char)('0' + us % 1000 / 100), (char)('0' + us % 100 / 10),
                    (char)('0' + us % 10)};
    log_put(&l, ".", 1);
    log_put(&l, frac, 3);
    log_puts(&l, "ms");
    if (rep->err != CP_OK) {
        log_puts(&l, " err=");
        log_puts(&l, cp_err_code(rep->err));
    }
    if (rep->replayed)
        log_puts(&l, " replayed");
    if (termination != 0) {
        log_puts(&l, " term=");
        log_putn(&l, termination);
    }
    cp_log_text(CP_LOG_INFO, l.b, l.n);
}
