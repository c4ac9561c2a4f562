/*
 * test_monitor.c - the monitor runner against the real Node.js 24 (REGISTRY_NODE, or the
 * npm-installed one of scripts/deps.sh): exit 0 passes; exit 3 fails with its output kept; a
 * program that hangs is killed at the limit (with what it started); one that prints megabytes
 * is capped; the four arguments arrive exactly, in order; the environment holds none of the
 * worker's secrets; the program reads the zip and nothing else of the registry's, and cannot
 * alter it; the program's directory is removed afterwards. (That no descriptor of the worker's
 * reaches it, and its process group: tests/unit/base/test_proc.c.)
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

    run(f, "console.log('waiting'); setInterval(() => {}, 1000);", &r);
    assert_true(r.timed_out);
    assert_false(reg_monitor_passed(&r));
    assert_int_equal(r.signal, SIGKILL);
    assert_int_equal(r.exit_code, -1);
    assert_string_equal(r.output, "waiting\n");
    assert_true(work_dir_empty(f->dir));
    reg_monitor_result_cleanup(&r);
}

/* Node's permission model: the zip and the program's own directory, nothing else. */
static void
test_confined_to_the_zip(void **state)
{
    struct fixture *f = *state;
    struct reg_monitor_args zip_args = args;
    struct reg_monitor_result r;
    char zip[300], secret[300];
    FILE *fp;

    snprintf(zip, sizeof(zip), "%s/the bundle.zip", f->dir);
    snprintf(secret, sizeof(secret), "%s/registry.db", f->dir);
    fp = fopen(zip, "w");
    assert_non_null(fp);
    fputs("PK-zip-bytes", fp);
    fclose(fp);
    fp = fopen(secret, "w");
    assert_non_null(fp);
    fputs("password hashes", fp);
    fclose(fp);
    zip_args.zip_path = zip;
    {
        const char *program =
            "const fs = require('fs'), zip = process.argv[5];\n"
            "const tryit = (what, fn) => { try { fn(); console.log(what, 'ok'); }\n"
            "  catch (e) { console.log(what, e.code); } };\n"
            "console.log(fs.readFileSync(zip, 'utf8'));\n"
            "tryit('secret', () => fs.readFileSync(process.argv[5].replace(/[^/]*$/, "
            "'registry.db')));\n"
            "tryit('tamper', () => fs.writeFileSync(zip, 'evil'));\n"
            "tryit('spawn', () => require('child_process').execSync('true'));\n"
            "tryit('home', () => fs.writeFileSync(process.env.HOME + '/scratch', 'x'));\n";
        assert_int_equal(reg_monitor_run(&f->env, program, strlen(program), &zip_args, &r), REG_OK);
    }
    assert_true(reg_monitor_passed(&r));
    assert_string_equal(r.output, "PK-zip-bytes\nsecret ERR_ACCESS_DENIED\n"
                                  "tamper ERR_ACCESS_DENIED\nspawn ERR_ACCESS_DENIED\nhome ok\n");
    fp = fopen(zip, "r");
    assert_non_null(fp);
    {
        char got[32] = {0};
        assert_non_null(fgets(got, sizeof(got), fp));
        assert_string_equal(got, "PK-zip-bytes");
    }
    fclose(fp);
    unlink(zip);
    unlink(secret);
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
        cmocka_unit_test_setup_teardown(test_confined_to_the_zip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_megabytes_are_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_is_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_node_is_an_error, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
