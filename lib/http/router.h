/*
 * router.h - matching a request against a table of {method, path template, handler}.
 *
 * Templates are literal segments, {name} parameters ("/artifacts/{artifact_type}/{id}") and
 * {name*} wildcards, which take one or more whole segments, as few as let the rest of the
 * template match ("/{repo*}/resolve/{rev}/{path*}": a Hugging Face repository id has one or
 * two segments, a file path any number).
 * Routes are tried in table order, so literal routes go before templated ones they overlap
 * ("/artifact/byRegEx" before "/artifact/{artifact_type}"). A path that matches no template is
 * REG_ENOROUTE (404); a path that matches only with other methods is REG_EMETHOD (405), and
 * *allow lists those methods.
 */
#ifndef REG_HTTP_ROUTER_H
#define REG_HTTP_ROUTER_H

#include "base/status.h"
#include "http/request.h"
#include "http/response.h"

struct reg_app;

typedef enum reg_status (*reg_handler_fn)(struct reg_app *app, struct reg_request *req,
                                          struct reg_response *resp);

struct reg_route {
    const char *method;
    const char *pattern;
    reg_handler_fn handler;
    unsigned access; /* who may call it: see handlers.h (REG_PUBLIC, REG_ANY_USER, permissions) */
    size_t max_body; /* largest body accepted, in bytes, checked before anything parses it */
};

/* Finds the route for req, fills req->route and req->params. On REG_EMETHOD, *allow (arena)
 * is the comma-separated list of methods the path accepts. */
enum reg_status reg_router_match(const struct reg_route *routes, int nroutes,
                                 struct reg_request *req, const struct reg_route **out,
                                 const char **allow);

#endif
