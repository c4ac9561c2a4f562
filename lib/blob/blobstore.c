/*
 * blobstore.c - the content-addressed blob store (see blobstore.h): temp file, streaming
 * SHA-256, atomic rename into <dir>/<2 hex>/<64 hex>.zip, and the start-up sweep of temp files.
 */
#include "blob/blobstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/str.h"

enum { IDLE = 0, OPEN = 1 };

/* Random bytes in a temp file's name (hex-encoded: twice as many characters). */
#define TMP_RANDOM_BYTES 16
/* Attempts at a fresh temp name (a collision of 128 random bits means a broken RNG). */
#define TMP_NAME_ATTEMPTS 3

/* ---------------------------------------------------------------- small helpers */

static char *
xstrdup(const char *s)
{
    char *c = strdup(s);

    if (!c)
        reg_oom();
    return c;
}

/* mkdir that treats an existing directory as success; *created says whether it was made. */
static enum reg_status
ensure_dir(const char *path, bool *created)
{
    struct stat st;

    if (created)
        *created = false;
    if (mkdir(path, REG_BLOB_DIR_MODE) == 0) {
        if (created)
            *created = true;
        return REG_OK;
    }
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return REG_OK;
    return reg_errorf(REG_ESTORE, "cannot create directory %s: %s", path, strerror(errno));
}

/* fsync of a directory, so that a rename or mkdir in it survives a crash. */
static enum reg_status
sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return reg_errorf(REG_ESTORE, "cannot open directory %s: %s", path, strerror(errno));
    rc = fsync(fd);
    close(fd);
    if (rc != 0)
        return reg_errorf(REG_ESTORE, "cannot sync directory %s: %s", path, strerror(errno));
    return REG_OK;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Frees what an open writer holds and makes it idle (the temp file is left to the caller). */
static void
release(struct reg_blob_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    EVP_MD_CTX_free(w->md);
    free(w->tmp_path);
    free(w->dir);
    memset(w, 0, sizeof(*w));
    w->fd = -1;
    w->state = IDLE;
}

/* ---------------------------------------------------------------- writing */

/* Opens a fresh temp file under <dir>/tmp/ (O_EXCL: never an existing file). */
static enum reg_status
open_tmp(struct reg_blob_writer *w)
{
    size_t len = strlen(w->dir) + sizeof("/" REG_BLOB_TMP_DIR "/" REG_BLOB_TMP_SUFFIX) +
                 2 * TMP_RANDOM_BYTES;

    w->tmp_path = malloc(len);
    if (!w->tmp_path)
        reg_oom();
    for (int i = 0; i < TMP_NAME_ATTEMPTS; i++) {
        unsigned char r[TMP_RANDOM_BYTES];
        char hex[2 * TMP_RANDOM_BYTES + 1];

        if (RAND_bytes(r, sizeof(r)) != 1)
            return reg_errorf(REG_EINTERNAL, "no random bytes for a temp file name");
        reg_str_hex(r, sizeof(r), hex);
        snprintf(w->tmp_path, len, "%s/%s/%s%s", w->dir, REG_BLOB_TMP_DIR, hex,
                 REG_BLOB_TMP_SUFFIX);
        w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, REG_BLOB_TMP_MODE);
        if (w->fd >= 0)
            return REG_OK;
        if (errno != EEXIST)
            break;
    }
    return reg_errorf(REG_ESTORE, "cannot create temp file %s: %s", w->tmp_path, strerror(errno));
}

enum reg_status
reg_blob_begin(struct reg_blob_writer *w, const char *dir, int64_t max_bytes)
{
    char tmp_dir[REG_BLOB_PATH_MAX];
    enum reg_status st;

    memset(w, 0, sizeof(*w));
    w->fd = -1;
    if (!dir || !*dir || max_bytes <= 0)
        return reg_errorf(REG_EINVAL, "blob store: no directory or no byte budget");
    /* room for "/xx/<64 hex>.zip" and "/tmp/<32 hex>.part" */
    if (strlen(dir) + REG_BLOB_SHA256_HEX + 16 >= REG_BLOB_PATH_MAX)
        return reg_errorf(REG_EINVAL, "blob store directory name is too long");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/%s", dir, REG_BLOB_TMP_DIR);
    st = ensure_dir(dir, NULL);
    if (st == REG_OK)
        st = ensure_dir(tmp_dir, NULL);
    if (st != REG_OK)
        return st;
    w->dir = xstrdup(dir);
    w->max_bytes = max_bytes;
    st = open_tmp(w);
    if (st == REG_OK) {
        w->md = EVP_MD_CTX_new();
        if (!w->md)
            reg_oom();
        if (EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1)
            st = reg_errorf(REG_EINTERNAL, "cannot initialise SHA-256");
    }
    if (st != REG_OK) {
        if (w->fd >= 0)
            unlink(w->tmp_path);
        release(w);
        return st;
    }
    w->state = OPEN;
    return REG_OK;
}

/* write(2) until all of data is written. */
static bool
write_all(int fd, const unsigned char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

enum reg_status
reg_blob_write(struct reg_blob_writer *w, const void *data, size_t len)
{
    if (!w || w->state != OPEN)
        return reg_errorf(REG_EINTERNAL, "blob writer is not open");
    if (w->failed != REG_OK)
        return reg_errorf(w->failed, "blob writer failed earlier");
    if (len == 0)
        return REG_OK;
    if ((uint64_t)len > (uint64_t)(w->max_bytes - w->size)) {
        w->failed = REG_ETOOLARGE;
        return reg_errorf(REG_ETOOLARGE, "blob exceeds the cap of %lld bytes",
                          (long long)w->max_bytes);
    }
    if (!write_all(w->fd, data, len)) {
        w->failed = REG_ESTORE;
        return reg_errorf(REG_ESTORE, "cannot write %s: %s", w->tmp_path, strerror(errno));
    }
    if (EVP_DigestUpdate(w->md, data, len) != 1) {
        w->failed = REG_EINTERNAL;
        return reg_errorf(REG_EINTERNAL, "SHA-256 update failed");
    }
    w->size += (int64_t)len;
    return REG_OK;
}

/* ---------------------------------------------------------------- committing */

/* Flushes and closes the temp file, readable for nginx once in place. */
static enum reg_status
seal(struct reg_blob_writer *w)
{
    int fd = w->fd;

    w->fd = -1;
    if (fchmod(fd, REG_BLOB_FILE_MODE) != 0 || fsync(fd) != 0) {
        int e = errno;

        close(fd);
        return reg_errorf(REG_ESTORE, "cannot sync %s: %s", w->tmp_path, strerror(e));
    }
    if (close(fd) != 0)
        return reg_errorf(REG_ESTORE, "cannot close %s: %s", w->tmp_path, strerror(errno));
    return REG_OK;
}

/* Moves the sealed temp file to final (in directory sub), unless the same blob is there. */
static enum reg_status
place(struct reg_blob_writer *w, const char *sub, const char *final, struct reg_blob_info *out)
{
    struct stat st;
    bool created;
    enum reg_status s = ensure_dir(sub, &created);

    if (s == REG_OK && created)
        s = sync_dir(w->dir); /* the new <2 hex> directory itself must survive a crash */
    if (s != REG_OK)
        return s;
    if (stat(final, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == w->size) {
        /* Content-addressed: same digest and size is the same blob. */
        out->existed = true;
        unlink(w->tmp_path);
        return REG_OK;
    }
    /* Absent, or damaged (another size): rename(2) replaces it atomically. */
    if (rename(w->tmp_path, final) != 0)
        return reg_errorf(REG_ESTORE, "cannot rename %s to %s: %s", w->tmp_path, final,
                          strerror(errno));
    return sync_dir(sub);
}

enum reg_status
reg_blob_commit(struct reg_blob_writer *w, struct reg_blob_info *out)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    char sub[REG_BLOB_PATH_MAX], final[REG_BLOB_PATH_MAX];
    enum reg_status st;

    if (!w || w->state != OPEN)
        return reg_errorf(REG_EINTERNAL, "blob writer is not open");
    memset(out, 0, sizeof(*out));
    if (w->failed != REG_OK) {
        st = reg_errorf(w->failed, "blob writer failed earlier; nothing was committed");
        reg_blob_abort(w);
        return st;
    }
    if (EVP_DigestFinal_ex(w->md, digest, &dlen) != 1 || dlen * 2 != REG_BLOB_SHA256_HEX) {
        reg_blob_abort(w);
        return reg_errorf(REG_EINTERNAL, "SHA-256 final failed");
    }
    reg_str_hex(digest, dlen, out->sha256);
    out->size = w->size;
    snprintf(sub, sizeof(sub), "%s/%.2s", w->dir, out->sha256);
    st = reg_blob_path(final, sizeof(final), w->dir, out->sha256);
    if (st == REG_OK)
        st = seal(w);
    if (st == REG_OK)
        st = place(w, sub, final, out);
    if (st != REG_OK) {
        unlink(w->tmp_path); /* gone already if the rename happened */
        memset(out, 0, sizeof(*out));
    }
    release(w);
    return st;
}

void
reg_blob_abort(struct reg_blob_writer *w)
{
    if (!w || w->state != OPEN)
        return;
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    unlink(w->tmp_path);
    release(w);
}

/* ---------------------------------------------------------------- names */

bool
reg_blob_sha256_ok(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < REG_BLOB_SHA256_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[REG_BLOB_SHA256_HEX] == '\0';
}

enum reg_status
reg_blob_name(char out[REG_BLOB_NAME_MAX], const char *sha256)
{
    if (!reg_blob_sha256_ok(sha256))
        return reg_errorf(REG_EINVAL, "'%.80s' is not a SHA-256 digest (64 lowercase hex digits)",
                          sha256 ? sha256 : "");
    snprintf(out, REG_BLOB_NAME_MAX, "%.2s/%s%s", sha256, sha256, REG_BLOB_SUFFIX);
    return REG_OK;
}

enum reg_status
reg_blob_path(char *out, size_t cap, const char *dir, const char *sha256)
{
    char name[REG_BLOB_NAME_MAX];
    enum reg_status st = reg_blob_name(name, sha256);
    int n;

    if (st != REG_OK)
        return st;
    if (!dir || !*dir)
        return reg_errorf(REG_EINVAL, "blob store: no directory");
    n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return reg_errorf(REG_EINVAL, "blob path does not fit in %zu bytes", cap);
    return REG_OK;
}

/* ---------------------------------------------------------------- start-up sweep */

enum reg_status
reg_blob_sweep_tmp(const char *dir, int64_t older_than_seconds, int *removed)
{
    char tmp_dir[REG_BLOB_PATH_MAX];
    time_t cutoff = time(NULL) - (time_t)older_than_seconds;
    enum reg_status st = REG_OK;
    struct dirent *e;
    DIR *d;
    int n = 0;

    if (removed)
        *removed = 0;
    if (!dir || !*dir ||
        (size_t)snprintf(tmp_dir, sizeof(tmp_dir), "%s/%s", dir, REG_BLOB_TMP_DIR) >=
            sizeof(tmp_dir))
        return reg_errorf(REG_EINVAL, "blob store: no usable directory");
    d = opendir(tmp_dir);
    if (!d) {
        if (errno == ENOENT)
            return REG_OK;
        return reg_errorf(REG_ESTORE, "cannot read %s: %s", tmp_dir, strerror(errno));
    }
    for (;;) {
        struct stat sb;

        e = readdir(d);
        if (!e)
            break;
        if (!ends_with(e->d_name, REG_BLOB_TMP_SUFFIX) ||
            fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode) ||
            sb.st_mtime > cutoff)
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            n++;
        else if (errno != ENOENT)
            st = reg_errorf(REG_ESTORE, "cannot remove %s/%s: %s", tmp_dir, e->d_name,
                            strerror(errno));
    }
    closedir(d);
    if (removed)
        *removed = n;
    return st;
}
