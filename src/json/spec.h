/*
 * Declarative field specs for JSON request bodies (the GNU Taler / kore idea): a handler lists
 * the fields it accepts, with type, requiredness and limits, and one call validates the whole
 * object, rejects anything undeclared, and fills the handler's variables. Every failure names
 * the field by its JSON path, so every 400 says exactly what to fix.
 *
 *   const char *type = NULL; int64_t dur = 0; bool has_dur = false;
 *   struct cp_jspec spec[] = {
 *       CP_JSPEC_STRING("type", &type, CP_JF_REQUIRED, 1, 64),
 *       CP_JSPEC_INT("duration", &dur, 0, 0, 86400 * 7),
 *       CP_JSPEC_END,
 *   };
 *   spec[1].present = &has_dur; // only needed to tell "absent" from "sent as 0"
 *   if (cp_jspec_parse(body, spec, "", &err) != CP_OK) return reply_error(&err);
 *
 * Outputs are borrowed pointers into the cJSON tree (strings, objects, arrays): they live as
 * long as the tree does. Nothing is written to an output unless the field is present and valid,
 * so outputs keep their defaults when a field is absent.
 */
#ifndef CP_JSON_SPEC_H
#define CP_JSON_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/error.h"

enum cp_jtype {
    CP_JT_END = 0, /* terminates a spec array */
    CP_JT_STRING,  /* out: const char **; min/max = length in bytes (max 0: no maximum) */
    CP_JT_INT,     /* out: int64_t *; integral JSON number within [min, max] (both 0: any) */
    CP_JT_NUMBER,  /* out: double *; finite JSON number within [dmin, dmax] (both 0: any) */
    CP_JT_BOOL,    /* out: bool * */
    CP_JT_OBJECT,  /* out: const cJSON **; min/max = member count (max 0: no maximum) */
    CP_JT_ARRAY,   /* out: const cJSON **; min/max = element count (max 0: no maximum) */
    CP_JT_TIME,    /* out: int64_t * ms since epoch; an RFC 3339 string (core/time.h) */
    CP_JT_ENUM,    /* out: const char **; the value must be one of spec->choices */
};

/* Flags. */
#define CP_JF_REQUIRED 0x1u /* absent -> 400 missing_field */
#define CP_JF_NULLABLE 0x2u /* JSON null accepted: sets *present and *is_null, leaves *out */

/*
 * A string check beyond type and length (E.164, UUID, https URL...). Returns NULL if s is fine,
 * else a static message fragment completing "Field 'x' must be ..." (e.g. "an E.164 phone
 * number such as +15551234567").
 */
typedef const char *(*cp_jcheck_fn)(const char *s);

struct cp_jspec {
    const char *name;
    enum cp_jtype type;
    unsigned flags;
    /*
     * Limits, by type (members a macro leaves out are 0, so 0 must mean "none"):
     *   INT: min == max == 0 means any integer (within +-2^53); otherwise INT64_MIN or
     *        INT64_MAX leaves that side open ("an integer of at least 0").
     *   STRING, OBJECT, ARRAY: max <= 0 (or INT64_MAX) means no maximum; min <= 0 no minimum.
     */
    int64_t min, max;
    double dmin, dmax;          /* NUMBER only: both 0 means any; +-INFINITY leaves a side open */
    const char *const *choices; /* CP_JT_ENUM: NULL-terminated list */
    cp_jcheck_fn check;         /* CP_JT_STRING / CP_JT_ENUM: optional extra check */
    void *out;                  /* where the value goes (see enum cp_jtype); may be NULL */
    /* The flags are only ever set to true, never cleared: initialise them to false. */
    bool *present; /* set to true when the key is present (even if null); may be NULL */
    bool *is_null; /* set to true when present and null (CP_JF_NULLABLE); may be NULL */
};

#define CP_JSPEC_END                                                                               \
    {                                                                                              \
        .name = NULL, .type = CP_JT_END                                                            \
    }
#define CP_JSPEC_STRING(nm, outp, fl, mn, mx)                                                      \
    {                                                                                              \
        .name = (nm), .type = CP_JT_STRING, .flags = (fl), .min = (mn), .max = (mx), .out = (outp) \
    }
#define CP_JSPEC_INT(nm, outp, fl, mn, mx)                                                         \
    {                                                                                              \
        .name = (nm), .type = CP_JT_INT, .flags = (fl), .min = (mn), .max = (mx), .out = (outp)    \
    }
#define CP_JSPEC_NUMBER(nm, outp, fl, mn, mx)                                                      \
    {                                                                                              \
        .name = (nm), .type = CP_JT_NUMBER, .flags = (fl), .dmin = (mn), .dmax = (mx),             \
        .out = (outp)                                                                              \
    }
#define CP_JSPEC_BOOL(nm, outp, fl)                                                                \
    {                                                                                              \
        .name = (nm), .type = CP_JT_BOOL, .flags = (fl), .out = (outp)                             \
    }
#define CP_JSPEC_OBJECT(nm, outp, fl, mx)                                                          \
    {                                                                                              \
        .name = (nm), .type = CP_JT_OBJECT, .flags = (fl), .min = 0, .max = (mx), .out = (outp)    \
    }
#define CP_JSPEC_ARRAY(nm, outp, fl, mx)                                                           \
    {                                                                                              \
        .name = (nm), .type = CP_JT_ARRAY, .flags = (fl), .min = 0, .max = (mx), .out = (outp)     \
    }
#define CP_JSPEC_TIME(nm, outp, fl)                                                                \
    {                                                                                              \
        .name = (nm), .type = CP_JT_TIME, .flags = (fl), .out = (outp)                             \
    }
#define CP_JSPEC_ENUM(nm, outp, fl, ch)                                                            \
    {                                                                                              \
        .name = (nm), .type = CP_JT_ENUM, .flags = (fl), .choices = (ch), .out = (outp)            \
    }

/*
 * Validate obj (a JSON object from cp_json_parse_object, borrowed) against the
 * NULL-name-terminated spec array and fill outputs. path_prefix ("" or NULL at the top level,
 * "costs" or "transcript_objects[3]" for nested objects) is joined to field names with '.' to
 * form the path that goes into out_err->field and into the message.
 *
 * First every member of obj is looked up in spec: one that is not there -> CP_ERR_UNKNOWN_FIELD
 * ("Field 'x' is not accepted by this endpoint."). Then each spec entry, in order:
 *   - absent: CP_ERR_MISSING_FIELD if CP_JF_REQUIRED ("Field 'x' is required."), else skipped;
 *   - null without CP_JF_NULLABLE: CP_ERR_MISSING_FIELD if required ("Field 'x' is required and
 *     may not be null."), else CP_ERR_INVALID_FIELD ("Field 'x' may not be null.");
 *   - wrong type, range, length, enum or check: CP_ERR_INVALID_FIELD, "Field 'x' must be ...",
 *     e.g. "Field 'duration' must be an integer between 0 and 604800."
 * Key lookup is case-sensitive. A non-object obj -> CP_ERR_INVALID_JSON at the top level,
 * CP_ERR_INVALID_FIELD naming path_prefix otherwise. Returns CP_OK or the error code (also in
 * *out_err, which may be NULL). Outputs may have been partly written when an error is returned.
 */
enum cp_err cp_jspec_parse(const cJSON *obj, const struct cp_jspec *spec, const char *path_prefix,
                           struct cp_error *out_err);

#endif
