/*
 * Consent records (the econsent voice API's consent side):
 *   POST /v1/consents           import a written (or other) consent; signed, immutable
 *   GET  /v1/consents/{id}      one consent with its proof
 *   GET  /v1/consents?phone=    the tenant's consents for a number, newest capture first
 * Consents are never updated or deleted; a revocation (POST /v1/revoke) only marks them.
 */
#include <string.h>

#include "core/time.h"
#include "core/util.h"
#include "handlers/consent.h"
#include "handlers/consent_record.h"
#include "handlers/handlers.h"
#include "json/json.h"
#include "json/spec.h"
#include "json/write.h"

static const char *const consent_types[] = {"prior_express_written", "prior_express", "verbal",
                                            "established_business_relationship", NULL};

/* The clock skew allowed for "captured before now" checks: a client's clock may run ahead. */

bool
cp_consent_parse_scope(const cJSON *arr, const char *field, struct cp_arena *a,
                       const char **out_csv, cJSON **out_json, struct cp_error *err)
{
    static const char *const names[] = {"ai_voice", "ai_sms", "telemarketing", "transactional"};
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 || cJSON_GetArraySize(arr) > 4) {
        cp_error_set(err, CP_ERR_INVALID_FIELD, field,
                     "Field '%s' must be a list of 1 to 4 of: ai_voice, ai_sms, telemarketing, "
                     "transactional.",
                     field);
        return false;
    }
    unsigned seen = 0;
    *out_json = cJSON_CreateArray();
    char csv[80] = "";
    int i = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        int k = -1;
        for (int j = 0; j < 4 && cJSON_IsString(it); j++)
            if (strcmp(it->valuestring, names[j]) == 0)
                k = j;
        if (k < 0 || (seen & (1u << k))) {
            cJSON_Delete(*out_json);
            char path[64];
            snprintf(path, sizeof(path), "%s[%d]", field, i);
            cp_error_set(err, CP_ERR_INVALID_FIELD, path,
                         "Field '%s' must be one of ai_voice, ai_sms, telemarketing, "
                         "transactional, each at most once.",
                         path);
            return false;
        }
        seen |= 1u << k;
        cJSON_AddItemToArray(*out_json, cJSON_CreateString(names[k]));
        snprintf(csv + strlen(csv), sizeof(csv) - strlen(csv), "%s%s", csv[0] ? "," : "", names[k]);
    }
    *out_csv = cp_arena_strdup(a, csv);
    return true;
}

bool
cp_consent_phone(const char *given, const char *field, struct cp_arena *a, const char **out,
                 struct cp_error *err)
{
    char norm[32];
    if (given == NULL || !cp_phone_normalize(given, norm, sizeof(norm))) {
        cp_error_set(err, CP_ERR_INVALID_FIELD, field,
                     "Field '%s' must be an E.164 phone number such as +15551234567.", field);
        return false;
    }
    *out = cp_arena_strdup(a, norm);
    return true;
}

void
cp_h_consents_create(struct cp_req *req, struct cp_reply *rep)
{
    const char *phone = NULL, *entity = NULL, *type = NULL, *source = NULL, *text = NULL,
               *url = NULL;
    const cJSON *scope = NULL;
    int64_t captured = 0;
    const char *given_id = NULL;
    struct cp_jspec spec[] = {
        {.name = "consent_id",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = CP_CONSENT_ID_MAX,
         .check = cp_check_consent_id,
         .out = &given_id},
        CP_JSPEC_STRING("phone", &phone, CP_JF_REQUIRED, 1, 32),
        CP_JSPEC_STRING("calling_entity", &entity, CP_JF_REQUIRED, 1, 200),
        CP_JSPEC_ENUM("type", &type, CP_JF_REQUIRED, consent_types),
        CP_JSPEC_ARRAY("scope", &scope, CP_JF_REQUIRED, 4),
        CP_JSPEC_TIME("captured_at", &captured, CP_JF_REQUIRED),
        CP_JSPEC_STRING("source", &source, CP_JF_NULLABLE, 1, 200),
        CP_JSPEC_STRING("evidence_text", &text, CP_JF_NULLABLE, 1, 65536),
        {.name = "evidence_url",
         .type = CP_JT_STRING,
         .flags = CP_JF_NULLABLE,
         .min = 1,
         .max = 2048,
         .check = cp_check_https_url,
         .out = &url},
        CP_JSPEC_END,
    };
    struct cp_error err;
    struct cp_consent x = {0};
    cJSON *scope_json = NULL;
    if (cp_jspec_parse(req->json, spec, "", &err) != CP_OK ||
        !cp_consent_phone(phone, "phone", &req->arena, &x.phone, &err) ||
        !cp_consent_parse_scope(scope, "scope", &req->arena, &x.scope, &scope_json, &err)) {
        cp_reply_error(rep, &err);
        return;
    }
    int64_t now = cp_time_now_ms();
    if (!cp_check_event_time(rep, "captured_at", captured, true, now, "")) {
        cJSON_Delete(scope_json);
        return;
    }
    x.tenant_id = req->auth.tenant_id;
    x.calling_entity = entity;
    x.type = type;
    x.valid = true;
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
    cJSON_AddStringToObject(rec, "type", type);
    cJSON_AddItemToObject(rec, "scope", scope_json);
    char iso[CP_TIME_ISO_MS_LEN];
    cp_time_format_iso_ms(captured, iso);
    cJSON_AddStringToObject(rec, "captured_at", iso);
    cp_time_format_iso_ms(now, iso);
    cJSON_AddStringToObject(rec, "recorded_at", iso);
    cJSON_AddItemToObject(rec, "source", cp_json_str_or_null(source));
    cJSON_AddItemToObject(rec, "evidence_text", cp_json_str_or_null(text));
    cJSON_AddItemToObject(rec, "evidence_url", cp_json_str_or_null(url));
    bool ok = cp_consent_seal(req, rec, &x, &err);
    cJSON_Delete(rec);
    if (!ok) {
        cp_reply_error(rep, &err);
        return;
    }
    cp_req_transact(req, rep, true, cp_consent_insert_txn, &x);
}

static enum cp_qs
get_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct cp_consent x;
    const char *id = t->req->params[0];
    enum cp_qs qs = strlen(id) <= CP_CONSENT_ID_MAX
                        ? c->ops->consent_get(c, t->req->auth.tenant_id, id, &t->req->arena, &x)
                        : CP_QS_NONE;
    if (qs < 0)
        return qs;
    if (qs == CP_QS_NONE) {
        cp_reply_err(t->rep, CP_ERR_NOT_FOUND, NULL, "Consent not found: %s.", id);
        return CP_QS_NONE;
    }
    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_consent_write(&w, t->req, &x);
    return CP_QS_ONE;
}

void
cp_h_consents_get(struct cp_req *req, struct cp_reply *rep)
{
    cp_req_transact(req, rep, false, get_txn, NULL);
}

static enum cp_qs
list_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    const char *phone = t->cls;
    struct cp_consent *items = NULL;
    size_t n = 0;
    enum cp_qs qs =
        c->ops->consent_list(c, t->req->auth.tenant_id, phone, &t->req->arena, &items, &n);
    if (qs < 0)
        return qs;
    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "phone", phone);
    cp_jw_key(&w, "items");
    cp_jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        cp_consent_write(&w, t->req, &items[i]);
    cp_jw_arr_end(&w);
    cp_jw_obj_end(&w);
    return CP_QS_ONE;
}

/* The one query parameter of the by-phone lists: phone, required, normalised. */
const char *
cp_consent_query_phone(struct cp_req *req, struct cp_reply *rep)
{
    static const char *const known[] = {"phone", NULL};
    if (!cp_req_query_only(req, rep, known))
        return NULL;
    const char *given = cp_req_query(req, "phone"), *phone = NULL;
    struct cp_error err;
    if (given == NULL) {
        cp_reply_err(rep, CP_ERR_BAD_QUERY, "phone",
                     "Query parameter 'phone' is required (E.164; send '+' as %%2B).");
        return NULL;
    }
    if (!cp_consent_phone(given, "phone", &req->arena, &phone, &err)) {
        cp_reply_err(rep, CP_ERR_BAD_QUERY, "phone",
                     "Query parameter 'phone' must be an E.164 number such as +15551234567 "
                     "(send '+' as %%2B).");
        return NULL;
    }
    return phone;
}

void
cp_h_consents_list(struct cp_req *req, struct cp_reply *rep)
{
    const char *phone = cp_consent_query_phone(req, rep);
    if (phone != NULL)
        cp_req_transact(req, rep, false, list_txn, (void *)phone);
}
