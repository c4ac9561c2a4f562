/*
 * hubrepo.h - a registered Hugging Face model or dataset seen as a Hub repository, for the
 * Hub-compatible read API (handlers/hub.c): its id, its revision, its files with their ids and
 * sizes, and where each file's bytes lie in the artifact's full bundle (a STORED zip, so a
 * file is one byte range of it; bundle.h). Only what the registry admitted is a repository
 * here: an artifact the gate refused was never registered, and anything else is not found.
 *
 * Ids: the revision is the upstream commit recorded at ingest ("revision" in the metadata);
 * a file's oid is its git blob id and, for LFS files, lfs_sha256 the SHA-256 of its bytes, as
 * the upstream listing gave them. Artifacts ingested before the registry kept them get ids of
 * the registry's own, derived from the artifact and the file (SHA-1 of a fixed text), stable
 * for as long as the artifact is not re-ingested.
 *
 * Ownership: everything is allocated from the arena given to reg_hub_repo_open.
 */
#ifndef REG_BUNDLE_HUBREPO_H
#define REG_BUNDLE_HUBREPO_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "bundle/plan.h"
#include "core/artifact.h"

struct reg_hub_file {
    const char *path;
    int64_t size;
    const char *oid;        /* 40 lowercase hex */
    const char *lfs_sha256; /* 64 lowercase hex, or NULL for a file that is not LFS */
    int64_t zip_offset;     /* where its bytes start in the full bundle */
};

struct reg_hub_repo {
    enum reg_artifact_type type; /* model or dataset */
    const char *repo_id;         /* "google-bert/bert-base-uncased" */
    const char *revision;        /* 40 lowercase hex */
    struct reg_artifact art;
    struct reg_bundle_plan plan; /* the full bundle's */
    struct reg_hub_file *files;  /* sorted by path, as in the bundle */
    int nfiles;
    int64_t last_modified;        /* Unix time of the registration */
    struct json_object *metadata; /* the stored metadata document (arena-owned) */
};

/*
 * The registered repository repo_id of type (model or dataset) from Hugging Face.
 * REG_ENOTFOUND when no such artifact is registered; the plan's errors otherwise
 * (REG_EUPSTREAM when its listing had to be fetched again and could not be).
 */
enum reg_status reg_hub_repo_open(struct reg_app *app, struct reg_arena *a,
                                  enum reg_artifact_type type, const char *repo_id,
                                  struct reg_hub_repo *out);

/* Whether rev names the repository's revision: "main" or the revision itself. */
bool reg_hub_repo_revision_ok(const struct reg_hub_repo *r, const char *rev);

/* The file at path, or NULL. */
const struct reg_hub_file *reg_hub_repo_file(const struct reg_hub_repo *r, const char *path);

/* An id of the registry's own for what (a file, a directory, a revision it has no upstream id
 * for): its SHA-1, as 40 lowercase hex digits, from a. */
const char *reg_hub_repo_own_id(struct reg_arena *a, const char *what);

/* Whether path is a directory of the repository (a proper prefix of a file's path). */
bool reg_hub_repo_is_dir(const struct reg_hub_repo *r, const char *path);

#endif
