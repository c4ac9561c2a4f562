/*
 * test_http_client.c - the upstream HTTP client (lib/upstream/http_client.c) against the
 * Hugging Face / GitHub fixture server: concurrent fetches, status mapping, retries on 500,
 * 429 (Retry-After), resets and hangs, the allow-list (also for redirects), the body cap and
 * the Authorization header. What reached the server is read back from its /__fixture/log.
 * Also, without any network: the allow-list and the retry delays, as tables of cases.
 * Streaming (reg_http_stream): chunked delivery equal to the buffered body, the cap, the
 * allow-list and redirects (whose bodies never reach the sink), retries only before the first
 * byte, a sink that refuses, the token on a gated file. POST (the GraphQL query): the body and
 * headers sent, retries, the size cap, and a redirect that is not followed (from a one-shot
 * local server, since the fixture server redirects only GETs).
 *
 * The server: REGISTRY_TEST_UPSTREAM_URL (http://127.0.0.1:<port>), which scripts/run-unit.sh
 * sets after starting tests/fixtures/upstream_server.py for the unit run. Every test starts
 * with POST /__fixture/reset (default config, empty log). Timing is printed, never asserted;
 * the only time check is a lower bound (a Retry-After of 1 s was waited for).
 */
#include "unit.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loopback_fixture.h"
#include "upstream/fixture_control.h"
#include "upstream/github_graphql.h"
#include "upstream/http_client.h"

/* GitHub's raw media type (bundle/bundle.h's REG_BUNDLE_GH_ACCEPT). */
#define REG_TEST_GH_RAW "application/vnd.github.raw"

#define BIG (4u * 1024 * 1024)

/* ---------------------------------------------------------------- helpers */

static void
url_of(char *out, size_t cap, const char *path)
{
    int n = snprintf(out, cap, "%s%s", upstream, path);

    assert_true(n > 0 && (size_t)n < cap);
}

/* A config allowing only the fixture server, with short waits. */
static struct reg_http_config
config_for(const char *const *bases, int n)
{
    struct reg_http_config c = {0};

    c.allowed_bases = bases;
    c.nallowed = n;
    c.total_timeout_ms = 10000;
    return c;
}

static void
fixture_config(const char *json)
{
    json_object_put(control("POST", "/__fixture/config", json));
}

/* The requests the server saw since the last reset: {"requests": [...], "count": n}. */
static struct json_object *
fixture_log(void)
{
    return control("GET", "/__fixture/log", NULL);
}

static int
log_count(struct json_object *log)
{
    struct json_object *c;

    assert_true(json_object_object_get_ex(log, "count", &c));
    return json_object_get_int(c);
}

static struct json_object *
log_entry(struct json_object *log, int i)
{
    struct json_object *reqs;

    assert_true(json_object_object_get_ex(log, "requests", &reqs));
    assert_true(i < (int)json_object_array_length(reqs));
    return json_object_array_get_idx(reqs, (size_t)i);
}

/* A field of a log entry as a string ("" when null or absent). */
static const char *
entry_str(struct json_object *e, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(e, key, &v) || !v)
        return "";
    return json_object_get_string(v);
}

static double
entry_num(struct json_object *e, const char *key)
{
    struct json_object *v;

    assert_true(json_object_object_get_ex(e, key, &v));
    return json_object_get_double(v);
}

static bool
entry_bool(struct json_object *e, const char *key)
{
    struct json_object *v;

    assert_true(json_object_object_get_ex(e, key, &v));
    return json_object_get_boolean(v);
}

/* The number of logged requests, from a fresh log. */
static int
requests_seen(void)
{
    struct json_object *log = fixture_log();
    int n = log_count(log);

    json_object_put(log);
    return n;
}

/* Fetches one URL with cfg; r must be cleaned up by the caller. */
static void
fetch_one(const struct reg_http_config *cfg, struct reg_http_request *r, const char *url,
          size_t max)
{
    reg_http_request_init(r, url, max);
    assert_int_equal(reg_http_fetch_all(cfg, r, 1), REG_OK);
}

/* ---------------------------------------------------------------- without network */

static void
test_url_allowed(void **state)
{
    static const char *const bases[] = {"https://huggingface.co", "https://api.github.com/",
                                        "http://127.0.0.1:8080/mirror"};
    static const struct {
        const char *url;
        bool allowed;
    } cases[] = {
        {"https://huggingface.co/api/models/gpt2", true},
        {"HTTPS://HuggingFace.CO/api/models/gpt2", true},
        {"https://huggingface.co:443/api/models/gpt2", true},
        {"https://huggingface.co/api/models/gpt2#readme", true},
        {"https://huggingface.co/api/models/gpt2?blobs=true", true},
        {"https://huggingface.co", true},
        {"https://api.github.com/repos/openai/whisper", true},
        {"http://127.0.0.1:8080/mirror/api/models/gpt2", true},
        {"http://127.0.0.1:8080/mirror/a/../b", true},
        {"http://huggingface.co/api/models/gpt2", false},
        {"https://huggingface.co:8443/api/models/gpt2", false},
        {"https://huggingface.co.evil.example/api/models/gpt2", false},
        {"https://evil.example/https://huggingface.co/api", false},
        {"https://user@huggingface.co/api/models/gpt2", false},
        {"https://user:pw@huggingface.co/api/models/gpt2", false},
        {"https://huggingface.co@evil.example/api/models/gpt2", false},
        {"https://github.com/openai/whisper", false},
        {"https://127.0.0.1:8080/mirror/api", false},
        {"http://127.0.0.1:8081/mirror/api", false},
        {"http://localhost:8080/mirror/api", false},
        {"http://127.0.0.1:8080/mirrorx/api", false},
        {"http://127.0.0.1:8080/mirror", false},
        {"http://127.0.0.1:8080/mirror/../secret", false},
        {"http://127.0.0.1:8080/mirror/%2e%2e/secret", false},
        {"http://127.0.0.1:8080/mirror/.%2E/secret", false},
        {"http://127.0.0.1:8080/mirror/a%2Fb", false},
        {"http://127.0.0.1:8080/mirror/a\\..\\b", false},
        {"http://127.0.0.1:8080/mirror/a%5C..%5Cb", false},
        {"http://127.0.0.1:8080/mirror/a%5c..%5cb", false},
        {"ftp://huggingface.co/api/models/gpt2", false},
        {"file:///etc/passwd", false},
        {"huggingface.co/api/models/gpt2", false},
        {"https://huggingface.co/api/models/a b", false},
        {"", false},
    };
    struct reg_http_config cfg = config_for(bases, NELEMS(bases));
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++)
        CHECK(&bad, reg_http_url_allowed(&cfg, cases[i].url) == cases[i].allowed,
              "%s: allowed should be %d", cases[i].url, cases[i].allowed);
    CHECK(&bad, !reg_http_url_allowed(&cfg, NULL), "NULL URL allowed");
    cfg.nallowed = 0;
    CHECK(&bad, !reg_http_url_allowed(&cfg, cases[0].url), "allowed with no bases");
    assert_int_equal(bad, 0);
}

static void
test_retry_delay(void **state)
{
    char future[64];
    time_t t = time(NULL) + 2;
    struct tm tm;
    struct {
        long cap, status;
        const char *retry_after;
        int attempt;
        long min, max;
    } cases[] = {
        {0, 429, "1", 1, 1000, 1000},
        {0, 503, "2", 2, 2000, 2000},
        {0, 429, " 1 ", 1, 0, 100}, /* not delta-seconds: backoff */
        {0, 429, "0", 1, 0, 0},
        {0, 429, "3600", 1, 5000, 5000},
        {0, 429, "99999999999999999999", 1, 5000, 5000},
        {0, 429, "Wed, 21 Oct 2015 07:28:00 GMT", 1, 0, 0},
        {0, 429, future, 1, 1000, 3000},
        {0, 429, "soon", 1, 0, 100},
        {0, 500, "1", 1, 0, 100}, /* Retry-After counts only for 429 and 503 */
        {0, 0, NULL, 1, 0, 100},
        {0, 0, NULL, 2, 0, 200},
        {0, 0, NULL, 3, 0, 400},
        {0, 502, "", 6, 0, 3200},
        {0, 0, NULL, 40, 0, 5000},
        {0, 0, NULL, 0, 0, 100},
        {50, 429, "1", 1, 50, 50},
        {50, 0, NULL, 5, 0, 50},
    };
    int bad = 0;

    (void)state;
    gmtime_r(&t, &tm);
    strftime(future, sizeof(future), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_http_config cfg = {0};

        cfg.max_retry_after_ms = cases[i].cap;
        for (int k = 0; k < 50; k++) { /* the jitter is random: try it a few times */
            long ms = reg_http_retry_delay_ms(&cfg, cases[i].status, cases[i].retry_after,
                                              cases[i].attempt);
            CHECK(&bad, ms >= cases[i].min && ms <= cases[i].max,
                  "case %d (%ld, '%s', attempt %d): %ld ms not in [%ld, %ld]", i, cases[i].status,
                  cases[i].retry_after ? cases[i].retry_after : "(null)", cases[i].attempt, ms,
                  cases[i].min, cases[i].max);
        }
    }
    assert_int_equal(bad, 0);
}

static void
test_misuse(void **state)
{
    static const char *const bad_bases[] = {"https://huggingface.co", "not a url"};
    static const char *const query_base[] = {"https://huggingface.co/?x=1"};
    const char *const good[] = {upstream};
    struct reg_http_config cfg = config_for(good, 1);
    struct reg_http_request r;

    (void)state;
    assert_int_equal(reg_http_fetch_all(&cfg, NULL, -1), REG_EINVAL);
    assert_int_equal(reg_http_fetch_all(&cfg, NULL, 0), REG_OK);
    reg_http_request_init(&r, "https://huggingface.co/api/models/gpt2", 0);
    assert_int_equal(reg_http_fetch_all(&cfg, &r, -1), REG_EINVAL);
    assert_int_equal(reg_http_fetch_all(NULL, &r, 1), REG_EINVAL);
    assert_int_equal(r.result, REG_EINVAL);
    cfg = config_for(bad_bases, 2);
    assert_int_equal(reg_http_fetch_all(&cfg, &r, 1), REG_EINVAL);
    assert_int_equal(r.result, REG_EINVAL);
    assert_non_null(strstr(r.error, "not a url"));
    cfg = config_for(query_base, 1);
    assert_int_equal(reg_http_fetch_all(&cfg, &r, 1), REG_EINVAL);
    assert_int_equal(r.result, REG_EINVAL);
    reg_http_request_cleanup(&r);
    reg_http_request_cleanup(NULL);
    assert_int_equal(requests_seen(), 0);
}

/* ---------------------------------------------------------------- against the fixture */

/* HF and GitHub routes a registration asks for. */
static const struct {
    const char *path;
    const char *accept;
} routes[] = {
    {"/api/models/google-bert/bert-base-uncased", NULL},
    {"/api/models/openai/whisper-tiny?blobs=true", NULL},
    {"/api/datasets/rajpurkar/squad", NULL},
    {"/google-bert/bert-base-uncased/resolve/main/README.md", NULL},
    {"/repos/openai/whisper", "application/vnd.github+json"},
    {"/repos/openai/whisper/contributors?per_page=100", "application/vnd.github+json"},
    {"/repos/google-research/bert/readme", "application/vnd.github.raw"},
    {"/repos/fixture-lab/bert-squad-finetune/pulls?state=closed", "application/vnd.github+json"},
};
#define NROUTES NELEMS(routes)

/* Whether two requests of the log were in flight at the same time: proof that they ran
 * concurrently, which a loaded machine cannot take away (unlike "all at one moment"). */
static bool
overlapped(struct json_object *log)
{
    for (int i = 0; i < log_count(log); i++) {
        struct json_object *a = log_entry(log, i);
        double a0 = entry_num(a, "time"), a1 = a0 + entry_num(a, "duration_ms") / 1000.0;
        for (int j = i + 1; j < log_count(log); j++) {
            struct json_object *b = log_entry(log, j);
            double b0 = entry_num(b, "time"), b1 = b0 + entry_num(b, "duration_ms") / 1000.0;
            if (a0 < b1 && b0 < a1)
                return true;
        }
    }
    return false;
}

static void
test_concurrent_same_as_single(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char urls[NROUTES][512];
    struct reg_http_request single[NROUTES], all[NROUTES];
    struct json_object *log;
    double sum = 0, t0, wall;
    struct timespec ts;

    (void)state;
    for (int i = 0; i < NROUTES; i++) {
        url_of(urls[i], sizeof(urls[i]), routes[i].path);
        reg_http_request_init(&single[i], urls[i], BIG);
        single[i].accept = routes[i].accept;
        assert_int_equal(reg_http_fetch_all(&cfg, &single[i], 1), REG_OK);
        if (single[i].result != REG_OK)
            fail_msg("%s: %s", routes[i].path, single[i].error);
        assert_int_equal(single[i].status, 200);
        assert_true(single[i].body.len > 0);
    }
    reset_fixture(NULL);
    fixture_config("{\"delay_ms\": 200}");
    for (int i = 0; i < NROUTES; i++) {
        reg_http_request_init(&all[i], urls[i], BIG);
        all[i].accept = routes[i].accept;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    assert_int_equal(reg_http_fetch_all(&cfg, all, NROUTES), REG_OK);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - t0;
    for (int i = 0; i < NROUTES; i++) {
        if (all[i].result != REG_OK)
            fail_msg("%s: %s", routes[i].path, all[i].error);
        assert_int_equal(all[i].status, 200);
        assert_int_equal(all[i].body.len, single[i].body.len);
        assert_memory_equal(all[i].body.data, single[i].body.data, single[i].body.len);
        assert_int_equal(all[i].attempts, 1);
        sum += all[i].seconds;
    }
    log = fixture_log();
    assert_int_equal(log_count(log), NROUTES);
    assert_true(overlapped(log));
    json_object_put(log);
    printf("upstream: %d requests with a 200 ms delay each took %.3f s together "
           "(their own times add up to %.3f s)\n",
           NROUTES, wall, sum);
    for (int i = 0; i < NROUTES; i++) {
        reg_http_request_cleanup(&single[i]);
        reg_http_request_cleanup(&all[i]);
    }
}

static void
test_not_found(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u1[512], u2[512];
    struct reg_http_request r[2];

    (void)state;
    url_of(u1, sizeof(u1), "/api/models/fixture-lab/no-such-model");
    url_of(u2, sizeof(u2), "/repos/fixture-lab/no-such-repo");
    reg_http_request_init(&r[0], u1, BIG);
    reg_http_request_init(&r[1], u2, BIG);
    assert_int_equal(reg_http_fetch_all(&cfg, r, 2), REG_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r[i].result, REG_ENOTFOUND);
        assert_int_equal(r[i].status, 404);
        assert_int_equal(r[i].attempts, 1);
        assert_non_null(strstr(r[i].error, "404"));
        reg_http_request_cleanup(&r[i]);
    }
    assert_int_equal(requests_seen(), 2);
}

static void
test_not_found_keeps_body(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;

    (void)state;
    url_of(u, sizeof(u), "/api/models/fixture-lab/no-such-model");
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_ENOTFOUND);
    assert_non_null(r.body.data);
    assert_non_null(strstr(r.body.data, "Repository not found"));
    reg_http_request_cleanup(&r);
}

/* A status other than 404 is the caller's to interpret: a gated file answers 401 without a
 * token and 200 with one. */
static void
test_gated_keeps_status(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r[2];

    (void)state;
    url_of(u, sizeof(u), "/google/gemma-2-2b/resolve/main/config.json");
    reg_http_request_init(&r[0], u, BIG);
    reg_http_request_init(&r[1], u, BIG);
    r[1].bearer = "hf_unit_test_token";
    assert_int_equal(reg_http_fetch_all(&cfg, r, 2), REG_OK);
    assert_int_equal(r[0].result, REG_EUPSTREAM);
    assert_int_equal(r[0].status, 401);
    assert_int_equal(r[0].attempts, 1);
    assert_int_equal(r[1].result, REG_OK);
    assert_int_equal(r[1].status, 200);
    reg_http_request_cleanup(&r[0]);
    reg_http_request_cleanup(&r[1]);
    assert_int_equal(requests_seen(), 2);
}

static void
test_500_twice_then_ok(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;
    struct json_object *log;

    (void)state;
    fixture_config("{\"fail\": \"500\", \"fail_count\": 2}");
    url_of(u, sizeof(u), "/repos/openai/whisper");
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 3);
    assert_string_equal(r.error, "");
    assert_non_null(strstr(r.body.data, "\"full_name\""));
    log = fixture_log();
    assert_int_equal(log_count(log), 3);
    assert_string_equal(entry_str(log_entry(log, 0), "fault"), "500");
    assert_string_equal(entry_str(log_entry(log, 1), "fault"), "500");
    assert_string_equal(entry_str(log_entry(log, 2), "route"), "gh.repo");
    json_object_put(log);
    reg_http_request_cleanup(&r);
}

static void
test_429_retry_after(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;
    struct json_object *log;
    double gap;

    (void)state;
    fixture_config("{\"fail\": \"429\", \"fail_count\": 1}");
    url_of(u, sizeof(u), "/api/models/openai/whisper-tiny");
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 2);
    log = fixture_log();
    assert_int_equal(log_count(log), 2);
    assert_string_equal(entry_str(log_entry(log, 0), "fault"), "429");
    /* Retry-After: 1 was honoured (a lower bound: no load can make it shorter). */
    gap = entry_num(log_entry(log, 1), "time") - entry_num(log_entry(log, 0), "time");
    assert_true(gap >= 0.95);
    json_object_put(log);
    printf("upstream: 429 with Retry-After: 1, retried after %.3f s; request took %.3f s\n", gap,
           r.seconds);
    reg_http_request_cleanup(&r);
}

static void
test_persistent_500(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;

    (void)state;
    fixture_config("{\"fail\": \"500\"}");
    url_of(u, sizeof(u), "/api/datasets/rajpurkar/squad");
    cfg.max_attempts = 3;
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_EUPSTREAM);
    assert_int_equal(r.status, 500);
    assert_int_equal(r.attempts, 3);
    assert_non_null(strstr(r.error, "HTTP 500"));
    assert_non_null(strstr(r.error, "after 3 attempts"));
    assert_int_equal(requests_seen(), 3);
    reg_http_request_cleanup(&r);

    reset_fixture(NULL);
    fixture_config("{\"fail\": \"500\"}");
    cfg.max_attempts = 1;
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_EUPSTREAM);
    assert_int_equal(requests_seen(), 1);
    reg_http_request_cleanup(&r);
}

/* Only the failing path is retried; the others of the same batch are not held up or repeated. */
static void
test_retry_is_per_request(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u1[512], u2[512];
    struct reg_http_request r[2];
    struct json_object *log;

    (void)state;
    fixture_config("{\"fail\": \"500\", \"fail_paths\": \"/contributors\", \"fail_count\": 1}");
    url_of(u1, sizeof(u1), "/repos/openai/whisper");
    url_of(u2, sizeof(u2), "/repos/openai/whisper/contributors");
    reg_http_request_init(&r[0], u1, BIG);
    reg_http_request_init(&r[1], u2, BIG);
    assert_int_equal(reg_http_fetch_all(&cfg, r, 2), REG_OK);
    assert_int_equal(r[0].result, REG_OK);
    assert_int_equal(r[0].attempts, 1);
    assert_int_equal(r[1].result, REG_OK);
    assert_int_equal(r[1].attempts, 2);
    log = fixture_log();
    assert_int_equal(log_count(log), 3);
    json_object_put(log);
    reg_http_request_cleanup(&r[0]);
    reg_http_request_cleanup(&r[1]);
}

static void
test_reset_then_ok(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;

    (void)state;
    fixture_config("{\"fail\": \"reset\", \"fail_count\": 1}");
    url_of(u, sizeof(u), "/repos/google-research/bert");
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_OK);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(requests_seen(), 2);
    reg_http_request_cleanup(&r);
}

static void
test_hang_times_out(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;

    (void)state;
    fixture_config("{\"fail\": \"hang\", \"hang_s\": 10}");
    url_of(u, sizeof(u), "/api/models/gpt2");
    cfg.total_timeout_ms = 300;
    cfg.max_attempts = 2;
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_EUPSTREAM);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r.body.len, 0);
    assert_non_null(strstr(r.error, "after 2 attempts"));
    assert_int_equal(requests_seen(), 2);
    printf("upstream: 2 attempts of 300 ms against a hang gave up after %.3f s: %s\n", r.seconds,
           r.error);
    reg_http_request_cleanup(&r);
}

/* A closed port: refused connections are retried, then reported. */
static void
test_connection_refused(void **state)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char base[64], u[128];
    const char *bases[1];
    struct reg_http_config cfg;
    struct reg_http_request r;

    (void)state;
    assert_true(fd >= 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd); /* nobody listens there now */
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", ntohs(sa.sin_port));
    snprintf(u, sizeof(u), "%s/api/models/gpt2", base);
    bases[0] = base;
    cfg = config_for(bases, 1);
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_EUPSTREAM);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.attempts, REG_HTTP_MAX_ATTEMPTS);
    reg_http_request_cleanup(&r);
}

static void
test_outside_bases_not_fetched(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    const char *port = strrchr(upstream, ':');
    char urls[6][512];
    struct reg_http_request r[6];

    (void)state;
    snprintf(urls[0], sizeof(urls[0]), "http://localhost%s/api/models/gpt2", port);
    snprintf(urls[1], sizeof(urls[1]), "https://127.0.0.1%s/api/models/gpt2", port);
    snprintf(urls[2], sizeof(urls[2]), "http://user@127.0.0.1%s/api/models/gpt2", port);
    snprintf(urls[3], sizeof(urls[3]), "https://huggingface.co/api/models/gpt2");
    snprintf(urls[4], sizeof(urls[4]), "file:///etc/passwd");
    url_of(urls[5], sizeof(urls[5]), "/api/models/gpt2"); /* allowed URL, bad header value */
    for (int i = 0; i < 6; i++)
        reg_http_request_init(&r[i], urls[i], BIG);
    r[5].bearer = "token\r\nX-Injected: 1";
    assert_int_equal(reg_http_fetch_all(&cfg, r, 6), REG_OK);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(r[i].result, REG_EINVAL);
        assert_int_equal(r[i].status, 0);
        assert_int_equal(r[i].attempts, 0);
        assert_true(r[i].error[0] != '\0');
        reg_http_request_cleanup(&r[i]);
    }
    assert_int_equal(requests_seen(), 0);
}

static void
test_redirect_followed(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;
    struct json_object *log;

    (void)state;
    url_of(u, sizeof(u), "/api/datasets/squad");
    fetch_one(&cfg, &r, u, BIG);
    if (r.result != REG_OK)
        fail_msg("%s", r.error);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.body.data, "\"rajpurkar/squad\""));
    log = fixture_log();
    assert_int_equal(log_count(log), 2);
    assert_string_equal(entry_str(log_entry(log, 0), "route"), "hf.redirect");
    assert_string_equal(entry_str(log_entry(log, 1), "path"), "/api/datasets/rajpurkar/squad");
    json_object_put(log);
    reg_http_request_cleanup(&r);
}

/* With the allowed base narrowed to the alias, the 307 to the canonical id leaves it. */
static void
test_redirect_leaving_bases_refused(void **state)
{
    char base[512], u[512];
    const char *bases[1];
    struct reg_http_config cfg;
    struct reg_http_request r;

    (void)state;
    url_of(base, sizeof(base), "/api/datasets/squad");
    url_of(u, sizeof(u), "/api/datasets/squad/revision/main");
    bases[0] = base;
    cfg = config_for(bases, 1);
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_EINVAL);
    assert_int_equal(r.status, 307);
    assert_int_equal(r.body.len, 0);
    assert_non_null(strstr(r.error, "/api/datasets/rajpurkar/squad/revision/main"));
    assert_int_equal(requests_seen(), 1);
    reg_http_request_cleanup(&r);
}

/* A redirect into another allowed base is followed, but without the token. */
static void
test_redirect_drops_token_across_bases(void **state)
{
    char narrow[512], u[512];
    const char *bases[2];
    struct reg_http_config cfg;
    struct reg_http_request r;
    struct json_object *log;

    (void)state;
    url_of(narrow, sizeof(narrow), "/api/datasets/squad");
    url_of(u, sizeof(u), "/api/datasets/squad/revision/main");
    bases[0] = narrow;
    bases[1] = upstream;
    cfg = config_for(bases, 2);
    reg_http_request_init(&r, u, BIG);
    r.bearer = "hf_unit_test_token";
    assert_int_equal(reg_http_fetch_all(&cfg, &r, 1), REG_OK);
    assert_int_equal(r.result, REG_OK);
    log = fixture_log();
    assert_int_equal(log_count(log), 2);
    assert_true(entry_bool(log_entry(log, 0), "authorization"));
    assert_false(entry_bool(log_entry(log, 1), "authorization"));
    json_object_put(log);
    reg_http_request_cleanup(&r);
}

static void
test_body_cap(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;
    size_t size;

    (void)state;
    url_of(u, sizeof(u), "/api/models/openai/whisper-tiny?blobs=true");
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_OK);
    size = r.body.len;
    assert_true(size > 100);
    reg_http_request_cleanup(&r);

    fetch_one(&cfg, &r, u, size); /* exactly at the cap */
    assert_int_equal(r.result, REG_OK);
    assert_int_equal(r.body.len, size);
    reg_http_request_cleanup(&r);

    fetch_one(&cfg, &r, u, size - 1);
    assert_int_equal(r.result, REG_ETOOLARGE);
    assert_int_equal(r.body.len, 0);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "exceeds"));
    reg_http_request_cleanup(&r);
}

/* A 151 MB generated file with a 64 KiB cap: the transfer stops at the cap. */
static void
test_body_cap_aborts_stream(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;

    (void)state;
    url_of(u, sizeof(u), "/openai/whisper-tiny/resolve/main/model.safetensors");
    fetch_one(&cfg, &r, u, 64 * 1024);
    assert_int_equal(r.result, REG_ETOOLARGE);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, 0);
    printf("upstream: a large body was refused at the 64 KiB cap after %.3f s\n", r.seconds);
    reg_http_request_cleanup(&r);
}

static void
test_headers_sent(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u1[512], u2[512];
    struct reg_http_request r[2];
    struct json_object *log;
    int bad = 0;

    (void)state;
    url_of(u1, sizeof(u1), "/repos/openai/whisper?with=token");
    url_of(u2, sizeof(u2), "/repos/openai/whisper?without=token");
    reg_http_request_init(&r[0], u1, BIG);
    reg_http_request_init(&r[1], u2, BIG);
    r[0].bearer = "ghp_unit_test_token";
    r[0].accept = "application/vnd.github+json";
    assert_int_equal(reg_http_fetch_all(&cfg, r, 2), REG_OK);
    assert_int_equal(r[0].result, REG_OK);
    assert_int_equal(r[1].result, REG_OK);
    log = fixture_log();
    assert_int_equal(log_count(log), 2);
    for (int i = 0; i < 2; i++) {
        struct json_object *e = log_entry(log, i);
        bool with = strstr(entry_str(e, "path"), "with=token") != NULL;

        CHECK(&bad, entry_bool(e, "authorization") == with, "%s: authorization sent: %d",
              entry_str(e, "path"), !with);
        CHECK(&bad, !with || strcmp(entry_str(e, "authorization_scheme"), "Bearer") == 0,
              "scheme %s", entry_str(e, "authorization_scheme"));
        CHECK(&bad, !with || strcmp(entry_str(e, "accept"), "application/vnd.github+json") == 0,
              "accept %s", entry_str(e, "accept"));
        CHECK(&bad, strcmp(entry_str(e, "user_agent"), REG_HTTP_USER_AGENT) == 0, "user agent %s",
              entry_str(e, "user_agent"));
    }
    json_object_put(log);
    assert_int_equal(bad, 0);
    reg_http_request_cleanup(&r[0]);
    reg_http_request_cleanup(&r[1]);
}

/* Results are overwritten by a second call with the same request. */
static void
test_refetch_resets_results(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;

    (void)state;
    url_of(u, sizeof(u), "/api/models/fixture-lab/no-such-model");
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_ENOTFOUND);
    url_of(u, sizeof(u), "/api/models/gpt2");
    assert_int_equal(reg_http_fetch_all(&cfg, &r, 1), REG_OK);
    assert_int_equal(r.result, REG_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.error, "");
    assert_null(strstr(r.body.data, "Repository not found"));
    reg_http_request_cleanup(&r);
}

/* ---------------------------------------------------------------- POST */

/* The registry's GraphQL query for openai/whisper, the one POST the fixture server answers. */
/* The registry's query for openai/whisper, JSON-encoded (the query holds quotes). */
static const char *
graphql_body(void)
{
    static char body[4096];
    struct reg_arena a;

    if (!body[0]) {
        reg_arena_init(&a);
        snprintf(body, sizeof(body), "%s", reg_gh_graphql_pulls_body(&a, "openai/whisper"));
        reg_arena_cleanup(&a);
    }
    return body;
}

static void
init_post(struct reg_http_request *r, const char *url)
{
    reg_http_request_init(r, url, BIG);
    r->post = graphql_body();
    r->bearer = "ghp_unit_test_token";
    r->accept = "application/json";
}

/* A POST next to a GET in one round: each is sent as asked and answered. */
static void
test_post_sent(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u1[512], u2[512];
    struct reg_http_request r[2];
    struct json_object *log;
    int posts = 0;

    (void)state;
    url_of(u1, sizeof(u1), "/graphql");
    url_of(u2, sizeof(u2), "/repos/openai/whisper");
    init_post(&r[0], u1);
    reg_http_request_init(&r[1], u2, BIG);
    assert_int_equal(reg_http_fetch_all(&cfg, r, 2), REG_OK);
    assert_int_equal(r[0].result, REG_OK);
    assert_int_equal(r[0].status, 200);
    assert_non_null(strstr(r[0].body.data, "\"pullRequests\""));
    assert_null(strstr(r[0].body.data, "\"errors\""));
    assert_int_equal(r[1].result, REG_OK);
    log = fixture_log();
    assert_int_equal(log_count(log), 2);
    for (int i = 0; i < 2; i++) {
        struct json_object *e = log_entry(log, i);

        if (strcmp(entry_str(e, "method"), "POST") != 0)
            continue;
        posts++;
        assert_string_equal(entry_str(e, "route"), "gh.graphql");
        assert_true(entry_bool(e, "authorization"));
    }
    assert_int_equal(posts, 1);
    json_object_put(log);
    reg_http_request_cleanup(&r[0]);
    reg_http_request_cleanup(&r[1]);
}

/* A POST that meets a 500 is sent again, body and all (only queries are posted). */
static void
test_post_retried(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512];
    struct reg_http_request r;

    (void)state;
    fixture_config("{\"fail\": \"500\", \"fail_paths\": \"^/graphql\", \"fail_count\": 1}");
    url_of(u, sizeof(u), "/graphql");
    init_post(&r, u);
    assert_int_equal(reg_http_fetch_all(&cfg, &r, 1), REG_OK);
    assert_int_equal(r.result, REG_OK);
    assert_int_equal(r.attempts, 2);
    assert_non_null(strstr(r.body.data, "\"pullRequests\""));
    assert_int_equal(requests_seen(), 2);
    reg_http_request_cleanup(&r);
}

/* A POST body over REG_HTTP_POST_MAX is refused before anything is sent. */
static void
test_post_too_large(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    char u[512], *big = malloc(REG_HTTP_POST_MAX + 2);
    struct reg_http_request r;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', REG_HTTP_POST_MAX + 1);
    big[REG_HTTP_POST_MAX + 1] = '\0';
    url_of(u, sizeof(u), "/graphql");
    init_post(&r, u);
    r.post = big;
    assert_int_equal(reg_http_fetch_all(&cfg, &r, 1), REG_OK);
    assert_int_equal(r.result, REG_EINVAL);
    assert_non_null(strstr(r.error, "POST body"));
    assert_int_equal(requests_seen(), 0);
    reg_http_request_cleanup(&r);
    free(big);
}

/* A one-shot local server: accepts one connection, reads the request head, answers a 307 to
 * the fixture server's /graphql. */
struct redirector {
    int fd;
    char base[64];
};

static void *
redirect_once(void *arg)
{
    struct redirector *rd = arg;
    char buf[8192], answer[1024];
    size_t got = 0;
    int c = accept(rd->fd, NULL, NULL);

    if (c < 0)
        return NULL;
    while (got < sizeof(buf) - 1) {
        ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);

        if (n <= 0)
            break;
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    snprintf(answer, sizeof(answer),
             "HTTP/1.1 307 Temporary Redirect\r\nLocation: %s/graphql\r\nContent-Length: 0\r\n"
             "Connection: close\r\n\r\n",
             upstream);
    (void)!write(c, answer, strlen(answer));
    close(c);
    return NULL;
}

static void
redirector_start(struct redirector *rd, pthread_t *t)
{
    rd->fd = loopback_listen(1, rd->base, sizeof(rd->base));
    assert_int_equal(pthread_create(t, NULL, redirect_once, rd), 0);
}

/* A redirected POST is a failure, not resent to the Location (even an allowed one). */
static void
test_post_not_redirected(void **state)
{
    struct redirector rd;
    pthread_t t;
    const char *bases[2];
    struct reg_http_config cfg;
    char u[128];
    struct reg_http_request r;

    (void)state;
    redirector_start(&rd, &t);
    bases[0] = rd.base;
    bases[1] = upstream;
    cfg = config_for(bases, 2);
    snprintf(u, sizeof(u), "%s/graphql", rd.base);
    init_post(&r, u);
    assert_int_equal(reg_http_fetch_all(&cfg, &r, 1), REG_OK);
    pthread_join(t, NULL);
    close(rd.fd);
    assert_int_equal(r.result, REG_EUPSTREAM);
    assert_int_equal(r.status, 307);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "a POST is not redirected"));
    assert_int_equal(requests_seen(), 0);
    reg_http_request_cleanup(&r);
}

/* ---------------------------------------------------------------- streaming */

/* What a test sink saw. */
struct sink {
    EVP_MD_CTX *md;
    int64_t bytes;
    int chunks;
    size_t max_chunk;
    bool saw_redirect_text; /* "Temporary Redirect" appeared in a chunk */
    long sleep_us;          /* per chunk: a slow consumer */
    int refuse_after;       /* chunks accepted before refusing; 0 = never refuse */
};

static void
sink_init(struct sink *k)
{
    memset(k, 0, sizeof(*k));
    k->md = EVP_MD_CTX_new();
    assert_non_null(k->md);
    assert_int_equal(EVP_DigestInit_ex(k->md, EVP_sha256(), NULL), 1);
}

/* Finishes the digest into out (32 bytes) and frees the context. */
static void
sink_done(struct sink *k, unsigned char out[32])
{
    unsigned int n = 0;

    assert_int_equal(EVP_DigestFinal_ex(k->md, out, &n), 1);
    assert_int_equal(n, 32);
    EVP_MD_CTX_free(k->md);
    k->md = NULL;
}

/* Whether the NUL-free text needle occurs in data[0..len). */
static bool
contains(const void *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; i + n <= len; i++)
        if (memcmp((const char *)data + i, needle, n) == 0)
            return true;
    return false;
}

static enum reg_status
test_sink(void *ctx, const void *data, size_t len)
{
    struct sink *k = ctx;

    assert_true(len > 0);
    if (k->refuse_after > 0 && k->chunks >= k->refuse_after)
        return reg_errorf(REG_ESTORE, "test sink: disk full after %lld bytes", (long long)k->bytes);
    if (contains(data, len, "Temporary Redirect"))
        k->saw_redirect_text = true;
    assert_int_equal(EVP_DigestUpdate(k->md, data, len), 1);
    k->bytes += (int64_t)len;
    k->chunks++;
    if (len > k->max_chunk)
        k->max_chunk = len;
    if (k->sleep_us > 0) {
        struct timespec ts = {0, k->sleep_us * 1000L};

        nanosleep(&ts, NULL);
    }
    return REG_OK;
}

static void
digest_of(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 0;

    assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), 1);
}

/* A generated 2.4 MB file arrives in many chunks, byte for byte what the buffered fetch gets. */
static void
test_stream_equals_buffered(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    struct reg_http_stream_result res;
    struct reg_http_request r;
    unsigned char want[32], got[32];
    struct sink k;
    char u[512];

    (void)state;
    url_of(u, sizeof(u), "/openai/whisper-tiny/resolve/main/tokenizer.json");
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_OK);
    assert_int_equal(r.body.len, 2480466);
    digest_of(r.body.data, r.body.len, want);
    reg_http_request_cleanup(&r);

    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, BIG, test_sink, &k, &res), REG_OK);
    sink_done(&k, got);
    assert_int_equal(res.status, 200);
    assert_int_equal(res.bytes, 2480466);
    assert_int_equal(k.bytes, res.bytes);
    assert_int_equal(res.attempts, 1);
    assert_string_equal(res.error, "");
    assert_memory_equal(got, want, 32);
    assert_true(k.chunks > 10);
    assert_true(k.max_chunk <= REG_HTTP_STREAM_BUFFER);
    printf("stream: %lld bytes in %d chunks (largest %zu) in %.3f s\n", (long long)res.bytes,
           k.chunks, k.max_chunk, res.seconds);
}

/* The cap: exactly at it passes; one byte less refuses; a 151 MB file stops at 64 KiB. */
static void
test_stream_cap(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    struct reg_http_stream_result res;
    unsigned char d[32];
    struct sink k;
    char u[512];

    (void)state;
    url_of(u, sizeof(u), "/openai/whisper-tiny/resolve/main/vocab.json");
    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, 835550, test_sink, &k, &res), REG_OK);
    sink_done(&k, d);
    assert_int_equal(res.bytes, 835550);

    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, 835549, test_sink, &k, &res),
                     REG_ETOOLARGE);
    sink_done(&k, d);
    assert_true(res.bytes <= 835549);
    assert_int_equal(k.bytes, res.bytes);
    assert_int_equal(res.attempts, 1);
    assert_non_null(strstr(res.error, "exceeds 835549 bytes"));
    assert_non_null(strstr(reg_error_detail(), "exceeds 835549 bytes"));

    url_of(u, sizeof(u), "/openai/whisper-tiny/resolve/main/model.safetensors");
    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, 64 * 1024, test_sink, &k, &res),
                     REG_ETOOLARGE);
    sink_done(&k, d);
    assert_true(res.bytes <= 64 * 1024);
    assert_int_equal(res.status, 200);
    printf("stream: a 151 MB body stopped at the 64 KiB cap after %.3f s\n", res.seconds);
}

/* Collects a ranged body. */
struct collect {
    struct reg_buf b;
};

static enum reg_status
collect_sink(void *ctx, const void *data, size_t len)
{
    return reg_buf_append(&((struct collect *)ctx)->b, data, len);
}

/* A range is the slice of the whole body; a 200 answer (GitHub's raw contents ignore Range) is
 * cut at the range's end from byte 0 and refused from a later byte. */
static void
test_stream_range(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    struct reg_http_stream_result res;
    struct reg_http_request r;
    struct collect c;
    char u[512];

    (void)state;
    url_of(u, sizeof(u), "/openai/whisper-tiny/resolve/main/tokenizer.json");
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_OK);

    reg_buf_init(&c.b, BIG);
    assert_int_equal(reg_http_stream_range(&cfg, u, NULL, NULL, 1000, 1000, collect_sink, &c, &res),
                     REG_OK);
    assert_int_equal(res.status, 206);
    assert_int_equal(c.b.len, 1000);
    assert_memory_equal(c.b.data, r.body.data + 1000, 1000);
    reg_buf_reset(&c.b);
    assert_int_equal(reg_http_stream_range(&cfg, u, NULL, NULL, (int64_t)r.body.len - 100, -1,
                                           collect_sink, &c, &res),
                     REG_OK);
    assert_int_equal(c.b.len, 100);
    assert_memory_equal(c.b.data, r.body.data + r.body.len - 100, 100);
    reg_buf_reset(&c.b);
    assert_int_equal(reg_http_stream_range(&cfg, u, NULL, NULL, 0, 0, collect_sink, &c, &res),
                     REG_EINVAL);
    reg_http_request_cleanup(&r);

    url_of(u, sizeof(u), "/repos/openai/whisper/contents/README.md");
    assert_int_equal(
        reg_http_stream_range(&cfg, u, REG_TEST_GH_RAW, NULL, 0, 10, collect_sink, &c, &res),
        REG_OK);
    assert_int_equal(res.status, 200);
    assert_int_equal(c.b.len, 10);
    reg_buf_reset(&c.b);
    assert_int_equal(
        reg_http_stream_range(&cfg, u, REG_TEST_GH_RAW, NULL, 5, 10, collect_sink, &c, &res),
        REG_EUPSTREAM);
    assert_int_equal(c.b.len, 0);
    assert_non_null(strstr(res.error, "answered 200 to a Range request from byte 5"));
    reg_buf_cleanup(&c.b);
}

/* URLs outside the bases are refused before any request, and the sink never runs. */
static void
test_stream_outside_bases(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    const char *port = strrchr(upstream, ':');
    struct reg_http_stream_result res;
    char urls[4][512];
    unsigned char d[32];
    struct sink k;

    (void)state;
    snprintf(urls[0], sizeof(urls[0]), "http://localhost%s/gpt2/resolve/main/config.json", port);
    snprintf(urls[1], sizeof(urls[1]), "https://huggingface.co/gpt2/resolve/main/config.json");
    snprintf(urls[2], sizeof(urls[2]), "file:///etc/passwd");
    url_of(urls[3], sizeof(urls[3]), "/gpt2/resolve/main/%2e%2e/%2e%2e/etc/passwd");
    for (int i = 0; i < 4; i++) {
        sink_init(&k);
        assert_int_equal(reg_http_stream(&cfg, urls[i], NULL, NULL, BIG, test_sink, &k, &res),
                         REG_EINVAL);
        sink_done(&k, d);
        assert_int_equal(k.chunks, 0);
        assert_int_equal(res.attempts, 0);
        assert_non_null(strstr(res.error, "not under an allowed upstream base"));
    }
    url_of(urls[0], sizeof(urls[0]), "/gpt2/resolve/main/config.json");
    sink_init(&k);
    assert_int_equal(
        reg_http_stream(&cfg, urls[0], NULL, "bad\r\nX-Injected: 1", BIG, test_sink, &k, &res),
        REG_EINVAL);
    sink_done(&k, d);
    assert_int_equal(reg_http_stream(&cfg, urls[0], NULL, NULL, 0, test_sink, &k, &res),
                     REG_EINVAL); /* no cap */
    assert_int_equal(reg_http_stream(&cfg, urls[0], NULL, NULL, BIG, NULL, &k, &res), REG_EINVAL);
    assert_int_equal(reg_http_stream(NULL, urls[0], NULL, NULL, BIG, test_sink, &k, &res),
                     REG_EINVAL);
    assert_int_equal(requests_seen(), 0);
}

/* The 307 of a renamed dataset is followed; its body never reaches the sink. Narrowing the
 * base to the alias makes the same redirect leave it: refused, nothing streamed. */
static void
test_stream_redirects(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    struct reg_http_stream_result res;
    struct reg_http_request r;
    unsigned char want[32], got[32];
    char u[512], direct[512], narrow[512];
    const char *narrow_bases[1];
    struct sink k;
    struct json_object *log;

    (void)state;
    url_of(direct, sizeof(direct), "/datasets/rajpurkar/squad/resolve/main/README.md");
    fetch_one(&cfg, &r, direct, BIG);
    assert_int_equal(r.result, REG_OK);
    digest_of(r.body.data, r.body.len, want);
    reset_fixture(NULL);

    url_of(u, sizeof(u), "/datasets/squad/resolve/main/README.md");
    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, BIG, test_sink, &k, &res), REG_OK);
    sink_done(&k, got);
    assert_int_equal(res.status, 200);
    assert_int_equal(res.bytes, (int64_t)r.body.len);
    assert_memory_equal(got, want, 32);
    assert_false(k.saw_redirect_text);
    log = fixture_log();
    assert_int_equal(log_count(log), 2);
    assert_string_equal(entry_str(log_entry(log, 0), "route"), "hf.redirect");
    json_object_put(log);
    reg_http_request_cleanup(&r);

    reset_fixture(NULL);
    url_of(narrow, sizeof(narrow), "/datasets/squad");
    narrow_bases[0] = narrow;
    cfg = config_for(narrow_bases, 1);
    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, BIG, test_sink, &k, &res), REG_EINVAL);
    sink_done(&k, got);
    assert_int_equal(res.status, 307);
    assert_int_equal(k.chunks, 0);
    assert_non_null(strstr(res.error, "leaves the allowed upstream bases"));
    assert_int_equal(requests_seen(), 1);
}

/* A 500 before the first byte is retried, and its body is not streamed. */
static void
test_stream_retry_before_first_byte(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    struct reg_http_stream_result res;
    struct reg_http_request r;
    unsigned char want[32], got[32];
    struct sink k;
    char u[512];

    (void)state;
    url_of(u, sizeof(u), "/openai/whisper-tiny/resolve/main/merges.txt");
    fetch_one(&cfg, &r, u, BIG);
    assert_int_equal(r.result, REG_OK);
    digest_of(r.body.data, r.body.len, want);
    fixture_config("{\"fail\": \"500\", \"fail_paths\": \"merges\", \"fail_count\": 1}");
    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, BIG, test_sink, &k, &res), REG_OK);
    sink_done(&k, got);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(res.bytes, (int64_t)r.body.len);
    assert_memory_equal(got, want, 32);
    reg_http_request_cleanup(&r);

    fixture_config("{\"fail\": \"reset\", \"fail_paths\": \"merges\", \"fail_count\": 1}");
    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, BIG, test_sink, &k, &res), REG_OK);
    sink_done(&k, got);
    assert_int_equal(res.attempts, 2);
    assert_memory_equal(got, want, 32);

    fixture_config("{\"fail\": \"500\", \"fail_paths\": \"merges\", \"fail_count\": null}");
    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, BIG, test_sink, &k, &res), REG_EUPSTREAM);
    sink_done(&k, got);
    assert_int_equal(res.attempts, REG_HTTP_MAX_ATTEMPTS);
    assert_int_equal(res.status, 500);
    assert_int_equal(k.chunks, 0);
}

/* A transfer that fails after bytes were streamed (a per-attempt timeout hitting a slow sink)
 * is not retried: one request only. */
static void
test_stream_no_retry_after_bytes(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    struct reg_http_stream_result res;
    unsigned char d[32];
    struct sink k;
    char u[512];

    (void)state;
    cfg.total_timeout_ms = 200;
    url_of(u, sizeof(u), "/openai/whisper-tiny/resolve/main/model.safetensors");
    sink_init(&k);
    k.sleep_us = 4000;
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, INT64_MAX, test_sink, &k, &res),
                     REG_EUPSTREAM);
    sink_done(&k, d);
    assert_int_equal(res.attempts, 1);
    assert_true(res.bytes > 0);
    assert_int_equal(k.bytes, res.bytes);
    assert_non_null(strstr(res.error, "not retried"));
    assert_int_equal(requests_seen(), 1);
    printf("stream: gave up after %lld bytes and %.3f s, without a retry\n", (long long)res.bytes,
           res.seconds);
}

/* The sink's own failure ends the transfer with its status and detail, without a retry. */
static void
test_stream_sink_refuses(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    struct reg_http_stream_result res;
    unsigned char d[32];
    struct sink k;
    char u[512];

    (void)state;
    url_of(u, sizeof(u), "/openai/whisper-tiny/resolve/main/tokenizer.json");
    sink_init(&k);
    k.refuse_after = 2;
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, BIG, test_sink, &k, &res), REG_ESTORE);
    sink_done(&k, d);
    assert_int_equal(k.chunks, 2);
    assert_int_equal(res.bytes, k.bytes);
    assert_int_equal(res.attempts, 1);
    assert_non_null(strstr(res.error, "disk full"));
    assert_non_null(strstr(reg_error_detail(), "disk full"));
    assert_int_equal(requests_seen(), 1);
}

/* 404, and a gated file: 401 without the token, streamed with it. */
static void
test_stream_status_and_token(void **state)
{
    const char *const bases[] = {upstream};
    struct reg_http_config cfg = config_for(bases, 1);
    struct reg_http_stream_result res;
    unsigned char d[32];
    struct sink k;
    char u[512];

    (void)state;
    url_of(u, sizeof(u), "/openai/whisper-tiny/resolve/main/no-such-file.bin");
    sink_init(&k);
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, BIG, test_sink, &k, &res), REG_ENOTFOUND);
    assert_int_equal(res.status, 404);
    assert_int_equal(k.chunks, 0);

    url_of(u, sizeof(u), "/datasets/LanguageShades/BiasShades/resolve/main/all/all.csv");
    assert_int_equal(reg_http_stream(&cfg, u, NULL, NULL, BIG, test_sink, &k, &res), REG_EUPSTREAM);
    assert_int_equal(res.status, 401);
    assert_int_equal(k.chunks, 0);
    assert_int_equal(reg_http_stream(&cfg, u, "application/octet-stream", "hf_unit_test_token", BIG,
                                     test_sink, &k, &res),
                     REG_OK);
    sink_done(&k, d);
    assert_int_equal(res.bytes, 175780);
}

#define TEST(f) cmocka_unit_test_setup(f, reset_fixture)

int
main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_url_allowed),
        cmocka_unit_test(test_retry_delay),
    };
    const struct CMUnitTest online[] = {
        TEST(test_misuse),
        TEST(test_concurrent_same_as_single),
        TEST(test_not_found),
        TEST(test_not_found_keeps_body),
        TEST(test_gated_keeps_status),
        TEST(test_500_twice_then_ok),
        TEST(test_429_retry_after),
        TEST(test_persistent_500),
        TEST(test_retry_is_per_request),
        TEST(test_reset_then_ok),
        TEST(test_hang_times_out),
        TEST(test_connection_refused),
        TEST(test_outside_bases_not_fetched),
        TEST(test_redirect_followed),
        TEST(test_redirect_leaving_bases_refused),
        TEST(test_redirect_drops_token_across_bases),
        TEST(test_body_cap),
        TEST(test_body_cap_aborts_stream),
        TEST(test_headers_sent),
        TEST(test_refetch_resets_results),
        TEST(test_post_sent),
        TEST(test_post_retried),
        TEST(test_post_too_large),
        TEST(test_post_not_redirected),
        TEST(test_stream_equals_buffered),
        TEST(test_stream_cap),
        TEST(test_stream_range),
        TEST(test_stream_outside_bases),
        TEST(test_stream_redirects),
        TEST(test_stream_retry_before_first_byte),
        TEST(test_stream_no_retry_after_bytes),
        TEST(test_stream_sink_refuses),
        TEST(test_stream_status_and_token),
    };
    const char *env = getenv(UPSTREAM_ENV);
    int failed;

    failed = cmocka_run_group_tests_name("upstream/http_client offline", offline, NULL, NULL);
    if (!env || !*env) {
        fprintf(stderr,
                "test_http_client: %s is not set. These tests need the upstream fixture server; "
                "run them through scripts/run-unit.sh (`make unit`), which starts it and sets "
                "%s=http://127.0.0.1:<port>.\n",
                UPSTREAM_ENV, UPSTREAM_ENV);
        return 1;
    }
    snprintf(upstream, sizeof(upstream), "%s", env);
    while (strlen(upstream) > 0 && upstream[strlen(upstream) - 1] == '/')
        upstream[strlen(upstream) - 1] = '\0';
    failed += cmocka_run_group_tests_name("upstream/http_client", online, NULL, NULL);
    return failed;
}
