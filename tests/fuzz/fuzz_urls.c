/*
 * fuzz_urls.c - libFuzzer harness of the URL allow-list (lib/upstream/allowlist.c) and the
 * artifact source-URL parser (reg_artifact_source_parse, lib/core/artifact.c). The input's first
 * line is a URL, an optional second line one more allowed base (besides two fixed ones).
 * Properties checked:
 *   - an allowed URL stays under its base: its normalised form, parsed again by curl, has the
 *     base's scheme, host and port and a path under the base's path, with no segment that
 *     decodes to "." or ".." or holds a slash or backslash; the normalised form is allowed
 *     under the same base and normalises to itself;
 *   - a source URL accepted for any artifact type names a repository whose id is made of clean
 *     segments, and the upstream URL the registry builds from it (the Hub's API for Hugging Face,
 *     GitHub's for GitHub) is allowed under that API's base and normalises to itself, so a
 *     registered URL can never steer a fetch elsewhere; the name is one reg_artifact_name_check
 *     accepts.
 * Built with -fsanitize=fuzzer,address,undefined by `make fuzz`, and without libFuzzer by
 * tests/fuzz/replay.c (make check replays tests/fuzz/corpus/urls).
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "core/artifact.h"
#include "upstream/allowlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_urls: %s\n", what);
        abort();
    }
}

/* A URL's parts as curl reads them (malloc'd by curl), for the checks. */
struct url {
    char *scheme, *host, *port, *path, *user;
};

static bool
url_parse(const char *text, struct url *u)
{
    CURLU *h = curl_url();
    bool ok;

    memset(u, 0, sizeof(*u));
    check(h != NULL, "out of memory");
    ok = curl_url_set(h, CURLUPART_URL, text, 0) == CURLUE_OK &&
         curl_url_get(h, CURLUPART_SCHEME, &u->scheme, 0) == CURLUE_OK &&
         curl_url_get(h, CURLUPART_HOST, &u->host, 0) == CURLUE_OK &&
         curl_url_get(h, CURLUPART_PORT, &u->port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
         curl_url_get(h, CURLUPART_PATH, &u->path, 0) == CURLUE_OK;
    (void)curl_url_get(h, CURLUPART_USER, &u->user, 0);
    curl_url_cleanup(h);
    return ok;
}

static void
url_free(struct url *u)
{
    curl_free(u->scheme);
    curl_free(u->host);
    curl_free(u->port);
    curl_free(u->path);
    curl_free(u->user);
}

/* Every segment of path decodes to something other than "." or "..", without '/' or '\\'. */
static void
check_segments(struct reg_arena *a, const char *path)
{
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        char *seg;
        if (n > 0 && reg_str_percent_decode(a, p, n, false, &seg) == REG_OK)
            check(strcmp(seg, ".") != 0 && strcmp(seg, "..") != 0 && !strchr(seg, '/') &&
                      !strchr(seg, '\\'),
                  "an allowed path has a segment that decodes to a dot segment or a separator");
        p += n;
        if (*p)
            p++;
    }
    check(strchr(path, '\\') == NULL, "an allowed path holds a backslash");
}

/* url was allowed under base as normalized: check it lies there. */
static void
check_under(struct reg_arena *a, const struct reg_allowlist *l, const char *base, int index,
            const char *normalized)
{
    struct url b, n;
    char *again = NULL;
    size_t blen;

    check(url_parse(base, &b) && url_parse(normalized, &n), "an allowed URL does not parse");
    blen = strlen(b.path);
    while (blen > 0 && b.path[blen - 1] == '/')
        blen--;
    check(strcasecmp(b.scheme, n.scheme) == 0 && strcasecmp(b.host, n.host) == 0 &&
              strcmp(b.port, n.port) == 0 && n.user == NULL,
          "an allowed URL has another scheme, host or port than its base, or user information");
    check(strncmp(n.path, b.path, blen) == 0 && n.path[blen] == '/',
          "an allowed URL's path is not under its base's");
    check_segments(a, n.path);
    check(reg_allowlist_match(l, normalized, &again) == index && again &&
              strcmp(again, normalized) == 0,
          "the normalised URL is not allowed as itself");
    free(again);
    url_free(&b);
    url_free(&n);
}

static void
check_allowlist(struct reg_arena *a, const char *url, const char *extra)
{
    const char *bases[3] = {"https://huggingface.co", "http://127.0.0.1:8080/hf/", extra};
    struct reg_allowlist *l;
    char *normalized;
    int n = extra ? 3 : 2, i;

    if (reg_allowlist_new(bases, n, &l) != REG_OK) {
        n = 2;
        check(reg_allowlist_new(bases, n, &l) == REG_OK, "the fixed bases are refused");
    }
    i = reg_allowlist_match(l, url, &normalized);
    check((i >= 0) == (normalized != NULL), "a match without a normalised URL, or the reverse");
    if (i >= 0)
        check_under(a, l, bases[i], i, normalized);
    free(normalized);
    reg_allowlist_free(l);
}

/* The API URL the registry fetches for src must be allowed under the API base as it is. */
static void
check_upstream(const struct reg_source *src)
{
    const char *base = src->host == REG_SOURCE_GITHUB ? "https://api.github.com/repos"
                                                      : "https://huggingface.co/api/models";
    struct reg_allowlist *l;
    char *normalized, *fetch = malloc(strlen(base) + strlen(src->repo_id) + 2);

    check(fetch != NULL, "out of memory");
    sprintf(fetch, "%s/%s", base, src->repo_id);
    check(reg_allowlist_new(&base, 1, &l) == REG_OK, "the API base is refused");
    check(reg_allowlist_match(l, fetch, &normalized) == 0 && strcmp(normalized, fetch) == 0,
          "the upstream URL built from an accepted source leaves the API base or changes");
    free(normalized);
    free(fetch);
    reg_allowlist_free(l);
}

static void
check_source(struct reg_arena *a, const char *url)
{
    for (int t = 0; t < REG_TYPE_COUNT; t++) {
        struct reg_source src;
        if (reg_artifact_source_parse(a, (enum reg_artifact_type)t, url, &src) != REG_OK)
            continue;
        check(src.repo_id && src.name && reg_artifact_name_check(src.name) == REG_OK,
              "an accepted source has no repository id or a bad name");
        check(src.repo_id[0] != '\0' && src.repo_id[0] != '/' && !strstr(src.repo_id, "//") &&
                  src.repo_id[strlen(src.repo_id) - 1] != '/',
              "an accepted source's repository id has an empty segment");
        check_segments(a, src.repo_id);
        if (src.host != REG_SOURCE_KAGGLE)
            check_upstream(&src);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reg_arena a;
    char *url, *nl;
    const char *extra = NULL;

    reg_arena_init(&a);
    url = reg_arena_strndup(&a, (const char *)data, size);
    nl = strchr(url, '\n');
    if (nl) {
        *nl = '\0';
        extra = nl + 1;
    }
    check_allowlist(&a, url, extra);
    check_source(&a, url);
    reg_arena_cleanup(&a);
    return 0;
}
