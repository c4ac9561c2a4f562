/*
 * test_index.c - bundle records and reference markers (lib/bundle/index.c) on a disk blob store
 * (lib/blob/blobs_disk.c) in a fresh temp directory per test, with small real blobs: records
 * read back as written; a blob shared by two artifacts (or two aspects) stays until its last
 * record goes; a replaced record releases its old blob when nothing else names it; a blob put
 * for nothing is dropped; a reset leaves only the empty meta/ and tmp/ directories; a damaged
 * record is reported and still forgotten; ids the registry refuses are refused here too.
 */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "blob/blob_test.h"
#include "blob/blobs.h"
#include "blob/blobstore.h"
#include "bundle/index.h"

#define SOURCE_URL "https://huggingface.co/fixture-lab/poor-metadata-model"

/* ---------------------------------------------------------------- helpers */

/* A blob of the text's bytes, put from a file of its own (hashed, then kept as the caller's);
 * a record for it in *rec (url SOURCE_URL, no sources, stored at time at). */
static void
make_blob(struct blob_fixture *f, const char *text, int64_t at, struct reg_bundle_record *rec)
{
    static int files; /* source files written, for their names */
    char path[512];
    int64_t size = -1;
    int fd;

    snprintf(path, sizeof(path), "%s/src-%d", f->root, files++);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
    memset(rec, 0, sizeof(*rec));
    assert_int_equal(reg_blobs_hash_file(path, rec->sha256, &size), REG_OK);
    assert_int_equal(size, (int64_t)strlen(text));
    assert_int_equal(reg_blobs_put_file(f->b, path, rec->sha256), REG_OK);
    rec->size = size;
    snprintf(rec->url, sizeof(rec->url), "%s", SOURCE_URL);
    rec->at = at;
}

/* Whether blob sha256 is in the store. */
static bool
has_blob(struct blob_fixture *f, const char *sha256)
{
    int64_t size;
    enum reg_status st = reg_blobs_stat(f->b, sha256, &size);

    if (st != REG_OK && st != REG_ENOTFOUND)
        fail_msg("stat %s: %s", sha256, reg_error_detail());
    return st == REG_OK;
}

/* Whether metadata object key exists. */
static bool
has_key(struct blob_fixture *f, const char *key)
{
    struct reg_arena a;
    char *data;
    size_t len;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_blobs_meta_get(f->b, &a, key, &data, &len);
    reg_arena_cleanup(&a);
    if (st != REG_OK && st != REG_ENOTFOUND)
        fail_msg("get %s: %s", key, reg_error_detail());
    return st == REG_OK;
}

static bool
has_marker(struct blob_fixture *f, const char *sha256, const char *id, const char *aspect)
{
    char key[REG_BLOBS_KEY_MAX + 1];

    snprintf(key, sizeof(key), "refs/%s/%s.%s", sha256, id, aspect);
    return has_key(f, key);
}

static void
set(struct blob_fixture *f, const char *id, enum reg_bundle_aspect aspect,
    const struct reg_bundle_record *rec)
{
    if (reg_bundle_index_set(f->b, id, aspect, rec) != REG_OK)
        fail_msg("set %s/%s: %s", id, reg_bundle_aspect_name(aspect), reg_error_detail());
}

static void
forget(struct blob_fixture *f, const char *id)
{
    if (reg_bundle_index_forget(f->b, id) != REG_OK)
        fail_msg("forget %s: %s", id, reg_error_detail());
}

/* The status of reading id's aspect (the record itself is not kept). */
static enum reg_status
get_status(struct blob_fixture *f, const char *id, enum reg_bundle_aspect aspect)
{
    struct reg_bundle_record rec;

    return reg_bundle_index_get(f->b, id, aspect, &rec);
}

/* Counts what is under path: regular files (and anything else that is not a directory) in
 * *files, directories other than the two store directories meta/ and tmp/ in *dirs. */
static void
walk(const char *path, bool top, int *files, int *dirs)
{
    DIR *d = opendir(path);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char child[REG_BLOB_PATH_MAX];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        assert_int_equal(lstat(child, &st), 0);
        if (!S_ISDIR(st.st_mode)) {
            print_message("left in the store: %s\n", child);
            ++*files;
            continue;
        }
        if (!top || (strcmp(e->d_name, "meta") != 0 && strcmp(e->d_name, "tmp") != 0)) {
            print_message("directory left in the store: %s\n", child);
            ++*dirs;
        }
        walk(child, false, files, dirs);
    }
    closedir(d);
}

/* The store holds nothing but the empty directories meta/ and tmp/ (each optional). */
static void
assert_store_empty(struct blob_fixture *f)
{
    int files = 0, dirs = 0;

    walk(f->dir, true, &files, &dirs);
    assert_int_equal(files, 0);
    assert_int_equal(dirs, 0);
}

/* ---------------------------------------------------------------- tests */

static void
test_set_get(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_bundle_record rec, got;
    time_t before, after;

    make_blob(f, "the full bundle", 1700000000, &rec);
    snprintf(rec.sources, sizeof(rec.sources), "%s", "1234,5678");
    set(f, "1234567890", REG_BUNDLE_FULL, &rec);
    assert_int_equal(reg_bundle_index_get(f->b, "1234567890", REG_BUNDLE_FULL, &got), REG_OK);
    assert_string_equal(got.sha256, rec.sha256);
    assert_int_equal(got.size, rec.size);
    assert_string_equal(got.url, SOURCE_URL);
    assert_string_equal(got.sources, "1234,5678");
    assert_int_equal(got.at, 1700000000);
    assert_true(has_key(f, "records/1234567890/full.json"));
    assert_true(has_marker(f, rec.sha256, "1234567890", "full"));

    /* other aspects and ids have no record */
    assert_int_equal(get_status(f, "1234567890", REG_BUNDLE_WEIGHTS), REG_ENOTFOUND);
    assert_int_equal(get_status(f, "1234567891", REG_BUNDLE_FULL), REG_ENOTFOUND);
    assert_int_equal(get_status(f, "123456789", REG_BUNDLE_FULL), REG_ENOTFOUND);

    /* at 0: the time of the call */
    make_blob(f, "the card bundle", 0, &rec);
    rec.sources[0] = '\0';
    before = time(NULL);
    set(f, "1234567890", REG_BUNDLE_CARD, &rec);
    after = time(NULL);
    assert_int_equal(reg_bundle_index_get(f->b, "1234567890", REG_BUNDLE_CARD, &got), REG_OK);
    assert_string_equal(got.sha256, rec.sha256);
    assert_string_equal(got.sources, "");
    assert_true(got.at >= (int64_t)before && got.at <= (int64_t)after);

    /* ids of letters and dashes, and every aspect */
    for (int i = 0; i < 4; i++) {
        enum reg_bundle_aspect aspect = (enum reg_bundle_aspect)i;

        set(f, "Model-abc-9", aspect, &rec);
        assert_int_equal(reg_bundle_index_get(f->b, "Model-abc-9", aspect, &got), REG_OK);
        assert_string_equal(got.sha256, rec.sha256);
    }
}

/* Two artifacts share one blob: it stays until both are forgotten. */
static void
test_shared_blob(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_bundle_record rec, other;

    make_blob(f, "shared bytes", 1, &rec);
    make_blob(f, "other bytes", 1, &other);
    set(f, "111", REG_BUNDLE_FULL, &rec);
    set(f, "222", REG_BUNDLE_FULL, &rec);
    set(f, "222", REG_BUNDLE_CARD, &other);
    forget(f, "111");
    assert_int_equal(get_status(f, "111", REG_BUNDLE_FULL), REG_ENOTFOUND);
    assert_int_equal(get_status(f, "222", REG_BUNDLE_FULL), REG_OK);
    assert_false(has_marker(f, rec.sha256, "111", "full"));
    assert_true(has_blob(f, rec.sha256));
    forget(f, "222");
    assert_int_equal(get_status(f, "222", REG_BUNDLE_FULL), REG_ENOTFOUND);
    assert_int_equal(get_status(f, "222", REG_BUNDLE_CARD), REG_ENOTFOUND);
    assert_false(has_blob(f, rec.sha256));
    assert_false(has_blob(f, other.sha256));
    /* forgetting again, or an artifact without records, is a success */
    forget(f, "222");
    forget(f, "333");
    assert_store_empty(f);
}

/* Two aspects of one artifact share one blob: forgetting the artifact removes it. */
static void
test_shared_by_aspects(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_bundle_record rec;

    make_blob(f, "weights only", 1, &rec);
    set(f, "444", REG_BUNDLE_FULL, &rec);
    set(f, "444", REG_BUNDLE_WEIGHTS, &rec);
    assert_true(has_marker(f, rec.sha256, "444", "full"));
    assert_true(has_marker(f, rec.sha256, "444", "weights"));
    forget(f, "444");
    assert_false(has_blob(f, rec.sha256));
    assert_store_empty(f);
}

/* A record replaced by another blob releases the old one, unless something else names it. */
static void
test_replace(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_bundle_record a, b, c, got;

    make_blob(f, "first version", 1, &a);
    make_blob(f, "second version", 2, &b);
    make_blob(f, "third version", 3, &c);
    set(f, "555", REG_BUNDLE_FULL, &a);
    set(f, "555", REG_BUNDLE_FULL, &b);
    assert_int_equal(reg_bundle_index_get(f->b, "555", REG_BUNDLE_FULL, &got), REG_OK);
    assert_string_equal(got.sha256, b.sha256);
    assert_int_equal(got.at, 2);
    assert_false(has_blob(f, a.sha256));
    assert_false(has_marker(f, a.sha256, "555", "full"));
    assert_true(has_blob(f, b.sha256));

    /* the same blob again: kept, one marker */
    set(f, "555", REG_BUNDLE_FULL, &b);
    assert_true(has_blob(f, b.sha256));
    assert_true(has_marker(f, b.sha256, "555", "full"));

    /* b is also another artifact's: replacing it here keeps it */
    set(f, "666", REG_BUNDLE_CARD, &b);
    set(f, "555", REG_BUNDLE_FULL, &c);
    assert_true(has_blob(f, b.sha256));
    assert_false(has_marker(f, b.sha256, "555", "full"));
    assert_true(has_marker(f, b.sha256, "666", "card"));
    assert_true(has_blob(f, c.sha256));
    forget(f, "666");
    assert_false(has_blob(f, b.sha256));
    forget(f, "555");
    assert_false(has_blob(f, c.sha256));
    assert_store_empty(f);
}

static void
test_drop_unused(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_bundle_record used, unused;

    make_blob(f, "named by a record", 1, &used);
    make_blob(f, "named by nothing", 1, &unused);
    set(f, "777", REG_BUNDLE_FULL, &used);
    assert_int_equal(reg_bundle_index_drop_unused(f->b, used.sha256), REG_OK);
    assert_true(has_blob(f, used.sha256));
    assert_int_equal(reg_bundle_index_drop_unused(f->b, unused.sha256), REG_OK);
    assert_false(has_blob(f, unused.sha256));
    /* a blob that is not there */
    assert_int_equal(reg_bundle_index_drop_unused(f->b, unused.sha256), REG_OK);
    assert_int_equal(reg_bundle_index_drop_unused(f->b, "not-a-digest"), REG_EINVAL);
    assert_int_equal(reg_bundle_index_drop_unused(f->b, "../../x"), REG_EINVAL);
    assert_int_equal(get_status(f, "777", REG_BUNDLE_FULL), REG_OK);
    assert_true(has_blob(f, used.sha256));
}

/* A reset removes every record, marker and marked blob: the store is empty again. */
static void
test_forget_all(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_bundle_record r[4];
    char key[REG_BLOBS_KEY_MAX + 1];

    for (int i = 0; i < 4; i++) {
        char text[32];

        snprintf(text, sizeof(text), "bundle %d", i);
        make_blob(f, text, 1, &r[i]);
    }
    set(f, "100", REG_BUNDLE_FULL, &r[0]);
    set(f, "100", REG_BUNDLE_CARD, &r[1]);
    set(f, "200", REG_BUNDLE_FULL, &r[0]); /* shared */
    set(f, "200", REG_BUNDLE_WEIGHTS, &r[2]);
    set(f, "300", REG_BUNDLE_DATASETS, &r[2]);
    /* a marker left without its record (a crash between the two writes) */
    snprintf(key, sizeof(key), "refs/%s/999.full", r[3].sha256);
    assert_int_equal(reg_blobs_meta_put(f->b, key, "999", 3), REG_OK);

    assert_int_equal(reg_bundle_index_forget_all(f->b), REG_OK);
    for (int i = 0; i < 4; i++)
        assert_false(has_blob(f, r[i].sha256));
    assert_int_equal(get_status(f, "100", REG_BUNDLE_FULL), REG_ENOTFOUND);
    assert_store_empty(f);
    /* and again, on the empty store */
    assert_int_equal(reg_bundle_index_forget_all(f->b), REG_OK);
    assert_store_empty(f);
}

/* A reset with a damaged record among the others. */
static void
test_forget_all_damaged(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_bundle_record rec;

    make_blob(f, "a bundle next to a damaged record", 1, &rec);
    set(f, "100", REG_BUNDLE_FULL, &rec);
    set(f, "400", REG_BUNDLE_CARD, &rec);
    assert_int_equal(reg_blobs_meta_put(f->b, "records/400/full.json", "{garbage", 8), REG_OK);
    if (reg_bundle_index_forget_all(f->b) != REG_OK)
        fail_msg("forget_all: %s", reg_error_detail());
    assert_false(has_blob(f, rec.sha256));
    assert_store_empty(f);
}

/* A reset of a store that never held anything. */
static void
test_forget_all_empty(void **state)
{
    struct blob_fixture *f = *state;

    assert_int_equal(reg_bundle_index_forget_all(f->b), REG_OK);
    assert_store_empty(f);
}

/* Each of the texts, stored as the record of 888's full bundle (which named a blob), is
 * reported by get as REG_ESTORE and removed by forget; then a reset removes the blob. */
static void
check_damaged(struct blob_fixture *f, const char *const *texts, int n)
{
    struct reg_bundle_record rec, got;
    int bad = 0;

    for (int i = 0; i < n; i++) {
        const char *text = texts[i];
        enum reg_status st;

        make_blob(f, "a bundle", 1, &rec);
        set(f, "888", REG_BUNDLE_FULL, &rec);
        assert_int_equal(reg_blobs_meta_put(f->b, "records/888/full.json", text, strlen(text)),
                         REG_OK);
        st = reg_bundle_index_get(f->b, "888", REG_BUNDLE_FULL, &got);
        CHECK(&bad, st == REG_ESTORE, "get of '%s': %s (%s)", text, reg_status_name(st),
              reg_error_detail());
        st = reg_bundle_index_forget(f->b, "888");
        CHECK(&bad, st == REG_OK, "forget of '%s': %s (%s)", text, reg_status_name(st),
              reg_error_detail());
        CHECK(&bad, !has_key(f, "records/888/full.json"), "'%s' is still there", text);
        /* for the next case */
        reg_blobs_meta_delete(f->b, "records/888/full.json");
    }
    assert_int_equal(bad, 0);
    /* the blob stays (its marker is left, as after a crash) until a reset */
    assert_int_equal(reg_bundle_index_forget_all(f->b), REG_OK);
    assert_false(has_blob(f, rec.sha256));
    assert_store_empty(f);
}

/* Records that are not JSON objects. */
static void
test_damaged_record(void **state)
{
    static const char *const damaged[] = {"{garbage", "", "[1, 2]", "\"a string\"", "null"};

    check_damaged(*state, damaged, NELEMS(damaged));
}

/* Records that are JSON objects without a digest. */
static void
test_damaged_record_without_digest(void **state)
{
    static const char *const damaged[] = {"{}", "{\"sha256\": 42, \"size\": 3}",
                                          "{\"sha256\": \"\", \"size\": 3}"};

    check_damaged(*state, damaged, NELEMS(damaged));
}

/* Records that are JSON objects with something else than a digest as sha256. */
static void
test_damaged_record_bad_digest(void **state)
{
    static const char *const damaged[] = {
        "{\"sha256\": \"not-a-digest\", \"size\": 3}",
        "{\"sha256\": \"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\"}",
    };

    check_damaged(*state, damaged, NELEMS(damaged));
}

/* Artifacts whose ids are not plain digits are forgotten like the others. */
static void
test_forget_id_with_letters(void **state)
{
    struct blob_fixture *f = *state;
    struct reg_bundle_record rec, other;
    int bad = 0;

    make_blob(f, "a bundle of a lettered id", 1, &rec);
    set(f, "Model-abc-9", REG_BUNDLE_FULL, &rec);
    assert_true(has_marker(f, rec.sha256, "Model-abc-9", "full"));
    forget(f, "Model-abc-9");
    assert_int_equal(get_status(f, "Model-abc-9", REG_BUNDLE_FULL), REG_ENOTFOUND);
    CHECK(&bad, !has_marker(f, rec.sha256, "Model-abc-9", "full"),
          "forget leaves the marker of Model-abc-9");
    CHECK(&bad, !has_blob(f, rec.sha256), "forget leaves the blob of Model-abc-9");

    /* a reset removes them */
    make_blob(f, "another bundle of a lettered id", 1, &other);
    set(f, "x-300", REG_BUNDLE_DATASETS, &other);
    assert_int_equal(reg_bundle_index_forget_all(f->b), REG_OK);
    assert_false(has_blob(f, rec.sha256));
    assert_false(has_blob(f, other.sha256));
    assert_store_empty(f);
    assert_int_equal(bad, 0);
}

/* Ids the registry refuses. */
static void
test_bad_ids(void **state)
{
    static const char *const ids[] = {
        NULL,
        "",
        "..",
        "../x",
        "a/b",
        "a b",
        "a.b",
        "a_b",
        "1/../2",
        "%2e%2e",
        "id\n1",
        "caf\xc3\xa9",
        "123456789012345678901234567890123", /* 33 characters */
    };
    struct blob_fixture *f = *state;
    struct reg_bundle_record rec, got;
    int bad = 0;

    make_blob(f, "a bundle", 1, &rec);
    for (int i = 0; i < NELEMS(ids); i++) {
        const char *id = ids[i] ? ids[i] : "(null)";

        CHECK(&bad, reg_bundle_index_set(f->b, ids[i], REG_BUNDLE_FULL, &rec) == REG_EINVAL,
              "set '%s'", id);
        CHECK(&bad, reg_bundle_index_get(f->b, ids[i], REG_BUNDLE_FULL, &got) == REG_EINVAL,
              "get '%s'", id);
        CHECK(&bad, reg_bundle_index_forget(f->b, ids[i]) == REG_EINVAL, "forget '%s'", id);
    }
    /* the longest id is fine */
    set(f, "12345678901234567890123456789012", REG_BUNDLE_FULL, &rec);
    assert_int_equal(get_status(f, "12345678901234567890123456789012", REG_BUNDLE_FULL), REG_OK);

    assert_int_equal(bad, 0);
}

/* A record must name a blob by its digest. */
static void
test_set_bad_digest(void **state)
{
    static const char *const digests[] = {
        "not-a-digest",
        "../../../x",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "",
    };
    struct blob_fixture *f = *state;
    struct reg_bundle_record rec;
    int bad = 0;

    make_blob(f, "a bundle", 1, &rec);
    for (int i = 0; i < NELEMS(digests); i++) {
        enum reg_status st;

        snprintf(rec.sha256, sizeof(rec.sha256), "%s", digests[i]);
        st = reg_bundle_index_set(f->b, "999", REG_BUNDLE_FULL, &rec);
        CHECK(&bad, st == REG_EINVAL, "set of a record naming '%s': %s", digests[i],
              reg_status_name(st));
        CHECK(&bad, get_status(f, "999", REG_BUNDLE_FULL) == REG_ENOTFOUND,
              "a record naming '%s' was stored", digests[i]);
        reg_blobs_meta_delete(f->b, "records/999/full.json");
    }
    assert_int_equal(bad, 0);
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, blob_setup_store, blob_teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_set_get),
        TEST(test_shared_blob),
        TEST(test_shared_by_aspects),
        TEST(test_replace),
        TEST(test_drop_unused),
        TEST(test_forget_all),
        TEST(test_forget_all_damaged),
        TEST(test_forget_all_empty),
        TEST(test_damaged_record),
        TEST(test_damaged_record_without_digest),
        TEST(test_damaged_record_bad_digest),
        TEST(test_forget_id_with_letters),
        TEST(test_bad_ids),
        TEST(test_set_bad_digest),
    };
#undef TEST

    return cmocka_run_group_tests_name("bundle/index", tests, NULL, NULL);
}
