/*
 * test_loadgen_faults.c - the load client's run (lib/perf/loadgen.c) when libcurl cannot make
 * its multi handle, through the fault shim (tests/unit/fault.h): REG_EINTERNAL saying so, no
 * request made and a result with nothing counted (and nothing to leak under ASan); unarmed, the
 * same run goes through (against a closed port: every request a transport error).
 */
#include "unit.h"

#include <curl/curl.h>
#include <string.h>

#include "fault.h"
#include "perf/loadgen.h"

static void
test_multi_init_fails(void **state)
{
    struct reg_loadgen_options o;
    struct reg_loadgen_result r;

    (void)state;
    memset(&o, 0, sizeof(o));
    o.url = "http://127.0.0.1:9/nothing";
    o.clients = 2;
    o.requests = 1;
    o.timeout_ms = 2000;
    o.buckets = 10;
    fault_fail("curl_multi_init", NULL, 1, 0);
    assert_int_equal(reg_loadgen_run(&o, &r), REG_EINTERNAL);
    assert_true(fault_fired());
    fault_off();
    assert_non_null(strstr(reg_error_detail(), "libcurl: cannot create a multi handle"));
    assert_int_equal(r.clients, 2);
    assert_int_equal(r.requests, 0);
    assert_int_equal(r.nlatencies, 0);
    reg_loadgen_result_cleanup(&r);
    assert_int_equal(reg_loadgen_run(&o, &r), REG_OK);
    assert_int_equal(r.requests, 2);
    assert_int_equal(r.transport, 2);
    reg_loadgen_result_cleanup(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_init_fails),
    };
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests_name("perf/loadgen_faults", tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
