/*
 * fcgi_io.c - translation between FastCGI and the core's plain request/response.
 */
#include "fcgi_io.h"

#include <errno.h>
#include <fastcgi.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>

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

/* The token of an "Authorization: Bearer <token>" header as the registry's "bearer <token>",
 * for Hugging Face's clients (HF_TOKEN); their JS client only sends tokens that start with
 * "hf_", so that prefix is dropped. NULL for anything else. */
static const char *
bearer_authorization(struct reg_request *req, const char *header)
{
    if (!header || strncasecmp(header, "bearer ", 7) != 0)
        return NULL;
    header += 7;
    while (*header == ' ')
        header++;
    if (strncmp(header, "hf_", 3) == 0)
        header += 3;
    return reg_arena_sprintf(&req->arena, "bearer %s", header);
}

static void
fill_request(FCGX_Request *r, struct reg_request *req)
{
    const char *uri = param(r, "REQUEST_URI");
    const char *q = strchr(uri, '?');
    const char *auth = FCGX_GetParam("HTTP_X_AUTHORIZATION", r->envp);
    const char *ctype = FCGX_GetParam("CONTENT_TYPE", r->envp);

    req->method = param(r, "REQUEST_METHOD");
    req->path = q ? reg_arena_strndup(&req->arena, uri, (size_t)(q - uri)) : uri;
    req->query = param(r, "QUERY_STRING");
    req->authorization = auth;
    req->bearer = bearer_authorization(req, FCGX_GetParam("HTTP_AUTHORIZATION", r->envp));
    req->range = FCGX_GetParam("HTTP_RANGE", r->envp);
    req->content_type = ctype;
    req->remote_addr = param(r, "REMOTE_ADDR");
    /* Upload locations hand over the body as a file nginx wrote (conf/nginx.conf.in). */
    if (*param(r, "REQUEST_BODY_FILE"))
        req->body_file = param(r, "REQUEST_BODY_FILE");
    /* Set only by nginx's internal locations (conf/nginx.conf.in). */
    if (*param(r, "REGISTRY_INTERNAL")) {
        req->internal = true;
        req->original_method = param(r, "REGISTRY_ORIGINAL_METHOD");
        req->original_uri = param(r, "REGISTRY_ORIGINAL_URI");
        req->original_length = param(r, "REGISTRY_ORIGINAL_LENGTH");
    }
    req->host = FCGX_GetParam("HTTP_HOST", r->envp);
    req->scheme = FCGX_GetParam("REQUEST_SCHEME", r->envp);
}

/* Content bytes per FastCGI record of a streamed body: the largest multiple of 8 that fits the
 * record's 16-bit length, so no padding is needed. */
#define STREAM_RECORD_MAX 65528

/* Writes all of the two-part iovec (retrying partial writes). */
static bool
write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return true;
}

/*
 * A streamed body's pieces, written as FastCGI STDOUT records of up to 64 KiB straight to the
 * connection: libfcgi's stream would copy every byte into its 8 KiB buffer and write it in
 * 8 KiB records, which on a download of gigabytes is most of a worker's work. libfcgi's
 * buffered headers are flushed first, and the request is finished by libfcgi as usual (its
 * closing empty record and END_REQUEST come after these). A failed write means nginx (the
 * client) has gone.
 */
static enum reg_status
put_piece(void *wctx, const void *data, size_t len)
{
    FCGX_Request *r = wctx;
    /* writev() only reads iov_base, which is not const for readv()'s sake: the union drops the
     * const without a cast (-Wcast-qual) or a round trip through uintptr_t (clang-tidy's
     * performance-no-int-to-ptr). */
    union {
        const char *in;
        char *out;
    } p = {.in = data};

    if (FCGX_FFlush(r->out) != 0)
        return reg_errorf(REG_EUPSTREAM, "the client went away");
    while (len > 0) {
        size_t n = len > STREAM_RECORD_MAX ? STREAM_RECORD_MAX : len;
        unsigned char head[FCGI_HEADER_LEN] = {FCGI_VERSION_1,
                                               FCGI_STDOUT,
                                               (unsigned char)(r->requestId >> 8),
                                               (unsigned char)r->requestId,
                                               (unsigned char)(n >> 8),
                                               (unsigned char)n,
                                               0,
                                               0};
        struct iovec iov[2] = {{head, sizeof(head)}, {p.out, n}};
        if (!write_all(r->ipcFd, iov, 2))
            return reg_errorf(REG_EUPSTREAM, "the client went away: %s", strerror(errno));
        p.in += n;
        len -= n;
    }
    return REG_OK;
}

/*
 * A streamed body that cannot be finished: the FastCGI connection is cut instead of ending the
 * request. nginx, seeing a request ended normally with fewer bytes than its Content-Length,
 * keeps the client's connection open, and the client waits for bytes that never come until its
 * own timeout; a connection cut mid-answer makes nginx close the client's at once. libfcgi's
 * writes then fail (SIGPIPE is ignored) and it closes the socket.
 */
static void
abort_stream(FCGX_Request *r)
{
    reg_log(REG_LOG_WARN, "streamed answer cut short: %s", reg_error_detail());
    r->keepConnection = 0;
    shutdown(r->ipcFd, SHUT_RDWR);
}

/* Headers are formatted with snprintf: libfcgi's FCGX_FPrintF knows no %zu. */
static void
write_response(FCGX_Request *r, const struct reg_response *resp, bool head_only)
{
    char head[4096];
    long long length =
        resp->stream.produce ? (long long)resp->stream.length : (long long)resp->body.len;
    int n = snprintf(head, sizeof(head),
                     "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %lld\r\n", resp->status,
                     reg_http_reason(resp->status), resp->content_type, length);

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
    if (head_only)
        return;
    if (resp->stream.produce) {
        if (resp->stream.produce(resp->stream.ctx, put_piece, r) != REG_OK)
            abort_stream(r);
    } else if (resp->body.len) {
        FCGX_PutStr(resp->body.data, (int)resp->body.len, r->out);
    }
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
    write_response(r, &resp, strcmp(req.method, "HEAD") == 0);
    reg_response_cleanup(&resp);
    reg_request_cleanup(&req);
}
