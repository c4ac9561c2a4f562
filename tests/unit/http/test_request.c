/*
 * test_request.c - the base of absolute links (download_url): REGISTRY_PUBLIC_URL when set,
 * else a Host header only when it is a plain host[:port], else nginx's listen address; never
 * another part of what the client sent.
 */
#include "unit.h"

#include <string.h>

#include "http/request.h"

struct base_case {
    const char *public_url; /* "" unset */
    const char *host;       /* NULL: no Host header */
    const char *scheme;     /* NULL: unknown */
    const char *want;
};

static const struct base_case base_cases[] = {
    {"", "registry.example:8443", "http", "http://registry.example:8443"},
    {"", "registry.example", "https", "https://registry.example"},
    {"", "[::1]:8080", "http", "http://[::1]:8080"},
    {"", "10.0.0.7", NULL, "http://10.0.0.7"},
    {"", "evil.example", "javascript", "http://evil.example"},
    /* Not a plain host[:port]: nginx's listen address instead. */
    {"", NULL, "http", "http://127.0.0.1:8080"},
    {"", "", "http", "http://127.0.0.1:8080"},
    {"", "evil.example/x?y", "http", "http://127.0.0.1:8080"},
    {"", "user@evil.example", "https", "https://127.0.0.1:8080"},
    {"", "evil.example:80@x", "http", "http://127.0.0.1:8080"},
    {"", "evil.example x", "http", "http://127.0.0.1:8080"},
    {"", "evil.example\">", "http", "http://127.0.0.1:8080"},
    /* A configured public URL wins over any Host. */
    {"https://models.example.com/r", "evil.example", "http", "https://models.example.com/r"},
    {"https://models.example.com/r", "user@evil.example", "http", "https://models.example.com/r"},
    {"https://models.example.com/r", NULL, NULL, "https://models.example.com/r"},
};

static void
test_base_url(void **state)
{
    struct reg_config cfg;
    int bad = 0;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    strcpy(cfg.listen_address, "127.0.0.1:8080");
    for (int i = 0; i < NELEMS(base_cases); i++) {
        const struct base_case *c = &base_cases[i];
        struct reg_request req;
        const char *got;
        reg_request_init(&req);
        strcpy(cfg.public_url, c->public_url);
        req.host = c->host;
        req.scheme = c->scheme;
        got = reg_request_base_url(&req, &cfg);
        CHECK(&bad, strcmp(got, c->want) == 0,
              "public '%s', Host '%s', scheme '%s': '%s', want '%s'", c->public_url,
              c->host ? c->host : "(none)", c->scheme ? c->scheme : "(none)", got, c->want);
        reg_request_cleanup(&req);
    }
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_url),
    };

    return cmocka_run_group_tests_name("http/request", tests, NULL, NULL);
}
