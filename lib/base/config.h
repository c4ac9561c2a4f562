/*
 * config.h - the environment contract (DESIGN.md, "Configuration"), read once at start.
 *
 * Ownership: reg_config_load() fills a struct whose strings point into the process environment
 * or at static defaults; nothing to free. The struct lives for the process.
 */
#ifndef REG_BASE_CONFIG_H
#define REG_BASE_CONFIG_H

#include <stdint.h>

#include "base/status.h"

struct reg_config {
    int port;                      /* PORT */
    const char *data_dir;          /* REGISTRY_DATA_DIR */
    const char *store;             /* REGISTRY_STORE: "sqlite" | "dynamodb" */
    int workers;                   /* REGISTRY_WORKERS */
    const char *dynamodb_table;    /* DYNAMODB_TABLE */
    const char *dynamodb_endpoint; /* AWS_ENDPOINT_URL_DYNAMODB; NULL: the region's endpoint */
    const char *aws_region;        /* AWS_REGION (or AWS_DEFAULT_REGION) */
    const char *aws_access_key_id;
    const char *aws_secret_access_key;
    const char *aws_session_token; /* NULL when none */
    const char *hf_endpoint;       /* HF_ENDPOINT */
    const char *github_api_url;    /* GITHUB_API_URL */
    const char *hf_token;          /* HF_TOKEN; NULL when none */
    const char *github_token;      /* GITHUB_TOKEN; NULL when none */
    int upstream_timeout_ms;       /* REGISTRY_UPSTREAM_TIMEOUT_MS: per upstream attempt, 15000 */
    const char *ingest_gate;       /* REGISTRY_INGEST_GATE: "net" (default) | "strict" */
    int64_t bundle_max_bytes;      /* REGISTRY_BUNDLE_MAX_BYTES: largest bundle kept, 0 = any */
    int64_t upload_max_bytes;      /* REGISTRY_UPLOAD_MAX_BYTES: largest upload, 1 GiB */
    int64_t blob_reserve_bytes;    /* REGISTRY_BLOB_RESERVE_BYTES: free space kept, 1 GiB */
    const char *blobs;             /* REGISTRY_BLOBS: "disk" | "s3" */
    const char *s3_bucket;         /* S3_BUCKET (REGISTRY_BLOBS=s3) */
    const char *s3_endpoint;       /* AWS_ENDPOINT_URL_S3; NULL: the region's endpoint */
    const char *bundle_hosts;      /* REGISTRY_BUNDLE_HOSTS: extra bases files may come from
                                    * (space-separated); default: the Hub's CDN hosts when
                                    * HF_ENDPOINT is https://huggingface.co, else none */
    const char *admin_password;    /* REGISTRY_ADMIN_PASSWORD */
    int token_ttl_seconds;         /* REGISTRY_TOKEN_TTL_SECONDS: 10 hours */
    int token_max_uses;            /* REGISTRY_TOKEN_MAX_USES: 1000 */
    int pbkdf2_iterations;         /* REGISTRY_PBKDF2_ITERATIONS: for new password records */
};

/* Reads the environment; a malformed value (PORT=abc) is REG_EINVAL with a detail. */
enum reg_status reg_config_load(struct reg_config *out);

#endif
