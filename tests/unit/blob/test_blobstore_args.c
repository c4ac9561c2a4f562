/*
 * test_blobstore_args.c - the blob store refuses a directory it cannot use, with a reason: a
 * name too long for its paths, none at all (for a blob's path and for the start-up sweep).
 * test_blobstore.c covers the store on a usable directory.
 */
#include "unit.h"

#include <string.h>

#include "blob/blobstore.h"

#define SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
refused(int *bad, const char *what, enum reg_status st, const char *reason)
{
    CHECK(bad, st == REG_EINVAL && strstr(reg_error_detail(), reason) != NULL, "%s: got %s (%s)",
          what, reg_status_name(st), reg_error_detail());
}

static void
test_unusable_directories(void **state)
{
    static char long_dir[REG_BLOB_PATH_MAX];
    struct reg_blob_writer w;
    char path[REG_BLOB_PATH_MAX];
    int removed = -1, bad = 0;

    (void)state;
    memset(long_dir, 'd', sizeof(long_dir) - 1);
    long_dir[0] = '/';
    refused(&bad, "long directory", reg_blob_begin(&w, long_dir, 1024),
            "directory name is too long");
    refused(&bad, "no directory", reg_blob_path(path, sizeof(path), "", SHA),
            "blob store: no directory");
    refused(&bad, "sweep, no directory", reg_blob_sweep_tmp(NULL, 60, &removed),
            "no usable directory");
    CHECK(&bad, removed == 0, "sweep counted %d", removed);
    refused(&bad, "sweep, long directory", reg_blob_sweep_tmp(long_dir, 60, NULL),
            "no usable directory");
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unusable_directories),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
