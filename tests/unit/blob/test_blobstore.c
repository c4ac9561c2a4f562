/*
 * test_blobstore.c - the content-addressed blob store (lib/blob/blobstore.c) in a fresh temp
 * directory per test: names and contents of committed blobs, idempotent commits, abort at any
 * point, the byte cap, a write failure injected with RLIMIT_FSIZE, a damaged blob replaced,
 * digest validation, and the start-up sweep. After every failure the test checks that no file
 * is left at a final path nor under tmp/.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/str.h"
#include "blob/blob_test.h"
#include "blob/blobstore.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---------------------------------------------------------------- helpers */

/* Regular files directly in dir (0 if it does not exist). */
static int
count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;

    if (!d)
        return 0;
    for (;;) {
        struct dirent *e = readdir(d);
        char p[REG_BLOB_PATH_MAX];
        struct stat st;

        if (!e)
            break;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            n++;
    }
    closedir(d);
    return n;
}

static int
tmp_files(const struct blob_fixture *f)
{
    char p[REG_BLOB_PATH_MAX];

    snprintf(p, sizeof(p), "%s/%s", f->dir, REG_BLOB_TMP_DIR);
    return count_files(p);
}

/* Committed blobs: files in every <2 hex> directory of the store. */
static int
blob_files(const struct blob_fixture *f)
{
    DIR *d = opendir(f->dir);
    int n = 0;

    if (!d)
        return 0;
    for (;;) {
        struct dirent *e = readdir(d);
        char p[REG_BLOB_PATH_MAX];

        if (!e)
            break;
        if (strlen(e->d_name) != 2 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
        n += count_files(p);
    }
    closedir(d);
    return n;
}

static void
sha256_hex(const void *data, size_t len, char out[REG_BLOB_SHA256_HEX + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    assert_int_equal(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
    reg_str_hex(md, n, out);
}

/* The whole content of a file (malloc'd, *len bytes); fails the test if unreadable. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *data;
    long n;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return data;
}

/* Writes data in chunks of at most step bytes and commits. */
static enum reg_status
put(const char *dir, const char *data, size_t len, size_t step, struct reg_blob_info *out)
{
    struct reg_blob_writer w;
    enum reg_status st = reg_blob_begin(&w, dir, 1 << 20);

    for (size_t off = 0; st == REG_OK && off < len; off += step)
        st = reg_blob_write(&w, data + off, len - off < step ? len - off : step);
    if (st != REG_OK) {
        reg_blob_abort(&w);
        return st;
    }
    return reg_blob_commit(&w, out);
}

/* ---------------------------------------------------------------- committing */

static void
test_commit_names_and_content(void **state)
{
    struct blob_fixture *f = *state;
    static const char text[] = "the registry keeps its own copy of every artifact's files";
    char want[REG_BLOB_SHA256_HEX + 1], path[REG_BLOB_PATH_MAX], expect_path[REG_BLOB_PATH_MAX];
    struct reg_blob_info info;
    struct stat st;
    size_t len;
    char *got;

    sha256_hex(text, sizeof(text) - 1, want);
    assert_int_equal(put(f->dir, text, sizeof(text) - 1, 7, &info), REG_OK);
    assert_string_equal(info.sha256, want);
    assert_int_equal(info.size, sizeof(text) - 1);
    assert_false(info.existed);
    assert_int_equal(reg_blob_path(path, sizeof(path), f->dir, info.sha256), REG_OK);
    snprintf(expect_path, sizeof(expect_path), "%s/%.2s/%s.zip", f->dir, want, want);
    assert_string_equal(path, expect_path);
    got = slurp(path, &len);
    assert_int_equal(len, sizeof(text) - 1);
    assert_memory_equal(got, text, len);
    free(got);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, REG_BLOB_FILE_MODE);
    assert_int_equal(tmp_files(f), 0);
    assert_int_equal(blob_files(f), 1);
}

static void
test_empty_blob(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_blob_info info;

    assert_int_equal(put(f->dir, "", 0, 1, &info), REG_OK);
    assert_string_equal(info.sha256, EMPTY_SHA256);
    assert_int_equal(info.size, 0);
    assert_int_equal(blob_files(f), 1);
}

/* The same bytes twice: one file, the second commit reports it existed. Two writers open at
 * once get distinct temp files. */
static void
test_commit_is_idempotent(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_blob_writer a, b;
    struct reg_blob_info ia, ib;

    assert_int_equal(reg_blob_begin(&a, f->dir, 100), REG_OK);
    assert_int_equal(reg_blob_begin(&b, f->dir, 100), REG_OK);
    assert_int_equal(tmp_files(f), 2);
    assert_int_equal(reg_blob_write(&a, "same bytes", 10), REG_OK);
    assert_int_equal(reg_blob_write(&b, "same ", 5), REG_OK);
    assert_int_equal(reg_blob_write(&b, "bytes", 5), REG_OK);
    assert_int_equal(reg_blob_commit(&a, &ia), REG_OK);
    assert_int_equal(reg_blob_commit(&b, &ib), REG_OK);
    assert_false(ia.existed);
    assert_true(ib.existed);
    assert_string_equal(ia.sha256, ib.sha256);
    assert_int_equal(blob_files(f), 1);
    assert_int_equal(tmp_files(f), 0);
    reg_blob_abort(&a); /* after commit: nothing happens */
    reg_blob_abort(&b);
    assert_int_equal(blob_files(f), 1);

    assert_int_equal(put(f->dir, "other bytes", 11, 3, &ib), REG_OK);
    assert_false(ib.existed);
    assert_int_equal(blob_files(f), 2);
}

/* A file of another size at the final path (a damaged blob) is replaced. */
static void
test_damaged_blob_replaced(void **state)
{
    struct blob_fixture *f = *state;
    static const char text[] = "intact content";
    char sha[REG_BLOB_SHA256_HEX + 1], path[REG_BLOB_PATH_MAX], sub[REG_BLOB_PATH_MAX];
    struct reg_blob_info info;
    size_t len;
    char *got;
    FILE *fp;

    sha256_hex(text, sizeof(text) - 1, sha);
    assert_int_equal(mkdir(f->dir, 0755), 0);
    snprintf(sub, sizeof(sub), "%s/%.2s", f->dir, sha);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(reg_blob_path(path, sizeof(path), f->dir, sha), REG_OK);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("trunc", fp);
    fclose(fp);
    assert_int_equal(put(f->dir, text, sizeof(text) - 1, 4, &info), REG_OK);
    assert_false(info.existed);
    got = slurp(path, &len);
    assert_int_equal(len, sizeof(text) - 1);
    assert_memory_equal(got, text, len);
    free(got);
}

/* ---------------------------------------------------------------- failures */

static void
test_abort_leaves_nothing(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_blob_writer w;
    struct reg_blob_writer zero;

    memset(&zero, 0, sizeof(zero));
    reg_blob_abort(NULL);
    reg_blob_abort(&zero); /* a zeroed writer is idle: fd 0 is not closed */
    assert_true(fcntl(0, F_GETFD) != -1 || errno != EBADF);

    assert_int_equal(reg_blob_begin(&w, f->dir, 1000), REG_OK);
    assert_int_equal(tmp_files(f), 1);
    assert_int_equal(reg_blob_write(&w, "partial", 7), REG_OK);
    reg_blob_abort(&w);
    assert_int_equal(tmp_files(f), 0);
    assert_int_equal(blob_files(f), 0);
    reg_blob_abort(&w); /* idempotent */
    assert_int_equal(reg_blob_write(&w, "x", 1), REG_EINTERNAL);
    assert_int_equal(tmp_files(f), 0);
}

static void
test_cap(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_blob_writer w;
    struct reg_blob_info info;

    /* exactly at the cap */
    assert_int_equal(reg_blob_begin(&w, f->dir, 10), REG_OK);
    assert_int_equal(reg_blob_write(&w, "0123456789", 10), REG_OK);
    assert_int_equal(reg_blob_commit(&w, &info), REG_OK);
    assert_int_equal(info.size, 10);

    /* one past it */
    assert_int_equal(reg_blob_begin(&w, f->dir, 10), REG_OK);
    assert_int_equal(reg_blob_write(&w, "012345", 6), REG_OK);
    assert_int_equal(reg_blob_write(&w, "6789A", 5), REG_ETOOLARGE);
    assert_non_null(strstr(reg_error_detail(), "cap of 10 bytes"));
    assert_int_equal(reg_blob_write(&w, "6", 1), REG_ETOOLARGE); /* sticky */
    assert_int_equal(reg_blob_commit(&w, &info), REG_ETOOLARGE);
    assert_int_equal(info.size, 0);
    reg_blob_abort(&w);
    assert_int_equal(tmp_files(f), 0);
    assert_int_equal(blob_files(f), 1); /* the first one only */
}

/* A write(2) failure (EFBIG from RLIMIT_FSIZE) fails the write; nothing is left. */
static void
test_write_failure_leaves_nothing(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_blob_writer w;
    struct reg_blob_info info;
    struct rlimit old, small;
    char block[4096];
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    enum reg_status st = REG_OK;

    memset(block, 'z', sizeof(block));
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(reg_blob_begin(&w, f->dir, 1 << 20), REG_OK);
    small = old;
    small.rlim_cur = 3 * sizeof(block);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    for (int i = 0; i < 8 && st == REG_OK; i++)
        st = reg_blob_write(&w, block, sizeof(block));
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(st, REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "cannot write"));
    assert_int_equal(reg_blob_commit(&w, &info), REG_ESTORE);
    reg_blob_abort(&w);
    assert_int_equal(tmp_files(f), 0);
    assert_int_equal(blob_files(f), 0);
}

static void
test_begin_errors(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_blob_writer w;
    char missing[REG_BLOB_PATH_MAX], file[REG_BLOB_PATH_MAX];
    FILE *fp;

    snprintf(missing, sizeof(missing), "%s/no/such/parent/blobs", f->root);
    assert_int_equal(reg_blob_begin(&w, missing, 10), REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "cannot create directory"));
    reg_blob_abort(&w);

    snprintf(file, sizeof(file), "%s/a-file", f->root);
    fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(reg_blob_begin(&w, file, 10), REG_ESTORE);
    assert_int_equal(reg_blob_begin(&w, f->dir, 0), REG_EINVAL);
    assert_int_equal(reg_blob_begin(&w, "", 10), REG_EINVAL);
    assert_int_equal(reg_blob_write(&w, "x", 1), REG_EINTERNAL);
    reg_blob_abort(&w);
}

/* ---------------------------------------------------------------- names and the sweep */

static void
test_path(void **state)
{
    static const struct {
        const char *sha;
        bool ok;
    } cases[] = {
        {EMPTY_SHA256, true},
        {"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", false},
        {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", false},
        {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550", false},
        {"../../../../etc/passwd/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b", false},
        {"g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false},
        {"", false},
        {NULL, false},
    };
    char out[REG_BLOB_PATH_MAX];
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        enum reg_status st = reg_blob_path(out, sizeof(out), "/data/blobs", cases[i].sha);

        CHECK(&bad, (st == REG_OK) == cases[i].ok, "case %d: status %d", i, st);
        CHECK(&bad, reg_blob_sha256_ok(cases[i].sha) == cases[i].ok, "case %d: sha256_ok", i);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(reg_blob_path(out, sizeof(out), "/data/blobs", EMPTY_SHA256), REG_OK);
    assert_string_equal(out, "/data/blobs/e3/" EMPTY_SHA256 ".zip");
    assert_int_equal(reg_blob_path(out, 20, "/data/blobs", EMPTY_SHA256), REG_EINVAL);
}

static void
touch(const char *path, time_t mtime)
{
    struct timespec ts[2];
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs("x", fp);
    fclose(fp);
    ts[0].tv_sec = ts[1].tv_sec = mtime;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
test_sweep(void **state)
{
    struct blob_fixture *f = *state;
    char p[REG_BLOB_PATH_MAX];
    time_t now = time(NULL);
    struct reg_blob_writer live;
    int removed = -1;

    assert_int_equal(reg_blob_sweep_tmp(f->dir, 3600, &removed), REG_OK); /* no tmp/ yet */
    assert_int_equal(removed, 0);
    assert_int_equal(reg_blob_begin(&live, f->dir, 10), REG_OK); /* creates tmp/, fresh */
    snprintf(p, sizeof(p), "%s/tmp/old1.part", f->dir);
    touch(p, now - 7200);
    snprintf(p, sizeof(p), "%s/tmp/old2.part", f->dir);
    touch(p, now - 4000);
    snprintf(p, sizeof(p), "%s/tmp/recent.part", f->dir);
    touch(p, now - 60);
    snprintf(p, sizeof(p), "%s/tmp/not-ours.txt", f->dir);
    touch(p, now - 7200);
    assert_int_equal(tmp_files(f), 5);
    assert_int_equal(reg_blob_sweep_tmp(f->dir, 3600, &removed), REG_OK);
    assert_int_equal(removed, 2);
    assert_int_equal(tmp_files(f), 3);
    reg_blob_abort(&live);
    assert_int_equal(tmp_files(f), 2);
}

int
main(void)
{
/* Every test gets a store directory root/blobs that does not exist yet. */
#define TEST(fn) cmocka_unit_test_setup_teardown(fn, blob_setup_dir, blob_teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_commit_names_and_content),
        TEST(test_empty_blob),
        TEST(test_commit_is_idempotent),
        TEST(test_damaged_blob_replaced),
        TEST(test_abort_leaves_nothing),
        TEST(test_cap),
        TEST(test_write_failure_leaves_nothing),
        TEST(test_begin_errors),
        cmocka_unit_test(test_path),
        TEST(test_sweep),
    };
#undef TEST

    return cmocka_run_group_tests_name("blob/blobstore", tests, NULL, NULL);
}
