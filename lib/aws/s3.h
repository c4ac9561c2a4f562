/*
 * s3.h - an S3 client for the blob store (libcurl, SigV4 via aws/sigv4): path-style requests
 * <endpoint>/<bucket>/<key> to one bucket, which s3rver and other custom endpoints need.
 *
 * Transport: HTTPS with certificate verification; plain http only to a loopback endpoint
 * (development and tests). One connection per client, reused across calls; a client serves one
 * thread at a time. A connect timeout on every request; small requests have a total timeout,
 * transfers of object bytes (put_file, get_object, get_range) a low-speed limit instead, so a
 * many-GB transfer may take as long as it needs while it keeps moving.
 *
 * Signing: every request is SigV4-signed for service "s3". In-memory bodies are signed with
 * their SHA-256; bodies streamed from a file are sent as x-amz-content-sha256: UNSIGNED-PAYLOAD.
 *
 * Errors (every call records its detail with reg_errorf, the S3 error Code and Message in it):
 *   REG_ENOTFOUND     404 NoSuchKey (or a 404 without an error code, as HEAD answers);
 *   REG_EUNAVAILABLE  the endpoint cannot be reached, or it keeps answering 5xx, 429, SlowDown
 *                     or other throttling after REG_S3_MAX_ATTEMPTS attempts (full-jitter
 *                     exponential backoff between them); also a GET cut short after some of
 *                     its bytes reached the caller's sink, which is never retried;
 *   REG_ESTORE        any other refusal (AccessDenied, NoSuchBucket, InvalidRange, ...), and a
 *                     local file that cannot be read;
 *   REG_EINVAL        a bad configuration, key or argument (nothing is sent);
 *   REG_ETOOLARGE     get_object past its max;
 *   or the status a caller's sink or list callback returned, which stops the call.
 *
 * Ownership: the client is created with reg_s3_new() and freed with reg_s3_free() (NULL-safe);
 * it copies what it keeps of the config (secrets are wiped when it is freed). Keys, prefixes,
 * paths and data passed to a call are borrowed for that call only. get_object's buffer belongs
 * to the caller, presign_get's URL to the caller's arena; the strings handed to a list callback
 * live until the callback returns. libcurl's global initialisation is the process's concern
 * (see upstream/http_client.h).
 */
#ifndef REG_AWS_S3_H
#define REG_AWS_S3_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/status.h"

/* put_file sends a file smaller than this in one PUT, a larger one as a multipart upload. */
#define REG_S3_MULTIPART_THRESHOLD ((int64_t)16 * 1024 * 1024)
/* Multipart part size: the default, and S3's minimum (all parts but the last). */
#define REG_S3_PART_SIZE ((int64_t)16 * 1024 * 1024)
#define REG_S3_PART_SIZE_MIN ((int64_t)5 * 1024 * 1024)
/* S3's most parts in one upload; a file that needs more parts gets larger parts. */
#define REG_S3_MAX_PARTS 10000
/* S3's longest key (bytes of UTF-8). */
#define REG_S3_KEY_MAX 1024
/* Keys per ListObjectsV2 page: S3's maximum and the default. */
#define REG_S3_LIST_PAGE_MAX 1000
/* Attempts of one request (the first included) before REG_EUNAVAILABLE. */
#define REG_S3_MAX_ATTEMPTS 4

struct reg_s3_config {
    const char
        *endpoint;      /* AWS_ENDPOINT_URL_S3, or NULL/"" for https://s3.<region>.amazonaws.com */
    const char *bucket; /* S3_BUCKET */
    const char *region; /* AWS_REGION */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "" when none */
    /* Tuning; 0 takes the default. */
    int64_t multipart_threshold; /* REG_S3_MULTIPART_THRESHOLD; at least part_size */
    int64_t part_size;           /* REG_S3_PART_SIZE; at least REG_S3_PART_SIZE_MIN */
    int list_page_size;          /* REG_S3_LIST_PAGE_MAX; 1 to REG_S3_LIST_PAGE_MAX */
};

struct reg_s3;

/* Receives object bytes in order, len > 0; any status but REG_OK stops the transfer and is
 * returned by the call (record a detail with reg_errorf). */
typedef enum reg_status (*reg_s3_sink_fn)(void *ctx, const void *data, size_t len);

/* Called once per key of a listing, in S3's (UTF-8 binary) order, with the object's size; any
 * status but REG_OK stops the listing and is returned by reg_s3_list. */
typedef enum reg_status (*reg_s3_list_fn)(void *ctx, const char *key, int64_t size);

/* Checks cfg and creates a client (no network activity). REG_EINVAL for missing credentials,
 * region or bucket, a malformed endpoint, plain http to a host other than loopback, or tuning
 * out of range. */
enum reg_status reg_s3_new(const struct reg_s3_config *cfg, struct reg_s3 **out);
void reg_s3_free(struct reg_s3 *c);

/* Creates the bucket unless it exists and is reachable with these credentials (HEAD first); a
 * 409 from the create (BucketAlreadyOwnedByYou, or another host's concurrent create) is fine
 * when the bucket then answers HEAD. Outside us-east-1 the region goes in the
 * LocationConstraint. */
enum reg_status reg_s3_create_bucket(struct reg_s3 *c);

/* PUTs len bytes from data (small objects: records, markers), signed with their SHA-256;
 * content_type NULL means application/octet-stream. */
enum reg_status reg_s3_put_object(struct reg_s3 *c, const char *key, const void *data, size_t len,
                                  const char *content_type);

/* Uploads the regular file at path (any size), streamed from disk, never held in memory: one
 * PUT below the multipart threshold, else a multipart upload (parts read from the file in
 * turn; aborted on any failure, a 200 answer with an <Error> body to the completion included).
 * The file must not change during the upload (a file that shrinks is REG_ESTORE). */
enum reg_status reg_s3_put_file(struct reg_s3 *c, const char *key, const char *path);

/* As reg_s3_put_file, from the open regular file fd (read with pread from offset 0 to its size
 * at the call, so the file offset is left alone; fd stays open). */
enum reg_status reg_s3_put_fd(struct reg_s3 *c, const char *key, int fd);

/* GETs the whole object into *out, which this call initialises with reg_buf_init(out, max) and
 * the caller always releases with reg_buf_cleanup (also after a failure). REG_ETOOLARGE when
 * the object is larger than max bytes. */
enum reg_status reg_s3_get_object(struct reg_s3 *c, const char *key, size_t max,
                                  struct reg_buf *out);

/* Streams bytes [offset, offset + len) of the object to sink (len -1: to the end). A range
 * reaching past the end stops at the end, as S3 does; an offset at or past the end of a
 * non-empty object is REG_ESTORE (InvalidRange); len 0 only checks that the object exists.
 * Retried only while no byte reached the sink. */
enum reg_status reg_s3_get_range(struct reg_s3 *c, const char *key, int64_t offset, int64_t len,
                                 reg_s3_sink_fn sink, void *ctx);

/* Whether the object exists (REG_OK, *size set when size is not NULL) or not (REG_ENOTFOUND). */
enum reg_status reg_s3_head_object(struct reg_s3 *c, const char *key, int64_t *size);

/* Deletes the object; deleting a missing key is REG_OK, as in S3. */
enum reg_status reg_s3_delete_object(struct reg_s3 *c, const char *key);

/* Calls fn for every key starting with prefix ("" or NULL: every key), following
 * ListObjectsV2's continuation tokens page by page. */
enum reg_status reg_s3_list(struct reg_s3 *c, const char *prefix, reg_s3_list_fn fn, void *ctx);

/* A query-string-signed GET URL of the object, valid for expires seconds (1 to 604800) from
 * now, in a; anyone holding it can read the object until then (no network activity). */
enum reg_status reg_s3_presign_get(struct reg_s3 *c, struct reg_arena *a, const char *key,
                                   long expires, char **out);

#endif
