/*
 * test_github_graphql.c - the GitHub GraphQL query's body and the mapping of its answers
 * (lib/upstream/github_graphql.c), without network: each case is an answer as the HTTP client
 * would leave it (result, status, body) and what the mapping must make of it. The fetch that
 * sends the query is tested against the fixture server in test_github.c.
 */
#include "unit.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/status.h"
#include "upstream/github_graphql.h"

#define NODE(number, merged, states)                                                               \
    "{\"number\":" #number ",\"merged\":" #merged ",\"reviews\":{\"nodes\":[" states "]}}"
#define ANSWER_TAGS(nodes, tags)                                                                   \
    "{\"data\":{\"repository\":{\"pullRequests\":{\"nodes\":[" nodes                               \
    "]},\"refs\":{\"nodes\":[" tags "]}}}}"
#define ANSWER(nodes) ANSWER_TAGS(nodes, "{\"name\":\"v2.0\"},{\"name\":\"v1.0\"}")

/* One answer and what its mapping must give. */
struct answer_case {
    const char *name;
    enum reg_status result; /* the HTTP client's */
    long status;
    const char *body;      /* NULL: none */
    const char *error;     /* the HTTP client's error text */
    enum reg_status want;  /* the mapping's */
    const char *detail;    /* a part of the error detail, when want != REG_OK */
    int n;                 /* pull requests, when REG_OK */
    const char *expect[4]; /* "number merged approved" of the first ones */
    int ntags;             /* tags, when REG_OK (ANSWER's two unless said) */
};

static const struct answer_case answers[] = {
    {"two pull requests",
     REG_OK,
     200,
     ANSWER(NODE(12, true, "{\"state\":\"COMMENTED\"},{\"state\":\"APPROVED\"}") "," NODE(
         11, false, "{\"state\":\"CHANGES_REQUESTED\"}") "," NODE(9, true, "")),
     "",
     REG_OK,
     NULL,
     3,
     {"12 1 1", "11 0 0", "9 1 0"},
     2},
    {"dismissed and commented are no approval",
     REG_OK,
     200,
     ANSWER(NODE(5, true, "{\"state\":\"DISMISSED\"},{\"state\":\"COMMENTED\"}")),
     "",
     REG_OK,
     NULL,
     1,
     {"5 1 0"},
     2},
    {"no pull requests", REG_OK, 200, ANSWER(""), "", REG_OK, NULL, 0, {NULL}, 2},
    {"no tags", REG_OK, 200, ANSWER_TAGS(NODE(3, true, ""), ""), "", REG_OK, NULL, 1, {"3 1 0"}, 0},
    {"a tag without a name is skipped",
     REG_OK,
     200,
     ANSWER_TAGS("", "{\"name\":\"v1\"},{\"oid\":\"x\"},{\"name\":7}"),
     "",
     REG_OK,
     NULL,
     0,
     {NULL},
     1},
    {"no refs",
     REG_OK,
     200,
     "{\"data\":{\"repository\":{\"pullRequests\":{\"nodes\":[]}}}}",
     "",
     REG_EUPSTREAM,
     "no data.repository.refs.nodes list",
     0,
     {NULL},
     0},
    {"unknown repository",
     REG_OK,
     200,
     "{\"data\":{\"repository\":null},\"errors\":[{\"type\":\"NOT_FOUND\",\"path\":[\"repository\"]"
     ","
     "\"message\":\"Could not resolve to a Repository with the name 'o/r'.\"}]}",
     "",
     REG_ENOTFOUND,
     "repository o/r does not exist on GitHub",
     0,
     {NULL},
     0},
    {"rate limited",
     REG_OK,
     200,
     "{\"errors\":[{\"type\":\"RATE_LIMITED\",\"message\":\"API rate limit exceeded\"}]}",
     "",
     REG_EUPSTREAM,
     "RATE_LIMITED: API rate limit exceeded",
     0,
     {NULL},
     0},
    {"a partial answer is not used",
     REG_OK,
     200,
     "{\"data\":{\"repository\":{\"pullRequests\":{\"nodes\":[]}}},\"errors\":[{\"message\":"
     "\"Something went wrong\"}]}",
     "",
     REG_EUPSTREAM,
     "Something went wrong",
     0,
     {NULL},
     0},
    {"query refused",
     REG_OK,
     200,
     "{\"errors\":[{\"message\":\"Field 'x' doesn't exist on type 'Query'\"}]}",
     "",
     REG_EUPSTREAM,
     "Field 'x' doesn't exist",
     0,
     {NULL},
     0},
    {"no token",
     REG_EUPSTREAM,
     401,
     "{\"message\":\"This endpoint requires you to be authenticated.\"}",
     "HTTP 401 from 'x'",
     REG_EUPSTREAM,
     "HTTP 401: This endpoint requires you to be authenticated.",
     0,
     {NULL},
     0},
    {"bad token",
     REG_EUPSTREAM,
     401,
     "{\"message\":\"Bad credentials\"}",
     "HTTP 401 from 'x'",
     REG_EUPSTREAM,
     "HTTP 401: Bad credentials",
     0,
     {NULL},
     0},
    {"no GraphQL endpoint (a 404)",
     REG_ENOTFOUND,
     404,
     "<html>not here</html>",
     "HTTP 404 from 'x'",
     REG_EUPSTREAM,
     "HTTP 404 from 'x'",
     0,
     {NULL},
     0},
    {"transport failure",
     REG_EUPSTREAM,
     0,
     NULL,
     "'x': Operation timed out (after 3 attempts)",
     REG_EUPSTREAM,
     "Operation timed out",
     0,
     {NULL},
     0},
    {"a redirect is not an answer", REG_OK, 301, "", "", REG_EUPSTREAM, "HTTP 301", 0, {NULL}, 0},
    {"not JSON", REG_OK, 200, "<html>", "", REG_EUPSTREAM, "not a JSON object", 0, {NULL}, 0},
    {"not an object", REG_OK, 200, "[]", "", REG_EUPSTREAM, "not a JSON object", 0, {NULL}, 0},
    {"no nodes",
     REG_OK,
     200,
     "{\"data\":{\"repository\":{\"pullRequests\":{}}}}",
     "",
     REG_EUPSTREAM,
     "no data.repository.pullRequests.nodes list",
     0,
     {NULL},
     0},
    {"number is not a number",
     REG_OK,
     200,
     ANSWER("{\"number\":\"7\",\"merged\":true,\"reviews\":{\"nodes\":[]}}"),
     "",
     REG_EUPSTREAM,
     "pull request node 0",
     0,
     {NULL},
     0},
    {"merged is missing",
     REG_OK,
     200,
     ANSWER(NODE(8, true, "") ",{\"number\":7}"),
     "",
     REG_EUPSTREAM,
     "pull request node 1",
     0,
     {NULL},
     0},
    {"reviews are missing",
     REG_OK,
     200,
     ANSWER("{\"number\":7,\"merged\":true}"),
     "",
     REG_EUPSTREAM,
     "pull request node 0",
     0,
     {NULL},
     0},
    {"a review without a state",
     REG_OK,
     200,
     ANSWER(NODE(7, true, "{\"body\":\"LGTM\"}")),
     "",
     REG_EUPSTREAM,
     "pull request node 0",
     0,
     {NULL},
     0},
};

/* The request the HTTP client would leave behind for case c. */
static void
request_of(const struct answer_case *c, struct reg_http_request *r)
{
    reg_http_request_init(r, "x", 0);
    r->result = c->result;
    r->status = c->status;
    snprintf(r->error, sizeof(r->error), "%s", c->error);
    if (c->body)
        assert_int_equal(reg_buf_puts(&r->body, c->body), REG_OK);
}

static int
check_answer(const struct answer_case *c)
{
    struct reg_arena a;
    struct reg_http_request r;
    struct reg_gh_pull *pulls = NULL;
    struct reg_git_tags tags = {NULL, 0};
    int n = -1, bad = 0;
    enum reg_status st;

    reg_arena_init(&a);
    request_of(c, &r);
    st = reg_gh_graphql_pulls_map(&a, "o/r", &r, &pulls, &n, &tags);
    CHECK(&bad, st == c->want, "%s: status %d, want %d (%s)", c->name, st, c->want,
          reg_error_detail());
    if (st == REG_OK && c->want == REG_OK) {
        CHECK(&bad, n == c->n, "%s: %d pull requests, want %d", c->name, n, c->n);
        CHECK(&bad, tags.n == c->ntags, "%s: %d tags, want %d", c->name, tags.n, c->ntags);
        CHECK(&bad, c->ntags != 2 || strcmp(tags.names[0], "v2.0") == 0, "%s: first tag %s",
              c->name, tags.n ? tags.names[0] : "none");
        for (int i = 0; i < n && i < 4 && c->expect[i]; i++) {
            char got[64];

            snprintf(got, sizeof(got), "%ld %d %d", pulls[i].number, pulls[i].merged,
                     pulls[i].approved);
            CHECK(&bad, strcmp(got, c->expect[i]) == 0, "%s: pull %d is '%s', want '%s'", c->name,
                  i, got, c->expect[i]);
        }
    } else if (st != REG_OK) {
        CHECK(&bad, pulls == NULL && n == 0, "%s: a failure leaves results", c->name);
        CHECK(&bad, strstr(reg_error_detail(), c->detail) != NULL, "%s: detail '%s' lacks '%s'",
              c->name, reg_error_detail(), c->detail);
        CHECK(&bad,
              st == REG_ENOTFOUND ||
                  strncmp(reg_error_detail(), "GitHub pull requests (GraphQL) of o/r: ", 39) == 0,
              "%s: detail '%s'", c->name, reg_error_detail());
    }
    reg_http_request_cleanup(&r);
    reg_arena_cleanup(&a);
    return bad;
}

static void
test_answers(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(answers); i++)
        bad += check_answer(&answers[i]);
    assert_int_equal(bad, 0);
}

/* The body is the query verbatim with the repository's owner and name as its variables. */
static void
test_body(void **state)
{
    struct reg_arena a;
    struct json_object *doc, *v, *vars;

    (void)state;
    reg_arena_init(&a);
    doc = json_tokener_parse(reg_gh_graphql_pulls_body(&a, "open-ai/whisper.cpp"));
    assert_non_null(doc);
    assert_true(json_object_object_get_ex(doc, "query", &v));
    assert_string_equal(json_object_get_string(v), REG_GH_GRAPHQL_PULLS_QUERY);
    assert_true(json_object_object_get_ex(doc, "variables", &vars));
    assert_int_equal(json_object_object_length(vars), 2);
    assert_true(json_object_object_get_ex(vars, "owner", &v));
    assert_string_equal(json_object_get_string(v), "open-ai");
    assert_true(json_object_object_get_ex(vars, "name", &v));
    assert_string_equal(json_object_get_string(v), "whisper.cpp");
    assert_int_equal(json_object_object_length(doc), 2);
    json_object_put(doc);
    reg_arena_cleanup(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_body),
    };

    return cmocka_run_group_tests_name("upstream/github_graphql", tests, NULL, NULL);
}
