/*
 * test_workload_run.c - workload runs (perf/workload.h) carried out by their runner: the
 * build's registry-load against a stub server on loopback (stub_server.h), and stand-ins that
 * fail the way a load client can. Each run's record ends as it should: done with the warm-up's
 * and the run's figures, or failed saying why (the client's exit status, no figures, a refused
 * warm-up, the wall-clock limit while a download hangs or while the warm-up never sees the
 * stored copy); the header files are removed at the end; a new run prunes the records past
 * REG_WORKLOAD_KEEP.
 */
#include "unit.h"

#include "arena_fixture.h"
#include "loopback_fixture.h"
#include "perf/stub_server.h"
#include "tmpdir_fixture.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "perf/workload.h"

/* The build's registry-load, three directories up from this binary; "" when there is none. */
static char load_client[2100];

static void
find_load_client(void)
{
    char exe[2048];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    load_client[0] = '\0';
    if (n <= 0)
        return;
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    snprintf(load_client, sizeof(load_client), "%s/../../../registry-load", exe);
    if (access(load_client, X_OK) != 0)
        load_client[0] = '\0';
}

struct run {
    char root[256];
    char dir[300];
    struct stub_server stub;
    char url[128];
    const char *headers[1];
    struct reg_workload_spec spec;
};

/* A run of program against the stub's path; the stub's gate open or not. */
static void
prepare(struct run *r, const char *program, const char *path, bool open, int max_seconds)
{
    tmpdir_make(r->root, sizeof(r->root), NULL, "workload-run");
    snprintf(r->dir, sizeof(r->dir), "%s/workloads", r->root);
    stub_start(&r->stub, open, 100, "X-Authorization");
    snprintf(r->url, sizeof(r->url), "%s%s", r->stub.base, path);
    r->headers[0] = "X-Authorization: bearer t";
    r->spec = (struct reg_workload_spec){.dir = r->dir,
                                         .program = program,
                                         .url = r->url,
                                         .common_header = "X-Registry-Workload: k",
                                         .client_headers = r->headers,
                                         .nclient_headers = 1,
                                         .clients = 2,
                                         .requests = 2,
                                         .max_seconds = max_seconds};
}

static void
finish(struct run *r)
{
    stub_stop(&r->stub);
    tmpdir_remove(r->root);
}

/* Starts the run and waits (up to 60 s) until its record is no longer running; the record. */
static struct json_object *
run_to_end(struct run *r, struct reg_arena *a)
{
    struct reg_workload_lock lock;
    struct json_object *rec, *about = json_object_new_object();
    const char *id;

    json_object_object_add(about, "note", json_object_new_string("from the test"));
    r->spec.about = reg_arena_own_json(a, about);
    assert_int_equal(reg_workload_lock(r->dir, &lock), REG_OK);
    assert_int_equal(reg_workload_start(&lock, &r->spec, a, &rec), REG_OK);
    assert_int_equal(lock.fd, -1); /* the runner holds it now */
    assert_string_equal(reg_json_str(rec, "status"), "running");
    id = reg_arena_strdup(a, reg_json_str(rec, "id"));
    for (int tries = 0; tries < 1200; tries++) {
        assert_int_equal(reg_workload_get(r->dir, id, a, &rec), REG_OK);
        if (strcmp(reg_json_str(rec, "status"), "running") != 0)
            return rec;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    fail_msg("run %s still running", id);
    return NULL;
}

/* Whether the record failed with an error holding why. */
static bool
failed_with(struct json_object *rec, const char *why)
{
    const char *error = reg_json_str(rec, "error");

    return strcmp(reg_json_str(rec, "status"), "failed") == 0 && error && strstr(error, why);
}

static void
test_done(void **state)
{
    struct reg_arena *a = *state;
    struct run r;
    struct json_object *rec, *result, *warmup;
    char path[512];

    if (!load_client[0])
        skip();
    prepare(&r, load_client, "/stored", true, 60);
    rec = run_to_end(&r, a);
    assert_string_equal(reg_json_str(rec, "status"), "done");
    assert_string_equal(reg_json_str(rec, "note"), "from the test");
    assert_non_null(reg_json_str(rec, "finished_at"));
    assert_true(json_object_object_get_ex(rec, "result", &result));
    assert_int_equal(reg_json_int(result, "ok"), 4);
    assert_int_equal(reg_json_int(result, "expect_header_missing"), 0);
    assert_true(json_object_object_get_ex(rec, "warmup", &warmup));
    assert_int_equal(reg_json_int(warmup, "ok"), 1);
    snprintf(path, sizeof(path), "%s/%s/headers", r.dir, reg_json_str(rec, "id"));
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/%s/load.json", r.dir, reg_json_str(rec, "id"));
    assert_int_equal(access(path, F_OK), 0);
    stub_stop(&r.stub);
    assert_int_equal(r.stub.requests, 5); /* the warm-up and four */
    assert_int_equal(r.stub.with_header, 5);
    stub_start(&r.stub, true, 1, NULL);
    finish(&r);
}

/* Load clients that fail, and loads that cannot succeed. */
static void
test_failures(void **state)
{
    struct reg_arena *a = *state;
    const struct {
        const char *what, *program, *path;
        bool open;
        int max_seconds;
        const char *why;
    } cases[] = {
        {"a client that fails", "/bin/false", "/stored", true, 60, "ended with status 1"},
        {"a client that prints nothing", "/bin/true", "/stored", true, 60, "printed no figures"},
        {"a missing client", "/nonexistent/registry-load", "/stored", true, 60, "registry-load"},
        {"a refused warm-up", load_client, "/gone", true, 60, "refused (4xx)"},
        {"a download that hangs", load_client, "/stored", false, 1,
         "stopped at the wall-clock limit of 1 s"},
        {"never the stored copy", load_client, "/plain", true, 1, "wall-clock limit"},
    };
    int bad = 0;

    for (int i = 0; i < NELEMS(cases); i++) {
        struct run r;
        struct json_object *rec;

        if (!cases[i].program[0])
            continue; /* no registry-load in this build */
        prepare(&r, cases[i].program, cases[i].path, cases[i].open, cases[i].max_seconds);
        rec = run_to_end(&r, a);
        CHECK(&bad, failed_with(rec, cases[i].why), "%s: %s", cases[i].what,
              reg_json_text(rec, NULL));
        finish(&r);
    }
    assert_int_equal(bad, 0);
}

/* The records past REG_WORKLOAD_KEEP go when a new run starts: the oldest first. */
static void
test_prune(void **state)
{
    struct reg_arena *a = *state;
    struct run r;
    struct json_object *list;
    char path[512];

    prepare(&r, "/bin/true", "/stored", true, 60);
    assert_int_equal(mkdir(r.dir, 0700), 0);
    for (int i = 0; i < REG_WORKLOAD_KEEP; i++) {
        FILE *f;
        snprintf(path, sizeof(path), "%s/10000000000%02d-0000000%d", r.dir, i, i % 10);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/10000000000%02d-0000000%d/run.json", r.dir, i, i % 10);
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "{\"id\":\"10000000000%02d-0000000%d\",\"status\":\"done\"}", i, i % 10);
        fclose(f);
    }
    (void)run_to_end(&r, a);
    assert_int_equal(reg_workload_list(r.dir, a, &list), REG_OK);
    assert_int_equal(json_object_array_length(list), REG_WORKLOAD_KEEP);
    /* Newest first: the new run, then the fakes from the newest; the oldest is gone. */
    assert_string_equal(reg_json_str(json_object_array_get_idx(list, 1), "id"),
                        "1000000000019-00000009");
    snprintf(path, sizeof(path), "%s/1000000000000-00000000", r.dir);
    assert_int_not_equal(access(path, F_OK), 0);
    finish(&r);
}

/* Writes text to path. */
static void
write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* The files a run keeps, unusable: each refusal says which file and why. */
static void
test_file_failures(void **state)
{
    static char huge[REG_WORKLOAD_RECORD_MAX + 16];
    struct reg_arena *a = *state;
    struct reg_workload_lock lock;
    struct json_object *rec;
    char root[256], path[512], dir[300];

    tmpdir_make(root, sizeof(root), NULL, "workload-files");
    /* Its directory under a regular file; the lock file a directory. */
    snprintf(path, sizeof(path), "%s/file", root);
    write_text(path, "x", 1);
    snprintf(dir, sizeof(dir), "%s/file/workloads", root);
    assert_int_equal(reg_workload_lock(dir, &lock), REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "cannot create"));
    assert_int_equal(lock.fd, -1);
    snprintf(dir, sizeof(dir), "%s/workloads", root);
    snprintf(path, sizeof(path), "%s/.lock", dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(reg_workload_lock(dir, &lock), REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "cannot open"));
    /* A list of what is not a directory. */
    snprintf(path, sizeof(path), "%s/file", root);
    assert_int_equal(reg_workload_list(path, a, &rec), REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "cannot list"));
    /* A record over its bound. */
    snprintf(path, sizeof(path), "%s/1000000000000-00000001", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/1000000000000-00000001/run.json", dir);
    memset(huge, ' ', sizeof(huge));
    write_text(path, huge, sizeof(huge));
    assert_int_equal(reg_workload_get(dir, "1000000000000-00000001", a, &rec), REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "is larger than"));
    assert_int_equal(reg_workload_list(dir, a, &rec), REG_ESTORE);
    tmpdir_remove(root);
}

/* A stop whose file cannot be made is refused; the run goes on until one can. */
static void
test_stop_file(void **state)
{
    struct reg_arena *a = *state;
    struct reg_workload_lock lock;
    struct json_object *rec, *about = json_object_new_object();
    struct run r;
    const char *id;
    char path[512];

    if (!load_client[0])
        skip();
    prepare(&r, load_client, "/stored", false, 60);
    r.spec.about = reg_arena_own_json(a, about);
    assert_int_equal(reg_workload_lock(r.dir, &lock), REG_OK);
    assert_int_equal(reg_workload_start(&lock, &r.spec, a, &rec), REG_OK);
    id = reg_arena_strdup(a, reg_json_str(rec, "id"));
    snprintf(path, sizeof(path), "%s/%s/stop", r.dir, id);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(reg_workload_stop(r.dir, id, a, &rec), REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "cannot create"));
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(reg_workload_stop(r.dir, id, a, &rec), REG_OK);
    for (int tries = 0; tries < 1200; tries++) {
        assert_int_equal(reg_workload_get(r.dir, id, a, &rec), REG_OK);
        if (strcmp(reg_json_str(rec, "status"), "running") != 0)
            break;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    assert_true(failed_with(rec, "stopped on request"));
    finish(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_done, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_failures, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_prune, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_file_failures, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_stop_file, arena_setup, arena_teardown),
    };

    find_load_client();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
