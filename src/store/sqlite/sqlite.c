/*
 * The SQLite backend of the store.
 *
 * Durability settings are not negotiable: WAL with synchronous=FULL (a commit is fsync'd to the
 * WAL before it returns, so a 2xx survives power loss on storage that honours flushes), a busy
 * timeout (Debian's default is 0: every contended write would fail at once), foreign keys on,
 * and BEGIN IMMEDIATE for writes, so no statement inside a write transaction can fail with
 * SQLITE_BUSY on a lock upgrade. Each connection re-checks `synchronous` after setting it and
 * refuses to run if SQLite did not accept FULL.
 *
 * Statements are prepared once per connection and cached (enum stmt_id indexes the cache).
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "store/backend.h"
#include "store/sqlite/ckpt.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/plan.h"
#include "store/sqlite/walbuf.h"

#define BUSY_TIMEOUT_MS 5000
/*
 * The commit that takes the WAL past this many pages copies them into the database file
 * (SQLite's automatic checkpoint, default 1,000: 4 MB). Creates dirty ~15 pages each, mostly
 * leaves of the ten call indexes at random places, so a larger WAL holds more changes to the
 * same page between copies, and the writer stops to checkpoint 8x less often. Measured (quick
 * runs, `wrk -c64 -d10s` creates, alternated): on a 100,000-call store 2,522-2,920 -> 4,786-4,796
 * creates/s at 8,000 pages, writer CPU per create 0.19-0.20 -> 0.13-0.14 ms, p50 23-26 -> 10 ms
 * (p99 51-131 -> 67-71 ms: each checkpoint is longer); 4,000 pages gave 3,626-3,838/s, 16,000
 * the same as 8,000 with p99 85-87 ms. The WAL file stays at its largest (~32 MB) once grown.
 */
#define WAL_AUTOCHECKPOINT_PAGES "8000"
/*
 * Dirty pages a write transaction may hold before SQLite writes some to the WAL early (default:
 * the cache size, 2 MB = ~500 pages, shared with the clean pages a batch reads). A batch of
 * creates dirties ~300 pages; a spill mid-batch makes the commit rewrite the page it spilled
 * and then re-read every frame written after it to recompute the WAL checksums (one read and
 * one 24-byte write per frame: in one second of a create load, 1,571 of each). 16 MB, only while
 * a transaction is that large; readers never hold dirty pages.
 */
#define CACHE_SPILL_PAGES "4096"

enum stmt_id {
    /* Transaction control, prepared once like the rest (sqlite3_exec parses on every call). */
    ST_BEGIN,
    ST_BEGIN_IMMEDIATE,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_TENANT_INSERT,
    ST_TENANT_GET,
    ST_KEY_INSERT,
    ST_KEY_GET,
    ST_KEY_LIST,
    ST_KEY_REVOKE,
    ST_KEY_TOUCH,
    ST_KEY_COUNT,
    ST_IDEM_GET,
    ST_IDEM_PUT,
    ST_IDEM_PURGE,
    ST_CALL_INSERT,
    ST_CALL_GET,
    ST_CALL_UPDATE,
    ST_REC_GET,
    ST_REC_UPSERT,
    ST_REC_SET_AUDIO,
    ST_REC_LIST,
    ST_CONSENT_INSERT,
    ST_CONSENT_GET,
    ST_CONSENT_LIST,
    ST_CONSENT_REVOKE,
    ST_CONSENT_REVOKE_ALL,
    ST_REV_INSERT,
    ST_REV_LIST,
    ST_DECISION_INSERT,
    ST_BUNDLE_INSERT,
    ST_BUNDLE_SIGN,
    ST_BUNDLE_GET,
    ST_BUNDLE_LATEST,
    ST_BUNDLE_SUCCESSOR,
    ST_LOG_SIZE,
    ST_NODE_GET,
    ST_NODE_PUT,
    ST_LEAF_PUT,
    ST_CKPT_PUT,
    ST_CKPT_LATEST,
    ST_CKPT_GET,
    ST_BUNDLE_RETENTION,
    ST_BUNDLE_DELETE,
    ST_CALL_DELETE_RECORDINGS,
    ST_CALL_DELETE,
    ST_CALL_COUNT_ADD,
    ST_CALL_COUNT_NEW,
    ST_CALLS_BY_ROWIDS,
    ST_CALLS_CC_BY_ROWIDS,
    ST_CALL_ID_BY_ROWID,
    ST__COUNT
};

/* Column order shared by call insert and select; bind_call/read_call follow it. */
#define CALL_COLS                                                                                  \
    "id, external_id, direction, status, outcome, type, from_number, to_number, user_id, "         \
    "agent_id, phone_number_id, agent_name, campaign_id, started_at, ended_at, duration_s, "       \
    "talk_time_s, transcript, turns_json, recording_url, recording_available, analysis_json, "     \
    "latency_json, costs_json, metadata_json, telephony_provider, telephony_id, human_detection, " \
    "do_not_call_result, hipaa_compliant, on_no_human_answer, error_message, created_at, "         \
    "updated_at, epa_json, state"

/* The CALL_COLS the contact-center object shows (CP_CALL_FIELDS_CC), in CALL_COLS order;
 * CC_COLUMN says where each CALL_COLS column sits in it (-1: not selected, read_call leaves
 * the field unset). Selecting only these, rather than NULL in place of the others, spares
 * SQLite 19 result columns and read_call 19 column reads per row (callgrind, a page of 50:
 * 1.30M instructions with NULLs, 1.20M without). test_store's list contract test reads every shown
 * field back through both, and cc_map_ok checks the map on each connection's first contact-center
 * page. */
#define CALL_COLS_CC                                                                               \
    "id, external_id, direction, status, outcome, from_number, to_number, campaign_id, "           \
    "started_at, ended_at, duration_s, talk_time_s, turns_json, recording_available, "             \
    "created_at, updated_at, epa_json"
enum { CALL_NCOLS = 36, CALL_CC_NCOLS = 17 };
static const signed char CC_COLUMN[CALL_NCOLS] = {
    0,  1,  2,  3,  4,  -1, 5,  6,  -1, -1, -1, -1, 7,  8,  9,  10, 11, -1,
    12, -1, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 14, 15, 16, -1,
};

/* A list page reads its calls LIST_ROWS_MAX at a time (ST_CALLS_BY_ROWIDS): ?2..?51; the
 * rowid is the statement's last column. */
#define LIST_ROWS_MAX 50
#define ROWID_PARAMS                                                                               \
    "?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,"                                                             \
    "?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,"                                                     \
    "?22,?23,?24,?25,?26,?27,?28,?29,?30,?31,"                                                     \
    "?32,?33,?34,?35,?36,?37,?38,?39,?40,?41,"                                                     \
    "?42,?43,?44,?45,?46,?47,?48,?49,?50,?51"

#define REC_COLS                                                                                   \
    "tenant_id, call_id, recording_id, recording_url, duration_s, transcription_id, "              \
    "transcription_status, started_at, ended_at, metadata_json, content_type, size_bytes, "        \
    "sha256, file_name, created_at, updated_at"

#define CONSENT_COLS                                                                               \
    "tenant_id, id, phone, calling_entity, type, scope, valid, captured_at, record, signature, "   \
    "key_id, revoked_at, revocation_id, created_at, record_sha256"

#define BUNDLE_COLS                                                                                \
    "id, tenant_id, call_id, bytes, signature, key_id, leaf_index, score, retention_until, "       \
    "supersedes, sealed_at"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT job",
    [ST_RELEASE] = "RELEASE job",
    [ST_ROLLBACK_TO] = "ROLLBACK TO job",
    [ST_TENANT_INSERT] = "INSERT INTO tenants(name, created_at) VALUES (?1, ?2) "
                         "ON CONFLICT(name) DO NOTHING",
    [ST_TENANT_GET] = "SELECT id FROM tenants WHERE name = ?1",
    [ST_KEY_INSERT] = "INSERT INTO api_keys(key_id, tenant_id, scopes, hash, created_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(key_id) DO NOTHING",
    [ST_KEY_GET] = "SELECT k.tenant_id, t.name, k.scopes, k.hash, k.created_at, "
                   "k.last_used_at, k.revoked_at FROM api_keys k JOIN tenants t "
                   "ON t.id = k.tenant_id WHERE k.key_id = ?1",
    [ST_KEY_LIST] = "SELECT k.key_id, k.tenant_id, t.name, k.scopes, k.created_at, "
                    "k.last_used_at, k.revoked_at FROM api_keys k JOIN tenants t "
                    "ON t.id = k.tenant_id ORDER BY k.created_at, k.key_id",
    [ST_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = ?2 WHERE key_id = ?1 "
                      "AND revoked_at IS NULL",
    [ST_KEY_TOUCH] = "UPDATE api_keys SET last_used_at = ?2 WHERE key_id = ?1 "
                     "AND (last_used_at IS NULL OR last_used_at < ?3)",
    [ST_KEY_COUNT] = "SELECT count(*) FROM api_keys",
    [ST_IDEM_GET] = "SELECT fingerprint, status, content_type, location, body, created_at "
                    "FROM idempotency_keys WHERE tenant_id = ?1 AND idem_key = ?2 "
                    "AND created_at >= ?3",
    [ST_IDEM_PUT] =
        "INSERT INTO idempotency_keys(tenant_id, idem_key, fingerprint, "
        "status, content_type, location, body, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT(tenant_id, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, "
        "status = excluded.status, content_type = excluded.content_type, "
        "location = excluded.location, body = excluded.body, "
        "created_at = excluded.created_at WHERE idempotency_keys.created_at < ?9",
    [ST_IDEM_PURGE] = "DELETE FROM idempotency_keys WHERE created_at < ?1",
    [ST_CALL_INSERT] =
        "INSERT INTO calls(tenant_id, " CALL_COLS
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
        "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, "
        "?36, ?37) "
        "ON CONFLICT DO NOTHING",
    [ST_CALL_UPDATE] =
        "UPDATE OR IGNORE calls SET external_id = ?3, direction = ?4, status = ?5, outcome = ?6, "
        "type = ?7, from_number = ?8, to_number = ?9, user_id = ?10, agent_id = ?11, "
        "phone_number_id = ?12, agent_name = ?13, campaign_id = ?14, started_at = ?15, ended_at = "
        "?16, duration_s = ?17, talk_time_s = ?18, transcript = ?19, turns_json = ?20, "
        "recording_url = ?21, recording_available = ?22, analysis_json = ?23, latency_json = ?24, "
        "costs_json = ?25, metadata_json = ?26, telephony_provider = ?27, telephony_id = ?28, "
        "human_detection = ?29, do_not_call_result = ?30, hipaa_compliant = ?31, "
        "on_no_human_answer = ?32, error_message = ?33, updated_at = ?35, epa_json = ?36, state = "
        "?37 WHERE tenant_id = ?1 AND id = ?2",
    [ST_REC_GET] = "SELECT " REC_COLS " FROM recordings WHERE tenant_id = ?1 AND call_id = ?2 "
                   "AND recording_id = ?3",
    [ST_REC_UPSERT] =
        "INSERT INTO recordings(tenant_id, call_id, recording_id, recording_url, duration_s, "
        "transcription_id, transcription_status, started_at, ended_at, metadata_json, "
        "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
        "ON CONFLICT(tenant_id, call_id, recording_id) DO UPDATE SET "
        "recording_url = excluded.recording_url, duration_s = excluded.duration_s, "
        "transcription_id = excluded.transcription_id, "
        "transcription_status = excluded.transcription_status, started_at = excluded.started_at, "
        "ended_at = excluded.ended_at, metadata_json = excluded.metadata_json, "
        "updated_at = excluded.updated_at",
    [ST_REC_SET_AUDIO] = "UPDATE recordings SET content_type = ?4, size_bytes = ?5, sha256 = ?6, "
                         "file_name = ?7, duration_s = coalesce(?8, duration_s), updated_at = ?9 "
                         "WHERE tenant_id = ?1 AND call_id = ?2 AND recording_id = ?3 "
                         "AND sha256 IS NULL",
    [ST_REC_LIST] = "SELECT " REC_COLS " FROM recordings WHERE tenant_id = ?1 AND call_id = ?2 "
                    "ORDER BY created_at, recording_id",
    [ST_CONSENT_INSERT] = "INSERT INTO consents(tenant_id, id, phone, calling_entity, type, scope, "
                          "valid, captured_at, record, signature, key_id, created_at, "
                          "record_sha256) VALUES "
                          "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                          "ON CONFLICT DO NOTHING",
    [ST_CONSENT_GET] = "SELECT " CONSENT_COLS " FROM consents WHERE tenant_id = ?1 AND id = ?2",
    [ST_CONSENT_LIST] = "SELECT " CONSENT_COLS " FROM consents WHERE tenant_id = ?1 AND phone = ?2 "
                        "ORDER BY captured_at DESC, id DESC",
    [ST_CONSENT_REVOKE] = "UPDATE consents SET revoked_at = ?4, revocation_id = ?5 "
                          "WHERE tenant_id = ?1 AND phone = ?2 "
                          "AND calling_entity = ?3 COLLATE NOCASE AND captured_at <= ?4 "
                          "AND revoked_at IS NULL",
    [ST_CONSENT_REVOKE_ALL] = "UPDATE consents SET revoked_at = ?4, revocation_id = ?5 "
                              "WHERE tenant_id = ?1 AND phone = ?2 AND ?3 IS NULL "
                              "AND captured_at <= ?4 AND revoked_at IS NULL",
    [ST_REV_INSERT] = "INSERT INTO revocations(tenant_id, id, phone, calling_entity, scope_all, "
                      "trigger_kind, revoked_at, honor_by, call_id, transcript, created_at) VALUES "
                      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_REV_LIST] = "SELECT tenant_id, id, phone, calling_entity, scope_all, trigger_kind, "
                    "revoked_at, honor_by, call_id, transcript, created_at FROM revocations "
                    "WHERE tenant_id = ?1 AND phone = ?2 ORDER BY revoked_at DESC, id DESC",
    [ST_DECISION_INSERT] = "INSERT INTO precall_decisions(tenant_id, id, phone, allowed, reason, "
                           "consent_id, inputs, result, created_at) VALUES "
                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_BUNDLE_INSERT] = "INSERT INTO bundles(id, tenant_id, call_id, bytes, signature, key_id, "
                         "leaf_index, score, retention_until, supersedes, sealed_at) VALUES "
                         "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
    [ST_BUNDLE_SIGN] = "UPDATE bundles SET signature = ?4 WHERE leaf_index = ?1 AND id = ?2 AND "
                       "signature = '' AND bytes = ?3",
    [ST_BUNDLE_GET] = "SELECT " BUNDLE_COLS " FROM bundles WHERE id = ?1",
    [ST_BUNDLE_LATEST] = "SELECT " BUNDLE_COLS " FROM bundles WHERE tenant_id = ?1 AND "
                         "call_id = ?2 ORDER BY sealed_at DESC, leaf_index DESC LIMIT 1",
    [ST_BUNDLE_SUCCESSOR] = "SELECT id FROM bundles WHERE supersedes = ?1 "
                            "ORDER BY leaf_index LIMIT 1",
    [ST_LOG_SIZE] = "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves",
    [ST_NODE_GET] = "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2",
    [ST_NODE_PUT] = "INSERT INTO log_nodes(level, idx, hash) VALUES (?1, ?2, ?3)",
    [ST_LEAF_PUT] = "INSERT INTO log_leaves(idx, bundle_id) VALUES (?1, ?2)",
    [ST_CKPT_PUT] = "INSERT INTO log_checkpoints(size, root, note, created_at) VALUES "
                    "(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    [ST_CKPT_LATEST] = "SELECT size, root, note, created_at FROM log_checkpoints "
                       "ORDER BY size DESC LIMIT 1",
    [ST_CKPT_GET] = "SELECT size, root, note, created_at FROM log_checkpoints WHERE size = ?1",
    [ST_BUNDLE_RETENTION] = "SELECT coalesce(max(retention_until), 0) FROM bundles "
                            "WHERE tenant_id = ?1 AND call_id = ?2",
    [ST_BUNDLE_DELETE] = "DELETE FROM bundles WHERE tenant_id = ?1 AND id = ?2",
    [ST_CALL_DELETE_RECORDINGS] = "DELETE FROM recordings WHERE tenant_id = ?1 AND call_id = ?2",
    [ST_CALL_DELETE] = "DELETE FROM calls WHERE tenant_id = ?1 AND id = ?2",
    /* The call's row of call_counts moves by ?3 (see count_call). */
    [ST_CALL_COUNT_ADD] =
        "INSERT INTO call_counts SELECT tenant_id, state, coalesce(direction, ''), "
        "coalesce(outcome, ''), coalesce(campaign_id, ''), ?3 FROM calls "
        "WHERE tenant_id = ?1 AND id = ?2 ON CONFLICT DO UPDATE SET n = n + excluded.n",
    /* A new call's row of call_counts, from the values its insert bound (see count_new). */
    [ST_CALL_COUNT_NEW] = "INSERT INTO call_counts VALUES (?1, ?2, coalesce(?3, ''), "
                          "coalesce(?4, ''), coalesce(?5, ''), 1) "
                          "ON CONFLICT DO UPDATE SET n = n + 1",
    /* By server id first, then by the tenant's external id: both are unique per tenant. */
    [ST_CALL_GET] = "SELECT " CALL_COLS " FROM calls WHERE tenant_id = ?1 AND id = ?2 "
                    "UNION ALL SELECT " CALL_COLS " FROM calls WHERE tenant_id = ?1 "
                    "AND external_id = ?2 AND id <> ?2 LIMIT 1",
    /* A page of the list's calls, up to LIST_ROWS_MAX at once (read_rows); NOT INDEXED, or
     * the planner walks the tenant's calls through (tenant_id, id) instead of the rowids. */
    [ST_CALLS_BY_ROWIDS] = "SELECT " CALL_COLS ", rowid FROM calls NOT INDEXED "
                           "WHERE tenant_id = ?1 AND rowid IN (" ROWID_PARAMS ")",
    [ST_CALLS_CC_BY_ROWIDS] = "SELECT " CALL_COLS_CC ", rowid FROM calls NOT INDEXED "
                              "WHERE tenant_id = ?1 AND rowid IN (" ROWID_PARAMS ")",
    [ST_CALL_ID_BY_ROWID] = "SELECT id FROM calls WHERE rowid = ?1",
};

/* Writers of this process never wait in SQLite's busy handler (which sleeps in growing steps,
 * up to 100 ms, and under load turned into seconds of tail latency): cp_store_run queues them
 * and only the group-commit leader begins a write transaction. Other processes (callproof keys)
 * meet the busy timeout. */
struct sq_state {
    char *path;
    struct cp_sqlite_ckpt *ckpt; /* the writer's checkpoints (sq_conn_writer), or NULL */
};

/* Filters of call_list, as bits: one cached statement per combination. */
enum {
    LF_CAMPAIGN = 1 << 0,
    LF_STATE = 1 << 1,
    LF_DIRECTION = 1 << 2,
    LF_FROM = 1 << 3,
    LF_TO = 1 << 4,
    LF_PHONE = 1 << 5,
    LF_OUTCOME = 1 << 6,
    LF__COMBOS = 1 << 7,
};

/* The statements of a list (see list_stmt). */
enum list_kind {
    LK_COUNT, /* the total */
    LK_PAGE,  /* the page's rowids in order, when SQLite orders them without a sorter */
    LK_SCAN,  /* every rowid and started_at, newest first: runs of equal starts unordered */
    LK_TIES,  /* the rowids of one run of equal starts, by id, a slice of it */
    LK__COUNT
};

struct sq_conn {
    struct cp_store_conn head; /* must be first */
    struct sq_state *st;
    sqlite3 *db;
    sqlite3_stmt *stmts[ST__COUNT];
    sqlite3_stmt *list_stmts[LK__COUNT][LF__COMBOS];
    bool in_txn;
    bool cc_map_checked; /* cc_map_ok held for this connection's ST_CALLS_CC_BY_ROWIDS */
};

static const struct cp_store_ops sq_ops;

static struct sq_conn *
sq(struct cp_store_conn *c)
{
    return (struct sq_conn *)c;
}

/* Map an SQLite result code to a query status; logs hard errors (with SQL context, which
 * stays in the log and never reaches a client). */
static enum cp_qs
qs_from_rc(struct sq_conn *c, int rc, const char *what)
{
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return CP_QS_SOFT;
    if (primary == SQLITE_FULL ||
        (primary == SQLITE_IOERR && sqlite3_system_errno(c->db) == ENOSPC))
        c->head.cause = CP_CAUSE_FULL;
    cp_log(CP_LOG_ERROR, "sqlite: %s: %s (rc=%d)", what, sqlite3_errmsg(c->db), rc);
    return CP_QS_HARD;
}

static sqlite3_stmt *
stmt(struct sq_conn *c, enum stmt_id id)
{
    sqlite3_stmt *s = c->stmts[id];
    if (s == NULL) {
        int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
        if (rc != SQLITE_OK) {
            cp_log(CP_LOG_ERROR, "sqlite: prepare %d: %s", (int)id, sqlite3_errmsg(c->db));
            return NULL;
        }
        c->stmts[id] = s;
    }
    return s;
}

static void
done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Step a prepared, bound statement that answers one integer row (an aggregate): ONE with it in
 * *out, or the error. */
static enum cp_qs
step_int64(struct sq_conn *c, sqlite3_stmt *s, const char *what, int64_t *out)
{
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_ONE;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        qs = qs_from_rc(c, rc, what);
    done(s);
    return qs;
}

/* Step a statement expected to produce no row; returns ONE if it changed rows, else NONE. */
static enum cp_qs
exec_change(struct sq_conn *c, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    enum cp_qs qs;
    if (rc == SQLITE_DONE)
        qs = sqlite3_changes(c->db) > 0 ? CP_QS_ONE : CP_QS_NONE;
    else
        qs = qs_from_rc(c, rc, what);
    done(s);
    return qs;
}

static int
exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        cp_log(CP_LOG_ERROR, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return rc;
}

static sqlite3 *
open_db(const char *path, struct cp_error *out_err)
{
    sqlite3 *db = NULL;
    int rc =
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        CP_SQLITE_WALBUF_VFS);
    if (rc != SQLITE_OK) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database", "Cannot open SQLite database %s: %s",
                     path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if (exec_sql(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                     "PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=" WAL_AUTOCHECKPOINT_PAGES
                     "; PRAGMA cache_spill=" CACHE_SPILL_PAGES ";") != SQLITE_OK) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "Cannot configure SQLite database %s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    /* Refuse to run with weaker durability than promised (OWASP API8: unsafe config). */
    sqlite3_stmt *s = NULL;
    int sync = -1;
    char mode[16] = "";
    if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        sync = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (sync < 2 || strcmp(mode, "wal") != 0) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "SQLite at %s refused WAL + synchronous=FULL (got %s, %d); not starting.",
                     path, mode, sync);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static int
schema_version(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Apply pending migrations, each in its own IMMEDIATE transaction (so two processes starting
 * at once serialise on the write lock and the second sees the first's work). */
static bool
migrate(sqlite3 *db, const char *path, int *out_version, struct cp_error *out_err)
{
    if (exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "applied_at INTEGER NOT NULL)") != SQLITE_OK) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "Cannot create schema_migrations in %s.", path);
        return false;
    }
    /* Migrations that rebuild a table (drop, rename) need foreign keys off, which only works
     * outside a transaction; they are checked once all are applied. */
    if (exec_sql(db, "PRAGMA foreign_keys=OFF") != SQLITE_OK)
        goto fail;
    int latest = cp_sqlite_migrations[cp_sqlite_n_migrations - 1].version;
    for (int i = 0; i < cp_sqlite_n_migrations; i++) {
        const struct cp_sqlite_migration *m = &cp_sqlite_migrations[i];
        if (exec_sql(db, "BEGIN IMMEDIATE") != SQLITE_OK)
            goto fail;
        int v = schema_version(db);
        if (v < 0) {
            exec_sql(db, "ROLLBACK");
            goto fail;
        }
        if (v > latest) {
            exec_sql(db, "ROLLBACK");
            cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                         "The database %s has schema version %d, newer than this callproof "
                         "knows (%d). Upgrade callproof; refusing to start.",
                         path, v, latest);
            return false;
        }
        if (v >= m->version) {
            exec_sql(db, "ROLLBACK");
            continue;
        }
        sqlite3_stmt *rec = NULL;
        bool ok = exec_sql(db, m->sql) == SQLITE_OK &&
                  sqlite3_prepare_v2(db,
                                     "INSERT INTO schema_migrations(version, name, applied_at) "
                                     "VALUES (?1, ?2, CAST(strftime('%s','now') AS INTEGER) * "
                                     "1000)",
                                     -1, &rec, NULL) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_int(rec, 1, m->version);
            sqlite3_bind_text(rec, 2, m->name, -1, SQLITE_STATIC);
            ok = sqlite3_step(rec) == SQLITE_DONE;
        }
        sqlite3_finalize(rec);
        if (!ok || exec_sql(db, "COMMIT") != SQLITE_OK) {
            exec_sql(db, "ROLLBACK");
            goto fail;
        }
        cp_log(CP_LOG_INFO, "store: applied migration %d (%s)", m->version, m->name);
    }
    sqlite3_stmt *fk = NULL;
    bool fk_ok = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &fk, NULL) == SQLITE_OK &&
                 sqlite3_step(fk) == SQLITE_DONE;
    sqlite3_finalize(fk);
    if (!fk_ok || exec_sql(db, "PRAGMA foreign_keys=ON") != SQLITE_OK) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "SQLite database %s fails its foreign key check after migrating.", path);
        return false;
    }
    *out_version = schema_version(db);
    return *out_version >= 0;
fail:
    cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database", "Cannot migrate SQLite database %s: %s",
                 path, sqlite3_errmsg(db));
    return false;
}

/*
 * Process-wide settings, before SQLite initialises. Memory statistics off: with them SQLite
 * takes one global mutex around every allocation, which every connection's thread then
 * contends for (futex calls on every GET).
 */
static void
configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* Registration only fails without memory (SQLite's mutex or a NULL default VFS); a
     * pthread_once cannot return an error to sq_open, so that ends the process. */
    int rc = cp_sqlite_walbuf_register();
    if (rc != SQLITE_OK)
        cp_die("sqlite: cannot register the %s VFS: %s", CP_SQLITE_WALBUF_VFS, sqlite3_errstr(rc));
}

static void *
sq_open(const char *location, int *out_schema_version, struct cp_error *out_err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    sqlite3 *db = open_db(location, out_err);
    if (db == NULL)
        return NULL;
    bool ok = migrate(db, location, out_schema_version, out_err);
    sqlite3_close(db);
    if (!ok)
        return NULL;
    struct sq_state *st = calloc(1, sizeof(*st));
    if (st == NULL || (st->path = strdup(location)) == NULL)
        cp_die("out of memory");
    return st;
}

static void
sq_close(void *state)
{
    struct sq_state *st = state;
    cp_sqlite_ckpt_stop(st->ckpt); /* the store closed the writer connection, its hook's user */
    free(st->path);
    free(st);
}

static struct cp_store_conn *
sq_conn_open(void *state, struct cp_error *out_err)
{
    struct sq_state *st = state;
    sqlite3 *db = open_db(st->path, out_err);
    if (db == NULL)
        return NULL;
    struct sq_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        cp_die("out of memory");
    c->head.ops = &sq_ops;
    c->st = st;
    c->db = db;
    return &c->head;
}

/* Each connection keeps up to cache_size (2 MB) of pages; idle, they are only memory. */
static void
sq_conn_trim(struct cp_store_conn *cc)
{
    sqlite3_db_release_memory(sq(cc)->db);
}

/* The writer's checkpoints go to a thread of their own (sqlite/ckpt.h), on a connection of its
 * own; if that cannot be opened, the writer keeps SQLite's automatic checkpoint. */
static void
sq_conn_writer(struct cp_store_conn *cc)
{
    struct sq_conn *c = sq(cc);
    if (c->st->ckpt != NULL)
        return;
    struct cp_error err;
    sqlite3 *own = open_db(c->st->path, &err);
    if (own == NULL) {
        cp_log(CP_LOG_WARN, "sqlite: no checkpointing thread (%s); the writer checkpoints",
               err.message);
        return;
    }
    c->st->ckpt = cp_sqlite_ckpt_start(c->db, own);
}

static void
sq_stats(void *state, struct cp_store_stats *out)
{
    struct sq_state *st = state;
    if (st->ckpt == NULL)
        return;
    struct cp_sqlite_ckpt_stats k;
    cp_sqlite_ckpt_stats(st->ckpt, &k);
    out->ckpt_passes = k.passes;
    out->ckpt_finishes = k.finishes;
    out->ckpt_hard = k.hard;
}

static void
sq_conn_close(struct cp_store_conn *cc)
{
    struct sq_conn *c = sq(cc);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    for (int k = 0; k < LK__COUNT; k++)
        for (int i = 0; i < LF__COMBOS; i++)
            sqlite3_finalize(c->list_stmts[k][i]);
    sqlite3_close(c->db);
    free(c);
}

/* ---- transactions ---- */

/* Run a cached transaction-control statement: SQLITE_OK or the error. */
static int
ctl(struct sq_conn *c, enum stmt_id id)
{
    sqlite3_stmt *s = stmt(c, id);
    if (s == NULL)
        return SQLITE_ERROR;
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static enum cp_qs
sq_begin(struct cp_store_conn *cc, bool write)
{
    struct sq_conn *c = sq(cc);
    CP_ASSERT(!c->in_txn);
    int rc = ctl(c, write ? ST_BEGIN_IMMEDIATE : ST_BEGIN);
    if (rc != SQLITE_OK)
        return qs_from_rc(c, rc, "begin");
    c->in_txn = true;
    return CP_QS_ONE;
}

static enum cp_qs
sq_commit(struct cp_store_conn *cc)
{
    struct sq_conn *c = sq(cc);
    int rc = ctl(c, ST_COMMIT);
    if (rc != SQLITE_OK)
        return qs_from_rc(c, rc, "commit"); /* caller rolls back */
    c->in_txn = false;
    return CP_QS_ONE;
}

static void
sq_rollback(struct cp_store_conn *cc)
{
    struct sq_conn *c = sq(cc);
    /* Always issue ROLLBACK after an error: SQLite may or may not have rolled back already
     * (lang_transaction "Response To Errors"); autocommit tells us which. */
    if (!sqlite3_get_autocommit(c->db))
        ctl(c, ST_ROLLBACK);
    c->in_txn = false;
}

/* Savepoints of group commit: never nested, so one name does. */
static enum cp_qs
sq_savepoint(struct cp_store_conn *cc)
{
    struct sq_conn *c = sq(cc);
    CP_ASSERT(c->in_txn);
    int rc = ctl(c, ST_SAVEPOINT);
    return rc == SQLITE_OK ? CP_QS_ONE : qs_from_rc(c, rc, "savepoint");
}

static enum cp_qs
sq_savepoint_release(struct cp_store_conn *cc)
{
    struct sq_conn *c = sq(cc);
    int rc = ctl(c, ST_RELEASE);
    return rc == SQLITE_OK ? CP_QS_ONE : qs_from_rc(c, rc, "release savepoint");
}

static enum cp_qs
sq_savepoint_rollback(struct cp_store_conn *cc)
{
    struct sq_conn *c = sq(cc);
    /* After some errors SQLite has already rolled the whole transaction back: then the
     * savepoint is gone and so is everything else of the batch. */
    if (sqlite3_get_autocommit(c->db))
        return qs_from_rc(c, SQLITE_ABORT, "savepoint lost with its transaction");
    int rc = ctl(c, ST_ROLLBACK_TO);
    if (rc == SQLITE_OK)
        rc = ctl(c, ST_RELEASE);
    return rc == SQLITE_OK ? CP_QS_ONE : qs_from_rc(c, rc, "rollback to savepoint");
}

/* ---- tenants ---- */

static enum cp_qs
sq_tenant_ensure(struct cp_store_conn *cc, const char *name, int64_t now_ms, int64_t *out_id)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_TENANT_INSERT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now_ms);
    enum cp_qs created = exec_change(c, s, "tenant insert");
    if (created < 0)
        return created;
    s = stmt(c, ST_TENANT_GET);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    enum cp_qs qs = created;
    if (rc == SQLITE_ROW)
        *out_id = sqlite3_column_int64(s, 0);
    else
        qs = rc == SQLITE_DONE ? CP_QS_HARD : qs_from_rc(c, rc, "tenant get");
    done(s);
    return qs;
}

/* ---- api keys ---- */

static enum cp_qs
sq_key_insert(struct cp_store_conn *cc, const struct cp_key_row *row)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_KEY_INSERT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_text(s, 1, row->key_id.s, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, row->tenant_id);
    sqlite3_bind_int64(s, 3, row->scopes);
    sqlite3_bind_blob(s, 4, row->hash.b, sizeof(row->hash.b), SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, row->created_ms);
    return exec_change(c, s, "key insert");
}

static void
copy_text(char *dst, size_t n, const unsigned char *src)
{
    snprintf(dst, n, "%s", src ? (const char *)src : "");
}

static enum cp_qs
sq_key_get(struct cp_store_conn *cc, const struct cp_key_id *id, struct cp_key_row *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_KEY_GET);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_text(s, 1, id->s, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_NONE;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->key_id = *id;
        out->tenant_id = sqlite3_column_int64(s, 0);
        copy_text(out->tenant_name, sizeof(out->tenant_name), sqlite3_column_text(s, 1));
        out->scopes = (uint32_t)sqlite3_column_int64(s, 2);
        if (sqlite3_column_bytes(s, 3) == (int)sizeof(out->hash.b))
            memcpy(out->hash.b, sqlite3_column_blob(s, 3), sizeof(out->hash.b));
        out->created_ms = sqlite3_column_int64(s, 4);
        out->last_used_ms = sqlite3_column_int64(s, 5);
        out->revoked_ms = sqlite3_column_int64(s, 6);
        qs = CP_QS_ONE;
    } else if (rc != SQLITE_DONE) {
        qs = qs_from_rc(c, rc, "key get");
    }
    done(s);
    return qs;
}

static enum cp_qs
sq_key_list(struct cp_store_conn *cc, cp_key_list_cb cb, void *cls)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_KEY_LIST);
    if (s == NULL)
        return CP_QS_HARD;
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct cp_key_row row;
        memset(&row, 0, sizeof(row));
        copy_text(row.key_id.s, sizeof(row.key_id.s), sqlite3_column_text(s, 0));
        row.tenant_id = sqlite3_column_int64(s, 1);
        copy_text(row.tenant_name, sizeof(row.tenant_name), sqlite3_column_text(s, 2));
        row.scopes = (uint32_t)sqlite3_column_int64(s, 3);
        row.created_ms = sqlite3_column_int64(s, 4);
        row.last_used_ms = sqlite3_column_int64(s, 5);
        row.revoked_ms = sqlite3_column_int64(s, 6);
        cb(cls, &row);
        n++;
    }
    enum cp_qs qs = rc == SQLITE_DONE ? (enum cp_qs)n : qs_from_rc(c, rc, "key list");
    done(s);
    return qs;
}

static enum cp_qs
sq_key_revoke(struct cp_store_conn *cc, const struct cp_key_id *id, int64_t now_ms)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_KEY_REVOKE);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_text(s, 1, id->s, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now_ms);
    return exec_change(c, s, "key revoke");
}

static enum cp_qs
sq_key_touch(struct cp_store_conn *cc, const struct cp_key_id *id, int64_t now_ms,
             int64_t granularity_ms)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_KEY_TOUCH);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_text(s, 1, id->s, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now_ms);
    sqlite3_bind_int64(s, 3, now_ms - granularity_ms);
    return exec_change(c, s, "key touch");
}

static enum cp_qs
sq_key_count(struct cp_store_conn *cc, int64_t *out_n)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_KEY_COUNT);
    if (s == NULL)
        return CP_QS_HARD;
    return step_int64(c, s, "key count", out_n);
}

/* ---- idempotency ---- */

static enum cp_qs
sq_idem_get(struct cp_store_conn *cc, int64_t tenant_id, const char *key, int64_t not_before_ms,
            struct cp_arena *arena, struct cp_idem_row *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_IDEM_GET);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, not_before_ms);
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_NONE;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        if (sqlite3_column_bytes(s, 0) == (int)sizeof(out->fingerprint.b))
            memcpy(out->fingerprint.b, sqlite3_column_blob(s, 0), sizeof(out->fingerprint.b));
        out->status = (unsigned)sqlite3_column_int(s, 1);
        out->content_type = cp_arena_strdup(arena, (const char *)sqlite3_column_text(s, 2));
        out->location = cp_arena_strdup(arena, (const char *)sqlite3_column_text(s, 3));
        size_t n = (size_t)sqlite3_column_bytes(s, 4);
        out->body = cp_arena_strndup(arena, n ? sqlite3_column_blob(s, 4) : "", n);
        out->body_len = n;
        out->created_ms = sqlite3_column_int64(s, 5);
        qs = CP_QS_ONE;
    } else if (rc != SQLITE_DONE) {
        qs = qs_from_rc(c, rc, "idempotency get");
    }
    done(s);
    return qs;
}

static enum cp_qs
sq_idem_put(struct cp_store_conn *cc, int64_t tenant_id, const char *key,
            const struct cp_idem_row *row, int64_t not_before_ms)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_IDEM_PUT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, row->fingerprint.b, sizeof(row->fingerprint.b), SQLITE_STATIC);
    sqlite3_bind_int(s, 4, (int)row->status);
    sqlite3_bind_text(s, 5, row->content_type, -1, SQLITE_STATIC);
    if (row->location != NULL)
        sqlite3_bind_text(s, 6, row->location, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 7, row->body_len ? row->body : "", (int)row->body_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, row->created_ms);
    sqlite3_bind_int64(s, 9, not_before_ms);
    return exec_change(c, s, "idempotency put");
}

static enum cp_qs
sq_idem_purge(struct cp_store_conn *cc, int64_t before_ms, int64_t *out_n)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_IDEM_PURGE);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, before_ms);
    enum cp_qs qs = exec_change(c, s, "idempotency purge");
    *out_n = sqlite3_changes(c->db);
    return qs < 0 ? qs : CP_QS_ONE;
}

/* ---- calls ---- */

static void
bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void
bind_int_or_null(sqlite3_stmt *s, int i, int64_t v, int64_t unset)
{
    if (v != unset)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

/* Bind the CALL_COLS columns starting at parameter `first`. */
static void
bind_call(sqlite3_stmt *s, int first, const struct cp_call *c)
{
    int i = first;
    bind_text_or_null(s, i++, c->id);
    bind_text_or_null(s, i++, c->external_id);
    bind_text_or_null(s, i++, cp_direction_name(c->direction));
    bind_text_or_null(s, i++, cp_status_name(c->status));
    bind_text_or_null(s, i++, cp_outcome_name(c->outcome));
    bind_text_or_null(s, i++, c->type);
    bind_text_or_null(s, i++, c->from_number);
    bind_text_or_null(s, i++, c->to_number);
    bind_text_or_null(s, i++, c->user_id);
    bind_text_or_null(s, i++, c->agent_id);
    bind_text_or_null(s, i++, c->phone_number_id);
    bind_text_or_null(s, i++, c->agent_name);
    bind_text_or_null(s, i++, c->campaign_id);
    bind_int_or_null(s, i++, c->started_ms, 0);
    bind_int_or_null(s, i++, c->ended_ms, 0);
    bind_int_or_null(s, i++, c->duration_s, -1);
    bind_int_or_null(s, i++, c->talk_time_s, -1);
    bind_text_or_null(s, i++, c->transcript);
    bind_text_or_null(s, i++, c->turns_json);
    bind_text_or_null(s, i++, c->recording_url);
    sqlite3_bind_int(s, i++, c->recording_available);
    bind_text_or_null(s, i++, c->analysis_json);
    bind_text_or_null(s, i++, c->latency_metrics_json);
    bind_text_or_null(s, i++, c->costs_json);
    bind_text_or_null(s, i++, c->metadata_json);
    bind_text_or_null(s, i++, c->telephony_provider);
    bind_text_or_null(s, i++, c->telephony_id);
    bind_text_or_null(s, i++, c->human_detection_result);
    bind_int_or_null(s, i++, (int64_t)c->do_not_call_result, CP_TRI_UNSET);
    sqlite3_bind_int(s, i++, c->hipaa_compliant);
    bind_text_or_null(s, i++, c->on_no_human_answer);
    bind_text_or_null(s, i++, c->error_message);
    sqlite3_bind_int64(s, i++, c->created_ms);
    sqlite3_bind_int64(s, i++, c->updated_ms);
    bind_text_or_null(s, i++, c->epa_json);
    sqlite3_bind_text(s, i++, cp_state_name(cp_call_state(c)), -1, SQLITE_STATIC);
}

/* Column i of the current row as arena text, or NULL for SQL NULL; i < 0 (a column the
 * statement does not select, see read_call's map) is NULL too. */
static const char *
col_text(sqlite3_stmt *s, int i, struct cp_arena *a)
{
    if (i < 0)
        return NULL;
    const unsigned char *t = sqlite3_column_text(s, i);
    if (t == NULL) { /* NULL; else SQLite ran out of memory, or the value is empty */
        if (sqlite3_column_type(s, i) == SQLITE_NULL)
            return NULL;
        if (sqlite3_errcode(sqlite3_db_handle(s)) == SQLITE_NOMEM)
            cp_die("out of memory"); /* never read a value as NULL */
        return cp_arena_strndup(a, "", 0);
    }
    return cp_arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

/* Column i as an integer, or unset for SQL NULL or i < 0 (as col_text). */
static int64_t
col_int(sqlite3_stmt *s, int i, int64_t unset)
{
    if (i < 0 || sqlite3_column_type(s, i) == SQLITE_NULL)
        return unset;
    return sqlite3_column_int64(s, i);
}

/* Read the CALL_COLS columns of the current row: column k of CALL_COLS is the statement's
 * column map[k] (map NULL: k itself; -1: not selected, the field stays as cp_call_init left
 * it). */
static void
read_call(sqlite3_stmt *s, const signed char *map, struct cp_arena *a, struct cp_call *c)
{
    cp_call_init(c);
    int k = 0;
#define AT() (map != NULL ? map[k++] : k++)
#define TEXT() col_text(s, AT(), a)
#define INT(unset) col_int(s, AT(), unset)
    const char *v;
    int at = AT(); /* id: NOT NULL, a UUID */
    const unsigned char *id = sqlite3_column_text(s, at);
    size_t n = (size_t)sqlite3_column_bytes(s, at);
    if (id == NULL && sqlite3_errcode(sqlite3_db_handle(s)) == SQLITE_NOMEM)
        cp_die("out of memory");
    if (CP_BUG(id == NULL || n >= sizeof(c->id)))
        n = 0;
    memcpy(c->id, id != NULL ? (const char *)id : "", n);
    c->id[n] = '\0';
    c->external_id = TEXT();
    if ((v = TEXT()) != NULL)
        cp_direction_parse(v, &c->direction);
    if ((v = TEXT()) != NULL)
        cp_status_parse(v, &c->status);
    if ((v = TEXT()) != NULL)
        cp_outcome_parse(v, &c->outcome);
    c->type = TEXT();
    c->from_number = TEXT();
    c->to_number = TEXT();
    c->user_id = TEXT();
    c->agent_id = TEXT();
    c->phone_number_id = TEXT();
    c->agent_name = TEXT();
    c->campaign_id = TEXT();
    c->started_ms = INT(0);
    c->ended_ms = INT(0);
    c->duration_s = INT(-1);
    c->talk_time_s = INT(-1);
    c->transcript = TEXT();
    c->turns_json = TEXT();
    c->recording_url = TEXT();
    c->recording_available = INT(0) != 0;
    c->analysis_json = TEXT();
    c->latency_metrics_json = TEXT();
    c->costs_json = TEXT();
    c->metadata_json = TEXT();
    c->telephony_provider = TEXT();
    c->telephony_id = TEXT();
    c->human_detection_result = TEXT();
    c->do_not_call_result = (enum cp_tristate)INT(CP_TRI_UNSET);
    c->hipaa_compliant = INT(0) != 0;
    c->on_no_human_answer = TEXT();
    c->error_message = TEXT();
    c->created_ms = INT(0);
    c->updated_ms = INT(0);
    c->epa_json = TEXT();
    /* state (the last column) is derived from status and outcome; nothing to read */
    CP_ASSERT(k == CALL_NCOLS - 1);
#undef AT
#undef TEXT
#undef INT
}

/* CC_COLUMN maps each of the statement's CALL_CC_NCOLS columns exactly once, to the
 * CALL_COLS column of the same name (checked on a connection's first contact-center page). */
static bool
cc_map_ok(sqlite3_stmt *cc, sqlite3_stmt *all)
{
    if (sqlite3_column_count(cc) != CALL_CC_NCOLS + 1) /* and the rowid */
        return false;
    bool seen[CALL_CC_NCOLS] = {false};
    for (int k = 0; k < CALL_NCOLS; k++) {
        int at = CC_COLUMN[k];
        if (at < 0)
            continue;
        if (at >= CALL_CC_NCOLS || seen[at] ||
            strcmp(sqlite3_column_name(cc, at), sqlite3_column_name(all, k)) != 0)
            return false;
        seen[at] = true;
    }
    for (int i = 0; i < CALL_CC_NCOLS; i++)
        if (!seen[i])
            return false;
    return true;
}

/*
 * Adds delta to the call_counts row (migration 8) of call id as it is now in the table; no
 * row, no change. The store keeps the counts with its own statements instead of triggers
 * (migration 10): a statement that fires a trigger writes every page it touches to a
 * statement journal first, and with ten indexes on calls that was ~20 KB per created call.
 */
static enum cp_qs
count_call(struct sq_conn *c, int64_t tenant_id, const char *id, int delta)
{
    sqlite3_stmt *s = stmt(c, ST_CALL_COUNT_ADD);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, delta);
    enum cp_qs qs = exec_change(c, s, "call count");
    return qs < 0 ? qs : CP_QS_ONE;
}

/* count_call(+1) for a call just inserted, without reading its row back: the counted columns
 * bound as bind_call bound them. */
static enum cp_qs
count_new(struct sq_conn *c, const struct cp_call *call)
{
    sqlite3_stmt *s = stmt(c, ST_CALL_COUNT_NEW);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, call->tenant_id);
    sqlite3_bind_text(s, 2, cp_state_name(cp_call_state(call)), -1, SQLITE_STATIC);
    bind_text_or_null(s, 3, cp_direction_name(call->direction));
    bind_text_or_null(s, 4, cp_outcome_name(call->outcome));
    bind_text_or_null(s, 5, call->campaign_id);
    enum cp_qs qs = exec_change(c, s, "call count");
    return qs < 0 ? qs : CP_QS_ONE;
}

static enum cp_qs
sq_call_insert(struct cp_store_conn *cc, const struct cp_call *call)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_CALL_INSERT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, call->tenant_id);
    bind_call(s, 2, call);
    enum cp_qs qs = exec_change(c, s, "call insert");
    if (qs == CP_QS_ONE) {
        enum cp_qs cq = count_new(c, call);
        if (cq < 0)
            return cq;
    }
    return qs;
}

static enum cp_qs
sq_call_get(struct cp_store_conn *cc, int64_t tenant_id, const char *id_or_external,
            struct cp_arena *arena, struct cp_call *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_CALL_GET);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, id_or_external, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_NONE;
    if (rc == SQLITE_ROW) {
        read_call(s, NULL, arena, out);
        out->tenant_id = tenant_id;
        qs = CP_QS_ONE;
    } else if (rc != SQLITE_DONE) {
        qs = qs_from_rc(c, rc, "call get");
    }
    done(s);
    return qs;
}

static enum cp_qs
sq_call_update(struct cp_store_conn *cc, const struct cp_call *call)
{
    struct sq_conn *c = sq(cc);
    /* The count leaves the call's old row and joins its new one (the same row, or nothing if
     * the update matches no call or is ignored). */
    enum cp_qs qs = count_call(c, call->tenant_id, call->id, -1);
    if (qs < 0)
        return qs;
    sqlite3_stmt *s = stmt(c, ST_CALL_UPDATE);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, call->tenant_id);
    bind_call(s, 2, call);
    qs = exec_change(c, s, "call update");
    if (qs < 0)
        return qs;
    enum cp_qs cq = count_call(c, call->tenant_id, call->id, 1);
    return cq < 0 ? cq : qs;
}

/*
 * The list query for one combination of filters. Each filter has an index led by
 * (tenant_id, column, started_at); the query names the index of the most selective filter
 * present (INDEXED BY), so the plan never depends on table statistics: without them SQLite
 * sometimes walks the tenant's whole primary key for two equality filters. Phone matches
 * either number: the rowids of both phone indexes, and the calls read by rowid (NOT INDEXED:
 * asked for rowids alone, the planner preferred walking the tenant's whole calls_started, which
 * holds every column such a query names, and probing the phone's few rowids for each call).
 * The other filters are checked per row; the page is read in index order when the index ends
 * in started_at.
 *
 * The order is started_at DESC, id DESC. The queries yield rowids only; sq_call_list then
 * reads each call of the page by rowid, in the same read transaction. calls_started ends in
 * (started_at, id), so SQLite reads a page of it in order (LK_PAGE); phone sorts its few
 * matches (LK_PAGE too). The other indexes end in started_at alone: asked for id as well,
 * SQLite orders each run of equal started_at in a temporary b-tree, cleared between runs, for
 * every row. So it is asked for started_at order only (LK_SCAN, from the index alone when the
 * filters are all in it), and sq_call_list orders the runs of equal starts by id itself
 * (list_page). callgrind, the bench's list (state and direction, 50 calls): 2.87M
 * instructions per page with every column through the sorter, 2.65M with rowids through it,
 * 2.21M without it.
 */
static const char *
list_index(unsigned bits)
{
    if (bits & LF_PHONE)
        return " NOT INDEXED"; /* rowid lookups of the calls the phone indexes give */
    if (bits & LF_CAMPAIGN)
        return " INDEXED BY calls_campaign";
    if ((bits & LF_STATE) && (bits & LF_DIRECTION))
        return " INDEXED BY calls_state_dir"; /* the contact-center list: count from the index */
    if (bits & LF_STATE)
        return " INDEXED BY calls_state";
    if (bits & LF_OUTCOME)
        return " INDEXED BY calls_outcome";
    if (bits & LF_DIRECTION)
        return " INDEXED BY calls_direction";
    return " INDEXED BY calls_started";
}

/* True when the index the filters use ends in started_at but not id (see list_index). */
static bool
list_scans(unsigned bits)
{
    return !(bits & LF_PHONE) && (bits & (LF_CAMPAIGN | LF_STATE | LF_DIRECTION | LF_OUTCOME));
}

static sqlite3_stmt *
list_stmt(struct sq_conn *c, unsigned bits, enum list_kind kind)
{
    sqlite3_stmt **slot = &c->list_stmts[kind][bits];
    if (*slot != NULL)
        return *slot;
    char sql[2048];
    int n;
    if (kind == LK_COUNT && !(bits & (LF_PHONE | LF_FROM | LF_TO))) {
        /* Only equality filters: the total is a sum of call_counts rows (migration 7). */
        n = snprintf(sql, sizeof(sql),
                     "SELECT coalesce(sum(n), 0) FROM call_counts WHERE tenant_id = ?1%s%s%s%s",
                     (bits & LF_CAMPAIGN) ? " AND campaign_id = ?2" : "",
                     (bits & LF_STATE) ? " AND state = ?3" : "",
                     (bits & LF_DIRECTION) ? " AND direction = ?4" : "",
                     (bits & LF_OUTCOME) ? " AND outcome = ?6" : "");
        goto prepare;
    }
    n = snprintf(sql, sizeof(sql), "SELECT %s FROM calls%s WHERE tenant_id = ?1",
                 kind == LK_COUNT  ? "count(*)"
                 : kind == LK_SCAN ? "rowid, started_at"
                                   : "rowid",
                 list_index(bits));
    static const struct {
        unsigned bit;
        const char *cond;
    } conds[] = {
        {LF_CAMPAIGN, " AND campaign_id = ?2"},
        {LF_STATE, " AND state = ?3"},
        {LF_DIRECTION, " AND direction = ?4"},
        {LF_OUTCOME, " AND outcome = ?6"},
        {LF_PHONE, " AND rowid IN (SELECT rowid FROM calls INDEXED BY calls_from WHERE"
                   " tenant_id = ?1 AND from_number = ?5 UNION SELECT rowid FROM calls INDEXED BY"
                   " calls_to WHERE tenant_id = ?1 AND to_number = ?5)"},
        /* Date bounds only when given: "started_at >= 0" would drop calls without a start. */
        {LF_FROM, " AND started_at >= ?7"},
        {LF_TO, " AND started_at <= ?8"},
    };
    /* A run's query takes no date bounds: its start is inside them, and given a range on
     * started_at SQLite searched the index from the bound instead of at the start. */
    unsigned used = kind == LK_TIES ? bits & ~(LF_FROM | LF_TO) : bits;
    for (size_t i = 0; i < CP_ARRAY_LEN(conds); i++)
        if (used & conds[i].bit)
            n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s", conds[i].cond);
    if (kind == LK_PAGE)
        snprintf(sql + n, sizeof(sql) - (size_t)n,
                 " ORDER BY started_at DESC, id DESC LIMIT ?9 OFFSET ?10");
    else if (kind == LK_SCAN)
        snprintf(sql + n, sizeof(sql) - (size_t)n, " ORDER BY started_at DESC");
    else if (kind == LK_TIES)
        snprintf(sql + n, sizeof(sql) - (size_t)n,
                 " AND started_at IS ?11 ORDER BY id DESC LIMIT ?9 OFFSET ?10");
prepare:
    (void)n;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
        cp_log(CP_LOG_ERROR, "sqlite: prepare list: %s", sqlite3_errmsg(c->db));
        *slot = NULL;
    }
    return *slot;
}

static void
bind_filter(sqlite3_stmt *s, int64_t tenant_id, const struct cp_call_filter *f, unsigned bits)
{
    sqlite3_bind_int64(s, 1, tenant_id);
    if (bits & LF_CAMPAIGN)
        sqlite3_bind_text(s, 2, f->campaign_id, -1, SQLITE_STATIC);
    if (bits & LF_STATE)
        sqlite3_bind_text(s, 3, cp_state_name(f->state), -1, SQLITE_STATIC);
    if (bits & LF_DIRECTION)
        sqlite3_bind_text(s, 4, cp_direction_name(f->direction), -1, SQLITE_STATIC);
    if (bits & LF_PHONE)
        sqlite3_bind_text(s, 5, f->phone, -1, SQLITE_STATIC);
    if (bits & LF_OUTCOME)
        sqlite3_bind_text(s, 6, cp_outcome_name(f->outcome), -1, SQLITE_STATIC);
    if (bits & LF_FROM)
        sqlite3_bind_int64(s, 7, f->date_from_ms);
    if (bits & LF_TO)
        sqlite3_bind_int64(s, 8, f->date_to_ms);
}

static unsigned
filter_bits(const struct cp_call_filter *f)
{
    return (f->campaign_id ? LF_CAMPAIGN : 0) | (f->has_state ? LF_STATE : 0) |
           (f->direction != CP_DIR_NONE ? LF_DIRECTION : 0) | (f->date_from_ms != 0 ? LF_FROM : 0) |
           (f->date_to_ms != 0 ? LF_TO : 0) | (f->phone ? LF_PHONE : 0) |
           (f->outcome != CP_OUT_NONE ? LF_OUTCOME : 0);
}

bool
cp_sqlite_list_plan(struct cp_store_conn *cc, const struct cp_call_filter *f,
                    enum cp_sqlite_list_query which, char *out, size_t n)
{
    struct sq_conn *c = sq(cc);
    unsigned bits = filter_bits(f);
    if (which == CP_SQLITE_LIST_RUN && !list_scans(bits))
        return false;
    sqlite3_stmt *s;
    if (which == CP_SQLITE_LIST_ROWS)
        s = stmt(c, f->fields == CP_CALL_FIELDS_CC ? ST_CALLS_CC_BY_ROWIDS : ST_CALLS_BY_ROWIDS);
    else
        s = list_stmt(c, bits,
                      which == CP_SQLITE_LIST_COUNT ? LK_COUNT
                      : which == CP_SQLITE_LIST_RUN ? LK_TIES
                      : list_scans(bits)            ? LK_SCAN
                                                    : LK_PAGE);
    if (s == NULL)
        return false;
    char *sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(s));
    sqlite3_stmt *plan = NULL;
    bool ok = sqlite3_prepare_v2(c->db, sql, -1, &plan, NULL) == SQLITE_OK;
    sqlite3_free(sql);
    size_t used = 0;
    out[0] = '\0';
    while (ok && sqlite3_step(plan) == SQLITE_ROW) {
        int w = snprintf(out + used, n - used, "%s\n", (const char *)sqlite3_column_text(plan, 3));
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
    sqlite3_finalize(plan);
    return ok;
}

/* A run of calls with the same started_at longer than this is ordered by SQLite (LK_TIES). */
#define LIST_RUN_MAX 64

struct run_id {
    int64_t rowid;
    const char *id;
};

static int
run_id_desc(const void *a, const void *b)
{
    return strcmp(((const struct run_id *)b)->id, ((const struct run_id *)a)->id);
}

/* A list page being read: the positions [lo, hi) of the list order it holds, and the rowids of
 * those found so far, in order. */
struct list_window {
    int64_t lo, hi;
    int64_t *rowids;
    size_t n;
};

/* One run of calls with the same started_at (start_null, or start_ms) as it left the scan. */
struct list_run {
    bool start_null;
    int64_t start_ms;
    int64_t pos;                     /* its first position in the list */
    int64_t n;                       /* its length */
    struct run_id ids[LIST_RUN_MAX]; /* its first min(n, LIST_RUN_MAX) calls, unordered */
};

/* Append the calls of run r that fall in the page to w, in the run's order (id DESC). */
static enum cp_qs
list_run(struct sq_conn *c, int64_t tenant_id, const struct cp_call_filter *f, unsigned bits,
         struct list_run *r, struct list_window *w)
{
    int64_t from = w->lo > r->pos ? w->lo - r->pos : 0; /* positions in the run */
    int64_t to = w->hi < r->pos + r->n ? w->hi - r->pos : r->n;
    if (from >= to)
        return CP_QS_ONE;
    if (r->n == 1) {
        w->rowids[w->n++] = r->ids[0].rowid;
        return CP_QS_ONE;
    }
    if (r->n <= LIST_RUN_MAX) {
        sqlite3_stmt *s = stmt(c, ST_CALL_ID_BY_ROWID);
        if (s == NULL)
            return CP_QS_HARD;
        char text[LIST_RUN_MAX][CP_UUID_LEN + 1];
        for (int64_t i = 0; i < r->n; i++) {
            sqlite3_bind_int64(s, 1, r->ids[i].rowid);
            int rc = sqlite3_step(s);
            if (rc != SQLITE_ROW) { /* the scan just gave this rowid, in this transaction */
                enum cp_qs qs = rc == SQLITE_DONE ? CP_QS_HARD : qs_from_rc(c, rc, "call list");
                done(s);
                return qs;
            }
            snprintf(text[i], sizeof(text[i]), "%s", (const char *)sqlite3_column_text(s, 0));
            r->ids[i].id = text[i];
            done(s);
        }
        qsort(r->ids, (size_t)r->n, sizeof(r->ids[0]), run_id_desc);
        for (int64_t i = from; i < to; i++)
            w->rowids[w->n++] = r->ids[i].rowid;
        return CP_QS_ONE;
    }
    /* A long run (calls never started, or imported with one start time): SQLite sorts it. */
    sqlite3_stmt *s = list_stmt(c, bits, LK_TIES);
    if (s == NULL)
        return CP_QS_HARD;
    bind_filter(s, tenant_id, f, bits & ~(LF_FROM | LF_TO));
    if (r->start_null)
        sqlite3_bind_null(s, 11);
    else
        sqlite3_bind_int64(s, 11, r->start_ms);
    sqlite3_bind_int64(s, 9, to - from);
    sqlite3_bind_int64(s, 10, from);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        w->rowids[w->n++] = sqlite3_column_int64(s, 0);
    enum cp_qs qs = rc == SQLITE_DONE ? CP_QS_ONE : qs_from_rc(c, rc, "call list");
    done(s);
    return qs;
}

/* The rowids of the page w->lo..w->hi in list order, from LK_SCAN. */
static enum cp_qs
list_page(struct sq_conn *c, int64_t tenant_id, const struct cp_call_filter *f, unsigned bits,
          struct list_window *w)
{
    sqlite3_stmt *s = list_stmt(c, bits, LK_SCAN);
    if (s == NULL)
        return CP_QS_HARD;
    bind_filter(s, tenant_id, f, bits);
    struct list_run r = {.n = 0};
    enum cp_qs qs = CP_QS_ONE;
    for (;;) {
        int rc = sqlite3_step(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            qs = qs_from_rc(c, rc, "call list");
            break;
        }
        bool row = rc == SQLITE_ROW;
        bool null = row && sqlite3_column_type(s, 1) == SQLITE_NULL;
        int64_t ms = row && !null ? sqlite3_column_int64(s, 1) : 0;
        if (row && r.n > 0 && null == r.start_null && ms == r.start_ms) {
            if (r.n < LIST_RUN_MAX)
                r.ids[r.n].rowid = sqlite3_column_int64(s, 0);
            r.n++;
            continue;
        }
        if (r.n > 0) { /* the run ended: its part of the page, if any */
            qs = list_run(c, tenant_id, f, bits, &r, w);
            r.pos += r.n;
            if (qs < 0 || r.pos >= w->hi)
                break;
        }
        if (!row)
            break;
        r.start_null = null;
        r.start_ms = ms;
        r.ids[0].rowid = sqlite3_column_int64(s, 0);
        r.n = 1;
    }
    done(s);
    return qs;
}

/*
 * The calls of rowids[0..n) (n <= LIST_ROWS_MAX) into out[0..n), in that order, with one
 * statement: one statement per call reset each time, and a reset frees the buffers SQLite
 * copies each text column into, so every row paid ten mallocs and frees besides the reset
 * itself (callgrind, a page of 50: 1.45M -> 1.32M instructions). Rows come back in rowid order;
 * each goes to its place. A rowid the page query just gave that is not found is an error.
 */
static enum cp_qs
read_rows(struct sq_conn *c, int64_t tenant_id, enum cp_call_fields fields, const int64_t *rowids,
          size_t n, struct cp_arena *arena, struct cp_call *out)
{
    CP_ASSERT(n <= LIST_ROWS_MAX);
    bool cc = fields == CP_CALL_FIELDS_CC;
    sqlite3_stmt *s = stmt(c, cc ? ST_CALLS_CC_BY_ROWIDS : ST_CALLS_BY_ROWIDS);
    if (s == NULL)
        return CP_QS_HARD;
    if (cc && !c->cc_map_checked) {
        sqlite3_stmt *all = stmt(c, ST_CALLS_BY_ROWIDS);
        if (all == NULL || CP_BUG(!cc_map_ok(s, all)))
            return CP_QS_HARD;
        c->cc_map_checked = true;
    }
    sqlite3_bind_int64(s, 1, tenant_id);
    for (size_t i = 0; i < LIST_ROWS_MAX; i++) {
        if (i < n)
            sqlite3_bind_int64(s, (int)i + 2, rowids[i]);
        else
            sqlite3_bind_null(s, (int)i + 2); /* matches no rowid */
    }
    size_t found = 0;
    int rc;
    int last = sqlite3_column_count(s) - 1;
    enum cp_qs qs = CP_QS_ONE;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t rowid = sqlite3_column_int64(s, last);
        size_t at = 0;
        while (at < n && rowids[at] != rowid)
            at++;
        if (CP_BUG(at == n)) { /* a rowid not asked for */
            qs = CP_QS_HARD;
            break;
        }
        read_call(s, cc ? CC_COLUMN : NULL, arena, &out[at]);
        out[at].tenant_id = tenant_id;
        found++;
    }
    if (qs >= 0 && rc != SQLITE_DONE)
        qs = qs_from_rc(c, rc, "call list");
    else if (qs >= 0 && CP_BUG(found != n)) /* the page query gave them, in this transaction */
        qs = CP_QS_HARD;
    done(s);
    return qs;
}

static enum cp_qs
sq_call_list(struct cp_store_conn *cc, int64_t tenant_id, const struct cp_call_filter *f,
             struct cp_arena *arena, struct cp_call **out_items, size_t *out_n, int64_t *out_total)
{
    struct sq_conn *c = sq(cc);
    /* The page's rowids are read back by rowid: only within one transaction are they the same
     * calls (a rowid table's rowids can be reused after a delete). */
    CP_ASSERT(c->in_txn);
    CP_ASSERT(f->limit > 0 && f->offset >= 0 && f->offset <= INT64_MAX - f->limit);
    unsigned bits = filter_bits(f);
    sqlite3_stmt *s = list_stmt(c, bits, LK_COUNT);
    if (s == NULL)
        return CP_QS_HARD;
    bind_filter(s, tenant_id, f, bits);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        enum cp_qs qs = qs_from_rc(c, rc, "call count");
        done(s);
        return qs;
    }
    *out_total = sqlite3_column_int64(s, 0);
    done(s);

    size_t cap = (size_t)f->limit;
    struct list_window w = {.lo = f->offset,
                            .hi = f->offset + f->limit,
                            .rowids = cp_arena_alloc(arena, cap * sizeof(int64_t))};
    enum cp_qs qs = CP_QS_ONE;
    if (list_scans(bits)) {
        qs = list_page(c, tenant_id, f, bits, &w);
    } else {
        s = list_stmt(c, bits, LK_PAGE);
        if (s == NULL)
            return CP_QS_HARD;
        bind_filter(s, tenant_id, f, bits);
        sqlite3_bind_int64(s, 9, f->limit);
        sqlite3_bind_int64(s, 10, f->offset);
        while (w.n < cap && (rc = sqlite3_step(s)) == SQLITE_ROW)
            w.rowids[w.n++] = sqlite3_column_int64(s, 0);
        if (w.n < cap && rc != SQLITE_DONE)
            qs = qs_from_rc(c, rc, "call list");
        done(s);
    }
    if (qs < 0)
        return qs;

    struct cp_call *items = cp_arena_alloc(arena, cap * sizeof(*items));
    for (size_t from = 0; from < w.n && qs >= 0; from += LIST_ROWS_MAX)
        qs =
            read_rows(c, tenant_id, f->fields, w.rowids + from,
                      w.n - from < LIST_ROWS_MAX ? w.n - from : LIST_ROWS_MAX, arena, items + from);
    if (qs < 0)
        return qs;
    *out_items = items;
    *out_n = w.n;
    return qs;
}

/* ---- recordings ---- */

static void
read_recording(sqlite3_stmt *s, struct cp_arena *a, struct cp_recording *r)
{
    memset(r, 0, sizeof(*r));
    r->tenant_id = sqlite3_column_int64(s, 0);
    snprintf(r->call_id, sizeof(r->call_id), "%s", (const char *)sqlite3_column_text(s, 1));
    r->recording_id = col_text(s, 2, a);
    r->recording_url = col_text(s, 3, a);
    r->duration_s = col_int(s, 4, -1);
    r->transcription_id = col_text(s, 5, a);
    r->transcription_status = col_text(s, 6, a);
    r->started_ms = col_int(s, 7, 0);
    r->ended_ms = col_int(s, 8, 0);
    r->metadata_json = col_text(s, 9, a);
    r->content_type = col_text(s, 10, a);
    r->size_bytes = col_int(s, 11, -1);
    r->has_audio = sqlite3_column_bytes(s, 12) == (int)sizeof(r->sha256.b);
    if (r->has_audio)
        memcpy(r->sha256.b, sqlite3_column_blob(s, 12), sizeof(r->sha256.b));
    r->file_name = col_text(s, 13, a);
    r->created_ms = col_int(s, 14, 0);
    r->updated_ms = col_int(s, 15, 0);
}

static enum cp_qs
sq_recording_get(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id,
                 const char *recording_id, struct cp_arena *arena, struct cp_recording *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_REC_GET);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, call_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, recording_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_NONE;
    if (rc == SQLITE_ROW) {
        read_recording(s, arena, out);
        qs = CP_QS_ONE;
    } else if (rc != SQLITE_DONE) {
        qs = qs_from_rc(c, rc, "recording get");
    }
    done(s);
    return qs;
}

static enum cp_qs
sq_recording_upsert(struct cp_store_conn *cc, const struct cp_recording *r)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_REC_UPSERT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, r->tenant_id);
    sqlite3_bind_text(s, 2, r->call_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, r->recording_id, -1, SQLITE_STATIC);
    bind_text_or_null(s, 4, r->recording_url);
    bind_int_or_null(s, 5, r->duration_s, -1);
    bind_text_or_null(s, 6, r->transcription_id);
    bind_text_or_null(s, 7, r->transcription_status);
    bind_int_or_null(s, 8, r->started_ms, 0);
    bind_int_or_null(s, 9, r->ended_ms, 0);
    bind_text_or_null(s, 10, r->metadata_json);
    sqlite3_bind_int64(s, 11, r->created_ms);
    sqlite3_bind_int64(s, 12, r->updated_ms);
    enum cp_qs qs = exec_change(c, s, "recording upsert");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

static enum cp_qs
sq_recording_set_audio(struct cp_store_conn *cc, const struct cp_recording *r)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_REC_SET_AUDIO);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, r->tenant_id);
    sqlite3_bind_text(s, 2, r->call_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, r->recording_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, r->content_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, r->size_bytes);
    sqlite3_bind_blob(s, 6, r->sha256.b, sizeof(r->sha256.b), SQLITE_STATIC);
    sqlite3_bind_text(s, 7, r->file_name, -1, SQLITE_STATIC);
    bind_int_or_null(s, 8, r->duration_s, -1);
    sqlite3_bind_int64(s, 9, r->updated_ms);
    return exec_change(c, s, "recording set audio");
}

static enum cp_qs
sq_recording_list(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id,
                  struct cp_arena *arena, struct cp_recording **out_items, size_t *out_n)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_REC_LIST);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, call_id, -1, SQLITE_STATIC);
    size_t n = 0, cap = 8;
    struct cp_recording *items = cp_arena_alloc(arena, cap * sizeof(*items));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            struct cp_recording *bigger = cp_arena_alloc(arena, 2 * cap * sizeof(*items));
            memcpy(bigger, items, n * sizeof(*items));
            items = bigger;
            cap *= 2;
        }
        read_recording(s, arena, &items[n++]);
    }
    enum cp_qs qs = rc == SQLITE_DONE ? CP_QS_ONE : qs_from_rc(c, rc, "recording list");
    done(s);
    *out_items = items;
    *out_n = n;
    return qs;
}

/* ---- consents, revocations, decisions ---- */

static void
read_consent(sqlite3_stmt *s, struct cp_arena *a, struct cp_consent *c)
{
    memset(c, 0, sizeof(*c));
    c->tenant_id = sqlite3_column_int64(s, 0);
    snprintf(c->id, sizeof(c->id), "%s", (const char *)sqlite3_column_text(s, 1));
    c->phone = col_text(s, 2, a);
    c->calling_entity = col_text(s, 3, a);
    c->type = col_text(s, 4, a);
    c->scope = col_text(s, 5, a);
    c->valid = sqlite3_column_int(s, 6) != 0;
    c->captured_ms = col_int(s, 7, 0);
    c->record = col_text(s, 8, a);
    c->signature = col_text(s, 9, a);
    c->key_id = col_text(s, 10, a);
    c->revoked_ms = col_int(s, 11, 0);
    c->revocation_id = col_text(s, 12, a);
    c->created_ms = col_int(s, 13, 0);
    c->record_sha256 = col_text(s, 14, a);
}

static enum cp_qs
sq_consent_insert(struct cp_store_conn *cc, const struct cp_consent *x)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_CONSENT_INSERT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, x->tenant_id);
    sqlite3_bind_text(s, 2, x->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, x->phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, x->calling_entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, x->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, x->scope, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 7, x->valid);
    sqlite3_bind_int64(s, 8, x->captured_ms);
    sqlite3_bind_text(s, 9, x->record, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, x->signature, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, x->key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 12, x->created_ms);
    sqlite3_bind_text(s, 13, x->record_sha256, -1, SQLITE_STATIC); /* NULL binds NULL */
    return exec_change(c, s, "consent insert");
}

static enum cp_qs
sq_consent_get(struct cp_store_conn *cc, int64_t tenant_id, const char *id, struct cp_arena *arena,
               struct cp_consent *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_CONSENT_GET);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_NONE;
    if (rc == SQLITE_ROW) {
        read_consent(s, arena, out);
        qs = CP_QS_ONE;
    } else if (rc != SQLITE_DONE) {
        qs = qs_from_rc(c, rc, "consent get");
    }
    done(s);
    return qs;
}

/* Step a list statement into an arena array grown by doubling. */
#define LIST_INTO(c, s, arena, type, reader, out_items, out_n, what)                               \
    do {                                                                                           \
        size_t n_ = 0, cap_ = 8;                                                                   \
        type *items_ = cp_arena_alloc(arena, cap_ * sizeof(*items_));                              \
        int rc_;                                                                                   \
        while ((rc_ = sqlite3_step(s)) == SQLITE_ROW) {                                            \
            if (n_ == cap_) {                                                                      \
                type *bigger_ = cp_arena_alloc(arena, 2 * cap_ * sizeof(*items_));                 \
                memcpy(bigger_, items_, n_ * sizeof(*items_));                                     \
                items_ = bigger_;                                                                  \
                cap_ *= 2;                                                                         \
            }                                                                                      \
            reader(s, arena, &items_[n_++]);                                                       \
        }                                                                                          \
        enum cp_qs qs_ = rc_ == SQLITE_DONE ? CP_QS_ONE : qs_from_rc(c, rc_, what);                \
        done(s);                                                                                   \
        *(out_items) = items_;                                                                     \
        *(out_n) = n_;                                                                             \
        return qs_;                                                                                \
    } while (0)

static enum cp_qs
sq_consent_list(struct cp_store_conn *cc, int64_t tenant_id, const char *phone,
                struct cp_arena *arena, struct cp_consent **out_items, size_t *out_n)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_CONSENT_LIST);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, phone, -1, SQLITE_STATIC);
    LIST_INTO(c, s, arena, struct cp_consent, read_consent, out_items, out_n, "consent list");
}

static enum cp_qs
sq_consent_revoke(struct cp_store_conn *cc, int64_t tenant_id, const char *phone,
                  const char *calling_entity, int64_t revoked_ms, const char *revocation_id)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, calling_entity ? ST_CONSENT_REVOKE : ST_CONSENT_REVOKE_ALL);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, phone, -1, SQLITE_STATIC);
    bind_text_or_null(s, 3, calling_entity);
    sqlite3_bind_int64(s, 4, revoked_ms);
    sqlite3_bind_text(s, 5, revocation_id, -1, SQLITE_STATIC);
    return exec_change(c, s, "consent revoke");
}

static enum cp_qs
sq_revocation_insert(struct cp_store_conn *cc, const struct cp_revocation *r)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_REV_INSERT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, r->tenant_id);
    sqlite3_bind_text(s, 2, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, r->phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, r->calling_entity, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, r->scope_all);
    sqlite3_bind_text(s, 6, r->trigger, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, r->revoked_ms);
    sqlite3_bind_int64(s, 8, r->honor_by_ms);
    bind_text_or_null(s, 9, r->call_id);
    bind_text_or_null(s, 10, r->transcript);
    sqlite3_bind_int64(s, 11, r->created_ms);
    enum cp_qs qs = exec_change(c, s, "revocation insert");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

static void
read_revocation(sqlite3_stmt *s, struct cp_arena *a, struct cp_revocation *r)
{
    memset(r, 0, sizeof(*r));
    r->tenant_id = sqlite3_column_int64(s, 0);
    snprintf(r->id, sizeof(r->id), "%s", (const char *)sqlite3_column_text(s, 1));
    r->phone = col_text(s, 2, a);
    r->calling_entity = col_text(s, 3, a);
    r->scope_all = sqlite3_column_int(s, 4) != 0;
    r->trigger = col_text(s, 5, a);
    r->revoked_ms = col_int(s, 6, 0);
    r->honor_by_ms = col_int(s, 7, 0);
    r->call_id = col_text(s, 8, a);
    r->transcript = col_text(s, 9, a);
    r->created_ms = col_int(s, 10, 0);
}

static enum cp_qs
sq_revocation_list(struct cp_store_conn *cc, int64_t tenant_id, const char *phone,
                   struct cp_arena *arena, struct cp_revocation **out_items, size_t *out_n)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_REV_LIST);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, phone, -1, SQLITE_STATIC);
    LIST_INTO(c, s, arena, struct cp_revocation, read_revocation, out_items, out_n,
              "revocation list");
}

static enum cp_qs
sq_decision_insert(struct cp_store_conn *cc, const struct cp_decision *d)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_DECISION_INSERT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, d->tenant_id);
    sqlite3_bind_text(s, 2, d->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, d->phone, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, d->allowed);
    bind_text_or_null(s, 5, d->reason);
    bind_text_or_null(s, 6, d->consent_id);
    sqlite3_bind_text(s, 7, d->inputs, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, d->result, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, d->created_ms);
    enum cp_qs qs = exec_change(c, s, "decision insert");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

/* ---- evidence bundles and the log ---- */

static void
read_bundle(sqlite3_stmt *s, struct cp_arena *a, struct cp_bundle *b)
{
    memset(b, 0, sizeof(*b));
    snprintf(b->id, sizeof(b->id), "%s", (const char *)sqlite3_column_text(s, 0));
    b->tenant_id = sqlite3_column_int64(s, 1);
    snprintf(b->call_id, sizeof(b->call_id), "%s", (const char *)sqlite3_column_text(s, 2));
    b->bytes = col_text(s, 3, a);
    b->signature = col_text(s, 4, a);
    b->key_id = col_text(s, 5, a);
    b->leaf_index = sqlite3_column_int64(s, 6);
    b->score = sqlite3_column_int(s, 7);
    b->retention_until_ms = sqlite3_column_int64(s, 8);
    b->supersedes = col_text(s, 9, a);
    b->sealed_ms = sqlite3_column_int64(s, 10);
}

static enum cp_qs
sq_bundle_insert(struct cp_store_conn *cc, const struct cp_bundle *b)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_BUNDLE_INSERT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_text(s, 1, b->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, b->tenant_id);
    sqlite3_bind_text(s, 3, b->call_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, b->bytes, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, b->signature, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, b->key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, b->leaf_index);
    sqlite3_bind_int(s, 8, b->score);
    sqlite3_bind_int64(s, 9, b->retention_until_ms);
    bind_text_or_null(s, 10, b->supersedes);
    sqlite3_bind_int64(s, 11, b->sealed_ms);
    return exec_change(c, s, "bundle insert");
}

static enum cp_qs
sq_bundle_sign(struct cp_store_conn *cc, int64_t leaf_index, const char *id, const char *bytes,
               const char *signature)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_BUNDLE_SIGN);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, leaf_index);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bytes, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, signature, -1, SQLITE_STATIC);
    return exec_change(c, s, "bundle sign");
}

static enum cp_qs
bundle_one(struct sq_conn *c, sqlite3_stmt *s, struct cp_arena *a, struct cp_bundle *out,
           const char *what)
{
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_NONE;
    if (rc == SQLITE_ROW) {
        read_bundle(s, a, out);
        qs = CP_QS_ONE;
    } else if (rc != SQLITE_DONE) {
        qs = qs_from_rc(c, rc, what);
    }
    done(s);
    return qs;
}

static enum cp_qs
sq_bundle_get(struct cp_store_conn *cc, const char *id, struct cp_arena *arena,
              struct cp_bundle *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_BUNDLE_GET);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    return bundle_one(c, s, arena, out, "bundle get");
}

static enum cp_qs
sq_bundle_latest_for_call(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id,
                          struct cp_arena *arena, struct cp_bundle *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_BUNDLE_LATEST);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, call_id, -1, SQLITE_STATIC);
    return bundle_one(c, s, arena, out, "bundle latest");
}

static enum cp_qs
sq_bundle_superseded_by(struct cp_store_conn *cc, const char *id, struct cp_arena *arena,
                        const char **out_id)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_BUNDLE_SUCCESSOR);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_NONE;
    *out_id = NULL;
    if (rc == SQLITE_ROW) {
        *out_id = col_text(s, 0, arena);
        qs = CP_QS_ONE;
    } else if (rc != SQLITE_DONE) {
        qs = qs_from_rc(c, rc, "bundle successor");
    }
    done(s);
    return qs;
}

static enum cp_qs
sq_log_size(struct cp_store_conn *cc, int64_t *out_size)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_LOG_SIZE);
    if (s == NULL)
        return CP_QS_HARD;
    return step_int64(c, s, "log size", out_size);
}

static enum cp_qs
sq_log_node_get(struct cp_store_conn *cc, int level, int64_t index, struct cp_sha256 *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_NODE_GET);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int(s, 1, level);
    sqlite3_bind_int64(s, 2, index);
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_NONE;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == (int)sizeof(out->b)) {
        memcpy(out->b, sqlite3_column_blob(s, 0), sizeof(out->b));
        qs = CP_QS_ONE;
    } else if (rc == SQLITE_ROW) {
        qs = CP_QS_HARD; /* a corrupt node: never guess */
    } else if (rc != SQLITE_DONE) {
        qs = qs_from_rc(c, rc, "log node get");
    }
    done(s);
    return qs;
}

static enum cp_qs
sq_log_node_put(struct cp_store_conn *cc, int level, int64_t index, const struct cp_sha256 *hash)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_NODE_PUT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int(s, 1, level);
    sqlite3_bind_int64(s, 2, index);
    sqlite3_bind_blob(s, 3, hash->b, sizeof(hash->b), SQLITE_STATIC);
    enum cp_qs qs = exec_change(c, s, "log node put");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

static enum cp_qs
sq_log_leaf_put(struct cp_store_conn *cc, int64_t index, const char *bundle_id)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_LEAF_PUT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, index);
    sqlite3_bind_text(s, 2, bundle_id, -1, SQLITE_STATIC);
    enum cp_qs qs = exec_change(c, s, "log leaf put");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

static enum cp_qs
sq_checkpoint_put(struct cp_store_conn *cc, const struct cp_checkpoint *cp)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_CKPT_PUT);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, cp->size);
    sqlite3_bind_blob(s, 2, cp->root.b, sizeof(cp->root.b), SQLITE_STATIC);
    sqlite3_bind_text(s, 3, cp->note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, cp->created_ms);
    return exec_change(c, s, "checkpoint put");
}

static enum cp_qs
checkpoint_one(struct sq_conn *c, sqlite3_stmt *s, struct cp_arena *a, struct cp_checkpoint *out)
{
    int rc = sqlite3_step(s);
    enum cp_qs qs = CP_QS_NONE;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == (int)sizeof(out->root.b)) {
        out->size = sqlite3_column_int64(s, 0);
        memcpy(out->root.b, sqlite3_column_blob(s, 1), sizeof(out->root.b));
        out->note = col_text(s, 2, a);
        out->created_ms = sqlite3_column_int64(s, 3);
        qs = CP_QS_ONE;
    } else if (rc == SQLITE_ROW) {
        qs = CP_QS_HARD;
    } else if (rc != SQLITE_DONE) {
        qs = qs_from_rc(c, rc, "checkpoint");
    }
    done(s);
    return qs;
}

static enum cp_qs
sq_checkpoint_latest(struct cp_store_conn *cc, struct cp_arena *arena, struct cp_checkpoint *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_CKPT_LATEST);
    if (s == NULL)
        return CP_QS_HARD;
    return checkpoint_one(c, s, arena, out);
}

static enum cp_qs
sq_checkpoint_get(struct cp_store_conn *cc, int64_t size, struct cp_arena *arena,
                  struct cp_checkpoint *out)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_CKPT_GET);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, size);
    return checkpoint_one(c, s, arena, out);
}

static enum cp_qs
sq_bundle_retention_for_call(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id,
                             int64_t *out_ms)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_BUNDLE_RETENTION);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, call_id, -1, SQLITE_STATIC);
    return step_int64(c, s, "bundle retention", out_ms);
}

static enum cp_qs
sq_bundle_delete(struct cp_store_conn *cc, int64_t tenant_id, const char *id)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_BUNDLE_DELETE);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    return exec_change(c, s, "bundle delete");
}

static enum cp_qs
sq_call_delete(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id)
{
    struct sq_conn *c = sq(cc);
    sqlite3_stmt *s = stmt(c, ST_CALL_DELETE_RECORDINGS);
    if (s == NULL)
        return CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, call_id, -1, SQLITE_STATIC);
    enum cp_qs qs = exec_change(c, s, "recordings delete");
    if (qs >= 0)
        qs = count_call(c, tenant_id, call_id, -1);
    if (qs < 0 || (s = stmt(c, ST_CALL_DELETE)) == NULL)
        return qs < 0 ? qs : CP_QS_HARD;
    sqlite3_bind_int64(s, 1, tenant_id);
    sqlite3_bind_text(s, 2, call_id, -1, SQLITE_STATIC);
    return exec_change(c, s, "call delete");
}

static int64_t
sq_changes(struct cp_store_conn *cc)
{
    return sqlite3_total_changes64(sq(cc)->db);
}

static const struct cp_store_ops sq_ops = {
    .backend = "sqlite",
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .savepoint_release = sq_savepoint_release,
    .savepoint_rollback = sq_savepoint_rollback,
    .changes = sq_changes,
    .tenant_ensure = sq_tenant_ensure,
    .key_insert = sq_key_insert,
    .key_get = sq_key_get,
    .key_list = sq_key_list,
    .key_revoke = sq_key_revoke,
    .key_touch = sq_key_touch,
    .key_count = sq_key_count,
    .idem_get = sq_idem_get,
    .idem_put = sq_idem_put,
    .idem_purge = sq_idem_purge,
    .call_insert = sq_call_insert,
    .call_get = sq_call_get,
    .call_update = sq_call_update,
    .call_list = sq_call_list,
    .recording_get = sq_recording_get,
    .recording_upsert = sq_recording_upsert,
    .recording_set_audio = sq_recording_set_audio,
    .recording_list = sq_recording_list,
    .consent_insert = sq_consent_insert,
    .consent_get = sq_consent_get,
    .consent_list = sq_consent_list,
    .consent_revoke = sq_consent_revoke,
    .revocation_insert = sq_revocation_insert,
    .revocation_list = sq_revocation_list,
    .decision_insert = sq_decision_insert,
    .bundle_insert = sq_bundle_insert,
    .bundle_sign = sq_bundle_sign,
    .bundle_get = sq_bundle_get,
    .bundle_latest_for_call = sq_bundle_latest_for_call,
    .bundle_superseded_by = sq_bundle_superseded_by,
    .log_size = sq_log_size,
    .log_node_get = sq_log_node_get,
    .log_node_put = sq_log_node_put,
    .log_leaf_put = sq_log_leaf_put,
    .checkpoint_put = sq_checkpoint_put,
    .checkpoint_latest = sq_checkpoint_latest,
    .checkpoint_get = sq_checkpoint_get,
    .bundle_retention_for_call = sq_bundle_retention_for_call,
    .bundle_delete = sq_bundle_delete,
    .call_delete = sq_call_delete,
};

const struct cp_store_backend cp_store_sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .conn_open = sq_conn_open,
    .conn_close = sq_conn_close,
    .conn_trim = sq_conn_trim,
    .conn_writer = sq_conn_writer,
    .stats = sq_stats,
};
