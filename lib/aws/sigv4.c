/*
 * sigv4.c - AWS Signature Version 4: canonical request, string to sign, HMAC-SHA256 key chain.
 *
 * The steps follow the SigV4 specification in order (canonical URI, query, headers, payload
 * hash; string to sign; signing key; signature). Canonical text is built in a bounded reg_buf
 * and copied to the arena; key material lives on the stack and is wiped after use.
 */
#include "aws/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/str.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
#define SHA256_BYTES 32
#define SHA256_HEX (2 * SHA256_BYTES + 1)
#define AMZ_DATE_LEN 16
#define SCOPE_DATE_LEN 8
/* Longest secret access key accepted (AWS issues 40 characters). */
#define SECRET_MAX 256

#define HOST_HEADER "host"
#define DATE_HEADER "x-amz-date"
#define TOKEN_HEADER "x-amz-security-token"
#define CONTENT_SHA_HEADER "x-amz-content-sha256"
#define AUTHZ_HEADER "authorization"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* A header in canonical form. */
struct canon_header {
    const char *name;  /* lowercase */
    const char *value; /* trimmed, whitespace runs collapsed to one space */
    int order;         /* position in the request: duplicates keep their order when sorted */
};

/* Everything one signing computes before the string to sign. */
struct signing {
    struct reg_arena *a;
    const struct reg_sigv4_request *req;
    struct canon_header hdr[REG_SIGV4_MAX_HEADERS];
    int nhdr;
    char payload_hash[SHA256_HEX];
    const char *canonical_headers; /* "name:value\n" lines, merged and sorted */
    const char *signed_headers;
};

/* A reg_buf that remembers its first failure, so a sequence of appends is checked once. */
struct text {
    struct reg_buf buf;
    enum reg_status st;
};

static void
text_init(struct text *t)
{
    reg_buf_init(&t->buf, REG_SIGV4_MAX_CANONICAL);
    t->st = REG_OK;
}

static void
text_put(struct text *t, const char *s, size_t n)
{
    if (t->st == REG_OK)
        t->st = reg_buf_append(&t->buf, s, n);
}

static void
text_puts(struct text *t, const char *s)
{
    text_put(t, s, strlen(s));
}

/* Moves the text into the arena as *out; frees the buffer either way. */
static enum reg_status
text_finish(struct text *t, struct reg_arena *a, const char *what, char **out)
{
    enum reg_status st = t->st;

    *out = NULL;
    if (st == REG_OK)
        *out = reg_arena_strndup(a, t->buf.data ? t->buf.data : "", t->buf.len);
    reg_buf_cleanup(&t->buf);
    if (st != REG_OK)
        return reg_errorf(st, "the SigV4 %s exceeds %zu bytes", what, REG_SIGV4_MAX_CANONICAL);
    return REG_OK;
}

/* An RFC 7230 token character (header names, methods). */
static bool
is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (!is_tchar((unsigned char)*s))
            return false;
    }
    return true;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Decodes %XX escapes of s[0..n) and encodes the bytes again, everything but the unreserved
 * characters as uppercase %XX: one URI component in canonical form. Any byte (NUL included)
 * survives as its escape; only a malformed escape is an error.
 */
static enum reg_status
canon_component(struct reg_arena *a, const char *s, size_t n, char **out)
{
    static const char digits[] = "0123456789ABCDEF";
    char *d = reg_arena_alloc(a, 3 * n + 1);
    size_t j = 0;

    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (n - i <= 2 || !reg_str_unhex(s + i + 1, 2, &c))
                return reg_errorf(REG_EINVAL, "malformed percent-escape in '%.*s'", (int)n, s);
            i += 2;
        }
        if (reg_str_is_unreserved(c)) {
            d[j++] = (char)c;
        } else {
            d[j++] = '%';
            d[j++] = digits[c >> 4];
            d[j++] = digits[c & 15];
        }
    }
    d[j] = '\0';
    *out = d;
    return REG_OK;
}

/* Splits path (after its leading '/') at each '/' into canonical segments. */
static enum reg_status
split_path(struct reg_arena *a, const char *path, char ***segs, int *nsegs)
{
    const char *p = path + 1;
    int n = 1;
    enum reg_status st;

    for (const char *q = p; *q; q++)
        n += *q == '/';
    *segs = reg_arena_alloc(a, (size_t)n * sizeof(**segs));
    *nsegs = n;
    for (int i = 0; i < n; i++) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        st = canon_component(a, p, len, &(*segs)[i]);
        if (st != REG_OK)
            return st;
        p += len + 1;
    }
    return REG_OK;
}

/*
 * RFC 3986 remove_dot_segments on the segment list, with empty segments dropped (collapsing
 * "//"); a path whose last segment is empty, "." or ".." keeps a trailing slash. Compacts
 * segs in place and returns the new count; *trailing says whether a '/' ends the path.
 */
static int
normalize_segments(char **segs, int n, bool *trailing)
{
    int depth = 0;

    *trailing = false;
    for (int i = 0; i < n; i++) {
        bool last = i == n - 1;
        if (strcmp(segs[i], "") == 0 || strcmp(segs[i], ".") == 0) {
            *trailing = last;
        } else if (strcmp(segs[i], "..") == 0) {
            depth -= depth > 0;
            *trailing = last;
        } else {
            segs[depth++] = segs[i];
            *trailing = false;
        }
    }
    return depth;
}

enum reg_status
reg_sigv4_canonical_uri(struct reg_arena *a, const char *path, bool normalize, char **out)
{
    char **segs;
    int n;
    bool trailing = false;
    struct text t;
    enum reg_status st;

    *out = NULL;
    if (!path || !*path)
        path = "/";
    if (strlen(path) > REG_SIGV4_MAX_CANONICAL)
        return reg_errorf(REG_ETOOLARGE, "the path exceeds %zu bytes", REG_SIGV4_MAX_CANONICAL);
    if (path[0] != '/')
        return reg_errorf(REG_EINVAL, "the path '%s' does not start with '/'", path);
    st = split_path(a, path, &segs, &n);
    if (st != REG_OK)
        return st;
    if (normalize)
        n = normalize_segments(segs, n, &trailing);
    text_init(&t);
    text_puts(&t, "/");
    for (int i = 0; i < n; i++) {
        if (i > 0)
            text_puts(&t, "/");
        text_puts(&t, segs[i]);
    }
    if (trailing && n > 0)
        text_puts(&t, "/");
    return text_finish(&t, a, "path", out);
}

struct query_param {
    char *key;
    char *value;
};

static int
cmp_param(const void *x, const void *y)
{
    const struct query_param *p = x, *q = y;
    int c = strcmp(p->key, q->key);

    return c ? c : strcmp(p->value, q->value);
}

/* Parses query into canonical key/value pairs (empty pieces between '&' are skipped). */
static enum reg_status
split_query(struct reg_arena *a, const char *query, struct query_param **out, int *n)
{
    int max = 1;
    struct query_param *params;
    enum reg_status st = REG_OK;

    for (const char *q = query; *q; q++)
        max += *q == '&';
    params = reg_arena_alloc(a, (size_t)max * sizeof(*params));
    *n = 0;
    while (*query && st == REG_OK) {
        const char *amp = strchr(query, '&');
        size_t len = amp ? (size_t)(amp - query) : strlen(query);
        const char *eq = memchr(query, '=', len);
        size_t klen = eq ? (size_t)(eq - query) : len;

        if (len > 0) {
            struct query_param *p = &params[(*n)++];
            st = canon_component(a, query, klen, &p->key);
            if (st == REG_OK)
                st = canon_component(a, query + klen + (eq != NULL), len - klen - (eq != NULL),
                                     &p->value);
        }
        query += len + (amp != NULL);
    }
    *out = params;
    return st;
}

enum reg_status
reg_sigv4_canonical_query(struct reg_arena *a, const char *query, char **out)
{
    struct query_param *params;
    int n;
    struct text t;
    enum reg_status st;

    *out = NULL;
    if (query && strlen(query) > REG_SIGV4_MAX_CANONICAL)
        return reg_errorf(REG_ETOOLARGE, "the query string exceeds %zu bytes",
                          REG_SIGV4_MAX_CANONICAL);
    st = split_query(a, query ? query : "", &params, &n);
    if (st != REG_OK)
        return st;
    qsort(params, (size_t)n, sizeof(*params), cmp_param);
    text_init(&t);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            text_puts(&t, "&");
        text_puts(&t, params[i].key);
        text_puts(&t, "=");
        text_puts(&t, params[i].value);
    }
    return text_finish(&t, a, "query string", out);
}

static char *
lowercase(struct reg_arena *a, const char *s)
{
    char *d = reg_arena_strdup(a, s);

    for (char *p = d; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return d;
}

/* Trims value and collapses each inner run of whitespace (line folds too) to one space;
 * REG_EINVAL for another control character. */
static enum reg_status
canon_value(struct reg_arena *a, const char *name, const char *value, const char **out)
{
    char *d = reg_arena_alloc(a, strlen(value) + 1);
    size_t j = 0;
    bool gap = false;

    *out = NULL;
    for (const char *p = value; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (is_space(*p)) {
            gap = j > 0;
            continue;
        }
        if (c < 0x20 || c == 0x7f)
            return reg_errorf(REG_EINVAL, "header '%s' has a control character", name);
        if (gap)
            d[j++] = ' ';
        gap = false;
        d[j++] = *p;
    }
    d[j] = '\0';
    *out = d;
    return REG_OK;
}

/* The value of header name (lowercase) in s->hdr, first occurrence; NULL if absent. */
static const char *
find_header(const struct signing *s, const char *name)
{
    for (int i = 0; i < s->nhdr; i++) {
        if (strcmp(s->hdr[i].name, name) == 0)
            return s->hdr[i].value;
    }
    return NULL;
}

static enum reg_status
add_header(struct signing *s, const char *name, const char *value)
{
    struct canon_header *h;

    if (s->nhdr >= REG_SIGV4_MAX_HEADERS)
        return reg_errorf(REG_ETOOLARGE, "a SigV4 request has at most %d headers",
                          REG_SIGV4_MAX_HEADERS);
    if (!is_token(name))
        return reg_errorf(REG_EINVAL, "'%s' is not a valid header name", name ? name : "(null)");
    h = &s->hdr[s->nhdr];
    h->name = lowercase(s->a, name);
    h->order = s->nhdr;
    s->nhdr++;
    return canon_value(s->a, h->name, value ? value : "", &h->value);
}

/* True for "Authorization" in any case: it carries the signature, so it is never signed. */
static bool
is_authorization(const char *name)
{
    const char *want = AUTHZ_HEADER;

    if (!name)
        return false;
    for (; *name && *want; name++, want++) {
        unsigned char c = (unsigned char)*name;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if (c != (unsigned char)*want)
            return false;
    }
    return !*name && !*want;
}

/* The request's headers in canonical form, Authorization left out. */
static enum reg_status
collect_headers(struct signing *s)
{
    const struct reg_sigv4_request *req = s->req;
    enum reg_status st;

    if (req->nheaders < 0 || (req->nheaders > 0 && !req->headers))
        return reg_errorf(REG_EINVAL, "the SigV4 request has no header list");
    for (int i = 0; i < req->nheaders; i++) {
        const char *name = req->headers[i].name;
        if (is_authorization(name))
            continue;
        st = add_header(s, name, req->headers[i].value);
        if (st != REG_OK)
            return st;
    }
    return REG_OK;
}

static bool
sha256_hex(const void *data, size_t len, char out[SHA256_HEX])
{
    unsigned char md[SHA256_BYTES];
    unsigned int md_len = 0;

    if (EVP_Digest(data ? data : "", len, md, &md_len, EVP_sha256(), NULL) != 1)
        return false;
    reg_str_hex(md, SHA256_BYTES, out);
    return true;
}

/* Sets the payload hash: the request's own x-amz-content-sha256 value if it has one (e.g.
 * "UNSIGNED-PAYLOAD" for S3), else the SHA-256 of the body. */
static enum reg_status
payload_hash(struct signing *s)
{
    const char *given = find_header(s, CONTENT_SHA_HEADER);

    if (given) {
        size_t n = strlen(given);
        if (n >= sizeof(s->payload_hash))
            return reg_errorf(REG_EINVAL, "header '%s' is too long", CONTENT_SHA_HEADER);
        memcpy(s->payload_hash, given, n + 1);
        return REG_OK;
    }
    if (s->req->body_len > 0 && !s->req->body)
        return reg_errorf(REG_EINVAL, "the SigV4 request has a length but no body");
    if (!sha256_hex(s->req->body, s->req->body_len, s->payload_hash))
        return reg_errorf(REG_EINTERNAL, "SHA-256 of the request body failed");
    return REG_OK;
}

/* Appends a header the caller must send; signed unless signed_too is false. */
static enum reg_status
add_extra(struct signing *s, struct reg_sigv4_result *out, const char *name, const char *value,
          bool signed_too)
{
    struct reg_sigv4_header *x = &out->extra[out->nextra++];

    x->name = reg_arena_strdup(s->a, name);
    x->value = reg_arena_strdup(s->a, value);
    return signed_too ? add_header(s, name, value) : REG_OK;
}

/* The session token and body hash headers the signer adds to the request. */
static enum reg_status
extra_headers(struct signing *s, const struct reg_sigv4_credentials *cred,
              struct reg_sigv4_result *out)
{
    const char *token = find_header(s, TOKEN_HEADER);
    enum reg_status st = REG_OK;

    if (cred->session_token && token && strcmp(token, cred->session_token) != 0)
        return reg_errorf(REG_EINVAL, "header '%s' differs from the session token", TOKEN_HEADER);
    if (cred->session_token && !token)
        st = add_extra(s, out, "X-Amz-Security-Token", cred->session_token,
                       !s->req->omit_session_token);
    if (st == REG_OK && s->req->sign_body && !find_header(s, CONTENT_SHA_HEADER))
        st = add_extra(s, out, "X-Amz-Content-Sha256", s->payload_hash, true);
    return st;
}

static int
cmp_header(const void *x, const void *y)
{
    const struct canon_header *p = x, *q = y;
    int c = strcmp(p->name, q->name);

    return c ? c : (p->order > q->order) - (p->order < q->order);
}

/* Sorts the headers and writes the canonical header lines and the signed header list, with
 * the values of a repeated name joined by ','. */
static enum reg_status
merge_headers(struct signing *s)
{
    struct text lines, names;
    enum reg_status st;
    char *l = NULL, *n = NULL;

    qsort(s->hdr, (size_t)s->nhdr, sizeof(s->hdr[0]), cmp_header);
    text_init(&lines);
    text_init(&names);
    for (int i = 0; i < s->nhdr; i++) {
        bool same = i > 0 && strcmp(s->hdr[i].name, s->hdr[i - 1].name) == 0;
        if (same) {
            text_puts(&lines, ",");
        } else {
            if (i > 0) {
                text_puts(&lines, "\n");
                text_puts(&names, ";");
            }
            text_puts(&lines, s->hdr[i].name);
            text_puts(&lines, ":");
            text_puts(&names, s->hdr[i].name);
        }
        text_puts(&lines, s->hdr[i].value);
    }
    if (s->nhdr > 0)
        text_puts(&lines, "\n");
    st = text_finish(&lines, s->a, "header list", &l);
    if (st == REG_OK)
        st = text_finish(&names, s->a, "signed header list", &n);
    else
        reg_buf_cleanup(&names.buf);
    s->canonical_headers = l;
    s->signed_headers = n;
    return st;
}

static bool
is_amz_date(const char *d)
{
    if (!d || strlen(d) != AMZ_DATE_LEN || d[8] != 'T' || d[15] != 'Z')
        return false;
    for (int i = 0; i < 15; i++) {
        if (i != 8 && (d[i] < '0' || d[i] > '9'))
            return false;
    }
    return true;
}

/* A credential scope part: printable ASCII without space or '/'. */
static bool
is_scope_part(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s <= ' ' || *s > '~' || *s == '/')
            return false;
    }
    return true;
}

static enum reg_status
check_args(const struct reg_sigv4_request *req, const struct reg_sigv4_credentials *cred,
           const char *region, const char *service, const char *amz_date)
{
    if (!req || !cred)
        return reg_errorf(REG_EINVAL, "SigV4 signing needs a request and credentials");
    if (!is_token(req->method))
        return reg_errorf(REG_EINVAL, "'%s' is not a valid HTTP method",
                          req->method ? req->method : "(null)");
    if (!is_amz_date(amz_date))
        return reg_errorf(REG_EINVAL, "'%s' is not a SigV4 date (YYYYMMDDTHHMMSSZ)",
                          amz_date ? amz_date : "(null)");
    if (!is_scope_part(cred->access_key_id) || strchr(cred->access_key_id, ','))
        return reg_errorf(REG_EINVAL, "the AWS access key id is empty or malformed");
    if (!cred->secret_access_key || !*cred->secret_access_key ||
        strlen(cred->secret_access_key) > SECRET_MAX)
        return reg_errorf(REG_EINVAL, "the AWS secret access key is empty or too long");
    if (!is_scope_part(region) || !is_scope_part(service))
        return reg_errorf(REG_EINVAL, "the AWS region and service must be non-empty words");
    return REG_OK;
}

/* Host and X-Amz-Date are signed; X-Amz-Date must be the signing time. */
static enum reg_status
check_required(const struct signing *s, const char *amz_date)
{
    const char *date = find_header(s, DATE_HEADER);

    if (!find_header(s, HOST_HEADER))
        return reg_errorf(REG_EINVAL, "a SigV4 request needs a Host header");
    if (!date)
        return reg_errorf(REG_EINVAL, "a SigV4 request needs an X-Amz-Date header");
    if (strcmp(date, amz_date) != 0)
        return reg_errorf(REG_EINVAL, "X-Amz-Date '%s' is not the signing time %s", date, amz_date);
    return REG_OK;
}

static enum reg_status
canonical_request(struct signing *s, char **out)
{
    char *uri, *query;
    struct text t;
    enum reg_status st;

    st = reg_sigv4_canonical_uri(s->a, s->req->path, s->req->normalize_path, &uri);
    if (st == REG_OK)
        st = reg_sigv4_canonical_query(s->a, s->req->query, &query);
    if (st != REG_OK)
        return st;
    text_init(&t);
    text_puts(&t, s->req->method);
    text_puts(&t, "\n");
    text_puts(&t, uri);
    text_puts(&t, "\n");
    text_puts(&t, query);
    text_puts(&t, "\n");
    text_puts(&t, s->canonical_headers);
    text_puts(&t, "\n");
    text_puts(&t, s->signed_headers);
    text_puts(&t, "\n");
    text_puts(&t, s->payload_hash);
    return text_finish(&t, s->a, "canonical request", out);
}

static bool
hmac(const unsigned char *key, size_t key_len, const char *msg, unsigned char out[SHA256_BYTES])
{
    unsigned int len = 0;

    return HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out,
                &len) != NULL &&
           len == SHA256_BYTES;
}

/* signature = hex(HMAC(kSigning, sts)), kSigning = HMAC chain "AWS4"+secret -> date -> region
 * -> service -> "aws4_request". */
static enum reg_status
signature(const char *secret, const char *date, const char *region, const char *service,
          const char *sts, char out[SHA256_HEX])
{
    unsigned char seed[4 + SECRET_MAX], k1[SHA256_BYTES], k2[SHA256_BYTES], sig[SHA256_BYTES];
    size_t secret_len = strlen(secret);
    bool ok;

    /* Key bytes, not a string: no NUL. */
    memcpy(seed, "AWS4", 4);              /* NOLINT(bugprone-not-null-terminated-result) */
    memcpy(seed + 4, secret, secret_len); /* NOLINT(bugprone-not-null-terminated-result) */
    ok = hmac(seed, 4 + secret_len, date, k1) && hmac(k1, sizeof(k1), region, k2) &&
         hmac(k2, sizeof(k2), service, k1) && hmac(k1, sizeof(k1), TERMINATOR, k2) &&
         hmac(k2, sizeof(k2), sts, sig);
    OPENSSL_cleanse(seed, sizeof(seed));
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    if (!ok)
        return reg_errorf(REG_EINTERNAL, "HMAC-SHA256 failed");
    reg_str_hex(sig, sizeof(sig), out);
    return REG_OK;
}

/* String to sign, signature and Authorization from the canonical request in out. */
static enum reg_status
sign(struct reg_arena *a, const struct reg_sigv4_credentials *cred, const char *region,
     const char *service, const char *amz_date, struct reg_sigv4_result *out)
{
    char creq_hash[SHA256_HEX];
    enum reg_status st;

    out->scope = reg_arena_sprintf(a, "%.*s/%s/%s/%s", SCOPE_DATE_LEN, amz_date, region, service,
                                   TERMINATOR);
    if (!sha256_hex(out->canonical_request, strlen(out->canonical_request), creq_hash))
        return reg_errorf(REG_EINTERNAL, "SHA-256 of the canonical request failed");
    out->string_to_sign =
        reg_arena_sprintf(a, "%s\n%s\n%s\n%s", ALGORITHM, amz_date, out->scope, creq_hash);
    st = signature(cred->secret_access_key, reg_arena_strndup(a, amz_date, SCOPE_DATE_LEN), region,
                   service, out->string_to_sign, out->signature);
    if (st != REG_OK)
        return st;
    out->authorization =
        reg_arena_sprintf(a, "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s", ALGORITHM,
                          cred->access_key_id, out->scope, out->signed_headers, out->signature);
    return REG_OK;
}

enum reg_status
reg_sigv4_sign(struct reg_arena *a, const struct reg_sigv4_request *req,
               const struct reg_sigv4_credentials *cred, const char *region, const char *service,
               const char *amz_date, struct reg_sigv4_result *out)
{
    struct signing s = {.a = a, .req = req};
    char *creq = NULL;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    st = check_args(req, cred, region, service, amz_date);
    if (st == REG_OK)
        st = collect_headers(&s);
    if (st == REG_OK)
        st = payload_hash(&s);
    if (st == REG_OK)
        st = extra_headers(&s, cred, out);
    if (st == REG_OK)
        st = check_required(&s, amz_date);
    if (st == REG_OK)
        st = merge_headers(&s);
    if (st == REG_OK)
        st = canonical_request(&s, &creq);
    if (st == REG_OK) {
        out->canonical_request = creq;
        out->signed_headers = s.signed_headers;
        st = sign(a, cred, region, service, amz_date, out);
    }
    if (st != REG_OK)
        memset(out, 0, sizeof(*out));
    return st;
}

/* Appends "name=value" to a query string, '&' first unless it is empty, with value
 * percent-encoded (everything but the unreserved characters). */
static void
query_put(struct text *t, const char *name, const char *value)
{
    static const char digits[] = "0123456789ABCDEF";

    if (t->buf.len > 0)
        text_puts(t, "&");
    text_puts(t, name);
    text_puts(t, "=");
    for (const char *p = value; *p; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[3] = {'%', digits[c >> 4], digits[c & 15]};
        if (reg_str_is_unreserved(c))
            text_put(t, p, 1);
        else
            text_put(t, esc, sizeof(esc));
    }
}

/* The request's query plus the X-Amz-* authentication parameters, all but the signature. */
static enum reg_status
presign_query(const struct signing *s, const struct reg_sigv4_credentials *cred, const char *region,
              const char *service, const char *amz_date, long expires, char **out)
{
    struct text t;

    text_init(&t);
    text_puts(&t, s->req->query ? s->req->query : "");
    query_put(&t, "X-Amz-Algorithm", ALGORITHM);
    query_put(&t, "X-Amz-Credential",
              reg_arena_sprintf(s->a, "%s/%.*s/%s/%s/%s", cred->access_key_id, SCOPE_DATE_LEN,
                                amz_date, region, service, TERMINATOR));
    query_put(&t, "X-Amz-Date", amz_date);
    query_put(&t, "X-Amz-Expires", reg_arena_sprintf(s->a, "%ld", expires));
    query_put(&t, "X-Amz-SignedHeaders", s->signed_headers);
    if (cred->session_token)
        query_put(&t, "X-Amz-Security-Token", cred->session_token);
    return text_finish(&t, s->a, "query string", out);
}

enum reg_status
reg_sigv4_presign(struct reg_arena *a, const struct reg_sigv4_request *req,
                  const struct reg_sigv4_credentials *cred, const char *region, const char *service,
                  const char *amz_date, long expires, struct reg_sigv4_presigned *out)
{
    struct signing s = {.a = a, .req = req};
    struct reg_sigv4_request signed_req;
    struct reg_sigv4_result res;
    char *query = NULL, *creq = NULL;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    memset(&res, 0, sizeof(res));
    st = check_args(req, cred, region, service, amz_date);
    if (st == REG_OK && (expires < 1 || expires > REG_SIGV4_PRESIGN_MAX_EXPIRES))
        st = reg_errorf(REG_EINVAL, "a presigned request expires after 1 to %ld seconds, not %ld",
                        REG_SIGV4_PRESIGN_MAX_EXPIRES, expires);
    if (st == REG_OK)
        st = collect_headers(&s);
    if (st == REG_OK && !find_header(&s, HOST_HEADER))
        st = reg_errorf(REG_EINVAL, "a SigV4 request needs a Host header");
    if (st == REG_OK)
        st = merge_headers(&s);
    if (st == REG_OK)
        st = presign_query(&s, cred, region, service, amz_date, expires, &query);
    if (st == REG_OK) {
        /* The canonical request signs the query with the authentication parameters in it. */
        signed_req = *req;
        signed_req.query = query;
        s.req = &signed_req;
        memcpy(s.payload_hash, UNSIGNED_PAYLOAD, sizeof(UNSIGNED_PAYLOAD));
        st = canonical_request(&s, &creq);
    }
    if (st == REG_OK) {
        res.canonical_request = creq;
        res.signed_headers = s.signed_headers;
        st = sign(a, cred, region, service, amz_date, &res);
    }
    if (st == REG_OK) {
        out->canonical_request = creq;
        out->string_to_sign = res.string_to_sign;
        memcpy(out->signature, res.signature, sizeof(out->signature));
        out->query = reg_arena_sprintf(a, "%s&X-Amz-Signature=%s", query, res.signature);
    }
    if (st != REG_OK)
        memset(out, 0, sizeof(*out));
    return st;
}

void
reg_sigv4_amz_date(time_t now, char out[17])
{
    struct tm tm;

    int n;

    out[0] = '\0';
    if (!gmtime_r(&now, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
        return;
    n = snprintf(out, AMZ_DATE_LEN + 1, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n != AMZ_DATE_LEN)
        out[0] = '\0';
}
