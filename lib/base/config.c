/*
 * config.c - environment variables with their documented defaults.
 */
#include "base/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
    if (st == REG_OK)
        st = env_int("REGISTRY_UPSTREAM_TIMEOUT_MS", 15000, 100, 600000, &out->upstream_timeout_ms);
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
    out->ingest_gate = env_or("REGISTRY_INGEST_GATE", "net");
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
    return REG_OK;
}
