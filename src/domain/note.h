/*
 * C2SP signed notes (c2sp.org/signed-note v1.0.0) with Ed25519 signatures, their verifier keys
 * ("vkeys"), and transparency-log checkpoints (c2sp.org/tlog-checkpoint v1.0.0), the note our log
 * signs over its size and root. A note is a UTF-8 text ending in '\n', a blank line, then lines
 * "— <key name> <base64(4-byte big-endian key id || signature)>", the dash being U+2014; the
 * signature covers the text including its final newline. The key id is
 * SHA-256(name || 0x0A || type || public key)[:4], type 0x01 for a note signature. Parsing here
 * is strict and bounded: every parser takes an explicit length, never reads past it, never
 * allocates, and rejects anything the specs don't allow rather than guessing (they are fuzz
 * targets). Pure logic: no I/O.
 */
#ifndef CP_DOMAIN_NOTE_H
#define CP_DOMAIN_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "crypto/crypto.h"

/* Signature type bytes (c2sp.org/signed-note "Signature types"). */
#define CP_NOTE_TYPE_ED25519 0x01     /* a note signature */
#define CP_NOTE_TYPE_COSIGNATURE 0x04 /* a timestamped Ed25519 witness cosignature */

/* Most signature lines a note may carry; more and it is rejected unread. The spec requires
 * accepting at least 16; 100 is Go's golang.org/x/mod/sumdb/note limit. */
#define CP_NOTE_MAX_SIGS 100

/*
 * True iff name[0..n) is a valid key name: non-empty, valid UTF-8, and free of '+' and of every
 * Unicode space (the White_Space property: TAB..CR, SP, U+0085, U+00A0, U+1680, U+2000..U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000), as the spec requires. We also refuse the other
 * control characters (C0, DEL, C1), which can only be mischief in a name.
 */
bool cp_note_key_name_valid(const char *name, size_t n);

/* The key id of an Ed25519 key of the given signature type (CP_NOTE_TYPE_*) under name (a NUL
 * terminated string; not validated here): SHA-256(name || 0x0A || type || pk)[:4], big-endian. */
uint32_t cp_note_key_id(const char *name, uint8_t type, const struct cp_ed25519_pk *pk);

/*
 * Append the verifier key text "<name>+<8 lowercase hex id>+<base64(type || pk)>" to *out.
 * Returns false, appending nothing, if the name is not a valid key name.
 */
bool cp_note_vkey_format(const char *name, uint8_t type, const struct cp_ed25519_pk *pk,
                         struct cp_buf *out);

/*
 * Parse the verifier key vkey[0..n). It is split at its FIRST TWO '+' only (standard base64
 * contains '+'). Accepted: a valid key name, exactly 8 hex digits (either case) equal to the id
 * the name and key produce, and canonical padded base64 of 33 bytes whose first is
 * CP_NOTE_TYPE_ED25519 or CP_NOTE_TYPE_COSIGNATURE. On success writes the name (NUL-terminated)
 * into name_out (name_size bytes), the type, id and key, and returns true; returns false on any
 * other input, including a name that does not fit in name_size - 1 bytes (outputs then
 * unspecified).
 */
bool cp_note_vkey_parse(const char *vkey, size_t n, char *name_out, size_t name_size,
                        uint8_t *out_type, uint32_t *out_id, struct cp_ed25519_pk *out_pk);

/*
 * Sign text (NUL-terminated) as a note under key_name with signer's Ed25519 key and append
 * "<text>\n— <key_name> <base64(id || signature)>\n" to *out. The text must be non-empty, end
 * with '\n', be valid UTF-8 and hold no control character other than '\n'; key_name must be
 * valid. Returns false, appending nothing, otherwise.
 */
bool cp_note_sign(const char *text, const char *key_name, const struct cp_signer *signer,
                  struct cp_buf *out);

/*
 * Verify the note note[0..n) against one known Ed25519 key (key_name, pk), as the signed-note
 * verifier rules say:
 *   - the whole note must be valid UTF-8 with no control character other than '\n';
 *   - the text is everything before the LAST empty line (it keeps its final '\n'); after that
 *     line come one or more signature lines, each "— <valid name> <canonical base64>\n"
 *     decoding to at least 5 bytes, and at most CP_NOTE_MAX_SIGS of them;
 *   - lines whose (name, id) is not (key_name, our id) are ignored, even if the name or the id
 *     alone matches;
 *   - every line of the known key must verify (an Ed25519 signature of exactly 64 bytes over
 *     the text), else the whole note is rejected, and at least one must be present.
 * Returns true if so, pointing *out_text into note at the text and setting *out_text_len (either
 * may be NULL). Returns false on any other input; the outputs are then untouched.
 */
bool cp_note_verify(const char *note, size_t n, const char *key_name,
                    const struct cp_ed25519_pk *pk, const char **out_text, size_t *out_text_len);

/*
 * Append the checkpoint note text "<origin>\n<size>\n<base64 root>\n" to *out_text (no
 * extension lines). Returns false, appending nothing, if origin is not a valid key name (the
 * spec recommends that the log's key name be its origin).
 */
bool cp_checkpoint_format(const char *origin, uint64_t size, const struct cp_sha256 *root,
                          struct cp_buf *out_text);

/*
 * Parse a checkpoint note text text[0..len) (the out_text of cp_note_verify, not the whole
 * note). Strict: exactly three lines, each ending in '\n', and nothing after them (extension
 * lines are refused); the origin is a valid key name (non-empty, no spaces, no '+', no control
 * characters); the size is decimal ASCII without leading zeros ("0" itself is fine) that fits
 * in 64 bits; the root is canonical padded base64 of exactly 32 bytes. Writes the origin
 * (NUL-terminated) to origin_out (origin_size bytes), the size and the root, and returns true;
 * returns false on any other input, or if the origin does not fit (outputs then unspecified).
 */
bool cp_checkpoint_parse(const char *text, size_t len, char *origin_out, size_t origin_size,
                         uint64_t *out_size, struct cp_sha256 *out_root);

#endif
