/*
 * Consent phrase classifier: the rules below are part of callproof's evidence. A verdict is
 * stored in a signed consent record together with its rule id, the matched phrase and the
 * version string, so these rules are deterministic, versioned (CLASSIFIER_VERSION; bump it on
 * ANY change to a table or a rule) and written for a reader who has to defend a record.
 *
 * 1. Input. The language tag's primary subtag picks the table: "en" or "es" (case-insensitive,
 *    followed by nothing, '-' or '_'); anything else is UNCLEAR "language.unsupported". Text
 *    over CP_CONSENT_MAX_INPUT_BYTES (4096) bytes is UNCLEAR "input.too_long", never a prefix.
 *
 * 2. Normalization. ASCII letters are lower-cased; the Spanish letters á é í ó ú ü ñ (either
 *    case) become a e i o u u n, and a word remembers whether it had an acute accent (á é í ó
 *    ú), which some rules need ("sí" is "yes", "si" may be "if"). Apostrophes (' ’ ‘ ʼ) between
 *    letters are dropped ("don't" = "dont"). Any other letter (à, ç, ö, Cyrillic, ...) or an
 *    invalid UTF-8 byte stays inside its word as a character no rule contains, so "noël" is
 *    never "no". Everything else separates words. Punctuation is kept as word boundaries with
 *    a meaning: , : ¡ – — end a clause; . ! ; … end a sentence; ? ends a sentence and makes it
 *    a question; ¿ makes its sentence a question. Hyphens, quotes and brackets are spaces.
 *
 * 3. Matching. Phrases match whole words only ("yesterday" is not "yes", "nothing" is not
 *    "no", "snow" is not "no"), never across punctuation ("No. Problem is..." is not "no
 *    problem"). Scanning goes left to right; at each word the longest phrase that matches
 *    there wins (ties: the first in the table) and its words are consumed. That is how
 *    multi-word patterns beat single words: "no sé", "I don't know", "not sure" are hedges, "no
 *    problem", "no worries", "not a problem", "why not", "I don't mind", "no hay problema" are
 *    affirmative idioms, "of course not", "claro que no" are refusals, "I don't agree" is a
 *    refusal with its own id. Some phrases carry a guard:
 *      - "sí" is "yes" when written with the accent, or when it is the last word of its clause
 *        (end of text or punctuation after it), or when followed by an affirmative that
 *        confirms it (claro, acepto, por supuesto, de acuerdo, vale, ok, perfecto, adelante,
 *        estoy de acuerdo, autorizo, ...) or by "si", señor, señora, señorita, gracias.
 *        Otherwise an unaccented "si" is the conjunction "if": a conditional answer, which
 *        is a hedge ("es.hedge.si_condicional"): "si me llaman mañana..." is UNCLEAR.
 *      - "para" alone means "stop!" only when its clause ends right after it ("¡Para!");
 *        otherwise it is "for" ("para mí está bien") and means nothing.
 *      - "why not", "cómo no", "por qué no" are affirmative only when their clause ends after
 *        them ("sure, why not?"); "why not call me later" is a question, not an idiom.
 *      - "no sé", "no lo sé", "yo no sé" need the accent on "sé" or their clause to end there;
 *        "no se preocupe" is not "I don't know". "no se si" is always a hedge.
 *      - Spanish question words qué, cómo, dónde, cuándo, por qué, para qué need their accent
 *        (unaccented "que", "como" are conjunctions); "quién" does not.
 *    Question words and question phrases ("what", "who", "is this", "are you", "do you",
 *    "can you", "quién", "qué", ...) count only at the start of a clause (start of text or
 *    after punctuation), and then make their sentence a question.
 *
 * 4. Decision, in this order:
 *    a. No words at all (empty, blanks, punctuation only): UNCLEAR "input.empty".
 *    b. Any negative phrase anywhere: NEGATIVE, decided by the first one. Negative always wins:
 *       "yes, but don't call me", "yes... actually no", "sure, but not on weekends", "I do not
 *       consent", "not yes", "no, no problem" are all negative. A partial or conditional
 *       refusal is not consent, and erring towards "no consent" is the safe side.
 *    c. Any hedge ("maybe", "I guess", "I don't know", "not sure", "later", "if", "wait",
 *       "I'm good", "quizás", "tal vez", "no sé", "más tarde", "si" as "if", ...): UNCLEAR,
 *       decided by the first hedge, even if affirmatives appear too ("yes, call me later").
 *    d. Questions. A sentence is a question if it ends with '?', contains '¿', or has a
 *       clause-initial question word; a '?' or '¿' directly around a rhetorical idiom ("why
 *       not?", "¿por qué no?", "¿cómo no?") does not count. A '?' or '¿' with no word in its
 *       sentence makes the whole text a question. If there is any question, the answer is
 *       UNCLEAR (rule: the first question word, else "<lang>.q.mark" with "?" or "¿") unless
 *       a STRONG affirmative appears in a sentence that is not a question. Strong affirmatives
 *       are explicit first-person statements of consent ("I agree", "I consent", "I accept",
 *       "you have my permission", "you can call me", "acepto", "estoy de acuerdo", "doy mi
 *       consentimiento", "puede llamarme", ...); everything else ("yes", "ok", "sure", "sí",
 *       "claro") is weak. So "ok?", "yes, but who is this?", "yes I agree, who is this?" are
 *       UNCLEAR and "Yes, I agree. Who is this?" is AFFIRMATIVE.
 *    e. Any affirmative phrase: AFFIRMATIVE, decided by the first strong affirmative in a
 *       non-question sentence if there is one, else by the first affirmative.
 *    f. Nothing matched: UNCLEAR "<lang>.none".
 *
 * The tables are per language and deliberately small: English and Spanish; "ok", "okay" and
 * "stop" are also in the Spanish table because Spanish speakers use them. Bounded work: at
 * most 2049 words, each tried against every phrase of its table; no allocation (about 21 KB of
 * stack), no mutable globals.
 */
#include "domain/consent_classifier.h"

#include <stdint.h>
#include <string.h>

#include "core/util.h"

#define CLASSIFIER_VERSION "phrases-2026-11-v1"

/* Every word takes at least one byte plus one separator byte, except possibly the last. */
#define MAX_TOKENS (CP_CONSENT_MAX_INPUT_BYTES / 2 + 1)
/* Longest word of any phrase in the tables (normalized); longer pattern words never match. */
#define MAX_PATTERN_WORD 32

enum kind { K_AFFIRM, K_NEG, K_HEDGE, K_QUESTION };

enum {
    F_STRONG = 1,      /* explicit consent: overrides a question elsewhere in the text */
    F_RHETORICAL = 2,  /* "why not": the '?' / '¿' right around it is not a question */
    F_CONFIRMS_SI = 4, /* may follow an unaccented "si" and make it "sí" */
};

enum guard {
    G_NONE,
    G_ACCENT,        /* word guard_word carries an acute accent */
    G_END,           /* the phrase ends its clause (end of text or punctuation next) */
    G_ACCENT_OR_END, /* G_ACCENT or G_END */
    G_SI,            /* G_ACCENT, G_END, or followed by a word confirming "sí" */
};

struct rule {
    const char *phrase; /* UTF-8 words separated by spaces, normalized when compared */
    const char *id;
    uint8_t kind, flags, guard, guard_word;
};

#define R(k, f, g, w, p, i)                                                                        \
    {                                                                                              \
        (p), (i), (k), (f), (g), (w)                                                               \
    }
#define NEG(p, i) R(K_NEG, 0, G_NONE, 0, p, i)
#define AFF(p, i) R(K_AFFIRM, 0, G_NONE, 0, p, i)
#define AFF_C(p, i) R(K_AFFIRM, F_CONFIRMS_SI, G_NONE, 0, p, i)
#define STRONG(p, i) R(K_AFFIRM, F_STRONG, G_NONE, 0, p, i)
#define STRONG_C(p, i) R(K_AFFIRM, F_STRONG | F_CONFIRMS_SI, G_NONE, 0, p, i)
#define IDIOM_END(p, i) R(K_AFFIRM, F_RHETORICAL, G_END, 0, p, i)
#define HEDGE(p, i) R(K_HEDGE, 0, G_NONE, 0, p, i)
#define QUESTION(p, i) R(K_QUESTION, 0, G_NONE, 0, p, i)
#define QUESTION_ACCENT(p, w, i) R(K_QUESTION, 0, G_ACCENT, w, p, i)

static const struct rule en_rules[] = {
    /* Refusals. */
    NEG("no", "en.neg.no"),
    NEG("nope", "en.neg.no"),
    NEG("nah", "en.neg.no"),
    NEG("negative", "en.neg.no"),
    NEG("no way", "en.neg.no_way"),
    NEG("no thanks", "en.neg.no_thanks"),
    NEG("no thank you", "en.neg.no_thanks"),
    NEG("not", "en.neg.not"),
    NEG("isn't", "en.neg.not"),
    NEG("aren't", "en.neg.not"),
    NEG("doesn't", "en.neg.not"),
    NEG("didn't", "en.neg.not"),
    NEG("wouldn't", "en.neg.not"),
    NEG("shouldn't", "en.neg.not"),
    NEG("haven't", "en.neg.not"),
    NEG("never", "en.neg.never"),
    NEG("don't", "en.neg.dont"),
    NEG("do not", "en.neg.dont"),
    NEG("can't", "en.neg.cannot"),
    NEG("cannot", "en.neg.cannot"),
    NEG("can not", "en.neg.cannot"),
    NEG("won't", "en.neg.wont"),
    NEG("will not", "en.neg.wont"),
    NEG("don't call", "en.neg.dont_call"),
    NEG("don't call me", "en.neg.dont_call"),
    NEG("don't call me again", "en.neg.dont_call"),
    NEG("do not call", "en.neg.dont_call"),
    NEG("do not call me", "en.neg.dont_call"),
    NEG("don't text me", "en.neg.dont_call"),
    NEG("do not text me", "en.neg.dont_call"),
    NEG("don't contact me", "en.neg.dont_call"),
    NEG("do not contact me", "en.neg.dont_call"),
    NEG("never call me", "en.neg.dont_call"),
    NEG("never call me again", "en.neg.dont_call"),
    NEG("stop", "en.neg.stop"),
    NEG("stop calling", "en.neg.stop"),
    NEG("stop calling me", "en.neg.stop"),
    NEG("stop texting me", "en.neg.stop"),
    NEG("not interested", "en.neg.not_interested"),
    NEG("i'm not interested", "en.neg.not_interested"),
    NEG("i am not interested", "en.neg.not_interested"),
    NEG("remove me", "en.neg.remove_me"),
    NEG("remove my number", "en.neg.remove_me"),
    NEG("take me off", "en.neg.take_me_off"),
    NEG("take my number off", "en.neg.take_me_off"),
    NEG("unsubscribe", "en.neg.opt_out"),
    NEG("opt out", "en.neg.opt_out"),
    NEG("leave me alone", "en.neg.leave_me_alone"),
    NEG("refuse", "en.neg.refuse"),
    NEG("i refuse", "en.neg.refuse"),
    NEG("decline", "en.neg.refuse"),
    NEG("i decline", "en.neg.refuse"),
    NEG("don't agree", "en.neg.dont_agree"),
    NEG("i don't agree", "en.neg.dont_agree"),
    NEG("i do not agree", "en.neg.dont_agree"),
    NEG("disagree", "en.neg.dont_agree"),
    NEG("i disagree", "en.neg.dont_agree"),
    NEG("don't consent", "en.neg.dont_consent"),
    NEG("i don't consent", "en.neg.dont_consent"),
    NEG("i do not consent", "en.neg.dont_consent"),
    NEG("i don't accept", "en.neg.dont_accept"),
    NEG("i do not accept", "en.neg.dont_accept"),
    NEG("of course not", "en.neg.emphatic_not"),
    NEG("absolutely not", "en.neg.emphatic_not"),
    NEG("definitely not", "en.neg.emphatic_not"),
    NEG("certainly not", "en.neg.emphatic_not"),
    NEG("don't you dare", "en.neg.dont_you_dare"),
    NEG("how dare you", "en.neg.dont_you_dare"),

    /* Affirmatives (weak: a question elsewhere makes the answer unclear). */
    AFF("yes", "en.affirm.yes"),
    AFF("yeah", "en.affirm.yes"),
    AFF("yep", "en.affirm.yes"),
    AFF("yup", "en.affirm.yes"),
    AFF("yea", "en.affirm.yes"),
    AFF("yes please", "en.affirm.yes"),
    AFF("sure", "en.affirm.sure"),
    AFF("sure thing", "en.affirm.sure"),
    AFF("for sure", "en.affirm.sure"),
    AFF("ok", "en.affirm.ok"),
    AFF("okay", "en.affirm.ok"),
    AFF("okey", "en.affirm.ok"),
    AFF("alright", "en.affirm.ok"),
    AFF("all right", "en.affirm.ok"),
    AFF("of course", "en.affirm.of_course"),
    AFF("certainly", "en.affirm.of_course"),
    AFF("absolutely", "en.affirm.of_course"),
    AFF("definitely", "en.affirm.of_course"),
    AFF("correct", "en.affirm.correct"),
    AFF("that's correct", "en.affirm.correct"),
    AFF("that's right", "en.affirm.correct"),
    AFF("fine", "en.affirm.fine"),
    AFF("that's fine", "en.affirm.fine"),
    AFF("that is fine", "en.affirm.fine"),
    AFF("fine with me", "en.affirm.fine"),
    AFF("sounds good", "en.affirm.fine"),
    AFF("that works", "en.affirm.fine"),
    AFF("works for me", "en.affirm.fine"),
    AFF("i'm fine with that", "en.affirm.fine"),
    AFF("i'm ok with that", "en.affirm.fine"),
    AFF("i'm okay with that", "en.affirm.fine"),
    AFF("i'm good with that", "en.affirm.fine"),
    AFF("go ahead", "en.affirm.go_ahead"),
    AFF("please go ahead", "en.affirm.go_ahead"),
    AFF("please do", "en.affirm.go_ahead"),
    AFF("you may", "en.affirm.you_may"),
    AFF("you can", "en.affirm.you_may"),
    AFF("i do", "en.affirm.i_do"),
    /* Idioms that contain a negation but say yes. */
    AFF("no problem", "en.affirm.no_problem"),
    AFF("no problem at all", "en.affirm.no_problem"),
    AFF("not a problem", "en.affirm.no_problem"),
    AFF("no worries", "en.affirm.no_problem"),
    IDIOM_END("why not", "en.affirm.why_not"),
    R(K_AFFIRM, F_RHETORICAL, G_NONE, 0, "don't see why not", "en.affirm.why_not"),
    R(K_AFFIRM, F_RHETORICAL, G_NONE, 0, "i don't see why not", "en.affirm.why_not"),
    AFF("don't mind", "en.affirm.dont_mind"),
    AFF("i don't mind", "en.affirm.dont_mind"),
    AFF("i do not mind", "en.affirm.dont_mind"),
    AFF("no objection", "en.affirm.no_objection"),
    AFF("no objections", "en.affirm.no_objection"),
    AFF("i have no objection", "en.affirm.no_objection"),

    /* Strong affirmatives: explicit first-person consent. */
    STRONG("i agree", "en.affirm.i_agree"),
    STRONG("i do agree", "en.affirm.i_agree"),
    STRONG("agreed", "en.affirm.i_agree"),
    STRONG("i consent", "en.affirm.i_consent"),
    STRONG("i do consent", "en.affirm.i_consent"),
    STRONG("i give consent", "en.affirm.i_consent"),
    STRONG("i give my consent", "en.affirm.i_consent"),
    STRONG("i give you my consent", "en.affirm.i_consent"),
    STRONG("you have my consent", "en.affirm.i_consent"),
    STRONG("i accept", "en.affirm.i_accept"),
    STRONG("you have my permission", "en.affirm.permission"),
    STRONG("i give permission", "en.affirm.permission"),
    STRONG("i give my permission", "en.affirm.permission"),
    STRONG("i give you permission", "en.affirm.permission"),
    STRONG("you can call me", "en.affirm.you_can_call"),
    STRONG("you may call me", "en.affirm.you_can_call"),
    STRONG("you can text me", "en.affirm.you_can_call"),
    STRONG("you may text me", "en.affirm.you_can_call"),
    STRONG("you can contact me", "en.affirm.you_can_call"),
    STRONG("you may contact me", "en.affirm.you_can_call"),
    STRONG("feel free to call me", "en.affirm.you_can_call"),

    /* Hedges. */
    HEDGE("maybe", "en.hedge.maybe"),
    HEDGE("perhaps", "en.hedge.maybe"),
    HEDGE("possibly", "en.hedge.maybe"),
    HEDGE("probably", "en.hedge.maybe"),
    HEDGE("i guess", "en.hedge.i_guess"),
    HEDGE("i guess so", "en.hedge.i_guess"),
    HEDGE("guess so", "en.hedge.i_guess"),
    HEDGE("i suppose", "en.hedge.i_guess"),
    HEDGE("i suppose so", "en.hedge.i_guess"),
    HEDGE("i think so", "en.hedge.i_guess"),
    HEDGE("don't know", "en.hedge.dont_know"),
    HEDGE("i don't know", "en.hedge.dont_know"),
    HEDGE("i do not know", "en.hedge.dont_know"),
    HEDGE("dunno", "en.hedge.dont_know"),
    HEDGE("i dunno", "en.hedge.dont_know"),
    HEDGE("who knows", "en.hedge.dont_know"),
    HEDGE("not sure", "en.hedge.not_sure"),
    HEDGE("not really sure", "en.hedge.not_sure"),
    HEDGE("i'm not sure", "en.hedge.not_sure"),
    HEDGE("i am not sure", "en.hedge.not_sure"),
    HEDGE("unsure", "en.hedge.not_sure"),
    HEDGE("later", "en.hedge.later"),
    HEDGE("call me later", "en.hedge.later"),
    HEDGE("call me back later", "en.hedge.later"),
    HEDGE("another time", "en.hedge.later"),
    HEDGE("some other time", "en.hedge.later"),
    HEDGE("let me think", "en.hedge.think"),
    HEDGE("let me think about it", "en.hedge.think"),
    HEDGE("i need to think", "en.hedge.think"),
    HEDGE("i'll think about it", "en.hedge.think"),
    HEDGE("think about it", "en.hedge.think"),
    /* "I'm good" / "I'm fine" are as often a polite "no thanks" as a yes. */
    HEDGE("i'm good", "en.hedge.im_good"),
    HEDGE("i'm fine", "en.hedge.im_good"),
    HEDGE("wait", "en.hedge.wait"),
    HEDGE("hold on", "en.hedge.wait"),
    HEDGE("hang on", "en.hedge.wait"),
    HEDGE("one moment", "en.hedge.wait"),
    HEDGE("one second", "en.hedge.wait"),
    HEDGE("just a moment", "en.hedge.wait"),
    HEDGE("just a second", "en.hedge.wait"),
    HEDGE("depends", "en.hedge.depends"),
    HEDGE("it depends", "en.hedge.depends"),
    HEDGE("whatever", "en.hedge.whatever"),
    /* Consent with a condition is not unconditional consent. */
    HEDGE("if", "en.hedge.conditional"),
    HEDGE("only if", "en.hedge.conditional"),
    HEDGE("as long as", "en.hedge.conditional"),

    /* Question words and phrases (clause-initial only). */
    QUESTION("what", "en.q.what"),
    QUESTION("what's", "en.q.what"),
    QUESTION("who", "en.q.who"),
    QUESTION("who's", "en.q.who"),
    QUESTION("whom", "en.q.who"),
    QUESTION("why", "en.q.why"),
    QUESTION("how", "en.q.how"),
    QUESTION("where", "en.q.where"),
    QUESTION("when", "en.q.when"),
    QUESTION("which", "en.q.which"),
    QUESTION("is this", "en.q.is_this"),
    QUESTION("is it", "en.q.is_this"),
    QUESTION("is that", "en.q.is_this"),
    QUESTION("is there", "en.q.is_this"),
    QUESTION("are you", "en.q.are_you"),
    QUESTION("are they", "en.q.are_you"),
    QUESTION("are these", "en.q.are_you"),
    QUESTION("do you", "en.q.do_you"),
    QUESTION("does", "en.q.do_you"),
    QUESTION("did you", "en.q.do_you"),
    QUESTION("can you", "en.q.can_you"),
    QUESTION("could you", "en.q.can_you"),
    QUESTION("will you", "en.q.can_you"),
    QUESTION("would you", "en.q.can_you"),
    QUESTION("can i", "en.q.can_you"),
};

static const struct rule es_rules[] = {
    /* Refusals. */
    NEG("no", "es.neg.no"),
    NEG("tampoco", "es.neg.no"),
    NEG("nunca", "es.neg.nunca"),
    NEG("jamás", "es.neg.nunca"),
    NEG("no quiero", "es.neg.no_quiero"),
    NEG("no lo quiero", "es.neg.no_quiero"),
    NEG("no me llame", "es.neg.no_me_llame"),
    NEG("no me llamen", "es.neg.no_me_llame"),
    NEG("no me llames", "es.neg.no_me_llame"),
    NEG("no llame", "es.neg.no_me_llame"),
    NEG("no llamen", "es.neg.no_me_llame"),
    NEG("no me vuelva a llamar", "es.neg.no_me_llame"),
    NEG("no me vuelvan a llamar", "es.neg.no_me_llame"),
    NEG("no me vuelvas a llamar", "es.neg.no_me_llame"),
    NEG("no me contacte", "es.neg.no_me_llame"),
    NEG("no me contacten", "es.neg.no_me_llame"),
    NEG("no me escriba", "es.neg.no_me_llame"),
    NEG("no me escriban", "es.neg.no_me_llame"),
    NEG("no me interesa", "es.neg.no_interesado"),
    NEG("no estoy interesado", "es.neg.no_interesado"),
    NEG("no estoy interesada", "es.neg.no_interesado"),
    NEG("no acepto", "es.neg.no_acepto"),
    NEG("no lo acepto", "es.neg.no_acepto"),
    NEG("no estoy de acuerdo", "es.neg.no_acepto"),
    NEG("no doy mi consentimiento", "es.neg.no_acepto"),
    NEG("no doy permiso", "es.neg.no_acepto"),
    NEG("no autorizo", "es.neg.no_acepto"),
    NEG("no gracias", "es.neg.no_gracias"),
    R(K_NEG, 0, G_END, 0, "para", "es.neg.para"),
    NEG("para ya", "es.neg.para"),
    NEG("para de llamar", "es.neg.para"),
    NEG("pare", "es.neg.para"),
    NEG("pare de llamar", "es.neg.para"),
    NEG("paren", "es.neg.para"),
    NEG("paren de llamar", "es.neg.para"),
    NEG("basta", "es.neg.basta"),
    NEG("ya basta", "es.neg.basta"),
    NEG("deje de llamar", "es.neg.deje_de_llamar"),
    NEG("deje de llamarme", "es.neg.deje_de_llamar"),
    NEG("deja de llamar", "es.neg.deje_de_llamar"),
    NEG("deja de llamarme", "es.neg.deje_de_llamar"),
    NEG("dejen de llamar", "es.neg.deje_de_llamar"),
    NEG("dejen de llamarme", "es.neg.deje_de_llamar"),
    NEG("quíteme", "es.neg.quiteme"),
    NEG("quítenme", "es.neg.quiteme"),
    NEG("quítame", "es.neg.quiteme"),
    NEG("sáqueme", "es.neg.quiteme"),
    NEG("sáquenme", "es.neg.quiteme"),
    NEG("sácame", "es.neg.quiteme"),
    NEG("bórreme", "es.neg.quiteme"),
    NEG("bórrenme", "es.neg.quiteme"),
    NEG("bórrame", "es.neg.quiteme"),
    NEG("quíteme de la lista", "es.neg.quiteme"),
    NEG("quítenme de la lista", "es.neg.quiteme"),
    NEG("sáqueme de la lista", "es.neg.quiteme"),
    NEG("bórreme de la lista", "es.neg.quiteme"),
    NEG("dar de baja", "es.neg.baja"),
    NEG("darme de baja", "es.neg.baja"),
    NEG("me doy de baja", "es.neg.baja"),
    NEG("de ninguna manera", "es.neg.de_ninguna_manera"),
    NEG("ni hablar", "es.neg.de_ninguna_manera"),
    NEG("para nada", "es.neg.de_ninguna_manera"),
    NEG("en absoluto", "es.neg.de_ninguna_manera"),
    NEG("ni loco", "es.neg.de_ninguna_manera"),
    NEG("ni loca", "es.neg.de_ninguna_manera"),
    NEG("claro que no", "es.neg.claro_que_no"),
    NEG("por supuesto que no", "es.neg.claro_que_no"),
    NEG("desde luego que no", "es.neg.claro_que_no"),
    NEG("stop", "es.neg.stop"),

    /* Affirmatives. "sí" first: when its guard fails, the hedge "si" below matches instead. */
    R(K_AFFIRM, 0, G_SI, 0, "sí", "es.affirm.si"),
    AFF_C("claro", "es.affirm.claro"),
    AFF_C("claro que sí", "es.affirm.claro"),
    AFF_C("por supuesto", "es.affirm.por_supuesto"),
    AFF_C("por supuesto que sí", "es.affirm.por_supuesto"),
    AFF_C("desde luego", "es.affirm.por_supuesto"),
    IDIOM_END("cómo no", "es.affirm.como_no"),
    IDIOM_END("por qué no", "es.affirm.por_que_no"),
    AFF_C("de acuerdo", "es.affirm.de_acuerdo"),
    /* "si está bien" reads as "if it is fine": "está bien" does not confirm an unaccented si. */
    AFF("está bien", "es.affirm.esta_bien"),
    AFF_C("muy bien", "es.affirm.esta_bien"),
    AFF_C("vale", "es.affirm.vale"),
    AFF_C("ok", "es.affirm.ok"),
    AFF_C("okey", "es.affirm.ok"),
    AFF_C("okay", "es.affirm.ok"),
    AFF_C("perfecto", "es.affirm.correcto"),
    AFF_C("correcto", "es.affirm.correcto"),
    AFF_C("exacto", "es.affirm.correcto"),
    AFF_C("afirmativo", "es.affirm.correcto"),
    AFF_C("con gusto", "es.affirm.con_gusto"),
    AFF_C("con mucho gusto", "es.affirm.con_gusto"),
    AFF_C("adelante", "es.affirm.adelante"),
    AFF("no hay problema", "es.affirm.no_problema"),
    AFF("no hay ningún problema", "es.affirm.no_problema"),
    AFF("ningún problema", "es.affirm.no_problema"),
    AFF("no problema", "es.affirm.no_problema"),
    AFF("sin problema", "es.affirm.no_problema"),
    AFF("sin problemas", "es.affirm.no_problema"),
    AFF("no tengo problema", "es.affirm.no_problema"),
    AFF("no tengo ningún problema", "es.affirm.no_problema"),
    AFF("no me molesta", "es.affirm.no_problema"),
    /* Strong. First-person statements confirm an unaccented "si" before them; "si puede
     * llamarme" stays "if you can call me". */
    STRONG_C("acepto", "es.affirm.acepto"),
    STRONG_C("lo acepto", "es.affirm.acepto"),
    STRONG_C("yo acepto", "es.affirm.acepto"),
    STRONG_C("estoy de acuerdo", "es.affirm.estoy_de_acuerdo"),
    STRONG_C("doy mi consentimiento", "es.affirm.consentimiento"),
    STRONG_C("le doy mi consentimiento", "es.affirm.consentimiento"),
    STRONG_C("doy mi permiso", "es.affirm.consentimiento"),
    STRONG_C("le doy permiso", "es.affirm.consentimiento"),
    STRONG_C("le doy mi permiso", "es.affirm.consentimiento"),
    STRONG_C("tiene mi permiso", "es.affirm.consentimiento"),
    STRONG_C("tiene mi consentimiento", "es.affirm.consentimiento"),
    STRONG_C("autorizo", "es.affirm.consentimiento"),
    STRONG_C("consiento", "es.affirm.consentimiento"),
    STRONG("puede llamarme", "es.affirm.puede_llamarme"),
    STRONG("pueden llamarme", "es.affirm.puede_llamarme"),
    STRONG("me puede llamar", "es.affirm.puede_llamarme"),
    STRONG("me pueden llamar", "es.affirm.puede_llamarme"),
    STRONG("puede contactarme", "es.affirm.puede_llamarme"),
    STRONG("pueden contactarme", "es.affirm.puede_llamarme"),
    STRONG("puede escribirme", "es.affirm.puede_llamarme"),

    /* Hedges. */
    HEDGE("si", "es.hedge.si_condicional"),
    HEDGE("solo si", "es.hedge.si_condicional"),
    HEDGE("siempre que", "es.hedge.si_condicional"),
    HEDGE("siempre y cuando", "es.hedge.si_condicional"),
    HEDGE("con tal de que", "es.hedge.si_condicional"),
    HEDGE("quizás", "es.hedge.quizas"),
    HEDGE("quizá", "es.hedge.quizas"),
    HEDGE("tal vez", "es.hedge.quizas"),
    HEDGE("a lo mejor", "es.hedge.quizas"),
    HEDGE("puede ser", "es.hedge.quizas"),
    HEDGE("posiblemente", "es.hedge.quizas"),
    HEDGE("probablemente", "es.hedge.quizas"),
    R(K_HEDGE, 0, G_ACCENT_OR_END, 1, "no sé", "es.hedge.no_se"),
    R(K_HEDGE, 0, G_ACCENT_OR_END, 2, "no lo sé", "es.hedge.no_se"),
    R(K_HEDGE, 0, G_ACCENT_OR_END, 2, "yo no sé", "es.hedge.no_se"),
    HEDGE("no se si", "es.hedge.no_se"),
    HEDGE("quién sabe", "es.hedge.no_se"),
    HEDGE("no estoy seguro", "es.hedge.no_estoy_seguro"),
    HEDGE("no estoy segura", "es.hedge.no_estoy_seguro"),
    HEDGE("supongo", "es.hedge.supongo"),
    HEDGE("supongo que sí", "es.hedge.supongo"),
    HEDGE("creo que sí", "es.hedge.supongo"),
    HEDGE("más tarde", "es.hedge.mas_tarde"),
    HEDGE("luego", "es.hedge.mas_tarde"),
    HEDGE("después", "es.hedge.mas_tarde"),
    HEDGE("otro día", "es.hedge.mas_tarde"),
    HEDGE("en otro momento", "es.hedge.mas_tarde"),
    HEDGE("llámeme más tarde", "es.hedge.mas_tarde"),
    HEDGE("llámeme después", "es.hedge.mas_tarde"),
    HEDGE("lo pensaré", "es.hedge.pensarlo"),
    HEDGE("lo voy a pensar", "es.hedge.pensarlo"),
    HEDGE("déjeme pensarlo", "es.hedge.pensarlo"),
    HEDGE("déjame pensarlo", "es.hedge.pensarlo"),
    HEDGE("tengo que pensarlo", "es.hedge.pensarlo"),
    HEDGE("espere", "es.hedge.espere"),
    HEDGE("espera", "es.hedge.espere"),
    HEDGE("un momento", "es.hedge.espere"),
    HEDGE("un segundo", "es.hedge.espere"),
    HEDGE("depende", "es.hedge.depende"),
    HEDGE("lo que sea", "es.hedge.lo_que_sea"),

    /* Question words (clause-initial; most need their accent). */
    QUESTION_ACCENT("qué", 0, "es.q.que"),
    QUESTION("quién", "es.q.quien"),
    QUESTION("quiénes", "es.q.quien"),
    QUESTION_ACCENT("por qué", 1, "es.q.por_que"),
    QUESTION_ACCENT("para qué", 1, "es.q.para_que"),
    QUESTION_ACCENT("cómo", 0, "es.q.como"),
    QUESTION_ACCENT("dónde", 0, "es.q.donde"),
    QUESTION_ACCENT("de dónde", 1, "es.q.donde"),
    QUESTION_ACCENT("cuándo", 0, "es.q.cuando"),
    QUESTION_ACCENT("cuál", 0, "es.q.cual"),
};

/* Words after an unaccented "si" that make it "sí" besides the F_CONFIRMS_SI phrases. */
static const char *const es_si_followers[] = {"si", "señor", "señora", "señorita", "gracias"};

struct lang {
    const char *tag;
    const struct rule *rules;
    size_t n_rules;
    const char *none_id, *q_mark_id;
    const char *const *si_followers;
    size_t n_si_followers;
};

static const struct lang langs[] = {
    {"en", en_rules, CP_ARRAY_LEN(en_rules), "en.none", "en.q.mark", NULL, 0},
    {"es", es_rules, CP_ARRAY_LEN(es_rules), "es.none", "es.q.mark", es_si_followers,
     CP_ARRAY_LEN(es_si_followers)},
};

/* ---- Normalization ---------------------------------------------------------------------- */

enum unit_class { U_LETTER, U_OPAQUE, U_APOS, U_SPACE, U_CLAUSE, U_STOP, U_QMARK, U_INVQ };

/* A character no phrase contains: stands for letters we do not normalize and invalid bytes. */
#define OPAQUE_CHAR '\x01'

struct unit {
    uint8_t cls;
    char ch;     /* normalized letter for U_LETTER / U_OPAQUE */
    bool accent; /* the letter had an acute accent */
    uint8_t n;   /* bytes consumed, >= 1 */
};

static bool
is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

static struct unit
decode_ascii(unsigned char c)
{
    struct unit u = {U_SPACE, 0, false, 1};
    if (c >= 'A' && c <= 'Z') {
        u.cls = U_LETTER;
        u.ch = (char)(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        u.cls = U_LETTER;
        u.ch = (char)c;
    } else if (c == '\'') {
        u.cls = U_APOS;
    } else if (c == ',' || c == ':') {
        u.cls = U_CLAUSE;
    } else if (c == '.' || c == '!' || c == ';') {
        u.cls = U_STOP;
    } else if (c == '?') {
        u.cls = U_QMARK;
    }
    return u;
}

/* U+00C0..U+00FF (second byte of C3 xx): the Spanish letters, anything else is opaque. */
static struct unit
decode_latin1(unsigned char b)
{
    struct unit u = {U_LETTER, 0, true, 2};
    switch (b | 0x20) { /* C3 81 Á and C3 A1 á differ by 0x20, like ASCII case */
    case 0xA1:
        u.ch = 'a';
        break;
    case 0xA9:
        u.ch = 'e';
        break;
    case 0xAD:
        u.ch = 'i';
        break;
    case 0xB3:
        u.ch = 'o';
        break;
    case 0xBA:
        u.ch = 'u';
        break;
    case 0xBC: /* ü */
        u.ch = 'u';
        u.accent = false;
        break;
    case 0xB1: /* ñ */
        u.ch = 'n';
        u.accent = false;
        break;
    default:
        u.cls = U_OPAQUE;
        u.ch = OPAQUE_CHAR;
        u.accent = false;
    }
    return u;
}

/* One character of s (n >= 1 bytes available), classified. */
static struct unit
decode(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return decode_ascii(c);
    struct unit u = {U_OPAQUE, OPAQUE_CHAR, false, 1};
    if (c >= 0xC2 && c <= 0xDF && n >= 2 && is_cont(s[1])) {
        u.n = 2;
        if (c == 0xC3)
            return decode_latin1(s[1]);
        if (c == 0xC2) { /* U+0080..U+00BF: controls, symbols, no letters */
            u.cls = s[1] == 0xBF ? U_INVQ : s[1] == 0xA1 ? U_CLAUSE : U_SPACE;
        } else if (c == 0xCA && s[1] == 0xBC) { /* U+02BC modifier letter apostrophe */
            u.cls = U_APOS;
        }
        return u;
    }
    if (c >= 0xE0 && c <= 0xEF && n >= 3 && is_cont(s[1]) && is_cont(s[2])) {
        u.n = 3;
        if (c == 0xE2 && s[1] == 0x80) { /* U+2000..U+203F general punctuation */
            switch (s[2]) {
            case 0x98: /* ‘ */
            case 0x99: /* ’ */
                u.cls = U_APOS;
                break;
            case 0x93: /* – */
            case 0x94: /* — */
                u.cls = U_CLAUSE;
                break;
            case 0xA6: /* … */
                u.cls = U_STOP;
                break;
            default:
                u.cls = U_SPACE;
            }
        } else if (c == 0xE2 && s[1] == 0x81) {
            u.cls = U_SPACE;
        }
        return u;
    }
    if (c >= 0xF0 && c <= 0xF4 && n >= 4 && is_cont(s[1]) && is_cont(s[2]) && is_cont(s[3]))
        u.n = 4;
    return u; /* another script's character, or an invalid byte: part of a word, never matched */
}

enum { SEP_PUNCT = 1, SEP_STOP = 2, SEP_QMARK = 4, SEP_INVQ = 8 };

static unsigned
sep_bits(uint8_t cls)
{
    switch (cls) {
    case U_CLAUSE:
        return SEP_PUNCT;
    case U_STOP:
        return SEP_PUNCT | SEP_STOP;
    case U_QMARK:
        return SEP_PUNCT | SEP_STOP | SEP_QMARK;
    case U_INVQ:
        return SEP_PUNCT | SEP_INVQ;
    default:
        return 0;
    }
}

struct scanner {
    const unsigned char *s;
    size_t n, pos;
};

static bool
is_word_unit(const struct unit *u)
{
    return u->cls == U_LETTER || u->cls == U_OPAQUE;
}

/*
 * Skip separators (their SEP_* bits go to *out_sep), then copy the next word's normalized
 * characters into out (at most cap; *out_len is the true length). An apostrophe joins only
 * when a letter follows it. Returns false if the text ended before another word.
 */
static bool
scan_word(struct scanner *sc, char *out, size_t cap, size_t *out_len, unsigned *out_sep,
          bool *out_accent)
{
    unsigned sep = 0;
    while (sc->pos < sc->n) {
        struct unit u = decode(sc->s + sc->pos, sc->n - sc->pos);
        if (is_word_unit(&u))
            break;
        sep |= sep_bits(u.cls);
        sc->pos += u.n;
    }
    *out_sep = sep;
    if (sc->pos >= sc->n)
        return false;
    size_t len = 0;
    bool accent = false;
    while (sc->pos < sc->n) {
        struct unit u = decode(sc->s + sc->pos, sc->n - sc->pos);
        if (u.cls == U_APOS) {
            size_t next = sc->pos + u.n;
            if (next < sc->n) {
                struct unit v = decode(sc->s + next, sc->n - next);
                if (is_word_unit(&v)) {
                    sc->pos = next;
                    continue;
                }
            }
            break;
        }
        if (!is_word_unit(&u))
            break;
        if (len < cap)
            out[len] = u.ch;
        len++;
        accent = accent || u.accent;
        sc->pos += u.n;
    }
    *out_len = len;
    *out_accent = accent;
    return true;
}

/* ---- Tokens ------------------------------------------------------------------------------- */

enum {
    T_ACCENT = 1,       /* the word had an acute accent */
    T_PUNCT_AFTER = 2,  /* punctuation between this word and the next (or the end) */
    T_QMARK_AFTER = 4,  /* a '?' right after this word */
    T_INVQ_BEFORE = 8,  /* a '¿' right before this word */
    T_CLAUSE_START = 16 /* first word, or punctuation before it */
};

struct tok {
    uint16_t off, len, sent;
    uint8_t flags;
};

struct text {
    char buf[CP_CONSENT_MAX_INPUT_BYTES];
    struct tok tok[MAX_TOKENS];
    size_t n_tok;
    bool orphan_q;  /* a '?' or '¿' with no word of its sentence to attach to */
    char orphan_ch; /* which one: '?' or 0 for '¿' */
};

/* Normalized characters never outnumber input bytes, so buf cannot overflow; words need a
 * separator each, so tok cannot either (the checks below are belt and braces). */
static void
tokenize(struct text *t, const char *s, size_t n)
{
    struct scanner sc = {(const unsigned char *)s, n, 0};
    size_t used = 0;
    uint16_t sent = 0;
    t->n_tok = 0;
    t->orphan_q = false;
    t->orphan_ch = 0;
    for (;;) {
        size_t len;
        unsigned sep;
        bool accent;
        bool found = scan_word(&sc, t->buf + used, sizeof(t->buf) - used, &len, &sep, &accent);
        if (t->n_tok > 0) {
            struct tok *prev = &t->tok[t->n_tok - 1];
            if (sep & SEP_PUNCT)
                prev->flags |= T_PUNCT_AFTER;
            if (sep & SEP_QMARK)
                prev->flags |= T_QMARK_AFTER;
            if (sep & SEP_STOP)
                sent++;
        } else if (sep & SEP_QMARK) {
            t->orphan_q = true;
            t->orphan_ch = '?';
        }
        if (!found) {
            if ((sep & SEP_INVQ) && !t->orphan_q)
                t->orphan_q = true;
            break;
        }
        if (len > sizeof(t->buf) - used || t->n_tok == MAX_TOKENS)
            break;
        struct tok *k = &t->tok[t->n_tok++];
        k->off = (uint16_t)used;
        k->len = (uint16_t)len;
        k->sent = sent;
        k->flags = (uint8_t)((accent ? T_ACCENT : 0) |
                             (t->n_tok == 1 || (sep & SEP_PUNCT) ? T_CLAUSE_START : 0) |
                             (sep & SEP_INVQ ? T_INVQ_BEFORE : 0));
        used += len;
    }
}

static bool
tok_is(const struct text *t, size_t i, const char *word)
{
    struct scanner sc = {(const unsigned char *)word, strlen(word), 0};
    char w[MAX_PATTERN_WORD];
    size_t len;
    unsigned sep;
    bool accent;
    if (!scan_word(&sc, w, sizeof(w), &len, &sep, &accent) || len > sizeof(w))
        return false;
    return len == t->tok[i].len && memcmp(w, t->buf + t->tok[i].off, len) == 0;
}

/* ---- Matching ----------------------------------------------------------------------------- */

/* Number of words of r matched at word i (all before end, no punctuation inside), or 0. */
static size_t
match_words(const struct rule *r, const struct text *t, size_t i, size_t end)
{
    struct scanner sc = {(const unsigned char *)r->phrase, strlen(r->phrase), 0};
    char w[MAX_PATTERN_WORD];
    size_t len, k = 0;
    unsigned sep;
    bool accent;
    while (scan_word(&sc, w, sizeof(w), &len, &sep, &accent)) {
        size_t j = i + k;
        if (j >= end || (k > 0 && (t->tok[j - 1].flags & T_PUNCT_AFTER)))
            return 0;
        if (len > sizeof(w) || len != t->tok[j].len || memcmp(w, t->buf + t->tok[j].off, len))
            return 0;
        k++;
    }
    return k;
}

static const struct rule *best_match(const struct lang *lg, const struct text *t, size_t i,
                                     size_t end, bool only_si_confirmers, size_t *out_k);

static bool
ends_clause(const struct text *t, size_t last)
{
    return last + 1 == t->n_tok || (t->tok[last].flags & T_PUNCT_AFTER);
}

static bool
guard_ok(const struct lang *lg, const struct rule *r, const struct text *t, size_t i, size_t k,
         size_t end)
{
    bool accent = (t->tok[i + r->guard_word].flags & T_ACCENT) != 0;
    size_t last = i + k - 1;
    switch (r->guard) {
    case G_ACCENT:
        return accent;
    case G_END:
        return ends_clause(t, last);
    case G_ACCENT_OR_END:
        return accent || ends_clause(t, last);
    case G_SI: {
        if (accent || ends_clause(t, last))
            return true;
        for (size_t f = 0; f < lg->n_si_followers; f++)
            if (tok_is(t, last + 1, lg->si_followers[f]))
                return true;
        size_t k2;
        return best_match(lg, t, last + 1, end, true, &k2) != NULL;
    }
    default:
        return true;
    }
}

/*
 * The longest rule of lg matching at word i (ties: table order), or NULL. With
 * only_si_confirmers, only unguarded F_CONFIRMS_SI rules are tried (no recursion).
 */
static const struct rule *
best_match(const struct lang *lg, const struct text *t, size_t i, size_t end,
           bool only_si_confirmers, size_t *out_k)
{
    const struct rule *best = NULL;
    size_t best_k = 0;
    for (size_t r = 0; r < lg->n_rules; r++) {
        const struct rule *rule = &lg->rules[r];
        if (only_si_confirmers && (!(rule->flags & F_CONFIRMS_SI) || rule->guard != G_NONE))
            continue;
        size_t k = match_words(rule, t, i, end);
        if (k <= best_k)
            continue;
        if (rule->kind == K_QUESTION && !(t->tok[i].flags & T_CLAUSE_START))
            continue;
        if (!guard_ok(lg, rule, t, i, k, end))
            continue;
        best = rule;
        best_k = k;
    }
    *out_k = best_k;
    return best;
}

/* ---- Decision ----------------------------------------------------------------------------- */

struct tally {
    const struct rule *first_neg, *first_hedge, *first_aff, *unquestioned_strong;
    const char *q_rule, *q_matched;
    int aff_hits, neg_hits;
};

/* Match the words of one sentence [a, b) and fold the result into *ty. */
static void
scan_sentence(const struct lang *lg, struct text *t, size_t a, size_t b, struct tally *ty)
{
    const struct rule *q_word = NULL, *strong = NULL;
    size_t i = a;
    while (i < b) {
        size_t k;
        const struct rule *m = best_match(lg, t, i, b, false, &k);
        if (m == NULL) {
            i++;
            continue;
        }
        switch (m->kind) {
        case K_NEG:
            ty->neg_hits++;
            if (ty->first_neg == NULL)
                ty->first_neg = m;
            break;
        case K_HEDGE:
            if (ty->first_hedge == NULL)
                ty->first_hedge = m;
            break;
        case K_QUESTION:
            if (q_word == NULL)
                q_word = m;
            break;
        case K_AFFIRM:
            ty->aff_hits++;
            if (ty->first_aff == NULL)
                ty->first_aff = m;
            if ((m->flags & F_STRONG) && strong == NULL)
                strong = m;
            if (m->flags & F_RHETORICAL) { /* "why not?" asks nothing */
                t->tok[i].flags &= (uint8_t)~T_INVQ_BEFORE;
                t->tok[i + k - 1].flags &= (uint8_t)~T_QMARK_AFTER;
            }
            break;
        }
        i += k;
    }
    bool qmark = (t->tok[b - 1].flags & T_QMARK_AFTER) != 0, invq = false;
    for (size_t j = a; j < b; j++)
        invq = invq || (t->tok[j].flags & T_INVQ_BEFORE);
    if (q_word == NULL && !qmark && !invq) {
        if (strong != NULL && ty->unquestioned_strong == NULL)
            ty->unquestioned_strong = strong;
        return;
    }
    if (ty->q_rule == NULL) {
        ty->q_rule = q_word != NULL ? q_word->id : lg->q_mark_id;
        ty->q_matched = q_word != NULL ? q_word->phrase : qmark ? "?" : "¿";
    }
}

static void
decide(struct cp_consent_classification *out, enum cp_consent_verdict v, const struct rule *r)
{
    out->verdict = v;
    out->rule = r->id;
    out->matched = r->phrase;
}

static const struct lang *
lang_find(const char *tag)
{
    if (tag == NULL || tag[0] == '\0' || tag[1] == '\0')
        return NULL;
    if (tag[2] != '\0' && tag[2] != '-' && tag[2] != '_')
        return NULL;
    char a = (char)(tag[0] | 0x20), b = (char)(tag[1] | 0x20);
    for (size_t i = 0; i < CP_ARRAY_LEN(langs); i++)
        if (langs[i].tag[0] == a && langs[i].tag[1] == b)
            return &langs[i];
    return NULL;
}

void
cp_consent_classify(const char *text, const char *language, struct cp_consent_classification *out)
{
    if (out == NULL)
        return;
    *out = (struct cp_consent_classification){
        CP_CONSENT_UNCLEAR, "language.unsupported", NULL, NULL, 0, 0};
    const struct lang *lg = lang_find(language);
    if (lg == NULL)
        return;
    out->language = lg->tag;
    size_t n = text != NULL ? strnlen(text, CP_CONSENT_MAX_INPUT_BYTES + 1) : 0;
    if (n > CP_CONSENT_MAX_INPUT_BYTES) {
        out->rule = "input.too_long";
        return;
    }
    struct text t;
    tokenize(&t, text != NULL ? text : "", n);
    if (t.n_tok == 0) {
        out->rule = "input.empty";
        return;
    }

    struct tally ty = {0};
    for (size_t a = 0; a < t.n_tok;) {
        size_t b = a + 1;
        while (b < t.n_tok && t.tok[b].sent == t.tok[a].sent)
            b++;
        scan_sentence(lg, &t, a, b, &ty);
        a = b;
    }
    if (t.orphan_q && ty.q_rule == NULL) {
        ty.q_rule = lg->q_mark_id;
        ty.q_matched = t.orphan_ch == '?' ? "?" : "¿";
    }
    out->affirmative_hits = ty.aff_hits;
    out->negative_hits = ty.neg_hits;

    if (ty.first_neg != NULL) {
        decide(out, CP_CONSENT_NEGATIVE, ty.first_neg);
    } else if (ty.first_hedge != NULL) {
        decide(out, CP_CONSENT_UNCLEAR, ty.first_hedge);
    } else if (ty.unquestioned_strong != NULL) {
        decide(out, CP_CONSENT_AFFIRMATIVE, ty.unquestioned_strong);
    } else if (ty.q_rule != NULL) {
        out->rule = ty.q_rule;
        out->matched = ty.q_matched;
    } else if (ty.first_aff != NULL) {
        decide(out, CP_CONSENT_AFFIRMATIVE, ty.first_aff);
    } else {
        out->rule = lg->none_id;
    }
}

const char *
cp_consent_verdict_name(enum cp_consent_verdict v)
{
    switch (v) {
    case CP_CONSENT_AFFIRMATIVE:
        return "affirmative";
    case CP_CONSENT_NEGATIVE:
        return "negative";
    default:
        return "unclear";
    }
}

const char *
cp_consent_classifier_version(void)
{
    return CLASSIFIER_VERSION;
}

bool
cp_consent_rule_at(size_t i, const char **out_language, const char **out_rule,
                   const char **out_phrase)
{
    for (size_t l = 0; l < CP_ARRAY_LEN(langs); l++) {
        if (i < langs[l].n_rules) {
            if (out_language != NULL)
                *out_language = langs[l].tag;
            if (out_rule != NULL)
                *out_rule = langs[l].rules[i].id;
            if (out_phrase != NULL)
                *out_phrase = langs[l].rules[i].phrase;
            return true;
        }
        i -= langs[l].n_rules;
    }
    return false;
}
