/*
 * Helpers shared by the consent endpoints (consents.c, capture.c, revoke.c, precall.c).
 */
#ifndef CP_HANDLERS_CONSENT_H
#define CP_HANDLERS_CONSENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/error.h"
#include "http/request.h"

/* Validate a consent scope array (1-4 distinct of ai_voice, ai_sms, telemarketing,
 * transactional): *out_csv for the store, *out_json (owned by the caller) for the record. */
bool cp_consent_parse_scope(const cJSON *arr, const char *field, struct cp_arena *a,
                            const char **out_csv, cJSON **out_json, struct cp_error *err);
/* Normalise a phone field to E.164 (arena copy); false + 400 invalid_field naming field. */
bool cp_consent_phone(const char *given, const char *field, struct cp_arena *a, const char **out,
                      struct cp_error *err);
/* The required, only query parameter `phone` of the by-phone lists, normalised; NULL with a
 * 400 in rep otherwise. */
const char *cp_consent_query_phone(struct cp_req *req, struct cp_reply *rep);

#endif
