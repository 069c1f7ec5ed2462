/*
 * The SQLite VFS through which the store opens its database: the default VFS, with each WAL
 * file's consecutive writes gathered into one write before a sync (walbuf.c says why and why
 * that keeps every commit's durability).
 */
#ifndef CP_STORE_SQLITE_WALBUF_H
#define CP_STORE_SQLITE_WALBUF_H

#define CP_SQLITE_WALBUF_VFS "cp-walbuf"

/*
 * Register the VFS under CP_SQLITE_WALBUF_VFS (not as the default), wrapping the default VFS of
 * the moment. Call once, before opening a database with it. Returns SQLITE_OK or SQLite's error.
 */
int cp_sqlite_walbuf_register(void);

#endif
