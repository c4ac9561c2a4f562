/*
 * test_groups.c - the package-group routes through reg_http_dispatch (ingest and update
 * commands): POST /groups, POST /groups/{id}/commands, POST /groups/{id}/execute and
 * GET /groups/{id}: a group committed whole (its artifacts visible only then, each audited,
 * the update applied), and each error: 400 (the body, the ttl, each bad command named,
 * overlapping commands, the command limit, an empty group, a malformed id), 401 and 403 (no
 * upload permission, no token, another user's group), 404 (no such group), 409 (executed
 * twice, appended after, a URL registered meanwhile, an updated artifact deleted meanwhile),
 * 424 (a model the gate refuses) and 502 (upstream failing), each leaving nothing registered.
 * Executes fetch from run-unit.sh's upstream fixture; those tests skip without it.
 */
#include "unit.h"

#include "dispatch_fixture.h"

#include <stdio.h>
#include <string.h>

#define HF "https://huggingface.co/"
#define ONNX HF "fixture-lab/bert-base-uncased-squad-onnx"
#define WHISPER HF "fixture-lab/whisper-tiny-dummy-ft"
#define SQUAD HF "datasets/rajpurkar/squad"

/* Creates a group (optional body); writes its id. */
static void
new_group(struct world *w, const char *body, char *id, size_t cap)
{
    struct answer a;
    char text[64];

    call(w, "POST", "/groups", NULL, body, true, &a);
    assert_int_equal(a.status, 201);
    assert_string_equal(body_field(a.body, "state", text, sizeof(text)), "open");
    assert_non_null(strstr(a.body, "\"commands\":[]"));
    body_field(a.body, "id", id, cap);
}

/* POST /groups/{gid}/commands with cmd; the status. */
static int
append(struct world *w, const char *gid, const char *cmd, struct answer *a)
{
    char path[128];

    snprintf(path, sizeof(path), "/groups/%s/commands", gid);
    call(w, "POST", path, NULL, cmd, true, a);
    return a->status;
}

static int
execute(struct world *w, const char *gid, struct answer *a)
{
    char path[128];

    snprintf(path, sizeof(path), "/groups/%s/execute", gid);
    call(w, "POST", path, NULL, NULL, true, a);
    return a->status;
}

/* The names of every registered artifact, in the order listed, joined with ','. */
static const char *
names(struct world *w, char *out, size_t cap)
{
    struct answer a;
    struct json_object *doc;
    size_t used = 0;

    call(w, "POST", "/artifacts", NULL, "[{\"name\":\"*\"}]", true, &a);
    assert_int_equal(a.status, 200);
    doc = json_tokener_parse(a.body);
    out[0] = '\0';
    for (size_t i = 0; doc && i < json_object_array_length(doc) && used < cap; i++) {
        struct json_object *n;
        json_object_object_get_ex(json_object_array_get_idx(doc, i), "name", &n);
        used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "," : "",
                                 json_object_get_string(n));
    }
    json_object_put(doc);
    return out;
}

/* The group's state, and its result's error ("" when none). */
static void
group_state(struct world *w, const char *gid, char *state, char *error, size_t cap)
{
    struct answer a;
    char path[128], result[1024];

    snprintf(path, sizeof(path), "/groups/%s", gid);
    call(w, "GET", path, NULL, NULL, true, &a);
    assert_int_equal(a.status, 200);
    body_field(a.body, "state", state, cap);
    body_field(body_field(a.body, "result", result, sizeof(result)), "error", error, cap);
}

static void
test_commit(void **state)
{
    struct world *w = *state;
    struct answer a;
    char base[64], gid[64], cmd[256], text[512], st[32], err[64], path[128];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "model", ONNX, base, sizeof(base));
    new_group(w, "{\"ttl\":600}", gid, sizeof(gid));
    CHECK(&bad,
          append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" WHISPER "\"}", &a) ==
              201,
          "ingest: %d %s", a.status, a.body);
    CHECK(&bad,
          append(w, gid,
                 "{\"op\":\"ingest\",\"type\":\"dataset\",\"url\":\"" SQUAD
                 "\",\"name\":\"squad-set\"}",
                 &a) == 201,
          "named ingest: %d %s", a.status, a.body);
    snprintf(cmd, sizeof(cmd),
             "{\"op\":\"update\",\"type\":\"model\",\"id\":\"%s\",\"url\":\"%s\"}", base, BERT_URL);
    CHECK(&bad, append(w, gid, cmd, &a) == 201, "update: %d %s", a.status, a.body);
    CHECK(&bad, strstr(a.body, "\"op\":\"update\"") != NULL, "three commands: %s", a.body);
    /* Appended, not executed: nothing new is visible. */
    CHECK(&bad, strcmp(names(w, text, sizeof(text)), "bert-base-uncased-squad-onnx") == 0,
          "before: %s", text);

    CHECK(&bad, execute(w, gid, &a) == 200, "execute: %d %s", a.status, a.body);
    CHECK(&bad, strstr(a.body, "whisper-tiny-dummy-ft") && strstr(a.body, "squad-set"),
          "the artifacts: %s", a.body);
    group_state(w, gid, st, err, sizeof(st));
    CHECK(&bad, strcmp(st, "committed") == 0 && !err[0], "state %s, error %s", st, err);
    snprintf(path, sizeof(path), "/artifacts/model/%s", base);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad,
          strstr(a.body, "google-bert\\/bert-base-uncased") != NULL ||
              strstr(a.body, "google-bert/bert-base-uncased") != NULL,
          "updated: %s", a.body);
    snprintf(path, sizeof(path), "/artifact/model/%s/audit", base);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, "\"UPDATE\"") != NULL, "update audited: %s", a.body);

    assert_int_equal(bad, 0);
}

static void
test_execute_conflicts(void **state)
{
    struct world *w = *state;
    struct answer a;
    char gid[64], base[64], cmd[256], text[512], path[128];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    new_group(w, NULL, gid, sizeof(gid));
    assert_int_equal(
        append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" ONNX "\"}", &a), 201);
    CHECK(&bad, execute(w, gid, &a) == 200, "execute: %d %s", a.status, a.body);
    CHECK(&bad, execute(w, gid, &a) == 409 && is_error(&a, "conflict", "a group executes once"),
          "twice: %d %s", a.status, a.body);
    CHECK(&bad,
          append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" WHISPER "\"}", &a) ==
                  409 &&
              is_error(&a, "conflict", "takes no more"),
          "append after: %d %s", a.status, a.body);

    /* A URL registered between append and execute. */
    new_group(w, NULL, gid, sizeof(gid));
    assert_int_equal(
        append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" WHISPER "\"}", &a), 201);
    register_url(w, "model", WHISPER, base, sizeof(base));
    CHECK(&bad, execute(w, gid, &a) == 409 && is_error(&a, "conflict", NULL),
          "registered meanwhile: %d %s", a.status, a.body);

    /* The artifact an update names deleted between append and execute: nothing is left. */
    new_group(w, NULL, gid, sizeof(gid));
    assert_int_equal(
        append(w, gid, "{\"op\":\"ingest\",\"type\":\"dataset\",\"url\":\"" SQUAD "\"}", &a), 201);
    snprintf(cmd, sizeof(cmd),
             "{\"op\":\"update\",\"type\":\"model\",\"id\":\"%s\",\"url\":\"%s\"}", base, BERT_URL);
    assert_int_equal(append(w, gid, cmd, &a), 201);
    snprintf(path, sizeof(path), "/artifacts/model/%s", base);
    expect(w, &bad, 200, "DELETE", path, NULL, NULL, &a);
    CHECK(&bad,
          execute(w, gid, &a) == 409 && is_error(&a, "conflict", "deleted meanwhile") &&
              strstr(a.body, "command 2"),
          "deleted meanwhile: %d %s", a.status, a.body);
    CHECK(&bad, strcmp(names(w, text, sizeof(text)), "bert-base-uncased-squad-onnx") == 0,
          "nothing of the failed groups: %s", text);
    assert_int_equal(bad, 0);
}

/* A model the gate refuses (424), and an upstream failing (502): all or nothing. */
static void
test_execute_failures(void **state)
{
    struct world *w = *state;
    struct answer a;
    char gid[64], text[512], st[32], err[64];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    new_group(w, NULL, gid, sizeof(gid));
    assert_int_equal(
        append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" ONNX "\"}", &a), 201);
    assert_int_equal(append(w, gid,
                            "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF
                            "fixture-lab/poor-metadata-model\"}",
                            &a),
                     201);
    CHECK(&bad, execute(w, gid, &a) == 424 && is_error(&a, "disqualified", "command 2"),
          "refused: %d %s", a.status, a.body);
    group_state(w, gid, st, err, sizeof(st));
    CHECK(&bad, strcmp(st, "failed") == 0 && strcmp(err, "disqualified") == 0, "state %s %s", st,
          err);
    CHECK(&bad, execute(w, gid, &a) == 409, "a failed group is done: %d", a.status);
    CHECK(&bad, strcmp(names(w, text, sizeof(text)), "") == 0, "nothing registered: %s", text);

    new_group(w, NULL, gid, sizeof(gid));
    assert_int_equal(
        append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" ONNX "\"}", &a), 201);
    assert_int_equal(
        append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" WHISPER "\"}", &a), 201);
    json_object_put(control("POST", "/__fixture/config",
                            "{\"fail\":\"500\",\"fail_paths\":\"whisper-tiny-dummy-ft\"}"));
    CHECK(&bad, execute(w, gid, &a) == 502 && is_error(&a, "upstream_error", NULL),
          "upstream: %d %s", a.status, a.body);
    reset_fixture(NULL);
    CHECK(&bad, strcmp(names(w, text, sizeof(text)), "") == 0, "nothing registered: %s", text);
    assert_int_equal(bad, 0);
}

/* Commands refused at append, each named, leaving the group as it was. */
static void
test_bad_commands(void **state)
{
    static const struct {
        const char *cmd, *words;
    } cases[] = {
        {"{\"op\":\"delete\",\"type\":\"model\",\"url\":\"" HF "a/b\"}", "op 'delete'"},
        {"{\"op\":\"ingest\",\"type\":\"film\",\"url\":\"" HF "a/b\"}", "command 1 (ingest)"},
        {"{\"op\":\"ingest\",\"type\":\"model\"}", "url"},
        {"{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"ftp://huggingface.co/a/b\"}",
         "command 1"},
        {"{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "a/b\",\"name\":\"*\"}",
         "command 1"},
        {"{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "a/b\",\"id\":\"123\"}",
         "takes no id"},
        {"{\"op\":\"update\",\"type\":\"model\",\"url\":\"" HF "a/b\"}", "names the artifact's id"},
        {"{\"op\":\"update\",\"type\":\"model\",\"url\":\"" HF "a/b\",\"id\":\"999999999999\"}",
         "to update"},
        {"{\"type\":\"model\",\"url\":\"" HF "a/b\"}", "op"},
        {"[1,2]", "JSON object"},
        {"{", NULL},
    };
    struct world *w = *state;
    struct answer a;
    char gid[64], cmd[160], path[128];
    int bad = 0;

    login(w);
    new_group(w, NULL, gid, sizeof(gid));
    for (int i = 0; i < NELEMS(cases); i++)
        CHECK(&bad,
              append(w, gid, cases[i].cmd, &a) == 400 &&
                  is_error(&a, "bad_request", cases[i].words),
              "%s: %d %s", cases[i].cmd, a.status, a.body);
    snprintf(path, sizeof(path), "/groups/%s", gid);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, "\"commands\":[]") != NULL, "unchanged: %s", a.body);

    /* Two commands naming one URL, and the limit of 16. */
    assert_int_equal(
        append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "lim/m-1\"}", &a),
        201);
    CHECK(&bad,
          append(w, gid,
                 "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF
                 "lim/m-1\",\"name\":\"other\"}",
                 &a) == 400 &&
              is_error(&a, "bad_request", "already names") && strstr(a.body, "command 2"),
          "overlap: %d %s", a.status, a.body);
    for (int i = 2; i <= 16; i++) {
        snprintf(cmd, sizeof(cmd), "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"%slim/m-%d\"}",
                 HF, i);
        CHECK(&bad, append(w, gid, cmd, &a) == 201, "command %d: %d %s", i, a.status, a.body);
    }
    CHECK(&bad,
          append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "lim/m-17\"}", &a) ==
                  400 &&
              is_error(&a, "bad_request", "16 commands"),
          "limit: %d %s", a.status, a.body);

    /* The group itself. */
    new_group(w, NULL, gid, sizeof(gid));
    CHECK(&bad, execute(w, gid, &a) == 400 && is_error(&a, "bad_request", "no commands"),
          "empty: %d %s", a.status, a.body);
    expect_error(w, &bad, 400, "bad_request", "ttl", "POST", "/groups", NULL, "{\"ttl\":0}", &a);
    expect_error(w, &bad, 400, "bad_request", "ttl", "POST", "/groups", NULL, "{\"ttl\":\"1\"}",
                 &a);
    expect_error(w, &bad, 400, "bad_request", "ttl", "POST", "/groups", NULL, "{\"ttl\":86401}",
                 &a);
    expect_error(w, &bad, 400, "bad_request", NULL, "POST", "/groups", NULL, "[1]", &a);
    expect_error(w, &bad, 400, "bad_request", NULL, "GET", "/groups/not%20an%20id", NULL, NULL, &a);
    expect_error(w, &bad, 404, "not_found", NULL, "GET", "/groups/12345678901", NULL, NULL, &a);
    CHECK(&bad,
          append(w, "12345678901", "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "x/y\"}",
                 &a) == 404 &&
              is_error(&a, "not_found", NULL),
          "append to none: %d", a.status);
    CHECK(&bad, execute(w, "12345678901", &a) == 404 && is_error(&a, "not_found", NULL),
          "execute none: %d", a.status);
    assert_int_equal(bad, 0);
}

/* Who may touch a group: its owner (and admins), with the upload permission. */
static void
test_group_auth(void **state)
{
    struct world *w = *state;
    struct answer a;
    char gid[64], mine[64], path[128];
    int bad = 0;

    call(w, "POST", "/groups", NULL, NULL, false, &a);
    CHECK(&bad, a.status == 403 && is_error(&a, "authentication_failed", NULL), "no token: %d",
          a.status);
    login(w);
    new_group(w, NULL, gid, sizeof(gid));
    login_new_user(w, "reader", "[\"search\"]");
    expect_error(w, &bad, 401, "not_permitted", NULL, "POST", "/groups", NULL, NULL, &a);
    login(w);
    login_new_user(w, "bob", "[\"upload\",\"search\"]");
    new_group(w, NULL, mine, sizeof(mine));
    snprintf(path, sizeof(path), "/groups/%s", gid);
    expect_error(w, &bad, 403, "forbidden", NULL, "GET", path, NULL, NULL, &a);
    CHECK(&bad,
          append(w, gid, "{\"op\":\"ingest\",\"type\":\"model\",\"url\":\"" HF "x/y\"}", &a) ==
                  403 &&
              is_error(&a, "forbidden", NULL),
          "append to another's: %d", a.status);
    CHECK(&bad, execute(w, gid, &a) == 403 && is_error(&a, "forbidden", NULL),
          "execute another's: %d", a.status);
    /* An admin may read anyone's. */
    login(w);
    snprintf(path, sizeof(path), "/groups/%s", mine);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_execute_conflicts, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_execute_failures, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_bad_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit, setup_aws, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
