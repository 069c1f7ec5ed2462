/*
 * The SQLite schema, as numbered migrations. Times are INTEGER milliseconds since the epoch
 * (UTC); hashes are BLOBs; tables whose primary key is not an integer are WITHOUT ROWID so the
 * key is stored once. Tenant ids lead every index, because every query is tenant-scoped.
 */
#include "store/sqlite/migrations.h"

static const char m001_foundation[] =
    "CREATE TABLE tenants (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  name       TEXT NOT NULL UNIQUE,\n"
    "  created_at INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE api_keys (\n"
    "  key_id       TEXT PRIMARY KEY,\n"
    "  tenant_id    INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  scopes       INTEGER NOT NULL,\n"
    "  hash         BLOB NOT NULL,\n"
    "  created_at   INTEGER NOT NULL,\n"
    "  last_used_at INTEGER,\n"
    "  revoked_at   INTEGER\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE idempotency_keys (\n"
    "  tenant_id    INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  idem_key     TEXT NOT NULL,\n"
    "  fingerprint  BLOB NOT NULL,\n"
    "  status       INTEGER NOT NULL,\n"
    "  content_type TEXT NOT NULL,\n"
    "  location     TEXT,\n"
    "  body         BLOB NOT NULL,\n"
    "  created_at   INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, idem_key)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);\n";

const struct cp_sqlite_migration cp_sqlite_migrations[] = {
    {1, "foundation: tenants, api keys, idempotency", m001_foundation},
};

const int cp_sqlite_n_migrations =
    (int)(sizeof(cp_sqlite_migrations) / sizeof(cp_sqlite_migrations[0]));
