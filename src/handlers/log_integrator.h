/*
 * Who integrates the transparency log's pending leaves (evidence_log.h): the subtree hashes
 * above them and one signed checkpoint for the new size.
 *
 *   SQLite (one process owns the database): every group-commit batch that sequenced leaves
 *   integrates them before its commit (the store's log hook). A post-call's 201 already comes
 *   after the checkpoint that covers it; nothing waits.
 *
 *   PostgreSQL (several instances, one log): each instance runs a thread on a connection of its
 *   own that tries to take the log's lease (store.h lease_acquire) once a second. The holder
 *   integrates whenever a seal commits anywhere (NOTIFY) and at least once a second, each time
 *   fenced by its lease epoch; the others follow its checkpoints. A post-call returns after its
 *   bundle and leaf index are committed *and* a checkpoint covers the leaf (or after a bounded
 *   wait: see cp_log_integrator_await), so the proof is there when the client asks.
 */
#ifndef CP_HANDLERS_LOG_INTEGRATOR_H
#define CP_HANDLERS_LOG_INTEGRATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

struct cp_log_integrator;

/* Start integrating the log of store, signing checkpoints with signer (both borrowed, must
 * outlive the integrator). NULL + *out_err when the integrator's connection cannot be opened. */
struct cp_log_integrator *cp_log_integrator_start(struct cp_store *store,
                                                  const struct cp_signer *signer,
                                                  struct cp_error *out_err);
/* Stop (joins the thread within about 200 ms, gives up the lease) and free. NULL ok. */
void cp_log_integrator_stop(struct cp_log_integrator *li);

/*
 * Inside a log job's transaction (cp_store_run_log, cp_req_transact_async with log): sequence
 * the leaf of bundle_id, whose signed message is msg (CP_EVIDENCE_DOMAIN || its canonical
 * bytes; len bytes, NUL after them), and sign it. *out_index = the leaf's index. On one
 * process's log the signing goes to the sealing thread (seal_signer.h): out_signature is then
 * "" and the bundle must be stored with that empty signature, which the batch's log hook
 * replaces before the commit. Otherwise (a shared log, li NULL, the thread's queue full) it is
 * signed here with signer and the leaf stored with its hash: out_signature holds the hex
 * signature.
 */
enum cp_qs cp_log_integrator_seal(struct cp_log_integrator *li, struct cp_store_conn *c,
                                  const struct cp_signer *signer, const char *bundle_id,
                                  const char *msg, size_t len, char out_signature[129],
                                  int64_t *out_index);

/* Wait until the leaf at index is under a signed checkpoint, for at most timeout_ms. true when
 * it is (at once with SQLite); false after the timeout (no instance holds the lease, or the
 * database is unreachable): the leaf stays sequenced and a later integration covers it. */
bool cp_log_integrator_await(struct cp_log_integrator *li, int64_t index, int timeout_ms);

/* What the integrator did, for logs and /metrics. */
struct cp_log_integrator_stats {
    bool shared;            /* several instances: integration by the lease holder */
    bool leader;            /* this instance holds the lease now */
    int64_t integrated;     /* the latest checkpoint size this instance knows */
    int64_t integrations;   /* checkpoints this instance signed (shared log only) */
    int64_t await_timeouts; /* cp_log_integrator_await calls that timed out */
};
void cp_log_integrator_stats(struct cp_log_integrator *li, struct cp_log_integrator_stats *out);

#endif
