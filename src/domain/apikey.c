/*
 * API key format, hashing and scopes. Parsing is strict and allocation-free so it can run on
 * every request and be fuzzed directly.
 */
#include "domain/apikey.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

static const struct {
    uint32_t bit;
    const char *name;
} scopes[] = {
    {CP_SCOPE_VOICE_READ, "voice:read"},         {CP_SCOPE_VOICE_WRITE, "voice:write"},
    {CP_SCOPE_AUDIO_DOWNLOAD, "audio:download"}, {CP_SCOPE_CONSENT_WRITE, "consent:write"},
    {CP_SCOPE_EVIDENCE_WRITE, "evidence:write"},
};

static bool
is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

void
cp_apikey_generate(struct cp_key_id *out_id, struct cp_key_secret *out_secret,
                   struct cp_key_token *out_token)
{
    uint8_t idb[CP_KEY_ID_LEN / 2];
    cp_crypto_random(idb, sizeof(idb));
    cp_hex_encode(idb, sizeof(idb), out_id->s);
    cp_crypto_random(out_secret->b, sizeof(out_secret->b));
    char sec[2 * CP_KEY_SECRET_BYTES + 1];
    cp_hex_encode(out_secret->b, sizeof(out_secret->b), sec);
    snprintf(out_token->s, sizeof(out_token->s), "cp_%s_%s", out_id->s, sec);
}

bool
cp_apikey_id_valid(const char *s)
{
    return s != NULL && strlen(s) == CP_KEY_ID_LEN && is_lower_hex(s, CP_KEY_ID_LEN);
}

bool
cp_apikey_parse(const char *token, size_t len, struct cp_key_id *out_id,
                struct cp_key_secret *out_secret)
{
    if (token == NULL || len != CP_KEY_TOKEN_LEN)
        return false;
    if (memcmp(token, "cp_", 3) != 0 || token[3 + CP_KEY_ID_LEN] != '_')
        return false;
    const char *id = token + 3, *sec = token + 3 + CP_KEY_ID_LEN + 1;
    if (!is_lower_hex(id, CP_KEY_ID_LEN) || !is_lower_hex(sec, 2 * CP_KEY_SECRET_BYTES))
        return false;
    memcpy(out_id->s, id, CP_KEY_ID_LEN);
    out_id->s[CP_KEY_ID_LEN] = '\0';
    return cp_hex_decode(sec, 2 * CP_KEY_SECRET_BYTES, out_secret->b);
}

void
cp_apikey_hash(const struct cp_key_id *id, const struct cp_key_secret *secret,
               struct cp_sha256 *out)
{
    static const char domain[] = "callproof/apikey/v1"; /* the NUL is hashed too */
    struct cp_sha256_ctx ctx;
    cp_crypto_sha256_init(&ctx);
    cp_crypto_sha256_update(&ctx, domain, sizeof(domain));
    cp_crypto_sha256_update(&ctx, id->s, CP_KEY_ID_LEN + 1);
    cp_crypto_sha256_update(&ctx, secret->b, sizeof(secret->b));
    cp_crypto_sha256_final(&ctx, out);
}

/*
 * The last key this thread verified. A client sends the same key on every request, and its
 * SHA-256 (libsodium's portable code, two blocks: ~7,800 instructions) was ~4% of a get's
 * CPU. Only a secret equal to the remembered one, under the stored hash it matched, skips the
 * hash; any other secret takes the full path, so the shortcut answers nothing the hash would
 * not.
 */
static _Thread_local struct {
    bool valid;
    struct cp_key_id id;
    struct cp_key_secret secret;
    struct cp_sha256 stored;
} last_verified;

bool
cp_apikey_verify(const struct cp_key_id *id, const struct cp_key_secret *secret,
                 const struct cp_sha256 *stored)
{
    if (last_verified.valid && cp_crypto_bytes_eq(last_verified.id.s, id->s, sizeof(id->s)) &&
        cp_crypto_bytes_eq(last_verified.secret.b, secret->b, sizeof(secret->b)) &&
        cp_crypto_sha256_eq(&last_verified.stored, stored))
        return true;
    struct cp_sha256 given;
    cp_apikey_hash(id, secret, &given);
    if (!cp_crypto_sha256_eq(&given, stored))
        return false;
    last_verified.valid = true;
    last_verified.id = *id;
    last_verified.secret = *secret;
    last_verified.stored = *stored;
    return true;
}

const char *
cp_scope_name(uint32_t bit)
{
    for (size_t i = 0; i < CP_ARRAY_LEN(scopes); i++)
        if (scopes[i].bit == bit)
            return scopes[i].name;
    return "?";
}

bool
cp_scope_parse(const char *s, uint32_t *out_mask, const char **out_bad)
{
    uint32_t mask = 0;
    const char *p = s;
    *out_bad = s;
    while (*p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        const char *start = p;
        while (*p != '\0' && *p != ',' && *p != ' ')
            p++;
        size_t n = (size_t)(p - start);
        bool found = false;
        if (n == 3 && memcmp(start, "all", 3) == 0) {
            mask |= CP_SCOPE_ALL;
            found = true;
        }
        for (size_t i = 0; i < CP_ARRAY_LEN(scopes) && !found; i++) {
            if (strlen(scopes[i].name) == n && memcmp(scopes[i].name, start, n) == 0) {
                mask |= scopes[i].bit;
                found = true;
            }
        }
        if (!found) {
            *out_bad = start;
            return false;
        }
    }
    if (mask == 0)
        return false;
    *out_mask = mask;
    return true;
}

void
cp_scope_format(uint32_t mask, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < CP_ARRAY_LEN(scopes); i++) {
        if ((mask & scopes[i].bit) == 0)
            continue;
        int w = snprintf(out + used, n - used, "%s%s", used ? "," : "", scopes[i].name);
        if (w < 0 || (size_t)w >= n - used)
            return;
        used += (size_t)w;
    }
}
