/*
 * Fuzz target: the C2SP signed-note and checkpoint code (domain/note.h), which `callproof
 * verify` and every reader of the log run on untrusted text.
 *
 * Input format: the first byte picks what the rest is (its value modulo 4):
 *   0  a signed note, verified against the known key: the log key of test_note.c's own
 *      receipt (seed 00..1f, name "example.com/evidence-log-test"), so seeds signed with it
 *      get past the signature; also signed as a text, when it is a valid one;
 *   1  a checkpoint text;
 *   2  a verifier key (vkey);
 *   3  a key name.
 *
 * Properties:
 *   0  a note that verifies yields a text that starts the note, is not empty and ends in '\n',
 *      and the note holds our signature line of that text (Ed25519 is deterministic, so the
 *      line cp_note_sign writes now is the only one that can verify); a text that cp_note_sign
 *      accepts verifies once signed, giving back the same text;
 *   1  a checkpoint that parses is written back byte for byte by cp_checkpoint_format (the
 *      parser accepts only the canonical form);
 *   2  a vkey that parses is written back by cp_note_vkey_format as given (but for the case of
 *      its hex id), and its name is a valid key name;
 *   3  a valid key name is UTF-8 without '+', spaces or control bytes, and makes a vkey that
 *      parses back to the same name.
 */
#include "fuzz.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "crypto/crypto.h"
#include "domain/note.h"

#define KEY_NAME "example.com/evidence-log-test"

static struct cp_signer signer;

static void
check_note(const char *note, size_t n)
{
    const char *text = NULL;
    size_t text_len = 0;
    if (cp_note_verify(note, n, KEY_NAME, &signer.pk, &text, &text_len)) {
        FZ_CHECK(text == note && text_len > 0 && text_len < n && text[text_len - 1] == '\n',
                 "verified text is not a prefix of the note ending in a newline");
        char *t = fz_strndup((const uint8_t *)text, text_len);
        struct cp_buf signed_note = CP_BUF_INIT;
        FZ_CHECK(cp_note_sign(t, KEY_NAME, &signer, &signed_note), "cannot sign a verified text");
        const char *line = signed_note.data + text_len; /* "\n— name sig\n" */
        size_t line_len = signed_note.len - text_len;
        FZ_CHECK(memmem(note + text_len, n - text_len, line, line_len) != NULL,
                 "a note verified without our signature line of its text");
        cp_buf_free(&signed_note);
        free(t);
    }

    /* The same bytes as a text to sign (cp_note_sign takes a C string). */
    if (memchr(note, '\0', n) != NULL)
        return;
    char *as_text = fz_strndup((const uint8_t *)note, n);
    struct cp_buf out = CP_BUF_INIT;
    if (cp_note_sign(as_text, KEY_NAME, &signer, &out)) {
        FZ_CHECK(n > 0 && note[n - 1] == '\n' && fz_utf8_valid(note, n),
                 "signed a text that is empty, unterminated or not UTF-8");
        text = NULL;
        FZ_CHECK(cp_note_verify(out.data, out.len, KEY_NAME, &signer.pk, &text, &text_len),
                 "our own signed note does not verify: %s", out.data);
        FZ_CHECK(text_len == n && memcmp(text, note, n) == 0, "verify gave back another text");
    }
    cp_buf_free(&out);
    free(as_text);
}

static void
check_checkpoint(const char *text, size_t n)
{
    char origin[256];
    uint64_t size = 0;
    struct cp_sha256 root;
    if (!cp_checkpoint_parse(text, n, origin, sizeof(origin), &size, &root))
        return;
    struct cp_buf again = CP_BUF_INIT;
    FZ_CHECK(cp_checkpoint_format(origin, size, &root, &again), "cannot format a parsed origin");
    FZ_CHECK(again.len == n && memcmp(again.data, text, n) == 0,
             "checkpoint not written back as read:\n%.*s\n%s", (int)n, text, again.data);
    cp_buf_free(&again);
}

static void
check_vkey(const char *vkey, size_t n)
{
    char name[256];
    uint8_t type = 0;
    uint32_t id = 0;
    struct cp_ed25519_pk pk;
    if (!cp_note_vkey_parse(vkey, n, name, sizeof(name), &type, &id, &pk))
        return;
    FZ_CHECK(cp_note_key_name_valid(name, strlen(name)), "vkey with an invalid name parsed");
    FZ_CHECK(id == cp_note_key_id(name, type, &pk), "vkey id is not the key's");
    struct cp_buf again = CP_BUF_INIT;
    FZ_CHECK(cp_note_vkey_format(name, type, &pk, &again), "cannot format a parsed vkey");
    bool same = again.len == n;
    size_t name_len = strlen(name);
    for (size_t i = 0; same && i < n; i++) {
        bool in_id = i > name_len && i <= name_len + 8;
        same = in_id ? tolower((unsigned char)vkey[i]) == again.data[i] : vkey[i] == again.data[i];
    }
    FZ_CHECK(same, "vkey not written back as read: %.*s / %s", (int)n, vkey, again.data);
    cp_buf_free(&again);
}

static void
check_name(const char *name, size_t n)
{
    if (!cp_note_key_name_valid(name, n))
        return;
    FZ_CHECK(n > 0 && fz_utf8_valid(name, n), "valid name is empty or not UTF-8");
    for (size_t i = 0; i < n; i++)
        FZ_CHECK(name[i] != '+' && (unsigned char)name[i] > 0x20 && name[i] != 0x7f,
                 "valid name with '+', a space or a control byte");
    char *s = fz_strndup((const uint8_t *)name, n);
    struct cp_buf vkey = CP_BUF_INIT;
    FZ_CHECK(cp_note_vkey_format(s, CP_NOTE_TYPE_ED25519, &signer.pk, &vkey),
             "cannot make a vkey of a valid name");
    /* Names have no length limit: room for the whole vkey (a fixed 1 KB failed on a valid
     * 1,040-byte name). */
    char *back = malloc(vkey.len + 1);
    FZ_CHECK(back != NULL, "out of memory");
    uint8_t type;
    uint32_t id;
    struct cp_ed25519_pk pk;
    FZ_CHECK(cp_note_vkey_parse(vkey.data, vkey.len, back, vkey.len + 1, &type, &id, &pk) &&
                 strcmp(back, s) == 0 && memcmp(pk.b, signer.pk.b, sizeof(pk.b)) == 0,
             "vkey of a valid name does not parse back: %s", vkey.data);
    free(back);
    cp_buf_free(&vkey);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        fz_init();
        struct cp_ed25519_seed seed;
        for (int i = 0; i < 32; i++)
            seed.b[i] = (uint8_t)i;
        cp_signer_init(&signer, &seed);
        init = true;
    }
    if (size < 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 4) {
    case 0:
        check_note(s, n);
        break;
    case 1:
        check_checkpoint(s, n);
        break;
    case 2:
        check_vkey(s, n);
        break;
    default:
        check_name(s, n);
    }
    return 0;
}
