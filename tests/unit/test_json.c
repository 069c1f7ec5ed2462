/*
 * Unit tests for the strict JSON layer (src/json/json.c): every way a body can be refused, the
 * exact error message and field, and the edges that cJSON on its own would let through. Inputs
 * are copied into exactly-sized heap buffers so that ASan catches any read past the end.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/arena.h"
#include "json/json.h"

/* Parse a copy of s[0..len) that has no NUL terminator after it. */
static cJSON *
parse_n(const char *s, size_t len, struct cp_error *err)
{
    char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    memset(err, 0, sizeof(*err));
    cJSON *root = cp_json_parse_object(copy, len, err);
    free(copy); /* cJSON copies what it keeps */
    return root;
}

/* For literals, which may hold NUL bytes: sizeof rather than strlen. */
#define PARSE(lit, err) parse_n((lit), sizeof(lit) - 1, (err))

/* The same parse into an arena (cp_json_parse_object_in, as the server parses bodies): it
 * must judge every input exactly as the heap parse does. Returns whether it accepted. */
static bool
parse_in_arena_n(const char *s, size_t len, struct cp_error *err)
{
    char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    memset(err, 0, sizeof(*err));
    struct cp_arena a;
    cp_arena_init(&a);
    cJSON *root = cp_json_parse_object_in(&a, copy, len, err);
    free(copy);
    bool ok = root != NULL;
    if (ok)
        assert_true(cp_arena_contains(&a, root));
    cp_arena_reset(&a);
    return ok;
}

static void
expect_ok_n(const char *s, size_t len)
{
    struct cp_error err;
    cJSON *root = parse_n(s, len, &err);
    if (root == NULL)
        fail_msg("rejected %s: %s", s, err.message);
    assert_true(cJSON_IsObject(root));
    cJSON_Delete(root);
    if (!parse_in_arena_n(s, len, &err))
        fail_msg("rejected in an arena %s: %s", s, err.message);
}
#define EXPECT_OK(lit) expect_ok_n((lit), sizeof(lit) - 1)

/* Expect rejection with exactly this message and field, from both parses. */
static void
expect_error_n(const char *s, size_t len, const char *message, const char *field)
{
    struct cp_error err;
    cJSON *root = parse_n(s, len, &err);
    if (root != NULL) {
        cJSON_Delete(root);
        fail_msg("accepted %s", s);
    }
    assert_int_equal(err.code, CP_ERR_INVALID_JSON);
    assert_string_equal(err.message, message);
    assert_string_equal(err.field, field);
    if (parse_in_arena_n(s, len, &err))
        fail_msg("accepted in an arena %s", s);
    assert_int_equal(err.code, CP_ERR_INVALID_JSON);
    assert_string_equal(err.message, message);
    assert_string_equal(err.field, field);
}
#define EXPECT_ERROR(lit, msg, field) expect_error_n((lit), sizeof(lit) - 1, (msg), (field))

static void
test_json__valid_object(void **state)
{
    (void)state;
    struct cp_error err;
    cJSON *root = PARSE(" {\n\t\"s\": \"h\\u00e9llo \\ud83d\\ude00 \\\"q\\\" \\/\","
                        " \"n\": -12.5e1, \"i\": 42, \"t\": true, \"f\": false, \"z\": null,"
                        " \"a\": [1, [], {}], \"o\": {\"k\": \"\xe2\x82\xac\"}, \"\": 0}\r\n",
                        &err);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "s")->valuestring,
                        "h\xc3\xa9llo \xf0\x9f\x98\x80 \"q\" /");
    assert_true(cJSON_GetObjectItemCaseSensitive(root, "n")->valuedouble == -125.0);
    int64_t i = 0;
    assert_true(cp_json_get_int(cJSON_GetObjectItemCaseSensitive(root, "i"), &i));
    assert_int_equal(i, 42);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "t")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "f")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "z")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "a")), 3);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "o");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "k")->valuestring, "\xe2\x82\xac");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(root, ""));
    cJSON_Delete(root);

    EXPECT_OK("{}");
    EXPECT_OK("{\"a\":{\"b\":{\"c\":[[[\"d\"]]]}}}");
    EXPECT_OK("{\"a\":\"\\u0001 \\t \\n tab\\b\\f\\r\"}");
}

static void
test_json__empty_body(void **state)
{
    (void)state;
    const char *msg = "Request body is empty; expected a JSON object.";
    EXPECT_ERROR("", msg, "");
    EXPECT_ERROR("  \r\n\t ", msg, "");
    struct cp_error err;
    assert_null(cp_json_parse_object(NULL, 0, &err));
    assert_string_equal(err.message, msg);
    /* A NULL error pointer is allowed. */
    assert_null(cp_json_parse_object("[]", 2, NULL));
}

static void
test_json__top_level_must_be_object(void **state)
{
    (void)state;
    const char *msg = "The request body must be a JSON object.";
    EXPECT_ERROR("[]", msg, "");
    EXPECT_ERROR("[{\"a\":1}]", msg, "");
    EXPECT_ERROR("\"str\"", msg, "");
    EXPECT_ERROR("42", msg, "");
    EXPECT_ERROR("true", msg, "");
    EXPECT_ERROR("null", msg, "");
    /* Said at the first token, even if the rest is broken too. */
    EXPECT_ERROR("[1,", msg, "");
    EXPECT_ERROR("1 2", msg, "");
    EXPECT_ERROR("  \"unterminated", msg, "");
}

static void
test_json__syntax_error_names_line_and_column(void **state)
{
    (void)state;
    /* Missing colon on line 3: the 2 is at column 8. */
    EXPECT_ERROR("{\n  \"a\": 1,\n  \"b\"  2\n}", "Invalid JSON at line 3, column 8: expected ':'.",
                 "");
    /* Columns count characters: "\xc3\xa9" is two bytes but one column. */
    EXPECT_ERROR("{\"\xc3\xa9\" 1}", "Invalid JSON at line 1, column 6: expected ':'.", "");
    /* CRLF line ends: the \r is the last column of its line. */
    EXPECT_ERROR("{\r\n\"a\":1,\r\n}", "Invalid JSON at line 3, column 1: expected a string key.",
                 "");
}

static void
test_json__grammar_errors(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"a\":1,}", "Invalid JSON at line 1, column 8: expected a string key.", "");
    EXPECT_ERROR("{\"a\":1 \"b\":2}", "Invalid JSON at line 1, column 8: expected ',' or '}'.", "");
    EXPECT_ERROR("{\"a\":1 2}", "Invalid JSON at line 1, column 8: expected ',' or '}'.", "");
    EXPECT_ERROR("{\"a\":[1,]}", "Invalid JSON at line 1, column 9: expected a value.", "");
    EXPECT_ERROR("{\"a\":[,1]}", "Invalid JSON at line 1, column 7: expected a value or ']'.", "");
    EXPECT_ERROR("{\"a\":[1 2]}", "Invalid JSON at line 1, column 9: expected ',' or ']'.", "");
    EXPECT_ERROR("{1:2}", "Invalid JSON at line 1, column 2: expected a string key or '}'.", "");
    EXPECT_ERROR("{,}", "Invalid JSON at line 1, column 2: expected a string key or '}'.", "");
    EXPECT_ERROR("{\"a\":}", "Invalid JSON at line 1, column 6: expected a value.", "");
    EXPECT_ERROR("{\"a\":1,,\"b\":2}", "Invalid JSON at line 1, column 8: expected a string key.",
                 "");
    EXPECT_ERROR("{\"a\" \"b\"}", "Invalid JSON at line 1, column 6: expected ':'.", "");
    EXPECT_ERROR("{\"a\"::1}", "Invalid JSON at line 1, column 6: expected a value.", "");
    EXPECT_ERROR("{\"a\":true false}", "Invalid JSON at line 1, column 11: expected ',' or '}'.",
                 "");
    EXPECT_ERROR("{\"a\":{]}", "Invalid JSON at line 1, column 7: expected a string key or '}'.",
                 "");
    EXPECT_ERROR("{\"a\":[1,2}}", "Invalid JSON at line 1, column 10: expected ',' or ']'.", "");
    EXPECT_ERROR("{\"a\":1]", "Invalid JSON at line 1, column 7: expected ',' or '}'.", "");
    EXPECT_ERROR(": {}", "Invalid JSON at line 1, column 1: expected a value.", "");
    EXPECT_ERROR("}", "Invalid JSON at line 1, column 1: expected a value.", "");
    EXPECT_ERROR("{\"a\":[1,2]", "Invalid JSON at line 1, column 11: unexpected end of input.", "");
    EXPECT_ERROR("{\"a\"", "Invalid JSON at line 1, column 5: unexpected end of input.", "");
    EXPECT_ERROR("{", "Invalid JSON at line 1, column 2: unexpected end of input.", "");
    EXPECT_OK("{\"a\":[1,[2,{}],{\"b\":[]}],\"c\":{\"d\":null}}");
}

static void
test_json__lexical_errors(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"a\":\"abc", "Invalid JSON at line 1, column 6: unterminated string.", "");
    EXPECT_ERROR("{\"a\":\"abc\\",
                 "Invalid JSON at line 1, column 11: unexpected end of input in a string.", "");
    EXPECT_ERROR("{'a':1}", "Invalid JSON at line 1, column 2: unexpected character.", "");
    EXPECT_ERROR("{\"a\":tru}", "Invalid JSON at line 1, column 6: expected true, false or null.",
                 "");
    EXPECT_ERROR("{\"a\":True}", "Invalid JSON at line 1, column 6: unexpected character.", "");
    EXPECT_ERROR("{\"a\":NaN}", "Invalid JSON at line 1, column 6: unexpected character.", "");
    EXPECT_ERROR("{\"a\":1 /* c */}", "Invalid JSON at line 1, column 8: unexpected character.",
                 "");
    EXPECT_ERROR("{\"a\":\"\\x\"}", "Invalid JSON at line 1, column 7: invalid escape sequence.",
                 "");
    EXPECT_ERROR("{\"a\":\"\\u12G4\"}",
                 "Invalid JSON at line 1, column 7: \\u must be followed by four hex digits.", "");
    EXPECT_ERROR("{\"a\":\"\\u12\"}",
                 "Invalid JSON at line 1, column 7: \\u must be followed by four hex digits.", "");
}

static void
test_json__control_characters_rejected(void **state)
{
    (void)state;
    const char *in_string =
        "Invalid JSON at line 1, column 8: control character in a string (escape it).";
    EXPECT_ERROR("{\"a\":\"x\ny\"}", in_string, "");
    EXPECT_ERROR("{\"a\":\"x\ty\"}", in_string, "");
    EXPECT_ERROR("{\"a\":\"x\0y\"}", in_string, "");
    /* cJSON would take any byte <= 0x20 as whitespace; JSON allows only four. */
    EXPECT_ERROR("{\"a\":\0 1}", "Invalid JSON at line 1, column 6: unexpected character.", "");
    EXPECT_ERROR("{\v}", "Invalid JSON at line 1, column 2: unexpected character.", "");
    EXPECT_ERROR(
        "{\"a\":1}\0",
        "Invalid JSON at line 1, column 8: unexpected data after the end of the JSON value.", "");
}

/*
 * A long string with one byte of interest at every offset from 0 to 47 (so each falls in
 * every lane of a 16- and an 8-byte step, and in the byte-by-byte tail): a control character
 * or a bad UTF-8 byte is found at its exact column, a valid two-byte character or an escape
 * passes.
 */
static void
test_json__long_strings_checked_at_every_offset(void **state)
{
    (void)state;
    enum { N = 48 };
    char buf[128], msg[128];
    for (int pos = 0; pos < N; pos++) {
        char text[N + 2];
        memset(text, 'a', N);
        text[N] = '\0';
        /* {"a":" is 6 bytes: the text starts at column 7. */
        text[pos] = '\x01';
        int len = snprintf(buf, sizeof(buf), "{\"a\":\"%s\"}", text);
        snprintf(msg, sizeof(msg),
                 "Invalid JSON at line 1, column %d: control character in a string (escape it).",
                 7 + pos);
        expect_error_n(buf, (size_t)len, msg, "");

        text[pos] = '\xff';
        len = snprintf(buf, sizeof(buf), "{\"a\":\"%s\"}", text);
        snprintf(msg, sizeof(msg),
                 "Invalid JSON at line 1, column %d: the body is not valid UTF-8.", 7 + pos);
        expect_error_n(buf, (size_t)len, msg, "");

        text[pos] = '\x7f'; /* DEL: printable for JSON, no escape needed */
        len = snprintf(buf, sizeof(buf), "{\"a\":\"%s\"}", text);
        expect_ok_n(buf, (size_t)len);

        memset(text, 'a', N + 1);
        text[pos] = '\xc3'; /* U+00E9, two bytes */
        text[pos + 1] = '\xa9';
        text[N + 1] = '\0';
        len = snprintf(buf, sizeof(buf), "{\"a\":\"%s\"}", text);
        expect_ok_n(buf, (size_t)len);

        text[pos] = '\\'; /* an escaped quote inside the text */
        text[pos + 1] = '"';
        len = snprintf(buf, sizeof(buf), "{\"a\":\"%s\"}", text);
        expect_ok_n(buf, (size_t)len);

        /* The text ends early at a quote: what follows is then out of place. */
        memset(text, 'a', N);
        text[N] = '\0';
        text[pos] = '"';
        len = snprintf(buf, sizeof(buf), "{\"a\":\"%s\"}", text);
        struct cp_error err;
        cJSON *root = parse_n(buf, (size_t)len, &err);
        assert_null(root);
        /* At the last offset the quote closes the string and the next '"' opens one that
         * never closes; before it, the byte after the early quote is out of place. */
        if (pos < N - 1) {
            snprintf(msg, sizeof(msg), "Invalid JSON at line 1, column %d: ", 8 + pos);
            assert_memory_equal(err.message, msg, strlen(msg));
        }
    }
}

static void
test_json__invalid_utf8_rejected(void **state)
{
    (void)state;
    const char *msg = "Invalid JSON at line 1, column 7: the body is not valid UTF-8.";
    EXPECT_ERROR("{\"a\":\"\xc0\xaf\"}", msg, "");         /* overlong '/' */
    EXPECT_ERROR("{\"a\":\"\xe0\x80\xaf\"}", msg, "");     /* overlong, 3 bytes */
    EXPECT_ERROR("{\"a\":\"\xed\xa0\x80\"}", msg, "");     /* U+D800 encoded directly */
    EXPECT_ERROR("{\"a\":\"\xf4\x90\x80\x80\"}", msg, ""); /* U+110000 */
    EXPECT_ERROR("{\"a\":\"\xe2\x82\"}", msg, "");         /* truncated euro sign */
    EXPECT_ERROR("{\"a\":\"\x80\"}", msg, "");             /* lone continuation byte */
    EXPECT_ERROR("{\"a\":\"\xff\"}", msg, "");
    /* Truncated by the end of the buffer itself. */
    EXPECT_ERROR("{\"a\":\"\xf0\x9f\x98", msg, "");
    /* In a key, and outside any string. */
    EXPECT_ERROR("{\"\xc3\x28\":1}",
                 "Invalid JSON at line 1, column 3: the body is not valid UTF-8.", "");
    EXPECT_ERROR("{\xc3}", "Invalid JSON at line 1, column 2: the body is not valid UTF-8.", "");
    /* Valid UTF-8 outside a string is still not JSON. */
    EXPECT_ERROR("{\xc3\xa9}", "Invalid JSON at line 1, column 2: unexpected character.", "");
    EXPECT_OK("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbb\xbf\"}");
}

static void
test_json__utf8_valid_boundaries(void **state)
{
    (void)state;
    static const char *const good[] = {
        "",
        "\x7f",
        "\xc2\x80",
        "\xdf\xbf",
        "\xe0\xa0\x80",
        "\xed\x9f\xbf",
        "\xee\x80\x80",
        "\xef\xbf\xbf",
        "\xf0\x90\x80\x80",
        "\xf4\x8f\xbf\xbf",
    };
    static const char *const bad[] = {
        "\x80",
        "\xbf",
        "\xc0\x80",
        "\xc1\xbf",
        "\xc2",
        "\xc2\x7f",
        "\xe0\x9f\xbf",
        "\xed\xa0\x80",
        "\xed\xbf\xbf",
        "\xe1\x80",
        "\xf0\x8f\xbf\xbf",
        "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80",
        "\xf8\x88\x80\x80\x80",
        "\xfe",
        "\xff",
        "a\xc3",
        "\xe1\x80\xc0",
    };
    for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++)
        assert_true(cp_json_utf8_valid(good[k], strlen(good[k])));
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        if (cp_json_utf8_valid(bad[k], strlen(bad[k])))
            fail_msg("bad[%zu] accepted", k);
    }
    /* U+0000 is valid UTF-8 (JSON refuses it separately); the length, not a NUL, bounds s. */
    assert_true(cp_json_utf8_valid("a\0b", 3));
    assert_true(cp_json_utf8_valid("\xc3\xa9", 1) == false);
    assert_true(cp_json_utf8_valid(NULL, 0));

    /* Long ASCII runs are checked eight bytes at a time: every bad sequence above, and a good
     * one, at every offset from 0 to 24 in 40 ASCII bytes, and a length that ends inside one. */
    for (size_t at = 0; at <= 24; at++) {
        char buf[64];
        memset(buf, 'a', 40);
        buf[40] = '\0';
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
            char b[64];
            memcpy(b, buf, sizeof(b));
            memcpy(b + at, bad[k], strlen(bad[k]));
            if (cp_json_utf8_valid(b, 40))
                fail_msg("bad[%zu] at offset %zu accepted", k, at);
        }
        char g[64];
        memcpy(g, buf, sizeof(g));
        memcpy(g + at, "\xf0\x90\x80\x80", 4);
        assert_true(cp_json_utf8_valid(g, 40));
        assert_false(cp_json_utf8_valid(g, at + 2)); /* cut inside the 4-byte sequence */
    }
}

static void
test_json__bom_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR("\xef\xbb\xbf{}", "Invalid JSON at line 1, column 1: byte order mark not allowed.",
                 "");
}

static void
test_json__nul_escape_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"a\":\"ab\\u0000cd\"}",
                 "Invalid JSON at line 1, column 9: \\u0000 is not allowed in strings.", "");
    EXPECT_ERROR("{\"a\\u0000\":1}",
                 "Invalid JSON at line 1, column 4: \\u0000 is not allowed in strings.", "");
    /* Escaped backslash followed by u0000 is just text. */
    EXPECT_OK("{\"a\":\"\\\\u0000\"}");
}

static void
test_json__lone_surrogates_rejected(void **state)
{
    (void)state;
    const char *msg = "Invalid JSON at line 1, column 7: unpaired UTF-16 surrogate escape.";
    EXPECT_ERROR("{\"a\":\"\\ud800\"}", msg, "");
    EXPECT_ERROR("{\"a\":\"\\udc00\"}", msg, "");
    EXPECT_ERROR("{\"a\":\"\\ud800\\u0041\"}", msg, "");
    EXPECT_ERROR("{\"a\":\"\\ud800\\ud800\"}", msg, "");
    EXPECT_ERROR("{\"a\":\"\\uDBFFx\"}", msg, "");
    EXPECT_ERROR("{\"a\":\"\\udfff\\ud800\"}", msg, "");
    struct cp_error err;
    cJSON *root = PARSE("{\"a\":\"\\uDBFF\\uDFFF\"}", &err);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "a")->valuestring,
                        "\xf4\x8f\xbf\xbf");
    cJSON_Delete(root);
}

/* {"a": followed by n_arrays [ ... ] and the closing }: nesting depth n_arrays + 1. */
static char *
nested(size_t n_arrays, size_t *out_len)
{
    size_t len = 6 + 2 * n_arrays;
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, "{\"a\":", 5);
    memset(s + 5, '[', n_arrays);
    memset(s + 5 + n_arrays, ']', n_arrays);
    s[len - 1] = '}';
    s[len] = '\0';
    *out_len = len;
    return s;
}

static void
test_json__depth_limit(void **state)
{
    (void)state;
    size_t len;
    char *s = nested(CP_JSON_MAX_DEPTH - 1, &len);
    expect_ok_n(s, len);
    free(s);
    s = nested(CP_JSON_MAX_DEPTH, &len);
    /* The 33rd container opens at column 5 + 32 = 37. */
    expect_error_n(s, len, "Invalid JSON at line 1, column 37: nesting deeper than 32 levels.", "");
    free(s);
    /* Objects count as much as arrays. */
    EXPECT_ERROR("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
                 "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
                 "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1",
                 "Invalid JSON at line 1, column 161: nesting deeper than 32 levels.", "");
}

static void
test_json__deep_nesting_rejected_quickly(void **state)
{
    (void)state;
    size_t n = 100000;
    char *s = malloc(n);
    assert_non_null(s);
    memcpy(s, "{\"a\":", 5);
    memset(s + 5, '[', n - 5);
    clock_t t0 = clock();
    expect_error_n(s, n, "Invalid JSON at line 1, column 37: nesting deeper than 32 levels.", "");
    /* Refused at byte 33, not after a walk over the whole body. */
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5);
    free(s);
}

static void
test_json__duplicate_key_top_level(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"a\":1,\"b\":2,\"a\":3}", "Duplicate key 'a' in object.", "a");
    /* Keys are compared after unescaping. */
    EXPECT_ERROR("{\"a\":1,\"\\u0061\":2}", "Duplicate key 'a' in object.", "a");
    /* Null values still count. */
    EXPECT_ERROR("{\"status\":null,\"status\":null}", "Duplicate key 'status' in object.",
                 "status");
    /* Keys differing only in case are different keys. */
    EXPECT_OK("{\"a\":1,\"A\":2}");
}

static void
test_json__duplicate_key_nested_names_path(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"costs\":{\"llm\":1,\"tts\":2,\"llm\":3}}",
                 "Duplicate key 'llm' in object at 'costs'.", "costs.llm");
    EXPECT_ERROR("{\"items\":[{\"name\":1},{},{\"x\":0,\"name\":1,\"name\":2}]}",
                 "Duplicate key 'name' in object at 'items[2]'.", "items[2].name");
    EXPECT_ERROR("{\"a\":[[0,{\"b\":{\"c\":1,\"c\":1}}]]}",
                 "Duplicate key 'c' in object at 'a[0][1].b'.", "a[0][1].b.c");
    /* The same key in sibling objects is fine. */
    EXPECT_OK("{\"a\":{\"x\":1},\"b\":{\"x\":1},\"c\":[{\"x\":1},{\"x\":2}]}");
}

/* {"big":{ m members named keys[0..m-1] }}, each with value 0. */
static size_t
object_of(char *buf, size_t cap, char keys[][16], size_t m)
{
    size_t len = (size_t)snprintf(buf, cap, "{\"big\":{");
    for (size_t k = 0; k < m; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s\"%s\":0", k ? "," : "", keys[k]);
    len += (size_t)snprintf(buf + len, cap - len, "}}");
    assert_true(len < cap);
    return len;
}

/* FNV-1a, as json.c hashes keys: to build keys that all land in one probe chain. */
static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/*
 * Every way find_duplicate checks an object (pairwise up to 8 members, a hash table up to 64,
 * a sort beyond), at and around each boundary: m members exactly, the last repeating the
 * first, or an earlier member repeating one before it while a later pair sorts first, or the
 * same key written with an escape; with plain keys, and with keys whose hashes all collide
 * in the table's 7 low bits (one probe chain, wrapping around the table's end).
 */
static void
test_json__duplicate_key_in_large_object(void **state)
{
    (void)state;
    static const size_t sizes[] = {2, 3, 8, 9, 10, 63, 64, 65, 66, 100};
    static char keys[100][16];
    static char colliding[100][16];
    size_t nc = 0;
    for (unsigned v = 0; nc < 100; v++) {
        char k[16];
        snprintf(k, sizeof(k), "c%u", v);
        if ((fnv1a(k) & 127) == 127)
            memcpy(colliding[nc++], k, sizeof(k));
    }
    char buf[4096], msg[128], field[64];
    for (int set = 0; set < 2; set++) {
        char(*base)[16] = set == 0 ? NULL : colliding;
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            size_t m = sizes[i];
            for (size_t k = 0; k < m; k++) {
                if (base != NULL)
                    memcpy(keys[k], base[k], sizeof(keys[k]));
                else
                    snprintf(keys[k], sizeof(keys[k]), "k%u", (unsigned)(k % 1000));
            }
            expect_ok_n(buf, object_of(buf, sizeof(buf), keys, m));

            char first[16];
            memcpy(first, keys[0], sizeof(first));
            memcpy(keys[m - 1], first, sizeof(first)); /* the last repeats the first */
            snprintf(msg, sizeof(msg), "Duplicate key '%s' in object at 'big'.", first);
            snprintf(field, sizeof(field), "big.%s", first);
            expect_error_n(buf, object_of(buf, sizeof(buf), keys, m), msg, field);

            if (m >= 4) {
                /* Member 2 repeats member 1, and the last repeats member 0 (which may sort
                 * first): the first repetition in document order is reported. */
                char one[16];
                memcpy(one, keys[1], sizeof(one));
                memcpy(keys[2], one, sizeof(one));
                snprintf(msg, sizeof(msg), "Duplicate key '%s' in object at 'big'.", one);
                snprintf(field, sizeof(field), "big.%s", one);
                expect_error_n(buf, object_of(buf, sizeof(buf), keys, m), msg, field);
            }
        }
    }
    /* The same key written two ways, in a hashed object. */
    for (size_t k = 0; k < 20; k++)
        snprintf(keys[k], sizeof(keys[k]), "k%u", (unsigned)(k % 1000));
    snprintf(keys[19], sizeof(keys[19]), "k\\u0030");
    expect_error_n(buf, object_of(buf, sizeof(buf), keys, 20),
                   "Duplicate key 'k0' in object at 'big'.", "big.k0");
}

static void
test_json__integer_range(void **state)
{
    (void)state;
    struct cp_error err;
    int64_t v = 0;
    cJSON *root = PARSE("{\"max\":9007199254740991,\"min\":-9007199254740991}", &err);
    assert_non_null(root);
    assert_true(cp_json_get_int(cJSON_GetObjectItemCaseSensitive(root, "max"), &v));
    assert_true(v == CP_JSON_MAX_SAFE_INT - 1);
    assert_true(cp_json_get_int(cJSON_GetObjectItemCaseSensitive(root, "min"), &v));
    assert_true(v == -(CP_JSON_MAX_SAFE_INT - 1));
    cJSON_Delete(root);
    /* 2^53 itself is where 2^53 + 1 lands, so it is refused too (I-JSON, RFC 7493). */
    EXPECT_ERROR("{\"a\":9007199254740992}",
                 "The number at 'a' is an integral value beyond +-(2^53-1) and cannot be stored "
                 "exactly.",
                 "a");

    const char *msg = "Invalid JSON at line 1, column 6: integer beyond +-9007199254740992 (2^53) "
                      "would lose precision; send it as a string.";
    EXPECT_ERROR("{\"a\":9007199254740993}", msg, "");
    EXPECT_ERROR("{\"a\":-9007199254740993}", msg, "");
    EXPECT_ERROR("{\"a\":10000000000000000}", msg, "");
    EXPECT_ERROR("{\"a\":18446744073709551616}", msg, "");
    EXPECT_ERROR("{\"a\":[1,2,99999999999999999999999999999]}",
                 "Invalid JSON at line 1, column 11: integer beyond +-9007199254740992 (2^53) "
                 "would lose precision; send it as a string.",
                 "");
    /* Spelled with a fraction or an exponent, an integral value past 2^53 still cannot be kept
     * exactly in a double: refused too. Within range, or not integral, such numbers are fine. */
    EXPECT_ERROR("{\"a\":9007199254740993.0}",
                 "The number at 'a' is an integral value beyond +-(2^53-1) and cannot be "
                 "stored exactly.",
                 "a");
    EXPECT_ERROR("{\"b\":1e20}",
                 "The number at 'b' is an integral value beyond +-(2^53-1) and cannot be "
                 "stored exactly.",
                 "b");
    EXPECT_ERROR("{\"x\":[-1E300]}",
                 "The number at 'x[0]' is an integral value beyond +-(2^53-1) and cannot be "
                 "stored exactly.",
                 "x[0]");
    EXPECT_OK("{\"a\":9007199254740991.0,\"b\":1e15,\"c\":-1.5E-300,\"d\":2.5}");
    /* Digits inside strings are text. */
    EXPECT_OK("{\"a\":\"99999999999999999999999\"}");
}

static void
test_json__non_finite_numbers_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"a\":1e400}", "The number at 'a' is too large to represent.", "a");
    EXPECT_ERROR("{\"x\":{\"y\":[0,-1.5E+999]}}",
                 "The number at 'x.y[1]' is too large to represent.", "x.y[1]");
    /* Underflow rounds to zero, which is finite. */
    EXPECT_OK("{\"a\":1e-400}");
}

static void
test_json__number_grammar(void **state)
{
    (void)state;
    struct cp_error err;
    cJSON *root = PARSE("{\"a\":1.5,\"b\":0,\"c\":-0,\"d\":0.25e-1,\"e\":1E+2,\"f\":-7}", &err);
    assert_non_null(root);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "a");
    assert_true(cJSON_IsNumber(a) && a->valuedouble == 1.5);
    assert_true(cJSON_GetObjectItemCaseSensitive(root, "d")->valuedouble == 0.025);
    assert_true(cJSON_GetObjectItemCaseSensitive(root, "e")->valuedouble == 100.0);
    cJSON_Delete(root);

    EXPECT_ERROR("{\"a\":007}",
                 "Invalid JSON at line 1, column 6: leading zeros are not allowed in numbers.", "");
    EXPECT_ERROR("{\"a\":-01}",
                 "Invalid JSON at line 1, column 6: leading zeros are not allowed in numbers.", "");
    EXPECT_ERROR("{\"a\":-}", "Invalid JSON at line 1, column 7: expected a digit.", "");
    EXPECT_ERROR("{\"a\":1.}",
                 "Invalid JSON at line 1, column 8: expected a digit after the decimal point.", "");
    EXPECT_ERROR("{\"a\":1e}",
                 "Invalid JSON at line 1, column 8: expected a digit in the exponent.", "");
    EXPECT_ERROR("{\"a\":1e+}",
                 "Invalid JSON at line 1, column 9: expected a digit in the exponent.", "");
    EXPECT_ERROR("{\"a\":.5}", "Invalid JSON at line 1, column 6: unexpected character.", "");
    EXPECT_ERROR("{\"a\":+1}", "Invalid JSON at line 1, column 6: unexpected character.", "");
    EXPECT_ERROR("{\"a\":0x1F}", "Invalid JSON at line 1, column 7: unexpected character.", "");
    EXPECT_ERROR("{\"a\":1.5.5}", "Invalid JSON at line 1, column 9: unexpected character.", "");
    /* A number ending the buffer. */
    EXPECT_ERROR("{\"a\":12", "Invalid JSON at line 1, column 8: unexpected end of input.", "");
}

static void
test_json__trailing_data_rejected(void **state)
{
    (void)state;
    const char *msg = "unexpected data after the end of the JSON value.";
    char want[128];
    snprintf(want, sizeof(want), "Invalid JSON at line 1, column 9: %s", msg);
    EXPECT_ERROR("{\"a\":1} x", want, "");
    snprintf(want, sizeof(want), "Invalid JSON at line 2, column 1: %s", msg);
    EXPECT_ERROR("{\"a\":1}\n{}", want, "");
    snprintf(want, sizeof(want), "Invalid JSON at line 1, column 4: %s", msg);
    EXPECT_ERROR("{} 1", want, "");
    EXPECT_ERROR("{} \"", want, "");
    EXPECT_ERROR("{} ]", want, "");
    EXPECT_OK("{\"a\":1} \r\n\t ");
}

static void
test_json__get_int(void **state)
{
    (void)state;
    int64_t v = 77;
    assert_false(cp_json_get_int(NULL, &v));
    cJSON *s = cJSON_CreateString("1");
    assert_false(cp_json_get_int(s, &v));
    cJSON_Delete(s);

    struct {
        double d;
        bool ok;
        int64_t want;
    } cases[] = {
        {0.0, true, 0},
        {-0.0, true, 0},
        {1.0, true, 1},
        {-42.0, true, -42},
        {9007199254740992.0, true, CP_JSON_MAX_SAFE_INT},
        {-9007199254740992.0, true, -CP_JSON_MAX_SAFE_INT},
        {9007199254740994.0, false, 0},
        {-9007199254740994.0, false, 0},
        {1e300, false, 0},
        {0.5, false, 0},
        {-1.25, false, 0},
        {1e-300, false, 0},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        cJSON *n = cJSON_CreateNumber(cases[k].d);
        v = 77;
        bool ok = cp_json_get_int(n, &v);
        if (ok != cases[k].ok)
            fail_msg("case %zu (%g): got %d", k, cases[k].d, ok);
        assert_true(v == (ok ? cases[k].want : 77)); /* untouched on failure */
        assert_true(cp_json_get_int(n, NULL) == ok);
        cJSON_Delete(n);
    }
}

/* cJSON allocation hooks that fail the nth call from now (fault injection, SQLite style). */
static long alloc_countdown;

static void *
failing_malloc(size_t n)
{
    if (--alloc_countdown == 0)
        return NULL;
    return malloc(n);
}

static void
test_json__allocation_failure_is_internal_and_leaks_nothing(void **state)
{
    (void)state;
    static const char body[] = "{\"a\":[1,\"x\",{\"k\":null}],\"b\":{\"c\":true,\"d\":\"yz\"}}";
    cJSON_Hooks hooks = {.malloc_fn = failing_malloc, .free_fn = free};
    bool succeeded = false;
    for (long nth = 1; !succeeded && nth < 100; nth++) {
        cJSON_InitHooks(&hooks);
        alloc_countdown = nth;
        struct cp_error err;
        cJSON *root = PARSE(body, &err);
        cJSON_Delete(root);      /* with the hooks that allocated it */
        cp_json_hooks_install(); /* (and restore_hooks after the test, should it fail) */
        if (root != NULL) {
            succeeded = true;
            continue;
        }
        /* Running out of memory is the server's failure, never blamed on the body. */
        assert_int_equal(err.code, CP_ERR_INTERNAL);
    }
    assert_true(succeeded);
}

/* After the allocation-failure test, even one that failed midway: callproof's hooks back. */
static int
restore_hooks(void **state)
{
    (void)state;
    cp_json_hooks_install();
    return 0;
}

/* Every node, key and string of the tree at item lies inside the arena. */
static void
assert_tree_in(const struct cp_arena *a, const cJSON *item)
{
    for (; item != NULL; item = item->next) {
        assert_true(cp_arena_contains(a, item));
        if (item->string != NULL)
            assert_true(cp_arena_contains(a, item->string));
        if (item->valuestring != NULL)
            assert_true(cp_arena_contains(a, item->valuestring));
        assert_tree_in(a, item->child);
    }
}

static void
test_json__arena_parse_keeps_the_tree_in_the_arena(void **state)
{
    (void)state;
    static const char body[] = "{\"call_id\":\"c-1\",\"costs\":{\"llm\":0.5,\"total\":1.25},"
                               "\"transcript_objects\":[{\"role\":\"agent\",\"content\":\"Hi\"}],"
                               "\"metadata\":{\"tags\":[\"vip\",null,true]}}";
    struct cp_arena a;
    cp_arena_init(&a);
    struct cp_error err;
    cJSON *root = cp_json_parse_object_in(&a, body, sizeof(body) - 1, &err);
    assert_non_null(root);
    assert_tree_in(&a, root);
    const cJSON *llm =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "costs"), "llm");
    assert_true(cJSON_IsNumber(llm));
    assert_true(llm->valuedouble == 0.5);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "call_id")->valuestring, "c-1");

    /* Heap and arena items mix both ways; cJSON_Delete frees exactly the heap blocks (ASan and
     * LeakSanitizer check that in `make asan`). */
    cJSON_AddItemToObject(root, "added", cJSON_CreateString("from the heap"));
    cJSON *heap = cJSON_CreateObject();
    cJSON_AddItemToObject(heap, "moved", cJSON_DetachItemFromObject(root, "metadata"));
    cJSON_Delete(heap);
    cJSON_Delete(root);

    /* The parses that follow are on the heap again. */
    cJSON *h = cp_json_parse_object(body, sizeof(body) - 1, &err);
    assert_non_null(h);
    assert_false(cp_arena_contains(&a, h));
    cJSON_Delete(h);
    cp_arena_reset(&a);
}

static void
test_json__arena_parse_errors_are_the_same(void **state)
{
    (void)state;
    struct cp_arena a;
    cp_arena_init(&a);
    static const char dup[] = "{\"a\":{\"b\":1,\"b\":2}}";
    struct cp_error err;
    assert_null(cp_json_parse_object_in(&a, dup, sizeof(dup) - 1, &err));
    assert_int_equal(err.code, CP_ERR_INVALID_JSON);
    assert_string_equal(err.field, "a.b");
    static const char bad[] = "{\"a\":[1,2,}";
    assert_null(cp_json_parse_object_in(&a, bad, sizeof(bad) - 1, &err));
    assert_int_equal(err.code, CP_ERR_INVALID_JSON);
    cp_arena_reset(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json__valid_object),
        cmocka_unit_test(test_json__empty_body),
        cmocka_unit_test(test_json__top_level_must_be_object),
        cmocka_unit_test(test_json__syntax_error_names_line_and_column),
        cmocka_unit_test(test_json__grammar_errors),
        cmocka_unit_test(test_json__lexical_errors),
        cmocka_unit_test(test_json__control_characters_rejected),
        cmocka_unit_test(test_json__invalid_utf8_rejected),
        cmocka_unit_test(test_json__long_strings_checked_at_every_offset),
        cmocka_unit_test(test_json__utf8_valid_boundaries),
        cmocka_unit_test(test_json__bom_rejected),
        cmocka_unit_test(test_json__nul_escape_rejected),
        cmocka_unit_test(test_json__lone_surrogates_rejected),
        cmocka_unit_test(test_json__depth_limit),
        cmocka_unit_test(test_json__deep_nesting_rejected_quickly),
        cmocka_unit_test(test_json__duplicate_key_top_level),
        cmocka_unit_test(test_json__duplicate_key_nested_names_path),
        cmocka_unit_test(test_json__duplicate_key_in_large_object),
        cmocka_unit_test(test_json__integer_range),
        cmocka_unit_test(test_json__non_finite_numbers_rejected),
        cmocka_unit_test(test_json__number_grammar),
        cmocka_unit_test(test_json__trailing_data_rejected),
        cmocka_unit_test(test_json__get_int),
        cmocka_unit_test_teardown(test_json__allocation_failure_is_internal_and_leaks_nothing,
                                  restore_hooks),
        cmocka_unit_test(test_json__arena_parse_keeps_the_tree_in_the_arena),
        cmocka_unit_test(test_json__arena_parse_errors_are_the_same),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
