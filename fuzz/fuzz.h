/*
 * What the libFuzzer targets in fuzz/ share (fuzz/harness.c): start-up, a check macro that
 * stops the run with a message (a property that does not hold is a finding, like a crash),
 * and an in-process callproof "server": a real SQLite store in a temporary directory with API
 * keys and a few fixtures, driven through the request path of http/dispatch.h exactly as
 * http/server.c drives it, without sockets. Each reply is checked against what every answer
 * of callproof must satisfy (fz_reply_check).
 */
#ifndef CP_FUZZ_FUZZ_H
#define CP_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"

/* A property that must hold: if not, print where and why and abort (libFuzzer saves the input
 * as crash-<sha1> and reports it like any sanitizer finding). */
#define FZ_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                       \
    } while (0)

_Noreturn void fz_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Once per process: libsodium, logging at error level only, CP_BUG made fatal. */
void fz_init(void);

/* A NUL-terminated heap copy of data[0..n) (caller frees). */
char *fz_strndup(const uint8_t *data, size_t n);

/* One request as the transport would hand it over. Strings are borrowed for the call. */
struct fz_request {
    const char *method;
    const char *target;
    bool target_nul; /* the request line held a raw NUL inside the target */
    const struct cp_kv *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
    /* The client stopped sending before Content-Length bytes arrived: the request is dropped
     * after what did arrive, as the server drops it when the connection closes. */
    bool abandoned;
};

/* What came back (owned by the caller after fz_run: fz_result_free). */
struct fz_result {
    unsigned status; /* 0: abandoned, no answer */
    char *body;      /* copy of the reply body, NUL-terminated ("" for none or a file body) */
    size_t body_len;
    char content_type[64];
    bool replayed;   /* answered from an idempotency record */
    char code[64];   /* "code" of an error envelope, "" otherwise */
    char field[160]; /* "field" of an error envelope, "" when null or absent */
};
void fz_result_free(struct fz_result *r);

/*
 * Run r through cp_http_begin, the streaming callbacks or cp_http_finish, as http/server.c
 * does (body limit, 413, refusals, abandoned bodies), then check the reply (fz_reply_check)
 * and fill *out (may be NULL).
 */
void fz_run(const struct fz_request *r, struct fz_result *out);

/*
 * The app the requests run against, made on first use and made anew (fresh directory, store,
 * keys and fixtures) every FZ_RECREATE_EVERY calls of fz_app_tick, so the store does not grow
 * without bound over millions of inputs. Call fz_app_tick once per input.
 */
void fz_app_tick(void);

/* Placeholders the inputs may use, and what they stand for in the current app:
 *   $KEY   a token with every scope (tenant acme)     $RKEY  voice:read only (tenant acme)
 *   $OKEY  every scope, another tenant (globex)       $CALL  the id of a call of acme's
 *   $BUNDLE the id of a sealed evidence bundle of that call
 * Returns a heap copy of data[0..n) with every placeholder replaced (caller frees). */
char *fz_expand(const uint8_t *data, size_t n, size_t *out_len);

/* True if s[0..n) is valid UTF-8 (an independent check of the one in json/json.c). */
bool fz_utf8_valid(const char *s, size_t n);

#endif
