/*
 * RFC 6962 / RFC 9162 Merkle tree over SHA-256 (see merkle.h). The recursive definitions of
 * RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1 (SUBPROOF) are run top-down as loops: each step picks the
 * half that holds the target and records the other half's hash, and the recorded hashes are
 * reversed at the end because the RFC lists them leaf-first. The other half is a node of the
 * RFC recursion, so it is either a perfect aligned subtree (one storage read) or an "ephemeral"
 * right-edge node whose hash folds the ≤ 64 perfect subtrees it is made of. The verifiers are
 * transcribed from RFC 9162 step by step, with the RFC's step numbers in the comments, so they
 * can be checked against the text line by line.
 */
#include "domain/merkle.h"

#include <string.h>

#include "core/util.h"

void
cp_merkle_leaf_hash(const void *data, size_t n, struct cp_sha256 *out)
{
    static const uint8_t prefix = 0x00;
    struct cp_sha256_ctx ctx;
    cp_crypto_sha256_init(&ctx);
    cp_crypto_sha256_update(&ctx, &prefix, 1);
    if (n > 0)
        cp_crypto_sha256_update(&ctx, data, n);
    cp_crypto_sha256_final(&ctx, out);
}

void
cp_merkle_node_hash(const struct cp_sha256 *left, const struct cp_sha256 *right,
                    struct cp_sha256 *out)
{
    /* Copy the inputs first so out may alias either of them. */
    uint8_t buf[1 + 2 * sizeof(left->b)];
    buf[0] = 0x01;
    memcpy(buf + 1, left->b, sizeof(left->b));
    memcpy(buf + 1 + sizeof(left->b), right->b, sizeof(right->b));
    cp_crypto_sha256(buf, sizeof(buf), out);
}

void
cp_merkle_empty_root(struct cp_sha256 *out)
{
    cp_crypto_sha256(NULL, 0, out);
}

/* Largest power of two strictly smaller than n (n >= 2): RFC 9162's split point k. */
static uint64_t
split_point(uint64_t n)
{
    CP_ASSERT(n >= 2);
    uint64_t k = 1;
    while (k < n - k) /* k * 2 < n, written so it can't overflow */
        k <<= 1;
    return k;
}

static bool
is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/*
 * MTH(D[lo:hi)) for a node [lo, hi) of the RFC recursion (hi > lo). Such a node starts at a
 * multiple of the smallest power of two >= its size (true of [0, n), and kept by both halves of
 * every split), so it is the concatenation of one perfect aligned subtree per set bit of its size,
 * largest first, and its hash is those subtrees folded from the right: that is what splitting at
 * k over and over computes.
 */
static bool
range_hash(uint64_t lo, uint64_t hi, cp_merkle_get_fn get, void *cls, struct cp_sha256 *out)
{
    CP_ASSERT(hi > lo);
    uint64_t n = hi - lo;
    struct cp_sha256 parts[64];
    int n_parts = 0;
    uint64_t at = lo;
    for (int level = 63; level >= 0; level--) {
        uint64_t width = (uint64_t)1 << level;
        if ((n & width) == 0)
            continue;
        CP_ASSERT((at & (width - 1)) == 0);
        if (!get(cls, level, at >> level, &parts[n_parts]))
            return false;
        n_parts++;
        at += width;
    }
    *out = parts[n_parts - 1];
    for (int i = n_parts - 2; i >= 0; i--)
        cp_merkle_node_hash(&parts[i], out, out);
    return true;
}

bool
cp_merkle_root(uint64_t size, cp_merkle_get_fn get, void *cls, struct cp_sha256 *out)
{
    if (size > CP_MERKLE_MAX_SIZE)
        return false;
    if (size == 0) {
        cp_merkle_empty_root(out);
        return true;
    }
    return range_hash(0, size, get, cls, out);
}

static void
reverse(struct cp_sha256 *path, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        struct cp_sha256 t = path[i];
        path[i] = path[n - 1 - i];
        path[n - 1 - i] = t;
    }
}

bool
cp_merkle_inclusion_proof(uint64_t index, uint64_t size, cp_merkle_get_fn get, void *cls,
                          struct cp_sha256 *out_path, size_t *out_n)
{
    *out_n = 0;
    if (index >= size || size > CP_MERKLE_MAX_SIZE)
        return false;
    /* PATH(m, D[lo:hi)): the sibling of the half holding m, then recurse into that half. */
    uint64_t lo = 0, hi = size;
    size_t n = 0;
    while (hi - lo > 1) {
        uint64_t k = split_point(hi - lo);
        CP_ASSERT(n < CP_MERKLE_MAX_PATH);
        bool ok;
        if (index < lo + k) {
            ok = range_hash(lo + k, hi, get, cls, &out_path[n]);
            hi = lo + k;
        } else {
            ok = range_hash(lo, lo + k, get, cls, &out_path[n]);
            lo += k;
        }
        if (!ok)
            return false;
        n++;
    }
    reverse(out_path, n);
    *out_n = n;
    return true;
}

bool
cp_merkle_consistency_proof(uint64_t m, uint64_t n, cp_merkle_get_fn get, void *cls,
                            struct cp_sha256 *out_path, size_t *out_n)
{
    *out_n = 0;
    if (m == 0 || m > n || n > CP_MERKLE_MAX_SIZE)
        return false;
    /* SUBPROOF(m, D[lo:hi), known): `known` says the verifier already has MTH(D[lo:hi)) when
     * the recursion ends there, i.e. we have never gone right. */
    uint64_t lo = 0, hi = n;
    bool known = true;
    size_t len = 0;
    for (;;) {
        bool ok = true;
        CP_ASSERT(len < CP_MERKLE_MAX_PATH);
        if (m == hi) {
            /* SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])} */
            if (!known && !range_hash(lo, hi, get, cls, &out_path[len++]))
                return false;
            break;
        }
        uint64_t k = split_point(hi - lo);
        if (m <= lo + k) {
            ok = range_hash(lo + k, hi, get, cls, &out_path[len]);
            hi = lo + k;
        } else {
            ok = range_hash(lo, lo + k, get, cls, &out_path[len]);
            lo += k;
            known = false;
        }
        if (!ok)
            return false;
        len++;
    }
    reverse(out_path, len);
    *out_n = len;
    return true;
}

bool
cp_merkle_verify_inclusion(uint64_t index, uint64_t size, const struct cp_sha256 *leaf_hash,
                           const struct cp_sha256 *path, size_t n, const struct cp_sha256 *root)
{
    /* 1. leaf_index >= tree_size: fail. */
    if (index >= size)
        return false;
    if (size > CP_MERKLE_MAX_SIZE || n > CP_MERKLE_MAX_PATH)
        return false;
    /* 2. fn = leaf_index, sn = tree_size - 1. */
    uint64_t fn = index, sn = size - 1;
    /* 3. r = hash. */
    struct cp_sha256 r = *leaf_hash;
    /* 4. For each p in the path: */
    for (size_t i = 0; i < n; i++) {
        /* a. sn == 0: the proof is too long. */
        if (sn == 0)
            return false;
        if ((fn & 1) != 0 || fn == sn) {
            /* b.i. r = H(0x01 || p || r) */
            cp_merkle_node_hash(&path[i], &r, &r);
            /* b.ii. Skip the levels where our node is the promoted last one: shift until
             * LSB(fn) is set or fn is 0 (the step some verifiers omit; without it index 2 of
             * size 3 fails). */
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            /* otherwise r = H(0x01 || r || p) */
            cp_merkle_node_hash(&r, &path[i], &r);
        }
        /* c. */
        fn >>= 1;
        sn >>= 1;
    }
    /* 5. sn == 0 (the proof is not too short) and r == root. */
    return sn == 0 && cp_crypto_sha256_eq(&r, root);
}

bool
cp_merkle_verify_consistency(uint64_t m, uint64_t n, const struct cp_sha256 *old_root,
                             const struct cp_sha256 *new_root, const struct cp_sha256 *path,
                             size_t len)
{
    if (m == 0 || m > n || n > CP_MERKLE_MAX_SIZE || len > CP_MERKLE_MAX_PATH)
        return false;
    if (m == n)
        return len == 0 && cp_crypto_sha256_eq(old_root, new_root);
    /* 1. An empty path fails. */
    if (len == 0)
        return false;
    /* 2. If first is an exact power of two, prepend first_hash to the path (the step some
     * verifiers have commented out: without it every proof from a power-of-two size fails).
     * Done by pointing at old_root instead of copying. */
    const struct cp_sha256 *seed;
    size_t i;
    if (is_pow2(m)) {
        seed = old_root;
        i = 0;
    } else {
        seed = &path[0];
        i = 1;
    }
    /* 3. fn = first - 1, sn = second - 1. */
    uint64_t fn = m - 1, sn = n - 1;
    /* 4. While LSB(fn) is set, shift both right. */
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    /* 5. fr = sr = the first path element. */
    struct cp_sha256 fr = *seed, sr = *seed;
    /* 6. For each subsequent c: */
    for (; i < len; i++) {
        const struct cp_sha256 *c = &path[i];
        /* a. sn == 0: the proof is too long. */
        if (sn == 0)
            return false;
        if ((fn & 1) != 0 || fn == sn) {
            /* b. fr = H(0x01 || c || fr), sr = H(0x01 || c || sr), then skip promoted levels */
            cp_merkle_node_hash(c, &fr, &fr);
            cp_merkle_node_hash(c, &sr, &sr);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            /* otherwise sr = H(0x01 || sr || c) */
            cp_merkle_node_hash(&sr, c, &sr);
        }
        /* c. */
        fn >>= 1;
        sn >>= 1;
    }
    /* 7. fr == first_hash, sr == second_hash and sn == 0. */
    bool old_ok = cp_crypto_sha256_eq(&fr, old_root);
    bool new_ok = cp_crypto_sha256_eq(&sr, new_root);
    return old_ok && new_ok && sn == 0;
}

void
cp_merkle_frontier_init(struct cp_merkle_frontier *f)
{
    memset(f, 0, sizeof(*f));
}

bool
cp_merkle_frontier_load(struct cp_merkle_frontier *f, uint64_t size, cp_merkle_get_fn get,
                        void *cls)
{
    cp_merkle_frontier_init(f);
    if (size > CP_MERKLE_MAX_SIZE)
        return false;
    for (int level = 0; level < 64; level++) {
        uint64_t width = (uint64_t)1 << level;
        if ((size & width) == 0)
            continue;
        /* The subtree for bit `level` starts after all the (larger) ones for higher bits. */
        uint64_t start = size & ~(2 * width - 1); /* for level 63, 2 * width wraps to 0: start 0 */
        if (!get(cls, level, start >> level, &f->h[level])) {
            cp_merkle_frontier_init(f);
            return false;
        }
    }
    f->size = size;
    return true;
}

bool
cp_merkle_append(struct cp_merkle_frontier *f, const struct cp_sha256 *leaf_hash,
                 cp_merkle_emit_fn emit, void *cls)
{
    if (f->size >= CP_MERKLE_MAX_SIZE)
        return false;
    uint64_t index = f->size; /* the new leaf's index */
    struct cp_sha256 cur = *leaf_hash;
    if (emit != NULL)
        emit(cls, 0, index, &cur);
    /* Like a binary counter's carry: every trailing set bit of size is a perfect subtree of the
     * same height as cur, immediately to its left, so they merge into one twice as high. */
    int level = 0;
    while ((f->size >> level) & 1) {
        cp_merkle_node_hash(&f->h[level], &cur, &cur);
        level++;
        if (emit != NULL)
            emit(cls, level, index >> level, &cur);
    }
    /* level < 64 here: size < 2^63 has a clear bit. */
    f->h[level] = cur;
    f->size++;
    return true;
}

void
cp_merkle_frontier_root(const struct cp_merkle_frontier *f, struct cp_sha256 *out)
{
    if (f->size == 0) {
        cp_merkle_empty_root(out);
        return;
    }
    /* Fold from the smallest (rightmost) subtree up: root = H(h[big], H(..., h[small])). */
    bool have = false;
    for (int level = 0; level < 64; level++) {
        if (((f->size >> level) & 1) == 0)
            continue;
        if (!have) {
            *out = f->h[level];
            have = true;
        } else {
            cp_merkle_node_hash(&f->h[level], out, out);
        }
    }
}
