/*
 * cp_jspec_parse: checks a JSON object against a handler's declared field list and fills the
 * handler's variables. Every failure is one sentence naming the field by its JSON path and
 * saying what would be accepted, because that sentence is the whole of a 400 reply. The input
 * comes from cp_json_parse_object, so keys are unique, strings are NUL-free UTF-8 and numbers
 * are finite; this file only has to judge types, presence and limits.
 */
#include "json/spec.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/util.h"
#include "json/json.h"

#define PATH_CAP sizeof(((struct cp_error *)0)->field)

/* What a field must be, as the end of "Field 'x' must be ...": room for an enum's choices. */
#define WANT_CAP 200

/* prefix.name, or name at the top level; cut short if it does not fit (it is only reported). */
static const char *
field_path(char out[PATH_CAP], const char *prefix, const char *name)
{
    if (prefix == NULL || prefix[0] == '\0')
        snprintf(out, PATH_CAP, "%s", name);
    else
        snprintf(out, PATH_CAP, "%s.%s", prefix, name);
    cp_utf8_trim_tail(out); /* it goes into messages: never split a character */
    return out;
}

static enum cp_err
invalid(struct cp_error *err, const char *path, const char *want)
{
    return cp_error_set(err, CP_ERR_INVALID_FIELD, path, "Field '%s' must be %s.", path, want);
}

static enum cp_err
invalid_at(struct cp_error *err, const char *prefix, const struct cp_jspec *f, const char *want)
{
    char path[PATH_CAP];
    return invalid(err, field_path(path, prefix, f->name), want);
}

/*
 * Bounds as they are written in a spec: min == max == 0 means "no range" (so a spec may leave
 * them out), and INT64_MIN / INT64_MAX leave one side open.
 */
static void
want_int(char *out, size_t n, int64_t min, int64_t max)
{
    bool ranged = !(min == 0 && max == 0);
    bool lo = ranged && min != INT64_MIN, hi = ranged && max != INT64_MAX;
    if (lo && hi)
        snprintf(out, n, "an integer between %" PRId64 " and %" PRId64, min, max);
    else if (lo)
        snprintf(out, n, "an integer of at least %" PRId64, min);
    else if (hi)
        snprintf(out, n, "an integer of at most %" PRId64, max);
    else
        snprintf(out, n, "an integer");
}

static bool
in_int_range(int64_t v, int64_t min, int64_t max)
{
    if (min == 0 && max == 0)
        return true;
    return v >= min && v <= max;
}

/*
 * Format a bound in as few digits as read back to the same double, so the message shows
 * "0.1" rather than "0.10000000000000001", and "86400000" rather than "8.64e+07".
 */
static void
format_double(char *out, size_t n, double v)
{
    snprintf(out, n, "%.15g", v);
    if (strtod(out, NULL) != v)
        snprintf(out, n, "%.17g", v);
}

/* dmin == dmax == 0: no range; an infinite bound leaves that side open. */
static void
want_number(char *out, size_t n, double min, double max)
{
    bool ranged = !(min == 0 && max == 0);
    bool lo = ranged && isfinite(min), hi = ranged && isfinite(max);
    char a[32], b[32];
    format_double(a, sizeof(a), min);
    format_double(b, sizeof(b), max);
    if (lo && hi)
        snprintf(out, n, "a number between %s and %s", a, b);
    else if (lo)
        snprintf(out, n, "a number of at least %s", a);
    else if (hi)
        snprintf(out, n, "a number of at most %s", b);
    else
        snprintf(out, n, "a number");
}

/*
 * Size limits of strings (bytes), objects (members) and arrays (elements). max <= 0 or
 * INT64_MAX means no maximum, so the spec macros that leave max out impose none; min <= 0
 * means no minimum. Returns false if count is outside the limits, with what is wanted in out:
 * what, joiner, the bounds and the unit, plural unless the last bound is 1 ("a string of 1 to
 * 64 bytes", "an object with at least 1 member").
 */
static bool
check_size(char *out, size_t n, size_t count, int64_t min, int64_t max, const char *what,
           const char *joiner, const char *unit)
{
    bool lo = min > 0, hi = max > 0 && max != INT64_MAX;
    if ((!lo || count >= (uint64_t)min) && (!hi || count <= (uint64_t)max))
        return true;
    const char *plural = (hi ? max : min) == 1 ? "" : "s";
    if (lo && hi)
        snprintf(out, n, "%s %s %" PRId64 " to %" PRId64 " %s%s", what, joiner, min, max, unit,
                 plural);
    else if (hi)
        snprintf(out, n, "%s %s at most %" PRId64 " %s%s", what, joiner, max, unit, plural);
    else
        snprintf(out, n, "%s %s at least %" PRId64 " %s%s", what, joiner, min, unit, plural);
    return false;
}

/* "one of: a, b, c", cut short if the list does not fit. */
static void
want_enum(char *out, size_t n, const char *const *choices)
{
    size_t used = (size_t)snprintf(out, n, "one of: ");
    for (size_t k = 0; choices[k] != NULL && used < n; k++) {
        int w = snprintf(out + used, n - used, "%s%s", k > 0 ? ", " : "", choices[k]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static size_t
count_children(const cJSON *item)
{
    size_t n = 0;
    for (const cJSON *c = item->child; c != NULL; c = c->next)
        n++;
    return n;
}

/* Check one present, non-null value against its spec entry and store it. The field's path is
 * only put together (prefix.name) when there is an error to name it in. */
static enum cp_err
parse_value(const cJSON *v, const struct cp_jspec *f, const char *prefix, struct cp_error *err)
{
    char want[WANT_CAP];
    const char *bad;

    switch (f->type) {
    case CP_JT_STRING:
        if (!cJSON_IsString(v))
            return invalid_at(err, prefix, f, "a string");
        if (!check_size(want, sizeof(want), strlen(v->valuestring), f->min, f->max, "a string",
                        "of", "byte"))
            return invalid_at(err, prefix, f, want);
        if (f->check != NULL && (bad = f->check(v->valuestring)) != NULL)
            return invalid_at(err, prefix, f, bad);
        if (f->out != NULL)
            *(const char **)f->out = v->valuestring;
        return CP_OK;
    case CP_JT_INT: {
        int64_t i;
        if (!cp_json_get_int(v, &i) || !in_int_range(i, f->min, f->max)) {
            want_int(want, sizeof(want), f->min, f->max);
            return invalid_at(err, prefix, f, want);
        }
        if (f->out != NULL)
            *(int64_t *)f->out = i;
        return CP_OK;
    }
    case CP_JT_NUMBER: {
        bool ranged = !(f->dmin == 0 && f->dmax == 0);
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
            (ranged && (v->valuedouble < f->dmin || v->valuedouble > f->dmax))) {
            want_number(want, sizeof(want), f->dmin, f->dmax);
            return invalid_at(err, prefix, f, want);
        }
        if (f->out != NULL)
            *(double *)f->out = v->valuedouble;
        return CP_OK;
    }
    case CP_JT_BOOL:
        if (!cJSON_IsBool(v))
            return invalid_at(err, prefix, f, "true or false");
        if (f->out != NULL)
            *(bool *)f->out = cJSON_IsTrue(v);
        return CP_OK;
    case CP_JT_OBJECT:
    case CP_JT_ARRAY: {
        bool is_obj = f->type == CP_JT_OBJECT;
        const char *what = is_obj ? "an object" : "an array";
        if (is_obj ? !cJSON_IsObject(v) : !cJSON_IsArray(v))
            return invalid_at(err, prefix, f, what);
        if (!check_size(want, sizeof(want), count_children(v), f->min, f->max, what,
                        is_obj ? "with" : "of", is_obj ? "member" : "element"))
            return invalid_at(err, prefix, f, want);
        if (f->out != NULL)
            *(const cJSON **)f->out = v;
        return CP_OK;
    }
    case CP_JT_TIME: {
        int64_t ms;
        if (!cJSON_IsString(v) || !cp_time_parse_iso(v->valuestring, &ms))
            return invalid_at(err, prefix, f, "an ISO 8601 date-time such as 2026-04-10T15:42:00Z");
        if (f->out != NULL)
            *(int64_t *)f->out = ms;
        return CP_OK;
    }
    case CP_JT_ENUM: {
        if (CP_BUG(f->choices == NULL))
            return cp_error_set(err, CP_ERR_INTERNAL, NULL, "The server failed.");
        size_t k = 0;
        if (cJSON_IsString(v)) {
            while (f->choices[k] != NULL && strcmp(f->choices[k], v->valuestring) != 0)
                k++;
        }
        if (!cJSON_IsString(v) || f->choices[k] == NULL) {
            want_enum(want, sizeof(want), f->choices);
            return invalid_at(err, prefix, f, want);
        }
        if (f->check != NULL && (bad = f->check(v->valuestring)) != NULL)
            return invalid_at(err, prefix, f, bad);
        if (f->out != NULL)
            *(const char **)f->out = v->valuestring;
        return CP_OK;
    }
    case CP_JT_END:
        break;
    }
    /* A spec entry with a name but no type: a broken table, not the client's fault. */
    cp_bug_report(__FILE__, __LINE__, "spec entry with an unknown type");
    return cp_error_set(err, CP_ERR_INTERNAL, NULL, "The server failed.");
}

/* Inline first-byte test: most names differ there, and strcmp is a call. */
static bool
name_eq(const char *a, const char *b)
{
    return a[0] == b[0] && strcmp(a, b) == 0;
}

static const struct cp_jspec *
spec_find(const struct cp_jspec *spec, const char *name)
{
    for (const struct cp_jspec *f = spec; f->name != NULL; f++) {
        if (name_eq(f->name, name))
            return f;
    }
    return NULL;
}

/* Specs up to this many entries remember each entry's member in one pass over the object;
 * longer ones (none today) look each member up by name. */
#define FOUND_CAP 64

enum cp_err
cp_jspec_parse(const cJSON *obj, const struct cp_jspec *spec, const char *path_prefix,
               struct cp_error *out_err)
{
    char path[PATH_CAP];
    CP_ASSERT(spec != NULL);
    if (path_prefix == NULL)
        path_prefix = "";

    if (!cJSON_IsObject(obj)) {
        if (path_prefix[0] == '\0')
            return cp_error_set(out_err, CP_ERR_INVALID_JSON, NULL,
                                "The request body must be a JSON object.");
        return invalid(out_err, path_prefix, "an object");
    }
    size_t n_spec = 0;
    while (spec[n_spec].name != NULL)
        n_spec++;
    /* found[i]: the first member named like spec[i] (the parser refuses repeated keys). */
    const cJSON *found[FOUND_CAP] = {NULL};
    bool mapped = n_spec <= FOUND_CAP;
    /* Undeclared input is refused before anything is read, so nothing half-applies it. */
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        if (CP_BUG(m->string == NULL))
            return cp_error_set(out_err, CP_ERR_INTERNAL, NULL, "The server failed.");
        const struct cp_jspec *f = spec_find(spec, m->string);
        if (f == NULL) {
            field_path(path, path_prefix, m->string);
            return cp_error_set(out_err, CP_ERR_UNKNOWN_FIELD, path,
                                "Field '%s' is not accepted by this endpoint.", path);
        }
        if (mapped && found[f - spec] == NULL)
            found[f - spec] = m;
    }
    for (const struct cp_jspec *f = spec; f->name != NULL; f++) {
        /* Case-sensitive: cJSON_GetObjectItem would let "Type" fill "type". */
        const cJSON *v = mapped ? found[f - spec] : cJSON_GetObjectItemCaseSensitive(obj, f->name);
        bool required = (f->flags & CP_JF_REQUIRED) != 0;
        if (v == NULL) {
            if (!required)
                continue;
            field_path(path, path_prefix, f->name);
            return cp_error_set(out_err, CP_ERR_MISSING_FIELD, path, "Field '%s' is required.",
                                path);
        }
        if (f->present != NULL)
            *f->present = true;
        if (cJSON_IsNull(v)) {
            if (f->flags & CP_JF_NULLABLE) {
                if (f->is_null != NULL)
                    *f->is_null = true;
                continue;
            }
            field_path(path, path_prefix, f->name);
            if (required)
                return cp_error_set(out_err, CP_ERR_MISSING_FIELD, path,
                                    "Field '%s' is required and may not be null.", path);
            return cp_error_set(out_err, CP_ERR_INVALID_FIELD, path, "Field '%s' may not be null.",
                                path);
        }
        enum cp_err e = parse_value(v, f, path_prefix, out_err);
        if (e != CP_OK)
            return e;
    }
    return CP_OK;
}
