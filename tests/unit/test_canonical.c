/*
 * Known-answer tests for the signing formats: RFC 8785 canonical JSON (json/canonical.c) on
 * the cyberphone test vectors the research brief checked, including the UTF-16 key order case
 * most implementations get wrong, and Ed25519 (crypto/crypto.c) on the Go sumdb note vector,
 * which libsodium reproduces byte for byte.
 */
#include "unit.h"

#include <sodium.h>

#include "core/buf.h"
#include "crypto/crypto.h"
#include "json/canonical.h"
#include "json/json.h"

static void
expect_canonical(const char *input, const char *want)
{
    struct cp_error err;
    cJSON *root = cJSON_Parse(input);
    assert_non_null(root);
    struct cp_buf b = CP_BUF_INIT;
    if (!cp_canonical_write(root, &b, &err))
        fail_msg("refused %s: %s", input, err.message);
    assert_string_equal(b.data, want);
    cp_buf_free(&b);
    cJSON_Delete(root);
}

static void
expect_refused(const char *input)
{
    struct cp_error err;
    cJSON *root = cJSON_Parse(input);
    assert_non_null(root);
    struct cp_buf b = CP_BUF_INIT;
    if (cp_canonical_write(root, &b, &err))
        fail_msg("accepted %s as %s", input, b.data);
    cp_buf_free(&b);
    cJSON_Delete(root);
}

static void
test_canonical__cyberphone_vectors(void **state)
{
    (void)state;
    expect_canonical("[56, {\"d\": true, \"10\": null, \"1\": [ ]}]",
                     "[56,{\"1\":[],\"10\":null,\"d\":true}]");
    expect_canonical("{\"1\": {\"f\": {\"f\": \"hi\", \"F\": 5}, \"\\n\": 56.0}, \"10\": { }, "
                     "\"\": \"empty\", \"a\": { }, \"111\": [{\"e\": \"yes\", \"E\": \"no\"}], "
                     "\"A\": { }}",
                     "{\"\":\"empty\",\"1\":{\"\\n\":56,\"f\":{\"F\":5,\"f\":\"hi\"}},\"10\":{},"
                     "\"111\":[{\"E\":\"no\",\"e\":\"yes\"}],\"A\":{},\"a\":{}}");
}

static void
test_canonical__utf16_key_order(void **state)
{
    (void)state;
    /* U+1F602 (surrogates D83D DE02) sorts before U+FB33 in UTF-16, after it by code point;
     * U+0080 and DEL are emitted raw. */
    expect_canonical("{\"\\ufb33\":9,\"\\ud83d\\ude02\":8,\"\\u20ac\":7,\"\\u00f6\":6,"
                     "\"\\u0080\":5,\"</script>\":4,\"1\":3,\"\\r\":2,\"\\n\":1}",
                     "{\"\\n\":1,\"\\r\":2,\"1\":3,\"</script>\":4,\"\xc2\x80\":5,\"\xc3\xb6\":6,"
                     "\"\xe2\x82\xac\":7,\"\xf0\x9f\x98\x82\":8,\"\xef\xac\xb3\":9}");
}

static void
test_canonical__strings(void **state)
{
    (void)state;
    /* Only the required escapes; '/', DEL, U+2028 and non-ASCII literal; no normalisation. */
    expect_canonical("{\"s\":\"\\u000f\\nA'B\\\"\\\\\\/\\u007f\\u2028A\\u030a\\b\\f\\r\\t\"}",
                     "{\"s\":\"\\u000f\\nA'B\\\"\\\\/\x7f\xe2\x80\xa8"
                     "A\xcc\x8a\\b\\f\\r\\t\"}");
}

static void
test_canonical__integer_only_profile(void **state)
{
    (void)state;
    expect_canonical("{\"a\":-0,\"b\":9007199254740991,\"c\":-9007199254740991,\"d\":1e3}",
                     "{\"a\":0,\"b\":9007199254740991,\"c\":-9007199254740991,\"d\":1000}");
    expect_refused("{\"a\":4.5}");
    expect_refused("{\"a\":0.002}");
    expect_refused("{\"a\":9007199254740992}");
    expect_refused("[1e30]");
    expect_refused("{\"a\":{\"b\":[1,2,0.5]}}");
}

static void
test_canonical__names_integers_and_large_objects(void **state)
{
    (void)state;
    /* Names sharing a prefix (ASCII or not), one a prefix of another, non-ASCII against ASCII
     * at the first difference. */
    expect_canonical("{\"ab\":1,\"a\":2,\"\u00e9z\":3,\"\u00e9a\":4,\"a\u00e9\":5,\"az\":6,"
                     "\"\":7,\"\u00e9\":8}",
                     "{\"\":7,\"a\":2,\"ab\":1,\"az\":6,\"a\xc3\xa9\":5,\"\xc3\xa9\":8,"
                     "\"\xc3\xa9\x61\":4,\"\xc3\xa9z\":3}");
    expect_canonical("[0,-1,1,10,-10,123456789,-9007199254740991,4503599627370496]",
                     "[0,-1,1,10,-10,123456789,-9007199254740991,4503599627370496]");
    /* Objects around the size of the writer's small member array (32): k00.. given backwards. */
    const int sizes[] = {31, 32, 33, 40};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        int n = sizes[s];
        struct cp_buf in = CP_BUF_INIT, want = CP_BUF_INIT;
        cp_buf_putc(&in, '{');
        cp_buf_putc(&want, '{');
        for (int i = n - 1; i >= 0; i--)
            cp_buf_printf(&in, "%s\"k%02d\":%d", i == n - 1 ? "" : ",", i, i);
        for (int i = 0; i < n; i++)
            cp_buf_printf(&want, "%s\"k%02d\":%d", i == 0 ? "" : ",", i, i);
        cp_buf_putc(&in, '}');
        cp_buf_putc(&want, '}');
        expect_canonical(in.data, want.data);
        cp_buf_free(&in);
        cp_buf_free(&want);
    }
}

static void
test_canonical__duplicate_names_refused(void **state)
{
    (void)state;
    /* cJSON keeps both members; signing either reading would be a confusion risk. */
    expect_refused("{\"a\":1,\"b\":2,\"a\":3}");
}

static void
test_ed25519__go_sumdb_vector(void **state)
{
    (void)state;
    cp_crypto_init();
    /* PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz */
    const char *priv = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const char *pub = "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const char *sigline = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqf"
                          "qdngotpRZb6KE6RyyBwJnAM=";
    const char *text = "If you think cryptography is the answer to your problem,\n"
                       "then you don't know what your problem is.\n";
    uint8_t raw[80];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof(raw), priv, strlen(priv), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(n, 33);
    assert_int_equal(raw[0], 0x01);
    struct cp_ed25519_seed seed;
    memcpy(seed.b, raw + 1, 32);
    struct cp_ed25519_pk pk;
    struct cp_ed25519_sk sk;
    cp_crypto_ed25519_keypair(&seed, &pk, &sk);
    assert_int_equal(sodium_base642bin(raw, sizeof(raw), pub, strlen(pub), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_memory_equal(pk.b, raw + 1, 32);

    struct cp_ed25519_sig sig;
    cp_crypto_ed25519_sign(&sk, text, strlen(text), &sig);
    assert_int_equal(sodium_base642bin(raw, sizeof(raw), sigline, strlen(sigline), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(n, 68); /* 4-byte key id, then the signature */
    assert_memory_equal(sig.b, raw + 4, 64);
    assert_true(cp_crypto_ed25519_verify(&pk, text, strlen(text), &sig));
    /* Without its final newline the text is another message. */
    assert_false(cp_crypto_ed25519_verify(&pk, text, strlen(text) - 1, &sig));
    sig.b[10] ^= 1;
    assert_false(cp_crypto_ed25519_verify(&pk, text, strlen(text), &sig));
}

/* The streaming writer gives cp_canonical_write's bytes for members given in order. */
static void
test_canonical__streaming_writer_matches_the_tree_encoder(void **state)
{
    (void)state;
    struct cp_buf out = CP_BUF_INIT;
    struct cp_error err;
    struct cp_cw w;
    cp_cw_init(&w, &out, &err);
    cp_cw_obj_begin(&w);
    cp_cw_name(&w, "a");
    cp_cw_arr_begin(&w);
    cp_cw_int(&w, 9007199254740991LL);
    cp_cw_int(&w, -9007199254740991LL);
    cp_cw_int(&w, 0);
    cp_cw_null(&w);
    cp_cw_bool(&w, true);
    cp_cw_arr_begin(&w);
    cp_cw_arr_end(&w);
    cp_cw_obj_begin(&w);
    cp_cw_obj_end(&w);
    cp_cw_str(&w, "q\"\\\b\f\n\r\t\x01\x7f caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80/");
    cp_cw_arr_end(&w);
    cp_cw_name(&w, "a_b");
    cp_cw_bool(&w, false);
    cp_cw_name(&w, "ab");
    cp_cw_obj_begin(&w);
    cp_cw_name(&w, "x");
    cp_cw_strn(&w, "xyz", 2);
    cp_cw_obj_end(&w);
    cp_cw_name(&w, "b");
    cp_cw_str(&w, NULL);
    cp_cw_obj_end(&w);
    assert_true(cp_cw_end(&w));
    cJSON *tree = cJSON_ParseWithLength(out.data, out.len);
    assert_non_null(tree);
    struct cp_buf want = CP_BUF_INIT;
    assert_true(cp_canonical_write(tree, &want, &err));
    assert_string_equal(out.data, want.data);
    assert_string_equal(out.data, "{\"a\":[9007199254740991,-9007199254740991,0,null,true,[],{},"
                                  "\"q\\\"\\\\\\b\\f\\n\\r\\t\\u0001\x7f caf\xc3\xa9 "
                                  "\xe2\x80\xa8 \xf0\x9f\x98\x80/\"],\"a_b\":false,\"ab\":{\"x\":"
                                  "\"xy\"},\"b\":null}");
    cJSON_Delete(tree);
    cp_buf_free(&want);
    cp_buf_free(&out);
}

/* Each check of the streaming writer fails the whole write, with a reason. */
static void
test_canonical__streaming_writer_refuses(void **state)
{
    (void)state;
    for (int k = 0; k < 8; k++) {
        struct cp_buf out = CP_BUF_INIT;
        struct cp_error err = {0};
        struct cp_cw w;
        cp_cw_init(&w, &out, &err);
        cp_cw_obj_begin(&w);
        cp_cw_name(&w, "m");
        cp_cw_int(&w, 1);
        switch (k) {
        case 0: /* out of order */
            cp_cw_name(&w, "l");
            cp_cw_int(&w, 1);
            break;
        case 1: /* repeated */
            cp_cw_name(&w, "m");
            cp_cw_int(&w, 1);
            break;
        case 2: /* a name that is not ASCII (UTF-16 order would differ from bytes) */
            cp_cw_name(&w, "n\xc3\xa9");
            cp_cw_int(&w, 1);
            break;
        case 3: /* invalid UTF-8 */
            cp_cw_name(&w, "n");
            cp_cw_str(&w, "\xc3(");
            break;
        case 4:
            cp_cw_name(&w, "n");
            cp_cw_int(&w, 9007199254740992LL);
            break;
        case 5:
            cp_cw_name(&w, "n");
            cp_cw_int(&w, -9007199254740992LL);
            break;
        case 6: /* too deep: the caller closes all it opened, and gets a failure */
            cp_cw_name(&w, "n");
            for (int d = 0; d < CP_CW_MAX_DEPTH + 2; d++) {
                cp_cw_obj_begin(&w);
                cp_cw_name(&w, "x");
            }
            cp_cw_int(&w, 1);
            for (int d = 0; d < CP_CW_MAX_DEPTH + 2; d++)
                cp_cw_obj_end(&w);
            break;
        case 7: /* a second value after the first (the object below) */
            cp_cw_obj_end(&w);
            cp_cw_int(&w, 2);
            cp_cw_obj_begin(&w);
            break;
        }
        cp_cw_obj_end(&w);
        assert_false(cp_cw_end(&w));
        assert_true(err.message[0] != '\0');
        cp_buf_free(&out);
    }
    /* Nothing written at all is no value either. */
    struct cp_buf out = CP_BUF_INIT;
    struct cp_error err = {0};
    struct cp_cw w;
    cp_cw_init(&w, &out, &err);
    assert_false(cp_cw_end(&w));
    cp_buf_free(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical__cyberphone_vectors),
        cmocka_unit_test(test_canonical__utf16_key_order),
        cmocka_unit_test(test_canonical__strings),
        cmocka_unit_test(test_canonical__integer_only_profile),
        cmocka_unit_test(test_canonical__names_integers_and_large_objects),
        cmocka_unit_test(test_canonical__duplicate_names_refused),
        cmocka_unit_test(test_canonical__streaming_writer_matches_the_tree_encoder),
        cmocka_unit_test(test_canonical__streaming_writer_refuses),
        cmocka_unit_test(test_ed25519__go_sumdb_vector),
    };
    return cmocka_run_group_tests_name("canonical", tests, NULL, NULL);
}
