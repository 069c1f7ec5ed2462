/*
 * libsodium wrappers. sodium_init() is idempotent and thread-safe since 1.0.11; we still call
 * it once at start so a broken entropy source stops the process before it serves anything.
 */
#include "crypto/crypto.h"

#include <sodium.h>
#include <string.h>

#include "core/util.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(struct cp_sha256_ctx),
               "cp_sha256_ctx too small for libsodium's state");
_Static_assert(sizeof(crypto_auth_hmacsha256_state) <= sizeof(struct cp_hmac_ctx),
               "cp_hmac_ctx too small for libsodium's state");

void
cp_crypto_init(void)
{
    if (sodium_init() < 0)
        cp_die("libsodium failed to initialise");
}

void
cp_crypto_random(void *buf, size_t n)
{
    randombytes_buf(buf, n);
}

#define ID_POOL_BYTES 256

void
cp_crypto_random_id(void *buf, size_t n)
{
    static _Thread_local struct {
        unsigned char b[ID_POOL_BYTES];
        size_t left; /* the last `left` bytes of b are unused */
    } pool;
    if (n > ID_POOL_BYTES) {
        randombytes_buf(buf, n);
        return;
    }
    if (pool.left < n) {
        randombytes_buf(pool.b, ID_POOL_BYTES);
        pool.left = ID_POOL_BYTES;
    }
    unsigned char *p = pool.b + ID_POOL_BYTES - pool.left;
    memcpy(buf, p, n);
    sodium_memzero(p, n); /* bytes handed out do not stay behind in memory */
    pool.left -= n;
}

void
cp_crypto_sha256(const void *data, size_t n, struct cp_sha256 *out)
{
    crypto_hash_sha256(out->b, data, n);
}

void
cp_crypto_sha256_hex(const void *data, size_t n, char out[65])
{
    struct cp_sha256 h;
    cp_crypto_sha256(data, n, &h);
    cp_hex_encode(h.b, sizeof(h.b), out);
}

void
cp_crypto_sha256_init(struct cp_sha256_ctx *ctx)
{
    crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)ctx->opaque);
}

void
cp_crypto_sha256_update(struct cp_sha256_ctx *ctx, const void *data, size_t n)
{
    crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)ctx->opaque, data, n);
}

void
cp_crypto_sha256_final(struct cp_sha256_ctx *ctx, struct cp_sha256 *out)
{
    crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)ctx->opaque, out->b);
}

bool
cp_crypto_sha256_eq(const struct cp_sha256 *a, const struct cp_sha256 *b)
{
    return cp_crypto_bytes_eq(a->b, b->b, sizeof(a->b));
}

bool
cp_crypto_bytes_eq(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

void
cp_crypto_hmac_init(struct cp_hmac_ctx *ctx, const uint8_t *key, size_t key_len)
{
    crypto_auth_hmacsha256_init((crypto_auth_hmacsha256_state *)(void *)ctx->opaque, key, key_len);
}

void
cp_crypto_hmac_update(struct cp_hmac_ctx *ctx, const void *data, size_t n)
{
    crypto_auth_hmacsha256_update((crypto_auth_hmacsha256_state *)(void *)ctx->opaque, data, n);
}

void
cp_crypto_hmac_final(struct cp_hmac_ctx *ctx, struct cp_sha256 *out)
{
    crypto_auth_hmacsha256_final((crypto_auth_hmacsha256_state *)(void *)ctx->opaque, out->b);
}

void
cp_crypto_ed25519_keypair(const struct cp_ed25519_seed *seed, struct cp_ed25519_pk *out_pk,
                          struct cp_ed25519_sk *out_sk)
{
    crypto_sign_seed_keypair(out_pk->b, out_sk->b, seed->b);
}

void
cp_crypto_ed25519_sign(const struct cp_ed25519_sk *sk, const void *msg, size_t n,
                       struct cp_ed25519_sig *out)
{
    crypto_sign_detached(out->b, NULL, msg, n, sk->b);
}

bool
cp_crypto_ed25519_verify(const struct cp_ed25519_pk *pk, const void *msg, size_t n,
                         const struct cp_ed25519_sig *sig)
{
    return crypto_sign_verify_detached(sig->b, msg, n, pk->b) == 0;
}

void
cp_crypto_base64(const uint8_t *in, size_t n, char *out, size_t out_size)
{
    sodium_bin2base64(out, out_size, in, n, sodium_base64_VARIANT_ORIGINAL);
}

void
cp_signer_init(struct cp_signer *s, const struct cp_ed25519_seed *seed)
{
    cp_crypto_ed25519_keypair(seed, &s->pk, &s->sk);
    struct cp_sha256 h;
    cp_crypto_sha256(s->pk.b, sizeof(s->pk.b), &h);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        s->key_id[2 * i] = digits[h.b[i] >> 4];
        s->key_id[2 * i + 1] = digits[h.b[i] & 15];
    }
    s->key_id[16] = '\0';
}
