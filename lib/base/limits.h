/*
 * limits.h - every size, depth, count and timeout limit of the registry, in one place.
 */
#ifndef REG_BASE_LIMITS_H
#define REG_BASE_LIMITS_H

/* Request bodies. nginx refuses larger ones first (conf/nginx.conf.in, client_max_body_size). */
#define REG_MAX_BODY (1024 * 1024)
/* Nesting depth accepted by the JSON parser. */
#define REG_JSON_MAX_DEPTH 16
/* Longest request path (bytes, before decoding). */
#define REG_MAX_PATH 4096
/* Path segments a route may have. */
#define REG_MAX_SEGMENTS 32
/* Detail text of an error. */
#define REG_ERROR_DETAIL_MAX 512

/* Artifact fields. */
#define REG_ID_MAX 32
#define REG_NAME_MAX 255
#define REG_URL_MAX 2048

/* Enumerate (POST /artifacts): artifacts per page, queries per request. */
#define REG_PAGE_SIZE 100
#define REG_MAX_QUERIES 64

/* Regular-expression search. */
#define REG_REGEX_MAX_LEN 1024
#define REG_REGEX_MATCH_LIMIT 1000000u
#define REG_REGEX_DEPTH_LIMIT 10000u
#define REG_REGEX_HEAP_LIMIT_KB 20000u
#define REG_REGEX_JIT_STACK_MIN (32 * 1024)
#define REG_REGEX_JIT_STACK_MAX (1024 * 1024)
/* Whole-search budget: past it the search stops with 400 rather than hold a worker. */
#define REG_REGEX_BUDGET_MS 900
/* README text kept per artifact (longer text is truncated at ingest). */
#define REG_README_MAX (1024 * 1024)
/* README text regex search reads per artifact: the first 64 KiB (cut back to a whole UTF-8
 * character). Search reads READMEs from the store one at a time, so this bounds its work per
 * artifact; the rest of a README is kept and downloaded, not searched. */
#define REG_SEARCH_README_MAX (64 * 1024)

/* SQLite busy timeout while another worker holds the write lock. */
#define REG_SQLITE_BUSY_MS 5000

/* Retry-After of a 503 (the store, or upstream when no copy is stored), in seconds. */
#define REG_RETRY_AFTER_SECONDS_TEXT "30"

/* Workers that may stream a bundle being fetched at once: the others keep answering the API. */
#define REG_STREAM_SLOTS_MAX 64
#define REG_STREAM_WORKERS_KEPT 2

#endif
