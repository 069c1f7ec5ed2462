/*
 * The evidence bundle of a post-call, written straight as its RFC 8785 bytes (json/canonical.h
 * cp_cw): the call, its disclosures, the consents and revocations the rules read (as they
 * stood), the transcript and recording hashes, and the compliance result with the parameters it
 * ran with, so that the result can be recomputed from the bundle alone (cli/recompute.c reads
 * this shape).
 */
#ifndef CP_HANDLERS_POSTCALL_BUNDLE_H
#define CP_HANDLERS_POSTCALL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "domain/compliance.h"
#include "store/store.h"

/* Everything the bundle states; all borrowed. */
struct cp_seal_view {
    const char *bundle_id, *tenant, *key_id;
    const struct cp_call *call; /* as upserted: its server id and times */
    const char *call_id, *phone, *entity, *calling_number, *outcome, *audio_url, *transcript;
    const char *transcript_sha256; /* hex SHA-256 of transcript (cp_crypto_sha256_hex), taken
                                    * by the handler before the sealing transaction */
    const struct cp_compliance_disclosure *disclosures;
    size_t n_disclosures;
    const struct cp_compliance_consent *used, *captured;
    const struct cp_consent *used_rows, *captured_rows; /* the stored records behind them */
    size_t n_used, n_captured;
    const struct cp_revocation *revs; /* every revocation of the phone, stored order */
    size_t n_revs;
    const struct cp_recording *audio; /* the audio callproof holds, or NULL */
    const struct cp_compliance_params *params;
    const struct cp_compliance_result *result;
    int64_t sealed_ms, retention_ms;
    const char *supersedes; /* or NULL */
};

/* Append the bundle's canonical bytes (RFC 8785) to out. false (*err set) on data that cannot
 * be signed: invalid UTF-8. */
bool cp_postcall_bundle_write(const struct cp_seal_view *v, struct cp_buf *out,
                              struct cp_error *err);

#endif
