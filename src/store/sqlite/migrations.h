/*
 * SQLite schema migrations, numbered from 1 and embedded in the binary. A migration is never
 * edited once released: changes go in a new one. Private to store/sqlite/.
 */
#ifndef CP_STORE_SQLITE_MIGRATIONS_H
#define CP_STORE_SQLITE_MIGRATIONS_H

struct cp_sqlite_migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct cp_sqlite_migration cp_sqlite_migrations[];
extern const int cp_sqlite_n_migrations;

#endif
