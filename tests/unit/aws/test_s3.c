/*
 * test_s3.c - the S3 client (aws/s3) against a local s3rver, plus what s3rver cannot show.
 *
 * Three groups:
 *   signing   the presigned-URL extension of the signer against AWS's documented example
 *             (examplebucket/test.txt, expected signature from the S3 API reference), the
 *             header-signed S3 GET example with a Range, and the client's argument checks
 *             (no network);
 *   s3rver    round trips, ranges, multipart uploads of a generated 40 MiB file, paged
 *             listings, unusual keys, presigned GETs and an unreachable endpoint, against
 *             REGISTRY_TEST_S3_ENDPOINT (http://127.0.0.1:<port>), which scripts/run-unit.sh
 *             sets after starting s3rver (tests/s3). Every test works in a bucket of its own,
 *             "unit-s3-<pid>-<n>", created by the fixture; nothing is cleaned up (the script
 *             removes s3rver's directory when the run ends);
 *   scripted  a small HTTP server in a thread of this process, answering each request from a
 *             table, for what s3rver never does: refusing a part, a 200 with an <Error> body,
 *             SlowDown, a body cut short.
 *
 * What s3rver (3.7.1) checks, which decides what these tests can prove:
 *   - It does not verify SigV4 signatures, neither in the Authorization header nor in presigned
 *     URLs: it only checks that the access key is one it knows ("S3RVER"), that the header form
 *     has x-amz-content-sha256 and a date within 15 minutes, and that a presigned URL has all
 *     its X-Amz-* parameters and has not expired. So the presigned GET test proves the URL's
 *     shape and the key's encoding; the AWS example vector is the proof of the signature.
 *   - It implements Range (start-end and start-; "bytes=0-0" returns the whole object, which
 *     the client cuts to the byte asked for), ListObjectsV2 with continuation tokens and
 *     max-keys (it needs node's --openssl-legacy-provider for its DES tokens, see
 *     scripts/run-unit.sh), and multipart upload (without checking part ETags or the 5 MiB
 *     minimum; the final ETag is the MD5 of the whole object, not S3's "<md5>-<parts>").
 *   - It has no AbortMultipartUpload (405 MethodNotAllowed) and no ListMultipartUploads (501):
 *     that an abort leaves no parts cannot be checked against it. The scripted server checks
 *     instead that every failed multipart upload sends its abort.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "arena_fixture.h"
#include "aws/s3.h"
#include "aws/sigv4.h"
#include "base/str.h"
#include "loopback_fixture.h"
#include "script_server.h"

#define ENDPOINT_ENV "REGISTRY_TEST_S3_ENDPOINT"
/* s3rver's built-in account. */
#define S3RVER_KEY "S3RVER"
#define MIB (1024 * 1024)
/* The multipart file: 8 parts of 5 MiB and a short ninth. */
#define BIG_FILE_BYTES ((int64_t)40 * MIB + 12345)
/* Keys and page size of the listing test: several pages. */
#define LIST_KEYS 23
#define LIST_PAGE 5
/* An unreachable endpoint must fail within this (all attempts and backoffs included). */
#define UNREACHABLE_MAX_SECONDS 3.0

static const char *endpoint;
static int buckets;

struct fixture {
    struct reg_s3 *s3;
    struct reg_arena arena;
    char bucket[64];
};

static void
config(struct reg_s3_config *cfg, const char *ep, const char *bucket)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->endpoint = ep;
    cfg->bucket = bucket;
    cfg->region = "us-east-1";
    cfg->access_key_id = S3RVER_KEY;
    cfg->secret_access_key = S3RVER_KEY;
    /* Small parts, so the 40 MiB file takes several. */
    cfg->part_size = REG_S3_PART_SIZE_MIN;
    cfg->multipart_threshold = REG_S3_PART_SIZE_MIN;
    cfg->list_page_size = LIST_PAGE;
}

static struct reg_s3 *
open_client(const struct reg_s3_config *cfg)
{
    struct reg_s3 *s3 = NULL;
    enum reg_status st = reg_s3_new(cfg, &s3);

    if (st != REG_OK)
        fail_msg("reg_s3_new(%s, %s): status %d (%s)", cfg->endpoint, cfg->bucket, st,
                 reg_error_detail());
    return s3;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct reg_s3_config cfg;
    enum reg_status st;

    assert_non_null(f);
    reg_arena_init(&f->arena);
    snprintf(f->bucket, sizeof(f->bucket), "unit-s3-%ld-%d", (long)getpid(), ++buckets);
    config(&cfg, endpoint, f->bucket);
    f->s3 = open_client(&cfg);
    st = reg_s3_create_bucket(f->s3);
    if (st != REG_OK)
        fail_msg("create bucket %s at %s: status %d (%s)", f->bucket, endpoint, st,
                 reg_error_detail());
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_s3_free(f->s3);
    reg_arena_cleanup(&f->arena);
    free(f);
    return 0;
}

static void
expect_status(enum reg_status got, enum reg_status want, const char *what)
{
    if (got != want)
        fail_msg("%s: status %d (%s), want %d", what, got, reg_error_detail(), want);
}

/* Byte i of the test pattern (not periodic at any power of two). */
static unsigned char
pattern(int64_t i)
{
    uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull;

    return (unsigned char)((x >> 29) ^ (x >> 47));
}

static void
fill(unsigned char *p, int64_t from, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(from + (int64_t)i);
}

/* A sink that collects into a reg_buf. */
static enum reg_status
collect(void *ctx, const void *data, size_t len)
{
    return reg_buf_append(ctx, data, len);
}

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- signing (no network) -------------------------------------------------------------- */

/* The presigned URL example of the S3 API reference ("Authenticating Requests: Using Query
 * Parameters"): GET examplebucket/test.txt, 20130524T000000Z, valid 86400 s. */
static void
test_presign_aws_example(void **state)
{
    struct reg_arena *a = *state;
    struct reg_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
    struct reg_sigv4_request req = {"GET", "/test.txt", "", h, 1, NULL, 0, false, false, false};
    struct reg_sigv4_credentials cred = {"AKIAIOSFODNN7EXAMPLE",
                                         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL};
    struct reg_sigv4_presigned p;

    expect_status(
        reg_sigv4_presign(a, &req, &cred, "us-east-1", "s3", "20130524T000000Z", 86400, &p), REG_OK,
        "presign");
    assert_string_equal(p.canonical_request,
                        "GET\n/test.txt\n"
                        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%"
                        "2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&"
                        "X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
                        "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
    assert_string_equal(p.string_to_sign,
                        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                        "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
    assert_string_equal(p.signature,
                        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    assert_string_equal(p.query,
                        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%"
                        "2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&"
                        "X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
                        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

/* A session token is a signed query parameter; the request's own query comes first; expiry
 * bounds and a missing Host are refused. */
static void
test_presign_token_and_errors(void **state)
{
    struct reg_arena *a = *state;
    struct reg_sigv4_header h[] = {{"Host", "s3.amazonaws.com"}};
    struct reg_sigv4_request req = {"GET", "/b/k", "versionId=3", h,     1,
                                    NULL,  0,      false,         false, false};
    struct reg_sigv4_credentials cred = {"AKID", "secret", "tok/en+="};
    struct reg_sigv4_presigned p;

    expect_status(reg_sigv4_presign(a, &req, &cred, "eu-west-1", "s3", "20240101T000000Z", 60, &p),
                  REG_OK, "presign with token");
    assert_true(strncmp(p.query, "versionId=3&X-Amz-Algorithm=", 28) == 0);
    assert_non_null(strstr(p.query, "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature="));
    assert_non_null(strstr(p.canonical_request, "&X-Amz-Security-Token=tok%2Fen%2B%3D&"));
    assert_non_null(strstr(p.canonical_request, "&versionId=3\n"));
    expect_status(reg_sigv4_presign(a, &req, &cred, "eu-west-1", "s3", "20240101T000000Z", 0, &p),
                  REG_EINVAL, "expires 0");
    expect_status(reg_sigv4_presign(a, &req, &cred, "eu-west-1", "s3", "20240101T000000Z",
                                    REG_SIGV4_PRESIGN_MAX_EXPIRES + 1, &p),
                  REG_EINVAL, "expires past a week");
    assert_null(p.query);
    req.nheaders = 0;
    expect_status(reg_sigv4_presign(a, &req, &cred, "eu-west-1", "s3", "20240101T000000Z", 60, &p),
                  REG_EINVAL, "no Host");
}

/* The header-signed GET example of the same reference (a Range, the empty-body hash): S3
 * paths are signed without normalisation. */
static void
test_sign_aws_get_example(void **state)
{
    struct reg_arena *a = *state;
    struct reg_sigv4_header h[] = {
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"Range", "bytes=0-9"},
        {"x-amz-content-sha256",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"x-amz-date", "20130524T000000Z"}};
    struct reg_sigv4_request req = {"GET", "/test.txt", "", h, 4, NULL, 0, false, true, false};
    struct reg_sigv4_credentials cred = {"AKIAIOSFODNN7EXAMPLE",
                                         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL};
    struct reg_sigv4_result r;

    expect_status(reg_sigv4_sign(a, &req, &cred, "us-east-1", "s3", "20130524T000000Z", &r), REG_OK,
                  "sign");
    assert_string_equal(r.signature,
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    assert_string_equal(r.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
}

/* Configurations reg_s3_new refuses, and the default endpoint. */
static void
test_new_errors(void **state)
{
    struct reg_arena *a = *state;
    struct reg_s3_config cfg;
    struct reg_s3 *s3 = NULL;
    char *url;

    (void)a;
    config(&cfg, "http://s3.example.com", "bucket");
    expect_status(reg_s3_new(&cfg, &s3), REG_EINVAL, "plain http to a remote host");
    assert_null(s3);
    config(&cfg, "http://127.0.0.1:9/path", "bucket");
    expect_status(reg_s3_new(&cfg, &s3), REG_EINVAL, "endpoint with a path");
    config(&cfg, "ftp://127.0.0.1", "bucket");
    expect_status(reg_s3_new(&cfg, &s3), REG_EINVAL, "not http(s)");
    config(&cfg, "http://127.0.0.1:9", "Bad_Bucket");
    expect_status(reg_s3_new(&cfg, &s3), REG_EINVAL, "bad bucket name");
    config(&cfg, "http://127.0.0.1:9", "bucket");
    cfg.secret_access_key = "";
    expect_status(reg_s3_new(&cfg, &s3), REG_EINVAL, "no secret");
    config(&cfg, "http://127.0.0.1:9", "bucket");
    cfg.part_size = REG_S3_PART_SIZE_MIN - 1;
    expect_status(reg_s3_new(&cfg, &s3), REG_EINVAL, "part below 5 MiB");
    config(&cfg, "http://127.0.0.1:9", "bucket");
    cfg.list_page_size = REG_S3_LIST_PAGE_MAX + 1;
    expect_status(reg_s3_new(&cfg, &s3), REG_EINVAL, "page past 1000");

    /* No endpoint: the region's AWS endpoint, path-style. */
    config(&cfg, NULL, "bucket");
    cfg.region = "eu-central-1";
    s3 = open_client(&cfg);
    expect_status(reg_s3_presign_get(s3, a, "dir/a b", 60, &url), REG_OK, "presign");
    assert_true(strncmp(url, "https://s3.eu-central-1.amazonaws.com/bucket/dir/a%20b?", 55) == 0);
    assert_non_null(strstr(url, "X-Amz-Credential=S3RVER%2F"));
    expect_status(reg_s3_presign_get(s3, a, "k", 0, &url), REG_EINVAL, "presign 0 s");
    reg_s3_free(s3);
    reg_s3_free(NULL);
}

/* Keys S3 refuses are refused before any request (the endpoint is unreachable). */
static void
test_key_errors(void **state)
{
    struct reg_s3_config cfg;
    struct reg_s3 *s3;
    char long_key[REG_S3_KEY_MAX + 2];
    struct reg_buf b;
    int64_t size;

    (void)state;
    config(&cfg, "http://127.0.0.1:9", "bucket");
    s3 = open_client(&cfg);
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    expect_status(reg_s3_put_object(s3, "", "x", 1, NULL), REG_EINVAL, "empty key");
    expect_status(reg_s3_put_object(s3, long_key, "x", 1, NULL), REG_EINVAL, "1025-byte key");
    expect_status(reg_s3_head_object(s3, "bad\xff", &size), REG_EINVAL, "not UTF-8");
    expect_status(reg_s3_get_object(s3, "", 10, &b), REG_EINVAL, "get empty key");
    reg_buf_cleanup(&b);
    expect_status(reg_s3_get_range(s3, "k", -1, 1, collect, &b), REG_EINVAL, "negative offset");
    expect_status(reg_s3_get_range(s3, "k", 0, -2, collect, &b), REG_EINVAL, "length -2");
    expect_status(reg_s3_put_file(s3, "k", "/nonexistent/file"), REG_ESTORE, "missing file");
    reg_s3_free(s3);
}

/* ---- against s3rver -------------------------------------------------------------------- */

/* put, head, get, delete, and a missing key through every read. */
static void
test_round_trip(void **state)
{
    struct fixture *f = *state;
    const char *doc = "{\"id\": \"1\", \"name\": \"bert\"}";
    struct reg_buf b;
    int64_t size = -1;

    expect_status(reg_s3_put_object(f->s3, "records/1.json", doc, strlen(doc), "application/json"),
                  REG_OK, "put");
    expect_status(reg_s3_head_object(f->s3, "records/1.json", &size), REG_OK, "head");
    assert_int_equal(size, strlen(doc));
    expect_status(reg_s3_get_object(f->s3, "records/1.json", 1024, &b), REG_OK, "get");
    assert_int_equal(b.len, strlen(doc));
    assert_memory_equal(b.data, doc, b.len);
    reg_buf_cleanup(&b);

    /* Overwrite, then an empty object. */
    expect_status(reg_s3_put_object(f->s3, "records/1.json", "{}", 2, NULL), REG_OK, "overwrite");
    expect_status(reg_s3_head_object(f->s3, "records/1.json", &size), REG_OK, "head 2");
    assert_int_equal(size, 2);
    expect_status(reg_s3_put_object(f->s3, "marker", NULL, 0, NULL), REG_OK, "empty put");
    expect_status(reg_s3_head_object(f->s3, "marker", &size), REG_OK, "head empty");
    assert_int_equal(size, 0);
    expect_status(reg_s3_get_object(f->s3, "marker", 10, &b), REG_OK, "get empty");
    assert_int_equal(b.len, 0);
    reg_buf_cleanup(&b);

    expect_status(reg_s3_delete_object(f->s3, "records/1.json"), REG_OK, "delete");
    expect_status(reg_s3_head_object(f->s3, "records/1.json", &size), REG_ENOTFOUND,
                  "head after delete");
    expect_status(reg_s3_get_object(f->s3, "records/1.json", 1024, &b), REG_ENOTFOUND,
                  "get after delete");
    assert_non_null(strstr(reg_error_detail(), "NoSuchKey"));
    reg_buf_cleanup(&b);
    expect_status(reg_s3_get_range(f->s3, "records/1.json", 1, 2, collect, &b), REG_ENOTFOUND,
                  "range of a missing key");
    expect_status(reg_s3_delete_object(f->s3, "records/1.json"), REG_OK, "delete missing");
    /* The bucket exists already: creating it again is fine. */
    expect_status(reg_s3_create_bucket(f->s3), REG_OK, "create again");
}

/* get_object refuses an object larger than its max. */
static void
test_get_object_max(void **state)
{
    struct fixture *f = *state;
    unsigned char data[100];
    struct reg_buf b;

    fill(data, 0, sizeof(data));
    expect_status(reg_s3_put_object(f->s3, "hundred", data, sizeof(data), NULL), REG_OK, "put");
    expect_status(reg_s3_get_object(f->s3, "hundred", 99, &b), REG_ETOOLARGE, "max 99");
    reg_buf_cleanup(&b);
    expect_status(reg_s3_get_object(f->s3, "hundred", 100, &b), REG_OK, "max 100");
    assert_memory_equal(b.data, data, sizeof(data));
    reg_buf_cleanup(&b);
}

/* Streams [offset, offset + len) and compares with the pattern bytes of the object put. */
static void
check_range(struct fixture *f, const char *key, int64_t size, int64_t offset, int64_t len)
{
    struct reg_buf b;
    int64_t want = len < 0 || offset + len > size ? size - offset : len;
    unsigned char *expect;
    enum reg_status st;

    reg_buf_init(&b, (size_t)want + 1);
    st = reg_s3_get_range(f->s3, key, offset, len, collect, &b);
    if (st != REG_OK)
        fail_msg("range %lld+%lld of %s: status %d (%s)", (long long)offset, (long long)len, key,
                 st, reg_error_detail());
    if ((int64_t)b.len != want)
        fail_msg("range %lld+%lld of %s: %zu bytes, want %lld", (long long)offset, (long long)len,
                 key, b.len, (long long)want);
    expect = malloc((size_t)want + 1);
    assert_non_null(expect);
    fill(expect, offset, (size_t)want);
    if (want > 0 && memcmp(b.data, expect, (size_t)want) != 0)
        fail_msg("range %lld+%lld of %s: the bytes differ", (long long)offset, (long long)len, key);
    free(expect);
    reg_buf_cleanup(&b);
}

static void
test_get_range(void **state)
{
    struct fixture *f = *state;
    unsigned char data[1000];
    struct reg_buf b;

    fill(data, 0, sizeof(data));
    expect_status(reg_s3_put_object(f->s3, "blob", data, sizeof(data), NULL), REG_OK, "put");
    check_range(f, "blob", 1000, 100, 200); /* a middle slice */
    check_range(f, "blob", 1000, 990, -1);  /* to the end */
    check_range(f, "blob", 1000, 0, -1);    /* everything, no Range header */
    check_range(f, "blob", 1000, 0, 1);     /* s3rver answers bytes=0-0 with everything */
    check_range(f, "blob", 1000, 999, 1);   /* the last byte */
    check_range(f, "blob", 1000, 995, 100); /* past the end: stops at the end */
    check_range(f, "blob", 1000, 5, 0);     /* nothing */
    reg_buf_init(&b, 10);
    expect_status(reg_s3_get_range(f->s3, "blob", 1000, 10, collect, &b), REG_ESTORE,
                  "offset at the end");
    assert_non_null(strstr(reg_error_detail(), "InvalidRange"));
    assert_int_equal(b.len, 0);
    reg_buf_cleanup(&b);

    /* An empty object, whole. (A Range on it is not tried: s3rver answers bytes=0-9 of an
     * empty object with Content-Length: 1 and no body; S3 answers 416, taken as empty.) */
    expect_status(reg_s3_put_object(f->s3, "empty", NULL, 0, NULL), REG_OK, "put empty");
    check_range(f, "empty", 0, 0, -1);
}

struct stop_sink {
    int calls;
};

static enum reg_status
stop_after_one(void *ctx, const void *data, size_t len)
{
    struct stop_sink *s = ctx;

    (void)data;
    (void)len;
    if (++s->calls > 1)
        return reg_errorf(REG_EINVAL, "sink says stop");
    return REG_OK;
}

/* A sink's failure stops the transfer and is the call's status, not retried. */
static void
test_sink_stops(void **state)
{
    struct fixture *f = *state;
    size_t n = (size_t)MIB;
    unsigned char *data = malloc(n);
    struct stop_sink s = {0};

    assert_non_null(data);
    fill(data, 0, n);
    expect_status(reg_s3_put_object(f->s3, "mib", data, n, NULL), REG_OK, "put");
    expect_status(reg_s3_get_range(f->s3, "mib", 0, -1, stop_after_one, &s), REG_EINVAL,
                  "sink stops");
    assert_string_equal(reg_error_detail(), "sink says stop");
    assert_int_equal(s.calls, 2);
    free(data);
}

/* Writes the pattern to a new temp file of size bytes; returns its path (malloc'd). */
static char *
pattern_file(int64_t size)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    unsigned char *chunk = malloc((size_t)MIB);
    int fd;

    assert_non_null(path);
    assert_non_null(chunk);
    snprintf(path, 4096, "%s/test_s3.XXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    for (int64_t off = 0; off < size; off += MIB) {
        size_t n = size - off < MIB ? (size_t)(size - off) : (size_t)MIB;
        fill(chunk, off, n);
        assert_int_equal(write(fd, chunk, n), (ssize_t)n);
    }
    close(fd);
    free(chunk);
    return path;
}

/* Compares streamed bytes with the pattern as they arrive. */
struct compare_sink {
    int64_t pos;
    int64_t mismatches;
};

static enum reg_status
compare(void *ctx, const void *data, size_t len)
{
    struct compare_sink *c = ctx;
    const unsigned char *p = data;

    for (size_t i = 0; i < len; i++)
        c->mismatches += p[i] != pattern(c->pos + (int64_t)i);
    c->pos += (int64_t)len;
    return REG_OK;
}

/* A 40 MiB file in 5 MiB parts: size, slices across part boundaries, and every byte. */
static void
test_put_file_multipart(void **state)
{
    struct fixture *f = *state;
    char *path = pattern_file(BIG_FILE_BYTES);
    struct compare_sink c = {0};
    int64_t size = -1;
    enum reg_status st = reg_s3_put_file(f->s3, "blobs/big.zip", path);

    unlink(path);
    free(path);
    if (st != REG_OK)
        fail_msg("put_file of %lld bytes: status %d (%s)", (long long)BIG_FILE_BYTES, st,
                 reg_error_detail());
    expect_status(reg_s3_head_object(f->s3, "blobs/big.zip", &size), REG_OK, "head");
    assert_int_equal(size, BIG_FILE_BYTES);
    check_range(f, "blobs/big.zip", size, 5 * MIB - 100, 200);    /* parts 1-2 */
    check_range(f, "blobs/big.zip", size, 20 * MIB + 7, 3 * MIB); /* inside part 5 */
    check_range(f, "blobs/big.zip", size, 40 * MIB - 10, -1);     /* the short last part */
    expect_status(reg_s3_get_range(f->s3, "blobs/big.zip", 0, -1, compare, &c), REG_OK, "all");
    assert_int_equal(c.pos, BIG_FILE_BYTES);
    assert_int_equal(c.mismatches, 0);
}

/* Below the threshold put_fd sends one PUT, reading with pread (the offset stays). */
static void
test_put_fd_single(void **state)
{
    struct fixture *f = *state;
    char *path = pattern_file(3 * MIB + 1);
    int fd = open(path, O_RDONLY);
    int64_t size = -1;

    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 17, SEEK_SET), 17);
    expect_status(reg_s3_put_fd(f->s3, "blobs/three.zip", fd), REG_OK, "put_fd");
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 17);
    close(fd);
    unlink(path);
    free(path);
    expect_status(reg_s3_head_object(f->s3, "blobs/three.zip", &size), REG_OK, "head");
    assert_int_equal(size, 3 * MIB + 1);
    check_range(f, "blobs/three.zip", size, MIB - 3, 10);
}

struct listing {
    int n;
    char keys[64][128];
    int64_t sizes[64];
};

static enum reg_status
remember(void *ctx, const char *key, int64_t size)
{
    struct listing *l = ctx;

    if (l->n >= 64)
        return reg_errorf(REG_EINTERNAL, "too many keys");
    snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s", key);
    l->sizes[l->n++] = size;
    return REG_OK;
}

static enum reg_status
refuse_third(void *ctx, const char *key, int64_t size)
{
    int *calls = ctx;

    (void)key;
    (void)size;
    return ++*calls == 3 ? reg_errorf(REG_ECONFLICT, "third") : REG_OK;
}

/* More keys than a page (page size 5): every key under the prefix once, in order.
 * (s3rver lists in the order of its directory walk, "p/..." before "p-x" although '-' < '/', and
 * continues a page after the last key by comparing keys, so "p-x" would be lost between pages;
 * a key "p" beside "p/000" is never listed. No key here is named so.) */
static void
test_list_pages(void **state)
{
    struct fixture *f = *state;
    struct listing l = {0};
    char key[64], body[64];
    int calls = 0;

    for (int i = 0; i < LIST_KEYS; i++) {
        snprintf(key, sizeof(key), "p/%03d", i);
        memset(body, 'x', (size_t)i);
        expect_status(reg_s3_put_object(f->s3, key, body, (size_t)i, NULL), REG_OK, key);
    }
    expect_status(reg_s3_put_object(f->s3, "q/other", "x", 1, NULL), REG_OK, "put q");
    expect_status(reg_s3_put_object(f->s3, "a-first", "x", 1, NULL), REG_OK, "put a-first");
    expect_status(reg_s3_list(f->s3, "p/", remember, &l), REG_OK, "list p/");
    assert_int_equal(l.n, LIST_KEYS);
    for (int i = 0; i < LIST_KEYS; i++) {
        snprintf(key, sizeof(key), "p/%03d", i);
        assert_string_equal(l.keys[i], key);
        assert_int_equal(l.sizes[i], i);
    }
    memset(&l, 0, sizeof(l));
    expect_status(reg_s3_list(f->s3, NULL, remember, &l), REG_OK, "list all");
    assert_int_equal(l.n, LIST_KEYS + 2);
    assert_string_equal(l.keys[0], "a-first");
    assert_string_equal(l.keys[LIST_KEYS + 1], "q/other");
    memset(&l, 0, sizeof(l));
    expect_status(reg_s3_list(f->s3, "none/", remember, &l), REG_OK, "list empty");
    assert_int_equal(l.n, 0);
    expect_status(reg_s3_list(f->s3, "p/", refuse_third, &calls), REG_ECONFLICT, "stop");
    assert_int_equal(calls, 3);
}

/* Keys with spaces, '+', '%', XML's special characters and non-ASCII UTF-8 survive put, head,
 * get and listing (s3rver escapes ' as &#x27;). */
static void
test_odd_keys(void **state)
{
    struct fixture *f = *state;
    static const char *const keys[] = {
        "odd/a b",
        "odd/c+d",
        "odd/100%25 sure",
        "odd/x&y<z>\"'",
        "odd/mod\xc3\xa8le \xe6\xa8\xa1\xe5\x9e\x8b",
        "odd/emoji \xf0\x9f\x98\x80",
        "odd/semi;colon=eq?q#h",
    };
    struct listing l = {0};
    struct reg_buf b;
    int64_t size;
    int bad = 0;

    for (int i = 0; i < NELEMS(keys); i++) {
        expect_status(reg_s3_put_object(f->s3, keys[i], keys[i], strlen(keys[i]), NULL), REG_OK,
                      keys[i]);
        expect_status(reg_s3_head_object(f->s3, keys[i], &size), REG_OK, keys[i]);
        CHECK(&bad, size == (int64_t)strlen(keys[i]), "head %s: size %lld", keys[i],
              (long long)size);
        expect_status(reg_s3_get_object(f->s3, keys[i], 1024, &b), REG_OK, keys[i]);
        CHECK(&bad, b.len == strlen(keys[i]) && memcmp(b.data, keys[i], b.len) == 0,
              "get %s: wrong body", keys[i]);
        reg_buf_cleanup(&b);
    }
    expect_status(reg_s3_list(f->s3, "odd/", remember, &l), REG_OK, "list");
    assert_int_equal(l.n, NELEMS(keys));
    for (int i = 0; i < NELEMS(keys); i++) {
        bool found = false;
        for (int j = 0; j < l.n; j++)
            found = found || strcmp(l.keys[j], keys[i]) == 0;
        CHECK(&bad, found, "list lacks '%s'", keys[i]);
    }
    assert_int_equal(bad, 0);
    expect_status(reg_s3_delete_object(f->s3, keys[0]), REG_OK, "delete");
    expect_status(reg_s3_head_object(f->s3, keys[0], &size), REG_ENOTFOUND, "head deleted");
}

static size_t
to_buf(char *data, size_t size, size_t nmemb, void *arg)
{
    return reg_buf_append(arg, data, size * nmemb) == REG_OK ? size * nmemb : 0;
}

/* Fetches url with a plain libcurl GET (no signing of ours) into b; returns the HTTP status. */
static long
plain_get(const char *url, struct reg_buf *b)
{
    CURL *h = curl_easy_init();
    long status = 0;

    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

/* A presigned URL serves the object to a client without credentials. (s3rver checks the
 * parameters and the expiry, not the signature: see the file comment.) */
static void
test_presign_get(void **state)
{
    struct fixture *f = *state;
    const char *key = "shared/model card+1.md";
    const char *text = "# a model card\n";
    struct reg_buf b;
    char *url;

    expect_status(reg_s3_put_object(f->s3, key, text, strlen(text), "text/markdown"), REG_OK,
                  "put");
    expect_status(reg_s3_presign_get(f->s3, &f->arena, key, 300, &url), REG_OK, "presign");
    assert_non_null(strstr(url, "/shared/model%20card%2B1.md?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    assert_non_null(strstr(url, "&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature="));
    reg_buf_init(&b, 1024);
    assert_int_equal(plain_get(url, &b), 200);
    assert_int_equal(b.len, strlen(text));
    assert_memory_equal(b.data, text, b.len);
    reg_buf_cleanup(&b);
    /* (Not tested: that the URL without its query is refused. s3rver serves requests without
     * any authentication as if the bucket were public.) */
}

/* A refusal is REG_ESTORE with S3's Code in the detail; a missing bucket is no "not found". */
static void
test_refusals(void **state)
{
    struct fixture *f = *state;
    struct reg_s3_config cfg;
    struct reg_s3 *s3;
    struct reg_buf b;

    config(&cfg, endpoint, f->bucket);
    cfg.access_key_id = "NOSUCHKEY";
    s3 = open_client(&cfg);
    expect_status(reg_s3_put_object(s3, "k", "v", 1, NULL), REG_ESTORE, "unknown access key");
    assert_non_null(strstr(reg_error_detail(), "InvalidAccessKeyId"));
    reg_s3_free(s3);

    config(&cfg, endpoint, "unit-s3-no-such-bucket");
    s3 = open_client(&cfg);
    expect_status(reg_s3_get_object(s3, "k", 10, &b), REG_ESTORE, "missing bucket");
    assert_non_null(strstr(reg_error_detail(), "NoSuchBucket"));
    reg_buf_cleanup(&b);
    expect_status(reg_s3_list(s3, "", remember, NULL), REG_ESTORE, "list missing bucket");
    reg_s3_free(s3);
}

/* A closed loopback port: every operation is REG_EUNAVAILABLE, retries included, quickly. */
static void
test_unreachable(void **state)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t alen = sizeof(addr);
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    char ep[64];
    struct reg_s3_config cfg;
    struct reg_s3 *s3;
    struct reg_buf b;
    double t0;
    int64_t size;

    (void)state;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(sock, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(sock, (struct sockaddr *)&addr, &alen), 0);
    close(sock); /* nothing listens there now */
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", ntohs(addr.sin_port));
    config(&cfg, ep, "bucket");
    s3 = open_client(&cfg);
    t0 = now_seconds();
    expect_status(reg_s3_create_bucket(s3), REG_EUNAVAILABLE, "create");
    expect_status(reg_s3_put_object(s3, "k", "v", 1, NULL), REG_EUNAVAILABLE, "put");
    expect_status(reg_s3_head_object(s3, "k", &size), REG_EUNAVAILABLE, "head");
    expect_status(reg_s3_get_object(s3, "k", 10, &b), REG_EUNAVAILABLE, "get");
    reg_buf_cleanup(&b);
    expect_status(reg_s3_list(s3, "", remember, NULL), REG_EUNAVAILABLE, "list");
    if (now_seconds() - t0 > 5 * UNREACHABLE_MAX_SECONDS)
        fail_msg("five calls to a closed port took %.1f s", now_seconds() - t0);
    t0 = now_seconds();
    expect_status(reg_s3_delete_object(s3, "k"), REG_EUNAVAILABLE, "delete");
    if (now_seconds() - t0 > UNREACHABLE_MAX_SECONDS)
        fail_msg("a call to a closed port took %.1f s", now_seconds() - t0);
    reg_s3_free(s3);
}

static struct reg_s3 *
script_client(const struct script *s)
{
    char ep[64];
    struct reg_s3_config cfg;

    snprintf(ep, sizeof(ep), "%s", s->base);
    config(&cfg, ep, "fake");
    return open_client(&cfg);
}

static int
count_requests(const struct script *s, const char *prefix)
{
    int n = 0;

    for (int i = 0; i < s->nrequests; i++)
        n += strncmp(s->requests[i], prefix, strlen(prefix)) == 0;
    return n;
}

#define INITIATED                                                                                  \
    "200 OK", NULL,                                                                                \
        "<InitiateMultipartUploadResult><Bucket>fake</Bucket><Key>big</Key>"                       \
        "<UploadId>up-1</UploadId></InitiateMultipartUploadResult>",                               \
        0
#define PART_OK "200 OK", "ETag: \"e1\"\r\n", "", 0
#define ABORTED "204 No Content", NULL, "", 0

/* A refused part fails the upload with the part's error, and the upload is aborted. */
static void
test_abort_on_part_failure(void **state)
{
    static const struct rule rules[] = {
        {"POST /fake/big?uploads", INITIATED},
        {"PUT /fake/big?partNumber=1&uploadId=up-1 ", PART_OK},
        {"PUT /fake/big?partNumber=2&uploadId=up-1 ", "400 Bad Request", NULL,
         "<Error><Code>EntityTooSmall</Code><Message>part two refused</Message></Error>", 0},
        {"DELETE /fake/big?uploadId=up-1 ", ABORTED},
    };
    struct script s;
    struct reg_s3 *s3;
    char *path = pattern_file(2 * REG_S3_PART_SIZE_MIN + 1);
    enum reg_status st;

    (void)state;
    script_start(&s, rules, NELEMS(rules));
    s3 = script_client(&s);
    st = reg_s3_put_file(s3, "big", path);
    reg_s3_free(s3);
    script_stop(&s);
    unlink(path);
    free(path);
    expect_status(st, REG_ESTORE, "refused part");
    assert_non_null(strstr(reg_error_detail(), "EntityTooSmall: part two refused"));
    assert_int_equal(count_requests(&s, "PUT /fake/big?partNumber=3"), 0);
    assert_int_equal(count_requests(&s, "DELETE /fake/big?uploadId=up-1 "), 1);
    assert_string_equal(s.requests[s.nrequests - 1], "DELETE /fake/big?uploadId=up-1 HTTP/1.1");
}

/* CompleteMultipartUpload answering 200 with an <Error> body is a failure, and aborts. */
static void
test_complete_error_in_200(void **state)
{
    static const struct rule rules[] = {
        {"POST /fake/big?uploads", INITIATED},
        {"PUT /fake/big?partNumber=", PART_OK},
        {"POST /fake/big?uploadId=up-1 ", "200 OK", NULL,
         "<?xml version=\"1.0\"?>\n<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
         0},
        {"DELETE /fake/big?uploadId=up-1 ", ABORTED},
    };
    struct script s;
    struct reg_s3 *s3;
    char *path = pattern_file(2 * REG_S3_PART_SIZE_MIN);
    enum reg_status st;

    (void)state;
    script_start(&s, rules, NELEMS(rules));
    s3 = script_client(&s);
    st = reg_s3_put_file(s3, "big", path);
    reg_s3_free(s3);
    script_stop(&s);
    unlink(path);
    free(path);
    expect_status(st, REG_ESTORE, "complete with an error body");
    assert_non_null(strstr(reg_error_detail(), "AccessDenied"));
    assert_int_equal(count_requests(&s, "PUT /fake/big?partNumber="), 2);
    assert_int_equal(count_requests(&s, "POST /fake/big?uploadId=up-1 "), 1);
    assert_int_equal(count_requests(&s, "DELETE /fake/big?uploadId=up-1 "), 1);
}

/* SlowDown is retried REG_S3_MAX_ATTEMPTS times, then REG_EUNAVAILABLE. */
static void
test_slow_down(void **state)
{
    static const struct rule rules[] = {
        {"PUT /fake/k ", "503 Slow Down", NULL,
         "<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>", 0},
    };
    struct script s;
    struct reg_s3 *s3;
    enum reg_status st;

    (void)state;
    script_start(&s, rules, NELEMS(rules));
    s3 = script_client(&s);
    st = reg_s3_put_object(s3, "k", "v", 1, NULL);
    reg_s3_free(s3);
    script_stop(&s);
    expect_status(st, REG_EUNAVAILABLE, "SlowDown");
    assert_non_null(strstr(reg_error_detail(), "SlowDown"));
    assert_int_equal(s.nrequests, REG_S3_MAX_ATTEMPTS);
}

/* A body cut short: not retried once bytes reached the caller's sink; retried into
 * get_object's own buffer, which starts over. */
static void
test_cut_short(void **state)
{
    static const struct rule rules[] = {
        {"GET /fake/k ", "200 OK", NULL, "0123456789", 1000},
    };
    struct script s;
    struct reg_s3 *s3;
    struct reg_buf b;
    enum reg_status st;

    (void)state;
    script_start(&s, rules, NELEMS(rules));
    s3 = script_client(&s);
    reg_buf_init(&b, 2000);
    st = reg_s3_get_range(s3, "k", 0, -1, collect, &b);
    expect_status(st, REG_EUNAVAILABLE, "cut short into a sink");
    assert_non_null(strstr(reg_error_detail(), "not retried"));
    assert_int_equal(b.len, 10);
    assert_int_equal(s.nrequests, 1);
    reg_buf_cleanup(&b);
    st = reg_s3_get_object(s3, "k", 2000, &b);
    expect_status(st, REG_EUNAVAILABLE, "cut short into get_object");
    assert_true(b.len <= 10);
    reg_buf_cleanup(&b);
    reg_s3_free(s3);
    script_stop(&s);
    assert_int_equal(s.nrequests, 1 + REG_S3_MAX_ATTEMPTS);
}

/* Multipart answers that lack what the next step needs: no UploadId (nothing to abort), a part
 * without an ETag (the upload is aborted), an UploadId with a bad entity. */
static void
test_multipart_malformed(void **state)
{
    static const struct rule rules[] = {
        {"POST /fake/noid?uploads", "200 OK", NULL,
         "<InitiateMultipartUploadResult><Key>noid</Key></InitiateMultipartUploadResult>", 0},
        {"POST /fake/badid?uploads", "200 OK", NULL,
         "<InitiateMultipartUploadResult><UploadId>a&bogus;b</UploadId>"
         "</InitiateMultipartUploadResult>",
         0},
        {"POST /fake/noetag?uploads", "200 OK", NULL,
         "<InitiateMultipartUploadResult><UploadId>up-2</UploadId>"
         "</InitiateMultipartUploadResult>",
         0},
        {"PUT /fake/noetag?partNumber=", "200 OK", NULL, "", 0},
        {"DELETE /fake/noetag?uploadId=up-2 ", ABORTED},
    };
    struct script s;
    struct reg_s3 *s3;
    char *path = pattern_file(2 * REG_S3_PART_SIZE_MIN);

    (void)state;
    script_start(&s, rules, NELEMS(rules));
    s3 = script_client(&s);
    expect_status(reg_s3_put_file(s3, "noid", path), REG_ESTORE, "no UploadId");
    assert_non_null(strstr(reg_error_detail(), "CreateMultipartUpload fake/noid: no UploadId"));
    expect_status(reg_s3_put_file(s3, "badid", path), REG_ESTORE, "bad UploadId");
    assert_non_null(strstr(reg_error_detail(), "malformed XML: bad entity in 'a&bogus;b'"));
    expect_status(reg_s3_put_file(s3, "noetag", path), REG_ESTORE, "no ETag");
    assert_non_null(strstr(reg_error_detail(), "UploadPart fake/noetag part 1: no ETag"));
    reg_s3_free(s3);
    script_stop(&s);
    unlink(path);
    free(path);
    assert_int_equal(count_requests(&s, "PUT /fake/noid"), 0);
    assert_int_equal(count_requests(&s, "DELETE /fake/noid"), 0);
    assert_int_equal(count_requests(&s, "PUT /fake/noetag?partNumber=2"), 0);
    assert_int_equal(count_requests(&s, "DELETE /fake/noetag?uploadId=up-2 "), 1);
}

static enum reg_status
count_key(void *ctx, const char *key, int64_t size)
{
    (void)key;
    (void)size;
    (*(int *)ctx)++;
    return REG_OK;
}

/* ListObjectsV2 pages S3 would not send: an entry without a Key, without a Size, with a Size
 * that is no number, a truncated page without a continuation token. The entries before the
 * bad one have reached the caller; none after it. */
static void
test_list_malformed(void **state)
{
#define LIST "GET /fake?list-type=2&max-keys=5&prefix="
#define GOOD "<Contents><Key>ok</Key><Size>1</Size></Contents>"
    static const struct rule rules[] = {
        {LIST "nokey ", "200 OK", NULL,
         "<ListBucketResult>" GOOD "<Contents><Size>3</Size>"
         "</Contents>" GOOD "</ListBucketResult>",
         0},
        {LIST "nosize ", "200 OK", NULL,
         "<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>", 0},
        {LIST "badsize ", "200 OK", NULL,
         "<ListBucketResult><Contents><Key>a</Key><Size>-4x</Size></Contents>"
         "</ListBucketResult>",
         0},
        {LIST "notoken ", "200 OK", NULL,
         "<ListBucketResult><IsTruncated>true</IsTruncated>" GOOD "</ListBucketResult>", 0},
    };
#undef LIST
#undef GOOD
    struct script s;
    struct reg_s3 *s3;
    int seen = 0;

    (void)state;
    script_start(&s, rules, NELEMS(rules));
    s3 = script_client(&s);
    expect_status(reg_s3_list(s3, "nokey", count_key, &seen), REG_ESTORE, "no Key");
    assert_string_equal(reg_error_detail(), "S3 ListObjectsV2: an entry without a Key");
    assert_int_equal(seen, 1);
    expect_status(reg_s3_list(s3, "nosize", count_key, &seen), REG_ESTORE, "no Size");
    assert_string_equal(reg_error_detail(), "S3 ListObjectsV2: a without a Size");
    expect_status(reg_s3_list(s3, "badsize", count_key, &seen), REG_ESTORE, "bad Size");
    assert_string_equal(reg_error_detail(), "S3 ListObjectsV2: a has Size '-4x'");
    assert_int_equal(seen, 1);
    expect_status(reg_s3_list(s3, "notoken", count_key, &seen), REG_ESTORE, "no token");
    assert_non_null(strstr(reg_error_detail(), "truncated without a continuation token"));
    assert_int_equal(seen, 2);
    reg_s3_free(s3);
    script_stop(&s);
    assert_int_equal(s.nrequests, 4);
}

/* A ranged GET answered from another offset is refused before any byte reaches the sink; an
 * answer that ignores the Range header (200, the whole object) is cut to the range. */
static void
test_range_mismatch(void **state)
{
    static const struct rule rules[] = {
        {"GET /fake/shifted ", "206 Partial Content", "Content-Range: bytes 0-3/10\r\n", "0123", 0},
        {"GET /fake/whole ", "200 OK", NULL, "0123456789", 0},
    };
    struct script s;
    struct reg_s3 *s3;
    struct reg_buf b;

    (void)state;
    script_start(&s, rules, NELEMS(rules));
    s3 = script_client(&s);
    reg_buf_init(&b, 100);
    expect_status(reg_s3_get_range(s3, "shifted", 4, 4, collect, &b), REG_ESTORE, "shifted");
    assert_non_null(strstr(reg_error_detail(), "asked for bytes from 4, got 0"));
    assert_int_equal(b.len, 0);
    expect_status(reg_s3_get_range(s3, "whole", 4, 3, collect, &b), REG_OK, "whole");
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "456", 3);
    reg_buf_cleanup(&b);
    reg_s3_free(s3);
    script_stop(&s);
}

/* Arguments refused before any request: data missing for a length, a file that cannot be
 * opened or is no regular file, a bad range or sink, a prefix that is no UTF-8. */
static void
test_argument_refusals(void **state)
{
    struct script s;
    struct reg_s3 *s3;
    struct reg_buf b;
    int seen = 0;

    (void)state;
    script_start(&s, NULL, 0);
    s3 = script_client(&s);
    expect_status(reg_s3_put_object(s3, "k", NULL, 5, NULL), REG_EINVAL, "no data");
    assert_string_equal(reg_error_detail(), "S3 PutObject k: a length but no data");
    expect_status(reg_s3_put_file(s3, "k", "/nonexistent/file"), REG_ESTORE, "missing file");
    assert_non_null(strstr(reg_error_detail(), "S3 upload of k: cannot open /nonexistent/file"));
    expect_status(reg_s3_put_file(s3, "k", "/"), REG_EINVAL, "a directory");
    assert_string_equal(reg_error_detail(), "S3 upload of k: not a regular file");
    reg_buf_init(&b, 100);
    expect_status(reg_s3_get_range(s3, "k", -1, 5, collect, &b), REG_EINVAL, "negative offset");
    assert_string_equal(reg_error_detail(), "S3 GET k: bad range -1+5");
    expect_status(reg_s3_get_range(s3, "k", 0, -2, collect, &b), REG_EINVAL, "bad length");
    expect_status(reg_s3_get_range(s3, "k", 0, 5, NULL, &b), REG_EINVAL, "no sink");
    reg_buf_cleanup(&b);
    expect_status(reg_s3_list(s3, "bad\xff", count_key, &seen), REG_EINVAL, "bad prefix");
    assert_non_null(strstr(reg_error_detail(), "S3 ListObjectsV2: bad prefix"));
    expect_status(reg_s3_list(s3, "", NULL, &seen), REG_EINVAL, "no callback");
    reg_s3_free(s3);
    script_stop(&s);
    assert_int_equal(s.nrequests, 0);
    assert_int_equal(seen, 0);
}

int
main(void)
{
    const struct CMUnitTest signing[] = {
        cmocka_unit_test_setup_teardown(test_presign_aws_example, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_presign_token_and_errors, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_sign_aws_get_example, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_new_errors, arena_setup, arena_teardown),
        cmocka_unit_test(test_key_errors),
    };
    const struct CMUnitTest s3rver[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_object_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_file_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_fd_single, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_presign_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test(test_unreachable),
    };
    const struct CMUnitTest scripted[] = {
        cmocka_unit_test(test_abort_on_part_failure),
        cmocka_unit_test(test_complete_error_in_200),
        cmocka_unit_test(test_slow_down),
        cmocka_unit_test(test_cut_short),
        cmocka_unit_test(test_multipart_malformed),
        cmocka_unit_test(test_list_malformed),
        cmocka_unit_test(test_range_mismatch),
        cmocka_unit_test(test_argument_refusals),
    };
    int failed;

    endpoint = getenv(ENDPOINT_ENV);
    if (!endpoint || !*endpoint) {
        fprintf(stderr,
                "test_s3: %s is not set. These tests need a local S3 (s3rver); run them through "
                "scripts/run-unit.sh (`make unit`), which starts one and sets "
                "%s=http://127.0.0.1:<port>.\n",
                ENDPOINT_ENV, ENDPOINT_ENV);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests_name("aws/s3 signing", signing, NULL, NULL);
    failed += cmocka_run_group_tests_name("aws/s3 s3rver", s3rver, NULL, NULL);
    failed += cmocka_run_group_tests_name("aws/s3 scripted", scripted, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
