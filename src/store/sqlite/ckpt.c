/*
 * The checkpointing thread (see ckpt.h). The writer's WAL hook, called after each of its
 * commits with the number of frames in the WAL, decides; the thread only runs passes.
 *
 * States, under the lock: idle; `busy` (a pass asked for or running); `pass_done` (a pass
 * ended, leaving `backfilled` of the WAL's frames copied). The hook, on the writer's thread:
 * if a pass is done, it checkpoints the rest itself (what was committed while the pass ran)
 * and the WAL starts over at the next commit; at CP_SQLITE_CKPT_HARD_FRAMES it waits for a
 * running pass and checkpoints itself; past CP_SQLITE_CKPT_START_FRAMES it asks for a pass. A
 * WAL that started over under a done pass (fewer frames than it copied: nothing left to
 * finish) clears it.
 *
 * A pass is one checkpoint. Another round would not make the writer's rest smaller: a
 * checkpoint copies the WAL as it was when it began, and each costs two flushes (the WAL's,
 * then the database's), during which a steady writer commits about as much as the writer's own
 * checkpoint then copies (measured: ~1,300 frames, ~20 ms, against ~40 ms for the 8,000 of a
 * whole checkpoint).
 */
#include "store/sqlite/ckpt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/util.h"

struct cp_sqlite_ckpt {
    sqlite3 *own;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work; /* busy set, or stop */
    pthread_cond_t idle; /* busy cleared */
    bool busy, pass_done, stop;
    int backfilled; /* frames of the WAL the last pass left copied */
    struct cp_sqlite_ckpt_stats stats;
};

/* A PASSIVE checkpoint; how many of the WAL's frames are copied now (not the ones written
 * since it began, nor any an older reader still needs), 0 if none or on failure. SQLITE_BUSY
 * (another connection checkpoints) is not an error. */
static int
checkpoint(sqlite3 *db, const char *name)
{
    int frames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        cp_log(CP_LOG_WARN, "sqlite: checkpoint: %s", sqlite3_errmsg(db));
    return copied > 0 ? copied : 0;
}

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct cp_sqlite_ckpt *k = arg;
    pthread_mutex_lock(&k->lock);
    if (k->pass_done && frames < k->backfilled) /* started over since: nothing to finish */
        k->pass_done = false;
    bool hard = frames >= CP_SQLITE_CKPT_HARD_FRAMES, finish = k->pass_done || hard;
    if (finish) {
        while (k->busy)
            pthread_cond_wait(&k->idle, &k->lock);
        k->pass_done = false;
        if (hard)
            k->stats.hard++;
        else
            k->stats.finishes++;
    } else if (frames >= CP_SQLITE_CKPT_START_FRAMES && !k->busy) {
        k->busy = true;
        k->stats.passes++;
        pthread_cond_signal(&k->work);
    }
    pthread_mutex_unlock(&k->lock);
    if (finish)
        (void)checkpoint(db, name);
    return SQLITE_OK;
}

static void *
run(void *arg)
{
    struct cp_sqlite_ckpt *k = arg;
    pthread_setname_np(pthread_self(), "cp-ckpt"); /* top -H, perf -t */
    pthread_mutex_lock(&k->lock);
    for (;;) {
        if (k->stop)
            break;
        if (!k->busy) { /* (a pass is asked for only when none is done: see wal_hook) */
            pthread_cond_wait(&k->work, &k->lock);
            continue;
        }
        pthread_mutex_unlock(&k->lock);
        int copied = checkpoint(k->own, "main");
        pthread_mutex_lock(&k->lock);
        k->stats.passes_done++;
        k->stats.pass_frames += copied;
        k->backfilled = copied;
        k->pass_done = true; /* even after an error: the writer's own checkpoint goes on */
        k->busy = false;
        pthread_cond_broadcast(&k->idle);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

struct cp_sqlite_ckpt *
cp_sqlite_ckpt_start(sqlite3 *writer, sqlite3 *own)
{
    struct cp_sqlite_ckpt *k = calloc(1, sizeof(*k));
    if (k == NULL)
        cp_die("out of memory");
    k->own = own;
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->work, NULL);
    pthread_cond_init(&k->idle, NULL);
    if (pthread_create(&k->thread, NULL, run, k) != 0)
        cp_die("cannot start the checkpointing thread");
    sqlite3_wal_hook(writer, wal_hook, k);
    return k;
}

void
cp_sqlite_ckpt_stop(struct cp_sqlite_ckpt *k)
{
    if (k == NULL)
        return;
    pthread_mutex_lock(&k->lock);
    k->stop = true;
    k->busy = false;
    pthread_cond_signal(&k->work);
    pthread_cond_broadcast(&k->idle);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    sqlite3_close(k->own);
    pthread_cond_destroy(&k->idle);
    pthread_cond_destroy(&k->work);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

void
cp_sqlite_ckpt_stats(struct cp_sqlite_ckpt *k, struct cp_sqlite_ckpt_stats *out)
{
    pthread_mutex_lock(&k->lock);
    *out = k->stats;
    pthread_mutex_unlock(&k->lock);
}
