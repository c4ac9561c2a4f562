/*
 * router.c - segment-wise template matching; parameters are percent-decoded per segment, so
 * an encoded '/' (%2F) stays inside its parameter.
 */
#include "http/router.h"

#include <string.h>

#include "base/str.h"

struct segments {
    const char *start[REG_MAX_SEGMENTS + 1];
    size_t len[REG_MAX_SEGMENTS + 1];
    int n;
};

/* Splits "/a/b/c" into its segments; false if there are too many or the path is not absolute. */
static bool
split(const char *path, struct segments *out)
{
    const char *p = path;

    out->n = 0;
    if (*p != '/')
        return false;
    while (*p == '/') {
        const char *s = p + 1;
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (out->n > REG_MAX_SEGMENTS)
            return false;
        out->start[out->n] = s;
        out->len[out->n] = len;
        out->n++;
        p = s + len;
    }
    return true;
}

/* Matches pattern against the split path, recording parameters into req when it does. */
static bool
match(const char *pattern, const struct segments *path, struct reg_request *req, bool record)
{
    struct segments pat;
    int nparams = 0;

    if (!split(pattern, &pat) || pat.n != path->n)
        return false;
    for (int i = 0; i < pat.n; i++) {
        bool is_param = pat.len[i] > 2 && pat.start[i][0] == '{';
        if (!is_param) {
            if (pat.len[i] != path->len[i] || memcmp(pat.start[i], path->start[i], pat.len[i]))
                return false;
            continue;
        }
        if (path->len[i] == 0)
            return false;
        if (record) {
            struct reg_param *p = &req->params[nparams];
            p->name = reg_arena_strndup(&req->arena, pat.start[i] + 1, pat.len[i] - 2);
            p->value = reg_arena_strndup(&req->arena, path->start[i], path->len[i]);
        }
        nparams++;
    }
    if (record)
        req->nparams = nparams;
    return true;
}

static enum reg_status
decode_params(struct reg_request *req)
{
    for (int i = 0; i < req->nparams; i++) {
        char *v;
        const char *raw = req->params[i].value;
        enum reg_status st = reg_str_percent_decode(&req->arena, raw, strlen(raw), false, &v);
        if (st != REG_OK)
            return st;
        req->params[i].value = v;
    }
    return REG_OK;
}

enum reg_status
reg_router_match(const struct reg_route *routes, int nroutes, struct reg_request *req,
                 const struct reg_route **out, const char **allow)
{
    struct segments path;
    const char *methods = NULL;

    *out = NULL;
    *allow = NULL;
    if (strlen(req->path) > REG_MAX_PATH || !split(req->path, &path))
        return reg_errorf(REG_ENOROUTE, "no route for %s %.200s", req->method, req->path);
    for (int i = 0; i < nroutes; i++) {
        if (!match(routes[i].pattern, &path, req, false))
            continue;
        if (strcmp(routes[i].method, req->method) != 0) {
            methods = methods ? reg_arena_sprintf(&req->arena, "%s, %s", methods, routes[i].method)
                              : routes[i].method;
            continue;
        }
        match(routes[i].pattern, &path, req, true);
        req->route = routes[i].pattern;
        *out = &routes[i];
        return decode_params(req);
    }
    if (methods) {
        *allow = methods;
        return reg_errorf(REG_EMETHOD, "%s is not allowed on %.200s (allowed: %s)", req->method,
                          req->path, methods);
    }
    return reg_errorf(REG_ENOROUTE, "no route for %s %.200s", req->method, req->path);
}
