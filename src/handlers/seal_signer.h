/*
 * Signing sealed bundles off the store's writer thread (SQLite, where one writer runs every
 * group-commit batch and the Ed25519 signature and the leaf's SHA-256 were 60% of its work per
 * seal).
 *
 * A seal's transaction stores its bundle unsigned (signature "") and sequences its leaf without
 * the leaf's hash, and hands the signed message (CP_EVIDENCE_DOMAIN || canonical bytes) here; a
 * thread of its own signs it and hashes the leaf while the writer goes on with the batch. Before
 * the batch commits, its log hook (log_integrator.c) waits for that thread, stores every
 * signature and leaf hash, and integrates the leaves. The store row decides what is stored: a
 * signature goes only to the still unsigned bundle logged at that index with that id and exactly
 * the signed bytes (store.h bundle_sign), so a job whose seal was rolled back (its savepoint, or
 * the whole batch run again) changes nothing, and a leaf left without its hash fails the
 * integration, and so the batch: never a checkpoint over a wrong leaf.
 *
 * Jobs are submitted and collected by whoever runs the current batch; batches run one at a
 * time (store.c), so there is one producer and one consumer. The consumer does not sleep while
 * jobs are left: it signs them too, from the last one back, while the thread goes on from the
 * front (seal_signer.c says why).
 */
#ifndef CP_HANDLERS_SEAL_SIGNER_H
#define CP_HANDLERS_SEAL_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "store/store.h"

/* Jobs one batch may queue (a batch holds at most CP_STORE_MAX_BATCH seals; jobs of a batch
 * that failed before its hook stay until the next hook). Beyond it, seals sign inline. */
#define CP_SEAL_SIGNER_JOBS (4 * CP_STORE_MAX_BATCH)

struct cp_seal_signer;

/* A signed job: the bundle (id, leaf index, canonical bytes without the domain prefix), its
 * hex signature over CP_EVIDENCE_DOMAIN || bytes, and its leaf hash (cp_evidence_leaf). */
struct cp_seal_signed {
    char bundle_id[CP_BUNDLE_ID_LEN + 1];
    int64_t leaf_index;
    const char *bytes;
    char signature[129];
    struct cp_sha256 leaf_hash;
};

/* Start the queue with signer (borrowed; must outlive it) and, if thread, the signing thread
 * ("cp-sealer"). Without it (one CPU, where a thread only adds switches) the consumer signs
 * every job in cp_seal_signer_wait. */
struct cp_seal_signer *cp_seal_signer_start(const struct cp_signer *signer, bool thread);
/* Stop the thread and free. Jobs not yet collected by cp_seal_signer_wait are dropped (the
 * thread may still sign some first). NULL ok. */
void cp_seal_signer_stop(struct cp_seal_signer *ss);

/* Queue the signing of msg (CP_EVIDENCE_DOMAIN || the bundle's bytes: len bytes, copied) for
 * bundle_id, logged at leaf_index. false when the queue is full or the thread stopped: sign
 * inline then (cp_seal_signer_sign). */
bool cp_seal_signer_submit(struct cp_seal_signer *ss, const char *bundle_id, int64_t leaf_index,
                           const char *msg, size_t len);

/* Sign, with the thread, until every job submitted is signed; their number. cp_seal_signer_job(ss,
 * i) is the i-th in submission order, valid until cp_seal_signer_reset. Jobs whose seal was rolled
 * back are among them: bundle_sign tells them apart. */
size_t cp_seal_signer_wait(struct cp_seal_signer *ss);
const struct cp_seal_signed *cp_seal_signer_job(const struct cp_seal_signer *ss, size_t i);
/* How many jobs, since the start, the consumer signed in cp_seal_signer_wait and how many the
 * thread signed. */
void cp_seal_signer_counts(struct cp_seal_signer *ss, uint64_t *out_by_producer,
                           uint64_t *out_by_thread);
/* Forget every job (after cp_seal_signer_wait). */
void cp_seal_signer_reset(struct cp_seal_signer *ss);

/* What the thread does with a job, for inline use: sign msg (CP_EVIDENCE_DOMAIN || bytes, len
 * bytes followed by a NUL) and hash the bundle's leaf (cp_evidence_leaf). */
void cp_seal_signer_sign(const struct cp_signer *signer, const char *msg, size_t len,
                         char out_signature[129], struct cp_sha256 *out_leaf_hash);

#endif
