/*
 * Recompute a sealed bundle's compliance result from the bundle alone: the call, disclosures,
 * transcript, the consents and revocations as they stood when it was sealed, and the parameters
 * the rules ran with are all inside it, and the rules are pure (domain/compliance.h). Used by
 * `callproof verify` so that a reader need not trust the score the server wrote.
 */
#ifndef CP_CLI_RECOMPUTE_H
#define CP_CLI_RECOMPUTE_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum cp_recompute {
    CP_RECOMPUTE_MATCH,       /* same score, findings (code, points, moment, message) and notes */
    CP_RECOMPUTE_DIFFERS,     /* the sealed result is not what the sealed inputs give */
    CP_RECOMPUTE_OTHER_RULES, /* sealed under another rules_version: not comparable here */
    CP_RECOMPUTE_INCOMPLETE,  /* an input the rules need is missing or malformed */
};

/* Recompute; detail (n bytes) says what matched or the first difference. */
enum cp_recompute cp_cli_recompute(const cJSON *bundle, char *detail, size_t n);

#endif
