/*
 * github_graphql.h - the one GitHub GraphQL query the registry sends: a repository's newest
 * closed pull requests, whether each was merged and the states of its reviews, and its newest
 * tags, in one answer, so that neither reviewedness nor the versions need a request of their
 * own (upstream/github.h says when it is sent: only with a token, since GitHub's GraphQL API
 * refuses anonymous callers).
 *
 * POST {github_api_url}/graphql, Authorization: Bearer {token}, with the body
 *   {"query": REG_GH_GRAPHQL_PULLS_QUERY, "variables": {"owner": "o", "name": "r"}}
 * The query asks for exactly what the REST path reads:
 *   pullRequests(states: [CLOSED, MERGED], first: 100, orderBy: {CREATED_AT, DESC})
 *     = GET /repos/{o}/{r}/pulls?state=closed&per_page=100 (REST's "closed" is merged or not,
 *       newest created first: its default sort), with merged = (merged_at != null);
 *   reviews(first: 100) { nodes { state } } of each
 *     = GET /repos/{o}/{r}/pulls/{n}/reviews?per_page=100 (the first 100, oldest first);
 *   refs(refPrefix: "refs/tags/", first: 100, orderBy: {TAG_COMMIT_DATE, DESC}) { nodes { name } }
 *     = the names GET /repos/{o}/{r}/tags?per_page=100 lists (the newest 100 here; when there
 *       are more, github.c reads REST's pages instead, so that one order is paged).
 * GitHub answers a query it cannot resolve with HTTP 200 and an "errors" list (a repository
 * that does not exist: "data": {"repository": null} and an error of type NOT_FOUND); without a
 * token, or with a bad one, with HTTP 401.
 *
 * Ownership: everything returned is allocated from the arena a (or owned by JSON objects the
 * arena releases). Strings passed in are borrowed for the call only.
 */
#ifndef REG_UPSTREAM_GITHUB_GRAPHQL_H
#define REG_UPSTREAM_GITHUB_GRAPHQL_H

#include <stdbool.h>

#include "base/arena.h"
#include "base/status.h"
#include "rating/signals.h"
#include "upstream/http_client.h"

/* The query text, sent verbatim (the fixture server recognises this query, up to whitespace,
 * and no other). Its two page sizes are REG_GH_PER_PAGE (github_graphql.c checks it). */
#define REG_GH_GRAPHQL_PULLS_QUERY                                                                 \
    "query($owner:String!,$name:String!){repository(owner:$owner,name:$name){"                     \
    "pullRequests(states:[CLOSED,MERGED],first:100,orderBy:{field:CREATED_AT,direction:DESC}){"    \
    "nodes{number merged reviews(first:100){nodes{state}}}}"                                       \
    "refs(refPrefix:\"refs/tags/\",first:100,orderBy:{field:TAG_COMMIT_DATE,direction:DESC}){"     \
    "nodes{name}}}}"

/* A closed pull request as reviewedness reads it. */
struct reg_gh_pull {
    long number;
    bool merged;
    bool approved; /* one of its first REG_GH_PER_PAGE reviews has state APPROVED */
};

/* The JSON body of the query for repository repo_id ("owner/repo", already checked). */
const char *reg_gh_graphql_pulls_body(struct reg_arena *a, const char *repo_id);

/*
 * Maps the answer r (a finished request) onto *out: *n pull requests in the order GitHub
 * listed them (newest created first), and the tag names onto *tags (appended). Errors, with the detail "GitHub pull requests (GraphQL)
 * of {repo_id}: ...": REG_ENOTFOUND when GitHub says the repository does not resolve (an error
 * of type NOT_FOUND); REG_EUPSTREAM when the request failed (transport, or any HTTP status
 * other than 200: 401 without or with a bad token), when the answer lists any error (a partial
 * answer is not used), or when it is not the shape the query asks for.
 */
enum reg_status reg_gh_graphql_pulls_map(struct reg_arena *a, const char *repo_id,
                                         const struct reg_http_request *r, struct reg_gh_pull **out,
                                         int *n, struct reg_git_tags *tags);

#endif
