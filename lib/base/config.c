/*
 * config.c - environment variables with their documented defaults.
 */
#include "base/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"

#define DEFAULT_ADMIN_PASSWORD "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"

static const char *
env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);

    return (v && *v) ? v : fallback;
}

static enum reg_status
env_int64(const char *name, int64_t fallback, int64_t min, int64_t max, int64_t *out)
{
    const char *v = getenv(name);
    char *end;
    long long n;

    *out = fallback;
    if (!v || !*v)
        return REG_OK;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno || *end || n < min || n > max)
        return reg_errorf(REG_EINVAL, "%s must be an integer in [%lld, %lld], got '%s'", name,
                          (long long)min, (long long)max, v);
    *out = (int64_t)n;
    return REG_OK;
}

static enum reg_status
env_int(const char *name, int fallback, int min, int max, int *out)
{
    int64_t v;
    enum reg_status st = env_int64(name, fallback, min, max, &v);

    *out = (int)v;
    return st;
}

/* REGISTRY_PUBLIC_URL: http(s)://host[:port][/path], the path of letters, digits and "-._~/"
 * (no user info, query or fragment: it is the start of every link the registry hands out).
 * Unset is "". A trailing '/' is dropped. */
static enum reg_status
public_url(const char *v, char out[REG_PUBLIC_URL_MAX + 1])
{
    static const char path_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/";
    char host[REG_HOST_MAX + 1];
    size_t skip, host_n, n;

    out[0] = '\0';
    if (!v || !*v)
        return REG_OK;
    n = strlen(v);
    skip = strncmp(v, "https://", 8) == 0 ? 8 : strncmp(v, "http://", 7) == 0 ? 7 : 0;
    host_n = strcspn(v + skip, "/");
    if (!skip || n > REG_PUBLIC_URL_MAX)
        return reg_errorf(REG_EINVAL,
                          "REGISTRY_PUBLIC_URL must be http(s)://host[:port][/path] of at most %d "
                          "bytes, got '%.200s'",
                          REG_PUBLIC_URL_MAX, v);
    if (host_n < sizeof(host)) {
        memcpy(host, v + skip, host_n);
        host[host_n] = '\0';
    }
    if (host_n >= sizeof(host) || !reg_str_is_host_port(host))
        return reg_errorf(REG_EINVAL,
                          "REGISTRY_PUBLIC_URL's host must be a plain host[:port] (no user info), "
                          "got '%.200s'",
                          v);
    if (strspn(v + skip + host_n, path_chars) != n - skip - host_n)
        return reg_errorf(REG_EINVAL,
                          "REGISTRY_PUBLIC_URL's path may hold only letters, digits and \"-._~/\" "
                          "(no query or fragment), got '%.200s'",
                          v);
    while (n > skip + host_n && v[n - 1] == '/')
        n--;
    memcpy(out, v, n);
    out[n] = '\0';
    return REG_OK;
}

/* nginx's address as links name it: REGISTRY_LISTEN (IPv6 in brackets) and PORT; a wildcard,
 * which is no address a client can use, or anything unexpected reads as 127.0.0.1. */
static void
listen_address(const char *listen, int port, char *out, size_t cap)
{
    char host[REG_HOST_MAX + 1];

    if (strchr(listen, ':') && listen[0] != '[')
        snprintf(host, sizeof(host), "[%s]", listen);
    else
        snprintf(host, sizeof(host), "%s", listen);
    if (!reg_str_is_host_port(host) || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    snprintf(out, cap, "%s:%d", host, port);
}

enum reg_status
reg_config_load(struct reg_config *out)
{
    enum reg_status st;

    st = env_int("PORT", 8080, 1, 65535, &out->port);
    if (st == REG_OK)
        st = env_int("REGISTRY_WORKERS", 8, 1, 256, &out->workers);
    if (st == REG_OK)
        st = env_int("REGISTRY_TOKEN_TTL_SECONDS", 10 * 3600, 1, 366 * 24 * 3600,
                     &out->token_ttl_seconds);
    if (st == REG_OK)
        st = env_int("REGISTRY_TOKEN_MAX_USES", 1000, 1, 1000000000, &out->token_max_uses);
    if (st == REG_OK)
        st = env_int("REGISTRY_PBKDF2_ITERATIONS", 600000, 1, 100000000, &out->pbkdf2_iterations);
    /* At most the longest refusal window, REG_BACKOFF_MAX_MS (auth/backoff.h). */
    if (st == REG_OK)
        st = env_int("REGISTRY_LOGIN_BACKOFF_MS", 1000, 0, 15 * 60 * 1000, &out->login_backoff_ms);
    if (st == REG_OK)
        st = env_int("REGISTRY_AUDIT_READ_WINDOW_SECONDS", 3600, 0, 366 * 24 * 3600,
                     &out->audit_read_window_seconds);
    if (st == REG_OK)
        st = env_int("REGISTRY_UPSTREAM_TIMEOUT_MS", 15000, 100, 600000, &out->upstream_timeout_ms);
    if (st == REG_OK)
        st = env_int("REGISTRY_MONITOR_TIMEOUT_MS", 20000, 100, 600000, &out->monitor_timeout_ms);
    if (st == REG_OK)
        st = env_int64("REGISTRY_BUNDLE_MAX_BYTES", 0, 0, INT64_MAX, &out->bundle_max_bytes);
    if (st == REG_OK)
        st = env_int64("REGISTRY_UPLOAD_MAX_BYTES", (int64_t)1 << 30, 1, INT64_MAX,
                       &out->upload_max_bytes);
    if (st == REG_OK)
        st = env_int64("REGISTRY_BLOB_RESERVE_BYTES", (int64_t)1 << 30, 0, INT64_MAX,
                       &out->blob_reserve_bytes);
    if (st != REG_OK)
        return st;
    out->data_dir = env_or("REGISTRY_DATA_DIR", "./var");
    /* The same default as conf/render.sh, which gives it to nginx. */
    out->listen = env_or("REGISTRY_LISTEN", "127.0.0.1");
    out->store = env_or("REGISTRY_STORE", "sqlite");
    out->dynamodb_table = env_or("DYNAMODB_TABLE", "registry");
    out->dynamodb_endpoint = env_or("AWS_ENDPOINT_URL_DYNAMODB", NULL);
    out->aws_region = env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION", "us-east-1"));
    out->aws_access_key_id = env_or("AWS_ACCESS_KEY_ID", NULL);
    out->aws_secret_access_key = env_or("AWS_SECRET_ACCESS_KEY", NULL);
    out->aws_session_token = env_or("AWS_SESSION_TOKEN", NULL);
    out->hf_endpoint = env_or("HF_ENDPOINT", "https://huggingface.co");
    out->github_api_url = env_or("GITHUB_API_URL", "https://api.github.com");
    out->hf_token = env_or("HF_TOKEN", NULL);
    out->github_token = env_or("GITHUB_TOKEN", NULL);
    out->node = env_or("REGISTRY_NODE", REG_CONFIG_NODE_DEFAULT);
    out->ingest_gate = env_or("REGISTRY_INGEST_GATE", "net");
    out->scan_policy = env_or("REGISTRY_SCAN_POLICY", "block");
    out->blobs = env_or("REGISTRY_BLOBS", "disk");
    out->s3_bucket = env_or("S3_BUCKET", NULL);
    out->s3_endpoint = env_or("AWS_ENDPOINT_URL_S3", NULL);
    if (strcmp(out->blobs, "disk") != 0 && strcmp(out->blobs, "s3") != 0)
        return reg_errorf(REG_EINVAL, "REGISTRY_BLOBS must be 'disk' or 's3', got '%s'",
                          out->blobs);
    if (strcmp(out->blobs, "s3") == 0 && !out->s3_bucket)
        return reg_errorf(REG_EINVAL, "REGISTRY_BLOBS=s3 needs S3_BUCKET");
    out->bundle_hosts = env_or("REGISTRY_BUNDLE_HOSTS",
                               strcmp(out->hf_endpoint, "https://huggingface.co") == 0
                                   ? "https://cdn-lfs.huggingface.co https://cdn-lfs.hf.co "
                                     "https://cdn-lfs-us-1.hf.co https://cdn-lfs-eu-1.hf.co "
                                     "https://cas-bridge.xethub.hf.co"
                                   : "");
    if (strcmp(out->ingest_gate, "net") != 0 && strcmp(out->ingest_gate, "strict") != 0)
        return reg_errorf(REG_EINVAL, "REGISTRY_INGEST_GATE must be 'net' or 'strict', got '%s'",
                          out->ingest_gate);
    out->admin_password = env_or("REGISTRY_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD);
    listen_address(env_or("REGISTRY_LISTEN", "127.0.0.1"), out->port, out->listen_address,
                   sizeof(out->listen_address));
    return public_url(getenv("REGISTRY_PUBLIC_URL"), out->public_url);
}

bool
reg_config_listen_is_loopback(const struct reg_config *cfg)
{
    static const unsigned char loopback6[16] = {[15] = 1};
    static const unsigned char mapped_prefix[12] = {[10] = 0xff, [11] = 0xff};
    unsigned char addr[sizeof(struct in6_addr)];
    char host[INET6_ADDRSTRLEN];
    const char *text = cfg->listen;
    size_t n = strlen(text);

    if (strcasecmp(text, "localhost") == 0)
        return true;
    /* nginx wants an IPv6 address in brackets: [::1] */
    if (n > 2 && text[0] == '[' && text[n - 1] == ']' && n - 2 < sizeof(host)) {
        snprintf(host, sizeof(host), "%.*s", (int)(n - 2), text + 1);
        text = host;
    }
    if (inet_pton(AF_INET, text, addr) == 1)
        return addr[0] == 127;
    /* A host name, or anything else, may resolve to an address others reach. */
    if (inet_pton(AF_INET6, text, addr) != 1)
        return false;
    return memcmp(addr, loopback6, 16) == 0 ||
           (memcmp(addr, mapped_prefix, 12) == 0 && addr[12] == 127);
}

bool
reg_config_admin_password_is_public(const struct reg_config *cfg)
{
    return strcmp(cfg->admin_password, DEFAULT_ADMIN_PASSWORD) == 0;
}

int
reg_config_warnings(const struct reg_config *cfg, const char *out[REG_CONFIG_WARNINGS_MAX])
{
    int n = 0;

    if (reg_config_admin_password_is_public(cfg) && !reg_config_listen_is_loopback(cfg))
        out[n++] = "REGISTRY_ADMIN_PASSWORD is unset (or the API contract's example password) and "
                   "REGISTRY_LISTEN is not a loopback address: the default admin "
                   "ece30861defaultadminuser, created on the first start and by every "
                   "DELETE /reset, has a password anyone can look up; set "
                   "REGISTRY_ADMIN_PASSWORD";
    return n;
}
