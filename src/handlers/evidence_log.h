/*
 * The transparency log as the handlers use it: append a sealed bundle's leaf inside the
 * transaction that stores the bundle, sign the new checkpoint, and build proofs from the stored
 * subtree hashes. One log per server (one SQLite store has one writer, so leaves get their
 * index in commit order); its origin and key name are "callproof/<key id>", derived from the
 * signing key so they never change while the key does not.
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
void cp_evidence_log_origin(const struct cp_req *req, char out[64]);

/* The leaf a bundle is logged under: CP_LEAF_DOMAIN, hex SHA-256 of the bundle bytes, "\n",
 * the hex signature, "\n"; and its RFC 6962 leaf hash. */
void cp_evidence_leaf(const char *bundle_bytes, const char *signature_hex, struct cp_buf *out_leaf,
                      struct cp_sha256 *out_leaf_hash);

/* Inside a write transaction: append leaf_hash as the next leaf (for bundle_id), store the new
 * subtree hashes and a signed checkpoint for the new size. *out_index = the leaf's index. */
enum cp_qs cp_evidence_log_append(struct cp_store_conn *c, struct cp_req *req,
                                  const struct cp_sha256 *leaf_hash, const char *bundle_id,
                                  int64_t *out_index);

/* Inside a transaction: the inclusion proof of index in the tree of size (out_path holds
 * CP_MERKLE_MAX_PATH hashes). HARD if the store lacks a hash it should have. */
enum cp_qs cp_evidence_log_inclusion(struct cp_store_conn *c, int64_t index, int64_t size,
                                     struct cp_sha256 *out_path, size_t *out_n);
enum cp_qs cp_evidence_log_consistency(struct cp_store_conn *c, int64_t first, int64_t second,
                                       struct cp_sha256 *out_path, size_t *out_n);

#endif
