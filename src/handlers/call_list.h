/*
 * Query parameters of the call list endpoints, shared by the contact-center face (camelCase:
 * campaignId, state=Completed, direction=Outbound, dateFrom, dateTo, page, pageSize, phone,
 * outcome) and the Ovia face (snake_case: campaign_id, state=completed, direction=outbound,
 * date_from, date_to, page, page_size, phone, outcome).
 */
#ifndef CP_HANDLERS_CALL_LIST_H
#define CP_HANDLERS_CALL_LIST_H

#include "domain/call.h"
#include "http/request.h"
#include "json/write.h"

#define CP_PAGE_SIZE_DEFAULT 50
#define CP_PAGE_SIZE_MAX 500
#define CP_PAGE_MAX 1000000

enum cp_list_style { CP_LIST_CAMEL, CP_LIST_SNAKE };

/* Parse and validate the query into *f (limit/offset set from page/pageSize) and *out_page,
 * *out_page_size. Any unknown parameter or bad value -> false with a 400 bad_query naming the
 * parameter in rep. */
bool cp_call_list_query(struct cp_req *req, struct cp_reply *rep, enum cp_list_style style,
                        struct cp_call_filter *f, int64_t *out_page, int64_t *out_page_size);

/* Run the list query in a read transaction and reply with
 * {"items":[...], "page", "pageSize"|"page_size", "totalCount"|"total_count",
 *  "totalPages"|"total_pages"}, each item written by write_item from the fields it reads
 * (fields: at least those write_item shows). */
typedef void (*cp_call_writer_fn)(struct cp_jw *w, const struct cp_call *c);
void cp_call_list_reply(struct cp_req *req, struct cp_reply *rep, enum cp_list_style style,
                        cp_call_writer_fn write_item, enum cp_call_fields fields);

#endif
