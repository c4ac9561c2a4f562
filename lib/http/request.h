/*
 * request.h - the plain request a worker hands to the core: no FastCGI, no sockets.
 *
 * Ownership: the request owns its arena; every string in it (and everything a handler
 * allocates for the request) lives in that arena until reg_request_cleanup().
 */
#ifndef REG_HTTP_REQUEST_H
#define REG_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/limits.h"

struct reg_caller;

struct reg_param {
    const char *name;  /* from the route pattern, e.g. "id" */
    const char *value; /* percent-decoded path segment */
};

struct reg_request {
    struct reg_arena arena;
    const char *method;        /* "GET" */
    const char *path;          /* raw path, no query: "/artifacts/model/123" */
    const char *query;         /* raw query string without '?', "" if none */
    const char *authorization; /* X-Authorization header, NULL if absent */
    const char *bearer; /* "Authorization: Bearer <token>" as "bearer <token>", a leading "hf_"
                         * of the token dropped (Hugging Face's clients send tokens so); NULL if
                         * absent. Counts only on routes marked REG_BEARER_OK. */
    const char *range;  /* Range header, NULL if absent */
    const char *content_type; /* NULL if absent */
    const char *remote_addr;  /* peer address as nginx saw it, "" if unknown */
    const char *host;         /* Host header as the client sent it, NULL if absent */
    const char *scheme;       /* "http" or "https" as nginx received the request, NULL if unknown */
    const char *base_url;     /* scheme://host[:port][/path] absolute links start with: set by
                               * the dispatcher (reg_request_base_url) */
    const char *body;         /* NUL-terminated copy of the body, "" if none */
    size_t body_len;
    const char *body_file; /* uploads: the file nginx stored the body in (then body is ""),
                            * NULL otherwise */
    /* nginx's subrequests only: conf/nginx.conf.in sets these as FastCGI parameters, which
     * a client cannot send (its headers arrive as HTTP_*). internal is true, and the rest
     * describe the client's request the subrequest is about; NULL otherwise. */
    bool internal;
    const char *original_method; /* "POST" */
    const char *original_uri;    /* path and query, as the client sent them */
    const char *original_length; /* its Content-Length; "" when unknown (a chunked body) */
    /* Filled by the router. */
    const char *route; /* the matched pattern, e.g. "/artifacts/{artifact_type}/{id}" */
    struct reg_param params[REG_MAX_SEGMENTS];
    int nparams;
    /* Set by the dispatcher for routes that need a token; NULL on public routes. */
    const struct reg_caller *caller;
};

void reg_request_init(struct reg_request *req);
void reg_request_cleanup(struct reg_request *req);

/* The base of the absolute links in the answer to req (download_url), never anything else the
 * client chose: cfg's REGISTRY_PUBLIC_URL when set; else the Host header when it is a plain
 * host[:port] (reg_str_is_host_port), with nginx's scheme; else nginx's listen address
 * (cfg->listen_address). In req's arena or cfg's. */
const char *reg_request_base_url(struct reg_request *req, const struct reg_config *cfg);

/* The decoded path parameter called name; NULL if the route has none by that name. */
const char *reg_request_param(const struct reg_request *req, const char *name);

#endif
