/*
 * sigv4.h - AWS Signature Version 4 for header-signed requests (pure: no network, no clock).
 *
 * Signs a request as it will be sent: canonical request, string to sign, the HMAC-SHA256 key
 * chain and the Authorization header value, following the AWS SigV4 test suite
 * (tests/unit/vectors/sigv4/). libcurl's CURLOPT_AWS_SIGV4 (7.88) is not used.
 *
 * The caller builds the request headers (at least Host and X-Amz-Date, the latter equal to
 * amz_date), signs, then sends those headers plus result.extra[0..nextra) plus
 * "Authorization: <result.authorization>".
 *
 * reg_sigv4_presign() signs in the query string instead (S3 presigned URLs): the caller sends
 * the request with the returned query and no Authorization header.
 *
 * Ownership: every string of a reg_sigv4_result is allocated from the arena given to
 * reg_sigv4_sign() and lives until its cleanup. The request and credentials are only read.
 * Secrets are not kept anywhere in the result.
 */
#ifndef REG_AWS_SIGV4_H
#define REG_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/arena.h"
#include "base/status.h"

/* Headers a request may have (given plus the two the signer adds). */
#define REG_SIGV4_MAX_HEADERS 64
/* Longest canonical request (bytes); the body is in it only as its hash. */
#define REG_SIGV4_MAX_CANONICAL ((size_t)64 * 1024)

struct reg_sigv4_header {
    const char *name;
    const char *value;
};

struct reg_sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none; then no x-amz-security-token */
};

struct reg_sigv4_request {
    const char *method; /* "POST" */
    const char *path;   /* raw path as sent, "/" for DynamoDB */
    const char *query;  /* raw query string without '?', "" if none (NULL is taken as "") */
    /* As they will be sent; must include Host and X-Amz-Date. Names are case-insensitive;
     * a name given more than once is signed as the values joined with ',' in this order; a
     * value may span lines (obsolete folding). An Authorization header is not signed. */
    const struct reg_sigv4_header *headers;
    int nheaders;
    const void *body; /* may be NULL when body_len is 0 */
    size_t body_len;
    /* true for DynamoDB (RFC 3986 dot-segment removal, collapse //), false for S3 */
    bool normalize_path;
    /* adds x-amz-content-sha256 to the signed headers (unless the request already has one,
     * whose value then stands for the payload hash, e.g. "UNSIGNED-PAYLOAD") */
    bool sign_body;
    /* The session token is added after signing, unsigned (the few services that want it so;
     * false for DynamoDB). It is still returned in result.extra. */
    bool omit_session_token;
};

struct reg_sigv4_result {
    const char *canonical_request;
    const char *string_to_sign;
    char signature[65];
    const char *authorization; /* the Authorization header value */
    /* headers the caller must add to the request (x-amz-security-token, x-amz-content-sha256), in
     * the arena. A header the request already has is not repeated here. */
    struct reg_sigv4_header extra[2];
    int nextra;
    const char *signed_headers; /* "content-type;host;x-amz-date;x-amz-target" */
    const char *scope;          /* "20150830/us-east-1/dynamodb/aws4_request" */
};

/*
 * Signs req with cred for region ("us-east-1") and service ("dynamodb") at amz_date
 * ("20150830T123600Z", see reg_sigv4_amz_date()); fills *out, everything allocated from a.
 *
 * The canonical URI decodes each path segment and encodes it again (everything but A-Z a-z
 * 0-9 - _ . ~ as %XX); with normalize_path, "." and ".." segments are removed (RFC 3986) and
 * empty segments collapsed. The canonical query decodes and re-encodes each key and value and
 * sorts by key, then value. Header values are trimmed with inner whitespace runs (line
 * folds included) collapsed to one space.
 *
 * REG_EINVAL with a detail for a request that cannot be signed: a missing Host or X-Amz-Date,
 * X-Amz-Date other than amz_date, a malformed amz_date, header name, percent-escape or path,
 * an empty key/region/service, an x-amz-security-token header other than the session token.
 * REG_ETOOLARGE past REG_SIGV4_MAX_HEADERS or REG_SIGV4_MAX_CANONICAL. On failure *out is
 * zeroed.
 */
enum reg_status reg_sigv4_sign(struct reg_arena *a, const struct reg_sigv4_request *req,
                               const struct reg_sigv4_credentials *cred, const char *region,
                               const char *service, const char *amz_date,
                               struct reg_sigv4_result *out);

/* Longest validity of a presigned request (seconds): SigV4 allows seven days. */
#define REG_SIGV4_PRESIGN_MAX_EXPIRES 604800L

/* A query-string-signed (presigned) request; every string in the arena. */
struct reg_sigv4_presigned {
    const char *canonical_request;
    const char *string_to_sign;
    char signature[65];
    /* The query string to send, without '?': the request's own query (as given), then
     * X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
     * X-Amz-Security-Token (with a session token) and X-Amz-Signature, values percent-encoded. */
    const char *query;
};

/*
 * Signs req in the query string instead of the Authorization header (S3 presigned URLs), valid
 * for expires seconds (1 to REG_SIGV4_PRESIGN_MAX_EXPIRES) from amz_date; fills *out from a.
 *
 * Of req, only method, path, query, headers and normalize_path count: the headers are signed as
 * for reg_sigv4_sign (they must include Host; usually Host is the only one, and X-Amz-Date is
 * not needed since the date is in the query), the payload hash is "UNSIGNED-PAYLOAD", and a
 * session token is a signed query parameter, as S3 wants. Canonicalisation, errors and the
 * zeroed *out on failure are those of reg_sigv4_sign, plus REG_EINVAL for expires out of range.
 */
enum reg_status reg_sigv4_presign(struct reg_arena *a, const struct reg_sigv4_request *req,
                                  const struct reg_sigv4_credentials *cred, const char *region,
                                  const char *service, const char *amz_date, long expires,
                                  struct reg_sigv4_presigned *out);

/* Formats now (UTC) as "YYYYMMDDTHHMMSSZ" (years 0 to 9999; otherwise out is ""). */
void reg_sigv4_amz_date(time_t now, char out[17]);

/* The canonical URI of the raw path (see reg_sigv4_sign) into *out; REG_EINVAL for a path not
 * starting with '/' (an empty path is "/") or a malformed percent-escape. */
enum reg_status reg_sigv4_canonical_uri(struct reg_arena *a, const char *path, bool normalize,
                                        char **out);

/* The canonical query string of the raw query (without '?'; NULL or "" gives ""); REG_EINVAL
 * for a malformed percent-escape. '+' is a literal plus, not a space. */
enum reg_status reg_sigv4_canonical_query(struct reg_arena *a, const char *query, char **out);

#endif
