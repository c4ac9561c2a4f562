/*
 * test_vet.c - the pull-through download's vetted watermark (lib/bundle/vet.c) and the readers
 * that obey it (lib/bundle/fill.c), offline: the observer is driven as reg_bundle_stream drives
 * it (begin, data after the sink took the bytes, end after the entry), with a counter standing
 * for the part file's length. Under block, for a model: a file the scanner does not read passes
 * at once; a scanned file moves the watermark only at its verdict; a refused one stops the zip
 * (REG_EDISQUALIFIED naming it) and leaves the watermark where it was. Flag, off and datasets
 * hold nothing. A reader hands out the vetted prefix only, and reports the refusal; with a
 * running filler (a forked stand-in holding the part file's lock), a download answers only once
 * the zip is settled, answers 424 when a refusal comes first, and, past the hold, streams the
 * vetted bytes and is cut short by a refusal.
 */
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "bundle/fill.h"
#include "bundle/vet.h"
#include "tmpdir_fixture.h"

static char root[256];
static char vetted_path[512];

static const char DANGEROUS[] = "cos\nsystem\n(S'id'\ntR.";         /* os.system('id') */
static const char SAFE_PICKLE[] = "\x80\x02}.";                     /* an empty dict */
static const char CONFIG[] = "{\"model_type\": \"bert\"}";          /* scanned: safe */
static const char TEXT[] = "*.bin filter=lfs diff=lfs merge=lfs\n"; /* not scanned */

/* The files of a model, sorted as a bundle lists them. */
static const struct reg_bundle_file FILES[] = {
    {".gitattributes", "u", 0, NULL, NULL},
    {"config.json", "u", 0, NULL, NULL},
    {"pytorch_model.bin", "u", 0, NULL, NULL},
    {"vocab.txt", "u", 0, NULL, NULL},
};

static int
setup(void **state)
{
    (void)state;
    tmpdir_make(root, sizeof(root), NULL, "vettest");
    snprintf(vetted_path, sizeof(vetted_path), "%s/k.vetted", root);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    tmpdir_remove(root);
    return 0;
}

/* One file through the observer as reg_bundle_stream passes it: the zip grows by a header,
 * the data and a descriptor around what the observer sees. */
static enum reg_status
pass_file(struct reg_vet *v, int64_t *written, const char *path, const char *data)
{
    enum reg_status st = v->observer.begin(v->observer.ctx, path);

    *written += 30 + (int64_t)strlen(path); /* the local header */
    *written += (int64_t)strlen(data);
    if (st == REG_OK)
        st = v->observer.data(v->observer.ctx, data, strlen(data));
    *written += 16; /* the data descriptor */
    return st == REG_OK ? v->observer.end(v->observer.ctx) : st;
}

static void
read_mark(int64_t total, int64_t *vetted, bool *settled)
{
    assert_int_equal(reg_vet_read(vetted_path, total, vetted, settled), REG_OK);
}

static void
test_block_holds_until_each_verdict(void **state)
{
    struct reg_arena a;
    struct reg_vet v;
    int64_t written = 0, mark, after_config;
    bool settled;

    (void)state;
    reg_arena_init(&a);
    reg_vet_init(&v, &a, REG_SCAN_POLICY_BLOCK, REG_TYPE_MODEL, FILES, NELEMS(FILES), &written,
                 vetted_path);
    assert_true(v.holds);
    assert_int_equal(reg_vet_start(&v), REG_OK);
    read_mark(1000, &mark, &settled);
    assert_int_equal(mark, 0);
    assert_false(settled);

    /* Not scanned: released as it arrives (published at its end, the step being 1 MiB). */
    assert_int_equal(v.observer.begin(v.observer.ctx, ".gitattributes"), REG_OK);
    written += 44 + (int64_t)strlen(TEXT);
    assert_int_equal(v.observer.data(v.observer.ctx, TEXT, strlen(TEXT)), REG_OK);
    assert_int_equal(v.vetted, written);
    written += 16;
    assert_int_equal(v.observer.end(v.observer.ctx), REG_OK);
    read_mark(1000, &mark, &settled);
    assert_int_equal(mark, written);

    /* Scanned: nothing of it before its verdict, all of it after. */
    assert_int_equal(v.observer.begin(v.observer.ctx, "config.json"), REG_OK);
    written += 41 + (int64_t)strlen(CONFIG);
    assert_int_equal(v.observer.data(v.observer.ctx, CONFIG, strlen(CONFIG)), REG_OK);
    read_mark(1000, &mark, &settled);
    assert_true(mark < written);
    written += 16;
    assert_int_equal(v.observer.end(v.observer.ctx), REG_OK);
    read_mark(1000, &mark, &settled);
    assert_int_equal(mark, written);
    assert_false(settled); /* pytorch_model.bin is still to come */
    after_config = mark;

    /* Refused: the zip stops, the watermark stays before the file. */
    assert_int_equal(pass_file(&v, &written, "pytorch_model.bin", DANGEROUS), REG_EDISQUALIFIED);
    assert_non_null(strstr(reg_error_detail(), "pytorch_model.bin: dangerous"));
    assert_non_null(strstr(reg_error_detail(), "REGISTRY_SCAN_POLICY=block"));
    read_mark(1000, &mark, &settled);
    assert_int_equal(mark, after_config);
    assert_false(settled);
    reg_vet_cleanup(&v);
    reg_arena_cleanup(&a);
}

static void
test_block_settles_after_the_last_scanned_file(void **state)
{
    struct reg_arena a;
    struct reg_vet v;
    int64_t written = 0, mark;
    bool settled;

    (void)state;
    reg_arena_init(&a);
    reg_vet_init(&v, &a, REG_SCAN_POLICY_BLOCK, REG_TYPE_MODEL, FILES, NELEMS(FILES), &written,
                 vetted_path);
    assert_int_equal(reg_vet_start(&v), REG_OK);
    assert_int_equal(pass_file(&v, &written, ".gitattributes", TEXT), REG_OK);
    assert_int_equal(pass_file(&v, &written, "config.json", CONFIG), REG_OK);
    assert_int_equal(pass_file(&v, &written, "pytorch_model.bin", SAFE_PICKLE), REG_OK);
    read_mark(1000, &mark, &settled);
    assert_int_equal(mark, written);
    assert_true(settled);
    assert_int_equal(pass_file(&v, &written, "vocab.txt", TEXT), REG_OK);
    assert_int_equal(v.scanner.report.nfiles, 2); /* config.json and the pickle */
    assert_int_equal(reg_vet_finish(&v, 1000), REG_OK);
    read_mark(1000, &mark, &settled);
    assert_int_equal(mark, 1000);
    reg_vet_cleanup(&v);
    reg_arena_cleanup(&a);
}

/* Flag, and a dataset under block: scanned, never refused, nothing held or published. */
static void
test_flag_and_datasets_hold_nothing(void **state)
{
    static const struct {
        enum reg_scan_policy policy;
        enum reg_artifact_type type;
    } cases[] = {{REG_SCAN_POLICY_FLAG, REG_TYPE_MODEL},
                 {REG_SCAN_POLICY_BLOCK, REG_TYPE_DATASET},
                 {REG_SCAN_POLICY_BLOCK, REG_TYPE_CODE}};

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_arena a;
        struct reg_vet v;
        int64_t written = 0;

        reg_arena_init(&a);
        reg_vet_init(&v, &a, cases[i].policy, cases[i].type, FILES, NELEMS(FILES), &written,
                     vetted_path);
        assert_false(v.holds);
        assert_true(v.scanning);
        assert_int_equal(reg_vet_start(&v), REG_OK);
        assert_int_equal(pass_file(&v, &written, "pytorch_model.bin", DANGEROUS), REG_OK);
        assert_int_equal(v.scanner.report.counts[REG_SCAN_DANGEROUS], 1);
        assert_int_equal(access(vetted_path, F_OK), -1); /* nothing published */
        reg_vet_cleanup(&v);
        reg_arena_cleanup(&a);
    }
    assert_false(reg_vet_holds(REG_SCAN_POLICY_OFF, REG_TYPE_MODEL));
}

static void
test_read_the_watermark_file(void **state)
{
    int64_t mark = 7;
    bool settled = false;
    FILE *f;

    (void)state;
    read_mark(1234, &mark, &settled); /* none: the whole zip (stored) */
    assert_int_equal(mark, 1234);
    assert_true(settled);
    assert_int_equal(reg_vet_publish(vetted_path, 99, false), REG_OK);
    read_mark(1234, &mark, &settled);
    assert_int_equal(mark, 99);
    assert_false(settled);
    assert_int_equal(reg_vet_read(vetted_path, 50, &mark, &settled), REG_ESTORE); /* > total */
    assert_int_equal(mark, 99);
    f = fopen(vetted_path, "w");
    assert_non_null(f);
    fputs("garbage\n", f);
    fclose(f);
    assert_int_equal(reg_vet_read(vetted_path, 1234, &mark, &settled), REG_ESTORE);
}

/* ---- readers ----------------------------------------------------------------------------- */

static enum reg_status
collect(void *ctx, const void *data, size_t len)
{
    return reg_buf_append(ctx, data, len);
}

/* A part file of 100 bytes whose filler is gone: fill reads it under the watermark. */
static void
gone_filler(struct reg_fill *fill, const char *err)
{
    char part[600], zip[100];
    int fd;

    memset(zip, 'z', sizeof(zip));
    snprintf(part, sizeof(part), "%s/k.part", root);
    fd = open(part, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, zip, sizeof(zip)), (ssize_t)sizeof(zip));
    close(fd);
    memset(fill, 0, sizeof(*fill));
    fill->fd = open(part, O_RDONLY);
    assert_true(fill->fd >= 0);
    fill->total = 100;
    fill->vetting = true;
    snprintf(fill->vetted_path, sizeof(fill->vetted_path), "%s", vetted_path);
    snprintf(fill->err_path, sizeof(fill->err_path), "%s/k.err", root);
    if (err) {
        FILE *f = fopen(fill->err_path, "w");
        assert_non_null(f);
        fputs(err, f);
        fclose(f);
    }
}

static void
test_reader_stops_at_a_refusal(void **state)
{
    struct reg_fill fill;
    struct reg_buf got;

    (void)state;
    gone_filler(&fill, "disqualified\nthe model scan refuses 1 file: pytorch_model.bin\n");
    assert_int_equal(reg_vet_publish(vetted_path, 40, false), REG_OK);
    assert_int_equal(reg_fill_wait_first(&fill), REG_EDISQUALIFIED);
    assert_string_equal(reg_error_detail(), "the model scan refuses 1 file: pytorch_model.bin");
    reg_buf_init(&got, 1024);
    assert_int_equal(reg_fill_read(&fill, 0, -1, collect, &got), REG_EUPSTREAM);
    assert_int_equal(got.len, 40); /* the vetted prefix, not a byte more */
    reg_buf_cleanup(&got);
    reg_fill_close(&fill);
}

static void
test_reader_reads_a_finished_fill(void **state)
{
    struct reg_fill fill;
    struct reg_buf got;

    (void)state;
    gone_filler(&fill, NULL); /* no watermark file: the filler stored the bundle */
    assert_int_equal(reg_fill_wait_first(&fill), REG_OK);
    reg_buf_init(&got, 1024);
    assert_int_equal(reg_fill_read(&fill, 10, -1, collect, &got), REG_OK);
    assert_int_equal(got.len, 90);
    reg_buf_cleanup(&got);
    reg_fill_close(&fill);
}

/* A filler stand-in: a child that holds the part file's flock (as the filler does), sleeps a
 * little, then publishes the whole zip (err NULL) or writes the .err and leaves the
 * watermark where it is, and exits. Returns once the lock is held. */
static pid_t
fake_filler(const struct reg_fill *fill, const char *err)
{
    char part[600], go;
    int ready[2];
    pid_t pid;

    snprintf(part, sizeof(part), "%s/k.part", root);
    assert_int_equal(pipe(ready), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(part, O_RDWR);
        struct timespec ts = {0, 200 * 1000000L};
        if (fd < 0 || flock(fd, LOCK_EX) != 0)
            _exit(2);
        go = 1;
        if (write(ready[1], &go, 1) != 1)
            _exit(2);
        nanosleep(&ts, NULL);
        if (err) {
            FILE *f = fopen(fill->err_path, "w");
            if (!f)
                _exit(2);
            fputs(err, f);
            fclose(f);
        } else if (reg_vet_publish(fill->vetted_path, fill->total, true) != REG_OK) {
            _exit(2);
        }
        _exit(0);
    }
    assert_int_equal(read(ready[0], &go, 1), 1);
    close(ready[0]);
    close(ready[1]);
    return pid;
}

static void
reap(pid_t pid)
{
    int status = 0;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define REFUSAL "disqualified\nthe model scan refuses 1 file: pytorch_model.bin\n"

/* Bytes are vetted, but a file that may still be refused is under way: the download does not
 * answer until it is settled (here: the zip complete). */
static void
test_download_waits_until_settled(void **state)
{
    struct reg_fill fill;
    struct reg_buf got;
    pid_t pid;

    (void)state;
    gone_filler(&fill, NULL);
    assert_int_equal(reg_vet_publish(vetted_path, 40, false), REG_OK);
    pid = fake_filler(&fill, NULL);
    assert_int_equal(reg_fill_wait_first(&fill), REG_OK);
    assert_true(fill.settled); /* it answered on the final watermark, not on the first 40 */
    reg_buf_init(&got, 1024);
    assert_int_equal(reg_fill_read(&fill, 0, -1, collect, &got), REG_OK);
    assert_int_equal(got.len, 100);
    reg_buf_cleanup(&got);
    reg_fill_close(&fill);
    reap(pid);
}

/* A refusal while the download waits: 424, though 40 bytes were vetted. */
static void
test_download_that_sent_nothing_answers_424(void **state)
{
    struct reg_fill fill;
    pid_t pid;

    (void)state;
    gone_filler(&fill, NULL);
    assert_int_equal(reg_vet_publish(vetted_path, 40, false), REG_OK);
    pid = fake_filler(&fill, REFUSAL);
    assert_int_equal(reg_fill_wait_first(&fill), REG_EDISQUALIFIED);
    assert_string_equal(reg_error_detail(), "the model scan refuses 1 file: pytorch_model.bin");
    reg_fill_close(&fill);
    reap(pid);
}

/* A download that stopped waiting (REG_FILL_HOLD_MS) streams the vetted bytes and is cut
 * short by a later refusal. */
static void
test_streaming_download_is_cut_short(void **state)
{
    struct reg_fill fill;
    struct reg_buf got;
    pid_t pid;

    (void)state;
    gone_filler(&fill, NULL);
    assert_int_equal(reg_vet_publish(vetted_path, 40, false), REG_OK);
    pid = fake_filler(&fill, REFUSAL);
    fill.held_ms = REG_FILL_HOLD_MS;
    assert_int_equal(reg_fill_wait_first(&fill), REG_OK);
    reg_buf_init(&got, 1024);
    assert_int_equal(reg_fill_read(&fill, 0, -1, collect, &got), REG_EUPSTREAM);
    assert_int_equal(got.len, 40);
    reg_buf_cleanup(&got);
    reg_fill_close(&fill);
    reap(pid);
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_block_holds_until_each_verdict),
        TEST(test_block_settles_after_the_last_scanned_file),
        TEST(test_flag_and_datasets_hold_nothing),
        TEST(test_read_the_watermark_file),
        TEST(test_reader_stops_at_a_refusal),
        TEST(test_reader_reads_a_finished_fill),
        TEST(test_download_waits_until_settled),
        TEST(test_download_that_sent_nothing_answers_424),
        TEST(test_streaming_download_is_cut_short),
    };
#undef TEST
    return cmocka_run_group_tests(tests, NULL, NULL);
}
