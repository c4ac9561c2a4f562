/*
 * blobs.c - the blob-store dispatcher (see blobs.h): backend choice, argument checks shared by
 * every backend, and hashing a local file.
 */
#include "blob/blobs.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "base/str.h"
#include "blob/blobstore.h"

enum reg_status
reg_blobs_open(const struct reg_config *cfg, struct reg_blobs **out)
{
    *out = NULL;
    if (strcmp(cfg->blobs, "disk") == 0) {
        struct reg_arena a;
        enum reg_status st;
        reg_arena_init(&a);
        st = reg_blobs_disk_open(reg_arena_sprintf(&a, "%s/blobs", cfg->data_dir), out);
        reg_arena_cleanup(&a);
        return st;
    }
    if (strcmp(cfg->blobs, "s3") == 0)
        return reg_blobs_s3_open(cfg, out);
    return reg_errorf(REG_EINVAL, "REGISTRY_BLOBS must be disk or s3, not '%.32s'", cfg->blobs);
}

void
reg_blobs_free(struct reg_blobs *b)
{
    if (b)
        b->ops->free(b);
}

const char *
reg_blobs_name(const struct reg_blobs *b)
{
    return b->ops->name;
}

static enum reg_status
check_sha(const char *sha256)
{
    if (!sha256 || !reg_blob_sha256_ok(sha256))
        return reg_errorf(REG_EINVAL, "not a SHA-256 digest");
    return REG_OK;
}

static enum reg_status
check_key(const char *key)
{
    if (!reg_blobs_key_ok(key))
        return reg_errorf(REG_EINVAL, "bad blob-store key '%.64s'", key ? key : "");
    return REG_OK;
}

enum reg_status
reg_blobs_put_file(struct reg_blobs *b, const char *path, const char *sha256)
{
    enum reg_status st = check_sha(sha256);

    return st == REG_OK ? b->ops->put_file(b, path, sha256) : st;
}

enum reg_status
reg_blobs_stat(struct reg_blobs *b, const char *sha256, int64_t *size)
{
    enum reg_status st = check_sha(sha256);

    return st == REG_OK ? b->ops->stat(b, sha256, size) : st;
}

enum reg_status
reg_blobs_read(struct reg_blobs *b, const char *sha256, int64_t offset, int64_t len,
               reg_blobs_sink_fn sink, void *ctx)
{
    enum reg_status st = check_sha(sha256);

    if (st == REG_OK && (offset < 0 || len < -1))
        st = reg_errorf(REG_EINVAL, "bad blob range");
    return st == REG_OK ? b->ops->read(b, sha256, offset, len, sink, ctx) : st;
}

enum reg_status
reg_blobs_remove(struct reg_blobs *b, const char *sha256)
{
    enum reg_status st = check_sha(sha256);

    return st == REG_OK ? b->ops->remove(b, sha256) : st;
}

enum reg_status
reg_blobs_accel_uri(struct reg_blobs *b, struct reg_arena *a, const char *sha256, const char **out)
{
    enum reg_status st = check_sha(sha256);

    return st == REG_OK ? b->ops->accel_uri(b, a, sha256, out) : st;
}

enum reg_status
reg_blobs_meta_put(struct reg_blobs *b, const char *key, const void *data, size_t len)
{
    enum reg_status st = check_key(key);

    if (st == REG_OK && len > REG_BLOBS_META_MAX)
        st = reg_errorf(REG_EINVAL, "metadata object %s is too large", key);
    return st == REG_OK ? b->ops->meta_put(b, key, data, len) : st;
}

enum reg_status
reg_blobs_meta_get(struct reg_blobs *b, struct reg_arena *a, const char *key, char **data,
                   size_t *len)
{
    enum reg_status st = check_key(key);

    return st == REG_OK ? b->ops->meta_get(b, a, key, data, len) : st;
}

enum reg_status
reg_blobs_meta_delete(struct reg_blobs *b, const char *key)
{
    enum reg_status st = check_key(key);

    return st == REG_OK ? b->ops->meta_delete(b, key) : st;
}

enum reg_status
reg_blobs_meta_list(struct reg_blobs *b, const char *prefix, reg_blobs_key_fn fn, void *ctx)
{
    enum reg_status st = check_key(prefix);

    return st == REG_OK ? b->ops->meta_list(b, prefix, fn, ctx) : st;
}

static bool
key_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/';
}

bool
reg_blobs_key_ok(const char *key)
{
    const char *seg;

    if (!key || !*key || strlen(key) > REG_BLOBS_KEY_MAX)
        return false;
    for (const char *p = key; *p; p++)
        if (!key_char_ok(*p))
            return false;
    /* Every segment has a character that is not a dot; a trailing '/' ends a prefix. */
    for (seg = key; *seg;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        bool dots_only = true;
        for (size_t i = 0; i < n; i++)
            dots_only = dots_only && seg[i] == '.';
        if (n == 0 || dots_only)
            return false;
        if (!end)
            break;
        seg = end + 1;
    }
    return true;
}

enum reg_status
reg_blobs_hash_file(const char *path, char sha256[65], int64_t *size)
{
    unsigned char chunk[1 << 16], digest[32];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    enum reg_status st = REG_OK;
    ssize_t got;

    *size = 0;
    if (!md)
        reg_oom();
    if (fd < 0)
        st = reg_errorf(REG_ESTORE, "cannot open %s: %s", path, strerror(errno));
    if (st == REG_OK && EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        st = reg_errorf(REG_EINTERNAL, "SHA-256 is unavailable");
    while (st == REG_OK && (got = read(fd, chunk, sizeof(chunk))) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            st = reg_errorf(REG_ESTORE, "cannot read %s: %s", path, strerror(errno));
        else if (EVP_DigestUpdate(md, chunk, (size_t)got) != 1)
            st = reg_errorf(REG_EINTERNAL, "SHA-256 failed");
        else
            *size += got;
    }
    if (st == REG_OK && EVP_DigestFinal_ex(md, digest, NULL) != 1)
        st = reg_errorf(REG_EINTERNAL, "SHA-256 failed");
    if (st == REG_OK)
        reg_str_hex(digest, sizeof(digest), sha256);
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(md);
    return st;
}
