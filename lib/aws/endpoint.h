/*
 * endpoint.h - an AWS service endpoint as the clients use it (DynamoDB, S3): the origin to send
 * requests to and the Host header to sign, with the transport rule both follow: HTTPS, or plain
 * http only to a loopback host (local servers in development and tests).
 *
 * Ownership: the caller frees out->origin and out->host (malloc'd) on success.
 */
#ifndef REG_AWS_ENDPOINT_H
#define REG_AWS_ENDPOINT_H

#include <stdbool.h>

#include "base/status.h"

struct reg_aws_endpoint {
    char *origin;     /* "https://host[:port]", without a trailing '/' */
    char *host;       /* "host[:port]", the Host header */
    const char *rest; /* what followed the origin in the URL given (borrowed from it) */
};

/* Parses endpoint ("https://dynamodb.us-east-1.amazonaws.com", "http://127.0.0.1:8000/") for
 * service ("DynamoDB", named in the errors). REG_EINVAL for a URL that is not http(s), has no
 * host or carries user information, and for plain http to a host that is not loopback. */
enum reg_status reg_aws_endpoint_parse(const char *service, const char *endpoint,
                                       struct reg_aws_endpoint *out);

/* localhost, [::1] or a dotted-quad address in 127.0.0.0/8, nothing else. */
bool reg_aws_is_loopback(const char *host);

#endif
