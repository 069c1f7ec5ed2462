/*
 * Unit tests for the RFC 6962 / RFC 9162 Merkle tree (domain/merkle.c). Known answers: the
 * hasher vectors of transparency-dev/merkle rfc6962/rfc6962_test.go; the "standard 8 leaves" of
 * transparency-dev/merkle testonly/constants.go and testonly/reference_test.go (shared with
 * Trillian and certificate-transparency-go; 0-based indices, unlike cmd/proofgen's 1-based
 * ones), with every hash written out in full as the research brief (tlog.md §1.6, §1.7) computed
 * it; the 7-leaf worked example of RFC 9162 §2.1.5 (letters as in its figure); the brief's own
 * larger roots (leaf i = 4-byte big-endian i, double-checked there in Python). Then exhaustively
 * for every tree of 1..128 leaves: the frontier, the stored-subtree root and a naive recursive
 * MTH agree; every inclusion and consistency proof equals the RFC's recursive definition run
 * naively here, verifies, and stops verifying when a bit of a hash is flipped (sampled), when it
 * is checked against a neighbouring size or index, or when it is cut or padded. The store of
 * emitted subtree hashes is a flat array in Go sumdb "stored hash index" order, which also
 * checks that cp_merkle_append emits hashes in exactly that order.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"
#include "crypto/crypto.h"
#include "domain/merkle.h"

static struct cp_sha256
hx(const char *hex)
{
    struct cp_sha256 h;
    assert_int_equal(strlen(hex), 64);
    assert_true(cp_hex_decode(hex, 64, h.b));
    return h;
}

static void
assert_hash(const struct cp_sha256 *got, const char *want_hex)
{
    char hex[65];
    cp_hex_encode(got->b, sizeof(got->b), hex);
    assert_string_equal(hex, want_hex);
}

/* ---- An in-memory store in Go sumdb stored-hash-index order ---- */

/* golang.org/x/mod/sumdb/tlog StoredHashIndex: the position of the hash of (level, n) in the
 * dense order in which an append-only log writes them (record n appends 1 + trailing_zeros(n+1)
 * hashes). */
static uint64_t
stored_hash_index(int level, uint64_t n)
{
    for (int l = level; l > 0; l--)
        n = 2 * n + 1;
    uint64_t i = 0;
    for (; n > 0; n >>= 1)
        i += n;
    return i + (uint64_t)level;
}

struct store {
    struct cp_sha256 *slots;
    uint64_t n_slots; /* written so far */
    uint64_t cap;
    uint64_t limit;   /* get fails for any subtree reaching past this many leaves */
    uint64_t n_reads; /* get calls */
    bool fail;        /* get fails outright (storage error) */
};

static void
store_init(struct store *s, uint64_t max_leaves)
{
    s->cap = 2 * max_leaves + 64;
    s->slots = calloc(s->cap, sizeof(*s->slots));
    assert_non_null(s->slots);
    s->n_slots = 0;
    s->limit = 0;
    s->n_reads = 0;
    s->fail = false;
}

static void
store_free(struct store *s)
{
    free(s->slots);
    s->slots = NULL;
}

static void
store_emit(void *cls, int level, uint64_t index, const struct cp_sha256 *h)
{
    struct store *s = cls;
    /* Emitted exactly in stored-hash-index order: each hash is appended once, never rewritten,
     * so a flat file of 32-byte slots written sequentially is a valid store. */
    assert_int_equal(stored_hash_index(level, index), s->n_slots);
    assert_true(s->n_slots < s->cap);
    s->slots[s->n_slots++] = *h;
}

static bool
store_get(void *cls, int level, uint64_t index, struct cp_sha256 *out)
{
    struct store *s = cls;
    s->n_reads++;
    if (s->fail)
        return false;
    /* Only perfect subtrees inside the tree asked about may be requested. */
    assert_true(level >= 0 && level < 64);
    assert_true(((index + 1) << level) <= s->limit);
    uint64_t i = stored_hash_index(level, index);
    assert_true(i < s->n_slots);
    *out = s->slots[i];
    return true;
}

/* ---- Naive RFC 6962 definitions over an array of leaf hashes, to compare against ---- */

static uint64_t
naive_split(uint64_t n)
{
    uint64_t k = 1;
    while (2 * k < n)
        k *= 2;
    return k;
}

static void
naive_mth(const struct cp_sha256 *leaves, uint64_t n, struct cp_sha256 *out)
{
    if (n == 0) {
        cp_crypto_sha256(NULL, 0, out);
        return;
    }
    if (n == 1) {
        *out = leaves[0];
        return;
    }
    uint64_t k = naive_split(n);
    struct cp_sha256 l, r;
    naive_mth(leaves, k, &l);
    naive_mth(leaves + k, n - k, &r);
    uint8_t buf[65];
    buf[0] = 1;
    memcpy(buf + 1, l.b, 32);
    memcpy(buf + 33, r.b, 32);
    cp_crypto_sha256(buf, sizeof(buf), out);
}

/* PATH(m, D[n]) of RFC 9162 §2.1.3.1, appended to path[*len]. */
static void
naive_path(uint64_t m, const struct cp_sha256 *leaves, uint64_t n, struct cp_sha256 *path,
           size_t *len)
{
    if (n <= 1)
        return;
    uint64_t k = naive_split(n);
    if (m < k) {
        naive_path(m, leaves, k, path, len);
        naive_mth(leaves + k, n - k, &path[(*len)++]);
    } else {
        naive_path(m - k, leaves + k, n - k, path, len);
        naive_mth(leaves, k, &path[(*len)++]);
    }
}

/* SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1. */
static void
naive_subproof(uint64_t m, const struct cp_sha256 *leaves, uint64_t n, bool b,
               struct cp_sha256 *path, size_t *len)
{
    if (m == n) {
        if (!b)
            naive_mth(leaves, n, &path[(*len)++]);
        return;
    }
    uint64_t k = naive_split(n);
    if (m <= k) {
        naive_subproof(m, leaves, k, b, path, len);
        naive_mth(leaves + k, n - k, &path[(*len)++]);
    } else {
        naive_subproof(m - k, leaves + k, n - k, false, path, len);
        naive_mth(leaves, k, &path[(*len)++]);
    }
}

/* ---- Known answers ---- */

/* transparency-dev/merkle rfc6962/rfc6962_test.go and RFC 6962 §2.1. */
static void
test_merkle__hasher_vectors(void **state)
{
    (void)state;
    struct cp_sha256 h;
    cp_merkle_empty_root(&h);
    assert_hash(&h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cp_merkle_leaf_hash(NULL, 0, &h); /* an empty leaf is not the empty tree */
    assert_hash(&h, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    cp_merkle_leaf_hash("L123456", 7, &h);
    assert_hash(&h, "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
    /* node_hash may write over either input */
    struct cp_sha256 a = hx("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    struct cp_sha256 b = hx("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
    struct cp_sha256 want;
    cp_merkle_node_hash(&a, &b, &want);
    assert_hash(&want, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
    struct cp_sha256 l = a, r = b;
    cp_merkle_node_hash(&l, &r, &l);
    assert_memory_equal(l.b, want.b, 32);
    l = a;
    cp_merkle_node_hash(&l, &r, &r);
    assert_memory_equal(r.b, want.b, 32);
    struct cp_merkle_frontier f;
    cp_merkle_frontier_init(&f);
    cp_merkle_frontier_root(&f, &h);
    assert_hash(&h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    struct store s;
    store_init(&s, 1);
    assert_true(cp_merkle_root(0, store_get, &s, &h));
    assert_int_equal(s.n_reads, 0);
    assert_hash(&h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    store_free(&s);
}

/* Leaf inputs of transparency-dev/merkle testonly/constants.go, as hex. */
static const char *const std_leaves[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

/* Nodes of the standard tree, named as in RFC 9162's figure (tlog.md §1.6, §1.7). */
#define H_A "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
#define H_B "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
#define H_C "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"
#define H_D "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"
#define H_E "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
#define H_F "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"
#define H_G "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
#define H_H "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
#define H_I "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
#define H_J "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"
#define H_K "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
#define H_L "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"
#define L1_3 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
#define L2_1 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"

static const char *const std_roots[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* The standard tree in a store, its leaf hashes in leaves[]. */
static void
build_standard(struct store *s, struct cp_sha256 leaves[8])
{
    store_init(s, 8);
    struct cp_merkle_frontier f;
    cp_merkle_frontier_init(&f);
    for (int i = 0; i < 8; i++) {
        uint8_t data[16];
        size_t n = strlen(std_leaves[i]) / 2;
        assert_true(cp_hex_decode(std_leaves[i], 2 * n, data));
        cp_merkle_leaf_hash(data, n, &leaves[i]);
        assert_true(cp_merkle_append(&f, &leaves[i], store_emit, s));
    }
    s->limit = 8;
}

static void
test_merkle__standard_8_leaves_roots(void **state)
{
    (void)state;
    struct store s;
    struct cp_sha256 leaves[8];
    build_standard(&s, leaves);
    assert_hash(&leaves[0], H_A);
    assert_hash(&leaves[1], H_B);
    assert_hash(&leaves[6], H_J);
    struct cp_merkle_frontier f;
    cp_merkle_frontier_init(&f);
    for (uint64_t size = 0; size <= 8; size++) {
        struct cp_sha256 h;
        cp_merkle_frontier_root(&f, &h);
        assert_hash(&h, std_roots[size]);
        s.limit = size;
        assert_true(cp_merkle_root(size, store_get, &s, &h));
        assert_hash(&h, std_roots[size]);
        if (size < 8)
            assert_true(cp_merkle_append(&f, &leaves[size], NULL, NULL));
    }
    s.limit = 8;
    struct cp_sha256 h;
    assert_true(store_get(&s, 1, 3, &h));
    assert_hash(&h, L1_3);
    assert_true(store_get(&s, 2, 1, &h));
    assert_hash(&h, L2_1);
    store_free(&s);
}

static void
expect_path(const struct cp_sha256 *path, size_t n, const char *const *want, size_t n_want)
{
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n; i++)
        assert_hash(&path[i], want[i]);
}

/* transparency-dev/merkle testonly/reference_test.go (0-based leaf indices). */
static void
test_merkle__standard_8_leaves_inclusion(void **state)
{
    (void)state;
    static const struct {
        uint64_t index, size;
        size_t n;
        const char *path[3];
    } cases[] = {
        {0, 1, 0, {NULL}},
        {0, 2, 1, {H_B}},
        {1, 2, 1, {H_A}},
        {2, 3, 1, {H_G}},
        {1, 5, 3, {H_A, H_H, H_E}},
        {0, 8, 3, {H_B, H_H, L2_1}},
        {5, 8, 3, {H_E, L1_3, H_K}},
    };
    struct store s;
    struct cp_sha256 leaves[8];
    build_standard(&s, leaves);
    for (size_t c = 0; c < CP_ARRAY_LEN(cases); c++) {
        struct cp_sha256 path[CP_MERKLE_MAX_PATH];
        size_t n = 99;
        s.limit = cases[c].size;
        assert_true(
            cp_merkle_inclusion_proof(cases[c].index, cases[c].size, store_get, &s, path, &n));
        expect_path(path, n, cases[c].path, cases[c].n);
        struct cp_sha256 root = hx(std_roots[cases[c].size]);
        assert_true(cp_merkle_verify_inclusion(cases[c].index, cases[c].size,
                                               &leaves[cases[c].index], path, n, &root));
    }
    store_free(&s);
}

static void
test_merkle__standard_8_leaves_consistency(void **state)
{
    (void)state;
    static const struct {
        uint64_t m, n;
        size_t len;
        const char *path[3];
    } cases[] = {
        {1, 1, 0, {NULL}},           {1, 8, 3, {H_B, H_H, L2_1}}, {2, 5, 2, {H_H, H_E}},
        {6, 8, 3, {H_I, L1_3, H_K}}, {6, 7, 3, {H_I, H_J, H_K}},
    };
    struct store s;
    struct cp_sha256 leaves[8];
    build_standard(&s, leaves);
    for (size_t c = 0; c < CP_ARRAY_LEN(cases); c++) {
        struct cp_sha256 path[CP_MERKLE_MAX_PATH];
        size_t len = 99;
        s.limit = cases[c].n;
        assert_true(cp_merkle_consistency_proof(cases[c].m, cases[c].n, store_get, &s, path, &len));
        expect_path(path, len, cases[c].path, cases[c].len);
        struct cp_sha256 r1 = hx(std_roots[cases[c].m]), r2 = hx(std_roots[cases[c].n]);
        assert_true(cp_merkle_verify_consistency(cases[c].m, cases[c].n, &r1, &r2, path, len));
    }
    store_free(&s);
}

/* RFC 9162 §2.1.5 (the same example as RFC 6962 §2.1.3): 7 leaves d0..d6. */
static void
test_merkle__rfc_worked_example(void **state)
{
    (void)state;
    struct store s;
    struct cp_sha256 leaves[8];
    build_standard(&s, leaves); /* the first 7 of them */
    static const struct {
        uint64_t index;
        size_t n;
        const char *path[3];
    } incl[] = {
        {0, 3, {H_B, H_H, H_L}},
        {3, 3, {H_C, H_G, H_L}},
        {4, 3, {H_F, H_J, H_K}},
        {6, 2, {H_I, H_K}},
    };
    struct cp_sha256 root7 = hx(std_roots[7]), path[CP_MERKLE_MAX_PATH];
    size_t n;
    s.limit = 7;
    assert_true(cp_merkle_root(7, store_get, &s, path));
    assert_hash(path, "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c");
    for (size_t c = 0; c < CP_ARRAY_LEN(incl); c++) {
        assert_true(cp_merkle_inclusion_proof(incl[c].index, 7, store_get, &s, path, &n));
        expect_path(path, n, incl[c].path, incl[c].n);
        assert_true(
            cp_merkle_verify_inclusion(incl[c].index, 7, &leaves[incl[c].index], path, n, &root7));
    }
    static const struct {
        uint64_t m;
        size_t len;
        const char *path[4];
    } cons[] = {
        {3, 4, {H_C, H_D, H_G, H_L}},
        {4, 1, {H_L}}, /* 4 is a power of two: the old root k is left out */
        {6, 3, {H_I, H_J, H_K}},
    };
    for (size_t c = 0; c < CP_ARRAY_LEN(cons); c++) {
        assert_true(cp_merkle_consistency_proof(cons[c].m, 7, store_get, &s, path, &n));
        expect_path(path, n, cons[c].path, cons[c].len);
        struct cp_sha256 old = hx(std_roots[cons[c].m]);
        assert_true(cp_merkle_verify_consistency(cons[c].m, 7, &old, &root7, path, n));
    }
    store_free(&s);
}

/* tlog.md §1.7 "larger vectors": leaf i = 4-byte big-endian i; double-checked in Python there. */
static void
test_merkle__larger_trees(void **state)
{
    (void)state;
    static const struct {
        uint64_t size;
        const char *root;
    } want[] = {
        {1, "8855508aade16ec573d21e6a485dfd0a7624085c1a14b5ecdd6485de0c6839a4"},
        {2, "50746ee02c3fda32e421ddc1bbf3f20b50ce18738d48709cb6d0ad13f2bdabb7"},
        {255, "58f204dcc06ebcf29082c362701341df88ec3d5f338036c72a98894aaf69059d"},
        {256, "78cd7db3bbfa785ffefa21e1c0aa7d4806c6e22ad65472710377ecb7e5a5a54e"},
        {257, "086ce24d72dd8347eef9afbf95829379f67cee8f5d23cece828a2dae88729c8d"},
        {511, "24d04ed697c0937608227c2dd312870e73f1100cec0f4bd1622d8735fef15991"},
        {65535, "d9cb0b3f33adcd25419aa844d52b3c686c71d034c3908926f5aeebfffdc3f614"},
        {65536, "208bed836edee10551d1a0208e22c9eead1a59c4c33abeb697eb60132f61a798"},
        {65537, "a919470e091dba7c96b77d370fdea7c7d88d58c8f35cfad49a9fa284b228b74d"},
        {69999, "07f2324e71f268f112d24a1145a2801b9059b2007d41b64b5d644cf5c7e7c326"},
        {70000, "339ecf3ae716405fdc28cef164e45a785cade0d5bc3e1400a7a4d70d0b2dec9b"},
    };
    struct store s;
    store_init(&s, 70000);
    struct cp_merkle_frontier f;
    cp_merkle_frontier_init(&f);
    size_t next = 0;
    for (uint32_t i = 0; i < 70000; i++) {
        uint8_t be[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        struct cp_sha256 leaf;
        cp_merkle_leaf_hash(be, sizeof(be), &leaf);
        assert_true(cp_merkle_append(&f, &leaf, store_emit, &s));
        if (next < CP_ARRAY_LEN(want) && f.size == want[next].size) {
            struct cp_sha256 h;
            cp_merkle_frontier_root(&f, &h);
            assert_hash(&h, want[next].root);
            s.limit = f.size;
            assert_true(cp_merkle_root(f.size, store_get, &s, &h));
            assert_hash(&h, want[next].root);
            /* and a frontier restored from the store after a "restart" */
            struct cp_merkle_frontier g;
            assert_true(cp_merkle_frontier_load(&g, f.size, store_get, &s));
            assert_int_equal(g.size, f.size);
            cp_merkle_frontier_root(&g, &h);
            assert_hash(&h, want[next].root);
            next++;
        }
    }
    assert_int_equal(next, CP_ARRAY_LEN(want));
    /* Proofs from a 70000-leaf store take O(log n) reads, not O(n). */
    struct cp_sha256 path[CP_MERKLE_MAX_PATH], root;
    size_t n;
    s.limit = 70000;
    cp_merkle_frontier_root(&f, &root);
    s.n_reads = 0;
    assert_true(cp_merkle_inclusion_proof(65536, 70000, store_get, &s, path, &n));
    assert_true(s.n_reads <= 64);
    uint8_t be[4] = {0, 1, 0, 0};
    struct cp_sha256 leaf;
    cp_merkle_leaf_hash(be, sizeof(be), &leaf);
    assert_true(cp_merkle_verify_inclusion(65536, 70000, &leaf, path, n, &root));
    s.n_reads = 0;
    s.limit = 70000;
    assert_true(cp_merkle_consistency_proof(69999, 70000, store_get, &s, path, &n));
    assert_true(s.n_reads <= 128);
    struct cp_sha256 old = hx(want[9].root);
    assert_true(cp_merkle_verify_consistency(69999, 70000, &old, &root, path, n));
    store_free(&s);
}

/* ---- Exhaustive: every tree of 1..128 leaves ---- */

#define MAX_N 128

struct world {
    struct store s;
    struct cp_sha256 leaves[MAX_N + 1];
    struct cp_sha256 roots[MAX_N + 2]; /* roots[n] for n = 0..MAX_N+1, naive */
    uint64_t rng;
};

static uint32_t
next_rand(struct world *w)
{
    /* xorshift64: reproducible bit positions to flip */
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return (uint32_t)(w->rng >> 32);
}

static void
flip(struct world *w, struct cp_sha256 *h)
{
    uint32_t bit = next_rand(w) % 256;
    h->b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void
world_build(struct world *w)
{
    store_init(&w->s, MAX_N + 1);
    w->rng = 0x9e3779b97f4a7c15ULL;
    struct cp_merkle_frontier f;
    cp_merkle_frontier_init(&f);
    for (uint64_t i = 0; i <= MAX_N; i++) {
        char data[8];
        int len = snprintf(data, sizeof(data), "%u", (unsigned)i);
        cp_merkle_leaf_hash(data, (size_t)len, &w->leaves[i]);
    }
    for (uint64_t n = 0; n <= MAX_N + 1; n++)
        naive_mth(w->leaves, n, &w->roots[n]);
    for (uint64_t n = 1; n <= MAX_N + 1; n++) {
        assert_true(cp_merkle_append(&f, &w->leaves[n - 1], store_emit, &w->s));
        assert_int_equal(f.size, n);
        /* frontier root == root from the store == naive MTH */
        struct cp_sha256 a, b;
        cp_merkle_frontier_root(&f, &a);
        w->s.limit = n;
        assert_true(cp_merkle_root(n, store_get, &w->s, &b));
        assert_memory_equal(a.b, w->roots[n].b, 32);
        assert_memory_equal(b.b, w->roots[n].b, 32);
        struct cp_merkle_frontier g;
        assert_true(cp_merkle_frontier_load(&g, n, store_get, &w->s));
        assert_int_equal(g.size, f.size);
        cp_merkle_frontier_root(&g, &a);
        assert_memory_equal(a.b, w->roots[n].b, 32);
    }
}

static unsigned
bitlen(uint64_t x)
{
    unsigned n = 0;
    for (; x != 0; x >>= 1)
        n++;
    return n;
}

static unsigned
popcount(uint64_t x)
{
    unsigned n = 0;
    for (; x != 0; x &= x - 1)
        n++;
    return n;
}

static void
check_inclusion_tampering(struct world *w, uint64_t index, uint64_t size, struct cp_sha256 *path,
                          size_t n)
{
    const struct cp_sha256 *leaf = &w->leaves[index], *root = &w->roots[size];
    /* a bit of any path hash, of the leaf hash or of the root */
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) {
            struct cp_sha256 saved = path[i];
            flip(w, &path[i]);
            assert_false(cp_merkle_verify_inclusion(index, size, leaf, path, n, root));
            path[i] = saved;
        }
    }
    for (int k = 0; k < 4; k++) {
        struct cp_sha256 bad = *leaf;
        flip(w, &bad);
        assert_false(cp_merkle_verify_inclusion(index, size, &bad, path, n, root));
        bad = *root;
        flip(w, &bad);
        assert_false(cp_merkle_verify_inclusion(index, size, leaf, path, n, &bad));
    }
    /* a neighbouring size, with that size's genuine root */
    assert_false(cp_merkle_verify_inclusion(index, size + 1, leaf, path, n, &w->roots[size + 1]));
    if (size > 1)
        assert_false(
            cp_merkle_verify_inclusion(index, size - 1, leaf, path, n, &w->roots[size - 1]));
    /* a neighbouring index with the same leaf hash, and out-of-range indices */
    if (index + 1 < size)
        assert_false(cp_merkle_verify_inclusion(index + 1, size, leaf, path, n, root));
    if (index > 0)
        assert_false(cp_merkle_verify_inclusion(index - 1, size, leaf, path, n, root));
    assert_false(cp_merkle_verify_inclusion(size, size, leaf, path, n, root));
    assert_false(cp_merkle_verify_inclusion(UINT64_MAX, size, leaf, path, n, root));
    /* the wrong path length: cut, padded with a hash or with the root, or emptied */
    if (n > 0) {
        assert_false(cp_merkle_verify_inclusion(index, size, leaf, path, n - 1, root));
        assert_false(cp_merkle_verify_inclusion(index, size, leaf, path + 1, n - 1, root));
        assert_false(cp_merkle_verify_inclusion(index, size, leaf, NULL, 0, root));
    }
    path[n] = n > 0 ? path[n - 1] : *leaf;
    assert_false(cp_merkle_verify_inclusion(index, size, leaf, path, n + 1, root));
    path[n] = *root;
    assert_false(cp_merkle_verify_inclusion(index, size, leaf, path, n + 1, root));
}

static void
test_merkle__every_inclusion_proof_to_128(void **state)
{
    (void)state;
    static struct world w;
    world_build(&w);
    unsigned n_proofs = 0;
    for (uint64_t size = 1; size <= MAX_N; size++) {
        w.s.limit = size;
        for (uint64_t index = 0; index < size; index++) {
            struct cp_sha256 path[CP_MERKLE_MAX_PATH + 1], want[CP_MERKLE_MAX_PATH];
            size_t n = 0, n_want = 0;
            w.s.n_reads = 0;
            assert_true(cp_merkle_inclusion_proof(index, size, store_get, &w.s, path, &n));
            assert_true(w.s.n_reads <= 2 * bitlen(size));
            naive_path(index, w.leaves, size, want, &n_want);
            assert_int_equal(n, n_want);
            assert_memory_equal(path, want, n * sizeof(path[0]));
            /* the length transparency-dev's decomposition predicts */
            unsigned inner = bitlen(index ^ (size - 1));
            assert_int_equal(n, inner + popcount(index >> inner));
            assert_true(
                cp_merkle_verify_inclusion(index, size, &w.leaves[index], path, n, &w.roots[size]));
            check_inclusion_tampering(&w, index, size, path, n);
            n_proofs++;
        }
    }
    assert_int_equal(n_proofs, MAX_N * (MAX_N + 1) / 2);
    store_free(&w.s);
}

static void
check_consistency_tampering(struct world *w, uint64_t m, uint64_t n, struct cp_sha256 *path,
                            size_t len)
{
    const struct cp_sha256 *r1 = &w->roots[m], *r2 = &w->roots[n];
    for (size_t i = 0; i < len; i++) {
        for (int k = 0; k < 2; k++) {
            struct cp_sha256 saved = path[i];
            flip(w, &path[i]);
            assert_false(cp_merkle_verify_consistency(m, n, r1, r2, path, len));
            path[i] = saved;
        }
    }
    for (int k = 0; k < 4; k++) {
        struct cp_sha256 bad = *r1;
        flip(w, &bad);
        assert_false(cp_merkle_verify_consistency(m, n, &bad, r2, path, len));
        bad = *r2;
        flip(w, &bad);
        assert_false(cp_merkle_verify_consistency(m, n, r1, &bad, path, len));
    }
    /* swapped roots (when they differ) */
    if (m != n)
        assert_false(cp_merkle_verify_consistency(m, n, r2, r1, path, len));
    /* neighbouring sizes with their genuine roots */
    assert_false(cp_merkle_verify_consistency(m, n + 1, r1, &w->roots[n + 1], path, len));
    if (n > m)
        assert_false(cp_merkle_verify_consistency(m, n - 1, r1, &w->roots[n - 1], path, len));
    if (m > 1)
        assert_false(cp_merkle_verify_consistency(m - 1, n, &w->roots[m - 1], r2, path, len));
    if (m < n)
        assert_false(cp_merkle_verify_consistency(m + 1, n, &w->roots[m + 1], r2, path, len));
    /* the wrong length */
    if (len > 0) {
        assert_false(cp_merkle_verify_consistency(m, n, r1, r2, path, len - 1));
        assert_false(cp_merkle_verify_consistency(m, n, r1, r2, path + 1, len - 1));
    }
    path[len] = len > 0 ? path[len - 1] : *r1;
    assert_false(cp_merkle_verify_consistency(m, n, r1, r2, path, len + 1));
    path[len] = *r2;
    assert_false(cp_merkle_verify_consistency(m, n, r1, r2, path, len + 1));
}

static void
test_merkle__every_consistency_proof_to_128(void **state)
{
    (void)state;
    static struct world w;
    world_build(&w);
    unsigned n_proofs = 0;
    for (uint64_t n = 1; n <= MAX_N; n++) {
        w.s.limit = n;
        for (uint64_t m = 1; m <= n; m++) {
            struct cp_sha256 path[CP_MERKLE_MAX_PATH + 1], want[CP_MERKLE_MAX_PATH];
            size_t len = 99, n_want = 0;
            w.s.n_reads = 0;
            assert_true(cp_merkle_consistency_proof(m, n, store_get, &w.s, path, &len));
            assert_true(w.s.n_reads <= 2 * bitlen(n) + 1);
            if (m < n)
                naive_subproof(m, w.leaves, n, true, want, &n_want);
            assert_int_equal(len, n_want);
            assert_memory_equal(path, want, len * sizeof(path[0]));
            assert_true(cp_merkle_verify_consistency(m, n, &w.roots[m], &w.roots[n], path, len));
            check_consistency_tampering(&w, m, n, path, len);
            n_proofs++;
        }
    }
    assert_int_equal(n_proofs, MAX_N * (MAX_N + 1) / 2);
    store_free(&w.s);
}

/* ---- Edge cases and documented behaviour ---- */

static void
test_merkle__rejects_bad_arguments(void **state)
{
    (void)state;
    struct store s;
    struct cp_sha256 leaves[8], path[CP_MERKLE_MAX_PATH + 1], root8 = hx(std_roots[8]);
    size_t n = 99;
    build_standard(&s, leaves);
    /* inclusion: index out of range, empty tree, oversize */
    assert_false(cp_merkle_inclusion_proof(8, 8, store_get, &s, path, &n));
    assert_int_equal(n, 0);
    assert_false(cp_merkle_inclusion_proof(0, 0, store_get, &s, path, &n));
    assert_false(cp_merkle_inclusion_proof(0, CP_MERKLE_MAX_SIZE + 1, store_get, &s, path, &n));
    assert_false(cp_merkle_verify_inclusion(0, 0, &leaves[0], NULL, 0, &root8));
    assert_false(
        cp_merkle_verify_inclusion(0, CP_MERKLE_MAX_SIZE + 1, &leaves[0], path, 3, &root8));
    /* a path longer than any tree's fails before hashing */
    for (int i = 0; i <= CP_MERKLE_MAX_PATH; i++)
        path[i] = root8;
    assert_false(
        cp_merkle_verify_inclusion(0, 8, &leaves[0], path, CP_MERKLE_MAX_PATH + 1, &root8));
    /* consistency: m == 0, m > n, oversize */
    assert_false(cp_merkle_consistency_proof(0, 8, store_get, &s, path, &n));
    assert_false(cp_merkle_consistency_proof(0, 0, store_get, &s, path, &n));
    assert_false(cp_merkle_consistency_proof(5, 4, store_get, &s, path, &n));
    assert_false(cp_merkle_consistency_proof(1, CP_MERKLE_MAX_SIZE + 1, store_get, &s, path, &n));
    struct cp_sha256 empty;
    cp_merkle_empty_root(&empty);
    assert_false(cp_merkle_verify_consistency(0, 8, &empty, &root8, NULL, 0));
    assert_false(cp_merkle_verify_consistency(0, 0, &empty, &empty, NULL, 0));
    assert_false(cp_merkle_verify_consistency(8, 4, &root8, &root8, NULL, 0));
    assert_false(cp_merkle_verify_consistency(4, 8, &root8, &root8, NULL, 0)); /* RFC step 1 */
    assert_false(cp_merkle_verify_consistency(4, 8, &root8, &root8, path, CP_MERKLE_MAX_PATH + 1));
    /* m == n: empty proof and equal roots */
    assert_true(cp_merkle_verify_consistency(8, 8, &root8, &root8, NULL, 0));
    assert_false(cp_merkle_verify_consistency(8, 8, &root8, &empty, NULL, 0));
    assert_false(cp_merkle_verify_consistency(8, 8, &root8, &root8, path, 1));
    assert_true(cp_merkle_consistency_proof(8, 8, store_get, &s, path, &n));
    assert_int_equal(n, 0);
    /* A proof that wrongly includes the power-of-two old root (the RFC leaves it out) fails. */
    struct cp_sha256 root4 = hx(std_roots[4]);
    assert_true(cp_merkle_consistency_proof(4, 8, store_get, &s, path + 1, &n));
    assert_int_equal(n, 1);
    path[0] = root4;
    assert_false(cp_merkle_verify_consistency(4, 8, &root4, &root8, path, 2));
    assert_true(cp_merkle_verify_consistency(4, 8, &root4, &root8, path + 1, 1));
    store_free(&s);
}

static void
test_merkle__storage_failure_propagates(void **state)
{
    (void)state;
    struct store s;
    struct cp_sha256 leaves[8], path[CP_MERKLE_MAX_PATH], h;
    size_t n = 99;
    build_standard(&s, leaves);
    s.fail = true;
    assert_false(cp_merkle_root(5, store_get, &s, &h));
    assert_false(cp_merkle_inclusion_proof(2, 5, store_get, &s, path, &n));
    assert_int_equal(n, 0);
    n = 99;
    assert_false(cp_merkle_consistency_proof(3, 5, store_get, &s, path, &n));
    assert_int_equal(n, 0);
    struct cp_merkle_frontier f;
    assert_false(cp_merkle_frontier_load(&f, 5, store_get, &s));
    assert_int_equal(f.size, 0);
    /* a load of the empty tree reads nothing */
    assert_true(cp_merkle_frontier_load(&f, 0, store_get, &s));
    store_free(&s);
}

static void
test_merkle__append_stops_at_max_size(void **state)
{
    (void)state;
    struct cp_merkle_frontier f;
    cp_merkle_frontier_init(&f);
    f.size = CP_MERKLE_MAX_SIZE - 1; /* all of levels 0..62 set; their hashes don't matter */
    struct cp_sha256 leaf = {{0}};
    assert_true(cp_merkle_append(&f, &leaf, NULL, NULL));
    assert_true(f.size == CP_MERKLE_MAX_SIZE);
    assert_false(cp_merkle_append(&f, &leaf, NULL, NULL));
    assert_true(f.size == CP_MERKLE_MAX_SIZE);
}

/*
 * The pitfall of tlog.md §1.8: an inclusion proof does not authenticate the tree size. The same
 * (index, path, root) often also verifies under a claimed size of n + 1, which is why callers
 * must take size and root together from one verified checkpoint. The same holds for the new size
 * of a consistency proof. Pinned here so that nobody believes the verifiers check sizes.
 */
static void
test_merkle__proofs_do_not_bind_the_tree_size(void **state)
{
    (void)state;
    static struct world w;
    world_build(&w);
    unsigned n_also = 0, n_total = 0;
    for (uint64_t size = 1; size <= MAX_N; size++) {
        w.s.limit = size;
        for (uint64_t index = 0; index < size; index++) {
            struct cp_sha256 path[CP_MERKLE_MAX_PATH];
            size_t n;
            assert_true(cp_merkle_inclusion_proof(index, size, store_get, &w.s, path, &n));
            n_total++;
            if (cp_merkle_verify_inclusion(index, size + 1, &w.leaves[index], path, n,
                                           &w.roots[size]))
                n_also++;
        }
    }
    /* The count depends only on the shapes of the trees, not on the data. The same loop over
     * sizes 1..159 gives the brief's "12,064 of 12,720". */
    assert_int_equal(n_total, 8256);
    assert_int_equal(n_also, 7680);
    /* The first case: leaf 0 of 3 has the path [leaf 1, leaf 2]; read as leaf 0 of 4, the same
     * two left-hand steps rebuild the size-3 root, and sn reaches 0 as well. */
    struct cp_sha256 path[2] = {w.leaves[1], w.leaves[2]};
    assert_true(cp_merkle_verify_inclusion(0, 3, &w.leaves[0], path, 2, &w.roots[3]));
    assert_true(cp_merkle_verify_inclusion(0, 4, &w.leaves[0], path, 2, &w.roots[3]));

    /* Consistency proofs bind the old size (step 7's sn == 0 does that: without it, 177 of
     * these pairs would also verify as m + 1) but, like inclusion proofs, not the new one. */
    unsigned n_new_also = 0, n_old_also = 0, n_pairs = 0;
    for (uint64_t n = 2; n <= MAX_N; n++) {
        w.s.limit = n;
        for (uint64_t m = 1; m < n; m++) {
            struct cp_sha256 proof[CP_MERKLE_MAX_PATH];
            size_t len;
            assert_true(cp_merkle_consistency_proof(m, n, store_get, &w.s, proof, &len));
            n_pairs++;
            const struct cp_sha256 *r1 = &w.roots[m], *r2 = &w.roots[n];
            if (cp_merkle_verify_consistency(m, n + 1, r1, r2, proof, len))
                n_new_also++;
            if (m + 1 < n && cp_merkle_verify_consistency(m + 1, n, r1, r2, proof, len))
                n_old_also++;
            if (m > 1 && cp_merkle_verify_consistency(m - 1, n, r1, r2, proof, len))
                n_old_also++;
        }
    }
    assert_int_equal(n_pairs, 8128);
    assert_int_equal(n_new_also, 7680);
    assert_int_equal(n_old_also, 0);
    store_free(&w.s);
}

int
main(void)
{
    cp_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merkle__hasher_vectors),
        cmocka_unit_test(test_merkle__standard_8_leaves_roots),
        cmocka_unit_test(test_merkle__standard_8_leaves_inclusion),
        cmocka_unit_test(test_merkle__standard_8_leaves_consistency),
        cmocka_unit_test(test_merkle__rfc_worked_example),
        cmocka_unit_test(test_merkle__larger_trees),
        cmocka_unit_test(test_merkle__every_inclusion_proof_to_128),
        cmocka_unit_test(test_merkle__every_consistency_proof_to_128),
        cmocka_unit_test(test_merkle__rejects_bad_arguments),
        cmocka_unit_test(test_merkle__storage_failure_propagates),
        cmocka_unit_test(test_merkle__append_stops_at_max_size),
        cmocka_unit_test(test_merkle__proofs_do_not_bind_the_tree_size),
    };
    return cmocka_run_group_tests_name("merkle", tests, NULL, NULL);
}
