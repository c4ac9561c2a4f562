/*
 * test_router.c - reg_router_match over a small table (literal routes before the templates
 * they overlap), then over the real table of lib/handlers/routes.c.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "handlers/handlers.h"
#include "http/router.h"

/* The handlers of the small table are never called: the router only hands them back. */
static enum reg_status
h_any(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    (void)app;
    (void)req;
    (void)resp;
    return REG_OK;
}

static const struct reg_route table[] = {
    {"GET", "/health", h_any, 0, 0},
    {"GET", "/health/components", h_any, 0, 0},
    {"DELETE", "/reset", h_any, 0, 0},
    {"POST", "/artifacts", h_any, 0, 0},
    {"GET", "/artifacts/{artifact_type}/{id}", h_any, 0, 0},
    {"PUT", "/artifacts/{artifact_type}/{id}", h_any, 0, 0},
    {"DELETE", "/artifacts/{artifact_type}/{id}", h_any, 0, 0},
    {"GET", "/artifact/byName/{name}", h_any, 0, 0},
    {"POST", "/artifact/byRegEx", h_any, 0, 0},
    {"POST", "/artifact/{artifact_type}", h_any, 0, 0},
    {"GET", "/artifact/model/{id}/rate", h_any, 0, 0},
    {"GET", "/artifact/{artifact_type}/{id}/cost", h_any, 0, 0},
    {"GET", "/a/b/c/d/e/f/g/{h}", h_any, 0, 0},
};
#define NTABLE NELEMS(table)

struct match_case {
    const char *method;
    const char *path;
    enum reg_status want;
    const char *pattern;   /* REG_OK: the route matched */
    const char *params[4]; /* REG_OK: "name=value" pairs in order */
    const char *allow;     /* REG_EMETHOD: the allow list */
};

static const struct match_case cases[] = {
    /* Literal routes. */
    {"GET", "/health", REG_OK, "/health", {NULL}, NULL},
    {"GET", "/health/components", REG_OK, "/health/components", {NULL}, NULL},
    {"DELETE", "/reset", REG_OK, "/reset", {NULL}, NULL},
    {"POST", "/artifacts", REG_OK, "/artifacts", {NULL}, NULL},
    /* Templates and their parameters. */
    {"GET",
     "/artifacts/model/123",
     REG_OK,
     "/artifacts/{artifact_type}/{id}",
     {"artifact_type=model", "id=123"},
     NULL},
    {"PUT",
     "/artifacts/dataset/abc-DEF-9",
     REG_OK,
     "/artifacts/{artifact_type}/{id}",
     {"artifact_type=dataset", "id=abc-DEF-9"},
     NULL},
    {"DELETE",
     "/artifacts/code/1",
     REG_OK,
     "/artifacts/{artifact_type}/{id}",
     {"artifact_type=code", "id=1"},
     NULL},
    {"GET", "/artifact/byName/bert", REG_OK, "/artifact/byName/{name}", {"name=bert"}, NULL},
    /* A literal route before the template it overlaps. */
    {"POST", "/artifact/byRegEx", REG_OK, "/artifact/byRegEx", {NULL}, NULL},
    {"POST", "/artifact/model", REG_OK, "/artifact/{artifact_type}", {"artifact_type=model"}, NULL},
    {"POST",
     "/artifact/byregex",
     REG_OK,
     "/artifact/{artifact_type}",
     {"artifact_type=byregex"},
     NULL},
    {"GET", "/artifact/model/7/rate", REG_OK, "/artifact/model/{id}/rate", {"id=7"}, NULL},
    {"GET",
     "/artifact/dataset/7/cost",
     REG_OK,
     "/artifact/{artifact_type}/{id}/cost",
     {"artifact_type=dataset", "id=7"},
     NULL},
    {"GET",
     "/artifact/model/7/cost",
     REG_OK,
     "/artifact/{artifact_type}/{id}/cost",
     {"artifact_type=model", "id=7"},
     NULL},
    /* Percent-decoded parameters: %2F stays inside its parameter. */
    {"GET", "/artifact/byName/a%2Fb", REG_OK, "/artifact/byName/{name}", {"name=a/b"}, NULL},
    {"GET",
     "/artifact/byName/hello%20world",
     REG_OK,
     "/artifact/byName/{name}",
     {"name=hello world"},
     NULL},
    {"GET", "/artifact/byName/a+b", REG_OK, "/artifact/byName/{name}", {"name=a+b"}, NULL},
    {"GET", "/artifact/byName/%2B", REG_OK, "/artifact/byName/{name}", {"name=+"}, NULL},
    {"GET",
     "/artifact/byName/%E2%82%AC%25",
     REG_OK,
     "/artifact/byName/{name}",
     {"name=\xe2\x82\xac%"},
     NULL},
    {"GET",
     "/artifacts/model/%2F..%2F",
     REG_OK,
     "/artifacts/{artifact_type}/{id}",
     {"artifact_type=model", "id=/../"},
     NULL},
    /* Literal segments are compared before decoding. */
    {"POST",
     "/artifact/by%52egEx",
     REG_OK,
     "/artifact/{artifact_type}",
     {"artifact_type=byRegEx"},
     NULL},
    /* Eight segments: the limit. */
    {"GET", "/a/b/c/d/e/f/g/h", REG_OK, "/a/b/c/d/e/f/g/{h}", {"h=h"}, NULL},
    /* Malformed escapes. */
    {"GET", "/artifact/byName/%", REG_EINVAL, NULL, {NULL}, NULL},
    {"GET", "/artifact/byName/%2", REG_EINVAL, NULL, {NULL}, NULL},
    {"GET", "/artifact/byName/%zz", REG_EINVAL, NULL, {NULL}, NULL},
    {"GET", "/artifact/byName/a%2", REG_EINVAL, NULL, {NULL}, NULL},
    {"GET", "/artifact/byName/%00", REG_EINVAL, NULL, {NULL}, NULL},
    {"GET", "/artifacts/model/%G1", REG_EINVAL, NULL, {NULL}, NULL},
    /* Unknown paths. */
    {"GET", "/", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "health", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/nope", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/Health", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/healthz", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/health/components/x", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/artifacts/model", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/artifacts/model/1/2", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/artifact/model/7/rates", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/%68ealth", REG_ENOROUTE, NULL, {NULL}, NULL},
    /* Empty segments: a parameter is never empty. */
    {"GET", "/artifacts//123", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/artifacts/model/", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/artifacts//", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "//health", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"POST", "/artifact/", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/artifact/byName/", REG_ENOROUTE, NULL, {NULL}, NULL},
    /* Trailing slashes are another path. */
    {"GET", "/health/", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"POST", "/artifacts/", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/artifacts/model/1/", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/health//", REG_ENOROUTE, NULL, {NULL}, NULL},
    /* Too many segments. */
    {"GET", "/a/b/c/d/e/f/g/h/i/j", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/a/b/c/d/e/f/g/h/", REG_ENOROUTE, NULL, {NULL}, NULL},
    /* Wrong method: 405 with the methods the path accepts. */
    {"POST", "/health", REG_EMETHOD, NULL, {NULL}, "GET"},
    {"GET", "/reset", REG_EMETHOD, NULL, {NULL}, "DELETE"},
    {"GET", "/artifacts", REG_EMETHOD, NULL, {NULL}, "POST"},
    {"POST", "/artifacts/model/1", REG_EMETHOD, NULL, {NULL}, "GET, PUT, DELETE"},
    {"get", "/health", REG_EMETHOD, NULL, {NULL}, "GET"},
    {"PUT", "/artifact/byName/x", REG_EMETHOD, NULL, {NULL}, "GET"},
    {"GET", "/artifact/model", REG_EMETHOD, NULL, {NULL}, "POST"},
    {"DELETE", "/artifact/model/1/rate", REG_EMETHOD, NULL, {NULL}, "GET"},
    /* A malformed escape on a path without a route for the method is still a 405. */
    {"PUT", "/artifact/byName/%zz", REG_EMETHOD, NULL, {NULL}, "GET"},
};

/* Runs one case; returns the number of mismatches (each reported). */
static int
run_case(const struct reg_route *routes, int nroutes, const struct match_case *c)
{
    struct reg_request req;
    const struct reg_route *route = NULL;
    const char *allow = NULL;
    enum reg_status st;
    int bad = 0;

    reg_request_init(&req);
    req.method = c->method;
    req.path = c->path;
    st = reg_router_match(routes, nroutes, &req, &route, &allow);
    CHECK(&bad, st == c->want, "%s %.100s: status %d (%s), want %d", c->method, c->path, st,
          st ? reg_error_detail() : "", c->want);
    if (st == REG_OK && c->want == REG_OK) {
        int n = 0;
        CHECK(&bad,
              route && strcmp(route->pattern, c->pattern) == 0 &&
                  strcmp(route->method, c->method) == 0,
              "%s %.100s: matched %s %s, want %s", c->method, c->path, route ? route->method : "-",
              route ? route->pattern : "-", c->pattern);
        CHECK(&bad, req.route && strcmp(req.route, c->pattern) == 0, "%s %.100s: req.route %s",
              c->method, c->path, req.route ? req.route : "(null)");
        for (; n < 4 && c->params[n]; n++) {
            char got[REG_MAX_PATH + 128];
            if (n >= req.nparams) {
                CHECK(&bad, false, "%s %.100s: parameter %d missing", c->method, c->path, n);
                continue;
            }
            snprintf(got, sizeof(got), "%s=%s", req.params[n].name, req.params[n].value);
            CHECK(&bad, strcmp(got, c->params[n]) == 0,
                  "%s %.100s: parameter %d is '%s', want '%s'", c->method, c->path, n, got,
                  c->params[n]);
            /* reg_request_param finds it by name. */
            CHECK(&bad, reg_request_param(&req, req.params[n].name) == req.params[n].value,
                  "%s %.100s: reg_request_param(%s)", c->method, c->path, req.params[n].name);
        }
        CHECK(&bad, req.nparams == n, "%s %.100s: %d parameters, want %d", c->method, c->path,
              req.nparams, n);
        CHECK(&bad, allow == NULL, "%s %.100s: allow set on a match", c->method, c->path);
    }
    if (c->want == REG_EMETHOD && st == REG_EMETHOD)
        CHECK(&bad, allow && strcmp(allow, c->allow) == 0, "%s %.100s: allow '%s', want '%s'",
              c->method, c->path, allow ? allow : "(null)", c->allow);
    if (st == REG_ENOROUTE || st == REG_EMETHOD) {
        CHECK(&bad, route == NULL, "%s %.100s: *out set on an error", c->method, c->path);
        CHECK(&bad, strlen(reg_error_detail()) > 0, "%s %.100s: no detail", c->method, c->path);
    }
    if (st != REG_EMETHOD)
        CHECK(&bad, allow == NULL, "%s %.100s: allow set without a 405", c->method, c->path);
    reg_request_cleanup(&req);
    return bad;
}

static void
test_match_table(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++)
        bad += run_case(table, NTABLE, &cases[i]);
    assert_int_equal(bad, 0);
}

static void
test_long_paths(void **state)
{
    static char path[REG_MAX_PATH + 64];
    struct match_case c = {"GET", path, REG_OK, "/artifact/byName/{name}", {NULL}, NULL};
    static char param[REG_MAX_PATH + 64];
    const size_t prefix = strlen("/artifact/byName/");

    (void)state;
    /* Exactly REG_MAX_PATH bytes is routed; one more is not. */
    strcpy(path, "/artifact/byName/");
    memset(path + prefix, 'x', REG_MAX_PATH - prefix);
    path[REG_MAX_PATH] = '\0';
    snprintf(param, sizeof(param), "name=%s", path + prefix);
    c.params[0] = param;
    assert_int_equal(run_case(table, NTABLE, &c), 0);
    path[REG_MAX_PATH] = 'x';
    path[REG_MAX_PATH + 1] = '\0';
    c.want = REG_ENOROUTE;
    assert_int_equal(run_case(table, NTABLE, &c), 0);
}

static void
test_empty_table(void **state)
{
    struct match_case c = {"GET", "/health", REG_ENOROUTE, NULL, {NULL}, NULL};

    (void)state;
    assert_int_equal(run_case(table, 0, &c), 0);
}

static void
test_reused_request(void **state)
{
    struct reg_request req;
    const struct reg_route *route;
    const char *allow;

    (void)state;
    /* A second match on the same request replaces the parameters of the first. */
    reg_request_init(&req);
    req.method = "GET";
    req.path = "/artifacts/model/1";
    assert_int_equal(reg_router_match(table, NTABLE, &req, &route, &allow), REG_OK);
    assert_int_equal(req.nparams, 2);
    req.path = "/artifact/byName/n";
    assert_int_equal(reg_router_match(table, NTABLE, &req, &route, &allow), REG_OK);
    assert_int_equal(req.nparams, 1);
    assert_string_equal(reg_request_param(&req, "name"), "n");
    assert_null(reg_request_param(&req, "id"));
    reg_request_cleanup(&req);
}

/* REG_MAX_SEGMENTS is the number of segments a route may have: a path with one more is not
 * routed, even where a (misconfigured) route of that length exists. */
#define LONG_PATH                                                                                  \
    "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20/21/22/23/24/25/26/27/28/29/30/31/32/33"

static const struct reg_route long_table[] = {
    {"GET", LONG_PATH, h_any, 0, 0},
};

static void
test_segment_limit(void **state)
{
    struct match_case c = {"GET", LONG_PATH, REG_ENOROUTE, NULL, {NULL}, NULL};

    (void)state;
    assert_int_equal(REG_MAX_SEGMENTS, 32);
    assert_int_equal(run_case(long_table, NELEMS(long_table), &c), 0);
}

static void
test_allow_list_has_no_duplicates(void **state)
{
    /* Two routes with the same method match /artifact/byRegEx: the literal one and the
     * template. The Allow list names each method once. */
    struct match_case c = {"GET", "/artifact/byRegEx", REG_EMETHOD, NULL, {NULL}, "POST"};

    (void)state;
    assert_int_equal(run_case(table, NTABLE, &c) + run_case(reg_routes, reg_nroutes, &c), 0);
}

/* Sample values for the parameters of the real table. */
static const char *
sample(const char *name, size_t len)
{
    static const struct {
        const char *name;
        const char *value;
    } samples[] = {
        {"artifact_type", "model"},
        {"id", "3847247294"},
        {"name", "bert-base-uncased"},
    };

    for (int i = 0; i < NELEMS(samples); i++)
        if (strlen(samples[i].name) == len && memcmp(samples[i].name, name, len) == 0)
            return samples[i].value;
    return "sample";
}

/* The path of pattern with each {param} replaced by its sample; the expected "name=value"
 * pairs go to params (storage in buf). */
static int
instantiate(const char *pattern, char *path, size_t size, char params[][128])
{
    size_t o = 0;
    int n = 0;

    for (const char *p = pattern; *p;) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            const char *v;
            size_t len;
            assert_non_null(end);
            len = (size_t)(end - p - 1) - (end[-1] == '*'); /* a wildcard's name has no '*' */
            v = sample(p + 1, len);
            o += (size_t)snprintf(path + o, size - o, "%s", v);
            snprintf(params[n++], 128, "%.*s=%s", (int)len, p + 1, v);
            p = end + 1;
        } else {
            path[o++] = *p++;
        }
    }
    path[o] = '\0';
    return n;
}

static void
test_real_table_self_match(void **state)
{
    int bad = 0;

    (void)state;
    assert_true(reg_nroutes > 0);
    for (int i = 0; i < reg_nroutes; i++) {
        const struct reg_route *r = &reg_routes[i];
        char path[512];
        char params[REG_MAX_SEGMENTS][128];
        int n = instantiate(r->pattern, path, sizeof(path), params);
        struct reg_request req;
        const struct reg_route *route = NULL;
        const char *allow = NULL;
        enum reg_status st;

        assert_non_null(r->handler);
        reg_request_init(&req);
        req.method = r->method;
        req.path = path;
        st = reg_router_match(reg_routes, reg_nroutes, &req, &route, &allow);
        CHECK(&bad, st == REG_OK && route == r, "%s %s (%s): status %d, matched %s %s", r->method,
              path, r->pattern, st, route ? route->method : "-", route ? route->pattern : "-");
        if (st == REG_OK && route == r) {
            CHECK(&bad, req.nparams == n, "%s %s: %d params, want %d", r->method, path, req.nparams,
                  n);
            for (int k = 0; k < n && k < req.nparams; k++) {
                char got[256];
                snprintf(got, sizeof(got), "%s=%s", req.params[k].name, req.params[k].value);
                CHECK(&bad, strcmp(got, params[k]) == 0, "%s %s: param '%s', want '%s'", r->method,
                      path, got, params[k]);
            }
        }
        reg_request_cleanup(&req);
    }
    assert_int_equal(bad, 0);
}

static void
test_real_table_shape(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < reg_nroutes; i++) {
        const struct reg_route *r = &reg_routes[i];
        int segs = 0;
        for (const char *p = r->pattern; *p; p++)
            segs += *p == '/';
        CHECK(&bad, r->pattern[0] == '/', "route %d: %s is not absolute", i, r->pattern);
        CHECK(&bad, segs <= REG_MAX_SEGMENTS, "route %d: %s has %d segments", i, r->pattern, segs);
        CHECK(&bad, strspn(r->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(r->method),
              "route %d: method %s", i, r->method);
        for (int j = 0; j < i; j++)
            CHECK(&bad,
                  strcmp(r->method, reg_routes[j].method) != 0 ||
                      strcmp(r->pattern, reg_routes[j].pattern) != 0,
                  "routes %d and %d are both %s %s", j, i, r->method, r->pattern);
    }
    assert_int_equal(bad, 0);
}

static const struct match_case real_cases[] = {
    {"GET", "/health", REG_OK, "/health", {NULL}, NULL},
    {"POST", "/artifact/byRegEx", REG_OK, "/artifact/byRegEx", {NULL}, NULL},
    {"POST",
     "/artifact/dataset",
     REG_OK,
     "/artifact/{artifact_type}",
     {"artifact_type=dataset"},
     NULL},
    {"GET", "/artifact/byName/a%2Fb%20c", REG_OK, "/artifact/byName/{name}", {"name=a/b c"}, NULL},
    {"GET",
     "/artifact/code/12/cost",
     REG_OK,
     "/artifact/{artifact_type}/{id}/cost",
     {"artifact_type=code", "id=12"},
     NULL},
    {"POST",
     "/artifact/model/12/license-check",
     REG_OK,
     "/artifact/model/{id}/license-check",
     {"id=12"},
     NULL},
    {"GET", "/artifact/model/12/license-check", REG_EMETHOD, NULL, {NULL}, "POST"},
    {"POST", "/health", REG_EMETHOD, NULL, {NULL}, "GET"},
    {"PATCH", "/artifacts/model/1", REG_EMETHOD, NULL, {NULL}, "GET, PUT, DELETE"},
    {"GET", "/artifacts/model/%zz", REG_EINVAL, NULL, {NULL}, NULL},
    {"GET", "/nowhere", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/health/", REG_ENOROUTE, NULL, {NULL}, NULL},
    /* Wildcards: as few segments as let the rest match, joined with '/'. */
    {"GET",
     "/google-bert/bert-base-uncased/resolve/main/onnx/model.onnx",
     REG_OK,
     "/{repo*}/resolve/{rev}/{path*}",
     {"repo=google-bert/bert-base-uncased", "rev=main", "path=onnx/model.onnx"},
     NULL},
    {"HEAD",
     "/gpt2/resolve/main/config.json",
     REG_OK,
     "/{repo*}/resolve/{rev}/{path*}",
     {"repo=gpt2", "rev=main", "path=config.json"},
     NULL},
    {"GET",
     "/datasets/o/d/resolve/refs%2Fpr%2F1/a/resolve/b.txt",
     REG_OK,
     "/datasets/{repo*}/resolve/{rev}/{path*}",
     {"repo=o/d", "rev=refs/pr/1", "path=a/resolve/b.txt"},
     NULL},
    {"GET",
     "/api/models/o/m/tree/main/sub",
     REG_OK,
     "/api/models/{repo*}",
     {"repo=o/m/tree/main/sub"},
     NULL},
    {"POST", "/o/m/resolve/main/x", REG_EMETHOD, NULL, {NULL}, "GET, HEAD"},
    {"GET", "/o/m/resolve/main", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/o//resolve/main/x", REG_ENOROUTE, NULL, {NULL}, NULL},
    {"GET", "/api/models", REG_ENOROUTE, NULL, {NULL}, NULL},
};

static void
test_real_table_cases(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(real_cases); i++)
        bad += run_case(reg_routes, reg_nroutes, &real_cases[i]);
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_long_paths),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_reused_request),
        cmocka_unit_test(test_segment_limit),
        cmocka_unit_test(test_allow_list_has_no_duplicates),
        cmocka_unit_test(test_real_table_self_match),
        cmocka_unit_test(test_real_table_shape),
        cmocka_unit_test(test_real_table_cases),
    };
    return cmocka_run_group_tests_name("http/router", tests, NULL, NULL);
}
