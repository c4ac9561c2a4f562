/*
 * request.c - request lifetime and parameter lookup.
 */
#include "http/request.h"

#include <string.h>

#include "base/str.h"

void
reg_request_init(struct reg_request *req)
{
    memset(req, 0, sizeof(*req));
    reg_arena_init(&req->arena);
    req->method = req->path = "";
    req->query = req->body = req->remote_addr = "";
    req->base_url = "http://127.0.0.1";
}

void
reg_request_cleanup(struct reg_request *req)
{
    if (req)
        reg_arena_cleanup(&req->arena);
}

const char *
reg_request_param(const struct reg_request *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

const char *
reg_request_base_url(struct reg_request *req, const struct reg_config *cfg)
{
    const char *scheme = req->scheme && strcmp(req->scheme, "https") == 0 ? "https" : "http";

    if (cfg->public_url[0])
        return cfg->public_url;
    if (req->host && reg_str_is_host_port(req->host))
        return reg_arena_sprintf(&req->arena, "%s://%s", scheme, req->host);
    return reg_arena_sprintf(&req->arena, "%s://%s", scheme, cfg->listen_address);
}
