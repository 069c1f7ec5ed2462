/*
 * The store: callproof's persistence as an interface of *business operations* (GNU Taler's
 * plugin / GNUnet namestore idea). Nothing above this directory sees SQL or a database handle;
 * each backend (sqlite/ and pg/) implements the same operations with the same
 * behaviour, and one contract test runs against every backend.
 *
 * Model:
 *   struct cp_store       one per process: the opened database, migrations applied, a pool of
 *                         connections. Thread-safe.
 *   struct cp_store_conn  one connection/session, used by one thread at a time. Operations are
 *                         called between begin() and commit()/rollback(), normally through
 *                         cp_store_run(), which retries soft (transient) failures.
 *
 * Every operation returns an enum cp_qs (query status):
 *   CP_QS_HARD  (-2) the database failed (I/O, corruption, constraint we did not expect), or
 *                    cannot be reached (then the connection's cause says so: see
 *                    enum cp_store_cause): the transaction must be rolled back and the request
 *                    answered 500/503/507.
 *   CP_QS_SOFT  (-1) a transient conflict (busy, serialization failure, deadlock): rolling
 *                    back and running the whole transaction again may succeed.
 *   CP_QS_NONE  ( 0) success, no row (not found / nothing changed / unique conflict where the
 *                    operation documents it).
 *   CP_QS_ONE   ( 1) success, one row (or more: the count, for list operations).
 * Every operation is tenant-scoped where the data is: the tenant id is always a parameter, and
 * another tenant's object is simply not found.
 */
#ifndef CP_STORE_STORE_H
#define CP_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "domain/apikey.h"
#include "domain/call.h"

enum cp_qs {
    CP_QS_ABORT = -3, /* not an error: the callback decided nothing may be kept (roll back) */
    CP_QS_HARD = -2,
    CP_QS_SOFT = -1,
    CP_QS_NONE = 0,
    CP_QS_ONE = 1
};

#define CP_TENANT_NAME_MAX 64
#define CP_STORE_MAX_BATCH 64 /* write transactions group-committed together, at most */

struct cp_store;
struct cp_store_conn;

struct cp_key_row {
    struct cp_key_id key_id;
    int64_t tenant_id;
    char tenant_name[CP_TENANT_NAME_MAX + 1];
    uint32_t scopes;
    struct cp_sha256 hash;
    int64_t created_ms;
    int64_t last_used_ms; /* 0 = never */
    int64_t revoked_ms;   /* 0 = active */
};

/* A completed response remembered under an Idempotency-Key. */
struct cp_idem_row {
    struct cp_sha256 fingerprint; /* SHA-256 of method, path+query and body */
    unsigned status;
    const char *content_type;
    const char *location; /* Location header or NULL */
    const char *body;     /* not NUL-terminated */
    size_t body_len;
    int64_t created_ms;
};

typedef void (*cp_key_list_cb)(void *cls, const struct cp_key_row *row);

#define CP_BUNDLE_ID_LEN 35 /* "ev_" + 32 hex: 128 random bits, a capability */

/* A sealed evidence bundle: the exact signed bytes and where they sit in the log. Never
 * updated; a correction is a new bundle that names the one it supersedes. */
struct cp_bundle {
    char id[CP_BUNDLE_ID_LEN + 1];
    int64_t tenant_id;
    char call_id[CP_UUID_LEN + 1]; /* the call's server id */
    const char *bytes;             /* canonical JSON, as signed */
    const char *signature;         /* hex Ed25519 over "callproof/evidence/v1\n" || bytes */
    const char *key_id;
    int64_t leaf_index;
    int score;
    int64_t retention_until_ms;
    const char *supersedes; /* bundle id or NULL */
    int64_t sealed_ms;
};

/* A signed tree head of the transparency log. */
struct cp_checkpoint {
    int64_t size;
    struct cp_sha256 root;
    const char *note; /* the signed note text (C2SP checkpoint + signature line) */
    int64_t created_ms;
};

#define CP_CONSENT_ID_LEN 36 /* "cst_" + 32 hex: 128 random bits */
#define CP_CONSENT_ID_MAX 68 /* an imported id: "cst_" + up to 64 of [A-Za-z0-9] */

/* A consent record. Immutable once stored, except for the revocation mark. The signed record
 * (canonical JSON, json/canonical.c) holds every field; the columns are for finding it. */
struct cp_consent {
    int64_t tenant_id;
    char id[CP_CONSENT_ID_MAX + 1];
    const char *phone;          /* E.164 */
    const char *calling_entity; /* as given */
    const char *type;           /* prior_express_written | prior_express | verbal |
                                   established_business_relationship */
    const char *scope;          /* comma-separated: ai_voice,ai_sms,telemarketing,transactional */
    bool valid;                 /* false for a verbal capture the classifier did not accept */
    int64_t captured_ms;
    const char *record;    /* the signed canonical JSON */
    const char *signature; /* hex Ed25519 over "callproof/consent/v1\n" || record */
    /* hex SHA-256 of record, stored with it (schema 11) so that each seal naming the consent
     * need not hash it again; NULL on a consent stored before */
    const char *record_sha256;
    const char *key_id;
    int64_t revoked_ms; /* 0 = not revoked */
    const char *revocation_id;
    int64_t created_ms;
};

/* An opt-out: blocks calls to phone from calling_entity (or from anyone, scope all). */
struct cp_revocation {
    int64_t tenant_id;
    char id[CP_CONSENT_ID_LEN + 1]; /* "rev_" + 32 hex */
    const char *phone;
    const char *calling_entity;
    bool scope_all;
    const char *trigger;
    int64_t revoked_ms;  /* when the consumer revoked (captured_at) */
    int64_t honor_by_ms; /* revoked_ms + 10 business days */
    const char *call_id;
    const char *transcript;
    int64_t created_ms;
};

/* The audit record of one precall decision, its inputs and its answer. */
struct cp_decision {
    int64_t tenant_id;
    char id[CP_CONSENT_ID_LEN + 1]; /* "dec_" + 32 hex */
    const char *phone;
    bool allowed;
    const char *reason;     /* NULL when allowed */
    const char *consent_id; /* the consent relied on, or NULL */
    const char *inputs;     /* JSON of the request */
    const char *result;     /* JSON of the answer */
    int64_t created_ms;
};

#define CP_RECORDING_ID_MAX 128

/* A call's recording: the log a platform posts (seed 003) and, when callproof holds the audio,
 * the file's facts. Strings are arena copies when read from the store. */
struct cp_recording {
    int64_t tenant_id;
    char call_id[CP_UUID_LEN + 1]; /* the call's server id */
    const char *recording_id;      /* the tenant's id for it, unique per call */
    const char *recording_url;     /* an external https URL, or NULL */
    int64_t duration_s;            /* -1 = unknown */
    const char *transcription_id;
    const char *transcription_status; /* pending | completed | failed | NULL */
    int64_t started_ms, ended_ms;     /* 0 = unknown */
    const char *metadata_json;        /* object or NULL */
    /* Audio held by callproof (all unset until uploaded; immutable once set). */
    bool has_audio;
    const char *content_type;
    int64_t size_bytes;
    struct cp_sha256 sha256;
    const char *file_name; /* relative to the data directory's recordings/ */
    int64_t created_ms, updated_ms;
};

struct cp_store_ops {
    const char *backend; /* "sqlite", "postgres" */

    /* Transactions. begin(write=true) takes the write lock up front (SQLite BEGIN IMMEDIATE),
     * so no statement inside can fail with a lock upgrade conflict. */
    enum cp_qs (*begin)(struct cp_store_conn *c, bool write);
    enum cp_qs (*commit)(struct cp_store_conn *c);
    void (*rollback)(struct cp_store_conn *c);
    /* Savepoints inside a write transaction, for group commit (cp_store_run): each request's
     * transaction function runs inside its own savepoint of a shared transaction, so one that
     * fails or decides on a 4xx is undone alone. savepoint/savepoint_release: ONE or an error;
     * savepoint_rollback undoes everything since the savepoint and releases it (ONE; HARD if
     * the transaction itself is gone, e.g. rolled back by the database after an I/O error). */
    enum cp_qs (*savepoint)(struct cp_store_conn *c);
    enum cp_qs (*savepoint_release)(struct cp_store_conn *c);
    enum cp_qs (*savepoint_rollback)(struct cp_store_conn *c);
    /* True when a SOFT failure dooms the whole transaction, not just the statement: running
     * the function again inside the same transaction would meet the same conflict (PostgreSQL
     * SERIALIZABLE: the snapshot is the transaction's). Group commit then runs the whole batch
     * again in a new transaction instead of the one function. */
    bool soft_fails_transaction;
    /* Rows this connection has inserted, updated or deleted since it opened; NULL if the
     * backend cannot tell cheaply. With it, group commit runs each function without a
     * savepoint and uses one only when a function that changed rows must be undone: a
     * savepoint makes SQLite copy every page the function touches that the batch had already
     * changed (the hot index pages of every call) into its statement journal. */
    int64_t (*changes)(struct cp_store_conn *c);

    /* Tenants. Insert-or-get by name; *out_id receives the id. ONE if created, NONE if it
     * existed. */
    enum cp_qs (*tenant_ensure)(struct cp_store_conn *c, const char *name, int64_t now_ms,
                                int64_t *out_id);

    /* API keys. key_insert: ONE, or NONE if the key id exists (regenerate and retry). */
    enum cp_qs (*key_insert)(struct cp_store_conn *c, const struct cp_key_row *row);
    /* Look a key up by id, joined with its tenant's name. ONE or NONE. */
    enum cp_qs (*key_get)(struct cp_store_conn *c, const struct cp_key_id *id,
                          struct cp_key_row *out);
    /* Call cb for every key, oldest first. Returns the count (as a qs >= 0) or an error. */
    enum cp_qs (*key_list)(struct cp_store_conn *c, cp_key_list_cb cb, void *cls);
    /* Mark revoked at now_ms. ONE if it was active, NONE if unknown or already revoked. */
    enum cp_qs (*key_revoke)(struct cp_store_conn *c, const struct cp_key_id *id, int64_t now_ms);
    /* Record use. Only writes when the stored value is older than now_ms - granularity_ms, so
     * a busy key costs one write per granularity, not one per request. */
    enum cp_qs (*key_touch)(struct cp_store_conn *c, const struct cp_key_id *id, int64_t now_ms,
                            int64_t granularity_ms);
    /* Number of keys, revoked or not (to detect the first start of an empty store). */
    enum cp_qs (*key_count)(struct cp_store_conn *c, int64_t *out_n);

    /* Idempotency records. idem_get fills *out with copies allocated in arena; rows created
     * before not_before_ms are treated as absent (expired). ONE or NONE. */
    enum cp_qs (*idem_get)(struct cp_store_conn *c, int64_t tenant_id, const char *key,
                           int64_t not_before_ms, struct cp_arena *arena, struct cp_idem_row *out);
    /* Insert, replacing only a row with the same key created before not_before_ms (expired).
     * ONE, or NONE when a live row exists (someone else recorded this key first). */
    enum cp_qs (*idem_put)(struct cp_store_conn *c, int64_t tenant_id, const char *key,
                           const struct cp_idem_row *row, int64_t not_before_ms);
    /* Delete every record created before before_ms; *out_n = rows deleted. */
    enum cp_qs (*idem_purge)(struct cp_store_conn *c, int64_t before_ms, int64_t *out_n);

    /* Calls. call_insert: ONE, or NONE when the tenant already has a call with this
     * external_id (the caller answers 409). */
    enum cp_qs (*call_insert)(struct cp_store_conn *c, const struct cp_call *call);
    /* Find a call of tenant_id by server id or by the tenant's external id (the server id is
     * tried first). Strings in *out are arena copies. ONE or NONE. */
    enum cp_qs (*call_get)(struct cp_store_conn *c, int64_t tenant_id, const char *id_or_external,
                           struct cp_arena *arena, struct cp_call *out);
    /* Rewrite every mutable column of the call (tenant_id, id) from *call; created_at is kept.
     * ONE, or NONE if there is no such call (or external_id collides with another call). */
    enum cp_qs (*call_update)(struct cp_store_conn *c, const struct cp_call *call);
    /* One page of the tenant's calls matching filter (limit >= 1 and offset >= 0 in the filter),
     * newest start time first, then id descending (calls without a start time last), in a
     * transaction; *out_items is an arena array of *out_n calls, *out_total the number matching
     * without paging. ONE (even for an empty page) or an error. */
    enum cp_qs (*call_list)(struct cp_store_conn *c, int64_t tenant_id,
                            const struct cp_call_filter *filter, struct cp_arena *arena,
                            struct cp_call **out_items, size_t *out_n, int64_t *out_total);

    /* Recordings. recording_get: the recording (tenant, call server id, recording_id), ONE or
     * NONE. */
    enum cp_qs (*recording_get)(struct cp_store_conn *c, int64_t tenant_id, const char *call_id,
                                const char *recording_id, struct cp_arena *arena,
                                struct cp_recording *out);
    /* Insert a recording, or update its log fields (url, duration, transcription, times,
     * metadata, updated_at) when it exists; audio facts are never touched here. ONE. */
    enum cp_qs (*recording_upsert)(struct cp_store_conn *c, const struct cp_recording *rec);
    /* Record the audio of an existing recording that has none yet (content type, size,
     * sha256, file name, and duration when given >= 0). ONE, or NONE if it already has audio
     * or does not exist. */
    enum cp_qs (*recording_set_audio)(struct cp_store_conn *c, const struct cp_recording *rec);
    /* The call's recordings, oldest first (arena array). ONE (also when there are none). */
    enum cp_qs (*recording_list)(struct cp_store_conn *c, int64_t tenant_id, const char *call_id,
                                 struct cp_arena *arena, struct cp_recording **out_items,
                                 size_t *out_n);

    /* Consents: insert (ONE; NONE if the id exists), get by id (ONE/NONE), the tenant's
     * consents for a phone, newest capture first (ONE). */
    enum cp_qs (*consent_insert)(struct cp_store_conn *c, const struct cp_consent *consent);
    enum cp_qs (*consent_get)(struct cp_store_conn *c, int64_t tenant_id, const char *id,
                              struct cp_arena *arena, struct cp_consent *out);
    enum cp_qs (*consent_list)(struct cp_store_conn *c, int64_t tenant_id, const char *phone,
                               struct cp_arena *arena, struct cp_consent **out_items,
                               size_t *out_n);
    /* Mark the phone's consents captured up to revoked_ms revoked at revoked_ms: those of
     * calling_entity (compared case-insensitively), or all when it is NULL; consents already
     * revoked keep their first mark, later ones stay valid. ONE if any changed, else NONE. */
    enum cp_qs (*consent_revoke)(struct cp_store_conn *c, int64_t tenant_id, const char *phone,
                                 const char *calling_entity, int64_t revoked_ms,
                                 const char *revocation_id);
    /* Revocations: insert (ONE), the tenant's revocations for a phone, newest first (ONE). */
    enum cp_qs (*revocation_insert)(struct cp_store_conn *c, const struct cp_revocation *rev);
    enum cp_qs (*revocation_list)(struct cp_store_conn *c, int64_t tenant_id, const char *phone,
                                  struct cp_arena *arena, struct cp_revocation **out_items,
                                  size_t *out_n);
    /* Precall decisions: insert the audit record (ONE). */
    enum cp_qs (*decision_insert)(struct cp_store_conn *c, const struct cp_decision *d);

    /* Evidence bundles. bundle_insert: ONE (NONE if the id exists). bundle_get: by id alone
     * (the id is a capability link; callers that act for a tenant check tenant_id). The newest
     * bundle of a call (ONE/NONE), and the bundle that supersedes id (ONE/NONE). */
    enum cp_qs (*bundle_insert)(struct cp_store_conn *c, const struct cp_bundle *b);
    /* Store the signature of a bundle inserted unsigned (signature ""; see
     * handlers/seal_signer.h): ONE when the bundle logged at leaf_index has this id, is still
     * unsigned and holds exactly these bytes; NONE otherwise, changing nothing. */
    enum cp_qs (*bundle_sign)(struct cp_store_conn *c, int64_t leaf_index, const char *id,
                              const char *bytes, const char *signature);
    enum cp_qs (*bundle_get)(struct cp_store_conn *c, const char *id, struct cp_arena *arena,
                             struct cp_bundle *out);
    enum cp_qs (*bundle_latest_for_call)(struct cp_store_conn *c, int64_t tenant_id,
                                         const char *call_id, struct cp_arena *arena,
                                         struct cp_bundle *out);
    enum cp_qs (*bundle_superseded_by)(struct cp_store_conn *c, const char *id,
                                       struct cp_arena *arena, const char **out_id);
    /* The latest retention_until of the call's bundles (0 when it has none): ONE. */
    enum cp_qs (*bundle_retention_for_call)(struct cp_store_conn *c, int64_t tenant_id,
                                            const char *call_id, int64_t *out_ms);
    /* Delete the tenant's bundle (its log leaf stays: the log holds only hashes). ONE, or
     * NONE when the tenant has no bundle with this id. */
    enum cp_qs (*bundle_delete)(struct cp_store_conn *c, int64_t tenant_id, const char *id);
    /* Delete a call and its recordings' rows (the caller removes their files). ONE or NONE. */
    enum cp_qs (*call_delete)(struct cp_store_conn *c, int64_t tenant_id, const char *call_id);
    /* The transparency log: its size (the number of leaves; they are only ever appended at
     * index log_size), the stored hash of the perfect subtree (level, index) (ONE/NONE), and
     * appends. Leaves and node hashes are written in the same transaction as the bundle they
     * log; putting a (level, index) or leaf index that exists is an error (HARD). */
    enum cp_qs (*log_size)(struct cp_store_conn *c, int64_t *out_size);
    enum cp_qs (*log_node_get)(struct cp_store_conn *c, int level, int64_t index,
                               struct cp_sha256 *out);
    enum cp_qs (*log_node_put)(struct cp_store_conn *c, int level, int64_t index,
                               const struct cp_sha256 *hash);
    enum cp_qs (*log_leaf_put)(struct cp_store_conn *c, int64_t index, const char *bundle_id);
    /* Checkpoints: store one (ONE; NONE if that size already has one), the latest (the
     * largest size; ONE/NONE), the one of a given size (ONE/NONE). */
    enum cp_qs (*checkpoint_put)(struct cp_store_conn *c, const struct cp_checkpoint *cp);
    enum cp_qs (*checkpoint_latest)(struct cp_store_conn *c, struct cp_arena *arena,
                                    struct cp_checkpoint *out);
    enum cp_qs (*checkpoint_get)(struct cp_store_conn *c, int64_t size, struct cp_arena *arena,
                                 struct cp_checkpoint *out);

    /*
     * The log shared by several processes (PostgreSQL). NULL in a backend whose database one
     * process owns (SQLite), where each group-commit batch integrates its own leaves (see
     * cp_store_set_log_hook). The leaf sequence is the database's: a transaction that appends
     * leaves reads log_size and writes at that index, so such transactions must not overlap.
     *
     * log_lock / log_unlock: outside a transaction, serialise the transactions that append to
     *   or integrate the log, across every process (store.c takes it before BEGIN and drops it
     *   after COMMIT or ROLLBACK: see cp_store_run_log).
     * lease_acquire: outside a transaction, try to become the one process that integrates
     *   pending leaves and signs checkpoints: ONE with *out_epoch a number greater than every
     *   epoch given before, NONE when another session holds the lease. The lease lives as long
     *   as this connection's session (a lost connection loses it).
     * lease_release: give it up (no-op when not held).
     * lease_fence: inside a write transaction, on any connection, ONE while epoch is still the
     *   newest, NONE once another session took the lease since: the caller must not integrate
     *   (it was fenced off).
     * log_notify: inside a transaction, wake every process's log_wait once it commits; kind is
     *   CP_LOG_SEALED (leaves were appended) or CP_LOG_INTEGRATED (a checkpoint was signed).
     * log_wait: outside a transaction, wait up to timeout_ms for notifications on this
     *   connection (listening on its first call): ONE with *out_kinds the kinds received (a
     *   bit set), NONE after the timeout, HARD when the connection is lost.
     */
    enum cp_qs (*log_lock)(struct cp_store_conn *c);
    void (*log_unlock)(struct cp_store_conn *c);
    enum cp_qs (*lease_acquire)(struct cp_store_conn *c, int64_t *out_epoch);
    void (*lease_release)(struct cp_store_conn *c);
    enum cp_qs (*lease_fence)(struct cp_store_conn *c, int64_t epoch);
    enum cp_qs (*log_notify)(struct cp_store_conn *c, unsigned kind);
    enum cp_qs (*log_wait)(struct cp_store_conn *c, int timeout_ms, unsigned *out_kinds);
};

#define CP_LOG_SEALED 1u
#define CP_LOG_INTEGRATED 2u

/* Why the last HARD failure on a connection happened, when the backend knows: the HTTP layer
 * answers 507 for a full disk and 503 + Retry-After for an unreachable database instead of
 * 500. Backends set it where they return HARD; begin() clears it. */
enum cp_store_cause {
    CP_CAUSE_OTHER = 0,
    CP_CAUSE_FULL, /* out of disk space (SQLITE_FULL, ENOSPC, PostgreSQL 53100) */
    CP_CAUSE_DOWN, /* the database cannot be reached right now */
};

/* The connection's public head; backends embed it first in their own connection struct. */
struct cp_store_conn {
    const struct cp_store_ops *ops;
    struct cp_store *store;
    struct cp_store_conn *next_free; /* pool link, owned by store.c */
    enum cp_store_cause cause;
    bool kept; /* a read transaction left open by cp_store_run_keep (store.c) */
};

/*
 * Open the store named by url: NULL or "" or "sqlite:PATH" or a plain path opens SQLite at
 * that path (created if missing), "postgres://..." / "postgresql://..." selects PostgreSQL.
 * Applies pending migrations; refuses (NULL + *out_err) when the database's schema is newer
 * than this binary knows, or the backend is not built in. The result is freed with
 * cp_store_close.
 */
struct cp_store *cp_store_open(const char *url, struct cp_error *out_err);
void cp_store_close(struct cp_store *s); /* NULL ok; every connection must be released first */
const char *cp_store_backend(const struct cp_store *s);
/* url for logs and messages: a password in it ("postgres://user:secret@host/db") becomes
 * "***". Writes at most n bytes (truncating) into out and returns out. */
const char *cp_store_url_redact(const char *url, char *out, size_t n);
/* The schema version the database is at after opening. */
int cp_store_schema_version(const struct cp_store *s);

/* The server is idle: connections in the pool give back the memory they keep for speed (SQLite's
 * page caches); the next requests read from the OS's cache again. Connections in use are left
 * alone. */
void cp_store_trim(struct cp_store *s);

/* Take a connection from the pool (opening one if none is free). NULL + *out_err on failure. */
struct cp_store_conn *cp_store_acquire(struct cp_store *s, struct cp_error *out_err);
/* Return a connection to the pool (rolls back an open transaction). NULL ok. */
void cp_store_release(struct cp_store_conn *c);

typedef enum cp_qs (*cp_txn_fn)(struct cp_store_conn *c, void *cls);

/*
 * Run fn inside a transaction: begin, fn, commit. On CP_QS_SOFT from any step, roll back and
 * run again (up to a few times, with a short backoff). On CP_QS_HARD or CP_QS_ABORT roll back
 * and return it.
 *
 * Writes are group-committed: concurrent write calls queue up, and the first in the queue runs
 * the functions of everyone queued (at most CP_STORE_MAX_BATCH) in one transaction with one
 * commit, each inside its own savepoint, then wakes the others with their results. A function
 * that returns ABORT or SOFT is undone alone (SOFT runs it again); a HARD failure or a failed
 * commit fails every function of the batch. (On a backend that counts changes the functions
 * first run without savepoints; if one must be undone after it changed rows, the transaction
 * is rolled back and the batch runs again with a savepoint each, so the outcome is the same.) A
 * caller returns only after the commit that holds its writes, so success still means "on disk". fn
 * runs on the thread leading the batch (the writer thread once started), on the store's one writer
 * connection (so the pages writes touch stay in one cache), not the caller's: it must use only the
 * connection it is given and its cls.
 *
 * fn may be called more than once, so it must not have effects outside the transaction other
 * than overwriting its own outputs. Returns fn's final status (>= 0 on commit).
 */
enum cp_qs cp_store_run(struct cp_store_conn *c, bool write, cp_txn_fn fn, void *cls);

/*
 * cp_store_run(read) that leaves its transaction open when fn succeeds: the next
 * cp_store_run(read) on c runs inside it (same snapshot) and ends it, so a request's key
 * lookup and its handler's read share one transaction. Any other use of c (a write, a
 * cp_store_run_alone, cp_store_release) ends it first. For requests without a body only: the
 * transaction must not stay open while a client sends one.
 */
enum cp_qs cp_store_run_keep(struct cp_store_conn *c, cp_txn_fn fn, void *cls);

/*
 * cp_store_run for a write that appends leaves to the transparency log. Its batch holds the
 * backend's log lock (when it has one: then appends of several processes never overlap), and,
 * when a log hook is set, the hook runs once after the batch's functions, in the same
 * transaction, if at least one of them succeeded: a HARD or SOFT hook fails (or reruns) the
 * whole batch like a failed commit.
 */
enum cp_qs cp_store_run_log(struct cp_store_conn *c, cp_txn_fn fn, void *cls);

/*
 * The writer thread. Without it the first caller in the write queue leads each batch, as
 * above. Once started (by a server), the writer thread runs every batch instead, and writes
 * can also be submitted without waiting (cp_store_submit): a thread that serves many
 * connections then never sleeps through a commit, and every write in flight can join the
 * next batch. cp_store_close stops it after the queue is empty.
 */
bool cp_store_start_writer(struct cp_store *s, struct cp_error *out_err);
bool cp_store_has_writer(const struct cp_store *s);

/* Called on the writer thread once fn's batch committed (status >= 0) or failed; cause as
 * c->cause after a failure. Must not block: it hands the result on. */
typedef void (*cp_store_done_fn)(void *done_cls, enum cp_qs qs, enum cp_store_cause cause);

/* cp_store_run(write) or cp_store_run_log (log) without waiting: queues fn and returns; done
 * reports. fn and cls must stay valid until then. Needs the writer thread. */
void cp_store_submit(struct cp_store *s, bool log, cp_txn_fn fn, void *cls, cp_store_done_fn done,
                     void *done_cls);
/* The hook of cp_store_run_log batches (NULL: none), and what to call once a batch whose hook
 * answered ONE (it integrated) has committed (NULL: nothing). The hook answers NONE when it
 * had nothing to do. Set it before the store is used. */
void cp_store_set_log_hook(struct cp_store *s, cp_txn_fn fn, void (*committed)(void *cls),
                           void *cls);
/* Does the backend share its log with other processes (it has the log_lock and lease_*
 * operations)? Then one of them, holding the lease, integrates; otherwise the log hook does. */
bool cp_store_log_shared(const struct cp_store *s);
/*
 * Run fn in a transaction of its own on c, outside the group-commit queue (background work
 * whose transaction must run on this connection, e.g. the log integrator fenced by its lease).
 * log: hold the log lock, as cp_store_run_log. Retries SOFT like cp_store_run.
 */
enum cp_qs cp_store_run_alone(struct cp_store_conn *c, bool write, bool log, cp_txn_fn fn,
                              void *cls);

/* The group-commit queue's counters since the store was opened. */
struct cp_store_stats {
    int64_t write_jobs;    /* write transaction functions run to completion (any result) */
    int64_t write_batches; /* transactions they ran in: jobs / batches = the mean batch size */
    int queued;            /* write jobs queued or running right now */
    /* SQLite with the writer thread: WAL checkpoints (sqlite/ckpt.h) by the checkpointing
     * thread's passes, and by the writer itself to finish one or at the WAL's hard limit. */
    int64_t ckpt_passes, ckpt_finishes, ckpt_hard;
};
void cp_store_stats(struct cp_store *s, struct cp_store_stats *out);

/* Tests only: wrap every connection of s, open or opened later, with the fault-injecting
 * operations of store/fault.h. */
void cp_store_inject_faults(struct cp_store *s);
/* Tests only: the connection every write batch runs on (opened if need be), to swap its
 * operations while no request runs. NULL if it cannot be opened. */
struct cp_store_conn *cp_store_writer_for_tests(struct cp_store *s);

#endif
