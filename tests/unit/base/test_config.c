/*
 * test_config.c - the environment contract where it is validated (base/config.h):
 * REGISTRY_LISTEN and whether it is loopback, the default admin's public password, the warnings
 * both make, REGISTRY_LOGIN_BACKOFF_MS, REGISTRY_PUBLIC_URL (the base of download links, refused
 * at start when it is anything but http(s)://host[:port][/path]) and the listen address that
 * stands in for a Host header that is not a plain host[:port].
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "base/config.h"

#define PUBLIC_PASSWORD "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"

static void
load(struct reg_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    assert_int_equal(reg_config_load(cfg), REG_OK);
}

static int
setup(void **state)
{
    (void)state;
    unsetenv("REGISTRY_LISTEN");
    unsetenv("REGISTRY_ADMIN_PASSWORD");
    unsetenv("REGISTRY_LOGIN_BACKOFF_MS");
    return 0;
}

static void
test_listen_default_is_loopback(void **state)
{
    struct reg_config cfg;

    (void)state;
    load(&cfg);
    assert_string_equal(cfg.listen, "127.0.0.1");
    assert_true(reg_config_listen_is_loopback(&cfg));
}

static void
test_loopback_addresses(void **state)
{
    static const struct {
        const char *listen;
        bool loopback;
    } cases[] = {
        {"127.0.0.1", true},
        {"127.1.2.3", true},
        {"localhost", true},
        {"LocalHost", true},
        {"::1", true},
        {"[::1]", true},
        {"::ffff:127.0.0.1", true},
        {"[::ffff:127.0.0.9]", true},
        {"0.0.0.0", false},
        {"::", false},
        {"[::]", false},
        {"*", false},
        {"192.0.2.2", false},
        {"10.0.0.1", false},
        {"128.0.0.1", false},
        {"::ffff:10.0.0.1", false},
        {"registry.example", false},
        {"", false},
        {"[", false},
        {"[]", false},
        {"127.0.0.1.evil", false},
    };
    struct reg_config cfg;
    int bad = 0;

    (void)state;
    load(&cfg);
    for (int i = 0; i < NELEMS(cases); i++) {
        cfg.listen = cases[i].listen;
        CHECK(&bad, reg_config_listen_is_loopback(&cfg) == cases[i].loopback,
              "REGISTRY_LISTEN=%s: loopback %d", cases[i].listen, !cases[i].loopback);
    }
    assert_int_equal(bad, 0);
}

static void
test_public_password_warning(void **state)
{
    const char *warnings[REG_CONFIG_WARNINGS_MAX];
    struct reg_config cfg;

    (void)state;
    /* The defaults: the public password, but only this host can reach it. */
    load(&cfg);
    assert_true(reg_config_admin_password_is_public(&cfg));
    assert_int_equal(reg_config_warnings(&cfg, warnings), 0);
    /* Listening on every address with the public password: one warning. */
    assert_int_equal(setenv("REGISTRY_LISTEN", "0.0.0.0", 1), 0);
    load(&cfg);
    assert_int_equal(reg_config_warnings(&cfg, warnings), 1);
    assert_non_null(strstr(warnings[0], "REGISTRY_ADMIN_PASSWORD"));
    assert_non_null(strstr(warnings[0], "ece30861defaultadminuser"));
    /* Setting it to the same public text is no better. */
    assert_int_equal(setenv("REGISTRY_ADMIN_PASSWORD", PUBLIC_PASSWORD, 1), 0);
    load(&cfg);
    assert_int_equal(reg_config_warnings(&cfg, warnings), 1);
    /* A password of one's own: nothing to warn about. */
    assert_int_equal(setenv("REGISTRY_ADMIN_PASSWORD", "a password of our own", 1), 0);
    load(&cfg);
    assert_false(reg_config_admin_password_is_public(&cfg));
    assert_int_equal(reg_config_warnings(&cfg, warnings), 0);
    unsetenv("REGISTRY_ADMIN_PASSWORD");
    unsetenv("REGISTRY_LISTEN");
}

static void
test_login_backoff_ms(void **state)
{
    struct reg_config cfg;

    (void)state;
    load(&cfg);
    assert_int_equal(cfg.login_backoff_ms, 1000);
    assert_int_equal(setenv("REGISTRY_LOGIN_BACKOFF_MS", "0", 1), 0);
    load(&cfg);
    assert_int_equal(cfg.login_backoff_ms, 0);
    assert_int_equal(setenv("REGISTRY_LOGIN_BACKOFF_MS", "900000", 1), 0);
    load(&cfg);
    assert_int_equal(cfg.login_backoff_ms, 900000);
    /* Past the longest window, negative or not a number: refused with the variable named. */
    assert_int_equal(setenv("REGISTRY_LOGIN_BACKOFF_MS", "900001", 1), 0);
    assert_int_equal(reg_config_load(&cfg), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "REGISTRY_LOGIN_BACKOFF_MS"));
    assert_int_equal(setenv("REGISTRY_LOGIN_BACKOFF_MS", "-1", 1), 0);
    assert_int_equal(reg_config_load(&cfg), REG_EINVAL);
    assert_int_equal(setenv("REGISTRY_LOGIN_BACKOFF_MS", "1s", 1), 0);
    assert_int_equal(reg_config_load(&cfg), REG_EINVAL);
    unsetenv("REGISTRY_LOGIN_BACKOFF_MS");
}

struct url_case {
    const char *value;
    enum reg_status want;
    const char *kept; /* when REG_OK: config.public_url */
};

static const struct url_case url_cases[] = {
    {"", REG_OK, ""},
    {"https://models.example.com", REG_OK, "https://models.example.com"},
    {"https://models.example.com/", REG_OK, "https://models.example.com"},
    {"http://10.0.0.7:8080", REG_OK, "http://10.0.0.7:8080"},
    {"https://models.example.com:8443/registry/v1//", REG_OK,
     "https://models.example.com:8443/registry/v1"},
    {"https://[2001:db8::7]:8443/r", REG_OK, "https://[2001:db8::7]:8443/r"},
    {"http://localhost/a-b_c.d~e", REG_OK, "http://localhost/a-b_c.d~e"},
    {"ftp://models.example.com", REG_EINVAL, NULL},
    {"models.example.com", REG_EINVAL, NULL},
    {"HTTPS://models.example.com", REG_EINVAL, NULL},
    {"https://", REG_EINVAL, NULL},
    {"https:///path", REG_EINVAL, NULL},
    {"https://user@models.example.com", REG_EINVAL, NULL},
    {"https://user:pw@models.example.com", REG_EINVAL, NULL},
    {"https://models.example.com:99999", REG_EINVAL, NULL},
    {"https://models.example.com:", REG_EINVAL, NULL},
    {"https://models.example.com?x=1", REG_EINVAL, NULL},
    {"https://models.example.com/x?y=1", REG_EINVAL, NULL},
    {"https://models.example.com/#top", REG_EINVAL, NULL},
    {"https://models.example.com/a b", REG_EINVAL, NULL},
    {"https://models.example.com/%2e%2e", REG_EINVAL, NULL},
    {"https://models.example.com/\"><script>", REG_EINVAL, NULL},
    {"https://evil example.com", REG_EINVAL, NULL},
};

static void
test_public_url(void **state)
{
    struct reg_config cfg;
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(url_cases); i++) {
        const struct url_case *c = &url_cases[i];
        enum reg_status st;
        setenv("REGISTRY_PUBLIC_URL", c->value, 1);
        st = reg_config_load(&cfg);
        CHECK(&bad, st == c->want, "'%s': status %d (%s), want %d", c->value, st,
              st ? reg_error_detail() : "", c->want);
        if (st == REG_OK && c->want == REG_OK)
            CHECK(&bad, strcmp(cfg.public_url, c->kept) == 0, "'%s': kept '%s', want '%s'",
                  c->value, cfg.public_url, c->kept);
        if (st != REG_OK)
            CHECK(&bad, strstr(reg_error_detail(), "REGISTRY_PUBLIC_URL") != NULL,
                  "'%s': detail '%s' does not name the variable", c->value, reg_error_detail());
    }
    unsetenv("REGISTRY_PUBLIC_URL");
    assert_int_equal(reg_config_load(&cfg), REG_OK);
    assert_string_equal(cfg.public_url, "");
    assert_int_equal(bad, 0);
}

static void
test_public_url_length(void **state)
{
    static char url[REG_PUBLIC_URL_MAX + 2];
    struct reg_config cfg;

    (void)state;
    memset(url, 'p', sizeof(url) - 1);
    memcpy(url, "https://h/", 10);
    url[REG_PUBLIC_URL_MAX] = '\0';
    setenv("REGISTRY_PUBLIC_URL", url, 1);
    assert_int_equal(reg_config_load(&cfg), REG_OK);
    assert_int_equal(strlen(cfg.public_url), REG_PUBLIC_URL_MAX);
    url[REG_PUBLIC_URL_MAX] = 'p';
    setenv("REGISTRY_PUBLIC_URL", url, 1);
    assert_int_equal(reg_config_load(&cfg), REG_EINVAL);
    unsetenv("REGISTRY_PUBLIC_URL");
}

struct listen_case {
    const char *listen; /* NULL: unset */
    const char *want;
};

static const struct listen_case listen_cases[] = {
    {NULL, "127.0.0.1:8123"},
    {"127.0.0.1", "127.0.0.1:8123"},
    {"10.1.2.3", "10.1.2.3:8123"},
    {"registry.internal", "registry.internal:8123"},
    {"::1", "[::1]:8123"},
    {"[::1]", "[::1]:8123"},
    /* Wildcards name no address a client can use; nor does anything unexpected. */
    {"0.0.0.0", "127.0.0.1:8123"},
    {"::", "127.0.0.1:8123"},
    {"[::]", "127.0.0.1:8123"},
    {"*", "127.0.0.1:8123"},
    {"unix:/run/x.sock", "127.0.0.1:8123"},
};

static void
test_listen_address(void **state)
{
    struct reg_config cfg;
    int bad = 0;

    (void)state;
    setenv("PORT", "8123", 1);
    for (int i = 0; i < NELEMS(listen_cases); i++) {
        const struct listen_case *c = &listen_cases[i];
        if (c->listen)
            setenv("REGISTRY_LISTEN", c->listen, 1);
        else
            unsetenv("REGISTRY_LISTEN");
        assert_int_equal(reg_config_load(&cfg), REG_OK);
        CHECK(&bad, strcmp(cfg.listen_address, c->want) == 0,
              "REGISTRY_LISTEN '%s': '%s', want '%s'", c->listen ? c->listen : "(unset)",
              cfg.listen_address, c->want);
    }
    unsetenv("REGISTRY_LISTEN");
    unsetenv("PORT");
    assert_int_equal(bad, 0);
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_listen_default_is_loopback),
        T(test_loopback_addresses),
        T(test_public_password_warning),
        T(test_login_backoff_ms),
        T(test_public_url),
        T(test_public_url_length),
        T(test_listen_address),
    };
    return cmocka_run_group_tests_name("base/config", tests, NULL, NULL);
}
