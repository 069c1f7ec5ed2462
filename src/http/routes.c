/*
 * THE route table: every endpoint callproof serves, with its method, path pattern, required
 * scope, body limit and whether it takes JSON. Nothing is routed that is not listed here, and
 * the authorization tests walk this table, so a new endpoint without a scope decision cannot
 * slip in unnoticed.
 *
 * body_limit: 0 = the configured max_body_bytes; -1 = no body allowed.
 */
#include "handlers/handlers.h"
#include "http/route.h"

#define R(m, pat, scope, limit, json, fn)                                                          \
    {                                                                                              \
        CP_M_##m, pat, scope, limit, json, fn, NULL                                                \
    }
/* A route whose body streams to callbacks instead of being buffered (limit max_audio_bytes). */
#define RS(m, pat, scope, ops)                                                                     \
    {                                                                                              \
        CP_M_##m, pat, scope, 0, false, NULL, &(ops)                                               \
    }

const struct cp_route cp_routes[] = {
    R(GET, "/v1/health", CP_SCOPE_PUBLIC, -1, false, cp_h_health_get),

    /* Ovia face (seed 004) */
    R(POST, "/api/v1/calls", CP_SCOPE_VOICE_WRITE, 0, true, cp_h_calls_create),
    R(GET, "/api/v1/calls", CP_SCOPE_VOICE_READ, -1, false, cp_h_calls_list),
    R(GET, "/api/v1/calls/{id}", CP_SCOPE_VOICE_READ, -1, false, cp_h_calls_get),
    R(PATCH, "/api/v1/calls/{id}", CP_SCOPE_VOICE_WRITE, 0, true, cp_h_calls_update),
    R(DELETE, "/api/v1/calls/{id}", CP_SCOPE_VOICE_WRITE, -1, false, cp_h_calls_delete),

    /* Vocode face (seed 001) */
    R(POST, "/v1/calls/end", CP_SCOPE_VOICE_WRITE, -1, false, cp_h_calls_end),

    /* Contact-center face (seed 002) */
    R(GET, "/api/v1/voice-calls", CP_SCOPE_VOICE_READ, -1, false, cp_h_voice_calls_list),
    R(GET, "/api/v1/voice-calls/{id}", CP_SCOPE_VOICE_READ, -1, false, cp_h_voice_calls_get),
    R(GET, "/api/v1/voice-calls/{id}/epa-results", CP_SCOPE_VOICE_READ, -1, false,
      cp_h_voice_calls_epa_get),
    R(PUT, "/api/v1/voice-calls/{id}/epa-results", CP_SCOPE_VOICE_WRITE, 0, true,
      cp_h_voice_calls_epa_put),

    /* Recording logs (seed 003, base URL /v1) */
    R(POST, "/v1/calls/{call_id}/recording-log", CP_SCOPE_VOICE_WRITE, 0, true,
      cp_h_recording_log_put),
    R(GET, "/v1/calls/{call_id}/recording-log", CP_SCOPE_VOICE_READ, -1, false,
      cp_h_recording_log_list),

    /* Recording audio and signed download links (seed 002's recording flow) */
    RS(PUT, "/v1/calls/{call_id}/recordings/{recording_id}/audio", CP_SCOPE_VOICE_WRITE,
       cp_h_audio_upload),
    R(GET, "/api/v1/voice-calls/{id}/recording-url", CP_SCOPE_AUDIO_DOWNLOAD, -1, false,
      cp_h_recording_url),
    /* The link is the credential: no Authorization (signature checked in the handler). */
    R(GET, "/v1/recordings/{tenant}/{call_id}/{recording_id}", CP_SCOPE_PUBLIC, -1, false,
      cp_h_recording_download),

    /* Consent, opt-outs and precall decisions (econsent voice API) */
    R(POST, "/v1/consents", CP_SCOPE_CONSENT_WRITE, 0, true, cp_h_consents_create),
    R(GET, "/v1/consents", CP_SCOPE_VOICE_READ, -1, false, cp_h_consents_list),
    R(GET, "/v1/consents/{id}", CP_SCOPE_VOICE_READ, -1, false, cp_h_consents_get),
    R(POST, "/v1/capture-verbal", CP_SCOPE_CONSENT_WRITE, 0, true, cp_h_capture_verbal),
    R(POST, "/v1/revoke", CP_SCOPE_CONSENT_WRITE, 0, true, cp_h_revoke),
    R(GET, "/v1/revocations", CP_SCOPE_VOICE_READ, -1, false, cp_h_revocations_list),
    R(POST, "/v1/precall", CP_SCOPE_CONSENT_WRITE, 0, true, cp_h_precall),

    /* Evidence (seed 000) */
    R(POST, "/v1/post-call", CP_SCOPE_EVIDENCE_WRITE, 0, true, cp_h_post_call),
    R(GET, "/v1/evidence/{id}", CP_SCOPE_VOICE_READ, -1, false, cp_h_evidence_get),
    R(GET, "/v1/evidence/{id}/export", CP_SCOPE_VOICE_READ, -1, false, cp_h_evidence_export),
    R(DELETE, "/v1/evidence/{id}", CP_SCOPE_EVIDENCE_WRITE, -1, false, cp_h_evidence_delete),
    /* The evidence URL: the 128-bit id is the capability, no Authorization. */
    R(GET, "/e/{id}", CP_SCOPE_PUBLIC, -1, false, cp_h_evidence_public),
    /* The transparency log and the keys are public: they hold only hashes and public keys. */
    R(GET, "/v1/log/checkpoint", CP_SCOPE_PUBLIC, -1, false, cp_h_log_checkpoint),
    R(GET, "/v1/log/proof/inclusion", CP_SCOPE_PUBLIC, -1, false, cp_h_log_inclusion),
    R(GET, "/v1/log/proof/consistency", CP_SCOPE_PUBLIC, -1, false, cp_h_log_consistency),
    R(GET, "/v1/keys", CP_SCOPE_PUBLIC, -1, false, cp_h_keys),
};

const size_t cp_n_routes = sizeof(cp_routes) / sizeof(cp_routes[0]);
