/*
 * stub_server.h - a small HTTP/1.1 server on loopback, in a thread of the test, for the load
 * generator and the download workload to aim at: it answers GETs by path (below), one
 * connection at a time, each answer closing its connection, and counts what it saw. A gate
 * holds every answer back until the test opens it, so a test can see a run while it is
 * still under way without waiting on a clock.
 *
 * Paths: /stored   200, X-Registry-Copy: stored, body_len bytes ('z'); also /download/...
 *        /plain    200 without that header
 *        /gone     404
 *        /broken   500
 *        /moved    302 (not followed: neither 2xx, 4xx nor 5xx)
 *        /cut      the connection closed with no answer (a transport error)
 * anything else is a 404.
 *
 * Included after unit.h and loopback_fixture.h by one test file per binary; stub_start and
 * stub_stop are a pair (stub_stop joins the thread and closes the socket).
 */
#ifndef REG_TEST_STUB_SERVER_H
#define REG_TEST_STUB_SERVER_H

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct stub_server {
    int fd;
    char base[64]; /* http://127.0.0.1:<port> */
    size_t body_len;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;    /* the gate: answers are sent */
    bool closing; /* stub_stop was called */
    /* What it saw (under mu). */
    int requests;
    int with_header; /* requests carrying the header named watch */
    char watch[64];  /* a header name to count, "" for none */
    char last_value[256];
};

/* Reads one request's head (up to its blank line) into buf; false when the client gave up. */
static inline bool
stub_read_head(int c, char *buf, size_t cap)
{
    size_t used = 0;

    while (used + 1 < cap) {
        ssize_t n = recv(c, buf + used, cap - 1 - used, 0);
        if (n <= 0)
            return false;
        used += (size_t)n;
        buf[used] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return true;
    }
    return false;
}

/* Counts the watched header of the request head. */
static inline void
stub_note(struct stub_server *s, const char *head)
{
    size_t n = strlen(s->watch);

    s->requests++;
    for (const char *line = strstr(head, "\r\n"); n && line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, s->watch, n) == 0 && line[2 + n] == ':') {
            const char *v = line + 3 + n;
            s->with_header++;
            snprintf(s->last_value, sizeof(s->last_value), "%.*s", (int)strcspn(v, "\r\n"), v);
        }
    }
}

static inline void
stub_answer(struct stub_server *s, int c, const char *head)
{
    static char zeros[64 * 1024];
    char out[512];
    const char *status = "404 Not Found", *extra = "";
    size_t len = 0;
    int n;

    if (strncmp(head, "GET /cut ", 9) == 0)
        return;
    if (strncmp(head, "GET /stored ", 12) == 0 || strncmp(head, "GET /plain ", 11) == 0 ||
        strncmp(head, "GET /download/", 14) == 0) {
        status = "200 OK";
        extra = head[5] != 'p' ? "X-Registry-Copy: stored\r\n" : "";
        len = s->body_len < sizeof(zeros) ? s->body_len : sizeof(zeros);
    } else if (strncmp(head, "GET /broken ", 12) == 0) {
        status = "500 Internal Server Error";
    } else if (strncmp(head, "GET /moved ", 11) == 0) {
        status = "302 Found";
        extra = "Location: /stored\r\n";
    }
    n = snprintf(out, sizeof(out),
                 "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n", status, extra,
                 len);
    if (send(c, out, (size_t)n, MSG_NOSIGNAL) == n && len) {
        memset(zeros, 'z', len);
        (void)send(c, zeros, len, MSG_NOSIGNAL);
    }
}

static inline void *
stub_loop(void *arg)
{
    struct stub_server *s = arg;
    char head[8192];

    for (;;) {
        struct pollfd p = {s->fd, POLLIN, 0};
        int c;
        bool go;

        pthread_mutex_lock(&s->mu);
        go = !s->closing;
        pthread_mutex_unlock(&s->mu);
        if (!go)
            return NULL;
        if (poll(&p, 1, 50) <= 0)
            continue;
        c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        if (stub_read_head(c, head, sizeof(head))) {
            pthread_mutex_lock(&s->mu);
            stub_note(s, head);
            while (!s->open && !s->closing)
                pthread_cond_wait(&s->cv, &s->mu);
            pthread_mutex_unlock(&s->mu);
            stub_answer(s, c, head);
        }
        close(c);
    }
}

/* Starts the server; open: whether its gate is open from the start. */
static inline void
stub_start(struct stub_server *s, bool open, size_t body_len, const char *watch)
{
    memset(s, 0, sizeof(*s));
    s->fd = loopback_listen(128, s->base, sizeof(s->base));
    s->open = open;
    s->body_len = body_len;
    snprintf(s->watch, sizeof(s->watch), "%s", watch ? watch : "");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    assert_int_equal(pthread_create(&s->thread, NULL, stub_loop, s), 0);
}

static inline void
stub_open(struct stub_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->open = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* The requests seen so far (whether answered or held at the gate). */
static inline int
stub_requests(struct stub_server *s)
{
    int n;

    pthread_mutex_lock(&s->mu);
    n = s->requests;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static inline void
stub_stop(struct stub_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    close(s->fd);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

#endif
