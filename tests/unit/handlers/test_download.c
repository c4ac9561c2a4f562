/*
 * test_download.c - GET /download/{artifact_type}/{id} through reg_http_dispatch: the argument
 * checks (id, type, aspect), a stored copy (X-Accel-Redirect for nginx), a pull-through while
 * the fixture upstream is fetched (the zip streamed by the worker, then stored for the next
 * caller), an upstream that fails (503, nothing handed out), and a sensitive model's monitored
 * download (served when its program passes, 403 with its output when it refuses). The cases
 * that fetch need run-unit.sh's upstream fixture and skip without it.
 */
#include "unit.h"

#include "dispatch_fixture.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HF "https://huggingface.co/"

/* How many entries of the JSON array body are objects whose key is value. */
static int
count_in(const char *body, const char *key, const char *value)
{
    struct json_object *doc = json_tokener_parse(body);
    int n = 0;

    for (size_t i = 0;
         doc && json_object_is_type(doc, json_type_array) && i < json_object_array_length(doc);
         i++) {
        struct json_object *v;
        if (json_object_object_get_ex(json_object_array_get_idx(doc, i), key, &v) &&
            strcmp(json_object_get_string(v), value) == 0)
            n++;
    }
    json_object_put(doc);
    return n;
}

/* The DOWNLOAD entries of id's audit trail. */
static int
downloads_audited(struct world *w, const char *type, const char *id)
{
    struct answer a;
    char path[128];

    snprintf(path, sizeof(path), "/artifact/%s/%s/audit", type, id);
    call(w, "GET", path, NULL, NULL, true, &a);
    assert_int_equal(a.status, 200);
    return count_in(a.body, "action", "DOWNLOAD");
}

/* Uploads a dataset zip (query: "name=..."); writes its id. */
static void
upload_dataset(struct world *w, const char *query, char *id, size_t cap)
{
    static const char *const files[][2] = {
        {"README.md", "# tiny\nA dataset uploaded by the download test.\n"},
        {"data.csv", "a,b\n1,2\n"},
    };
    static char zip[16384];
    struct call_spec c = {.query = query, .body = zip, .content_type = "application/zip"};
    struct answer a;
    char text[64];

    c.body_len = make_zip(zip, sizeof(zip), files, NELEMS(files));
    dispatch(w, "POST", "/artifact/dataset/upload", &c, &a);
    assert_int_equal(a.status, 201);
    {
        struct json_object *doc = json_tokener_parse(a.body), *m;
        assert_true(json_object_object_get_ex(doc, "metadata", &m));
        snprintf(id, cap, "%s",
                 body_field(json_object_to_json_string(m), "id", text, sizeof(text)));
        json_object_put(doc);
    }
}

/* The checks made before any byte is looked for, and a stored copy (an upload). */
static void
test_errors_and_stored_copy(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], path[128];
    int bad = 0;

    login(w);
    upload_dataset(w, "name=tiny%20data", id, sizeof(id));
    expect_error(w, &bad, 404, "not_found", NULL, "GET", "/download/model/1234567890", NULL, NULL,
                 &a);
    expect_error(w, &bad, 400, "bad_request", NULL, "GET", "/download/model/bad_id!", NULL, NULL,
                 &a);
    snprintf(path, sizeof(path), "/download/widget/%s", id);
    expect_error(w, &bad, 400, "bad_request", NULL, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/download/model/%s", id);
    expect_error(w, &bad, 404, "not_found", NULL, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/download/dataset/%s", id);
    expect_error(w, &bad, 404, "not_found", "no aspect 'nope'", "GET", path, "aspect=nope", NULL,
                 &a);
    expect_error(w, &bad, 404, "not_found", "a dataset has only the full aspect", "GET", path,
                 "aspect=weights", NULL, &a);
    call(w, "GET", path, NULL, NULL, false, &a);
    CHECK(&bad, a.status == 403 && is_error(&a, "authentication_failed", NULL), "no token: %d %s",
          a.status, a.body);
    CHECK(&bad, downloads_audited(w, "dataset", id) == 0, "refusals are not downloads");

    /* The upload is the stored copy: nginx sends it, named after the artifact. */
    expect(w, &bad, 200, "GET", path, "aspect=full", NULL, &a);
    CHECK(&bad, a.length == -1 && a.body[0] == '\0', "a stored copy has no body of its own");
    CHECK(&bad, header_of(&a, "X-Accel-Redirect") && header_of(&a, "X-Accel-Redirect")[0] == '/',
          "X-Accel-Redirect: %s", header_of(&a, "X-Accel-Redirect"));
    CHECK(&bad, strcmp(a.content_type, "application/zip") == 0, "type %s", a.content_type);
    CHECK(&bad,
          header_of(&a, "X-Registry-Copy") &&
              strcmp(header_of(&a, "X-Registry-Copy"), "stored") == 0,
          "copy: %s", header_of(&a, "X-Registry-Copy"));
    CHECK(&bad,
          header_of(&a, "Content-Disposition") &&
              strcmp(header_of(&a, "Content-Disposition"),
                     "attachment; filename=\"tiny_data-full.zip\"") == 0,
          "disposition: %s", header_of(&a, "Content-Disposition"));
    CHECK(&bad, downloads_audited(w, "dataset", id) == 1, "one DOWNLOAD audited");
    assert_int_equal(bad, 0);
}

/* The first download streams the bundle while it is fetched; once the filler has stored it,
 * the next is the stored copy. An aspect is a bundle of its own. */
static void
test_pull_through_then_stored(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], path[128];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "model", HF "fixture-lab/bert-base-uncased-squad-onnx", id, sizeof(id));
    snprintf(path, sizeof(path), "/download/model/%s", id);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad,
          header_of(&a, "X-Registry-Copy") &&
              strcmp(header_of(&a, "X-Registry-Copy"), "pull-through") == 0,
          "copy: %s", header_of(&a, "X-Registry-Copy"));
    CHECK(&bad, a.length > 0 && a.streamed == a.length, "streamed %lld of %lld",
          (long long)a.streamed, (long long)a.length);
    CHECK(&bad, memcmp(a.data, "PK\x03\x04", 4) == 0, "a zip's first entry");
    CHECK(&bad,
          header_of(&a, "Content-Disposition") &&
              strcmp(header_of(&a, "Content-Disposition"),
                     "attachment; filename=\"bert-base-uncased-squad-onnx-full.zip\"") == 0,
          "disposition: %s", header_of(&a, "Content-Disposition"));
    wait_fillers(w->root);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad,
          header_of(&a, "X-Registry-Copy") &&
              strcmp(header_of(&a, "X-Registry-Copy"), "stored") == 0,
          "second copy: %s", header_of(&a, "X-Registry-Copy"));
    CHECK(&bad, header_of(&a, "X-Accel-Redirect") != NULL, "sent by nginx");

    expect(w, &bad, 200, "GET", path, "aspect=card", NULL, &a);
    CHECK(&bad, a.streamed > 0 || header_of(&a, "X-Accel-Redirect"), "the card's bundle");
    CHECK(&bad,
          header_of(&a, "Content-Disposition") &&
              strstr(header_of(&a, "Content-Disposition"), "bert-base-uncased-squad-onnx-card.zip"),
          "card disposition: %s", header_of(&a, "Content-Disposition"));
    /* No registered dataset is named by the card: that aspect has no file. */
    expect_error(w, &bad, 404, "not_found", "datasets aspect", "GET", path, "aspect=datasets", NULL,
                 &a);
    CHECK(&bad, downloads_audited(w, "model", id) == 3, "three DOWNLOADs audited");
    assert_int_equal(bad, 0);
}

/* An upstream that fails before any byte: 503 with Retry-After, nothing audited; then back. */
static void
test_upstream_down(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], path[128];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "model", HF "fixture-lab/bert-base-uncased-squad-onnx", id, sizeof(id));
    json_object_put(
        control("POST", "/__fixture/config", "{\"fail\":\"500\",\"fail_paths\":\"/resolve/\"}"));
    snprintf(path, sizeof(path), "/download/model/%s", id);
    expect_error(w, &bad, 503, "unavailable", "upstream", "GET", path, NULL, NULL, &a);
    CHECK(&bad, header_of(&a, "Retry-After") && atoi(header_of(&a, "Retry-After")) > 0,
          "Retry-After: %s", header_of(&a, "Retry-After"));
    reset_fixture(NULL);
    wait_fillers(w->root);
    CHECK(&bad, downloads_audited(w, "model", id) == 0, "nothing was handed out");
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad, a.streamed > 0 || header_of(&a, "X-Accel-Redirect"), "upstream is back");
    assert_int_equal(bad, 0);
}

/* A sensitive model: plain (recorded), then through its monitor program: served when it
 * passes, refused with its output when it fails; the zip it was handed is gone either way. */
static void
test_sensitive_downloads(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], path[128], mark[128], monitor[128], history[128], dir[300];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "model", HF "fixture-lab/whisper-tiny-dummy-ft", id, sizeof(id));
    snprintf(path, sizeof(path), "/download/model/%s", id);
    snprintf(mark, sizeof(mark), "/artifact/model/%s/sensitive", id);
    snprintf(monitor, sizeof(monitor), "/artifact/model/%s/monitor", id);
    snprintf(history, sizeof(history), "/artifact/model/%s/download-history", id);
    expect(w, &bad, 200, "PUT", mark, NULL, NULL, &a);

    /* Sensitive without a program: the ordinary download, recorded in the history. */
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad, a.streamed > 0 || header_of(&a, "X-Accel-Redirect"), "plain download");
    wait_fillers(w->root);

    expect(w, &bad, 200, "PUT", monitor, NULL, "process.exit(0);\n", &a);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad,
          header_of(&a, "X-Registry-Copy") &&
              strcmp(header_of(&a, "X-Registry-Copy"), "monitored") == 0,
          "copy: %s", header_of(&a, "X-Registry-Copy"));
    CHECK(&bad, a.length > 0 && a.streamed == a.length, "monitored: %lld of %lld",
          (long long)a.streamed, (long long)a.length);
    CHECK(&bad, memcmp(a.data, "PK\x03\x04", 4) == 0, "the monitored zip");

    expect(w, &bad, 200, "PUT", monitor, NULL,
           "console.log('not cleared: ' + process.argv[4]);\nprocess.exit(3);\n", &a);
    expect_error(w, &bad, 403, "forbidden", "exit code 3", "GET", path, NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, "not cleared: ece30861defaultadminuser") != NULL,
          "the program's output: %s", a.body);

    expect(w, &bad, 200, "GET", history, NULL, NULL, &a);
    CHECK(&bad, count_in(a.body, "outcome", "downloaded") == 2, "two served: %s", a.body);
    CHECK(&bad, count_in(a.body, "outcome", "refused") == 1, "one refused: %s", a.body);
    CHECK(&bad, downloads_audited(w, "model", id) == 2, "refusals are not DOWNLOADs");
    /* The history is for admins and the uploader. */
    login_new_user(w, "snoop", "[\"search\",\"download\"]");
    expect_error(w, &bad, 403, "forbidden", "only admins and the model's uploader", "GET", history,
                 NULL, NULL, &a);
    login(w);
    /* Each monitored zip is unlinked as soon as its program has run. */
    snprintf(dir, sizeof(dir), "%s/monitor", w->root);
    {
        DIR *d = opendir(dir);
        struct dirent *e;
        int left = 0;

        while (d && (e = readdir(d)) != NULL)
            left += strncmp(e->d_name, "download.", 9) == 0;
        if (d)
            closedir(d);
        CHECK(&bad, left == 0, "%d monitored download directories left", left);
    }
    assert_int_equal(bad, 0);
}

/* Every streaming slot held by a live process (this one's parent): what is not a stored copy
 * cannot be streamed (503); the slots freed, it can. A first monitored download pulls the
 * bundle through into the program's file. */
static void
test_busy_slots(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], path[128], monitor[128], room[300];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "model", HF "fixture-lab/bert-base-uncased-squad-onnx", id, sizeof(id));
    snprintf(path, sizeof(path), "/download/model/%s", id);
    for (int i = 0; i < REG_STREAM_SLOTS_MAX; i++)
        w->pool->streaming[i] = (int)getppid();
    expect_error(w, &bad, 503, "unavailable", "busy", "GET", path, NULL, NULL, &a);
    CHECK(&bad, header_of(&a, "Retry-After") != NULL, "Retry-After");
    expect_error(w, &bad, 503, "unavailable", "busy", "GET",
                 "/fixture-lab/bert-base-uncased-squad-onnx/resolve/main/config.json", NULL, NULL,
                 &a);
    snprintf(monitor, sizeof(monitor), "/artifact/model/%s/sensitive", id);
    expect(w, &bad, 200, "PUT", monitor, NULL, NULL, &a);
    snprintf(monitor, sizeof(monitor), "/artifact/model/%s/monitor", id);
    expect(w, &bad, 200, "PUT", monitor, NULL, "process.exit(0);\n", &a);
    expect_error(w, &bad, 503, "unavailable", "monitored download is busy", "GET", path, NULL, NULL,
                 &a);
    CHECK(&bad, downloads_audited(w, "model", id) == 0, "nothing handed out");

    /* Freed (a holder that is gone counts as free too): the monitored download runs, pulling
     * the bundle through, and gives its slot back. */
    for (int i = 0; i < REG_STREAM_SLOTS_MAX; i++)
        w->pool->streaming[i] = i == 0 ? 0 : 999999999;
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad,
          header_of(&a, "X-Registry-Copy") &&
              strcmp(header_of(&a, "X-Registry-Copy"), "monitored") == 0 && a.streamed == a.length,
          "monitored: %s", header_of(&a, "X-Registry-Copy"));
    CHECK(&bad, w->pool->streaming[0] == 0, "the slot given back: %d", w->pool->streaming[0]);
    /* No room for the program's file (the monitor directory is a file): 500, slot given back. */
    snprintf(room, sizeof(room), "%s/monitor", w->root);
    tmpdir_remove(room);
    {
        FILE *f = fopen(room, "w");
        assert_non_null(f);
        fclose(f);
    }
    expect_error(w, &bad, 500, "store_error", "cannot create a directory under", "GET", path, NULL,
                 NULL, &a);
    CHECK(&bad, w->pool->streaming[0] == 0, "given back after the failure: %d",
          w->pool->streaming[0]);
    assert_int_equal(bad, 0);
}

static int
setup_pooled(void **state)
{
    use_upstream();
    return open_world(state, false, true);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_errors_and_stored_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_through_then_stored, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_upstream_down, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_sensitive_downloads, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_busy_slots, setup_pooled, teardown),
        cmocka_unit_test_setup_teardown(test_errors_and_stored_copy, setup_aws, teardown),
        cmocka_unit_test_setup_teardown(test_pull_through_then_stored, setup_aws, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
