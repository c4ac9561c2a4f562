/*
 * limits.h - every size, depth, count and timeout limit of the registry, in one place.
 */
#ifndef REG_BASE_LIMITS_H
#define REG_BASE_LIMITS_H

/* Request bodies. nginx refuses larger ones first (conf/nginx.conf.in, client_max_body_size). */
#define REG_MAX_BODY (1024 * 1024)
/* Nesting depth accepted by the JSON parser. */
#define REG_JSON_MAX_DEPTH 16
/* Values (objects, arrays, strings, keys included, numbers, literals) a request body may hold,
 * counted by a pre-scan before json-c allocates anything: json-c spends ~760 bytes on an empty
 * object, so 1 MiB of "[{},{},...]" would cost ~266 MB. This bound keeps a parse under ~13 MB
 * and still admits a Hub paths-info request naming every file of the largest bundle (10,000). */
#define REG_JSON_MAX_VALUES 16384

/*
 * Per-route body caps (the last column of lib/handlers/routes.c), checked by the dispatcher
 * before any parsing: 413 past them.
 *
 * Small JSON bodies (authentication, users and permissions, license check, regex search,
 * register, update) and routes that take no body: every field they read is bounded (a password
 * of 1024 bytes, a URL of REG_URL_MAX, a regex of REG_REGEX_MAX_LEN), with room for whitespace
 * and escapes.
 */
#define REG_BODY_SMALL_MAX (8 * 1024)
/* Longest version or version range (core/semver.h). */
#define REG_VERSION_TEXT_MAX 256
/* One enumerate query, {"name": <name of REG_NAME_MAX>, "types": [...]}, even with every
 * character of the name written as a six-byte escape, and a "version" range of
 * REG_VERSION_TEXT_MAX plain characters besides; the enumerate body holds REG_MAX_QUERIES. */
#define REG_QUERY_BODY_MAX 2048
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
/* One segment of an upstream repository id in a source URL (a Hugging Face organisation or
 * repository name, a GitHub owner or repository, a Kaggle owner or dataset). The Hub creates
 * names of at most 96 characters today but serves older, longer ones (a public model's name has
 * 98), so the registry does not apply the Hub's limit: a segment is bounded by what the
 * registry itself must hold, the artifact name derived from it, and the whole URL by
 * REG_URL_MAX. (GitHub refuses names over 100 characters for every repository; the GitHub
 * client checks that.) */
#define REG_REPO_SEGMENT_MAX REG_NAME_MAX

/* Absolute links in answers (download_url): the Host header is used only when it is a plain
 * host[:port] of at most REG_HOST_MAX bytes; REGISTRY_PUBLIC_URL is at most REG_PUBLIC_URL_MAX. */
#define REG_HOST_MAX 255
#define REG_PUBLIC_URL_MAX 1024

/* Enumerate (POST /artifacts): artifacts per page, queries per request, body cap. */
#define REG_PAGE_SIZE 100
#define REG_MAX_QUERIES 64
/* Store pages (of REG_PAGE_SIZE) one enumerate with a version range reads before it answers
 * with what it found so far and an offset to go on from: a bound on one request's work when
 * few artifacts have a matching version. */
#define REG_VERSION_SCAN_PAGES 20
#define REG_BODY_QUERIES_MAX (REG_MAX_QUERIES * REG_QUERY_BODY_MAX)

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
/* The README snapshot of a host (core/readme_snapshot.h): one file of every README's searchable
 * prefix, mapped by every worker, so its size is at most artifacts x REG_SEARCH_README_MAX plus
 * 56 bytes each (16,000 artifacts whose READMEs all reach 64 KiB fill it). Past it no snapshot
 * is written and each search reads the READMEs from the store, as without one. */
#define REG_README_SNAPSHOT_MAX ((size_t)1 << 30)

/* SQLite busy timeout while another worker holds the write lock. */
#define REG_SQLITE_BUSY_MS 5000

/* Retry-After of a 503 (the store, or upstream when no copy is stored), in seconds. */
#define REG_RETRY_AFTER_SECONDS_TEXT "30"

/* Workers that may stream a bundle being fetched at once: the others keep answering the API. */
#define REG_STREAM_SLOTS_MAX 64
#define REG_STREAM_WORKERS_KEPT 2

/* Sensitive models (core/sensitive.h): the largest monitor program, and the bytes of a
 * monitor's stdout kept (the rest is read and dropped); an error answer's detail holds the
 * recorded detail plus that much. */
#define REG_MONITOR_PROGRAM_MAX (64 * 1024)
#define REG_MONITOR_OUTPUT_MAX (64 * 1024)
#define REG_ERROR_ANSWER_MAX (REG_ERROR_DETAIL_MAX + REG_MONITOR_OUTPUT_MAX)

#endif
