/*
 * upload.h - registering an artifact from a zip the client uploads (ACME's own models), laid
 * out like a Hugging Face repository: README.md and config.json at the top (or inside one
 * top-level folder), weights and other files beside them.
 *
 * The zip is checked first (bundle/zipcheck.h: no absolute paths, no "..", no links, bounded
 * entries and decompressed size: zip slip and zip bombs are refused with 400), a model is then
 * rated from what the zip holds (its README as the card, the license its front matter names,
 * config.json, the file sizes; parents from config.json) and gated like an ingested model;
 * only then is the zip stored as the artifact's bundle (content-addressed) and the artifact
 * created. The source URL is "upload://<sha256>", so the same zip uploaded twice is a
 * conflict (409). Nothing is stored when any step fails.
 *
 * Ownership: the artifact's strings are allocated from the arena passed in.
 */
#ifndef REG_CORE_UPLOAD_H
#define REG_CORE_UPLOAD_H

#include <stddef.h>

#include "core/registry.h"

/* Where the zip is: a file (nginx's stored request body) or, failing that, memory. */
struct reg_upload_body {
    const char *path;
    const void *data;
    size_t len;
};

/* Registers the zip as a new artifact of type t named name. data_dir holds the blob store;
 * max_bytes caps the decompressed content and the stored zip. */
enum reg_status reg_upload(const struct reg_registry *r, const char *data_dir, int64_t max_bytes,
                           struct reg_arena *a, enum reg_artifact_type t, const char *name,
                           const struct reg_upload_body *body, struct reg_artifact *out);

#endif
