/*
 * Unit tests for the precall decision (domain/precall.c), called directly with fixed inputs and
 * a fixed "now" (no clock, no store): the request enums (cp_purpose_parse, cp_call_type_parse);
 * the order of the rules (a revocation in effect beats calling hours, which beat consent);
 * revocations (calling entity compared case-insensitively, scope "all", revocations dated after
 * a little ahead still blocking, a later consent lifting it, the earliest one reported); which
 * consents are usable (valid, same entity in any case, captured at or before now, not revoked at or
 * before now) and which of them are suitable per purpose and call type (telemarketing by AI or
 * automated voice needs written consent; AI voices need the ai_voice scope; automated telemarketing
 * the telemarketing scope); the newest suitable consent is the one relied on; no_consent vs
 * ai_consent_missing; and human-voice calls (no consent needed, no disclosure).
 */
#include "unit.h"

#include "domain/precall.h"

#define NOW 1795000000000LL /* 2026-11-18T11:06:40Z; any fixed instant will do */
#define MIN 60000LL
#define DAY 86400000LL

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const enum cp_purpose all_purposes[] = {
    CP_PURPOSE_TELEMARKETING, CP_PURPOSE_TRANSACTIONAL,   CP_PURPOSE_INFORMATIONAL,
    CP_PURPOSE_SURVEY,        CP_PURPOSE_DEBT_COLLECTION, CP_PURPOSE_APPOINTMENT_REMINDER,
};
static const enum cp_purpose non_telemarketing[] = {
    CP_PURPOSE_TRANSACTIONAL,   CP_PURPOSE_INFORMATIONAL,        CP_PURPOSE_SURVEY,
    CP_PURPOSE_DEBT_COLLECTION, CP_PURPOSE_APPOINTMENT_REMINDER,
};

/* A consent of "Acme" captured a day ago, valid and not revoked, unless said otherwise. */
static struct cp_precall_consent
consent(const char *id, const char *type, const char *scope)
{
    return (struct cp_precall_consent){.id = id,
                                       .type = type,
                                       .scope = scope,
                                       .calling_entity = "Acme",
                                       .valid = true,
                                       .captured_ms = NOW - DAY,
                                       .revoked_ms = 0};
}

/* A revocation of "Acme" an hour ago, unless said otherwise. */
static struct cp_precall_revocation
revocation(const char *id, const char *entity, bool all, int64_t revoked_ms)
{
    return (struct cp_precall_revocation){.id = id,
                                          .calling_entity = entity,
                                          .scope_all = all,
                                          .revoked_ms = revoked_ms,
                                          .honor_by_ms = revoked_ms + 14 * DAY};
}

/* Decide into a result pre-filled with garbage, so a field the function forgets shows up. */
static struct cp_precall_result
decide(const char *entity, enum cp_purpose p, enum cp_call_type t,
       const struct cp_precall_consent *cs, size_t ncs, const struct cp_precall_revocation *rs,
       size_t nrs, enum cp_hours h)
{
    struct cp_precall_result r;
    memset(&r, 0xA5, sizeof(r));
    cp_precall_decide(entity, p, t, NOW, cs, ncs, rs, nrs, h, &r);
    return r;
}

static void
expect_allowed(const struct cp_precall_result *r, const struct cp_precall_consent *relied_on)
{
    assert_true(r->allowed);
    assert_null(r->reason);
    assert_ptr_equal(r->consent, relied_on);
    assert_null(r->revocation);
}

static void
expect_blocked(const struct cp_precall_result *r, const char *reason)
{
    assert_false(r->allowed);
    assert_non_null(r->reason);
    assert_string_equal(r->reason, reason);
    assert_null(r->consent);
}

static void
test_precall__purpose_names_parse_exactly(void **state)
{
    (void)state;
    const char *names[] = {"telemarketing", "transactional",   "informational",
                           "survey",        "debt_collection", "appointment_reminder"};
    for (size_t i = 0; i < N(names); i++) {
        enum cp_purpose p = (enum cp_purpose)99;
        assert_true(cp_purpose_parse(names[i], &p));
        assert_int_equal(p, all_purposes[i]);
    }
    const char *bad[] = {"",          "Telemarketing", "TELEMARKETING",   "telemarketing ",
                         " survey",   "telemarket",    "debt-collection", "appointment",
                         "marketing", "ai_voice"};
    for (size_t i = 0; i < N(bad); i++) {
        enum cp_purpose p;
        if (cp_purpose_parse(bad[i], &p))
            fail_msg("accepted purpose '%s'", bad[i]);
    }
}

static void
test_precall__call_type_names_parse_exactly(void **state)
{
    (void)state;
    enum cp_call_type t = (enum cp_call_type)99;
    assert_true(cp_call_type_parse("ai_voice", &t));
    assert_int_equal(t, CP_CALL_AI_VOICE);
    assert_true(cp_call_type_parse("human_voice", &t));
    assert_int_equal(t, CP_CALL_HUMAN_VOICE);
    assert_true(cp_call_type_parse("automated_voice", &t));
    assert_int_equal(t, CP_CALL_AUTOMATED_VOICE);
    const char *bad[] = {"",      "AI_voice", "ai-voice", "ai_voice ",
                         "human", "voice",    "robocall", "telemarketing"};
    for (size_t i = 0; i < N(bad); i++)
        if (cp_call_type_parse(bad[i], &t))
            fail_msg("accepted call type '%s'", bad[i]);
}

static void
test_precall__no_consent_at_all_blocks_ai_and_automated_calls_for_every_purpose(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(all_purposes); i++) {
        struct cp_precall_result r = decide("Acme", all_purposes[i], CP_CALL_AI_VOICE, NULL, 0,
                                            NULL, 0, CP_PRECALL_HOURS_OK);
        expect_blocked(&r, "no_consent");
        assert_null(r.revocation);
        assert_true(r.disclosure_required);
        r = decide("Acme", all_purposes[i], CP_CALL_AUTOMATED_VOICE, NULL, 0, NULL, 0,
                   CP_PRECALL_HOURS_OK);
        expect_blocked(&r, "no_consent");
        assert_true(r.disclosure_required);
    }
}

static void
test_precall__human_voice_needs_no_consent_and_no_disclosure(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(all_purposes); i++) {
        struct cp_precall_result r = decide("Acme", all_purposes[i], CP_CALL_HUMAN_VOICE, NULL, 0,
                                            NULL, 0, CP_PRECALL_HOURS_OK);
        expect_allowed(&r, NULL);
        assert_false(r.disclosure_required);
        r = decide("Acme", all_purposes[i], CP_CALL_HUMAN_VOICE, NULL, 0, NULL, 0,
                   CP_PRECALL_HOURS_UNKNOWN);
        expect_allowed(&r, NULL);
    }
    /* Even with a consent on file, a human-voice call does not rely on it. */
    struct cp_precall_consent cs[] = {consent("cst_w", "prior_express_written", "ai_voice")};
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_HUMAN_VOICE, cs,
                                        N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
    expect_allowed(&r, NULL);
}

static void
test_precall__human_voice_is_still_subject_to_revocation_and_calling_hours(void **state)
{
    (void)state;
    struct cp_precall_revocation rs[] = {revocation("rev_1", "Acme", false, NOW - 60 * MIN)};
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TRANSACTIONAL, CP_CALL_HUMAN_VOICE, NULL,
                                        0, rs, N(rs), CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
    assert_ptr_equal(r.revocation, &rs[0]);
    assert_false(r.disclosure_required);

    r = decide("Acme", CP_PURPOSE_TRANSACTIONAL, CP_CALL_HUMAN_VOICE, NULL, 0, NULL, 0,
               CP_PRECALL_HOURS_OUTSIDE);
    expect_blocked(&r, "outside_calling_hours");
    assert_null(r.revocation);
    assert_false(r.disclosure_required);
}

static void
test_precall__revocation_beats_hours_which_beat_consent(void **state)
{
    (void)state;
    struct cp_precall_consent good[] = {consent("cst_w", "prior_express_written", "ai_voice")};
    struct cp_precall_revocation rs[] = {revocation("rev_1", "Acme", false, NOW - 60 * MIN)};

    /* Everything wrong at once: the revocation is the reason given. */
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, NULL, 0,
                                        rs, N(rs), CP_PRECALL_HOURS_OUTSIDE);
    expect_blocked(&r, "consumer_revoked");
    assert_ptr_equal(r.revocation, &rs[0]);
    assert_true(r.disclosure_required);
    /* A perfect consent does not outweigh a revocation. */
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, good, N(good), rs, N(rs),
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
    assert_ptr_equal(r.revocation, &rs[0]);

    /* No revocation: hours come before consent (missing or perfect). */
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, NULL, 0, NULL, 0,
               CP_PRECALL_HOURS_OUTSIDE);
    expect_blocked(&r, "outside_calling_hours");
    assert_null(r.revocation);
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, good, N(good), NULL, 0,
               CP_PRECALL_HOURS_OUTSIDE);
    expect_blocked(&r, "outside_calling_hours");

    /* Inside the hours, or hours unknown (not a block): consent decides. */
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, good, N(good), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &good[0]);
    assert_true(r.disclosure_required);
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, good, N(good), NULL, 0,
               CP_PRECALL_HOURS_UNKNOWN);
    expect_allowed(&r, &good[0]);
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, NULL, 0, NULL, 0,
               CP_PRECALL_HOURS_UNKNOWN);
    expect_blocked(&r, "no_consent");
}

static void
test_precall__revocation_entity_matches_case_insensitively(void **state)
{
    (void)state;
    struct cp_precall_consent good[] = {consent("cst_w", "prior_express_written", "ai_voice")};
    good[0].calling_entity = "Acme Insurance LLC";
    struct cp_precall_revocation rs[] = {
        revocation("rev_1", "ACME insurance llc", false, NOW - 60 * MIN)};
    struct cp_precall_result r =
        decide("acme Insurance LLC", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, good, N(good), rs,
               N(rs), CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
    assert_ptr_equal(r.revocation, &rs[0]);
}

static void
test_precall__entity_only_revocation_of_another_entity_does_not_apply(void **state)
{
    (void)state;
    struct cp_precall_consent good[] = {consent("cst_w", "prior_express_written", "ai_voice")};
    struct cp_precall_revocation rs[] = {
        revocation("rev_1", "Other Corp", false, NOW - 60 * MIN),
        revocation("rev_2", "Acme Insurance", false, NOW - 60 * MIN), /* a prefix is not a match */
    };
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, good,
                                        N(good), rs, N(rs), CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &good[0]);
}

static void
test_precall__scope_all_revocation_blocks_every_entity(void **state)
{
    (void)state;
    struct cp_precall_consent good[] = {consent("cst_w", "prior_express_written", "ai_voice")};
    struct cp_precall_revocation rs[] = {revocation("rev_all", "Other Corp", true, NOW - DAY)};
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, good,
                                        N(good), rs, N(rs), CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
    assert_ptr_equal(r.revocation, &rs[0]);
    r = decide("Someone Else", CP_PURPOSE_SURVEY, CP_CALL_HUMAN_VOICE, NULL, 0, rs, N(rs),
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
}

static void
test_precall__revocation_blocks_at_once_even_dated_a_little_ahead(void **state)
{
    (void)state;
    /* Recorded means the consumer asked: a revocation dated within the clock skew still blocks. */
    struct cp_precall_consent good[] = {consent("cst_w", "prior_express_written", "ai_voice")};
    struct cp_precall_revocation rs[] = {revocation("rev_future", "Acme", false, NOW + 3 * MIN)};
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, good,
                                        N(good), rs, N(rs), CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
    assert_ptr_equal(r.revocation, &rs[0]);
}

static void
test_precall__a_consent_captured_after_the_revocation_lifts_it(void **state)
{
    (void)state;
    struct cp_precall_revocation rs[] = {revocation("rev", "Acme", false, NOW - 10 * DAY)};
    struct cp_precall_consent cs[] = {consent("cst_new", "prior_express_written", "ai_voice")};
    cs[0].captured_ms = NOW - 2 * DAY; /* after the revocation: the consumer consented again */
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                        N(cs), rs, N(rs), CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &cs[0]);
    /* Captured before the revocation, it does not. */
    cs[0].captured_ms = NOW - 20 * DAY;
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs, N(cs), rs, N(rs),
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
    /* Nor does a new consent for another entity, or an invalid one. */
    cs[0].captured_ms = NOW - 2 * DAY;
    cs[0].calling_entity = "Other";
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs, N(cs), rs, N(rs),
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
    cs[0].calling_entity = "Acme";
    cs[0].valid = false;
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs, N(cs), rs, N(rs),
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
}

static void
test_precall__earliest_revocation_in_effect_is_reported(void **state)
{
    (void)state;
    struct cp_precall_revocation rs[] = {
        revocation("rev_mid", "ACME", false, NOW - 5 * DAY),
        revocation("rev_old", "Acme", false, NOW - 10 * DAY),
        revocation("rev_new_all", "Other", true, NOW - DAY),
        revocation("rev_other", "Other", false, NOW - 60 * DAY), /* not this entity */
    };
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_INFORMATIONAL, CP_CALL_AI_VOICE, NULL, 0,
                                        rs, N(rs), CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "consumer_revoked");
    assert_ptr_equal(r.revocation, &rs[1]); /* its honor-by date binds first */
    assert_string_equal(r.revocation->id, "rev_old");
}

static void
test_precall__ai_telemarketing_needs_written_consent_with_ai_voice_scope(void **state)
{
    (void)state;
    /* Each alone: written + ai_voice (wherever it sits in the list) is enough. */
    const char *good_scopes[] = {"ai_voice", "ai_voice,telemarketing", "telemarketing,ai_voice",
                                 "ai_sms,ai_voice,transactional",
                                 "ai_voice,ai_sms,telemarketing,transactional"};
    for (size_t i = 0; i < N(good_scopes); i++) {
        struct cp_precall_consent cs[] = {
            consent("cst_w", "prior_express_written", good_scopes[i])};
        struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                            N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
        expect_allowed(&r, &cs[0]);
    }
    /* Usable consents that fall short on type or scope: ai_consent_missing. */
    struct {
        const char *type, *scope;
    } short_of[] = {
        {"prior_express", "ai_voice,telemarketing"},
        {"verbal", "ai_voice,telemarketing"},
        {"established_business_relationship", "ai_voice,telemarketing"},
        {"prior_express_written", "telemarketing"},
        {"prior_express_written", "ai_sms,telemarketing,transactional"},
        {"prior_express_written", "transactional"},
    };
    for (size_t i = 0; i < N(short_of); i++) {
        struct cp_precall_consent cs[] = {consent("cst_x", short_of[i].type, short_of[i].scope)};
        struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                            N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
        expect_blocked(&r, "ai_consent_missing");
        assert_null(r.revocation);
    }
    /* All of them together still fall short. */
    struct cp_precall_consent all[N(short_of)];
    for (size_t i = 0; i < N(short_of); i++)
        all[i] = consent("cst_x", short_of[i].type, short_of[i].scope);
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, all,
                                        N(all), NULL, 0, CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "ai_consent_missing");
}

static void
test_precall__ai_calls_for_other_purposes_accept_any_express_consent_with_ai_voice(void **state)
{
    (void)state;
    const char *ok_types[] = {"prior_express_written", "prior_express", "verbal"};
    for (size_t p = 0; p < N(non_telemarketing); p++) {
        for (size_t i = 0; i < N(ok_types); i++) {
            struct cp_precall_consent cs[] = {consent("cst_ok", ok_types[i], "ai_voice")};
            struct cp_precall_result r = decide("Acme", non_telemarketing[p], CP_CALL_AI_VOICE, cs,
                                                N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
            expect_allowed(&r, &cs[0]);
            assert_true(r.disclosure_required);
            /* Without ai_voice in the scope it falls short. */
            cs[0].scope = "ai_sms,telemarketing,transactional";
            r = decide("Acme", non_telemarketing[p], CP_CALL_AI_VOICE, cs, N(cs), NULL, 0,
                       CP_PRECALL_HOURS_OK);
            expect_blocked(&r, "ai_consent_missing");
        }
        /* An established business relationship is not prior express consent. */
        struct cp_precall_consent ebr[] = {
            consent("cst_ebr", "established_business_relationship", "ai_voice")};
        struct cp_precall_result r = decide("Acme", non_telemarketing[p], CP_CALL_AI_VOICE, ebr,
                                            N(ebr), NULL, 0, CP_PRECALL_HOURS_OK);
        expect_blocked(&r, "ai_consent_missing");
    }
}

static void
test_precall__automated_telemarketing_needs_written_consent_with_telemarketing_scope(void **state)
{
    (void)state;
    struct cp_precall_consent ok[] = {consent("cst_w", "prior_express_written", "telemarketing")};
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AUTOMATED_VOICE,
                                        ok, N(ok), NULL, 0, CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &ok[0]);
    assert_true(r.disclosure_required);

    struct {
        const char *type, *scope;
    } short_of[] = {
        {"prior_express_written", "ai_voice"}, /* ai_voice alone does not cover telemarketing */
        {"prior_express_written", "ai_sms,transactional"},
        {"prior_express", "telemarketing"},
        {"verbal", "telemarketing,ai_voice"},
        {"established_business_relationship", "telemarketing"},
    };
    for (size_t i = 0; i < N(short_of); i++) {
        struct cp_precall_consent cs[] = {consent("cst_x", short_of[i].type, short_of[i].scope)};
        r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AUTOMATED_VOICE, cs, N(cs), NULL, 0,
                   CP_PRECALL_HOURS_OK);
        expect_blocked(&r, "ai_consent_missing");
    }
}

static void
test_precall__automated_calls_for_other_purposes_accept_express_consent_of_any_scope(void **state)
{
    (void)state;
    const char *ok_types[] = {"prior_express_written", "prior_express", "verbal"};
    const char *scopes[] = {"ai_sms", "transactional", "telemarketing", "ai_voice"};
    for (size_t p = 0; p < N(non_telemarketing); p++) {
        for (size_t i = 0; i < N(ok_types); i++) {
            for (size_t s = 0; s < N(scopes); s++) {
                struct cp_precall_consent cs[] = {consent("cst_ok", ok_types[i], scopes[s])};
                struct cp_precall_result r =
                    decide("Acme", non_telemarketing[p], CP_CALL_AUTOMATED_VOICE, cs, N(cs), NULL,
                           0, CP_PRECALL_HOURS_OK);
                expect_allowed(&r, &cs[0]);
            }
        }
        struct cp_precall_consent ebr[] = {
            consent("cst_ebr", "established_business_relationship", "transactional")};
        struct cp_precall_result r = decide("Acme", non_telemarketing[p], CP_CALL_AUTOMATED_VOICE,
                                            ebr, N(ebr), NULL, 0, CP_PRECALL_HOURS_OK);
        expect_blocked(&r, "ai_consent_missing");
    }
}

static void
test_precall__consent_entity_matches_case_insensitively(void **state)
{
    (void)state;
    struct cp_precall_consent cs[] = {consent("cst_w", "prior_express_written", "ai_voice")};
    cs[0].calling_entity = "ACME Insurance LLC";
    struct cp_precall_result r = decide("acme insurance llc", CP_PURPOSE_TELEMARKETING,
                                        CP_CALL_AI_VOICE, cs, N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &cs[0]);
}

static void
test_precall__another_entitys_consent_counts_as_none(void **state)
{
    (void)state;
    struct cp_precall_consent cs[] = {consent("cst_w", "prior_express_written", "ai_voice"),
                                      consent("cst_v", "verbal", "ai_voice")};
    cs[0].calling_entity = "Other Corp";
    cs[1].calling_entity = "Acme Insurance"; /* not "Acme" */
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                        N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "no_consent");
}

static void
test_precall__revoked_consents_are_not_usable(void **state)
{
    (void)state;
    struct cp_precall_consent cs[] = {consent("cst_w", "prior_express_written", "ai_voice")};
    cs[0].revoked_ms = NOW - MIN;
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                        N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "no_consent"); /* not usable at all, so not "missing" either */
    cs[0].revoked_ms = NOW;
    r = decide("Acme", CP_PURPOSE_INFORMATIONAL, CP_CALL_AI_VOICE, cs, N(cs), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "no_consent");
    /* A revocation mark dated after now has not taken effect yet. */
    cs[0].revoked_ms = NOW + MIN;
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs, N(cs), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &cs[0]);
}

static void
test_precall__consents_captured_after_now_are_not_usable(void **state)
{
    (void)state;
    struct cp_precall_consent cs[] = {consent("cst_w", "prior_express_written", "ai_voice")};
    cs[0].captured_ms = NOW + 1;
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                        N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "no_consent");
    cs[0].captured_ms = NOW + 3 * MIN; /* inside the API's 5-minute clock skew */
    r = decide("Acme", CP_PURPOSE_APPOINTMENT_REMINDER, CP_CALL_AUTOMATED_VOICE, cs, N(cs), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "no_consent");
    /* Captured exactly now is captured "before now" enough. */
    cs[0].captured_ms = NOW;
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs, N(cs), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &cs[0]);
}

static void
test_precall__invalid_consents_such_as_an_unclear_verbal_answer_are_not_usable(void **state)
{
    (void)state;
    struct cp_precall_consent cs[] = {consent("cst_unclear", "verbal", "ai_voice")};
    cs[0].valid = false;
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_INFORMATIONAL, CP_CALL_AI_VOICE, cs,
                                        N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "no_consent");
    r = decide("Acme", CP_PURPOSE_INFORMATIONAL, CP_CALL_AUTOMATED_VOICE, cs, N(cs), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "no_consent");
    /* An invalid written consent is not relied on either. */
    cs[0].type = "prior_express_written";
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs, N(cs), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "no_consent");
}

static void
test_precall__unusable_consents_give_no_consent_and_usable_short_ones_ai_consent_missing(
    void **state)
{
    (void)state;
    struct cp_precall_consent cs[] = {
        consent("cst_invalid", "prior_express_written", "ai_voice"),
        consent("cst_revoked", "prior_express_written", "ai_voice"),
        consent("cst_future", "prior_express_written", "ai_voice"),
        consent("cst_other", "prior_express_written", "ai_voice"),
        consent("cst_short", "verbal", "ai_voice"),
    };
    cs[0].valid = false;
    cs[1].revoked_ms = NOW - DAY / 2;
    cs[2].captured_ms = NOW + MIN;
    cs[3].calling_entity = "Other";
    /* Without the last one: nothing usable. */
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                        N(cs) - 1, NULL, 0, CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "no_consent");
    /* With it: a usable consent that does not cover telemarketing. */
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs, N(cs), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_blocked(&r, "ai_consent_missing");
    /* And it is enough for an informational AI call. */
    r = decide("Acme", CP_PURPOSE_INFORMATIONAL, CP_CALL_AI_VOICE, cs, N(cs), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &cs[4]);
}

static void
test_precall__the_newest_suitable_consent_is_relied_on(void **state)
{
    (void)state;
    struct cp_precall_consent cs[] = {
        consent("cst_old", "prior_express_written", "ai_voice"),
        consent("cst_newest_unsuitable", "verbal", "ai_voice"),
        consent("cst_new", "prior_express_written", "ai_voice,telemarketing"),
        consent("cst_future", "prior_express_written", "ai_voice"),
        consent("cst_newer_revoked", "prior_express_written", "ai_voice"),
        consent("cst_newer_invalid", "prior_express_written", "ai_voice"),
        consent("cst_middle", "prior_express_written", "ai_voice"),
    };
    cs[0].captured_ms = NOW - 30 * DAY;
    cs[1].captured_ms = NOW - MIN;
    cs[2].captured_ms = NOW - 2 * DAY;
    cs[3].captured_ms = NOW + MIN;
    cs[4].captured_ms = NOW - DAY;
    cs[4].revoked_ms = NOW - 60 * MIN;
    cs[5].captured_ms = NOW - DAY;
    cs[5].valid = false;
    cs[6].captured_ms = NOW - 10 * DAY;
    struct cp_precall_result r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                        N(cs), NULL, 0, CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &cs[2]);
    assert_string_equal(r.consent->id, "cst_new");

    /* For an informational call the newer verbal consent is suitable and wins. */
    r = decide("Acme", CP_PURPOSE_INFORMATIONAL, CP_CALL_AI_VOICE, cs, N(cs), NULL, 0,
               CP_PRECALL_HOURS_OK);
    expect_allowed(&r, &cs[1]);

    /* The order of the input does not matter. */
    struct cp_precall_consent rev[N(cs)];
    for (size_t i = 0; i < N(cs); i++)
        rev[i] = cs[N(cs) - 1 - i];
    r = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, rev, N(rev), NULL, 0,
               CP_PRECALL_HOURS_OK);
    assert_true(r.allowed);
    assert_string_equal(r.consent->id, "cst_new");
}

static void
test_precall__the_same_inputs_give_the_same_answer(void **state)
{
    (void)state;
    struct cp_precall_consent cs[] = {consent("cst_a", "prior_express_written", "ai_voice"),
                                      consent("cst_b", "verbal", "ai_voice")};
    struct cp_precall_revocation rs[] = {revocation("rev_x", "Other", false, NOW - DAY)};
    struct cp_precall_result a = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                        N(cs), rs, N(rs), CP_PRECALL_HOURS_OK);
    struct cp_precall_result b = decide("Acme", CP_PURPOSE_TELEMARKETING, CP_CALL_AI_VOICE, cs,
                                        N(cs), rs, N(rs), CP_PRECALL_HOURS_OK);
    assert_int_equal(a.allowed, b.allowed);
    assert_ptr_equal(a.reason, b.reason);
    assert_ptr_equal(a.consent, b.consent);
    assert_ptr_equal(a.revocation, b.revocation);
    assert_int_equal(a.disclosure_required, b.disclosure_required);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precall__purpose_names_parse_exactly),
        cmocka_unit_test(test_precall__call_type_names_parse_exactly),
        cmocka_unit_test(
            test_precall__no_consent_at_all_blocks_ai_and_automated_calls_for_every_purpose),
        cmocka_unit_test(test_precall__human_voice_needs_no_consent_and_no_disclosure),
        cmocka_unit_test(
            test_precall__human_voice_is_still_subject_to_revocation_and_calling_hours),
        cmocka_unit_test(test_precall__revocation_beats_hours_which_beat_consent),
        cmocka_unit_test(test_precall__revocation_entity_matches_case_insensitively),
        cmocka_unit_test(test_precall__entity_only_revocation_of_another_entity_does_not_apply),
        cmocka_unit_test(test_precall__scope_all_revocation_blocks_every_entity),
        cmocka_unit_test(test_precall__revocation_blocks_at_once_even_dated_a_little_ahead),
        cmocka_unit_test(test_precall__a_consent_captured_after_the_revocation_lifts_it),
        cmocka_unit_test(test_precall__earliest_revocation_in_effect_is_reported),
        cmocka_unit_test(test_precall__ai_telemarketing_needs_written_consent_with_ai_voice_scope),
        cmocka_unit_test(
            test_precall__ai_calls_for_other_purposes_accept_any_express_consent_with_ai_voice),
        cmocka_unit_test(
            test_precall__automated_telemarketing_needs_written_consent_with_telemarketing_scope),
        cmocka_unit_test(
            test_precall__automated_calls_for_other_purposes_accept_express_consent_of_any_scope),
        cmocka_unit_test(test_precall__consent_entity_matches_case_insensitively),
        cmocka_unit_test(test_precall__another_entitys_consent_counts_as_none),
        cmocka_unit_test(test_precall__revoked_consents_are_not_usable),
        cmocka_unit_test(test_precall__consents_captured_after_now_are_not_usable),
        cmocka_unit_test(
            test_precall__invalid_consents_such_as_an_unclear_verbal_answer_are_not_usable),
        cmocka_unit_test(
            test_precall__unusable_consents_give_no_consent_and_usable_short_ones_ai_consent_missing),
        cmocka_unit_test(test_precall__the_newest_suitable_consent_is_relied_on),
        cmocka_unit_test(test_precall__the_same_inputs_give_the_same_answer),
    };
    return cmocka_run_group_tests_name("precall", tests, NULL, NULL);
}
