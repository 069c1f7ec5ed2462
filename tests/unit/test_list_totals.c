/*
 * List totals: call_list's total for equality filters comes from counts the database keeps per
 * filter value (SQLite: the call_counts table, kept by the store's call insert, update and delete).
 * After inserts, updates that move calls between states, directions, outcomes and campaigns, and
 * deletes, in two tenants, every total must equal the number of calls the same filter lists.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/time.h"
#include "store/store.h"

#define N_CALLS 300

static char dir[64], db[128];
static struct cp_store *store;
static struct cp_store_conn *conn;
static int64_t tenants[2];
static char ids[2][N_CALLS][CP_UUID_LEN + 1];

static const char *const campaigns[] = {NULL, "camp_a", "camp_b", "camp_c"};
static const enum cp_direction directions[] = {CP_DIR_NONE, CP_DIR_INBOUND, CP_DIR_OUTBOUND};
static const enum cp_call_status statuses[] = {CP_ST_NOT_STARTED, CP_ST_IN_PROGRESS, CP_ST_ENDED,
                                               CP_ST_ERROR};

static void
shape(struct cp_call *c, unsigned k)
{
    c->campaign_id = campaigns[k % 4];
    c->direction = directions[(k / 4) % 3];
    c->status = statuses[(k / 12) % 4];
    c->outcome = c->status == CP_ST_ENDED ? (enum cp_outcome)((k / 48) % 6) : CP_OUT_NONE;
}

static int
setup(void **state)
{
    (void)state;
    cp_crypto_init();
    snprintf(dir, sizeof(dir), "/tmp/cp_totals_XXXXXX");
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

/* The total and the listed count of one filter in tenant t. */
static void
check(int64_t t, const struct cp_call_filter *filter)
{
    struct cp_arena arena;
    cp_arena_init(&arena);
    struct cp_call_filter f = *filter;
    f.limit = 1000;
    struct cp_call *items;
    size_t n = 0;
    int64_t total = -1;
    assert_true(conn->ops->begin(conn, false) >= 0);
    assert_int_equal(conn->ops->call_list(conn, t, &f, &arena, &items, &n, &total), CP_QS_ONE);
    assert_true(conn->ops->commit(conn) >= 0);
    if ((int64_t)n != total)
        fail_msg("tenant %lld campaign %s state %d/%d direction %d outcome %d: total %lld, listed "
                 "%zu",
                 (long long)t, f.campaign_id ? f.campaign_id : "-", f.has_state, (int)f.state,
                 (int)f.direction, (int)f.outcome, (long long)total, n);
    cp_arena_reset(&arena);
}

static void
check_every_filter(void)
{
    for (int ti = 0; ti < 2; ti++)
        for (unsigned ci = 0; ci < 4; ci++)
            for (int si = -1; si <= (int)CP_STATE_FAILED; si++)
                for (unsigned di = 0; di < 3; di++)
                    for (int oi = 0; oi <= (int)CP_OUT_FAILED; oi += 2) {
                        struct cp_call_filter f = {0};
                        f.campaign_id = campaigns[ci];
                        f.has_state = si >= 0;
                        f.state = si >= 0 ? (enum cp_call_state)si : CP_STATE_NOT_STARTED;
                        f.direction = directions[di];
                        f.outcome = (enum cp_outcome)oi;
                        check(tenants[ti], &f);
                    }
}

static void
test_list_totals__follow_inserts_updates_and_deletes(void **state)
{
    (void)state;
    assert_true(conn->ops->begin(conn, true) >= 0);
    assert_true(conn->ops->tenant_ensure(conn, "t-a", 1, &tenants[0]) >= 0);
    assert_true(conn->ops->tenant_ensure(conn, "t-b", 1, &tenants[1]) >= 0);
    for (int ti = 0; ti < 2; ti++)
        for (unsigned i = 0; i < N_CALLS; i++) {
            struct cp_call c;
            cp_call_init(&c);
            cp_uuid_v7(cp_time_now_ms() + i, c.id);
            snprintf(ids[ti][i], sizeof(ids[ti][i]), "%s", c.id);
            c.tenant_id = tenants[ti];
            shape(&c, i * 7 + (unsigned)ti);
            c.started_ms = 1700000000000 + i * 1000;
            c.created_ms = c.updated_ms = 1;
            assert_int_equal(conn->ops->call_insert(conn, &c), CP_QS_ONE);
        }
    assert_true(conn->ops->commit(conn) >= 0);
    check_every_filter();

    /* Move a third of tenant A's calls to other values, and delete some of each tenant. */
    struct cp_arena arena;
    cp_arena_init(&arena);
    assert_true(conn->ops->begin(conn, true) >= 0);
    for (unsigned i = 0; i < N_CALLS; i += 3) {
        struct cp_call c;
        assert_int_equal(conn->ops->call_get(conn, tenants[0], ids[0][i], &arena, &c), CP_QS_ONE);
        shape(&c, i * 5 + 1);
        c.updated_ms = 2;
        assert_int_equal(conn->ops->call_update(conn, &c), CP_QS_ONE);
    }
    for (unsigned i = 1; i < N_CALLS; i += 7) {
        assert_int_equal(conn->ops->call_delete(conn, tenants[0], ids[0][i]), CP_QS_ONE);
        assert_int_equal(conn->ops->call_delete(conn, tenants[1], ids[1][i]), CP_QS_ONE);
    }
    assert_true(conn->ops->commit(conn) >= 0);
    cp_arena_reset(&arena);
    check_every_filter();

    /* A rolled-back update leaves the totals as they were. */
    cp_arena_init(&arena);
    assert_true(conn->ops->begin(conn, true) >= 0);
    struct cp_call c;
    assert_int_equal(conn->ops->call_get(conn, tenants[1], ids[1][0], &arena, &c), CP_QS_ONE);
    shape(&c, 99);
    assert_int_equal(conn->ops->call_update(conn, &c), CP_QS_ONE);
    conn->ops->rollback(conn);
    cp_arena_reset(&arena);
    check_every_filter();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_totals__follow_inserts_updates_and_deletes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
