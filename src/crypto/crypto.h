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

/* Ed25519 (pure, RFC 8032; not Ed25519ph). */
struct cp_ed25519_seed {
    uint8_t b[32];
};
struct cp_ed25519_pk {
    uint8_t b[32];
};
struct cp_ed25519_sk {
    uint8_t b[64]; /* libsodium's form: seed || public key */
};
struct cp_ed25519_sig {
    uint8_t b[64];
};

/* The server's signing identity: an Ed25519 key pair and its public key id (hex of the first
 * 8 bytes of SHA-256(public key)), which signed records name so verifiers can find the key. */
struct cp_signer {
    struct cp_ed25519_pk pk;
    struct cp_ed25519_sk sk;
    char key_id[17];
};

/* Streaming HMAC-SHA256; opaque state big enough for libsodium's. */
struct cp_hmac_ctx {
    _Alignas(16) uint8_t opaque[256];
};

/* Initialise libsodium. Aborts if it can't (no entropy source: nothing is safe after that). */
void cp_crypto_init(void);
/* Fill buf with n bytes from the OS CSPRNG. For keys and secrets. */
void cp_crypto_random(void *buf, size_t n);
/*
 * Fill buf with n bytes from the OS CSPRNG, for identifiers (request, call, bundle and record
 * ids): served from a per-thread buffer that one getrandom(2) refills 256 bytes at a time, so
 * that an id does not cost a system call. The bytes are as unpredictable; they are not to be
 * used in a process that forks after drawing (callproof never forks).
 */
void cp_crypto_random_id(void *buf, size_t n);
/* SHA-256 of data[0..n). */
void cp_crypto_sha256(const void *data, size_t n, struct cp_sha256 *out);
/* The same, as 64 lowercase hex digits and a NUL into out. */
void cp_crypto_sha256_hex(const void *data, size_t n, char out[65]);
void cp_crypto_sha256_init(struct cp_sha256_ctx *ctx);
void cp_crypto_sha256_update(struct cp_sha256_ctx *ctx, const void *data, size_t n);
void cp_crypto_sha256_final(struct cp_sha256_ctx *ctx, struct cp_sha256 *out);
void cp_crypto_hmac_init(struct cp_hmac_ctx *ctx, const uint8_t *key, size_t key_len);
void cp_crypto_hmac_update(struct cp_hmac_ctx *ctx, const void *data, size_t n);
void cp_crypto_hmac_final(struct cp_hmac_ctx *ctx, struct cp_sha256 *out);
/* The key pair of a 32-byte seed (deterministic). */
void cp_crypto_ed25519_keypair(const struct cp_ed25519_seed *seed, struct cp_ed25519_pk *out_pk,
                               struct cp_ed25519_sk *out_sk);
void cp_crypto_ed25519_sign(const struct cp_ed25519_sk *sk, const void *msg, size_t n,
                            struct cp_ed25519_sig *out);
/* True if sig is a valid signature of msg by pk (libsodium rejects non-canonical and
 * small-order values). */
bool cp_crypto_ed25519_verify(const struct cp_ed25519_pk *pk, const void *msg, size_t n,
                              const struct cp_ed25519_sig *sig);
/* Fill a signer from its 32-byte seed. */
void cp_signer_init(struct cp_signer *s, const struct cp_ed25519_seed *seed);
/* Standard base64 (with padding) of n bytes into out (4 * ceil(n / 3) + 1 bytes). */
void cp_crypto_base64(const uint8_t *in, size_t n, char *out, size_t out_size);
/* Constant-time comparison of two SHA-256 values (time does not depend on where they differ). */
bool cp_crypto_sha256_eq(const struct cp_sha256 *a, const struct cp_sha256 *b);
/* Constant-time comparison of n bytes at a and b (time does not depend on where they differ). */
bool cp_crypto_bytes_eq(const void *a, const void *b, size_t n);

#endif
