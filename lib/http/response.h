/*
 * response.h - status, headers and body of an answer, and the one place where an internal
 * status becomes an HTTP status with a JSON error body.
 *
 * Ownership: the response owns its body buffer (freed by reg_response_cleanup); header names
 * and values must live at least as long as the response (arena or static strings).
 */
#ifndef REG_HTTP_RESPONSE_H
#define REG_HTTP_RESPONSE_H

#include <json-c/json.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/status.h"

#define REG_RESPONSE_MAX_HEADERS 12

struct reg_header {
    const char *name;
    const char *value;
};

/* Hands the caller's bytes to the client; REG_EUPSTREAM once the client has gone. */
typedef enum reg_status (*reg_response_write_fn)(void *wctx, const void *data, size_t len);

/*
 * A body produced while it is sent (a download streamed as it is fetched), instead of one
 * held in body: the front end sends the status, the headers and Content-Length: length, then
 * calls produce, which calls write for each piece, exactly length bytes in all unless it
 * fails (the client then sees a short body). release runs once, whether produce ran or not
 * (HEAD, or an error replaced the answer), from reg_response_cleanup.
 */
struct reg_response_stream {
    enum reg_status (*produce)(void *ctx, reg_response_write_fn write, void *wctx);
    void (*release)(void *ctx);
    void *ctx;
    int64_t length;
};

struct reg_response {
    int status;
    const char *content_type;
    struct reg_header headers[REG_RESPONSE_MAX_HEADERS];
    int nheaders;
    struct reg_buf body;
    struct reg_response_stream stream; /* produce is NULL for an ordinary answer */
    char retry_after[16];              /* Retry-After of an error answer (a header points here) */
};

void reg_response_init(struct reg_response *resp);
void reg_response_cleanup(struct reg_response *resp);

/* Sets the status and a JSON body serialised from obj (obj stays the caller's). */
enum reg_status reg_response_json(struct reg_response *resp, int status, struct json_object *obj);

/* Sets the status and a body of len bytes of text of content_type (a static string). */
enum reg_status reg_response_text(struct reg_response *resp, int status, const char *content_type,
                                  const char *text, size_t len);

/* An empty-bodied answer with this status. */
void reg_response_empty(struct reg_response *resp, int status);

/* Replaces the answer with the error for st: its HTTP status and
 * {"error": reg_status_name(st), "detail": reg_error_detail()}. */
void reg_response_error(struct reg_response *resp, enum reg_status st);

/* Makes the answer a streamed one (see struct reg_response_stream). */
void reg_response_stream(struct reg_response *resp, int status,
                         const struct reg_response_stream *stream);

/* The reason phrase of an HTTP status code ("Not Found"); a static string. */
const char *reg_http_reason(int status);

/* Adds a header (strings borrowed); extra headers past the limit are an internal error. */
enum reg_status reg_response_header(struct reg_response *resp, const char *name, const char *value);

#endif
