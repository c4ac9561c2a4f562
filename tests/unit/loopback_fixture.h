/*
 * loopback_fixture.h - a listening socket on 127.0.0.1 at a free port, for tests that script a
 * small server of their own (a redirect, a GitHub that answers one way). Included after unit.h.
 */
#ifndef REG_TEST_LOOPBACK_FIXTURE_H
#define REG_TEST_LOOPBACK_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

/* Listens on 127.0.0.1 at a port the kernel picks, with backlog; writes
 * "http://127.0.0.1:<port>" to base (cap bytes) and returns the socket. */
static inline int
loopback_listen(int backlog, char *base, size_t cap)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, backlog), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(base, cap, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    return fd;
}

#endif
