/*
 * Group commit (store.c cp_store_run with write=true), against a real SQLite store. Each test
 * makes the batch deterministic: a leader's transaction function holds the write queue until
 * eight followers are queued behind it, so the followers are run together in the next batch.
 * Each job writes one API key row (a write with a read-back: key_get).
 *   - the followers share one transaction: 9 jobs, 2 batches, every row there;
 *   - a follower that decides on ABORT after writing is undone alone (SQLite counts changes,
 *     so jobs first run without savepoints: the batch is rolled back and run again, each job
 *     in its own savepoint);
 *   - a follower that decides on ABORT before writing anything costs no second run;
 *   - a follower that fails HARD fails the whole batch: no follower's row stays;
 *   - a follower that answers SOFT once is run again inside the batch and kept once;
 *   - a failed commit (fault injection) fails every job of the batch.
 * All of it twice: with the leader of each batch being the first caller in the queue, and with
 * the store's writer thread (cp_store_start_writer, as the server runs it), where the followers
 * are also submitted without waiting (cp_store_submit) and learn their results from the done
 * function, on the writer thread.
 */
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/time.h"
#include "store/fault.h"
#include "store/store.h"

#define FOLLOWERS 8

static char dir[64], db[128];
static struct cp_store *store;
static int64_t tenant_id;

enum behaviour { JOB_OK, JOB_ABORT_AFTER_WRITE, JOB_ABORT_BEFORE_WRITE, JOB_HARD, JOB_SOFT_ONCE };

struct job {
    struct cp_key_id id;
    enum behaviour how;
    int runs;
    bool leader;
    bool held; /* the leader saw every follower queued behind it */
    enum cp_qs result;
    atomic_bool reported;  /* submitted: the done function ran */
    pthread_t reported_on; /* submitted: the thread it ran on */
};

static bool with_writer; /* the second group: a store with its writer thread */

static atomic_bool leader_inside;
static atomic_int next_key;

static void
key_id_of(int n, struct cp_key_id *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->s, sizeof(out->s), "%016x", (unsigned)n);
}

static enum cp_qs
insert_key(struct cp_store_conn *c, const struct cp_key_id *id)
{
    struct cp_key_row row = {0};
    row.key_id = *id;
    row.tenant_id = tenant_id;
    row.scopes = CP_SCOPE_ALL;
    row.created_ms = cp_time_now_ms();
    return c->ops->key_insert(c, &row);
}

static int
queued(void)
{
    struct cp_store_stats st;
    cp_store_stats(store, &st);
    return st.queued;
}

static enum cp_qs
job_fn(struct cp_store_conn *c, void *cls)
{
    struct job *j = cls;
    j->runs++;
    if (j->how == JOB_ABORT_BEFORE_WRITE)
        return CP_QS_ABORT;
    enum cp_qs qs = insert_key(c, &j->id);
    if (qs < 0)
        return qs;
    if (j->leader) {
        /* Hold the queue until every follower waits behind this batch. */
        atomic_store(&leader_inside, true);
        int64_t until = cp_time_mono_ms() + 20000;
        while (queued() < 1 + FOLLOWERS && cp_time_mono_ms() < until) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        j->held = queued() == 1 + FOLLOWERS; /* checked by run_round, on the test's thread */
    }
    switch (j->how) {
    case JOB_ABORT_AFTER_WRITE:
        return CP_QS_ABORT;
    case JOB_HARD:
        return CP_QS_HARD;
    case JOB_SOFT_ONCE:
        return j->runs == 1 ? CP_QS_SOFT : qs;
    default:
        return qs;
    }
}

static void
job_done(void *cls, enum cp_qs qs, enum cp_store_cause cause)
{
    (void)cause;
    struct job *j = cls;
    j->result = qs;
    j->reported_on = pthread_self();
    atomic_store(&j->reported, true);
}

static void *
job_thread(void *arg)
{
    struct job *j = arg;
    struct cp_error err;
    struct cp_store_conn *c = cp_store_acquire(store, &err);
    assert_non_null(c);
    j->result = cp_store_run(c, true, job_fn, j);
    cp_store_release(c);
    return NULL;
}

static enum cp_qs
get_txn(struct cp_store_conn *c, void *cls)
{
    struct cp_key_row row;
    return c->ops->key_get(c, cls, &row);
}

static bool
exists(const struct cp_key_id *id)
{
    struct cp_error err;
    struct cp_store_conn *c = cp_store_acquire(store, &err);
    enum cp_qs qs = cp_store_run(c, false, get_txn, (void *)id);
    cp_store_release(c);
    assert_true(qs >= 0);
    return qs == CP_QS_ONE;
}

/* Run a leader and FOLLOWERS followers with the given behaviours; returns the stats delta. */
static void
run_round(struct job *leader, struct job *followers, struct cp_store_stats *delta)
{
    struct cp_store_stats before, after;
    cp_store_stats(store, &before);
    atomic_store(&leader_inside, false);
    leader->leader = true;
    key_id_of(atomic_fetch_add(&next_key, 1), &leader->id);
    pthread_t lt, ft[FOLLOWERS];
    assert_int_equal(pthread_create(&lt, NULL, job_thread, leader), 0);
    while (!atomic_load(&leader_inside)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < FOLLOWERS; i++) {
        key_id_of(atomic_fetch_add(&next_key, 1), &followers[i].id);
        if (with_writer && i % 2 == 0) /* half wait, half are submitted */
            cp_store_submit(store, false, job_fn, &followers[i], job_done, &followers[i]);
        else
            assert_int_equal(pthread_create(&ft[i], NULL, job_thread, &followers[i]), 0);
    }
    pthread_join(lt, NULL);
    for (int i = 0; i < FOLLOWERS; i++) {
        if (with_writer && i % 2 == 0) {
            int64_t until = cp_time_mono_ms() + 20000;
            while (!atomic_load(&followers[i].reported) && cp_time_mono_ms() < until) {
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
            }
            assert_true(atomic_load(&followers[i].reported));
            assert_false(pthread_equal(followers[i].reported_on, pthread_self()));
        } else {
            pthread_join(ft[i], NULL);
        }
    }
    assert_true(leader->held);
    cp_store_stats(store, &after);
    delta->write_jobs = after.write_jobs - before.write_jobs;
    delta->write_batches = after.write_batches - before.write_batches;
    delta->queued = after.queued;
}

static int
setup(void **state)
{
    (void)state;
    cp_crypto_init();
    snprintf(dir, sizeof(dir), "/tmp/cp_gc_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/callproof.db", dir);
    struct cp_error err;
    store = cp_store_open(db, &err);
    assert_non_null(store);
    struct cp_store_conn *c = cp_store_acquire(store, &err);
    assert_true(c->ops->begin(c, true) >= 0);
    assert_true(c->ops->tenant_ensure(c, "acme", cp_time_now_ms(), &tenant_id) >= 0);
    assert_true(c->ops->commit(c) >= 0);
    cp_store_release(c);
    return 0;
}

static int
setup_writer(void **state)
{
    with_writer = true;
    setup(state);
    struct cp_error err;
    assert_true(cp_store_start_writer(store, &err));
    assert_true(cp_store_has_writer(store));
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cp_store_close(store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void
test_group_commit__followers_share_one_transaction(void **state)
{
    (void)state;
    struct job leader = {0}, f[FOLLOWERS] = {0};
    struct cp_store_stats d;
    run_round(&leader, f, &d);
    assert_int_equal(d.write_jobs, 1 + FOLLOWERS);
    assert_int_equal(d.write_batches, 2); /* the leader alone, then all followers together */
    assert_int_equal(d.queued, 0);
    assert_int_equal(leader.result, CP_QS_ONE);
    assert_true(exists(&leader.id));
    for (int i = 0; i < FOLLOWERS; i++) {
        assert_int_equal(f[i].result, CP_QS_ONE);
        assert_int_equal(f[i].runs, 1);
        assert_true(exists(&f[i].id));
    }
}

static void
test_group_commit__an_abort_is_undone_alone(void **state)
{
    (void)state;
    struct job leader = {0}, f[FOLLOWERS] = {0};
    f[3].how = JOB_ABORT_AFTER_WRITE;
    f[6].how = JOB_ABORT_AFTER_WRITE;
    struct cp_store_stats d;
    run_round(&leader, f, &d);
    assert_int_equal(d.write_batches, 2);
    /* The jobs queued up to the first abort ran bare, then every job ran in a savepoint. */
    int runs = 0;
    for (int i = 0; i < FOLLOWERS; i++) {
        bool aborted = i == 3 || i == 6;
        assert_int_equal(f[i].result, aborted ? CP_QS_ABORT : CP_QS_ONE);
        assert_int_equal(exists(&f[i].id), !aborted);
        assert_in_range(f[i].runs, 1, 2);
        runs += f[i].runs;
    }
    assert_in_range(runs, FOLLOWERS + 1, 2 * FOLLOWERS);
}

static void
test_group_commit__an_abort_before_writing_runs_nothing_twice(void **state)
{
    (void)state;
    struct job leader = {0}, f[FOLLOWERS] = {0};
    f[3].how = JOB_ABORT_BEFORE_WRITE;
    struct cp_store_stats d;
    run_round(&leader, f, &d);
    assert_int_equal(d.write_batches, 2);
    assert_int_equal(f[3].result, CP_QS_ABORT);
    for (int i = 0; i < FOLLOWERS; i++) {
        assert_int_equal(f[i].runs, 1);
        assert_int_equal(exists(&f[i].id), i != 3);
    }
}

static void
test_group_commit__a_hard_failure_fails_the_whole_batch(void **state)
{
    (void)state;
    struct job leader = {0}, f[FOLLOWERS] = {0};
    f[5].how = JOB_HARD;
    struct cp_store_stats d;
    run_round(&leader, f, &d);
    assert_int_equal(d.write_batches, 2);
    assert_true(exists(&leader.id)); /* its own, earlier batch */
    for (int i = 0; i < FOLLOWERS; i++) {
        assert_int_equal(f[i].result, CP_QS_HARD);
        assert_false(exists(&f[i].id));
    }
}

static void
test_group_commit__a_soft_answer_runs_again_inside_the_batch(void **state)
{
    (void)state;
    struct job leader = {0}, f[FOLLOWERS] = {0};
    f[2].how = JOB_SOFT_ONCE;
    struct cp_store_stats d;
    run_round(&leader, f, &d);
    assert_int_equal(d.write_batches, 2);
    assert_int_equal(f[2].result, CP_QS_ONE);
    assert_int_equal(f[2].runs, 2);
    for (int i = 0; i < FOLLOWERS; i++)
        assert_true(exists(&f[i].id));
}

static void
test_group_commit__a_failed_commit_fails_every_job(void **state)
{
    (void)state;
    struct job leader = {0}, f[FOLLOWERS] = {0};
    cp_store_inject_faults(store);
    /* A round's store calls (no savepoints: nothing is undone): begin, key_insert, commit for
     * the leader's batch, then begin, 8 x key_insert and the commit, which fails. */
    struct cp_store_stats d;
    int64_t leader_calls = 3;
    int64_t commit_at = leader_calls + 1 + FOLLOWERS + 1;
    cp_store_fault_arm(CP_FAULT_HARD, commit_at);
    run_round(&leader, f, &d);
    assert_true(cp_store_fault_fired());
    assert_string_equal(cp_store_fault_op(), "commit");
    assert_int_equal(d.write_batches, 2);
    assert_int_equal(leader.result, CP_QS_ONE);
    for (int i = 0; i < FOLLOWERS; i++) {
        assert_int_equal(f[i].result, CP_QS_HARD);
        assert_false(exists(&f[i].id));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_commit__followers_share_one_transaction),
        cmocka_unit_test(test_group_commit__an_abort_is_undone_alone),
        cmocka_unit_test(test_group_commit__an_abort_before_writing_runs_nothing_twice),
        cmocka_unit_test(test_group_commit__a_hard_failure_fails_the_whole_batch),
        cmocka_unit_test(test_group_commit__a_soft_answer_runs_again_inside_the_batch),
        cmocka_unit_test(test_group_commit__a_failed_commit_fails_every_job),
    };
    int failed = cmocka_run_group_tests_name("leader", tests, setup, teardown);
    return failed + cmocka_run_group_tests_name("writer thread", tests, setup_writer, teardown);
}
