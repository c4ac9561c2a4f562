/*
 * endpoint.c - AWS service endpoints (see endpoint.h).
 */
#include "aws/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"

/* Longest host[:port] accepted. */
#define HOST_MAX 256

bool
reg_aws_is_loopback(const char *host)
{
    unsigned a, b, c, d;
    char tail;

    if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
        return true;
    return strspn(host, "0123456789.") == strlen(host) &&
           sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
           c < 256 && d < 256;
}

static char *
dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (!d)
        reg_oom();
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

enum reg_status
reg_aws_endpoint_parse(const char *service, const char *endpoint, struct reg_aws_endpoint *out)
{
    const char *hostpart;
    char host[HOST_MAX], bare[HOST_MAX];
    size_t n;
    bool https = strncasecmp(endpoint, "https://", 8) == 0;

    memset(out, 0, sizeof(*out));
    if (!https && strncasecmp(endpoint, "http://", 7) != 0)
        return reg_errorf(REG_EINVAL, "%s endpoint must be an http(s) URL: %.200s", service,
                          endpoint);
    hostpart = endpoint + (https ? 8 : 7);
    n = strcspn(hostpart, "/?#");
    if (n == 0 || n >= sizeof(host))
        return reg_errorf(REG_EINVAL, "%s endpoint has no host: %.200s", service, endpoint);
    memcpy(host, hostpart, n);
    host[n] = '\0';
    if (strchr(host, '@'))
        return reg_errorf(REG_EINVAL, "%s endpoint must not carry user information", service);
    snprintf(bare, sizeof(bare), "%s", host);
    if (bare[0] != '[')
        bare[strcspn(bare, ":")] = '\0';
    else
        bare[strcspn(bare, "]") + 1] = '\0';
    if (!https && !reg_aws_is_loopback(bare))
        return reg_errorf(REG_EINVAL,
                          "plain http is only allowed to a loopback %s endpoint, not %.200s",
                          service, bare);
    out->host = dup_n(host, n);
    out->origin = dup_n(endpoint, (size_t)(hostpart - endpoint) + n);
    out->rest = hostpart + n;
    return REG_OK;
}
