/*
 * github_graphql.c - the pull request query's body and the mapping of its answer (see
 * github_graphql.h).
 */
#include "upstream/github_graphql.h"

#include <json-c/json.h>
#include <string.h>

#include "base/json.h"
#include "upstream/github.h"

_Static_assert(REG_GH_PER_PAGE == 100, "REG_GH_GRAPHQL_PULLS_QUERY asks for pages of 100");

const char *
reg_gh_graphql_pulls_body(struct reg_arena *a, const char *repo_id)
{
    const char *slash = strchr(repo_id, '/');
    struct json_object *body = json_object_new_object(), *vars = json_object_new_object();
    size_t len;

    json_object_object_add(vars, "owner",
                           json_object_new_string_len(repo_id, (int)(slash - repo_id)));
    json_object_object_add(vars, "name", json_object_new_string(slash + 1));
    json_object_object_add(body, "query", json_object_new_string(REG_GH_GRAPHQL_PULLS_QUERY));
    json_object_object_add(body, "variables", vars);
    reg_arena_own_json(a, body);
    return reg_json_text(body, &len);
}

/* o[key] when o is an object holding key, else NULL. */
static struct json_object *
member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static struct json_object *
array_member(struct json_object *o, const char *key)
{
    struct json_object *v = member(o, key);

    return json_object_is_type(v, json_type_array) ? v : NULL;
}

/* REG_EUPSTREAM (or st) "GitHub pull requests (GraphQL) of {repo}: {why}". */
static enum reg_status
fail(enum reg_status st, const char *repo_id, const char *why)
{
    return reg_errorf(st, "GitHub pull requests (GraphQL) of %s: %s", repo_id, why);
}

/* A request that did not end in a 200: what went wrong, with GitHub's message if it sent one. */
static enum reg_status
request_failure(struct reg_arena *a, const char *repo_id, const struct reg_http_request *r)
{
    struct json_object *doc = NULL;
    const char *message = NULL;

    if (r->status > 0 && r->body.data &&
        reg_json_parse_bounded(a, r->body.data, r->body.len, REG_GH_JSON_MAX, &doc) == REG_OK)
        message = reg_json_str(doc, "message");
    if (message)
        return fail(REG_EUPSTREAM, repo_id,
                    reg_arena_sprintf(a, "HTTP %ld: %.200s", r->status, message));
    if (r->error[0])
        return fail(REG_EUPSTREAM, repo_id, r->error);
    return fail(REG_EUPSTREAM, repo_id, reg_arena_sprintf(a, "HTTP %ld", r->status));
}

/* The answer's first error: NOT_FOUND is the repository's absence, anything else a failure. */
static enum reg_status
answer_error(struct reg_arena *a, const char *repo_id, struct json_object *errors)
{
    struct json_object *e = json_object_array_get_idx(errors, 0);
    const char *type = reg_json_str(e, "type"), *message = reg_json_str(e, "message");

    if (type && strcmp(type, "NOT_FOUND") == 0)
        return reg_errorf(REG_ENOTFOUND, "repository %s does not exist on GitHub", repo_id);
    return fail(REG_EUPSTREAM, repo_id,
                reg_arena_sprintf(a, "%s%s%.200s", type ? type : "", type ? ": " : "",
                                  message ? message : "an error without a message"));
}

/* Whether reviews { nodes [{state}] } holds an APPROVED one; false with *ok cleared when the
 * reviews are not that shape. */
static bool
approved(struct json_object *reviews, bool *ok)
{
    struct json_object *nodes = array_member(reviews, "nodes");
    bool yes = false;

    if (!nodes) {
        *ok = false;
        return false;
    }
    for (size_t i = 0; i < json_object_array_length(nodes); i++) {
        const char *state = reg_json_str(json_object_array_get_idx(nodes, i), "state");

        if (!state)
            *ok = false;
        else if (strcmp(state, "APPROVED") == 0)
            yes = true;
    }
    return yes;
}

/* One node {number, merged, reviews}; false when it is not that shape. */
static bool
map_node(struct json_object *node, struct reg_gh_pull *out)
{
    struct json_object *number = member(node, "number"), *merged = member(node, "merged");
    bool ok = true;

    if (!json_object_is_type(number, json_type_int) ||
        !json_object_is_type(merged, json_type_boolean) || json_object_get_int64(number) <= 0)
        return false;
    out->number = (long)json_object_get_int64(number);
    out->merged = json_object_get_boolean(merged);
    out->approved = approved(member(node, "reviews"), &ok);
    return ok;
}

enum reg_status
reg_gh_graphql_pulls_map(struct reg_arena *a, const char *repo_id, const struct reg_http_request *r,
                         struct reg_gh_pull **out, int *n, struct reg_git_tags *tags)
{
    struct json_object *doc = NULL, *errors, *nodes, *tag_nodes;
    struct reg_gh_pull *pulls;
    size_t len;

    *out = NULL;
    *n = 0;
    if (r->result != REG_OK || r->status != 200)
        return request_failure(a, repo_id, r);
    if (!r->body.data ||
        reg_json_parse_bounded(a, r->body.data, r->body.len, REG_GH_JSON_MAX, &doc) != REG_OK ||
        !json_object_is_type(doc, json_type_object))
        return fail(REG_EUPSTREAM, repo_id, "the answer is not a JSON object");
    errors = array_member(doc, "errors");
    if (errors && json_object_array_length(errors) > 0)
        return answer_error(a, repo_id, errors);
    nodes =
        array_member(member(member(member(doc, "data"), "repository"), "pullRequests"), "nodes");
    if (!nodes)
        return fail(REG_EUPSTREAM, repo_id, "no data.repository.pullRequests.nodes list");
    tag_nodes = array_member(member(member(member(doc, "data"), "repository"), "refs"), "nodes");
    if (!tag_nodes)
        return fail(REG_EUPSTREAM, repo_id, "no data.repository.refs.nodes list");
    len = json_object_array_length(nodes);
    pulls = reg_arena_alloc(a, (len + 1) * sizeof(*pulls));
    for (size_t i = 0; i < len; i++)
        if (!map_node(json_object_array_get_idx(nodes, i), &pulls[i]))
            return fail(REG_EUPSTREAM, repo_id,
                        reg_arena_sprintf(a,
                                          "pull request node %zu is not "
                                          "{number, merged, reviews {nodes [{state}]}}",
                                          i));
    reg_gh_tag_names(a, tag_nodes, tags);
    *out = pulls;
    *n = (int)len;
    return REG_OK;
}
