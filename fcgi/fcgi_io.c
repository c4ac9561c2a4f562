/*
 * fcgi_io.c - translation between FastCGI and the core's plain request/response.
 */
#include "fcgi_io.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"

static const char *
param(FCGX_Request *r, const char *name)
{
    const char *v = FCGX_GetParam(name, r->envp);

    return v ? v : "";
}

/* Reads stdin to its end into the arena (NUL-terminated). CONTENT_LENGTH is not relied on:
 * nginx leaves it empty for a chunked request body. */
static enum reg_status
read_body(FCGX_Request *r, struct reg_request *req)
{
    char chunk[16384];
    size_t len = 0, cap = 0;
    char *buf = NULL;
    int got;

    while ((got = FCGX_GetStr(chunk, (int)sizeof(chunk), r->in)) > 0) {
        if (len + (size_t)got > REG_MAX_BODY)
            return reg_errorf(REG_ETOOLARGE, "request body exceeds %d bytes", REG_MAX_BODY);
        if (len + (size_t)got + 1 > cap) {
            char *grown;
            cap = (len + (size_t)got + 1) * 2;
            grown = reg_arena_alloc(&req->arena, cap);
            if (len)
                memcpy(grown, buf, len);
            buf = grown;
        }
        memcpy(buf + len, chunk, (size_t)got);
        len += (size_t)got;
    }
    if (buf) {
        buf[len] = '\0';
        req->body = buf;
        req->body_len = len;
    }
    return REG_OK;
}

static void
fill_request(FCGX_Request *r, struct reg_request *req)
{
    const char *uri = param(r, "REQUEST_URI");
    const char *q = strchr(uri, '?');
    const char *host = param(r, "HTTP_HOST");
    const char *scheme = param(r, "REQUEST_SCHEME");
    const char *auth = FCGX_GetParam("HTTP_X_AUTHORIZATION", r->envp);
    const char *ctype = FCGX_GetParam("CONTENT_TYPE", r->envp);

    req->method = param(r, "REQUEST_METHOD");
    req->path = q ? reg_arena_strndup(&req->arena, uri, (size_t)(q - uri)) : uri;
    req->query = param(r, "QUERY_STRING");
    req->authorization = auth;
    req->content_type = ctype;
    req->remote_addr = param(r, "REMOTE_ADDR");
    /* Upload locations hand over the body as a file nginx wrote (conf/nginx.conf.in). */
    if (*param(r, "REQUEST_BODY_FILE"))
        req->body_file = param(r, "REQUEST_BODY_FILE");
    if (*host)
        req->base_url = reg_arena_sprintf(&req->arena, "%s://%s", *scheme ? scheme : "http", host);
}

/* Headers are formatted with snprintf: libfcgi's FCGX_FPrintF knows no %zu. */
static void
write_response(FCGX_Request *r, const struct reg_response *resp)
{
    char head[4096];
    int n =
        snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n",
                 resp->status, reg_http_reason(resp->status), resp->content_type, resp->body.len);

    for (int i = 0; i < resp->nheaders && n < (int)sizeof(head); i++)
        n += snprintf(head + n, sizeof(head) - (size_t)n, "%s: %s\r\n", resp->headers[i].name,
                      resp->headers[i].value);
    if (n >= (int)sizeof(head) - 2) {
        reg_log(REG_LOG_ERROR, "response headers exceed %zu bytes", sizeof(head));
        n = snprintf(head, sizeof(head), "Status: 500\r\nContent-Length: 0\r\n");
    }
    head[n++] = '\r';
    head[n++] = '\n';
    FCGX_PutStr(head, n, r->out);
    if (resp->body.len)
        FCGX_PutStr(resp->body.data, (int)resp->body.len, r->out);
}

void
reg_fcgi_serve(struct reg_app *app, FCGX_Request *r)
{
    struct reg_request req;
    struct reg_response resp;
    enum reg_status st;

    reg_request_init(&req);
    reg_response_init(&resp);
    fill_request(r, &req);
    st = read_body(r, &req);
    if (st == REG_OK) {
        reg_http_dispatch(app, &req, &resp);
    } else {
        reg_response_error(&resp, st);
    }
    write_response(r, &resp);
    reg_response_cleanup(&resp);
    reg_request_cleanup(&req);
}
