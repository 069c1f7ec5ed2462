/*
 * The compliance rules (see compliance.h for the contract). This file holds the rule table with
 * each rule's basis, the text matchers (entity name, callback number, in-call opt-out) and the
 * evaluation, in the order of the table.
 *
 * Which rules apply to which call:
 *   - Disclosure rules (identity, entity, callback, opt-out, recording notice, offshore) only
 *     when somebody answered: an outcome of no_answer, busy or failed means no message was
 *     heard, so nothing had to be said (a note says so). A missing or unknown outcome counts as
 *     answered: the stricter reading. Voicemail is answered by a machine and the rules apply
 *     (64.1200(b)(3) has an extra clause for it).
 *   - Consent, revocation and calling-hours rules to every call: they are about placing it.
 *   - The opt-out rules of 64.1200(b)(3) only to telemarketing (params.purpose).
 *
 * Consent (C6 of the research): a call is covered when at least one consent listed as used is
 * on file for this tenant, for this phone (same E.164) and this calling entity (compared
 * without case, exactly as precall does: a consent is given to one legal entity, so "Acme
 * Insurance Inc" does not stand for "Acme Insurance LLC"), valid, captured at or before the start
 * of the call, not revoked at or before it, of a type the purpose allows (telemarketing: prior
 * express written, 64.1200(a)(2); otherwise written, express or verbal) and with ai_voice in its
 * scope (FCC 24-17). These are precall's rules (precall.c), applied at the call's start instead
 * of at the moment of the precall. If none covers the call, each listed consent gets one
 * critical finding naming the first of those conditions it fails; if one does, the others get
 * a warning (CONSENT_LISTED_UNUSABLE): the call was covered, but the evidence cites a consent
 * that would not have covered it.
 *
 * Revocations (C7): a revocation of this entity's calls, or of all calls, made at or before the
 * start: if the call came at or after its honor-by date (10 business days, calendar.h), it is a
 * violation of 64.1200(a)(10) as amended by FCC 24-24; before it, a warning, because the rule
 * gives "a reasonable time not to exceed ten business days", a maximum and not a grace period.
 *
 * In-call opt-out (C8): see cp_compliance_opt_out_scan below for how the transcript is read. A
 * revocation honors it when it is linked to the call by call_id, or applies to this entity and
 * was made between the start and the end of the call. Without one the request was not honored.
 * With one, the call must end within opt_out_end_within_s of the revocation's revoked_at (the
 * moment the consumer asked, per POST /v1/revoke's captured_at). The transcript has no times,
 * so only a recorded revocation can time the request.
 *
 * Consents captured during the call (C9): they authorize later calls, not this one, so their
 * defects are notes, with one exception. A captured consent on file and valid must follow a
 * request: a consent_request disclosure at or before the moment of capture, or the request
 * text kept in the consent record itself (capture-verbal's agent_disclosure_text, signed into
 * it). Without either, CONSENT_WITHOUT_REQUEST: nothing shows what the consumer said yes to. A
 * captured id that is not on file cannot be checked at all and is a note: the seed's example
 * lists one and, as its documentation says, scores 100.
 *
 * Recording notice (C13): a call with a recording, answered, to a number whose area code lies
 * in a state of params.all_party_states needs a recording_notice disclosure, at any moment (the
 * time the recording started is not known, so its timing is not checked).
 */
#include "domain/compliance.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/time.h"
#include "core/util.h"
#include "domain/calendar.h"
#include "domain/nanp.h"

/* ---- the rule table ----------------------------------------------------------------------- */

#define REF_1200 "47 CFR 64.1200"
#define REF_AI "47 CFR 64.1200(b)(1); FCC 24-17 (AI voice is an artificial voice, 47 USC 227(b))"
#define REF_CONSENT "47 USC 227(b)(1); 47 CFR 64.1200(a)(1)-(3); FCC 24-17"
#define REF_REVOKE "47 CFR 64.1200(a)(10), (d)(3) (FCC 24-24: honor within 10 business days)"
#define REF_RECORDS "16 CFR 310.5(a)(2) (call detail records: time and duration); record integrity"
#define REF_STATES                                                                                 \
    "State all-party consent laws, e.g. Cal. Penal Code 632, Fla. Stat. 934.03, 720 ILCS 5/14-2, " \
    "Md. Code Cts. & Jud. Proc. 10-402, Mass. Gen. Laws c. 272 s. 99, RCW 9.73.030"

#define R(id_, sev, w, en, ref, desc) [CP_CR_##id_] = {CP_CR_##id_, #id_, sev, w, en, ref, desc}

static const struct cp_compliance_rule rules[CP_CR_COUNT] = {
    R(AI_IDENTITY_MISSING, CP_SEV_CRITICAL, 30, true, REF_AI,
      "An ai_identity disclosure was made (calls that nobody answered are exempt)."),
    R(AI_IDENTITY_LATE, CP_SEV_WARNING, 10, true,
      REF_1200 "(b)(1) (\"at the beginning of the message\")",
      "The first ai_identity disclosure came within ai_identity_window_s of the start."),
    R(ENTITY_NOT_NAMED, CP_SEV_CRITICAL, 25, true,
      REF_1200 "(b)(1) (the name under which the entity is registered to conduct business)",
      "An ai_identity disclosure names the calling entity (legal-form words like LLC optional)."),
    R(CALLBACK_MISSING, CP_SEV_CRITICAL, 25, true, REF_1200 "(b)(2)",
      "A callback_number disclosure was made."),
    R(CALLBACK_UNPARSEABLE, CP_SEV_WARNING, 10, true, REF_1200 "(b)(2)",
      "The callback_number disclosure states a valid North American telephone number."),
    R(CALLBACK_PREMIUM_RATE, CP_SEV_CRITICAL, 25, true,
      REF_1200 "(b)(2) (\"may not be a 900 number\")", "The callback number is not a 900 number."),
    R(CALLBACK_MISMATCH, CP_SEV_WARNING, 5, true, REF_1200 "(b)(2); 47 CFR 64.1601(e)",
      "The callback number is the caller id or one of the tenant's callback numbers."),
    R(VOICEMAIL_NO_TOLL_FREE, CP_SEV_WARNING, 10, true,
      REF_1200 "(b)(3) (messages left on answering machines or voice mail)",
      "A telemarketing message left on voicemail gives a toll-free callback number."),
    R(OPT_OUT_MISSING, CP_SEV_CRITICAL, 25, true, REF_1200 "(b)(3)",
      "Telemarketing: an opt_out_instructions disclosure was made."),
    R(OPT_OUT_LATE, CP_SEV_WARNING, 10, true,
      REF_1200 "(b)(3) (\"within two (2) seconds of providing the identification\")",
      "Telemarketing: opt-out instructions within opt_out_after_identity_s of the end of the "
      "identification."),
    R(CONSENT_MISSING, CP_SEV_CRITICAL, 40, true, REF_CONSENT,
      "At least one consent id was given as authorizing the call."),
    R(CONSENT_NOT_FOUND, CP_SEV_CRITICAL, 35, true, REF_CONSENT,
      "Each consent id used is on file for this tenant."),
    R(CONSENT_WRONG_PHONE, CP_SEV_CRITICAL, 35, true, REF_CONSENT,
      "The consent is for the called number."),
    R(CONSENT_WRONG_ENTITY, CP_SEV_CRITICAL, 35, true, REF_CONSENT,
      "The consent was given to the calling entity (case-insensitive, exact name)."),
    R(CONSENT_INVALID, CP_SEV_CRITICAL, 35, true, REF_CONSENT,
      "The consent is valid (a verbal capture whose answer was not accepted is not)."),
    R(CONSENT_AFTER_CALL, CP_SEV_CRITICAL, 35, true, REF_CONSENT " (prior consent)",
      "The consent was captured at or before the start of the call."),
    R(CONSENT_REVOKED, CP_SEV_CRITICAL, 35, true, REF_CONSENT "; 47 CFR 64.1200(a)(10)",
      "The consent was not revoked at or before the start of the call."),
    R(CONSENT_TYPE, CP_SEV_CRITICAL, 35, true,
      REF_1200 "(a)(2) (prior express written consent for telemarketing); FCC 24-17",
      "The consent's type suits the purpose (telemarketing: prior express written)."),
    R(CONSENT_SCOPE, CP_SEV_CRITICAL, 35, true, REF_CONSENT,
      "The consent's scope includes ai_voice."),
    R(CONSENT_LISTED_UNUSABLE, CP_SEV_WARNING, 5, true, REF_CONSENT "; evidence quality",
      "When another consent covers the call, every other consent listed would have too."),
    R(NUMBER_REVOKED, CP_SEV_CRITICAL, 40, true, REF_REVOKE,
      "The call did not come at or after the honor-by date of a revocation made before it."),
    R(NUMBER_REVOKED_WITHIN_HONOR_PERIOD, CP_SEV_WARNING, 10, true, REF_REVOKE,
      "The call did not come after a revocation, even within its honor-by period."),
    R(OUTSIDE_CALLING_HOURS, CP_SEV_CRITICAL, 30, true,
      REF_1200 "(c)(1); 16 CFR 310.4(c); 15 USC 1692c(a)(1)",
      "The call started within calling hours in every time zone of the called area code."),
    R(OPT_OUT_NOT_HONORED, CP_SEV_CRITICAL, 35, true,
      REF_1200 "(b)(3), (a)(10) (FCC 24-24: revocation by any reasonable means)",
      "An opt-out said during the call was recorded as a revocation."),
    R(OPT_OUT_CALL_NOT_ENDED, CP_SEV_CRITICAL, 25, true,
      REF_1200 "(b)(3) (\"immediately terminate the call\")",
      "The call ended within opt_out_end_within_s of an in-call opt-out."),
    R(CONSENT_WITHOUT_REQUEST, CP_SEV_WARNING, 10, true,
      "47 CFR 64.1200(a)(2)-(3) (consent must be shown to have been given); FCC 24-17",
      "A consent captured during the call follows a consent request."),
    R(RECORDING_NOTICE_MISSING, CP_SEV_WARNING, 10, true, REF_STATES,
      "A recorded call to an all-party-consent state has a recording_notice disclosure."),
    R(OFFSHORE_DISCLOSURE_MISSING, CP_SEV_WARNING, 5, false,
      "Tenant policy; no rule in force (proposed: S. 2495, 119th Cong., Keep Call Centers in "
      "America Act of 2025)",
      "An offshore_location disclosure was made (off unless the tenant enables it)."),
    R(TIMES_INCONSISTENT, CP_SEV_WARNING, 10, true, REF_RECORDS,
      "ended_at is not before started_at, and duration_seconds is not negative."),
    R(DURATION_MISMATCH, CP_SEV_WARNING, 5, true, REF_RECORDS,
      "duration_seconds equals ended_at - started_at within duration_tolerance_s."),
    R(DISCLOSURE_OUTSIDE_CALL, CP_SEV_WARNING, 5, true, REF_RECORDS,
      "Every disclosure's at_seconds lies within the call (plus duration_tolerance_s)."),
    R(CALL_TIME_MISSING, CP_SEV_WARNING, 5, true, REF_RECORDS,
      "The call's start time is known (started_at, or ended_at with duration_seconds)."),
    R(CALL_START_DERIVED, CP_SEV_INFO, 0, true, REF_RECORDS,
      "Note: the start was derived from ended_at minus duration_seconds."),
    R(CALLING_HOURS_UNVERIFIED, CP_SEV_INFO, 0, true, REF_1200 "(c)(1)",
      "Note: calling hours could not be checked (unknown area code, start or time zone)."),
    R(DISCLOSURES_NOT_APPLICABLE, CP_SEV_INFO, 0, true, REF_1200 "(b)",
      "Note: nobody answered, so the disclosure rules were not applied."),
    R(DISCLOSURE_TIME_UNKNOWN, CP_SEV_INFO, 0, true, REF_1200 "(b)(1), (b)(3)",
      "Note: a disclosure whose timing matters has no at_seconds."),
    R(CALLER_ID_NOT_RECORDED, CP_SEV_INFO, 0, true, "47 CFR 64.1601(e); 16 CFR 310.4(a)(8)",
      "Note: no calling_number was given."),
    R(RECORDING_NOTICE_UNVERIFIED, CP_SEV_INFO, 0, true, REF_STATES,
      "Note: the call was recorded and the called party's state is unknown."),
    R(CONSENT_CAPTURED_NOT_FOUND, CP_SEV_INFO, 0, true, REF_CONSENT,
      "Note: a consent listed as captured is not on file for this tenant."),
    R(CONSENT_CAPTURED_INVALID, CP_SEV_INFO, 0, true, REF_CONSENT,
      "Note: a consent captured during the call is not valid."),
    R(OPT_OUT_RECORDED, CP_SEV_INFO, 0, true, REF_1200 "(b)(3), (a)(10)",
      "Note: an opt-out during the call was recorded as a revocation."),
    R(INPUT_TRUNCATED, CP_SEV_INFO, 0, true, "callproof limits",
      "Note: part of the input was past callproof's limits and was not checked."),
};

#undef R

const struct cp_compliance_rule *
cp_compliance_rules(size_t *out_n)
{
    *out_n = CP_CR_COUNT;
    return rules;
}

const struct cp_compliance_rule *
cp_compliance_rule_by_code(const char *code)
{
    for (size_t i = 0; code != NULL && i < CP_CR_COUNT; i++)
        if (strcmp(rules[i].code, code) == 0)
            return &rules[i];
    return NULL;
}

const char *
cp_compliance_severity_name(enum cp_compliance_severity s)
{
    return s == CP_SEV_CRITICAL ? "critical" : s == CP_SEV_WARNING ? "warning" : "info";
}

/*
 * All-party-consent states for recording a phone call. The 11 most cited (California,
 * Florida, Illinois, Maryland, Massachusetts, Montana, Nevada, New Hampshire, Pennsylvania,
 * Washington, Delaware) plus Connecticut and Michigan:
 *   CA Penal Code 632 (confidential communications); CT Gen. Stat. 52-570d (civil: telephone
 *   recordings need all parties' consent, or a recorded notice or tone); DE 11 Del. C. 1335(a)(4)
 *   (privacy statute; its wiretap act, 11 Del. C. 2402(c)(4), is one-party: conflicting, listed
 *   to be safe); FL Stat. 934.03; IL 720 ILCS 5/14-2 (private conversations, as amended 2014); MD
 *   Cts. & Jud. Proc. 10-402; MA Gen. Laws c. 272 s. 99; MI Comp. Laws 750.539c (courts let a
 *   participant record, Sullivan v. Gray (1982); listed to be safe); MT Code 45-8-213; NV Rev.
 *   Stat. 200.620 (wire communications: all parties, Lane v. Allstate, 969 P.2d 938 (Nev.
 *   1998)); NH RSA 570-A:2; PA 18 Pa.C.S. 5703-5704; WA RCW 9.73.030.
 * Not listed: Oregon (ORS 165.540 needs all parties only for in-person talk), Vermont (no
 * statute), Hawaii (one-party for calls). Sources: Metaverse Law, "Two-Party Consent
 * Requirements for Recording Calls" (2022); the state statutes above. Being listed costs a
 * caller one sentence of notice; being missed can cost $5,000 a call (Cal. Penal Code 637.2),
 * so doubtful states are in. A tenant can replace the list.
 */
static const char *const all_party_states[] = {"US-CA", "US-CT", "US-DE", "US-FL", "US-IL",
                                               "US-MD", "US-MA", "US-MI", "US-MT", "US-NV",
                                               "US-NH", "US-PA", "US-WA"};

const char *const *
cp_compliance_all_party_states(size_t *out_n)
{
    *out_n = CP_ARRAY_LEN(all_party_states);
    return all_party_states;
}

struct cp_compliance_params
cp_compliance_params_default(void)
{
    struct cp_compliance_params p;
    memset(&p, 0, sizeof(p));
    p.purpose = CP_PURPOSE_TELEMARKETING;
    p.ai_identity_window_s = 2;
    p.opt_out_after_identity_s = 2;
    p.calling_hours_start = 8;
    p.calling_hours_end = 21;
    p.opt_out_end_within_s = 10;
    p.duration_tolerance_s = 2;
    p.opt_out_short_utterance_words = 3;
    p.speech_words_per_minute = 150;
    p.all_party_states = all_party_states;
    p.n_all_party_states = CP_ARRAY_LEN(all_party_states);
    for (int i = 0; i < CP_CR_COUNT; i++) {
        p.enabled[i] = rules[i].default_enabled;
        p.weight[i] = rules[i].default_weight;
    }
    return p;
}

#define MAX_WINDOW_S 86400

static bool
in_range(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

bool
cp_compliance_params_valid(const struct cp_compliance_params *p, const char **out_field)
{
    const char *bad = NULL;
    if ((int)p->purpose < 0 || p->purpose > CP_PURPOSE_APPOINTMENT_REMINDER)
        bad = "purpose";
    else if (!in_range(p->ai_identity_window_s, 0, MAX_WINDOW_S))
        bad = "ai_identity_window_s";
    else if (!in_range(p->opt_out_after_identity_s, 0, MAX_WINDOW_S))
        bad = "opt_out_after_identity_s";
    else if (!in_range(p->calling_hours_start, 0, 23))
        bad = "calling_hours_start";
    else if (!in_range(p->calling_hours_end, p->calling_hours_start + 1, 24))
        bad = "calling_hours_end";
    else if (!in_range(p->opt_out_end_within_s, 0, MAX_WINDOW_S))
        bad = "opt_out_end_within_s";
    else if (!in_range(p->duration_tolerance_s, 0, MAX_WINDOW_S))
        bad = "duration_tolerance_s";
    else if (!in_range(p->opt_out_short_utterance_words, 0, 64))
        bad = "opt_out_short_utterance_words";
    else if (!in_range(p->speech_words_per_minute, 60, 600))
        bad = "speech_words_per_minute";
    else if (p->n_all_party_states > CP_COMPLIANCE_MAX_STATES ||
             (p->n_all_party_states > 0 && p->all_party_states == NULL))
        bad = "all_party_states";
    else if (p->n_callback_numbers > CP_COMPLIANCE_MAX_STATES ||
             (p->n_callback_numbers > 0 && p->callback_numbers == NULL))
        bad = "callback_numbers";
    for (int i = 0; bad == NULL && i < CP_CR_COUNT; i++)
        if (!in_range(p->weight[i], 0, 100))
            bad = "weight";
    if (out_field != NULL)
        *out_field = bad;
    return bad == NULL;
}

void
cp_compliance_split_revocations(const struct cp_compliance_revocation *all, size_t n,
                                const char *call_id, int64_t started_ms,
                                struct cp_compliance_revocation *before, size_t *n_before,
                                struct cp_compliance_revocation *during, size_t *n_during)
{
    *n_before = *n_during = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cp_compliance_revocation *r = &all[i];
        bool in_call =
            (call_id != NULL && r->call_id != NULL && strcmp(r->call_id, call_id) == 0) ||
            (started_ms != 0 && r->rec.revoked_ms >= started_ms);
        if (in_call)
            during[(*n_during)++] = *r;
        else
            before[(*n_before)++] = *r;
    }
}

/* ---- text: characters and words --------------------------------------------------------- */

enum unit_class {
    U_SPACE, /* any separator */
    U_BREAK, /* a separator that ends an utterance: . ! ? , ; : line breaks, dashes, ellipsis */
    U_ALNUM, /* ASCII letter or digit */
    U_OTHER, /* a byte of a non-ASCII letter (compared as is) */
    U_APOS,  /* ' and U+2018/U+2019: dropped inside words */
    U_AMP,   /* &: the word "and" */
};

static bool
is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Class and byte length of the unit at s[i] (i < end). Multi-byte punctuation: U+2000-U+206F
 * (E2 80/81 xx) and Latin-1 symbols (C2 xx: no-break space, inverted marks, guillemets). */
static size_t
unit_at(const char *s, size_t i, size_t end, enum unit_class *cls)
{
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
        if (is_alnum(c))
            *cls = U_ALNUM;
        else if (c == '\'')
            *cls = U_APOS;
        else if (c == '&')
            *cls = U_AMP;
        else if (strchr(".!?,;:\n\r", c) != NULL)
            *cls = U_BREAK;
        else
            *cls = U_SPACE;
        return 1;
    }
    if (c == 0xe2 && i + 2 < end &&
        ((unsigned char)s[i + 1] == 0x80 || (unsigned char)s[i + 1] == 0x81)) {
        unsigned char c3 = (unsigned char)s[i + 2];
        if ((unsigned char)s[i + 1] == 0x80 && (c3 == 0x98 || c3 == 0x99))
            *cls = U_APOS;
        else if ((unsigned char)s[i + 1] == 0x80 && (c3 == 0x93 || c3 == 0x94 || c3 == 0xa6))
            *cls = U_BREAK; /* en dash, em dash, ellipsis */
        else
            *cls = U_SPACE;
        return 3;
    }
    if (c == 0xc2 && i + 1 < end) {
        unsigned char c2 = (unsigned char)s[i + 1];
        *cls = c2 == 0xa1 || c2 == 0xbf ? U_BREAK : U_SPACE;
        return 2;
    }
    *cls = U_OTHER;
    return 1;
}

static bool
wordish(enum unit_class c)
{
    return c == U_ALNUM || c == U_OTHER;
}

struct span {
    const char *p;
    size_t n;
};

/*
 * The next word of s[*pos, end): a run of letters and digits, with apostrophes inside it
 * ("don't") and dots that join single characters ("L.L.C", "A.I") belonging to it; or a lone
 * "&". Advances *pos past it. False when there is none.
 */
static bool
next_word(const char *s, size_t end, size_t *pos, struct span *w)
{
    size_t i = *pos;
    enum unit_class c = U_SPACE;
    while (i < end) {
        size_t n = unit_at(s, i, end, &c);
        if (wordish(c) || c == U_AMP)
            break;
        i += n;
    }
    if (i >= end) {
        *pos = end;
        return false;
    }
    size_t start = i;
    if (c == U_AMP) {
        w->p = s + i;
        w->n = 1;
        *pos = i + 1;
        return true;
    }
    size_t piece = 0; /* word characters since the word start or the last joining dot */
    while (i < end) {
        size_t n = unit_at(s, i, end, &c);
        if (wordish(c)) {
            piece++;
            i += n;
            continue;
        }
        enum unit_class c2 = U_SPACE;
        if (i + n < end)
            unit_at(s, i + n, end, &c2);
        if (c == U_APOS && wordish(c2)) {
            i += n;
            continue;
        }
        if (s[i] == '.' && piece == 1 && c2 == U_ALNUM) {
            piece = 0;
            i += n;
            continue;
        }
        break;
    }
    w->p = s + start;
    w->n = i - start;
    *pos = i;
    return true;
}

/* Iterates the normalised bytes of a word: ASCII lower-cased, apostrophes and dots dropped,
 * "&" read as "and". */
struct nit {
    const char *p;
    size_t n, i;
};

static void
nit_init(struct nit *it, struct span w)
{
    it->p = w.n == 1 && w.p[0] == '&' ? "and" : w.p;
    it->n = w.n == 1 && w.p[0] == '&' ? 3 : w.n;
    it->i = 0;
}

static int
nit_next(struct nit *it)
{
    while (it->i < it->n) {
        unsigned char c = (unsigned char)it->p[it->i];
        if (c == '\'' || c == '.') {
            it->i++;
            continue;
        }
        if (c == 0xe2 && it->i + 2 < it->n && (unsigned char)it->p[it->i + 1] == 0x80 &&
            ((unsigned char)it->p[it->i + 2] == 0x98 || (unsigned char)it->p[it->i + 2] == 0x99)) {
            it->i += 3;
            continue;
        }
        it->i++;
        return lower(c);
    }
    return -1;
}

static bool
word_eq(struct span a, struct span b)
{
    struct nit x, y;
    nit_init(&x, a);
    nit_init(&y, b);
    for (;;) {
        int cx = nit_next(&x), cy = nit_next(&y);
        if (cx != cy)
            return false;
        if (cx < 0)
            return true;
    }
}

static bool
word_is(struct span w, const char *lit)
{
    struct span l = {lit, strlen(lit)};
    return word_eq(w, l);
}

/* Split s[0, end) into at most max words; returns how many. */
static size_t
words_of(const char *s, size_t end, struct span *out, size_t max)
{
    size_t n = 0, pos = 0;
    while (n < max && next_word(s, end, &pos, &out[n]))
        n++;
    return n;
}

/* Do the m words ws appear consecutively in text[0, end)? */
static bool
words_in(const struct span *ws, size_t m, const char *text, size_t end)
{
    size_t pos = 0;
    struct span w;
    for (;;) {
        size_t at = pos;
        if (!next_word(text, end, &pos, &w))
            return false;
        size_t q = at, k = 0;
        struct span x;
        while (k < m && next_word(text, end, &q, &x) && word_eq(x, ws[k]))
            k++;
        if (k == m)
            return true;
    }
}

/* ---- entity names ------------------------------------------------------------------------ */

#define ENTITY_MAX_BYTES 512
#define ENTITY_MAX_WORDS 48
#define TEXT_MAX_BYTES 4096

static const char *const legal_forms[] = {
    "llc", "inc",     "incorporated", "corp", "corporation", "ltd", "limited",
    "co",  "company", "lp",           "llp",  "pllc",        "plc", "pc"};

static bool
legal_form(struct span w)
{
    for (size_t i = 0; i < CP_ARRAY_LEN(legal_forms); i++)
        if (word_is(w, legal_forms[i]))
            return true;
    return false;
}

/* Length of a "doing business as" marker at ws[i] (dba, d b a, doing business as), or 0. */
static size_t
dba_at(const struct span *ws, size_t i, size_t n)
{
    if (word_is(ws[i], "dba"))
        return 1;
    if (i + 2 < n && word_is(ws[i], "d") && word_is(ws[i + 1], "b") && word_is(ws[i + 2], "a"))
        return 3;
    if (i + 2 < n && word_is(ws[i], "doing") && word_is(ws[i + 1], "business") &&
        word_is(ws[i + 2], "as"))
        return 3;
    return 0;
}

static bool
part_named(const struct span *ws, size_t n, const char *text, size_t tlen)
{
    size_t all = n;
    while (n > 1 && legal_form(ws[n - 1]))
        n--;
    /* "Chase & Co." -> "Chase": the "&" went with the legal form. */
    if (n < all && n > 1 && word_is(ws[n - 1], "and"))
        n--;
    return n > 0 && words_in(ws, n, text, tlen);
}

bool
cp_compliance_entity_named(const char *entity, const char *text)
{
    if (entity == NULL || text == NULL)
        return false;
    struct span ws[ENTITY_MAX_WORDS];
    size_t n = words_of(entity, strnlen(entity, ENTITY_MAX_BYTES), ws, ENTITY_MAX_WORDS);
    size_t tlen = strnlen(text, TEXT_MAX_BYTES);
    size_t from = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t marker = i < n ? dba_at(ws, i, n) : 0;
        if (i < n && marker == 0)
            continue;
        if (i > from && part_named(ws + from, i - from, text, tlen))
            return true;
        from = i + marker;
        if (marker > 0)
            i += marker - 1;
    }
    return false;
}

/* ---- callback numbers --------------------------------------------------------------------- */

#define RUN_MAX_DIGITS 32
#define RUN_MAX_GROUPS 16

static char
keypad(char c)
{
    return "22233344455566677778889999"[c - 'A'];
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The first valid NANP number made of whole consecutive digit groups of one run. */
static bool
run_number(const char *d, const size_t *group, size_t n_groups, size_t nd, bool plus, char out[11])
{
    /* After "+" the first group is a country code: the number starts there or nowhere. */
    for (size_t s = 0; s < (plus ? 1 : n_groups); s++) {
        for (size_t e = s + 1; e <= n_groups; e++) {
            size_t from = group[s], to = e < n_groups ? group[e] : nd, len = to - from;
            const char *q = d + from;
            if (len == 11 && q[0] == '1') {
                q++;
                len--;
            }
            if (len == 10 && q[0] >= '2' && q[3] >= '2') {
                memcpy(out, q, 10);
                out[10] = '\0';
                return true;
            }
            if (len > 11)
                break;
        }
    }
    return false;
}

bool
cp_compliance_callback_parse(const char *text, char out[11])
{
    out[0] = '\0';
    if (text == NULL)
        return false;
    size_t n = strnlen(text, TEXT_MAX_BYTES), i = 0;
    while (i < n) {
        char c = text[i];
        bool start = is_digit(c) || ((c == '+' || c == '(') && i + 1 < n && is_digit(text[i + 1]));
        if (!start) {
            i++;
            continue;
        }
        char d[RUN_MAX_DIGITS];
        size_t group[RUN_MAX_GROUPS], nd = 0, ng = 0;
        int seps = 0;
        char prev = c;
        bool in_group = false;
        size_t j = c == '+' ? i + 1 : i;
        for (; j < n; j++) {
            char ch = text[j];
            bool letter =
                ch >= 'A' && ch <= 'Z' && nd >= 3 && (prev == '-' || (prev >= 'A' && prev <= 'Z'));
            if (is_digit(ch) || letter) {
                bool new_group = !in_group || (letter != (prev >= 'A' && prev <= 'Z'));
                if (new_group && ng < RUN_MAX_GROUPS && nd < RUN_MAX_DIGITS)
                    group[ng++] = nd;
                if (nd < RUN_MAX_DIGITS)
                    d[nd++] = letter ? keypad(ch) : ch;
                in_group = true;
                seps = 0;
                prev = ch;
                continue;
            }
            /* ". " ends a sentence and so the number; other separators may repeat 3 times. */
            bool sentence_end =
                ch == '.' && (j + 1 >= n || text[j + 1] == ' ' || text[j + 1] == '\n');
            if (ch != '\0' && strchr("-. ()/", ch) != NULL && !sentence_end && seps < 3) {
                seps++;
                in_group = false;
                prev = ch;
                continue;
            }
            break;
        }
        i = j > i ? j : i + 1;
        if (nd >= 7 && ng > 0 && run_number(d, group, ng, nd, c == '+', out))
            return true;
    }
    return false;
}

/* "+18005550100" -> "8005550100"; false if not "+1" and 10 digits. */
static bool
nanp_digits(const char *e164, char out[11])
{
    if (e164 == NULL || e164[0] != '+' || e164[1] != '1' || strlen(e164) != 12)
        return false;
    for (int i = 0; i < 10; i++)
        if (!is_digit(e164[2 + i]))
            return false;
    memcpy(out, e164 + 2, 10);
    out[10] = '\0';
    return true;
}

static bool
toll_free(const char *d)
{
    static const char *const npas[] = {"800", "833", "844", "855", "866", "877", "888"};
    for (size_t i = 0; i < CP_ARRAY_LEN(npas); i++)
        if (strncmp(d, npas[i], 3) == 0)
            return true;
    return false;
}

/* ---- in-call opt-out ---------------------------------------------------------------------- */

/*
 * Why this heuristic. FCC 24-24 lists "stop", "quit", "end", "revoke", "opt out", "cancel" and
 * "unsubscribe" as per-se revocations in reply to a text, where the reply is the whole
 * message. A call transcript is free speech from both sides: the agent's own opt-out
 * instructions say "say stop", and consumers say "cancel my policy" or "at the end of the
 * month". A false match is a critical finding sealed into a lawful caller's evidence; a missed
 * one hides a violation. So: the agent's lines and the agent's disclosed texts are not read;
 * unambiguous phrases count anywhere; the ambiguous single words count when they stand (almost)
 * alone, as a text reply would. The phrases are part of rules_version.
 */
/* Phrases have at most 3 words (in_agent_text keeps 3). */
struct phrase {
    const char *text;
    bool anywhere; /* false: only in a short utterance */
};

static const struct phrase phrases[] = {
    {"opt out", true},       {"unsubscribe", true},  {"revoke", true},
    {"do not call", true},   {"don't call", true},   {"remove me", true},
    {"take me off", true},   {"stop calling", true}, {"stop contacting", true},
    {"no more calls", true}, {"stop", false},        {"quit", false},
    {"end", false},          {"cancel", false},
};

static const char *const agent_labels[] = {
    "agent",          "ai",           "assistant",     "bot",
    "ai agent",       "ai assistant", "virtual agent", "virtual assistant",
    "voice agent",    "system",       "robot",         "rep",
    "representative", "operator"};

#define LABEL_MAX 24
#define AGENT_TEXTS_MAX 16
#define AGENT_WORDS_MAX 64
#define AGENT_TEXT_BYTES 1024
#define SCAN_BUDGET 4000000L /* word comparisons; past it the scan stops (truncated) */

enum speaker { SP_NONE, SP_AGENT, SP_OTHER };

/* Does line s[ls, le) start with a speaker label? Returns it and sets *content past it. */
static enum speaker
line_label(const char *s, size_t ls, size_t le, size_t *content)
{
    size_t j = ls;
    *content = ls;
    while (j < le && (s[j] == ' ' || s[j] == '\t'))
        j++;
    if (j < le && (s[j] == '[' || s[j] == '(')) {
        char close = s[j] == '[' ? ']' : ')';
        size_t k = j + 1;
        while (k < le && k - j < 24 && s[k] != close)
            k++;
        if (k < le && s[k] == close)
            j = k + 1;
    } else if (j < le && is_digit(s[j])) {
        size_t k = j;
        while (k < le && (is_digit(s[k]) || s[k] == ':' || s[k] == '.'))
            k++;
        if (k < le && s[k] == ' ')
            j = k;
    }
    while (j < le && (s[j] == ' ' || s[j] == '\t'))
        j++;
    if (j >= le || !((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
        return SP_NONE;
    char label[LABEL_MAX + 1];
    size_t n = 0, k = j;
    for (; k < le && k - j < LABEL_MAX && s[k] != ':'; k++) {
        unsigned char c = (unsigned char)s[k];
        bool space = c == ' ' || c == '_' || c == '-';
        if (!is_alnum(c) && !space)
            return SP_NONE;
        if (space && (n == 0 || label[n - 1] == ' '))
            continue;
        label[n++] = space ? ' ' : (char)lower(c);
    }
    if (k >= le || s[k] != ':')
        return SP_NONE;
    while (n > 0 && label[n - 1] == ' ')
        n--;
    label[n] = '\0';
    *content = k + 1;
    for (size_t i = 0; i < CP_ARRAY_LEN(agent_labels); i++)
        if (strcmp(label, agent_labels[i]) == 0)
            return SP_AGENT;
    return SP_OTHER;
}

/* Byte length of an utterance break ending at s[k-1] (k > lo), or 0. */
static size_t
break_before(const char *s, size_t lo, size_t k)
{
    if (strchr(".!?,;:\n\r", s[k - 1]) != NULL && s[k - 1] != '\0')
        return 1;
    if (k - lo >= 3 && (unsigned char)s[k - 3] == 0xe2 && (unsigned char)s[k - 2] == 0x80) {
        unsigned char c = (unsigned char)s[k - 1];
        if (c == 0x93 || c == 0x94 || c == 0xa6)
            return 3;
    }
    if (k - lo >= 2 && (unsigned char)s[k - 2] == 0xc2 &&
        ((unsigned char)s[k - 1] == 0xa1 || (unsigned char)s[k - 1] == 0xbf))
        return 2;
    return 0;
}

/* Number of words in the utterance of line s[cs, le) that contains s[ms, me). */
static size_t
utterance_words(const char *s, size_t cs, size_t le, size_t ms, size_t me)
{
    size_t a = ms, b = me;
    while (a > cs && break_before(s, cs, a) == 0)
        a--;
    while (b < le) {
        enum unit_class c;
        size_t n = unit_at(s, b, le, &c);
        if (c == U_BREAK)
            break;
        b += n;
    }
    struct span w;
    size_t pos = a, count = 0;
    while (next_word(s, b, &pos, &w))
        count++;
    return count;
}

struct agent_text {
    struct span w[AGENT_WORDS_MAX];
    size_t n;
};

struct scan {
    const char *s;
    size_t len;
    struct agent_text agents[AGENT_TEXTS_MAX];
    size_t n_agents;
    long budget;
};

/* The up to AGENT_WORDS_MAX words before byte ms, read from a window of 1 KiB before it (the
 * longest agent text read is 1 KiB). Each word read costs one unit of the budget. */
static size_t
words_before(struct scan *sc, size_t ms, struct span before[AGENT_WORDS_MAX])
{
    size_t nb = 0, pos = ms > AGENT_TEXT_BYTES ? ms - AGENT_TEXT_BYTES : 0;
    while (pos > 0 && pos < ms && ((unsigned char)sc->s[pos] & 0xc0) == 0x80)
        pos++;
    struct span w;
    while (next_word(sc->s, ms, &pos, &w)) {
        sc->budget--;
        if (nb == AGENT_WORDS_MAX) {
            memmove(before, before + 1, sizeof(before[0]) * (AGENT_WORDS_MAX - 1));
            nb--;
        }
        before[nb++] = w;
    }
    return nb;
}

/* Is the match (k <= 3 words from byte ms, ending at me) inside a run of at least
 * min(5, length) words of an agent text, aligned with the same words of that text? */
static bool
in_agent_text(struct scan *sc, size_t ms, size_t me, size_t k)
{
    struct span before[AGENT_WORDS_MAX], hit[3];
    size_t nb = 0, q = ms;
    bool have_before = false;
    for (size_t i = 0; i < k && i < 3; i++)
        next_word(sc->s, me, &q, &hit[i]);
    for (size_t a = 0; a < sc->n_agents; a++) {
        const struct agent_text *t = &sc->agents[a];
        for (size_t j = 0; j + k <= t->n; j++) {
            size_t i = 0;
            while (i < k && word_eq(t->w[j + i], hit[i]))
                i++;
            sc->budget -= (long)i + 1;
            if (i < k)
                continue;
            if (!have_before) {
                nb = words_before(sc, ms, before);
                have_before = true;
            }
            size_t left = 0, right = 0;
            while (left < j && left < nb && word_eq(t->w[j - 1 - left], before[nb - 1 - left]))
                left++;
            size_t r = me;
            struct span x;
            while (j + k + right < t->n && next_word(sc->s, sc->len, &r, &x) &&
                   word_eq(t->w[j + k + right], x))
                right++;
            sc->budget -= (long)(left + right);
            size_t need = t->n < 5 ? t->n : 5;
            if (left + k + right >= need)
                return true;
        }
    }
    return false;
}

/* Does a phrase start at word w (at byte ws) of line content s[cs, le)? Sets *me. */
static bool
phrase_at(const char *s, size_t le, size_t ws, const struct phrase *ph, size_t *me, size_t *k)
{
    size_t pp = 0, tp = ws, plen = strlen(ph->text);
    struct span pw, tw;
    *k = 0;
    while (next_word(ph->text, plen, &pp, &pw)) {
        if (!next_word(s, le, &tp, &tw) || !word_eq(pw, tw))
            return false;
        (*k)++;
    }
    *me = tp;
    return *k > 0;
}

void
cp_compliance_opt_out_scan(const char *transcript, const char *const *agent_texts,
                           size_t n_agent_texts, int short_words, struct cp_opt_out_scan *out)
{
    memset(out, 0, sizeof(*out));
    if (transcript == NULL)
        return;
    struct scan scan_, *sc = &scan_;
    memset(sc, 0, sizeof(*sc));
    sc->s = transcript;
    sc->len = strnlen(transcript, CP_COMPLIANCE_MAX_TRANSCRIPT_BYTES);
    out->truncated = transcript[sc->len] != '\0';
    sc->budget = SCAN_BUDGET;
    for (size_t i = 0; agent_texts != NULL && i < n_agent_texts && sc->n_agents < AGENT_TEXTS_MAX;
         i++) {
        if (agent_texts[i] == NULL)
            continue;
        struct agent_text *t = &sc->agents[sc->n_agents++];
        t->n = words_of(agent_texts[i], strnlen(agent_texts[i], AGENT_TEXT_BYTES), t->w,
                        AGENT_WORDS_MAX);
    }
    enum speaker who = SP_NONE;
    for (size_t ls = 0; ls < sc->len;) {
        const char *nl = memchr(sc->s + ls, '\n', sc->len - ls);
        size_t le = nl != NULL ? (size_t)(nl - sc->s) : sc->len, cs;
        enum speaker label = line_label(sc->s, ls, le, &cs);
        if (label != SP_NONE)
            who = label;
        size_t pos = cs;
        struct span w;
        while (who != SP_AGENT && sc->budget > 0) {
            if (!next_word(sc->s, le, &pos, &w))
                break;
            size_t wstart = (size_t)(w.p - sc->s);
            for (size_t p = 0; p < CP_ARRAY_LEN(phrases); p++) {
                size_t me, k;
                sc->budget--;
                if (!phrase_at(sc->s, le, wstart, &phrases[p], &me, &k))
                    continue;
                if (!phrases[p].anywhere && utterance_words(sc->s, cs, le, wstart, me) >
                                                (size_t)(short_words < 0 ? 0 : short_words))
                    continue;
                if (in_agent_text(sc, wstart, me, k))
                    continue;
                out->found = true;
                out->phrase = phrases[p].text;
                out->offset = wstart;
                return;
            }
        }
        if (sc->budget <= 0) {
            out->truncated = true;
            return;
        }
        ls = le + 1;
    }
}

/* ---- evaluation ---------------------------------------------------------------------------- */

struct ctx {
    const struct cp_compliance_input *in;
    struct cp_compliance_params p; /* clamped copy */
    struct cp_compliance_result *out;
    bool broken[CP_CR_COUNT];             /* rules with a scored finding (kept or dropped) */
    int64_t started_ms, ended_ms, dur_ms; /* the input's, clamped (dur_ms -1 = unknown) */
    int64_t start_ms;                     /* 0 = unknown; derived from the end if need be */
    int64_t end_ms;                       /* 0 = unknown */
    bool have_len;
    int64_t len_s;
    bool answered;
};

static void emit(struct ctx *c, enum cp_compliance_rule_id r, int at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
emit(struct ctx *c, enum cp_compliance_rule_id r, int at, const char *fmt, ...)
{
    if (!c->p.enabled[r])
        return;
    bool info = rules[r].severity == CP_SEV_INFO;
    struct cp_compliance_finding *arr = info ? c->out->notes : c->out->findings;
    size_t *n = info ? &c->out->n_notes : &c->out->n_findings;
    size_t cap = info ? CP_COMPLIANCE_MAX_NOTES : CP_COMPLIANCE_MAX_FINDINGS;
    if (!info)
        c->broken[r] = true;
    if (*n >= cap) {
        c->out->n_dropped++;
        return;
    }
    struct cp_compliance_finding *f = &arr[(*n)++];
    f->rule = r;
    f->code = rules[r].code;
    f->severity = cp_compliance_severity_name(rules[r].severity);
    f->rule_ref = rules[r].rule_ref;
    f->weight = info ? 0 : c->p.weight[r];
    f->points = 0;
    f->at_seconds = at;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
    cp_utf8_trim_tail(f->message);
}

#define QUOTE_MAX 64
typedef char quote_buf[QUOTE_MAX + 4];

/* s (NULL = "") clipped to QUOTE_MAX bytes on a character boundary, "..." marking a cut, and
 * control characters replaced by spaces, so a message stays one readable line. */
static const char *
quote(quote_buf buf, const char *s)
{
    size_t n = 0;
    for (; s != NULL && s[n] != '\0' && n < QUOTE_MAX; n++) {
        unsigned char ch = (unsigned char)s[n];
        buf[n] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    buf[n] = '\0';
    if (s != NULL && s[n] != '\0') {
        cp_utf8_trim_tail(buf);
        strcat(buf, "...");
    }
    return buf;
}

/* Instants and durations are clamped to +-MAX_MS (beyond year 9999) before any arithmetic,
 * so that no input, however absurd, can overflow. */
#define MAX_MS INT64_C(253402300800000)

static int64_t
clamp_ms(int64_t v)
{
    return v > MAX_MS ? MAX_MS : v < -MAX_MS ? -MAX_MS : v;
}

typedef char iso_buf[CP_TIME_ISO_LEN];

static const char *
iso(iso_buf buf, int64_t ms)
{
    cp_time_format_iso(clamp_ms(ms), buf);
    return buf;
}

/* Whole seconds from a to b (floor), clamped to int. */
static int
secs(int64_t a_ms, int64_t b_ms)
{
    int64_t d = clamp_ms(b_ms) - clamp_ms(a_ms);
    int64_t s = d >= 0 ? d / 1000 : -((-d + 999) / 1000);
    return s > INT_MAX / 2 ? INT_MAX / 2 : s < INT_MIN / 2 ? INT_MIN / 2 : (int)s;
}

static bool
streq_ci(const char *a, const char *b)
{
    return strcasecmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static bool
type_is(const struct cp_compliance_disclosure *d, const char *type)
{
    return d->type != NULL && strcmp(d->type, type) == 0;
}

static size_t
n_disc(const struct ctx *c)
{
    size_t n = c->in->n_disclosures;
    return c->in->disclosures == NULL          ? 0
           : n > CP_COMPLIANCE_MAX_DISCLOSURES ? CP_COMPLIANCE_MAX_DISCLOSURES
                                               : n;
}

/* The earliest disclosure of a type: smallest known at_seconds, else the first listed. */
static const struct cp_compliance_disclosure *
first_of(const struct ctx *c, const char *type)
{
    const struct cp_compliance_disclosure *best = NULL;
    for (size_t i = 0; i < n_disc(c); i++) {
        const struct cp_compliance_disclosure *d = &c->in->disclosures[i];
        if (!type_is(d, type))
            continue;
        if (best == NULL ||
            (d->at_seconds >= 0 && (best->at_seconds < 0 || d->at_seconds < best->at_seconds)))
            best = d;
    }
    return best;
}

static void
fmt_nanp(char out[13], const char *d)
{
    memcpy(out, d, 3);
    out[3] = '-';
    memcpy(out + 4, d + 3, 3);
    out[7] = '-';
    memcpy(out + 8, d + 6, 4);
    out[12] = '\0';
}

static void
check_identity(struct ctx *c)
{
    const struct cp_compliance_disclosure *id = first_of(c, "ai_identity");
    quote_buf qe;
    if (id == NULL) {
        emit(c, CP_CR_AI_IDENTITY_MISSING, -1,
             "No ai_identity disclosure was made: a call with an AI voice must state at its "
             "beginning who is responsible for it.");
        return;
    }
    if (id->at_seconds < 0)
        emit(c, CP_CR_DISCLOSURE_TIME_UNKNOWN, -1,
             "The ai_identity disclosure has no at_seconds, so its timing was not checked.");
    else if (id->at_seconds > c->p.ai_identity_window_s)
        emit(c, CP_CR_AI_IDENTITY_LATE, id->at_seconds,
             "The AI identity disclosure came at %d s; it must come at the beginning of the call "
             "(within %d s).",
             id->at_seconds, c->p.ai_identity_window_s);
    bool named = false;
    for (size_t i = 0; i < n_disc(c) && !named; i++)
        named = type_is(&c->in->disclosures[i], "ai_identity") &&
                cp_compliance_entity_named(c->in->calling_entity, c->in->disclosures[i].text);
    if (!named)
        emit(c, CP_CR_ENTITY_NOT_NAMED, id->at_seconds,
             "No AI identity disclosure names the calling entity \"%s\" (compared ignoring "
             "case, punctuation and legal-form words such as LLC).",
             quote(qe, c->in->calling_entity));
}

static bool
callback_known(const struct ctx *c, const char *digits)
{
    char d[11];
    if (nanp_digits(c->in->calling_number, d) && strcmp(d, digits) == 0)
        return true;
    for (size_t i = 0; i < c->p.n_callback_numbers; i++)
        if (nanp_digits(c->p.callback_numbers[i], d) && strcmp(d, digits) == 0)
            return true;
    return false;
}

static void
check_callback(struct ctx *c)
{
    const struct cp_compliance_disclosure *first = NULL, *used = NULL;
    char digits[11] = "", shown[13];
    quote_buf q1, q2;
    for (size_t i = 0; i < n_disc(c) && used == NULL; i++) {
        const struct cp_compliance_disclosure *d = &c->in->disclosures[i];
        if (!type_is(d, "callback_number"))
            continue;
        if (first == NULL)
            first = d;
        if (cp_compliance_callback_parse(d->text, digits))
            used = d;
    }
    if (first == NULL) {
        emit(c, CP_CR_CALLBACK_MISSING, -1,
             "No callback_number disclosure was made: the message must state a telephone number "
             "of the calling entity.");
        return;
    }
    if (used == NULL) {
        emit(c, CP_CR_CALLBACK_UNPARSEABLE, first->at_seconds,
             "The callback_number disclosure \"%s\" contains no valid North American telephone "
             "number.",
             quote(q1, first->text));
        return;
    }
    fmt_nanp(shown, digits);
    if (strncmp(digits, "900", 3) == 0)
        emit(c, CP_CR_CALLBACK_PREMIUM_RATE, used->at_seconds,
             "The callback number %s is a 900 number, which may not be given.", shown);
    bool have_caller_id = c->in->calling_number != NULL && c->in->calling_number[0] != '\0';
    if ((have_caller_id || c->p.n_callback_numbers > 0) && !callback_known(c, digits)) {
        if (have_caller_id)
            emit(c, CP_CR_CALLBACK_MISMATCH, used->at_seconds,
                 "The callback number given, %s, is neither the caller id %s nor one of the "
                 "tenant's callback numbers.",
                 shown, quote(q2, c->in->calling_number));
        else
            emit(c, CP_CR_CALLBACK_MISMATCH, used->at_seconds,
                 "The callback number given, %s, is not one of the tenant's callback numbers.",
                 shown);
    }
    if (c->p.purpose == CP_PURPOSE_TELEMARKETING && streq_ci(c->in->outcome, "voicemail") &&
        !toll_free(digits))
        emit(c, CP_CR_VOICEMAIL_NO_TOLL_FREE, used->at_seconds,
             "The message was left on voicemail and its callback number %s is not toll-free; a "
             "telemarketing message left on voicemail must give a toll-free number for opting "
             "out.",
             shown);
}

static int64_t
speaking_s(const struct ctx *c, const char *text)
{
    struct span w;
    size_t pos = 0, words = 0, len = text != NULL ? strnlen(text, TEXT_MAX_BYTES) : 0;
    while (next_word(text, len, &pos, &w))
        words++;
    int64_t wpm = c->p.speech_words_per_minute;
    return ((int64_t)words * 60 + wpm - 1) / wpm;
}

/*
 * When the identification ended, in whole seconds from the start of the call. 64.1200(b)(3)
 * counts its two seconds from "providing the identification", i.e. from its end, and
 * at_seconds gives only starts. The identification is the first ai_identity disclosure and any
 * other ai_identity disclosures that follow it before a disclosure of another type; each is
 * estimated to end at its start plus the time to speak its words at speech_words_per_minute
 * (rounded up), and none later than the start of that next disclosure of another type: it had
 * ended by then. The seed's example (identity at 1 s, callback number at 4 s, opt-out at 6 s)
 * thus ends its identification at 4 s and gives the opt-out 2 s later.
 */
static int
identity_end(const struct ctx *c, const struct cp_compliance_disclosure *id)
{
    int64_t cap = INT64_MAX, end = id->at_seconds;
    for (size_t i = 0; i < n_disc(c); i++) {
        const struct cp_compliance_disclosure *d = &c->in->disclosures[i];
        if (!type_is(d, "ai_identity") && d->at_seconds > id->at_seconds && d->at_seconds < cap)
            cap = d->at_seconds;
    }
    for (size_t i = 0; i < n_disc(c); i++) {
        const struct cp_compliance_disclosure *d = &c->in->disclosures[i];
        if (type_is(d, "ai_identity") && d->at_seconds >= id->at_seconds && d->at_seconds < cap &&
            d->at_seconds + speaking_s(c, d->text) > end)
            end = d->at_seconds + speaking_s(c, d->text);
    }
    end = end < cap ? end : cap;
    return end > INT_MAX / 2 ? INT_MAX / 2 : (int)end;
}

static void
check_opt_out(struct ctx *c)
{
    if (c->p.purpose != CP_PURPOSE_TELEMARKETING)
        return;
    const struct cp_compliance_disclosure *first = first_of(c, "opt_out_instructions");
    if (first == NULL) {
        emit(c, CP_CR_OPT_OUT_MISSING, -1,
             "No opt_out_instructions disclosure was made: a telemarketing call with an AI voice "
             "must offer an automated opt-out and explain how to use it.");
        return;
    }
    const struct cp_compliance_disclosure *id = first_of(c, "ai_identity");
    if (id == NULL || id->at_seconds < 0)
        return; /* already reported: missing identity or its unknown time */
    int id_end = identity_end(c, id);
    bool in_time = false, unknown = false;
    for (size_t i = 0; i < n_disc(c); i++) {
        const struct cp_compliance_disclosure *d = &c->in->disclosures[i];
        if (!type_is(d, "opt_out_instructions"))
            continue;
        if (d->at_seconds < 0)
            unknown = true;
        else if ((int64_t)d->at_seconds - id_end <= c->p.opt_out_after_identity_s)
            in_time = true;
    }
    if (in_time)
        return;
    if (first->at_seconds < 0 || unknown) {
        emit(c, CP_CR_DISCLOSURE_TIME_UNKNOWN, -1,
             "An opt_out_instructions disclosure has no at_seconds, so its timing was not "
             "checked.");
        if (first->at_seconds < 0)
            return;
    }
    emit(c, CP_CR_OPT_OUT_LATE, first->at_seconds,
         "The opt-out instructions came at %d s, %d s after the identification (from %d s) ended "
         "at %d s; they must follow it within %d s.",
         first->at_seconds, first->at_seconds - id_end, id->at_seconds, id_end,
         c->p.opt_out_after_identity_s);
}

/* A recorded call to an all-party-consent state needs a recording notice. The area code's
 * region ("US-CA", or several joined by "+") stands for the called party's state. */
static void
check_recording(struct ctx *c)
{
    if (!c->in->has_recording)
        return;
    const struct cp_nanp_entry *e = cp_nanp_lookup(c->in->phone);
    quote_buf qp;
    if (e == NULL) {
        emit(c, CP_CR_RECORDING_NOTICE_UNVERIFIED, -1,
             "The call was recorded, but the area code of %s maps to no US state, so whether a "
             "recording notice was required was not checked.",
             quote(qp, c->in->phone));
        return;
    }
    const char *state = NULL;
    size_t n_states = c->p.n_all_party_states;
    for (const char *r = e->region; r != NULL && *r != '\0' && state == NULL;) {
        const char *plus = strchr(r, '+');
        size_t len = plus != NULL ? (size_t)(plus - r) : strlen(r);
        for (size_t i = 0; i < n_states; i++) {
            const char *s = c->p.all_party_states[i];
            if (s != NULL && strlen(s) == len && strncmp(s, r, len) == 0)
                state = s;
        }
        r = plus != NULL ? plus + 1 : NULL;
    }
    if (state == NULL || first_of(c, "recording_notice") != NULL)
        return;
    emit(c, CP_CR_RECORDING_NOTICE_MISSING, -1,
         "The call was recorded and area code %s is in %s, where recording a call needs the "
         "consent of every party, but no recording_notice disclosure was made.",
         e->npa, state);
}

static void
check_disclosures(struct ctx *c)
{
    quote_buf qo;
    if (!c->answered) {
        emit(c, CP_CR_DISCLOSURES_NOT_APPLICABLE, -1,
             "Outcome \"%s\": nobody answered, so the disclosure rules (identity, callback "
             "number, opt-out, notices) were not applied.",
             quote(qo, c->in->outcome));
        return;
    }
    check_identity(c);
    check_callback(c);
    check_opt_out(c);
    check_recording(c);
    if (first_of(c, "offshore_location") == NULL)
        emit(c, CP_CR_OFFSHORE_DISCLOSURE_MISSING, -1,
             "No offshore_location disclosure was made; this tenant requires one.");
}

/* ---- consents ---- */

/* The first condition the consent fails (CP_CR_CONSENT_NOT_FOUND .. CP_CR_CONSENT_SCOPE), or
 * CP_CR_COUNT when it covers the call. */
static enum cp_compliance_rule_id
consent_problem(const struct ctx *c, const struct cp_compliance_consent *k)
{
    if (!k->found || !k->same_tenant)
        return CP_CR_CONSENT_NOT_FOUND;
    if (k->phone == NULL || c->in->phone == NULL || strcmp(k->phone, c->in->phone) != 0)
        return CP_CR_CONSENT_WRONG_PHONE;
    if (!streq_ci(k->rec.calling_entity, c->in->calling_entity))
        return CP_CR_CONSENT_WRONG_ENTITY;
    if (!k->rec.valid)
        return CP_CR_CONSENT_INVALID;
    if (c->start_ms != 0 && k->rec.captured_ms > c->start_ms)
        return CP_CR_CONSENT_AFTER_CALL;
    if (c->start_ms != 0 && k->rec.revoked_ms != 0 && k->rec.revoked_ms <= c->start_ms)
        return CP_CR_CONSENT_REVOKED;
    if (!cp_consent_type_covers(k->rec.type, c->p.purpose))
        return CP_CR_CONSENT_TYPE;
    if (!cp_consent_scope_has(k->rec.scope, "ai_voice"))
        return CP_CR_CONSENT_SCOPE;
    return CP_CR_COUNT;
}

#define REASON_LEN 240

static void reason_fmt(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reason_fmt(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, REASON_LEN, fmt, ap);
    va_end(ap);
    cp_utf8_trim_tail(buf);
}

static void
consent_reason(const struct ctx *c, const struct cp_compliance_consent *k,
               enum cp_compliance_rule_id why, char *buf)
{
    quote_buf qi, q1, q2;
    iso_buf t1, t2;
    quote(qi, k->rec.id);
    switch (why) {
    case CP_CR_CONSENT_NOT_FOUND:
        reason_fmt(buf, "Consent %s is not on file for this tenant.", qi);
        break;
    case CP_CR_CONSENT_WRONG_PHONE:
        reason_fmt(buf, "Consent %s is for %s, not for the called number %s.", qi,
                   quote(q1, k->phone), quote(q2, c->in->phone));
        break;
    case CP_CR_CONSENT_WRONG_ENTITY:
        reason_fmt(buf, "Consent %s was given to \"%s\", not to the calling entity \"%s\".", qi,
                   quote(q1, k->rec.calling_entity), quote(q2, c->in->calling_entity));
        break;
    case CP_CR_CONSENT_INVALID:
        reason_fmt(buf,
                   "Consent %s is not valid (for a verbal capture: the answer was not "
                   "accepted as consent).",
                   qi);
        break;
    case CP_CR_CONSENT_AFTER_CALL:
        reason_fmt(buf, "Consent %s was captured at %s, after the call started at %s.", qi,
                   iso(t1, k->rec.captured_ms), iso(t2, c->start_ms));
        break;
    case CP_CR_CONSENT_REVOKED:
        reason_fmt(buf, "Consent %s was revoked at %s, before the call started at %s.", qi,
                   iso(t1, k->rec.revoked_ms), iso(t2, c->start_ms));
        break;
    case CP_CR_CONSENT_TYPE:
        reason_fmt(buf, "Consent %s is of type %s; %s", qi, quote(q1, k->rec.type),
                   c->p.purpose == CP_PURPOSE_TELEMARKETING
                       ? "a telemarketing call with an AI voice needs prior express written "
                         "consent."
                       : "a call with an AI voice needs prior express consent.");
        break;
    default:
        reason_fmt(buf,
                   "Consent %s covers \"%s\", which does not include ai_voice: it does "
                   "not cover calls with an AI voice.",
                   qi, quote(q1, k->rec.scope));
        break;
    }
}

static bool
listed_before(const struct cp_compliance_consent *list, size_t i)
{
    const char *id = list[i].rec.id != NULL ? list[i].rec.id : "";
    for (size_t j = 0; j < i; j++)
        if (strcmp(list[j].rec.id != NULL ? list[j].rec.id : "", id) == 0)
            return true;
    return false;
}

static size_t
capped(size_t n, const void *arr, size_t cap)
{
    return arr == NULL ? 0 : n > cap ? cap : n;
}

static void
check_consents_used(struct ctx *c)
{
    const struct cp_compliance_consent *list = c->in->consents_used;
    size_t n = capped(c->in->n_consents_used, list, CP_COMPLIANCE_MAX_CONSENTS);
    if (n == 0) {
        emit(c, CP_CR_CONSENT_MISSING, -1,
             "No consent id was given for this call: a call with an AI voice needs the called "
             "party's prior express consent (written, for telemarketing).");
        return;
    }
    const struct cp_compliance_consent *cover = NULL;
    for (size_t i = 0; i < n && cover == NULL; i++)
        if (consent_problem(c, &list[i]) == CP_CR_COUNT)
            cover = &list[i];
    char reason[REASON_LEN];
    quote_buf qc;
    for (size_t i = 0; i < n; i++) {
        enum cp_compliance_rule_id why = consent_problem(c, &list[i]);
        if (why == CP_CR_COUNT || listed_before(list, i))
            continue;
        consent_reason(c, &list[i], why, reason);
        if (cover == NULL)
            emit(c, why, -1, "%s", reason);
        else
            emit(c, CP_CR_CONSENT_LISTED_UNUSABLE, -1, "%s The call is covered by consent %s.",
                 reason, quote(qc, cover->rec.id));
    }
}

static void
check_consents_captured(struct ctx *c)
{
    const struct cp_compliance_consent *list = c->in->consents_captured;
    size_t n = capped(c->in->n_consents_captured, list, CP_COMPLIANCE_MAX_CONSENTS);
    quote_buf qi;
    for (size_t i = 0; i < n; i++) {
        const struct cp_compliance_consent *k = &list[i];
        if (listed_before(list, i))
            continue;
        quote(qi, k->rec.id);
        if (!k->found || !k->same_tenant) {
            emit(c, CP_CR_CONSENT_CAPTURED_NOT_FOUND, -1,
                 "Consent %s is listed as captured during the call but is not on file for this "
                 "tenant; it cannot authorize later calls.",
                 qi);
            continue;
        }
        if (!k->rec.valid) {
            emit(c, CP_CR_CONSENT_CAPTURED_INVALID, -1,
                 "Consent %s, captured during the call, is not valid (the answer was not "
                 "accepted as consent); it authorizes no calls.",
                 qi);
            continue;
        }
        bool known = c->start_ms != 0 && k->rec.captured_ms != 0;
        int at = known ? secs(c->start_ms, k->rec.captured_ms) : -1;
        bool asked = k->has_request_text;
        for (size_t j = 0; j < n_disc(c) && !asked; j++) {
            const struct cp_compliance_disclosure *d = &c->in->disclosures[j];
            asked = type_is(d, "consent_request") &&
                    (!known || d->at_seconds < 0 || d->at_seconds <= at);
        }
        if (!asked)
            emit(c, CP_CR_CONSENT_WITHOUT_REQUEST, at,
                 "Consent %s was captured during the call, but no consent_request disclosure "
                 "precedes it and its record holds no request text.",
                 qi);
    }
}

/* ---- revocations ---- */

static bool
applies(const struct ctx *c, const struct cp_compliance_revocation *r)
{
    return r->rec.scope_all || streq_ci(r->rec.calling_entity, c->in->calling_entity);
}

static int64_t
honor_by(const struct cp_compliance_revocation *r)
{
    int64_t h = r->rec.honor_by_ms;
    if (h == 0 && !cp_business_days_add(r->rec.revoked_ms, 10, &h))
        h = r->rec.revoked_ms;
    return h;
}

/* Runs body with r bound to each revocation of both lists (each capped). */
#define EACH_REVOCATION(c, r, body)                                                                \
    do {                                                                                           \
        const struct cp_compliance_revocation *lists_[2] = {(c)->in->revocations,                  \
                                                            (c)->in->call_revocations};            \
        size_t ns_[2] = {                                                                          \
            capped((c)->in->n_revocations, lists_[0], CP_COMPLIANCE_MAX_REVOCATIONS),              \
            capped((c)->in->n_call_revocations, lists_[1], CP_COMPLIANCE_MAX_REVOCATIONS)};        \
        for (int l_ = 0; l_ < 2; l_++)                                                             \
            for (size_t i_ = 0; i_ < ns_[l_]; i_++) {                                              \
                const struct cp_compliance_revocation *r = &lists_[l_][i_];                        \
                body                                                                               \
            }                                                                                      \
    } while (0)

/* A consent the call relied on, for this number and entity, captured after the revocation and
 * before the call and not revoked by then, starts a new relationship: the revocation no longer
 * applies (as precall decides). */
static bool
lifted(const struct ctx *c, const struct cp_compliance_revocation *r)
{
    const struct cp_compliance_consent *list = c->in->consents_used;
    size_t n = capped(c->in->n_consents_used, list, CP_COMPLIANCE_MAX_CONSENTS);
    for (size_t i = 0; i < n; i++) {
        const struct cp_compliance_consent *k = &list[i];
        if (k->found && k->same_tenant && k->phone != NULL && c->in->phone != NULL &&
            strcmp(k->phone, c->in->phone) == 0 &&
            cp_consent_lifts(&k->rec, &r->rec, c->in->calling_entity, c->start_ms))
            return true;
    }
    return false;
}

static void
check_revoked_before(struct ctx *c)
{
    if (c->start_ms == 0)
        return;
    const struct cp_compliance_revocation *late = NULL, *within = NULL;
    EACH_REVOCATION(c, r, {
        if (applies(c, r) && r->rec.revoked_ms != 0 && r->rec.revoked_ms <= c->start_ms &&
            !lifted(c, r)) {
            const struct cp_compliance_revocation **slot =
                c->start_ms >= honor_by(r) ? &late : &within;
            if (*slot == NULL || r->rec.revoked_ms < (*slot)->rec.revoked_ms)
                *slot = r;
        }
    });
    const struct cp_compliance_revocation *r = late != NULL ? late : within;
    if (r == NULL)
        return;
    quote_buf qi;
    iso_buf t1, t2, t3;
    const char *whose = r->rec.scope_all ? "all" : "this entity's";
    if (late != NULL)
        emit(c, CP_CR_NUMBER_REVOKED, -1,
             "The number opted out of %s calls at %s (revocation %s); the call at %s came on or "
             "after "
             "the honor-by date %s.",
             whose, iso(t1, r->rec.revoked_ms), quote(qi, r->rec.id), iso(t2, c->start_ms),
             iso(t3, honor_by(r)));
    else
        emit(c, CP_CR_NUMBER_REVOKED_WITHIN_HONOR_PERIOD, -1,
             "The number opted out of %s calls at %s (revocation %s); the call at %s came before "
             "the honor-by date %s, a legal maximum, not a grace period.",
             whose, iso(t1, r->rec.revoked_ms), quote(qi, r->rec.id), iso(t2, c->start_ms),
             iso(t3, honor_by(r)));
}

/* The earliest revocation made in this call: linked by call_id, or applying to this entity
 * and made between the start and the end (if known) of the call. */
static const struct cp_compliance_revocation *
in_call_revocation(const struct ctx *c)
{
    const struct cp_compliance_revocation *best = NULL;
    bool have_id = c->in->call_id != NULL && c->in->call_id[0] != '\0';
    int64_t end = c->end_ms != 0 ? c->end_ms + (int64_t)c->p.duration_tolerance_s * 1000 : 0;
    EACH_REVOCATION(c, r, {
        bool linked = have_id && r->call_id != NULL && strcmp(r->call_id, c->in->call_id) == 0;
        bool during = c->start_ms != 0 && applies(c, r) && r->rec.revoked_ms >= c->start_ms &&
                      (end == 0 || r->rec.revoked_ms <= end);
        if ((linked || during) && (best == NULL || r->rec.revoked_ms < best->rec.revoked_ms))
            best = r;
    });
    return best;
}

/* Up to 64 bytes of the transcript's line around offset, for the message. */
static const char *
excerpt(quote_buf buf, const char *s, size_t off)
{
    size_t a = off;
    while (a > 0 && off - a < 24 && s[a - 1] != '\n')
        a--;
    while (a < off && ((unsigned char)s[a] & 0xc0) == 0x80)
        a++;
    char tmp[QUOTE_MAX + 1];
    size_t n = 0;
    while (n < QUOTE_MAX && s[a + n] != '\0' && s[a + n] != '\n') {
        tmp[n] = s[a + n];
        n++;
    }
    tmp[n] = '\0';
    cp_utf8_trim_tail(tmp);
    return quote(buf, tmp);
}

static void
check_in_call_opt_out(struct ctx *c)
{
    struct cp_opt_out_scan scan = {0};
    const char *texts[AGENT_TEXTS_MAX];
    size_t nt = 0;
    for (size_t i = 0; i < n_disc(c) && nt < AGENT_TEXTS_MAX; i++)
        if (c->in->disclosures[i].text != NULL)
            texts[nt++] = c->in->disclosures[i].text;
    if (c->in->full_transcript != NULL)
        cp_compliance_opt_out_scan(c->in->full_transcript, texts, nt,
                                   c->p.opt_out_short_utterance_words, &scan);
    const struct cp_compliance_revocation *r = in_call_revocation(c);
    quote_buf qx, qi;
    if (scan.found && r == NULL)
        emit(c, CP_CR_OPT_OUT_NOT_HONORED, -1,
             "The consumer asked to opt out (\"%s\" in \"%s\") but no revocation was recorded "
             "for this call.",
             scan.phrase, excerpt(qx, c->in->full_transcript, scan.offset));
    if (r != NULL) {
        quote(qi, r->rec.id);
        int at = c->start_ms != 0 ? secs(c->start_ms, r->rec.revoked_ms) : -1;
        if (scan.found)
            emit(c, CP_CR_OPT_OUT_RECORDED, at,
                 "The consumer asked to opt out (\"%s\" in \"%s\"); revocation %s was recorded.",
                 scan.phrase, excerpt(qx, c->in->full_transcript, scan.offset), qi);
        else
            emit(c, CP_CR_OPT_OUT_RECORDED, at, "Revocation %s was recorded during the call.", qi);
        if (c->end_ms != 0 && c->start_ms != 0 && r->rec.revoked_ms >= c->start_ms &&
            c->end_ms - clamp_ms(r->rec.revoked_ms) > (int64_t)c->p.opt_out_end_within_s * 1000)
            emit(c, CP_CR_OPT_OUT_CALL_NOT_ENDED, at,
                 "The consumer opted out at %d s (revocation %s) but the call went on until %d s; "
                 "it must end at once (here: within %d s).",
                 at, qi, secs(c->start_ms, c->end_ms), c->p.opt_out_end_within_s);
    }
    if (scan.truncated)
        emit(c, CP_CR_INPUT_TRUNCATED, -1,
             "The transcript was read only up to its first %d bytes when looking for opt-outs.",
             CP_COMPLIANCE_MAX_TRANSCRIPT_BYTES);
}

/* ---- time ---- */

static void
check_hours(struct ctx *c, bool hours_ok)
{
    quote_buf qp;
    if (c->start_ms == 0) {
        emit(c, CP_CR_CALLING_HOURS_UNVERIFIED, -1,
             "Calling hours were not checked: the call's start time is unknown.");
        return;
    }
    if (!hours_ok) {
        emit(c, CP_CR_CALLING_HOURS_UNVERIFIED, -1,
             "Calling hours were not checked: the tenant's calling-hours parameters are invalid.");
        return;
    }
    struct cp_hours_detail d;
    enum cp_hours_verdict v = cp_calling_hours_check(
        c->in->phone, c->start_ms, c->p.calling_hours_start, c->p.calling_hours_end, &d);
    iso_buf t;
    if (v == CP_HOURS_OUTSIDE)
        emit(c, CP_CR_OUTSIDE_CALLING_HOURS, -1,
             "The call started at %s, %s local time in %s (area code %s), outside the permitted "
             "%02d:00-%02d:00.",
             iso(t, c->start_ms), d.local_time, d.zone != NULL ? d.zone : "?",
             d.entry != NULL ? d.entry->npa : "?", c->p.calling_hours_start,
             c->p.calling_hours_end);
    else if (v == CP_HOURS_UNKNOWN_AREA)
        emit(c, CP_CR_CALLING_HOURS_UNVERIFIED, -1,
             "Calling hours were not checked: the area code of %s has no known time zone (not a "
             "geographic US or Canadian area code).",
             quote(qp, c->in->phone));
    else if (v == CP_HOURS_NO_TZDATA)
        emit(c, CP_CR_CALLING_HOURS_UNVERIFIED, -1,
             "Calling hours were not checked: time zone %s could not be loaded.",
             d.zone != NULL ? d.zone : "?");
}

static void
check_times(struct ctx *c)
{
    const struct cp_compliance_input *in = c->in;
    iso_buf t1, t2;
    if (c->started_ms != 0 && c->ended_ms != 0 && c->ended_ms < c->started_ms)
        emit(c, CP_CR_TIMES_INCONSISTENT, -1, "ended_at %s is before started_at %s.",
             iso(t1, c->ended_ms), iso(t2, c->started_ms));
    if (in->duration_s < -1)
        emit(c, CP_CR_TIMES_INCONSISTENT, -1, "duration_seconds is negative (%lld).",
             (long long)in->duration_s);
    if (c->started_ms != 0 && c->ended_ms >= c->started_ms && c->dur_ms >= 0) {
        int64_t span_ms = c->ended_ms - c->started_ms;
        int64_t diff = c->dur_ms - span_ms;
        if (diff < 0)
            diff = -diff;
        if (diff > (int64_t)c->p.duration_tolerance_s * 1000)
            emit(c, CP_CR_DURATION_MISMATCH, -1,
                 "duration_seconds is %lld but ended_at minus started_at is %lld s (tolerance "
                 "%d s).",
                 (long long)in->duration_s, (long long)(span_ms / 1000), c->p.duration_tolerance_s);
    }
    quote_buf qt;
    for (size_t i = 0; i < n_disc(c); i++) {
        const struct cp_compliance_disclosure *d = &in->disclosures[i];
        if (d->at_seconds < -1)
            emit(c, CP_CR_DISCLOSURE_OUTSIDE_CALL, d->at_seconds,
                 "The %s disclosure is placed at %d s, before the call started.",
                 quote(qt, d->type), d->at_seconds);
        else if (c->have_len && d->at_seconds > c->len_s + c->p.duration_tolerance_s)
            emit(c, CP_CR_DISCLOSURE_OUTSIDE_CALL, d->at_seconds,
                 "The %s disclosure is placed at %d s, after the end of the %lld s call.",
                 quote(qt, d->type), d->at_seconds, (long long)c->len_s);
    }
    if (c->start_ms == 0)
        emit(c, CP_CR_CALL_TIME_MISSING, -1,
             "The call's start time is not recorded (no started_at, nor ended_at with "
             "duration_seconds), so calling hours, consent dates and revocations were not "
             "checked against it.");
    else if (c->started_ms == 0)
        emit(c, CP_CR_CALL_START_DERIVED, -1,
             "started_at was not given; the start %s was derived from ended_at minus "
             "duration_seconds.",
             iso(t1, c->start_ms));
}

/* ---- driver ---- */

static int
clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void
sort_findings(struct cp_compliance_finding *f, size_t n)
{
    /* Insertion sort: stable, and n <= 64. Copies are large but few. */
    for (size_t i = 1; i < n; i++) {
        struct cp_compliance_finding x = f[i];
        size_t j = i;
        while (j > 0 && (f[j - 1].rule > x.rule ||
                         (f[j - 1].rule == x.rule && f[j - 1].at_seconds > x.at_seconds))) {
            f[j] = f[j - 1];
            j--;
        }
        f[j] = x;
    }
}

void
cp_compliance_evaluate(const struct cp_compliance_input *in, const struct cp_compliance_params *p,
                       struct cp_compliance_result *out)
{
    CP_ASSERT(in != NULL && out != NULL);
    /* Not a memset of the 35 KB: entries are written whole as they are emitted. */
    out->n_findings = out->n_notes = out->n_dropped = 0;
    out->score = 0;
    out->rules_version = CP_COMPLIANCE_RULES_VERSION;

    struct ctx c;
    memset(&c, 0, sizeof(c));
    c.in = in;
    c.out = out;
    c.p = p != NULL ? *p : cp_compliance_params_default();
    /* Clamp what the rules cannot use; cp_compliance_params_valid reports it to loaders. */
    c.p.ai_identity_window_s = clampi(c.p.ai_identity_window_s, 0, MAX_WINDOW_S);
    c.p.opt_out_after_identity_s = clampi(c.p.opt_out_after_identity_s, 0, MAX_WINDOW_S);
    c.p.opt_out_end_within_s = clampi(c.p.opt_out_end_within_s, 0, MAX_WINDOW_S);
    c.p.duration_tolerance_s = clampi(c.p.duration_tolerance_s, 0, MAX_WINDOW_S);
    c.p.opt_out_short_utterance_words = clampi(c.p.opt_out_short_utterance_words, 0, 64);
    c.p.speech_words_per_minute = clampi(c.p.speech_words_per_minute, 60, 600);
    if (c.p.all_party_states == NULL || c.p.n_all_party_states > CP_COMPLIANCE_MAX_STATES)
        c.p.n_all_party_states = c.p.all_party_states == NULL ? 0 : CP_COMPLIANCE_MAX_STATES;
    if (c.p.callback_numbers == NULL || c.p.n_callback_numbers > CP_COMPLIANCE_MAX_STATES)
        c.p.n_callback_numbers = c.p.callback_numbers == NULL ? 0 : CP_COMPLIANCE_MAX_STATES;
    for (int i = 0; i < CP_CR_COUNT; i++)
        c.p.weight[i] = rules[i].severity == CP_SEV_INFO ? 0 : clampi(c.p.weight[i], 0, 100);
    bool hours_ok = c.p.calling_hours_start >= 0 && c.p.calling_hours_end <= 24 &&
                    c.p.calling_hours_start < c.p.calling_hours_end;

    /* The start: started_at, else ended_at - duration; the end: ended_at, else start + dur. */
    c.started_ms = clamp_ms(in->started_ms);
    c.ended_ms = clamp_ms(in->ended_ms);
    c.dur_ms = in->duration_s < 0               ? -1
               : in->duration_s > MAX_MS / 1000 ? MAX_MS
                                                : in->duration_s * 1000;
    int64_t dur_ms = c.dur_ms;
    c.start_ms = c.started_ms;
    if (c.start_ms == 0 && c.ended_ms != 0 && dur_ms >= 0)
        c.start_ms = c.ended_ms - dur_ms;
    c.end_ms = c.ended_ms;
    if (c.end_ms == 0 && c.start_ms != 0 && dur_ms >= 0)
        c.end_ms = c.start_ms + dur_ms;
    if (c.end_ms != 0 && c.start_ms != 0 && c.end_ms < c.start_ms)
        c.end_ms = 0; /* reported as TIMES_INCONSISTENT; no length to check against */
    if (dur_ms >= 0) {
        c.have_len = true;
        c.len_s = dur_ms / 1000;
    } else if (c.end_ms != 0 && c.start_ms != 0) {
        c.have_len = true;
        c.len_s = (c.end_ms - c.start_ms) / 1000;
    }
    c.answered = !(streq_ci(in->outcome, "no_answer") || streq_ci(in->outcome, "busy") ||
                   streq_ci(in->outcome, "failed"));

    check_disclosures(&c);
    check_consents_used(&c);
    check_revoked_before(&c);
    check_hours(&c, hours_ok);
    check_in_call_opt_out(&c);
    check_consents_captured(&c);
    check_times(&c);
    if (in->calling_number == NULL || in->calling_number[0] == '\0')
        emit(&c, CP_CR_CALLER_ID_NOT_RECORDED, -1,
             "No calling_number was given, so the caller id shown to the consumer is not on "
             "record.");
    if ((in->disclosures != NULL && in->n_disclosures > CP_COMPLIANCE_MAX_DISCLOSURES) ||
        (in->consents_used != NULL && in->n_consents_used > CP_COMPLIANCE_MAX_CONSENTS) ||
        (in->consents_captured != NULL && in->n_consents_captured > CP_COMPLIANCE_MAX_CONSENTS) ||
        (in->revocations != NULL && in->n_revocations > CP_COMPLIANCE_MAX_REVOCATIONS) ||
        (in->call_revocations != NULL && in->n_call_revocations > CP_COMPLIANCE_MAX_REVOCATIONS))
        emit(&c, CP_CR_INPUT_TRUNCATED, -1,
             "Only the first %d disclosures, %d consents of each list and %d revocations of each "
             "list were checked.",
             CP_COMPLIANCE_MAX_DISCLOSURES, CP_COMPLIANCE_MAX_CONSENTS,
             CP_COMPLIANCE_MAX_REVOCATIONS);

    sort_findings(out->findings, out->n_findings);
    sort_findings(out->notes, out->n_notes);
    bool charged[CP_CR_COUNT] = {false};
    for (size_t i = 0; i < out->n_findings; i++) {
        struct cp_compliance_finding *f = &out->findings[i];
        if (!charged[f->rule])
            f->points = f->weight;
        charged[f->rule] = true;
    }
    int score = 100;
    for (int i = 0; i < CP_CR_COUNT; i++)
        if (c.broken[i])
            score -= c.p.weight[i];
    out->score = score < 0 ? 0 : score;
}
