/*
 * What a backend gives store.c: how to open the database and connections. Private to store/.
 */
#ifndef CP_STORE_BACKEND_H
#define CP_STORE_BACKEND_H

#include "store/store.h"

struct cp_store_backend {
    const char *name;
    bool shares_log; /* several processes may use the database: see store.h's log_lock */
    /* Open/create the database and bring the schema up to date. Returns backend state. */
    void *(*open)(const char *location, int *out_schema_version, struct cp_error *out_err);
    void (*close)(void *state);
    struct cp_store_conn *(*conn_open)(void *state, struct cp_error *out_err);
    void (*conn_close)(struct cp_store_conn *c);
    /* Give back the memory an idle connection keeps for speed (page cache); NULL: none. */
    void (*conn_trim)(struct cp_store_conn *c);
    /* c is now the connection every write batch runs on (the writer thread's), until it is
     * closed: SQLite moves its checkpoints to a thread of its own (sqlite/ckpt.h). NULL: none. */
    void (*conn_writer)(struct cp_store_conn *c);
    /* The backend's own counters into *out (NULL: none). */
    void (*stats)(void *state, struct cp_store_stats *out);
};

extern const struct cp_store_backend cp_store_sqlite_backend;
extern const struct cp_store_backend cp_store_pg_backend;

#endif
