/*
 * test_json.c - bounded JSON parsing (one document, valid UTF-8, depth limit, size limit), the
 * pre-scan that bounds values and nesting before json-c builds anything, and the typed getters
 * with the detail they record.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena_fixture.h"
#include "base/json.h"
#include "base/limits.h"

static enum reg_status
parse(struct reg_arena *a, const char *text, struct json_object **out)
{
    return reg_json_parse(a, text, strlen(text), out);
}

struct parse_case {
    const char *text;
    enum reg_status want;
    enum json_type type; /* when REG_OK */
};

static const struct parse_case parse_cases[] = {
    {"{}", REG_OK, json_type_object},
    {"[]", REG_OK, json_type_array},
    {"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", REG_OK, json_type_object},
    {"  \n\t{ \"a\" : 1 }\r\n  ", REG_OK, json_type_object},
    {"[1, 2.5, -3e2, \"x\", null]", REG_OK, json_type_array},
    {"\"text\"", REG_OK, json_type_string},
    {"{\"name\":\"h\\u00e9llo \\u20ac\"}", REG_OK, json_type_object},
    {"{\"name\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"}", REG_OK, json_type_object},
    {"{\"url\":\"https:\\/\\/x\"}", REG_OK, json_type_object},
    /* Trailing garbage. */
    {"{}x", REG_EINVAL, json_type_null},
    {"{} {}", REG_EINVAL, json_type_null},
    {"{}}", REG_EINVAL, json_type_null},
    {"[1] [2]", REG_EINVAL, json_type_null},
    {"{},", REG_EINVAL, json_type_null},
    {"\"a\"\"b\"", REG_EINVAL, json_type_null},
    /* Incomplete or malformed. */
    {"{", REG_EINVAL, json_type_null},
    {"{\"a\":", REG_EINVAL, json_type_null},
    {"[1,2", REG_EINVAL, json_type_null},
    {"\"unterminated", REG_EINVAL, json_type_null},
    {" ", REG_EINVAL, json_type_null},
    {"{\"a\":1,}", REG_EINVAL, json_type_null},
    {"[1,]", REG_EINVAL, json_type_null},
    {"{a:1}", REG_EINVAL, json_type_null},
    {"[01]", REG_EINVAL, json_type_null},
    {"[.5]", REG_EINVAL, json_type_null},
    {"[+1]", REG_EINVAL, json_type_null},
    {"[0x10]", REG_EINVAL, json_type_null},
    {"[True]", REG_EINVAL, json_type_null},
    {"[\"\\x41\"]", REG_EINVAL, json_type_null},
    {"{\"a\":1 /* comment */}", REG_EINVAL, json_type_null},
    /* Invalid UTF-8. */
    {"\xff", REG_EINVAL, json_type_null},
    {"\"\xff\"", REG_EINVAL, json_type_null},
    {"{\"a\":\"\xc3\"}", REG_EINVAL, json_type_null},
    {"{\"\xfe\":1}", REG_EINVAL, json_type_null},
};

static void
test_parse_cases(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(parse_cases); i++) {
        const struct parse_case *c = &parse_cases[i];
        struct json_object *obj = (struct json_object *)a; /* any non-NULL value */
        enum reg_status st = parse(a, c->text, &obj);
        CHECK(&bad, st == c->want, "parse '%s': status %d (%s), want %d", c->text, st,
              st ? reg_error_detail() : "", c->want);
        if (st == REG_OK && c->want == REG_OK)
            CHECK(&bad, obj && json_object_is_type(obj, c->type), "parse '%s': type %s, want %s",
                  c->text, obj ? json_type_to_name(json_object_get_type(obj)) : "none",
                  json_type_to_name(c->type));
        if (st != REG_OK) {
            CHECK(&bad, obj == NULL, "parse '%s' failed but *out is not NULL", c->text);
            CHECK(&bad, strstr(reg_error_detail(), "JSON") != NULL,
                  "parse '%s': detail '%s' does not mention JSON", c->text, reg_error_detail());
        }
    }
    assert_int_equal(bad, 0);
}

/* A top-level scalar is one JSON value (RFC 8259), and reg_json_parse promises to parse
 * "exactly one JSON value". */
static const struct parse_case scalar_cases[] = {
    {"42", REG_OK, json_type_int},         {"-1.5", REG_OK, json_type_double},
    {"0", REG_OK, json_type_int},          {"true", REG_OK, json_type_boolean},
    {"false", REG_OK, json_type_boolean},  {"42\n", REG_OK, json_type_int},
    {" true ", REG_OK, json_type_boolean},
};

static void
test_parse_top_level_scalars(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(scalar_cases); i++) {
        const struct parse_case *c = &scalar_cases[i];
        struct json_object *obj = NULL;
        enum reg_status st = parse(a, c->text, &obj);
        CHECK(&bad, st == REG_OK && obj && json_object_is_type(obj, c->type),
              "parse '%s': status %d (%s), want REG_OK with type %d", c->text, st,
              st ? reg_error_detail() : "", (int)c->type);
    }
    assert_int_equal(bad, 0);
}

/* Text json-c accepts in its STRICT mode that is not JSON (RFC 8259): non-finite numbers,
 * a bare trailing '.', single-quoted strings, raw control characters inside strings. */
/* Strings that are not UTF-8 by RFC 3629 although json-c's VALIDATE_UTF8 lets them through:
 * overlong forms, UTF-16 surrogates, code points past U+10FFFF, lead bytes F5..F7. The string
 * getters refuse them. */
static const char *const bad_utf8[] = {
    "{\"s\":\"\xc0\xaf\"}",     "{\"s\":\"\xc1\xbf\"}",         "{\"s\":\"\xe0\x80\xaf\"}",
    "{\"s\":\"\xed\xa0\x80\"}", "{\"s\":\"\xf4\x90\x80\x80\"}", "{\"s\":\"\xf5\x80\x80\x80\"}",
};

static void
test_getters_refuse_invalid_utf8_forms(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(bad_utf8); i++) {
        struct json_object *obj = NULL;
        const char *v = NULL;
        enum reg_status st = parse(a, bad_utf8[i], &obj);
        if (st == REG_OK)
            st = reg_json_get_string(obj, "s", &v);
        CHECK(&bad, st == REG_EINVAL && v == NULL, "case %d: status %d, want REG_EINVAL", i, st);
    }
    assert_int_equal(bad, 0);
}

static void
test_parse_empty_and_null(void **state)
{
    struct reg_arena *a = *state;
    struct json_object *obj = NULL;

    assert_int_equal(reg_json_parse(a, "", 0, &obj), REG_EINVAL);
    assert_null(obj);
    assert_non_null(strstr(reg_error_detail(), "empty"));
    /* Length 0 wins over the text. */
    assert_int_equal(reg_json_parse(a, "{}", 0, &obj), REG_EINVAL);
    assert_int_equal(parse(a, "null", &obj), REG_EINVAL);
    assert_null(obj);
    assert_int_equal(parse(a, " null ", &obj), REG_EINVAL);
    assert_null(obj);
}

static void
test_parse_length_is_honoured(void **state)
{
    struct reg_arena *a = *state;
    struct json_object *obj = NULL;

    /* Only text[0..len) is parsed. */
    assert_int_equal(reg_json_parse(a, "{\"a\":1}garbage", 7, &obj), REG_OK);
    assert_int_equal(json_object_get_int(json_object_object_get(obj, "a")), 1);
    /* An embedded NUL inside len is not the end of the document. */
    assert_int_equal(reg_json_parse(a, "{}\0{}", 5, &obj), REG_EINVAL);
    assert_null(obj);
}

/* n nested arrays, e.g. 3 -> "[[[]]]"; the caller frees. */
static char *
nested_arrays(int n)
{
    char *s = malloc((size_t)n * 2 + 1);

    assert_non_null(s);
    memset(s, '[', (size_t)n);
    memset(s + n, ']', (size_t)n);
    s[n * 2] = '\0';
    return s;
}

/* n nested objects, e.g. 2 -> {"k":{"k":{}}} minus one level: {"k":{}}. */
static char *
nested_objects(int n)
{
    size_t cap = (size_t)n * 8 + 1;
    char *s = malloc(cap);
    size_t o = 0;

    assert_non_null(s);
    for (int i = 0; i < n - 1; i++) {
        memcpy(s + o, "{\"k\":", 5);
        o += 5;
    }
    s[o++] = '{';
    for (int i = 0; i < n; i++)
        s[o++] = '}';
    s[o] = '\0';
    return s;
}

static void
test_depth_limit(void **state)
{
    struct reg_arena *a = *state;
    struct json_object *obj;
    char *s;

    for (int n = 1; n <= REG_JSON_MAX_DEPTH + 3; n++) {
        enum reg_status want = n <= REG_JSON_MAX_DEPTH ? REG_OK : REG_EINVAL;
        s = nested_arrays(n);
        if (parse(a, s, &obj) != want)
            fail_msg("%d nested arrays: status %d, want %d", n, parse(a, s, &obj), want);
        free(s);
        s = nested_objects(n);
        if (parse(a, s, &obj) != want)
            fail_msg("%d nested objects (%s): want %d", n, s, want);
        free(s);
    }
    s = nested_arrays(REG_JSON_MAX_DEPTH + 1);
    assert_int_equal(parse(a, s, &obj), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "deep"));
    free(s);
    /* Very deep input is refused without recursion trouble. */
    s = nested_arrays(100000);
    assert_int_equal(parse(a, s, &obj), REG_EINVAL);
    free(s);
}

static void
test_size_limit(void **state)
{
    struct reg_arena *a = *state;
    struct json_object *obj;
    size_t n = REG_MAX_BODY + 1;
    char *s = malloc(n + 1);

    assert_non_null(s);
    /* ["xxx...x"] exactly REG_MAX_BODY bytes is parsed; one byte more is too large. */
    s[0] = '[';
    s[1] = '"';
    memset(s + 2, 'x', REG_MAX_BODY - 4);
    s[REG_MAX_BODY - 2] = '"';
    s[REG_MAX_BODY - 1] = ']';
    s[REG_MAX_BODY] = ' ';
    s[n] = '\0';
    assert_int_equal(reg_json_parse(a, s, REG_MAX_BODY, &obj), REG_OK);
    assert_int_equal(json_object_get_string_len(json_object_array_get_idx(obj, 0)),
                     REG_MAX_BODY - 4);
    assert_int_equal(reg_json_parse(a, s, n, &obj), REG_ETOOLARGE);
    assert_null(obj);
    free(s);
}

struct prescan_case {
    const char *text;
    size_t max_values;
    int max_depth;
    enum reg_status want;
};

static const struct prescan_case prescan_cases[] = {
    /* Counting: objects, arrays, strings (keys too), numbers and literals, once each. */
    {"[1,2,3]", 4, 16, REG_OK},
    {"[1,2,3]", 3, 16, REG_ETOOLARGE},
    {"[12345,-1.5e3]", 3, 16, REG_OK},
    {"{\"a\":\"b\"}", 3, 16, REG_OK},
    {"{\"a\":\"b\"}", 2, 16, REG_ETOOLARGE},
    {"[true,false,null]", 4, 16, REG_OK},
    {"[true,false,null]", 3, 16, REG_ETOOLARGE},
    {"[{},{},{}]", 4, 16, REG_OK},
    {"[{},{},{}]", 3, 16, REG_ETOOLARGE},
    {" [ 1 ,\t2 ,\r\n3 ] ", 4, 16, REG_OK},
    {"{\"k\" : [ \"v\" , { } ] }", 5, 16, REG_OK},
    {"{\"k\" : [ \"v\" , { } ] }", 4, 16, REG_ETOOLARGE},
    /* Brackets, quotes and separators inside strings are one string, escapes included. */
    {"[\"[[[[{{{{,,,:::\"]", 2, 1, REG_OK},
    {"[\"\\\"[[[\\\"]]]\"]", 2, 1, REG_OK},
    {"[\"\\\\\",[[]]]", 16, 2, REG_EINVAL}, /* an escaped backslash ends no string */
    {"[\"\\\\\",[[]]]", 16, 3, REG_OK},
    {"[\"\\u005b\\u007b\\n\",1]", 3, 1, REG_OK},
    {"{\"[\":\"{\",\"]\":\"}\"}", 5, 1, REG_OK},
    /* Depth. */
    {"[[[]]]", 16, 3, REG_OK},
    {"[[[]]]", 16, 2, REG_EINVAL},
    {"[{\"a\":[{}]}]", 16, 4, REG_OK},
    {"[{\"a\":[{}]}]", 16, 3, REG_EINVAL},
    {"[[],[],[]]", 16, 2, REG_OK}, /* siblings are not deeper */
    /* Malformed text is json-c's to judge: the pre-scan lets it through. */
    {"[1,,]", 16, 16, REG_OK},
    {"{\"a\" 1}", 16, 16, REG_OK},
    {"\"unterminated", 16, 16, REG_OK},
    {"\"ends in a backslash\\", 16, 16, REG_OK},
    {"[tru e]", 16, 16, REG_OK},
    {"]]]", 16, 16, REG_OK},
    {"", 16, 16, REG_OK},
    /* Closers without openers do not make room for deeper nesting later. */
    {"]]][[", 16, 2, REG_OK},
    {"]]][[[", 16, 2, REG_EINVAL},
};

static void
test_prescan_cases(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(prescan_cases); i++) {
        const struct prescan_case *c = &prescan_cases[i];
        enum reg_status st =
            reg_json_prescan(c->text, strlen(c->text), c->max_values, c->max_depth);
        CHECK(&bad, st == c->want, "prescan '%s' (values %zu, depth %d): status %d (%s), want %d",
              c->text, c->max_values, c->max_depth, st, st ? reg_error_detail() : "", c->want);
    }
    assert_int_equal(bad, 0);
}

/* "[0,0,...,0]" of n values (the array and n - 1 zeros); the caller frees. */
static char *
flat_array(size_t n, size_t *len)
{
    char *s = malloc(2 * n + 1);

    assert_non_null(s);
    s[0] = '[';
    for (size_t i = 1; i < n; i++) {
        s[2 * i - 1] = '0';
        s[2 * i] = ',';
    }
    s[2 * n - 2] = ']';
    s[2 * n - 1] = '\0';
    *len = 2 * n - 1;
    return s;
}

/* reg_json_parse pre-scans: REG_JSON_MAX_VALUES values parse, one more is refused before
 * json-c builds them, and so is the 1 MiB "[{},{},...]" that would cost json-c ~266 MB. */
static void
test_parse_value_limit(void **state)
{
    struct reg_arena *a = *state;
    struct json_object *obj = NULL;
    size_t len, n = (REG_MAX_BODY - 2) / 3;
    char *s = flat_array(REG_JSON_MAX_VALUES, &len);

    assert_int_equal(reg_json_parse(a, s, len, &obj), REG_OK);
    assert_int_equal(json_object_array_length(obj), REG_JSON_MAX_VALUES - 1);
    free(s);
    s = flat_array(REG_JSON_MAX_VALUES + 1, &len);
    assert_int_equal(reg_json_parse(a, s, len, &obj), REG_ETOOLARGE);
    assert_null(obj);
    assert_non_null(strstr(reg_error_detail(), "values"));
    free(s);

    s = malloc(REG_MAX_BODY + 1);
    assert_non_null(s);
    s[0] = '[';
    for (size_t i = 0; i < n; i++) {
        s[1 + 3 * i] = '{';
        s[2 + 3 * i] = '}';
        s[3 + 3 * i] = ',';
    }
    s[3 * n] = ']'; /* over the last comma */
    assert_int_equal(reg_json_parse(a, s, 3 * n + 1, &obj), REG_ETOOLARGE);
    assert_null(obj);
    free(s);
}

static void
test_parse_object(void **state)
{
    static const char *const non_objects[] = {"[]", "[{}]", "\"s\"", "\"{}\""};
    struct reg_arena *a = *state;
    struct json_object *obj;

    assert_int_equal(reg_json_parse_object(a, "{\"a\":true}", 10, &obj), REG_OK);
    assert_true(json_object_is_type(obj, json_type_object));
    for (int i = 0; i < NELEMS(non_objects); i++) {
        obj = (struct json_object *)a;
        if (reg_json_parse_object(a, non_objects[i], strlen(non_objects[i]), &obj) != REG_EINVAL)
            fail_msg("parse_object '%s' accepted", non_objects[i]);
        assert_null(obj);
        assert_non_null(strstr(reg_error_detail(), "object"));
    }
    /* Parse errors come through unchanged. */
    assert_int_equal(reg_json_parse_object(a, "{", 1, &obj), REG_EINVAL);
    assert_int_equal(reg_json_parse_object(a, "", 0, &obj), REG_EINVAL);
}

static const char doc[] = "{\"s\":\"text\",\"e\":\"\",\"b\":true,\"f\":false,\"o\":{\"x\":1},"
                          "\"a\":[1,2],\"n\":null,\"i\":7,\"d\":1.5}";

static struct json_object *
load_doc(struct reg_arena *a)
{
    struct json_object *obj;

    assert_int_equal(reg_json_parse_object(a, doc, strlen(doc), &obj), REG_OK);
    return obj;
}

/* The status was REG_EINVAL and the detail names the field. */
static void
expect_field_error(enum reg_status st, const char *key, const char *what)
{
    char quoted[64];

    snprintf(quoted, sizeof(quoted), "'%s'", key);
    assert_int_equal(st, REG_EINVAL);
    if (!strstr(reg_error_detail(), quoted) || !strstr(reg_error_detail(), what))
        fail_msg("detail '%s' should name %s and say '%s'", reg_error_detail(), quoted, what);
}

static void
test_get_string(void **state)
{
    struct json_object *obj = load_doc(*state);
    const char *s = "untouched";

    assert_int_equal(reg_json_get_string(obj, "s", &s), REG_OK);
    assert_string_equal(s, "text");
    assert_int_equal(reg_json_get_string(obj, "e", &s), REG_OK);
    assert_string_equal(s, "");
    expect_field_error(reg_json_get_string(obj, "missing", &s), "missing", "required");
    assert_null(s);
    expect_field_error(reg_json_get_string(obj, "n", &s), "n", "required");
    static const char *const wrong[] = {"b", "o", "a", "i", "d"};
    for (int i = 0; i < NELEMS(wrong); i++) {
        s = "untouched";
        expect_field_error(reg_json_get_string(obj, wrong[i], &s), wrong[i], "a string");
        assert_null(s);
    }
}

static void
test_get_bool(void **state)
{
    struct json_object *obj = load_doc(*state);
    bool b = false;

    assert_int_equal(reg_json_get_bool(obj, "b", &b), REG_OK);
    assert_true(b);
    assert_int_equal(reg_json_get_bool(obj, "f", &b), REG_OK);
    assert_false(b);
    b = true;
    expect_field_error(reg_json_get_bool(obj, "missing", &b), "missing", "required");
    assert_false(b);
    static const char *const wrong[] = {"s", "e", "o", "a", "i", "d"};
    for (int i = 0; i < NELEMS(wrong); i++) {
        b = true;
        expect_field_error(reg_json_get_bool(obj, wrong[i], &b), wrong[i], "a boolean");
        assert_false(b);
    }
    expect_field_error(reg_json_get_bool(obj, "n", &b), "n", "required");
}

static void
test_get_object(void **state)
{
    struct json_object *obj = load_doc(*state);
    struct json_object *o = NULL;

    assert_int_equal(reg_json_get_object(obj, "o", &o), REG_OK);
    assert_int_equal(json_object_get_int(json_object_object_get(o, "x")), 1);
    expect_field_error(reg_json_get_object(obj, "missing", &o), "missing", "required");
    assert_null(o);
    expect_field_error(reg_json_get_object(obj, "a", &o), "a", "an object");
    assert_null(o);
    expect_field_error(reg_json_get_object(obj, "s", &o), "s", "an object");
    expect_field_error(reg_json_get_object(obj, "n", &o), "n", "required");
}

static void
test_optional(void **state)
{
    struct json_object *obj = load_doc(*state);
    const char *s = "untouched";
    struct json_object *arr = obj;

    assert_int_equal(reg_json_opt_string(obj, "s", &s), REG_OK);
    assert_string_equal(s, "text");
    assert_int_equal(reg_json_opt_string(obj, "missing", &s), REG_OK);
    assert_null(s);
    s = "untouched";
    assert_int_equal(reg_json_opt_string(obj, "n", &s), REG_OK);
    assert_null(s);
    s = "untouched";
    expect_field_error(reg_json_opt_string(obj, "i", &s), "i", "a string");
    assert_null(s);

    assert_int_equal(reg_json_opt_array(obj, "a", &arr), REG_OK);
    assert_int_equal(json_object_array_length(arr), 2);
    assert_int_equal(reg_json_opt_array(obj, "missing", &arr), REG_OK);
    assert_null(arr);
    arr = obj;
    assert_int_equal(reg_json_opt_array(obj, "n", &arr), REG_OK);
    assert_null(arr);
    expect_field_error(reg_json_opt_array(obj, "o", &arr), "o", "an array");
    assert_null(arr);
}

/* An optional integer in a range: absent and null keep the caller's default. */
static void
test_optional_int(void **state)
{
    struct reg_arena *a = *state;
    static const char text[] = "{\"i\": 7, \"big\": 101, \"neg\": -1, \"f\": 1.5, \"s\": \"2\", "
                               "\"n\": null, \"huge\": 99999999999999999999}";
    struct json_object *obj;
    int64_t v = 42;

    assert_int_equal(reg_json_parse_object(a, text, strlen(text), &obj), REG_OK);
    assert_int_equal(reg_json_opt_int(obj, "i", 1, 100, &v), REG_OK);
    assert_int_equal(v, 7);
    v = 42;
    assert_int_equal(reg_json_opt_int(obj, "missing", 1, 100, &v), REG_OK);
    assert_int_equal(reg_json_opt_int(obj, "n", 1, 100, &v), REG_OK);
    assert_int_equal(v, 42);
    expect_field_error(reg_json_opt_int(obj, "big", 1, 100, &v), "big", "from 1 to 100");
    expect_field_error(reg_json_opt_int(obj, "neg", 1, 100, &v), "neg", "from 1 to 100");
    expect_field_error(reg_json_opt_int(obj, "huge", 1, 100, &v), "huge", "from 1 to 100");
    expect_field_error(reg_json_opt_int(obj, "f", 1, 100, &v), "f", "an integer");
    expect_field_error(reg_json_opt_int(obj, "s", 1, 100, &v), "s", "an integer");
    assert_int_equal(v, 42);
}

static void
test_get_string_with_nul(void **state)
{
    struct reg_arena *a = *state;
    static const char text[] = "{\"name\":\"abc\\u0000def\"}";
    struct json_object *obj;
    const char *s = NULL;
    enum reg_status st;

    /* A C string cannot carry the value: it must be refused, not silently cut to "abc"
     * (percent-decoding refuses an encoded NUL for the same reason). */
    assert_int_equal(reg_json_parse_object(a, text, strlen(text), &obj), REG_OK);
    st = reg_json_get_string(obj, "name", &s);
    if (st == REG_OK)
        fail_msg("field with an embedded NUL accepted as '%s' (%zu of 7 bytes)", s, strlen(s));
    expect_field_error(st, "name", "name");
}

static void
test_text(void **state)
{
    struct reg_arena *a = *state;
    struct json_object *obj = reg_arena_own_json(a, json_object_new_object());
    size_t len = 0;
    const char *t;

    json_object_object_add(obj, "url", json_object_new_string("https://huggingface.co/a/b"));
    json_object_object_add(obj, "n", json_object_new_int(3));
    t = reg_json_text(obj, &len);
    assert_string_equal(t, "{\"url\":\"https://huggingface.co/a/b\",\"n\":3}");
    assert_int_equal(len, strlen(t));
    /* Round trip. */
    assert_int_equal(reg_json_parse_object(a, t, len, &obj), REG_OK);
    assert_int_equal(json_object_get_int(json_object_object_get(obj, "n")), 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_cases, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_parse_top_level_scalars, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_getters_refuse_invalid_utf8_forms, arena_setup,
                                        arena_teardown),
        cmocka_unit_test_setup_teardown(test_parse_empty_and_null, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_parse_length_is_honoured, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_depth_limit, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_size_limit, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_parse_object, arena_setup, arena_teardown),
        cmocka_unit_test(test_prescan_cases),
        cmocka_unit_test_setup_teardown(test_parse_value_limit, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_get_string, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_get_bool, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_get_object, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_optional, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_optional_int, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_get_string_with_nul, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_text, arena_setup, arena_teardown),
    };
    return cmocka_run_group_tests_name("base/json", tests, NULL, NULL);
}
