/*
 * The checkpointing thread (src/store/sqlite/ckpt.c) on a real SQLite file opened as the store
 * opens it: past the start limit the thread copies the WAL beside the writer (which never runs
 * SQLite's automatic checkpoint); the writer's next commit after the pass copies the rest and
 * the WAL starts over; under a steady writer it stays under the hard limit; and every row is
 * there, intact, for a reader of its own.
 */
#include "sqlite_file.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite/ckpt.h"
#include "store/sqlite/walbuf.h"

/* A connection as the store opens one: through its VFS, WAL, synchronous=FULL, SQLite's own
 * checkpoint at the store's limit (which the writer, whose hook replaces it, must never run). */
static sqlite3 *
open_conn(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     CP_SQLITE_WALBUF_VFS),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    exec_ok(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=8000; "
                "PRAGMA cache_spill=4096");
    return db;
}

/* One commit of n rows of 3 KB under random keys: ~n pages of WAL each. */
static void
commit_rows(sqlite3 *db, int n, int *next_id)
{
    exec_ok(db, "BEGIN IMMEDIATE");
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO t(k, id, v) VALUES (?1, ?2, zeroblob(3000))",
                                        -1, &s, NULL),
                     SQLITE_OK);
    for (int i = 0; i < n; i++) {
        int id = (*next_id)++;
        sqlite3_bind_int64(s, 1, (sqlite3_int64)(((uint64_t)id * 2654435761u) % 1000003u));
        sqlite3_bind_int(s, 2, id);
        assert_int_equal(sqlite3_step(s), SQLITE_DONE);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    exec_ok(db, "COMMIT");
}

/* The WAL file's size. */
static long
wal_bytes(void)
{
    struct stat st;
    return stat(wal_path, &st) == 0 ? (long)st.st_size : 0;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The frames in the WAL, by a PASSIVE checkpoint on r. */
static int
wal_frames(sqlite3 *r)
{
    int frames = -1, copied = -1;
    assert_int_equal(
        sqlite3_wal_checkpoint_v2(r, "main", SQLITE_CHECKPOINT_PASSIVE, &frames, &copied),
        SQLITE_OK);
    return frames;
}

static void
assert_rows(sqlite3 *r, int n)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(r, "SELECT count(*), sum(id) FROM t", -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(s, 0), n);
    assert_int_equal(sqlite3_column_int64(s, 1), (sqlite3_int64)n * (n - 1) / 2);
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(r, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
}

/*
 * Step by step. A reader holding an early snapshot stops the thread's pass short of the WAL's
 * end (a checkpoint never copies past what an active reader needs), so the pass surely leaves
 * a rest: the writer's first commit after it copies that rest, and its second finds the WAL
 * started over.
 */
static void
test_ckpt__thread_checkpoints_and_the_writer_finishes(void **state)
{
    (void)state;
    sqlite3 *w = open_conn();
    exec_ok(w, "CREATE TABLE t (k INTEGER, id INTEGER PRIMARY KEY, v BLOB); "
               "CREATE INDEX t_k ON t(k)");
    struct cp_sqlite_ckpt *k = cp_sqlite_ckpt_start(w, open_conn());
    struct cp_sqlite_ckpt_stats st;
    int next_id = 0;
    commit_rows(w, 100, &next_id);
    sqlite3 *r = open_conn();
    exec_ok(r, "BEGIN");
    assert_rows(r, 100);
    /* Past the start limit: a pass is asked for once, and the writer goes on. */
    for (int i = 0; i < 1000; i++) {
        commit_rows(w, 100, &next_id);
        cp_sqlite_ckpt_stats(k, &st);
        if (st.passes > 0)
            break;
    }
    assert_int_equal(st.passes, 1);
    assert_int_equal(st.finishes + st.hard, 0);
    assert_true(wal_bytes() >= (long)CP_SQLITE_CKPT_START_FRAMES * 4096);
    /* The pass ends, short of the reader's snapshot. */
    for (int i = 0; i < 6000 && st.passes_done == 0; i++) {
        sleep_ms(5);
        cp_sqlite_ckpt_stats(k, &st);
    }
    assert_int_equal(st.passes_done, 1);
    assert_true(st.pass_frames > 0); /* it copied what the reader's snapshot allowed */
    exec_ok(r, "COMMIT");
    /* The next commit finishes it; the one after writes at the WAL's start. */
    commit_rows(w, 10, &next_id);
    cp_sqlite_ckpt_stats(k, &st);
    assert_int_equal(st.finishes, 1);
    assert_int_equal(st.hard, 0);
    assert_int_equal(st.passes, 1);
    long size = wal_bytes();
    commit_rows(w, 10, &next_id);
    int frames = wal_frames(r);
    assert_true(frames > 0 && frames < 200); /* this commit's pages only */
    assert_int_equal(wal_bytes(), size);     /* the file reused, not grown */
    assert_rows(r, next_id);
    sqlite3_close(r);
    cp_sqlite_ckpt_stop(k);
    sqlite3_close(w);
}

/* A steady writer with the thread beside it: the WAL stays under the hard limit (it starts
 * over after every pass), and nothing is lost. */
static void
test_ckpt__steady_writer_stays_bounded(void **state)
{
    (void)state;
    sqlite3 *w = open_conn();
    exec_ok(w, "CREATE TABLE t (k INTEGER, id INTEGER PRIMARY KEY, v BLOB); "
               "CREATE INDEX t_k ON t(k)");
    struct cp_sqlite_ckpt *k = cp_sqlite_ckpt_start(w, open_conn());
    int next_id = 0;
    long largest = 0;
    while (next_id < 4 * CP_SQLITE_CKPT_START_FRAMES) {
        commit_rows(w, 150, &next_id);
        long b = wal_bytes();
        if (b > largest)
            largest = b;
    }
    struct cp_sqlite_ckpt_stats st;
    cp_sqlite_ckpt_stats(k, &st);
    cp_sqlite_ckpt_stop(k);
    assert_true(st.passes >= 2);
    assert_true(st.pass_frames > 0);
    /* The writer commits while a pass runs (each of its commits is a flush; a pass copies
     * thousands of frames and flushes twice), so it has finished one at least. */
    assert_true(st.finishes >= 1);
    assert_true(largest <= (long)(CP_SQLITE_CKPT_HARD_FRAMES + 400) * (4096 + 24) + 32);
    sqlite3 *r = open_conn();
    assert_rows(r, next_id);
    sqlite3_close(r);
    sqlite3_close(w);
}

int
main(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (cp_sqlite_walbuf_register() != SQLITE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ckpt__thread_checkpoints_and_the_writer_finishes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_ckpt__steady_writer_stays_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
