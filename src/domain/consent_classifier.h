/*
 * What did the consumer say when the AI voice agent asked for consent to be called or texted?
 * FCC 24-17 puts AI voices under the "artificial voice" rules of 47 CFR 64.1200, so the agent
 * needs prior express consent, and a verbal "yes" captured during a call (the capture-verbal
 * flow) is only evidence if the way it was judged can be shown and reproduced later.
 *
 * This classifier is therefore a fixed table of phrases with stable rule ids, not a model: the
 * same text, language and version always give the same verdict, and the verdict, the rule id,
 * the matched phrase and cp_consent_classifier_version() go into the signed consent record. The
 * rules are described at the top of consent_classifier.c; any change to them changes the
 * version string. Pure logic: no I/O, no allocation, no mutable globals (thread-safe).
 */
#ifndef CP_DOMAIN_CONSENT_CLASSIFIER_H
#define CP_DOMAIN_CONSENT_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>

/* Longer answers are not read at all (verdict unclear, rule "input.too_long"): a consent answer
 * is a sentence or two, and classifying only a prefix could miss a "no" at the end. */
#define CP_CONSENT_MAX_INPUT_BYTES 4096

enum cp_consent_verdict { CP_CONSENT_UNCLEAR = 0, CP_CONSENT_AFFIRMATIVE, CP_CONSENT_NEGATIVE };

struct cp_consent_classification {
    enum cp_consent_verdict verdict;
    /* Stable id of the rule that decided: a phrase rule ("en.affirm.yes", "en.neg.dont_call",
     * "es.hedge.no_se", "en.q.who"), "<lang>.q.mark" (a question mark), "<lang>.none" (nothing
     * matched), "input.empty", "input.too_long" or "language.unsupported". Never NULL. */
    const char *rule;
    /* The phrase that decided, as written in the rule table ("don't call me", "sí", "?"), or
     * NULL when no phrase did (none, empty, too long, unsupported). Static storage. */
    const char *matched;
    /* "en" or "es" (static), or NULL if the language tag is not supported. */
    const char *language;
    /* How many affirmative and negative phrases were matched in the whole text. */
    int affirmative_hits, negative_hits;
};

/*
 * Classify a consumer's answer. text: UTF-8 transcript of the consumer's words (borrowed; NULL
 * is treated as empty; invalid UTF-8 never matches anything but is not an error). language: a
 * BCP 47 tag; only its primary subtag counts ("en", "en-US", "ES_mx" -> "en"/"es"); NULL or any
 * other language gives UNCLEAR with language NULL. out: filled completely (must not be NULL; a
 * NULL out is ignored). Reads at most CP_CONSENT_MAX_INPUT_BYTES + 1 bytes of text.
 */
void cp_consent_classify(const char *text, const char *language,
                         struct cp_consent_classification *out);

/* "affirmative", "negative" or "unclear" (also for out-of-range values). */
const char *cp_consent_verdict_name(enum cp_consent_verdict v);

/* Version of the phrase tables and rules, e.g. "phrases-2026-11-v1": stored next to every
 * verdict so a record can be re-checked against the rules it was judged by. */
const char *cp_consent_classifier_version(void);

/*
 * The i-th phrase rule (English table first, then Spanish), for documentation and tests.
 * Returns false when i is past the end. out_language ("en"/"es"), out_rule (id) and out_phrase
 * (the phrase as written) point to static strings; any of them may be NULL.
 */
bool cp_consent_rule_at(size_t i, const char **out_language, const char **out_rule,
                        const char **out_phrase);

#endif
