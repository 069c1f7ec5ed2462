/*
 * POST /v1/capture-verbal: a consent given by voice during a call. The consumer's words go
 * through the deterministic phrase classifier (domain/consent_classifier.c, versioned); the
 * attempt is stored and signed whatever the verdict, and only an affirmative one is `valid`
 * (usable by precall and the compliance rules). An unclear or negative answer is evidence too:
 * that the agent asked and what the consumer said.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "domain/call.h"
#include "domain/consent_classifier.h"
#include "handlers/consent.h"
#include "handlers/consent_record.h"
#include "handlers/handlers.h"
#include "json/json.h"
#include "json/spec.h"
#include "json/write.h"

/* A BCP 47 tag in its common shape: 2-3 letters, then "-" subtags of 1-8 letters or digits. */
static const char *
check_language(const char *s)
{
    static const char msg[] = "a BCP 47 language tag such as en-US or es";
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    if (n < 2 || n > 3)
        return msg;
    while (s[n] == '-') {
        size_t k = 0;
        while (isalnum((unsigned char)s[n + 1 + k]))
            k++;
        if (k < 1 || k > 8)
            return msg;
        n += 1 + k;
    }
    return s[n] == '\0' && n <= 35 ? NULL : msg;
}

static const char *
check_sha256_hex(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64
               ? NULL
               : "64 lower-case hex characters (a SHA-256)";
}

void
cp_h_capture_verbal(struct cp_req *req, struct cp_reply *rep)
{
    const char *call_id = NULL, *phone = NULL, *entity = NULL, *transcript = NULL,
               *disclosure = NULL, *language = NULL, *audio_sha = NULL, *audio_url = NULL;
    const cJSON *scope = NULL;
    int64_t captured = 0;
    bool captured_sent = false;
    const char *given_id = NULL;
    struct cp_jspec spec[] = {
        {.name = "consent_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = CP_CONSENT_ID_MAX,
         .check = cp_check_consent_id,
         .out = &given_id},
        {.name = "call_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = 128,
         .check = cp_check_path_id,
         .out = &call_id},
        CP_JSPEC_STRING("phone", &phone, CP_JF_REQUIRED, 1, 32),
        CP_JSPEC_STRING("calling_entity", &entity, CP_JF_REQUIRED, 1, 200),
        {.name = "captured_at",
         .type = CP_JT_TIME,
         .flags = CP_JF_NULLABLE,
         .out = &captured,
         .present = &captured_sent},
        CP_JSPEC_STRING("transcript", &transcript, CP_JF_REQUIRED, 1, 65536),
        CP_JSPEC_STRING("agent_disclosure_text", &disclosure, CP_JF_NULLABLE, 1, 65536),
        CP_JSPEC_ARRAY("consent_scope", &scope, CP_JF_REQUIRED, 4),
        {.name = "language",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 2,
         .max = 35,
         .check = check_language,
         .out = &language},
        {.name = "audio_sha256",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 64,
         .max = 64,
         .check = check_sha256_hex,
         .out = &audio_sha},
        {.name = "audio_segment_url",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = 2048,
         .check = cp_check_https_url,
         .out = &audio_url},
        CP_JSPEC_END,
    };
    struct cp_error err;
    struct cp_consent x = {0};
    cJSON *scope_json = NULL;
    if (cp_jspec_parse(req->json, spec, "", &err) != CP_OK ||
        !cp_consent_phone(phone, "phone", &req->arena, &x.phone, &err) ||
        !cp_consent_parse_scope(scope, "consent_scope", &req->arena, &x.scope, &scope_json, &err)) {
        cp_reply_error(rep, &err);
        return;
    }
    int64_t now = cp_time_now_ms();
    if (!captured_sent)
        captured = now;
    if (!cp_check_event_time(rep, "captured_at", captured, captured_sent, now, "")) {
        cJSON_Delete(scope_json);
        return;
    }
    if (language == NULL)
        language = "en";
    struct cp_consent_classification cls;
    cp_consent_classify(transcript, language, &cls);

    x.tenant_id = req->auth.tenant_id;
    x.calling_entity = entity;
    x.type = "verbal";
    x.valid = cls.verdict == CP_CONSENT_AFFIRMATIVE;
    x.captured_ms = captured;
    x.created_ms = now;
    if (given_id != NULL)
        snprintf(x.id, sizeof(x.id), "%s", given_id);
    else
        cp_consent_new_id("cst", x.id);

    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "schema", "callproof.consent.v1");
    cJSON_AddStringToObject(rec, "consent_id", x.id);
    cJSON_AddStringToObject(rec, "tenant", req->auth.tenant);
    cJSON_AddStringToObject(rec, "phone", x.phone);
    cJSON_AddStringToObject(rec, "calling_entity", entity);
    cJSON_AddStringToObject(rec, "type", "verbal");
    cJSON_AddItemToObject(rec, "scope", scope_json);
    char iso[CP_TIME_ISO_MS_LEN];
    cp_time_format_iso_ms(captured, iso);
    cJSON_AddStringToObject(rec, "captured_at", iso);
    cp_time_format_iso_ms(now, iso);
    cJSON_AddStringToObject(rec, "recorded_at", iso);
    cJSON_AddItemToObject(rec, "call_id", cp_json_str_or_null(call_id));
    cJSON_AddStringToObject(rec, "language", language);
    cJSON_AddStringToObject(rec, "transcript", transcript);
    cJSON_AddItemToObject(rec, "agent_disclosure_text", cp_json_str_or_null(disclosure));
    cJSON_AddItemToObject(rec, "audio_sha256", cp_json_str_or_null(audio_sha));
    cJSON_AddItemToObject(rec, "audio_segment_url", cp_json_str_or_null(audio_url));
    cJSON *cr = cJSON_AddObjectToObject(rec, "classifier_result");
    cJSON_AddStringToObject(cr, "verdict", cp_consent_verdict_name(cls.verdict));
    cJSON_AddStringToObject(cr, "rule", cls.rule);
    cJSON_AddItemToObject(cr, "matched", cp_json_str_or_null(cls.matched));
    cJSON_AddItemToObject(cr, "language", cp_json_str_or_null(cls.language));
    cJSON_AddStringToObject(cr, "version", cp_consent_classifier_version());
    cJSON_AddBoolToObject(rec, "valid", x.valid);
    bool ok = cp_consent_seal(req, rec, &x, &err);
    cJSON_Delete(rec);
    if (!ok) {
        cp_reply_error(rep, &err);
        return;
    }
    cp_req_transact(req, rep, true, cp_consent_insert_txn, &x);
}
