/*
 * test_fcgi.c - the FastCGI side of registryd (fcgi/), driven for real: the worker loop and the
 * master run in forked children on a unix socket, and the test speaks FastCGI to them
 * (fcgi_client.h) as nginx would. Checked: parameters and bodies become requests (a body
 * spanning several reads, one over REG_MAX_BODY: 413 with the JSON error body), the bearer
 * header, a streamed download (whole, in records larger than libfcgi's 8 KiB), a client that
 * goes away mid-download (logged, the worker serves on), the master's pre-fork, the respawn of
 * a killed worker, the SIGTERM drain that lets a request in progress finish, and registryd
 * itself (main.c): start, serve, stop, and a configuration it refuses.
 *
 * Nothing here waits on time: every wait polls for an event (a socket, a count in shared
 * memory, a process's state), bounded generously.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcgiapp.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/limits.h"
#include "fcgi_client.h"
#include "master.h"
#include "reg.h"
#include "tmpdir_fixture.h"
#include "worker.h"

#define ADMIN "ece30861defaultadminuser"
#define ADMIN_BODY                                                                                 \
    "{\"user\":{\"name\":\"" ADMIN "\",\"is_admin\":true},"                                        \
    "\"secret\":{\"password\":\"correcthorsebatterystaple123(!__+@**(A'\\\"`;DROP TABLE "          \
    "artifacts;\"}}"
#define BERT_BODY "{\"url\":\"https://huggingface.co/google-bert/bert-base-uncased\"}"
#define WRONG_BODY                                                                                 \
    "{\"user\":{\"name\":\"" ADMIN "\",\"is_admin\":true},\"secret\":{\"password\":\"wrong\"}}"
/* The uploaded dataset's data file: most of REG_MAX_BODY, many reads of the worker. */
#define BIG_FILE (900 * 1024)
/* Polls: 100 ms apart, 30 s at most. */
#define POLL_NS (100 * 1000 * 1000L)
#define POLL_TRIES 300

struct world {
    char root[256];
    char sock[300];
    char log[300];
    struct reg_config cfg;
    struct reg_pool_status *pool;
    int listen_fd;
    pid_t child;   /* the worker, master or registryd started, until it is reaped */
    bool upstream; /* the fixture upstream is there (scripts/run-unit.sh) */
    char token[1024];
};

static const char *registryd; /* build/registryd next to this binary's build directory */

static void
pause_poll(void)
{
    nanosleep(&(struct timespec){0, POLL_NS}, NULL);
}

/* The shared memory main.c maps for the pool, set up the same way. */
static struct reg_pool_status *
map_pool(void)
{
    struct reg_pool_status *p =
        mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    assert_true(p != MAP_FAILED);
    memset(p, 0, sizeof(*p));
    assert_int_equal(reg_backoff_init(&p->login_backoff), REG_OK);
    assert_int_equal(reg_leases_init(&p->token_leases), REG_OK);
    return p;
}

/* The environment registryd reads, for a data directory of its own under root. */
static void
set_environment(const char *root, const char *workers)
{
    static const char *const dirs[] = {"run", "log", "tmp"};
    char path[300];

    for (int i = 0; i < NELEMS(dirs); i++) {
        snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
        assert_int_equal(mkdir(path, 0755), 0);
    }
    setenv("REGISTRY_DATA_DIR", root, 1);
    setenv("REGISTRY_STORE", "sqlite", 1);
    setenv("REGISTRY_BLOBS", "disk", 1);
    setenv("REGISTRY_WORKERS", workers, 1);
    setenv("REGISTRY_PBKDF2_ITERATIONS", "1000", 1);
    setenv("REGISTRY_BLOB_RESERVE_BYTES", "0", 1);
    unsetenv("REGISTRY_ADMIN_PASSWORD");
    unsetenv("PORT");
}

/* Waits (bounded) for the pull-through fillers a download started: detached processes that
 * each delete their fills/<key>.part when done; removing the directory under them would only
 * make them fail. */
static void
wait_fillers(const char *root)
{
    char dir[300];

    snprintf(dir, sizeof(dir), "%s/fills", root);
    for (int tries = 0; tries < POLL_TRIES; tries++) {
        DIR *d = opendir(dir);
        struct dirent *e;
        bool busy = false;

        while (d && (e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            busy = busy || (n > 5 && strcmp(e->d_name + n - 5, ".part") == 0);
        }
        if (d)
            closedir(d);
        if (!busy)
            return;
        pause_poll();
    }
}

static int
setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    const char *upstream;

    assert_non_null(w);
    tmpdir_make(w->root, sizeof(w->root), NULL, "fcgi");
    set_environment(w->root, "2");
    upstream = getenv("REGISTRY_TEST_UPSTREAM_URL");
    w->upstream = upstream && *upstream;
    if (w->upstream) {
        setenv("HF_ENDPOINT", upstream, 1);
        setenv("GITHUB_API_URL", upstream, 1);
    }
    assert_int_equal(reg_config_load(&w->cfg), REG_OK);
    w->pool = map_pool();
    snprintf(w->sock, sizeof(w->sock), "%s/run/test.sock", w->root);
    snprintf(w->log, sizeof(w->log), "%s/log/registryd.log", w->root);
    assert_int_equal(FCGX_Init(), 0);
    w->listen_fd = FCGX_OpenSocket(w->sock, 16);
    assert_true(w->listen_fd >= 0);
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;

    /* A test that failed midway leaves its child running. A master killed outright takes its
     * workers with it (PR_SET_PDEATHSIG). */
    if (w->child > 0 && waitpid(w->child, NULL, WNOHANG) == 0) {
        kill(w->child, SIGKILL);
        waitpid(w->child, NULL, 0);
    }
    wait_fillers(w->root);
    close(w->listen_fd);
    munmap(w->pool, sizeof(*w->pool));
    tmpdir_remove(w->root);
    free(w);
    return 0;
}

/* ---------------------------------------------------------------- processes */

/* The child's stderr (its log) goes to the world's log file. */
static void
log_to_file(const struct world *w)
{
    FILE *f = fopen(w->log, "a");

    assert_non_null(f);
    dup2(fileno(f), STDERR_FILENO);
    fclose(f);
}

static pid_t
start_worker(struct world *w)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        log_to_file(w);
        exit(reg_worker_run(w->listen_fd, &w->cfg, w->pool));
    }
    w->child = pid;
    return pid;
}

static pid_t
start_master(struct world *w)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        log_to_file(w);
        exit(reg_master_run(w->listen_fd, &w->cfg, w->pool));
    }
    w->child = pid;
    return pid;
}

/* SIGTERM, repeated until pid ends (a signal that lands between a worker's stop check and its
 * accept() is only seen by the next); returns its wait status. */
static int
stop(pid_t pid)
{
    int status = 0;

    for (int i = 0; i < POLL_TRIES; i++) {
        if (i % 10 == 0)
            kill(pid, SIGTERM);
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        pause_poll();
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("process %d did not stop on SIGTERM", (int)pid);
    return status;
}

/* The children of parent, from /proc/<pid>/stat; returns how many (at most cap). */
static int
children_of(pid_t parent, pid_t *out, int cap)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL && n < cap) {
        char path[300], buf[512];
        const char *close_paren;
        FILE *f;
        int ppid;
        char state;

        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (!f)
            continue;
        buf[0] = '\0';
        if (!fgets(buf, sizeof(buf), f))
            buf[0] = '\0';
        fclose(f);
        close_paren = strrchr(buf, ')');
        /* Zombies are not serving anything: the master has not reaped them yet. */
        if (close_paren && sscanf(close_paren + 2, "%c %d", &state, &ppid) == 2 && ppid == parent &&
            state != 'Z')
            out[n++] = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    return n;
}

/* True when pid is serving a request: it blocks SIGTERM only then (fcgi/worker.c). A worker
 * just forked by the master, before its own signal mask, still has the master's, which blocks
 * SIGCHLD too. */
static bool
serving(pid_t pid)
{
    char path[64], line[256];
    FILE *f;
    bool term = false, chld = true;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long mask;

        if (sscanf(line, "SigBlk: %llx", &mask) == 1) {
            term = (mask >> (SIGTERM - 1)) & 1;
            chld = (mask >> (SIGCHLD - 1)) & 1;
        }
    }
    fclose(f);
    return term && !chld;
}

/* True once the log file holds text. */
static bool
log_has(const struct world *w, const char *text)
{
    FILE *f = fopen(w->log, "r");
    static char buf[1 << 20];
    size_t n;

    if (!f)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* ---------------------------------------------------------------- requests */

/* One request to the socket at sock: method and uri (with its query), the token (NULL: none),
 * a body (NULL: empty). */
static void
request(const char *sock, const char *method, const char *uri, const char *token, const void *body,
        size_t len, struct fcgi_answer *a)
{
    const char *q = strchr(uri, '?');
    const char *const params[][2] = {
        {"REQUEST_METHOD", method},
        {"REQUEST_URI", uri},
        {"QUERY_STRING", q ? q + 1 : ""},
        {"REMOTE_ADDR", "127.0.0.1"},
        {"HTTP_HOST", "127.0.0.1"},
        {"REQUEST_SCHEME", "http"},
        {"CONTENT_TYPE", body ? "application/octet-stream" : ""},
        {"HTTP_X_AUTHORIZATION", token ? token : ""},
        {NULL, NULL},
    };

    fcgi_call(sock, params, body, len, a);
}

/* The JSON body of a, parsed (the caller puts it). */
static struct json_object *
json_body(const struct fcgi_answer *a)
{
    struct json_object *j = json_tokener_parse(a->body);

    if (!j)
        fail_msg("not JSON: %.200s", a->body);
    return j;
}

/* Checks that a is the project's JSON error body with status and detail. */
static void
assert_error(const struct fcgi_answer *a, int status, const char *detail)
{
    struct json_object *j, *d;
    char ctype[128];

    assert_int_equal(a->status, status);
    assert_true(fcgi_header(a, "Content-Type", ctype, sizeof(ctype)));
    assert_string_equal(ctype, "application/json");
    j = json_body(a);
    assert_true(json_object_object_get_ex(j, "error", NULL));
    assert_true(json_object_object_get_ex(j, "detail", &d));
    assert_non_null(strstr(json_object_get_string(d), detail));
    json_object_put(j);
}

/* Logs in as the admin; the token goes to w->token. */
static void
login(struct world *w)
{
    struct fcgi_answer a;
    struct json_object *j;

    request(w->sock, "PUT", "/authenticate", NULL, ADMIN_BODY, strlen(ADMIN_BODY), &a);
    assert_int_equal(a.status, 200);
    j = json_body(&a);
    assert_true(json_object_is_type(j, json_type_string));
    snprintf(w->token, sizeof(w->token), "%s", json_object_get_string(j));
    json_object_put(j);
    fcgi_answer_free(&a);
}

static la_ssize_t
to_buf(struct archive *ar, void *ctx, const void *data, size_t n)
{
    struct reg_buf *b = ctx;

    (void)ar;
    return reg_buf_append(b, data, n) == REG_OK ? (la_ssize_t)n : -1;
}

static void
add_file(struct archive *ar, const char *name, const void *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();

    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    assert_int_equal(archive_write_header(ar, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(ar, data, len), (la_ssize_t)len);
    archive_entry_free(e);
}

/* A dataset zip (stored, not compressed) with a README and BIG_FILE bytes of noise. */
static void
make_dataset_zip(struct reg_buf *out)
{
    static const char readme[] = "# fcgi-big\nA dataset the FastCGI test streams back.\n";
    struct archive *ar = archive_write_new();
    unsigned char *noise = malloc(BIG_FILE);
    uint32_t x = 2463534242u;

    assert_non_null(noise);
    for (size_t i = 0; i < BIG_FILE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise[i] = (unsigned char)x;
    }
    reg_buf_init(out, 2 * BIG_FILE);
    assert_int_equal(archive_write_set_format_zip(ar), ARCHIVE_OK);
    assert_int_equal(archive_write_zip_set_compression_store(ar), ARCHIVE_OK);
    assert_int_equal(archive_write_set_bytes_in_last_block(ar, 1), ARCHIVE_OK);
    assert_int_equal(archive_write_open(ar, out, NULL, to_buf, NULL), ARCHIVE_OK);
    add_file(ar, "README.md", readme, sizeof(readme) - 1);
    add_file(ar, "data.bin", noise, BIG_FILE);
    assert_int_equal(archive_write_close(ar), ARCHIVE_OK);
    archive_write_free(ar);
    free(noise);
}

/* Uploads the big dataset through the worker; writes its download URI to uri. */
static void
upload_dataset(struct world *w, const struct reg_buf *zip, char *uri, size_t cap)
{
    struct fcgi_answer a;
    struct json_object *j, *meta, *id;

    request(w->sock, "POST", "/artifact/dataset/upload?name=fcgi-big", w->token, zip->data,
            zip->len, &a);
    if (a.status != 201)
        fail_msg("upload: %d %.300s", a.status, a.body);
    j = json_body(&a);
    assert_true(json_object_object_get_ex(j, "metadata", &meta));
    assert_true(json_object_object_get_ex(meta, "id", &id));
    snprintf(uri, cap, "/download/dataset/%s", json_object_get_string(id));
    json_object_put(j);
    fcgi_answer_free(&a);
}

/* ---------------------------------------------------------------- the worker */

/* Parameters and bodies: a plain GET, the query split off the path, a padded body, a wrong
 * password (401 JSON), a body past REG_MAX_BODY (413 JSON, the handler never runs), the Hugging
 * Face style bearer header, an unknown route. */
static void
test_worker_requests(void **state)
{
    struct world *w = *state;
    pid_t pid = start_worker(w);
    struct fcgi_answer a;
    struct json_object *j, *v;
    char ctype[128], auth[1200], *padded, *huge;
    size_t padded_len = REG_BODY_SMALL_MAX - 100;

    request(w->sock, "GET", "/health?verbose=1", NULL, NULL, 0, &a);
    assert_int_equal(a.status, 200);
    assert_true(a.ended);
    assert_true(fcgi_header(&a, "Content-Type", ctype, sizeof(ctype)));
    assert_string_equal(ctype, "application/json");
    j = json_body(&a);
    assert_true(json_object_object_get_ex(j, "status", &v));
    assert_string_equal(json_object_get_string(v), "ok");
    json_object_put(j);
    fcgi_answer_free(&a);

    /* The login body after blanks: only a body read whole parses. */
    padded = malloc(padded_len + 1);
    assert_non_null(padded);
    memset(padded, ' ', padded_len);
    snprintf(padded + padded_len - strlen(ADMIN_BODY), strlen(ADMIN_BODY) + 1, "%s", ADMIN_BODY);
    request(w->sock, "PUT", "/authenticate", NULL, padded, padded_len, &a);
    assert_int_equal(a.status, 200);
    j = json_body(&a);
    assert_non_null(strstr(json_object_get_string(j), "bearer "));
    json_object_put(j);
    fcgi_answer_free(&a);
    free(padded);

    request(w->sock, "PUT", "/authenticate", NULL, WRONG_BODY, strlen(WRONG_BODY), &a);
    assert_error(&a, 401, "");
    fcgi_answer_free(&a);

    huge = calloc(1, REG_MAX_BODY + 40000);
    assert_non_null(huge);
    request(w->sock, "PUT", "/authenticate", NULL, huge, REG_MAX_BODY + 40000, &a);
    assert_error(&a, 413, "request body exceeds 1048576 bytes");
    fcgi_answer_free(&a);
    free(huge);

    /* "Authorization: Bearer  hf_<token>" stands for the registry's own token on the Hub's
     * routes: past the permission check, the unknown repository is a 404. */
    login(w);
    snprintf(auth, sizeof(auth), "Bearer  hf_%s", w->token + strlen("bearer "));
    {
        const char *const params[][2] = {{"REQUEST_METHOD", "GET"},
                                         {"REQUEST_URI", "/api/models/nobody/nothing"},
                                         {"REMOTE_ADDR", "127.0.0.1"},
                                         {"HTTP_AUTHORIZATION", auth},
                                         {NULL, NULL}};

        fcgi_call(w->sock, params, NULL, 0, &a);
        assert_int_equal(a.status, 404);
        assert_non_null(strstr(a.body, "not registered in this registry"));
        fcgi_answer_free(&a);
    }
    request(w->sock, "GET", "/api/models/nobody/nothing", NULL, NULL, 0, &a);
    assert_error(&a, 403, "X-Authorization is required");
    fcgi_answer_free(&a);

    request(w->sock, "GET", "/no/such/route", NULL, NULL, 0, &a);
    assert_int_equal(a.status, 404);
    fcgi_answer_free(&a);

    assert_int_equal(stop(pid), 0);
}

/* An upload's body of most of a MiB arrives whole over many records and reads (the zip would
 * not open otherwise); its download is handed to nginx (X-Accel-Redirect, no body). */
static void
test_worker_upload(void **state)
{
    struct world *w = *state;
    pid_t pid = start_worker(w);
    struct reg_buf zip;
    struct fcgi_answer a;
    char uri[256], value[300];

    make_dataset_zip(&zip);
    login(w);
    upload_dataset(w, &zip, uri, sizeof(uri));
    request(w->sock, "GET", uri, w->token, NULL, 0, &a);
    assert_int_equal(a.status, 200);
    assert_true(fcgi_header(&a, "Content-Type", value, sizeof(value)));
    assert_string_equal(value, "application/zip");
    assert_true(fcgi_header(&a, "X-Accel-Redirect", value, sizeof(value)));
    assert_memory_equal(value, "/_bundles/", strlen("/_bundles/"));
    assert_int_equal(a.body_len, 0);
    fcgi_answer_free(&a);

    /* The same zip again is a conflict: the body was the same bytes. */
    request(w->sock, "POST", "/artifact/dataset/upload?name=fcgi-big-again", w->token, zip.data,
            zip.len, &a);
    assert_int_equal(a.status, 409);
    fcgi_answer_free(&a);
    reg_buf_cleanup(&zip);
    assert_int_equal(stop(pid), 0);
}

/* What nginx's own locations pass (conf/nginx.conf.in): an upload's body as a file it wrote
 * (REQUEST_BODY_FILE, no stdin), and the internal upload check (REGISTRY_INTERNAL and the
 * original request), which answers 204 or a 403 carrying the API's answer in headers; the check
 * asked from outside is no route. */
static void
test_worker_nginx_params(void **state)
{
    struct world *w = *state;
    pid_t pid = start_worker(w);
    struct reg_buf zip;
    struct fcgi_answer a;
    char file[400], value[300];
    FILE *fp;

    make_dataset_zip(&zip);
    snprintf(file, sizeof(file), "%s/tmp/body.zip", w->root);
    fp = fopen(file, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(zip.data, 1, zip.len, fp), zip.len);
    fclose(fp);
    login(w);
    {
        const char *const params[][2] = {{"REQUEST_METHOD", "POST"},
                                         {"REQUEST_URI", "/artifact/dataset/upload?name=by-file"},
                                         {"QUERY_STRING", "name=by-file"},
                                         {"REMOTE_ADDR", "127.0.0.1"},
                                         {"CONTENT_TYPE", "application/zip"},
                                         {"HTTP_X_AUTHORIZATION", w->token},
                                         {"REQUEST_BODY_FILE", file},
                                         {NULL, NULL}};

        fcgi_call(w->sock, params, NULL, 0, &a);
        if (a.status != 201)
            fail_msg("upload by file: %d %.300s", a.status, a.body);
        assert_non_null(strstr(a.body, "by-file"));
        fcgi_answer_free(&a);
    }
    /* The same bytes inline are the same zip. */
    request(w->sock, "POST", "/artifact/dataset/upload?name=inline", w->token, zip.data, zip.len,
            &a);
    assert_int_equal(a.status, 409);
    fcgi_answer_free(&a);
    reg_buf_cleanup(&zip);

    for (int with_token = 1; with_token >= 0; with_token--) {
        const char *const params[][2] = {{"REQUEST_METHOD", "GET"},
                                         {"REQUEST_URI", "/_internal/upload-check"},
                                         {"REMOTE_ADDR", "127.0.0.1"},
                                         {"HTTP_X_AUTHORIZATION", with_token ? w->token : ""},
                                         {"REGISTRY_INTERNAL", "1"},
                                         {"REGISTRY_ORIGINAL_METHOD", "POST"},
                                         {"REGISTRY_ORIGINAL_URI", "/artifact/model/upload?name=x"},
                                         {"REGISTRY_ORIGINAL_LENGTH", "1000"},
                                         {NULL, NULL}};

        fcgi_call(w->sock, params, NULL, 0, &a);
        if (with_token) {
            assert_int_equal(a.status, 204);
        } else {
            assert_int_equal(a.status, 403);
            assert_true(fcgi_header(&a, "X-Registry-Status", value, sizeof(value)));
            assert_string_equal(value, "403");
            assert_true(fcgi_header(&a, "X-Registry-Error", value, sizeof(value)));
            assert_non_null(strstr(value, "X-Authorization is required"));
        }
        fcgi_answer_free(&a);
    }
    request(w->sock, "GET", "/_internal/upload-check", w->token, NULL, 0, &a);
    assert_error(&a, 404, "no route for GET /_internal/upload-check");
    fcgi_answer_free(&a);
    assert_int_equal(stop(pid), 0);
}

#define BERT_CONFIG "/google-bert/bert-base-uncased/resolve/main/config.json"

/* A streamed answer (a file of a model pulled from the fixture upstream, served from its
 * bundle) arrives whole with its Content-Length; HEAD sends the headers alone; a client that is
 * gone before the answer is logged and the worker serves on. */
static void
test_worker_streams(void **state)
{
    struct world *w = *state;
    pid_t pid;
    struct fcgi_answer a;
    struct json_object *j;
    char length[64];
    int fd;

    if (!w->upstream)
        skip();
    pid = start_worker(w);
    login(w);
    request(w->sock, "POST", "/artifact/model", w->token, BERT_BODY, strlen(BERT_BODY), &a);
    if (a.status != 201)
        fail_msg("ingest: %d %.300s", a.status, a.body);
    fcgi_answer_free(&a);

    request(w->sock, "GET", BERT_CONFIG, w->token, NULL, 0, &a);
    assert_int_equal(a.status, 200);
    assert_true(a.ended);
    assert_true(fcgi_header(&a, "Content-Length", length, sizeof(length)));
    assert_int_equal(strtoull(length, NULL, 10), a.body_len);
    j = json_body(&a);
    assert_true(json_object_object_get_ex(j, "model_type", NULL));
    json_object_put(j);
    fcgi_answer_free(&a);

    request(w->sock, "HEAD", BERT_CONFIG, w->token, NULL, 0, &a);
    assert_int_equal(a.status, 200);
    assert_true(fcgi_header(&a, "Content-Length", length, sizeof(length)));
    assert_true(strtoull(length, NULL, 10) > 0);
    assert_int_equal(a.body_len, 0);
    fcgi_answer_free(&a);

    /* A client that stops reading before asking (shutdown of its read side): every write to it
     * fails, whatever the timing. */
    fd = fcgi_connect(w->sock);
    assert_true(fd >= 0);
    assert_int_equal(shutdown(fd, SHUT_RD), 0);
    {
        const char *const params[][2] = {{"REQUEST_METHOD", "GET"},
                                         {"REQUEST_URI", BERT_CONFIG},
                                         {"REMOTE_ADDR", "127.0.0.1"},
                                         {"HTTP_X_AUTHORIZATION", w->token},
                                         {NULL, NULL}};
        fcgi_begin(fd, params);
    }
    fcgi_stdin(fd, NULL, 0);
    for (int i = 0; i < POLL_TRIES && !log_has(w, "the client went away"); i++)
        pause_poll();
    close(fd);
    assert_true(log_has(w, "streamed answer cut short: the client went away"));

    request(w->sock, "GET", "/tracks", NULL, NULL, 0, &a);
    assert_int_equal(a.status, 200);
    fcgi_answer_free(&a);
    assert_int_equal(stop(pid), 0);
}

/* A worker whose app cannot start exits 1 and says why. */
static void
test_worker_cannot_start(void **state)
{
    struct world *w = *state;
    int status;
    pid_t pid;

    w->cfg.store = "nonsense";
    pid = start_worker(w);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_true(log_has(w, "worker cannot start"));
}

/* ---------------------------------------------------------------- the master */

/* Waits until the pool counts alive workers and restarts, and the master has that many
 * children; returns them in pids. */
static void
wait_pool(struct world *w, pid_t master, int alive, int restarts, pid_t *pids)
{
    int n = 0;

    for (int i = 0; i < POLL_TRIES; i++) {
        n = children_of(master, pids, 8);
        if (n == alive && __atomic_load_n(&w->pool->workers_alive, __ATOMIC_RELAXED) == alive &&
            w->pool->restarts == (uint64_t)restarts)
            return;
        pause_poll();
    }
    fail_msg("pool: %d children, %d alive, %llu restarts; want %d alive, %d restarts", n,
             w->pool->workers_alive, (unsigned long long)w->pool->restarts, alive, restarts);
}

/* Pre-fork, respawn of a killed worker, and the drain: a request in progress when SIGTERM
 * arrives is answered whole before the master exits 0. */
static void
test_master(void **state)
{
    struct world *w = *state;
    pid_t master = start_master(w), pids[8], again[8], busy = 0;
    struct fcgi_answer a;
    int fd, status;

    wait_pool(w, master, 2, 0, pids);
    assert_int_equal(w->pool->workers_configured, 2);
    request(w->sock, "GET", "/health", NULL, NULL, 0, &a);
    assert_int_equal(a.status, 200);
    fcgi_answer_free(&a);

    kill(pids[0], SIGKILL);
    wait_pool(w, master, 2, 1, again);
    assert_true(again[0] != pids[0] && again[1] != pids[0]);
    assert_true(log_has(w, "killed by signal 9; respawning"));
    request(w->sock, "GET", "/health", NULL, NULL, 0, &a);
    assert_int_equal(a.status, 200);
    fcgi_answer_free(&a);

    /* The worker that answered finishes its request (and unblocks SIGTERM) after the answer
     * is sent: wait until both are idle, so that the one seen serving next serves the request
     * below. */
    for (int i = 0; i < POLL_TRIES && (serving(again[0]) || serving(again[1])); i++)
        pause_poll();
    assert_false(serving(again[0]) || serving(again[1]));
    /* A request whose body has not come yet: some worker is inside it. */
    fd = fcgi_connect(w->sock);
    assert_true(fd >= 0);
    {
        const char *const params[][2] = {{"REQUEST_METHOD", "PUT"},
                                         {"REQUEST_URI", "/authenticate"},
                                         {"REMOTE_ADDR", "127.0.0.1"},
                                         {NULL, NULL}};
        fcgi_begin(fd, params);
    }
    for (int i = 0; i < POLL_TRIES && !busy; i++) {
        for (int k = 0; k < 2 && !busy; k++)
            busy = serving(again[k]) ? again[k] : 0;
        if (!busy)
            pause_poll();
    }
    assert_true(busy != 0);
    kill(master, SIGTERM);
    /* The idle worker leaves; the busy one waits for its body. */
    for (int i = 0; i < POLL_TRIES && children_of(master, again, 8) > 1; i++)
        pause_poll();
    assert_int_equal(children_of(master, again, 8), 1);
    assert_int_equal(again[0], busy);
    fcgi_stdin(fd, ADMIN_BODY, strlen(ADMIN_BODY));
    fcgi_read_answer(fd, &a);
    close(fd);
    assert_int_equal(a.status, 200);
    assert_true(a.ended);
    fcgi_answer_free(&a);

    assert_int_equal(waitpid(master, &status, 0), master);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(w->pool->workers_alive, 0);
    assert_true(log_has(w, "master draining workers"));
}

/* ---------------------------------------------------------------- registryd (main.c) */

/* Runs registryd with the environment set, its stderr to the world's log. */
static pid_t
start_registryd(struct world *w)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        log_to_file(w);
        execl(registryd, registryd, (char *)NULL);
        _exit(127);
    }
    w->child = pid;
    return pid;
}

static int
exit_code(pid_t pid)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* registryd prepares the store, listens on run/registryd.sock, serves, and on SIGTERM drains,
 * exits 0 and removes its socket. */
static void
test_registryd(void **state)
{
    struct world *w = *state;
    char sock[300];
    struct fcgi_answer a;
    struct stat st;
    int fd = -1, status;
    pid_t pid;

    setenv("REGISTRY_WORKERS", "1", 1);
    snprintf(sock, sizeof(sock), "%s/run/registryd.sock", w->root);
    pid = start_registryd(w);
    for (int i = 0; i < POLL_TRIES && fd < 0; i++) {
        fd = fcgi_connect(sock);
        if (fd < 0)
            pause_poll();
    }
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(stat(sock, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660);
    request(sock, "GET", "/health", NULL, NULL, 0, &a);
    assert_int_equal(a.status, 200);
    fcgi_answer_free(&a);
    status = stop(pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(stat(sock, &st), -1);
    assert_true(log_has(w, "serving with 1 workers"));
}

/* A malformed configuration: exit 2 before anything is created; a data directory that cannot
 * be made, a store that cannot open, a socket that cannot listen: exit 1, and no socket. */
static void
test_registryd_refuses(void **state)
{
    struct world *w = *state;
    char sock[300], deep[400];
    struct stat st;

    snprintf(sock, sizeof(sock), "%s/run/registryd.sock", w->root);
    setenv("PORT", "abc", 1);
    assert_int_equal(exit_code(start_registryd(w)), 2);
    assert_true(log_has(w, "configuration:"));
    unsetenv("PORT");

    setenv("REGISTRY_DATA_DIR", "/proc/no-such-dir", 1);
    assert_int_equal(exit_code(start_registryd(w)), 1);
    assert_true(log_has(w, "cannot create /proc/no-such-dir"));
    setenv("REGISTRY_DATA_DIR", w->root, 1);

    setenv("REGISTRY_STORE", "nonsense", 1);
    assert_int_equal(exit_code(start_registryd(w)), 1);
    assert_true(log_has(w, "cannot start the application"));
    assert_int_equal(stat(sock, &st), -1);
    setenv("REGISTRY_STORE", "sqlite", 1);

    /* A data directory whose socket path does not fit a unix socket's address: the store is
     * ready, the listen fails, exit 1. */
    snprintf(deep, sizeof(deep), "%s/%0120d", w->root, 0);
    assert_int_equal(mkdir(deep, 0755), 0);
    setenv("REGISTRY_DATA_DIR", deep, 1);
    assert_int_equal(exit_code(start_registryd(w)), 1);
    assert_true(log_has(w, "cannot listen on"));
    setenv("REGISTRY_DATA_DIR", w->root, 1);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_worker_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_upload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_nginx_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_cannot_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registryd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registryd_refuses, setup, teardown),
    };
    static char path[4096];
    char *slash;

    /* <build>/tests/unit/fcgi/test_fcgi -> <build>/registryd */
    (void)argc;
    snprintf(path, sizeof(path), "%s", argv[0]);
    slash = strstr(path, "tests/unit/fcgi/");
    if (!slash) {
        fprintf(stderr, "run me as <build>/tests/unit/fcgi/test_fcgi\n");
        return 1;
    }
    snprintf(slash, sizeof(path) - (size_t)(slash - path), "registryd");
    registryd = path;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
