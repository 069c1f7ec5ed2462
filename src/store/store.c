/*
 * Backend selection, the connection pool and the transaction runner. Backend-neutral: the
 * SQL lives in sqlite/ and pg/.
 *
 * The pool is a mutex-protected free list. A request takes a connection only while it runs
 * store work (authentication, then its handler; never while its body or reply is on the wire),
 * so the pool grows to the number of worker threads and there is no fixed size to tune.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/util.h"
#include "store/backend.h"
#include "store/fault.h"

/* A write transaction function in the group-commit queue: on its caller's stack while the
 * caller waits (wake), or allocated by cp_store_submit (done_fn; freed after reporting). */
struct write_job {
    cp_txn_fn fn;
    void *cls;
    bool log; /* appends to the transparency log (cp_store_run_log) */
    enum cp_qs qs;
    enum cp_store_cause cause;
    bool done;
    pthread_cond_t wake;
    cp_store_done_fn done_fn;
    void *done_cls;
    struct write_job *next;
};

struct cp_store {
    const struct cp_store_backend *backend;
    void *state;
    int schema_version;
    pthread_mutex_t lock;
    struct cp_store_conn *free_list;
    int n_open;
    bool inject_faults;
    /* The group-commit queue: its head is the leader, running a batch from the front. */
    pthread_mutex_t wq_lock;
    /* The connection every batch runs on (opened by the first leader; only the leader of the
     * moment uses it). One connection for all writes keeps the pages they touch in one cache:
     * SQLite must re-read from the WAL every page another connection changed, and batches run
     * on whichever connection their leader came with re-read most of their pages. */
    struct cp_store_conn *writer;
    struct write_job *wq_head, *wq_tail;
    struct cp_store_stats stats; /* under wq_lock */
    /* The writer thread (cp_store_start_writer), woken by writer_wake when the queue fills. */
    bool has_writer, writer_stop;
    pthread_t writer_thread;
    pthread_cond_t writer_wake;
    cp_txn_fn log_hook; /* see cp_store_set_log_hook */
    void (*log_hook_committed)(void *cls);
    void *log_hook_cls;
};

static bool
has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

struct cp_store *
cp_store_open(const char *url, struct cp_error *out_err)
{
    CP_ASSERT(url != NULL);
    const struct cp_store_backend *backend = &cp_store_sqlite_backend;
    const char *location = url;
    if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://"))
        backend = &cp_store_pg_backend; /* libpq takes the URL as it is */
    else if (has_prefix(url, "sqlite:"))
        location = url + strlen("sqlite:");
    if (location[0] == '\0') {
        cp_error_set(out_err, CP_ERR_BAD_REQUEST, "database", "Empty database location.");
        return NULL;
    }
    struct cp_store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        cp_die("out of memory");
    s->backend = backend;
    s->state = s->backend->open(location, &s->schema_version, out_err);
    if (s->state == NULL) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->wq_lock, NULL);
    pthread_cond_init(&s->writer_wake, NULL);
    return s;
}

void
cp_store_close(struct cp_store *s)
{
    if (s == NULL)
        return;
    if (s->has_writer) {
        pthread_mutex_lock(&s->wq_lock);
        s->writer_stop = true;
        pthread_cond_signal(&s->writer_wake);
        pthread_mutex_unlock(&s->wq_lock);
        pthread_join(s->writer_thread, NULL);
    }
    while (s->free_list != NULL) {
        struct cp_store_conn *c = s->free_list;
        s->free_list = c->next_free;
        s->backend->conn_close(c);
        s->n_open--;
    }
    if (s->writer != NULL) {
        s->backend->conn_close(s->writer);
        s->n_open--;
    }
    if (s->n_open != 0)
        cp_log(CP_LOG_ERROR, "store closed with %d connections still in use", s->n_open);
    s->backend->close(s->state);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->wq_lock);
    pthread_cond_destroy(&s->writer_wake);
    free(s);
}

const char *
cp_store_url_redact(const char *url, char *out, size_t n)
{
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    /* user:password@ sits between the scheme and the first '@', before any '/'. */
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    if (at == NULL || colon == NULL || colon > at || (slash != NULL && slash < at)) {
        snprintf(out, n, "%s", url);
        return out;
    }
    snprintf(out, n, "%.*s***%s", (int)(colon + 1 - url), url, at);
    return out;
}

const char *
cp_store_backend(const struct cp_store *s)
{
    return s->backend->name;
}

int
cp_store_schema_version(const struct cp_store *s)
{
    return s->schema_version;
}

/* A new connection of s, counted and (in tests) wrapped; NULL + *out_err on failure. */
static struct cp_store_conn *
open_conn(struct cp_store *s, struct cp_error *out_err)
{
    pthread_mutex_lock(&s->lock);
    s->n_open++;
    pthread_mutex_unlock(&s->lock);
    struct cp_store_conn *c = s->backend->conn_open(s->state, out_err);
    pthread_mutex_lock(&s->lock);
    if (c == NULL) {
        s->n_open--;
    } else {
        c->store = s;
        c->next_free = NULL;
        if (s->inject_faults)
            cp_store_fault_wrap(c);
    }
    pthread_mutex_unlock(&s->lock);
    return c;
}

struct cp_store_conn *
cp_store_acquire(struct cp_store *s, struct cp_error *out_err)
{
    pthread_mutex_lock(&s->lock);
    struct cp_store_conn *c = s->free_list;
    if (c != NULL) {
        s->free_list = c->next_free;
        c->next_free = NULL;
        pthread_mutex_unlock(&s->lock);
        return c;
    }
    pthread_mutex_unlock(&s->lock);
    return open_conn(s, out_err);
}

void
cp_store_inject_faults(struct cp_store *s)
{
    pthread_mutex_lock(&s->lock);
    s->inject_faults = true;
    for (struct cp_store_conn *c = s->free_list; c != NULL; c = c->next_free)
        cp_store_fault_wrap(c);
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_lock(&s->wq_lock);
    if (s->writer != NULL)
        cp_store_fault_wrap(s->writer);
    pthread_mutex_unlock(&s->wq_lock);
}

/* The batch connection, once both it and the writer thread exist, is the writer thread's:
 * tell the backend (wq_lock held, no batch running on it). */
static void
hand_to_writer(struct cp_store *s)
{
    if (s->writer != NULL && s->has_writer && s->backend->conn_writer != NULL)
        s->backend->conn_writer(s->writer);
}

/* The batch connection, opened on first use by a leader (so only by one thread at a time).
 * NULL if it cannot be opened: the leader then runs the batch on its own connection. */
static struct cp_store_conn *
writer_conn(struct cp_store *s)
{
    if (s->writer == NULL) {
        struct cp_error err;
        s->writer = open_conn(s, &err);
        hand_to_writer(s);
    }
    return s->writer;
}

void
cp_store_trim(struct cp_store *s)
{
    if (s->backend->conn_trim == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    for (struct cp_store_conn *c = s->free_list; c != NULL; c = c->next_free)
        s->backend->conn_trim(c);
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_lock(&s->wq_lock);
    if (s->writer != NULL && s->wq_head == NULL) /* no batch is running on it */
        s->backend->conn_trim(s->writer);
    pthread_mutex_unlock(&s->wq_lock);
}

void
cp_store_release(struct cp_store_conn *c)
{
    if (c == NULL)
        return;
    struct cp_store *s = c->store;
    c->kept = false;
    c->ops->rollback(c); /* no-op when no transaction is open */
    pthread_mutex_lock(&s->lock);
    c->next_free = s->free_list;
    s->free_list = c;
    pthread_mutex_unlock(&s->lock);
}

enum { MAX_TRIES = 5 };

/* Before attempt n (> 0): back off 1, 2, 4, 8 ms, enough for a competing writer (another
 * process) to finish its commit. */
static void
backoff(int attempt)
{
    struct timespec ts = {0, (long)(1000000L << (attempt - 1))};
    nanosleep(&ts, NULL);
}

/* BEGIN, after the log lock when the transaction appends to a shared log. */
static enum cp_qs
begin(struct cp_store_conn *c, bool write, bool log)
{
    c->cause = CP_CAUSE_OTHER;
    bool locked = log && c->ops->log_lock != NULL;
    if (locked) {
        enum cp_qs lq = c->ops->log_lock(c);
        if (lq < 0)
            return lq;
    }
    enum cp_qs qs = c->ops->begin(c, write);
    if (qs < 0 && locked)
        c->ops->log_unlock(c);
    return qs;
}

static enum cp_qs
commit(struct cp_store_conn *c, bool log)
{
    enum cp_qs qs = c->ops->commit(c);
    if (qs < 0)
        c->ops->rollback(c);
    if (log && c->ops->log_unlock != NULL)
        c->ops->log_unlock(c);
    return qs;
}

static void
rollback(struct cp_store_conn *c, bool log)
{
    c->ops->rollback(c);
    if (log && c->ops->log_unlock != NULL)
        c->ops->log_unlock(c);
}

/* End the read transaction cp_store_run_keep left open on c, if any. */
static void
end_kept(struct cp_store_conn *c)
{
    if (c->kept) {
        c->kept = false;
        c->ops->rollback(c);
    }
}

/* One transaction of its own: begin, fn, commit, retrying SOFT. With keep, a read that
 * succeeds is left open instead of committed (c->kept). */
static enum cp_qs
run_txn(struct cp_store_conn *c, bool write, bool log, bool keep, cp_txn_fn fn, void *cls)
{
    end_kept(c);
    enum cp_qs qs = CP_QS_SOFT;
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        if (attempt > 0)
            backoff(attempt);
        qs = begin(c, write, log);
        if (qs == CP_QS_SOFT)
            continue;
        if (qs < 0)
            return qs;
        qs = fn(c, cls);
        if (qs < 0) {
            rollback(c, log);
            if (qs == CP_QS_SOFT)
                continue;
            return qs; /* HARD or ABORT */
        }
        if (keep) {
            c->kept = true;
            return qs;
        }
        enum cp_qs cq = commit(c, log);
        if (cq >= 0)
            return qs;
        if (cq != CP_QS_SOFT)
            return cq;
        qs = cq;
    }
    cp_log(CP_LOG_WARN, "store: transaction still conflicting after %d attempts", MAX_TRIES);
    return qs;
}

/* One job of a batch, inside its own savepoint. SOFT runs it again. Returns the job's status;
 * HARD means the shared transaction can no longer be trusted. */
static enum cp_qs
run_job(struct cp_store_conn *c, struct write_job *j)
{
    enum cp_qs qs = CP_QS_SOFT;
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        enum cp_qs sq = c->ops->savepoint(c);
        if (sq == CP_QS_SOFT)
            continue;
        if (sq < 0)
            return CP_QS_HARD;
        qs = j->fn(c, j->cls);
        if (qs == CP_QS_SOFT && c->ops->soft_fails_transaction)
            return CP_QS_SOFT; /* run_batch rolls the whole transaction back */
        if (qs >= 0) {
            sq = c->ops->savepoint_release(c);
            if (sq >= 0)
                return qs;
            if (sq == CP_QS_HARD)
                return CP_QS_HARD;
            qs = CP_QS_SOFT; /* not released: undo it and run it again */
        }
        if (qs == CP_QS_HARD || c->ops->savepoint_rollback(c) < 0)
            return CP_QS_HARD;
        if (qs != CP_QS_SOFT)
            return qs; /* ABORT: undone, the others go on */
    }
    return CP_QS_SOFT;
}

static void
fail_all(struct write_job **jobs, size_t n, enum cp_qs qs, enum cp_store_cause cause)
{
    for (size_t i = 0; i < n; i++) {
        jobs[i]->qs = qs;
        jobs[i]->cause = cause;
    }
}

/* One job of a batch without a savepoint (the backend counts changes). Returns the job's
 * status; *undo is set when the job failed (ABORT, SOFT) after changing rows, which only a
 * rollback of the whole transaction can take back. */
static enum cp_qs
run_job_bare(struct cp_store_conn *c, struct write_job *j, bool *undo)
{
    int64_t before = c->ops->changes(c);
    enum cp_qs qs = j->fn(c, j->cls);
    if (qs == CP_QS_SOFT || (qs == CP_QS_ABORT && c->ops->changes(c) != before))
        *undo = true; /* SOFT: the savepoint path runs it again */
    return qs;
}

/* Run a batch of write jobs in one transaction with one commit. */
static void
run_batch(struct cp_store_conn *c, struct write_job **jobs, size_t n)
{
    struct cp_store *s = c->store;
    bool log = false;
    for (size_t i = 0; i < n; i++)
        log |= jobs[i]->log;
    bool bare = c->ops->changes != NULL, redo = false;
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        if (attempt > 0 && !redo)
            backoff(attempt);
        redo = false;
        enum cp_qs qs = begin(c, true, log);
        if (qs == CP_QS_SOFT)
            continue;
        if (qs < 0) {
            fail_all(jobs, n, qs, c->cause);
            return;
        }
        bool broken = false, restart = false, logged = false, hooked = false;
        for (size_t i = 0; i < n && !broken && !restart && !redo; i++) {
            jobs[i]->qs = bare ? run_job_bare(c, jobs[i], &redo) : run_job(c, jobs[i]);
            broken = jobs[i]->qs == CP_QS_HARD;
            restart = jobs[i]->qs == CP_QS_SOFT && c->ops->soft_fails_transaction;
            logged |= jobs[i]->log && jobs[i]->qs >= 0;
        }
        if (redo && !broken) { /* undo it all; every job runs again in its own savepoint */
            rollback(c, log);
            bare = false;
            attempt--;
            continue;
        }
        if (!broken && !restart && logged && s->log_hook != NULL) {
            qs = s->log_hook(c, s->log_hook_cls);
            broken = qs == CP_QS_HARD || qs == CP_QS_ABORT;
            restart = qs == CP_QS_SOFT;
            hooked = qs == CP_QS_ONE;
        }
        if (broken) {
            rollback(c, log);
            fail_all(jobs, n, CP_QS_HARD, c->cause);
            return;
        }
        if (restart) { /* the transaction is doomed: every function runs again in a new one */
            rollback(c, log);
            fail_all(jobs, n, CP_QS_SOFT, c->cause);
            continue;
        }
        enum cp_qs cq = commit(c, log);
        if (cq >= 0) {
            for (size_t i = 0; i < n; i++)
                jobs[i]->cause = CP_CAUSE_OTHER;
            if (hooked && s->log_hook_committed != NULL)
                s->log_hook_committed(s->log_hook_cls);
            return;
        }
        if (cq == CP_QS_HARD) {
            fail_all(jobs, n, CP_QS_HARD, c->cause);
            return;
        }
    }
    cp_log(CP_LOG_WARN, "store: write transaction still conflicting after %d attempts", MAX_TRIES);
    fail_all(jobs, n, CP_QS_SOFT, c->cause);
}

/* Append j to the write queue (wq_lock held); wakes the writer thread if it waits. */
static void
enqueue(struct cp_store *s, struct write_job *j)
{
    if (s->wq_tail != NULL)
        s->wq_tail->next = j;
    else
        s->wq_head = j;
    s->wq_tail = j;
    s->stats.queued++;
    if (s->has_writer && s->wq_head == j)
        pthread_cond_signal(&s->writer_wake);
}

/*
 * Run the batch at the front of the queue (wq_lock held; released while it runs) and report
 * to its jobs. self is the job of the calling leader, which reports to itself, or NULL on the
 * writer thread. Submitted jobs' done functions run after the lock is dropped.
 */
static void
lead_batch(struct cp_store *s, struct cp_store_conn *fallback, struct write_job *self)
{
    struct write_job *batch[CP_STORE_MAX_BATCH];
    size_t n = 0;
    for (struct write_job *j = s->wq_head; j != NULL && n < CP_STORE_MAX_BATCH; j = j->next)
        batch[n++] = j;
    struct cp_store_conn *w = writer_conn(s);
    if (w == NULL)
        w = fallback;
    pthread_mutex_unlock(&s->wq_lock);
    if (w != NULL)
        run_batch(w, batch, n);
    else
        fail_all(batch, n, CP_QS_HARD, CP_CAUSE_DOWN);
    pthread_mutex_lock(&s->wq_lock);
    s->wq_head = batch[n - 1]->next;
    if (s->wq_head == NULL)
        s->wq_tail = NULL;
    s->stats.write_jobs += (int64_t)n;
    s->stats.write_batches++;
    s->stats.queued -= (int)n;
    size_t n_async = 0;
    for (size_t i = 0; i < n; i++) {
        struct write_job *j = batch[i];
        if (j->done_fn != NULL) {
            batch[n_async++] = j; /* reported below, outside the lock */
            continue;
        }
        j->done = true; /* a waiting caller may return (and its job go) from here on */
        if (j != self)
            pthread_cond_signal(&j->wake);
    }
    if (s->wq_head != NULL && !s->has_writer)
        pthread_cond_signal(&s->wq_head->wake); /* the next leader */
    if (n_async == 0)
        return;
    pthread_mutex_unlock(&s->wq_lock);
    for (size_t i = 0; i < n_async; i++) {
        batch[i]->done_fn(batch[i]->done_cls, batch[i]->qs, batch[i]->cause);
        free(batch[i]);
    }
    pthread_mutex_lock(&s->wq_lock);
}

/* Queue fn and wait for its batch. Without a writer thread, the caller at the front of the
 * queue runs the batch (LevelDB's writer queue). */
static enum cp_qs
run_write(struct cp_store_conn *c, bool log, cp_txn_fn fn, void *cls)
{
    struct cp_store *s = c->store;
    end_kept(c);
    struct write_job me = {.fn = fn, .cls = cls, .log = log};
    pthread_cond_init(&me.wake, NULL);
    pthread_mutex_lock(&s->wq_lock);
    enqueue(s, &me);
    while (!me.done && (s->has_writer || s->wq_head != &me))
        pthread_cond_wait(&me.wake, &s->wq_lock);
    if (!me.done)
        lead_batch(s, c, &me);
    pthread_mutex_unlock(&s->wq_lock);
    pthread_cond_destroy(&me.wake);
    c->cause = me.cause;
    return me.qs;
}

static void *
writer_main(void *arg)
{
    struct cp_store *s = arg;
    pthread_setname_np(pthread_self(), "cp-writer"); /* top -H, perf -t */
    pthread_mutex_lock(&s->wq_lock);
    for (;;) {
        if (s->wq_head != NULL)
            lead_batch(s, NULL, NULL);
        else if (s->writer_stop)
            break;
        else
            pthread_cond_wait(&s->writer_wake, &s->wq_lock);
    }
    pthread_mutex_unlock(&s->wq_lock);
    return NULL;
}

bool
cp_store_start_writer(struct cp_store *s, struct cp_error *out_err)
{
    pthread_mutex_lock(&s->wq_lock);
    CP_ASSERT(!s->has_writer && s->wq_head == NULL);
    int rc = pthread_create(&s->writer_thread, NULL, writer_main, s);
    s->has_writer = rc == 0;
    hand_to_writer(s); /* a batch connection opened by earlier leaders (the queue is empty) */
    pthread_mutex_unlock(&s->wq_lock);
    if (rc != 0)
        cp_error_set(out_err, CP_ERR_INTERNAL, NULL, "Cannot start the store's writer thread: %s",
                     strerror(rc));
    return rc == 0;
}

bool
cp_store_has_writer(const struct cp_store *s)
{
    return s->has_writer;
}

void
cp_store_submit(struct cp_store *s, bool log, cp_txn_fn fn, void *cls, cp_store_done_fn done,
                void *done_cls)
{
    CP_ASSERT(s->has_writer && done != NULL);
    struct write_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        cp_die("out of memory");
    j->fn = fn;
    j->cls = cls;
    j->log = log;
    j->done_fn = done;
    j->done_cls = done_cls;
    pthread_mutex_lock(&s->wq_lock);
    enqueue(s, j);
    pthread_mutex_unlock(&s->wq_lock);
}

struct cp_store_conn *
cp_store_writer_for_tests(struct cp_store *s)
{
    pthread_mutex_lock(&s->wq_lock);
    struct cp_store_conn *w = writer_conn(s);
    pthread_mutex_unlock(&s->wq_lock);
    return w;
}

void
cp_store_stats(struct cp_store *s, struct cp_store_stats *out)
{
    pthread_mutex_lock(&s->wq_lock);
    *out = s->stats;
    if (s->backend->stats != NULL) /* under the lock: the writer's first batch sets it up */
        s->backend->stats(s->state, out);
    pthread_mutex_unlock(&s->wq_lock);
}

/* A read inside the transaction cp_store_run_keep left open, which it then ends. A SOFT
 * answer (or a failed end) runs the read again in a transaction of its own. */
static enum cp_qs
run_in_kept(struct cp_store_conn *c, cp_txn_fn fn, void *cls)
{
    c->kept = false;
    enum cp_qs qs = fn(c, cls);
    if (qs < 0) {
        c->ops->rollback(c);
        return qs == CP_QS_SOFT ? run_txn(c, false, false, false, fn, cls) : qs;
    }
    enum cp_qs cq = commit(c, false);
    if (cq >= 0)
        return qs;
    return cq == CP_QS_SOFT ? run_txn(c, false, false, false, fn, cls) : cq;
}

enum cp_qs
cp_store_run(struct cp_store_conn *c, bool write, cp_txn_fn fn, void *cls)
{
    if (write)
        return run_write(c, false, fn, cls);
    return c->kept ? run_in_kept(c, fn, cls) : run_txn(c, false, false, false, fn, cls);
}

enum cp_qs
cp_store_run_keep(struct cp_store_conn *c, cp_txn_fn fn, void *cls)
{
    return run_txn(c, false, false, true, fn, cls);
}

enum cp_qs
cp_store_run_log(struct cp_store_conn *c, cp_txn_fn fn, void *cls)
{
    return run_write(c, true, fn, cls);
}

enum cp_qs
cp_store_run_alone(struct cp_store_conn *c, bool write, bool log, cp_txn_fn fn, void *cls)
{
    return run_txn(c, write, log, false, fn, cls);
}

void
cp_store_set_log_hook(struct cp_store *s, cp_txn_fn fn, void (*committed)(void *cls), void *cls)
{
    s->log_hook = fn;
    s->log_hook_committed = committed;
    s->log_hook_cls = cls;
}

bool
cp_store_log_shared(const struct cp_store *s)
{
    return s->backend->shares_log;
}
