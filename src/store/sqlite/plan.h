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

/* Which query of a list: its total, its page, the one that orders a long run of calls with
 * the same start (taken only when the filter's index does not order by id), or the one that
 * reads the page's calls by rowid (for the filter's fields). */
enum cp_sqlite_list_query {
    CP_SQLITE_LIST_COUNT,
    CP_SQLITE_LIST_PAGE,
    CP_SQLITE_LIST_RUN,
    CP_SQLITE_LIST_ROWS
};

/* Write EXPLAIN QUERY PLAN of that query for f into out, one plan row per line. c must be a
 * SQLite connection. False on error, or for CP_SQLITE_LIST_RUN where f's list has no such
 * query. */
bool cp_sqlite_list_plan(struct cp_store_conn *c, const struct cp_call_filter *f,
                         enum cp_sqlite_list_query which, char *out, size_t n);

#endif
