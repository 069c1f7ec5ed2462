/*
 * The sealing thread (handlers/seal_signer.h) and the log hook that stores its work
 * (handlers/log_integrator.c), with real signatures and a real SQLite store: every job comes back
 * signed over its message with its leaf hash, whether the sealing thread or the waiting producer
 * signed it; a full queue refuses; and in the store, seals whose transaction was rolled back (a
 * retried savepoint, an aborted job) never reach a bundle or a leaf, the live ones are stored
 * signed and logged under their own leaf hash, and a leaf left without its hash fails the batch
 * instead of being checkpointed.
 */
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/time.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "handlers/evidence_log.h"
#include "handlers/log_integrator.h"
#include "handlers/seal_signer.h"
#include "store/store.h"

static struct cp_signer signer;

static void
make_signer(void)
{
    struct cp_ed25519_seed seed;
    cp_crypto_random(seed.b, sizeof(seed.b));
    cp_signer_init(&signer, &seed);
}

/* CP_EVIDENCE_DOMAIN || a JSON object of about `size` bytes naming i. */
static void
make_msg(struct cp_buf *b, size_t i, size_t size)
{
    cp_buf_puts(b, CP_EVIDENCE_DOMAIN);
    cp_buf_printf(b, "{\"i\":%zu,\"pad\":\"", i);
    while (b->len < size)
        cp_buf_putc(b, (char)('a' + (b->len % 26)));
    cp_buf_puts(b, "\"}");
}

/* The job is signed over msg by signer, and its leaf hash is cp_evidence_leaf's. */
static void
assert_signed(const struct cp_seal_signed *j, const char *msg, size_t len)
{
    const size_t prefix = sizeof(CP_EVIDENCE_DOMAIN) - 1;
    assert_string_equal(j->bytes, msg + prefix);
    struct cp_ed25519_sig sig;
    assert_int_equal(strlen(j->signature), 128);
    assert_true(cp_hex_decode(j->signature, 128, sig.b));
    assert_true(cp_crypto_ed25519_verify(&signer.pk, msg, len, &sig));
    struct cp_buf leaf = CP_BUF_INIT;
    struct cp_sha256 want;
    cp_evidence_leaf(msg + prefix, j->signature, &leaf, &want);
    cp_buf_free(&leaf);
    assert_memory_equal(j->leaf_hash.b, want.b, sizeof(want.b));
    /* Inline signing gives the same (Ed25519 is deterministic). */
    char inline_sig[129];
    struct cp_sha256 inline_leaf;
    cp_seal_signer_sign(&signer, msg, len, inline_sig, &inline_leaf);
    assert_string_equal(inline_sig, j->signature);
    assert_memory_equal(inline_leaf.b, want.b, sizeof(want.b));
}

/* Every job comes back signed over its own message, in submission order, whoever signed it:
 * the thread from the front, the waiting producer from the back, or (thread false) the producer
 * alone. With the thread, each round waits (up to 10 s) until the thread has signed one of its
 * jobs, so both sides sign in every round; the counts add up to the jobs. Returns how many the
 * producer signed. */
static uint64_t
signs_every_job_in_order(bool thread)
{
    make_signer();
    struct cp_seal_signer *ss = cp_seal_signer_start(&signer, thread);
    enum { N = 3 * CP_STORE_MAX_BATCH };
    static struct cp_buf msgs[N];
    uint64_t by_producer = 0, by_thread = 0;
    for (size_t round = 0; round < 2; round++) { /* slots are reused after a reset */
        for (size_t i = 0; i < N; i++) {
            msgs[i] = (struct cp_buf)CP_BUF_INIT;
            /* 40 bytes to 9 KB: slot buffers start at 4 KB and grow */
            make_msg(&msgs[i], i + round * N, 40 + (i * 67) % 9000);
            char id[CP_BUNDLE_ID_LEN + 1];
            snprintf(id, sizeof(id), "ev_%032zu", i);
            assert_true(cp_seal_signer_submit(ss, id, (int64_t)(i + 7), msgs[i].data, msgs[i].len));
        }
        uint64_t thread_before = by_thread;
        for (int t = 0; thread && t < 10000 && by_thread == thread_before; t++) {
            usleep(1000);
            cp_seal_signer_counts(ss, &by_producer, &by_thread);
        }
        assert_int_equal(cp_seal_signer_wait(ss), N);
        for (size_t i = 0; i < N; i++) {
            const struct cp_seal_signed *j = cp_seal_signer_job(ss, i);
            char id[CP_BUNDLE_ID_LEN + 1];
            snprintf(id, sizeof(id), "ev_%032zu", i);
            assert_string_equal(j->bundle_id, id);
            assert_int_equal(j->leaf_index, (int64_t)(i + 7));
            assert_signed(j, msgs[i].data, msgs[i].len);
            cp_buf_free(&msgs[i]);
        }
        cp_seal_signer_counts(ss, &by_producer, &by_thread);
        assert_int_equal(by_producer + by_thread, (round + 1) * N);
        if (thread)
            assert_true(by_thread > thread_before);
        else
            assert_int_equal(by_thread, 0);
        cp_seal_signer_reset(ss);
        /* A wait with nothing queued (and no reset after it) leaves the thread its slots. */
        assert_int_equal(cp_seal_signer_wait(ss), 0);
    }
    cp_seal_signer_stop(ss);
    return by_producer;
}

static void
test_seal_signer__signs_every_job_in_order(void **state)
{
    (void)state;
    signs_every_job_in_order(true);
}

/* Without the thread, the waiting producer signs every job itself (from the back). */
static void
test_seal_signer__without_thread_the_producer_signs_all(void **state)
{
    (void)state;
    assert_int_equal(signs_every_job_in_order(false), 2 * 3 * CP_STORE_MAX_BATCH);
}

static void
test_seal_signer__full_queue_refuses_until_reset(void **state)
{
    (void)state;
    make_signer();
    struct cp_seal_signer *ss = cp_seal_signer_start(&signer, true);
    struct cp_buf msg = CP_BUF_INIT;
    make_msg(&msg, 1, 100);
    for (size_t i = 0; i < CP_SEAL_SIGNER_JOBS; i++)
        assert_true(cp_seal_signer_submit(ss, "ev_x", (int64_t)i, msg.data, msg.len));
    assert_false(cp_seal_signer_submit(ss, "ev_x", 0, msg.data, msg.len));
    assert_int_equal(cp_seal_signer_wait(ss), CP_SEAL_SIGNER_JOBS);
    assert_signed(cp_seal_signer_job(ss, CP_SEAL_SIGNER_JOBS - 1), msg.data, msg.len);
    cp_seal_signer_reset(ss);
    assert_true(cp_seal_signer_submit(ss, "ev_x", 0, msg.data, msg.len));
    /* Stopping with a job queued signs it before the thread ends; what this checks is that
     * nothing leaks or is used after free (ASan and UBSan run this file too). */
    cp_seal_signer_stop(ss);
    cp_buf_free(&msg);
}

/* ---- through the store and the log hook ---- */

struct world {
    char dir[64];
    struct cp_store *store;
    struct cp_log_integrator *log;
    int64_t tenant_id;
};

static void
world_open(struct world *w)
{
    make_signer();
    /* On tmpfs when there is one: these tests are about what is stored, not about fsync. */
    snprintf(w->dir, sizeof(w->dir), "%s/cp_seal_XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    assert_non_null(mkdtemp(w->dir));
    char db[128];
    snprintf(db, sizeof(db), "%s/callproof.db", w->dir);
    struct cp_error err;
    w->store = cp_store_open(db, &err);
    assert_non_null(w->store);
    w->log = cp_log_integrator_start(w->store, &signer, &err);
    assert_non_null(w->log);
    struct cp_store_conn *c = cp_store_acquire(w->store, &err);
    assert_true(c->ops->begin(c, true) >= 0);
    assert_true(c->ops->tenant_ensure(c, "acme", cp_time_now_ms(), &w->tenant_id) >= 0);
    assert_true(c->ops->commit(c) >= 0);
    cp_store_release(c);
}

static void
world_close(struct world *w)
{
    cp_log_integrator_stop(w->log);
    cp_store_close(w->store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    assert_int_equal(system(cmd), 0);
}

/* A seal as post-call does it: the leaf sequenced and signed by cp_log_integrator_seal, the
 * bundle stored with what it gave. How the job ends is up to the test. */
struct seal_job {
    struct world *w;
    const char *id;
    int attempts;        /* runs so far */
    int soft_first;      /* return SOFT (after sealing) on the first this many runs */
    bool abort;          /* seal, then return ABORT: rolled back */
    bool skip_hash;      /* sequence the leaf without a hash and without a job */
    int64_t leaf_index;  /* out */
    char signature[129]; /* out: "" when the sealing thread signs */
};

static enum cp_qs
seal_txn(struct cp_store_conn *c, void *cls)
{
    struct seal_job *j = cls;
    int attempt = j->attempts++;
    struct cp_buf msg = CP_BUF_INIT;
    cp_buf_puts(&msg, CP_EVIDENCE_DOMAIN);
    /* The bytes differ per attempt, as a bundle sealed again after a change would. */
    cp_buf_printf(&msg, "{\"attempt\":%d,\"id\":\"%s\"}", attempt, j->id);
    enum cp_qs qs;
    if (j->skip_hash)
        qs = cp_evidence_log_append(c, NULL, j->id, &j->leaf_index);
    else
        qs = cp_log_integrator_seal(j->w->log, c, &signer, j->id, msg.data, msg.len, j->signature,
                                    &j->leaf_index);
    struct cp_bundle b = {.tenant_id = j->w->tenant_id,
                          .bytes = msg.data + sizeof(CP_EVIDENCE_DOMAIN) - 1,
                          .signature = j->skip_hash ? "" : j->signature,
                          .key_id = signer.key_id,
                          .leaf_index = j->leaf_index,
                          .sealed_ms = cp_time_now_ms()};
    snprintf(b.id, sizeof(b.id), "%s", j->id);
    snprintf(b.call_id, sizeof(b.call_id), "00000000-0000-7000-8000-000000000000");
    if (qs >= 0)
        qs = c->ops->bundle_insert(c, &b);
    cp_buf_free(&msg);
    if (qs < 0)
        return qs;
    if (attempt < j->soft_first)
        return CP_QS_SOFT;
    return j->abort ? CP_QS_ABORT : CP_QS_ONE;
}

/* Every bundle stored is signed over its bytes, and its leaf's stored hash is its leaf hash;
 * the latest checkpoint covers n leaves. */
static void
assert_log_holds(struct world *w, const char *const *ids, size_t n)
{
    struct cp_error err;
    struct cp_store_conn *c = cp_store_acquire(w->store, &err);
    struct cp_arena a;
    cp_arena_init(&a);
    assert_true(c->ops->begin(c, false) >= 0);
    int64_t size = -1;
    assert_int_equal(c->ops->log_size(c, &size), CP_QS_ONE);
    assert_int_equal(size, (int64_t)n);
    struct cp_checkpoint cp;
    assert_int_equal(c->ops->checkpoint_latest(c, &a, &cp), CP_QS_ONE);
    assert_int_equal(cp.size, (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        struct cp_bundle b;
        assert_int_equal(c->ops->bundle_get(c, ids[i], &a, &b), CP_QS_ONE);
        assert_int_equal(strlen(b.signature), 128);
        struct cp_buf msg = CP_BUF_INIT;
        cp_buf_puts(&msg, CP_EVIDENCE_DOMAIN);
        cp_buf_puts(&msg, b.bytes);
        struct cp_ed25519_sig sig;
        assert_true(cp_hex_decode(b.signature, 128, sig.b));
        assert_true(cp_crypto_ed25519_verify(&signer.pk, msg.data, msg.len, &sig));
        cp_buf_free(&msg);
        struct cp_buf leaf = CP_BUF_INIT;
        struct cp_sha256 want, got;
        cp_evidence_leaf(b.bytes, b.signature, &leaf, &want);
        cp_buf_free(&leaf);
        assert_int_equal(c->ops->log_node_get(c, 0, b.leaf_index, &got), CP_QS_ONE);
        assert_memory_equal(got.b, want.b, sizeof(want.b));
    }
    c->ops->rollback(c);
    cp_arena_reset(&a);
    cp_store_release(c);
}

static enum cp_qs
run_seal(struct world *w, struct seal_job *j)
{
    struct cp_error err;
    struct cp_store_conn *c = cp_store_acquire(w->store, &err);
    j->w = w;
    enum cp_qs qs = cp_store_run_log(c, seal_txn, j);
    cp_store_release(c);
    return qs;
}

static void
test_seal_signer__hook_stores_live_seals_only(void **state)
{
    (void)state;
    struct world w;
    world_open(&w);
    /* Sealed by the thread: stored unsigned, signed by the hook before the commit. */
    struct seal_job a = {.id = "ev_a"};
    assert_int_equal(run_seal(&w, &a), CP_QS_ONE);
    assert_string_equal(a.signature, "");
    /* Its first two runs are rolled back after sealing and it runs again: the first undone
     * with the whole batch (SQLite runs a batch's functions without savepoints first), the
     * second with its savepoint. The leaf index is taken again each time with other bytes; the
     * earlier jobs must not sign the last bundle. */
    struct seal_job b = {.id = "ev_b", .soft_first = 2};
    assert_int_equal(run_seal(&w, &b), CP_QS_ONE);
    assert_int_equal(b.attempts, 3);
    assert_int_equal(b.leaf_index, 1);
    /* Sealed, then aborted: its batch has nothing to integrate and no hook runs, so its job
     * is still queued when the next seal takes the same index with other bytes. */
    struct seal_job x = {.id = "ev_x", .abort = true};
    assert_int_equal(run_seal(&w, &x), CP_QS_ABORT);
    struct seal_job c = {.id = "ev_c"};
    assert_int_equal(run_seal(&w, &c), CP_QS_ONE);
    assert_int_equal(c.leaf_index, 2);
    const char *ids[] = {"ev_a", "ev_b", "ev_c"};
    assert_log_holds(&w, ids, 3);
    world_close(&w);
}

static void
test_seal_signer__leaf_without_hash_fails_the_batch(void **state)
{
    (void)state;
    struct world w;
    world_open(&w);
    struct seal_job a = {.id = "ev_a"};
    assert_int_equal(run_seal(&w, &a), CP_QS_ONE);
    /* A leaf sequenced without a hash and without a job: the integration finds no hash, the
     * batch fails, and neither the bundle nor the leaf is kept. */
    struct seal_job bad = {.id = "ev_bad", .skip_hash = true};
    assert_int_equal(run_seal(&w, &bad), CP_QS_HARD);
    const char *ids[] = {"ev_a"};
    assert_log_holds(&w, ids, 1);
    struct cp_error err;
    struct cp_store_conn *c = cp_store_acquire(w.store, &err);
    struct cp_arena ar;
    cp_arena_init(&ar);
    struct cp_bundle gone;
    assert_true(c->ops->begin(c, false) >= 0);
    assert_int_equal(c->ops->bundle_get(c, "ev_bad", &ar, &gone), CP_QS_NONE);
    c->ops->rollback(c);
    cp_arena_reset(&ar);
    cp_store_release(c);
    /* The log goes on. */
    struct seal_job d = {.id = "ev_d"};
    assert_int_equal(run_seal(&w, &d), CP_QS_ONE);
    const char *ids2[] = {"ev_a", "ev_d"};
    assert_log_holds(&w, ids2, 2);
    world_close(&w);
}

/* A full queue: the seal is signed inline (its bundle stored signed at once), the stale jobs
 * that filled the queue change nothing, and after the hook the thread signs again. */
static void
test_seal_signer__full_queue_signs_inline(void **state)
{
    (void)state;
    struct world w;
    world_open(&w);
    /* Each aborted seal leaves its jobs queued (one per run: SQLite runs it again with a
     * savepoint to undo it alone); its batch logged nothing, so no hook ran to take them. */
    int queued_runs = 0;
    for (;;) {
        struct seal_job x = {.id = "ev_x", .abort = true};
        assert_int_equal(run_seal(&w, &x), CP_QS_ABORT);
        if (x.signature[0] != '\0')
            break; /* its last run found the queue full and signed inline */
        queued_runs += x.attempts;
        assert_true(queued_runs <= CP_SEAL_SIGNER_JOBS);
    }
    struct seal_job a = {.id = "ev_a"};
    assert_int_equal(run_seal(&w, &a), CP_QS_ONE);
    assert_int_equal(strlen(a.signature), 128); /* signed inline */
    struct seal_job b = {.id = "ev_b"};
    assert_int_equal(run_seal(&w, &b), CP_QS_ONE);
    assert_string_equal(b.signature, ""); /* by the thread again */
    const char *ids[] = {"ev_a", "ev_b"};
    assert_log_holds(&w, ids, 2);
    world_close(&w);
}

/* Seals from several threads at once share batches (whoever leads runs the queued ones), so
 * several jobs are signed while a batch goes on; every one ends up stored and logged. */
enum { SEALERS = 4, SEALS_EACH = 40 };

struct sealer_arg {
    struct world *w;
    int t;
    char ids[SEALS_EACH][CP_BUNDLE_ID_LEN + 1];
};

static void *
sealer_main(void *arg)
{
    struct sealer_arg *x = arg;
    for (int i = 0; i < SEALS_EACH; i++) {
        snprintf(x->ids[i], sizeof(x->ids[i]), "ev_t%d_%d", x->t, i);
        struct seal_job j = {.id = x->ids[i]};
        if (run_seal(x->w, &j) != CP_QS_ONE)
            return (void *)1;
    }
    return NULL;
}

static void
test_seal_signer__concurrent_seals_share_batches(void **state)
{
    (void)state;
    struct world w;
    world_open(&w);
    static struct sealer_arg args[SEALERS];
    pthread_t th[SEALERS];
    for (int t = 0; t < SEALERS; t++) {
        args[t] = (struct sealer_arg){.w = &w, .t = t};
        assert_int_equal(pthread_create(&th[t], NULL, sealer_main, &args[t]), 0);
    }
    for (int t = 0; t < SEALERS; t++) {
        void *rv;
        assert_int_equal(pthread_join(th[t], &rv), 0);
        assert_null(rv);
    }
    static const char *ids[SEALERS * SEALS_EACH];
    for (int t = 0; t < SEALERS; t++)
        for (int i = 0; i < SEALS_EACH; i++)
            ids[t * SEALS_EACH + i] = args[t].ids[i];
    assert_log_holds(&w, ids, SEALERS * SEALS_EACH);
    struct cp_store_stats st;
    cp_store_stats(w.store, &st);
    assert_true(st.write_batches < st.write_jobs); /* some batches held several seals */
    world_close(&w);
}

int
main(void)
{
    cp_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_signer__signs_every_job_in_order),
        cmocka_unit_test(test_seal_signer__without_thread_the_producer_signs_all),
        cmocka_unit_test(test_seal_signer__full_queue_refuses_until_reset),
        cmocka_unit_test(test_seal_signer__hook_stores_live_seals_only),
        cmocka_unit_test(test_seal_signer__leaf_without_hash_fails_the_batch),
        cmocka_unit_test(test_seal_signer__full_queue_signs_inline),
        cmocka_unit_test(test_seal_signer__concurrent_seals_share_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
