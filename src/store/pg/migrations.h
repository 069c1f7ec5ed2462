/*
 * PostgreSQL schema migrations, numbered from 1 and embedded in the binary, with the same
 * numbers and meaning as SQLite's (store/sqlite/migrations.c), so a schema version names the
 * same tables in both backends. A migration is never edited once released: changes go in a
 * new one. Private to store/pg/.
 */
#ifndef CP_STORE_PG_MIGRATIONS_H
#define CP_STORE_PG_MIGRATIONS_H

struct cp_pg_migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct cp_pg_migration cp_pg_migrations[];
extern const int cp_pg_n_migrations;

#endif
