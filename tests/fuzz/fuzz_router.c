/*
 * fuzz_router.c - libFuzzer harness of the router (lib/http/router.c, against the registry's
 * own route table reg_routes) and of percent-decoding (reg_str_percent_decode,
 * reg_str_query_param). The input is "METHOD TARGET" (TARGET: path, then '?' and the query).
 * Properties checked:
 *   - a match is a route of that method whose pattern is req.route, with one decoded, non-empty
 *     parameter per template parameter; 405's Allow list names only other methods, each of which
 *     the path matches; a 404 path matches no method at all;
 *   - re-encoding the decoded parameters into the template (routes without wildcards, whose
 *     segmentation is unambiguous) gives a path that matches the same route with the same values;
 *   - percent-decoding never grows a string nor yields a NUL, and decoding the re-encoded result
 *     gives it back; a query parameter re-encoded into "name=value" reads back unchanged.
 * Built with -fsanitize=fuzzer,address,undefined by `make fuzz`, and without libFuzzer by
 * tests/fuzz/replay.c (make check replays tests/fuzz/corpus/router).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "handlers/handlers.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};
#define NMETHODS ((int)(sizeof(methods) / sizeof(methods[0])))

static void
check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_router: %s\n", what);
        abort();
    }
}

/* s percent-encoded (every byte but the unreserved ones, and '/' when keep_slash). */
static char *
encode(struct reg_arena *a, const char *s, bool keep_slash)
{
    char *out = reg_arena_alloc(a, 3 * strlen(s) + 1), *o = out;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (reg_str_is_unreserved(*p) || (keep_slash && *p == '/'))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = '\0';
    return out;
}

static void
check_decode(struct reg_arena *a, const char *s, size_t n, bool plus)
{
    char *d, *again;

    if (reg_str_percent_decode(a, s, n, plus, &d) != REG_OK)
        return;
    check(strlen(d) <= n, "decoding grew the string");
    check(reg_str_percent_decode(a, encode(a, d, false), 3 * strlen(d), false, &again) == REG_OK &&
              strcmp(again, d) == 0,
          "decoding the re-encoded value does not give it back");
}

static void
check_query(struct reg_arena *a, const char *query)
{
    const char *names[] = {"offset", "q", NULL};
    size_t key_len = strcspn(query, "=&");

    names[2] = reg_arena_strndup(a, query, key_len);
    for (int i = 0; i < 3; i++) {
        char *v, *back;
        if (reg_str_query_param(a, query, names[i], &v) != REG_OK || !v)
            continue;
        check(reg_str_query_param(
                  a, reg_arena_sprintf(a, "%s=%s&%s=", names[i], encode(a, v, false), names[i]),
                  names[i], &back) == REG_OK &&
                  back && strcmp(back, v) == 0,
              "a query parameter does not read back once re-encoded");
    }
    check_decode(a, query, strlen(query), true);
}

static int
count_params(const char *pattern)
{
    int n = 0;

    for (const char *p = pattern; (p = strchr(p, '{')) != NULL; p++)
        n++;
    return n;
}

/* The path route's template gives with req's decoded parameters encoded in; NULL when the
 * template has a wildcard (a decoded '/' makes its segmentation ambiguous). */
static char *
rebuild(struct reg_arena *a, const struct reg_request *req)
{
    const char *p = req->route;
    char *out = reg_arena_strdup(a, "");

    if (strchr(p, '*'))
        return NULL;
    while (*p) {
        const char *open = strchr(p, '{'), *close;
        if (!open)
            return reg_arena_sprintf(a, "%s%s", out, p);
        close = strchr(open, '}');
        out = reg_arena_sprintf(
            a, "%s%.*s%s", out, (int)(open - p), p,
            encode(
                a,
                reg_request_param(req, reg_arena_strndup(a, open + 1, (size_t)(close - open - 1))),
                false));
        p = close + 1;
    }
    return out;
}

static void
check_same_route(const struct reg_request *req, const struct reg_route *route)
{
    struct reg_request again;
    const struct reg_route *r2;
    const char *allow;
    char *path;

    reg_request_init(&again);
    path = rebuild(&again.arena, req);
    if (path) {
        again.method = req->method;
        again.path = path;
        check(reg_router_match(route, 1, &again, &r2, &allow) == REG_OK && r2 == route &&
                  again.nparams == req->nparams,
              "the re-encoded path does not match its route");
        for (int i = 0; i < req->nparams; i++)
            check(strcmp(again.params[i].value, req->params[i].value) == 0,
                  "the re-encoded path gives other parameters");
    }
    reg_request_cleanup(&again);
}

/* Matches path with method in a request of its own. */
static enum reg_status
match_with(const char *method, const char *path, const struct reg_route **route)
{
    struct reg_request req;
    const char *allow;
    enum reg_status st;

    reg_request_init(&req);
    req.method = method;
    req.path = path;
    st = reg_router_match(reg_routes, reg_nroutes, &req, route, &allow);
    reg_request_cleanup(&req);
    return st;
}

static void
check_match(struct reg_request *req)
{
    const struct reg_route *route, *other;
    const char *allow;
    enum reg_status st = reg_router_match(reg_routes, reg_nroutes, req, &route, &allow);

    if (st == REG_OK) {
        check(route && strcmp(route->method, req->method) == 0 && req->route == route->pattern,
              "a match of another method or pattern");
        check(req->nparams == count_params(route->pattern), "parameters missing");
        for (int i = 0; i < req->nparams; i++)
            check(req->params[i].value[0] != '\0' && strstr(route->pattern, req->params[i].name),
                  "an empty or unknown parameter");
        check_same_route(req, route);
    } else if (st == REG_EMETHOD) {
        check(allow && *allow, "405 without an Allow list");
        for (int m = 0; m < NMETHODS; m++) {
            enum reg_status with = match_with(methods[m], req->path, &other);
            if (strstr(allow, methods[m]))
                check(strcmp(methods[m], req->method) != 0 &&
                          (with == REG_OK || with == REG_EINVAL),
                      "the Allow list names a method that does not match");
            else
                check(with == REG_EMETHOD || strcmp(methods[m], req->method) == 0,
                      "a method missing from the Allow list matches");
        }
    } else if (st == REG_ENOROUTE) {
        for (int m = 0; m < NMETHODS; m++)
            check(match_with(methods[m], req->path, &other) == REG_ENOROUTE,
                  "a 404 path matches with another method");
    } else {
        check(st == REG_EINVAL, "the router failed otherwise than 404, 405 or a bad escape");
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reg_request req;
    char *text, *sp, *q;

    reg_request_init(&req);
    text = reg_arena_strndup(&req.arena, (const char *)data, size);
    sp = strchr(text, ' ');
    if (sp) {
        *sp = '\0';
        req.method = text;
        req.path = sp + 1;
        q = strchr(sp + 1, '?');
        if (q) {
            *q = '\0';
            req.query = q + 1;
        }
        check_decode(&req.arena, req.path, strlen(req.path), false);
        check_query(&req.arena, req.query);
        check_match(&req);
    }
    reg_request_cleanup(&req);
    return 0;
}
