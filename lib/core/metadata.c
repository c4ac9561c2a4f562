/*
 * metadata.c - building and reading the stored metadata document (see metadata.h).
 */
#include "core/metadata.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "core/semver.h"

static void
add_str(struct json_object *o, const char *key, const char *v)
{
    if (v)
        json_object_object_add(o, key, json_object_new_string(v));
}

static void
add_int(struct json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

static struct json_object *
document(const char *host, enum reg_artifact_type t, const char *repo_id, const char *subdir)
{
    struct json_object *doc = json_object_new_object(), *src = json_object_new_object();

    add_int(doc, "format", REG_METADATA_FORMAT);
    add_str(src, "host", host);
    add_str(src, "kind", reg_artifact_type_name(t));
    add_str(src, "repo_id", repo_id);
    add_str(src, "subdir", subdir);
    json_object_object_add(doc, "source", src);
    return doc;
}

static bool
under(const char *path, const char *subdir)
{
    size_t n;

    if (!subdir || !*subdir)
        return true;
    n = strlen(subdir);
    return strncmp(path, subdir, n) == 0 && path[n] == '/';
}

int64_t
reg_metadata_files_size(const struct reg_file_info *files, int nfiles, const char *subdir)
{
    int64_t total = 0;

    if (nfiles == 0)
        return -1;
    for (int i = 0; i < nfiles; i++)
        if (files[i].path && under(files[i].path, subdir) && files[i].size > 0)
            total += files[i].size;
    return total;
}

static int
larger_first(const void *x, const void *y)
{
    const struct reg_file_info *a = x, *b = y;

    return (a->size < b->size) - (a->size > b->size);
}

/* size_bytes, file_count and the largest REG_METADATA_MAX_FILES files under subdir. */
static void
add_files(struct json_object *doc, const struct reg_file_info *files, int nfiles,
          const char *subdir)
{
    struct reg_file_info *sorted = malloc(sizeof(*sorted) * (size_t)(nfiles ? nfiles : 1));
    struct json_object *list = json_object_new_array();
    int n = 0;

    if (!sorted)
        reg_oom();
    for (int i = 0; i < nfiles; i++)
        if (files[i].path && under(files[i].path, subdir))
            sorted[n++] = files[i];
    qsort(sorted, (size_t)n, sizeof(*sorted), larger_first);
    for (int i = 0; i < n && i < REG_METADATA_MAX_FILES; i++) {
        struct json_object *f = json_object_new_object();
        add_str(f, "path", sorted[i].path);
        add_int(f, "size", sorted[i].size);
        add_str(f, "oid", sorted[i].oid);
        add_str(f, "lfs_sha256", sorted[i].lfs_sha256);
        json_object_array_add(list, f);
    }
    free(sorted);
    add_int(doc, "size_bytes", reg_metadata_files_size(files, nfiles, subdir));
    add_int(doc, "file_count", n);
    json_object_object_add(doc, "files", list);
}

static struct json_object *
string_list(const char *const *items, int n)
{
    struct json_object *list = json_object_new_array();

    for (int i = 0; i < n; i++)
        if (items[i])
            json_object_array_add(list, json_object_new_string(items[i]));
    return list;
}

/* A tag that is a version. */
struct tagged {
    const char *tag;
    struct reg_semver v;
};

static int
higher_first(const void *x, const void *y)
{
    const struct tagged *a = x, *b = y;
    int c = reg_semver_compare(&b->v, &a->v);

    return c != 0 ? c : strcmp(a->tag, b->tag);
}

/* "versions": the tags that are versions, highest first, at most REG_METADATA_MAX_VERSIONS
 * (the highest: the ones a range is likeliest to be asked about). Other tags ("main",
 * "release-candidate") are no versions and are left out. */
static void
add_versions(struct json_object *doc, const struct reg_git_tags *tags)
{
    struct tagged *found = malloc(sizeof(*found) * (size_t)(tags->n ? tags->n : 1));
    struct json_object *list = json_object_new_array();
    int n = 0;

    if (!found)
        reg_oom();
    for (int i = 0; i < tags->n; i++)
        if (tags->names[i] && reg_semver_parse(tags->names[i], &found[n].v) == REG_OK)
            found[n++].tag = tags->names[i];
    qsort(found, (size_t)n, sizeof(*found), higher_first);
    for (int i = 0; i < n && i < REG_METADATA_MAX_VERSIONS; i++)
        json_object_array_add(list, json_object_new_string(found[i].tag));
    free(found);
    json_object_object_add(doc, "versions", list);
}

struct json_object *
reg_metadata_model(const struct reg_model_signals *s, const struct reg_lineage_parent *parents,
                   int nparents, const struct reg_rating *rating)
{
    struct json_object *doc = document("huggingface", REG_TYPE_MODEL, s->repo_id, NULL);
    struct json_object *plist = json_object_new_array();

    add_str(doc, "license", s->license);
    add_str(doc, "revision", s->revision);
    add_int(doc, "downloads", s->downloads);
    add_int(doc, "likes", s->likes);
    add_str(doc, "pipeline_tag", s->pipeline_tag);
    add_str(doc, "library_name", s->library_name);
    add_files(doc, s->files, s->nfiles, NULL);
    for (int i = 0; i < nparents; i++) {
        struct json_object *p = json_object_new_object();
        add_str(p, "repo_id", parents[i].repo_id);
        add_str(p, "source", reg_lineage_source_name(parents[i].source));
        json_object_array_add(plist, p);
    }
    json_object_object_add(doc, "parents", plist);
    json_object_object_add(doc, "datasets", string_list(s->datasets, s->ndatasets));
    json_object_object_add(doc, "code", string_list(s->code_urls, s->ncode_urls));
    add_versions(doc, &s->git_tags);
    if (rating)
        json_object_object_add(doc, "rating", reg_rating_to_json(rating));
    return doc;
}

struct json_object *
reg_metadata_dataset(const struct reg_dataset_signals *d)
{
    struct json_object *doc = document("huggingface", REG_TYPE_DATASET, d->repo_id, NULL);

    add_str(doc, "license", d->license);
    add_str(doc, "revision", d->revision);
    add_int(doc, "downloads", d->downloads);
    add_int(doc, "likes", d->likes);
    add_files(doc, d->files, d->nfiles, NULL);
    add_versions(doc, &d->git_tags);
    return doc;
}

struct json_object *
reg_metadata_code(const struct reg_code_signals *c, const char *subdir)
{
    struct json_object *doc = document("github", REG_TYPE_CODE, c->repo_id, subdir);

    add_str(doc, "license", c->license_spdx);
    add_int(doc, "stars", c->stars);
    add_int(doc, "forks", c->forks);
    add_files(doc, c->files, c->nfiles, subdir);
    add_versions(doc, &c->git_tags);
    return doc;
}

struct json_object *
reg_metadata_source_only(const struct reg_source *src, enum reg_artifact_type t)
{
    static const char *const hosts[] = {"huggingface", "kaggle", "github"};
    struct json_object *doc = document(hosts[src->host], t, src->repo_id, src->subdir);

    add_int(doc, "size_bytes", -1);
    return doc;
}

/* ---------------------------------------------------------------- reading */

static enum reg_status
read_parents(struct json_object *doc, struct reg_metadata *out)
{
    struct json_object *list, *p;

    if (!json_object_object_get_ex(doc, "parents", &list))
        return REG_OK;
    if (!json_object_is_type(list, json_type_array))
        return reg_errorf(REG_EINVAL, "stored metadata: parents is not a list");
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        const char *id, *source;
        p = json_object_array_get_idx(list, i);
        id = reg_json_str(p, "repo_id");
        source = reg_json_str(p, "source");
        if (!id || !source)
            return reg_errorf(REG_EINVAL, "stored metadata: parent %zu is malformed", i);
        if (out->nparents == REG_LINEAGE_MAX_PARENTS)
            break;
        out->parents[out->nparents].repo_id = id;
        out->parents[out->nparents].source =
            strcmp(source, "model_card") == 0 ? REG_LINEAGE_MODEL_CARD : REG_LINEAGE_CONFIG_JSON;
        out->nparents++;
    }
    return REG_OK;
}

/* The strings of list `key` (absent: none), without prefix where they start with it. */
static enum reg_status
read_list(struct reg_arena *a, struct json_object *doc, const char *key, const char *prefix,
          const char ***out, int *n)
{
    struct json_object *list;
    size_t len, plen = prefix ? strlen(prefix) : 0;

    *out = NULL;
    *n = 0;
    if (!json_object_object_get_ex(doc, key, &list))
        return REG_OK;
    if (!json_object_is_type(list, json_type_array))
        return reg_errorf(REG_EINVAL, "stored metadata: %s is not a list", key);
    len = json_object_array_length(list);
    *out = reg_arena_alloc(a, sizeof(**out) * (len ? len : 1));
    for (size_t i = 0; i < len; i++) {
        const char *v = reg_json_str_of(json_object_array_get_idx(list, i));
        if (!v)
            return reg_errorf(REG_EINVAL, "stored metadata: %s holds a non-string", key);
        if (plen && strncmp(v, prefix, plen) == 0)
            v += plen;
        (*out)[(*n)++] = v;
    }
    return REG_OK;
}

enum reg_status
reg_metadata_read(struct reg_arena *a, const char *text, struct reg_metadata *out)
{
    struct json_object *doc, *src, *rating, *size;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    out->size_bytes = -1;
    if (!text)
        return reg_errorf(REG_ENOTFOUND, "no metadata is stored");
    st = reg_json_parse_bounded(a, text, strlen(text), REG_METADATA_MAX * 4, &doc);
    if (st != REG_OK || !json_object_is_type(doc, json_type_object))
        return reg_errorf(REG_EINVAL, "stored metadata is not a JSON object");
    if (reg_json_int(doc, "format") != REG_METADATA_FORMAT ||
        !json_object_object_get_ex(doc, "source", &src) ||
        !(out->host = reg_json_str(src, "host")) || !(out->repo_id = reg_json_str(src, "repo_id")))
        return reg_errorf(REG_EINVAL, "stored metadata lacks its format or source");
    out->doc = doc;
    out->license = reg_json_str(doc, "license");
    if (json_object_object_get_ex(doc, "size_bytes", &size)) {
        if (!json_object_is_type(size, json_type_int))
            return reg_errorf(REG_EINVAL, "stored metadata: size_bytes is not an integer");
        out->size_bytes = json_object_get_int64(size);
    }
    st = read_parents(doc, out);
    if (st == REG_OK)
        st = read_list(a, doc, "datasets", NULL, &out->datasets, &out->ndatasets);
    if (st == REG_OK)
        st = read_list(a, doc, "code", "https://github.com/", &out->code, &out->ncode);
    if (st == REG_OK)
        st = read_list(a, doc, "versions", NULL, &out->versions, &out->nversions);
    if (st == REG_OK && json_object_object_get_ex(doc, "rating", &rating)) {
        st = reg_rating_from_json(rating, &out->rating);
        out->rated = st == REG_OK;
    }
    return st;
}
