/*
 * test_config_choices.c - reg_config_load refuses a value outside a setting's choices, and
 * says which: the blob store, S3 without a bucket, the ingest gate.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "base/config.h"

static int
clean_environment(void **state)
{
    (void)state;
    unsetenv("REGISTRY_BLOBS");
    unsetenv("S3_BUCKET");
    unsetenv("REGISTRY_INGEST_GATE");
    return 0;
}

/* Loads the configuration with name=value set; returns the status, detail in *detail. */
static enum reg_status
load_with(const char *name, const char *value, const char **detail)
{
    struct reg_config cfg;
    enum reg_status st;

    setenv(name, value, 1);
    st = reg_config_load(&cfg);
    *detail = reg_error_detail();
    return st;
}

static void
test_blob_store_choice(void **state)
{
    const char *detail;

    (void)state;
    assert_int_equal(load_with("REGISTRY_BLOBS", "tape", &detail), REG_EINVAL);
    assert_non_null(strstr(detail, "REGISTRY_BLOBS must be 'disk' or 's3', got 'tape'"));
}

static void
test_s3_needs_a_bucket(void **state)
{
    const char *detail;

    (void)state;
    assert_int_equal(load_with("REGISTRY_BLOBS", "s3", &detail), REG_EINVAL);
    assert_non_null(strstr(detail, "S3_BUCKET"));
    setenv("S3_BUCKET", "models", 1);
    assert_int_equal(load_with("REGISTRY_BLOBS", "s3", &detail), REG_OK);
}

static void
test_ingest_gate_choice(void **state)
{
    const char *detail;

    (void)state;
    assert_int_equal(load_with("REGISTRY_INGEST_GATE", "lax", &detail), REG_EINVAL);
    assert_non_null(strstr(detail, "got 'lax'"));
    assert_int_equal(load_with("REGISTRY_INGEST_GATE", "strict", &detail), REG_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_blob_store_choice, clean_environment),
        cmocka_unit_test_setup(test_s3_needs_a_bucket, clean_environment),
        cmocka_unit_test_setup(test_ingest_gate_choice, clean_environment),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
