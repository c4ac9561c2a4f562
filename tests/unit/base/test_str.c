/*
 * test_str.c - percent-decoding, query-string lookup, the printable-UTF-8 check and the plain
 * host[:port] check, as tables; copying a setting that may be unset.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "arena_fixture.h"
#include "base/limits.h"
#include "base/str.h"

/* A value *out must not keep after a call. */
static char sentinel[] = "untouched";

struct decode_case {
    const char *in;
    bool plus_is_space;
    enum reg_status want;
    const char *out; /* when REG_OK */
};

static const struct decode_case decode_cases[] = {
    {"", false, REG_OK, ""},
    {"plain", false, REG_OK, "plain"},
    {"%20", false, REG_OK, " "},
    {"a%20b", false, REG_OK, "a b"},
    {"%2F", false, REG_OK, "/"},
    {"%2f", false, REG_OK, "/"},
    {"a%2Fb%2fc", false, REG_OK, "a/b/c"},
    {"%41%42%43", false, REG_OK, "ABC"},
    {"%e2%82%AC", false, REG_OK, "\xe2\x82\xac"},
    {"%25", false, REG_OK, "%"},
    {"%2525", false, REG_OK, "%25"},
    {"%FF", false, REG_OK, "\xff"},
    {"a+b", false, REG_OK, "a+b"},
    {"a+b", true, REG_OK, "a b"},
    {"%2B", true, REG_OK, "+"},
    {"++", true, REG_OK, "  "},
    {"%", false, REG_EINVAL, NULL},
    {"%2", false, REG_EINVAL, NULL},
    {"abc%", false, REG_EINVAL, NULL},
    {"abc%4", false, REG_EINVAL, NULL},
    {"%zz", false, REG_EINVAL, NULL},
    {"%g0", false, REG_EINVAL, NULL},
    {"%0g", false, REG_EINVAL, NULL},
    {"%-1", false, REG_EINVAL, NULL},
    {"% 1", false, REG_EINVAL, NULL},
    {"%00", false, REG_EINVAL, NULL},
    {"a%00b", true, REG_EINVAL, NULL},
    {"ok%2", true, REG_EINVAL, NULL},
};

static void
test_percent_decode(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(decode_cases); i++) {
        const struct decode_case *c = &decode_cases[i];
        char *out = sentinel;
        enum reg_status st =
            reg_str_percent_decode(a, c->in, strlen(c->in), c->plus_is_space, &out);
        CHECK(&bad, st == c->want, "decode '%s' (plus %d): status %d, want %d", c->in,
              c->plus_is_space, st, c->want);
        if (st == REG_OK && c->want == REG_OK)
            CHECK(&bad, out && strcmp(out, c->out) == 0, "decode '%s': '%s', want '%s'", c->in,
                  out ? out : "(null)", c->out);
        if (st != REG_OK) {
            CHECK(&bad, out == NULL, "decode '%s' failed but *out is not NULL", c->in);
            CHECK(&bad, strlen(reg_error_detail()) > 0, "decode '%s': no detail", c->in);
        }
    }
    assert_int_equal(bad, 0);
}

static void
test_percent_decode_bounded(void **state)
{
    struct reg_arena *a = *state;
    char *out;

    /* Only s[0..n) is read: a prefix ending in a complete escape, and one cutting it. */
    assert_int_equal(reg_str_percent_decode(a, "ab%20cd", 5, false, &out), REG_OK);
    assert_string_equal(out, "ab ");
    assert_int_equal(reg_str_percent_decode(a, "ab%20cd", 4, false, &out), REG_EINVAL);
    assert_int_equal(reg_str_percent_decode(a, "ab%20cd", 2, false, &out), REG_OK);
    assert_string_equal(out, "ab");
    assert_int_equal(reg_str_percent_decode(a, "xyz", 0, false, &out), REG_OK);
    assert_string_equal(out, "");
}

struct query_case {
    const char *query;
    const char *name;
    enum reg_status want;
    const char *value; /* NULL: absent */
};

static const struct query_case query_cases[] = {
    {"a=1&b=2", "a", REG_OK, "1"},
    {"a=1&b=2", "b", REG_OK, "2"},
    {"a=1&b=2", "c", REG_OK, NULL},
    {"", "a", REG_OK, NULL},
    {"a", "a", REG_OK, ""},
    {"a=", "a", REG_OK, ""},
    {"flag&x=1", "flag", REG_OK, ""},
    {"ab=1&a=2", "a", REG_OK, "2"},
    {"a=1&ab=2", "ab", REG_OK, "2"},
    {"aa=1", "a", REG_OK, NULL},
    {"a=1&a=2", "a", REG_OK, "1"},
    {"a=b=c", "a", REG_OK, "b=c"},
    {"=x&a=3", "a", REG_OK, "3"},
    {"&&a=3&", "a", REG_OK, "3"},
    {"name=hello%20world", "name", REG_OK, "hello world"},
    {"q=a+b", "q", REG_OK, "a b"},
    {"q=a%2Bb", "q", REG_OK, "a+b"},
    {"q=%2F%3F%26", "q", REG_OK, "/?&"},
    {"offset=100&limit=5", "offset", REG_OK, "100"},
    {"q=%zz", "q", REG_EINVAL, NULL},
    {"q=%00", "q", REG_EINVAL, NULL},
    {"x=%zz&q=1", "q", REG_OK, "1"},
};

static void
test_query_param(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(query_cases); i++) {
        const struct query_case *c = &query_cases[i];
        char *out = sentinel;
        enum reg_status st = reg_str_query_param(a, c->query, c->name, &out);
        CHECK(&bad, st == c->want, "query '%s' [%s]: status %d, want %d", c->query, c->name, st,
              c->want);
        if (c->value == NULL)
            CHECK(&bad, out == NULL, "query '%s' [%s]: '%s', want absent", c->query, c->name,
                  out ? out : "");
        else
            CHECK(&bad, out && strcmp(out, c->value) == 0, "query '%s' [%s]: '%s', want '%s'",
                  c->query, c->name, out ? out : "(null)", c->value);
    }
    assert_int_equal(bad, 0);
}

static void
test_query_param_null_query(void **state)
{
    struct reg_arena *a = *state;
    char *out = sentinel;

    assert_int_equal(reg_str_query_param(a, NULL, "a", &out), REG_OK);
    assert_null(out);
}

struct utf8_case {
    const char *s;
    bool want;
    const char *what;
};

static const struct utf8_case utf8_cases[] = {
    {"", true, "empty"},
    {"hello world", true, "ASCII with a space"},
    {"~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./", true, "ASCII punctuation"},
    {"h\xc3\xa9llo", true, "2-byte e-acute"},
    {"\xc2\xa0", true, "U+00A0, first printable after C1"},
    {"\xe2\x82\xac", true, "3-byte euro sign"},
    {"\xe4\xb8\xad\xe6\x96\x87", true, "CJK"},
    {"\xf0\x9f\x98\x80", true, "4-byte emoji"},
    {"\xf4\x8f\xbf\xbf", true, "U+10FFFF"},
    {"\xef\xbf\xbd", true, "U+FFFD"},
    {"\x01", false, "SOH"},
    {"\t", false, "tab"},
    {"a\nb", false, "newline"},
    {"\r", false, "carriage return"},
    {"\x1f", false, "unit separator"},
    {"\x7f", false, "DEL"},
    {"\x80", false, "lone continuation byte"},
    {"\xbf", false, "lone continuation byte"},
    {"\xc0\xaf", false, "overlong 2-byte '/'"},
    {"\xc1\xbf", false, "overlong 2-byte"},
    {"\xc3", false, "truncated 2-byte"},
    {"\xc3x", false, "2-byte with a bad continuation"},
    {"\xe2\x82", false, "truncated 3-byte"},
    {"\xe2x\xac", false, "3-byte with a bad continuation"},
    {"\xf0\x9f\x98", false, "truncated 4-byte"},
    {"\xf5\x80\x80\x80", false, "lead byte F5"},
    {"\xf8\x88\x80\x80\x80", false, "5-byte form"},
    {"\xfe", false, "FE"},
    {"\xff", false, "FF"},
};

static void
test_printable_utf8(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(utf8_cases); i++) {
        const struct utf8_case *c = &utf8_cases[i];
        bool got = reg_str_is_printable_utf8(c->s);
        CHECK(&bad, got == c->want, "printable_utf8(%s): %d, want %d", c->what, got, c->want);
    }
    assert_int_equal(bad, 0);
}

/* Byte sequences that are not UTF-8 by RFC 3629 section 4: overlong forms, UTF-16
 * surrogates, code points past U+10FFFF. */
static const struct utf8_case utf8_strict_cases[] = {
    {"\xe0\x80\xaf", false, "overlong 3-byte '/' (E0 80 AF)"},
    {"\xe0\x9f\xbf", false, "overlong 3-byte U+07FF (E0 9F BF)"},
    {"\xed\xa0\x80", false, "UTF-16 surrogate U+D800 (ED A0 80)"},
    {"\xed\xbf\xbf", false, "UTF-16 surrogate U+DFFF (ED BF BF)"},
    {"\xf0\x80\x80\xaf", false, "overlong 4-byte '/' (F0 80 80 AF)"},
    {"\xf0\x8f\xbf\xbf", false, "overlong 4-byte U+FFFF (F0 8F BF BF)"},
    {"\xf4\x90\x80\x80", false, "U+110000, past the last code point (F4 90 80 80)"},
};

/* C1 control characters, U+0080..U+009F (Unicode category Cc, like C0 and DEL). */
static const struct utf8_case utf8_c1_cases[] = {
    {"\xc2\x80", false, "C1 control U+0080 (C2 80)"},
    {"\xc2\x85", false, "C1 control NEL U+0085 (C2 85)"},
    {"\xc2\x9f", false, "C1 control U+009F (C2 9F)"},
};

static void
test_printable_utf8_strict(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(utf8_strict_cases); i++) {
        const struct utf8_case *c = &utf8_strict_cases[i];
        bool got = reg_str_is_printable_utf8(c->s);
        CHECK(&bad, got == c->want, "printable_utf8(%s): %d, want %d", c->what, got, c->want);
    }
    assert_int_equal(bad, 0);
}

static void
test_printable_utf8_c1_controls(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(utf8_c1_cases); i++) {
        const struct utf8_case *c = &utf8_c1_cases[i];
        bool got = reg_str_is_printable_utf8(c->s);
        CHECK(&bad, got == c->want, "printable_utf8(%s): %d, want %d", c->what, got, c->want);
    }
    assert_int_equal(bad, 0);
}

/* A copy of its own for a set value; NULL for an unset one (NULL or ""). */
static void
test_dup_nonempty(void **state)
{
    static const char value[] = "us-east-1";
    char *copy = reg_str_dup_nonempty(value);

    (void)state;
    assert_non_null(copy);
    assert_ptr_not_equal(copy, value);
    assert_string_equal(copy, value);
    free(copy);
    assert_null(reg_str_dup_nonempty(""));
    assert_null(reg_str_dup_nonempty(NULL));
}

struct host_case {
    const char *in;
    bool want;
};

static const struct host_case host_cases[] = {
    {"localhost", true},
    {"127.0.0.1", true},
    {"127.0.0.1:8080", true},
    {"registry.example.com", true},
    {"Registry-1.Example.COM:443", true},
    {"[::1]", true},
    {"[::1]:8080", true},
    {"[2001:db8::7]:1", true},
    {"[::ffff:10.0.0.1]", true},
    {"x:65535", true},
    /* Anything else a Host header may carry. */
    {"", false},
    {"evil.example/x?y", false},
    {"evil.example x", false},
    {" evil.example", false},
    {"evil.example\t", false},
    {"user@evil.example", false},
    {"evil.example:80@x", false},
    {"evil.example:", false},
    {"evil.example:0", false},
    {"evil.example:65536", false},
    {"evil.example:123456", false},
    {"evil.example:8o", false},
    {"evil.example:80:80", false},
    {"evil.example#x", false},
    {"evil.example%2f", false},
    {"evil_example", false},
    {"-evil.example", false},
    {".evil.example", false},
    {"[::1]evil", false},
    {"[::1", false},
    {"[]", false},
    {"[:]", false},
    {"[1.2.3.4]", false},
    {"[::1]:", false},
    {"[fe80::1%25eth0]", false},
    {"\"quoted\"", false},
    {"a\r\nX-Injected: 1", false},
};

static void
test_host_port(void **state)
{
    char longest[REG_HOST_MAX + 2];
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(host_cases); i++)
        CHECK(&bad, reg_str_is_host_port(host_cases[i].in) == host_cases[i].want,
              "host '%s': want %d", host_cases[i].in, host_cases[i].want);
    assert_int_equal(bad, 0);
    assert_false(reg_str_is_host_port(NULL));
    memset(longest, 'h', REG_HOST_MAX);
    longest[REG_HOST_MAX] = '\0';
    assert_true(reg_str_is_host_port(longest));
    longest[REG_HOST_MAX] = 'h';
    longest[REG_HOST_MAX + 1] = '\0';
    assert_false(reg_str_is_host_port(longest));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_percent_decode, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_percent_decode_bounded, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_query_param, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_query_param_null_query, arena_setup, arena_teardown),
        cmocka_unit_test(test_printable_utf8),
        cmocka_unit_test(test_printable_utf8_strict),
        cmocka_unit_test(test_printable_utf8_c1_controls),
        cmocka_unit_test(test_dup_nonempty),
        cmocka_unit_test(test_host_port),
    };
    return cmocka_run_group_tests_name("base/str", tests, NULL, NULL);
}
