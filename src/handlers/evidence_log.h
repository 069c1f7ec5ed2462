/*
 * The transparency log as the handlers use it. Appending is two steps, as in Tessera and
 * Trillian: a sealed bundle's leaf is *sequenced* inside the transaction that stores the bundle
 * (its index is the log's size in the database, so the index is durable and final when the
 * bundle commits), and pending leaves are then *integrated*: the subtree hashes above them
 * stored and one checkpoint for the new size signed. On SQLite each group-commit batch
 * integrates its own leaves before its commit (cp_evidence_log_start sets the store's log
 * hook); on PostgreSQL the instance holding the log lease does, at least once a second
 * (handlers/log_leader.c). Proofs are built from the stored subtree hashes. The log's origin
 * and key name are "callproof/<key id>", derived from the signing key.
 */
#ifndef CP_HANDLERS_EVIDENCE_LOG_H
#define CP_HANDLERS_EVIDENCE_LOG_H

#include "core/buf.h"
#include "crypto/crypto.h"
#include "http/request.h"
#include "store/store.h"

#define CP_EVIDENCE_DOMAIN "callproof/evidence/v1\n"
#define CP_LEAF_DOMAIN "callproof/evidence-leaf/v1\n"

/* The log origin (= its note key name): "callproof/<16 hex key id>". */
void cp_evidence_log_origin(const struct cp_signer *signer, char out[64]);

/* The leaf a bundle is logged under: CP_LEAF_DOMAIN, hex SHA-256 of the bundle bytes, "\n",
 * the hex signature, "\n"; and its RFC 6962 leaf hash. */
void cp_evidence_leaf(const char *bundle_bytes, const char *signature_hex, struct cp_buf *out_leaf,
                      struct cp_sha256 *out_leaf_hash);

/* Inside a cp_store_run_log transaction: sequence leaf_hash as the next leaf (for bundle_id).
 * *out_index = its index. leaf_hash NULL: the hash is stored later in the same transaction,
 * before the leaf is integrated (log_integrator.h cp_log_integrator_seal). */
enum cp_qs cp_evidence_log_append(struct cp_store_conn *c, const struct cp_sha256 *leaf_hash,
                                  const char *bundle_id, int64_t *out_index);

/* Inside a transaction: the size of the tree the latest checkpoint signed (0 when none). */
enum cp_qs cp_evidence_log_checkpointed_size(struct cp_store_conn *c, int64_t *out_size);

/* Inside a write transaction holding the log lock: integrate the leaves sequenced after the
 * latest checkpoint (at most CP_LOG_INTEGRATE_MAX): store their subtree hashes and a checkpoint
 * of the new size signed by signer. ONE with *out_size the new size; NONE when nothing was
 * pending (*out_size the current size). */
#define CP_LOG_INTEGRATE_MAX 4096
enum cp_qs cp_evidence_log_integrate(struct cp_store_conn *c, const struct cp_signer *signer,
                                     int64_t *out_size);

/* Inside a transaction: the inclusion proof of index in the tree of size (out_path holds
 * CP_MERKLE_MAX_PATH hashes). HARD if the store lacks a hash it should have. */
enum cp_qs cp_evidence_log_inclusion(struct cp_store_conn *c, int64_t index, int64_t size,
                                     struct cp_sha256 *out_path, size_t *out_n);
enum cp_qs cp_evidence_log_consistency(struct cp_store_conn *c, int64_t first, int64_t second,
                                       struct cp_sha256 *out_path, size_t *out_n);

#endif
