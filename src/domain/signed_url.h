/*
 * Signed download links for recordings: a capability URL that needs no other authentication
 * and dies at its expiry. The signature is HMAC-SHA256 (libsodium) under a server secret,
 * over a domain-separated canonical string of everything the link grants:
 *
 *   "callproof/recording-url/v1" NUL "GET" NUL path NUL tenant NUL call NUL recording NUL
 *   expiry (decimal seconds) NUL key id
 *
 * The path (/v1/recordings/<tenant>/<call>/<recording>) repeats the ids, and the query carries
 * exp, kid and sig (hex: libmicrohttpd turns '+' into a space, so no base64). Verification
 * checks the MAC first, in constant time, then the expiry: nothing about a link is believed
 * before its signature is.
 */
#ifndef CP_DOMAIN_SIGNED_URL_H
#define CP_DOMAIN_SIGNED_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_URL_KEY_BYTES 32
#define CP_URL_KID_LEN 16
#define CP_URL_SIG_HEX 64

struct cp_url_key {
    uint8_t secret[CP_URL_KEY_BYTES];
    char kid[CP_URL_KID_LEN + 1]; /* hex of the first 8 bytes of SHA-256(secret): public */
};

/* Derive the key id for a secret. */
void cp_url_key_init(struct cp_url_key *k, const uint8_t secret[CP_URL_KEY_BYTES]);

struct cp_link {
    int64_t tenant_id;
    const char *call_id;      /* server id */
    const char *recording_id; /* path-safe */
    int64_t expires_s;        /* Unix seconds */
};

/* The path of the link ("/v1/recordings/3/<call>/<rec>") into out (n bytes). */
void cp_link_path(const struct cp_link *l, char *out, size_t n);
/* The signature (64 hex chars + NUL). */
void cp_link_sign(const struct cp_url_key *k, const struct cp_link *l,
                  char out[CP_URL_SIG_HEX + 1]);

enum cp_link_verdict { CP_LINK_OK, CP_LINK_BAD, CP_LINK_EXPIRED };

/*
 * Check a presented link: kid must be k's, sig must match in constant time (else BAD), then
 * now_s must not be past the expiry (else EXPIRED) and the expiry must not lie more than
 * max_ttl_s (+ 60 s of clock skew) ahead (else BAD: a forged far-future link is never valid,
 * even though it cannot carry a valid MAC without the secret).
 */
enum cp_link_verdict cp_link_verify(const struct cp_url_key *k, const struct cp_link *l,
                                    const char *kid, const char *sig, int64_t now_s,
                                    int64_t max_ttl_s);

#endif
