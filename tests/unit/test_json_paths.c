/*
 * The JSON paths that name a field in 400 replies, now that they are only put together when
 * there is an error (json/json.c keeps a trail of keys and indexes; json/spec.c builds
 * "prefix.name" on failure; call_input.c writes "transcript_objects[i]" by hand). Expected
 * paths come from a reference that builds them step by step, as the code did before, cut at
 * the size of cp_error.field without splitting a UTF-8 character.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/util.h"
#include "handlers/call_input.h"
#include "json/json.h"

#define FIELD_CAP sizeof(((struct cp_error *)0)->field)

/* The old path builder: append ".key" or "[i]" with snprintf, trimming a cut character. */
struct ref_path {
    char s[FIELD_CAP];
    size_t len;
};

static void
ref_push(struct ref_path *p, const char *key, long index)
{
    size_t room = sizeof(p->s) - p->len;
    int n;
    if (key == NULL)
        n = snprintf(p->s + p->len, room, "[%ld]", index);
    else
        n = snprintf(p->s + p->len, room, "%s%s", p->len > 0 ? "." : "", key);
    if (n < 0 || (size_t)n >= room) {
        cp_utf8_trim_tail(p->s);
        p->len = strlen(p->s);
    } else {
        p->len += (size_t)n;
    }
}

static void
expect_error_field(const char *body, const char *want_field)
{
    struct cp_error err;
    memset(&err, 0, sizeof(err));
    cJSON *root = cp_json_parse_object(body, strlen(body), &err);
    if (root != NULL)
        fail_msg("accepted %s", body);
    assert_string_equal(err.field, want_field);
}

static void
test_json_paths__nested_errors(void **state)
{
    (void)state;
    /* A number too large at depth, under objects and arrays, after siblings that are fine. */
    struct ref_path p = {.s = "", .len = 0};
    ref_push(&p, "a", 0);
    ref_push(&p, NULL, 2);
    ref_push(&p, "b", 0);
    ref_push(&p, NULL, 1);
    expect_error_field("{\"z\":[1,{\"q\":2}],\"a\":[0,{},{\"x\":1,\"b\":[3,1e400]}]}", p.s);
    assert_string_equal(p.s, "a[2].b[1]");
    /* A duplicate key: the path of the object, then the key. */
    expect_error_field("{\"a\":[{\"k\":1},{\"k\":1,\"k\":2}]}", "a[1].k");
    /* An error after a deep sibling: the trail of the sibling must not leak into it. */
    expect_error_field("{\"d\":{\"e\":{\"f\":[[1]]}},\"g\":1e400}", "g");
}

static void
test_json_paths__long_paths_cut_like_before(void **state)
{
    (void)state;
    /* Keys of two-byte characters long enough that the path overflows cp_error.field at
     * various places, some of them inside a character. */
    for (int klen = 1; klen < 60; klen += 3) {
        char key[200];
        size_t n = 0;
        for (int i = 0; i < klen; i++) {
            key[n++] = (char)0xc3;
            key[n++] = (char)0xa9; /* é */
        }
        key[n] = '\0';
        char body[4096];
        snprintf(body, sizeof(body), "{\"%s\":{\"%s\":[{\"%s\":[0,1e400]}]}}", key, key, key);
        struct ref_path p = {.s = "", .len = 0};
        ref_push(&p, key, 0);
        ref_push(&p, key, 0);
        ref_push(&p, NULL, 0);
        ref_push(&p, key, 0);
        ref_push(&p, NULL, 1);
        expect_error_field(body, p.s);
    }
}

static void
test_json_paths__spec_and_turn_paths(void **state)
{
    (void)state;
    static const char head[] =
        "{\"user_id\":\"3c90c3cc-0d44-4b50-8888-8dd25736052a\",\"agent_id\":"
        "\"3c90c3cc-0d44-4b50-8888-8dd25736052a\",\"type\":\"phone_call\",\"from_number\":"
        "\"+15551234567\",\"to_number\":\"+15557654321\",\"phone_number_id\":"
        "\"3c90c3cc-0d44-4b50-8888-8dd25736052a\",";
    struct {
        const char *tail, *field, *message;
    } cases[] = {
        {"\"costs\":{\"llm\":-1}}", "costs.llm",
         "Field 'costs.llm' must be a number between 0 and 1000000000000."},
        {"\"costs\":{\"details\":{\"tts_characters\":\"x\"}}}", "costs.details.tts_characters",
         "Field 'costs.details.tts_characters' must be a number between 0 and 1e+15."},
        {"\"transcript_objects\":[{\"content\":\"a\"},{\"content\":\"b\"},{\"content\":\"c\"},"
         "{\"content\":\"d\"},{\"content\":\"e\"},{\"content\":\"f\"},{\"content\":\"g\"},"
         "{\"content\":\"h\"},{\"content\":\"i\"},{\"content\":\"j\"},{\"content\":\"k\"},"
         "{\"content\":\"l\",\"timestamp\":\"yesterday\"}]}",
         "transcript_objects[11].timestamp",
         "Field 'transcript_objects[11].timestamp' must be an ISO 8601 date-time such as "
         "2026-04-10T15:42:00Z."},
        {"\"transcript_objects\":[{\"content\":\"a\"},7]}", "transcript_objects[1]",
         "Field 'transcript_objects[1]' must be an object."},
        {"\"duration\":-5}", "duration",
         "Field 'duration' must be an integer between 0 and "
         "604800."},
        {"\"agent\":{\"name\":\"\"}}", "agent.name",
         "Field 'agent.name' must be a string of 1 to 256 bytes."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[2048];
        snprintf(body, sizeof(body), "%s%s", head, cases[i].tail);
        struct cp_error err;
        memset(&err, 0, sizeof(err));
        cJSON *root = cp_json_parse_object(body, strlen(body), &err);
        if (root == NULL)
            fail_msg("body %zu refused: %s", i, err.message);
        struct cp_arena arena;
        cp_arena_init(&arena);
        struct cp_call_input in;
        enum cp_err e = cp_call_input_parse(root, CP_CALL_CREATE, &arena, &in, &err);
        assert_int_equal(e, CP_ERR_INVALID_FIELD);
        assert_string_equal(err.field, cases[i].field);
        assert_string_equal(err.message, cases[i].message);
        cp_arena_reset(&arena);
        cJSON_Delete(root);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_paths__nested_errors),
        cmocka_unit_test(test_json_paths__long_paths_cut_like_before),
        cmocka_unit_test(test_json_paths__spec_and_turn_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
