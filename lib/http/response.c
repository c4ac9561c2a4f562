/*
 * response.c - building answers; the status -> HTTP mapping is applied only here.
 */
#include "http/response.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"

/* Bodies are bounded: enumerate pages and search results are far below this. */
#define RESPONSE_MAX_BODY (64u * 1024 * 1024)

void
reg_response_init(struct reg_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    resp->content_type = "application/json";
    reg_buf_init(&resp->body, RESPONSE_MAX_BODY);
}

/* Releases a streamed body that will not be sent (or was). */
static void
drop_stream(struct reg_response *resp)
{
    if (resp->stream.release)
        resp->stream.release(resp->stream.ctx);
    memset(&resp->stream, 0, sizeof(resp->stream));
}

void
reg_response_cleanup(struct reg_response *resp)
{
    if (resp) {
        drop_stream(resp);
        reg_buf_cleanup(&resp->body);
    }
}

void
reg_response_stream(struct reg_response *resp, int status, const struct reg_response_stream *stream)
{
    drop_stream(resp);
    reg_buf_reset(&resp->body);
    resp->status = status;
    resp->stream = *stream;
}

enum reg_status
reg_response_text(struct reg_response *resp, int status, const char *content_type, const char *text,
                  size_t len)
{
    reg_buf_reset(&resp->body);
    resp->status = status;
    resp->content_type = content_type;
    return reg_buf_append(&resp->body, text, len);
}

enum reg_status
reg_response_json(struct reg_response *resp, int status, struct json_object *obj)
{
    size_t len;
    const char *text = reg_json_text(obj, &len);

    reg_buf_reset(&resp->body);
    resp->status = status;
    resp->content_type = "application/json";
    return reg_buf_append(&resp->body, text, len);
}

void
reg_response_empty(struct reg_response *resp, int status)
{
    reg_buf_reset(&resp->body);
    resp->status = status;
}

/* A refusal for now (429) says when to come back, as recorded where it was decided (at least a
 * second); whatever is unavailable (the store, or upstream with no stored copy) is worth a
 * retry too. */
static void
retry_after_header(struct reg_response *resp, enum reg_status st)
{
    int seconds = reg_error_retry_after_seconds();

    if (st == REG_ETOOMANY) {
        snprintf(resp->retry_after, sizeof(resp->retry_after), "%d", seconds > 0 ? seconds : 1);
        reg_response_header(resp, "Retry-After", resp->retry_after);
    } else if (st == REG_EUNAVAILABLE) {
        reg_response_header(resp, "Retry-After", REG_RETRY_AFTER_SECONDS_TEXT);
    }
}

void
reg_response_error(struct reg_response *resp, enum reg_status st)
{
    struct json_object *err = json_object_new_object();
    const char *detail = reg_error_detail(), *more = reg_error_attachment();
    struct reg_buf text;

    /* The attachment (a monitor's output) goes after the detail, whatever its length. */
    reg_buf_init(&text, REG_ERROR_ANSWER_MAX);
    if (reg_buf_puts(&text, detail) != REG_OK || (more && reg_buf_puts(&text, more) != REG_OK))
        reg_buf_reset(&text);
    json_object_object_add(err, "error", json_object_new_string(reg_status_name(st)));
    json_object_object_add(err, "detail",
                           json_object_new_string_len(text.data ? text.data : "", (int)text.len));
    reg_buf_cleanup(&text);
    resp->nheaders = 0;
    drop_stream(resp);
    if (reg_response_json(resp, reg_status_http(st), err) != REG_OK)
        reg_response_empty(resp, 500);
    json_object_put(err);
    retry_after_header(resp, st);
}

enum reg_status
reg_response_header(struct reg_response *resp, const char *name, const char *value)
{
    if (resp->nheaders == REG_RESPONSE_MAX_HEADERS)
        return reg_errorf(REG_EINTERNAL, "too many response headers");
    resp->headers[resp->nheaders].name = name;
    resp->headers[resp->nheaders].value = value;
    resp->nheaders++;
    return REG_OK;
}

const char *
reg_http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 416:
        return "Range Not Satisfiable";
    case 424:
        return "Failed Dependency";
    case 429:
        return "Too Many Requests";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 507:
        return "Insufficient Storage";
    default:
        return status >= 500 ? "Internal Server Error" : "Unknown";
    }
}
