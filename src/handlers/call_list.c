/*
 * The call list endpoints of both faces: strict query parsing (every parameter validated,
 * unknown ones refused) and the paged reply.
 */
#include "handlers/call_list.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

struct names {
    const char *campaign, *state, *direction, *date_from, *date_to, *page, *page_size, *phone,
        *outcome;
};

static const struct names camel_names = {"campaignId", "state",  "direction",
                                         "dateFrom",   "dateTo", "page",
                                         "pageSize",   "phone",  "outcome"};
static const struct names snake_names = {"campaign_id", "state",   "direction",
                                         "date_from",   "date_to", "page",
                                         "page_size",   "phone",   "outcome"};

static bool
parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (*s == '\0' || strlen(s) > 18)
        return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno != 0 || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool
bad(struct cp_reply *rep, const char *name, const char *what)
{
    cp_reply_err(rep, CP_ERR_BAD_QUERY, name, "Query parameter '%s' must be %s.", name, what);
    return false;
}

bool
cp_call_list_query(struct cp_req *req, struct cp_reply *rep, enum cp_list_style style,
                   struct cp_call_filter *f, int64_t *out_page, int64_t *out_page_size)
{
    const struct names *n = style == CP_LIST_CAMEL ? &camel_names : &snake_names;
    const char *const known[] = {n->campaign, n->state,     n->direction, n->date_from, n->date_to,
                                 n->page,     n->page_size, n->phone,     n->outcome,   NULL};
    if (!cp_req_query_only(req, rep, known))
        return false;
    memset(f, 0, sizeof(*f));
    const char *v;
    if ((v = cp_req_query(req, n->campaign)) != NULL) {
        if (*v == '\0' || strlen(v) > 128)
            return bad(rep, n->campaign, "1 to 128 characters");
        f->campaign_id = v;
    }
    if ((v = cp_req_query(req, n->state)) != NULL) {
        bool ok = style == CP_LIST_CAMEL ? cp_state_parse(v, &f->state)
                                         : cp_state_parse_snake(v, &f->state);
        if (!ok)
            return bad(rep, n->state,
                       style == CP_LIST_CAMEL
                           ? "one of NotStarted, InProgress, Completed, Busy, NoAnswer, "
                             "Voicemail, Failed"
                           : "one of not_started, in_progress, completed, busy, no_answer, "
                             "voicemail, failed");
        f->has_state = true;
    }
    if ((v = cp_req_query(req, n->direction)) != NULL) {
        const char *in = style == CP_LIST_CAMEL ? "Inbound" : "inbound";
        const char *out = style == CP_LIST_CAMEL ? "Outbound" : "outbound";
        if (strcmp(v, in) == 0)
            f->direction = CP_DIR_INBOUND;
        else if (strcmp(v, out) == 0)
            f->direction = CP_DIR_OUTBOUND;
        else
            return bad(rep, n->direction,
                       style == CP_LIST_CAMEL ? "Inbound or Outbound" : "inbound or outbound");
    }
    if ((v = cp_req_query(req, n->date_from)) != NULL && !cp_time_parse_iso(v, &f->date_from_ms))
        return bad(rep, n->date_from, "an ISO 8601 date-time such as 2024-01-15T10:30:00Z");
    if ((v = cp_req_query(req, n->date_to)) != NULL && !cp_time_parse_iso(v, &f->date_to_ms))
        return bad(rep, n->date_to, "an ISO 8601 date-time such as 2024-01-15T10:30:00Z");
    if (f->date_from_ms != 0 && f->date_to_ms != 0 && f->date_to_ms < f->date_from_ms)
        return bad(rep, n->date_to, "at or after the start of the range");
    if ((v = cp_req_query(req, n->phone)) != NULL) {
        if (cp_check_phone(v) != NULL)
            return bad(rep, n->phone,
                       "an E.164 phone number such as +15551234567 (encode '+' as %2B)");
        f->phone = v;
    }
    if ((v = cp_req_query(req, n->outcome)) != NULL && !cp_outcome_parse_any(v, &f->outcome))
        return bad(rep, n->outcome,
                   "one of completed, no_answer, busy, voicemail, failed (or Successful, "
                   "NoAnswer, Busy, Voicemail, Failed)");
    int64_t page = 1, size = CP_PAGE_SIZE_DEFAULT;
    if ((v = cp_req_query(req, n->page)) != NULL && !parse_int(v, 1, CP_PAGE_MAX, &page))
        return bad(rep, n->page, "an integer from 1 to 1000000");
    if ((v = cp_req_query(req, n->page_size)) != NULL && !parse_int(v, 1, CP_PAGE_SIZE_MAX, &size))
        return bad(rep, n->page_size, "an integer from 1 to 500");
    f->limit = size;
    f->offset = (page - 1) * size;
    *out_page = page;
    *out_page_size = size;
    return true;
}

struct list_ctx {
    struct cp_call_filter filter;
    int64_t page, page_size;
    enum cp_list_style style;
    cp_call_writer_fn write_item;
};

static enum cp_qs
list_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct list_ctx *l = t->cls;
    struct cp_call *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    enum cp_qs qs = c->ops->call_list(c, t->req->auth.tenant_id, &l->filter, &t->req->arena, &items,
                                      &n, &total);
    if (qs < 0)
        return qs;
    bool camel = l->style == CP_LIST_CAMEL;
    cp_reply_json(t->rep, 200);
    /* Room for the page at once (items are ~0.5-2 KB) rather than a dozen doublings. */
    cp_buf_reserve(&t->rep->body, 256 + n * 2048);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_key(&w, "items");
    cp_jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        l->write_item(&w, &items[i]);
    cp_jw_arr_end(&w);
    cp_jw_kint(&w, "page", l->page);
    cp_jw_kint(&w, camel ? "pageSize" : "page_size", l->page_size);
    cp_jw_kint(&w, camel ? "totalCount" : "total_count", total);
    cp_jw_kint(&w, camel ? "totalPages" : "total_pages", (total + l->page_size - 1) / l->page_size);
    cp_jw_obj_end(&w);
    return CP_QS_ONE;
}

void
cp_call_list_reply(struct cp_req *req, struct cp_reply *rep, enum cp_list_style style,
                   cp_call_writer_fn write_item, enum cp_call_fields fields)
{
    struct list_ctx l = {.style = style, .write_item = write_item};
    if (!cp_call_list_query(req, rep, style, &l.filter, &l.page, &l.page_size))
        return;
    l.filter.fields = fields;
    cp_req_transact(req, rep, false, list_txn, &l);
}
