/*
 * blobs_s3.c - the S3 backend of blobs.h, on one bucket shared by every host (aws/s3.h):
 *     blobs/<2 hex>/<64 hex>.zip   blobs (multipart uploads for large ones)
 *     meta/<key>                   metadata objects
 * nginx sends a blob by proxying a presigned GET (conf/nginx.conf.in, location /_s3/), so the
 * bytes never pass through a worker and Range requests reach S3 as they are.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "blob/blobs.h"
#include "blob/blobstore.h"

/* How long a presigned GET stays valid: nginx uses it at once. */
#define PRESIGN_SECONDS 300
#define META_PREFIX "meta/"

struct s3 {
    struct reg_blobs base;
    struct reg_s3 *client;
    char *endpoint; /* the presigned URLs' scheme and host, stripped for nginx */
};

static struct reg_s3 *
client_of(struct reg_blobs *b)
{
    return ((struct s3 *)b)->client;
}

/* "blobs/<2 hex>/<64 hex>.zip"; the digest was checked by the dispatcher (blobs.c). */
static const char *
blob_key(struct reg_arena *a, const char *sha256)
{
    char name[REG_BLOB_NAME_MAX];

    if (reg_blob_name(name, sha256) != REG_OK)
        name[0] = '\0';
    return reg_arena_sprintf(a, "blobs/%s", name);
}

static enum reg_status
s3_put_file(struct reg_blobs *b, const char *path, const char *sha256)
{
    struct reg_arena a;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_s3_head_object(client_of(b), blob_key(&a, sha256), NULL);
    if (st == REG_ENOTFOUND)
        st = reg_s3_put_file(client_of(b), blob_key(&a, sha256), path);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
s3_stat(struct reg_blobs *b, const char *sha256, int64_t *size)
{
    struct reg_arena a;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_s3_head_object(client_of(b), blob_key(&a, sha256), size);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
s3_read(struct reg_blobs *b, const char *sha256, int64_t offset, int64_t len,
        reg_blobs_sink_fn sink, void *ctx)
{
    struct reg_arena a;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_s3_get_range(client_of(b), blob_key(&a, sha256), offset, len, sink, ctx);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
s3_remove(struct reg_blobs *b, const char *sha256)
{
    struct reg_arena a;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_s3_delete_object(client_of(b), blob_key(&a, sha256));
    reg_arena_cleanup(&a);
    return st;
}

/* "/_s3/<sha256>/<bucket>/<key>?<signed query>": the presigned URL without its endpoint, which
 * nginx's proxy location puts back. */
static enum reg_status
s3_accel_uri(struct reg_blobs *b, struct reg_arena *a, const char *sha256, const char **out)
{
    struct s3 *s = (struct s3 *)b;
    size_t n = strlen(s->endpoint);
    char *url;
    enum reg_status st =
        reg_s3_presign_get(s->client, a, blob_key(a, sha256), PRESIGN_SECONDS, &url);

    if (st != REG_OK)
        return st;
    if (strncmp(url, s->endpoint, n) != 0 || url[n] != '/')
        return reg_errorf(REG_EINTERNAL, "a presigned URL outside the S3 endpoint");
    *out = reg_arena_sprintf(a, "/_s3/%s%s", sha256, url + n);
    return REG_OK;
}

static enum reg_status
s3_meta_put(struct reg_blobs *b, const char *key, const void *data, size_t len)
{
    struct reg_arena a;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_s3_put_object(client_of(b), reg_arena_sprintf(&a, META_PREFIX "%s", key), data, len,
                           "application/json");
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
s3_meta_get(struct reg_blobs *b, struct reg_arena *a, const char *key, char **data, size_t *len)
{
    struct reg_buf buf;
    enum reg_status st = reg_s3_get_object(
        client_of(b), reg_arena_sprintf(a, META_PREFIX "%s", key), REG_BLOBS_META_MAX, &buf);

    *data = NULL;
    *len = 0;
    if (st == REG_OK) {
        *data = reg_arena_alloc(a, buf.len + 1);
        memcpy(*data, buf.data ? buf.data : "", buf.len);
        (*data)[buf.len] = '\0';
        *len = buf.len;
    }
    reg_buf_cleanup(&buf);
    return st;
}

static enum reg_status
s3_meta_delete(struct reg_blobs *b, const char *key)
{
    struct reg_arena a;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_s3_delete_object(client_of(b), reg_arena_sprintf(&a, META_PREFIX "%s", key));
    reg_arena_cleanup(&a);
    return st;
}

struct listing {
    reg_blobs_key_fn fn;
    void *ctx;
};

static enum reg_status
strip_prefix(void *ctx, const char *key, int64_t size)
{
    struct listing *l = ctx;

    (void)size;
    return l->fn(l->ctx, key + strlen(META_PREFIX));
}

static enum reg_status
s3_meta_list(struct reg_blobs *b, const char *prefix, reg_blobs_key_fn fn, void *ctx)
{
    struct listing l = {fn, ctx};
    struct reg_arena a;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_s3_list(client_of(b), reg_arena_sprintf(&a, META_PREFIX "%s", prefix), strip_prefix,
                     &l);
    reg_arena_cleanup(&a);
    return st;
}

static void
s3_free(struct reg_blobs *b)
{
    struct s3 *s = (struct s3 *)b;

    reg_s3_free(s->client);
    free(s->endpoint);
    free(s);
}

static const struct reg_blobs_ops s3_ops = {
    "s3",        s3_put_file, s3_stat,        s3_read,      s3_remove, s3_accel_uri,
    s3_meta_put, s3_meta_get, s3_meta_delete, s3_meta_list, s3_free,
};

enum reg_status
reg_blobs_s3_open(const struct reg_config *cfg, struct reg_blobs **out)
{
    struct reg_s3_config sc = {cfg->s3_endpoint,
                               cfg->s3_bucket,
                               cfg->aws_region,
                               cfg->aws_access_key_id,
                               cfg->aws_secret_access_key,
                               cfg->aws_session_token,
                               0,
                               0,
                               0};
    struct s3 *s = calloc(1, sizeof(*s));
    struct reg_arena a;
    enum reg_status st;

    *out = NULL;
    if (!s)
        reg_oom();
    s->base.ops = &s3_ops;
    reg_arena_init(&a);
    s->endpoint =
        strdup(cfg->s3_endpoint && *cfg->s3_endpoint
                   ? cfg->s3_endpoint
                   : reg_arena_sprintf(&a, "https://s3.%s.amazonaws.com", cfg->aws_region));
    reg_arena_cleanup(&a);
    if (!s->endpoint)
        reg_oom();
    /* The endpoint without a trailing '/', as the presigned URLs start. */
    while (*s->endpoint && s->endpoint[strlen(s->endpoint) - 1] == '/')
        s->endpoint[strlen(s->endpoint) - 1] = '\0';
    st = reg_s3_new(&sc, &s->client);
    if (st == REG_OK)
        st = reg_s3_create_bucket(s->client);
    if (st != REG_OK) {
        s3_free(&s->base);
        return st;
    }
    *out = &s->base;
    return REG_OK;
}
