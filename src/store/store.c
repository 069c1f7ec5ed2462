/*
 * Backend selection, the connection pool and the transaction runner. Backend-neutral: the
 * SQL lives in sqlite/ (and pg/ later).
 *
 * The pool is a mutex-protected free list. A request takes a connection only while it runs
 * store work (authentication, then its handler; never while its body or reply is on the wire),
 * so the pool grows to the number of worker threads and there is no fixed size to tune.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/util.h"
#include "store/backend.h"
#include "store/fault.h"

struct cp_store {
    const struct cp_store_backend *backend;
    void *state;
    int schema_version;
    pthread_mutex_t lock;
    struct cp_store_conn *free_list;
    int n_open;
    bool inject_faults;
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
    if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://")) {
        cp_error_set(out_err, CP_ERR_NOT_IMPLEMENTED, "database",
                     "This callproof is not built with PostgreSQL yet: use a SQLite path "
                     "(the default is <data dir>/callproof.db).");
        return NULL;
    }
    const char *location = url;
    if (has_prefix(url, "sqlite:"))
        location = url + strlen("sqlite:");
    if (location[0] == '\0') {
        cp_error_set(out_err, CP_ERR_BAD_REQUEST, "database", "Empty database location.");
        return NULL;
    }
    struct cp_store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        cp_die("out of memory");
    s->backend = &cp_store_sqlite_backend;
    s->state = s->backend->open(location, &s->schema_version, out_err);
    if (s->state == NULL) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void
cp_store_close(struct cp_store *s)
{
    if (s == NULL)
        return;
    while (s->free_list != NULL) {
        struct cp_store_conn *c = s->free_list;
        s->free_list = c->next_free;
        s->backend->conn_close(c);
        s->n_open--;
    }
    if (s->n_open != 0)
        cp_log(CP_LOG_ERROR, "store closed with %d connections still in use", s->n_open);
    s->backend->close(s->state);
    pthread_mutex_destroy(&s->lock);
    free(s);
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
    s->n_open++;
    pthread_mutex_unlock(&s->lock);

    c = s->backend->conn_open(s->state, out_err);
    if (c == NULL) {
        pthread_mutex_lock(&s->lock);
        s->n_open--;
        pthread_mutex_unlock(&s->lock);
        return NULL;
    }
    c->store = s;
    c->next_free = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->inject_faults)
        cp_store_fault_wrap(c);
    pthread_mutex_unlock(&s->lock);
    return c;
}

void
cp_store_inject_faults(struct cp_store *s)
{
    pthread_mutex_lock(&s->lock);
    s->inject_faults = true;
    for (struct cp_store_conn *c = s->free_list; c != NULL; c = c->next_free)
        cp_store_fault_wrap(c);
    pthread_mutex_unlock(&s->lock);
}

void
cp_store_release(struct cp_store_conn *c)
{
    if (c == NULL)
        return;
    struct cp_store *s = c->store;
    c->ops->rollback(c); /* no-op when no transaction is open */
    pthread_mutex_lock(&s->lock);
    c->next_free = s->free_list;
    s->free_list = c;
    pthread_mutex_unlock(&s->lock);
}

enum cp_qs
cp_store_run(struct cp_store_conn *c, bool write, cp_txn_fn fn, void *cls)
{
    enum { MAX_TRIES = 5 };
    enum cp_qs qs = CP_QS_SOFT;
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        if (attempt > 0) {
            /* Back off 1, 2, 4, 8 ms: enough for a competing writer to finish its commit. */
            struct timespec ts = {0, (long)(1000000L << (attempt - 1))};
            nanosleep(&ts, NULL);
        }
        c->cause = CP_CAUSE_OTHER;
        qs = c->ops->begin(c, write);
        if (qs == CP_QS_SOFT)
            continue;
        if (qs < 0)
            return qs;
        qs = fn(c, cls);
        if (qs < 0) {
            c->ops->rollback(c);
            if (qs == CP_QS_SOFT)
                continue;
            return qs; /* HARD or ABORT */
        }
        enum cp_qs cq = c->ops->commit(c);
        if (cq >= 0)
            return qs;
        c->ops->rollback(c);
        if (cq == CP_QS_HARD)
            return cq;
        qs = cq;
    }
    cp_log(CP_LOG_WARN, "store: transaction still conflicting after %d attempts", MAX_TRIES);
    return qs;
}
