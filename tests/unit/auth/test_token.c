/*
 * test_token.c - signed access tokens "<id>.<expires>.<user hex>.<mac>": the round trip, the
 * shape of a token, expiry, tampering with any part, a wrong secret, malformed shapes (also
 * ones that carry a valid signature, built here with OpenSSL's HMAC), user names that need the
 * hex encoding, and fresh ids.
 */
#include "unit.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"

#define NOW ((int64_t)1764133348) /* 2025-11-26T05:02:28Z */
#define LATER (NOW + 3600)

static const unsigned char secret[REG_SECRET_BYTES] = "0123456789abcdef0123456789abcdef";
static const unsigned char other_secret[REG_SECRET_BYTES] = "0123456789abcdef0123456789abcdeF";

static int
setup(void **state)
{
    struct reg_arena *a = calloc(1, sizeof(*a));

    assert_non_null(a);
    reg_arena_init(a);
    *state = a;
    return 0;
}

static int
teardown(void **state)
{
    reg_arena_cleanup(*state);
    free(*state);
    return 0;
}

static struct reg_token_claims
claims_of(const char *id, int64_t expires_at, const char *user)
{
    struct reg_token_claims c;

    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "%s", id);
    c.expires_at = expires_at;
    snprintf(c.user, sizeof(c.user), "%s", user);
    return c;
}

#define ID "00112233445566778899aabbccddeeff"

static const char *
sign(struct reg_arena *a, int64_t expires_at, const char *user)
{
    struct reg_token_claims c = claims_of(ID, expires_at, user);
    const char *t = reg_token_sign(a, secret, &c);

    assert_non_null(t);
    return t;
}

static bool
is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static void
hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    out[2 * n] = '\0';
}

/* body + "." + HMAC-SHA256(key, body) in hex: a token signed independently of token.c. */
static const char *
signed_body(struct reg_arena *a, const unsigned char key[REG_SECRET_BYTES], const char *body)
{
    unsigned char mac[32];
    unsigned int len = 0;
    char mac_hex[65];

    assert_non_null(HMAC(EVP_sha256(), key, REG_SECRET_BYTES, (const unsigned char *)body,
                         strlen(body), mac, &len));
    assert_int_equal(len, 32);
    hex(mac, 32, mac_hex);
    return reg_arena_sprintf(a, "%s.%s", body, mac_hex);
}

static enum reg_status
verify(const char *token, struct reg_token_claims *out)
{
    return reg_token_verify(secret, token, NOW, out);
}

static void
test_round_trip(void **state)
{
    struct reg_arena *a = *state;
    struct reg_token_claims c = claims_of(ID, LATER, "alice"), got;
    const char *t = reg_token_sign(a, secret, &c);

    memset(&got, 0x5a, sizeof(got));
    assert_int_equal(verify(t, &got), REG_OK);
    assert_string_equal(got.id, ID);
    assert_true(got.expires_at == LATER);
    assert_string_equal(got.user, "alice");
    /* Signing is deterministic: the same claims, the same token. */
    assert_string_equal(reg_token_sign(a, secret, &c), t);
    /* The signature is the one HMAC-SHA256 gives over everything before the last dot. */
    {
        const char *last_dot = strrchr(t, '.');
        char *body = reg_arena_strndup(a, t, (size_t)(last_dot - t));
        assert_string_equal(signed_body(a, secret, body), t);
    }
    /* A token verifies as often as asked (use counting is the store's business). */
    for (int i = 0; i < 3; i++)
        assert_int_equal(verify(t, &got), REG_OK);
}

static void
test_shape(void **state)
{
    struct reg_arena *a = *state;
    const char *t = sign(a, LATER, "alice");
    char want[256];

    /* id . expires . hex("alice") . 64 hex */
    snprintf(want, sizeof(want), "%s.%lld.%s.", ID, (long long)LATER, "616c696365");
    assert_int_equal(strncmp(t, want, strlen(want)), 0);
    assert_int_equal(strlen(t), strlen(want) + 64);
    assert_true(is_lower_hex(t + strlen(want), 64));
    /* Other secrets give other signatures over the same body. */
    {
        struct reg_token_claims c = claims_of(ID, LATER, "alice");
        const char *t2 = reg_token_sign(a, other_secret, &c);
        assert_int_equal(strncmp(t2, want, strlen(want)), 0);
        assert_string_not_equal(t2, t);
    }
}

static void
test_expiry(void **state)
{
    struct reg_arena *a = *state;
    struct reg_token_claims got;

    assert_int_equal(reg_token_verify(secret, sign(a, NOW + 1, "bob"), NOW, &got), REG_OK);
    /* expires_at <= now: expired. */
    assert_int_equal(reg_token_verify(secret, sign(a, NOW, "bob"), NOW, &got), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "expired"));
    assert_int_equal(reg_token_verify(secret, sign(a, NOW - 1, "bob"), NOW, &got), REG_EAUTH);
    assert_int_equal(reg_token_verify(secret, sign(a, 0, "bob"), NOW, &got), REG_EAUTH);
    assert_int_equal(reg_token_verify(secret, sign(a, -1, "bob"), NOW, &got), REG_EAUTH);
    /* The same token, checked at different times. */
    {
        const char *t = sign(a, NOW + 10, "bob");
        assert_int_equal(reg_token_verify(secret, t, NOW + 9, &got), REG_OK);
        assert_int_equal(reg_token_verify(secret, t, NOW + 10, &got), REG_EAUTH);
        assert_int_equal(reg_token_verify(secret, t, NOW + 11, &got), REG_EAUTH);
        assert_int_equal(reg_token_verify(secret, t, INT64_MAX, &got), REG_EAUTH);
    }
    /* The extremes of expires_at survive the round trip. */
    assert_int_equal(reg_token_verify(secret, sign(a, INT64_MAX, "bob"), NOW, &got), REG_OK);
    assert_true(got.expires_at == INT64_MAX);
    assert_int_equal(reg_token_verify(secret, sign(a, INT64_MIN, "bob"), INT64_MIN, &got),
                     REG_EAUTH);
}

static const char *
repeat(struct reg_arena *a, char c, size_t n)
{
    char *s = reg_arena_alloc(a, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Replaces the character at pos of t by c. */
static const char *
with_char(struct reg_arena *a, const char *t, size_t pos, char c)
{
    char *s = reg_arena_strdup(a, t);

    s[pos] = c;
    return s;
}

/* A hex (or decimal) digit other than c, so that the shape stays valid. */
static char
other_digit(char c)
{
    return c == '0' ? '1' : '0';
}

static void
test_tamper_each_part(void **state)
{
    struct reg_arena *a = *state;
    const char *t = sign(a, LATER, "alice");
    const char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.'), *dot3 = strrchr(t, '.');
    struct reg_token_claims got;
    int bad = 0;

    /* Every single character replaced by another digit: never accepted, whichever part it is
     * in (id, expires, user hex, mac). */
    for (size_t i = 0; t[i]; i++) {
        if (t[i] == '.')
            continue;
        CHECK(&bad, verify(with_char(a, t, i, other_digit(t[i])), &got) == REG_EAUTH,
              "changing character %zu of %s was accepted", i, t);
    }
    /* Upper-case hex digits decode to the same bytes but are other text: refused. */
    CHECK(&bad, verify(with_char(a, t, 20, 'A'), &got) == REG_EAUTH, "upper-case id accepted");
    CHECK(&bad, verify(with_char(a, t, (size_t)(dot2 - t) + 2, 'C'), &got) == REG_EAUTH,
          "upper-case user hex accepted");
    assert_int_equal(bad, 0);

    /* Whole parts replaced, the mac kept: another id, a later expiry. */
    assert_int_equal(verify(reg_arena_sprintf(a, "ffeeddccbbaa99887766554433221100%s", dot1), &got),
                     REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "signature"));
    assert_int_equal(
        verify(reg_arena_sprintf(a, "%s.%lld%s", ID, (long long)LATER + 86400, dot2), &got),
        REG_EAUTH);
    /* Another mac of the right shape. */
    assert_int_equal(
        verify(reg_arena_sprintf(a, "%.*s.%s", (int)(dot3 - t), t, repeat(a, 'a', 64)), &got),
        REG_EAUTH);
    assert_int_equal(verify(t, &got), REG_OK);
}

static void
test_swap_user(void **state)
{
    struct reg_arena *a = *state;
    const char *alice = sign(a, LATER, "alice");
    const char *admin = sign(a, LATER, "ece30861defaultadminuser");
    const char *a_dot2 = strchr(strchr(alice, '.') + 1, '.');
    const char *a_dot3 = strrchr(alice, '.');
    const char *m_dot2 = strchr(strchr(admin, '.') + 1, '.');
    const char *m_dot3 = strrchr(admin, '.');
    struct reg_token_claims got;
    const char *forged;

    /* alice's token with the admin's user part: her mac does not cover it. */
    forged = reg_arena_sprintf(a, "%.*s%.*s%s", (int)(a_dot2 - alice), alice,
                               (int)(m_dot3 - m_dot2), m_dot2, a_dot3);
    assert_int_equal(verify(forged, &got), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "signature"));
    /* ... nor with the admin's mac. */
    forged = reg_arena_sprintf(a, "%.*s%s", (int)(a_dot3 - alice), alice, m_dot3);
    assert_int_equal(verify(forged, &got), REG_EAUTH);
    /* A later expiry keeping the mac. */
    forged = reg_arena_sprintf(a, "%s.%lld%s", ID, (long long)LATER + 1, a_dot2);
    assert_int_equal(verify(forged, &got), REG_EAUTH);
    assert_int_equal(verify(alice, &got), REG_OK);
    assert_int_equal(verify(admin, &got), REG_OK);
    assert_string_equal(got.user, "ece30861defaultadminuser");
}

static void
test_wrong_secret(void **state)
{
    struct reg_arena *a = *state;
    const char *t = sign(a, LATER, "alice");
    struct reg_token_claims got;
    unsigned char zero[REG_SECRET_BYTES] = {0};

    assert_int_equal(reg_token_verify(other_secret, t, NOW, &got), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "signature"));
    assert_int_equal(reg_token_verify(zero, t, NOW, &got), REG_EAUTH);
    /* A token signed independently with the other secret is refused with ours. */
    assert_int_equal(
        verify(signed_body(a, other_secret,
                           reg_arena_sprintf(a, "%s.%lld.616c696365", ID, (long long)LATER)),
               &got),
        REG_EAUTH);
    assert_int_equal(reg_token_verify(secret, t, NOW, &got), REG_OK);
}

static void
test_malformed(void **state)
{
    struct reg_arena *a = *state;
    const char *good = sign(a, LATER, "alice");
    const char *mac = strrchr(good, '.') + 1;
    const char *user = "616c696365";
    char exp[32];
    struct reg_token_claims got;
    int bad = 0;

    snprintf(exp, sizeof(exp), "%lld", (long long)LATER);
    {
        const char *cases[] = {
            "",
            ".",
            "...",
            "....",
            "bearer",
            "not a token",
            /* Too few parts. */
            reg_arena_sprintf(a, "%s.%s.%s", ID, exp, user),
            reg_arena_sprintf(a, "%s.%s", ID, exp),
            ID,
            reg_arena_sprintf(a, "%s.%s.%s", ID, exp, mac),
            reg_arena_sprintf(a, "%s.%s.%s", ID, user, mac),
            reg_arena_sprintf(a, "%s%s.%s.%s", ID, exp, user, mac),
            /* Too many parts, empty parts. */
            reg_arena_sprintf(a, "%s.", good),
            reg_arena_sprintf(a, ".%s", good),
            reg_arena_sprintf(a, "%s.%s", good, mac),
            reg_arena_sprintf(a, "%s..%s.%s.%s", ID, exp, user, mac),
            reg_arena_sprintf(a, "%s.%s..%s.%s", ID, exp, user, mac),
            reg_arena_sprintf(a, "%s.%s.%s..%s", ID, exp, user, mac),
            reg_arena_sprintf(a, "%s.%s.61.6c.%s", ID, exp, mac),
            reg_arena_sprintf(a, ".%s.%s.%s", exp, user, mac),
            reg_arena_sprintf(a, "%s.%s.%s.", ID, exp, user),
            /* Empty user. */
            reg_arena_sprintf(a, "%s.%s..%s", ID, exp, mac),
            /* Id of the wrong length. */
            reg_arena_sprintf(a, "%.31s.%s.%s.%s", ID, exp, user, mac),
            reg_arena_sprintf(a, "%s0.%s.%s.%s", ID, exp, user, mac),
            /* Mac of the wrong length or not hex. */
            reg_arena_sprintf(a, "%s.%s.%s.%.63s", ID, exp, user, mac),
            reg_arena_sprintf(a, "%s.%s.%s.%s0", ID, exp, user, mac),
            reg_arena_sprintf(a, "%s.%s.%s.%s", ID, exp, user, repeat(a, 'z', 64)),
            /* User hex: odd length, not hex. */
            reg_arena_sprintf(a, "%s.%s.%s.%s", ID, exp, "616c69636", mac),
            reg_arena_sprintf(a, "%s.%s.%s.%s", ID, exp, "6", mac),
            reg_arena_sprintf(a, "%s.%s.%s.%s", ID, exp, "616c69636g", mac),
            reg_arena_sprintf(a, "%s.%s.%s.%s", ID, exp, "alice", mac),
            reg_arena_sprintf(a, "%s.%s.%s.%s", ID, exp, "616c6963 5", mac),
            /* Expires not a number. */
            reg_arena_sprintf(a, "%s.%s.%s.%s", ID, "soon", user, mac),
            reg_arena_sprintf(a, "%s.%s.%s.%s", ID, "1764137000x", user, mac),
            /* Space around the token ("bearer " is users.c's to strip). */
            reg_arena_sprintf(a, " %s", good),
            reg_arena_sprintf(a, "%s ", good),
            reg_arena_sprintf(a, "%s\n", good),
            reg_arena_sprintf(a, "bearer %s", good),
            /* Over-long: a huge token, and a user part past REG_NAME_MAX bytes. */
            repeat(a, 'a', 100000),
            reg_arena_sprintf(a, "%s.%s.%s.%s", ID, exp, repeat(a, 'a', 2 * REG_NAME_MAX + 2), mac),
            reg_arena_sprintf(a, "%s.%s.%s%s", ID, exp, good, repeat(a, '0', 1000)),
        };
        for (int i = 0; i < NELEMS(cases); i++) {
            enum reg_status st = verify(cases[i], &got);
            CHECK(&bad, st == REG_EAUTH, "case %d '%.120s': status %d, want REG_EAUTH", i, cases[i],
                  st);
        }
    }
    assert_int_equal(bad, 0);
    assert_int_equal(verify(good, &got), REG_OK);
}

/* Malformed user parts that carry a valid signature: the parser itself must refuse them. */
static void
test_malformed_but_signed(void **state)
{
    struct reg_arena *a = *state;
    char exp[32];
    struct reg_token_claims got;
    int bad = 0;
    const char *bodies[4];
    int n = 0;

    snprintf(exp, sizeof(exp), "%lld", (long long)LATER);
    bodies[n++] = reg_arena_sprintf(a, "%s.%s.", ID, exp);          /* empty user */
    bodies[n++] = reg_arena_sprintf(a, "%s.%s.616c69636", ID, exp); /* odd length */
    bodies[n++] = reg_arena_sprintf(a, "%s.%s.61006c", ID, exp);    /* a NUL byte */
    bodies[n++] = reg_arena_sprintf(a, "%s.%s.%s", ID, exp, repeat(a, '6', 2 * REG_NAME_MAX + 2));
    for (int i = 0; i < n; i++) {
        const char *t = signed_body(a, secret, bodies[i]);
        enum reg_status st = verify(t, &got);
        CHECK(&bad, st == REG_EAUTH, "signed body %d '%.80s': status %d, want REG_EAUTH", i,
              bodies[i], st);
    }
    /* A well-formed body signed the same way is accepted: the harness is right. */
    assert_int_equal(
        verify(signed_body(a, secret, reg_arena_sprintf(a, "%s.%s.616c696365", ID, exp)), &got),
        REG_OK);
    assert_string_equal(got.user, "alice");
    assert_int_equal(bad, 0);
}

static void
test_user_names(void **state)
{
    struct reg_arena *a = *state;
    char longest[REG_NAME_MAX + 1];
    const char *names[] = {
        "a",
        "first.last",
        "...",
        "a.b.c.d.e",
        "with space",
        " leading and trailing ",
        "\xc3\xa9l\xc3\xa8ve",      /* élève */
        "\xe7\x94\xa8\xe6\x88\xb7", /* 用户 */
        "\xf0\x9f\x98\x80 smile",   /* emoji */
        "quote' double\" back` slash\\",
        "percent %s %n",
        "ece30861defaultadminuser",
        longest,
    };
    struct reg_token_claims got;
    int bad = 0;

    memset(longest, 'L', REG_NAME_MAX);
    longest[REG_NAME_MAX] = '\0';
    for (int i = 0; i < NELEMS(names); i++) {
        const char *t = sign(a, LATER, names[i]);
        enum reg_status st;
        /* Four parts whatever the name holds: the user part is hex. */
        int dots = 0;
        for (const char *p = t; *p; p++)
            dots += *p == '.';
        CHECK(&bad, dots == 3, "name '%s': %d dots in %s", names[i], dots, t);
        memset(&got, 0, sizeof(got));
        st = verify(t, &got);
        CHECK(&bad, st == REG_OK && strcmp(got.user, names[i]) == 0,
              "name '%s': status %d, user '%s'", names[i], st, got.user);
    }
    assert_int_equal(bad, 0);
}

static void
test_new_id(void **state)
{
    enum { N = 1000 };
    struct reg_arena *a = *state;
    char(*ids)[REG_TOKEN_ID_HEX + 1] = reg_arena_alloc(a, N * sizeof(*ids));
    int bad = 0;

    for (int i = 0; i < N; i++) {
        struct reg_token_claims c;
        memset(&c, 0x5a, sizeof(c));
        assert_int_equal(reg_token_new_id(&c), REG_OK);
        CHECK(&bad, strlen(c.id) == REG_TOKEN_ID_HEX && is_lower_hex(c.id, REG_TOKEN_ID_HEX),
              "id %d: '%.40s'", i, c.id);
        memcpy(ids[i], c.id, sizeof(ids[i]));
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            CHECK(&bad, strcmp(ids[i], ids[j]) != 0, "ids %d and %d are both %s", i, j, ids[i]);
    assert_int_equal(bad, 0);
    /* A fresh id signs and verifies. */
    {
        struct reg_token_claims c = claims_of("", LATER, "carol"), got;
        assert_int_equal(reg_token_new_id(&c), REG_OK);
        assert_int_equal(verify(reg_token_sign(a, secret, &c), &got), REG_OK);
        assert_string_equal(got.id, c.id);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_round_trip), T(test_shape),        T(test_expiry),    T(test_tamper_each_part),
        T(test_swap_user),  T(test_wrong_secret), T(test_malformed), T(test_malformed_but_signed),
        T(test_user_names), T(test_new_id),
    };

    return cmocka_run_group_tests_name("auth/token", tests, NULL, NULL);
}
