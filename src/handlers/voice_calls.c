/*
 * The contact-center face (seed 002), camelCase:
 *   GET /api/v1/voice-calls                    list with filters and pages
 *   GET /api/v1/voice-calls/{id}               one call with its transcript turns
 *   GET /api/v1/voice-calls/{id}/epa-results   the post-call survey (EPA) results
 *   PUT /api/v1/voice-calls/{id}/epa-results   record them (scope voice:write)
 */
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "handlers/call_json.h"
#include "handlers/call_list.h"
#include "handlers/handlers.h"
#include "json/spec.h"
#include "json/write.h"

void
cp_h_voice_calls_list(struct cp_req *req, struct cp_reply *rep)
{
    cp_call_list_reply(req, rep, CP_LIST_CAMEL, cp_call_write_cc, CP_CALL_FIELDS_CC);
}

static enum cp_qs
get_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_call_write_cc(&w, &call);
    return CP_QS_ONE;
}

void
cp_h_voice_calls_get(struct cp_req *req, struct cp_reply *rep)
{
    cp_req_transact(req, rep, false, get_txn, NULL);
}

static enum cp_qs
epa_get_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    if (call.epa_json == NULL) {
        cp_reply_err(t->rep, CP_ERR_NOT_FOUND, NULL, "No survey results for call %s.",
                     t->req->params[0]);
        return CP_QS_NONE;
    }
    cp_reply_json(t->rep, 200);
    cp_buf_puts(&t->rep->body, call.epa_json);
    return CP_QS_ONE;
}

void
cp_h_voice_calls_epa_get(struct cp_req *req, struct cp_reply *rep)
{
    cp_req_transact(req, rep, false, epa_get_txn, NULL);
}

static const char *const epa_states[] = {"Completed", "Partial", "NotStarted", NULL};
static const char *const epa_reasons[] = {"AllAnswered", "HangUp", "Timeout",
                                          "Declined",    "Error",  NULL};

#define EPA_MAX_QUESTIONS 1000
#define EPA_TEXT_MAX 2000

/* Validate an EPA results body and serialize it (our writer, fixed key order) into out. */
static enum cp_err
epa_parse(const cJSON *body, struct cp_buf *out, struct cp_error *err)
{
    const char *state = NULL, *reason = NULL;
    int64_t total = 0, answered = 0;
    double score = 0;
    bool has_score = false, score_null = false;
    const cJSON *responses = NULL;
    struct cp_jspec spec[] = {
        CP_JSPEC_ENUM("state", &state, CP_JF_REQUIRED, epa_states),
        CP_JSPEC_ENUM("completionReason", &reason, CP_JF_NULLABLE, epa_reasons),
        CP_JSPEC_INT("totalQuestions", &total, CP_JF_REQUIRED, 0, EPA_MAX_QUESTIONS),
        CP_JSPEC_INT("questionsAnswered", &answered, CP_JF_REQUIRED, 0, EPA_MAX_QUESTIONS),
        {.name = "calculatedScore",
         .type = CP_JT_NUMBER,
         .flags = CP_JF_NULLABLE,
         .dmin = -1e9,
         .dmax = 1e9,
         .out = &score,
         .present = &has_score,
         .is_null = &score_null},
        CP_JSPEC_ARRAY("responses", &responses, CP_JF_NULLABLE, EPA_MAX_QUESTIONS),
        CP_JSPEC_END,
    };
    if (cp_jspec_parse(body, spec, "", err) != CP_OK)
        return err->code;
    if (answered > total)
        return cp_error_set(err, CP_ERR_INVALID_FIELD, "questionsAnswered",
                            "Field 'questionsAnswered' (%lld) must not exceed 'totalQuestions' "
                            "(%lld).",
                            (long long)answered, (long long)total);
    struct cp_jw w;
    cp_jw_init(&w, out);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "state", state);
    cp_jw_kstr(&w, "completionReason", reason);
    cp_jw_kint(&w, "totalQuestions", total);
    cp_jw_kint(&w, "questionsAnswered", answered);
    cp_jw_key(&w, "calculatedScore");
    if (has_score && !score_null)
        cp_jw_double(&w, score);
    else
        cp_jw_null(&w);
    cp_jw_key(&w, "responses");
    cp_jw_arr_begin(&w);
    int i = 0;
    for (const cJSON *r = responses ? responses->child : NULL; r != NULL; r = r->next, i++) {
        char path[48];
        snprintf(path, sizeof(path), "responses[%d]", i);
        if (!cJSON_IsObject(r))
            return cp_error_set(err, CP_ERR_INVALID_FIELD, path, "Field '%s' must be an object.",
                                path);
        const char *q = NULL, *a = NULL;
        double s = 0;
        bool has_s = false, s_null = false;
        struct cp_jspec rspec[] = {
            CP_JSPEC_STRING("question", &q, CP_JF_REQUIRED, 1, EPA_TEXT_MAX),
            CP_JSPEC_STRING("answer", &a, CP_JF_NULLABLE, 0, EPA_TEXT_MAX),
            {.name = "score",
             .type = CP_JT_NUMBER,
             .flags = CP_JF_NULLABLE,
             .dmin = -1e9,
             .dmax = 1e9,
             .out = &s,
             .present = &has_s,
             .is_null = &s_null},
            CP_JSPEC_END,
        };
        if (cp_jspec_parse(r, rspec, path, err) != CP_OK)
            return err->code;
        cp_jw_obj_begin(&w);
        cp_jw_kstr(&w, "question", q);
        cp_jw_kstr(&w, "answer", a);
        cp_jw_key(&w, "score");
        if (has_s && !s_null)
            cp_jw_double(&w, s);
        else
            cp_jw_null(&w);
        cp_jw_obj_end(&w);
    }
    cp_jw_arr_end(&w);
    cp_jw_obj_end(&w);
    return CP_OK;
}

static enum cp_qs
epa_put_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    const char *epa = t->cls;
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    call.epa_json = epa;
    call.updated_ms = cp_time_now_ms();
    qs = c->ops->call_update(c, &call);
    if (qs <= 0)
        return qs == CP_QS_NONE ? CP_QS_HARD : qs;
    cp_reply_json(t->rep, 200);
    cp_buf_puts(&t->rep->body, epa);
    return CP_QS_ONE;
}

void
cp_h_voice_calls_epa_put(struct cp_req *req, struct cp_reply *rep)
{
    struct cp_buf b = CP_BUF_INIT;
    struct cp_error err;
    if (epa_parse(req->json, &b, &err) != CP_OK) {
        cp_buf_free(&b);
        cp_reply_error(rep, &err);
        return;
    }
    const char *epa = cp_arena_strndup(&req->arena, b.data, b.len);
    cp_buf_free(&b);
    cp_req_transact(req, rep, true, epa_put_txn, (void *)epa);
}
