/*
 * Unit tests for the compliance engine (domain/compliance.c). The baseline is the example of
 * seed 000 (POST /v1/post-call), with the consent it uses on file: it must score 100 with no
 * findings. Every rule then has a test that changes one thing in that call and expects exactly
 * that rule's finding, with its severity, weight and moment; then the score arithmetic, the
 * parameters, determinism, and the three text matchers (entity name, callback number, in-call
 * opt-out) on their edge cases. Calling hours use the system time zone database.
 */
#include "unit.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/time.h"
#include "domain/compliance.h"

/* ---- the seed's call, as a fixture --------------------------------------------------------- */

struct fx {
    struct cp_compliance_disclosure disc[8];
    struct cp_compliance_consent used[4], captured[4];
    struct cp_compliance_revocation revs[4], call_revs[4];
    struct cp_compliance_input in;
    struct cp_compliance_params p;
    struct cp_compliance_result out;
};

static struct fx F;

static int64_t
ms(const char *iso)
{
    int64_t v = 0;
    assert_true(cp_time_parse_iso(iso, &v));
    return v;
}

static const char *const seed_transcript =
    "AI: Hi, this is an AI assistant calling on behalf of Acme Insurance.\n"
    "AI: Our callback number is 800-555-0100.\n"
    "AI: If you'd like to opt out at any time, just say stop or press 9.\n"
    "Customer: Sure, go ahead.\n"
    "AI: Your policy renews at the end of the month.\n"
    "Customer: Thanks, bye.\n";

/* The seed's request; its used consent on file (prior express written, ai_voice, captured
 * before the call); the captured consent not on file (created by capture-verbal, if at all). */
static struct fx *
fx(void)
{
    memset(&F, 0, sizeof(F));
    F.disc[0] = (struct cp_compliance_disclosure){
        "ai_identity", 1, "Hi, this is an AI assistant calling on behalf of Acme Insurance."};
    F.disc[1] = (struct cp_compliance_disclosure){"callback_number", 4,
                                                  "Our callback number is 800-555-0100."};
    F.disc[2] = (struct cp_compliance_disclosure){
        "opt_out_instructions", 6,
        "If you'd like to opt out at any time, just say stop or press 9."};
    F.used[0].rec = (struct cp_precall_consent){"cst_lx8k7n3f4g5h6j7k",
                                                "prior_express_written",
                                                "ai_voice,telemarketing",
                                                "Acme Insurance LLC",
                                                true,
                                                ms("2026-04-01T12:00:00Z"),
                                                0};
    F.used[0].found = F.used[0].same_tenant = true;
    F.used[0].phone = "+15551234567";
    F.captured[0].rec.id = "cst_lx8ka1b2c3d4e5f6";
    F.in = (struct cp_compliance_input){
        .call_id = "call_xyz789",
        .calling_entity = "Acme Insurance LLC",
        .phone = "+15551234567",
        .calling_number = "+18005550100",
        .started_ms = ms("2026-04-10T15:42:00Z"),
        .ended_ms = ms("2026-04-10T15:46:30Z"),
        .duration_s = 270,
        .outcome = "completed",
        .has_recording = true,
        .full_transcript = "...",
        .disclosures = F.disc,
        .n_disclosures = 3,
        .consents_used = F.used,
        .n_consents_used = 1,
        .consents_captured = F.captured,
        .n_consents_captured = 1,
        .revocations = F.revs,
        .n_revocations = 0,
        .call_revocations = F.call_revs,
        .n_call_revocations = 0,
    };
    F.p = cp_compliance_params_default();
    return &F;
}

static void
run(struct fx *f)
{
    cp_compliance_evaluate(&f->in, &f->p, &f->out);
}

static void
dump(const struct cp_compliance_result *r)
{
    for (size_t i = 0; i < r->n_findings; i++)
        print_message("finding %s %s w=%d p=%d at=%d: %s\n", r->findings[i].code,
                      r->findings[i].severity, r->findings[i].weight, r->findings[i].points,
                      r->findings[i].at_seconds, r->findings[i].message);
    for (size_t i = 0; i < r->n_notes; i++)
        print_message("note %s at=%d: %s\n", r->notes[i].code, r->notes[i].at_seconds,
                      r->notes[i].message);
}

static bool
has_note(const struct cp_compliance_result *r, const char *code)
{
    for (size_t i = 0; i < r->n_notes; i++)
        if (strcmp(r->notes[i].code, code) == 0)
            return true;
    return false;
}

static bool
has_code(const struct fx *f, const char *code)
{
    for (size_t i = 0; i < f->out.n_findings; i++)
        if (strcmp(f->out.findings[i].code, code) == 0)
            return true;
    return false;
}

/* Exactly one finding, this one, and the score that goes with it. */
static void
expect_only(struct fx *f, const char *code, const char *severity, int weight, int at)
{
    run(f);
    if (f->out.n_findings != 1)
        dump(&f->out);
    assert_int_equal(f->out.n_findings, 1);
    const struct cp_compliance_finding *x = &f->out.findings[0];
    assert_string_equal(x->code, code);
    assert_string_equal(x->severity, severity);
    assert_int_equal(x->weight, weight);
    assert_int_equal(x->points, weight);
    assert_int_equal(x->at_seconds, at);
    assert_non_null(x->rule_ref);
    assert_true(strlen(x->message) > 10);
    assert_ptr_equal(cp_compliance_rule_by_code(code)->rule_ref, x->rule_ref);
    assert_int_equal(f->out.score, 100 - weight);
}

static void
expect_clean(struct fx *f)
{
    run(f);
    if (f->out.n_findings != 0)
        dump(&f->out);
    assert_int_equal(f->out.n_findings, 0);
    assert_int_equal(f->out.score, 100);
}

/* ---- the baseline ---------------------------------------------------------------------------- */

static void
test_compliance__seed_scores_100(void **state)
{
    (void)state;
    struct fx *f = fx();
    expect_clean(f);
    assert_string_equal(f->out.rules_version, "rules-2026-11-v1");
    assert_int_equal(f->out.n_dropped, 0);
    /* +1555 has no time zone and no state: noted, not scored. The captured consent is not on
     * file in this variant. */
    assert_true(has_note(&f->out, "CALLING_HOURS_UNVERIFIED"));
    assert_true(has_note(&f->out, "RECORDING_NOTICE_UNVERIFIED"));
    assert_true(has_note(&f->out, "CONSENT_CAPTURED_NOT_FOUND"));
    assert_int_equal(f->out.n_notes, 3);
    for (size_t i = 0; i < f->out.n_notes; i++) {
        assert_string_equal(f->out.notes[i].severity, "info");
        assert_int_equal(f->out.notes[i].points, 0);
    }
    assert_string_equal(f->out.notes[0].message,
                        "Calling hours were not checked: the area code of +15551234567 has no "
                        "known time zone (not a geographic US or Canadian area code).");

    /* With the captured consent on file (capture-verbal, which keeps the agent's question). */
    f = fx();
    f->captured[0].found = f->captured[0].same_tenant = true;
    f->captured[0].phone = "+15551234567";
    f->captured[0].rec = (struct cp_precall_consent){
        "cst_lx8ka1b2c3d4e5f6",     "verbal", "ai_voice", "Acme Insurance LLC", true,
        ms("2026-04-10T15:45:00Z"), 0};
    f->captured[0].has_request_text = true;
    expect_clean(f);
    assert_false(has_note(&f->out, "CONSENT_CAPTURED_NOT_FOUND"));

    /* With a real transcript in which the agent gives its opt-out instructions. */
    f = fx();
    f->in.full_transcript = seed_transcript;
    expect_clean(f);
}

static void
test_compliance__new_york_number_in_hours_is_clean(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.phone = f->used[0].phone = "+12125551234"; /* 11:42 in New York: inside the hours */
    expect_clean(f);
    assert_false(has_note(&f->out, "CALLING_HOURS_UNVERIFIED"));
    assert_false(has_note(&f->out, "RECORDING_NOTICE_UNVERIFIED")); /* NY: one-party state */
}

/* ---- one test per rule ------------------------------------------------------------------------
 */

static void
test_compliance__ai_identity(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->disc[0].type = "greeting";
    expect_only(f, "AI_IDENTITY_MISSING", "critical", 30, -1);

    f = fx();
    f->disc[0].at_seconds = 5; /* opt-out at 6 is still within 2 s of it */
    expect_only(f, "AI_IDENTITY_LATE", "warning", 10, 5);
    assert_string_equal(f->out.findings[0].message,
                        "The AI identity disclosure came at 5 s; it must come at the beginning "
                        "of the call (within 2 s).");

    f = fx();
    f->disc[0].at_seconds = 2; /* the window's last second */
    expect_clean(f);

    f = fx();
    f->disc[0].text = "Hi, this is an AI assistant calling on behalf of Acme.";
    expect_only(f, "ENTITY_NOT_NAMED", "critical", 25, 1);

    /* A second identity disclosure that names the entity is enough. */
    f = fx();
    f->disc[0].text = "Hi, this is an AI assistant.";
    f->disc[3] = (struct cp_compliance_disclosure){"ai_identity", 2,
                                                   "I'm calling for Acme Insurance, L.L.C."};
    f->in.n_disclosures = 4;
    expect_clean(f);

    /* No time: not late, but noted. */
    f = fx();
    f->disc[0].at_seconds = -1;
    expect_clean(f);
    assert_true(has_note(&f->out, "DISCLOSURE_TIME_UNKNOWN"));
}

static void
test_compliance__callback(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->disc[1].type = "something_else";
    expect_only(f, "CALLBACK_MISSING", "critical", 25, -1);

    f = fx();
    f->disc[1].text = "Call us back any time.";
    expect_only(f, "CALLBACK_UNPARSEABLE", "warning", 10, 4);

    f = fx();
    f->disc[1].text = "Our callback number is 900-555-0100.";
    f->in.calling_number = "+19005550100";
    expect_only(f, "CALLBACK_PREMIUM_RATE", "critical", 25, 4);

    f = fx();
    f->disc[1].text = "Our callback number is 800-555-0199.";
    expect_only(f, "CALLBACK_MISMATCH", "warning", 5, 4);
    assert_string_equal(f->out.findings[0].message,
                        "The callback number given, 800-555-0199, is neither the caller id "
                        "+18005550100 nor one of the tenant's callback numbers.");

    /* The tenant's do-not-call line is an accepted callback number. */
    static const char *const lines[] = {"+18005550199"};
    f->p.callback_numbers = lines;
    f->p.n_callback_numbers = 1;
    expect_clean(f);

    /* No caller id: nothing to compare with, noted. */
    f = fx();
    f->disc[1].text = "Our callback number is 800-555-0199.";
    f->in.calling_number = NULL;
    expect_clean(f);
    assert_true(has_note(&f->out, "CALLER_ID_NOT_RECORDED"));

    f = fx();
    f->in.outcome = "voicemail";
    f->disc[1].text = "Call us at (212) 555-0100.";
    f->in.calling_number = "+12125550100";
    expect_only(f, "VOICEMAIL_NO_TOLL_FREE", "warning", 10, 4);
    f->in.outcome = "completed"; /* the toll-free clause is only for answering machines */
    expect_clean(f);
}

static void
test_compliance__opt_out_instructions(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.n_disclosures = 2;
    expect_only(f, "OPT_OUT_MISSING", "critical", 25, -1);

    /* The identification (1 s) ended when the callback number began (4 s); 7 s is 3 s later. */
    f = fx();
    f->disc[2].at_seconds = 7;
    expect_only(f, "OPT_OUT_LATE", "warning", 10, 7);
    assert_string_equal(f->out.findings[0].message,
                        "The opt-out instructions came at 7 s, 3 s after the identification "
                        "(from 1 s) ended at 4 s; they must follow it within 2 s.");

    /* Without a next disclosure, the end is estimated from the words: 12 at 150 a minute are
     * 4.8 s, so the identity at 1 s ends at 6 s. */
    f = fx();
    f->disc[1].at_seconds = 30;
    f->disc[2].at_seconds = 8;
    expect_clean(f);
    f->disc[2].at_seconds = 9;
    expect_only(f, "OPT_OUT_LATE", "warning", 10, 9);
    f->p.speech_words_per_minute = 100; /* a slower voice: 7.2 s, ends at 9 s */
    expect_clean(f);

    /* A long pause after the identity is not hidden by a late next disclosure. */
    f = fx();
    f->disc[1].at_seconds = 30;
    f->disc[2].at_seconds = 31;
    expect_only(f, "OPT_OUT_LATE", "warning", 10, 31);

    /* Not telemarketing: 64.1200(b)(3) does not apply. */
    f = fx();
    f->in.n_disclosures = 2;
    f->p.purpose = CP_PURPOSE_INFORMATIONAL;
    expect_clean(f);
}

static void
test_compliance__consent_used(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.n_consents_used = 0;
    expect_only(f, "CONSENT_MISSING", "critical", 40, -1);

    f = fx();
    f->used[0].found = false;
    expect_only(f, "CONSENT_NOT_FOUND", "critical", 35, -1);
    char not_found[CP_COMPLIANCE_MESSAGE_LEN];
    strcpy(not_found, f->out.findings[0].message);
    assert_string_equal(not_found, "Consent cst_lx8k7n3f4g5h6j7k is not on file for this tenant.");
    /* Another tenant's record reads exactly like a missing one. */
    f = fx();
    f->used[0].same_tenant = false;
    expect_only(f, "CONSENT_NOT_FOUND", "critical", 35, -1);
    assert_string_equal(f->out.findings[0].message, not_found);

    f = fx();
    f->used[0].phone = "+15559999999";
    expect_only(f, "CONSENT_WRONG_PHONE", "critical", 35, -1);

    f = fx();
    f->used[0].rec.calling_entity = "Acme Insurance Inc";
    expect_only(f, "CONSENT_WRONG_ENTITY", "critical", 35, -1);
    f->used[0].rec.calling_entity = "ACME INSURANCE LLC"; /* case does not matter */
    expect_clean(f);

    f = fx();
    f->used[0].rec.valid = false;
    expect_only(f, "CONSENT_INVALID", "critical", 35, -1);

    f = fx();
    f->used[0].rec.captured_ms = f->in.started_ms + 1000;
    expect_only(f, "CONSENT_AFTER_CALL", "critical", 35, -1);
    assert_string_equal(f->out.findings[0].message,
                        "Consent cst_lx8k7n3f4g5h6j7k was captured at 2026-04-10T15:42:01Z, after "
                        "the call started at 2026-04-10T15:42:00Z.");
    f->used[0].rec.captured_ms = f->in.started_ms; /* at the start: prior enough */
    expect_clean(f);

    f = fx();
    f->used[0].rec.revoked_ms = f->in.started_ms - 1000;
    expect_only(f, "CONSENT_REVOKED", "critical", 35, -1);
    f->used[0].rec.revoked_ms = f->in.started_ms + 60000; /* revoked during the call */
    expect_clean(f);

    f = fx();
    f->used[0].rec.type = "verbal";
    expect_only(f, "CONSENT_TYPE", "critical", 35, -1);
    f->p.purpose = CP_PURPOSE_APPOINTMENT_REMINDER; /* verbal is enough then */
    expect_clean(f);

    f = fx();
    f->used[0].rec.scope = "telemarketing,ai_sms";
    expect_only(f, "CONSENT_SCOPE", "critical", 35, -1);

    /* A second consent that would not have covered the call, next to one that does. */
    f = fx();
    f->used[1] = f->used[0];
    f->used[1].rec.id = "cst_other";
    f->used[1].found = false;
    f->in.n_consents_used = 2;
    expect_only(f, "CONSENT_LISTED_UNUSABLE", "warning", 5, -1);
    assert_string_equal(f->out.findings[0].message,
                        "Consent cst_other is not on file for this tenant. The call is covered "
                        "by consent cst_lx8k7n3f4g5h6j7k.");

    /* The same id twice is one consent. */
    f = fx();
    f->used[0].found = false;
    f->used[1] = f->used[0];
    f->in.n_consents_used = 2;
    expect_only(f, "CONSENT_NOT_FOUND", "critical", 35, -1);
}

static void
test_compliance__number_revoked(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->used[0].rec.captured_ms = ms("2026-02-01T12:00:00Z");
    f->revs[0].rec =
        (struct cp_precall_revocation){"rev_1", "Acme Insurance LLC", false,
                                       ms("2026-03-02T10:00:00Z"), ms("2026-03-16T10:00:00Z")};
    f->in.n_revocations = 1;
    expect_only(f, "NUMBER_REVOKED", "critical", 40, -1);
    assert_string_equal(f->out.findings[0].message,
                        "The number opted out of this entity's calls at 2026-03-02T10:00:00Z "
                        "(revocation rev_1); the call at 2026-04-10T15:42:00Z came on or after the "
                        "honor-by date 2026-03-16T10:00:00Z.");

    /* A consent the call used, captured after the revocation and before the call, starts a
     * new relationship and lifts it (as precall decides). */
    f->used[0].rec.captured_ms = ms("2026-04-01T12:00:00Z");
    expect_clean(f);
    /* Not one for another number or entity, not one captured after the start, not an invalid
     * one. */
    f->used[0].phone = "+15557654321";
    run(f);
    assert_true(has_code(f, "NUMBER_REVOKED"));
    f->used[0].phone = "+15551234567";
    f->used[0].rec.captured_ms = f->in.started_ms + 1000;
    run(f);
    assert_true(has_code(f, "NUMBER_REVOKED"));
    f->used[0].rec.captured_ms = ms("2026-04-01T12:00:00Z");
    f->used[0].rec.valid = false;
    run(f);
    assert_true(has_code(f, "NUMBER_REVOKED"));
    f->used[0].rec.valid = true;

    /* Made the day before, honor-by computed (10 business days): inside the period. */
    f = fx();
    f->revs[0].rec = (struct cp_precall_revocation){"rev_2", "acme insurance llc", false,
                                                    ms("2026-04-09T12:00:00Z"), 0};
    f->in.n_revocations = 1;
    expect_only(f, "NUMBER_REVOKED_WITHIN_HONOR_PERIOD", "warning", 10, -1);
    assert_non_null(strstr(f->out.findings[0].message, "honor-by date 2026-04-23T12:00:00Z"));

    /* Another entity's revocation does not apply; one of scope "all" does. */
    f->revs[0].rec.calling_entity = "Other Corp";
    expect_clean(f);
    f->revs[0].rec.scope_all = true;
    expect_only(f, "NUMBER_REVOKED_WITHIN_HONOR_PERIOD", "warning", 10, -1);

    /* A revocation made after the start, even in the "before" list, is not a prior one. */
    f = fx();
    f->revs[0].rec = (struct cp_precall_revocation){"rev_3", "Acme Insurance LLC", false,
                                                    f->in.ended_ms + 3600000, 0};
    f->in.n_revocations = 1;
    expect_clean(f);
}

static void
test_compliance__calling_hours(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.phone = f->used[0].phone = "+12125551234";
    f->in.started_ms = ms("2026-04-10T02:00:00Z"); /* 22:00 in New York */
    f->in.ended_ms = f->in.started_ms + 270000;
    expect_only(f, "OUTSIDE_CALLING_HOURS", "critical", 30, -1);
    assert_string_equal(f->out.findings[0].message,
                        "The call started at 2026-04-10T02:00:00Z, 2026-04-09T22:00:00 local "
                        "time in America/New_York (area code 212), outside the permitted "
                        "08:00-21:00.");

    /* A tenant with a stricter window. */
    f = fx();
    f->in.phone = f->used[0].phone = "+12125551234";
    f->p.calling_hours_start = 12; /* 11:42 in New York */
    expect_only(f, "OUTSIDE_CALLING_HOURS", "critical", 30, -1);
}

static void
test_compliance__in_call_opt_out(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.full_transcript = "AI: Hi, this is an AI assistant calling on behalf of Acme.\n"
                            "Customer: Stop calling me.\n";
    expect_only(f, "OPT_OUT_NOT_HONORED", "critical", 35, -1);
    assert_string_equal(f->out.findings[0].message,
                        "The consumer asked to opt out (\"stop calling\" in \"Customer: Stop "
                        "calling me.\") but no revocation was recorded for this call.");

    /* Recorded during the call and the call ended 5 s later: honored. */
    f->call_revs[0].rec = (struct cp_precall_revocation){"rev_9", "Acme Insurance LLC", false,
                                                         f->in.started_ms + 265000, 0};
    f->call_revs[0].call_id = "call_xyz789";
    f->in.n_call_revocations = 1;
    expect_clean(f);
    assert_true(has_note(&f->out, "OPT_OUT_RECORDED"));

    /* The call went on for 70 s after it. */
    f->call_revs[0].rec.revoked_ms = f->in.started_ms + 200000;
    expect_only(f, "OPT_OUT_CALL_NOT_ENDED", "critical", 25, 200);

    /* A revocation for this entity made during the call honors it without a call_id... */
    f->call_revs[0].call_id = NULL;
    f->call_revs[0].rec.revoked_ms = f->in.started_ms + 268000;
    expect_clean(f);
    /* ...but not one made a day later. */
    f->call_revs[0].rec.revoked_ms = f->in.started_ms + 86400000;
    expect_only(f, "OPT_OUT_NOT_HONORED", "critical", 35, -1);

    /* A DTMF opt-out (no words in the transcript) still has to end the call. */
    f = fx();
    f->call_revs[0].rec = (struct cp_precall_revocation){"rev_8", "Acme Insurance LLC", false,
                                                         f->in.started_ms + 100000, 0};
    f->call_revs[0].call_id = "call_xyz789";
    f->in.n_call_revocations = 1;
    expect_only(f, "OPT_OUT_CALL_NOT_ENDED", "critical", 25, 100);
    f->p.opt_out_end_within_s = 200; /* a laxer tenant */
    expect_clean(f);
}

static void
test_compliance__consent_captured(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->captured[0].found = f->captured[0].same_tenant = true;
    f->captured[0].phone = "+15551234567";
    f->captured[0].rec = (struct cp_precall_consent){
        "cst_lx8ka1b2c3d4e5f6",    "verbal", "ai_voice", "Acme Insurance LLC", true,
        f->in.started_ms + 120000, 0};
    expect_only(f, "CONSENT_WITHOUT_REQUEST", "warning", 10, 120);

    f->disc[3] = (struct cp_compliance_disclosure){"consent_request", 100,
                                                   "May we call you with an AI assistant?"};
    f->in.n_disclosures = 4;
    expect_clean(f);
    f->disc[3].at_seconds = 130; /* asked after the answer */
    expect_only(f, "CONSENT_WITHOUT_REQUEST", "warning", 10, 120);
    f->captured[0].has_request_text = true; /* the capture record holds the question */
    expect_clean(f);

    f->captured[0].rec.valid = false;
    f->captured[0].has_request_text = false;
    expect_clean(f);
    assert_true(has_note(&f->out, "CONSENT_CAPTURED_INVALID"));
}

static void
test_compliance__recording_notice(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.phone = f->used[0].phone = "+14155551234"; /* San Francisco, 08:42 local */
    expect_only(f, "RECORDING_NOTICE_MISSING", "warning", 10, -1);
    assert_string_equal(f->out.findings[0].message,
                        "The call was recorded and area code 415 is in US-CA, where recording a "
                        "call needs the consent of every party, but no recording_notice "
                        "disclosure was made.");
    f->disc[3] = (struct cp_compliance_disclosure){"recording_notice", 7, "This call is recorded."};
    f->in.n_disclosures = 4;
    expect_clean(f);
    f->in.n_disclosures = 3;
    f->in.has_recording = false;
    expect_clean(f);

    /* A tenant that adds New York to the list. */
    f = fx();
    f->in.phone = f->used[0].phone = "+12125551234";
    static const char *const states[] = {"US-NY"};
    f->p.all_party_states = states;
    f->p.n_all_party_states = 1;
    expect_only(f, "RECORDING_NOTICE_MISSING", "warning", 10, -1);
}

static void
test_compliance__offshore_is_opt_in(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->p.enabled[CP_CR_OFFSHORE_DISCLOSURE_MISSING] = true;
    expect_only(f, "OFFSHORE_DISCLOSURE_MISSING", "warning", 5, -1);
    f->disc[3] = (struct cp_compliance_disclosure){"offshore_location", 8,
                                                   "Our agents are located in Manila."};
    f->in.n_disclosures = 4;
    expect_clean(f);
}

static void
test_compliance__timestamps(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.ended_ms = f->in.started_ms - 1000;
    expect_only(f, "TIMES_INCONSISTENT", "warning", 10, -1);

    f = fx();
    f->in.duration_s = -5;
    expect_only(f, "TIMES_INCONSISTENT", "warning", 10, -1);

    f = fx();
    f->in.duration_s = 300;
    expect_only(f, "DURATION_MISMATCH", "warning", 5, -1);
    f->in.duration_s = 272; /* within the 2 s tolerance */
    expect_clean(f);

    f = fx();
    f->disc[3] = (struct cp_compliance_disclosure){"consent_request", 400, "May we call again?"};
    f->in.n_disclosures = 4;
    expect_only(f, "DISCLOSURE_OUTSIDE_CALL", "warning", 5, 400);
    f->disc[3].at_seconds = 272; /* length 270 + tolerance 2 */
    expect_clean(f);
    f->disc[3].at_seconds = -7;
    expect_only(f, "DISCLOSURE_OUTSIDE_CALL", "warning", 5, -7);

    f = fx();
    f->in.started_ms = f->in.ended_ms = 0;
    expect_only(f, "CALL_TIME_MISSING", "warning", 5, -1);
    assert_true(has_note(&f->out, "CALLING_HOURS_UNVERIFIED"));

    /* started_at missing, but ended_at and duration give it. */
    f = fx();
    f->in.started_ms = 0;
    expect_clean(f);
    assert_true(has_note(&f->out, "CALL_START_DERIVED"));
}

static void
test_compliance__unanswered_calls_need_no_disclosures(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.outcome = "no_answer";
    f->in.n_disclosures = 0;
    f->in.duration_s = 0;
    f->in.ended_ms = f->in.started_ms;
    expect_clean(f);
    assert_true(has_note(&f->out, "DISCLOSURES_NOT_APPLICABLE"));
    /* Consent still matters: placing the call is regulated. */
    f->in.n_consents_used = 0;
    expect_only(f, "CONSENT_MISSING", "critical", 40, -1);
}

/* ---- score, order, limits, determinism ------------------------------------------------------- */

static void
test_compliance__score_arithmetic(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->disc[0].at_seconds = 5;                                /* AI_IDENTITY_LATE 10 */
    f->disc[1].text = "Our callback number is 800-555-0199."; /* CALLBACK_MISMATCH 5 */
    run(f);
    assert_int_equal(f->out.n_findings, 2);
    assert_string_equal(f->out.findings[0].code, "AI_IDENTITY_LATE"); /* table order */
    assert_string_equal(f->out.findings[1].code, "CALLBACK_MISMATCH");
    assert_int_equal(f->out.score, 85);

    /* A rule costs its weight once: two unknown consents are 35, not 70. */
    f = fx();
    f->used[0].found = false;
    f->used[1] = f->used[0];
    f->used[1].rec.id = "cst_b";
    f->in.n_consents_used = 2;
    run(f);
    assert_int_equal(f->out.n_findings, 2);
    assert_int_equal(f->out.findings[0].points, 35);
    assert_int_equal(f->out.findings[1].points, 0);
    assert_int_equal(f->out.findings[1].weight, 35);
    assert_int_equal(f->out.score, 65);

    /* Floor at 0: nothing said and no consent = 30 + 25 + 25 + 40. */
    f = fx();
    f->in.n_disclosures = 0;
    f->in.n_consents_used = 0;
    run(f);
    assert_int_equal(f->out.n_findings, 4);
    assert_int_equal(f->out.score, 0);
    int sum = 0;
    for (size_t i = 0; i < f->out.n_findings; i++)
        sum += f->out.findings[i].points;
    assert_int_equal(sum, 120);
}

static void
test_compliance__order_and_caps(void **state)
{
    (void)state;
    static struct cp_compliance_disclosure many[100];
    struct fx *f = fx();
    for (int i = 0; i < 100; i++)
        many[i] = (struct cp_compliance_disclosure){"consent_request", 1000 - i, "Again?"};
    memcpy(many, f->disc, sizeof(f->disc[0]) * 3);
    f->in.disclosures = many;
    f->in.n_disclosures = 100;
    run(f);
    assert_int_equal(f->out.n_findings, CP_COMPLIANCE_MAX_FINDINGS);
    assert_int_equal(f->out.n_dropped, 97 - CP_COMPLIANCE_MAX_FINDINGS);
    assert_int_equal(f->out.score, 95);
    for (size_t i = 1; i < f->out.n_findings; i++) /* ordered by at_seconds within the rule */
        assert_true(f->out.findings[i - 1].at_seconds <= f->out.findings[i].at_seconds);
}

static void
test_compliance__deterministic(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.full_transcript = "Customer: Cancel.\n";
    f->used[0].rec.scope = "telemarketing";
    f->disc[2].at_seconds = 9;
    static struct cp_compliance_result a;
    run(f);
    a = f->out;
    memset(&f->out, 0xa5, sizeof(f->out));
    run(f);
    assert_int_equal(a.n_findings, f->out.n_findings);
    assert_int_equal(a.n_notes, f->out.n_notes);
    assert_int_equal(a.score, f->out.score);
    assert_true(a.n_findings >= 3);
    for (size_t i = 0; i < a.n_findings; i++) {
        assert_string_equal(a.findings[i].code, f->out.findings[i].code);
        assert_string_equal(a.findings[i].message, f->out.findings[i].message);
        assert_int_equal(a.findings[i].at_seconds, f->out.findings[i].at_seconds);
        assert_int_equal(a.findings[i].points, f->out.findings[i].points);
    }
    for (size_t i = 0; i < a.n_notes; i++)
        assert_string_equal(a.notes[i].message, f->out.notes[i].message);
}

/* Absurd numbers (which the API's parser would refuse) are reported, never overflowed on:
 * this runs under UBSan. */
static void
test_compliance__extreme_inputs(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->in.duration_s = INT64_MAX;
    f->in.ended_ms = INT64_MAX;
    f->disc[0].at_seconds = INT_MAX;
    f->disc[2].at_seconds = INT_MIN;
    f->used[0].rec.captured_ms = INT64_MIN;
    f->revs[0].rec = (struct cp_precall_revocation){"rev_x", "Acme Insurance LLC", false,
                                                    INT64_MIN + 1, INT64_MAX};
    f->in.n_revocations = 1;
    f->call_revs[0].rec =
        (struct cp_precall_revocation){"rev_y", "Acme Insurance LLC", false, INT64_MAX, 0};
    f->call_revs[0].call_id = "call_xyz789";
    f->in.n_call_revocations = 1;
    run(f);
    assert_true(f->out.n_findings > 0);
    assert_true(f->out.score >= 0 && f->out.score <= 100);

    f = fx();
    f->in.started_ms = INT64_MIN;
    f->in.ended_ms = INT64_MIN;
    f->in.duration_s = INT64_MIN;
    run(f);
    assert_true(f->out.n_findings > 0);
}

/* ---- parameters and the table ---------------------------------------------------------------- */

static void
test_compliance__parameters(void **state)
{
    (void)state;
    struct fx *f = fx();
    f->disc[1].text = "Our callback number is 800-555-0199.";
    f->p.enabled[CP_CR_CALLBACK_MISMATCH] = false;
    expect_clean(f);

    f = fx();
    f->p.ai_identity_window_s = 0;
    expect_only(f, "AI_IDENTITY_LATE", "warning", 10, 1);
    f->p.weight[CP_CR_AI_IDENTITY_LATE] = 7;
    expect_only(f, "AI_IDENTITY_LATE", "warning", 7, 1);
    f->p.weight[CP_CR_AI_IDENTITY_LATE] = 500; /* clamped to 100 */
    run(f);
    assert_int_equal(f->out.score, 0);

    /* NULL params = the defaults. */
    f = fx();
    cp_compliance_evaluate(&f->in, NULL, &f->out);
    assert_int_equal(f->out.n_findings, 0);
    assert_int_equal(f->out.score, 100);

    struct cp_compliance_params p = cp_compliance_params_default();
    const char *field = "x";
    assert_true(cp_compliance_params_valid(&p, &field));
    assert_null(field);
    p.calling_hours_end = 8;
    assert_false(cp_compliance_params_valid(&p, &field));
    assert_string_equal(field, "calling_hours_end");
    p = cp_compliance_params_default();
    p.weight[CP_CR_CONSENT_MISSING] = -1;
    assert_false(cp_compliance_params_valid(&p, &field));
    assert_string_equal(field, "weight");
    p = cp_compliance_params_default();
    p.n_callback_numbers = 1;
    assert_false(cp_compliance_params_valid(&p, &field));
    assert_string_equal(field, "callback_numbers");

    /* Broken hours are not used: noted, never a finding. */
    f = fx();
    f->in.phone = f->used[0].phone = "+12125551234";
    f->p.calling_hours_start = 22;
    f->p.calling_hours_end = 21;
    expect_clean(f);
    assert_true(has_note(&f->out, "CALLING_HOURS_UNVERIFIED"));
}

static void
test_compliance__rule_table(void **state)
{
    (void)state;
    size_t n;
    const struct cp_compliance_rule *t = cp_compliance_rules(&n);
    assert_int_equal(n, CP_CR_COUNT);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t[i].id, (int)i);
        assert_non_null(t[i].code);
        assert_non_null(t[i].rule_ref);
        assert_non_null(t[i].description);
        assert_ptr_equal(cp_compliance_rule_by_code(t[i].code), &t[i]);
        for (size_t j = 0; j < i; j++)
            assert_true(strcmp(t[i].code, t[j].code) != 0);
        /* The research's scale: critical 25-40, warning 5-10, info 0. */
        if (t[i].severity == CP_SEV_CRITICAL)
            assert_true(t[i].default_weight >= 25 && t[i].default_weight <= 40);
        else if (t[i].severity == CP_SEV_WARNING)
            assert_true(t[i].default_weight >= 5 && t[i].default_weight <= 10);
        else
            assert_int_equal(t[i].default_weight, 0);
    }
    assert_null(cp_compliance_rule_by_code("NOPE"));
    assert_string_equal(cp_compliance_severity_name(CP_SEV_WARNING), "warning");
    size_t ns;
    const char *const *states = cp_compliance_all_party_states(&ns);
    assert_int_equal(ns, 13);
    assert_string_equal(states[0], "US-CA");
}

/* ---- matchers ----------------------------------------------------------------------------------
 */

static void
test_compliance__entity_matcher(void **state)
{
    (void)state;
    const char *acme = "Acme Insurance LLC";
    assert_true(cp_compliance_entity_named(acme, "calling on behalf of Acme Insurance."));
    assert_true(cp_compliance_entity_named(acme, "ACME INSURANCE, L.L.C. here"));
    assert_true(cp_compliance_entity_named(acme, "acme-insurance"));
    assert_false(cp_compliance_entity_named(acme, "calling on behalf of Acme."));
    assert_false(cp_compliance_entity_named(acme, "Acme Insurances"));
    assert_false(cp_compliance_entity_named(acme, "Insurance Acme"));
    assert_false(cp_compliance_entity_named(acme, "AcmeInsurance"));
    assert_true(cp_compliance_entity_named("Smith & Sons Co.", "this is Smith and Sons"));
    assert_true(cp_compliance_entity_named("Smith and Sons, Inc.", "Smith & Sons calling"));
    assert_true(cp_compliance_entity_named("O'Brien Roofing Inc", "OBrien Roofing"));
    assert_true(cp_compliance_entity_named("O'Brien Roofing Inc", "O\xe2\x80\x99"
                                                                  "Brien Roofing"));
    assert_true(cp_compliance_entity_named("J.P. Morgan Chase & Co.", "JP Morgan Chase"));
    assert_true(cp_compliance_entity_named("Acme Holdings LLC d/b/a Acme Insurance",
                                           "for Acme Insurance today"));
    assert_true(
        cp_compliance_entity_named("Acme Holdings LLC dba Acme Insurance", "Acme Holdings"));
    assert_false(cp_compliance_entity_named("Acme Holdings LLC dba Acme Insurance", "Acme"));
    assert_true(cp_compliance_entity_named("Zeta Corp, Ltd.", "Zeta"));
    assert_true(cp_compliance_entity_named("LLC", "an llc")); /* the last word is never dropped */
    assert_true(cp_compliance_entity_named("Café Société", "Café Société calling"));
    assert_false(cp_compliance_entity_named(acme, NULL));
    assert_false(cp_compliance_entity_named(NULL, "Acme"));
    assert_false(cp_compliance_entity_named("", "Acme"));
    assert_false(cp_compliance_entity_named("...", "..."));
}

static void
test_compliance__callback_parser(void **state)
{
    (void)state;
    char d[11];
    struct {
        const char *text, *want; /* want NULL: no number */
    } cases[] = {
        {"Our callback number is 800-555-0100.", "8005550100"},
        {"(800) 555-0100", "8005550100"},
        {"+1 800 555 0100", "8005550100"},
        {"1.800.555.0100", "8005550100"},
        {"8005550100", "8005550100"},
        {"Call 1-800-FLOWERS today", "8003569377"},
        {"option 2 800-555-0100", "8005550100"},
        {"800-555-0100. 24 hours a day", "8005550100"},
        {"800 - 555 - 0100", "8005550100"},
        {"Press 9, or call 212-555-0199 at 5", "2125550199"},
        {"900-555-0100", "9005550100"},
        {"press 9", NULL},
        {"call 555-0100", NULL},
        {"800-155-0100", NULL},
        {"100-555-0100", NULL},
        {"+44 20 7946 0958", NULL},
        {"800-555-01000", NULL},
        {"", NULL},
        {"We are at 800-555-0100.If not", "8005550100"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool ok = cp_compliance_callback_parse(cases[i].text, d);
        if (ok != (cases[i].want != NULL))
            print_message("case %zu: %s -> %s\n", i, cases[i].text, ok ? d : "(none)");
        assert_int_equal(ok, cases[i].want != NULL);
        if (ok)
            assert_string_equal(d, cases[i].want);
        else
            assert_string_equal(d, "");
    }
    assert_false(cp_compliance_callback_parse(NULL, d));
}

static const struct cp_opt_out_scan *
scan(const char *t)
{
    static struct cp_opt_out_scan s;
    const char *agent[] = {"If you'd like to opt out at any time, just say stop or press 9.",
                           "Hi, this is an AI assistant calling on behalf of Acme Insurance."};
    cp_compliance_opt_out_scan(t, agent, 2, 3, &s);
    return &s;
}

static void
test_compliance__opt_out_heuristic(void **state)
{
    (void)state;
    /* The agent's own instructions, labelled or not, are not the consumer's. */
    assert_false(scan(seed_transcript)->found);
    assert_false(scan("Hi, this is an AI assistant calling on behalf of Acme Insurance. If you'd "
                      "like to opt out at any time, just say stop or press 9. Sure, go on.")
                     ->found);
    /* ...even without punctuation or with different case. */
    assert_false(scan("if youd like to OPT OUT at any time just say STOP or press 9")->found);
    /* A consumer's "stop" right after them is. */
    const char *t = "If you'd like to opt out at any time, just say stop or press 9. Stop.";
    const struct cp_opt_out_scan *s = scan(t);
    assert_true(s->found);
    assert_string_equal(s->phrase, "stop");
    assert_int_equal(s->offset, strlen(t) - 5);

    assert_true(scan("Customer: Cancel.")->found);
    assert_true(scan("Customer: No, stop.")->found);
    assert_true(scan("User: please don't call me again")->found);
    assert_string_equal(scan("User: please don't call me again")->phrase, "don't call");
    assert_true(scan("Customer: Don\xe2\x80\x99t call me")->found);
    assert_true(scan("Customer: put me on your do not call list")->found);
    assert_true(scan("[00:05] Customer: stop")->found);
    assert_true(scan("John: remove me from your list")->found);
    assert_true(scan("I want to opt-out of this.")->found);

    assert_false(scan("Customer: I want to cancel my policy.")->found);
    assert_false(scan("Customer: The end of the month works for me.")->found);
    assert_false(scan("Customer: That's unstoppable.")->found);
    assert_false(scan("00:05 Agent: say stop if you want\n00:06 Agent: Stop.")->found);
    /* Unlabelled lines after an agent label are the agent's. */
    assert_false(scan("Agent: here is how it works.\nStop calling is what you say.\n")->found);
    assert_true(scan("Agent: hello\nCustomer: ok\nstop calling me\n")->found);
    assert_false(scan(NULL)->found);

    /* short_words 0: single words never count, phrases still do. */
    struct cp_opt_out_scan r;
    cp_compliance_opt_out_scan("Customer: Stop.", NULL, 0, 0, &r);
    assert_false(r.found);
    cp_compliance_opt_out_scan("Customer: stop calling", NULL, 0, 0, &r);
    assert_true(r.found);

    /* Past the cap: not read, and said so. */
    size_t big = CP_COMPLIANCE_MAX_TRANSCRIPT_BYTES + 100;
    char *long_t = malloc(big + 1);
    assert_non_null(long_t);
    memset(long_t, 'a', big);
    memcpy(long_t + big - 6, " stop.", 6);
    long_t[big] = '\0';
    cp_compliance_opt_out_scan(long_t, NULL, 0, 3, &r);
    assert_false(r.found);
    assert_true(r.truncated);
    struct fx *f = fx();
    f->in.full_transcript = long_t;
    expect_clean(f);
    assert_true(has_note(&f->out, "INPUT_TRUNCATED"));
    free(long_t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compliance__seed_scores_100),
        cmocka_unit_test(test_compliance__new_york_number_in_hours_is_clean),
        cmocka_unit_test(test_compliance__ai_identity),
        cmocka_unit_test(test_compliance__callback),
        cmocka_unit_test(test_compliance__opt_out_instructions),
        cmocka_unit_test(test_compliance__consent_used),
        cmocka_unit_test(test_compliance__number_revoked),
        cmocka_unit_test(test_compliance__calling_hours),
        cmocka_unit_test(test_compliance__in_call_opt_out),
        cmocka_unit_test(test_compliance__consent_captured),
        cmocka_unit_test(test_compliance__recording_notice),
        cmocka_unit_test(test_compliance__offshore_is_opt_in),
        cmocka_unit_test(test_compliance__timestamps),
        cmocka_unit_test(test_compliance__unanswered_calls_need_no_disclosures),
        cmocka_unit_test(test_compliance__score_arithmetic),
        cmocka_unit_test(test_compliance__order_and_caps),
        cmocka_unit_test(test_compliance__deterministic),
        cmocka_unit_test(test_compliance__extreme_inputs),
        cmocka_unit_test(test_compliance__parameters),
        cmocka_unit_test(test_compliance__rule_table),
        cmocka_unit_test(test_compliance__entity_matcher),
        cmocka_unit_test(test_compliance__callback_parser),
        cmocka_unit_test(test_compliance__opt_out_heuristic),
    };
    return cmocka_run_group_tests_name("compliance", tests, NULL, NULL);
}
