/*
 * The store contract: the behaviour every backend must have, written once against the
 * interface in store/store.h and run twice, as the group "store/sqlite" (a fresh database file
 * in a temporary directory) and the group "store/postgres" (a fresh database on the server
 * that CALLPROOF_TEST_PG_URL names; `make test` starts a throwaway cluster for it). Without
 * that variable the postgres group is one failing test, never a silent skip. Also covers what
 * each backend does on opening (migrations, several instances migrating at once, a newer
 * schema refused, durability settings) and, for SQLite, that every list filter is an index
 * search.
 */
#include "unit.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/time.h"
#include "core/util.h"
#include "store/pg/plan.h"
#include "store/sqlite/plan.h"
#include "store/store.h"

/* Both backends are at this schema version: a migration added to one gets its number in the
 * other too (a no-op there if it must be), so a version names the same schema in both. */
#define SCHEMA_VERSION 11

static bool on_pg;          /* which group is running */
static char dir[64];        /* a temporary directory, both groups (SQLite files, scratch) */
static char db[1024];       /* the store's location: a SQLite path or a postgres:// URL */
static char pg_admin[1024]; /* CALLPROOF_TEST_PG_URL: a database to run CREATE DATABASE in */
static struct cp_store *store;
static struct cp_store_conn *conn;

/* ---- raw access for setup and for what the interface cannot do (a schema from the future):
 * test code, never the server's. */

static void
quiet(void *cls, const char *message)
{
    (void)cls;
    (void)message;
}

static PGconn *
pg_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to %s: %s", url, PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

static void
pg_exec(const char *url, const char *sql)
{
    PGconn *c = pg_connect(url);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* One integer from a query on the store's own database (either backend). */
static int64_t
raw_int(const char *location, const char *sql)
{
    int64_t v = -1;
    if (on_pg) {
        PGconn *c = pg_connect(location);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return v;
    }
    sqlite3 *raw = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(location, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(raw);
    return v;
}

static void
raw_exec(const char *location, const char *sql)
{
    if (on_pg) {
        pg_exec(location, sql);
        return;
    }
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(location, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
}

/* A new, empty store location named name: a file in dir, or a new database on the server
 * (its URL is the admin URL with the database name replaced). */
static void
fresh_location(const char *name, char *out, size_t n)
{
    if (!on_pg) {
        snprintf(out, n, "%s/%s.db", dir, name);
        return;
    }
    char dbname[64], sql[128];
    snprintf(dbname, sizeof(dbname), "cp_unit_%ld_%s", (long)getpid(), name);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", dbname);
    pg_exec(pg_admin, sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", dbname);
    pg_exec(pg_admin, sql);
    const char *path = strrchr(pg_admin, '/');
    size_t q = strcspn(path, "?");
    snprintf(out, n, "%.*s/%s%s", (int)(path - pg_admin), pg_admin, dbname, path + q);
}

static void
drop_location(const char *name)
{
    if (!on_pg)
        return;
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS cp_unit_%ld_%s WITH (FORCE)",
             (long)getpid(), name);
    pg_exec(pg_admin, sql);
}

static int
setup(void **state)
{
    (void)state;
    cp_crypto_init();
    snprintf(dir, sizeof(dir), "/tmp/cp_store_XXXXXX");
    assert_non_null(mkdtemp(dir));
    fresh_location("main", db, sizeof(db));
    struct cp_error err;
    store = cp_store_open(db, &err);
    if (store == NULL)
        fail_msg("cp_store_open: %s", err.message);
    conn = cp_store_acquire(store, &err);
    assert_non_null(conn);
    return 0;
}

static int
setup_sqlite(void **state)
{
    on_pg = false;
    return setup(state);
}

static int
setup_pg(void **state)
{
    on_pg = true;
    return setup(state);
}

static int
teardown(void **state)
{
    (void)state;
    cp_store_release(conn);
    cp_store_close(store);
    store = NULL;
    conn = NULL;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    drop_location("main");
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

/* A new call of tenant_id whose server id is a UUIDv7 of id_ms (so ids sort like id_ms). */
static void
call_init_at(struct cp_call *c, int64_t tenant_id, int64_t id_ms)
{
    cp_call_init(c);
    cp_uuid_v7(id_ms, c->id); /* ids ordered like id_ms */
    c->tenant_id = tenant_id;
    c->created_ms = c->updated_ms = 1;
}

static void
test_store__opens_with_current_schema(void **state)
{
    (void)state;
    assert_string_equal(cp_store_backend(store), on_pg ? "postgres" : "sqlite");
    assert_string_equal(OPS->backend, on_pg ? "postgres" : "sqlite");
    assert_int_equal(cp_store_schema_version(store), SCHEMA_VERSION);
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

static enum cp_qs
failing_unreachable_txn(struct cp_store_conn *c, void *cls)
{
    int *calls = cls;
    (*calls)++;
    c->cause = CP_CAUSE_DOWN; /* what a backend does when the database cannot be reached */
    return CP_QS_HARD;
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

struct kept_probe {
    int64_t tenant_id;
    const char *id;
    enum cp_qs found;
};

static enum cp_qs
probe_txn(struct cp_store_conn *c, void *cls)
{
    struct kept_probe *p = cls;
    struct cp_arena a;
    cp_arena_init(&a);
    struct cp_call got;
    p->found = c->ops->call_get(c, p->tenant_id, p->id, &a, &got);
    cp_arena_reset(&a);
    return p->found < 0 ? p->found : CP_QS_ONE;
}

static enum cp_qs
insert_txn(struct cp_store_conn *c, void *cls)
{
    return c->ops->call_insert(c, cls);
}

/* cp_store_run_keep: the read stays open for the next read on the connection, which ends it;
 * a write, or giving the connection back, ends it first. */
static void
test_store__kept_read_is_continued_once(void **state)
{
    (void)state;
    int64_t t = tenant("t-kept");
    struct cp_call c;
    call_init_at(&c, t, cp_time_now_ms());
    struct kept_probe p = {.tenant_id = t, .id = c.id};
    assert_int_equal(cp_store_run_keep(conn, probe_txn, &p), CP_QS_ONE);
    assert_true(conn->kept);
    assert_int_equal(p.found, CP_QS_NONE);
    /* the next read runs inside it and ends it */
    assert_int_equal(cp_store_run(conn, false, probe_txn, &p), CP_QS_ONE);
    assert_false(conn->kept);
    /* a write on a kept connection ends the read first, and the next read sees the write */
    assert_int_equal(cp_store_run_keep(conn, probe_txn, &p), CP_QS_ONE);
    assert_int_equal(cp_store_run(conn, true, insert_txn, &c), CP_QS_ONE);
    assert_false(conn->kept);
    assert_int_equal(cp_store_run(conn, false, probe_txn, &p), CP_QS_ONE);
    assert_int_equal(p.found, CP_QS_ONE);
    /* a kept read is ended when the connection goes back to the pool */
    assert_int_equal(cp_store_run_keep(conn, probe_txn, &p), CP_QS_ONE);
    cp_store_release(conn);
    struct cp_error err;
    conn = cp_store_acquire(store, &err);
    assert_non_null(conn);
    assert_false(conn->kept);
    begin(true); /* no transaction was left open on it */
    commit();
}

static void
test_store__data_survives_reopen(void **state)
{
    (void)state;
    int64_t t = tenant("t-reopen");
    struct cp_call c;
    call_init_at(&c, t, cp_time_now_ms());
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
    char loc[1024];
    fresh_location("newer", loc, sizeof(loc));
    struct cp_error err;
    struct cp_store *s = cp_store_open(loc, &err);
    assert_non_null(s);
    cp_store_close(s);
    raw_exec(loc, "INSERT INTO schema_migrations(version, name, applied_at) "
                  "VALUES (999, 'from the future', 0)");
    s = cp_store_open(loc, &err);
    assert_null(s);
    assert_int_equal(err.code, CP_ERR_UNAVAILABLE);
    assert_non_null(strstr(err.message, "999"));
    assert_non_null(strstr(err.message, "newer"));
    drop_location("newer");
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
     * an index search (SEARCH ... USING INDEX, or rowid lookups fed by the phone
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
        /* A long run of equal starts (the page's index orders by started_at alone) is
         * ordered by its own query: through the same index, at that start. */
        char plan[2048];
        bool scans = !(bits & 32) && (bits & (1 | 2 | 4 | 64));
        if (cp_sqlite_list_plan(conn, &f, CP_SQLITE_LIST_RUN, plan, sizeof(plan)) != scans)
            fail_msg("filters 0x%x: a run query %s", bits, scans ? "missing" : "where none is");
        if (scans && (strncmp(plan, "SEARCH calls", 12) != 0 || strstr(plan, want) == NULL ||
                      strstr(plan, "started_at=?") == NULL))
            fail_msg("filters 0x%x (run): expected a search using %s at one start, got:\n%s", bits,
                     want, plan);
        for (int count = 0; count < 2; count++) {
            assert_true(cp_sqlite_list_plan(
                conn, &f, count ? CP_SQLITE_LIST_COUNT : CP_SQLITE_LIST_PAGE, plan, sizeof(plan)));
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
             * on the filter's column, or rowid lookups of the calls the phone indexes give. */
            bool narrowed = strstr(first, "(tenant_id=?)") == NULL;
            if (scan || strncmp(first, "SEARCH calls", 12) != 0 || strstr(plan, want) == NULL ||
                (bits != 0 && !narrowed))
                fail_msg("filters 0x%x (%s): expected a search using %s, got:\n%s", bits,
                         count ? "count" : "list", want, plan);
            if (getenv("CP_SHOW_PLANS") != NULL && (bits == 32 || bits == 6 || bits == 0))
                print_message("filters 0x%x %s:\n%s", bits, count ? "count" : "list", plan);
            if ((bits & 32) && strstr(plan, "calls_to") == NULL)
                fail_msg("filters 0x%x: phone must use both phone indexes:\n%s", bits, plan);
            /* Without phone a page is read in index order: nothing is sorted. */
            if (!count && !(bits & 32) && strstr(plan, "TEMP B-TREE") != NULL)
                fail_msg("filters 0x%x: the list sorts:\n%s", bits, plan);
        }
    }
    /* The page's calls are read by rowid, for both sets of fields: never through an index on
     * the tenant (which would walk all its calls). */
    for (int cc = 0; cc < 2; cc++) {
        struct cp_call_filter f = {.limit = 50,
                                   .fields = cc ? CP_CALL_FIELDS_CC : CP_CALL_FIELDS_ALL};
        char plan[2048];
        assert_true(cp_sqlite_list_plan(conn, &f, CP_SQLITE_LIST_ROWS, plan, sizeof(plan)));
        if (strncmp(plan, "SEARCH calls USING INTEGER PRIMARY KEY (rowid=?)", 48) != 0 ||
            strstr(plan, "SCAN") != NULL)
            fail_msg("rows (fields %d): expected rowid lookups, got:\n%s", cc, plan);
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

/* A bundle stored unsigned (handlers/seal_signer.h) takes its signature only when leaf index,
 * id and bytes all match and it is still unsigned; anything else changes nothing. */
static void
test_store__bundle_sign_only_the_unsigned_bundle_it_names(void **state)
{
    (void)state;
    int64_t t1 = tenant("t-bundle-sign");
    struct cp_call call;
    insert_call(t1, &call);
    struct cp_bundle b, got;
    bundle_init(&b, 0x701, &call, 700);
    const char *sig = b.signature;
    b.signature = "";
    struct cp_arena a;
    cp_arena_init(&a);
    begin(true);
    assert_int_equal(OPS->bundle_insert(conn, &b), CP_QS_ONE);
    const char *other_bytes = "{\"call\":{\"id\":\"y\"}}";
    assert_int_equal(OPS->bundle_sign(conn, 700, b.id, other_bytes, sig), CP_QS_NONE);
    assert_int_equal(OPS->bundle_sign(conn, 701, b.id, b.bytes, sig), CP_QS_NONE);
    assert_int_equal(
        OPS->bundle_sign(conn, 700, "ev_00000000000000000000000000000fff", b.bytes, sig),
        CP_QS_NONE);
    assert_int_equal(OPS->bundle_get(conn, b.id, &a, &got), CP_QS_ONE);
    assert_string_equal(got.signature, "");
    assert_int_equal(OPS->bundle_sign(conn, 700, b.id, b.bytes, sig), CP_QS_ONE);
    /* Signed once: a second signature (another job for the same bundle) is refused. */
    assert_int_equal(OPS->bundle_sign(conn, 700, b.id, b.bytes, "00"), CP_QS_NONE);
    commit();
    begin(false);
    assert_int_equal(OPS->bundle_get(conn, b.id, &a, &got), CP_QS_ONE);
    commit();
    b.signature = sig;
    assert_bundle_equal(&got, &b);
    cp_arena_reset(&a);
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

/* ---- calls: update, list order, filters, paging ---- */

static void
test_store__call_update_keeps_created_and_scope(void **state)
{
    (void)state;
    int64_t t1 = tenant("t-upd-1"), t2 = tenant("t-upd-2");
    struct cp_call a, b, got;
    call_init_at(&a, t1, cp_time_now_ms());
    a.external_id = "ext-a";
    a.status = CP_ST_IN_PROGRESS;
    a.created_ms = a.updated_ms = 1000;
    call_init_at(&b, t1, cp_time_now_ms() + 1);
    b.external_id = "ext-b";
    begin(true);
    assert_int_equal(OPS->call_insert(conn, &a), CP_QS_ONE);
    assert_int_equal(OPS->call_insert(conn, &b), CP_QS_ONE);
    commit();

    struct cp_call u = a;
    u.external_id = "ext-a2";
    u.status = CP_ST_ENDED;
    u.outcome = CP_OUT_COMPLETED;
    u.ended_ms = 1775835790000;
    u.transcript = "agent: hello";
    u.talk_time_s = 60;
    u.do_not_call_result = CP_TRI_TRUE;
    u.recording_available = true;
    u.epa_json = "{\"q1\":5}";
    u.created_ms = 999999; /* never rewritten */
    u.updated_ms = 2000;
    begin(true);
    assert_int_equal(OPS->call_update(conn, &u), CP_QS_ONE);
    commit();

    struct cp_arena ar;
    cp_arena_init(&ar);
    begin(false);
    assert_int_equal(OPS->call_get(conn, t1, a.id, &ar, &got), CP_QS_ONE);
    commit();
    assert_string_equal(got.external_id, "ext-a2");
    assert_int_equal(got.status, CP_ST_ENDED);
    assert_int_equal(got.outcome, CP_OUT_COMPLETED);
    assert_int_equal(got.ended_ms, 1775835790000);
    assert_string_equal(got.transcript, "agent: hello");
    assert_int_equal(got.talk_time_s, 60);
    assert_int_equal(got.do_not_call_result, CP_TRI_TRUE);
    assert_true(got.recording_available);
    assert_string_equal(got.epa_json, "{\"q1\":5}");
    assert_int_equal(got.created_ms, 1000);
    assert_int_equal(got.updated_ms, 2000);

    /* The derived state column follows the update (the list filter reads it). */
    struct cp_call *items = NULL;
    size_t n = 0;
    int64_t total = -1;
    struct cp_call_filter f = {.limit = 10, .has_state = true, .state = CP_STATE_COMPLETED};
    begin(false);
    assert_int_equal(OPS->call_list(conn, t1, &f, &ar, &items, &n, &total), CP_QS_ONE);
    commit();
    assert_int_equal(total, 1);
    assert_string_equal(items[0].id, a.id);

    /* NONE: another call's external id, another tenant, an unknown id; nothing changes. */
    struct cp_call clash = u;
    clash.external_id = "ext-b";
    clash.transcript = "clash";
    struct cp_call theirs = u;
    theirs.tenant_id = t2;
    struct cp_call unknown = u;
    cp_uuid_v7(cp_time_now_ms() + 5, unknown.id);
    begin(true);
    assert_int_equal(OPS->call_update(conn, &clash), CP_QS_NONE);
    assert_int_equal(OPS->call_update(conn, &theirs), CP_QS_NONE);
    assert_int_equal(OPS->call_update(conn, &unknown), CP_QS_NONE);
    commit();
    begin(false);
    assert_int_equal(OPS->call_get(conn, t1, a.id, &ar, &got), CP_QS_ONE);
    assert_string_equal(got.external_id, "ext-a2");
    assert_string_equal(got.transcript, "agent: hello");
    assert_int_equal(OPS->call_get(conn, t2, a.id, &ar, &got), CP_QS_NONE);
    commit();

    /* Dropping the external id: the old one finds nothing any more. */
    u.external_id = NULL;
    begin(true);
    assert_int_equal(OPS->call_update(conn, &u), CP_QS_ONE);
    commit();
    begin(false);
    assert_int_equal(OPS->call_get(conn, t1, "ext-a2", &ar, &got), CP_QS_NONE);
    assert_int_equal(OPS->call_get(conn, t1, a.id, &ar, &got), CP_QS_ONE);
    assert_null(got.external_id);
    commit();
    cp_arena_reset(&ar);
}

/* List t's calls with f and check the ids, in order, and the total. */
static void
expect_list(int64_t t, struct cp_call_filter f, int64_t want_total, const struct cp_call *want[],
            size_t n_want, const char *label)
{
    struct cp_arena ar;
    cp_arena_init(&ar);
    struct cp_call *items = NULL;
    size_t n = 99;
    int64_t total = -1;
    begin(false);
    assert_int_equal(OPS->call_list(conn, t, &f, &ar, &items, &n, &total), CP_QS_ONE);
    commit();
    if (total != want_total || n != n_want)
        fail_msg("%s: %zu items of %lld, want %zu of %lld", label, n, (long long)total, n_want,
                 (long long)want_total);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(items[i].id, want[i]->id) != 0)
            fail_msg("%s: item %zu is %s, want %s", label, i, items[i].id, want[i]->id);
        assert_int_equal(items[i].tenant_id, t);
    }
    cp_arena_reset(&ar);
}

static void
test_store__call_list_orders_filters_pages(void **state)
{
    (void)state;
    int64_t t = tenant("t-list"), other = tenant("t-list-other");
    const int64_t base = 1700000000000;
    struct cp_call k[5], theirs;
    for (int i = 0; i < 5; i++)
        call_init_at(&k[i], t, base + i);
    k[0].started_ms = 3000;
    k[0].campaign_id = "camp_a";
    k[0].direction = CP_DIR_OUTBOUND;
    k[0].from_number = "+15550000001";
    k[0].to_number = "+15550000002";
    k[0].status = CP_ST_ENDED;
    k[0].outcome = CP_OUT_BUSY;
    k[1].started_ms = 2000;
    k[1].campaign_id = "camp_b";
    k[1].direction = CP_DIR_INBOUND;
    k[1].from_number = "+15550000002";
    k[1].to_number = "+15550000003";
    k[1].status = CP_ST_IN_PROGRESS;
    k[2].started_ms = 2000; /* same start as k[1]: the larger id first */
    k[2].campaign_id = "camp_a";
    k[2].direction = CP_DIR_OUTBOUND;
    k[2].status = CP_ST_ENDED;
    k[2].outcome = CP_OUT_COMPLETED;
    /* k[3]: never started: last */
    k[4].started_ms = 1000;
    k[4].campaign_id = "camp_a";
    k[4].direction = CP_DIR_INBOUND;
    k[4].status = CP_ST_ENDED;
    k[4].outcome = CP_OUT_NO_ANSWER;
    k[4].from_number = "+15550000002";
    call_init_at(&theirs, other, base + 10);
    theirs.started_ms = 5000;
    theirs.campaign_id = "camp_a";
    theirs.from_number = "+15550000002";
    begin(true);
    for (int i = 0; i < 5; i++)
        assert_int_equal(OPS->call_insert(conn, &k[i]), CP_QS_ONE);
    assert_int_equal(OPS->call_insert(conn, &theirs), CP_QS_ONE);
    commit();

    const struct cp_call *all[] = {&k[0], &k[2], &k[1], &k[4], &k[3]};
    expect_list(t, (struct cp_call_filter){.limit = 50}, 5, all, 5, "all");
    expect_list(t, (struct cp_call_filter){.limit = 2}, 5, all, 2, "page 1");
    expect_list(t, (struct cp_call_filter){.limit = 2, .offset = 2}, 5, all + 2, 2, "page 2");
    expect_list(t, (struct cp_call_filter){.limit = 2, .offset = 4}, 5, all + 4, 1, "page 3");
    expect_list(t, (struct cp_call_filter){.limit = 2, .offset = 5}, 5, NULL, 0, "past the end");
    const struct cp_call *camp[] = {&k[0], &k[2], &k[4]};
    expect_list(t, (struct cp_call_filter){.limit = 50, .campaign_id = "camp_a"}, 3, camp, 3,
                "campaign");
    const struct cp_call *completed[] = {&k[2]};
    expect_list(
        t, (struct cp_call_filter){.limit = 50, .has_state = true, .state = CP_STATE_COMPLETED}, 1,
        completed, 1, "state completed");
    const struct cp_call *busy[] = {&k[0]};
    expect_list(t, (struct cp_call_filter){.limit = 50, .has_state = true, .state = CP_STATE_BUSY},
                1, busy, 1, "state busy");
    const struct cp_call *not_started[] = {&k[3]};
    expect_list(
        t, (struct cp_call_filter){.limit = 50, .has_state = true, .state = CP_STATE_NOT_STARTED},
        1, not_started, 1, "state not started");
    const struct cp_call *inbound[] = {&k[1], &k[4]};
    expect_list(t, (struct cp_call_filter){.limit = 50, .direction = CP_DIR_INBOUND}, 2, inbound, 2,
                "direction");
    const struct cp_call *no_answer[] = {&k[4]};
    expect_list(t, (struct cp_call_filter){.limit = 50, .outcome = CP_OUT_NO_ANSWER}, 1, no_answer,
                1, "outcome");
    const struct cp_call *phone[] = {&k[0], &k[1], &k[4]}; /* to, from, from */
    expect_list(t, (struct cp_call_filter){.limit = 50, .phone = "+15550000002"}, 3, phone, 3,
                "phone");
    const struct cp_call *from[] = {&k[0], &k[2], &k[1]};
    expect_list(t, (struct cp_call_filter){.limit = 50, .date_from_ms = 2000}, 3, from, 3,
                "date from");
    const struct cp_call *to[] = {&k[2], &k[1], &k[4]};
    expect_list(t, (struct cp_call_filter){.limit = 50, .date_to_ms = 2000}, 3, to, 3, "date to");
    const struct cp_call *combined[] = {&k[0], &k[2]};
    expect_list(t,
                (struct cp_call_filter){.limit = 50, .campaign_id = "camp_a", .date_from_ms = 1500},
                2, combined, 2, "campaign and date");
    const struct cp_call *combined2[] = {&k[4]};
    expect_list(
        t,
        (struct cp_call_filter){
            .limit = 50, .phone = "+15550000002", .direction = CP_DIR_INBOUND, .date_to_ms = 1500},
        1, combined2, 1, "phone, direction and date");
    expect_list(t, (struct cp_call_filter){.limit = 50, .campaign_id = "camp_none"}, 0, NULL, 0,
                "no match");
    const struct cp_call *their_all[] = {&theirs};
    expect_list(other, (struct cp_call_filter){.limit = 50, .phone = "+15550000002"}, 1, their_all,
                1, "other tenant");
}

/* ---- savepoints (group commit runs each request's function in one) ---- */

static void
test_store__savepoints_undo_one_function(void **state)
{
    (void)state;
    int64_t t = tenant("t-savepoint");
    struct cp_call kept, undone, dup, after;
    call_init_at(&kept, t, cp_time_now_ms());
    call_init_at(&undone, t, cp_time_now_ms() + 1);
    call_init_at(&after, t, cp_time_now_ms() + 2);
    struct cp_checkpoint first = {.size = 1000, .note = "first\n", .created_ms = 1};
    hash_of("first", &first.root);

    begin(true);
    assert_int_equal(OPS->savepoint(conn), CP_QS_ONE);
    assert_int_equal(OPS->call_insert(conn, &kept), CP_QS_ONE);
    assert_int_equal(OPS->log_node_put(conn, 30, 7, &first.root), CP_QS_ONE);
    assert_int_equal(OPS->savepoint_release(conn), CP_QS_ONE);
    /* Undone alone: the work before the savepoint stays. */
    assert_int_equal(OPS->savepoint(conn), CP_QS_ONE);
    assert_int_equal(OPS->call_insert(conn, &undone), CP_QS_ONE);
    assert_int_equal(OPS->savepoint_rollback(conn), CP_QS_ONE);
    /* A failed statement (HARD) is undone by the savepoint too, and the transaction goes on
     * (PostgreSQL refuses every statement after an error until then). */
    assert_int_equal(OPS->savepoint(conn), CP_QS_ONE);
    dup = kept;
    assert_int_equal(OPS->call_insert(conn, &dup), CP_QS_NONE); /* documented: NONE */
    assert_int_equal(OPS->log_node_put(conn, 30, 7, &first.root), CP_QS_HARD);
    assert_int_equal(OPS->savepoint_rollback(conn), CP_QS_ONE);
    assert_int_equal(OPS->savepoint(conn), CP_QS_ONE);
    assert_int_equal(OPS->call_insert(conn, &after), CP_QS_ONE);
    assert_int_equal(OPS->savepoint_release(conn), CP_QS_ONE);
    commit();

    struct cp_arena ar;
    cp_arena_init(&ar);
    struct cp_call got;
    struct cp_sha256 h;
    begin(false);
    assert_int_equal(OPS->call_get(conn, t, kept.id, &ar, &got), CP_QS_ONE);
    assert_int_equal(OPS->call_get(conn, t, undone.id, &ar, &got), CP_QS_NONE);
    assert_int_equal(OPS->call_get(conn, t, after.id, &ar, &got), CP_QS_ONE);
    assert_int_equal(OPS->log_node_get(conn, 30, 7, &h), CP_QS_ONE);
    commit();
    assert_memory_equal(h.b, first.root.b, sizeof(h.b));
    cp_arena_reset(&ar);
}

/* ---- recordings ---- */

static void
test_store__recordings_upsert_audio_list(void **state)
{
    (void)state;
    int64_t t1 = tenant("t-rec-1"), t2 = tenant("t-rec-2");
    struct cp_call call, other;
    insert_call(t1, &call);
    insert_call(t2, &other);
    struct cp_recording b = {.tenant_id = t1,
                             .recording_id = "rec_b",
                             .recording_url = "https://media.example/rec_b.wav",
                             .duration_s = 10,
                             .transcription_id = "tr_1",
                             .transcription_status = "pending",
                             .started_ms = 5000,
                             .ended_ms = 15000,
                             .metadata_json = "{\"k\":\"v\"}",
                             .created_ms = 100,
                             .updated_ms = 100};
    snprintf(b.call_id, sizeof(b.call_id), "%s", call.id);
    struct cp_recording a = {
        .tenant_id = t1, .recording_id = "rec_a", .duration_s = 7, .created_ms = 100};
    snprintf(a.call_id, sizeof(a.call_id), "%s", call.id);
    struct cp_recording z = {
        .tenant_id = t1, .recording_id = "rec_z", .duration_s = -1, .created_ms = 50};
    snprintf(z.call_id, sizeof(z.call_id), "%s", call.id);
    begin(true);
    assert_int_equal(OPS->recording_upsert(conn, &b), CP_QS_ONE);
    assert_int_equal(OPS->recording_upsert(conn, &a), CP_QS_ONE);
    assert_int_equal(OPS->recording_upsert(conn, &z), CP_QS_ONE);
    commit();

    struct cp_arena ar;
    cp_arena_init(&ar);
    struct cp_recording got;
    begin(false);
    assert_int_equal(OPS->recording_get(conn, t1, call.id, "rec_b", &ar, &got), CP_QS_ONE);
    commit();
    assert_int_equal(got.tenant_id, t1);
    assert_string_equal(got.call_id, call.id);
    assert_string_equal(got.recording_id, "rec_b");
    assert_string_equal(got.recording_url, "https://media.example/rec_b.wav");
    assert_int_equal(got.duration_s, 10);
    assert_string_equal(got.transcription_id, "tr_1");
    assert_string_equal(got.transcription_status, "pending");
    assert_int_equal(got.started_ms, 5000);
    assert_int_equal(got.ended_ms, 15000);
    assert_string_equal(got.metadata_json, "{\"k\":\"v\"}");
    assert_false(got.has_audio);
    assert_null(got.content_type);
    assert_int_equal(got.size_bytes, -1);
    assert_null(got.file_name);
    assert_int_equal(got.created_ms, 100);

    /* Oldest first, then by recording id. */
    struct cp_recording *items = NULL;
    size_t n = 0;
    begin(false);
    assert_int_equal(OPS->recording_list(conn, t1, call.id, &ar, &items, &n), CP_QS_ONE);
    commit();
    assert_int_equal(n, 3);
    assert_string_equal(items[0].recording_id, "rec_z");
    assert_int_equal(items[0].duration_s, -1);
    assert_string_equal(items[1].recording_id, "rec_a");
    assert_string_equal(items[2].recording_id, "rec_b");

    /* An upsert of an existing one rewrites the log fields, keeps created_at. */
    struct cp_recording b2 = b;
    b2.recording_url = NULL;
    b2.duration_s = -1;
    b2.transcription_status = "completed";
    b2.metadata_json = NULL;
    b2.created_ms = 999;
    b2.updated_ms = 200;
    begin(true);
    assert_int_equal(OPS->recording_upsert(conn, &b2), CP_QS_ONE);
    commit();
    begin(false);
    assert_int_equal(OPS->recording_get(conn, t1, call.id, "rec_b", &ar, &got), CP_QS_ONE);
    commit();
    assert_null(got.recording_url);
    assert_int_equal(got.duration_s, -1);
    assert_string_equal(got.transcription_status, "completed");
    assert_null(got.metadata_json);
    assert_int_equal(got.created_ms, 100);
    assert_int_equal(got.updated_ms, 200);

    /* Audio is set once: the second time is NONE and changes nothing. */
    struct cp_recording audio = b;
    audio.content_type = "audio/wav";
    audio.size_bytes = 123456;
    hash_of("the audio", &audio.sha256);
    audio.file_name = "ab/cd.wav";
    audio.duration_s = 42;
    audio.updated_ms = 300;
    struct cp_recording audio2 = audio;
    hash_of("other audio", &audio2.sha256);
    audio2.file_name = "other.wav";
    struct cp_recording no_dur = a;
    no_dur.content_type = "audio/mpeg";
    no_dur.size_bytes = 1;
    hash_of("a", &no_dur.sha256);
    no_dur.file_name = "a.mp3";
    no_dur.duration_s = -1; /* keeps the logged duration */
    struct cp_recording missing = audio;
    missing.recording_id = "rec_missing";
    struct cp_recording theirs = audio;
    theirs.tenant_id = t2;
    begin(true);
    assert_int_equal(OPS->recording_set_audio(conn, &audio), CP_QS_ONE);
    assert_int_equal(OPS->recording_set_audio(conn, &audio2), CP_QS_NONE);
    assert_int_equal(OPS->recording_set_audio(conn, &no_dur), CP_QS_ONE);
    assert_int_equal(OPS->recording_set_audio(conn, &missing), CP_QS_NONE);
    assert_int_equal(OPS->recording_set_audio(conn, &theirs), CP_QS_NONE);
    commit();
    begin(false);
    assert_int_equal(OPS->recording_get(conn, t1, call.id, "rec_b", &ar, &got), CP_QS_ONE);
    commit();
    assert_true(got.has_audio);
    assert_memory_equal(got.sha256.b, audio.sha256.b, 32);
    assert_string_equal(got.content_type, "audio/wav");
    assert_int_equal(got.size_bytes, 123456);
    assert_string_equal(got.file_name, "ab/cd.wav");
    assert_int_equal(got.duration_s, 42);
    assert_int_equal(got.updated_ms, 300);

    /* A later log upsert leaves the audio facts alone. */
    begin(true);
    assert_int_equal(OPS->recording_upsert(conn, &b), CP_QS_ONE);
    commit();
    begin(false);
    assert_int_equal(OPS->recording_get(conn, t1, call.id, "rec_b", &ar, &got), CP_QS_ONE);
    assert_true(got.has_audio);
    assert_memory_equal(got.sha256.b, audio.sha256.b, 32);
    assert_string_equal(got.file_name, "ab/cd.wav");
    assert_int_equal(got.duration_s, 10); /* the log's duration again */
    assert_int_equal(OPS->recording_get(conn, t1, call.id, "rec_a", &ar, &got), CP_QS_ONE);
    assert_true(got.has_audio);
    assert_int_equal(got.duration_s, 7);
    /* Tenant-scoped: the other tenant sees none of it. */
    assert_int_equal(OPS->recording_get(conn, t2, call.id, "rec_b", &ar, &got), CP_QS_NONE);
    assert_int_equal(OPS->recording_list(conn, t2, call.id, &ar, &items, &n), CP_QS_ONE);
    assert_int_equal(n, 0);
    assert_int_equal(OPS->recording_get(conn, t1, call.id, "rec_missing", &ar, &got), CP_QS_NONE);
    commit();

    /* A recording of a call the tenant does not have is refused by the foreign key (HARD). */
    struct cp_recording orphan = a;
    snprintf(orphan.call_id, sizeof(orphan.call_id), "%s", other.id);
    begin(true);
    assert_int_equal(OPS->recording_upsert(conn, &orphan), CP_QS_HARD);
    OPS->rollback(conn);
    cp_arena_reset(&ar);
}

/* ---- consents, revocations, precall decisions ---- */

/* Any 64 hex digits: the store keeps what it is given (the handler hashes the record). */
#define RECORD_SHA256 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void
consent_init(struct cp_consent *x, int64_t t, const char *id, const char *phone, const char *entity,
             int64_t captured_ms)
{
    memset(x, 0, sizeof(*x));
    x->tenant_id = t;
    snprintf(x->id, sizeof(x->id), "%s", id);
    x->phone = phone;
    x->calling_entity = entity;
    x->type = "prior_express_written";
    x->scope = "ai_voice,telemarketing";
    x->valid = true;
    x->captured_ms = captured_ms;
    x->record = "{\"consent\":\"caf\xc3\xa9\"}";
    x->signature = "ab01";
    x->record_sha256 = RECORD_SHA256;
    x->key_id = "cp-ed25519-0001";
    x->created_ms = 7;
}

/* The revocation mark of consent id: revoked_at, and its revocation id into rev (n bytes). */
static int64_t
revoked_at(int64_t t, const char *id, char *rev, size_t n)
{
    struct cp_arena ar;
    cp_arena_init(&ar);
    struct cp_consent got;
    begin(false);
    assert_int_equal(OPS->consent_get(conn, t, id, &ar, &got), CP_QS_ONE);
    commit();
    if (rev != NULL)
        snprintf(rev, n, "%s", got.revocation_id ? got.revocation_id : "");
    cp_arena_reset(&ar);
    return got.revoked_ms;
}

static void
test_store__consents_insert_list_revoke(void **state)
{
    (void)state;
    int64_t t1 = tenant("t-consent-1"), t2 = tenant("t-consent-2");
    const char *P = "+15551110000", *Q = "+15552220000";
    struct cp_consent k1, k2, k3, k4, k5, theirs;
    consent_init(&k1, t1, "cst_1", P, "Acme Corp", 1000);
    consent_init(&k2, t1, "cst_2", P, "Other LLC", 2000);
    k2.type = "verbal";
    k2.valid = false;
    k2.record_sha256 = NULL; /* as on a consent stored before schema 11 */
    consent_init(&k3, t1, "cst_3", P, "acme corp", 3000);
    consent_init(&k4, t1, "cst_4", Q, "Acme Corp", 1500);
    consent_init(&k5, t1, "cst_5", P, "\xc3\x89mile SA", 500); /* not an ASCII letter */
    consent_init(&theirs, t2, "cst_1", P, "Acme Corp", 1000);  /* ids are per tenant */
    begin(true);
    assert_int_equal(OPS->consent_insert(conn, &k1), CP_QS_ONE);
    assert_int_equal(OPS->consent_insert(conn, &k2), CP_QS_ONE);
    assert_int_equal(OPS->consent_insert(conn, &k3), CP_QS_ONE);
    assert_int_equal(OPS->consent_insert(conn, &k4), CP_QS_ONE);
    assert_int_equal(OPS->consent_insert(conn, &k5), CP_QS_ONE);
    assert_int_equal(OPS->consent_insert(conn, &theirs), CP_QS_ONE);
    assert_int_equal(OPS->consent_insert(conn, &k1), CP_QS_NONE); /* the id exists */
    commit();

    struct cp_arena ar;
    cp_arena_init(&ar);
    struct cp_consent got;
    begin(false);
    assert_int_equal(OPS->consent_get(conn, t2, "cst_2", &ar, &got), CP_QS_NONE);
    assert_int_equal(OPS->consent_get(conn, t1, "cst_9", &ar, &got), CP_QS_NONE);
    assert_int_equal(OPS->consent_get(conn, t1, "cst_2", &ar, &got), CP_QS_ONE);
    commit();
    assert_int_equal(got.tenant_id, t1);
    assert_string_equal(got.id, "cst_2");
    assert_string_equal(got.phone, P);
    assert_string_equal(got.calling_entity, "Other LLC");
    assert_string_equal(got.type, "verbal");
    assert_string_equal(got.scope, "ai_voice,telemarketing");
    assert_false(got.valid);
    assert_int_equal(got.captured_ms, 2000);
    assert_string_equal(got.record, "{\"consent\":\"caf\xc3\xa9\"}");
    assert_string_equal(got.signature, "ab01");
    assert_null(got.record_sha256);
    assert_string_equal(got.key_id, "cp-ed25519-0001");
    assert_int_equal(got.revoked_ms, 0);
    assert_null(got.revocation_id);
    assert_int_equal(got.created_ms, 7);

    /* Newest capture first; per phone; per tenant. */
    struct cp_consent *items = NULL;
    size_t n = 0;
    begin(false);
    assert_int_equal(OPS->consent_list(conn, t1, P, &ar, &items, &n), CP_QS_ONE);
    assert_int_equal(n, 4);
    assert_string_equal(items[0].id, "cst_3");
    assert_string_equal(items[1].id, "cst_2");
    assert_string_equal(items[2].id, "cst_1");
    assert_string_equal(items[3].id, "cst_5");
    assert_true(items[0].valid);
    assert_string_equal(items[0].record_sha256, RECORD_SHA256);
    assert_null(items[1].record_sha256);
    assert_int_equal(OPS->consent_list(conn, t1, Q, &ar, &items, &n), CP_QS_ONE);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].id, "cst_4");
    assert_int_equal(OPS->consent_list(conn, t2, Q, &ar, &items, &n), CP_QS_ONE);
    assert_int_equal(n, 0);
    commit();

    /* Revoke one entity (ASCII case folded) at 2500: only consents captured by then. */
    char rev[64];
    begin(true);
    assert_int_equal(OPS->consent_revoke(conn, t1, P, "ACME CORP", 2500, "rev_1"), CP_QS_ONE);
    commit();
    assert_int_equal(revoked_at(t1, "cst_1", rev, sizeof(rev)), 2500);
    assert_string_equal(rev, "rev_1");
    assert_int_equal(revoked_at(t1, "cst_3", NULL, 0), 0); /* captured later */
    assert_int_equal(revoked_at(t1, "cst_2", NULL, 0), 0); /* another entity */
    assert_int_equal(revoked_at(t1, "cst_4", NULL, 0), 0); /* another phone */
    assert_int_equal(revoked_at(t2, "cst_1", NULL, 0), 0); /* another tenant */

    begin(true);
    /* Nothing left to revoke for this entity at this time. */
    assert_int_equal(OPS->consent_revoke(conn, t1, P, "acme corp", 2500, "rev_x"), CP_QS_NONE);
    /* Letters beyond ASCII are not folded (both backends compare like SQLite's NOCASE). */
    assert_int_equal(OPS->consent_revoke(conn, t1, P, "\xc3\xa9mile SA", 9000, "rev_x"),
                     CP_QS_NONE);
    /* Later: cst_3 now; cst_1 keeps its first mark. */
    assert_int_equal(OPS->consent_revoke(conn, t1, P, "Acme Corp", 5000, "rev_2"), CP_QS_ONE);
    commit();
    assert_int_equal(revoked_at(t1, "cst_3", rev, sizeof(rev)), 5000);
    assert_string_equal(rev, "rev_2");
    assert_int_equal(revoked_at(t1, "cst_1", rev, sizeof(rev)), 2500);
    assert_string_equal(rev, "rev_1");

    /* Every entity (NULL): the rest of the phone's consents captured by then. */
    begin(true);
    assert_int_equal(OPS->consent_revoke(conn, t1, P, NULL, 4000, "rev_3"), CP_QS_ONE);
    assert_int_equal(OPS->consent_revoke(conn, t1, P, NULL, 4000, "rev_3"), CP_QS_NONE);
    commit();
    assert_int_equal(revoked_at(t1, "cst_2", rev, sizeof(rev)), 4000);
    assert_string_equal(rev, "rev_3");
    assert_int_equal(revoked_at(t1, "cst_5", NULL, 0), 4000);
    assert_int_equal(revoked_at(t1, "cst_1", NULL, 0), 2500);
    assert_int_equal(revoked_at(t1, "cst_4", NULL, 0), 0);
    assert_int_equal(revoked_at(t2, "cst_1", NULL, 0), 0);
    cp_arena_reset(&ar);
}

static void
test_store__revocations_and_decisions(void **state)
{
    (void)state;
    int64_t t1 = tenant("t-rev-1"), t2 = tenant("t-rev-2");
    const char *P = "+15553330000";
    struct cp_revocation r1 = {.tenant_id = t1,
                               .id = "rev_1",
                               .phone = P,
                               .calling_entity = "Acme",
                               .trigger = "in_call_stop",
                               .revoked_ms = 1000,
                               .honor_by_ms = 2000,
                               .transcript = "please stop calling",
                               .created_ms = 5};
    struct cp_revocation r2 = r1, r3 = r1;
    snprintf(r2.id, sizeof(r2.id), "rev_2");
    r2.scope_all = true;
    r2.revoked_ms = 3000;
    r2.call_id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    r2.transcript = NULL;
    snprintf(r3.id, sizeof(r3.id), "rev_3");
    r3.revoked_ms = 3000; /* same time as rev_2: the larger id first */
    begin(true);
    assert_int_equal(OPS->revocation_insert(conn, &r1), CP_QS_ONE);
    assert_int_equal(OPS->revocation_insert(conn, &r2), CP_QS_ONE);
    assert_int_equal(OPS->revocation_insert(conn, &r3), CP_QS_ONE);
    commit();
    begin(true);
    assert_int_equal(OPS->revocation_insert(conn, &r1), CP_QS_HARD); /* ids are not reused */
    OPS->rollback(conn);

    struct cp_arena ar;
    cp_arena_init(&ar);
    struct cp_revocation *items = NULL;
    size_t n = 0;
    begin(false);
    assert_int_equal(OPS->revocation_list(conn, t1, P, &ar, &items, &n), CP_QS_ONE);
    assert_int_equal(n, 3);
    assert_string_equal(items[0].id, "rev_3");
    assert_string_equal(items[1].id, "rev_2");
    assert_string_equal(items[2].id, "rev_1");
    assert_true(items[1].scope_all);
    assert_string_equal(items[1].call_id, r2.call_id);
    assert_null(items[1].transcript);
    assert_int_equal(items[2].tenant_id, t1);
    assert_string_equal(items[2].phone, P);
    assert_string_equal(items[2].calling_entity, "Acme");
    assert_false(items[2].scope_all);
    assert_string_equal(items[2].trigger, "in_call_stop");
    assert_int_equal(items[2].revoked_ms, 1000);
    assert_int_equal(items[2].honor_by_ms, 2000);
    assert_null(items[2].call_id);
    assert_string_equal(items[2].transcript, "please stop calling");
    assert_int_equal(items[2].created_ms, 5);
    assert_int_equal(OPS->revocation_list(conn, t2, P, &ar, &items, &n), CP_QS_ONE);
    assert_int_equal(n, 0);
    assert_int_equal(OPS->revocation_list(conn, t1, "+15550000000", &ar, &items, &n), CP_QS_ONE);
    assert_int_equal(n, 0);
    commit();

    struct cp_decision d1 = {.tenant_id = t1,
                             .id = "dec_1",
                             .phone = P,
                             .allowed = true,
                             .consent_id = "cst_1",
                             .inputs = "{\"phone\":\"+15553330000\"}",
                             .result = "{\"allowed\":true}",
                             .created_ms = 9};
    struct cp_decision d2 = d1, theirs = d1;
    snprintf(d2.id, sizeof(d2.id), "dec_2");
    d2.allowed = false;
    d2.reason = "no_consent";
    d2.consent_id = NULL;
    theirs.tenant_id = t2;
    begin(true);
    assert_int_equal(OPS->decision_insert(conn, &d1), CP_QS_ONE);
    assert_int_equal(OPS->decision_insert(conn, &d2), CP_QS_ONE);
    assert_int_equal(OPS->decision_insert(conn, &theirs), CP_QS_ONE); /* ids are per tenant */
    commit();
    begin(true);
    assert_int_equal(OPS->decision_insert(conn, &d1), CP_QS_HARD);
    OPS->rollback(conn);
    cp_arena_reset(&ar);
}

/* ---- concurrency: what handlers get from one writer at a time (SQLite) or SERIALIZABLE
 * (PostgreSQL), across stores opened separately on one database, as several processes (the
 * CLI next to the server, or several instances) do: within one store, group commit already
 * runs one write transaction at a time. ---- */

enum { N_THREADS = 4, N_APPENDS = 10 };

struct appender {
    int id;
    int ok, failed;
    enum cp_qs last_failure;
};

struct append_txn {
    char bundle_id[CP_BUNDLE_ID_LEN + 1];
    int64_t index;
};

/* Read the log size and append a leaf there: the pattern of every seal. */
static enum cp_qs
append_txn(struct cp_store_conn *c, void *cls)
{
    struct append_txn *a = cls;
    enum cp_qs qs = c->ops->log_size(c, &a->index);
    if (qs < 0)
        return qs;
    qs = c->ops->log_leaf_put(c, a->index, a->bundle_id);
    if (qs < 0)
        return qs;
    struct cp_sha256 h;
    hash_of(a->bundle_id, &h);
    return c->ops->log_node_put(c, 0, a->index, &h);
}

static void *
appender_main(void *cls)
{
    struct appender *ap = cls;
    struct cp_error err;
    struct cp_store *own = cp_store_open(db, &err);
    struct cp_store_conn *c = own ? cp_store_acquire(own, &err) : NULL;
    if (c == NULL) {
        ap->failed = N_APPENDS;
        cp_store_close(own);
        return NULL;
    }
    for (int i = 0; i < N_APPENDS; i++) {
        struct append_txn a;
        snprintf(a.bundle_id, sizeof(a.bundle_id), "ev_%016x%016x", 0xc0c0u + (unsigned)ap->id,
                 (unsigned)i);
        enum cp_qs qs = cp_store_run(c, true, append_txn, &a);
        if (qs >= 0) {
            ap->ok++;
        } else {
            ap->failed++;
            ap->last_failure = qs;
        }
    }
    cp_store_release(c);
    cp_store_close(own);
    return NULL;
}

static void
test_store__concurrent_appends_get_distinct_leaves(void **state)
{
    (void)state;
    int64_t before = log_size();
    pthread_t th[N_THREADS];
    struct appender ap[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        ap[i] = (struct appender){.id = i};
        assert_int_equal(pthread_create(&th[i], NULL, appender_main, &ap[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += ap[i].ok;
        if (ap[i].failed)
            print_message("appender %d: %d failed, last %d\n", i, ap[i].failed,
                          (int)ap[i].last_failure);
    }
    assert_int_equal(ok, N_THREADS * N_APPENDS);
    /* Every append got its own index, with no gap: the log grew by exactly that much, and
     * every leaf slot in the range has its node. */
    assert_int_equal(log_size(), before + ok);
    begin(false);
    for (int64_t i = before; i < before + ok; i++) {
        struct cp_sha256 h;
        assert_int_equal(OPS->log_node_get(conn, 0, i, &h), CP_QS_ONE);
    }
    commit();
}

struct opener {
    const char *location;
    bool ok;
    int version;
    char message[256];
};

static void *
opener_main(void *cls)
{
    struct opener *o = cls;
    struct cp_error err;
    struct cp_store *s = cp_store_open(o->location, &err);
    o->ok = s != NULL;
    if (s != NULL) {
        o->version = cp_store_schema_version(s);
        cp_store_close(s);
    } else {
        snprintf(o->message, sizeof(o->message), "%s", err.message);
    }
    return NULL;
}

static void
test_store__concurrent_opens_migrate_once(void **state)
{
    (void)state;
    char loc[1024];
    fresh_location("race", loc, sizeof(loc));
    pthread_t th[N_THREADS];
    struct opener o[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        o[i] = (struct opener){.location = loc};
        assert_int_equal(pthread_create(&th[i], NULL, opener_main, &o[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        if (!o[i].ok)
            fail_msg("open %d failed: %s", i, o[i].message);
        assert_int_equal(o[i].version, SCHEMA_VERSION);
    }
    /* Each migration applied exactly once. */
    assert_int_equal(raw_int(loc, "SELECT count(*) FROM schema_migrations"), SCHEMA_VERSION);
    assert_int_equal(raw_int(loc, "SELECT count(DISTINCT version) FROM schema_migrations"),
                     SCHEMA_VERSION);
    drop_location("race");
}

static void
test_store__url_password_is_redacted(void **state)
{
    (void)state;
    char out[128];
    assert_string_equal(
        cp_store_url_redact("postgres://cp:s3cret@db.example:5432/callproof", out, sizeof(out)),
        "postgres://cp:***@db.example:5432/callproof");
    assert_string_equal(cp_store_url_redact("postgres://cp@db/x", out, sizeof(out)),
                        "postgres://cp@db/x");
    assert_string_equal(cp_store_url_redact("postgresql://db:5432/x?user=a", out, sizeof(out)),
                        "postgresql://db:5432/x?user=a");
    assert_string_equal(cp_store_url_redact("/var/lib/callproof/callproof.db", out, sizeof(out)),
                        "/var/lib/callproof/callproof.db");
}

/* ---- PostgreSQL only: list plans, an unreachable server, a lost connection ---- */

/* The counterpart of list_filters_use_indexes: PostgreSQL picks among the (tenant_id, column,
 * started_at) indexes itself, from statistics, so the test gives it a tenant with 2,000 calls
 * and ANALYZE, and checks that every combination of the documented filters, list and count,
 * reaches the calls through an index condition on a filtered column (not the tenant alone),
 * or, for a page, by reading the tenant's calls in list order until the page is full (no
 * sort of all of them: what the planner prefers when a filter matches most calls), and never
 * by scanning the table. */
static void
test_store__pg_list_filters_have_indexes(void **state)
{
    (void)state;
    int64_t t = tenant("t-pg-plan");
    begin(true);
    for (int i = 0; i < 2000; i++) {
        struct cp_call c;
        call_init_at(&c, t, 1600000000000 + i);
        char campaign[16];
        snprintf(campaign, sizeof(campaign), "camp_%d", i % 20);
        c.campaign_id = campaign;
        c.direction = i % 3 ? CP_DIR_OUTBOUND : CP_DIR_INBOUND;
        c.status = CP_ST_ENDED;
        c.outcome = (enum cp_outcome)(1 + i % 5);
        char from[16], to[16];
        snprintf(from, sizeof(from), "+1555%07d", i % 400);
        snprintf(to, sizeof(to), "+1666%07d", i % 300);
        c.from_number = from;
        c.to_number = to;
        c.started_ms = 1700000000000 + (int64_t)i * 1000;
        assert_int_equal(OPS->call_insert(conn, &c), CP_QS_ONE);
    }
    commit();
    raw_exec(db, "ANALYZE calls");
    static const char *const columns[] = {"campaign_id", "state",       "direction", "outcome",
                                          "started_at",  "from_number", "to_number"};
    for (unsigned bits = 0; bits < 128; bits++) {
        struct cp_call_filter f = {.limit = 50};
        if (bits & 1)
            f.campaign_id = "camp_7";
        if (bits & 2) {
            f.has_state = true;
            f.state = CP_STATE_COMPLETED;
        }
        if (bits & 4)
            f.direction = CP_DIR_OUTBOUND;
        if (bits & 8)
            f.date_from_ms = 1700001950000;
        if (bits & 16)
            f.date_to_ms = 1700000050000;
        if (bits & 32)
            f.phone = "+15550000007";
        if (bits & 64)
            f.outcome = CP_OUT_BUSY;
        for (int count = 0; count < 2; count++) {
            char plan[4096];
            assert_true(cp_pg_list_plan(conn, t, &f, count, plan, sizeof(plan)));
            /* An index condition on a filtered column: "Index Cond: (... campaign_id = ...". */
            bool narrowed = bits == 0;
            for (const char *cond = plan; !narrowed && (cond = strstr(cond, "Cond: ")) != NULL;
                 cond++)
                for (size_t k = 0; k < CP_ARRAY_LEN(columns) && !narrowed; k++) {
                    const char *hit = strstr(cond, columns[k]);
                    narrowed = hit != NULL && hit < cond + strcspn(cond, "\n");
                }
            /* The unfiltered page is read in list order, not sorted from all the tenant's calls. */
            if (bits == 0 && !count && strstr(plan, "Sort") != NULL)
                fail_msg("the unfiltered list sorts instead of reading an index in order:\n%s",
                         plan);
            bool in_order = !count && strstr(plan, "Sort") == NULL;
            if (strstr(plan, "Seq Scan") != NULL || strstr(plan, "calls_") == NULL ||
                !(narrowed || in_order))
                fail_msg("filters 0x%x (%s): expected an index condition on a filtered column, "
                         "got:\n%s",
                         bits, count ? "count" : "list", plan);
            if (getenv("CP_SHOW_PLANS") != NULL && (bits == 32 || bits == 6 || bits == 0))
                print_message("filters 0x%x %s:\n%s", bits, count ? "count" : "list", plan);
        }
    }
}

static void
test_store__unreachable_postgres_is_unavailable(void **state)
{
    (void)state;
    struct cp_error err;
    int64_t t0 = cp_time_now_ms();
    /* Port 1 on loopback: refused at once. The message names the server, never the password. */
    assert_null(cp_store_open("postgres://cp:s3cret@127.0.0.1:1/callproof", &err));
    assert_true(cp_time_now_ms() - t0 < 10000);
    assert_int_equal(err.code, CP_ERR_UNAVAILABLE);
    assert_non_null(strstr(err.message, "127.0.0.1:1/callproof"));
    assert_null(strstr(err.message, "s3cret"));
}

/* Terminate every server process of the test database but the one asking: what a database
 * restart or a failover does to callproof's connections. */
static void
kill_connections(void)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE datname = 'cp_unit_%ld_main' AND pid <> pg_backend_pid()",
             (long)getpid());
    pg_exec(pg_admin, sql);
    usleep(100 * 1000); /* the server processes exit asynchronously */
}

static void
test_store__lost_connection_is_unavailable_then_resumes(void **state)
{
    (void)state;
    int64_t t = tenant("t-reconnect");
    struct cp_arena ar;
    cp_arena_init(&ar);
    struct cp_call got;

    /* Between transactions: the next begin finds the connection dead and reconnects. */
    kill_connections();
    begin(false);
    assert_int_equal(OPS->call_get(conn, t, "nope", &ar, &got), CP_QS_NONE);
    commit();

    /* Inside a transaction: the operation fails HARD with the cause "down" (the caller answers
     * 503), the rollback is clean, and the next transaction runs on a new connection. */
    begin(true);
    kill_connections();
    conn->cause = CP_CAUSE_OTHER;
    assert_int_equal(OPS->call_get(conn, t, "nope", &ar, &got), CP_QS_HARD);
    assert_int_equal(conn->cause, CP_CAUSE_DOWN);
    OPS->rollback(conn);
    struct cp_call c;
    cp_call_init(&c);
    cp_uuid_v7(cp_time_now_ms(), c.id);
    c.tenant_id = t;
    begin(true);
    assert_int_equal(OPS->call_insert(conn, &c), CP_QS_ONE);
    commit();
    begin(false);
    assert_int_equal(OPS->call_get(conn, t, c.id, &ar, &got), CP_QS_ONE);
    commit();

    /* cp_store_run does not retry an unreachable database: it returns at once, and the cause
     * reaches the caller (reads and group-committed writes alike). */
    int calls = 0;
    assert_int_equal(cp_store_run(conn, true, failing_unreachable_txn, &calls), CP_QS_HARD);
    assert_int_equal(conn->cause, CP_CAUSE_DOWN);
    assert_int_equal(calls, 1);
    calls = 0;
    assert_int_equal(cp_store_run(conn, false, failing_unreachable_txn, &calls), CP_QS_HARD);
    assert_int_equal(conn->cause, CP_CAUSE_DOWN);
    assert_int_equal(calls, 1);
    cp_arena_reset(&ar);
}

/* An idle server gives back the pages its SQLite connections cache (cp_store_trim): after a
 * read that filled the cache, trimming the pool frees that memory. */
static void
test_store__trim_frees_idle_page_caches(void **state)
{
    (void)state;
    int64_t t = tenant("t-trim");
    begin(true);
    for (int i = 0; i < 2000; i++) {
        struct cp_call c;
        cp_call_init(&c);
        cp_uuid_v7(cp_time_now_ms() + i, c.id);
        c.tenant_id = t;
        c.from_number = "+15551234567";
        c.to_number = "+15557654321";
        c.transcript = "agent: hello, this is a long enough transcript to fill some pages of the "
                       "cache when two thousand calls are read back";
        c.created_ms = c.updated_ms = 1;
        assert_int_equal(OPS->call_insert(conn, &c), CP_QS_ONE);
    }
    commit();
    cp_store_release(conn); /* into the pool, its cache full */
    conn = NULL;
    sqlite3_int64 full = sqlite3_memory_used(); /* statistics on: see main */
    cp_store_trim(store);
    sqlite3_int64 trimmed = sqlite3_memory_used();
    assert_true(trimmed < full - 256 * 1024); /* the pages of 2,000 calls, at least */
    struct cp_error err;
    conn = cp_store_acquire(store, &err);
    assert_non_null(conn);
}

/* SQLite: one process owns the database, so the log is integrated by each batch (the log
 * hook), not by a lease holder: the shared-log operations are absent. */
static void
test_store__sqlite_log_is_not_shared(void **state)
{
    (void)state;
    assert_false(cp_store_log_shared(store));
    assert_null(OPS->log_lock);
    assert_null(OPS->lease_acquire);
    assert_null(OPS->log_wait);
}

/* PostgreSQL: the integration lease is held by one session at a time, each taking gets a
 * larger epoch, a stale epoch or a lost session is fenced off, and NOTIFY reaches listeners
 * only on commit. */
static void
test_store__pg_log_lease_fence_and_notify(void **state)
{
    (void)state;
    struct cp_error err;
    struct cp_store_conn *c2 = cp_store_acquire(store, &err);
    assert_non_null(c2);
    assert_true(cp_store_log_shared(store));

    int64_t e1 = 0, e2 = 0, e3 = 0;
    assert_int_equal(OPS->lease_acquire(conn, &e1), CP_QS_ONE);
    assert_int_equal(OPS->lease_acquire(c2, &e2), CP_QS_NONE); /* held by conn's session */
    begin(true);
    assert_int_equal(OPS->lease_fence(conn, e1), CP_QS_ONE);
    commit();

    OPS->lease_release(conn);
    assert_int_equal(OPS->lease_acquire(c2, &e2), CP_QS_ONE);
    assert_true(e2 > e1);
    assert_int_equal(OPS->lease_acquire(conn, &e1), CP_QS_NONE);
    assert_int_equal(OPS->begin(c2, true), CP_QS_ONE);
    assert_int_equal(OPS->lease_fence(c2, e1), CP_QS_NONE); /* a stale epoch */
    assert_int_equal(OPS->lease_fence(c2, e2), CP_QS_ONE);
    assert_int_equal(OPS->commit(c2), CP_QS_ONE);

    /* The holder's session dies (a failover, a network cut): its lease is gone, another
     * session takes it with a newer epoch, and the old holder is fenced off once it is back. */
    kill_connections();
    assert_int_equal(OPS->lease_acquire(conn, &e3), CP_QS_ONE); /* reconnects first */
    assert_true(e3 > e2);
    assert_int_equal(OPS->begin(c2, true), CP_QS_ONE);      /* reconnects */
    assert_int_equal(OPS->lease_fence(c2, e2), CP_QS_NONE); /* its epoch is stale */
    OPS->rollback(c2);

    /* Notifications: a listener gets what commits, not what rolls back. */
    unsigned kinds = 0;
    assert_int_equal(OPS->log_wait(c2, 10, &kinds), CP_QS_NONE); /* now listening */
    begin(true);
    assert_int_equal(OPS->log_notify(conn, CP_LOG_SEALED), CP_QS_ONE);
    OPS->rollback(conn);
    assert_int_equal(OPS->log_wait(c2, 200, &kinds), CP_QS_NONE);
    begin(true);
    assert_int_equal(OPS->log_notify(conn, CP_LOG_INTEGRATED), CP_QS_ONE);
    commit();
    assert_int_equal(OPS->log_wait(c2, 5000, &kinds), CP_QS_ONE);
    assert_int_equal(kinds, CP_LOG_INTEGRATED);

    /* The log lock is a session lock taken outside transactions, and released. */
    assert_int_equal(OPS->log_lock(c2), CP_QS_ONE);
    OPS->log_unlock(c2);
    assert_int_equal(OPS->log_lock(conn), CP_QS_ONE);
    OPS->log_unlock(conn);
    OPS->lease_release(conn);
    cp_store_release(c2);
}

static void
test_store__postgres_not_configured(void **state)
{
    (void)state;
    fail_msg("the postgres group did not run: set CALLPROOF_TEST_PG_URL to a PostgreSQL URL "
             "whose role may CREATE DATABASE (make test starts a throwaway cluster and sets it)");
}

/* List order for a call: started_at DESC (calls never started last), then id DESC. */
static int
list_order(const void *a, const void *b)
{
    const struct cp_call *x = *(const struct cp_call *const *)a;
    const struct cp_call *y = *(const struct cp_call *const *)b;
    if (x->started_ms != y->started_ms) {
        if (x->started_ms == 0 || y->started_ms == 0)
            return x->started_ms == 0 ? 1 : -1;
        return x->started_ms > y->started_ms ? -1 : 1;
    }
    return strcmp(y->id, x->id);
}

/*
 * Runs of calls with the same start are ordered by id on every page, whatever the filters
 * (the SQLite backend orders runs of up to 64 itself and lets SQLite sort longer ones): runs
 * of 70, 65, 64, 3 and 2, single calls and 66 calls never started, inserted in an order unlike
 * the list's, read in pages of every size that cut them, also between two dates.
 */
static void
test_store__call_list_orders_runs_of_equal_starts(void **state)
{
    (void)state;
    enum { N = 274 };
    int64_t t = tenant("t-list-runs");
    static struct cp_call k[N];
    const struct cp_call *want[N], *dated[N];
    const int64_t base = 1700000000000;
    size_t n_dated = 0;
    for (int i = 0; i < N; i++) {
        /* ids ascend with (i * 37) % N, so insertion order and id order differ */
        call_init_at(&k[i], t, base + (i * 37) % N);
        k[i].status = CP_ST_ENDED;
        k[i].outcome = CP_OUT_COMPLETED;
        k[i].direction = CP_DIR_OUTBOUND;
        k[i].campaign_id = "camp_runs";
        k[i].started_ms = i < 70    ? 5000000     /* longer than 64 */
                          : i < 135 ? 4000000     /* 65 */
                          : i < 199 ? 3000000     /* 64 */
                          : i < 201 ? 9000000     /* 2, the newest */
                          : i < 204 ? 7000000     /* 3 */
                          : i < 208 ? 6000000 + i /* single calls */
                                    : 0;          /* 66 never started: last */
        want[i] = &k[i];
    }
    begin(true);
    for (int i = 0; i < N; i++)
        assert_int_equal(OPS->call_insert(conn, &k[i]), CP_QS_ONE);
    commit();
    qsort(want, N, sizeof(want[0]), list_order);
    for (int i = 0; i < N; i++)
        if (want[i]->started_ms >= 3000000 && want[i]->started_ms <= 7000000)
            dated[n_dated++] = want[i];

    const struct cp_call_filter filters[] = {
        {.has_state = true, .state = CP_STATE_COMPLETED, .direction = CP_DIR_OUTBOUND},
        {.campaign_id = "camp_runs"},
        {.outcome = CP_OUT_COMPLETED},
        {.direction = CP_DIR_OUTBOUND},
        {0}, /* no filter */
        {.campaign_id = "camp_runs", .date_from_ms = 3000000, .date_to_ms = 7000000},
    };
    for (size_t fi = 0; fi < CP_ARRAY_LEN(filters); fi++) {
        const struct cp_call **list = filters[fi].date_from_ms ? dated : want;
        int64_t total = filters[fi].date_from_ms ? (int64_t)n_dated : N;
        const int64_t limits[] = {1, 3, 7, 50, 500};
        for (size_t li = 0; li < CP_ARRAY_LEN(limits); li++) {
            for (int64_t off = 0; off <= total + 1; off += limits[li]) {
                struct cp_call_filter f = filters[fi];
                f.limit = limits[li];
                f.offset = off;
                int64_t n = off >= total ? 0 : total - off < f.limit ? total - off : f.limit;
                char label[64];
                snprintf(label, sizeof(label), "filter %zu, limit %lld, offset %lld", fi,
                         (long long)f.limit, (long long)off);
                expect_list(t, f, total, n > 0 ? list + off : NULL, (size_t)n, label);
            }
        }
    }
}

static void
expect_str(const char *got, const char *want, const char *what)
{
    if ((got == NULL) != (want == NULL) || (got != NULL && strcmp(got, want) != 0))
        fail_msg("%s: got %s, want %s", what, got ? got : "NULL", want ? want : "NULL");
}

static void
test_store__call_list_reads_each_field_set(void **state)
{
    (void)state;
    /* A call with every field set, listed for every field and for the contact-center ones:
     * each field it asks for comes back in its place (a column out of position in either row
     * query shows here), the others as cp_call_init left them (a backend may read more). */
    int64_t t = tenant("t-list-fields");
    struct cp_call k;
    call_init_at(&k, t, 1700000000000);
    k.external_id = "ext-fields";
    k.direction = CP_DIR_INBOUND;
    k.status = CP_ST_ENDED;
    k.outcome = CP_OUT_VOICEMAIL;
    k.type = "phone_call";
    k.from_number = "+15550000001";
    k.to_number = "+15550000002";
    k.user_id = "u-1";
    k.agent_id = "a-1";
    k.phone_number_id = "p-1";
    k.agent_name = "Ava";
    k.campaign_id = "camp_fields";
    k.started_ms = 1700000001000;
    k.ended_ms = 1700000061000;
    k.duration_s = 60;
    k.talk_time_s = 51;
    k.transcript = "agent: hi";
    k.turns_json = "[{\"role\":\"agent\",\"text\":\"hi\",\"at_ms\":1700000002000}]";
    k.recording_url = "https://r.example/1.wav";
    k.recording_available = true;
    k.analysis_json = "\"fine\"";
    k.latency_metrics_json = "\"fast\"";
    k.costs_json = "{\"total\":1}";
    k.metadata_json = "{\"crm\":\"x\"}";
    k.telephony_provider = "twilio";
    k.telephony_id = "CA1";
    k.human_detection_result = "human";
    k.do_not_call_result = CP_TRI_FALSE;
    k.hipaa_compliant = true;
    k.on_no_human_answer = "hangup";
    k.error_message = "none";
    k.epa_json = "{\"state\":\"Completed\"}";
    k.created_ms = 1700000070000;
    k.updated_ms = 1700000080000;
    begin(true);
    assert_int_equal(OPS->call_insert(conn, &k), CP_QS_ONE);
    commit();
    for (int cc = 0; cc < 2; cc++) {
        struct cp_call_filter f = {.campaign_id = "camp_fields",
                                   .limit = 5,
                                   .fields = cc ? CP_CALL_FIELDS_CC : CP_CALL_FIELDS_ALL};
        struct cp_arena ar;
        cp_arena_init(&ar);
        struct cp_call *items = NULL;
        size_t n = 0;
        int64_t total = 0;
        begin(false);
        assert_int_equal(OPS->call_list(conn, t, &f, &ar, &items, &n, &total), CP_QS_ONE);
        commit();
        assert_int_equal(n, 1);
        const struct cp_call *g = &items[0];
        assert_string_equal(g->id, k.id);
        expect_str(g->external_id, k.external_id, "external_id");
        expect_str(g->campaign_id, k.campaign_id, "campaign_id");
        expect_str(g->from_number, k.from_number, "from_number");
        expect_str(g->to_number, k.to_number, "to_number");
        expect_str(g->turns_json, k.turns_json, "turns_json");
        expect_str(g->epa_json, k.epa_json, "epa_json");
        assert_int_equal(g->direction, k.direction);
        assert_int_equal(g->status, k.status);
        assert_int_equal(g->outcome, k.outcome);
        assert_int_equal(g->started_ms, k.started_ms);
        assert_int_equal(g->ended_ms, k.ended_ms);
        assert_int_equal(g->duration_s, k.duration_s);
        assert_int_equal(g->talk_time_s, k.talk_time_s);
        assert_true(g->recording_available);
        assert_int_equal(g->created_ms, k.created_ms);
        assert_int_equal(g->updated_ms, k.updated_ms);
        if (cc) {
            cp_arena_reset(&ar);
            continue;
        }
        expect_str(g->type, k.type, "type");
        expect_str(g->user_id, k.user_id, "user_id");
        expect_str(g->agent_id, k.agent_id, "agent_id");
        expect_str(g->phone_number_id, k.phone_number_id, "phone_number_id");
        expect_str(g->agent_name, k.agent_name, "agent_name");
        expect_str(g->transcript, k.transcript, "transcript");
        expect_str(g->recording_url, k.recording_url, "recording_url");
        expect_str(g->analysis_json, k.analysis_json, "analysis_json");
        expect_str(g->latency_metrics_json, k.latency_metrics_json, "latency_metrics_json");
        expect_str(g->costs_json, k.costs_json, "costs_json");
        expect_str(g->metadata_json, k.metadata_json, "metadata_json");
        expect_str(g->telephony_provider, k.telephony_provider, "telephony_provider");
        expect_str(g->telephony_id, k.telephony_id, "telephony_id");
        expect_str(g->human_detection_result, k.human_detection_result, "human_detection");
        expect_str(g->on_no_human_answer, k.on_no_human_answer, "on_no_human_answer");
        expect_str(g->error_message, k.error_message, "error_message");
        assert_int_equal(g->do_not_call_result, k.do_not_call_result);
        assert_true(g->hipaa_compliant);
        cp_arena_reset(&ar);
    }
}

/* The contract, run on every backend. The log test must be the first to write to the log
 * (see there); the concurrency test appends after it. */
#define CONTRACT_TESTS                                                                             \
    cmocka_unit_test(test_store__opens_with_current_schema),                                       \
        cmocka_unit_test(test_store__tenant_ensure_is_idempotent),                                 \
        cmocka_unit_test(test_store__keys_lifecycle),                                              \
        cmocka_unit_test(test_store__idempotency_records),                                         \
        cmocka_unit_test(test_store__calls_insert_get_scoped),                                     \
        cmocka_unit_test(test_store__call_update_keeps_created_and_scope),                         \
        cmocka_unit_test(test_store__call_list_orders_filters_pages),                              \
        cmocka_unit_test(test_store__call_list_orders_runs_of_equal_starts),                       \
        cmocka_unit_test(test_store__call_list_reads_each_field_set),                              \
        cmocka_unit_test(test_store__recordings_upsert_audio_list),                                \
        cmocka_unit_test(test_store__consents_insert_list_revoke),                                 \
        cmocka_unit_test(test_store__revocations_and_decisions),                                   \
        cmocka_unit_test(test_store__hard_error_rolls_back),                                       \
        cmocka_unit_test(test_store__kept_read_is_continued_once),                                 \
        cmocka_unit_test(test_store__data_survives_reopen),                                        \
        cmocka_unit_test(test_store__bundles_insert_get_supersede),                                \
        cmocka_unit_test(test_store__bundle_sign_only_the_unsigned_bundle_it_names),               \
        cmocka_unit_test(test_store__log_nodes_leaves_checkpoints),                                \
        cmocka_unit_test(test_store__savepoints_undo_one_function),                                \
        cmocka_unit_test(test_store__concurrent_appends_get_distinct_leaves),                      \
        cmocka_unit_test(test_store__bundle_retention_and_deletes),                                \
        cmocka_unit_test(test_store__failed_seal_leaves_nothing),                                  \
        cmocka_unit_test(test_store__refuses_newer_schema),                                        \
        cmocka_unit_test(test_store__concurrent_opens_migrate_once),                               \
        cmocka_unit_test(test_store__url_password_is_redacted)

int
main(void)
{
    /* SQLite's memory statistics, which the server turns off (sqlite.c), are what the trim test
     * measures: turned on before SQLite initialises, the store's later setting cannot undo it. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1);
    sqlite3_initialize();
    const struct CMUnitTest sqlite_tests[] = {
        CONTRACT_TESTS,
        cmocka_unit_test(test_store__list_filters_use_indexes),
        cmocka_unit_test(test_store__sqlite_log_is_not_shared),
        cmocka_unit_test(test_store__trim_frees_idle_page_caches),
    };
    const struct CMUnitTest pg_tests[] = {
        CONTRACT_TESTS,
        cmocka_unit_test(test_store__pg_list_filters_have_indexes),
        cmocka_unit_test(test_store__unreachable_postgres_is_unavailable),
        cmocka_unit_test(test_store__lost_connection_is_unavailable_then_resumes),
        cmocka_unit_test(test_store__pg_log_lease_fence_and_notify),
    };
    const struct CMUnitTest pg_missing[] = {
        cmocka_unit_test(test_store__postgres_not_configured),
    };
    int failed = cmocka_run_group_tests_name("store/sqlite", sqlite_tests, setup_sqlite, teardown);
    const char *url = getenv("CALLPROOF_TEST_PG_URL");
    if (url != NULL && url[0] != '\0' && strlen(url) < sizeof(pg_admin)) {
        snprintf(pg_admin, sizeof(pg_admin), "%s", url);
        failed += cmocka_run_group_tests_name("store/postgres", pg_tests, setup_pg, teardown);
    } else {
        failed += cmocka_run_group_tests_name("store/postgres", pg_missing, NULL, NULL);
    }
    return failed;
}
