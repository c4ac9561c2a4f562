/*
 * test_github.c - the GitHub fetcher (lib/upstream/github.c) against the fixture server
 * (REGISTRY_TEST_UPSTREAM_URL, started by scripts/run-unit.sh): the signals of the corpus
 * repositories, compared with what tests/unit/rating/corpus_loader.h reads from the recorded
 * files; unknown repositories; injected failures; the requests made, without a token (REST:
 * the pull requests' reviews in a second round) and with one (GraphQL in the first round),
 * and that both give the same signals. A scripted local server plays a repository whose
 * commits name a pull request older than GraphQL's list, whose reviews are then fetched over
 * REST. Also, without network, the shared helpers (link extraction, ISO time, UTF-8
 * truncation) as tables of cases.
 */
#include "unit.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/status.h"
/* The loader's static functions this file does not call are no error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "rating/corpus_loader.h"
#pragma GCC diagnostic pop
#include "loopback_fixture.h"
#include "upstream/fixture_control.h"
#include "upstream/github.h"

#define TOKEN "ghp_unit_test_token"

static enum reg_status
fetch(struct reg_arena *a, const char *id, struct reg_code_signals *out)
{
    struct reg_http_config cfg = fixture_http_config();

    return reg_gh_fetch_repo(&cfg, upstream, NULL, a, id, out);
}

/* The same with GITHUB_TOKEN set: the pull requests come from GraphQL. */
static enum reg_status
fetch_token(struct reg_arena *a, const char *id, struct reg_code_signals *out)
{
    struct reg_http_config cfg = fixture_http_config();

    return reg_gh_fetch_repo(&cfg, upstream, TOKEN, a, id, out);
}

static const char *
log_str(struct json_object *e, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(e, key, &v) && v ? json_object_get_string(v) : "";
}

/* The fixture server's request log since the last reset (put by the caller), and its list. */
static struct json_object *
fixture_requests(struct json_object **log)
{
    struct json_object *reqs;

    *log = control("GET", "/__fixture/log", NULL);
    assert_true(json_object_object_get_ex(*log, "requests", &reqs));
    return reqs;
}

/* ---------------------------------------------------------------- against the corpus */

/* Every recorded fact of the corpus repository equals the live answer's. */
static int
compare_with_corpus(const char *id, const struct reg_code_signals *got)
{
    struct reg_arena a;
    struct reg_code_signals want = {0};
    int bad = 0;

    reg_arena_init(&a);
    assert_true(corpus_code(&a, reg_arena_sprintf(&a, "https://github.com/%s", id), &want));
    CHECK(&bad, strcmp(got->repo_id, want.repo_id) == 0, "%s: repo_id %s", id, got->repo_id);
    CHECK(&bad,
          (!got->license_spdx && !want.license_spdx) ||
              (got->license_spdx && want.license_spdx &&
               strcmp(got->license_spdx, want.license_spdx) == 0),
          "%s: license %s, corpus %s", id, got->license_spdx ? got->license_spdx : "NULL",
          want.license_spdx ? want.license_spdx : "NULL");
    CHECK(&bad,
          (!got->readme && !want.readme) ||
              (got->readme && want.readme && strcmp(got->readme, want.readme) == 0),
          "%s: README differs", id);
    CHECK(&bad,
          got->stars == want.stars && got->forks == want.forks &&
              got->open_issues == want.open_issues,
          "%s: stars/forks/issues %lld/%lld/%lld", id, (long long)got->stars, (long long)got->forks,
          (long long)got->open_issues);
    CHECK(&bad, got->pushed_at == want.pushed_at, "%s: pushed_at %lld, corpus %lld", id,
          (long long)got->pushed_at, (long long)want.pushed_at);
    CHECK(&bad, got->ncontributors == want.ncontributors, "%s: %d contributors, corpus %d", id,
          got->ncontributors, want.ncontributors);
    for (int i = 0; i < got->ncontributors && i < want.ncontributors; i++)
        CHECK(&bad, got->contributions[i] == want.contributions[i],
              "%s: contributions[%d] %lld, corpus %lld", id, i, (long long)got->contributions[i],
              (long long)want.contributions[i]);
    CHECK(&bad, got->nfiles == want.nfiles, "%s: %d files, corpus %d", id, got->nfiles,
          want.nfiles);
    for (int i = 0; i < got->nfiles && i < want.nfiles; i++)
        CHECK(&bad,
              strcmp(got->files[i].path, want.files[i].path) == 0 &&
                  got->files[i].size == want.files[i].size,
              "%s: file %d %s", id, i, got->files[i].path);
    reg_arena_cleanup(&a);
    return bad;
}

/* The GitHub repositories of the fixture server's corpus. */
static const char *const corpus_repos[] = {
    "google-research/bert",
    "openai/whisper",
    "google-research/big_vision",
    "google-deepmind/bbeh",
    "kabirraymalik/gello-bimanual-ur3",
    "fixture-lab/bert-squad-finetune",
};

static void
test_corpus_repositories(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(corpus_repos); i++) {
        struct reg_arena a;
        struct reg_code_signals c;
        enum reg_status st;

        reg_arena_init(&a);
        st = fetch(&a, corpus_repos[i], &c);
        CHECK(&bad, st == REG_OK, "%s: status %d (%s)", corpus_repos[i], st, reg_error_detail());
        if (st == REG_OK) {
            bad += compare_with_corpus(corpus_repos[i], &c);
            CHECK(&bad, c.commits_reviewed >= 0 && c.commits_reviewed <= c.commits_seen,
                  "%s: %d of %d reviewed", corpus_repos[i], c.commits_reviewed, c.commits_seen);
            printf("%-34s %3d contributors %4d files  %3d commits, %3d reviewed  %.3f s\n",
                   corpus_repos[i], c.ncontributors, c.nfiles, c.commits_seen, c.commits_reviewed,
                   c.fetch_seconds);
        }
        reg_arena_cleanup(&a);
    }
    assert_int_equal(bad, 0);
}

static void
test_spot_values(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_OK);
    assert_string_equal(c.repo_id, "openai/whisper");
    assert_string_equal(c.license_spdx, "MIT");
    assert_int_equal(c.stars, 89158);
    assert_int_equal(c.ncontributors, 78); /* 79 minus dependabot */
    assert_int_equal(c.contributions[0], 72);
    assert_int_equal(c.nfiles, 45);
    /* 166 commits, one page of 100 fetched; the 20 pull requests checked cover the newest 51,
     * so only those are judged */
    assert_int_equal(c.commits_seen, 51);
    assert_true(c.commits_reviewed > 0 && c.commits_reviewed < c.commits_seen);
    assert_true(c.fetch_seconds > 0.0);
    assert_non_null(c.readme);

    /* Mixed case resolves like GitHub; anonymous contributors are kept. */
    assert_int_equal(fetch(&a, "Google-Research/BERT", &c), REG_OK);
    assert_string_equal(c.repo_id, "google-research/bert");
    assert_string_equal(c.license_spdx, "Apache-2.0");
    assert_int_equal(c.ncontributors, 30);
    for (int i = 1; i < c.ncontributors; i++)
        assert_true(c.contributions[i - 1] >= c.contributions[i]);
    assert_int_equal(c.nfiles, 21);

    /* No licence, no README, one contributor, hence no pull requests. */
    assert_int_equal(fetch(&a, "kabirraymalik/gello-bimanual-ur3", &c), REG_OK);
    assert_null(c.license_spdx);
    assert_null(c.readme);
    assert_int_equal(c.ncontributors, 1);
    assert_int_equal(c.commits_seen, 9);
    assert_int_equal(c.commits_reviewed, 0);

    /* The bot is left out. */
    assert_int_equal(fetch(&a, "fixture-lab/bert-squad-finetune", &c), REG_OK);
    assert_int_equal(c.ncontributors, 4);
    reg_arena_cleanup(&a);
}

/* Round 1 is the seven documented calls; round 2 only reviews, at most REG_GH_MAX_PULLS. */
static void
test_requests_made(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;
    struct json_object *log, *reqs;
    int reviews = 0, other = 0;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_OK);
    log = control("GET", "/__fixture/log", NULL);
    assert_true(json_object_object_get_ex(log, "requests", &reqs));
    for (size_t i = 0; i < json_object_array_length(reqs); i++) {
        struct json_object *e = json_object_array_get_idx(reqs, i), *v;
        const char *path = "", *route = "";

        if (json_object_object_get_ex(e, "path", &v))
            path = json_object_get_string(v);
        if (json_object_object_get_ex(e, "route", &v))
            route = json_object_get_string(v);
        assert_string_not_equal(route, "unknown");
        if (strstr(path, "/reviews"))
            reviews++;
        else
            other++;
    }
    printf("round 1: %d requests, round 2: %d review requests\n", other, reviews);
    assert_int_equal(other, 7);
    assert_true(reviews > 0 && reviews <= REG_GH_MAX_PULLS);
    json_object_put(log);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- with a token */

/* Every corpus repository gives the same signals with and without a token. */
static void
test_token_gives_the_same_signals(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(corpus_repos); i++) {
        struct reg_arena a;
        struct reg_code_signals rest, gql;
        enum reg_status st1, st2;

        reg_arena_init(&a);
        st1 = fetch(&a, corpus_repos[i], &rest);
        st2 = fetch_token(&a, corpus_repos[i], &gql);
        CHECK(&bad, st1 == REG_OK && st2 == REG_OK, "%s: status %d / %d (%s)", corpus_repos[i], st1,
              st2, reg_error_detail());
        if (st1 == REG_OK && st2 == REG_OK) {
            bad += compare_with_corpus(corpus_repos[i], &gql);
            CHECK(&bad,
                  rest.commits_seen == gql.commits_seen &&
                      rest.commits_reviewed == gql.commits_reviewed,
                  "%s: REST %d of %d reviewed, GraphQL %d of %d", corpus_repos[i],
                  rest.commits_reviewed, rest.commits_seen, gql.commits_reviewed, gql.commits_seen);
            printf("%-34s REST %3d of %3d reviewed, GraphQL %3d of %3d\n", corpus_repos[i],
                   rest.commits_reviewed, rest.commits_seen, gql.commits_reviewed,
                   gql.commits_seen);
        }
        reg_arena_cleanup(&a);
    }
    assert_int_equal(bad, 0);
}

/* With a token: one round, the REST lists of pull requests and tags replaced by the GraphQL
 * query, no reviews asked for; every request carries the token. */
static void
test_token_requests_made(void **state)
{
    static const char *const want[] = {"gh.repo", "gh.contributors", "gh.readme",
                                       "gh.tree", "gh.commits",      "gh.graphql"};
    struct reg_arena a;
    struct reg_code_signals c;
    struct json_object *log, *reqs;
    int seen[NELEMS(want)] = {0}, bad = 0;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch_token(&a, "openai/whisper", &c), REG_OK);
    reqs = fixture_requests(&log);
    CHECK(&bad, json_object_array_length(reqs) == NELEMS(want), "%zu requests",
          json_object_array_length(reqs));
    for (size_t i = 0; i < json_object_array_length(reqs); i++) {
        struct json_object *e = json_object_array_get_idx(reqs, i), *v;
        const char *route = log_str(e, "route");
        bool post = strcmp(log_str(e, "method"), "POST") == 0;
        int k = 0;

        while (k < NELEMS(want) && strcmp(want[k], route) != 0)
            k++;
        CHECK(&bad, k < NELEMS(want), "unexpected request %s", log_str(e, "path"));
        if (k < NELEMS(want))
            seen[k]++;
        CHECK(&bad, post == (strcmp(route, "gh.graphql") == 0), "%s %s", log_str(e, "method"),
              route);
        CHECK(&bad, json_object_object_get_ex(e, "authorization", &v) && json_object_get_boolean(v),
              "%s without the token", route);
    }
    for (int k = 0; k < NELEMS(want); k++)
        CHECK(&bad, seen[k] == 1, "%s asked %d times", want[k], seen[k]);
    json_object_put(log);
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

/* With a token, an unknown repository is still "does not exist" (REST's 404 decides). */
static void
test_token_unknown_repository(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch_token(&a, "no-such-owner/no-such-repo", &c), REG_ENOTFOUND);
    assert_string_equal(reg_error_detail(),
                        "repository no-such-owner/no-such-repo does not exist on GitHub");
    reg_arena_cleanup(&a);
}

/* A failing GraphQL answer fails the fetch, as a failing REST call does; a transient one is
 * retried. */
static void
test_token_graphql_failure(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    json_object_put(
        control("POST", "/__fixture/config", "{\"fail\": \"500\", \"fail_paths\": \"^/graphql\"}"));
    reg_arena_init(&a);
    assert_int_equal(fetch_token(&a, "openai/whisper", &c), REG_EUPSTREAM);
    printf("GraphQL failing: %s\n", reg_error_detail());
    assert_non_null(
        strstr(reg_error_detail(), "GitHub pull requests (GraphQL) of openai/whisper: HTTP 500"));
    reset_fixture(NULL);
    json_object_put(
        control("POST", "/__fixture/config",
                "{\"fail\": \"500\", \"fail_paths\": \"^/graphql\", \"fail_count\": 1}"));
    assert_int_equal(fetch_token(&a, "openai/whisper", &c), REG_OK);
    assert_int_equal(c.commits_seen, 51);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- a scripted GitHub */

/*
 * A local server playing one repository, o/r, on its own: its commits name pull requests #150
 * (squash merge), #5 (a merge commit) and #151, and its GraphQL answer lists 100 closed pull
 * requests, #101..#200 (#151 not merged, #150 approved), so #5 is older than the list: its
 * merge is trusted, as REST trusts it, and its reviews are fetched over REST. Each connection
 * is answered and closed; the paths asked are recorded.
 */
#define SCRIPT_MAX_PATHS 32

struct script {
    int fd;
    char base[64];
    pthread_t thread;
    pthread_mutex_t lock;
    char paths[SCRIPT_MAX_PATHS][128];
    int npaths;
};

static const char script_commits[] =
    "[{\"sha\":\"c3\",\"commit\":{\"message\":\"Speed up the loader (#150)\"}},"
    "{\"sha\":\"c2\",\"commit\":{\"message\":\"Merge pull request #5 from a/b\\n\\nOld work\"}},"
    "{\"sha\":\"c1\",\"commit\":{\"message\":\"Revert the loader (#151)\"}},"
    "{\"sha\":\"c0\",\"commit\":{\"message\":\"Initial commit\"}}]";

/* The GraphQL answer: #200 down to #101, all merged but #151, only #150 approved; 100 tags. */
static char *
script_graphql(void)
{
    struct reg_buf b;

    reg_buf_init(&b, 1u << 20);
    assert_int_equal(reg_buf_puts(&b, "{\"data\":{\"repository\":{\"pullRequests\":{\"nodes\":["),
                     REG_OK);
    for (int n = 200; n > 100; n--)
        assert_int_equal(
            reg_buf_printf(&b, "%s{\"number\":%d,\"merged\":%s,\"reviews\":{\"nodes\":[%s]}}",
                           n == 200 ? "" : ",", n, n == 151 ? "false" : "true",
                           n == 150 ? "{\"state\":\"APPROVED\"}" : ""),
            REG_OK);
    /* the newest REG_GH_PER_PAGE tags, as GraphQL lists them: a full page */
    assert_int_equal(reg_buf_puts(&b, "]},\"refs\":{\"nodes\":["), REG_OK);
    for (int i = 0; i < REG_GH_PER_PAGE; i++)
        assert_int_equal(reg_buf_printf(&b, "%s{\"name\":\"g%d\"}", i ? "," : "", i), REG_OK);
    assert_int_equal(reg_buf_puts(&b, "]}}}}"), REG_OK);
    return reg_buf_take(&b);
}

/* Tags page 1 (REG_GH_PER_PAGE tags, v1.0.0 to v1.0.99) or 2 (30 more, v2.0.0 to v2.0.29);
 * pages 3 and on are not there (404). */
static const char *
script_tags(int page)
{
    static char pages[2][8192];
    char *p = pages[page - 1];
    int n = page == 1 ? REG_GH_PER_PAGE : 30;

    p[0] = '[';
    p[1] = '\0';
    for (int i = 0; i < n; i++)
        snprintf(p + strlen(p), sizeof(pages[0]) - strlen(p), "%s{\"name\":\"v%d.0.%d\"}",
                 i ? "," : "", page, i);
    snprintf(p + strlen(p), sizeof(pages[0]) - strlen(p), "]");
    return p;
}

/* The body answering path (NULL: 404). */
static const char *
script_answer(const char *path, const char *graphql)
{
    static const struct {
        const char *path, *body;
    } routes[] = {
        {"/repos/o/r", "{\"full_name\":\"o/r\",\"stargazers_count\":3}"},
        {"/repos/o/r/contributors?per_page=100&anon=1",
         "[{\"type\":\"User\",\"contributions\":4}]"},
        {"/repos/o/r/readme", "# r\n"},
        {"/repos/o/r/git/trees/HEAD?recursive=1", "{\"tree\":[]}"},
        {"/repos/o/r/commits?per_page=100", script_commits},
        {"/repos/o/r/pulls/5/reviews?per_page=100", "[{\"state\":\"APPROVED\"}]"},
    };

    if (strcmp(path, "/graphql") == 0)
        return graphql;
    if (strcmp(path, "/repos/o/r/tags?per_page=100") == 0)
        return script_tags(1);
    if (strcmp(path, "/repos/o/r/tags?per_page=100&page=2") == 0)
        return script_tags(2);
    if (strcmp(path, "/repos/o/r/tags?per_page=100&page=1") == 0)
        return script_tags(1);
    for (int i = 0; i < NELEMS(routes); i++)
        if (strcmp(path, routes[i].path) == 0)
            return routes[i].body;
    return NULL;
}

/* Reads one request (head and body) from c and answers it. */
static void
script_serve(struct script *sc, int c, const char *graphql)
{
    char buf[16384], path[128] = "", *head_end, *cl;
    size_t got = 0, need = 0;
    const char *body;
    char head[256];

    while (got < sizeof(buf) - 1) {
        ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);

        if (n <= 0)
            break;
        got += (size_t)n;
        buf[got] = '\0';
        head_end = strstr(buf, "\r\n\r\n");
        if (!head_end)
            continue;
        cl = strstr(buf, "Content-Length: ");
        need = (size_t)(head_end + 4 - buf) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
        if (got >= need)
            break;
    }
    sscanf(buf, "%*s %127s", path);
    pthread_mutex_lock(&sc->lock);
    if (sc->npaths < SCRIPT_MAX_PATHS)
        snprintf(sc->paths[sc->npaths++], sizeof(sc->paths[0]), "%s", path);
    pthread_mutex_unlock(&sc->lock);
    body = script_answer(path, graphql);
    snprintf(head, sizeof(head),
             "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n",
             body ? "200 OK" : "404 Not Found", body ? strlen(body) : 2);
    (void)!write(c, head, strlen(head));
    (void)!write(c, body ? body : "{}", body ? strlen(body) : 2);
}

static void *
script_run(void *arg)
{
    struct script *sc = arg;
    char *graphql = script_graphql();

    for (;;) {
        int c = accept(sc->fd, NULL, NULL);

        if (c < 0)
            break; /* shut down */
        script_serve(sc, c, graphql);
        close(c);
    }
    free(graphql);
    return NULL;
}

static void
script_start(struct script *sc)
{
    memset(sc, 0, sizeof(*sc));
    pthread_mutex_init(&sc->lock, NULL);
    sc->fd = loopback_listen(16, sc->base, sizeof(sc->base));
    assert_int_equal(pthread_create(&sc->thread, NULL, script_run, sc), 0);
}

static void
script_stop(struct script *sc)
{
    shutdown(sc->fd, SHUT_RDWR); /* wakes the accept */
    pthread_join(sc->thread, NULL);
    close(sc->fd);
    pthread_mutex_destroy(&sc->lock);
}

static int
script_asked(struct script *sc, const char *part)
{
    int n = 0;

    for (int i = 0; i < sc->npaths; i++)
        n += strstr(sc->paths[i], part) != NULL;
    return n;
}

/* Fetches repository o/r from a fresh scripted server (token may be NULL), which is stopped
 * before this returns so that sc can be asked what it was sent. */
static enum reg_status
scripted_fetch(struct script *sc, const char *token, struct reg_arena *a,
               struct reg_code_signals *c)
{
    struct reg_http_config cfg = fixture_http_config();
    const char *bases[1];
    enum reg_status st;

    script_start(sc);
    bases[0] = sc->base;
    cfg.allowed_bases = bases;
    st = reg_gh_fetch_repo(&cfg, sc->base, token, a, "o/r", c);
    script_stop(sc);
    return st;
}

/* #150 approved (from GraphQL), #5 approved (its reviews over REST: older than the list),
 * #151 not merged; "Initial commit" names none: 2 of 4 reviewed, one review request. */
static void
test_token_reviews_older_than_the_list(void **state)
{
    struct script sc;
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(scripted_fetch(&sc, TOKEN, &a, &c), REG_OK);
    assert_int_equal(c.commits_seen, 4);
    assert_int_equal(c.commits_reviewed, 2);
    assert_int_equal(script_asked(&sc, "/graphql"), 1);
    assert_int_equal(script_asked(&sc, "/reviews"), 1);
    assert_int_equal(script_asked(&sc, "/pulls/5/reviews"), 1);
    assert_int_equal(script_asked(&sc, "/pulls?"), 0);
    reg_arena_cleanup(&a);
}

/* A full first page of tags: pages 2 to REG_GH_MAX_TAG_PAGES are asked at once; the ones that
 * are not there (404) add nothing and fail nothing. */
static void
test_tags_past_the_first_page(void **state)
{
    struct script sc;
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(scripted_fetch(&sc, NULL, &a, &c), REG_OK);
    assert_int_equal(c.git_tags.n, REG_GH_PER_PAGE + 30);
    assert_string_equal(c.git_tags.names[0], "v1.0.0");
    assert_string_equal(c.git_tags.names[REG_GH_PER_PAGE], "v2.0.0");
    assert_string_equal(c.git_tags.names[REG_GH_PER_PAGE + 29], "v2.0.29");
    assert_int_equal(script_asked(&sc, "/tags?"), REG_GH_MAX_TAG_PAGES);

    /* with a token, GraphQL's full page of 100 is replaced by REST's pages 1 to 5 */
    assert_int_equal(scripted_fetch(&sc, TOKEN, &a, &c), REG_OK);
    assert_int_equal(c.git_tags.n, REG_GH_PER_PAGE + 30);
    assert_string_equal(c.git_tags.names[0], "v1.0.0");
    assert_int_equal(script_asked(&sc, "/tags?"), REG_GH_MAX_TAG_PAGES);
    assert_int_equal(script_asked(&sc, "/tags?per_page=100&page=1"), 1);
    reg_arena_cleanup(&a);
}

/* The tags of corpus repositories (tests/fixtures/tags.json), from REST without a token and
 * from GraphQL with one (no /tags request then); a repository whose tags route is missing
 * (404) has none and is fetched all the same. One page that is not full: no second request. */
static void
test_tags(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;
    struct json_object *log, *reqs;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_OK);
    assert_int_equal(c.git_tags.n, 5);
    assert_string_equal(c.git_tags.names[0], "v20230117");
    reset_fixture(NULL);
    assert_int_equal(fetch_token(&a, "google-research/bert", &c), REG_OK);
    assert_int_equal(c.git_tags.n, 3);
    assert_string_equal(c.git_tags.names[2], "nightly");
    reqs = fixture_requests(&log);
    for (size_t i = 0; i < json_object_array_length(reqs); i++)
        assert_string_not_equal(log_str(json_object_array_get_idx(reqs, i), "route"), "gh.tags");
    json_object_put(log);
    assert_int_equal(fetch(&a, "google-deepmind/bbeh", &c), REG_OK);
    assert_int_equal(c.git_tags.n, 0);
    json_object_put(control("POST", "/__fixture/config",
                            "{\"fail\": \"404\", \"fail_paths\": \"/tags\\\\?\"}"));
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_OK);
    assert_int_equal(c.git_tags.n, 0);
    assert_int_equal(c.nfiles, 45);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- failures */

static void
test_unknown_repository(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "no-such-owner/no-such-repo", &c), REG_ENOTFOUND);
    assert_string_equal(reg_error_detail(),
                        "repository no-such-owner/no-such-repo does not exist on GitHub");
    reg_arena_cleanup(&a);
}

static void
test_invalid_ids(void **state)
{
    static const char *const ids[] = {"",      "openai",    "openai/", "/whisper", "../x",
                                      "a/b/c", "openai/..", "o/r?x=1", "o/r#f",    "o r/x"};
    struct reg_arena a;
    struct reg_code_signals c;
    int bad = 0;

    (void)state;
    reg_arena_init(&a);
    for (int i = 0; i < NELEMS(ids); i++)
        CHECK(&bad, fetch(&a, ids[i], &c) == REG_EINVAL, "'%s' accepted", ids[i]);
    CHECK(&bad, fetch(&a, NULL, &c) == REG_EINVAL, "NULL accepted");
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

static void
expect_upstream(const char *fail_paths)
{
    struct reg_arena a;
    struct reg_code_signals c;
    char cfg[256];

    snprintf(cfg, sizeof(cfg), "{\"fail\": \"500\", \"fail_paths\": \"%s\"}", fail_paths);
    json_object_put(control("POST", "/__fixture/config", cfg));
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_EUPSTREAM);
    printf("fail %s: %s\n", fail_paths, reg_error_detail());
    assert_non_null(strstr(reg_error_detail(), "openai/whisper"));
    reg_arena_cleanup(&a);
    reset_fixture(NULL);
}

static void
test_upstream_failures(void **state)
{
    (void)state;
    expect_upstream("^/repos/openai/whisper$");
    expect_upstream("/contributors");
    expect_upstream("/commits");
    expect_upstream("/reviews");
    expect_upstream("/tags");
}

/* A failure that recovers within the attempts is no failure. */
static void
test_transient_failure(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    json_object_put(
        control("POST", "/__fixture/config",
                "{\"fail\": \"500\", \"fail_paths\": \"/git/trees\", \"fail_count\": 1}"));
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_OK);
    assert_int_equal(c.nfiles, 45);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- helpers, no network */

static void
test_find_repo_urls(void **state)
{
    static const struct {
        const char *text;
        const char *want[4];
    } cases[] = {
        {"see https://github.com/openai/whisper.", {"https://github.com/openai/whisper"}},
        {"git clone https://github.com/google-research/bert.git && x",
         {"https://github.com/google-research/bert"}},
        {"[a](https://github.com/pytorch/fairseq/tree/main/examples/roberta) and "
         "http://github.com/PyTorch/Fairseq",
         {"https://github.com/pytorch/fairseq"}},
        {"github.com/a/b github.com/c/d www.github.com/a/b",
         {"https://github.com/a/b", "https://github.com/c/d"}},
        {"github.com/onlyowner and github.com/ and github.com//x", {NULL}},
        {"", {NULL}},
    };
    struct reg_arena a;
    int bad = 0;

    (void)state;
    reg_arena_init(&a);
    for (int i = 0; i < NELEMS(cases); i++) {
        const char *urls[8];
        int n = 0, want = 0;

        reg_gh_find_repo_urls(&a, cases[i].text, urls, &n, 8);
        while (want < 4 && cases[i].want[want])
            want++;
        CHECK(&bad, n == want, "case %d: %d urls, want %d", i, n, want);
        for (int k = 0; k < n && k < want; k++)
            CHECK(&bad, strcmp(urls[k], cases[i].want[k]) == 0, "case %d: %s", i, urls[k]);
    }
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

static void
test_iso_time(void **state)
{
    static const struct {
        const char *iso;
        int64_t want;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2024-02-29T10:57:33.000Z", 1709204253},
        {"2024-02-29T10:57:33Z", 1709204253},
        {"2000-03-01T00:00:00+00:00", 951868800},
        {"not a date", 0},
        {"2024-13-01T00:00:00Z", 0},
        {NULL, 0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++)
        CHECK(&bad, reg_gh_iso_time(cases[i].iso) == cases[i].want, "%s: %lld",
              cases[i].iso ? cases[i].iso : "NULL", (long long)reg_gh_iso_time(cases[i].iso));
    assert_int_equal(bad, 0);
}

static void
test_text_copy_utf8(void **state)
{
    struct reg_arena a;
    const char *s = "ab\xc3\xa9"
                    "cd\xe2\x82\xac"; /* ab é cd € */

    (void)state;
    reg_arena_init(&a);
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 100), s);
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 3), "ab");
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 4), "ab\xc3\xa9");
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 8), "ab\xc3\xa9"
                                                               "cd");
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 0), "");
    assert_null(reg_gh_text_copy(&a, NULL, 0, 10));
    reg_arena_cleanup(&a);
}

#define TEST(f) cmocka_unit_test_setup(f, reset_fixture)

int
main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_find_repo_urls),
        cmocka_unit_test(test_iso_time),
        cmocka_unit_test(test_text_copy_utf8),
    };
    const struct CMUnitTest online[] = {
        TEST(test_corpus_repositories),
        TEST(test_spot_values),
        TEST(test_requests_made),
        TEST(test_unknown_repository),
        TEST(test_invalid_ids),
        TEST(test_upstream_failures),
        TEST(test_transient_failure),
        TEST(test_token_gives_the_same_signals),
        TEST(test_token_requests_made),
        TEST(test_token_unknown_repository),
        TEST(test_token_graphql_failure),
        TEST(test_token_reviews_older_than_the_list),
        TEST(test_tags),
        TEST(test_tags_past_the_first_page),
    };
    const char *env = getenv(UPSTREAM_ENV);
    int failed;

    failed = cmocka_run_group_tests_name("upstream/github offline", offline, NULL, NULL);
    if (!env || !*env) {
        fprintf(stderr, "test_github: %s is not set; run through scripts/run-unit.sh.\n",
                UPSTREAM_ENV);
        return 1;
    }
    snprintf(upstream, sizeof(upstream), "%s", env);
    while (strlen(upstream) > 0 && upstream[strlen(upstream) - 1] == '/')
        upstream[strlen(upstream) - 1] = '\0';
    failed += cmocka_run_group_tests_name("upstream/github", online, NULL, NULL);
    return failed;
}
