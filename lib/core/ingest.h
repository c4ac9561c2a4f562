/*
 * ingest.h - what registering (or re-registering) an artifact learns upstream: fetch, rate,
 * gate. No store writes here: core/registry.c stores what this returns, or nothing.
 *
 *   model    Hugging Face model info (with file sizes), card and config.json in one concurrent
 *            round; then, at the same time (one thread each), the first GitHub repository the
 *            card links and up to REG_INGEST_MAX_DATASETS datasets it names; then the rating
 *            (tree_score from the registered parents' stored net_score, via the catalog) and
 *            the gate (REGISTRY_INGEST_GATE, rating.h). The repository costs one round with
 *            GITHUB_TOKEN and two without (upstream/github.h), so a model linking one waits
 *            for 2 or 3 upstream rounds.
 *   dataset  Hugging Face dataset info and card, one round. Kaggle has no public API without
 *            credentials: a Kaggle dataset is registered from its URL alone.
 *   code     the GitHub repository (see upstream/github.h); a /tree/{ref}/{subdir} URL counts
 *            only the files under subdir for size.
 *
 * The model scan: unless REGISTRY_SCAN_POLICY is off, every file of the artifact whose name is
 * a format the scanner reads is scanned where it lies upstream (core/security.h: only what a
 * verdict needs is read, by HTTP Range), models concurrently with their linked fetches; the
 * report goes into the metadata document ("security"), a model's safetensors parameter count
 * into its size score, and under block a model with a dangerous or unknown file is refused
 * (REG_EDISQUALIFIED naming the files and imports). A file that cannot be read fails the
 * ingest (REG_EUPSTREAM): no verdict is made up.
 *
 * Errors: REG_EINVAL when the upstream repository does not exist ("model X does not exist on
 * Hugging Face"); REG_EUPSTREAM when an upstream could not be reached or answered wrongly,
 * for the artifact itself or for a repository or dataset it links (a rating from partial data
 * would be stored as if it were whole); REG_EDISQUALIFIED when the gate refuses a model (the
 * detail names the failing metrics). A linked repository or dataset that does not exist only
 * counts as not linked.
 *
 * Ownership: struct reg_ingest is filled by reg_ingest_init and must not move afterwards
 * (its HTTP config points into it). Results are allocated from the arena passed in.
 */
#ifndef REG_CORE_INGEST_H
#define REG_CORE_INGEST_H

#include "base/arena.h"
#include "base/config.h"
#include "base/status.h"
#include "bundle/hosts.h"
#include "core/artifact.h"
#include "core/catalog.h"
#include "core/lineage_parents.h"
#include "core/security.h"
#include "rating/rating.h"
#include "store/store.h"
#include "upstream/http_client.h"
#include "upstream/upstream.h"

/* Datasets named by a model card that are fetched for its rating. */
#define REG_INGEST_MAX_DATASETS 4

/* Told the outcome of every upstream fetch (ok: the host answered, even "not found"). */
typedef void (*reg_ingest_observer)(void *ctx, enum reg_upstream u, bool ok, const char *detail);
/* Told every model scan's outcome: files by verdict, and whether the policy refused it. */
typedef void (*reg_ingest_scan_observer)(void *ctx, const int counts[REG_SECURITY_VERDICTS],
                                         bool refused);

struct reg_ingest {
    const char *bases[2]; /* HF_ENDPOINT, GITHUB_API_URL: the only hosts ever contacted */
    struct reg_http_config http;
    /* The model scan (core/security.h) reads files under the bundles' allow-list. */
    enum reg_scan_policy scan_policy; /* REGISTRY_SCAN_POLICY */
    struct reg_file_hosts file_hosts;
    struct reg_http_config file_http;
    struct reg_bundle_fetch hf_files, gh_files;
    const char *hf_endpoint, *github_api_url;
    const char *hf_token, *github_token; /* NULL when none */
    enum reg_rating_gate_policy gate;
    reg_ingest_observer observe; /* NULL: nobody listens */
    void *observe_ctx;
    reg_ingest_scan_observer observe_scan; /* NULL: nobody listens; ctx observe_ctx */
};

void reg_ingest_init(struct reg_ingest *ing, const struct reg_config *cfg);

/* One line for the log at start-up: how many upstream rounds a model ingest waits for under
 * cfg (GITHUB_TOKEN decides whether pull request reviews need a round of their own). A
 * static string. */
const char *reg_ingest_describe(const struct reg_config *cfg);

struct reg_ingest_result {
    const char *readme;   /* card / README text, NULL when none */
    const char *metadata; /* the stored document (core/metadata.h) */
    bool rated;
    struct reg_rating rating; /* models */
};

/* Reports the outcome st of a fetch from u to the observer, if any: REG_EUPSTREAM is a
 * failure of the host, anything else (found, not found, refused input) shows it answered. */
void reg_ingest_observe(const struct reg_ingest *ing, enum reg_upstream u, enum reg_status st);

/* Rates a model from its signals s (s->parent_scores is filled here: the net_score of each
 * of the parents that is a registered, rated model) and applies the gate: REG_EDISQUALIFIED
 * naming the failing metrics when it refuses. Shared by ingest and uploads. */
enum reg_status reg_ingest_rate(const struct reg_ingest *ing, struct reg_catalog *cat,
                                struct reg_store *store, struct reg_arena *a,
                                struct reg_model_signals *s,
                                const struct reg_lineage_parent *parents, int nparents,
                                struct reg_rating *out);

/* Fetches and rates the artifact of type t at src, to be registered under name. */
enum reg_status reg_ingest_fetch(const struct reg_ingest *ing, struct reg_catalog *cat,
                                 struct reg_store *store, struct reg_arena *a,
                                 enum reg_artifact_type t, const struct reg_source *src,
                                 const char *name, struct reg_ingest_result *out);

#endif
