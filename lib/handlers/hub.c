/*
 * hub.c - the Hugging Face Hub-compatible read API over the registered (vetted) models and
 * datasets, so that the Hub's own clients, pointed at the registry (HF_ENDPOINT, hubUrl),
 * fetch the registry's copies:
 *
 *   GET  /api/{models|datasets}/{repo}[/revision/{rev}]      repository info with siblings
 *   GET  /api/{models|datasets}/{repo}/tree/{rev}[/{path}]   files and directories
 *   POST /api/{models|datasets}/{repo}/paths-info/{rev}      {"paths": [...]} -> entries
 *   GET|HEAD /{repo}/resolve/{rev}/{path}                    a model's file
 *   GET|HEAD /datasets/{repo}/resolve/{rev}/{path}           a dataset's file
 *
 * {repo} is "org/name" or a legacy "name"; {rev} is "main" or the revision the info gives.
 * A file's bytes are one range of the artifact's full bundle (a STORED zip): read from the
 * stored copy, or pulled through from upstream as a download would (bundle/fill.h). Answers
 * carry the Hub's headers (ETag, X-Repo-Commit, X-Linked-Size and X-Linked-Etag for LFS files,
 * Accept-Ranges, Content-Range). What is not a registered repository, revision or file is a
 * 404 in the Hub's shape: {"error": "..."} with X-Error-Code RepoNotFound, RevisionNotFound or
 * EntryNotFound. Every route needs the download permission (routes.c); reading a file is
 * audited (DOWNLOAD).
 *
 * A sensitive model's files (core/sensitive.h) are not served here: its monitor program judges
 * a download of the model as a whole, zip in hand, so resolve answers 403 with X-Error-Code
 * GatedRepo (the Hub's clients report it as a gated repository) and points at
 * GET /download/model/{id}, where the program runs. Its info and file listing stay readable.
 */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/str.h"
#include "bundle/fill.h"
#include "bundle/hubrepo.h"
#include "bundle/index.h"
#include "core/audit.h"
#include "core/sensitive.h"
#include "handlers/handlers.h"

/* What Git LFS pointer files weigh; the Hub reports it with every LFS file. */
#define LFS_POINTER_SIZE 134

/* ---------------------------------------------------------------- answers */

/* A Hub-shaped error: {"error": message} and X-Error-Code; returns REG_OK (the answer is set). */
static enum reg_status
hub_error(struct reg_request *req, struct reg_response *resp, int status, const char *code,
          const char *message)
{
    struct json_object *body = reg_arena_own_json(&req->arena, json_object_new_object());
    enum reg_status st;

    json_object_object_add(body, "error", json_object_new_string(message));
    st = reg_response_json(resp, status, body);
    if (st == REG_OK)
        st = reg_response_header(resp, "X-Error-Code", code);
    return st;
}

static enum reg_status
repo_not_found(struct reg_request *req, struct reg_response *resp)
{
    return hub_error(req, resp, 404, "RepoNotFound",
                     "Repository not found: it is not registered in this registry");
}

/* The repository of type named by the first one or two segments of rest ("org/name/..." or a
 * legacy "name/..."): the longer id when it is registered. *tail is what follows it. */
static enum reg_status
open_repo(struct reg_app *app, struct reg_request *req, enum reg_artifact_type type,
          const char *rest, struct reg_hub_repo *repo, const char **tail)
{
    const char *first = strchr(rest, '/');
    const char *second = first ? strchr(first + 1, '/') : NULL;
    enum reg_status st = REG_ENOTFOUND;

    if (first) {
        const char *id =
            second ? reg_arena_strndup(&req->arena, rest, (size_t)(second - rest)) : rest;
        st = reg_hub_repo_open(app, &req->arena, type, id, repo);
        *tail = second ? second + 1 : "";
    }
    if (st == REG_ENOTFOUND) {
        const char *id =
            first ? reg_arena_strndup(&req->arena, rest, (size_t)(first - rest)) : rest;
        st = reg_hub_repo_open(app, &req->arena, type, id, repo);
        *tail = first ? first + 1 : "";
    }
    return st;
}

static enum reg_artifact_type
kind_of(const struct reg_request *req)
{
    return strncmp(req->path, "/api/datasets/", 14) == 0 ||
                   strncmp(req->path, "/datasets/", 10) == 0
               ? REG_TYPE_DATASET
               : REG_TYPE_MODEL;
}

/* ---------------------------------------------------------------- JSON of files */

static struct json_object *
file_entry(const struct reg_hub_file *f)
{
    struct json_object *e = json_object_new_object();

    json_object_object_add(e, "type", json_object_new_string("file"));
    json_object_object_add(e, "oid", json_object_new_string(f->oid));
    json_object_object_add(e, "size", json_object_new_int64(f->size));
    json_object_object_add(e, "path", json_object_new_string(f->path));
    if (f->lfs_sha256) {
        struct json_object *lfs = json_object_new_object();
        json_object_object_add(lfs, "oid", json_object_new_string(f->lfs_sha256));
        json_object_object_add(lfs, "size", json_object_new_int64(f->size));
        json_object_object_add(lfs, "pointerSize", json_object_new_int(LFS_POINTER_SIZE));
        json_object_object_add(e, "lfs", lfs);
    }
    return e;
}

static struct json_object *
dir_entry(struct reg_arena *a, const struct reg_hub_repo *r, const char *path)
{
    struct json_object *e = json_object_new_object();
    const char *oid =
        reg_hub_repo_own_id(a, reg_arena_sprintf(a, "registry tree\n%s\n%s", r->revision, path));

    json_object_object_add(e, "type", json_object_new_string("directory"));
    json_object_object_add(e, "oid", json_object_new_string(oid));
    json_object_object_add(e, "size", json_object_new_int(0));
    json_object_object_add(e, "path", json_object_new_string(path));
    return e;
}

/* ---------------------------------------------------------------- the API routes */

static enum reg_status
send_info(struct reg_request *req, struct reg_response *resp, const struct reg_hub_repo *r)
{
    struct json_object *info = reg_arena_own_json(&req->arena, json_object_new_object());
    struct json_object *siblings = json_object_new_array();
    const char *slash = strchr(r->repo_id, '/');
    int64_t used = 0;

    json_object_object_add(info, "_id", json_object_new_string(r->art.id));
    json_object_object_add(info, "id", json_object_new_string(r->repo_id));
    if (r->type == REG_TYPE_MODEL)
        json_object_object_add(info, "modelId", json_object_new_string(r->repo_id));
    if (slash)
        json_object_object_add(info, "author",
                               json_object_new_string_len(r->repo_id, (int)(slash - r->repo_id)));
    json_object_object_add(info, "sha", json_object_new_string(r->revision));
    json_object_object_add(info, "private", json_object_new_boolean(0));
    json_object_object_add(info, "gated", json_object_new_boolean(0));
    json_object_object_add(info, "disabled", json_object_new_boolean(0));
    json_object_object_add(info, "downloads",
                           json_object_new_int64(reg_json_int(r->metadata, "downloads")));
    json_object_object_add(info, "likes",
                           json_object_new_int64(reg_json_int(r->metadata, "likes")));
    if (reg_json_str(r->metadata, "pipeline_tag"))
        json_object_object_add(info, "pipeline_tag",
                               json_object_new_string(reg_json_str(r->metadata, "pipeline_tag")));
    if (reg_json_str(r->metadata, "library_name"))
        json_object_object_add(info, "library_name",
                               json_object_new_string(reg_json_str(r->metadata, "library_name")));
    json_object_object_add(info, "tags", json_object_new_array());
    for (int i = 0; i < r->nfiles; i++) {
        const struct reg_hub_file *f = &r->files[i];
        struct json_object *s = json_object_new_object();
        json_object_object_add(s, "rfilename", json_object_new_string(f->path));
        json_object_object_add(s, "size", json_object_new_int64(f->size));
        json_object_object_add(s, "blobId", json_object_new_string(f->oid));
        if (f->lfs_sha256) {
            struct json_object *lfs = json_object_new_object();
            json_object_object_add(lfs, "sha256", json_object_new_string(f->lfs_sha256));
            json_object_object_add(lfs, "size", json_object_new_int64(f->size));
            json_object_object_add(lfs, "pointerSize", json_object_new_int(LFS_POINTER_SIZE));
            json_object_object_add(s, "lfs", lfs);
        }
        json_object_array_add(siblings, s);
        used += f->size;
    }
    json_object_object_add(info, "siblings", siblings);
    json_object_object_add(info, "usedStorage", json_object_new_int64(used));
    return reg_response_json(resp, 200, info);
}

/* Whether the file or directory path lies in the tree listing of dir (recursive or not). */
static bool
in_listing(const char *path, const char *dir, bool recursive)
{
    size_t n = strlen(dir);
    const char *rest;

    if (n && (strncmp(path, dir, n) != 0 || path[n] != '/'))
        return false;
    rest = n ? path + n + 1 : path;
    return recursive || !strchr(rest, '/');
}

/* The directories of the repository, each once, in path order (they come from the sorted
 * file paths). */
static void
add_dirs(struct reg_arena *a, const struct reg_hub_repo *r, const char *dir, bool recursive,
         struct json_object *list)
{
    struct json_object *seen = reg_arena_own_json(a, json_object_new_object());

    for (int i = 0; i < r->nfiles; i++) {
        for (const char *s = strchr(r->files[i].path, '/'); s; s = strchr(s + 1, '/')) {
            const char *d = reg_arena_strndup(a, r->files[i].path, (size_t)(s - r->files[i].path));
            if (json_object_object_get_ex(seen, d, NULL) || !in_listing(d, dir, recursive))
                continue;
            json_object_object_add(seen, d, NULL);
            json_object_array_add(list, dir_entry(a, r, d));
        }
    }
}

static int
by_path(const void *x, const void *y)
{
    return strcmp(reg_json_str(*(struct json_object *const *)x, "path"),
                  reg_json_str(*(struct json_object *const *)y, "path"));
}

static enum reg_status
send_tree(struct reg_request *req, struct reg_response *resp, const struct reg_hub_repo *r,
          const char *dir)
{
    struct json_object *list = reg_arena_own_json(&req->arena, json_object_new_array());
    char *recursive = NULL;
    bool deep;

    if (*dir && !reg_hub_repo_is_dir(r, dir))
        return hub_error(req, resp, 404, "EntryNotFound", "Entry not found");
    (void)reg_str_query_param(&req->arena, req->query, "recursive", &recursive);
    deep = recursive && (strcmp(recursive, "true") == 0 || strcmp(recursive, "1") == 0);
    add_dirs(&req->arena, r, dir, deep, list);
    for (int i = 0; i < r->nfiles; i++)
        if (in_listing(r->files[i].path, dir, deep))
            json_object_array_add(list, file_entry(&r->files[i]));
    json_object_array_sort(list, by_path);
    return reg_response_json(resp, 200, list);
}

/* POST .../paths-info/{rev} {"paths": [...], "expand": bool}: the entries that exist. */
static enum reg_status
send_paths_info(struct reg_request *req, struct reg_response *resp, const struct reg_hub_repo *r)
{
    struct json_object *body, *paths, *list;
    enum reg_status st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);

    if (st == REG_OK && (!json_object_object_get_ex(body, "paths", &paths) ||
                         !json_object_is_type(paths, json_type_array)))
        st = reg_errorf(REG_EINVAL, "the body must be {\"paths\": [\"file\", ...]}");
    if (st != REG_OK)
        return st;
    list = reg_arena_own_json(&req->arena, json_object_new_array());
    for (size_t i = 0; i < json_object_array_length(paths); i++) {
        const char *p = reg_json_str_of(json_object_array_get_idx(paths, i));
        const struct reg_hub_file *f = reg_hub_repo_file(r, p);
        if (f)
            json_object_array_add(list, file_entry(f));
        else if (p && reg_hub_repo_is_dir(r, p))
            json_object_array_add(list, dir_entry(&req->arena, r, p));
    }
    return reg_response_json(resp, 200, list);
}

enum reg_status
reg_handle_hub_api(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_hub_repo repo;
    const char *tail, *rev, *slash;
    bool post = strcmp(req->method, "POST") == 0;
    enum reg_status st =
        open_repo(app, req, kind_of(req), reg_request_param(req, "repo"), &repo, &tail);

    if (st == REG_ENOTFOUND)
        return repo_not_found(req, resp);
    if (st != REG_OK)
        return st;
    if (!*tail && !post)
        return send_info(req, resp, &repo);
    slash = strchr(tail, '/');
    rev = slash ? reg_arena_strndup(&req->arena, slash + 1, strcspn(slash + 1, "/")) : NULL;
    if (rev && !reg_hub_repo_revision_ok(&repo, rev))
        return hub_error(req, resp, 404, "RevisionNotFound",
                         reg_arena_sprintf(&req->arena, "Invalid rev id: %.100s", rev));
    if (!post && rev && strncmp(tail, "revision/", 9) == 0 && !strchr(slash + 1, '/'))
        return send_info(req, resp, &repo);
    if (!post && rev && strncmp(tail, "tree/", 5) == 0) {
        const char *dir = strchr(slash + 1, '/');
        return send_tree(req, resp, &repo, dir ? dir + 1 : "");
    }
    if (post && rev && strncmp(tail, "paths-info/", 11) == 0 && !strchr(slash + 1, '/'))
        return send_paths_info(req, resp, &repo);
    return hub_error(req, resp, 404, "EntryNotFound", "Entry not found");
}

/* ---------------------------------------------------------------- files */

/* A byte range of a file: [first, first + len). */
struct span {
    int64_t first, len;
    bool partial; /* answered 206 */
};

/* The Range header against a file of size bytes (one range; anything else is ignored, as the
 * Hub does). false for a range that cannot be satisfied (416). */
static bool
parse_range(const char *h, int64_t size, struct span *out)
{
    long long a = -1, b = -1;
    int n = 0;

    *out = (struct span){0, size, false};
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return true;
    h += 6;
    if (*h == '-' && sscanf(h + 1, "%lld%n", &b, &n) == 1 && !h[1 + n]) {
        if (b <= 0 || size == 0)
            return false;
        out->first = b > size ? 0 : size - b;
    } else if (sscanf(h, "%lld-%n", &a, &n) == 1 && a >= 0) {
        if (h[n] && (sscanf(h + n, "%lld", &b) != 1 || b < a))
            return true; /* malformed: the whole file */
        if (size == 0)
            return true; /* handled by the caller: an empty file */
        if (a >= size)
            return false;
        out->first = a;
        b = b < 0 || b >= size ? size - 1 : b;
        out->len = b - a + 1;
        out->partial = true;
        return true;
    } else {
        return true;
    }
    out->len = size - out->first;
    out->partial = true;
    return true;
}

/* Where a file's bytes come from while they are sent. */
struct file_body {
    struct reg_app *app;
    struct reg_fill fill; /* pull-through, when fd >= 0 */
    char sha256[65];      /* the stored bundle, otherwise */
    int64_t offset, len;
    bool slot;
};

static enum reg_status
produce_file(void *ctx, reg_response_write_fn write, void *wctx)
{
    struct file_body *b = ctx;

    if (b->len == 0)
        return REG_OK;
    if (b->fill.fd >= 0)
        return reg_fill_read(&b->fill, b->offset, b->len, write, wctx);
    return reg_blobs_read(b->app->blobs, b->sha256, b->offset, b->len, write, wctx);
}

static void
release_file(void *ctx)
{
    struct file_body *b = ctx;

    reg_fill_close(&b->fill);
    if (b->slot)
        reg_download_give_slot(b->app);
    b->slot = false;
}

/* Finds where the bytes of the full bundle are: stored, or being pulled through. */
static enum reg_status
open_body(struct reg_app *app, struct reg_request *req, const struct reg_hub_repo *r,
          struct file_body *b)
{
    const struct reg_fill_env env = reg_download_fill_env(app, &req->arena);
    struct reg_bundle_record rec;
    enum reg_fill_how how;
    enum reg_status st;

    b->app = app;
    b->fill.fd = -1;
    if (!reg_download_take_slot(app))
        return reg_errorf(REG_EUNAVAILABLE, "every worker that may stream a file is busy: try "
                                            "again shortly");
    b->slot = true;
    st = reg_fill_open(&env, app->blobs, &r->plan, &how, &rec, &b->fill);
    if (st == REG_OK && how == REG_FILL_STORED)
        snprintf(b->sha256, sizeof(b->sha256), "%s", rec.sha256);
    if (st != REG_OK)
        release_file(b);
    return st;
}

static void
file_headers(struct reg_request *req, struct reg_response *resp, const struct reg_hub_repo *r,
             const struct reg_hub_file *f)
{
    const char *etag =
        reg_arena_sprintf(&req->arena, "\"%s\"", f->lfs_sha256 ? f->lfs_sha256 : f->oid);

    resp->content_type = "application/octet-stream";
    reg_response_header(resp, "ETag", etag);
    reg_response_header(resp, "X-Repo-Commit", r->revision);
    reg_response_header(resp, "Accept-Ranges", "bytes");
    if (f->lfs_sha256) {
        reg_response_header(resp, "X-Linked-Etag", etag);
        reg_response_header(resp, "X-Linked-Size",
                            reg_arena_sprintf(&req->arena, "%lld", (long long)f->size));
    }
}

/* Sends a file's span: headers now, bytes from the bundle as they are (or become) there. */
static enum reg_status
send_file(struct reg_app *app, struct reg_request *req, struct reg_response *resp,
          const struct reg_hub_repo *r, const struct reg_hub_file *f, const struct span *sp)
{
    struct file_body *b = reg_arena_alloc(&req->arena, sizeof(*b));
    struct reg_response_stream stream = {produce_file, release_file, b, sp->len};
    bool head = strcmp(req->method, "HEAD") == 0;
    enum reg_status st = REG_OK;

    memset(b, 0, sizeof(*b));
    b->fill.fd = -1;
    b->offset = f->zip_offset + sp->first;
    b->len = sp->len;
    if (!head && sp->len > 0)
        st = open_body(app, req, r, b);
    if (st == REG_OK && b->fill.fd >= 0 && (st = reg_fill_wait_first(&b->fill)) != REG_OK)
        release_file(b);
    if (st != REG_OK)
        return st;
    if (!head)
        reg_handler_audit(app, req, &r->art, REG_AUDIT_DOWNLOAD);
    reg_response_stream(resp, sp->partial ? 206 : 200, &stream);
    file_headers(req, resp, r, f);
    if (sp->partial)
        reg_response_header(
            resp, "Content-Range",
            f->size == 0
                ? "bytes */0"
                : reg_arena_sprintf(&req->arena, "bytes %lld-%lld/%lld", (long long)sp->first,
                                    (long long)(sp->first + sp->len - 1), (long long)f->size));
    return REG_OK;
}

enum reg_status
reg_handle_hub_resolve(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    const char *rev = reg_request_param(req, "rev"), *path = reg_request_param(req, "path");
    const struct reg_hub_file *f;
    struct reg_hub_repo repo;
    struct span sp;
    enum reg_status st =
        reg_hub_repo_open(app, &req->arena, kind_of(req), reg_request_param(req, "repo"), &repo);

    if (st == REG_ENOTFOUND)
        return repo_not_found(req, resp);
    if (st != REG_OK)
        return st;
    if (!reg_hub_repo_revision_ok(&repo, rev))
        return hub_error(req, resp, 404, "RevisionNotFound",
                         reg_arena_sprintf(&req->arena, "Invalid rev id: %.100s", rev));
    if (repo.type == REG_TYPE_MODEL) {
        struct reg_sensitive sens;
        st = reg_sensitive_get(app->store, &req->arena, &repo.art, &sens);
        if (st == REG_OK)
            return hub_error(req, resp, 403, "GatedRepo",
                             reg_arena_sprintf(&req->arena,
                                               "%.200s is a sensitive model: download it whole "
                                               "with GET /download/model/%s, where its monitor "
                                               "program runs",
                                               repo.repo_id, repo.art.id));
        if (st != REG_ENOTFOUND)
            return st;
    }
    f = reg_hub_repo_file(&repo, path);
    if (!f) {
        st = hub_error(req, resp, 404, "EntryNotFound", "Entry not found");
        if (st == REG_OK)
            st = reg_response_header(resp, "X-Repo-Commit", repo.revision);
        return st;
    }
    if (!parse_range(req->range, f->size, &sp)) {
        reg_response_empty(resp, 416);
        return reg_response_header(
            resp, "Content-Range",
            reg_arena_sprintf(&req->arena, "bytes */%lld", (long long)f->size));
    }
    if (f->size == 0 && req->range)
        sp.partial = true; /* the Hub's client wants 206 "bytes * /0" for an empty file */
    return send_file(app, req, resp, &repo, f, &sp);
}
