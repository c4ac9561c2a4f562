/*
 * test_workload.c - the download workload's files without a runner: the host lock (a second
 * taker is refused, naming the run; released, it can be taken again), run ids, records read
 * back newest first, and a record that says "running" with no runner behind it reading as
 * failed. Starting real runs (the runner, registry-load) is tests/api/test_workloads.py's.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "arena_fixture.h"
#include "base/json.h"
#include "perf/workload.h"
#include "tmpdir_fixture.h"

static void
write_record(const char *dir, const char *id, const char *json)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, id);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/%s/run.json", dir, id);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
}

static void
test_ids(void **state)
{
    (void)state;
    assert_true(reg_workload_id_valid("1796638792017-0a26805f"));
    assert_false(reg_workload_id_valid(NULL));
    assert_false(reg_workload_id_valid(""));
    assert_false(reg_workload_id_valid("1796638792017-0A26805F"));
    assert_false(reg_workload_id_valid("1796638792017_0a26805f"));
    assert_false(reg_workload_id_valid("179663879201-70a26805f"));
    assert_false(reg_workload_id_valid("1796638792017-0a26805f0"));
    assert_false(reg_workload_id_valid("../../../etc/passwd000"));
}

static void
test_lock(void **state)
{
    struct reg_arena *a = *state;
    char dir[256];
    struct reg_workload_lock first, second;

    (void)a;
    tmpdir_make(dir, sizeof(dir), NULL, "workload");
    assert_int_equal(reg_workload_lock(dir, &first), REG_OK);
    assert_int_equal(reg_workload_lock(dir, &second), REG_ECONFLICT);
    assert_int_equal(second.fd, -1);
    assert_non_null(strstr(reg_error_detail(), "already running"));
    reg_workload_unlock(&first);
    assert_int_equal(first.fd, -1);
    reg_workload_unlock(&first); /* twice is harmless */
    assert_int_equal(reg_workload_lock(dir, &second), REG_OK);
    reg_workload_unlock(&second);
    tmpdir_remove(dir);
}

static void
test_records(void **state)
{
    struct reg_arena *a = *state;
    char dir[256];
    struct json_object *list, *rec;

    tmpdir_make(dir, sizeof(dir), NULL, "workload");
    assert_int_equal(reg_workload_list(dir, a, &list), REG_OK);
    assert_int_equal(json_object_array_length(list), 0);
    write_record(dir, "1000000000000-00000001",
                 "{\"id\":\"1000000000000-00000001\",\"status\":\"done\"}");
    write_record(dir, "2000000000000-00000002",
                 "{\"id\":\"2000000000000-00000002\",\"status\":\"running\"}");
    assert_int_equal(reg_workload_list(dir, a, &list), REG_OK);
    assert_int_equal(json_object_array_length(list), 2);
    /* Newest first; the running one has no runner holding its directory: failed. */
    rec = json_object_array_get_idx(list, 0);
    assert_string_equal(reg_json_str(rec, "id"), "2000000000000-00000002");
    assert_string_equal(reg_json_str(rec, "status"), "failed");
    assert_non_null(strstr(reg_json_str(rec, "error"), "without recording"));
    assert_string_equal(reg_json_str(json_object_array_get_idx(list, 1), "status"), "done");
    /* ... and it stays so (written back). */
    assert_int_equal(reg_workload_get(dir, "2000000000000-00000002", a, &rec), REG_OK);
    assert_string_equal(reg_json_str(rec, "status"), "failed");
    /* Only a running run can be stopped; unknown and malformed ids are not found. */
    assert_int_equal(reg_workload_stop(dir, "1000000000000-00000001", a, &rec), REG_ECONFLICT);
    assert_int_equal(reg_workload_get(dir, "3000000000000-00000003", a, &rec), REG_ENOTFOUND);
    assert_int_equal(reg_workload_get(dir, "..", a, &rec), REG_ENOTFOUND);
    assert_int_equal(reg_workload_stop(dir, "nope", a, &rec), REG_ENOTFOUND);
    tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test_setup_teardown(test_lock, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_records, arena_setup, arena_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
