/*
 * workloads.c - the download workload of the health dashboard (admins): POST /health/workloads
 * starts a run, GET /health/workloads lists the recent ones, GET /health/workloads/{id} reads
 * one, DELETE /health/workloads/{id} stops one. The run itself is perf/workload.h's.
 *
 * A run measures what the performance track asks: many clients at once downloading one model,
 * by default Tiny-LLM (ingested from arnir0/Tiny-LLM on Hugging Face, never ingested here
 * implicitly), through the service's own address (nginx and all: REGISTRY_PUBLIC_URL, else
 * nginx's listen address, never the request's Host, which the caller chose). The clients carry
 * tokens minted for the calling admin for this run, so the caller's own token spends one use,
 * on the POST. They come from this host, up to 100 at once, so nginx's per-address limits would
 * refuse most of them: they show the per-start key conf/render.sh wrote
 * ($REGISTRY_DATA_DIR/run/workload.key), which exempts them and nobody else.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/users.h"
#include "base/json.h"
#include "base/log.h"
#include "core/catalog.h"
#include "core/registry.h"
#include "handlers/handlers.h"
#include "perf/workload.h"

/* The body's bounds and defaults. */
#define CLIENTS_MAX 100
#define CLIENTS_DEFAULT 100
#define REQUESTS_MAX 20
#define REQUESTS_DEFAULT 1
/* The model of the workload when the body names none. */
#define TINY_LLM_REPO "arnir0/Tiny-LLM"
#define TINY_LLM_URL "https://huggingface.co/" TINY_LLM_REPO
/* The per-start key that exempts the clients from nginx's per-address limits. */
#define LIMIT_KEY_FILE "run/workload.key"
#define LIMIT_KEY_HEADER "X-Registry-Workload"
#define LIMIT_KEY_MAX 128
/* The run's tokens outlive its wall-clock limit by this much, and no more. */
#define TOKEN_GRACE_SECONDS 60

struct params {
    int64_t clients;
    int64_t requests;
    const char *artifact_id; /* NULL: Tiny-LLM */
};

/* {"clients": 1..100, "requests_per_client": 1..20, "artifact_id": "..."}, all optional; an
 * empty body takes every default. */
static enum reg_status
parse_params(struct reg_request *req, struct params *p)
{
    struct json_object *body;
    enum reg_status st;

    *p = (struct params){CLIENTS_DEFAULT, REQUESTS_DEFAULT, NULL};
    if (req->body_len == 0)
        return REG_OK;
    st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK)
        st = reg_json_opt_int(body, "clients", 1, CLIENTS_MAX, &p->clients);
    if (st == REG_OK)
        st = reg_json_opt_int(body, "requests_per_client", 1, REQUESTS_MAX, &p->requests);
    if (st == REG_OK)
        st = reg_json_opt_string(body, "artifact_id", &p->artifact_id);
    if (st == REG_OK && p->artifact_id)
        st = reg_artifact_id_check(p->artifact_id);
    return st;
}

/* The artifact named by id, or Tiny-LLM. */
static enum reg_status
find_artifact(struct reg_app *app, struct reg_request *req, const char *id,
              struct reg_artifact *out)
{
    const struct reg_catalog_entry *e;
    enum reg_status st = reg_catalog_refresh(app->catalog, app->store);

    if (st != REG_OK)
        return st;
    e = id ? reg_catalog_find_id(app->catalog, id)
           : reg_catalog_find_repo(app->catalog, REG_TYPE_MODEL, TINY_LLM_REPO);
    if (!e && id)
        return reg_errorf(REG_ENOTFOUND, "no artifact has the id %s", id);
    if (!e)
        return reg_errorf(REG_ENOTFOUND,
                          "the registry has no Tiny-LLM model: register " TINY_LLM_URL
                          " first (POST /artifact/model {\"url\": \"" TINY_LLM_URL "\"}), "
                          "or name another artifact with artifact_id");
    return reg_registry_get(app->store, &req->arena, e->type, e->id, out);
}

static int64_t
count_models(struct reg_app *app)
{
    size_t n;
    const struct reg_catalog_entry *e = reg_catalog_entries(app->catalog, &n);
    int64_t models = 0;

    for (size_t i = 0; i < n; i++)
        models += e[i].type == REG_TYPE_MODEL;
    return models;
}

/* registry-load, next to this program. */
static enum reg_status
load_program(struct reg_arena *a, const char **out)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    *out = NULL;
    if (n <= 0)
        return reg_errorf(REG_EINTERNAL, "cannot find registryd's own path: %s", strerror(errno));
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    *out = reg_arena_sprintf(a, "%s/registry-load", slash ? exe : ".");
    if (access(*out, X_OK) != 0)
        return reg_errorf(REG_EINTERNAL, "the load client %s is missing: build it with make", *out);
    return REG_OK;
}

/* "X-Registry-Workload: <key>", or NULL when there is no key (a registryd started without
 * scripts/serve.sh): the clients are then limited like anyone. */
static const char *
limit_key_header(struct reg_app *app, struct reg_arena *a)
{
    const char *path = reg_arena_sprintf(a, "%s/" LIMIT_KEY_FILE, app->config.data_dir);
    char key[LIMIT_KEY_MAX + 2] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(key, 1, LIMIT_KEY_MAX + 1, f) : 0;

    if (f)
        fclose(f);
    while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r'))
        n--;
    key[n] = '\0';
    if (n == 0 || n > LIMIT_KEY_MAX || strspn(key, "0123456789abcdef") != n) {
        reg_log(REG_LOG_WARN, "no usable %s: the workload's clients are limited per address", path);
        return NULL;
    }
    return reg_arena_sprintf(a, LIMIT_KEY_HEADER ": %s", key);
}

/* One X-Authorization line per client, from as few tokens as the use limit allows: a token
 * serves `per` clients of `requests` downloads each, plus the warm-up (one more use of the
 * first token). */
static enum reg_status
mint_tokens(struct reg_app *app, struct reg_request *req, const struct params *p,
            const char ***lines, int *ntokens)
{
    int per = (app->users.token_max_uses - 1) / (int)p->requests;
    const char *token = NULL;
    enum reg_status st = REG_OK;

    *ntokens = 0;
    if (per < 1)
        return reg_errorf(REG_EINVAL,
                          "requests_per_client %lld is more than one token may make "
                          "(REGISTRY_TOKEN_MAX_USES = %d)",
                          (long long)p->requests, app->users.token_max_uses);
    *lines = reg_arena_alloc(&req->arena, sizeof(**lines) * (size_t)p->clients);
    for (int i = 0; st == REG_OK && i < (int)p->clients; i++) {
        if (i % per == 0) {
            st = reg_users_issue_token(&app->users, &req->arena, req->caller->name,
                                       REG_WORKLOAD_MAX_SECONDS + TOKEN_GRACE_SECONDS, &token);
            (*ntokens)++;
        }
        (*lines)[i] = reg_arena_sprintf(&req->arena, "X-Authorization: %s", token);
    }
    return st;
}

/* The download URL through the service's own address. */
static const char *
target_url(struct reg_app *app, struct reg_arena *a, const struct reg_artifact *art)
{
    const struct reg_config *c = &app->config;
    const char *base =
        c->public_url[0] ? c->public_url : reg_arena_sprintf(a, "http://%s", c->listen_address);

    return reg_arena_sprintf(a, "%s/download/%s/%s", base, reg_artifact_type_name(art->type),
                             art->id);
}

/* What the record says about the run besides its outcome. */
static struct json_object *
describe(struct reg_request *req, const struct params *p, const struct reg_artifact *art,
         int64_t size, bool stored, int64_t models)
{
    struct json_object *about = reg_arena_own_json(&req->arena, json_object_new_object());
    struct json_object *params = json_object_new_object(), *a = json_object_new_object();

    json_object_object_add(about, "requested_by", json_object_new_string(req->caller->name));
    json_object_object_add(params, "clients", json_object_new_int64(p->clients));
    json_object_object_add(params, "requests_per_client", json_object_new_int64(p->requests));
    json_object_object_add(params, "max_seconds", json_object_new_int(REG_WORKLOAD_MAX_SECONDS));
    json_object_object_add(about, "parameters", params);
    json_object_object_add(a, "id", json_object_new_string(art->id));
    json_object_object_add(a, "name", json_object_new_string(art->name));
    json_object_object_add(a, "type", json_object_new_string(reg_artifact_type_name(art->type)));
    json_object_object_add(a, "source_url", json_object_new_string(art->url));
    json_object_object_add(a, "bundle_bytes", json_object_new_int64(size));
    json_object_object_add(a, "stored_copy", json_object_new_boolean(stored));
    json_object_object_add(about, "artifact", a);
    json_object_object_add(about, "models_in_registry", json_object_new_int64(models));
    return about;
}

/* Everything a run needs that comes before the lock: the artifact and its size. */
static enum reg_status
prepare(struct reg_app *app, struct reg_request *req, const struct params *p,
        struct reg_workload_spec *spec)
{
    struct reg_artifact art;
    int64_t size = 0;
    bool stored = false;
    enum reg_status st = find_artifact(app, req, p->artifact_id, &art);

    if (st == REG_OK)
        st = reg_download_bundle_size(app, &req->arena, &art, &size, &stored);
    if (st == REG_OK)
        st = load_program(&req->arena, &spec->program);
    if (st != REG_OK)
        return st;
    spec->dir = reg_arena_sprintf(&req->arena, "%s/workloads", app->config.data_dir);
    spec->url = target_url(app, &req->arena, &art);
    spec->common_header = limit_key_header(app, &req->arena);
    spec->clients = (int)p->clients;
    spec->requests = (int)p->requests;
    spec->max_seconds = REG_WORKLOAD_MAX_SECONDS;
    spec->about = describe(req, p, &art, size, stored, count_models(app));
    json_object_object_add(spec->about, "target", json_object_new_string(spec->url));
    json_object_object_add(spec->about, "limit_exempt",
                           json_object_new_boolean(spec->common_header != NULL));
    return REG_OK;
}

enum reg_status
reg_handle_workload_start(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_workload_spec spec = {0};
    struct reg_workload_lock lock;
    struct json_object *record = NULL;
    const char **lines = NULL;
    struct params p;
    int ntokens = 0;
    enum reg_status st = parse_params(req, &p);

    if (st == REG_OK)
        st = prepare(app, req, &p, &spec);
    if (st == REG_OK)
        st = reg_workload_lock(spec.dir, &lock);
    if (st != REG_OK)
        return st;
    st = mint_tokens(app, req, &p, &lines, &ntokens);
    spec.client_headers = lines;
    spec.nclient_headers = (int)p.clients;
    json_object_object_add(spec.about, "tokens", json_object_new_int(ntokens));
    if (st == REG_OK)
        st = reg_workload_start(&lock, &spec, &req->arena, &record);
    reg_workload_unlock(&lock);
    if (st != REG_OK)
        return st;
    reg_response_header(
        resp, "Location",
        reg_arena_sprintf(&req->arena, "/health/workloads/%s", reg_json_str(record, "id")));
    return reg_response_json(resp, 202, record);
}

static const char *
workloads_dir(struct reg_app *app, struct reg_request *req)
{
    return reg_arena_sprintf(&req->arena, "%s/workloads", app->config.data_dir);
}

enum reg_status
reg_handle_workload_list(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *list, *body;
    enum reg_status st = reg_workload_list(workloads_dir(app, req), &req->arena, &list);

    if (st != REG_OK)
        return st;
    body = reg_arena_own_json(&req->arena, json_object_new_object());
    json_object_object_add(body, "workloads", json_object_get(list));
    json_object_object_add(body, "kept", json_object_new_int(REG_WORKLOAD_KEEP));
    return reg_response_json(resp, 200, body);
}

enum reg_status
reg_handle_workload_get(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *record = NULL;
    enum reg_status st = reg_workload_get(workloads_dir(app, req), reg_request_param(req, "id"),
                                          &req->arena, &record);

    return st == REG_OK ? reg_response_json(resp, 200, record) : st;
}

enum reg_status
reg_handle_workload_stop(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *record = NULL;
    enum reg_status st = reg_workload_stop(workloads_dir(app, req), reg_request_param(req, "id"),
                                           &req->arena, &record);

    return st == REG_OK ? reg_response_json(resp, 202, record) : st;
}
