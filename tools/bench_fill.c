/*
 * bench_fill: fills a store with realistic calls for the benchmarks (bench/run.sh), fast.
 *
 * Going through HTTP would take minutes for a million calls, because every create is its own
 * fsync'd transaction. This tool takes the server's own path minus the socket: it writes a
 * varied Ovia create body for each call, parses it with the server's strict JSON layer and
 * cp_call_input_parse/apply (so every stored column is exactly what POST /api/v1/calls would
 * have stored), and inserts it with the store's call_insert, many thousands of calls per
 * transaction. The calls belong to the tenant of the API key named with --key-id, so that key
 * sees them. Bodies are deterministic for a given --seed (the server ids are UUIDv7 with random
 * bits, as the server makes them); their times run forward over the last --days days, so ids
 * and start times grow together as they would in production.
 *
 * The mix: 60% outbound; status ended 82%, error 8%, in progress 5%, not started 5%; outcomes
 * of ended calls completed 60%, voicemail 15%, no answer 15%, busy 10%; 24 campaigns; 3 to 6
 * transcript turns. --ids-out writes the server ids of up to --ids-max calls spread evenly over
 * the fill (one per line) for the read benchmarks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/time.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "handlers/call_input.h"
#include "json/json.h"
#include "store/store.h"

#define BODY_MAX 8192

struct opts {
    const char *database;
    const char *key_id;
    int64_t n_calls;
    int64_t batch;
    int64_t days;
    uint64_t seed;
    const char *ids_out;
    int64_t ids_max;
};

static void
usage(FILE *out)
{
    fputs("usage: bench_fill --database PATH --key-id KEY_ID --calls N [--batch N] [--days N]\n"
          "                  [--seed N] [--ids-out FILE] [--ids-max N]\n"
          "Inserts N realistic calls for the tenant of API key KEY_ID (the 16 hex characters\n"
          "after cp_ in its token) into the SQLite store at PATH, --batch calls per\n"
          "transaction (default 20000), started over the last --days days (default 180).\n"
          "--ids-out writes up to --ids-max (default 10000) of their server ids, evenly spread.\n",
          out);
}

/* splitmix64: each call's generator is seeded from (seed, index), so a batch that the
 * transaction runner repeats after a soft failure makes the same bodies again. */
static uint64_t
mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

struct rng {
    uint64_t s;
};

static uint64_t
rnd(struct rng *r)
{
    r->s = mix64(r->s);
    return r->s;
}

/* Uniform in [0, n). */
static int64_t
below(struct rng *r, int64_t n)
{
    return (int64_t)(rnd(r) % (uint64_t)n);
}

static const char *
pick(struct rng *r, const char *const *v, size_t n)
{
    return v[below(r, (int64_t)n)];
}

static const char *const agent_lines[] = {
    "Hi, this is an AI assistant calling on behalf of Acme Insurance about your policy renewal.",
    "I can confirm the new premium would start on the first of next month.",
    "Our callback number is 800-555-0100 if you would like to reach us later.",
    "If you would like to opt out at any time, just say stop or press 9.",
    "I have noted that, thank you. Is there anything else I can help you with today?",
    "Let me check the coverage details for the vehicle registered on your account.",
    "I can schedule an appointment with one of our licensed agents this week.",
};
static const char *const customer_lines[] = {
    "Hi, yes, I was expecting a call about that.",
    "Can you tell me how much it would cost per month?",
    "I would rather talk to a person about the deductible.",
    "That sounds fine, please go ahead and send me the details by email.",
    "No, that is everything, thanks for calling.",
    "Could you call me back on Thursday afternoon instead?",
};
static const char *const agent_names[] = {"Ava", "Max", "Nora", "Leo", "Iris", "Sam"};
static const char *const providers[] = {"twilio", "telnyx", "vonage", "plivo"};
static const char *const tags[] = {"renewal", "claims", "new_quote", "billing", "vip"};

struct body {
    char *p;
    size_t n;
};

static void put(struct body *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append to the body; a body past BODY_MAX is a bug of this file. */
static void
put(struct body *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->p + b->n, BODY_MAX - b->n, fmt, ap);
    va_end(ap);
    CP_ASSERT(w >= 0 && (size_t)w < BODY_MAX - b->n);
    b->n += (size_t)w;
}

static void
put_uuid(struct body *b, struct rng *r, uint64_t fixed)
{
    uint64_t hi = fixed ? mix64(fixed) : rnd(r), lo = fixed ? mix64(fixed + 1) : rnd(r);
    put(b, "\"%08x-%04x-4%03x-8%03x-%012llx\"", (unsigned)(hi >> 32), (unsigned)(hi >> 16) & 0xffff,
        (unsigned)hi & 0xfff, (unsigned)(lo >> 48) & 0xfff,
        (unsigned long long)(lo & 0xffffffffffffull));
}

/*
 * Write call number i's create body into b; *out_created_ms is when the server would have
 * created it (the end of the call, or its start for a call still running or not started).
 */
static void
make_body(const struct opts *o, int64_t i, int64_t t0_ms, int64_t span_ms, struct body *b,
          int64_t *out_created_ms)
{
    struct rng r = {mix64(o->seed * 0x100000001b3ull + (uint64_t)i)};
    /* Times spread evenly with jitter, so they grow with i like real traffic. */
    int64_t start = t0_ms + span_ms * i / o->n_calls + below(&r, 60000);
    int64_t talk_s = 20 + below(&r, 600);
    int64_t end = start + (talk_s + 5 + below(&r, 30)) * 1000;

    int64_t u = below(&r, 100);
    const char *status = u < 82   ? "ended"
                         : u < 90 ? "error"
                         : u < 95 ? "in_progress"
                                  : "not_started";
    const char *outcome = NULL;
    if (strcmp(status, "ended") == 0) {
        int64_t v = below(&r, 100);
        outcome = v < 60 ? "completed" : v < 75 ? "voicemail" : v < 90 ? "no_answer" : "busy";
    } else if (strcmp(status, "error") == 0 && below(&r, 2) == 0) {
        outcome = "failed";
    }
    bool outbound = below(&r, 100) < 60;
    bool started = strcmp(status, "not_started") != 0;
    bool ended = strcmp(status, "ended") == 0 || strcmp(status, "error") == 0;

    char ts[CP_TIME_ISO_LEN];
    put(b, "{\"call_id\":\"fill-%llx-%lld\",\"user_id\":", (unsigned long long)o->seed,
        (long long)i);
    put_uuid(b, &r, 0x5eed0000u + (uint64_t)below(&r, 8));
    put(b, ",\"agent_id\":");
    put_uuid(b, &r, 0xa9e70000u + (uint64_t)below(&r, 40));
    put(b, ",\"type\":\"phone_call\",\"direction\":\"%s\"", outbound ? "outbound" : "inbound");
    long long ours = 2125550100 + below(&r, 50), theirs = 3105550000 + below(&r, 9000000);
    put(b, ",\"from_number\":\"+1%lld\",\"to_number\":\"+1%lld\"", outbound ? ours : theirs,
        outbound ? theirs : ours);
    put(b, ",\"phone_number_id\":");
    put_uuid(b, &r, 0x90e00000u + (uint64_t)(ours - 2125550100));
    put(b, ",\"campaign_id\":\"camp_%02lld\",\"status\":\"%s\"", (long long)below(&r, 24), status);
    if (outcome != NULL)
        put(b, ",\"outcome\":\"%s\"", outcome);
    if (started) {
        cp_time_format_iso(start, ts);
        put(b, ",\"started_at\":\"%s\"", ts);
    }
    if (ended) {
        cp_time_format_iso(end, ts);
        put(b, ",\"ended_at\":\"%s\",\"talk_time\":%lld", ts, (long long)talk_s);
    }
    put(b, ",\"agent\":{\"name\":\"%s\"}", pick(&r, agent_names, CP_ARRAY_LEN(agent_names)));
    put(b, ",\"telephony_provider\":\"%s\",\"telephony_id\":\"CA%016llx%016llx\"",
        pick(&r, providers, CP_ARRAY_LEN(providers)), (unsigned long long)rnd(&r),
        (unsigned long long)rnd(&r));
    if (started) {
        put(b, ",\"human_detection_result\":\"%s\"", below(&r, 10) < 8 ? "human" : "no_human");
        int64_t n_turns = 3 + below(&r, 4);
        put(b, ",\"transcript_objects\":[");
        for (int64_t k = 0; k < n_turns; k++) {
            bool agent = k % 2 == 0;
            cp_time_format_iso(start + 1000 + k * 4000, ts);
            put(b, "%s{\"role\":\"%s\",\"content\":\"%s\",\"timestamp\":\"%s\"}", k ? "," : "",
                agent ? "agent" : "customer",
                agent ? pick(&r, agent_lines, CP_ARRAY_LEN(agent_lines))
                      : pick(&r, customer_lines, CP_ARRAY_LEN(customer_lines)),
                ts);
        }
        put(b, "]");
    }
    if (ended) {
        int64_t prompt = 800 + below(&r, 4000), completion = 100 + below(&r, 900);
        put(b,
            ",\"costs\":{\"llm\":%lld.%02lld,\"stt\":0.%02lld,\"tts\":0.%02lld,\"total\":%lld.%"
            "02lld,"
            "\"details\":{\"tts_characters\":%lld,\"llm_prompt_tokens\":%lld,"
            "\"llm_completion_tokens\":%lld,\"stt_audio_duration_seconds\":%lld}}",
            (long long)below(&r, 2), (long long)below(&r, 100), (long long)below(&r, 100),
            (long long)below(&r, 100), (long long)below(&r, 3), (long long)below(&r, 100),
            (long long)(completion * 4), (long long)prompt, (long long)completion,
            (long long)talk_s);
        if (below(&r, 4) != 0)
            put(b, ",\"recording_url\":\"https://recordings.example.com/%llx.wav\"",
                (unsigned long long)rnd(&r));
    }
    put(b, ",\"metadata\":{\"crm_id\":\"A-%lld\",\"tags\":[\"%s\"]}}", (long long)below(&r, 100000),
        pick(&r, tags, CP_ARRAY_LEN(tags)));
    *out_created_ms = ended ? end : started ? start + 2000 : start;
}

struct fill {
    const struct opts *o;
    int64_t tenant_id;
    int64_t t0_ms, span_ms;
    int64_t first, count; /* the batch */
    int64_t ids_every;
    char (*ids)[CP_UUID_LEN + 1]; /* ids of this batch to write once it commits */
    int64_t n_ids;
    char *buf;
    struct cp_arena arena;
};

/* One batch: make, parse and insert calls [first, first + count). Runs again from the start
 * if the runner retries the transaction. */
static enum cp_qs
fill_txn(struct cp_store_conn *c, void *cls)
{
    struct fill *f = cls;
    f->n_ids = 0;
    for (int64_t i = f->first; i < f->first + f->count; i++) {
        struct body b = {f->buf, 0};
        int64_t created_ms;
        make_body(f->o, i, f->t0_ms, f->span_ms, &b, &created_ms);
        struct cp_error err;
        cJSON *json = cp_json_parse_object(b.p, b.n, &err);
        struct cp_call_input in;
        struct cp_call call;
        cp_call_init(&call);
        if (json == NULL ||
            cp_call_input_parse(json, CP_CALL_CREATE, &f->arena, &in, &err) != CP_OK ||
            cp_call_input_apply(&in, &call, created_ms, &f->arena, &err) != CP_OK)
            cp_die("bench_fill: call %lld refused: %s (%.*s)", (long long)i, err.message, (int)b.n,
                   b.p);
        cp_uuid_v7(created_ms, call.id);
        call.tenant_id = f->tenant_id;
        call.created_ms = created_ms;
        enum cp_qs qs = c->ops->call_insert(c, &call);
        cJSON_Delete(json);
        cp_arena_reset(&f->arena);
        if (qs < 0)
            return qs;
        if (qs == CP_QS_NONE)
            cp_die("bench_fill: call_id fill-%llx-%lld exists already: fill a fresh store or "
                   "use another --seed",
                   (unsigned long long)f->o->seed, (long long)i);
        if (f->ids != NULL && i % f->ids_every == 0)
            memcpy(f->ids[f->n_ids++], call.id, sizeof(call.id));
    }
    return CP_QS_ONE;
}

struct tenant_of {
    struct cp_key_id id;
    int64_t tenant_id;
};

static enum cp_qs
tenant_txn(struct cp_store_conn *c, void *cls)
{
    struct tenant_of *t = cls;
    struct cp_key_row row;
    enum cp_qs qs = c->ops->key_get(c, &t->id, &row);
    if (qs == CP_QS_ONE)
        t->tenant_id = row.tenant_id;
    return qs;
}

static bool
parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.batch = 20000, .days = 180, .seed = 1, .ids_max = 10000};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (i + 1 >= argc)
            return false;
        const char *v = argv[++i];
        int64_t n = 0;
        bool num = cp_parse_int(v, 1, INT64_C(1000000000), &n);
        if (strcmp(f, "--database") == 0)
            o->database = v;
        else if (strcmp(f, "--key-id") == 0)
            o->key_id = v;
        else if (strcmp(f, "--ids-out") == 0)
            o->ids_out = v;
        else if (!num)
            return false;
        else if (strcmp(f, "--calls") == 0)
            o->n_calls = n;
        else if (strcmp(f, "--batch") == 0)
            o->batch = n;
        else if (strcmp(f, "--days") == 0)
            o->days = n;
        else if (strcmp(f, "--seed") == 0)
            o->seed = (uint64_t)n;
        else if (strcmp(f, "--ids-max") == 0)
            o->ids_max = n;
        else
            return false;
    }
    return o->database != NULL && o->key_id != NULL && o->n_calls > 0 &&
           strlen(o->key_id) == CP_KEY_ID_LEN;
}

int
main(int argc, char **argv)
{
    struct opts o;
    if (!parse_args(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    cp_crypto_init();
    struct cp_error err;
    struct cp_store *store = cp_store_open(o.database, &err);
    if (store == NULL) {
        fprintf(stderr, "bench_fill: %s\n", err.message);
        return 1;
    }
    struct cp_store_conn *c = cp_store_acquire(store, &err);
    if (c == NULL) {
        fprintf(stderr, "bench_fill: %s\n", err.message);
        return 1;
    }
    struct tenant_of t = {0};
    memcpy(t.id.s, o.key_id, CP_KEY_ID_LEN);
    if (cp_store_run(c, false, tenant_txn, &t) != CP_QS_ONE) {
        fprintf(stderr, "bench_fill: no API key %s in %s\n", o.key_id, o.database);
        return 1;
    }

    FILE *ids = o.ids_out ? fopen(o.ids_out, "w") : NULL;
    if (o.ids_out != NULL && ids == NULL) {
        perror(o.ids_out);
        return 1;
    }
    int64_t now = cp_time_now_ms(), day_ms = INT64_C(86400000);
    struct fill f = {
        .o = &o,
        .tenant_id = t.tenant_id,
        .t0_ms = now - (o.days + 1) * day_ms, /* the last call starts about a day ago */
        .span_ms = o.days * day_ms,
        .ids_every = o.n_calls > o.ids_max ? o.n_calls / o.ids_max : 1,
        .buf = malloc(BODY_MAX),
    };
    if (f.buf == NULL || (ids && (f.ids = calloc((size_t)o.batch, sizeof(*f.ids))) == NULL))
        cp_die("out of memory");
    cp_arena_init(&f.arena);

    int64_t t0 = cp_time_mono_ms();
    for (f.first = 0; f.first < o.n_calls; f.first += f.count) {
        f.count = o.n_calls - f.first < o.batch ? o.n_calls - f.first : o.batch;
        if (cp_store_run(c, true, fill_txn, &f) < 0) {
            fprintf(stderr, "bench_fill: insert failed at call %lld\n", (long long)f.first);
            return 1;
        }
        for (int64_t k = 0; k < f.n_ids; k++)
            fprintf(ids, "%s\n", f.ids[k]);
        int64_t ms = cp_time_mono_ms() - t0;
        fprintf(stderr, "\rbench_fill: %lld of %lld calls, %.1f s", (long long)(f.first + f.count),
                (long long)o.n_calls, (double)ms / 1000.0);
    }
    int64_t ms = cp_time_mono_ms() - t0;
    fprintf(stderr, "\n");
    printf("bench_fill: %lld calls in %.1f s (%.0f calls/s), %lld per transaction\n",
           (long long)o.n_calls, (double)ms / 1000.0,
           (double)o.n_calls * 1000.0 / (double)(ms > 0 ? ms : 1), (long long)o.batch);
    if (ids != NULL && fclose(ids) != 0) {
        perror(o.ids_out);
        return 1;
    }
    free(f.ids);
    free(f.buf);
    cp_arena_reset(&f.arena);
    cp_store_release(c);
    cp_store_close(store);
    return 0;
}
