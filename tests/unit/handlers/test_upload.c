/*
 * test_upload.c - POST /artifact/{artifact_type}/upload through reg_http_dispatch, the body in
 * memory or in a file (as nginx hands it over): a good zip (201, its fields, audited), the same
 * zip again (409), zips refused before anything is stored (zip slip, an absolute path, a
 * symbolic link, a bomb declared or streamed past the limit, not a zip, empty), the query and
 * permission checks; and GET /_internal/upload-check, nginx's question before it reads a body:
 * internal only, 204 when the upload may go on, else 403 carrying the API's answer in
 * X-Registry-Status / X-Registry-Error (/ X-Registry-Allow).
 */
#include "unit.h"

#include "dispatch_fixture.h"

#include <stdio.h>
#include <string.h>

static const char card[] = "# tiny\nA dataset uploaded by the upload test.\n";

/* The number of files under the world's blobs directory. */
static int
count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)) != NULL) {
        char path[1024];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0)
            n += S_ISDIR(st.st_mode) ? count_files(path) : 1;
    }
    if (d)
        closedir(d);
    return n;
}

static int
blobs(struct world *w)
{
    char dir[300];

    snprintf(dir, sizeof(dir), "%s/blobs", w->root);
    return count_files(dir);
}

/* POSTs a zip of len bytes to the upload route of type as name (NULL: no name). */
static void
upload(struct world *w, const char *type, const char *name, const char *zip, size_t len,
       struct answer *a)
{
    char path[64], query[128];
    struct call_spec c = {.body = zip, .body_len = len, .content_type = "application/zip"};

    snprintf(path, sizeof(path), "/artifact/%s/upload", type);
    if (name) {
        snprintf(query, sizeof(query), "name=%s", name);
        c.query = query;
    }
    dispatch(w, "POST", path, &c, a);
}

static void
test_good_and_duplicate(void **state)
{
    static char zip[16384], file_zip[16384];
    const struct zip_entry files[] = {{.name = "README.md", .data = card},
                                      {.name = "data/train.csv", .data = "a,b\n1,2\n"}};
    const struct zip_entry other[] = {{.name = "README.md", .data = card},
                                      {.name = "data/test.csv", .data = "a,b\n3,4\n"}};
    struct world *w = *state;
    struct answer a;
    char id[64], meta[1024], data[1024], text[256], path[512];
    size_t len = make_zip_entries(zip, sizeof(zip), files, NELEMS(files));
    int bad = 0;

    if (!w)
        skip();
    login(w);
    upload(w, "dataset", "tiny-data", zip, len, &a);
    CHECK(&bad, a.status == 201, "upload: %d %s", a.status, a.body);
    body_field(a.body, "metadata", meta, sizeof(meta));
    body_field(a.body, "data", data, sizeof(data));
    CHECK(&bad,
          strcmp(body_field(meta, "name", text, sizeof(text)), "tiny-data") == 0 &&
              strcmp(body_field(meta, "type", text, sizeof(text)), "dataset") == 0,
          "metadata: %s", meta);
    CHECK(&bad,
          strncmp(body_field(data, "url", text, sizeof(text)), "upload://", 9) == 0 &&
              strlen(text) == 9 + 64,
          "url: %s", text);
    body_field(meta, "id", id, sizeof(id));
    snprintf(path, sizeof(path), "/artifact/dataset/%s/audit", id);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, "\"CREATE\"") != NULL, "audited: %s", a.body);
    expect(w, &bad, 200, "GET", "/artifact/byName/tiny-data", NULL, NULL, &a);

    /* The same zip again, under another name: it is registered already. */
    upload(w, "dataset", "tiny-again", zip, len, &a);
    CHECK(&bad, a.status == 409 && is_error(&a, "conflict", NULL), "duplicate: %d %s", a.status,
          a.body);
    expect_error(w, &bad, 404, "not_found", NULL, "GET", "/artifact/byName/tiny-again", NULL, NULL,
                 &a);

    /* The body in a file, as nginx stores a large one. */
    len = make_zip_entries(file_zip, sizeof(file_zip), other, NELEMS(other));
    snprintf(path, sizeof(path), "%s/tmp/body.zip", w->root);
    {
        FILE *f = fopen(path, "wb");
        struct call_spec c = {
            .query = "name=from-file", .body_file = path, .content_type = "application/zip"};

        assert_non_null(f);
        assert_int_equal(fwrite(file_zip, 1, len, f), len);
        fclose(f);
        dispatch(w, "POST", "/artifact/dataset/upload", &c, &a);
    }
    CHECK(&bad, a.status == 201, "from a file: %d %s", a.status, a.body);
    expect(w, &bad, 200, "GET", "/artifact/byName/from-file", NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

/* Zips refused before anything is stored: 400 naming why, no blob, no artifact. */
static void
test_refused_zips(void **state)
{
    static char zip[4 * 1024 * 1024], big[2 * 1024 * 1024];
    const struct zip_entry slip[] = {{.name = "README.md", .data = card},
                                     {.name = "../evil", .data = "x"}};
    const struct zip_entry absolute[] = {{.name = "README.md", .data = card},
                                         {.name = "/etc/x", .data = "x"}};
    const struct zip_entry link[] = {{.name = "README.md", .data = card},
                                     {.name = "link", .data = "/etc/passwd", .link = true}};
    const struct zip_entry declared[] = {{.name = "README.md", .data = card},
                                         {.name = "bomb.bin", .data = big, .len = sizeof(big)}};
    const struct zip_entry streamed[] = {
        {.name = "README.md", .data = card},
        {.name = "bomb.bin", .data = big, .len = sizeof(big), .size_unknown = true}};
    const struct {
        const char *what;
        const struct zip_entry *entries;
        int n;
        const char *why;
    } cases[] = {
        {"zip slip", slip, NELEMS(slip), ".."},
        {"absolute", absolute, NELEMS(absolute), "absolute"},
        {"symbolic link", link, NELEMS(link), "link"},
        {"bomb, declared", declared, NELEMS(declared), "declares"},
        {"bomb, streamed", streamed, NELEMS(streamed), "more than"},
    };
    struct world *w = *state;
    struct answer a;
    int before, bad = 0;

    login(w);
    w->app->config.upload_max_bytes = 1024 * 1024; /* the bombs inflate past it */
    before = blobs(w);
    for (int i = 0; i < NELEMS(cases); i++) {
        size_t len = make_zip_entries(zip, sizeof(zip), cases[i].entries, cases[i].n);
        upload(w, "dataset", "refused", zip, len, &a);
        CHECK(&bad, a.status == 400 && is_error(&a, "bad_request", cases[i].why), "%s: %d %s",
              cases[i].what, a.status, a.body);
    }
    CHECK(&bad, blobs(w) == before, "blobs: %d, were %d", blobs(w), before);
    expect_error(w, &bad, 404, "not_found", NULL, "GET", "/artifact/byName/refused", NULL, NULL,
                 &a);
    assert_int_equal(bad, 0);
}

static void
test_request_checks(void **state)
{
    static char zip[4096];
    const struct zip_entry files[] = {{.name = "README.md", .data = card}};
    struct world *w = *state;
    struct answer a;
    size_t len = make_zip_entries(zip, sizeof(zip), files, NELEMS(files));
    int bad = 0;

    login(w);
    upload(w, "dataset", NULL, zip, len, &a);
    CHECK(&bad, a.status == 400 && is_error(&a, "bad_request", "name"), "no name: %d %s", a.status,
          a.body);
    upload(w, "dataset", "", zip, len, &a);
    CHECK(&bad, a.status == 400 && is_error(&a, "bad_request", "name"), "empty name: %d", a.status);
    upload(w, "dataset", "%2A", zip, len, &a);
    CHECK(&bad, a.status == 400 && is_error(&a, "bad_request", "reserved"), "name '*': %d %s",
          a.status, a.body);
    upload(w, "dataset", "tab%09name", zip, len, &a);
    CHECK(&bad, a.status == 400 && is_error(&a, "bad_request", "control"), "control: %d %s",
          a.status, a.body);
    upload(w, "widget", "x", zip, len, &a);
    CHECK(&bad, a.status == 400 && is_error(&a, "bad_request", NULL), "widget: %d", a.status);
    upload(w, "dataset", "junk", "this is not a zip", 17, &a);
    CHECK(&bad, a.status == 400 && is_error(&a, "bad_request", "zip"), "not a zip: %d %s", a.status,
          a.body);
    upload(w, "dataset", "empty", "", 0, &a);
    CHECK(&bad, a.status == 400 && is_error(&a, "bad_request", "zip file"), "empty: %d %s",
          a.status, a.body);
    login_new_user(w, "searcher", "[\"search\"]");
    upload(w, "dataset", "x", zip, len, &a);
    CHECK(&bad, a.status == 401 && is_error(&a, "not_permitted", NULL), "searcher: %d", a.status);
    w->token[0] = '\0';
    upload(w, "dataset", "x", zip, len, &a);
    CHECK(&bad, a.status == 403 && is_error(&a, "authentication_failed", NULL), "no token: %d",
          a.status);
    assert_int_equal(bad, 0);
}

/* GET /_internal/upload-check as nginx's auth_request sends it; the answer's status and the
 * X-Registry-Status it carries (0 when none). */
static int
check(struct world *w, const char *method, const char *uri, const char *length, bool token,
      struct answer *a)
{
    struct call_spec c = {.internal = true,
                          .anonymous = !token,
                          .original_method = method,
                          .original_uri = uri,
                          .original_length = length};
    const char *s;

    dispatch(w, "GET", "/_internal/upload-check", &c, a);
    s = header_of(a, "X-Registry-Status");
    return s ? atoi(s) : 0;
}

static void
test_upload_check(void **state)
{
    struct world *w = *state;
    struct answer a;
    int bad = 0;

    login(w);
    /* Not a subrequest of nginx's: there is no such route. */
    expect_error(w, &bad, 404, "no_such_route", NULL, "GET", "/_internal/upload-check", NULL, NULL,
                 &a);
    w->app->config.blob_reserve_bytes = 0;
    w->app->config.upload_max_bytes = 1024 * 1024;
    CHECK(&bad,
          check(w, "POST", "/artifact/model/upload?name=x", "1000", true, &a) == 0 &&
              a.status == 204,
          "may go on: %d", a.status);
    CHECK(&bad,
          check(w, "POST", "/artifact/model/upload?name=x", "chunked", true, &a) == 0 &&
              a.status == 204,
          "chunked: %d", a.status);
    CHECK(&bad, check(w, "POST", "/artifact/model/upload", "", true, &a) == 0 && a.status == 204,
          "no length: %d", a.status);
    CHECK(&bad,
          check(w, "POST", "/artifact/model/upload", "1000", false, &a) == 403 && a.status == 403 &&
              strstr(header_of(&a, "X-Registry-Error"), "authentication_failed"),
          "no token: %d %s", a.status, header_of(&a, "X-Registry-Error"));
    CHECK(&bad,
          check(w, "POST", "/artifact/model/upload", "12x", true, &a) == 400 &&
              strstr(header_of(&a, "X-Registry-Error"), "Content-Length"),
          "bad length: %s", header_of(&a, "X-Registry-Error"));
    CHECK(&bad,
          check(w, "POST", "/artifact/model/upload", "9000000000000000000", true, &a) == 507 &&
              strstr(header_of(&a, "X-Registry-Error"), "REGISTRY_BLOB_RESERVE_BYTES"),
          "no room: %s", header_of(&a, "X-Registry-Error"));
    CHECK(&bad,
          check(w, "GET", "/artifact/model/upload", "0", true, &a) == 405 &&
              header_of(&a, "X-Registry-Allow") &&
              strstr(header_of(&a, "X-Registry-Allow"), "POST"),
          "wrong method: %d %s", a.status, header_of(&a, "X-Registry-Allow"));
    CHECK(&bad, check(w, "GET", "/_internal/upload-check", "0", true, &a) == 404,
          "the check itself is not a client's route: %d", a.status);
    CHECK(&bad, check(w, "POST", "/no/such/route", "0", true, &a) == 404, "no route: %d", a.status);
    {
        /* The data directory's file system cannot be asked: the check fails, saying so. */
        const char *dir = w->app->config.data_dir;

        w->app->config.data_dir = "/nonexistent/data-dir";
        CHECK(&bad,
              check(w, "POST", "/artifact/model/upload", "1000", true, &a) == 500 &&
                  strstr(header_of(&a, "X-Registry-Error"), "statvfs"),
              "statvfs: %d %s", a.status, header_of(&a, "X-Registry-Error"));
        w->app->config.data_dir = dir;
    }
    login_new_user(w, "reader", "[\"search\"]");
    CHECK(&bad, check(w, "POST", "/artifact/model/upload", "1000", true, &a) == 401,
          "no upload permission: %d", a.status);
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_and_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_zips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_good_and_duplicate, setup_aws, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
