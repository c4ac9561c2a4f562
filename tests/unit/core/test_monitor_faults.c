/*
 * test_monitor_faults.c - running a download monitor (lib/core/monitor.c) when its private
 * directory, its program file or /dev/null cannot be had, through the fault shim
 * (tests/unit/fault.h): REG_EINTERNAL naming what failed, and nothing left in the work
 * directory. The "Node.js" here is /bin/true: the faults come before it would run, and a run
 * that gets that far passes.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "core/monitor.h"
#include "fault.h"
#include "tmpdir_fixture.h"

struct ctx {
    char dir[256];
    struct reg_monitor_env env;
};

static int
entries_in(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static enum reg_status
op_run(void *p)
{
    static const char program[] = "process.exit(0);\n";
    static const struct reg_monitor_args args = {"m", "uploader", "downloader", "/dev/null"};
    const struct ctx *c = p;
    struct reg_monitor_result r;
    enum reg_status st = reg_monitor_run(&c->env, program, sizeof(program) - 1, &args, &r);

    if (st == REG_OK)
        assert_true(reg_monitor_passed(&r));
    reg_monitor_result_cleanup(&r);
    return st;
}

/* The run's private directory is gone (or was never made). */
static void
check_work_dir_empty(void *p)
{
    const struct ctx *c = p;

    assert_int_equal(entries_in(c->dir), 0);
}

static void
test_run_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"mkdtemp", "/montest", EACCES, 0, REG_EINTERNAL,
         "cannot make a directory for the monitor under"},
        {"open", "/monitor.js", EACCES, 0, REG_EINTERNAL, "cannot write the monitor program"},
        {"write", "/monitor.js", ENOSPC, 0, REG_EINTERNAL,
         "cannot write the monitor program: No space left on device"},
        {"open", "/dev/null", EMFILE, 0, REG_EINTERNAL, "cannot run the monitor"},
        {"posix_spawn", "/bin/true", EAGAIN, 0, REG_EINTERNAL, "cannot start /bin/true"},
    };
    static const struct fault_op op = {op_run, check_work_dir_empty, check_work_dir_empty};
    struct ctx *c = *state;

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    assert_int_equal(op_run(c), REG_OK);
    check_work_dir_empty(c);
}

/* A work directory whose run directory's path does not fit: refused, nothing made. */
static void
test_work_dir_too_long(void **state)
{
    struct ctx *c = *state;
    struct reg_monitor_env env = c->env;
    char *dir = malloc(REG_MAX_PATH);

    assert_non_null(dir);
    memset(dir, 'w', REG_MAX_PATH - 1);
    dir[0] = '/';
    dir[REG_MAX_PATH - 1] = '\0';
    env.work_dir = dir;
    fault_count("mkdtemp", NULL);
    c->env = env;
    assert_int_equal(op_run(c), REG_EINTERNAL);
    assert_int_equal(fault_calls(), 0);
    fault_off();
    assert_non_null(strstr(reg_error_detail(), "work directory path is too long"));
    free(dir);
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    tmpdir_make(c->dir, sizeof(c->dir), NULL, "montest");
    c->env.node = "/bin/true";
    c->env.work_dir = c->dir;
    c->env.timeout_ms = 10000;
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;

    tmpdir_remove(c->dir);
    free(c);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_work_dir_too_long, setup, teardown),
    };

    return cmocka_run_group_tests_name("core/monitor_faults", tests, NULL, NULL);
}
