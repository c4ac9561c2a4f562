/*
 * catalog.h - each worker's snapshot of every artifact: what regex search, lineage and the
 * rating of parents read without a store query per artifact. READMEs are not in it: a copy of
 * every README in every worker grows with the registry times the workers, so regex search
 * reads them from a snapshot shared by the workers of a host (core/readme_snapshot.h).
 *
 * The snapshot is reloaded from the store (one scan) when the store's generation counter has
 * moved since it was filled, so a read costs one small query when nothing changed. Entries
 * keep the store's order; lookups by id and by upstream repository go through hash indexes
 * built with the snapshot, so a walk over the dependency graph costs one probe per edge.
 *
 * Ownership: reg_catalog_new() returns a catalog the caller frees with reg_catalog_free().
 * Entries returned are owned by the catalog and valid until its next refresh or its free.
 */
#ifndef REG_CORE_CATALOG_H
#define REG_CORE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "core/artifact.h"
#include "core/lineage_parents.h"
#include "core/semver.h"
#include "store/store.h"

struct reg_catalog_parent {
    char *repo_id;
    enum reg_lineage_source source;
};

/* A version of an artifact: the git tag as written upstream, and the version it is. */
struct reg_catalog_version {
    char *tag;
    struct reg_semver v;
};

struct reg_catalog_entry {
    char id[REG_ID_MAX + 1];
    enum reg_artifact_type type;
    char *name;
    size_t name_len;
    char *url;     /* the source URL it was registered from */
    char *host;    /* "huggingface", "github", "kaggle", "upload"; NULL when the metadata is
                   * unreadable */
    char *repo_id; /* the upstream repository id from the stored metadata; NULL when none */
    struct reg_catalog_parent *parents; /* the lineage parents the metadata names */
    int nparents;
    char **datasets; /* Hugging Face dataset ids a model's card names */
    int ndatasets;
    char **code; /* GitHub "owner/repo" ids a model's card links */
    int ncode;
    struct reg_catalog_version *versions; /* highest first, as stored; none for uploads */
    int nversions;
    double net_score;   /* NAN when no rating is stored */
    int64_t size_bytes; /* -1 when unknown */
    int64_t upstream;   /* upstream popularity: Hub downloads + likes, GitHub stars (0 when
                         * unknown) */
};

struct reg_catalog;

enum reg_status reg_catalog_new(struct reg_catalog **out);
void reg_catalog_free(struct reg_catalog *cat);

/* Reloads the snapshot when the store changed since it was filled. */
enum reg_status reg_catalog_refresh(struct reg_catalog *cat, struct reg_store *store);

/* The store generation of the last refresh (what a cache kept beside the catalog follows). */
uint64_t reg_catalog_generation(const struct reg_catalog *cat);

/* The entries of the last refresh, in store order. */
const struct reg_catalog_entry *reg_catalog_entries(const struct reg_catalog *cat, size_t *count);

/* The artifact of type t whose upstream repository is repo_id (ASCII case-insensitive), the
 * first registered when several are; NULL when none. Only artifacts ingested from the host
 * whose ids these are answer (Hugging Face for models and datasets, GitHub for code): an
 * upload's repository id is whatever name its uploader chose, and a Kaggle dataset's is
 * Kaggle's, so neither may stand in for a Hub or GitHub repository that cards and configs
 * name. Constant time (a hash index built at refresh). */
const struct reg_catalog_entry *
reg_catalog_find_repo(const struct reg_catalog *cat, enum reg_artifact_type t, const char *repo_id);

/* The artifact with this id; NULL when none. Constant time. */
const struct reg_catalog_entry *reg_catalog_find_id(const struct reg_catalog *cat, const char *id);

#endif
