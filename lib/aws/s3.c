/*
 * s3.c - path-style, SigV4-signed S3 requests with retries (see s3.h).
 *
 * Every operation describes its request as a struct call (method, key, query, body source,
 * where the answer's body goes) and hands it to perform(), which signs and sends it, retries
 * what may be retried, and classifies the answer through one table of S3 error codes. Object
 * bytes stream through libcurl callbacks: uploads are read from the file with pread, downloads
 * go straight to the caller's sink; only XML answers and error bodies are buffered (bounded).
 */
#include "aws/s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/endpoint.h"
#include "aws/sigv4.h"
#include "base/log.h"
#include "base/str.h"

#define BACKOFF_BASE_MS 50
#define BACKOFF_CAP_MS 2000
#define CONNECT_TIMEOUT_MS 3000
/* Requests without object bytes (HEAD, DELETE, listings, multipart bookkeeping). */
#define SMALL_TIMEOUT_MS 30000L
/* CompleteMultipartUpload: S3 may take minutes to assemble a large object. */
#define COMPLETE_TIMEOUT_MS (15L * 60 * 1000)
/* Object transfers fail when slower than this many bytes/s for this many seconds. */
#define LOW_SPEED_BYTES 1024L
#define LOW_SPEED_SECONDS 60L
/* Largest XML answer read (a ListObjectsV2 page of 1000 long keys is about 1.5 MB). */
#define XML_MAX ((size_t)8 * 1024 * 1024)
/* Bytes of an error answer's body kept for its Code and Message. */
#define ERROR_BODY_MAX ((size_t)64 * 1024)
/* Largest CompleteMultipartUpload request body (10000 parts of about 100 bytes). */
#define COMPLETE_BODY_MAX ((size_t)2 * 1024 * 1024)
#define ETAG_MAX 128
#define ERROR_CODE_MAX 64
#define HOST_MAX 256
#define SIGNED_HEADERS_MAX 6
#define OCTET_STREAM "application/octet-stream"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define DEFAULT_REGION "us-east-1"

struct reg_s3 {
    CURL *curl;
    char *base; /* scheme://host[:port], no trailing slash */
    char *host; /* the Host header: host[:port] */
    char *bucket;
    char *region;
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    int64_t multipart_threshold;
    int64_t part_size;
    int list_page_size;
};

/* A request body: bytes in memory (signed with their SHA-256), or a region of a file streamed
 * with pread (UNSIGNED-PAYLOAD). */
struct body {
    const char *data; /* memory; NULL for a file */
    int fd;
    int64_t offset; /* of the region in the file */
    int64_t len;
    int64_t pos;    /* bytes given to libcurl in this attempt */
    int read_errno; /* why the file could not be read (-1: it ended early); 0 if it could */
};

/* One request. */
struct call {
    const char *op;     /* "PutObject": names the operation in details */
    const char *method; /* "GET" */
    const char *key;    /* NULL for the bucket itself */
    const char *query;  /* encoded, "" if none */
    const char *content_type;
    const char *range; /* the Range header value, or NULL */
    struct body *body; /* NULL: none */
    bool streaming;    /* object bytes: a low-speed limit instead of a total timeout */
    long timeout_ms;   /* total timeout when not streaming */
    bool error_in_200; /* a 200 may carry an <Error> body (CompleteMultipartUpload) */
    /* Where a 2xx body goes: the sink, else the reply's XML buffer. */
    reg_s3_sink_fn sink;
    void *sink_ctx;
    void (*restart)(void *sink_ctx); /* non-NULL: the sink can start over, so retry */
    int64_t range_offset;            /* first byte wanted */
    int64_t range_len;               /* bytes wanted, -1 for all */
    int64_t max_body;                /* a larger Content-Length is REG_ETOOLARGE; -1: no limit */
};

/* What one attempt produced. */
struct reply {
    CURL *curl;
    const struct call *call;
    struct reg_buf body; /* the 2xx XML answer, or the start of an error body */
    long status;
    CURLcode rc;
    char curl_error[CURL_ERROR_SIZE];
    char etag[ETAG_MAX];
    char error_code[ERROR_CODE_MAX]; /* x-amz-error-code (some servers send it) */
    int64_t content_length;          /* -1 when absent */
    int64_t range_start;             /* from Content-Range, -1 when absent */
    int64_t delivered;               /* bytes handed to the sink */
    int64_t skip;                    /* bytes still to drop (a 200 to a ranged GET) */
    bool started;                    /* the first body byte was seen */
    bool done;                       /* the wanted range is complete */
    enum reg_status stop;            /* why a callback stopped the transfer */
};

/* S3 error codes with a meaning of their own; any other is REG_ESTORE, retried only when the
 * HTTP status is 429 or 5xx (but 501). */
static const struct {
    const char *code;
    enum reg_status st;
    bool retry;
} s3_errors[] = {
    {"NoSuchKey", REG_ENOTFOUND, false},
    {"NotFound", REG_ENOTFOUND, false},
    {"SlowDown", REG_EUNAVAILABLE, true},
    {"Throttling", REG_EUNAVAILABLE, true},
    {"ThrottlingException", REG_EUNAVAILABLE, true},
    {"RequestThrottled", REG_EUNAVAILABLE, true},
    {"TooManyRequestsException", REG_EUNAVAILABLE, true},
    {"InternalError", REG_EUNAVAILABLE, true},
    {"ServiceUnavailable", REG_EUNAVAILABLE, true},
    {"RequestTimeout", REG_EUNAVAILABLE, true},
    {"NotImplemented", REG_ESTORE, false},
};

void
reg_s3_free(struct reg_s3 *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c->base);
    free(c->host);
    free(c->bucket);
    free(c->region);
    free(c->access_key_id);
    if (c->secret_access_key)
        OPENSSL_cleanse(c->secret_access_key, strlen(c->secret_access_key));
    free(c->secret_access_key);
    if (c->session_token)
        OPENSSL_cleanse(c->session_token, strlen(c->session_token));
    free(c->session_token);
    free(c);
}

/* The base URL (the origin: requests append "/<bucket>/<key>") and the Host header. */
static enum reg_status
parse_endpoint(struct reg_s3 *c, const char *endpoint)
{
    struct reg_aws_endpoint e;
    enum reg_status st = reg_aws_endpoint_parse("S3", endpoint, &e);

    if (st == REG_OK && *e.rest && strcmp(e.rest, "/") != 0) {
        st = reg_errorf(REG_EINVAL, "S3 endpoint must not have a path or query: %.200s", endpoint);
        free(e.origin);
        free(e.host);
    }
    if (st != REG_OK)
        return st;
    c->base = e.origin;
    c->host = e.host;
    return REG_OK;
}

/* S3's bucket naming rules: 3 to 63 of a-z 0-9 . -, starting and ending alphanumeric. */
static bool
bucket_ok(const char *b)
{
    size_t n = b ? strlen(b) : 0;

    if (n < 3 || n > 63 || strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n)
        return false;
    return b[0] != '.' && b[0] != '-' && b[n - 1] != '.' && b[n - 1] != '-';
}

static enum reg_status
check_tuning(const struct reg_s3_config *cfg, struct reg_s3 *c)
{
    c->part_size = cfg->part_size ? cfg->part_size : REG_S3_PART_SIZE;
    c->multipart_threshold =
        cfg->multipart_threshold ? cfg->multipart_threshold : REG_S3_MULTIPART_THRESHOLD;
    c->list_page_size = cfg->list_page_size ? cfg->list_page_size : REG_S3_LIST_PAGE_MAX;
    if (c->part_size < REG_S3_PART_SIZE_MIN)
        return reg_errorf(REG_EINVAL, "S3 part size %lld is below S3's minimum of %lld bytes",
                          (long long)c->part_size, (long long)REG_S3_PART_SIZE_MIN);
    if (c->multipart_threshold < c->part_size)
        return reg_errorf(REG_EINVAL, "S3 multipart threshold %lld is below the part size %lld",
                          (long long)c->multipart_threshold, (long long)c->part_size);
    if (c->list_page_size < 1 || c->list_page_size > REG_S3_LIST_PAGE_MAX)
        return reg_errorf(REG_EINVAL, "S3 list page size must be 1 to %d, not %d",
                          REG_S3_LIST_PAGE_MAX, c->list_page_size);
    return REG_OK;
}

enum reg_status
reg_s3_new(const struct reg_s3_config *cfg, struct reg_s3 **out)
{
    struct reg_s3 *c = calloc(1, sizeof(*c));
    char fallback[HOST_MAX];
    enum reg_status st = REG_OK;

    *out = NULL;
    if (!c)
        reg_oom();
    if (!cfg->access_key_id || !*cfg->access_key_id || !cfg->secret_access_key ||
        !*cfg->secret_access_key)
        st = reg_errorf(REG_EINVAL, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required "
                                    "for REGISTRY_BLOBS=s3");
    else if (!cfg->region || !*cfg->region || strlen(cfg->region) > 64)
        st = reg_errorf(REG_EINVAL, "AWS_REGION is required for REGISTRY_BLOBS=s3");
    else if (!bucket_ok(cfg->bucket))
        st = reg_errorf(REG_EINVAL, "S3_BUCKET '%.100s' is not a valid bucket name",
                        cfg->bucket ? cfg->bucket : "");
    if (st == REG_OK)
        st = check_tuning(cfg, c);
    if (st == REG_OK) {
        snprintf(fallback, sizeof(fallback), "https://s3.%s.amazonaws.com", cfg->region);
        st = parse_endpoint(c, cfg->endpoint && *cfg->endpoint ? cfg->endpoint : fallback);
    }
    if (st != REG_OK) {
        reg_s3_free(c);
        return st;
    }
    c->bucket = reg_str_dup_nonempty(cfg->bucket);
    c->region = reg_str_dup_nonempty(cfg->region);
    c->access_key_id = reg_str_dup_nonempty(cfg->access_key_id);
    c->secret_access_key = reg_str_dup_nonempty(cfg->secret_access_key);
    c->session_token = reg_str_dup_nonempty(cfg->session_token);
    c->curl = curl_easy_init();
    if (!c->curl)
        reg_oom();
    *out = c;
    return REG_OK;
}

/* A key S3 accepts: 1 to REG_S3_KEY_MAX bytes of UTF-8. */
static enum reg_status
check_key(const char *key)
{
    size_t n = key ? strlen(key) : 0;

    if (n == 0 || n > REG_S3_KEY_MAX)
        return reg_errorf(REG_EINVAL, "an S3 key has 1 to %d bytes, not %zu", REG_S3_KEY_MAX, n);
    if (!reg_str_is_utf8(key, n))
        return reg_errorf(REG_EINVAL, "S3 key '%.100s' is not UTF-8", key);
    return REG_OK;
}

/* Percent-encodes s: every byte but the unreserved characters (and '/' when keep_slash), which
 * is also the SigV4 canonical form, so the path is signed as sent. */
static char *
encode(struct reg_arena *a, const char *s, bool keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    char *d = reg_arena_alloc(a, 3 * strlen(s) + 1);
    size_t j = 0;

    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (reg_str_is_unreserved(ch) || (keep_slash && ch == '/')) {
            d[j++] = (char)ch;
        } else {
            d[j++] = '%';
            d[j++] = digits[ch >> 4];
            d[j++] = digits[ch & 15];
        }
    }
    d[j] = '\0';
    return d;
}

/* "/<bucket>" or "/<bucket>/<encoded key>". */
static char *
request_path(struct reg_s3 *c, struct reg_arena *a, const char *key)
{
    if (!key)
        return reg_arena_sprintf(a, "/%s", c->bucket);
    return reg_arena_sprintf(a, "/%s/%s", c->bucket, encode(a, key, true));
}

/* What a detail calls the request's target: "bucket/key" or "bucket". */
static const char *
target(struct reg_s3 *c, struct reg_arena *a, const struct call *k)
{
    return k->key ? reg_arena_sprintf(a, "%s/%.200s", c->bucket, k->key) : c->bucket;
}

/* --- libcurl callbacks ------------------------------------------------------------------- */

static size_t
on_read(char *dest, size_t size, size_t nmemb, void *arg)
{
    struct body *b = arg;
    size_t want = size * nmemb;
    ssize_t got;

    if ((int64_t)want > b->len - b->pos)
        want = (size_t)(b->len - b->pos);
    if (want == 0)
        return 0;
    if (b->data) {
        memcpy(dest, b->data + b->pos, want);
        b->pos += (int64_t)want;
        return want;
    }
    do {
        got = pread(b->fd, dest, want, (off_t)(b->offset + b->pos));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        b->read_errno = got < 0 ? errno : -1;
        return CURL_READFUNC_ABORT;
    }
    b->pos += got;
    return (size_t)got;
}

static int
on_seek(void *arg, curl_off_t offset, int origin)
{
    struct body *b = arg;

    if (origin != SEEK_SET || offset < 0 || offset > b->len)
        return CURL_SEEKFUNC_CANTSEEK;
    b->pos = offset;
    return CURL_SEEKFUNC_OK;
}

/* Copies header value v (n bytes, trailing CRLF and spaces dropped) into out. */
static void
header_value(const char *v, size_t n, char *out, size_t cap)
{
    while (n > 0 && *v == ' ') {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

/* Whether the header line starts with name (including the ':'), case-insensitively; *v then
 * points after it. */
static bool
header_is(const char *line, size_t n, const char *name, const char **v)
{
    size_t len = strlen(name);

    if (n < len || strncasecmp(line, name, len) != 0)
        return false;
    *v = line + len;
    return true;
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *arg)
{
    struct reply *r = arg;
    size_t n = size * nmemb;
    const char *v;
    char num[32];

    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a 100 Continue): forget the previous one's headers. */
        r->etag[0] = r->error_code[0] = '\0';
        r->content_length = r->range_start = -1;
    } else if (header_is(line, n, "etag:", &v)) {
        header_value(v, n - (size_t)(v - line), r->etag, sizeof(r->etag));
    } else if (header_is(line, n, "x-amz-error-code:", &v)) {
        header_value(v, n - (size_t)(v - line), r->error_code, sizeof(r->error_code));
    } else if (header_is(line, n, "content-length:", &v)) {
        header_value(v, n - (size_t)(v - line), num, sizeof(num));
        if (reg_str_to_int64(num, 0, INT64_MAX, "Content-Length", &r->content_length) != REG_OK)
            r->content_length = -1;
    } else if (header_is(line, n, "content-range:", &v)) {
        /* "bytes 100-199/1000" */
        header_value(v, n - (size_t)(v - line), num, sizeof(num));
        if (strncmp(num, "bytes ", 6) == 0) {
            num[6 + strspn(num + 6, "0123456789")] = '\0';
            if (reg_str_to_int64(num + 6, 0, INT64_MAX, "Content-Range", &r->range_start) != REG_OK)
                r->range_start = -1;
        }
    }
    return n;
}

/* Keeps an XML answer (bounded: past XML_MAX the transfer stops) or the start of an error
 * body (the rest is dropped). */
static size_t
keep_body(struct reply *r, const char *data, size_t n, bool ok)
{
    if (!ok) {
        size_t room = r->body.len < ERROR_BODY_MAX ? ERROR_BODY_MAX - r->body.len : 0;
        (void)reg_buf_append(&r->body, data, n < room ? n : room);
        return n;
    }
    if (reg_buf_append(&r->body, data, n) == REG_OK)
        return n;
    r->stop = reg_errorf(REG_ESTORE, "S3 %s: the answer exceeds %zu bytes", r->call->op, XML_MAX);
    return 0;
}

/* Checks, at the first body byte of a 2xx answer to a GET into a sink, that it is the answer
 * wanted: the size limit, and for a ranged GET where the bytes start. */
static enum reg_status
start_delivery(struct reply *r)
{
    const struct call *k = r->call;

    if (k->max_body >= 0 && r->content_length > k->max_body)
        return reg_errorf(REG_ETOOLARGE,
                          "S3 object %.200s has %lld bytes, more than the %lld "
                          "allowed",
                          k->key, (long long)r->content_length, (long long)k->max_body);
    if (!k->range)
        return REG_OK;
    if (r->status == 200) {
        /* The server ignored the Range header: drop the bytes before the range. */
        r->skip = k->range_offset;
        return REG_OK;
    }
    if (r->range_start != k->range_offset)
        return reg_errorf(REG_ESTORE, "S3 GET %.200s: asked for bytes from %lld, got %lld", k->key,
                          (long long)k->range_offset, (long long)r->range_start);
    return REG_OK;
}

/* Hands body bytes to the caller's sink, within the range wanted. Once the range is complete
 * the transfer is stopped (a server that sends more than asked is cut off). */
static size_t
deliver(struct reply *r, const char *data, size_t n)
{
    const struct call *k = r->call;
    size_t off = 0, len;
    enum reg_status st;

    if (!r->started) {
        r->started = true;
        r->stop = start_delivery(r);
        if (r->stop != REG_OK)
            return 0;
    }
    if (r->skip > 0) {
        off = (int64_t)n < r->skip ? n : (size_t)r->skip;
        r->skip -= (int64_t)off;
    }
    len = n - off;
    if (k->range_len >= 0 && (int64_t)len > k->range_len - r->delivered)
        len = (size_t)(k->range_len - r->delivered);
    if (len > 0) {
        st = k->sink(k->sink_ctx, data + off, len);
        if (st != REG_OK) {
            r->stop = st;
            return 0;
        }
        r->delivered += (int64_t)len;
    }
    if (off + len < n) {
        r->done = true;
        return 0;
    }
    return n;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct reply *r = arg;
    size_t n = size * nmemb;

    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->status < 200 || r->status > 299 || !r->call->sink)
        return keep_body(r, data, n, r->status >= 200 && r->status <= 299);
    return deliver(r, data, n);
}

/* --- one attempt ------------------------------------------------------------------------- */

/* Signs the request and builds its header list. */
static enum reg_status
sign_headers(struct reg_s3 *c, struct reg_arena *a, const struct call *k, const char *path,
             struct curl_slist **out)
{
    char amz_date[17];
    struct reg_sigv4_header h[SIGNED_HEADERS_MAX];
    int n = 0;
    bool mem = !k->body || k->body->data;
    struct reg_sigv4_request req = {k->method, path, k->query, h, 0, NULL, 0, false, true, false};
    struct reg_sigv4_credentials cred = {c->access_key_id, c->secret_access_key, c->session_token};
    struct reg_sigv4_result sig;
    enum reg_status st;

    reg_sigv4_amz_date(time(NULL), amz_date);
    h[n++] = (struct reg_sigv4_header){"Host", c->host};
    h[n++] = (struct reg_sigv4_header){"X-Amz-Date", amz_date};
    if (!mem)
        h[n++] = (struct reg_sigv4_header){"X-Amz-Content-Sha256", UNSIGNED_PAYLOAD};
    if (k->content_type)
        h[n++] = (struct reg_sigv4_header){"Content-Type", k->content_type};
    if (k->range)
        h[n++] = (struct reg_sigv4_header){"Range", k->range};
    req.nheaders = n;
    if (mem && k->body) {
        req.body = k->body->data;
        req.body_len = (size_t)k->body->len;
    }
    st = reg_sigv4_sign(a, &req, &cred, c->region, "s3", amz_date, &sig);
    if (st != REG_OK)
        return st;
    *out = NULL;
    for (int i = 0; i < n; i++)
        *out = curl_slist_append(*out, reg_arena_sprintf(a, "%s: %s", h[i].name, h[i].value));
    for (int i = 0; i < sig.nextra; i++)
        *out = curl_slist_append(
            *out, reg_arena_sprintf(a, "%s: %s", sig.extra[i].name, sig.extra[i].value));
    *out = curl_slist_append(*out, reg_arena_sprintf(a, "Authorization: %s", sig.authorization));
    /* A small body goes at once; a file waits for 100 Continue, so a refusal costs no upload. */
    if (mem)
        *out = curl_slist_append(*out, "Expect:");
    if (!*out)
        reg_oom();
    return REG_OK;
}

static void
set_method(CURL *h, const struct call *k)
{
    if (k->body) {
        k->body->pos = 0;
        k->body->read_errno = 0;
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, k->method);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, k->body);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, k->body);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)k->body->len);
    } else if (strcmp(k->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(k->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, k->method);
    }
}

static void
set_timeouts(CURL *h, const struct call *k)
{
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    if (k->streaming) {
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_SECONDS);
    } else {
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, k->timeout_ms ? k->timeout_ms : SMALL_TIMEOUT_MS);
    }
}

static enum reg_status
send_once(struct reg_s3 *c, struct reg_arena *a, const struct call *k, struct reply *r)
{
    const char *path = request_path(c, a, k->key);
    struct curl_slist *headers = NULL;
    enum reg_status st = sign_headers(c, a, k, path, &headers);
    CURL *h = c->curl;

    if (st != REG_OK)
        return st;
    curl_easy_reset(h);
    curl_easy_setopt(
        h, CURLOPT_URL,
        reg_arena_sprintf(a, "%s%s%s%s", c->base, path, *k->query ? "?" : "", k->query));
    set_method(h, k);
    set_timeouts(h, k);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->curl_error);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L); /* a key's "." and ".." are names, not steps */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    r->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(headers);
    return REG_OK;
}

/* --- XML --------------------------------------------------------------------------------- */

/* The first occurrence of needle in [p, end), or NULL. */
static const char *
find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);

    for (; p && end - p >= (ptrdiff_t)n; p++) {
        if (*p == *needle && memcmp(p, needle, n) == 0)
            return p;
    }
    return NULL;
}

/* The text of the first element <tag>...</tag> in [p, end): *val, *len; returns the position
 * after its end tag, or NULL if there is none. S3's elements carry no attributes. */
static const char *
xml_element(const char *p, const char *end, const char *tag, const char **val, size_t *len)
{
    char open[64], close[64];
    const char *v, *e;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    v = find(p, end, open);
    if (!v)
        return NULL;
    v += strlen(open);
    e = find(v, end, close);
    if (!e)
        return NULL;
    *val = v;
    *len = (size_t)(e - v);
    return e + strlen(close);
}

/* Appends code point cp as UTF-8; false for one XML cannot carry. */
static bool
put_utf8(char *d, size_t *j, unsigned long cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return false;
    if (cp < 0x80) {
        d[(*j)++] = (char)cp;
    } else if (cp < 0x800) {
        d[(*j)++] = (char)(0xC0 | (cp >> 6));
        d[(*j)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        d[(*j)++] = (char)(0xE0 | (cp >> 12));
        d[(*j)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[(*j)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        d[(*j)++] = (char)(0xF0 | (cp >> 18));
        d[(*j)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        d[(*j)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[(*j)++] = (char)(0x80 | (cp & 0x3F));
    }
    return true;
}

/* Decodes the entity at s[0..n) (s[0] == '&', up to its ';') into d; false if malformed. */
static bool
put_entity(const char *s, size_t n, char *d, size_t *j)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    char digits[16];
    char *end;
    unsigned long cp;
    bool hex = n > 3 && s[1] == '#' && (s[2] == 'x' || s[2] == 'X');
    size_t skip = hex ? 3 : 2;

    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (n == strlen(named[i].name) && memcmp(s, named[i].name, n) == 0) {
            d[(*j)++] = named[i].c;
            return true;
        }
    }
    if (n < 4 || s[1] != '#' || n - skip - 1 == 0 || n - skip - 1 >= sizeof(digits))
        return false;
    memcpy(digits, s + skip, n - skip - 1);
    digits[n - skip - 1] = '\0';
    if (strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789") != n - skip - 1)
        return false;
    cp = strtoul(digits, &end, hex ? 16 : 10);
    return put_utf8(d, j, cp);
}

/* The text s[0..n) of an element with its entities decoded, in a. */
static enum reg_status
xml_text(struct reg_arena *a, const char *s, size_t n, char **out)
{
    char *d = reg_arena_alloc(a, n + 1);
    size_t j = 0;

    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *semi;
        if (s[i] != '&') {
            d[j++] = s[i];
            continue;
        }
        semi = memchr(s + i, ';', n - i);
        if (!semi || !put_entity(s + i, (size_t)(semi - (s + i)) + 1, d, &j))
            return reg_errorf(REG_ESTORE, "S3 answered malformed XML: bad entity in '%.*s'",
                              (int)(n < 100 ? n : 100), s);
        i = (size_t)(semi - s);
    }
    d[j] = '\0';
    *out = d;
    return REG_OK;
}

/* The decoded text of the first <tag> in [p, end), or "" if there is none or it is malformed. */
static const char *
xml_get(struct reg_arena *a, const char *p, const char *end, const char *tag)
{
    const char *v;
    size_t n;
    char *text;

    if (!xml_element(p, end, tag, &v, &n) || xml_text(a, v, n, &text) != REG_OK)
        return "";
    return text;
}

/* --- judging and retrying ---------------------------------------------------------------- */

/* Classifies an answer that is an S3 error: the table, then the HTTP status. */
static enum reg_status
refusal(struct reg_s3 *c, struct reg_arena *a, const struct call *k, struct reply *r,
        const char *code, bool *retry)
{
    const char *end = r->body.data ? r->body.data + r->body.len : NULL;
    const char *msg = xml_get(a, r->body.data, end, "Message");
    const char *what = target(c, a, k);
    enum reg_status st = REG_ESTORE;
    bool known = false;

    for (size_t i = 0; i < sizeof(s3_errors) / sizeof(s3_errors[0]); i++) {
        if (strcmp(code, s3_errors[i].code) == 0) {
            st = s3_errors[i].st;
            *retry = s3_errors[i].retry;
            known = true;
        }
    }
    if (!known && r->status == 404 && !*code) {
        st = REG_ENOTFOUND;
    } else if (!known && (r->status == 429 || (r->status >= 500 && r->status != 501))) {
        st = REG_EUNAVAILABLE;
        *retry = true;
    }
    if (st == REG_ESTORE)
        reg_log(REG_LOG_ERROR, "S3 %s %s refused: %ld %s %s", k->op, what, r->status, code, msg);
    return reg_errorf(st, "S3 %s %s: %ld %s%s%s", k->op, what, r->status, *code ? code : "",
                      *msg ? ": " : "", msg);
}

/* Classifies one attempt: REG_OK, or a status with *retry telling whether to try again. */
static enum reg_status
judge(struct reg_s3 *c, struct reg_arena *a, const struct call *k, struct reply *r, bool *retry)
{
    const char *end = r->body.data ? r->body.data + r->body.len : NULL;
    const char *code;

    *retry = false;
    if (r->stop != REG_OK)
        return r->stop;
    if (k->body && k->body->read_errno)
        return reg_errorf(REG_ESTORE, "S3 %s %s: reading the file failed: %s", k->op,
                          target(c, a, k),
                          k->body->read_errno > 0 ? strerror(k->body->read_errno)
                                                  : "it ended early (did it change?)");
    if (r->rc != CURLE_OK && !r->done) {
        *retry = true;
        return reg_errorf(REG_EUNAVAILABLE, "S3 %s %s: %s", k->op, target(c, a, k),
                          r->curl_error[0] ? r->curl_error : curl_easy_strerror(r->rc));
    }
    if (r->status >= 200 && r->status <= 299) {
        if (!k->error_in_200 || !find(r->body.data, end, "<Error>"))
            return REG_OK;
        code = xml_get(a, r->body.data, end, "Code");
        return refusal(c, a, k, r, *code ? code : "InternalError", retry);
    }
    code = xml_get(a, r->body.data, end, "Code");
    return refusal(c, a, k, r, *code ? code : r->error_code, retry);
}

static void
sleep_backoff(int attempt)
{
    long cap = (long)BACKOFF_BASE_MS << (attempt - 1);
    unsigned int rnd = 0;
    long ms;
    struct timespec ts;

    if (cap > BACKOFF_CAP_MS)
        cap = BACKOFF_CAP_MS;
    RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
    ms = (long)(rnd % (unsigned)(cap + 1));
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Sends the call, retrying transport failures, 5xx and throttling (but not once bytes reached
 * a sink that cannot start over). *r holds the last attempt's answer; the caller cleans up
 * r->body. */
static enum reg_status
perform(struct reg_s3 *c, struct reg_arena *a, const struct call *k, struct reply *r)
{
    enum reg_status st = REG_EUNAVAILABLE;

    reg_buf_init(&r->body, XML_MAX);
    for (int attempt = 1; attempt <= REG_S3_MAX_ATTEMPTS; attempt++) {
        bool retry = false;

        reg_buf_reset(&r->body);
        *r = (struct reply){.curl = c->curl, .call = k, .body = r->body};
        r->content_length = r->range_start = -1;
        st = send_once(c, a, k, r);
        if (st == REG_OK)
            st = judge(c, a, k, r, &retry);
        if (st == REG_OK || !retry || attempt == REG_S3_MAX_ATTEMPTS)
            break;
        if (r->delivered > 0 && !k->restart)
            return reg_errorf(st, "%s (after %lld bytes reached the caller; not retried)",
                              reg_arena_strdup(a, reg_error_detail()), (long long)r->delivered);
        if (r->delivered > 0)
            k->restart(k->sink_ctx);
        sleep_backoff(attempt);
    }
    return st;
}

/* Runs a call whose answer body is not needed. */
static enum reg_status
perform_simple(struct reg_s3 *c, const struct call *k, long *status)
{
    struct reg_arena a;
    struct reply r;
    enum reg_status st;

    reg_arena_init(&a);
    st = perform(c, &a, k, &r);
    if (status)
        *status = r.status;
    reg_buf_cleanup(&r.body);
    reg_arena_cleanup(&a);
    return st;
}

/* --- operations -------------------------------------------------------------------------- */

static enum reg_status
head_bucket(struct reg_s3 *c)
{
    struct call k = {.op = "HeadBucket", .method = "HEAD", .query = ""};

    return perform_simple(c, &k, NULL);
}

enum reg_status
reg_s3_create_bucket(struct reg_s3 *c)
{
    struct body b = {.fd = -1};
    struct call k = {.op = "CreateBucket", .method = "PUT", .query = "", .body = &b};
    char xml[256];
    long status = 0;
    enum reg_status st = head_bucket(c);

    if (st != REG_ENOTFOUND)
        return st;
    if (strcmp(c->region, DEFAULT_REGION) != 0) {
        snprintf(xml, sizeof(xml),
                 "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                 "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
                 c->region);
        b.data = xml;
        b.len = (int64_t)strlen(xml);
        k.content_type = "application/xml";
    } else {
        b.data = "";
    }
    st = perform_simple(c, &k, &status);
    if (st != REG_OK && status == 409) {
        /* Already ours, or another host's create won the race: fine if we can reach it. */
        st = head_bucket(c);
    }
    return st;
}

enum reg_status
reg_s3_put_object(struct reg_s3 *c, const char *key, const void *data, size_t len,
                  const char *content_type)
{
    struct body b = {.data = len ? data : "", .fd = -1, .len = (int64_t)len};
    struct call k = {.op = "PutObject", .method = "PUT", .key = key, .query = "", .body = &b};
    enum reg_status st = check_key(key);

    if (st != REG_OK)
        return st;
    if (len > 0 && !data)
        return reg_errorf(REG_EINVAL, "S3 PutObject %.200s: a length but no data", key);
    k.content_type = content_type ? content_type : OCTET_STREAM;
    return perform_simple(c, &k, NULL);
}

/* A single PUT of the whole file, streamed. */
static enum reg_status
put_single(struct reg_s3 *c, const char *key, int fd, int64_t size)
{
    struct body b = {.fd = fd, .len = size};
    struct call k = {.op = "PutObject",
                     .method = "PUT",
                     .key = key,
                     .query = "",
                     .content_type = OCTET_STREAM,
                     .body = &b,
                     .streaming = true};

    return perform_simple(c, &k, NULL);
}

static enum reg_status
create_upload(struct reg_s3 *c, struct reg_arena *a, const char *key, char **upload_id)
{
    struct body b = {.data = "", .fd = -1};
    struct call k = {.op = "CreateMultipartUpload",
                     .method = "POST",
                     .key = key,
                     .query = "uploads=",
                     .content_type = OCTET_STREAM,
                     .body = &b};
    struct reply r;
    const char *v;
    size_t n;
    enum reg_status st = perform(c, a, &k, &r);

    if (st == REG_OK) {
        if (!xml_element(r.body.data, r.body.data + r.body.len, "UploadId", &v, &n) || n == 0)
            st = reg_errorf(REG_ESTORE, "S3 CreateMultipartUpload %s/%.200s: no UploadId",
                            c->bucket, key);
        else
            st = xml_text(a, v, n, upload_id);
    }
    reg_buf_cleanup(&r.body);
    return st;
}

static enum reg_status
upload_part(struct reg_s3 *c, struct reg_arena *a, const char *key, const char *upload_id,
            int number, struct body *b, char **etag)
{
    struct call k = {.op = "UploadPart", .method = "PUT", .key = key, .body = b, .streaming = true};
    struct reply r;
    enum reg_status st;

    k.query =
        reg_arena_sprintf(a, "partNumber=%d&uploadId=%s", number, encode(a, upload_id, false));
    st = perform(c, a, &k, &r);
    if (st == REG_OK && !r.etag[0])
        st = reg_errorf(REG_ESTORE, "S3 UploadPart %s/%.200s part %d: no ETag", c->bucket, key,
                        number);
    if (st == REG_OK)
        *etag = reg_arena_strdup(a, r.etag);
    reg_buf_cleanup(&r.body);
    return st;
}

/* The CompleteMultipartUpload request body: every part's number and ETag. */
static enum reg_status
complete_body(char *const *etags, int nparts, struct reg_buf *out)
{
    enum reg_status st = reg_buf_puts(out, "<CompleteMultipartUpload>");

    for (int i = 0; i < nparts && st == REG_OK; i++) {
        st = reg_buf_printf(out, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
        for (const char *p = etags[i]; *p && st == REG_OK; p++) {
            if (*p == '&')
                st = reg_buf_puts(out, "&amp;");
            else if (*p == '<')
                st = reg_buf_puts(out, "&lt;");
            else if (*p == '>')
                st = reg_buf_puts(out, "&gt;");
            else
                st = reg_buf_append(out, p, 1);
        }
        if (st == REG_OK)
            st = reg_buf_puts(out, "</ETag></Part>");
    }
    if (st == REG_OK)
        st = reg_buf_puts(out, "</CompleteMultipartUpload>");
    if (st != REG_OK)
        return reg_errorf(st, "S3 CompleteMultipartUpload: the part list exceeds %zu bytes",
                          COMPLETE_BODY_MAX);
    return REG_OK;
}

static enum reg_status
complete_upload(struct reg_s3 *c, struct reg_arena *a, const char *key, const char *upload_id,
                char *const *etags, int nparts)
{
    struct reg_buf xml;
    struct body b = {.fd = -1};
    struct call k = {.op = "CompleteMultipartUpload",
                     .method = "POST",
                     .key = key,
                     .content_type = "application/xml",
                     .body = &b,
                     .timeout_ms = COMPLETE_TIMEOUT_MS,
                     .error_in_200 = true};
    enum reg_status st;

    reg_buf_init(&xml, COMPLETE_BODY_MAX);
    st = complete_body(etags, nparts, &xml);
    if (st == REG_OK) {
        b.data = xml.data;
        b.len = (int64_t)xml.len;
        k.query = reg_arena_sprintf(a, "uploadId=%s", encode(a, upload_id, false));
        st = perform_simple(c, &k, NULL);
    }
    reg_buf_cleanup(&xml);
    return st;
}

/* Aborts the upload after failure st, keeping st's detail; a failed abort is only logged (S3's
 * lifecycle rules or a later abort clean up what remains). */
static void
abort_upload(struct reg_s3 *c, struct reg_arena *a, const char *key, const char *upload_id,
             enum reg_status failure)
{
    char *detail = reg_arena_strdup(a, reg_error_detail());
    struct call k = {.op = "AbortMultipartUpload", .method = "DELETE", .key = key};
    enum reg_status st;

    k.query = reg_arena_sprintf(a, "uploadId=%s", encode(a, upload_id, false));
    st = perform_simple(c, &k, NULL);
    if (st != REG_OK && st != REG_ENOTFOUND)
        reg_log(REG_LOG_WARN, "S3 upload %s of %s/%.200s was not aborted: %s", upload_id, c->bucket,
                key, reg_error_detail());
    (void)reg_errorf(failure, "%s", detail);
}

/* The part size for a file of size bytes: the configured one, or larger (whole MiB) when the
 * file would need more than REG_S3_MAX_PARTS parts. */
static int64_t
part_size_for(const struct reg_s3 *c, int64_t size)
{
    const int64_t mib = (int64_t)1024 * 1024;
    int64_t part = c->part_size;

    if ((size + part - 1) / part > REG_S3_MAX_PARTS) {
        part = (size + REG_S3_MAX_PARTS - 1) / REG_S3_MAX_PARTS;
        part = (part + mib - 1) / mib * mib;
    }
    return part;
}

static enum reg_status
put_multipart(struct reg_s3 *c, const char *key, int fd, int64_t size)
{
    struct reg_arena a;
    int64_t part = part_size_for(c, size);
    int nparts = (int)((size + part - 1) / part);
    char **etags;
    char *upload_id = NULL;
    enum reg_status st;

    reg_arena_init(&a);
    etags = reg_arena_alloc(&a, (size_t)nparts * sizeof(*etags));
    st = create_upload(c, &a, key, &upload_id);
    for (int i = 0; i < nparts && st == REG_OK; i++) {
        struct body b = {.fd = fd, .offset = (int64_t)i * part};
        b.len = size - b.offset < part ? size - b.offset : part;
        st = upload_part(c, &a, key, upload_id, i + 1, &b, &etags[i]);
    }
    if (st == REG_OK)
        st = complete_upload(c, &a, key, upload_id, etags, nparts);
    if (st != REG_OK && upload_id)
        abort_upload(c, &a, key, upload_id, st);
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_s3_put_fd(struct reg_s3 *c, const char *key, int fd)
{
    struct stat sb;
    enum reg_status st = check_key(key);

    if (st != REG_OK)
        return st;
    if (fstat(fd, &sb) != 0)
        return reg_errorf(REG_ESTORE, "S3 upload of %.200s: %s", key, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return reg_errorf(REG_EINVAL, "S3 upload of %.200s: not a regular file", key);
    if ((int64_t)sb.st_size < c->multipart_threshold)
        return put_single(c, key, fd, (int64_t)sb.st_size);
    return put_multipart(c, key, fd, (int64_t)sb.st_size);
}

enum reg_status
reg_s3_put_file(struct reg_s3 *c, const char *key, const char *path)
{
    int fd;
    enum reg_status st = check_key(key);

    if (st != REG_OK)
        return st;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return reg_errorf(REG_ESTORE, "S3 upload of %.200s: cannot open %.200s: %s", key, path,
                          strerror(errno));
    st = reg_s3_put_fd(c, key, fd);
    close(fd);
    return st;
}

static enum reg_status
buf_sink(void *ctx, const void *data, size_t len)
{
    struct reg_buf *b = ctx;

    if (reg_buf_append(b, data, len) != REG_OK)
        return reg_errorf(REG_ETOOLARGE, "the S3 object is larger than %zu bytes", b->max);
    return REG_OK;
}

static void
buf_restart(void *ctx)
{
    reg_buf_reset(ctx);
}

enum reg_status
reg_s3_get_object(struct reg_s3 *c, const char *key, size_t max, struct reg_buf *out)
{
    struct call k = {.op = "GetObject",
                     .method = "GET",
                     .key = key,
                     .query = "",
                     .streaming = true,
                     .sink = buf_sink,
                     .sink_ctx = out,
                     .restart = buf_restart,
                     .range_len = -1,
                     .max_body = max > INT64_MAX ? INT64_MAX : (int64_t)max};
    enum reg_status st;

    reg_buf_init(out, max);
    st = check_key(key);
    if (st != REG_OK)
        return st;
    return perform_simple(c, &k, NULL);
}

enum reg_status
reg_s3_get_range(struct reg_s3 *c, const char *key, int64_t offset, int64_t len,
                 reg_s3_sink_fn sink, void *ctx)
{
    struct call k = {.op = "GetObject",
                     .method = "GET",
                     .key = key,
                     .query = "",
                     .streaming = true,
                     .sink = sink,
                     .sink_ctx = ctx,
                     .range_offset = offset,
                     .range_len = len,
                     .max_body = -1};
    char range[64];
    long status = 0;
    enum reg_status st = check_key(key);

    if (st != REG_OK)
        return st;
    if (offset < 0 || len < -1 || (len > 0 && offset > INT64_MAX - len) || !sink)
        return reg_errorf(REG_EINVAL, "S3 GET %.200s: bad range %lld+%lld", key, (long long)offset,
                          (long long)len);
    if (len == 0)
        return reg_s3_head_object(c, key, NULL);
    if (offset > 0 || len > 0) {
        if (len > 0)
            snprintf(range, sizeof(range), "bytes=%lld-%lld", (long long)offset,
                     (long long)(offset + len - 1));
        else
            snprintf(range, sizeof(range), "bytes=%lld-", (long long)offset);
        k.range = range;
    }
    st = perform_simple(c, &k, &status);
    if (st == REG_ESTORE && status == 416 && offset == 0)
        return REG_OK; /* bytes from 0 of an empty object: nothing to deliver */
    return st;
}

enum reg_status
reg_s3_head_object(struct reg_s3 *c, const char *key, int64_t *size)
{
    struct call k = {.op = "HeadObject", .method = "HEAD", .key = key, .query = ""};
    struct reg_arena a;
    struct reply r;
    enum reg_status st = check_key(key);

    if (st != REG_OK)
        return st;
    reg_arena_init(&a);
    st = perform(c, &a, &k, &r);
    if (st == REG_OK && r.content_length < 0)
        st = reg_errorf(REG_ESTORE, "S3 HeadObject %s/%.200s: no Content-Length", c->bucket, key);
    if (st == REG_OK && size)
        *size = r.content_length;
    reg_buf_cleanup(&r.body);
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_s3_delete_object(struct reg_s3 *c, const char *key)
{
    struct call k = {.op = "DeleteObject", .method = "DELETE", .key = key, .query = ""};
    enum reg_status st = check_key(key);

    if (st != REG_OK)
        return st;
    st = perform_simple(c, &k, NULL);
    return st == REG_ENOTFOUND ? REG_OK : st;
}

/* Calls fn for each <Contents> of one ListObjectsV2 page. */
static enum reg_status
list_contents(struct reg_arena *a, const char *p, const char *end, reg_s3_list_fn fn, void *ctx)
{
    const char *block, *v;
    size_t n, bn;
    char *key, *size_text;
    int64_t size;
    enum reg_status st = REG_OK;

    for (;;) {
        p = xml_element(p, end, "Contents", &block, &bn);
        if (!p || st != REG_OK)
            break;
        if (!xml_element(block, block + bn, "Key", &v, &n))
            return reg_errorf(REG_ESTORE, "S3 ListObjectsV2: an entry without a Key");
        st = xml_text(a, v, n, &key);
        if (st != REG_OK)
            return st;
        if (!xml_element(block, block + bn, "Size", &v, &n))
            return reg_errorf(REG_ESTORE, "S3 ListObjectsV2: %.200s without a Size", key);
        size_text = reg_arena_strndup(a, v, n);
        st = reg_str_to_int64(size_text, 0, INT64_MAX, "Size", &size);
        if (st != REG_OK)
            return reg_errorf(REG_ESTORE, "S3 ListObjectsV2: %.200s has Size '%.40s'", key,
                              size_text);
        st = fn(ctx, key, size);
    }
    return st;
}

/* Lists one page; *token becomes the next page's continuation token (malloc'd), or NULL after
 * the last page. */
static enum reg_status
list_page(struct reg_s3 *c, struct reg_arena *a, const char *prefix, char **token,
          reg_s3_list_fn fn, void *ctx)
{
    struct call k = {.op = "ListObjectsV2", .method = "GET"};
    struct reply r;
    const char *end;
    enum reg_status st;

    /* Parameters in canonical (sorted) order. */
    k.query = reg_arena_sprintf(a, "%s%s%slist-type=2&max-keys=%d&prefix=%s",
                                *token ? "continuation-token=" : "",
                                *token ? encode(a, *token, false) : "", *token ? "&" : "",
                                c->list_page_size, encode(a, prefix, false));
    free(*token);
    *token = NULL;
    st = perform(c, a, &k, &r);
    end = r.body.data ? r.body.data + r.body.len : NULL;
    if (st == REG_OK)
        st = list_contents(a, r.body.data, end, fn, ctx);
    if (st == REG_OK && strcmp(xml_get(a, r.body.data, end, "IsTruncated"), "true") == 0) {
        *token = reg_str_dup_nonempty(xml_get(a, r.body.data, end, "NextContinuationToken"));
        if (!*token)
            st = reg_errorf(REG_ESTORE, "S3 ListObjectsV2: truncated without a continuation "
                                        "token");
    }
    reg_buf_cleanup(&r.body);
    return st;
}

enum reg_status
reg_s3_list(struct reg_s3 *c, const char *prefix, reg_s3_list_fn fn, void *ctx)
{
    struct reg_arena a;
    char *token = NULL;
    enum reg_status st = REG_OK;

    if (!prefix)
        prefix = "";
    if (strlen(prefix) > REG_S3_KEY_MAX || !reg_str_is_utf8(prefix, strlen(prefix)) || !fn)
        return reg_errorf(REG_EINVAL, "S3 ListObjectsV2: bad prefix '%.100s'", prefix);
    reg_arena_init(&a);
    do {
        /* One arena per page, so a listing of millions of keys stays small. */
        reg_arena_cleanup(&a);
        st = list_page(c, &a, prefix, &token, fn, ctx);
    } while (st == REG_OK && token);
    free(token);
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_s3_presign_get(struct reg_s3 *c, struct reg_arena *a, const char *key, long expires, char **out)
{
    char amz_date[17];
    const char *path;
    struct reg_sigv4_header host = {"Host", c->host};
    struct reg_sigv4_request req = {"GET", NULL, "", &host, 1, NULL, 0, false, false, false};
    struct reg_sigv4_credentials cred = {c->access_key_id, c->secret_access_key, c->session_token};
    struct reg_sigv4_presigned p;
    enum reg_status st = check_key(key);

    *out = NULL;
    if (st != REG_OK)
        return st;
    path = request_path(c, a, key);
    req.path = path;
    reg_sigv4_amz_date(time(NULL), amz_date);
    st = reg_sigv4_presign(a, &req, &cred, c->region, "s3", amz_date, expires, &p);
    if (st != REG_OK)
        return st;
    *out = reg_arena_sprintf(a, "%s%s?%s", c->base, path, p.query);
    return REG_OK;
}
