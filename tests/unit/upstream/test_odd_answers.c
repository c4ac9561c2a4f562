/*
 * test_odd_answers.c - the Hugging Face and GitHub clients against a server that answers every
 * request with one scripted status and body (tests/unit/loopback_fixture.h): JSON that is not
 * an object where an object is expected, objects whose members have the wrong types, error
 * answers that are not JSON, and clients with no endpoint configured. Each call ends with the
 * status and detail the callers map to HTTP, never with a crash or a half-filled result.
 */
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena_fixture.h"
#include "base/arena.h"
#include "loopback_fixture.h"
#include "script_server.h"
#include "upstream/github.h"
#include "upstream/huggingface.h"

/* A server that answers every request with status and a JSON body (script_server.h). */
struct server {
    struct rule rule[1];
    struct script script;
    const char *base;
    int requests; /* after server_stop */
};

static void
server_start(struct server *s, const char *status, const char *body)
{
    s->rule[0] = (struct rule){"", status, "Content-Type: application/json\r\n", body, 0};
    script_start(&s->script, s->rule, 1);
    s->base = s->script.base;
}

static void
server_stop(struct server *s)
{
    script_stop(&s->script);
    s->requests = s->script.nrequests;
}

/* Client settings for the server at s: one attempt, no retry waits. */
static struct reg_http_config
config(const struct server *s, const char **bases)
{
    struct reg_http_config c = {0};

    bases[0] = s->base;
    c.allowed_bases = bases;
    c.nallowed = 1;
    c.total_timeout_ms = 10000;
    c.max_attempts = 1;
    return c;
}

/* Info documents that are JSON but not objects. */
static void
test_hf_info_not_an_object(void **state)
{
    struct reg_arena *a = *state;
    struct server s;
    const char *bases[1];
    struct reg_http_config cfg;
    struct reg_model_signals m;
    struct reg_dataset_signals d;

    server_start(&s, "200 OK", "[1, 2]");
    cfg = config(&s, bases);
    assert_int_equal(reg_hf_fetch_model(&cfg, s.base, NULL, a, "acme/m", &m), REG_EUPSTREAM);
    assert_string_equal(reg_error_detail(),
                        "Hugging Face model info of acme/m is not a JSON object");
    assert_int_equal(reg_hf_fetch_dataset(&cfg, s.base, NULL, a, "acme/d", &d), REG_EUPSTREAM);
    assert_string_equal(reg_error_detail(),
                        "Hugging Face dataset info of acme/d is not a JSON object");
    server_stop(&s);
    assert_true(s.requests >= 2);
}

/* An info object whose members have the wrong types: no id (the asked id is kept), siblings
 * that are no list (no files), a license given as a list, tags that are not strings. Read as
 * far as it makes sense. */
static void
test_hf_odd_members(void **state)
{
    struct reg_arena *a = *state;
    struct server s;
    const char *bases[1];
    struct reg_http_config cfg;
    struct reg_model_signals m;
    struct reg_dataset_signals d;

    server_start(&s, "200 OK",
                 "{\"siblings\": \"none\", \"cardData\": {\"license\": [\"mit\", 3]},"
                 " \"tags\": [1, null, \"license:apache-2.0\"], \"downloads\": \"many\"}");
    cfg = config(&s, bases);
    assert_int_equal(reg_hf_fetch_model(&cfg, s.base, NULL, a, "acme/m", &m), REG_OK);
    assert_string_equal(m.repo_id, "acme/m");
    assert_int_equal(m.nfiles, 0);
    assert_string_equal(m.license, "mit");
    assert_int_equal(reg_hf_fetch_dataset(&cfg, s.base, NULL, a, "acme/d", &d), REG_OK);
    assert_string_equal(d.repo_id, "acme/d");
    assert_int_equal(d.nfiles, 0);
    server_stop(&s);
}

/* An error answer whose body is not JSON: the status decides, and the detail names it. */
static void
test_hf_error_not_json(void **state)
{
    struct reg_arena *a = *state;
    struct server s;
    const char *bases[1];
    struct reg_http_config cfg;
    struct reg_model_signals m;
    enum reg_status st;

    server_start(&s, "502 Bad Gateway", "<html>upstream down</html>");
    cfg = config(&s, bases);
    st = reg_hf_fetch_model(&cfg, s.base, NULL, a, "acme/m", &m);
    server_stop(&s);
    assert_true(st == REG_EUPSTREAM || st == REG_EUNAVAILABLE);
    assert_non_null(strstr(reg_error_detail(), "502"));
}

/* GitHub: a repository answer that is not an object, for the whole repository and for its
 * license alone. */
static void
test_gh_not_an_object(void **state)
{
    struct reg_arena *a = *state;
    struct server s;
    const char *bases[1];
    struct reg_http_config cfg;
    struct reg_code_signals c;
    const char *spdx = "unset";

    server_start(&s, "200 OK", "[1]");
    cfg = config(&s, bases);
    assert_int_equal(reg_gh_fetch_repo(&cfg, s.base, NULL, a, "o/r", &c), REG_EUPSTREAM);
    assert_string_equal(reg_error_detail(),
                        "GitHub repository o/r: the answer is not a JSON object");
    assert_int_equal(reg_gh_fetch_license(&cfg, s.base, NULL, a, "o/r", &spdx), REG_EUPSTREAM);
    assert_string_equal(reg_error_detail(),
                        "GitHub repository o/r: the answer is not a JSON object");
    assert_null(spdx);
    server_stop(&s);
}

/* A repository object with nothing in it (no full_name, no tree, commits that are no list):
 * the asked id is kept, and there are no files, no contributors. */
static void
test_gh_empty_object(void **state)
{
    struct reg_arena *a = *state;
    struct server s;
    const char *bases[1];
    struct reg_http_config cfg;
    struct reg_code_signals c;
    const char *spdx = "unset";

    server_start(&s, "200 OK", "{}");
    cfg = config(&s, bases);
    assert_int_equal(reg_gh_fetch_repo(&cfg, s.base, NULL, a, "o/r", &c), REG_OK);
    assert_string_equal(c.repo_id, "o/r");
    assert_int_equal(c.nfiles, 0);
    assert_int_equal(c.ncontributors, 0);
    assert_null(c.license_spdx);
    assert_int_equal(reg_gh_fetch_license(&cfg, s.base, NULL, a, "o/r", &spdx), REG_OK);
    assert_null(spdx);
    server_stop(&s);
}

/* A GitHub error answer that is not JSON: HTTP status in the detail. */
static void
test_gh_error_not_json(void **state)
{
    struct reg_arena *a = *state;
    struct server s;
    const char *bases[1];
    struct reg_http_config cfg;
    struct reg_code_signals c;
    enum reg_status st;

    server_start(&s, "418 I'm a teapot", "not json");
    cfg = config(&s, bases);
    st = reg_gh_fetch_repo(&cfg, s.base, NULL, a, "o/r", &c);
    server_stop(&s);
    assert_int_equal(st, REG_EUPSTREAM);
    assert_non_null(strstr(reg_error_detail(), "HTTP 418"));
}

/* No endpoint configured: REG_EINVAL before any request. */
static void
test_no_endpoint(void **state)
{
    struct reg_arena *a = *state;
    struct reg_http_config cfg = {0};
    struct reg_model_signals m;
    struct reg_code_signals c;
    const char *spdx;

    assert_int_equal(reg_hf_fetch_model(&cfg, "", NULL, a, "acme/m", &m), REG_EINVAL);
    assert_string_equal(reg_error_detail(), "no Hugging Face endpoint is configured");
    assert_int_equal(reg_gh_fetch_repo(&cfg, NULL, NULL, a, "o/r", &c), REG_EINVAL);
    assert_string_equal(reg_error_detail(), "no GitHub API URL is configured");
    assert_int_equal(reg_gh_fetch_license(&cfg, "", NULL, a, "o/r", &spdx), REG_EINVAL);
    assert_string_equal(reg_error_detail(), "no GitHub API URL is configured");
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, arena_setup, arena_teardown)
    const struct CMUnitTest tests[] = {
        T(test_hf_info_not_an_object), T(test_hf_odd_members),  T(test_hf_error_not_json),
        T(test_gh_not_an_object),      T(test_gh_empty_object), T(test_gh_error_not_json),
        T(test_no_endpoint),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
