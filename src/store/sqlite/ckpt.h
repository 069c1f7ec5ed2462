/*
 * The WAL's checkpoints, off the writer's path (SQLite; docs/DESIGN.md, Group commit).
 *
 * SQLite's automatic checkpoint runs inside the commit that takes the WAL past its limit: the
 * store's one writer thread then copies ~8,000 pages into the database file and flushes it
 * while every write waits (~40 ms on this project's test machine, seven times a second under a
 * steady create load). Here a thread of its own, on a connection of its own, copies them
 * (PASSIVE checkpoints: they never wait for, nor stop, the writer) while the writer goes on.
 * A WAL only starts over once every frame in it is copied, which a checkpoint running beside a
 * steady writer never reaches by itself; so when the thread's pass has left only what was
 * committed meanwhile, the writer's next commit copies that rest itself (~1,300 frames and
 * ~20 ms instead of ~8,000 and ~40 ms), and the WAL starts over at the following one. Should the
 * thread fall far behind, the writer checkpoints itself once the WAL holds
 * CP_SQLITE_CKPT_HARD_FRAMES frames, as before.
 */
#ifndef CP_STORE_SQLITE_CKPT_H
#define CP_STORE_SQLITE_CKPT_H

#include <sqlite3.h>
#include <stdint.h>

/* A pass starts when a commit leaves this many frames in the WAL (SQLite's default: 1,000). */
#define CP_SQLITE_CKPT_START_FRAMES 8000
/* The writer checkpoints itself, whatever the thread does, at this many frames (128 MB). */
#define CP_SQLITE_CKPT_HARD_FRAMES 32000

struct cp_sqlite_ckpt;

struct cp_sqlite_ckpt_stats {
    int64_t passes;      /* the thread's passes, asked for */
    int64_t passes_done; /* ended */
    int64_t pass_frames; /* the WAL's frames copied when each pass ended, summed */
    int64_t finishes;    /* the writer's own checkpoints after a pass */
    int64_t hard;        /* the writer's own checkpoints at CP_SQLITE_CKPT_HARD_FRAMES */
};

/*
 * Take over writer's checkpoints (its WAL hook replaces SQLite's automatic checkpoint) and
 * start the thread, which owns own (another connection to the same database, closed by
 * cp_sqlite_ckpt_stop). Call it from the thread that uses writer, or while none does; writer
 * must be used by one thread at a time. Ends the process if no thread can be started.
 */
struct cp_sqlite_ckpt *cp_sqlite_ckpt_start(sqlite3 *writer, sqlite3 *own);
/* Stop the thread (after its current pass) and close its connection. The writer's hook still
 * points here: call it once the writer is closed (the store closes its connections first).
 * NULL ok. */
void cp_sqlite_ckpt_stop(struct cp_sqlite_ckpt *k);
/* The counters since the start, from any thread. */
void cp_sqlite_ckpt_stats(struct cp_sqlite_ckpt *k, struct cp_sqlite_ckpt_stats *out);

#endif
