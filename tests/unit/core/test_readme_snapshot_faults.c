/*
 * test_readme_snapshot_faults.c - failure sweeps of the README snapshot (core/readme_snapshot.h)
 * through the fault shim (tests/unit/fault.h): each call of building, publishing and mapping a
 * new generation's file fails in turn (create, fdopen, every fwrite, fclose, rename, mmap, the
 * lock). The sync must answer REG_ESTORE naming the call, leave no temp file, and leave the
 * mapping of the previous generation readable; the next sync, unarmed, succeeds. Also damaged
 * indexes (a bad id, out of order, a count that does not fill the file) are refused and rebuilt.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/limits.h"
#include "core/readme_snapshot.h"
#include "core/store_fixture.h"
#include "fault.h"
#include "store/store.h"
#include "tmpdir_fixture.h"

/* The file layout's offsets (readme_snapshot.c): the header's count and index_off, and the
 * size of an index entry (its id first). */
#define HDR_COUNT 16
#define HDR_INDEX_OFF 24
#define ENTRY_SIZE 56

struct fixture {
    struct store_fixture s;
    char dir[PATH_MAX];
    struct reg_readme_snapshot *old; /* mapped at gen_old */
    uint64_t gen_old, gen_new;
    const char *ids[3];
};

/* Two READMEs mapped at one generation, then a third added (the next generation). */
static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    store_fixture_init(&f->s, 1000);
    tmpdir_make(f->dir, sizeof(f->dir), NULL, "reg-test-snapfaults");
    f->ids[0] = store_fixture_add(&f->s, REG_TYPE_MODEL, "a", "first readme");
    f->ids[1] = store_fixture_add(&f->s, REG_TYPE_MODEL, "b", "second readme");
    f->gen_old = store_fixture_generation(f->s.store);
    assert_int_equal(reg_readme_snapshot_new(f->dir, REG_README_SNAPSHOT_MAX, &f->old), REG_OK);
    assert_int_equal(reg_readme_snapshot_sync(f->old, f->s.store, f->gen_old), REG_OK);
    f->ids[2] = store_fixture_add(&f->s, REG_TYPE_MODEL, "c", "third readme");
    f->gen_new = store_fixture_generation(f->s.store);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_readme_snapshot_free(f->old);
    store_fixture_cleanup(&f->s);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static const char *
snap_path(struct fixture *f, uint64_t gen)
{
    return reg_arena_sprintf(&f->s.arena, "%s/readmes-%llu.snap", f->dir, (unsigned long long)gen);
}

/* Files of the directory whose name contains part. */
static int
files_with(struct fixture *f, const char *part)
{
    DIR *d = opendir(f->dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

static bool
finds(const struct reg_readme_snapshot *s, const char *id, const char *want)
{
    const char *text;
    size_t len;

    return reg_readme_snapshot_find(s, id, &text, &len) && len == strlen(want) &&
           memcmp(text, want, len) == 0;
}

/* A fresh handle syncs to the new generation; on success it holds all three READMEs. */
static enum reg_status
op_sync_new(void *p)
{
    struct fixture *f = p;
    struct reg_readme_snapshot *s;
    enum reg_status st;

    assert_int_equal(reg_readme_snapshot_new(f->dir, REG_README_SNAPSHOT_MAX, &s), REG_OK);
    st = reg_readme_snapshot_sync(s, f->s.store, f->gen_new);
    if (st == REG_OK) {
        assert_true(reg_readme_snapshot_ready(s, f->gen_new));
        assert_true(finds(s, f->ids[2], "third readme"));
    } else {
        assert_false(reg_readme_snapshot_ready(s, f->gen_new));
    }
    reg_readme_snapshot_free(s);
    return st;
}

/* Back to no file of the new generation, so that each run builds it. */
static void
remove_new(void *p)
{
    struct fixture *f = p;

    unlink(snap_path(f, f->gen_new));
}

/* After a failure: no temp file, the old mapping still reads, and a file of the new generation
 * only if it was published whole (the failure came after the rename: the mmap). */
static void
check_after_failure(void *p)
{
    struct fixture *f = p;

    assert_int_equal(files_with(f, ".tmp"), 0);
    assert_true(reg_readme_snapshot_ready(f->old, f->gen_old));
    assert_true(finds(f->old, f->ids[0], "first readme"));
    assert_true(finds(f->old, f->ids[1], "second readme"));
    remove_new(f);
}

static void
test_build_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"open", ".tmp-", EACCES, 0, REG_ESTORE, "create"},
        {"fdopen", ".tmp-", ENOMEM, 0, REG_ESTORE, "fdopen"},
        /* each README's text and NUL, the index, then the header: "write" or "header" */
        {"fwrite", ".tmp-", ENOSPC, 0, REG_ESTORE, "README snapshot: "},
        {"fclose", ".tmp-", EIO, 0, REG_ESTORE, "close"},
        {"rename", ".tmp-", EXDEV, 0, REG_ESTORE, "rename"},
        {"mmap", "readmes-", ENOMEM, 0, REG_ESTORE, "mmap"},
        {"open", "readmes.lock", EACCES, 0, REG_ESTORE, "open"},
        {"fcntl", "readmes.lock", ENOLCK, 0, REG_ESTORE, "lock"},
        /* Opening the new file to map it once built (calls 1 and 2 look for another
         * process's file: any failure there is a reason to build, 3 creates the temp file). */
        {"open", "readmes-", EIO, 4, REG_ESTORE, "Input/output error"},
        {"fstat", "readmes-", EIO, 0, REG_ESTORE, "truncated"},
    };
    static const struct fault_op op = {op_sync_new, remove_new, check_after_failure};
    struct fixture *f = *state;

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, f);
    assert_int_equal(op_sync_new(f), REG_OK);
    assert_int_equal(files_with(f, ".snap"), 1);
}

/* A handle whose generation failed answers the failure again without another attempt. */
static void
test_failed_generation_remembered(void **state)
{
    struct fixture *f = *state;
    struct reg_readme_snapshot *s;

    assert_int_equal(reg_readme_snapshot_new(f->dir, REG_README_SNAPSHOT_MAX, &s), REG_OK);
    fault_fail("rename", ".tmp-", 1, EIO);
    assert_int_equal(reg_readme_snapshot_sync(s, f->s.store, f->gen_new), REG_ESTORE);
    fault_count("open", ".tmp-");
    assert_int_equal(reg_readme_snapshot_sync(s, f->s.store, f->gen_new), REG_ESTORE);
    assert_int_equal(fault_calls(), 0);
    fault_off();
    assert_non_null(strstr(reg_error_detail(), "failed"));
    reg_readme_snapshot_free(s);
}

/* Rewrites len bytes of the file at path, from at. */
static void
poke(const char *path, off_t at, const void *data, size_t len)
{
    int fd = open(path, O_RDWR);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, at), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static uint64_t
peek(const char *path, off_t at)
{
    int fd = open(path, O_RDONLY);
    uint64_t v = 0;

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &v, sizeof(v), at), (ssize_t)sizeof(v));
    assert_int_equal(close(fd), 0);
    return v;
}

/* A damaged index in a file of the right size and generation: refused with its reason, and
 * rebuilt from a store without READMEs (so a handle that had used it would find a text). */
static void
test_damaged_index(void **state)
{
    static const char *const cases[] = {"bad id", "out of order", "count"};
    static const char *const reasons[] = {"bad id in the index", "index out of order",
                                          "index does not fill the file"};
    struct fixture *f = *state;
    const char *path = snap_path(f, f->gen_old);
    struct reg_store *empty;
    struct stat sb;
    char *good;
    int gfd = open(path, O_RDONLY);

    /* The good file's bytes, put back before each case. */
    assert_true(gfd >= 0);
    assert_int_equal(fstat(gfd, &sb), 0);
    good = malloc((size_t)sb.st_size);
    assert_non_null(good);
    assert_int_equal(read(gfd, good, (size_t)sb.st_size), sb.st_size);
    assert_int_equal(close(gfd), 0);
    assert_int_equal(reg_store_sqlite_open(":memory:", &empty), REG_OK);
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_readme_snapshot *s;
        uint64_t index_off = peek(path, HDR_INDEX_OFF), count = peek(path, HDR_COUNT);
        unsigned char e0[ENTRY_SIZE], e1[ENTRY_SIZE];
        int fd = open(path, O_RDONLY);

        assert_int_equal(count, 2);
        assert_int_equal(pread(fd, e0, sizeof(e0), (off_t)index_off), ENTRY_SIZE);
        assert_int_equal(pread(fd, e1, sizeof(e1), (off_t)index_off + ENTRY_SIZE), ENTRY_SIZE);
        close(fd);
        if (i == 0) {
            poke(path, (off_t)index_off, "", 1);
        } else if (i == 1) {
            poke(path, (off_t)index_off, e1, sizeof(e1));
            poke(path, (off_t)index_off + ENTRY_SIZE, e0, sizeof(e0));
        } else {
            count = 1;
            poke(path, HDR_COUNT, &count, sizeof(count));
        }
        reg_error_clear();
        assert_int_equal(reg_readme_snapshot_new(f->dir, REG_README_SNAPSHOT_MAX, &s), REG_OK);
        assert_int_equal(reg_readme_snapshot_sync(s, empty, f->gen_old), REG_OK);
        if (!strstr(reg_error_detail(), reasons[i]))
            fail_msg("%s: detail '%s'", cases[i], reg_error_detail());
        assert_false(finds(s, f->ids[0], "first readme"));
        reg_readme_snapshot_free(s);
        /* Back to the good file for the next case. */
        poke(path, 0, good, (size_t)sb.st_size);
    }
    free(good);
    reg_store_close(empty);
}

/* A directory name too long for a snapshot path: refused before any file is touched. */
static void
test_dir_too_long(void **state)
{
    struct fixture *f = *state;
    struct reg_readme_snapshot *s;
    char *dir = malloc(PATH_MAX);

    assert_non_null(dir);
    memset(dir, 'd', PATH_MAX - 1);
    dir[0] = '/';
    dir[PATH_MAX - 1] = '\0';
    assert_int_equal(reg_readme_snapshot_new(dir, REG_README_SNAPSHOT_MAX, &s), REG_OK);
    assert_int_equal(reg_readme_snapshot_sync(s, f->s.store, f->gen_new), REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "directory name too long"));
    reg_readme_snapshot_free(s);
    free(dir);
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_build_faults),
        TEST(test_failed_generation_remembered),
        TEST(test_damaged_index),
        TEST(test_dir_too_long),
    };
#undef TEST

    return cmocka_run_group_tests_name("core/readme_snapshot_faults", tests, NULL, NULL);
}
