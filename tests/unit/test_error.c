/* Unit tests for the error catalogue (src/core/errors.def). */
#include "unit.h"

#include "core/error.h"

static void
test_error__codes_are_unique_and_snake_case(void **state)
{
    (void)state;
    for (int i = 1; i < CP_ERR__COUNT; i++) {
        const char *c = cp_err_code((enum cp_err)i);
        assert_non_null(c);
        assert_true(strlen(c) > 0);
        for (const char *p = c; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        for (int j = i + 1; j < CP_ERR__COUNT; j++)
            assert_string_not_equal(c, cp_err_code((enum cp_err)j));
    }
}

static void
test_error__statuses_are_errors_with_hints(void **state)
{
    (void)state;
    for (int i = 1; i < CP_ERR__COUNT; i++) {
        unsigned s = cp_err_status((enum cp_err)i);
        assert_true(s >= 400 && s <= 599);
        assert_true(strlen(cp_err_hint((enum cp_err)i)) > 10);
    }
}

static void
test_error__known_mappings(void **state)
{
    (void)state;
    assert_int_equal(cp_err_status(CP_OK), 200);
    assert_int_equal(cp_err_status(CP_ERR_INVALID_FIELD), 400);
    assert_string_equal(cp_err_code(CP_ERR_INVALID_FIELD), "invalid_field");
    assert_int_equal(cp_err_status(CP_ERR_UNAUTHORIZED), 401);
    assert_int_equal(cp_err_status(CP_ERR_INSUFFICIENT_SCOPE), 403);
    assert_string_equal(cp_err_code(CP_ERR_INSUFFICIENT_SCOPE), "insufficient_scope");
    assert_int_equal(cp_err_status(CP_ERR_METHOD_NOT_ALLOWED), 405);
    assert_int_equal(cp_err_status(CP_ERR_IDEMPOTENCY_IN_PROGRESS), 409);
    assert_string_equal(cp_err_code(CP_ERR_IDEMPOTENCY_KEY_REUSED), "idempotency_key_reused");
    assert_int_equal(cp_err_status(CP_ERR_IDEMPOTENCY_KEY_REUSED), 422);
    assert_int_equal(cp_err_status(CP_ERR_BODY_TOO_LARGE), 413);
    assert_int_equal(cp_err_status(CP_ERR_URL_TOO_LONG), 414);
    assert_int_equal(cp_err_status(CP_ERR_UNSUPPORTED_MEDIA_TYPE), 415);
    /* Out of range never crashes and maps to a 500. */
    assert_int_equal(cp_err_status((enum cp_err)9999), 500);
    assert_string_equal(cp_err_code((enum cp_err)9999), "internal_error");
}

static void
test_error__set_fills_fields(void **state)
{
    (void)state;
    struct cp_error e;
    enum cp_err r = cp_error_set(&e, CP_ERR_INVALID_FIELD, "costs.llm", "Field '%s' bad.", "x");
    assert_int_equal(r, CP_ERR_INVALID_FIELD);
    assert_int_equal(e.code, CP_ERR_INVALID_FIELD);
    assert_string_equal(e.field, "costs.llm");
    assert_string_equal(e.message, "Field 'x' bad.");
    r = cp_error_set(&e, CP_ERR_NOT_FOUND, NULL, "gone");
    assert_string_equal(e.field, "");
    assert_int_equal(cp_error_set(NULL, CP_ERR_CONFLICT, NULL, "x"), CP_ERR_CONFLICT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error__codes_are_unique_and_snake_case),
        cmocka_unit_test(test_error__statuses_are_errors_with_hints),
        cmocka_unit_test(test_error__known_mappings),
        cmocka_unit_test(test_error__set_fills_fields),
    };
    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
