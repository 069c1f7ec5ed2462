/*
 * Unit tests for the report of `callproof verify` (cp_cli_verify_run, cli/verify.h) on files
 * that fail: whatever a file holds, the report is valid UTF-8, strict JSON with --json, and a
 * forged file cannot add lines to the text report; and the rules rerun (cli/recompute.c) on a
 * malformed bundle. Each case is a finding of fuzz/fuzz_verify.c (inputs in
 * fuzz/corpus/verify/regress-*); the checks that pass on real exports are covered end to end by
 * tests/blackbox/evidence_verify.test.mjs.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/recompute.h"
#include "cli/verify.h"
#include "core/buf.h"
#include "crypto/crypto.h"
#include "domain/compliance.h"
#include "json/json.h"

/* Leave 0xff bytes (never valid UTF-8, never NUL) in the stack the next call will use, so that a
 * local the verifier prints without setting shows up instead of happening to be zero. */
static void __attribute__((noinline)) poison_stack(void)
{
    volatile unsigned char junk[32768];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = 0xff;
}

static int __attribute__((noinline)) run(const char *file, bool json, struct cp_buf *out)
{
    char *data = strdup(file);
    assert_non_null(data);
    struct cp_verify_input in = {
        .file_name = "f.json", .data = data, .n = strlen(data), .json = json};
    poison_stack();
    int failed = cp_cli_verify_run(&in, out);
    free(data);
    return failed;
}

static int
count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

/* Both reports of file: valid UTF-8, the JSON one strict JSON, as many text lines per check as
 * JSON checks. Returns the text report (caller frees). */
static char *
reports(const char *file)
{
    struct cp_buf text = CP_BUF_INIT, js = CP_BUF_INIT;
    int f_text = run(file, false, &text);
    int f_json = run(file, true, &js);
    assert_int_equal(f_text, f_json);
    assert_true(cp_json_utf8_valid(text.data, text.len));
    struct cp_error err;
    cJSON *j = cp_json_parse_object(js.data, js.len, &err);
    if (j == NULL)
        fail_msg("JSON report refused: %s", err.message);
    int n_checks = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "checks"));
    int lines = count_lines(text.data, "PASS ") + count_lines(text.data, "FAIL ") +
                count_lines(text.data, "SKIP ");
    assert_int_equal(lines, n_checks);
    cJSON_Delete(j);
    cp_buf_free(&js);
    return cp_buf_steal(&text, NULL);
}

static void
test_verify__unverified_checkpoint_prints_no_origin(void **state)
{
    (void)state;
    /* No key in the file: the checkpoint cannot verify, so it was never parsed, and the check
     * "checkpoint names the log" once printed the unset origin buffer (stack bytes). */
    char *text = reports("{\"bundle\":\"{}\",\"log\":{\"origin\":\"x\"},\"signature\":{}}");
    assert_non_null(strstr(text, "\nFAIL checkpoint names the log\n"));
    free(text);
}

static void
test_verify__file_cannot_add_report_lines(void **state)
{
    (void)state;
    /* Strings from the file go into details; a newline in them must not start a line. */
    char *text = reports("{\"bundle\":\"{}\",\"bundle_id\":\"x\\nPASS forged\",\"log\":{\"origin\":"
                         "\"y\\nf.json: VERIFIED\"},\"signature\":{}}");
    assert_null(strstr(text, "\nPASS forged"));
    assert_null(strstr(text, "\nf.json: VERIFIED"));
    assert_non_null(strstr(text, "x\\nPASS forged"));
    free(text);
}

static void
test_verify__long_origin_stays_utf8(void **state)
{
    (void)state;
    /* An origin cut to the key name buffer (127 bytes) must not be cut inside a character. */
    char file[512];
    char origin[200];
    memset(origin, 'a', 126);
    strcpy(origin + 126, "\xc3\xa9\xc3\xa9");
    snprintf(file, sizeof(file), "{\"bundle\":\"{}\",\"log\":{\"origin\":\"%s\"},\"signature\":{}}",
             origin);
    free(reports(file));
}

static void
test_verify__recompute_consent_scope_not_a_list(void **state)
{
    (void)state;
    /* A found consent whose scope is not an array, and no other scope: the joined scope buffer
     * was never allocated and its (NULL) start was offset anyway, undefined behaviour caught by
     * UBSan (fuzz/corpus/verify/regress-scope-not-a-list). Now: incomplete, nothing else. */
    cJSON *b = cJSON_Parse("{\"compliance\":{\"rules_version\":\"" CP_COMPLIANCE_RULES_VERSION
                           "\"},\"disclosures\":[],\"consents_used\":[{\"found\":true,"
                           "\"scope\":1}],\"consents_captured\":[],\"revocations\":[]}");
    assert_non_null(b);
    char detail[256];
    assert_int_equal(cp_cli_recompute(b, detail, sizeof(detail)), CP_RECOMPUTE_INCOMPLETE);
    cJSON_Delete(b);
}

int
main(void)
{
    cp_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify__unverified_checkpoint_prints_no_origin),
        cmocka_unit_test(test_verify__file_cannot_add_report_lines),
        cmocka_unit_test(test_verify__long_origin_stays_utf8),
        cmocka_unit_test(test_verify__recompute_consent_scope_not_a_list),
    };
    return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
