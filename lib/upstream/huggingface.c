/*
 * huggingface.c - Hugging Face Hub model and dataset signals (see huggingface.h): one round
 * of concurrent GETs each (to a renamed repository's current id when it is known, see
 * hf_aliases.h), then the answers mapped onto the signal structs.
 */
#include "upstream/huggingface.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"
#include "base/str.h"
#include "upstream/github.h"
#include "upstream/hf_aliases.h"

/* The requests of one fetch, in this order (a dataset has no config, the last). */
enum { R_INFO, R_README, R_REFS, R_CONFIG, R_COUNT };

/* What is being fetched: "model" or "dataset", and its URL paths. */
struct kind {
    const char *name;
    const char *info_path; /* base/{info_path}/{id}?blobs=true */
    const char *resolve;   /* base/{resolve}{id}/resolve/main/{file} */
};

static const struct kind model_kind = {
    "model",
    "api/models",
    "",
};

static const struct kind dataset_kind = {
    "dataset",
    "api/datasets",
    "datasets/",
};

/* ---------------------------------------------------------------- JSON readers */

static struct json_object *
member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (o && json_object_is_type(o, json_type_object))
        json_object_object_get_ex(o, key, &v);
    return v;
}

/* A string, or the first string of a list. */
static const char *
str_or_first(struct json_object *o, const char *key)
{
    struct json_object *v = member(o, key);

    if (v && json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0)
        v = json_object_array_get_idx(v, 0);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A string or a list of strings -> an array of strings (other items skipped). */
static const char *const *
strings_of(struct reg_arena *a, struct json_object *v, int *n)
{
    const char **out;
    size_t len;

    *n = 0;
    if (v && json_object_is_type(v, json_type_string)) {
        out = reg_arena_alloc(a, sizeof(*out));
        out[(*n)++] = json_object_get_string(v);
        return out;
    }
    if (!v || !json_object_is_type(v, json_type_array))
        return NULL;
    len = json_object_array_length(v);
    out = reg_arena_alloc(a, (len + 1) * sizeof(*out));
    for (size_t i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);

        if (json_object_is_type(e, json_type_string))
            out[(*n)++] = json_object_get_string(e);
    }
    return out;
}

/* siblings [{rfilename, size, blobId, lfs{size, sha256}}] -> files. */
static const struct reg_file_info *
files_of(struct reg_arena *a, struct json_object *siblings, int *n)
{
    struct reg_file_info *out;
    size_t len;

    *n = 0;
    if (!siblings || !json_object_is_type(siblings, json_type_array))
        return NULL;
    len = json_object_array_length(siblings);
    out = reg_arena_alloc(a, (len + 1) * sizeof(*out));
    for (size_t i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(siblings, i), *sz;
        const char *path = reg_json_str(e, "rfilename");

        if (!path)
            continue;
        out[*n].path = path;
        if (json_object_object_get_ex(e, "size", &sz) && json_object_is_type(sz, json_type_int))
            out[*n].size = json_object_get_int64(sz);
        else
            out[*n].size = reg_json_int(member(e, "lfs"), "size");
        out[*n].oid = reg_json_str(e, "blobId");
        out[*n].lfs_sha256 = reg_json_str(member(e, "lfs"), "sha256");
        (*n)++;
    }
    return out;
}

static const char *
license_of(struct json_object *info, struct json_object *card)
{
    const char *l = str_or_first(card, "license");
    struct json_object *tags = member(info, "tags");

    if (l || !tags || !json_object_is_type(tags, json_type_array))
        return l;
    for (size_t i = 0; i < json_object_array_length(tags); i++) {
        struct json_object *t = json_object_array_get_idx(tags, i);
        const char *s = json_object_is_type(t, json_type_string) ? json_object_get_string(t) : "";

        if (strncmp(s, "license:", 8) == 0)
            return s + 8;
    }
    return NULL;
}

/* ---------------------------------------------------------------- checks */

static bool
id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/* "name" or "org/name": [A-Za-z0-9._-] parts, none of them "." or "..", at most
 * REG_REPO_SEGMENT_MAX bytes each (the Hub creates names of at most 96 but serves longer, older
 * ones). */
bool
reg_hf_repo_id_ok(const char *id)
{
    int parts = 0;

    if (!id)
        return false;
    for (const char *p = id; parts < 3; parts++) {
        const char *end = p;

        while (id_char(*end))
            end++;
        if (end == p || end - p > REG_REPO_SEGMENT_MAX || (end - p == 1 && *p == '.') ||
            (end - p == 2 && strncmp(p, "..", 2) == 0))
            return false;
        if (*end == '\0')
            return true;
        if (*end != '/' || parts == 1)
            return false;
        p = end + 1;
    }
    return false;
}

/* Whether a 401/403 body is the Hub's "Repository not found" (its answer to anonymous
 * callers for a repository that does not exist, or is private). */
static bool
says_not_found(struct reg_arena *a, const struct reg_http_request *r)
{
    struct json_object *o = NULL;
    const char *err;

    if (!r->body.data || r->body.len == 0 ||
        reg_json_parse_bounded(a, r->body.data, r->body.len, REG_HF_JSON_MAX, &o) != REG_OK)
        return false;
    err = reg_json_str(o, "error");
    return err && strstr(err, "Repository not found") != NULL;
}

/* ---------------------------------------------------------------- the fetch */

/* Starts the requests (R_CONFIG only when with_config) and waits for them. */
static enum reg_status
fetch(const struct reg_http_config *cfg, const char *endpoint, const char *token,
      struct reg_arena *a, const struct kind *k, const char *repo_id, bool with_config,
      struct reg_http_request *reqs)
{
    const char *base;
    int n = with_config ? R_COUNT : R_CONFIG;

    if (!reg_hf_repo_id_ok(repo_id))
        return reg_errorf(REG_EINVAL, "'%s' is not a Hugging Face %s id", repo_id ? repo_id : "",
                          k->name);
    if (!endpoint || !*endpoint)
        return reg_errorf(REG_EINVAL, "no Hugging Face endpoint is configured");
    base = reg_str_rtrim(a, endpoint, '/');
    token = token && *token ? token : NULL;
    reg_http_request_init(&reqs[R_INFO],
                          reg_arena_sprintf(a, "%s/%s/%s?blobs=true", base, k->info_path, repo_id),
                          REG_HF_JSON_MAX);
    reqs[R_INFO].accept = "application/json";
    reg_http_request_init(
        &reqs[R_README],
        reg_arena_sprintf(a, "%s/%s%s/resolve/main/README.md", base, k->resolve, repo_id),
        REG_HF_README_FETCH_MAX);
    reg_http_request_init(&reqs[R_REFS],
                          reg_arena_sprintf(a, "%s/%s/%s/refs", base, k->info_path, repo_id),
                          REG_HF_JSON_MAX);
    reqs[R_REFS].accept = "application/json";
    if (with_config)
        reg_http_request_init(&reqs[R_CONFIG],
                              reg_arena_sprintf(a, "%s/%s/resolve/main/config.json", base, repo_id),
                              REG_HF_CONFIG_MAX);
    for (int i = 0; i < n; i++)
        reqs[i].bearer = token;
    return reg_http_fetch_all(cfg, reqs, n);
}

/* REG_EUPSTREAM "Hugging Face {what}[ {what2}] of {id}: {why}". */
static enum reg_status
upstream_error(const char *what, const char *what2, const char *repo_id,
               const struct reg_http_request *r)
{
    char status[32];

    snprintf(status, sizeof(status), "HTTP %ld", r->status);
    return reg_errorf(REG_EUPSTREAM, "Hugging Face %s%s%s of %s: %s", what, what2 ? " " : "",
                      what2 ? what2 : "", repo_id, r->error[0] ? r->error : status);
}

/* The info answer as a JSON object, or the documented error. */
static enum reg_status
info_of(struct reg_arena *a, const struct kind *k, const char *repo_id,
        const struct reg_http_request *r, struct json_object **out)
{
    *out = NULL;
    if (r->result == REG_ENOTFOUND ||
        (r->result == REG_EUPSTREAM && r->status == 401 && says_not_found(a, r)))
        return reg_errorf(REG_ENOTFOUND, "%s %s does not exist on Hugging Face", k->name, repo_id);
    if (r->result != REG_OK)
        return upstream_error(k->name, "info", repo_id, r);
    if (!r->body.data ||
        reg_json_parse_bounded(a, r->body.data, r->body.len, REG_HF_JSON_MAX, out) != REG_OK ||
        !json_object_is_type(*out, json_type_object))
        return reg_errorf(REG_EUPSTREAM, "Hugging Face %s info of %s is not a JSON object", k->name,
                          repo_id);
    return REG_OK;
}

/* A README or config.json: its text, NULL when absent (404), gated (401/403) or too large;
 * REG_EUPSTREAM for any other failure. */
static enum reg_status
file_of(struct reg_arena *a, const char *what, const char *repo_id,
        const struct reg_http_request *r, size_t keep, const char **out)
{
    *out = NULL;
    if (r->result == REG_OK) {
        *out = reg_gh_text_copy(a, r->body.data ? r->body.data : "", r->body.len, keep);
        return REG_OK;
    }
    if (r->result == REG_ENOTFOUND || r->result == REG_ETOOLARGE ||
        (r->result == REG_EUPSTREAM && (r->status == 401 || r->status == 403)))
        return REG_OK;
    return upstream_error(what, NULL, repo_id, r);
}

/* The tag names of a refs answer ({"branches": [...], "tags": [{"name", "ref",
 * "targetCommit"}], ...}); none when the Hub has no refs to give (404, 401/403) or the answer
 * is not that shape: versions are an extra, never a reason to refuse an artifact. Any other
 * failure is REG_EUPSTREAM, as for the README. */
static enum reg_status
refs_of(struct reg_arena *a, const char *repo_id, const struct reg_http_request *r,
        struct reg_git_tags *out)
{
    struct json_object *doc = NULL;

    memset(out, 0, sizeof(*out));
    if (r->result != REG_OK)
        return r->result == REG_ENOTFOUND || r->result == REG_ETOOLARGE ||
                       (r->result == REG_EUPSTREAM && (r->status == 401 || r->status == 403))
                   ? REG_OK
                   : upstream_error("refs", NULL, repo_id, r);
    if (r->body.data &&
        reg_json_parse_bounded(a, r->body.data, r->body.len, REG_HF_JSON_MAX, &doc) == REG_OK)
        reg_gh_tag_names(a, member(doc, "tags"), out);
    return REG_OK;
}

static void
cleanup_requests(struct reg_http_request *reqs)
{
    for (int i = 0; i < R_COUNT; i++)
        reg_http_request_cleanup(&reqs[i]);
    memset(reqs, 0, sizeof(*reqs) * R_COUNT);
}

/* fetch and info_of, for the id the Hub renamed repo_id to when that is known (one redirect
 * fewer), else for repo_id, learning what the Hub calls it. A current id that is not found
 * is forgotten and repo_id asked as if it had never been learned. */
static enum reg_status
fetch_info(const struct reg_http_config *cfg, const char *endpoint, const char *token,
           struct reg_arena *a, const struct kind *k, const char *repo_id, bool with_config,
           struct reg_http_request *reqs, struct json_object **info)
{
    const char *current =
        reg_hf_repo_id_ok(repo_id) ? reg_hf_alias_lookup(a, k->name, repo_id) : NULL;
    const char *id;
    enum reg_status st;

    if (current) {
        st = fetch(cfg, endpoint, token, a, k, current, with_config, reqs);
        if (st == REG_OK)
            st = info_of(a, k, current, &reqs[R_INFO], info);
        if (st != REG_ENOTFOUND)
            return st;
        reg_hf_alias_forget(k->name, repo_id);
        cleanup_requests(reqs);
    }
    st = fetch(cfg, endpoint, token, a, k, repo_id, with_config, reqs);
    if (st == REG_OK)
        st = info_of(a, k, repo_id, &reqs[R_INFO], info);
    id = st == REG_OK ? reg_json_str(*info, "id") : NULL;
    if (id && reg_hf_repo_id_ok(id))
        reg_hf_alias_learn(k->name, repo_id, id);
    return st;
}

static double
longest(const struct reg_http_request *reqs, int n)
{
    double m = 0.0;

    for (int i = 0; i < n; i++)
        m = reqs[i].seconds > m ? reqs[i].seconds : m;
    return m;
}

static void
map_model(struct reg_arena *a, struct json_object *info, struct reg_model_signals *out)
{
    struct json_object *card = member(info, "cardData");
    const char **urls = reg_arena_alloc(a, REG_HF_MAX_CODE_URLS * sizeof(*urls));
    int nurls = 0;
    size_t len;

    if (card)
        out->card_json = reg_json_text(card, &len);
    out->license = license_of(info, card);
    out->revision = reg_json_str(info, "sha");
    out->downloads = reg_json_int(info, "downloads");
    out->likes = reg_json_int(info, "likes");
    out->last_modified = reg_gh_iso_time(reg_json_str(info, "lastModified"));
    out->tags = strings_of(a, member(info, "tags"), &out->ntags);
    out->pipeline_tag = reg_json_str(info, "pipeline_tag");
    out->library_name = reg_json_str(info, "library_name");
    out->files = files_of(a, member(info, "siblings"), &out->nfiles);
    out->datasets = strings_of(a, member(card, "datasets"), &out->ndatasets);
    /* README first (the corpus mapping's order: its first link is the model's code), then
     * any link only the card names. */
    reg_gh_find_repo_urls(a, out->readme, urls, &nurls, REG_HF_MAX_CODE_URLS);
    reg_gh_find_repo_urls(a, out->card_json, urls, &nurls, REG_HF_MAX_CODE_URLS);
    out->code_urls = urls;
    out->ncode_urls = nurls;
}

enum reg_status
reg_hf_fetch_model(const struct reg_http_config *cfg, const char *hf_endpoint, const char *token,
                   struct reg_arena *a, const char *repo_id, struct reg_model_signals *out)
{
    struct reg_http_request reqs[R_COUNT];
    struct json_object *info = NULL;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    memset(reqs, 0, sizeof(reqs));
    st = fetch_info(cfg, hf_endpoint, token, a, &model_kind, repo_id, true, reqs, &info);
    if (st == REG_OK)
        st = file_of(a, "README", repo_id, &reqs[R_README], REG_README_MAX, &out->readme);
    if (st == REG_OK)
        st = file_of(a, "config.json", repo_id, &reqs[R_CONFIG], REG_HF_CONFIG_MAX,
                     &out->config_json);
    if (st == REG_OK)
        st = refs_of(a, repo_id, &reqs[R_REFS], &out->git_tags);
    if (st == REG_OK) {
        out->repo_id = reg_json_str(info, "id");
        if (!out->repo_id)
            out->repo_id = reg_arena_strdup(a, repo_id);
        map_model(a, info, out);
    }
    out->hub_seconds = longest(reqs, R_COUNT);
    for (int i = 0; i < R_COUNT; i++)
        reg_http_request_cleanup(&reqs[i]);
    return st;
}

enum reg_status
reg_hf_fetch_dataset(const struct reg_http_config *cfg, const char *hf_endpoint, const char *token,
                     struct reg_arena *a, const char *repo_id, struct reg_dataset_signals *out)
{
    struct reg_http_request reqs[R_COUNT];
    struct json_object *info = NULL, *card;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    memset(reqs, 0, sizeof(reqs));
    st = fetch_info(cfg, hf_endpoint, token, a, &dataset_kind, repo_id, false, reqs, &info);
    if (st == REG_OK)
        st = file_of(a, "dataset card", repo_id, &reqs[R_README], REG_README_MAX, &out->readme);
    if (st == REG_OK)
        st = refs_of(a, repo_id, &reqs[R_REFS], &out->git_tags);
    if (st == REG_OK) {
        card = member(info, "cardData");
        out->repo_id = reg_json_str(info, "id");
        if (!out->repo_id)
            out->repo_id = reg_arena_strdup(a, repo_id);
        out->license = license_of(info, card);
        out->revision = reg_json_str(info, "sha");
        out->downloads = reg_json_int(info, "downloads");
        out->likes = reg_json_int(info, "likes");
        out->tags = strings_of(a, member(info, "tags"), &out->ntags);
        out->files = files_of(a, member(info, "siblings"), &out->nfiles);
    }
    out->fetch_seconds = longest(reqs, R_CONFIG);
    for (int i = 0; i < R_COUNT; i++)
        reg_http_request_cleanup(&reqs[i]);
    return st;
}
