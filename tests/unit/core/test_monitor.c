/*
 * test_monitor.c - the monitor runner against the real Node.js 24 (REGISTRY_NODE, or the
 * npm-installed one of scripts/deps.sh): exit 0 passes; exit 3 fails with its output kept; a
 * program that hangs is killed at the limit (with what it started); one that prints megabytes
 * is capped; the four arguments arrive exactly, in order; the environment holds none of the
 * worker's secrets; the program's directory is removed afterwards; no descriptor of the
 * caller's reaches it.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "base/limits.h"
#include "core/monitor.h"
#include "tmpdir_fixture.h"

/* Short, so that the hanging program's test is quick; node starts in well under a second. */
#define LIMIT_MS 3000

struct fixture {
    char dir[256];
    struct reg_monitor_env env;
};

static const struct reg_monitor_args args = {"acme/secret-model", "alice", "bob",
                                             "/data/tmp/download 1.zip"};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *node = getenv("REGISTRY_NODE");

    tmpdir_make(f->dir, sizeof(f->dir), NULL, "monitortest");
    f->env.node = node && *node ? node : REG_CONFIG_NODE_DEFAULT;
    f->env.work_dir = f->dir;
    f->env.timeout_ms = LIMIT_MS;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Runs program and asserts that running it worked (whatever the program did). */
static void
run(struct fixture *f, const char *program, struct reg_monitor_result *r)
{
    assert_int_equal(reg_monitor_run(&f->env, program, strlen(program), &args, r), REG_OK);
}

/* Whether the work directory is empty again (the run's own directory removed). */
static bool
work_dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    if (d)
        closedir(d);
    return d && n == 0;
}

static void
test_exit_zero_passes(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_result r;

    run(f, "console.log('audit ok'); process.exit(0);", &r);
    assert_true(reg_monitor_passed(&r));
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.output, "audit ok\n");
    assert_false(r.truncated);
    assert_true(work_dir_empty(f->dir));
    reg_monitor_result_cleanup(&r);
}

static void
test_exit_three_fails_with_output(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_result r;

    run(f,
        "console.log('denied: bob is not cleared'); console.error('to stderr'); "
        "process.exitCode = 3;",
        &r);
    assert_false(reg_monitor_passed(&r));
    assert_int_equal(r.exit_code, 3);
    assert_int_equal(r.signal, 0);
    assert_false(r.timed_out);
    /* stdout only: stderr is dropped */
    assert_string_equal(r.output, "denied: bob is not cleared\n");
    reg_monitor_result_cleanup(&r);
}

static void
test_arguments_exactly(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_result r;
    struct json_object *argv;

    run(f, "process.stdout.write(JSON.stringify(process.argv.slice(2)));", &r);
    assert_true(reg_monitor_passed(&r));
    argv = json_tokener_parse(r.output);
    assert_non_null(argv);
    assert_int_equal(json_object_array_length(argv), 4);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(argv, 0)),
                        "acme/secret-model");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(argv, 1)), "alice");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(argv, 2)), "bob");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(argv, 3)),
                        "/data/tmp/download 1.zip");
    json_object_put(argv);
    reg_monitor_result_cleanup(&r);
}

static void
test_environment_has_no_secrets(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_result r;
    struct json_object *env, *home;

    setenv("REGISTRY_ADMIN_PASSWORD", "hunter2", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "aws-secret", 1);
    setenv("GITHUB_TOKEN", "ghp_secret", 1);
    setenv("HF_TOKEN", "hf_secret", 1);
    run(f, "process.stdout.write(JSON.stringify(process.env));", &r);
    unsetenv("REGISTRY_ADMIN_PASSWORD");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("GITHUB_TOKEN");
    unsetenv("HF_TOKEN");
    assert_true(reg_monitor_passed(&r));
    assert_null(strstr(r.output, "secret"));
    assert_null(strstr(r.output, "hunter2"));
    env = json_tokener_parse(r.output);
    assert_non_null(env);
    /* PATH, HOME and TMPDIR, nothing else */
    assert_int_equal(json_object_object_length(env), 3);
    assert_true(json_object_object_get_ex(env, "PATH", NULL));
    assert_true(json_object_object_get_ex(env, "HOME", &home));
    assert_non_null(strstr(json_object_get_string(home), f->dir));
    json_object_put(env);
    reg_monitor_result_cleanup(&r);
}

static void
test_hang_is_killed_at_the_limit(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_result r;
    char pidfile[300];
    int child = 0;
    FILE *fp;

    /* The program starts a child in its group that would outlive it, writes its pid, and
     * hangs: both must be gone after the run. */
    snprintf(pidfile, sizeof(pidfile), "%s/child.pid", f->dir);
    char program[1024];
    snprintf(program, sizeof(program),
             "const c = require('child_process').spawn('sleep', ['600'], {stdio: 'ignore'}); "
             "require('fs').writeFileSync('%s', String(c.pid)); console.log('waiting'); "
             "setInterval(() => {}, 1000);",
             pidfile);
    run(f, program, &r);
    assert_true(r.timed_out);
    assert_false(reg_monitor_passed(&r));
    assert_int_equal(r.signal, SIGKILL);
    assert_string_equal(r.output, "waiting\n");
    fp = fopen(pidfile, "r");
    assert_non_null(fp);
    assert_int_equal(fscanf(fp, "%d", &child), 1);
    fclose(fp);
    unlink(pidfile);
    /* Killed with the group (and reparented to init, which reaps it): poll until gone. */
    for (int i = 0; i < 200 && kill(child, 0) == 0; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    assert_int_equal(kill(child, 0), -1);
    assert_int_equal(errno, ESRCH);
    reg_monitor_result_cleanup(&r);
}

static void
test_megabytes_are_capped(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_result r;

    /* 8 MiB in 64 KiB writes, then exit 5: the run reads it all (no blocking on a full pipe)
     * and keeps the cap. */
    run(f,
        "const s = 'x'.repeat(65536); for (let i = 0; i < 128; i++) process.stdout.write(s); "
        "process.exitCode = 5;",
        &r);
    assert_false(r.timed_out);
    assert_int_equal(r.exit_code, 5);
    assert_true(r.truncated);
    assert_int_equal(r.output_len, REG_MONITOR_OUTPUT_MAX);
    assert_int_equal(strlen(r.output), REG_MONITOR_OUTPUT_MAX);
    reg_monitor_result_cleanup(&r);
}

static void
test_invalid_utf8_is_replaced(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_result r;

    run(f, "process.stdout.write(Buffer.from([0x6f, 0x6b, 0xff, 0xc3, 0xa9, 0x00, 0x21]));", &r);
    assert_true(reg_monitor_passed(&r));
    assert_int_equal(r.output_len, 7);
    assert_memory_equal(r.output, "ok?\xc3\xa9?!", 7);
    reg_monitor_result_cleanup(&r);
}

static void
test_no_descriptor_is_inherited(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_result r;
    char marker[300];
    int fd;

    /* A descriptor the worker holds without close-on-exec (as libfcgi's socket is). */
    snprintf(marker, sizeof(marker), "%s/held-by-the-worker", f->dir);
    fd = open(marker, O_WRONLY | O_CREAT, 0600);
    assert_true(fd > 2);
    run(f,
        "const fs = require('fs'); const out = []; for (const n of "
        "fs.readdirSync('/proc/self/fd')) "
        "{ try { out.push(fs.readlinkSync('/proc/self/fd/' + n)); } catch (e) {} } "
        "process.stdout.write(out.join('\\n'));",
        &r);
    close(fd);
    unlink(marker);
    assert_true(reg_monitor_passed(&r));
    assert_non_null(strstr(r.output, "pipe:")); /* its stdout: the listing is real */
    assert_null(strstr(r.output, "held-by-the-worker"));
    reg_monitor_result_cleanup(&r);
}

static void
test_missing_node_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_env env = f->env;
    struct reg_monitor_result r;

    env.node = "/nonexistent/node";
    assert_int_equal(reg_monitor_run(&env, "1", 1, &args, &r), REG_EINTERNAL);
    assert_false(reg_monitor_node_ok(&env));
    assert_true(reg_monitor_node_ok(&f->env));
    reg_monitor_result_cleanup(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exit_zero_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_three_fails_with_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arguments_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment_has_no_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hang_is_killed_at_the_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_megabytes_are_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_is_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_descriptor_is_inherited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_node_is_an_error, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
