/*
 * The WAL-gathering VFS (src/store/sqlite/walbuf.c) on real files: commits of every size read
 * back from another connection that does not use it, a transaction that spills pages early,
 * rollbacks, a failed write that fails the commit and keeps the last committed state, and the
 * point of it all: a commit's frames go to the file in a handful of writes, not two per page.
 */
#include "sqlite_file.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite/walbuf.h"

/* A connection as the store opens one (WAL, synchronous=FULL), through the VFS or not. */
static sqlite3 *
open_conn(bool walbuf)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     walbuf ? CP_SQLITE_WALBUF_VFS : NULL),
                     SQLITE_OK);
    exec_ok(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_spill=4096");
    return db;
}

/* Row i's blob: n bytes that differ from row to row and from byte to byte. */
static void
fill_blob(unsigned char *b, size_t n, int i)
{
    uint32_t x = 2166136261u ^ (uint32_t)i;
    for (size_t k = 0; k < n; k++) {
        x = x * 16777619u + 1u;
        b[k] = (unsigned char)(x >> 24);
    }
}

/* Insert rows [from, to) with blobs of n bytes, in the current transaction. */
static void
insert_rows(sqlite3 *db, int from, int to, size_t n)
{
    unsigned char *b = malloc(n);
    assert_non_null(b);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(id, b) VALUES (?, ?)", -1, &s, NULL),
                     SQLITE_OK);
    for (int i = from; i < to; i++) {
        fill_blob(b, n, i);
        sqlite3_bind_int(s, 1, i);
        sqlite3_bind_blob(s, 2, b, (int)n, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(s), SQLITE_DONE);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    free(b);
}

/* db holds exactly rows [0, count), each with the blob it was given. */
static void
assert_rows(sqlite3 *db, int count, size_t n)
{
    unsigned char *want = malloc(n);
    assert_non_null(want);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, b FROM t ORDER BY id", -1, &s, NULL),
                     SQLITE_OK);
    int i = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        assert_int_equal(sqlite3_column_int(s, 0), i);
        fill_blob(want, n, i);
        assert_int_equal(sqlite3_column_bytes(s, 1), (int)n);
        assert_memory_equal(sqlite3_column_blob(s, 1), want, n);
        i++;
    }
    assert_int_equal(i, count);
    sqlite3_finalize(s);
    free(want);
}

static void
assert_integrity(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
}

static long long
wal_bytes(void)
{
    char p[128];
    snprintf(p, sizeof(p), "%s-wal", db_path);
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

/* Write system calls this process has made so far (/proc/self/io). */
static long long
write_calls(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    assert_non_null(f);
    char line[128];
    long long n = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "syscw: %lld", &n) == 1)
            break;
    fclose(f);
    assert_true(n >= 0);
    return n;
}

/* A commit of ~3 MB of WAL (many times the gathered run) and many small ones, read back by a
 * connection that goes straight to the file. */
static void
test_walbuf__commits_read_back_without_it(void **state)
{
    (void)state;
    sqlite3 *w = open_conn(true);
    exec_ok(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    exec_ok(w, "BEGIN IMMEDIATE");
    insert_rows(w, 0, 2500, 1000);
    exec_ok(w, "COMMIT");
    assert_true(wal_bytes() > 2 * 1024 * 1024);

    sqlite3 *r = open_conn(false);
    assert_rows(r, 2500, 1000);
    for (int i = 2500; i < 2600; i += 10) {
        exec_ok(w, "BEGIN IMMEDIATE");
        insert_rows(w, i, i + 10, 1000);
        exec_ok(w, "COMMIT");
        assert_rows(r, i + 10, 1000);
    }
    assert_integrity(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

/* A cache of 10 pages makes SQLite write pages of the open transaction early and then read
 * them back (its own frames, some still gathered) to rewrite their checksums at commit. */
static void
test_walbuf__spilled_transaction_commits(void **state)
{
    (void)state;
    sqlite3 *w = open_conn(true);
    exec_ok(w, "PRAGMA cache_size=10; PRAGMA cache_spill=10");
    exec_ok(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    exec_ok(w, "CREATE INDEX t_b ON t(b)");
    exec_ok(w, "BEGIN IMMEDIATE");
    insert_rows(w, 0, 400, 700);
    exec_ok(w, "UPDATE t SET b = b WHERE id % 3 = 0");
    exec_ok(w, "COMMIT");
    sqlite3 *r = open_conn(false);
    assert_rows(r, 400, 700);
    assert_integrity(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

/* Rolled back work, whole or to a savepoint, is never seen; what follows commits. A cache of
 * 10 pages makes each transaction write frames before it ends, so there is something of it in
 * the WAL (and in the VFS's buffer) to roll back. */
static void
test_walbuf__rollbacks_leave_nothing(void **state)
{
    (void)state;
    sqlite3 *w = open_conn(true);
    sqlite3 *r = open_conn(false);
    exec_ok(w, "PRAGMA cache_size=10; PRAGMA cache_spill=10");
    exec_ok(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    exec_ok(w, "BEGIN IMMEDIATE");
    insert_rows(w, 0, 300, 1000);
    assert_rows(r, 0, 1000);
    exec_ok(w, "ROLLBACK");
    assert_rows(r, 0, 1000);
    assert_rows(w, 0, 1000);

    exec_ok(w, "BEGIN IMMEDIATE");
    insert_rows(w, 0, 100, 1000);
    exec_ok(w, "SAVEPOINT s");
    insert_rows(w, 100, 400, 1000);
    exec_ok(w, "ROLLBACK TO s");
    exec_ok(w, "RELEASE s");
    exec_ok(w, "COMMIT");
    assert_rows(r, 100, 1000);
    assert_integrity(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

/* A rolled-back transaction's frames must never reach the file after its write lock is gone:
 * another writer (the log integrator's connection, the keys command, any SQLite client) has by
 * then put its own committed frames at the same offsets. Here the first connection spills,
 * rolls back, another commits, and the first then reads; the committed rows must be intact. */
static void
test_walbuf__rolled_back_frames_never_overwrite_a_later_commit(void **state)
{
    (void)state;
    sqlite3 *w = open_conn(true);
    exec_ok(w, "PRAGMA cache_size=10; PRAGMA cache_spill=10");
    exec_ok(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    exec_ok(w, "BEGIN IMMEDIATE");
    insert_rows(w, 0, 20, 1000);
    exec_ok(w, "COMMIT");
    exec_ok(w, "PRAGMA wal_checkpoint(TRUNCATE)"); /* undoing will read nothing from the WAL */
    exec_ok(w, "BEGIN IMMEDIATE");
    exec_ok(w, "DELETE FROM t");
    insert_rows(w, 1000, 1300, 900); /* other rows, other bytes: spilled, then undone */
    exec_ok(w, "ROLLBACK");

    for (int other = 0; other < 2; other++) { /* another process's VFS, then ours */
        sqlite3 *x = open_conn(other == 1);
        exec_ok(x, "BEGIN IMMEDIATE");
        insert_rows(x, 20 + 400 * other, 20 + 400 * (other + 1), 1000);
        exec_ok(x, "COMMIT");
        sqlite3_close(x);
        assert_rows(w, 20 + 400 * (other + 1), 1000); /* the first connection reads */
    }
    sqlite3_close(w);
    sqlite3 *r = open_conn(false);
    assert_rows(r, 820, 1000);
    assert_integrity(r);
    sqlite3_close(r);
}

/* The VFS's reason to be: 600 pages committed in far fewer writes than the two per page SQLite
 * makes without it (measured on the same process, same commit, without it first). */
static void
test_walbuf__commit_is_few_writes(void **state)
{
    (void)state;
    long long calls[2];
    for (int with = 0; with < 2; with++) {
        teardown(NULL);
        setup(NULL);
        sqlite3 *w = open_conn(with == 1);
        exec_ok(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
        exec_ok(w, "BEGIN IMMEDIATE");
        insert_rows(w, 0, 600, 3000);
        long long before = write_calls();
        exec_ok(w, "COMMIT");
        calls[with] = write_calls() - before;
        sqlite3_close(w);
    }
    print_message("# write calls for one 600-page commit: %lld without, %lld with\n", calls[0],
                  calls[1]);
    assert_true(calls[0] >= 1200);
    assert_true(calls[1] * 20 < calls[0]);
}

/* A commit whose writes fail (the file may not grow: RLIMIT_FSIZE) fails with an I/O error,
 * leaves the last committed state for every reader, and the connection then commits again. */
static void
test_walbuf__failed_write_fails_the_commit(void **state)
{
    (void)state;
    sqlite3 *w = open_conn(true);
    exec_ok(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    exec_ok(w, "BEGIN IMMEDIATE");
    insert_rows(w, 0, 10, 1000);
    exec_ok(w, "COMMIT");

    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = old;
    lim.rlim_cur = (rlim_t)wal_bytes() + 64 * 1024;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    exec_ok(w, "BEGIN IMMEDIATE");
    insert_rows(w, 10, 600, 1000);
    int rc = sqlite3_exec(w, "COMMIT", NULL, NULL, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_true((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL);
    if (!sqlite3_get_autocommit(w))
        sqlite3_exec(w, "ROLLBACK", NULL, NULL, NULL);

    sqlite3 *r = open_conn(false);
    assert_rows(r, 10, 1000);
    assert_rows(w, 10, 1000);
    exec_ok(w, "BEGIN IMMEDIATE");
    insert_rows(w, 10, 300, 1000);
    exec_ok(w, "COMMIT");
    assert_rows(r, 300, 1000);
    assert_integrity(r);
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
        cmocka_unit_test_setup_teardown(test_walbuf__commits_read_back_without_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walbuf__spilled_transaction_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walbuf__rollbacks_leave_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_walbuf__rolled_back_frames_never_overwrite_a_later_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walbuf__commit_is_few_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walbuf__failed_write_fails_the_commit, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
