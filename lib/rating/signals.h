/*
 * signals.h - the facts the rating metrics read: what the upstream APIs said about one model
 * and about the datasets, code and parents it links. Filled by ingest (lib/upstream and
 * core/, from Hugging Face and GitHub answers); read by lib/rating/ and nothing else. Every
 * metric is a pure function of these signals, so it is unit-tested on recorded data.
 *
 * Ownership: all pointers are borrowed; whoever fills the struct keeps the data alive while
 * the metrics run. Absent facts are NULL / 0 / empty arrays, never invented.
 */
#ifndef REG_RATING_SIGNALS_H
#define REG_RATING_SIGNALS_H

#include <stdbool.h>
#include <stdint.h>

/* One file of a repository, with its size in bytes (Hugging Face siblings with ?blobs=true,
 * GitHub tree entries). */
struct reg_file_info {
    const char *path;
    int64_t size;
    const char *oid;        /* Hugging Face: the git blob id ("blobId"); NULL when unknown */
    const char *lfs_sha256; /* Hugging Face: the SHA-256 of an LFS file; NULL when not LFS */
};

/* A repository's git tag names as upstream lists them (GitHub's tags, the Hub's refs), any
 * text: which of them are versions is decided by core/ (core/semver.h). */
struct reg_git_tags {
    const char *const *names;
    int n;
};

/* A GitHub repository linked to the model (card or README link). */
struct reg_code_signals {
    const char *repo_id;      /* "openai/whisper" */
    const char *license_spdx; /* license.spdx_id, NULL when none */
    const char *readme;       /* raw README text, NULL when none */
    int64_t stars, forks, open_issues;
    const int64_t *contributions; /* commits per contributor, largest first */
    int ncontributors;
    const struct reg_file_info *files; /* the file tree (git/trees/HEAD?recursive=1) */
    int nfiles;
    int commits_seen;     /* recent commits fetched */
    int commits_reviewed; /* of those, introduced by a merged pull request with a review */
    int64_t pushed_at;    /* Unix time of the last push, 0 when unknown */
    struct reg_git_tags git_tags;
    double fetch_seconds; /* wall time of the GitHub calls */
};

/* A Hugging Face dataset the model names (card `datasets:`), when it could be fetched or is
 * registered. */
struct reg_dataset_signals {
    const char *repo_id;  /* "rajpurkar/squad" */
    const char *readme;   /* dataset card text, NULL when none */
    const char *license;  /* cardData.license, NULL when none */
    const char *revision; /* the commit the listing is of ("sha"), NULL when unknown */
    int64_t downloads, likes;
    const char *const *tags;
    int ntags;
    const struct reg_file_info *files;
    int nfiles;
    struct reg_git_tags git_tags; /* the refs API's tags */
    double fetch_seconds;
};

struct reg_model_signals {
    const char *repo_id;     /* "google-bert/bert-base-uncased" */
    const char *name;        /* the artifact's name */
    const char *readme;      /* model card text (README.md), NULL when none */
    const char *card_json;   /* cardData as JSON text (license, datasets, base_model,
                              * model-index with reported results...), NULL when none */
    const char *config_json; /* config.json text, NULL when none */
    const char *license;     /* cardData.license, else the "license:xxx" tag; NULL when none */
    const char *revision;    /* the commit the listing is of ("sha"), NULL when unknown */
    int64_t downloads, likes;
    int64_t last_modified; /* Unix time, 0 when unknown */
    const char *const *tags;
    int ntags;
    const char *pipeline_tag; /* NULL when none */
    const char *library_name; /* NULL when none */
    const struct reg_file_info *files;
    int nfiles;
    struct reg_git_tags git_tags; /* the refs API's tags */
    const char *const *datasets;  /* dataset ids the card names */
    int ndatasets;
    const char *const *code_urls; /* GitHub repository URLs the card or README names */
    int ncode_urls;
    const struct reg_code_signals *code; /* the first linked repository, fetched; NULL if none */
    const struct reg_dataset_signals *dataset_info; /* the named datasets that were found */
    int ndataset_info;
    int64_t parameters; /* exact parameter count of the safetensors copy of the weights, from
                           the model scan's headers (core/security.h); <= 0 unknown */
    const double *parent_scores; /* net_score of the model's lineage parents in the registry */
    int nparents;
    double hub_seconds; /* wall time of the Hugging Face calls (info, README, config) */
};

#endif
