/*
 * test_metadata.c - the stored metadata document (lib/core/metadata.c): what is built for each
 * kind reads back, files are capped largest first while size counts all, a subdir counts only
 * its files, and malformed documents are refused with a reason.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/json.h"
#include "core/metadata.h"

static enum reg_status
read_doc(struct reg_arena *a, struct json_object *doc, struct reg_metadata *out)
{
    const char *text = reg_arena_strdup(a, reg_json_text(doc, NULL));

    json_object_put(doc);
    return reg_metadata_read(a, text, out);
}

static void
test_model_round_trip(void **state)
{
    static const struct reg_file_info files[] = {{"README.md", 100, NULL, NULL},
                                                 {"model.safetensors", 1000, NULL, NULL},
                                                 {"config.json", 10, NULL, NULL}};
    static const char *const datasets[] = {"rajpurkar/squad"};
    struct reg_lineage_parent parents[] = {
        {"google-bert/bert-base-uncased", REG_LINEAGE_MODEL_CARD},
        {"x/y", REG_LINEAGE_CONFIG_JSON}};
    struct reg_model_signals s = {0};
    struct reg_rating r;
    struct reg_metadata md;
    struct reg_arena a;
    struct json_object *list;

    (void)state;
    reg_arena_init(&a);
    s.repo_id = "org/model";
    s.name = "model";
    s.license = "apache-2.0";
    s.files = files;
    s.nfiles = 3;
    s.datasets = datasets;
    s.ndatasets = 1;
    reg_rating_compute(&s, &r);
    assert_int_equal(read_doc(&a, reg_metadata_model(&s, parents, 2, &r), &md), REG_OK);
    assert_string_equal(md.host, "huggingface");
    assert_string_equal(md.repo_id, "org/model");
    assert_string_equal(md.license, "apache-2.0");
    assert_int_equal(md.size_bytes, 1110);
    assert_int_equal(md.nparents, 2);
    assert_string_equal(md.parents[0].repo_id, "google-bert/bert-base-uncased");
    assert_int_equal(md.parents[1].source, REG_LINEAGE_CONFIG_JSON);
    assert_true(md.rated);
    assert_true(md.rating.net_score > 0.0);
    assert_string_equal(md.rating.name, "model");
    assert_true(json_object_object_get_ex(md.doc, "files", &list));
    assert_string_equal(reg_json_str(json_object_array_get_idx(list, 0), "path"),
                        "model.safetensors");
    reg_arena_cleanup(&a);
}

static void
test_files_capped(void **state)
{
    int n = REG_METADATA_MAX_FILES + 50;
    struct reg_file_info *files = calloc((size_t)n, sizeof(*files));
    struct reg_dataset_signals d = {0};
    struct reg_metadata md;
    struct reg_arena a;
    struct json_object *list;

    (void)state;
    assert_non_null(files);
    reg_arena_init(&a);
    for (int i = 0; i < n; i++) {
        files[i].path = reg_arena_sprintf(&a, "data/part-%05d.parquet", i);
        files[i].size = i + 1;
    }
    d.repo_id = "org/data";
    d.files = files;
    d.nfiles = n;
    assert_int_equal(read_doc(&a, reg_metadata_dataset(&d), &md), REG_OK);
    assert_int_equal(md.size_bytes, (int64_t)n * (n + 1) / 2);
    assert_true(json_object_object_get_ex(md.doc, "files", &list));
    assert_int_equal(json_object_array_length(list), REG_METADATA_MAX_FILES);
    assert_int_equal(reg_json_int(json_object_array_get_idx(list, 0), "size"), n);
    assert_int_equal(reg_json_int(md.doc, "file_count"), n);
    assert_false(md.rated);
    free(files);
    reg_arena_cleanup(&a);
}

static void
test_code_subdir(void **state)
{
    static const struct reg_file_info files[] = {{"README.md", 5, NULL, NULL},
                                                 {"src/a.c", 10, NULL, NULL},
                                                 {"src/sub/b.c", 20, NULL, NULL},
                                                 {"srcx/c.c", 40, NULL, NULL}};
    struct reg_code_signals c = {0};
    struct reg_metadata md;
    struct reg_arena a;

    (void)state;
    reg_arena_init(&a);
    c.repo_id = "o/r";
    c.license_spdx = "MIT";
    c.files = files;
    c.nfiles = 4;
    assert_int_equal(read_doc(&a, reg_metadata_code(&c, "src"), &md), REG_OK);
    assert_int_equal(md.size_bytes, 30);
    assert_string_equal(md.host, "github");
    assert_int_equal(read_doc(&a, reg_metadata_code(&c, NULL), &md), REG_OK);
    assert_int_equal(md.size_bytes, 75);
    assert_int_equal(reg_metadata_files_size(NULL, 0, NULL), -1);
    reg_arena_cleanup(&a);
}

static void
test_source_only(void **state)
{
    struct reg_source src = {REG_SOURCE_KAGGLE, "owner/data", NULL, "data"};
    struct reg_metadata md;
    struct reg_arena a;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(read_doc(&a, reg_metadata_source_only(&src, REG_TYPE_DATASET), &md), REG_OK);
    assert_string_equal(md.host, "kaggle");
    assert_int_equal(md.size_bytes, -1);
    reg_arena_cleanup(&a);
}

/* Tags that are versions are stored highest first, as tagged; the others are left out; at
 * most REG_METADATA_MAX_VERSIONS (the highest); a source without tags stores an empty list and
 * a Kaggle one none at all. */
static void
test_versions(void **state)
{
    static const char *const tags[] = {"v1",   "main",         "2.0.0-rc.1", "v1.10.0", "2.0.0",
                                       "v1.2", "release-2024", "1.2.0",      "01.0.0",  "v2.0.0+b"};
    static const char *const want[] = {"2.0.0", "v2.0.0+b", "2.0.0-rc.1", "v1.10.0",
                                       "1.2.0", "v1.2",     "v1"};
    struct reg_dataset_signals d = {0};
    struct reg_source src = {REG_SOURCE_KAGGLE, "owner/data", NULL, "data"};
    const char **many = calloc(REG_METADATA_MAX_VERSIONS + 10, sizeof(*many));
    struct reg_metadata md;
    struct reg_arena a;

    (void)state;
    reg_arena_init(&a);
    d.repo_id = "org/data";
    d.git_tags = (struct reg_git_tags){tags, NELEMS(tags)};
    assert_int_equal(read_doc(&a, reg_metadata_dataset(&d), &md), REG_OK);
    assert_int_equal(md.nversions, NELEMS(want));
    for (int i = 0; i < NELEMS(want); i++)
        assert_string_equal(md.versions[i], want[i]);

    assert_non_null(many);
    for (int i = 0; i < REG_METADATA_MAX_VERSIONS + 10; i++)
        many[i] = reg_arena_sprintf(&a, "0.%d.0", i);
    d.git_tags = (struct reg_git_tags){many, REG_METADATA_MAX_VERSIONS + 10};
    assert_int_equal(read_doc(&a, reg_metadata_dataset(&d), &md), REG_OK);
    assert_int_equal(md.nversions, REG_METADATA_MAX_VERSIONS);
    assert_string_equal(md.versions[0],
                        reg_arena_sprintf(&a, "0.%d.0", REG_METADATA_MAX_VERSIONS + 9));
    assert_string_equal(md.versions[REG_METADATA_MAX_VERSIONS - 1], "0.10.0");
    free(many);

    d.git_tags = (struct reg_git_tags){NULL, 0};
    assert_int_equal(read_doc(&a, reg_metadata_dataset(&d), &md), REG_OK);
    assert_int_equal(md.nversions, 0);
    assert_int_equal(read_doc(&a, reg_metadata_source_only(&src, REG_TYPE_DATASET), &md), REG_OK);
    assert_int_equal(md.nversions, 0);
    assert_null(json_object_object_get(md.doc, "versions"));
    reg_arena_cleanup(&a);
}

static void
test_malformed(void **state)
{
    static const char *const bad_docs[] = {
        "not json",
        "[1,2]",
        "{\"source\":{\"host\":\"github\",\"repo_id\":\"o/r\"}}",
        "{\"format\":2,\"source\":{\"host\":\"github\",\"repo_id\":\"o/r\"}}",
        "{\"format\":1,\"source\":{\"host\":\"github\"}}",
        "{\"format\":1,\"source\":{\"host\":\"github\",\"repo_id\":\"o/r\"},\"size_bytes\":\"9\"}",
        "{\"format\":1,\"source\":{\"host\":\"github\",\"repo_id\":\"o/r\"},\"parents\":{}}",
        "{\"format\":1,\"source\":{\"host\":\"github\",\"repo_id\":\"o/r\"},\"parents\":[{}]}",
        "{\"format\":1,\"source\":{\"host\":\"github\",\"repo_id\":\"o/r\"},\"rating\":{}}",
        "{\"format\":1,\"source\":{\"host\":\"github\",\"repo_id\":\"o/r\"},\"versions\":\"1\"}",
        "{\"format\":1,\"source\":{\"host\":\"github\",\"repo_id\":\"o/r\"},\"versions\":[1]}",
    };
    struct reg_metadata md;
    struct reg_arena a;
    int bad = 0;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(reg_metadata_read(&a, NULL, &md), REG_ENOTFOUND);
    for (int i = 0; i < NELEMS(bad_docs); i++) {
        enum reg_status st = reg_metadata_read(&a, bad_docs[i], &md);
        CHECK(&bad, st == REG_EINVAL && *reg_error_detail(), "doc %d: status %d", i, st);
    }
    assert_int_equal(bad, 0);
    reg_arena_cleanup(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_round_trip), cmocka_unit_test(test_files_capped),
        cmocka_unit_test(test_code_subdir),      cmocka_unit_test(test_source_only),
        cmocka_unit_test(test_malformed),        cmocka_unit_test(test_versions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
