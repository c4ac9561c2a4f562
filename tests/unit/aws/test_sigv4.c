/*
 * test_sigv4.c - the SigV4 signer against every header-signing case of the AWS SigV4 test
 * suite in both copies under tests/unit/vectors/sigv4/ (see its NOTICE):
 *   botocore/    NAME.req -> NAME.creq, NAME.sts, NAME.authz (found by walking the tree)
 *   aws-c-auth/  context.json + request.txt -> header-canonical-request.txt,
 *                header-string-to-sign.txt, header-signature.txt, header-signed-request.txt
 * then the canonical URI and query as tables, reg_sigv4_amz_date, a DynamoDB-shaped request
 * (signature computed independently) and the requests that cannot be signed.
 *
 * The aws-c-auth query-*.txt files (presigned URLs: the signature in the query string) are
 * skipped and not copied: the signer only signs with the Authorization header, which is all
 * DynamoDB needs.
 *
 * The vectors are found from the working directory (make runs the tests from the repo root)
 * or else next to this source file (__FILE__).
 */
#include "unit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "arena_fixture.h"
#include "aws/sigv4.h"
#include "base/json.h"

#define VECTORS_REL "tests/unit/vectors/sigv4"
/* Largest vector file read. */
#define FILE_MAX (64 * 1024)
/* Headers of a parsed vector request. */
#define HTTP_MAX_HEADERS 32
/* Cases each copy of the suite has (SOURCES: 34 botocore, 38 aws-c-auth directories). */
#define BOTOCORE_CASES 34
#define CRT_CASES 38

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AMZ_DATE "20150830T123600Z"
#define REGION "us-east-1"
#define SERVICE "service"
/* The botocore harness supplies session tokens with the credentials (not in the .req files). */
#define TOKEN_VANILLA "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
#define TOKEN_STS                                                                                  \
    "AQoDYXdzEPT//////////"                                                                        \
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwth" \
    "A"                                                                                            \
    "x7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvl" \
    "Rd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX" \
    "9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

/* A raw HTTP request file, parsed. Strings are in the arena. */
struct http_request {
    const char *method, *path, *query;
    struct reg_sigv4_header headers[HTTP_MAX_HEADERS];
    int nheaders;
    const char *body;
    size_t body_len;
};

static bool
is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The vectors directory, or NULL. */
static const char *
vectors_root(struct reg_arena *a)
{
    const char *slash = strrchr(__FILE__, '/');
    const char *beside;

    if (is_dir(VECTORS_REL))
        return VECTORS_REL;
    beside = slash
                 ? reg_arena_sprintf(a, "%.*s/../vectors/sigv4", (int)(slash - __FILE__), __FILE__)
                 : "";
    if (is_dir(beside))
        return beside;
    print_error("SigV4 vectors not found: run from the repository root (%s)\n", VECTORS_REL);
    return NULL;
}

/* The whole file, NUL-terminated (length in *len); NULL if unreadable or too large. */
static char *
read_file(struct reg_arena *a, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    if (!f)
        return NULL;
    buf = reg_arena_alloc(a, FILE_MAX + 1);
    n = fread(buf, 1, FILE_MAX + 1, f);
    fclose(f);
    if (n > FILE_MAX)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* An expected-output file without its final line ending(s) (none of them ends in one that
 * matters: they end with a hash or a signature). */
static const char *
read_expected(struct reg_arena *a, const char *path)
{
    size_t n;
    char *s = read_file(a, path, &n);

    while (s && n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* The next line of [*p, end) without "\r\n"/"\n"; advances *p past it. */
static void
next_line(const char **p, const char *end, const char **line, size_t *len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;

    *line = *p;
    *len = (size_t)(stop - *p);
    if (*len > 0 && (*line)[*len - 1] == '\r')
        (*len)--;
    *p = nl ? nl + 1 : end;
}

/* "METHOD target HTTP/1.1": the target may hold spaces (get-space), so the version is what
 * follows the last space. */
static bool
parse_request_line(struct reg_arena *a, const char *line, size_t len, struct http_request *out)
{
    const char *sp1 = memchr(line, ' ', len);
    const char *sp2 = line + len;
    const char *q;

    while (sp2 > line && sp2[-1] != ' ')
        sp2--;
    if (!sp1 || sp2 - 1 <= sp1)
        return false;
    sp2--;
    out->method = reg_arena_strndup(a, line, (size_t)(sp1 - line));
    q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
    out->path = reg_arena_strndup(a, sp1 + 1, (size_t)((q ? q : sp2) - sp1 - 1));
    out->query = q ? reg_arena_strndup(a, q + 1, (size_t)(sp2 - q - 1)) : "";
    return true;
}

/* One header line: "Name:value", or a continuation (leading space or tab) of the previous
 * header, kept as a line break plus the line for the signer to fold. */
static bool
parse_header_line(struct reg_arena *a, const char *line, size_t len, struct http_request *out)
{
    struct reg_sigv4_header *h;
    const char *colon;

    if (line[0] == ' ' || line[0] == '\t') {
        if (out->nheaders == 0)
            return false;
        h = &out->headers[out->nheaders - 1];
        h->value = reg_arena_sprintf(a, "%s\n%.*s", h->value, (int)len, line);
        return true;
    }
    colon = memchr(line, ':', len);
    if (!colon || colon == line || out->nheaders == HTTP_MAX_HEADERS)
        return false;
    h = &out->headers[out->nheaders++];
    h->name = reg_arena_strndup(a, line, (size_t)(colon - line));
    h->value = reg_arena_strndup(a, colon + 1, (size_t)(line + len - colon - 1));
    return true;
}

/* Request line, headers (folded and repeated ones as they come), a blank line, the body. The
 * suite's files may lack the blank line or the final line ending. */
static bool
parse_http(struct reg_arena *a, const char *text, size_t len, struct http_request *out)
{
    const char *p = text, *end = text + len, *line;
    size_t n;

    memset(out, 0, sizeof(*out));
    out->body = "";
    next_line(&p, end, &line, &n);
    if (!parse_request_line(a, line, n, out))
        return false;
    while (p < end) {
        next_line(&p, end, &line, &n);
        if (n == 0) {
            out->body = p;
            out->body_len = (size_t)(end - p);
            break;
        }
        if (!parse_header_line(a, line, n, out))
            return false;
    }
    return true;
}

/* The value of header name (any case) in r, or NULL. */
static const char *
header_value(const struct http_request *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    }
    return NULL;
}

static void
check_text(int *bad, const char *name, const char *what, const char *got, const char *want)
{
    CHECK(bad, got && want && strcmp(got, want) == 0, "%s: %s\n--- got:\n%s\n--- want:\n%s", name,
          what, got ? got : "(null)", want ? want : "(missing file)");
}

static struct reg_sigv4_request
sigv4_request(const struct http_request *r)
{
    struct reg_sigv4_request req = {
        .method = r->method,
        .path = r->path,
        .query = r->query,
        .headers = r->headers,
        .nheaders = r->nheaders,
        .body = r->body,
        .body_len = r->body_len,
        .normalize_path = true,
    };
    return req;
}

/* botocore's session-token cases: the harness supplies the token with the credentials. */
struct token_case {
    const char *name;
    const char *token;
    bool omit; /* post-sts-header-after: added after signing, unsigned */
    int nextra;
};

static const struct token_case botocore_tokens[] = {
    {"get-vanilla-with-session-token", TOKEN_VANILLA, false, 1},
    /* The .req already has X-Amz-Security-Token: the signer must not add a second one. */
    {"post-sts-header-before", TOKEN_STS, false, 0},
    {"post-sts-header-after", TOKEN_STS, true, 1},
};

static const struct token_case *
botocore_token(const char *name)
{
    for (int i = 0; i < NELEMS(botocore_tokens); i++) {
        if (strcmp(botocore_tokens[i].name, name) == 0)
            return &botocore_tokens[i];
    }
    return NULL;
}

/* One botocore case: base is the path without ".req", name the file name without it. */
static void
run_botocore_case(const char *base, const char *name, int *bad)
{
    struct reg_arena a;
    struct http_request r;
    struct reg_sigv4_request req;
    struct reg_sigv4_credentials cred = {AKID, SECRET, NULL};
    const struct token_case *tc = botocore_token(name);
    struct reg_sigv4_result out;
    enum reg_status st;
    size_t len;
    const char *text;
    bool ok;

    reg_arena_init(&a);
    text = read_file(&a, reg_arena_sprintf(&a, "%s.req", base), &len);
    ok = text && parse_http(&a, text, len, &r);
    CHECK(bad, ok, "%s: unreadable .req", base);
    if (!ok)
        goto cleanup;
    req = sigv4_request(&r);
    if (tc) {
        cred.session_token = tc->token;
        req.omit_session_token = tc->omit;
    }
    st = reg_sigv4_sign(&a, &req, &cred, REGION, SERVICE, AMZ_DATE, &out);
    CHECK(bad, st == REG_OK, "%s: status %d (%s)", name, st, reg_error_detail());
    if (st != REG_OK)
        goto cleanup;
    check_text(bad, name, "canonical request", out.canonical_request,
               read_expected(&a, reg_arena_sprintf(&a, "%s.creq", base)));
    check_text(bad, name, "string to sign", out.string_to_sign,
               read_expected(&a, reg_arena_sprintf(&a, "%s.sts", base)));
    /* .authz, not .sreq: get-vanilla-with-session-token.sreq has a stale signature. */
    check_text(bad, name, "authorization", out.authorization,
               read_expected(&a, reg_arena_sprintf(&a, "%s.authz", base)));
    CHECK(bad, strstr(out.authorization, out.signature) != NULL, "%s: signature not in authz",
          name);
    CHECK(bad, out.nextra == (tc ? tc->nextra : 0), "%s: %d extra headers", name, out.nextra);
    if (tc && tc->nextra == 1 && out.nextra == 1)
        CHECK(bad,
              strcasecmp(out.extra[0].name, "x-amz-security-token") == 0 &&
                  strcmp(out.extra[0].value, tc->token) == 0,
              "%s: extra header %s", name, out.extra[0].name);
cleanup:
    reg_arena_cleanup(&a);
}

/* Runs every NAME.req under dir (recursively); counts them in *cases. */
static void
walk_botocore(struct reg_arena *a, const char *dir, int *cases, int *bad)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    CHECK(bad, d != NULL, "cannot open %s", dir);
    while (d && (e = readdir(d)) != NULL) {
        const char *path = reg_arena_sprintf(a, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);

        if (e->d_name[0] == '.')
            continue;
        if (is_dir(path)) {
            walk_botocore(a, path, cases, bad);
        } else if (n > 4 && strcmp(e->d_name + n - 4, ".req") == 0) {
            run_botocore_case(reg_arena_strndup(a, path, strlen(path) - 4),
                              reg_arena_strndup(a, e->d_name, n - 4), bad);
            (*cases)++;
        }
    }
    if (d)
        closedir(d);
}

static void
test_botocore_suite(void **state)
{
    struct reg_arena *a = *state;
    const char *root = vectors_root(a);
    int bad = 0, cases = 0;

    assert_non_null(root);
    walk_botocore(a, reg_arena_sprintf(a, "%s/botocore", root), &cases, &bad);
    print_message("botocore: %d cases, %d failed checks\n", cases, bad);
    assert_int_equal(bad, 0);
    assert_int_equal(cases, BOTOCORE_CASES);
}

/* What an aws-c-auth context.json says. */
struct crt_context {
    struct reg_sigv4_credentials cred;
    const char *region, *service;
    char amz_date[17];
    bool normalize, sign_body, omit_token;
};

static bool
parse_context(struct reg_arena *a, const char *text, struct crt_context *out)
{
    struct json_object *root, *creds, *omit;
    const char *ts;
    size_t j = 0;

    memset(out, 0, sizeof(*out));
    if (reg_json_parse_object(a, text, strlen(text), &root) != REG_OK ||
        reg_json_get_object(root, "credentials", &creds) != REG_OK ||
        reg_json_get_string(creds, "access_key_id", &out->cred.access_key_id) != REG_OK ||
        reg_json_get_string(creds, "secret_access_key", &out->cred.secret_access_key) != REG_OK ||
        reg_json_opt_string(creds, "token", &out->cred.session_token) != REG_OK ||
        reg_json_get_string(root, "region", &out->region) != REG_OK ||
        reg_json_get_string(root, "service", &out->service) != REG_OK ||
        reg_json_get_string(root, "timestamp", &ts) != REG_OK ||
        reg_json_get_bool(root, "normalize", &out->normalize) != REG_OK ||
        reg_json_get_bool(root, "sign_body", &out->sign_body) != REG_OK)
        return false;
    out->omit_token = json_object_object_get_ex(root, "omit_session_token", &omit) &&
                      json_object_get_boolean(omit);
    /* "2015-08-30T12:36:00Z" -> "20150830T123600Z" */
    for (; *ts && j < sizeof(out->amz_date) - 1; ts++) {
        if (*ts != '-' && *ts != ':')
            out->amz_date[j++] = *ts;
    }
    out->amz_date[j] = '\0';
    return !*ts && j == sizeof(out->amz_date) - 1;
}

/* header-signed-request.txt: the request plus X-Amz-Date, the extra headers and Authorization. */
static void
check_signed_request(struct reg_arena *a, const char *dir, const char *name,
                     const struct http_request *r, const struct reg_sigv4_result *out, int *bad)
{
    struct http_request sr;
    size_t len;
    const char *text =
        read_file(a, reg_arena_sprintf(a, "%s/header-signed-request.txt", dir), &len);
    bool ok = text && parse_http(a, text, len, &sr);

    CHECK(bad, ok, "%s: unreadable signed request", name);
    if (!ok)
        return;
    check_text(bad, name, "authorization", out->authorization, header_value(&sr, "Authorization"));
    for (int i = 0; i < out->nextra; i++)
        check_text(bad, name, out->extra[i].name, out->extra[i].value,
                   header_value(&sr, out->extra[i].name));
    /* r holds X-Amz-Date already. */
    CHECK(bad, sr.nheaders == r->nheaders + out->nextra + 1,
          "%s: the signed request has %d headers, the signer gave %d + %d extra + Authorization",
          name, sr.nheaders, r->nheaders, out->nextra);
}

/* One aws-c-auth case directory. */
static void
run_crt_case(const char *dir, const char *name, int *bad)
{
    struct reg_arena a;
    struct crt_context ctx;
    struct http_request r;
    struct reg_sigv4_request req;
    struct reg_sigv4_result out;
    const char *text, *json;
    enum reg_status st;
    size_t len;
    bool ctx_ok, req_ok;

    reg_arena_init(&a);
    json = read_file(&a, reg_arena_sprintf(&a, "%s/context.json", dir), NULL);
    text = read_file(&a, reg_arena_sprintf(&a, "%s/request.txt", dir), &len);
    ctx_ok = json && parse_context(&a, json, &ctx);
    req_ok = text && parse_http(&a, text, len, &r) && r.nheaders < HTTP_MAX_HEADERS;
    CHECK(bad, ctx_ok, "%s: bad context.json", name);
    CHECK(bad, req_ok, "%s: bad request.txt", name);
    if (!ctx_ok || !req_ok)
        goto cleanup;
    /* The CRT signer adds X-Amz-Date itself; this API takes it from the caller. */
    r.headers[r.nheaders++] = (struct reg_sigv4_header){"X-Amz-Date", ctx.amz_date};
    req = sigv4_request(&r);
    req.normalize_path = ctx.normalize;
    req.sign_body = ctx.sign_body;
    req.omit_session_token = ctx.omit_token;
    st = reg_sigv4_sign(&a, &req, &ctx.cred, ctx.region, ctx.service, ctx.amz_date, &out);
    CHECK(bad, st == REG_OK, "%s: status %d (%s)", name, st, reg_error_detail());
    if (st != REG_OK)
        goto cleanup;
    check_text(bad, name, "canonical request", out.canonical_request,
               read_expected(&a, reg_arena_sprintf(&a, "%s/header-canonical-request.txt", dir)));
    check_text(bad, name, "string to sign", out.string_to_sign,
               read_expected(&a, reg_arena_sprintf(&a, "%s/header-string-to-sign.txt", dir)));
    check_text(bad, name, "signature", out.signature,
               read_expected(&a, reg_arena_sprintf(&a, "%s/header-signature.txt", dir)));
    check_signed_request(&a, dir, name, &r, &out, bad);
cleanup:
    reg_arena_cleanup(&a);
}

static void
test_crt_suite(void **state)
{
    struct reg_arena *a = *state;
    const char *root = vectors_root(a);
    const char *v4;
    DIR *d;
    struct dirent *e;
    int bad = 0, cases = 0;

    assert_non_null(root);
    v4 = reg_arena_sprintf(a, "%s/aws-c-auth/v4", root);
    d = opendir(v4);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        const char *dir = reg_arena_sprintf(a, "%s/%s", v4, e->d_name);
        if (e->d_name[0] == '.' || !is_dir(dir))
            continue;
        run_crt_case(dir, reg_arena_strdup(a, e->d_name), &bad);
        cases++;
    }
    closedir(d);
    print_message("aws-c-auth: %d cases, %d failed checks\n", cases, bad);
    assert_int_equal(bad, 0);
    assert_int_equal(cases, CRT_CASES);
}

struct uri_case {
    const char *path;
    bool normalize;
    enum reg_status want;
    const char *out;
};

static const struct uri_case uri_cases[] = {
    {"/", true, REG_OK, "/"},
    {"", true, REG_OK, "/"},
    {NULL, false, REG_OK, "/"},
    {"/a/b/..", true, REG_OK, "/a/"},
    {"/a/b/..", false, REG_OK, "/a/b/.."},
    {"/a/b/.", true, REG_OK, "/a/b/"},
    {"/a/./b", true, REG_OK, "/a/b"},
    {"/../a", true, REG_OK, "/a"},
    {"/a/../../b/", true, REG_OK, "/b/"},
    {"/%2e%2E/x", true, REG_OK, "/x"},
    {"/a//b", true, REG_OK, "/a/b"},
    {"/a//b", false, REG_OK, "/a//b"},
    {"///", true, REG_OK, "/"},
    {"///", false, REG_OK, "///"},
    {"/a%2Fb", true, REG_OK, "/a%2Fb"},
    {"/a%2fb", false, REG_OK, "/a%2Fb"},
    {"/%7euser", true, REG_OK, "/~user"},
    {"/a b", true, REG_OK, "/a%20b"},
    {"/a%20b", true, REG_OK, "/a%20b"},
    {"/a+b=c", true, REG_OK, "/a%2Bb%3Dc"},
    {"/a%00b", true, REG_OK, "/a%00b"},
    {"/\xe1\x88\xb4", true, REG_OK, "/%E1%88%B4"},
    {"/$delete", true, REG_OK, "/%24delete"},
    {"a/b", true, REG_EINVAL, NULL},
    {"/%", true, REG_EINVAL, NULL},
    {"/%4", true, REG_EINVAL, NULL},
    {"/a%2", false, REG_EINVAL, NULL},
    {"/%zz", true, REG_EINVAL, NULL},
    {"/%g0/", true, REG_EINVAL, NULL},
};

static void
test_canonical_uri(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(uri_cases); i++) {
        const struct uri_case *c = &uri_cases[i];
        char *out = NULL;
        enum reg_status st = reg_sigv4_canonical_uri(a, c->path, c->normalize, &out);
        CHECK(&bad, st == c->want, "uri '%s' (normalize %d): status %d, want %d", c->path,
              c->normalize, st, c->want);
        CHECK(&bad, (out == NULL) == (c->out == NULL) && (!out || strcmp(out, c->out) == 0),
              "uri '%s' (normalize %d): '%s', want '%s'", c->path, c->normalize,
              out ? out : "(null)", c->out ? c->out : "(null)");
    }
    assert_int_equal(bad, 0);
}

struct query_case {
    const char *query;
    enum reg_status want;
    const char *out;
};

static const struct query_case query_cases[] = {
    {"", REG_OK, ""},
    {NULL, REG_OK, ""},
    {"a=1", REG_OK, "a=1"},
    {"b=2&a=1", REG_OK, "a=1&b=2"},
    {"a=2&a=1", REG_OK, "a=1&a=2"},
    {"B=1&a=1", REG_OK, "B=1&a=1"},
    {"a", REG_OK, "a="},
    {"a=", REG_OK, "a="},
    {"=v", REG_OK, "=v"},
    {"&&a=1&", REG_OK, "a=1"},
    {"a=b=c", REG_OK, "a=b%3Dc"},
    {"a+b=c d", REG_OK, "a%2Bb=c%20d"},
    {"k=%7e&k=%2f", REG_OK, "k=%2F&k=~"},
    {"Z=2&%E1%88%B4=1", REG_OK, "%E1%88%B4=1&Z=2"},
    {"a=%", REG_EINVAL, NULL},
    {"a=%g1", REG_EINVAL, NULL},
    {"%2=1", REG_EINVAL, NULL},
};

static void
test_canonical_query(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(query_cases); i++) {
        const struct query_case *c = &query_cases[i];
        char *out = NULL;
        enum reg_status st = reg_sigv4_canonical_query(a, c->query, &out);
        CHECK(&bad, st == c->want, "query '%s': status %d, want %d", c->query, st, c->want);
        CHECK(&bad, (out == NULL) == (c->out == NULL) && (!out || strcmp(out, c->out) == 0),
              "query '%s': '%s', want '%s'", c->query, out ? out : "(null)",
              c->out ? c->out : "(null)");
    }
    assert_int_equal(bad, 0);
}

struct date_case {
    time_t t;
    const char *out;
};

static const struct date_case date_cases[] = {
    {1440938160, "20150830T123600Z"},
    {0, "19700101T000000Z"},
    {-1, "19691231T235959Z"},
    {951782400, "20000229T000000Z"},
    {(time_t)253402300799LL, "99991231T235959Z"},
    {(time_t)253402300800LL, ""}, /* year 10000 does not fit */
};

static void
test_amz_date(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(date_cases); i++) {
        char out[17];
        if (sizeof(time_t) < 8 && date_cases[i].t > 0x7fffffff)
            continue;
        reg_sigv4_amz_date(date_cases[i].t, out);
        CHECK(&bad, strcmp(out, date_cases[i].out) == 0, "amz_date(%lld): '%s', want '%s'",
              (long long)date_cases[i].t, out, date_cases[i].out);
    }
    assert_int_equal(bad, 0);
}

/* A GetItem as lib/aws/dynamodb.c sends it. The expected values come from an independent
 * implementation of the specification (Python hmac/hashlib). */
#define DDB_BODY "{\"TableName\":\"artifacts\",\"Key\":{\"id\":{\"S\":\"model-123\"}}}"
#define DDB_BODY_SHA "b5e3fd281ab9ba0492acc5ff782d65b94083d61ca2d804ceee62b0baf775584b"

static const struct reg_sigv4_header ddb_headers[] = {
    {"Host", "dynamodb.us-east-1.amazonaws.com"},
    {"X-Amz-Date", AMZ_DATE},
    {"X-Amz-Target", "DynamoDB_20120810.GetItem"},
    {"Content-Type", "application/x-amz-json-1.0"},
};

static struct reg_sigv4_request
ddb_request(void)
{
    struct reg_sigv4_request req = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = ddb_headers,
        .nheaders = NELEMS(ddb_headers),
        .body = DDB_BODY,
        .body_len = strlen(DDB_BODY),
        .normalize_path = true,
    };
    return req;
}

static bool
is_lower_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

static void
test_dynamodb_request(void **state)
{
    struct reg_arena *a = *state;
    struct reg_sigv4_request req = ddb_request();
    struct reg_sigv4_credentials cred = {AKID, SECRET, NULL};
    struct reg_sigv4_result out, again;
    const char *prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/"
                         "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                         "Signature=";

    assert_int_equal(reg_sigv4_sign(a, &req, &cred, REGION, "dynamodb", AMZ_DATE, &out), REG_OK);
    assert_string_equal(out.canonical_request,
                        "POST\n/\n\n"
                        "content-type:application/x-amz-json-1.0\n"
                        "host:dynamodb.us-east-1.amazonaws.com\n"
                        "x-amz-date:20150830T123600Z\n"
                        "x-amz-target:DynamoDB_20120810.GetItem\n\n"
                        "content-type;host;x-amz-date;x-amz-target\n" DDB_BODY_SHA);
    assert_string_equal(out.scope, "20150830/us-east-1/dynamodb/aws4_request");
    assert_string_equal(out.signed_headers, "content-type;host;x-amz-date;x-amz-target");
    assert_true(strncmp(out.string_to_sign, "AWS4-HMAC-SHA256\n" AMZ_DATE "\n", 34) == 0);
    assert_true(strncmp(out.authorization, prefix, strlen(prefix)) == 0);
    assert_true(is_lower_hex(out.authorization + strlen(prefix), 64));
    assert_string_equal(out.authorization + strlen(prefix), out.signature);
    assert_string_equal(out.signature,
                        "3116c46f02d988026baf02244326c456239cda87b138d86fd7632534a29365a8");
    assert_int_equal(out.nextra, 0);

    /* Signing is deterministic. */
    assert_int_equal(reg_sigv4_sign(a, &req, &cred, REGION, "dynamodb", AMZ_DATE, &again), REG_OK);
    assert_string_equal(again.authorization, out.authorization);
}

static void
test_dynamodb_session_token(void **state)
{
    struct reg_arena *a = *state;
    struct reg_sigv4_request req = ddb_request();
    struct reg_sigv4_credentials cred = {AKID, SECRET, "session-token-example"};
    struct reg_sigv4_result out;

    assert_int_equal(reg_sigv4_sign(a, &req, &cred, REGION, "dynamodb", AMZ_DATE, &out), REG_OK);
    assert_string_equal(out.signed_headers,
                        "content-type;host;x-amz-date;x-amz-security-token;x-amz-target");
    assert_string_equal(out.signature,
                        "dc22ef35472247a636d4a6c88027b3cf35dcaa01e06e2234b42aceee563c72ea");
    assert_int_equal(out.nextra, 1);
    assert_string_equal(out.extra[0].name, "X-Amz-Security-Token");
    assert_string_equal(out.extra[0].value, "session-token-example");
}

static void
test_sign_body(void **state)
{
    struct reg_arena *a = *state;
    struct reg_sigv4_request req = ddb_request();
    struct reg_sigv4_credentials cred = {AKID, SECRET, "tok"};
    struct reg_sigv4_header hdrs[NELEMS(ddb_headers) + 1];
    struct reg_sigv4_result out;

    req.sign_body = true;
    assert_int_equal(reg_sigv4_sign(a, &req, &cred, REGION, "dynamodb", AMZ_DATE, &out), REG_OK);
    assert_int_equal(out.nextra, 2);
    assert_string_equal(out.extra[0].name, "X-Amz-Security-Token");
    assert_string_equal(out.extra[1].name, "X-Amz-Content-Sha256");
    assert_string_equal(out.extra[1].value, DDB_BODY_SHA);
    assert_non_null(strstr(out.canonical_request, "\nx-amz-content-sha256:" DDB_BODY_SHA "\n"));

    /* A given x-amz-content-sha256 (S3's UNSIGNED-PAYLOAD) stands for the payload hash. */
    memcpy(hdrs, ddb_headers, sizeof(ddb_headers));
    hdrs[NELEMS(ddb_headers)] =
        (struct reg_sigv4_header){"x-amz-content-sha256", "UNSIGNED-PAYLOAD"};
    req.headers = hdrs;
    req.nheaders = NELEMS(hdrs);
    assert_int_equal(reg_sigv4_sign(a, &req, &cred, REGION, "s3", AMZ_DATE, &out), REG_OK);
    assert_int_equal(out.nextra, 1);
    assert_non_null(strstr(out.canonical_request, "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
    assert_true(strlen(out.canonical_request) > 16 &&
                strcmp(out.canonical_request + strlen(out.canonical_request) - 17,
                       "\nUNSIGNED-PAYLOAD") == 0);
}

/* An Authorization header (a retry re-signing its request) is not signed. */
static void
test_authorization_not_signed(void **state)
{
    struct reg_arena *a = *state;
    struct reg_sigv4_request req = ddb_request();
    struct reg_sigv4_credentials cred = {AKID, SECRET, NULL};
    struct reg_sigv4_header hdrs[NELEMS(ddb_headers) + 1];
    struct reg_sigv4_result plain, with;

    assert_int_equal(reg_sigv4_sign(a, &req, &cred, REGION, "dynamodb", AMZ_DATE, &plain), REG_OK);
    memcpy(hdrs, ddb_headers, sizeof(ddb_headers));
    hdrs[NELEMS(ddb_headers)] = (struct reg_sigv4_header){"AUTHORIZATION", "AWS4-HMAC-SHA256 x"};
    req.headers = hdrs;
    req.nheaders = NELEMS(hdrs);
    assert_int_equal(reg_sigv4_sign(a, &req, &cred, REGION, "dynamodb", AMZ_DATE, &with), REG_OK);
    assert_string_equal(with.authorization, plain.authorization);
}

struct error_case {
    const char *what;
    int index;               /* of the ddb_headers entry header_name replaces */
    const char *header_name; /* NULL: none replaced */
    const char *header_value;
    const char *path;
    const char *query;
    const char *token;
    const char *region, *service, *amz_date;
    enum reg_status want;
};

static const struct error_case error_cases[] = {
    {"no host", 0, "X-Other", "x", "/", "", NULL, REGION, "dynamodb", AMZ_DATE, REG_EINVAL},
    {"bad header name", 2, "Bad Name", "x", "/", "", NULL, REGION, "dynamodb", AMZ_DATE,
     REG_EINVAL},
    {"empty header name", 2, "", "x", "/", "", NULL, REGION, "dynamodb", AMZ_DATE, REG_EINVAL},
    {"control in value", 2, "X-A", "a\001b", "/", "", NULL, REGION, "dynamodb", AMZ_DATE,
     REG_EINVAL},
    {"date mismatch", 0, NULL, NULL, "/", "", NULL, REGION, "dynamodb", "20150830T123601Z",
     REG_EINVAL},
    {"malformed date", 0, NULL, NULL, "/", "", NULL, REGION, "dynamodb", "2015-08-30T12:36",
     REG_EINVAL},
    {"no amz_date", 0, NULL, NULL, "/", "", NULL, REGION, "dynamodb", NULL, REG_EINVAL},
    {"no X-Amz-Date header", 1, "X-Other", "x", "/", "", NULL, REGION, "dynamodb", AMZ_DATE,
     REG_EINVAL},
    {"relative path", 0, NULL, NULL, "a", "", NULL, REGION, "dynamodb", AMZ_DATE, REG_EINVAL},
    {"bad path escape", 0, NULL, NULL, "/%x", "", NULL, REGION, "dynamodb", AMZ_DATE, REG_EINVAL},
    {"bad query escape", 0, NULL, NULL, "/", "a=%", NULL, REGION, "dynamodb", AMZ_DATE, REG_EINVAL},
    {"empty region", 0, NULL, NULL, "/", "", NULL, "", "dynamodb", AMZ_DATE, REG_EINVAL},
    {"slash in service", 0, NULL, NULL, "/", "", NULL, REGION, "dyn/amo", AMZ_DATE, REG_EINVAL},
    {"token header differs", 2, "X-Amz-Security-Token", "other", "/", "", "tok", REGION, "dynamodb",
     AMZ_DATE, REG_EINVAL},
};

static void
test_errors(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(error_cases); i++) {
        const struct error_case *c = &error_cases[i];
        struct reg_sigv4_header hdrs[NELEMS(ddb_headers)];
        struct reg_sigv4_request req = ddb_request();
        struct reg_sigv4_credentials cred = {AKID, SECRET, c->token};
        struct reg_sigv4_result out;
        enum reg_status st;

        memcpy(hdrs, ddb_headers, sizeof(ddb_headers));
        req.headers = hdrs;
        if (c->header_name)
            hdrs[c->index] = (struct reg_sigv4_header){c->header_name, c->header_value};
        req.path = c->path;
        req.query = c->query;
        st = reg_sigv4_sign(a, &req, &cred, c->region, c->service, c->amz_date, &out);
        CHECK(&bad, st == c->want, "%s: status %d, want %d", c->what, st, c->want);
        CHECK(&bad, st == REG_OK || (out.authorization == NULL && *reg_error_detail()),
              "%s: a failure leaves no result and records a detail", c->what);
    }
    assert_int_equal(bad, 0);
}

static void
test_credentials_errors(void **state)
{
    struct reg_arena *a = *state;
    struct reg_sigv4_request req = ddb_request();
    struct reg_sigv4_credentials no_key = {"", SECRET, NULL};
    struct reg_sigv4_credentials no_secret = {AKID, "", NULL};
    struct reg_sigv4_result out;

    assert_int_equal(reg_sigv4_sign(a, &req, &no_key, REGION, "dynamodb", AMZ_DATE, &out),
                     REG_EINVAL);
    assert_int_equal(reg_sigv4_sign(a, &req, &no_secret, REGION, "dynamodb", AMZ_DATE, &out),
                     REG_EINVAL);
}

static void
test_too_many_headers(void **state)
{
    struct reg_arena *a = *state;
    struct reg_sigv4_header hdrs[REG_SIGV4_MAX_HEADERS + 1];
    struct reg_sigv4_request req = ddb_request();
    struct reg_sigv4_credentials cred = {AKID, SECRET, NULL};
    struct reg_sigv4_result out;

    for (int i = 0; i < NELEMS(hdrs); i++)
        hdrs[i] =
            i < NELEMS(ddb_headers) ? ddb_headers[i] : (struct reg_sigv4_header){"X-Filler", "x"};
    req.headers = hdrs;
    req.nheaders = REG_SIGV4_MAX_HEADERS;
    assert_int_equal(reg_sigv4_sign(a, &req, &cred, REGION, "dynamodb", AMZ_DATE, &out), REG_OK);
    assert_non_null(strstr(out.canonical_request, "\nx-filler:x,x,x,"));
    req.nheaders = NELEMS(hdrs);
    assert_int_equal(reg_sigv4_sign(a, &req, &cred, REGION, "dynamodb", AMZ_DATE, &out),
                     REG_ETOOLARGE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_botocore_suite, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_crt_suite, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_canonical_uri, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_canonical_query, arena_setup, arena_teardown),
        cmocka_unit_test(test_amz_date),
        cmocka_unit_test_setup_teardown(test_dynamodb_request, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_dynamodb_session_token, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_sign_body, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_authorization_not_signed, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_errors, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_credentials_errors, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_too_many_headers, arena_setup, arena_teardown),
    };
    return cmocka_run_group_tests_name("aws/sigv4", tests, NULL, NULL);
}
