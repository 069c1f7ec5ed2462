/* Unit tests for API key tokens, hashing and scopes (domain/apikey.c). */
#include "unit.h"

#include "core/util.h"
#include "domain/apikey.h"

static void
test_apikey__generate_parse_roundtrip(void **state)
{
    (void)state;
    cp_crypto_init();
    struct cp_key_id id, id2;
    struct cp_key_secret sec, sec2;
    struct cp_key_token tok;
    cp_apikey_generate(&id, &sec, &tok);
    assert_int_equal(strlen(tok.s), CP_KEY_TOKEN_LEN);
    assert_memory_equal(tok.s, "cp_", 3);
    assert_true(cp_apikey_id_valid(id.s));
    assert_true(cp_apikey_parse(tok.s, strlen(tok.s), &id2, &sec2));
    assert_string_equal(id.s, id2.s);
    assert_memory_equal(sec.b, sec2.b, sizeof(sec.b));
    /* 256 bits of secret: two keys never collide in practice. */
    struct cp_key_token tok2;
    cp_apikey_generate(&id2, &sec2, &tok2);
    assert_string_not_equal(tok.s, tok2.s);
}

static void
test_apikey__parse_is_strict(void **state)
{
    (void)state;
    struct cp_key_id id;
    struct cp_key_secret sec;
    char good[CP_KEY_TOKEN_LEN + 1];
    memcpy(good, "cp_0123456789abcdef_", 20);
    memset(good + 20, 'a', 64);
    good[CP_KEY_TOKEN_LEN] = '\0';
    assert_true(cp_apikey_parse(good, strlen(good), &id, &sec));
    assert_string_equal(id.s, "0123456789abcdef");

    char bad[CP_KEY_TOKEN_LEN + 2];
    /* Every single-character corruption of the structure is refused. */
    const size_t spots[] = {0, 1, 2, 3, 18, 19, 20, 83};
    const char subs[] = {'X', 'G', '_', ' ', 'A', '\0'};
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        for (size_t k = 0; k < sizeof(subs); k++) {
            memcpy(bad, good, sizeof(good));
            if (bad[spots[i]] == subs[k])
                continue;
            bad[spots[i]] = subs[k];
            /* '_' in the id/secret, uppercase hex, NUL, space: all invalid there. */
            bool structural_ok = (spots[i] == 19 && subs[k] == '_');
            assert_int_equal(cp_apikey_parse(bad, CP_KEY_TOKEN_LEN, &id, &sec), structural_ok);
        }
    }
    assert_false(cp_apikey_parse(good, CP_KEY_TOKEN_LEN - 1, &id, &sec));
    memcpy(bad, good, sizeof(good));
    bad[CP_KEY_TOKEN_LEN] = 'a';
    bad[CP_KEY_TOKEN_LEN + 1] = '\0';
    assert_false(cp_apikey_parse(bad, CP_KEY_TOKEN_LEN + 1, &id, &sec));
    assert_false(cp_apikey_parse("", 0, &id, &sec));
    assert_false(cp_apikey_parse(NULL, 0, &id, &sec));
}

static void
test_apikey__hash_binds_id_and_secret(void **state)
{
    (void)state;
    struct cp_key_id id = {"0123456789abcdef"}, id2 = {"0123456789abcdee"};
    struct cp_key_secret sec, sec2;
    memset(sec.b, 7, sizeof(sec.b));
    memcpy(&sec2, &sec, sizeof(sec));
    sec2.b[31] ^= 1;
    struct cp_sha256 h1, h2, h3, h4;
    cp_apikey_hash(&id, &sec, &h1);
    cp_apikey_hash(&id, &sec, &h2);
    cp_apikey_hash(&id2, &sec, &h3);
    cp_apikey_hash(&id, &sec2, &h4);
    assert_true(cp_crypto_sha256_eq(&h1, &h2));
    assert_false(cp_crypto_sha256_eq(&h1, &h3));
    assert_false(cp_crypto_sha256_eq(&h1, &h4));
    /* Known answer: pins the at-rest format, so a change that would lock every user out of
     * their keys fails here first. */
    struct cp_sha256 expect;
    struct cp_sha256_ctx ctx;
    cp_crypto_sha256_init(&ctx);
    cp_crypto_sha256_update(&ctx,
                            "callproof/apikey/v1\0"
                            "0123456789abcdef\0",
                            20 + 17);
    cp_crypto_sha256_update(&ctx, sec.b, 32);
    cp_crypto_sha256_final(&ctx, &expect);
    assert_true(cp_crypto_sha256_eq(&h1, &expect));
}

static void
test_apikey__scopes(void **state)
{
    (void)state;
    uint32_t m = 0;
    const char *bad = NULL;
    assert_true(cp_scope_parse("voice:read,voice:write", &m, &bad));
    assert_int_equal(m, CP_SCOPE_VOICE_READ | CP_SCOPE_VOICE_WRITE);
    assert_true(cp_scope_parse(" audio:download , evidence:write", &m, &bad));
    assert_int_equal(m, CP_SCOPE_AUDIO_DOWNLOAD | CP_SCOPE_EVIDENCE_WRITE);
    assert_true(cp_scope_parse("all", &m, &bad));
    assert_int_equal(m, CP_SCOPE_ALL);
    assert_false(cp_scope_parse("voice:read,voice:admin", &m, &bad));
    assert_memory_equal(bad, "voice:admin", 11);
    assert_false(cp_scope_parse("", &m, &bad));
    assert_false(cp_scope_parse(",,", &m, &bad));
    assert_false(cp_scope_parse("Voice:Read", &m, &bad));
    char out[128];
    cp_scope_format(CP_SCOPE_ALL, out, sizeof(out));
    assert_string_equal(out, "voice:read,voice:write,audio:download,consent:write,evidence:write");
    cp_scope_format(CP_SCOPE_CONSENT_WRITE, out, sizeof(out));
    assert_string_equal(out, "consent:write");
    assert_string_equal(cp_scope_name(CP_SCOPE_VOICE_WRITE), "voice:write");
}

/* A key as the store keeps it: id, secret and the stored hash. */
struct key {
    struct cp_key_id id;
    struct cp_key_secret secret;
    struct cp_sha256 stored;
};

static void
make_key(struct key *k)
{
    struct cp_key_token token;
    cp_apikey_generate(&k->id, &k->secret, &token);
    cp_apikey_hash(&k->id, &k->secret, &k->stored);
}

/* The thread's memory of the last verified key never accepts what the hash would refuse: a
 * different secret, another key, a changed stored hash, an unknown id. */
static void
test_apikey__verify_remembers_only_what_it_checked(void **state)
{
    (void)state;
    struct key a, b;
    make_key(&a);
    make_key(&b);
    assert_true(cp_apikey_verify(&a.id, &a.secret, &a.stored));
    assert_true(cp_apikey_verify(&a.id, &a.secret, &a.stored)); /* remembered */

    struct cp_key_secret wrong = a.secret;
    wrong.b[CP_KEY_SECRET_BYTES - 1] ^= 1;
    assert_false(cp_apikey_verify(&a.id, &wrong, &a.stored));
    assert_true(cp_apikey_verify(&a.id, &a.secret, &a.stored));

    /* The same id and secret under another stored hash (the key re-created, or a row changed
     * behind our back): judged on the stored hash given, not on memory. */
    assert_false(cp_apikey_verify(&a.id, &a.secret, &b.stored));
    struct cp_sha256 zero = {{0}};
    assert_false(cp_apikey_verify(&a.id, &a.secret, &zero)); /* an unknown id's empty row */

    /* a's secret with b's id, and b's own key, which replaces a in memory. */
    assert_false(cp_apikey_verify(&b.id, &a.secret, &b.stored));
    assert_true(cp_apikey_verify(&b.id, &b.secret, &b.stored));
    assert_false(cp_apikey_verify(&a.id, &a.secret, &b.stored));
    assert_true(cp_apikey_verify(&a.id, &a.secret, &a.stored));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apikey__generate_parse_roundtrip),
        cmocka_unit_test(test_apikey__parse_is_strict),
        cmocka_unit_test(test_apikey__hash_binds_id_and_secret),
        cmocka_unit_test(test_apikey__scopes),
        cmocka_unit_test(test_apikey__verify_remembers_only_what_it_checked),
    };
    return cmocka_run_group_tests_name("apikey", tests, NULL, NULL);
}
