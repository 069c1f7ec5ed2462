/*
 * Unit tests for recordings' pure logic: audio type aliases and magic numbers, WAV duration
 * from a header (domain/audio.c), and signed links (domain/signed_url.c): a known-answer MAC,
 * every single-field change refused, the expiry and the far-future bound.
 */
#include "unit.h"

#include <stdio.h>

#include "core/util.h"
#include "crypto/crypto.h"
#include "domain/audio.h"
#include "domain/signed_url.h"

static size_t
wav_header(uint8_t *h, uint32_t rate, uint16_t channels, uint16_t bits, uint32_t data_bytes,
           bool with_list_chunk)
{
    size_t o = 0;
#define PUT(p, n)                                                                                  \
    do {                                                                                           \
        memcpy(h + o, p, n);                                                                       \
        o += n;                                                                                    \
    } while (0)
#define LE32(v)                                                                                    \
    do {                                                                                           \
        uint32_t x_ = (v);                                                                         \
        uint8_t b_[4] = {(uint8_t)x_, (uint8_t)(x_ >> 8), (uint8_t)(x_ >> 16),                     \
                         (uint8_t)(x_ >> 24)};                                                     \
        PUT(b_, 4);                                                                                \
    } while (0)
#define LE16(v)                                                                                    \
    do {                                                                                           \
        uint16_t x_ = (v);                                                                         \
        uint8_t b_[2] = {(uint8_t)x_, (uint8_t)(x_ >> 8)};                                         \
        PUT(b_, 2);                                                                                \
    } while (0)
    PUT("RIFF", 4);
    LE32(36 + data_bytes);
    PUT("WAVE", 4);
    PUT("fmt ", 4);
    LE32(16);
    LE16(1);
    LE16(channels);
    LE32(rate);
    LE32(rate * channels * bits / 8);
    LE16((uint16_t)(channels * bits / 8));
    LE16(bits);
    if (with_list_chunk) {
        PUT("LIST", 4);
        LE32(5); /* odd size: padded to 6 */
        PUT("INFOx\0", 6);
    }
    PUT("data", 4);
    LE32(data_bytes);
    return o;
}

static void
test_audio__types_and_aliases(void **state)
{
    (void)state;
    assert_string_equal(cp_audio_type("audio/wav"), "audio/wav");
    assert_string_equal(cp_audio_type("audio/x-wav"), "audio/wav");
    assert_string_equal(cp_audio_type("Audio/WAVE; codecs=1"), "audio/wav");
    assert_string_equal(cp_audio_type("audio/mp3"), "audio/mpeg");
    assert_string_equal(cp_audio_type("audio/flac"), "audio/flac");
    assert_null(cp_audio_type("audio/aac"));
    assert_null(cp_audio_type("application/octet-stream"));
    assert_null(cp_audio_type("audio/wavx"));
    assert_null(cp_audio_type(NULL));
    assert_string_equal(cp_audio_ext("audio/mpeg"), "mp3");
}

static void
test_audio__sniff(void **state)
{
    (void)state;
    uint8_t h[64] = {0};
    size_t n = wav_header(h, 8000, 1, 16, 16000, false);
    assert_true(cp_audio_sniff("audio/wav", h, n));
    assert_false(cp_audio_sniff("audio/ogg", h, n));
    assert_false(cp_audio_sniff("audio/wav", h, 11)); /* too short to tell */
    const uint8_t ogg[12] = "OggS\0\2\0\0\0\0\0";
    assert_true(cp_audio_sniff("audio/ogg", ogg, 12));
    const uint8_t flac[12] = "fLaC\0\0\0\42\0\0\0";
    assert_true(cp_audio_sniff("audio/flac", flac, 12));
    const uint8_t webm[12] = {0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 1, 0x42, 0xf7, 0x81};
    assert_true(cp_audio_sniff("audio/webm", webm, 12));
    const uint8_t id3[12] = "ID3\4\0\0\0\0\0\0\0";
    assert_true(cp_audio_sniff("audio/mpeg", id3, 12));
    const uint8_t frame[12] = {0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0}; /* MPEG-1 L3 */
    assert_true(cp_audio_sniff("audio/mpeg", frame, 12));
    const uint8_t bad_frame[12] = {0xff, 0xf9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; /* layer 00 */
    assert_false(cp_audio_sniff("audio/mpeg", bad_frame, 12));
    const uint8_t text[12] = "hello world";
    assert_false(cp_audio_sniff("audio/mpeg", text, 12));
    assert_false(cp_audio_sniff("audio/flac", ogg, 12));
}

static void
test_audio__wav_duration(void **state)
{
    (void)state;
    uint8_t h[128];
    /* 3 s of 16-bit mono at 8 kHz. */
    size_t n = wav_header(h, 8000, 1, 16, 48000, false);
    assert_int_equal(cp_audio_wav_duration_s(h, n, (int64_t)n + 48000), 3);
    /* A LIST chunk (odd size, padded) before data is skipped. */
    n = wav_header(h, 44100, 2, 16, 44100 * 4 * 10, true);
    assert_int_equal(cp_audio_wav_duration_s(h, n, (int64_t)n + 44100 * 4 * 10), 10);
    /* A streaming writer's 0xffffffff size: the file size decides. */
    n = wav_header(h, 8000, 1, 16, 0xffffffffu, false);
    assert_int_equal(cp_audio_wav_duration_s(h, n, (int64_t)n + 16000 * 7), 7);
    /* Unreadable: not WAV, truncated before data, zero byte rate. */
    assert_int_equal(cp_audio_wav_duration_s((const uint8_t *)"RIFX\0\0\0\0WAVEfmt ", 16, 100), -1);
    n = wav_header(h, 8000, 1, 16, 48000, false);
    assert_int_equal(cp_audio_wav_duration_s(h, 30, 100000), -1);
    n = wav_header(h, 0, 1, 16, 48000, false);
    assert_int_equal(cp_audio_wav_duration_s(h, n, 100000), -1);
}

static struct cp_url_key
fixed_key(void)
{
    uint8_t secret[CP_URL_KEY_BYTES];
    for (int i = 0; i < CP_URL_KEY_BYTES; i++)
        secret[i] = (uint8_t)i;
    struct cp_url_key k;
    cp_url_key_init(&k, secret);
    return k;
}

static void
test_link__known_answer(void **state)
{
    (void)state;
    cp_crypto_init();
    struct cp_url_key k = fixed_key();
    struct cp_link l = {.tenant_id = 7,
                        .call_id = "019a4f6e-2b1c-7d3a-9c41-5e6f7a8b9c0d",
                        .recording_id = "rec_8sj29a",
                        .expires_s = 1800000000};
    char path[256], sig[CP_URL_SIG_HEX + 1];
    cp_link_path(&l, path, sizeof(path));
    assert_string_equal(path, "/v1/recordings/7/019a4f6e-2b1c-7d3a-9c41-5e6f7a8b9c0d/rec_8sj29a");
    cp_link_sign(&k, &l, sig);
    /* The signed string, computed independently: pins the format, so a change that would void
     * every link in circulation fails here first. */
    static const char msg[] = "callproof/recording-url/v1\0GET\0"
                              "/v1/recordings/7/019a4f6e-2b1c-7d3a-9c41-5e6f7a8b9c0d/rec_8sj29a\0"
                              "7\0"
                              "019a4f6e-2b1c-7d3a-9c41-5e6f7a8b9c0d\0rec_8sj29a\0"
                              "1800000000\0";
    struct cp_hmac_ctx h;
    struct cp_sha256 want;
    cp_crypto_hmac_init(&h, k.secret, CP_URL_KEY_BYTES);
    cp_crypto_hmac_update(&h, msg, sizeof(msg) - 1);
    cp_crypto_hmac_update(&h, k.kid, strlen(k.kid) + 1);
    cp_crypto_hmac_final(&h, &want);
    char want_hex[65];
    cp_hex_encode(want.b, 32, want_hex);
    assert_string_equal(sig, want_hex);
    assert_int_equal(strlen(k.kid), CP_URL_KID_LEN);
}

static void
test_link__verify_rules(void **state)
{
    (void)state;
    cp_crypto_init();
    struct cp_url_key k = fixed_key();
    struct cp_link l = {
        .tenant_id = 7, .call_id = "c1", .recording_id = "r1", .expires_s = 1000 + 900};
    char sig[CP_URL_SIG_HEX + 1];
    cp_link_sign(&k, &l, sig);
    assert_int_equal(cp_link_verify(&k, &l, k.kid, sig, 1000, 900), CP_LINK_OK);
    assert_int_equal(cp_link_verify(&k, &l, k.kid, sig, 1900, 900), CP_LINK_OK); /* last second */
    assert_int_equal(cp_link_verify(&k, &l, k.kid, sig, 1901, 900), CP_LINK_EXPIRED);

    /* Any changed field, signature character or key id: BAD, never EXPIRED or OK. */
    struct cp_link m = l;
    m.tenant_id = 8;
    assert_int_equal(cp_link_verify(&k, &m, k.kid, sig, 1000, 900), CP_LINK_BAD);
    m = l;
    m.call_id = "c2";
    assert_int_equal(cp_link_verify(&k, &m, k.kid, sig, 1000, 900), CP_LINK_BAD);
    m = l;
    m.recording_id = "r2";
    assert_int_equal(cp_link_verify(&k, &m, k.kid, sig, 1000, 900), CP_LINK_BAD);
    m = l;
    m.expires_s += 1;
    assert_int_equal(cp_link_verify(&k, &m, k.kid, sig, 1000, 900), CP_LINK_BAD);
    for (int i = 0; i < CP_URL_SIG_HEX; i++) {
        char bad[CP_URL_SIG_HEX + 1];
        memcpy(bad, sig, sizeof(bad));
        bad[i] = bad[i] == '0' ? '1' : '0';
        assert_int_equal(cp_link_verify(&k, &l, k.kid, bad, 1000, 900), CP_LINK_BAD);
    }
    /* An expired link with a bad signature is BAD: the MAC is checked first. */
    char bad[CP_URL_SIG_HEX + 1];
    memcpy(bad, sig, sizeof(bad));
    bad[0] = bad[0] == 'a' ? 'b' : 'a';
    assert_int_equal(cp_link_verify(&k, &l, k.kid, bad, 999999, 900), CP_LINK_BAD);
    assert_int_equal(cp_link_verify(&k, &l, "0000000000000000", sig, 1000, 900), CP_LINK_BAD);
    assert_int_equal(cp_link_verify(&k, &l, k.kid, "abc", 1000, 900), CP_LINK_BAD);
    assert_int_equal(cp_link_verify(&k, &l, NULL, sig, 1000, 900), CP_LINK_BAD);
    /* Upper-case hex is another string: a link is valid only exactly as issued. */
    char upper[CP_URL_SIG_HEX + 1];
    for (int i = 0; i <= CP_URL_SIG_HEX; i++)
        upper[i] = (char)(sig[i] >= 'a' && sig[i] <= 'f' ? sig[i] - 32 : sig[i]);
    assert_int_equal(cp_link_verify(&k, &l, k.kid, upper, 1000, 900), CP_LINK_BAD);

    /* A validly signed link whose expiry lies beyond the allowed lifetime is refused. */
    struct cp_link far = l;
    far.expires_s = 1000 + 900 + 61;
    cp_link_sign(&k, &far, sig);
    assert_int_equal(cp_link_verify(&k, &far, k.kid, sig, 1000, 900), CP_LINK_BAD);
    far.expires_s = 1000 + 900 + 60; /* within the 60 s of clock skew */
    cp_link_sign(&k, &far, sig);
    assert_int_equal(cp_link_verify(&k, &far, k.kid, sig, 1000, 900), CP_LINK_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audio__types_and_aliases), cmocka_unit_test(test_audio__sniff),
        cmocka_unit_test(test_audio__wav_duration),      cmocka_unit_test(test_link__known_answer),
        cmocka_unit_test(test_link__verify_rules),
    };
    return cmocka_run_group_tests_name("recording", tests, NULL, NULL);
}
