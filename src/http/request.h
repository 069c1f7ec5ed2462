/*
 * What a handler sees and fills: the request (method, decoded path and its parameters, query,
 * headers, body, parsed JSON, the authenticated tenant, a store connection) and the reply
 * (status, content type, body, extra headers). No libmicrohttpd type appears here, so handlers
 * can be driven in-process by unit tests and fuzzers.
 *
 * All request memory comes from req->arena and dies with the request.
 */
#ifndef CP_HTTP_REQUEST_H
#define CP_HTTP_REQUEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "domain/apikey.h"
#include "store/store.h"

enum cp_method {
    CP_M_GET = 1u << 0,
    CP_M_HEAD = 1u << 1,
    CP_M_POST = 1u << 2,
    CP_M_PUT = 1u << 3,
    CP_M_PATCH = 1u << 4,
    CP_M_DELETE = 1u << 5,
    CP_M_OPTIONS = 1u << 6,
};

#define CP_MAX_PATH_PARAMS 4
#define CP_MAX_REPLY_HEADERS 8
#define CP_REQUEST_ID_MAX 64

struct cp_kv {
    const char *name;
    const char *value;
};

struct cp_idem_inflight; /* http/idem.c */
struct cp_url_key;       /* domain/signed_url.h */

/* Process-wide state shared by every request. */
struct cp_policies;

struct cp_app {
    const struct cp_config *cfg;
    struct cp_store *store;
    struct cp_idem_inflight *inflight;
    const char *mhd_version;
    const struct cp_url_key *url_key;   /* signs recording download links */
    const struct cp_signer *signer;     /* signs consent records (and evidence bundles) */
    const struct cp_policies *policies; /* per-tenant compliance and retention (may be NULL) */
    struct cp_log_integrator *log;      /* who integrates the transparency log (required) */
    int64_t signer_valid_from_ms;       /* when the signing key was made (0: unknown) */
    const char *recordings_dir;         /* <data>/recordings */
    int64_t started_mono_ms;
    atomic_bool draining; /* SIGTERM received: finish in-flight requests, then stop */
};

struct cp_route;
struct cp_log_integrator;

struct cp_auth {
    bool ok;
    int64_t tenant_id;
    const char *tenant; /* arena */
    struct cp_key_id key_id;
    uint32_t scopes;
};

struct cp_req {
    struct cp_arena arena;
    struct cp_app *app;

    enum cp_method method;
    const char *method_name; /* as sent */
    const char *raw_uri;     /* as sent: path and query, undecoded */
    const char *path;        /* decoded, validated */
    struct cp_kv *query;     /* decoded; names unique (duplicates are rejected) */
    size_t n_query;
    struct cp_kv *headers; /* as received; names compared case-insensitively */
    size_t n_headers;      /* never more than were stored in headers[] */
    bool headers_overflow; /* more headers arrived than max_headers allows (431) */
    bool target_nul;       /* the request target held a raw NUL byte (400) */

    const struct cp_route *route;
    const char *params[CP_MAX_PATH_PARAMS]; /* path parameters in pattern order */
    size_t n_params;

    const char *body; /* raw body (NUL-terminated copy), or NULL */
    size_t body_len;
    cJSON *json; /* parsed body, for routes that take JSON; freed with the arena */

    struct cp_auth auth;

    const char *idem_key; /* Idempotency-Key, validated, or NULL */
    struct cp_sha256 idem_fingerprint;
    bool idem_claimed;

    struct cp_store_conn *conn; /* taken lazily by cp_req_conn, given back at request end */
    /* The server's way back to a request whose write was submitted without waiting
     * (cp_req_transact_async): resume(resume_cls) is called from the store's writer thread
     * once the reply is ready. NULL: handlers wait for their writes. */
    void (*resume)(void *resume_cls);
    void *resume_cls;
    bool pending;       /* a submitted write has not reported yet */
    void *stream_state; /* owned by a streaming route's callbacks (arena cleanup) */
    char request_id[CP_REQUEST_ID_MAX + 1];
    int64_t start_us;
};

struct cp_reply {
    unsigned status; /* 0 until set */
    const char *content_type;
    struct cp_buf body;
    struct cp_kv headers[CP_MAX_REPLY_HEADERS];
    size_t n_headers;
    enum cp_err err; /* for the log line; CP_OK on success */
    bool replayed;   /* answered from an idempotency record */
    /* A file body instead of body: sent from file_fd (owned by the reply until handed to the
     * transport) starting at file_offset, file_length bytes. -1 = none. */
    int file_fd;
    int64_t file_offset, file_length;
};

/*
 * A route whose body is not buffered but handed to the handler as it arrives (audio uploads).
 * open runs once the headers are accepted (auth and scope done) and may refuse (false, rep
 * set); write gets each chunk and may refuse too (the rest of the body is then discarded and
 * rep sent when it ends); finish runs when the whole body has arrived and fills rep. State
 * lives in req->stream_state; whatever must be undone if finish never runs (a temporary file)
 * is registered with cp_arena_defer in open.
 */
struct cp_stream_ops {
    bool (*open)(struct cp_req *req, struct cp_reply *rep);
    bool (*write)(struct cp_req *req, const char *data, size_t n, struct cp_reply *rep);
    void (*finish)(struct cp_req *req, struct cp_reply *rep);
};

typedef void (*cp_handler_fn)(struct cp_req *req, struct cp_reply *rep);

/* Initialise a request (its arena included) and an empty reply. */
void cp_req_init(struct cp_req *req, struct cp_app *app);
/* Release everything the request holds (store connection, idempotency claim, arena). */
void cp_req_cleanup(struct cp_req *req);
void cp_reply_init(struct cp_reply *rep);
void cp_reply_cleanup(struct cp_reply *rep);

/* First header with this name (case-insensitive), or NULL. */
const char *cp_req_header(const struct cp_req *req, const char *name);
/* Whether a body follows the headers: chunked, or a Content-Length other than "0". */
bool cp_req_has_body(const struct cp_req *req);
/* Number of headers with this name. */
size_t cp_req_header_count(const struct cp_req *req, const char *name);
/* Query parameter value, or NULL. */
const char *cp_req_query(const struct cp_req *req, const char *name);
/* True when every query parameter is one of allowed (NULL-terminated); else a 400 bad_query
 * naming the first unknown one is in rep. */
bool cp_req_query_only(const struct cp_req *req, struct cp_reply *rep, const char *const *allowed);
/* The request's store connection, acquired on first use. NULL (and a 503 in rep) on failure. */
struct cp_store_conn *cp_req_conn(struct cp_req *req, struct cp_reply *rep);

/*
 * Answer a failed store transaction (qs < 0, not ABORT) as the client should see it: a full
 * disk is 507, a conflict that outlived the retries or an unreachable database is 503 with
 * Retry-After, anything else 500. what says what could not be done ("Could not check the API
 * key"); every answer adds that nothing was saved.
 */
void cp_reply_store_failure(struct cp_reply *rep, const struct cp_store_conn *c, enum cp_qs qs,
                            const char *what);

/*
 * Run fn in a store transaction for this request, and, when the request carries an
 * Idempotency-Key and fn leaves a 2xx reply in rep, save that reply under the key in the same
 * transaction: the effect and the record of it commit together or not at all. fn builds the
 * reply inside the transaction (it is reset before each retry). Only a 2xx reply commits: any
 * other reply rolls the transaction back and is returned as is (false). On a store failure rep
 * is set to 500 (hard) or 503 (still conflicting) and false is returned.
 */
struct cp_txn_ctx {
    struct cp_req *req;
    struct cp_reply *rep;
    void *cls;
};
typedef enum cp_qs (*cp_req_txn_fn)(struct cp_store_conn *c, struct cp_txn_ctx *ctx);
bool cp_req_transact(struct cp_req *req, struct cp_reply *rep, bool write, cp_req_txn_fn fn,
                     void *cls);
/* cp_req_transact (write) for fn that appends leaves to the transparency log
 * (cp_store_run_log). */
bool cp_req_transact_log(struct cp_req *req, struct cp_reply *rep, cp_req_txn_fn fn, void *cls);
/* cp_req_transact (write; log: cp_req_transact_log) as the handler's last step, without
 * waiting for the commit when the server can resume the request (req->resume) and the store
 * has a writer thread: the request is then pending and its reply is finished on the writer
 * thread (fn's reply, or the store-failure reply). Otherwise it is cp_req_transact. The
 * handler must return at once and leave nothing to do after it; cls and everything fn uses
 * must live in the request's arena. The request's pooled connection is given back first. */
void cp_req_transact_async(struct cp_req *req, struct cp_reply *rep, bool log, cp_req_txn_fn fn,
                           void *cls);

/* ---- replies ---- */

/* Add a header (name and value must outlive the reply: static or arena). */
void cp_reply_header(struct cp_reply *rep, const char *name, const char *value);
/* Set status and JSON content type; the caller writes the body with a cp_jw on &rep->body. */
void cp_reply_json(struct cp_reply *rep, unsigned status);
/* The error envelope for err (status from the catalogue). Replaces any body and headers
 * written so far; add error-specific headers (Allow, WWW-Authenticate) after it. */
void cp_reply_error(struct cp_reply *rep, const struct cp_error *err);
void cp_reply_err(struct cp_reply *rep, enum cp_err code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
