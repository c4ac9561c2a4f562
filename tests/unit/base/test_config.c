/*
 * test_config.c - parts of the environment contract (base/config.h): REGISTRY_LISTEN and
 * whether it is loopback, the default admin's public password, the warnings both make, and
 * REGISTRY_LOGIN_BACKOFF_MS.
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

#define T(fn) cmocka_unit_test_setup(fn, setup)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_listen_default_is_loopback),
        T(test_loopback_addresses),
        T(test_public_password_warning),
        T(test_login_backoff_ms),
    };
    return cmocka_run_group_tests_name("base/config", tests, NULL, NULL);
}
