/*
 * test_blobstore_faults.c - failure sweeps of the content-addressed blob writer and the
 * start-up sweep (lib/blob/blobstore.c) through the fault shim (tests/unit/fault.h): every
 * system and SHA-256 call of writing a blob (begin, three writes, commit) fails in turn; the
 * writer must answer REG_ESTORE or REG_EINTERNAL naming the call, leave no temp file, and
 * leave either no blob or the whole blob (a failure after the rename: the directory sync).
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blob/blob_test.h"
#include "blob/blobstore.h"
#include "fault.h"

/* Three writes of CHUNK bytes each. */
#define CHUNK (64 * 1024)
#define WRITES 3
#define MAX_BYTES (1 << 20)

struct ctx {
    struct blob_fixture *f;
    unsigned char data[CHUNK];
    struct reg_blob_info info; /* of the last commit that succeeded */
    char sub[REG_BLOB_PATH_MAX], final[REG_BLOB_PATH_MAX];
};

/* Regular files and directories in dir other than "." and ".." (0 if there is no dir). */
static int
entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Begin, WRITES writes and commit; the first failure's status (after an abort). */
static enum reg_status
op_write_blob(void *p)
{
    struct ctx *c = p;
    struct reg_blob_writer w;
    enum reg_status st = reg_blob_begin(&w, c->f->dir, MAX_BYTES);

    for (int i = 0; st == REG_OK && i < WRITES; i++)
        st = reg_blob_write(&w, c->data, sizeof(c->data));
    if (st != REG_OK) {
        reg_blob_abort(&w);
        return st;
    }
    return reg_blob_commit(&w, &c->info);
}

/* Back to a store without the blob or its <2 hex> directory, so that each run is alike. */
static void
remove_blob(void *p)
{
    struct ctx *c = p;

    unlink(c->final);
    rmdir(c->sub);
}

/* After a failure: no temp file; the blob is absent or whole; then back to no blob. */
static void
check_no_half_blob(void *p)
{
    struct ctx *c = p;
    char tmp[REG_BLOB_PATH_MAX];
    struct stat sb;

    snprintf(tmp, sizeof(tmp), "%s/%s", c->f->dir, REG_BLOB_TMP_DIR);
    assert_int_equal(entries_in(tmp), 0);
    if (stat(c->final, &sb) == 0)
        assert_int_equal(sb.st_size, WRITES * CHUNK);
    remove_blob(c);
}

/* A context whose blob was written once (to learn its path) and removed again. */
static struct ctx *
ctx_new(struct blob_fixture *f)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    c->f = f;
    for (size_t i = 0; i < sizeof(c->data); i++)
        c->data[i] = (unsigned char)(i * 7);
    assert_int_equal(op_write_blob(c), REG_OK);
    snprintf(c->sub, sizeof(c->sub), "%s/%.2s", f->dir, c->info.sha256);
    assert_int_equal(reg_blob_path(c->final, sizeof(c->final), f->dir, c->info.sha256), REG_OK);
    assert_int_equal(access(c->final, R_OK), 0);
    remove_blob(c);
    return c;
}

/* Each step of writing a blob fails in turn. */
static void
test_write_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"RAND_bytes", NULL, 0, 0, REG_EINTERNAL, "no random bytes for a temp file name"},
        {"open", "/blobs/tmp/", EACCES, 0, REG_ESTORE, "cannot create temp file"},
        {"EVP_DigestInit_ex", NULL, 0, 0, REG_EINTERNAL, "cannot initialise SHA-256"},
        {"write", "/blobs/tmp/", ENOSPC, 0, REG_ESTORE, "No space left on device"},
        {"EVP_DigestUpdate", NULL, 0, 0, REG_EINTERNAL, "SHA-256 update failed"},
        {"EVP_DigestFinal_ex", NULL, 0, 0, REG_EINTERNAL, "SHA-256 final failed"},
        {"fchmod", "/blobs/tmp/", EPERM, 0, REG_ESTORE, "cannot sync"},
        {"fsync", "/blobs/tmp/", EIO, 0, REG_ESTORE, "cannot sync"},
        {"close", "/blobs/tmp/", EIO, 0, REG_ESTORE, "cannot close"},
        {"rename", "/blobs/tmp/", EXDEV, 0, REG_ESTORE, "cannot rename"},
        {"mkdir", "/blobs/", EACCES, 0, REG_ESTORE, "cannot create directory"},
        /* The directories synced after the rename: the store and the new <2 hex>/. */
        {"open", "/blobs", EMFILE, 2, REG_ESTORE, "cannot open directory"},
        {"open", "/blobs", EMFILE, 3, REG_ESTORE, "cannot open directory"},
        {"fsync", "/blobs", EIO, 2, REG_ESTORE, "cannot sync directory"},
        {"fsync", "/blobs", EIO, 3, REG_ESTORE, "cannot sync directory"},
    };
    static const struct fault_op op = {op_write_blob, remove_blob, check_no_half_blob};
    struct ctx *c = ctx_new(*state);

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    /* And the writer works again: the blob is committed whole, once. */
    assert_int_equal(op_write_blob(c), REG_OK);
    assert_false(c->info.existed);
    assert_int_equal(c->info.size, WRITES * CHUNK);
    free(c);
}

/* A commit of a writer that is not open (committed already) is refused. */
static void
test_commit_twice(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_blob_writer w;
    struct reg_blob_info info;

    assert_int_equal(reg_blob_begin(&w, f->dir, MAX_BYTES), REG_OK);
    assert_int_equal(reg_blob_write(&w, "abc", 3), REG_OK);
    assert_int_equal(reg_blob_commit(&w, &info), REG_OK);
    assert_int_equal(reg_blob_commit(&w, &info), REG_EINTERNAL);
    assert_non_null(strstr(reg_error_detail(), "blob writer is not open"));
}

/* Makes a stale temp file (mtime an hour ago) in the store's tmp/. */
static void
stale_tmp(const struct blob_fixture *f, const char *name)
{
    char path[REG_BLOB_PATH_MAX];
    struct timespec old[2] = {{.tv_sec = time(NULL) - 3600}, {.tv_sec = time(NULL) - 3600}};
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s/%s", f->dir, REG_BLOB_TMP_DIR, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
}

struct sweep_ctx {
    struct blob_fixture *f;
    int removed;
};

static enum reg_status
op_sweep_tmp(void *p)
{
    struct sweep_ctx *c = p;

    return reg_blob_sweep_tmp(c->f->dir, 60, &c->removed);
}

/* Puts the stale file back after a sweep removed it. */
static void
restale(void *p)
{
    struct sweep_ctx *c = p;

    assert_int_equal(c->removed, 1);
    stale_tmp(c->f, "a.part");
}

/* The stale file is still there after a failed sweep. */
static void
check_stale_kept(void *p)
{
    struct sweep_ctx *c = p;
    char tmp[REG_BLOB_PATH_MAX];

    snprintf(tmp, sizeof(tmp), "%s/%s", c->f->dir, REG_BLOB_TMP_DIR);
    assert_int_equal(entries_in(tmp), 1);
}

/* The start-up sweep when tmp/ cannot be read or a stale file cannot be removed. */
static void
test_sweep_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"opendir", "/blobs/tmp", EACCES, 0, REG_ESTORE, "cannot read"},
        {"unlinkat", "a.part", EACCES, 0, REG_ESTORE, "cannot remove"},
    };
    static const struct fault_op op = {op_sweep_tmp, restale, check_stale_kept};
    struct sweep_ctx c = {*state, 0};
    struct reg_blob_writer w;

    /* A begin creates tmp/; the abort leaves it empty. */
    assert_int_equal(reg_blob_begin(&w, c.f->dir, MAX_BYTES), REG_OK);
    reg_blob_abort(&w);
    stale_tmp(c.f, "a.part");
    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, &c);
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, blob_setup_dir, blob_teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_write_faults),
        TEST(test_commit_twice),
        TEST(test_sweep_faults),
    };
#undef TEST

    return cmocka_run_group_tests_name("blob/blobstore_faults", tests, NULL, NULL);
}
