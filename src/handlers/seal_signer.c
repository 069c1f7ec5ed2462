/*
 * The sealing thread (see seal_signer.h). Jobs live in a fixed array of slots, filled in order
 * by the batch's producer, who writes only the slot at `submitted` before publishing it. The
 * thread signs from the front: it claims the slot at `front` while that is below both
 * `submitted` and `back`. The producer, once it waits for the batch, signs from the back
 * instead of sleeping: it claims the slot below `back` while that is above `front`. So each
 * slot is signed once, by whoever claimed it (under the lock), and `signed_jobs` counts them. A
 * slot keeps its buffer from job to job.
 *
 * Why the producer helps: the producer is the store's writer, and the batch waits for the last
 * signature before it commits. Under load the thread shares two CPUs with the writer and the
 * HTTP threads, and a batch of 33 seals found 1.2-1.8 ms of signing still to do when its last
 * transaction ended: time the writer slept while its CPU went to other threads.
 */
#include "handlers/seal_signer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "handlers/evidence_log.h"

struct slot {
    struct cp_seal_signed pub;
    char *msg; /* CP_EVIDENCE_DOMAIN || bytes || NUL */
    size_t len, cap;
};

struct cp_seal_signer {
    const struct cp_signer *signer;
    pthread_t thread;
    bool has_thread;
    pthread_mutex_t lock;
    pthread_cond_t work; /* submitted grew, or stop */
    pthread_cond_t idle; /* signed_jobs reached submitted */
    size_t submitted;    /* slots published */
    size_t front;        /* slots below it are the thread's */
    size_t back;         /* slots from it are the waiting producer's (CP_SEAL_SIGNER_JOBS: none) */
    size_t signed_jobs;  /* slots signed, by either */
    uint64_t by_producer, by_thread; /* jobs each signed, since the start */
    bool stop;
    struct slot slots[CP_SEAL_SIGNER_JOBS];
};

void
cp_seal_signer_sign(const struct cp_signer *signer, const char *msg, size_t len,
                    char out_signature[129], struct cp_sha256 *out_leaf_hash)
{
    const size_t prefix = sizeof(CP_EVIDENCE_DOMAIN) - 1;
    CP_ASSERT(len >= prefix && msg[len] == '\0');
    struct cp_ed25519_sig sig;
    cp_crypto_ed25519_sign(&signer->sk, msg, len, &sig);
    cp_hex_encode(sig.b, sizeof(sig.b), out_signature);
    struct cp_buf leaf = CP_BUF_INIT;
    cp_evidence_leaf(msg + prefix, out_signature, &leaf, out_leaf_hash);
    cp_buf_free(&leaf);
}

static void *
run(void *arg)
{
    struct cp_seal_signer *ss = arg;
    pthread_setname_np(pthread_self(), "cp-sealer"); /* top -H, perf -t */
    pthread_mutex_lock(&ss->lock);
    for (;;) {
        if (ss->front < ss->submitted && ss->front < ss->back) {
            struct slot *s = &ss->slots[ss->front++];
            pthread_mutex_unlock(&ss->lock);
            cp_seal_signer_sign(ss->signer, s->msg, s->len, s->pub.signature, &s->pub.leaf_hash);
            pthread_mutex_lock(&ss->lock);
            ss->by_thread++;
            if (++ss->signed_jobs == ss->submitted)
                pthread_cond_signal(&ss->idle);
        } else if (ss->stop) {
            break;
        } else {
            pthread_cond_wait(&ss->work, &ss->lock);
        }
    }
    pthread_mutex_unlock(&ss->lock);
    return NULL;
}

struct cp_seal_signer *
cp_seal_signer_start(const struct cp_signer *signer, bool thread)
{
    struct cp_seal_signer *ss = calloc(1, sizeof(*ss));
    if (ss == NULL)
        cp_die("out of memory");
    ss->signer = signer;
    ss->back = CP_SEAL_SIGNER_JOBS;
    pthread_mutex_init(&ss->lock, NULL);
    pthread_cond_init(&ss->work, NULL);
    pthread_cond_init(&ss->idle, NULL);
    if (thread && pthread_create(&ss->thread, NULL, run, ss) != 0)
        cp_die("cannot start the sealing thread");
    ss->has_thread = thread;
    return ss;
}

void
cp_seal_signer_stop(struct cp_seal_signer *ss)
{
    if (ss == NULL)
        return;
    pthread_mutex_lock(&ss->lock);
    ss->stop = true;
    pthread_cond_signal(&ss->work);
    pthread_mutex_unlock(&ss->lock);
    if (ss->has_thread)
        pthread_join(ss->thread, NULL);
    for (size_t i = 0; i < CP_SEAL_SIGNER_JOBS; i++)
        free(ss->slots[i].msg);
    pthread_cond_destroy(&ss->idle);
    pthread_cond_destroy(&ss->work);
    pthread_mutex_destroy(&ss->lock);
    free(ss);
}

bool
cp_seal_signer_submit(struct cp_seal_signer *ss, const char *bundle_id, int64_t leaf_index,
                      const char *msg, size_t len)
{
    CP_ASSERT(strlen(bundle_id) <= CP_BUNDLE_ID_LEN);
    pthread_mutex_lock(&ss->lock);
    size_t k = ss->submitted;
    bool open = !ss->stop && k < CP_SEAL_SIGNER_JOBS;
    pthread_mutex_unlock(&ss->lock);
    if (!open)
        return false;
    /* Slot k is nobody's until it is published below. */
    struct slot *s = &ss->slots[k];
    if (s->cap < len + 1) {
        size_t cap = len + 1 > 4096 ? len + 1 : 4096;
        char *m = realloc(s->msg, cap);
        if (m == NULL)
            return false;
        s->msg = m;
        s->cap = cap;
    }
    memcpy(s->msg, msg, len);
    s->msg[len] = '\0';
    s->len = len;
    strcpy(s->pub.bundle_id, bundle_id);
    s->pub.leaf_index = leaf_index;
    s->pub.bytes = s->msg + sizeof(CP_EVIDENCE_DOMAIN) - 1;
    pthread_mutex_lock(&ss->lock);
    CP_ASSERT(ss->submitted == k); /* one producer: batches run one at a time */
    ss->submitted = k + 1;
    if (ss->front == k) /* the thread waits for work; otherwise it is still signing */
        pthread_cond_signal(&ss->work);
    pthread_mutex_unlock(&ss->lock);
    return true;
}

size_t
cp_seal_signer_wait(struct cp_seal_signer *ss)
{
    pthread_mutex_lock(&ss->lock);
    ss->back = ss->submitted; /* nothing is submitted while the producer waits */
    while (ss->signed_jobs < ss->submitted) {
        if (ss->back > ss->front) { /* sign the last unclaimed slot here */
            struct slot *s = &ss->slots[--ss->back];
            pthread_mutex_unlock(&ss->lock);
            cp_seal_signer_sign(ss->signer, s->msg, s->len, s->pub.signature, &s->pub.leaf_hash);
            pthread_mutex_lock(&ss->lock);
            ss->signed_jobs++;
            ss->by_producer++;
        } else {
            CP_ASSERT(ss->has_thread); /* without it every slot is the producer's */
            pthread_cond_wait(&ss->idle, &ss->lock);
        }
    }
    /* All signed: the thread may take the next submitted slot even without a reset. */
    ss->front = ss->submitted;
    ss->back = CP_SEAL_SIGNER_JOBS;
    size_t n = ss->submitted;
    pthread_mutex_unlock(&ss->lock);
    return n;
}

const struct cp_seal_signed *
cp_seal_signer_job(const struct cp_seal_signer *ss, size_t i)
{
    CP_ASSERT(i < ss->submitted && ss->signed_jobs == ss->submitted); /* after ..._wait */
    return &ss->slots[i].pub;
}

void
cp_seal_signer_counts(struct cp_seal_signer *ss, uint64_t *out_by_producer, uint64_t *out_by_thread)
{
    pthread_mutex_lock(&ss->lock);
    *out_by_producer = ss->by_producer;
    *out_by_thread = ss->by_thread;
    pthread_mutex_unlock(&ss->lock);
}

void
cp_seal_signer_reset(struct cp_seal_signer *ss)
{
    pthread_mutex_lock(&ss->lock);
    CP_ASSERT(ss->signed_jobs == ss->submitted);
    ss->submitted = ss->front = ss->signed_jobs = 0;
    ss->back = CP_SEAL_SIGNER_JOBS;
    pthread_mutex_unlock(&ss->lock);
}
