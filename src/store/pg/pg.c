/*
 * The PostgreSQL backend of the store (libpq), selected by a postgres:// or postgresql:// URL.
 * It implements the operations of store.h with the behaviour of the SQLite backend, which is
 * the reference: the same ONE/NONE answers, the same orders, the same tenant scoping, the
 * same error classes; tests/unit/test_store.c runs against both.
 *
 * Isolation. SQLite runs one writer at a time (BEGIN IMMEDIATE), and handlers rely on it: they
 * read, decide, then write (a call's status transition, an Idempotency-Key record, the
 * transparency log's "read the size, append at that index"). Here write transactions run
 * SERIALIZABLE, which gives them the same guarantee without a global lock: PostgreSQL aborts
 * one of two transactions whose interleaving no serial order could produce, with SQLSTATE
 * 40001, and that maps to CP_QS_SOFT, which cp_store_run answers by running the whole
 * transaction again. For the log this means two writers that read the same size both try to
 * insert that leaf index (the primary key of log_leaves); the second fails with 40001 (under
 * SERIALIZABLE a unique violation against a row its snapshot could not see is reported as a
 * serialization failure, not 23505) and its retry appends at the next index. A unique
 * violation against a row the transaction could see (23505) is a bug in the caller and stays
 * CP_QS_HARD, as in SQLite. Read transactions run REPEATABLE READ: one consistent snapshot,
 * no predicate locks, never a serialization failure.
 *
 * Contention. Retrying alone does not converge when several processes append to the log at
 * once: every attempt reads the size from a snapshot taken before the winner committed, so a
 * loser can keep losing (four stores appending ten leaves each exhausted cp_store_run's five
 * tries). So every write transaction takes the writers' lock (a session advisory lock on the
 * database, so shared by every instance) *before* its BEGIN and releases it after COMMIT or
 * ROLLBACK: in shared mode normally, so writers still run concurrently, and in exclusive mode
 * when it runs again after a serialization failure. The exclusive request waits for the
 * writers in flight to finish and makes new ones queue behind it (PostgreSQL grants locks in
 * order), and BEGIN comes after it, so the retry's snapshot sees every committed write and no
 * other writer runs beside it: the retry cannot conflict with another callproof writer, and
 * contended appends converge on the second attempt. The cost is one more round trip per write
 * transaction (per group-commit batch) to take the lock and one to release it.
 *
 * Errors. 40001 (serialization failure), 40P01 (deadlock) and 55P03 (lock timeout) are SOFT.
 * A lost or refused connection, an administrator shutdown, too many connections or a
 * statement timeout is HARD with the connection's cause CP_CAUSE_DOWN: not retried inside the
 * request (that would hold the client for nothing), answered 503 with Retry-After. A full disk
 * (53100) is HARD with CP_CAUSE_FULL (507). A connection found broken is reset (PQreset) at
 * the next begin, so service resumes by itself when the server is back. Everything else is
 * HARD, logged with its SQLSTATE and message (never sent to a client).
 *
 * Never a hang: connect_timeout, TCP keepalives and tcp_user_timeout bound a dead network, and
 * statement_timeout bounds a stuck statement. Durability: each session sets
 * synchronous_commit=on (a COMMIT returns after its WAL is flushed), and opening refuses a
 * server running with fsync or full_page_writes off.
 *
 * Migrations (migrations.c) are applied under a session advisory lock, so several instances
 * starting at once on an empty database migrate it exactly once; a schema newer than this
 * binary knows is refused.
 *
 * Statements are prepared once per connection, on first use (enum stmt_id names them), and
 * prepared again after a reset. Parameters go out as text, hashes and bodies as binary
 * BYTEA; results come back as text.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "core/util.h"
#include "store/backend.h"
#include "store/pg/migrations.h"
#include "store/pg/plan.h"

/* Advisory lock keys: migrations, writers under contention (see the top), the log's appends
 * and the log's integration lease (see "the shared log" below). */
#define MIGRATE_LOCK_KEY "6370726f6f66"
#define WRITERS_LOCK_KEY "637077726974"
/* The log's locks are per callproof store, not per database: several stores may live in one
 * database (one schema each), so their keys hold the OID of a table of the store's schema. */
#define LOG_LOCK_KEY "((x'63706c67'::bigint << 32) | 'log_leaves'::regclass::oid::bigint)"
#define LEASE_LOCK_KEY "((x'63706c65'::bigint << 32) | 'log_lease'::regclass::oid::bigint)"
#define LOG_CHANNEL "'callproof_log_' || 'log_leaves'::regclass::oid::text"
#define MAX_PARAMS 40

enum stmt_id {
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
    ST_LEASE_BUMP,
    ST_LEASE_FENCE,
    ST_LOG_NOTIFY,
    ST_BUNDLE_RETENTION,
    ST_BUNDLE_DELETE,
    ST_CALL_DELETE_RECORDINGS,
    ST_CALL_DELETE,
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
    [ST_TENANT_INSERT] = "INSERT INTO tenants(name, created_at) VALUES ($1, $2) "
                         "ON CONFLICT (name) DO NOTHING",
    [ST_TENANT_GET] = "SELECT id FROM tenants WHERE name = $1",
    [ST_KEY_INSERT] = "INSERT INTO api_keys(key_id, tenant_id, scopes, hash, created_at) "
                      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO NOTHING",
    [ST_KEY_GET] = "SELECT k.tenant_id, t.name, k.scopes, k.hash, k.created_at, "
                   "k.last_used_at, k.revoked_at FROM api_keys k JOIN tenants t "
                   "ON t.id = k.tenant_id WHERE k.key_id = $1",
    [ST_KEY_LIST] = "SELECT k.key_id, k.tenant_id, t.name, k.scopes, k.created_at, "
                    "k.last_used_at, k.revoked_at FROM api_keys k JOIN tenants t "
                    "ON t.id = k.tenant_id ORDER BY k.created_at, k.key_id",
    [ST_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = $2 WHERE key_id = $1 "
                      "AND revoked_at IS NULL",
    [ST_KEY_TOUCH] = "UPDATE api_keys SET last_used_at = $2 WHERE key_id = $1 "
                     "AND (last_used_at IS NULL OR last_used_at < $3)",
    [ST_KEY_COUNT] = "SELECT count(*) FROM api_keys",
    [ST_IDEM_GET] = "SELECT fingerprint, status, content_type, location, body, created_at "
                    "FROM idempotency_keys WHERE tenant_id = $1 AND idem_key = $2 "
                    "AND created_at >= $3",
    [ST_IDEM_PUT] =
        "INSERT INTO idempotency_keys(tenant_id, idem_key, fingerprint, "
        "status, content_type, location, body, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (tenant_id, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, "
        "status = excluded.status, content_type = excluded.content_type, "
        "location = excluded.location, body = excluded.body, "
        "created_at = excluded.created_at WHERE idempotency_keys.created_at < $9",
    [ST_IDEM_PURGE] = "DELETE FROM idempotency_keys WHERE created_at < $1",
    [ST_CALL_INSERT] =
        "INSERT INTO calls(tenant_id, " CALL_COLS
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
        "$18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, "
        "$36, $37) "
        "ON CONFLICT DO NOTHING",
    /* SQLite's UPDATE OR IGNORE: an external_id that another call of the tenant has leaves the
     * row as it was (NONE). created_at is kept (never NULL, so the coalesce keeps it; $34 must
     * still appear, PostgreSQL wants every parameter of a statement used). */
    [ST_CALL_UPDATE] =
        "UPDATE calls SET external_id = $3, direction = $4, status = $5, outcome = $6, "
        "type = $7, from_number = $8, to_number = $9, user_id = $10, agent_id = $11, "
        "phone_number_id = $12, agent_name = $13, campaign_id = $14, started_at = $15, ended_at = "
        "$16, duration_s = $17, talk_time_s = $18, transcript = $19, turns_json = $20, "
        "recording_url = $21, recording_available = $22, analysis_json = $23, latency_json = $24, "
        "costs_json = $25, metadata_json = $26, telephony_provider = $27, telephony_id = $28, "
        "human_detection = $29, do_not_call_result = $30, hipaa_compliant = $31, "
        "on_no_human_answer = $32, error_message = $33, updated_at = $35, epa_json = $36, state = "
        "$37, created_at = coalesce(created_at, $34) WHERE tenant_id = $1 AND id = $2 AND NOT "
        "EXISTS "
        "(SELECT 1 FROM calls o WHERE o.tenant_id = $1 AND o.external_id = $3 AND o.id <> $2)",
    [ST_REC_GET] = "SELECT " REC_COLS " FROM recordings WHERE tenant_id = $1 AND call_id = $2 "
                   "AND recording_id = $3",
    [ST_REC_UPSERT] =
        "INSERT INTO recordings(tenant_id, call_id, recording_id, recording_url, duration_s, "
        "transcription_id, transcription_status, started_at, ended_at, metadata_json, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
        "ON CONFLICT (tenant_id, call_id, recording_id) DO UPDATE SET "
        "recording_url = excluded.recording_url, duration_s = excluded.duration_s, "
        "transcription_id = excluded.transcription_id, "
        "transcription_status = excluded.transcription_status, started_at = excluded.started_at, "
        "ended_at = excluded.ended_at, metadata_json = excluded.metadata_json, "
        "updated_at = excluded.updated_at",
    [ST_REC_SET_AUDIO] = "UPDATE recordings SET content_type = $4, size_bytes = $5, sha256 = $6, "
                         "file_name = $7, duration_s = coalesce($8::bigint, duration_s), "
                         "updated_at = $9 WHERE tenant_id = $1 AND call_id = $2 "
                         "AND recording_id = $3 AND sha256 IS NULL",
    [ST_REC_LIST] = "SELECT " REC_COLS " FROM recordings WHERE tenant_id = $1 AND call_id = $2 "
                    "ORDER BY created_at, recording_id",
    [ST_CONSENT_INSERT] = "INSERT INTO consents(tenant_id, id, phone, calling_entity, type, scope, "
                          "valid, captured_at, record, signature, key_id, created_at, "
                          "record_sha256) VALUES "
                          "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
                          "ON CONFLICT DO NOTHING",
    [ST_CONSENT_GET] = "SELECT " CONSENT_COLS " FROM consents WHERE tenant_id = $1 AND id = $2",
    [ST_CONSENT_LIST] = "SELECT " CONSENT_COLS " FROM consents WHERE tenant_id = $1 AND phone = $2 "
                        "ORDER BY captured_at DESC, id DESC",
    /* SQLite's COLLATE NOCASE folds ASCII letters only; lower() under the "C" collation does
     * exactly that, whatever the database's locale. */
    [ST_CONSENT_REVOKE] = "UPDATE consents SET revoked_at = $4, revocation_id = $5 "
                          "WHERE tenant_id = $1 AND phone = $2 "
                          "AND lower(calling_entity) = lower($3::text COLLATE \"C\") "
                          "AND captured_at <= $4 AND revoked_at IS NULL",
    [ST_CONSENT_REVOKE_ALL] = "UPDATE consents SET revoked_at = $3, revocation_id = $4 "
                              "WHERE tenant_id = $1 AND phone = $2 "
                              "AND captured_at <= $3 AND revoked_at IS NULL",
    [ST_REV_INSERT] = "INSERT INTO revocations(tenant_id, id, phone, calling_entity, scope_all, "
                      "trigger_kind, revoked_at, honor_by, call_id, transcript, created_at) VALUES "
                      "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    [ST_REV_LIST] = "SELECT tenant_id, id, phone, calling_entity, scope_all, trigger_kind, "
                    "revoked_at, honor_by, call_id, transcript, created_at FROM revocations "
                    "WHERE tenant_id = $1 AND phone = $2 ORDER BY revoked_at DESC, id DESC",
    [ST_DECISION_INSERT] = "INSERT INTO precall_decisions(tenant_id, id, phone, allowed, reason, "
                           "consent_id, inputs, result, created_at) VALUES "
                           "($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [ST_BUNDLE_INSERT] = "INSERT INTO bundles(id, tenant_id, call_id, bytes, signature, key_id, "
                         "leaf_index, score, retention_until, supersedes, sealed_at) VALUES "
                         "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                         "ON CONFLICT (id) DO NOTHING",
    [ST_BUNDLE_SIGN] = "UPDATE bundles SET signature = $4 WHERE leaf_index = $1 AND id = $2 AND "
                       "signature = '' AND bytes = $3",
    [ST_BUNDLE_GET] = "SELECT " BUNDLE_COLS " FROM bundles WHERE id = $1",
    [ST_BUNDLE_LATEST] = "SELECT " BUNDLE_COLS " FROM bundles WHERE tenant_id = $1 AND "
                         "call_id = $2 ORDER BY sealed_at DESC, leaf_index DESC LIMIT 1",
    [ST_BUNDLE_SUCCESSOR] = "SELECT id FROM bundles WHERE supersedes = $1 "
                            "ORDER BY leaf_index LIMIT 1",
    [ST_LOG_SIZE] = "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves",
    [ST_NODE_GET] = "SELECT hash FROM log_nodes WHERE level = $1 AND idx = $2",
    [ST_NODE_PUT] = "INSERT INTO log_nodes(level, idx, hash) VALUES ($1, $2, $3)",
    [ST_LEAF_PUT] = "INSERT INTO log_leaves(idx, bundle_id) VALUES ($1, $2)",
    [ST_CKPT_PUT] = "INSERT INTO log_checkpoints(size, root, note, created_at) VALUES "
                    "($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING",
    [ST_CKPT_LATEST] = "SELECT size, root, note, created_at FROM log_checkpoints "
                       "ORDER BY size DESC LIMIT 1",
    [ST_CKPT_GET] = "SELECT size, root, note, created_at FROM log_checkpoints WHERE size = $1",
    [ST_LEASE_BUMP] = "UPDATE log_lease SET epoch = epoch + 1, acquired_at = $1, renewed_at = $1 "
                      "WHERE id = 1 RETURNING epoch",
    [ST_LEASE_FENCE] = "UPDATE log_lease SET renewed_at = $2 WHERE id = 1 AND epoch = $1",
    [ST_LOG_NOTIFY] = "SELECT pg_notify(" LOG_CHANNEL ", $1)",
    [ST_BUNDLE_RETENTION] = "SELECT coalesce(max(retention_until), 0) FROM bundles "
                            "WHERE tenant_id = $1 AND call_id = $2",
    [ST_BUNDLE_DELETE] = "DELETE FROM bundles WHERE tenant_id = $1 AND id = $2",
    [ST_CALL_DELETE_RECORDINGS] = "DELETE FROM recordings WHERE tenant_id = $1 AND call_id = $2",
    [ST_CALL_DELETE] = "DELETE FROM calls WHERE tenant_id = $1 AND id = $2",
    /* By server id first, then by the tenant's external id: both are unique per tenant. */
    [ST_CALL_GET] = "(SELECT " CALL_COLS " FROM calls WHERE tenant_id = $1 AND id = $2) "
                    "UNION ALL (SELECT " CALL_COLS " FROM calls WHERE tenant_id = $1 "
                    "AND external_id = $2 AND id <> $2) LIMIT 1",
};

/* Filters of call_list, as bits: one prepared statement per combination. */
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

struct pg_state {
    char *url; /* owned; may hold a password: never logged */
};

struct pg_conn {
    struct cp_store_conn head; /* must be first */
    struct pg_state *st;
    PGconn *db;
    bool prepared[ST__COUNT];
    bool list_prepared[LF__COMBOS];
    bool count_prepared[LF__COMBOS];
    bool in_txn;
    enum { WL_NONE, WL_SHARED, WL_EXCLUSIVE } writers_lock; /* held now (see the top) */
    bool conflicted; /* the last statement failed with a serialization failure or deadlock */
    bool log_locked; /* holds the log lock (LOG_LOCK_KEY) */
    bool leased;     /* holds the integration lease (LEASE_LOCK_KEY) in this session */
    bool listening;  /* LISTEN on the log's channel ran in this session */
};

static const struct cp_store_ops pg_ops;

static struct pg_conn *
pg(struct cp_store_conn *c)
{
    return (struct pg_conn *)c;
}

/* ---- parameters ---- */

/* The parameters of one statement: text values (numbers printed into num[]), NULLs, and
 * binary BYTEA values. Pointers borrow the caller's strings until the statement ran. */
struct params {
    int n;
    const char *v[MAX_PARAMS];
    int len[MAX_PARAMS];
    int fmt[MAX_PARAMS];
    char num[MAX_PARAMS][24];
};

static void
p_text(struct params *p, const char *s) /* NULL binds SQL NULL */
{
    CP_ASSERT(p->n < MAX_PARAMS);
    p->v[p->n] = s;
    p->len[p->n] = 0;
    p->fmt[p->n] = 0;
    p->n++;
}

static void
p_int(struct params *p, int64_t x)
{
    CP_ASSERT(p->n < MAX_PARAMS);
    snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)x);
    p_text(p, p->num[p->n]);
}

static void
p_int_or_null(struct params *p, int64_t x, int64_t unset)
{
    if (x == unset)
        p_text(p, NULL);
    else
        p_int(p, x);
}

static void
p_bool(struct params *p, bool b)
{
    p_text(p, b ? "t" : "f");
}

static void
p_bytes(struct params *p, const void *b, size_t n)
{
    CP_ASSERT(p->n < MAX_PARAMS && n <= (size_t)0x7fffffff);
    p->v[p->n] = n ? b : "";
    p->len[p->n] = (int)n;
    p->fmt[p->n] = 1;
    p->n++;
}

/* ---- results ---- */

static bool
is_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) != 0;
}

static int64_t
col_int(const PGresult *r, int row, int col, int64_t unset)
{
    return is_null(r, row, col) ? unset : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static bool
col_bool(const PGresult *r, int row, int col)
{
    return !is_null(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

/* An arena copy of a text column, or NULL for SQL NULL. */
static const char *
col_text(const PGresult *r, int row, int col, struct cp_arena *a)
{
    if (is_null(r, row, col))
        return NULL;
    return cp_arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

static void
col_copy(const PGresult *r, int row, int col, char *dst, size_t n)
{
    snprintf(dst, n, "%s", is_null(r, row, col) ? "" : PQgetvalue(r, row, col));
}

static int
hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* A BYTEA column (hex output, "\x…") of exactly n bytes into out. False if NULL or another
 * length: a stored hash of the wrong size is corruption, never guessed at. */
static bool
col_fixed(const PGresult *r, int row, int col, uint8_t *out, size_t n)
{
    if (is_null(r, row, col) || (size_t)PQgetlength(r, row, col) != 2 + 2 * n)
        return false;
    const char *h = PQgetvalue(r, row, col);
    if (h[0] != '\\' || h[1] != 'x')
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(h[2 + 2 * i]), lo = hexval(h[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* An arena copy of a BYTEA column of any length (NUL-terminated for convenience; *out_n is
 * the byte count). "" and 0 for NULL. */
static const char *
col_bytes(const PGresult *r, int row, int col, struct cp_arena *a, size_t *out_n)
{
    *out_n = 0;
    if (is_null(r, row, col))
        return cp_arena_strdup(a, "");
    size_t n = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
    if (raw == NULL)
        cp_die("out of memory");
    const char *copy = cp_arena_strndup(a, (const char *)raw, n);
    PQfreemem(raw);
    *out_n = n;
    return copy;
}

/* ---- errors ---- */

static bool
state_is(const char *state, const char *want)
{
    return state != NULL && strcmp(state, want) == 0;
}

static bool
state_class(const char *state, const char *cls)
{
    return state != NULL && strncmp(state, cls, 2) == 0;
}

/* The database cannot be reached: HARD, with the cause the HTTP layer answers 503 for. */
static enum cp_qs
unavailable(struct pg_conn *c)
{
    c->head.cause = CP_CAUSE_DOWN;
    return CP_QS_HARD;
}

/* Map a failed result (r may be NULL: libpq could not even send) to a query status; logs
 * what is not a routine conflict. Details stay in the log and never reach a client. */
static enum cp_qs
qs_from_result(struct pg_conn *c, const PGresult *r, const char *what)
{
    const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r != NULL ? PQresultErrorMessage(r) : "";
    if (msg == NULL || msg[0] == '\0')
        msg = PQerrorMessage(c->db);
    if (state_is(state, "40001") || state_is(state, "40P01") || state_is(state, "55P03")) {
        cp_log(CP_LOG_DEBUG, "postgres: %s: %s (retried)", what, state);
        c->conflicted = true;
        return CP_QS_SOFT;
    }
    if (state_is(state, "53100")) {
        cp_log(CP_LOG_ERROR, "postgres: %s: %s: %s", what, state, msg);
        c->head.cause = CP_CAUSE_FULL;
        return CP_QS_HARD;
    }
    /* The server is gone, going, refusing or overloaded: 08 connection exceptions, 57P0x
     * shutdowns, 53 insufficient resources (too many connections), 57014 statement timeout. */
    if (PQstatus(c->db) != CONNECTION_OK || state == NULL || state_class(state, "08") ||
        state_is(state, "57P01") || state_is(state, "57P02") || state_is(state, "57P03") ||
        state_class(state, "53") || state_is(state, "57014")) {
        cp_log(CP_LOG_WARN, "postgres: %s: database unavailable (%s): %s", what,
               state ? state : "no connection", msg);
        return unavailable(c);
    }
    cp_log(CP_LOG_ERROR, "postgres: %s: %s: %s", what, state, msg);
    return CP_QS_HARD;
}

/* Run a prepared statement (preparing it on first use under name); the result, or NULL with
 * *out_qs set to the failure. The caller PQclear()s the result. */
static PGresult *
exec_named(struct pg_conn *c, bool *prepared, const char *name, const char *sql,
           const struct params *p, const char *what, enum cp_qs *out_qs)
{
    if (!*prepared) {
        PGresult *r = PQprepare(c->db, name, sql, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            *out_qs = qs_from_result(c, r, what);
            PQclear(r);
            return NULL;
        }
        PQclear(r);
        *prepared = true;
    }
    PGresult *r = PQexecPrepared(c->db, name, p->n, p->v, p->len, p->fmt, 0);
    ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        *out_qs = CP_QS_ONE;
        return r;
    }
    *out_qs = qs_from_result(c, r, what);
    PQclear(r);
    return NULL;
}

static PGresult *
run(struct pg_conn *c, enum stmt_id id, const struct params *p, const char *what,
    enum cp_qs *out_qs)
{
    char name[16];
    snprintf(name, sizeof(name), "s%d", (int)id);
    return exec_named(c, &c->prepared[id], name, stmt_sql[id], p, what, out_qs);
}

/* A statement expected to return no rows: ONE if it changed rows, else NONE. */
static enum cp_qs
run_change(struct pg_conn *c, enum stmt_id id, const struct params *p, const char *what)
{
    enum cp_qs qs;
    PGresult *r = run(c, id, p, what, &qs);
    if (r == NULL)
        return qs;
    const char *n = PQcmdTuples(r);
    qs = (n[0] != '\0' && strcmp(n, "0") != 0) ? CP_QS_ONE : CP_QS_NONE;
    PQclear(r);
    return qs;
}

/* A statement answering one integer row (an aggregate): ONE with it in *out. */
static enum cp_qs
run_int64(struct pg_conn *c, enum stmt_id id, const struct params *p, const char *what,
          int64_t *out)
{
    enum cp_qs qs;
    PGresult *r = run(c, id, p, what, &qs);
    if (r == NULL)
        return qs;
    if (PQntuples(r) == 1) {
        *out = col_int(r, 0, 0, 0);
    } else {
        cp_log(CP_LOG_ERROR, "postgres: %s: %d rows where one was expected", what, PQntuples(r));
        qs = CP_QS_HARD;
    }
    PQclear(r);
    return qs;
}

/* ---- connections ---- */

/* Run a fixed, parameterless command (session setup, BEGIN/COMMIT): true if it succeeded. */
static bool
exec_simple(PGconn *db, const char *sql, PGresult **out_r)
{
    PGresult *r = PQexec(db, sql);
    ExecStatusType s = PQresultStatus(r);
    bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    if (out_r != NULL)
        *out_r = r;
    else
        PQclear(r);
    return ok;
}

/* Settings every session runs with. synchronous_commit=on is the durability promise (a 2xx
 * means the WAL is flushed); the timeouts turn a stuck server into an error instead of a hung
 * request; UTC, UTF-8 and hex BYTEA make results independent of the role's defaults. */
static const char session_setup[] =
    "SET synchronous_commit = on; SET statement_timeout = '30s'; SET lock_timeout = '10s'; "
    "SET idle_in_transaction_session_timeout = '60s'; SET client_encoding = 'UTF8'; "
    "SET bytea_output = 'hex'; SET TIME ZONE 'UTC'";

static bool
setup_session(PGconn *db)
{
    return exec_simple(db, session_setup, NULL);
}

/* Describe the server for messages, without the password the URL may hold. */
static void
describe(PGconn *db, char *out, size_t n)
{
    const char *host = PQhost(db), *port = PQport(db), *name = PQdb(db);
    snprintf(out, n, "%s:%s/%s", host ? host : "?", port ? port : "?", name ? name : "?");
}

/* Server notices ("relation already exists, skipping") go to the debug log, not stderr. */
static void
on_notice(void *cls, const char *message)
{
    (void)cls;
    cp_log(CP_LOG_DEBUG, "postgres: %.*s", (int)strcspn(message, "\n"), message);
}

static PGconn *
connect_db(const char *url, struct cp_error *out_err)
{
    /* Our defaults first, the URL last: whatever the URL sets wins (libpq keeps the last
     * value of a repeated keyword). */
    static const char *const keys[] = {
        "connect_timeout",     "keepalives",       "keepalives_idle",
        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
        "application_name",    "dbname",           NULL};
    const char *vals[] = {"10", "1", "10", "5", "3", "15000", "callproof", url, NULL};
    PGconn *db = PQconnectdbParams(keys, vals, 1);
    if (db == NULL)
        cp_die("out of memory");
    PQsetNoticeProcessor(db, on_notice, NULL);
    char where[256];
    describe(db, where, sizeof(where));
    if (PQstatus(db) != CONNECTION_OK) {
        const char *m = PQerrorMessage(db);
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "Cannot connect to PostgreSQL at %s: %.*s", where, (int)strcspn(m, "\n"), m);
        PQfinish(db);
        return NULL;
    }
    if (!setup_session(db)) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "Cannot configure the PostgreSQL session at %s: %s", where,
                     PQerrorMessage(db));
        PQfinish(db);
        return NULL;
    }
    return db;
}

/* One text value of a parameterless query, into out; false on error. */
static bool
query_text(PGconn *db, const char *sql, char *out, size_t n)
{
    PGresult *r = NULL;
    bool ok = exec_simple(db, sql, &r) && PQntuples(r) == 1 && PQnfields(r) >= 1;
    if (ok)
        snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return ok;
}

/* Refuse a server that could lose committed transactions (OWASP API8: unsafe configuration).
 * synchronous_commit is set per session (setup_session) and checked here too. */
static bool
check_durability(PGconn *db, const char *where, struct cp_error *out_err)
{
    static const char *const names[] = {"fsync", "full_page_writes", "synchronous_commit"};
    for (size_t i = 0; i < CP_ARRAY_LEN(names); i++) {
        char sql[64], v[32];
        snprintf(sql, sizeof(sql), "SHOW %s", names[i]);
        if (!query_text(db, sql, v, sizeof(v))) {
            cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                         "Cannot read %s from PostgreSQL at %s: %s", names[i], where,
                         PQerrorMessage(db));
            return false;
        }
        if (strcmp(v, "on") != 0) {
            cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                         "PostgreSQL at %s runs with %s = %s: committed data could be lost; "
                         "callproof needs it on. Not starting.",
                         where, names[i], v);
            return false;
        }
    }
    return true;
}

static int
schema_version(PGconn *db)
{
    char v[32];
    if (!query_text(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", v, sizeof(v)))
        return -1;
    return atoi(v);
}

/* Apply pending migrations, each in its own transaction, while holding a session advisory
 * lock: several instances starting at once queue on the lock, and each that gets it after
 * the first finds the schema current. */
static bool
migrate(PGconn *db, const char *where, int *out_version, struct cp_error *out_err)
{
    if (!exec_simple(db, "SELECT pg_advisory_lock(x'" MIGRATE_LOCK_KEY "'::bigint)", NULL)) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "Cannot take the migration lock on PostgreSQL at %s: %s", where,
                     PQerrorMessage(db));
        return false;
    }
    bool ok = exec_simple(db,
                          "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                          "applied_at BIGINT NOT NULL)",
                          NULL);
    int latest = cp_pg_migrations[cp_pg_n_migrations - 1].version;
    int v = ok ? schema_version(db) : -1;
    if (v > latest) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "The database at %s has schema version %d, newer than this callproof "
                     "knows (%d). Upgrade callproof; refusing to start.",
                     where, v, latest);
        goto unlock;
    }
    for (int i = 0; ok && v >= 0 && i < cp_pg_n_migrations; i++) {
        const struct cp_pg_migration *m = &cp_pg_migrations[i];
        if (v >= m->version)
            continue;
        char version[16];
        snprintf(version, sizeof(version), "%d", m->version);
        const char *vals[2] = {version, m->name};
        ok = exec_simple(db, "BEGIN", NULL) && exec_simple(db, m->sql, NULL);
        if (ok) {
            PGresult *r = PQexecParams(db,
                                       "INSERT INTO schema_migrations(version, name, applied_at) "
                                       "VALUES ($1, $2, (extract(epoch FROM now()) * 1000)"
                                       "::bigint)",
                                       2, NULL, vals, NULL, NULL, 0);
            ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
        }
        if (!ok || !exec_simple(db, "COMMIT", NULL)) {
            ok = false;
            break;
        }
        v = m->version;
        cp_log(CP_LOG_INFO, "store: applied migration %d (%s)", m->version, m->name);
    }
    if (!ok || v < 0)
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "Cannot migrate the PostgreSQL database at %s: %s", where, PQerrorMessage(db));
    else
        *out_version = v;
unlock:
    if (PQtransactionStatus(db) != PQTRANS_IDLE)
        exec_simple(db, "ROLLBACK", NULL);
    exec_simple(db, "SELECT pg_advisory_unlock(x'" MIGRATE_LOCK_KEY "'::bigint)", NULL);
    return ok && v >= 0 && v <= latest;
}

static void *
pg_open(const char *location, int *out_schema_version, struct cp_error *out_err)
{
    PGconn *db = connect_db(location, out_err);
    if (db == NULL)
        return NULL;
    char where[256];
    describe(db, where, sizeof(where));
    bool ok = PQserverVersion(db) >= 110000;
    if (!ok)
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "database",
                     "PostgreSQL at %s is version %d; callproof needs 11 or newer.", where,
                     PQserverVersion(db));
    ok = ok && check_durability(db, where, out_err) &&
         migrate(db, where, out_schema_version, out_err);
    PQfinish(db);
    if (!ok)
        return NULL;
    struct pg_state *st = calloc(1, sizeof(*st));
    if (st == NULL || (st->url = strdup(location)) == NULL)
        cp_die("out of memory");
    return st;
}

static void
pg_close(void *state)
{
    struct pg_state *st = state;
    free(st->url);
    free(st);
}

static struct cp_store_conn *
pg_conn_open(void *state, struct cp_error *out_err)
{
    struct pg_state *st = state;
    PGconn *db = connect_db(st->url, out_err);
    if (db == NULL)
        return NULL;
    struct pg_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        cp_die("out of memory");
    c->head.ops = &pg_ops;
    c->st = st;
    c->db = db;
    return &c->head;
}

static void
pg_conn_close(struct cp_store_conn *cc)
{
    struct pg_conn *c = pg(cc);
    PQfinish(c->db);
    free(c);
}

/* Re-establish a lost connection. Its prepared statements died with the old session. */
static bool
reconnect(struct pg_conn *c)
{
    PQreset(c->db);
    c->log_locked = c->leased = c->listening = false; /* session locks and LISTEN died too */
    memset(c->prepared, 0, sizeof(c->prepared));
    memset(c->list_prepared, 0, sizeof(c->list_prepared));
    memset(c->count_prepared, 0, sizeof(c->count_prepared));
    if (PQstatus(c->db) != CONNECTION_OK) {
        cp_log(CP_LOG_WARN, "postgres: reconnect failed: %.*s",
               (int)strcspn(PQerrorMessage(c->db), "\n"), PQerrorMessage(c->db));
        return false;
    }
    if (!setup_session(c->db)) {
        cp_log(CP_LOG_WARN, "postgres: session setup after reconnect failed: %s",
               PQerrorMessage(c->db));
        return false;
    }
    cp_log(CP_LOG_INFO, "postgres: reconnected");
    return true;
}

/* ---- transactions ---- */

static void
release_writers_lock(struct pg_conn *c)
{
    if (c->writers_lock == WL_NONE)
        return;
    const char *sql = c->writers_lock == WL_SHARED
                          ? "SELECT pg_advisory_unlock_shared(x'" WRITERS_LOCK_KEY "'::bigint)"
                          : "SELECT pg_advisory_unlock(x'" WRITERS_LOCK_KEY "'::bigint)";
    c->writers_lock = WL_NONE;
    /* A lost connection took the lock with it. */
    if (PQstatus(c->db) == CONNECTION_OK)
        exec_simple(c->db, sql, NULL);
}

/* BEGIN, after the writers' lock for a write (see the top); false with *out_r the failed
 * result (or NULL) otherwise. */
static bool
begin_once(struct pg_conn *c, bool write, PGresult **out_r)
{
    *out_r = NULL;
    if (write) {
        bool exclusive = c->conflicted;
        const char *lock = exclusive ? "SELECT pg_advisory_lock(x'" WRITERS_LOCK_KEY "'::bigint)"
                                     : "SELECT pg_advisory_lock_shared(x'" WRITERS_LOCK_KEY
                                       "'::bigint)";
        if (!exec_simple(c->db, lock, out_r))
            return false;
        PQclear(*out_r);
        *out_r = NULL;
        c->writers_lock = exclusive ? WL_EXCLUSIVE : WL_SHARED;
        c->conflicted = false;
    }
    const char *sql =
        write ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN ISOLATION LEVEL REPEATABLE READ";
    if (exec_simple(c->db, sql, out_r))
        return true;
    release_writers_lock(c);
    return false;
}

static enum cp_qs
pg_begin(struct cp_store_conn *cc, bool write)
{
    struct pg_conn *c = pg(cc);
    CP_ASSERT(!c->in_txn);
    if (PQstatus(c->db) != CONNECTION_OK && !reconnect(c))
        return unavailable(c);
    PGresult *r = NULL;
    bool ok = begin_once(c, write, &r);
    /* A pooled connection whose server restarted since its last use learns it here: nothing
     * ran yet, so reconnect and begin once more. */
    if (!ok && PQstatus(c->db) != CONNECTION_OK) {
        PQclear(r);
        if (!reconnect(c))
            return unavailable(c);
        ok = begin_once(c, write, &r);
    }
    enum cp_qs qs = ok ? CP_QS_ONE : qs_from_result(c, r, "begin");
    PQclear(r);
    c->in_txn = ok;
    return qs;
}

static enum cp_qs
pg_commit(struct cp_store_conn *cc)
{
    struct pg_conn *c = pg(cc);
    PGresult *r = NULL;
    if (!exec_simple(c->db, "COMMIT", &r)) {
        enum cp_qs qs = qs_from_result(c, r, "commit"); /* the caller rolls back */
        PQclear(r);
        return qs;
    }
    /* COMMIT of a transaction that an error aborted "succeeds" with the tag ROLLBACK:
     * nothing was kept, and the caller must not believe otherwise. */
    bool committed = strcmp(PQcmdStatus(r), "COMMIT") == 0;
    PQclear(r);
    c->in_txn = false;
    release_writers_lock(c);
    if (!committed) {
        cp_log(CP_LOG_ERROR, "postgres: commit of an aborted transaction rolled back");
        return CP_QS_HARD;
    }
    return CP_QS_ONE;
}

static void
pg_rollback(struct cp_store_conn *cc)
{
    struct pg_conn *c = pg(cc);
    if (PQstatus(c->db) == CONNECTION_OK && PQtransactionStatus(c->db) != PQTRANS_IDLE)
        exec_simple(c->db, "ROLLBACK", NULL);
    c->in_txn = false;
    release_writers_lock(c);
}

/* Savepoints, for group commit (store.c): each transaction function of a batch runs inside
 * one, so a failed or aborted one is undone alone. */
static enum cp_qs
savepoint_exec(struct pg_conn *c, const char *sql, const char *what)
{
    CP_ASSERT(c->in_txn);
    PGresult *r = NULL;
    enum cp_qs qs = exec_simple(c->db, sql, &r) ? CP_QS_ONE : qs_from_result(c, r, what);
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_savepoint(struct cp_store_conn *cc)
{
    return savepoint_exec(pg(cc), "SAVEPOINT job", "savepoint");
}

static enum cp_qs
pg_savepoint_release(struct cp_store_conn *cc)
{
    return savepoint_exec(pg(cc), "RELEASE SAVEPOINT job", "release savepoint");
}

static enum cp_qs
pg_savepoint_rollback(struct cp_store_conn *cc)
{
    /* Also what clears a failed statement's "transaction is aborted" state. */
    return savepoint_exec(pg(cc), "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job",
                          "rollback to savepoint");
}

/* ---- tenants ---- */

static enum cp_qs
pg_tenant_ensure(struct cp_store_conn *cc, const char *name, int64_t now_ms, int64_t *out_id)
{
    struct pg_conn *c = pg(cc);
    struct params p = {0};
    p_text(&p, name);
    p_int(&p, now_ms);
    enum cp_qs created = run_change(c, ST_TENANT_INSERT, &p, "tenant insert");
    if (created < 0)
        return created;
    struct params q = {0};
    p_text(&q, name);
    enum cp_qs qs;
    PGresult *r = run(c, ST_TENANT_GET, &q, "tenant get", &qs);
    if (r == NULL)
        return qs;
    qs = PQntuples(r) == 1 ? created : CP_QS_HARD;
    if (qs >= 0)
        *out_id = col_int(r, 0, 0, 0);
    PQclear(r);
    return qs;
}

/* ---- api keys ---- */

static enum cp_qs
pg_key_insert(struct cp_store_conn *cc, const struct cp_key_row *row)
{
    struct params p = {0};
    p_text(&p, row->key_id.s);
    p_int(&p, row->tenant_id);
    p_int(&p, row->scopes);
    p_bytes(&p, row->hash.b, sizeof(row->hash.b));
    p_int(&p, row->created_ms);
    return run_change(pg(cc), ST_KEY_INSERT, &p, "key insert");
}

static enum cp_qs
pg_key_get(struct cp_store_conn *cc, const struct cp_key_id *id, struct cp_key_row *out)
{
    struct params p = {0};
    p_text(&p, id->s);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_KEY_GET, &p, "key get", &qs);
    if (r == NULL)
        return qs;
    qs = CP_QS_NONE;
    if (PQntuples(r) == 1) {
        memset(out, 0, sizeof(*out));
        out->key_id = *id;
        out->tenant_id = col_int(r, 0, 0, 0);
        col_copy(r, 0, 1, out->tenant_name, sizeof(out->tenant_name));
        out->scopes = (uint32_t)col_int(r, 0, 2, 0);
        col_fixed(r, 0, 3, out->hash.b, sizeof(out->hash.b));
        out->created_ms = col_int(r, 0, 4, 0);
        out->last_used_ms = col_int(r, 0, 5, 0);
        out->revoked_ms = col_int(r, 0, 6, 0);
        qs = CP_QS_ONE;
    }
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_key_list(struct cp_store_conn *cc, cp_key_list_cb cb, void *cls)
{
    struct params p = {0};
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_KEY_LIST, &p, "key list", &qs);
    if (r == NULL)
        return qs;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        struct cp_key_row row;
        memset(&row, 0, sizeof(row));
        col_copy(r, i, 0, row.key_id.s, sizeof(row.key_id.s));
        row.tenant_id = col_int(r, i, 1, 0);
        col_copy(r, i, 2, row.tenant_name, sizeof(row.tenant_name));
        row.scopes = (uint32_t)col_int(r, i, 3, 0);
        row.created_ms = col_int(r, i, 4, 0);
        row.last_used_ms = col_int(r, i, 5, 0);
        row.revoked_ms = col_int(r, i, 6, 0);
        cb(cls, &row);
    }
    PQclear(r);
    return (enum cp_qs)n;
}

static enum cp_qs
pg_key_revoke(struct cp_store_conn *cc, const struct cp_key_id *id, int64_t now_ms)
{
    struct params p = {0};
    p_text(&p, id->s);
    p_int(&p, now_ms);
    return run_change(pg(cc), ST_KEY_REVOKE, &p, "key revoke");
}

static enum cp_qs
pg_key_touch(struct cp_store_conn *cc, const struct cp_key_id *id, int64_t now_ms,
             int64_t granularity_ms)
{
    struct params p = {0};
    p_text(&p, id->s);
    p_int(&p, now_ms);
    p_int(&p, now_ms - granularity_ms);
    return run_change(pg(cc), ST_KEY_TOUCH, &p, "key touch");
}

static enum cp_qs
pg_key_count(struct cp_store_conn *cc, int64_t *out_n)
{
    struct params p = {0};
    return run_int64(pg(cc), ST_KEY_COUNT, &p, "key count", out_n);
}

/* ---- idempotency ---- */

static enum cp_qs
pg_idem_get(struct cp_store_conn *cc, int64_t tenant_id, const char *key, int64_t not_before_ms,
            struct cp_arena *arena, struct cp_idem_row *out)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, key);
    p_int(&p, not_before_ms);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_IDEM_GET, &p, "idempotency get", &qs);
    if (r == NULL)
        return qs;
    qs = CP_QS_NONE;
    if (PQntuples(r) == 1) {
        memset(out, 0, sizeof(*out));
        col_fixed(r, 0, 0, out->fingerprint.b, sizeof(out->fingerprint.b));
        out->status = (unsigned)col_int(r, 0, 1, 0);
        out->content_type = col_text(r, 0, 2, arena);
        out->location = col_text(r, 0, 3, arena);
        out->body = col_bytes(r, 0, 4, arena, &out->body_len);
        out->created_ms = col_int(r, 0, 5, 0);
        qs = CP_QS_ONE;
    }
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_idem_put(struct cp_store_conn *cc, int64_t tenant_id, const char *key,
            const struct cp_idem_row *row, int64_t not_before_ms)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, key);
    p_bytes(&p, row->fingerprint.b, sizeof(row->fingerprint.b));
    p_int(&p, row->status);
    p_text(&p, row->content_type);
    p_text(&p, row->location);
    p_bytes(&p, row->body, row->body_len);
    p_int(&p, row->created_ms);
    p_int(&p, not_before_ms);
    return run_change(pg(cc), ST_IDEM_PUT, &p, "idempotency put");
}

static enum cp_qs
pg_idem_purge(struct cp_store_conn *cc, int64_t before_ms, int64_t *out_n)
{
    struct params p = {0};
    p_int(&p, before_ms);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_IDEM_PURGE, &p, "idempotency purge", &qs);
    if (r == NULL)
        return qs;
    *out_n = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return CP_QS_ONE;
}

/* ---- calls ---- */

/* Bind the CALL_COLS columns (after the tenant id). */
static void
bind_call(struct params *p, const struct cp_call *c)
{
    p_text(p, c->id);
    p_text(p, c->external_id);
    p_text(p, cp_direction_name(c->direction));
    p_text(p, cp_status_name(c->status));
    p_text(p, cp_outcome_name(c->outcome));
    p_text(p, c->type);
    p_text(p, c->from_number);
    p_text(p, c->to_number);
    p_text(p, c->user_id);
    p_text(p, c->agent_id);
    p_text(p, c->phone_number_id);
    p_text(p, c->agent_name);
    p_text(p, c->campaign_id);
    p_int_or_null(p, c->started_ms, 0);
    p_int_or_null(p, c->ended_ms, 0);
    p_int_or_null(p, c->duration_s, -1);
    p_int_or_null(p, c->talk_time_s, -1);
    p_text(p, c->transcript);
    p_text(p, c->turns_json);
    p_text(p, c->recording_url);
    p_bool(p, c->recording_available);
    p_text(p, c->analysis_json);
    p_text(p, c->latency_metrics_json);
    p_text(p, c->costs_json);
    p_text(p, c->metadata_json);
    p_text(p, c->telephony_provider);
    p_text(p, c->telephony_id);
    p_text(p, c->human_detection_result);
    p_int_or_null(p, (int64_t)c->do_not_call_result, CP_TRI_UNSET);
    p_bool(p, c->hipaa_compliant);
    p_text(p, c->on_no_human_answer);
    p_text(p, c->error_message);
    p_int(p, c->created_ms);
    p_int(p, c->updated_ms);
    p_text(p, c->epa_json);
    p_text(p, cp_state_name(cp_call_state(c)));
}

/* Read the CALL_COLS columns (from column 0) of row i. */
static void
read_call(const PGresult *r, int row, struct cp_arena *a, struct cp_call *c)
{
    int i = 0;
    const char *v;
    cp_call_init(c);
    col_copy(r, row, i++, c->id, sizeof(c->id));
    c->external_id = col_text(r, row, i++, a);
    if ((v = col_text(r, row, i++, a)) != NULL)
        cp_direction_parse(v, &c->direction);
    if ((v = col_text(r, row, i++, a)) != NULL)
        cp_status_parse(v, &c->status);
    if ((v = col_text(r, row, i++, a)) != NULL)
        cp_outcome_parse(v, &c->outcome);
    c->type = col_text(r, row, i++, a);
    c->from_number = col_text(r, row, i++, a);
    c->to_number = col_text(r, row, i++, a);
    c->user_id = col_text(r, row, i++, a);
    c->agent_id = col_text(r, row, i++, a);
    c->phone_number_id = col_text(r, row, i++, a);
    c->agent_name = col_text(r, row, i++, a);
    c->campaign_id = col_text(r, row, i++, a);
    c->started_ms = col_int(r, row, i++, 0);
    c->ended_ms = col_int(r, row, i++, 0);
    c->duration_s = col_int(r, row, i++, -1);
    c->talk_time_s = col_int(r, row, i++, -1);
    c->transcript = col_text(r, row, i++, a);
    c->turns_json = col_text(r, row, i++, a);
    c->recording_url = col_text(r, row, i++, a);
    c->recording_available = col_bool(r, row, i++);
    c->analysis_json = col_text(r, row, i++, a);
    c->latency_metrics_json = col_text(r, row, i++, a);
    c->costs_json = col_text(r, row, i++, a);
    c->metadata_json = col_text(r, row, i++, a);
    c->telephony_provider = col_text(r, row, i++, a);
    c->telephony_id = col_text(r, row, i++, a);
    c->human_detection_result = col_text(r, row, i++, a);
    c->do_not_call_result = (enum cp_tristate)col_int(r, row, i++, CP_TRI_UNSET);
    c->hipaa_compliant = col_bool(r, row, i++);
    c->on_no_human_answer = col_text(r, row, i++, a);
    c->error_message = col_text(r, row, i++, a);
    c->created_ms = col_int(r, row, i++, 0);
    c->updated_ms = col_int(r, row, i++, 0);
    c->epa_json = col_text(r, row, i++, a);
    /* state (last column) is derived from status and outcome; nothing to read */
}

static enum cp_qs
pg_call_insert(struct cp_store_conn *cc, const struct cp_call *call)
{
    struct params p = {0};
    p_int(&p, call->tenant_id);
    bind_call(&p, call);
    return run_change(pg(cc), ST_CALL_INSERT, &p, "call insert");
}

static enum cp_qs
pg_call_get(struct cp_store_conn *cc, int64_t tenant_id, const char *id_or_external,
            struct cp_arena *arena, struct cp_call *out)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, id_or_external);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_CALL_GET, &p, "call get", &qs);
    if (r == NULL)
        return qs;
    qs = CP_QS_NONE;
    if (PQntuples(r) >= 1) {
        read_call(r, 0, arena, out);
        out->tenant_id = tenant_id;
        qs = CP_QS_ONE;
    }
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_call_update(struct cp_store_conn *cc, const struct cp_call *call)
{
    struct params p = {0};
    p_int(&p, call->tenant_id);
    bind_call(&p, call);
    return run_change(pg(cc), ST_CALL_UPDATE, &p, "call update");
}

/*
 * The list (or count) query for one combination of filters, with its parameters numbered in
 * the order filter_params binds them: PostgreSQL wants every $n of a statement used. The
 * planner picks among the (tenant_id, column, started_at) indexes by itself; phone matches
 * either number (a BitmapOr of the two phone indexes). Calls without a start time sort last,
 * as in SQLite (where NULL is the smallest value).
 */
static void
list_sql(unsigned bits, bool count, char *sql, size_t size)
{
    static const struct {
        unsigned bit;
        const char *cond;
    } conds[] = {
        {LF_CAMPAIGN, "campaign_id ="},
        {LF_STATE, "state ="},
        {LF_DIRECTION, "direction ="},
        {LF_OUTCOME, "outcome ="},
        {LF_PHONE, NULL}, /* either number */
        /* Date bounds only when given: "started_at >= 0" would drop calls without a start. */
        {LF_FROM, "started_at >="},
        {LF_TO, "started_at <="},
    };
    int n = snprintf(sql, size, "SELECT %s FROM calls WHERE tenant_id = $1",
                     count ? "count(*)" : CALL_COLS);
    int next = 2;
    for (size_t i = 0; i < CP_ARRAY_LEN(conds); i++) {
        if (!(bits & conds[i].bit))
            continue;
        if (conds[i].cond == NULL)
            n += snprintf(sql + n, size - (size_t)n, " AND (from_number = $%d OR to_number = $%d)",
                          next, next);
        else
            n += snprintf(sql + n, size - (size_t)n, " AND %s $%d", conds[i].cond, next);
        next++;
    }
    if (!count)
        snprintf(sql + n, size - (size_t)n,
                 " ORDER BY started_at DESC NULLS LAST, id DESC LIMIT $%d OFFSET $%d", next,
                 next + 1);
}

/* Bind in the order of list_sql's conds. */
static void
filter_params(struct params *p, int64_t tenant_id, const struct cp_call_filter *f, unsigned bits)
{
    p_int(p, tenant_id);
    if (bits & LF_CAMPAIGN)
        p_text(p, f->campaign_id);
    if (bits & LF_STATE)
        p_text(p, cp_state_name(f->state));
    if (bits & LF_DIRECTION)
        p_text(p, cp_direction_name(f->direction));
    if (bits & LF_OUTCOME)
        p_text(p, cp_outcome_name(f->outcome));
    if (bits & LF_PHONE)
        p_text(p, f->phone);
    if (bits & LF_FROM)
        p_int(p, f->date_from_ms);
    if (bits & LF_TO)
        p_int(p, f->date_to_ms);
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
cp_pg_list_plan(struct cp_store_conn *cc, int64_t tenant_id, const struct cp_call_filter *f,
                bool count, char *out, size_t n)
{
    struct pg_conn *c = pg(cc);
    unsigned bits = filter_bits(f);
    char sql[2100];
    int len = snprintf(sql, sizeof(sql), "EXPLAIN ");
    list_sql(bits, count, sql + len, sizeof(sql) - (size_t)len);
    struct params p = {0};
    filter_params(&p, tenant_id, f, bits);
    if (!count) {
        p_int(&p, f->limit);
        p_int(&p, f->offset);
    }
    out[0] = '\0';
    if (!exec_simple(c->db, "SET enable_seqscan = off", NULL))
        return false;
    PGresult *r = PQexecParams(c->db, sql, p.n, NULL, p.v, p.len, p.fmt, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    size_t used = 0;
    for (int i = 0; ok && i < PQntuples(r); i++) {
        int w = snprintf(out + used, n - used, "%s\n", PQgetvalue(r, i, 0));
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
    PQclear(r);
    return exec_simple(c->db, "RESET enable_seqscan", NULL) && ok;
}

static enum cp_qs
pg_call_list(struct cp_store_conn *cc, int64_t tenant_id, const struct cp_call_filter *f,
             struct cp_arena *arena, struct cp_call **out_items, size_t *out_n, int64_t *out_total)
{
    struct pg_conn *c = pg(cc);
    unsigned bits = filter_bits(f);
    char sql[2048], name[16];
    struct params p = {0};
    filter_params(&p, tenant_id, f, bits);

    enum cp_qs qs;
    list_sql(bits, true, sql, sizeof(sql));
    snprintf(name, sizeof(name), "c%u", bits);
    PGresult *r = exec_named(c, &c->count_prepared[bits], name, sql, &p, "call count", &qs);
    if (r == NULL)
        return qs;
    *out_total = PQntuples(r) == 1 ? col_int(r, 0, 0, 0) : 0;
    PQclear(r);

    p_int(&p, f->limit);
    p_int(&p, f->offset);
    list_sql(bits, false, sql, sizeof(sql));
    snprintf(name, sizeof(name), "l%u", bits);
    r = exec_named(c, &c->list_prepared[bits], name, sql, &p, "call list", &qs);
    if (r == NULL)
        return qs;
    size_t cap = f->limit > 0 ? (size_t)f->limit : 1;
    size_t rows = (size_t)PQntuples(r);
    size_t n = rows < cap ? rows : cap;
    struct cp_call *items = cp_arena_alloc(arena, cap * sizeof(*items));
    for (size_t i = 0; i < n; i++) {
        read_call(r, (int)i, arena, &items[i]);
        items[i].tenant_id = tenant_id;
    }
    PQclear(r);
    *out_items = items;
    *out_n = n;
    return CP_QS_ONE;
}

/* ---- recordings ---- */

static void
read_recording(const PGresult *r, int row, struct cp_arena *a, struct cp_recording *x)
{
    memset(x, 0, sizeof(*x));
    x->tenant_id = col_int(r, row, 0, 0);
    col_copy(r, row, 1, x->call_id, sizeof(x->call_id));
    x->recording_id = col_text(r, row, 2, a);
    x->recording_url = col_text(r, row, 3, a);
    x->duration_s = col_int(r, row, 4, -1);
    x->transcription_id = col_text(r, row, 5, a);
    x->transcription_status = col_text(r, row, 6, a);
    x->started_ms = col_int(r, row, 7, 0);
    x->ended_ms = col_int(r, row, 8, 0);
    x->metadata_json = col_text(r, row, 9, a);
    x->content_type = col_text(r, row, 10, a);
    x->size_bytes = col_int(r, row, 11, -1);
    x->has_audio = col_fixed(r, row, 12, x->sha256.b, sizeof(x->sha256.b));
    x->file_name = col_text(r, row, 13, a);
    x->created_ms = col_int(r, row, 14, 0);
    x->updated_ms = col_int(r, row, 15, 0);
}

/* Read every row of r into an arena array with reader; ONE (also for no rows). */
#define READ_ROWS(r, arena, type, reader, out_items, out_n)                                        \
    do {                                                                                           \
        size_t n_ = (size_t)PQntuples(r);                                                          \
        type *items_ = cp_arena_alloc(arena, (n_ ? n_ : 1) * sizeof(*items_));                     \
        for (size_t i_ = 0; i_ < n_; i_++)                                                         \
            reader(r, (int)i_, arena, &items_[i_]);                                                \
        PQclear(r);                                                                                \
        *(out_items) = items_;                                                                     \
        *(out_n) = n_;                                                                             \
        return CP_QS_ONE;                                                                          \
    } while (0)

static enum cp_qs
pg_recording_get(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id,
                 const char *recording_id, struct cp_arena *arena, struct cp_recording *out)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, call_id);
    p_text(&p, recording_id);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_REC_GET, &p, "recording get", &qs);
    if (r == NULL)
        return qs;
    qs = CP_QS_NONE;
    if (PQntuples(r) == 1) {
        read_recording(r, 0, arena, out);
        qs = CP_QS_ONE;
    }
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_recording_upsert(struct cp_store_conn *cc, const struct cp_recording *x)
{
    struct params p = {0};
    p_int(&p, x->tenant_id);
    p_text(&p, x->call_id);
    p_text(&p, x->recording_id);
    p_text(&p, x->recording_url);
    p_int_or_null(&p, x->duration_s, -1);
    p_text(&p, x->transcription_id);
    p_text(&p, x->transcription_status);
    p_int_or_null(&p, x->started_ms, 0);
    p_int_or_null(&p, x->ended_ms, 0);
    p_text(&p, x->metadata_json);
    p_int(&p, x->created_ms);
    p_int(&p, x->updated_ms);
    enum cp_qs qs = run_change(pg(cc), ST_REC_UPSERT, &p, "recording upsert");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

static enum cp_qs
pg_recording_set_audio(struct cp_store_conn *cc, const struct cp_recording *x)
{
    struct params p = {0};
    p_int(&p, x->tenant_id);
    p_text(&p, x->call_id);
    p_text(&p, x->recording_id);
    p_text(&p, x->content_type);
    p_int(&p, x->size_bytes);
    p_bytes(&p, x->sha256.b, sizeof(x->sha256.b));
    p_text(&p, x->file_name);
    p_int_or_null(&p, x->duration_s, -1);
    p_int(&p, x->updated_ms);
    return run_change(pg(cc), ST_REC_SET_AUDIO, &p, "recording set audio");
}

static enum cp_qs
pg_recording_list(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id,
                  struct cp_arena *arena, struct cp_recording **out_items, size_t *out_n)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, call_id);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_REC_LIST, &p, "recording list", &qs);
    if (r == NULL)
        return qs;
    READ_ROWS(r, arena, struct cp_recording, read_recording, out_items, out_n);
}

/* ---- consents, revocations, decisions ---- */

static void
read_consent(const PGresult *r, int row, struct cp_arena *a, struct cp_consent *x)
{
    memset(x, 0, sizeof(*x));
    x->tenant_id = col_int(r, row, 0, 0);
    col_copy(r, row, 1, x->id, sizeof(x->id));
    x->phone = col_text(r, row, 2, a);
    x->calling_entity = col_text(r, row, 3, a);
    x->type = col_text(r, row, 4, a);
    x->scope = col_text(r, row, 5, a);
    x->valid = col_bool(r, row, 6);
    x->captured_ms = col_int(r, row, 7, 0);
    x->record = col_text(r, row, 8, a);
    x->signature = col_text(r, row, 9, a);
    x->key_id = col_text(r, row, 10, a);
    x->revoked_ms = col_int(r, row, 11, 0);
    x->revocation_id = col_text(r, row, 12, a);
    x->created_ms = col_int(r, row, 13, 0);
    x->record_sha256 = col_text(r, row, 14, a);
}

static enum cp_qs
pg_consent_insert(struct cp_store_conn *cc, const struct cp_consent *x)
{
    struct params p = {0};
    p_int(&p, x->tenant_id);
    p_text(&p, x->id);
    p_text(&p, x->phone);
    p_text(&p, x->calling_entity);
    p_text(&p, x->type);
    p_text(&p, x->scope);
    p_bool(&p, x->valid);
    p_int(&p, x->captured_ms);
    p_text(&p, x->record);
    p_text(&p, x->signature);
    p_text(&p, x->key_id);
    p_int(&p, x->created_ms);
    p_text(&p, x->record_sha256);
    return run_change(pg(cc), ST_CONSENT_INSERT, &p, "consent insert");
}

static enum cp_qs
pg_consent_get(struct cp_store_conn *cc, int64_t tenant_id, const char *id, struct cp_arena *arena,
               struct cp_consent *out)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, id);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_CONSENT_GET, &p, "consent get", &qs);
    if (r == NULL)
        return qs;
    qs = CP_QS_NONE;
    if (PQntuples(r) == 1) {
        read_consent(r, 0, arena, out);
        qs = CP_QS_ONE;
    }
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_consent_list(struct cp_store_conn *cc, int64_t tenant_id, const char *phone,
                struct cp_arena *arena, struct cp_consent **out_items, size_t *out_n)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, phone);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_CONSENT_LIST, &p, "consent list", &qs);
    if (r == NULL)
        return qs;
    READ_ROWS(r, arena, struct cp_consent, read_consent, out_items, out_n);
}

static enum cp_qs
pg_consent_revoke(struct cp_store_conn *cc, int64_t tenant_id, const char *phone,
                  const char *calling_entity, int64_t revoked_ms, const char *revocation_id)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, phone);
    if (calling_entity != NULL)
        p_text(&p, calling_entity);
    p_int(&p, revoked_ms);
    p_text(&p, revocation_id);
    return run_change(pg(cc), calling_entity ? ST_CONSENT_REVOKE : ST_CONSENT_REVOKE_ALL, &p,
                      "consent revoke");
}

static enum cp_qs
pg_revocation_insert(struct cp_store_conn *cc, const struct cp_revocation *x)
{
    struct params p = {0};
    p_int(&p, x->tenant_id);
    p_text(&p, x->id);
    p_text(&p, x->phone);
    p_text(&p, x->calling_entity);
    p_bool(&p, x->scope_all);
    p_text(&p, x->trigger);
    p_int(&p, x->revoked_ms);
    p_int(&p, x->honor_by_ms);
    p_text(&p, x->call_id);
    p_text(&p, x->transcript);
    p_int(&p, x->created_ms);
    enum cp_qs qs = run_change(pg(cc), ST_REV_INSERT, &p, "revocation insert");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

static void
read_revocation(const PGresult *r, int row, struct cp_arena *a, struct cp_revocation *x)
{
    memset(x, 0, sizeof(*x));
    x->tenant_id = col_int(r, row, 0, 0);
    col_copy(r, row, 1, x->id, sizeof(x->id));
    x->phone = col_text(r, row, 2, a);
    x->calling_entity = col_text(r, row, 3, a);
    x->scope_all = col_bool(r, row, 4);
    x->trigger = col_text(r, row, 5, a);
    x->revoked_ms = col_int(r, row, 6, 0);
    x->honor_by_ms = col_int(r, row, 7, 0);
    x->call_id = col_text(r, row, 8, a);
    x->transcript = col_text(r, row, 9, a);
    x->created_ms = col_int(r, row, 10, 0);
}

static enum cp_qs
pg_revocation_list(struct cp_store_conn *cc, int64_t tenant_id, const char *phone,
                   struct cp_arena *arena, struct cp_revocation **out_items, size_t *out_n)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, phone);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_REV_LIST, &p, "revocation list", &qs);
    if (r == NULL)
        return qs;
    READ_ROWS(r, arena, struct cp_revocation, read_revocation, out_items, out_n);
}

static enum cp_qs
pg_decision_insert(struct cp_store_conn *cc, const struct cp_decision *d)
{
    struct params p = {0};
    p_int(&p, d->tenant_id);
    p_text(&p, d->id);
    p_text(&p, d->phone);
    p_bool(&p, d->allowed);
    p_text(&p, d->reason);
    p_text(&p, d->consent_id);
    p_text(&p, d->inputs);
    p_text(&p, d->result);
    p_int(&p, d->created_ms);
    enum cp_qs qs = run_change(pg(cc), ST_DECISION_INSERT, &p, "decision insert");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

/* ---- evidence bundles and the log ---- */

static void
read_bundle(const PGresult *r, int row, struct cp_arena *a, struct cp_bundle *b)
{
    memset(b, 0, sizeof(*b));
    col_copy(r, row, 0, b->id, sizeof(b->id));
    b->tenant_id = col_int(r, row, 1, 0);
    col_copy(r, row, 2, b->call_id, sizeof(b->call_id));
    b->bytes = col_text(r, row, 3, a);
    b->signature = col_text(r, row, 4, a);
    b->key_id = col_text(r, row, 5, a);
    b->leaf_index = col_int(r, row, 6, 0);
    b->score = (int)col_int(r, row, 7, 0);
    b->retention_until_ms = col_int(r, row, 8, 0);
    b->supersedes = col_text(r, row, 9, a);
    b->sealed_ms = col_int(r, row, 10, 0);
}

static enum cp_qs
pg_bundle_insert(struct cp_store_conn *cc, const struct cp_bundle *b)
{
    struct params p = {0};
    p_text(&p, b->id);
    p_int(&p, b->tenant_id);
    p_text(&p, b->call_id);
    p_text(&p, b->bytes);
    p_text(&p, b->signature);
    p_text(&p, b->key_id);
    p_int(&p, b->leaf_index);
    p_int(&p, b->score);
    p_int(&p, b->retention_until_ms);
    p_text(&p, b->supersedes);
    p_int(&p, b->sealed_ms);
    return run_change(pg(cc), ST_BUNDLE_INSERT, &p, "bundle insert");
}

static enum cp_qs
pg_bundle_sign(struct cp_store_conn *cc, int64_t leaf_index, const char *id, const char *bytes,
               const char *signature)
{
    struct params p = {0};
    p_int(&p, leaf_index);
    p_text(&p, id);
    p_text(&p, bytes);
    p_text(&p, signature);
    return run_change(pg(cc), ST_BUNDLE_SIGN, &p, "bundle sign");
}

static enum cp_qs
bundle_one(struct pg_conn *c, enum stmt_id id, const struct params *p, struct cp_arena *a,
           struct cp_bundle *out, const char *what)
{
    enum cp_qs qs;
    PGresult *r = run(c, id, p, what, &qs);
    if (r == NULL)
        return qs;
    qs = CP_QS_NONE;
    if (PQntuples(r) == 1) {
        read_bundle(r, 0, a, out);
        qs = CP_QS_ONE;
    }
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_bundle_get(struct cp_store_conn *cc, const char *id, struct cp_arena *arena,
              struct cp_bundle *out)
{
    struct params p = {0};
    p_text(&p, id);
    return bundle_one(pg(cc), ST_BUNDLE_GET, &p, arena, out, "bundle get");
}

static enum cp_qs
pg_bundle_latest_for_call(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id,
                          struct cp_arena *arena, struct cp_bundle *out)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, call_id);
    return bundle_one(pg(cc), ST_BUNDLE_LATEST, &p, arena, out, "bundle latest");
}

static enum cp_qs
pg_bundle_superseded_by(struct cp_store_conn *cc, const char *id, struct cp_arena *arena,
                        const char **out_id)
{
    struct params p = {0};
    p_text(&p, id);
    enum cp_qs qs;
    *out_id = NULL;
    PGresult *r = run(pg(cc), ST_BUNDLE_SUCCESSOR, &p, "bundle successor", &qs);
    if (r == NULL)
        return qs;
    qs = CP_QS_NONE;
    if (PQntuples(r) == 1) {
        *out_id = col_text(r, 0, 0, arena);
        qs = CP_QS_ONE;
    }
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_bundle_retention_for_call(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id,
                             int64_t *out_ms)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, call_id);
    return run_int64(pg(cc), ST_BUNDLE_RETENTION, &p, "bundle retention", out_ms);
}

static enum cp_qs
pg_bundle_delete(struct cp_store_conn *cc, int64_t tenant_id, const char *id)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, id);
    return run_change(pg(cc), ST_BUNDLE_DELETE, &p, "bundle delete");
}

static enum cp_qs
pg_call_delete(struct cp_store_conn *cc, int64_t tenant_id, const char *call_id)
{
    struct params p = {0};
    p_int(&p, tenant_id);
    p_text(&p, call_id);
    enum cp_qs qs = run_change(pg(cc), ST_CALL_DELETE_RECORDINGS, &p, "recordings delete");
    if (qs < 0)
        return qs;
    return run_change(pg(cc), ST_CALL_DELETE, &p, "call delete");
}

static enum cp_qs
pg_log_size(struct cp_store_conn *cc, int64_t *out_size)
{
    struct params p = {0};
    return run_int64(pg(cc), ST_LOG_SIZE, &p, "log size", out_size);
}

static enum cp_qs
pg_log_node_get(struct cp_store_conn *cc, int level, int64_t index, struct cp_sha256 *out)
{
    struct params p = {0};
    p_int(&p, level);
    p_int(&p, index);
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_NODE_GET, &p, "log node get", &qs);
    if (r == NULL)
        return qs;
    qs = CP_QS_NONE;
    if (PQntuples(r) == 1)
        qs = col_fixed(r, 0, 0, out->b, sizeof(out->b)) ? CP_QS_ONE
                                                        : CP_QS_HARD; /* corrupt: never guess */
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_log_node_put(struct cp_store_conn *cc, int level, int64_t index, const struct cp_sha256 *hash)
{
    struct params p = {0};
    p_int(&p, level);
    p_int(&p, index);
    p_bytes(&p, hash->b, sizeof(hash->b));
    enum cp_qs qs = run_change(pg(cc), ST_NODE_PUT, &p, "log node put");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

static enum cp_qs
pg_log_leaf_put(struct cp_store_conn *cc, int64_t index, const char *bundle_id)
{
    struct params p = {0};
    p_int(&p, index);
    p_text(&p, bundle_id);
    enum cp_qs qs = run_change(pg(cc), ST_LEAF_PUT, &p, "log leaf put");
    return qs == CP_QS_NONE ? CP_QS_HARD : qs;
}

static enum cp_qs
pg_checkpoint_put(struct cp_store_conn *cc, const struct cp_checkpoint *cp)
{
    struct params p = {0};
    p_int(&p, cp->size);
    p_bytes(&p, cp->root.b, sizeof(cp->root.b));
    p_text(&p, cp->note);
    p_int(&p, cp->created_ms);
    return run_change(pg(cc), ST_CKPT_PUT, &p, "checkpoint put");
}

static enum cp_qs
checkpoint_one(struct pg_conn *c, enum stmt_id id, const struct params *p, struct cp_arena *a,
               struct cp_checkpoint *out)
{
    enum cp_qs qs;
    PGresult *r = run(c, id, p, "checkpoint", &qs);
    if (r == NULL)
        return qs;
    qs = CP_QS_NONE;
    if (PQntuples(r) == 1) {
        qs = CP_QS_HARD;
        if (col_fixed(r, 0, 1, out->root.b, sizeof(out->root.b))) {
            out->size = col_int(r, 0, 0, 0);
            out->note = col_text(r, 0, 2, a);
            out->created_ms = col_int(r, 0, 3, 0);
            qs = CP_QS_ONE;
        }
    }
    PQclear(r);
    return qs;
}

static enum cp_qs
pg_checkpoint_latest(struct cp_store_conn *cc, struct cp_arena *arena, struct cp_checkpoint *out)
{
    struct params p = {0};
    return checkpoint_one(pg(cc), ST_CKPT_LATEST, &p, arena, out);
}

static enum cp_qs
pg_checkpoint_get(struct cp_store_conn *cc, int64_t size, struct cp_arena *arena,
                  struct cp_checkpoint *out)
{
    struct params p = {0};
    p_int(&p, size);
    return checkpoint_one(pg(cc), ST_CKPT_GET, &p, arena, out);
}

/* ---- the shared log ----
 *
 * Several instances append to one transparency log. A transaction that appends leaves reads
 * the log size and inserts at that index; two such transactions overlapping would conflict
 * (40001) and one would run again, so they take the log lock (a session advisory lock, taken
 * before BEGIN and dropped after COMMIT/ROLLBACK, so the snapshot sees every earlier append):
 * appends are serialised across instances without conflicts, and other writes are not held.
 * Integration (the subtree hashes and the signed checkpoint of the pending leaves) runs in
 * one instance at a time: the holder of the lease, a session advisory lock held by a
 * connection kept for it. Taking the lease bumps log_lease.epoch; each integration checks in
 * its own transaction that its epoch is still the newest (the fence), so a process that lost
 * its lease without noticing (a paused process, a dropped connection) cannot write after a
 * successor started. NOTIFY callproof_log_<oid> ('s' leaves sealed, 'c' checkpoint signed) wakes
 * the leader and the instances whose post-call waits for its checkpoint. */

/* Run an advisory lock function outside a transaction: ONE, NONE when pg_try_* found it
 * held, or the failure. Like begin, it is the first statement a pooled connection runs in a
 * while, so a connection found dead is re-established and the statement sent once more. */
static enum cp_qs
advisory(struct pg_conn *c, const char *sql, const char *what)
{
    PGresult *r = NULL;
    bool ok = exec_simple(c->db, sql, &r);
    if (!ok && PQstatus(c->db) != CONNECTION_OK) {
        PQclear(r);
        r = NULL;
        if (!reconnect(c))
            return unavailable(c);
        ok = exec_simple(c->db, sql, &r);
    }
    enum cp_qs qs = ok ? CP_QS_ONE : qs_from_result(c, r, what);
    if (qs == CP_QS_ONE && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "f") == 0)
        qs = CP_QS_NONE; /* pg_try_advisory_lock: held by another session */
    PQclear(r);
    return qs;
}

/* Give up a session advisory lock this connection holds (*held); a lost connection took it
 * with it. */
static void
advisory_unlock(struct pg_conn *c, bool *held, const char *sql)
{
    if (!*held)
        return;
    *held = false;
    if (PQstatus(c->db) == CONNECTION_OK)
        exec_simple(c->db, sql, NULL);
}

static enum cp_qs
pg_log_lock(struct cp_store_conn *cc)
{
    struct pg_conn *c = pg(cc);
    CP_ASSERT(!c->in_txn && !c->log_locked);
    enum cp_qs qs = advisory(c, "SELECT pg_advisory_lock(" LOG_LOCK_KEY ")", "log lock");
    c->log_locked = qs == CP_QS_ONE;
    return qs;
}

static void
pg_log_unlock(struct cp_store_conn *cc)
{
    struct pg_conn *c = pg(cc);
    advisory_unlock(c, &c->log_locked, "SELECT pg_advisory_unlock(" LOG_LOCK_KEY ")");
}

static void pg_lease_release(struct cp_store_conn *cc);

static enum cp_qs
pg_lease_acquire(struct cp_store_conn *cc, int64_t *out_epoch)
{
    struct pg_conn *c = pg(cc);
    CP_ASSERT(!c->in_txn);
    if (PQstatus(c->db) != CONNECTION_OK && !reconnect(c))
        return unavailable(c);
    if (!c->leased) {
        enum cp_qs qs = advisory(c, "SELECT pg_try_advisory_lock(" LEASE_LOCK_KEY ")", "lease");
        if (qs != CP_QS_ONE)
            return qs;
        c->leased = true;
    }
    /* A new epoch, in a transaction of its own (autocommit): later fences check it. */
    struct params p = {0};
    p_int(&p, cp_time_now_ms());
    enum cp_qs qs = run_int64(c, ST_LEASE_BUMP, &p, "lease epoch", out_epoch);
    if (qs < 0)
        pg_lease_release(cc);
    return qs;
}

static void
pg_lease_release(struct cp_store_conn *cc)
{
    struct pg_conn *c = pg(cc);
    advisory_unlock(c, &c->leased, "SELECT pg_advisory_unlock(" LEASE_LOCK_KEY ")");
}

static enum cp_qs
pg_lease_fence(struct cp_store_conn *cc, int64_t epoch)
{
    /* By epoch alone: any connection of the holder's process may write under its epoch (its
     * batches integrate on the writer connection), and a session that lost the lease lost it
     * to a successor, whose acquisition bumped the epoch. */
    struct pg_conn *c = pg(cc);
    struct params p = {0};
    p_int(&p, epoch);
    p_int(&p, cp_time_now_ms());
    return run_change(c, ST_LEASE_FENCE, &p, "lease fence");
}

static enum cp_qs
pg_log_notify(struct cp_store_conn *cc, unsigned kind)
{
    struct params p = {0};
    p_text(&p, kind == CP_LOG_INTEGRATED ? "c" : "s");
    enum cp_qs qs;
    PGresult *r = run(pg(cc), ST_LOG_NOTIFY, &p, "log notify", &qs);
    PQclear(r);
    return qs;
}

/* Take every notification libpq has read; their kinds into *kinds. */
static void
drain_notifies(struct pg_conn *c, unsigned *kinds)
{
    PGnotify *n;
    while ((n = PQnotifies(c->db)) != NULL) {
        *kinds |= n->extra[0] == 'c' ? CP_LOG_INTEGRATED : CP_LOG_SEALED;
        PQfreemem(n);
    }
}

static enum cp_qs
pg_log_wait(struct cp_store_conn *cc, int timeout_ms, unsigned *out_kinds)
{
    struct pg_conn *c = pg(cc);
    CP_ASSERT(!c->in_txn);
    *out_kinds = 0;
    if (PQstatus(c->db) != CONNECTION_OK && !reconnect(c))
        return unavailable(c);
    if (!c->listening) {
        /* LISTEN takes a name, not an expression: the channel of this store's schema. */
        PGresult *r = NULL;
        char sql[96] = "";
        if (exec_simple(c->db, "SELECT " LOG_CHANNEL, &r) && PQntuples(r) == 1)
            snprintf(sql, sizeof(sql), "LISTEN %s", PQgetvalue(r, 0, 0));
        PQclear(r);
        if (sql[0] == '\0' || !exec_simple(c->db, sql, NULL))
            return unavailable(c);
        c->listening = true;
    }
    drain_notifies(c, out_kinds);
    if (*out_kinds == 0) {
        struct pollfd pfd = {.fd = PQsocket(c->db), .events = POLLIN};
        int n = poll(&pfd, 1, timeout_ms);
        if (n > 0 && !PQconsumeInput(c->db)) {
            cp_log(CP_LOG_WARN, "postgres: log listener: %.*s",
                   (int)strcspn(PQerrorMessage(c->db), "\n"), PQerrorMessage(c->db));
            return unavailable(c);
        }
        drain_notifies(c, out_kinds);
    }
    return *out_kinds != 0 ? CP_QS_ONE : CP_QS_NONE;
}

static const struct cp_store_ops pg_ops = {
    .backend = "postgres",
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .savepoint = pg_savepoint,
    .savepoint_release = pg_savepoint_release,
    .savepoint_rollback = pg_savepoint_rollback,
    .soft_fails_transaction = true,
    .tenant_ensure = pg_tenant_ensure,
    .key_insert = pg_key_insert,
    .key_get = pg_key_get,
    .key_list = pg_key_list,
    .key_revoke = pg_key_revoke,
    .key_touch = pg_key_touch,
    .key_count = pg_key_count,
    .idem_get = pg_idem_get,
    .idem_put = pg_idem_put,
    .idem_purge = pg_idem_purge,
    .call_insert = pg_call_insert,
    .call_get = pg_call_get,
    .call_update = pg_call_update,
    .call_list = pg_call_list,
    .recording_get = pg_recording_get,
    .recording_upsert = pg_recording_upsert,
    .recording_set_audio = pg_recording_set_audio,
    .recording_list = pg_recording_list,
    .consent_insert = pg_consent_insert,
    .consent_get = pg_consent_get,
    .consent_list = pg_consent_list,
    .consent_revoke = pg_consent_revoke,
    .revocation_insert = pg_revocation_insert,
    .revocation_list = pg_revocation_list,
    .decision_insert = pg_decision_insert,
    .bundle_insert = pg_bundle_insert,
    .bundle_sign = pg_bundle_sign,
    .bundle_get = pg_bundle_get,
    .bundle_latest_for_call = pg_bundle_latest_for_call,
    .bundle_superseded_by = pg_bundle_superseded_by,
    .log_size = pg_log_size,
    .log_node_get = pg_log_node_get,
    .log_node_put = pg_log_node_put,
    .log_leaf_put = pg_log_leaf_put,
    .checkpoint_put = pg_checkpoint_put,
    .checkpoint_latest = pg_checkpoint_latest,
    .checkpoint_get = pg_checkpoint_get,
    .bundle_retention_for_call = pg_bundle_retention_for_call,
    .bundle_delete = pg_bundle_delete,
    .call_delete = pg_call_delete,
    .log_lock = pg_log_lock,
    .log_unlock = pg_log_unlock,
    .lease_acquire = pg_lease_acquire,
    .lease_release = pg_lease_release,
    .lease_fence = pg_lease_fence,
    .log_notify = pg_log_notify,
    .log_wait = pg_log_wait,
};

const struct cp_store_backend cp_store_pg_backend = {
    .name = "postgres",
    .shares_log = true,
    .open = pg_open,
    .close = pg_close,
    .conn_open = pg_conn_open,
    .conn_close = pg_conn_close,
};
