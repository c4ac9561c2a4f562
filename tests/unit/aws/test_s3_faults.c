/*
 * test_s3_faults.c - uploading a file to S3 (lib/aws/s3.c) when reading it fails, through the
 * fault shim (tests/unit/fault.h), against the local s3rver that scripts/run-unit.sh starts
 * (REGISTRY_TEST_S3_ENDPOINT; a bucket of its own per test). A single PUT and a multipart
 * upload whose file cannot be read (pread failing at its first, a middle or its last call), or
 * cannot even be sized (fstat): REG_ESTORE naming the key and why, no object left under the key,
 * and the same upload works unarmed. A descriptor that is not a regular file is REG_EINVAL.
 */
#include "unit.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/s3.h"
#include "fault.h"
#include "tmpdir_fixture.h"

#define ENDPOINT_ENV "REGISTRY_TEST_S3_ENDPOINT"
#define S3RVER_KEY "S3RVER"
#define SMALL_BYTES 1000
/* Above the multipart threshold (set to the smallest part): two parts. */
#define BIG_BYTES (REG_S3_PART_SIZE_MIN + 4321)

static const char *endpoint;
static int buckets;

struct ctx {
    char root[256], small[300], big[300];
    char bucket[64];
    struct reg_s3 *s3;
    const char *path; /* the file the next run uploads */
    int64_t size;
};

static void
write_file(const char *path, int64_t size)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    for (int64_t i = 0; i < size; i++)
        assert_int_not_equal(fputc((int)(i * 31 % 251), f), EOF);
    assert_int_equal(fclose(f), 0);
}

static enum reg_status
op_put(void *p)
{
    struct ctx *c = p;
    int fd = open(c->path, O_RDONLY);
    enum reg_status st;

    assert_true(fd >= 0);
    st = reg_s3_put_fd(c->s3, "k", fd);
    close(fd);
    return st;
}

/* After an upload that worked: the object has the file's size; then it is deleted. */
static void
check_and_delete(void *p)
{
    struct ctx *c = p;
    int64_t size = -1;

    assert_int_equal(reg_s3_head_object(c->s3, "k", &size), REG_OK);
    assert_int_equal(size, c->size);
    assert_int_equal(reg_s3_delete_object(c->s3, "k"), REG_OK);
}

/* After a failed upload: no object under the key. */
static void
check_absent(void *p)
{
    struct ctx *c = p;

    assert_int_equal(reg_s3_head_object(c->s3, "k", NULL), REG_ENOTFOUND);
}

/* After a failed single PUT: nothing of the file under the key. The client aborts the request
 * (CURL_READFUNC_ABORT) before its body is whole; S3 stores nothing then, but s3rver stores
 * what it got (an empty object), so an empty object is tolerated here, and removed. */
static void
check_no_copy(void *p)
{
    struct ctx *c = p;
    int64_t size = -1;
    enum reg_status st = reg_s3_head_object(c->s3, "k", &size);

    if (st == REG_OK) {
        assert_int_equal(size, 0);
        assert_int_equal(reg_s3_delete_object(c->s3, "k"), REG_OK);
    } else {
        assert_int_equal(st, REG_ENOTFOUND);
    }
}

static void
test_single_put_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"pread", "/small", EIO, 0, REG_ESTORE, "reading the file failed: Input/output error"},
        {"fstat", "/small", EIO, 0, REG_ESTORE, "S3 upload of k: Input/output error"},
    };
    static const struct fault_op op = {op_put, check_and_delete, check_no_copy};
    struct ctx *c = *state;

    c->path = c->small;
    c->size = SMALL_BYTES;
    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    assert_int_equal(op_put(c), REG_OK);
    check_and_delete(c);
}

/* The multipart upload: the first read, one in the middle and the last fail (each is a part's
 * read; a sweep of every call would take a hundred uploads). */
static void
test_multipart_faults(void **state)
{
    struct ctx *c = *state;
    long calls, nth[3];

    c->path = c->big;
    c->size = BIG_BYTES;
    fault_count("pread", "/big");
    assert_int_equal(op_put(c), REG_OK);
    calls = fault_calls();
    fault_off();
    check_and_delete(c);
    assert_true(calls >= 2);
    nth[0] = 1;
    nth[1] = calls / 2;
    nth[2] = calls;
    for (int i = 0; i < NELEMS(nth); i++) {
        struct fault_case one = {"pread", "/big",     EIO,
                                 nth[i],  REG_ESTORE, "reading the file failed"};
        static const struct fault_op op = {op_put, check_and_delete, check_absent};
        fault_sweep(&one, &op, c);
    }
}

/* A pipe cannot be uploaded: its size is not known up front. */
static void
test_not_a_regular_file(void **state)
{
    struct ctx *c = *state;
    int fds[2];

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(reg_s3_put_fd(c->s3, "k", fds[0]), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "not a regular file"));
    close(fds[0]);
    close(fds[1]);
    check_absent(c);
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct reg_s3_config cfg;

    assert_non_null(c);
    tmpdir_make(c->root, sizeof(c->root), NULL, "s3faults");
    snprintf(c->small, sizeof(c->small), "%s/small", c->root);
    snprintf(c->big, sizeof(c->big), "%s/big", c->root);
    write_file(c->small, SMALL_BYTES);
    write_file(c->big, BIG_BYTES);
    snprintf(c->bucket, sizeof(c->bucket), "unit-s3faults-%ld-%d", (long)getpid(), ++buckets);
    memset(&cfg, 0, sizeof(cfg));
    cfg.endpoint = endpoint;
    cfg.bucket = c->bucket;
    cfg.region = "us-east-1";
    cfg.access_key_id = S3RVER_KEY;
    cfg.secret_access_key = S3RVER_KEY;
    cfg.part_size = REG_S3_PART_SIZE_MIN;
    cfg.multipart_threshold = REG_S3_PART_SIZE_MIN;
    assert_int_equal(reg_s3_new(&cfg, &c->s3), REG_OK);
    assert_int_equal(reg_s3_create_bucket(c->s3), REG_OK);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;

    reg_s3_free(c->s3);
    tmpdir_remove(c->root);
    free(c);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_single_put_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_regular_file, setup, teardown),
    };
    int failed;

    endpoint = getenv(ENDPOINT_ENV);
    if (!endpoint || !*endpoint) {
        fprintf(stderr, "test_s3_faults: %s is not set: run it through scripts/run-unit.sh.\n",
                ENDPOINT_ENV);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests_name("aws/s3_faults", tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
