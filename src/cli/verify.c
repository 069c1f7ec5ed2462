/*
 * `callproof verify FILE [--pubkey KEY] [--json]`: check an evidence export offline, trusting
 * nothing in it but what its signatures prove. In order:
 *   1. the bundle is canonical JSON (RFC 8785, integer-only): re-encoding it gives its bytes;
 *   2. its SHA-256 is the one the file states, and it names the same bundle id;
 *   3. the Ed25519 signature over "callproof/evidence/v1\n" || bundle verifies;
 *   3b. the compliance score, findings and notes are what the rules (this binary's, if the
 *      bundle names the same rules_version) give for the inputs sealed in the bundle;
 *   4. the checkpoint is a note signed by the same key under the log's name;
 *   5. the leaf (computed here from the bundle and its signature, never taken from the file) is
 *      in the tree of the checkpoint's size, whose root the checkpoint signs, by the inclusion
 *      proof. Size and root come only from the signed checkpoint.
 *   6. (with --checkpoint NEWER and --consistency PROOF) a later checkpoint, signed by the same
 *      key for the same log, extends the export's: the consistency proof (the JSON of
 *      GET /v1/log/proof/consistency?first=<export size>&second=<newer size>) leads from the
 *      export's signed root to the newer signed root. So an old export still holds against
 *      today's log: nothing sealed before was changed or removed.
 * FILE may also be the evidence page saved from a browser (its data block holds the export).
 * The key is --pubkey (base64 of the 32-byte Ed25519 key, or a vkey "name+id+base64"); without
 * it the key embedded in the file is used, with a warning: a forger would embed their own.
 * Exit 0 only when every check passes. The checks themselves are cp_cli_verify_run (verify.h):
 * this file only reads the files and prints its report.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/recompute.h"
#include "cli/verify.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "domain/merkle.h"
#include "domain/note.h"
#include "handlers/evidence_log.h"
#include "json/canonical.h"
#include "json/json.h"

#define MAX_FILE (64 * 1024 * 1024)

struct checks {
    int n_failed;
    bool json;
    struct cp_buf out;   /* JSON array of checks when --json */
    struct cp_buf *text; /* the report: one line per check in text mode */
};

/* A detail in the text report. It may hold strings from the file (an id, the log's name), so
 * control characters are written as \n or \xNN: a forged file cannot start a line of its own
 * ("PASS ...", "<file>: VERIFIED"). */
static void
put_detail(struct cp_buf *out, const char *detail)
{
    cp_buf_puts(out, ": ");
    for (const unsigned char *p = (const unsigned char *)detail; *p; p++) {
        if (*p == '\n')
            cp_buf_puts(out, "\\n");
        else if (*p < 0x20 || *p == 0x7f)
            cp_buf_printf(out, "\\x%02x", *p);
        else
            cp_buf_putc(out, (char)*p);
    }
}

static void
check(struct checks *c, bool ok, const char *name, const char *detail)
{
    if (!ok)
        c->n_failed++;
    if (!c->json) {
        cp_buf_printf(c->text, "%s %s", ok ? "PASS" : "FAIL", name);
        if (detail)
            put_detail(c->text, detail);
        cp_buf_putc(c->text, '\n');
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "check", name);
    cJSON_AddBoolToObject(o, "ok", ok);
    if (detail)
        cJSON_AddStringToObject(o, "detail", detail);
    char *s = cJSON_PrintUnformatted(o);
    cp_buf_printf(&c->out, "%s%s", c->out.len > 1 ? "," : "", s);
    cJSON_free(s);
    cJSON_Delete(o);
}

/* A check that cannot be made here (not a failure): "SKIP" in text, "ok": null in JSON. */
static void
skip(struct checks *c, const char *name, const char *detail)
{
    if (!c->json) {
        cp_buf_printf(c->text, "SKIP %s", name);
        put_detail(c->text, detail);
        cp_buf_putc(c->text, '\n');
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "check", name);
    cJSON_AddNullToObject(o, "ok");
    cJSON_AddStringToObject(o, "detail", detail);
    char *s = cJSON_PrintUnformatted(o);
    cp_buf_printf(&c->out, "%s%s", c->out.len > 1 ? "," : "", s);
    cJSON_free(s);
    cJSON_Delete(o);
}

static char *
read_file(const char *path, size_t *out_n)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct cp_buf b = CP_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < MAX_FILE)
        cp_buf_append(&b, chunk, n);
    if (f != stdin)
        fclose(f);
    return cp_buf_steal(&b, out_n);
}

static const char *
str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
b64_32(const char *s, uint8_t out[32])
{
    size_t n = 0;
    return s != NULL &&
           sodium_base642bin(out, 32, s, strlen(s), NULL, &n, NULL,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           n == 32;
}

/* A proof: a JSON array of at most CP_MERKLE_MAX_PATH base64 SHA-256 hashes, into path. */
static bool
proof_path(const cJSON *arr, struct cp_sha256 path[CP_MERKLE_MAX_PATH], size_t *np)
{
    *np = 0;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > CP_MERKLE_MAX_PATH)
        return false;
    for (const cJSON *h = arr->child; h != NULL; h = h->next)
        if (!b64_32(cJSON_IsString(h) ? h->valuestring : NULL, path[(*np)++].b))
            return false;
    return true;
}

static void
usage(FILE *out)
{
    fputs("usage: callproof verify FILE [--pubkey KEY] [--json]\n"
          "                        [--checkpoint NEWER --consistency PROOF]\n\n"
          "Check an evidence export (GET /e/<id> or /v1/evidence/<id>/export) offline:\n"
          "canonical bytes, bundle signature, checkpoint signature, inclusion proof.\n"
          "KEY is the server's public key as listed by GET /v1/keys: base64, or the vkey.\n"
          "NEWER is a later checkpoint (GET /v1/log/checkpoint) and PROOF the answer of\n"
          "GET /v1/log/proof/consistency?first=<export's size>&second=<NEWER's size>: the\n"
          "export's tree must be a prefix of the newer one.\n"
          "FILE may be - for standard input. Exit 0 only when every check passes.\n",
          out);
}

/* 6: the newer checkpoint is signed by the key for the same log, and the consistency proof
 * leads from the export's signed (size, root) to the newer one's. size 0: the export's own
 * checkpoint did not verify, so nothing can be extended. */
static void
check_newer(struct checks *c, const char *note, size_t note_n, const char *cons, size_t cons_n,
            const struct cp_ed25519_pk *pk, const char *key_name, uint64_t size,
            const struct cp_sha256 *root)
{
    const char *text = NULL;
    size_t text_len = 0;
    bool note_ok = pk != NULL && cp_note_verify(note, note_n, key_name, pk, &text, &text_len);
    char origin[128] = "";
    uint64_t nsize = 0;
    struct cp_sha256 nroot;
    note_ok = note_ok &&
              cp_checkpoint_parse(text, text_len, origin, sizeof(origin), &nsize, &nroot) &&
              strcmp(origin, key_name) == 0;
    char detail[96];
    snprintf(detail, sizeof(detail), "size %llu", (unsigned long long)nsize);
    check(c, note_ok, "newer checkpoint is signed by the key for the same log", detail);

    struct cp_error err;
    cJSON *j = cp_json_parse_object(cons, cons_n, &err);
    const cJSON *proof = j ? cJSON_GetObjectItemCaseSensitive(j, "proof") : NULL;
    const cJSON *first = j ? cJSON_GetObjectItemCaseSensitive(j, "first") : NULL;
    const cJSON *second = j ? cJSON_GetObjectItemCaseSensitive(j, "second") : NULL;
    int64_t f = -1, s = -1;
    struct cp_sha256 path[CP_MERKLE_MAX_PATH];
    size_t np = 0;
    /* The sizes come from the signed checkpoints; the proof file must name the same ones. */
    bool ok = note_ok && size > 0 && proof_path(proof, path, &np) &&
              (first == NULL || (cp_json_get_int(first, &f) && (uint64_t)f == size)) &&
              (second == NULL || (cp_json_get_int(second, &s) && (uint64_t)s == nsize));
    ok = ok && cp_merkle_verify_consistency(size, nsize, root, &nroot, path, np);
    snprintf(detail, sizeof(detail), "tree of %llu is a prefix of the tree of %llu",
             (unsigned long long)size, (unsigned long long)nsize);
    check(c, ok, "the export's checkpoint is consistent with the newer one", detail);
    cJSON_Delete(j);
}

int
cp_cli_verify_run(const struct cp_verify_input *in, struct cp_buf *out)
{
    char *data = in->data;
    size_t n = in->n;
    const char *pubkey = in->pubkey, *newer = in->newer, *cons = in->cons;
    size_t newer_n = in->newer_n, cons_n = in->cons_n;
    /* A saved evidence page holds the export in its data block. */
    static const char mark[] = "<script id=\"export\" type=\"application/json\">";
    char *block = n < MAX_FILE ? strstr(data, mark) : NULL;
    if (block != NULL) {
        block += sizeof(mark) - 1;
        char *end = strstr(block, "</script>");
        if (end != NULL) {
            n = (size_t)(end - block);
            memmove(data, block, n);
            data[n] = '\0';
        }
    }
    struct checks c = {.json = in->json, .text = out};
    cp_buf_putc(&c.out, '[');
    const char *warning = NULL;
    struct cp_error err;
    cJSON *ex = cp_json_parse_object(data, n, &err);
    const cJSON *logj = ex ? cJSON_GetObjectItemCaseSensitive(ex, "log") : NULL;
    const cJSON *sigj = ex ? cJSON_GetObjectItemCaseSensitive(ex, "signature") : NULL;
    const char *bundle = ex ? str(ex, "bundle") : NULL;
    check(&c, ex && bundle && cJSON_IsObject(logj) && cJSON_IsObject(sigj),
          "the file is an evidence export", ex ? NULL : err.message);
    if (c.n_failed)
        goto out;

    /* 1. canonical bytes */
    cJSON *b = cp_json_parse_object(bundle, strlen(bundle), &err);
    struct cp_buf canon = CP_BUF_INIT;
    bool canonical = b && cp_canonical_write(b, &canon, &err) && canon.len == strlen(bundle) &&
                     memcmp(canon.data, bundle, canon.len) == 0;
    check(&c, canonical, "bundle bytes are canonical JSON (RFC 8785)", NULL);
    cp_buf_free(&canon);

    /* 2. hash and id */
    struct cp_sha256 bh;
    cp_crypto_sha256(bundle, strlen(bundle), &bh);
    char bhex[65];
    cp_hex_encode(bh.b, sizeof(bh.b), bhex);
    const char *stated = str(ex, "bundle_sha256");
    check(&c, stated == NULL || strcmp(stated, bhex) == 0, "bundle SHA-256 matches", bhex);
    const char *id = str(ex, "bundle_id");
    check(&c, b && id && str(b, "bundle_id") && strcmp(str(b, "bundle_id"), id) == 0,
          "bundle names the exported bundle id", id);

    /* The key. */
    struct cp_ed25519_pk pk;
    char key_name[128] = "";
    bool have_key = false;
    if (pubkey != NULL) {
        /* Base64 of the 32-byte key first: it may contain '+' too, but is never a valid vkey. */
        have_key = b64_32(pubkey, pk.b);
        if (!have_key) {
            uint8_t type = 0;
            uint32_t kid = 0;
            have_key = cp_note_vkey_parse(pubkey, strlen(pubkey), key_name, sizeof(key_name), &type,
                                          &kid, &pk) &&
                       type == CP_NOTE_TYPE_ED25519;
        }
    } else {
        have_key = b64_32(str(sigj, "public_key"), pk.b);
        warning = "the key was taken from the file itself; pass --pubkey with the key published "
                  "by the server (GET /v1/keys) to rule out a forged file";
    }
    check(&c, have_key, "public key", pubkey ? "given with --pubkey" : "embedded in the file");

    /* 3. bundle signature */
    const char *sig_hex = str(sigj, "value");
    struct cp_ed25519_sig sig;
    bool sig_ok = have_key && sig_hex && strlen(sig_hex) == 128 &&
                  strspn(sig_hex, "0123456789abcdef") == 128 && cp_hex_decode(sig_hex, 128, sig.b);
    if (sig_ok) {
        struct cp_buf msg = CP_BUF_INIT;
        cp_buf_puts(&msg, CP_EVIDENCE_DOMAIN);
        cp_buf_puts(&msg, bundle);
        sig_ok = cp_crypto_ed25519_verify(&pk, msg.data, msg.len, &sig);
        cp_buf_free(&msg);
    }
    check(&c, sig_ok, "bundle signature (Ed25519) verifies", NULL);

    /* 3b. the compliance result follows from the sealed inputs */
    char rdetail[256] = "";
    enum cp_recompute rc =
        b != NULL ? cp_cli_recompute(b, rdetail, sizeof(rdetail)) : CP_RECOMPUTE_INCOMPLETE;
    if (rc == CP_RECOMPUTE_OTHER_RULES)
        skip(&c, "compliance result recomputed from the bundle", rdetail);
    else
        check(&c, rc == CP_RECOMPUTE_MATCH, "compliance result recomputed from the bundle",
              rdetail[0] ? rdetail : NULL);

    /* 4. checkpoint signature */
    const char *origin = str(logj, "origin"), *note = str(logj, "checkpoint");
    if (key_name[0] == '\0' && origin)
        snprintf(key_name, sizeof(key_name), "%s", origin);
    cp_utf8_trim_tail(key_name); /* it is printed: never cut inside a character */
    const char *text = NULL;
    size_t text_len = 0;
    bool note_ok =
        have_key && note && cp_note_verify(note, strlen(note), key_name, &pk, &text, &text_len);
    check(&c, note_ok, "checkpoint is signed by the key", key_name);
    char cp_origin[128] = ""; /* unspecified unless the parse succeeded: printed only then */
    uint64_t size = 0;
    struct cp_sha256 root;
    bool cp_ok =
        note_ok && cp_checkpoint_parse(text, text_len, cp_origin, sizeof(cp_origin), &size, &root);
    check(&c, cp_ok && strcmp(cp_origin, key_name) == 0, "checkpoint names the log",
          cp_ok ? cp_origin : NULL);

    /* 5. inclusion: the leaf is recomputed here; size and root come from the signed note */
    struct cp_buf leaf = CP_BUF_INIT;
    struct cp_sha256 leaf_hash;
    cp_evidence_leaf(bundle, sig_hex ? sig_hex : "", &leaf, &leaf_hash); /* as the server does */
    cp_buf_free(&leaf);
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(logj, "leaf_index");
    const cJSON *proof = cJSON_GetObjectItemCaseSensitive(logj, "inclusion_proof");
    int64_t index = -1;
    struct cp_sha256 path[CP_MERKLE_MAX_PATH];
    size_t np = 0;
    bool proof_ok =
        cp_ok && cp_json_get_int(idx, &index) && index >= 0 && proof_path(proof, path, &np);
    proof_ok =
        proof_ok && cp_merkle_verify_inclusion((uint64_t)index, size, &leaf_hash, path, np, &root);
    char detail[96];
    snprintf(detail, sizeof(detail), "leaf %lld in a tree of %llu", (long long)index,
             (unsigned long long)size);
    check(&c, proof_ok, "bundle is in the log (inclusion proof to the signed root)", detail);
    if (newer != NULL)
        check_newer(&c, newer, newer_n, cons, cons_n, have_key ? &pk : NULL, key_name,
                    cp_ok ? size : 0, &root);
    cJSON_Delete(b);
out:
    if (in->json) {
        cp_buf_putc(&c.out, ']');
        cp_buf_printf(out, "{\"ok\":%s,\"failed\":%d,\"warning\":", c.n_failed ? "false" : "true",
                      c.n_failed);
        if (warning) {
            cJSON *w = cJSON_CreateString(warning);
            char *s = cJSON_PrintUnformatted(w);
            cp_buf_puts(out, s);
            cJSON_free(s);
            cJSON_Delete(w);
        } else {
            cp_buf_puts(out, "null");
        }
        cp_buf_printf(out, ",\"checks\":%s}\n", c.out.data);
    } else {
        if (warning)
            cp_buf_printf(out, "WARNING %s\n", warning);
        cp_buf_printf(out, "%s: %s\n", in->file_name, c.n_failed ? "NOT VERIFIED" : "VERIFIED");
    }
    cp_buf_free(&c.out);
    cJSON_Delete(ex);
    return c.n_failed;
}

int
cp_cli_verify(int argc, char **argv)
{
    const char *file = NULL, *pubkey = NULL, *newer_file = NULL, *cons_file = NULL;
    bool json = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc) {
            pubkey = argv[++i];
        } else if (strncmp(argv[i], "--pubkey=", 9) == 0) {
            pubkey = argv[i] + 9;
        } else if (strcmp(argv[i], "--checkpoint") == 0 && i + 1 < argc) {
            newer_file = argv[++i];
        } else if (strcmp(argv[i], "--consistency") == 0 && i + 1 < argc) {
            cons_file = argv[++i];
        } else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
            if (file != NULL) {
                usage(stderr);
                return 2;
            }
            file = argv[i];
        } else {
            fprintf(stderr, "callproof: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    if (file == NULL || (newer_file == NULL) != (cons_file == NULL)) {
        usage(stderr);
        return 2;
    }
    cp_crypto_init();
    size_t newer_n = 0, cons_n = 0;
    char *newer = NULL, *cons = NULL;
    if (newer_file != NULL) {
        const char *bad = newer_file;
        newer = read_file(newer_file, &newer_n);
        if (newer != NULL && (bad = cons_file, cons = read_file(cons_file, &cons_n)) == NULL) {
            free(newer);
            newer = NULL;
        }
        if (newer == NULL) {
            fprintf(stderr, "callproof: cannot read %s: %s\n", bad, strerror(errno));
            return 2;
        }
    }
    size_t n = 0;
    char *data = read_file(file, &n);
    if (data == NULL) {
        fprintf(stderr, "callproof: cannot read %s: %s\n", file, strerror(errno));
        free(newer);
        free(cons);
        return 2;
    }
    struct cp_verify_input in = {.file_name = file,
                                 .data = data,
                                 .n = n,
                                 .pubkey = pubkey,
                                 .newer = newer,
                                 .newer_n = newer_n,
                                 .cons = cons,
                                 .cons_n = cons_n,
                                 .json = json};
    struct cp_buf report = CP_BUF_INIT;
    int n_failed = cp_cli_verify_run(&in, &report);
    fputs(report.data, stdout);
    cp_buf_free(&report);
    free(data);
    free(newer);
    free(cons);
    return n_failed ? 1 : 0;
}
