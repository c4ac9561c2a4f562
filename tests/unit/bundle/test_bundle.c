/*
 * test_bundle.c - bundles streamed as zips (lib/bundle/bundle.c). Offline: the aspects and the
 * URLs of upstream listings. Against the fixture server (REGISTRY_TEST_UPSTREAM_URL, started by
 * scripts/run-unit.sh), with corpus and synthesized repositories: zips streamed by
 * reg_bundle_stream into a sink (memory or a temp file) are exactly reg_bundle_zip_size bytes
 * long, pass zipcheck, are read back by libarchive with every entry equal (size and SHA-256) to
 * the same file downloaded directly here, and are the same bytes when streamed twice; a gated
 * dataset with and without a token; a GitHub code bundle from the tree and the contents API; an
 * empty list. Failures: a listed file upstream answers 404 for, listed sizes that differ from
 * the served ones, injected 500s and connection resets, a URL outside the allowed bases, an
 * upstream that cannot be reached (nothing may reach the sink), a sink that fails (its status
 * stops the stream), and lists both reg_bundle_zip_size and reg_bundle_stream refuse before
 * any request (nothing may reach the sink).
 */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "bundle/bundle.h"
#include "bundle/zipcheck.h"
#include "tmpdir_fixture.h"
#include "upstream/fixture_control.h"
#include "upstream/github.h"
#include "upstream/huggingface.h"

#define MB ((int64_t)1024 * 1024)
/* Bytes a memory sink holds at most (the largest zip streamed into memory is ~10 MB). */
#define MEM_SINK_MAX ((size_t)(128 * MB))
/* Entries of a zip read back, at most. */
#define MAX_ENTRIES 64
/* The synthesized model whose weights are 6 MiB (a name ending in -<N>mb, see the fixture). */
#define SYNTH_MODEL "fixture-lab/stream-test-6mb"
#define SYNTH_WEIGHTS (6 * MB)

/* ---------------------------------------------------------------- a temp directory */

static char tmp_root[256];

/* Each online test: a fresh fixture configuration and an empty temp directory. */
static int
setup(void **state)
{
    reset_fixture(state);
    tmpdir_make(tmp_root, sizeof(tmp_root), NULL, "bundletest");
    return 0;
}

/* Forgets the test's faults (and synthesis, which a reset keeps) and its temp directory. */
static int
teardown(void **state)
{
    json_object_put(control("POST", "/__fixture/config", "{\"synthesize\": false}"));
    reset_fixture(state);
    tmpdir_remove(tmp_root);
    return 0;
}

/* ---------------------------------------------------------------- sinks */

/* A sink collecting the zip in memory, or in a file when f is set. With fail_byte >= 0 it
 * fails (with fail_with) at the call that carries byte fail_byte of the zip, and counts the
 * calls made after that. */
struct sink {
    struct reg_buf buf;
    FILE *f;
    int64_t bytes;
    int calls;
    int64_t fail_byte;
    enum reg_status fail_with;
    bool failed;
    int calls_after_failure;
};

static void
sink_init(struct sink *s)
{
    memset(s, 0, sizeof(*s));
    s->fail_byte = -1;
    reg_buf_init(&s->buf, MEM_SINK_MAX);
}

static void
sink_cleanup(struct sink *s)
{
    reg_buf_cleanup(&s->buf);
    if (s->f)
        fclose(s->f);
    s->f = NULL;
}

static enum reg_status
to_sink(void *ctx, const void *data, size_t len)
{
    struct sink *s = ctx;

    s->calls++;
    if (s->failed)
        s->calls_after_failure++;
    if (s->failed || (s->fail_byte >= 0 && s->bytes + (int64_t)len > s->fail_byte)) {
        s->failed = true;
        return reg_errorf(s->fail_with, "the test's sink fails at byte %lld",
                          (long long)s->fail_byte);
    }
    s->bytes += (int64_t)len;
    if (s->f)
        return fwrite(data, 1, len, s->f) == len ? REG_OK : reg_errorf(REG_ESTORE, "cannot write");
    return reg_buf_append(&s->buf, data, len);
}

/* ---------------------------------------------------------------- reading a zip back */

struct zentry {
    char path[256];
    int64_t size;
    unsigned char sha[32];
};

/* The entries of the zip ar reads, in order, with the SHA-256 of each one's bytes; frees ar. */
static int
read_entries(struct archive *ar, struct zentry *out, int max)
{
    struct archive_entry *e;
    int n = 0, rc;

    while ((rc = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned int dlen = 0;
        const void *buf;
        size_t len;
        la_int64_t off;

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
    if (rc != ARCHIVE_EOF)
        fail_msg("libarchive: %s", archive_error_string(ar));
    archive_read_free(ar);
    return n;
}

static struct archive *
zip_reader(void)
{
    struct archive *ar = archive_read_new();

    assert_non_null(ar);
    archive_read_support_format_zip(ar);
    return ar;
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

/*
 * Checks the zip ar reads (its length len) against the sorted list: exactly the listed files in
 * order, each with the size and SHA-256 of a direct download (with bearer and accept) and its
 * listed size; the length is reg_bundle_zip_size's.
 */
static void
verify_zip(struct archive *ar, int64_t len, const struct reg_bundle_file *files, int n,
           const char *bearer, const char *accept)
{
    struct zentry *got = calloc(MAX_ENTRIES, sizeof(*got));
    int64_t want;
    int bad = 0, m;

    assert_non_null(got);
    assert_int_equal(reg_bundle_zip_size(files, n, &want), REG_OK);
    assert_int_equal(len, want);
    m = read_entries(ar, got, MAX_ENTRIES);
    assert_int_equal(m, n);
    for (int i = 0; i < n; i++) {
        unsigned char sha[32];
        int64_t size;

        direct_download(files[i].url, bearer, accept, sha, &size);
        CHECK(&bad, strcmp(got[i].path, files[i].path) == 0, "entry %d is %s, want %s", i,
              got[i].path, files[i].path);
        CHECK(&bad, got[i].size == size, "%s: %lld bytes, served %lld", got[i].path,
              (long long)got[i].size, (long long)size);
        CHECK(&bad, files[i].size == size, "%s: listed %lld, served %lld", files[i].path,
              (long long)files[i].size, (long long)size);
        CHECK(&bad, memcmp(got[i].sha, sha, 32) == 0, "%s: SHA-256 differs from the download",
              got[i].path);
    }
    free(got);
    assert_int_equal(bad, 0);
}

/* verify_zip on a zip in memory, which zipcheck accepts too. */
static void
verify_zip_memory(const struct reg_buf *z, const struct reg_bundle_file *files, int n,
                  const char *bearer, const char *accept)
{
    struct archive *ar = zip_reader();
    struct reg_zip_report rep;
    struct reg_arena a;

    assert_int_equal(archive_read_open_memory(ar, z->data, z->len), ARCHIVE_OK);
    verify_zip(ar, (int64_t)z->len, files, n, bearer, accept);
    reg_arena_init(&a);
    if (reg_zipcheck_memory(&a, z->data, z->len, NULL, &rep) != REG_OK)
        fail_msg("zipcheck: %s", reg_error_detail());
    assert_int_equal(rep.nfiles, n);
    reg_arena_cleanup(&a);
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

static int
cmp_file_paths(const void *x, const void *y)
{
    return strcmp(((const struct reg_bundle_file *)x)->path,
                  ((const struct reg_bundle_file *)y)->path);
}

/* The bundle list of a repository's files that the aspect includes, sorted by path. */
static void
hf_list(struct reg_arena *a, enum reg_bundle_hf_kind kind, const char *id,
        enum reg_bundle_aspect aspect, struct reg_bundle_file **out, int *n)
{
    const struct reg_file_info *files;
    int nfiles;

    hf_listing(a, kind, id, "hf_unit_test_token", &files, &nfiles);
    assert_int_equal(reg_bundle_hf_files(a, upstream, kind, id, files, nfiles, aspect, out, n),
                     REG_OK);
    if (*n > 0)
        qsort(*out, (size_t)*n, sizeof(**out), cmp_file_paths);
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
        CHECK(&bad, reg_bundle_is_weight(p) == cases[i].weights, "is_weight %s", p);
    }
    assert_int_equal(bad, 0);
    assert_false(reg_bundle_is_weight(NULL));
    assert_false(reg_bundle_aspect_includes(REG_BUNDLE_FULL, NULL));
    assert_string_equal(reg_bundle_aspect_name((enum reg_bundle_aspect)7), "unknown");
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
        {"README.md", 120, NULL, NULL},
        {"onnx/model.onnx", 5000, NULL, NULL},
        {"dir with space/caf\xc3\xa9 #1?.txt", -7, NULL, NULL},
        {"a+b=c&d%e.json", 3, NULL, NULL},
    };
    static const struct reg_file_info unsafe[] = {{"README.md", 1, NULL, NULL},
                                                  {"../../etc/passwd", 1, NULL, NULL}};
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

/* ---------------------------------------------------------------- streams that succeed */

/* Streams files into a fresh sink s (the caller cleans it up); logs a failure's detail. */
static enum reg_status
stream_into(const struct reg_bundle_fetch *fetch, const struct reg_bundle_file *files, int n,
            struct sink *s)
{
    enum reg_status st;

    sink_init(s);
    st = reg_bundle_stream(fetch, files, n, to_sink, s);
    if (st != REG_OK)
        printf("stream refused (%s): %s\n", reg_status_name(st), reg_error_detail());
    return st;
}

/* The model card aspect of openai/whisper-tiny (11 files, stored): the zip matches the files,
 * and a second stream gives the same bytes. */
static void
test_card_stream_is_deterministic(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files;
    struct sink first, again;
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
    assert_int_equal(reg_bundle_zip_size(files, n, &size), REG_OK);
    assert_int_equal(stream_into(&fetch, files, n, &first), REG_OK);
    assert_int_equal(first.bytes, (int64_t)first.buf.len);
    assert_int_equal((int64_t)first.buf.len, size);
    printf("card zip: %d files, %lld bytes of content in %lld bytes, %d sink calls\n", n,
           (long long)content, (long long)size, first.calls);
    assert_true(size > content); /* stored, not deflated */
    verify_zip_memory(&first.buf, files, n, NULL, NULL);

    assert_int_equal(stream_into(&fetch, files, n, &again), REG_OK);
    assert_int_equal(again.buf.len, first.buf.len);
    assert_memory_equal(again.buf.data, first.buf.data, first.buf.len);
    sink_cleanup(&first);
    sink_cleanup(&again);
    reg_arena_cleanup(&a);
}

/* A whole dataset (3 files, 9.3 MB, one 9.28 MB Parquet file). */
static void
test_dataset_stream(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files;
    struct sink s;
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_DATASET, "hf-internal-testing/librispeech_asr_dummy", REG_BUNDLE_FULL,
            &files, &n);
    assert_int_equal(n, 3);
    assert_int_equal(stream_into(&fetch, files, n, &s), REG_OK);
    printf("dataset zip: %zu bytes in %d sink calls\n", s.buf.len, s.calls);
    assert_true(s.buf.len > 9284576);
    verify_zip_memory(&s.buf, files, n, NULL, NULL);
    sink_cleanup(&s);
    reg_arena_cleanup(&a);
}

/* A synthesized model with 6 MiB of weights, streamed into a temp file. */
static void
test_synthetic_model_to_file(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files;
    struct reg_zip_report rep;
    struct archive *ar;
    struct sink s;
    struct reg_arena a;
    struct stat st;
    char path[400];
    int64_t size;
    int n, weights = -1;

    (void)state;
    fixture_config("{\"synthesize\": true}");
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_MODEL, SYNTH_MODEL, REG_BUNDLE_FULL, &files, &n);
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++)
        if (strcmp(files[i].path, "model.safetensors") == 0)
            weights = i;
    assert_true(weights >= 0);
    assert_int_equal(files[weights].size, SYNTH_WEIGHTS);

    snprintf(path, sizeof(path), "%s/bundle.zip", tmp_root);
    sink_init(&s);
    s.f = fopen(path, "wb");
    assert_non_null(s.f);
    assert_int_equal(reg_bundle_stream(&fetch, files, n, to_sink, &s), REG_OK);
    assert_int_equal(fclose(s.f), 0);
    s.f = NULL;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(reg_bundle_zip_size(files, n, &size), REG_OK);
    assert_int_equal((int64_t)st.st_size, size);
    assert_int_equal(s.bytes, size);
    printf("synthetic zip: %lld bytes in %d sink calls\n", (long long)size, s.calls);

    ar = zip_reader();
    assert_int_equal(archive_read_open_filename(ar, path, 65536), ARCHIVE_OK);
    verify_zip(ar, (int64_t)st.st_size, files, n, NULL, NULL);
    if (reg_zipcheck_file(&a, path, NULL, &rep) != REG_OK)
        fail_msg("zipcheck: %s", reg_error_detail());
    assert_int_equal(rep.nfiles, n);
    sink_cleanup(&s);
    reg_arena_cleanup(&a);
}

/* A gated dataset (44 files): with a token it is streamed; without, its first gated file is
 * refused (401). */
static void
test_gated_dataset(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch with = hf_fetch(&cfg, "hf_unit_test_token");
    struct reg_bundle_fetch without = {&cfg, NULL, NULL};
    struct reg_bundle_file *files;
    struct sink s;
    struct reg_arena a;
    int n;

    (void)state;
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_DATASET, "LanguageShades/BiasShades", REG_BUNDLE_FULL, &files, &n);
    assert_int_equal(n, 44);
    assert_int_equal(stream_into(&without, files, n, &s), REG_EUPSTREAM);
    assert_non_null(strstr(reg_error_detail(), "HTTP 401"));
    sink_cleanup(&s);
    assert_int_equal(stream_into(&with, files, n, &s), REG_OK);
    verify_zip_memory(&s.buf, files, n, "hf_unit_test_token", NULL);
    sink_cleanup(&s);
    reg_arena_cleanup(&a);
}

/* A GitHub repository from its tree and the contents API (raw). */
static void
test_code_stream(void **state)
{
    struct reg_http_config cfg = fixture_http_config();
    struct reg_bundle_fetch fetch = {&cfg, "ghp_unit_test_token", REG_BUNDLE_GH_ACCEPT};
    struct reg_code_signals code;
    struct reg_bundle_file *files;
    struct sink s;
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
    qsort(files, (size_t)n, sizeof(*files), cmp_file_paths);
    assert_int_equal(stream_into(&fetch, files, n, &s), REG_OK);
    printf("code zip: %d files in %zu bytes\n", n, s.buf.len);
    verify_zip_memory(&s.buf, files, n, NULL, REG_BUNDLE_GH_ACCEPT);
    sink_cleanup(&s);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- the observer */

/* An observer that records each file it is told: path, bytes and SHA-256. It refuses, with
 * REG_EDISQUALIFIED, at the end of file refuse_at (-1: never). */
struct seen {
    int refuse_at;
    int begun, ended;
    bool open;
    struct zentry files[MAX_ENTRIES];
    EVP_MD_CTX *md;
};

static enum reg_status
seen_begin(void *ctx, const char *path)
{
    struct seen *o = ctx;

    assert_false(o->open);
    assert_true(o->begun < MAX_ENTRIES);
    snprintf(o->files[o->begun].path, sizeof(o->files[o->begun].path), "%s", path);
    o->files[o->begun].size = 0;
    o->md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(o->md, EVP_sha256(), NULL);
    o->open = true;
    o->begun++;
    return REG_OK;
}

static enum reg_status
seen_data(void *ctx, const void *buf, size_t len)
{
    struct seen *o = ctx;
    struct zentry *f = &o->files[o->begun - 1];

    assert_true(o->open);
    EVP_DigestUpdate(o->md, buf, len);
    f->size += (int64_t)len;
    return REG_OK;
}

static enum reg_status
seen_end(void *ctx)
{
    struct seen *o = ctx;
    unsigned int dlen = 0;

    assert_true(o->open);
    EVP_DigestFinal_ex(o->md, o->files[o->begun - 1].sha, &dlen);
    EVP_MD_CTX_free(o->md);
    o->md = NULL;
    o->open = false;
    o->ended++;
    if (o->ended - 1 == o->refuse_at)
        return reg_errorf(REG_EDISQUALIFIED, "the test refuses '%s'", o->files[o->begun - 1].path);
    return REG_OK;
}

/* Every file of a synthesized model is told to the observer in order, byte for byte what the
 * zip holds, in the same pass. */
static void
test_observer_sees_every_file(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_zip_observer obs = {NULL, seen_begin, seen_data, seen_end};
    struct zentry zipped[MAX_ENTRIES];
    struct reg_bundle_file *files;
    struct archive *ar = zip_reader();
    struct seen *o = calloc(1, sizeof(*o));
    struct sink s;
    struct reg_arena a;
    int n, nz, requests;

    (void)state;
    assert_non_null(o);
    fixture_config("{\"synthesize\": true}");
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_MODEL, SYNTH_MODEL, REG_BUNDLE_FULL, &files, &n);
    requests = requests_seen();
    o->refuse_at = -1;
    obs.ctx = o;
    sink_init(&s);
    assert_int_equal(reg_bundle_stream_observed(&fetch, files, n, &obs, to_sink, &s), REG_OK);
    assert_int_equal(requests_seen() - requests, n); /* one fetch per file: no second read */
    assert_int_equal(o->begun, n);
    assert_int_equal(o->ended, n);
    assert_int_equal(archive_read_open_memory(ar, s.buf.data, s.buf.len), ARCHIVE_OK);
    nz = read_entries(ar, zipped, MAX_ENTRIES);
    assert_int_equal(nz, n);
    for (int i = 0; i < n; i++) {
        assert_string_equal(o->files[i].path, files[i].path);
        assert_int_equal(o->files[i].size, files[i].size);
        assert_string_equal(zipped[i].path, files[i].path);
        assert_memory_equal(o->files[i].sha, zipped[i].sha, 32);
    }
    sink_cleanup(&s);
    reg_arena_cleanup(&a);
    free(o);
}

/* An observer's refusal at a file's end stops the zip with its status and detail: no later
 * file is fetched or begun. */
static void
test_observer_refusal_stops_the_zip(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_zip_observer obs = {NULL, seen_begin, seen_data, seen_end};
    struct reg_bundle_file *files;
    struct seen *o = calloc(1, sizeof(*o));
    struct sink s;
    struct reg_arena a;
    int n, requests;

    (void)state;
    assert_non_null(o);
    fixture_config("{\"synthesize\": true}");
    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_MODEL, SYNTH_MODEL, REG_BUNDLE_FULL, &files, &n);
    assert_true(n > 3);
    requests = requests_seen();
    o->refuse_at = 1;
    obs.ctx = o;
    sink_init(&s);
    assert_int_equal(reg_bundle_stream_observed(&fetch, files, n, &obs, to_sink, &s),
                     REG_EDISQUALIFIED);
    assert_non_null(strstr(reg_error_detail(), files[1].path));
    assert_int_equal(o->begun, 2);
    assert_int_equal(requests_seen() - requests, 2);
    sink_cleanup(&s);
    reg_arena_cleanup(&a);
    free(o);
}

/* No file: the 22-byte empty zip, without a request. */
static void
test_empty_list(void **state)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct archive *ar = zip_reader();
    struct archive_entry *e;
    struct sink s;
    int64_t size = -1;

    (void)state;
    assert_int_equal(reg_bundle_zip_size(NULL, 0, &size), REG_OK);
    assert_int_equal(size, 22);
    assert_int_equal(stream_into(&fetch, NULL, 0, &s), REG_OK);
    assert_int_equal(s.buf.len, 22);
    assert_int_equal(archive_read_open_memory(ar, s.buf.data, s.buf.len), ARCHIVE_OK);
    assert_int_equal(archive_read_next_header(ar, &e), ARCHIVE_EOF);
    archive_read_free(ar);
    assert_int_equal(requests_seen(), 0);
    sink_cleanup(&s);
}

/* ---------------------------------------------------------------- failures */

/* What a failure test breaks: the three small files of fixture-lab/poor-metadata-model
 * (.gitattributes, README.md, config.json: 1627 bytes), a copy of them with room for one more,
 * and a fetch from the fixture without a token. Strings live in the arena. */
struct small {
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch;
    struct reg_arena a;
    struct reg_bundle_file *files;
    struct reg_bundle_file copy[4];
    int n;
};

/* Makes the copy the listed files again, undoing what a case changed. */
static void
small_restore(struct small *t)
{
    memcpy(t->copy, t->files, (size_t)t->n * sizeof(*t->files));
}

/* Lists the files into t, in place: t->fetch points at t->cfg. */
static void
small_init(struct small *t)
{
    t->fetch = hf_fetch(&t->cfg, NULL);
    reg_arena_init(&t->a);
    hf_list(&t->a, REG_BUNDLE_HF_MODEL, "fixture-lab/poor-metadata-model", REG_BUNDLE_FULL,
            &t->files, &t->n);
    assert_int_equal(t->n, 4);
    assert_string_equal(t->files[2].path, "config.json");
    assert_string_equal(t->files[3].path, "pytorch_model.bin");
    t->n = 3;
    small_restore(t);
}

static void
small_cleanup(struct small *t)
{
    reg_arena_cleanup(&t->a);
}

/* Streams files and expects status st with a detail holding detail. */
static void
expect_failure(const struct reg_bundle_fetch *fetch, const struct reg_bundle_file *files, int n,
               enum reg_status st, const char *detail)
{
    struct sink s;

    assert_int_equal(stream_into(fetch, files, n, &s), st);
    assert_non_null(strstr(reg_error_detail(), detail));
    sink_cleanup(&s);
}

/* A listed file upstream does not have (404): last, alone, or in a missing repository. */
static void
test_missing_file(void **state)
{
    struct small t;
    struct reg_bundle_file *more = t.copy;

    (void)state;
    small_init(&t);
    more[3].path = "zz-missing.json";
    more[3].url = reg_arena_sprintf(&t.a,
                                    "%s/fixture-lab/poor-metadata-model/resolve/main/"
                                    "zz-missing.json",
                                    upstream);
    more[3].size = 10;
    expect_failure(&t.fetch, more, 4, REG_EUPSTREAM, "zz-missing.json");
    assert_non_null(strstr(reg_error_detail(), "404"));
    expect_failure(&t.fetch, &more[3], 1, REG_EUPSTREAM, "zz-missing.json");

    more[0].path = "README.md";
    more[0].url =
        reg_arena_sprintf(&t.a, "%s/fixture-lab/missing-model/resolve/main/README.md", upstream);
    more[0].size = 100;
    expect_failure(&t.fetch, more, 1, REG_EUPSTREAM, "README.md");
    small_cleanup(&t);
}

/* Listed sizes that differ from what upstream serves, first or last file. */
static void
test_wrong_sizes(void **state)
{
    struct small t;

    (void)state;
    small_init(&t);
    for (int i = 0; i < t.n; i += 2) {
        const struct {
            int64_t size;
            const char *detail;
        } wrong[] = {
            {t.files[i].size - 1, "longer than its listed"}, /* the server sends one byte more */
            {t.files[i].size + 1, "its listing says"},       /* one byte less */
            {0, t.files[i].path},
        };

        for (int k = 0; k < NELEMS(wrong); k++) {
            small_restore(&t);
            t.copy[i].size = wrong[k].size;
            expect_failure(&t.fetch, t.copy, t.n, REG_EUPSTREAM, wrong[k].detail);
        }
    }
    small_cleanup(&t);
}

/* Injected 500s and resets on config.json: retried, then given up; a single reset is retried. */
static void
test_server_faults(void **state)
{
    static const struct {
        const char *config; /* the fixture's fault */
        const char *detail; /* in the error, or NULL: the stream succeeds */
    } faults[] = {
        {"{\"fail\": \"500\", \"fail_paths\": \"config\\\\.json\", \"fail_count\": null}",
         "HTTP 500"},
        {"{\"fail\": \"reset\", \"fail_paths\": \"config\\\\.json\", \"fail_count\": null}",
         "config.json"},
        {"{\"fail\": \"reset\", \"fail_paths\": \"config\\\\.json\", \"fail_count\": 1}", NULL},
    };
    struct small t;
    struct sink s;

    (void)state;
    small_init(&t);
    for (int k = 0; k < NELEMS(faults); k++) {
        /* Each fault alone, on a fixture that forgot the one before. */
        reset_fixture(NULL);
        fixture_config(faults[k].config);
        if (faults[k].detail) {
            expect_failure(&t.fetch, t.files, t.n, REG_EUPSTREAM, faults[k].detail);
            continue;
        }
        assert_int_equal(stream_into(&t.fetch, t.files, t.n, &s), REG_OK);
        verify_zip_memory(&s.buf, t.files, t.n, NULL, NULL);
        sink_cleanup(&s);
    }
    small_cleanup(&t);
}

/* A URL outside the allowed bases is refused when its turn comes. */
static void
test_outside_allowed_base(void **state)
{
    struct small t;

    (void)state;
    small_init(&t);
    t.copy[1].url = "https://huggingface.co/gpt2/resolve/main/README.md";
    expect_failure(&t.fetch, t.copy, t.n, REG_EUPSTREAM, "not under an allowed upstream base");
    small_cleanup(&t);
}

/* A loopback port nothing listens on: bound, then closed without listen(). */
static int
closed_port(void)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    assert_true(fd >= 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* Upstream cannot be reached: a failure, and for the first file nothing reaches the sink. */
static void
test_unreachable_upstream(void **state)
{
    char base[64];
    const char *bases[2] = {upstream, base};
    struct small t;
    struct sink s;
    enum reg_status st;

    (void)state;
    small_init(&t);
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", closed_port());
    t.cfg.allowed_bases = bases;
    t.cfg.nallowed = 2;
    for (int i = 0; i < t.n; i++)
        t.copy[i].url = reg_arena_sprintf(
            &t.a, "%s/fixture-lab/poor-metadata-model/resolve/main/%s", base, t.files[i].path);
    st = stream_into(&t.fetch, t.copy, t.n, &s);
    assert_true(st == REG_EUPSTREAM || st == REG_EUNAVAILABLE);
    assert_int_equal(s.calls, 0);
    assert_int_equal(s.bytes, 0);
    sink_cleanup(&s);

    /* the first file is served, the last one cannot be fetched */
    memcpy(t.copy, t.files, 2 * sizeof(*t.files));
    st = stream_into(&t.fetch, t.copy, t.n, &s);
    assert_true(st == REG_EUPSTREAM || st == REG_EUNAVAILABLE);
    assert_non_null(strstr(reg_error_detail(), "config.json"));
    sink_cleanup(&s);
    small_cleanup(&t);
}

/* For each status: a sink that fails with it at its first, a middle or its last call (the one
 * with the zip's first, middle or last byte) stops the stream with that status, and is not
 * called again. */
static void
check_sink_failures(const enum reg_status *statuses, int nstatuses)
{
    struct reg_http_config cfg;
    struct reg_bundle_fetch fetch = hf_fetch(&cfg, NULL);
    struct reg_bundle_file *files;
    struct reg_arena a;
    struct sink s;
    int64_t total;
    int n, bad = 0;

    reg_arena_init(&a);
    hf_list(&a, REG_BUNDLE_HF_MODEL, "openai/whisper-tiny", REG_BUNDLE_CARD, &files, &n);
    assert_int_equal(reg_bundle_zip_size(files, n, &total), REG_OK);
    for (int i = 0; i < nstatuses; i++) {
        const int64_t at[] = {0, total / 2, total - 1};

        for (int k = 0; k < NELEMS(at); k++) {
            enum reg_status st;

            sink_init(&s);
            s.fail_byte = at[k];
            s.fail_with = statuses[i];
            st = reg_bundle_stream(&fetch, files, n, to_sink, &s);
            CHECK(&bad, st == statuses[i], "sink failing with %s at byte %lld of %lld: got %s (%s)",
                  reg_status_name(statuses[i]), (long long)at[k], (long long)total,
                  reg_status_name(st), reg_error_detail());
            CHECK(&bad, s.failed && s.calls_after_failure == 0,
                  "sink failing at byte %lld: failed %d, called %d times after", (long long)at[k],
                  s.failed, s.calls_after_failure);
            sink_cleanup(&s);
        }
    }
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

/* The store's errors (a part file that cannot be written), and a client gone. */
static void
test_sink_errors(void **state)
{
    static const enum reg_status statuses[] = {REG_ESTORE, REG_EINTERNAL, REG_EUNAVAILABLE};

    (void)state;
    check_sink_failures(statuses, NELEMS(statuses));
}

/* A full disk (what lib/bundle/fill.c's sink returns on ENOSPC), and any other status. */
static void
test_sink_errors_other_statuses(void **state)
{
    static const enum reg_status statuses[] = {REG_ENOSPACE, REG_ECONFLICT};

    (void)state;
    check_sink_failures(statuses, NELEMS(statuses));
}

/* Lists refused by reg_bundle_zip_size and reg_bundle_stream alike, before any request. */
static void
test_bad_lists(void **state)
{
    static const struct {
        const char *what;
        int index;        /* the file changed, or -1 */
        const char *path; /* its new path, or NULL to keep it */
        const char *url;  /* its new URL, or NULL to keep it */
        int64_t size;     /* its new size, or INT64_MIN to keep it */
    } cases[] = {
        {"unsorted", 0, "config.json", NULL, INT64_MIN},
        {"unsorted at the end", 2, "README.md", NULL, INT64_MIN},
        {"duplicate path", 2, ".gitattributes", NULL, INT64_MIN},
        {"zip slip", 2, "../../escape.json", NULL, INT64_MIN},
        {"zip slip inside", 2, "dir/../../escape.json", NULL, INT64_MIN},
        {"absolute path", 0, "/etc/passwd", NULL, INT64_MIN},
        {"drive letter", 0, "C:/x.json", NULL, INT64_MIN},
        {"backslash", 2, "dir\\x.json", NULL, INT64_MIN},
        {"directory", 2, "dir/", NULL, INT64_MIN},
        {"empty path", 0, "", NULL, INT64_MIN},
        {"empty URL", 1, NULL, "", INT64_MIN},
        {"negative size", 2, NULL, NULL, -1},
        {"very negative size", 0, NULL, NULL, INT64_MIN + 1},
    };
    struct small t;
    struct reg_bundle_file *many;
    int bad = 0;

    (void)state;
    small_init(&t);
    reset_fixture(NULL);
    for (int i = 0; i < NELEMS(cases) + 3; i++) {
        const char *what = i < NELEMS(cases) ? cases[i].what : "no path or URL";
        int64_t size = -7;
        enum reg_status st;
        struct sink s;

        small_restore(&t);
        if (i < NELEMS(cases)) {
            int k = cases[i].index;

            t.copy[k].path = cases[i].path ? cases[i].path : t.copy[k].path;
            t.copy[k].url = cases[i].url ? cases[i].url : t.copy[k].url;
            t.copy[k].size = cases[i].size != INT64_MIN ? cases[i].size : t.copy[k].size;
        } else if (i == NELEMS(cases)) {
            t.copy[1].url = NULL;
        } else if (i == NELEMS(cases) + 1) {
            t.copy[0].path = NULL;
        } else {
            t.copy[2].path = NULL;
            t.copy[2].url = NULL;
        }
        st = reg_bundle_zip_size(t.copy, t.n, &size);
        CHECK(&bad, st == REG_EINVAL, "%s: zip_size says %s", what, reg_status_name(st));
        sink_init(&s);
        st = reg_bundle_stream(&t.fetch, t.copy, t.n, to_sink, &s);
        CHECK(&bad, st == REG_EINVAL, "%s: stream says %s", what, reg_status_name(st));
        CHECK(&bad, s.calls == 0, "%s: the sink was called %d times", what, s.calls);
        printf("%s: %s\n", what, reg_error_detail());
        sink_cleanup(&s);
    }

    /* bad counts and arguments */
    {
        int64_t size;
        struct sink s;

        assert_int_equal(reg_bundle_zip_size(t.files, -1, &size), REG_EINVAL);
        assert_int_equal(reg_bundle_zip_size(NULL, 2, &size), REG_EINVAL);
        sink_init(&s);
        assert_int_equal(reg_bundle_stream(&t.fetch, t.files, -1, to_sink, &s), REG_EINVAL);
        assert_int_equal(reg_bundle_stream(&t.fetch, NULL, 2, to_sink, &s), REG_EINVAL);
        assert_int_equal(reg_bundle_stream(NULL, t.files, t.n, to_sink, &s), REG_EINVAL);
        assert_int_equal(reg_bundle_stream(&t.fetch, t.files, t.n, NULL, &s), REG_EINVAL);
        assert_int_equal(s.calls, 0);
        sink_cleanup(&s);
    }

    /* more files than a bundle may hold */
    many = reg_arena_alloc(&t.a, (REG_BUNDLE_MAX_FILES + 1) * sizeof(*many));
    for (int i = 0; i < REG_BUNDLE_MAX_FILES + 1; i++) {
        many[i].path = reg_arena_sprintf(&t.a, "f%06d.json", i);
        many[i].url = t.files[2].url;
        many[i].size = t.files[2].size;
    }
    {
        int64_t size;
        struct sink s;

        assert_int_equal(reg_bundle_zip_size(many, REG_BUNDLE_MAX_FILES, &size), REG_OK);
        assert_int_equal(reg_bundle_zip_size(many, REG_BUNDLE_MAX_FILES + 1, &size), REG_EINVAL);
        sink_init(&s);
        assert_int_equal(reg_bundle_stream(&t.fetch, many, REG_BUNDLE_MAX_FILES + 1, to_sink, &s),
                         REG_EINVAL);
        assert_int_equal(s.calls, 0);
        sink_cleanup(&s);
    }
    assert_int_equal(requests_seen(), 0);
    small_cleanup(&t);
    assert_int_equal(bad, 0);
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
        TEST(test_card_stream_is_deterministic),
        TEST(test_dataset_stream),
        TEST(test_synthetic_model_to_file),
        TEST(test_gated_dataset),
        TEST(test_code_stream),
        TEST(test_observer_sees_every_file),
        TEST(test_observer_refusal_stops_the_zip),
        TEST(test_empty_list),
        TEST(test_missing_file),
        TEST(test_wrong_sizes),
        TEST(test_server_faults),
        TEST(test_outside_allowed_base),
        TEST(test_unreachable_upstream),
        TEST(test_sink_errors),
        TEST(test_sink_errors_other_statuses),
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
