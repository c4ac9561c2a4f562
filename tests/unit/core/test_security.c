/*
 * test_security.c - the model scan of a zip as uploads run it (core/security.c over
 * bundle/zipcheck.c's observer and the real scanner, lib/scan): reports, the policy's verdict
 * for models and for other types, and the JSON kept and served. The zips are made here with
 * libarchive's writer; the pickles are bytes, never loaded.
 */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "core/security.h"

/* Protocol 0: os.system("id"); and a benign OrderedDict. */
static const char EVIL[] = "cos\nsystem\n(S'id'\ntR.";
static const char BENIGN[] = "ccollections\nOrderedDict\np0\n(tRp1\n.";

struct entry {
    const char *path, *text;
};

static la_ssize_t
to_buf(struct archive *a, void *ctx, const void *data, size_t n)
{
    (void)a;
    return reg_buf_append(ctx, data, n) == REG_OK ? (la_ssize_t)n : -1;
}

/* A zip of the n entries (each a text file) into out, initialised here. */
static void
zip_of(struct reg_buf *out, const struct entry *entries, int n)
{
    struct archive *w = archive_write_new();

    reg_buf_init(out, 1 << 20);
    assert_int_equal(archive_write_set_format_zip(w), ARCHIVE_OK);
    /* no padding after the end record: zipcheck refuses anything after it */
    assert_int_equal(archive_write_set_bytes_in_last_block(w, 1), ARCHIVE_OK);
    assert_int_equal(archive_write_open(w, out, NULL, to_buf, NULL), ARCHIVE_OK);
    for (int i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        size_t len = strlen(entries[i].text);

        archive_entry_set_pathname(e, entries[i].path);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)len);
        assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(w, entries[i].text, len), (la_ssize_t)len);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(w), ARCHIVE_OK);
    archive_write_free(w);
}

/* Scans the zip of the entries as an upload of type t under policy p; the decision returned. */
static enum reg_status
scan(struct reg_arena *a, const struct entry *entries, int n, enum reg_scan_policy p,
     enum reg_artifact_type t, struct reg_security_report *out)
{
    struct reg_security_scanner s;
    struct reg_zipcheck_limits lim = {0, 0, NULL};
    struct reg_zip_report z;
    struct reg_buf buf;
    enum reg_status st;

    zip_of(&buf, entries, n);
    reg_security_scanner_init(&s, a, p, t);
    if (p != REG_SCAN_POLICY_OFF)
        lim.observer = &s.observer;
    st = reg_zipcheck_memory(a, buf.data, buf.len, &lim, &z);
    reg_security_scanner_cleanup(&s);
    reg_buf_cleanup(&buf);
    assert_int_equal(st, REG_OK);
    *out = s.report;
    return reg_security_decide(&s.report);
}

static const struct reg_security_file *
file_named(const struct reg_security_report *r, const char *path)
{
    for (int i = 0; i < r->nfiles; i++)
        if (strcmp(r->files[i].path, path) == 0)
            return &r->files[i];
    return NULL;
}

static void
test_block_refuses_a_dangerous_model(void **state)
{
    static const struct entry entries[] = {
        {"README.md", "# m\n"}, {"config.json", "{\"model_type\": \"bert\"}"}, {"w.pkl", EVIL}};
    struct reg_security_report r;
    struct reg_arena a;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(scan(&a, entries, 3, REG_SCAN_POLICY_BLOCK, REG_TYPE_MODEL, &r),
                     REG_EDISQUALIFIED);
    assert_non_null(strstr(reg_error_detail(), "w.pkl: dangerous (imports os.system)"));
    assert_non_null(strstr(reg_error_detail(), "refuses 1 file"));
    assert_int_equal(r.nfiles, 2); /* README.md is not of a scanned format */
    assert_null(file_named(&r, "README.md"));
    assert_int_equal(r.counts[REG_SCAN_DANGEROUS], 1);
    assert_int_equal(r.counts[REG_SCAN_SAFE], 1);
    /* a dataset is scanned, never refused; flag refuses nothing either */
    assert_int_equal(scan(&a, entries, 3, REG_SCAN_POLICY_BLOCK, REG_TYPE_DATASET, &r), REG_OK);
    assert_int_equal(r.counts[REG_SCAN_DANGEROUS], 1);
    assert_int_equal(scan(&a, entries, 3, REG_SCAN_POLICY_FLAG, REG_TYPE_MODEL, &r), REG_OK);
    assert_int_equal(r.counts[REG_SCAN_DANGEROUS], 1);
    reg_arena_cleanup(&a);
}

static void
test_json_of_a_clean_model(void **state)
{
    static const struct entry entries[] = {{"README.md", "# m\n"}, {"state.pkl", BENIGN}};
    struct reg_security_report r;
    struct json_object *o, *files, *f;
    struct reg_arena a;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(scan(&a, entries, 2, REG_SCAN_POLICY_BLOCK, REG_TYPE_MODEL, &r), REG_OK);
    o = reg_arena_own_json(&a, reg_security_json(&r));
    assert_true(json_object_get_boolean(json_object_object_get(o, "scanned")));
    assert_string_equal(reg_json_str(o, "policy"), "block");
    assert_string_equal(reg_json_str(o, "verdict"), "safe");
    files = json_object_object_get(o, "files");
    assert_int_equal((int)json_object_array_length(files), 1);
    f = json_object_array_get_idx(files, 0);
    assert_string_equal(reg_json_str(f, "path"), "state.pkl");
    assert_string_equal(reg_json_str(f, "format"), "pickle");
    assert_string_equal(
        json_object_get_string(json_object_array_get_idx(json_object_object_get(f, "imports"), 0)),
        "collections.OrderedDict");
    reg_arena_cleanup(&a);
}

static void
test_policy_off_and_the_answer(void **state)
{
    struct reg_security_report r = {.policy = REG_SCAN_POLICY_OFF};
    struct reg_artifact art = {.metadata = "{\"security\": {\"scanned\": true, \"x\": 1}}"};
    struct json_object *o;
    struct reg_arena a;

    (void)state;
    reg_arena_init(&a);
    o = reg_arena_own_json(&a, reg_security_json(&r));
    assert_false(json_object_get_boolean(json_object_object_get(o, "scanned")));
    assert_string_equal(reg_json_str(o, "policy"), "off");
    assert_null(json_object_object_get(o, "files"));
    /* the stored report is served as it was kept; none is said to be none */
    o = reg_arena_own_json(&a, reg_security_answer(&a, &art));
    assert_int_equal(json_object_get_int(json_object_object_get(o, "x")), 1);
    art.metadata = "{\"source\": {}}";
    o = reg_arena_own_json(&a, reg_security_answer(&a, &art));
    assert_false(json_object_get_boolean(json_object_object_get(o, "scanned")));
    assert_non_null(strstr(reg_json_str(o, "detail"), "no scan report"));
    art.metadata = NULL;
    o = reg_arena_own_json(&a, reg_security_answer(&a, &art));
    assert_false(json_object_get_boolean(json_object_object_get(o, "scanned")));
    reg_arena_cleanup(&a);
}

/* The parameter count of the safetensors copy: shards add up, variants and other formats do
 * not count, and one shard without a count makes the whole unknown. */
static void
test_parameters_of_the_safetensors_copy(void **state)
{
    struct reg_security_file files[] = {
        {"model-00001-of-00002.safetensors",
         {.format = REG_SCAN_FORMAT_SAFETENSORS, .parameters = 7},
         0,
         false},
        {"model-00002-of-00002.safetensors",
         {.format = REG_SCAN_FORMAT_SAFETENSORS, .parameters = 5},
         0,
         false},
        {"model.fp16.safetensors",
         {.format = REG_SCAN_FORMAT_SAFETENSORS, .parameters = 100},
         0,
         false},
        {"pytorch_model.bin", {.format = REG_SCAN_FORMAT_PICKLE, .parameters = -1}, 0, false},
    };
    struct reg_security_report r = {.files = files, .nfiles = 4};

    (void)state;
    assert_int_equal(reg_security_parameters(&r), 12);
    files[1].result.parameters = -1;
    assert_int_equal(reg_security_parameters(&r), -1);
    r.nfiles = 0;
    assert_int_equal(reg_security_parameters(&r), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_refuses_a_dangerous_model),
        cmocka_unit_test(test_json_of_a_clean_model),
        cmocka_unit_test(test_policy_off_and_the_answer),
        cmocka_unit_test(test_parameters_of_the_safetensors_copy),
    };
    return cmocka_run_group_tests_name("core/security", tests, NULL, NULL);
}
