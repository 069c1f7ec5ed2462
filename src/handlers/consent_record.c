/*
 * Consent ids, sealing and the consent JSON (see consent_record.h).
 */
#include "handlers/consent_record.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "crypto/crypto.h"
#include "json/canonical.h"

void
cp_consent_new_id(const char *prefix, char out[CP_CONSENT_ID_LEN + 1])
{
    uint8_t rnd[16];
    cp_crypto_random_id(rnd, sizeof(rnd));
    char hex[33];
    cp_hex_encode(rnd, sizeof(rnd), hex);
    snprintf(out, CP_CONSENT_ID_LEN + 1, "%.3s_%s", prefix, hex);
}

const char *
cp_check_consent_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 12 || n > CP_CONSENT_ID_MAX || strncmp(s, "cst_", 4) != 0)
        return "a consent id: cst_ then 8 to 64 letters or digits";
    for (size_t i = 4; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return "a consent id: cst_ then 8 to 64 letters or digits";
    return NULL;
}

bool
cp_consent_seal(struct cp_req *req, cJSON *record, struct cp_consent *c, struct cp_error *err)
{
    const struct cp_signer *signer = req->app->signer;
    cJSON_AddStringToObject(record, "key_id", signer->key_id);
    struct cp_buf b = CP_BUF_INIT;
    cp_buf_puts(&b, CP_CONSENT_DOMAIN);
    size_t prefix = b.len;
    if (!cp_canonical_write(record, &b, err)) {
        cp_buf_free(&b);
        return false;
    }
    struct cp_ed25519_sig sig;
    cp_crypto_ed25519_sign(&signer->sk, b.data, b.len, &sig);
    char hex[129];
    cp_hex_encode(sig.b, sizeof(sig.b), hex);
    c->record = cp_arena_strndup(&req->arena, b.data + prefix, b.len - prefix);
    c->signature = cp_arena_strdup(&req->arena, hex);
    char *record_hex = cp_arena_alloc(&req->arena, 65);
    cp_crypto_sha256_hex(b.data + prefix, b.len - prefix, record_hex);
    c->record_sha256 = record_hex;
    c->key_id = signer->key_id;
    cp_buf_free(&b);
    return true;
}

void
cp_consent_write(struct cp_jw *w, const struct cp_req *req, const struct cp_consent *c)
{
    cJSON *rec = cJSON_Parse(c->record); /* our own canonical bytes */
    cp_jw_obj_begin(w);
    cp_jw_kstr(w, "consent_id", c->id);
    /* The signed fields, as signed. */
    for (const cJSON *m = rec ? rec->child : NULL; m != NULL; m = m->next) {
        if (strcmp(m->string, "consent_id") == 0 || strcmp(m->string, "key_id") == 0 ||
            strcmp(m->string, "valid") == 0)
            continue;
        cp_jw_key(w, m->string);
        cp_jw_cjson(w, m);
    }
    cp_jw_kbool(w, "valid", c->valid);
    cp_jw_ktime(w, "revoked_at", c->revoked_ms);
    cp_jw_kstr(w, "revocation_id", c->revocation_id);
    cp_jw_ktime(w, "created_at", c->created_ms);
    cp_jw_kstr(w, "signature", c->signature);
    cp_jw_kstr(w, "key_id", c->key_id);
    cp_jw_key(w, "proof");
    cp_jw_obj_begin(w);
    cp_jw_kstr(w, "algorithm", "Ed25519");
    cp_jw_kstr(w, "signed_message", "\"callproof/consent/v1\\n\" followed by record_canonical");
    cp_jw_kstr(w, "record_canonical", c->record);
    cp_jw_kstr(w, "signature", c->signature);
    cp_jw_kstr(w, "key_id", c->key_id);
    /* The key that signed it, when it is this server's current one (GET /v1/keys lists all). */
    char pk[64];
    cp_crypto_base64(req->app->signer->pk.b, sizeof(req->app->signer->pk.b), pk, sizeof(pk));
    cp_jw_kstr(w, "public_key", strcmp(c->key_id, req->app->signer->key_id) == 0 ? pk : NULL);
    cp_jw_obj_end(w);
    cp_jw_obj_end(w);
    cJSON_Delete(rec);
}

enum cp_qs
cp_consent_insert_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct cp_consent *x = t->cls;
    enum cp_qs qs = c->ops->consent_insert(c, x);
    if (qs < 0)
        return qs;
    if (qs == CP_QS_NONE) { /* an imported id already used (a random one never is) */
        cp_reply_err(t->rep, CP_ERR_CONFLICT, "consent_id", "A consent with id %s already exists.",
                     x->id);
        return CP_QS_NONE;
    }
    cp_reply_json(t->rep, 201);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_consent_write(&w, t->req, x);
    cp_reply_header(t->rep, "Location", cp_arena_printf(&t->req->arena, "/v1/consents/%s", x->id));
    return CP_QS_ONE;
}

bool
cp_check_event_time(struct cp_reply *rep, const char *field, int64_t ms, bool given, int64_t now,
                    const char *future_why)
{
    if (given && ms <= 0) {
        cp_reply_err(rep, CP_ERR_INVALID_FIELD, field,
                     "Field '%s' must be after 1970-01-01T00:00:00Z.", field);
        return false;
    }
    if (ms > now + CP_CLIENT_SKEW_MS) {
        cp_reply_err(rep, CP_ERR_INVALID_FIELD, field, "Field '%s' must not be in the future%s.",
                     field, future_why);
        return false;
    }
    return true;
}
