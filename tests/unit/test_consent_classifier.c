/*
 * Unit tests for the consent phrase classifier (domain/consent_classifier.c). Its verdicts go
 * into signed consent records, so the table of utterances below is the behaviour we promise:
 * a change that flips any row is a rule change and needs a new classifier version.
 */
#include "unit.h"

#include <stdio.h>

#include "domain/consent_classifier.h"

#define A CP_CONSENT_AFFIRMATIVE
#define N CP_CONSENT_NEGATIVE
#define U CP_CONSENT_UNCLEAR

struct row {
    const char *lang;
    const char *text;
    enum cp_consent_verdict want;
    const char *rule; /* expected deciding rule, or NULL to check the verdict only */
};

static const struct row rows[] = {
    /* Plain answers, English. */
    {"en", "yes", A, "en.affirm.yes"},
    {"en", "Yeah.", A, "en.affirm.yes"},
    {"en", "yep", A, "en.affirm.yes"},
    {"en", "Sure!", A, "en.affirm.sure"},
    {"en", "OK", A, "en.affirm.ok"},
    {"en", "okay, go ahead", A, "en.affirm.ok"},
    {"en", "Of course.", A, "en.affirm.of_course"},
    {"en", "absolutely", A, "en.affirm.of_course"},
    {"en", "That's fine", A, "en.affirm.fine"},
    {"en", "That’s fine with me", A, "en.affirm.fine"}, /* curly apostrophe */
    {"en", "I agree", A, "en.affirm.i_agree"},
    {"en", "Yes, I agree.", A, "en.affirm.i_agree"}, /* the strong phrase decides */
    {"en", "I consent to that", A, "en.affirm.i_consent"},
    {"en", "yes you can call me", A, "en.affirm.you_can_call"},
    {"en", "you may", A, "en.affirm.you_may"},
    {"en", "I do.", A, "en.affirm.i_do"},
    {"en", "correct", A, "en.affirm.correct"},
    {"en", "no", N, "en.neg.no"},
    {"en", "Nope.", N, "en.neg.no"},
    {"en", "NO!", N, "en.neg.no"},
    {"en", "stop", N, "en.neg.stop"},
    {"en", "never", N, "en.neg.never"},
    {"en", "not interested", N, "en.neg.not_interested"},
    {"en", "I'm not interested, thanks", N, "en.neg.not_interested"},
    {"en", "no thanks", N, "en.neg.no_thanks"},
    {"en", "remove me from your list", N, "en.neg.remove_me"},
    {"en", "take me off your list please", N, "en.neg.take_me_off"},
    {"en", "unsubscribe", N, "en.neg.opt_out"},
    {"en", "opt-out", N, "en.neg.opt_out"}, /* hyphen separates words */

    /* Negations and refusals: negative always wins. */
    {"en", "no, don't call me", N, "en.neg.no"},
    {"en", "don't call me", N, "en.neg.dont_call"},
    {"en", "Do not call me again.", N, "en.neg.dont_call"},
    {"en", "yes, but don't call me", N, "en.neg.dont_call"},
    {"en", "yes... actually no", N, "en.neg.no"},
    {"en", "I do not consent", N, "en.neg.dont_consent"},
    {"en", "I don't agree", N, "en.neg.dont_agree"}, /* a negated affirmative, not "I agree" */
    {"en", "not yes", N, "en.neg.not"},
    {"en", "don't you dare", N, "en.neg.dont_you_dare"},
    {"en", "of course not", N, "en.neg.emphatic_not"}, /* longest match beats "of course" */
    {"en", "absolutely not!", N, "en.neg.emphatic_not"},
    {"en", "sure, but not on weekends", N, "en.neg.not"}, /* a restriction is not consent */
    {"en", "you may not", N, "en.neg.not"},
    {"en", "I can't talk right now", N, "en.neg.cannot"},
    {"en", "No. Problem is I'm busy", N, "en.neg.no"}, /* idioms never span punctuation */
    {"en", "no, no problem", N, "en.neg.no"},          /* ambiguous: the first "no" wins */

    /* Questions are not consent. */
    {"en", "who is this?", U, "en.q.who"},
    {"en", "Who is this", U, "en.q.who"}, /* no '?' in the transcript: the question word */
    {"en", "is this a robot?", U, "en.q.is_this"},
    {"en", "yes? what is this about?", U, "en.q.mark"}, /* "yes?" is already a question */
    {"en", "yes, but who is this?", U, "en.q.mark"},    /* "who" is not clause-initial */
    {"en", "ok?", U, "en.q.mark"},
    {"en", "I agree?", U, "en.q.mark"},                 /* a questioned consent is no consent */
    {"en", "yes I agree, who is this?", U, "en.q.who"}, /* same sentence as the question */
    {"en", "Yes, I agree. Who is this?", A, "en.affirm.i_agree"}, /* consent, then a question */
    {"en", "what?", U, "en.q.what"},
    {"en", "? yes", U, "en.q.mark"}, /* a stray '?' makes the whole answer a question */
    {"en", "I know what you mean, yes", A, "en.affirm.yes"}, /* "what" not clause-initial */

    /* Hedges. */
    {"en", "maybe", U, "en.hedge.maybe"},
    {"en", "I guess", U, "en.hedge.i_guess"},
    {"en", "I don't know", U, "en.hedge.dont_know"}, /* not "don't" */
    {"en", "I'm not sure", U, "en.hedge.not_sure"},  /* not "not" */
    {"en", "yes, but call me later", U, "en.hedge.later"},
    {"en", "maybe not", N, "en.neg.not"}, /* a negative decides first */
    {"en", "yes if it's about my order", U, "en.hedge.conditional"},
    {"en", "I'm good", U, "en.hedge.im_good"}, /* polite "no thanks" or a yes */
    {"en", "I'm good with that", A, "en.affirm.fine"},

    /* Idioms. */
    {"en", "no problem", A, "en.affirm.no_problem"},
    {"en", "No worries", A, "en.affirm.no_problem"},
    {"en", "not a problem at all", A, "en.affirm.no_problem"},
    {"en", "sure, why not", A, "en.affirm.sure"},
    {"en", "Sure, why not?", A, "en.affirm.sure"}, /* rhetorical '?' */
    {"en", "why not?", A, "en.affirm.why_not"},
    {"en", "why not call me tomorrow", N, "en.neg.not"}, /* no idiom there: "not" counts */
    {"en", "I don't mind", A, "en.affirm.dont_mind"},

    /* Whole words only. */
    {"en", "yesterday", U, "en.none"},
    {"en", "nothing", U, "en.none"},
    {"en", "I know", U, "en.none"},
    {"en", "snow", U, "en.none"},
    {"en", "okra", U, "en.none"},
    {"en", "surely", U, "en.none"},
    {"en", "noël", U, "en.none"}, /* an unnormalized letter never splits a word */
    {"en", "hello", U, "en.none"},

    /* Spanish. */
    {"es", "sí", A, "es.affirm.si"},
    {"es", "SÍ", A, "es.affirm.si"},
    {"es", "Si.", A, "es.affirm.si"}, /* unaccented but ends its clause */
    {"es", "si", A, "es.affirm.si"},  /* the whole answer */
    {"es", "sí, claro", A, "es.affirm.si"},
    {"es", "si claro", A, "es.affirm.si"}, /* "claro" confirms the unaccented si */
    {"es", "si acepto", A, "es.affirm.acepto"},
    {"es", "Sí, acepto.", A, "es.affirm.acepto"},
    {"es", "si señor", A, "es.affirm.si"},
    {"es", "que sí", A, "es.affirm.si"},
    {"es", "claro que sí", A, "es.affirm.claro"},
    {"es", "¡Claro!", A, "es.affirm.claro"},
    {"es", "por supuesto", A, "es.affirm.por_supuesto"},
    {"es", "de acuerdo", A, "es.affirm.de_acuerdo"},
    {"es", "Está bien", A, "es.affirm.esta_bien"},
    {"es", "esta bien", A, "es.affirm.esta_bien"},
    {"es", "vale", A, "es.affirm.vale"},
    {"es", "Puede llamarme", A, "es.affirm.puede_llamarme"},
    {"es", "estoy de acuerdo", A, "es.affirm.estoy_de_acuerdo"},
    {"es", "no hay problema", A, "es.affirm.no_problema"},
    {"es", "no problema", A, "es.affirm.no_problema"},
    {"es", "¿por qué no?", A, "es.affirm.por_que_no"}, /* rhetorical */
    {"es", "¡Cómo no!", A, "es.affirm.como_no"},
    {"es", "para mí está bien", A, "es.affirm.esta_bien"}, /* "para" = for, not stop */
    {"es", "no", N, "es.neg.no"},
    {"es", "No, no me llame", N, "es.neg.no"},
    {"es", "no me llamen más", N, "es.neg.no_me_llame"},
    {"es", "no quiero", N, "es.neg.no_quiero"},
    {"es", "nunca", N, "es.neg.nunca"},
    {"es", "¡Para!", N, "es.neg.para"},
    {"es", "basta ya", N, "es.neg.basta"},
    {"es", "Quíteme de la lista", N, "es.neg.quiteme"},
    {"es", "quiteme de la lista", N, "es.neg.quiteme"},
    {"es", "no estoy interesada", N, "es.neg.no_interesado"},
    {"es", "No acepto", N, "es.neg.no_acepto"},
    {"es", "claro que no", N, "es.neg.claro_que_no"},
    {"es", "sí, pero no me llame los domingos", N, "es.neg.no_me_llame"},
    {"es", "no se preocupe, puede llamarme", N, "es.neg.no"}, /* ambiguous: "no" decides */
    {"es", "no sé", U, "es.hedge.no_se"},                     /* a hedge, not a refusal */
    {"es", "no se", U, "es.hedge.no_se"},                     /* unaccented, ends the answer */
    {"es", "no se si quiero", U, "es.hedge.no_se"},
    {"es", "quizás", U, "es.hedge.quizas"},
    {"es", "tal vez más tarde", U, "es.hedge.quizas"},
    {"es", "no estoy seguro", U, "es.hedge.no_estoy_seguro"},
    {"es", "si me llaman mañana", U, "es.hedge.si_condicional"}, /* "si" = if */
    {"es", "si puede llamarme", U, "es.hedge.si_condicional"},   /* "if you can call me" */
    {"es", "¿quién habla?", U, "es.q.quien"},
    {"es", "quien habla", U, "es.q.quien"},
    {"es", "¿Qué?", U, "es.q.que"},
    {"es", "¿Es un robot?", U, "es.q.mark"},
    {"es", "sí, ¿quién habla?", U, "es.q.quien"},
    {"es", "¿sí?", U, "es.q.mark"},
    {"es", "Acepto. ¿Qué sigue?", A, "es.affirm.acepto"},
    {"es", "nosotros", U, "es.none"}, /* not "no" */
    {"es", "sin", U, "es.none"},      /* not "sí" */
    {"es", "yes", U, "es.none"},      /* English words are not in the Spanish table */

    /* Language tags. */
    {"en-US", "yes", A, "en.affirm.yes"},
    {"EN_gb", "no", N, "en.neg.no"},
    {"es-MX", "sí", A, "es.affirm.si"},
    {"es-419", "no", N, "es.neg.no"},
    {"fr", "oui", U, "language.unsupported"},
    {"fr", "yes", U, "language.unsupported"},
    {"english", "yes", U, "language.unsupported"},
    {"", "yes", U, "language.unsupported"},
    {NULL, "yes", U, "language.unsupported"},

    /* Empty and odd input. */
    {"en", "", U, "input.empty"},
    {"en", "   \t\n ", U, "input.empty"},
    {"en", "...?!", U, "input.empty"},
    {"es", NULL, U, "input.empty"},
    {"en", "yes\xff", U, "en.none"}, /* invalid UTF-8 stays inside the word */
    {"en", "\xe2\x80\x9cyes\xe2\x80\x9d", A, "en.affirm.yes"}, /* “yes” */
};

static void
test_consent__table(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        struct cp_consent_classification c;
        cp_consent_classify(r->text, r->lang, &c);
        if (c.verdict != r->want || (r->rule != NULL && strcmp(c.rule, r->rule) != 0)) {
            print_error("row %zu [%s] \"%s\": got %s (%s, \"%s\"), want %s (%s)\n", i,
                        r->lang ? r->lang : "NULL", r->text ? r->text : "NULL",
                        cp_consent_verdict_name(c.verdict), c.rule, c.matched ? c.matched : "NULL",
                        cp_consent_verdict_name(r->want), r->rule ? r->rule : "-");
            failures++;
        }
    }
    assert_true(sizeof(rows) / sizeof(rows[0]) >= 60);
    assert_int_equal(failures, 0);
}

static void
test_consent__result_fields(void **state)
{
    (void)state;
    struct cp_consent_classification c;
    cp_consent_classify("Yes, but don't call me, no.", "en-US", &c);
    assert_int_equal(c.verdict, CP_CONSENT_NEGATIVE);
    assert_string_equal(c.rule, "en.neg.dont_call");
    assert_string_equal(c.matched, "don't call me");
    assert_string_equal(c.language, "en");
    assert_int_equal(c.affirmative_hits, 1);
    assert_int_equal(c.negative_hits, 2);

    cp_consent_classify("Sí, acepto", "es-MX", &c);
    assert_int_equal(c.verdict, CP_CONSENT_AFFIRMATIVE);
    assert_string_equal(c.rule, "es.affirm.acepto");
    assert_string_equal(c.matched, "acepto");
    assert_string_equal(c.language, "es");
    assert_int_equal(c.affirmative_hits, 2);
    assert_int_equal(c.negative_hits, 0);

    cp_consent_classify("¿quién habla?", "es", &c);
    assert_string_equal(c.matched, "quién");
    cp_consent_classify("is it ok?", "en", &c);
    assert_string_equal(c.matched, "is it");
    cp_consent_classify("ok?", "en", &c);
    assert_string_equal(c.matched, "?");
    cp_consent_classify("¿Es usted un robot", "es", &c); /* no closing mark */
    assert_string_equal(c.rule, "es.q.mark");
    assert_string_equal(c.matched, "¿");

    cp_consent_classify("bonjour", "fr-FR", &c);
    assert_int_equal(c.verdict, CP_CONSENT_UNCLEAR);
    assert_null(c.language);
    assert_null(c.matched);
    cp_consent_classify("hmm", "en", &c);
    assert_string_equal(c.rule, "en.none");
    assert_null(c.matched);
    assert_string_equal(c.language, "en");

    /* NULL out is ignored rather than crashing. */
    cp_consent_classify("yes", "en", NULL);
}

/* Rule ids are stored in signed records: these must never change meaning. */
static void
test_consent__rule_ids_are_stable(void **state)
{
    (void)state;
    static const struct {
        const char *lang, *text, *rule, *matched;
    } pinned[] = {
        {"en", "yes", "en.affirm.yes", "yes"},
        {"en", "no", "en.neg.no", "no"},
        {"en", "don't call me", "en.neg.dont_call", "don't call me"},
        {"en", "dont call me", "en.neg.dont_call", "don't call me"},
        {"en", "i agree", "en.affirm.i_agree", "i agree"},
        {"en", "maybe", "en.hedge.maybe", "maybe"},
        {"en", "who is this", "en.q.who", "who"},
        {"en", "no problem", "en.affirm.no_problem", "no problem"},
        {"es", "sí", "es.affirm.si", "sí"},
        {"es", "no me llame", "es.neg.no_me_llame", "no me llame"},
        {"es", "no sé", "es.hedge.no_se", "no sé"},
        {"es", "acepto", "es.affirm.acepto", "acepto"},
        {"es", "quíteme de la lista", "es.neg.quiteme", "quíteme de la lista"},
    };
    for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
        struct cp_consent_classification c;
        cp_consent_classify(pinned[i].text, pinned[i].lang, &c);
        assert_string_equal(c.rule, pinned[i].rule);
        assert_string_equal(c.matched, pinned[i].matched);
    }
}

static bool
id_well_formed(const char *id, const char *lang)
{
    static const char *const kinds[] = {".affirm.", ".neg.", ".hedge.", ".q."};
    if (strncmp(id, lang, 2) != 0)
        return false;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        size_t n = strlen(kinds[k]);
        if (strncmp(id + 2, kinds[k], n) != 0)
            continue;
        const char *slug = id + 2 + n;
        if (*slug == '\0')
            return false;
        for (; *slug; slug++)
            if (!((*slug >= 'a' && *slug <= 'z') || *slug == '_'))
                return false;
        return true;
    }
    return false;
}

static enum cp_consent_verdict
verdict_of_id(const char *id)
{
    if (strstr(id, ".affirm."))
        return CP_CONSENT_AFFIRMATIVE;
    if (strstr(id, ".neg."))
        return CP_CONSENT_NEGATIVE;
    return CP_CONSENT_UNCLEAR;
}

/*
 * Every phrase in the tables, said alone, is decided by its own rule: a duplicate or a phrase
 * shadowed by another would fail here. The one intended duplicate is Spanish "si", which is
 * "sí" when alone (and the conditional hedge only when followed by a clause).
 */
static void
test_consent__every_rule_matches_itself(void **state)
{
    (void)state;
    const char *lang, *rule, *phrase;
    size_t n = 0;
    for (size_t i = 0; cp_consent_rule_at(i, &lang, &rule, &phrase); i++, n++) {
        if (!id_well_formed(rule, lang))
            fail_msg("malformed rule id %s", rule);
        if (strcmp(rule, "es.hedge.si_condicional") == 0 && strcmp(phrase, "si") == 0)
            continue;
        struct cp_consent_classification c;
        cp_consent_classify(phrase, lang, &c);
        if (strcmp(c.rule, rule) != 0 || c.matched != phrase || c.verdict != verdict_of_id(rule))
            fail_msg("[%s] \"%s\" decided by %s (%s), want %s", lang, phrase, c.rule,
                     cp_consent_verdict_name(c.verdict), rule);
    }
    assert_true(n > 100);
    assert_false(cp_consent_rule_at(n, &lang, &rule, &phrase));
    assert_true(cp_consent_rule_at(0, NULL, NULL, NULL));
}

static void
test_consent__version_and_names(void **state)
{
    (void)state;
    assert_string_equal(cp_consent_classifier_version(), "phrases-2026-11-v1");
    assert_string_equal(cp_consent_verdict_name(CP_CONSENT_AFFIRMATIVE), "affirmative");
    assert_string_equal(cp_consent_verdict_name(CP_CONSENT_NEGATIVE), "negative");
    assert_string_equal(cp_consent_verdict_name(CP_CONSENT_UNCLEAR), "unclear");
    assert_string_equal(cp_consent_verdict_name((enum cp_consent_verdict)42), "unclear");
    assert_int_equal(CP_CONSENT_UNCLEAR, 0); /* a zeroed record means "unclear" */
}

static void
test_consent__long_input(void **state)
{
    (void)state;
    static char buf[CP_CONSENT_MAX_INPUT_BYTES + 64];
    struct cp_consent_classification c;

    /* Exactly at the cap: read in full, so the "no" at the very end counts. */
    memset(buf, 0, sizeof(buf));
    for (size_t i = 0; i + 4 <= CP_CONSENT_MAX_INPUT_BYTES - 3; i += 4)
        memcpy(buf + i, "yes ", 4);
    size_t len = strlen(buf);
    memset(buf + len, ' ', CP_CONSENT_MAX_INPUT_BYTES - 2 - len);
    memcpy(buf + CP_CONSENT_MAX_INPUT_BYTES - 2, "no", 2);
    assert_int_equal(strlen(buf), CP_CONSENT_MAX_INPUT_BYTES);
    cp_consent_classify(buf, "en", &c);
    assert_int_equal(c.verdict, CP_CONSENT_NEGATIVE);
    assert_int_equal(c.negative_hits, 1);
    assert_true(c.affirmative_hits > 1000);

    /* One byte over: not classified at all, rather than judged on a prefix. */
    buf[CP_CONSENT_MAX_INPUT_BYTES] = '!';
    cp_consent_classify(buf, "en", &c);
    assert_int_equal(c.verdict, CP_CONSENT_UNCLEAR);
    assert_string_equal(c.rule, "input.too_long");
    assert_string_equal(c.language, "en");

    /* The most words the cap allows ("a a a ..."), and one huge word. */
    for (size_t i = 0; i < CP_CONSENT_MAX_INPUT_BYTES; i++)
        buf[i] = (i % 2) ? ' ' : 'a';
    buf[CP_CONSENT_MAX_INPUT_BYTES] = '\0';
    cp_consent_classify(buf, "en", &c);
    assert_string_equal(c.rule, "en.none");
    memset(buf, 'y', CP_CONSENT_MAX_INPUT_BYTES);
    cp_consent_classify(buf, "es", &c);
    assert_string_equal(c.rule, "es.none");

    /* Worst case for the question scan: a '?' after every word. */
    for (size_t i = 0; i + 3 <= CP_CONSENT_MAX_INPUT_BYTES; i += 3)
        memcpy(buf + i, "si?", 3);
    buf[CP_CONSENT_MAX_INPUT_BYTES - CP_CONSENT_MAX_INPUT_BYTES % 3] = '\0';
    cp_consent_classify(buf, "es", &c);
    assert_int_equal(c.verdict, CP_CONSENT_UNCLEAR);
    assert_string_equal(c.rule, "es.q.mark");
}

/* Same input, same answer: nothing carries over between calls. */
static void
test_consent__deterministic(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct cp_consent_classification a, b;
        cp_consent_classify(rows[i].text, rows[i].lang, &a);
        cp_consent_classify("no, never, stop", "en", &b);
        cp_consent_classify(rows[i].text, rows[i].lang, &b);
        assert_int_equal(a.verdict, b.verdict);
        assert_ptr_equal(a.rule, b.rule);
        assert_ptr_equal(a.matched, b.matched);
        assert_ptr_equal(a.language, b.language);
        assert_int_equal(a.affirmative_hits, b.affirmative_hits);
        assert_int_equal(a.negative_hits, b.negative_hits);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consent__table),
        cmocka_unit_test(test_consent__result_fields),
        cmocka_unit_test(test_consent__rule_ids_are_stable),
        cmocka_unit_test(test_consent__every_rule_matches_itself),
        cmocka_unit_test(test_consent__version_and_names),
        cmocka_unit_test(test_consent__long_input),
        cmocka_unit_test(test_consent__deterministic),
    };
    return cmocka_run_group_tests_name("consent_classifier", tests, NULL, NULL);
}
