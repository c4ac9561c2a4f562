/*
 * corpus_loader.h - fills struct reg_model_signals from the recorded upstream corpus
 * (tests/fixtures/corpus/), the way ingest fills it from the Hugging Face and GitHub answers.
 * Included by the rating tests that run on recorded data; every function is static.
 *
 * The mapping, for the ingest developer (HF = GET /api/models/{id}?blobs=true, the model's
 * README.md and config.json; GH = GET /repos/{o}/{r}, /contributors?anon=1, /readme,
 * /git/trees/HEAD?recursive=1; DS = GET /api/datasets/{id} and its README.md):
 *
 *   repo_id        HF id
 *   name           the artifact's name (here: the id's last part, as the course sample names
 *                  models)
 *   readme         README.md text, front matter included (the metrics skip it)
 *   card_json      HF cardData, serialised (NULL when the answer has no cardData)
 *   config_json    config.json text
 *   license        cardData.license (a string, or the first string of a list), else the
 *                  value of the first "license:xxx" tag; NULL when neither
 *   downloads, likes, pipeline_tag, library_name, tags     HF fields of the same names
 *   last_modified  HF lastModified as Unix time
 *   files          HF siblings: rfilename and size
 *   datasets       cardData.datasets (a string or a list of strings)
 *   code_urls      every https://github.com/{owner}/{repo} named in the README (".git" and
 *                  any deeper path dropped, duplicates removed, first mention first)
 *   code           the first of code_urls whose repository could be fetched, from GH:
 *                    repo_id full_name; license_spdx license.spdx_id (NULL when license is
 *                    null); readme the raw README; stars stargazers_count; forks forks_count;
 *                    open_issues open_issues_count; contributions the contributors'
 *                    contributions, most first, bots (type "Bot") left out and anonymous ones
 *                    kept; files the tree's blobs (path, size); pushed_at; commits_seen and
 *                    commits_reviewed from /commits and /pulls/{n}/reviews (the corpus does
 *                    not record history, so they stay 0 here)
 *   dataset_info   each dataset of `datasets` that DS found (the Hub redirects renamed ids:
 *                    "bookcorpus" -> "bookcorpus/bookcorpus"): repo_id, readme, license
 *                    (cardData.license, string or first of list), downloads, likes, tags,
 *                    files (siblings)
 *   parent_scores  net_score of each lineage parent already in the registry (none here)
 *   hub_seconds, fetch_seconds   wall time of the calls (0 here: nothing is fetched)
 */
#ifndef TEST_RATING_CORPUS_LOADER_H
#define TEST_RATING_CORPUS_LOADER_H

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "rating/signals.h"
#include "upstream/github.h"

#define CORPUS "tests/fixtures/corpus"
#define LOADER_MAX_URLS 32

struct corpus_model {
    struct reg_model_signals s;
    struct reg_code_signals code;
    struct reg_arena arena;
};

static char *
corpus_read(struct reg_arena *a, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long len;

    if (!f)
        return NULL;
    len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = reg_arena_alloc(a, (size_t)len + 1);
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static struct json_object *
corpus_json(struct reg_arena *a, const char *path)
{
    struct json_object *o = json_object_from_file(path);

    return o ? reg_arena_own_json(a, o) : NULL;
}

static const char *
corpus_str(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static int64_t
corpus_int(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return 0;
    return json_object_get_int64(v);
}

/* A string, or the first string of a list. */
static const char *
corpus_str_or_first(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v))
        return NULL;
    if (json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0)
        v = json_object_array_get_idx(v, 0);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* "2024-02-19T11:06:12.000Z" -> Unix time (days from the civil date, H. Hinnant). */
static int64_t
corpus_time(const char *iso)
{
    int y, m, d, hh, mm, ss;
    int64_t era, yoe, doy, doe;

    if (!iso || sscanf(iso, "%d-%d-%dT%d:%d:%d", &y, &m, &d, &hh, &mm, &ss) != 6)
        return 0;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468) * 86400 + hh * 3600 + mm * 60 + ss;
}

static const char *const *
corpus_strings(struct reg_arena *a, struct json_object *arr, int *n)
{
    const char **out;
    size_t len;

    *n = 0;
    if (arr && json_object_is_type(arr, json_type_string)) {
        out = reg_arena_alloc(a, sizeof(*out));
        out[(*n)++] = json_object_get_string(arr);
        return out;
    }
    if (!arr || !json_object_is_type(arr, json_type_array))
        return NULL;
    len = json_object_array_length(arr);
    out = reg_arena_alloc(a, (len + 1) * sizeof(*out));
    for (size_t i = 0; i < len; i++) {
        struct json_object *v = json_object_array_get_idx(arr, i);

        if (json_object_is_type(v, json_type_string))
            out[(*n)++] = json_object_get_string(v);
    }
    return out;
}

/* siblings [{rfilename, size}] or tree [{path, type, size}] -> files (blobs only). */
static const struct reg_file_info *
corpus_files(struct reg_arena *a, struct json_object *arr, const char *path_key, int *n)
{
    struct reg_file_info *out;
    size_t len;

    *n = 0;
    if (!arr || !json_object_is_type(arr, json_type_array))
        return NULL;
    len = json_object_array_length(arr);
    out = reg_arena_alloc(a, (len + 1) * sizeof(*out));
    for (size_t i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(arr, i);
        const char *type = corpus_str(e, "type");

        if (type && strcmp(type, "blob") != 0)
            continue;
        out[*n].path = corpus_str(e, path_key);
        out[*n].size = corpus_int(e, "size");
        (*n)++;
    }
    return out;
}

static const char *
corpus_license(struct json_object *info, struct json_object *card)
{
    const char *l = corpus_str_or_first(card, "license");
    struct json_object *tags;

    if (l || !json_object_object_get_ex(info, "tags", &tags) ||
        !json_object_is_type(tags, json_type_array))
        return l;
    for (size_t i = 0; i < json_object_array_length(tags); i++) {
        const char *t = json_object_get_string(json_object_array_get_idx(tags, i));

        if (t && strncmp(t, "license:", 8) == 0)
            return t + 8;
    }
    return NULL;
}

/* "https://github.com/owner/repo" for every github.com/owner/repo in text, deduplicated: the
 * same parser the GitHub fetcher uses on live answers. */
static const char *const *
corpus_code_urls(struct reg_arena *a, const char *text, int *n)
{
    const char **out = reg_arena_alloc(a, LOADER_MAX_URLS * sizeof(*out));

    *n = 0;
    reg_gh_find_repo_urls(a, text, out, n, LOADER_MAX_URLS);
    return out;
}

/* contributors.json -> commits per contributor, bots left out (already most first). */
static void
corpus_contributors(struct reg_arena *a, struct json_object *arr, struct reg_code_signals *c)
{
    int64_t *out;
    size_t len;

    c->ncontributors = 0;
    if (!arr || !json_object_is_type(arr, json_type_array))
        return;
    len = json_object_array_length(arr);
    out = reg_arena_alloc(a, (len + 1) * sizeof(*out));
    for (size_t i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(arr, i);
        const char *type = corpus_str(e, "type");

        if (type && strcmp(type, "Bot") == 0)
            continue;
        out[c->ncontributors++] = corpus_int(e, "contributions");
    }
    c->contributions = out;
}

/* Fills c from corpus/github/{owner}--{repo}; false when the repository is not recorded. */
static bool
corpus_code(struct reg_arena *a, const char *url, struct reg_code_signals *c)
{
    const char *owner = url + strlen("https://github.com/");
    const char *slash = strchr(owner, '/');
    char *dir;
    struct json_object *repo, *lic, *tree, *entries;

    if (!slash)
        return false;
    dir = reg_arena_sprintf(a, CORPUS "/github/%.*s--%s", (int)(slash - owner), owner, slash + 1);
    repo = corpus_json(a, reg_arena_sprintf(a, "%s/repo.json", dir));
    if (!repo)
        return false;
    memset(c, 0, sizeof(*c));
    c->repo_id = corpus_str(repo, "full_name");
    if (json_object_object_get_ex(repo, "license", &lic) &&
        json_object_is_type(lic, json_type_object))
        c->license_spdx = corpus_str(lic, "spdx_id");
    c->readme = corpus_read(a, reg_arena_sprintf(a, "%s/contents/README.md", dir));
    c->stars = corpus_int(repo, "stargazers_count");
    c->forks = corpus_int(repo, "forks_count");
    c->open_issues = corpus_int(repo, "open_issues_count");
    c->pushed_at = corpus_time(corpus_str(repo, "pushed_at"));
    corpus_contributors(a, corpus_json(a, reg_arena_sprintf(a, "%s/contributors.json", dir)), c);
    tree = corpus_json(a, reg_arena_sprintf(a, "%s/tree.json", dir));
    if (tree && json_object_object_get_ex(tree, "tree", &entries))
        c->files = corpus_files(a, entries, "path", &c->nfiles);
    return true;
}

static const char *
corpus_dataset_id(struct reg_arena *a, const char *id)
{
    struct json_object *index = corpus_json(a, CORPUS "/index.json"), *aliases = NULL;
    const char *to;

    if (index)
        json_object_object_get_ex(index, "hf_dataset_aliases", &aliases);
    to = corpus_str(aliases, id);
    return to ? to : id;
}

static char *
corpus_dir(struct reg_arena *a, const char *kind, const char *id)
{
    const char *slash = strchr(id, '/');

    if (!slash)
        return reg_arena_sprintf(a, CORPUS "/hf/%s/%s", kind, id);
    return reg_arena_sprintf(a, CORPUS "/hf/%s/%.*s--%s", kind, (int)(slash - id), id, slash + 1);
}

static bool
corpus_dataset(struct reg_arena *a, const char *named, struct reg_dataset_signals *d)
{
    const char *id = corpus_dataset_id(a, named);
    char *dir = corpus_dir(a, "datasets", id);
    struct json_object *info = corpus_json(a, reg_arena_sprintf(a, "%s/info.json", dir)), *card, *v;

    if (!info)
        return false;
    memset(d, 0, sizeof(*d));
    json_object_object_get_ex(info, "cardData", &card);
    d->repo_id = corpus_str(info, "id");
    d->readme = corpus_read(a, reg_arena_sprintf(a, "%s/README.md", dir));
    d->license = corpus_license(info, card);
    d->downloads = corpus_int(info, "downloads");
    d->likes = corpus_int(info, "likes");
    if (json_object_object_get_ex(info, "tags", &v))
        d->tags = corpus_strings(a, v, &d->ntags);
    if (json_object_object_get_ex(info, "siblings", &v))
        d->files = corpus_files(a, v, "rfilename", &d->nfiles);
    return true;
}

static void
corpus_datasets(struct corpus_model *m, struct json_object *card)
{
    struct reg_model_signals *s = &m->s;
    struct reg_dataset_signals *ds;
    struct json_object *v = NULL;

    if (card)
        json_object_object_get_ex(card, "datasets", &v);
    s->datasets = corpus_strings(&m->arena, v, &s->ndatasets);
    ds = reg_arena_alloc(&m->arena, ((size_t)s->ndatasets + 1) * sizeof(*ds));
    for (int i = 0; i < s->ndatasets; i++)
        s->ndataset_info += corpus_dataset(&m->arena, s->datasets[i], &ds[s->ndataset_info]);
    s->dataset_info = ds;
}

/* Loads model `id` ("openai/whisper-tiny", or a legacy "bert-base-uncased"); false when the
 * corpus does not hold it. Release with corpus_model_free(). */
static bool
corpus_model_load(struct corpus_model *m, const char *id)
{
    struct reg_model_signals *s = &m->s;
    struct json_object *info, *card = NULL, *v;
    const char *slash = strrchr(id, '/');
    char *dir;

    memset(m, 0, sizeof(*m));
    reg_arena_init(&m->arena);
    dir = corpus_dir(&m->arena, "models", id);
    info = corpus_json(&m->arena, reg_arena_sprintf(&m->arena, "%s/info.json", dir));
    if (!info)
        return false;
    if (json_object_object_get_ex(info, "cardData", &card))
        s->card_json = json_object_to_json_string_ext(card, JSON_C_TO_STRING_PLAIN);
    s->repo_id = corpus_str(info, "id");
    s->name = slash ? slash + 1 : id;
    s->readme = corpus_read(&m->arena, reg_arena_sprintf(&m->arena, "%s/README.md", dir));
    s->config_json = corpus_read(&m->arena, reg_arena_sprintf(&m->arena, "%s/config.json", dir));
    s->license = corpus_license(info, card);
    s->downloads = corpus_int(info, "downloads");
    s->likes = corpus_int(info, "likes");
    s->last_modified = corpus_time(corpus_str(info, "lastModified"));
    s->pipeline_tag = corpus_str(info, "pipeline_tag");
    s->library_name = corpus_str(info, "library_name");
    if (json_object_object_get_ex(info, "tags", &v))
        s->tags = corpus_strings(&m->arena, v, &s->ntags);
    if (json_object_object_get_ex(info, "siblings", &v))
        s->files = corpus_files(&m->arena, v, "rfilename", &s->nfiles);
    corpus_datasets(m, card);
    s->code_urls = corpus_code_urls(&m->arena, s->readme, &s->ncode_urls);
    for (int i = 0; i < s->ncode_urls && !s->code; i++)
        if (corpus_code(&m->arena, s->code_urls[i], &m->code))
            s->code = &m->code;
    return true;
}

static void
corpus_model_free(struct corpus_model *m)
{
    reg_arena_cleanup(&m->arena);
}

#endif
