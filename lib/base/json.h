/*
 * json.h - json-c with bounded parsing and typed getters.
 *
 * Ownership: reg_json_parse() hands the parsed root to the arena (released at its cleanup).
 * Getters return borrowed pointers into the object, valid while the object lives.
 * Errors are REG_EINVAL with a detail naming the field ("field 'url' must be a string").
 *
 * json-c, even in strict mode, accepts a few non-JSON forms (NaN, Infinity, single-quoted
 * strings, raw control characters in strings) and UTF-8 that RFC 3629 forbids (overlong forms,
 * surrogates). Nothing reaches the registry unchecked through them: every field is read with
 * a typed getter, and the string getters refuse malformed UTF-8 and NUL characters.
 */
#ifndef REG_BASE_JSON_H
#define REG_BASE_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"

/* Parses exactly one JSON value (valid UTF-8, depth <= REG_JSON_MAX_DEPTH, nothing after it)
 * of at most REG_MAX_BODY bytes (a request body), pre-scanned (reg_json_prescan) against
 * REG_JSON_MAX_VALUES and REG_JSON_MAX_DEPTH before json-c sees it. */
enum reg_status reg_json_parse(struct reg_arena *a, const char *text, size_t len,
                               struct json_object **out);

/* One pass over the raw bytes of a JSON text, without allocating, that refuses it before a
 * parser builds it: more than max_values values (every object, array, string, keys included,
 * number and literal; the bytes of a string, brackets and escapes included, are one value) is
 * REG_ETOOLARGE, nesting deeper than max_depth REG_EINVAL. It does not judge syntax: anything
 * else is REG_OK, malformed text included, and left to the parser. */
enum reg_status reg_json_prescan(const char *text, size_t len, size_t max_values, int max_depth);

/* The same for a document that may be up to max_len bytes (upstream responses), not
 * pre-scanned: upstream documents legitimately hold many values (a file listing). */
enum reg_status reg_json_parse_bounded(struct reg_arena *a, const char *text, size_t len,
                                       size_t max_len, struct json_object **out);

/* Parses a JSON object body; a body of any other JSON type is REG_EINVAL. */
enum reg_status reg_json_parse_object(struct reg_arena *a, const char *text, size_t len,
                                      struct json_object **out);

/* Required fields: absent or of another type is REG_EINVAL. */
enum reg_status reg_json_get_string(struct json_object *obj, const char *key, const char **out);
enum reg_status reg_json_get_bool(struct json_object *obj, const char *key, bool *out);
enum reg_status reg_json_get_object(struct json_object *obj, const char *key,
                                    struct json_object **out);

/* Optional fields: absent (or JSON null) leaves *out NULL and returns REG_OK. */
enum reg_status reg_json_opt_string(struct json_object *obj, const char *key, const char **out);
enum reg_status reg_json_opt_array(struct json_object *obj, const char *key,
                                   struct json_object **out);
/* An optional integer in [min, max]: absent (or null) leaves *out as it was (the caller's
 * default); another type (1.5, "2") or a value out of range is REG_EINVAL naming the field. */
enum reg_status reg_json_opt_int(struct json_object *obj, const char *key, int64_t min, int64_t max,
                                 int64_t *out);

/* Lenient readers for documents from elsewhere (upstream APIs, stores): a field that is absent
 * or of another type reads as NULL or 0. Strings are borrowed from obj. */
const char *reg_json_str(struct json_object *obj, const char *key);
/* v's text when v is a JSON string, else NULL. */
const char *reg_json_str_of(struct json_object *v);
int64_t reg_json_int(struct json_object *obj, const char *key);

/* v rounded to decimals (0..9) places, as a JSON number written exactly so ("0.95",
 * "416.326"); non-finite v is 0, and -0 is 0. A v too large to have such places (2^53 /
 * 10^decimals and over) is written whole ("1.5e+300"). A new reference owned by the caller. */
struct json_object *reg_json_decimal(double v, int decimals);

/* Compact serialisation without escaped slashes; owned by obj. */
const char *reg_json_text(struct json_object *obj, size_t *len);

#endif
