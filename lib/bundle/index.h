/*
 * index.h - which blob holds which artifact's bundle: records and reference markers kept as
 * metadata objects of the blob store (blob/blobs.h), so that hosts sharing a store share them.
 *
 *   records/<id>/<aspect>.json       {"sha256", "size", "url", "sources", "at"}: the bundle of
 *                                    that aspect, built from source url (and, for the
 *                                    datasets aspect, the registered datasets "sources")
 *   refs/<sha256>/<id>.<aspect>      one marker per record that names the blob
 *
 * Blobs are content-addressed and shared: the same bytes registered twice are one blob with
 * two markers. A blob is removed when its last marker goes (reference counting by markers:
 * one listing of refs/<sha256>/ counts them, on S3 as on disk). Order of writes: marker, then
 * record; on release: record, marker, then the blob if no marker is left. A crash between two
 * steps leaves at most an extra marker (the blob is kept until a reset), never a record that
 * names a removed blob; a blob removed under a record by a concurrent release is noticed by
 * the download (the blob is missing) and fetched again.
 *
 * Ownership: records are plain values; nothing is allocated.
 */
#ifndef REG_BUNDLE_INDEX_H
#define REG_BUNDLE_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "base/limits.h"
#include "blob/blobs.h"
#include "bundle/bundle.h"

struct reg_bundle_record {
    char sha256[65];
    int64_t size;
    char url[REG_URL_MAX + 1]; /* the source URL the bundle was built from */
    char sources[1024];        /* datasets aspect: the dataset ids it holds ("id1,id2") */
    int64_t at;                /* Unix time it was stored */
};

/* The record of an artifact's aspect; REG_ENOTFOUND when there is none. */
enum reg_status reg_bundle_index_get(struct reg_blobs *b, const char *id,
                                     enum reg_bundle_aspect aspect, struct reg_bundle_record *out);

/* Records that blob rec->sha256 (stored already) is the bundle of id's aspect, replacing and
 * releasing the record there was. */
enum reg_status reg_bundle_index_set(struct reg_blobs *b, const char *id,
                                     enum reg_bundle_aspect aspect,
                                     const struct reg_bundle_record *rec);

/* Removes blob sha256 when no record names it (a blob put for a registration that failed). */
enum reg_status reg_bundle_index_drop_unused(struct reg_blobs *b, const char *sha256);

/* Removes every record of artifact id and each blob no other record names (delete, update). */
enum reg_status reg_bundle_index_forget(struct reg_blobs *b, const char *id);

/* Calls fn with the id of every record whose id starts with prefix (once per aspect it has);
 * a status other than REG_OK stops the listing and is returned. */
enum reg_status reg_bundle_index_ids(struct reg_blobs *b, const char *prefix, reg_blobs_key_fn fn,
                                     void *ctx);

/* Removes every record, marker and marked blob (reset). */
enum reg_status reg_bundle_index_forget_all(struct reg_blobs *b);

#endif
