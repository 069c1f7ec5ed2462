/*
 * Signed notes and checkpoints (see note.h), following c2sp.org/signed-note and
 * c2sp.org/tlog-checkpoint, with golang.org/x/mod/sumdb/note as the reference for the details
 * the specs leave open (at least 5 bytes per signature, at most 100 signature lines). Where the
 * two differ we are the stricter: UTF-8 is checked by the RFC 3629 rules (no overlong forms, no
 * surrogates), base64 must be canonical (padded, unused bits zero) so every value has exactly
 * one spelling, and every line of the known key is verified, where Go checks only the first of
 * repeated ones. Nothing here allocates except the caller's output buffers.
 */
#include "domain/note.h"

#include <inttypes.h>
#include <string.h>

#include "core/util.h"

/* U+2014 EM DASH and a space: how every signature line starts. */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN (sizeof(sig_prefix) - 1)

/* A signature line of our key: 4-byte id then the 64-byte Ed25519 signature. */
#define SIG_BYTES (4 + 64)
#define SIG_B64_SIZE (4 * ((SIG_BYTES + 2) / 3) + 1)
#define KEY_BYTES (1 + 32)
#define KEY_B64_SIZE (4 * ((KEY_BYTES + 2) / 3) + 1)
#define ROOT_B64_LEN 44 /* 32 bytes */

/*
 * Decode one code point from s[0..n) (n >= 1) by RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF. Returns it and sets *len, or returns -1 if the bytes are malformed
 * or truncated by n.
 */
static int32_t
utf8_decode(const uint8_t *s, size_t n, size_t *len)
{
    uint8_t c = s[0];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    size_t need;
    int32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        cp = c & 0x1f;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        need = 2;
        cp = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return -1;
    }
    if (n <= need)
        return -1;
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *len = need + 1;
    return cp;
}

/* Valid UTF-8 with no control character below U+0020 other than '\n' (the signed-note rule
 * for the whole note). */
static bool
note_bytes_valid(const char *s, size_t n)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t i = 0;
    while (i < n) {
        size_t len;
        int32_t cp = utf8_decode(u + i, n - i, &len);
        if (cp < 0 || (cp < 0x20 && cp != '\n'))
            return false;
        i += len;
    }
    return true;
}

/* The Unicode White_Space property (what Go's unicode.IsSpace tests), minus the ASCII ones
 * the caller already refuses as controls or ' '. */
static bool
is_unicode_space(int32_t cp)
{
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

bool
cp_note_key_name_valid(const char *name, size_t n)
{
    if (n == 0)
        return false;
    const uint8_t *u = (const uint8_t *)name;
    size_t i = 0;
    while (i < n) {
        size_t len;
        int32_t cp = utf8_decode(u + i, n - i, &len);
        if (cp < 0 || cp <= 0x20 || cp == '+' || (cp >= 0x7f && cp <= 0x9f) || is_unicode_space(cp))
            return false;
        i += len;
    }
    return true;
}

static int
b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/*
 * Decode canonical standard base64 (RFC 4648 §4, padded, unused bits zero) s[0..n). All of the
 * input is checked, but only the first cap decoded bytes are stored in out, so a long foreign
 * signature costs no memory; *out_len gets the full decoded length. Returns false if s is not
 * canonical base64.
 */
static bool
b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    if (n % 4 != 0)
        return false;
    size_t total = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            char c = s[i + j];
            if (c == '=') {
                /* only in the last quantum, and never in its first two places */
                if (i + 4 != n || j < 2)
                    return false;
                v[j] = 0;
                pad++;
                continue;
            }
            if (pad > 0) /* data after padding */
                return false;
            v[j] = b64_value(c);
            if (v[j] < 0)
                return false;
        }
        /* Canonical: the bits that padding leaves unused must be zero. */
        if ((pad == 1 && (v[2] & 0x03) != 0) || (pad == 2 && (v[1] & 0x0f) != 0))
            return false;
        uint32_t triple =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        for (int k = 0; k < 3 - pad; k++) {
            if (total < cap)
                out[total] = (uint8_t)(triple >> (16 - 8 * k));
            total++;
        }
    }
    *out_len = total;
    return true;
}

uint32_t
cp_note_key_id(const char *name, uint8_t type, const struct cp_ed25519_pk *pk)
{
    struct cp_sha256_ctx ctx;
    struct cp_sha256 h;
    static const uint8_t nl = 0x0a;
    cp_crypto_sha256_init(&ctx);
    cp_crypto_sha256_update(&ctx, name, strlen(name));
    cp_crypto_sha256_update(&ctx, &nl, 1);
    cp_crypto_sha256_update(&ctx, &type, 1);
    cp_crypto_sha256_update(&ctx, pk->b, sizeof(pk->b));
    cp_crypto_sha256_final(&ctx, &h);
    return (uint32_t)h.b[0] << 24 | (uint32_t)h.b[1] << 16 | (uint32_t)h.b[2] << 8 |
           (uint32_t)h.b[3];
}

bool
cp_note_vkey_format(const char *name, uint8_t type, const struct cp_ed25519_pk *pk,
                    struct cp_buf *out)
{
    if (!cp_note_key_name_valid(name, strlen(name)))
        return false;
    uint8_t key[KEY_BYTES];
    key[0] = type;
    memcpy(key + 1, pk->b, sizeof(pk->b));
    char b64[KEY_B64_SIZE];
    cp_crypto_base64(key, sizeof(key), b64, sizeof(b64));
    cp_buf_puts(out, name);
    cp_buf_printf(out, "+%08" PRIx32 "+", cp_note_key_id(name, type, pk));
    cp_buf_puts(out, b64);
    return true;
}

bool
cp_note_vkey_parse(const char *vkey, size_t n, char *name_out, size_t name_size, uint8_t *out_type,
                   uint32_t *out_id, struct cp_ed25519_pk *out_pk)
{
    /* name + id + key, split at the first two '+': the key's base64 may contain more. */
    const char *p1 = memchr(vkey, '+', n);
    if (p1 == NULL)
        return false;
    size_t name_len = (size_t)(p1 - vkey);
    const char *hex = p1 + 1;
    const char *p2 = memchr(hex, '+', n - name_len - 1);
    if (p2 == NULL || p2 - hex != 8)
        return false;
    const char *b64 = p2 + 1;
    size_t b64_len = n - (size_t)(b64 - vkey);

    if (!cp_note_key_name_valid(vkey, name_len) || name_len >= name_size)
        return false;
    uint32_t id = 0;
    for (int i = 0; i < 8; i++) {
        int d = cp_hex_digit(hex[i]);
        if (d < 0)
            return false;
        id = id << 4 | (uint32_t)d;
    }
    uint8_t key[KEY_BYTES];
    size_t key_len;
    if (!b64_decode(b64, b64_len, key, sizeof(key), &key_len) || key_len != sizeof(key))
        return false;
    if (key[0] != CP_NOTE_TYPE_ED25519 && key[0] != CP_NOTE_TYPE_COSIGNATURE)
        return false;
    memcpy(name_out, vkey, name_len);
    name_out[name_len] = '\0';
    memcpy(out_pk->b, key + 1, sizeof(out_pk->b));
    if (cp_note_key_id(name_out, key[0], out_pk) != id)
        return false;
    *out_type = key[0];
    *out_id = id;
    return true;
}

bool
cp_note_sign(const char *text, const char *key_name, const struct cp_signer *signer,
             struct cp_buf *out)
{
    size_t n = strlen(text);
    if (n == 0 || text[n - 1] != '\n' || !note_bytes_valid(text, n))
        return false;
    if (!cp_note_key_name_valid(key_name, strlen(key_name)))
        return false;
    uint32_t id = cp_note_key_id(key_name, CP_NOTE_TYPE_ED25519, &signer->pk);
    uint8_t sig[SIG_BYTES] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8),
                              (uint8_t)id};
    struct cp_ed25519_sig s;
    cp_crypto_ed25519_sign(&signer->sk, text, n, &s);
    memcpy(sig + 4, s.b, sizeof(s.b));
    char b64[SIG_B64_SIZE];
    cp_crypto_base64(sig, sizeof(sig), b64, sizeof(b64));

    cp_buf_append(out, text, n);
    cp_buf_putc(out, '\n');
    cp_buf_append(out, sig_prefix, SIG_PREFIX_LEN);
    cp_buf_puts(out, key_name);
    cp_buf_putc(out, ' ');
    cp_buf_puts(out, b64);
    cp_buf_putc(out, '\n');
    return true;
}

bool
cp_note_verify(const char *note, size_t n, const char *key_name, const struct cp_ed25519_pk *pk,
               const char **out_text, size_t *out_text_len)
{
    if (n < 2 || !note_bytes_valid(note, n))
        return false;
    /* The text ends at the last empty line: the last "\n\n" holds its final newline and the
     * blank line. */
    size_t split = n - 1;
    for (;;) {
        if (split == 0)
            return false;
        split--;
        if (note[split] == '\n' && note[split + 1] == '\n')
            break;
    }
    size_t text_len = split + 1;
    const char *sigs = note + split + 2;
    size_t sigs_len = n - split - 2;
    /* At least one signature line, the last one ending in '\n'. No line can be empty: that
     * would be a later "\n\n". */
    if (sigs_len == 0 || sigs[sigs_len - 1] != '\n')
        return false;

    size_t key_name_len = strlen(key_name);
    uint32_t want_id = cp_note_key_id(key_name, CP_NOTE_TYPE_ED25519, pk);
    bool verified = false;
    unsigned n_sigs = 0;
    size_t at = 0;
    while (at < sigs_len) {
        const char *line = sigs + at;
        const char *end = memchr(line, '\n', sigs_len - at);
        CP_ASSERT(end != NULL); /* the region ends in '\n' */
        size_t line_len = (size_t)(end - line);
        at += line_len + 1;

        if (++n_sigs > CP_NOTE_MAX_SIGS)
            return false;
        if (line_len < SIG_PREFIX_LEN || memcmp(line, sig_prefix, SIG_PREFIX_LEN) != 0)
            return false;
        const char *name = line + SIG_PREFIX_LEN;
        size_t rest = line_len - SIG_PREFIX_LEN;
        const char *sp = memchr(name, ' ', rest);
        if (sp == NULL)
            return false;
        size_t name_len = (size_t)(sp - name);
        const char *b64 = sp + 1;
        size_t b64_len = rest - name_len - 1;
        if (!cp_note_key_name_valid(name, name_len))
            return false;
        uint8_t sig[SIG_BYTES];
        size_t sig_len;
        if (!b64_decode(b64, b64_len, sig, sizeof(sig), &sig_len) || sig_len < 5)
            return false;

        uint32_t id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 |
                      (uint32_t)sig[3];
        if (name_len != key_name_len || memcmp(name, key_name, name_len) != 0 || id != want_id)
            continue; /* an unknown key: ignored, whatever it signed */
        /* Our key: it must verify, or the whole note is rejected. */
        if (sig_len != SIG_BYTES)
            return false;
        struct cp_ed25519_sig s;
        memcpy(s.b, sig + 4, sizeof(s.b));
        if (!cp_crypto_ed25519_verify(pk, note, text_len, &s))
            return false;
        verified = true;
    }
    if (!verified)
        return false;
    if (out_text != NULL)
        *out_text = note;
    if (out_text_len != NULL)
        *out_text_len = text_len;
    return true;
}

bool
cp_checkpoint_format(const char *origin, uint64_t size, const struct cp_sha256 *root,
                     struct cp_buf *out_text)
{
    if (!cp_note_key_name_valid(origin, strlen(origin)))
        return false;
    char b64[ROOT_B64_LEN + 1];
    cp_crypto_base64(root->b, sizeof(root->b), b64, sizeof(b64));
    cp_buf_puts(out_text, origin);
    cp_buf_printf(out_text, "\n%" PRIu64 "\n", size);
    cp_buf_puts(out_text, b64);
    cp_buf_putc(out_text, '\n');
    return true;
}

/* The next line of text[*pos..len) without its '\n' (which must be there); advances *pos past
 * it. Returns false if there is no '\n'. */
static bool
next_line(const char *text, size_t len, size_t *pos, const char **out_line, size_t *out_len)
{
    if (*pos >= len)
        return false;
    const char *line = text + *pos;
    const char *nl = memchr(line, '\n', len - *pos);
    if (nl == NULL)
        return false;
    *out_line = line;
    *out_len = (size_t)(nl - line);
    *pos += *out_len + 1;
    return true;
}

/* Decimal ASCII without leading zeros (but "0"), fitting in 64 bits. */
static bool
parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool
cp_checkpoint_parse(const char *text, size_t len, char *origin_out, size_t origin_size,
                    uint64_t *out_size, struct cp_sha256 *out_root)
{
    size_t pos = 0;
    const char *origin, *size, *root;
    size_t origin_len, size_len, root_len;
    if (!next_line(text, len, &pos, &origin, &origin_len) ||
        !next_line(text, len, &pos, &size, &size_len) ||
        !next_line(text, len, &pos, &root, &root_len))
        return false;
    /* No extension lines: they are not auditable, and we never write any. */
    if (pos != len)
        return false;
    if (!cp_note_key_name_valid(origin, origin_len) || origin_len >= origin_size)
        return false;
    if (!parse_u64(size, size_len, out_size))
        return false;
    size_t root_bytes;
    if (root_len != ROOT_B64_LEN ||
        !b64_decode(root, root_len, out_root->b, sizeof(out_root->b), &root_bytes) ||
        root_bytes != sizeof(out_root->b))
        return false;
    memcpy(origin_out, origin, origin_len);
    origin_out[origin_len] = '\0';
    return true;
}
