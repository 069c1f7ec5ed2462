/*
 * Unit tests for signed notes, vkeys and checkpoints (domain/note.c). Known answers: the example
 * of c2sp.org/signed-note (key example.com/foo; only its public key is published, so it is a
 * verify-only vector); the PeterNeumann key of golang.org/x/mod/sumdb/note/note_test.go, whose
 * signature libsodium reproduces byte for byte because Ed25519 is deterministic; and the
 * research brief's own receipt (tlog.md §2.7: log seed 00..1f, witness seed 20..3f, the standard
 * 8-leaf tree), checked there against Python `cryptography` and WebCrypto. Then the verifier
 * rules one by one (unknown keys ignored, a bad signature of the known key rejects the note,
 * split at the last blank line, line caps, control characters), vkey parsing by the first two
 * '+' only, and strict checkpoint parsing.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "domain/merkle.h"
#include "domain/note.h"

#define DASH "\xe2\x80\x94"

/* c2sp.org/signed-note, "Verifier keys" example (public key only). */
#define C2SP_VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define C2SP_TEXT "This is an example message.\n"
#define C2SP_SIG                                                                                   \
    DASH " example.com/foo "                                                                       \
         "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72Ine" \
         "yaQM"                                                                                    \
         "=\n"

/* golang.org/x/mod/sumdb/note/note_test.go: PRIVATE+KEY+PeterNeumann+c74f20a3+<PETER_SKEY>. */
#define PETER_SKEY "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_TEXT                                                                                 \
    "If you think cryptography is the answer to your problem,\n"                                   \
    "then you don't know what your problem is.\n"
#define PETER_SIG                                                                                  \
    DASH " PeterNeumann "                                                                          \
         "x08go/ZJkuBS9UG/"                                                                        \
         "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM"             \
         "=\n"

/* tlog.md §2.7: own deterministic receipt for leaf 5 (data 40414243) of the standard 8 leaves. */
#define OWN_ORIGIN "example.com/evidence-log-test"
#define OWN_VKEY OWN_ORIGIN "+94901939+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define OWN_CHECKPOINT OWN_ORIGIN "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
#define OWN_SIG                                                                                    \
    DASH " " OWN_ORIGIN " "                                                                        \
         "lJAZOeRMeYF0gA6vFR516uaWzoQbCi+r6O4wVRYK/"                                               \
         "iNYKia00wwwLJ4manF6AlnlBFRa0pJychVVEMUHGoVb+H9y2AU"                                      \
         "=\n"
#define WITNESS_VKEY "witness.example.com/w1+969980cf+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X"
#define WITNESS_SIG                                                                                \
    DASH " witness.example.com/w1 "                                                                \
         "lpmAzwAAAABlU/EAbCaDxM24gOUdsUOLIC32Ilp4N+/"                                             \
         "EP0c6R2TpK9NH1LMfevM8zxUWFcSGQH1P9mIyARAfTU2XDuV"                                        \
         "Mz3EqOuUgDw==\n"

static void
b64_to_bytes(const char *b64, uint8_t *out, size_t want)
{
    size_t n = 0;
    assert_int_equal(sodium_base642bin(out, want, b64, strlen(b64), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(n, want);
}

static void
peter_signer(struct cp_signer *s)
{
    uint8_t raw[33];
    b64_to_bytes(PETER_SKEY, raw, sizeof(raw));
    assert_int_equal(raw[0], 0x01);
    struct cp_ed25519_seed seed;
    memcpy(seed.b, raw + 1, 32);
    cp_signer_init(s, &seed);
}

static void
seq_signer(struct cp_signer *s, uint8_t first)
{
    struct cp_ed25519_seed seed;
    for (int i = 0; i < 32; i++)
        seed.b[i] = (uint8_t)(first + i);
    cp_signer_init(s, &seed);
}

static bool
verify_str(const char *note, const char *name, const struct cp_ed25519_pk *pk)
{
    return cp_note_verify(note, strlen(note), name, pk, NULL, NULL);
}

static struct cp_ed25519_pk
vkey_pk(const char *vkey)
{
    char name[64];
    uint8_t type;
    uint32_t id;
    struct cp_ed25519_pk pk;
    assert_true(cp_note_vkey_parse(vkey, strlen(vkey), name, sizeof(name), &type, &id, &pk));
    return pk;
}

/* A signature line "— name base64(id || 64 bytes)" with the given id and signature bytes. */
static void
make_sig_line(char *out, size_t size, const char *name, uint32_t id, const uint8_t sig[64])
{
    uint8_t raw[68] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    memcpy(raw + 4, sig, 64);
    char b64[93];
    cp_crypto_base64(raw, sizeof(raw), b64, sizeof(b64));
    int n = snprintf(out, size, DASH " %s %s\n", name, b64);
    assert_true(n > 0 && (size_t)n < size);
}

/* ---- Known answers ---- */

static void
test_note__c2sp_example(void **state)
{
    (void)state;
    char name[64];
    uint8_t type;
    uint32_t id;
    struct cp_ed25519_pk pk;
    assert_true(
        cp_note_vkey_parse(C2SP_VKEY, strlen(C2SP_VKEY), name, sizeof(name), &type, &id, &pk));
    assert_string_equal(name, "example.com/foo");
    assert_int_equal(type, CP_NOTE_TYPE_ED25519);
    assert_int_equal(id, 0x530d903a);
    assert_int_equal(cp_note_key_id("example.com/foo", CP_NOTE_TYPE_ED25519, &pk), 0x530d903a);
    struct cp_buf b = CP_BUF_INIT;
    assert_true(cp_note_vkey_format(name, type, &pk, &b));
    assert_string_equal(b.data, C2SP_VKEY);
    cp_buf_free(&b);

    const char *note = C2SP_TEXT "\n" C2SP_SIG;
    const char *text = NULL;
    size_t text_len = 0;
    assert_true(cp_note_verify(note, strlen(note), "example.com/foo", &pk, &text, &text_len));
    assert_ptr_equal(text, note);
    assert_int_equal(text_len, strlen(C2SP_TEXT));
    /* Another key name with the same public key is another key (and another id). */
    assert_false(verify_str(note, "example.com/bar", &pk));
}

static void
test_note__go_sumdb_vector(void **state)
{
    (void)state;
    struct cp_signer s;
    peter_signer(&s);
    struct cp_buf b = CP_BUF_INIT;
    assert_true(cp_note_vkey_format("PeterNeumann", CP_NOTE_TYPE_ED25519, &s.pk, &b));
    assert_string_equal(b.data, PETER_VKEY);
    cp_buf_free(&b);

    /* Signing reproduces the published note byte for byte. */
    assert_true(cp_note_sign(PETER_TEXT, "PeterNeumann", &s, &b));
    assert_string_equal(b.data, PETER_TEXT "\n" PETER_SIG);
    const char *text;
    size_t text_len;
    assert_true(cp_note_verify(b.data, b.len, "PeterNeumann", &s.pk, &text, &text_len));
    assert_int_equal(text_len, strlen(PETER_TEXT));
    assert_memory_equal(text, PETER_TEXT, text_len);
    struct cp_ed25519_pk pk = vkey_pk(PETER_VKEY);
    assert_memory_equal(pk.b, s.pk.b, 32);
    cp_buf_free(&b);
}

static void
test_note__own_checkpoint_vector(void **state)
{
    (void)state;
    struct cp_signer log, witness;
    seq_signer(&log, 0x00);
    seq_signer(&witness, 0x20);
    struct cp_buf b = CP_BUF_INIT;
    assert_true(cp_note_vkey_format(OWN_ORIGIN, CP_NOTE_TYPE_ED25519, &log.pk, &b));
    assert_string_equal(b.data, OWN_VKEY);
    cp_buf_free(&b);
    /* the witness key is a type 0x04 (cosignature) key: a different id for the same format */
    assert_true(
        cp_note_vkey_format("witness.example.com/w1", CP_NOTE_TYPE_COSIGNATURE, &witness.pk, &b));
    assert_string_equal(b.data, WITNESS_VKEY);
    cp_buf_free(&b);
    char name[64];
    uint8_t type;
    uint32_t id;
    struct cp_ed25519_pk pk;
    assert_true(cp_note_vkey_parse(WITNESS_VKEY, strlen(WITNESS_VKEY), name, sizeof(name), &type,
                                   &id, &pk));
    assert_int_equal(type, CP_NOTE_TYPE_COSIGNATURE);
    assert_int_equal(id, 0x969980cf);
    assert_memory_equal(pk.b, witness.pk.b, 32);

    /* The checkpoint of the standard 8-leaf tree, and its log signature, byte for byte. */
    struct cp_sha256 root;
    assert_true(cp_hex_decode("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
                              64, root.b));
    struct cp_buf text = CP_BUF_INIT;
    assert_true(cp_checkpoint_format(OWN_ORIGIN, 8, &root, &text));
    assert_string_equal(text.data, OWN_CHECKPOINT);
    assert_true(cp_note_sign(text.data, OWN_ORIGIN, &log, &b));
    assert_string_equal(b.data, OWN_CHECKPOINT "\n" OWN_SIG);
    cp_buf_free(&b);
    cp_buf_free(&text);

    /* The note of the receipt: the witness cosignature is not a note signature of our key, so it
     * is ignored; the log's verifies; the text parses back. */
    const char *note = OWN_CHECKPOINT "\n" OWN_SIG WITNESS_SIG;
    const char *t;
    size_t t_len;
    assert_true(cp_note_verify(note, strlen(note), OWN_ORIGIN, &log.pk, &t, &t_len));
    char origin[64];
    uint64_t size;
    struct cp_sha256 got;
    assert_true(cp_checkpoint_parse(t, t_len, origin, sizeof(origin), &size, &got));
    assert_string_equal(origin, OWN_ORIGIN);
    assert_true(size == 8);
    assert_memory_equal(got.b, root.b, 32);
    /* The witness's key, as a plain note key, knows no line of this note. */
    assert_false(verify_str(note, "witness.example.com/w1", &witness.pk));

    /* The receipt's inclusion path (tlog.md §2.7) proves leaf 5 against that checkpoint. */
    static const char *const path_b64[3] = {
        "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
        "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
        "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=",
    };
    struct cp_sha256 path[3], leaf;
    for (int i = 0; i < 3; i++)
        b64_to_bytes(path_b64[i], path[i].b, 32);
    static const uint8_t data[4] = {0x40, 0x41, 0x42, 0x43};
    cp_merkle_leaf_hash(data, sizeof(data), &leaf);
    assert_true(cp_merkle_verify_inclusion(5, size, &leaf, path, 3, &got));
    static const uint8_t other[4] = {0x40, 0x41, 0x42, 0x44};
    cp_merkle_leaf_hash(other, sizeof(other), &leaf);
    assert_false(cp_merkle_verify_inclusion(5, size, &leaf, path, 3, &got));

    /* Negative cases of tlog.md §2.7: size 8 -> 9 breaks the log signature; so does dropping the
     * final '\n' of the note text. */
    const char *nine = OWN_ORIGIN "\n9\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n" OWN_SIG;
    assert_false(verify_str(nine, OWN_ORIGIN, &log.pk));
    const char *cut = OWN_ORIGIN "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n" OWN_SIG;
    assert_false(verify_str(cut, OWN_ORIGIN, &log.pk));
}

/* ---- Verifier rules ---- */

static void
test_note__tampering_fails(void **state)
{
    (void)state;
    struct cp_ed25519_pk pk = vkey_pk(PETER_VKEY);
    const char *good = PETER_TEXT "\n" PETER_SIG;
    assert_true(verify_str(good, "PeterNeumann", &pk));
    /* The text without its final newline: no blank line is left, and the signature was over the
     * text with it. */
    const char *no_nl = "If you think cryptography is the answer to your problem,\n"
                        "then you don't know what your problem is.\n" PETER_SIG;
    assert_false(verify_str(no_nl, "PeterNeumann", &pk));
    const char *no_nl_blank = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n\n\n" PETER_SIG;
    assert_false(verify_str(no_nl_blank, "PeterNeumann", &pk)); /* text gains a '\n' */
    /* Every single-byte change of the text or of the signature's base64 fails (a change to a
     * character that base64 can't hold, or that breaks UTF-8, fails as malformed). */
    size_t n = strlen(good);
    char *copy = malloc(n + 1);
    assert_non_null(copy);
    for (size_t i = 0; i < n; i++) {
        memcpy(copy, good, n + 1);
        if (copy[i] == '\n')
            continue;
        copy[i] ^= 0x01;
        if (!cp_note_verify(copy, n, "PeterNeumann", &pk, NULL, NULL))
            continue;
        fail_msg("flipping byte %zu still verifies", i);
    }
    free(copy);
    /* The wrong length: one byte short, or with a trailing byte. */
    assert_false(cp_note_verify(good, n - 1, "PeterNeumann", &pk, NULL, NULL));
    char longer[512];
    snprintf(longer, sizeof(longer), "%sx", good);
    assert_false(verify_str(longer, "PeterNeumann", &pk));
}

static void
test_note__unknown_keys_ignored(void **state)
{
    (void)state;
    struct cp_ed25519_pk peter = vkey_pk(PETER_VKEY), foo = vkey_pk(C2SP_VKEY);
    uint32_t peter_id = cp_note_key_id("PeterNeumann", CP_NOTE_TYPE_ED25519, &peter);
    uint8_t junk[64];
    memset(junk, 0xa5, sizeof(junk));
    char wrong_id[200], wrong_name[200];
    /* A known name with another id, and a known id under another name, are other keys. */
    make_sig_line(wrong_id, sizeof(wrong_id), "PeterNeumann", peter_id ^ 1, junk);
    make_sig_line(wrong_name, sizeof(wrong_name), "PeterNeumann2", peter_id, junk);

    char note[1024];
    /* unknown keys before and after ours, including a genuine signature of another text */
    snprintf(note, sizeof(note), "%s\n%s%s%s%s", PETER_TEXT, wrong_id, C2SP_SIG, PETER_SIG,
             wrong_name);
    assert_true(verify_str(note, "PeterNeumann", &peter));
    /* For example.com/foo that note holds a known signature that fails: reject it whole. */
    assert_false(verify_str(note, "example.com/foo", &foo));
    /* Unknown lines alone verify nothing. */
    snprintf(note, sizeof(note), "%s\n%s%s", PETER_TEXT, wrong_id, wrong_name);
    assert_false(verify_str(note, "PeterNeumann", &peter));
    /* A foreign line of any length (a long post-quantum signature) is skipped without storing. */
    char big[4096];
    int len = snprintf(big, sizeof(big), "%s\n%s" DASH " pq.example/log ", PETER_TEXT, PETER_SIG);
    for (int i = 0; i < 3000; i++)
        big[len++] = 'A';
    memcpy(big + len, "\n", 2);
    assert_true(verify_str(big, "PeterNeumann", &peter));
}

static void
test_note__bad_known_signature_rejects(void **state)
{
    (void)state;
    struct cp_ed25519_pk peter = vkey_pk(PETER_VKEY);
    uint32_t id = cp_note_key_id("PeterNeumann", CP_NOTE_TYPE_ED25519, &peter);
    uint8_t sig[68];
    b64_to_bytes(
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6"
        "RyyBwJnAM=",
        sig, sizeof(sig));
    sig[4 + 10] ^= 0x40;
    char bad[200];
    make_sig_line(bad, sizeof(bad), "PeterNeumann", id, sig + 4);
    char note[1024];
    snprintf(note, sizeof(note), "%s\n%s%s", PETER_TEXT, PETER_SIG, bad);
    assert_false(verify_str(note, "PeterNeumann", &peter));
    snprintf(note, sizeof(note), "%s\n%s%s", PETER_TEXT, bad, PETER_SIG);
    assert_false(verify_str(note, "PeterNeumann", &peter));
    /* The known key with a signature of the wrong length (here 65 bytes) is a failure too. */
    uint8_t raw[69] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    char b64[100];
    cp_crypto_base64(raw, sizeof(raw), b64, sizeof(b64));
    snprintf(note, sizeof(note), "%s\n%s" DASH " PeterNeumann %s\n", PETER_TEXT, PETER_SIG, b64);
    assert_false(verify_str(note, "PeterNeumann", &peter));
    /* ... and the same signature twice is fine. */
    snprintf(note, sizeof(note), "%s\n%s%s", PETER_TEXT, PETER_SIG, PETER_SIG);
    assert_true(verify_str(note, "PeterNeumann", &peter));
}

static void
test_note__split_at_last_blank_line(void **state)
{
    (void)state;
    struct cp_signer s;
    seq_signer(&s, 7);
    static const char *const texts[] = {"a\n", "a\n\nb\n", "a\n\n",
                                        "\n",  "\n\n\n",   "x\n\n" DASH " k AAAAAAAA\n"};
    for (size_t i = 0; i < CP_ARRAY_LEN(texts); i++) {
        struct cp_buf b = CP_BUF_INIT;
        assert_true(cp_note_sign(texts[i], "k", &s, &b));
        const char *t;
        size_t t_len;
        assert_true(cp_note_verify(b.data, b.len, "k", &s.pk, &t, &t_len));
        assert_int_equal(t_len, strlen(texts[i]));
        assert_memory_equal(t, texts[i], t_len);
        cp_buf_free(&b);
    }
}

static void
test_note__malformed_notes_rejected(void **state)
{
    (void)state;
    struct cp_ed25519_pk peter = vkey_pk(PETER_VKEY);
    static const char *const bad[] = {
        "",
        "\n",
        "\n\n",
        PETER_TEXT,                               /* no signatures */
        PETER_TEXT "\n",                          /* blank line, no signatures */
        PETER_TEXT PETER_SIG,                     /* no blank line */
        PETER_TEXT "\n" PETER_SIG "\n",           /* blank line after the signatures */
        PETER_TEXT "\n" PETER_SIG "x",            /* trailing bytes */
        PETER_TEXT "\n- PeterNeumann AAAAAAAA\n", /* ASCII hyphen */
        PETER_TEXT "\n" DASH "PeterNeumann AAAAAAAA\n" PETER_SIG,  /* no space after the dash */
        PETER_TEXT "\n" DASH " PeterNeumann\n" PETER_SIG,          /* no signature */
        PETER_TEXT "\n" DASH " PeterNeumann \n" PETER_SIG,         /* empty signature */
        PETER_TEXT "\n" DASH " PeterNeumann AAAA\n" PETER_SIG,     /* 3 bytes < 5 */
        PETER_TEXT "\n" DASH " PeterNeumann AAAAAAB=\n" PETER_SIG, /* 5 bytes, non-canonical */
        PETER_TEXT "\n" DASH " PeterNeumann AAAAAA==x\n" PETER_SIG,
        PETER_TEXT "\n" DASH " PeterNeumann AAAA AAAA\n" PETER_SIG,
        PETER_TEXT "\n" DASH " Peter+Neumann AAAAAAAA\n" PETER_SIG, /* invalid names */
        PETER_TEXT "\n" DASH "  AAAAAAAA\n" PETER_SIG,
        PETER_TEXT "\n" DASH " Peter\xc2\xa0Neumann AAAAAAAA\n" PETER_SIG,
        PETER_TEXT "\n" DASH " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
                   "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\r\n",
    };
    for (size_t i = 0; i < CP_ARRAY_LEN(bad); i++) {
        if (verify_str(bad[i], "PeterNeumann", &peter))
            fail_msg("accepted case %zu", i);
    }
    /* Texts the spec forbids, each with a genuine signature over its exact bytes, so that only
     * the text rule can refuse them. */
    static const struct {
        const char *text;
        size_t len;
    } bad_text[] = {
        {"tab\there\n", 9},    {"cr\r\n", 4},           {"nul\0\n", 5}, {"\xc0\xaf\n", 3},
        {"\xed\xa0\x80\n", 4}, {"trunc \xe2\x80\n", 9}, {"\xff\n", 2},  {"esc\x1b[0m\n", 8},
    };
    struct cp_signer k;
    seq_signer(&k, 9);
    uint32_t id = cp_note_key_id("k", CP_NOTE_TYPE_ED25519, &k.pk);
    for (size_t i = 0; i < CP_ARRAY_LEN(bad_text); i++) {
        struct cp_ed25519_sig sig;
        cp_crypto_ed25519_sign(&k.sk, bad_text[i].text, bad_text[i].len, &sig);
        char line[200];
        make_sig_line(line, sizeof(line), "k", id, sig.b);
        struct cp_buf b = CP_BUF_INIT;
        cp_buf_append(&b, bad_text[i].text, bad_text[i].len);
        cp_buf_putc(&b, '\n');
        cp_buf_puts(&b, line);
        if (cp_note_verify(b.data, b.len, "k", &k.pk, NULL, NULL))
            fail_msg("accepted bad text %zu", i);
        cp_buf_free(&b);
    }
    /* The control: the same construction with a good text verifies. */
    struct cp_ed25519_sig sig;
    cp_crypto_ed25519_sign(&k.sk, "fine\n", 5, &sig);
    char line[200], note[256];
    make_sig_line(line, sizeof(line), "k", id, sig.b);
    snprintf(note, sizeof(note), "fine\n\n%s", line);
    assert_true(verify_str(note, "k", &k.pk));
    /* DEL is not below U+0020: allowed by the spec in the text (it fails here only because the
     * signature is over other text, not as malformed: proven by signing one). */
    struct cp_signer s;
    seq_signer(&s, 1);
    struct cp_buf b = CP_BUF_INIT;
    assert_true(cp_note_sign("del \x7f\n", "k", &s, &b));
    assert_true(cp_note_verify(b.data, b.len, "k", &s.pk, NULL, NULL));
    cp_buf_free(&b);
}

static void
test_note__signature_line_cap(void **state)
{
    (void)state;
    struct cp_ed25519_pk peter = vkey_pk(PETER_VKEY);
    uint8_t junk[64] = {0};
    char line[200];
    make_sig_line(line, sizeof(line), "other.example/w", 1, junk);
    struct cp_buf b = CP_BUF_INIT;
    cp_buf_puts(&b, PETER_TEXT "\n" PETER_SIG);
    for (int i = 1; i < CP_NOTE_MAX_SIGS; i++)
        cp_buf_puts(&b, line);
    assert_true(cp_note_verify(b.data, b.len, "PeterNeumann", &peter, NULL, NULL)); /* 100 */
    cp_buf_puts(&b, line);
    assert_false(cp_note_verify(b.data, b.len, "PeterNeumann", &peter, NULL, NULL)); /* 101 */
    cp_buf_free(&b);
}

static void
test_note__sign_rejects_bad_input(void **state)
{
    (void)state;
    struct cp_signer s;
    seq_signer(&s, 0);
    struct cp_buf b = CP_BUF_INIT;
    assert_false(cp_note_sign("", "k", &s, &b));
    assert_false(cp_note_sign("no newline", "k", &s, &b));
    assert_false(cp_note_sign("tab\t\n", "k", &s, &b));
    assert_false(cp_note_sign("cr\r\n", "k", &s, &b));
    assert_false(cp_note_sign("bad \xff\n", "k", &s, &b));
    assert_false(cp_note_sign("ok\n", "", &s, &b));
    assert_false(cp_note_sign("ok\n", "a b", &s, &b));
    assert_false(cp_note_sign("ok\n", "a+b", &s, &b));
    assert_int_equal(b.len, 0);
    cp_buf_free(&b);
}

/* ---- Key names and vkeys ---- */

static void
test_note__key_names(void **state)
{
    (void)state;
    static const char *const good[] = {"example.com/foo",
                                       "PeterNeumann",
                                       "quasimodo.example/salvatore",
                                       "\xc3\xa9t\xc3\xa9",
                                       "a",
                                       "x\xf0\x9f\x98\x82",
                                       "under_score-dash.dot/slash:colon"};
    for (size_t i = 0; i < CP_ARRAY_LEN(good); i++) {
        if (!cp_note_key_name_valid(good[i], strlen(good[i])))
            fail_msg("refused %s", good[i]);
    }
    static const char *const bad[] = {
        "",
        "a b",
        "a+b",
        "+",
        "a\tb",
        "a\nb",
        "a\x7f",
        "a\xc2\x85",         /* NEL */
        "a\xc2\x80",         /* C1 control */
        "a\xc2\xa0",         /* NBSP */
        "a\xe1\x9a\x80",     /* U+1680 */
        "a\xe2\x80\x80",     /* U+2000 */
        "a\xe2\x80\x8a",     /* U+200A */
        "a\xe2\x80\xa8",     /* U+2028 */
        "a\xe2\x80\xa9",     /* U+2029 */
        "a\xe2\x80\xaf",     /* U+202F */
        "a\xe2\x81\x9f",     /* U+205F */
        "a\xe3\x80\x80",     /* U+3000 */
        "a\xc0\xaf",         /* overlong */
        "a\xe0\x80\xaf",     /* overlong */
        "a\xed\xa0\x80",     /* surrogate */
        "a\xf4\x90\x80\x80", /* above U+10FFFF */
        "a\xe2\x80",         /* truncated */
        "a\x80",             /* lone continuation */
        "a\xff",
    };
    for (size_t i = 0; i < CP_ARRAY_LEN(bad); i++) {
        if (cp_note_key_name_valid(bad[i], strlen(bad[i])))
            fail_msg("accepted bad name %zu", i);
    }
    /* U+200B ZERO WIDTH SPACE is not White_Space; the length bounds the name, not a NUL. */
    assert_true(cp_note_key_name_valid("a\xe2\x80\x8b", 4));
    assert_true(cp_note_key_name_valid("ab cd", 2));
    assert_false(cp_note_key_name_valid("a\xe2\x80\x94", 3)); /* cut inside a character */
    assert_false(cp_note_key_name_valid("a\0b", 3));
}

static void
expect_vkey_refused(const char *vkey)
{
    char name[64];
    uint8_t type;
    uint32_t id;
    struct cp_ed25519_pk pk;
    if (cp_note_vkey_parse(vkey, strlen(vkey), name, sizeof(name), &type, &id, &pk))
        fail_msg("accepted vkey %s", vkey);
}

static void
test_note__vkey_parse(void **state)
{
    (void)state;
    /* Our own log key's base64 holds a '+': split at the first two only. */
    char name[64];
    uint8_t type;
    uint32_t id;
    struct cp_ed25519_pk pk;
    assert_true(
        cp_note_vkey_parse(OWN_VKEY, strlen(OWN_VKEY), name, sizeof(name), &type, &id, &pk));
    assert_string_equal(name, OWN_ORIGIN);
    assert_int_equal(id, 0x94901939);
    struct cp_buf b = CP_BUF_INIT;
    assert_true(cp_note_vkey_format(name, type, &pk, &b));
    assert_string_equal(b.data, OWN_VKEY);
    cp_buf_free(&b);
    /* Upper-case hex is read; formatting writes lower case. */
    const char *upper = "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert_true(cp_note_vkey_parse(upper, strlen(upper), name, sizeof(name), &type, &id, &pk));
    assert_int_equal(id, 0xc74f20a3);
    /* The name must fit the buffer with its NUL: 12 chars need 13 bytes. */
    assert_false(cp_note_vkey_parse(PETER_VKEY, strlen(PETER_VKEY), name, 12, &type, &id, &pk));
    assert_true(cp_note_vkey_parse(PETER_VKEY, strlen(PETER_VKEY), name, 13, &type, &id, &pk));
    /* The length bounds the input: a prefix is not a key. */
    assert_false(cp_note_vkey_parse(PETER_VKEY, strlen(PETER_VKEY) - 4, name, sizeof(name), &type,
                                    &id, &pk));

    expect_vkey_refused("");
    expect_vkey_refused("PeterNeumann");
    expect_vkey_refused("PeterNeumann+c74f20a3");
    expect_vkey_refused("PeterNeumann+c74f20a3+");
    expect_vkey_refused("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeumann+0c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeumann+c74f20g3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    expect_vkey_refused("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T");
    expect_vkey_refused("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=");
    expect_vkey_refused("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==");
    expect_vkey_refused("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n");
    expect_vkey_refused("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    /* The same key as type 0x02 (ECDSA): not ours. Type byte 0x02 → "Ahpc..." base64 and the
     * id no longer matches either way. */
    expect_vkey_refused("PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    /* Go's private-key form is not a verifier key. */
    expect_vkey_refused("PRIVATE+KEY+PeterNeumann+c74f20a3+" PETER_SKEY);
}

/* ---- Checkpoints ---- */

static void
test_note__checkpoint_round_trip(void **state)
{
    (void)state;
    struct cp_sha256 root;
    for (int i = 0; i < 32; i++)
        root.b[i] = (uint8_t)(0xf0 + i);
    static const uint64_t sizes[] = {0, 1, 9, 10, 1234567, UINT64_MAX};
    for (size_t i = 0; i < CP_ARRAY_LEN(sizes); i++) {
        struct cp_buf b = CP_BUF_INIT;
        assert_true(cp_checkpoint_format("log.example/a", sizes[i], &root, &b));
        char origin[32];
        uint64_t size;
        struct cp_sha256 got;
        assert_true(cp_checkpoint_parse(b.data, b.len, origin, sizeof(origin), &size, &got));
        assert_string_equal(origin, "log.example/a");
        assert_true(size == sizes[i]);
        assert_memory_equal(got.b, root.b, 32);
        /* an origin that fills the buffer exactly, and one byte more */
        assert_true(cp_checkpoint_parse(b.data, b.len, origin, 14, &size, &got));
        assert_false(cp_checkpoint_parse(b.data, b.len, origin, 13, &size, &got));
        /* every proper prefix is refused */
        for (size_t cut = 0; cut < b.len; cut++)
            assert_false(cp_checkpoint_parse(b.data, cut, origin, sizeof(origin), &size, &got));
        cp_buf_free(&b);
    }
    struct cp_buf b = CP_BUF_INIT;
    assert_false(cp_checkpoint_format("bad origin", 1, &root, &b));
    assert_false(cp_checkpoint_format("", 1, &root, &b));
    assert_false(cp_checkpoint_format("a+b", 1, &root, &b));
    assert_int_equal(b.len, 0);
    cp_buf_free(&b);
}

static void
test_note__checkpoint_rejections(void **state)
{
    (void)state;
#define ROOT "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
    char origin[64];
    uint64_t size;
    struct cp_sha256 root;
    const char *ok = "o\n8\n" ROOT "\n";
    assert_true(cp_checkpoint_parse(ok, strlen(ok), origin, sizeof(origin), &size, &root));
    static const char *const bad[] = {
        "",
        "o\n08\n" ROOT "\n", /* leading zero */
        "o\n00\n" ROOT "\n",
        "o\n\n" ROOT "\n", /* empty size */
        "o\n+8\n" ROOT "\n",
        "o\n-8\n" ROOT "\n",
        "o\n 8\n" ROOT "\n",
        "o\n8 \n" ROOT "\n",
        "o\n0x8\n" ROOT "\n",
        "o\n18446744073709551616\n" ROOT "\n", /* 2^64 */
        "o\n99999999999999999999\n" ROOT "\n",
        "o\n000000000000000000001\n" ROOT "\n",
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n", /* 31 bytes */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",  /* unpadded */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n", /* non-canonical bits */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQygA\n", /* 33 bytes */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=A\n",
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=\n", /* URL alphabet */
        "o\n8\n\n",
        "two words\n8\n" ROOT "\n", /* origin */
        "a+b\n8\n" ROOT "\n",
        "\n8\n" ROOT "\n",
        " o\n8\n" ROOT "\n",
        "o\n8\n" ROOT "\nextension line\n", /* extension line */
        "o\n8\n" ROOT "\n\n",               /* even an empty one */
        "o\n8\n" ROOT,                      /* missing final newline */
        "o\n8\n",
        "o\n8",
        "o\r\n8\n" ROOT "\n", /* CR */
        "o\n8\r\n" ROOT "\n",
        "o\n8\n" ROOT "\r\n",
        "o\r8\r" ROOT "\r",
    };
    for (size_t i = 0; i < CP_ARRAY_LEN(bad); i++) {
        if (cp_checkpoint_parse(bad[i], strlen(bad[i]), origin, sizeof(origin), &size, &root))
            fail_msg("accepted checkpoint %zu", i);
    }
    /* A NUL inside the origin. */
    static const char nul[] = "o\0p\n8\n" ROOT "\n";
    assert_false(cp_checkpoint_parse(nul, sizeof(nul) - 1, origin, sizeof(origin), &size, &root));
    /* The largest size. */
    const char *max = "o\n18446744073709551615\n" ROOT "\n";
    assert_true(cp_checkpoint_parse(max, strlen(max), origin, sizeof(origin), &size, &root));
    assert_true(size == UINT64_MAX);
#undef ROOT
}

int
main(void)
{
    cp_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_note__c2sp_example),
        cmocka_unit_test(test_note__go_sumdb_vector),
        cmocka_unit_test(test_note__own_checkpoint_vector),
        cmocka_unit_test(test_note__tampering_fails),
        cmocka_unit_test(test_note__unknown_keys_ignored),
        cmocka_unit_test(test_note__bad_known_signature_rejects),
        cmocka_unit_test(test_note__split_at_last_blank_line),
        cmocka_unit_test(test_note__malformed_notes_rejected),
        cmocka_unit_test(test_note__signature_line_cap),
        cmocka_unit_test(test_note__sign_rejects_bad_input),
        cmocka_unit_test(test_note__key_names),
        cmocka_unit_test(test_note__vkey_parse),
        cmocka_unit_test(test_note__checkpoint_round_trip),
        cmocka_unit_test(test_note__checkpoint_rejections),
    };
    return cmocka_run_group_tests_name("note", tests, NULL, NULL);
}
