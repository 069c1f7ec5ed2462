/*
 * Unit tests for reading back stored JSON without cJSON (json/stored.c) and the call writers
 * that use it (handlers/call_json.c). The property that matters: for text our writer made, the
 * raw path writes exactly the bytes the cJSON path writes, and for any other text it declines,
 * so the cJSON path still decides the reply.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "handlers/call_json.h"
#include "json/stored.h"
#include "json/write.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t
rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static bool
value_whole(const char *text)
{
    struct cp_jstored s;
    cp_jstored_init(&s, text, strlen(text));
    return cp_jstored_value(&s, 0) && cp_jstored_at_end(&s);
}

/* A random string: plain text, every escape the writer makes, U+2028, other UTF-8. */
static void
random_string(char *out, size_t cap)
{
    static const char *const parts[] = {"a",  "Hello", " ", "\"",   "\\",           "\n",
                                        "\r", "\t",    "/", "\x01", "\x1f",         "\x7f",
                                        "é",  "€",     "…", "😀",    "\xe2\x80\xa8", "\xe2\x80\xa9"};
    size_t n = 0, k = rng() % 12;
    for (size_t i = 0; i < k; i++) {
        const char *p = parts[rng() % (sizeof(parts) / sizeof(parts[0]))];
        size_t l = strlen(p);
        if (n + l + 1 > cap)
            break;
        memcpy(out + n, p, l);
        n += l;
    }
    out[n] = '\0';
}

static cJSON *
random_value(int depth)
{
    char s[128];
    switch (rng() % (depth > 3 ? 5 : 7)) {
    case 0:
        random_string(s, sizeof(s));
        return cJSON_CreateString(s);
    case 1: {
        static const double nums[] = {
            0,        1, -1, 42, 0.37, 1e-7, 100, -2.5, 1e21, 123456789012345, 9007199254740992.0,
            0.1 + 0.2};
        return cJSON_CreateNumber(nums[rng() % (sizeof(nums) / sizeof(nums[0]))]);
    }
    case 2:
        return cJSON_CreateNumber((double)(int64_t)(rng() >> 20) - 8e12);
    case 3:
        return rng() % 3 == 0 ? cJSON_CreateNull() : cJSON_CreateBool(rng() % 2);
    case 4:
        return cJSON_CreateNumber((double)rng() / 1e15);
    case 5: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0, n = rng() % 4; i < n; i++)
            cJSON_AddItemToArray(a, random_value(depth + 1));
        return a;
    }
    default: {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0, n = rng() % 4; i < n; i++) {
            random_string(s, 16);
            snprintf(s + strlen(s), sizeof(s) - strlen(s), "%zu", i); /* unique keys */
            cJSON_AddItemToObject(o, s, random_value(depth + 1));
        }
        return o;
    }
    }
}

static void
test_stored__writer_output_is_canonical(void **state)
{
    (void)state;
    /* Whatever the writer makes, the reader takes whole, and cJSON + the writer give back
     * the same bytes: the two halves of why copying a token is safe. */
    for (int i = 0; i < 3000; i++) {
        cJSON *v = random_value(0);
        struct cp_buf a = CP_BUF_INIT, b = CP_BUF_INIT;
        struct cp_jw w;
        cp_jw_init(&w, &a);
        cp_jw_cjson(&w, v);
        if (!value_whole(a.data))
            fail_msg("writer output refused: %s", a.data);
        cJSON *again = cJSON_Parse(a.data);
        assert_non_null(again);
        cp_jw_init(&w, &b);
        cp_jw_cjson(&w, again);
        assert_string_equal(a.data, b.data);
        cJSON_Delete(again);
        cJSON_Delete(v);
        cp_buf_free(&a);
        cp_buf_free(&b);
    }
}

static void
test_stored__string_every_byte_at_every_offset(void **state)
{
    (void)state;
    /* The reader skips plain text 16 bytes (SSE2) or 8 bytes at a time: each byte value at
     * each offset of a 41-byte run (two blocks of 16, a word of 8 and a byte), alone and with
     * a second byte, is read as a whole token exactly when the writer would have written
     * those bytes as they are. */
    for (int c = 0; c < 256; c++) {
        for (size_t at = 0; at < 41; at++) {
            for (int second = 0; second < 2; second++) {
                char raw[41];
                memset(raw, 'm', sizeof(raw));
                raw[at] = (char)c;
                if (second)
                    raw[(at + 9) % 41] = (char)(255 - c);
                struct cp_buf want = CP_BUF_INIT;
                struct cp_jw w;
                cp_jw_init(&w, &want);
                cp_jw_strn(&w, raw, sizeof(raw));
                char token[sizeof(raw) + 2]; /* exactly the token: ASan sees an over-read */
                token[0] = '"';
                memcpy(token + 1, raw, sizeof(raw));
                token[sizeof(raw) + 1] = '"';
                bool as_is = want.len == sizeof(token) && memcmp(want.data, token, want.len) == 0;
                struct cp_jstored st;
                cp_jstored_init(&st, token, sizeof(raw) + 2);
                const char *tok = NULL;
                size_t len = 0;
                bool whole = cp_jstored_string(&st, &tok, &len) && len == sizeof(raw) + 2;
                if (whole != as_is)
                    fail_msg("byte 0x%02x at %zu (second %d): read whole %d, writer as is %d", c,
                             at, second, whole, as_is);
                cp_buf_free(&want);
            }
        }
    }
    /* A raw U+2028 or U+2029 (the writer escapes them) at any offset: never read whole. */
    for (size_t at = 0; at + 3 <= 41; at++) {
        for (int k = 0; k < 2; k++) {
            char token[43];
            memset(token, 'm', sizeof(token));
            token[0] = '"';
            token[42] = '"';
            token[1 + at] = (char)0xe2;
            token[2 + at] = (char)0x80;
            token[3 + at] = (char)(k ? 0xa9 : 0xa8);
            struct cp_jstored st;
            cp_jstored_init(&st, token, 43);
            const char *tok = NULL;
            size_t len = 0;
            if (cp_jstored_string(&st, &tok, &len))
                fail_msg("raw U+%s at %zu read as canonical", k ? "2029" : "2028", at);
        }
    }
}

static void
test_stored__other_forms_declined(void **state)
{
    (void)state;
    static const char *const refused[] = {
        " 1",
        "[1, 2]",
        "{\"a\": 1}",
        "\"\\/\"",
        "\"\\u0041\"",
        "\"\\u001F\"",
        "\"\\u000a\"",
        "\"\\b\"",
        "\"\\u0000\"",
        "\"\xe2\x80\xa8\"",
        "\"\x01\"",
        "\"abc",
        "-0",
        "01",
        "1.0",
        "1e2",
        "100.0",
        "1E+21",
        "0.30000000000000004e0",
        "tru",
        "nul",
        "[1,]",
        "{\"a\"}",
        "[",
        "\"\\ud83d\\ude00\"",
        "1e400",
        "",
        "{\"a\":1,}",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        if (value_whole(refused[i]))
            fail_msg("accepted %s", refused[i]);
    static const char *const taken[] = {
        "1",
        "-1",
        "0",
        "0.37",
        "1e+21",
        "1e-07",
        "0.30000000000000004",
        "9007199254740992",
        "\"\\u001f\\\"\\\\\\n\\u2028\"",
        "[]",
        "{}",
        "{\"\":[null,true,false]}",
        "\"\xe2\x80\xa6\"",
    };
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
        if (!value_whole(taken[i]))
            fail_msg("refused %s", taken[i]);
    /* Integers: at most 15 digits for cp_jstored_int (exact in cJSON's double). */
    struct cp_jstored s;
    int64_t v;
    cp_jstored_init(&s, "999999999999999", 15);
    assert_true(cp_jstored_int(&s, &v));
    assert_int_equal(v, 999999999999999);
    cp_jstored_init(&s, "1000000000000000", 16);
    assert_false(cp_jstored_int(&s, &v));
    cp_jstored_init(&s, "-12,", 4);
    assert_true(cp_jstored_int(&s, &v));
    assert_int_equal(v, -12);
    assert_true(cp_jstored_byte(&s, ','));
    cp_jstored_init(&s, "-999999999999999}", 17);
    assert_true(cp_jstored_int(&s, &v));
    assert_int_equal(v, -999999999999999);
    cp_jstored_init(&s, "0", 1);
    assert_true(cp_jstored_int(&s, &v));
    assert_int_equal(v, 0);
    static const char *const not_ints[] = {
        "99999999999999999999999", "-1000000000000000", "-0", "007", "", "-", "1.5", "2e3"};
    for (size_t i = 0; i < sizeof(not_ints) / sizeof(not_ints[0]); i++) {
        cp_jstored_init(&s, not_ints[i], strlen(not_ints[i]));
        if (cp_jstored_int(&s, &v))
            fail_msg("integer %s taken", not_ints[i]);
    }
}

/* ---- the call writers: raw path against the cJSON path ---- */

/* Write c in the faces that render turns and metadata (Vocode copies metadata as stored). */
static char *
faces(const struct cp_call *c)
{
    struct cp_buf b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &b);
    cp_jw_arr_begin(&w);
    cp_call_write_ovia(&w, c);
    cp_call_write_cc(&w, c);
    cp_jw_arr_end(&w);
    return cp_buf_steal(&b, NULL);
}

static struct cp_call
base_call(void)
{
    struct cp_call c;
    cp_call_init(&c);
    strcpy(c.id, "0191d6a0-0000-7000-8000-000000000001");
    c.started_ms = 1775835720000;
    return c;
}

/*
 * The same turns and metadata stored canonically (raw path) and with a space after each
 * colon (which only cJSON reads): the replies must be equal.
 */
static void
expect_same_reply(const char *turns, const char *metadata)
{
    struct cp_call c = base_call();
    c.turns_json = turns;
    c.metadata_json = metadata;
    char *fast = faces(&c);

    char spaced_turns[4096], spaced_meta[4096];
    size_t o = 0;
    for (const char *p = turns; p != NULL && *p && o + 2 < sizeof(spaced_turns); p++) {
        spaced_turns[o++] = *p;
        if (*p == ',')
            spaced_turns[o++] = ' '; /* between members and items, never inside our strings */
    }
    spaced_turns[o] = '\0';
    o = 0;
    for (const char *p = metadata; p != NULL && *p && o + 2 < sizeof(spaced_meta); p++) {
        if (p == metadata)
            spaced_meta[o++] = ' ';
        spaced_meta[o++] = *p;
    }
    spaced_meta[o] = '\0';
    c.turns_json = turns ? spaced_turns : NULL;
    c.metadata_json = metadata ? spaced_meta : NULL;
    char *slow = faces(&c);
    assert_string_equal(fast, slow);
    free(fast);
    free(slow);
}

static void
test_stored__turns_raw_equals_cjson(void **state)
{
    (void)state;
    expect_same_reply("[]", NULL);
    expect_same_reply("[{\"role\":\"agent\",\"text\":\"Hi\",\"at_ms\":1775835721000}]", NULL);
    expect_same_reply("[{\"role\":null,\"text\":\"\",\"at_ms\":null},"
                      "{\"role\":\"customer\",\"text\":\"a \\\"b\\\" \\\\ \\n\\u001f\\u2028 é\","
                      "\"at_ms\":1775835720123},"
                      "{\"role\":\"agent\",\"text\":\"x\",\"at_ms\":1775835000000},"
                      "{\"role\":\"agent\",\"text\":\"late\",\"at_ms\":1776835720999}]",
                      NULL);
    /* Offsets past 99 hours, and a turn before the start (shown as 00:00:00). */
    expect_same_reply("[{\"role\":\"agent\",\"text\":\"t\",\"at_ms\":2775835720000},"
                      "{\"role\":\"agent\",\"text\":\"t\",\"at_ms\":1}]",
                      NULL);
}

static void
test_stored__metadata_raw_equals_cjson(void **state)
{
    (void)state;
    expect_same_reply(NULL, "{}");
    expect_same_reply(NULL, "{\"crm_id\":\"A-1\",\"tags\":[\"vip\"]}");
    expect_same_reply(NULL, "{\"rule_id\":\"r\",\"call_tag\":null,\"n\":0.37,\"big\":1e+21}");
    expect_same_reply(NULL, "{\"rule_id\":1,\"call_tag\":2,\"call_id_full\":3,"
                            "\"sip_trunk_id\":{\"a\":[1,{\"b\":\"\\u2029\"}]}}");
    expect_same_reply(NULL, "{\"rule_idx\":1,\"\\\"rule_id\":2}");
    expect_same_reply("[{\"role\":\"agent\",\"text\":\"Hi\",\"at_ms\":null}]",
                      "{\"x\":\"y\",\"sip_trunk_id\":\"t\"}");
}

static void
test_stored__cc_object_needs_only_its_fields(void **state)
{
    (void)state;
    /* The contact-center list reads only CP_CALL_FIELDS_CC (domain/call.h): the object must
     * come out the same when every other field is as cp_call_init leaves it. A field added to
     * cp_call_write_cc fails here until the list reads it too. */
    struct cp_call full = base_call();
    full.external_id = "ext";
    full.direction = CP_DIR_OUTBOUND;
    full.status = CP_ST_ENDED;
    full.outcome = CP_OUT_COMPLETED;
    full.from_number = "+15550000001";
    full.to_number = "+15550000002";
    full.campaign_id = "camp";
    full.ended_ms = full.started_ms + 60000;
    full.duration_s = 60;
    full.talk_time_s = 50;
    full.turns_json = "[{\"role\":\"agent\",\"text\":\"Hi\",\"at_ms\":1775835721000}]";
    full.recording_available = true;
    full.epa_json = "{\"state\":\"Completed\"}";
    full.created_ms = 1775835790000;
    full.updated_ms = 1775835795000;
    struct cp_call cc = full;
    full.type = "phone_call";
    full.user_id = "u";
    full.agent_id = "a";
    full.phone_number_id = "p";
    full.agent_name = "Ava";
    full.transcript = "agent: Hi";
    full.recording_url = "https://r.example/1.wav";
    full.analysis_json = "\"x\"";
    full.latency_metrics_json = "\"y\"";
    full.costs_json = "{\"total\":1}";
    full.metadata_json = "{\"crm\":\"x\"}";
    full.telephony_provider = "twilio";
    full.telephony_id = "CA1";
    full.human_detection_result = "human";
    full.do_not_call_result = CP_TRI_TRUE;
    full.hipaa_compliant = true;
    full.on_no_human_answer = "hangup";
    full.error_message = "e";
    struct cp_buf a = CP_BUF_INIT, b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &a);
    cp_call_write_cc(&w, &full);
    cp_jw_init(&w, &b);
    cp_call_write_cc(&w, &cc);
    assert_string_equal(a.data, b.data);
    cp_buf_free(&a);
    cp_buf_free(&b);
}

static void
test_stored__turn_offsets_as_formatted(void **state)
{
    (void)state;
    /* The contact-center turn's "HH:MM:SS" is what cp_call_format_offset writes, on both
     * sides of 10 and 100 hours and for a turn before the start. */
    static const int64_t offsets[] = {
        0, 999, 1000, 59999, 3599999, 36000000, 359999000, 359999999, 360000000, 3600000000, -5000};
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        struct cp_call c = base_call();
        char turns[128], want[48], fmt[24];
        snprintf(turns, sizeof(turns), "[{\"role\":\"agent\",\"text\":\"t\",\"at_ms\":%lld}]",
                 (long long)(c.started_ms + offsets[i]));
        c.turns_json = turns;
        cp_call_format_offset(offsets[i], fmt);
        snprintf(want, sizeof(want), "\"timestamp\":\"%s\"", fmt);
        struct cp_buf b = CP_BUF_INIT;
        struct cp_jw w;
        cp_jw_init(&w, &b);
        cp_call_write_cc(&w, &c);
        if (strstr(b.data, want) == NULL)
            fail_msg("offset %lld: want %s in %s", (long long)offsets[i], want, b.data);
        cp_buf_free(&b);
    }
}

static void
test_stored__other_forms_fall_back(void **state)
{
    (void)state;
    /* Text the raw path declines still comes out as cJSON reads it, and a declined turn list
     * leaves nothing half-written. */
    struct cp_call c = base_call();
    c.turns_json =
        "[{\"role\":\"agent\",\"text\":\"ok\",\"at_ms\":null},"
        "{\"text\":\"\\u0041 key order\",\"role\":\"customer\",\"at_ms\":1775835725000}]";
    c.metadata_json = "{\"a\":\"\\u0041\",\"n\":1.50}";
    char *got = faces(&c);
    assert_non_null(strstr(got, "\"transcript_objects\":[{\"role\":\"agent\",\"content\":\"ok\","
                                "\"timestamp\":null},{\"role\":\"customer\",\"content\":\"A key "
                                "order\",\"timestamp\":\"2026-04-10T15:42:05Z\"}]"));
    assert_non_null(strstr(got, "\"transcript\":[{\"role\":\"agent\",\"text\":\"ok\","
                                "\"timestamp\":null},{\"role\":\"customer\",\"text\":\"A key "
                                "order\",\"timestamp\":\"00:00:05\"}]"));
    assert_non_null(strstr(got, "\"metadata\":{\"rule_id\":null,\"call_tag\":null,"
                                "\"call_id_full\":null,\"sip_trunk_id\":null,\"a\":\"A\","
                                "\"n\":1.5}"));
    /* Unreadable turns: none, as before. */
    c.turns_json = "[{\"role\":\"agent\",\"text\":\"cut";
    c.metadata_json = NULL;
    free(got);
    got = faces(&c);
    assert_non_null(strstr(got, "\"transcript_objects\":[],"));
    assert_non_null(strstr(got, "\"metadata\":{\"rule_id\":null,\"call_tag\":null,"
                                "\"call_id_full\":null,\"sip_trunk_id\":null}"));
    free(got);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stored__writer_output_is_canonical),
        cmocka_unit_test(test_stored__string_every_byte_at_every_offset),
        cmocka_unit_test(test_stored__other_forms_declined),
        cmocka_unit_test(test_stored__turns_raw_equals_cjson),
        cmocka_unit_test(test_stored__metadata_raw_equals_cjson),
        cmocka_unit_test(test_stored__cc_object_needs_only_its_fields),
        cmocka_unit_test(test_stored__turn_offsets_as_formatted),
        cmocka_unit_test(test_stored__other_forms_fall_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
