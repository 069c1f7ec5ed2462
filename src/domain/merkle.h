/*
 * The transparency log's Merkle tree: RFC 6962 §2.1 hashing, kept unchanged by RFC 9162 §2.1
 * (SHA-256; leaf = H(0x00 || data), node = H(0x01 || left || right), split at the largest power
 * of two strictly smaller than the size), the audit and consistency proofs of RFC 9162 §2.1.3.1 and
 * §2.1.4.1, their verifiers (§2.1.3.2, §2.1.4.2, every step, including the two that published
 * implementations are known to skip) and an append-only frontier ("compact range"). Pure logic,
 * no I/O, no allocation: the tree's storage is the caller's. Proof generation reads it through a
 * callback that is only ever asked for the hash of a *perfect aligned* subtree (2^level leaves
 * starting at a multiple of 2^level), which is exactly what cp_merkle_append emits once each, so
 * a store that keeps every emitted hash (a flat file in Go sumdb "stored hash index" order, or
 * tlog tiles) answers any root or proof in O(log n) reads.
 */
#ifndef CP_DOMAIN_MERKLE_H
#define CP_DOMAIN_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

/*
 * The largest tree handled: 2^63 leaves. A consistency proof can be one hash longer than the
 * tree is high (the old tree's last subtree plus every sibling above it), so capping the size
 * at 2^63 (height 63) is what keeps every proof within CP_MERKLE_MAX_PATH; no real log comes
 * near it. Every function below fails (returns false) on a larger size.
 */
#define CP_MERKLE_MAX_SIZE ((uint64_t)1 << 63)
/* Capacity, in hashes, that out_path arrays must have, and the longest path a verifier
 * accepts. */
#define CP_MERKLE_MAX_PATH 64

/* The hash of one leaf: SHA-256(0x00 || data[0..n)). data may be NULL when n is 0. */
void cp_merkle_leaf_hash(const void *data, size_t n, struct cp_sha256 *out);
/* The hash of an interior node: SHA-256(0x01 || left || right). out may alias either input. */
void cp_merkle_node_hash(const struct cp_sha256 *left, const struct cp_sha256 *right,
                         struct cp_sha256 *out);
/* The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1), which is not the
 * hash of an empty leaf. */
void cp_merkle_empty_root(struct cp_sha256 *out);

/*
 * Storage callback: write to *out the hash of the perfect subtree of 2^level leaves that starts
 * at leaf index << level (level 0 = the leaf hash of leaf `index`), and return true; return false
 * if the store can't (missing, I/O error): the proof function then fails with false. Only
 * subtrees that lie entirely inside the tree size the caller asked about are requested.
 */
typedef bool (*cp_merkle_get_fn)(void *cls, int level, uint64_t index, struct cp_sha256 *out);

/*
 * The root MTH(D[0:size)) into *out. size 0 gives the empty root without calling get.
 * Returns false if get fails (*out is then unspecified) or size > CP_MERKLE_MAX_SIZE. At most
 * 64 get calls.
 */
bool cp_merkle_root(uint64_t size, cp_merkle_get_fn get, void *cls, struct cp_sha256 *out);

/*
 * The inclusion proof (audit path, RFC 9162 §2.1.3.1) of leaf `index` in the tree of `size`
 * leaves, ordered leaf to root (the leaf's sibling first), into out_path (capacity
 * CP_MERKLE_MAX_PATH) and its length into *out_n. index 0 of size 1 gives an empty path.
 * Returns false if index >= size, size > CP_MERKLE_MAX_SIZE or get fails (*out_n is then 0).
 */
bool cp_merkle_inclusion_proof(uint64_t index, uint64_t size, cp_merkle_get_fn get, void *cls,
                               struct cp_sha256 *out_path, size_t *out_n);

/*
 * The consistency proof (RFC 9162 §2.1.4.1) between the tree of m leaves and the tree of n
 * leaves, into out_path (capacity CP_MERKLE_MAX_PATH) and its length into *out_n.
 *   0 < m < n:  PROOF(m, D[n]). When m is a power of two the old root is left out (the verifier
 *               knows it), so the proof may be a single hash.
 *   m == n > 0: true with an empty proof (the trees are the same; the verifier compares roots).
 *   m == 0:     false. An empty tree is trivially consistent with every tree, but there is no
 *               proof to give; callers that must express that (tlog-witness's "old 0") send an
 *               empty proof themselves and skip verification.
 *   m > n:      false.
 * Also false if n > CP_MERKLE_MAX_SIZE or get fails (*out_n is then 0).
 */
bool cp_merkle_consistency_proof(uint64_t m, uint64_t n, cp_merkle_get_fn get, void *cls,
                                 struct cp_sha256 *out_path, size_t *out_n);

/*
 * Verify an inclusion proof (RFC 9162 §2.1.3.2): true iff `path` (n hashes, leaf to root) proves
 * that leaf_hash is leaf `index` of the tree of `size` leaves whose root is *root. False on any
 * bad input (index >= size, size > CP_MERKLE_MAX_SIZE, path too short or too long,
 * n > CP_MERKLE_MAX_PATH, wrong hashes).
 * Beware: the size is not bound by the proof. A proof can also verify against the same root
 * with a different claimed size, so size and root must both come from one verified checkpoint.
 */
bool cp_merkle_verify_inclusion(uint64_t index, uint64_t size, const struct cp_sha256 *leaf_hash,
                                const struct cp_sha256 *path, size_t n,
                                const struct cp_sha256 *root);

/*
 * Verify a consistency proof (RFC 9162 §2.1.4.2): true iff `path` (len hashes) proves that the
 * tree of m leaves with root *old_root is a prefix of the tree of n leaves with root *new_root.
 *   0 < m < n:  the RFC algorithm; an empty path fails (step 1).
 *   m == n > 0: true iff the path is empty and the roots are equal.
 *   m == 0, m > n or n > CP_MERKLE_MAX_SIZE: false (see cp_merkle_consistency_proof on m == 0).
 * len > CP_MERKLE_MAX_PATH fails before any hashing. path may be NULL when len is 0.
 */
bool cp_merkle_verify_consistency(uint64_t m, uint64_t n, const struct cp_sha256 *old_root,
                                  const struct cp_sha256 *new_root, const struct cp_sha256 *path,
                                  size_t len);

/*
 * The right edge of an append-only tree: for each set bit `level` of size, the root of the
 * perfect subtree of 2^level leaves that covers that part of [0, size) (larger subtrees on the
 * left). That is all appending and the current root need. Zero-initialise it (or call
 * cp_merkle_frontier_init) for the empty tree; restore it after a restart with
 * cp_merkle_frontier_load.
 */
struct cp_merkle_frontier {
    uint64_t size;
    struct cp_sha256 h[64]; /* h[level] is meaningful iff bit `level` of size is set */
};

/* Called for every perfect subtree completed by an append: (level, index) as for
 * cp_merkle_get_fn, *h its hash (borrowed for the duration of the call). */
typedef void (*cp_merkle_emit_fn)(void *cls, int level, uint64_t index, const struct cp_sha256 *h);

/* The empty tree. */
void cp_merkle_frontier_init(struct cp_merkle_frontier *f);

/*
 * Rebuild the frontier of the tree of `size` leaves from storage: one get call per set bit of
 * size. Returns false if get fails or size > CP_MERKLE_MAX_SIZE (*f is then the empty tree).
 */
bool cp_merkle_frontier_load(struct cp_merkle_frontier *f, uint64_t size, cp_merkle_get_fn get,
                             void *cls);

/*
 * Append one leaf (by its leaf hash) as leaf number f->size. emit (may be NULL) is called first
 * with (0, f->size, leaf_hash), then once per perfect subtree the leaf completes, smallest first,
 * before the frontier changes; so a store that keeps every emitted hash can serve
 * cp_merkle_get_fn for every subtree of the new tree. About two node hashes per append on
 * average, at most 63. Returns false, changing nothing, if the tree already holds
 * CP_MERKLE_MAX_SIZE leaves.
 */
bool cp_merkle_append(struct cp_merkle_frontier *f, const struct cp_sha256 *leaf_hash,
                      cp_merkle_emit_fn emit, void *cls);

/* The root of the frontier's tree (the empty root when size is 0). */
void cp_merkle_frontier_root(const struct cp_merkle_frontier *f, struct cp_sha256 *out);

#endif
