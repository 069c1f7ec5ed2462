/*
 * Fuzz target: `callproof verify`'s input, through cp_cli_verify_run (cli/verify.h), the very
 * function the command runs after reading its files: an evidence export or a saved evidence
 * page, with the canonical re-encoding, the signature checks, the rules rerun on the sealed
 * inputs (cli/recompute.c), the checkpoint note and the Merkle proofs.
 *
 * Input format: up to four parts separated by NUL bytes (an export holds none):
 *     FILE \0 PUBKEY \0 NEWER-CHECKPOINT \0 CONSISTENCY-PROOF
 * FILE is the export or page; PUBKEY, when present and not empty, is --pubkey (else the key
 * embedded in the file is used); NEWER-CHECKPOINT and CONSISTENCY-PROOF, when both present,
 * are the contents of --checkpoint and --consistency.
 *
 * Each input is verified twice, as text and as JSON (--json). Properties:
 *   - both reports agree on the number of failed checks, which is what the function returns;
 *   - the JSON report is strict JSON: "ok" is true exactly when "failed" is 0, "failed" is the
 *     number of checks whose "ok" is false, each check names itself;
 *   - the text report has one PASS, FAIL or SKIP line per check of the JSON report, as many
 *     FAIL lines as failed checks, a WARNING line exactly when the JSON has a warning, and
 *     ends with "<file>: VERIFIED" exactly when nothing failed.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "cli/verify.h"
#include "core/buf.h"
#include "json/json.h"

#define FILE_NAME "fuzz.json"

static size_t
count_lines(const char *text, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_init();
    const uint8_t *part[4] = {data, NULL, NULL, NULL};
    size_t len[4] = {size, 0, 0, 0};
    for (int k = 1; k < 4; k++) {
        const uint8_t *nul = memchr(part[k - 1], '\0', len[k - 1]);
        if (nul == NULL)
            break;
        part[k] = nul + 1;
        len[k] = len[k - 1] - (size_t)(part[k] - part[k - 1]);
        len[k - 1] = (size_t)(nul - part[k - 1]);
    }
    char *pubkey = part[1] && len[1] > 0 ? fz_strndup(part[1], len[1]) : NULL;
    char *newer = part[3] ? fz_strndup(part[2], len[2]) : NULL;
    char *cons = part[3] ? fz_strndup(part[3], len[3]) : NULL;

    struct cp_buf report[2] = {CP_BUF_INIT, CP_BUF_INIT};
    int failed[2];
    for (int json = 0; json < 2; json++) {
        char *file = fz_strndup(part[0], len[0]); /* modified in place: a fresh copy each time */
        struct cp_verify_input in = {.file_name = FILE_NAME,
                                     .data = file,
                                     .n = len[0],
                                     .pubkey = pubkey,
                                     .newer = newer,
                                     .newer_n = newer ? len[2] : 0,
                                     .cons = cons,
                                     .cons_n = cons ? len[3] : 0,
                                     .json = json};
        failed[json] = cp_cli_verify_run(&in, &report[json]);
        free(file);
    }
    const char *text = report[0].data, *js = report[1].data;
    FZ_CHECK(failed[0] == failed[1], "text and JSON reports disagree: %d / %d failed", failed[0],
             failed[1]);
    FZ_CHECK(failed[0] >= 0, "negative failure count");

    struct cp_error err;
    cJSON *j = cp_json_parse_object(js, report[1].len, &err);
    FZ_CHECK(j != NULL, "JSON report refused by the strict parser (%s): %s", err.message, js);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
    const cJSON *nf = cJSON_GetObjectItemCaseSensitive(j, "failed");
    const cJSON *warning = cJSON_GetObjectItemCaseSensitive(j, "warning");
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(j, "checks");
    int64_t n_failed = -1;
    FZ_CHECK(cJSON_IsBool(ok) && cp_json_get_int(nf, &n_failed) && cJSON_IsArray(checks) &&
                 (cJSON_IsNull(warning) || cJSON_IsString(warning)),
             "JSON report shape: %s", js);
    FZ_CHECK(n_failed == failed[1] && cJSON_IsTrue(ok) == (n_failed == 0),
             "JSON report ok/failed do not match: %s", js);
    int64_t n_false = 0;
    for (const cJSON *c = checks->child; c != NULL; c = c->next) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "check");
        const cJSON *c_ok = cJSON_GetObjectItemCaseSensitive(c, "ok");
        FZ_CHECK(cJSON_IsString(name) && (cJSON_IsBool(c_ok) || cJSON_IsNull(c_ok)),
                 "check shape: %s", js);
        n_false += cJSON_IsFalse(c_ok);
    }
    FZ_CHECK(n_false == n_failed, "%lld checks failed, report says %lld", (long long)n_false,
             (long long)n_failed);

    size_t n_checks = (size_t)cJSON_GetArraySize(checks);
    size_t lines =
        count_lines(text, "PASS ") + count_lines(text, "FAIL ") + count_lines(text, "SKIP ");
    FZ_CHECK(lines == n_checks, "text has %zu check lines, JSON %zu checks:\n%s", lines, n_checks,
             text);
    FZ_CHECK(count_lines(text, "FAIL ") == (size_t)n_failed, "FAIL lines != failed:\n%s", text);
    FZ_CHECK(count_lines(text, "WARNING ") == (cJSON_IsString(warning) ? 1u : 0u),
             "WARNING line and JSON warning disagree");
    const char *verdict =
        n_failed == 0 ? "\n" FILE_NAME ": VERIFIED\n" : "\n" FILE_NAME ": NOT VERIFIED\n";
    size_t tl = strlen(text), vl = strlen(verdict);
    FZ_CHECK(tl >= vl && strcmp(text + tl - vl, verdict) == 0, "text verdict wrong:\n%s", text);

    cJSON_Delete(j);
    cp_buf_free(&report[0]);
    cp_buf_free(&report[1]);
    free(pubkey);
    free(newer);
    free(cons);
    return 0;
}
