/*
 * fcgi_client.h - the web server's side of FastCGI, for the tests of fcgi/: connects to a unix
 * socket, sends one request (BEGIN_REQUEST, PARAMS, STDIN) and reads the answer (STDOUT records
 * up to END_REQUEST) as nginx would. Included after unit.h.
 *
 * Ownership: an fcgi_answer's raw buffer is malloc'd by fcgi_read_answer and freed by
 * fcgi_answer_free; status, body and the header pointers point into it.
 */
#ifndef REG_TEST_FCGI_CLIENT_H
#define REG_TEST_FCGI_CLIENT_H

#include <errno.h>
#include <fastcgi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* One request's answer as the web server sees it. */
struct fcgi_answer {
    char *raw; /* every STDOUT byte, NUL-terminated */
    size_t raw_len;
    int status;       /* of the "Status:" CGI header; 0 when there was none */
    const char *body; /* after the blank line ending the headers */
    size_t body_len;
    size_t max_record; /* the largest STDOUT record's content length */
    bool ended;        /* an END_REQUEST record arrived (not a connection cut short) */
};

/* Connects to the unix socket path; -1 when nothing listens there. */
static inline int
fcgi_connect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline void
fcgi_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        assert_true(w > 0);
        p += w;
        len -= (size_t)w;
    }
}

/* One record of request 1, its content padded to a multiple of 8 as libfcgi's own writer does. */
static inline void
fcgi_record(int fd, int type, const void *data, size_t len)
{
    static const unsigned char pad[8];
    size_t padding = (8 - len % 8) % 8;
    unsigned char head[FCGI_HEADER_LEN] = {
        FCGI_VERSION_1,     (unsigned char)type,    0, 1, (unsigned char)(len >> 8),
        (unsigned char)len, (unsigned char)padding, 0};

    assert_true(len <= FCGI_MAX_LENGTH);
    fcgi_write_all(fd, head, sizeof(head));
    if (len)
        fcgi_write_all(fd, data, len);
    if (padding)
        fcgi_write_all(fd, pad, padding);
}

/* A name-value pair's length: one byte below 128, else four with the high bit set. */
static inline size_t
fcgi_put_length(unsigned char *out, size_t n)
{
    if (n < 128) {
        out[0] = (unsigned char)n;
        return 1;
    }
    out[0] = (unsigned char)((n >> 24) | 0x80);
    out[1] = (unsigned char)(n >> 16);
    out[2] = (unsigned char)(n >> 8);
    out[3] = (unsigned char)n;
    return 4;
}

/* BEGIN_REQUEST (responder, connection not kept) and the parameters: names[i] = values[i], a
 * NULL name ends the list. */
static inline void
fcgi_begin(int fd, const char *const params[][2])
{
    FCGI_BeginRequestBody begin = {.roleB0 = FCGI_RESPONDER};
    unsigned char buf[8192];
    size_t len = 0;

    fcgi_record(fd, FCGI_BEGIN_REQUEST, &begin, sizeof(begin));
    for (int i = 0; params[i][0]; i++) {
        size_t nl = strlen(params[i][0]), vl = strlen(params[i][1]);

        assert_true(len + 8 + nl + vl <= sizeof(buf));
        len += fcgi_put_length(buf + len, nl);
        len += fcgi_put_length(buf + len, vl);
        memcpy(buf + len, params[i][0], nl);
        memcpy(buf + len + nl, params[i][1], vl);
        len += nl + vl;
    }
    fcgi_record(fd, FCGI_PARAMS, buf, len);
    fcgi_record(fd, FCGI_PARAMS, NULL, 0);
}

/* The request body in records of at most 32 KiB, then the empty record that ends it. */
static inline void
fcgi_stdin(int fd, const void *body, size_t len)
{
    const char *p = body;

    while (len > 0) {
        size_t n = len > 32768 ? 32768 : len;

        fcgi_record(fd, FCGI_STDIN, p, n);
        p += n;
        len -= n;
    }
    fcgi_record(fd, FCGI_STDIN, NULL, 0);
}

/* Reads exactly len bytes; false at the end of the stream or on an error. */
static inline bool
fcgi_read_full(int fd, void *out, size_t len)
{
    char *p = out;

    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        len -= (size_t)r;
    }
    return true;
}

/* Reads one record; its content (up to 64 KiB) into content. False when the stream ended. */
static inline bool
fcgi_read_record(int fd, int *type, unsigned char *content, size_t *len)
{
    unsigned char head[FCGI_HEADER_LEN], pad[256];

    if (!fcgi_read_full(fd, head, sizeof(head)))
        return false;
    assert_int_equal(head[0], FCGI_VERSION_1);
    *type = head[1];
    *len = (size_t)head[4] << 8 | head[5];
    return fcgi_read_full(fd, content, *len) && fcgi_read_full(fd, pad, head[6]);
}

/* Reads STDOUT records until END_REQUEST or the end of the stream, and splits the answer. */
static inline void
fcgi_read_answer(int fd, struct fcgi_answer *a)
{
    static unsigned char content[65536];
    size_t cap = 65536, len;
    int type;
    const char *end;

    memset(a, 0, sizeof(*a));
    a->raw = malloc(cap);
    assert_non_null(a->raw);
    while (fcgi_read_record(fd, &type, content, &len)) {
        if (type == FCGI_END_REQUEST) {
            a->ended = true;
            break;
        }
        if (type != FCGI_STDOUT)
            continue;
        if (len > a->max_record)
            a->max_record = len;
        while (a->raw_len + len + 1 > cap) {
            cap *= 2;
            a->raw = realloc(a->raw, cap);
            assert_non_null(a->raw);
        }
        memcpy(a->raw + a->raw_len, content, len);
        a->raw_len += len;
    }
    a->raw[a->raw_len] = '\0';
    sscanf(a->raw, "Status: %d", &a->status);
    end = strstr(a->raw, "\r\n\r\n");
    a->body = end ? end + 4 : a->raw + a->raw_len;
    a->body_len = a->raw_len - (size_t)(a->body - a->raw);
}

/* The value of the answer's header name ("Content-Length"), copied into out; false if absent.
 * Not the first line, which is always Status. */
static inline bool
fcgi_header(const struct fcgi_answer *a, const char *name, char *out, size_t cap)
{
    char key[128];
    const char *v, *e;

    snprintf(key, sizeof(key), "\r\n%s: ", name);
    v = strstr(a->raw, key);
    if (!v || v >= a->body)
        return false;
    v += strlen(key);
    e = strstr(v, "\r\n");
    snprintf(out, cap, "%.*s", (int)(e - v), v);
    return true;
}

static inline void
fcgi_answer_free(struct fcgi_answer *a)
{
    free(a->raw);
    a->raw = NULL;
}

/* A whole exchange on a fresh connection to path. */
static inline void
fcgi_call(const char *path, const char *const params[][2], const void *body, size_t len,
          struct fcgi_answer *a)
{
    int fd = fcgi_connect(path);

    assert_true(fd >= 0);
    fcgi_begin(fd, params);
    fcgi_stdin(fd, body, len);
    fcgi_read_answer(fd, a);
    close(fd);
}

#endif
