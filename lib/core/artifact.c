/*
 * artifact.c - artifact validation, ids, source URL parsing and JSON mapping.
 */
#include "core/artifact.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"

static const char *const type_names[REG_TYPE_COUNT] = {"model", "dataset", "code"};

enum reg_status
reg_artifact_type_parse(const char *s, enum reg_artifact_type *out)
{
    for (int t = 0; t < REG_TYPE_COUNT; t++) {
        if (s && strcmp(s, type_names[t]) == 0) {
            *out = (enum reg_artifact_type)t;
            return REG_OK;
        }
    }
    return reg_errorf(REG_EINVAL, "artifact_type must be one of model, dataset, code; got '%.64s'",
                      s ? s : "");
}

const char *
reg_artifact_type_name(enum reg_artifact_type t)
{
    return (unsigned)t < REG_TYPE_COUNT ? type_names[t] : "unknown";
}

void
reg_artifact_id_new(char out[REG_ID_MAX + 1])
{
    const uint64_t floor = 1000000000ull; /* at least 10 digits, like the contract's examples */
    uint64_t v;

    do {
        if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
            reg_oom(); /* the CSPRNG cannot fail short of a broken process */
        v &= INT64_MAX;
    } while (v < floor);
    snprintf(out, REG_ID_MAX + 1, "%llu", (unsigned long long)v);
}

enum reg_status
reg_artifact_id_check(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n == 0 || n > REG_ID_MAX)
        return reg_errorf(REG_EINVAL, "id must be 1 to %d characters of [a-zA-Z0-9-]", REG_ID_MAX);
    if (strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != n)
        return reg_errorf(REG_EINVAL, "id '%.64s' has characters outside [a-zA-Z0-9-]", id);
    return REG_OK;
}

enum reg_status
reg_artifact_name_check(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > REG_NAME_MAX)
        return reg_errorf(REG_EINVAL, "name must be 1 to %d bytes", REG_NAME_MAX);
    if (strcmp(name, "*") == 0)
        return reg_errorf(REG_EINVAL, "the name '*' is reserved");
    if (!reg_str_is_printable_utf8(name))
        return reg_errorf(REG_EINVAL, "name must be printable UTF-8 without control characters");
    return REG_OK;
}

/* A URL split into host and path segments, with query and fragment dropped. */
struct url_parts {
    const char *host;
    const char *seg[8];
    int nseg;
};

static enum reg_status
split_url(struct reg_arena *a, const char *url, struct url_parts *out)
{
    const char *p;
    char *copy, *path, *save = NULL, *tok;

    memset(out, 0, sizeof(*out));
    if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else
        return reg_errorf(REG_EINVAL, "url must start with https://");
    copy = reg_arena_strdup(a, p);
    copy[strcspn(copy, "?#")] = '\0';
    path = strchr(copy, '/');
    if (path)
        *path++ = '\0';
    for (char *c = copy; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    out->host = copy;
    for (tok = path ? strtok_r(path, "/", &save) : NULL; tok; tok = strtok_r(NULL, "/", &save)) {
        if (out->nseg == 8)
            return reg_errorf(REG_EINVAL, "url has too many path segments");
        if (strcmp(tok, "..") == 0 || strcmp(tok, ".") == 0)
            return reg_errorf(REG_EINVAL, "url path must not contain '.' or '..' segments");
        out->seg[out->nseg++] = tok;
    }
    return REG_OK;
}

static bool
host_is(const char *host, const char *domain)
{
    return strcmp(host, domain) == 0 ||
           (strncmp(host, "www.", 4) == 0 && strcmp(host + 4, domain) == 0);
}

/* A repository-name segment: letters, digits, '-', '_', '.', but not "." or "..", of at most
 * REG_REPO_SEGMENT_MAX bytes (see limits.h: longer than the Hub's 96 for new names). */
static bool
repo_segment_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= REG_REPO_SEGMENT_MAX && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

/* A clear refusal for a segment over REG_REPO_SEGMENT_MAX, the one limit a well-formed name
 * can reach. */
static enum reg_status
check_segment_lengths(const struct url_parts *u)
{
    for (int i = 0; i < u->nseg; i++)
        if (strlen(u->seg[i]) > REG_REPO_SEGMENT_MAX)
            return reg_errorf(REG_EINVAL,
                              "url path segment '%.40s...' has %zu characters; a repository name "
                              "may have at most %d (the longest artifact name)",
                              u->seg[i], strlen(u->seg[i]), REG_REPO_SEGMENT_MAX);
    return REG_OK;
}

/* HF repository ids are "{org}/{name}" or a legacy "{name}"; "tree", "blob" and "resolve"
 * begin a revision suffix, not a repository name. */
static enum reg_status
parse_hf_repo(struct reg_arena *a, const struct url_parts *u, int first, const char *what,
              struct reg_source *out)
{
    int n = u->nseg - first;
    const char *const *s = u->seg + first;
    bool two;

    if (n < 1)
        return reg_errorf(REG_EINVAL, "url names no Hugging Face %s", what);
    two = n >= 2 && strcmp(s[1], "tree") != 0 && strcmp(s[1], "blob") != 0 &&
          strcmp(s[1], "resolve") != 0;
    if (!repo_segment_ok(s[0]) || (two && !repo_segment_ok(s[1])))
        return reg_errorf(REG_EINVAL, "'%.100s' is not a Hugging Face %s id", s[0], what);
    if (n > 2 && two && strcmp(s[2], "tree") != 0 && strcmp(s[2], "blob") != 0 &&
        strcmp(s[2], "resolve") != 0)
        return reg_errorf(REG_EINVAL, "url is not a Hugging Face %s page", what);
    out->host = REG_SOURCE_HUGGINGFACE;
    out->repo_id = two ? reg_arena_sprintf(a, "%s/%s", s[0], s[1]) : s[0];
    out->name = two ? s[1] : s[0];
    return REG_OK;
}

static enum reg_status
parse_model(struct reg_arena *a, const struct url_parts *u, struct reg_source *out)
{
    static const char *const not_models[] = {"datasets", "spaces",      "docs",   "organizations",
                                             "api",      "collections", "papers", "settings"};

    if (!host_is(u->host, "huggingface.co"))
        return reg_errorf(REG_EINVAL, "a model url must be https://huggingface.co/{org}/{model}");
    for (size_t i = 0; u->nseg > 0 && i < sizeof(not_models) / sizeof(not_models[0]); i++)
        if (strcmp(u->seg[0], not_models[i]) == 0)
            return reg_errorf(REG_EINVAL, "huggingface.co/%s/... is not a model url", u->seg[0]);
    return parse_hf_repo(a, u, 0, "model", out);
}

static enum reg_status
parse_dataset(struct reg_arena *a, const struct url_parts *u, struct reg_source *out)
{
    if (host_is(u->host, "huggingface.co") && u->nseg >= 1 && strcmp(u->seg[0], "datasets") == 0)
        return parse_hf_repo(a, u, 1, "dataset", out);
    if (host_is(u->host, "kaggle.com") && u->nseg >= 3 && strcmp(u->seg[0], "datasets") == 0 &&
        repo_segment_ok(u->seg[1]) && repo_segment_ok(u->seg[2])) {
        out->host = REG_SOURCE_KAGGLE;
        out->repo_id = reg_arena_sprintf(a, "%s/%s", u->seg[1], u->seg[2]);
        out->name = u->seg[2];
        return REG_OK;
    }
    return reg_errorf(REG_EINVAL, "a dataset url must be https://huggingface.co/datasets/{org}/"
                                  "{dataset} or https://www.kaggle.com/datasets/{owner}/{dataset}");
}

static enum reg_status
parse_code(struct reg_arena *a, const struct url_parts *u, struct reg_source *out)
{
    char *repo;
    size_t n;

    if (!host_is(u->host, "github.com") || u->nseg < 2)
        return reg_errorf(REG_EINVAL, "a code url must be https://github.com/{owner}/{repo}");
    repo = reg_arena_strdup(a, u->seg[1]);
    n = strlen(repo);
    if (n > 4 && strcmp(repo + n - 4, ".git") == 0)
        repo[n - 4] = '\0';
    if (!repo_segment_ok(u->seg[0]) || !repo_segment_ok(repo))
        return reg_errorf(REG_EINVAL, "'%.100s/%.100s' is not a GitHub repository", u->seg[0],
                          repo);
    out->host = REG_SOURCE_GITHUB;
    out->repo_id = reg_arena_sprintf(a, "%s/%s", u->seg[0], repo);
    out->name = repo;
    out->subdir = NULL;
    if (u->nseg == 2)
        return REG_OK;
    if (u->nseg < 4 || strcmp(u->seg[2], "tree") != 0)
        return reg_errorf(REG_EINVAL, "a code url may only continue with /tree/{ref}/{subdir}");
    if (u->nseg > 4) {
        out->subdir = u->seg[4];
        for (int i = 5; i < u->nseg; i++)
            out->subdir = reg_arena_sprintf(a, "%s/%s", out->subdir, u->seg[i]);
        /* The directory's name, unless it is no artifact name (a GitHub directory may be
         * called "*", the reserved name that enumerates everything): then the repository's. */
        if (reg_artifact_name_check(u->seg[u->nseg - 1]) == REG_OK)
            out->name = u->seg[u->nseg - 1];
    }
    return REG_OK;
}

enum reg_status
reg_artifact_source_parse(struct reg_arena *a, enum reg_artifact_type t, const char *url,
                          struct reg_source *out)
{
    struct url_parts u;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    if (strlen(url) > REG_URL_MAX)
        return reg_errorf(REG_EINVAL, "url is longer than %d bytes", REG_URL_MAX);
    if (!reg_str_is_printable_utf8(url) || strchr(url, ' '))
        return reg_errorf(REG_EINVAL, "url must not contain spaces or control characters");
    st = split_url(a, url, &u);
    if (st == REG_OK)
        st = check_segment_lengths(&u);
    if (st != REG_OK)
        return st;
    switch (t) {
    case REG_TYPE_MODEL:
        return parse_model(a, &u, out);
    case REG_TYPE_DATASET:
        return parse_dataset(a, &u, out);
    case REG_TYPE_CODE:
        return parse_code(a, &u, out);
    }
    return reg_errorf(REG_EINVAL, "unknown artifact type");
}

struct json_object *
reg_artifact_metadata_json(const struct reg_artifact *art)
{
    struct json_object *m = json_object_new_object();

    json_object_object_add(m, "name", json_object_new_string(art->name));
    json_object_object_add(m, "id", json_object_new_string(art->id));
    json_object_object_add(m, "type", json_object_new_string(reg_artifact_type_name(art->type)));
    return m;
}

struct json_object *
reg_artifact_json(const struct reg_artifact *art, const char *base_url)
{
    struct json_object *root = json_object_new_object();
    struct json_object *data = json_object_new_object();
    char download[REG_URL_MAX + 128];

    snprintf(download, sizeof(download), "%s/download/%s/%s", base_url,
             reg_artifact_type_name(art->type), art->id);
    json_object_object_add(root, "metadata", reg_artifact_metadata_json(art));
    json_object_object_add(data, "url", json_object_new_string(art->url));
    json_object_object_add(data, "download_url", json_object_new_string(download));
    json_object_object_add(root, "data", data);
    return root;
}
