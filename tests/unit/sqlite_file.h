/*
 * A SQLite database file of a unit test's own, in a fresh temporary directory (included by the
 * tests that open SQLite directly, beside the store). setup/teardown are cmocka fixtures.
 */
#ifndef CP_TEST_SQLITE_FILE_H
#define CP_TEST_SQLITE_FILE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

static char dir[64];
static char db_path[96];
static char wal_path[112];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/cp_sqlite_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db_path, sizeof(db_path), "%s/t.db", dir);
    snprintf(wal_path, sizeof(wal_path), "%s-wal", db_path);
    return 0;
}

/* The database, its WAL and shared memory, and the directory. */
static int
teardown(void **state)
{
    (void)state;
    const char *suffix[] = {"", "-wal", "-shm"};
    char p[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", db_path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static void
exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

#endif
