/*
 * The compliance engine: scores one finished AI-voice call (the POST /v1/post-call body) against
 * a table of rules, each with a stable code, a severity, a weight and its legal basis. The
 * result is sealed into the call's evidence bundle and read by lawyers years later, so:
 *
 *   - It is a pure function of the call as posted plus the consent and revocation records as
 *     they stood (struct cp_compliance_input) and the tenant's parameters. It reads no clock, no
 *     store and no file, with one exception: the calling-hours rule converts the start time
 *     through the system time zone database (cp_calling_hours_check), and its message names the
 *     zone and local time it used. Same input, same parameters, same rules_version: same output,
 *     byte for byte (messages included).
 *   - Every finding says what is wrong in plain English, built only from the inputs, and cites
 *     the rule it comes from. rules_version names this table and its phrase lists; any change to
 *     a rule's logic, wording, default or list changes the version.
 *   - Score = 100 minus the weights of the rules broken, floor 0. A rule costs its weight once per
 *     call however many findings it has (two bad consent ids are one broken rule, not two); each
 *     finding carries the points it deducted (its weight for the first finding of its code, 0 for
 *     repeats), so the score is always 100 minus the sum of `points`, floored at 0.
 *   - Findings of severity "info" cost nothing and are not findings: they go to notes[] (sealed
 *     in the bundle too, but not in the API's compliance_findings). That is how a compliant call
 *     scores 100 with compliance_findings [] even when something could not be checked, e.g. the
 *     calling hours of a number whose area code (555, 800) has no time zone.
 *
 * Assumptions, parameters unless said otherwise (struct cp_compliance_params):
 *   - Purpose: telemarketing. POST /v1/post-call comes from AI voice platforms and carries no
 *     purpose; telemarketing is the strictest reading (written consent, 64.1200(b)(3) opt-out).
 *   - Call type: always an AI voice, which FCC 24-17 (Declaratory Ruling, Feb. 2024) holds to be
 *     an "artificial or prerecorded voice" under 47 U.S.C. 227(b) and 47 CFR 64.1200. Not a
 *     parameter: the engine only scores AI-voice calls.
 *   - The AI identity window is 2 s: the delivery_window_seconds promised by precall's
 *     disclosure (64.1200(b)(1) only says "at the beginning of the message"). It is measured
 *     to the START of the first ai_identity disclosure.
 *   - The opt-out window of 64.1200(b)(3), 2 s "of providing the identification", is measured
 *     from the END of the identification, which at_seconds does not give: it is estimated as
 *     the identity's start plus its words spoken at speech_words_per_minute (150), and no
 *     later than the start of the next disclosure (compliance.c, identity_end). The seed's
 *     example, identity at 1 s, callback number at 4 s, opt-out at 6 s, passes; measured from
 *     the identity's start it would fail a rule no spoken sentence longer than 2 s could meet.
 *   - The called party's state is the state of the phone's area code (nanp.h). People keep their
 *     numbers when they move; the state rules are a best effort and say so.
 *
 * What each rule checks is described next to the table in compliance.c. Thread-safe: no
 * mutable globals. Not legal advice: a record of what the rules found, with their sources.
 */
#ifndef CP_DOMAIN_COMPLIANCE_H
#define CP_DOMAIN_COMPLIANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/precall.h"

#define CP_COMPLIANCE_RULES_VERSION "rules-2026-11-v1"

#define CP_COMPLIANCE_MAX_FINDINGS 64
#define CP_COMPLIANCE_MAX_NOTES 32
/* Longest message, NUL included. Quoted inputs are clipped to 64 bytes so nothing is lost. */
#define CP_COMPLIANCE_MESSAGE_LEN 320
/* Bounds on the work done per call; entries past them are ignored (and said so in a note). */
#define CP_COMPLIANCE_MAX_DISCLOSURES 256
#define CP_COMPLIANCE_MAX_CONSENTS 64
#define CP_COMPLIANCE_MAX_REVOCATIONS 256
#define CP_COMPLIANCE_MAX_TRANSCRIPT_BYTES (256 * 1024)
#define CP_COMPLIANCE_MAX_STATES 64

enum cp_compliance_severity {
    CP_SEV_CRITICAL, /* a likely violation of the cited rule */
    CP_SEV_WARNING,  /* a likely lapse, or a defect in the evidence */
    CP_SEV_INFO,     /* something worth knowing; never costs points, listed in notes[] */
};

/* The rules, in table (and output) order. Values are internal; codes (strings) are stable. */
enum cp_compliance_rule_id {
    CP_CR_AI_IDENTITY_MISSING,
    CP_CR_AI_IDENTITY_LATE,
    CP_CR_ENTITY_NOT_NAMED,
    CP_CR_CALLBACK_MISSING,
    CP_CR_CALLBACK_UNPARSEABLE,
    CP_CR_CALLBACK_PREMIUM_RATE,
    CP_CR_CALLBACK_MISMATCH,
    CP_CR_VOICEMAIL_NO_TOLL_FREE,
    CP_CR_OPT_OUT_MISSING,
    CP_CR_OPT_OUT_LATE,
    CP_CR_CONSENT_MISSING,
    CP_CR_CONSENT_NOT_FOUND,
    CP_CR_CONSENT_WRONG_PHONE,
    CP_CR_CONSENT_WRONG_ENTITY,
    CP_CR_CONSENT_INVALID,
    CP_CR_CONSENT_AFTER_CALL,
    CP_CR_CONSENT_REVOKED,
    CP_CR_CONSENT_TYPE,
    CP_CR_CONSENT_SCOPE,
    CP_CR_CONSENT_LISTED_UNUSABLE,
    CP_CR_NUMBER_REVOKED,
    CP_CR_NUMBER_REVOKED_WITHIN_HONOR_PERIOD,
    CP_CR_OUTSIDE_CALLING_HOURS,
    CP_CR_OPT_OUT_NOT_HONORED,
    CP_CR_OPT_OUT_CALL_NOT_ENDED,
    CP_CR_CONSENT_WITHOUT_REQUEST,
    CP_CR_RECORDING_NOTICE_MISSING,
    CP_CR_OFFSHORE_DISCLOSURE_MISSING,
    CP_CR_TIMES_INCONSISTENT,
    CP_CR_DURATION_MISMATCH,
    CP_CR_DISCLOSURE_OUTSIDE_CALL,
    CP_CR_CALL_TIME_MISSING,
    /* info: notes */
    CP_CR_CALL_START_DERIVED,
    CP_CR_CALLING_HOURS_UNVERIFIED,
    CP_CR_DISCLOSURES_NOT_APPLICABLE,
    CP_CR_DISCLOSURE_TIME_UNKNOWN,
    CP_CR_CALLER_ID_NOT_RECORDED,
    CP_CR_RECORDING_NOTICE_UNVERIFIED,
    CP_CR_CONSENT_CAPTURED_NOT_FOUND,
    CP_CR_CONSENT_CAPTURED_INVALID,
    CP_CR_OPT_OUT_RECORDED,
    CP_CR_INPUT_TRUNCATED,
    CP_CR_COUNT
};

struct cp_compliance_rule {
    enum cp_compliance_rule_id id;
    const char *code; /* "AI_IDENTITY_MISSING": stable, never reused */
    enum cp_compliance_severity severity;
    int default_weight;      /* points deducted; 0 for info rules */
    bool default_enabled;    /* all but OFFSHORE_DISCLOSURE_MISSING */
    const char *rule_ref;    /* legal citation, e.g. "47 CFR 64.1200(b)(1); FCC 24-17" */
    const char *description; /* one line: what the rule checks */
};

/* The whole table in output order (static storage); *out_n gets CP_CR_COUNT. */
const struct cp_compliance_rule *cp_compliance_rules(size_t *out_n);
/* The rule with this code (exact, case-sensitive), or NULL. */
const struct cp_compliance_rule *cp_compliance_rule_by_code(const char *code);
/* "critical", "warning", "info" ("info" for out-of-range values too). */
const char *cp_compliance_severity_name(enum cp_compliance_severity s);

/* ---- input ------------------------------------------------------------------------------ */

/* One entry of ai_disclosures_made. type: ai_identity, callback_number, opt_out_instructions,
 * consent_request, offshore_location, recording_notice (others are ignored). */
struct cp_compliance_disclosure {
    const char *type;
    int at_seconds; /* seconds from the start of the call; -1 = not given */
    const char *text;
};

/*
 * A consent id listed in consent_ids_used or consent_ids_captured, with the record found for
 * it. rec.id is the id as listed (also when nothing was found); the other rec fields (type,
 * scope as "a,b,c", calling_entity, valid, captured_ms, revoked_ms: 0 = not revoked) and phone
 * are the record's, as it stood at the start of the call for a used consent and when the bundle
 * is sealed for a captured one (it was made during the call). A record of another tenant is
 * reported exactly like a missing one, so a bundle never reveals another tenant's records.
 */
struct cp_compliance_consent {
    struct cp_precall_consent rec;
    bool found;        /* a record with this id exists */
    bool same_tenant;  /* and it belongs to the call's tenant (ignored unless found) */
    const char *phone; /* the record's phone, E.164 */
    /* The record holds the words with which the agent asked for consent (capture-verbal's
     * agent_disclosure_text): evidence of a consent request, like a consent_request disclosure. */
    bool has_request_text;
};

/* A revocation (opt-out) of the phone: rec = {id, calling_entity, scope_all, revoked_ms (when
 * the consumer revoked), honor_by_ms (0: computed as revoked_ms + 10 business days)}. */
struct cp_compliance_revocation {
    struct cp_precall_revocation rec;
    const char *call_id; /* the call it was made in, or NULL */
};

/* Every pointer is borrowed and may be NULL (NULL strings count as empty, NULL arrays need
 * n == 0). Times are Unix milliseconds. */
struct cp_compliance_input {
    const char *call_id;          /* the tenant's call id: links in-call revocations */
    const char *calling_entity;   /* legal name as posted */
    const char *phone;            /* called party, E.164 */
    const char *calling_number;   /* caller id, E.164, or NULL */
    int64_t started_ms, ended_ms; /* 0 = not given */
    int64_t duration_s;           /* -1 = not given */
    const char *outcome;          /* completed, no_answer, busy, voicemail, failed, or NULL */
    bool has_recording;           /* audio_recording_url given, or audio held */
    const char *full_transcript;  /* or NULL */
    const struct cp_compliance_disclosure *disclosures;
    size_t n_disclosures;
    const struct cp_compliance_consent *consents_used;
    size_t n_consents_used;
    const struct cp_compliance_consent *consents_captured;
    size_t n_consents_captured;
    /* The phone's revocations as of the start of the call (any entity; those that do not
     * apply to calling_entity are ignored). */
    const struct cp_compliance_revocation *revocations;
    size_t n_revocations;
    /* Revocations made during or after the call: those linked to it by call_id, and the
     * phone's revocations recorded since it started. Both lists are classified by time and
     * entity again, so a record in the "wrong" list is still read correctly. */
    const struct cp_compliance_revocation *call_revocations;
    size_t n_call_revocations;
};

/* ---- parameters ------------------------------------------------------------------------- */

struct cp_compliance_params {
    enum cp_purpose purpose;           /* CP_PURPOSE_TELEMARKETING */
    int ai_identity_window_s;          /* 2: identity at or before this second */
    int opt_out_after_identity_s;      /* 2: 64.1200(b)(3) */
    int calling_hours_start;           /* 8: 64.1200(c)(1), local time */
    int calling_hours_end;             /* 21 (exclusive) */
    int opt_out_end_within_s;          /* 10: call ends within this after an in-call opt-out */
    int duration_tolerance_s;          /* 2: duration vs ended - started; disclosures vs length */
    int opt_out_short_utterance_words; /* 3: see cp_compliance_opt_out_scan */
    int speech_words_per_minute;       /* 150: to estimate when the identification ended */
    /* ISO 3166-2 codes ("US-CA") where recording a call needs every party's consent; default
     * cp_compliance_all_party_states(). At most CP_COMPLIANCE_MAX_STATES are read. */
    const char *const *all_party_states;
    size_t n_all_party_states;
    /* More numbers (E.164) a callback disclosure may give besides the caller id, e.g. the
     * tenant's do-not-call line. */
    const char *const *callback_numbers;
    size_t n_callback_numbers;
    bool enabled[CP_CR_COUNT]; /* per rule; default each rule's default_enabled */
    int weight[CP_CR_COUNT];   /* per rule, 0..100; default_weight; ignored for info rules */
};

/* The defaults above (static lists, so the result needs no freeing). */
struct cp_compliance_params cp_compliance_params_default(void);

/* The default all-party-consent states (static), *out_n their number. See compliance.c for
 * the list, its sources and its caveats. */
const char *const *cp_compliance_all_party_states(size_t *out_n);

/*
 * Are the parameters usable? purpose a known value, windows and tolerances 0..86400,
 * opt_out_short_utterance_words 0..64, speech_words_per_minute 60..600, hours 0 <= start < end <=
 * 24, weights 0..100, each list at most CP_COMPLIANCE_MAX_STATES entries and non-NULL when n > 0.
 * Returns true, or false with *out_field (may be NULL) naming the first bad field
 * ("calling_hours_start", "weight", ...). For tenant configuration loaders;
 * cp_compliance_evaluate clamps what it cannot use instead of failing.
 */
bool cp_compliance_params_valid(const struct cp_compliance_params *p, const char **out_field);

/*
 * Sort a phone's revocations (in their stored order) into the two input lists: those made in the
 * call (linked by call_id, or made at or after started_ms when known) into during, the rest into
 * before; each keeps the stored order. before and during hold n entries each. The sealing server
 * and the offline recomputation both use this, so they feed the rules the same lists.
 */
void cp_compliance_split_revocations(const struct cp_compliance_revocation *all, size_t n,
                                     const char *call_id, int64_t started_ms,
                                     struct cp_compliance_revocation *before, size_t *n_before,
                                     struct cp_compliance_revocation *during, size_t *n_during);

/* ---- result ----------------------------------------------------------------------------- */

struct cp_compliance_finding {
    enum cp_compliance_rule_id rule;
    const char *code;     /* static */
    const char *severity; /* "critical" | "warning" | "info" (static) */
    const char *rule_ref; /* static */
    int weight;           /* the rule's weight under the parameters (0 for info) */
    int points;           /* deducted by this finding: weight the first time its code appears */
    int at_seconds;       /* the moment in the call it points at, or -1 */
    char message[CP_COMPLIANCE_MESSAGE_LEN]; /* valid UTF-8 if the inputs were */
};

struct cp_compliance_result {
    struct cp_compliance_finding findings[CP_COMPLIANCE_MAX_FINDINGS]; /* critical, warning */
    size_t n_findings;
    struct cp_compliance_finding notes[CP_COMPLIANCE_MAX_NOTES]; /* info */
    size_t n_notes;
    size_t n_dropped;          /* findings/notes past the caps; their rules still count in score */
    int score;                 /* 0..100 */
    const char *rules_version; /* CP_COMPLIANCE_RULES_VERSION */
};

/*
 * Evaluate the rules. in, out: must not be NULL (asserted). p: NULL means the defaults.
 * out's counts, score and version are set and its first n_findings / n_notes entries written
 * whole (the entries past them are left as they were). Findings and notes are each ordered by rule
 * table order, then at_seconds (-1 first), then the order of the inputs they concern. Never fails:
 * an input the rules cannot use is itself reported (a finding or a note).
 */
void cp_compliance_evaluate(const struct cp_compliance_input *in,
                            const struct cp_compliance_params *p, struct cp_compliance_result *out);

/* ---- the matchers, exported for tests and documentation ---------------------------------- */

/*
 * Does text name entity? Both are normalised: ASCII letters lower-cased, apostrophes dropped
 * ("O'Brien" = "OBrien"), dots joining single letters dropped ("L.L.C." = "LLC", "J.P." =
 * "JP"), "&" read as "and", every other punctuation mark or space a word break; bytes of other
 * scripts compare as they are. Trailing legal-form words are then dropped from the entity
 * (LLC, Inc, Incorporated, Corp, Corporation, Ltd, Limited, Co, Company, LP, LLP, PLLC, PLC, PC;
 * never its last word), and an entity "X d/b/a Y" (or "dba", "doing business as") is named by
 * naming X or Y. Named = the remaining words appear in text consecutively, as whole words.
 * "calling on behalf of Acme Insurance." names "Acme Insurance LLC"; "Acme" alone does not.
 * Reads at most the first 4096 bytes of text and 512 of entity. NULL or empty: false.
 */
bool cp_compliance_entity_named(const char *entity, const char *text);

/*
 * The first North American number in text, as 10 digits (out, NUL-terminated). A number is a
 * run of digits with at most three separators ("-", ".", " ", "(", ")", "/") between any two,
 * optionally after "+"; a block of capital letters right after a "-" counts as keypad digits
 * (1-800-FLOWERS). It must have 10 digits, or 11 starting with 1, and area code and exchange
 * both starting 2-9. Runs of fewer than 7 digits ("press 9") are not numbers. Returns false
 * (out = "") when there is none. A 900 number is returned like any other (the caller flags it).
 */
bool cp_compliance_callback_parse(const char *text, char out[11]);

struct cp_opt_out_scan {
    bool found;
    const char *phrase; /* the phrase as in the table ("stop", "do not call"), static */
    size_t offset;      /* byte offset of the match in the transcript */
    /* Not all was read: the transcript was longer than CP_COMPLIANCE_MAX_TRANSCRIPT_BYTES, or
     * the work bound (4 million word comparisons, reached only by adversarial text) ran out. */
    bool truncated;
};

/*
 * Did the consumer ask to stop, somewhere in transcript? The heuristic (its rationale is in
 * compliance.c):
 *   1. Lines spoken by the agent are skipped: a line starting "Agent:", "AI:", "Assistant:",
 *      "Bot:" (list in compliance.c; an optional leading "[..]"/"(..)" or 00:01 time stamp is
 *      skipped first) is the agent's, and so are the unlabelled lines after it until the next
 *      label. Other labels ("Customer:", "User:", "John:") and unlabelled transcripts are read.
 *   2. Words are compared like cp_compliance_entity_named compares them (case and apostrophes
 *      ignored: "Don't" = "dont"), whole words only.
 *   3. Phrases that mean an opt-out anywhere in a sentence: "opt out", "unsubscribe",
 *      "revoke", "do not call", "don't call", "remove me", "take me off", "stop calling",
 *      "stop contacting", "no more calls". The single words of FCC 24-24's list that are
 *      common in other senses ("stop", "quit", "end", "cancel") count only in a short
 *      utterance: a piece of text between . ! ? , ; : line breaks and dashes of at most
 *      short_words words ("Stop." or "No, stop" but not "I want to cancel my policy").
 *   4. A match inside the agent's own words is not the consumer's: agent_texts (the texts of
 *      the call's disclosures, e.g. "...just say stop or press 9") are located in the
 *      transcript around each match, and a match covered by a run of at least min(5, length)
 *      consecutive words equal to that text's is skipped.
 * Reads at most CP_COMPLIANCE_MAX_TRANSCRIPT_BYTES; at most 16 agent_texts (1 KiB, 64 words
 * each) are used; NULL entries (or a NULL array) are skipped. short_words < 0 counts as 0.
 * out: first match, or found = false.
 */
void cp_compliance_opt_out_scan(const char *transcript, const char *const *agent_texts,
                                size_t n_agent_texts, int short_words, struct cp_opt_out_scan *out);

#endif
