/*
 * test_ingest.c - registration with ingest (lib/core/registry.c + ingest.c) against the
 * fixture server (REGISTRY_TEST_UPSTREAM_URL, started by scripts/run-unit.sh) on an in-memory
 * SQLite store: what is stored for each kind, parents' ratings in tree_score, the gate under
 * both policies, and that every failure (unknown repository, refusal, upstream down, a linked
 * repository down) stores nothing and changes nothing.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/config.h"
#include "core/metadata.h"
#include "core/registry.h"
#include "registry_fixture.h"
#include "store/store.h"
#include "upstream/fixture_control.h"

static void
fixture_config(const char *json)
{
    json_object_put(control("POST", "/__fixture/config", json));
}

static enum reg_status
create(struct registry_fixture *f, enum reg_artifact_type t, const char *url,
       struct reg_artifact *out)
{
    return reg_registry_create(&f->registry, &f->arena, t, url, NULL, out);
}

static int64_t
count(struct registry_fixture *f)
{
    int64_t n = -1;

    assert_int_equal(reg_store_count(f->store, &n), REG_OK);
    return n;
}

/* The stored metadata of artifact id, read back from the store. */
static void
stored(struct registry_fixture *f, const char *id, struct reg_artifact *art,
       struct reg_metadata *md)
{
    assert_int_equal(reg_store_get(f->store, &f->arena, id, art), REG_OK);
    assert_int_equal(reg_metadata_read(&f->arena, art->metadata, md), REG_OK);
}

static void
test_model_stored_with_rating(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact art, back;
    struct reg_metadata md;
    struct reg_rating r;

    assert_int_equal(create(f, REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny", &art),
                     REG_OK);
    stored(f, art.id, &back, &md);
    assert_string_equal(back.name, "whisper-tiny");
    assert_non_null(back.readme);
    assert_non_null(strstr(back.readme, "Whisper"));
    assert_string_equal(md.repo_id, "openai/whisper-tiny");
    assert_true(md.size_bytes > 100 * 1000 * 1000);
    assert_true(md.rated);
    assert_string_equal(md.rating.name, "whisper-tiny");
    /* the card links openai/whisper, which was fetched: reviewedness is measured */
    assert_true(md.rating.reviewedness >= 0.0);
    assert_int_equal(reg_registry_rating(&f->arena, &back, &r), REG_OK);
    assert_true(fabs(r.net_score - md.rating.net_score) < 1e-9);
    /* metadata without a rating (a store damaged, or written by hand) says how to mend it */
    back.metadata = "{\"source\":{\"host\":\"huggingface\"}}";
    assert_int_equal(reg_registry_rating(&f->arena, &back, &r), REG_EINTERNAL);
    assert_non_null(strstr(reg_error_detail(), "PUT the artifact to rate it again"));
    {
        struct reg_source src = {0};
        struct reg_ingest_result got;
        assert_int_equal(reg_ingest_fetch(&f->ingest, f->catalog, f->store, &f->arena,
                                          (enum reg_artifact_type)7, &src, "x", &got),
                         REG_EINVAL);
        assert_string_equal(reg_error_detail(), "unknown artifact type");
    }
}

/* A fine-tune's tree_score is its registered parent's net_score; an unregistered parent
 * leaves tree_score at 1 (no known parents). */
static void
test_parents_rating(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact base, child, back;
    struct reg_metadata md, base_md;

    assert_int_equal(create(f, REG_TYPE_MODEL,
                            "https://huggingface.co/fixture-lab/whisper-tiny-dummy-ft", &child),
                     REG_OK);
    stored(f, child.id, &back, &md);
    assert_int_equal(md.nparents, 1);
    assert_string_equal(md.parents[0].repo_id, "openai/whisper-tiny");
    assert_int_equal(md.parents[0].source, REG_LINEAGE_CONFIG_JSON);
    assert_true(md.rating.tree_score == 1.0);

    assert_int_equal(create(f, REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny", &base),
                     REG_OK);
    stored(f, base.id, &back, &base_md);
    assert_int_equal(reg_store_remove(f->store, child.id), REG_OK);
    assert_int_equal(create(f, REG_TYPE_MODEL,
                            "https://huggingface.co/fixture-lab/whisper-tiny-dummy-ft", &child),
                     REG_OK);
    stored(f, child.id, &back, &md);
    assert_true(fabs(md.rating.tree_score - base_md.rating.net_score) < 0.006);
}

static void
test_card_parents(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact art, back;
    struct reg_metadata md;

    assert_int_equal(create(f, REG_TYPE_MODEL,
                            "https://huggingface.co/fixture-lab/distilbert-student-imdb", &art),
                     REG_OK);
    stored(f, art.id, &back, &md);
    assert_int_equal(md.nparents, 2);
    assert_string_equal(md.parents[0].repo_id, "distilbert/distilbert-base-uncased");
    assert_string_equal(md.parents[1].repo_id, "google-bert/bert-base-uncased");
    assert_int_equal(md.parents[1].source, REG_LINEAGE_MODEL_CARD);
}

static void
test_unknown_repository(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact art;

    assert_int_equal(create(f, REG_TYPE_MODEL, "https://huggingface.co/org/missing-model", &art),
                     REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "does not exist on Hugging Face"));
    assert_int_equal(
        create(f, REG_TYPE_DATASET, "https://huggingface.co/datasets/o/missing-d", &art),
        REG_EINVAL);
    assert_int_equal(create(f, REG_TYPE_CODE, "https://github.com/o/missing-repo", &art),
                     REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "does not exist on GitHub"));
    assert_int_equal(count(f), 0);
}

static void
test_gate(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact art;

    assert_int_equal(
        create(f, REG_TYPE_MODEL, "https://huggingface.co/parvk11/audience_classifier_model", &art),
        REG_EDISQUALIFIED);
    assert_non_null(strstr(reg_error_detail(), "net_score=0."));
    assert_non_null(strstr(reg_error_detail(), "license=0.00"));
    assert_int_equal(count(f), 0);
    /* The strict policy also refuses a well-documented model that links no dataset. */
    f->ingest.gate = REG_RATING_GATE_STRICT;
    assert_int_equal(create(f, REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny", &art),
                     REG_EDISQUALIFIED);
    assert_non_null(strstr(reg_error_detail(), "dataset_quality=0.00"));
    assert_null(strstr(reg_error_detail(), "net_score"));
    f->ingest.gate = REG_RATING_GATE_NET;
    assert_int_equal(create(f, REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny", &art),
                     REG_OK);
    assert_int_equal(count(f), 1);
}

static void
test_upstream_down(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact art;

    fixture_config("{\"fail\": \"500\"}");
    assert_int_equal(create(f, REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny", &art),
                     REG_EUPSTREAM);
    assert_int_equal(create(f, REG_TYPE_CODE, "https://github.com/openai/whisper", &art),
                     REG_EUPSTREAM);
    assert_int_equal(count(f), 0);
}

/* The card's repository cannot be fetched: the model is not rated from half its evidence. */
static void
test_linked_repository_down(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact art;

    fixture_config("{\"fail\": \"500\", \"fail_paths\": \"^/repos/\"}");
    assert_int_equal(create(f, REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny", &art),
                     REG_EUPSTREAM);
    assert_non_null(strstr(reg_error_detail(), "linked by the model card"));
    assert_int_equal(count(f), 0);
    reset_fixture(NULL);
    assert_int_equal(create(f, REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny", &art),
                     REG_OK);
}

static void
test_dataset_and_kaggle(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact art, back;
    struct reg_metadata md;

    assert_int_equal(create(f, REG_TYPE_DATASET, "https://huggingface.co/datasets/squad", &art),
                     REG_OK);
    stored(f, art.id, &back, &md);
    assert_string_equal(md.repo_id, "rajpurkar/squad"); /* followed the Hub's 307 */
    assert_non_null(back.readme);
    assert_true(md.size_bytes > 0);
    assert_false(md.rated);
    assert_int_equal(
        create(f, REG_TYPE_DATASET, "https://www.kaggle.com/datasets/zynicide/wine-reviews", &art),
        REG_OK);
    stored(f, art.id, &back, &md);
    assert_string_equal(md.host, "kaggle");
    assert_null(back.readme);
    assert_int_equal(md.size_bytes, -1);
}

static void
test_code_subdir(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact whole, part, back;
    struct reg_metadata md, part_md;

    assert_int_equal(create(f, REG_TYPE_CODE, "https://github.com/openai/whisper.git", &whole),
                     REG_OK);
    stored(f, whole.id, &back, &md);
    assert_non_null(strstr(back.readme, "Whisper"));
    assert_string_equal(md.license, "MIT");
    assert_int_equal(
        create(f, REG_TYPE_CODE, "https://github.com/openai/whisper/tree/main/whisper", &part),
        REG_OK);
    stored(f, part.id, &back, &part_md);
    assert_true(part_md.size_bytes > 0 && part_md.size_bytes < md.size_bytes);
}

/* PUT re-ingests; a refused re-ingest leaves the stored artifact as it was. */
static void
test_update(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_artifact art, upd, back;
    struct reg_metadata md;
    const char *before;

    assert_int_equal(create(f, REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny", &art),
                     REG_OK);
    before = reg_arena_strdup(&f->arena, art.metadata);
    assert_int_equal(
        reg_registry_update(&f->registry, &f->arena, REG_TYPE_MODEL, art.id, "whisper-tiny",
                            "https://huggingface.co/parvk11/audience_classifier_model", &upd),
        REG_EDISQUALIFIED);
    assert_int_equal(reg_store_get(f->store, &f->arena, art.id, &back), REG_OK);
    assert_string_equal(back.metadata, before);
    assert_string_equal(back.url, "https://huggingface.co/openai/whisper-tiny");
    assert_int_equal(
        reg_registry_update(&f->registry, &f->arena, REG_TYPE_MODEL, art.id, "whisper-tiny",
                            "https://huggingface.co/google-bert/bert-base-uncased", &upd),
        REG_OK);
    stored(f, art.id, &back, &md);
    assert_string_equal(md.repo_id, "google-bert/bert-base-uncased");
    assert_string_equal(md.rating.name, "whisper-tiny");
}

int
main(void)
{
    const char *url = getenv(UPSTREAM_ENV);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_model_stored_with_rating, registry_setup,
                                        registry_teardown),
        cmocka_unit_test_setup_teardown(test_parents_rating, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_card_parents, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_repository, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_gate, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_upstream_down, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_linked_repository_down, registry_setup,
                                        registry_teardown),
        cmocka_unit_test_setup_teardown(test_dataset_and_kaggle, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_code_subdir, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_update, registry_setup, registry_teardown),
    };

    if (!url || !*url) {
        fprintf(stderr, "%s is not set: run this through scripts/run-unit.sh\n", UPSTREAM_ENV);
        return 1;
    }
    snprintf(upstream, sizeof(upstream), "%s", url);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
