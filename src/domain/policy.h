/*
 * Per-tenant policy: the compliance parameters and the evidence retention of one tenant, set in
 * the config file with keys under "tenant.<name>.":
 *
 *   tenant.acme.retention_years = 5                        (TSR telemarketing records)
 *   tenant.acme.compliance.purpose = transactional          (telemarketing by default)
 *   tenant.acme.compliance.ai_identity_window_s = 3         (any integer parameter by name)
 *   tenant.acme.compliance.callback_numbers = +18005550199, +18005550100
 *   tenant.acme.compliance.all_party_states = US-CA, US-WA  (replaces the default list)
 *   tenant.acme.compliance.weight.CONSENT_MISSING = 50      (0..100)
 *   tenant.acme.compliance.enabled.OFFSHORE_DISCLOSURE_MISSING = true
 *
 * Tenants not named use the defaults (cp_compliance_params_default and the server's
 * retention_years). Every key and value is checked when the server starts; a bad one stops it
 * with the key named. Pure: no I/O.
 */
#ifndef CP_DOMAIN_POLICY_H
#define CP_DOMAIN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/compliance.h"

#define CP_POLICY_MAX_TENANTS 32
#define CP_POLICY_TENANT_MAX 64
#define CP_POLICY_MAX_NUMBERS 16

struct cp_tenant_policy {
    char tenant[CP_POLICY_TENANT_MAX + 1];
    int64_t retention_years; /* 0: the server's retention_years */
    struct cp_compliance_params params;
    /* Storage behind params' lists (the pointers are set by cp_policies_finish). */
    char numbers[CP_POLICY_MAX_NUMBERS][20];
    const char *number_ptrs[CP_POLICY_MAX_NUMBERS];
    char states[CP_COMPLIANCE_MAX_STATES][8];
    const char *state_ptrs[CP_COMPLIANCE_MAX_STATES];
    bool own_states; /* all_party_states was set */
};

struct cp_policies {
    struct cp_tenant_policy t[CP_POLICY_MAX_TENANTS];
    size_t n;
};

void cp_policies_init(struct cp_policies *ps);

/*
 * Apply one setting; key is the config key without its "tenant." prefix ("acme.retention_years").
 * False with a message in err (size n) for an unknown setting, a bad value or too many tenants.
 */
bool cp_policies_set(struct cp_policies *ps, const char *key, const char *value, char *err,
                     size_t n);

/* Wire the list pointers and check every tenant's parameters together (hours start < end...).
 * Call once after the last set; ps must not move afterwards. False + err naming the tenant. */
bool cp_policies_finish(struct cp_policies *ps, char *err, size_t n);

/* The policy of this tenant (exact name), or NULL for the defaults. */
const struct cp_tenant_policy *cp_policies_find(const struct cp_policies *ps, const char *tenant);

#endif
