/*
 * json.c - parsing with depth, UTF-8 and trailing-garbage checks; typed field access.
 */
#include "base/json.h"

#include <math.h>
#include <stdio.h>

#include "base/limits.h"
#include "base/str.h"

enum reg_status
reg_json_prescan(const char *text, size_t len, size_t max_values, int max_depth)
{
    size_t values = 0;
    int depth = 0;
    bool in_string = false, in_scalar = false;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++; /* the escaped character, a quote or a backslash among them */
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '[':
        case '{':
            if (++depth > max_depth)
                return reg_errorf(REG_EINVAL, "JSON body nests deeper than %d levels", max_depth);
            values++;
            in_scalar = false;
            break;
        case ']':
        case '}':
            if (depth > 0) /* unbalanced closers are json-c's to report */
                depth--;
            in_scalar = false;
            break;
        case '"':
            in_string = true;
            values++;
            in_scalar = false;
            break;
        case ',':
        case ':':
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            in_scalar = false;
            break;
        default:
            /* a number or literal counts once, at its first byte */
            if (!in_scalar)
                values++;
            in_scalar = true;
        }
        if (values > max_values)
            return reg_errorf(REG_ETOOLARGE, "JSON body holds more than %zu values", max_values);
    }
    return REG_OK;
}

enum reg_status
reg_json_parse(struct reg_arena *a, const char *text, size_t len, struct json_object **out)
{
    enum reg_status st = reg_json_prescan(text, len, REG_JSON_MAX_VALUES, REG_JSON_MAX_DEPTH);

    *out = NULL;
    return st == REG_OK ? reg_json_parse_bounded(a, text, len, REG_MAX_BODY, out) : st;
}

enum reg_status
reg_json_parse_bounded(struct reg_arena *a, const char *text, size_t len, size_t max_len,
                       struct json_object **out)
{
    struct json_tokener *tok;
    struct json_object *obj;
    enum json_tokener_error jerr;
    size_t end;

    *out = NULL;
    if (len == 0)
        return reg_errorf(REG_EINVAL, "request body is empty; a JSON document is required");
    if (len > max_len || len > INT32_MAX)
        return reg_errorf(REG_ETOOLARGE, "JSON document exceeds %zu bytes", max_len);
    tok = json_tokener_new_ex(REG_JSON_MAX_DEPTH);
    if (!tok)
        reg_oom();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, text, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* A number or literal at the very end is complete only once something follows it. */
        obj = json_tokener_parse_ex(tok, " ", 1);
        jerr = json_tokener_get_error(tok);
        end = len;
    }
    json_tokener_free(tok);
    if (jerr == json_tokener_continue) {
        json_object_put(obj);
        return reg_errorf(REG_EINVAL, "invalid JSON: unexpected end of input");
    }
    if (jerr != json_tokener_success) {
        json_object_put(obj);
        return reg_errorf(REG_EINVAL, "invalid JSON: %s", json_tokener_error_desc(jerr));
    }
    while (end < len &&
           (text[end] == ' ' || text[end] == '\n' || text[end] == '\r' || text[end] == '\t'))
        end++;
    if (end != len) {
        json_object_put(obj);
        return reg_errorf(REG_EINVAL, "invalid JSON: unexpected data after the document");
    }
    if (!obj)
        return reg_errorf(REG_EINVAL, "invalid JSON: null is not accepted here");
    *out = reg_arena_own_json(a, obj);
    return REG_OK;
}

enum reg_status
reg_json_parse_object(struct reg_arena *a, const char *text, size_t len, struct json_object **out)
{
    enum reg_status st = reg_json_parse(a, text, len, out);

    if (st != REG_OK)
        return st;
    if (!json_object_is_type(*out, json_type_object)) {
        *out = NULL;
        return reg_errorf(REG_EINVAL, "request body must be a JSON object");
    }
    return REG_OK;
}

static enum reg_status
get_typed(struct json_object *obj, const char *key, enum json_type type, const char *type_name,
          bool required, struct json_object **out)
{
    struct json_object *val = NULL;

    *out = NULL;
    if (!json_object_object_get_ex(obj, key, &val) || val == NULL) {
        if (required)
            return reg_errorf(REG_EINVAL, "field '%s' is required", key);
        return REG_OK;
    }
    if (!json_object_is_type(val, type))
        return reg_errorf(REG_EINVAL, "field '%s' must be %s", key, type_name);
    *out = val;
    return REG_OK;
}

/* The string value of val, which must be well-formed UTF-8 without NUL: json-c accepts
 * "\u0000" and overlong or surrogate forms, which would truncate or smuggle characters. */
static enum reg_status
string_value(struct json_object *val, const char *key, const char **out)
{
    const char *s = json_object_get_string(val);

    *out = NULL;
    if (!reg_str_is_utf8(s, (size_t)json_object_get_string_len(val)))
        return reg_errorf(REG_EINVAL, "field '%s' must be valid UTF-8 without NUL characters", key);
    *out = s;
    return REG_OK;
}

enum reg_status
reg_json_get_string(struct json_object *obj, const char *key, const char **out)
{
    struct json_object *val;
    enum reg_status st = get_typed(obj, key, json_type_string, "a string", true, &val);

    *out = NULL;
    return st == REG_OK ? string_value(val, key, out) : st;
}

enum reg_status
reg_json_opt_string(struct json_object *obj, const char *key, const char **out)
{
    struct json_object *val;
    enum reg_status st = get_typed(obj, key, json_type_string, "a string", false, &val);

    *out = NULL;
    return (st == REG_OK && val) ? string_value(val, key, out) : st;
}

enum reg_status
reg_json_get_bool(struct json_object *obj, const char *key, bool *out)
{
    struct json_object *val;
    enum reg_status st = get_typed(obj, key, json_type_boolean, "a boolean", true, &val);

    *out = st == REG_OK && json_object_get_boolean(val);
    return st;
}

enum reg_status
reg_json_opt_int(struct json_object *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
    struct json_object *val;
    enum reg_status st = get_typed(obj, key, json_type_int, "an integer", false, &val);
    int64_t v;

    if (st != REG_OK || !val)
        return st;
    v = json_object_get_int64(val);
    if (v < min || v > max)
        return reg_errorf(REG_EINVAL, "field '%s' must be from %lld to %lld, not %lld", key,
                          (long long)min, (long long)max, (long long)v);
    *out = v;
    return REG_OK;
}

enum reg_status
reg_json_get_object(struct json_object *obj, const char *key, struct json_object **out)
{
    return get_typed(obj, key, json_type_object, "an object", true, out);
}

enum reg_status
reg_json_opt_array(struct json_object *obj, const char *key, struct json_object **out)
{
    return get_typed(obj, key, json_type_array, "an array", false, out);
}

const char *
reg_json_str_of(struct json_object *v)
{
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *
reg_json_str(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v))
        return NULL;
    return reg_json_str_of(v);
}

int64_t
reg_json_int(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return 0;
    return json_object_get_int64(v);
}

const char *
reg_json_text(struct json_object *obj, size_t *len)
{
    return json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

struct json_object *
reg_json_decimal(double v, int decimals)
{
    double scale = pow(10.0, decimals);
    char text[64];
    struct json_object *num;

    /* From 2^53 / scale on, v has no digit left to round at that place, and v * scale could
     * overflow to infinity ("inf" is no JSON) or "%.*f" need more than text holds (1e300 has
     * 301 digits): such v is written whole, in exponent form where it needs one. */
    bool roundable;

    if (!isfinite(v))
        v = 0.0; /* before the test below: NaN compares false, and 0 is written as 0.000 */
    roundable = fabs(v) < 0x1p53 / scale;
    if (roundable)
        v = round(v * scale) / scale;
    if (v == 0.0)
        v = 0.0; /* no "-0.00" */
    if (roundable)
        snprintf(text, sizeof(text), "%.*f", decimals, v);
    else
        snprintf(text, sizeof(text), "%.17g", v);
    num = json_object_new_double_s(v, text);
    if (!num)
        reg_oom();
    return num;
}
