/*
 * fuzz_sigv4.c - libFuzzer harness of the SigV4 signer (lib/aws/sigv4.c). The input is a raw
 * HTTP request in the AWS test suite's request.txt form ("METHOD PATH[?QUERY] HTTP/1.1", header
 * lines "Name:value", folded lines starting with a blank, an empty line, the body), so the
 * suite's requests (tests/unit/vectors/sigv4/) are the seeds. An X-Amz-Date header is added when
 * the input has none. The request is signed both ways (normalized path or not, body hash signed
 * or not) and presigned, and the properties checked are:
 *   - signing is stable: the same request signs to the same canonical request and signature;
 *   - the canonical URI and query are fixed points (canonicalising them again changes nothing)
 *     and are the canonical request's second and third lines;
 *   - the signature is the HMAC chain over the string to sign, recomputed here with OpenSSL;
 *   - the Authorization header and the presigned query carry that signature.
 * Built with -fsanitize=fuzzer,address,undefined by `make fuzz`, and without libFuzzer by
 * tests/fuzz/replay.c (make check replays tests/fuzz/corpus/sigv4).
 */
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/sigv4.h"
#include "base/str.h"

#define AMZ_DATE "20150830T123600Z"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct reg_sigv4_credentials creds = {"AKIDEXAMPLE", SECRET, NULL};
static const struct reg_sigv4_credentials creds_token = {"AKIDEXAMPLE", SECRET, "token/+="};

static void
check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_sigv4: %s\n", what);
        abort();
    }
}

/* Parses the request text (NUL-terminated, in the arena) into req; false if it has no
 * request line. */
static bool
parse_request(struct reg_arena *a, char *text, size_t len, struct reg_sigv4_request *req,
              struct reg_sigv4_header *headers)
{
    char *line = text, *eol = strchr(text, '\n'), *sp, *q;

    memset(req, 0, sizeof(*req));
    if (!eol)
        eol = text + len;
    *eol = '\0';
    sp = strchr(line, ' ');
    if (!sp)
        return false;
    *sp = '\0';
    req->method = line;
    line = sp + 1;
    sp = strrchr(line, ' ');
    if (sp)
        *sp = '\0';
    q = strchr(line, '?');
    if (q)
        *q++ = '\0';
    req->path = line;
    req->query = q ? q : "";
    req->headers = headers;
    req->body = "";
    for (line = eol < text + len ? eol + 1 : text + len; *line;) {
        char *colon;
        eol = strchr(line, '\n');
        if (eol)
            *eol = '\0';
        if (*line == '\0') { /* the empty line: the rest is the body */
            req->body = eol + 1;
            req->body_len = (size_t)(text + len - (eol + 1));
            break;
        }
        if ((*line == ' ' || *line == '\t') && req->nheaders > 0) {
            struct reg_sigv4_header *h = &headers[req->nheaders - 1];
            h->value = reg_arena_sprintf(a, "%s\n%s", h->value, line);
        } else if ((colon = strchr(line, ':')) && req->nheaders < REG_SIGV4_MAX_HEADERS - 2) {
            *colon = '\0';
            headers[req->nheaders++] = (struct reg_sigv4_header){line, colon + 1};
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    return true;
}

static void
hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;

    check(HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n) !=
              NULL,
          "HMAC failed");
}

/* The signature of string_to_sign for the date, region and service, as AWS defines it. */
static void
expected_signature(const char *sts, char out[65])
{
    unsigned char k[32];
    char *secret = malloc(strlen(SECRET) + 5);

    check(secret != NULL, "out of memory");
    sprintf(secret, "AWS4%s", SECRET);
    hmac((const unsigned char *)secret, strlen(secret), "20150830", k);
    hmac(k, 32, "us-east-1", k);
    hmac(k, 32, "service", k);
    hmac(k, 32, "aws4_request", k);
    hmac(k, 32, sts, k);
    reg_str_hex(k, 32, out);
    free(secret);
}

/* Line n (0-based) of s, in the arena. */
static const char *
line_of(struct reg_arena *a, const char *s, int n)
{
    for (; n > 0 && s; n--)
        s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL;
    return s ? reg_arena_strndup(a, s, strcspn(s, "\n")) : "";
}

static void
check_fixed_points(struct reg_arena *a, const struct reg_sigv4_request *req,
                   const struct reg_sigv4_result *r)
{
    char *uri, *uri2, *query, *query2;

    check(reg_sigv4_canonical_uri(a, req->path, req->normalize_path, &uri) == REG_OK,
          "a signed path has no canonical URI");
    check(reg_sigv4_canonical_query(a, req->query, &query) == REG_OK,
          "a signed query has no canonical form");
    check(strcmp(line_of(a, r->canonical_request, 1), uri) == 0, "line 2 is not the URI");
    check(strcmp(line_of(a, r->canonical_request, 2), query) == 0, "line 3 is not the query");
    check(reg_sigv4_canonical_uri(a, uri, req->normalize_path, &uri2) == REG_OK &&
              strcmp(uri, uri2) == 0,
          "the canonical URI is not a fixed point");
    check(reg_sigv4_canonical_query(a, query, &query2) == REG_OK && strcmp(query, query2) == 0,
          "the canonical query is not a fixed point");
}

static void
sign_checked(struct reg_arena *a, struct reg_sigv4_request *req)
{
    struct reg_sigv4_result r, again;
    struct reg_sigv4_presigned p;
    char want[65];
    enum reg_status st = reg_sigv4_sign(a, req, &creds, "us-east-1", "service", AMZ_DATE, &r);

    if (st != REG_OK) {
        check(r.canonical_request == NULL && r.signature[0] == '\0', "failure left a result");
        return;
    }
    check(reg_sigv4_sign(a, req, &creds, "us-east-1", "service", AMZ_DATE, &again) == REG_OK &&
              strcmp(r.canonical_request, again.canonical_request) == 0 &&
              strcmp(r.signature, again.signature) == 0,
          "signing is not stable");
    expected_signature(r.string_to_sign, want);
    check(strcmp(r.signature, want) == 0, "the signature is not the HMAC chain's");
    check(strstr(r.authorization, r.signature) && strstr(r.authorization, r.signed_headers),
          "the Authorization header lacks the signature or signed headers");
    check(strstr(r.string_to_sign, r.scope) != NULL, "the string to sign lacks the scope");
    check_fixed_points(a, req, &r);
    if (reg_sigv4_presign(a, req, &creds_token, "us-east-1", "service", AMZ_DATE, 3600, &p) ==
        REG_OK) {
        /* The signer's own parameter is the last: the request's query may hold one too. */
        const char *sig = strrchr(p.query, '&');
        expected_signature(p.string_to_sign, want);
        check(sig && strncmp(sig, "&X-Amz-Signature=", 17) == 0 &&
                  strcmp(sig + 17, p.signature) == 0 && strcmp(p.signature, want) == 0,
              "the presigned query does not end with the signature");
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reg_sigv4_header headers[REG_SIGV4_MAX_HEADERS];
    struct reg_sigv4_request req;
    struct reg_arena a;
    char *text;
    bool has_date = false;

    if (size > REG_SIGV4_MAX_CANONICAL)
        return 0;
    reg_arena_init(&a);
    text = reg_arena_strndup(&a, (const char *)data, size);
    if (parse_request(&a, text, strlen(text), &req, headers)) {
        for (int i = 0; i < req.nheaders; i++)
            has_date = has_date || strcasecmp(headers[i].name, "X-Amz-Date") == 0;
        if (!has_date)
            headers[req.nheaders++] = (struct reg_sigv4_header){"X-Amz-Date", AMZ_DATE};
        for (int mode = 0; mode < 4; mode++) {
            req.normalize_path = mode & 1;
            req.sign_body = mode & 2;
            sign_checked(&a, &req);
        }
    }
    reg_arena_cleanup(&a);
    return 0;
}
