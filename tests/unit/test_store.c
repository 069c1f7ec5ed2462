/*
 * The store contract: the behaviour every backend must have, written once against the
 * interface in store/store.h. Today it runs on SQLite in a fresh temporary directory; the
 * PostgreSQL backend will run the same file. Also covers what is SQLite-specific about opening
 * (migrations, a newer schema refused, durability settings).
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/time.h"
#include "store/sqlite/plan.h"
#include "store/store.h"

static char dir[64], db[128];
static struct cp_store *store;
static struct cp_store_conn *conn;

static int
setup(void **state)
{
    (void)state;
    cp_crypto_init();
    snprintf(dir, sizeof(dir), "/tmp/cp_store_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/callproof.db", dir);
    struct cp_error err;
    store = cp_store_open(db, &err);
    assert_non_null(store);
    conn = cp_store_acquire(store, &err);
    assert_non_null(conn);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cp_store_release(conn);
    cp_store_close(store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

#define OPS conn->ops

static void
begin(bool write)
{
    assert_int_equal(OPS->begin(conn, write), CP_QS_ONE);
}

static void
commit(void)
{
    assert_int_equal(OPS->commit(conn), CP_QS_ONE);
}

static int64_t
tenant(const char *name)
{
    int64_t id = 0;
    begin(true);
    assert_true(OPS->tenant_ensure(conn, name, cp_time_now_ms(), &id) >= 0);
    commit();
    return id;
}

static void
test_store__opens_with_current_schema(void **state)
{
    (void)state;
    assert_string_equal(cp_store_backend(store), "sqlite");
    assert_true(cp_store_schema_version(store) >= 2);
}

static void
test_store__tenant_ensure_is_idempotent(void **state)
{
    (void)state;
    int64_t a = 0, b = 0, c = 0;
    begin(true);
    assert_int_equal(OPS->tenant_ensure(conn, "t-ensure", 1, &a), CP_QS_ONE);
    assert_int_equal(OPS->tenant_ensure(conn, "t-ensure", 2, &b), CP_QS_NONE);
    assert_int_equal(OPS->tenant_ensure(conn, "t-ensure-2", 3, &c), CP_QS_ONE);
    commit();
    assert_int_equal(a, b);
    assert_true(a != c);
}

struct list_acc {
    int n;
    bool seen;
    struct cp_key_id want;
};

static void
list_cb(void *cls, const struct cp_key_row *row)
{
    struct list_acc *acc = cls;
    acc->n++;
    if (strcmp(row->key_id.s, acc->want.s) == 0)
        acc->seen = true;
}

static void
test_store__keys_lifecycle(void **state)
{
    (void)state;
    int64_t t = tenant("t-keys");
    struct cp_key_row row = {.tenant_id = t, .scopes = CP_SCOPE_VOICE_READ, .created_ms = 1000};
    struct cp_key_secret sec;
    struct cp_key_token tok;
    cp_apikey_generate(&row.key_id, &sec, &tok);
    cp_apikey_hash(&row.key_id, &sec, &row.hash);

    begin(true);
    assert_int_equal(OPS->key_insert(conn, &row), CP_QS_ONE);
    assert_int_equal(OPS->key_insert(conn, &row), CP_QS_NONE); /* same id: refused */
    commit();

    struct cp_key_row got;
    begin(false);
    assert_int_equal(OPS->key_get(conn, &row.key_id, &got), CP_QS_ONE);
    commit();
    assert_int_equal(got.tenant_id, t);
    assert_string_equal(got.tenant_name, "t-keys");
    assert_int_equal(got.scopes, CP_SCOPE_VOICE_READ);
    assert_memory_equal(got.hash.b, row.hash.b, 32);
    assert_int_equal(got.last_used_ms, 0);
    assert_int_equal(got.revoked_ms, 0);

    /* Touch writes only when the stored value is older than the granularity. */
    begin(true);
    assert_int_equal(OPS->key_touch(conn, &row.key_id, 100000, 60000), CP_QS_ONE);
    assert_int_equal(OPS->key_touch(conn, &row.key_id, 130000, 60000), CP_QS_NONE);
    assert_int_equal(OPS->key_touch(conn, &row.key_id, 170001, 60000), CP_QS_ONE);
    commit();
    begin(false);
    assert_int_equal(OPS->key_get(conn, &row.key_id, &got), CP_QS_ONE);
    commit();
    assert_int_equal(got.last_used_ms, 170001);

    struct list_acc acc = {.want = row.key_id};
    begin(false);
    assert_true(OPS->key_list(conn, list_cb, &acc) >= 1);
    commit();
    assert_true(acc.seen);

    int64_t n = 0;
    begin(false);
    assert_int_equal(OPS->key_count(conn, &n), CP_QS_ONE);
    commit();
    assert_true(n >= 1);

    begin(true);
    assert_int_equal(OPS->key_revoke(conn, &row.key_id, 5000), CP_QS_ONE);
    assert_int_equal(OPS->key_revoke(conn, &row.key_id, 6000), CP_QS_NONE);
    commit();
    begin(false);
    assert_int_equal(OPS->key_get(conn, &row.key_id, &got), CP_QS_ONE);
    commit();
    assert_int_equal(got.revoked_ms, 5000);

    struct cp_key_id unknown = {"ffffffffffffffff"};
    begin(false);
    assert_int_equal(OPS->key_get(conn, &unknown, &got), CP_QS_NONE);
    commit();
}

static void
test_store__idempotency_records(void **state)
{
    (void)state;
    int64_t t1 = tenant("t-idem-1"), t2 = tenant("t-idem-2");
    struct cp_idem_row row = {.status = 201,
                              .content_type = "application/json",
                              .location = "/api/v1/calls/x",
                              .body = "{\"a\":1}\0tail",
                              .body_len = 12,
                              .created_ms = 10000};
    memset(row.fingerprint.b, 0xab, 32);
    begin(true);
    assert_int_equal(OPS->idem_put(conn, t1, "k", &row, 0), CP_QS_ONE);
    /* A live record is never overwritten: the second writer learns it lost (NONE). */
    struct cp_idem_row other = row;
    other.status = 500;
    assert_int_equal(OPS->idem_put(conn, t1, "k", &other, 10000), CP_QS_NONE);
    commit();

    struct cp_arena a;
    cp_arena_init(&a);
    struct cp_idem_row got;
    begin(false);
    assert_int_equal(OPS->idem_get(conn, t1, "k", 0, &a, &got), CP_QS_ONE);
    assert_int_equal(OPS->idem_get(conn, t2, "k", 0, &a, &got), CP_QS_NONE); /* per tenant */
    assert_int_equal(OPS->idem_get(conn, t1, "k2", 0, &a, &got), CP_QS_NONE);
    assert_int_equal(OPS->idem_get(conn, t1, "k", 10001, &a, &got), CP_QS_NONE); /* expired */
    assert_int_equal(OPS->idem_get(conn, t1, "k", 10000, &a, &got), CP_QS_ONE);
    commit();
    assert_int_equal(got.status, 201);
    assert_string_equal(got.content_type, "application/json");
    assert_string_equal(got.location, "/api/v1/calls/x");
    assert_int_equal(got.body_len, 12); /* binary-safe, byte for byte */
    assert_memory_equal(got.body, "{\"a\":1}\0tail", 12);
    assert_memory_equal(got.fingerprint.b, row.fingerprint.b, 32);

    /* An expired record can be replaced; purge removes what is older than the cut-off. */
    row.created_ms = 20000;
    row.location = NULL;
    int64_t n = -1;
    begin(true);
    assert_int_equal(OPS->idem_put(conn, t1, "k", &row, 10001), CP_QS_ONE); /* it expired */
    row.created_ms = 5000;
    assert_int_equal(OPS->idem_put(conn, t2, "old", &row, 0), CP_QS_ONE);
    assert_int_equal(OPS->idem_purge(conn, 10000, &n), CP_QS_ONE);
    commit();
    assert_int_equal(n, 1);
    begin(false);
    assert_int_equal(OPS->idem_get(conn, t1, "k", 0, &a, &got), CP_QS_ONE);
    assert_null(got.location);
    assert_int_equal(OPS->idem_get(conn, t2, "old", 0, &a, &got), CP_QS_NONE);
    commit();
    cp_arena_reset(&a);
}

static void
test_store__calls_insert_get_scoped(void **state)
{
    (void)state;
    int64_t t1 = tenant("t-calls-1"), t2 = tenant("t-calls-2");
    struct cp_call c;
    cp_call_init(&c);
    cp_uuid_v7(cp_time_now_ms(), c.id);
    c.tenant_id = t1;
    c.external_id = "call_xyz789";
    c.direction = CP_DIR_OUTBOUND;
    c.status = CP_ST_IN_PROGRESS;
    c.outcome = CP_OUT_COMPLETED;
    c.from_number = "+15551234567";
    c.to_number = "anonymous";
    c.started_ms = 1775835720000;
    c.duration_s = 270;
    c.costs_json = "{\"llm\":0.5}";
    c.metadata_json = "{\"k\":[1,2]}";
    c.hipaa_compliant = true;
    c.do_not_call_result = CP_TRI_FALSE;
    c.created_ms = c.updated_ms = 42;
    begin(true);
    assert_int_equal(OPS->call_insert(conn, &c), CP_QS_ONE);
    commit();

    struct cp_arena a;
    cp_arena_init(&a);
    struct cp_call got;
    begin(false);
    assert_int_equal(OPS->call_get(conn, t1, c.id, &a, &got), CP_QS_ONE);
    commit();
    assert_string_equal(got.id, c.id);
    assert_string_equal(got.external_id, "call_xyz789");
    assert_int_equal(got.direction, CP_DIR_OUTBOUND);
    assert_int_equal(got.status, CP_ST_IN_PROGRESS);
    assert_int_equal(got.outcome, CP_OUT_COMPLETED);
    assert_string_equal(got.to_number, "anonymous");
    assert_int_equal(got.started_ms, 1775835720000);
    assert_int_equal(got.ended_ms, 0);
    assert_int_equal(got.duration_s, 270);
    assert_int_equal(got.talk_time_s, -1);
    assert_string_equal(got.costs_json, "{\"llm\":0.5}");
    assert_null(got.transcript);
    assert_true(got.hipaa_compliant);
    assert_int_equal(got.do_not_call_result, CP_TRI_FALSE);

    begin(false);
    assert_int_equal(OPS->call_get(conn, t1, "call_xyz789", &a, &got), CP_QS_ONE); /* by ext */
    assert_string_equal(got.id, c.id);
    assert_int_equal(OPS->call_get(conn, t2, c.id, &a, &got), CP_QS_NONE); /* tenant */
    assert_int_equal(OPS->call_get(conn, t2, "call_xyz789", &a, &got), CP_QS_NONE);
    assert_int_equal(OPS->call_get(conn, t1, "nope", &a, &got), CP_QS_NONE);
    commit();

    /* external_id is unique per tenant, not globally. */
    struct cp_call d = c;
    cp_uuid_v7(cp_time_now_ms(), d.id);
    begin(true);
    assert_int_equal(OPS->call_insert(conn, &d), CP_QS_NONE);
    d.tenant_id = t2;
    assert_int_equal(OPS->call_insert(conn, &d), CP_QS_ONE);
    commit();
    cp_arena_reset(&a);
}

static enum cp_qs
failing_txn(struct cp_store_conn *c, void *cls)
{
    int64_t *t = cls;
    struct cp_call call;
    cp_call_init(&call);
    cp_uuid_v7(cp_time_now_ms(), call.id);
    call.tenant_id = *t;
    call.external_id = "rolled-back";
    assert_int_equal(c->ops->call_insert(c, &call), CP_QS_ONE);
    return CP_QS_HARD; /* the whole transaction must vanish */
}

static void
test_store__hard_error_rolls_back(void **state)
{
    (void)state;
    int64_t t = tenant("t-rollback");
    assert_int_equal(cp_store_run(conn, true, failing_txn, &t), CP_QS_HARD);
    struct cp_arena a;
    cp_arena_init(&a);
    struct cp_call got;
    begin(false);
    assert_int_equal(OPS->call_get(conn, t, "rolled-back", &a, &got), CP_QS_NONE);
    commit();
    cp_arena_reset(&a);
}

static void
test_store__data_survives_reopen(void **state)
{
    (void)state;
    int64_t t = tenant("t-reopen");
    struct cp_call c;
    cp_call_init(&c);
    cp_uuid_v7(cp_time_now_ms(), c.id);
    c.tenant_id = t;
    begin(true);
    assert_int_equal(OPS->call_insert(conn, &c), CP_QS_ONE);
    commit();
    cp_store_release(conn);
    cp_store_close(store);
    struct cp_error err;
    store = cp_store_open(db, &err);
    assert_non_null(store);
    conn = cp_store_acquire(store, &err);
    struct cp_arena a;
    cp_arena_init(&a);
    struct cp_call got;
    begin(false);
    assert_int_equal(OPS->call_get(conn, t, c.id, &a, &got), CP_QS_ONE);
    commit();
    cp_arena_reset(&a);
}

static void
test_store__refuses_newer_schema(void **state)
{
    (void)state;
    char path[160];
    snprintf(path, sizeof(path), "%s/newer.db", dir);
    struct cp_error err;
    struct cp_store *s = cp_store_open(path, &err);
    assert_non_null(s);
    cp_store_close(s);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw,
                                  "INSERT INTO schema_migrations(version, name, applied_at) "
                                  "VALUES (999, 'from the future', 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    s = cp_store_open(path, &err);
    assert_null(s);
    assert_non_null(strstr(err.message, "999"));
    assert_non_null(strstr(err.message, "newer"));
}

static void
test_store__postgres_url_refused_clearly(void **state)
{
    (void)state;
    struct cp_error err;
    assert_null(cp_store_open("postgres://u:p@127.0.0.1:5432/db", &err));
    assert_int_equal(err.code, CP_ERR_NOT_IMPLEMENTED);
    assert_non_null(strstr(err.message, "not built with PostgreSQL yet"));
    assert_null(cp_store_open("postgresql://x/y", &err));
    assert_int_equal(err.code, CP_ERR_NOT_IMPLEMENTED);
}

static void
test_store__list_filters_use_indexes(void **state)
{
    (void)state;
    /* Some rows, so the planner has something to weigh. */
    int64_t t = tenant("t-plan");
    begin(true);
    for (int i = 0; i < 200; i++) {
        struct cp_call c;
        cp_call_init(&c);
        cp_uuid_v7(cp_time_now_ms() + i, c.id);
        c.tenant_id = t;
        c.campaign_id = i % 2 ? "camp_a" : "camp_b";
        c.direction = i % 3 ? CP_DIR_OUTBOUND : CP_DIR_INBOUND;
        c.status = CP_ST_ENDED;
        c.outcome = (enum cp_outcome)(1 + i % 5);
        c.from_number = "+15551234567";
        c.to_number = "+15557654321";
        c.started_ms = 1700000000000 + i * 1000;
        c.created_ms = c.updated_ms = 1;
        assert_int_equal(OPS->call_insert(conn, &c), CP_QS_ONE);
    }
    commit();

    /* Every combination of the documented filters, list and count: never a full scan, always
     * an index search (SEARCH ... USING INDEX, or primary-key lookups fed by the phone
     * indexes). */
    for (unsigned bits = 0; bits < 128; bits++) {
        struct cp_call_filter f = {.limit = 50};
        if (bits & 1)
            f.campaign_id = "camp_a";
        if (bits & 2) {
            f.has_state = true;
            f.state = CP_STATE_COMPLETED;
        }
        if (bits & 4)
            f.direction = CP_DIR_OUTBOUND;
        if (bits & 8)
            f.date_from_ms = 1700000050000;
        if (bits & 16)
            f.date_to_ms = 1700000100000;
        if (bits & 32)
            f.phone = "+15551234567";
        if (bits & 64)
            f.outcome = CP_OUT_BUSY;
        const char *want = (bits & 32)   ? "calls_from"
                           : (bits & 1)  ? "calls_campaign"
                           : (bits & 2)  ? "calls_state"
                           : (bits & 64) ? "calls_outcome"
                           : (bits & 4)  ? "calls_direction"
                                         : "calls_started";
        for (int count = 0; count < 2; count++) {
            char plan[2048];
            assert_true(cp_sqlite_list_plan(conn, &f, count, plan, sizeof(plan)));
            bool scan = strstr(plan, "SCAN calls\n") != NULL || strstr(plan, "SCAN TABLE") != NULL;
            /* The first plan row is how the calls themselves are reached. */
            char first[256];
            snprintf(first, sizeof(first), "%.*s", (int)strcspn(plan, "\n"), plan);
            /* With any filter, calls are reached through more than the tenant alone: an index
             * on the filter's column, or primary-key lookups of the ids the phone indexes give. */
            bool narrowed = strstr(first, "(tenant_id=?)") == NULL;
            if (scan || strncmp(first, "SEARCH calls", 12) != 0 || strstr(plan, want) == NULL ||
                (bits != 0 && !narrowed))
                fail_msg("filters 0x%x (%s): expected a search using %s, got:\n%s", bits,
                         count ? "count" : "list", want, plan);
            if (getenv("CP_SHOW_PLANS") != NULL && (bits == 32 || bits == 6 || bits == 0))
                print_message("filters 0x%x %s:\n%s", bits, count ? "count" : "list", plan);
            if ((bits & 32) && strstr(plan, "calls_to") == NULL)
                fail_msg("filters 0x%x: phone must use both phone indexes:\n%s", bits, plan);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store__opens_with_current_schema),
        cmocka_unit_test(test_store__tenant_ensure_is_idempotent),
        cmocka_unit_test(test_store__keys_lifecycle),
        cmocka_unit_test(test_store__idempotency_records),
        cmocka_unit_test(test_store__calls_insert_get_scoped),
        cmocka_unit_test(test_store__hard_error_rolls_back),
        cmocka_unit_test(test_store__data_survives_reopen),
        cmocka_unit_test(test_store__list_filters_use_indexes),
        cmocka_unit_test(test_store__refuses_newer_schema),
        cmocka_unit_test(test_store__postgres_url_refused_clearly),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
