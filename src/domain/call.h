/*
 * The one call record behind every face (Ovia snake_case, Vocode, contact-center camelCase,
 * post-call). Faces translate names and casing; the record and its rules live here.
 *
 * Unset values: strings are NULL, times are 0 (ms since the epoch; no call predates 1970),
 * durations are -1, tri-state booleans use enum cp_tristate. JSON-valued fields (costs,
 * metadata, analysis, latency metrics, transcript turns) are kept as serialized JSON text
 * produced by callproof's own writer, so the store never has to understand them.
 */
#ifndef CP_DOMAIN_CALL_H
#define CP_DOMAIN_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_UUID_LEN 36

enum cp_direction { CP_DIR_NONE = 0, CP_DIR_INBOUND, CP_DIR_OUTBOUND };
enum cp_call_status { CP_ST_NOT_STARTED = 0, CP_ST_IN_PROGRESS, CP_ST_ENDED, CP_ST_ERROR };
enum cp_outcome {
    CP_OUT_NONE = 0,
    CP_OUT_COMPLETED,
    CP_OUT_NO_ANSWER,
    CP_OUT_BUSY,
    CP_OUT_VOICEMAIL,
    CP_OUT_FAILED
};
enum cp_tristate { CP_TRI_UNSET = 0, CP_TRI_FALSE, CP_TRI_TRUE };

/* The contact-center face's `state`: derived from status and outcome, never stored apart
 * from them (the store keeps a copy in an indexed column, written from cp_call_state). */
enum cp_call_state {
    CP_STATE_NOT_STARTED = 0,
    CP_STATE_IN_PROGRESS,
    CP_STATE_COMPLETED,
    CP_STATE_BUSY,
    CP_STATE_NO_ANSWER,
    CP_STATE_VOICEMAIL,
    CP_STATE_FAILED,
};

struct cp_call {
    char id[CP_UUID_LEN + 1]; /* server id, UUIDv7 */
    const char *external_id;  /* tenant's own id, unique per tenant, or NULL */
    int64_t tenant_id;

    enum cp_direction direction;
    enum cp_call_status status;
    enum cp_outcome outcome;
    const char *type; /* "phone_call", free text */
    const char *from_number, *to_number;
    const char *user_id, *agent_id, *phone_number_id; /* UUIDs (Ovia) */
    const char *agent_name;
    const char *campaign_id;

    int64_t started_ms, ended_ms;
    int64_t duration_s;  /* -1 = unknown */
    int64_t talk_time_s; /* -1 = unknown */

    const char *transcript; /* full text */
    const char *turns_json; /* JSON array of {role, text, offset_ms} or NULL */
    const char *recording_url;
    bool recording_available;
    const char *analysis_json;        /* any JSON value or NULL */
    const char *latency_metrics_json; /* any JSON value or NULL */
    const char *costs_json;           /* JSON object or NULL */
    const char *metadata_json;        /* JSON object or NULL */

    const char *telephony_provider, *telephony_id;
    const char *human_detection_result; /* human | no_human */
    enum cp_tristate do_not_call_result;
    bool hipaa_compliant;
    const char *on_no_human_answer; /* continue | hangup */
    const char *error_message;
    const char *epa_json; /* post-call survey (contact-center EPA results) or NULL */

    int64_t created_ms, updated_ms;
};

/*
 * The fields of a call a list reads. CP_CALL_FIELDS_CC: the 17 of the contact-center object
 * (cp_call_write_cc): id, external_id, campaign_id, direction, status, outcome, the numbers,
 * started/ended/created/updated times, duration, talk time, turns_json, recording_available
 * and epa_json; the others stay as cp_call_init left them. (test_stored checks the object
 * needs no other field.)
 */
enum cp_call_fields { CP_CALL_FIELDS_ALL, CP_CALL_FIELDS_CC };

/* Filters of the list endpoints (both faces); zero/NULL = no filter. */
struct cp_call_filter {
    const char *campaign_id;
    bool has_state;
    enum cp_call_state state;
    enum cp_direction direction; /* CP_DIR_NONE = any */
    int64_t date_from_ms;        /* started_at >= (0 = none) */
    int64_t date_to_ms;          /* started_at <= (0 = none) */
    const char *phone;           /* from_number or to_number */
    enum cp_outcome outcome;     /* CP_OUT_NONE = any */
    int64_t limit, offset;
    enum cp_call_fields fields; /* what the items need (a backend may read more) */
};

/* Set the unset markers (durations -1) and zero the rest. */
void cp_call_init(struct cp_call *c);

/* Fresh UUIDv7 (RFC 9562): 48-bit ms timestamp, then random bits. Time-ordered ids keep
 * B-tree inserts at the right edge instead of scattering pages. */
void cp_uuid_v7(int64_t now_ms, char out[CP_UUID_LEN + 1]);
/* True for the 8-4-4-4-12 hex form (any version; either case). */
bool cp_uuid_valid(const char *s);

/* NULL if s is a valid E.164 number (+ then 8..15 digits, first digit not 0) or "anonymous";
 * else a message fragment for cp_jspec ("an E.164 phone number ..."). */
const char *cp_check_phone(const char *s);
/* Normalise a phone number as people write it ("+1 (555) 123-4567", "+1.555.123.4567") to
 * E.164 ("+15551234567") in out (n bytes): spaces, dashes, dots and parentheses are dropped;
 * the rest must be '+' then digits forming a valid E.164 number. False if it is not. */
bool cp_phone_normalize(const char *in, char *out, size_t n);
/* Same check without "anonymous". */
const char *cp_check_e164(const char *s);
/* cp_jspec check for ids the tenant chooses that appear in paths (call_id, recording_id):
 * letters, digits and - _ . : ~ @ + = only, so they need no escaping in a URL. */
const char *cp_check_path_id(const char *s);
/* cp_jspec check for https URLs with a host ("a valid HTTPS URL"). */
const char *cp_check_https_url(const char *s);
/* cp_jspec check for UUIDs. */
const char *cp_check_uuid(const char *s);

/* Names as stored and as the snake_case faces show them; parse returns false if unknown. */
const char *cp_direction_name(enum cp_direction d); /* "inbound"/"outbound"/NULL */
bool cp_direction_parse(const char *s, enum cp_direction *out);
const char *cp_status_name(enum cp_call_status s);
bool cp_status_parse(const char *s, enum cp_call_status *out);
const char *cp_outcome_name(enum cp_outcome o); /* NULL for NONE */
bool cp_outcome_parse(const char *s, enum cp_outcome *out);

/* The contact-center state of a call: not_started -> NotStarted, in_progress -> InProgress,
 * ended/error -> by outcome (completed -> Completed, busy, no_answer, voicemail, failed);
 * ended without outcome -> Completed, error without outcome -> Failed. */
enum cp_call_state cp_call_state(const struct cp_call *c);
/* "NotStarted", "InProgress", "Completed", "Busy", "NoAnswer", "Voicemail", "Failed". */
const char *cp_state_name(enum cp_call_state s);
bool cp_state_parse(const char *s, enum cp_call_state *out);
/* snake_case state names for the Ovia list filter: not_started, in_progress, completed, busy,
 * no_answer, voicemail, failed. */
const char *cp_state_snake_name(enum cp_call_state s);
bool cp_state_parse_snake(const char *s, enum cp_call_state *out);
/* Contact-center outcome words: Successful, NoAnswer, Busy, Voicemail, Failed (NULL for none).
 * The parser also accepts the snake_case names (completed, no_answer, ...). */
const char *cp_outcome_cc_name(enum cp_outcome o);
bool cp_outcome_parse_any(const char *s, enum cp_outcome *out);

/* "HH:MM:SS" for an offset in milliseconds from call start (hours keep growing past 99:
 * a 100-hour offset is "100:00:00"; negative offsets clamp to 00:00:00). out needs 24 bytes;
 * returns the length written (before its NUL). */
size_t cp_call_format_offset(int64_t offset_ms, char out[24]);

/* Status only moves forward: not_started -> in_progress -> ended|error (skipping allowed);
 * a terminal status never changes. True if from -> to is allowed (to == from is allowed). */
bool cp_status_transition_ok(enum cp_call_status from, enum cp_call_status to);

#endif
