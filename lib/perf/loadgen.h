/*
 * loadgen.h - an HTTP load generator and its figures: N clients, each on its own kept-alive
 * HTTP/1.1 connection, each sending M sequential GETs of one URL (after K unmeasured warm-up
 * GETs), reading every body to its end and counting its bytes; then one JSON object with the
 * counts, the throughput, the latency statistics and a histogram (perf/loadstats.h).
 * tools/registry-load.c is its command line; the download workload (perf/workload.h) runs
 * that program.
 *
 * What is measured:
 *   - a request's latency runs from its start (the client sends it) to its last body byte
 *     (libcurl's total time of the transfer); only requests that got a whole HTTP answer,
 *     whatever its status, have one (a transport failure or timeout has none);
 *   - seconds is the wall time from the first measured request's start to the last one's end;
 *   - throughput_rps is 2xx answers per second, throughput_mib_s is the body bytes of the
 *     measured requests (of any status) per second, in MiB (2^20 bytes);
 *   - errors: answers 400-499, 500-599, any other non-2xx status (no redirect is followed, so
 *     a 3xx counts here), and transport failures (refused or reset connections, timeouts); a
 *     failed request still counts in requests, and the client goes on with its next one.
 *
 * Ownership: parsed options point into argv and the arena given; a result owns its latency
 * array until reg_loadgen_result_cleanup (NULL-safe). JSON returned is the caller's.
 */
#ifndef REG_PERF_LOADGEN_H
#define REG_PERF_LOADGEN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"

/* Bounds of the command line. */
#define REG_LOADGEN_CLIENTS_MAX 1000
#define REG_LOADGEN_REQUESTS_MAX 100000
#define REG_LOADGEN_TIMEOUT_MS_DEFAULT 60000L
#define REG_LOADGEN_TIMEOUT_MS_MAX (3600L * 1000)
/* Headers every client sends (--header and --header-file lines together). */
#define REG_LOADGEN_HEADERS_MAX 64
/* Lines of a --client-header-file: one per client at most. */
#define REG_LOADGEN_CLIENT_HEADERS_MAX REG_LOADGEN_CLIENTS_MAX
/* One header line, and a header file. */
#define REG_LOADGEN_HEADER_MAX 8192
#define REG_LOADGEN_FILE_MAX (1024 * 1024)
#define REG_LOADGEN_URL_MAX 8192
/* libcurl's receive buffer: downloads are large. */
#define REG_LOADGEN_BUFFER (256L * 1024)
#define REG_LOADGEN_USER_AGENT "registry-load/1.0 (+libcurl)"

struct reg_loadgen_options {
    const char *url;
    const char *headers[REG_LOADGEN_HEADERS_MAX]; /* "Name: value", sent by every client */
    int nheaders;
    const char **client_headers; /* client i also sends client_headers[i % nclient_headers] */
    int nclient_headers;
    int clients;
    int requests; /* measured GETs per client */
    int warmup;   /* unmeasured GETs per client before them */
    long timeout_ms;
    int buckets; /* histogram buckets */
    /* "Name: value" a measured answer should carry (--expect-header), or NULL: answers
     * without it are counted (a download that did not come from the stored copy, say). */
    const char *expect_header;
};

/* The command line, for --help and for errors. */
extern const char reg_loadgen_usage[];

/*
 * Parses the command line (argv[0] is the program):
 *   --url URL [--header 'Name: value']... [--header-file FILE] [--client-header-file FILE]
 *   --clients N --requests M [--warmup K] [--timeout-ms T] [--histogram-buckets B]
 *   [--expect-header 'Name: value']
 * also as --option=value. A header file holds one "Name: value" line per header (empty lines
 * are skipped): --header-file's are sent by every client, like --header, but do not show in the
 * process list; --client-header-file's line i is sent by clients i, i + L, ... (L lines), so
 * that each client can carry a token of its own. Files and their lines live in a. *help is set
 * for --help (nothing else is checked then). REG_EINVAL with the reason for anything missing,
 * unknown, malformed or out of bounds.
 */
enum reg_status reg_loadgen_parse_args(struct reg_arena *a, int argc, char *const argv[],
                                       struct reg_loadgen_options *out, bool *help);

struct reg_loadgen_result {
    int clients;
    uint64_t requests; /* measured requests made: clients x requests */
    uint64_t ok;       /* 2xx */
    uint64_t status_4xx, status_5xx, status_other, transport;
    uint64_t bytes;      /* body bytes of the measured requests */
    bool expecting;      /* an expected header was given */
    uint64_t unexpected; /* measured answers without it */
    double seconds;
    double *latencies_ms; /* of the measured requests that got an answer */
    size_t nlatencies;
    size_t cap;
};

/* Runs the load of o (parsed, so within bounds). REG_OK when it ran, whatever the answers;
 * REG_EINTERNAL when libcurl cannot be set up. The caller calls curl_global_init first. */
enum reg_status reg_loadgen_run(const struct reg_loadgen_options *o,
                                struct reg_loadgen_result *out);

void reg_loadgen_result_cleanup(struct reg_loadgen_result *r);

/*
 * The figures of r as one JSON object (sorting r's latencies):
 *   {"clients", "requests", "ok", "errors": {"status_4xx", "status_5xx", "status_other",
 *    "transport"}, "bytes", "seconds", "throughput_rps", "throughput_mib_s",
 *    "latency_ms": {"mean", "median", "p90", "p99", "min", "max"},
 *    "histogram": [{"le_ms", "count"}, ...]}, and "expect_header_missing" (answers without
 *    the expected header) when one was given,
 * with buckets histogram buckets (1..REG_LOADSTATS_BUCKETS_MAX). A new reference.
 */
struct json_object *reg_loadgen_json(struct reg_loadgen_result *r, int buckets);

#endif
