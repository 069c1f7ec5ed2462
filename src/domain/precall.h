/*
 * The precall decision: may this call be placed now? A pure function of the request, the
 * consumer's consents and revocations as they are now, and the calling-hours verdict, so the
 * same inputs always give the same answer (each answer is stored as an audit record with its
 * inputs). The rules, in order, each with its basis:
 *
 *   1. consumer_revoked: a recorded revocation of this entity's calls (or of all calls, scope
 *      "all") blocks at once. 47 CFR 64.1200(a)(10) lets a caller take up to 10 business days
 *      to honor it; that is a legal maximum, not a grace period. A valid consent for this
 *      entity captured after the revocation lifts it (the consumer consented again). The
 *      earliest revocation in effect is reported: its honor-by date is the binding one.
 *   2. outside_calling_hours: the called party's local time, in every zone of the area code,
 *      must be within 08:00-21:00 (64.1200(c)(1)); applied to every purpose. An unknown area
 *      code is a compliance note, not a silent pass.
 *   3. Consent, for artificial or AI voices only (FCC 24-17: AI-generated voice is "artificial";
 *      TCPA 227(b)): telemarketing needs prior express WRITTEN consent (64.1200(a)(2)); other
 *      purposes any prior express consent (written, express or verbal). For ai_voice the
 *      consent's scope must include ai_voice; for automated_voice telemarketing it must include
 *      telemarketing. The consent must be valid, for this calling entity, captured before now
 *      and not revoked. None at all: no_consent; consents that fall short only on type or
 *      scope: ai_consent_missing.
 *   Human-voice calls need no consent under these rules (Do-Not-Call lists are out of scope).
 */
#ifndef CP_DOMAIN_PRECALL_H
#define CP_DOMAIN_PRECALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cp_purpose {
    CP_PURPOSE_TELEMARKETING,
    CP_PURPOSE_TRANSACTIONAL,
    CP_PURPOSE_INFORMATIONAL,
    CP_PURPOSE_SURVEY,
    CP_PURPOSE_DEBT_COLLECTION,
    CP_PURPOSE_APPOINTMENT_REMINDER,
};
enum cp_call_type { CP_CALL_AI_VOICE, CP_CALL_HUMAN_VOICE, CP_CALL_AUTOMATED_VOICE };
enum cp_hours { CP_PRECALL_HOURS_OK, CP_PRECALL_HOURS_OUTSIDE, CP_PRECALL_HOURS_UNKNOWN };

struct cp_precall_consent {
    const char *id;
    const char *type;  /* prior_express_written | prior_express | verbal | established_... */
    const char *scope; /* comma-separated */
    const char *calling_entity;
    bool valid;
    int64_t captured_ms;
    int64_t revoked_ms; /* 0 = not revoked */
};

struct cp_precall_revocation {
    const char *id;
    const char *calling_entity;
    bool scope_all;
    int64_t revoked_ms, honor_by_ms;
};

struct cp_precall_result {
    bool allowed;
    const char *reason;                             /* NULL when allowed */
    const struct cp_precall_consent *consent;       /* relied on, or NULL */
    const struct cp_precall_revocation *revocation; /* that blocked, or NULL */
    bool disclosure_required;
};

/* Parse the request enums; false for unknown names. */
bool cp_purpose_parse(const char *s, enum cp_purpose *out);
/* The request name of a purpose ("telemarketing", ...); "unknown" for an out-of-range value. */
const char *cp_purpose_name(enum cp_purpose p);
bool cp_call_type_parse(const char *s, enum cp_call_type *out);

/* Is name one of the items of a consent's comma-separated scope? */
bool cp_consent_scope_has(const char *csv, const char *name);
/* Does a consent of this type (NULL: none) cover a call for this purpose? Telemarketing needs
 * prior express written consent; other purposes any prior express consent. */
bool cp_consent_type_covers(const char *type, enum cp_purpose purpose);
/* Does consent c lift revocation r for calling_entity at at_ms? A valid consent for the entity,
 * captured after the revocation, by at_ms, and not itself revoked by then, starts a new
 * relationship. (Rule 1 above; compliance applies the same rule at the start of a call.) */
bool cp_consent_lifts(const struct cp_precall_consent *c, const struct cp_precall_revocation *r,
                      const char *calling_entity, int64_t at_ms);

/* Decide (see the rules above). Calling entities compare case-insensitively. */
void cp_precall_decide(const char *calling_entity, enum cp_purpose purpose, enum cp_call_type type,
                       int64_t now_ms, const struct cp_precall_consent *consents, size_t n_consents,
                       const struct cp_precall_revocation *revocations, size_t n_revocations,
                       enum cp_hours hours, struct cp_precall_result *out);

#endif
