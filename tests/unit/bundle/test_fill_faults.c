/*
 * test_fill_faults.c - pull-through fills (lib/bundle/fill.c) when the file system or fork
 * fails, through the fault shim (tests/unit/fault.h). The plan is a bundle of no files (a
 * 22-byte zip: no upstream needed), under a fresh id per run, so that each run decides, starts
 * a filler (a grandchild process) and reads the zip anew.
 *
 * In the deciding process: the fills directory, the mutex file, statvfs, the part file's create,
 * lock, reservation and second open, the fork, and the read of the part file each fail in turn:
 * the right status (REG_ESTORE, REG_ENOSPACE, REG_EINTERNAL) naming the call, no part file left
 * and nothing stored. In the filler (the shim's rule is inherited by the fork): a write that
 * fails before the first byte is reported by the download from the filler's error file with the
 * filler's status; an fsync that fails after the last byte leaves the download whole but the
 * bundle unstored, with the reason in the error file.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/config.h"
#include "blob/blobs.h"
#include "bundle/fill.h"
#include "bundle/index.h"
#include "fault.h"
#include "tmpdir_fixture.h"

/* The zip of no files: its end-of-central-directory record alone. */
#define EMPTY_ZIP_SIZE 22
/* Polls of 10 ms for a filler to end: 30 s. */
#define FILLER_POLLS 3000

struct ctx {
    char root[256];
    char fills[300];
    struct reg_config cfg;
    struct reg_fill_env env;
    struct reg_blobs *b;
    struct reg_bundle_plan plan;
    char id[32];
    int run;            /* runs so far: each has an id of its own */
    struct reg_buf got; /* what the last run read */
};

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Files of the fills directory whose name contains part (e.g. the run's id and ".part"). */
static int
fills_with(const struct ctx *c, const char *part, const char *suffix)
{
    DIR *d = opendir(c->fills);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), sl = strlen(suffix);
        n += strncmp(e->d_name, part, strlen(part)) == 0 && len >= sl &&
             strcmp(e->d_name + len - sl, suffix) == 0;
    }
    closedir(d);
    return n;
}

/* The name of the file of the fills directory that starts with prefix and ends with suffix
 * (a static buffer; the test asserts there is one). */
static const char *
fill_file(const struct ctx *c, const char *prefix, const char *suffix)
{
    static char name[256];
    DIR *d = opendir(c->fills);
    struct dirent *e;

    assert_non_null(d);
    name[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), sl = strlen(suffix);
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && len >= sl &&
            strcmp(e->d_name + len - sl, suffix) == 0)
            snprintf(name, sizeof(name), "%s", e->d_name);
    }
    closedir(d);
    assert_true(name[0] != '\0');
    return name;
}

/* Waits until the run's filler is gone: no part file of its id. */
static void
wait_filler_gone(const struct ctx *c)
{
    char prefix[40];

    snprintf(prefix, sizeof(prefix), "%s.", c->id);
    for (int i = 0; i < FILLER_POLLS && fills_with(c, prefix, ".part") > 0; i++)
        sleep_ms(10);
    assert_int_equal(fills_with(c, prefix, ".part"), 0);
}

/* Waits for the run's filler and says whether it stored the bundle. */
static bool
stored_after_filler(const struct ctx *c)
{
    struct reg_bundle_record rec;

    wait_filler_gone(c);
    return reg_bundle_index_get(c->b, c->id, REG_BUNDLE_FULL, &rec) == REG_OK &&
           rec.size == EMPTY_ZIP_SIZE;
}

static enum reg_status
to_buf(void *p, const void *data, size_t len)
{
    return reg_buf_append(&((struct ctx *)p)->got, data, len);
}

/* A new id for the next run. */
static void
next_id(struct ctx *c)
{
    snprintf(c->id, sizeof(c->id), "run%d", ++c->run);
    c->plan.id = c->id;
}

/* Opens the fill of a new id, waits for its first byte and reads the whole zip. */
static enum reg_status
op_fill(void *p)
{
    struct ctx *c = p;
    struct reg_bundle_record rec;
    enum reg_fill_how how = REG_FILL_STORED;
    struct reg_fill fill;
    enum reg_status st;

    next_id(c);
    c->got.len = 0;
    st = reg_fill_open(&c->env, c->b, &c->plan, &how, &rec, &fill);
    if (st == REG_OK) {
        assert_int_equal(how, REG_FILL_STREAMED);
        st = reg_fill_wait_first(&fill);
    }
    if (st == REG_OK)
        st = reg_fill_read(&fill, 0, -1, to_buf, c);
    if (st == REG_OK) {
        assert_int_equal(c->got.len, EMPTY_ZIP_SIZE);
        assert_memory_equal(c->got.data, "PK\x05\x06", 4);
    }
    reg_fill_close(&fill);
    assert_int_equal(fill.fd, -1);
    return st;
}

/* After a run that worked: its filler stored the bundle. */
static void
check_stored(void *p)
{
    assert_true(stored_after_filler(p));
}

/* After a run that failed in the deciding process: no part file, and whatever filler was
 * started (one was, when the failure came after the fork) ends; nothing half-stored. */
static void
check_clean(void *p)
{
    const struct ctx *c = p;
    char prefix[40];

    wait_filler_gone(c);
    snprintf(prefix, sizeof(prefix), "%s.", c->id);
    assert_int_equal(fills_with(c, prefix, ".part"), 0);
}

static void
test_decide_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"mkdir", "/fills", EACCES, 0, REG_ESTORE, "cannot create"},
        {"open", "/fills/.lock", EACCES, 0, REG_ESTORE, "cannot lock"},
        {"flock", "/fills/.lock", ENOLCK, 0, REG_ESTORE, "cannot lock"},
        {"statvfs", "/fills", EIO, 0, REG_ESTORE, "statvfs"},
        /* open of the part file: 1 looks for a running filler (any failure: none), 2 creates
         * it, 3 opens it for reading */
        {"open", ".part", EACCES, 2, REG_ESTORE, "cannot create"},
        {"open", ".part", EMFILE, 3, REG_ESTORE, "cannot open"},
        {"flock", ".part", ENOLCK, 1, REG_ESTORE, "flock"},
        {"fallocate", ".part", ENOSPC, 0, REG_ENOSPACE, "no room on this host's disk"},
        {"fork", NULL, EAGAIN, 1, REG_EINTERNAL, "cannot start the fetch: fork"},
        {"pread", ".part", EIO, 0, REG_ESTORE, "cannot read the bundle being fetched"},
    };
    static const struct fault_op op = {op_fill, check_stored, check_clean};
    struct ctx *c = *state;

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    assert_int_equal(op_fill(c), REG_OK);
    check_stored(c);
}

/* The filler's write fails before the first byte: the download answers the filler's status
 * (from its error file) with its detail, and nothing is stored. */
static void
test_filler_write_fails(void **state)
{
    static const int errs[] = {ENOSPC, EIO};
    static const enum reg_status want[] = {REG_ENOSPACE, REG_ESTORE};
    struct ctx *c = *state;

    for (int i = 0; i < NELEMS(errs); i++) {
        fault_fail("write", ".part", 1, errs[i]);
        assert_int_equal(op_fill(c), want[i]);
        fault_off();
        assert_non_null(strstr(reg_error_detail(), "cannot write the bundle"));
        assert_false(stored_after_filler(c));
    }
    assert_int_equal(op_fill(c), REG_OK);
    check_stored(c);
}

/* The filler's fsync after the last byte fails: the download has every byte, the bundle is not
 * stored, and the error file says why (a later download fetches again). */
static void
test_filler_fsync_fails(void **state)
{
    struct ctx *c = *state;
    struct reg_bundle_record rec;
    enum reg_fill_how how = REG_FILL_STORED;
    struct reg_fill fill;
    char prefix[40], path[600], line[256] = "";
    FILE *f;

    fault_fail("fsync", ".part", 1, EIO);
    assert_int_equal(op_fill(c), REG_OK);
    fault_off();
    assert_false(stored_after_filler(c));
    snprintf(prefix, sizeof(prefix), "%s.", c->id);
    assert_int_equal(fills_with(c, prefix, ".err"), 1);
    snprintf(path, sizeof(path), "%s/%s", c->fills, fill_file(c, prefix, ".err"));
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_non_null(strstr(line, "fsync"));
    /* The same key again: a new filler, which stores it. */
    assert_int_equal(reg_fill_open(&c->env, c->b, &c->plan, &how, &rec, &fill), REG_OK);
    assert_int_equal(how, REG_FILL_STREAMED);
    assert_int_equal(reg_fill_wait_first(&fill), REG_OK);
    reg_fill_close(&fill);
    assert_true(stored_after_filler(c));
}

/* A range past the zip's end is refused before any read. */
static void
test_range_outside(void **state)
{
    struct ctx *c = *state;
    struct reg_bundle_record rec;
    enum reg_fill_how how = REG_FILL_STORED;
    struct reg_fill fill;

    next_id(c);
    assert_int_equal(reg_fill_open(&c->env, c->b, &c->plan, &how, &rec, &fill), REG_OK);
    fault_count("pread", ".part");
    assert_int_equal(reg_fill_read(&fill, EMPTY_ZIP_SIZE - 2, 5, to_buf, c), REG_EINVAL);
    assert_int_equal(fault_calls(), 0);
    fault_off();
    assert_non_null(strstr(reg_error_detail(), "range outside the bundle"));
    reg_fill_close(&fill);
    assert_true(stored_after_filler(c));
}

/* Room: a zip over the cap, or one that would eat into the free-space reserve, is refused
 * before a part file is made; statvfs failing is a store error. */
static void
test_room(void **state)
{
    struct ctx *c = *state;
    struct reg_bundle_record rec;
    enum reg_fill_how how;
    struct reg_fill fill;

    c->env.max_bytes = EMPTY_ZIP_SIZE - 1;
    next_id(c);
    assert_int_equal(reg_fill_open(&c->env, c->b, &c->plan, &how, &rec, &fill), REG_ENOSPACE);
    assert_non_null(strstr(reg_error_detail(), "REGISTRY_BUNDLE_MAX_BYTES"));
    c->env.max_bytes = 0;
    c->env.reserve_bytes = INT64_MAX / 2;
    assert_int_equal(reg_fill_check_room(&c->env, EMPTY_ZIP_SIZE), REG_ENOSPACE);
    assert_non_null(strstr(reg_error_detail(), "REGISTRY_BLOB_RESERVE_BYTES"));
    assert_int_equal(fills_with(c, "run", ".part"), 0);
    c->env.reserve_bytes = 0;
    fault_fail("statvfs", "/fills", 1, EIO);
    assert_int_equal(reg_fill_check_room(&c->env, EMPTY_ZIP_SIZE), REG_ESTORE);
    fault_off();
    assert_non_null(strstr(reg_error_detail(), "statvfs"));
    assert_int_equal(reg_fill_check_room(&c->env, EMPTY_ZIP_SIZE), REG_OK);
}

/* A filler that cannot fetch its one file (its URL is under no allowed upstream base: the
 * plan's allow-list is empty) fails before the first byte: the download answers
 * REG_EUNAVAILABLE with the filler's reason, and nothing is stored. */
static void
test_upstream_fails(void **state)
{
    struct ctx *c = *state;
    struct reg_bundle_file file = {"a.bin", "http://127.0.0.1:9/a.bin", 3, NULL, NULL};

    c->plan.files = &file;
    c->plan.nfiles = 1;
    c->plan.content_bytes = 3;
    assert_int_equal(op_fill(c), REG_EUNAVAILABLE);
    assert_non_null(strstr(reg_error_detail(), "no stored copy, and upstream failed"));
    assert_non_null(strstr(reg_error_detail(), "cannot fetch 'a.bin'"));
    assert_false(stored_after_filler(c));
    c->plan.files = NULL;
    c->plan.nfiles = 0;
    c->plan.content_bytes = 0;
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    tmpdir_make(c->root, sizeof(c->root), NULL, "fillfaults");
    snprintf(c->fills, sizeof(c->fills), "%s/fills", c->root);
    c->cfg.data_dir = c->root;
    c->cfg.blobs = "disk";
    c->cfg.scan_policy = "off";
    c->env.cfg = &c->cfg;
    c->env.dir = c->fills;
    assert_int_equal(reg_blobs_open(&c->cfg, &c->b), REG_OK);
    c->plan.aspect = REG_BUNDLE_FULL;
    c->plan.type = REG_TYPE_MODEL;
    c->plan.url = "https://huggingface.co/example/empty";
    c->plan.sources = "";
    c->plan.fetch.http = &c->plan.http; /* no file is fetched: the defaults */
    reg_buf_init(&c->got, 1 << 16);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;

    reg_buf_cleanup(&c->got);
    reg_blobs_free(c->b);
    tmpdir_remove(c->root);
    free(c);
    return 0;
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_decide_faults),
        TEST(test_filler_write_fails),
        TEST(test_filler_fsync_fails),
        TEST(test_range_outside),
        TEST(test_room),
        TEST(test_upstream_fails),
    };
#undef TEST

    return cmocka_run_group_tests_name("bundle/fill_faults", tests, NULL, NULL);
}
