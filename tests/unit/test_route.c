/* Unit tests for route matching (http/route.c) and strict request-target decoding
 * (http/path.c). */
#include "unit.h"

#include "core/arena.h"
#include "http/path.h"
#include "http/route.h"

static void
dummy(struct cp_req *req, struct cp_reply *rep)
{
    (void)req;
    (void)rep;
}

static const struct cp_route table[] = {
    {CP_M_GET, "/v1/health", 0, -1, false, dummy, NULL},
    {CP_M_POST, "/api/v1/calls", 2, 0, true, dummy, NULL},
    {CP_M_GET, "/api/v1/calls/{id}", 1, -1, false, dummy, NULL},
    {CP_M_PATCH, "/api/v1/calls/{id}", 2, 0, true, dummy, NULL},
    {CP_M_GET, "/v1/calls/{call_id}/recordings/{rid}/audio", 1, -1, false, dummy, NULL},
};

static enum cp_route_match
match(enum cp_method m, const char *path, const struct cp_route **r, const char **params,
      size_t *np, unsigned *allowed, struct cp_arena *a)
{
    return cp_route_match(table, sizeof(table) / sizeof(table[0]), m, path, a, r, params, np,
                          allowed);
}

static void
test_route__exact_and_params(void **state)
{
    (void)state;
    struct cp_arena a;
    cp_arena_init(&a);
    const struct cp_route *r = NULL;
    const char *p[CP_MAX_PATH_PARAMS];
    size_t np = 0;
    unsigned allowed = 0;
    assert_int_equal(match(CP_M_GET, "/v1/health", &r, p, &np, &allowed, &a), CP_ROUTE_FOUND);
    assert_ptr_equal(r, &table[0]);
    assert_int_equal(np, 0);
    assert_int_equal(match(CP_M_GET, "/api/v1/calls/abc-123", &r, p, &np, &allowed, &a),
                     CP_ROUTE_FOUND);
    assert_ptr_equal(r, &table[2]);
    assert_int_equal(np, 1);
    assert_string_equal(p[0], "abc-123");
    assert_int_equal(match(CP_M_PATCH, "/api/v1/calls/x", &r, p, &np, &allowed, &a),
                     CP_ROUTE_FOUND);
    assert_ptr_equal(r, &table[3]);
    assert_int_equal(match(CP_M_GET, "/v1/calls/c1/recordings/r9/audio", &r, p, &np, &allowed, &a),
                     CP_ROUTE_FOUND);
    assert_int_equal(np, 2);
    assert_string_equal(p[0], "c1");
    assert_string_equal(p[1], "r9");
    cp_arena_reset(&a);
}

static void
test_route__head_matches_get(void **state)
{
    (void)state;
    const struct cp_route *r = NULL;
    const char *p[CP_MAX_PATH_PARAMS];
    size_t np;
    unsigned allowed;
    assert_int_equal(match(CP_M_HEAD, "/v1/health", &r, p, &np, &allowed, NULL), CP_ROUTE_FOUND);
    assert_ptr_equal(r, &table[0]);
}

static void
test_route__404_for_unknown_paths(void **state)
{
    (void)state;
    const struct cp_route *r = NULL;
    const char *p[CP_MAX_PATH_PARAMS];
    size_t np;
    unsigned allowed;
    const char *paths[] = {"/",
                           "/v1",
                           "/v1/health/",
                           "/v1/healthz",
                           "/api/v1/calls/",
                           "/api/v1/calls/x/y",
                           "//v1/health",
                           "/API/v1/calls"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        assert_int_equal(match(CP_M_GET, paths[i], &r, p, &np, &allowed, NULL), CP_ROUTE_NO_PATH);
}

static void
test_route__405_lists_allowed_methods(void **state)
{
    (void)state;
    const struct cp_route *r = NULL;
    const char *p[CP_MAX_PATH_PARAMS];
    size_t np;
    unsigned allowed = 0;
    assert_int_equal(match(CP_M_DELETE, "/api/v1/calls/x", &r, p, &np, &allowed, NULL),
                     CP_ROUTE_NO_METHOD);
    assert_int_equal(allowed, CP_M_GET | CP_M_HEAD | CP_M_PATCH);
    char hdr[64];
    cp_route_allow_header(allowed, hdr, sizeof(hdr));
    assert_string_equal(hdr, "GET, HEAD, PATCH");
    /* An unknown method (0) on a known path is a 405 too. */
    assert_int_equal(match(0, "/api/v1/calls", &r, p, &np, &allowed, NULL), CP_ROUTE_NO_METHOD);
    assert_int_equal(allowed, CP_M_POST);
}

static void
test_route__method_names(void **state)
{
    (void)state;
    assert_int_equal(cp_method_parse("GET"), CP_M_GET);
    assert_int_equal(cp_method_parse("PATCH"), CP_M_PATCH);
    assert_int_equal(cp_method_parse("get"), 0); /* methods are case-sensitive (RFC 9110) */
    assert_int_equal(cp_method_parse("TRACE"), 0);
    assert_string_equal(cp_method_name(CP_M_DELETE), "DELETE");
}

static enum cp_err
decode(struct cp_arena *a, const char *raw, const char **path, struct cp_kv **q, size_t *nq,
       struct cp_error *err)
{
    return cp_path_decode(raw, a, path, q, nq, err);
}

static void
test_path__decodes_path_and_query(void **state)
{
    (void)state;
    struct cp_arena a;
    cp_arena_init(&a);
    const char *path;
    struct cp_kv *q;
    size_t nq;
    struct cp_error err;
    assert_int_equal(decode(&a, "/v1/a%20b?x=1&y=a+b%2Bc&z&e=", &path, &q, &nq, &err), CP_OK);
    assert_string_equal(path, "/v1/a b");
    assert_int_equal(nq, 4);
    assert_string_equal(q[0].name, "x");
    assert_string_equal(q[0].value, "1");
    assert_string_equal(q[1].value, "a b+c");
    assert_string_equal(q[2].name, "z");
    assert_string_equal(q[2].value, "");
    assert_string_equal(q[3].value, "");
    assert_int_equal(decode(&a, "/v1/health", &path, &q, &nq, &err), CP_OK);
    assert_int_equal(nq, 0);
    assert_int_equal(decode(&a, "/v1/caf%C3%A9", &path, &q, &nq, &err), CP_OK);
    assert_string_equal(path, "/v1/caf\xc3\xa9");
    cp_arena_reset(&a);
}

static void
test_path__rejects_dangerous_targets(void **state)
{
    (void)state;
    struct cp_arena a;
    cp_arena_init(&a);
    const char *path;
    struct cp_kv *q;
    size_t nq;
    struct cp_error err;
    const char *bad[] = {
        "/v1/health%00.json", /* NUL would truncate */
        "/v1/%2e%2e/x",       /* encoded .. */
        "/v1/../x",           /* raw .. */
        "/v1/./x",            /* . */
        "/v1/a%2Fb",          /* encoded slash */
        "/v1/a%5Cb",          /* encoded backslash */
        "/v1/a\\b",           /* raw backslash */
        "/v1/%zz",            /* bad escape */
        "/v1/%4",             /* truncated escape */
        "/v1/%",              /* lone % */
        "/v1/%C3",            /* invalid UTF-8 after decoding */
        "/v1/%0a",            /* control byte */
        "v1/health",          /* not absolute */
        "",                   /* empty */
        "/v1/x#frag",         /* fragment */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum cp_err e = decode(&a, bad[i], &path, &q, &nq, &err);
        if (e != CP_ERR_BAD_PATH)
            fail_msg("accepted or misclassified: '%s' (%d)", bad[i], (int)e);
    }
    cp_arena_reset(&a);
}

static void
test_path__rejects_bad_query(void **state)
{
    (void)state;
    struct cp_arena a;
    cp_arena_init(&a);
    const char *path;
    struct cp_kv *q;
    size_t nq;
    struct cp_error err;
    assert_int_equal(decode(&a, "/v1/x?a=1&a=2", &path, &q, &nq, &err), CP_ERR_BAD_QUERY);
    assert_string_equal(err.field, "a");
    assert_int_equal(decode(&a, "/v1/x?a=%00", &path, &q, &nq, &err), CP_ERR_BAD_QUERY);
    assert_string_equal(err.field, "a");
    assert_int_equal(decode(&a, "/v1/x?=1", &path, &q, &nq, &err), CP_ERR_BAD_QUERY);
    assert_int_equal(decode(&a, "/v1/x?a=%g1", &path, &q, &nq, &err), CP_ERR_BAD_QUERY);
    cp_arena_reset(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route__exact_and_params),
        cmocka_unit_test(test_route__head_matches_get),
        cmocka_unit_test(test_route__404_for_unknown_paths),
        cmocka_unit_test(test_route__405_lists_allowed_methods),
        cmocka_unit_test(test_route__method_names),
        cmocka_unit_test(test_path__decodes_path_and_query),
        cmocka_unit_test(test_path__rejects_dangerous_targets),
        cmocka_unit_test(test_path__rejects_bad_query),
    };
    return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
