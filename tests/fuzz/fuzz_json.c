/*
 * fuzz_json.c - libFuzzer harness of the JSON reader (lib/base/json.c): the input is a request
 * body. Properties checked:
 *   - a body reg_json_parse accepts stays within its limits (nesting depth REG_JSON_MAX_DEPTH,
 *     REG_JSON_MAX_VALUES values), and the bounded parser refuses it one byte under its size;
 *   - serialising (reg_json_text) and parsing again is a fixed point: the text parses under the
 *     same limits and serialises to itself;
 *   - reg_json_parse_object accepts exactly the bodies that parse to an object;
 *   - the typed getters on every member: a string they hand out is UTF-8 without NUL, an
 *     integer is in the range asked for, and they agree with the lenient readers;
 *   - every number written by reg_json_decimal, at every precision, is JSON that parses back
 *     to the rounded value.
 * Built with -fsanitize=fuzzer,address,undefined by `make fuzz`, and without libFuzzer by
 * tests/fuzz/replay.c (make check replays tests/fuzz/corpus/json).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"
#include "base/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_json: %s\n", what);
        abort();
    }
}

/* Counts the values of v (keys included, as the prescan counts them) and its depth. */
static void
measure(struct json_object *v, int depth, size_t *values, int *max_depth)
{
    (*values)++;
    if (depth > *max_depth)
        *max_depth = depth;
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, member)
        {
            (void)key;
            (*values)++;
            measure(member, depth + 1, values, max_depth);
        }
    } else if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            measure(json_object_array_get_idx(v, i), depth + 1, values, max_depth);
    }
}

/* reg_json_decimal(v, d) must be a JSON number within half a unit of the d-th decimal of v. */
static void
check_decimal(struct reg_arena *a, double v)
{
    for (int d = 0; d <= 9; d++) {
        struct json_object *num = reg_json_decimal(v, d), *back;
        size_t len;
        const char *text = reg_json_text(num, &len);
        double want = isfinite(v) ? v : 0.0, got;

        check(reg_json_parse_bounded(a, text, len, 64, &back) == REG_OK,
              "reg_json_decimal wrote no JSON number");
        check(json_object_is_type(back, json_type_double) ||
                  json_object_is_type(back, json_type_int),
              "reg_json_decimal's text is not a number");
        got = json_object_get_double(back);
        check(fabs(got - want) <= 0.5 * pow(10.0, -d) + fabs(want) * 1e-15,
              "reg_json_decimal is off by more than its rounding");
        json_object_put(num);
    }
}

static void
check_getters(struct reg_arena *a, struct json_object *obj)
{
    json_object_object_foreach(obj, key, member)
    {
        const char *s;
        int64_t n = -7;

        if (reg_json_get_string(obj, key, &s) == REG_OK)
            check(reg_str_is_utf8(s, strlen(s)) &&
                      strlen(s) == (size_t)json_object_get_string_len(member) &&
                      reg_json_str(obj, key) == s,
                  "a string the getter accepted is not UTF-8 without NUL");
        else
            check(s == NULL, "a refused string was handed out");
        if (reg_json_opt_int(obj, key, -5, 5, &n) == REG_OK)
            check(member == NULL || (n >= -5 && n <= 5 && n == reg_json_int(obj, key)),
                  "an integer out of its range was accepted");
        if (member && json_object_is_type(member, json_type_double))
            check_decimal(a, json_object_get_double(member));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object *doc, *again, *obj;
    struct reg_arena a;
    const char *text = (const char *)data;
    const char *out, *out2;
    size_t len, len2, values = 0;
    int depth = 0;

    reg_arena_init(&a);
    if (reg_json_parse(&a, text, size, &doc) == REG_OK) {
        measure(doc, 1, &values, &depth);
        check(depth <= REG_JSON_MAX_DEPTH && values <= REG_JSON_MAX_VALUES,
              "a parsed body exceeds the limits");
        check(reg_json_parse_bounded(&a, text, size, size - 1, &again) == REG_ETOOLARGE,
              "the bounded parser took a body over its bound");
        out = reg_json_text(doc, &len);
        check(reg_json_parse(&a, out, len, &again) == REG_OK, "serialised JSON does not parse");
        out2 = reg_json_text(again, &len2);
        check(len == len2 && memcmp(out, out2, len) == 0, "serialising is not a fixed point");
        check((reg_json_parse_object(&a, text, size, &obj) == REG_OK) ==
                  json_object_is_type(doc, json_type_object),
              "parse_object disagrees with the parsed type");
        if (json_object_is_type(doc, json_type_object))
            check_getters(&a, doc);
        else if (json_object_is_type(doc, json_type_double))
            check_decimal(&a, json_object_get_double(doc));
    } else {
        check(reg_json_parse_object(&a, text, size, &obj) != REG_OK,
              "parse_object took a body parse refused");
    }
    reg_arena_cleanup(&a);
    return 0;
}
