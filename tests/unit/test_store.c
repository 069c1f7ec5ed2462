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
        const char *want = (bits & 32)       ? "calls_from"
                           : (bits & 1)      ? "calls_campaign"
                           : (bits & 6) == 6 ? "calls_state_dir"
                           : (bits & 2)      ? "calls_state"
                           : (bits & 64)     ? "calls_outcome"
                           : (bits & 4)      ? "calls_direction"
                                             : "calls_started";
        for (int count = 0; count < 2; count++) {
            char plan[2048];
            assert_true(cp_sqlite_list_plan(conn, &f, count, plan, sizeof(plan)));
            if (count && !(bits & (8 | 16 | 32))) {
                /* Equality filters only: the total is summed from call_counts. */
                if (strncmp(plan, "SEARCH call_counts", 18) != 0)
                    fail_msg("filters 0x%x (count): expected a search of call_counts, got:\n%s",
                             bits, plan);
                continue;
            }
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

/* ---- evidence bundles, retention deletes and the transparency log ---- */

static void
insert_call(int64_t tenant_id, struct cp_call *out)
{
    cp_call_init(out);
    cp_uuid_v7(cp_time_now_ms(), out->id);
    out->tenant_id = tenant_id;
    out->created_ms = out->updated_ms = 1;
    begin(true);
    assert_int_equal(OPS->call_insert(conn, out), CP_QS_ONE);
    commit();
}

/* A bundle of call; ids are "ev_" + 32 hex, n makes them distinct. leaf_index is unique across
 * the whole store, so every test passes its own range. */
static void
bundle_init(struct cp_bundle *b, unsigned n, const struct cp_call *call, int64_t leaf_index)
{
    memset(b, 0, sizeof(*b));
    snprintf(b->id, sizeof(b->id), "ev_%032x", n);
    b->tenant_id = call->tenant_id;
    snprintf(b->call_id, sizeof(b->call_id), "%s", call->id);
    b->bytes = "{\"call\":{\"id\":\"x\"},\"note\":\"caf\xc3\xa9\\n\\u0000\",\"score\":87}";
    b->signature = "5f2d0c6e0a4c1f3e9b8a7d6c5b4a39281706f5e4d3c2b1a0918273645546372829a0b1c2d3e4f"
                   "5061728394a5b6c7d8e9f00112233445566778899aabbccddeeff0011";
    b->key_id = "cp-ed25519-0001";
    b->leaf_index = leaf_index;
    b->score = 87;
    b->retention_until_ms = 4102444800000; /* 2100-01-01 */
    b->sealed_ms = 1775835720000;
}

static void
assert_bundle_equal(const struct cp_bundle *got, const struct cp_bundle *want)
{
    assert_string_equal(got->id, want->id);
    assert_int_equal(got->tenant_id, want->tenant_id);
    assert_string_equal(got->call_id, want->call_id);
    assert_string_equal(got->bytes, want->bytes); /* the signed bytes, exactly */
    assert_string_equal(got->signature, want->signature);
    assert_string_equal(got->key_id, want->key_id);
    assert_int_equal(got->leaf_index, want->leaf_index);
    assert_int_equal(got->score, want->score);
    assert_int_equal(got->retention_until_ms, want->retention_until_ms);
    if (want->supersedes == NULL)
        assert_null(got->supersedes);
    else
        assert_string_equal(got->supersedes, want->supersedes);
    assert_int_equal(got->sealed_ms, want->sealed_ms);
}

static void
test_store__bundles_insert_get_supersede(void **state)
{
    (void)state;
    int64_t t1 = tenant("t-bundles-1"), t2 = tenant("t-bundles-2");
    struct cp_call call;
    insert_call(t1, &call);
    struct cp_bundle first, second, got;
    bundle_init(&first, 0x101, &call, 100);
    struct cp_arena a;
    cp_arena_init(&a);
    const char *successor = NULL;

    begin(false);
    assert_int_equal(OPS->bundle_latest_for_call(conn, t1, call.id, &a, &got), CP_QS_NONE);
    commit();

    begin(true);
    assert_int_equal(OPS->bundle_insert(conn, &first), CP_QS_ONE);
    assert_int_equal(OPS->bundle_insert(conn, &first), CP_QS_NONE); /* the id exists */
    commit();

    begin(false);
    assert_int_equal(OPS->bundle_get(conn, first.id, &a, &got), CP_QS_ONE);
    assert_bundle_equal(&got, &first);
    assert_int_equal(OPS->bundle_get(conn, "ev_00000000000000000000000000000fff", &a, &got),
                     CP_QS_NONE);
    assert_int_equal(OPS->bundle_latest_for_call(conn, t1, call.id, &a, &got), CP_QS_ONE);
    assert_bundle_equal(&got, &first);
    /* Another tenant does not see the call's bundles; neither does an unknown call. */
    assert_int_equal(OPS->bundle_latest_for_call(conn, t2, call.id, &a, &got), CP_QS_NONE);
    assert_int_equal(OPS->bundle_latest_for_call(conn, t1, "no-such-call", &a, &got), CP_QS_NONE);
    assert_int_equal(OPS->bundle_superseded_by(conn, first.id, &a, &successor), CP_QS_NONE);
    commit();
    assert_null(successor);

    /* bundle_get is by id alone (the id is a capability): it answers whoever asks, and hands
     * back the owner so a caller acting for a tenant can refuse another tenant's bundle. */
    begin(false);
    assert_int_equal(OPS->bundle_get(conn, first.id, &a, &got), CP_QS_ONE);
    commit();
    assert_int_equal(got.tenant_id, t1);
    assert_true(got.tenant_id != t2);

    /* A correction: a newer bundle of the same call that names the one it supersedes. */
    bundle_init(&second, 0x102, &call, 101);
    second.bytes = "{\"call\":{\"id\":\"x\"},\"corrected\":true}";
    second.score = 91;
    second.retention_until_ms = 4133980800000;
    second.supersedes = first.id;
    second.sealed_ms = first.sealed_ms + 60000;
    begin(true);
    assert_int_equal(OPS->bundle_insert(conn, &second), CP_QS_ONE);
    commit();

    begin(false);
    assert_int_equal(OPS->bundle_latest_for_call(conn, t1, call.id, &a, &got), CP_QS_ONE);
    assert_bundle_equal(&got, &second);
    assert_int_equal(OPS->bundle_superseded_by(conn, first.id, &a, &successor), CP_QS_ONE);
    assert_non_null(successor);
    assert_string_equal(successor, second.id);
    successor = NULL;
    assert_int_equal(OPS->bundle_superseded_by(conn, second.id, &a, &successor), CP_QS_NONE);
    assert_null(successor);
    /* The superseded bundle is still there, unchanged: bundles are never updated. */
    assert_int_equal(OPS->bundle_get(conn, first.id, &a, &got), CP_QS_ONE);
    assert_bundle_equal(&got, &first);
    assert_int_equal(OPS->bundle_get(conn, second.id, &a, &got), CP_QS_ONE);
    assert_bundle_equal(&got, &second);
    commit();
    cp_arena_reset(&a);
}

static int64_t
retention_of(int64_t tenant_id, const char *call_id)
{
    int64_t ms = -1;
    begin(false);
    assert_int_equal(OPS->bundle_retention_for_call(conn, tenant_id, call_id, &ms), CP_QS_ONE);
    commit();
    return ms;
}

static int64_t
log_size(void)
{
    int64_t n = -1;
    begin(false);
    assert_int_equal(OPS->log_size(conn, &n), CP_QS_ONE);
    commit();
    return n;
}

static void
test_store__bundle_retention_and_deletes(void **state)
{
    (void)state;
    int64_t t1 = tenant("t-retention-1"), t2 = tenant("t-retention-2");
    struct cp_call call, other;
    insert_call(t1, &call);
    insert_call(t2, &other);

    /* No bundle yet: ONE with 0, not NONE. */
    assert_int_equal(retention_of(t1, call.id), 0);

    /* The latest retention of all the call's bundles, not the newest bundle's. */
    struct cp_bundle longest, newest, theirs, got;
    bundle_init(&longest, 0x201, &call, 200);
    longest.retention_until_ms = 4102444800000;
    bundle_init(&newest, 0x202, &call, 201);
    newest.retention_until_ms = 3000000000000;
    newest.sealed_ms = longest.sealed_ms + 1000;
    newest.supersedes = longest.id;
    bundle_init(&theirs, 0x203, &other, 202);
    theirs.retention_until_ms = 4200000000000;
    begin(true);
    assert_int_equal(OPS->bundle_insert(conn, &longest), CP_QS_ONE);
    assert_int_equal(OPS->bundle_insert(conn, &newest), CP_QS_ONE);
    assert_int_equal(OPS->bundle_insert(conn, &theirs), CP_QS_ONE);
    commit();
    assert_int_equal(retention_of(t1, call.id), 4102444800000);
    assert_int_equal(retention_of(t2, call.id), 0);  /* another tenant: none of its bundles */
    assert_int_equal(retention_of(t1, other.id), 0); /* nor of another tenant's call */
    assert_int_equal(retention_of(t2, other.id), 4200000000000);

    /* Log the bundle about to be deleted: its leaf must outlive it. */
    int64_t size = log_size();
    begin(true);
    assert_int_equal(OPS->log_leaf_put(conn, size, longest.id), CP_QS_ONE);
    commit();

    /* bundle_delete removes exactly the tenant's bundle named: another tenant's id is NONE
     * and stays. */
    struct cp_arena a;
    cp_arena_init(&a);
    begin(true);
    assert_int_equal(OPS->bundle_delete(conn, t2, longest.id), CP_QS_NONE);
    assert_int_equal(OPS->bundle_delete(conn, t1, theirs.id), CP_QS_NONE);
    assert_int_equal(OPS->bundle_delete(conn, t1, longest.id), CP_QS_ONE);
    assert_int_equal(OPS->bundle_delete(conn, t1, longest.id), CP_QS_NONE); /* already gone */
    assert_int_equal(OPS->bundle_delete(conn, t1, "ev_00000000000000000000000000000fff"),
                     CP_QS_NONE);
    commit();
    begin(false);
    assert_int_equal(OPS->bundle_get(conn, longest.id, &a, &got), CP_QS_NONE);
    assert_int_equal(OPS->bundle_get(conn, newest.id, &a, &got), CP_QS_ONE);
    assert_bundle_equal(&got, &newest);
    assert_int_equal(OPS->bundle_get(conn, theirs.id, &a, &got), CP_QS_ONE);
    assert_bundle_equal(&got, &theirs);
    commit();
    assert_int_equal(log_size(), size + 1);
    assert_int_equal(retention_of(t1, call.id), 3000000000000);

    /* call_delete: tenant-scoped, and takes the call's recordings' rows with it. */
    struct cp_recording rec = {.tenant_id = t1,
                               .recording_id = "rec_1",
                               .duration_s = 42,
                               .created_ms = 5,
                               .updated_ms = 5};
    snprintf(rec.call_id, sizeof(rec.call_id), "%s", call.id);
    struct cp_recording their_rec = rec;
    their_rec.tenant_id = t2;
    snprintf(their_rec.call_id, sizeof(their_rec.call_id), "%s", other.id);
    begin(true);
    assert_int_equal(OPS->recording_upsert(conn, &rec), CP_QS_ONE);
    assert_int_equal(OPS->recording_upsert(conn, &their_rec), CP_QS_ONE);
    assert_int_equal(OPS->call_delete(conn, t2, call.id), CP_QS_NONE); /* not t2's call */
    assert_int_equal(OPS->call_delete(conn, t1, "no-such-call"), CP_QS_NONE);
    commit();

    struct cp_call got_call;
    struct cp_recording got_rec;
    begin(false);
    assert_int_equal(OPS->call_get(conn, t1, call.id, &a, &got_call), CP_QS_ONE);
    assert_int_equal(OPS->recording_get(conn, t1, call.id, "rec_1", &a, &got_rec), CP_QS_ONE);
    commit();

    begin(true);
    assert_int_equal(OPS->call_delete(conn, t1, call.id), CP_QS_ONE);
    assert_int_equal(OPS->call_delete(conn, t1, call.id), CP_QS_NONE);
    commit();

    struct cp_recording *recs = NULL;
    size_t n_recs = 99;
    begin(false);
    assert_int_equal(OPS->call_get(conn, t1, call.id, &a, &got_call), CP_QS_NONE);
    assert_int_equal(OPS->recording_get(conn, t1, call.id, "rec_1", &a, &got_rec), CP_QS_NONE);
    assert_int_equal(OPS->recording_list(conn, t1, call.id, &a, &recs, &n_recs), CP_QS_ONE);
    assert_int_equal(n_recs, 0);
    /* The other tenant's call and recording are untouched. */
    assert_int_equal(OPS->call_get(conn, t2, other.id, &a, &got_call), CP_QS_ONE);
    assert_int_equal(OPS->recording_get(conn, t2, other.id, "rec_1", &a, &got_rec), CP_QS_ONE);
    /* store.h names only the recordings: the call's bundles are separate records (global,
     * addressed by capability id) that call_delete leaves to bundle_delete. */
    assert_int_equal(OPS->bundle_get(conn, newest.id, &a, &got), CP_QS_ONE);
    commit();
    cp_arena_reset(&a);
}

static void
hash_of(const char *s, struct cp_sha256 *out)
{
    cp_crypto_sha256(s, strlen(s), out);
}

static void
assert_checkpoint_equal(const struct cp_checkpoint *got, const struct cp_checkpoint *want)
{
    assert_int_equal(got->size, want->size);
    assert_memory_equal(got->root.b, want->root.b, sizeof(want->root.b));
    assert_string_equal(got->note, want->note);
    assert_int_equal(got->created_ms, want->created_ms);
}

/* The log is global (not per tenant), so this expects to be the first test that writes to it:
 * main() registers it before every other test that puts leaves. */
static void
test_store__log_nodes_leaves_checkpoints(void **state)
{
    (void)state;
    struct cp_arena a;
    cp_arena_init(&a);
    struct cp_checkpoint got;
    struct cp_sha256 h;

    /* Empty: size 0, no checkpoint, no node. */
    assert_int_equal(log_size(), 0);
    begin(false);
    assert_int_equal(OPS->checkpoint_latest(conn, &a, &got), CP_QS_NONE);
    assert_int_equal(OPS->checkpoint_get(conn, 0, &a, &got), CP_QS_NONE);
    assert_int_equal(OPS->log_node_get(conn, 0, 0, &h), CP_QS_NONE);
    commit();

    /* Three leaves, the level-0 hashes, the one completed level-1 subtree, and a node far out
     * (64-bit index, high level) to check nothing is truncated. */
    struct cp_sha256 l0, l1, l2, n10, far;
    hash_of("leaf 0", &l0);
    hash_of("leaf 1", &l1);
    hash_of("leaf 2", &l2);
    hash_of("node 1/0", &n10);
    hash_of("node 40/2^40", &far);
    const int64_t far_index = (int64_t)1 << 40;
    begin(true);
    assert_int_equal(OPS->log_leaf_put(conn, 0, "ev_000000000000000000000000000000a0"), CP_QS_ONE);
    assert_int_equal(OPS->log_node_put(conn, 0, 0, &l0), CP_QS_ONE);
    commit();
    assert_int_equal(log_size(), 1);
    begin(true);
    assert_int_equal(OPS->log_leaf_put(conn, 1, "ev_000000000000000000000000000000a1"), CP_QS_ONE);
    assert_int_equal(OPS->log_node_put(conn, 0, 1, &l1), CP_QS_ONE);
    assert_int_equal(OPS->log_node_put(conn, 1, 0, &n10), CP_QS_ONE);
    assert_int_equal(OPS->log_leaf_put(conn, 2, "ev_000000000000000000000000000000a2"), CP_QS_ONE);
    assert_int_equal(OPS->log_node_put(conn, 0, 2, &l2), CP_QS_ONE);
    assert_int_equal(OPS->log_node_put(conn, 40, far_index, &far), CP_QS_ONE);
    commit();
    assert_int_equal(log_size(), 3);

    struct cp_sha256 out;
    begin(false);
    assert_int_equal(OPS->log_node_get(conn, 0, 0, &out), CP_QS_ONE);
    assert_memory_equal(out.b, l0.b, sizeof(out.b));
    assert_int_equal(OPS->log_node_get(conn, 0, 1, &out), CP_QS_ONE);
    assert_memory_equal(out.b, l1.b, sizeof(out.b));
    assert_int_equal(OPS->log_node_get(conn, 0, 2, &out), CP_QS_ONE);
    assert_memory_equal(out.b, l2.b, sizeof(out.b));
    assert_int_equal(OPS->log_node_get(conn, 1, 0, &out), CP_QS_ONE);
    assert_memory_equal(out.b, n10.b, sizeof(out.b));
    assert_int_equal(OPS->log_node_get(conn, 40, far_index, &out), CP_QS_ONE);
    assert_memory_equal(out.b, far.b, sizeof(out.b));
    assert_int_equal(OPS->log_node_get(conn, 1, 1, &out), CP_QS_NONE); /* not completed */
    assert_int_equal(OPS->log_node_get(conn, 0, 3, &out), CP_QS_NONE);
    assert_int_equal(OPS->log_node_get(conn, 40, 0, &out), CP_QS_NONE);
    commit();

    /* A second put of the same (level, index), or of the same leaf index, is not documented in
     * store.h; SQLite refuses it as a constraint violation, CP_QS_HARD (and logs an error).
     * The transaction is then rolled back, as every caller does on HARD, and the first value
     * stands. A leaf for a bundle id already in the log is refused the same way. */
    begin(true);
    assert_int_equal(OPS->log_node_put(conn, 0, 1, &l2), CP_QS_HARD);
    OPS->rollback(conn);
    begin(true);
    assert_int_equal(OPS->log_leaf_put(conn, 2, "ev_000000000000000000000000000000b2"), CP_QS_HARD);
    OPS->rollback(conn);
    begin(true);
    assert_int_equal(OPS->log_leaf_put(conn, 3, "ev_000000000000000000000000000000a2"), CP_QS_HARD);
    OPS->rollback(conn);
    begin(false);
    assert_int_equal(OPS->log_node_get(conn, 0, 1, &out), CP_QS_ONE);
    commit();
    assert_memory_equal(out.b, l1.b, sizeof(out.b));
    assert_int_equal(log_size(), 3);

    /* Checkpoints, put out of order: the latest is the largest size (the log only grows). */
    struct cp_checkpoint c1 = {
        .size = 1, .note = "callproof.test/log\n1\nAAAA\n\n\xe2\x80\x94 k x\n", .created_ms = 1001};
    struct cp_checkpoint c3 = {.size = 3, .note = "note for size 3\n", .created_ms = 1003};
    struct cp_checkpoint c2 = {.size = 2, .note = "note for size 2\n", .created_ms = 1004};
    hash_of("root 1", &c1.root);
    hash_of("root 3", &c3.root);
    hash_of("root 2", &c2.root);
    begin(true);
    assert_int_equal(OPS->checkpoint_put(conn, &c1), CP_QS_ONE);
    assert_int_equal(OPS->checkpoint_put(conn, &c3), CP_QS_ONE);
    assert_int_equal(OPS->checkpoint_put(conn, &c2), CP_QS_ONE);
    commit();

    begin(false);
    assert_int_equal(OPS->checkpoint_latest(conn, &a, &got), CP_QS_ONE);
    assert_checkpoint_equal(&got, &c3);
    assert_int_equal(OPS->checkpoint_get(conn, 1, &a, &got), CP_QS_ONE);
    assert_checkpoint_equal(&got, &c1);
    assert_int_equal(OPS->checkpoint_get(conn, 2, &a, &got), CP_QS_ONE);
    assert_checkpoint_equal(&got, &c2);
    assert_int_equal(OPS->checkpoint_get(conn, 3, &a, &got), CP_QS_ONE);
    assert_checkpoint_equal(&got, &c3);
    assert_int_equal(OPS->checkpoint_get(conn, 4, &a, &got), CP_QS_NONE);
    commit();

    /* A size already checkpointed: NONE, as documented, and the first one stands. */
    struct cp_checkpoint again = {.size = 2, .note = "a different note\n", .created_ms = 9999};
    hash_of("another root", &again.root);
    begin(true);
    assert_int_equal(OPS->checkpoint_put(conn, &again), CP_QS_NONE);
    commit();
    begin(false);
    assert_int_equal(OPS->checkpoint_get(conn, 2, &a, &got), CP_QS_ONE);
    commit();
    assert_checkpoint_equal(&got, &c2);
    cp_arena_reset(&a);
}

struct evidence_txn {
    enum cp_qs result; /* what the callback returns after its writes */
    struct cp_bundle bundle;
    int64_t size; /* log size seen inside */
};

static enum cp_qs
evidence_then_fail(struct cp_store_conn *c, void *cls)
{
    struct evidence_txn *e = cls;
    struct cp_checkpoint cp = {.note = "rolled back\n", .created_ms = 1};
    hash_of("rolled back", &cp.root);
    assert_int_equal(c->ops->bundle_insert(c, &e->bundle), CP_QS_ONE);
    assert_int_equal(c->ops->log_size(c, &e->size), CP_QS_ONE);
    assert_int_equal(c->ops->log_leaf_put(c, e->size, e->bundle.id), CP_QS_ONE);
    assert_int_equal(c->ops->log_node_put(c, 0, e->size, &cp.root), CP_QS_ONE);
    cp.size = e->size + 1;
    assert_int_equal(c->ops->checkpoint_put(c, &cp), CP_QS_ONE);
    return e->result;
}

static void
test_store__failed_seal_leaves_nothing(void **state)
{
    (void)state;
    int64_t t = tenant("t-seal-rollback");
    struct cp_call call;
    insert_call(t, &call);
    struct cp_arena a;
    cp_arena_init(&a);
    /* Both ways a callback gives up: a hard error, and a deliberate abort. */
    const enum cp_qs results[] = {CP_QS_HARD, CP_QS_ABORT};
    for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
        int64_t before = log_size();
        struct evidence_txn e = {.result = results[i]};
        bundle_init(&e.bundle, 0x301, &call, 300);
        assert_int_equal(cp_store_run(conn, true, evidence_then_fail, &e), results[i]);
        assert_int_equal(e.size, before);

        struct cp_bundle got;
        struct cp_checkpoint cp;
        struct cp_sha256 h;
        const char *successor = NULL;
        begin(false);
        assert_int_equal(OPS->bundle_get(conn, e.bundle.id, &a, &got), CP_QS_NONE);
        assert_int_equal(OPS->bundle_latest_for_call(conn, t, call.id, &a, &got), CP_QS_NONE);
        assert_int_equal(OPS->bundle_superseded_by(conn, e.bundle.id, &a, &successor), CP_QS_NONE);
        assert_int_equal(OPS->log_node_get(conn, 0, before, &h), CP_QS_NONE);
        assert_int_equal(OPS->checkpoint_get(conn, before + 1, &a, &cp), CP_QS_NONE);
        commit();
        assert_int_equal(log_size(), before);
        assert_int_equal(retention_of(t, call.id), 0);
    }
    cp_arena_reset(&a);
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
        cmocka_unit_test(test_store__bundles_insert_get_supersede),
        cmocka_unit_test(test_store__log_nodes_leaves_checkpoints),
        cmocka_unit_test(test_store__bundle_retention_and_deletes),
        cmocka_unit_test(test_store__failed_seal_leaves_nothing),
        cmocka_unit_test(test_store__refuses_newer_schema),
        cmocka_unit_test(test_store__postgres_url_refused_clearly),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
