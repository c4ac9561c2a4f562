/*
 * test_hub.c - the Hugging Face Hub-compatible routes through reg_http_dispatch: repository
 * info (and by revision), the tree (top level, recursive, a directory), paths-info, resolve
 * (whole file, ranges, HEAD, the Hub's headers, 416), and the Hub-shaped 404s (RepoNotFound,
 * RevisionNotFound, EntryNotFound with X-Error-Code), a sensitive model's files (403
 * GatedRepo), an upstream that fails before a copy is stored (503), and the token check. The
 * repositories come from run-unit.sh's upstream fixture; without it the tests skip.
 */
#include "unit.h"

#include "dispatch_fixture.h"

#include <stdio.h>
#include <string.h>

#define REPO "fixture-lab/bert-base-uncased-squad-onnx"
#define REPO_SHA "9c644cca5ce20e375fbe5b8172dd5d5ef9279661"
#define ONNX_SIZE 110765531
#define CONFIG_SIZE 279
#define DATASET "rajpurkar/squad"

/* A Hub-shaped error: the status, X-Error-Code and {"error": "..."}. */
static void
hub_error(int *bad, const struct answer *a, int status, const char *code, const char *what)
{
    char msg[256];

    CHECK(bad, a->status == status, "%s: status %d, want %d: %s", what, a->status, status, a->body);
    CHECK(bad, header_of(a, "X-Error-Code") && strcmp(header_of(a, "X-Error-Code"), code) == 0,
          "%s: X-Error-Code %s, want %s", what, header_of(a, "X-Error-Code"), code);
    CHECK(bad, body_field(a->body, "error", msg, sizeof(msg))[0] != '\0', "%s: no error: %s", what,
          a->body);
}

/* The "path" fields of a JSON array body, joined with ',' into out. */
static const char *
paths_of(const char *body, char *out, size_t cap)
{
    struct json_object *doc = json_tokener_parse(body);
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0;
         doc && json_object_is_type(doc, json_type_array) && i < json_object_array_length(doc);
         i++) {
        struct json_object *p;
        if (json_object_object_get_ex(json_object_array_get_idx(doc, i), "path", &p))
            used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "," : "",
                                     json_object_get_string(p));
        if (used >= cap)
            break;
    }
    json_object_put(doc);
    return out;
}

static void
test_info_tree_and_paths_info(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], text[1024];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "model", "https://huggingface.co/" REPO, id, sizeof(id));
    expect(w, &bad, 200, "GET", "/api/models/" REPO, NULL, NULL, &a);
    CHECK(&bad, strcmp(body_field(a.body, "id", text, sizeof(text)), REPO) == 0, "id %s", text);
    CHECK(&bad, strcmp(body_field(a.body, "modelId", text, sizeof(text)), REPO) == 0, "modelId");
    CHECK(&bad, strcmp(body_field(a.body, "_id", text, sizeof(text)), id) == 0, "_id %s", text);
    CHECK(&bad, strcmp(body_field(a.body, "author", text, sizeof(text)), "fixture-lab") == 0,
          "author %s", text);
    CHECK(&bad, strcmp(body_field(a.body, "sha", text, sizeof(text)), REPO_SHA) == 0, "sha %s",
          text);
    CHECK(&bad, strstr(a.body, "\"rfilename\":\"model_quantized.onnx\"") != NULL, "siblings: %s",
          a.body);
    CHECK(&bad, strstr(a.body, "\"pointerSize\":134") != NULL, "an LFS sibling");
    expect(w, &bad, 200, "GET", "/api/models/" REPO "/revision/main", NULL, NULL, &a);
    CHECK(&bad, strcmp(body_field(a.body, "sha", text, sizeof(text)), REPO_SHA) == 0,
          "revision sha %s", text);
    expect(w, &bad, 200, "GET", "/api/models/" REPO "/revision/" REPO_SHA, NULL, NULL, &a);

    expect(w, &bad, 200, "GET", "/api/models/" REPO "/tree/main", NULL, NULL, &a);
    CHECK(&bad,
          strcmp(paths_of(a.body, text, sizeof(text)),
                 ".gitattributes,README.md,config.json,model_quantized.onnx,"
                 "special_tokens_map.json,tokenizer.json,tokenizer_config.json,vocab.txt") == 0,
          "tree: %s", text);
    expect(w, &bad, 200, "POST", "/api/models/" REPO "/paths-info/main", NULL,
           "{\"paths\":[\"config.json\",\"nope.bin\",7],\"expand\":true}", &a);
    CHECK(&bad, strcmp(paths_of(a.body, text, sizeof(text)), "config.json") == 0, "paths-info: %s",
          text);
    CHECK(&bad, strstr(a.body, "\"size\":279") != NULL, "config.json's size: %s", a.body);
    expect_error(w, &bad, 400, "bad_request", "JSON object", "POST",
                 "/api/models/" REPO "/paths-info/main", NULL, "[\"config.json\"]", &a);
    expect_error(w, &bad, 400, "bad_request", "paths", "POST",
                 "/api/models/" REPO "/paths-info/main", NULL, "{\"paths\":\"config.json\"}", &a);

    /* What is not there, in the Hub's shape. */
    call(w, "GET", "/api/models/hub-lab/never-registered", NULL, NULL, true, &a);
    hub_error(&bad, &a, 404, "RepoNotFound", "unknown repository");
    call(w, "GET", "/api/models/never-registered", NULL, NULL, true, &a);
    hub_error(&bad, &a, 404, "RepoNotFound", "unknown legacy name");
    call(w, "GET", "/api/datasets/" REPO, NULL, NULL, true, &a);
    hub_error(&bad, &a, 404, "RepoNotFound", "a model asked as a dataset");
    call(w, "GET", "/api/models/" REPO "/tree/main/nodir", NULL, NULL, true, &a);
    hub_error(&bad, &a, 404, "EntryNotFound", "no directory");
    call(w, "GET", "/api/models/" REPO "/tree/0000000000000000000000000000000000000000", NULL, NULL,
         true, &a);
    hub_error(&bad, &a, 404, "RevisionNotFound", "unknown revision");
    call(w, "GET", "/api/models/" REPO "/refs/main", NULL, NULL, true, &a);
    hub_error(&bad, &a, 404, "EntryNotFound", "no such API");
    call(w, "POST", "/api/models/" REPO "/tree/main", NULL, "{}", true, &a);
    hub_error(&bad, &a, 404, "EntryNotFound", "POST of a tree");

    /* A token is needed. */
    call(w, "GET", "/api/models/" REPO, NULL, NULL, false, &a);
    CHECK(&bad, a.status == 403 && is_error(&a, "authentication_failed", NULL), "no token: %d %s",
          a.status, a.body);
    assert_int_equal(bad, 0);
}

/* A dataset: its info (no modelId), a tree with a directory, recursive or not. */
static void
test_dataset_tree(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], text[1024];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "dataset", "https://huggingface.co/datasets/" DATASET, id, sizeof(id));
    expect(w, &bad, 200, "GET", "/api/datasets/" DATASET, NULL, NULL, &a);
    CHECK(&bad, strcmp(body_field(a.body, "id", text, sizeof(text)), DATASET) == 0, "id %s", text);
    CHECK(&bad, strstr(a.body, "modelId") == NULL, "a dataset has no modelId");
    expect(w, &bad, 200, "GET", "/api/datasets/" DATASET "/tree/main", NULL, NULL, &a);
    CHECK(&bad,
          strcmp(paths_of(a.body, text, sizeof(text)), ".gitattributes,README.md,plain_text") == 0,
          "top level: %s", text);
    CHECK(&bad, strstr(a.body, "\"type\":\"directory\"") != NULL, "a directory entry");
    expect(w, &bad, 200, "GET", "/api/datasets/" DATASET "/tree/main", "recursive=true", NULL, &a);
    CHECK(&bad,
          strcmp(paths_of(a.body, text, sizeof(text)),
                 ".gitattributes,README.md,plain_text,"
                 "plain_text/train-00000-of-00001.parquet,"
                 "plain_text/validation-00000-of-00001.parquet") == 0,
          "recursive: %s", text);
    expect(w, &bad, 200, "GET", "/api/datasets/" DATASET "/tree/main/plain_text", NULL, NULL, &a);
    CHECK(&bad,
          strcmp(paths_of(a.body, text, sizeof(text)),
                 "plain_text/train-00000-of-00001.parquet,"
                 "plain_text/validation-00000-of-00001.parquet") == 0,
          "a directory: %s", text);
    expect(w, &bad, 200, "POST", "/api/datasets/" DATASET "/paths-info/main", NULL,
           "{\"paths\":[\"plain_text\",\"README.md\"]}", &a);
    CHECK(&bad, strcmp(paths_of(a.body, text, sizeof(text)), "plain_text,README.md") == 0,
          "paths-info of a directory: %s", text);
    expect(w, &bad, 200, "HEAD", "/datasets/" DATASET "/resolve/main/README.md", NULL, NULL, &a);
    CHECK(&bad, a.length == 2691, "README.md's length: %lld", (long long)a.length);
    assert_int_equal(bad, 0);
}

/* A file: whole, its ranges, HEAD, and what cannot be served. */
static void
test_resolve(void **state)
{
    struct world *w = *state;
    struct call_spec c = {0};
    struct answer a;
    static struct answer whole;
    char id[64], path[128];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "model", "https://huggingface.co/" REPO, id, sizeof(id));
    expect(w, &bad, 200, "GET", "/" REPO "/resolve/main/config.json", NULL, NULL, &whole);
    CHECK(&bad, whole.length == CONFIG_SIZE && whole.streamed == CONFIG_SIZE, "config.json: %lld",
          (long long)whole.streamed);
    CHECK(&bad, whole.data[0] == '{', "config.json's bytes: %.20s", whole.data);
    CHECK(&bad, strcmp(whole.content_type, "application/octet-stream") == 0, "type %s",
          whole.content_type);
    CHECK(&bad, header_of(&whole, "ETag") && header_of(&whole, "ETag")[0] == '"', "ETag");
    CHECK(&bad,
          header_of(&whole, "X-Repo-Commit") &&
              strcmp(header_of(&whole, "X-Repo-Commit"), REPO_SHA) == 0,
          "X-Repo-Commit");
    CHECK(&bad, header_of(&whole, "X-Linked-Size") == NULL, "config.json is not LFS");
    wait_fillers(w->root);

    c.range = "bytes=10-19";
    dispatch(w, "GET", "/" REPO "/resolve/main/config.json", &c, &a);
    CHECK(&bad, a.status == 206 && a.streamed == 10 && memcmp(a.data, whole.data + 10, 10) == 0,
          "bytes=10-19: %d, %lld bytes", a.status, (long long)a.streamed);
    CHECK(&bad,
          header_of(&a, "Content-Range") &&
              strcmp(header_of(&a, "Content-Range"), "bytes 10-19/279") == 0,
          "Content-Range: %s", header_of(&a, "Content-Range"));
    c.range = "bytes=-9";
    dispatch(w, "GET", "/" REPO "/resolve/main/config.json", &c, &a);
    CHECK(&bad, a.status == 206 && a.streamed == 9 && memcmp(a.data, whole.data + 270, 9) == 0,
          "bytes=-9: %d, %lld bytes", a.status, (long long)a.streamed);
    c.range = "bytes=270-";
    dispatch(w, "GET", "/" REPO "/resolve/main/config.json", &c, &a);
    CHECK(&bad, a.status == 206 && a.streamed == 9, "bytes=270-: %d, %lld bytes", a.status,
          (long long)a.streamed);
    c.range = "bytes=0-1,5-6"; /* several ranges: the whole file, as the Hub does */
    dispatch(w, "GET", "/" REPO "/resolve/main/config.json", &c, &a);
    CHECK(&bad, a.status == 200 && a.streamed == CONFIG_SIZE, "two ranges: %d", a.status);
    c.range = "bytes=279-";
    dispatch(w, "GET", "/" REPO "/resolve/main/config.json", &c, &a);
    CHECK(&bad,
          a.status == 416 && header_of(&a, "Content-Range") &&
              strcmp(header_of(&a, "Content-Range"), "bytes */279") == 0,
          "past the end: %d %s", a.status, header_of(&a, "Content-Range"));
    c.range = "bytes=-0";
    dispatch(w, "GET", "/" REPO "/resolve/main/config.json", &c, &a);
    CHECK(&bad, a.status == 416, "an empty suffix: %d", a.status);

    /* An LFS file: its sha256 is the ETag, and it is linked. */
    c.range = "bytes=0-0";
    dispatch(w, "GET", "/" REPO "/resolve/main/model_quantized.onnx", &c, &a);
    CHECK(&bad, a.status == 206 && a.streamed == 1, "onnx first byte: %d", a.status);
    CHECK(&bad,
          header_of(&a, "X-Linked-Size") && atoll(header_of(&a, "X-Linked-Size")) == ONNX_SIZE,
          "X-Linked-Size: %s", header_of(&a, "X-Linked-Size"));
    CHECK(&bad,
          header_of(&a, "X-Linked-Etag") && header_of(&a, "ETag") &&
              strcmp(header_of(&a, "X-Linked-Etag"), header_of(&a, "ETag")) == 0,
          "X-Linked-Etag");
    expect(w, &bad, 200, "HEAD", "/" REPO "/resolve/main/model_quantized.onnx", NULL, NULL, &a);
    CHECK(&bad, a.length == ONNX_SIZE && a.streamed == 0, "HEAD: %lld", (long long)a.length);

    call(w, "GET", "/" REPO "/resolve/main/nope.bin", NULL, NULL, true, &a);
    hub_error(&bad, &a, 404, "EntryNotFound", "no file");
    CHECK(&bad, header_of(&a, "X-Repo-Commit") != NULL, "EntryNotFound names the commit");
    call(w, "GET", "/" REPO "/resolve/0000000000000000000000000000000000000000/config.json", NULL,
         NULL, true, &a);
    hub_error(&bad, &a, 404, "RevisionNotFound", "unknown revision");
    call(w, "GET", "/hub-lab/never-registered/resolve/main/config.json", NULL, NULL, true, &a);
    hub_error(&bad, &a, 404, "RepoNotFound", "unknown repository");

    /* Reading a file is a download; HEAD is not. */
    snprintf(path, sizeof(path), "/artifact/model/%s/audit", id);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, "DOWNLOAD") != NULL, "audited: %s", a.body);

    /* A sensitive model's files are judged whole, by its monitor: 403 GatedRepo. */
    snprintf(path, sizeof(path), "/artifact/model/%s/sensitive", id);
    expect(w, &bad, 200, "PUT", path, NULL, NULL, &a);
    call(w, "GET", "/" REPO "/resolve/main/config.json", NULL, NULL, true, &a);
    hub_error(&bad, &a, 403, "GatedRepo", "sensitive");
    CHECK(&bad, strstr(a.body, "/download/model/") != NULL, "points at the download: %s", a.body);
    expect(w, &bad, 200, "GET", "/api/models/" REPO, NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

/* No stored copy and an upstream that fails: 503 with Retry-After; then it is back. */
static void
test_upstream_down(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "model", "https://huggingface.co/" REPO, id, sizeof(id));
    json_object_put(
        control("POST", "/__fixture/config", "{\"fail\":\"500\",\"fail_paths\":\"/resolve/\"}"));
    expect_error(w, &bad, 503, "unavailable", NULL, "GET", "/" REPO "/resolve/main/config.json",
                 NULL, NULL, &a);
    CHECK(&bad, header_of(&a, "Retry-After") && atoi(header_of(&a, "Retry-After")) > 0,
          "Retry-After: %s", header_of(&a, "Retry-After"));
    reset_fixture(NULL);
    wait_fillers(w->root);
    expect(w, &bad, 200, "GET", "/" REPO "/resolve/main/config.json", NULL, NULL, &a);
    CHECK(&bad, a.streamed == CONFIG_SIZE, "back: %lld bytes", (long long)a.streamed);
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_info_tree_and_paths_info, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_dataset_tree, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_resolve, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_upstream_down, setup_fetching, teardown),
        cmocka_unit_test_setup_teardown(test_resolve, setup_aws, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
