/*
 * Unit tests for declarative field specs (src/json/spec.c): each type, presence rules, the exact
 * wording of every 400 (it is the whole of what a client is told), field paths for nested
 * objects, and that outputs keep their defaults unless a field is present and valid.
 */
#include "unit.h"

#include <math.h>
#include <stdlib.h>

#include "json/json.h"
#include "json/spec.h"

/* Bodies in tests are written with ' for " to stay readable. */
static cJSON *
body(const char *text)
{
    char *s = strdup(text);
    assert_non_null(s);
    for (char *p = s; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    struct cp_error err;
    cJSON *root = cp_json_parse_object(s, strlen(s), &err);
    if (root == NULL)
        fail_msg("test body rejected: %s", err.message);
    free(s);
    return root;
}

/* Parse text against spec and expect this error code, field and message. */
static void
expect_error(const char *text, const struct cp_jspec *spec, const char *prefix, enum cp_err code,
             const char *field, const char *message)
{
    cJSON *root = body(text);
    struct cp_error err;
    memset(&err, 0, sizeof(err));
    enum cp_err e = cp_jspec_parse(root, spec, prefix, &err);
    if (e != code)
        fail_msg("%s: got %s (%s), want %s", text, cp_err_code(e), err.message, cp_err_code(code));
    assert_int_equal(err.code, code);
    assert_string_equal(err.field, field);
    assert_string_equal(err.message, message);
    cJSON_Delete(root);
}

/* Parse text against spec and expect success; the caller frees the tree that outputs borrow. */
static cJSON *
parse_ok(const char *text, const struct cp_jspec *spec)
{
    cJSON *root = body(text);
    struct cp_error err;
    enum cp_err e = cp_jspec_parse(root, spec, "", &err);
    if (e != CP_OK)
        fail_msg("%s: %s", text, err.message);
    return root;
}

static void
expect_ok(const char *text, const struct cp_jspec *spec)
{
    cJSON_Delete(parse_ok(text, spec));
}

static void
test_spec__fills_every_type(void **state)
{
    (void)state;
    static const char *const kinds[] = {"inbound", "outbound", NULL};
    const char *s = NULL, *kind = NULL;
    int64_t i = 0, t = 0;
    double d = 0;
    bool b = false, has_i = false;
    const cJSON *o = NULL, *a = NULL;
    struct cp_jspec spec[] = {
        CP_JSPEC_STRING("s", &s, CP_JF_REQUIRED, 1, 64),
        CP_JSPEC_INT("i", &i, CP_JF_REQUIRED, 0, 604800),
        CP_JSPEC_NUMBER("d", &d, 0, 0.0, 100.0),
        CP_JSPEC_BOOL("b", &b, 0),
        CP_JSPEC_OBJECT("o", &o, 0, 8),
        CP_JSPEC_ARRAY("a", &a, 0, 0),
        CP_JSPEC_TIME("t", &t, 0),
        CP_JSPEC_ENUM("kind", &kind, 0, kinds),
        CP_JSPEC_END,
    };
    spec[1].present = &has_i;
    cJSON *root = body("{'s':'hi','i':604800,'d':12.5,'b':true,'o':{'x':1},'a':[1,2,3],"
                       "'t':'2026-04-10T15:42:00Z','kind':'outbound'}");
    struct cp_error err;
    assert_int_equal(cp_jspec_parse(root, spec, "", &err), CP_OK);
    assert_string_equal(s, "hi");
    assert_true(i == 604800);
    assert_true(has_i);
    assert_true(d == 12.5);
    assert_true(b);
    assert_ptr_equal(o, cJSON_GetObjectItemCaseSensitive(root, "o"));
    assert_ptr_equal(a, cJSON_GetObjectItemCaseSensitive(root, "a"));
    assert_int_equal(cJSON_GetArraySize(a), 3);
    assert_true(t == 1775835720000LL);
    assert_string_equal(kind, "outbound");
    /* Outputs are borrowed from the tree. */
    assert_ptr_equal(s, cJSON_GetObjectItemCaseSensitive(root, "s")->valuestring);
    cJSON_Delete(root);
}

static void
test_spec__absent_optional_fields_leave_outputs_untouched(void **state)
{
    (void)state;
    static const char *const kinds[] = {"a", NULL};
    const char *s = "default", *kind = "dflt";
    int64_t i = -1, t = -2;
    double d = -3.5;
    bool b = true, present = false, is_null = false;
    const cJSON *o = (const cJSON *)&i, *a = (const cJSON *)&d; /* sentinels, never read */
    struct cp_jspec spec[] = {
        CP_JSPEC_STRING("s", &s, 0, 0, 0),
        CP_JSPEC_INT("i", &i, 0, 0, 0),
        CP_JSPEC_NUMBER("d", &d, 0, 0, 0),
        CP_JSPEC_BOOL("b", &b, 0),
        CP_JSPEC_OBJECT("o", &o, 0, 0),
        CP_JSPEC_ARRAY("a", &a, 0, 0),
        CP_JSPEC_TIME("t", &t, 0),
        CP_JSPEC_ENUM("kind", &kind, 0, kinds),
        CP_JSPEC_END,
    };
    for (size_t k = 0; spec[k].name != NULL; k++) {
        spec[k].present = &present;
        spec[k].is_null = &is_null;
    }
    expect_ok("{}", spec);
    assert_string_equal(s, "default");
    assert_string_equal(kind, "dflt");
    assert_true(i == -1 && t == -2 && d == -3.5 && b);
    assert_ptr_equal(o, (const cJSON *)&i);
    assert_ptr_equal(a, (const cJSON *)&d);
    assert_false(present);
    assert_false(is_null);
}

static void
test_spec__null_outputs_are_allowed(void **state)
{
    (void)state;
    struct cp_jspec spec[] = {
        CP_JSPEC_STRING("s", NULL, CP_JF_REQUIRED, 0, 0),
        CP_JSPEC_INT("i", NULL, 0, 0, 0),
        CP_JSPEC_END,
    };
    expect_ok("{'s':'x','i':3}", spec);
}

static void
test_spec__unknown_field_rejected(void **state)
{
    (void)state;
    const char *s = NULL;
    struct cp_jspec spec[] = {
        CP_JSPEC_STRING("type", &s, CP_JF_REQUIRED, 1, 64),
        CP_JSPEC_END,
    };
    expect_error("{'type':'x','id':'123'}", spec, "", CP_ERR_UNKNOWN_FIELD, "id",
                 "Field 'id' is not accepted by this endpoint.");
    /* Names are case-sensitive. */
    expect_error("{'Type':'x'}", spec, "", CP_ERR_UNKNOWN_FIELD, "Type",
                 "Field 'Type' is not accepted by this endpoint.");
    /* Unknown fields are reported before missing ones, and before anything is written. */
    s = NULL;
    expect_error("{'created_at':1}", spec, "", CP_ERR_UNKNOWN_FIELD, "created_at",
                 "Field 'created_at' is not accepted by this endpoint.");
    expect_error("{'type':'ok','zz':1}", spec, "", CP_ERR_UNKNOWN_FIELD, "zz",
                 "Field 'zz' is not accepted by this endpoint.");
    assert_null(s);
    /* An empty spec accepts only {}. */
    struct cp_jspec none[] = {CP_JSPEC_END};
    expect_ok("{}", none);
    expect_error("{'a':null}", none, "", CP_ERR_UNKNOWN_FIELD, "a",
                 "Field 'a' is not accepted by this endpoint.");
}

static void
test_spec__missing_required_field(void **state)
{
    (void)state;
    const char *a = NULL, *b = NULL;
    struct cp_jspec spec[] = {
        CP_JSPEC_STRING("a", &a, CP_JF_REQUIRED, 0, 0),
        CP_JSPEC_STRING("b", &b, CP_JF_REQUIRED, 0, 0),
        CP_JSPEC_END,
    };
    expect_error("{'a':'x'}", spec, "", CP_ERR_MISSING_FIELD, "b", "Field 'b' is required.");
    /* Entries are checked in spec order: a first. */
    expect_error("{}", spec, "", CP_ERR_MISSING_FIELD, "a", "Field 'a' is required.");
    expect_error("{'b':3}", spec, "", CP_ERR_MISSING_FIELD, "a", "Field 'a' is required.");
}

static void
test_spec__null_handling(void **state)
{
    (void)state;
    const char *s = "keep";
    int64_t i = 7;
    bool s_present = false, s_null = false, i_present = false, i_null = false;
    struct cp_jspec spec[] = {
        CP_JSPEC_STRING("s", &s, CP_JF_REQUIRED | CP_JF_NULLABLE, 0, 0),
        CP_JSPEC_INT("i", &i, CP_JF_NULLABLE, 0, 0),
        CP_JSPEC_END,
    };
    spec[0].present = &s_present;
    spec[0].is_null = &s_null;
    spec[1].present = &i_present;
    spec[1].is_null = &i_null;
    /* Nullable: present and null are flagged, the output keeps its default. */
    expect_ok("{'s':null,'i':null}", spec);
    assert_true(s_present && s_null && i_present && i_null);
    assert_string_equal(s, "keep");
    assert_true(i == 7);
    /* Present and not null: only present is set. */
    s_present = s_null = i_present = i_null = false;
    cJSON *root = parse_ok("{'s':'v'}", spec);
    assert_true(s_present && !s_null && !i_present && !i_null);
    assert_string_equal(s, "v");
    cJSON_Delete(root);

    struct cp_jspec strict[] = {
        CP_JSPEC_STRING("req", NULL, CP_JF_REQUIRED, 0, 0),
        CP_JSPEC_BOOL("opt", NULL, 0),
        CP_JSPEC_END,
    };
    expect_error("{'req':null}", strict, "", CP_ERR_MISSING_FIELD, "req",
                 "Field 'req' is required and may not be null.");
    expect_error("{'req':'x','opt':null}", strict, "", CP_ERR_INVALID_FIELD, "opt",
                 "Field 'opt' may not be null.");
}

static void
test_spec__string_type_and_length(void **state)
{
    (void)state;
    struct cp_jspec both[] = {CP_JSPEC_STRING("s", NULL, 0, 1, 4), CP_JSPEC_END};
    struct cp_jspec max_only[] = {CP_JSPEC_STRING("s", NULL, 0, 0, 3), CP_JSPEC_END};
    struct cp_jspec min_only[] = {CP_JSPEC_STRING("s", NULL, 0, 2, 0), CP_JSPEC_END};
    struct cp_jspec any[] = {CP_JSPEC_STRING("s", NULL, 0, 0, 0), CP_JSPEC_END};

    expect_error("{'s':5}", both, "", CP_ERR_INVALID_FIELD, "s", "Field 's' must be a string.");
    expect_error("{'s':true}", any, "", CP_ERR_INVALID_FIELD, "s", "Field 's' must be a string.");
    expect_error("{'s':['a']}", any, "", CP_ERR_INVALID_FIELD, "s", "Field 's' must be a string.");
    expect_error("{'s':''}", both, "", CP_ERR_INVALID_FIELD, "s",
                 "Field 's' must be a string of 1 to 4 bytes.");
    expect_error("{'s':'abcde'}", both, "", CP_ERR_INVALID_FIELD, "s",
                 "Field 's' must be a string of 1 to 4 bytes.");
    expect_ok("{'s':'abcd'}", both);
    expect_ok("{'s':'a'}", both);
    /* Length is in bytes: three characters, six bytes. */
    expect_error("{'s':'\xc3\xa9\xc3\xa9\xc3\xa9'}", both, "", CP_ERR_INVALID_FIELD, "s",
                 "Field 's' must be a string of 1 to 4 bytes.");
    expect_ok("{'s':'\xc3\xa9\xc3\xa9'}", both);
    expect_error("{'s':'abcd'}", max_only, "", CP_ERR_INVALID_FIELD, "s",
                 "Field 's' must be a string of at most 3 bytes.");
    expect_ok("{'s':''}", max_only);
    expect_error("{'s':'a'}", min_only, "", CP_ERR_INVALID_FIELD, "s",
                 "Field 's' must be a string of at least 2 bytes.");
    expect_ok("{'s':'ab'}", min_only);
    expect_ok("{'s':''}", any);
}

static const char *
check_e164(const char *s)
{
    if (s[0] != '+' || strlen(s) < 8)
        return "an E.164 phone number such as +15551234567";
    return NULL;
}

static void
test_spec__check_function(void **state)
{
    (void)state;
    const char *to = NULL;
    struct cp_jspec spec[] = {CP_JSPEC_STRING("to", &to, CP_JF_REQUIRED, 1, 16), CP_JSPEC_END};
    spec[0].check = check_e164;
    expect_error("{'to':'5551234'}", spec, "", CP_ERR_INVALID_FIELD, "to",
                 "Field 'to' must be an E.164 phone number such as +15551234567.");
    assert_null(to);
    cJSON *root = parse_ok("{'to':'+15551234567'}", spec);
    assert_string_equal(to, "+15551234567");
    cJSON_Delete(root);
    /* Length is judged before the check. */
    expect_error("{'to':'+1555123456789012345'}", spec, "", CP_ERR_INVALID_FIELD, "to",
                 "Field 'to' must be a string of 1 to 16 bytes.");
}

static void
test_spec__int_type_and_bounds(void **state)
{
    (void)state;
    int64_t v = 99;
    struct cp_jspec both[] = {CP_JSPEC_INT("n", &v, 0, 0, 604800), CP_JSPEC_END};
    struct cp_jspec lo_only[] = {CP_JSPEC_INT("n", &v, 0, 1, INT64_MAX), CP_JSPEC_END};
    struct cp_jspec hi_only[] = {CP_JSPEC_INT("n", &v, 0, INT64_MIN, -1), CP_JSPEC_END};
    struct cp_jspec any[] = {CP_JSPEC_INT("n", &v, 0, 0, 0), CP_JSPEC_END};
    struct cp_jspec unbounded[] = {CP_JSPEC_INT("n", &v, 0, INT64_MIN, INT64_MAX), CP_JSPEC_END};
    struct cp_jspec neg[] = {CP_JSPEC_INT("n", &v, 0, -10, 10), CP_JSPEC_END};

    const char *between = "Field 'n' must be an integer between 0 and 604800.";
    expect_error("{'n':-1}", both, "", CP_ERR_INVALID_FIELD, "n", between);
    expect_error("{'n':604801}", both, "", CP_ERR_INVALID_FIELD, "n", between);
    expect_error("{'n':1.5}", both, "", CP_ERR_INVALID_FIELD, "n", between);
    expect_error("{'n':'5'}", both, "", CP_ERR_INVALID_FIELD, "n", between);
    expect_error("{'n':1e15}", both, "", CP_ERR_INVALID_FIELD, "n", between);
    assert_true(v == 99); /* untouched by any failure */
    expect_ok("{'n':604800}", both);
    assert_true(v == 604800);
    /* Integral values written with a fraction or exponent are integers. */
    expect_ok("{'n':2.0}", both);
    assert_true(v == 2);
    expect_ok("{'n':3e2}", both);
    assert_true(v == 300);
    expect_ok("{'n':0}", both);
    assert_true(v == 0);

    expect_error("{'n':0}", lo_only, "", CP_ERR_INVALID_FIELD, "n",
                 "Field 'n' must be an integer of at least 1.");
    expect_ok("{'n':9007199254740991}", lo_only);
    assert_true(v == 9007199254740991LL);
    expect_error("{'n':0}", hi_only, "", CP_ERR_INVALID_FIELD, "n",
                 "Field 'n' must be an integer of at most -1.");
    expect_ok("{'n':-9007199254740991}", hi_only);
    expect_error("{'n':0.5}", any, "", CP_ERR_INVALID_FIELD, "n", "Field 'n' must be an integer.");
    expect_error("{'n':false}", unbounded, "", CP_ERR_INVALID_FIELD, "n",
                 "Field 'n' must be an integer.");
    expect_ok("{'n':-123456789012}", any);
    assert_true(v == -123456789012LL);
    /* Integral values beyond 2^53 - 1 (1e20) never get this far: the parser refuses them. */
    expect_error("{'n':11}", neg, "", CP_ERR_INVALID_FIELD, "n",
                 "Field 'n' must be an integer between -10 and 10.");
    expect_ok("{'n':-10}", neg);
}

static void
test_spec__number_type_and_bounds(void **state)
{
    (void)state;
    double v = -1;
    struct cp_jspec both[] = {CP_JSPEC_NUMBER("x", &v, 0, 0.0, 1.5), CP_JSPEC_END};
    struct cp_jspec any[] = {CP_JSPEC_NUMBER("x", &v, 0, 0, 0), CP_JSPEC_END};
    struct cp_jspec lo_only[] = {CP_JSPEC_NUMBER("x", &v, 0, 0.1, INFINITY), CP_JSPEC_END};
    struct cp_jspec hi_only[] = {CP_JSPEC_NUMBER("x", &v, 0, -INFINITY, 86400000), CP_JSPEC_END};

    expect_error("{'x':1.6}", both, "", CP_ERR_INVALID_FIELD, "x",
                 "Field 'x' must be a number between 0 and 1.5.");
    expect_error("{'x':-0.01}", both, "", CP_ERR_INVALID_FIELD, "x",
                 "Field 'x' must be a number between 0 and 1.5.");
    expect_error("{'x':'1'}", both, "", CP_ERR_INVALID_FIELD, "x",
                 "Field 'x' must be a number between 0 and 1.5.");
    assert_true(v == -1);
    expect_ok("{'x':1.5}", both);
    assert_true(v == 1.5);
    expect_ok("{'x':0}", both);
    assert_true(v == 0);
    expect_error("{'x':null}", any, "", CP_ERR_INVALID_FIELD, "x", "Field 'x' may not be null.");
    expect_error("{'x':[]}", any, "", CP_ERR_INVALID_FIELD, "x", "Field 'x' must be a number.");
    expect_ok("{'x':-1.5e-300}", any);
    assert_true(v == -1.5e-300);
    expect_error("{'x':0.05}", lo_only, "", CP_ERR_INVALID_FIELD, "x",
                 "Field 'x' must be a number of at least 0.1.");
    expect_error("{'x':86400001}", hi_only, "", CP_ERR_INVALID_FIELD, "x",
                 "Field 'x' must be a number of at most 86400000.");
    expect_ok("{'x':-5}", hi_only);
}

static void
test_spec__bool_type(void **state)
{
    (void)state;
    bool v = true;
    struct cp_jspec spec[] = {CP_JSPEC_BOOL("flag", &v, CP_JF_REQUIRED), CP_JSPEC_END};
    expect_ok("{'flag':false}", spec);
    assert_false(v);
    expect_ok("{'flag':true}", spec);
    assert_true(v);
    expect_error("{'flag':1}", spec, "", CP_ERR_INVALID_FIELD, "flag",
                 "Field 'flag' must be true or false.");
    expect_error("{'flag':'true'}", spec, "", CP_ERR_INVALID_FIELD, "flag",
                 "Field 'flag' must be true or false.");
}

static void
test_spec__object_and_array(void **state)
{
    (void)state;
    const cJSON *o = NULL, *a = NULL;
    struct cp_jspec spec[] = {
        CP_JSPEC_OBJECT("costs", &o, 0, 2),
        CP_JSPEC_ARRAY("items", &a, 0, 3),
        CP_JSPEC_END,
    };
    expect_error("{'costs':[]}", spec, "", CP_ERR_INVALID_FIELD, "costs",
                 "Field 'costs' must be an object.");
    expect_error("{'items':{}}", spec, "", CP_ERR_INVALID_FIELD, "items",
                 "Field 'items' must be an array.");
    expect_error("{'costs':{'a':1,'b':2,'c':3}}", spec, "", CP_ERR_INVALID_FIELD, "costs",
                 "Field 'costs' must be an object with at most 2 members.");
    expect_error("{'items':[1,2,3,4]}", spec, "", CP_ERR_INVALID_FIELD, "items",
                 "Field 'items' must be an array of at most 3 elements.");
    assert_null(o);
    assert_null(a);
    expect_ok("{'costs':{},'items':[]}", spec);
    expect_ok("{'costs':{'a':1,'b':2},'items':[1,{},[]]}", spec);

    /* Minimums and unlimited maximums, set by hand. */
    struct cp_jspec sized[] = {
        CP_JSPEC_ARRAY("r", NULL, 0, 2),
        CP_JSPEC_ARRAY("u", NULL, 0, 0),
        CP_JSPEC_OBJECT("m", NULL, 0, 0),
        CP_JSPEC_END,
    };
    sized[0].min = 1;
    sized[2].min = 1;
    expect_error("{'r':[]}", sized, "", CP_ERR_INVALID_FIELD, "r",
                 "Field 'r' must be an array of 1 to 2 elements.");
    expect_error("{'m':{}}", sized, "", CP_ERR_INVALID_FIELD, "m",
                 "Field 'm' must be an object with at least 1 member.");
    expect_ok("{'u':[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],'m':{'k':0}}", sized);
}

static void
test_spec__time_type(void **state)
{
    (void)state;
    int64_t t = 5;
    struct cp_jspec spec[] = {CP_JSPEC_TIME("started_at", &t, CP_JF_REQUIRED), CP_JSPEC_END};
    const char *msg =
        "Field 'started_at' must be an ISO 8601 date-time such as 2026-04-10T15:42:00Z.";
    expect_error("{'started_at':'2026-04-10'}", spec, "", CP_ERR_INVALID_FIELD, "started_at", msg);
    expect_error("{'started_at':'2026-02-30T00:00:00Z'}", spec, "", CP_ERR_INVALID_FIELD,
                 "started_at", msg);
    expect_error("{'started_at':1775835720000}", spec, "", CP_ERR_INVALID_FIELD, "started_at", msg);
    expect_error("{'started_at':''}", spec, "", CP_ERR_INVALID_FIELD, "started_at", msg);
    assert_true(t == 5);
    expect_ok("{'started_at':'1970-01-01T00:00:01.5Z'}", spec);
    assert_true(t == 1500);
    expect_ok("{'started_at':'2026-04-10T17:42:00+02:00'}", spec);
    assert_true(t == 1775835720000LL);
}

static const char *
check_not_unknown(const char *s)
{
    return strcmp(s, "unknown") == 0 ? "a known status" : NULL;
}

static void
test_spec__enum_type(void **state)
{
    (void)state;
    static const char *const statuses[] = {"queued", "ringing", "completed", "unknown", NULL};
    const char *st = NULL;
    struct cp_jspec spec[] = {CP_JSPEC_ENUM("status", &st, 0, statuses), CP_JSPEC_END};
    const char *msg = "Field 'status' must be one of: queued, ringing, completed, unknown.";
    expect_error("{'status':'done'}", spec, "", CP_ERR_INVALID_FIELD, "status", msg);
    expect_error("{'status':'Queued'}", spec, "", CP_ERR_INVALID_FIELD, "status", msg);
    expect_error("{'status':3}", spec, "", CP_ERR_INVALID_FIELD, "status", msg);
    expect_error("{'status':''}", spec, "", CP_ERR_INVALID_FIELD, "status", msg);
    assert_null(st);
    cJSON *root = parse_ok("{'status':'ringing'}", spec);
    assert_string_equal(st, "ringing");
    cJSON_Delete(root);
    spec[0].check = check_not_unknown;
    expect_error("{'status':'unknown'}", spec, "", CP_ERR_INVALID_FIELD, "status",
                 "Field 'status' must be a known status.");
    expect_ok("{'status':'completed'}", spec);
}

static void
test_spec__nested_path_prefix(void **state)
{
    (void)state;
    int64_t llm = 0;
    struct cp_jspec costs[] = {
        CP_JSPEC_INT("llm", &llm, CP_JF_REQUIRED, 0, 1000),
        CP_JSPEC_STRING("note", NULL, 0, 0, 4),
        CP_JSPEC_END,
    };
    expect_error("{'llm':-5}", costs, "costs", CP_ERR_INVALID_FIELD, "costs.llm",
                 "Field 'costs.llm' must be an integer between 0 and 1000.");
    expect_error("{}", costs, "costs", CP_ERR_MISSING_FIELD, "costs.llm",
                 "Field 'costs.llm' is required.");
    expect_error("{'llm':1,'tts':2}", costs, "costs", CP_ERR_UNKNOWN_FIELD, "costs.tts",
                 "Field 'costs.tts' is not accepted by this endpoint.");
    expect_error("{'llm':1,'note':null}", costs, "transcript_objects[3]", CP_ERR_INVALID_FIELD,
                 "transcript_objects[3].note",
                 "Field 'transcript_objects[3].note' may not be null.");
    expect_error("{'llm':1,'note':'too long'}", costs, "a.b[0]", CP_ERR_INVALID_FIELD,
                 "a.b[0].note", "Field 'a.b[0].note' must be a string of at most 4 bytes.");

    /* The usual pattern: the handler parses the outer object, then the inner one. */
    const cJSON *inner = NULL;
    struct cp_jspec outer[] = {CP_JSPEC_OBJECT("costs", &inner, CP_JF_REQUIRED, 0), CP_JSPEC_END};
    cJSON *root = body("{'costs':{'llm':42}}");
    struct cp_error err;
    assert_int_equal(cp_jspec_parse(root, outer, NULL, &err), CP_OK);
    assert_int_equal(cp_jspec_parse(inner, costs, "costs", &err), CP_OK);
    assert_true(llm == 42);
    cJSON_Delete(root);
}

static void
test_spec__not_an_object(void **state)
{
    (void)state;
    struct cp_jspec spec[] = {CP_JSPEC_END};
    struct cp_error err;
    cJSON *arr = cJSON_CreateArray();
    assert_int_equal(cp_jspec_parse(arr, spec, "", &err), CP_ERR_INVALID_JSON);
    assert_string_equal(err.message, "The request body must be a JSON object.");
    assert_int_equal(cp_jspec_parse(arr, spec, "costs", &err), CP_ERR_INVALID_FIELD);
    assert_string_equal(err.field, "costs");
    assert_string_equal(err.message, "Field 'costs' must be an object.");
    assert_int_equal(cp_jspec_parse(NULL, spec, "", NULL), CP_ERR_INVALID_JSON);
    cJSON_Delete(arr);
}

static void
test_spec__long_paths_are_truncated_safely(void **state)
{
    (void)state;
    char prefix[300];
    memset(prefix, 'p', sizeof(prefix) - 1);
    prefix[sizeof(prefix) - 1] = '\0';
    struct cp_jspec spec[] = {CP_JSPEC_END};
    cJSON *root = body("{'x':1}");
    struct cp_error err;
    assert_int_equal(cp_jspec_parse(root, spec, prefix, &err), CP_ERR_UNKNOWN_FIELD);
    assert_int_equal(strlen(err.field), sizeof(err.field) - 1);
    assert_int_equal(strncmp(err.message, "Field 'ppp", 10), 0);
    cJSON_Delete(root);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec__fills_every_type),
        cmocka_unit_test(test_spec__absent_optional_fields_leave_outputs_untouched),
        cmocka_unit_test(test_spec__null_outputs_are_allowed),
        cmocka_unit_test(test_spec__unknown_field_rejected),
        cmocka_unit_test(test_spec__missing_required_field),
        cmocka_unit_test(test_spec__null_handling),
        cmocka_unit_test(test_spec__string_type_and_length),
        cmocka_unit_test(test_spec__check_function),
        cmocka_unit_test(test_spec__int_type_and_bounds),
        cmocka_unit_test(test_spec__number_type_and_bounds),
        cmocka_unit_test(test_spec__bool_type),
        cmocka_unit_test(test_spec__object_and_array),
        cmocka_unit_test(test_spec__time_type),
        cmocka_unit_test(test_spec__enum_type),
        cmocka_unit_test(test_spec__nested_path_prefix),
        cmocka_unit_test(test_spec__not_an_object),
        cmocka_unit_test(test_spec__long_paths_are_truncated_safely),
    };
    return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}
