/*
 * blobs_disk.c - the disk backend of blobs.h, on one directory of this host:
 *     <dir>/<2 hex>/<64 hex>.zip   blobs (blobstore.h's layout; nginx reads them by alias)
 *     <dir>/meta/<key>             metadata objects, written to <dir>/tmp and renamed
 *     <dir>/tmp/                   files being written
 * Empty directories are removed with the last file in them, so that a store emptied by
 * deletes and resets is back to <dir>/ with meta/ and tmp/ only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/str.h"
#include "blob/blobs.h"
#include "blob/blobstore.h"

#define META_DIR "meta"
#define COPY_CHUNK (1 << 16)

struct disk {
    struct reg_blobs base;
    char *dir;
};

static const char *
dir_of(struct reg_blobs *b)
{
    return ((struct disk *)b)->dir;
}

static enum reg_status
make_dir(const char *path)
{
    if (mkdir(path, REG_BLOB_DIR_MODE) != 0 && errno != EEXIST)
        return reg_errorf(REG_ESTORE, "cannot create %s: %s", path, strerror(errno));
    return REG_OK;
}

/* Creates every missing directory above the file at path, from below root (which exists). */
static enum reg_status
make_parents(char *path, size_t root_len)
{
    enum reg_status st = REG_OK;

    for (char *p = path + root_len + 1; st == REG_OK && (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        st = make_dir(path);
        *p = '/';
    }
    return st;
}

/* Removes the empty directories above the file at path, up to (not including) root. */
static void
remove_empty_parents(char *path, size_t root_len)
{
    char *slash;

    while ((slash = strrchr(path, '/')) != NULL && (size_t)(slash - path) > root_len) {
        *slash = '\0';
        if (rmdir(path) != 0)
            break;
    }
}

/* A fresh temp file under <dir>/tmp (O_EXCL); *path_out from a. */
static enum reg_status
temp_file(struct reg_blobs *b, struct reg_arena *a, int *fd, const char **path_out)
{
    unsigned char rnd[16];
    char hex[33];
    const char *tmp = reg_arena_sprintf(a, "%s/%s", dir_of(b), REG_BLOB_TMP_DIR);
    enum reg_status st = make_dir(tmp);

    if (st != REG_OK)
        return st;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return reg_errorf(REG_EINTERNAL, "no random bytes for a temp name");
    reg_str_hex(rnd, sizeof(rnd), hex);
    *path_out = reg_arena_sprintf(a, "%s/%s%s", tmp, hex, REG_BLOB_TMP_SUFFIX);
    *fd = open(*path_out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, REG_BLOB_FILE_MODE);
    if (*fd < 0)
        return reg_errorf(REG_ESTORE, "cannot create %s: %s", *path_out, strerror(errno));
    return REG_OK;
}

static enum reg_status
write_all(int fd, const void *data, size_t len, const char *path)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return reg_errorf(REG_ESTORE, "cannot write %s: %s", path, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return REG_OK;
}

/* A copy of src at dst through a temp file, for a src on another file system. */
static enum reg_status
copy_into(struct reg_blobs *b, struct reg_arena *a, const char *src, const char *dst)
{
    char chunk[COPY_CHUNK];
    const char *tmp;
    int out = -1, in = open(src, O_RDONLY | O_CLOEXEC);
    enum reg_status st = in < 0 ? reg_errorf(REG_ESTORE, "cannot open %s: %s", src, strerror(errno))
                                : temp_file(b, a, &out, &tmp);
    ssize_t got;

    while (st == REG_OK && (got = read(in, chunk, sizeof(chunk))) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        st = got < 0 ? reg_errorf(REG_ESTORE, "cannot read %s: %s", src, strerror(errno))
                     : write_all(out, chunk, (size_t)got, tmp);
    }
    if (st == REG_OK && fsync(out) != 0)
        st = reg_errorf(REG_ESTORE, "fsync %s: %s", tmp, strerror(errno));
    if (st == REG_OK && rename(tmp, dst) != 0)
        st = reg_errorf(REG_ESTORE, "cannot rename to %s: %s", dst, strerror(errno));
    if (out >= 0) {
        close(out);
        if (st != REG_OK)
            unlink(tmp);
    }
    if (in >= 0)
        close(in);
    return st;
}

static enum reg_status
disk_put_file(struct reg_blobs *b, const char *path, const char *sha256)
{
    char final[REG_BLOB_PATH_MAX];
    struct reg_arena a;
    enum reg_status st = reg_blob_path(final, sizeof(final), dir_of(b), sha256);

    reg_arena_init(&a);
    if (st == REG_OK)
        st = make_parents(final, strlen(dir_of(b)));
    /* A hard link keeps the caller's file where it is (readers may still open it by name). */
    if (st == REG_OK && link(path, final) != 0 && errno != EEXIST)
        st = errno == EXDEV ? copy_into(b, &a, path, final)
                            : reg_errorf(REG_ESTORE, "cannot link %s: %s", final, strerror(errno));
    if (st == REG_OK && chmod(final, REG_BLOB_FILE_MODE) != 0)
        st = reg_errorf(REG_ESTORE, "chmod %s: %s", final, strerror(errno));
    if (st != REG_OK)
        remove_empty_parents(final, strlen(dir_of(b)));
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
disk_stat(struct reg_blobs *b, const char *sha256, int64_t *size)
{
    char path[REG_BLOB_PATH_MAX];
    struct stat sb;
    enum reg_status st = reg_blob_path(path, sizeof(path), dir_of(b), sha256);

    if (st != REG_OK)
        return st;
    if (stat(path, &sb) != 0)
        return errno == ENOENT ? reg_errorf(REG_ENOTFOUND, "no blob %.12s", sha256)
                               : reg_errorf(REG_ESTORE, "stat %s: %s", path, strerror(errno));
    *size = (int64_t)sb.st_size;
    return REG_OK;
}

static enum reg_status
disk_read(struct reg_blobs *b, const char *sha256, int64_t offset, int64_t len,
          reg_blobs_sink_fn sink, void *ctx)
{
    char path[REG_BLOB_PATH_MAX], chunk[COPY_CHUNK];
    enum reg_status st = reg_blob_path(path, sizeof(path), dir_of(b), sha256);
    int fd = st == REG_OK ? open(path, O_RDONLY | O_CLOEXEC) : -1;

    if (st == REG_OK && fd < 0)
        st = errno == ENOENT ? reg_errorf(REG_ENOTFOUND, "no blob %.12s", sha256)
                             : reg_errorf(REG_ESTORE, "open %s: %s", path, strerror(errno));
    while (st == REG_OK && len != 0) {
        size_t want = len < 0 || len > (int64_t)sizeof(chunk) ? sizeof(chunk) : (size_t)len;
        ssize_t got = pread(fd, chunk, want, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            st = reg_errorf(REG_ESTORE, "read %s: %s", path, strerror(errno));
        else if (got == 0 && len > 0)
            st = reg_errorf(REG_ESTORE, "blob %.12s is shorter than expected", sha256);
        else if (got == 0)
            break;
        else
            st = sink(ctx, chunk, (size_t)got);
        offset += got > 0 ? got : 0;
        if (len > 0 && got > 0)
            len -= got;
    }
    if (fd >= 0)
        close(fd);
    return st;
}

static enum reg_status
disk_remove(struct reg_blobs *b, const char *sha256)
{
    char path[REG_BLOB_PATH_MAX];
    enum reg_status st = reg_blob_path(path, sizeof(path), dir_of(b), sha256);

    if (st != REG_OK)
        return st;
    if (unlink(path) != 0 && errno != ENOENT)
        return reg_errorf(REG_ESTORE, "cannot remove %s: %s", path, strerror(errno));
    remove_empty_parents(path, strlen(dir_of(b)));
    return REG_OK;
}

static enum reg_status
disk_accel_uri(struct reg_blobs *b, struct reg_arena *a, const char *sha256, const char **out)
{
    char name[REG_BLOB_NAME_MAX];
    enum reg_status st = reg_blob_name(name, sha256);

    (void)b;
    if (st == REG_OK)
        *out = reg_arena_sprintf(a, "/_bundles/%s", name);
    return st;
}

static char *
meta_path(struct reg_blobs *b, struct reg_arena *a, const char *key)
{
    return reg_arena_sprintf(a, "%s/%s/%s", dir_of(b), META_DIR, key);
}

static enum reg_status
disk_meta_put(struct reg_blobs *b, const char *key, const void *data, size_t len)
{
    struct reg_arena a;
    const char *tmp;
    char *path;
    int fd = -1;
    enum reg_status st;

    reg_arena_init(&a);
    path = meta_path(b, &a, key);
    st = make_parents(path, strlen(dir_of(b)));
    if (st == REG_OK)
        st = temp_file(b, &a, &fd, &tmp);
    if (st == REG_OK)
        st = write_all(fd, data, len, tmp);
    if (st == REG_OK && fsync(fd) != 0)
        st = reg_errorf(REG_ESTORE, "fsync %s: %s", tmp, strerror(errno));
    if (st == REG_OK && rename(tmp, path) != 0)
        st = reg_errorf(REG_ESTORE, "cannot rename to %s: %s", path, strerror(errno));
    if (fd >= 0) {
        close(fd);
        if (st != REG_OK)
            unlink(tmp);
    }
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
disk_meta_get(struct reg_blobs *b, struct reg_arena *a, const char *key, char **data, size_t *len)
{
    const char *path = meta_path(b, a, key);
    char *buf = reg_arena_alloc(a, REG_BLOBS_META_MAX + 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    enum reg_status st = REG_OK;
    size_t have = 0;
    ssize_t got;

    if (fd < 0)
        return errno == ENOENT ? reg_errorf(REG_ENOTFOUND, "no object %s", key)
                               : reg_errorf(REG_ESTORE, "open %s: %s", path, strerror(errno));
    while (st == REG_OK && (got = read(fd, buf + have, REG_BLOBS_META_MAX + 1 - have)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            st = reg_errorf(REG_ESTORE, "read %s: %s", path, strerror(errno));
        else if ((have += (size_t)got) > REG_BLOBS_META_MAX)
            st = reg_errorf(REG_ESTORE, "object %s is too large", key);
    }
    close(fd);
    buf[have < REG_BLOBS_META_MAX ? have : REG_BLOBS_META_MAX] = '\0';
    *data = buf;
    *len = have;
    return st;
}

static enum reg_status
disk_meta_delete(struct reg_blobs *b, const char *key)
{
    struct reg_arena a;
    char *path;
    enum reg_status st = REG_OK;

    reg_arena_init(&a);
    path = meta_path(b, &a, key);
    if (unlink(path) != 0 && errno != ENOENT)
        st = reg_errorf(REG_ESTORE, "cannot remove %s: %s", path, strerror(errno));
    else
        remove_empty_parents(path, strlen(dir_of(b)) + 1 + strlen(META_DIR));
    reg_arena_cleanup(&a);
    return st;
}

/* Lists the files under directory rel (relative to meta/, "" for meta/ itself) whose key
 * starts with prefix, descending into subdirectories. */
static enum reg_status
walk(struct reg_blobs *b, struct reg_arena *a, const char *rel, const char *prefix,
     reg_blobs_key_fn fn, void *ctx)
{
    const char *path = reg_arena_sprintf(a, "%s/%s/%s", dir_of(b), META_DIR, rel);
    DIR *d = opendir(path);
    struct dirent *e;
    enum reg_status st = REG_OK;

    if (!d)
        return errno == ENOENT || errno == ENOTDIR
                   ? REG_OK /* no key has this prefix */
                   : reg_errorf(REG_ESTORE, "opendir %s: %s", path, strerror(errno));
    while (st == REG_OK && (e = readdir(d)) != NULL) {
        const char *key;
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        key = reg_arena_sprintf(a, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        if (stat(meta_path(b, a, key), &sb) != 0)
            continue; /* removed meanwhile */
        if (S_ISDIR(sb.st_mode))
            st = walk(b, a, key, prefix, fn, ctx);
        else if (strncmp(key, prefix, strlen(prefix)) == 0)
            st = fn(ctx, key);
    }
    closedir(d);
    return st;
}

static enum reg_status
disk_meta_list(struct reg_blobs *b, const char *prefix, reg_blobs_key_fn fn, void *ctx)
{
    struct reg_arena a;
    const char *slash = strrchr(prefix, '/');
    enum reg_status st;

    reg_arena_init(&a);
    /* Start at the deepest directory the prefix names. */
    st = walk(b, &a, slash ? reg_arena_strndup(&a, prefix, (size_t)(slash - prefix)) : "", prefix,
              fn, ctx);
    reg_arena_cleanup(&a);
    return st;
}

static void
disk_free(struct reg_blobs *b)
{
    free(((struct disk *)b)->dir);
    free(b);
}

static const struct reg_blobs_ops disk_ops = {
    "disk",        disk_put_file, disk_stat,        disk_read,      disk_remove, disk_accel_uri,
    disk_meta_put, disk_meta_get, disk_meta_delete, disk_meta_list, disk_free,
};

enum reg_status
reg_blobs_disk_open(const char *dir, struct reg_blobs **out)
{
    struct disk *d;
    enum reg_status st = make_dir(dir);

    *out = NULL;
    if (st != REG_OK)
        return st;
    d = calloc(1, sizeof(*d));
    if (!d || !(d->dir = strdup(dir)))
        reg_oom();
    d->base.ops = &disk_ops;
    *out = &d->base;
    return REG_OK;
}
