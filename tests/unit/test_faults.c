/*
 * Fault injection on the request path (store/fault.h), in-process against a real SQLite store.
 *
 * A scenario of 24 requests touches every write endpoint and most reads (calls, updates,
 * recording log and audio, signed download, consents, precall, post-call sealing, evidence,
 * revocation, deletes). A clean run counts the store calls it makes (N_total) and records
 * every status. Then, for every N in 1..N_total, the scenario runs again on a fresh store
 * with the Nth store call failing:
 *   soft: the failure is retried inside the store runner: every answer equals the clean run's;
 *   hard: the request that met it answers 500/503/507 in the error envelope, the database
 *         and the recordings directory are exactly as before that request (nothing half
 *         written), and sending the same request again (same Idempotency-Key) gives the clean
 *         run's answer; the scenario goes on and ends with the clean run's row counts;
 *   full: as hard, with the cause a full disk: the answer is 507 (or the read-only 503).
 * Under ASan (make test runs this file twice) a leak on any of these paths fails the run.
 */
#include "unit.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "domain/signed_url.h"
#include "handlers/log_integrator.h"
#include "http/dispatch.h"
#include "http/idem.h"
#include "http/route.h"
#include "store/blob.h"
#include "store/fault.h"
#include "store/store.h"

#define MAX_STEPS 32

struct world {
    char dir[64], db[128], rec_dir[128];
    struct cp_config cfg;
    struct cp_app app;
    struct cp_url_key url_key;
    struct cp_signer signer;
    char auth[128];
    /* Learned from answers, used by later steps. */
    char bundle_id[64];
    char link[512];
};

static struct world w;

struct answer {
    unsigned status;
    char code[64];
    struct cp_buf body;
};

/* ---- the world: a fresh store, keys and data directory ---- */

static void
world_open(void)
{
    memset(&w, 0, sizeof(w));
    /* On tmpfs when there is one: this test is about what a failure leaves, not about fsync,
     * and it opens ~700 stores. */
    snprintf(w.dir, sizeof(w.dir), "%s/cp_fault_XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    assert_non_null(mkdtemp(w.dir));
    snprintf(w.db, sizeof(w.db), "%s/callproof.db", w.dir);
    snprintf(w.rec_dir, sizeof(w.rec_dir), "%s/recordings", w.dir);
    cp_config_defaults(&w.cfg);
    snprintf(w.cfg.public_url, sizeof(w.cfg.public_url), "http://127.0.0.1:1");
    struct cp_error err;
    assert_true(cp_blob_sweep(w.rec_dir, 0, &err));
    w.app.cfg = &w.cfg;
    w.app.store = cp_store_open(w.db, &err);
    assert_non_null(w.app.store);
    w.app.inflight = cp_idem_inflight_new();
    w.app.mhd_version = "test";
    w.app.recordings_dir = w.rec_dir;
    uint8_t secret[CP_URL_KEY_BYTES];
    cp_crypto_random(secret, sizeof(secret));
    cp_url_key_init(&w.url_key, secret);
    struct cp_ed25519_seed seed;
    cp_crypto_random(seed.b, sizeof(seed.b));
    cp_signer_init(&w.signer, &seed);
    w.app.url_key = &w.url_key;
    w.app.signer = &w.signer;
    w.app.log = cp_log_integrator_start(w.app.store, &w.signer, &err);
    assert_non_null(w.app.log);

    struct cp_store_conn *c = cp_store_acquire(w.app.store, &err);
    assert_non_null(c);
    struct cp_key_row row = {0};
    struct cp_key_secret sec;
    struct cp_key_token tok;
    assert_true(c->ops->begin(c, true) >= 0);
    assert_true(c->ops->tenant_ensure(c, "acme", cp_time_now_ms(), &row.tenant_id) >= 0);
    cp_apikey_generate(&row.key_id, &sec, &tok);
    cp_apikey_hash(&row.key_id, &sec, &row.hash);
    row.scopes = CP_SCOPE_ALL;
    row.created_ms = cp_time_now_ms();
    assert_int_equal(c->ops->key_insert(c, &row), CP_QS_ONE);
    assert_true(c->ops->commit(c) >= 0);
    cp_store_release(c);
    snprintf(w.auth, sizeof(w.auth), "Bearer %s", tok.s);
    cp_store_inject_faults(w.app.store);
}

static void
world_close(void)
{
    cp_idem_inflight_free(w.app.inflight);
    cp_log_integrator_stop(w.app.log);
    cp_store_close(w.app.store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w.dir);
    assert_int_equal(system(cmd), 0);
}

/* Append every row of table t as text (rowid order; WITHOUT ROWID tables by primary key). */
static void
dump_rows(sqlite3 *db, const char *t, struct cp_buf *out)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY rowid", t);
    sqlite3_stmt *rows;
    if (sqlite3_prepare_v2(db, sql, -1, &rows, NULL) != SQLITE_OK) {
        snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", t);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &rows, NULL), SQLITE_OK);
    }
    while (sqlite3_step(rows) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(rows); i++) {
            const unsigned char *v = sqlite3_column_text(rows, i);
            int n = sqlite3_column_bytes(rows, i);
            cp_buf_append(out, v ? (const char *)v : "NULL", v ? (size_t)n : 4);
            cp_buf_append(out, "|", 1);
        }
        cp_buf_append(out, "\n", 1);
    }
    sqlite3_finalize(rows);
}

/* The names in directory path, as a count and an order-independent hash. */
static void
dump_dir(const char *path, struct cp_buf *out)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    size_t n = 0;
    unsigned long sum = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        unsigned long h = 0;
        for (const char *p = e->d_name; *p; p++)
            h = h * 31 + (unsigned char)*p;
        n++;
        sum += h;
    }
    closedir(d);
    cp_buf_printf(out, "[%s] %zu %lu\n", path, n, sum);
}

/*
 * The store as text. full: everything the requests can change, every row of every table
 * (api_keys left out: authentication records key use there on its own schedule) and the
 * recordings directory, to compare before and after one request. Otherwise the row count of
 * every table, to compare two runs whose ids and times differ.
 */
static void
dump(struct cp_buf *out, bool full)
{
    out->len = 0;
    cp_buf_putc(out, '\n');
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(w.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *tables;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY name",
                                        -1, &tables, NULL),
                     SQLITE_OK);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(tables, 0);
        if (!full) {
            char sql[160];
            snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", t);
            sqlite3_stmt *s;
            assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
            assert_int_equal(sqlite3_step(s), SQLITE_ROW);
            cp_buf_printf(out, "%s=%lld ", t, (long long)sqlite3_column_int64(s, 0));
            sqlite3_finalize(s);
        } else if (strcmp(t, "api_keys") != 0) {
            cp_buf_printf(out, "[%s]\n", t);
            dump_rows(db, t, out);
        }
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    if (full) {
        char path[160];
        dump_dir(w.rec_dir, out);
        snprintf(path, sizeof(path), "%s/tmp", w.rec_dir);
        dump_dir(path, out);
    }
}

/* ---- one request through the same functions the server calls ---- */

static const char WAV[] = "RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
                          "\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00"
                          "data\x00\x00\x00\x00";

static void
request(const char *method, const char *uri, const char *idem, const char *ctype, const char *body,
        size_t body_len, struct answer *out)
{
    struct cp_req req;
    struct cp_reply rep;
    cp_req_init(&req, &w.app);
    cp_reply_init(&rep);
    req.method_name = method;
    req.raw_uri = uri;
    char len[32];
    snprintf(len, sizeof(len), "%zu", body_len);
    struct cp_kv h[4];
    size_t n = 0;
    if (strncmp(uri, "/v1/recordings/", 15) != 0)
        h[n++] = (struct cp_kv){"Authorization", w.auth};
    if (idem != NULL)
        h[n++] = (struct cp_kv){"Idempotency-Key", idem};
    if (body != NULL) {
        h[n++] = (struct cp_kv){"Content-Type", ctype};
        h[n++] = (struct cp_kv){"Content-Length", len};
    }
    req.headers = h;
    req.n_headers = n;
    int64_t limit = 0;
    if (cp_http_begin(&req, &rep, &limit)) {
        const struct cp_stream_ops *st = req.route->stream;
        if (st != NULL) {
            if (st->open(&req, &rep) && st->write(&req, body, body_len, &rep))
                st->finish(&req, &rep);
        } else {
            req.body = body;
            req.body_len = body != NULL ? body_len : 0;
            cp_http_finish(&req, &rep);
        }
    }
    out->status = rep.status;
    out->code[0] = '\0';
    out->body.len = 0;
    if (rep.body.data != NULL)
        cp_buf_append(&out->body, rep.body.data, rep.body.len);
    else if (rep.file_fd >= 0)
        cp_buf_printf(&out->body, "<file>");
    const char *c = out->body.data ? strstr(out->body.data, "\"code\":\"") : NULL;
    if (c != NULL)
        sscanf(c + 8, "%63[^\"]", out->code);
    cp_req_cleanup(&req);
    cp_reply_cleanup(&rep);
}

/* Copy the first run of chars from after `start` (inclusive of start) up to a quote. */
static void
extract(const struct answer *a, const char *start, char *out, size_t n)
{
    const char *p = a->body.data ? strstr(a->body.data, start) : NULL;
    if (p == NULL)
        return;
    size_t i = 0;
    while (p[i] != '\0' && p[i] != '"' && i + 1 < n) {
        out[i] = p[i];
        i++;
    }
    out[i] = '\0';
}

#define CALL_BODY(call_id)                                                                         \
    "{\"call_id\":\"" call_id "\",\"user_id\":\"3c90c3cc-0d44-4b50-8888-8dd25736052a\","           \
    "\"agent_id\":\"3c90c3cc-0d44-4b50-8888-8dd25736052a\",\"type\":\"phone_call\","               \
    "\"direction\":\"outbound\",\"from_number\":\"+15551234567\","                                 \
    "\"to_number\":\"+15557654321\","                                                              \
    "\"phone_number_id\":\"3c90c3cc-0d44-4b50-8888-8dd25736052a\"}"

static const char POST_CALL[] =
    "{\"call_id\":\"call_xyz789\",\"phone\":\"+15551234567\","
    "\"calling_entity\":\"Acme Insurance LLC\",\"calling_number\":\"+18005550100\","
    "\"started_at\":\"2026-04-10T15:42:00Z\",\"ended_at\":\"2026-04-10T15:46:30Z\","
    "\"duration_seconds\":270,\"outcome\":\"completed\","
    "\"audio_recording_url\":\"https://storage.yourplatform.com/recordings/call_xyz789.wav\","
    "\"full_transcript\":\"...\",\"ai_disclosures_made\":["
    "{\"type\":\"ai_identity\",\"at_seconds\":1,\"text\":\"Hi, this is an AI assistant calling "
    "on behalf of Acme Insurance.\"},"
    "{\"type\":\"callback_number\",\"at_seconds\":4,\"text\":\"Our callback number is "
    "800-555-0100.\"},"
    "{\"type\":\"opt_out_instructions\",\"at_seconds\":6,\"text\":\"If you'd like to opt out "
    "at any time, just say stop or press 9.\"}],"
    "\"consent_ids_used\":[\"cst_lx8k7n3f4g5h6j7k\"],"
    "\"consent_ids_captured\":[\"cst_lx8ka1b2c3d4e5f6\"]}";

/* The scenario, step by step. Returns false after the last step. */
static bool
step(int i, struct answer *a)
{
    char uri[600];
    char idem[32];
    snprintf(idem, sizeof(idem), "fault-step-%d", i);
    const char *json = "application/json";
    switch (i) {
    case 0:
        request("POST", "/api/v1/calls", idem, json, CALL_BODY("fc-1"), strlen(CALL_BODY("fc-1")),
                a);
        return true;
    case 1:
        request("POST", "/api/v1/calls", idem, json, CALL_BODY("fc-2"), strlen(CALL_BODY("fc-2")),
                a);
        return true;
    case 2: {
        const char *b = "{\"transcript\":\"Agent: hello\\nUser: hi\",\"status\":\"ended\"}";
        request("PATCH", "/api/v1/calls/fc-1", idem, json, b, strlen(b), a);
        return true;
    }
    case 3:
        request("POST", "/v1/calls/end?id=fc-2", idem, NULL, NULL, 0, a);
        return true;
    case 4: {
        const char *b = "{\"state\":\"Completed\",\"completionReason\":\"AllAnswered\","
                        "\"totalQuestions\":1,\"questionsAnswered\":1,\"calculatedScore\":5,"
                        "\"responses\":[{\"question\":\"Q\",\"answer\":\"yes\",\"score\":5}]}";
        request("PUT", "/api/v1/voice-calls/fc-1/epa-results", idem, json, b, strlen(b), a);
        return true;
    }
    case 5: {
        const char *b = "{\"recording_id\":\"rec-1\",\"recording_url\":\"https://rec.example/"
                        "rec-1.wav\",\"duration_seconds\":1}";
        request("POST", "/v1/calls/fc-1/recording-log", idem, json, b, strlen(b), a);
        return true;
    }
    case 6:
        request("PUT", "/v1/calls/fc-1/recordings/rec-1/audio", idem, "audio/wav", WAV,
                sizeof(WAV) - 1, a);
        return true;
    case 7:
        request("GET", "/api/v1/voice-calls/fc-1/recording-url", NULL, NULL, NULL, 0, a);
        extract(a, "/v1/recordings/", w.link, sizeof(w.link));
        return true;
    case 8:
        request("GET", w.link, NULL, NULL, NULL, 0, a);
        return true;
    case 9: {
        const char *b = "{\"consent_id\":\"cst_lx8k7n3f4g5h6j7k\",\"phone\":\"+15551234567\","
                        "\"calling_entity\":\"Acme Insurance LLC\","
                        "\"type\":\"prior_express_written\","
                        "\"scope\":[\"ai_voice\",\"telemarketing\"],"
                        "\"captured_at\":\"2026-04-01T12:00:00Z\"}";
        request("POST", "/v1/consents", idem, json, b, strlen(b), a);
        return true;
    }
    case 10: {
        const char *b = "{\"consent_id\":\"cst_lx8ka1b2c3d4e5f6\",\"call_id\":\"call_xyz789\","
                        "\"phone\":\"+15551234567\",\"calling_entity\":\"Acme Insurance LLC\","
                        "\"captured_at\":\"2026-04-10T15:44:00Z\","
                        "\"transcript\":\"Yes, I agree.\","
                        "\"agent_disclosure_text\":\"May we text you about your policy?\","
                        "\"consent_scope\":[\"ai_sms\"]}";
        request("POST", "/v1/capture-verbal", idem, json, b, strlen(b), a);
        return true;
    }
    case 11: {
        const char *b = "{\"phone\":\"+15551234567\",\"calling_entity\":\"Acme Insurance LLC\","
                        "\"purpose\":\"telemarketing\",\"call_type\":\"ai_voice\"}";
        request("POST", "/v1/precall", idem, json, b, strlen(b), a);
        return true;
    }
    case 12:
        request("POST", "/v1/post-call", idem, json, POST_CALL, strlen(POST_CALL), a);
        extract(a, "ev_", w.bundle_id, sizeof(w.bundle_id));
        return true;
    case 13:
        snprintf(uri, sizeof(uri), "/v1/evidence/%s", w.bundle_id);
        request("GET", uri, NULL, NULL, NULL, 0, a);
        return true;
    case 14:
        snprintf(uri, sizeof(uri), "/v1/evidence/%s/export", w.bundle_id);
        request("GET", uri, NULL, NULL, NULL, 0, a);
        return true;
    case 15:
        request("GET", "/v1/log/checkpoint", NULL, NULL, NULL, 0, a);
        return true;
    case 16:
        request("GET", "/v1/log/proof/inclusion?index=0&size=1", NULL, NULL, NULL, 0, a);
        return true;
    case 17: {
        const char *b = "{\"phone\":\"+15551234567\",\"calling_entity\":\"Acme Insurance LLC\","
                        "\"trigger\":\"manual\",\"captured_at\":\"2026-04-11T10:00:00Z\"}";
        request("POST", "/v1/revoke", idem, json, b, strlen(b), a);
        return true;
    }
    case 18:
        request("GET", "/v1/consents?phone=%2B15551234567", NULL, NULL, NULL, 0, a);
        return true;
    case 19:
        request("GET", "/api/v1/calls?page_size=10", NULL, NULL, NULL, 0, a);
        return true;
    case 20:
        request("GET", "/api/v1/voice-calls?state=Completed&pageSize=50", NULL, NULL, NULL, 0, a);
        return true;
    case 21:
        request("GET", "/v1/calls/fc-1/recording-log", NULL, NULL, NULL, 0, a);
        return true;
    case 22:
        request("DELETE", "/api/v1/calls/fc-2", idem, NULL, NULL, 0, a);
        return true;
    case 23:
        snprintf(uri, sizeof(uri), "/v1/evidence/%s", w.bundle_id);
        request("DELETE", uri, idem, NULL, NULL, 0, a);
        return true;
    default:
        return false;
    }
}

/* ---- the runs ---- */

struct baseline {
    int n_steps;
    unsigned status[MAX_STEPS];
    int64_t calls;
    const char *ops[4096]; /* the operation of each store call of the clean run */
    struct cp_buf counts;
};

static struct baseline base;

static void
clean_run(void)
{
    world_open();
    cp_store_fault_trace(base.ops, sizeof(base.ops) / sizeof(base.ops[0]));
    cp_store_fault_arm(CP_FAULT_OFF, 0);
    struct answer a = {0};
    int i = 0;
    for (; step(i, &a); i++) {
        base.status[i] = a.status;
        /* The scenario itself must work: only the retention DELETE is refused (409). */
        if (a.status >= 400 && !(i == 23 && a.status == 409))
            fail_msg("clean run, step %d: %u %s", i, a.status, a.body.data);
    }
    base.n_steps = i;
    base.calls = cp_store_fault_calls();
    cp_store_fault_trace(NULL, 0);
    assert_true((size_t)base.calls <= sizeof(base.ops) / sizeof(base.ops[0]));
    dump(&base.counts, false);
    cp_buf_free(&a.body);
    world_close();
    assert_true(base.calls > 50);
}

static int
setup(void **state)
{
    (void)state;
    cp_crypto_init();
    cp_log_set_level(CP_LOG_ERROR + 1); /* hundreds of injected errors would be logged */
    clean_run();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cp_buf_free(&base.counts);
    return 0;
}

struct tally {
    int64_t runs, failed_requests, absorbed, retried_ok;
};

/* Whether call n (1-based) of the clean run belongs to a transaction that only records when a
 * key was last used: authentication logs its failure and goes on, by design. */
static bool
in_key_touch_txn(int64_t n)
{
    int64_t first = n - 1, last = n - 1; /* 0-based: the begin and the commit around call n */
    while (first > 0 && strcmp(base.ops[first], "begin") != 0)
        first--;
    while (last < base.calls - 1 && strcmp(base.ops[last], "commit") != 0)
        last++;
    for (int64_t i = first; i <= last; i++)
        if (strcmp(base.ops[i], "key_touch") == 0)
            return true;
    return false;
}

/* One run of the scenario with the nth store call failing as kind. */
static void
faulty_run(enum cp_fault_kind kind, int64_t n, struct tally *t)
{
    world_open();
    cp_store_fault_arm(kind, n);
    struct answer a = {0};
    struct cp_buf before = {0}, after = {0};
    for (int i = 0; i < base.n_steps; i++) {
        bool had_fired = cp_store_fault_fired();
        if (!had_fired)
            dump(&before, true);
        step(i, &a);
        if (had_fired || !cp_store_fault_fired()) {
            if (a.status != base.status[i])
                fail_msg("N=%lld: step %d answered %u, clean run %u: %s", (long long)n, i, a.status,
                         base.status[i], a.body.data);
            continue;
        }
        /* This request met the failure. */
        const char *op = cp_store_fault_op();
        if (a.status == base.status[i]) {
            /* Retried (soft), or a best-effort write (recording key use) that may fail. */
            if (kind != CP_FAULT_SOFT && !in_key_touch_txn(n))
                fail_msg("N=%lld (%s): step %d answered %u as if %s had not failed", (long long)n,
                         op, i, a.status, op);
            t->absorbed++;
            continue;
        }
        if (kind == CP_FAULT_SOFT)
            fail_msg("N=%lld: a soft failure of %s reached the client at step %d: %u %s",
                     (long long)n, op, i, a.status, a.body.data);
        t->failed_requests++;
        unsigned want = kind == CP_FAULT_FULL ? 507 : 500;
        if (a.status != want)
            fail_msg("N=%lld (%s): step %d answered %u, want %u: %s", (long long)n, op, i, a.status,
                     want, a.body.data);
        if (strstr(a.body.data, "\"status\":\"error\"") == NULL || a.code[0] == '\0')
            fail_msg("N=%lld: step %d: not the error envelope: %s", (long long)n, i, a.body.data);
        dump(&after, true);
        if (strcmp(before.data, after.data) != 0)
            fail_msg("N=%lld (%s): step %d failed but changed the store:\nbefore:\n%s\nafter:\n%s",
                     (long long)n, op, i, before.data, after.data);
        /* The client retries, with the same Idempotency-Key. */
        step(i, &a);
        if (a.status != base.status[i])
            fail_msg("N=%lld (%s): step %d retried answered %u, clean run %u: %s", (long long)n, op,
                     i, a.status, base.status[i], a.body.data);
        t->retried_ok++;
    }
    if (!cp_store_fault_fired())
        fail_msg("N=%lld was never reached (the clean run made %lld calls)", (long long)n,
                 (long long)base.calls);
    dump(&after, false);
    if (strcmp(after.data, base.counts.data) != 0)
        fail_msg("N=%lld: rows at the end differ:\n%s\nclean run:\n%s", (long long)n, after.data,
                 base.counts.data);
    t->runs++;
    cp_buf_free(&before);
    cp_buf_free(&after);
    cp_buf_free(&a.body);
    world_close();
}

static void
every_n(enum cp_fault_kind kind, const char *name)
{
    struct tally t = {0};
    for (int64_t n = 1; n <= base.calls; n++)
        faulty_run(kind, n, &t);
    printf("  %s: %lld runs (every store call of the scenario), %lld requests failed cleanly and "
           "retried ok, %lld failures absorbed\n",
           name, (long long)t.runs, (long long)t.failed_requests, (long long)t.absorbed);
    assert_int_equal(t.runs, base.calls);
    if (kind != CP_FAULT_SOFT)
        assert_true(t.failed_requests > base.calls / 2);
}

static void
test_faults__soft_failures_are_retried_invisibly(void **state)
{
    (void)state;
    every_n(CP_FAULT_SOFT, "soft");
}

static void
test_faults__hard_failures_are_clean_500s_that_leave_nothing(void **state)
{
    (void)state;
    every_n(CP_FAULT_HARD, "hard");
}

static void
test_faults__a_full_disk_is_507_and_leaves_nothing(void **state)
{
    (void)state;
    every_n(CP_FAULT_FULL, "full");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults__soft_failures_are_retried_invisibly),
        cmocka_unit_test(test_faults__hard_failures_are_clean_500s_that_leave_nothing),
        cmocka_unit_test(test_faults__a_full_disk_is_507_and_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
