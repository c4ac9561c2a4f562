/*
 * script_server.h - a scripted HTTP/1.1 server on loopback, in a thread of the test, for tests
 * of a client's handling of odd answers (S3's, Hugging Face's, GitHub's): each request is
 * answered by the first rule whose prefix starts its request line, then the connection closes;
 * the request lines are kept, in order. A request no rule matches gets 501.
 *
 * Included after unit.h and loopback_fixture.h by one test file per binary; script_start and
 * script_stop are a pair (script_stop joins the thread and closes the socket).
 *
 * Usage:
 *     static const struct rule rules[] = {{"GET /a", "200 OK", NULL, "[1]", 0}};
 *     struct script s;
 *     script_start(&s, rules, NELEMS(rules));   // s.base: http://127.0.0.1:<port>
 *     ...
 *     script_stop(&s);                          // then s.nrequests, s.requests[i]
 */
#ifndef REG_TEST_SCRIPT_SERVER_H
#define REG_TEST_SCRIPT_SERVER_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One rule: the first whose prefix starts the request line "METHOD target" answers it, with
 * Content-Length the body's length (or declared, when not 0: a body cut short), then closes
 * the connection. */
struct rule {
    const char *prefix;
    const char *status;  /* "200 OK" */
    const char *headers; /* extra header lines, each ending in CRLF */
    const char *body;
    size_t declared;
};

#define SCRIPT_MAX_REQUESTS 64

struct script {
    const struct rule *rules;
    int nrules;
    int fd;
    char base[64]; /* http://127.0.0.1:<port> */
    atomic_int stop;
    pthread_t thread;
    int nrequests;
    char requests[SCRIPT_MAX_REQUESTS][256]; /* request lines, in order */
};

/* Reads one request's head into buf (NUL-terminated); false if the peer closed. */
static inline bool
script_read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;

    while (n + 1 < cap) {
        ssize_t got = read(fd, buf + n, 1);
        if (got <= 0)
            return false;
        n++;
        buf[n] = '\0';
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            return true;
    }
    return false;
}

/* Discards the request body (Content-Length bytes), after a 100 Continue if asked. head is
 * lowercased first. */
static inline void
script_drain_body(int fd, char *head)
{
    const char *cl;
    long long left;
    char chunk[65536];

    for (char *p = head; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    cl = strstr(head, "\r\ncontent-length:");
    left = cl ? atoll(cl + 17) : 0;
    if (strstr(head, "\r\nexpect: 100-continue"))
        (void)!write(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    while (left > 0) {
        ssize_t got =
            read(fd, chunk, left < (long long)sizeof(chunk) ? (size_t)left : sizeof(chunk));
        if (got <= 0)
            return;
        left -= got;
    }
}

static inline void
script_serve_one(struct script *s, int conn)
{
    static const char not_impl[] = "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n";
    char head[8192];
    size_t line;

    if (!script_read_head(conn, head, sizeof(head)))
        return;
    line = strcspn(head, "\r");
    if (s->nrequests < SCRIPT_MAX_REQUESTS)
        snprintf(s->requests[s->nrequests++], sizeof(s->requests[0]), "%.*s", (int)line, head);
    for (int i = 0; i < s->nrules; i++) {
        const struct rule *r = &s->rules[i];
        if (strncmp(head, r->prefix, strlen(r->prefix)) == 0) {
            char out[1024];
            int n = snprintf(out, sizeof(out),
                             "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                             r->status, r->headers ? r->headers : "",
                             r->declared ? r->declared : strlen(r->body), r->body);
            script_drain_body(conn, head);
            (void)!write(conn, out, (size_t)n);
            return;
        }
    }
    script_drain_body(conn, head);
    (void)!write(conn, not_impl, strlen(not_impl));
}

static inline void *
script_serve(void *arg)
{
    struct script *s = arg;

    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        int conn;
        if (poll(&p, 1, 50) <= 0)
            continue;
        conn = accept(s->fd, NULL, NULL);
        if (conn < 0)
            continue;
        script_serve_one(s, conn);
        shutdown(conn, SHUT_WR);
        close(conn);
    }
    return NULL;
}

static inline void
script_start(struct script *s, const struct rule *rules, int nrules)
{
    memset(s, 0, sizeof(*s));
    s->rules = rules;
    s->nrules = nrules;
    s->fd = loopback_listen(16, s->base, sizeof(s->base));
    assert_int_equal(pthread_create(&s->thread, NULL, script_serve, s), 0);
}

static inline void
script_stop(struct script *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
}

#endif
