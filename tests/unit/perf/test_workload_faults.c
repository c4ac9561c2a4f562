/*
 * test_workload_faults.c - starting and reading download workload runs (lib/perf/workload.c)
 * when the file system, randomness or fork fails, through the fault shim (tests/unit/fault.h).
 *
 * A start takes the host lock and starts a runner whose load client is /bin/false, so that
 * the runner records the run as failed at once and lets the lock go. Each call of taking the
 * lock and starting fails in turn: REG_ESTORE or REG_EINTERNAL naming the call, no run directory
 * left, and the lock free again (the caller's to release, as workload.h says). Reading records,
 * listing and asking a run to stop fail with REG_ESTORE naming the file; a record larger than
 * the bound is refused.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "fault.h"
#include "perf/workload.h"
#include "tmpdir_fixture.h"

/* Polls of 10 ms for a runner to record its outcome: 30 s. */
#define RUNNER_POLLS 3000
#define RUNNING_ID "1796638792017-0a26805f"

struct ctx {
    char root[256];
    char dir[300];
    struct reg_workload_spec spec;
    struct reg_arena a;
    char last_id[REG_WORKLOAD_ID_MAX + 1]; /* of the last run started */
    int started;                           /* runs started so far */
};

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Run directories in the workloads directory. */
static int
run_dirs(const struct ctx *c)
{
    DIR *d = opendir(c->dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        n += reg_workload_id_valid(e->d_name);
    closedir(d);
    return n;
}

static enum reg_status
op_start(void *p)
{
    struct ctx *c = p;
    struct reg_workload_lock lock;
    struct json_object *rec = NULL;
    enum reg_status st = reg_workload_lock(c->dir, &lock);

    if (st == REG_OK)
        st = reg_workload_start(&lock, &c->spec, &c->a, &rec);
    if (st != REG_OK) {
        assert_null(rec);
        reg_workload_unlock(&lock);
        return st;
    }
    assert_int_equal(lock.fd, -1); /* the runner holds it now */
    snprintf(c->last_id, sizeof(c->last_id), "%s", reg_json_str(rec, "id"));
    assert_string_equal(reg_json_str(rec, "status"), "running");
    c->started++;
    return st;
}

/* After a start that worked: the runner records the run as failed (its load client is
 * /bin/false) and ends, letting the host lock go. */
static void
wait_runner(void *p)
{
    struct ctx *c = p;
    struct json_object *rec = NULL;
    const char *status = "running";

    for (int i = 0; i < RUNNER_POLLS && strcmp(status, "running") == 0; i++) {
        sleep_ms(10);
        assert_int_equal(reg_workload_get(c->dir, c->last_id, &c->a, &rec), REG_OK);
        status = reg_json_str(rec, "status");
    }
    assert_string_equal(status, "failed");
    assert_non_null(strstr(reg_json_str(rec, "error"), "registry-load (warmup) ended"));
    /* The lock is free once the runner is gone (it may still be exiting). */
    for (int i = 0; i < RUNNER_POLLS; i++) {
        struct reg_workload_lock lock;
        enum reg_status st = reg_workload_lock(c->dir, &lock);
        reg_workload_unlock(&lock);
        if (st == REG_OK)
            return;
        sleep_ms(10);
    }
    fail_msg("the runner of %s kept the host lock", c->last_id);
}

/* After a failed start: no run directory but those of the runs started, and the lock free. */
static void
check_nothing_left(void *p)
{
    struct ctx *c = p;
    struct reg_workload_lock lock;

    assert_int_equal(run_dirs(c), c->started);
    assert_int_equal(reg_workload_lock(c->dir, &lock), REG_OK);
    reg_workload_unlock(&lock);
}

static void
test_start_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"RAND_bytes", NULL, 0, 0, REG_EINTERNAL, "no randomness for a workload id"},
        /* the workloads directory (the lock's) and the run's directory */
        {"mkdir", "/workloads", EACCES, 0, REG_ESTORE, "cannot create"},
        {"open", "/workloads/.lock", EACCES, 0, REG_ESTORE, "cannot open"},
        /* opens under the run directory: the directory itself (its lock), then the temp files
         * of client-headers, headers and run.json */
        {"open", "/workloads/1", EMFILE, 1, REG_ESTORE, "cannot lock"},
        {"open", ".tmp", EACCES, 0, REG_ESTORE, "cannot write"},
        {"flock", "/workloads/1", ENOLCK, 0, REG_ESTORE, "cannot lock"},
        {"write", ".tmp", ENOSPC, 0, REG_ESTORE, "cannot write"},
        {"close", ".tmp", EIO, 0, REG_ESTORE, "cannot write"},
        {"rename", ".tmp", EIO, 0, REG_ESTORE, "cannot write"},
        {"fork", NULL, EAGAIN, 1, REG_EINTERNAL, "cannot start the workload runner: fork"},
    };
    static const struct fault_op op = {op_start, wait_runner, check_nothing_left};
    struct ctx *c = *state;

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    assert_int_equal(op_start(c), REG_OK);
    wait_runner(c);
}

/* A record said running, with a runner holding its directory's lock (this process). */
static int
fake_running(struct ctx *c)
{
    char path[512];
    FILE *f;
    int fd;

    assert_int_equal(mkdir(c->dir, 0700), 0);
    snprintf(path, sizeof(path), "%s/%s", c->dir, RUNNING_ID);
    assert_int_equal(mkdir(path, 0700), 0);
    fd = open(path, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    snprintf(path, sizeof(path), "%s/%s/run.json", c->dir, RUNNING_ID);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"id\": \"" RUNNING_ID "\", \"status\": \"running\"}", f);
    assert_int_equal(fclose(f), 0);
    return fd;
}

static enum reg_status
op_get(void *p)
{
    struct ctx *c = p;
    struct json_object *rec = NULL;
    enum reg_status st = reg_workload_get(c->dir, RUNNING_ID, &c->a, &rec);

    if (st == REG_OK)
        assert_string_equal(reg_json_str(rec, "status"), "running");
    return st;
}

static enum reg_status
op_list(void *p)
{
    struct ctx *c = p;
    struct json_object *all = NULL;
    enum reg_status st = reg_workload_list(c->dir, &c->a, &all);

    if (st == REG_OK)
        assert_int_equal(json_object_array_length(all), 1);
    return st;
}

static enum reg_status
op_stop(void *p)
{
    struct ctx *c = p;
    struct json_object *rec = NULL;

    return reg_workload_stop(c->dir, RUNNING_ID, &c->a, &rec);
}

/* Back to no stop asked for, after a stop that worked. */
static void
unstop(void *p)
{
    struct ctx *c = p;
    char path[512];

    snprintf(path, sizeof(path), "%s/%s/stop", c->dir, RUNNING_ID);
    assert_int_equal(unlink(path), 0);
}

/* The record still says running, and no stop was asked for. */
static void
check_still_running(void *p)
{
    struct ctx *c = p;
    char path[512];

    assert_int_equal(op_get(c), REG_OK);
    snprintf(path, sizeof(path), "%s/%s/stop", c->dir, RUNNING_ID);
    assert_int_equal(access(path, F_OK), -1);
}

static void
test_read_faults(void **state)
{
    static const struct fault_case get = {"fopen", "/run.json", EACCES,
                                          0,       REG_ESTORE,  "cannot read"};
    static const struct fault_case list = {"opendir", "/workloads", EACCES,
                                           1,         REG_ESTORE,   "cannot list"};
    static const struct fault_case stop = {"open", "/stop", EACCES, 0, REG_ESTORE, "cannot create"};
    static const struct fault_op get_op = {op_get, NULL, check_still_running};
    static const struct fault_op list_op = {op_list, NULL, check_still_running};
    static const struct fault_op stop_op = {op_stop, unstop, check_still_running};
    struct ctx *c = *state;
    int fd = fake_running(c);

    fault_sweep(&get, &get_op, c);
    fault_sweep(&list, &list_op, c);
    fault_sweep(&stop, &stop_op, c);
    close(fd);
}

/* A record larger than REG_WORKLOAD_RECORD_MAX is refused, not cut. */
static void
test_record_too_large(void **state)
{
    struct ctx *c = *state;
    struct json_object *rec = NULL;
    char path[512];
    FILE *f;
    int fd = fake_running(c);

    snprintf(path, sizeof(path), "%s/%s/run.json", c->dir, RUNNING_ID);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i <= REG_WORKLOAD_RECORD_MAX / 8; i++)
        fputs("        ", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(reg_workload_get(c->dir, RUNNING_ID, &c->a, &rec), REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "is larger than"));
    close(fd);
}

static int
setup(void **state)
{
    static const char *const client_headers[] = {"X-Authorization: bearer t"};
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    tmpdir_make(c->root, sizeof(c->root), NULL, "workloadfaults");
    snprintf(c->dir, sizeof(c->dir), "%s/workloads", c->root);
    reg_arena_init(&c->a);
    c->spec.dir = c->dir;
    c->spec.program = "/bin/false";
    c->spec.url = "http://127.0.0.1:9/artifacts/model/1/download";
    c->spec.common_header = "X-Limit-Key: test";
    c->spec.client_headers = client_headers;
    c->spec.nclient_headers = 1;
    c->spec.clients = 1;
    c->spec.requests = 1;
    c->spec.max_seconds = 30;
    c->spec.about = reg_arena_own_json(&c->a, json_object_new_object());
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;

    reg_arena_cleanup(&c->a);
    tmpdir_remove(c->root);
    free(c);
    return 0;
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_start_faults),
        TEST(test_read_faults),
        TEST(test_record_too_large),
    };
#undef TEST

    return cmocka_run_group_tests_name("perf/workload_faults", tests, NULL, NULL);
}
