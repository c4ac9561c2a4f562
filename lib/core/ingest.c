/*
 * ingest.c - fetch, rate and gate one artifact (see ingest.h).
 */
#include "core/ingest.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"
#include "core/lineage_parents.h"
#include "core/metadata.h"
#include "upstream/github.h"
#include "upstream/huggingface.h"

#define GITHUB_PREFIX "https://github.com/"

void
reg_ingest_init(struct reg_ingest *ing, const struct reg_config *cfg)
{
    memset(ing, 0, sizeof(*ing));
    ing->hf_endpoint = cfg->hf_endpoint;
    ing->github_api_url = cfg->github_api_url;
    ing->hf_token = cfg->hf_token;
    ing->github_token = cfg->github_token;
    ing->gate =
        strcmp(cfg->ingest_gate, "strict") == 0 ? REG_RATING_GATE_STRICT : REG_RATING_GATE_NET;
    ing->bases[0] = cfg->hf_endpoint;
    ing->bases[1] = cfg->github_api_url;
    ing->http.allowed_bases = ing->bases;
    ing->http.nallowed = 2;
    ing->http.total_timeout_ms = cfg->upstream_timeout_ms;
    /* A bad value stops the master at start (reg_scan_policy_parse there too). */
    if (reg_scan_policy_parse(cfg->scan_policy, &ing->scan_policy) != REG_OK)
        ing->scan_policy = REG_SCAN_POLICY_BLOCK;
    reg_file_hosts_init(&ing->file_hosts, cfg);
    ing->file_http.allowed_bases = ing->file_hosts.bases;
    ing->file_http.nallowed = ing->file_hosts.n;
    ing->file_http.total_timeout_ms = REG_BUNDLE_TRANSFER_MS;
    ing->hf_files = (struct reg_bundle_fetch){&ing->file_http, cfg->hf_token, NULL};
    ing->gh_files =
        (struct reg_bundle_fetch){&ing->file_http, cfg->github_token, REG_BUNDLE_GH_ACCEPT};
}

const char *
reg_ingest_describe(const struct reg_config *cfg)
{
    if (cfg->github_token)
        return "ingest: GITHUB_TOKEN is set: a linked GitHub repository's pull requests come "
               "with their reviews from GitHub's GraphQL API, in the same round as its other "
               "calls (a model that links one: 2 upstream rounds)";
    return "ingest: no GITHUB_TOKEN: a linked GitHub repository's pull request reviews come "
           "from the REST API in a round of their own, after its commits (a model that links "
           "one: 3 upstream rounds; GitHub's GraphQL API, which saves that round, needs a "
           "token)";
}

/* Reports a fetch's outcome st, with the detail of a failure. */
static void
observe(const struct reg_ingest *ing, enum reg_upstream u, enum reg_status st, const char *detail)
{
    if (ing->observe)
        ing->observe(ing->observe_ctx, u, st != REG_EUPSTREAM, st == REG_EUPSTREAM ? detail : NULL);
}

void
reg_ingest_observe(const struct reg_ingest *ing, enum reg_upstream u, enum reg_status st)
{
    observe(ing, u, st, reg_error_detail());
}

/* The primary fetch's "does not exist" is the client's mistake (400), not a missing
 * registry resource (404). */
static enum reg_status
primary_status(enum reg_status st)
{
    char detail[REG_ERROR_DETAIL_MAX];

    if (st != REG_ENOTFOUND)
        return st;
    snprintf(detail, sizeof(detail), "%s", reg_error_detail());
    return reg_errorf(REG_EINVAL, "%s", detail);
}

/* Stores the document as text in the result, dropping the file list if it is too large. */
static enum reg_status
finish(struct reg_arena *a, struct json_object *doc, struct reg_ingest_result *out)
{
    size_t len;
    const char *text;

    reg_arena_own_json(a, doc);
    text = reg_json_text(doc, &len);
    if (len > REG_METADATA_MAX) {
        json_object_object_add(doc, "files", json_object_new_array());
        text = reg_json_text(doc, &len);
    }
    if (len > REG_METADATA_MAX)
        return reg_errorf(REG_ETOOLARGE, "the upstream metadata is too large to store");
    out->metadata = reg_arena_strndup(a, text, len);
    return REG_OK;
}

/* ---------------------------------------------------------------- linked fetches */

/* One fetch of a repository or dataset a model links, run on a thread of its own. */
struct linked {
    const struct reg_ingest *ing;
    bool is_code;
    const char *repo_id;
    struct reg_arena arena; /* the thread's own: arenas are not shared between threads */
    struct reg_code_signals code;
    struct reg_dataset_signals dataset;
    enum reg_status st;
    char detail[REG_ERROR_DETAIL_MAX];
    pthread_t thread;
    bool started;
};

static void *
run_linked(void *arg)
{
    struct linked *l = arg;
    const struct reg_ingest *ing = l->ing;

    if (l->is_code)
        l->st = reg_gh_fetch_repo(&ing->http, ing->github_api_url, ing->github_token, &l->arena,
                                  l->repo_id, &l->code);
    else
        l->st = reg_hf_fetch_dataset(&ing->http, ing->hf_endpoint, ing->hf_token, &l->arena,
                                     l->repo_id, &l->dataset);
    if (l->st != REG_OK)
        snprintf(l->detail, sizeof(l->detail), "%s", reg_error_detail());
    return NULL;
}

static void
start_linked(struct linked *l)
{
    reg_arena_init(&l->arena);
    l->started = pthread_create(&l->thread, NULL, run_linked, l) == 0;
    if (!l->started)
        run_linked(l); /* no thread to be had: fetch on the caller's */
}

/* The repository id of the first github.com/{owner}/{repo} link, or NULL. */
static const char *
first_repo(const struct reg_model_signals *s)
{
    for (int i = 0; i < s->ncode_urls; i++)
        if (strncmp(s->code_urls[i], GITHUB_PREFIX, sizeof(GITHUB_PREFIX) - 1) == 0)
            return s->code_urls[i] + sizeof(GITHUB_PREFIX) - 1;
    return NULL;
}

/*
 * Fetches the model's linked repository and datasets concurrently and points s at what was
 * found. jobs (capacity 1 + REG_INGEST_MAX_DATASETS) must outlive the use of s; the caller
 * cleans their arenas. An upstream failure of any of them is the ingest's failure.
 */
static enum reg_status
fetch_linked(const struct reg_ingest *ing, struct reg_arena *a, struct reg_model_signals *s,
             struct linked *jobs, int *njobs)
{
    const char *repo = first_repo(s);
    struct reg_dataset_signals *found;
    enum reg_status st = REG_OK;
    int n = 0, nfound = 0;

    if (repo)
        jobs[n++] = (struct linked){.ing = ing, .is_code = true, .repo_id = repo};
    for (int i = 0; i < s->ndatasets && i < REG_INGEST_MAX_DATASETS; i++)
        jobs[n++] = (struct linked){.ing = ing, .repo_id = s->datasets[i]};
    for (int i = 0; i < n; i++)
        start_linked(&jobs[i]);
    *njobs = n;
    found = reg_arena_alloc(a, sizeof(*found) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        struct linked *l = &jobs[i];
        if (l->started)
            pthread_join(l->thread, NULL);
        /* the thread's detail: error details are per thread */
        observe(ing, l->is_code ? REG_UPSTREAM_GITHUB : REG_UPSTREAM_HUGGINGFACE, l->st, l->detail);
        if (l->st == REG_OK && l->is_code)
            s->code = &l->code;
        else if (l->st == REG_OK)
            found[nfound++] = l->dataset;
        else if (l->st != REG_ENOTFOUND && l->st != REG_EINVAL && st == REG_OK)
            st = reg_errorf(REG_EUPSTREAM, "%s (linked by the model card)", l->detail);
    }
    s->dataset_info = found;
    s->ndataset_info = nfound;
    return st;
}

/* ---------------------------------------------------------------- the model scan */

/* The scan of an artifact's files upstream, on a thread of its own while a model's linked
 * fetches run (arenas and error details are per thread). */
struct scan_job {
    const struct reg_ingest *ing;
    enum reg_artifact_type type;
    const char *repo_id;
    const struct reg_file_info *files;
    int nfiles;
    struct reg_arena arena; /* the report's: cleaned once the metadata text is made */
    struct reg_security_report report;
    enum reg_status st;
    char detail[REG_ERROR_DETAIL_MAX];
    pthread_t thread;
    bool started;
};

static void *
run_scan(void *arg)
{
    struct scan_job *j = arg;
    const struct reg_ingest *ing = j->ing;
    struct reg_bundle_file *list = NULL;
    int n = 0;

    if (j->type == REG_TYPE_CODE)
        j->st = reg_bundle_gh_files(&j->arena, ing->github_api_url, j->repo_id, j->files, j->nfiles,
                                    &list, &n);
    else
        j->st = reg_bundle_hf_files(&j->arena, ing->hf_endpoint,
                                    j->type == REG_TYPE_MODEL ? REG_BUNDLE_HF_MODEL
                                                              : REG_BUNDLE_HF_DATASET,
                                    j->repo_id, j->files, j->nfiles, REG_BUNDLE_FULL, &list, &n);
    /* GitHub's contents API serves whole files: no zip is read by its directory there. */
    if (j->st == REG_OK)
        j->st = reg_security_scan_upstream(
            &j->arena, j->type == REG_TYPE_CODE ? &ing->gh_files : &ing->hf_files, list, n,
            j->type == REG_TYPE_CODE ? INT64_MAX : 0, &j->report);
    if (j->st != REG_OK)
        snprintf(j->detail, sizeof(j->detail), "%s", reg_error_detail());
    return NULL;
}

static void
start_scan(struct scan_job *j, const struct reg_ingest *ing, enum reg_artifact_type t,
           const char *repo_id, const struct reg_file_info *files, int nfiles)
{
    *j = (struct scan_job){
        .ing = ing, .type = t, .repo_id = repo_id, .files = files, .nfiles = nfiles};
    reg_arena_init(&j->arena);
    j->report.policy = ing->scan_policy;
    j->report.type = t;
    if (ing->scan_policy == REG_SCAN_POLICY_OFF)
        return;
    j->started = pthread_create(&j->thread, NULL, run_scan, j) == 0;
    if (!j->started)
        run_scan(j); /* no thread to be had: scan on the caller's */
}

/* Waits for the scan and applies the policy: REG_EDISQUALIFIED for a refused model. */
static enum reg_status
finish_scan(struct scan_job *j)
{
    enum reg_status st;

    if (j->started)
        pthread_join(j->thread, NULL);
    j->started = false;
    if (j->st != REG_OK)
        return reg_errorf(j->st, "%s", j->detail);
    st = reg_security_decide(&j->report);
    if (j->ing->observe_scan && j->report.policy != REG_SCAN_POLICY_OFF)
        j->ing->observe_scan(j->ing->observe_ctx, j->report.counts, st != REG_OK);
    return st;
}

/* The report into the metadata document, then the text of the document as finish makes it. */
static enum reg_status
finish_with_scan(struct reg_arena *a, struct json_object *doc, struct scan_job *j,
                 struct reg_ingest_result *out)
{
    json_object_object_add(doc, "security", reg_security_json(&j->report));
    return finish(a, doc, out);
}

/* ---------------------------------------------------------------- the three kinds */

/* net_score of each parent that is a registered, rated model. */
static void
parent_scores(struct reg_arena *a, struct reg_catalog *cat, const struct reg_lineage_parent *p,
              int n, struct reg_model_signals *s)
{
    double *scores = reg_arena_alloc(a, sizeof(*scores) * (size_t)(n ? n : 1));

    s->nparents = 0;
    for (int i = 0; i < n; i++) {
        const struct reg_catalog_entry *e =
            reg_catalog_find_repo(cat, REG_TYPE_MODEL, p[i].repo_id);
        if (e && !isnan(e->net_score))
            scores[s->nparents++] = e->net_score;
    }
    s->parent_scores = scores;
}

enum reg_status
reg_ingest_rate(const struct reg_ingest *ing, struct reg_catalog *cat, struct reg_store *store,
                struct reg_arena *a, struct reg_model_signals *s,
                const struct reg_lineage_parent *parents, int nparents, struct reg_rating *out)
{
    char why[REG_ERROR_DETAIL_MAX - 96];
    /* The catalog is reloaded only for a model with parents: a reload reads every artifact. */
    enum reg_status st = nparents > 0 ? reg_catalog_refresh(cat, store) : REG_OK;

    if (st != REG_OK)
        return st;
    parent_scores(a, cat, parents, nparents, s);
    reg_rating_compute(s, out);
    if (!reg_rating_gate(out, ing->gate, why, sizeof(why)))
        return reg_errorf(REG_EDISQUALIFIED, "model %s is not trustworthy enough to register: %s",
                          s->repo_id, why);
    return REG_OK;
}

static enum reg_status
ingest_model(const struct reg_ingest *ing, struct reg_catalog *cat, struct reg_store *store,
             struct reg_arena *a, const struct reg_source *src, const char *name,
             struct reg_ingest_result *out)
{
    struct reg_model_signals s;
    struct reg_lineage_parent parents[REG_LINEAGE_MAX_PARENTS];
    struct linked jobs[1 + REG_INGEST_MAX_DATASETS];
    struct scan_job scan;
    int njobs = 0, nparents;
    enum reg_status st, scanned;

    st = reg_hf_fetch_model(&ing->http, ing->hf_endpoint, ing->hf_token, a, src->repo_id, &s);
    reg_ingest_observe(ing, REG_UPSTREAM_HUGGINGFACE, st);
    if (st != REG_OK)
        return primary_status(st);
    s.name = name;
    start_scan(&scan, ing, REG_TYPE_MODEL, s.repo_id, s.files, s.nfiles);
    st = fetch_linked(ing, a, &s, jobs, &njobs);
    scanned = finish_scan(&scan);
    if (st == REG_OK)
        st = scanned; /* a refused scan before the rating: the worse reason */
    s.parameters = reg_security_parameters(&scan.report);
    nparents = reg_lineage_parents(a, s.repo_id, s.card_json, s.config_json, parents,
                                   REG_LINEAGE_MAX_PARENTS);
    if (st == REG_OK) {
        out->readme = s.readme;
        out->rated = true;
        st = reg_ingest_rate(ing, cat, store, a, &s, parents, nparents, &out->rating);
    }
    if (st == REG_OK)
        st = finish_with_scan(a, reg_metadata_model(&s, parents, nparents, &out->rating), &scan,
                              out);
    for (int i = 0; i < njobs; i++)
        reg_arena_cleanup(&jobs[i].arena);
    reg_arena_cleanup(&scan.arena);
    return st;
}

static enum reg_status
ingest_dataset(const struct reg_ingest *ing, struct reg_arena *a, const struct reg_source *src,
               struct reg_ingest_result *out)
{
    struct reg_dataset_signals d;
    struct scan_job scan;
    enum reg_status st;

    if (src->host == REG_SOURCE_KAGGLE)
        return finish(a, reg_metadata_source_only(src, REG_TYPE_DATASET), out);
    st = reg_hf_fetch_dataset(&ing->http, ing->hf_endpoint, ing->hf_token, a, src->repo_id, &d);
    reg_ingest_observe(ing, REG_UPSTREAM_HUGGINGFACE, st);
    if (st != REG_OK)
        return primary_status(st);
    out->readme = d.readme;
    start_scan(&scan, ing, REG_TYPE_DATASET, d.repo_id, d.files, d.nfiles);
    st = finish_scan(&scan);
    if (st == REG_OK)
        st = finish_with_scan(a, reg_metadata_dataset(&d), &scan, out);
    reg_arena_cleanup(&scan.arena);
    return st;
}

static enum reg_status
ingest_code(const struct reg_ingest *ing, struct reg_arena *a, const struct reg_source *src,
            struct reg_ingest_result *out)
{
    struct reg_code_signals c;
    struct scan_job scan;
    enum reg_status st;

    st = reg_gh_fetch_repo(&ing->http, ing->github_api_url, ing->github_token, a, src->repo_id, &c);
    reg_ingest_observe(ing, REG_UPSTREAM_GITHUB, st);
    if (st != REG_OK)
        return primary_status(st);
    out->readme = c.readme;
    start_scan(&scan, ing, REG_TYPE_CODE, c.repo_id, c.files, c.nfiles);
    st = finish_scan(&scan);
    if (st == REG_OK)
        st = finish_with_scan(a, reg_metadata_code(&c, src->subdir), &scan, out);
    reg_arena_cleanup(&scan.arena);
    return st;
}

enum reg_status
reg_ingest_fetch(const struct reg_ingest *ing, struct reg_catalog *cat, struct reg_store *store,
                 struct reg_arena *a, enum reg_artifact_type t, const struct reg_source *src,
                 const char *name, struct reg_ingest_result *out)
{
    memset(out, 0, sizeof(*out));
    switch (t) {
    case REG_TYPE_MODEL:
        return ingest_model(ing, cat, store, a, src, name, out);
    case REG_TYPE_DATASET:
        return ingest_dataset(ing, a, src, out);
    case REG_TYPE_CODE:
        return ingest_code(ing, a, src, out);
    }
    return reg_errorf(REG_EINVAL, "unknown artifact type");
}
