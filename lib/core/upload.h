/*
 * upload.h - registering an artifact from a zip the client uploads (ACME's own models), laid
 * out like a Hugging Face repository: README.md and config.json at the top (or inside one
 * top-level folder), weights and other files beside them.
 *
 * The zip is checked first (bundle/zipcheck.h: no absolute paths, no "..", no links, bounded
 * entries and decompressed size: zip slip and zip bombs are refused with 400), a model is then
 * rated from what the zip holds (its README as the card, the license its front matter names,
 * config.json, the file sizes; parents from config.json) and gated like an ingested model;
 * only then is the zip stored in the blob store (content-addressed), the artifact created and
 * the zip recorded as its full bundle (bundle/index.h). Every file is scanned as it is
 * decompressed (core/security.h): under REGISTRY_SCAN_POLICY=block a model with a dangerous or
 * unknown file is refused (424), and the report goes into the metadata document. The source URL is "upload://<sha256>", so
 * the same zip uploaded twice is a conflict (409). Nothing is stored when any step fails.
 *
 * Ownership: the artifact's strings are allocated from the arena passed in.
 */
#ifndef REG_CORE_UPLOAD_H
#define REG_CORE_UPLOAD_H

#include <stddef.h>

#include "blob/blobs.h"
#include "bundle/index.h"
#include "core/registry.h"
#include "core/security.h"

/* Where the zip is: a file (nginx's stored request body) or, failing that, memory. */
struct reg_upload_body {
    const char *path;
    const void *data;
    size_t len;
};

/* Where an upload goes: the blob store, a directory for temp files (an in-memory body is
 * written there first), max_bytes, which caps the decompressed content, and the model scan's
 * policy (core/security.h). */
struct reg_upload_place {
    struct reg_blobs *blobs;
    const char *tmp_dir;
    int64_t max_bytes;
    enum reg_scan_policy scan_policy;
};

/* Registers the zip as a new artifact of type t named name; its full bundle is the zip. When
 * scanned is not NULL and the zip was read whole under a policy other than off, *scanned is the
 * model scan's report (refused set when the scan refused it), else its nfiles is -1. */
enum reg_status reg_upload(const struct reg_registry *r, const struct reg_upload_place *place,
                           struct reg_arena *a, enum reg_artifact_type t, const char *name,
                           const struct reg_upload_body *body, struct reg_artifact *out,
                           struct reg_security_report *scanned);

/*
 * A package group's upload command (core/groups.h) in two steps, because the zip comes with the
 * append and its rating waits for the execute:
 *
 * reg_upload_stage checks the zip (zip slip, bombs: 400) and puts it into the blob store; rec
 * gets its sha256, size and url ("upload://<sha256>"). Nothing else is written: the caller
 * records a reference to the blob (bundle/index.h) so that it is kept until the execute.
 */
enum reg_status reg_upload_stage(const struct reg_upload_place *place, struct reg_arena *a,
                                 const struct reg_upload_body *body, struct reg_bundle_record *rec);

/* reg_upload_staged reads the staged zip rec back into a temp file under place->tmp_dir and
 * checks, scans, rates and gates it as reg_upload does, without writing anything: out is the
 * artifact to write (type, name, url, readme, metadata; no id). scanned as reg_upload's. */
enum reg_status reg_upload_staged(const struct reg_registry *r,
                                  const struct reg_upload_place *place, struct reg_arena *a,
                                  enum reg_artifact_type t, const char *name,
                                  const struct reg_bundle_record *rec, struct reg_artifact *out,
                                  struct reg_security_report *scanned);

#endif
