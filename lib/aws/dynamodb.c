/*
 * dynamodb.c - signed JSON-protocol calls with standard-mode retries (see dynamodb.h).
 */
#include "aws/dynamodb.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "aws/endpoint.h"
#include "aws/sigv4.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"

#define MAX_ATTEMPTS 4
#define RETRY_BUDGET 500
#define RETRY_COST 5
#define RETRY_TIMEOUT_COST 10
#define CONNECT_TIMEOUT_MS 2000
#define TOTAL_TIMEOUT_MS 10000
#define RESPONSE_MAX (16u * 1024 * 1024)
#define TARGET_PREFIX "DynamoDB_20120810."

struct reg_dynamodb {
    CURL *curl;
    char *url;  /* endpoint URL with a trailing "/" */
    char *host; /* the Host header: host[:port] */
    char *region;
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    int retry_budget;
    bool last_retried;
};

/* What one attempt produced. */
struct attempt {
    struct reg_buf body;
    char crc[16]; /* x-amz-crc32, "" if absent */
    long http_status;
    CURLcode curl_rc;
};

void
reg_dynamodb_free(struct reg_dynamodb *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c->url);
    free(c->host);
    free(c->region);
    free(c->access_key_id);
    if (c->secret_access_key)
        OPENSSL_cleanse(c->secret_access_key, strlen(c->secret_access_key));
    free(c->secret_access_key);
    free(c->session_token);
    free(c);
}

/* The URL to post to ("<origin>/") and the Host header. */
static enum reg_status
parse_endpoint(struct reg_dynamodb *c, const char *endpoint)
{
    struct reg_aws_endpoint e;
    enum reg_status st = reg_aws_endpoint_parse("DynamoDB", endpoint, &e);

    if (st != REG_OK)
        return st;
    c->host = e.host;
    c->url = malloc(strlen(e.origin) + 2);
    if (!c->url)
        reg_oom();
    snprintf(c->url, strlen(e.origin) + 2, "%s/", e.origin);
    free(e.origin);
    return REG_OK;
}

enum reg_status
reg_dynamodb_new(const struct reg_dynamodb_config *cfg, struct reg_dynamodb **out)
{
    struct reg_dynamodb *c = calloc(1, sizeof(*c));
    char fallback[256];
    enum reg_status st;

    *out = NULL;
    if (!c)
        reg_oom();
    if (!cfg->access_key_id || !*cfg->access_key_id || !cfg->secret_access_key ||
        !*cfg->secret_access_key) {
        free(c);
        return reg_errorf(REG_EINVAL, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required "
                                      "for REGISTRY_STORE=dynamodb");
    }
    snprintf(fallback, sizeof(fallback), "https://dynamodb.%s.amazonaws.com", cfg->region);
    st = parse_endpoint(c, cfg->endpoint && *cfg->endpoint ? cfg->endpoint : fallback);
    if (st != REG_OK) {
        reg_dynamodb_free(c);
        return st;
    }
    c->region = reg_str_dup_nonempty(cfg->region);
    c->access_key_id = reg_str_dup_nonempty(cfg->access_key_id);
    c->secret_access_key = reg_str_dup_nonempty(cfg->secret_access_key);
    c->session_token = reg_str_dup_nonempty(cfg->session_token);
    c->retry_budget = RETRY_BUDGET;
    c->curl = curl_easy_init();
    if (!c->curl)
        reg_oom();
    *out = c;
    return REG_OK;
}

bool
reg_dynamodb_last_call_retried(const struct reg_dynamodb *c)
{
    return c->last_retried;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct reg_buf *b = arg;

    return reg_buf_append(b, data, size * nmemb) == REG_OK ? size * nmemb : 0;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct attempt *at = arg;
    size_t n = size * nmemb;
    const char *name = "x-amz-crc32:";

    if (n > strlen(name) && strncasecmp(data, name, strlen(name)) == 0) {
        const char *v = data + strlen(name);
        size_t len;
        while (*v == ' ')
            v++;
        len = strcspn(v, "\r\n");
        if (len < sizeof(at->crc)) {
            memcpy(at->crc, v, len);
            at->crc[len] = '\0';
        } else {
            /* Too long to be a CRC32: dropping it would skip the check, so keep a value that
             * fails it (crc_matches reads digits only). */
            snprintf(at->crc, sizeof(at->crc), "invalid");
        }
    }
    return n;
}

/* Builds the signed header list for one attempt. */
static enum reg_status
signed_headers(struct reg_dynamodb *c, struct reg_arena *a, const char *op, const char *body,
               size_t len, struct curl_slist **out)
{
    char amz_date[17];
    struct reg_sigv4_header h[4];
    struct reg_sigv4_request req = {"POST", "/", "", h, 4, body, len, true, false, false};
    struct reg_sigv4_credentials cred = {c->access_key_id, c->secret_access_key, c->session_token};
    struct reg_sigv4_result sig;
    enum reg_status st;

    reg_sigv4_amz_date(time(NULL), amz_date);
    h[0] = (struct reg_sigv4_header){"Host", c->host};
    h[1] = (struct reg_sigv4_header){"X-Amz-Date", amz_date};
    h[2] = (struct reg_sigv4_header){"X-Amz-Target", reg_arena_sprintf(a, TARGET_PREFIX "%s", op)};
    h[3] = (struct reg_sigv4_header){"Content-Type", "application/x-amz-json-1.0"};
    st = reg_sigv4_sign(a, &req, &cred, c->region, "dynamodb", amz_date, &sig);
    if (st != REG_OK)
        return st;
    *out = NULL;
    for (int i = 1; i < 4; i++)
        *out = curl_slist_append(*out, reg_arena_sprintf(a, "%s: %s", h[i].name, h[i].value));
    for (int i = 0; i < sig.nextra; i++)
        *out = curl_slist_append(
            *out, reg_arena_sprintf(a, "%s: %s", sig.extra[i].name, sig.extra[i].value));
    *out = curl_slist_append(*out, reg_arena_sprintf(a, "Authorization: %s", sig.authorization));
    *out = curl_slist_append(*out, "Expect:");
    if (!*out)
        reg_oom();
    return REG_OK;
}

static enum reg_status
send_once(struct reg_dynamodb *c, struct reg_arena *a, const char *op, const char *body, size_t len,
          struct attempt *at)
{
    struct curl_slist *headers;
    enum reg_status st = signed_headers(c, a, op, body, len, &headers);
    CURL *h = c->curl;

    if (st != REG_OK)
        return st;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &at->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, at);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TOTAL_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    at->curl_rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &at->http_status);
    curl_slist_free_all(headers);
    return REG_OK;
}

/* The error type without its namespace: "com.amazonaws...#ThrottlingException" -> "Throttling...".
 */
static const char *
error_type(struct json_object *err)
{
    struct json_object *t;
    const char *s, *hash;

    if (!err || !json_object_object_get_ex(err, "__type", &t))
        return "";
    s = json_object_get_string(t);
    hash = strrchr(s, '#');
    return hash ? hash + 1 : s;
}

static const char *
error_message(struct json_object *err)
{
    struct json_object *m;

    if (err && (json_object_object_get_ex(err, "message", &m) ||
                json_object_object_get_ex(err, "Message", &m)))
        return json_object_get_string(m);
    return "";
}

static bool
is_throttling(const char *type)
{
    static const char *const codes[] = {"ThrottlingException",
                                        "Throttling",
                                        "ProvisionedThroughputExceededException",
                                        "RequestLimitExceeded",
                                        "RequestThrottled",
                                        "RequestThrottledException",
                                        "TooManyRequestsException",
                                        "ThrottledException",
                                        "LimitExceededException",
                                        "SlowDown",
                                        "TransactionInProgressException"};

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(type, codes[i]) == 0)
            return true;
    return false;
}

static bool
crc_matches(const struct attempt *at)
{
    char *end;
    unsigned long want;
    uLong got;

    if (!at->crc[0])
        return true;
    want = strtoul(at->crc, &end, 10);
    got = crc32(0L, (const Bytef *)(at->body.data ? at->body.data : ""), (uInt)at->body.len);
    return *end == '\0' && want == got;
}

int64_t
reg_dynamodb_backoff_ceiling_ms(int retry)
{
    int64_t ceiling = REG_DYNAMODB_BACKOFF_BASE_MS;

    /* Doubling stops at the cap, so no retry number can overflow it. */
    for (int i = 1; i < retry && ceiling < REG_DYNAMODB_BACKOFF_CAP_MS; i++)
        ceiling *= 2;
    return ceiling < REG_DYNAMODB_BACKOFF_CAP_MS ? ceiling : REG_DYNAMODB_BACKOFF_CAP_MS;
}

struct timespec
reg_dynamodb_backoff(int retry, uint32_t jitter)
{
    /* Scaling (not a modulo) keeps the pause growing with the retry for a given jitter. */
    int64_t ms = (int64_t)(((uint64_t)reg_dynamodb_backoff_ceiling_ms(retry) * jitter) >> 32);
    struct timespec ts;

    /* nanosleep refuses a tv_nsec of a second or more (EINVAL) and does not wait at all. */
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    return ts;
}

void
reg_dynamodb_backoff_sleep(int retry)
{
    uint32_t jitter = 0;
    struct timespec ts;

    RAND_bytes((unsigned char *)&jitter, sizeof(jitter));
    ts = reg_dynamodb_backoff(retry, jitter);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Classifies one attempt: REG_OK (done, *out set), a final error, or retry (*retry set with
 * the budget cost). */
static enum reg_status
judge(struct reg_arena *a, const char *op, struct attempt *at, struct json_object **out,
      bool *retry, int *cost)
{
    struct json_object *doc = NULL;
    const char *type;

    *retry = false;
    *cost = RETRY_COST;
    if (at->curl_rc != CURLE_OK) {
        *retry = true;
        *cost = at->curl_rc == CURLE_OPERATION_TIMEDOUT ? RETRY_TIMEOUT_COST : RETRY_COST;
        return reg_errorf(REG_EUNAVAILABLE, "DynamoDB %s: %s", op, curl_easy_strerror(at->curl_rc));
    }
    if (!crc_matches(at)) {
        *retry = true;
        return reg_errorf(REG_EUNAVAILABLE, "DynamoDB %s: response failed its CRC32 check", op);
    }
    if (at->body.len)
        (void)reg_json_parse_bounded(a, at->body.data, at->body.len, RESPONSE_MAX, &doc);
    if (at->http_status == 200 && doc) {
        *out = doc;
        return REG_OK;
    }
    type = error_type(doc);
    if (at->http_status >= 500 || is_throttling(type) || (at->http_status == 200 && !doc)) {
        *retry = true;
        return reg_errorf(REG_EUNAVAILABLE, "DynamoDB %s: %ld %s %s", op, at->http_status, type,
                          error_message(doc));
    }
    if (strcmp(type, "ConditionalCheckFailedException") == 0)
        return reg_errorf(REG_ECONFLICT, "DynamoDB %s: condition failed", op);
    if (strcmp(type, "ResourceInUseException") == 0)
        return reg_errorf(REG_ECONFLICT, "DynamoDB %s: %s", op, error_message(doc));
    if (strcmp(type, "ResourceNotFoundException") == 0)
        return reg_errorf(REG_ENOTFOUND, "DynamoDB %s: %s", op, error_message(doc));
    reg_log(REG_LOG_ERROR, "DynamoDB %s refused: %ld %s %s", op, at->http_status, type,
            error_message(doc));
    return reg_errorf(REG_ESTORE, "DynamoDB %s refused: %s %s", op, type, error_message(doc));
}

enum reg_status
reg_dynamodb_call(struct reg_dynamodb *c, struct reg_arena *a, const char *op,
                  struct json_object *request, struct json_object **out)
{
    size_t len;
    const char *body = reg_json_text(request, &len);
    enum reg_status st = REG_EUNAVAILABLE;

    *out = NULL;
    c->last_retried = false;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        struct attempt at = {.crc = ""};
        bool retry;
        int cost = 0;

        reg_buf_init(&at.body, RESPONSE_MAX);
        st = send_once(c, a, op, body, len, &at);
        if (st == REG_OK)
            st = judge(a, op, &at, out, &retry, &cost);
        else
            retry = false;
        reg_buf_cleanup(&at.body);
        if (st == REG_OK && c->retry_budget < RETRY_BUDGET)
            c->retry_budget++;
        if (!retry || attempt == MAX_ATTEMPTS || c->retry_budget < cost)
            break;
        c->retry_budget -= cost;
        c->last_retried = true;
        reg_dynamodb_backoff_sleep(attempt);
    }
    return st;
}
