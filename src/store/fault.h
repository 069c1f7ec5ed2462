/*
 * Fault injection for the store: a table of operations that counts every call on the
 * connections it wraps and makes the Nth one fail, soft (a transient conflict, as SQLITE_BUSY
 * or a PostgreSQL serialization failure would), hard (an I/O error) or full (a hard error whose
 * cause is a full disk), without running it. Everything else goes to the real backend.
 *
 * Used by the fault tests (tests/unit/test_faults.c) to show, for every N a scenario reaches,
 * that soft failures are retried invisibly and hard ones give a clean 5xx with nothing half
 * written. Inert unless cp_store_inject_faults() was called on the store: nothing in the
 * server calls it, and no setting or variable turns it on.
 */
#ifndef CP_STORE_FAULT_H
#define CP_STORE_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum cp_fault_kind { CP_FAULT_OFF, CP_FAULT_SOFT, CP_FAULT_HARD, CP_FAULT_FULL };

/* Wrap a connection's operations (idempotent), or put the real ones back. */
void cp_store_fault_wrap(struct cp_store_conn *c);
void cp_store_fault_unwrap(struct cp_store_conn *c);

/* Reset the call counter; the nth call from now (1-based) fails with kind, once. n <= 0 or
 * CP_FAULT_OFF only counts. Not thread-safe against calls in flight: arm between requests. */
void cp_store_fault_arm(enum cp_fault_kind kind, int64_t n);
/* Calls counted since the last arm, and whether the armed failure has happened. */
int64_t cp_store_fault_calls(void);
bool cp_store_fault_fired(void);
/* Record the name of each counted call from the next arm on: names[i] gets call i + 1's
 * operation (static strings), up to cap calls. NULL stops recording. */
void cp_store_fault_trace(const char **names, size_t cap);
/* The name of the operation that failed (static string), or "" before it fired. */
const char *cp_store_fault_op(void);

#endif
