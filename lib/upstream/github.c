/*
 * github.c - GitHub repository signals (see github.h): one round of concurrent requests (the
 * pull requests' reviews included when a token lets it ask GraphQL), a round of reviews when
 * they are still unknown, then the answers mapped onto struct reg_code_signals the way
 * corpus_loader.h maps the corpus.
 */
#include "upstream/github.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/json.h"
#include "base/limits.h"
#include "base/str.h"
#include "upstream/github_graphql.h"

#define GH_ACCEPT_JSON "application/vnd.github+json"
#define GH_ACCEPT_RAW "application/vnd.github.raw"

/* The first round's requests, in this order; R_TAGS only without a token (GraphQL answers
 * the tags with the pull requests). */
enum { R_REPO, R_CONTRIBUTORS, R_README, R_TREE, R_COMMITS, R_PULLS, R_TAGS, R_COUNT };

static const char *const round1_names[R_COUNT] = {
    "repository", "contributors", "README", "tree", "commits", "pull requests", "tags",
};

/* One pull request named by the commits. */
struct pull {
    long number;
    bool approved;
    bool known; /* approved came with the closed list (GraphQL): no reviews to fetch */
};

/* The closed pull requests as REST or GraphQL listed them, newest created first. */
struct closed {
    struct reg_gh_pull *items;
    int n;
    bool listed;       /* false when there is no list (404): every merge named is trusted */
    bool with_reviews; /* the items' approvals are known (GraphQL) */
};

/* ---------------------------------------------------------------- shared helpers */

static bool
repo_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

void
reg_gh_find_repo_urls(struct reg_arena *a, const char *text, const char **urls, int *n, int max)
{
    const char *p = text ? strstr(text, "github.com/") : NULL;

    for (; p && *n < max; p = strstr(p, "github.com/")) {
        const char *owner = p + strlen("github.com/"), *repo, *end;
        char *url;
        size_t olen, rlen;
        bool dup = false;

        p = owner;
        for (end = owner; repo_char(*end); end++)
            ;
        olen = (size_t)(end - owner);
        if (olen == 0 || *end != '/')
            continue;
        repo = end + 1;
        for (end = repo; repo_char(*end); end++)
            ;
        rlen = (size_t)(end - repo);
        if (rlen > 4 && strncmp(end - 4, ".git", 4) == 0)
            rlen -= 4;
        while (rlen > 0 && repo[rlen - 1] == '.')
            rlen--;
        if (rlen == 0)
            continue;
        url =
            reg_arena_sprintf(a, "https://github.com/%.*s/%.*s", (int)olen, owner, (int)rlen, repo);
        for (int i = 0; i < *n && !dup; i++)
            dup = strcasecmp(urls[i], url) == 0;
        if (!dup)
            urls[(*n)++] = url;
    }
}

int64_t
reg_gh_iso_time(const char *iso)
{
    int y, m, d, hh, mm, ss;
    int64_t era, yoe, doy, doe;

    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &m, &d, &hh, &mm, &ss) != 6)
        return 0;
    if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
        return 0;
    /* Days from the civil date (H. Hinnant's algorithm); the APIs answer in UTC. */
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468) * 86400 + hh * 3600 + mm * 60 + ss;
}

char *
reg_gh_text_copy(struct reg_arena *a, const char *text, size_t len, size_t max)
{
    if (!text)
        return NULL;
    if (len > max) {
        len = max;
        /* Back off continuation bytes so that the cut falls before a lead byte. */
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    return reg_arena_strndup(a, text, len);
}

/* ---------------------------------------------------------------- JSON readers */

/* Parses a request's body as JSON (arena-owned); NULL when empty or not JSON. */
static struct json_object *
body_json(struct reg_arena *a, const struct reg_http_request *r)
{
    struct json_object *o = NULL;

    if (r->result != REG_OK || !r->body.data || r->body.len == 0)
        return NULL;
    if (reg_json_parse_bounded(a, r->body.data, r->body.len, REG_GH_JSON_MAX, &o) != REG_OK)
        return NULL;
    return o;
}

static struct json_object *
body_array(struct reg_arena *a, const struct reg_http_request *r)
{
    struct json_object *o = body_json(a, r);

    return o && json_object_is_type(o, json_type_array) ? o : NULL;
}

void
reg_gh_tag_names(struct reg_arena *a, struct json_object *list, struct reg_git_tags *out)
{
    size_t len = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    const char **names;

    if (len == 0 || out->n >= REG_UPSTREAM_MAX_TAGS)
        return;
    names = reg_arena_alloc(a, sizeof(*names) * (size_t)(out->n + (int)len));
    if (out->n > 0)
        memcpy(names, out->names, sizeof(*names) * (size_t)out->n);
    for (size_t i = 0; i < len && out->n < REG_UPSTREAM_MAX_TAGS; i++) {
        const char *name = reg_json_str(json_object_array_get_idx(list, i), "name");

        if (name)
            names[out->n++] = name;
    }
    out->names = names;
}

/* ---------------------------------------------------------------- checks */

static bool
name_ok(const char *s, size_t len)
{
    if (len == 0 || len > 100 || (len == 1 && s[0] == '.') || (len == 2 && !strncmp(s, "..", 2)))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!repo_char(s[i]))
            return false;
    return true;
}

static bool
repo_id_ok(const char *id)
{
    const char *slash = id ? strchr(id, '/') : NULL;

    return slash && name_ok(id, (size_t)(slash - id)) && name_ok(slash + 1, strlen(slash + 1));
}

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* REG_EUPSTREAM "GitHub {what} of {repo}: {why}". */
static enum reg_status
failure(const struct reg_http_request *r, const char *what, const char *repo_id)
{
    if (r->error[0])
        return reg_errorf(REG_EUPSTREAM, "GitHub %s of %s: %s", what, repo_id, r->error);
    return reg_errorf(REG_EUPSTREAM, "GitHub %s of %s: HTTP %ld", what, repo_id, r->status);
}

/* REG_OK for a usable answer, or for one whose absence is no error (404/410, or 409 for an
 * empty repository); REG_EUPSTREAM with the detail otherwise. */
static enum reg_status
judge(const struct reg_http_request *r, const char *what, const char *repo_id)
{
    if (r->result == REG_OK || r->result == REG_ENOTFOUND || r->status == 409)
        return REG_OK;
    return failure(r, what, repo_id);
}

/* ---------------------------------------------------------------- mapping */

static int
cmp_desc(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

    return a < b ? 1 : a > b ? -1 : 0;
}

static void
map_repo(struct json_object *repo, struct reg_code_signals *out)
{
    struct json_object *lic;
    const char *spdx = NULL;

    if (json_object_object_get_ex(repo, "license", &lic) &&
        json_object_is_type(lic, json_type_object))
        spdx = reg_json_str(lic, "spdx_id");
    out->license_spdx = spdx && strcmp(spdx, "NOASSERTION") != 0 ? spdx : NULL;
    out->stars = reg_json_int(repo, "stargazers_count");
    out->forks = reg_json_int(repo, "forks_count");
    out->open_issues = reg_json_int(repo, "open_issues_count");
    out->pushed_at = reg_gh_iso_time(reg_json_str(repo, "pushed_at"));
}

static void
map_contributors(struct reg_arena *a, struct json_object *arr, struct reg_code_signals *out)
{
    size_t len = arr ? json_object_array_length(arr) : 0;
    int64_t *c = reg_arena_alloc(a, (len + 1) * sizeof(*c));
    int n = 0;

    for (size_t i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(arr, i);
        const char *type = reg_json_str(e, "type");

        if (!json_object_is_type(e, json_type_object) || (type && strcmp(type, "Bot") == 0))
            continue;
        c[n++] = reg_json_int(e, "contributions");
    }
    qsort(c, (size_t)n, sizeof(*c), cmp_desc);
    out->contributions = c;
    out->ncontributors = n;
}

static void
map_tree(struct reg_arena *a, struct json_object *tree, struct reg_code_signals *out)
{
    struct json_object *entries = NULL;
    struct reg_file_info *f;
    size_t len;
    int n = 0;

    if (tree && json_object_is_type(tree, json_type_object))
        json_object_object_get_ex(tree, "tree", &entries);
    if (!entries || !json_object_is_type(entries, json_type_array))
        return;
    len = json_object_array_length(entries);
    f = reg_arena_alloc(a, (len + 1) * sizeof(*f));
    for (size_t i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(entries, i);
        const char *type = reg_json_str(e, "type"), *path = reg_json_str(e, "path");

        if (!type || strcmp(type, "blob") != 0 || !path)
            continue;
        f[n].path = path;
        f[n].size = reg_json_int(e, "size");
        n++;
    }
    out->files = f;
    out->nfiles = n;
}

/* The pull request a commit message names on its first line, or 0. */
static long
pull_of_message(const char *msg)
{
    const char *eol, *p;
    long best = 0;

    if (!msg)
        return 0;
    eol = strchr(msg, '\n');
    if (!eol)
        eol = msg + strlen(msg);
    if (strncmp(msg, "Merge pull request #", 20) == 0)
        return strtol(msg + 20, NULL, 10);
    /* The last "(#N)" of the first line: squash merges append it to the title. */
    for (p = strstr(msg, "(#"); p && p < eol; p = strstr(p + 2, "(#")) {
        char *end;
        long v = strtol(p + 2, &end, 10);

        if (v > 0 && *end == ')' && end < eol)
            best = v;
    }
    return best;
}

static const char *
commit_message(struct json_object *c)
{
    struct json_object *commit;

    if (!json_object_object_get_ex(c, "commit", &commit))
        return NULL;
    return reg_json_str(commit, "message");
}

static const struct reg_gh_pull *
find_closed(const struct closed *c, long number)
{
    for (int i = 0; i < c->n; i++)
        if (c->items[i].number == number)
            return &c->items[i];
    return NULL;
}

/* Whether pull request `number` was merged, per the closed list (trusting the commit when
 * there is no list, or when the list was full and may simply not reach that far back). */
static bool
pull_merged(const struct closed *c, long number)
{
    const struct reg_gh_pull *p;

    if (!c->listed)
        return true;
    p = find_closed(c, number);
    return p ? p->merged : c->n >= REG_GH_PER_PAGE;
}

static int
find_pull(const struct pull *pulls, int n, long number)
{
    for (int i = 0; i < n; i++)
        if (pulls[i].number == number)
            return i;
    return -1;
}

/* The distinct merged pull requests the commits name, newest first, at most max; with their
 * approval when the closed list carries it. */
static int
collect_pulls(struct json_object *commits, const struct closed *closed, struct pull *out, int max)
{
    size_t len = commits ? json_object_array_length(commits) : 0;
    int n = 0;

    for (size_t i = 0; i < len && n < max; i++) {
        long num = pull_of_message(commit_message(json_object_array_get_idx(commits, i)));
        const struct reg_gh_pull *p;

        if (num <= 0 || find_pull(out, n, num) >= 0 || !pull_merged(closed, num))
            continue;
        p = closed->with_reviews ? find_closed(closed, num) : NULL;
        out[n].number = num;
        out[n].approved = p && p->approved;
        out[n].known = p != NULL;
        n++;
    }
    return n;
}

static bool
has_approval(struct json_object *reviews)
{
    size_t len = reviews ? json_object_array_length(reviews) : 0;

    for (size_t i = 0; i < len; i++) {
        const char *state = reg_json_str(json_object_array_get_idx(reviews, i), "state");

        if (state && strcmp(state, "APPROVED") == 0)
            return true;
    }
    return false;
}

/* Second round, when needed: the reviews of the pull requests whose approval is not known
 * yet, all at once (REST: every one; GraphQL: only those older than its list). */
static enum reg_status
fetch_reviews(const struct reg_http_config *cfg, const char *base, const char *token,
              struct reg_arena *a, const char *repo_id, struct pull *pulls, int n)
{
    struct reg_http_request reqs[REG_GH_MAX_PULLS];
    int of[REG_GH_MAX_PULLS], m = 0; /* reqs[k] asks for pulls[of[k]] */
    enum reg_status st;

    for (int i = 0; i < n; i++) {
        if (pulls[i].known)
            continue;
        reg_http_request_init(&reqs[m],
                              reg_arena_sprintf(a, "%s/repos/%s/pulls/%ld/reviews?per_page=%d",
                                                base, repo_id, pulls[i].number, REG_GH_PER_PAGE),
                              REG_GH_JSON_MAX);
        reqs[m].accept = GH_ACCEPT_JSON;
        reqs[m].bearer = token;
        of[m++] = i;
    }
    st = m > 0 ? reg_http_fetch_all(cfg, reqs, m) : REG_OK;
    for (int k = 0; k < m && st == REG_OK; k++) {
        st = judge(&reqs[k], "reviews", repo_id);
        pulls[of[k]].approved = st == REG_OK && has_approval(body_array(a, &reqs[k]));
    }
    for (int k = 0; k < m; k++)
        reg_http_request_cleanup(&reqs[k]);
    return st;
}

/* The tags past the first page, when it was full: REST's pages 2 to REG_GH_MAX_TAG_PAGES at
 * once (after GraphQL's newest 100, pages 1 to REG_GH_MAX_TAG_PAGES instead of them, so that
 * one order is paged), so that only a repository with more than a page of tags waits for this
 * round. A page that is missing or fails leaves its tags out: versions are an extra, not the
 * artifact. */
static void
fetch_more_tags(const struct reg_http_config *cfg, const char *base, const char *token,
                struct reg_arena *a, const char *repo_id, struct reg_git_tags *tags)
{
    struct reg_http_request reqs[REG_GH_MAX_TAG_PAGES];
    int n = 0;

    if (tags->n < REG_GH_PER_PAGE)
        return;
    if (token)
        *tags = (struct reg_git_tags){NULL, 0};
    for (int page = token ? 1 : 2; page <= REG_GH_MAX_TAG_PAGES; page++, n++) {
        reg_http_request_init(&reqs[n],
                              reg_arena_sprintf(a, "%s/repos/%s/tags?per_page=%d&page=%d", base,
                                                repo_id, REG_GH_PER_PAGE, page),
                              REG_GH_JSON_MAX);
        reqs[n].accept = GH_ACCEPT_JSON;
        reqs[n].bearer = token;
    }
    if (reg_http_fetch_all(cfg, reqs, n) == REG_OK)
        for (int i = 0; i < n; i++)
            reg_gh_tag_names(a, body_array(a, &reqs[i]), tags);
    for (int i = 0; i < n; i++)
        reg_http_request_cleanup(&reqs[i]);
}

/* Counts reviewed commits among those the checked pull requests cover: all fetched commits,
 * or, when the pull requests checked were capped, only the commits down to the oldest one
 * that names a checked pull request (older ones could not be judged, so they are not seen). */
static void
count_reviewed(struct json_object *commits, const struct pull *pulls, int n,
               struct reg_code_signals *out)
{
    size_t len = commits ? json_object_array_length(commits) : 0;

    if (n == REG_GH_MAX_PULLS) {
        size_t covered = 0;
        for (size_t i = 0; i < len; i++) {
            long num = pull_of_message(commit_message(json_object_array_get_idx(commits, i)));
            if (num > 0 && find_pull(pulls, n, num) >= 0)
                covered = i + 1;
        }
        len = covered;
    }
    out->commits_seen = (int)len;
    out->commits_reviewed = 0;
    for (size_t i = 0; i < len; i++) {
        long num = pull_of_message(commit_message(json_object_array_get_idx(commits, i)));
        int k = num > 0 ? find_pull(pulls, n, num) : -1;

        if (k >= 0 && pulls[k].approved)
            out->commits_reviewed++;
    }
}

/* ---------------------------------------------------------------- the fetch */

/* The first round; with a token, the closed pull requests come from GraphQL, reviews, tags
 * and all, instead of REST's lists. */
static void
init_round1(struct reg_http_request *reqs, struct reg_arena *a, const char *base,
            const char *repo_id, const char *token)
{
    static const char *const paths[R_COUNT] = {
        "",
        "/contributors?per_page=100&anon=1",
        "/readme",
        "/git/trees/HEAD?recursive=1",
        "/commits?per_page=100",
        "/pulls?state=closed&per_page=100",
        "/tags?per_page=100",
    };

    for (int i = 0; i < R_COUNT; i++) {
        reg_http_request_init(&reqs[i],
                              reg_arena_sprintf(a, "%s/repos/%s%s", base, repo_id, paths[i]),
                              i == R_README ? REG_GH_README_FETCH_MAX : REG_GH_JSON_MAX);
        reqs[i].accept = i == R_README ? GH_ACCEPT_RAW : GH_ACCEPT_JSON;
        reqs[i].bearer = token;
    }
    if (token) {
        reqs[R_PULLS].url = reg_arena_sprintf(a, "%s/graphql", base);
        reqs[R_PULLS].post = reg_gh_graphql_pulls_body(a, repo_id);
    }
}

/* Maps the first round's answers (the first n of reqs were sent) but the pull requests;
 * REG_ENOTFOUND / REG_EUPSTREAM as documented. */
static enum reg_status
map_round1(struct reg_arena *a, const struct reg_http_request *reqs, int n, const char *repo_id,
           struct reg_code_signals *out)
{
    struct json_object *repo;

    if (reqs[R_REPO].result == REG_ENOTFOUND)
        return reg_errorf(REG_ENOTFOUND, "repository %s does not exist on GitHub", repo_id);
    if (reqs[R_REPO].result != REG_OK)
        return failure(&reqs[R_REPO], round1_names[R_REPO], repo_id);
    for (int i = R_CONTRIBUTORS; i < n; i++)
        if (i != R_PULLS && judge(&reqs[i], round1_names[i], repo_id) != REG_OK)
            return REG_EUPSTREAM;
    repo = body_json(a, &reqs[R_REPO]);
    if (!repo || !json_object_is_type(repo, json_type_object))
        return reg_errorf(REG_EUPSTREAM, "GitHub repository %s: the answer is not a JSON object",
                          repo_id);
    out->repo_id = reg_json_str(repo, "full_name");
    if (!out->repo_id)
        out->repo_id = reg_arena_strdup(a, repo_id);
    map_repo(repo, out);
    map_contributors(a, body_array(a, &reqs[R_CONTRIBUTORS]), out);
    map_tree(a, body_json(a, &reqs[R_TREE]), out);
    if (n > R_TAGS)
        reg_gh_tag_names(a, body_array(a, &reqs[R_TAGS]), &out->git_tags);
    if (reqs[R_README].result == REG_OK)
        out->readme = reg_gh_text_copy(a, reqs[R_README].body.data ? reqs[R_README].body.data : "",
                                       reqs[R_README].body.len, REG_README_MAX);
    return REG_OK;
}

/* The closed pull requests of the first round: the REST list, or the GraphQL answer. */
static enum reg_status
closed_of(struct reg_arena *a, const struct reg_http_request *r, bool graphql, const char *repo_id,
          struct closed *out, struct reg_git_tags *tags)
{
    struct json_object *list;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    if (graphql) {
        st = reg_gh_graphql_pulls_map(a, repo_id, r, &out->items, &out->n, tags);
        if (st == REG_ENOTFOUND) /* REST found it: the token does not see what REST sees */
            st = reg_errorf(REG_EUPSTREAM,
                            "GitHub pull requests (GraphQL) of %s: the repository does not "
                            "resolve, but the REST API found it",
                            repo_id);
        out->listed = out->with_reviews = st == REG_OK;
        return st;
    }
    st = judge(r, round1_names[R_PULLS], repo_id);
    list = st == REG_OK ? body_array(a, r) : NULL;
    out->listed = list != NULL;
    out->n = list ? (int)json_object_array_length(list) : 0;
    out->items = reg_arena_alloc(a, (size_t)(out->n + 1) * sizeof(*out->items));
    for (int i = 0; i < out->n; i++) {
        struct json_object *p = json_object_array_get_idx(list, (size_t)i);

        out->items[i].number = (long)reg_json_int(p, "number");
        out->items[i].merged = reg_json_str(p, "merged_at") != NULL;
    }
    return st;
}

/* Checks the repository id and the configured base; *base is the base without a trailing '/'. */
static enum reg_status
prepare(struct reg_arena *a, const char *github_api_url, const char *repo_id, const char **base)
{
    if (!repo_id_ok(repo_id))
        return reg_errorf(REG_EINVAL, "'%s' is not a GitHub owner/repository", repo_id);
    if (!github_api_url || !*github_api_url)
        return reg_errorf(REG_EINVAL, "no GitHub API URL is configured");
    *base = reg_str_rtrim(a, github_api_url, '/');
    return REG_OK;
}

enum reg_status
reg_gh_fetch_license(const struct reg_http_config *cfg, const char *github_api_url,
                     const char *token, struct reg_arena *a, const char *repo_id, const char **spdx)
{
    struct reg_http_request r;
    struct reg_code_signals c;
    struct json_object *repo;
    const char *base;
    enum reg_status st = prepare(a, github_api_url, repo_id, &base);

    *spdx = NULL;
    if (st != REG_OK)
        return st;
    memset(&c, 0, sizeof(c));
    reg_http_request_init(&r, reg_arena_sprintf(a, "%s/repos/%s", base, repo_id), REG_GH_JSON_MAX);
    r.accept = GH_ACCEPT_JSON;
    r.bearer = token && *token ? token : NULL;
    st = reg_http_fetch_all(cfg, &r, 1);
    if (st == REG_OK && r.result == REG_ENOTFOUND)
        st = reg_errorf(REG_ENOTFOUND, "repository %s does not exist on GitHub", repo_id);
    else if (st == REG_OK && r.result != REG_OK)
        st = failure(&r, round1_names[R_REPO], repo_id);
    if (st == REG_OK) {
        repo = body_json(a, &r);
        if (repo && json_object_is_type(repo, json_type_object))
            map_repo(repo, &c);
        else
            st = reg_errorf(REG_EUPSTREAM, "GitHub repository %s: the answer is not a JSON object",
                            repo_id);
    }
    *spdx = c.license_spdx;
    reg_http_request_cleanup(&r);
    return st;
}

enum reg_status
reg_gh_fetch_repo(const struct reg_http_config *cfg, const char *github_api_url, const char *token,
                  struct reg_arena *a, const char *repo_id, struct reg_code_signals *out)
{
    struct reg_http_request reqs[R_COUNT];
    struct pull pulls[REG_GH_MAX_PULLS];
    struct closed closed;
    struct json_object *commits;
    const char *base;
    double t0 = now_seconds();
    enum reg_status st;
    int npulls = 0, nround1;

    memset(out, 0, sizeof(*out));
    st = prepare(a, github_api_url, repo_id, &base);
    if (st != REG_OK)
        return st;
    token = token && *token ? token : NULL;
    nround1 = token ? R_TAGS : R_COUNT;
    init_round1(reqs, a, base, repo_id, token);
    st = reg_http_fetch_all(cfg, reqs, nround1);
    if (st == REG_OK)
        st = map_round1(a, reqs, nround1, repo_id, out);
    if (st == REG_OK)
        st = closed_of(a, &reqs[R_PULLS], token != NULL, repo_id, &closed, &out->git_tags);
    if (st == REG_OK) {
        commits = body_array(a, &reqs[R_COMMITS]);
        npulls = collect_pulls(commits, &closed, pulls, REG_GH_MAX_PULLS);
        st = fetch_reviews(cfg, base, token, a, repo_id, pulls, npulls);
        if (st == REG_OK)
            count_reviewed(commits, pulls, npulls, out);
    }
    if (st == REG_OK)
        fetch_more_tags(cfg, base, token, a, repo_id, &out->git_tags);
    for (int i = 0; i < R_COUNT; i++)
        reg_http_request_cleanup(&reqs[i]);
    out->fetch_seconds = now_seconds() - t0;
    return st;
}
