/*
 * Unit tests for per-tenant policy (domain/policy.c): every kind of key applies to its tenant
 * only, tenant names with dots, list values normalised, and each bad key or value refused with
 * the key named; cp_policies_finish checks the parameters together.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "domain/policy.h"
#include "domain/precall.h"

static struct cp_policies P;

static void
set_ok(const char *key, const char *value)
{
    char err[512] = "";
    if (!cp_policies_set(&P, key, value, err, sizeof(err)))
        print_message("unexpected: %s\n", err);
    assert_true(cp_policies_set(&P, key, value, err, sizeof(err)));
}

static void
set_bad(const char *key, const char *value)
{
    char err[512] = "";
    assert_false(cp_policies_set(&P, key, value, err, sizeof(err)));
    assert_non_null(strstr(err, key));
}

static int
weight_of(const struct cp_tenant_policy *t, const char *code)
{
    return t->params.weight[cp_compliance_rule_by_code(code)->id];
}

static void
test_policy__settings_apply_per_tenant(void **state)
{
    (void)state;
    cp_policies_init(&P);
    set_ok("acme.retention_years", "5");
    set_ok("acme.compliance.purpose", "transactional");
    set_ok("acme.compliance.ai_identity_window_s", "3");
    set_ok("acme.compliance.calling_hours_end", "20");
    set_ok("acme.compliance.callback_numbers", " +1 (800) 555-0199 , +1 800 555 0100");
    set_ok("acme.compliance.all_party_states", "US-CA,US-WA");
    set_ok("acme.compliance.weight.CONSENT_MISSING", "50");
    set_ok("acme.compliance.enabled.OFFSHORE_DISCLOSURE_MISSING", "true");
    set_ok("acme.compliance.enabled.RECORDING_NOTICE_MISSING", "false");
    set_ok("eu.acme.co.retention_years", "7");
    char err[256];
    assert_true(cp_policies_finish(&P, err, sizeof(err)));

    const struct cp_tenant_policy *t = cp_policies_find(&P, "acme");
    assert_non_null(t);
    assert_int_equal(t->retention_years, 5);
    assert_int_equal(t->params.purpose, CP_PURPOSE_TRANSACTIONAL);
    assert_int_equal(t->params.ai_identity_window_s, 3);
    assert_int_equal(t->params.calling_hours_end, 20);
    assert_int_equal(t->params.n_callback_numbers, 2);
    assert_string_equal(t->params.callback_numbers[0], "+18005550199");
    assert_string_equal(t->params.callback_numbers[1], "+18005550100");
    assert_int_equal(t->params.n_all_party_states, 2);
    assert_string_equal(t->params.all_party_states[1], "US-WA");
    assert_int_equal(weight_of(t, "CONSENT_MISSING"), 50);
    assert_true(t->params.enabled[cp_compliance_rule_by_code("OFFSHORE_DISCLOSURE_MISSING")->id]);
    assert_false(t->params.enabled[cp_compliance_rule_by_code("RECORDING_NOTICE_MISSING")->id]);

    /* The rest stays at the defaults. */
    struct cp_compliance_params d = cp_compliance_params_default();
    assert_int_equal(t->params.opt_out_after_identity_s, d.opt_out_after_identity_s);
    assert_int_equal(weight_of(t, "AI_IDENTITY_MISSING"), d.weight[0]);

    /* A dotted tenant name; its settings are its own. */
    const struct cp_tenant_policy *eu = cp_policies_find(&P, "eu.acme.co");
    assert_non_null(eu);
    assert_int_equal(eu->retention_years, 7);
    assert_int_equal(eu->params.purpose, CP_PURPOSE_TELEMARKETING);
    assert_int_equal(eu->params.n_all_party_states, d.n_all_party_states);
    assert_int_equal(weight_of(eu, "CONSENT_MISSING"),
                     d.weight[cp_compliance_rule_by_code("CONSENT_MISSING")->id]);

    /* Names match exactly; others get the defaults (NULL). */
    assert_null(cp_policies_find(&P, "ACME"));
    assert_null(cp_policies_find(&P, "other"));
    assert_null(cp_policies_find(NULL, "acme"));
}

static void
test_policy__bad_keys_and_values_refused(void **state)
{
    (void)state;
    cp_policies_init(&P);
    set_bad("acme", "5");
    set_bad("acme.retention", "5");
    set_bad(".retention_years", "5");
    set_bad("acme.retention_years", "0");
    set_bad("acme.retention_years", "101");
    set_bad("acme.retention_years", "5y");
    set_bad("acme.compliance.purpose", "sales");
    set_bad("acme.compliance.nonsense", "1");
    set_bad("acme.compliance.ai_identity_window_s", "-1");
    set_bad("acme.compliance.ai_identity_window_s", "86401");
    set_bad("acme.compliance.callback_numbers", "+1800555019, nope");
    set_bad("acme.compliance.callback_numbers", "+18005550199,,+18005550100");
    set_bad("acme.compliance.all_party_states", "California");
    set_bad("acme.compliance.weight.NO_SUCH_RULE", "10");
    set_bad("acme.compliance.weight.CONSENT_MISSING", "101");
    set_bad("acme.compliance.enabled.CONSENT_MISSING", "yes");
    char key[80];
    for (int i = 0; i <= CP_POLICY_MAX_TENANTS; i++) {
        snprintf(key, sizeof(key), "t%d.retention_years", i);
        char err[256];
        bool ok = cp_policies_set(&P, key, "5", err, sizeof(err));
        /* "acme" already holds a slot (the refused values above still created it). */
        assert_true(ok == (i < CP_POLICY_MAX_TENANTS - 1));
    }
}

static void
test_policy__finish_checks_parameters_together(void **state)
{
    (void)state;
    cp_policies_init(&P);
    set_ok("acme.compliance.calling_hours_start", "21");
    set_ok("acme.compliance.calling_hours_end", "8");
    char err[256] = "";
    assert_false(cp_policies_finish(&P, err, sizeof(err)));
    assert_non_null(strstr(err, "acme"));
    assert_non_null(strstr(err, "calling_hours_end"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy__settings_apply_per_tenant),
        cmocka_unit_test(test_policy__bad_keys_and_values_refused),
        cmocka_unit_test(test_policy__finish_checks_parameters_together),
    };
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
