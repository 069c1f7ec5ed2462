/*
 * Known-answer tests for the libsodium wrappers (crypto/crypto.c). Every expected value is a
 * literal computed outside our code:
 *   - Ed25519: RFC 8032 §7.1 TEST 1, TEST 2, TEST 3 and TEST SHA(abc) (public key and signature
 *     from the secret seed, byte for byte), each re-derived with Node 20's crypto (sign(null, msg,
 *     PKCS#8 key 302e020100300506032b657004220420 || seed)) before being copied here; then every
 *     single-bit flip of the signature and of the message, and sampled flips of the public key,
 *     must fail to verify.
 *   - cp_signer: seed 00..1f gives the public key and key id (hex of the first 8 bytes of
 *     SHA-256(pk)) computed with Node; the evidence signature over "callproof/evidence/v1\n" ||
 *     a fixed canonical bundle (the message handlers/postcall.c signs and cli/verify.c checks)
 *     is Node's signature (Ed25519 is deterministic, so it is a true known answer).
 *   - SHA-256: FIPS 180-2 appendix B ("abc", the 448-bit message, one million 'a') and the empty
 *     string, one-shot and streamed in pieces.
 *   - HMAC-SHA256: RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
 *   - base64: the RFC 4648 §10 vectors, decoded back with libsodium.
 * The SHA-256, HMAC and base64 values were also recomputed with Node.
 */
#include "unit.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "core/util.h"
#include "crypto/crypto.h"
#include "handlers/evidence_log.h"

static void
hex_to_bytes(const char *hex, uint8_t *out, size_t want)
{
    assert_int_equal(strlen(hex), 2 * want);
    assert_true(cp_hex_decode(hex, 2 * want, out));
}

/* ---- Ed25519, RFC 8032 §7.1 ---- */

struct ed25519_vector {
    const char *name;
    const char *seed;
    const char *pk;
    const char *msg; /* hex */
    const char *sig;
};

static const struct ed25519_vector rfc8032[] = {
    {
        "TEST 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    {
        "TEST 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
    {
        "TEST 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    },
    {
        /* the message is SHA-512("abc") */
        "TEST SHA(abc)",
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    },
};

static void
check_rfc8032(const struct ed25519_vector *v)
{
    struct cp_ed25519_seed seed;
    struct cp_ed25519_pk want_pk, pk;
    struct cp_ed25519_sk sk;
    struct cp_ed25519_sig want_sig, sig;
    uint8_t msg[64];
    size_t n = strlen(v->msg) / 2;
    assert_true(n <= sizeof(msg));
    hex_to_bytes(v->seed, seed.b, sizeof(seed.b));
    hex_to_bytes(v->pk, want_pk.b, sizeof(want_pk.b));
    hex_to_bytes(v->msg, msg, n);
    hex_to_bytes(v->sig, want_sig.b, sizeof(want_sig.b));

    cp_crypto_ed25519_keypair(&seed, &pk, &sk);
    if (memcmp(pk.b, want_pk.b, 32) != 0)
        fail_msg("%s: wrong public key", v->name);
    /* libsodium's secret key is seed || public key */
    assert_memory_equal(sk.b, seed.b, 32);
    assert_memory_equal(sk.b + 32, want_pk.b, 32);

    cp_crypto_ed25519_sign(&sk, msg, n, &sig);
    if (memcmp(sig.b, want_sig.b, 64) != 0)
        fail_msg("%s: wrong signature", v->name);
    if (!cp_crypto_ed25519_verify(&pk, msg, n, &want_sig))
        fail_msg("%s: published signature refused", v->name);

    /* Every single-bit change of the signature fails (R no longer matches, or S leaves [0, L)). */
    for (int bit = 0; bit < 512; bit++) {
        struct cp_ed25519_sig bad = want_sig;
        bad.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (cp_crypto_ed25519_verify(&pk, msg, n, &bad))
            fail_msg("%s: signature bit %d flipped still verifies", v->name, bit);
    }
    /* So does every single-bit change of the message, and a byte more or less. */
    for (size_t bit = 0; bit < 8 * n; bit++) {
        uint8_t bad[64];
        memcpy(bad, msg, n);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (cp_crypto_ed25519_verify(&pk, bad, n, &want_sig))
            fail_msg("%s: message bit %zu flipped still verifies", v->name, bit);
    }
    if (n > 0 && cp_crypto_ed25519_verify(&pk, msg, n - 1, &want_sig))
        fail_msg("%s: truncated message verifies", v->name);
    uint8_t longer[65];
    memcpy(longer, msg, n);
    longer[n] = 0;
    if (cp_crypto_ed25519_verify(&pk, longer, n + 1, &want_sig))
        fail_msg("%s: extended message verifies", v->name);
    /* And a sample of public-key bits, including the x sign bit (255) and the low bits of y. */
    static const int pk_bits[] = {0, 1, 7, 8, 63, 128, 200, 253, 254, 255};
    for (size_t i = 0; i < CP_ARRAY_LEN(pk_bits); i++) {
        struct cp_ed25519_pk bad = pk;
        bad.b[pk_bits[i] / 8] ^= (uint8_t)(1u << (pk_bits[i] % 8));
        if (cp_crypto_ed25519_verify(&bad, msg, n, &want_sig))
            fail_msg("%s: public key bit %d flipped still verifies", v->name, pk_bits[i]);
    }
}

static void
test_crypto__ed25519_rfc8032_test1(void **state)
{
    (void)state;
    check_rfc8032(&rfc8032[0]);
}

static void
test_crypto__ed25519_rfc8032_test2(void **state)
{
    (void)state;
    check_rfc8032(&rfc8032[1]);
}

static void
test_crypto__ed25519_rfc8032_test3(void **state)
{
    (void)state;
    check_rfc8032(&rfc8032[2]);
}

static void
test_crypto__ed25519_rfc8032_sha_abc(void **state)
{
    (void)state;
    /* The vector's message is SHA-512("abc") (FIPS 180-2): check that, independently. */
    uint8_t h[64], msg[64];
    crypto_hash_sha512(h, (const uint8_t *)"abc", 3);
    hex_to_bytes(rfc8032[3].msg, msg, sizeof(msg));
    assert_memory_equal(h, msg, sizeof(msg));
    check_rfc8032(&rfc8032[3]);
}

static void
test_crypto__ed25519_wrong_key_refused(void **state)
{
    (void)state;
    /* TEST 2's signature under TEST 3's key, and the all-zero signature, are refused. */
    struct cp_ed25519_pk pk3;
    struct cp_ed25519_sig sig2, zero;
    uint8_t msg2 = 0x72;
    hex_to_bytes(rfc8032[2].pk, pk3.b, 32);
    hex_to_bytes(rfc8032[1].sig, sig2.b, 64);
    assert_false(cp_crypto_ed25519_verify(&pk3, &msg2, 1, &sig2));
    memset(zero.b, 0, sizeof(zero.b));
    struct cp_ed25519_pk pk2;
    hex_to_bytes(rfc8032[1].pk, pk2.b, 32);
    assert_false(cp_crypto_ed25519_verify(&pk2, &msg2, 1, &zero));
}

/* ---- cp_signer and the evidence signature ---- */

#define SIGNER_PK "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
#define SIGNER_KEY_ID "56475aa75463474c"
#define EVIDENCE_DOMAIN "callproof/evidence/v1\n"
#define EVIDENCE_BUNDLE                                                                            \
    "{\"bundle_id\":\"ev_00000000000000000000000000000000\",\"schema\":\"callproof.evidence.v1\"}"
#define EVIDENCE_SIG                                                                               \
    "784242e98860c61bc7755c689e65524e90bed19a87e018a01c326d8a120b282d"                             \
    "d95645a8fb8325e3f58305749aeb5a7329a22fcf17ee529172a912dbfc94660d"

static void
seq_signer(struct cp_signer *s)
{
    struct cp_ed25519_seed seed;
    for (int i = 0; i < 32; i++)
        seed.b[i] = (uint8_t)i;
    cp_signer_init(s, &seed);
}

static void
test_crypto__signer_key_id(void **state)
{
    (void)state;
    struct cp_signer s;
    seq_signer(&s);
    uint8_t want[32];
    hex_to_bytes(SIGNER_PK, want, sizeof(want));
    assert_memory_equal(s.pk.b, want, 32);
    assert_memory_equal(s.sk.b + 32, want, 32);
    for (int i = 0; i < 32; i++)
        assert_int_equal(s.sk.b[i], i);
    assert_string_equal(s.key_id, SIGNER_KEY_ID);
    assert_int_equal(strlen(s.key_id), 16);
}

static void
test_crypto__evidence_signature(void **state)
{
    (void)state;
    /* The domain is the one the server signs under and the verifier checks. */
    assert_string_equal(CP_EVIDENCE_DOMAIN, EVIDENCE_DOMAIN);
    struct cp_signer s;
    seq_signer(&s);
    static const char msg[] = EVIDENCE_DOMAIN EVIDENCE_BUNDLE;
    size_t n = sizeof(msg) - 1;
    struct cp_ed25519_sig sig, want;
    hex_to_bytes(EVIDENCE_SIG, want.b, sizeof(want.b));
    cp_crypto_ed25519_sign(&s.sk, msg, n, &sig);
    assert_memory_equal(sig.b, want.b, 64);
    assert_true(cp_crypto_ed25519_verify(&s.pk, msg, n, &want));
    /* The bundle alone, without its domain, is another message. */
    const char *bundle = msg + strlen(EVIDENCE_DOMAIN);
    assert_false(cp_crypto_ed25519_verify(&s.pk, bundle, strlen(bundle), &want));
    /* So is the bundle under the leaf domain. */
    char leaf[256];
    int len = snprintf(leaf, sizeof(leaf), "%s%s", CP_LEAF_DOMAIN, bundle);
    assert_true(len > 0 && (size_t)len < sizeof(leaf));
    assert_false(cp_crypto_ed25519_verify(&s.pk, leaf, (size_t)len, &want));
}

/* ---- SHA-256, FIPS 180-2 ---- */

static const struct {
    const char *msg;
    const char *digest;
} sha256_vectors[] = {
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

static void
test_crypto__sha256_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < CP_ARRAY_LEN(sha256_vectors); i++) {
        const char *m = sha256_vectors[i].msg;
        size_t n = strlen(m);
        struct cp_sha256 want, got;
        hex_to_bytes(sha256_vectors[i].digest, want.b, sizeof(want.b));
        cp_crypto_sha256(m, n, &got);
        if (memcmp(got.b, want.b, 32) != 0)
            fail_msg("sha256 vector %zu (one-shot)", i);
        assert_true(cp_crypto_sha256_eq(&got, &want));
        /* streamed, split at every offset */
        for (size_t cut = 0; cut <= n; cut++) {
            struct cp_sha256_ctx ctx;
            cp_crypto_sha256_init(&ctx);
            cp_crypto_sha256_update(&ctx, m, cut);
            cp_crypto_sha256_update(&ctx, m + cut, n - cut);
            cp_crypto_sha256_final(&ctx, &got);
            if (memcmp(got.b, want.b, 32) != 0)
                fail_msg("sha256 vector %zu streamed, cut at %zu", i, cut);
        }
    }
}

static void
test_crypto__sha256_million_a(void **state)
{
    (void)state;
    /* FIPS 180-2 B.3: one million 'a', fed in chunks that straddle the 64-byte block. */
    struct cp_sha256 want, got;
    hex_to_bytes("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", want.b, 32);
    char chunk[1000];
    memset(chunk, 'a', sizeof(chunk));
    struct cp_sha256_ctx ctx;
    cp_crypto_sha256_init(&ctx);
    for (int i = 0; i < 1000; i++)
        cp_crypto_sha256_update(&ctx, chunk, sizeof(chunk));
    cp_crypto_sha256_final(&ctx, &got);
    assert_memory_equal(got.b, want.b, 32);
    char *all = malloc(1000000);
    assert_non_null(all);
    memset(all, 'a', 1000000);
    cp_crypto_sha256(all, 1000000, &got);
    free(all);
    assert_memory_equal(got.b, want.b, 32);
}

static void
test_crypto__sha256_eq(void **state)
{
    (void)state;
    struct cp_sha256 a, b;
    hex_to_bytes(sha256_vectors[0].digest, a.b, 32);
    for (int i = 0; i < 256; i++) {
        b = a;
        b.b[i / 8] ^= (uint8_t)(1u << (i % 8));
        if (cp_crypto_sha256_eq(&a, &b))
            fail_msg("bit %d differs yet equal", i);
    }
    b = a;
    assert_true(cp_crypto_sha256_eq(&a, &b));
}

/* ---- HMAC-SHA256, RFC 4231 ---- */

static void
check_hmac(const uint8_t *key, size_t key_len, const char *data, const char *want_hex)
{
    struct cp_sha256 want, got;
    hex_to_bytes(want_hex, want.b, sizeof(want.b));
    struct cp_hmac_ctx ctx;
    cp_crypto_hmac_init(&ctx, key, key_len);
    cp_crypto_hmac_update(&ctx, data, strlen(data));
    cp_crypto_hmac_final(&ctx, &got);
    assert_memory_equal(got.b, want.b, 32);
    /* byte by byte gives the same MAC */
    cp_crypto_hmac_init(&ctx, key, key_len);
    for (size_t i = 0; data[i]; i++)
        cp_crypto_hmac_update(&ctx, data + i, 1);
    cp_crypto_hmac_final(&ctx, &got);
    assert_memory_equal(got.b, want.b, 32);
}

static void
test_crypto__hmac_rfc4231(void **state)
{
    (void)state;
    /* Test case 1: key = 20 bytes of 0x0b. */
    uint8_t key1[20];
    memset(key1, 0x0b, sizeof(key1));
    check_hmac(key1, sizeof(key1), "Hi There",
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* Test case 2: a key shorter than the output. */
    check_hmac((const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Test case 6: a 131-byte key, longer than the 64-byte block, is hashed first. */
    uint8_t key6[131];
    memset(key6, 0xaa, sizeof(key6));
    check_hmac(key6, sizeof(key6), "Test Using Larger Than Block-Size Key - Hash Key First",
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* ---- base64, RFC 4648 §10 ---- */

static void
test_crypto__base64_rfc4648(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } v[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < CP_ARRAY_LEN(v); i++) {
        size_t n = strlen(v[i].in);
        /* exactly the documented size: 4 * ceil(n / 3) + 1 */
        size_t size = 4 * ((n + 2) / 3) + 1;
        char out[16];
        memset(out, 'X', sizeof(out));
        cp_crypto_base64((const uint8_t *)v[i].in, n, out, size);
        assert_string_equal(out, v[i].out);
        assert_int_equal(out[size], 'X'); /* nothing written past the documented size */
        /* and back, with libsodium's strict decoder */
        uint8_t back[8];
        size_t back_len = 0;
        assert_int_equal(sodium_base642bin(back, sizeof(back), out, strlen(out), NULL, &back_len,
                                           NULL, sodium_base64_VARIANT_ORIGINAL),
                         0);
        assert_int_equal(back_len, n);
        assert_memory_equal(back, v[i].in, n);
    }
}

/* Identifier bytes: many draws, across the per-thread buffer's refills and from two threads,
 * never repeat; a draw larger than the buffer and an empty one work. */
#define ID_DRAWS 2000

static void *
draw_ids(void *arg)
{
    uint8_t(*ids)[12] = arg;
    for (size_t i = 0; i < ID_DRAWS; i++)
        cp_crypto_random_id(ids[i], sizeof(ids[i]));
    return NULL;
}

static int
id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 12);
}

static void
test_crypto__random_id(void **state)
{
    (void)state;
    uint8_t(*ids)[12] = calloc(2 * ID_DRAWS, sizeof(*ids));
    assert_non_null(ids);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, draw_ids, ids + ID_DRAWS), 0);
    draw_ids(ids);
    assert_int_equal(pthread_join(th, NULL), 0);
    qsort(ids, 2 * ID_DRAWS, sizeof(*ids), id_cmp);
    for (size_t i = 1; i < 2 * ID_DRAWS; i++)
        if (memcmp(ids[i - 1], ids[i], sizeof(*ids)) == 0)
            fail_msg("draw %zu repeats an earlier one", i);
    free(ids);

    uint8_t big[1000] = {0}, zero[1000] = {0};
    cp_crypto_random_id(big, sizeof(big));
    assert_memory_not_equal(big, zero, sizeof(big));
    assert_memory_not_equal(big, big + 500, 500);
    cp_crypto_random_id(big, 0);
}

int
main(void)
{
    cp_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto__ed25519_rfc8032_test1),
        cmocka_unit_test(test_crypto__ed25519_rfc8032_test2),
        cmocka_unit_test(test_crypto__ed25519_rfc8032_test3),
        cmocka_unit_test(test_crypto__ed25519_rfc8032_sha_abc),
        cmocka_unit_test(test_crypto__ed25519_wrong_key_refused),
        cmocka_unit_test(test_crypto__signer_key_id),
        cmocka_unit_test(test_crypto__evidence_signature),
        cmocka_unit_test(test_crypto__random_id),
        cmocka_unit_test(test_crypto__sha256_known_answers),
        cmocka_unit_test(test_crypto__sha256_million_a),
        cmocka_unit_test(test_crypto__sha256_eq),
        cmocka_unit_test(test_crypto__hmac_rfc4231),
        cmocka_unit_test(test_crypto__base64_rfc4648),
    };
    return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
