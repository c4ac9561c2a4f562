/*
 * test_bundle.c - zip bundles (lib/bundle/bundle.c). Offline: the aspects and the URLs of
 * upstream listings. Against the fixture server (REGISTRY_TEST_UPSTREAM_URL, started by
 * scripts/run-unit.sh), with small corpus repositories: full, card and weights bundles whose
 * every entry is compared (size and SHA-256) with the same file downloaded directly here; the
 * same bytes give the same blob whatever the order of the list; a gated dataset with and
 * without a token; a GitHub code bundle from the tree and the contents API (the fixture serves
 * no /zipball, and GitHub's answers with a redirect outside the allowed bases); files of unknown
 * size; and failures half-way (404, injected 500 and connection resets, wrong listed sizes, the
 * cap, a URL outside the bases, bad lists), after each of which neither a blob nor a temp file
 * may be left in the store. Every bundle built is also checked by lib/bundle/zipcheck.c.
 */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dirent.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "blob/blob_test.h"
#include "blob/blobstore.h"
#include "bundle/bundle.h"
#include "bundle/zipcheck.h"
#include "upstream/fixture_control.h"
#include "upstream/github.h"
#include "upstream/huggingface.h"

#define MB ((int64_t)1024 * 1024)
#define CAP (64 * MB)
#define MAX_ENTRIES 64

/* ---------------------------------------------------------------- the store directory */

static char store_root[256];
static char store[300];

/* Each online test: a fresh fixture configuration and an empty store. */
static int
setup(void **state)
{
    const char *t = getenv("TMPDIR");

    reset_fixture(state);
    snprintf(store_root, sizeof(store_root), "%s/bundletest.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(store_root));
    snprintf(store, sizeof(store), "%s/blobs", store_root);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    remove_tree(store_root);
    return 0;
}

/* Regular files in dir, and in its two-hex-digit subdirectories when blobs is set. */
static int
count_in(const char *dir, bool blobs)
{
    DIR *d = opendir(dir);
    int n = 0;

    if (!d)
        return 0;
    for (;;) {
        struct dirent *e = readdir(d);
        char p[REG_BLOB_PATH_MAX];
        struct stat st;

        if (!e)
            break;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode))
            n++;
        else if (blobs && S_ISDIR(st.st_mode) && strlen(e->d_name) == 2)
            n += count_in(p, false);
    }
    closedir(d);
    return n;
}

/* Neither a blob nor a temp file is in the store. */
static void
assert_store_empty(void)
{
    char tmp[REG_BLOB_PATH_MAX];

    snprintf(tmp, sizeof(tmp), "%s/%s", store, REG_BLOB_TMP_DIR);
    assert_int_equal(count_in(store, true), 0);
    assert_int_equal(count_in(tmp, false), 0);
}

/* ---------------------------------------------------------------- reading what was built */

struct zentry {
    char path[256];
    int64_t size;
    unsigned char sha[32];
};

/* The entries of the zip at path, in order, with the SHA-256 of each one's bytes. */
static int
read_zip(const char *path, struct zentry *out, int max)
{
    struct archive *ar = archive_read_new();
    struct archive_entry *e;
    int n = 0;

    archive_read_support_format_zip(ar);
    assert_int_equal(archive_read_open_filename(ar, path, 65536), ARCHIVE_OK);
    while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned int dlen = 0;
        const void *buf;
        size_t len;
        la_int64_t off;
        int rc;

        assert_true(n < max);
        snprintf(out[n].path, sizeof(out[n].path), "%s", archive_entry_pathname(e));
        assert_int_equal(archive_entry_filetype(e), AE_IFREG);
        assert_int_equal(archive_entry_perm(e), 0644);
        out[n].size = 0;
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        for (;;) {
            rc = archive_read_data_block(ar, &buf, &len, &off);
            if (rc != ARCHIVE_OK)
                break;
            EVP_DigestUpdate(md, buf, len);
            out[n].size += (int64_t)len;
        }
        assert_int_equal(rc, ARCHIVE_EOF);
        EVP_DigestFinal_ex(md, out[n].sha, &dlen);
        EVP_MD_CTX_free(md);
        n++;
    }
    archive_read_free(ar);
    return n;
}

static size_t
to_digest(char *data, size_t size, size_t nmemb, void *arg)
{
    struct {
        EVP_MD_CTX *md;
        int64_t n;
    } *d = arg;

    EVP_DigestUpdate(d->md, data, size * nmemb);
    d->n += (int64_t)(size * nmemb);
    return size * nmemb;
}

/* Downloads url here, with plain libcurl (no registry code): its SHA-256 and length. */
static void
direct_download(const char *url, const char *bearer, const char *accept, unsigned char sha[32],
                int64_t *size)
{
    struct {
        EVP_MD_CTX *md;
        int64_t n;
    } d = {EVP_MD_CTX_new(), 0};
    struct curl_slist *h = NULL;
    char line[256];
    CURL *c = curl_easy_init();
    long status = 0;
    unsigned int dlen = 0;

    assert_non_null(c);
    EVP_DigestInit_ex(d.md, EVP_sha256(), NULL);
    if (bearer) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer);
        h = curl_slist_append(h, line);
    }
    if (accept) {
        snprintf(line, sizeof(line), "Accept: %s", accept);
        h = curl_slist_append(h, line);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_digest);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)&d);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    EVP_DigestFinal_ex(d.md, sha, &dlen);
    EVP_MD_CTX_free(d.md);
    *size = d.n;
}

static int
cmp_file_paths(const void *x, const void *y)
{
    return strcmp(((const struct reg_bundle_file *)x)->path,
                  ((const struct reg_bundle_file *)y)->path);
}

/*
 * Checks the committed bundle against its list: exactly the listed files in path order, each
 * with the size and SHA-256 of a direct download; the bundle passes zipcheck. Returns the
 * blob's size on disk.
 */
static int64_t
verify_bundle(const struct reg_blob_info *info, const struct reg_bundle_file *files, int n,
              const char *bearer, const char *accept)
{
    struct reg_bundle_file *sorted = calloc((size_t)n + 1, sizeof(*sorted));
    struct zentry *got = calloc(MAX_ENTRIES, sizeof(*got));
    char path[REG_BLOB_PATH_MAX], tmp[REG_BLOB_PATH_MAX];
    struct reg_zip_report rep;
    struct reg_arena a;
    struct stat st;
    int bad = 0, m;

    assert_non_null(sorted);
    assert_non_null(got);
    memcpy(sorted, files, (size_t)n * sizeof(*files));
    qsort(sorted, (size_t)n, sizeof(*sorted), cmp_file_paths);
    assert_int_equal(reg_blob_path(path, sizeof(path), store, info->sha256), REG_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, info->size);
    snprintf(tmp, sizeof(tmp), "%s/%s", store, REG_BLOB_TMP_DIR);
    assert_int_equal(count_in(tmp, false), 0);
    m = read_zip(path, got, MAX_ENTRIES);
    assert_int_equal(m, n);
    for (int i = 0; i < n; i++) {
        unsigned char sha[32];
        int64_t size;

        direct_download(sorted[i].url, bearer, accept, sha, &size);
        CHECK(&bad, strcmp(got[i].path, sorted[i].path) == 0, "entry %d is %s, want %s", i,
              got[i].path, sorted[i].path);
        CHECK(&bad, got[i].size == size, "%s: %lld bytes, served %lld", got[i].path,
              (long long)got[i].size, (long long)size);
        CHECK(&bad, sorted[i].size < 0 || sorted[i].size == size, "%s: listed %lld, served %lld",
              sorted[i].path, (long long)sorted[i].size, (long long)size);
        CHECK(&bad, memcmp(got[i].sha, sha, 32) == 0, "%s: SHA-256 differs from the download",
              got[i].path);
    }
    reg_arena_init(&a);
    CHECK(&bad, reg_zipcheck_file(&a, path, NULL, &rep) == REG_OK, "zipcheck: %s",
          reg_error_detail());
    CHECK(&bad, rep.nfiles == n, "zipcheck sees %d files", rep.nfiles);
    reg_arena_cleanup(&a);
    free(sorted);
    free(got);
    assert_int_equal(bad, 0);
    return (int64_t)st.st_size;
}

/* ---------------------------------------------------------------- fixture controls */

static void
fixture_config(const char *json)
{
    json_object_put(control("POST", "/__fixture/config", json));
}

/* Requests the fixture served since its last reset. */
static int
requests_seen(void)
{
    struct json_object *log = control("GET", "/__fixture/log", NULL), *count;
    int n;

    assert_true(json_object_object_get_ex(log, "count", &count));
    n = json_object_get_int(count);
    json_object_put(log);
    return n;
}

/* ---------------------------------------------------------------- listings */

static struct reg_bundle_fetch
hf_fetch(struct reg_http_config *cfg, const char *bearer)
{
    struct reg_bundle_fetch f = {cfg, bearer, NULL};

    *cfg = fixture_http_config();
    return f;
}

/* The files of a model (or dataset) as the Hub lists them, through the registry's fetcher. */
static void
hf_listing(struct reg_arena *a, enum reg_bundle_hf_kind kind, const char *id, const char *token,
           const struct reg_file_info **files, int *n)
{
    struct reg_http_config cfg = fixture_http_config();

    if (kind == REG_BUNDLE_HF_MODEL) {
        struct reg_model_signals m;

        assert_int_equal(reg_hf_fetch_model(&cfg, upstream, token, a, id, &m), REG_OK);
        *files = m.files;
        *n = m.nfiles;
    } else {
        struct reg_dataset_signals d;

        assert_int_equal(reg_hf_fetch_dataset(&cfg, upstream, token, a, id, &d), REG_OK);
        *files = d.files;
        *n = d.nfiles;
    }
}

/* The bundle list of a corpus repository's files that the aspect includes. */
static void
hf_list(struct reg_arena *a, enum reg_bundle_hf_kind kind, const char *id,
        enum reg_bundle_aspect aspect, struct reg_bundle_file **out, int *n)
{
    const struct reg_file_info *files;
    int nfiles;

    hf_listing(a, kind, id, "hf_unit_test_token", &files, &nfiles);
    assert_int_equal(reg_bundle_hf_files(a, upstream, kind, id, files, nfiles, aspect, out, n),
                     REG_OK);
}

/* ---------------------------------------------------------------- offline */

static void
test_aspects(void **state)
{
    static const struct {
        const char *path;
        bool full, weights, card;
    } cases[] = {
        {"model.safetensors", true, true, false},
        {"pytorch_model.bin", true, true, false},
        {"onnx/model.onnx", true, true, false},
        {"weights.PT", true, true, false},
        {"ckpt/model.pth", true, true, false},
        {"model-q4.gguf", true, true, false},
        {"tf_model.h5", true, true, false},
        {"flax_model.msgpack", true, true, false},
        {"sd/v1.ckpt", true, true, false},
        {"training_args.bin", true, true, false},
        {"README.md", true, false, true},
        {"docs/USAGE.MD", true, false, true},
        {"config.json", true, false, true},
        {"tokenizer.json", true, false, true},
        {"model.safetensors.index.json", true, false, true},
        {"vocab.txt", true, false, true},
        {"params.yaml", true, false, true},
        {"hparams.yml", true, false, true},
        {".gitattributes", true, false, false},
        {"spiece.model", true, false, false},
        {"data/train.parquet", true, false, false},
        {"bin", true, false, false},
        {".bin", true, false, false},
        {"safetensors/readme", true, false, false},
        {"model.safetensors.tmp", true, false, false},
    };
    enum reg_bundle_aspect a;
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        const char *p = cases[i].path;

        CHECK(&bad, reg_bundle_aspect_includes(REG_BUNDLE_FULL, p) == cases[i].full, "full %s", p);
        CHECK(&bad, reg_bundle_aspect_includes(REG_BUNDLE_WEIGHTS, p) == cases[i].weights,
              "weights %s", p);
        CHECK(&bad, reg_bundle_aspect_includes(REG_BUNDLE_CARD, p) == cases[i].card, "card %s", p);
        CHECK(&bad, !reg_bundle_aspect_includes(REG_BUNDLE_DATASETS, p), "datasets %s", p);
        CHECK(&bad, !cases[i].weights || reg_bundle_is_incompressible(p), "stored %s", p);
    }
    assert_int_equal(bad, 0);
    assert_false(reg_bundle_is_incompressible("config.json"));
    assert_true(reg_bundle_is_incompressible("data/train.parquet"));
    for (int i = 0; i < 4; i++) {
        const char *name = reg_bundle_aspect_name((enum reg_bundle_aspect)i);

        assert_int_equal(reg_bundle_aspect_parse(name, &a), REG_OK);
        assert_int_equal(a, i);
    }
    assert_string_equal(reg_bundle_aspect_name(REG_BUNDLE_WEIGHTS), "weights");
    assert_int_equal(reg_bundle_aspect_parse("Full", &a), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "full, weights, card, datasets"));
    assert_int_equal(reg_bundle_aspect_parse("", &a), REG_EINVAL);
    assert_int_equal(reg_bundle_aspect_parse(NULL, &a), REG_EINVAL);
}

static void
test_listing_urls(void **state)
{
    static const struct reg_file_info files[] = {
        {"README.md", 120},
        {"onnx/model.onnx", 5000},
        {"dir with space/caf\xc3\xa9 #1?.txt", -7},
        {"a+b=c&d%e.json", 3},
    };
    static const struct reg_file_info unsafe[] = {{"README.md", 1}, {"../../etc/passwd", 1}};
    struct reg_bundle_file *out;
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(reg_bundle_hf_files(&a, "https://hf.example/", REG_BUNDLE_HF_MODEL,
                                         "org/model", files, NELEMS(files), REG_BUNDLE_FULL, &out,
                                         &n),
                     REG_OK);
    assert_int_equal(n, 4);
    assert_string_equal(out[0].url, "https://hf.example/org/model/resolve/main/README.md");
    assert_int_equal(out[0].size, 120);
    assert_string_equal(out[1].url, "https://hf.example/org/model/resolve/main/onnx/model.onnx");
    assert_string_equal(out[2].path, "dir with space/caf\xc3\xa9 #1?.txt");
    assert_string_equal(out[2].url, "https://hf.example/org/model/resolve/main/"
                                    "dir%20with%20space/caf%C3%A9%20%231%3F.txt");
    assert_int_equal(out[2].size, -1);
    assert_string_equal(out[3].url,
                        "https://hf.example/org/model/resolve/main/a%2Bb%3Dc%26d%25e.json");

    assert_int_equal(reg_bundle_hf_files(&a, "https://hf.example", REG_BUNDLE_HF_DATASET, "squad",
                                         files, NELEMS(files), REG_BUNDLE_WEIGHTS, &out, &n),
                     REG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].url,
                        "https://hf.example/datasets/squad/resolve/main/onnx/model.onnx");
    assert_int_equal(reg_bundle_hf_files(&a, "https://hf.example", REG_BUNDLE_HF_MODEL, "m", files,
                                         NELEMS(files), REG_BUNDLE_DATASETS, &out, &n),
                     REG_OK);
    assert_int_equal(n, 0);
    assert_null(out);

    assert_int_equal(reg_bundle_hf_files(&a, "https://hf.example", REG_BUNDLE_HF_MODEL, "../x",
                                         files, NELEMS(files), REG_BUNDLE_FULL, &out, &n),
                     REG_EINVAL);
    assert_int_equal(reg_bundle_hf_files(&a, "ftp://hf.example", REG_BUNDLE_HF_MODEL, "org/m",
                                         files, NELEMS(files), REG_BUNDLE_FULL, &out, &n),
                     REG_EINVAL);
    assert_int_equal(reg_bundle_hf_files(&a, "https://hf.example", REG_BUNDLE_HF_MODEL, "org/m",
                                         unsafe, NELEMS(unsafe), REG_BUNDLE_FULL, &out, &n),
                     REG_EUPSTREAM);
    assert_non_null(strstr(reg_error_detail(), "'..' path segment"));

    assert_int_equal(reg_bundle_gh_files(&a, "https://api.github.example/", "Owner/repo.name",
                                         files, NELEMS(files), &out, &n),
                     REG_OK);
    assert_int_equal(n, 4);
    assert_string_equal(
        out[1].url, "https://api.github.example/repos/Owner/repo.name/contents/onnx/model.onnx");
    assert_int_equal(reg_bundle_gh_files(&a, "https://api.github.example", "owner", files,
                                         NELEMS(files), &out, &n),
                     REG_EINVAL);
    assert_int_equal(reg_bundle_gh_files(&a, "https://api.github.example", "owner/..", files,
                                         NELEMS(files), &out, &n),
                     REG_EINVAL);
    assert_int_equal(reg_bundle_gh_files(&a, "https://api.github.example", "o/r/x", files,
                                         NELEMS(files), &out, &n),
                     REG_EINVAL);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- bundles that succeed */

/* A whole dataset (3 files, 9.3 MB, one 9.28 MB Parquet file stored as is). */
static void
test_full_dataset_bundle(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files;
    struct reg_blob_info info;
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_DATASET, "hf-internal-testing/librispeech_asr_dummy", REG_BUNDLE_FULL,
            &files, &n);
    assert_int_equal(n, 3);
    assert_int_equal(reg_bundle_build(store, &fetch, files, n, CAP, &info), REG_OK);
    assert_false(info.existed);
    printf("dataset bundle: %d files, %lld bytes, sha256 %s\n", n, (long long)info.size,
           info.sha256);
    assert_true(verify_bundle(&info, files, n, NULL, NULL) > 9284576);
    reg_arena_cleanup(&a);
}

/* The model card aspect of openai/whisper-tiny: only card files, deflated; the same blob
 * again from the reversed list. */
static void
test_card_bundle_is_deterministic(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files, *reversed;
    struct reg_blob_info first, again;
    struct reg_arena a;
    int64_t content = 0, size;
    int n, bad = 0;

    (void)state;
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_MODEL, "openai/whisper-tiny", REG_BUNDLE_CARD, &files, &n);
    assert_int_equal(n, 11);
    for (int i = 0; i < n; i++) {
        CHECK(&bad, !reg_bundle_is_weight(files[i].path), "card holds %s", files[i].path);
        content += files[i].size;
    }
    assert_int_equal(bad, 0);
    assert_int_equal(reg_bundle_build(store, &fetch, files, n, CAP, &first), REG_OK);
    size = verify_bundle(&first, files, n, NULL, NULL);
    printf("card bundle: %d files, %lld bytes of content in a %lld byte zip\n", n,
           (long long)content, (long long)size);
    assert_true(size < content); /* deflated */

    reversed = reg_arena_alloc(&a, (size_t)n * sizeof(*reversed));
    for (int i = 0; i < n; i++)
        reversed[i] = files[n - 1 - i];
    assert_int_equal(reg_bundle_build(store, &fetch, reversed, n, CAP, &again), REG_OK);
    assert_string_equal(again.sha256, first.sha256);
    assert_int_equal(again.size, first.size);
    assert_true(again.existed);
    assert_int_equal(count_in(store, true), 1);
    reg_arena_cleanup(&a);
}

/* Weights: whisper-tiny's four weight files (604 MB) are refused by the cap before any
 * request; fixture-lab/poor-metadata-model's one (26 MB) is bundled, stored uncompressed. */
static void
test_weights_bundle(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files;
    struct reg_blob_info info;
    struct reg_arena a;
    int64_t size;
    int n, bad = 0;

    (void)state;
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_MODEL, "openai/whisper-tiny", REG_BUNDLE_WEIGHTS, &files, &n);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++)
        CHECK(&bad, reg_bundle_is_weight(files[i].path), "weights hold %s", files[i].path);
    assert_int_equal(bad, 0);
    reset_fixture(NULL);
    assert_int_equal(reg_bundle_build(store, &fetch, files, n, CAP, &info), REG_ETOOLARGE);
    assert_non_null(strstr(reg_error_detail(), "more than the cap of 67108864 bytes"));
    assert_int_equal(requests_seen(), 0);
    assert_store_empty();

    hf_list(&a, REG_BUNDLE_HF_MODEL, "fixture-lab/poor-metadata-model", REG_BUNDLE_WEIGHTS, &files,
            &n);
    assert_int_equal(n, 1);
    assert_string_equal(files[0].path, "pytorch_model.bin");
    assert_int_equal(reg_bundle_build(store, &fetch, files, n, CAP, &info), REG_OK);
    size = verify_bundle(&info, files, n, NULL, NULL);
    assert_true(size > files[0].size); /* stored, not deflated */
    assert_true(size < files[0].size + 4096);
    reg_arena_cleanup(&a);
}

/* A gated dataset (44 files): with a token it is bundled; without, its first gated file is
 * refused (401) after the ungated ones were streamed: nothing is left. */
static void
test_gated_dataset(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch with = hf_fetch(&cfg, "hf_unit_test_token");
    struct reg_bundle_fetch without = {&cfg, NULL, NULL};
    struct reg_bundle_file *files;
    struct reg_blob_info info;
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_DATASET, "LanguageShades/BiasShades", REG_BUNDLE_FULL, &files, &n);
    assert_int_equal(n, 44);
    assert_int_equal(reg_bundle_build(store, &without, files, n, CAP, &info), REG_EUPSTREAM);
    printf("gated without a token: %s\n", reg_error_detail());
    assert_non_null(strstr(reg_error_detail(), "HTTP 401"));
    assert_store_empty();
    assert_int_equal(reg_bundle_build(store, &with, files, n, CAP, &info), REG_OK);
    verify_bundle(&info, files, n, "hf_unit_test_token", NULL);
    reg_arena_cleanup(&a);
}

/* A GitHub repository from its tree and the contents API (raw). */
static void
test_code_bundle(void **state)
{
    struct reg_http_config cfg = fixture_http_config();
    struct reg_bundle_fetch fetch = {&cfg, "ghp_unit_test_token", REG_BUNDLE_GH_ACCEPT};
    struct reg_code_signals code;
    struct reg_bundle_file *files;
    struct reg_blob_info info;
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(
        reg_gh_fetch_repo(&cfg, upstream, NULL, &a, "fixture-lab/bert-squad-finetune", &code),
        REG_OK);
    assert_int_equal(reg_bundle_gh_files(&a, upstream, "fixture-lab/bert-squad-finetune",
                                         code.files, code.nfiles, &files, &n),
                     REG_OK);
    assert_int_equal(n, code.nfiles);
    assert_true(n >= 10);
    assert_int_equal(reg_bundle_build(store, &fetch, files, n, CAP, &info), REG_OK);
    printf("code bundle: %d files in %lld bytes\n", n, (long long)info.size);
    verify_bundle(&info, files, n, NULL, REG_BUNDLE_GH_ACCEPT);
    reg_arena_cleanup(&a);
}

/* Sizes not known in advance (-1): Zip64 data descriptors, still the right bytes. */
static void
test_unknown_sizes(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files;
    struct reg_blob_info info;
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_MODEL, "fixture-lab/bert-base-uncased-squad", REG_BUNDLE_CARD, &files,
            &n);
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++)
        files[i].size = -1;
    assert_int_equal(reg_bundle_build(store, &fetch, files, n, CAP, &info), REG_OK);
    verify_bundle(&info, files, n, NULL, NULL);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- failures leave nothing */

/* The three small files of fixture-lab/poor-metadata-model, in the arena. */
static struct reg_bundle_file *
small_files(struct reg_arena *a, int *n)
{
    struct reg_bundle_file *files;

    hf_list(a, REG_BUNDLE_HF_MODEL, "fixture-lab/poor-metadata-model", REG_BUNDLE_FULL, &files, n);
    assert_int_equal(*n, 4);
    assert_string_equal(files[3].path, "pytorch_model.bin");
    *n = 3; /* .gitattributes, README.md, config.json: 1627 bytes */
    return files;
}

/* Builds files and expects status st with a detail holding detail; the store stays empty. */
static void
expect_failure(const struct reg_bundle_fetch *fetch, const struct reg_bundle_file *files, int n,
               int64_t cap, enum reg_status st, const char *detail)
{
    struct reg_blob_info info;
    enum reg_status got = reg_bundle_build(store, fetch, files, n, cap, &info);

    printf("refused (%d): %s\n", got, reg_error_detail());
    assert_int_equal(got, st);
    assert_non_null(strstr(reg_error_detail(), detail));
    assert_int_equal(info.size, 0);
    assert_store_empty();
}

static void
test_fetch_fails_half_way(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files, more[4];
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    files = small_files(&a, &n);

    /* a listed file the server does not have (404), after the others were streamed */
    memcpy(more, files, 3 * sizeof(*files));
    more[3].path = "zz-missing.json";
    more[3].url = reg_arena_sprintf(&a,
                                    "%s/fixture-lab/poor-metadata-model/resolve/main/"
                                    "zz-missing.json",
                                    upstream);
    more[3].size = 10;
    expect_failure(&fetch, more, 4, CAP, REG_EUPSTREAM, "HTTP 404");

    /* the third file answers 500 every time (retried, then given up) */
    fixture_config(
        "{\"fail\": \"500\", \"fail_paths\": \"config\\\\.json\", \"fail_count\": null}");
    expect_failure(&fetch, files, n, CAP, REG_EUPSTREAM, "HTTP 500");

    /* connection resets every time */
    reset_fixture(NULL);
    fixture_config(
        "{\"fail\": \"reset\", \"fail_paths\": \"config\\\\.json\", \"fail_count\": null}");
    expect_failure(&fetch, files, n, CAP, REG_EUPSTREAM, "config.json");

    /* one reset is retried: the bundle succeeds */
    reset_fixture(NULL);
    fixture_config("{\"fail\": \"reset\", \"fail_paths\": \"config\\\\.json\", \"fail_count\": 1}");
    {
        struct reg_blob_info info;

        assert_int_equal(reg_bundle_build(store, &fetch, files, n, CAP, &info), REG_OK);
        verify_bundle(&info, files, n, NULL, NULL);
    }
    reg_arena_cleanup(&a);
}

static void
test_wrong_sizes_and_cap(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files, copy[3];
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    files = small_files(&a, &n);
    assert_string_equal(files[2].path, "config.json");

    memcpy(copy, files, sizeof(copy));
    copy[2].size = files[2].size - 1; /* the server sends one byte more */
    expect_failure(&fetch, copy, n, CAP, REG_EUPSTREAM, "longer than its listed");
    copy[2].size = files[2].size + 1; /* one byte less */
    expect_failure(&fetch, copy, n, CAP, REG_EUPSTREAM, "its listing says");

    /* listed sizes past the cap: refused before any request */
    expect_failure(&fetch, files, n, 1000, REG_ETOOLARGE, "more than the cap of 1000 bytes");
    /* unknown sizes: refused while streaming, at the first byte past the cap */
    for (int i = 0; i < n; i++)
        copy[i].size = -1;
    expect_failure(&fetch, copy, n, 1600, REG_ETOOLARGE, "exceeds the cap of 1600 bytes");
    reg_arena_cleanup(&a);
}

static void
test_bad_lists(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files, copy[3];
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    files = small_files(&a, &n);

    /* a URL outside the allowed bases: refused when its turn comes */
    memcpy(copy, files, sizeof(copy));
    copy[1].url = "https://huggingface.co/gpt2/resolve/main/README.md";
    expect_failure(&fetch, copy, n, CAP, REG_EUPSTREAM, "not under an allowed upstream base");

    /* refused before any request */
    reset_fixture(NULL);
    memcpy(copy, files, sizeof(copy));
    copy[2].path = copy[0].path;
    expect_failure(&fetch, copy, n, CAP, REG_EINVAL, "listed twice");
    copy[2].path = "../../escape.json";
    expect_failure(&fetch, copy, n, CAP, REG_EINVAL, "'..' path segment");
    copy[2].path = "dir/";
    expect_failure(&fetch, copy, n, CAP, REG_EINVAL, "no file name");
    copy[2].path = "config.json";
    copy[2].url = NULL;
    expect_failure(&fetch, copy, n, CAP, REG_EINVAL, "no URL");
    expect_failure(&fetch, files, -1, CAP, REG_EINVAL, "reg_bundle_build");
    expect_failure(&fetch, files, n, 0, REG_EINVAL, "reg_bundle_build");
    assert_int_equal(requests_seen(), 0);

    /* an empty list is an empty zip */
    {
        struct reg_blob_info info;

        assert_int_equal(reg_bundle_build(store, &fetch, files, 0, CAP, &info), REG_OK);
        assert_int_equal(info.size, 22);
    }
    reg_arena_cleanup(&a);
}

int
main(void)
{
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_aspects),
        cmocka_unit_test(test_listing_urls),
    };
    const struct CMUnitTest online[] = {
        TEST(test_full_dataset_bundle),
        TEST(test_card_bundle_is_deterministic),
        TEST(test_weights_bundle),
        TEST(test_gated_dataset),
        TEST(test_code_bundle),
        TEST(test_unknown_sizes),
        TEST(test_fetch_fails_half_way),
        TEST(test_wrong_sizes_and_cap),
        TEST(test_bad_lists),
    };
#undef TEST
    const char *env = getenv(UPSTREAM_ENV);
    int failed;

    failed = cmocka_run_group_tests_name("bundle/bundle offline", offline, NULL, NULL);
    if (!env || !*env) {
        fprintf(stderr,
                "test_bundle: %s is not set. These tests need the upstream fixture server; run "
                "them through scripts/run-unit.sh, which starts it.\n",
                UPSTREAM_ENV);
        return 1;
    }
    snprintf(upstream, sizeof(upstream), "%s", env);
    while (strlen(upstream) > 0 && upstream[strlen(upstream) - 1] == '/')
        upstream[strlen(upstream) - 1] = '\0';
    failed += cmocka_run_group_tests_name("bundle/bundle", online, NULL, NULL);
    return failed;
}
