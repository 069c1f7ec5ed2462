/*
 * The precall decision (see precall.h for the rules and their legal basis).
 */
#include "domain/precall.h"

#include <string.h>
#include <strings.h>

static const char *const purposes[] = {"telemarketing", "transactional",   "informational",
                                       "survey",        "debt_collection", "appointment_reminder"};
static const char *const call_types[] = {"ai_voice", "human_voice", "automated_voice"};

bool
cp_purpose_parse(const char *s, enum cp_purpose *out)
{
    for (size_t i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++) {
        if (strcmp(s, purposes[i]) == 0) {
            *out = (enum cp_purpose)i;
            return true;
        }
    }
    return false;
}

const char *
cp_purpose_name(enum cp_purpose p)
{
    return (size_t)p < sizeof(purposes) / sizeof(purposes[0]) ? purposes[p] : "unknown";
}

bool
cp_call_type_parse(const char *s, enum cp_call_type *out)
{
    for (size_t i = 0; i < sizeof(call_types) / sizeof(call_types[0]); i++) {
        if (strcmp(s, call_types[i]) == 0) {
            *out = (enum cp_call_type)i;
            return true;
        }
    }
    return false;
}

bool
cp_consent_scope_has(const char *csv, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = csv; p != NULL && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

bool
cp_consent_type_covers(const char *type, enum cp_purpose purpose)
{
    if (type == NULL)
        return false;
    if (purpose == CP_PURPOSE_TELEMARKETING)
        return strcmp(type, "prior_express_written") == 0;
    return strcmp(type, "prior_express_written") == 0 || strcmp(type, "prior_express") == 0 ||
           strcmp(type, "verbal") == 0;
}

bool
cp_consent_lifts(const struct cp_precall_consent *c, const struct cp_precall_revocation *r,
                 const char *calling_entity, int64_t at_ms)
{
    return c->valid && c->calling_entity != NULL && calling_entity != NULL &&
           strcasecmp(c->calling_entity, calling_entity) == 0 && c->captured_ms > r->revoked_ms &&
           c->captured_ms <= at_ms && (c->revoked_ms == 0 || c->revoked_ms > at_ms);
}

static bool
scope_ok(const char *scope, enum cp_purpose purpose, enum cp_call_type type)
{
    if (type == CP_CALL_AI_VOICE)
        return cp_consent_scope_has(scope, "ai_voice");
    if (purpose == CP_PURPOSE_TELEMARKETING)
        return cp_consent_scope_has(scope, "telemarketing");
    return true;
}

void
cp_precall_decide(const char *calling_entity, enum cp_purpose purpose, enum cp_call_type type,
                  int64_t now_ms, const struct cp_precall_consent *consents, size_t n_consents,
                  const struct cp_precall_revocation *revocations, size_t n_revocations,
                  enum cp_hours hours, struct cp_precall_result *out)
{
    memset(out, 0, sizeof(*out));
    out->disclosure_required = type != CP_CALL_HUMAN_VOICE;

    /* 1. A revocation blocks at once, even one dated a little ahead (validation caps that at
     * minutes of clock skew): the consumer has asked. A consent captured after it starts a new
     * relationship and lifts it. Of those in effect the earliest is reported: its honor-by
     * date is the binding deadline. */
    for (size_t i = 0; i < n_revocations; i++) {
        const struct cp_precall_revocation *r = &revocations[i];
        bool applies = r->scope_all || strcasecmp(r->calling_entity, calling_entity) == 0;
        if (!applies)
            continue;
        bool lifted = false;
        for (size_t k = 0; k < n_consents && !lifted; k++)
            lifted = cp_consent_lifts(&consents[k], r, calling_entity, now_ms);
        if (lifted)
            continue;
        if (out->revocation == NULL || r->revoked_ms < out->revocation->revoked_ms)
            out->revocation = r;
    }
    if (out->revocation != NULL) {
        out->reason = "consumer_revoked";
        return;
    }
    /* 2. Calling hours. */
    if (hours == CP_PRECALL_HOURS_OUTSIDE) {
        out->reason = "outside_calling_hours";
        return;
    }
    /* 3. Consent, for artificial and AI voices. */
    if (type == CP_CALL_HUMAN_VOICE) {
        out->allowed = true;
        return;
    }
    bool any = false;
    for (size_t i = 0; i < n_consents; i++) {
        const struct cp_precall_consent *c = &consents[i];
        bool usable = c->valid && strcasecmp(c->calling_entity, calling_entity) == 0 &&
                      c->captured_ms <= now_ms && (c->revoked_ms == 0 || c->revoked_ms > now_ms);
        if (!usable)
            continue;
        any = true;
        if (cp_consent_type_covers(c->type, purpose) && scope_ok(c->scope, purpose, type) &&
            (out->consent == NULL || c->captured_ms > out->consent->captured_ms))
            out->consent = c;
    }
    if (out->consent != NULL) {
        out->allowed = true;
        return;
    }
    out->reason = any ? "ai_consent_missing" : "no_consent";
}
