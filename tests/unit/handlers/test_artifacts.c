/*
 * test_artifacts.c - the artifact routes through reg_http_dispatch: POST /artifact/{type}
 * (registered from the fixture upstream, under its own name or one given), GET, PUT (the
 * Artifact envelope's checks, then the new source: audited, stored bundles dropped), DELETE
 * (its metadata, then 404), and POST /artifacts' queries: each malformed one refused naming
 * its index, the query limit (413), types and version ranges.
 */
#include "unit.h"

#include "dispatch_fixture.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"

#define HF "https://huggingface.co/"
#define ONNX HF "fixture-lab/bert-base-uncased-squad-onnx"

/* Uploads a dataset zip named name holding text; writes its id. */
static void
upload_dataset(struct world *w, const char *name, const char *text, char *id, size_t cap)
{
    static char zip[4096];
    const struct zip_entry files[] = {{.name = "README.md", .data = text}};
    char query[128], meta[512];
    struct call_spec c = {.query = query, .body = zip, .content_type = "application/zip"};
    struct answer a;

    snprintf(query, sizeof(query), "name=%s", name);
    c.body_len = make_zip_entries(zip, sizeof(zip), files, NELEMS(files));
    dispatch(w, "POST", "/artifact/dataset/upload", &c, &a);
    assert_int_equal(a.status, 201);
    body_field(body_field(a.body, "metadata", meta, sizeof(meta)), "id", id, cap);
}

static void
test_create_update_delete(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], path[128], body[512], meta[512], text[256];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    expect(w, &bad, 201, "POST", "/artifact/model", NULL,
           "{\"url\":\"" ONNX "\",\"name\":\"my-onnx\"}", &a);
    body_field(body_field(a.body, "metadata", meta, sizeof(meta)), "id", id, sizeof(id));
    CHECK(&bad, strcmp(body_field(meta, "name", text, sizeof(text)), "my-onnx") == 0,
          "the name given: %s", meta);
    expect_error(w, &bad, 409, "conflict", NULL, "POST", "/artifact/model", NULL,
                 "{\"url\":\"" ONNX "\"}", &a);
    expect_error(w, &bad, 400, "bad_request", "url", "POST", "/artifact/model", NULL, "{\"url\":7}",
                 &a);
    expect_error(w, &bad, 400, "bad_request", "name", "POST", "/artifact/model", NULL,
                 "{\"url\":\"" ONNX "\",\"name\":[]}", &a);
    snprintf(path, sizeof(path), "/artifacts/model/%s", id);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, "fixture-lab/bert-base-uncased-squad-onnx") != NULL,
          "its source: %s", a.body);

    /* PUT's envelope. */
    expect_error(w, &bad, 400, "bad_request", "metadata", "PUT", path, NULL, "{}", &a);
    expect_error(w, &bad, 400, "bad_request", "data", "PUT", path, NULL,
                 "{\"metadata\":{\"name\":\"x\",\"id\":\"1\"}}", &a);
    snprintf(body, sizeof(body),
             "{\"metadata\":{\"name\":\"x\",\"id\":\"1\"},\"data\":{\"url\":\"%s\"}}", BERT_URL);
    expect_error(w, &bad, 400, "bad_request", "does not match the path's id", "PUT", path, NULL,
                 body, &a);
    snprintf(body, sizeof(body),
             "{\"metadata\":{\"name\":\"x\",\"id\":\"%s\",\"type\":\"dataset\"},"
             "\"data\":{\"url\":\"%s\"}}",
             id, BERT_URL);
    expect_error(w, &bad, 400, "bad_request", "does not match the path's type", "PUT", path, NULL,
                 body, &a);
    snprintf(body, sizeof(body),
             "{\"metadata\":{\"name\":\"bert-now\",\"id\":\"%s\",\"type\":\"model\"},"
             "\"data\":{\"url\":\"%s\"}}",
             id, BERT_URL);
    expect_error(w, &bad, 400, "bad_request", "does not match the stored name", "PUT", path, NULL,
                 body, &a);
    snprintf(body, sizeof(body),
             "{\"metadata\":{\"name\":\"my-onnx\",\"id\":\"%s\",\"type\":\"model\"},"
             "\"data\":{\"url\":\"%s\"}}",
             id, BERT_URL);
    expect(w, &bad, 200, "PUT", path, NULL, body, &a);
    CHECK(&bad, strstr(a.body, "google-bert/bert-base-uncased") != NULL, "updated: %s", a.body);
    snprintf(body, sizeof(body),
             "{\"metadata\":{\"name\":\"my-onnx\",\"id\":\"424242\"},\"data\":{\"url\":\"%s\"}}",
             BERT_URL);
    expect_error(w, &bad, 404, "not_found", NULL, "PUT", "/artifacts/model/424242", NULL, body, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/audit", id);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, "\"UPDATE\"") && strstr(a.body, "\"CREATE\""), "audit: %s", a.body);

    snprintf(path, sizeof(path), "/artifacts/model/%s", id);
    expect(w, &bad, 200, "DELETE", path, NULL, NULL, &a);
    CHECK(&bad, strcmp(body_field(a.body, "id", text, sizeof(text)), id) == 0, "deleted: %s",
          a.body);
    expect_error(w, &bad, 404, "not_found", NULL, "GET", path, NULL, NULL, &a);
    expect_error(w, &bad, 404, "not_found", NULL, "DELETE", path, NULL, NULL, &a);
    expect_error(w, &bad, 400, "bad_request", NULL, "DELETE", "/artifacts/widget/1", NULL, NULL,
                 &a);
    expect_error(w, &bad, 400, "bad_request", NULL, "DELETE", "/artifacts/model/not%20an%20id",
                 NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

/* How many artifacts a POST /artifacts answer lists (-1 when it is not a list). */
static int
listed(const struct answer *a)
{
    struct json_object *doc = json_tokener_parse(a->body);
    int n =
        doc && json_object_is_type(doc, json_type_array) ? (int)json_object_array_length(doc) : -1;

    json_object_put(doc);
    return n;
}

static void
test_queries(void **state)
{
    static char many[REG_MAX_QUERIES * 16 + 16];
    struct world *w = *state;
    struct answer a;
    char id[64];
    size_t used = 0;
    int bad = 0;

    login(w);
    upload_dataset(w, "alpha-data", "# alpha\nThe first.\n", id, sizeof(id));
    upload_dataset(w, "beta-data", "# beta\nThe second.\n", id, sizeof(id));
    expect(w, &bad, 200, "POST", "/artifacts", NULL, "[{\"name\":\"*\"}]", &a);
    CHECK(&bad, listed(&a) == 2, "all: %s", a.body);
    expect_error(w, &bad, 404, "not_found", "has a version in that range", "GET",
                 "/artifact/byName/beta-data", "version=%5E9.0.0", NULL, &a);
    expect(w, &bad, 200, "POST", "/artifacts", NULL, "[{\"name\":\"beta-data\"}]", &a);
    CHECK(&bad, listed(&a) == 1 && strstr(a.body, "beta-data"), "by name: %s", a.body);
    expect(w, &bad, 200, "POST", "/artifacts", NULL,
           "[{\"name\":\"alpha-data\"},{\"name\":\"beta-data\",\"types\":[\"dataset\"]}]", &a);
    CHECK(&bad, listed(&a) == 2, "two queries: %s", a.body);
    expect(w, &bad, 200, "POST", "/artifacts", NULL, "[{\"name\":\"*\",\"types\":[\"model\"]}]",
           &a);
    CHECK(&bad, listed(&a) == 0, "no models: %s", a.body);
    expect(w, &bad, 200, "POST", "/artifacts", NULL, "[{\"name\":\"*\",\"types\":[]}]", &a);
    expect(w, &bad, 200, "POST", "/artifacts", NULL, "[{\"name\":\"*\",\"version\":\"^1.0.0\"}]",
           &a);
    CHECK(&bad, listed(&a) >= 0, "a version range: %s", a.body);
    expect_error(w, &bad, 400, "bad_request", "comparison operators", "POST", "/artifacts", NULL,
                 "[{\"name\":\"*\",\"version\":\">=0.0.0\"}]", &a);

    expect_error(w, &bad, 400, "bad_request", "JSON array", "POST", "/artifacts", NULL, "{}", &a);
    expect_error(w, &bad, 400, "bad_request", "at least one", "POST", "/artifacts", NULL, "[]", &a);
    expect_error(w, &bad, 400, "bad_request", "query 1 must be an object", "POST", "/artifacts",
                 NULL, "[{\"name\":\"*\"},3]", &a);
    expect_error(w, &bad, 400, "bad_request", "name", "POST", "/artifacts", NULL, "[{}]", &a);
    expect_error(w, &bad, 400, "bad_request", "types must be strings", "POST", "/artifacts", NULL,
                 "[{\"name\":\"*\",\"types\":[1]}]", &a);
    expect_error(w, &bad, 400, "bad_request", "types", "POST", "/artifacts", NULL,
                 "[{\"name\":\"*\",\"types\":\"model\"}]", &a);
    expect_error(w, &bad, 400, "bad_request", "query 0", "POST", "/artifacts", NULL,
                 "[{\"name\":\"*\",\"version\":\"not a range\"}]", &a);
    expect_error(w, &bad, 400, "bad_request", "query 0", "POST", "/artifacts", NULL,
                 "[{\"name\":\"a\\u0001b\"}]", &a);
    expect_error(w, &bad, 400, "bad_request", "offset", "POST", "/artifacts", "offset=x",
                 "[{\"name\":\"*\"}]", &a);
    used += (size_t)snprintf(many, sizeof(many), "[");
    for (int i = 0; i <= REG_MAX_QUERIES; i++)
        used += (size_t)snprintf(many + used, sizeof(many) - used, "%s{\"name\":\"n%d\"}",
                                 i ? "," : "", i);
    snprintf(many + used, sizeof(many) - used, "]");
    expect_error(w, &bad, 413, "too_large", "at most 64", "POST", "/artifacts", NULL, many, &a);
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_update_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_update_delete, setup_aws, teardown),
        cmocka_unit_test_setup_teardown(test_queries, setup_aws, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
