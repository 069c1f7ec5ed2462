/*
 * Fuzz target: whole HTTP requests through the request path (http/dispatch.h) and every
 * handler, against a real SQLite store with real API keys (fuzz/harness.c), no sockets.
 *
 * Input format: an HTTP/1.1 request as text, what libmicrohttpd would have parsed:
 *
 *     METHOD SP TARGET [SP anything]      the request line (a version after the target is
 *     Name: value                         ignored); then header lines up to an empty line
 *     ...
 *                                         (lines end in LF; a CR before it is dropped)
 *     body bytes, to the end of the input
 *
 * - A header line without ':' is skipped; the value loses its leading spaces and tabs. A raw
 *   NUL ends the name or value it is in (as libmicrohttpd hands them over); a NUL in the
 *   target sets the request's target_nul, as server.c detects it.
 * - A body with neither Content-Length nor Transfer-Encoding gets "Content-Length: <its
 *   length>", as any client would send it. With a Content-Length, the body is cut to it; if
 *   fewer bytes are there, the client is taken to have gone away mid-body (no answer). With
 *   Transfer-Encoding, the body is what a de-chunking transport would deliver.
 * - Placeholders anywhere in the input: $KEY, $RKEY, $OKEY (API tokens: every scope; voice:read
 *   only; another tenant), $CALL and $BUNDLE (ids of a call and of its sealed evidence bundle),
 *   see fz_expand.
 *
 * Properties checked on every answer (fuzz/harness.c, reply_check): no 5xx but 501, no control
 * bytes in header values, JSON bodies our strict parser accepts, the one error envelope with a
 * catalogue code whose status is the one sent, WWW-Authenticate on 401, Allow on 405. And here:
 * a request with Idempotency-Key that got a 2xx gets, when repeated, the same status and
 * byte-identical body, marked as replayed.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADERS 100

static const char *
header(const struct cp_kv *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(h[i].name, name) == 0)
            return h[i].value;
    return NULL;
}

/* Next line of s[*pos..n), NUL-terminated in place (CR LF or LF cut off); NULL at the end. */
static char *
next_line(char *s, size_t n, size_t *pos, size_t *out_len)
{
    if (*pos >= n)
        return NULL;
    char *line = s + *pos;
    char *nl = memchr(line, '\n', n - *pos);
    size_t len = nl ? (size_t)(nl - line) : n - *pos;
    *pos += len + (nl != NULL);
    if (len > 0 && line[len - 1] == '\r')
        len--;
    line[len] = '\0';
    *out_len = len;
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_app_tick();
    size_t n = 0;
    char *s = fz_expand(data, size, &n);
    size_t pos = 0, len = 0;

    /* The request line. */
    char *line = next_line(s, n, &pos, &len);
    if (line == NULL) {
        free(s);
        return 0;
    }
    struct fz_request r = {.method = line, .target = ""};
    char *sp = memchr(line, ' ', len);
    if (sp != NULL) {
        *sp = '\0';
        char *target = sp + 1;
        size_t tlen = len - (size_t)(target - line);
        char *end = memchr(target, ' ', tlen);
        if (end != NULL) {
            *end = '\0';
            tlen = (size_t)(end - target);
        }
        r.target = target;
        r.target_nul = strlen(target) < tlen;
    }

    /* Headers, up to the empty line. */
    struct cp_kv h[MAX_HEADERS + 1];
    size_t nh = 0;
    while ((line = next_line(s, n, &pos, &len)) != NULL && len > 0) {
        char *colon = strchr(line, ':');
        if (colon == NULL || nh == MAX_HEADERS)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        v += strspn(v, " \t");
        h[nh++] = (struct cp_kv){line, v};
    }

    /* The body and its framing. */
    r.body = s + pos;
    r.body_len = n - pos;
    const char *cl = header(h, nh, "Content-Length");
    const char *te = header(h, nh, "Transfer-Encoding");
    char cl_buf[24];
    if (cl == NULL && te == NULL && r.body_len > 0) {
        snprintf(cl_buf, sizeof(cl_buf), "%zu", r.body_len);
        h[nh++] = (struct cp_kv){"Content-Length", cl_buf};
    } else if (cl != NULL && te == NULL) {
        char *end;
        unsigned long long want = strtoull(cl, &end, 10);
        if (*cl >= '0' && *cl <= '9' && *end == '\0') {
            r.abandoned = want > r.body_len;
            if (want < r.body_len)
                r.body_len = (size_t)want;
        } else {
            r.body_len = 0; /* refused by begin anyway */
        }
    }
    r.headers = h;
    r.n_headers = nh;

    struct fz_result first;
    fz_run(&r, &first);

    /* A 2xx under an Idempotency-Key is replayed byte for byte. */
    const char *ik = header(h, nh, "Idempotency-Key");
    bool is_write = strcmp(r.method, "POST") == 0 || strcmp(r.method, "PUT") == 0 ||
                    strcmp(r.method, "PATCH") == 0;
    if (ik != NULL && is_write && first.status >= 200 && first.status < 300) {
        struct fz_result again;
        fz_run(&r, &again);
        FZ_CHECK(
            again.replayed && again.status == first.status && again.body_len == first.body_len &&
                memcmp(again.body, first.body, first.body_len) == 0,
            "replay differs: %u %s / %u %s", first.status, first.body, again.status, again.body);
        fz_result_free(&again);
    }
    fz_result_free(&first);
    free(s);
    return 0;
}
