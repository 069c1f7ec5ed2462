/*
 * Reading evidence:
 *   GET /v1/evidence/{id}          the bundle, for its tenant (scope voice:read)
 *   GET /v1/evidence/{id}/export   the self-contained export file (below)
 *   GET /e/{id}                    the evidence page (evidence_page.c), no auth: the 128-bit id is
 *                                  the capability; /e/{id}.json or Accept: application/json: the
 * export GET /v1/log/checkpoint         the latest signed checkpoint (text/plain, C2SP note) GET
 * /v1/log/proof/inclusion?index=&size= GET /v1/log/proof/consistency?first=&second= GET /v1/keys
 * the public keys that sign consents, bundles and checkpoints
 *
 * The export carries everything a verifier needs offline: the exact signed bytes, the
 * signature, the key, the leaf, an inclusion proof, and the signed checkpoint it is against
 * (also as a c2sp.org/tlog-proof@v1 receipt). `callproof verify` and the evidence page check it
 * without trusting the server: sizes and roots come only from the signed checkpoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/util.h"
#include "domain/merkle.h"
#include "domain/note.h"
#include "handlers/evidence_log.h"
#include "handlers/evidence_page.h"
#include "handlers/handlers.h"
#include "json/write.h"

static void
b64(const struct cp_sha256 *h, char out[48])
{
    cp_crypto_base64(h->b, sizeof(h->b), out, 48);
}

static void
write_key(struct cp_jw *w, const struct cp_req *req)
{
    const struct cp_signer *s = req->app->signer;
    char pk[64], origin[64];
    cp_crypto_base64(s->pk.b, sizeof(s->pk.b), pk, sizeof(pk));
    cp_evidence_log_origin(req->app->signer, origin);
    struct cp_buf vkey = CP_BUF_INIT;
    cp_note_vkey_format(origin, CP_NOTE_TYPE_ED25519, &s->pk, &vkey);
    cp_jw_obj_begin(w);
    cp_jw_kstr(w, "key_id", s->key_id);
    cp_jw_kstr(w, "algorithm", "Ed25519");
    cp_jw_kstr(w, "public_key", pk);
    cp_jw_kstr(w, "note_key_name", origin);
    cp_jw_kstr(w, "vkey", vkey.data);
    cp_jw_key(w, "signs");
    cp_jw_arr_begin(w);
    cp_jw_str(w, "consent records (callproof/consent/v1)");
    cp_jw_str(w, "evidence bundles (callproof/evidence/v1)");
    cp_jw_str(w, "log checkpoints (C2SP signed note)");
    cp_jw_arr_end(w);
    cp_jw_kstr(w, "status", "active");
    if (req->app->signer_valid_from_ms > 0)
        cp_jw_ktime(w, "valid_from", req->app->signer_valid_from_ms);
    else
        cp_jw_knull(w, "valid_from");
    cp_jw_knull(w, "valid_until");
    cp_jw_obj_end(w);
    cp_buf_free(&vkey);
}

void
cp_h_keys(struct cp_req *req, struct cp_reply *rep)
{
    cp_reply_json(rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &rep->body);
    cp_jw_obj_begin(&w);
    char origin[64];
    cp_evidence_log_origin(req->app->signer, origin);
    cp_jw_kstr(&w, "log_origin", origin);
    cp_jw_key(&w, "keys");
    cp_jw_arr_begin(&w);
    write_key(&w, req);
    cp_jw_arr_end(&w);
    cp_jw_obj_end(&w);
}

struct ev_ctx {
    const char *id;
    bool tenant_scoped; /* false for the capability URL */
    bool export_file;
};

/* The export: see the file comment. Inside a read transaction. */
static enum cp_qs
write_export(struct cp_store_conn *c, struct cp_txn_ctx *t, const struct cp_bundle *b)
{
    struct cp_req *req = t->req;
    struct cp_checkpoint cp;
    enum cp_qs qs = c->ops->checkpoint_latest(c, &req->arena, &cp);
    if (qs < 0)
        return qs;
    if (qs == CP_QS_NONE || b->leaf_index >= cp.size) {
        /* Sequenced, not yet integrated: only with a shared log, for about a second (the
         * post-call that sealed it waits for the checkpoint). */
        cp_reply_err(t->rep, CP_ERR_UNAVAILABLE, NULL,
                     "The bundle is sealed at log index %lld but no signed checkpoint covers it "
                     "yet. Retry in a second.",
                     (long long)b->leaf_index);
        cp_reply_header(t->rep, "Retry-After", "1");
        return CP_QS_NONE;
    }
    struct cp_sha256 path[CP_MERKLE_MAX_PATH];
    size_t n_path = 0;
    if ((qs = cp_evidence_log_inclusion(c, b->leaf_index, cp.size, path, &n_path)) < 0)
        return qs;
    const char *successor = NULL;
    if ((qs = c->ops->bundle_superseded_by(c, b->id, &req->arena, &successor)) < 0)
        return qs;

    struct cp_buf leaf = CP_BUF_INIT;
    struct cp_sha256 leaf_hash;
    cp_evidence_leaf(b->bytes, b->signature, &leaf, &leaf_hash);
    struct cp_sha256 bundle_hash;
    cp_crypto_sha256(b->bytes, strlen(b->bytes), &bundle_hash);
    char hex[65], h64[48], origin[64];
    cp_evidence_log_origin(req->app->signer, origin);

    /* c2sp.org/tlog-proof@v1: the offline receipt. */
    struct cp_buf receipt = CP_BUF_INIT;
    cp_buf_printf(&receipt, "c2sp.org/tlog-proof@v1\nindex %lld\n", (long long)b->leaf_index);
    for (size_t i = 0; i < n_path; i++) {
        b64(&path[i], h64);
        cp_buf_printf(&receipt, "%s\n", h64);
    }
    cp_buf_printf(&receipt, "\n%s", cp.note);

    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "format", "callproof.evidence-export.v1");
    cp_jw_kstr(&w, "bundle_id", b->id);
    cp_jw_kstr(&w, "bundle", b->bytes);
    cp_hex_encode(bundle_hash.b, sizeof(bundle_hash.b), hex);
    cp_jw_kstr(&w, "bundle_sha256", hex);
    cp_jw_key(&w, "signature");
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "algorithm", "Ed25519");
    cp_jw_kstr(&w, "signed_message", "\"callproof/evidence/v1\\n\" followed by bundle");
    cp_jw_kstr(&w, "value", b->signature);
    cp_jw_kstr(&w, "key_id", b->key_id);
    char pk[64];
    cp_crypto_base64(req->app->signer->pk.b, sizeof(req->app->signer->pk.b), pk, sizeof(pk));
    cp_jw_kstr(&w, "public_key", strcmp(b->key_id, req->app->signer->key_id) == 0 ? pk : NULL);
    cp_jw_obj_end(&w);
    cp_jw_key(&w, "log");
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "origin", origin);
    cp_jw_kint(&w, "leaf_index", b->leaf_index);
    cp_jw_kstr(&w, "leaf", leaf.data);
    b64(&leaf_hash, h64);
    cp_jw_kstr(&w, "leaf_hash", h64);
    cp_jw_kint(&w, "tree_size", cp.size);
    cp_jw_key(&w, "inclusion_proof");
    cp_jw_arr_begin(&w);
    for (size_t i = 0; i < n_path; i++) {
        b64(&path[i], h64);
        cp_jw_str(&w, h64);
    }
    cp_jw_arr_end(&w);
    cp_jw_kstr(&w, "checkpoint", cp.note);
    cp_jw_kstr(&w, "tlog_proof", receipt.data);
    cp_jw_obj_end(&w);
    cp_jw_kstr(&w, "superseded_by", successor);
    cp_jw_ktime(&w, "exported_at", cp_time_now_ms());
    cp_jw_obj_end(&w);
    cp_buf_free(&leaf);
    cp_buf_free(&receipt);
    return CP_QS_ONE;
}

static enum cp_qs
evidence_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct ev_ctx *e = t->cls;
    struct cp_bundle b;
    enum cp_qs qs = strlen(e->id) == CP_BUNDLE_ID_LEN
                        ? c->ops->bundle_get(c, e->id, &t->req->arena, &b)
                        : CP_QS_NONE;
    if (qs < 0)
        return qs;
    if (qs == CP_QS_NONE || (e->tenant_scoped && b.tenant_id != t->req->auth.tenant_id)) {
        /* Another tenant's bundle is simply not found; so is any id on the public URL that
         * does not exist (the answer reveals nothing). */
        cp_reply_err(t->rep, CP_ERR_NOT_FOUND, NULL, "Evidence bundle not found.");
        return CP_QS_NONE;
    }
    if (e->export_file)
        return write_export(c, t, &b);
    const char *successor = NULL;
    if ((qs = c->ops->bundle_superseded_by(c, b.id, &t->req->arena, &successor)) < 0)
        return qs;
    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "evidence_bundle_id", b.id);
    cp_jw_kstr(&w, "call_id", b.call_id);
    cp_jw_kint(&w, "compliance_score", b.score);
    cp_jw_ktime(&w, "sealed_at", b.sealed_ms);
    cp_jw_ktime(&w, "retention_until", b.retention_until_ms);
    cp_jw_kstr(&w, "supersedes", b.supersedes);
    cp_jw_kstr(&w, "superseded_by", successor);
    cp_jw_kint(&w, "log_index", b.leaf_index);
    cp_jw_kstr(&w, "evidence_url",
               cp_arena_printf(&t->req->arena, "%s/e/%s", t->req->app->cfg->public_url, b.id));
    cp_jw_key(&w, "bundle");
    cp_jw_raw(&w, b.bytes, strlen(b.bytes)); /* canonical JSON is JSON */
    cp_jw_kstr(&w, "signature", b.signature);
    cp_jw_kstr(&w, "key_id", b.key_id);
    cp_jw_obj_end(&w);
    return CP_QS_ONE;
}

void
cp_h_evidence_get(struct cp_req *req, struct cp_reply *rep)
{
    struct ev_ctx e = {.id = req->params[0], .tenant_scoped = true};
    cp_req_transact(req, rep, false, evidence_txn, &e);
}

void
cp_h_evidence_export(struct cp_req *req, struct cp_reply *rep)
{
    struct ev_ctx e = {.id = req->params[0], .tenant_scoped = true, .export_file = true};
    cp_req_transact(req, rep, false, evidence_txn, &e);
}

/* Does the client ask for the export file rather than the page? */
static bool
wants_json(const struct cp_req *req)
{
    const char *accept = cp_req_header(req, "Accept");
    return accept != NULL && strstr(accept, "application/json") != NULL &&
           strstr(accept, "text/html") == NULL;
}

void
cp_h_evidence_public(struct cp_req *req, struct cp_reply *rep)
{
    const char *id = req->params[0];
    size_t n = strlen(id);
    /* /e/{id}.json (or Accept: application/json) is the export file; /e/{id} the page. */
    bool json = wants_json(req);
    if (n > 5 && strcmp(id + n - 5, ".json") == 0) {
        id = cp_arena_strndup(&req->arena, id, n - 5);
        json = true;
    }
    struct ev_ctx e = {.id = id, .export_file = true};
    bool ok = cp_req_transact(req, rep, false, evidence_txn, &e);
    cp_reply_header(rep, "Referrer-Policy", "no-referrer");
    cp_reply_header(rep, "X-Robots-Tag", "noindex");
    cp_reply_header(rep, "Vary", "Accept");
    if (json) {
        if (ok)
            cp_reply_header(rep, "Content-Disposition",
                            cp_arena_printf(&req->arena, "inline; filename=\"%s.json\"", id));
        return;
    }
    if (ok && rep->status == 200) {
        struct cp_buf page = CP_BUF_INIT;
        cp_evidence_page_write(&page, rep->body.data, rep->body.len);
        cp_buf_free(&rep->body);
        rep->body = page;
        rep->content_type = "text/html; charset=utf-8";
        cp_reply_header(rep, "Content-Security-Policy", cp_evidence_page_csp());
    } else if (rep->status == 404) {
        cp_buf_free(&rep->body);
        cp_evidence_page_not_found(&rep->body);
        rep->content_type = "text/html; charset=utf-8";
        cp_reply_header(rep, "Content-Security-Policy", "default-src 'none'");
    }
}

/* ---- the log ---- */

static enum cp_qs
checkpoint_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct cp_checkpoint cp;
    enum cp_qs qs = c->ops->checkpoint_latest(c, &t->req->arena, &cp);
    if (qs < 0)
        return qs;
    if (qs == CP_QS_NONE) {
        cp_reply_err(t->rep, CP_ERR_NOT_FOUND, NULL, "The log is empty: nothing sealed yet.");
        return CP_QS_NONE;
    }
    cp_reply_json(t->rep, 200);
    t->rep->content_type = "text/plain; charset=utf-8";
    cp_buf_puts(&t->rep->body, cp.note);
    return CP_QS_ONE;
}

void
cp_h_log_checkpoint(struct cp_req *req, struct cp_reply *rep)
{
    cp_req_transact(req, rep, false, checkpoint_txn, NULL);
}

/* A non-negative decimal query parameter, else 400 naming it. */
static bool
query_u64(struct cp_req *req, struct cp_reply *rep, const char *name, int64_t *out)
{
    const char *v = cp_req_query(req, name);
    char *end = NULL;
    if (v == NULL || *v < '0' || *v > '9' || strlen(v) > 18 ||
        ((*out = strtoll(v, &end, 10)), *end != '\0')) {
        cp_reply_err(rep, CP_ERR_BAD_QUERY, name,
                     "Query parameter '%s' is required: a non-negative integer.", name);
        return false;
    }
    return true;
}

struct proof_ctx {
    int64_t a, b;
    bool consistency;
};

static enum cp_qs
proof_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct proof_ctx *p = t->cls;
    /* Proofs are for trees a checkpoint signed: leaves sequenced after it have no subtree
     * hashes yet. */
    int64_t size = 0;
    enum cp_qs qs = cp_evidence_log_checkpointed_size(c, &size);
    if (qs < 0)
        return qs;
    bool ok = p->consistency ? (p->a >= 1 && p->a <= p->b && p->b <= size)
                             : (p->a < p->b && p->b <= size);
    if (!ok) {
        /* The parameter at fault: the larger one past the log, else the smaller one. */
        const char *field =
            p->consistency ? (p->b > size ? "second" : "first") : (p->b > size ? "size" : "index");
        cp_reply_err(t->rep, CP_ERR_BAD_QUERY, field,
                     p->consistency ? "Need 1 <= first <= second <= the log size (%lld)."
                                    : "Need index < size <= the log size (%lld).",
                     (long long)size);
        return CP_QS_NONE;
    }
    struct cp_sha256 path[CP_MERKLE_MAX_PATH];
    size_t n = 0;
    qs = p->consistency ? cp_evidence_log_consistency(c, p->a, p->b, path, &n)
                        : cp_evidence_log_inclusion(c, p->a, p->b, path, &n);
    if (qs < 0)
        return qs;
    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kint(&w, p->consistency ? "first" : "index", p->a);
    cp_jw_kint(&w, p->consistency ? "second" : "size", p->b);
    cp_jw_key(&w, "proof");
    cp_jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        char h64[48];
        b64(&path[i], h64);
        cp_jw_str(&w, h64);
    }
    cp_jw_arr_end(&w);
    cp_jw_obj_end(&w);
    return CP_QS_ONE;
}

void
cp_h_log_inclusion(struct cp_req *req, struct cp_reply *rep)
{
    static const char *const known[] = {"index", "size", NULL};
    struct proof_ctx p = {0};
    if (cp_req_query_only(req, rep, known) && query_u64(req, rep, "index", &p.a) &&
        query_u64(req, rep, "size", &p.b))
        cp_req_transact(req, rep, false, proof_txn, &p);
}

void
cp_h_log_consistency(struct cp_req *req, struct cp_reply *rep)
{
    static const char *const known[] = {"first", "second", NULL};
    struct proof_ctx p = {.consistency = true};
    if (cp_req_query_only(req, rep, known) && query_u64(req, rep, "first", &p.a) &&
        query_u64(req, rep, "second", &p.b))
        cp_req_transact(req, rep, false, proof_txn, &p);
}
