/*
 * test_upload_faults.c - registering an uploaded zip (lib/core/upload.c) when its temp file
 * cannot be made or written, or SHA-256 fails while it is hashed, through the fault shim
 * (tests/unit/fault.h): REG_ESTORE or REG_EINTERNAL naming the file, no artifact registered
 * (the store's generation is unchanged), no temp file left, and the same upload works unarmed.
 * The uploads are datasets: a model would be rated and gated first, which is not under test.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "base/config.h"
#include "blob/blobs.h"
#include "core/catalog.h"
#include "core/ingest.h"
#include "core/registry.h"
#include "core/upload.h"
#include "fault.h"
#include "store/store.h"
#include "tmpdir_fixture.h"

/* A zip of one stored file, README.md ("# tiny\n"), made with Python's zipfile. */
static const char tiny_zip[] = "\x50\x4b\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00\x44\xca"
                               "\x88\x72\x07\x00\x00\x00\x07\x00\x00\x00\x09\x00\x00\x00\x52\x45"
                               "\x41\x44\x4d\x45\x2e\x6d\x64\x23\x20\x74\x69\x6e\x79\x0a\x50\x4b"
                               "\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00\x44\xca"
                               "\x88\x72\x07\x00\x00\x00\x07\x00\x00\x00\x09\x00\x00\x00\x00\x00"
                               "\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00\x52\x45\x41\x44"
                               "\x4d\x45\x2e\x6d\x64\x50\x4b\x05\x06\x00\x00\x00\x00\x01\x00\x01"
                               "\x00\x37\x00\x00\x00\x2e\x00\x00\x00\x00\x00";

struct ctx {
    char root[256], tmp[300], blobs_dir[300];
    struct reg_store *store;
    struct reg_catalog *catalog;
    struct reg_ingest ingest;
    struct reg_registry registry;
    struct reg_blobs *blobs;
    struct reg_upload_place place;
    struct reg_arena a;
    uint64_t gen;     /* the store's generation before the run */
    int uploads;      /* that worked */
    char last_id[64]; /* of the last upload that worked */
};

static uint64_t
generation(const struct ctx *c)
{
    uint64_t gen = 0;

    assert_int_equal(reg_store_generation(c->store, &gen), REG_OK);
    return gen;
}

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
op_upload(void *p)
{
    struct ctx *c = p;
    struct reg_upload_body body = {NULL, tiny_zip, sizeof(tiny_zip) - 1};
    struct reg_artifact art;
    char name[32];
    enum reg_status st;

    c->gen = generation(c);
    snprintf(name, sizeof(name), "tiny-%d", c->uploads);
    st = reg_upload(&c->registry, &c->place, &c->a, REG_TYPE_DATASET, name, &body, &art, NULL);
    if (st == REG_OK) {
        assert_non_null(art.id);
        assert_string_equal(art.name, name);
        snprintf(c->last_id, sizeof(c->last_id), "%s", art.id);
        c->uploads++;
    }
    return st;
}

/* Deletes the upload that worked: the next run uploads the same zip (its URL, upload://<sha>,
 * is registered once at a time). */
static void
delete_upload(void *p)
{
    struct ctx *c = p;
    struct reg_artifact gone;

    assert_int_equal(reg_registry_delete(c->store, &c->a, REG_TYPE_DATASET, c->last_id, &gone),
                     REG_OK);
}

/* Nothing registered, and no temp file left. */
static void
check_nothing(void *p)
{
    struct ctx *c = p;

    assert_int_equal(generation(c), c->gen);
    assert_int_equal(entries_in(c->tmp), 0);
}

static void
test_upload_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"mkstemp", "/upload-", EACCES, 0, REG_ESTORE, "cannot create"},
        {"write", "/upload-", ENOSPC, 0, REG_ESTORE, "cannot write"},
        {"read", "/upload-", EIO, 0, REG_ESTORE, "cannot read"},
        {"EVP_DigestFinal_ex", NULL, 0, 0, REG_EINTERNAL, "SHA-256 failed"},
    };
    static const struct fault_op op = {op_upload, delete_upload, check_nothing};
    struct ctx *c = *state;

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    assert_int_equal(op_upload(c), REG_OK);
    assert_int_equal(entries_in(c->tmp), 0);
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct reg_config cfg;

    assert_non_null(c);
    memset(&cfg, 0, sizeof(cfg));
    /* No upstream is asked: an upload describes the zip it is given. */
    cfg.hf_endpoint = "http://127.0.0.1:9";
    cfg.github_api_url = "http://127.0.0.1:9";
    cfg.upstream_timeout_ms = 1000;
    cfg.ingest_gate = "net";
    tmpdir_make(c->root, sizeof(c->root), NULL, "uploadfaults");
    snprintf(c->tmp, sizeof(c->tmp), "%s/tmp", c->root);
    snprintf(c->blobs_dir, sizeof(c->blobs_dir), "%s/blobs", c->root);
    assert_int_equal(mkdir(c->tmp, 0700), 0);
    reg_ingest_init(&c->ingest, &cfg);
    assert_int_equal(reg_store_sqlite_open(":memory:", &c->store), REG_OK);
    assert_int_equal(reg_catalog_new(&c->catalog), REG_OK);
    c->registry = (struct reg_registry){c->store, c->catalog, &c->ingest};
    assert_int_equal(reg_blobs_disk_open(c->blobs_dir, &c->blobs), REG_OK);
    c->place = (struct reg_upload_place){c->blobs, c->tmp, 1 << 20, REG_SCAN_POLICY_OFF};
    reg_arena_init(&c->a);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;

    reg_arena_cleanup(&c->a);
    reg_blobs_free(c->blobs);
    reg_catalog_free(c->catalog);
    reg_store_close(c->store);
    tmpdir_remove(c->root);
    free(c);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upload_faults, setup, teardown),
    };

    return cmocka_run_group_tests_name("core/upload_faults", tests, NULL, NULL);
}
