/*
 * blobs.h - where the registry keeps its copies: one interface, two backends (libgit2's odb
 * style: a table of functions, a dispatcher, one file per backend).
 *
 *   disk (REGISTRY_BLOBS=disk, the default)   $REGISTRY_DATA_DIR/blobs/ on this host
 *                                              (blobs_disk.c, on blobstore.h's layout)
 *   s3   (REGISTRY_BLOBS=s3)                   bucket S3_BUCKET, shared by every host
 *                                              (blobs_s3.c)
 *
 * It holds two kinds of object:
 *   - blobs: immutable files named by the SHA-256 of their bytes (bundle zips), of any size.
 *     They are put from a complete local file, read by range, sent by nginx (the backend says
 *     how: an internal URI for X-Accel-Redirect) and removed;
 *   - small metadata objects under slash-separated keys ("records/<id>/full.json",
 *     "refs/<sha256>/<id>.full"): the bundle index (bundle/index.h) lives there, next to the
 *     blobs it describes, so that hosts sharing a bucket share it too.
 *
 * Keys are [A-Za-z0-9._/-] only, without empty or dot-only segments (reg_blobs_key_ok); every
 * function refuses others with REG_EINVAL.
 *
 * Errors: REG_ENOTFOUND for a missing blob or key, REG_EUNAVAILABLE when the backend cannot be
 * reached (S3), REG_ESTORE for any other failure (the detail says which), REG_EINVAL for a bad
 * digest or key.
 *
 * Ownership: reg_blobs_open() returns a handle the caller frees with reg_blobs_free() (NULL is
 * accepted). A handle is used by one thread at a time; after fork() the child opens its own.
 * Data returned by reg_blobs_meta_get() is allocated from the caller's arena.
 */
#ifndef REG_BLOB_BLOBS_H
#define REG_BLOB_BLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/status.h"

/* Longest metadata object read back (records and markers are a few hundred bytes). */
#define REG_BLOBS_META_MAX ((size_t)64 * 1024)
/* Longest key. */
#define REG_BLOBS_KEY_MAX 512

/* Receives the bytes of a blob read, in order; a status other than REG_OK stops the read. */
typedef enum reg_status (*reg_blobs_sink_fn)(void *ctx, const void *data, size_t len);

/* Called once per key listed; a status other than REG_OK stops the listing. */
typedef enum reg_status (*reg_blobs_key_fn)(void *ctx, const char *key);

struct reg_blobs;

struct reg_blobs_ops {
    const char *name; /* "disk", "s3" */
    enum reg_status (*put_file)(struct reg_blobs *b, const char *path, const char *sha256);
    enum reg_status (*stat)(struct reg_blobs *b, const char *sha256, int64_t *size);
    enum reg_status (*read)(struct reg_blobs *b, const char *sha256, int64_t offset, int64_t len,
                            reg_blobs_sink_fn sink, void *ctx);
    enum reg_status (*remove)(struct reg_blobs *b, const char *sha256);
    enum reg_status (*accel_uri)(struct reg_blobs *b, struct reg_arena *a, const char *sha256,
                                 const char **out);
    enum reg_status (*meta_put)(struct reg_blobs *b, const char *key, const void *data, size_t len);
    enum reg_status (*meta_get)(struct reg_blobs *b, struct reg_arena *a, const char *key,
                                char **data, size_t *len);
    enum reg_status (*meta_delete)(struct reg_blobs *b, const char *key);
    enum reg_status (*meta_list)(struct reg_blobs *b, const char *prefix, reg_blobs_key_fn fn,
                                 void *ctx);
    void (*free)(struct reg_blobs *b);
};

/* Every backend's handle starts with this. */
struct reg_blobs {
    const struct reg_blobs_ops *ops;
};

/* Opens the backend cfg->blobs names ("disk" or "s3"); REG_EINVAL for another name. */
enum reg_status reg_blobs_open(const struct reg_config *cfg, struct reg_blobs **out);

/* The disk backend on directory dir (created when missing; its parent must exist). */
enum reg_status reg_blobs_disk_open(const char *dir, struct reg_blobs **out);

/* The S3 backend on cfg's bucket and endpoint (creates the bucket when missing). */
enum reg_status reg_blobs_s3_open(const struct reg_config *cfg, struct reg_blobs **out);

void reg_blobs_free(struct reg_blobs *b);

/* The backend's name: "disk" or "s3". */
const char *reg_blobs_name(const struct reg_blobs *b);

/*
 * Keeps the complete local file at path as the blob sha256 (the SHA-256 of its bytes, which
 * the caller computed while writing it; it is not checked again). The file itself stays the
 * caller's: the disk backend links it into place, S3 uploads it. Putting a blob that exists is
 * a success.
 */
enum reg_status reg_blobs_put_file(struct reg_blobs *b, const char *path, const char *sha256);

/* The size of blob sha256; REG_ENOTFOUND when it is not stored. */
enum reg_status reg_blobs_stat(struct reg_blobs *b, const char *sha256, int64_t *size);

/* Hands bytes [offset, offset + len) of blob sha256 to sink (len -1: to the end). */
enum reg_status reg_blobs_read(struct reg_blobs *b, const char *sha256, int64_t offset, int64_t len,
                               reg_blobs_sink_fn sink, void *ctx);

/* Removes blob sha256; a missing blob is a success. */
enum reg_status reg_blobs_remove(struct reg_blobs *b, const char *sha256);

/* The internal URI nginx streams blob sha256 from (X-Accel-Redirect; conf/nginx.conf.in). */
enum reg_status reg_blobs_accel_uri(struct reg_blobs *b, struct reg_arena *a, const char *sha256,
                                    const char **out);

/* Small metadata objects (see the file comment). */
enum reg_status reg_blobs_meta_put(struct reg_blobs *b, const char *key, const void *data,
                                   size_t len);
enum reg_status reg_blobs_meta_get(struct reg_blobs *b, struct reg_arena *a, const char *key,
                                   char **data, size_t *len);
enum reg_status reg_blobs_meta_delete(struct reg_blobs *b, const char *key);
/* Every key that starts with prefix, in no particular order. */
enum reg_status reg_blobs_meta_list(struct reg_blobs *b, const char *prefix, reg_blobs_key_fn fn,
                                    void *ctx);

/* Whether key is a valid metadata key (see the file comment). */
bool reg_blobs_key_ok(const char *key);

/* The SHA-256 (lowercase hex) and size of the file at path, read once from start to end. */
enum reg_status reg_blobs_hash_file(const char *path, char sha256[65], int64_t *size);

#endif
