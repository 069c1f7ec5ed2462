/*
 * Recompute a bundle's compliance result (see recompute.h). The bundle's shapes are those
 * handlers/postcall.c seals; every field is read strictly: a missing or mistyped input makes the
 * recomputation INCOMPLETE rather than silently different.
 */
#include "cli/recompute.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "domain/compliance.h"
#include "domain/precall.h"
#include "json/json.h"

struct inputs {
    struct cp_compliance_input in;
    struct cp_compliance_params params;
    struct cp_compliance_disclosure disclosures[CP_COMPLIANCE_MAX_DISCLOSURES];
    struct cp_compliance_consent used[CP_COMPLIANCE_MAX_CONSENTS];
    struct cp_compliance_consent captured[CP_COMPLIANCE_MAX_CONSENTS];
    struct cp_compliance_revocation all[CP_COMPLIANCE_MAX_REVOCATIONS];
    struct cp_compliance_revocation before[CP_COMPLIANCE_MAX_REVOCATIONS];
    struct cp_compliance_revocation during[CP_COMPLIANCE_MAX_REVOCATIONS];
    const char *numbers[CP_COMPLIANCE_MAX_STATES];
    const char *states[CP_COMPLIANCE_MAX_STATES];
    struct cp_buf scopes; /* "a,b\0c\0...": the consents' scope lists, joined */
    size_t scope_off[2 * CP_COMPLIANCE_MAX_CONSENTS];
    struct cp_compliance_result result;
};

static const cJSON *
get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A string member, or NULL for null; *ok cleared when it is absent or another type. */
static const char *
str_or_null(const cJSON *o, const char *k, bool *ok)
{
    const cJSON *v = get(o, k);
    if (cJSON_IsString(v))
        return v->valuestring;
    if (!cJSON_IsNull(v))
        *ok = false;
    return NULL;
}

/* A time member in ms, 0 for null. */
static int64_t
time_or_zero(const cJSON *o, const char *k, bool *ok)
{
    const char *s = str_or_null(o, k, ok);
    int64_t ms = 0;
    if (s != NULL && !cp_time_parse_iso(s, &ms))
        *ok = false;
    return ms;
}

/* An integer member, or dflt for null. */
static int64_t
int_or(const cJSON *o, const char *k, int64_t dflt, bool *ok)
{
    const cJSON *v = get(o, k);
    int64_t x = dflt;
    if (cJSON_IsNull(v))
        return dflt;
    if (!cp_json_get_int(v, &x))
        *ok = false;
    return x;
}

static bool
boolean(const cJSON *o, const char *k, bool *ok)
{
    const cJSON *v = get(o, k);
    if (!cJSON_IsBool(v))
        *ok = false;
    return cJSON_IsTrue(v);
}

static size_t
consents(struct inputs *x, const cJSON *arr, struct cp_compliance_consent *out, size_t base,
         bool *ok)
{
    size_t n = 0;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > CP_COMPLIANCE_MAX_CONSENTS) {
        *ok = false;
        return 0;
    }
    for (const cJSON *c = arr->child; c != NULL; c = c->next, n++) {
        struct cp_compliance_consent *k = &out[n];
        k->rec.id = str_or_null(c, "consent_id", ok);
        k->found = k->same_tenant = boolean(c, "found", ok);
        if (!k->found)
            continue;
        k->phone = str_or_null(c, "phone", ok);
        k->rec.calling_entity = str_or_null(c, "calling_entity", ok);
        k->rec.type = str_or_null(c, "type", ok);
        k->rec.valid = boolean(c, "valid", ok);
        k->rec.captured_ms = time_or_zero(c, "captured_at", ok);
        k->rec.revoked_ms = time_or_zero(c, "revoked_at", ok);
        k->has_request_text = boolean(c, "has_request_text", ok);
        /* The rules read the scope as stored: comma-separated. Offsets, since the buffer
         * may move as it grows; pointers are set once it is complete. Every found consent gets
         * one, an empty scope if it is not a list (then the inputs are not *ok anyway), so no
         * offset is ever taken from a buffer that was never allocated. */
        const cJSON *sc = get(c, "scope");
        if (!cJSON_IsArray(sc))
            *ok = false;
        x->scope_off[base + n] = x->scopes.len;
        for (const cJSON *s = cJSON_IsArray(sc) ? sc->child : NULL; s != NULL; s = s->next) {
            if (!cJSON_IsString(s))
                *ok = false;
            else
                cp_buf_printf(&x->scopes, "%s%s", s == sc->child ? "" : ",", s->valuestring);
        }
        cp_buf_putc(&x->scopes, '\0');
    }
    return n;
}

static void
set_scopes(struct inputs *x, struct cp_compliance_consent *list, size_t n, size_t base)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].found)
            list[i].rec.scope = x->scopes.data + x->scope_off[base + i];
}

static size_t
strings(const cJSON *arr, const char **out, size_t max, bool *ok)
{
    size_t n = 0;
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) > max) {
        *ok = false;
        return 0;
    }
    for (const cJSON *s = arr->child; s != NULL; s = s->next) {
        if (!cJSON_IsString(s))
            *ok = false;
        else
            out[n++] = s->valuestring;
    }
    return n;
}

static void
parameters(struct inputs *x, const cJSON *pj, bool *ok)
{
    struct cp_compliance_params *p = &x->params;
    *p = cp_compliance_params_default();
    const char *purpose = str_or_null(pj, "purpose", ok);
    if (purpose == NULL || !cp_purpose_parse(purpose, &p->purpose))
        *ok = false;
    p->ai_identity_window_s = (int)int_or(pj, "ai_identity_window_s", -1, ok);
    p->opt_out_after_identity_s = (int)int_or(pj, "opt_out_after_identity_s", -1, ok);
    p->calling_hours_start = (int)int_or(pj, "calling_hours_start", -1, ok);
    p->calling_hours_end = (int)int_or(pj, "calling_hours_end", -1, ok);
    p->opt_out_end_within_s = (int)int_or(pj, "opt_out_end_within_s", -1, ok);
    p->duration_tolerance_s = (int)int_or(pj, "duration_tolerance_s", -1, ok);
    p->speech_words_per_minute = (int)int_or(pj, "speech_words_per_minute", -1, ok);
    p->opt_out_short_utterance_words = (int)int_or(pj, "opt_out_short_utterance_words", -1, ok);
    p->n_callback_numbers =
        strings(get(pj, "callback_numbers"), x->numbers, CP_COMPLIANCE_MAX_STATES, ok);
    p->callback_numbers = x->numbers;
    p->n_all_party_states =
        strings(get(pj, "all_party_states"), x->states, CP_COMPLIANCE_MAX_STATES, ok);
    p->all_party_states = x->states;
    const cJSON *ov = get(pj, "rule_overrides");
    if (!cJSON_IsObject(ov)) {
        *ok = false;
        return;
    }
    for (const cJSON *r = ov->child; r != NULL; r = r->next) {
        const struct cp_compliance_rule *rule = cp_compliance_rule_by_code(r->string);
        if (rule == NULL) {
            *ok = false;
            continue;
        }
        p->enabled[rule->id] = boolean(r, "enabled", ok);
        p->weight[rule->id] = (int)int_or(r, "weight", -1, ok);
    }
    const char *bad = NULL;
    if (!cp_compliance_params_valid(p, &bad))
        *ok = false;
}

static bool
gather(struct inputs *x, const cJSON *b)
{
    bool ok = true;
    const cJSON *call = get(b, "call");
    struct cp_compliance_input *in = &x->in;
    in->call_id = str_or_null(call, "call_id", &ok);
    in->calling_entity = str_or_null(call, "calling_entity", &ok);
    in->phone = str_or_null(call, "phone", &ok);
    in->calling_number = str_or_null(call, "calling_number", &ok);
    in->started_ms = time_or_zero(call, "started_at", &ok);
    in->ended_ms = time_or_zero(call, "ended_at", &ok);
    in->duration_s = int_or(call, "duration_seconds", -1, &ok);
    in->outcome = str_or_null(call, "outcome", &ok);
    const cJSON *rec = get(b, "recording");
    in->has_recording = str_or_null(call, "audio_recording_url", &ok) != NULL ||
                        (rec != NULL && !cJSON_IsNull(rec));
    in->full_transcript = str_or_null(get(b, "transcript"), "text", &ok);

    const cJSON *dis = get(b, "disclosures");
    if (!cJSON_IsArray(dis) || cJSON_GetArraySize(dis) > CP_COMPLIANCE_MAX_DISCLOSURES)
        return false;
    for (const cJSON *d = dis->child; d != NULL; d = d->next) {
        struct cp_compliance_disclosure *o = &x->disclosures[in->n_disclosures++];
        o->type = str_or_null(d, "type", &ok);
        o->at_seconds = (int)int_or(d, "at_seconds", -1, &ok);
        o->text = str_or_null(d, "text", &ok);
    }
    in->disclosures = x->disclosures;

    in->n_consents_used = consents(x, get(b, "consents_used"), x->used, 0, &ok);
    in->n_consents_captured =
        consents(x, get(b, "consents_captured"), x->captured, CP_COMPLIANCE_MAX_CONSENTS, &ok);
    set_scopes(x, x->used, in->n_consents_used, 0);
    set_scopes(x, x->captured, in->n_consents_captured, CP_COMPLIANCE_MAX_CONSENTS);
    in->consents_used = x->used;
    in->consents_captured = x->captured;

    const cJSON *rv = get(b, "revocations");
    if (!cJSON_IsArray(rv) || cJSON_GetArraySize(rv) > CP_COMPLIANCE_MAX_REVOCATIONS)
        return false;
    size_t nr = 0;
    for (const cJSON *r = rv->child; r != NULL; r = r->next, nr++) {
        struct cp_compliance_revocation *o = &x->all[nr];
        o->rec.id = str_or_null(r, "revocation_id", &ok);
        o->rec.calling_entity = str_or_null(r, "calling_entity", &ok);
        const char *scope = str_or_null(r, "scope", &ok);
        o->rec.scope_all = scope != NULL && strcmp(scope, "all") == 0;
        o->rec.revoked_ms = time_or_zero(r, "revoked_at", &ok);
        o->rec.honor_by_ms = time_or_zero(r, "honor_by_date", &ok);
        if (get(r, "call_id") == NULL)
            ok = false;
        o->call_id = str_or_null(r, "call_id", &ok);
    }
    cp_compliance_split_revocations(x->all, nr, in->call_id, in->started_ms, x->before,
                                    &in->n_revocations, x->during, &in->n_call_revocations);
    in->revocations = x->before;
    in->call_revocations = x->during;

    const cJSON *comp = get(b, "compliance");
    parameters(x, get(comp, "parameters"), &ok);
    return ok && in->calling_entity != NULL && in->phone != NULL;
}

/* Does the sealed list (findings or notes) say exactly what was recomputed? */
static bool
same_list(const cJSON *arr, const struct cp_compliance_finding *f, size_t n, char *detail,
          size_t dn)
{
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != n) {
        snprintf(detail, dn, "sealed %d entries, recomputed %zu",
                 cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1, n);
        return false;
    }
    size_t i = 0;
    for (const cJSON *o = arr->child; o != NULL; o = o->next, i++) {
        bool ok = true;
        const char *code = str_or_null(o, "code", &ok);
        const char *message = str_or_null(o, "message", &ok);
        int64_t at = int_or(o, "at_seconds", -1, &ok);
        int64_t points = int_or(o, "points", -1, &ok);
        if (!ok || code == NULL || message == NULL || strcmp(code, f[i].code) != 0 ||
            strcmp(message, f[i].message) != 0 || at != f[i].at_seconds || points != f[i].points) {
            snprintf(detail, dn, "entry %zu: sealed %s, recomputed %s", i, code ? code : "?",
                     f[i].code);
            return false;
        }
    }
    return true;
}

enum cp_recompute
cp_cli_recompute(const cJSON *bundle, char *detail, size_t n)
{
    const cJSON *comp = get(bundle, "compliance");
    bool ok = true;
    const char *version = str_or_null(comp, "rules_version", &ok);
    if (version == NULL) {
        snprintf(detail, n, "the bundle names no rules_version");
        return CP_RECOMPUTE_INCOMPLETE;
    }
    if (strcmp(version, CP_COMPLIANCE_RULES_VERSION) != 0) {
        snprintf(detail, n, "sealed under %s; this verifier has %s", version,
                 CP_COMPLIANCE_RULES_VERSION);
        return CP_RECOMPUTE_OTHER_RULES;
    }
    struct inputs *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        snprintf(detail, n, "out of memory");
        return CP_RECOMPUTE_INCOMPLETE;
    }
    enum cp_recompute r = CP_RECOMPUTE_INCOMPLETE;
    if (!gather(x, bundle)) {
        snprintf(detail, n, "an input of the rules is missing or malformed in the bundle");
        goto out;
    }
    cp_compliance_evaluate(&x->in, &x->params, &x->result);
    int64_t sealed = int_or(comp, "score", -1, &ok);
    char diff[160];
    if (sealed != x->result.score) {
        snprintf(detail, n, "sealed score %lld, recomputed %d", (long long)sealed, x->result.score);
        r = CP_RECOMPUTE_DIFFERS;
    } else if (!same_list(get(comp, "findings"), x->result.findings, x->result.n_findings, diff,
                          sizeof(diff))) {
        snprintf(detail, n, "findings differ: %s", diff);
        r = CP_RECOMPUTE_DIFFERS;
    } else if (!same_list(get(comp, "notes"), x->result.notes, x->result.n_notes, diff,
                          sizeof(diff))) {
        snprintf(detail, n, "notes differ: %s", diff);
        r = CP_RECOMPUTE_DIFFERS;
    } else {
        snprintf(detail, n, "score %d, %zu finding(s), %zu note(s) under %s", x->result.score,
                 x->result.n_findings, x->result.n_notes, version);
        r = CP_RECOMPUTE_MATCH;
    }
out:
    cp_buf_free(&x->scopes);
    free(x);
    return r;
}
