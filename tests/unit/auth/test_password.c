/*
 * test_password.c - PBKDF2-HMAC-SHA256 password records: the record format, verifying right and
 * wrong passwords, fresh salts, malformed records (which never verify), awkward passwords, and
 * the iteration count (refused below 1, part of the record, 600,000 by default).
 *
 * Records here use 1000 iterations to keep the suite fast; only the constant of the default is
 * checked, never derived with.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"

#define ITER 1000
#define PREFIX "pbkdf2-sha256$"
#define SALT_HEX 32
#define HASH_HEX 64

static bool
all_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* A record for password with ITER iterations. */
static void
hash(const char *password, char out[REG_PASSWORD_RECORD_MAX])
{
    memset(out, 0x5a, REG_PASSWORD_RECORD_MAX);
    assert_int_equal(reg_password_hash(password, ITER, out), REG_OK);
    assert_true(strlen(out) < REG_PASSWORD_RECORD_MAX);
}

static void
test_record_format(void **state)
{
    char rec[REG_PASSWORD_RECORD_MAX];
    const char *salt, *h;

    (void)state;
    hash("hunter2", rec);
    /* pbkdf2-sha256$1000$<32 hex>$<64 hex>, nothing more. */
    assert_int_equal(strncmp(rec, PREFIX "1000$", strlen(PREFIX "1000$")), 0);
    salt = rec + strlen(PREFIX "1000$");
    assert_true(all_lower_hex(salt, SALT_HEX));
    assert_int_equal(salt[SALT_HEX], '$');
    h = salt + SALT_HEX + 1;
    assert_true(all_lower_hex(h, HASH_HEX));
    assert_int_equal(h[HASH_HEX], '\0');
    assert_int_equal(strlen(rec), strlen(PREFIX "1000$") + SALT_HEX + 1 + HASH_HEX);

    /* The iteration count is written as given. */
    assert_int_equal(reg_password_hash("hunter2", 1, rec), REG_OK);
    assert_int_equal(strncmp(rec, PREFIX "1$", strlen(PREFIX "1$")), 0);
    assert_true(reg_password_verify("hunter2", rec));
    assert_int_equal(reg_password_hash("hunter2", 12345, rec), REG_OK);
    assert_int_equal(strncmp(rec, PREFIX "12345$", strlen(PREFIX "12345$")), 0);
    assert_true(reg_password_verify("hunter2", rec));
}

/* Records computed independently (Python's hashlib.pbkdf2_hmac, salt 00 01 .. 0f): the
 * format is "<iterations>$<salt as hex>$<first 32 bytes of PBKDF2-HMAC-SHA256 as hex>". */
static void
test_known_records(void **state)
{
    static const char *const rec1000 =
        PREFIX "1000$000102030405060708090a0b0c0d0e0f$"
               "25eb86acc76e43018f18b9a8f90c2fed462d1c799e83d48ae3d7c69046a60b67";
    /* "passwörd" in UTF-8, one iteration. */
    static const char *const rec1 =
        PREFIX "1$000102030405060708090a0b0c0d0e0f$"
               "487b9aa2f2d0c792411ac898f181ddfb982935f19abfb220a4a022189f0522d1";

    (void)state;
    assert_true(reg_password_verify("password", rec1000));
    assert_false(reg_password_verify("Password", rec1000));
    assert_true(reg_password_verify("p\xc3\xa4ssw\xc3\xb6rd", rec1));
    assert_false(reg_password_verify("password", rec1));
    /* The iteration count is part of the derivation. */
    assert_false(reg_password_verify(
        "password", PREFIX "1001$000102030405060708090a0b0c0d0e0f$"
                           "25eb86acc76e43018f18b9a8f90c2fed462d1c799e83d48ae3d7c69046a60b67"));
}

static void
test_verify(void **state)
{
    char rec[REG_PASSWORD_RECORD_MAX];
    static const char *const wrong[] = {
        "",         "hunter",    "hunter22", "Hunter2", "hunter2 ",
        " hunter2", "hunter2\n", "HUNTER2",  "hunter3",
    };
    int bad = 0;

    (void)state;
    hash("hunter2", rec);
    assert_true(reg_password_verify("hunter2", rec));
    /* Verifying twice gives the same answer (no state kept). */
    assert_true(reg_password_verify("hunter2", rec));
    for (int i = 0; i < NELEMS(wrong); i++)
        CHECK(&bad, !reg_password_verify(wrong[i], rec), "'%s' verified against hunter2's record",
              wrong[i]);
    assert_int_equal(bad, 0);
}

static void
test_salt_differs(void **state)
{
    char a[REG_PASSWORD_RECORD_MAX], b[REG_PASSWORD_RECORD_MAX];
    size_t head = strlen(PREFIX "1000$");

    (void)state;
    hash("same password", a);
    hash("same password", b);
    assert_string_not_equal(a, b);
    /* Both the salt and (consequently) the hash differ. */
    assert_memory_not_equal(a + head, b + head, SALT_HEX);
    assert_memory_not_equal(a + head + SALT_HEX + 1, b + head + SALT_HEX + 1, HASH_HEX);
    assert_true(reg_password_verify("same password", a));
    assert_true(reg_password_verify("same password", b));
}

/* The hash part of a record depends on the password, the salt and the iteration count: a
 * record whose iteration field is changed (same salt, same hash) no longer verifies. */
static void
test_iterations_are_bound(void **state)
{
    char rec[REG_PASSWORD_RECORD_MAX], edited[REG_PASSWORD_RECORD_MAX + 8];
    const char *rest;

    (void)state;
    hash("pw", rec);
    rest = rec + strlen(PREFIX "1000");
    snprintf(edited, sizeof(edited), PREFIX "1001%s", rest);
    assert_false(reg_password_verify("pw", edited));
    snprintf(edited, sizeof(edited), PREFIX "999%s", rest);
    assert_false(reg_password_verify("pw", edited));
    snprintf(edited, sizeof(edited), PREFIX "1%s", rest);
    assert_false(reg_password_verify("pw", edited));
    snprintf(edited, sizeof(edited), PREFIX "1000%s", rest);
    assert_true(reg_password_verify("pw", edited));
}

/* Replaces n characters of rec at pos with with (a string of any length) into out. */
static const char *
splice(char *out, size_t cap, const char *rec, size_t pos, size_t n, const char *with)
{
    int len = snprintf(out, cap, "%.*s%s%s", (int)pos, rec, with, rec + pos + n);

    assert_true(len >= 0 && (size_t)len < cap);
    return out;
}

static void
test_malformed_records(void **state)
{
    char rec[REG_PASSWORD_RECORD_MAX];
    char cases[64][2 * REG_PASSWORD_RECORD_MAX + 64];
    const char *desc[64];
    size_t it = strlen(PREFIX);           /* start of the iteration count */
    size_t salt = strlen(PREFIX "1000$"); /* start of the salt */
    size_t h = salt + SALT_HEX + 1;       /* start of the hash */
    size_t end = h + HASH_HEX;            /* the terminating NUL */
    const size_t cap = sizeof(cases[0]);
    int n = 0, bad = 0;

    (void)state;
    hash("pw", rec);
    assert_true(reg_password_verify("pw", rec));
    assert_int_equal(strlen(rec), end);

#define CASE(d, expr)                                                                              \
    do {                                                                                           \
        desc[n] = (d);                                                                             \
        (expr);                                                                                    \
        n++;                                                                                       \
    } while (0)
    /* Prefix. */
    CASE("empty record", snprintf(cases[n], cap, "%s", ""));
    CASE("prefix only", snprintf(cases[n], cap, "%s", PREFIX));
    CASE("no prefix", snprintf(cases[n], cap, "%s", rec + it));
    CASE("pbkdf2-sha1", splice(cases[n], cap, rec, 0, it, "pbkdf2-sha1$"));
    CASE("pbkdf2-sha512", splice(cases[n], cap, rec, 0, it, "pbkdf2-sha512$"));
    CASE("upper-case prefix", splice(cases[n], cap, rec, 0, it, "PBKDF2-SHA256$"));
    CASE("prefix without $", splice(cases[n], cap, rec, 0, it, "pbkdf2-sha256"));
    CASE("prefix with : for $", splice(cases[n], cap, rec, 0, it, "pbkdf2-sha256:"));
    CASE("leading space", splice(cases[n], cap, rec, 0, 0, " "));
    /* Iterations. */
    CASE("iterations 0", splice(cases[n], cap, rec, it, 4, "0"));
    CASE("iterations 0000", splice(cases[n], cap, rec, it, 4, "0000"));
    CASE("iterations -1000", splice(cases[n], cap, rec, it, 4, "-1000"));
    CASE("iterations -1", splice(cases[n], cap, rec, it, 4, "-1"));
    CASE("iterations empty", splice(cases[n], cap, rec, it, 4, ""));
    CASE("iterations abc", splice(cases[n], cap, rec, it, 4, "abc"));
    CASE("iterations 1000x", splice(cases[n], cap, rec, it, 4, "1000x"));
    CASE("iterations 1e3", splice(cases[n], cap, rec, it, 4, "1e3"));
    CASE("iterations 0x3e8", splice(cases[n], cap, rec, it, 4, "0x3e8"));
    CASE("iterations 1000.0", splice(cases[n], cap, rec, it, 4, "1000.0"));
    CASE("iterations 100000001 (above the cap)", splice(cases[n], cap, rec, it, 4, "100000001"));
    CASE("iterations 2^31", splice(cases[n], cap, rec, it, 4, "2147483648"));
    CASE("iterations 2^32 + 1000", splice(cases[n], cap, rec, it, 4, "4294968296"));
    CASE("iterations 2^63", splice(cases[n], cap, rec, it, 4, "9223372036854775808"));
    CASE("iterations 20 digits", splice(cases[n], cap, rec, it, 4, "99999999999999999999"));
    CASE("missing $ after iterations", splice(cases[n], cap, rec, salt - 1, 1, ""));
    /* Salt. */
    CASE("salt with g", splice(cases[n], cap, rec, salt + 5, 1, "g"));
    CASE("salt with space", splice(cases[n], cap, rec, salt, 1, " "));
    CASE("salt with NUL-free junk", splice(cases[n], cap, rec, salt + 31, 1, "z"));
    CASE("salt 31 hex", splice(cases[n], cap, rec, salt, 1, ""));
    CASE("salt 30 hex", splice(cases[n], cap, rec, salt, 2, ""));
    CASE("salt 33 hex", splice(cases[n], cap, rec, salt, 0, "a"));
    CASE("salt 34 hex", splice(cases[n], cap, rec, salt, 0, "ab"));
    CASE("salt empty", splice(cases[n], cap, rec, salt, SALT_HEX, ""));
    CASE("missing $ after salt", splice(cases[n], cap, rec, h - 1, 1, ""));
    CASE("extra $ after salt", splice(cases[n], cap, rec, h - 1, 0, "$"));
    /* Hash. */
    CASE("hash with g", splice(cases[n], cap, rec, h + 10, 1, "g"));
    CASE("hash with -", splice(cases[n], cap, rec, h + 63, 1, "-"));
    CASE("hash 63 hex", splice(cases[n], cap, rec, end - 1, 1, ""));
    CASE("hash 62 hex", splice(cases[n], cap, rec, end - 2, 2, ""));
    CASE("hash 65 hex", splice(cases[n], cap, rec, end, 0, "0"));
    CASE("hash 66 hex", splice(cases[n], cap, rec, end, 0, "00"));
    CASE("hash 128 hex", splice(cases[n], cap, rec, end, 0, rec + h));
    CASE("hash empty", splice(cases[n], cap, rec, h, HASH_HEX, ""));
    CASE("record cut after the salt", splice(cases[n], cap, rec, h, HASH_HEX, ""));
    CASE("record cut inside the salt", snprintf(cases[n], cap, "%.*s", (int)(salt + 10), rec));
    /* Trailing data. */
    CASE("trailing $", splice(cases[n], cap, rec, end, 0, "$"));
    CASE("trailing $extra", splice(cases[n], cap, rec, end, 0, "$extra"));
    CASE("trailing space", splice(cases[n], cap, rec, end, 0, " "));
    CASE("trailing newline", splice(cases[n], cap, rec, end, 0, "\n"));
    CASE("record twice", splice(cases[n], cap, rec, end, 0, rec));
    /* Parts swapped or reordered. */
    CASE("hash before salt",
         snprintf(cases[n], cap, PREFIX "1000$%.*s$%.*s", HASH_HEX, rec + h, SALT_HEX, rec + salt));
#undef CASE
    assert_true(n <= NELEMS(cases));
    for (int i = 0; i < n; i++)
        CHECK(&bad, !reg_password_verify("pw", cases[i]), "malformed record verified (%s): '%s'",
              desc[i], cases[i]);
    /* And the original is still fine. */
    CHECK(&bad, reg_password_verify("pw", rec), "the untouched record no longer verifies");
    assert_int_equal(bad, 0);
}

/* Each single hex digit of the salt or hash changed to another hex digit: no match. */
static void
test_every_digit_matters(void **state)
{
    char rec[REG_PASSWORD_RECORD_MAX], edited[REG_PASSWORD_RECORD_MAX];
    size_t salt = strlen(PREFIX "1000$");
    size_t end = strlen(PREFIX "1000$") + SALT_HEX + 1 + HASH_HEX;
    int bad = 0;

    (void)state;
    hash("pw", rec);
    for (size_t i = salt; i < end; i++) {
        if (rec[i] == '$')
            continue;
        memcpy(edited, rec, sizeof(rec));
        edited[i] = rec[i] == '0' ? '1' : '0';
        CHECK(&bad, !reg_password_verify("pw", edited), "changing digit %zu still verifies", i);
    }
    assert_int_equal(bad, 0);
}

static void
test_awkward_passwords(void **state)
{
    static const char *const passwords[] = {
        /* The default admin password, with its quote, double quote and backtick. */
        "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;",
        "'; DROP TABLE users; --",
        "\" OR \"1\"=\"1",
        "`rm -rf /`",
        "$(reboot)",
        "pbkdf2-sha256$1000$abc$def",
        "$$$$",
        "back\\slash",
        "%s%s%n",
        "tab\tand\nnewline",
        "p\xc3\xa4ssw\xc3\xb6rd",           /* passwörd */
        "\xe5\xaf\x86\xe7\xa0\x81",         /* 密码 */
        "\xf0\x9f\x94\x91\xf0\x9f\x90\xb4", /* two emoji */
        "\xff\xfe not UTF-8",
        " ",
        "a",
    };
    char rec[REG_PASSWORD_RECORD_MAX];
    char long_pw[1025];
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(passwords); i++) {
        hash(passwords[i], rec);
        CHECK(&bad, reg_password_verify(passwords[i], rec), "password %d does not verify", i);
        for (int j = 0; j < NELEMS(passwords); j++)
            if (j != i)
                CHECK(&bad, !reg_password_verify(passwords[j], rec),
                      "password %d verifies against the record of %d", j, i);
    }
    /* A long password (PBKDF2 hashes HMAC keys longer than a block first). */
    memset(long_pw, 'x', sizeof(long_pw) - 1);
    long_pw[sizeof(long_pw) - 1] = '\0';
    hash(long_pw, rec);
    CHECK(&bad, reg_password_verify(long_pw, rec), "a 1024-byte password does not verify");
    long_pw[1023] = 'y';
    CHECK(&bad, !reg_password_verify(long_pw, rec), "the last byte of a long password is ignored");
    assert_int_equal(bad, 0);
}

static void
test_empty_password(void **state)
{
    char rec[REG_PASSWORD_RECORD_MAX];

    (void)state;
    /* The hash function itself takes any string (users.c refuses empty ones earlier). */
    hash("", rec);
    assert_true(reg_password_verify("", rec));
    assert_false(reg_password_verify(" ", rec));
    assert_false(reg_password_verify("x", rec));
}

static void
test_iterations_refused(void **state)
{
    char rec[REG_PASSWORD_RECORD_MAX];
    static const int refused[] = {0, -1, -600000, -2147483647 - 1};

    (void)state;
    for (int i = 0; i < NELEMS(refused); i++) {
        strcpy(rec, "untouched");
        assert_int_equal(reg_password_hash("pw", refused[i], rec), REG_EINVAL);
        assert_true(strlen(reg_error_detail()) > 0);
    }
}

static void
test_default_iterations(void **state)
{
    (void)state;
    assert_int_equal(REG_PASSWORD_ITERATIONS, 600000);
    /* The longest record (iteration count of ten digits) fits the buffer. */
    assert_true(strlen(PREFIX "2147483647$") + SALT_HEX + 1 + HASH_HEX < REG_PASSWORD_RECORD_MAX);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_format),
        cmocka_unit_test(test_known_records),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_salt_differs),
        cmocka_unit_test(test_iterations_are_bound),
        cmocka_unit_test(test_malformed_records),
        cmocka_unit_test(test_every_digit_matters),
        cmocka_unit_test(test_awkward_passwords),
        cmocka_unit_test(test_empty_password),
        cmocka_unit_test(test_iterations_refused),
        cmocka_unit_test(test_default_iterations),
    };

    return cmocka_run_group_tests_name("auth/password", tests, NULL, NULL);
}
