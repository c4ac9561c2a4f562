/*
 * registry-load.c - the load client: N concurrent kept-alive HTTP/1.1 clients, each doing M
 * sequential GETs of one URL, and one JSON object of figures on stdout (perf/loadgen.h).
 * The download workload (POST /health/workloads) runs it next to registryd; the benchmarks
 * run it too.
 *
 *   registry-load --url URL [--header 'Name: value']... --clients N --requests M
 *                 [--warmup K] [--timeout-ms T] [--histogram-buckets B]
 *
 * Exit status: 0 when the load ran (errors are counted in the figures, not in the status),
 * 2 for bad arguments (with the reason on stderr), 1 when it could not run at all.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/json.h"
#include "perf/loadgen.h"

int
main(int argc, char **argv)
{
    struct reg_loadgen_options o;
    struct reg_loadgen_result r;
    struct reg_arena a;
    bool help;
    int rc = 0;

    reg_arena_init(&a);
    if (reg_loadgen_parse_args(&a, argc, argv, &o, &help) != REG_OK) {
        fprintf(stderr, "registry-load: %s\n%s", reg_error_detail(), reg_loadgen_usage);
        reg_arena_cleanup(&a);
        return 2;
    }
    if (help) {
        fputs(reg_loadgen_usage, stdout);
        reg_arena_cleanup(&a);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer that resets is a transport error, not our death */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "registry-load: libcurl cannot be initialised\n");
        reg_arena_cleanup(&a);
        return 1;
    }
    if (reg_loadgen_run(&o, &r) == REG_OK) {
        struct json_object *figures = reg_loadgen_json(&r, o.buckets);
        puts(reg_json_text(figures, NULL));
        json_object_put(figures);
    } else {
        fprintf(stderr, "registry-load: %s\n", reg_error_detail());
        rc = 1;
    }
    reg_loadgen_result_cleanup(&r);
    curl_global_cleanup();
    reg_arena_cleanup(&a);
    return rc == 0 && fflush(stdout) != 0 ? 1 : rc;
}
