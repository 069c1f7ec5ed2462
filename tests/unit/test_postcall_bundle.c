/*
 * The evidence bundle's bytes (handlers/postcall_bundle.c): what a post-call signs, byte for
 * byte. Two views, one with every part present (consents found and not, revocations, the held
 * audio, disclosures, rule overrides, findings and notes, escapes, controls and non-ASCII text)
 * and one with every optional part absent, are written and compared with bytes committed in
 * tests/unit/fixtures/: a bundle is evidence for years, so its format may change only on
 * purpose (and verifiers must be told). The bytes are also RFC 8785 canonical: they survive
 * a parse and cp_canonical_write unchanged.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "handlers/postcall_bundle.h"
#include "json/canonical.h"
#include "json/json.h"

#ifndef FIXTURES
#define FIXTURES "tests/unit/fixtures"
#endif

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct cp_buf b = CP_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        cp_buf_append(&b, chunk, n);
    fclose(f);
    cp_buf_putc(&b, '\0');
    return b.data;
}

/* The view's bundle bytes equal the fixture, and are canonical. Set CP_WRITE_FIXTURES=1 to
 * write the fixture instead (then review the diff). */
static void
assert_bundle_bytes(const struct cp_seal_view *v, const char *fixture)
{
    struct cp_buf out = CP_BUF_INIT;
    struct cp_error err;
    assert_true(cp_postcall_bundle_write(v, &out, &err));
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", FIXTURES, fixture);
    if (getenv("CP_WRITE_FIXTURES") != NULL) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(out.data, 1, out.len, f), out.len);
        fclose(f);
    }
    char *want = read_file(path);
    assert_non_null(want);
    assert_string_equal(out.data, want);
    cJSON *parsed = cJSON_ParseWithLength(out.data, out.len);
    assert_non_null(parsed);
    struct cp_buf again = CP_BUF_INIT;
    assert_true(cp_canonical_write(parsed, &again, &err));
    assert_string_equal(again.data, out.data);
    cJSON_Delete(parsed);
    cp_buf_free(&again);
    free(want);
    cp_buf_free(&out);
}

static struct cp_call call_row;

static void
base_view(struct cp_seal_view *v, struct cp_compliance_params *params,
          struct cp_compliance_result *result)
{
    memset(&call_row, 0, sizeof(call_row));
    snprintf(call_row.id, sizeof(call_row.id), "0190f3a2-7b1c-7d4e-8f00-123456789abc");
    *params = cp_compliance_params_default();
    memset(result, 0, sizeof(*result));
    result->score = 100;
    result->rules_version = "2026-11.1";
    *v = (struct cp_seal_view){
        .bundle_id = "ev_0123456789abcdef0123456789abcdef",
        .tenant = "acme",
        .key_id = "0011223344556677",
        .call = &call_row,
        .call_id = "call-42",
        .phone = "+15551234567",
        .entity = "Acme Insurance LLC",
        .params = params,
        .result = result,
        .sealed_ms = 1775835720000,
        .retention_ms = 1964092920000,
    };
    call_row.duration_s = -1;
}

static void
test_postcall_bundle__every_part_present(void **state)
{
    (void)state;
    struct cp_seal_view v;
    struct cp_compliance_params params;
    static struct cp_compliance_result result;
    base_view(&v, &params, &result);
    call_row.started_ms = 1775835600000;
    call_row.ended_ms = 1775835654321; /* milliseconds kept */
    call_row.duration_s = 54;
    v.calling_number = "+15557654321";
    v.outcome = "completed";
    v.audio_url = "https://rec.example.com/a.wav?x=1&y=\"2\"";
    v.transcript = "Agent: Hi, I'm an AI assistant calling from Acme.\n"
                   "Customer: \"Stop\" \\ caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x93\x9e\ttab\x01\x1f";
    static char sha[65];
    cp_crypto_sha256_hex(v.transcript, strlen(v.transcript), sha);
    v.transcript_sha256 = sha;
    static struct cp_compliance_disclosure dis[] = {
        {.type = "ai_identity", .at_seconds = 1, .text = "I'm an AI assistant"},
        {.type = "callback_number", .at_seconds = -1, .text = NULL},
    };
    v.disclosures = dis;
    v.n_disclosures = 2;
    static struct cp_compliance_consent used[2];
    static struct cp_consent used_rows[2];
    used[0] = (struct cp_compliance_consent){.rec = {.id = "cst_lx8k7n3f4g5h6j7k",
                                                     .type = "prior_express_written",
                                                     .scope = "ai_voice,telemarketing",
                                                     .calling_entity = "Acme Insurance LLC",
                                                     .valid = true,
                                                     .captured_ms = 1775001600000,
                                                     .revoked_ms = 0},
                                             .found = true,
                                             .same_tenant = true,
                                             .phone = "+15551234567",
                                             .has_request_text = false};
    used_rows[0] = (struct cp_consent){.record = "{\"consent_id\":\"cst_lx8k7n3f4g5h6j7k\"}",
                                       .signature = "ab01"};
    used[1] = (struct cp_compliance_consent){.rec = {.id = "cst_missing"}, .found = false};
    v.used = used;
    v.used_rows = used_rows;
    v.n_used = 2;
    static struct cp_compliance_consent captured[1];
    static struct cp_consent captured_rows[1];
    captured[0] = (struct cp_compliance_consent){.rec = {.id = "cst_verbal",
                                                         .type = "verbal",
                                                         .scope = "ai_voice",
                                                         .calling_entity = "Acme Insurance LLC",
                                                         .valid = false,
                                                         .captured_ms = 1775835630000,
                                                         .revoked_ms = 1775835640500},
                                                 .found = true,
                                                 .same_tenant = true,
                                                 .phone = "+15551234567",
                                                 .has_request_text = true};
    captured_rows[0] =
        (struct cp_consent){.record = "{\"consent_id\":\"cst_verbal\"}", .signature = "cd02"};
    v.captured = captured;
    v.captured_rows = captured_rows;
    v.n_captured = 1;
    static struct cp_revocation revs[2];
    revs[0] = (struct cp_revocation){.calling_entity = "Acme Insurance LLC",
                                     .scope_all = false,
                                     .revoked_ms = 1775835640500,
                                     .honor_by_ms = 1777050000000,
                                     .call_id = "call-42"};
    snprintf(revs[0].id, sizeof(revs[0].id), "rev_00000000000000000000000000000001");
    revs[1] = (struct cp_revocation){.calling_entity = "Other Co",
                                     .scope_all = true,
                                     .revoked_ms = 1770000000000,
                                     .honor_by_ms = 0,
                                     .call_id = NULL};
    snprintf(revs[1].id, sizeof(revs[1].id), "rev_00000000000000000000000000000002");
    v.revs = revs;
    v.n_revs = 2;
    static struct cp_recording audio;
    audio = (struct cp_recording){.recording_id = "rec-1",
                                  .content_type = "audio/wav",
                                  .size_bytes = 1048576,
                                  .has_audio = true};
    for (size_t i = 0; i < sizeof(audio.sha256.b); i++)
        audio.sha256.b[i] = (uint8_t)(i * 7);
    v.audio = &audio;
    static const char *const cb[] = {"+18005550199"};
    params.callback_numbers = cb;
    params.n_callback_numbers = 1;
    size_t n_rules = 0;
    const struct cp_compliance_rule *rules = cp_compliance_rules(&n_rules);
    assert_true(n_rules >= 3);
    /* Three overrides; the table's first two are not in code order (AI_IDENTITY_MISSING,
     * AI_IDENTITY_LATE), so the bytes hold only if the overrides are sorted. */
    assert_true(strcmp(rules[0].code, rules[1].code) > 0);
    params.weight[0] = rules[0].default_weight + 5;
    params.weight[1] = rules[1].default_weight - 1;
    params.enabled[2] = !rules[2].default_enabled;
    result.score = 62;
    result.n_findings = 2;
    result.findings[0] = (struct cp_compliance_finding){.code = rules[0].code,
                                                        .severity = "critical",
                                                        .rule_ref = "47 CFR 64.1200(b)(1)",
                                                        .points = 30,
                                                        .at_seconds = -1};
    snprintf(result.findings[0].message, sizeof(result.findings[0].message),
             "No \"AI\" identity \xe2\x80\x94 at all");
    result.findings[1] = (struct cp_compliance_finding){.code = rules[1].code,
                                                        .severity = "warning",
                                                        .rule_ref = "ref",
                                                        .points = 8,
                                                        .at_seconds = 12};
    snprintf(result.findings[1].message, sizeof(result.findings[1].message), "late");
    result.n_notes = 1;
    result.notes[0] = (struct cp_compliance_finding){
        .code = rules[2].code, .severity = "info", .rule_ref = "note ref", .at_seconds = 0};
    snprintf(result.notes[0].message, sizeof(result.notes[0].message), "fyi");
    v.supersedes = "ev_ffffffffffffffffffffffffffffffff";
    assert_bundle_bytes(&v, "bundle_full.json");
}

static void
test_postcall_bundle__every_optional_part_absent(void **state)
{
    (void)state;
    struct cp_seal_view v;
    struct cp_compliance_params params;
    static struct cp_compliance_result result;
    base_view(&v, &params, &result);
    assert_bundle_bytes(&v, "bundle_bare.json");
}

/* record_sha256: the hash stored with the consent when there is one (schema 11: the writer
 * thread does not hash the record again), else the SHA-256 of the record. */
static void
test_postcall_bundle__consent_record_hash_stored_or_computed(void **state)
{
    (void)state;
    struct cp_seal_view v;
    struct cp_compliance_params params;
    static struct cp_compliance_result result;
    base_view(&v, &params, &result);
    static struct cp_compliance_consent used[2];
    static struct cp_consent rows[2];
    const char *stored = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592";
    for (size_t i = 0; i < 2; i++)
        used[i] = (struct cp_compliance_consent){.rec = {.id = "cst_x"}, .found = true};
    rows[0] =
        (struct cp_consent){.record = "{\"a\":1}", .signature = "00", .record_sha256 = stored};
    rows[1] = (struct cp_consent){.record = "{\"b\":2}", .signature = "00"};
    v.used = used;
    v.used_rows = rows;
    v.n_used = 2;
    struct cp_buf out = CP_BUF_INIT;
    struct cp_error err;
    assert_true(cp_postcall_bundle_write(&v, &out, &err));
    cJSON *b = cJSON_ParseWithLength(out.data, out.len);
    assert_non_null(b);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(b, "consents_used");
    const cJSON *h0 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0), "record_sha256");
    const cJSON *h1 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 1), "record_sha256");
    assert_true(cJSON_IsString(h0) && cJSON_IsString(h1));
    assert_string_equal(h0->valuestring, stored);
    char hex[65];
    cp_crypto_sha256_hex(rows[1].record, strlen(rows[1].record), hex);
    assert_string_equal(h1->valuestring, hex);
    cJSON_Delete(b);
    cp_buf_free(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_postcall_bundle__every_part_present),
        cmocka_unit_test(test_postcall_bundle__every_optional_part_absent),
        cmocka_unit_test(test_postcall_bundle__consent_record_hash_stored_or_computed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
