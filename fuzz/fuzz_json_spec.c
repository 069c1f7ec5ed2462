/*
 * Fuzz target: every JSON field spec callproof declares, through the handler that declares it.
 * The specs (json/spec.h) are tables local to the handlers of the nine endpoints that take a
 * JSON body, with nested ones for costs, agent, transcript turns, disclosures and EPA
 * responses; they are reached here the way a client reaches them, with a valid request around
 * the fuzzed body, so every input is a body and none is spent on framing or authentication.
 *
 * Input format: the first byte picks the endpoint (its value modulo 9, in the order of
 * `endpoints` below); the rest is the request body. Placeholders as in fuzz_request.c ($CALL,
 * $BUNDLE, ...) are replaced in the body.
 *
 * Properties, beyond those every reply must satisfy (fuzz/harness.c, reply_check):
 *   - a body our strict parser refuses is answered 400 invalid_json, and nothing else;
 *   - every 400 that blames a field names it: unknown_field, read_only_field and invalid_field
 *     name a path that exists in the body sent ("costs.details.x", "transcript_objects[2]"),
 *     missing_field one that is absent or null there.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "json/json.h"

static const struct {
    const char *method, *target;
} endpoints[] = {
    {"POST", "/api/v1/calls"},
    {"PATCH", "/api/v1/calls/$CALL"},
    {"PUT", "/api/v1/voice-calls/$CALL/epa-results"},
    {"POST", "/v1/calls/$CALL/recording-log"},
    {"POST", "/v1/consents"},
    {"POST", "/v1/capture-verbal"},
    {"POST", "/v1/revoke"},
    {"POST", "/v1/precall"},
    {"POST", "/v1/post-call"},
};

/*
 * The value at path in root ("a.b[3].c"), or NULL. Member names may themselves hold '.' or '['
 * (even start with '['), so at each object every member whose name is a prefix of the rest of
 * the path (followed by its end, '.' or '[') is tried.
 */
static const cJSON *
resolve(const cJSON *v, const char *path)
{
    if (*path == '\0')
        return v;
    if (cJSON_IsArray(v)) {
        char *end;
        long i = strtol(path + 1, &end, 10);
        if (*path != '[' || *end != ']' || i < 0)
            return NULL;
        const cJSON *e = cJSON_GetArrayItem(v, (int)i);
        if (e == NULL)
            return NULL;
        return end[1] == '.' ? resolve(e, end + 2) : resolve(e, end + 1);
    }
    if (!cJSON_IsObject(v))
        return NULL;
    for (const cJSON *m = v->child; m != NULL; m = m->next) {
        size_t n = strlen(m->string);
        if (strncmp(path, m->string, n) != 0)
            continue;
        const char *rest = path + n;
        const cJSON *found = NULL;
        if (*rest == '\0')
            found = m;
        else if (*rest == '.')
            found = resolve(m, rest + 1);
        else if (*rest == '[')
            found = resolve(m, rest);
        if (found != NULL)
            return found;
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz_app_tick();
    size_t e = data[0] % (sizeof(endpoints) / sizeof(endpoints[0]));
    size_t body_len = 0, target_len = 0;
    char *body = fz_expand(data + 1, size - 1, &body_len);
    char *target =
        fz_expand((const uint8_t *)endpoints[e].target, strlen(endpoints[e].target), &target_len);
    char auth[128], length[24];
    char *key = fz_expand((const uint8_t *)"Bearer $KEY", 11, NULL);
    snprintf(auth, sizeof(auth), "%s", key);
    free(key);
    snprintf(length, sizeof(length), "%zu", body_len);
    struct cp_kv h[] = {
        {"Authorization", auth}, {"Content-Type", "application/json"}, {"Content-Length", length}};
    struct fz_request r = {.method = endpoints[e].method,
                           .target = target,
                           .headers = h,
                           .n_headers = 3,
                           .body = body,
                           .body_len = body_len};
    struct fz_result res;
    fz_run(&r, &res);

    cJSON *sent = cp_json_parse_object(body, body_len, NULL);
    if (sent == NULL)
        FZ_CHECK(res.status == 400 && strcmp(res.code, "invalid_json") == 0,
                 "a body our parser refuses got %u %s", res.status, res.code);
    bool names_present = strcmp(res.code, "unknown_field") == 0 ||
                         strcmp(res.code, "read_only_field") == 0 ||
                         strcmp(res.code, "invalid_field") == 0;
    /* A path cut short to fit the error's field buffer cannot be looked up. */
    bool whole = strlen(res.field) + 1 < sizeof(((struct cp_error *)0)->field);
    /* A member named "" is named by an empty path, which the envelope cannot tell from no
     * field: it then leaves "field" out, and only the message names it (as ''). */
    bool empty_name = cJSON_GetObjectItemCaseSensitive(sent, "") != NULL;
    if (sent != NULL && names_present && whole)
        FZ_CHECK((res.field[0] != '\0' || empty_name) && resolve(sent, res.field) != NULL,
                 "%s names field '%s', which is not in the body: %s", res.code, res.field,
                 res.body);
    if (sent != NULL && strcmp(res.code, "missing_field") == 0 && whole) {
        const cJSON *v = resolve(sent, res.field);
        FZ_CHECK(res.field[0] != '\0' && (v == NULL || cJSON_IsNull(v)),
                 "missing_field names '%s', which was sent: %s", res.field, res.body);
    }
    cJSON_Delete(sent);
    fz_result_free(&res);
    free(target);
    free(body);
    return 0;
}
