/*
 * Signed recording links (see signed_url.h for the format and the order of checks).
 */
#include "domain/signed_url.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "crypto/crypto.h"

void
cp_url_key_init(struct cp_url_key *k, const uint8_t secret[CP_URL_KEY_BYTES])
{
    memcpy(k->secret, secret, CP_URL_KEY_BYTES);
    struct cp_sha256 h;
    cp_crypto_sha256(secret, CP_URL_KEY_BYTES, &h);
    cp_hex_encode(h.b, CP_URL_KID_LEN / 2, k->kid);
}

void
cp_link_path(const struct cp_link *l, char *out, size_t n)
{
    snprintf(out, n, "/v1/recordings/%lld/%s/%s", (long long)l->tenant_id, l->call_id,
             l->recording_id);
}

static void
mac(const struct cp_url_key *k, const struct cp_link *l, const char *kid, struct cp_sha256 *out)
{
    char path[512], num[3][24];
    cp_link_path(l, path, sizeof(path));
    snprintf(num[0], sizeof(num[0]), "%lld", (long long)l->tenant_id);
    snprintf(num[1], sizeof(num[1]), "%lld", (long long)l->expires_s);
    const char *parts[] = {"callproof/recording-url/v1",
                           "GET",
                           path,
                           num[0],
                           l->call_id,
                           l->recording_id,
                           num[1],
                           kid};
    struct cp_hmac_ctx st;
    cp_crypto_hmac_init(&st, k->secret, CP_URL_KEY_BYTES);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        /* Each part with its NUL: no two different links share a signed string. */
        cp_crypto_hmac_update(&st, parts[i], strlen(parts[i]) + 1);
    cp_crypto_hmac_final(&st, out);
}

void
cp_link_sign(const struct cp_url_key *k, const struct cp_link *l, char out[CP_URL_SIG_HEX + 1])
{
    struct cp_sha256 m;
    mac(k, l, k->kid, &m);
    cp_hex_encode(m.b, sizeof(m.b), out);
}

enum cp_link_verdict
cp_link_verify(const struct cp_url_key *k, const struct cp_link *l, const char *kid,
               const char *sig, int64_t now_s, int64_t max_ttl_s)
{
    struct cp_sha256 given, want;
    /* Lower-case hex only: a link is valid exactly as it was issued, character for character. */
    if (kid == NULL || sig == NULL || strlen(sig) != CP_URL_SIG_HEX ||
        strspn(sig, "0123456789abcdef") != CP_URL_SIG_HEX ||
        !cp_hex_decode(sig, CP_URL_SIG_HEX, given.b))
        return CP_LINK_BAD;
    /* The MAC is computed over the presented kid and compared first, in constant time, so an
     * unknown kid costs the same as a wrong signature. */
    mac(k, l, kid, &want);
    bool ok = cp_crypto_sha256_eq(&given, &want);
    ok &= strcmp(kid, k->kid) == 0;
    if (!ok)
        return CP_LINK_BAD;
    if (now_s > l->expires_s)
        return CP_LINK_EXPIRED;
    if (l->expires_s > now_s + max_ttl_s + 60)
        return CP_LINK_BAD;
    return CP_LINK_OK;
}
