/*
 * The transparency log's integrator (see log_integrator.h): the store's log hook on SQLite,
 * and on a shared (PostgreSQL) log a thread per instance that takes the lease when it is free,
 * integrates while it holds it, and otherwise follows the holder's checkpoints so that this
 * instance's post-calls can return once their leaves are covered.
 */
#include "handlers/log_integrator.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "core/time.h"
#include "core/util.h"
#include "handlers/evidence_log.h"
#include "handlers/seal_signer.h"

enum {
    TICK_MS = 200,       /* the thread's longest sleep: how soon it sees a stop */
    INTEGRATE_MS = 1000, /* the holder integrates at least this often */
    LEASE_TRY_MS = 1000, /* a follower tries to take the lease this often */
};

struct cp_log_integrator {
    struct cp_store *store;
    const struct cp_signer *signer;
    bool shared;
    struct cp_seal_signer *sealer; /* signs the batch's bundles (one process's log only) */
    struct cp_store_conn *conn;    /* the thread's own (shared log only) */
    pthread_t thread;
    atomic_bool stop;
    /* Shared log: the lease epoch while this instance holds the lease (0: it does not), for
     * the log hook, which integrates the holder's own batches; and the size that hook's batch
     * signed, published once the batch has committed. */
    atomic_llong epoch;
    atomic_llong hook_size;

    pthread_mutex_t lock;
    pthread_cond_t covered;               /* integrated grew */
    int64_t integrated;                   /* the newest checkpoint size known; under lock */
    int waiters;                          /* under lock */
    struct cp_log_integrator_stats stats; /* under lock */
};

static void
publish(struct cp_log_integrator *li, int64_t size, bool leader, int64_t signed_now)
{
    pthread_mutex_lock(&li->lock);
    if (size > li->integrated) {
        li->integrated = size;
        pthread_cond_broadcast(&li->covered);
    }
    li->stats.leader = leader;
    li->stats.integrated = li->integrated;
    li->stats.integrations += signed_now;
    pthread_mutex_unlock(&li->lock);
}

/* Inside a write transaction holding the log lock, as the holder of the lease of epoch: the
 * fence, the integration, and the NOTIFY that tells the other instances. NONE when fenced
 * off (*out_fenced) or when nothing was pending. */
static enum cp_qs
integrate_as_holder(struct cp_store_conn *c, const struct cp_signer *signer, int64_t epoch,
                    int64_t *out_size, bool *out_fenced)
{
    enum cp_qs qs = c->ops->lease_fence(c, epoch);
    *out_fenced = qs == CP_QS_NONE;
    if (qs <= 0 || (qs = cp_evidence_log_integrate(c, signer, out_size)) <= 0)
        return qs;
    enum cp_qs nq = c->ops->log_notify(c, CP_LOG_INTEGRATED);
    return nq < 0 ? nq : qs;
}

/* ---- integrating inside a batch ---- */

enum cp_qs
cp_log_integrator_seal(struct cp_log_integrator *li, struct cp_store_conn *c,
                       const struct cp_signer *signer, const char *bundle_id, const char *msg,
                       size_t len, char out_signature[129], int64_t *out_index)
{
    struct cp_sha256 leaf;
    if (li == NULL || li->sealer == NULL) {
        cp_seal_signer_sign(signer, msg, len, out_signature, &leaf);
        return cp_evidence_log_append(c, &leaf, bundle_id, out_index);
    }
    enum cp_qs qs = cp_evidence_log_append(c, NULL, bundle_id, out_index);
    if (qs < 0)
        return qs;
    if (cp_seal_signer_submit(li->sealer, bundle_id, *out_index, msg, len)) {
        out_signature[0] = '\0';
        return CP_QS_ONE;
    }
    cp_seal_signer_sign(signer, msg, len, out_signature, &leaf);
    return c->ops->log_node_put(c, 0, *out_index, &leaf);
}

/* The batch's bundles signed by the sealing thread: each signature onto its bundle and each
 * leaf hash into the log. A job whose seal was rolled back finds no unsigned bundle with its
 * bytes (NONE) and is skipped; a live leaf left without its hash makes the integration fail.
 * *out_last = the highest leaf index given a hash (-1: none). */
static enum cp_qs
store_signatures(struct cp_store_conn *c, struct cp_seal_signer *ss, int64_t *out_last)
{
    size_t n = cp_seal_signer_wait(ss);
    enum cp_qs qs = CP_QS_ONE;
    *out_last = -1;
    for (size_t i = 0; i < n && qs >= 0; i++) {
        const struct cp_seal_signed *j = cp_seal_signer_job(ss, i);
        qs = c->ops->bundle_sign(c, j->leaf_index, j->bundle_id, j->bytes, j->signature);
        if (qs == CP_QS_ONE)
            qs = c->ops->log_node_put(c, 0, j->leaf_index, &j->leaf_hash);
        if (qs == CP_QS_ONE && j->leaf_index > *out_last)
            *out_last = j->leaf_index;
    }
    cp_seal_signer_reset(ss);
    return qs < 0 ? qs : CP_QS_ONE;
}

/* The log hook of every batch that sealed (store.h): the batch integrates the pending leaves
 * before its commit. Always on SQLite; on a shared log only in the lease holder's process,
 * fenced by its epoch in the same transaction (so a lease lost meanwhile costs nothing but
 * this shortcut), and the others' post-calls wait for the holder. */
static enum cp_qs
hook(struct cp_store_conn *c, void *cls)
{
    struct cp_log_integrator *li = cls;
    int64_t size = 0;
    enum cp_qs qs;
    if (li->shared) {
        int64_t epoch = atomic_load(&li->epoch);
        bool fenced; /* then the new holder integrates */
        qs = epoch == 0 ? CP_QS_NONE : integrate_as_holder(c, li->signer, epoch, &size, &fenced);
    } else {
        /* Every leaf given its hash here is integrated before the commit, also past one
         * integration's CP_LOG_INTEGRATE_MAX (each integration checks every leaf it covers
         * has its hash), so none is committed without it. */
        int64_t last = -1;
        qs = store_signatures(c, li->sealer, &last);
        if (qs >= 0) {
            do {
                qs = cp_evidence_log_integrate(c, li->signer, &size);
            } while (qs == CP_QS_ONE && size <= last);
        }
        if (qs == CP_QS_NONE && size <= last) /* nothing pending, yet a new leaf not covered */
            qs = CP_QS_HARD;
    }
    if (qs == CP_QS_ONE)
        atomic_store(&li->hook_size, size);
    return qs;
}

static void
hook_committed(void *cls)
{
    struct cp_log_integrator *li = cls;
    if (li->shared)
        publish(li, atomic_load(&li->hook_size), atomic_load(&li->epoch) != 0, 1);
}

/* ---- a shared log: the lease holder integrates ---- */

struct integrate_ctx {
    const struct cp_signer *signer;
    int64_t epoch;
    bool fenced;
    int64_t size;
};

static enum cp_qs
integrate_txn(struct cp_store_conn *c, void *cls)
{
    struct integrate_ctx *x = cls;
    enum cp_qs qs = integrate_as_holder(c, x->signer, x->epoch, &x->size, &x->fenced);
    return x->fenced ? CP_QS_ABORT : qs;
}

struct size_ctx {
    int64_t size;
};

static enum cp_qs
size_txn(struct cp_store_conn *c, void *cls)
{
    struct size_ctx *x = cls;
    return cp_evidence_log_checkpointed_size(c, &x->size);
}

/* Are leaves waiting for integration? Read-only, so a quiet log costs no write per tick. */
static enum cp_qs
pending_txn(struct cp_store_conn *c, void *cls)
{
    struct size_ctx *x = cls;
    struct size_ctx ck;
    enum cp_qs qs = size_txn(c, &ck);
    if (qs < 0 || (qs = c->ops->log_size(c, &x->size)) < 0)
        return qs;
    x->size -= ck.size;
    return CP_QS_ONE;
}

static void *
run(void *arg)
{
    struct cp_log_integrator *li = arg;
    struct cp_store_conn *c = li->conn;
    bool leader = false;
    int64_t epoch = 0, next_try = 0, next_integrate = 0;
    bool sealed = false; /* leaves were sealed since the last integration (or may have been) */
    while (!atomic_load(&li->stop)) {
        bool more = false; /* integrated a full batch: more are pending, no sleep */
        int64_t now = cp_time_mono_ms();
        if (!leader && now >= next_try) {
            next_try = now + LEASE_TRY_MS;
            enum cp_qs qs = c->ops->lease_acquire(c, &epoch);
            if (qs == CP_QS_ONE) {
                leader = true;
                sealed = true;
                atomic_store(&li->epoch, epoch);
                cp_log(CP_LOG_INFO, "log: this instance integrates the log now (lease epoch %lld)",
                       (long long)epoch);
            }
        }
        if (leader && (sealed || now >= next_integrate)) {
            sealed = false;
            next_integrate = now + INTEGRATE_MS;
            struct size_ctx pend = {0};
            enum cp_qs qs = cp_store_run_alone(c, false, false, pending_txn, &pend);
            struct integrate_ctx x = {.signer = li->signer, .epoch = epoch};
            if (qs >= 0 && pend.size > 0)
                qs = cp_store_run_alone(c, true, true, integrate_txn, &x);
            if (qs == CP_QS_ONE) {
                publish(li, x.size, true, 1);
                more = pend.size > CP_LOG_INTEGRATE_MAX;
            } else if (x.fenced || qs < 0) {
                cp_log(CP_LOG_WARN, "log: %s; another instance may integrate",
                       x.fenced ? "this instance's lease was taken over" : "integration failed");
                atomic_store(&li->epoch, 0);
                c->ops->lease_release(c);
                leader = false;
            }
        }
        bool want_size = !leader;
        pthread_mutex_lock(&li->lock);
        want_size = want_size && li->waiters > 0;
        pthread_mutex_unlock(&li->lock);
        if (want_size) {
            struct size_ctx sz;
            if (cp_store_run_alone(c, false, false, size_txn, &sz) >= 0)
                publish(li, sz.size, false, 0);
        }
        if (more) {
            sealed = true;
            continue;
        }
        unsigned kinds = 0;
        enum cp_qs wq = c->ops->log_wait(c, TICK_MS, &kinds);
        if (wq < 0) {
            leader = false; /* a lost session lost its lease with it */
            atomic_store(&li->epoch, 0);
            struct timespec ts = {0, TICK_MS * 1000000L};
            nanosleep(&ts, NULL);
        }
        sealed = leader && (kinds & CP_LOG_SEALED) != 0;
        if (!leader && (kinds & CP_LOG_INTEGRATED) != 0) {
            struct size_ctx sz;
            if (cp_store_run_alone(c, false, false, size_txn, &sz) >= 0)
                publish(li, sz.size, false, 0);
        }
    }
    atomic_store(&li->epoch, 0);
    c->ops->lease_release(c);
    publish(li, 0, false, 0);
    return NULL;
}

struct cp_log_integrator *
cp_log_integrator_start(struct cp_store *store, const struct cp_signer *signer,
                        struct cp_error *out_err)
{
    CP_ASSERT(store != NULL && signer != NULL);
    struct cp_log_integrator *li = calloc(1, sizeof(*li));
    if (li == NULL)
        cp_die("out of memory");
    li->store = store;
    li->signer = signer;
    li->shared = cp_store_log_shared(store);
    li->stats.shared = li->shared;
    pthread_mutex_init(&li->lock, NULL);
    pthread_cond_init(&li->covered, NULL);
    if (!li->shared) { /* the sealer first: the hook uses it */
        li->sealer = cp_seal_signer_start(signer, cp_cpu_count() > 1);
        cp_store_set_log_hook(store, hook, hook_committed, li);
        return li;
    }
    cp_store_set_log_hook(store, hook, hook_committed, li);
    li->conn = cp_store_acquire(store, out_err);
    struct size_ctx sz = {0};
    if (li->conn == NULL || cp_store_run_alone(li->conn, false, false, size_txn, &sz) < 0) {
        if (li->conn != NULL)
            cp_error_set(out_err, CP_ERR_UNAVAILABLE, NULL,
                         "The transparency log's checkpoint could not be read.");
        cp_store_set_log_hook(store, NULL, NULL, NULL);
        cp_store_release(li->conn);
        pthread_cond_destroy(&li->covered);
        pthread_mutex_destroy(&li->lock);
        free(li);
        return NULL;
    }
    li->integrated = sz.size;
    if (pthread_create(&li->thread, NULL, run, li) != 0)
        cp_die("cannot start the log integrator thread");
    return li;
}

void
cp_log_integrator_stop(struct cp_log_integrator *li)
{
    if (li == NULL)
        return;
    if (li->shared) {
        atomic_store(&li->stop, true);
        pthread_join(li->thread, NULL);
        cp_store_release(li->conn);
    }
    cp_store_set_log_hook(li->store, NULL, NULL, NULL);
    cp_seal_signer_stop(li->sealer);
    pthread_cond_destroy(&li->covered);
    pthread_mutex_destroy(&li->lock);
    free(li);
}

bool
cp_log_integrator_await(struct cp_log_integrator *li, int64_t index, int timeout_ms)
{
    if (!li->shared)
        return true; /* the batch that sequenced the leaf integrated it before its commit */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&li->lock);
    li->waiters++;
    int rc = 0;
    while (li->integrated <= index && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&li->covered, &li->lock, &deadline);
    li->waiters--;
    bool ok = li->integrated > index;
    if (!ok)
        li->stats.await_timeouts++;
    pthread_mutex_unlock(&li->lock);
    return ok;
}

void
cp_log_integrator_stats(struct cp_log_integrator *li, struct cp_log_integrator_stats *out)
{
    pthread_mutex_lock(&li->lock);
    *out = li->stats;
    pthread_mutex_unlock(&li->lock);
}
