/*
 * The shared part of the fuzz targets (see fuzz.h): an in-process callproof with a real store,
 * the request path as http/server.c runs it, and the checks every reply must pass. Kept apart
 * from the targets so fuzz_request (whole requests) and fuzz_json_spec (JSON bodies of every
 * endpoint that takes one) drive the very same thing.
 *
 * The store lives under /dev/shm when there is one: SQLite runs with synchronous=FULL, and an
 * fsync per write on a real disk would cut executions per second a hundredfold.
 */
#define _XOPEN_SOURCE 700
#include "fuzz.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "core/util.h"
#include "domain/policy.h"
#include "domain/signed_url.h"
#include "handlers/log_integrator.h"
#include "http/dispatch.h"
#include "http/idem.h"
#include "http/route.h"
#include "json/json.h"
#include "store/blob.h"
#include "store/store.h"

#define FZ_RECREATE_EVERY 20000
#define FZ_CHUNK_BYTES 700 /* body chunks as the transport hands them over */

void
fz_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\n==FUZZ== property failed at %s:%d: %s\n==FUZZ== ", file, line, expr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void
fz_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    cp_crypto_init();
    cp_log_set_level(CP_LOG_ERROR);
    cp_bug_set_fatal(true);
}

char *
fz_strndup(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    if (n > 0)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* RFC 3629 by the table of its section 4, written apart from json.c's validator on purpose. */
bool
fz_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0;
            if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;
            if (c == 0xf4)
                hi = 0x8f;
        } else {
            return false;
        }
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return false;
        i += len;
    }
    return true;
}

/* ---- the app ---- */

static struct {
    bool up;
    unsigned long ticks;
    char dir[64];
    char db[128];
    char recordings[128];
    struct cp_config cfg;
    struct cp_policies policies;
    struct cp_url_key url_key;
    struct cp_signer signer;
    struct cp_app app;
    struct cp_key_token tok_all, tok_read, tok_other;
    char call_id[64];
    char bundle_id[64];
} fz;

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void
app_down(void)
{
    if (!fz.up)
        return;
    cp_idem_inflight_free(fz.app.inflight);
    cp_log_integrator_stop(fz.app.log);
    cp_store_close(fz.app.store);
    nftw(fz.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    fz.up = false;
}

static void
make_key(struct cp_store_conn *c, const char *tenant, uint32_t scopes, struct cp_key_token *tok)
{
    struct cp_key_row row = {0};
    struct cp_key_secret sec;
    int64_t now = cp_time_now_ms();
    FZ_CHECK(c->ops->begin(c, true) >= 0, "begin");
    FZ_CHECK(c->ops->tenant_ensure(c, tenant, now, &row.tenant_id) >= 0, "tenant %s", tenant);
    cp_apikey_generate(&row.key_id, &sec, tok);
    cp_apikey_hash(&row.key_id, &sec, &row.hash);
    row.scopes = scopes;
    row.created_ms = now;
    FZ_CHECK(c->ops->key_insert(c, &row) == CP_QS_ONE, "key_insert");
    FZ_CHECK(c->ops->commit(c) >= 0, "commit");
}

/* A string member of a JSON reply body, copied into out. */
static void
reply_string(const struct fz_result *r, const char *name, char *out, size_t n)
{
    cJSON *j = cp_json_parse_object(r->body, r->body_len, NULL);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    FZ_CHECK(cJSON_IsString(v), "fixture reply without '%s': %u %s", name, r->status, r->body);
    snprintf(out, n, "%s", v->valuestring);
    cJSON_Delete(j);
}

/* Fixtures made through the request path itself: a call, and a sealed bundle for it. */
static void
make_fixtures(void)
{
    char auth[128];
    snprintf(auth, sizeof(auth), "Bearer %s", fz.tok_all.s);
    struct cp_kv h[] = {{"Authorization", auth}, {"Content-Type", "application/json"}};
    static const char call[] =
        "{\"call_id\":\"fuzz-call-1\",\"user_id\":\"3c90c3cc-0d44-4b50-8888-8dd25736052a\","
        "\"agent_id\":\"3c90c3cc-0d44-4b50-8888-8dd25736052a\",\"type\":\"phone_call\","
        "\"direction\":\"outbound\",\"from_number\":\"+15551234567\","
        "\"to_number\":\"+15557654321\",\"phone_number_id\":\"3c90c3cc-0d44-4b50-8888-"
        "8dd25736052a\","
        "\"started_at\":\"2026-01-05T15:00:00Z\"}";
    struct fz_request r = {.method = "POST",
                           .target = "/api/v1/calls",
                           .headers = h,
                           .n_headers = 2,
                           .body = call,
                           .body_len = strlen(call)};
    struct fz_result res;
    fz_run(&r, &res);
    FZ_CHECK(res.status == 201, "fixture call: %u %s", res.status, res.body);
    reply_string(&res, "id", fz.call_id, sizeof(fz.call_id));
    fz_result_free(&res);

    static const char post[] =
        "{\"call_id\":\"fuzz-call-1\",\"phone\":\"+15557654321\",\"calling_entity\":\"Acme\","
        "\"calling_number\":\"+15551234567\",\"started_at\":\"2026-01-05T15:00:00Z\","
        "\"ended_at\":\"2026-01-05T15:01:00Z\",\"duration_seconds\":60,\"outcome\":\"completed\","
        "\"full_transcript\":\"Hi, this is an AI assistant calling for Acme.\","
        "\"ai_disclosures_made\":[{\"type\":\"ai_identity\",\"at_seconds\":1,\"text\":\"Hi, "
        "this is an AI assistant.\"}]}";
    r.target = "/v1/post-call";
    r.body = post;
    r.body_len = strlen(post);
    fz_run(&r, &res);
    FZ_CHECK(res.status == 201, "fixture post-call: %u %s", res.status, res.body);
    reply_string(&res, "evidence_bundle_id", fz.bundle_id, sizeof(fz.bundle_id));
    fz_result_free(&res);
}

static void
app_up(void)
{
    fz_init();
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fz.dir, sizeof(fz.dir), "%s/cp_fuzz_XXXXXX", base);
    FZ_CHECK(mkdtemp(fz.dir) != NULL, "mkdtemp %s", fz.dir);
    snprintf(fz.db, sizeof(fz.db), "%s/callproof.db", fz.dir);
    snprintf(fz.recordings, sizeof(fz.recordings), "%s/recordings", fz.dir);

    cp_config_defaults(&fz.cfg);
    snprintf(fz.cfg.data_dir, sizeof(fz.cfg.data_dir), "%s", fz.dir);
    snprintf(fz.cfg.public_url, sizeof(fz.cfg.public_url), "http://127.0.0.1:8080");
    char err_msg[256];
    cp_policies_init(&fz.policies);
    FZ_CHECK(cp_policies_finish(&fz.policies, err_msg, sizeof(err_msg)), "policies: %s", err_msg);
    uint8_t secret[CP_URL_KEY_BYTES];
    struct cp_ed25519_seed seed;
    cp_crypto_random(secret, sizeof(secret));
    cp_crypto_random(seed.b, sizeof(seed.b));
    cp_url_key_init(&fz.url_key, secret);
    cp_signer_init(&fz.signer, &seed);

    struct cp_error err;
    FZ_CHECK(cp_blob_sweep(fz.recordings, 0, &err), "recordings: %s", err.message);
    fz.app = (struct cp_app){
        .cfg = &fz.cfg,
        .store = cp_store_open(fz.db, &err),
        .inflight = cp_idem_inflight_new(),
        .mhd_version = "fuzz",
        .url_key = &fz.url_key,
        .signer = &fz.signer,
        .policies = &fz.policies,
        .signer_valid_from_ms = cp_time_now_ms() - 1000,
        .recordings_dir = fz.recordings,
        .started_mono_ms = cp_time_mono_ms(),
    };
    FZ_CHECK(fz.app.store != NULL, "store: %s", err.message);
    fz.app.log = cp_log_integrator_start(fz.app.store, &fz.signer, &err);
    FZ_CHECK(fz.app.log != NULL, "log: %s", err.message);
    atomic_init(&fz.app.draining, false);
    struct cp_store_conn *c = cp_store_acquire(fz.app.store, &err);
    FZ_CHECK(c != NULL, "acquire: %s", err.message);
    make_key(c, "acme", CP_SCOPE_ALL, &fz.tok_all);
    make_key(c, "acme", CP_SCOPE_VOICE_READ, &fz.tok_read);
    make_key(c, "globex", CP_SCOPE_ALL, &fz.tok_other);
    cp_store_release(c);
    fz.up = true;
    make_fixtures();
}

static void
at_exit(void)
{
    app_down();
}

void
fz_app_tick(void)
{
    if (fz.up && ++fz.ticks % FZ_RECREATE_EVERY == 0)
        app_down();
    if (!fz.up) {
        static bool registered;
        if (!registered) {
            atexit(at_exit);
            registered = true;
        }
        app_up();
    }
}

char *
fz_expand(const uint8_t *data, size_t n, size_t *out_len)
{
    const struct {
        const char *name;
        const char *value;
    } ph[] = {{"$BUNDLE", fz.bundle_id},
              {"$CALL", fz.call_id},
              {"$RKEY", fz.tok_read.s},
              {"$OKEY", fz.tok_other.s},
              {"$KEY", fz.tok_all.s}};
    struct cp_buf b = CP_BUF_INIT;
    cp_buf_reserve(&b, n);
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        while (k < CP_ARRAY_LEN(ph)) {
            size_t len = strlen(ph[k].name);
            if (data[i] == '$' && n - i >= len && memcmp(data + i, ph[k].name, len) == 0)
                break;
            k++;
        }
        if (k < CP_ARRAY_LEN(ph)) {
            cp_buf_puts(&b, ph[k].value);
            i += strlen(ph[k].name);
        } else {
            cp_buf_append(&b, data + i, 1);
            i++;
        }
    }
    return cp_buf_steal(&b, out_len);
}

/* ---- checking a reply ---- */

/* The catalogue's status for an error code string; 0 if the code is not in the catalogue. */
static unsigned
catalogue_status(const char *code)
{
    for (int e = 1; e < CP_ERR__COUNT; e++)
        if (strcmp(cp_err_code((enum cp_err)e), code) == 0)
            return cp_err_status((enum cp_err)e);
    return 0;
}

static bool
is_json_reply(const struct cp_reply *rep)
{
    return rep->content_type == NULL || strncmp(rep->content_type, "application/json", 16) == 0;
}

/*
 * What every answer must satisfy, whatever was asked:
 *   - a status between 200 and 599, and no 5xx but 501: with a healthy store, no input may
 *     make the server fail (a 500 is a bug of ours, a 503 a store that gave up);
 *   - header values without CR, LF or other control bytes (no header injection);
 *   - a JSON body (the default type) that our strict parser accepts, as a value of any kind;
 *   - an error (4xx) is the one envelope {"status":"error","message","code",["field",]"data"}
 *     whose code is in the catalogue with this very status, with a message, whose 401 carries
 *     WWW-Authenticate and whose 405 carries Allow.
 */
static void
reply_check(const struct fz_request *r, const struct cp_reply *rep, struct fz_result *out)
{
    unsigned st = rep->status;
    FZ_CHECK(st >= 200 && st <= 599, "status %u", st);
    FZ_CHECK(st < 500 || st == 501, "%s %s answered %u: %s", r->method, r->target, st,
             rep->body.data ? rep->body.data : "");
    for (size_t i = 0; i < rep->n_headers; i++) {
        FZ_CHECK(rep->headers[i].name != NULL && rep->headers[i].value != NULL, "header %zu", i);
        for (const char *p = rep->headers[i].value; *p; p++)
            FZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in header %s",
                     rep->headers[i].name);
    }
    snprintf(out->content_type, sizeof(out->content_type), "%s",
             rep->content_type ? rep->content_type : "application/json");
    if (rep->file_fd >= 0 || !is_json_reply(rep))
        return;

    /* Any JSON value: wrapped into an object so that the strict parser judges it. */
    struct cp_buf w = CP_BUF_INIT;
    cp_buf_puts(&w, "{\"r\":");
    cp_buf_append(&w, rep->body.data ? rep->body.data : "", rep->body.len);
    cp_buf_putc(&w, '}');
    struct cp_error err;
    cJSON *j = cp_json_parse_object(w.data, w.len, &err);
    FZ_CHECK(j != NULL, "%s %s answered %u with a body our parser refuses (%s): %s", r->method,
             r->target, st, err.message, rep->body.data ? rep->body.data : "");
    cp_buf_free(&w);
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "r");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(body, "status");
    bool envelope = cJSON_IsString(status) && strcmp(status->valuestring, "error") == 0;
    if (st >= 400) {
        FZ_CHECK(envelope, "%u without the error envelope: %s", st, rep->body.data);
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(body, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(body, "message");
        const cJSON *field = cJSON_GetObjectItemCaseSensitive(body, "field");
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(body, "data");
        FZ_CHECK(cJSON_IsString(code) && cJSON_IsString(msg) && msg->valuestring[0] != '\0' &&
                     (field == NULL || cJSON_IsString(field)) && cJSON_IsNull(data),
                 "malformed error envelope: %s", rep->body.data);
        FZ_CHECK(catalogue_status(code->valuestring) == st,
                 "code %s is not in the catalogue with status %u", code->valuestring, st);
        snprintf(out->code, sizeof(out->code), "%s", code->valuestring);
        if (cJSON_IsString(field))
            snprintf(out->field, sizeof(out->field), "%s", field->valuestring);
        bool has_www = false, has_allow = false;
        for (size_t i = 0; i < rep->n_headers; i++) {
            has_www |= strcmp(rep->headers[i].name, "WWW-Authenticate") == 0;
            has_allow |= strcmp(rep->headers[i].name, "Allow") == 0;
        }
        FZ_CHECK(st != 401 || has_www, "401 without WWW-Authenticate");
        FZ_CHECK(st != 405 || has_allow, "405 without Allow");
    }
    cJSON_Delete(j);
}

void
fz_result_free(struct fz_result *r)
{
    free(r->body);
    r->body = NULL;
}

/* The request after its headers, as server.c's on_request runs it: begin, then the body chunk
 * by chunk (cut off past the limit, streamed or buffered into *body), then the handler.
 * Returns false when the request ends without an answer (abandoned by the client). */
static bool
drive(const struct fz_request *r, struct cp_req *req, struct cp_reply *rep, struct cp_buf *body)
{
    int64_t limit = 0;
    if (!cp_http_begin(req, rep, &limit))
        return true;
    const struct cp_stream_ops *st = req->route->stream;
    if (st != NULL && !st->open(req, rep))
        return true;
    bool too_large = false, refused = false;
    size_t received = 0;
    for (size_t off = 0, n; off < r->body_len; off += n) {
        n = r->body_len - off < FZ_CHUNK_BYTES ? r->body_len - off : FZ_CHUNK_BYTES;
        received += n;
        if (too_large || refused)
            continue; /* the rest is read and dropped */
        if ((int64_t)received > limit)
            too_large = true;
        else if (st != NULL)
            refused = !st->write(req, r->body + off, n, rep);
        else
            cp_buf_append(body, r->body + off, n);
    }
    if (r->abandoned)
        return false;
    if (too_large) {
        cp_reply_err(rep, CP_ERR_BODY_TOO_LARGE, NULL,
                     "The request body exceeds this endpoint's limit of %lld bytes.",
                     (long long)limit);
        return true;
    }
    if (refused)
        return true;
    if (st != NULL) {
        st->finish(req, rep);
        return true;
    }
    if (body->len > 0) {
        req->body = body->data;
        req->body_len = body->len;
    }
    cp_http_finish(req, rep);
    return true;
}

void
fz_run(const struct fz_request *r, struct fz_result *out)
{
    struct fz_result local;
    if (out == NULL)
        out = &local;
    memset(out, 0, sizeof(*out));

    struct cp_req req;
    struct cp_reply rep;
    cp_req_init(&req, &fz.app);
    cp_reply_init(&rep);
    req.start_us = cp_time_mono_us();
    req.method_name = cp_arena_strdup(&req.arena, r->method);
    req.raw_uri = cp_arena_strdup(&req.arena, r->target);
    req.target_nul = r->target_nul;
    /* As server.c's collect_header: at most max_headers are kept, more sets the overflow. */
    size_t cap = (size_t)fz.cfg.max_headers;
    req.headers = cp_arena_alloc(&req.arena, cap * sizeof(*req.headers));
    for (size_t i = 0; i < r->n_headers; i++) {
        if (req.n_headers >= cap) {
            req.headers_overflow = true;
            break;
        }
        req.headers[req.n_headers].name = cp_arena_strdup(&req.arena, r->headers[i].name);
        req.headers[req.n_headers].value = cp_arena_strdup(&req.arena, r->headers[i].value);
        req.n_headers++;
    }

    struct cp_buf body = CP_BUF_INIT;
    bool answered = drive(r, &req, &rep, &body);
    if (answered) {
        reply_check(r, &rep, out);
        out->status = rep.status;
        out->replayed = rep.replayed;
    }
    bool file = rep.file_fd >= 0;
    out->body =
        fz_strndup((const uint8_t *)(answered && !file && rep.body.data ? rep.body.data : ""),
                   answered && !file ? rep.body.len : 0);
    out->body_len = answered && !file ? rep.body.len : 0;
    cp_http_log(&req, &rep, out->body_len, answered ? 0 : 1);
    cp_req_cleanup(&req);
    cp_buf_free(&body);
    cp_reply_cleanup(&rep);
    if (out == &local)
        fz_result_free(&local);
}
