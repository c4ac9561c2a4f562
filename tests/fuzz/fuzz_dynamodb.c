/*
 * fuzz_dynamodb.c - libFuzzer harness of the DynamoDB client's response reader
 * (lib/aws/dynamodb.c): the header callback (on_header, the x-amz-crc32 value), the CRC check
 * and the classification of a response (judge: done, retried or refused, and with which status).
 * Those are static, so this file includes dynamodb.c itself; nothing talks to a network.
 *
 * The input is a response: the HTTP status in decimal on the first line, header lines, an
 * empty line, the body. Header lines reach on_header as curl hands them over (one line at a
 * time, ending in CRLF, not NUL-terminated). Properties checked:
 *   - a 200 whose body is JSON and whose CRC (if any) matches is done, with the document;
 *     anything done is such a response;
 *   - a CRC header that is not the body's CRC32 is retried, never accepted (dynamodb.h: responses
 *     whose x-amz-crc32 header does not match are retried); the body's own CRC32 in the header
 *     classifies the response as no header does;
 *   - a retry is REG_EUNAVAILABLE, as is every 5xx and throttling; a final refusal is 409
 *     (ConditionalCheckFailed, ResourceInUse), 404 (ResourceNotFound) or REG_ESTORE;
 *   - the classification is the same twice.
 * Built with -fsanitize=fuzzer,address,undefined by `make fuzz`, and without libFuzzer by
 * tests/fuzz/replay.c (make check replays tests/fuzz/corpus/dynamodb).
 */
#include "../../lib/aws/dynamodb.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_dynamodb: %s\n", what);
        abort();
    }
}

/* Hands line[0..n) to on_header as curl would: in a buffer of its own, with CRLF. */
static void
feed_header(struct attempt *at, const char *line, size_t n)
{
    char *copy = malloc(n + 2);

    check(copy != NULL, "out of memory");
    memcpy(copy, line, n);
    copy[n] = '\r';
    copy[n + 1] = '\n';
    check(on_header(copy, 1, n + 2, at) == n + 2, "on_header refused a header line");
    free(copy);
}

struct verdict {
    enum reg_status st;
    bool retry;
    struct json_object *doc;
};

static struct verdict
classify(struct reg_arena *a, const struct attempt *in)
{
    struct attempt at = *in;
    struct verdict v = {REG_OK, false, NULL};
    int cost = 0;

    v.st = judge(a, "Query", &at, &v.doc, &v.retry, &cost);
    if (v.retry)
        check(v.st == REG_EUNAVAILABLE && (cost == RETRY_COST || cost == RETRY_TIMEOUT_COST),
              "a retry that is not REG_EUNAVAILABLE");
    else if (v.st != REG_OK)
        check(v.st == REG_ECONFLICT || v.st == REG_ENOTFOUND || v.st == REG_ESTORE,
              "a final refusal of another status");
    return v;
}

/* Whether the body is one JSON document, as judge reads it. */
static bool
body_parses(struct reg_arena *a, const struct attempt *at)
{
    struct json_object *doc = NULL;

    return at->body.len &&
           reg_json_parse_bounded(a, at->body.data, at->body.len, RESPONSE_MAX, &doc) == REG_OK;
}

static bool
crc_is(const struct attempt *at, uLong crc)
{
    char want[16];

    snprintf(want, sizeof(want), "%lu", crc);
    return strcmp(at->crc, want) == 0;
}

static void
check_response(struct reg_arena *a, struct attempt *at, bool crc_header, const char *crc_value)
{
    uLong crc = crc32(0L, (const Bytef *)(at->body.data ? at->body.data : ""), (uInt)at->body.len);
    bool parses = body_parses(a, at);
    struct verdict v = classify(a, at), again = classify(a, at), plain, sealed;
    struct attempt without = *at, with = *at;
    char *end;
    unsigned long declared = strtoul(crc_value, &end, 10);

    check(v.st == again.st && v.retry == again.retry, "the classification changed");
    if (v.st == REG_OK)
        check(at->http_status == 200 && v.doc && parses, "a response was done without being one");
    if (at->http_status >= 500)
        check(v.retry, "a 5xx was not retried");
    /* A CRC header whose value is not the body's CRC32 as a number must not be accepted. */
    if (crc_header && *crc_value && !(*end == '\0' && declared == crc))
        check(v.st != REG_OK && v.retry, "a response failing its CRC32 was accepted");
    without.crc[0] = '\0';
    plain = classify(a, &without);
    if (at->http_status == 200 && parses)
        check(plain.st == REG_OK, "a 200 with a JSON body was not done");
    snprintf(with.crc, sizeof(with.crc), "%lu", crc);
    check(crc_is(&with, crc), "the CRC does not fit");
    sealed = classify(a, &with);
    check(sealed.st == plain.st && sealed.retry == plain.retry,
          "the body's own CRC32 changed the classification");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reg_arena a;
    struct attempt at = {.crc = ""};
    const char *p = (const char *)data, *end = p + size, *eol;
    const char *crc_value = "";
    int crc_headers = 0;
    char status[8] = "";

    eol = memchr(p, '\n', size);
    if (!eol)
        return 0;
    memcpy(status, p,
           (size_t)(eol - p) < sizeof(status) - 1 ? (size_t)(eol - p) : sizeof(status) - 1);
    at.http_status = strtol(status, NULL, 10);
    at.curl_rc = CURLE_OK;
    reg_arena_init(&a);
    for (p = eol + 1; p < end; p = eol + 1) {
        size_t n;
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        n = (size_t)(eol - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        if (n >= 12 && strncasecmp(p, "x-amz-crc32:", 12) == 0) {
            size_t skip = 12, len;
            while (skip < n && p[skip] == ' ')
                skip++;
            /* The value ends at a CR, as on_header reads it (curl may pass a bare one on). */
            for (len = 0; skip + len < n && p[skip + len] != '\r'; len++)
                ;
            crc_headers++;
            crc_value = reg_arena_strndup(&a, p + skip, len);
        }
        feed_header(&at, p, n);
    }
    reg_buf_init(&at.body, RESPONSE_MAX);
    if (eol + 1 < end)
        check(reg_buf_append(&at.body, eol + 1, (size_t)(end - (eol + 1))) == REG_OK,
              "the body does not fit");
    check_response(&a, &at, crc_headers == 1, crc_value);
    reg_buf_cleanup(&at.body);
    reg_arena_cleanup(&a);
    return 0;
}
