/*
 * test_groups.c - package groups (lib/core/groups.c) on an in-memory SQLite store against the
 * fixture server (REGISTRY_TEST_UPSTREAM_URL, started by scripts/run-unit.sh): create and its
 * ttl, who may use a group, expiry, every bad command refused naming it with the group
 * unchanged, and execute: all stored at once, or (a refused model, an upstream failing, an
 * empty group, a second execute) nothing.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/config.h"
#include "core/groups.h"
#include "core/registry.h"
#include "registry_fixture.h"
#include "store/store.h"
#include "upstream/fixture_control.h"

#define HF "https://huggingface.co/"

static const struct reg_group_caller alice = {"alice", false};
static const struct reg_group_caller bob = {"bob", false};
static const struct reg_group_caller admin = {"root", true};

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

    return reg_group_execute(&f->registry, &f->arena, who, id, &arts, &updated, n);
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
    assert_int_equal(reg_group_execute(&f->registry, &f->arena, &alice, id, &arts, &updated, &n),
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
    };

    if (!url || !*url) {
        fprintf(stderr, "%s is not set: run this through scripts/run-unit.sh\n", UPSTREAM_ENV);
        return 1;
    }
    snprintf(upstream, sizeof(upstream), "%s", url);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
