/*
 * bundle.c - zip bundles streamed from upstream into the blob store (see bundle.h): aspects,
 * upstream file lists with their URLs, and the build (libarchive's zip writer over a blob
 * writer, fed by reg_http_stream one file at a time).
 */
#include "bundle/bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/str.h"
#include "bundle/zipcheck.h"
#include "upstream/huggingface.h"

/* libarchive's output block: the blob writer is written in blocks of this size. */
#define ZIP_BLOCK (64 * 1024)
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

/* Compressed already (or not worth compressing), besides weights. */
static const char *const packed_suffixes[] = {
    "zip",  "gz",   "tgz",  "bz2", "xz",   "zst", "lz4", "7z",  "rar",
    "png",  "jpg",  "jpeg", "gif", "webp", "mp3", "mp4", "m4a", "ogg",
    "opus", "flac", "webm", "mkv", "mov",  "avi", "npz", "pdf", "parquet",
};

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
reg_bundle_is_incompressible(const char *path)
{
    return reg_bundle_is_weight(path) ||
           (path && has_suffix(path, packed_suffixes,
                               sizeof(packed_suffixes) / sizeof(packed_suffixes[0])));
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

/* ---------------------------------------------------------------- building */

/* One build: the blob, the zip writing into it, and the file being streamed. */
struct build {
    struct reg_blob_writer blob;
    struct archive *zip;
    bool closed_to_writes;       /* failing: libarchive's last words are not wanted */
    enum reg_status blob_status; /* the blob writer's refusal, once it refused */
    char blob_detail[REG_ERROR_DETAIL_MAX];
    const struct reg_bundle_file *file;
    int64_t got;   /* bytes of the current file */
    int64_t total; /* bytes of the finished files */
    int64_t max_total;
};

/* libarchive's output callback: into the blob writer. */
static la_ssize_t
zip_out(struct archive *ar, void *ctx, const void *data, size_t len)
{
    struct build *b = ctx;
    enum reg_status st;

    if (b->closed_to_writes || b->blob_status != REG_OK) {
        archive_set_error(ar, EIO, "the bundle is being abandoned");
        return -1;
    }
    st = reg_blob_write(&b->blob, data, len);
    if (st != REG_OK) {
        b->blob_status = st;
        snprintf(b->blob_detail, sizeof(b->blob_detail), "%s", reg_error_detail());
        archive_set_error(ar, EIO, "%s", b->blob_detail);
        return -1;
    }
    return (la_ssize_t)len;
}

/* The status of a failed libarchive call: the blob writer's when it was the cause. */
static enum reg_status
zip_failed(struct build *b, const char *what)
{
    if (b->blob_status != REG_OK)
        return reg_errorf(b->blob_status, "%s", b->blob_detail);
    return reg_errorf(REG_EINTERNAL, "zip %s of '%.200s': %s", what, b->file ? b->file->path : "",
                      archive_error_string(b->zip));
}

/* reg_http_stream's sink: the bytes of the current file into its zip entry. */
static enum reg_status
to_entry(void *ctx, const void *data, size_t len)
{
    struct build *b = ctx;
    const struct reg_bundle_file *f = b->file;

    if ((uint64_t)len > (uint64_t)(b->max_total - b->total - b->got))
        return reg_errorf(REG_ETOOLARGE, "the bundle exceeds the cap of %lld bytes (at '%.200s')",
                          (long long)b->max_total, f->path);
    if (f->size >= 0 && (uint64_t)len > (uint64_t)(f->size - b->got))
        return reg_errorf(REG_EUPSTREAM, "'%.200s' is longer than its listed %lld bytes", f->path,
                          (long long)f->size);
    if (archive_write_data(b->zip, data, len) != (la_ssize_t)len)
        return zip_failed(b, "data");
    b->got += (int64_t)len;
    return REG_OK;
}

/* A stream's failure as the bundle reports it: the cap, the disk and internal errors keep
 * their status; anything else about a listed file is upstream's fault. */
static enum reg_status
fetch_failed(enum reg_status st, const struct reg_bundle_file *f)
{
    char why[REG_ERROR_DETAIL_MAX];

    if (st == REG_ETOOLARGE || st == REG_ESTORE || st == REG_EINTERNAL || st == REG_ENOMEM)
        return st; /* the detail is already recorded */
    snprintf(why, sizeof(why), "%s", reg_error_detail());
    return reg_errorf(REG_EUPSTREAM, "cannot fetch '%.200s' for the bundle: %s", f->path, why);
}

static enum reg_status
start_entry(struct build *b, const struct reg_bundle_file *f)
{
    struct archive_entry *e = archive_entry_new();
    int rc;

    if (!e)
        reg_oom();
    archive_entry_set_pathname_utf8(e, f->path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    if (f->size >= 0)
        archive_entry_set_size(e, f->size);
    else
        archive_entry_unset_size(e);
    /* mtime left unset: the DOS time is then the zip epoch, in every time zone */
    if (reg_bundle_is_incompressible(f->path))
        archive_write_zip_set_compression_store(b->zip);
    else
        archive_write_zip_set_compression_deflate(b->zip);
    rc = archive_write_header(b->zip, e);
    archive_entry_free(e);
    return rc == ARCHIVE_OK ? REG_OK : zip_failed(b, "header");
}

/* One file: header, streamed bytes, length check, end of entry. */
static enum reg_status
add_file(struct build *b, const struct reg_bundle_fetch *fetch, const struct reg_bundle_file *f)
{
    struct reg_http_stream_result res;
    enum reg_status st;

    b->file = f;
    b->got = 0;
    st = start_entry(b, f);
    if (st != REG_OK)
        return st;
    /* The sink enforces the cap (and the listed size) itself, with the bundle's words. */
    st = reg_http_stream(fetch->http, f->url, fetch->accept, fetch->bearer, INT64_MAX, to_entry, b,
                         &res);
    if (st != REG_OK)
        return fetch_failed(st, f);
    if (f->size >= 0 && b->got != f->size)
        return reg_errorf(REG_EUPSTREAM, "'%.200s' has %lld bytes, its listing says %lld", f->path,
                          (long long)b->got, (long long)f->size);
    if (archive_write_finish_entry(b->zip) != ARCHIVE_OK)
        return zip_failed(b, "entry end");
    b->total += b->got;
    return REG_OK;
}

static int
cmp_paths(const void *x, const void *y)
{
    const struct reg_bundle_file *a = *(const struct reg_bundle_file *const *)x;
    const struct reg_bundle_file *b = *(const struct reg_bundle_file *const *)y;

    return strcmp(a->path, b->path);
}

/* Validates the list and sorts it into *sorted (malloc'd); *known sums the known sizes. */
static enum reg_status
prepare(const struct reg_bundle_file *files, int n, const struct reg_bundle_file ***sorted,
        int64_t *known)
{
    const struct reg_bundle_file **s = calloc((size_t)n + 1, sizeof(*s));

    if (!s)
        reg_oom();
    *sorted = s;
    *known = 0;
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
        if (files[i].size > 0 && files[i].size > INT64_MAX - *known)
            return reg_errorf(REG_ETOOLARGE, "bundle sizes overflow");
        *known += files[i].size > 0 ? files[i].size : 0;
        s[i] = &files[i];
    }
    qsort(s, (size_t)n, sizeof(*s), cmp_paths);
    for (int i = 1; i < n; i++)
        if (strcmp(s[i - 1]->path, s[i]->path) == 0)
            return reg_errorf(REG_EINVAL, "bundle file '%.200s' is listed twice", s[i]->path);
    return REG_OK;
}

/* The blob cap: the content cap plus what the zip records may add. */
static int64_t
blob_cap(const struct reg_bundle_file *files, int n, int64_t max_bytes)
{
    int64_t cap = max_bytes / 100 + REG_BUNDLE_ZIP_OVERHEAD;

    for (int i = 0; i < n; i++)
        cap += REG_BUNDLE_ENTRY_OVERHEAD + 2 * (int64_t)strlen(files[i].path);
    return max_bytes > INT64_MAX - cap ? INT64_MAX : max_bytes + cap;
}

static enum reg_status
open_zip(struct build *b)
{
    b->zip = archive_write_new();
    if (!b->zip)
        reg_oom();
    if (archive_write_set_format_zip(b->zip) != ARCHIVE_OK ||
        archive_write_set_options(b->zip, "zip:hdrcharset=UTF-8") != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(b->zip, ZIP_BLOCK) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(b->zip, 1) != ARCHIVE_OK ||
        archive_write_open(b->zip, b, NULL, zip_out, NULL) != ARCHIVE_OK)
        return zip_failed(b, "setup");
    return REG_OK;
}

enum reg_status
reg_bundle_build(const char *blob_dir, const struct reg_bundle_fetch *fetch,
                 const struct reg_bundle_file *files, int n, int64_t max_bytes,
                 struct reg_blob_info *out)
{
    struct build b;
    const struct reg_bundle_file **sorted = NULL;
    int64_t known;
    enum reg_status st;

    memset(&b, 0, sizeof(b));
    memset(out, 0, sizeof(*out));
    if (!blob_dir || !fetch || !fetch->http || n < 0 || (n > 0 && !files) || max_bytes <= 0)
        return reg_errorf(REG_EINVAL, "reg_bundle_build: no directory, fetch settings, files "
                                      "or cap");
    st = prepare(files, n, &sorted, &known);
    if (st == REG_OK && known > max_bytes)
        st = reg_errorf(REG_ETOOLARGE,
                        "the bundle would hold %lld bytes, more than the cap of "
                        "%lld bytes",
                        (long long)known, (long long)max_bytes);
    if (st == REG_OK)
        st = reg_blob_begin(&b.blob, blob_dir, blob_cap(files, n, max_bytes));
    if (st != REG_OK) {
        free(sorted);
        return st;
    }
    b.max_total = max_bytes;
    st = open_zip(&b);
    for (int i = 0; i < n && st == REG_OK; i++)
        st = add_file(&b, fetch, sorted[i]);
    b.file = NULL;
    if (st == REG_OK && archive_write_close(b.zip) != ARCHIVE_OK)
        st = zip_failed(&b, "end");
    b.closed_to_writes = true; /* on failure, free must not write the central directory */
    archive_write_free(b.zip);
    if (st == REG_OK)
        st = reg_blob_commit(&b.blob, out);
    reg_blob_abort(&b.blob); /* after a commit: nothing to do */
    free(sorted);
    return st;
}
