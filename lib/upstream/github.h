/*
 * github.h - the GitHub REST API facts the rating reads about one repository (struct
 * reg_code_signals), fetched through the upstream HTTP client; plus the GitHub-link and
 * ISO-time helpers that the Hugging Face fetcher shares.
 *
 * Calls (all under github_api_url, e.g. https://api.github.com or the fixture server):
 *   round 1, concurrently: /repos/{o}/{r}, /contributors?per_page=100&anon=1,
 *     /readme (Accept: application/vnd.github.raw), /git/trees/HEAD?recursive=1,
 *     /commits?per_page=100, and the closed pull requests and tags:
 *       without a token: /pulls?state=closed&per_page=100 and /tags?per_page=100 (REST);
 *       with a token: POST /graphql (upstream/github_graphql.h), the same lists with each pull
 *         request's review states, since GitHub's GraphQL API needs a token.
 *   round 2, concurrently, only for reviews not known yet: /pulls/{n}/reviews?per_page=100 for
 *     at most REG_GH_MAX_PULLS merged pull requests that the fetched commits name. Without a
 *     token, that is every one of them: a round always. With a token, only a pull request the
 *     list of 100 does not reach (named by a recent commit, but older than the newest 100
 *     closed ones): usually none, so no second round.
 * A model ingest linking a repository therefore waits for 2 rounds with a token (the Hub's,
 * then this one) and 3 without.
 * Tags: without a token /tags?per_page=100 in round 1; with one, the GraphQL query asks for
 * them with the pull requests (github_graphql.h). Either way they cost no round of their own.
 *   last, only when the first page of tags was full (REG_GH_PER_PAGE of them): REST's pages 2
 *     to REG_GH_MAX_TAG_PAGES of /tags concurrently (with a token, pages 1 to
 *     REG_GH_MAX_TAG_PAGES, replacing GraphQL's newest 100: one order is paged).
 *
 * Reviewedness, as decided here (the same with and without a token: GraphQL is asked for
 * exactly what REST lists, see github_graphql.h): a commit is "reviewed" when its message
 * names a pull request ("Merge pull request #N ..." or "... (#N)" on the first line), that
 * pull request was merged (merged in the closed list; when the list is full and does not hold
 * N, the message is trusted), and one of its first 100 reviews has state APPROVED. COMMENTED,
 * CHANGES_REQUESTED and DISMISSED are not approval. Only the pull requests of the newest
 * commits are checked (REG_GH_MAX_PULLS distinct numbers). commits_seen is the number of
 * commits fetched (at most 100), except when that many pull requests were checked: then only
 * the commits down to the oldest one naming a checked pull request count, since older commits
 * could not be judged.
 *
 * Contributors: anonymous ones are asked for (anon=1) and kept, bots (type "Bot") are left
 * out, as tests/unit/rating/corpus_loader.h maps the corpus.
 *
 * Ownership: everything *out points to is allocated from the arena a (or owned by JSON
 * objects the arena releases) and lives until reg_arena_cleanup(a). Strings passed in are
 * borrowed for the call only.
 */
#ifndef REG_UPSTREAM_GITHUB_H
#define REG_UPSTREAM_GITHUB_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/arena.h"
#include "base/status.h"
#include "rating/signals.h"
#include "upstream/http_client.h"

/* Cap on every JSON answer (repository, lists, tree). */
#define REG_GH_JSON_MAX ((size_t)8 * 1024 * 1024)
/* Cap on a README download; the text kept is then truncated to REG_README_MAX. */
#define REG_GH_README_FETCH_MAX ((size_t)8 * 1024 * 1024)
/* Pull requests whose reviews are checked (the newest the commits name). */
#define REG_GH_MAX_PULLS 20
/* Items asked per list page (GitHub's maximum). */
#define REG_GH_PER_PAGE 100
/* Pages of tags read (a page of REG_GH_PER_PAGE each). */
#define REG_GH_MAX_TAG_PAGES 5

/*
 * Fetches repository repo_id ("owner/repo") into *out. token, when non-NULL and non-empty, is
 * sent as a bearer token, and the pull requests are then asked of GraphQL. Errors:
 * REG_EINVAL for a malformed repo_id; REG_ENOTFOUND "repository X does not exist on GitHub"
 * when /repos answers 404; REG_EUPSTREAM (detail: which call, what happened) when a call fails
 * otherwise, the GraphQL query included (any error in its answer, or a 401 for a bad token).
 * A 404 (or 409, an empty repository) on the REST lists, tree or README only leaves that part
 * empty.
 */
enum reg_status reg_gh_fetch_repo(const struct reg_http_config *cfg, const char *github_api_url,
                                  const char *token, struct reg_arena *a, const char *repo_id,
                                  struct reg_code_signals *out);

/*
 * The SPDX id GitHub detected for repository repo_id (license.spdx_id; NULL when none or
 * NOASSERTION), in one call to /repos/{o}/{r}. Errors as for reg_gh_fetch_repo.
 */
enum reg_status reg_gh_fetch_license(const struct reg_http_config *cfg, const char *github_api_url,
                                     const char *token, struct reg_arena *a, const char *repo_id,
                                     const char **spdx);

/*
 * Appends to urls (capacity max, *n entries so far) every github.com/{owner}/{repo} named in
 * text, as "https://github.com/owner/repo" (".git" and deeper paths dropped, trailing dots
 * dropped), skipping any already present (case-insensitively), first mention first. NULL text
 * appends nothing. The strings are allocated from a.
 */
void reg_gh_find_repo_urls(struct reg_arena *a, const char *text, const char **urls, int *n,
                           int max);

/* Tags kept from one listing (GitHub's pages, the Hub's refs). */
#define REG_UPSTREAM_MAX_TAGS 1000

/*
 * The "name" of each object of list (GitHub's tags [{"name", "commit"}], the Hub's refs
 * "tags" [{"name", "ref", "targetCommit"}]) appended to *out, at most REG_UPSTREAM_MAX_TAGS in
 * all; items without a string name are skipped, a list that is not an array adds nothing. The
 * array is allocated from a; the names belong to list's document.
 */
void reg_gh_tag_names(struct reg_arena *a, struct json_object *list, struct reg_git_tags *out);

/* "2024-02-19T11:06:12.000Z" (or "...+00:00") -> Unix time; 0 for NULL or unparsable text. */
int64_t reg_gh_iso_time(const char *iso);

/*
 * An arena copy of len bytes of text, truncated to at most max bytes at a UTF-8 character
 * boundary (never splitting a multi-byte sequence). NULL when text is NULL.
 */
char *reg_gh_text_copy(struct reg_arena *a, const char *text, size_t len, size_t max);

#endif
