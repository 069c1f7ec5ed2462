/*
 * The checks of `callproof verify` as a function over bytes already in memory, so the command
 * (cli/verify.c reads the files and prints), the unit tests and the fuzzer (fuzz/fuzz_verify.c)
 * run exactly the same code. Nothing here reads a file, prints or exits.
 */
#ifndef CP_CLI_VERIFY_H
#define CP_CLI_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

struct cp_verify_input {
    const char *file_name; /* named in the text report's last line */
    /* The export, or an evidence page saved from a browser: data[0..n) followed by a NUL. It
     * is modified in place (a page's data block is moved to the front). Owned by the caller. */
    char *data;
    size_t n;
    const char *pubkey; /* --pubkey: base64 of the Ed25519 key or a vkey; NULL: the file's own */
    /* --checkpoint and --consistency contents (both or neither; NULL: neither). Borrowed. */
    const char *newer;
    size_t newer_n;
    const char *cons;
    size_t cons_n;
    bool json; /* --json: one JSON object instead of PASS/FAIL lines */
};

/*
 * Run every check on in and append the report, exactly as `callproof verify` prints it, to
 * *out (text: one "PASS|FAIL|SKIP <check>[: detail]" line per check, an optional "WARNING"
 * line, then "<file>: VERIFIED|NOT VERIFIED"; JSON: {"ok","failed","warning","checks"}).
 * Any input is accepted: what cannot be read is a failed check, never an abort. libsodium must
 * be initialised (cp_crypto_init). Returns the number of failed checks (0: verified).
 */
int cp_cli_verify_run(const struct cp_verify_input *in, struct cp_buf *out);

#endif
