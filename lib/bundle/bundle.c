/*
 * bundle.c - zip bundles streamed from upstream into the blob store (see bundle.h): aspects,
 * upstream file lists with their URLs, and the zip streamed from them (zipstream.h, fed by
 * reg_http_stream one file at a time).
 */
#include "bundle/bundle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/str.h"
#include "bundle/zipcheck.h"
#include "upstream/huggingface.h"

/* Longest repository id part (owner or name) accepted for GitHub. */
#define GH_PART_MAX 100

/* ---------------------------------------------------------------- aspects */

static const char *const aspect_names[] = {
    [REG_BUNDLE_FULL] = "full",
    [REG_BUNDLE_WEIGHTS] = "weights",
    [REG_BUNDLE_CARD] = "card",
    [REG_BUNDLE_DATASETS] = "datasets",
};

static const char *const weight_suffixes[] = {
    "safetensors", "bin", "pt", "pth", "onnx", "gguf", "h5", "msgpack", "ckpt",
};

static const char *const card_suffixes[] = {"md", "json", "txt", "yaml", "yml"};

enum reg_status
reg_bundle_aspect_parse(const char *name, enum reg_bundle_aspect *out)
{
    for (int i = 0; name && i < (int)(sizeof(aspect_names) / sizeof(aspect_names[0])); i++) {
        if (strcmp(name, aspect_names[i]) == 0) {
            *out = (enum reg_bundle_aspect)i;
            return REG_OK;
        }
    }
    return reg_errorf(REG_EINVAL, "aspect '%.64s' is not one of full, weights, card, datasets",
                      name ? name : "");
}

const char *
reg_bundle_aspect_name(enum reg_bundle_aspect aspect)
{
    if ((int)aspect < 0 || (int)aspect >= (int)(sizeof(aspect_names) / sizeof(aspect_names[0])))
        return "unknown";
    return aspect_names[aspect];
}

/* Whether the file name (last segment) of path ends in ".<one of suffixes>", any case. */
static bool
has_suffix(const char *path, const char *const *suffixes, size_t n)
{
    const char *slash = strrchr(path, '/');
    const char *leaf = slash ? slash + 1 : path;
    const char *dot = strrchr(leaf, '.');

    if (!dot || dot == leaf) /* no extension, or a dot file like ".bin" */
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(dot + 1, suffixes[i]) == 0)
            return true;
    return false;
}

bool
reg_bundle_is_weight(const char *path)
{
    return path &&
           has_suffix(path, weight_suffixes, sizeof(weight_suffixes) / sizeof(weight_suffixes[0]));
}

bool
reg_bundle_aspect_includes(enum reg_bundle_aspect aspect, const char *path)
{
    if (!path)
        return false;
    switch (aspect) {
    case REG_BUNDLE_FULL:
        return true;
    case REG_BUNDLE_WEIGHTS:
        return reg_bundle_is_weight(path);
    case REG_BUNDLE_CARD:
        return !reg_bundle_is_weight(path) &&
               has_suffix(path, card_suffixes, sizeof(card_suffixes) / sizeof(card_suffixes[0]));
    case REG_BUNDLE_DATASETS:
        return false;
    }
    return false;
}

/* ---------------------------------------------------------------- file lists */

/* Appends path with every segment percent-encoded ('/' kept between segments). */
static void
append_encoded(struct reg_buf *b, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

        if (*p == '/' || reg_str_is_unreserved(*p))
            reg_buf_append(b, p, 1);
        else
            reg_buf_append(b, esc, 3);
    }
}

/* The URL prefix + encoded path + suffix, in the arena. */
static const char *
file_url(struct reg_arena *a, const char *prefix, const char *path)
{
    struct reg_buf b;
    const char *url;

    reg_buf_init(&b, REG_HTTP_URL_MAX * 2);
    reg_buf_puts(&b, prefix);
    append_encoded(&b, path);
    url = reg_arena_strndup(a, b.data ? b.data : "", b.len);
    reg_buf_cleanup(&b);
    return url;
}

/* A listed path must be a safe entry name; the listing is upstream data, hence EUPSTREAM. */
static enum reg_status
check_listed(const char *path)
{
    char why[REG_ERROR_DETAIL_MAX];

    if (path && strlen(path) > 0 && path[strlen(path) - 1] != '/' &&
        reg_zipcheck_name(path, strlen(path)) == REG_OK)
        return REG_OK;
    if (!path || !*path || path[strlen(path) - 1] == '/')
        snprintf(why, sizeof(why), "a file without a name");
    else
        snprintf(why, sizeof(why), "%s", reg_error_detail());
    return reg_errorf(REG_EUPSTREAM, "the upstream listing holds an unsafe file name: %s", why);
}

/* Appends the files that keep says to keep, each with prefix + encoded path as its URL. */
static enum reg_status
list_files(struct reg_arena *a, const char *prefix, const struct reg_file_info *files, int nfiles,
           enum reg_bundle_aspect aspect, struct reg_bundle_file **out, int *nout)
{
    struct reg_bundle_file *list;
    int n = 0;

    *out = NULL;
    *nout = 0;
    if (nfiles < 0 || (nfiles > 0 && !files))
        return reg_errorf(REG_EINVAL, "no file listing");
    list = reg_arena_alloc(a, ((size_t)nfiles + 1) * sizeof(*list));
    for (int i = 0; i < nfiles; i++) {
        enum reg_status st;

        if (!reg_bundle_aspect_includes(aspect, files[i].path))
            continue;
        st = check_listed(files[i].path);
        if (st != REG_OK)
            return st;
        list[n].path = reg_arena_strdup(a, files[i].path);
        list[n].url = file_url(a, prefix, files[i].path);
        list[n].size = files[i].size < 0 ? -1 : files[i].size;
        list[n].oid = files[i].oid;
        list[n].lfs_sha256 = files[i].lfs_sha256;
        n++;
    }
    *out = n > 0 ? list : NULL;
    *nout = n;
    return REG_OK;
}

/* An http(s) base URL without its trailing '/', or NULL. */
static const char *
endpoint_of(struct reg_arena *a, const char *url)
{
    if (!url || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
        return NULL;
    return reg_str_rtrim(a, url, '/');
}

enum reg_status
reg_bundle_hf_files(struct reg_arena *a, const char *hf_endpoint, enum reg_bundle_hf_kind kind,
                    const char *repo_id, const struct reg_file_info *files, int nfiles,
                    enum reg_bundle_aspect aspect, struct reg_bundle_file **out, int *nout)
{
    const char *base = endpoint_of(a, hf_endpoint);

    *out = NULL;
    *nout = 0;
    if (!base)
        return reg_errorf(REG_EINVAL, "no usable Hugging Face endpoint");
    if (!reg_hf_repo_id_ok(repo_id))
        return reg_errorf(REG_EINVAL, "'%.100s' is not a Hugging Face repository id",
                          repo_id ? repo_id : "");
    return list_files(a,
                      reg_arena_sprintf(a, "%s/%s%s/resolve/main/", base,
                                        kind == REG_BUNDLE_HF_DATASET ? "datasets/" : "", repo_id),
                      files, nfiles, aspect, out, nout);
}

/* One part of a GitHub "owner/repo": [A-Za-z0-9._-]+, not "." or "..". */
static bool
gh_part_ok(const char *p, size_t n)
{
    if (n == 0 || n > GH_PART_MAX || (n == 1 && p[0] == '.') ||
        (n == 2 && p[0] == '.' && p[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!reg_str_is_unreserved((unsigned char)p[i]) || p[i] == '~')
            return false;
    return true;
}

enum reg_status
reg_bundle_gh_files(struct reg_arena *a, const char *github_api_url, const char *repo_id,
                    const struct reg_file_info *files, int nfiles, struct reg_bundle_file **out,
                    int *nout)
{
    const char *base = endpoint_of(a, github_api_url);
    const char *slash = repo_id ? strchr(repo_id, '/') : NULL;

    *out = NULL;
    *nout = 0;
    if (!base)
        return reg_errorf(REG_EINVAL, "no usable GitHub API URL");
    if (!slash || !gh_part_ok(repo_id, (size_t)(slash - repo_id)) ||
        !gh_part_ok(slash + 1, strlen(slash + 1)))
        return reg_errorf(REG_EINVAL, "'%.100s' is not a GitHub repository (owner/repo)",
                          repo_id ? repo_id : "");
    return list_files(a, reg_arena_sprintf(a, "%s/repos/%s/contents/", base, repo_id), files,
                      nfiles, REG_BUNDLE_FULL, out, nout);
}

/* ---------------------------------------------------------------- streaming the zip */

/* One zip being streamed: the writer, and the file being fetched into it. */
struct build {
    struct reg_zip_writer zip;
    int index;    /* the entry being fetched */
    bool started; /* its entry was begun (at its first byte) */
    int64_t got;  /* bytes of the current file */
    const struct reg_bundle_file *file;
    const struct reg_zip_observer *observer; /* or NULL */
    enum reg_status sink_status; /* the zip writer's, the caller's sink's or observer's refusal */
    char sink_detail[REG_ERROR_DETAIL_MAX];
};

/* reg_http_stream's sink: the bytes of the current file into its entry, begun at the first. */
static enum reg_status
to_entry(void *ctx, const void *data, size_t len)
{
    struct build *b = ctx;
    const struct reg_bundle_file *f = b->file;
    enum reg_status st = REG_OK;

    if ((uint64_t)len > (uint64_t)(f->size - b->got))
        return reg_errorf(REG_EUPSTREAM, "'%.200s' is longer than its listed %lld bytes", f->path,
                          (long long)f->size);
    if (!b->started) {
        st = reg_zip_begin(&b->zip, b->index);
        b->started = true;
    }
    if (st == REG_OK)
        st = reg_zip_write(&b->zip, data, len);
    if (st == REG_OK && b->observer)
        st = b->observer->data(b->observer->ctx, data, len);
    if (st != REG_OK) {
        b->sink_status = st;
        snprintf(b->sink_detail, sizeof(b->sink_detail), "%s", reg_error_detail());
    }
    b->got += (int64_t)len;
    return st;
}

/* A stream's failure as the bundle reports it: a refusal of the sink keeps its status and
 * detail; anything else about a listed file is upstream's fault. */
static enum reg_status
fetch_failed(const struct build *b, const struct reg_bundle_file *f)
{
    char why[REG_ERROR_DETAIL_MAX];

    if (b->sink_status != REG_OK)
        return reg_errorf(b->sink_status, "%s", b->sink_detail);
    snprintf(why, sizeof(why), "%s", reg_error_detail());
    return reg_errorf(REG_EUPSTREAM, "cannot fetch '%.200s' for the bundle: %s", f->path, why);
}

/* One file: fetched into its entry, length checked, entry ended. */
static enum reg_status
add_file(struct build *b, const struct reg_bundle_fetch *fetch, int i,
         const struct reg_bundle_file *f)
{
    struct reg_http_stream_result res;
    enum reg_status st;

    b->file = f;
    b->index = i;
    b->started = false;
    b->got = 0;
    st = b->observer ? b->observer->begin(b->observer->ctx, f->path) : REG_OK;
    if (st != REG_OK)
        return st;
    st = reg_http_stream(fetch->http, f->url, fetch->accept, fetch->bearer, INT64_MAX, to_entry, b,
                         &res);
    if (st != REG_OK)
        return fetch_failed(b, f);
    if (b->got != f->size)
        return reg_errorf(REG_EUPSTREAM, "'%.200s' has %lld bytes, its listing says %lld", f->path,
                          (long long)b->got, (long long)f->size);
    if (!b->started)
        st = reg_zip_begin(&b->zip, i); /* an empty file */
    if (st == REG_OK)
        st = reg_zip_end(&b->zip);
    if (st == REG_OK && b->observer)
        st = b->observer->end(b->observer->ctx);
    return st;
}

/* Checks the list (sorted, names, URLs, sizes) and makes its zip entries from a. */
static enum reg_status
zip_entries(struct reg_arena *a, const struct reg_bundle_file *files, int n,
            struct reg_zip_entry **out)
{
    struct reg_zip_entry *e = reg_arena_alloc(a, sizeof(*e) * (size_t)(n > 0 ? n : 1));

    *out = e;
    if (n < 0 || (n > 0 && !files))
        return reg_errorf(REG_EINVAL, "a bundle without a file list");
    if (n > REG_BUNDLE_MAX_FILES)
        return reg_errorf(REG_EINVAL, "a bundle of %d files: more than %d", n,
                          REG_BUNDLE_MAX_FILES);
    for (int i = 0; i < n; i++) {
        const char *p = files[i].path;
        if (!p || !*p || p[strlen(p) - 1] == '/')
            return reg_errorf(REG_EINVAL, "bundle file %d has no file name", i);
        if (reg_zipcheck_name(p, strlen(p)) != REG_OK)
            return REG_EINVAL; /* the detail names the path and the rule */
        if (!files[i].url || !*files[i].url)
            return reg_errorf(REG_EINVAL, "bundle file '%.200s' has no URL", p);
        if (files[i].size < 0)
            return reg_errorf(REG_EINVAL, "bundle file '%.200s' has no known size", p);
        if (i > 0 && strcmp(files[i - 1].path, p) >= 0)
            return reg_errorf(REG_EINVAL,
                              "bundle files are not sorted, or '%.200s' is listed "
                              "twice",
                              p);
        e[i].name = p;
        e[i].size = files[i].size;
        e[i].crc = 0;
    }
    return REG_OK;
}

enum reg_status
reg_bundle_zip_size(const struct reg_bundle_file *files, int n, int64_t *out)
{
    struct reg_arena a;
    struct reg_zip_entry *e;
    enum reg_status st;

    reg_arena_init(&a);
    st = zip_entries(&a, files, n, &e);
    if (st == REG_OK)
        st = reg_zip_layout(e, n, NULL, out);
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_bundle_stream(const struct reg_bundle_fetch *fetch, const struct reg_bundle_file *files, int n,
                  reg_zip_sink_fn sink, void *ctx)
{
    return reg_bundle_stream_observed(fetch, files, n, NULL, sink, ctx);
}

enum reg_status
reg_bundle_stream_observed(const struct reg_bundle_fetch *fetch,
                           const struct reg_bundle_file *files, int n,
                           const struct reg_zip_observer *observer, reg_zip_sink_fn sink, void *ctx)
{
    struct reg_arena a;
    struct reg_zip_entry *e = NULL;
    struct build *b = calloc(1, sizeof(*b));
    enum reg_status st;

    if (!b)
        reg_oom();
    reg_arena_init(&a);
    st = !fetch || !fetch->http || !sink ? reg_errorf(REG_EINVAL, "no fetch settings or sink")
                                         : zip_entries(&a, files, n, &e);
    if (st == REG_OK)
        st = reg_zip_writer_init(&b->zip, e, n, sink, ctx);
    b->observer = observer;
    for (int i = 0; i < n && st == REG_OK; i++)
        st = add_file(b, fetch, i, &files[i]);
    if (st == REG_OK)
        st = reg_zip_finish(&b->zip, NULL);
    reg_arena_cleanup(&a);
    free(b);
    return st;
}
