/*
 * test_plan.c - bundle plans (lib/bundle/plan.c): which files an artifact's aspect holds and
 * where they come from. Artifacts are made here with the metadata ingest would store: a
 * complete listing (planned without a request), an incomplete one (listed again from the
 * fixture upstream, scripts/run-unit.sh), GitHub code cut to its subdirectory, a model's
 * datasets aspect from the registered datasets its card names; and the refusals: Kaggle,
 * uploads, an aspect without a file, a listing with a file without a size or twice, metadata
 * that is not a document, a repository upstream does not have. And the Hub-compatible view of
 * a registered repository (lib/bundle/hubrepo.c) made from such a plan.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle/hubrepo.h"
#include "bundle/plan.h"
#include "reg.h"
#include "store/store.h"
#include "tmpdir_fixture.h"

struct fixture {
    char root[256];
    struct reg_config cfg;
    struct reg_app *app;
    struct reg_arena arena;
    bool upstream;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *upstream = getenv("REGISTRY_TEST_UPSTREAM_URL");
    char path[300];

    assert_non_null(f);
    tmpdir_make(f->root, sizeof(f->root), NULL, "plan");
    snprintf(path, sizeof(path), "%s/run", f->root);
    assert_int_equal(mkdir(path, 0755), 0);
    setenv("REGISTRY_DATA_DIR", f->root, 1);
    setenv("REGISTRY_STORE", "sqlite", 1);
    setenv("REGISTRY_BLOBS", "disk", 1);
    setenv("HF_TOKEN", "hf-test-token", 1);
    setenv("GITHUB_TOKEN", "gh-test-token", 1);
    f->upstream = upstream && *upstream;
    if (f->upstream) {
        setenv("HF_ENDPOINT", upstream, 1);
        setenv("GITHUB_API_URL", upstream, 1);
    }
    assert_int_equal(reg_config_load(&f->cfg), REG_OK);
    assert_int_equal(reg_app_new(&f->cfg, NULL, &f->app), REG_OK);
    reg_arena_init(&f->arena);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_app_free(f->app);
    reg_arena_cleanup(&f->arena);
    tmpdir_remove(f->root);
    free(f);
    return 0;
}

/* An artifact with this metadata document (not stored). */
static struct reg_artifact
artifact(const char *id, enum reg_artifact_type type, const char *url, const char *metadata)
{
    struct reg_artifact art = {{0}, type, "x", url, NULL, metadata, 0};

    snprintf(art.id, sizeof(art.id), "%s", id);
    return art;
}

#define HF_MODEL(files, count)                                                                     \
    "{\"format\":1,\"source\":{\"host\":\"huggingface\",\"kind\":\"model\",\"repo_id\":"           \
    "\"acme/m\"},\"file_count\":" count ",\"files\":[" files "]}"

/* A complete stored listing: planned without asking upstream, sorted by path, sizes added up,
 * fetched with the Hugging Face token; the weights aspect takes the weights alone. */
static void
test_stored_listing(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art =
        artifact("m1", REG_TYPE_MODEL, "https://huggingface.co/acme/m",
                 HF_MODEL("{\"path\":\"model.safetensors\",\"size\":100,\"oid\":\"o2\"},"
                          "{\"path\":\"README.md\",\"size\":7,\"oid\":\"o1\"},"
                          "{\"path\":\"config.json\",\"size\":3,\"oid\":\"o3\"}",
                          "3"));
    struct reg_bundle_plan p;

    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &art, REG_BUNDLE_FULL, &p), REG_OK);
    assert_int_equal(p.nfiles, 3);
    assert_string_equal(p.files[0].path, "README.md");
    assert_string_equal(p.files[1].path, "config.json");
    assert_string_equal(p.files[2].path, "model.safetensors");
    assert_int_equal(p.content_bytes, 110);
    assert_string_equal(p.url, "https://huggingface.co/acme/m");
    assert_string_equal(p.sources, "");
    assert_int_equal(p.type, REG_TYPE_MODEL);
    assert_string_equal(p.fetch.bearer, "hf-test-token");
    assert_null(p.fetch.accept);
    assert_non_null(strstr(p.files[2].url, "/acme/m/resolve/"));

    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &art, REG_BUNDLE_WEIGHTS, &p), REG_OK);
    assert_int_equal(p.nfiles, 1);
    assert_string_equal(p.files[0].path, "model.safetensors");
    assert_int_equal(p.content_bytes, 100);
}

/* Listings that cannot be planned: no file in the aspect, a file without a size, a file twice,
 * metadata that is no document. */
static void
test_bad_listings(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact card_only =
        artifact("m2", REG_TYPE_MODEL, "u", HF_MODEL("{\"path\":\"README.md\",\"size\":7}", "1"));
    struct reg_artifact no_size =
        artifact("m3", REG_TYPE_MODEL, "u", HF_MODEL("{\"path\":\"model.bin\",\"size\":-1}", "1"));
    struct reg_artifact twice = artifact("m4", REG_TYPE_MODEL, "u",
                                         HF_MODEL("{\"path\":\"a.bin\",\"size\":1},"
                                                  "{\"path\":\"a.bin\",\"size\":2}",
                                                  "2"));
    struct reg_artifact garbage = artifact("m5", REG_TYPE_MODEL, "u", "not json");
    struct reg_bundle_plan p;

    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &card_only, REG_BUNDLE_WEIGHTS, &p),
                     REG_ENOTFOUND);
    assert_string_equal(reg_error_detail(), "model m2 has no file in its weights aspect");
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &no_size, REG_BUNDLE_FULL, &p),
                     REG_EUPSTREAM);
    assert_string_equal(reg_error_detail(), "upstream lists no size for model.bin");
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &twice, REG_BUNDLE_FULL, &p),
                     REG_EUPSTREAM);
    assert_string_equal(reg_error_detail(), "upstream lists a.bin twice");
    assert_int_not_equal(reg_bundle_plan_make(f->app, &f->arena, &garbage, REG_BUNDLE_FULL, &p),
                         REG_OK);
}

/* Kaggle datasets have no fetchable files; an upload's only bundle is its zip, kept at
 * upload. */
static void
test_kaggle_and_uploads(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact kaggle = artifact(
        "d1", REG_TYPE_DATASET, "https://www.kaggle.com/datasets/o/d",
        "{\"format\":1,\"source\":{\"host\":\"kaggle\",\"kind\":\"dataset\",\"repo_id\":\"o/d\"}}");
    struct reg_artifact upload =
        artifact("u1", REG_TYPE_MODEL, "upload://00",
                 "{\"format\":1,\"source\":{\"host\":\"upload\",\"kind\":\"model\",\"repo_id\":"
                 "\"x\"},\"file_count\":0,\"files\":[]}");
    struct reg_bundle_plan p;

    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &kaggle, REG_BUNDLE_FULL, &p),
                     REG_ENOTIMPL);
    assert_non_null(strstr(reg_error_detail(), "Kaggle has no public API"));
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &upload, REG_BUNDLE_FULL, &p),
                     REG_ESTORE);
    assert_non_null(strstr(reg_error_detail(), "uploaded zip of this artifact is missing"));
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &upload, REG_BUNDLE_CARD, &p),
                     REG_ENOTFOUND);
    assert_non_null(strstr(reg_error_detail(), "download its full bundle"));
}

/* GitHub code: only the files under the artifact's subdirectory, fetched raw with the GitHub
 * token. */
static void
test_code_subdir(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact code =
        artifact("c1", REG_TYPE_CODE, "https://github.com/o/r/tree/main/lib",
                 "{\"format\":1,\"source\":{\"host\":\"github\",\"kind\":\"code\",\"repo_id\":"
                 "\"o/r\",\"subdir\":\"lib\"},\"file_count\":3,\"files\":["
                 "{\"path\":\"lib/a.py\",\"size\":3},{\"path\":\"libx/b.py\",\"size\":4},"
                 "{\"path\":\"README.md\",\"size\":5}]}");
    struct reg_bundle_plan p;

    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &code, REG_BUNDLE_FULL, &p), REG_OK);
    assert_int_equal(p.nfiles, 1);
    assert_non_null(strstr(p.files[0].path, "a.py"));
    assert_int_equal(p.content_bytes, 3);
    assert_string_equal(p.fetch.bearer, "gh-test-token");
    assert_string_equal(p.fetch.accept, REG_BUNDLE_GH_ACCEPT);
}

/* An incomplete stored listing is listed again upstream: a model, a dataset and a repository
 * the fixture has; one it does not have is an error, not an empty plan. */
static void
test_listed_again(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact model = artifact(
        "m6", REG_TYPE_MODEL, "https://huggingface.co/google-bert/bert-base-uncased",
        "{\"format\":1,\"source\":{\"host\":\"huggingface\",\"kind\":\"model\",\"repo_id\":"
        "\"google-bert/bert-base-uncased\"},\"file_count\":999,\"files\":[]}");
    struct reg_artifact dataset = artifact(
        "d2", REG_TYPE_DATASET, "https://huggingface.co/datasets/rajpurkar/squad",
        "{\"format\":1,\"source\":{\"host\":\"huggingface\",\"kind\":\"dataset\",\"repo_id\":"
        "\"rajpurkar/squad\"},\"file_count\":999,\"files\":[]}");
    struct reg_artifact code =
        artifact("c2", REG_TYPE_CODE, "https://github.com/google-research/bert",
                 "{\"format\":1,\"source\":{\"host\":\"github\",\"kind\":\"code\",\"repo_id\":"
                 "\"google-research/bert\"},\"file_count\":999,\"files\":[]}");
    struct reg_artifact missing = artifact(
        "m7", REG_TYPE_MODEL, "https://huggingface.co/nobody/nothing",
        "{\"format\":1,\"source\":{\"host\":\"huggingface\",\"kind\":\"model\",\"repo_id\":"
        "\"nobody/nothing\"},\"file_count\":999,\"files\":[]}");
    struct reg_bundle_plan p;

    if (!f->upstream)
        skip();
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &model, REG_BUNDLE_CARD, &p), REG_OK);
    assert_true(p.nfiles > 1); /* more than the one file stored */
    assert_string_equal(p.files[0].path, "README.md");
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &dataset, REG_BUNDLE_FULL, &p),
                     REG_OK);
    assert_true(p.nfiles > 0);
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &code, REG_BUNDLE_FULL, &p), REG_OK);
    assert_true(p.nfiles > 0);
    assert_true(p.content_bytes > 0);
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &missing, REG_BUNDLE_FULL, &p),
                     REG_ENOTFOUND);
}

/* A model's datasets aspect: the files of each registered Hugging Face dataset its card names,
 * under the dataset's repository id; its sources are the datasets' ids. */
static void
test_datasets_aspect(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact ds = artifact(
        "d3", REG_TYPE_DATASET, "https://huggingface.co/datasets/rajpurkar/squad",
        "{\"format\":1,\"source\":{\"host\":\"huggingface\",\"kind\":\"dataset\",\"repo_id\":"
        "\"rajpurkar/squad\"},\"file_count\":2,\"files\":[{\"path\":\"train.parquet\","
        "\"size\":40},{\"path\":\"README.md\",\"size\":2}]}");
    struct reg_artifact model = artifact(
        "m8", REG_TYPE_MODEL, "https://huggingface.co/acme/qa",
        "{\"format\":1,\"source\":{\"host\":\"huggingface\",\"kind\":\"model\",\"repo_id\":"
        "\"acme/qa\"},\"datasets\":[\"rajpurkar/squad\",\"nobody/unregistered\"],"
        "\"file_count\":1,\"files\":[{\"path\":\"README.md\",\"size\":1}]}");
    struct reg_bundle_plan p;
    bool taken = false;

    ds.name = "squad";
    model.name = "qa";
    assert_int_equal(reg_store_insert(f->app->store, &ds, &taken), REG_OK);
    assert_int_equal(reg_store_insert(f->app->store, &model, &taken), REG_OK);
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &model, REG_BUNDLE_DATASETS, &p),
                     REG_OK);
    assert_string_equal(p.sources, "d3");
    assert_int_equal(p.type, REG_TYPE_DATASET);
    assert_int_equal(p.nfiles, 2);
    assert_string_equal(p.files[0].path, "rajpurkar/squad/README.md");
    assert_string_equal(p.files[1].path, "rajpurkar/squad/train.parquet");
    assert_int_equal(p.content_bytes, 42);
    assert_string_equal(reg_bundle_plan_sources(f->app, &f->arena, &model, REG_BUNDLE_FULL), "");

    /* A model whose card names no registered dataset has nothing in that aspect. */
    assert_int_equal(reg_bundle_plan_make(f->app, &f->arena, &ds, REG_BUNDLE_DATASETS, &p),
                     REG_ENOTFOUND);
    assert_non_null(strstr(reg_error_detail(), "has no file in its datasets aspect"));
}

/* A registered Hugging Face model as the Hub-compatible API sees it: its revision and file
 * ids (its own, when the listing has none), each file's place in the full bundle, lookups by
 * path and directory; a repository not registered from the Hub is not one. */
static void
test_hub_repo(void **state)
{
    struct fixture *f = *state;
    static const char oid[] = "0123456789abcdef0123456789abcdef01234567";
    static const char sha[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    char md[1024];
    struct reg_artifact art, code;
    struct reg_hub_repo r, again;
    bool taken = false;

    snprintf(md, sizeof(md),
             "{\"format\":1,\"source\":{\"host\":\"huggingface\",\"kind\":\"model\",\"repo_id\":"
             "\"acme/hub\"},\"file_count\":3,\"files\":[{\"path\":\"weights/a.bin\",\"size\":10,"
             "\"oid\":\"%s\",\"lfs_sha256\":\"%s\"},{\"path\":\"README.md\",\"size\":4,\"oid\":"
             "\"NOT-HEX\"},{\"path\":\"config.json\",\"size\":2}]}",
             oid, sha);
    art = artifact("h1", REG_TYPE_MODEL, "https://huggingface.co/acme/hub", md);
    art.name = "hub";
    assert_int_equal(reg_store_insert(f->app->store, &art, &taken), REG_OK);
    code = artifact("h2", REG_TYPE_CODE, "https://github.com/acme/hub",
                    "{\"format\":1,\"source\":{\"host\":\"github\",\"kind\":\"code\",\"repo_id\":"
                    "\"acme/hub\"},\"file_count\":0,\"files\":[]}");
    code.name = "hubcode";
    assert_int_equal(reg_store_insert(f->app->store, &code, &taken), REG_OK);

    assert_int_equal(reg_hub_repo_open(f->app, &f->arena, REG_TYPE_MODEL, "acme/hub", &r), REG_OK);
    assert_string_equal(r.repo_id, "acme/hub");
    assert_int_equal(strlen(r.revision), 40);
    assert_true(reg_hub_repo_revision_ok(&r, "main"));
    assert_true(reg_hub_repo_revision_ok(&r, r.revision));
    assert_false(reg_hub_repo_revision_ok(&r, oid));
    assert_false(reg_hub_repo_revision_ok(&r, NULL));
    assert_int_equal(r.nfiles, 3);
    assert_string_equal(r.files[0].path, "README.md");
    assert_int_equal(strlen(r.files[0].oid), 40);
    assert_null(r.files[0].lfs_sha256);
    assert_string_equal(r.files[2].path, "weights/a.bin");
    assert_string_equal(r.files[2].oid, oid);
    assert_string_equal(r.files[2].lfs_sha256, sha);
    assert_true(r.files[0].zip_offset > 0);
    assert_true(r.files[1].zip_offset > r.files[0].zip_offset + r.files[0].size);
    assert_true(r.files[2].zip_offset > r.files[1].zip_offset + r.files[1].size);
    assert_ptr_equal(reg_hub_repo_file(&r, "config.json"), &r.files[1]);
    assert_null(reg_hub_repo_file(&r, "weights"));
    assert_null(reg_hub_repo_file(&r, NULL));
    assert_true(reg_hub_repo_is_dir(&r, "weights"));
    assert_false(reg_hub_repo_is_dir(&r, "weight"));
    assert_false(reg_hub_repo_is_dir(&r, "README.md"));

    /* The ids made up for what the listing lacks are the same at every open. */
    assert_int_equal(reg_hub_repo_open(f->app, &f->arena, REG_TYPE_MODEL, "acme/hub", &again),
                     REG_OK);
    assert_string_equal(again.revision, r.revision);
    assert_string_equal(again.files[0].oid, r.files[0].oid);

    assert_int_equal(reg_hub_repo_open(f->app, &f->arena, REG_TYPE_DATASET, "acme/hub", &r),
                     REG_ENOTFOUND);
    assert_string_equal(reg_error_detail(), "no registered dataset is the repository acme/hub");
    assert_int_equal(reg_hub_repo_open(f->app, &f->arena, REG_TYPE_MODEL, "acme/none", &r),
                     REG_ENOTFOUND);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stored_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_listings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kaggle_and_uploads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_code_subdir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listed_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datasets_aspect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hub_repo, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
