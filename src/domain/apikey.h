/*
 * API keys: the token format, scopes, and how secrets are hashed at rest.
 *
 * A token is "cp_<key id>_<secret>": the key id is 16 lowercase hex chars (64 random bits,
 * public: it is how the key is found and how operators name it), the secret 64 lowercase hex
 * chars (256 random bits). Only SHA-256("callproof/apikey/v1" NUL key_id NUL secret) is stored.
 * A fast hash is right here: the secret has 256 bits of entropy, so there is nothing for a slow
 * hash to protect, and every request pays for it.
 */
#ifndef CP_DOMAIN_APIKEY_H
#define CP_DOMAIN_APIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

#define CP_KEY_ID_LEN 16
#define CP_KEY_SECRET_BYTES 32
#define CP_KEY_TOKEN_LEN (3 + CP_KEY_ID_LEN + 1 + 2 * CP_KEY_SECRET_BYTES)

struct cp_key_id {
    char s[CP_KEY_ID_LEN + 1];
};

struct cp_key_secret {
    uint8_t b[CP_KEY_SECRET_BYTES];
};

struct cp_key_token {
    char s[CP_KEY_TOKEN_LEN + 1];
};

enum cp_scope {
    CP_SCOPE_VOICE_READ = 1u << 0,
    CP_SCOPE_VOICE_WRITE = 1u << 1,
    CP_SCOPE_AUDIO_DOWNLOAD = 1u << 2,
    CP_SCOPE_CONSENT_WRITE = 1u << 3,
    CP_SCOPE_EVIDENCE_WRITE = 1u << 4,
};
#define CP_SCOPE_ALL 0x1fu

/* Make a fresh key: random id and secret, and the token to show the user once. */
void cp_apikey_generate(struct cp_key_id *out_id, struct cp_key_secret *out_secret,
                        struct cp_key_token *out_token);
/* Parse a token strictly (exact length, prefix, separators, lowercase hex). False on anything
 * else; outputs are then unspecified. */
bool cp_apikey_parse(const char *token, size_t len, struct cp_key_id *out_id,
                     struct cp_key_secret *out_secret);
/* The at-rest hash of a key. */
void cp_apikey_hash(const struct cp_key_id *id, const struct cp_key_secret *secret,
                    struct cp_sha256 *out);
/*
 * True if id and secret hash to stored (the hash read from the store for id; all borrowed).
 * Each thread remembers the last key it verified: when id and secret are byte for byte those
 * (compared in constant time) and stored is the hash they matched, the SHA-256 is not computed
 * again. The caller still reads stored from the store on every request, so a revoked or
 * re-created key is judged on its current row. For an unknown id pass any stored value (the
 * hash is computed all the same, so timing does not tell which ids exist).
 */
bool cp_apikey_verify(const struct cp_key_id *id, const struct cp_key_secret *secret,
                      const struct cp_sha256 *stored);
/* True if s is a well-formed key id (16 lowercase hex chars). */
bool cp_apikey_id_valid(const char *s);

/* Parse "voice:read,voice:write" (commas, optional spaces; "all" = every scope) into a mask.
 * Returns false and sets *out_bad to the first unknown name (pointer into s, not terminated
 * at the comma) when a name is unknown or the list is empty. */
bool cp_scope_parse(const char *s, uint32_t *out_mask, const char **out_bad);
/* Write "voice:read,voice:write" for mask into out (at most n bytes, NUL-terminated). */
void cp_scope_format(uint32_t mask, char *out, size_t n);
/* Name of a single scope bit ("voice:read"), or "?" */
const char *cp_scope_name(uint32_t bit);

#endif
