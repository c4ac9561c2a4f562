/*
 * metadata.h - the metadata document stored with every artifact (reg_artifact.metadata): what
 * ingest learned upstream, in one JSON object, written once per (re-)ingest and read by the
 * rating, lineage, cost and catalog code.
 *
 *   {"format": 1,
 *    "source": {"host": "huggingface"|"github"|"kaggle", "kind": "model"|"dataset"|"code",
 *               "repo_id": "google-bert/bert-base-uncased", "subdir": "..." (code, optional)},
 *    "license": "apache-2.0" (optional), "downloads", "likes", "stars" (when known),
 *    "pipeline_tag", "library_name" (models, optional),
 *    "size_bytes": 440473133 (-1 when unknown), "file_count": 12,
 *    "revision": the upstream commit the listing is of (Hugging Face, when known),
 *    "files": [{"path", "size", "oid", "lfs_sha256"}, ...]  (at most REG_METADATA_MAX_FILES,
 *             largest first; oid and lfs_sha256 from Hugging Face, when known),
 *    "parents": [{"repo_id", "source": "model_card"|"config_json"}],
 *    "datasets": ["rajpurkar/squad", ...], "code": ["https://github.com/o/r", ...],
 *    "versions": ["v2.0", "1.1.0", "v1"]  (Hugging Face and GitHub: the repository's git tags
 *             that are versions (core/semver.h), as tagged, highest first, at most
 *             REG_METADATA_MAX_VERSIONS; absent for uploads and Kaggle: no versions),
 *    "rating": {ModelRating} (models)}
 *
 * Files are kept largest first so that the entries that matter for size survive the cap;
 * size_bytes always counts every file.
 *
 * Ownership: builders return a new json-c reference the caller owns; reg_metadata_read fills
 * *out with strings borrowed from a document the arena owns.
 */
#ifndef REG_CORE_METADATA_H
#define REG_CORE_METADATA_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"
#include "core/artifact.h"
#include "core/lineage_parents.h"
#include "rating/rating.h"
#include "rating/signals.h"

#define REG_METADATA_FORMAT 1
/* Files listed in a stored document. */
#define REG_METADATA_MAX_FILES 256
/* Versions listed in a stored document. */
#define REG_METADATA_MAX_VERSIONS 256
/* Largest stored document (bytes); within a DynamoDB item with room to spare. */
#define REG_METADATA_MAX ((size_t)192 * 1024)

/* What reg_metadata_read gives back. */
struct reg_metadata {
    const char *host;
    const char *repo_id;
    const char *license; /* NULL when none */
    int64_t size_bytes;  /* -1 when unknown */
    struct reg_lineage_parent parents[REG_LINEAGE_MAX_PARENTS];
    int nparents;
    const char **datasets; /* Hugging Face dataset ids the card names */
    int ndatasets;
    const char **code; /* GitHub "owner/repo" ids the card links */
    int ncode;
    const char **versions; /* the tags that are versions, highest first */
    int nversions;
    bool rated;
    struct reg_rating rating;
    struct json_object *doc; /* the whole document (owned by the arena) */
};

/* The document of a model: its signals, parents and rating. */
struct json_object *reg_metadata_model(const struct reg_model_signals *s,
                                       const struct reg_lineage_parent *parents, int nparents,
                                       const struct reg_rating *rating);
/* The document of a Hugging Face dataset. */
struct json_object *reg_metadata_dataset(const struct reg_dataset_signals *d);
/* The document of a GitHub repository (subdir: the part of the repository the artifact is,
 * or NULL; size counts only its files). */
struct json_object *reg_metadata_code(const struct reg_code_signals *c, const char *subdir);
/* The document of an artifact whose host has no public API (Kaggle): the source only. */
struct json_object *reg_metadata_source_only(const struct reg_source *src,
                                             enum reg_artifact_type t);

/* The bytes of files under subdir ("dir" matches "dir/..."); every file when subdir is NULL. */
int64_t reg_metadata_files_size(const struct reg_file_info *files, int nfiles, const char *subdir);

/*
 * Reads a stored document. NULL text is REG_ENOTFOUND ("no metadata is stored"); text that is
 * not a document of this format is REG_EINVAL naming what is wrong. A rating that is present
 * but malformed is REG_EINVAL too.
 */
enum reg_status reg_metadata_read(struct reg_arena *a, const char *text, struct reg_metadata *out);

#endif
