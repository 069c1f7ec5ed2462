/*
 * The evidence bundle of a post-call (see postcall_bundle.h).
 */
#include "handlers/postcall_bundle.h"

#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/util.h"
#include "crypto/crypto.h"
#include "domain/precall.h"
#include "json/canonical.h"

/* Members are written in RFC 8785 order (names ASCII, so byte order), which cp_cw checks;
 * tests/unit/test_postcall_bundle.c holds the bytes. */

static void
time_or_null(struct cp_cw *w, const char *name, int64_t ms)
{
    cp_cw_name(w, name);
    if (ms == 0) {
        cp_cw_null(w);
        return;
    }
    char iso[CP_TIME_ISO_MS_LEN];
    cp_cw_strn(w, iso, cp_time_format_iso_auto(ms, iso));
}

static void
int_or_null(struct cp_cw *w, const char *name, int64_t v)
{
    cp_cw_name(w, name);
    if (v >= 0)
        cp_cw_int(w, v);
    else
        cp_cw_null(w);
}

static void
str_member(struct cp_cw *w, const char *name, const char *s) /* NULL: null */
{
    cp_cw_name(w, name);
    cp_cw_str(w, s);
}

static void
findings(struct cp_cw *w, const char *name, const struct cp_compliance_finding *f, size_t n)
{
    cp_cw_name(w, name);
    cp_cw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        cp_cw_obj_begin(w);
        int_or_null(w, "at_seconds", f[i].at_seconds);
        str_member(w, "code", f[i].code);
        str_member(w, "message", f[i].message);
        cp_cw_name(w, "points");
        cp_cw_int(w, f[i].points);
        str_member(w, "rule_ref", f[i].rule_ref);
        str_member(w, "severity", f[i].severity);
        cp_cw_obj_end(w);
    }
    cp_cw_arr_end(w);
}

static void
consent_refs(struct cp_cw *w, const char *name, const struct cp_compliance_consent *cc,
             const struct cp_consent *rows, size_t n)
{
    cp_cw_name(w, name);
    cp_cw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        cp_cw_obj_begin(w);
        if (!cc[i].found) {
            str_member(w, "consent_id", cc[i].rec.id);
            cp_cw_name(w, "found");
            cp_cw_bool(w, false);
            str_member(w, "record_sha256", NULL);
            str_member(w, "signature", NULL);
            cp_cw_obj_end(w);
            continue;
        }
        /* What the rules read of it, as it stood when the call was sealed. */
        str_member(w, "calling_entity", cc[i].rec.calling_entity);
        time_or_null(w, "captured_at", cc[i].rec.captured_ms);
        str_member(w, "consent_id", cc[i].rec.id);
        cp_cw_name(w, "found");
        cp_cw_bool(w, true);
        cp_cw_name(w, "has_request_text");
        cp_cw_bool(w, cc[i].has_request_text);
        str_member(w, "phone", cc[i].phone);
        /* Stored at capture since schema 11; an older row's is computed here. */
        char hex[65];
        const char *stored = rows[i].record_sha256;
        if (stored == NULL || CP_BUG(strlen(stored) != 2 * sizeof(struct cp_sha256))) {
            cp_crypto_sha256_hex(rows[i].record, strlen(rows[i].record), hex);
            stored = hex;
        }
        str_member(w, "record_sha256", stored);
        time_or_null(w, "revoked_at", cc[i].rec.revoked_ms);
        cp_cw_name(w, "scope");
        cp_cw_arr_begin(w);
        for (const char *q = cc[i].rec.scope; q != NULL && *q != '\0';) {
            size_t len = strcspn(q, ",");
            cp_cw_strn(w, q, len < 63 ? len : 63); /* items are short words; 63 bytes kept */
            q += len + (q[len] == ',');
        }
        cp_cw_arr_end(w);
        str_member(w, "signature", rows[i].signature);
        str_member(w, "type", cc[i].rec.type);
        cp_cw_name(w, "valid");
        cp_cw_bool(w, cc[i].rec.valid);
        cp_cw_obj_end(w);
    }
    cp_cw_arr_end(w);
}

static int
code_cmp(const void *a, const void *b)
{
    const struct cp_compliance_rule *const *x = a, *const *y = b;
    return strcmp((*x)->code, (*y)->code);
}

static void
parameters(struct cp_cw *w, const struct cp_compliance_params *p)
{
    cp_cw_name(w, "parameters");
    cp_cw_obj_begin(w);
    cp_cw_name(w, "ai_identity_window_s");
    cp_cw_int(w, p->ai_identity_window_s);
    cp_cw_name(w, "all_party_states");
    cp_cw_arr_begin(w);
    for (size_t i = 0; i < p->n_all_party_states; i++)
        cp_cw_str(w, p->all_party_states[i]);
    cp_cw_arr_end(w);
    cp_cw_name(w, "callback_numbers");
    cp_cw_arr_begin(w);
    for (size_t i = 0; i < p->n_callback_numbers; i++)
        cp_cw_str(w, p->callback_numbers[i]);
    cp_cw_arr_end(w);
    cp_cw_name(w, "calling_hours_end");
    cp_cw_int(w, p->calling_hours_end);
    cp_cw_name(w, "calling_hours_start");
    cp_cw_int(w, p->calling_hours_start);
    cp_cw_name(w, "duration_tolerance_s");
    cp_cw_int(w, p->duration_tolerance_s);
    cp_cw_name(w, "opt_out_after_identity_s");
    cp_cw_int(w, p->opt_out_after_identity_s);
    cp_cw_name(w, "opt_out_end_within_s");
    cp_cw_int(w, p->opt_out_end_within_s);
    cp_cw_name(w, "opt_out_short_utterance_words");
    cp_cw_int(w, p->opt_out_short_utterance_words);
    str_member(w, "purpose", cp_purpose_name(p->purpose));
    /* Rules whose weight or switch differ from the table's defaults: {code: {enabled, weight}},
     * by code. Empty for a tenant without overrides. */
    cp_cw_name(w, "rule_overrides");
    cp_cw_obj_begin(w);
    size_t n_rules = 0, n = 0;
    const struct cp_compliance_rule *rules = cp_compliance_rules(&n_rules);
    const struct cp_compliance_rule *changed[CP_CR_COUNT];
    CP_ASSERT(n_rules <= CP_ARRAY_LEN(changed));
    for (size_t i = 0; i < n_rules; i++)
        if (p->enabled[i] != rules[i].default_enabled || p->weight[i] != rules[i].default_weight)
            changed[n++] = &rules[i];
    qsort(changed, n, sizeof(*changed), code_cmp);
    for (size_t k = 0; k < n; k++) {
        size_t i = (size_t)(changed[k] - rules);
        cp_cw_name(w, rules[i].code);
        cp_cw_obj_begin(w);
        cp_cw_name(w, "enabled");
        cp_cw_bool(w, p->enabled[i]);
        cp_cw_name(w, "weight");
        cp_cw_int(w, p->weight[i]);
        cp_cw_obj_end(w);
    }
    cp_cw_obj_end(w);
    cp_cw_name(w, "speech_words_per_minute");
    cp_cw_int(w, p->speech_words_per_minute);
    cp_cw_obj_end(w);
}

bool
cp_postcall_bundle_write(const struct cp_seal_view *v, struct cp_buf *out, struct cp_error *err)
{
    struct cp_cw w;
    cp_cw_init(&w, out, err);
    cp_cw_obj_begin(&w);
    str_member(&w, "bundle_id", v->bundle_id);

    cp_cw_name(&w, "call");
    cp_cw_obj_begin(&w);
    str_member(&w, "audio_recording_url", v->audio_url);
    str_member(&w, "call_id", v->call_id);
    str_member(&w, "calling_entity", v->entity);
    str_member(&w, "calling_number", v->calling_number);
    int_or_null(&w, "duration_seconds", v->call->duration_s);
    time_or_null(&w, "ended_at", v->call->ended_ms);
    str_member(&w, "id", v->call->id);
    str_member(&w, "outcome", v->outcome);
    str_member(&w, "phone", v->phone);
    time_or_null(&w, "started_at", v->call->started_ms);
    cp_cw_obj_end(&w);

    cp_cw_name(&w, "compliance");
    cp_cw_obj_begin(&w);
    findings(&w, "findings", v->result->findings, v->result->n_findings);
    findings(&w, "notes", v->result->notes, v->result->n_notes);
    /* The parameters the rules ran with, so the score can be recomputed from the bundle. */
    parameters(&w, v->params);
    str_member(&w, "rules_version", v->result->rules_version);
    cp_cw_name(&w, "score");
    cp_cw_int(&w, v->result->score);
    cp_cw_obj_end(&w);

    consent_refs(&w, "consents_captured", v->captured, v->captured_rows, v->n_captured);
    consent_refs(&w, "consents_used", v->used, v->used_rows, v->n_used);

    cp_cw_name(&w, "disclosures");
    cp_cw_arr_begin(&w);
    for (size_t i = 0; i < v->n_disclosures; i++) {
        cp_cw_obj_begin(&w);
        int_or_null(&w, "at_seconds", v->disclosures[i].at_seconds);
        str_member(&w, "text", v->disclosures[i].text);
        str_member(&w, "type", v->disclosures[i].type);
        cp_cw_obj_end(&w);
    }
    cp_cw_arr_end(&w);

    str_member(&w, "key_id", v->key_id);
    cp_cw_name(&w, "recording");
    if (v->audio != NULL) {
        char hex[65];
        cp_hex_encode(v->audio->sha256.b, sizeof(v->audio->sha256.b), hex);
        cp_cw_obj_begin(&w);
        str_member(&w, "content_type", v->audio->content_type);
        str_member(&w, "recording_id", v->audio->recording_id);
        str_member(&w, "sha256", hex);
        cp_cw_name(&w, "size_bytes");
        cp_cw_int(&w, v->audio->size_bytes);
        cp_cw_obj_end(&w);
    } else {
        cp_cw_null(&w);
    }
    time_or_null(&w, "retention_until", v->retention_ms);

    cp_cw_name(&w, "revocations");
    cp_cw_arr_begin(&w);
    for (size_t i = 0; i < v->n_revs; i++) {
        cp_cw_obj_begin(&w);
        str_member(&w, "call_id", v->revs[i].call_id);
        str_member(&w, "calling_entity", v->revs[i].calling_entity);
        time_or_null(&w, "honor_by_date", v->revs[i].honor_by_ms);
        str_member(&w, "revocation_id", v->revs[i].id);
        time_or_null(&w, "revoked_at", v->revs[i].revoked_ms);
        str_member(&w, "scope", v->revs[i].scope_all ? "all" : "entity_only");
        cp_cw_obj_end(&w);
    }
    cp_cw_arr_end(&w);

    str_member(&w, "schema", "callproof.evidence.v1");
    time_or_null(&w, "sealed_at", v->sealed_ms);
    str_member(&w, "supersedes", v->supersedes);
    str_member(&w, "tenant", v->tenant);
    cp_cw_name(&w, "transcript");
    cp_cw_obj_begin(&w);
    CP_ASSERT(v->transcript == NULL ||
              (v->transcript_sha256 != NULL && strlen(v->transcript_sha256) == 64));
    str_member(&w, "sha256", v->transcript ? v->transcript_sha256 : NULL);
    str_member(&w, "text", v->transcript);
    cp_cw_obj_end(&w);
    cp_cw_obj_end(&w);
    return cp_cw_end(&w);
}
