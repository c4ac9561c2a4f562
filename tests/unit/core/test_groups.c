/*
 * test_groups.c - package groups (lib/core/groups.c) on an in-memory SQLite store against the
 * fixture server (REGISTRY_TEST_UPSTREAM_URL, started by scripts/run-unit.sh): create and its
 * ttl, who may use a group, expiry, every bad command refused naming it with the group
 * unchanged, and execute: all stored at once, or (a refused model, an upstream failing, an
 * empty group, a second execute) nothing. Upload commands stage their zip in a disk blob store
 * in a temp directory: kept until the execute, then the artifact's bundle; released when the
 * group fails or expires.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/config.h"
#include "blob/blobs.h"
#include "bundle/index.h"
#include "core/groups.h"
#include "core/registry.h"
#include "registry_fixture.h"
#include "store/store.h"
#include "tmpdir_fixture.h"
#include "upstream/fixture_control.h"
#include "zip_fixture.h"

#define HF "https://huggingface.co/"

static const struct reg_group_caller alice = {"alice", false};
static const struct reg_group_caller bob = {"bob", false};
static const struct reg_group_caller admin = {"root", true};

/* Where uploads go: a disk blob store and a tmp directory under a temp root (groups_setup). */
static char root[256];
static struct reg_upload_place place;

static int
groups_setup(void **state)
{
    char dir[300];

    tmpdir_make(root, sizeof(root), NULL, "groupstest");
    snprintf(dir, sizeof(dir), "%s/blobs", root);
    assert_int_equal(reg_blobs_disk_open(dir, &place.blobs), REG_OK);
    place.tmp_dir = root;
    place.max_bytes = 1 << 20;
    place.scan_policy = REG_SCAN_POLICY_BLOCK;
    return registry_setup(state);
}

static int
groups_teardown(void **state)
{
    reg_blobs_free(place.blobs);
    tmpdir_remove(root);
    return registry_teardown(state);
}

static int64_t
count(struct registry_fixture *f)
{
    int64_t n = -1;

    assert_int_equal(reg_store_count(f->store, &n), REG_OK);
    return n;
}

/* Appends the command (JSON text) to group id as caller; returns the status. */
static enum reg_status
append(struct registry_fixture *f, const struct reg_group_caller *who, const char *id,
       const char *json)
{
    struct json_object *cmd = json_tokener_parse(json);
    struct reg_group g;
    enum reg_status st;

    assert_non_null(cmd);
    st = reg_group_append(f->store, &f->arena, who, id, cmd, &g);
    json_object_put(cmd);
    return st;
}

static const char *
new_group(struct registry_fixture *f, int64_t ttl)
{
    struct reg_group g;

    assert_int_equal(reg_group_create(f->store, &f->arena, &alice, ttl, &g), REG_OK);
    return reg_arena_strdup(&f->arena, g.id);
}

static void
test_create_and_json(void **state)
{
    struct registry_fixture *f = *state;
    struct reg_group g;
    struct json_object *obj, *v;
    int64_t now = (int64_t)time(NULL);

    assert_int_equal(reg_group_create(f->store, &f->arena, &alice, 0, &g), REG_OK);
    assert_true(g.expires - now >= REG_GROUP_TTL_DEFAULT - 1);
    assert_int_equal(reg_group_create(f->store, &f->arena, &alice, 60, &g), REG_OK);
    assert_true(g.expires - g.created == 60);
    assert_int_equal(reg_group_create(f->store, &f->arena, &alice, -1, &g), REG_EINVAL);
    assert_int_equal(reg_group_create(f->store, &f->arena, &alice, REG_GROUP_TTL_MAX + 1, &g),
                     REG_EINVAL);
    obj = reg_group_json(&g);
    assert_true(json_object_object_get_ex(obj, "state", &v));
    assert_string_equal(json_object_get_string(v), "open");
    assert_true(json_object_object_get_ex(obj, "owner", &v));
    assert_string_equal(json_object_get_string(v), "alice");
    assert_true(json_object_object_get_ex(obj, "commands", &v));
    assert_int_equal(json_object_array_length(v), 0);
    assert_true(json_object_object_get_ex(obj, "result", &v));
    assert_null(v);
    json_object_put(obj);
    assert_string_equal(reg_group_state_name(REG_GROUP_COMMITTED), "committed");
    assert_string_equal(reg_group_state_name((enum reg_group_state)9), "unknown");
}

static void
test_owner_admin_expiry(void **state)
{
    struct registry_fixture *f = *state;
    const char *id = new_group(f, 0);
    struct reg_group g;

    assert_int_equal(reg_group_get(f->store, &f->arena, &alice, id, &g), REG_OK);
    assert_int_equal(reg_group_get(f->store, &f->arena, &admin, id, &g), REG_OK);
    assert_int_equal(reg_group_get(f->store, &f->arena, &bob, id, &g), REG_EFORBIDDEN);
    assert_int_equal(reg_group_get(f->store, &f->arena, &alice, "12345", &g), REG_ENOTFOUND);
    assert_int_equal(reg_group_get(f->store, &f->arena, &alice, "not an id", &g), REG_EINVAL);
    /* expired (as another host would find it before its sweep), then swept by a create */
    assert_int_equal(reg_store_group_get(f->store, &f->arena, id, &g), REG_OK);
    g.expires = (int64_t)time(NULL) - 5;
    g.version++;
    assert_int_equal(reg_store_group_put(f->store, &g, g.version - 1), REG_OK);
    assert_int_equal(reg_group_get(f->store, &f->arena, &alice, id, &g), REG_ENOTFOUND);
    new_group(f, 0);
    assert_int_equal(reg_store_group_get(f->store, &f->arena, id, &g), REG_ENOTFOUND);
}

/* Each bad command is REG_EINVAL naming it ("command 2", after one good command), and leaves
 * the group with its one command. */
static void
test_bad_commands(void **state)
{
    static const char *const bad[][2] = {
        {"{\"op\":\"drop\",\"type\":\"model\",\"url\":\"" HF "a/b\"}", "op 'drop'"},
        {"{\"op\":\"ingest\",\"type\":\"film\",\"url\":\"" HF "a/b\"}", "command 2"},
        {"{\"op\":\"ingest\",\"type\":\"model\"}", "url"},
        {"{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"ftp://x/a/b\"}", "command 2"},
        {"{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "a/b\",\"name\":\"*\"}", "'*'"},
        {"{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "a/b\",\"id\":\"7\"}", "no id"},
        {"{\"op\":\"update\",\"type\":\"model\",\"url\":\"" HF "a/b\"}", "artifact's id"},
        {"{\"op\":\"update\",\"type\":\"model\",\"url\":\"" HF "a/b\",\"id\":\"77\"}", "to update"},
        {"{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "unit-groups/model-1\"}",
         "already names"},
        {"{\"op\":1,\"type\":\"model\",\"url\":\"" HF "a/b\"}", "op"},
    };
    struct registry_fixture *f = *state;
    const char *id = new_group(f, 0);
    struct reg_group g;

    assert_int_equal(append(f, &alice, id,
                            "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF
                            "unit-groups/model-1\"}"),
                     REG_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum reg_status st = append(f, &alice, id, bad[i][0]);
        if (st != REG_EINVAL || !strstr(reg_error_detail(), bad[i][1]))
            fail_msg("%s: status %d, detail '%s', want 400 with '%s'", bad[i][0], st,
                     reg_error_detail(), bad[i][1]);
    }
    assert_int_equal(reg_group_get(f->store, &f->arena, &alice, id, &g), REG_OK);
    assert_non_null(strstr(g.commands, "model-1"));
    assert_null(strstr(g.commands, "a/b"));
    assert_int_equal(append(f, &bob, id, "{}"), REG_EFORBIDDEN);
}

static void
test_update_name_must_match_and_limit(void **state)
{
    struct registry_fixture *f = *state;
    const char *id = new_group(f, 0);
    struct reg_artifact art;
    char cmd[512];

    assert_int_equal(reg_registry_create(&f->registry, &f->arena, REG_TYPE_MODEL,
                                         HF "openai/whisper-tiny", NULL, &art),
                     REG_OK);
    snprintf(cmd, sizeof(cmd),
             "{\"op\":\"update\",\"type\":\"model\",\"id\":\"%s\",\"url\":\"" HF
             "unit-groups/model-0b\",\"name\":\"other\"}",
             art.id);
    assert_int_equal(append(f, &alice, id, cmd), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "does not match"));
    for (int i = 0; i < REG_GROUP_MAX_COMMANDS; i++) {
        snprintf(cmd, sizeof(cmd),
                 "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "unit-groups/m-%d\"}", i);
        assert_int_equal(append(f, &alice, id, cmd), REG_OK);
    }
    assert_int_equal(append(f, &alice, id, cmd), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "commands"));
}

static enum reg_status
execute(struct registry_fixture *f, const struct reg_group_caller *who, const char *id, int *n)
{
    struct reg_artifact *arts;
    bool *updated;

    return reg_group_execute(&f->registry, &place, &f->arena, who, id, &arts, &updated, n);
}

static void
test_execute_all(void **state)
{
    struct registry_fixture *f = *state;
    const char *id = new_group(f, 0);
    struct reg_artifact base, *arts, got;
    struct reg_group g;
    bool *updated;
    char cmd[512];
    int n = 0;

    assert_int_equal(reg_registry_create(&f->registry, &f->arena, REG_TYPE_MODEL,
                                         HF "openai/whisper-tiny", NULL, &base),
                     REG_OK);
    assert_int_equal(execute(f, &alice, id, &n), REG_EINVAL); /* empty */
    assert_int_equal(append(f, &alice, id,
                            "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF
                            "google-bert/bert-base-uncased\"}"),
                     REG_OK);
    assert_int_equal(append(f, &alice, id,
                            "{\"op\":\"ingest\",\"type\":\"dataset\",\"url\":\"" HF
                            "datasets/squad\",\"name\":\"corpus\"}"),
                     REG_OK);
    snprintf(cmd, sizeof(cmd),
             "{\"op\":\"update\",\"type\":\"model\",\"id\":\"%s\",\"url\":\"" HF
             "fixture-lab/whisper-tiny-dummy-ft\"}",
             base.id);
    assert_int_equal(append(f, &alice, id, cmd), REG_OK);
    assert_int_equal(count(f), 1);
    assert_int_equal(execute(f, &bob, id, &n), REG_EFORBIDDEN);
    assert_int_equal(
        reg_group_execute(&f->registry, &place, &f->arena, &alice, id, &arts, &updated, &n),
        REG_OK);
    assert_int_equal(n, 3);
    assert_false(updated[0] || updated[1]);
    assert_true(updated[2]);
    assert_string_equal(arts[1].name, "corpus");
    assert_int_equal(count(f), 3);
    assert_int_equal(reg_store_get(f->store, &f->arena, base.id, &got), REG_OK);
    assert_string_equal(got.url, HF "fixture-lab/whisper-tiny-dummy-ft");
    assert_int_equal(reg_group_get(f->store, &f->arena, &alice, id, &g), REG_OK);
    assert_int_equal(g.state, REG_GROUP_COMMITTED);
    assert_non_null(strstr(g.result, arts[0].id));
    assert_int_equal(execute(f, &alice, id, &n), REG_ECONFLICT);
    assert_int_equal(append(f, &alice, id, "{}"), REG_ECONFLICT);
}

/* A failure at any command stores nothing and records why. */
static void
test_execute_none(void **state)
{
    struct registry_fixture *f = *state;
    const char *refused = new_group(f, 0), *down = new_group(f, 0);
    struct reg_group g;
    int n = 0;

    assert_int_equal(append(f, &alice, refused,
                            "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF
                            "google-bert/bert-base-uncased\"}"),
                     REG_OK);
    assert_int_equal(append(f, &alice, refused,
                            "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF
                            "parvk11/audience_classifier_model\"}"),
                     REG_OK);
    assert_int_equal(execute(f, &alice, refused, &n), REG_EDISQUALIFIED);
    assert_non_null(strstr(reg_error_detail(), "command 2 (ingest)"));
    assert_int_equal(count(f), 0);
    assert_int_equal(reg_group_get(f->store, &f->arena, &alice, refused, &g), REG_OK);
    assert_int_equal(g.state, REG_GROUP_FAILED);
    assert_non_null(strstr(g.result, "disqualified"));

    assert_int_equal(append(f, &alice, down,
                            "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF
                            "openai/whisper-tiny\"}"),
                     REG_OK);
    assert_int_equal(append(f, &alice, down,
                            "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF
                            "google-bert/bert-base-uncased\"}"),
                     REG_OK);
    json_object_put(control("POST", "/__fixture/config",
                            "{\"fail\":\"500\",\"fail_paths\":\"bert-base-uncased\"}"));
    assert_int_equal(execute(f, &alice, down, &n), REG_EUPSTREAM);
    assert_non_null(strstr(reg_error_detail(), "command 2"));
    assert_int_equal(count(f), 0);
}

/* A dataset zip (no gate) and a model zip the gate refuses (a README and config only). */
static const char *const dataset_files[][2] = {
    {"README.md", "# corpus\nSentences for the group upload test.\n"},
    {"data/train.csv", "text,label\nhello,1\n"},
};
static const char *const weak_model_files[][2] = {
    {"README.md", "# tiny\n"},
    {"config.json", "{\"model_type\": \"bert\"}\n"},
};
static char zip_a[16384], zip_b[16384];

/* Appends an upload of the zip (len bytes) as type t named name to group id. */
static enum reg_status
upload(struct registry_fixture *f, const struct reg_group_caller *who, const char *id,
       enum reg_artifact_type t, const char *name, const char *zip, size_t len)
{
    struct reg_upload_body body = {NULL, zip, len};
    struct reg_group g;

    return reg_group_append_upload(f->store, &place, &f->arena, who, id, t, name, &body, &g);
}

/* The staged id command i of group id recorded. */
static const char *
staged_of(struct registry_fixture *f, const char *id, int i)
{
    struct reg_group g;
    struct json_object *cmds, *staged;
    const char *out;

    assert_int_equal(reg_group_get(f->store, &f->arena, &alice, id, &g), REG_OK);
    cmds = json_tokener_parse(g.commands);
    assert_non_null(cmds);
    assert_true(
        json_object_object_get_ex(json_object_array_get_idx(cmds, (size_t)i), "staged", &staged));
    out = reg_arena_strdup(&f->arena, json_object_get_string(staged));
    json_object_put(cmds);
    return out;
}

static enum reg_status
count_id(void *ctx, const char *id)
{
    (void)id;
    ++*(int *)ctx;
    return REG_OK;
}

/* Bundle records in the blob store, staged and artifacts' alike. */
static int
records(void)
{
    int n = 0;

    assert_int_equal(reg_bundle_index_ids(place.blobs, "", count_id, &n), REG_OK);
    return n;
}

static void
test_upload_commands(void **state)
{
    struct registry_fixture *f = *state;
    const char *id = new_group(f, 0), *staged;
    size_t len = make_zip(zip_a, sizeof(zip_a), dataset_files, NELEMS(dataset_files));
    struct reg_bundle_record rec, staged_rec;
    struct reg_artifact *arts;
    bool *updated;
    int n = 0;

    assert_int_equal(upload(f, &alice, id, REG_TYPE_DATASET, "corpus-zip", zip_a, len), REG_OK);
    staged = staged_of(f, id, 0);
    assert_int_equal(strncmp(staged, "g-", 2), 0);
    assert_int_equal(reg_bundle_index_get(place.blobs, staged, REG_BUNDLE_FULL, &staged_rec),
                     REG_OK);
    /* refused, the group unchanged: the same zip again, not a zip, no name, another's group */
    assert_int_equal(upload(f, &alice, id, REG_TYPE_DATASET, "again", zip_a, len), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "command 1 already names"));
    assert_int_equal(upload(f, &alice, id, REG_TYPE_DATASET, "junk", "not a zip", 9), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "command 2 (upload)"));
    assert_int_equal(upload(f, &alice, id, REG_TYPE_DATASET, "", zip_a, len), REG_EINVAL);
    assert_int_equal(upload(f, &bob, id, REG_TYPE_DATASET, "corpus-b", zip_a, len), REG_EFORBIDDEN);
    assert_int_equal(
        append(f, &alice, id, "{\"op\":\"upload\",\"type\":\"dataset\",\"url\":\"upload://x\"}"),
        REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "/uploads"));
    assert_int_equal(records(), 1);

    assert_int_equal(append(f, &alice, id,
                            "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF
                            "openai/whisper-tiny\"}"),
                     REG_OK);
    assert_int_equal(
        reg_group_execute(&f->registry, &place, &f->arena, &alice, id, &arts, &updated, &n),
        REG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(count(f), 2);
    assert_string_equal(arts[0].name, "corpus-zip");
    assert_string_equal(arts[0].url, staged_rec.url);
    /* the artifact holds the zip; the staged record is released, the blob kept */
    assert_int_equal(reg_bundle_index_get(place.blobs, arts[0].id, REG_BUNDLE_FULL, &rec), REG_OK);
    assert_string_equal(rec.sha256, staged_rec.sha256);
    assert_int_equal(reg_bundle_index_get(place.blobs, staged, REG_BUNDLE_FULL, &rec),
                     REG_ENOTFOUND);
    assert_int_equal(records(), 1);
    assert_int_equal(upload(f, &alice, id, REG_TYPE_DATASET, "late", zip_a, len), REG_ECONFLICT);
}

/* A staged zip released under a group still open (a sweep on a host whose clock runs ahead):
 * the execute fails the group, naming the upload, and stores nothing. */
static void
test_upload_swept_before_execute(void **state)
{
    struct registry_fixture *f = *state;
    const char *id = new_group(f, 0);
    size_t len = make_zip(zip_a, sizeof(zip_a), dataset_files, NELEMS(dataset_files));
    int n = 0;

    assert_int_equal(upload(f, &alice, id, REG_TYPE_DATASET, "corpus", zip_a, len), REG_OK);
    assert_int_equal(reg_bundle_index_forget(place.blobs, staged_of(f, id, 0)), REG_OK);
    assert_int_equal(execute(f, &alice, id, &n), REG_ECONFLICT);
    assert_non_null(strstr(reg_error_detail(), "command 1 (upload): the staged zip of corpus"));
    assert_int_equal(count(f), 0);
    assert_int_equal(records(), 0);
}

static void
test_upload_failing_group_and_sweep(void **state)
{
    struct registry_fixture *f = *state;
    const char *failing = new_group(f, 0), *expired = new_group(f, 0), *open = new_group(f, 0);
    size_t len_a = make_zip(zip_a, sizeof(zip_a), dataset_files, NELEMS(dataset_files));
    size_t len_b = make_zip(zip_b, sizeof(zip_b), weak_model_files, NELEMS(weak_model_files));
    struct reg_bundle_record staged_rec;
    struct reg_group g;
    int n = 0;

    /* the model is refused at execute: nothing stored, every record and blob released */
    assert_int_equal(upload(f, &alice, failing, REG_TYPE_DATASET, "corpus", zip_a, len_a), REG_OK);
    assert_int_equal(upload(f, &alice, failing, REG_TYPE_MODEL, "tiny", zip_b, len_b), REG_OK);
    assert_int_equal(
        reg_bundle_index_get(place.blobs, staged_of(f, failing, 0), REG_BUNDLE_FULL, &staged_rec),
        REG_OK);
    assert_int_equal(execute(f, &alice, failing, &n), REG_EDISQUALIFIED);
    assert_non_null(strstr(reg_error_detail(), "command 2 (upload)"));
    assert_int_equal(count(f), 0);
    assert_int_equal(records(), 0);
    assert_int_equal(reg_blobs_stat(place.blobs, staged_rec.sha256, &(int64_t){0}), REG_ENOTFOUND);

    /* an expired group's staged zip is swept; an open one's is kept */
    assert_int_equal(upload(f, &alice, expired, REG_TYPE_DATASET, "corpus", zip_a, len_a), REG_OK);
    assert_int_equal(upload(f, &alice, open, REG_TYPE_MODEL, "tiny", zip_b, len_b), REG_OK);
    assert_int_equal(reg_store_group_get(f->store, &f->arena, expired, &g), REG_OK);
    g.expires = (int64_t)time(NULL) - 5;
    g.version++;
    assert_int_equal(reg_store_group_put(f->store, &g, g.version - 1), REG_OK);
    assert_int_equal(records(), 2);
    reg_group_sweep_staged(f->store, place.blobs);
    assert_int_equal(records(), 1);
    assert_int_equal(reg_blobs_stat(place.blobs, staged_rec.sha256, &(int64_t){0}), REG_ENOTFOUND);
    assert_int_equal(
        reg_bundle_index_get(place.blobs, staged_of(f, open, 0), REG_BUNDLE_FULL, &staged_rec),
        REG_OK);
}

int
main(void)
{
    const char *url = getenv(UPSTREAM_ENV);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_json, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_owner_admin_expiry, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_bad_commands, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_update_name_must_match_and_limit, registry_setup,
                                        registry_teardown),
        cmocka_unit_test_setup_teardown(test_execute_all, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_execute_none, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_upload_commands, groups_setup, groups_teardown),
        cmocka_unit_test_setup_teardown(test_upload_failing_group_and_sweep, groups_setup,
                                        groups_teardown),
        cmocka_unit_test_setup_teardown(test_upload_swept_before_execute, groups_setup,
                                        groups_teardown),
    };

    if (!url || !*url) {
        fprintf(stderr, "%s is not set: run this through scripts/run-unit.sh\n", UPSTREAM_ENV);
        return 1;
    }
    snprintf(upstream, sizeof(upstream), "%s", url);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
