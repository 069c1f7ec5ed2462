/*
 * The request path in-process (http/dispatch.c), against a real SQLite store in a temporary
 * directory: routing, authentication, scopes, content checks, framing, and every idempotency
 * decision (replay, reuse with another request, in progress, errors not stored, per tenant).
 * No socket: this is exactly the code the server runs after libmicrohttpd hands over.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/time.h"
#include "http/dispatch.h"
#include "http/idem.h"
#include "store/store.h"

struct fixture {
    char dir[64];
    char db[128];
    struct cp_config cfg;
    struct cp_app app;
    struct cp_key_token tok_all, tok_read, tok_other, tok_revoked;
};

static struct fixture fx;

static void
make_key(struct cp_store_conn *c, const char *tenant, uint32_t scopes, struct cp_key_token *tok,
         bool revoke)
{
    struct cp_key_row row = {0};
    struct cp_key_secret sec;
    assert_true(c->ops->begin(c, true) >= 0);
    assert_true(c->ops->tenant_ensure(c, tenant, cp_time_now_ms(), &row.tenant_id) >= 0);
    cp_apikey_generate(&row.key_id, &sec, tok);
    cp_apikey_hash(&row.key_id, &sec, &row.hash);
    row.scopes = scopes;
    row.created_ms = cp_time_now_ms();
    assert_int_equal(c->ops->key_insert(c, &row), CP_QS_ONE);
    if (revoke)
        assert_int_equal(c->ops->key_revoke(c, &row.key_id, cp_time_now_ms()), CP_QS_ONE);
    assert_true(c->ops->commit(c) >= 0);
}

static int
setup(void **state)
{
    (void)state;
    cp_crypto_init();
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/cp_unit_XXXXXX");
    assert_non_null(mkdtemp(fx.dir));
    snprintf(fx.db, sizeof(fx.db), "%s/callproof.db", fx.dir);
    cp_config_defaults(&fx.cfg);
    fx.cfg.max_body_bytes = 4096;
    struct cp_error err;
    fx.app.cfg = &fx.cfg;
    fx.app.store = cp_store_open(fx.db, &err);
    assert_non_null(fx.app.store);
    fx.app.inflight = cp_idem_inflight_new();
    fx.app.mhd_version = "test";
    struct cp_store_conn *c = cp_store_acquire(fx.app.store, &err);
    assert_non_null(c);
    make_key(c, "acme", CP_SCOPE_ALL, &fx.tok_all, false);
    make_key(c, "acme", CP_SCOPE_VOICE_READ, &fx.tok_read, false);
    make_key(c, "globex", CP_SCOPE_ALL, &fx.tok_other, false);
    make_key(c, "acme", CP_SCOPE_ALL, &fx.tok_revoked, true);
    cp_store_release(c);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cp_idem_inflight_free(fx.app.inflight);
    cp_store_close(fx.app.store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", fx.dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

struct result {
    unsigned status;
    char body[4096];
    char code[64];
    const char *hdr_names[CP_MAX_REPLY_HEADERS];
    char hdr_values[CP_MAX_REPLY_HEADERS][256];
    size_t n_hdr;
};

static const char *
rheader(const struct result *r, const char *name)
{
    for (size_t i = 0; i < r->n_hdr; i++)
        if (strcmp(r->hdr_names[i], name) == 0)
            return r->hdr_values[i];
    return NULL;
}

static void
capture(const struct cp_reply *rep, struct result *out)
{
    memset(out, 0, sizeof(*out));
    out->status = rep->status;
    snprintf(out->body, sizeof(out->body), "%s", rep->body.data ? rep->body.data : "");
    const char *c = strstr(out->body, "\"code\":\"");
    if (c != NULL)
        sscanf(c + 8, "%63[^\"]", out->code);
    for (size_t i = 0; i < rep->n_headers; i++) {
        out->hdr_names[i] = rep->headers[i].name; /* static strings */
        snprintf(out->hdr_values[i], sizeof(out->hdr_values[i]), "%s", rep->headers[i].value);
    }
    out->n_hdr = rep->n_headers;
}

/* Run one request through begin + finish. headers: NULL-terminated name, value pairs. */
static void
run(const char *method, const char *uri, const char *const *headers, const char *body,
    struct result *out)
{
    struct cp_req req;
    struct cp_reply rep;
    cp_req_init(&req, &fx.app);
    cp_reply_init(&rep);
    req.method_name = method;
    req.raw_uri = uri;
    size_t n = 0;
    while (headers != NULL && headers[2 * n] != NULL)
        n++;
    req.headers = cp_arena_alloc(&req.arena, (n + 1) * sizeof(*req.headers));
    for (size_t i = 0; i < n; i++) {
        req.headers[i].name = headers[2 * i];
        req.headers[i].value = headers[2 * i + 1];
    }
    req.n_headers = n;
    int64_t limit = 0;
    if (cp_http_begin(&req, &rep, &limit)) {
        if (body != NULL) {
            req.body = body;
            req.body_len = strlen(body);
        }
        cp_http_finish(&req, &rep);
    }
    capture(&rep, out);
    cp_req_cleanup(&req);
    cp_reply_cleanup(&rep);
}

static char auth_all[128], auth_read[128], auth_other[128], auth_revoked[128];

static const char call_body[] =
    "{\"user_id\":\"3c90c3cc-0d44-4b50-8888-8dd25736052a\","
    "\"agent_id\":\"3c90c3cc-0d44-4b50-8888-8dd25736052a\",\"type\":\"phone_call\","
    "\"direction\":\"outbound\",\"from_number\":\"+15551234567\",\"to_number\":\"+15557654321\","
    "\"phone_number_id\":\"3c90c3cc-0d44-4b50-8888-8dd25736052a\"}";

static void
auth_headers(void)
{
    snprintf(auth_all, sizeof(auth_all), "Bearer %s", fx.tok_all.s);
    snprintf(auth_read, sizeof(auth_read), "Bearer %s", fx.tok_read.s);
    snprintf(auth_other, sizeof(auth_other), "Bearer %s", fx.tok_other.s);
    snprintf(auth_revoked, sizeof(auth_revoked), "Bearer %s", fx.tok_revoked.s);
}

static void
test_dispatch__health_needs_no_auth(void **state)
{
    (void)state;
    struct result r;
    run("GET", "/v1/health", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\":\"ok\""));
    assert_non_null(strstr(r.body, "\"store\":\"sqlite\""));
}

static void
test_dispatch__404_405(void **state)
{
    (void)state;
    struct result r;
    run("GET", "/nope", NULL, NULL, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.code, "not_found");
    run("DELETE", "/v1/health", NULL, NULL, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.code, "method_not_allowed");
    assert_string_equal(rheader(&r, "Allow"), "GET, HEAD");
    run("BREW", "/v1/health", NULL, NULL, &r);
    assert_int_equal(r.status, 501);
    assert_string_equal(r.code, "not_implemented");
    run("G\xffT", "/v1/health", NULL, NULL, &r);
    assert_int_equal(r.status, 400);
    assert_null(strchr(r.body, '\xff'));
}

static void
test_dispatch__401_variants(void **state)
{
    (void)state;
    auth_headers();
    struct result r;
    run("GET", "/api/v1/calls/x", NULL, NULL, &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(r.code, "unauthorized");
    assert_string_equal(rheader(&r, "WWW-Authenticate"), "Bearer realm=\"callproof\"");

    char tampered[128];
    snprintf(tampered, sizeof(tampered), "%s", auth_all);
    tampered[strlen(tampered) - 1] = tampered[strlen(tampered) - 1] == 'a' ? 'b' : 'a';
    char unknown_id[128];
    snprintf(unknown_id, sizeof(unknown_id), "%s", auth_all);
    unknown_id[10] = unknown_id[10] == '0' ? '1' : '0';
    const char *bad[] = {"Bearer", "Bearer ",  "Bearer abc", "Basic dXNlcjpwYXNz",
                         tampered, unknown_id, auth_revoked, "Bearer  cp_x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *h[] = {"Authorization", bad[i], NULL};
        run("GET", "/api/v1/calls/x", h, NULL, &r);
        assert_int_equal(r.status, 401);
        assert_non_null(strstr(r.body, "Invalid API token."));
        assert_non_null(strstr(rheader(&r, "WWW-Authenticate"), "invalid_token"));
    }
    /* The scheme is case-insensitive (RFC 7235). */
    char lower[128];
    snprintf(lower, sizeof(lower), "bearer %s", fx.tok_all.s);
    const char *h[] = {"Authorization", lower, NULL};
    run("GET", "/api/v1/calls/x", h, NULL, &r);
    assert_int_equal(r.status, 404);
}

static void
test_dispatch__403_names_scope(void **state)
{
    (void)state;
    auth_headers();
    struct result r;
    const char *h[] = {"Authorization",
                       auth_read,
                       "Content-Type",
                       "application/json",
                       "Content-Length",
                       "2",
                       NULL};
    run("POST", "/api/v1/calls", h, "{}", &r);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.code, "insufficient_scope");
    assert_non_null(strstr(r.body, "voice:write"));
}

static void
test_dispatch__content_checks(void **state)
{
    (void)state;
    auth_headers();
    struct result r;
    const char *h415[] = {
        "Authorization", auth_all, "Content-Type", "text/plain", "Content-Length", "2", NULL};
    run("POST", "/api/v1/calls", h415, "{}", &r);
    assert_int_equal(r.status, 415);
    const char *h413[] = {
        "Authorization", auth_all, "Content-Type", "application/json", "Content-Length",
        "4097",          NULL};
    run("POST", "/api/v1/calls", h413, NULL, &r);
    assert_int_equal(r.status, 413);
    assert_string_equal(r.code, "body_too_large");
    const char *hjson[] = {"Authorization",
                           auth_all,
                           "Content-Type",
                           "application/json; charset=utf-8",
                           "Content-Length",
                           "3",
                           NULL};
    run("POST", "/api/v1/calls", hjson, "[1]", &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "invalid_json");
    run("POST", "/api/v1/calls", hjson, "{\"bogus\":1}", &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "unknown_field");
    assert_non_null(strstr(r.body, "\"field\":\"bogus\""));
}

static void
test_dispatch__framing_and_limits(void **state)
{
    (void)state;
    struct result r;
    const char *dup_cl[] = {"Content-Length", "5", "Content-Length", "50", NULL};
    run("GET", "/v1/health", dup_cl, NULL, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.code, "bad_framing");
    const char *cl_te[] = {"Content-Length", "5", "Transfer-Encoding", "chunked", NULL};
    run("GET", "/v1/health", cl_te, NULL, &r);
    assert_string_equal(r.code, "bad_framing");
    const char *te_gzip[] = {"Transfer-Encoding", "gzip", NULL};
    run("GET", "/v1/health", te_gzip, NULL, &r);
    assert_string_equal(r.code, "bad_framing");
    const char *cl_list[] = {"Content-Length", "5, 5", NULL};
    run("GET", "/v1/health", cl_list, NULL, &r);
    assert_string_equal(r.code, "bad_framing");
    const char *dup_auth[] = {"Authorization", "a", "Authorization", "b", NULL};
    run("GET", "/v1/health", dup_auth, NULL, &r);
    assert_string_equal(r.code, "bad_header");

    char longuri[9000];
    memset(longuri, 'a', sizeof(longuri) - 1);
    longuri[0] = '/';
    longuri[sizeof(longuri) - 1] = '\0';
    run("GET", longuri, NULL, NULL, &r);
    assert_int_equal(r.status, 414);

    const char *many[2 * 70 + 1];
    for (int i = 0; i < 70; i++) {
        many[2 * i] = "X-Filler";
        many[2 * i + 1] = "x";
    }
    many[140] = NULL;
    run("GET", "/v1/health", many, NULL, &r);
    assert_int_equal(r.status, 431);
}

static void
test_dispatch__request_id_echoed_only_if_sane(void **state)
{
    (void)state;
    struct cp_req req;
    struct cp_reply rep;
    int64_t limit;
    const char *ids[][2] = {{"abc-123", "abc-123"}, {"bad id with spaces", NULL}, {"x\"y", NULL}};
    for (size_t i = 0; i < 3; i++) {
        cp_req_init(&req, &fx.app);
        cp_reply_init(&rep);
        struct cp_kv h = {"X-Request-Id", ids[i][0]};
        req.method_name = "GET";
        req.raw_uri = "/v1/health";
        req.headers = &h;
        req.n_headers = 1;
        assert_true(cp_http_begin(&req, &rep, &limit));
        if (ids[i][1] != NULL)
            assert_string_equal(req.request_id, ids[i][1]);
        else
            assert_memory_equal(req.request_id, "req_", 4);
        cp_req_cleanup(&req);
        cp_reply_cleanup(&rep);
    }
}

static void
test_dispatch__idempotency_decisions(void **state)
{
    (void)state;
    auth_headers();
    struct result first, again, other;
    const char *h[] = {
        "Authorization", auth_all, "Content-Type", "application/json", "Idempotency-Key",
        "key-1",         NULL};
    run("POST", "/api/v1/calls", h, call_body, &first);
    assert_int_equal(first.status, 201);
    assert_null(rheader(&first, "Idempotent-Replayed"));

    /* Same key, same request: the stored response, byte for byte. */
    run("POST", "/api/v1/calls", h, call_body, &again);
    assert_int_equal(again.status, 201);
    assert_string_equal(again.body, first.body);
    assert_string_equal(rheader(&again, "Idempotent-Replayed"), "true");
    assert_string_equal(rheader(&again, "Location"), rheader(&first, "Location"));

    /* Same key, different body or path: 422. */
    char changed[sizeof(call_body)];
    snprintf(changed, sizeof(changed), "%s", call_body);
    memcpy(strstr(changed, "+15557654321"), "+15557654322", 12);
    run("POST", "/api/v1/calls", h, changed, &other);
    assert_int_equal(other.status, 422);
    assert_string_equal(other.code, "idempotency_key_reused");
    run("POST", "/api/v1/calls?x=1", h, call_body, &other);
    assert_int_equal(other.status, 422);

    /* The same key under another tenant is another key. */
    const char *h2[] = {
        "Authorization", auth_other, "Content-Type", "application/json", "Idempotency-Key",
        "key-1",         NULL};
    run("POST", "/api/v1/calls", h2, call_body, &other);
    assert_int_equal(other.status, 201);
    assert_null(rheader(&other, "Idempotent-Replayed"));
    assert_string_not_equal(other.body, first.body);
}

static void
test_dispatch__idempotency_errors_are_not_stored(void **state)
{
    (void)state;
    auth_headers();
    struct result r;
    const char *h[] = {
        "Authorization", auth_all, "Content-Type", "application/json", "Idempotency-Key",
        "key-2",         NULL};
    run("POST", "/api/v1/calls", h, "{\"bogus\":true}", &r);
    assert_int_equal(r.status, 400);
    run("POST", "/api/v1/calls", h, call_body, &r);
    assert_int_equal(r.status, 201);
}

static void
test_dispatch__idempotency_in_progress_is_409(void **state)
{
    (void)state;
    auth_headers();
    /* Request A holds the claim (as it would while its handler runs)... */
    struct cp_req a;
    struct cp_reply ra;
    cp_req_init(&a, &fx.app);
    cp_reply_init(&ra);
    struct cp_kv ha[] = {{"Authorization", auth_all},
                         {"Content-Type", "application/json"},
                         {"Idempotency-Key", "key-3"}};
    a.method_name = "POST";
    a.raw_uri = "/api/v1/calls";
    a.headers = ha;
    a.n_headers = 3;
    int64_t limit;
    assert_true(cp_http_begin(&a, &ra, &limit));
    a.body = call_body;
    a.body_len = strlen(call_body);
    assert_true(cp_idem_before(&a, &ra));
    assert_true(a.idem_claimed);

    /* ...so B with the same key gets 409. */
    struct result r;
    const char *hb[] = {
        "Authorization", auth_all, "Content-Type", "application/json", "Idempotency-Key",
        "key-3",         NULL};
    run("POST", "/api/v1/calls", hb, call_body, &r);
    assert_int_equal(r.status, 409);
    assert_string_equal(r.code, "idempotency_in_progress");

    /* Once A is gone (it never committed), the key is free again. */
    cp_req_cleanup(&a);
    cp_reply_cleanup(&ra);
    run("POST", "/api/v1/calls", hb, call_body, &r);
    assert_int_equal(r.status, 201);
}

static void
test_dispatch__bad_idempotency_keys(void **state)
{
    (void)state;
    auth_headers();
    char long_key[300];
    memset(long_key, 'k', 256);
    long_key[256] = '\0';
    const char *bad[] = {long_key, "", "caf\xc3\xa9", "tab\there"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct result r;
        const char *h[] = {
            "Authorization", auth_all, "Content-Type", "application/json", "Idempotency-Key",
            bad[i],          NULL};
        run("POST", "/api/v1/calls", h, call_body, &r);
        assert_int_equal(r.status, 400);
        assert_string_equal(r.code, "bad_idempotency_key");
    }
    long_key[255] = '\0'; /* 255 is the maximum and fine */
    assert_true(cp_idem_key_valid(long_key));
}

static void
test_dispatch__other_tenant_is_404(void **state)
{
    (void)state;
    auth_headers();
    struct result created, r;
    const char *h[] = {"Authorization", auth_all, "Content-Type", "application/json", NULL};
    run("POST", "/api/v1/calls", h, call_body, &created);
    assert_int_equal(created.status, 201);
    char id[64] = "";
    sscanf(strstr(created.body, "\"id\":\"") + 6, "%36[^\"]", id);
    char uri[128];
    snprintf(uri, sizeof(uri), "/api/v1/calls/%s", id);
    const char *mine[] = {"Authorization", auth_read, NULL};
    run("GET", uri, mine, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, created.body);
    const char *theirs[] = {"Authorization", auth_other, NULL};
    run("GET", uri, theirs, NULL, &r);
    assert_int_equal(r.status, 404);
    /* Nothing of the call leaks (the message only repeats the id the caller sent). */
    assert_null(strstr(r.body, "+15551234567"));
    assert_null(strstr(r.body, "phone_call"));
}

/* A store whose idem_put fails hard: the wrapper over the real SQLite connection. */
static struct cp_store_ops failing_ops;
static enum cp_qs
idem_put_fails(struct cp_store_conn *c, int64_t tenant_id, const char *key,
               const struct cp_idem_row *row, int64_t not_before_ms)
{
    (void)c;
    (void)tenant_id;
    (void)key;
    (void)row;
    (void)not_before_ms;
    return CP_QS_HARD;
}

static int64_t
count_calls(void)
{
    struct result r;
    const char *h[] = {"Authorization", auth_read, NULL};
    run("GET", "/api/v1/calls?page_size=1", h, NULL, &r);
    assert_int_equal(r.status, 200);
    long long n = -1;
    sscanf(strstr(r.body, "\"total_count\":") + 14, "%lld", &n);
    return n;
}

static void
test_dispatch__failed_commit_leaves_nothing_and_no_stale_headers(void **state)
{
    (void)state;
    auth_headers();
    int64_t before = count_calls();
    /* Writes run on the store's writer connection: swap its operations. */
    struct cp_store_conn *c = cp_store_writer_for_tests(fx.app.store);
    assert_non_null(c);
    const struct cp_store_ops *real = c->ops;
    failing_ops = *real;
    failing_ops.idem_put = idem_put_fails;
    c->ops = &failing_ops;

    struct result r;
    const char *h[] = {
        "Authorization", auth_all, "Content-Type", "application/json", "Idempotency-Key",
        "key-fail",      NULL};
    run("POST", "/api/v1/calls", h, call_body, &r);
    c->ops = real;

    assert_int_equal(r.status, 500);
    assert_string_equal(r.code, "internal_error");
    assert_null(rheader(&r, "Location"));    /* the rolled-back 201's header is gone */
    assert_int_equal(count_calls(), before); /* the call was rolled back with the record */
    /* And the key is free: the retry runs and succeeds once. */
    run("POST", "/api/v1/calls", h, call_body, &r);
    assert_int_equal(r.status, 201);
    assert_int_equal(count_calls(), before + 1);
}

static void
test_dispatch__4xx_inside_a_transaction_rolls_back(void **state)
{
    (void)state;
    auth_headers();
    /* A duplicate call_id: the handler's insert is refused and it answers 409; nothing of the
     * attempt (nor an idempotency record) stays, so a corrected retry with the same key runs. */
    const char *h[] = {
        "Authorization", auth_all, "Content-Type", "application/json", "Idempotency-Key",
        "key-dup",       NULL};
    char body[sizeof(call_body) + 64];
    snprintf(body, sizeof(body), "{\"call_id\":\"dup-1\",%s", call_body + 1);
    struct result r;
    const char *h0[] = {"Authorization", auth_all, "Content-Type", "application/json", NULL};
    run("POST", "/api/v1/calls", h0, body, &r);
    assert_int_equal(r.status, 201);
    run("POST", "/api/v1/calls", h, body, &r);
    assert_int_equal(r.status, 409);
    /* The corrected request with the same key runs... */
    snprintf(body, sizeof(body), "{\"call_id\":\"dup-2\",%s", call_body + 1);
    run("POST", "/api/v1/calls", h, body, &r);
    assert_int_equal(r.status, 201);
    /* ...and from then on the key belongs to it: the refused body is now another request. */
    char first[sizeof(call_body) + 64];
    snprintf(first, sizeof(first), "{\"call_id\":\"dup-1\",%s", call_body + 1);
    run("POST", "/api/v1/calls", h, first, &r);
    assert_int_equal(r.status, 422);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch__health_needs_no_auth),
        cmocka_unit_test(test_dispatch__404_405),
        cmocka_unit_test(test_dispatch__401_variants),
        cmocka_unit_test(test_dispatch__403_names_scope),
        cmocka_unit_test(test_dispatch__content_checks),
        cmocka_unit_test(test_dispatch__framing_and_limits),
        cmocka_unit_test(test_dispatch__request_id_echoed_only_if_sane),
        cmocka_unit_test(test_dispatch__idempotency_decisions),
        cmocka_unit_test(test_dispatch__idempotency_errors_are_not_stored),
        cmocka_unit_test(test_dispatch__idempotency_in_progress_is_409),
        cmocka_unit_test(test_dispatch__bad_idempotency_keys),
        cmocka_unit_test(test_dispatch__other_tenant_is_404),
        cmocka_unit_test(test_dispatch__failed_commit_leaves_nothing_and_no_stale_headers),
        cmocka_unit_test(test_dispatch__4xx_inside_a_transaction_rolls_back),
    };
    return cmocka_run_group_tests_name("dispatch", tests, setup, teardown);
}
