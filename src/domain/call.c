/*
 * Call model rules: ids, phone numbers, enum names and the status machine. Pure functions.
 */
#include "domain/call.h"

#include <string.h>

#include "core/util.h"
#include "crypto/crypto.h"

void
cp_call_init(struct cp_call *c)
{
    memset(c, 0, sizeof(*c));
    c->duration_s = -1;
    c->talk_time_s = -1;
}

void
cp_uuid_v7(int64_t now_ms, char out[CP_UUID_LEN + 1])
{
    uint8_t b[16];
    cp_crypto_random_id(b, sizeof(b));
    uint64_t ts = (uint64_t)now_ms;
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ts >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f)); /* variant 10 */
    char hex[33];
    cp_hex_encode(b, sizeof(b), hex);
    size_t o = 0;
    for (int i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            out[o++] = '-';
        out[o++] = hex[i];
    }
    out[o] = '\0';
}

bool
cp_uuid_valid(const char *s)
{
    if (s == NULL || strlen(s) != CP_UUID_LEN)
        return false;
    for (int i = 0; i < CP_UUID_LEN; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

const char *
cp_check_e164(const char *s)
{
    static const char msg[] = "an E.164 phone number such as +15551234567";
    size_t n = strlen(s);
    if (n < 9 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return msg;
    for (size_t i = 2; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return msg;
    return NULL;
}

bool
cp_phone_normalize(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = in; *p; p++) {
        if (strchr(" -.()", *p) != NULL)
            continue;
        if (o + 1 >= n)
            return false;
        out[o++] = *p;
    }
    out[o] = '\0';
    return cp_check_e164(out) == NULL;
}

const char *
cp_check_phone(const char *s)
{
    if (strcmp(s, "anonymous") == 0)
        return NULL;
    return cp_check_e164(s) == NULL
               ? NULL
               : "an E.164 phone number such as +15551234567, or \"anonymous\"";
}

const char *
cp_check_path_id(const char *s)
{
    /* "." and ".." would be dot-segments in a path: clients resolve them away. */
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return "1 to 128 of the characters A-Z a-z 0-9 - _ . : ~ @ + =, other than . or ..";
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("-_.:~@+=", *p) != NULL))
            return "1 to 128 of the characters A-Z a-z 0-9 - _ . : ~ @ + =";
    return NULL;
}

const char *
cp_check_https_url(const char *s)
{
    static const char msg[] = "a valid HTTPS URL";
    if (strncmp(s, "https://", 8) != 0 || s[8] == '\0' || strchr("/?#:@", s[8]) != NULL)
        return msg;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return msg;
    return NULL;
}

const char *
cp_check_uuid(const char *s)
{
    return cp_uuid_valid(s) ? NULL : "a UUID such as 3c90c3cc-0d44-4b50-8888-8dd25736052a";
}

static const char *const dir_names[] = {NULL, "inbound", "outbound"};
static const char *const status_names[] = {"not_started", "in_progress", "ended", "error"};
static const char *const outcome_names[] = {NULL,   "completed", "no_answer",
                                            "busy", "voicemail", "failed"};

static bool
parse_name(const char *s, const char *const *names, size_t n, int *out)
{
    for (size_t i = 0; i < n; i++) {
        if (names[i] != NULL && strcmp(names[i], s) == 0) {
            *out = (int)i;
            return true;
        }
    }
    return false;
}

const char *
cp_direction_name(enum cp_direction d)
{
    return (unsigned)d < CP_ARRAY_LEN(dir_names) ? dir_names[d] : NULL;
}

bool
cp_direction_parse(const char *s, enum cp_direction *out)
{
    int v;
    if (!parse_name(s, dir_names, CP_ARRAY_LEN(dir_names), &v))
        return false;
    *out = (enum cp_direction)v;
    return true;
}

const char *
cp_status_name(enum cp_call_status s)
{
    return (unsigned)s < CP_ARRAY_LEN(status_names) ? status_names[s] : "not_started";
}

bool
cp_status_parse(const char *s, enum cp_call_status *out)
{
    int v;
    if (!parse_name(s, status_names, CP_ARRAY_LEN(status_names), &v))
        return false;
    *out = (enum cp_call_status)v;
    return true;
}

const char *
cp_outcome_name(enum cp_outcome o)
{
    return (unsigned)o < CP_ARRAY_LEN(outcome_names) ? outcome_names[o] : NULL;
}

bool
cp_outcome_parse(const char *s, enum cp_outcome *out)
{
    int v;
    if (!parse_name(s, outcome_names, CP_ARRAY_LEN(outcome_names), &v))
        return false;
    *out = (enum cp_outcome)v;
    return true;
}

bool
cp_status_transition_ok(enum cp_call_status from, enum cp_call_status to)
{
    if (from == to)
        return true;
    if (from == CP_ST_ENDED || from == CP_ST_ERROR)
        return false;
    return to > from;
}

static const char *const state_names[] = {"NotStarted", "InProgress", "Completed", "Busy",
                                          "NoAnswer",   "Voicemail",  "Failed"};
static const char *const state_snake[] = {"not_started", "in_progress", "completed", "busy",
                                          "no_answer",   "voicemail",   "failed"};
static const char *const outcome_cc[] = {NULL,   "Successful", "NoAnswer",
                                         "Busy", "Voicemail",  "Failed"};

enum cp_call_state
cp_call_state(const struct cp_call *c)
{
    switch (c->status) {
    case CP_ST_NOT_STARTED:
        return CP_STATE_NOT_STARTED;
    case CP_ST_IN_PROGRESS:
        return CP_STATE_IN_PROGRESS;
    case CP_ST_ENDED:
    case CP_ST_ERROR:
        break;
    }
    switch (c->outcome) {
    case CP_OUT_COMPLETED:
        return CP_STATE_COMPLETED;
    case CP_OUT_BUSY:
        return CP_STATE_BUSY;
    case CP_OUT_NO_ANSWER:
        return CP_STATE_NO_ANSWER;
    case CP_OUT_VOICEMAIL:
        return CP_STATE_VOICEMAIL;
    case CP_OUT_FAILED:
        return CP_STATE_FAILED;
    case CP_OUT_NONE:
        break;
    }
    return c->status == CP_ST_ERROR ? CP_STATE_FAILED : CP_STATE_COMPLETED;
}

const char *
cp_state_name(enum cp_call_state s)
{
    return (unsigned)s < CP_ARRAY_LEN(state_names) ? state_names[s] : "NotStarted";
}

bool
cp_state_parse(const char *s, enum cp_call_state *out)
{
    int v;
    if (!parse_name(s, state_names, CP_ARRAY_LEN(state_names), &v))
        return false;
    *out = (enum cp_call_state)v;
    return true;
}

const char *
cp_state_snake_name(enum cp_call_state s)
{
    return (unsigned)s < CP_ARRAY_LEN(state_snake) ? state_snake[s] : "not_started";
}

bool
cp_state_parse_snake(const char *s, enum cp_call_state *out)
{
    int v;
    if (!parse_name(s, state_snake, CP_ARRAY_LEN(state_snake), &v))
        return false;
    *out = (enum cp_call_state)v;
    return true;
}

const char *
cp_outcome_cc_name(enum cp_outcome o)
{
    return (unsigned)o < CP_ARRAY_LEN(outcome_cc) ? outcome_cc[o] : NULL;
}

bool
cp_outcome_parse_any(const char *s, enum cp_outcome *out)
{
    int v;
    if (parse_name(s, outcome_cc, CP_ARRAY_LEN(outcome_cc), &v)) {
        *out = (enum cp_outcome)v;
        return true;
    }
    return cp_outcome_parse(s, out);
}

size_t
cp_call_format_offset(int64_t offset_ms, char out[24])
{
    /* By hand, not printf: every turn of every listed contact-center call has one. */
    uint64_t s = offset_ms < 0 ? 0 : (uint64_t)(offset_ms / 1000);
    uint64_t h = s / 3600;
    char d[20];
    size_t k = 0;
    do {
        d[k++] = (char)('0' + h % 10);
        h /= 10;
    } while (h != 0);
    if (k < 2)
        d[k++] = '0';
    size_t n = 0;
    while (k > 0)
        out[n++] = d[--k];
    unsigned mi = (unsigned)(s / 60 % 60), sec = (unsigned)(s % 60);
    out[n++] = ':';
    out[n++] = (char)('0' + mi / 10);
    out[n++] = (char)('0' + mi % 10);
    out[n++] = ':';
    out[n++] = (char)('0' + sec / 10);
    out[n++] = (char)('0' + sec % 10);
    out[n] = '\0';
    return n;
}
