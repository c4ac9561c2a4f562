/*
 * router.c - segment-wise template matching; parameters are percent-decoded per segment, so
 * an encoded '/' (%2F) stays inside its parameter. A wildcard's value is its segments joined
 * by '/' (decoded as a whole).
 */
#include "http/router.h"

#include <string.h>

#include "base/str.h"

struct segments {
    const char *start[REG_MAX_SEGMENTS];
    size_t len[REG_MAX_SEGMENTS];
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
        if (out->n == REG_MAX_SEGMENTS)
            return false;
        out->start[out->n] = s;
        out->len[out->n] = len;
        out->n++;
        p = s + len;
    }
    return true;
}

/* Whether pattern segment i is a parameter ("{name}") or a wildcard ("{name*}"). */
static bool
is_param(const struct segments *pat, int i)
{
    return pat->len[i] > 2 && pat->start[i][0] == '{';
}

static bool
is_wildcard(const struct segments *pat, int i)
{
    return is_param(pat, i) && pat->start[i][pat->len[i] - 2] == '*';
}

/* Records pattern segment pi as the parameter for path segments [si, si + n). */
static void
record_param(const struct segments *pat, int pi, const struct segments *path, int si, int n,
             struct reg_request *req)
{
    struct reg_param *p = &req->params[req->nparams++];
    size_t name_len = pat->len[pi] - (is_wildcard(pat, pi) ? 3 : 2);
    const char *end = path->start[si + n - 1] + path->len[si + n - 1];

    p->name = reg_arena_strndup(&req->arena, pat->start[pi] + 1, name_len);
    p->value = reg_arena_strndup(&req->arena, path->start[si], (size_t)(end - path->start[si]));
}

/* Matches pattern segments from pi on against path segments from si on. A wildcard takes one
 * or more segments, as few as let the rest match. */
static bool
match_from(const struct segments *pat, int pi, const struct segments *path, int si,
           struct reg_request *req, bool record)
{
    if (pi == pat->n)
        return si == path->n;
    if (si == path->n)
        return false;
    if (is_wildcard(pat, pi)) {
        for (int n = 1; si + n <= path->n; n++) {
            bool empty = false;
            for (int k = si; k < si + n; k++)
                empty = empty || path->len[k] == 0;
            if (empty)
                return false;
            if (match_from(pat, pi + 1, path, si + n, req, false)) {
                if (record) {
                    record_param(pat, pi, path, si, n, req);
                    match_from(pat, pi + 1, path, si + n, req, true);
                }
                return true;
            }
        }
        return false;
    }
    if (!is_param(pat, pi))
        return pat->len[pi] == path->len[si] &&
               memcmp(pat->start[pi], path->start[si], pat->len[pi]) == 0 &&
               match_from(pat, pi + 1, path, si + 1, req, record);
    if (path->len[si] == 0 || !match_from(pat, pi + 1, path, si + 1, req, false))
        return false;
    if (record) {
        record_param(pat, pi, path, si, 1, req);
        match_from(pat, pi + 1, path, si + 1, req, true);
    }
    return true;
}

/* Matches pattern against the split path, recording parameters into req when it does. */
static bool
match(const char *pattern, const struct segments *path, struct reg_request *req, bool record)
{
    struct segments pat;

    if (!split(pattern, &pat))
        return false;
    if (record)
        req->nparams = 0;
    return match_from(&pat, 0, path, 0, req, record);
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

/* The comma-separated list with method added, unless it is there already. */
static const char *
add_method(struct reg_arena *a, const char *list, const char *method)
{
    size_t n = strlen(method);

    for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 2 : NULL)
        if (strncmp(p, method, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return list;
    return list ? reg_arena_sprintf(a, "%s, %s", list, method) : method;
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
            methods = add_method(&req->arena, methods, routes[i].method);
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
