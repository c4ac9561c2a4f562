/*
 * test_vet_faults.c - the scan's watermark file (lib/bundle/vet.c) when it cannot be written,
 * closed, published or read, through the fault shim (tests/unit/fault.h): REG_ESTORE naming
 * the file, no temp file left, and the watermark published before still read back (readers of
 * a part file go by it: a failed publish must not lose or move it).
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/limits.h"
#include "bundle/vet.h"
#include "fault.h"
#include "tmpdir_fixture.h"

#define TOTAL 1000
#define OLD_VETTED 100

struct ctx {
    char root[256];
    char path[300]; /* the watermark */
    char tmp[310];  /* its temp file */
};

static enum reg_status
op_publish(void *p)
{
    const struct ctx *c = p;

    return reg_vet_publish(c->path, 500, true);
}

/* Back to the old watermark after a publish that worked. */
static void
republish_old(void *p)
{
    const struct ctx *c = p;
    int64_t vetted = -1;
    bool settled = false;

    assert_int_equal(reg_vet_read(c->path, TOTAL, &vetted, &settled), REG_OK);
    assert_int_equal(vetted, 500);
    assert_true(settled);
    assert_int_equal(reg_vet_publish(c->path, OLD_VETTED, false), REG_OK);
}

/* The old watermark stands, and no temp file is left. */
static void
check_old_stands(void *p)
{
    const struct ctx *c = p;
    int64_t vetted = -1;
    bool settled = true;

    assert_int_equal(access(c->tmp, F_OK), -1);
    assert_int_equal(reg_vet_read(c->path, TOTAL, &vetted, &settled), REG_OK);
    assert_int_equal(vetted, OLD_VETTED);
    assert_false(settled);
}

static void
test_publish_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"fopen", ".vetted.tmp", EACCES, 0, REG_ESTORE, "cannot write"},
        {"fclose", ".vetted.tmp", ENOSPC, 0, REG_ESTORE, "cannot publish"},
        {"rename", ".vetted.tmp", EIO, 0, REG_ESTORE, "cannot publish"},
    };
    static const struct fault_op op = {op_publish, republish_old, check_old_stands};
    struct ctx *c = *state;

    assert_int_equal(reg_vet_publish(c->path, OLD_VETTED, false), REG_OK);
    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
}

static enum reg_status
op_read(void *p)
{
    const struct ctx *c = p;
    int64_t vetted = -1;
    bool settled = true;
    enum reg_status st = reg_vet_read(c->path, TOTAL, &vetted, &settled);

    if (st == REG_OK)
        assert_int_equal(vetted, OLD_VETTED);
    return st;
}

/* A watermark that exists but cannot be opened is an error, not "everything vetted" (what a
 * missing one means). */
static void
test_read_faults(void **state)
{
    static const struct fault_case c = {"fopen", ".vetted", EACCES, 0, REG_ESTORE, "cannot read"};
    static const struct fault_op op = {op_read, NULL, check_old_stands};
    struct ctx *x = *state;

    assert_int_equal(reg_vet_publish(x->path, OLD_VETTED, false), REG_OK);
    fault_sweep(&c, &op, x);
}

/* A path with no room for the temp file's suffix: refused before any file is touched. */
static void
test_path_too_long(void **state)
{
    char *path = malloc(REG_MAX_PATH);

    (void)state;
    assert_non_null(path);
    memset(path, 'p', REG_MAX_PATH - 1);
    path[REG_MAX_PATH - 1] = '\0';
    fault_count("fopen", NULL);
    assert_int_equal(reg_vet_publish(path, 1, false), REG_ESTORE);
    assert_int_equal(fault_calls(), 0);
    fault_off();
    assert_non_null(strstr(reg_error_detail(), "the watermark path is too long"));
    free(path);
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    tmpdir_make(c->root, sizeof(c->root), NULL, "vetfaults");
    snprintf(c->path, sizeof(c->path), "%s/k.vetted", c->root);
    snprintf(c->tmp, sizeof(c->tmp), "%s.tmp", c->path);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;

    tmpdir_remove(c->root);
    free(c);
    return 0;
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_publish_faults),
        TEST(test_read_faults),
        TEST(test_path_too_long),
    };
#undef TEST

    return cmocka_run_group_tests_name("bundle/vet_faults", tests, NULL, NULL);
}
