/*
 * test_proc_faults.c - starting processes (lib/base/proc.c) when fork, posix_spawn or the output
 * files fail, through the fault shim (tests/unit/fault.h): REG_EINTERNAL naming what could not
 * start, nothing started (the detached function never runs), and a start that works again
 * unarmed.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "fault.h"
#include "tmpdir_fixture.h"

struct ctx {
    int fds; /* open descriptors before the sweep */
    char root[256];
    char mark[300]; /* the file the detached function creates */
    char out[300], err[300];
};

/* The detached function: leaves a mark, so that the test sees it ran. */
static _Noreturn void
leave_mark(void *p)
{
    const struct ctx *c = p;
    int fd = open(c->mark, O_WRONLY | O_CREAT | O_EXCL, 0600);

    _exit(fd < 0 ? 1 : 0);
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Whether the mark appears within about ten seconds (the grandchild runs on its own). */
static bool
mark_appears(const struct ctx *c)
{
    for (int i = 0; i < 1000; i++) {
        if (access(c->mark, F_OK) == 0)
            return true;
        sleep_ms(10);
    }
    return false;
}

/* Descriptors this process has open. */
static int
open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static enum reg_status
op_detach(void *p)
{
    return reg_proc_detach(leave_mark, p, "the marker");
}

static void
unmark(void *p)
{
    const struct ctx *c = p;

    assert_true(mark_appears(c));
    assert_int_equal(unlink(c->mark), 0);
}

/* Nothing ran: no mark (the grandchild, had one been started, would have made it). */
static void
check_no_mark(void *p)
{
    const struct ctx *c = p;

    sleep_ms(100);
    assert_int_equal(access(c->mark, F_OK), -1);
}

/* The worker's fork, and the child's (the shim's rule is inherited, so call 2 is the child's):
 * the first is reported with its errno, the second through the child's exit status. */
static void
test_detach_faults(void **state)
{
    static const struct fault_case parent = {
        "fork", NULL, EAGAIN, 1, REG_EINTERNAL, "cannot start the marker: fork: Resource"};
    static const struct fault_op op = {op_detach, unmark, check_no_mark};
    struct ctx *c = *state;

    fault_sweep(&parent, &op, c);
    /* The child's fork: counted in the child, so not by this process; armed by hand. */
    fault_fail("fork", NULL, 2, EAGAIN);
    assert_int_equal(op_detach(c), REG_EINTERNAL);
    fault_off();
    assert_non_null(strstr(reg_error_detail(), "cannot start the marker: fork failed"));
    check_no_mark(c);
    assert_int_equal(op_detach(c), REG_OK);
    unmark(c);
}

static enum reg_status
op_spawn(void *p)
{
    const struct ctx *c = p;
    char arg0[] = "true";
    char *argv[] = {arg0, NULL};
    char *envp[] = {NULL};
    pid_t pid = -2;
    int status = -1;
    enum reg_status st = reg_proc_spawn("/bin/true", argv, envp, c->out, c->err, &pid);

    if (st != REG_OK) {
        assert_int_equal(pid, -1);
        return st;
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return st;
}

/* No descriptor leaked by a failed spawn. */
static void
check_no_fd_leak(void *p)
{
    const struct ctx *c = p;

    assert_int_equal(open_fds(), c->fds);
}

/* Spawning when the output files cannot be created, or posix_spawn fails. */
static void
test_spawn_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"open", "/spawn.out", EACCES, 0, REG_EINTERNAL,
         "cannot create the output files of /bin/true: Permission denied"},
        {"open", "/spawn.err", EMFILE, 0, REG_EINTERNAL, "cannot create the output files"},
        {"posix_spawn", "/bin/true", ENOMEM, 0, REG_EINTERNAL,
         "cannot start /bin/true: Cannot allocate memory"},
    };
    static const struct fault_op op = {op_spawn, NULL, check_no_fd_leak};
    struct ctx *c = *state;

    c->fds = open_fds();
    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    assert_int_equal(op_spawn(c), REG_OK);
    check_no_fd_leak(c);
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    tmpdir_make(c->root, sizeof(c->root), NULL, "procfaults");
    snprintf(c->mark, sizeof(c->mark), "%s/mark", c->root);
    snprintf(c->out, sizeof(c->out), "%s/spawn.out", c->root);
    snprintf(c->err, sizeof(c->err), "%s/spawn.err", c->root);
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_detach_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spawn_faults, setup, teardown),
    };

    return cmocka_run_group_tests_name("base/proc_faults", tests, NULL, NULL);
}
