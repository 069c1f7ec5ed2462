/*
 * Test hook of the PostgreSQL backend: the query plan of the call list query for a filter, so a
 * test can prove every documented filter can be served by an index. Not part of the store
 * interface (plans are backend-specific by nature).
 */
#ifndef CP_STORE_PG_PLAN_H
#define CP_STORE_PG_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* Write EXPLAIN of the list (count = false) or count (count = true) query of tenant_id's calls
 * for f, planned with
 * sequential scans disabled (so a plan that still scans the table has no index to use), into
 * out, one plan line per line. c must be a PostgreSQL connection outside a transaction. False on
 * error. */
bool cp_pg_list_plan(struct cp_store_conn *c, int64_t tenant_id, const struct cp_call_filter *f,
                     bool count, char *out, size_t n);

#endif
