/*
 * Thin, typed wrappers over libsodium. Every hash/key kind is its own struct so one can't be
 * passed where another is expected; nothing here allocates.
 */
#ifndef CP_CRYPTO_CRYPTO_H
#define CP_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_sha256 {
    uint8_t b[32];
};

/* Streaming SHA-256; opaque state big enough for libsodium's crypto_hash_sha256_state. */
struct cp_sha256_ctx {
    _Alignas(16) uint8_t opaque[128];
};

/* Streaming HMAC-SHA256; opaque state big enough for libsodium's. */
struct cp_hmac_ctx {
    _Alignas(16) uint8_t opaque[256];
};

/* Initialise libsodium. Aborts if it can't (no entropy source: nothing is safe after that). */
void cp_crypto_init(void);
/* Fill buf with n bytes from the OS CSPRNG. */
void cp_crypto_random(void *buf, size_t n);
/* SHA-256 of data[0..n). */
void cp_crypto_sha256(const void *data, size_t n, struct cp_sha256 *out);
void cp_crypto_sha256_init(struct cp_sha256_ctx *ctx);
void cp_crypto_sha256_update(struct cp_sha256_ctx *ctx, const void *data, size_t n);
void cp_crypto_sha256_final(struct cp_sha256_ctx *ctx, struct cp_sha256 *out);
void cp_crypto_hmac_init(struct cp_hmac_ctx *ctx, const uint8_t *key, size_t key_len);
void cp_crypto_hmac_update(struct cp_hmac_ctx *ctx, const void *data, size_t n);
void cp_crypto_hmac_final(struct cp_hmac_ctx *ctx, struct cp_sha256 *out);
/* Constant-time comparison of two SHA-256 values (time does not depend on where they differ). */
bool cp_crypto_sha256_eq(const struct cp_sha256 *a, const struct cp_sha256 *b);

#endif
