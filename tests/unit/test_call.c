/*
 * Unit tests for the call model rules (domain/call.c) and RFC 3339 handling (core/time.c):
 * the contact-center state mapping, status transitions, E.164 and UUID checks, transcript
 * offsets as HH:MM:SS, and date-time parsing and formatting.
 */
#include "unit.h"

#include "core/time.h"
#include "crypto/crypto.h"
#include "domain/call.h"

static enum cp_call_state
state_of(enum cp_call_status st, enum cp_outcome out)
{
    struct cp_call c;
    cp_call_init(&c);
    c.status = st;
    c.outcome = out;
    return cp_call_state(&c);
}

static void
test_call__state_mapping(void **state)
{
    (void)state;
    assert_int_equal(state_of(CP_ST_NOT_STARTED, CP_OUT_NONE), CP_STATE_NOT_STARTED);
    assert_int_equal(state_of(CP_ST_IN_PROGRESS, CP_OUT_NONE), CP_STATE_IN_PROGRESS);
    /* An outcome only decides the state once the call is over. */
    assert_int_equal(state_of(CP_ST_IN_PROGRESS, CP_OUT_BUSY), CP_STATE_IN_PROGRESS);
    assert_int_equal(state_of(CP_ST_ENDED, CP_OUT_COMPLETED), CP_STATE_COMPLETED);
    assert_int_equal(state_of(CP_ST_ENDED, CP_OUT_BUSY), CP_STATE_BUSY);
    assert_int_equal(state_of(CP_ST_ENDED, CP_OUT_NO_ANSWER), CP_STATE_NO_ANSWER);
    assert_int_equal(state_of(CP_ST_ENDED, CP_OUT_VOICEMAIL), CP_STATE_VOICEMAIL);
    assert_int_equal(state_of(CP_ST_ENDED, CP_OUT_FAILED), CP_STATE_FAILED);
    assert_int_equal(state_of(CP_ST_ENDED, CP_OUT_NONE), CP_STATE_COMPLETED);
    assert_int_equal(state_of(CP_ST_ERROR, CP_OUT_NONE), CP_STATE_FAILED);
    assert_int_equal(state_of(CP_ST_ERROR, CP_OUT_BUSY), CP_STATE_BUSY);

    const char *names[] = {"NotStarted", "InProgress", "Completed", "Busy",
                           "NoAnswer",   "Voicemail",  "Failed"};
    const char *snake[] = {"not_started", "in_progress", "completed", "busy",
                           "no_answer",   "voicemail",   "failed"};
    for (int i = 0; i < 7; i++) {
        enum cp_call_state s;
        assert_string_equal(cp_state_name((enum cp_call_state)i), names[i]);
        assert_true(cp_state_parse(names[i], &s));
        assert_int_equal(s, i);
        assert_string_equal(cp_state_snake_name((enum cp_call_state)i), snake[i]);
        assert_true(cp_state_parse_snake(snake[i], &s));
        assert_int_equal(s, i);
    }
    enum cp_call_state s;
    assert_false(cp_state_parse("completed", &s)); /* each face has its own casing */
    assert_false(cp_state_parse_snake("Completed", &s));
    assert_false(cp_state_parse("", &s));
}

static void
test_call__outcome_vocabularies(void **state)
{
    (void)state;
    enum cp_outcome o;
    assert_string_equal(cp_outcome_cc_name(CP_OUT_COMPLETED), "Successful");
    assert_string_equal(cp_outcome_cc_name(CP_OUT_NO_ANSWER), "NoAnswer");
    assert_null(cp_outcome_cc_name(CP_OUT_NONE));
    assert_true(cp_outcome_parse_any("Successful", &o));
    assert_int_equal(o, CP_OUT_COMPLETED);
    assert_true(cp_outcome_parse_any("voicemail", &o));
    assert_int_equal(o, CP_OUT_VOICEMAIL);
    assert_false(cp_outcome_parse_any("success", &o));
    assert_false(cp_outcome_parse("Successful", &o));
}

static void
test_call__status_moves_forward_only(void **state)
{
    (void)state;
    enum cp_call_status all[] = {CP_ST_NOT_STARTED, CP_ST_IN_PROGRESS, CP_ST_ENDED, CP_ST_ERROR};
    /* allowed[from][to] */
    const bool allowed[4][4] = {
        {true, true, true, true},
        {false, true, true, true},
        {false, false, true, false},
        {false, false, false, true},
    };
    for (int f = 0; f < 4; f++)
        for (int t = 0; t < 4; t++)
            assert_int_equal(cp_status_transition_ok(all[f], all[t]), allowed[f][t]);
}

static void
test_call__e164(void **state)
{
    (void)state;
    const char *good[] = {"+15551234567", "+442071838750", "+4930123456", "+123456789012345",
                          "+12345678"};
    const char *bad[] = {"15551234567",
                         "+05551234567",
                         "+1555123456a",
                         "+1 555 123 4567",
                         "+1234567",
                         "+1234567890123456",
                         "",
                         "+",
                         "anonymous",
                         "+1555-1234567"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (cp_check_e164(good[i]) != NULL)
            fail_msg("refused %s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (cp_check_e164(bad[i]) == NULL)
            fail_msg("accepted '%s'", bad[i]);
    assert_null(cp_check_phone("anonymous"));
    assert_null(cp_check_phone("+15551234567"));
    assert_non_null(cp_check_phone("Anonymous"));
    assert_non_null(strstr(cp_check_phone("x"), "E.164"));
}

static void
test_call__uuid(void **state)
{
    (void)state;
    cp_crypto_init();
    assert_true(cp_uuid_valid("3c90c3cc-0d44-4b50-8888-8dd25736052a"));
    assert_true(cp_uuid_valid("3C90C3CC-0D44-4B50-8888-8DD25736052A"));
    assert_false(cp_uuid_valid("3c90c3cc0d444b5088888dd25736052a"));
    assert_false(cp_uuid_valid("3c90c3cc-0d44-4b50-8888-8dd25736052"));
    assert_false(cp_uuid_valid("3c90c3cc-0d44-4b50-8888-8dd25736052g"));
    assert_false(cp_uuid_valid("<string>"));
    char a[CP_UUID_LEN + 1], b[CP_UUID_LEN + 1];
    cp_uuid_v7(1700000000000, a);
    cp_uuid_v7(1700000000001, b);
    assert_true(cp_uuid_valid(a));
    assert_int_equal(a[14], '7');                  /* version 7 */
    assert_non_null(strchr("89ab", a[19]));        /* RFC 9562 variant */
    assert_memory_equal(a, "018bcfe5-6800-7", 15); /* 1700000000000 = 0x018bcfe56800 */
    assert_true(strcmp(a, b) < 0);                 /* time-ordered */
}

static void
test_call__transcript_offsets(void **state)
{
    (void)state;
    char out[24];
    cp_call_format_offset(0, out);
    assert_string_equal(out, "00:00:00");
    cp_call_format_offset(1000, out);
    assert_string_equal(out, "00:00:01");
    cp_call_format_offset(4999, out); /* truncated, never rounded up */
    assert_string_equal(out, "00:00:04");
    cp_call_format_offset(312000, out);
    assert_string_equal(out, "00:05:12");
    cp_call_format_offset(3600000 + 61000, out);
    assert_string_equal(out, "01:01:01");
    cp_call_format_offset(100LL * 3600000, out);
    assert_string_equal(out, "100:00:00");
    cp_call_format_offset(-5000, out);
    assert_string_equal(out, "00:00:00");
}

static void
test_time__parse_valid(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_true(cp_time_parse_iso("2026-04-10T15:42:00Z", &ms));
    assert_int_equal(ms, 1775835720000LL);
    assert_true(cp_time_parse_iso("2026-04-10T17:42:00+02:00", &ms));
    assert_int_equal(ms, 1775835720000LL);
    assert_true(cp_time_parse_iso("2026-04-10T10:42:00-05:00", &ms));
    assert_int_equal(ms, 1775835720000LL);
    assert_true(cp_time_parse_iso("2026-04-10t15:42:00.5z", &ms));
    assert_int_equal(ms, 1775835720500LL);
    assert_true(cp_time_parse_iso("2026-04-10T15:42:00.123456Z", &ms));
    assert_int_equal(ms, 1775835720123LL);
    assert_true(cp_time_parse_iso("1970-01-01T00:00:00Z", &ms));
    assert_int_equal(ms, 0);
    assert_true(cp_time_parse_iso("2024-02-29T23:59:59Z", &ms)); /* leap day */
    assert_true(cp_time_parse_iso("2000-02-29T00:00:00Z", &ms)); /* 400-year rule */
}

static void
test_time__parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "2026-04-10",
        "2026-04-10 15:42:00Z",
        "2026-04-10T15:42Z",
        "2026-04-10T15:42:00",
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-04-10T24:00:00Z",
        "2026-04-10T15:60:00Z",
        "2026-04-10T15:42:60Z",
        "2026-04-10T15:42:00.Z",
        "2026-04-10T15:42:00+2:00",
        "2026-04-10T15:42:00+24:00",
        "26-04-10T15:42:00Z",
        "2026-04-10T15:42:00Zjunk",
        "1969-12-31T23:59:59Z",
        "",
        "<string>",
    };
    int64_t ms = 42;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cp_time_parse_iso(bad[i], &ms))
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(ms, 42); /* untouched on failure */
    }
    assert_false(cp_time_parse_iso(NULL, &ms));
}

static void
test_time__format_roundtrip(void **state)
{
    (void)state;
    char iso[CP_TIME_ISO_LEN], iso_ms[CP_TIME_ISO_MS_LEN];
    cp_time_format_iso(1775835720999LL, iso);
    assert_string_equal(iso, "2026-04-10T15:42:00Z");
    cp_time_format_iso_ms(1775835720999LL, iso_ms);
    assert_string_equal(iso_ms, "2026-04-10T15:42:00.999Z");
    /* Every day for 130 years round-trips. */
    for (int64_t d = 0; d < 130 * 366; d += 1) {
        int64_t ms = d * 86400000LL + (d % 86400) * 1000;
        int64_t back = -1;
        cp_time_format_iso(ms, iso);
        assert_true(cp_time_parse_iso(iso, &back));
        assert_int_equal(back, ms);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call__state_mapping),
        cmocka_unit_test(test_call__outcome_vocabularies),
        cmocka_unit_test(test_call__status_moves_forward_only),
        cmocka_unit_test(test_call__e164),
        cmocka_unit_test(test_call__uuid),
        cmocka_unit_test(test_call__transcript_offsets),
        cmocka_unit_test(test_time__parse_valid),
        cmocka_unit_test(test_time__parse_rejects),
        cmocka_unit_test(test_time__format_roundtrip),
    };
    return cmocka_run_group_tests_name("call", tests, NULL, NULL);
}
