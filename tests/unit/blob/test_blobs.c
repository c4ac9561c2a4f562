/*
 * test_blobs.c - the blob-store interface (lib/blob/blobs.c) on its disk backend
 * (lib/blob/blobs_disk.c), each test on a fresh store in a temp directory: putting a local file
 * (which stays the caller's; twice; from another file system; a missing one), where and with
 * which mode a blob lands, stat, reads by range, removal with its empty directory, the nginx
 * URI, metadata objects (nested keys, listing by prefix, deletion with empty directories),
 * which keys and digests are refused, hashing a file, and opening the backend from the config.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/config.h"
#include "blob/blob_test.h"
#include "blob/blobs.h"

#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* A blob larger than the backend's 64 KiB read chunk, so that reads take several chunks. */
#define BIG_SIZE (200 * 1000)
/* Keys a listing collects, at most. */
#define MAX_KEYS 32
/* Another file system than the temp directory, when there is one (for the copy path). */
#define OTHER_FS "/dev/shm"

/* ---------------------------------------------------------------- helpers */

/* A file of len bytes at root/name, mode 0600; its path in out. */
static void
write_file(const struct blob_fixture *f, const char *name, const void *data, size_t len, char *out,
           size_t cap)
{
    int fd;

    snprintf(out, cap, "%s/%s", f->root, name);
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* The byte at offset i of the big test blob. */
static unsigned char
big_byte(size_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

/* Whether path exists, and its st in *st. */
static bool
exists(const char *path, struct stat *st)
{
    struct stat tmp;

    return lstat(path, st ? st : &tmp) == 0;
}

/* <store>/rel as a path. */
static const char *
in_store(const struct blob_fixture *f, struct reg_arena *a, const char *rel)
{
    return reg_arena_sprintf(a, "%s/%s", f->dir, rel);
}

/* Entries of directory path other than "." and ".." (-1 when it cannot be opened). */
static int
entries_in(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* A sink collecting a read in a buffer; it fails with fail_with from call fail_at on. */
struct collect {
    struct reg_buf buf;
    int calls;
    int fail_at;
    enum reg_status fail_with;
};

static enum reg_status
to_buf(void *ctx, const void *data, size_t len)
{
    struct collect *c = ctx;

    c->calls++;
    if (c->fail_at > 0 && c->calls >= c->fail_at)
        return reg_errorf(c->fail_with, "the test's sink fails");
    return reg_buf_append(&c->buf, data, len);
}

/* The keys a listing gave, copied. */
struct keys {
    char key[MAX_KEYS][REG_BLOBS_KEY_MAX + 1];
    int n;
    int stop_at; /* fail with REG_ECONFLICT at this key (1-based), 0: never */
};

static enum reg_status
to_keys(void *ctx, const char *key)
{
    struct keys *k = ctx;

    if (k->n >= MAX_KEYS)
        return reg_errorf(REG_EINTERNAL, "too many keys");
    snprintf(k->key[k->n], sizeof(k->key[k->n]), "%s", key);
    k->n++;
    if (k->stop_at > 0 && k->n >= k->stop_at)
        return reg_errorf(REG_ECONFLICT, "the test stops the listing");
    return REG_OK;
}

static int
cmp_keys(const void *x, const void *y)
{
    return strcmp(x, y);
}

/* The keys under prefix, sorted, joined by ' ' (the empty string when there is none). */
static const char *
list(struct reg_blobs *b, struct reg_arena *a, const char *prefix)
{
    struct keys *k = reg_arena_alloc(a, sizeof(*k));
    struct reg_buf out;
    const char *s;

    memset(k, 0, sizeof(*k));
    if (reg_blobs_meta_list(b, prefix, to_keys, k) != REG_OK)
        fail_msg("listing '%s': %s", prefix, reg_error_detail());
    qsort(k->key, (size_t)k->n, sizeof(k->key[0]), cmp_keys);
    reg_buf_init(&out, 64 * 1024);
    for (int i = 0; i < k->n; i++)
        reg_buf_printf(&out, "%s%s", i ? " " : "", k->key[i]);
    s = reg_arena_strndup(a, out.data ? out.data : "", out.len);
    reg_buf_cleanup(&out);
    return s;
}

/* Puts the file at path as blob sha (not checked by the backend: tests pick names freely). */
static void
put_as(struct reg_blobs *b, const char *path, const char *sha)
{
    if (reg_blobs_put_file(b, path, sha) != REG_OK)
        fail_msg("put %s: %s", sha, reg_error_detail());
}

/* ---------------------------------------------------------------- opening */

static void
test_open(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_blobs sentinel = {NULL};
    struct reg_blobs *again = NULL, *none = &sentinel;
    struct reg_arena a;
    struct stat st;

    reg_arena_init(&a);
    assert_string_equal(reg_blobs_name(f->b), "disk");
    assert_true(exists(f->dir, &st) && S_ISDIR(st.st_mode));
    /* an existing directory opens again */
    assert_int_equal(reg_blobs_disk_open(f->dir, &again), REG_OK);
    assert_non_null(again);
    reg_blobs_free(again);
    /* a directory whose parent is missing does not */
    assert_int_equal(reg_blobs_disk_open(reg_arena_sprintf(&a, "%s/no/such/dir", f->root), &none),
                     REG_ESTORE);
    assert_null(none);
    reg_blobs_free(NULL);
    reg_arena_cleanup(&a);
}

/* reg_blobs_open with REGISTRY_BLOBS=disk: the store is <data_dir>/blobs. */
static void
test_open_from_config(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_config cfg;
    struct reg_blobs sentinel = {NULL};
    struct reg_blobs *b = NULL;
    struct reg_arena a;
    char src[512];
    int64_t size;

    reg_arena_init(&a);
    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = reg_arena_sprintf(&a, "%s/data", f->root);
    cfg.blobs = "disk";
    assert_int_equal(mkdir(cfg.data_dir, 0755), 0);
    assert_int_equal(reg_blobs_open(&cfg, &b), REG_OK);
    assert_non_null(b);
    assert_string_equal(reg_blobs_name(b), "disk");
    write_file(f, "abc", "abc", 3, src, sizeof(src));
    put_as(b, src, ABC_SHA256);
    assert_true(
        exists(reg_arena_sprintf(&a, "%s/blobs/ba/%s.zip", cfg.data_dir, ABC_SHA256), NULL));
    assert_int_equal(reg_blobs_stat(b, ABC_SHA256, &size), REG_OK);
    assert_int_equal(size, 3);
    reg_blobs_free(b);

    cfg.blobs = "tape";
    b = &sentinel;
    assert_int_equal(reg_blobs_open(&cfg, &b), REG_EINVAL);
    assert_null(b);
    assert_non_null(strstr(reg_error_detail(), "disk or s3"));
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- blobs */

static void
test_put_file(void **state)
{
    struct blob_fixture *f = *state;
    char src[512], copy[512];
    const char *blob;
    struct reg_arena a;
    struct stat st;
    int64_t size;

    reg_arena_init(&a);
    write_file(f, "abc", "abc", 3, src, sizeof(src));
    assert_int_equal(reg_blobs_put_file(f->b, src, ABC_SHA256), REG_OK);
    /* the caller's file stays where it was */
    assert_true(exists(src, &st) && S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 3);
    /* the blob is <dir>/<2 hex>/<sha>.zip, a regular file readable by nginx */
    blob = in_store(f, &a, "ba/" ABC_SHA256 ".zip");
    assert_true(exists(blob, &st));
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(st.st_size, 3);
    assert_int_equal(reg_blobs_stat(f->b, ABC_SHA256, &size), REG_OK);
    assert_int_equal(size, 3);

    /* twice, and from another file with the same bytes */
    assert_int_equal(reg_blobs_put_file(f->b, src, ABC_SHA256), REG_OK);
    write_file(f, "abc-again", "abc", 3, copy, sizeof(copy));
    assert_int_equal(reg_blobs_put_file(f->b, copy, ABC_SHA256), REG_OK);
    assert_true(exists(copy, NULL));
    assert_int_equal(entries_in(in_store(f, &a, "ba")), 1);
    assert_int_equal(reg_blobs_stat(f->b, ABC_SHA256, &size), REG_OK);
    assert_int_equal(size, 3);

    /* the caller may remove its file: the blob stays */
    assert_int_equal(unlink(src), 0);
    assert_int_equal(unlink(copy), 0);
    assert_true(exists(blob, NULL));
    assert_int_equal(reg_blobs_stat(f->b, ABC_SHA256, &size), REG_OK);
    reg_arena_cleanup(&a);
}

/* A file on another file system is copied in (through tmp/, left empty). */
static void
test_put_file_other_fs(void **state)
{
    struct blob_fixture *f = *state;
    char src[] = OTHER_FS "/blobstest.XXXXXX";
    struct stat here, there;
    struct collect c = {0};
    struct reg_arena a;
    int fd;

    reg_arena_init(&a);
    fd = exists(OTHER_FS, &there) ? mkstemp(src) : -1;
    if (fd < 0 || stat(f->root, &here) != 0 || here.st_dev == there.st_dev) {
        if (fd >= 0) {
            close(fd);
            unlink(src);
        }
        reg_arena_cleanup(&a);
        skip(); /* no second file system here */
    }
    assert_int_equal(write(fd, "abc", 3), 3);
    assert_int_equal(close(fd), 0);
    assert_int_equal(reg_blobs_put_file(f->b, src, ABC_SHA256), REG_OK);
    assert_true(exists(src, NULL));
    unlink(src);
    assert_true(exists(in_store(f, &a, "ba/" ABC_SHA256 ".zip"), &here));
    assert_int_equal(here.st_mode & 07777, 0644);
    assert_int_equal(entries_in(in_store(f, &a, "tmp")), 0);
    reg_buf_init(&c.buf, 1024);
    assert_int_equal(reg_blobs_read(f->b, ABC_SHA256, 0, -1, to_buf, &c), REG_OK);
    assert_int_equal(c.buf.len, 3);
    assert_memory_equal(c.buf.data, "abc", 3);
    reg_buf_cleanup(&c.buf);
    reg_arena_cleanup(&a);
}

/* A file that does not exist: refused, and nothing is left in the store. */
static void
test_put_missing_file(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_arena a;
    int64_t size;
    bool left;

    reg_arena_init(&a);
    assert_int_equal(
        reg_blobs_put_file(f->b, reg_arena_sprintf(&a, "%s/nothing", f->root), ABC_SHA256),
        REG_ESTORE);
    assert_int_equal(reg_blobs_stat(f->b, ABC_SHA256, &size), REG_ENOTFOUND);
    left = exists(in_store(f, &a, "ba"), NULL);
    reg_arena_cleanup(&a);
    assert_false(left); /* not even an empty directory */
}

static void
test_stat(void **state)
{
    struct blob_fixture *f = *state;
    char src[512];
    int64_t size = -5;

    write_file(f, "empty", "", 0, src, sizeof(src));
    put_as(f->b, src, EMPTY_SHA256);
    assert_int_equal(reg_blobs_stat(f->b, EMPTY_SHA256, &size), REG_OK);
    assert_int_equal(size, 0);
    assert_int_equal(reg_blobs_stat(f->b, ABC_SHA256, &size), REG_ENOTFOUND);
}

static void
test_read(void **state)
{
    static const struct {
        int64_t offset, len;
    } ranges[] = {
        {0, -1},              /* whole */
        {0, BIG_SIZE},        /* whole, by its length */
        {70000, 100000},      /* a middle range across chunks */
        {1, 1},               /* one byte */
        {BIG_SIZE - 1, -1},   /* the last byte */
        {BIG_SIZE - 10, 10},  /* up to the end exactly */
        {BIG_SIZE, -1},       /* offset at the end: nothing */
        {BIG_SIZE, 0},        /* nothing */
        {5, 0},               /* nothing */
        {BIG_SIZE + 100, -1}, /* past the end: nothing */
    };
    struct blob_fixture *f = *state;
    unsigned char *big = malloc(BIG_SIZE);
    const char *sha = "1111111111111111111111111111111111111111111111111111111111111111";
    char src[512];
    int bad = 0;

    assert_non_null(big);
    for (size_t i = 0; i < BIG_SIZE; i++)
        big[i] = big_byte(i);
    write_file(f, "big", big, BIG_SIZE, src, sizeof(src));
    put_as(f->b, src, sha);
    for (int i = 0; i < NELEMS(ranges); i++) {
        int64_t off = ranges[i].offset, len = ranges[i].len;
        int64_t want = len >= 0 ? len : (off < BIG_SIZE ? BIG_SIZE - off : 0);
        struct collect c = {0};
        enum reg_status st;

        reg_buf_init(&c.buf, 2 * BIG_SIZE);
        st = reg_blobs_read(f->b, sha, off, len, to_buf, &c);
        CHECK(&bad, st == REG_OK, "read [%lld, +%lld): %s", (long long)off, (long long)len,
              reg_error_detail());
        CHECK(&bad, (int64_t)c.buf.len == want, "read [%lld, +%lld): %zu bytes, want %lld",
              (long long)off, (long long)len, c.buf.len, (long long)want);
        CHECK(&bad,
              (int64_t)c.buf.len != want || want == 0 ||
                  memcmp(c.buf.data, big + off, (size_t)want) == 0,
              "read [%lld, +%lld): other bytes", (long long)off, (long long)len);
        reg_buf_cleanup(&c.buf);
    }
    assert_int_equal(bad, 0);

    /* errors: a range past the end, bad ranges, a missing blob, a failing sink */
    {
        struct collect c = {0};

        reg_buf_init(&c.buf, 2 * BIG_SIZE);
        assert_int_not_equal(reg_blobs_read(f->b, sha, BIG_SIZE - 10, 20, to_buf, &c), REG_OK);
        assert_int_not_equal(reg_blobs_read(f->b, sha, BIG_SIZE, 1, to_buf, &c), REG_OK);
        assert_int_equal(reg_blobs_read(f->b, sha, -1, 10, to_buf, &c), REG_EINVAL);
        assert_int_equal(reg_blobs_read(f->b, sha, 0, -2, to_buf, &c), REG_EINVAL);
        assert_int_equal(reg_blobs_read(f->b, ABC_SHA256, 0, -1, to_buf, &c), REG_ENOTFOUND);
        reg_buf_reset(&c.buf);
        c.calls = 0;
        c.fail_at = 2;
        c.fail_with = REG_ENOSPACE;
        assert_int_equal(reg_blobs_read(f->b, sha, 0, -1, to_buf, &c), REG_ENOSPACE);
        assert_int_equal(c.calls, 2);
        reg_buf_cleanup(&c.buf);
    }
    free(big);
}

static void
test_remove(void **state)
{
    struct blob_fixture *f = *state;
    const char *ab0 = "ab00000000000000000000000000000000000000000000000000000000000000";
    const char *ab1 = "ab11111111111111111111111111111111111111111111111111111111111111";
    struct reg_arena a;
    char src[512];
    int64_t size;

    reg_arena_init(&a);
    write_file(f, "abc", "abc", 3, src, sizeof(src));
    put_as(f->b, src, ABC_SHA256);
    assert_int_equal(reg_blobs_remove(f->b, ABC_SHA256), REG_OK);
    assert_int_equal(reg_blobs_stat(f->b, ABC_SHA256, &size), REG_ENOTFOUND);
    assert_false(exists(in_store(f, &a, "ba/" ABC_SHA256 ".zip"), NULL));
    assert_false(exists(in_store(f, &a, "ba"), NULL)); /* its emptied directory too */
    assert_true(exists(src, NULL));                    /* the caller's file stays */
    /* a missing blob is a success, twice */
    assert_int_equal(reg_blobs_remove(f->b, ABC_SHA256), REG_OK);
    assert_int_equal(reg_blobs_remove(f->b, EMPTY_SHA256), REG_OK);

    /* two blobs in one directory: it goes with the second */
    put_as(f->b, src, ab0);
    put_as(f->b, src, ab1);
    assert_int_equal(entries_in(in_store(f, &a, "ab")), 2);
    assert_int_equal(reg_blobs_remove(f->b, ab0), REG_OK);
    assert_int_equal(entries_in(in_store(f, &a, "ab")), 1);
    assert_int_equal(reg_blobs_stat(f->b, ab1, &size), REG_OK);
    assert_int_equal(reg_blobs_remove(f->b, ab1), REG_OK);
    assert_false(exists(in_store(f, &a, "ab"), NULL));
    assert_true(exists(f->dir, NULL)); /* the store itself stays */
    reg_arena_cleanup(&a);
}

static void
test_accel_uri(void **state)
{
    struct blob_fixture *f = *state;
    const char *uri = NULL;
    struct reg_arena a;

    reg_arena_init(&a);
    /* the URI does not depend on the blob being there */
    assert_int_equal(reg_blobs_accel_uri(f->b, &a, ABC_SHA256, &uri), REG_OK);
    assert_string_equal(uri, "/_bundles/ba/" ABC_SHA256 ".zip");
    assert_int_equal(reg_blobs_accel_uri(f->b, &a, EMPTY_SHA256, &uri), REG_OK);
    assert_string_equal(uri, "/_bundles/e3/" EMPTY_SHA256 ".zip");
    reg_arena_cleanup(&a);
}

/* Every blob function refuses what is not 64 lowercase hex digits. */
static void
test_bad_digests(void **state)
{
    static const char *const bad_digests[] = {
        NULL,
        "",
        "ba7816bf",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
        "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "../../../../etc/passwd",
        "ba/7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2001 ad",
    };
    struct blob_fixture *f = *state;
    struct collect c = {0};
    struct reg_arena a;
    const char *uri;
    char src[512];
    int64_t size;
    int bad = 0;

    reg_arena_init(&a);
    reg_buf_init(&c.buf, 1024);
    write_file(f, "abc", "abc", 3, src, sizeof(src));
    for (int i = 0; i < NELEMS(bad_digests); i++) {
        const char *d = bad_digests[i];
        const char *name = d ? d : "(null)";

        CHECK(&bad, reg_blobs_put_file(f->b, src, d) == REG_EINVAL, "put_file %s", name);
        CHECK(&bad, reg_blobs_stat(f->b, d, &size) == REG_EINVAL, "stat %s", name);
        CHECK(&bad, reg_blobs_read(f->b, d, 0, -1, to_buf, &c) == REG_EINVAL, "read %s", name);
        CHECK(&bad, reg_blobs_remove(f->b, d) == REG_EINVAL, "remove %s", name);
        CHECK(&bad, reg_blobs_accel_uri(f->b, &a, d, &uri) == REG_EINVAL, "accel_uri %s", name);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(c.calls, 0);
    /* nothing was written: the store holds no directory but its own */
    assert_int_equal(entries_in(f->dir), 0);
    reg_buf_cleanup(&c.buf);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- metadata objects */

static void
test_meta_put_get(void **state)
{
    struct blob_fixture *f = *state;
    static const unsigned char binary[] = {0, 1, 2, 0xff, 0, '\n'};
    char *big = malloc(REG_BLOBS_META_MAX + 1);
    struct reg_arena a;
    char *data;
    size_t len;

    assert_non_null(big);
    memset(big, 'x', REG_BLOBS_META_MAX + 1);
    reg_arena_init(&a);
    assert_int_equal(reg_blobs_meta_put(f->b, "records/123/full.json", "{\"a\":1}", 7), REG_OK);
    assert_true(exists(in_store(f, &a, "meta/records/123/full.json"), NULL));
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "records/123/full.json", &data, &len), REG_OK);
    assert_int_equal(len, 7);
    assert_string_equal(data, "{\"a\":1}"); /* NUL-terminated */

    /* replaced whole by a shorter object */
    assert_int_equal(reg_blobs_meta_put(f->b, "records/123/full.json", "{}", 2), REG_OK);
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "records/123/full.json", &data, &len), REG_OK);
    assert_int_equal(len, 2);
    assert_string_equal(data, "{}");

    /* empty, binary, top-level, deep, and the largest object */
    assert_int_equal(reg_blobs_meta_put(f->b, "empty", "", 0), REG_OK);
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "empty", &data, &len), REG_OK);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    assert_int_equal(reg_blobs_meta_put(f->b, "bin/x.y-z_1", binary, sizeof(binary)), REG_OK);
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "bin/x.y-z_1", &data, &len), REG_OK);
    assert_int_equal(len, sizeof(binary));
    assert_memory_equal(data, binary, sizeof(binary));
    assert_int_equal(reg_blobs_meta_put(f->b, "a/b/c/d/e/f/g", "deep", 4), REG_OK);
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "a/b/c/d/e/f/g", &data, &len), REG_OK);
    assert_string_equal(data, "deep");
    assert_int_equal(reg_blobs_meta_put(f->b, "big", big, REG_BLOBS_META_MAX), REG_OK);
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "big", &data, &len), REG_OK);
    assert_int_equal(len, REG_BLOBS_META_MAX);
    assert_memory_equal(data, big, REG_BLOBS_META_MAX);
    assert_int_equal(reg_blobs_meta_put(f->b, "big", big, REG_BLOBS_META_MAX + 1), REG_EINVAL);

    /* missing objects */
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "records/124/full.json", &data, &len),
                     REG_ENOTFOUND);
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "nothing", &data, &len), REG_ENOTFOUND);
    /* written through tmp/, which is left empty */
    assert_int_equal(entries_in(in_store(f, &a, "tmp")), 0);
    reg_arena_cleanup(&a);
    free(big);
}

static void
test_meta_list(void **state)
{
    static const char *const keys[] = {
        "records/1/full.json", "records/1/card.json", "records/12/full.json",
        "refs/aa/1.full",      "refs/aa/12.full",     "top",
    };
    static const struct {
        const char *prefix, *want;
    } cases[] = {
        {"records/", "records/1/card.json records/1/full.json records/12/full.json"},
        {"records/1/", "records/1/card.json records/1/full.json"},
        {"records/1", "records/1/card.json records/1/full.json records/12/full.json"},
        {"records/1/f", "records/1/full.json"},
        {"records/1/full.json", "records/1/full.json"},
        {"records", "records/1/card.json records/1/full.json records/12/full.json"},
        {"r", "records/1/card.json records/1/full.json records/12/full.json refs/aa/1.full "
              "refs/aa/12.full"},
        {"refs/aa/", "refs/aa/1.full refs/aa/12.full"},
        {"refs/aa/1.", "refs/aa/1.full"},
        {"t", "top"},
        {"top", "top"},
        /* prefixes nothing starts with */
        {"records/9/", ""},
        {"records/9", ""},
        {"records/1/full.json.x", ""},
        {"nothing/", ""},
        {"nothing/deeper/", ""},
        {"x", ""},
        {"top/", ""},
    };
    struct blob_fixture *f = *state;
    struct reg_arena a;
    struct keys k;
    int bad = 0;

    reg_arena_init(&a);
    /* a store without a meta/ directory yet lists nothing */
    assert_string_equal(list(f->b, &a, "records/"), "");
    for (int i = 0; i < NELEMS(keys); i++)
        assert_int_equal(reg_blobs_meta_put(f->b, keys[i], "x", 1), REG_OK);
    for (int i = 0; i < NELEMS(cases); i++) {
        struct keys *got = reg_arena_alloc(&a, sizeof(*got));
        enum reg_status st;
        struct reg_buf out;

        memset(got, 0, sizeof(*got));
        st = reg_blobs_meta_list(f->b, cases[i].prefix, to_keys, got);
        qsort(got->key, (size_t)got->n, sizeof(got->key[0]), cmp_keys);
        reg_buf_init(&out, 64 * 1024);
        for (int j = 0; j < got->n; j++)
            reg_buf_printf(&out, "%s%s", j ? " " : "", got->key[j]);
        CHECK(&bad, st == REG_OK, "list '%s': %s (%s)", cases[i].prefix, reg_status_name(st),
              reg_error_detail());
        CHECK(&bad, strcmp(out.data ? out.data : "", cases[i].want) == 0,
              "list '%s': [%s], want [%s]", cases[i].prefix, out.data ? out.data : "",
              cases[i].want);
        reg_buf_cleanup(&out);
    }

    /* the callback's status stops the listing */
    memset(&k, 0, sizeof(k));
    k.stop_at = 1;
    assert_int_equal(reg_blobs_meta_list(f->b, "records/", to_keys, &k), REG_ECONFLICT);
    assert_int_equal(k.n, 1);
    /* refused prefixes */
    assert_int_equal(reg_blobs_meta_list(f->b, "", to_keys, &k), REG_EINVAL);
    assert_int_equal(reg_blobs_meta_list(f->b, "../", to_keys, &k), REG_EINVAL);
    assert_int_equal(reg_blobs_meta_list(f->b, "records//", to_keys, &k), REG_EINVAL);
    assert_int_equal(reg_blobs_meta_list(f->b, NULL, to_keys, &k), REG_EINVAL);
    assert_int_equal(k.n, 1);
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

static void
test_meta_delete(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_arena a;
    char *data;
    size_t len;

    reg_arena_init(&a);
    assert_int_equal(reg_blobs_meta_put(f->b, "records/1/full.json", "1", 1), REG_OK);
    assert_int_equal(reg_blobs_meta_put(f->b, "records/1/card.json", "2", 1), REG_OK);
    assert_int_equal(reg_blobs_meta_put(f->b, "records/12/full.json", "3", 1), REG_OK);
    assert_int_equal(reg_blobs_meta_put(f->b, "a/b/c/d", "4", 1), REG_OK);

    assert_int_equal(reg_blobs_meta_delete(f->b, "records/12/full.json"), REG_OK);
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "records/12/full.json", &data, &len),
                     REG_ENOTFOUND);
    assert_false(exists(in_store(f, &a, "meta/records/12"), NULL)); /* emptied: removed */
    assert_true(exists(in_store(f, &a, "meta/records/1"), NULL));

    assert_int_equal(reg_blobs_meta_delete(f->b, "records/1/full.json"), REG_OK);
    assert_true(exists(in_store(f, &a, "meta/records/1"), NULL)); /* card.json is left */
    assert_int_equal(reg_blobs_meta_get(f->b, &a, "records/1/card.json", &data, &len), REG_OK);
    assert_int_equal(reg_blobs_meta_delete(f->b, "records/1/card.json"), REG_OK);
    assert_false(exists(in_store(f, &a, "meta/records"), NULL));
    assert_int_equal(reg_blobs_meta_delete(f->b, "a/b/c/d"), REG_OK);
    assert_false(exists(in_store(f, &a, "meta/a"), NULL));
    /* meta/ itself stays, empty */
    assert_int_equal(entries_in(in_store(f, &a, "meta")), 0);
    assert_string_equal(list(f->b, &a, "records/"), "");

    /* deleting what is not there is a success */
    assert_int_equal(reg_blobs_meta_delete(f->b, "records/1/card.json"), REG_OK);
    assert_int_equal(reg_blobs_meta_delete(f->b, "never/was"), REG_OK);
    assert_int_equal(entries_in(in_store(f, &a, "meta")), 0);
    reg_arena_cleanup(&a);
}

/* Metadata functions refuse bad keys, without touching the store. */
static void
test_meta_bad_keys(void **state)
{
    static const char *const keys[] = {"",    "..",   "a/../b",           "../x", "/abs", "a//b",
                                       "a b", "a\\b", "records/1/%2e%2e", "."};
    struct blob_fixture *f = *state;
    struct reg_arena a;
    char *data;
    size_t len;
    int bad = 0;

    reg_arena_init(&a);
    for (int i = 0; i < NELEMS(keys); i++) {
        CHECK(&bad, reg_blobs_meta_put(f->b, keys[i], "x", 1) == REG_EINVAL, "put '%s'", keys[i]);
        CHECK(&bad, reg_blobs_meta_get(f->b, &a, keys[i], &data, &len) == REG_EINVAL, "get '%s'",
              keys[i]);
        CHECK(&bad, reg_blobs_meta_delete(f->b, keys[i]) == REG_EINVAL, "delete '%s'", keys[i]);
    }
    CHECK(&bad, reg_blobs_meta_put(f->b, NULL, "x", 1) == REG_EINVAL, "put NULL");
    assert_false(exists(in_store(f, &a, "meta"), NULL));
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

static void
test_key_ok(void **state)
{
    static const struct {
        const char *key;
        bool ok;
    } cases[] = {
        {"a", true},
        {"a/b", true},
        {"records/123/full.json", true},
        {"refs/ba7816bf/123.full", true},
        {"A-Z_a-z.0-9", true},
        {"a/b/", true}, /* a prefix */
        {".hidden", true},
        {"a/.b", true},
        {"a/b..c", true},
        {"...x", true},
        {"", false},
        {"..", false},
        {".", false},
        {"...", false},
        {"a/../b", false},
        {"a/./b", false},
        {"a/..", false},
        {"../a", false},
        {"/a", false},
        {"/", false},
        {"a//b", false},
        {"a b", false},
        {"a\tb", false},
        {"a\\b", false},
        {"a:b", false},
        {"a%2fb", false},
        {"caf\xc3\xa9", false},
        {"a?b", false},
        {"a*", false},
    };
    char key[REG_BLOBS_KEY_MAX + 2];
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++)
        CHECK(&bad, reg_blobs_key_ok(cases[i].key) == cases[i].ok, "'%s': want %s", cases[i].key,
              cases[i].ok ? "ok" : "refused");
    CHECK(&bad, !reg_blobs_key_ok(NULL), "NULL");
    /* the longest key, and one byte more */
    memset(key, 'k', sizeof(key));
    key[REG_BLOBS_KEY_MAX] = '\0';
    CHECK(&bad, reg_blobs_key_ok(key), "a key of %d bytes", REG_BLOBS_KEY_MAX);
    key[REG_BLOBS_KEY_MAX] = 'k';
    key[REG_BLOBS_KEY_MAX + 1] = '\0';
    CHECK(&bad, !reg_blobs_key_ok(key), "a key of %d bytes", REG_BLOBS_KEY_MAX + 1);
    assert_int_equal(bad, 0);
}

/* ---------------------------------------------------------------- hashing */

static void
test_hash_file(void **state)
{
    struct blob_fixture *f = *state;
    unsigned char *big = malloc(BIG_SIZE), digest[32];
    char sha[65], want[65], path[512];
    struct reg_arena a;
    int64_t size = -1;
    unsigned int dlen = 0;

    assert_non_null(big);
    reg_arena_init(&a);
    write_file(f, "abc", "abc", 3, path, sizeof(path));
    assert_int_equal(reg_blobs_hash_file(path, sha, &size), REG_OK);
    assert_string_equal(sha, ABC_SHA256);
    assert_int_equal(size, 3);

    write_file(f, "empty", "", 0, path, sizeof(path));
    assert_int_equal(reg_blobs_hash_file(path, sha, &size), REG_OK);
    assert_string_equal(sha, EMPTY_SHA256);
    assert_int_equal(size, 0);

    /* a file of several read chunks, against a one-shot digest */
    for (size_t i = 0; i < BIG_SIZE; i++)
        big[i] = big_byte(i);
    write_file(f, "big", big, BIG_SIZE, path, sizeof(path));
    assert_int_equal(EVP_Digest(big, BIG_SIZE, digest, &dlen, EVP_sha256(), NULL), 1);
    for (int i = 0; i < 32; i++)
        snprintf(want + 2 * i, 3, "%02x", digest[i]);
    assert_int_equal(reg_blobs_hash_file(path, sha, &size), REG_OK);
    assert_string_equal(sha, want);
    assert_int_equal(size, BIG_SIZE);

    assert_int_equal(reg_blobs_hash_file(reg_arena_sprintf(&a, "%s/nothing", f->root), sha, &size),
                     REG_ESTORE);
    reg_arena_cleanup(&a);
    free(big);
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, blob_setup_store, blob_teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_open),
        TEST(test_open_from_config),
        TEST(test_put_file),
        TEST(test_put_file_other_fs),
        TEST(test_put_missing_file),
        TEST(test_stat),
        TEST(test_read),
        TEST(test_remove),
        TEST(test_accel_uri),
        TEST(test_bad_digests),
        TEST(test_meta_put_get),
        TEST(test_meta_list),
        TEST(test_meta_delete),
        TEST(test_meta_bad_keys),
        cmocka_unit_test(test_key_ok),
        TEST(test_hash_file),
    };
#undef TEST

    return cmocka_run_group_tests_name("blob/blobs", tests, NULL, NULL);
}
