/*
 * Per-tenant policy from config-file keys (see policy.h for the syntax).
 */
#include "domain/policy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "domain/call.h"
#include "domain/precall.h"

/* The integer parameters, by the name a config key gives them. */
static const struct {
    const char *name;
    size_t offset;
} int_params[] = {
#define P(f)                                                                                       \
    {                                                                                              \
#f, offsetof(struct cp_compliance_params, f)                                               \
    }
    P(ai_identity_window_s),          P(opt_out_after_identity_s),
    P(calling_hours_start),           P(calling_hours_end),
    P(opt_out_end_within_s),          P(duration_tolerance_s),
    P(opt_out_short_utterance_words), P(speech_words_per_minute),
#undef P
};

void
cp_policies_init(struct cp_policies *ps)
{
    memset(ps, 0, sizeof(*ps));
}

/* Split a comma-separated list into trimmed items of at most item_max - 1 bytes each. Calls
 * take(cls, item) for each; false as soon as it does or an item is empty or too long. */
static bool
each_item(const char *v, size_t item_max, bool (*take)(void *, const char *), void *cls)
{
    while (*v != '\0') {
        while (*v == ' ' || *v == '\t')
            v++;
        size_t len = strcspn(v, ",");
        size_t tl = len;
        while (tl > 0 && (v[tl - 1] == ' ' || v[tl - 1] == '\t'))
            tl--;
        if (tl == 0 || tl >= item_max)
            return false;
        char item[64];
        memcpy(item, v, tl);
        item[tl] = '\0';
        if (!take(cls, item))
            return false;
        v += len;
        if (*v == ',')
            v++;
    }
    return true;
}

static bool
take_number(void *cls, const char *item)
{
    struct cp_tenant_policy *t = cls;
    if (t->params.n_callback_numbers >= CP_POLICY_MAX_NUMBERS)
        return false;
    char *out = t->numbers[t->params.n_callback_numbers];
    if (!cp_phone_normalize(item, out, sizeof(t->numbers[0])))
        return false;
    t->params.n_callback_numbers++;
    return true;
}

/* ISO 3166-2 subdivision: two capital letters, '-', one to three capitals or digits. */
static bool
take_state(void *cls, const char *item)
{
    struct cp_tenant_policy *t = cls;
    size_t n = strlen(item);
    bool ok = n >= 4 && n <= 6 && isupper((unsigned char)item[0]) &&
              isupper((unsigned char)item[1]) && item[2] == '-';
    for (size_t i = 3; ok && i < n; i++)
        ok = isupper((unsigned char)item[i]) || isdigit((unsigned char)item[i]);
    if (!ok || t->params.n_all_party_states >= CP_COMPLIANCE_MAX_STATES)
        return false;
    memcpy(t->states[t->params.n_all_party_states++], item, n + 1);
    return true;
}

static struct cp_tenant_policy *
tenant(struct cp_policies *ps, const char *name, size_t len)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strlen(ps->t[i].tenant) == len && memcmp(ps->t[i].tenant, name, len) == 0)
            return &ps->t[i];
    if (ps->n == CP_POLICY_MAX_TENANTS || len == 0 || len > CP_POLICY_TENANT_MAX)
        return NULL;
    struct cp_tenant_policy *t = &ps->t[ps->n++];
    memcpy(t->tenant, name, len);
    t->tenant[len] = '\0';
    t->params = cp_compliance_params_default();
    return t;
}

/* A rule named by code in "weight.<CODE>" / "enabled.<CODE>". */
static int
rule_index(const char *code)
{
    const struct cp_compliance_rule *r = cp_compliance_rule_by_code(code);
    return r == NULL ? -1 : (int)r->id;
}

bool
cp_policies_set(struct cp_policies *ps, const char *key, const char *value, char *err, size_t n)
{
    /* "<tenant>.retention_years" or "<tenant>.compliance.<setting>"; tenant names may hold
     * dots, so the setting is found from the right. */
    const char *setting, *cut;
    size_t kl = strlen(key);
    static const char ret[] = ".retention_years";
    const char *comp = NULL;
    for (const char *p = strstr(key, ".compliance."); p != NULL; p = strstr(p + 1, ".compliance."))
        comp = p;
    if (kl > sizeof(ret) - 1 && strcmp(key + kl - (sizeof(ret) - 1), ret) == 0 &&
        (comp == NULL || comp > key + kl - (sizeof(ret) - 1))) {
        cut = key + kl - (sizeof(ret) - 1);
        setting = "retention_years";
    } else if (comp != NULL) {
        cut = comp;
        setting = comp + 1; /* "compliance.<...>" */
    } else {
        snprintf(err, n,
                 "tenant.%s: unknown tenant setting (use tenant.<name>.retention_years or "
                 "tenant.<name>.compliance.<parameter>)",
                 key);
        return false;
    }
    struct cp_tenant_policy *t = tenant(ps, key, (size_t)(cut - key));
    if (t == NULL) {
        snprintf(err, n, "tenant.%s: bad tenant name, or more than %d tenants", key,
                 CP_POLICY_MAX_TENANTS);
        return false;
    }
    int64_t x = 0;
    if (strcmp(setting, "retention_years") == 0) {
        if (!cp_parse_int(value, 1, 100, &x))
            goto bad;
        t->retention_years = x;
        return true;
    }
    const char *c = setting + strlen("compliance.");
    if (strcmp(c, "purpose") == 0) {
        if (!cp_purpose_parse(value, &t->params.purpose))
            goto bad;
        return true;
    }
    for (size_t i = 0; i < CP_ARRAY_LEN(int_params); i++) {
        if (strcmp(c, int_params[i].name) == 0) {
            if (!cp_parse_int(value, 0, 86400, &x))
                goto bad;
            int v = (int)x;
            memcpy((char *)&t->params + int_params[i].offset, &v, sizeof(v));
            return true;
        }
    }
    if (strcmp(c, "callback_numbers") == 0) {
        t->params.n_callback_numbers = 0;
        if (!each_item(value, 32, take_number, t))
            goto bad;
        return true;
    }
    if (strcmp(c, "all_party_states") == 0) {
        t->params.n_all_party_states = 0;
        t->own_states = true;
        if (!each_item(value, 8, take_state, t))
            goto bad;
        return true;
    }
    if (strncmp(c, "weight.", 7) == 0 && rule_index(c + 7) >= 0) {
        if (!cp_parse_int(value, 0, 100, &x))
            goto bad;
        t->params.weight[rule_index(c + 7)] = (int)x;
        return true;
    }
    if (strncmp(c, "enabled.", 8) == 0 && rule_index(c + 8) >= 0) {
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
            goto bad;
        t->params.enabled[rule_index(c + 8)] = strcmp(value, "true") == 0;
        return true;
    }
    snprintf(err, n, "tenant.%s: unknown compliance setting '%s'", key, c);
    return false;
bad:
    snprintf(err, n, "tenant.%s: bad value '%s'", key, value);
    return false;
}

bool
cp_policies_finish(struct cp_policies *ps, char *err, size_t n)
{
    for (size_t i = 0; i < ps->n; i++) {
        struct cp_tenant_policy *t = &ps->t[i];
        for (size_t k = 0; k < t->params.n_callback_numbers; k++)
            t->number_ptrs[k] = t->numbers[k];
        t->params.callback_numbers = t->number_ptrs;
        if (t->own_states) {
            for (size_t k = 0; k < t->params.n_all_party_states; k++)
                t->state_ptrs[k] = t->states[k];
            t->params.all_party_states = t->state_ptrs;
        }
        const char *field = NULL;
        if (!cp_compliance_params_valid(&t->params, &field)) {
            snprintf(err, n, "tenant.%s.compliance: inconsistent parameters (%s)", t->tenant,
                     field ? field : "?");
            return false;
        }
    }
    return true;
}

const struct cp_tenant_policy *
cp_policies_find(const struct cp_policies *ps, const char *tenant_name)
{
    for (size_t i = 0; ps != NULL && tenant_name != NULL && i < ps->n; i++)
        if (strcmp(ps->t[i].tenant, tenant_name) == 0)
            return &ps->t[i];
    return NULL;
}
