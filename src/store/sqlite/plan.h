/*
 * Test hook of the SQLite backend: the query plan of the call list query for a filter, so a
 * test can prove every documented filter is served by an index and never by a full scan.
 * Not part of the store interface (plans are backend-specific by nature).
 */
#ifndef CP_STORE_SQLITE_PLAN_H
#define CP_STORE_SQLITE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* Write EXPLAIN QUERY PLAN of the list (count = false) or count (count = true) query for f
 * into out, one plan row per line. c must be a SQLite connection. False on error. */
bool cp_sqlite_list_plan(struct cp_store_conn *c, const struct cp_call_filter *f, bool count,
                         char *out, size_t n);

#endif
