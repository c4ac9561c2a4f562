/*
 * test_blobs_faults.c - failure sweeps of the disk blob store (lib/blob/blobs_disk.c) and of
 * reg_blobs_hash_file (lib/blob/blobs.c) through the fault shim (tests/unit/fault.h): each
 * system or OpenSSL call an operation makes fails in turn, and the operation must answer
 * REG_ESTORE or REG_EINTERNAL naming what failed, leave no temp file behind, keep the object
 * that was there before, and work again once the fault is gone.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "blob/blob_test.h"
#include "blob/blobs.h"
#include "fault.h"

#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define KEY "records/a1/full.json"
#define OLD "{\"old\":true}"
/* More than one 64 KiB chunk, so that copies and reads take several calls. */
#define BIG_SIZE (150 * 1000)

struct ctx {
    struct blob_fixture *f;
    char src[400];      /* a local file holding "abc" (for put_file) */
    char other[400];    /* a file outside the store (hash_file) */
    char value[50000];  /* what meta_put writes */
    struct reg_buf got; /* what a read collects */
};

static enum reg_status
to_buf(void *c, const void *data, size_t len)
{
    return reg_buf_append(&((struct ctx *)c)->got, data, len);
}

/* Entries of directory path other than "." and ".." (0 when there is no such directory). */
static int
entries_in(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;

    if (!d && errno == ENOENT)
        return 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* <store>/rel (one at a time: a static buffer). */
static const char *
in_dir(const struct ctx *c, const char *rel)
{
    static char path[400];

    snprintf(path, sizeof(path), "%s/%s", c->f->dir, rel);
    return path;
}

static void
write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static struct ctx *
ctx_new(struct blob_fixture *f)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    c->f = f;
    snprintf(c->src, sizeof(c->src), "%s/abc.zip", f->root);
    write_file(c->src, "abc", 3);
    memset(c->value, 'v', sizeof(c->value));
    reg_buf_init(&c->got, 1 << 20);
    return c;
}

static void
ctx_free(struct ctx *c)
{
    reg_buf_cleanup(&c->got);
    free(c);
}

/* The store's tmp/ is empty and KEY still holds OLD. */
static void
check_meta_intact(void *p)
{
    struct ctx *c = p;
    struct reg_arena a;
    char tmp[400], *data;
    size_t len;

    snprintf(tmp, sizeof(tmp), "%s/tmp", c->f->dir);
    assert_int_equal(entries_in(tmp), 0);
    reg_arena_init(&a);
    assert_int_equal(reg_blobs_meta_get(c->f->b, &a, KEY, &data, &len), REG_OK);
    assert_int_equal(len, strlen(OLD));
    assert_memory_equal(data, OLD, len);
    reg_arena_cleanup(&a);
}

static enum reg_status
op_meta_put(void *p)
{
    struct ctx *c = p;

    return reg_blobs_meta_put(c->f->b, KEY, c->value, sizeof(c->value));
}

/* Puts OLD back after a run that succeeded, so that each failing run starts from it. */
static void
restore_old(void *p)
{
    struct ctx *c = p;

    assert_int_equal(reg_blobs_meta_put(c->f->b, KEY, OLD, strlen(OLD)), REG_OK);
}

/* Each step of writing a metadata object: the temp name, the temp file, writing, syncing and
 * renaming it into place. A failure leaves the object as it was and no temp file. */
static void
test_meta_put_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"RAND_bytes", NULL, 0, 0, REG_EINTERNAL, "no random bytes for a temp name"},
        {"open", "/blobs/tmp/", EACCES, 0, REG_ESTORE, "cannot create"},
        {"write", "/blobs/tmp/", ENOSPC, 0, REG_ESTORE, "No space left on device"},
        {"fsync", "/blobs/tmp/", EIO, 0, REG_ESTORE, "fsync"},
        {"rename", "/meta/", EXDEV, 0, REG_ESTORE, "cannot rename to"},
        {"mkdir", "/blobs/tmp", EACCES, 0, REG_ESTORE, "cannot create"},
    };
    static const struct fault_op op = {op_meta_put, restore_old, check_meta_intact};
    struct ctx *c = ctx_new(*state);

    restore_old(c);
    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    /* And a later write, unarmed, goes through. */
    assert_int_equal(op_meta_put(c), REG_OK);
    ctx_free(c);
}

static enum reg_status
op_meta_get(void *p)
{
    struct ctx *c = p;
    struct reg_arena a;
    char *data;
    size_t len;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_blobs_meta_get(c->f->b, &a, KEY, &data, &len);
    if (st == REG_OK)
        assert_memory_equal(data, OLD, len);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
op_meta_delete(void *p)
{
    struct ctx *c = p;

    return reg_blobs_meta_delete(c->f->b, KEY);
}

static enum reg_status
count_key(void *p, const char *key)
{
    (void)key;
    (*(int *)p)++;
    return REG_OK;
}

static enum reg_status
op_meta_list(void *p)
{
    struct ctx *c = p;
    int n = 0;
    enum reg_status st = reg_blobs_meta_list(c->f->b, "records/", count_key, &n);

    if (st == REG_OK)
        assert_int_equal(n, 1);
    return st;
}

/* Reading, deleting and listing metadata when the file system refuses: REG_ESTORE with the
 * call that failed, and the object still there afterwards. */
static void
test_meta_read_faults(void **state)
{
    static const struct fault_case get[] = {
        {"open", "/meta/", EACCES, 0, REG_ESTORE, "open"},
        {"read", "/meta/", EIO, 0, REG_ESTORE, "read"},
    };
    static const struct fault_case del = {"unlink", "/meta/",   EACCES,
                                          0,        REG_ESTORE, "cannot remove"};
    static const struct fault_case list = {"opendir", "/meta/", EMFILE, 1, REG_ESTORE, "opendir"};
    static const struct fault_op get_op = {op_meta_get, NULL, check_meta_intact};
    static const struct fault_op del_op = {op_meta_delete, restore_old, check_meta_intact};
    static const struct fault_op list_op = {op_meta_list, NULL, check_meta_intact};
    struct ctx *c = ctx_new(*state);

    restore_old(c);
    for (int i = 0; i < NELEMS(get); i++)
        fault_sweep(&get[i], &get_op, c);
    fault_sweep(&del, &del_op, c);
    fault_sweep(&list, &list_op, c);
    ctx_free(c);
}

/* An object larger than the store allows (written behind its back) is refused, not cut. */
static void
test_meta_too_large(void **state)
{
    struct ctx *c = ctx_new(*state);
    char path[400], *big = calloc(1, REG_BLOBS_META_MAX + 10), *data;
    struct reg_arena a;
    size_t len;

    assert_non_null(big);
    assert_int_equal(reg_blobs_meta_put(c->f->b, KEY, OLD, strlen(OLD)), REG_OK);
    snprintf(path, sizeof(path), "%s/meta/%s", c->f->dir, KEY);
    write_file(path, big, REG_BLOBS_META_MAX + 10);
    reg_arena_init(&a);
    assert_int_equal(reg_blobs_meta_get(c->f->b, &a, KEY, &data, &len), REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "is too large"));
    reg_arena_cleanup(&a);
    free(big);
    ctx_free(c);
}

/* The blob is in the store, whole, with nothing left in tmp/. */
static void
check_blob_intact(void *p)
{
    struct ctx *c = p;
    char tmp[400];

    snprintf(tmp, sizeof(tmp), "%s/tmp", c->f->dir);
    assert_int_equal(entries_in(tmp), 0);
    c->got.len = 0;
    assert_int_equal(reg_blobs_read(c->f->b, ABC_SHA256, 0, -1, to_buf, c), REG_OK);
    assert_int_equal(c->got.len, 3);
    assert_memory_equal(c->got.data, "abc", 3);
}

/* The blob is not in the store, and neither is a temp file or its empty directory. */
static void
check_blob_absent(void *p)
{
    struct ctx *c = p;
    char tmp[400], dir[400];
    int64_t size;
    struct stat sb;

    snprintf(tmp, sizeof(tmp), "%s/tmp", c->f->dir);
    snprintf(dir, sizeof(dir), "%s", in_dir(c, "ba"));
    assert_true(stat(tmp, &sb) != 0 || entries_in(tmp) == 0);
    assert_int_equal(reg_blobs_stat(c->f->b, ABC_SHA256, &size), REG_ENOTFOUND);
    assert_true(stat(dir, &sb) != 0);
    assert_int_equal(access(c->src, R_OK), 0); /* the caller's file stays */
}

static enum reg_status
op_put_file(void *p)
{
    struct ctx *c = p;

    return reg_blobs_put_file(c->f->b, c->src, ABC_SHA256);
}

/* After a put that succeeded: the blob is whole; it is removed, so that each run starts
 * without it. */
static void
unput_file(void *p)
{
    struct ctx *c = p;

    check_blob_intact(c);
    assert_int_equal(reg_blobs_remove(c->f->b, ABC_SHA256), REG_OK);
}

/* The blob of BIG_SIZE zero bytes: its digest, computed once. */
static const char *
big_sha(struct ctx *c)
{
    static char sha[65];
    int64_t size;

    if (!sha[0])
        assert_int_equal(reg_blobs_hash_file(c->src, sha, &size), REG_OK);
    return sha;
}

/* No blob, no temp file, no empty blob directory, and the source still there. */
static void
check_big_absent(void *p)
{
    struct ctx *c = p;
    char tmp[400];
    int64_t size;

    snprintf(tmp, sizeof(tmp), "%s/tmp", c->f->dir);
    assert_true(access(tmp, F_OK) != 0 || entries_in(tmp) == 0);
    assert_int_equal(reg_blobs_stat(c->f->b, big_sha(c), &size), REG_ENOTFOUND);
    char sub[3] = {big_sha(c)[0], big_sha(c)[1], '\0'};

    assert_int_equal(access(in_dir(c, sub), F_OK), -1); /* no empty <2 hex>/ left */
    assert_int_equal(access(c->src, R_OK), 0);
}

static enum reg_status
op_put_big(void *p)
{
    struct ctx *c = p;

    return reg_blobs_put_file(c->f->b, c->src, big_sha(c));
}

/* After a put that succeeded: the blob is whole; it is removed again. */
static void
unput_big(void *p)
{
    struct ctx *c = p;

    c->got.len = 0;
    assert_int_equal(reg_blobs_read(c->f->b, big_sha(c), 0, -1, to_buf, c), REG_OK);
    assert_int_equal(c->got.len, BIG_SIZE);
    assert_int_equal(reg_blobs_remove(c->f->b, big_sha(c)), REG_OK);
}

static void
test_put_file_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"link", "/ba/", EACCES, 0, REG_ESTORE, "cannot link"},
        {"mkdir", "/ba", EACCES, 0, REG_ESTORE, "cannot create"},
    };
    static const struct fault_op op = {op_put_file, unput_file, check_blob_absent};
    struct ctx *c = ctx_new(*state);

    static const struct fault_case chmod_fails = {"chmod", "/ba/", EPERM, 0, REG_ESTORE, "chmod"};
    static const struct fault_op chmod_op = {op_put_file, unput_file, unput_file};
    struct stat sb;

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    /* A failed chmod comes after the link: the blob is in place (whole, since it is the
     * caller's complete file), and a put again (the caller's retry) gives it its mode. */
    fault_sweep(&chmod_fails, &chmod_op, c);
    assert_int_equal(op_put_file(c), REG_OK);
    assert_int_equal(stat(in_dir(c, "ba/" ABC_SHA256 ".zip"), &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0644);
    ctx_free(c);
}

/* The copy a put makes when the source is on another file system (a standing fault makes
 * every link fail with EXDEV): each step of the copy fails in turn. */
static void
test_put_copy_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"open", "/abc.zip", EACCES, 0, REG_ESTORE, "cannot open"},
        {"read", "/abc.zip", EIO, 0, REG_ESTORE, "cannot read"},
        {"RAND_bytes", NULL, 0, 0, REG_EINTERNAL, "no random bytes for a temp name"},
        {"open", "/blobs/tmp/", EACCES, 0, REG_ESTORE, "cannot create"},
        {"write", "/blobs/tmp/", ENOSPC, 0, REG_ESTORE, "cannot write"},
        {"fsync", "/blobs/tmp/", EIO, 0, REG_ESTORE, "fsync"},
        {"rename", "/blobs/tmp/", EACCES, 0, REG_ESTORE, "cannot rename to"},
    };
    static const struct fault_op op = {op_put_big, unput_big, check_big_absent};
    struct ctx *c = ctx_new(*state);
    char *big = calloc(1, BIG_SIZE);

    /* More than one copy chunk, so that reads and writes are swept past the first. */
    assert_non_null(big);
    write_file(c->src, big, BIG_SIZE);
    free(big);
    big_sha(c);
    fault_also("link", "/", EXDEV);
    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    assert_int_equal(op_put_big(c), REG_OK);
    unput_big(c);
    fault_also_off();
    ctx_free(c);
}

static enum reg_status
op_read(void *p)
{
    struct ctx *c = p;

    c->got.len = 0;
    return reg_blobs_read(c->f->b, ABC_SHA256, 0, -1, to_buf, c);
}

static enum reg_status
op_stat(void *p)
{
    struct ctx *c = p;
    int64_t size = 0;
    enum reg_status st = reg_blobs_stat(c->f->b, ABC_SHA256, &size);

    if (st == REG_OK)
        assert_int_equal(size, 3);
    return st;
}

static enum reg_status
op_remove(void *p)
{
    struct ctx *c = p;

    return reg_blobs_remove(c->f->b, ABC_SHA256);
}

static void
put_again(void *p)
{
    struct ctx *c = p;

    assert_int_equal(reg_blobs_put_file(c->f->b, c->src, ABC_SHA256), REG_OK);
}

/* Reading, sizing and removing a blob when the kernel refuses: the store says which call
 * failed, and the blob is still there, whole. */
static void
test_blob_read_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"open", "/ba/", EACCES, 0, REG_ESTORE, "open"},
        {"pread", "/ba/", EIO, 0, REG_ESTORE, "read"},
        {"stat", "/ba/", EACCES, 0, REG_ESTORE, "stat"},
        {"unlink", "/ba/", EACCES, 0, REG_ESTORE, "cannot remove"},
    };
    static const struct fault_op ops[] = {
        {op_read, NULL, check_blob_intact},
        {op_read, NULL, check_blob_intact},
        {op_stat, NULL, check_blob_intact},
        {op_remove, put_again, check_blob_intact},
    };
    struct ctx *c = ctx_new(*state);

    put_again(c);
    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &ops[i], c);
    ctx_free(c);
}

static enum reg_status
op_hash(void *p)
{
    struct ctx *c = p;
    char sha[65];
    int64_t size = -1;
    enum reg_status st = reg_blobs_hash_file(c->other, sha, &size);

    if (st == REG_OK)
        assert_int_equal(size, BIG_SIZE);
    return st;
}

/* Hashing a file when reading it or SHA-256 fails. */
static void
test_hash_file_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"open", "/big", EACCES, 0, REG_ESTORE, "cannot open"},
        {"read", "/big", EIO, 0, REG_ESTORE, "cannot read"},
        {"EVP_DigestInit_ex", NULL, 0, 0, REG_EINTERNAL, "SHA-256 is unavailable"},
        {"EVP_DigestUpdate", NULL, 0, 0, REG_EINTERNAL, "SHA-256 failed"},
        {"EVP_DigestFinal_ex", NULL, 0, 0, REG_EINTERNAL, "SHA-256 failed"},
    };
    struct ctx *c = ctx_new(*state);
    char *big = calloc(1, BIG_SIZE);

    assert_non_null(big);
    snprintf(c->other, sizeof(c->other), "%s/big", c->f->root);
    write_file(c->other, big, BIG_SIZE);
    free(big);
    static const struct fault_op op = {op_hash, NULL, NULL};

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    ctx_free(c);
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, blob_setup_store, blob_teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_meta_put_faults),  TEST(test_meta_read_faults), TEST(test_meta_too_large),
        TEST(test_put_file_faults),  TEST(test_put_copy_faults),  TEST(test_blob_read_faults),
        TEST(test_hash_file_faults),
    };
#undef TEST

    return cmocka_run_group_tests_name("blob/blobs_faults", tests, NULL, NULL);
}
